/*
 * http/api_jobs.c: the jobs endpoints. Each reads its request, calls the
 * operation the command line calls (src/ops), and serializes the result;
 * the checks and their messages are the operations'.
 */
#include "http/internal.h"

#include <stdlib.h>
#include <string.h>

#include "ops/ops.h"
#include "ops/render.h"
#include "ops/retry_options.h"
#include "ops/submit.h"
#include "util/err.h"
#include "util/opt.h"
#include "util/strbuf.h"

#define LIST_LIMIT_DEFAULT 50
#define LIST_LIMIT_MAX 1000
#define SUBMIT_MAX 100000

/* The job a path's {id} names, loaded; answers 400 or 404 itself. */
static int path_job(http_req_t *r, job_t *job)
{
	int64_t id;
	char *err = NULL;
	ops_rc_t rc = ops_job_id_parse(r->params[0], &id, &err);
	if (rc == OPS_OK)
		rc = ops_job_load(r->store, id, job, &err);
	if (rc != OPS_OK)
		http_reply_ops(r, rc, err);
	free(err);
	return rc == OPS_OK ? 0 : -1;
}

/* A query parameter parsed as the option o of the command line would be:
 * the same values, the same messages. 1 when absent. */
static int query_value(http_req_t *r, const cli_option_t *o, cli_value_t *v)
{
	const char *text = http_query(r, o->name);
	if (!text)
		return 1;
	char *err = NULL;
	memset(v, 0, sizeof(*v));
	if (cli_parse_value(o, text, v, &err) < 0) {
		http_reply_error(r, 400, "?%s: %s", o->name, err_str(err));
		free(err);
		return -1;
	}
	return 0;
}

static const char *const yes_no[] = {"0", "1", NULL};

static const cli_option_t list_query[] = {
	{.name = "since", .type = OPT_WHEN},
	{.name = "until", .type = OPT_WHEN},
	{.name = "limit", .type = OPT_INT, .min = 1, .max = LIST_LIMIT_MAX},
	{.name = "cursor", .type = OPT_INT, .min = 1, .max = INT64_MAX},
	{.name = "full", .type = OPT_CHOICE, .choices = yes_no},
};

/* Splits "a,b,c" into its words (pointers into *copy). */
static size_t split_commas(const char *text, char **copy, const char **words, size_t max)
{
	*copy = strdup(text);
	size_t n = 0;
	for (char *save = NULL, *w = *copy ? strtok_r(*copy, ",", &save) : NULL; w && n < max;
	     w = strtok_r(NULL, ",", &save))
		words[n++] = w;
	return n;
}

void api_jobs_list(http_req_t *r)
{
	job_filter_t f = {.newest_first = true, .limit = LIST_LIMIT_DEFAULT};
	f.host = http_query(r, "host");
	f.name = http_query(r, "name");
	f.image = http_query(r, "image");
	enum { NQ = sizeof(list_query) / sizeof(list_query[0]) };
	cli_value_t v[NQ];
	int got[NQ];
	for (size_t i = 0; i < NQ; i++)
		if ((got[i] = query_value(r, &list_query[i], &v[i])) < 0)
			return;
	if (got[0] == 0)
		f.created_from = v[0].num;
	if (got[1] == 0)
		f.created_before = v[1].num;
	if (got[2] == 0)
		f.limit = v[2].num;
	if (got[3] == 0)
		f.below_id = v[3].num;
	/* Summaries unless asked: the rest of each job was more than a third
	 * of a page's cost on both sides of a PostgreSQL connection. */
	bool full = got[4] == 0 && v[4].num == 1;
	f.summary = !full;
	char *err = NULL, *copy = NULL;
	const char *status = http_query(r, "status");
	if (status) {
		const char *words[JOB_STATUS_COUNT + 1];
		size_t n = split_commas(status, &copy, words, JOB_STATUS_COUNT + 1);
		ops_rc_t rc = ops_status_mask_parse(words, n, &f.status_mask, &err);
		free(copy);
		if (rc != OPS_OK) {
			http_reply_error(r, 400, "?status: %s", err_str(err));
			free(err);
			return;
		}
	}
	/* One more than the page: whether an older page exists. */
	int64_t page = f.limit;
	f.limit = page + 1;
	job_t *jobs = NULL;
	size_t n = 0;
	if (store_job_list(r->store, &f, &jobs, &n, &err) < 0) {
		http_reply_ops(r, OPS_E_STORE, err);
		free(err);
		return;
	}
	/* Written as text directly: a page of jobs is most of the API's work,
	 * and a tree of it first would cost several times the time. */
	size_t shown = n > (size_t)page ? (size_t)page : n;
	strbuf_t sb = STRBUF_INIT;
	/* Room for a typical page at once (a job is about 1,000 bytes, its
	 * summary about 400, and the writer asks for 4 KiB ahead), so that the
	 * buffer is not copied again at each doubling. */
	if (sb_room(&sb, (full ? 1536 : 512) * (shown + 1)))
		sb_wrote(&sb, 0);
	sb_puts(&sb, "{\"jobs\":[");
	for (size_t i = 0; i < shown; i++) {
		if (i)
			sb_putc(&sb, ',');
		if (full)
			render_job_json_text(&sb, &jobs[i], false);
		else
			render_job_summary_text(&sb, &jobs[i]);
	}
	if (n > shown)
		sb_printf(&sb, "],\"next_cursor\":\"%lld\"}\n", (long long)jobs[shown - 1].id);
	else
		sb_puts(&sb, "],\"next_cursor\":null}\n");
	store_job_list_free(jobs, n);
	if (sb.failed) {
		sb_free(&sb);
		http_reply_error(r, 500, "out of memory");
		return;
	}
	size_t len = sb.len;
	http_reply_text(r, 200, "application/json", sb_steal(&sb), len);
}

