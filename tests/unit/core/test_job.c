/*
 * tests/unit/core/test_job.c: the job state machine in core/job.c. The whole
 * 7x7 job_can_move table against the rules written in job.c's comment,
 * out-of-range statuses, status names (round trip, unknown names),
 * job_status_is_final, and the record constructors/destructors (job_init,
 * host_init, strv_dup, job_free).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/job.h"

enum { Q = JOB_QUEUED, L = JOB_LAUNCHING, R = JOB_RUNNING, C = JOB_COMPLETED,
       F = JOB_FAILED, T = JOB_TIMEOUT, X = JOB_CANCELLED, N = JOB_STATUS_COUNT };

/* The rules, written out independently of job.c's bit table:
 * queued -> launching | cancelled
 * launching -> running | queued | failed | cancelled
 * running -> completed | failed | timeout | cancelled | queued
 * failed | timeout -> queued
 * completed, cancelled: final (no moves). */
static const int expected[N][N] = {
	/*           Q  L  R  C  F  T  X */
	[Q] = {      0, 1, 0, 0, 0, 0, 1 },
	[L] = {      1, 0, 1, 0, 1, 0, 1 },
	[R] = {      1, 0, 0, 1, 1, 1, 1 },
	[C] = {      0, 0, 0, 0, 0, 0, 0 },
	[F] = {      1, 0, 0, 0, 0, 0, 0 },
	[T] = {      1, 0, 0, 0, 0, 0, 0 },
	[X] = {      0, 0, 0, 0, 0, 0, 0 },
};

static void test_can_move_table(void **state)
{
	(void)state;
	int allowed = 0;
	for (int from = 0; from < N; from++) {
		for (int to = 0; to < N; to++) {
			bool got = job_can_move((job_status_t)from, (job_status_t)to);
			if (got != (expected[from][to] != 0))
				fail_msg("job_can_move(%s, %s) = %d, the rules say %d",
					 job_status_name((job_status_t)from),
					 job_status_name((job_status_t)to), got, expected[from][to]);
			allowed += got;
		}
	}
	/* 2 + 4 + 5 + 0 + 1 + 1 + 0 */
	assert_int_equal(allowed, 13);
}

static void test_can_move_no_self_moves(void **state)
{
	(void)state;
	for (int s = 0; s < N; s++)
		assert_false(job_can_move((job_status_t)s, (job_status_t)s));
}

static void test_can_move_out_of_range(void **state)
{
	(void)state;
	const job_status_t bad[] = {(job_status_t)N, (job_status_t)(N + 1), (job_status_t)31,
				    (job_status_t)32, (job_status_t)100, (job_status_t)-1};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		for (int s = 0; s < N; s++) {
			assert_false(job_can_move(bad[i], (job_status_t)s));
			assert_false(job_can_move((job_status_t)s, bad[i]));
		}
		assert_false(job_can_move(bad[i], bad[i]));
	}
}

/* Every status can be reached from queued, and every non-final status can
 * reach a final one: the table has no dead ends or orphans. */
static void test_can_move_graph(void **state)
{
	(void)state;
	bool seen[N] = {false};
	seen[Q] = true;
	for (int round = 0; round < N; round++)
		for (int a = 0; a < N; a++)
			for (int b = 0; b < N; b++)
				if (seen[a] && job_can_move((job_status_t)a, (job_status_t)b))
					seen[b] = true;
	for (int s = 0; s < N; s++)
		assert_true(seen[s]);
	/* The statuses with no way out are exactly completed and cancelled. */
	for (int a = 0; a < N; a++) {
		bool any = false;
		for (int b = 0; b < N; b++)
			any |= job_can_move((job_status_t)a, (job_status_t)b);
		assert_int_equal(!any, a == C || a == X);
	}
}

static void test_status_names(void **state)
{
	(void)state;
	static const char *const names[N] = {"queued", "launching", "running", "completed",
					     "failed", "timeout", "cancelled"};
	for (int s = 0; s < N; s++) {
		assert_string_equal(job_status_name((job_status_t)s), names[s]);
		job_status_t back = (job_status_t)99;
		assert_true(job_status_parse(names[s], &back));
		assert_int_equal(back, s);
		assert_true(job_status_parse(job_status_name((job_status_t)s), &back));
		assert_int_equal(back, s);
	}
	assert_string_equal(job_status_name((job_status_t)N), "unknown");
	assert_string_equal(job_status_name((job_status_t)-1), "unknown");
	assert_string_equal(job_status_name((job_status_t)1000), "unknown");
}

