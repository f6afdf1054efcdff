/*
 * ops/retry.c: putting a failed or timed-out job back in the queue; see
 * ops.h. The status changes only through store_job_move (compare and set).
 */
#include "ops/ops.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/validate.h"
#include "engine/engine.h"
#include "ops/internal.h"
#include "ops/jobs.h"
#include "ops/retry_options.h"
#include "util/err.h"
#include "util/parse.h"
#include "util/strbuf.h"
#include "util/timeutil.h"

static void fmt_timeout(int64_t t, char *buf, size_t size)
{
	if (t == JOB_TIMEOUT_DEFAULT)
		snprintf(buf, size, "the worker's default");
	else if (t == 0)
		snprintf(buf, size, "none");
	else
		snprintf(buf, size, "%llds", (long long)t);
}

/* As a person would type it: 64m, 1g, 6291456; "none" for no limit. */
static void fmt_bytes(int64_t b, char *buf, size_t size)
{
	if (b == 0)
		snprintf(buf, size, "none");
	else
		format_size(b, buf, size);
}

static void fmt_cpus(int64_t nano, char *buf, size_t size)
{
	if (nano == 0)
		snprintf(buf, size, "none");
	else
		snprintf(buf, size, "%g", (double)nano / 1e9);
}

char *ops_retry_describe(const job_t *job, const ops_retry_changes_t *c)
{
	strbuf_t sb = STRBUF_INIT;
	char a[48], b[48];
	const char *sep = "";
	sb_puts(&sb, "");
	if (c->timeout && c->timeout_s != job->timeout_s) {
		fmt_timeout(job->timeout_s, a, sizeof(a));
		fmt_timeout(c->timeout_s, b, sizeof(b));
		sb_printf(&sb, "%stimeout %s -> %s", sep, a, b);
		sep = ", ";
	}
	if (c->memory && c->memory_bytes != job->memory_bytes) {
		fmt_bytes(job->memory_bytes, a, sizeof(a));
		fmt_bytes(c->memory_bytes, b, sizeof(b));
		sb_printf(&sb, "%smemory %s -> %s", sep, a, b);
		sep = ", ";
	}
	if (c->cpus && c->nano_cpus != job->nano_cpus) {
		fmt_cpus(job->nano_cpus, a, sizeof(a));
		fmt_cpus(c->nano_cpus, b, sizeof(b));
		sb_printf(&sb, "%scpus %s -> %s", sep, a, b);
		sep = ", ";
	}
	if (c->priority && c->priority_value != job->priority) {
		sb_printf(&sb, "%spriority %d -> %d", sep, job->priority, c->priority_value);
		sep = ", ";
	}
	if (sb.failed) {
		sb_free(&sb);
		return NULL;
	}
	return sb_steal(&sb);
}

const char *const ops_retry_change_names[] = {"timeout", "memory", "cpus", "priority", NULL};

int ops_retry_change_set(ops_retry_changes_t *c, const char *name, int64_t value)
{
	if (strcmp(name, "timeout") == 0) {
		c->timeout = true;
		c->timeout_s = value;
	} else if (strcmp(name, "memory") == 0) {
		c->memory = true;
		c->memory_bytes = value;
	} else if (strcmp(name, "cpus") == 0) {
		c->cpus = true;
		c->nano_cpus = value;
	} else if (strcmp(name, "priority") == 0) {
		c->priority = true;
		c->priority_value = (int)value;
	} else {
		return -1;
	}
	return 0;
}

ops_rc_t ops_retry_changes_check(const ops_retry_changes_t *c, char **err)
{
	static char image[] = "probe";
	job_t probe;
	job_init(&probe);
	probe.image = image;
	if (c->timeout)
		probe.timeout_s = c->timeout_s;
	if (c->memory)
		probe.memory_bytes = c->memory_bytes;
	if (c->cpus)
		probe.nano_cpus = c->nano_cpus;
	if (c->priority)
		probe.priority = c->priority_value;
	return validate_job(&probe, err) < 0 ? OPS_E_INVALID : OPS_OK;
}

