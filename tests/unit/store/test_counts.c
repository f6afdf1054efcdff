/*
 * tests/unit/store/test_counts.c: the job counts per host and status that
 * the store keeps for status changes (counts.c): they follow claims, moves
 * and host changes; a rolled-back savepoint or transaction takes its changes
 * with it; 'db check' finds counts that disagree with the jobs, and a vacuum
 * counts them again. And the run-time histogram of /metrics (metrics.c),
 * kept the same way as counters: each finish of a job that ran adds to its
 * bucket, a rollback takes that back, a cleanup lowers nothing, and a
 * store is started from its finished jobs.
 */
#include "helpers.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/maint.h"
#include "store/metrics.h"
#include "store/report.h"
#include "store/store_int.h"

/* How many (host, status) pairs disagree between job_counts and the jobs. */
static int64_t disagreements(store_t *s)
{
	int64_t n = -1;
	char *err = NULL;
	OK(query_count(s,
		       "SELECT count(*) FROM (SELECT k, st FROM ("
		       "SELECT host_key AS k, status AS st, n AS c, 0 AS a FROM job_counts "
		       "UNION ALL SELECT coalesce(ran_on, host, ''), status, 0, count(*) "
		       "FROM jobs WHERE status <> 'queued' GROUP BY 1, 2) AS t "
		       "GROUP BY k, st HAVING sum(c) <> sum(a)) AS d",
		       NULL, &n, &err));
	return n;
}

static void test_counts_follow_the_worker(void **state)
{
	fixture_t *fx = *state;
	char *err = NULL;
	add_job(fx->s, 0, NULL, 0);
	add_job(fx->s, 0, NULL, 0);
	job_t a = claim_one(fx->s, "h1"), b = claim_one(fx->s, "h2");
	assert_int_equal(counted(fx->s, "h1", "launching"), 1);
	assert_int_equal(counted(fx->s, "h2", "launching"), 1);
	OK(store_job_move(fx->s, &a, JOB_LAUNCHING, JOB_RUNNING, 0, "t", NULL, &err));
	a.status = JOB_RUNNING;
	assert_int_equal(counted(fx->s, "h1", "launching"), 0);
	assert_int_equal(counted(fx->s, "h1", "running"), 1);
	a.finished_at = 10;
	a.has_exit_code = true;
	free(a.worker_id);
	a.worker_id = NULL;
	a.lease_until = 0;
	OK(store_job_move(fx->s, &a, JOB_RUNNING, JOB_COMPLETED,
			  JOB_SET_FINISHED_AT | JOB_SET_EXIT_CODE | JOB_SET_LEASE, "t", NULL, &err));
	assert_int_equal(counted(fx->s, "h1", "running"), 0);
	assert_int_equal(counted(fx->s, "h1", "completed"), 1);
	/* A changed host (ran_on) moves the count with it. */
	free(b.ran_on);
	b.ran_on = strdup("h3");
	OK(store_job_update(fx->s, &b, JOB_SET_RAN_ON, &err));
	assert_int_equal(counted(fx->s, "h2", "launching"), 0);
	assert_int_equal(counted(fx->s, "h3", "launching"), 1);
	/* A move from a record whose host is not the stored one is refused
	 * like one whose status is not (compare and set), and counts nothing. */
	free(b.ran_on);
	b.ran_on = strdup("stale");
	assert_int_equal(store_job_move(fx->s, &b, JOB_LAUNCHING, JOB_QUEUED, 0, "t", NULL, &err),
			 1);
	assert_int_equal(counted(fx->s, "h3", "launching"), 1);
	assert_int_equal(counted(fx->s, "stale", "queued"), 0);
	free(b.ran_on);
	b.ran_on = strdup("h3");
	OK(store_job_move(fx->s, &b, JOB_LAUNCHING, JOB_QUEUED, 0, "t", NULL, &err));
	assert_int_equal(counted(fx->s, "h3", "launching"), 0);
	/* A move refused (not in from) counts nothing. */
	assert_int_equal(store_job_move(fx->s, &b, JOB_RUNNING, JOB_FAILED, 0, "t", NULL, &err),
			 1);
	assert_int_equal(disagreements(fx->s), 0);
	job_free(&a);
	job_free(&b);
}

