/*
 * tests/unit/store/test_edges.c: edges of the store's readers and
 * maintenance calls that the command-line tests do not reach:
 *
 * - store_status: the soonest start time still to come is the smallest
 *   over every host, whatever order the hosts are read in; with a host,
 *   the jobs pinned to it and the queued ones that last ran on it count,
 *   another host's do not.
 * - store_backup and store_vacuum refuse inside a transaction; a backup
 *   refuses the store itself, a directory, and an existing file unless
 *   told to overwrite it, and then replaces it with a complete copy; on
 *   PostgreSQL too it refuses a directory and an existing file. The move
 *   of the copy into place (backup_file.c) when the copy, the name or the
 *   directory changed under it.
 *
 * - store_check (db check): each contradiction between a job's status and
 *   its fields is reported with the job's id and what is wrong; past its
 *   limit of problems, one line says how many more there are.
 * - store_host_remove: a host with both running and pinned queued jobs is
 *   refused naming both.
 * - The arguments the store refuses (store.h, report.h, maint.h): each is
 *   refused with a message and nothing written.
 *
 * Every store is a real SQLite file in the test's own directory.
 */
#include "helpers.h"

#include <dirent.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "store/maint.h"
#include "store/report.h"
#include "store/store_int.h"

#define NOW 1000000000000LL

/* ---- status ---- */

/* The soonest start time over three hosts (the unpinned jobs count as one),
 * the soonest read neither first nor last. */
static void test_status_next_start_over_hosts(void **state)
{
	fixture_t *fx = *state;
	char *err = NULL;
	add_job(fx->s, 0, NULL, NOW + 3000);
	add_job(fx->s, 0, "h1", NOW + 1000);
	add_job(fx->s, 0, "h2", NOW + 2000);
	add_job(fx->s, 0, "h2", 0);
	store_status_t st;
	OK(store_status(fx->s, NULL, NOW, &st, &err));
	assert_int_equal(st.next_at, NOW + 1000);
	assert_int_equal(st.scheduled, 3);
	assert_int_equal(st.ready, 1);
	store_status_free(&st);
	/* Once that time has come, the next one. */
	OK(store_status(fx->s, NULL, NOW + 1000, &st, &err));
	assert_int_equal(st.next_at, NOW + 2000);
	assert_int_equal(st.scheduled, 2);
	assert_int_equal(st.ready, 2);
	store_status_free(&st);
}

/* One host's status: a job pinned to h1, waiting until `pinned_at`, and an
 * unpinned job that ran on h1 and was handed back to wait until
 * `ran_at`; a job of h2 waiting less long than both. */
static void one_host(const char *dir, const char *name, int64_t pinned_at, int64_t ran_at)
{
	char *path = path_join(dir, name), *err = NULL;
	store_t *s = NULL;
	OK(store_open(path, true, &s, &err));
	add_job(s, 0, NULL, 0);
	job_t *c = NULL;
	size_t n = 0;
	OK(store_job_claim(s, "w", NOW * 2, NULL, "h1", 1, &c, &n, &err));
	assert_int_equal(n, 1);
	assert_string_equal(c[0].ran_on, "h1");
	c[0].not_before = ran_at;
	free(c[0].worker_id);
	c[0].worker_id = NULL;
	c[0].lease_until = 0;
	OK(store_job_move(s, &c[0], JOB_LAUNCHING, JOB_QUEUED, JOB_SET_NOT_BEFORE | JOB_SET_LEASE,
			  "t", "handed back", &err));
	store_job_list_free(c, n);
	add_job(s, 0, "h1", pinned_at);
	add_job(s, 0, "h2", NOW + 10);
	store_status_t st;
	OK(store_status(s, "h1", NOW, &st, &err));
	assert_int_equal(st.total, 2);
	assert_int_equal(st.counts[JOB_QUEUED], 2);
	assert_int_equal(st.scheduled, 2);
	assert_int_equal(st.ready, 0);
	assert_int_equal(st.next_at, pinned_at < ran_at ? pinned_at : ran_at);
	store_status_free(&st);
	store_close(s);
	free(path);
}

static void test_status_of_one_host(void **state)
{
	fixture_t *fx = *state;
	one_host(fx->dir, "a.db", NOW + 4000, NOW + 1500);
	one_host(fx->dir, "b.db", NOW + 1500, NOW + 4000);
}

