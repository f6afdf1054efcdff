/*
 * ops/follow.h: following running jobs' output live, from the engines that
 * run them, for readers in other threads (ops_job_follow's live part, for
 * `job logs --follow`, `run` and the server's logs?follow=1).
 *
 * One thread with its own engine loop follows every container asked for
 * (engine_logs_follow); readers get the bytes in the order the container
 * wrote them, stdout and stderr told apart, until the container stops.
 */
#ifndef CJOBS_OPS_FOLLOW_H
#define CJOBS_OPS_FOLLOW_H

#include <stddef.h>
#include <stdint.h>

#include "store/store.h"

typedef struct ops_follower ops_follower_t;

/* Called on the follower's thread: a piece of output (stream 1 stdout, 2
 * stderr; the bytes are the callee's only during the call); then, exactly
 * once, the end: error NULL when the container stopped, else why the
 * output cannot be followed further (the engine failed, the follow was
 * cancelled, the follower is stopping). Nothing is called after end. */
typedef void (*ops_follow_chunk_fn)(void *ud, int stream, const char *data, size_t n);
typedef void (*ops_follow_end_fn)(void *ud, const char *error);

#define OPS_FOLLOW_MAX 256   /* containers followed at once */

/* Starts the follower's thread. */
int ops_follower_new(ops_follower_t **out, char **err);
/* Ends every follow (end: "the server is stopping") and refuses new ones;
 * returns at once. */
void ops_follower_stop(ops_follower_t *f);
/* Stops (if not yet), waits for the thread, frees. */
void ops_follower_free(ops_follower_t *f);
/* Follows container (of a job running on host h). 0 with *err when it
 * cannot start (too many follows, a bad host configuration); end is then
 * never called. Else a handle for ops_follow_cancel. */
uint64_t ops_follow(ops_follower_t *f, const host_t *h, const char *container,
		    ops_follow_chunk_fn chunk, ops_follow_end_fn end, void *ud, char **err);
/* The reader is gone: the follow ends soon (end is still called once). */
void ops_follow_cancel(ops_follower_t *f, uint64_t handle);

#endif