static void test_rolled_back_changes_are_not_counted(void **state)
{
	fixture_t *fx = *state;
	char *err = NULL;
	add_job(fx->s, 0, NULL, 0);
	add_job(fx->s, 0, NULL, 0);
	job_t a = claim_one(fx->s, "h"), b = claim_one(fx->s, "h");
	OK(store_begin(fx->s, &err));
	OK(store_job_move(fx->s, &a, JOB_LAUNCHING, JOB_RUNNING, 0, "t", NULL, &err));
	/* A savepoint that moves b, then is rolled back... */
	OK(store_begin(fx->s, &err));
	OK(store_job_move(fx->s, &b, JOB_LAUNCHING, JOB_RUNNING, 0, "t", NULL, &err));
	store_rollback(fx->s);
	/* ...and one that moves b and is kept. */
	OK(store_begin(fx->s, &err));
	OK(store_job_move(fx->s, &b, JOB_LAUNCHING, JOB_QUEUED, 0, "t", NULL, &err));
	OK(store_commit(fx->s, &err));
	OK(store_commit(fx->s, &err));
	assert_int_equal(counted(fx->s, "h", "running"), 1);
	assert_int_equal(counted(fx->s, "h", "launching"), 0);
	assert_int_equal(disagreements(fx->s), 0);

	/* A whole transaction rolled back counts nothing. */
	a.status = JOB_RUNNING;
	OK(store_begin(fx->s, &err));
	OK(store_job_move(fx->s, &a, JOB_RUNNING, JOB_CANCELLED, 0, "t", NULL, &err));
	store_rollback(fx->s);
	assert_int_equal(counted(fx->s, "h", "running"), 1);
	assert_int_equal(counted(fx->s, "h", "cancelled"), 0);
	assert_int_equal(disagreements(fx->s), 0);
	job_free(&a);
	job_free(&b);
}

/* manage-jobs status reads the counts: it agrees with the jobs. */
static void test_status_reads_the_counts(void **state)
{
	fixture_t *fx = *state;
	char *err = NULL;
	for (int i = 0; i < 3; i++)
		add_job(fx->s, 0, NULL, 0);
	job_t a = claim_one(fx->s, "h");
	OK(store_job_move(fx->s, &a, JOB_LAUNCHING, JOB_RUNNING, 0, "t", NULL, &err));
	store_status_t st;
	OK(store_status(fx->s, NULL, 1, &st, &err));
	assert_int_equal(st.counts[JOB_RUNNING], 1);
	assert_int_equal(st.counts[JOB_QUEUED], 2);
	assert_int_equal(st.counts[JOB_LAUNCHING], 0);
	store_status_free(&st);
	job_free(&a);
}

static void test_check_finds_and_vacuum_mends(void **state)
{
	fixture_t *fx = *state;
	char *err = NULL;
	add_job(fx->s, 0, NULL, 0);
	job_t a = claim_one(fx->s, "h");
	store_problem_t *p = NULL;
	size_t n = 0;
	OK(store_check(fx->s, &p, &n, &err));
	for (size_t i = 0; i < n; i++)
		assert_null(strstr(p[i].message, "job counts"));
	store_problems_free(p, n);

	OK(st_run(fx->s, "UPDATE job_counts SET n = n + 5", "edit", &err));
	OK(store_check(fx->s, &p, &n, &err));
	bool found = false;
	for (size_t i = 0; i < n; i++)
		if (strstr(p[i].message, "job counts: launching jobs of host 'h': counted 6, but "
					 "the jobs table has 1"))
			found = true;
	assert_true(found);
	store_problems_free(p, n);

	int64_t before = 0, after = 0;
	OK(store_vacuum(fx->s, &before, &after, &err));
	assert_int_equal(disagreements(fx->s), 0);
	assert_int_equal(counted(fx->s, "h", "launching"), 1);
	job_free(&a);
}

