/*
 * tests/unit/store/test_oom.c: every store call under allocation failure.
 *
 * Each call is run again and again, the n-th allocation (ours through the
 * linker's --wrap: malloc, calloc, realloc, strdup, strndup and asprintf;
 * SQLite's through its allocator hooks) and every later one failing, for
 * n = 1, 2, ... until the call completes without reaching n. Each run must
 * either succeed or fail with a message, leave no transaction open, and
 * leave the file's data exactly as it was; leaks show up under
 * AddressSanitizer. (glibc's own allocations inside vasprintf, and libpq's,
 * are beyond the wrap: err_set's messages and PQconninfoParse never fail.)
 */
#include "helpers.h"

#include <dirent.h>
#include <sqlite3.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../alloc_wrap.h"
#include "store/copy.h"
#include "store/dburl.h"
#include "store/maint.h"
#include "store/sqlite_driver.h"
#include "store/store_int.h"

/* ---- fault injection ---- */

static long fail_at;    /* 0: off */
static long count;
static bool injected;
static bool persistent; /* every allocation after the n-th fails too */

bool alloc_should_fail(void)
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
static const char *fixture_path, *fixture_dir;
static char *before;

static void mark(void)
{
	pause_faults();
	free(before);
	before = db_fingerprint(fixture_path);
	resume_faults();
}


static sqlite3_mem_methods real_mem;

static void *sq_malloc(int n)
{
	return alloc_should_fail() ? NULL : real_mem.xMalloc(n);
}

