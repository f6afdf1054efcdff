/*
 * ops/jobs.c: reading jobs for the front ends; see jobs.h.
 */
#include "ops/jobs.h"
#include "store/schedules.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/validate.h"
#include "ops/render.h"
#include "util/err.h"
#include "util/parse.h"

#define REASON_MAX 500

ops_rc_t ops_job_id_parse(const char *text, int64_t *id, char **err)
{
	if (!parse_int64(text, 1, INT64_MAX, id)) {
		err_set(err, "'%.40s' is not a job id: job ids are whole numbers from 1 up "
			     "('cjobs job list' shows them)",
			text);
		return OPS_E_INVALID;
	}
	return OPS_OK;
}

ops_rc_t ops_job_load(store_t *s, int64_t id, job_t *job, char **err)
{
	int rc = store_job_get(s, id, job, err);
	if (rc == 1) {
		err_set(err, MSG_NO_JOB, (long long)id);
		return OPS_E_NOT_FOUND;
	}
	return rc < 0 ? OPS_E_STORE : OPS_OK;
}

/* {"kept_bytes", "total_bytes", "truncated"} of one stream's latest stored
 * output, or null. */
static json_t *size_json(const store_output_size_t *z)
{
	if (!z->have)
		return json_null();
	return json_pack("{s:I, s:I, s:b}", "kept_bytes", (json_int_t)z->kept, "total_bytes",
			 (json_int_t)z->total, "truncated", z->truncated);
}

/* One direction of a job's dependencies: [{job, on, state, status}]. */
static json_t *links_json(const store_dep_t *v, size_t n)
{
	json_t *a = json_array();
	for (size_t i = 0; a && i < n; i++)
		if (json_array_append_new(a, json_pack("{s:I, s:s, s:s, s:s}", "job",
						       (json_int_t)v[i].id, "on",
						       dep_cond_name(v[i].cond), "state",
						       dep_state_name(v[i].state), "status",
						       job_status_name(v[i].status))) < 0) {
			json_decref(a);
			return NULL;
		}
	return a;
}

ops_rc_t ops_job_detail(store_t *s, int64_t id, job_t *job, store_job_detail_t *d, char **err)
{
	int rc = store_job_detail(s, id, job, d, err);
	if (rc == 1) {
		err_set(err, MSG_NO_JOB, (long long)id);
		return OPS_E_NOT_FOUND;
	}
	return rc < 0 ? OPS_E_STORE : OPS_OK;
}

/* What the detail adds to the job's own members, in their order, set into
 * o: one list for the tree and the text. -1 when memory ran out (o keeps
 * what was set). */
static int set_detail_members(json_t *o, const store_job_detail_t *d)
{
	json_t *ja = links_json(d->after, d->nafter), *jb = links_json(d->before, d->nbefore);
	json_t *sched = d->schedule ? json_string(d->schedule) : json_null();
	if (!ja || !jb || !sched) {
		json_decref(ja);
		json_decref(jb);
		json_decref(sched);
		return -1;
	}
	/* json_object_set_new takes its value even when it fails. */
	if (json_object_set_new(o, "after", ja) < 0 ||
	    json_object_set_new(o, "waited_for_by", jb) < 0 ||
	    json_object_set_new(o, "schedule", sched) < 0 ||
	    json_object_set_new(o, "history", render_history_json(d->history, d->nhistory)) < 0 ||
	    json_object_set_new(o, "stdout", size_json(&d->sizes[0])) < 0 ||
	    json_object_set_new(o, "stderr", size_json(&d->sizes[1])) < 0)
		return -1;
	return 0;
}

ops_rc_t ops_job_detail_json(const job_t *job, const store_job_detail_t *d, bool show_secrets,
			     json_t **out, char **err)
{
	*out = NULL;
	json_t *o = render_job_json(job, show_secrets);
	if (!o || set_detail_members(o, d) < 0) {
		json_decref(o);
		err_set(err, "out of memory");
		return OPS_E_STORE;
	}
	*out = o;
	return OPS_OK;
}

ops_rc_t ops_job_detail_text(const job_t *job, const store_job_detail_t *d, bool show_secrets,
			     strbuf_t *sb, char **err)
{
	/* The job's members by the text writer (most of the object, and
	 * several times faster than a tree), then the detail's as a tree of
	 * their own, its braces dropped: the same text as json_dumps of
	 * ops_job_detail_json's object. */
	size_t start = sb->len;
	render_job_json_text(sb, job, show_secrets);
	json_t *extra = json_object();
	char *text = NULL;
	if (extra && set_detail_members(extra, d) == 0)
		text = json_dumps(extra, JSON_COMPACT);
	json_decref(extra);
	if (!sb->failed && text && sb->len > start && sb->buf[sb->len - 1] == '}') {
		sb->len--;
		sb_putc(sb, ',');
		sb_puts(sb, text + 1);
	} else {
		sb->failed = true;
	}
	free(text);
	if (sb->failed) {
		err_set(err, "out of memory");
		return OPS_E_STORE;
	}
	return OPS_OK;
}

