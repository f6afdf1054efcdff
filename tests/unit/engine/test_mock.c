/*
 * tests/unit/engine/test_mock.c: the mock executor (mock://) answers as an
 * engine would, from its table of containers: create records a name and
 * its labels and refuses a name in use (409); every operation on an id or
 * name it does not hold is a 404; kill of a container that is not running
 * is a 409 and stop a 304; remove frees the name; inspect tells the real
 * state; list and the event stream pick by the label filter asked for;
 * and an event stream whose reader pauses loses no event and keeps their
 * order. The mock is in this process, so the engine API drives it
 * directly.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "engine/engine.h"
#include "engine/internal.h"

static engine_loop_t *loop;
static engine_t *eng;

static int setup(void **state)
{
	(void)state;
	loop = engine_loop_new();
	assert_non_null(loop);
	engine_config_t cfg = {.url = "mock://"};
	char *err = NULL;
	assert_int_equal(engine_new(loop, &cfg, &eng, &err), 0);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	engine_free(eng);
	engine_loop_free(loop);
	return 0;
}

/* ---- one request at a time ---- */

typedef struct {
	bool done;
	bool ok, not_found, conflict;
	int http;
	char error[1024];
	char id[80];
	engine_container_t c;      /* inspect: strings copied below */
	char name[128], state[32], job[64], store[64];
	size_t n;                  /* list */
	char names[8][128];
	char list_job[8][64];
} res_t;

static res_t R;

static void keep_status(const engine_status_t *st)
{
	R.done = true;
	R.ok = st->ok;
	R.not_found = st->not_found;
	R.conflict = st->conflict;
	R.http = st->http_status;
	snprintf(R.error, sizeof(R.error), "%s", st->error ? st->error : "");
}

static void on_status(void *ud, const engine_status_t *st)
{
	(void)ud;
	keep_status(st);
}

static void on_created(void *ud, const engine_status_t *st, const char *id)
{
	(void)ud;
	keep_status(st);
	snprintf(R.id, sizeof(R.id), "%s", id ? id : "");
}

static void on_inspect(void *ud, const engine_status_t *st, const engine_container_t *c)
{
	(void)ud;
	keep_status(st);
	if (!c)
		return;
	R.c = *c;
	snprintf(R.id, sizeof(R.id), "%s", c->id);
	snprintf(R.name, sizeof(R.name), "%s", c->name ? c->name : "");
	snprintf(R.state, sizeof(R.state), "%s", c->state);
	snprintf(R.job, sizeof(R.job), "%s", c->label_job ? c->label_job : "");
	snprintf(R.store, sizeof(R.store), "%s", c->label_store ? c->label_store : "");
}

static void on_list(void *ud, const engine_status_t *st, const engine_container_t *list, size_t n)
{
	(void)ud;
	keep_status(st);
	R.n = n;
	for (size_t i = 0; i < n && i < 8; i++) {
		snprintf(R.names[i], sizeof(R.names[i]), "%s", list[i].name);
		snprintf(R.list_job[i], sizeof(R.list_job[i]), "%s",
			 list[i].label_job ? list[i].label_job : "");
	}
}

static void on_stats(void *ud, const engine_status_t *st, const engine_stats_t *s)
{
	(void)ud;
	(void)s;
	keep_status(st);
}

static void on_logs(void *ud, const engine_status_t *st, job_output_t *out, job_output_t *err)
{
	(void)ud;
	keep_status(st);
	if (out)
		job_output_free(out);
	if (err)
		job_output_free(err);
}

static void run(void)
{
	assert_int_equal(engine_loop_until(loop, &R.done, 10000), 0);
}

static void begin(void)
{
	memset(&R, 0, sizeof(R));
}

/* Creates a container named name (NULL: none) with labels job and store;
 * returns R (ok or not). */
static void create(const char *name, const char *job, const char *store)
{
	char lj[128], ls[128];
	snprintf(lj, sizeof(lj), "cjobs.job=%s", job);
	snprintf(ls, sizeof(ls), "cjobs.store=%s", store);
	char *labels[] = {lj, ls, NULL};
	engine_spec_t spec = {.name = name, .image = "busybox", .labels = labels};
	begin();
	engine_create(eng, &spec, on_created, NULL);
	run();
}

