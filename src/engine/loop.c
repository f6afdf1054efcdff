/*
 * engine/loop.c: the event loop that drives every request: curl's multi
 * interface plus the queue of finished requests and the hand-over of
 * streamed events.
 *
 * Callbacks run only here, after curl_multi_perform has returned, so they
 * may start requests, close event streams or free engines. This file must
 * never touch a request after handing it to its callback except to free
 * it, and never call a callback from inside a libcurl callback.
 */
#include "engine/internal.h"

#include <stdlib.h>
#include <string.h>

#include "util/timeutil.h"

/* curl_global_init is not reference counted by curl itself; count loops
 * so that the last one freed leaves nothing allocated for valgrind. */
static int global_users;

engine_loop_t *engine_loop_new(void)
{
	if (global_users == 0 && curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
		return NULL;
	global_users++;
	engine_loop_t *loop = calloc(1, sizeof(*loop));
	if (!loop)
		goto fail;
	loop->multi = curl_multi_init();
	if (!loop->multi)
		goto fail;
	dlist_init(&loop->engines);
	dlist_init(&loop->done);
	dlist_init(&loop->ready);
	return loop;
fail:
	free(loop);
	if (--global_users == 0)
		curl_global_cleanup();
	return NULL;
}

void engine_loop_free(engine_loop_t *loop)
{
	if (!loop)
		return;
	/* Engines outlive their loop as empty shells so that a later
	 * engine_free (and engine_events_close) stays safe. */
	while (!dlist_empty(&loop->engines))
		engine_detach(DLIST_ENTRY(loop->engines.next, engine_t, loop_link));
	curl_multi_cleanup(loop->multi);
	free(loop);
	if (--global_users == 0)
		curl_global_cleanup();
}

/* Moves every transfer curl reports finished into the done queue. */
static void collect_finished(engine_loop_t *loop)
{
	CURLMsg *msg;
	int left;
	while ((msg = curl_multi_info_read(loop->multi, &left))) {
		if (msg->msg != CURLMSG_DONE)
			continue;
		CURL *easy = msg->easy_handle;
		CURLcode rc = msg->data.result;
		char *priv = NULL;
		curl_easy_getinfo(easy, CURLINFO_PRIVATE, &priv);
		engine_req_t *r = (engine_req_t *)(void *)priv;
		/* msg is invalid after remove_handle; everything needed is read. */
		curl_multi_remove_handle(loop->multi, easy);
		if (r)
			req_finished(r, rc);
	}
}

/* Calls the callbacks of the requests finished before this call started.
 * Requests that end during it (a callback's new request failing at once)
 * wait for the next run, so a callback that always retries cannot spin. */
static void dispatch_done(engine_loop_t *loop)
{
	dlist_t batch;
	dlist_init(&batch);
	dlist_splice(&loop->done, &batch);
	while (!dlist_empty(&batch)) {
		engine_req_t *r = DLIST_ENTRY(batch.next, engine_req_t, qlink);
		dlist_del(&r->qlink);
		dlist_del(&r->elink);
		r->state = REQ_DISPATCHING;
		/* From here on only this function owns r: engine_free cannot
		 * find it, so the callback may free r's engine. */
		r->done(r, &r->st);
		req_free(r);
	}
}

void engine_loop_set_batch(engine_loop_t *loop, void (*begin)(void *ud), void (*end)(void *ud),
			   void *ud)
{
	loop->batch_begin = begin;
	loop->batch_end = end;
	loop->batch_ud = ud;
}

static void dispatch(engine_loop_t *loop)
{
	bool any = !dlist_empty(&loop->done) || !dlist_empty(&loop->ready);
	loop->dispatching = true;
	if (any && loop->batch_begin)
		loop->batch_begin(loop->batch_ud);
	events_dispatch_ready(loop);
	dispatch_done(loop);
	/* Before the next curl_multi_perform: what the callbacks asked the
	 * engines for is sent only after their writes are committed. */
	if (any && loop->batch_end)
		loop->batch_end(loop->batch_ud);
	loop->dispatching = false;
}

static int poll_once(engine_loop_t *loop, int timeout_ms, const int *wake_fds, int n_wake)
{
	struct curl_waitfd small[8], *w = small;
	if (n_wake > (int)(sizeof(small) / sizeof(small[0]))) {
		w = calloc((size_t)n_wake, sizeof(*w));
		if (!w)
			return -1;
	}
	for (int i = 0; i < n_wake; i++) {
		w[i].fd = wake_fds[i];
		w[i].events = CURL_WAIT_POLLIN;
		w[i].revents = 0;
	}
	CURLMcode mc = curl_multi_poll(loop->multi, n_wake ? w : NULL, (unsigned)n_wake, timeout_ms, NULL);
	if (w != small)
		free(w);
	return mc == CURLM_OK ? 0 : -1;
}

int engine_loop_run(engine_loop_t *loop, int timeout_ms, const int *wake_fds, int n_wake)
{
	if (!loop || loop->dispatching || n_wake < 0)
		return -1;
	if (timeout_ms < 0)
		timeout_ms = 0;
	/* Work already waiting for dispatch must not wait for the network. */
	if (!dlist_empty(&loop->done) || !dlist_empty(&loop->ready))
		timeout_ms = 0;
	if (poll_once(loop, timeout_ms, wake_fds, n_wake) < 0)
		return -1;
	int running;
	if (curl_multi_perform(loop->multi, &running) != CURLM_OK)
		return -1;
	collect_finished(loop);
	dispatch(loop);
	return loop->n_reqs;
}

int engine_loop_until(engine_loop_t *loop, const bool *done, long timeout_ms)
{
	int64_t deadline = timeout_ms > 0 ? mono_ms() + timeout_ms : 0;
	while (!*done) {
		int slice = 1000;
		if (deadline) {
			int64_t left = deadline - mono_ms();
			if (left <= 0)
				return -1;
			if (left < slice)
				slice = (int)left;
		}
		int n = engine_loop_run(loop, slice, NULL, 0);
		if (n < 0)
			return -1;
		/* Nothing in flight: no callback is left to set *done. */
		if (n == 0 && !*done)
			return -1;
	}
	return 0;
}
