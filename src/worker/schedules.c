/*
 * worker/schedules.c: the worker's part in schedules: each turn whose time
 * has come fires the due ones (ops/schedule.c, one job per due time however
 * many workers try), and the worker then sleeps until the soonest next due
 * time, so that an idle worker reads the schedules table once per due time
 * (or per poll interval), never once per schedule.
 *
 * It never decides what a due time makes: that rule is ops_schedule_fire_due's.
 *
 * The jobs a --concurrency replace run cancels are cancelled on a thread
 * of their own, with a store connection of its own, as another process's
 * `manage-jobs cancel` would: a container that ignores SIGTERM is given
 * its grace period there, while this loop goes on recording, claiming and
 * renewing leases.
 */
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "ops/schedule.h"
#include "util/err.h"
#include "util/log.h"
#include "util/sched_clock.h"
#include "util/timeutil.h"
#include "util/vec.h"
#include "worker/internal.h"

/* Wake a few ms after a due time, never before it: the wall clock and the
 * monotonic one are read in whole ms at two moments. */
#define DUE_SLACK_MS 5
/* After a failure, look again this much later. */
#define FAILED_RETRY_MS 5000

typedef struct {
	char *spec;
	ops_replace_t *list;
} replacer_t;

static void *replacer(void *arg)
{
	replacer_t *r = arg;
	store_t *s = NULL;
	char *err = NULL;
	if (store_open(r->spec, false, &s, &err) < 0) {
		for (const ops_replace_t *x = r->list; x; x = x->next)
			log_warn("schedule '%s': cannot cancel the job(s) job %lld replaces: %s",
				 x->schedule, (long long)x->new_id, err_str(err));
	} else {
		for (const ops_replace_t *x = r->list; x; x = x->next)
			ops_replace_run(s, x);
		store_close(s);
	}
	free(err);
	ops_replace_free(r->list);
	free(r->spec);
	free(r);
	return NULL;
}

/* Joins the replacer threads that have ended. */
static void reap_replacers(worker_t *w)
{
	size_t kept = 0;
	for (size_t i = 0; i < w->nreplacers; i++)
		if (pthread_tryjoin_np(w->replacers[i], NULL) != 0)
			w->replacers[kept++] = w->replacers[i];
	w->nreplacers = kept;
}

void worker_replacers_join(worker_t *w)
{
	for (size_t i = 0; i < w->nreplacers; i++)
		pthread_join(w->replacers[i], NULL);
	free(w->replacers);
	w->replacers = NULL;
	w->nreplacers = w->capreplacers = 0;
}

/* Cancels what list says on a thread of its own (in this loop when there
 * is no store to open one with, or no thread to be had). Takes list. */
static void replace(worker_t *w, ops_replace_t *list)
{
	reap_replacers(w);
	replacer_t *r = w->opts->store_spec ? calloc(1, sizeof(*r)) : NULL;
	if (r)
		r->spec = strdup(w->opts->store_spec);
	bool room = r && r->spec &&
		    (w->nreplacers < w->capreplacers ||
		     vec_room(&w->replacers, &w->capreplacers, w->nreplacers,
			      sizeof(*w->replacers), 4));
	if (room) {
		r->list = list;
		/* Signals stay the loop's: the thread has none of them. */
		sigset_t all, old;
		sigfillset(&all);
		pthread_sigmask(SIG_BLOCK, &all, &old);
		int rc = pthread_create(&w->replacers[w->nreplacers], NULL, replacer, r);
		pthread_sigmask(SIG_SETMASK, &old, NULL);
		if (rc == 0) {
			w->nreplacers++;
			return;
		}
		r->list = NULL;
	}
	if (r)
		free(r->spec);
	free(r);
	for (const ops_replace_t *x = list; x; x = x->next)
		ops_replace_run(w->store, x);
	ops_replace_free(list);
}

void worker_fire_schedules(worker_t *w, int64_t now_mono)
{
	char *err = NULL;
	ops_fire_stats_t st;
	int64_t next = 0, clock = sched_now_ms();
	int64_t poll = (int64_t)w->opts->poll_interval_s * 1000;
	ops_replace_t *replaced = NULL;
	int fired = ops_schedule_fire_due(w->store, clock, &st, &next, &replaced, &err);
	if (replaced)
		replace(w, replaced);
	if (fired < 0) {
		log_warn("cannot fire the due schedules: %s", err_str(err));
		free(err);
		w->next_sched_mono = now_mono + FAILED_RETRY_MS;
		return;
	}
	if (st.fired > 0) {
		/* Jobs were queued: claim them now, also in a single pass. */
		w->next_claim_mono = 0;
		w->idle_seen = false;
	}
	/* Until the soonest due time, but at most a poll interval: a wall
	 * clock set forward, or a schedule added where no notification
	 * reaches (store_watch unavailable), is seen then. */
	int64_t wait = next > 0 ? next - clock + DUE_SLACK_MS : poll;
	if (wait > poll)
		wait = poll;
	w->next_sched_mono = now_mono + (wait > 0 ? wait : 0);
}
