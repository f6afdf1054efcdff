/*
 * tests/unit/store/test_jobs.c: jobs: every field kept exactly, status
 * changes (legal, illegal, stale) with their history, field updates,
 * listing, counting, captured output, and removal of old jobs; the
 * boundaries of store_status's "now" and store_report's period; on
 * PostgreSQL, that a page by status is planned once per connection.
 */
#include "helpers.h"
#include "store/store_int.h"
#include "store/report.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void assert_strv_equal(char **a, size_t na, char **b, size_t nb)
{
	assert_int_equal(na, nb);
	for (size_t i = 0; i < na; i++)
		assert_string_equal(a[i], b[i]);
	assert_null(a[na]);
	assert_null(b[nb]);
}

static void assert_opt_str(const char *a, const char *b)
{
	if (!a || !b)
		assert_ptr_equal(a, b);
	else
		assert_string_equal(a, b);
}

static void assert_job_equal(const job_t *a, const job_t *b)
{
	assert_int_equal(a->id, b->id);
	assert_string_equal(a->uuid, b->uuid);
	assert_opt_str(a->name, b->name);
	assert_opt_str(a->image, b->image);
	assert_strv_equal(a->argv, a->argc, b->argv, b->argc);
	assert_opt_str(a->workdir, b->workdir);
	assert_strv_equal(a->env, a->envc, b->env, b->envc);
	assert_opt_str(a->template_name, b->template_name);
	assert_int_equal(a->memory_bytes, b->memory_bytes);
	assert_int_equal(a->nano_cpus, b->nano_cpus);
	assert_int_equal(a->timeout_s, b->timeout_s);
	assert_int_equal(a->priority, b->priority);
	assert_int_equal(a->not_before, b->not_before);
	assert_opt_str(a->host, b->host);
	assert_int_equal(a->max_retries, b->max_retries);
	assert_int_equal(a->status, b->status);
	assert_int_equal(a->attempt, b->attempt);
	assert_int_equal(a->has_exit_code, b->has_exit_code);
	if (a->has_exit_code)
		assert_int_equal(a->exit_code, b->exit_code);
	assert_int_equal(a->created_at, b->created_at);
	assert_int_equal(a->queued_at, b->queued_at);
	assert_int_equal(a->started_at, b->started_at);
	assert_int_equal(a->finished_at, b->finished_at);
	assert_int_equal(a->peak_memory_bytes, b->peak_memory_bytes);
	assert_int_equal(a->cpu_usage_ns, b->cpu_usage_ns);
	assert_opt_str(a->last_error, b->last_error);
	assert_opt_str(a->container_name, b->container_name);
	assert_opt_str(a->container_id, b->container_id);
	assert_opt_str(a->ran_on, b->ran_on);
	assert_opt_str(a->worker_id, b->worker_id);
	assert_int_equal(a->lease_until, b->lease_until);
}

static void set_str(char **field, const char *v)
{
	free(*field);
	*field = v ? strdup(v) : NULL;
}

/* JOB_COLUMN_COUNT says how many columns JOB_COLUMNS names: a read that
 * adds its own column after them (the detail's schedule name) finds it
 * there. A column added to one and not the other would read the wrong one. */
static void test_job_column_count(void **state)
{
	(void)state;
	const char *cols = JOB_COLUMNS;
	int names = 1;
	for (const char *p = cols; *p; p++)
		names += *p == ',';
	assert_int_equal(names, JOB_COLUMN_COUNT);
	names = 1;
	for (const char *p = JOB_SUMMARY_COLUMNS; *p; p++)
		names += *p == ',';
	assert_int_equal(names, JOB_SUMMARY_COLUMN_COUNT);
	/* The summary's columns lead the whole row's, in its order. */
	assert_memory_equal(cols, JOB_SUMMARY_COLUMNS, strlen(JOB_SUMMARY_COLUMNS));
}

static void test_add_round_trip(void **state)
{
	fixture_t *fx = *state;
	char *err = NULL;
	job_t j, got;
	sample_job(&j);
	OK(store_job_add(fx->s, &j, "submit", "by alice", &err));
	assert_true(j.id > 0);
	assert_int_equal(strlen(j.uuid), 36);
	assert_int_equal(j.status, JOB_QUEUED);
	assert_int_equal(j.attempt, 0);
	assert_true(j.created_at > 0);
	assert_int_equal(j.queued_at, j.created_at);
	OK(store_job_get(fx->s, j.id, &got, &err));
	assert_job_equal(&got, &j);
	assert_false(got.has_exit_code);
	assert_int_equal(got.peak_memory_bytes, -1);
	assert_int_equal(got.cpu_usage_ns, -1);
	job_free(&got);

	job_event_t *ev = NULL;
	size_t n = 0;
	OK(store_history(fx->s, j.id, &ev, &n, &err));
	assert_int_equal(n, 1);
	assert_int_equal(ev[0].from, JOB_STATUS_COUNT);
	assert_int_equal(ev[0].to, JOB_QUEUED);
	assert_int_equal(ev[0].attempt, 0);
	assert_int_equal(ev[0].at, j.created_at);
	assert_string_equal(ev[0].actor, "submit");
	assert_string_equal(ev[0].reason, "by alice");
	store_history_free(ev, n);

	assert_int_equal(store_job_get(fx->s, j.id + 100, &got, &err), 1);
	assert_null(err);
	job_free(&j);
}

static void test_minimal_job(void **state)
{
	fixture_t *fx = *state;
	char *err = NULL;
	job_t j, got;
	job_init(&j);
	j.image = strdup("img");
	OK(store_job_add(fx->s, &j, "submit", NULL, &err));
	OK(store_job_get(fx->s, j.id, &got, &err));
	assert_int_equal(got.argc, 0);
	assert_non_null(got.argv);
	assert_null(got.argv[0]);
	assert_int_equal(got.envc, 0);
	assert_null(got.name);
	assert_null(got.host);
	assert_int_equal(got.timeout_s, JOB_TIMEOUT_DEFAULT);
	job_free(&got);
	job_free(&j);
}

static void test_given_uuid_and_duplicate(void **state)
{
	fixture_t *fx = *state;
	char *err = NULL;
	job_t j, got;
	sample_job(&j);
	strcpy(j.uuid, "0badc0de-0000-4000-8000-000000000001");
	OK(store_job_add(fx->s, &j, "submit", NULL, &err));
	OK(store_job_get(fx->s, j.id, &got, &err));
	assert_string_equal(got.uuid, "0badc0de-0000-4000-8000-000000000001");
	job_free(&got);
	char *before = db_fingerprint(fx->path);
	int64_t id = j.id;
	assert_int_equal(store_job_add(fx->s, &j, "submit", NULL, &err), -1);
	assert_err_contains(err, "already exists");
	assert_int_equal(j.id, id);
	char *after = db_fingerprint(fx->path);
	assert_string_equal(before, after);
	free(before);
	free(after);
	assert_int_equal(store_job_add(fx->s, &j, NULL, NULL, &err), -1);
	assert_err_contains(err, "actor");
	job_free(&j);
}

