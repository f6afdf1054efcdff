/*
 * ops/jobs.h: reading jobs for every front end: a job by the id a person
 * gave, the job object scripts and the API see, and the checks before a
 * cancel, a retry or a read of output. The messages are the ones the
 * command line prints and the API answers with; each exists only here.
 */
#ifndef CJOBS_OPS_JOBS_H
#define CJOBS_OPS_JOBS_H

#include <jansson.h>

#include "store/store.h"
#include "util/strbuf.h"

/* What went wrong, so that each front end can say it its way: the command
 * line as an exit code, the API as an HTTP status. */
typedef enum {
	OPS_OK = 0,
	OPS_E_INVALID,     /* the request itself is wrong (400) */
	OPS_E_NOT_FOUND,   /* no such job or host (404) */
	OPS_E_CONFLICT,    /* not in a state that allows it (409) */
	OPS_E_STORE,       /* the store failed (500, or 503 when it is unreachable) */
} ops_rc_t;

/* A job id as a person typed it. */
ops_rc_t ops_job_id_parse(const char *text, int64_t *id, char **err);
/* Loads job id into job (job_init'ed by the caller). */
ops_rc_t ops_job_load(store_t *s, int64_t id, job_t *job, char **err);
/* Loads job id and its detail (store_job_detail: one read snapshot, so that
 * the row, its history, its output and its dependencies agree). */
ops_rc_t ops_job_detail(store_t *s, int64_t id, job_t *job, store_job_detail_t *d, char **err);
/* The job object of `job show --format json` and GET /api/v1/jobs/ID: the
 * job's fields, its history, its dependencies both ways, its schedule, and
 * the sizes of its latest stored output. */
ops_rc_t ops_job_detail_json(const job_t *job, const store_job_detail_t *d, bool show_secrets,
			     json_t **out, char **err);
/* The same object written as compact JSON text at the end of sb, as
 * json_dumps(JSON_COMPACT) would write it, for GET /api/v1/jobs/ID. */
ops_rc_t ops_job_detail_text(const job_t *job, const store_job_detail_t *d, bool show_secrets,
			     strbuf_t *sb, char **err);
/* ops_job_detail and ops_job_detail_json. */
ops_rc_t ops_job_show(store_t *s, int64_t id, bool show_secrets, json_t **out, char **err);
/* ops_job_detail and ops_job_detail_text. */
ops_rc_t ops_job_show_text(store_t *s, int64_t id, bool show_secrets, strbuf_t *sb, char **err);
/* The attempt whose output is asked for (0: the latest) must have
 * happened. */
ops_rc_t ops_job_check_attempt(const job_t *job, int attempt, char **err);
/* Why a job has no stored output for that attempt, for people. malloc'd. */
char *ops_job_no_output_note(const job_t *job, int attempt);
/* A job may be cancelled: CONFLICT naming its status when it is final. */
ops_rc_t ops_job_check_cancellable(const job_t *job, char **err);
/* A job may be retried: CONFLICT naming its status unless it failed or
 * timed out. */
ops_rc_t ops_job_check_retryable(const job_t *job, char **err);
/* The statuses named into a mask of (1 << status) bits. */
ops_rc_t ops_status_mask_parse(const char *const *names, size_t n, int *mask, char **err);
/* Loads host name into h (host_init'ed by the caller). */
ops_rc_t ops_host_load(store_t *s, const char *name, host_t *h, char **err);
/* A cancel's reason: not empty, printable, at most 500 characters. */
ops_rc_t ops_cancel_reason_check(const char *reason, char **err);

#endif
