/*
 * tests/unit/store/test_rules.c: rules of the job store that the mutants of
 * tests/mutants/store.txt (and bugs planted by hand) showed no other test
 * checked: a savepoint's count changes join its transaction's; a
 * rolled-back transaction's are not written by the next commit; a new
 * store file is private whatever the umask; two processes that open a new
 * store at once apply each migration once; a store one schema version
 * newer is refused; a migration that fails half-way is rolled back whole;
 * each attempt's output is kept and read back by its number.
 *
 * Each test runs against real SQLite files in its own mkdtemp directory.
 */
#include "helpers.h"

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "store/report.h"
#include "store/sqlite_driver.h"
#include "store/store_int.h"

static int64_t status_count(store_t *s, job_status_t status)
{
	char *err = NULL;
	store_status_t st;
	OK(store_status(s, NULL, 1, &st, &err));
	int64_t n = st.counts[status];
	store_status_free(&st);
	return n;
}

/* A caller's transaction moves one job to running, a savepoint inside it
 * moves a second job of the same host to running and is released: both
 * moves are counted (the savepoint's +1 adds to the transaction's, it does
 * not replace it), and manage-jobs status shows two running jobs. */
static void test_savepoint_counts_join_the_transaction(void **state)
{
	fixture_t *fx = *state;
	char *err = NULL;
	add_job(fx->s, 0, NULL, 0);
	add_job(fx->s, 0, NULL, 0);
	add_job(fx->s, 0, NULL, 0);
	job_t a = claim_one(fx->s, "h"), b = claim_one(fx->s, "h"), c = claim_one(fx->s, "h");
	assert_int_equal(counted(fx->s, "h", "launching"), 3);
	OK(store_begin(fx->s, &err));
	OK(store_job_move(fx->s, &a, JOB_LAUNCHING, JOB_RUNNING, 0, "t", NULL, &err));
	OK(store_begin(fx->s, &err));
	OK(store_job_move(fx->s, &b, JOB_LAUNCHING, JOB_RUNNING, 0, "t", NULL, &err));
	OK(store_commit(fx->s, &err));
	/* A second savepoint, released too: three notes on the same pair. */
	OK(store_begin(fx->s, &err));
	OK(store_job_move(fx->s, &c, JOB_LAUNCHING, JOB_RUNNING, 0, "t", NULL, &err));
	OK(store_commit(fx->s, &err));
	OK(store_commit(fx->s, &err));
	assert_int_equal(counted(fx->s, "h", "running"), 3);
	assert_int_equal(counted(fx->s, "h", "launching"), 0);
	assert_int_equal(status_count(fx->s, JOB_RUNNING), 3);
	assert_int_equal(status_count(fx->s, JOB_LAUNCHING), 0);
	job_free(&a);
	job_free(&b);
	job_free(&c);
}

/* A transaction rolled back takes its count changes with it also for what
 * comes after: the next commit writes only its own moves. */
static void test_rolled_back_counts_not_written_later(void **state)
{
	fixture_t *fx = *state;
	char *err = NULL;
	add_job(fx->s, 0, NULL, 0);
	add_job(fx->s, 0, NULL, 0);
	job_t a = claim_one(fx->s, "h"), b = claim_one(fx->s, "h");
	OK(store_begin(fx->s, &err));
	OK(store_job_move(fx->s, &a, JOB_LAUNCHING, JOB_RUNNING, 0, "t", NULL, &err));
	store_rollback(fx->s);
	OK(store_job_move(fx->s, &b, JOB_LAUNCHING, JOB_RUNNING, 0, "t", NULL, &err));
	assert_int_equal(counted(fx->s, "h", "running"), 1);
	assert_int_equal(counted(fx->s, "h", "launching"), 1);
	assert_int_equal(status_count(fx->s, JOB_RUNNING), 1);
	assert_int_equal(status_count(fx->s, JOB_LAUNCHING), 1);
	job_free(&a);
	job_free(&b);
}

static mode_t mode_of(const char *path)
{
	struct stat sb;
	assert_int_equal(stat(path, &sb), 0);
	return sb.st_mode & 07777;
}

/* The common case: the store's directory exists already. The file (and
 * SQLite's log beside it) is 0600 under a umask that would make it 0644,
 * and under none at all. */
