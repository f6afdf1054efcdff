/*
 * http/route.c: the API's route table, the router that reads it, and the
 * OpenAPI document made from it. A route exists only by being listed
 * here, with its scope, its documentation and an example request that the
 * test suite sends to a running server (tests/cli/t1010-api-examples.sh).
 */
#include "http/internal.h"

#include <stdio.h>
#include <string.h>

#include "util/err.h"

#define SCOPE_NONE TOKEN_SCOPE_NONE
#define READ TOKEN_SCOPE_READ
#define SUBMIT TOKEN_SCOPE_SUBMIT
#define ADMIN TOKEN_SCOPE_ADMIN

const http_route_t http_routes[] = {
	{"GET", "/healthz", SCOPE_NONE, api_healthz, "whether the server and its store answer",
	 "For load balancers and supervisors: 200 {\"ok\": true} when the server can read its "
	 "job store, 503 with the reason when it cannot. Needs no token.",
	 NULL, NULL, "GET /healthz", 200, "{\"ok\": true, \"store\": \"SQLite\"}"},
	{"GET", "/api/v1/openapi.json", SCOPE_NONE, api_openapi, "this API, as OpenAPI 3",
	 "The document is made from the same table that routes the requests, so it lists "
	 "exactly the endpoints the server has. Needs no token.",
	 NULL, NULL, "GET /api/v1/openapi.json", 200, "an OpenAPI 3.0 document"},
	{"POST", "/api/v1/session", SCOPE_NONE, api_session_create, "sign the dashboard in",
	 "Checks the token and sets it in a cookie (HttpOnly, SameSite=Strict, Secure over "
	 "HTTPS) that later requests of the browser carry instead of an Authorization header. "
	 "The answer's csrf value must be sent back in an X-CSRF-Token header with every POST "
	 "and DELETE that the cookie authenticates.",
	 NULL, "{\"token\": \"cjobs_...\"}", "POST /api/v1/session {\"token\": \"cjobs_wrong\"}",
	 401, "{\"name\": \"ops\", \"scope\": \"admin\", \"csrf\": \"...\"}"},
	{"GET", "/api/v1/session", READ, api_session_get, "who is signed in",
	 "The token's name and scope, and the CSRF value, for the dashboard after a reload.",
	 NULL, NULL, "GET /api/v1/session", 200,
	 "{\"name\": \"ops\", \"scope\": \"admin\", \"csrf\": \"...\"}"},
	{"DELETE", "/api/v1/session", READ, api_session_delete, "sign the dashboard out",
	 "Clears the session cookie. The token itself stays valid ('cjobs token revoke' ends "
	 "it).",
	 NULL, NULL, NULL, 0, "204, no body"},
	{"GET", "/api/v1/jobs", READ, api_jobs_list, "list jobs, newest first",
	 "A page of jobs, newest first, each as a summary: the members of the object of GET "
	 "/api/v1/jobs/ID that a list shows (id, name, status, image, priority, not_before, "
	 "waiting_on, host, max_retries, attempt, exit_code, created_at, queued_at, "
	 "started_at, finished_at, last_error, ran_on, schedule_id), or with full=1 that "
	 "whole object without its history and output sizes. next_cursor, when not null, "
	 "gives the next (older) page.",
	 "status: comma-separated statuses (queued, launching, running, completed, failed, "
	 "timeout, cancelled)\n"
	 "host: pinned to or ran on this host\n"
	 "name: the job's name, exactly\n"
	 "image: the job's image, exactly\n"
	 "since: created at or after this time (2026-11-24T22:00:00Z, -1h, @UNIXSECONDS)\n"
	 "until: created before this time\n"
	 "limit: jobs per page, 1 to 1000 (default 50)\n"
	 "cursor: the next_cursor of the previous page\n"
	 "full: 1 for whole job objects (as 'cjobs job list --format json' prints them); 0 "
	 "or absent for summaries",
	 NULL, "GET /api/v1/jobs?status=completed,failed&limit=2", 200,
	 "{\"jobs\": [JOB SUMMARY, ...], \"next_cursor\": \"41\"}", true},
	{"POST", "/api/v1/jobs", SUBMIT, api_jobs_submit, "queue one job, or many all or nothing",
	 "The body is one job, or an array of jobs stored in one transaction (all or nothing). "
	 "A job is an object in exactly the format of a line of 'cjobs job submit --file': the "
	 "long option names of 'cjobs job submit' as keys (image, name, env, priority, "
	 "timeout, memory, cpus, max-retries, ...) and \"command\", a list of strings. "
	 "\"env-file\", \"file\" and \"count\" are the command line's only. Every job is "
	 "checked before any is stored; an error names the job and the key. The ids answered are "
	 "in the order of the jobs; jobs that name each other in \"after\" get their ids stage "
	 "by stage, as the lines of 'cjobs job submit --file' do.",
	 NULL, "a job object, or an array of up to 100,000 of them",
	 "POST /api/v1/jobs {\"image\": \"cjobs-test/busybox:1\", \"name\": \"api-example\", "
	 "\"command\": [\"echo\", \"hi\"]}",
	 201, "{\"ids\": [42]}"},
	{"GET", "/api/v1/jobs/{id}", READ, api_job_get, "one job, with its history",
	 "Exactly the object of 'cjobs job show ID --format json': the job's fields, its "
	 "history, and the sizes of its latest stored output. Values of secret-looking "
	 "environment keys are masked.",
	 NULL, NULL, "GET /api/v1/jobs/1", 200, "JOB", true},
	{"GET", "/api/v1/jobs/{id}/logs", READ, api_job_logs, "a job's output, byte for byte",
	 "The output exactly as captured, as text/plain: stdout, stderr, or both (stdout "
	 "first). 404 with the reason when nothing is stored for that attempt. With "
	 "follow=1 and a job not yet ended, the answer streams its output as it is written "
	 "until the job ends, as 'cjobs job logs --follow' does: it waits while the job is "
	 "queued, goes on through its retries (each attempt's output after the one "
	 "before), and ends when the job ends or the server stops; at most "
	 API_FOLLOWS_MAX_TEXT(API_FOLLOWS_MAX) " at once "
	 "(503 beyond). A finished job's stored output is answered at once.",
	 "stream: stdout, stderr or both (default both)\n"
	 "attempt: which attempt, 1 up; 0 or absent for the latest (with follow=1: the "
	 "first one given)\n"
	 "follow: 1 to stream the output until the job ends; 0 or absent for what is "
	 "stored now",
	 NULL, "GET /api/v1/jobs/1/logs?stream=stdout", 200, "the bytes of the output"},
	{"POST", "/api/v1/jobs/{id}/cancel", ADMIN, api_job_cancel, "cancel a job",
	 "As 'cjobs manage-jobs cancel --job-id ID': a queued job ends cancelled at once; a "
	 "running job's container is stopped (SIGTERM, then SIGKILL after the server's "
	 "--grace), its output so far kept, and removed. 409 when the job has finished.",
	 NULL, "{\"reason\": \"why\"} (default \"Manual cancellation\")",
	 "POST /api/v1/jobs/1/cancel {\"reason\": \"not needed\"}", 409,
	 "{\"id\": 5, \"outcome\": \"cancelled\", \"was\": \"running\", ...}"},
	{"POST", "/api/v1/jobs/{id}/retry", ADMIN, api_job_retry,
	 "queue a failed or timed-out job again",
	 "As 'cjobs manage-jobs retry --job-id ID': the job is queued for its next attempt; "
	 "its earlier attempts' output and history stay. 409 unless it failed or timed out. "
	 "The body may change the job first, as that command's options do, with their "
	 "values and messages (400 for a bad one, and nothing changes); the history's "
	 "reason lists the changes.",
	 NULL,
	 "{} or any of {\"timeout\": \"2h\" (0: no limit), \"memory\": \"1g\" (at least "
	 "6m), \"cpus\": \"0.5\" (0: no limit), \"priority\": 5}",
	 "POST /api/v1/jobs/2/retry {\"timeout\": \"2h\"}", 200, "JOB"},
	{"GET", "/api/v1/hosts", READ, api_hosts_list, "the executor hosts",
	 "Each host as 'cjobs host list --format json' shows it, with its last health check.",
	 NULL, NULL, "GET /api/v1/hosts", 200, "{\"hosts\": [HOST, ...]}"},
	{"GET", "/api/v1/hosts/{name}/health", ADMIN, api_host_health,
	 "check one host's engine now",
	 "As 'cjobs manage-jobs health-check --host NAME': asks the engine, records the result "
	 "on the host, and answers it. 200 whether the engine answered or not (see ok).",
	 NULL, NULL, "GET /api/v1/hosts/local/health", 200,
	 "{\"name\": \"local\", \"ok\": true, \"engine_version\": \"...\", ...}"},
	{"GET", "/api/v1/status", READ, api_status, "jobs by status and the ready queue",
	 "How many jobs are in each status, how many queued ones are ready, and the oldest "
	 "ready job's wait.",
	 NULL, NULL, "GET /api/v1/status", 200,
	 "{\"total\": 3, \"counts\": {...}, \"queue\": {...}}"},
	{"GET", "/api/v1/report", READ, api_report, "statistics over a period",
	 "The object of 'cjobs manage-jobs report --format json': per status counts, success "
	 "rate, queue wait and run time (average, median, 95th percentile, maximum), peak "
	 "memory and CPU time, in all, per host and per image, for the jobs that finished (or, "
	 "unfinished, were created) in the period.",
	 "since: start of the period (default 7 days before until), as --since takes it\n"
	 "until: end of the period, exclusive (default now)\n"
	 "host: only jobs pinned to or run on this host",
	 NULL, "GET /api/v1/report?host=local", 200,
	 "{\"since\": \"...\", \"until\": \"...\", \"overall\": {...}, \"by_host\": [...], "
	 "\"by_image\": [...]}"},
	{"GET", "/api/v1/timeline", READ, api_timeline,
	 "the queue minute by minute, for the dashboard's plot",
	 "For each minute of the last hour or day: the jobs waiting (queued or launching) and "
	 "running at its end, and how many times a job finished in it (a job retried by hand "
	 "and finished again counts again), from the jobs' history: it reads the period's "
	 "changes, not every job.",
	 "range: hour (60 points) or day (1440 points); default hour", NULL,
	 "GET /api/v1/timeline?range=hour", 200,
	 "{\"range\": \"hour\", \"step_seconds\": 60, \"points\": [{\"at\": \"...\", "
	 "\"queued\": 3, \"running\": 1, \"finished\": 5}, ...]}"},
	{"GET", "/metrics", READ, api_metrics, "metrics in the Prometheus text format",
	 "Jobs by status and host, the ready queue's depth and its oldest job's wait, the run "
	 "time of finished jobs as a histogram, each host's engine health and each worker's "
	 "heartbeat. Scrape it with a read token (bearer_token in Prometheus's scrape "
	 "configuration).",
	 NULL, NULL, "GET /metrics", 200, "text/plain; version=0.0.4"},
	{NULL, NULL, SCOPE_NONE, NULL, NULL, NULL, NULL, NULL, NULL, 0, NULL},
};

