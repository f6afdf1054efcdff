/*
 * worker/schedules.c: the worker's part in schedules: each turn whose time
 * has come fires the due ones (ops/schedule.c, one job per due time however
 * many workers try), and the worker then sleeps until the soonest next due
 * time, so that an idle worker reads the schedules table once per due time
 * (or per poll interval), never once per schedule.
 *
 * It never decides what a due time makes: that rule is ops_schedule_fire_due's.
 */
#include <stdlib.h>

#include "ops/schedule.h"
#include "util/err.h"
#include "util/log.h"
#include "util/sched_clock.h"
#include "util/timeutil.h"
#include "worker/internal.h"

/* Wake a few ms after a due time, never before it: the wall clock and the
 * monotonic one are read in whole ms at two moments. */
#define DUE_SLACK_MS 5
/* After a failure, look again this much later. */
#define FAILED_RETRY_MS 5000

void worker_fire_schedules(worker_t *w, int64_t now_mono)
{
	char *err = NULL;
	ops_fire_stats_t st;
	int64_t next = 0, clock = sched_now_ms();
	int64_t poll = (int64_t)w->opts->poll_interval_s * 1000;
	if (ops_schedule_fire_due(w->store, clock, &st, &next, &err) < 0) {
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
