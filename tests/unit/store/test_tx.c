/*
 * tests/unit/store/test_tx.c: caller transactions: nesting, rollback at
 * each level, a failed write inside a caller's transaction undoing only
 * itself, and what other connections see meanwhile.
 */
#include "helpers.h"

#include "store/report.h"
#include "store/store_int.h"

#include <poll.h>
#include <stdlib.h>
#include <string.h>

static bool has_host(store_t *s, const char *name)
{
	char *err = NULL;
	host_t h;
	int rc = store_host_get(s, name, &h, &err);
	assert_true(rc == 0 || rc == 1);
	host_free(&h);
	return rc == 0;
}

static void test_nested_commit(void **state)
{
	fixture_t *fx = *state;
	char *err = NULL;
	char *before = db_fingerprint(fx->path);
	OK(store_begin(fx->s, &err));
	add_sample_host(fx->s, "a", 0);
	OK(store_begin(fx->s, &err));
	add_sample_host(fx->s, "b", 0);
	OK(store_commit(fx->s, &err));
	/* Not visible to other connections until the outermost commit. */
	char *during = db_fingerprint(fx->path);
	assert_string_equal(before, during);
	OK(store_commit(fx->s, &err));
	assert_true(has_host(fx->s, "a"));
	assert_true(has_host(fx->s, "b"));
	char *after = db_fingerprint(fx->path);
	assert_string_not_equal(before, after);
	free(before);
	free(during);
	free(after);
}

static void test_outer_rollback_undoes_all(void **state)
{
	fixture_t *fx = *state;
	char *err = NULL;
	char *before = db_fingerprint(fx->path);
	OK(store_begin(fx->s, &err));
	add_sample_host(fx->s, "a", 0);
	add_job(fx->s, 0, "a", 0);
	OK(store_begin(fx->s, &err));
	add_sample_host(fx->s, "b", 0);
	OK(store_commit(fx->s, &err));
	store_rollback(fx->s);
	assert_false(has_host(fx->s, "a"));
	assert_false(has_host(fx->s, "b"));
	char *after = db_fingerprint(fx->path);
	assert_string_equal(before, after);
	free(before);
	free(after);
}

static void test_inner_rollback_only(void **state)
{
	fixture_t *fx = *state;
	char *err = NULL;
	OK(store_begin(fx->s, &err));
	add_sample_host(fx->s, "keep", 0);
	OK(store_begin(fx->s, &err));
	add_sample_host(fx->s, "drop", 0);
	store_rollback(fx->s);
	OK(store_commit(fx->s, &err));
	assert_true(has_host(fx->s, "keep"));
	assert_false(has_host(fx->s, "drop"));
}

/* A failed call inside a caller's transaction undoes only itself; the
 * caller may go on and commit the rest. */
static void test_failed_write_inside_transaction(void **state)
{
	fixture_t *fx = *state;
	char *err = NULL;
	int64_t id = add_job(fx->s, 0, NULL, 0);
	OK(store_begin(fx->s, &err));
	add_sample_host(fx->s, "a", 0);
	host_t dup;
	sample_host(&dup, "a");
	assert_int_equal(store_host_add(fx->s, &dup, &err), -1);
	assert_err_contains(err, "already exists");
	host_free(&dup);
	job_t j;
	OK(store_job_get(fx->s, id, &j, &err));
	assert_int_equal(store_job_move(fx->s, &j, JOB_COMPLETED, JOB_QUEUED, 0, "t", NULL,
					&err),
			 -1);
	assert_err_contains(err, "cannot move");
	assert_int_equal(store_job_move(fx->s, &j, JOB_RUNNING, JOB_FAILED, 0, "t", NULL, &err),
			 1);
	OK(store_job_move(fx->s, &j, JOB_QUEUED, JOB_CANCELLED, 0, "t", NULL, &err));
	add_sample_host(fx->s, "b", 0);
	OK(store_commit(fx->s, &err));
	int64_t n = 0;
	OK(store_host_count(fx->s, &n, &err));
	assert_int_equal(n, 2);
	job_free(&j);
	OK(store_job_get(fx->s, id, &j, &err));
	assert_int_equal(j.status, JOB_CANCELLED);
	job_free(&j);
}

/* Writes of one statement open no savepoint inside a caller's transaction;
 * one that fails still undoes only itself, and the caller commits the rest
 * (what the worker's batch of engine answers relies on). */
