/*
 * engine/negotiate.c: the API version, agreed once per engine by GET /_ping
 * before its first versioned request.
 *
 * Requests made before the answer wait in the engine's `waiting` list and
 * leave with it: sent on success, failed with the ping's own status (so
 * an unreachable engine is reported as such) otherwise. A failed ping is
 * forgotten, so the next request tries again. Must never let a request
 * through with an unknown or too old version.
 */
#include "engine/internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* "1.41" into its minor number; -1 unless it is "1.<digits>". */
static int parse_version(const char *v)
{
	if (!v || strncmp(v, "1.", 2) != 0)
		return -1;
	int minor = 0, n = 0;
	for (const char *p = v + 2; *p; p++, n++) {
		if (*p < '0' || *p > '9' || n >= 4)
			return -1;
		minor = minor * 10 + (*p - '0');
	}
	return n ? minor : -1;
}

/* The engine's API version from the answer's header; an engine that
 * sends none predates the header, which came with 1.25: call it 1.24,
 * as Docker's own client does. */
static int engine_minor(engine_req_t *r, char *text, size_t size)
{
	struct curl_header *h = NULL;
	if (curl_easy_header(r->easy, "API-Version", 0, CURLH_HEADER, -1, &h) != CURLHE_OK || !h) {
		snprintf(text, size, "1.24");
		return 24;
	}
	snprintf(text, size, "%s", h->value);
	return parse_version(h->value);
}

static void release_waiting(engine_t *e, const engine_status_t *fail)
{
	dlist_t batch;
	dlist_init(&batch);
	dlist_splice(&e->waiting, &batch);
	while (!dlist_empty(&batch)) {
		engine_req_t *r = DLIST_ENTRY(batch.next, engine_req_t, qlink);
		dlist_del(&r->qlink);
		if (!fail) {
			req_activate(r);
			continue;
		}
		r->st = *fail;
		r->st.error = NULL;
		free(r->errmsg);
		r->errmsg = fail->error ? strdup(fail->error) : NULL;
		r->st.error = r->errmsg ? r->errmsg : "out of memory";
		req_queue_done(r);
	}
}

static void ping_done(engine_req_t *r, const engine_status_t *st)
{
	engine_t *e = r->e;
	e->ping = NULL;
	if (!st->ok) {
		engine_status_t fail = *st;
		if (st->http_status > 0)
			req_error(r, &fail, "GET /_ping answered HTTP %d (is this a Docker engine?)",
				  st->http_status);
		release_waiting(e, &fail);
		return;
	}
	char text[32];
	/* The mock executor has no headers to read: it speaks our version. */
	int minor = e->mock ? ENGINE_API_OURS_MINOR : engine_minor(r, text, sizeof(text));
	if (minor < 0 || minor < ENGINE_API_MIN_MINOR) {
		engine_status_t fail = {0};
		req_error(r, &fail, "it speaks Engine API %s; cjobs needs 1.%d or newer", text,
			  ENGINE_API_MIN_MINOR);
		release_waiting(e, &fail);
		return;
	}
	if (minor > ENGINE_API_OURS_MINOR)
		minor = ENGINE_API_OURS_MINOR;
	e->api_minor = minor;
	snprintf(e->api, sizeof(e->api), "%d.%d", ENGINE_API_OURS_MAJOR, minor);
	e->api_ok = true;
	release_waiting(e, NULL);
}

void negotiate_start(engine_t *e)
{
	if (e->ping)
		return;
	engine_req_t *r = req_new(e, "GET", 0, ping_done);
	if (!r) {
		release_waiting(e, engine_oom_status());
		return;
	}
	r->unversioned = true;
	req_path(r, "/_ping");
	e->ping = r;
	req_submit(r);
}
