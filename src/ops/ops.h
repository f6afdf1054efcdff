/*
 * ops/ops.h: administrative operations that need both the store and the
 * engines, for `cjobs manage-jobs`: cancelling jobs (and stopping their
 * containers), putting failed jobs back in the queue, and checking hosts.
 *
 * These functions never print and never ask: the command line decides
 * what to do, confirms it and reports the results these return. They never
 * change a job's status except through store_job_move (compare and set),
 * so a worker running at the same time can never be overwritten, and they
 * never leave a container of a cancelled job behind when its engine
 * answers.
 */
#ifndef CJOBS_OPS_OPS_H
#define CJOBS_OPS_OPS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "ops/jobs.h"
#include "store/store.h"

/* ---- cancelling ---- */

typedef struct {
	const char *actor;        /* history actor, e.g. "manage-jobs" */
	const char *reason;       /* recorded in the job's history */
	int grace_s;              /* engine_stop grace before the engine kills */
	int64_t output_limit;     /* bytes of each stream of a running job to keep */
} ops_cancel_opts_t;

typedef enum {
	OPS_CANCELLED,            /* cancelled; no container of it is left */
	OPS_CANCELLED_LEFTOVER,   /* cancelled in the store, but its container could
				     not be stopped or removed (error says why) */
	OPS_NOT_CANCELLABLE,      /* already finished (was says how); nothing changed */
	OPS_CANCEL_ERROR,         /* no such job, or a store failure; nothing changed */
} ops_cancel_outcome_t;

typedef struct {
	int64_t job_id;
	ops_cancel_outcome_t outcome;
	job_status_t was;         /* its status when it was cancelled (or found) */
	char *host;               /* the host it ran (or was launching) on, or NULL */
	char *container;          /* the container's name, or NULL when it had none */
	bool container_removed;   /* a container existed and is gone now */
	bool output_kept;         /* the output written so far is in the store */
	char *error;              /* NULL, or one line for people */
} ops_cancel_result_t;

/* Cancels the jobs with the given ids, all at once: a queued job is moved
 * to cancelled; a launching one is moved to cancelled and its container, if
 * it has one yet, removed (the worker holding it sees the change and drops
 * it); a running one is moved to cancelled, its container stopped (grace
 * period, then killed), its output so far fetched and stored under its
 * current attempt, and the container removed. res gets n results, in the
 * order of ids. Returns 0 when every job was handled (look at each
 * outcome), -1 only when the operation could not start at all. Waits at
 * most grace_s + 90 seconds for the engines. */
int ops_cancel(store_t *s, const int64_t *ids, size_t n, const ops_cancel_opts_t *o,
	       ops_cancel_result_t *res, char **err);
void ops_cancel_results_free(ops_cancel_result_t *res, size_t n);

/* ---- retrying ---- */

typedef struct {
	bool timeout;  int64_t timeout_s;    /* JOB_TIMEOUT_DEFAULT, 0 = none, seconds */
	bool memory;   int64_t memory_bytes;
	bool cpus;     int64_t nano_cpus;
	bool priority; int priority_value;
} ops_retry_changes_t;

/* Sets the change named as an option of ops/retry_options.h (its parsed
 * number); 0, or -1 for a name that is none of them. */
int ops_retry_change_set(ops_retry_changes_t *c, const char *name, int64_t value);
/* The changes pass the rules of job submit (validate_job), before any job
 * is looked at: OPS_OK, or OPS_E_INVALID with the rule's message. */
ops_rc_t ops_retry_changes_check(const ops_retry_changes_t *c, char **err);

/* "timeout 3600s -> 30s, priority 0 -> 5" for the changes that differ
 * from job's values; "" when none do. malloc'd; NULL when out of memory. */
char *ops_retry_describe(const job_t *job, const ops_retry_changes_t *c);

/* Puts one failed or timed-out job back in the queue with the changes
 * applied: limits set, queued now, the last error and the old attempt's
 * exit code, times and resource use cleared (they stay in the history and
 * the old output stays under its attempt number). job is updated to what
 * was written; *reason (may be NULL) gets the history reason. Returns 0; 1
 * when the job is not failed or timeout (now), with *err naming its
 * status; -1 on an invalid change or a store failure. */
int ops_retry(store_t *s, job_t *job, const ops_retry_changes_t *c, const char *actor,
	      char **reason, char **err);

/* Retries of many jobs by id go OPS_RETRY_BATCH at a time, each batch in
 * one transaction: one commit (on PostgreSQL one flush of the server's
 * log) for them all, not one each. */
#define OPS_RETRY_BATCH 256
typedef struct {
	int64_t id;
	int rc;              /* ops_retry's: 0 queued again, 1 not retryable now, -1 error */
	int attempt;         /* with rc 0, the attempt it is queued for */
	char *reason;        /* with rc 0, the history's reason */
	char *error;         /* otherwise, why not */
} ops_retry_result_t;
/* Reads each of ids[0..n) (n at most OPS_RETRY_BATCH) and retries it with
 * c, as ops_retry does, in one transaction; res[i] says what became of
 * ids[i]. When the commit fails nothing of the batch is kept and each
 * retried job's result says so (rc -1). */
void ops_retry_batch(store_t *s, const int64_t *ids, size_t n, const ops_retry_changes_t *c,
		     const char *actor, ops_retry_result_t *res);
void ops_retry_results_free(ops_retry_result_t *res, size_t n);

/* ---- health checks ---- */

typedef struct {
	bool ok;                  /* the engine answered ping, version and info */
	bool timed_out;           /* no answer within the timeout */
	char *error;              /* why not ok */
	char *engine_version;     /* when ok */
	char *api_version;
	char *os;
	int64_t containers_running; /* -1 when unknown */
	int64_t jobs_active;      /* launching or running on it, from the store; -1 unknown */
	int64_t response_ms;      /* how long the engine took to answer (or to fail) */
	bool recorded;            /* store_host_checked succeeded */
	char *record_error;
} ops_check_t;

/* Contacts every host's engine at once (engine_info), waiting at most
 * timeout_s seconds in all, and records each result with
 * store_host_checked. out gets n results, in the order of hosts. Returns 0,
 * or -1 when the checks could not start at all. */
int ops_check_hosts(store_t *s, const host_t *hosts, size_t n, int timeout_s, ops_check_t *out,
		    char **err);
void ops_check_free(ops_check_t *c, size_t n);
/* "healthy", "timed out" or "unreachable". */
const char *ops_check_state(const ops_check_t *c);
/* One host's check as `health-check --format json` and the API show it. */
json_t *ops_check_json(const host_t *h, const ops_check_t *c);

#endif