static void test_failed_single_write_inside_transaction(void **state)
{
	fixture_t *fx = *state;
	char *err = NULL;
	int64_t id = add_job(fx->s, 0, NULL, 0);
	job_t j;
	OK(store_job_get(fx->s, id, &j, &err));
	OK(store_begin(fx->s, &err));
	add_sample_host(fx->s, "a", 0);
	job_output_t o = {.data = (char *)"hello", .len = 5, .total_bytes = 5};
	OK(store_output_put(fx->s, id, 1, JOB_STDOUT, &o, &err));
	/* A job that does not exist: the output and the update both fail. */
	assert_int_equal(store_output_put(fx->s, id + 100, 1, JOB_STDOUT, &o, &err), -1);
	assert_err_contains(err, "does not exist");
	free(err);
	err = NULL;
	job_t ghost;
	OK(store_job_get(fx->s, id, &ghost, &err));
	ghost.id = id + 100;
	assert_int_equal(store_job_update(fx->s, &ghost, JOB_SET_LAST_ERROR, &err), -1);
	assert_err_contains(err, "does not exist");
	free(err);
	err = NULL;
	job_free(&ghost);
	free(j.last_error);
	j.last_error = strdup("kept");
	OK(store_job_update(fx->s, &j, JOB_SET_LAST_ERROR, &err));
	OK(store_commit(fx->s, &err));
	assert_true(has_host(fx->s, "a"));
	job_output_t got;
	OK(store_output_get(fx->s, id, 1, JOB_STDOUT, &got, &err));
	assert_int_equal(got.len, 5);
	job_output_free(&got);
	job_free(&j);
	OK(store_job_get(fx->s, id, &j, &err));
	assert_string_equal(j.last_error, "kept");
	job_free(&j);
}

/* Levels deeper than the savepoints a store holds back (16), levels that
 * ran nothing, and a rollback of a middle level after inner ones were
 * committed: each level keeps or undoes exactly its own writes. */
static void test_deep_levels(void **state)
{
	fixture_t *fx = *state;
	char *err = NULL;
	enum { DEPTH = 20 };
	OK(store_begin(fx->s, &err));
	add_sample_host(fx->s, "outer", 0);
	for (int i = 2; i <= DEPTH; i++)
		OK(store_begin(fx->s, &err));
	add_sample_host(fx->s, "deepest", 0);
	for (int i = DEPTH; i > 10; i--)
		OK(store_commit(fx->s, &err));
	add_sample_host(fx->s, "level10", 0);
	/* Two levels that run nothing, one kept and one undone. */
	OK(store_begin(fx->s, &err));
	OK(store_commit(fx->s, &err));
	OK(store_begin(fx->s, &err));
	store_rollback(fx->s);
	OK(store_commit(fx->s, &err));  /* level 10 */
	OK(store_begin(fx->s, &err));   /* level 10 again */
	add_sample_host(fx->s, "undone", 0);
	OK(store_begin(fx->s, &err));
	add_sample_host(fx->s, "undone-inner", 0);
	OK(store_commit(fx->s, &err));
	store_rollback(fx->s);
	add_sample_host(fx->s, "level9", 0);
	for (int i = 9; i >= 1; i--)
		OK(store_commit(fx->s, &err));
	assert_true(has_host(fx->s, "outer"));
	assert_true(has_host(fx->s, "deepest"));
	assert_true(has_host(fx->s, "level10"));
	assert_true(has_host(fx->s, "level9"));
	assert_false(has_host(fx->s, "undone"));
	assert_false(has_host(fx->s, "undone-inner"));
	int64_t n = 0;
	OK(store_host_count(fx->s, &n, &err));
	assert_int_equal(n, 4);

	/* A middle level undone takes the inner levels committed into it. */
	OK(store_begin(fx->s, &err));
	OK(store_begin(fx->s, &err));
	for (int i = 3; i <= DEPTH; i++)
		OK(store_begin(fx->s, &err));
	add_sample_host(fx->s, "gone", 0);
	for (int i = DEPTH; i > 2; i--)
		OK(store_commit(fx->s, &err));
	store_rollback(fx->s);
	add_sample_host(fx->s, "after", 0);
	OK(store_commit(fx->s, &err));
	assert_false(has_host(fx->s, "gone"));
	assert_true(has_host(fx->s, "after"));

	/* Writes at every level, the inner two committed one after the other
	 * (their releases both held back), then the second level undone: it
	 * takes all three levels' writes, not only those after the last
	 * savepoint. */
	OK(store_begin(fx->s, &err));
	OK(store_begin(fx->s, &err));
	add_sample_host(fx->s, "l2", 0);
	OK(store_begin(fx->s, &err));
	add_sample_host(fx->s, "l3", 0);
	OK(store_begin(fx->s, &err));
	add_sample_host(fx->s, "l4", 0);
	OK(store_commit(fx->s, &err));
	OK(store_commit(fx->s, &err));
	add_sample_host(fx->s, "l2-again", 0);
	store_rollback(fx->s);
	OK(store_commit(fx->s, &err));
	assert_false(has_host(fx->s, "l2"));
	assert_false(has_host(fx->s, "l3"));
	assert_false(has_host(fx->s, "l4"));
	assert_false(has_host(fx->s, "l2-again"));
	OK(store_host_count(fx->s, &n, &err));
	assert_int_equal(n, 5);
}

