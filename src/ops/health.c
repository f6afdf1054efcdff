/*
 * ops/health.c: checking executor hosts' engines, all at once, within a
 * bound; see ops.h. Nothing here prints.
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
#include "ops/render.h"
#include "util/err.h"
#include "util/strbuf.h"
#include "util/timeutil.h"

/* ========================================================== health check */

typedef struct {
	ops_check_t *c;
	int64_t started;      /* mono_us(); -1 once answered */
	const char *url;
	int timeout_s;
	bool *done;
	int *pending;
} check_op_t;

/* Milliseconds since a mono_us() reading, to the nearest: whole
 * milliseconds read at both ends could show a wait of the full timeout as
 * one millisecond short of it. */
static int64_t ms_since(int64_t started_us)
{
	return (mono_us() - started_us + 500) / 1000;
}

/* The one message for a host that took the connection and never answered,
 * whichever timer noticed first: the engine's request timeout or the
 * check's own deadline. */
static char *no_answer(const char *url, int timeout_s)
{
	char *msg = NULL;
	if (asprintf(&msg, "no answer from %s within %ds", url, timeout_s) < 0)
		return NULL;
	return msg;
}

static void on_info(void *ud, const engine_status_t *st, const engine_info_t *info)
{
	check_op_t *op = ud;
	ops_check_t *c = op->c;
	c->response_ms = ms_since(op->started);
	if (st->ok && info) {
		c->ok = true;
		c->engine_version = ops_dup_or_null(info->version ? info->version : "?");
		c->api_version = ops_dup_or_null(info->api_version ? info->api_version : "?");
		c->os = ops_dup_or_null(info->os);
		c->containers_running = info->containers_running;
	} else {
		c->timed_out = st->timed_out;
		if (st->timed_out && !st->unreachable)
			c->error = no_answer(op->url, op->timeout_s);
		else
			c->error = strdup(st->error ? st->error : "the engine did not answer");
	}
	op->started = -1;  /* answered */
	if (--*op->pending == 0)
		*op->done = true;
}

int ops_check_hosts(store_t *s, const host_t *hosts, size_t n, int timeout_s, ops_check_t *out,
		    char **err)
{
	memset(out, 0, n * sizeof(*out));
	for (size_t i = 0; i < n; i++) {
		out[i].containers_running = -1;
		out[i].jobs_active = -1;
	}
	engine_loop_t *loop = engine_loop_new();
	check_op_t *ops = calloc(n ? n : 1, sizeof(*ops));
	engine_t **engines = calloc(n ? n : 1, sizeof(*engines));
	if (!loop || !ops || !engines) {
		if (loop)
			engine_loop_free(loop);
		free(ops);
		free(engines);
		return err_set(err, "cannot set up the engine request loop");
	}
	long timeout_ms = (long)timeout_s * 1000;
	bool done = false;
	int pending = 0;
	int64_t start = mono_us();
	for (size_t i = 0; i < n; i++) {
		ops[i] = (check_op_t){.c = &out[i], .started = mono_us(), .url = hosts[i].url,
				      .timeout_s = timeout_s, .done = &done, .pending = &pending};
		char *e = NULL;
		if (ops_engine_for_host(loop, &hosts[i], timeout_ms, &engines[i], &e) < 0) {
			out[i].error = e ? e : strdup("cannot set up the engine");
			ops[i].started = -1;
			continue;
		}
		pending++;
		engine_info(engines[i], on_info, &ops[i]);
	}
	if (pending > 0)
		engine_loop_until(loop, &done, timeout_ms);
	for (size_t i = 0; i < n; i++) {
		if (ops[i].started >= 0) {
			/* Still waiting: the callback will never come now. */
			out[i].timed_out = true;
			out[i].response_ms = ms_since(start);
			out[i].error = no_answer(hosts[i].url, timeout_s);
		}
		engine_free(engines[i]);
	}
	engine_loop_free(loop);
	free(ops);
	free(engines);
	for (size_t i = 0; i < n; i++) {
		ops_check_t *c = &out[i];
		char *e = NULL;
		if (store_job_active_on(s, hosts[i].name, &c->jobs_active, &e) < 0) {
			c->jobs_active = -1;
			free(e);
			e = NULL;
		}
		char *msg = NULL;
		if (c->ok) {
			if (asprintf(&msg, "engine %s (API %s), %lld container(s) running",
				     c->engine_version, c->api_version,
				     (long long)c->containers_running) < 0)
				msg = NULL;
		}
		if (store_host_checked(s, hosts[i].name, c->ok,
				       c->ok ? msg : (c->error ? c->error : "unknown error"), &e) == 0)
			c->recorded = true;
		else
			c->record_error = e ? e : strdup("cannot record the result");
		if (c->recorded)
			free(e);
		free(msg);
	}
	return 0;
}

void ops_check_free(ops_check_t *c, size_t n)
{
	for (size_t i = 0; c && i < n; i++) {
		free(c[i].error);
		free(c[i].engine_version);
		free(c[i].api_version);
		free(c[i].os);
		free(c[i].record_error);
	}
}

const char *ops_check_state(const ops_check_t *c)
{
	return c->ok ? "healthy" : c->timed_out ? "timed out" : "unreachable";
}

static json_t *num_or_null(int64_t v)
{
	return v >= 0 ? json_integer(v) : json_null();
}

json_t *ops_check_json(const host_t *h, const ops_check_t *c)
{
	json_t *o = json_object();
	if (!o)
		return NULL;
	json_object_set_new(o, "name", json_string(h->name));
	json_object_set_new(o, "url", json_string(h->url));
	json_object_set_new(o, "enabled", json_boolean(h->enabled));
	json_object_set_new(o, "healthy", json_boolean(c->ok));
	json_object_set_new(o, "status", json_string(ops_check_state(c)));
	json_object_set_new(o, "error", render_str_or_null(c->error));
	json_object_set_new(o, "engine_version", render_str_or_null(c->engine_version));
	json_object_set_new(o, "api_version", render_str_or_null(c->api_version));
	json_object_set_new(o, "os", render_str_or_null(c->os));
	json_object_set_new(o, "containers_running", num_or_null(c->containers_running));
	json_object_set_new(o, "jobs_active", num_or_null(c->jobs_active));
	json_object_set_new(o, "max_jobs", json_integer(h->max_jobs));
	json_object_set_new(o, "response_ms", json_integer(c->response_ms));
	json_object_set_new(o, "recorded", json_boolean(c->recorded));
	return o;
}
