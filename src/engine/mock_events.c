/*
 * engine/mock_events.c: the mock executor's event streams (GET /events).
 *
 * A stream stays open until its reader closes it and carries the "die" of
 * every container that matches its label filters, as an engine's would.
 * Its reader may refuse bytes (events.c takes none while its own queue is
 * full and asks to pause, as it asks curl): the mock then holds them, and
 * every later event behind them, in the stream's own queue, and offers
 * them again only when the reader resumes it, in order, so that no event
 * is lost and none overtakes another. That is what a real engine's stream
 * does: the engine keeps writing, and the bytes wait in the connection
 * until curl is unpaused. A reader that fails (out of memory) ends the
 * stream with an error, as curl ends a transfer whose write callback
 * fails, and the reader re-opens it.
 */
#include "engine/mock.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* What curl hands a write callback at most (CURLOPT_BUFFERSIZE of a
 * stream, http.c): the reader sees pieces of the size it would see. */
#define OFFER_MAX (64u << 10)
/* A queue drained after growing past this gives its memory back. */
#define HELD_KEEP (1u << 20)

struct mock_stream {
	json_t *filters;          /* its label filters (an array) */
	strbuf_t held;            /* bytes its reader has not taken yet */
	size_t off;               /* how many of held it has taken */
	bool paused;              /* the reader asked to pause: offer nothing */
};

void mock_stream_free(struct mock_stream *s)
{
	if (!s)
		return;
	json_decref(s->filters);
	sb_free(&s->held);
	free(s);
}

/* Ends r as curl ends a stream whose reader failed (CURLE_WRITE_ERROR). */
static void fail_stream(engine_req_t *r)
{
	req_fail_now(r, r->fail_oom ? "out of memory"
			: r->fail   ? r->fail
				    : "the event stream's reader refused its data");
}

/* Hands the held bytes to the reader until it has them all or pauses. */
static void offer(engine_req_t *r)
{
	struct mock_stream *s = r->mock_stream;
	while (!s->paused && s->off < s->held.len) {
		size_t n = s->held.len - s->off;
		if (n > OFFER_MAX)
			n = OFFER_MAX;
		int rc = r->data(r, s->held.buf + s->off, n);
		if (rc > 0) {
			s->paused = true; /* the same bytes are offered again on resume */
			return;
		}
		if (rc < 0) {
			fail_stream(r);
			return;
		}
		s->off += n;
	}
	if (s->off < s->held.len)
		return;
	s->off = 0;
	if (s->held.cap > HELD_KEEP) {
		sb_free(&s->held);
		sb_init(&s->held, 0);
	} else {
		sb_reset(&s->held);
	}
}

void mock_stream_resume(engine_req_t *r)
{
	if (!r->mock_stream)
		return;
	r->mock_stream->paused = false;
	offer(r);
}

void mock_stream_open(engine_req_t *r)
{
	const char *why = NULL;
	json_t *filters = mock_label_filters(r->path.buf, &why);
	if (!filters) {
		mock_answer_error(r, 400, why);
		return;
	}
	struct mock_stream *s = calloc(1, sizeof(*s));
	if (!s) {
		json_decref(filters);
		req_fail_now(r, "out of memory");
		return;
	}
	s->filters = filters;
	sb_init(&s->held, 0);
	r->mock_stream = s;
	r->state = REQ_ACTIVE;
	dlist_add_tail(&r->e->mock_streams, &r->qlink);
}

/* The "die" of c as one line of an engine's stream: what cjobs reads of
 * it. An engine also puts the container's labels and more among the
 * actor's attributes; nothing in cjobs reads them, and every member the
 * worker parsed and threw away would count as cjobs's own cost in
 * bench/queue-overhead. The label filters are applied here, from the
 * table, as an engine applies them. */
static void die_line(strbuf_t *line, const mock_ctr_t *c)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	long long ns = (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
	sb_room(line, 256);
	sb_printf(line,
		  "{\"Type\":\"container\",\"Action\":\"die\",\"Actor\":{\"ID\":\"%s\","
		  "\"Attributes\":{\"exitCode\":\"%d\"}},\"time\":%lld,\"timeNano\":%lld}\n",
		  c->id, c->exit_code, (long long)ts.tv_sec, ns);
}

void mock_announce_die(engine_t *e, const mock_ctr_t *c)
{
	strbuf_t line;
	sb_init(&line, 0);
	dlist_t *next;
	for (dlist_t *p = e->mock_streams.next; p != &e->mock_streams; p = next) {
		next = p->next; /* a failing reader ends its stream: p leaves the list */
		engine_req_t *r = DLIST_ENTRY(p, engine_req_t, qlink);
		struct mock_stream *s = r->mock_stream;
		if (!mock_labels_match(c->labels, s->filters))
			continue;
		if (!line.len)
			die_line(&line, c);
		sb_append(&s->held, line.buf, line.len);
		if (line.failed || s->held.failed) {
			r->fail_oom = true;
			fail_stream(r);
			continue;
		}
		offer(r);
	}
	sb_free(&line);
}