/* Who changed a job, for its history: "api:" and the token's name, as a
 * worker is "worker:" and its id. */
#define API_ACTOR_MAX (sizeof("api:") + TOKEN_NAME_MAX)
static const char *api_actor(const http_req_t *r, char buf[API_ACTOR_MAX])
{
	snprintf(buf, API_ACTOR_MAX, "api:%s", r->token_name ? r->token_name : "?");
	return buf;
}

void api_job_get(http_req_t *r)
{
	int64_t id;
	char *err = NULL;
	/* As text, as a page is: the same object as job show --format json
	 * (unit ops-render compares the two), without its tree. */
	strbuf_t sb = STRBUF_INIT;
	ops_rc_t rc = ops_job_id_parse(r->params[0], &id, &err);
	if (rc == OPS_OK)
		rc = ops_job_show_text(r->store, id, false, &sb, &err);
	if (rc == OPS_OK)
		sb_putc(&sb, '\n');
	if (rc == OPS_OK && !sb.failed) {
		size_t len = sb.len;
		http_reply_text(r, 200, "application/json", sb_steal(&sb), len);
	} else {
		http_reply_ops(r, rc == OPS_OK ? OPS_E_STORE : rc, err ? err : "out of memory");
		sb_free(&sb);
	}
	free(err);
}

static const char *const streams[] = {"both", "stdout", "stderr", NULL};
static const cli_option_t logs_query[] = {
	{.name = "stream", .type = OPT_CHOICE, .choices = streams},
	{.name = "attempt", .type = OPT_INT, .min = 0, .max = 1000000},
	{.name = "follow", .type = OPT_CHOICE, .choices = yes_no},
};

void api_job_logs(http_req_t *r)
{
	cli_value_t sv, av, fv;
	int gs = query_value(r, &logs_query[0], &sv);
	int ga = gs < 0 ? -1 : query_value(r, &logs_query[1], &av);
	int gf = ga < 0 ? -1 : query_value(r, &logs_query[2], &fv);
	if (gs < 0 || ga < 0 || gf < 0)
		return;
	bool follow = gf == 0 && fv.num == 1;
	const char *which = gs == 0 ? sv.str : "both";
	int attempt = ga == 0 ? (int)av.num : 0;
	job_t job;
	job_init(&job);
	if (path_job(r, &job) < 0)
		return;
	char *err = NULL;
	ops_rc_t rc = ops_job_check_attempt(&job, attempt, &err);
	if (rc != OPS_OK) {
		http_reply_ops(r, rc, err);
		free(err);
		job_free(&job);
		return;
	}
	/* Followed until the job ends: a finished job's output is all stored. */
	if (follow && !job_status_is_final(job.status)) {
		api_follow_job(r, &job, strcmp(which, "stdout") == 0   ? JOB_STDOUT
					: strcmp(which, "stderr") == 0 ? JOB_STDERR
								       : JOB_STDOUT | JOB_STDERR,
			       attempt);
		job_free(&job);
		return;
	}
	strbuf_t sb = STRBUF_INIT;
	bool found = false;
	for (int k = 0; k < 2; k++) {
		job_stream_t s = k == 0 ? JOB_STDOUT : JOB_STDERR;
		if ((s == JOB_STDOUT && strcmp(which, "stderr") == 0) ||
		    (s == JOB_STDERR && strcmp(which, "stdout") == 0))
			continue;
		job_output_t out = {0};
		int g = store_output_get(r->store, job.id, attempt, s, &out, &err);
		if (g < 0) {
			http_reply_ops(r, OPS_E_STORE, err);
			free(err);
			sb_free(&sb);
			job_free(&job);
			return;
		}
		if (g == 0) {
			found = true;
			sb_append(&sb, out.data, out.len);
		}
		job_output_free(&out);
	}
	if (sb.failed) {
		http_reply_error(r, 500, "out of memory");
	} else if (!found) {
		char *note = ops_job_no_output_note(&job, attempt);
		http_reply_error(r, 404, "%s", note ? note : "no output stored");
		free(note);
	} else {
		size_t len = sb.len;
		char *text = sb_steal(&sb);
		if (!text)
			text = strdup("");
		http_reply_text(r, 200, "text/plain; charset=utf-8", text, text ? len : 0);
	}
	sb_free(&sb);
	job_free(&job);
}