/* Every field a status change carries survives exactly. */
static void test_runtime_fields_round_trip(void **state)
{
	fixture_t *fx = *state;
	char *err = NULL;
	job_t j, got;
	sample_job(&j);
	OK(store_job_add(fx->s, &j, "submit", NULL, &err));
	j.attempt = 1;
	j.worker_id = strdup("w-1");
	j.lease_until = 5000;
	OK(store_job_move(fx->s, &j, JOB_QUEUED, JOB_LAUNCHING,
			  JOB_SET_ATTEMPT | JOB_SET_LEASE, "worker:w-1", "claimed", &err));
	j.status = JOB_LAUNCHING;
	set_str(&j.container_name, "cjobs-x-1");
	set_str(&j.container_id, "abc123");
	set_str(&j.ran_on, "gpu-1");
	j.started_at = 111;
	OK(store_job_move(fx->s, &j, JOB_LAUNCHING, JOB_RUNNING,
			  JOB_SET_CONTAINER | JOB_SET_RAN_ON | JOB_SET_STARTED_AT, "worker:w-1",
			  "started", &err));
	j.status = JOB_RUNNING;
	j.has_exit_code = true;
	j.exit_code = -9;
	j.finished_at = 222;
	j.peak_memory_bytes = 0;
	j.cpu_usage_ns = 1LL << 40;
	set_str(&j.last_error, "killed:\n\"OOM\" 'x'");
	set_str(&j.worker_id, NULL);
	j.lease_until = 0;
	OK(store_job_move(fx->s, &j, JOB_RUNNING, JOB_FAILED,
			  JOB_SET_EXIT_CODE | JOB_SET_FINISHED_AT | JOB_SET_RESOURCES |
				  JOB_SET_LAST_ERROR | JOB_SET_LEASE,
			  "worker:w-1", "exit 137", &err));
	j.status = JOB_FAILED;
	OK(store_job_get(fx->s, j.id, &got, &err));
	assert_job_equal(&got, &j);
	job_free(&got);

	/* A retry: back to queued with new limits, a schedule, no exit code. */
	j.queued_at = 333;
	j.not_before = 444;
	j.timeout_s = 0;
	j.memory_bytes = 0;
	j.nano_cpus = 7;
	j.priority = 1000;
	j.has_exit_code = false;
	OK(store_job_move(fx->s, &j, JOB_FAILED, JOB_QUEUED,
			  JOB_SET_QUEUED_AT | JOB_SET_NOT_BEFORE | JOB_SET_LIMITS |
				  JOB_SET_EXIT_CODE,
			  "manage-jobs", "retry", &err));
	j.status = JOB_QUEUED;
	OK(store_job_get(fx->s, j.id, &got, &err));
	assert_job_equal(&got, &j);
	job_free(&got);
	job_free(&j);
}

/* A list of summaries (job_filter_t.summary) has each job's summary
 * members as the whole job has them, and the others as job_init leaves
 * them: nothing read from a column the summary does not name. */
static void assert_same_text(const char *a, const char *b)
{
	assert_true(a == b || (a && b && strcmp(a, b) == 0));
}

static void assert_summary_of(const job_t *sum, const job_t *whole)
{
	job_t blank;
	job_init(&blank);
	assert_int_equal(sum->id, whole->id);
	assert_same_text(sum->name, whole->name);
	assert_int_equal(sum->status, whole->status);
	assert_same_text(sum->image, whole->image);
	assert_int_equal(sum->priority, whole->priority);
	assert_int_equal(sum->not_before, whole->not_before);
	assert_int_equal(sum->waiting_on, whole->waiting_on);
	assert_same_text(sum->host, whole->host);
	assert_int_equal(sum->max_retries, whole->max_retries);
	assert_int_equal(sum->attempt, whole->attempt);
	assert_int_equal(sum->has_exit_code, whole->has_exit_code);
	assert_int_equal(sum->exit_code, whole->exit_code);
	assert_int_equal(sum->created_at, whole->created_at);
	assert_int_equal(sum->queued_at, whole->queued_at);
	assert_int_equal(sum->started_at, whole->started_at);
	assert_int_equal(sum->finished_at, whole->finished_at);
	assert_same_text(sum->last_error, whole->last_error);
	assert_same_text(sum->ran_on, whole->ran_on);
	assert_int_equal(sum->schedule_id, whole->schedule_id);
	/* The rest, unread. */
	assert_string_equal(sum->uuid, "");
	assert_null(sum->argv);
	assert_null(sum->env);
	assert_null(sum->workdir);
	assert_null(sum->container_id);
	assert_int_equal(sum->timeout_s, blank.timeout_s);
	assert_int_equal(sum->memory_bytes, blank.memory_bytes);
	assert_int_equal(sum->peak_memory_bytes, blank.peak_memory_bytes);
	assert_null(sum->ctr.volumes);
}

static void test_list_summaries(void **state)
{
	fixture_t *fx = *state;
	char *err = NULL;
	job_t j;
	sample_job(&j);
	OK(store_job_add(fx->s, &j, "submit", NULL, &err));
	j.attempt = 1;
	j.worker_id = strdup("w-1");
	j.lease_until = 5000;
	OK(store_job_move(fx->s, &j, JOB_QUEUED, JOB_LAUNCHING,
			  JOB_SET_ATTEMPT | JOB_SET_LEASE, "worker:w-1", "claimed", &err));
	set_str(&j.ran_on, "gpu-1");
	set_str(&j.container_id, "abc123");
	j.started_at = 111;
	OK(store_job_move(fx->s, &j, JOB_LAUNCHING, JOB_RUNNING,
			  JOB_SET_CONTAINER | JOB_SET_RAN_ON | JOB_SET_STARTED_AT, "worker:w-1",
			  "started", &err));
	j.has_exit_code = true;
	j.exit_code = 3;
	j.finished_at = 222;
	set_str(&j.last_error, "exit 3");
	OK(store_job_move(fx->s, &j, JOB_RUNNING, JOB_FAILED,
			  JOB_SET_EXIT_CODE | JOB_SET_FINISHED_AT | JOB_SET_LAST_ERROR,
			  "worker:w-1", "exit 3", &err));
	job_free(&j);
	add_job_held(fx->s, 5, "e2", 0, 2);

	job_t *whole = NULL, *sum = NULL;
	size_t nw = 0, ns = 0;
	job_filter_t f = {.newest_first = true};
	OK(store_job_list(fx->s, &f, &whole, &nw, &err));
	f.summary = true;
	OK(store_job_list(fx->s, &f, &sum, &ns, &err));
	assert_int_equal(nw, 2);
	assert_int_equal(ns, 2);
	assert_int_equal(whole[0].waiting_on, 2);
	assert_int_equal(whole[1].status, JOB_FAILED);
	for (size_t i = 0; i < ns; i++)
		assert_summary_of(&sum[i], &whole[i]);
	store_job_list_free(whole, nw);
	store_job_list_free(sum, ns);
}

