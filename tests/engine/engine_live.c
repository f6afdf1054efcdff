/*
 * tests/engine/engine_live.c: the engine client against a real, private
 * Docker engine (CJOBS_TEST_ENGINE=unix:///...; tests/cli/t0050 starts
 * one). Nothing here is mocked: containers really run, exit, print and
 * get killed. Figures (launch concurrency, log throughput) are printed,
 * never asserted.
 *
 * Must never talk to any engine but the one named in CJOBS_TEST_ENGINE,
 * and must leave no container behind: every container carries the label
 * cjobs.job and the teardown removes them all.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cmocka.h>

#include "engine/engine.h"
#include "util/timeutil.h"

#define IMAGE "cjobs-test/busybox:1"
#define WAIT_MS 60000

typedef struct {
	char *id;
	char *action;
	int exit_code;
	char *job, *attempt, *store;
	int64_t time_ns;
} seen_t;

static struct {
	const char *url;
	engine_loop_t *loop;
	engine_t *e;
	engine_events_t *ev;
	seen_t *seen;
	size_t nseen;
	bool ended;
	int pid;
	int serial;
} F;

/* The engine under test; TLS files come from CJOBS_TEST_TLS_CA/CERT/KEY
 * when the engine is a tcp:// one with TLS. */
static engine_config_t test_config(void)
{
	engine_config_t cfg = {
		.url = F.url,
		.tls_ca = getenv("CJOBS_TEST_TLS_CA"),
		.tls_cert = getenv("CJOBS_TEST_TLS_CERT"),
		.tls_key = getenv("CJOBS_TEST_TLS_KEY"),
		.tls_verify = true,
	};
	return cfg;
}

static char *dup_or_null(const char *s)
{
	return s ? strdup(s) : NULL;
}

/* ---- results of one request ---- */

typedef struct {
	bool done;
	engine_status_t st;
	char *err;
	char *id;
	engine_info_t info;
	char *version, *api, *os;
	char *state, *name, *job, *attempt, *store;
	bool running, oom;
	int exit_code;
	int64_t started, finished;
	job_output_t out, errout;
	bool have_logs;
	size_t n;
	engine_stats_t stats;
	bool have_stats;
} res_t;

static void take_status(res_t *r, const engine_status_t *st)
{
	r->st = *st;
	r->err = dup_or_null(st->error);
	r->st.error = r->err;
	r->done = true;
}

static void res_free(res_t *r)
{
	free(r->err);
	free(r->id);
	free(r->version);
	free(r->api);
	free(r->os);
	free(r->state);
	free(r->name);
	free(r->job);
	free(r->attempt);
	free(r->store);
	job_output_free(&r->out);
	job_output_free(&r->errout);
	memset(r, 0, sizeof(*r));
}

static void on_done(void *ud, const engine_status_t *st)
{
	take_status(ud, st);
}

static void on_created(void *ud, const engine_status_t *st, const char *id)
{
	res_t *r = ud;
	r->id = dup_or_null(id);
	take_status(r, st);
}

static void on_info(void *ud, const engine_status_t *st, const engine_info_t *info)
{
	res_t *r = ud;
	if (info) {
		r->info = *info;
		r->version = dup_or_null(info->version);
		r->api = dup_or_null(info->api_version);
		r->os = dup_or_null(info->os);
	}
	take_status(r, st);
}

static void on_inspect(void *ud, const engine_status_t *st, const engine_container_t *c)
{
	res_t *r = ud;
	if (c) {
		r->id = dup_or_null(c->id);
		r->state = dup_or_null(c->state);
		r->name = dup_or_null(c->name);
		r->job = dup_or_null(c->label_job);
		r->attempt = dup_or_null(c->label_attempt);
		r->store = dup_or_null(c->label_store);
		r->running = c->running;
		r->oom = c->oom_killed;
		r->exit_code = c->exit_code;
		r->started = c->started_at;
		r->finished = c->finished_at;
	}
	take_status(r, st);
}