void api_jobs_submit(http_req_t *r)
{
	json_t *body = http_body_json(r);
	if (!body)
		return;
	bool many = json_is_array(body);
	size_t n = many ? json_array_size(body) : 1;
	char *err = NULL;
	if (!many && !json_is_object(body)) {
		http_reply_error(r, 400, "the body must be one job (an object) or an array of jobs");
		json_decref(body);
		return;
	}
	if (n == 0 || n > SUBMIT_MAX) {
		http_reply_error(r, 400, "the array holds %zu jobs; send 1 to %d", n, SUBMIT_MAX);
		json_decref(body);
		return;
	}
	cli_args_t defaults;
	job_t *jobs = calloc(n, sizeof(*jobs));
	if (!jobs || ops_submit_defaults(&defaults, &err) < 0) {
		free(jobs);
		http_reply_error(r, 500, "%s", err ? err : "out of memory");
		free(err);
		json_decref(body);
		return;
	}
	size_t built = 0;
	for (; built < n; built++) {
		const json_t *o = many ? json_array_get(body, built) : body;
		if (ops_submit_parse_object(r->store, &defaults, o, false, &jobs[built], &err) < 0)
			break;
	}
	int64_t *ids = NULL;
	int rc = 0;
	if (built < n) {
		if (many)
			http_reply_error(r, 400, "job %zu of the array (index %zu): %s; nothing was queued",
					 built + 1, built, err_str(err));
		else
			http_reply_error(r, 400, "%s", err_str(err));
	} else if ((rc = ops_submit_store(r->store, jobs, n, 0, r->opts->engine_url, &ids,
					  &err)) != 0) {
		http_reply_ops(r, rc > 0 ? OPS_E_INVALID : OPS_E_STORE, err);
	} else {
		json_t *arr = json_array();
		for (size_t i = 0; arr && i < n; i++)
			json_array_append_new(arr, json_integer(ids[i]));
		http_reply_json(r, 201, json_pack("{s:o}", "ids", arr));
	}
	free(ids);
	free(err);
	for (size_t i = 0; i < built; i++)
		job_free(&jobs[i]);
	free(jobs);
	cli_args_free(&defaults);
	json_decref(body);
}

static const char *const outcome_names[] = {
	[OPS_CANCELLED] = "cancelled",
	[OPS_CANCELLED_LEFTOVER] = "cancelled, container left",
	[OPS_NOT_CANCELLABLE] = "not cancellable",
	[OPS_CANCEL_ERROR] = "error",
};