/* store_job_each gives the jobs one at a time, newest first as asked, and
 * a non-zero answer of its function ends the walk with that value. */
static int stop_at_two(job_t *j, void *arg, char **err)
{
	(void)err;
	int64_t *seen = arg;
	seen[seen[0]++ + 1] = j->id;
	job_free(j);
	return seen[0] == 2 ? 7 : 0;
}

static void test_each_stops_when_asked(void **state)
{
	fixture_t *fx = *state;
	char *err = NULL;
	int64_t a = add_job(fx->s, 0, NULL, 0), b = add_job(fx->s, 0, NULL, 0),
		c = add_job(fx->s, 0, NULL, 0);
	(void)a;
	int64_t seen[4] = {0};
	job_filter_t f = {.newest_first = true, .summary = true};
	assert_int_equal(store_job_each(fx->s, &f, stop_at_two, seen, &err), 7);
	assert_int_equal(seen[0], 2);
	assert_int_equal(seen[1], c);
	assert_int_equal(seen[2], b);
	/* The statement was let go: the store answers the next read. */
	job_t *list = NULL;
	size_t n = 0;
	OK(store_job_list(fx->s, &f, &list, &n, &err));
	assert_int_equal(n, 3);
	store_job_list_free(list, n);
}

/* Integer columns keep their values to both ends of their types: on
 * PostgreSQL they come back as text, read by the driver's own decimal
 * reader up to 18 digits and by strtoll beyond. */
static void test_integers_at_their_ends(void **state)
{
	fixture_t *fx = *state;
	char *err = NULL;
	job_t j, got;
	sample_job(&j);
	j.memory_bytes = INT64_MAX;
	j.nano_cpus = 999999999999999999LL;    /* 18 digits */
	j.timeout_s = 1000000000000000000LL;   /* 19 */
	j.not_before = INT64_MAX - 1;
	j.priority = INT_MIN;
	j.max_retries = INT_MAX;
	OK(store_job_add(fx->s, &j, "submit", NULL, &err));
	j.attempt = 1;
	OK(store_job_move(fx->s, &j, JOB_QUEUED, JOB_LAUNCHING, JOB_SET_ATTEMPT, "t", "claimed",
			  &err));
	j.status = JOB_LAUNCHING;
	j.has_exit_code = true;
	j.exit_code = INT_MIN;
	j.finished_at = INT64_MAX;
	j.peak_memory_bytes = INT64_MIN;
	j.cpu_usage_ns = -999999999999999999LL;
	OK(store_job_move(fx->s, &j, JOB_LAUNCHING, JOB_FAILED,
			  JOB_SET_EXIT_CODE | JOB_SET_FINISHED_AT | JOB_SET_RESOURCES, "t", "ended",
			  &err));
	j.status = JOB_FAILED;
	OK(store_job_get(fx->s, j.id, &got, &err));
	assert_job_equal(&got, &j);
	assert_true(got.memory_bytes == INT64_MAX);
	assert_true(got.peak_memory_bytes == INT64_MIN);
	assert_int_equal(got.exit_code, INT_MIN);
	job_free(&got);
	job_free(&j);
}

static void test_move_illegal(void **state)
{
	fixture_t *fx = *state;
	char *err = NULL;
	job_t j;
	int64_t id = add_job(fx->s, 0, NULL, 0);
	OK(store_job_get(fx->s, id, &j, &err));
	OK(store_job_move(fx->s, &j, JOB_QUEUED, JOB_CANCELLED, 0, "test", NULL, &err));
	char *before = db_fingerprint(fx->path);
	assert_int_equal(store_job_move(fx->s, &j, JOB_CANCELLED, JOB_RUNNING, 0, "test",
					NULL, &err),
			 -1);
	char want[64];
	snprintf(want, sizeof(want), "job %lld: cannot move from cancelled to running",
		 (long long)id);
	assert_err_contains(err, want);
	assert_int_equal(store_job_move(fx->s, &j, JOB_COMPLETED, JOB_RUNNING, 0, "test",
					NULL, &err),
			 -1);
	assert_err_contains(err, "cannot move from completed to running");
	assert_int_equal(store_job_move(fx->s, &j, JOB_QUEUED, JOB_STATUS_COUNT, 0, "test",
					NULL, &err),
			 -1);
	assert_err_contains(err, "cannot move");
	assert_int_equal(store_job_move(fx->s, &j, JOB_QUEUED, JOB_LAUNCHING, 1u << 20,
					"test", NULL, &err),
			 -1);
	assert_err_contains(err, "unknown fields");
	char *after = db_fingerprint(fx->path);
	assert_string_equal(before, after);
	free(before);
	free(after);
	job_free(&j);
}

static void test_move_stale_and_missing(void **state)
{
	fixture_t *fx = *state;
	char *err = NULL;
	job_t j;
	int64_t id = add_job(fx->s, 0, NULL, 0);
	OK(store_job_get(fx->s, id, &j, &err));
	char *before = db_fingerprint(fx->path);
	/* Legal change, but the job is queued, not running: nothing written. */
	j.finished_at = 5;
	assert_int_equal(store_job_move(fx->s, &j, JOB_RUNNING, JOB_COMPLETED,
					JOB_SET_FINISHED_AT, "test", NULL, &err),
			 1);
	assert_null(err);
	char *after = db_fingerprint(fx->path);
	assert_string_equal(before, after);
	free(before);
	free(after);
	j.id = id + 1000;
	assert_int_equal(store_job_move(fx->s, &j, JOB_QUEUED, JOB_CANCELLED, 0, "test",
					NULL, &err),
			 -1);
	assert_err_contains(err, "does not exist");
	job_free(&j);
}