static void inspect(const char *key)
{
	begin();
	engine_inspect(eng, key, on_inspect, NULL);
	run();
}

/* id must not point into R, which begin() clears. */
static void start(const char *id)
{
	begin();
	engine_start(eng, id, on_status, NULL);
	run();
}

static void contains(const char *s, const char *part)
{
	if (!strstr(s, part))
		fail_msg("'%s' does not contain '%s'", s, part);
}

/* ---- the table ---- */

static void test_create_conflict_and_names(void **state)
{
	(void)state;
	create("job-a", "J1", "S1");
	assert_true(R.ok);
	assert_int_equal(R.http, 201);
	assert_int_equal(strlen(R.id), 64);
	char id[80];
	snprintf(id, sizeof(id), "%s", R.id);

	create("job-a", "J2", "S1");
	assert_false(R.ok);
	assert_true(R.conflict);
	assert_int_equal(R.http, 409);
	char want[512];
	snprintf(want, sizeof(want),
		 "engine mock://: Conflict. The container name \"/job-a\" is already in use by "
		 "container \"%s\". You have to remove (or rename) that container to be able to "
		 "reuse that name.", id);
	assert_string_equal(R.error, want);

	create("-bad", "J3", "S1");
	assert_false(R.ok);
	assert_int_equal(R.http, 400);
	contains(R.error, "Invalid container name (-bad)");

	/* Unnamed: named after its short id, as found by that name. */
	create(NULL, "J4", "S1");
	assert_true(R.ok);
	char shortid[13];
	snprintf(shortid, sizeof(shortid), "%.12s", R.id);
	inspect(shortid);
	assert_true(R.ok);
	assert_string_equal(R.name, shortid);
	assert_string_equal(R.job, "J4");
	begin();
	engine_remove(eng, shortid, on_status, NULL);
	run();
	assert_true(R.ok);
	begin();
	engine_remove(eng, "job-a", on_status, NULL);
	run();
	assert_true(R.ok);
}

static void test_inspect_tells_the_state(void **state)
{
	(void)state;
	create("job-b", "J1", "S1");
	assert_true(R.ok);
	char id[80];
	snprintf(id, sizeof(id), "%s", R.id);

	inspect(id);
	assert_true(R.ok);
	assert_string_equal(R.id, id);
	assert_string_equal(R.name, "job-b");
	assert_string_equal(R.state, "created");
	assert_false(R.c.running);
	assert_int_equal(R.c.started_at, 0);
	assert_string_equal(R.job, "J1");
	assert_string_equal(R.store, "S1");

	inspect("job-b"); /* by name */
	assert_true(R.ok);
	assert_string_equal(R.id, id);

	start(id);
	assert_true(R.ok);
	assert_int_equal(R.http, 204);
	inspect(id);
	assert_true(R.ok);
	assert_string_equal(R.state, "exited");
	assert_false(R.c.running);
	assert_int_equal(R.c.exit_code, 0);
	assert_true(R.c.started_at > 0);
	assert_true(R.c.finished_at >= R.c.started_at);

	begin();
	engine_remove(eng, id, on_status, NULL);
	run();
	assert_true(R.ok);
}

/* Labels come back as they were given, whatever they hold. */
static void test_labels_kept_exactly(void **state)
{
	(void)state;
	create("job-q", "a\"b\\c\x01" "d\u00e9", "S1");
	assert_true(R.ok);
	inspect("job-q");
	assert_true(R.ok);
	assert_string_equal(R.job, "a\"b\\c\x01" "d\u00e9");
	begin();
	engine_list(eng, "cjobs.job", "a\"b\\c\x01" "d\u00e9", on_list, NULL);
	run();
	assert_int_equal(R.n, 1);
	assert_string_equal(R.list_job[0], "a\"b\\c\x01" "d\u00e9");
	begin();
	engine_remove(eng, "job-q", on_status, NULL);
	run();
	assert_true(R.ok);
}