ops_rc_t ops_job_check_attempt(const job_t *job, int attempt, char **err)
{
	if (attempt < 0 || attempt > job->attempt) {
		err_set(err, "job %lld has had %d attempt(s); give --attempt from 1 to %d, or 0 "
			     "for the latest",
			(long long)job->id, job->attempt, job->attempt);
		return OPS_E_INVALID;
	}
	return OPS_OK;
}

char *ops_job_no_output_note(const job_t *job, int attempt)
{
	char *msg = NULL;
	int rc;
	if (job->attempt == 0)
		rc = asprintf(&msg, "job %lld has no output: it has not run yet (it is %s)",
			      (long long)job->id, job_status_name(job->status));
	else if (job->status == JOB_LAUNCHING || job->status == JOB_RUNNING)
		rc = asprintf(&msg, "job %lld is %s; its output is stored when its container ends",
			      (long long)job->id, job_status_name(job->status));
	else
		rc = asprintf(&msg, "job %lld has no stored output for %s (its container never "
				    "ran, or its output was not kept)",
			      (long long)job->id, attempt ? "that attempt" : "its latest attempt");
	return rc < 0 ? NULL : msg;
}

ops_rc_t ops_job_check_cancellable(const job_t *job, char **err)
{
	if (job_status_is_final(job->status)) {
		err_set(err, "job %lld is %s; only queued, launching or running jobs can be "
			     "cancelled",
			(long long)job->id, job_status_name(job->status));
		return OPS_E_CONFLICT;
	}
	return OPS_OK;
}

ops_rc_t ops_cancel_reason_check(const char *reason, char **err)
{
	if (!*reason) {
		err_set(err, "the reason is empty; say why with --reason TEXT (it is kept in the "
			     "job's history)");
		return OPS_E_INVALID;
	}
	if (validate_text("the reason", reason, REASON_MAX, err) < 0)
		return OPS_E_INVALID;
	return OPS_OK;
}

ops_rc_t ops_job_check_retryable(const job_t *job, char **err)
{
	if (job->status != JOB_FAILED && job->status != JOB_TIMEOUT) {
		err_set(err, "job %lld is %s; only failed or timed-out jobs can be retried",
			(long long)job->id, job_status_name(job->status));
		return OPS_E_CONFLICT;
	}
	return OPS_OK;
}

ops_rc_t ops_status_mask_parse(const char *const *names, size_t n, int *mask, char **err)
{
	*mask = 0;
	for (size_t i = 0; i < n; i++) {
		job_status_t s;
		if (!job_status_parse(names[i], &s)) {
			err_set(err, "'%.40s' is not a job status: use queued, launching, running, "
				     "completed, failed, timeout or cancelled",
				names[i]);
			return OPS_E_INVALID;
		}
		*mask |= 1 << s;
	}
	return OPS_OK;
}

ops_rc_t ops_host_load(store_t *s, const char *name, host_t *h, char **err)
{
	int rc = store_host_get(s, name, h, err);
	if (rc == 1) {
		err_set(err, MSG_NO_HOST, name);
		return OPS_E_NOT_FOUND;
	}
	return rc < 0 ? OPS_E_STORE : OPS_OK;
}

/* Reads job id's detail and writes it as a tree (out) or as text (sb). */
static ops_rc_t show(store_t *s, int64_t id, bool show_secrets, json_t **out, strbuf_t *sb,
		     char **err)
{
	job_t job;
	store_job_detail_t d;
	ops_rc_t rc = ops_job_detail(s, id, &job, &d, err);
	if (rc == OPS_OK)
		rc = out ? ops_job_detail_json(&job, &d, show_secrets, out, err)
			 : ops_job_detail_text(&job, &d, show_secrets, sb, err);
	store_job_detail_free(&d);
	job_free(&job);
	return rc;
}

ops_rc_t ops_job_show(store_t *s, int64_t id, bool show_secrets, json_t **out, char **err)
{
	*out = NULL;
	return show(s, id, show_secrets, out, NULL, err);
}

ops_rc_t ops_job_show_text(store_t *s, int64_t id, bool show_secrets, strbuf_t *sb, char **err)
{
	return show(s, id, show_secrets, NULL, sb, err);
}