static void test_history_of_moves(void **state)
{
	fixture_t *fx = *state;
	char *err = NULL;
	int64_t id = add_job(fx->s, 0, NULL, 0);
	job_t *c = NULL;
	size_t n = 0;
	OK(store_job_claim(fx->s, "w9", 1, NULL, NULL, 1, &c, &n, &err));
	assert_int_equal(n, 1);
	OK(store_job_move(fx->s, &c[0], JOB_LAUNCHING, JOB_RUNNING, 0, "worker:w9", "started",
			  &err));
	OK(store_job_move(fx->s, &c[0], JOB_RUNNING, JOB_TIMEOUT, 0, "worker:w9",
			  "time limit", &err));
	OK(store_job_move(fx->s, &c[0], JOB_TIMEOUT, JOB_QUEUED, 0, "manage-jobs", "retry",
			  &err));
	store_job_list_free(c, n);
	OK(store_job_claim(fx->s, "w9", 1, NULL, NULL, 1, &c, &n, &err));
	assert_int_equal(c[0].attempt, 2);
	store_job_list_free(c, n);

	job_event_t *ev = NULL;
	OK(store_history(fx->s, id, &ev, &n, &err));
	struct {
		job_status_t from, to;
		int attempt;
		const char *actor, *reason;
	} want[] = {
		{JOB_STATUS_COUNT, JOB_QUEUED, 0, "test", "added"},
		{JOB_QUEUED, JOB_LAUNCHING, 1, "worker:w9", "claimed"},
		{JOB_LAUNCHING, JOB_RUNNING, 1, "worker:w9", "started"},
		{JOB_RUNNING, JOB_TIMEOUT, 1, "worker:w9", "time limit"},
		{JOB_TIMEOUT, JOB_QUEUED, 1, "manage-jobs", "retry"},
		{JOB_QUEUED, JOB_LAUNCHING, 2, "worker:w9", "claimed"},
	};
	assert_int_equal(n, sizeof(want) / sizeof(want[0]));
	for (size_t i = 0; i < n; i++) {
		assert_int_equal(ev[i].from, want[i].from);
		assert_int_equal(ev[i].to, want[i].to);
		assert_int_equal(ev[i].attempt, want[i].attempt);
		assert_string_equal(ev[i].actor, want[i].actor);
		assert_string_equal(ev[i].reason, want[i].reason);
		if (i)
			assert_true(ev[i].at >= ev[i - 1].at);
	}
	store_history_free(ev, n);
	OK(store_history(fx->s, id + 50, &ev, &n, &err));
	assert_int_equal(n, 0);
	store_history_free(ev, n);
}

static void test_update_without_history(void **state)
{
	fixture_t *fx = *state;
	char *err = NULL;
	int64_t id = add_job(fx->s, 0, NULL, 0);
	job_t j, got;
	OK(store_job_get(fx->s, id, &j, &err));
	j.lease_until = 777;
	set_str(&j.worker_id, "w");
	set_str(&j.container_id, "only-this");
	set_str(&j.container_name, "name");
	j.priority = 5;   /* not named by the bits: must not be written */
	OK(store_job_update(fx->s, &j, JOB_SET_LEASE | JOB_SET_CONTAINER, &err));
	OK(store_job_get(fx->s, id, &got, &err));
	assert_int_equal(got.lease_until, 777);
	assert_string_equal(got.worker_id, "w");
	assert_string_equal(got.container_id, "only-this");
	assert_int_equal(got.priority, 0);
	assert_int_equal(got.status, JOB_QUEUED);
	job_free(&got);
	job_event_t *ev = NULL;
	size_t n = 0;
	OK(store_history(fx->s, id, &ev, &n, &err));
	assert_int_equal(n, 1);
	store_history_free(ev, n);
	OK(store_job_update(fx->s, &j, 0, &err));
	j.id = id + 9;
	assert_int_equal(store_job_update(fx->s, &j, JOB_SET_LEASE, &err), -1);
	assert_err_contains(err, "does not exist");
	job_free(&j);
}

static void test_list_and_counts(void **state)
{
	fixture_t *fx = *state;
	char *err = NULL;
	int64_t a = add_job(fx->s, 0, "h1", 0);
	int64_t b = add_job(fx->s, 0, NULL, 0);
	int64_t c = add_job(fx->s, 0, NULL, 0);
	(void)a;
	job_t j;
	OK(store_job_get(fx->s, c, &j, &err));
	OK(store_job_move(fx->s, &j, JOB_QUEUED, JOB_CANCELLED, 0, "t", NULL, &err));
	job_free(&j);
	OK(store_job_get(fx->s, b, &j, &err));
	OK(store_job_move(fx->s, &j, JOB_QUEUED, JOB_LAUNCHING, 0, "t", NULL, &err));
	set_str(&j.ran_on, "h1");
	OK(store_job_move(fx->s, &j, JOB_LAUNCHING, JOB_RUNNING, JOB_SET_RAN_ON, "t", NULL,
			  &err));
	job_free(&j);

	job_t *list = NULL;
	size_t n = 0;
	OK(store_job_list(fx->s, NULL, &list, &n, &err));
	assert_int_equal(n, 3);
	assert_int_equal(list[0].id, a);
	assert_int_equal(list[2].id, c);
	store_job_list_free(list, n);

	job_filter_t f = {.newest_first = true, .limit = 2};
	OK(store_job_list(fx->s, &f, &list, &n, &err));
	assert_int_equal(n, 2);
	assert_int_equal(list[0].id, c);
	assert_int_equal(list[1].id, b);
	store_job_list_free(list, n);

	f = (job_filter_t){.status_mask = 1 << JOB_QUEUED | 1 << JOB_CANCELLED};
	OK(store_job_list(fx->s, &f, &list, &n, &err));
	assert_int_equal(n, 2);
	assert_int_equal(list[0].id, a);
	assert_int_equal(list[1].id, c);
	store_job_list_free(list, n);

	f = (job_filter_t){.host = "h1"};   /* pinned (a) or ran there (b) */
	OK(store_job_list(fx->s, &f, &list, &n, &err));
	assert_int_equal(n, 2);
	assert_int_equal(list[0].id, a);
	assert_int_equal(list[1].id, b);
	store_job_list_free(list, n);

	f = (job_filter_t){.host = "h1", .status_mask = 1 << JOB_RUNNING};
	OK(store_job_list(fx->s, &f, &list, &n, &err));
	assert_int_equal(n, 1);
	assert_int_equal(list[0].id, b);
	assert_int_equal(list[0].argc, 1);
	store_job_list_free(list, n);

	f = (job_filter_t){.status_mask = 1 << JOB_COMPLETED};
	OK(store_job_list(fx->s, &f, &list, &n, &err));
	assert_int_equal(n, 0);
	store_job_list_free(list, n);

	f = (job_filter_t){.status_mask = 1 << 12};
	assert_int_equal(store_job_list(fx->s, &f, &list, &n, &err), -1);
	assert_err_contains(err, "unknown job status");

	int64_t counts[JOB_STATUS_COUNT];
	OK(store_job_counts(fx->s, counts, &err));
	int64_t want[JOB_STATUS_COUNT] = {[JOB_QUEUED] = 1, [JOB_RUNNING] = 1,
					  [JOB_CANCELLED] = 1};
	for (int i = 0; i < JOB_STATUS_COUNT; i++)
		assert_int_equal(counts[i], want[i]);
}