/* ---- backup and vacuum ---- */

static void test_backup_refusals(void **state)
{
	fixture_t *fx = *state;
	char *err = NULL;
	add_job(fx->s, 0, NULL, 0);
	int64_t bytes = -1;
	char *before = db_fingerprint(fx->path);

	OK(store_begin(fx->s, &err));
	char *dest = path_join(fx->dir, "copy.db");
	assert_int_equal(store_backup(fx->s, dest, false, &bytes, NULL, NULL, &err), -1);
	assert_err_contains(err, "cannot back up inside a transaction");
	int64_t b = 0, a = 0;
	assert_int_equal(store_vacuum(fx->s, &b, &a, &err), -1);
	assert_err_contains(err, "cannot vacuum inside a transaction");
	store_rollback(fx->s);
	struct stat sb;
	assert_int_equal(stat(dest, &sb), -1);

	assert_int_equal(store_backup(fx->s, fx->path, true, &bytes, NULL, NULL, &err), -1);
	assert_err_contains(err, "is the job store itself");
	/* The same file under another name. */
	char *alias = path_join(fx->dir, "alias.db");
	assert_int_equal(link(fx->path, alias), 0);
	assert_int_equal(store_backup(fx->s, alias, true, &bytes, NULL, NULL, &err), -1);
	assert_err_contains(err, "is the job store itself");
	assert_int_equal(store_backup(fx->s, fx->dir, true, &bytes, NULL, NULL, &err), -1);
	assert_err_contains(err, "is a directory");

	FILE *f = fopen(dest, "w");
	fputs("keep me", f);
	fclose(f);
	assert_int_equal(store_backup(fx->s, dest, false, &bytes, NULL, NULL, &err), -1);
	assert_err_contains(err, "already exists");
	char buf[16] = {0};
	f = fopen(dest, "r");
	assert_non_null(fgets(buf, sizeof(buf), f));
	fclose(f);
	assert_string_equal(buf, "keep me");
	char *after = db_fingerprint(fx->path);
	assert_string_equal(before, after);
	free(after);

	/* Told to overwrite: a complete copy replaces it. */
	OK(store_backup(fx->s, dest, true, &bytes, NULL, NULL, &err));
	assert_int_equal(stat(dest, &sb), 0);
	assert_int_equal(bytes, sb.st_size);
	char *copy = db_fingerprint(dest);
	assert_string_equal(before, copy);
	free(copy);
	free(before);
	free(alias);
	free(dest);
}

/* ---- where a backup goes (backup_file.c, both drivers) ---- */

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static void expect_file(const char *path, const char *text)
{
	char buf[64] = {0};
	FILE *f = fopen(path, "r");
	assert_non_null(f);
	assert_non_null(fgets(buf, sizeof(buf), f));
	fclose(f);
	assert_string_equal(buf, text);
}

static bool exists(const char *path)
{
	struct stat sb;
	return stat(path, &sb) == 0;
}

/* On either store (on PostgreSQL, where the store is no file to compare a
 * destination with), a directory, or an existing file without overwrite,
 * is refused before anything is copied, and the file is kept. */
static void test_backup_refusals_any_store(void **state)
{
	fixture_t *fx = *state;
	char *err = NULL;
	int64_t bytes = -1;
	assert_int_equal(store_backup(fx->s, fx->dir, false, &bytes, NULL, NULL, &err), -1);
	assert_err_contains(err, "is a directory; name a file");
	char *dest = path_join(fx->dir, "kept.db");
	write_file(dest, "keep me");
	assert_int_equal(store_backup(fx->s, dest, false, &bytes, NULL, NULL, &err), -1);
	assert_err_contains(err, "already exists; give --force to replace it");
	expect_file(dest, "keep me");
	assert_int_equal(bytes, 0);
	free(dest);
}

/* The last step of a backup when the world changed under it: the copy
 * gone, the name taken meanwhile by someone else (refused, theirs kept),
 * the destination's directory gone (with and without overwrite); and, when
 * nothing changed, the copy in place under its name. What is left of the
 * temporary copy (its journal, log and shared memory too) is removed. */
