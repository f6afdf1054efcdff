/*
 * engine/mock.c: the mock executor, a host registered as mock://. It is a
 * product feature, for dry runs of a queue and for measuring cjobs itself:
 * every container it is asked for "runs" at once and exits 0 with no
 * output. It answers at the request level with the bodies a Docker engine
 * would send, so every answer goes through the same parsing as a real
 * one; only the transport is skipped. Requests end in the loop's done queue
 * like any other, so callbacks still run only in engine_loop_run.
 *
 * It keeps no containers: inspect says exited 0 for any id, list finds
 * none, remove always succeeds. A start announces the container's "die" on
 * every event stream open on that engine.
 */
#include "engine/internal.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static void answer(engine_req_t *r, long status, const char *body)
{
	sb_free(&r->resp);
	sb_init(&r->resp, 0);
	if (body)
		sb_puts(&r->resp, body);
	r->http_status = status;
	memset(&r->st, 0, sizeof(r->st));
	r->st.http_status = (int)status;
	if (r->resp.failed) {
		req_fail_now(r, "out of memory");
		return;
	}
	if (status >= 200 && status < 300) {
		r->st.ok = true;
	} else {
		r->st.not_found = status == 404;
		free(r->errmsg);
		if (asprintf(&r->errmsg, "engine %s: %s", r->e->url, body ? body : "error") < 0)
			r->errmsg = NULL;
		r->st.error = r->errmsg ? r->errmsg : "mock executor: error";
	}
	req_queue_done(r);
}

/* The container id in "/containers/ID/...", copied into id. */
static void path_id(const char *path, char *id, size_t size)
{
	const char *p = path + strlen("/containers/");
	size_t n = strcspn(p, "/?");
	snprintf(id, size, "%.*s", (int)n, p);
}

static void now_rfc3339(char *buf, size_t size)
{
	struct timespec ts;
	struct tm tm;
	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	size_t n = strftime(buf, size, "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(buf + n, size - n, ".%09ldZ", ts.tv_nsec);
}

/* Tells every event stream of the engine that the container exited 0. */
static void announce_exit(engine_t *e, const char *id)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	char line[512];
	int n = snprintf(line, sizeof(line),
			 "{\"Type\":\"container\",\"Action\":\"die\",\"Actor\":{\"ID\":\"%.64s\","
			 "\"Attributes\":{\"exitCode\":\"0\"}},\"time\":%lld,\"timeNano\":%lld}\n",
			 id, (long long)ts.tv_sec, (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec);
	for (dlist_t *p = e->mock_streams.next; p != &e->mock_streams; p = p->next) {
		engine_req_t *s = DLIST_ENTRY(p, engine_req_t, qlink);
		/* A stream that cannot take it (out of memory) loses one event;
		 * the worker's inspect poll still finds the exit. */
		(void)s->data(s, line, (size_t)n);
	}
}

void mock_activate(engine_req_t *r)
{
	engine_t *e = r->e;
	const char *path = r->path.buf ? r->path.buf : "";
	const char *m = r->method;
	char id[80], body[1024], t[48];
	dlist_del(&r->qlink);
	if (strcmp(m, "GET") == 0 && strcmp(path, "/_ping") == 0) {
		answer(r, 200, "OK");
	} else if (strcmp(m, "GET") == 0 && strcmp(path, "/version") == 0) {
		answer(r, 200, "{\"Version\":\"mock\",\"ApiVersion\":\"1.41\",\"Os\":\"linux\"}");
	} else if (strcmp(m, "GET") == 0 && strcmp(path, "/info") == 0) {
		answer(r, 200, "{\"OperatingSystem\":\"cjobs mock executor (runs nothing)\","
			       "\"ContainersRunning\":0,\"NCPU\":0,\"MemTotal\":0}");
	} else if (strcmp(m, "GET") == 0 && strncmp(path, "/events", 7) == 0) {
		/* Stays open until closed; start announces exits on it. */
		r->state = REQ_ACTIVE;
		dlist_add_tail(&e->mock_streams, &r->qlink);
	} else if (strcmp(m, "POST") == 0 && strncmp(path, "/containers/create", 18) == 0) {
		e->mock_seq++;
		snprintf(body, sizeof(body), "{\"Id\":\"%016" PRIx64 "%016" PRIx64 "%016" PRIx64
					     "%016" PRIx64 "\",\"Warnings\":[]}",
			 (uint64_t)(uintptr_t)e, e->mock_seq, (uint64_t)0, e->mock_seq);
		answer(r, 201, body);
	} else if (strcmp(m, "GET") == 0 && strncmp(path, "/containers/json", 16) == 0 &&
		   (path[16] == '\0' || path[16] == '?')) {
		answer(r, 200, "[]");
	} else if (strncmp(path, "/containers/", 12) == 0) {
		path_id(path, id, sizeof(id));
		const char *rest = path + 12 + strlen(id);
		if (strcmp(m, "POST") == 0 && strncmp(rest, "/start", 6) == 0) {
			answer(r, 204, NULL);
			announce_exit(e, id);
		} else if (strcmp(m, "GET") == 0 && strncmp(rest, "/json", 5) == 0) {
			now_rfc3339(t, sizeof(t));
			snprintf(body, sizeof(body),
				 "{\"Id\":\"%s\",\"Name\":\"/%s\",\"State\":{\"Status\":\"exited\","
				 "\"Running\":false,\"OOMKilled\":false,\"ExitCode\":0,\"Error\":\"\","
				 "\"StartedAt\":\"%s\",\"FinishedAt\":\"%s\"},\"Config\":{\"Labels\":{}}}",
				 id, id, t, t);
			answer(r, 200, body);
		} else if (strcmp(m, "GET") == 0 && strncmp(rest, "/stats", 6) == 0) {
			answer(r, 200, "{\"memory_stats\":{\"usage\":0,\"max_usage\":0},"
				       "\"cpu_stats\":{\"cpu_usage\":{\"total_usage\":0}}}");
		} else if (strcmp(m, "GET") == 0 && strncmp(rest, "/logs", 5) == 0) {
			answer(r, 200, NULL);  /* an empty log stream */
		} else if (strcmp(m, "POST") == 0 &&
			   (strncmp(rest, "/kill", 5) == 0 || strncmp(rest, "/stop", 5) == 0)) {
			answer(r, 204, NULL);
		} else if (strcmp(m, "DELETE") == 0) {
			answer(r, 204, NULL);
		} else {
			answer(r, 404, "{\"message\":\"the mock executor has no such endpoint\"}");
		}
	} else if (strcmp(m, "POST") == 0 && strncmp(path, "/images/create", 14) == 0) {
		answer(r, 200, NULL);  /* a pull that finds the image at once */
	} else {
		answer(r, 404, "{\"message\":\"the mock executor has no such endpoint\"}");
	}
}
