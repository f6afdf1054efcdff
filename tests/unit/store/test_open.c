/*
 * tests/unit/store/test_open.c: opening a store: the file and its
 * directories, permissions, pragmas, the store id, migrations, and the
 * errors for files that are not (our) stores.
 */
#include "helpers.h"

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "store/sqlite_driver.h"
#include "store/store_int.h"

static mode_t mode_of(const char *path)
{
	struct stat sb;
	assert_int_equal(stat(path, &sb), 0);
	return sb.st_mode & 07777;
}

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

/* store_open makes a store only in an existing directory; the making_dirs
 * form (the default path's) makes the missing ones, 0700. */
static void test_creates_file_and_parents(void **state)
{
	(void)state;
	char *dir = tmpdir_make(), *a = path_join(dir, "a"), *b = path_join(a, "b");
	char *path = path_join(b, "store.db"), *wal = path_join(b, "store.db-wal");
	char *err = NULL;
	mode_t old = umask(022);
	store_t *s = NULL;
	assert_int_equal(store_open(path, true, &s, &err), -1);
	assert_null(s);
	assert_non_null(strstr(err, "does not exist; create it first"));
	free(err);
	err = NULL;
	assert_int_equal(access(a, F_OK), -1);
	OK(store_open_making_dirs(path, true, &s, &err));
	umask(old);
	assert_int_equal(mode_of(path), 0600);
	assert_int_equal(mode_of(a), 0700);
	assert_int_equal(mode_of(b), 0700);
	assert_int_equal(mode_of(wal), 0600);
	assert_string_equal(store_path(s), path);
	assert_int_equal(strlen(store_id(s)), 36);
	store_close(s);
	tmpdir_remove(dir);
	free(dir), free(a), free(b), free(path), free(wal);
}

static void test_reopen_keeps_id(void **state)
{
	fixture_t *fx = *state;
	char *err = NULL, id[37];
	strcpy(id, store_id(fx->s));
	store_close(fx->s);
	fx->s = NULL;
	OK(store_open(fx->path, true, &fx->s, &err));
	assert_string_equal(store_id(fx->s), id);
	/* A second store has its own id. */
	char *other = path_join(fx->dir, "other.db");
	store_t *s2 = NULL;
	OK(store_open(other, true, &s2, &err));
	assert_string_not_equal(store_id(s2), id);
	store_close(s2);
	free(other);
}

static const char *pragma(sqlite3 *db, const char *sql, char *buf, size_t size)
{
	sqlite3_stmt *st = NULL;
	assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	snprintf(buf, size, "%s", (const char *)sqlite3_column_text(st, 0));
	sqlite3_finalize(st);
	return buf;
}

static void test_pragmas(void **state)
{
	fixture_t *fx = *state;
	sqlite3 *db = store_db(fx->s);
	char buf[64];
	assert_string_equal(pragma(db, "PRAGMA journal_mode", buf, sizeof(buf)), "wal");
	assert_string_equal(pragma(db, "PRAGMA foreign_keys", buf, sizeof(buf)), "1");
	assert_string_equal(pragma(db, "PRAGMA synchronous", buf, sizeof(buf)), "1");
}

/* Another process holds the write lock for a moment: the store waits for
 * it (its busy handler) instead of failing at once with "busy". */
static void test_waits_for_another_writer(void **state)
{
	fixture_t *fx = *state;
	int held[2];
	assert_int_equal(pipe(held), 0);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		sqlite3 *db = NULL;
		if (sqlite3_open(fx->path, &db) != SQLITE_OK ||
		    sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK)
			_exit(1);
		if (write(held[1], "x", 1) != 1)
			_exit(1);
		usleep(300 * 1000);
		sqlite3_exec(db, "COMMIT", NULL, NULL, NULL);
		sqlite3_close(db);
		_exit(0);
	}
	char c;
	assert_int_equal(read(held[0], &c, 1), 1);
	char *err = NULL;
	OK(store_begin(fx->s, &err));
	OK(store_commit(fx->s, &err));
	int status = 0;
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	close(held[0]);
	close(held[1]);
}

