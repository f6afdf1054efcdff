/*
 * tests/unit/store/test_oom.c: every store call under allocation failure.
 *
 * Each call is run again and again, the n-th allocation (ours through the
 * linker's --wrap, SQLite's through its allocator hooks) and every later one
 * failing, for n = 1, 2, ... until the call completes without reaching n.
 * Each run must either succeed or fail with a message, leave no transaction
 * open, and leave the file's data exactly as it was; leaks show up under
 * AddressSanitizer.
 */
#include "helpers.h"

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "store/sqlite_driver.h"
#include "store/store_int.h"

/* ---- fault injection ---- */

static long fail_at;    /* 0: off */
static long count;
static bool injected;
static bool persistent; /* every allocation after the n-th fails too */

static bool should_fail(void)
{
	if (!fail_at)
		return false;
	++count;
	if (count == fail_at || (persistent && count > fail_at)) {
		injected = true;
		return true;
	}
	return false;
}

static void arm(long n)
{
	fail_at = n;
	count = 0;
	injected = false;
}

static void disarm(void)
{
	fail_at = 0;
}

/* Set-up inside an op runs without faults. */
static long paused_at;

static void pause_faults(void)
{
	paused_at = fail_at;
	fail_at = 0;
}

static void resume_faults(void)
{
	fail_at = paused_at;
}

/* The data as it was just before the call under test; an op with set-up
 * takes it itself, after the set-up. */
static const char *fixture_path;
static char *before;

static void mark(void)
{
	pause_faults();
	free(before);
	before = db_fingerprint(fixture_path);
	resume_faults();
}

void *__real_malloc(size_t n);
void *__real_calloc(size_t n, size_t size);
void *__real_realloc(void *p, size_t n);
char *__real_strdup(const char *s);
char *__real_strndup(const char *s, size_t n);

void *__wrap_malloc(size_t n)
{
	return should_fail() ? NULL : __real_malloc(n);
}

void *__wrap_calloc(size_t n, size_t size)
{
	return should_fail() ? NULL : __real_calloc(n, size);
}

void *__wrap_realloc(void *p, size_t n)
{
	return should_fail() ? NULL : __real_realloc(p, n);
}

char *__wrap_strdup(const char *s)
{
	return should_fail() ? NULL : __real_strdup(s);
}

char *__wrap_strndup(const char *s, size_t n)
{
	return should_fail() ? NULL : __real_strndup(s, n);
}

static sqlite3_mem_methods real_mem;

static void *sq_malloc(int n)
{
	return should_fail() ? NULL : real_mem.xMalloc(n);
}

static void *sq_realloc(void *p, int n)
{
	return should_fail() ? NULL : real_mem.xRealloc(p, n);
}

static void install_sqlite_hooks(void)
{
	sqlite3_shutdown();
	if (sqlite3_config(SQLITE_CONFIG_GETMALLOC, &real_mem) != SQLITE_OK)
		abort();
	sqlite3_mem_methods mine = real_mem;
	mine.xMalloc = sq_malloc;
	mine.xRealloc = sq_realloc;
	if (sqlite3_config(SQLITE_CONFIG_MALLOC, &mine) != SQLITE_OK)
		abort();
	/* Without lookaside every small allocation reaches the hooks. */
	if (sqlite3_config(SQLITE_CONFIG_LOOKASIDE, 0, 0) != SQLITE_OK)
		abort();
	sqlite3_initialize();
}

/* ---- the loop ---- */

static bool tx_open(store_t *s)
{
	return s->depth != 0 || !sqlite3_get_autocommit(store_db(s));
}


typedef int (*op_fn)(store_t *s, long n, char **err);

/* Runs op with the n-th allocation failing, for every n in turn; in the
 * persistent mode every later allocation fails as well, which may leave
 * even the rollback without memory: then the next call must finish it. */