/* Two moves in one write: both history rows (the first at the start time),
 * the counts moved once, and the same checks as a single move. */
static void test_move_via(void **state)
{
	fixture_t *fx = *state;
	char *err = NULL;
	add_job(fx->s, 0, NULL, 0);
	job_t a = claim_one(fx->s, "h");
	a.started_at = 1000;
	a.finished_at = 2000;
	a.has_exit_code = true;
	free(a.worker_id);
	a.worker_id = NULL;
	a.lease_until = 0;
	unsigned set = JOB_SET_STARTED_AT | JOB_SET_FINISHED_AT | JOB_SET_EXIT_CODE | JOB_SET_LEASE;
	/* Not a path a job may take; nothing is written. */
	assert_int_equal(store_job_move_via(fx->s, &a, JOB_LAUNCHING, JOB_QUEUED, JOB_COMPLETED, set,
					    "t", "x", "y", &err),
			 -1);
	assert_err_contains(err, "cannot move from launching through queued to completed");
	free(err);
	err = NULL;
	OK(store_job_move_via(fx->s, &a, JOB_LAUNCHING, JOB_RUNNING, JOB_COMPLETED, set, "t",
			      "container started", "exited 0", &err));
	assert_int_equal(counted(fx->s, "h", "launching"), 0);
	assert_int_equal(counted(fx->s, "h", "running"), 0);
	assert_int_equal(counted(fx->s, "h", "completed"), 1);
	assert_int_equal(disagreements(fx->s), 0);
	job_event_t *ev = NULL;
	size_t n = 0;
	OK(store_history(fx->s, a.id, &ev, &n, &err));
	assert_int_equal(n, 4);
	assert_int_equal(ev[2].from, JOB_LAUNCHING);
	assert_int_equal(ev[2].to, JOB_RUNNING);
	assert_int_equal(ev[2].at, 1000);
	assert_string_equal(ev[2].reason, "container started");
	assert_int_equal(ev[3].from, JOB_RUNNING);
	assert_int_equal(ev[3].to, JOB_COMPLETED);
	assert_string_equal(ev[3].reason, "exited 0");
	store_history_free(ev, n);
	job_t now;
	OK(store_job_get(fx->s, a.id, &now, &err));
	assert_int_equal(now.status, JOB_COMPLETED);
	assert_int_equal(now.started_at, 1000);
	job_free(&now);
	/* Again: the job is no longer launching, so nothing is written (1). */
	assert_int_equal(store_job_move_via(fx->s, &a, JOB_LAUNCHING, JOB_RUNNING, JOB_COMPLETED, set,
					    "t", "x", "y", &err),
			 1);
	job_free(&a);
}

/* Changes that cancel out within one transaction (a claim handed back
 * before the commit, as a worker's turn does when a launch fails at once)
 * write no count row at all: design.md, one upsert per host and status
 * that changed, none for one that did not. */