static void on_logs(void *ud, const engine_status_t *st, job_output_t *out, job_output_t *err)
{
	res_t *r = ud;
	if (out) {
		r->out = *out;
		r->errout = *err;
		r->have_logs = true;
	}
	take_status(r, st);
}

static void on_stats(void *ud, const engine_status_t *st, const engine_stats_t *s)
{
	res_t *r = ud;
	if (s) {
		r->stats = *s;
		r->have_stats = true;
	}
	take_status(r, st);
}

typedef struct {
	res_t res;
	char names[64][128];
} list_res_t;

static void on_list(void *ud, const engine_status_t *st, const engine_container_t *list, size_t n)
{
	list_res_t *l = ud;
	l->res.n = n;
	for (size_t i = 0; i < n && i < 64; i++)
		snprintf(l->names[i], sizeof(l->names[i]), "%s", list[i].name);
	take_status(&l->res, st);
}

static void wait_done(res_t *r)
{
	assert_int_equal(engine_loop_until(F.loop, &r->done, WAIT_MS), 0);
}

/* ---- the shared event stream ---- */

static void on_event(void *ud, const engine_event_t *ev)
{
	(void)ud;
	seen_t *n = realloc(F.seen, (F.nseen + 1) * sizeof(*n));
	assert_non_null(n);
	F.seen = n;
	seen_t *s = &F.seen[F.nseen++];
	s->id = dup_or_null(ev->id);
	s->action = dup_or_null(ev->action);
	s->exit_code = ev->exit_code;
	s->job = dup_or_null(ev->label_job);
	s->attempt = dup_or_null(ev->label_attempt);
	s->store = dup_or_null(ev->label_store);
	s->time_ns = ev->time_ns;
}

static void on_end(void *ud, const engine_status_t *st)
{
	(void)ud;
	fprintf(stderr, "# event stream ended: %s\n", st->error ? st->error : "ok");
	F.ended = true;
}

static const seen_t *find_event(const char *id, const char *action)
{
	for (size_t i = 0; i < F.nseen; i++)
		if (F.seen[i].id && strcmp(F.seen[i].id, id) == 0 &&
		    strcmp(F.seen[i].action, action) == 0)
			return &F.seen[i];
	return NULL;
}

static const seen_t *wait_event(const char *id, const char *action)
{
	int64_t deadline = mono_ms() + WAIT_MS;
	const seen_t *s;
	while (!(s = find_event(id, action))) {
		assert_false(F.ended);
		assert_true(mono_ms() < deadline);
		assert_true(engine_loop_run(F.loop, 200, NULL, 0) >= 0);
	}
	return s;
}

/* ---- synchronous wrappers ---- */

static char *label_list[4];

static char *create(const char *name, char *const *argv, const char *job)
{
	static char jl[160];
	snprintf(jl, sizeof(jl), "cjobs.job=%s", job);
	label_list[0] = jl;
	label_list[1] = "cjobs.attempt=1";
	label_list[2] = "cjobs.store=test";
	label_list[3] = NULL;
	engine_spec_t spec = {
		.name = name,
		.image = IMAGE,
		.argv = argv,
		.network_mode = "none",
		.labels = label_list,
	};
	res_t r = {0};
	engine_create(F.e, &spec, on_created, &r);
	wait_done(&r);
	if (!r.st.ok)
		fail_msg("create %s: %s", name, r.err);
	char *id = r.id;
	r.id = NULL;
	res_free(&r);
	return id;
}

static void start(const char *id)
{
	res_t r = {0};
	engine_start(F.e, id, on_done, &r);
	wait_done(&r);
	if (!r.st.ok)
		fail_msg("start: %s", r.err);
	res_free(&r);
}

static void remove_ok(const char *id)
{
	res_t r = {0};
	engine_remove(F.e, id, on_done, &r);
	wait_done(&r);
	if (!r.st.ok)
		fail_msg("remove: %s", r.err);
	res_free(&r);
}

static void unique_name(char *buf, size_t size, const char *what)
{
	snprintf(buf, size, "cjobs-live-%d-%s-%d", F.pid, what, ++F.serial);
}

static char *const sleeper[] = {"sleep", "300", NULL};

