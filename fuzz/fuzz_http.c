/*
 * fuzz/fuzz_http.c: a raw HTTP request, as a client could send it, through
 * the server's router (http/route.c) and the readers of its JSON bodies
 * (ops/submit.c for jobs, as POST /api/v1/jobs reads them). A request is
 * either routed or not (with or without another method for its path); a
 * body is either jobs that pass validate_job or one message saying why
 * not; nothing crashes, leaks or reads out of bounds.
 */
#include <assert.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/validate.h"
#include "http/internal.h"
#include "ops/submit.h"

static store_t *store;
static char dir[] = "/tmp/cjobs-fuzz-XXXXXX";

/* The store and its directory go when the fuzzer ends. */
static void remove_store(void)
{
	store_close(store);
	char cmd[64];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	if (system(cmd) != 0)
		return;
}

/* A store to look templates and hosts up in, made once, empty. */
static store_t *fuzz_store(void)
{
	if (store)
		return store;
	if (!mkdtemp(dir))
		abort();
	char *path = NULL, *err = NULL;
	if (asprintf(&path, "%s/store.db", dir) < 0 || store_open(path, true, &store, &err) < 0)
		abort();
	free(path);
	atexit(remove_store);
	return store;
}

static void read_jobs(const char *body, size_t len)
{
	json_error_t je;
	json_t *j = json_loadb(body, len, 0, &je);
	if (!j)
		return;
	cli_args_t defaults;
	char *err = NULL;
	if (ops_submit_defaults(&defaults, &err) < 0)
		abort();
	size_t n = json_is_array(j) ? json_array_size(j) : 1;
	for (size_t i = 0; i < n && i < 64; i++) {
		const json_t *o = json_is_array(j) ? json_array_get(j, i) : j;
		job_t job;
		job_init(&job);
		if (ops_submit_parse_object(fuzz_store(), &defaults, o, false, &job, &err) == 0) {
			char *again = NULL;
			assert(validate_job(&job, &again) == 0);
			job_free(&job);
		} else {
			assert(err && *err);
			free(err);
			err = NULL;
		}
	}
	cli_args_free(&defaults);
	json_decref(j);
}

/* The query's parameter names ("a=1&b" gives a, b) against the route: an
 * answer either way, and a refusal always says why. */
static void check_query(const http_route_t *rt, char *query)
{
	const char *names[32], *values[32];
	size_t n = 0;
	for (char *save = NULL, *w = query ? strtok_r(query, "&", &save) : NULL; w && n < 32;
	     w = strtok_r(NULL, "&", &save)) {
		char *eq = strchr(w, '=');
		if (eq)
			*eq = '\0';
		values[n] = eq ? eq + 1 : NULL;
		names[n++] = w;
	}
	char *err = NULL;
	if (http_route_query_check(rt, names, values, n, &err) < 0)
		assert(err && *err);
	else
		assert(!err);
	free(err);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* "METHOD PATH[?QUERY] HTTP/1.1\r\n" headers "\r\n\r\n" body */
	char *text = malloc(size + 1);
	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	char *line_end = strstr(text, "\r\n");
	char *body = strstr(text, "\r\n\r\n");
	if (line_end)
		*line_end = '\0';
	char *sp1 = strchr(text, ' ');
	char *path = sp1 ? sp1 + 1 : NULL;
	char *sp2 = path ? strchr(path, ' ') : NULL;
	if (sp1 && sp2) {
		*sp1 = '\0';
		*sp2 = '\0';
		char *q = strchr(path, '?');
		if (q)
			*q = '\0';
		const char *params[HTTP_PARAMS_MAX] = {0};
		size_t np = 0;
		bool known = false;
		const http_route_t *rt = http_route_find(text, path, params, &np, &known);
		if (rt) {
			assert(strcmp(rt->method, text) == 0);
			for (size_t i = 0; i < np; i++)
				assert(params[i] && *params[i] && !strchr(params[i], '/'));
			check_query(rt, q ? q + 1 : NULL);
		}
		if (body && rt && strcmp(rt->path, "/api/v1/jobs") == 0 && strcmp(text, "POST") == 0) {
			size_t off = (size_t)(body + 4 - text);
			read_jobs((const char *)data + off, size - off);
		}
	}
	free(text);
	return 0;
}