static void test_output(void **state)
{
	fixture_t *fx = *state;
	char *err = NULL;
	int64_t id = add_job(fx->s, 0, NULL, 0);
	static const char bin[] = "line one\n\0\x01\xff\xfe\0tail";
	job_output_t o = {.data = (char *)bin, .len = sizeof(bin), .truncated = true,
			  .total_bytes = 1 << 20};
	OK(store_output_put(fx->s, id, 1, JOB_STDOUT, &o, &err));
	job_output_t got;
	OK(store_output_get(fx->s, id, 1, JOB_STDOUT, &got, &err));
	assert_int_equal(got.len, sizeof(bin));
	assert_memory_equal(got.data, bin, sizeof(bin));
	assert_true(got.truncated);
	assert_int_equal(got.total_bytes, 1 << 20);
	job_output_free(&got);
	assert_int_equal(store_output_get(fx->s, id, 1, JOB_STDERR, &got, &err), 1);
	assert_null(err);

	/* Replaced, not appended. */
	job_output_t o2 = {.data = "short", .len = 5, .total_bytes = 5};
	OK(store_output_put(fx->s, id, 1, JOB_STDOUT, &o2, &err));
	OK(store_output_get(fx->s, id, 1, JOB_STDOUT, &got, &err));
	assert_int_equal(got.len, 5);
	assert_memory_equal(got.data, "short", 5);
	assert_false(got.truncated);
	job_output_free(&got);

	/* Attempt 0: the latest attempt that has output; its streams only. */
	job_output_t empty = {.data = NULL, .len = 0};
	OK(store_output_put(fx->s, id, 2, JOB_STDERR, &empty, &err));
	OK(store_output_get(fx->s, id, 0, JOB_STDERR, &got, &err));
	assert_int_equal(got.len, 0);
	assert_non_null(got.data);
	job_output_free(&got);
	assert_int_equal(store_output_get(fx->s, id, 0, JOB_STDOUT, &got, &err), 1);
	OK(store_output_get(fx->s, id, 1, JOB_STDOUT, &got, &err));
	job_output_free(&got);
	assert_int_equal(store_output_get(fx->s, id + 1, 0, JOB_STDOUT, &got, &err), 1);

	/* Refusals. */
	assert_int_equal(store_output_put(fx->s, id + 1, 1, JOB_STDOUT, &o, &err), -1);
	assert_err_contains(err, "does not exist");
	assert_int_equal(store_output_put(fx->s, id, 1, (job_stream_t)3, &o, &err), -1);
	assert_err_contains(err, "stream");
	assert_int_equal(store_output_get(fx->s, id, 1, (job_stream_t)0, &got, &err), -1);
	assert_err_contains(err, "stream");
	assert_int_equal(store_output_put(fx->s, id, 0, JOB_STDOUT, &o, &err), -1);
	assert_err_contains(err, "attempt");
}

/* Both streams in one write: each stored as given, together or not at
 * all, with the same refusals as one stream. */
static void test_output_both(void **state)
{
	fixture_t *fx = *state;
	char *err = NULL;
	int64_t id = add_job(fx->s, 0, NULL, 0);
	job_output_t out = {.data = (char *)"out\0put", .len = 7, .total_bytes = 7};
	job_output_t errs = {.data = (char *)"errs", .len = 4, .truncated = true, .total_bytes = 99};
	OK(store_output_put_both(fx->s, id, 2, &out, &errs, &err));
	job_output_t got;
	OK(store_output_get(fx->s, id, 2, JOB_STDOUT, &got, &err));
	assert_int_equal(got.len, 7);
	assert_memory_equal(got.data, "out\0put", 7);
	assert_false(got.truncated);
	job_output_free(&got);
	OK(store_output_get(fx->s, id, 2, JOB_STDERR, &got, &err));
	assert_int_equal(got.len, 4);
	assert_memory_equal(got.data, "errs", 4);
	assert_true(got.truncated);
	assert_int_equal(got.total_bytes, 99);
	job_output_free(&got);
	/* Replaced, both. */
	job_output_t empty = {.data = NULL, .len = 0};
	OK(store_output_put_both(fx->s, id, 2, &empty, &out, &err));
	OK(store_output_get(fx->s, id, 2, JOB_STDOUT, &got, &err));
	assert_int_equal(got.len, 0);
	job_output_free(&got);
	OK(store_output_get(fx->s, id, 2, JOB_STDERR, &got, &err));
	assert_int_equal(got.len, 7);
	job_output_free(&got);

	char *before = db_fingerprint(fx->path);
	assert_int_equal(store_output_put_both(fx->s, id + 1, 1, &out, &errs, &err), -1);
	{
		char want[64];
		snprintf(want, sizeof(want), "job %lld does not exist", (long long)(id + 1));
		assert_err_contains(err, want);
	}
	assert_int_equal(store_output_put_both(fx->s, id, 0, &out, &errs, &err), -1);
	assert_err_contains(err, "attempts count from 1");
	job_output_t nodata = {.data = NULL, .len = 3};
	assert_int_equal(store_output_put_both(fx->s, id, 1, &out, &nodata, &err), -1);
	assert_err_contains(err, "no data for 3 bytes");
	char *after = db_fingerprint(fx->path);
	assert_string_equal(before, after);
	free(before);
	free(after);
}

/* Listing never reads output; a large blob must not slow it down or be
 * returned. This checks the query, not the clock. */
static void test_list_does_not_read_output(void **state)
{
	fixture_t *fx = *state;
	char *err = NULL;
	int64_t id = add_job(fx->s, 0, NULL, 0);
	size_t big = 8 << 20;
	job_output_t o = {.data = calloc(1, big), .len = big, .total_bytes = (int64_t)big};
	OK(store_output_put(fx->s, id, 1, JOB_STDOUT, &o, &err));
	free(o.data);
	job_output_t got;
	OK(store_output_get(fx->s, id, 0, JOB_STDOUT, &got, &err));
	assert_int_equal(got.len, big);
	job_output_free(&got);
	job_t *list = NULL;
	size_t n = 0;
	OK(store_job_list(fx->s, NULL, &list, &n, &err));
	assert_int_equal(n, 1);
	store_job_list_free(list, n);
}

static void finish(store_t *s, int64_t id, job_status_t to, int64_t finished_at)
{
	char *err = NULL;
	job_t j;
	OK(store_job_get(s, id, &j, &err));
	j.finished_at = finished_at;
	if (to == JOB_CANCELLED) {
		OK(store_job_move(s, &j, JOB_QUEUED, JOB_CANCELLED, JOB_SET_FINISHED_AT, "t",
				  NULL, &err));
	} else {
		OK(store_job_move(s, &j, JOB_QUEUED, JOB_LAUNCHING, 0, "t", NULL, &err));
		OK(store_job_move(s, &j, JOB_LAUNCHING, JOB_RUNNING, 0, "t", NULL, &err));
		OK(store_job_move(s, &j, JOB_RUNNING, to, JOB_SET_FINISHED_AT, "t", NULL, &err));
	}
	job_free(&j);
}