/* ---- fixture ---- */

static int setup(void **state)
{
	(void)state;
	F.pid = (int)getpid();
	F.loop = engine_loop_new();
	engine_config_t cfg = test_config();
	char *err = NULL;
	if (!F.loop || engine_new(F.loop, &cfg, &F.e, &err) != 0) {
		fprintf(stderr, "setup: %s\n", err ? err : "no loop");
		free(err);
		return -1;
	}
	/* Opened before any request: the ping, the stream and the first
	 * create all wait for the version together. */
	F.ev = engine_events_open(F.e, "cjobs.job", NULL, 0, on_event, on_end, NULL);
	return F.ev ? 0 : -1;
}

static void remove_all(void)
{
	list_res_t *l = calloc(1, sizeof(*l));
	engine_list(F.e, "cjobs.job", NULL, on_list, l);
	if (engine_loop_until(F.loop, &l->res.done, WAIT_MS) == 0 && l->res.st.ok) {
		for (size_t i = 0; i < l->res.n && i < 64; i++) {
			res_t r = {0};
			engine_remove(F.e, l->names[i], on_done, &r);
			engine_loop_until(F.loop, &r.done, WAIT_MS);
			res_free(&r);
		}
	}
	res_free(&l->res);
	free(l);
}

static int teardown(void **state)
{
	(void)state;
	remove_all();
	engine_events_close(F.ev);
	engine_free(F.e);
	engine_loop_free(F.loop);
	for (size_t i = 0; i < F.nseen; i++) {
		free(F.seen[i].id);
		free(F.seen[i].action);
		free(F.seen[i].job);
		free(F.seen[i].attempt);
		free(F.seen[i].store);
	}
	free(F.seen);
	return 0;
}

/* ---- tests ---- */

/* The life of one container, on an engine that has not been pinged. */
static void test_lifecycle(void **state)
{
	(void)state;
	char name[96];
	unique_name(name, sizeof(name), "life");
	char *const argv[] = {"sh", "-c", "echo out; echo err >&2; exit 3", NULL};
	int64_t t0 = mono_ms();
	char *id = create(name, argv, "x");
	start(id);
	const seen_t *die = wait_event(id, "die");
	fprintf(stderr, "# one container: create+start+die in %lld ms\n",
		(long long)(mono_ms() - t0));
	assert_int_equal(die->exit_code, 3);
	assert_string_equal(die->job, "x");
	assert_string_equal(die->attempt, "1");
	assert_string_equal(die->store, "test");
	assert_true(die->time_ns > 1600000000LL * 1000000000LL);
	const seen_t *st = find_event(id, "start");
	assert_non_null(st);
	assert_int_equal(st->exit_code, -1);

	res_t r = {0};
	engine_inspect(F.e, id, on_inspect, &r);
	wait_done(&r);
	assert_true(r.st.ok);
	assert_string_equal(r.state, "exited");
	assert_false(r.running);
	assert_false(r.oom);
	assert_int_equal(r.exit_code, 3);
	assert_string_equal(r.name, name);
	assert_string_equal(r.id, id);
	assert_string_equal(r.job, "x");
	assert_string_equal(r.attempt, "1");
	assert_string_equal(r.store, "test");
	int64_t now = now_ms();
	fprintf(stderr, "# started %lld, finished %lld, now %lld\n", (long long)r.started,
		(long long)r.finished, (long long)now);
	assert_true(r.started > now - 600000 && r.started <= now + 1000);
	/* The engine stamps a quick container's end and start from different
	 * threads: the finish can precede the start by a little. */
	assert_true(r.finished > r.started - 1000 && r.finished <= now + 1000);
	res_free(&r);

	engine_logs(F.e, id, 1 << 20, on_logs, &r);
	wait_done(&r);
	assert_true(r.st.ok);
	assert_true(r.have_logs);
	assert_int_equal(r.out.len, 4);
	assert_memory_equal(r.out.data, "out\n", 4);
	assert_int_equal(r.errout.len, 4);
	assert_memory_equal(r.errout.data, "err\n", 4);
	assert_false(r.out.truncated);
	assert_int_equal(r.out.total_bytes, 4);
	res_free(&r);

	remove_ok(id);
	/* Gone: remove again is still ok, inspect says not found. */
	engine_remove(F.e, id, on_done, &r);
	wait_done(&r);
	assert_true(r.st.ok);
	res_free(&r);
	engine_inspect(F.e, id, on_inspect, &r);
	wait_done(&r);
	assert_false(r.st.ok);
	assert_true(r.st.not_found);
	assert_int_equal(r.st.http_status, 404);
	assert_non_null(strstr(r.err, F.url));
	fprintf(stderr, "# inspect of a removed container: %s\n", r.err);
	res_free(&r);
	free(id);
}