static void test_not_a_database(void **state)
{
	fixture_t *fx = *state;
	char *path = path_join(fx->dir, "notes.txt"), *err = NULL;
	write_file(path, "these are not the tables you are looking for, "
			 "padded well beyond one hundred bytes so that SQLite reads a "
			 "header and finds it wrong ......................................");
	store_t *s = NULL;
	assert_int_equal(store_open(path, true, &s, &err), -1);
	assert_null(s);
	assert_non_null(strstr(err, path));
	assert_err_contains(err, "not an SQLite database");
	free(path);
}

static void test_foreign_database(void **state)
{
	fixture_t *fx = *state;
	char *path = path_join(fx->dir, "theirs.db"), *err = NULL;
	sqlite3 *db = NULL;
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, "CREATE TABLE accounts (x)", NULL, NULL, NULL),
			 SQLITE_OK);
	sqlite3_close(db);
	store_t *s = NULL;
	assert_int_equal(store_open(path, true, &s, &err), -1);
	assert_non_null(strstr(err, path));
	assert_err_contains(err, "not a cjobs job store");
	free(path);
}

static void test_parent_is_a_file(void **state)
{
	fixture_t *fx = *state;
	char *file = path_join(fx->dir, "plain"), *path = path_join(file, "store.db");
	char *err = NULL;
	write_file(file, "x");
	store_t *s = NULL;
	assert_int_equal(store_open(path, true, &s, &err), -1);
	assert_err_contains(err, "cannot open job store");
	assert_int_equal(store_open(path, true, &s, &err), -1);
	assert_non_null(strstr(err, path));
	assert_err_contains(err, "not a directory");
	free(file);
	free(path);
}

/* As root every open succeeds, so the check runs as "nobody" in a child. */
static void test_permission_denied(void **state)
{
	fixture_t *fx = *state;
	char *locked = path_join(fx->dir, "locked"), *path = path_join(locked, "s.db");
	assert_int_equal(mkdir(locked, 0700), 0);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		if (geteuid() == 0 && (setgid(65534) != 0 || setuid(65534) != 0))
			_exit(2);
		if (access(locked, W_OK) == 0)
			_exit(3);   /* cannot arrange a denial here */
		store_t *s = NULL;
		char *err = NULL;
		if (store_open(path, true, &s, &err) != -1)
			_exit(4);
		char *want = NULL;
		if (asprintf(&want, "cannot open job store %s: permission denied", path) < 0)
			_exit(5);
		int ok = err && strcmp(err, want) == 0;
		if (!ok)
			fprintf(stderr, "got: %s\n", err ? err : "(null)");
		_exit(ok ? 0 : 6);
	}
	int status = 0;
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	if (WEXITSTATUS(status) == 3)
		skip();
	assert_int_equal(WEXITSTATUS(status), 0);
	free(locked);
	free(path);
}

static void test_migrate_later(void **state)
{
	fixture_t *fx = *state;
	char *path = path_join(fx->dir, "later.db"), *err = NULL;
	store_t *s = NULL;
	OK(store_open(path, false, &s, &err));
	assert_string_equal(store_id(s), "");
	int cur = -1, latest = -1;
	OK(store_schema_version(s, &cur, &latest, &err));
	assert_int_equal(cur, 0);
	assert_true(latest >= 1);
	char **names = NULL;
	OK(store_pending_migrations(s, &names, &err));
	assert_non_null(names[0]);
	assert_string_equal(names[0], "0001_initial_schema");
	strv_free(names);
	/* Nothing but migrating works on an unmigrated store, and it says so. */
	int64_t n = 0;
	assert_int_equal(store_host_count(s, &n, &err), -1);
	assert_err_contains(err, "cjobs db migrate");
	int applied = -1;
	OK(store_migrate(s, &applied, &err));
	assert_int_equal(applied, latest);
	assert_int_equal(strlen(store_id(s)), 36);
	OK(store_host_count(s, &n, &err));
	OK(store_pending_migrations(s, &names, &err));
	assert_null(names[0]);
	strv_free(names);
	store_close(s);
	free(path);
}

