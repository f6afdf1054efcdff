/*
 * ops/wait.c: waiting for jobs to end; see wait.h.
 *
 * A wait never spins: it sleeps on the store's watch fd (another process
 * committed a change of a job's status) and looks again only then, or at
 * the slow fallback interval. It never writes to the store.
 */
#include "ops/wait.h"

#include <poll.h>
#include <stdlib.h>

#include "util/err.h"
#include "util/timeutil.h"

/* How long a wait sleeps without a look: with a watch only a safety net,
 * without one the poll itself. */
#define WATCHED_LOOK_MS 10000
#define UNWATCHED_LOOK_MS 1000
/* After a wake by the watch, how soon to look once more when nothing else
 * comes: on SQLite the write of the log wakes us a moment before the
 * commit is readable (the log's index, in shared memory, is updated after
 * it, and makes no event), so the look the wake called for may see the
 * store as it was, and no later event would come. */
#define SETTLE_MS 20

int ops_wait_exit_code(const job_t *job)
{
	switch (job->status) {
	case JOB_COMPLETED:
		return 0;
	case JOB_FAILED:
		/* An exit code of 0 on a failed job cannot stand for a failure. */
		return job->has_exit_code && job->exit_code > 0 && job->exit_code < 256
			       ? job->exit_code
			       : OPS_EXIT_NOT_RUN;
	case JOB_TIMEOUT:
		return OPS_EXIT_TIMEOUT;
	case JOB_CANCELLED:
		return OPS_EXIT_CANCELLED;
	default:
		return -1;
	}
}

void ops_watch_start(ops_watch_t *w, store_t *s)
{
	w->store = s;
	w->woken = false;
	char *err = NULL;
	if (store_watch(s, &w->fd, &err) < 0)
		w->fd = -1;
	free(err);
}

void ops_watch_wait(ops_watch_t *w, const int *fds, size_t nfds, int64_t max_ms)
{
	/* A notification that came while one of our own statements ran waits
	 * in the client library already: its socket will stay quiet. */
	if (w->fd >= 0 && store_changed(w->store)) {
		w->woken = true;
		return;
	}
	int64_t look = w->fd >= 0 ? WATCHED_LOOK_MS : UNWATCHED_LOOK_MS;
	if (w->woken)
		look = SETTLE_MS;
	if (max_ms >= 0 && max_ms < look)
		look = max_ms;
	struct pollfd p[9];
	nfds_t np = 0;
	if (w->fd >= 0)
		p[np++] = (struct pollfd){.fd = w->fd, .events = POLLIN};
	for (size_t i = 0; i < nfds && np < sizeof(p) / sizeof(p[0]); i++)
		if (fds[i] >= 0)
			p[np++] = (struct pollfd){.fd = fds[i], .events = POLLIN};
	/* A signal (EINTR) returns at once: the caller's fds (its self-pipe)
	 * say whether it matters. */
	(void)poll(p, np, (int)look);
	/* Reads what came off the fd. */
	w->woken = w->fd >= 0 && store_changed(w->store);
}

ops_rc_t ops_jobs_wait(store_t *s, const int64_t *ids, size_t n, int64_t deadline_mono,
		       job_t *jobs, bool *timed_out, char **err)
{
	*timed_out = false;
	ops_watch_t w;
	bool watching = false;
	for (;;) {
		bool all = true;
		for (size_t i = 0; i < n; i++) {
			if (job_status_is_final(jobs[i].status) && jobs[i].id == ids[i])
				continue;
			job_free(&jobs[i]);
			job_init(&jobs[i]);
			ops_rc_t rc = ops_job_load(s, ids[i], &jobs[i], err);
			if (rc != OPS_OK)
				return rc;
			all = all && job_status_is_final(jobs[i].status);
		}
		if (all)
			return OPS_OK;
		int64_t now = mono_ms();
		if (deadline_mono && now >= deadline_mono) {
			*timed_out = true;
			return OPS_OK;
		}
		/* Watched only from here: a job already ended needs no watch. */
		if (!watching) {
			ops_watch_start(&w, s);
			watching = true;
			continue;  /* a change between the look and the watch */
		}
		ops_watch_wait(&w, NULL, 0, deadline_mono ? deadline_mono - now : -1);
	}
}

ops_rc_t ops_any_worker_alive(store_t *s, bool *alive, char **err)
{
	store_worker_t *v = NULL;
	size_t n = 0;
	*alive = false;
	if (store_worker_list(s, now_ms(), &v, &n, err) < 0)
		return OPS_E_STORE;
	for (size_t i = 0; i < n; i++)
		*alive = *alive || v[i].alive;
	store_worker_list_free(v, n);
	return OPS_OK;
}
