/*
 * engine/internal.h: what the engine's own files share, and nothing else
 * may include: the loop, the engine, and the request object.
 *
 * Ownership, which every file here relies on:
 *  - The loop owns the curl multi handle and a queue of finished requests
 *    whose callbacks are still to be called ("done" queue).
 *  - An engine owns its requests (list `reqs`) and its open event streams.
 *  - A request is in exactly one place: waiting for the version ping
 *    (engine's `waiting`), in flight (in the multi handle), finished (the
 *    loop's done queue), or being dispatched (owned by the dispatcher,
 *    unlinked from everything, freed by it after the callback).
 *  - No user callback ever runs inside a libcurl callback: streams only
 *    gather data there; the loop hands it over after curl returns.
 */
#ifndef CJOBS_ENGINE_INTERNAL_H
#define CJOBS_ENGINE_INTERNAL_H

#include <curl/curl.h>
#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "engine/dlist.h"
#include "engine/engine.h"
#include "util/strbuf.h"

#define ENGINE_API_OURS_MAJOR 1
#define ENGINE_API_OURS_MINOR 41
#define ENGINE_API_MIN_MINOR 24
#define ENGINE_BODY_MAX (8u << 20)     /* an ordinary answer */
#define ENGINE_ERRBODY_MAX (64u << 10) /* an error's answer on a stream */

typedef struct engine_req engine_req_t;

struct engine_loop {
	CURLM *multi;
	dlist_t engines;          /* engine_t.loop_link */
	dlist_t done;             /* engine_req_t.qlink: finished, not dispatched */
	dlist_t ready;            /* engine_events_t.rlink: events to hand over */
	int n_reqs;               /* requests alive, in any state */
	bool dispatching;         /* inside a callback: engine_loop_run refuses */
	void (*batch_begin)(void *ud);
	void (*batch_end)(void *ud);
	void *batch_ud;
};

struct engine {
	engine_loop_t *loop;      /* NULL once the loop was freed */
	dlist_t loop_link;
	char *url;                /* as configured, for messages */
	char *base;               /* "http://d", "https://host:port" */
	char *unix_path;          /* NULL for tcp */
	char *tls_ca, *tls_cert, *tls_key;
	bool tls, tls_verify;
	long connect_ms, request_ms;
	char api[16];             /* negotiated version, "1.41" */
	int api_minor;
	bool api_ok;              /* api[] is valid */
	engine_req_t *ping;       /* the ping in flight, if any */
	dlist_t reqs;             /* engine_req_t.elink: every request */
	dlist_t waiting;          /* engine_req_t.qlink: waiting for the ping */
	dlist_t events;           /* engine_events_t.elink */
	bool mock;                /* mock://: answered by mock.c, no transport */
	dlist_t mock_streams;     /* engine_req_t.qlink: its open event streams */
	struct mock *mock_state;  /* mock.c's containers; NULL until the first */
};

typedef enum { REQ_NEW, REQ_WAITING, REQ_ACTIVE, REQ_DONE, REQ_DISPATCHING } req_state_t;

/* Called once when the request ends (in the loop's dispatch, never inside
 * curl). r->e is valid during the call; r is freed by the caller after. */
typedef void (*req_done_fn)(engine_req_t *r, const engine_status_t *st);
/* Takes streamed body bytes of a 2xx answer, inside curl's write callback:
 * must not call user code. Returns 0 when it took them all, -1 to fail the
 * request (set r->fail or r->fail_oom first), or 1 to take none and pause
 * the transfer (curl offers the same bytes again after the unpause). */
typedef int (*req_data_fn)(engine_req_t *r, const char *p, size_t n);

struct engine_req {
	engine_t *e;
	engine_loop_t *loop;
	req_state_t state;
	dlist_t elink;            /* in e->reqs */
	dlist_t qlink;            /* in e->waiting or loop->done */
	CURL *easy;
	struct curl_slist *headers;
	char errbuf[CURL_ERROR_SIZE];
	const char *method;       /* "GET", "POST", "DELETE" */
	strbuf_t path;            /* "/containers/x/json?..." (no version) */
	char *body;               /* JSON, for POST */
	json_t *body_json;        /* instead, for a mock engine: the body as built */
	bool unversioned;         /* the ping: no /vX.Y prefix, no waiting */
	bool stream;              /* no total timeout; data_fn takes the body */
	bool low_speed;           /* a stream that should never go quiet */
	long extra_timeout_ms;    /* added to the request timeout (stop's grace) */
	/* Podman's words for a conflict it answers with HTTP 500 instead of
	 * 409 (NULL: only 409 is a conflict); see http_error. */
	const char *conflict_500;
	size_t body_max;
	strbuf_t resp;            /* the answer (or an error answer of a stream) */
	long http_status;
	char *fail;               /* why data_fn or setup failed (no URL prefix) */
	bool fail_oom;
	engine_status_t st;       /* the outcome, built when it ends */
	char *errmsg;             /* st.error's storage */
	req_done_fn done;
	req_data_fn data;
	void *ctx;                /* the operation's state */
	void (*ctx_free)(void *ctx);
	struct mock_stream *mock_stream; /* a mock engine's event stream */
};

