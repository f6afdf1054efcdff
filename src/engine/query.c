/*
 * engine/query.c: the operations that only read: info (ping, /version,
 * /info), inspect, list by label, and one stats sample.
 *
 * Each turns the engine's JSON into the flat records of engine.h whose
 * strings point into the parsed answer, valid during the callback only.
 * Must never change anything on the engine, and never report a field the
 * engine did not send as if it had (stats use -1 for "not reported").
 */
#include "engine/internal.h"
#include "engine/parse.h"

#include <stdlib.h>
#include <string.h>


/* ---- info ---- */

typedef struct {
	engine_info_fn cb;
	void *ud;
	json_t *version;          /* the answer of /version */
} info_ctx_t;

static void info_ctx_free(void *p)
{
	info_ctx_t *c = p;
	if (c)
		json_decref(c->version);
	free(c);
}

static void info_done(engine_req_t *r, const engine_status_t *st)
{
	info_ctx_t *c = r->ctx;
	engine_status_t s = *st;
	json_t *j = s.ok ? req_json(r, &s) : NULL;
	if (!s.ok) {
		c->cb(c->ud, &s, NULL);
		json_decref(j);
		return;
	}
	const char *os = jstr(j, "OperatingSystem");
	engine_info_t info = {
		.version = jstr(c->version, "Version"),
		.api_version = r->e->api,
		.os = os && *os ? os : jstr(c->version, "Os"),
		.containers_running = jint(j, "ContainersRunning", -1),
		.cpus = jint(j, "NCPU", -1),
		.memory_bytes = jint(j, "MemTotal", -1),
	};
	if (!info.version)
		info.version = "";
	if (!info.os)
		info.os = "";
	c->cb(c->ud, &s, &info);
	json_decref(j);
}

static void version_done(engine_req_t *r, const engine_status_t *st)
{
	info_ctx_t *c = r->ctx;
	engine_status_t s = *st;
	json_t *j = s.ok ? req_json(r, &s) : NULL;
	if (!s.ok) {
		c->cb(c->ud, &s, NULL);
		return;
	}
	engine_req_t *next = req_new(r->e, "GET", 0, info_done);
	if (!next) {
		json_decref(j);
		c->cb(c->ud, engine_oom_status(), NULL);
		return;
	}
	c->version = j;
	next->ctx = c; /* the state moves on to the second request */
	next->ctx_free = info_ctx_free;
	r->ctx = NULL;
	r->ctx_free = NULL;
	req_path(next, "/info");
	req_submit(next);
}

void engine_info(engine_t *e, engine_info_fn cb, void *ud)
{
	engine_req_t *r = req_new(e, "GET", 0, version_done);
	info_ctx_t *c = r ? calloc(1, sizeof(*c)) : NULL;
	if (!c) {
		if (r)
			req_abort(r);
		cb(ud, req_new_failure(e), NULL);
		return;
	}
	c->cb = cb;
	c->ud = ud;
	r->ctx = c;
	r->ctx_free = info_ctx_free;
	/* A fresh ping, so that info doubles as a health check and picks up
	 * an engine upgraded since the last negotiation. */
	e->api_ok = false;
	req_path(r, "/version");
	req_submit(r);
}

/* ---- inspect ---- */

typedef struct {
	engine_inspect_fn cb;
	void *ud;
} inspect_ctx_t;

static void inspect_done(engine_req_t *r, const engine_status_t *st)
{
	inspect_ctx_t *c = r->ctx;
	engine_status_t s = *st;
	json_t *j = s.ok ? req_json(r, &s) : NULL;
	if (!s.ok) {
		c->cb(c->ud, &s, NULL);
		return;
	}
	engine_container_t ct;
	bool complete = parse_inspect(j, &ct);
	if (!complete) {
		req_error(r, &s, "the answer to GET %s has no Id or State", r->path.buf);
		c->cb(c->ud, &s, NULL);
	} else {
		c->cb(c->ud, &s, &ct);
	}
	json_decref(j);
}