/* Whether path matches pattern, collecting its {x} segments. */
static bool match(const char *pattern, const char *path, const char *params[HTTP_PARAMS_MAX],
		  size_t *np, char seg_buf[HTTP_PARAMS_MAX][256])
{
	size_t n = 0;
	const char *p = pattern, *q = path;
	while (*p && *q) {
		if (*p == '{') {
			const char *pe = strchr(p, '}');
			const char *qe = strchr(q, '/');
			size_t len = qe ? (size_t)(qe - q) : strlen(q);
			if (!pe || len == 0 || len >= 256 || n == HTTP_PARAMS_MAX)
				return false;
			memcpy(seg_buf[n], q, len);
			seg_buf[n][len] = '\0';
			params[n] = seg_buf[n];
			n++;
			p = pe + 1;
			q += len;
			continue;
		}
		if (*p != *q)
			return false;
		p++;
		q++;
	}
	*np = n;
	return !*p && !*q;
}

static __thread char segments[HTTP_PARAMS_MAX][256];

const http_route_t *http_route_find(const char *method, const char *path,
				    const char *params[HTTP_PARAMS_MAX], size_t *nparams,
				    bool *path_known)
{
	*path_known = false;
	for (const http_route_t *rt = http_routes; rt->method; rt++) {
		size_t n = 0;
		if (!match(rt->path, path, params, &n, segments))
			continue;
		if (strcmp(rt->method, method) == 0) {
			*nparams = n;
			return rt;
		}
		*path_known = true;
	}
	return NULL;
}

