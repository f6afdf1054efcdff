/*
 * engine/events.c: the engine's event stream (GET /events), one JSON
 * object per line, read incrementally and handed to the caller.
 *
 * Inside curl's write callback the stream is only split into lines and
 * queued; the loop parses and delivers them after curl returns, so an
 * on_event may close this or any stream, free the engine, or start
 * requests. The queue is bounded: past EVENTS_PENDING_MAX the transfer is
 * paused until the caller has taken what is there. Must never call a
 * callback after engine_events_close or engine_free, nor free a handle
 * the caller has not closed.
 */
#include "engine/internal.h"
#include "engine/parse.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/lines.h"

#define EVENTS_LINE_MAX (1u << 20)
#define EVENTS_PENDING_MAX (4u << 20)

struct engine_events {
	engine_t *e;              /* NULL once detached (engine freed) */
	engine_loop_t *loop;
	dlist_t elink;            /* in e->events */
	dlist_t rlink;            /* in loop->ready while lines are pending */
	engine_req_t *req;        /* NULL once the stream ended */
	lines_t lines;
	strbuf_t pending;         /* complete lines, each ended by "\n" */
	bool paused;              /* the transfer waits for pending to drain */
	bool dispatching;         /* a callback of this stream is running */
	bool closed;              /* closed during a callback: free after it */
	size_t skipped;           /* lines too long or not JSON */
	engine_event_fn on_event;
	engine_done_fn on_end;
	void *ud;
};

static int queue_line(void *ud, const char *line, size_t len)
{
	engine_events_t *ev = ud;
	if (!line) {
		ev->skipped++;
		return 0;
	}
	if (len == 0)
		return 0;
	sb_append(&ev->pending, line, len);
	sb_putc(&ev->pending, '\n');
	return ev->pending.failed ? -1 : 0;
}

/* Runs inside curl: only gathers. */
static int on_data(engine_req_t *r, const char *p, size_t n)
{
	engine_events_t *ev = r->ctx;
	if (ev->pending.len >= EVENTS_PENDING_MAX) {
		ev->paused = true;
		return 1; /* curl keeps these bytes and offers them again */
	}
	if (lines_feed(&ev->lines, p, n, queue_line, ev) < 0) {
		r->fail_oom = true;
		return -1;
	}
	if (ev->pending.len && dlist_empty(&ev->rlink))
		dlist_add_tail(&ev->loop->ready, &ev->rlink);
	return 0;
}

static void deliver_line(engine_events_t *ev, const char *line, size_t len)
{
	json_t *j = json_loadb(line, len, 0, NULL);
	if (!json_is_object(j)) {
		ev->skipped++;
		json_decref(j);
		return;
	}
	engine_event_t e;
	bool usable = parse_event(j, &e);
	if (usable)
		ev->on_event(ev->ud, &e);
	else
		ev->skipped++;
	json_decref(j);
}

/* Hands over the queued lines; stops as soon as the caller closes this
 * stream or frees its engine. */
static void deliver_pending(engine_events_t *ev)
{
	strbuf_t batch = ev->pending;
	sb_init(&ev->pending, 0);
	dlist_del(&ev->rlink);
	ev->dispatching = true;
	const char *p = batch.buf, *end = batch.buf + batch.len;
	while (p && p < end && ev->e && !ev->closed) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		if (!nl)
			break;
		deliver_line(ev, p, (size_t)(nl - p));
		p = nl + 1;
	}
	ev->dispatching = false;
	sb_free(&batch);
}

static void destroy(engine_events_t *ev)
{
	dlist_del(&ev->rlink);
	dlist_del(&ev->elink);
	lines_free(&ev->lines);
	sb_free(&ev->pending);
	free(ev);
}

/* The caller has drained the queue: let the transfer go on. */
static void resume(engine_events_t *ev)
{
	engine_req_t *r = ev->req;
	ev->paused = false;
	if (r->e->mock) {
		/* No transfer: the mock holds what it could not hand over. */
		mock_stream_resume(r);
		return;
	}
	/* May call on_data at once; it only queues. */
	if (curl_easy_pause(r->easy, CURLPAUSE_CONT) == CURLE_OK)
		return;
	/* A stream that cannot resume would stay silent forever: end it, so
	 * that on_end tells the caller to re-open it. */
	curl_multi_remove_handle(r->loop->multi, r->easy);
	req_fail_now(r, "cannot resume the event stream");
}

void events_dispatch_ready(engine_loop_t *loop)
{
	dlist_t batch;
	dlist_init(&batch);
	dlist_splice(&loop->ready, &batch);
	while (!dlist_empty(&batch)) {
		engine_events_t *ev = DLIST_ENTRY(batch.next, engine_events_t, rlink);
		deliver_pending(ev);
		if (ev->closed) {
			destroy(ev);
			continue;
		}
		if (ev->paused && ev->req)
			resume(ev);
	}
}

static void stream_done(engine_req_t *r, const engine_status_t *st)
{
	engine_events_t *ev = r->ctx;
	ev->req = NULL;
	r->ctx = NULL;
	if (lines_end(&ev->lines, queue_line, ev) < 0)
		ev->skipped++;
	deliver_pending(ev);
	if (ev->e && !ev->closed) {
		ev->dispatching = true;
		ev->on_end(ev->ud, st);
		ev->dispatching = false;
	}
	if (ev->closed)
		destroy(ev);
}

engine_events_t *engine_events_open(engine_t *e, const char *label_key, const char *label_value,
				    int64_t since_ns, engine_event_fn on_event,
				    engine_done_fn on_end, void *ud)
{
	engine_events_t *ev = calloc(1, sizeof(*ev));
	if (!ev)
		return NULL;
	engine_req_t *r = req_new(e, "GET", 0, stream_done);
	if (!r) {
		free(ev);
		return NULL;
	}
	ev->e = e;
	ev->loop = e->loop;
	ev->req = r;
	ev->on_event = on_event;
	ev->on_end = on_end;
	ev->ud = ud;
	dlist_init(&ev->rlink);
	dlist_add_tail(&e->events, &ev->elink);
	lines_init(&ev->lines, EVENTS_LINE_MAX);
	sb_init(&ev->pending, 0);
	r->ctx = ev;
	r->stream = true;
	r->data = on_data;
	req_path(r, "/events?");
	if (since_ns > 0)
		req_path(r, "since=%lld.%09lld&", (long long)(since_ns / 1000000000),
			 (long long)(since_ns % 1000000000));
	req_filters(r, "container", label_key, label_value);
	req_submit(r);
	return ev;
}

void engine_events_close(engine_events_t *ev)
{
	if (!ev)
		return;
	if (ev->req) {
		ev->req->ctx = NULL;
		req_abort(ev->req);
		ev->req = NULL;
	}
	if (ev->dispatching) {
		ev->closed = true;
		return;
	}
	destroy(ev);
}

void events_detach_all(engine_t *e)
{
	while (!dlist_empty(&e->events)) {
		engine_events_t *ev = DLIST_ENTRY(e->events.next, engine_events_t, elink);
		if (ev->req) {
			ev->req->ctx = NULL;
			req_abort(ev->req);
			ev->req = NULL;
		}
		dlist_del(&ev->rlink);
		dlist_del(&ev->elink);
		ev->e = NULL;
		ev->loop = NULL;
	}
}