static void test_unbalanced_calls(void **state)
{
	fixture_t *fx = *state;
	char *err = NULL;
	assert_int_equal(store_commit(fx->s, &err), -1);
	assert_err_contains(err, "without a transaction");
	store_rollback(fx->s);   /* nothing open: nothing happens */
	add_sample_host(fx->s, "still-works", 0);
	assert_true(has_host(fx->s, "still-works"));
}

static void test_close_rolls_back(void **state)
{
	fixture_t *fx = *state;
	char *err = NULL;
	OK(store_begin(fx->s, &err));
	OK(store_begin(fx->s, &err));
	add_sample_host(fx->s, "never", 0);
	store_close(fx->s);
	fx->s = NULL;
	OK(store_open(fx->path, true, &fx->s, &err));
	assert_false(has_host(fx->s, "never"));
}

/* A second handle on the same file sees only committed data, and can read
 * while the first holds the write lock. */
static void test_second_handle_reads_committed(void **state)
{
	fixture_t *fx = *state;
	char *err = NULL;
	store_t *other = NULL;
	OK(store_open(fx->path, true, &other, &err));
	assert_string_equal(store_id(other), store_id(fx->s));
	add_sample_host(fx->s, "one", 0);
	OK(store_begin(fx->s, &err));
	add_sample_host(fx->s, "two", 0);
	int64_t n = 0;
	OK(store_host_count(other, &n, &err));
	assert_int_equal(n, 1);
	OK(store_commit(fx->s, &err));
	OK(store_host_count(other, &n, &err));
	assert_int_equal(n, 2);
	store_close(other);
}

/* A read snapshot (store_read_begin) holds across the store's own calls
 * inside it: another handle's commit in between is not seen until the read
 * ends. (The calls' check for an abandoned transaction once rolled the
 * snapshot back, so `job show` could read a job's row and its history from
 * two different commits.) */
static void test_read_snapshot_holds(void **state)
{
	fixture_t *fx = *state;
	char *err = NULL;
	store_t *other = NULL;
	OK(store_open(fx->path, true, &other, &err));
	int64_t id = add_job(fx->s, 0, NULL, 0);
	bool own = false;
	OK(store_read_begin(fx->s, &own, &err));
	assert_true(own);
	job_t j;
	job_init(&j);
	OK(store_job_get(fx->s, id, &j, &err));
	assert_int_equal(j.status, JOB_QUEUED);
	OK(store_job_move(other, &j, JOB_QUEUED, JOB_CANCELLED, 0, "test", "cancelled", &err));
	job_free(&j);
	job_init(&j);
	OK(store_job_get(fx->s, id, &j, &err));
	assert_int_equal(j.status, JOB_QUEUED);
	store_read_end(fx->s, own);
	job_free(&j);
	job_init(&j);
	OK(store_job_get(fx->s, id, &j, &err));
	assert_int_equal(j.status, JOB_CANCELLED);
	job_free(&j);
	store_close(other);
}

/* A deferred transaction holds no lock and sends nothing until its first
 * statement: another handle writes meanwhile (it would wait for the write
 * lock, then fail as busy, if the BEGIN had gone out), and an empty one
 * commits and rolls back to nothing. With statements inside, it is a
 * transaction like any other: invisible to others until it commits, all
 * undone by a rollback, nested levels as usual. */