static void test_cancelled_out_changes_write_nothing(void **state)
{
	fixture_t *fx = *state;
	char *err = NULL;
	add_job(fx->s, 0, NULL, 0);
	char *before = db_fingerprint(fx->path);
	OK(store_begin(fx->s, &err));
	job_t j = claim_one(fx->s, "h9");
	j.attempt--;
	free(j.worker_id);
	j.worker_id = NULL;
	j.lease_until = 0;
	OK(store_job_move(fx->s, &j, JOB_LAUNCHING, JOB_QUEUED, JOB_SET_ATTEMPT | JOB_SET_LEASE,
			  "t", "handed back", &err));
	OK(store_commit(fx->s, &err));
	job_free(&j);
	int64_t rows = -1;
	OK(query_count(fx->s, "SELECT count(*) FROM job_counts WHERE host_key = ?", "h9", &rows,
		       &err));
	assert_int_equal(rows, 0);
	assert_int_equal(disagreements(fx->s), 0);
	/* The claim and its hand-back are in the history; nothing else changed
	 * but the job's row (ran_on, container name) and those history rows. */
	char *after = db_fingerprint(fx->path);
	assert_true(strstr(before, "table job_counts\n") && strstr(after, "table job_counts\n"));
	const char *cb = strstr(before, "table job_counts\n"), *ca = strstr(after, "table job_counts\n");
	const char *eb = strstr(cb + 1, "table "), *ea = strstr(ca + 1, "table ");
	size_t lb = eb ? (size_t)(eb - cb) : strlen(cb), la = ea ? (size_t)(ea - ca) : strlen(ca);
	assert_int_equal(lb, la);
	assert_memory_equal(cb, ca, lb);
	free(before);
	free(after);
}

/* Runs a claimed job from started to finished (ms after it), and moves it
 * to `to` (and back to the queue first when it ran before). */
static void run_for(store_t *s, job_t *j, int64_t ms, job_status_t to)
{
	char *err = NULL;
	j->started_at = 1000000;
	OK(store_job_move(s, j, JOB_LAUNCHING, JOB_RUNNING, JOB_SET_STARTED_AT, "t", NULL, &err));
	j->status = JOB_RUNNING;
	j->finished_at = j->started_at + ms;
	free(j->worker_id);
	j->worker_id = NULL;
	j->lease_until = 0;
	OK(store_job_move(s, j, JOB_RUNNING, to, JOB_SET_FINISHED_AT | JOB_SET_LEASE, "t", NULL,
			  &err));
	j->status = to;
}

/* The histogram now: cumulative counts per bucket, total and sum. */
typedef struct {
	int64_t le[STORE_RUN_BUCKETS], total, sum_ms;
} hist_t;

static hist_t histogram(store_t *s)
{
	hist_t h;
	char *err = NULL;
	OK(store_run_time_histogram(s, h.le, &h.total, &h.sum_ms, &err));
	return h;
}