static void test_backup_file_place(void **state)
{
	fixture_t *fx = *state;
	char *err = NULL;
	char *tmp = path_join(fx->dir, "b.tmp-x"), *dest = path_join(fx->dir, "b.db");
	char *taken = path_join(fx->dir, "taken.db"), *nodir = path_join(fx->dir, "none/b.db");
	assert_int_equal(backup_file_place(tmp, dest, false, &err), -1);
	assert_err_contains(err, "cannot write backup file");
	assert_false(exists(dest));

	write_file(tmp, "copy");
	write_file(taken, "theirs");
	assert_int_equal(backup_file_place(tmp, taken, false, &err), -1);
	assert_err_contains(err, "already exists; give --force");
	expect_file(taken, "theirs");
	assert_int_equal(backup_file_place(tmp, nodir, false, &err), -1);
	assert_err_contains(err, "cannot create backup file");
	assert_int_equal(backup_file_place(tmp, nodir, true, &err), -1);
	assert_err_contains(err, "cannot create backup file");
	assert_true(exists(tmp));

	OK(backup_file_place(tmp, dest, false, &err));
	expect_file(dest, "copy");
	static const char *const tails[] = {"-journal", "-wal", "-shm"};
	for (size_t i = 0; i < 3; i++) {
		char *extra = NULL;
		assert_true(asprintf(&extra, "%s%s", tmp, tails[i]) > 0);
		write_file(extra, "left");
		free(extra);
	}
	backup_file_discard(strdup(tmp));
	backup_file_discard(NULL);
	DIR *d = opendir(fx->dir);
	assert_non_null(d);
	for (struct dirent *e; (e = readdir(d));)
		if (strncmp(e->d_name, "b.tmp-x", 7) == 0)
			fail_msg("%s left after backup_file_discard", e->d_name);
	closedir(d);
	expect_file(dest, "copy");
	free(tmp);
	free(dest);
	free(taken);
	free(nodir);
}

/* ---- db check ---- */


static bool reported(const store_problem_t *p, size_t n, int64_t id, const char *text)
{
	char want[256];
	snprintf(want, sizeof(want), "job %lld: %s", (long long)id, text);
	for (size_t i = 0; i < n; i++)
		if (p[i].job_id == id && strcmp(p[i].message, want) == 0)
			return true;
	return false;
}

static bool reported_plain(const store_problem_t *p, size_t n, const char *text)
{
	for (size_t i = 0; i < n; i++)
		if (p[i].job_id == 0 && strcmp(p[i].message, text) == 0)
			return true;
	return false;
}

/* Each contradiction, written with sqlite3 into a job that was consistent,
 * is reported for that job in words that say what is wrong. */
static void test_check_names_each_contradiction(void **state)
{
	fixture_t *fx = *state;
	char *err = NULL;
	struct {
		const char *set;   /* SQL assignments for the job */
		const char *says;  /* the problem reported */
	} cases[] = {
		{"status = 'running', started_at = 0, attempt = 1, worker_id = 'w', "
		 "lease_until = 1",
		 "is running but has no start time (started_at is 0)"},
		{"finished_at = 5", "is queued but has a finish time"},
		{"status = 'launching', attempt = 0, worker_id = 'w', lease_until = 1",
		 "is launching but its attempt count is 0"},
		{"status = 'launching', attempt = 1, worker_id = NULL, lease_until = 1",
		 "is launching but no worker holds it (worker_id is empty)"},
		{"status = 'cancelled', finished_at = created_at, lease_until = 7",
		 "is cancelled but still holds a lease (worker_id empty, lease_until 7)"},
		{"status = 'cancelled', finished_at = created_at, worker_id = 'w9'",
		 "is cancelled but still holds a lease (worker_id w9, lease_until 0)"},
		{"status = 'completed', finished_at = created_at, exit_code = 2",
		 "is completed but its exit code is 2"},
		{"status = 'completed', finished_at = created_at, exit_code = NULL",
		 "is completed but has no exit code"},
		{"created_at = 0", "has no creation time (created_at is 0)"},
	};
	size_t nc = sizeof(cases) / sizeof(cases[0]);
	int64_t ids[16];
	for (size_t i = 0; i < nc; i++)
		ids[i] = add_job(fx->s, 0, NULL, 0);
	int64_t fine = add_job(fx->s, 0, NULL, 0);
	int64_t no_history = add_job(fx->s, 0, NULL, 0);
	for (size_t i = 0; i < nc; i++) {
		char sql[512];
		snprintf(sql, sizeof(sql), "UPDATE jobs SET %s WHERE id = %lld", cases[i].set,
			 (long long)ids[i]);
		raw_exec(fx->path, sql);
	}
	char sql[256];
	snprintf(sql, sizeof(sql), "DELETE FROM job_history WHERE job_id = %lld",
		 (long long)no_history);
	raw_exec(fx->path, sql);
	/* Job counts that disagree with the jobs, with and without a host. */
	raw_exec(fx->path, "INSERT INTO job_counts (host_key, status, n) VALUES "
			   "('', 'failed', 3), ('ghost', 'completed', 2)");
	store_problem_t *p = NULL;
	size_t n = 0;
	OK(store_check(fx->s, &p, &n, &err));
	for (size_t i = 0; i < nc; i++)
		if (!reported(p, n, ids[i], cases[i].says)) {
			for (size_t k = 0; k < n; k++)
				fprintf(stderr, "# %s\n", p[k].message);
			fail_msg("job %lld: \"%s\" not reported", (long long)ids[i], cases[i].says);
		}
	if (!reported(p, n, no_history, "has no history rows"))
		fail_msg("job %lld: \"has no history rows\" not reported", (long long)no_history);
	static const char *const counts[] = {
		"job counts: failed jobs without a host: counted 3, but the jobs table has 0 "
		"('cjobs db vacuum' counts them again)",
		"job counts: completed jobs of host 'ghost': counted 2, but the jobs table has 0 "
		"('cjobs db vacuum' counts them again)",
	};
	for (size_t c = 0; c < 2; c++)
		if (!reported_plain(p, n, counts[c]))
			fail_msg("\"%s\" not reported", counts[c]);
	for (size_t i = 0; i < n; i++)
		assert_int_not_equal(p[i].job_id, fine);
	store_problems_free(p, n);
}