static void test_deferred_begin(void **state)
{
	fixture_t *fx = *state;
	char *err = NULL;
	store_t *other = NULL;
	OK(store_open(fx->path, true, &other, &err));
	OK(store_begin_deferred(fx->s, &err));
	add_sample_host(other, "beside", 0);
	OK(store_commit(fx->s, &err));
	OK(store_begin_deferred(fx->s, &err));
	add_sample_host(other, "beside2", 0);
	store_rollback(fx->s);
	assert_true(has_host(fx->s, "beside"));
	assert_true(has_host(fx->s, "beside2"));

	OK(store_begin_deferred(fx->s, &err));
	add_sample_host(fx->s, "a", 0);
	OK(store_begin(fx->s, &err));
	add_sample_host(fx->s, "b", 0);
	OK(store_commit(fx->s, &err));
	assert_false(has_host(other, "a"));
	store_rollback(fx->s);
	assert_false(has_host(fx->s, "a"));
	assert_false(has_host(fx->s, "b"));

	OK(store_begin_deferred(fx->s, &err));
	OK(store_begin_deferred(fx->s, &err));  /* inside one: a plain nested level */
	add_sample_host(fx->s, "c", 0);
	store_rollback(fx->s);
	add_sample_host(fx->s, "d", 0);
	assert_false(has_host(other, "d"));
	OK(store_commit(fx->s, &err));
	assert_false(has_host(other, "c"));
	assert_true(has_host(other, "d"));
	store_close(other);
}

/* Recording transactions (a worker's turn): a claim inside one is
 * refused on every store; on PostgreSQL two recorders hold the write lock
 * together (each writes while the other is open), a claim runs beside
 * them, claims take turns among themselves, and a writer of any other kind
 * waits until they are done (here: gives up as busy). */
static void test_recording_transactions(void **state)
{
	fixture_t *fx = *state;
	char *err = NULL;
	int64_t a = add_job(fx->s, 0, NULL, 0), b = add_job(fx->s, 0, NULL, 0);
	job_output_t o = {.data = (char *)"x", .len = 1, .total_bytes = 1};

	OK(store_begin_recording(fx->s, &err));
	OK(store_output_put(fx->s, a, 1, JOB_STDOUT, &o, &err));
	job_t *got = NULL;
	size_t n = 0;
	assert_int_equal(store_job_claim(fx->s, "w", 9, NULL, NULL, 1, &got, &n, &err), -1);
	assert_err_contains(err, "inside a recording transaction");
	store_claim_host_t h = {.name = "h1", .weight = 1};
	size_t picked = 0;
	assert_int_equal(
		store_job_claim_spread(fx->s, "w", 9, &h, 1, &got, &n, &picked, &err), -1);
	assert_err_contains(err, "inside a recording transaction");
	OK(store_commit(fx->s, &err));
	/* Over: a claim goes through again. */
	OK(store_job_claim(fx->s, "w", 9, NULL, NULL, 1, &got, &n, &err));
	assert_int_equal(n, 1);
	store_job_list_free(got, n);
	if (!test_on_pg())
		return;

	store_t *other = NULL, *third = NULL;
	OK(store_open(fx->path, true, &other, &err));
	OK(store_open(fx->path, true, &third, &err));
	OK(store_begin_recording(fx->s, &err));
	OK(store_output_put(fx->s, a, 2, JOB_STDOUT, &o, &err));
	OK(store_begin_recording(other, &err));
	OK(store_output_put(other, b, 2, JOB_STDOUT, &o, &err));
	int64_t shared = 0;
	/* pg_locks is the whole server's: only this test's database counts
	 * (other tests of the run record on the same server meanwhile). */
	OK(query_count(third, "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' "
			      "AND mode = 'ShareLock' AND granted AND database = "
			      "(SELECT oid FROM pg_database WHERE datname = current_database())",
		       NULL, &shared, &err));
	assert_int_equal(shared, 2);
	host_t x;
	sample_host(&x, "beside-recorders");
	assert_int_equal(store_host_add(third, &x, &err), -1);
	assert_err_contains(err, "busy");
	host_free(&x);
	/* A claim runs beside them (this one finds the job b, not yet
	 * claimed). */
	OK(store_job_claim(third, "w3", 9, NULL, NULL, 1, &got, &n, &err));
	assert_int_equal(n, 1);
	assert_int_equal(got[0].id, b);
	store_job_list_free(got, n);
	OK(store_commit(other, &err));
	OK(store_commit(fx->s, &err));
	/* Claims take turns: a second waits for the first (gives up as busy
	 * here), and goes through once it is done. */
	OK(store_begin_claim(fx->s, &err));
	assert_int_equal(store_begin_claim(other, &err), -1);
	assert_err_contains(err, "busy");
	OK(store_commit(fx->s, &err));
	OK(store_begin_claim(other, &err));
	OK(store_commit(other, &err));
	add_sample_host(third, "after-recorders", 0);
	job_output_t back;
	OK(store_output_get(third, a, 2, JOB_STDOUT, &back, &err));
	job_output_free(&back);
	OK(store_output_get(third, b, 2, JOB_STDOUT, &back, &err));
	job_output_free(&back);
	store_close(other);
	store_close(third);
}