static void test_new_store_file_is_private(void **state)
{
	(void)state;
	char *dir = tmpdir_make();
	assert_non_null(dir);
	static const mode_t masks[] = {022, 0};
	for (size_t i = 0; i < sizeof(masks) / sizeof(masks[0]); i++) {
		char name[32];
		snprintf(name, sizeof(name), "store%zu.db", i);
		char *path = path_join(dir, name), *wal = NULL, *err = NULL;
		assert_true(asprintf(&wal, "%s-wal", path) > 0);
		mode_t old = umask(masks[i]);
		store_t *s = NULL;
		int rc = store_open(path, true, &s, &err);
		umask(old);
		OK(rc);
		assert_int_equal(mode_of(path), 0600);
		assert_int_equal(mode_of(wal), 0600);
		store_close(s);
		free(path);
		free(wal);
	}
	tmpdir_remove(dir);
	free(dir);
}

/* Rows of schema_migrations, read through a connection of its own; the
 * test fails if a version is recorded twice. */
static int64_t migration_rows(const char *path)
{
	store_t *s = NULL;
	char *err = NULL;
	int64_t rows = -1, versions = -2;
	OK(store_open(path, false, &s, &err));
	OK(query_count(s, "SELECT count(*) FROM schema_migrations", NULL, &rows, &err));
	OK(query_count(s, "SELECT count(DISTINCT version) FROM schema_migrations", NULL,
		       &versions, &err));
	assert_int_equal(rows, versions);
	store_close(s);
	return rows;
}

/* Two processes open a new store at once: both read version 0, one
 * migrates, then the other migrates what it still thinks is pending. It
 * reads the version again under the write lock and applies nothing: no
 * error, every migration recorded once, and both see the same store id. */
static void test_two_openers_migrate_once(void **state)
{
	(void)state;
	char *dir = tmpdir_make(), *path = test_store_name(dir), *err = NULL;
	store_t *first = NULL, *second = NULL;
	OK(store_open(path, false, &first, &err));
	OK(store_open(path, false, &second, &err));
	int applied = -1, latest = 0, cur = -1;
	OK(store_migrate(second, &applied, &err));
	OK(store_schema_version(second, &cur, &latest, &err));
	assert_int_equal(applied, latest);
	OK(store_migrate(first, &applied, &err));
	assert_int_equal(applied, 0);
	assert_string_equal(store_id(first), store_id(second));
	assert_int_equal(migration_rows(path), latest);
	/* And the store works through the handle that lost the race. */
	add_job(first, 0, NULL, 0);
	store_close(first);
	store_close(second);
	test_store_drop(path);
	tmpdir_remove(dir);
	free(dir);
	free(path);
}

/* A store one schema version ahead of this cjobs (the smallest step a
 * newer release takes) is refused at open, with or without migrating, and
 * the message names both versions; it is not opened to fail later. */
static void test_store_one_version_newer_refused(void **state)
{
	fixture_t *fx = *state;
	char *err = NULL, *sql = NULL, want[128];
	int latest = migrations_latest(fx->s);
	assert_true(asprintf(&sql, "INSERT INTO schema_migrations VALUES (%d, 'next', 0)",
			     latest + 1) > 0);
	raw_exec(fx->path, sql);
	free(sql);
	store_close(fx->s);
	fx->s = NULL;
	char *before = db_fingerprint(fx->path);
	snprintf(want, sizeof(want), "its schema version %d is newer than this cjobs knows (%d)",
		 latest + 1, latest);
	assert_int_equal(store_open(fx->path, true, &fx->s, &err), -1);
	assert_null(fx->s);
	assert_err_contains(err, want);
	assert_int_equal(store_open(fx->path, false, &fx->s, &err), -1);
	assert_null(fx->s);
	assert_err_contains(err, want);
	/* Refused, not half-migrated: the file is as it was. */
	char *after = db_fingerprint(fx->path);
	assert_string_equal(before, after);
	free(before);
	free(after);
}

/* db migrate: "a migration that fails is rolled back whole and the store
 * stays at the version before it". A store whose migration 3 will fail
 * half-way (its table is created, then one of its triggers already exists):
 * migrating fails naming that migration, its table is gone again, the
 * version stays 2, and the later migrations are not applied. */
