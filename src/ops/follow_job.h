/*
 * ops/follow_job.h: a job's output from now until it ends, for the command
 * line's `job logs --follow` and `run`: each attempt's output read live
 * from the engine that runs it (ops/follow.h), then what the store kept of
 * that attempt and was not yet given, then the next attempt's, until the
 * job has ended. A queued job is waited for (ops/wait.h). The server's
 * GET /api/v1/jobs/ID/logs?follow=1 follows by the same rule.
 */
#ifndef CJOBS_OPS_FOLLOW_JOB_H
#define CJOBS_OPS_FOLLOW_JOB_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "ops/jobs.h"
#include "ops/wait.h"

typedef struct {
	int streams;               /* JOB_STDOUT | JOB_STDERR bits to give */
	int first_attempt;         /* 0: the latest (the first when none yet) */
	/* Output, in the order each stream was written. Called on another
	 * thread while an attempt is followed live, never two calls at once. */
	void (*out)(void *ud, int stream, const char *data, size_t n);
	/* Called on the caller's thread after each look at the job while it
	 * has not ended (to act on a signal, to say something); may be NULL.
	 * True when it changed the job itself (a cancel): the job is read
	 * again at once, since a server store tells no one of a connection's
	 * own commits. */
	bool (*tick)(void *ud, const job_t *job);
	void *ud;
	int wake_fd;               /* readable: call tick soon (a signal); -1: none */
	int64_t tick_ms;           /* at most this long between ticks; 0: 10 s */
	/* Set by another thread (then wake_fd made readable): the follow
	 * returns OPS_OK at once, *job as last seen (a reader that went away,
	 * a server stopping). NULL: none. */
	atomic_bool *stop;
} ops_follow_job_t;

/* Follows job id as above. OPS_OK when it has ended (*job holds it as it
 * ended; job_init'ed by the caller); else the error (no such job:
 * ops_job_load's message). */
int ops_job_follow(store_t *s, int64_t id, const ops_follow_job_t *o, job_t *job, char **err);

#endif