static void test_run_times_are_counted_as_jobs_finish(void **state)
{
	fixture_t *fx = *state;
	char *err = NULL;
	assert_int_equal(store_run_bucket(0), 0);
	assert_int_equal(store_run_bucket(1000), 0);
	assert_int_equal(store_run_bucket(1001), 1);
	assert_int_equal(store_run_bucket(86400000), STORE_RUN_BUCKETS - 1);
	assert_int_equal(store_run_bucket(86400001), STORE_RUN_BUCKETS);
	for (int i = 0; i < 5; i++)
		add_job(fx->s, 0, NULL, 0);
	job_t a = claim_one(fx->s, "h"), b = claim_one(fx->s, "h"), c = claim_one(fx->s, "h"),
	      d = claim_one(fx->s, "h"), e = claim_one(fx->s, "h");
	run_for(fx->s, &a, 500, JOB_COMPLETED);      /* le 1 */
	run_for(fx->s, &b, 7000, JOB_FAILED);        /* le 10 */
	run_for(fx->s, &c, 90000000, JOB_TIMEOUT);   /* past a day */
	/* A finish rolled back with its savepoint is not counted... */
	OK(store_begin(fx->s, &err));
	OK(store_begin(fx->s, &err));
	run_for(fx->s, &d, 2000, JOB_COMPLETED);
	store_rollback(fx->s);
	OK(store_commit(fx->s, &err));
	d.status = JOB_LAUNCHING;
	/* ...nor a job cancelled while it ran. */
	e.started_at = 1000000;
	OK(store_job_move(fx->s, &e, JOB_LAUNCHING, JOB_RUNNING, JOB_SET_STARTED_AT, "t", NULL,
			  &err));
	e.finished_at = 1005000;
	OK(store_job_move(fx->s, &e, JOB_RUNNING, JOB_CANCELLED, JOB_SET_FINISHED_AT, "t", NULL,
			  &err));
	/* ...nor one that failed before it started. */
	add_job(fx->s, 0, NULL, 0);
	job_t x = claim_one(fx->s, "h");
	x.finished_at = 5000;
	free(x.worker_id);
	x.worker_id = NULL;
	OK(store_job_move(fx->s, &x, JOB_LAUNCHING, JOB_FAILED, JOB_SET_FINISHED_AT | JOB_SET_LEASE,
			  "t", NULL, &err));
	job_free(&x);
	hist_t h = histogram(fx->s);
	assert_int_equal(h.total, 3);
	assert_int_equal(h.sum_ms, 500 + 7000 + 90000000);
	assert_int_equal(h.le[0], 1);
	assert_int_equal(h.le[1], 1);
	assert_int_equal(h.le[2], 2);
	assert_int_equal(h.le[STORE_RUN_BUCKETS - 1], 2);

	/* Counters: a job retried and finished again counts again, and
	 * removing the jobs lowers nothing. */
	b.status = JOB_FAILED;
	OK(store_job_move(fx->s, &b, JOB_FAILED, JOB_QUEUED, 0, "t", NULL, &err));
	job_free(&b);
	b = claim_one(fx->s, "h");
	run_for(fx->s, &b, 600, JOB_COMPLETED);      /* le 1, beside a */
	/* Two finishes in one bucket, one in a savepoint kept: both. */
	OK(store_begin(fx->s, &err));
	run_for(fx->s, &d, 100, JOB_COMPLETED);
	OK(store_begin(fx->s, &err));
	job_t k;
	add_job(fx->s, 0, NULL, 0);
	k = claim_one(fx->s, "h");
	run_for(fx->s, &k, 200, JOB_COMPLETED);
	OK(store_commit(fx->s, &err));
	OK(store_commit(fx->s, &err));
	job_free(&k);
	OK(st_run(fx->s, "DELETE FROM jobs", "t", &err));
	h = histogram(fx->s);
	assert_int_equal(h.total, 6);
	assert_int_equal(h.sum_ms, 500 + 7000 + 90000000 + 600 + 100 + 200);
	assert_int_equal(h.le[0], 4);
	assert_int_equal(h.le[2], 5);

	/* A store is started from the finished jobs it holds (migration
	 * 0012/0009, db copy): the two jobs below, whatever was counted. */
	add_job(fx->s, 0, NULL, 0);
	add_job(fx->s, 0, NULL, 0);
	job_t f = claim_one(fx->s, "h"), g = claim_one(fx->s, "h");
	run_for(fx->s, &f, 1000, JOB_COMPLETED);
	run_for(fx->s, &g, 301000, JOB_FAILED);      /* le 600 */
	OK(store_begin(fx->s, &err));
	OK(metrics_count_run_times(fx->s, &err));
	OK(store_commit(fx->s, &err));
	h = histogram(fx->s);
	assert_int_equal(h.total, 2);
	assert_int_equal(h.sum_ms, 302000);
	assert_int_equal(h.le[0], 1);
	assert_int_equal(h.le[5], 1);
	assert_int_equal(h.le[6], 2);
	job_t *all[] = {&a, &b, &c, &d, &e, &f, &g};
	for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++)
		job_free(all[i]);
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, fx_setup, fx_teardown)
	const struct CMUnitTest tests[] = {
		T(test_counts_follow_the_worker),
		T(test_rolled_back_changes_are_not_counted),
		T(test_status_reads_the_counts),
		T(test_check_finds_and_vacuum_mends),
		T(test_move_via),
		T(test_cancelled_out_changes_write_nothing),
		T(test_run_times_are_counted_as_jobs_finish),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