static void test_info(void **state)
{
	(void)state;
	res_t r = {0};
	engine_info(F.e, on_info, &r);
	wait_done(&r);
	if (!r.st.ok)
		fail_msg("info: %s", r.err);
	fprintf(stderr, "# engine %s, API %s, %s, %lld CPUs, %lld bytes, %lld running\n",
		r.version, r.api, r.os, (long long)r.info.cpus, (long long)r.info.memory_bytes,
		(long long)r.info.containers_running);
	assert_true(strlen(r.version) > 0);
	assert_string_equal(r.api, "1.41");
	assert_true(r.info.cpus > 0);
	assert_true(r.info.memory_bytes > 0);
	res_free(&r);
}

static void test_missing_image(void **state)
{
	(void)state;
	engine_spec_t spec = {.image = "cjobs-test/no-such-image:1", .network_mode = "none"};
	res_t r = {0};
	engine_create(F.e, &spec, on_created, &r);
	wait_done(&r);
	fprintf(stderr, "# missing image: %s\n", r.err);
	assert_false(r.st.ok);
	assert_true(r.st.not_found);
	assert_false(r.st.conflict);
	assert_false(r.st.unreachable);
	assert_null(r.id);
	assert_non_null(strstr(r.err, "cjobs-test/no-such-image:1"));
	assert_non_null(strstr(r.err, F.url));
	res_free(&r);
}

static void test_name_conflict(void **state)
{
	(void)state;
	char name[96];
	unique_name(name, sizeof(name), "twice");
	char *id = create(name, sleeper, "conflict");
	engine_spec_t spec = {.name = name, .image = IMAGE, .argv = sleeper, .network_mode = "none"};
	res_t r = {0};
	engine_create(F.e, &spec, on_created, &r);
	wait_done(&r);
	fprintf(stderr, "# same name twice: %s\n", r.err);
	assert_false(r.st.ok);
	assert_true(r.st.conflict);
	assert_int_equal(r.st.http_status, 409);
	assert_non_null(strstr(r.err, F.url));
	res_free(&r);
	remove_ok(id);
	free(id);
}

/* Eight containers launched at once: the figure shows whether requests
 * really overlap. */
typedef struct {
	char *id;
	bool created, started;
	int64_t created_at, started_at; /* ms after the batch began */
	char *err;
} launch_t;

static int64_t batch_t0;

static launch_t launches[8];

static void launch_started(void *ud, const engine_status_t *st)
{
	launch_t *l = ud;
	l->started = true;
	l->started_at = mono_ms() - batch_t0;
	if (!st->ok)
		l->err = strdup(st->error);
}

static void launch_created(void *ud, const engine_status_t *st, const char *id)
{
	launch_t *l = ud;
	l->created = true;
	l->created_at = mono_ms() - batch_t0;
	if (!st->ok) {
		l->err = strdup(st->error);
		l->started = true;
		return;
	}
	l->id = strdup(id);
	engine_start(F.e, id, launch_started, l); /* a request from a callback */
}