static void test_status_parse_unknown(void **state)
{
	(void)state;
	static const char *const bad[] = {"", "unknown", "Queued", "QUEUED", "queued ",
					  " queued", "queue", "queuedx", "cancel", "canceled",
					  "done", "timed-out", "0", "running\n"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		job_status_t out = (job_status_t)42;
		assert_false(job_status_parse(bad[i], &out));
		assert_int_equal(out, 42); /* untouched on failure */
	}
	job_status_t out = (job_status_t)42;
	assert_false(job_status_parse(NULL, &out));
	assert_int_equal(out, 42);
}

static void test_status_is_final(void **state)
{
	(void)state;
	assert_false(job_status_is_final(JOB_QUEUED));
	assert_false(job_status_is_final(JOB_LAUNCHING));
	assert_false(job_status_is_final(JOB_RUNNING));
	assert_true(job_status_is_final(JOB_COMPLETED));
	assert_true(job_status_is_final(JOB_FAILED));
	assert_true(job_status_is_final(JOB_TIMEOUT));
	assert_true(job_status_is_final(JOB_CANCELLED));
	assert_false(job_status_is_final((job_status_t)N));
	assert_false(job_status_is_final((job_status_t)-1));
	/* A final status never moves to launching or running directly. */
	for (int s = 0; s < N; s++) {
		if (!job_status_is_final((job_status_t)s))
			continue;
		assert_false(job_can_move((job_status_t)s, JOB_LAUNCHING));
		assert_false(job_can_move((job_status_t)s, JOB_RUNNING));
	}
}

static void test_job_init_and_free(void **state)
{
	(void)state;
	job_t job;
	memset(&job, 0x5a, sizeof(job));
	job_init(&job);
	assert_int_equal(job.timeout_s, JOB_TIMEOUT_DEFAULT);
	assert_int_equal(job.peak_memory_bytes, -1);
	assert_int_equal(job.cpu_usage_ns, -1);
	assert_int_equal(job.status, JOB_QUEUED);
	assert_null(job.image);
	assert_null(job.argv);
	assert_int_equal(job.memory_bytes, 0);

	char *argv[] = {"sh", "-c", "echo hi", NULL};
	job.image = strdup("busybox");
	job.name = strdup("n");
	job.argv = strv_dup(argv, 3);
	job.argc = 3;
	job.last_error = strdup("boom");
	job.priority = 7;
	job_free(&job);
	assert_null(job.image);
	assert_null(job.name);
	assert_null(job.argv);
	assert_null(job.last_error);
	assert_int_equal(job.priority, 0);
	assert_int_equal(job.timeout_s, JOB_TIMEOUT_DEFAULT);
	job_free(&job); /* twice is harmless */
	job_free(NULL);
}

static void test_host_init_and_free(void **state)
{
	(void)state;
	host_t h;
	memset(&h, 0x5a, sizeof(h));
	host_init(&h);
	assert_true(h.tls_verify);
	assert_int_equal(h.max_jobs, 10);
	assert_int_equal(h.weight, 100);
	assert_true(h.enabled);
	assert_false(h.pull_images);
	assert_null(h.url);
	h.name = strdup("local");
	h.url = strdup("unix:///x");
	h.weight = 3;
	host_free(&h);
	assert_null(h.name);
	assert_null(h.url);
	assert_int_equal(h.weight, 100);
	host_free(NULL);
}

static void test_strv(void **state)
{
	(void)state;
	char *src[] = {"a", "", "c=d", NULL};
	char **v = strv_dup(src, 3);
	assert_non_null(v);
	assert_string_equal(v[0], "a");
	assert_string_equal(v[1], "");
	assert_string_equal(v[2], "c=d");
	assert_null(v[3]);
	assert_ptr_not_equal(v[0], src[0]);
	strv_free(v);

	char **empty = strv_dup(src, 0);
	assert_non_null(empty);
	assert_null(empty[0]);
	strv_free(empty);
	strv_free(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_can_move_table),
		cmocka_unit_test(test_can_move_no_self_moves),
		cmocka_unit_test(test_can_move_out_of_range),
		cmocka_unit_test(test_can_move_graph),
		cmocka_unit_test(test_status_names),
		cmocka_unit_test(test_status_parse_unknown),
		cmocka_unit_test(test_status_is_final),
		cmocka_unit_test(test_job_init_and_free),
		cmocka_unit_test(test_host_init_and_free),
		cmocka_unit_test(test_strv),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