bool http_query_doc_next(const char **cursor, http_query_doc_t *out)
{
	for (const char *q = *cursor; q && *q;) {
		const char *end = strchr(q, '\n');
		if (!end)
			end = q + strlen(q);
		const char *colon = memchr(q, ':', (size_t)(end - q));
		const char *next = *end ? end + 1 : end;
		if (colon) {
			const char *desc = colon + 1 < end && colon[1] == ' ' ? colon + 2 : colon + 1;
			*out = (http_query_doc_t){q, (size_t)(colon - q), desc, (size_t)(end - desc)};
			*cursor = next;
			return true;
		}
		q = next;
	}
	return false;
}

/* Whether the route's query documentation names the parameter name. */
static bool route_takes(const http_route_t *rt, const char *name)
{
	size_t len = strlen(name);
	http_query_doc_t d;
	for (const char *q = rt->query; http_query_doc_next(&q, &d);)
		if (d.name_len == len && memcmp(d.name, name, len) == 0)
			return true;
	return false;
}

/* The names the route takes, ", "-separated, into buf. */
static void route_query_names(const http_route_t *rt, char *buf, size_t size)
{
	size_t o = 0;
	buf[0] = '\0';
	http_query_doc_t d;
	for (const char *q = rt->query; o < size && http_query_doc_next(&q, &d);) {
		int w = snprintf(buf + o, size - o, "%s%.*s", o ? ", " : "", (int)d.name_len, d.name);
		o += w > 0 ? (size_t)w : 0;
	}
}

