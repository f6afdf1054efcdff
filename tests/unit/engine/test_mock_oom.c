/*
 * tests/unit/engine/test_mock_oom.c: the mock executor under allocation
 * failure. A dry run's whole conversation (an event stream, create, start,
 * inspect, list, logs, kill, stop, remove, a 404) runs again and again,
 * the n-th allocation of cjobs's own code (through the linker's --wrap:
 * malloc, calloc, realloc, strdup, strndup, asprintf) and every later one
 * failing, for n = 1, 2, ... until it runs without reaching n. Each run
 * must call every callback exactly once, with success or a message, end
 * the event stream with a message when its reader runs out of memory (as
 * curl ends a transfer whose write callback fails) rather than drop an
 * event without a word, never crash, and leak
 * nothing (AddressSanitizer). jansson's and libcurl's own allocations are
 * beyond the wrap.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "../alloc_wrap.h"

#include "engine/engine.h"

/* ---- fault injection ---- */

static long fail_at; /* 0: off */
static long count;
static bool injected;

bool alloc_should_fail(void)
{
	if (!fail_at)
		return false;
	if (++count >= fail_at) {
		injected = true;
		return true;
	}
	return false;
}


/* ---- the conversation ---- */

static engine_loop_t *loop;
static engine_t *eng;
static int calls;          /* callbacks called in this step */
static bool step_ok;
static char id[80];
static bool stream_ended;
static bool stream_oom;     /* it ended saying out of memory */
static int dies_seen;       /* die events delivered */
static int started;         /* starts answered ok: each announced a die */

static void check(const engine_status_t *st)
{
	calls++;
	step_ok = st->ok;
	/* Every failure says why. */
	if (!st->ok)
		assert_true(st->error && *st->error);
}

static void on_status(void *ud, const engine_status_t *st)
{
	(void)ud;
	check(st);
}

static void on_created(void *ud, const engine_status_t *st, const char *cid)
{
	(void)ud;
	check(st);
	snprintf(id, sizeof(id), "%s", st->ok && cid ? cid : "gone");
}

static void on_inspect(void *ud, const engine_status_t *st, const engine_container_t *c)
{
	(void)ud;
	(void)c;
	check(st);
}

static void on_list(void *ud, const engine_status_t *st, const engine_container_t *l, size_t n)
{
	(void)ud;
	(void)l;
	(void)n;
	check(st);
}

static void on_logs(void *ud, const engine_status_t *st, job_output_t *out, job_output_t *err)
{
	(void)ud;
	check(st);
	if (out)
		job_output_free(out);
	if (err)
		job_output_free(err);
}

static void on_event(void *ud, const engine_event_t *ev)
{
	(void)ud;
	if (strcmp(ev->action, "die") == 0)
		dies_seen++;
}

static void on_started(void *ud, const engine_status_t *st)
{
	(void)ud;
	check(st);
	if (st->ok)
		started++;
}

static void on_end(void *ud, const engine_status_t *st)
{
	(void)ud;
	stream_ended = true;
	assert_false(st->ok);
	if (strstr(st->error, "out of memory"))
		stream_oom = true;
}

/* Waits for the one callback of the step just started (it may have been
 * called at once, when not even the request could be made). */
static void finish_step(void)
{
	for (int turns = 0; calls == 0 && turns < 100; turns++)
		assert_true(engine_loop_run(loop, 10, NULL, 0) >= 0);
	assert_int_equal(calls, 1);
	calls = 0;
}

static void conversation(void)
{
	loop = engine_loop_new();
	if (!loop)
		return;
	engine_config_t cfg = {.url = "mock://"};
	char *err = NULL;
	if (engine_new(loop, &cfg, &eng, &err) < 0) {
		assert_non_null(err);
		free(err);
		engine_loop_free(loop);
		return;
	}
	engine_events_t *ev = engine_events_open(eng, "cjobs.store", "S1", 0, on_event, on_end,
						 NULL);
	char *labels[] = {"cjobs.store=S1", "cjobs.job=j\"1", NULL};
	engine_spec_t spec = {.name = "oom-1", .image = "busybox", .labels = labels};
	engine_create(eng, &spec, on_created, NULL);
	finish_step();
	engine_start(eng, id, on_started, NULL);
	finish_step();
	engine_inspect(eng, "oom-1", on_inspect, NULL);
	finish_step();
	engine_list(eng, "cjobs.store", "S1", on_list, NULL);
	finish_step();
	engine_logs(eng, id, 1024, on_logs, NULL);
	finish_step();
	engine_kill(eng, id, "KILL", on_status, NULL);
	finish_step();
	engine_stop(eng, id, 1, on_status, NULL);
	finish_step();
	engine_remove(eng, id, on_status, NULL);
	finish_step();
	engine_inspect(eng, "nope", on_inspect, NULL);
	finish_step();
	/* A second container left in the table when the engine is freed. */
	spec.name = "oom-2";
	engine_create(eng, &spec, on_created, NULL);
	finish_step();
	engine_start(eng, id, on_started, NULL);
	finish_step();
	engine_loop_run(loop, 0, NULL, 0);
	/* No die lost without a word: each one announced was delivered, or
	 * the stream ended saying why (a die is delivered before the answer
	 * of the start that announced it). */
	if (ev)
		assert_true(dies_seen == started || stream_ended);
	engine_free(eng);
	engine_events_close(ev);
	engine_loop_free(loop);
}

static void test_every_allocation_failing(void **state)
{
	(void)state;
	int oom_ends = 0;
	long n;
	for (n = 1; n < 100000; n++) {
		fail_at = n;
		count = 0;
		injected = false;
		stream_ended = stream_oom = false;
		dies_seen = started = 0;
		conversation();
		fail_at = 0;
		if (stream_oom)
			oom_ends++;
		if (!injected)
			break;
	}
	assert_true(n < 100000);
	/* The event stream's reader ran out of memory in some runs, and the
	 * stream ended saying so. */
	assert_true(oom_ends > 0);
	printf("# %ld runs, %d of them ended the event stream out of memory\n", n, oom_ends);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_allocation_failing),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