/* ---- http.c: one request ---- */
/* A request with a zeroed context of ctx_size bytes (r->ctx), or NULL
 * when out of memory or e's loop was freed (see req_new_failure). */
engine_req_t *req_new(engine_t *e, const char *method, size_t ctx_size, req_done_fn done);
__attribute__((format(printf, 2, 3))) void req_path(engine_req_t *r, const char *fmt, ...);
/* Appends s percent-encoded (for a path segment or a query value). */
void req_path_enc(engine_req_t *r, const char *s);
/* Appends filters={"type":[type],"label":["key" or "key=value"]}, each
 * part only when given (type, key not NULL). */
void req_filters(engine_req_t *r, const char *type, const char *key, const char *value);
/* Serializes j as the JSON body (a mock engine keeps j itself, see
 * body_json); returns -1 when out of memory. */
int req_body_json(engine_req_t *r, json_t *j);
/* Sends r: at once if the engine's API version is known, else after the
 * ping. Never fails: a request that cannot be sent ends with an error
 * status, delivered by the next engine_loop_run. */
void req_submit(engine_req_t *r);
/* Ends r with an error (not sent, or ended by the engine) and queues it
 * for dispatch; msg has no URL prefix. */
void req_fail_now(engine_req_t *r, const char *msg);
/* Called by the loop when curl reports r finished. */
void req_finished(engine_req_t *r, CURLcode rc);
/* r has its whole answer (r->http_status, r->resp): builds its status as
 * for any answer (an error's message, 404, 409) and queues it. */
void req_answered(engine_req_t *r);
/* Unlinks r from wherever it is (without callback) and frees it. */
void req_abort(engine_req_t *r);
void req_free(engine_req_t *r);
/* Sets st to an error "engine URL: <fmt>" stored in r; returns st. */
__attribute__((format(printf, 3, 4))) const engine_status_t *
req_error(engine_req_t *r, engine_status_t *st, const char *fmt, ...);
/* The status for "out of memory" when no request could be made. */
const engine_status_t *engine_oom_status(void);
/* Why req_new failed for e: out of memory, or e's loop is gone. */
const engine_status_t *req_new_failure(const engine_t *e);
/* Parses a JSON answer; NULL (and st set to an error) if it is not JSON. */
json_t *req_json(engine_req_t *r, engine_status_t *st);
/* The same with json_loadb's flags (JSON_DECODE_INT_AS_REAL: jint reads
 * such numbers too). */
json_t *req_json_flags(engine_req_t *r, engine_status_t *st, size_t flags);
/* Puts r into the loop's done queue (it has ended). */
void req_queue_done(engine_req_t *r);
/* Adds r to the multi handle; on any error r ends failed and is queued. */
void req_activate(engine_req_t *r);

/* ---- mock.c: the mock executor ---- */
/* Answers r at once as an engine would (r's engine is mock://). */
void mock_activate(engine_req_t *r);
/* The reader of r (a mock engine's event stream) asked to pause and has
 * room again: hands it the events held meanwhile (mock_events.c). */
void mock_stream_resume(engine_req_t *r);
/* Frees what the mock kept for an event stream (req_free); NULL is fine. */
void mock_stream_free(struct mock_stream *s);
/* Frees a mock engine's table of containers (engine_free). */
void mock_engine_free(engine_t *e);

/* ---- config.c ---- */
/* Aborts e's requests and streams and cuts it from its loop. */
void engine_detach(engine_t *e);

/* ---- negotiate.c: the API version ---- */
/* Starts the version ping unless one is in flight. */
void negotiate_start(engine_t *e);

/* ---- events.c ---- */
/* Detaches every event stream of e (engine_free or loop free). */
void events_detach_all(engine_t *e);
/* Hands queued events to their callbacks (the loop's dispatch). */
void events_dispatch_ready(engine_loop_t *loop);

/* ---- small JSON readers: NULL / fallback when absent or mistyped ---- */
const char *jstr(const json_t *o, const char *key);
int64_t jint(const json_t *o, const char *key, int64_t fallback);
const json_t *jobj(const json_t *o, const char *key);

#endif
