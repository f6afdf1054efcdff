/*
 * worker/worker.h: the process-jobs loop: claim -> launch -> watch ->
 * harvest -> record, across every executor host at once.
 *
 * The worker never holds a job only in memory: a job is claimed in the
 * store (status launching, with a lease) before its container is created,
 * its container's name is recorded before the create request is sent, and
 * its results are committed before the container is removed.
 */
#ifndef CJOBS_WORKER_WORKER_H
#define CJOBS_WORKER_WORKER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "store/store.h"

typedef struct worker_opts {
	bool daemon;               /* keep going until a signal */
	bool wait_retries;         /* one pass: also wait for, and run, the retries it
				    * scheduled, before leaving */
	const char *host;          /* only this host; NULL = every enabled host */
	int max_jobs;              /* concurrent jobs across all hosts */
	int poll_interval_s;       /* daemon: how often to look for new jobs */
	int64_t default_timeout_s; /* for jobs without their own; 0 = none */
	int64_t output_limit;      /* bytes kept per stream */
	int stop_grace_s;          /* SIGINT/cancel: TERM, then KILL after this */
	int64_t shutdown_timeout_s;/* SIGTERM: after this, remove what still runs and
				    * queue it again; 0 = wait for it to finish */
	int64_t store_timeout_s;   /* how long the store may stay unreachable before
				    * the worker gives up and exits 1 */
	/* The store as store_open takes it, for connections of the worker's
	 * other threads (a schedule's --concurrency replace cancels on one);
	 * NULL: that work is done in the loop. */
	const char *store_spec;
	/* Called on SIGUSR1 to re-read the configuration into opts; may be NULL.
	 * Returns 0 on success; on failure the old settings stay. */
	int (*reload)(struct worker_opts *opts, void *ud, char **err);
	void *reload_ud;
} worker_opts_t;

/* What a run of the worker ended with, for the exit code. */
typedef struct {
	int64_t completed;
	int64_t failed;            /* failed or timed out in this run */
	int64_t handed_back;       /* returned to the queue (SIGINT, transient errors) */
	int64_t retried;           /* failed, and queued again by its retry policy */
	int64_t adopted;           /* taken over from a worker that died */
	bool engine_error;         /* a host could not be used */
	bool interrupted;          /* SIGINT */
} worker_result_t;

/* Runs until done (one pass) or until a signal (daemon). Returns 0, or -1
 * with *err for a failure of the store or of the worker itself. Installs
 * handlers for SIGTERM, SIGINT and SIGUSR1 for its duration. */
int worker_run(store_t *store, worker_opts_t *opts, worker_result_t *result, char **err);

#endif