static void under_oom_mode(fixture_t *fx, op_fn op, const char *name, bool all_after)
{
	long n;
	persistent = all_after;
	for (n = 1; n < 100000; n++) {
		char *err = NULL;
		fixture_path = fx->path;
		free(before);
		before = db_fingerprint(fx->path);
		arm(n);
		int rc = op(fx->s, n, &err);
		disarm();
		if (rc < 0) {
			if (!err)
				fail_msg("%s (fault %ld): -1 without a message", name, n);
			if (!injected)
				fail_msg("%s (fault %ld): failed without a fault: %s", name, n, err);
			if (!all_after && tx_open(fx->s))
				fail_msg("%s (fault %ld): transaction left open after: %s", name,
					 n, err);
			int64_t hosts = 0;
			char *err2 = NULL;
			if (store_host_count(fx->s, &hosts, &err2) != 0 || tx_open(fx->s))
				fail_msg("%s (fault %ld): store not usable after: %s (%s)", name, n,
					 err, err2 ? err2 : "transaction open");
			char *after = db_fingerprint(fx->path);
			if (strcmp(before, after) != 0)
				fail_msg("%s (fault %ld): data changed by a failed call (%s)", name,
					 n, err);
			free(after);
		}
		free(err);
		if (!injected)
			break;
	}
	free(before);
	before = NULL;
	printf("# %s%s: %ld allocation points\n", name, all_after ? " (persistent)" : "",
	       n - 1);
}

static void under_oom(fixture_t *fx, op_fn op, const char *name)
{
	under_oom_mode(fx, op, name, false);
	under_oom_mode(fx, op, name, true);
}

static job_t template_job;

static int op_host_add(store_t *s, long n, char **err)
{
	char name[32];
	snprintf(name, sizeof(name), "h%ld", n);
	host_t h;
	host_init(&h);
	h.name = name;
	h.url = "unix:///var/run/docker.sock";
	h.network_mode = "none";
	return store_host_add(s, &h, err);
}

static int op_host_reads(store_t *s, long n, char **err)
{
	(void)n;
	host_t *v = NULL, one;
	size_t count_ = 0;
	int rc = store_host_list(s, &v, &count_, err);
	store_host_list_free(v, count_);
	if (rc == 0) {
		rc = store_host_get(s, "fixed", &one, err);
		host_free(&one);
	}
	return rc;
}

static int op_host_update(store_t *s, long n, char **err)
{
	host_t h;
	host_init(&h);
	h.name = "fixed";
	h.url = "tcp://127.0.0.1:2376";
	h.max_jobs = (int)n;
	h.check_message = "updated";
	return store_host_update(s, &h, err);
}

static int op_job_add(store_t *s, long n, char **err)
{
	(void)n;
	job_t j = template_job;
	j.uuid[0] = '\0';
	return store_job_add(s, &j, "submit", "oom test", err);
}

static int op_job_reads(store_t *s, long n, char **err)
{
	(void)n;
	job_t j, *list = NULL;
	size_t count_ = 0;
	int rc = store_job_get(s, 1, &j, err);
	job_free(&j);
	if (rc == 0)
		rc = store_job_list(s, NULL, &list, &count_, err);
	store_job_list_free(list, count_);
	if (rc == 0) {
		job_event_t *ev = NULL;
		rc = store_history(s, 1, &ev, &count_, err);
		store_history_free(ev, count_);
	}
	if (rc == 0) {
		int64_t counts[JOB_STATUS_COUNT], ready, next;
		rc = store_job_counts(s, counts, err);
		if (rc == 0)
			rc = store_job_ready_count(s, NULL, 1, &ready, &next, err);
	}
	return rc;
}

/* Hands claimed jobs back, without faults, so the next run finds them. */
static void hand_back(store_t *s, job_t *jobs, size_t n)
{
	pause_faults();
	char *err = NULL;
	for (size_t i = 0; i < n; i++)
		OK(store_job_move(s, &jobs[i], JOB_LAUNCHING, JOB_QUEUED, 0, "t", NULL, &err));
	store_job_list_free(jobs, n);
	resume_faults();
}

static int op_claim(store_t *s, long n, char **err)
{
	(void)n;
	job_t *jobs = NULL;
	size_t count_ = 0;
	char *hosts[] = {"fixed", NULL};
	int rc = store_job_claim(s, "w", 5, hosts, NULL, 2, &jobs, &count_, err);
	hand_back(s, jobs, count_);
	return rc;
}

