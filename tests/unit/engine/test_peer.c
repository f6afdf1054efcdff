/*
 * tests/unit/engine/test_peer.c: how the client copes with answers a
 * healthy Docker engine rarely gives: an old API version, no version
 * header, a body over the cap, a raw (TTY) log stream, a pull that fails
 * inside a 200 answer, plain-text errors, a connection cut mid-answer,
 * Podman's conflicts answered as HTTP 500 and its stats with a number
 * beyond int64, and an event stream that arrives in pieces, carries an
 * over-long line, and outruns the caller (pause and resume). The peer is
 * a few canned answers on a private unix socket in this process; the
 * real engine is exercised by tests/engine/engine_live.c.
 */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cmocka.h>

#include "engine/engine.h"

/* ---- the peer ---- */

typedef void (*answer_fn)(int fd, const char *request_line);

static struct {
	char path[108];
	int listen_fd;
	pthread_t thread;
	volatile int stop;
	answer_fn answer;
	char last_line[512];     /* the last request line seen */
	char lines[16][512];
	int nlines;
	char auth[1024];         /* the last X-Registry-Auth value seen, or "" */
} P;

static void send_all(int fd, const void *p, size_t n)
{
	const char *c = p;
	while (n > 0) {
		ssize_t w = send(fd, c, n, MSG_NOSIGNAL);
		if (w <= 0)
			return;
		c += w;
		n -= (size_t)w;
	}
}

static void sendf(int fd, const char *fmt, ...)
{
	char buf[4096];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	send_all(fd, buf, (size_t)n);
}

static void ping_ok(int fd, const char *version)
{
	sendf(fd, "HTTP/1.1 200 OK\r\nApi-Version: %s\r\nContent-Length: 2\r\n"
		  "Connection: close\r\n\r\nOK", version);
}

static void json_answer(int fd, int code, const char *body)
{
	sendf(fd, "HTTP/1.1 %d X\r\nContent-Type: application/json\r\nContent-Length: %zu\r\n"
		  "Connection: close\r\n\r\n%s", code, strlen(body), body);
}

/* Reads the request head (the engine client sends small bodies only). */
static bool read_request(int fd, char *line, size_t size)
{
	char buf[65536];
	size_t n = 0;
	while (n < sizeof(buf) - 1) {
		ssize_t r = recv(fd, buf + n, sizeof(buf) - 1 - n, 0);
		if (r <= 0)
			return false;
		n += (size_t)r;
		buf[n] = '\0';
		char *end = strstr(buf, "\r\n\r\n");
		if (!end)
			continue;
		const char *cl = strcasestr(buf, "Content-Length:");
		size_t body = cl && cl < end ? strtoul(cl + 15, NULL, 10) : 0;
		if (n >= (size_t)(end + 4 - buf) + body)
			break;
	}
	size_t l = strcspn(buf, "\r\n");
	snprintf(line, size, "%.*s", (int)l, buf);
	const char *a = strcasestr(buf, "\r\nX-Registry-Auth: ");
	P.auth[0] = '\0';
	if (a)
		snprintf(P.auth, sizeof(P.auth), "%.*s", (int)strcspn(a + 19, "\r\n"), a + 19);
	return true;
}

static void *serve(void *arg)
{
	(void)arg;
	while (!P.stop) {
		struct pollfd pf = {.fd = P.listen_fd, .events = POLLIN};
		if (poll(&pf, 1, 50) <= 0)
			continue;
		int fd = accept(P.listen_fd, NULL, NULL);
		if (fd < 0)
			continue;
		char line[512];
		if (read_request(fd, line, sizeof(line))) {
			snprintf(P.last_line, sizeof(P.last_line), "%s", line);
			if (P.nlines < 16)
				snprintf(P.lines[P.nlines++], sizeof(P.lines[0]), "%s", line);
			P.answer(fd, line);
		}
		close(fd);
	}
	return NULL;
}