/* In a worker's turn the output of a job it has just moved is written
 * with the move (on PostgreSQL it goes with the next statement, its row
 * being locked); output for a job that is gone still fails at once and
 * alone, and the turn commits the rest. */
static void test_output_after_move_in_a_turn(void **state)
{
	fixture_t *fx = *state;
	char *err = NULL;
	int64_t a = add_job(fx->s, 0, NULL, 0);
	job_t *c = NULL;
	size_t n = 0;
	OK(store_job_claim(fx->s, "w", 9, NULL, NULL, 1, &c, &n, &err));
	assert_int_equal(n, 1);
	assert_int_equal(c[0].id, a);
	job_output_t out = {.data = (char *)"out", .len = 3, .total_bytes = 3};
	job_output_t errs = {.data = (char *)"e", .len = 1, .total_bytes = 1};
	OK(store_begin_recording(fx->s, &err));
	OK(store_job_move(fx->s, &c[0], JOB_LAUNCHING, JOB_RUNNING, 0, "w", NULL, &err));
	OK(store_output_put_both(fx->s, a, 1, &out, &errs, &err));
	assert_int_equal(store_output_put_both(fx->s, a + 1000, 1, &out, &errs, &err), -1);
	assert_err_contains(err, "does not exist");
	add_sample_host(fx->s, "after", 0);
	OK(store_commit(fx->s, &err));
	store_job_list_free(c, n);
	job_t j;
	OK(store_job_get(fx->s, a, &j, &err));
	assert_int_equal(j.status, JOB_RUNNING);
	job_free(&j);
	job_output_t got;
	OK(store_output_get(fx->s, a, 1, JOB_STDOUT, &got, &err));
	assert_int_equal(got.len, 3);
	job_output_free(&got);
	OK(store_output_get(fx->s, a, 1, JOB_STDERR, &got, &err));
	assert_int_equal(got.len, 1);
	job_output_free(&got);
	assert_true(has_host(fx->s, "after"));
}

/* Job id's history has `rows` rows (its creation's first), the last one
 * from -> to; and the counts the store keeps by status (manage-jobs
 * status) say one job, in status to. */
static void assert_last_move(store_t *s, int64_t id, size_t rows, job_status_t from,
			     job_status_t to)
{
	char *err = NULL;
	job_event_t *ev = NULL;
	size_t n = 0;
	OK(store_history(s, id, &ev, &n, &err));
	assert_int_equal(n, rows);
	assert_int_equal(ev[n - 1].from, from);
	assert_int_equal(ev[n - 1].to, to);
	store_history_free(ev, n);
	store_status_t st;
	OK(store_status(s, NULL, 0, &st, &err));
	for (int i = 0; i < JOB_STATUS_COUNT; i++)
		assert_int_equal(st.counts[i], i == (int)to);
	store_status_free(&st);
}

/* A write whose result nobody reads (a history row, a count, the output
 * of the job the transaction moved) may wait on PostgreSQL to go with the
 * next statement, but it belongs to its transaction: the commit takes it
 * in even when it is the last thing written, and a rollback takes it
 * away, so that it never goes in with the transaction after, in place of
 * that one's own. Only statements already prepared on the connection
 * wait, with the same kinds of values: the job is added by another handle
 * (a creation row has no "from"), and each write runs once first. */