static int64_t run_batch(int n, const char *what)
{
	char names[8][96];
	char *const argv[] = {"sh", "-c", "exit 0", NULL};
	engine_spec_t spec = {.image = IMAGE, .argv = argv, .network_mode = "none",
			      .labels = label_list};
	static char jl[64] = "cjobs.job=batch";
	label_list[0] = jl;
	label_list[1] = NULL;
	memset(launches, 0, sizeof(launches));
	int64_t t0 = batch_t0 = mono_ms();
	for (int i = 0; i < n; i++) {
		unique_name(names[i], sizeof(names[i]), what);
		spec.name = names[i];
		engine_create(F.e, &spec, launch_created, &launches[i]);
	}
	for (int i = 0; i < n; i++) {
		assert_int_equal(engine_loop_until(F.loop, &launches[i].started, WAIT_MS), 0);
		if (launches[i].err)
			fail_msg("launch %d: %s", i, launches[i].err);
	}
	for (int i = 0; i < n; i++)
		wait_event(launches[i].id, "die");
	int64_t ms = mono_ms() - t0;
	for (int i = 0; i < n; i++)
		fprintf(stderr, "#   %s %d: created at %lld ms, started at %lld ms\n", what, i,
			(long long)launches[i].created_at, (long long)launches[i].started_at);
	for (int i = 0; i < n; i++) {
		remove_ok(launches[i].id);
		free(launches[i].id);
	}
	return ms;
}

static void test_concurrent_launch(void **state)
{
	(void)state;
	int64_t one = run_batch(1, "solo");
	int64_t eight = run_batch(8, "many");
	fprintf(stderr, "# launch to exit: 1 container %lld ms, 8 concurrent %lld ms (%.2fx)\n",
		(long long)one, (long long)eight, one ? (double)eight / (double)one : 0.0);
}

static void test_big_output(void **state)
{
	(void)state;
	char name[96];
	unique_name(name, sizeof(name), "big");
	/* 20000 lines of 1000 bytes: plain text keeps the engine's own log
	 * file small, unlike NUL bytes it would escape. */
	char *const argv[] = {"sh", "-c",
			      "yes \"$(printf '%0999d' 0)\" | head -c 20000000; echo done >&2", NULL};
	char *id = create(name, argv, "big");
	start(id);
	const seen_t *die = wait_event(id, "die");
	assert_int_equal(die->exit_code, 0);
	res_t r = {0};
	int64_t t0 = mono_ms();
	engine_logs(F.e, id, 1 << 20, on_logs, &r);
	wait_done(&r);
	int64_t ms = mono_ms() - t0;
	if (!r.st.ok)
		fail_msg("logs: %s", r.err);
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	fprintf(stderr, "# 20 MB of logs read in %lld ms: kept %zu, total %lld, truncated %d; "
			"peak RSS of this process so far %ld KiB\n",
		(long long)ms, r.out.len, (long long)r.out.total_bytes, r.out.truncated, ru.ru_maxrss);
	assert_int_equal(r.out.len, 1 << 20);
	assert_int_equal(r.out.total_bytes, 20000000);
	assert_true(r.out.truncated);
	assert_int_equal(r.out.data[0], '0');
	assert_memory_equal(r.errout.data, "done\n", 5);
	assert_false(r.errout.truncated);
	res_free(&r);
	remove_ok(id);
	free(id);
}

static void test_list_by_label(void **state)
{
	(void)state;
	char name[96], job[64];
	snprintf(job, sizeof(job), "list-%d", F.pid);
	char *ids[3];
	for (int i = 0; i < 3; i++) {
		unique_name(name, sizeof(name), "list");
		ids[i] = create(name, sleeper, i < 2 ? job : "other");
	}
	list_res_t *l = calloc(1, sizeof(*l));
	engine_list(F.e, "cjobs.job", job, on_list, l);
	wait_done(&l->res);
	assert_true(l->res.st.ok);
	assert_int_equal(l->res.n, 2);
	res_free(&l->res);
	memset(l, 0, sizeof(*l));
	engine_list(F.e, "cjobs.job", NULL, on_list, l);
	wait_done(&l->res);
	assert_true(l->res.st.ok);
	assert_true(l->res.n >= 3);
	res_free(&l->res);
	memset(l, 0, sizeof(*l));
	engine_list(F.e, "cjobs.no-such-label", NULL, on_list, l);
	wait_done(&l->res);
	assert_true(l->res.st.ok);
	assert_int_equal(l->res.n, 0);
	res_free(&l->res);
	free(l);
	for (int i = 0; i < 3; i++) {
		remove_ok(ids[i]);
		free(ids[i]);
	}
}