static void test_failed_migration_rolled_back_whole(void **state)
{
	fixture_t *fx = *state;
	char *err = NULL;
	assert_int_equal(sqlite3_exec(store_db(fx->s),
				      "DELETE FROM schema_migrations WHERE version >= 3;"
				      "DROP TABLE job_counts;",
				      NULL, NULL, NULL),
			 SQLITE_OK);
	store_close(fx->s);
	fx->s = NULL;
	OK(store_open(fx->path, false, &fx->s, &err));
	char *before = db_fingerprint(fx->path);
	int applied = -1, cur = -1;
	assert_int_equal(store_migrate(fx->s, &applied, &err), -1);
	assert_err_contains(err, "cannot apply migration 0003_job_counts_and_done_index");
	char *after = db_fingerprint(fx->path);
	assert_string_equal(before, after);
	free(before);
	free(after);
	OK(store_schema_version(fx->s, &cur, NULL, &err));
	assert_int_equal(cur, 2);
	int64_t n = -1;
	OK(query_count(fx->s, "SELECT count(*) FROM sqlite_master WHERE name = 'job_counts'",
		       NULL, &n, &err));
	assert_int_equal(n, 0);
}

static void put_text(store_t *s, int64_t id, int attempt, job_stream_t stream, const char *text)
{
	char *err = NULL;
	job_output_t o = {.data = (char *)text, .len = strlen(text),
			  .total_bytes = (int64_t)strlen(text)};
	OK(store_output_put(s, id, attempt, stream, &o, &err));
}

static void expect_text(store_t *s, int64_t id, int attempt, job_stream_t stream,
			const char *want)
{
	char *err = NULL;
	job_output_t got;
	OK(store_output_get(s, id, attempt, stream, &got, &err));
	assert_int_equal(got.len, strlen(want));
	assert_memory_equal(got.data, want, got.len);
	job_output_free(&got);
}

/* job logs --attempt N: a retried job's earlier attempts keep their own
 * output; N picks that attempt's, 0 the latest one's. */
static void test_each_attempts_output_kept(void **state)
{
	fixture_t *fx = *state;
	int64_t id = add_job(fx->s, 0, NULL, 0);
	put_text(fx->s, id, 1, JOB_STDOUT, "first try");
	put_text(fx->s, id, 1, JOB_STDERR, "first error");
	put_text(fx->s, id, 2, JOB_STDOUT, "second try");
	put_text(fx->s, id, 2, JOB_STDERR, "second error");
	put_text(fx->s, id, 3, JOB_STDOUT, "third try");
	expect_text(fx->s, id, 1, JOB_STDOUT, "first try");
	expect_text(fx->s, id, 2, JOB_STDOUT, "second try");
	expect_text(fx->s, id, 3, JOB_STDOUT, "third try");
	expect_text(fx->s, id, 1, JOB_STDERR, "first error");
	expect_text(fx->s, id, 2, JOB_STDERR, "second error");
	expect_text(fx->s, id, 0, JOB_STDOUT, "third try");
	/* The latest attempt wrote nothing to stderr: none, not attempt 2's. */
	char *err = NULL;
	job_output_t got;
	assert_int_equal(store_output_get(fx->s, id, 0, JOB_STDERR, &got, &err), 1);
	assert_null(err);
	assert_int_equal(store_output_get(fx->s, id, 3, JOB_STDERR, &got, &err), 1);
	assert_null(err);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_savepoint_counts_join_the_transaction, fx_setup,
						fx_teardown),
		cmocka_unit_test_setup_teardown(test_rolled_back_counts_not_written_later, fx_setup,
						fx_teardown),
		cmocka_unit_test(test_two_openers_migrate_once),
		cmocka_unit_test_setup_teardown(test_store_one_version_newer_refused, fx_setup,
						fx_teardown),
		cmocka_unit_test_setup_teardown(test_each_attempts_output_kept, fx_setup,
						fx_teardown),
	};
	/* SQLite's own: its file's mode, and its migration 3. */
	const struct CMUnitTest sqlite_tests[] = {
		cmocka_unit_test(test_new_store_file_is_private),
		cmocka_unit_test_setup_teardown(test_failed_migration_rolled_back_whole, fx_setup,
						fx_teardown),
	};
	int failed = cmocka_run_group_tests(tests, NULL, NULL);
	if (!test_on_pg())
		failed += cmocka_run_group_tests_name("sqlite", sqlite_tests, NULL, NULL);
	return failed;
}