static void test_delete(void **state)
{
	fixture_t *fx = *state;
	char *err = NULL;
	int64_t old_ok = add_job(fx->s, 0, NULL, 0);
	int64_t old_failed = add_job(fx->s, 0, NULL, 0);
	int64_t new_ok = add_job(fx->s, 0, NULL, 0);
	int64_t queued = add_job(fx->s, 0, NULL, 0);
	int64_t gone = add_job(fx->s, 0, NULL, 0);
	finish(fx->s, old_ok, JOB_COMPLETED, 1000);
	finish(fx->s, old_failed, JOB_FAILED, 2000);
	finish(fx->s, new_ok, JOB_COMPLETED, 9000);
	finish(fx->s, gone, JOB_CANCELLED, 1);
	job_output_t o = {.data = "0123456789", .len = 10};
	OK(store_output_put(fx->s, old_ok, 1, JOB_STDOUT, &o, &err));
	OK(store_output_put(fx->s, old_ok, 1, JOB_STDERR, &o, &err));

	assert_int_equal(store_job_delete(fx->s, queued, &err), -1);
	assert_err_contains(err, "is queued");
	OK(store_job_delete(fx->s, gone, &err));
	assert_int_equal(store_job_delete(fx->s, gone, &err), 1);
	job_event_t *ev = NULL;
	size_t n = 9;
	OK(store_history(fx->s, gone, &ev, &n, &err));
	assert_int_equal(n, 0);
	store_history_free(ev, n);

	job_t j;
	OK(store_job_get(fx->s, old_ok, &j, &err));
	job_free(&j);
	OK(store_job_get(fx->s, queued, &j, &err));
	job_free(&j);

	/* Ids are never reused after removal. */
	int64_t next = add_job(fx->s, 0, NULL, 0);
	assert_true(next > gone);
}

/* ---- status and report: the boundaries of "now" and of the period ---- */

/* Cancels queued job id, recording `finished` as its finish time. */
static void cancel_at(store_t *s, int64_t id, int64_t finished)
{
	char *err = NULL;
	job_t j;
	OK(store_job_get(s, id, &j, &err));
	j.finished_at = finished;
	OK(store_job_move(s, &j, JOB_QUEUED, JOB_CANCELLED, JOB_SET_FINISHED_AT, "t", NULL, &err));
	job_free(&j);
}

/* A queued job whose not_before is exactly `now` is ready; one a
 * millisecond later is scheduled, and the soonest of those is next_at.
 * The same with --host, which counts by another query. */
static void test_status_ready_at_now(void **state)
{
	fixture_t *fx = *state;
	char *err = NULL;
	int64_t a = add_job(fx->s, 0, NULL, 1000);
	add_job(fx->s, 0, NULL, 1001);
	int64_t c = add_job(fx->s, 0, "h1", 1000);
	add_job(fx->s, 0, "h1", 1002);
	store_status_t st;

	OK(store_status(fx->s, NULL, 1000, &st, &err));
	assert_int_equal(st.counts[JOB_QUEUED], 4);
	assert_int_equal(st.total, 4);
	assert_int_equal(st.ready, 2);
	assert_int_equal(st.scheduled, 2);
	assert_int_equal(st.next_at, 1001);
	assert_int_equal(st.oldest_id, a);
	assert_int_equal(st.nhosts, 2);
	assert_string_equal(st.hosts[0].host, "h1");   /* by name, NULL last */
	assert_int_equal(st.hosts[0].ready, 1);
	assert_int_equal(st.hosts[0].scheduled, 1);
	assert_null(st.hosts[1].host);
	assert_int_equal(st.hosts[1].ready, 1);
	assert_int_equal(st.hosts[1].scheduled, 1);
	store_status_free(&st);

	OK(store_status(fx->s, "h1", 1000, &st, &err));
	assert_int_equal(st.total, 2);
	assert_int_equal(st.ready, 1);
	assert_int_equal(st.scheduled, 1);
	assert_int_equal(st.next_at, 1002);
	assert_int_equal(st.oldest_id, c);
	store_status_free(&st);

	OK(store_status(fx->s, NULL, 999, &st, &err));
	assert_int_equal(st.ready, 0);
	assert_int_equal(st.scheduled, 4);
	assert_int_equal(st.next_at, 1000);
	assert_int_equal(st.oldest_id, 0);
	store_status_free(&st);

	OK(store_status(fx->s, NULL, 1002, &st, &err));
	assert_int_equal(st.ready, 4);
	assert_int_equal(st.scheduled, 0);
	assert_int_equal(st.next_at, 0);
	store_status_free(&st);

	OK(store_status(fx->s, "h1", 1001, &st, &err));
	assert_int_equal(st.ready, 1);
	assert_int_equal(st.scheduled, 1);
	store_status_free(&st);
}

/* The oldest waiting job is the ready one queued first, whatever its id. */
static void test_status_oldest_by_queue_time(void **state)
{
	fixture_t *fx = *state;
	char *err = NULL;
	int64_t a = add_job(fx->s, 0, NULL, 0);
	int64_t b = add_job(fx->s, 0, NULL, 0);
	job_t j;
	OK(store_job_get(fx->s, a, &j, &err));
	j.queued_at += 5000;   /* a waits since later than b */
	OK(store_job_move(fx->s, &j, JOB_QUEUED, JOB_LAUNCHING, 0, "t", NULL, &err));
	j.status = JOB_LAUNCHING;
	OK(store_job_move(fx->s, &j, JOB_LAUNCHING, JOB_QUEUED, JOB_SET_QUEUED_AT, "t", NULL,
			  &err));
	job_free(&j);
	store_status_t st;
	OK(store_status(fx->s, NULL, INT64_MAX / 2, &st, &err));
	assert_int_equal(st.ready, 2);
	assert_int_equal(st.oldest_id, b);
	store_status_free(&st);
}

/* Jobs held by dependencies count as queued and waiting, by host, however
 * many they wait for and whatever their start time; never as ready or
 * scheduled, and never as the oldest ready job, though queued first. The
 * same with --host, which counts by another query. */