static int peer_start(void **state)
{
	(void)state;
	snprintf(P.path, sizeof(P.path), "/tmp/cjobs-peer-%d.sock", (int)getpid());
	unlink(P.path);
	P.listen_fd = socket(AF_UNIX, SOCK_STREAM, 0);
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", P.path);
	if (P.listen_fd < 0 || bind(P.listen_fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    listen(P.listen_fd, 64) < 0)
		return -1;
	return pthread_create(&P.thread, NULL, serve, NULL) == 0 ? 0 : -1;
}

static int peer_stop(void **state)
{
	(void)state;
	P.stop = 1;
	pthread_join(P.thread, NULL);
	close(P.listen_fd);
	unlink(P.path);
	return 0;
}

/* ---- the client side ---- */

typedef struct {
	bool done;
	engine_status_t st;
	char err[1024];
	bool have_logs;
} res_t;

static void keep(res_t *r, const engine_status_t *st)
{
	r->st = *st;
	snprintf(r->err, sizeof(r->err), "%s", st->error ? st->error : "");
	r->st.error = r->err;
	r->done = true;
}

static void on_inspect(void *ud, const engine_status_t *st, const engine_container_t *c)
{
	(void)c;
	keep(ud, st);
}

static void on_done(void *ud, const engine_status_t *st)
{
	keep(ud, st);
}

static void on_logs(void *ud, const engine_status_t *st, job_output_t *out, job_output_t *err)
{
	res_t *r = ud;
	if (out) {
		r->have_logs = true;
		job_output_free(out);
		job_output_free(err);
	}
	keep(r, st);
}

static engine_loop_t *loop;
static engine_t *eng;

static void client(answer_fn answer)
{
	P.answer = answer;
	P.nlines = 0;
	loop = engine_loop_new();
	assert_non_null(loop);
	char url[160];
	snprintf(url, sizeof(url), "unix://%s", P.path);
	engine_config_t cfg = {.url = url, .request_timeout_ms = 5000};
	char *err = NULL;
	assert_int_equal(engine_new(loop, &cfg, &eng, &err), 0);
}

static void client_end(void)
{
	engine_free(eng);
	engine_loop_free(loop);
}

static void run_inspect(res_t *r)
{
	memset(r, 0, sizeof(*r));
	engine_inspect(eng, "c1", on_inspect, r);
	assert_int_equal(engine_loop_until(loop, &r->done, 10000), 0);
}

static void contains(const char *s, const char *want)
{
	if (!strstr(s, want))
		fail_msg("\"%s\" lacks \"%s\"", s, want);
}

/* ---- version ---- */

static void old_engine(int fd, const char *line)
{
	(void)line;
	ping_ok(fd, "1.12");
}

static void test_old_api(void **state)
{
	(void)state;
	client(old_engine);
	res_t r;
	run_inspect(&r);
	assert_false(r.st.ok);
	contains(r.err, "speaks Engine API 1.12; cjobs needs 1.24 or newer");
	contains(r.err, P.path);
	client_end();
}

static void no_header(int fd, const char *line)
{
	if (strstr(line, "/_ping"))
		sendf(fd, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nOK");
	else
		json_answer(fd, 404, "{\"message\":\"No such container: c1\"}");
}

static void test_no_version_header(void **state)
{
	(void)state;
	client(no_header);
	res_t r;
	run_inspect(&r);
	assert_true(r.st.not_found);
	assert_string_equal(P.last_line, "GET /v1.24/containers/c1/json HTTP/1.1");
	contains(r.err, "No such container: c1");
	client_end();
}

static void newer(int fd, const char *line)
{
	if (strstr(line, "/_ping"))
		ping_ok(fd, "1.45");
	else
		json_answer(fd, 500, "plain failure text\nsecond line");
}

static void test_newer_engine_and_text_error(void **state)
{
	(void)state;
	client(newer);
	res_t r;
	run_inspect(&r);
	assert_string_equal(P.last_line, "GET /v1.41/containers/c1/json HTTP/1.1");
	assert_false(r.st.ok);
	assert_int_equal(r.st.http_status, 500);
	contains(r.err, "HTTP 500: plain failure text");
	assert_null(strstr(r.err, "second line"));
	/* The ping happened once: two requests, not three, for a second one. */
	run_inspect(&r);
	assert_int_equal(P.nlines, 3);
	client_end();
}

/* ---- Podman: conflicts as HTTP 500 (Docker: 409), stats beyond int64 ---- */

static void podman_like(int fd, const char *line)
{
	if (strstr(line, "/_ping"))
		ping_ok(fd, "1.41");
	else if (strstr(line, "/containers/create?name=taken"))
		json_answer(fd, 500, "{\"cause\":\"that name is already in use\",\"message\":"
				     "\"creating container storage: the container name \\\"taken\\\" is "
				     "already in use by 4f2a. You have to remove that container to be "
				     "able to reuse that name: that name is already in use\","
				     "\"response\":500}");
	else if (strstr(line, "/containers/create?name=broken"))
		json_answer(fd, 500, "{\"message\":\"crun: cgroups in hybrid mode not supported\"}");
	else if (strstr(line, "/containers/exited/kill"))
		json_answer(fd, 500, "{\"cause\":\"container state improper\",\"message\":\"can only "
				     "kill running containers. 4f2a is in state exited: container "
				     "state improper\",\"response\":500}");
	else if (strstr(line, "/containers/docker/kill"))
		json_answer(fd, 409, "{\"message\":\"Container docker is not running\"}");
	else if (strstr(line, "/containers/exited/stats"))
		/* As Podman 4.3 sends it on cgroup v1: no max_usage, and a field
		 * that wrapped below zero as an unsigned number. */
		json_answer(fd, 200, "{\"memory_stats\":{\"usage\":204800,\"limit\":25276059648},"
				     "\"cpu_stats\":{\"cpu_usage\":{\"total_usage\":5641750,"
				     "\"usage_in_kernelmode\":4000000,"
				     "\"usage_in_usermode\":18446744073707335237}}}");
	else if (strstr(line, "/containers/other/kill")) /* create's words on a kill */
		json_answer(fd, 500, "{\"message\":\"that name is already in use\"}");
	else /* the right words for the wrong operation */
		json_answer(fd, 500, "{\"message\":\"that name is already in use; can only kill "
				     "running containers\"}");
}

static void on_created(void *ud, const engine_status_t *st, const char *id)
{
	(void)id;
	keep(ud, st);
}

static engine_stats_t got_stats;

static void on_stats(void *ud, const engine_status_t *st, const engine_stats_t *stats)
{
	if (stats)
		got_stats = *stats;
	keep(ud, st);
}

static void run_create(res_t *r, const char *name)
{
	memset(r, 0, sizeof(*r));
	engine_spec_t spec = {.name = name, .image = "cjobs-test/busybox:1"};
	engine_create(eng, &spec, on_created, r);
	assert_int_equal(engine_loop_until(loop, &r->done, 10000), 0);
}

static void run_kill(res_t *r, const char *id)
{
	memset(r, 0, sizeof(*r));
	engine_kill(eng, id, "KILL", on_done, r);
	assert_int_equal(engine_loop_until(loop, &r->done, 10000), 0);
}

static void test_podman_answers(void **state)
{
	(void)state;
	client(podman_like);
	res_t r;
	run_create(&r, "taken");
	assert_false(r.st.ok);
	assert_true(r.st.conflict);
	contains(r.err, "that name is already in use");
	run_create(&r, "broken");
	assert_false(r.st.ok);
	assert_false(r.st.conflict);
	run_kill(&r, "exited");
	assert_false(r.st.ok);
	assert_true(r.st.conflict);
	contains(r.err, "can only kill running containers");
	run_kill(&r, "docker");
	assert_true(r.st.conflict);
	/* Podman's words only count for the operation they belong to. */
	run_kill(&r, "other");
	assert_false(r.st.conflict);
	run_inspect(&r);
	assert_int_equal(r.st.http_status, 500);
	assert_false(r.st.conflict);
	/* A number beyond int64 in a field not read spoils no sample. */
	memset(&r, 0, sizeof(r));
	memset(&got_stats, 0, sizeof(got_stats));
	engine_stats(eng, "exited", on_stats, &r);
	assert_int_equal(engine_loop_until(loop, &r.done, 10000), 0);
	if (!r.st.ok)
		fail_msg("stats: %s", r.err);
	assert_int_equal(got_stats.memory_bytes, 204800);
	assert_int_equal(got_stats.memory_peak_bytes, -1);
	assert_int_equal(got_stats.cpu_total_ns, 5641750);
	client_end();
}

static void not_docker(int fd, const char *line)
{
	(void)line;
	sendf(fd, "HTTP/1.1 404 Not Found\r\nContent-Length: 9\r\nConnection: close\r\n\r\nnot here\n");
}

static void test_not_docker(void **state)
{
	(void)state;
	client(not_docker);
	res_t r;
	run_inspect(&r);
	assert_false(r.st.ok);
	contains(r.err, "GET /_ping answered HTTP 404 (is this a Docker engine?)");
	client_end();
}

/* ---- bodies ---- */

static void huge(int fd, const char *line)
{
	if (strstr(line, "/_ping")) {
		ping_ok(fd, "1.41");
		return;
	}
	size_t n = 9u << 20;
	sendf(fd, "HTTP/1.1 200 OK\r\nContent-Length: %zu\r\nConnection: close\r\n\r\n", n);
	char *buf = malloc(1 << 20);
	memset(buf, ' ', 1 << 20);
	for (size_t i = 0; i < 9; i++)
		send_all(fd, buf, 1 << 20);
	free(buf);
}

static void test_too_large(void **state)
{
	(void)state;
	client(huge);
	res_t r;
	run_inspect(&r);
	assert_false(r.st.ok);
	contains(r.err, "response too large");
	contains(r.err, P.path);
	client_end();
}

static void cut(int fd, const char *line)
{
	if (strstr(line, "/_ping")) {
		ping_ok(fd, "1.41");
		return;
	}
	sendf(fd, "HTTP/1.1 200 OK\r\nContent-Length: 100\r\nConnection: close\r\n\r\n{\"Id\":");
}

static void test_cut_answer(void **state)
{
	(void)state;
	client(cut);
	res_t r;
	run_inspect(&r);
	assert_false(r.st.ok);
	assert_true(r.st.unreachable);
	contains(r.err, "connection lost");
	client_end();
}

static void tty_logs(int fd, const char *line)
{
	if (strstr(line, "/_ping"))
		ping_ok(fd, "1.41");
	else
		sendf(fd, "HTTP/1.1 200 OK\r\nContent-Length: 14\r\nConnection: close\r\n\r\n"
			  "hello\nworld!\n\n");
}

static void test_tty_logs(void **state)
{
	(void)state;
	client(tty_logs);
	res_t r = {0};
	engine_logs(eng, "c1", 1000, on_logs, &r);
	assert_int_equal(engine_loop_until(loop, &r.done, 10000), 0);
	assert_false(r.st.ok);
	assert_false(r.have_logs);
	contains(r.err, "not multiplexed");
	client_end();
}

static void pull_fails(int fd, const char *line)
{
	if (strstr(line, "/_ping")) {
		ping_ok(fd, "1.41");
		return;
	}
	snprintf(P.last_line, sizeof(P.last_line), "%s", line);
	sendf(fd, "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nConnection: close\r\n\r\n");
	send_all(fd, "{\"status\":\"Pulling from x\"}\r\n{\"status\":\"Wait", 42);
	usleep(20000);
	send_all(fd, "ing\"}\r\n{\"errorDetail\":{\"message\":\"boom\"},\"error\":\"boom\"}\r\n", 59);
}

static void test_pull_error(void **state)
{
	(void)state;
	client(pull_fails);
	res_t r = {0};
	engine_pull(eng, "localhost:5000/team/app", NULL, on_done, &r);
	assert_int_equal(engine_loop_until(loop, &r.done, 10000), 0);
	assert_false(r.st.ok);
	contains(r.err, "pull of localhost:5000/team/app failed: boom");
	assert_string_equal(P.lines[1], "POST /v1.41/images/create?fromImage=localhost%3A5000%2Fteam%2Fapp"
					"&tag=latest HTTP/1.1");
	assert_string_equal(P.auth, "");  /* no credentials: no header */
	client_end();
}

/* Credentials go in the X-Registry-Auth header as given, and nowhere in
 * the request line or the error. */
static void test_pull_sends_credentials(void **state)
{
	(void)state;
	client(pull_fails);
	res_t r = {0};
	engine_pull(eng, "localhost:5000/team/app:2", "eyJ1c2VybmFtZSI6InUifQ==", on_done, &r);
	assert_int_equal(engine_loop_until(loop, &r.done, 10000), 0);
	assert_string_equal(P.auth, "eyJ1c2VybmFtZSI6InUifQ==");
	assert_null(strstr(P.lines[1], "eyJ1"));
	assert_null(strstr(r.err, "eyJ1"));
	client_end();
}

/* ---- events ---- */

static struct {
	int n;
	int dies;
	int exec_dies;
	int last_code;
	bool ended;
	bool end_ok;
	int64_t last_time;
	bool in_order;
} EV;

static void on_event(void *ud, const engine_event_t *ev)
{
	(void)ud;
	EV.n++;
	if (strcmp(ev->action, "die") == 0) {
		EV.dies++;
		EV.last_code = ev->exit_code;
		assert_string_equal(ev->label_job, "j1");
	} else if (strcmp(ev->action, "exec_die") == 0) {
		EV.exec_dies++;
		assert_int_equal(ev->exit_code, -1);
	}
	if (ev->time_ns < EV.last_time)
		EV.in_order = false;
	EV.last_time = ev->time_ns;
}

static void on_end(void *ud, const engine_status_t *st)
{
	(void)ud;
	EV.ended = true;
	EV.end_ok = st->ok;
}

static void event_line(char *buf, size_t size, const char *action, int code, int64_t t)
{
	snprintf(buf, size,
		 "{\"Type\":\"container\",\"Action\":\"%s\",\"Actor\":{\"ID\":\"abc\","
		 "\"Attributes\":{\"exitCode\":\"%d\",\"cjobs.job\":\"j1\",\"cjobs.attempt\":\"2\"}},"
		 "\"time\":1,\"timeNano\":%lld}\n", action, code, (long long)t);
}

static void chunk(int fd, const char *p, size_t n)
{
	sendf(fd, "%zx\r\n", n);
	send_all(fd, p, n);
	send_all(fd, "\r\n", 2);
}

static int flood_count;

static void events_peer(int fd, const char *line)
{
	if (strstr(line, "/_ping")) {
		ping_ok(fd, "1.41");
		return;
	}
	sendf(fd, "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
		  "Transfer-Encoding: chunked\r\n\r\n");
	char ev[512];
	/* A die event cut in three pieces. */
	event_line(ev, sizeof(ev), "die", 3, 1000);
	chunk(fd, ev, 10);
	usleep(10000);
	chunk(fd, ev + 10, 50);
	usleep(10000);
	chunk(fd, ev + 60, strlen(ev) - 60);
	/* An over-long line (skipped) and garbage (skipped). */
	char *big = malloc(2u << 20);
	memset(big, 'x', 2u << 20);
	big[(2u << 20) - 1] = '\n';
	chunk(fd, big, 2u << 20);
	free(big);
	chunk(fd, "not json\n", 9);
	event_line(ev, sizeof(ev), "exec_die", 0, 2000);
	chunk(fd, ev, strlen(ev));
	/* A flood: more than the client queues before pausing. */
	char *flood = malloc(64u << 10);
	size_t used = 0;
	for (int i = 0; i < flood_count; i++) {
		event_line(ev, sizeof(ev), "die", i % 256, 3000 + i);
		size_t l = strlen(ev);
		if (used + l > (64u << 10)) {
			chunk(fd, flood, used);
			used = 0;
		}
		memcpy(flood + used, ev, l);
		used += l;
	}
	if (used)
		chunk(fd, flood, used);
	free(flood);
	send_all(fd, "0\r\n\r\n", 5);
}

static void test_events(void **state)
{
	(void)state;
	flood_count = 40000; /* about 7 MB */
	memset(&EV, 0, sizeof(EV));
	EV.in_order = true;
	client(events_peer);
	engine_events_t *ev = engine_events_open(eng, "cjobs.job", NULL, 1500000000123456789LL,
						 on_event, on_end, NULL);
	assert_non_null(ev);
	assert_int_equal(engine_loop_until(loop, &EV.ended, 30000), 0);
	assert_true(EV.end_ok);
	assert_int_equal(EV.n, 2 + flood_count);
	assert_int_equal(EV.exec_dies, 1);
	assert_int_equal(EV.dies, 1 + flood_count);
	assert_int_equal(EV.last_code, (flood_count - 1) % 256);
	assert_true(EV.in_order);
	contains(P.lines[1], "GET /v1.41/events?since=1500000000.123456789&filters=");
	contains(P.lines[1], "%7B%22type%22%3A%5B%22container%22%5D%2C%22label%22%3A%5B%22cjobs.job%22%5D%7D");
	engine_events_close(ev);
	client_end();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_old_api),
		cmocka_unit_test(test_no_version_header),
		cmocka_unit_test(test_newer_engine_and_text_error),
		cmocka_unit_test(test_podman_answers),
		cmocka_unit_test(test_not_docker),
		cmocka_unit_test(test_too_large),
		cmocka_unit_test(test_cut_answer),
		cmocka_unit_test(test_tty_logs),
		cmocka_unit_test(test_pull_error),
		cmocka_unit_test(test_pull_sends_credentials),
		cmocka_unit_test(test_events),
	};
	return cmocka_run_group_tests(tests, peer_start, peer_stop);
}