static int op_move(store_t *s, long n, char **err)
{
	job_t *jobs = NULL;
	size_t count_ = 0;
	char *e = NULL;
	pause_faults();
	assert_int_equal(store_job_claim(s, "w", 5, NULL, NULL, 1, &jobs, &count_, &e), 0);
	assert_int_equal(count_, 1);
	free(jobs[0].last_error);
	jobs[0].last_error = strdup("x");
	resume_faults();
	mark();
	int rc = store_job_move(s, &jobs[0], JOB_LAUNCHING, JOB_QUEUED,
			        JOB_SET_LEASE | JOB_SET_LAST_ERROR, "w", "handed back", err);
	if (rc == 0) {
		store_job_list_free(jobs, count_);
		return 0;
	}
	/* Check now: handing the job back changes the data again. */
	pause_faults();
	char *e2 = NULL;
	if (!persistent && tx_open(s))
		fail_msg("move (fault %ld): transaction left open after: %s", n, *err);
	int64_t hosts = 0;
	if (store_host_count(s, &hosts, &e2) != 0 || tx_open(s))
		fail_msg("move (fault %ld): store not usable after: %s", n, *err);
	char *after = db_fingerprint(fixture_path);
	if (strcmp(before, after) != 0)
		fail_msg("move (fault %ld): data changed by a failed call (%s)", n, *err);
	free(after);
	resume_faults();
	hand_back(s, jobs, count_);
	mark();
	return rc;
}

static int op_job_update(store_t *s, long n, char **err)
{
	job_t j;
	job_init(&j);
	j.id = 1;
	j.lease_until = n;
	j.container_name = "c";
	return store_job_update(s, &j, JOB_SET_LEASE | JOB_SET_CONTAINER, err);
}

static int op_output_put(store_t *s, long n, char **err)
{
	static const char data[] = "out\0put";
	job_output_t o = {.data = (char *)data, .len = sizeof(data), .total_bytes = n};
	return store_output_put(s, 1, 1, JOB_STDERR, &o, err);
}

static int op_output_get(store_t *s, long n, char **err)
{
	(void)n;
	job_output_t got;
	int rc = store_output_get(s, 2, 0, JOB_STDOUT, &got, err);
	job_output_free(&got);
	return rc;
}

static int op_template_add(store_t *s, long n, char **err)
{
	char name[32];
	snprintf(name, sizeof(name), "t%ld", n);
	char *env[] = {"A=1", "B=two words", NULL};
	env_template_t t = {.name = name, .env = env, .envc = 2};
	return store_template_add(s, &t, err);
}

static int op_template_reads(store_t *s, long n, char **err)
{
	(void)n;
	env_template_t got, *v = NULL;
	size_t count_ = 0;
	int rc = store_template_get(s, "fixed", &got, err);
	env_template_free(&got);
	if (rc == 0)
		rc = store_template_list(s, &v, &count_, err);
	store_template_list_free(v, count_);
	return rc;
}

static int op_purge(store_t *s, long n, char **err)
{
	(void)n;
	int64_t jobs, bytes;
	return store_job_purge(s, 0, 1LL << 62, false, &jobs, &bytes, err);
}

static int op_job_add_many(store_t *s, long n, char **err)
{
	(void)n;
	int64_t ids[3];
	return store_job_add_many(s, &template_job, 1, 3, "submit", "oom test", ids, err);
}

/* store_job_add_many inside a caller's transaction opens no savepoint:
 * when it fails, the caller's commit must fail too and undo the rest. */
static int op_job_add_many_in_tx(store_t *s, long n, char **err)
{
	/* n repeats between the two passes; the name must not. */
	static long runs;
	(void)n;
	char name[32];
	snprintf(name, sizeof(name), "m%ld", ++runs);
	if (store_begin(s, err) < 0)
		return -1;
	host_t h;
	host_init(&h);
	h.name = name;
	h.url = "unix:///x";
	int rc = store_host_add(s, &h, err);
	if (rc < 0) {
		store_rollback(s);
		return -1;
	}
	int64_t ids[2];
	job_t jobs[2] = {template_job, template_job};
	if (store_job_add_many(s, jobs, 2, 0, "submit", "oom test", ids, err) < 0) {
		char *e2 = NULL;
		assert_int_equal(store_commit(s, &e2), -1);
		assert_non_null(e2);
		free(e2);
		return -1;
	}
	return store_commit(s, err);
}

/* Several writes in one caller transaction: all or nothing. */
static int op_tx_group(store_t *s, long n, char **err)
{
	char name[32];
	snprintf(name, sizeof(name), "g%ld", n);
	if (store_begin(s, err) < 0)
		return -1;
	host_t h;
	host_init(&h);
	h.name = name;
	h.url = "unix:///x";
	int rc = store_host_add(s, &h, err);
	if (rc == 0)
		rc = store_host_checked(s, name, true, "ok", err);
	if (rc < 0) {
		store_rollback(s);
		return -1;
	}
	return store_commit(s, err);
}