static void test_status_waiting_by_host(void **state)
{
	fixture_t *fx = *state;
	char *err = NULL;
	add_job_held(fx->s, 0, "h1", 0, 1);
	add_job_held(fx->s, 0, "h1", 5000, 2);
	add_job_held(fx->s, 0, NULL, 0, 1);
	int64_t a = add_job(fx->s, 0, NULL, 0);
	add_job(fx->s, 0, "h1", 0);
	add_job(fx->s, 0, "h1", 5000);
	store_status_t st;

	OK(store_status(fx->s, NULL, 1000, &st, &err));
	assert_int_equal(st.counts[JOB_QUEUED], 6);
	assert_int_equal(st.total, 6);
	assert_int_equal(st.ready, 2);
	assert_int_equal(st.scheduled, 1);
	assert_int_equal(st.waiting, 3);
	assert_int_equal(st.next_at, 5000);
	assert_int_equal(st.oldest_id, a);
	assert_int_equal(st.nhosts, 2);
	assert_string_equal(st.hosts[0].host, "h1");
	assert_int_equal(st.hosts[0].counts[JOB_QUEUED], 4);
	assert_int_equal(st.hosts[0].total, 4);
	assert_int_equal(st.hosts[0].ready, 1);
	assert_int_equal(st.hosts[0].scheduled, 1);
	assert_int_equal(st.hosts[0].waiting, 2);
	assert_null(st.hosts[1].host);
	assert_int_equal(st.hosts[1].counts[JOB_QUEUED], 2);
	assert_int_equal(st.hosts[1].ready, 1);
	assert_int_equal(st.hosts[1].scheduled, 0);
	assert_int_equal(st.hosts[1].waiting, 1);
	store_status_free(&st);

	OK(store_status(fx->s, "h1", 1000, &st, &err));
	assert_int_equal(st.counts[JOB_QUEUED], 4);
	assert_int_equal(st.ready, 1);
	assert_int_equal(st.scheduled, 1);
	assert_int_equal(st.waiting, 2);
	store_status_free(&st);
}

/* The period is [since, until): a job finished exactly at since is in it,
 * one finished exactly at until is not; an unfinished job counts by its
 * creation time. With host, only jobs pinned to or run on it. */
static void test_report_period_bounds(void **state)
{
	fixture_t *fx = *state;
	char *err = NULL;
	cancel_at(fx->s, add_job(fx->s, 0, NULL, 0), 4999);
	cancel_at(fx->s, add_job(fx->s, 0, NULL, 0), 5000);
	cancel_at(fx->s, add_job(fx->s, 0, "h1", 0), 5500);
	cancel_at(fx->s, add_job(fx->s, 0, NULL, 0), 5999);
	cancel_at(fx->s, add_job(fx->s, 0, NULL, 0), 6000);
	store_report_t r;

	OK(store_report(fx->s, 5000, 6000, NULL, &r, &err));
	assert_int_equal(r.all.total, 3);
	assert_int_equal(r.all.counts[JOB_CANCELLED], 3);
	store_report_free(&r);
	OK(store_report(fx->s, 4999, 5000, NULL, &r, &err));
	assert_int_equal(r.all.total, 1);
	store_report_free(&r);
	OK(store_report(fx->s, 6000, 6001, NULL, &r, &err));
	assert_int_equal(r.all.total, 1);
	store_report_free(&r);
	OK(store_report(fx->s, 5001, 5999, NULL, &r, &err));
	assert_int_equal(r.all.total, 1);
	store_report_free(&r);
	OK(store_report(fx->s, 5000, 6000, "h1", &r, &err));
	assert_int_equal(r.all.total, 1);
	assert_int_equal(r.nhosts, 1);
	assert_string_equal(r.hosts[0].key, "h1");
	store_report_free(&r);

	/* Unfinished: by creation time. */
	int64_t q = add_job(fx->s, 0, NULL, 0);
	job_t j;
	OK(store_job_get(fx->s, q, &j, &err));
	int64_t created = j.created_at;
	job_free(&j);
	OK(store_report(fx->s, created, created + 1, NULL, &r, &err));
	assert_int_equal(r.all.total, 1);
	assert_int_equal(r.all.counts[JOB_QUEUED], 1);
	store_report_free(&r);
	OK(store_report(fx->s, created - 1, created, NULL, &r, &err));
	assert_int_equal(r.all.total, 0);
	store_report_free(&r);
	OK(store_report(fx->s, created + 1, created + 2, NULL, &r, &err));
	assert_int_equal(r.all.total, 0);
	store_report_free(&r);
}

/* manage-jobs cleanup removes jobs that finished "more than N days ago":
 * strictly before the cut-off, never at it; only finished jobs; a job
 * cancelled before it ran counts from its creation; and each batch checks
 * status and age again, whatever ids it is given. */
static void test_cleanup_boundary(void **state)
{
	fixture_t *fx = *state;
	char *err = NULL;
	int64_t at = add_job(fx->s, 0, NULL, 0);      /* finished at the cut-off */
	int64_t before = add_job(fx->s, 0, NULL, 0);  /* a millisecond before it */
	int64_t failed = add_job(fx->s, 0, NULL, 0);  /* failed long before */
	int64_t queued = add_job(fx->s, 0, NULL, 0);  /* queued: never */
	int64_t never = add_job(fx->s, 0, NULL, 0);   /* cancelled before it ran */
	const int64_t cut = 5000;
	finish(fx->s, at, JOB_COMPLETED, cut);
	finish(fx->s, before, JOB_COMPLETED, cut - 1);
	finish(fx->s, failed, JOB_FAILED, 10);
	finish(fx->s, never, JOB_CANCELLED, 0);
	job_t j;
	OK(store_job_get(fx->s, never, &j, &err));
	assert_int_equal(j.finished_at, 0);
	int64_t created = j.created_at;
	job_free(&j);
	job_output_t o = {.data = "abc", .len = 3};
	OK(store_output_put(fx->s, before, 1, JOB_STDOUT, &o, &err));

	int64_t *ids = NULL, bytes = 0;
	size_t n = 0;
	OK(store_cleanup_list(fx->s, cut, &ids, &n, &bytes, &err));
	assert_int_equal(n, 2);
	assert_int_equal(ids[0], before);
	assert_int_equal(ids[1], failed);
	assert_int_equal(bytes, 3);
	free(ids);
	/* The job without a finish time: by its creation time (the others
	 * finished long before it was created). */
	OK(store_cleanup_list(fx->s, created, &ids, &n, &bytes, &err));
	assert_int_equal(n, 3);
	assert_int_equal(ids[2], failed);
	free(ids);
	OK(store_cleanup_list(fx->s, created + 1, &ids, &n, &bytes, &err));
	assert_int_equal(n, 4);
	assert_int_equal(ids[3], never);
	free(ids);

	/* Given every id, a batch removes only the finished jobs old enough. */
	int64_t all[] = {at, before, failed, queued, never};
	store_cleanup_counts_t c = {0};
	OK(store_cleanup_delete(fx->s, all, 5, cut, &c, &err));
	assert_int_equal(c.jobs, 2);
	assert_int_equal(c.outputs, 1);
	assert_int_equal(c.bytes, 3);
	assert_int_equal(store_job_get(fx->s, before, &j, &err), 1);
	assert_int_equal(store_job_get(fx->s, failed, &j, &err), 1);
	OK(store_job_get(fx->s, at, &j, &err));
	job_free(&j);
	OK(store_job_get(fx->s, queued, &j, &err));
	job_free(&j);
	OK(store_job_get(fx->s, never, &j, &err));
	job_free(&j);
}