int ops_retry(store_t *s, job_t *job, const ops_retry_changes_t *c, const char *actor,
	      char **reason, char **err)
{
	if (reason)
		*reason = NULL;
	if (ops_job_check_retryable(job, err) != OPS_OK)
		return 1;
	char *changes = ops_retry_describe(job, c);
	char *why = NULL;
	if (!changes || asprintf(&why, "retried by %s%s%s", actor, *changes ? ": " : "",
				 changes) < 0) {
		free(changes);
		return err_set(err, "out of memory");
	}
	free(changes);
	job_t next = *job;  /* shallow: only scalar fields change below */
	if (c->timeout)
		next.timeout_s = c->timeout_s;
	if (c->memory)
		next.memory_bytes = c->memory_bytes;
	if (c->cpus)
		next.nano_cpus = c->nano_cpus;
	if (c->priority)
		next.priority = c->priority_value;
	next.queued_at = now_ms();
	next.last_error = NULL;
	next.has_exit_code = false;
	next.exit_code = 0;
	next.started_at = 0;
	next.finished_at = 0;
	next.peak_memory_bytes = -1;
	next.cpu_usage_ns = -1;
	next.worker_id = NULL;
	next.lease_until = 0;
	if (validate_job(&next, err) < 0) {
		free(why);
		return -1;
	}
	unsigned set = JOB_SET_LIMITS | JOB_SET_QUEUED_AT | JOB_SET_LAST_ERROR | JOB_SET_EXIT_CODE |
		       JOB_SET_STARTED_AT | JOB_SET_FINISHED_AT | JOB_SET_RESOURCES | JOB_SET_LEASE;
	int rc = store_job_move(s, &next, job->status, JOB_QUEUED, set, actor, why, err);
	if (rc == 1) {
		job_t now;
		job_init(&now);
		char *e2 = NULL;
		if (store_job_get(s, job->id, &now, &e2) == 0)
			err_set(err, "job %lld is %s now; only failed or timed-out jobs can be "
				     "retried",
				(long long)job->id, job_status_name(now.status));
		else
			err_set(err, "job %lld changed while it was being retried", (long long)job->id);
		free(e2);
		job_free(&now);
		free(why);
		return 1;
	}
	if (rc < 0) {
		free(why);
		return -1;
	}
	/* The store has next's values now; carry them into the caller's job. */
	free(job->last_error);
	free(job->worker_id);
	next.status = JOB_QUEUED;
	*job = next;
	if (reason)
		*reason = why;
	else
		free(why);
	return 0;
}

void ops_retry_batch(store_t *s, const int64_t *ids, size_t n, const ops_retry_changes_t *c,
		     const char *actor, ops_retry_result_t *res)
{
	char *err = NULL;
	bool tx = n > 1 && store_begin(s, &err) == 0;
	free(err);
	err = NULL;
	for (size_t i = 0; i < n; i++) {
		ops_retry_result_t *r = &res[i];
		*r = (ops_retry_result_t){.id = ids[i], .rc = -1};
		job_t job;
		job_init(&job);
		if (ops_job_load(s, ids[i], &job, &err) == OPS_OK)
			r->rc = ops_retry(s, &job, c, actor, &r->reason, &err);
		r->attempt = job.attempt + 1;
		if (r->rc != 0) {
			r->error = err ? err : strdup("out of memory");
			err = NULL;
		}
		job_free(&job);
	}
	if (tx && store_commit(s, &err) < 0) {
		for (size_t i = 0; i < n; i++) {
			if (res[i].rc != 0)
				continue;
			res[i].rc = -1;
			free(res[i].reason);
			res[i].reason = NULL;
			if (asprintf(&res[i].error, "job %lld: the retry could not be stored "
						    "(nothing changed): %s",
				     (long long)ids[i], err_str(err)) < 0)
				res[i].error = NULL;
		}
	}
	free(err);
}

void ops_retry_results_free(ops_retry_result_t *res, size_t n)
{
	for (size_t i = 0; res && i < n; i++) {
		free(res[i].reason);
		free(res[i].error);
	}
}
