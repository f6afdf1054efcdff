/*
 * ops/wait.h: waiting for jobs to end, for every front end (`job wait`,
 * `job logs --follow`, `run`): the wait on the store's own notifications
 * (the seam workers wake on: LISTEN/NOTIFY on PostgreSQL, inotify on the
 * SQLite file's directory), with a slow poll only as the fallback, and the
 * one rule that turns an ended job into an exit code.
 */
#ifndef CJOBS_OPS_WAIT_H
#define CJOBS_OPS_WAIT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ops/jobs.h"
#include "store/store.h"

/* Exit codes of a finished job (ops_wait_exit_code) beyond its own. */
enum {
	OPS_EXIT_NOT_RUN = 125,    /* failed without an exit code: it could not run */
	OPS_EXIT_TIMEOUT = 137,    /* killed at its time limit (128 + SIGKILL) */
	OPS_EXIT_CANCELLED = 130,  /* cancelled (128 + SIGINT) */
	OPS_EXIT_WAIT_TIMEOUT = 124, /* the wait itself ran out, as timeout(1) */
};

/* The exit code a job that ended stands for: completed 0; failed with the
 * container's exit code when it has one, else OPS_EXIT_NOT_RUN; timeout
 * OPS_EXIT_TIMEOUT; cancelled OPS_EXIT_CANCELLED. -1 for a job that has
 * not ended. */
int ops_wait_exit_code(const job_t *job);

/* A watch on the store: wakes when another process may have changed a job.
 * Without a watch (the store refused one) it polls every second. */
typedef struct {
	store_t *store;
	int fd;                    /* the store's watch fd, or -1 */
	bool woken;                /* the last wait ended by a change */
} ops_watch_t;

/* Never fails: a store that cannot be watched is polled instead. */
void ops_watch_start(ops_watch_t *w, store_t *s);
/* Returns when the store may have changed, when one of fds (nfds of them;
 * -1 entries are skipped) is readable, or after at most max_ms (< 0: no
 * bound of the caller's). With a watch, a look is still due every 10 s, in
 * case a notification was lost with a connection. */
void ops_watch_wait(ops_watch_t *w, const int *fds, size_t nfds, int64_t max_ms);

/* Loads jobs ids[0..n) (job_init'ed by the caller) and waits until every
 * one has ended, or until the monotonic time deadline_mono (0: none).
 * OPS_OK when all ended (jobs hold them as they ended); *timed_out true
 * (and OPS_OK) when the deadline came first. An unknown id is
 * OPS_E_NOT_FOUND with ops_job_load's message, before any wait. */
ops_rc_t ops_jobs_wait(store_t *s, const int64_t *ids, size_t n, int64_t deadline_mono,
		       job_t *jobs, bool *timed_out, char **err);

/* *alive: whether a live worker is registered in the store (its heartbeat
 * runs and its liveness lock is held). */
ops_rc_t ops_any_worker_alive(store_t *s, bool *alive, char **err);

#endif