static void test_stats_kill_stop(void **state)
{
	(void)state;
	char name[96];
	unique_name(name, sizeof(name), "sleep");
	char *id = create(name, sleeper, "sleep");
	start(id);
	res_t r = {0};
	engine_stats(F.e, id, on_stats, &r);
	wait_done(&r);
	if (!r.st.ok)
		fail_msg("stats: %s", r.err);
	fprintf(stderr, "# stats: memory %lld, peak %lld, cpu %lld ns\n",
		(long long)r.stats.memory_bytes, (long long)r.stats.memory_peak_bytes,
		(long long)r.stats.cpu_total_ns);
	assert_true(r.stats.memory_bytes > 0);
	assert_true(r.stats.cpu_total_ns >= 0);
	res_free(&r);

	engine_kill(F.e, id, "KILL", on_done, &r);
	wait_done(&r);
	assert_true(r.st.ok);
	res_free(&r);
	const seen_t *die = wait_event(id, "die");
	assert_int_equal(die->exit_code, 137);

	/* Not running any more: kill is a conflict, stop is fine. */
	engine_kill(F.e, id, "TERM", on_done, &r);
	wait_done(&r);
	fprintf(stderr, "# kill of a stopped container: %s\n", r.err);
	assert_false(r.st.ok);
	assert_true(r.st.conflict);
	res_free(&r);
	engine_stop(F.e, id, 5, on_done, &r);
	wait_done(&r);
	assert_true(r.st.ok);
	assert_int_equal(r.st.http_status, 304);
	res_free(&r);
	engine_inspect(F.e, id, on_inspect, &r);
	wait_done(&r);
	assert_string_equal(r.state, "exited");
	assert_int_equal(r.exit_code, 137);
	res_free(&r);

	/* stop of a running container within its grace period */
	start(id);
	int64_t t0 = mono_ms();
	engine_stop(F.e, id, 1, on_done, &r);
	wait_done(&r);
	assert_true(r.st.ok);
	fprintf(stderr, "# stop with 1 s grace: %lld ms\n", (long long)(mono_ms() - t0));
	res_free(&r);
	remove_ok(id);
	free(id);
}

/* The stream can be re-opened from a past time and delivers again. */
static void test_events_since(void **state)
{
	(void)state;
	const seen_t *first = NULL;
	for (size_t i = 0; i < F.nseen && !first; i++)
		if (strcmp(F.seen[i].action, "die") == 0)
			first = &F.seen[i];
	assert_non_null(first);
	char *id = strdup(first->id);
	int64_t since = first->time_ns;
	size_t before = F.nseen;
	engine_events_t *ev = engine_events_open(F.e, "cjobs.job", "x", since, on_event, on_end, NULL);
	assert_non_null(ev);
	int64_t deadline = mono_ms() + 10000;
	bool again = false;
	while (!again && mono_ms() < deadline) {
		engine_loop_run(F.loop, 200, NULL, 0);
		for (size_t i = before; i < F.nseen; i++)
			again |= strcmp(F.seen[i].id, id) == 0 && strcmp(F.seen[i].action, "die") == 0;
	}
	assert_true(again);
	engine_events_close(ev);
	free(id);
}

/* Callbacks may close streams and free engines, their own included. */
static int closes_seen;
static engine_events_t *closing_ev;
static void close_on_first(void *ud, const engine_event_t *ev)
{
	(void)ud;
	(void)ev;
	closes_seen++;
	engine_events_close(closing_ev);
}

static void must_not_end(void *ud, const engine_status_t *st)
{
	(void)ud;
	(void)st;
	fail_msg("on_end after close or free");
}

static int frees_seen;
static engine_t *doomed;
static void free_on_first(void *ud, const engine_status_t *st, const engine_container_t *c)
{
	(void)ud;
	(void)st;
	(void)c;
	frees_seen++;
	engine_free(doomed);
}