int http_route_query_check(const http_route_t *rt, const char *const *names,
			   const char *const *values, size_t n, char **err)
{
	for (size_t i = 0; i < n; i++) {
		if (!route_takes(rt, names[i])) {
			char takes[256];
			route_query_names(rt, takes, sizeof(takes));
			if (!takes[0])
				return err_set(err, "unknown query parameter '%.100s': %s %s takes none",
					       names[i], rt->method, rt->path);
			return err_set(err, "unknown query parameter '%.100s': %s %s takes %s",
				       names[i], rt->method, rt->path, takes);
		}
		for (size_t k = 0; k < i; k++)
			if (strcmp(names[k], names[i]) == 0)
				return err_set(err, "?%s: given more than once; give it once",
					       names[i]);
		if (!values[i] || !*values[i])
			return err_set(err, "?%s: needs a value (?%s=VALUE)", names[i], names[i]);
	}
	return 0;
}

/* ---- the OpenAPI document ---- */

static json_t *parameters(const http_route_t *rt)
{
	json_t *v = json_array();
	for (const char *p = strchr(rt->path, '{'); v && p; p = strchr(p + 1, '{')) {
		const char *e = strchr(p, '}');
		json_array_append_new(v, json_pack("{s:s%, s:s, s:b, s:{s:s}}", "name", p + 1,
						   (size_t)(e - p - 1), "in", "path", "required", 1,
						   "schema", "type", "string"));
	}
	http_query_doc_t d;
	for (const char *q = rt->query; v && http_query_doc_next(&q, &d);)
		json_array_append_new(v, json_pack("{s:s%, s:s, s:b, s:s%, s:{s:s}}", "name", d.name,
						   d.name_len, "in", "query", "required", 0,
						   "description", d.what, d.what_len, "schema", "type",
						   "string"));
	return v;
}