/* How often PostgreSQL ran the statement this store's connection
 * prepared from sql_like: by its generic plan (made once) and by a plan
 * made for the values of each run. */
static void plans_of(store_t *s, const char *sql_like, int64_t *generic, int64_t *custom)
{
	char *err = NULL;
	db_stmt_t *st = NULL;
	OK(st_prepare(s, "SELECT coalesce(sum(generic_plans), 0), coalesce(sum(custom_plans), 0) "
			 "FROM pg_prepared_statements WHERE statement LIKE ?",
		      &st, &err));
	binder_t b;
	bind_start(&b, st);
	bind_text(&b, sql_like);
	OK(bind_check(s, &b, "plans", &err));
	assert_int_equal(st_step(st), DB_ROW);
	*generic = col_i64(st, 0);
	*custom = col_i64(st, 1);
	st_release(s, st);
}

/* A page of jobs by status, the API's and the dashboard's most common
 * read, is planned once per connection on PostgreSQL, with and without a
 * cursor, rather than at every request. */
static void test_status_pages_planned_once_pg(void **state)
{
	fixture_t *fx = *state;
	char *err = NULL;
	for (int i = 0; i < 12; i++) {
		int64_t id = add_job(fx->s, 0, NULL, 0);
		job_t j;
		OK(store_job_get(fx->s, id, &j, &err));
		OK(store_job_move(fx->s, &j, JOB_QUEUED, JOB_CANCELLED, 0, "t", NULL, &err));
		job_free(&j);
	}
	int64_t generic = 0, custom = 0;
	for (int run = 0; run < 10; run++) {
		job_filter_t f = {.status_mask = 1 << JOB_CANCELLED, .newest_first = true,
				  .limit = 5};
		job_t *list = NULL;
		size_t n = 0;
		OK(store_job_list(fx->s, &f, &list, &n, &err));
		assert_int_equal(n, 5);
		f.below_id = list[4].id;
		store_job_list_free(list, n);
		OK(store_job_list(fx->s, &f, &list, &n, &err));
		assert_int_equal(n, 5);
		store_job_list_free(list, n);
	}
	plans_of(fx->s, "%status IN ('cancelled') ORDER BY id DESC LIMIT 5", &generic, &custom);
	printf("# first page: %lld generic, %lld custom\n", (long long)generic,
	       (long long)custom);
	assert_int_equal(generic + custom, 10);
	assert_true(custom <= 1);
	plans_of(fx->s, "%status IN ('cancelled') AND id < $1 ORDER BY id DESC LIMIT 5", &generic,
		 &custom);
	printf("# cursor pages: %lld generic, %lld custom\n", (long long)generic,
	       (long long)custom);
	assert_int_equal(generic + custom, 10);
	assert_true(generic >= 5);
}

/* A kept statement whose first run bound NULL to a parameter (a job's
 * creation row has no "from" status) is prepared with the type PostgreSQL
 * gave that parameter, so that later runs with a value there use it too:
 * parsed and planned once, and free to go with the next statement. */
static void test_prepared_after_a_null_pg(void **state)
{
	fixture_t *fx = *state;
	char *err = NULL;
	for (int i = 0; i < 3; i++) {
		int64_t id = add_job(fx->s, 0, NULL, 0);
		job_t j;
		OK(store_job_get(fx->s, id, &j, &err));
		OK(store_job_move(fx->s, &j, JOB_QUEUED, JOB_CANCELLED, 0, "t", "why", &err));
		job_free(&j);
	}
	int64_t generic = 0, custom = 0;
	plans_of(fx->s, "INSERT INTO job_history (%) VALUES ($1, $2, $3, $4, $5, $6, $7)", &generic,
		 &custom);
	/* Three creation rows and three moves. */
	assert_int_equal(generic + custom, 6);
}

/* store_job_add_many's order: the k-th stored (and numbered) is
 * jobs[order[k]], across several insert chunks (64 + 4 + 2 jobs), while
 * ids[] answers in the jobs' own order. */
static void test_add_many_in_given_order(void **state)
{
	fixture_t *fx = *state;
	char *err = NULL;
	enum { N = 70 };
	job_t jobs[N];
	size_t order[N];
	int64_t ids[N];
	char names[N][8];
	for (size_t i = 0; i < N; i++) {
		job_init(&jobs[i]);
		jobs[i].image = (char *)"img";
		snprintf(names[i], sizeof(names[i]), "j%zu", i);
		jobs[i].name = names[i];
		order[i] = N - 1 - i; /* the last job first */
	}
	OK(store_job_add_many(fx->s, jobs, N, 0, order, "submit", NULL, ids, &err));
	for (size_t i = 0; i + 1 < N; i++)
		assert_true(ids[i] == ids[i + 1] + 1);
	for (size_t i = 0; i < N; i += 23) {
		job_t got;
		OK(store_job_get(fx->s, ids[i], &got, &err));
		assert_string_equal(got.name, names[i]);
		job_free(&got);
	}
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, fx_setup, fx_teardown)
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_job_column_count),
		T(test_list_summaries),
		T(test_each_stops_when_asked),
		T(test_add_round_trip),
		T(test_minimal_job),
		T(test_add_many_in_given_order),
		T(test_given_uuid_and_duplicate),
		T(test_runtime_fields_round_trip),
		T(test_integers_at_their_ends),
		T(test_move_illegal),
		T(test_move_stale_and_missing),
		T(test_history_of_moves),
		T(test_update_without_history),
		T(test_list_and_counts),
		T(test_output),
		T(test_output_both),
		T(test_list_does_not_read_output),
		T(test_delete),
		T(test_status_ready_at_now),
		T(test_status_oldest_by_queue_time),
		T(test_status_waiting_by_host),
		T(test_report_period_bounds),
		T(test_cleanup_boundary),
	};
	/* PostgreSQL's plans. */
	const struct CMUnitTest pg_tests[] = {
		T(test_status_pages_planned_once_pg),
		T(test_prepared_after_a_null_pg),
	};
	int failed = cmocka_run_group_tests(tests, NULL, NULL);
	if (test_on_pg())
		failed += cmocka_run_group_tests_name("postgresql", pg_tests, NULL, NULL);
	return failed;
}