static void test_reentrancy(void **state)
{
	(void)state;
	/* Several past events at once; the first closes the stream. */
	closing_ev = engine_events_open(F.e, "cjobs.job", NULL, 1000000000, close_on_first,
					must_not_end, NULL);
	assert_non_null(closing_ev);
	for (int i = 0; i < 20; i++)
		engine_loop_run(F.loop, 100, NULL, 0);
	assert_int_equal(closes_seen, 1);

	engine_config_t cfg = test_config();
	char *err = NULL;
	assert_int_equal(engine_new(F.loop, &cfg, &doomed, &err), 0);
	engine_events_t *ev = engine_events_open(doomed, "cjobs.job", NULL, 0, close_on_first,
						 must_not_end, NULL);
	for (int i = 0; i < 3; i++)
		engine_inspect(doomed, "no-such-container", free_on_first, NULL);
	for (int i = 0; i < 20; i++)
		engine_loop_run(F.loop, 100, NULL, 0);
	assert_int_equal(frees_seen, 1);
	/* The stream's handle outlives its engine until closed. */
	engine_events_close(ev);
}

static void test_unreachable(void **state)
{
	(void)state;
	char url[128];
	snprintf(url, sizeof(url), "unix:///tmp/cjobs-no-such-dir-%d/docker.sock", F.pid);
	engine_config_t cfg = {.url = url};
	engine_t *e = NULL;
	char *err = NULL;
	assert_int_equal(engine_new(F.loop, &cfg, &e, &err), 0);
	res_t r = {0}, c = {0};
	engine_spec_t spec = {.image = IMAGE};
	engine_create(e, &spec, on_created, &c); /* waits for the ping, fails with it */
	engine_info(e, on_info, &r);
	wait_done(&r);
	wait_done(&c);
	fprintf(stderr, "# unreachable: %s\n", r.err);
	assert_false(r.st.ok);
	assert_true(r.st.unreachable);
	assert_int_equal(r.st.http_status, 0);
	assert_non_null(strstr(r.err, url));
	assert_non_null(strstr(r.err, "No such file or directory"));
	assert_non_null(strstr(r.err, "cannot connect to engine"));
	assert_false(c.st.ok);
	assert_true(c.st.unreachable);
	assert_string_equal(c.err, r.err);
	res_free(&r);
	res_free(&c);
	engine_free(e);
}

static void test_refused_tcp(void **state)
{
	(void)state;
	/* A loopback port nobody listens on (the test's own, just closed). */
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	assert_true(fd >= 0);
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t len = sizeof(sa);
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&sa, &len), 0);
	close(fd);
	char url[64];
	snprintf(url, sizeof(url), "tcp://127.0.0.1:%d", ntohs(sa.sin_port));
	engine_config_t cfg = {.url = url};
	engine_t *e = NULL;
	char *err = NULL;
	assert_int_equal(engine_new(F.loop, &cfg, &e, &err), 0);
	res_t r = {0};
	engine_list(e, "cjobs.job", NULL, on_list, &r);
	wait_done(&r);
	fprintf(stderr, "# refused: %s\n", r.err);
	assert_false(r.st.ok);
	assert_true(r.st.unreachable);
	assert_non_null(strstr(r.err, url));
	assert_non_null(strstr(r.err, "Connection refused"));
	res_free(&r);
	engine_free(e);
}

/* With TLS: a CA that did not sign the engine's certificate is refused,
 * unless verification is off. */