static json_t *operation(const http_route_t *rt)
{
	char status[8];
	snprintf(status, sizeof(status), "%d",
		 strcmp(rt->method, "POST") == 0 && strcmp(rt->path, "/api/v1/jobs") == 0 ? 201
		 : strcmp(rt->method, "DELETE") == 0					  ? 204
											  : 200);
	json_t *op = json_pack(
		"{s:s, s:s, s:o, s:{s:{s:s}, s:{s:s}, s:{s:s}, s:{s:s}, s:{s:s}}}", "summary",
		rt->summary, "description", rt->description, "parameters", parameters(rt),
		"responses", status, "description", rt->answers, "400", "description",
		"the request is malformed: {\"error\": \"...\"}", "401", "description",
		"no token, or an unknown or revoked one", "403", "description",
		"the token's scope is too small, or a cookie request lacks X-CSRF-Token", "404",
		"description", "no such job, host or endpoint");
	if (!op)
		return NULL;
	if (rt->body)
		json_object_set_new(op, "requestBody",
				    json_pack("{s:s, s:{s:{s:{s:s}}}}", "description", rt->body,
					      "content", "application/json", "schema", "type",
					      "object"));
	if (rt->scope != TOKEN_SCOPE_NONE)
		json_object_set_new(op, "security", json_pack("[{s:[s]}]", "bearer",
							       token_scope_name(rt->scope)));
	else
		json_object_set_new(op, "security", json_array());
	json_object_set_new(op, "x-cjobs-scope", json_string(token_scope_name(rt->scope)));
	if (rt->example) {
		json_object_set_new(op, "x-cjobs-example", json_string(rt->example));
		json_object_set_new(op, "x-cjobs-example-status", json_integer(rt->example_status));
	}
	return op;
}

json_t *http_openapi(void)
{
	json_t *paths = json_object();
	for (const http_route_t *rt = http_routes; paths && rt->method; rt++) {
		json_t *item = json_object_get(paths, rt->path);
		if (!item) {
			item = json_object();
			json_object_set_new(paths, rt->path, item);
		}
		char method[8];
		size_t i = 0;
		for (; rt->method[i] && i < sizeof(method) - 1; i++)
			method[i] = (char)(rt->method[i] | 0x20);
		method[i] = '\0';
		json_object_set_new(item, method, operation(rt));
	}
	return json_pack(
		"{s:s, s:{s:s, s:s, s:s}, s:o, s:{s:{s:{s:s, s:s, s:s}}}}", "openapi", "3.0.3",
		"info", "title", "cjobs", "version", CJOBS_VERSION, "description",
		"The HTTP API of cjobs serve: the same operations, checks and messages as the "
		"command line. Every request under /api/v1 except the session sign-in and this "
		"document needs 'Authorization: Bearer TOKEN' ('cjobs token create'). A query "
		"parameter that an endpoint does not list, one given twice, or one without a value "
		"is refused with 400 "
		"(once the token is checked) before anything is read or changed, as the command "
		"line refuses an unknown option.",
		"paths", paths, "components", "securitySchemes", "bearer", "type", "http",
		"scheme", "bearer", "description", "a token of 'cjobs token create'; scopes read < "
		"submit < admin");
}