/* Past 10000 problems, the rest are counted in one last line. */
static void test_check_counts_what_it_does_not_list(void **state)
{
	fixture_t *fx = *state;
	char *err = NULL;
	/* History rows of 10005 jobs that do not exist: one problem each. */
	raw_exec(fx->path, "WITH RECURSIVE c(x) AS (SELECT 1000 UNION ALL SELECT x + 1 FROM c "
			   "WHERE x < 11004) INSERT INTO job_history (job_id, at, attempt, "
			   "from_status, to_status, actor) SELECT x, 1, 0, NULL, 'queued', 'a' "
			   "FROM c");
	store_problem_t *p = NULL;
	size_t n = 0;
	OK(store_check(fx->s, &p, &n, &err));
	assert_int_equal(n, 10001);
	assert_int_equal(p[0].job_id, 1000);
	assert_string_equal(p[0].message, "job 1000: does not exist, but 1 history rows are left "
					  "(table job_history)");
	assert_int_equal(p[9999].job_id, 10999);
	assert_int_equal(p[10000].job_id, 0);
	assert_string_equal(p[10000].message, "... and 5 more problems");
	store_problems_free(p, n);
}

/* ---- host remove ---- */

static void test_host_remove_names_running_and_queued(void **state)
{
	fixture_t *fx = *state;
	char *err = NULL;
	host_t h;
	sample_host(&h, "h1");
	OK(store_host_add(fx->s, &h, &err));
	host_free(&h);
	add_job(fx->s, 0, NULL, 0);
	job_t *c = NULL;
	size_t n = 0;
	OK(store_job_claim(fx->s, "w", NOW, NULL, "h1", 1, &c, &n, &err));
	store_job_list_free(c, n);
	add_job(fx->s, 0, "h1", 0);
	add_job(fx->s, 0, "h1", 0);
	char *before = db_fingerprint(fx->path);
	assert_int_equal(store_host_remove(fx->s, "h1", &err), -1);
	assert_err_contains(err, "1 job(s) are launching or running on it and 2 queued job(s) "
				 "are pinned to it");
	char *after = db_fingerprint(fx->path);
	assert_string_equal(before, after);
	free(before);
	free(after);
}

/* ---- arguments the store refuses ---- */