static int setup(void **state)
{
	if (fx_setup(state) < 0)
		return -1;
	fixture_t *fx = *state;
	char *err = NULL;
	host_t h;
	sample_host(&h, "fixed");
	if (store_host_add(fx->s, &h, &err) < 0)
		return -1;
	host_free(&h);
	for (int i = 0; i < 3; i++)
		add_job(fx->s, i, i ? "fixed" : NULL, 0);
	job_output_t o = {.data = "abc", .len = 3};
	char *env[] = {"A=1", NULL};
	env_template_t t = {.name = "fixed", .env = env, .envc = 1};
	if (store_output_put(fx->s, 2, 1, JOB_STDOUT, &o, &err) < 0 ||
	    store_template_add(fx->s, &t, &err) < 0)
		return -1;
	/* Two finished jobs with output and history for the purge. */
	for (int i = 0; i < 2; i++) {
		job_t j;
		int64_t id = add_job(fx->s, 0, NULL, 0);
		if (store_job_get(fx->s, id, &j, &err) != 0 ||
		    store_job_move(fx->s, &j, JOB_QUEUED, JOB_CANCELLED, 0, "t", NULL, &err) != 0 ||
		    store_output_put(fx->s, id, 1, JOB_STDOUT, &o, &err) != 0)
			return -1;
		job_free(&j);
	}
	return 0;
}

#define OOM_TEST(op)                                   \
	static void test_##op(void **state)            \
	{                                              \
		under_oom(*state, op_##op, #op);       \
	}
OOM_TEST(host_add)
OOM_TEST(host_reads)
OOM_TEST(host_update)
OOM_TEST(job_add)
OOM_TEST(job_reads)
OOM_TEST(claim)
OOM_TEST(move)
OOM_TEST(job_update)
OOM_TEST(output_put)
OOM_TEST(output_get)
OOM_TEST(template_add)
OOM_TEST(template_reads)
OOM_TEST(purge)
OOM_TEST(tx_group)
OOM_TEST(job_add_many)
OOM_TEST(job_add_many_in_tx)

static void open_mode(fixture_t *fx, bool all_after)
{
	long n;
	persistent = all_after;
	for (n = 1; n < 100000; n++) {
		char name[32], *err = NULL;
		snprintf(name, sizeof(name), "sub%d/o%ld.db", all_after, n);
		char *path = path_join(fx->dir, name);
		store_t *s = NULL;
		arm(n);
		int rc = store_open(path, true, &s, &err);
		disarm();
		if (rc < 0) {
			assert_null(s);
			if (!err)
				fail_msg("store_open (fault %ld): -1 without a message", n);
		} else {
			assert_non_null(s);
		}
		store_close(s);
		free(err);
		free(path);
		if (!injected)
			break;
	}
	printf("# store_open%s: %ld allocation points\n", all_after ? " (persistent)" : "",
	       n - 1);
}

static void test_open(void **state)
{
	open_mode(*state, false);
	open_mode(*state, true);
}

int main(void)
{
	/* Thousands of stores are created and synced: on tmpfs that takes
	 * seconds instead of minutes. */
	if (!getenv("TMPDIR") && access("/dev/shm", W_OK) == 0)
		setenv("TMPDIR", "/dev/shm", 1);
	install_sqlite_hooks();
	sample_job(&template_job);
	free(template_job.host);
	template_job.host = NULL;
#define T(f) cmocka_unit_test_setup_teardown(f, setup, fx_teardown)
	const struct CMUnitTest tests[] = {
		T(test_open),         T(test_host_add),    T(test_host_reads),
		T(test_host_update),  T(test_job_add),     T(test_job_reads),
		T(test_claim),        T(test_move),        T(test_job_update),
		T(test_output_put),   T(test_output_get),  T(test_template_add),
		T(test_template_reads), T(test_purge),     T(test_tx_group),
		T(test_job_add_many), T(test_job_add_many_in_tx),
	};
	int rc = cmocka_run_group_tests(tests, NULL, NULL);
	job_free(&template_job);
	return rc;
}