static void test_tls_verify(void **state)
{
	(void)state;
	engine_config_t cfg = test_config();
	if (!cfg.tls_ca || !cfg.tls_cert) {
		skip();
		return;
	}
	cfg.tls_ca = cfg.tls_cert; /* a certificate, but not the CA */
	engine_t *e = NULL;
	char *err = NULL;
	assert_int_equal(engine_new(F.loop, &cfg, &e, &err), 0);
	res_t r = {0};
	engine_info(e, on_info, &r);
	wait_done(&r);
	fprintf(stderr, "# wrong CA: %s\n", r.err);
	assert_false(r.st.ok);
	assert_true(r.st.unreachable);
	assert_non_null(strstr(r.err, F.url));
	res_free(&r);
	engine_free(e);

	cfg.tls_verify = false;
	assert_int_equal(engine_new(F.loop, &cfg, &e, &err), 0);
	engine_info(e, on_info, &r);
	wait_done(&r);
	assert_true(r.st.ok);
	res_free(&r);
	engine_free(e);

	/* Without a client certificate the engine refuses us. */
	cfg = test_config();
	cfg.tls_cert = cfg.tls_key = NULL;
	assert_int_equal(engine_new(F.loop, &cfg, &e, &err), 0);
	engine_info(e, on_info, &r);
	wait_done(&r);
	fprintf(stderr, "# no client certificate: %s\n", r.err);
	assert_false(r.st.ok);
	assert_non_null(strstr(r.err, F.url));
	res_free(&r);
	engine_free(e);
}

/* An engine that accepts the connection and never answers. */
static void test_hung_engine(void **state)
{
	(void)state;
	char path[108];
	snprintf(path, sizeof(path), "/tmp/cjobs-hung-%d.sock", F.pid);
	unlink(path);
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);
	assert_true(fd >= 0);
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(listen(fd, 8), 0);
	char url[160];
	snprintf(url, sizeof(url), "unix://%s", path);
	engine_config_t cfg = {.url = url, .request_timeout_ms = 300};
	engine_t *e = NULL;
	char *err = NULL;
	assert_int_equal(engine_new(F.loop, &cfg, &e, &err), 0);
	res_t r = {0};
	engine_inspect(e, "x", on_inspect, &r);
	wait_done(&r);
	fprintf(stderr, "# hung engine: %s\n", r.err);
	assert_false(r.st.ok);
	assert_true(r.st.timed_out);
	assert_non_null(strstr(r.err, url));
	res_free(&r);
	engine_free(e);
	close(fd);
	unlink(path);
}

static void test_pull_failure(void **state)
{
	(void)state;
	/* A registry on a loopback port nobody listens on: the engine's
	 * attempt stays on this machine and fails. */
	res_t r = {0};
	engine_pull(F.e, "127.0.0.1:9/cjobs-none:1", NULL, on_done, &r);
	wait_done(&r);
	fprintf(stderr, "# pull failure: %s\n", r.err);
	assert_false(r.st.ok);
	assert_non_null(strstr(r.err, F.url));
	res_free(&r);
}

static void test_wake_fd(void **state)
{
	(void)state;
	int p[2];
	assert_int_equal(pipe(p), 0);
	assert_int_equal(write(p[1], "x", 1), 1);
	int64_t t0 = mono_ms();
	assert_true(engine_loop_run(F.loop, 5000, &p[0], 1) >= 0);
	assert_true(mono_ms() - t0 < 4000);
	close(p[0]);
	close(p[1]);
}

int main(void)
{
	F.url = getenv("CJOBS_TEST_ENGINE");
	if (!F.url || !*F.url) {
		fprintf(stderr, "engine_live: set CJOBS_TEST_ENGINE to a private engine's URL "
				"(tests/cli/t0050-engine-live.sh does)\n");
		return 77;
	}
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_lifecycle),
		cmocka_unit_test(test_info),
		cmocka_unit_test(test_missing_image),
		cmocka_unit_test(test_name_conflict),
		cmocka_unit_test(test_concurrent_launch),
		cmocka_unit_test(test_big_output),
		cmocka_unit_test(test_list_by_label),
		cmocka_unit_test(test_stats_kill_stop),
		cmocka_unit_test(test_events_since),
		cmocka_unit_test(test_reentrancy),
		cmocka_unit_test(test_unreachable),
		cmocka_unit_test(test_refused_tcp),
		cmocka_unit_test(test_tls_verify),
		cmocka_unit_test(test_hung_engine),
		cmocka_unit_test(test_pull_failure),
		cmocka_unit_test(test_wake_fd),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
