/*
 * engine/logs.c: a container's whole log (GET /containers/ID/logs, no
 * follow), demultiplexed as it arrives.
 *
 * Memory stays at most cap + 1 bytes per stream plus curl's buffer,
 * whatever the container printed: the demultiplexer counts what it drops.
 * Must never buffer the raw answer, and never hand over output that the
 * demultiplexer could not vouch for (a malformed stream fails the request).
 */
#include "engine/internal.h"

#include <stdlib.h>
#include <string.h>

#include "engine/demux.h"

typedef struct {
	engine_logs_fn cb;
	void *ud;
	demux_t demux;
} logs_ctx_t;

static void logs_ctx_free(void *p)
{
	logs_ctx_t *c = p;
	if (c)
		demux_free(&c->demux);
	free(c);
}

static int on_data(engine_req_t *r, const char *p, size_t n)
{
	logs_ctx_t *c = r->ctx;
	if (demux_feed(&c->demux, p, n) == 0)
		return 0;
	free(r->fail);
	r->fail = strdup(c->demux.error);
	r->fail_oom = r->fail == NULL;
	return -1;
}

static void logs_done(engine_req_t *r, const engine_status_t *st)
{
	logs_ctx_t *c = r->ctx;
	engine_status_t s = *st;
	job_output_t out, err;
	if (s.ok && demux_end(&c->demux) < 0)
		req_error(r, &s, "%s", c->demux.error);
	if (s.ok && demux_take(&c->demux, &out, &err) < 0)
		req_error(r, &s, "out of memory");
	if (!s.ok) {
		c->cb(c->ud, &s, NULL, NULL);
		return;
	}
	c->cb(c->ud, &s, &out, &err);
}

void engine_logs(engine_t *e, const char *id, size_t cap, engine_logs_fn cb, void *ud)
{
	engine_req_t *r = req_new(e, "GET", 0, logs_done);
	logs_ctx_t *c = r ? calloc(1, sizeof(*c)) : NULL;
	if (!c) {
		if (r)
			req_abort(r);
		cb(ud, req_new_failure(e), NULL, NULL);
		return;
	}
	c->cb = cb;
	c->ud = ud;
	demux_init(&c->demux, cap);
	r->ctx = c;
	r->ctx_free = logs_ctx_free;
	r->stream = true;
	r->low_speed = true;
	r->data = on_data;
	req_path(r, "/containers/");
	req_path_enc(r, id ? id : "");
	req_path(r, "/logs?stdout=1&stderr=1");
	req_submit(r);
}

/* ---- following: the log as it is written ---- */

/* Enough for any one piece curl hands over; drained after each. */
#define FOLLOW_CAP (256u << 10)

typedef struct {
	engine_chunk_fn on_chunk;
	engine_follow_done_fn done;
	void *ud;
	demux_t demux;
} follow_ctx_t;

static void follow_ctx_free(void *p)
{
	follow_ctx_t *c = p;
	if (c)
		demux_free(&c->demux);
	free(c);
}

/* Hands over what the demultiplexer holds, in the order of the frames:
 * it is drained after every piece, and one piece belongs to at most a few
 * frames, whose streams are told apart. */
static void follow_drain(follow_ctx_t *c)
{
	for (int i = 0; i < 2; i++) {
		demux_stream_t *ds = &c->demux.out[i];
		if (ds->len) {
			c->on_chunk(c->ud, i + 1, ds->data, ds->len);
			ds->len = 0;
		}
	}
}

static int follow_data(engine_req_t *r, const char *p, size_t n)
{
	follow_ctx_t *c = r->ctx;
	/* Frame by frame, so that stdout and stderr keep their order. */
	while (n > 0) {
		size_t take = n;
		if (c->demux.left > 0 && c->demux.hdr_len == 0 && take > c->demux.left)
			take = c->demux.left;
		else if (c->demux.left == 0)
			take = n < 8 - c->demux.hdr_len ? n : 8 - c->demux.hdr_len;
		if (demux_feed(&c->demux, p, take) < 0) {
			free(r->fail);
			r->fail = strdup(c->demux.error);
			r->fail_oom = r->fail == NULL;
			return -1;
		}
		follow_drain(c);
		p += take;
		n -= take;
	}
	return 0;
}

static void follow_done(engine_req_t *r, const engine_status_t *st)
{
	follow_ctx_t *c = r->ctx;
	engine_status_t s = *st;
	if (s.ok && demux_end(&c->demux) < 0)
		req_error(r, &s, "%s", c->demux.error);
	follow_drain(c);
	c->done(c->ud, &s);
}

void engine_logs_follow(engine_t *e, const char *id, engine_chunk_fn on_chunk,
			engine_follow_done_fn done, void *ud)
{
	engine_req_t *r = req_new(e, "GET", 0, follow_done);
	follow_ctx_t *c = r ? calloc(1, sizeof(*c)) : NULL;
	if (!c) {
		if (r)
			req_abort(r);
		done(ud, req_new_failure(e));
		return;
	}
	c->on_chunk = on_chunk;
	c->done = done;
	c->ud = ud;
	demux_init(&c->demux, FOLLOW_CAP);
	r->ctx = c;
	r->ctx_free = follow_ctx_free;
	r->stream = true;  /* no total timeout, and it may stay quiet for long */
	r->data = follow_data;
	req_path(r, "/containers/");
	req_path_enc(r, id ? id : "");
	req_path(r, "/logs?stdout=1&stderr=1&follow=1");
	req_submit(r);
}