static void test_unknown_is_404(void **state)
{
	(void)state;
	const char *want = "engine mock://: No such container: nope";
	start("nope");
	assert_false(R.ok);
	assert_true(R.not_found);
	assert_int_equal(R.http, 404);
	assert_string_equal(R.error, want);

	inspect("nope");
	assert_true(R.not_found);
	assert_string_equal(R.error, want);

	begin();
	engine_stats(eng, "nope", on_stats, NULL);
	run();
	assert_true(R.not_found);
	assert_string_equal(R.error, want);

	begin();
	engine_logs(eng, "nope", 1024, on_logs, NULL);
	run();
	assert_true(R.not_found);
	assert_string_equal(R.error, want);

	begin();
	engine_kill(eng, "nope", "KILL", on_status, NULL);
	run();
	assert_true(R.not_found);
	assert_false(R.conflict);
	assert_string_equal(R.error, want);

	begin();
	engine_stop(eng, "nope", 1, on_status, NULL);
	run();
	assert_true(R.not_found);
	assert_string_equal(R.error, want);

	/* engine_remove counts a missing container as removed, and says so. */
	begin();
	engine_remove(eng, "nope", on_status, NULL);
	run();
	assert_true(R.ok);
	assert_true(R.not_found);
	assert_int_equal(R.http, 404);
}

static void test_kill_stop_remove(void **state)
{
	(void)state;
	create("job-c", "J1", "S1");
	char id[80];
	snprintf(id, sizeof(id), "%s", R.id);
	char want[256];
	snprintf(want, sizeof(want), "engine mock://: Container %s is not running", id);

	/* Created, not started: not running. */
	begin();
	engine_kill(eng, "job-c", "KILL", on_status, NULL);
	run();
	assert_false(R.ok);
	assert_true(R.conflict);
	assert_int_equal(R.http, 409);
	assert_string_equal(R.error, want);

	start(id);
	begin();
	engine_kill(eng, id, "KILL", on_status, NULL);
	run();
	assert_true(R.conflict);
	assert_string_equal(R.error, want);

	begin();
	engine_stop(eng, id, 10, on_status, NULL);
	run();
	assert_true(R.ok); /* already stopped */
	assert_int_equal(R.http, 304);

	begin();
	engine_logs(eng, id, 1024, on_logs, NULL);
	run();
	assert_true(R.ok);

	begin();
	engine_remove(eng, id, on_status, NULL);
	run();
	assert_true(R.ok);
	assert_false(R.not_found);
	assert_int_equal(R.http, 204);
	inspect(id);
	assert_true(R.not_found);

	/* The name is free again, for a new container. */
	create("job-c", "J2", "S1");
	assert_true(R.ok);
	assert_string_not_equal(R.id, id);
	begin();
	engine_remove(eng, "job-c", on_status, NULL);
	run();
	assert_true(R.ok);
}

static void test_list_by_label(void **state)
{
	(void)state;
	create("l-1", "J1", "S1");
	char first[80];
	snprintf(first, sizeof(first), "%s", R.id);
	start(first);
	create("l-2", "J2", "S1");
	create("l-3", "J3", "S2");

	begin();
	engine_list(eng, "cjobs.store", "S1", on_list, NULL);
	run();
	assert_true(R.ok);
	assert_int_equal(R.n, 2);
	/* Newest first, as Docker lists them. */
	assert_string_equal(R.names[0], "l-2");
	assert_string_equal(R.list_job[0], "J2");
	assert_string_equal(R.names[1], "l-1");
	assert_string_equal(R.list_job[1], "J1");

	begin();
	engine_list(eng, "cjobs.store", NULL, on_list, NULL);
	run();
	assert_int_equal(R.n, 3);

	begin();
	engine_list(eng, "cjobs.job", "J3", on_list, NULL);
	run();
	assert_int_equal(R.n, 1);
	assert_string_equal(R.names[0], "l-3");

	begin();
	engine_list(eng, "cjobs.nothing", NULL, on_list, NULL);
	run();
	assert_int_equal(R.n, 0);

	const char *names[] = {"l-1", "l-2", "l-3"};
	for (int i = 0; i < 3; i++) {
		begin();
		engine_remove(eng, names[i], on_status, NULL);
		run();
		assert_true(R.ok);
	}
	begin();
	engine_list(eng, "cjobs.store", NULL, on_list, NULL);
	run();
	assert_int_equal(R.n, 0);
}