static void test_held_writes_go_with_their_transaction(void **state)
{
	fixture_t *fx = *state;
	char *err = NULL;
	store_t *other = NULL;
	OK(store_open(fx->path, false, &other, &err));
	int64_t a = add_job(other, 0, NULL, 0);
	store_close(other);
	job_t *c = NULL;
	size_t n = 0;
	OK(store_job_claim(fx->s, "w", 9, NULL, NULL, 1, &c, &n, &err));
	assert_int_equal(n, 1);
	job_output_t kept = {.data = (char *)"kept", .len = 4, .total_bytes = 4};
	job_output_t undone = {.data = (char *)"undone", .len = 6, .total_bytes = 6};
	OK(store_output_put(fx->s, a, 1, JOB_STDOUT, &kept, &err));

	/* The move's history row and counts are the last writes. */
	OK(store_begin_recording(fx->s, &err));
	OK(store_job_move(fx->s, &c[0], JOB_LAUNCHING, JOB_RUNNING, 0, "w", NULL, &err));
	OK(store_commit(fx->s, &err));
	assert_last_move(fx->s, a, 3, JOB_LAUNCHING, JOB_RUNNING);

	OK(store_begin_recording(fx->s, &err));
	OK(store_job_move(fx->s, &c[0], JOB_RUNNING, JOB_COMPLETED, 0, "w", NULL, &err));
	OK(store_output_put(fx->s, a, 1, JOB_STDOUT, &undone, &err));
	store_rollback(fx->s);

	/* A move in a transaction of its own. */
	OK(store_job_move(fx->s, &c[0], JOB_RUNNING, JOB_FAILED, 0, "w", NULL, &err));
	store_job_list_free(c, n);
	assert_last_move(fx->s, a, 4, JOB_RUNNING, JOB_FAILED);
	job_output_t got;
	OK(store_output_get(fx->s, a, 1, JOB_STDOUT, &got, &err));
	assert_int_equal(got.len, 4);
	assert_memory_equal(got.data, "kept", 4);
	job_output_free(&got);
}

/* Another handle's commit is seen by store_changed even when a statement
 * of the watching handle ran in between (on PostgreSQL the statement's
 * round trip reads the notification off the socket, which then stays
 * quiet: the worker asks store_changed before it waits, for this), and it
 * is seen once. */
static void test_changed_after_own_statement(void **state)
{
	fixture_t *fx = *state;
	char *err = NULL;
	store_t *other = NULL;
	OK(store_open(fx->path, true, &other, &err));
	int fd = -1;
	OK(store_watch(fx->s, &fd, &err));
	assert_true(fd >= 0);
	while (store_changed(fx->s))
		;
	add_sample_host(fx->s, "mine", 0);
	while (store_changed(fx->s))
		;
	add_job(other, 0, NULL, 0);  /* a job's status changed: PostgreSQL notifies */
	/* SQLite's watch is the directory's: wait for its event to arrive;
	 * PostgreSQL's notification is sent with the commit. */
	if (!test_on_pg()) {
		struct pollfd p = {.fd = fd, .events = POLLIN};
		assert_int_equal(poll(&p, 1, 10000), 1);
	}
	int64_t n = 0;
	OK(store_host_count(fx->s, &n, &err));
	assert_int_equal(n, 1);
	if (test_on_pg()) {
		/* The statement's round trip has read the notification: the
		 * socket is quiet now. */
		struct pollfd p = {.fd = fd, .events = POLLIN};
		assert_int_equal(poll(&p, 1, 0), 0);
	}
	assert_true(store_changed(fx->s));
	assert_false(store_changed(fx->s));
	store_close(other);
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, fx_setup, fx_teardown)
	const struct CMUnitTest tests[] = {
		T(test_nested_commit),
		T(test_outer_rollback_undoes_all),
		T(test_inner_rollback_only),
		T(test_deep_levels),
		T(test_failed_write_inside_transaction),
		T(test_failed_single_write_inside_transaction),
		T(test_unbalanced_calls),
		T(test_close_rolls_back),
		T(test_second_handle_reads_committed),
		T(test_read_snapshot_holds),
		T(test_deferred_begin),
		T(test_recording_transactions),
		T(test_output_after_move_in_a_turn),
		T(test_held_writes_go_with_their_transaction),
		T(test_changed_after_own_statement),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