static void test_migrations_idempotent(void **state)
{
	fixture_t *fx = *state;
	char *err = NULL;
	int applied = -1, cur = 0, latest = 0;
	OK(store_migrate(fx->s, &applied, &err));
	assert_int_equal(applied, 0);
	store_close(fx->s);
	fx->s = NULL;
	OK(store_open(fx->path, true, &fx->s, &err));
	OK(store_migrate(fx->s, &applied, &err));
	assert_int_equal(applied, 0);
	OK(store_schema_version(fx->s, &cur, &latest, &err));
	assert_int_equal(cur, latest);
	char **names = NULL;
	OK(store_pending_migrations(fx->s, &names, &err));
	assert_null(names[0]);
	strv_free(names);
	/* One row per migration, once. */
	sqlite3_stmt *st = NULL;
	sqlite3_prepare_v2(store_db(fx->s), "SELECT count(*) FROM schema_migrations", -1,
			   &st, NULL);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	assert_int_equal(sqlite3_column_int(st, 0), latest);
	sqlite3_finalize(st);
}

static void test_newer_schema(void **state)
{
	fixture_t *fx = *state;
	char *err = NULL;
	assert_int_equal(sqlite3_exec(store_db(fx->s),
				      "INSERT INTO schema_migrations VALUES (999, 'future', 0)",
				      NULL, NULL, NULL),
			 SQLITE_OK);
	store_close(fx->s);
	fx->s = NULL;
	assert_int_equal(store_open(fx->path, true, &fx->s, &err), -1);
	assert_null(fx->s);
	assert_non_null(strstr(err, fx->path));
	assert_err_contains(err, "newer than this cjobs knows");
	assert_int_equal(store_open(fx->path, false, &fx->s, &err), -1);
	assert_err_contains(err, "999");
}

static void test_no_path(void **state)
{
	(void)state;
	char *err = NULL;
	store_t *s = NULL;
	assert_int_equal(store_open("", true, &s, &err), -1);
	assert_err_contains(err, "path");
}

/* A malformed name is refused by store_open itself, in one line that
 * hides the password, before any connection or file; a PostgreSQL store
 * that cannot be reached fails with what to do, and fails as well when the
 * caller wants no message. */
static void test_bad_names(void **state)
{
	(void)state;
	char *err = NULL;
	store_t *s = NULL;
	assert_int_equal(store_open("postgresql://u:hunter@2@h/db", true, &s, &err), -1);
	assert_null(s);
	assert_non_null(err);
	if (strstr(err, "hunter") || strstr(err, "2@h") || strchr(err, '\n'))
		fail_msg("the password shown, or more than one line: %s", err);
	assert_err_contains(err, "invalid --database \"postgresql://u:***@h/db\": the user name or "
				 "password holds an '@' or '/'");
	assert_int_equal(store_open("mysql://h/db", true, &s, &err), -1);
	assert_err_contains(err, "no store of the kind mysql://");
	struct stat st;
	assert_int_equal(stat("mysql:", &st), -1);
	const char *nowhere = "host=/nonexistent-cjobs-test-dir dbname=x";
	assert_int_equal(store_open(nowhere, true, &s, &err), -1);
	assert_null(s);
	assert_err_contains(err, "no server listens there");
	assert_int_equal(store_open(nowhere, true, &s, NULL), -1);
	assert_null(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bad_names),
		cmocka_unit_test(test_creates_file_and_parents),
		cmocka_unit_test_setup_teardown(test_reopen_keeps_id, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_pragmas, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_waits_for_another_writer, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_not_a_database, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_foreign_database, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_parent_is_a_file, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_permission_denied, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_migrate_later, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_migrations_idempotent, fx_setup,
						fx_teardown),
		cmocka_unit_test_setup_teardown(test_newer_schema, fx_setup, fx_teardown),
		cmocka_unit_test(test_no_path),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