/* What cjobs never sends, answered as an engine would: filters that are
 * not JSON (400), an endpoint the mock does not have (404). */
static void on_raw(engine_req_t *r, const engine_status_t *st)
{
	(void)r;
	keep_status(st);
}

static void raw(const char *method, const char *path)
{
	begin();
	engine_req_t *r = req_new(eng, method, 0, on_raw);
	assert_non_null(r);
	req_path(r, "%s", path);
	req_submit(r);
	run();
}

static void test_bad_requests(void **state)
{
	(void)state;
	raw("GET", "/containers/json?all=1&filters=%7Bnot");
	assert_int_equal(R.http, 400);
	contains(R.error, "invalid filters");
	raw("GET", "/events?filters=%5B%5D");
	assert_int_equal(R.http, 400);
	raw("GET", "/containers/json?all=1&filters=%7B%22label%22%3A%7B%22a%22%3Atrue%7D%7D");
	assert_true(R.ok); /* the older map form */
	raw("POST", "/containers/x/pause");
	assert_int_equal(R.http, 404);
	contains(R.error, "no such endpoint");
	raw("POST", "/containers/create?name=nobody");
	assert_int_equal(R.http, 400); /* no configuration */
	contains(R.error, "config cannot be empty");
}

/* ---- the event stream ---- */

/* The die events seen, checked against the ids expected, in order. */
static struct {
	int dies;
	const char *const *want;  /* the ids expected, in order */
	int nwant;
	bool in_order;
	bool ended;
} EV;

static void on_event(void *ud, const engine_event_t *ev)
{
	(void)ud;
	if (strcmp(ev->action, "die") != 0)
		return;
	if (EV.dies >= EV.nwant || strcmp(ev->id, EV.want[EV.dies]) != 0 || ev->exit_code != 0)
		EV.in_order = false;
	EV.dies++;
}

static void on_end(void *ud, const engine_status_t *st)
{
	(void)ud;
	(void)st;
	EV.ended = true;
}

static int starts_left;
static int bp_created;

static void on_bp_created(void *ud, const engine_status_t *st, const char *id)
{
	assert_true(st->ok);
	snprintf(ud, 80, "%s", id);
	bp_created++;
}

static void on_started(void *ud, const engine_status_t *st)
{
	(void)ud;
	assert_true(st->ok);
	starts_left--;
}

static bool all_done(void)
{
	return starts_left == 0;
}

static void test_events_pick_by_label(void **state)
{
	(void)state;
	static char ids[6][80];
	static const char *want[3];
	memset(&EV, 0, sizeof(EV));
	EV.in_order = true;
	engine_events_t *ev = engine_events_open(eng, "cjobs.store", "S1", 0, on_event, on_end,
						 NULL);
	assert_non_null(ev);
	for (int i = 0; i < 6; i++) {
		char name[32], job[32];
		snprintf(name, sizeof(name), "e-%d", i);
		snprintf(job, sizeof(job), "J%d", i);
		create(name, job, i % 2 ? "S2" : "S1");
		assert_true(R.ok);
		snprintf(ids[i], sizeof(ids[i]), "%s", R.id);
		if (i % 2 == 0)
			want[i / 2] = ids[i];
	}
	EV.want = want;
	EV.nwant = 3;
	starts_left = 6;
	for (int i = 0; i < 6; i++)
		engine_start(eng, ids[i], on_started, NULL);
	while (!all_done())
		assert_true(engine_loop_run(loop, 1000, NULL, 0) >= 0);
	/* Announced within each start: delivered before its answer. Only
	 * those of S1, as the stream's filter asks. */
	assert_int_equal(EV.dies, 3);
	assert_true(EV.in_order);
	assert_false(EV.ended);
	engine_events_close(ev);
	for (int i = 0; i < 6; i++) {
		begin();
		engine_remove(eng, ids[i], on_status, NULL);
		run();
	}
}