static void *sq_realloc(void *p, int n)
{
	return alloc_should_fail() ? NULL : real_mem.xRealloc(p, n);
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
	bool stale = true;  /* before no longer what the store holds */
	for (n = 1; n < 100000; n++) {
		char *err = NULL;
		fixture_path = fx->path;
		fixture_dir = fx->dir;
		/* A failed call was checked to leave the data as they were:
		 * only a call that went through changes what comes next. */
		if (stale) {
			free(before);
			before = db_fingerprint(fx->path);
		}
		stale = false;
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
		} else {
			stale = true;
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
			rc = store_job_ready_count(s, NULL, 1, 0, &ready, &next, err);
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

static int op_claim_spread(store_t *s, long n, char **err)
{
	(void)n;
	job_t *jobs = NULL;
	size_t count_ = 0, picked = 0;
	const store_claim_host_t hosts[] = {{"fixed", 2}, {"other", 1}};
	int rc = store_job_claim_spread(s, "w", 5, hosts, 2, &jobs, &count_, &picked, err);
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

static int op_job_add_many(store_t *s, long n, char **err)
{
	(void)n;
	int64_t ids[3];
	return store_job_add_many(s, &template_job, 1, 3, NULL, "submit", "oom test", ids, err);
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
	if (store_job_add_many(s, jobs, 2, 0, NULL, "submit", "oom test", ids, err) < 0) {
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

/* ---- db copy, db backup and the worker registry ---- */

/* The target of op_copy (--force): kept from one run to the next while
 * the copy fails (a failed copy must leave it as it was), made afresh
 * after one that went through. Before the first run it is given the copy
 * once, without faults: the statement caches of both stores are then warm,
 * and every run allocates in the same order, so that each allocation of
 * the copy itself is failed in its turn (from a cold cache, an
 * allocation's index would fall as n rises, and some would never be
 * failed; the statements' own preparing is every op's). */
static struct {
	store_t *s;
	char *path, *before;
} target;

static void target_close(void)
{
	static const char *const tails[] = {"", "-wal", "-shm", "-journal"};
	store_close(target.s);
	for (size_t i = 0; i < sizeof(tails) / sizeof(tails[0]); i++) {
		char *f = sqlite3_mprintf("%s%s", target.path, tails[i]);
		remove(f);
		sqlite3_free(f);
	}
	free(target.path);
	free(target.before);
	target.s = NULL;
	target.path = target.before = NULL;
}

/* A store's data as db_fingerprint dumps it, without the tables that a
 * copy does not copy (schema_migrations: when the target was migrated;
 * sqlite_sequence: moved past the source's; workers: they register with
 * the store they serve). */
static char *data_of(const char *path)
{
	char *fp = db_fingerprint(path);
	static const char *const skip[] = {"table schema_migrations\n", "table sqlite_sequence\n",
					   "table workers\n"};
	for (size_t i = 0; fp && i < sizeof(skip) / sizeof(skip[0]); i++) {
		char *at = strstr(fp, skip[i]);
		if (!at)
			continue;
		char *next = strstr(at + 1, "\ntable ");
		if (next)
			memmove(at, next + 1, strlen(next + 1) + 1);
		else
			*at = '\0';
	}
	return fp;
}

static int op_copy(store_t *s, long n, char **err)
{
	store_copy_counts_t c;
	pause_faults();
	if (!target.s) {
		char *e = NULL;
		target.path = path_join(fixture_dir, "target.db");
		if (store_open(target.path, true, &target.s, &e) != 0 ||
		    store_copy(s, target.s, false, &c, NULL, NULL, &e) != 0)
			fail_msg("the copy's target: %s", e);
		target.before = db_fingerprint(target.path);
	}
	resume_faults();
	int rc = store_copy(s, target.s, true, &c, NULL, NULL, err);
	pause_faults();
	char *e2 = NULL;
	if (rc < 0) {
		if (!persistent && tx_open(target.s))
			fail_msg("copy (fault %ld): transaction left open in the target after: %s",
				 n, *err);
		char *after = db_fingerprint(target.path);
		if (strcmp(target.before, after) != 0)
			fail_msg("copy (fault %ld): the target changed (%s)", n, *err);
		free(after);
		int64_t hosts = 0;
		if (store_host_count(target.s, &hosts, &e2) != 0 || tx_open(target.s))
			fail_msg("copy (fault %ld): the target is not usable after: %s", n,
				 e2 ? e2 : "transaction open");
	} else {
		store_copy_counts_t in;
		if (store_copy_contents(target.s, &in, &e2) != 0)
			fail_msg("copy (fault %ld): the target's contents: %s", n, e2);
		if (c.jobs != 5 || in.jobs != 5 || in.hosts != 1 || in.output_rows != 3)
			fail_msg("copy (fault %ld): %lld jobs copied, the target holds %lld", n,
				 (long long)c.jobs, (long long)in.jobs);
		/* Every value as the source has it: none lost to a failed
		 * allocation on the way. */
		char *want = data_of(fixture_path), *got = data_of(target.path);
		if (strcmp(want, got) != 0)
			fail_msg("copy (fault %ld): the target's data differ from the source's", n);
		free(want);
		free(got);
		target_close();
	}
	resume_faults();
	return rc;
}

/* A backup that fails leaves nothing behind: no backup file, no temporary
 * copy beside it. */
static int op_backup(store_t *s, long n, char **err)
{
	pause_faults();
	char *dest = path_join(fixture_dir, "backup.db");
	resume_faults();
	int64_t bytes = 0;
	int rc = store_backup(s, dest, false, &bytes, NULL, NULL, err);
	pause_faults();
	DIR *d = opendir(fixture_dir);
	assert_non_null(d);
	for (struct dirent *e; (e = readdir(d));)
		if (strncmp(e->d_name, "backup.db", 9) == 0 &&
		    (rc < 0 || strcmp(e->d_name, "backup.db") != 0))
			fail_msg("backup (fault %ld): %s left beside the store after: %s", n,
				 e->d_name, rc < 0 ? *err : "a backup that went through");
	closedir(d);
	if (rc == 0) {
		struct stat st;
		assert_int_equal(stat(dest, &st), 0);
		assert_int_equal(bytes, st.st_size);
		char *copy = db_fingerprint(dest);
		if (strcmp(copy, before) != 0)
			fail_msg("backup (fault %ld): the copy is not the store", n);
		free(copy);
		remove(dest);
	}
	free(dest);
	resume_faults();
	return rc;
}

static int op_worker_register(store_t *s, long n, char **err)
{
	(void)n;
	store_worker_t w = {.id = (char *)"w2", .machine = (char *)"m", .pid = 2, .started_at = 20,
			    .heartbeat_at = 20, .lease_until = 1LL << 50, .hosts = (char *)"fixed"};
	return store_worker_register(s, &w, err);
}

static int op_worker_heartbeat(store_t *s, long n, char **err)
{
	int rc = store_worker_heartbeat(s, "w", 30 + n, 1LL << 50, "fixed", err);
	if (rc == 1)
		fail_msg("heartbeat (fault %ld): the registered worker was not found", n);
	return rc;
}

static int op_worker_stop(store_t *s, long n, char **err)
{
	(void)n;
	return store_worker_stop(s, "w", err);
}

/* The list and the liveness of worker "w", whose lock no one holds. */
static int op_worker_reads(store_t *s, long n, char **err)
{
	store_worker_t *v = NULL;
	size_t count_ = 0;
	int rc = store_worker_list(s, 40, &v, &count_, err);
	if (rc == 0 && (count_ != 1 || strcmp(v[0].id, "w") != 0 || v[0].alive))
		fail_msg("worker list (fault %ld): %zu workers", n, count_);
	store_worker_list_free(v, count_);
	if (rc == 0) {
		rc = store_worker_dead(s, "w", 40, err);
		if (rc == 0)
			fail_msg("worker dead (fault %ld): a worker whose lock is free is alive",
				 n);
		rc = rc < 0 ? -1 : 0;
	}
	return rc;
}

/* Watching the store's directory: its name copied once, on the first
 * call that gets that far. */
static int op_watch(store_t *s, long n, char **err)
{
	(void)n;
	int fd = -1;
	int rc = store_watch(s, &fd, err);
	if (rc == 0 && fd < 0)
		fail_msg("watch (fault %ld): no descriptor", n);
	return rc;
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
	/* Two finished jobs with output and history. */
	for (int i = 0; i < 2; i++) {
		job_t j;
		int64_t id = add_job(fx->s, 0, NULL, 0);
		if (store_job_get(fx->s, id, &j, &err) != 0 ||
		    store_job_move(fx->s, &j, JOB_QUEUED, JOB_CANCELLED, 0, "t", NULL, &err) != 0 ||
		    store_output_put(fx->s, id, 1, JOB_STDOUT, &o, &err) != 0)
			return -1;
		job_free(&j);
	}
	/* Worker "w", registered through a handle since closed: its lease
	 * runs, its liveness lock is free (dead), and the fixture's handle
	 * has not opened the lock file yet. */
	store_t *other = NULL;
	store_worker_t w = {.id = (char *)"w", .machine = (char *)"m", .pid = 1, .started_at = 10,
			    .heartbeat_at = 10, .lease_until = 1LL << 50, .hosts = (char *)"fixed"};
	if (store_open(fx->path, false, &other, &err) < 0 ||
	    store_worker_register(other, &w, &err) < 0)
		return -1;
	store_close(other);
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
OOM_TEST(claim_spread)
OOM_TEST(move)
OOM_TEST(job_update)
OOM_TEST(output_put)
OOM_TEST(output_get)
OOM_TEST(template_add)
OOM_TEST(template_reads)
OOM_TEST(tx_group)
OOM_TEST(job_add_many)
OOM_TEST(job_add_many_in_tx)
OOM_TEST(copy)
OOM_TEST(backup)
OOM_TEST(worker_register)
OOM_TEST(worker_heartbeat)
OOM_TEST(worker_stop)
OOM_TEST(worker_reads)
OOM_TEST(watch)

/* ---- a store's name (dburl.c) ---- */

/* Names with passwords in every form dburl hides, and whether dburl_check
 * takes each. The password always holds "s3cr". */
static const struct {
	const char *value;
	const char *pw; /* one of its passwords, as libpq would quote it */
	bool accepted;
} names[] = {
	{"postgresql://u:s3cr3tpw@h:5432/db?password=s3cr3tpw&sslpassword=s3cr3tpw&sslmode=disable",
	 "s3cr3tpw", true},
	/* five places: more than the room for the first four */
	{"postgresql://h/db?password=s3cr1&password=s3cr2&password=s3cr3&password=s3cr4&"
	 "password=s3cr5",
	 "s3cr4", true},
	{"host=h password='s3cr3t pw' sslpassword=s3cr3tpw dbname=d", "s3cr3t pw", true},
	{"host=h password=s3cr3t pw dbname=d", "s3cr3t", false},
	{"postgresql://u:s3cr3t%zz@h/db", "s3cr3t%zz", false},
	{"postgresql://u:s3cr@3tpw@h/db", "3tpw@h", false},
	{"mysql://u:s3cr3tpw@h/db", "s3cr3tpw", false},
};

/* One answer of each function: what it returned, or NULL. */
typedef struct {
	char *shown, *quoted, *bare, *err;
	int rc;
} dburl_answers_t;

static void dburl_ask(const char *v, const char *quoted, const char *bare, dburl_answers_t *a)
{
	a->err = NULL;
	a->shown = dburl_display(v);
	a->quoted = dburl_redact(v, quoted);
	a->bare = dburl_redact(v, bare);
	a->rc = dburl_check(v, NULL, &a->err);
}

static void dburl_answers_free(dburl_answers_t *a)
{
	free(a->shown);
	free(a->quoted);
	free(a->bare);
	free(a->err);
}

/* got is want, or NULL (no memory). */
static void same_or_null(const char *v, long n, const char *what, const char *got,
			 const char *want)
{
	if (got && strcmp(got, want) != 0)
		fail_msg("\"%s\" (fault %ld): %s is \"%s\", without faults \"%s\"", v, n, what, got,
			 want);
}

/* dburl_display, dburl_redact (of a message quoting the password, and of
 * one holding it bare) and dburl_check of each name with the n-th
 * allocation failing (and every later one, when all_after): each answers
 * as it does without faults, or says it ran out of memory (NULL, "out of
 * memory"); without faults, the password is hidden in each. */
static void dburl_mode(bool all_after)
{
	persistent = all_after;
	long points = 0;
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		const char *v = names[i].value;
		char quoted[64], bare[64];
		snprintf(quoted, sizeof(quoted), "could not translate host name \"%s\"",
			 names[i].pw);
		snprintf(bare, sizeof(bare), "as read: %s, and so on", names[i].pw);
		dburl_answers_t want;
		dburl_ask(v, quoted, bare, &want);
		if (!want.shown || !want.quoted || !want.bare ||
		    (want.rc == 0) != names[i].accepted ||
		    strstr(want.shown, "s3cr") || strstr(want.quoted, "s3cr") ||
		    strstr(want.quoted, names[i].pw) || (want.err && strstr(want.err, "s3cr")))
			fail_msg("\"%s\" without faults: %s | %s | %s", v, want.shown, want.quoted,
				 want.err ? want.err : "taken");
		long n;
		for (n = 1; n < 100000; n++) {
			dburl_answers_t got;
			arm(n);
			dburl_ask(v, quoted, bare, &got);
			disarm();
			same_or_null(v, n, "the name shown", got.shown, want.shown);
			same_or_null(v, n, "the message", got.quoted, want.quoted);
			same_or_null(v, n, "the other message", got.bare, want.bare);
			if (got.rc != want.rc && !(got.rc == -1 && got.err &&
						   strcmp(got.err, "out of memory") == 0))
				fail_msg("\"%s\" (fault %ld): dburl_check %d: %s", v, n, got.rc,
					 got.err ? got.err : "taken");
			if (got.rc == -1 && want.rc == -1)
				same_or_null(v, n, "the refusal",
					     strcmp(got.err, "out of memory") ? got.err : NULL,
					     want.err);
			dburl_answers_free(&got);
			if (!injected)
				break;
		}
		dburl_answers_free(&want);
		points += n - 1;
	}
	printf("# dburl%s: %ld allocation points\n", all_after ? " (persistent)" : "", points);
}

static void test_dburl(void **state)
{
	(void)state;
	dburl_mode(false);
	dburl_mode(true);
}

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
	/* SQLite's allocator is what fails here (the PostgreSQL driver's
	 * allocation failures are store-pg-faults'): the fixtures are SQLite
	 * files even when the run's other tests go to PostgreSQL. */
	unsetenv("CJOBS_TEST_STORE");
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
		T(test_claim),        T(test_claim_spread), T(test_move),        T(test_job_update),
		T(test_output_put),   T(test_output_get),  T(test_template_add),
		T(test_template_reads), T(test_tx_group),
		T(test_job_add_many), T(test_job_add_many_in_tx), T(test_copy),
		T(test_backup),       T(test_worker_register), T(test_worker_heartbeat),
		T(test_worker_stop),  T(test_worker_reads),    T(test_watch),
		T(test_dburl),
	};
	int rc = cmocka_run_group_tests(tests, NULL, NULL);
	job_free(&template_job);
	return rc;
}