void engine_inspect(engine_t *e, const char *id, engine_inspect_fn cb, void *ud)
{
	engine_req_t *r = req_new(e, "GET", sizeof(inspect_ctx_t), inspect_done);
	if (!r) {
		cb(ud, req_new_failure(e), NULL);
		return;
	}
	inspect_ctx_t *c = r->ctx;
	c->cb = cb;
	c->ud = ud;
	req_path(r, "/containers/");
	req_path_enc(r, id ? id : "");
	req_path(r, "/json");
	req_submit(r);
}

/* ---- list ---- */

typedef struct {
	engine_list_fn cb;
	void *ud;
} list_ctx_t;

#define LIST_BODY_MAX (64u << 20) /* thousands of containers are legitimate */

static void list_done(engine_req_t *r, const engine_status_t *st)
{
	list_ctx_t *c = r->ctx;
	engine_status_t s = *st;
	json_t *j = s.ok ? req_json(r, &s) : NULL;
	if (s.ok && !json_is_array(j))
		req_error(r, &s, "the answer to GET /containers/json is not a list");
	if (!s.ok) {
		c->cb(c->ud, &s, NULL, 0);
		json_decref(j);
		return;
	}
	size_t n = json_array_size(j), k = 0;
	engine_container_t *list = calloc(n ? n : 1, sizeof(*list));
	if (!list) {
		req_error(r, &s, "out of memory");
		c->cb(c->ud, &s, NULL, 0);
		json_decref(j);
		return;
	}
	for (size_t i = 0; i < n; i++) {
		if (parse_list_item(json_array_get(j, i), &list[k])) /* no Id: of no use */
			k++;
	}
	c->cb(c->ud, &s, list, k);
	free(list);
	json_decref(j);
}

void engine_list(engine_t *e, const char *label_key, const char *label_value,
		 engine_list_fn cb, void *ud)
{
	engine_req_t *r = req_new(e, "GET", sizeof(list_ctx_t), list_done);
	if (!r) {
		cb(ud, req_new_failure(e), NULL, 0);
		return;
	}
	list_ctx_t *c = r->ctx;
	c->cb = cb;
	c->ud = ud;
	r->body_max = LIST_BODY_MAX;
	req_path(r, "/containers/json?all=1");
	if (label_key) {
		req_path(r, "&");
		req_filters(r, NULL, label_key, label_value);
	}
	req_submit(r);
}

/* ---- stats ---- */

typedef struct {
	engine_stats_fn cb;
	void *ud;
} stats_ctx_t;

static void stats_done(engine_req_t *r, const engine_status_t *st)
{
	stats_ctx_t *c = r->ctx;
	engine_status_t s = *st;
	/* Podman (4.3, cgroup v1) sends usage_in_usermode as an unsigned
	 * number that wrapped below zero (18446744073707335237), beyond what
	 * a JSON integer may hold here: read every number as a double, so
	 * that one field nobody reads does not make the whole answer
	 * unreadable. jint turns the ones we read back into integers. */
	json_t *j = s.ok ? req_json_flags(r, &s, JSON_DECODE_INT_AS_REAL) : NULL;
	if (!s.ok) {
		c->cb(c->ud, &s, NULL);
		return;
	}
	engine_stats_t out;
	parse_stats(j, &out);
	c->cb(c->ud, &s, &out);
	json_decref(j);
}

void engine_stats(engine_t *e, const char *id, engine_stats_fn cb, void *ud)
{
	engine_req_t *r = req_new(e, "GET", sizeof(stats_ctx_t), stats_done);
	if (!r) {
		cb(ud, req_new_failure(e), NULL);
		return;
	}
	stats_ctx_t *c = r->ctx;
	c->cb = cb;
	c->ud = ud;
	req_path(r, "/containers/");
	req_path_enc(r, id ? id : "");
	req_path(r, "/stats?stream=false");
	/* one-shot skips the second sample the engine would otherwise wait
	 * a second for; the version is only known once the request leaves,
	 * and engines before 1.41 ignore the unknown parameter. */
	req_path(r, "&one-shot=true");
	req_submit(r);
}