/* More than the reader queues before it pauses (4 MiB in events.c), all
 * announced before the loop hands any over: the mock must hold what the
 * reader refuses and hand it over, in order, when it resumes. */
static void test_events_back_pressure(void **state)
{
	(void)state;
	enum { N = 40000 };
	static char ids[N + 1][80];
	static const char *want[N + 1];
	memset(&EV, 0, sizeof(EV));
	EV.in_order = true;
	engine_events_t *ev = engine_events_open(eng, "cjobs.store", "S1", 0, on_event, on_end,
						 NULL);
	assert_non_null(ev);
	for (int i = 0; i < N; i++) {
		char name[32];
		snprintf(name, sizeof(name), "bp-%d", i);
		char *labels[] = {"cjobs.store=S1", NULL};
		engine_spec_t spec = {.name = name, .image = "busybox", .labels = labels};
		engine_create(eng, &spec, on_bp_created, &ids[i]);
	}
	while (bp_created < N)
		assert_true(engine_loop_run(loop, 10, NULL, 0) >= 0);
	for (int i = 0; i < N; i++)
		want[i] = ids[i];
	EV.want = want;
	EV.nwant = N + 1;
	starts_left = N;
	for (int i = 0; i < N; i++)
		engine_start(eng, ids[i], on_started, NULL);
	for (int turns = 0; (!all_done() || EV.dies < N) && !EV.ended && turns < 200; turns++)
		assert_true(engine_loop_run(loop, 10, NULL, 0) >= 0);
	assert_false(EV.ended);
	assert_int_equal(EV.dies, N);
	assert_true(EV.in_order);
	/* The stream is still open and carries what comes next. */
	create("bp-after", "J", "S1");
	snprintf(ids[N], sizeof(ids[N]), "%s", R.id);
	want[N] = ids[N];
	start(ids[N]);
	assert_true(R.ok);
	for (int turns = 0; EV.dies < N + 1 && turns < 100; turns++)
		assert_true(engine_loop_run(loop, 10, NULL, 0) >= 0);
	assert_int_equal(EV.dies, N + 1);
	assert_true(EV.in_order);
	engine_events_close(ev);
	/* The containers stay: freeing the engine frees them (no leak). */
}

/* An engine freed with containers and an open stream holding events
 * leaks nothing (ASan checks), and its handle can still be closed. */
static void test_free_with_containers(void **state)
{
	(void)state;
	engine_config_t cfg = {.url = "mock://"};
	char *err = NULL;
	engine_t *e2 = NULL;
	assert_int_equal(engine_new(loop, &cfg, &e2, &err), 0);
	engine_events_t *ev = engine_events_open(e2, NULL, NULL, 0, on_event, on_end, NULL);
	assert_non_null(ev);
	char *labels[] = {"cjobs.store=S1", NULL};
	engine_spec_t spec = {.name = "f-1", .image = "busybox", .labels = labels};
	begin();
	engine_create(e2, &spec, on_created, NULL);
	run();
	assert_true(R.ok);
	/* A start answered but not yet dispatched, its event not handed over. */
	engine_start(e2, R.id, on_status, NULL);
	engine_free(e2);
	engine_events_close(ev);
	/* Another engine's table is its own: e2's container is not here. */
	inspect("f-1");
	assert_true(R.not_found);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_create_conflict_and_names),
		cmocka_unit_test(test_inspect_tells_the_state),
		cmocka_unit_test(test_labels_kept_exactly),
		cmocka_unit_test(test_unknown_is_404),
		cmocka_unit_test(test_kill_stop_remove),
		cmocka_unit_test(test_list_by_label),
		cmocka_unit_test(test_bad_requests),
		cmocka_unit_test(test_events_pick_by_label),
		cmocka_unit_test(test_events_back_pressure),
		cmocka_unit_test(test_free_with_containers),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