static void test_refused_arguments_change_nothing(void **state)
{
	fixture_t *fx = *state;
	char *err = NULL;
	int64_t id = add_job(fx->s, 0, NULL, 0);
	job_t j;
	OK(store_job_get(fx->s, id, &j, &err));
	char *before = db_fingerprint(fx->path);
	job_t *c = NULL;
	size_t n = 0;
	assert_int_equal(store_job_claim(fx->s, "", 1, NULL, NULL, 1, &c, &n, &err), -1);
	assert_err_contains(err, "no worker id given");
	int64_t ids[2];
	assert_int_equal(store_job_add_many(fx->s, &j, 1, 0, NULL, NULL, "r", ids, &err), -1);
	assert_err_contains(err, "no actor given");
	assert_int_equal(store_job_move(fx->s, &j, JOB_QUEUED, JOB_CANCELLED, 0, NULL, "r", &err),
			 -1);
	assert_err_contains(err, "no actor given");
	/* Each hop of a two-step move must be legal. */
	assert_int_equal(store_job_move_via(fx->s, &j, JOB_QUEUED, JOB_LAUNCHING, JOB_COMPLETED, 0,
					    "t", NULL, NULL, &err),
			 -1);
	assert_err_contains(err, "cannot move from queued through launching to completed");
	assert_int_equal(store_job_update(fx->s, &j, 1u << 30, &err), -1);
	assert_err_contains(err, "unknown fields to set");
	/* A job that does not exist, also when ran_on (read first, for the
	 * job counts) is among the fields. */
	job_t gone = j;
	gone.id = id + 1000;
	gone.ran_on = (char *)"h";
	assert_int_equal(store_job_update(fx->s, &gone, JOB_SET_RAN_ON, &err), -1);
	assert_err_contains(err, "does not exist");
	assert_int_equal(store_job_update(fx->s, &gone, JOB_SET_LAST_ERROR, &err), -1);
	assert_err_contains(err, "does not exist");
	job_output_t o = {.data = NULL, .len = 3};
	assert_int_equal(store_output_put(fx->s, id, 1, JOB_STDOUT, &o, &err), -1);
	assert_err_contains(err, "no data for 3 bytes");
	store_cleanup_counts_t removed = {0};
	int64_t many[STORE_CLEANUP_BATCH + 1] = {0};
	assert_int_equal(store_cleanup_delete(fx->s, many, STORE_CLEANUP_BATCH + 1, 1LL << 60,
					      &removed, &err),
			 -1);
	assert_err_contains(err, "at most 1000 jobs");
	job_t sj;
	job_init(&sj);
	sj.name = strdup("not-a-sample");
	sj.created_at = 1;
	assert_int_equal(store_sample_job_add(fx->s, &sj, NULL, NULL, &err), -1);
	assert_err_contains(err, "must start with 'sample-'");
	free(sj.name);
	sj.name = strdup("sample-x");
	sj.created_at = 0;
	assert_int_equal(store_sample_job_add(fx->s, &sj, NULL, NULL, &err), -1);
	assert_err_contains(err, "needs a status and a creation time");
	job_free(&sj);
	char *after = db_fingerprint(fx->path);
	assert_string_equal(before, after);
	free(after);
	free(before);

	/* No ids: nothing to do, and nothing done. */
	OK(store_cleanup_delete(fx->s, many, 0, 1LL << 60, &removed, &err));
	assert_int_equal(removed.jobs, 0);
	/* Every status in the mask is no filter. */
	OK(store_job_move(fx->s, &j, JOB_QUEUED, JOB_CANCELLED, 0, "t", NULL, &err));
	job_filter_t all = {.status_mask = (1 << JOB_STATUS_COUNT) - 1};
	OK(store_job_list(fx->s, &all, &c, &n, &err));
	assert_int_equal(n, 1);
	store_job_list_free(c, n);
	job_free(&j);
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, fx_setup, fx_teardown)
	const struct CMUnitTest tests[] = {
		T(test_status_next_start_over_hosts),
		T(test_status_of_one_host),
		T(test_check_names_each_contradiction),
		T(test_check_counts_what_it_does_not_list),
		T(test_host_remove_names_running_and_queued),
		T(test_refused_arguments_change_nothing),
		T(test_backup_refusals_any_store),
		T(test_backup_file_place),
	};
	/* SQLite's backup: a copy of the file, refused onto the file itself. */
	const struct CMUnitTest sqlite_tests[] = {
		T(test_backup_refusals),
	};
	int failed = cmocka_run_group_tests(tests, NULL, NULL);
	if (!test_on_pg())
		failed += cmocka_run_group_tests_name("sqlite", sqlite_tests, NULL, NULL);
	return failed;
}