void api_job_cancel(http_req_t *r)
{
	json_t *body = http_body_json(r);
	if (!body)
		return;
	job_t job;
	job_init(&job);
	char *err = NULL;
	const json_t *jr = json_object_get(body, "reason");
	const char *reason = jr ? json_string_value(jr) : "Manual cancellation";
	ops_rc_t rc = OPS_OK;
	if (!json_is_object(body) || json_object_size(body) > (jr ? 1u : 0u)) {
		http_reply_error(r, 400, "the body must be {} or {\"reason\": \"TEXT\"}");
		goto out;
	}
	if (!reason) {
		http_reply_error(r, 400, "\"reason\" must be a string");
		goto out;
	}
	if ((rc = ops_cancel_reason_check(reason, &err)) != OPS_OK) {
		http_reply_ops(r, rc, err);
		goto out;
	}
	if (path_job(r, &job) < 0)
		goto out;
	if ((rc = ops_job_check_cancellable(&job, &err)) != OPS_OK) {
		http_reply_ops(r, rc, err);
		goto out;
	}
	char actor[API_ACTOR_MAX];
	ops_cancel_opts_t o = {.actor = api_actor(r, actor), .reason = reason, .grace_s = r->opts->grace_s,
			       .output_limit = r->opts->output_limit};
	ops_cancel_result_t res = {0};
	if (ops_cancel(r->store, &job.id, 1, &o, &res, &err) < 0) {
		http_reply_ops(r, OPS_E_STORE, err);
		goto out;
	}
	if (res.outcome == OPS_NOT_CANCELLABLE) {
		http_reply_error(r, 409, "%s", res.error ? res.error : "the job has finished");
	} else if (res.outcome == OPS_CANCEL_ERROR) {
		http_reply_error(r, 500, "%s", res.error ? res.error : "cannot cancel the job");
	} else {
		http_reply_json(
			r, 200,
			json_pack("{s:I, s:s, s:s, s:s?, s:s?, s:b, s:b, s:s?}", "id", (json_int_t)job.id,
				  "outcome", outcome_names[res.outcome], "was", job_status_name(res.was),
				  "host", res.host, "container", res.container, "container_removed",
				  res.container_removed, "output_kept", res.output_kept, "error",
				  res.error));
	}
	ops_cancel_results_free(&res, 1);
out:
	free(err);
	job_free(&job);
	json_decref(body);
}

static const cli_option_t retry_body[] = {OPS_RETRY_CHANGE_OPTIONS, {0}};

/* The changes a retry's body asks for, each member parsed as the option
 * of manage-jobs retry with its name: the same values, the same messages.
 * Answers 400 itself and returns -1 when one is not right. */
static int retry_changes(http_req_t *r, const json_t *body, ops_retry_changes_t *c)
{
	if (!json_is_object(body)) {
		http_reply_error(r, 400, "the body must be an object: {} or changes such as "
					 "{\"timeout\": \"2h\", \"priority\": 5}");
		return -1;
	}
	const char *key;
	const json_t *value;
	json_object_foreach((json_t *)body, key, value) {
		const cli_option_t *o = retry_body;
		while (o->name && strcmp(o->name, key) != 0)
			o++;
		if (!o->name) {
			http_reply_error(r, 400, "unknown member \"%.64s\": a retry takes timeout, "
						 "memory, cpus and priority (as manage-jobs retry)",
					 key);
			return -1;
		}
		char num[32];
		const char *text = json_string_value(value);
		if (json_is_integer(value)) {
			snprintf(num, sizeof(num), "%" JSON_INTEGER_FORMAT, json_integer_value(value));
			text = num;
		}
		cli_value_t v;
		memset(&v, 0, sizeof(v));
		char *err = NULL;
		if (!text) {
			http_reply_error(r, 400, "\"%s\" must be a string or a whole number", key);
			return -1;
		}
		if (cli_parse_value(o, text, &v, &err) < 0) {
			http_reply_error(r, 400, "%s: %s", key, err_str(err));
			free(err);
			return -1;
		}
		(void)ops_retry_change_set(c, key, v.num);
	}
	char *err = NULL;
	if (ops_retry_changes_check(c, &err) != OPS_OK) {
		http_reply_error(r, 400, "%s", err_str(err));
		free(err);
		return -1;
	}
	return 0;
}

void api_job_retry(http_req_t *r)
{
	json_t *body = http_body_json(r);
	if (!body)
		return;
	job_t job;
	job_init(&job);
	char *err = NULL, *reason = NULL;
	json_t *o = NULL;
	ops_rc_t rc = OPS_OK;
	ops_retry_changes_t changes = {0};
	if (retry_changes(r, body, &changes) < 0)
		goto out;
	if (path_job(r, &job) < 0)
		goto out;
	if ((rc = ops_job_check_retryable(&job, &err)) == OPS_OK) {
		/* 1: someone moved the job meanwhile; -1: the store failed. */
		char actor[API_ACTOR_MAX];
		int moved = ops_retry(r->store, &job, &changes, api_actor(r, actor), &reason, &err);
		rc = moved == 1 ? OPS_E_CONFLICT : moved < 0 ? OPS_E_STORE : OPS_OK;
	}
	if (rc == OPS_OK)
		rc = ops_job_show(r->store, job.id, false, &o, &err);
	if (rc == OPS_OK)
		http_reply_json(r, 200, o);
	else
		http_reply_ops(r, rc, err);
out:
	free(reason);
	free(err);
	job_free(&job);
	json_decref(body);
}
