/*
 * tests/unit/store/test_read_faults.c: every public store call when the
 * database fails one statement: its prepare, one of its binds, or one of
 * its steps (reads included, which store-faults cannot reach).
 *
 * The store's driver seam (store/driver.h) makes this possible without a
 * VFS shim: each store here runs on a driver that wraps sqlite_driver and
 * makes the n-th prepare, bind or step (exec_script counts as a step)
 * answer a chosen failure instead of asking SQLite. Each call is run again
 * and again with n = 1, 2, ... until it completes without reaching n, on a
 * copy of one populated store. Each run must:
 *   - fail with -1 and one line that names what failed (for a failure the
 *     database describes, "<what>: injected fault"; for the kinds the store
 *     words itself, its own words, after what failed);
 *   - leave the store's data exactly as it was (read through a separate
 *     connection), no transaction open and no statement left running;
 *   - leave the store usable: the next call works.
 * The only failures a call may survive are those it ignores on purpose,
 * listed in `tolerated` below with the reason. db copy runs with both of
 * its stores on the faulty driver, and a failed copy must leave the other
 * one (its target, or its source) as it was too.
 *
 * It must never touch a file outside its own temporary directory, and
 * never change what it tests: the wrapper forwards everything else to
 * sqlite_driver unchanged.
 */
#include "helpers.h"

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "store/copy.h"
#include "store/maint.h"
#include "store/report.h"
#include "store/sqlite_driver.h"
#include "store/store_int.h"

/* ---- the faulty driver ---- */

typedef enum { F_NONE, F_PREPARE, F_BIND, F_STEP } fault_kind_t;

static const char *const kind_names[] = {"none", "prepare", "bind", "step"};

static struct {
	fault_kind_t kind;
	long at;            /* the n-th call of that kind fails */
	long count;
	int rc;             /* what it answers (a db_rc_t) */
	bool injected;
	bool paused;        /* set-up inside an op runs without faults */
	bool persistent;    /* every later call of the kind fails too */
	bool drops;         /* the failure ends the transaction too, as SQLite's own
			     * does on a full disk or for want of memory */
	char sql[160];      /* the statement that failed first */
} fault;

static store_driver_t faulty;
static store_t *current; /* the store under test, for the statements' SQL */
/* The other store of a db copy (its target or its source), on the faulty
 * driver too: its statements' SQL is noted after its role ("target: "). */
static store_t *other;
static const char *other_role;

static sqlite3 *db_of(store_t *s)
{
	return ((lite_conn_t *)s->conn)->db;
}

/* The first failed statement's SQL, for messages. */
static void note_sql(const char *sql)
{
	if (!fault.sql[0])
		snprintf(fault.sql, sizeof(fault.sql), "%s", sql);
}

/* The SQL of a statement of s, after its role when s is the other store. */
static void note_sql_of(store_t *s, const char *sql)
{
	if (s && s == other) {
		char both[160];
		snprintf(both, sizeof(both), "%s: %s", other_role, sql);
		note_sql(both);
	}
	note_sql(sql);
}

static void note_stmt(db_stmt_t *st)
{
	store_t *stores[] = {current, other};
	for (size_t k = 0; k < 2; k++)
		for (size_t i = 0; stores[k] && i < stores[k]->ncache; i++)
			if (stores[k]->cache[i].st == st)
				note_sql_of(stores[k], stores[k]->cache[i].sql);
	note_sql("(a statement outside the cache)");
}

static bool hit(fault_kind_t kind)
{
	if (fault.kind != kind || fault.paused)
		return false;
	if (fault.injected)
		return fault.persistent;
	if (++fault.count != fault.at)
		return false;
	fault.injected = true;
	return true;
}

/* What SQLite does after a full disk or a failed allocation: the whole
 * transaction of the statement's connection is gone, whatever level the
 * store thinks it is at. */
static void maybe_drop(store_t *s)
{
	if (fault.drops && s && !sqlite3_get_autocommit(db_of(s)))
		assert_int_equal(sqlite3_exec(db_of(s), "ROLLBACK", NULL, NULL, NULL), SQLITE_OK);
}

/* The store a statement belongs to: the other store's when it is in its
 * cache, else the store under test. */
static store_t *store_of(db_stmt_t *st)
{
	for (size_t i = 0; other && i < other->ncache; i++)
		if (other->cache[i].st == st)
			return other;
	return current;
}

static int f_prepare(store_t *s, const char *sql, bool keep, db_stmt_t **out)
{
	if (hit(F_PREPARE)) {
		note_sql_of(s, sql);
		return fault.rc;
	}
	int rc = sqlite_driver.prepare(s, sql, keep, out);
	if (rc == DB_DONE)
		(*out)->drv = &faulty;
	return rc;
}

static int f_step(db_stmt_t *st)
{
	if (hit(F_STEP)) {
		note_stmt(st);
		maybe_drop(store_of(st));
		return fault.rc;
	}
	return sqlite_driver.step(st);
}

static int f_exec_script(store_t *s, const char *sql)
{
	if (hit(F_STEP)) {
		note_sql_of(s, sql);
		maybe_drop(s);
		return fault.rc;
	}
	return sqlite_driver.exec_script(s, sql);
}

static int f_bind_i64(db_stmt_t *st, int i, int64_t v)
{
	if (hit(F_BIND)) {
		note_stmt(st);
		return fault.rc;
	}
	return sqlite_driver.bind_i64(st, i, v);
}

static int f_bind_text(db_stmt_t *st, int i, const char *v)
{
	if (hit(F_BIND)) {
		note_stmt(st);
		return fault.rc;
	}
	return sqlite_driver.bind_text(st, i, v);
}

static int f_bind_blob(db_stmt_t *st, int i, const void *data, size_t len)
{
	if (hit(F_BIND)) {
		note_stmt(st);
		return fault.rc;
	}
	return sqlite_driver.bind_blob(st, i, data, len);
}

static int f_bind_null(db_stmt_t *st, int i)
{
	if (hit(F_BIND)) {
		note_stmt(st);
		return fault.rc;
	}
	return sqlite_driver.bind_null(st, i);
}

/* The database's words for an injected failure. */
static const char *f_errmsg(store_t *s, int rc)
{
	if (fault.injected && rc == fault.rc && rc != DB_E_NOTADB)
		return "injected fault";
	return sqlite_driver.errmsg(s, rc);
}

static void faulty_init(void)
{
	faulty = sqlite_driver;
	faulty.name = "SQLite with faults";
	faulty.prepare = f_prepare;
	faulty.step = f_step;
	faulty.exec_script = f_exec_script;
	faulty.bind_i64 = f_bind_i64;
	faulty.bind_text = f_bind_text;
	faulty.bind_blob = f_bind_blob;
	faulty.bind_null = f_bind_null;
	faulty.errmsg = f_errmsg;
}

/* Empties the statement cache, so that every statement is prepared again,
 * through the driver now in s->drv. */
static void clear_cache(store_t *s)
{
	for (size_t i = 0; i < s->ncache; i++) {
		s->cache[i].st->drv->finalize(s->cache[i].st);
		free(s->cache[i].sql);
	}
	s->ncache = 0;
}

/* Puts s on the faulty driver: the statements prepared by store_open go,
 * the next ones are prepared (and stepped) through the wrapper. */
static void go_faulty(store_t *s)
{
	clear_cache(s);
	s->drv = &faulty;
	current = s;
}

typedef enum { M_ONE = 0, M_PERSISTENT = 1, M_DROPS = 2 } mode_t_;

static void arm(fault_kind_t kind, long at, int rc, int mode)
{
	fault.persistent = mode & M_PERSISTENT;
	fault.drops = mode & M_DROPS;
	fault.kind = kind;
	fault.at = at;
	fault.count = 0;
	fault.rc = rc;
	fault.injected = false;
	fault.paused = false;
	fault.sql[0] = '\0';
}

static void disarm(void)
{
	fault.kind = F_NONE;
}

static void pause_faults(void)
{
	fault.paused = true;
}

static void resume_faults(void)
{
	fault.paused = false;
}

/* ---- the populated store every case starts from ---- */

static struct {
	int64_t completed; /* completed on h1, with output, finished at 2000 */
	int64_t running;   /* running on h1 for worker "w" */
	int64_t launching; /* launching on h1 for worker "w" */
	int64_t queued;    /* queued, not pinned */
	int64_t pinned;    /* queued, pinned to h2, ready */
	int64_t later;     /* queued, pinned to h2, not before 2^50 */
} ids;
static char *base_dir, *base_path;

static job_t *find_job(job_t *jobs, size_t n, int64_t id)
{
	for (size_t i = 0; i < n; i++)
		if (jobs[i].id == id)
			return &jobs[i];
	fail_msg("job %lld was not claimed", (long long)id);
	return NULL;
}

static void add_template_named(store_t *s, const char *name)
{
	char *err = NULL;
	static char *env[] = {"A=1", "B=two words", NULL};
	env_template_t t = {.name = (char *)name, .description = (char *)"d", .env = env,
			    .envc = 2};
	OK(store_template_add(s, &t, &err));
}

static int sample_add(store_t *s, const char *name, char **err)
{
	job_t j;
	job_init(&j);
	j.name = strdup(name);
	j.image = strdup("img");
	j.status = JOB_COMPLETED;
	j.attempt = 2;
	j.has_exit_code = true;
	j.created_at = 100;
	j.queued_at = 100;
	j.started_at = 200;
	j.finished_at = 300;
	j.ran_on = strdup("h1");
	job_output_t o = {.data = (char *)"o", .len = 1, .total_bytes = 1};
	int rc = store_sample_job_add(s, &j, &o, &o, err);
	job_free(&j);
	return rc;
}

static int group_setup(void **state)
{
	(void)state;
	/* Hundreds of copies of the store: on tmpfs they cost nothing. */
	if (!getenv("TMPDIR") && access("/dev/shm", W_OK) == 0)
		setenv("TMPDIR", "/dev/shm", 1);
	faulty_init();
	char *err = NULL;
	base_dir = tmpdir_make();
	base_path = path_join(base_dir, "base.db");
	store_t *s = NULL;
	if (!base_dir || !base_path || store_open(base_path, true, &s, &err) != 0)
		return -1;
	add_sample_host(s, "h1", 0);
	add_sample_host(s, "h2", 0);
	add_sample_host(s, "spare", 0);
	add_template_named(s, "t1");
	add_template_named(s, "t2");
	ids.completed = add_job(s, 20, NULL, 0);
	ids.running = add_job(s, 10, NULL, 0);
	ids.launching = add_job(s, 5, NULL, 0);
	job_t *c = NULL;
	size_t n = 0;
	OK(store_job_claim(s, "w", 1LL << 50, NULL, "h1", 3, &c, &n, &err));
	assert_int_equal(n, 3);
	job_t *jc = find_job(c, n, ids.completed), *jb = find_job(c, n, ids.running);
	jc->started_at = jb->started_at = 1000;
	OK(store_job_move(s, jc, JOB_LAUNCHING, JOB_RUNNING, JOB_SET_STARTED_AT, "t", NULL, &err));
	OK(store_job_move(s, jb, JOB_LAUNCHING, JOB_RUNNING, JOB_SET_STARTED_AT, "t", NULL, &err));
	jc->has_exit_code = true;
	jc->exit_code = 0;
	jc->finished_at = 2000;
	free(jc->worker_id);
	jc->worker_id = NULL;
	jc->lease_until = 0;
	OK(store_job_move(s, jc, JOB_RUNNING, JOB_COMPLETED,
			  JOB_SET_EXIT_CODE | JOB_SET_FINISHED_AT | JOB_SET_LEASE, "t", NULL, &err));
	job_output_t o = {.data = (char *)"out", .len = 3, .total_bytes = 3};
	OK(store_output_put(s, ids.completed, 1, JOB_STDOUT, &o, &err));
	OK(store_output_put(s, ids.completed, 1, JOB_STDERR, &o, &err));
	store_job_list_free(c, n);
	ids.queued = add_job(s, 0, NULL, 0);
	ids.pinned = add_job(s, 1, "h2", 0);
	ids.later = add_job(s, 1, "h2", 1LL << 50);
	OK(sample_add(s, STORE_SAMPLE_PREFIX "base", &err));
	/* Worker "w", registered; its liveness lock goes with this handle. */
	store_worker_t w = {.id = (char *)"w", .machine = (char *)"m", .pid = 1, .started_at = 10,
			    .heartbeat_at = 10, .lease_until = 1LL << 50, .hosts = (char *)"h1"};
	OK(store_worker_register(s, &w, &err));
	store_close(s);
	return 0;
}

static int group_teardown(void **state)
{
	(void)state;
	tmpdir_remove(base_dir);
	free(base_dir);
	free(base_path);
	return 0;
}

static void copy_file(const char *from, const char *to)
{
	FILE *in = fopen(from, "rb"), *out = fopen(to, "wb");
	assert_non_null(in);
	assert_non_null(out);
	char buf[65536];
	size_t got;
	while ((got = fread(buf, 1, sizeof(buf), in)) > 0)
		assert_int_equal(fwrite(buf, 1, got, out), got);
	fclose(in);
	fclose(out);
}

/* A fresh copy of the populated store, on the faulty driver. */
static store_t *open_copy(const char *dir, const char *name, char **path_out)
{
	char *path = path_join(dir, name), *err = NULL;
	copy_file(base_path, path);
	store_t *s = NULL;
	OK(store_open(path, true, &s, &err));
	/* Durability against power loss is not what is tested here. */
	assert_int_equal(sqlite3_exec(db_of(s), "PRAGMA synchronous = OFF", NULL, NULL, NULL),
			 SQLITE_OK);
	go_faulty(s);
	*path_out = path;
	return s;
}

/* Removes a closed store's file and its companions; frees path. */
static void remove_store_files(char *path)
{
	static const char *const tails[] = {"-wal", "-shm", "-journal"};
	remove(path);
	for (size_t i = 0; i < sizeof(tails) / sizeof(tails[0]); i++) {
		char *extra = NULL;
		assert_true(asprintf(&extra, "%s%s", path, tails[i]) > 0);
		remove(extra);
		free(extra);
	}
	free(path);
}

static void close_copy(store_t *s, char *path)
{
	current = NULL;
	store_close(s);
	remove_store_files(path);
}

static bool tx_open_now(store_t *s)
{
	return s->depth != 0 && !sqlite3_get_autocommit(db_of(s));
}

static job_t get_job(store_t *s, int64_t id)
{
	char *err = NULL;
	job_t j;
	pause_faults();
	OK(store_job_get(s, id, &j, &err));
	resume_faults();
	return j;
}

/* ---- the calls ---- */

typedef int (*op_fn)(store_t *s, char **err);

/* Readers. A reader's result is freed at once: what it read is checked by
 * the other store tests; here, that it fails cleanly. */

static int op_host_get(store_t *s, char **err)
{
	host_t h;
	int rc = store_host_get(s, "h1", &h, err);
	host_free(&h);
	if (rc == 0) {
		rc = store_host_get(s, "nope", &h, err);
		host_free(&h);
		if (rc == 1)
			rc = 0;
	}
	return rc;
}

static int op_host_list(store_t *s, char **err)
{
	host_t *v = NULL;
	size_t n = 0;
	int rc = store_host_list(s, &v, &n, err);
	store_host_list_free(v, n);
	return rc;
}

static int op_host_count(store_t *s, char **err)
{
	int64_t n = 0;
	return store_host_count(s, &n, err);
}

static int op_template_get(store_t *s, char **err)
{
	env_template_t t;
	int rc = store_template_get(s, "t1", &t, err);
	env_template_free(&t);
	return rc;
}

static int op_template_list(store_t *s, char **err)
{
	env_template_t *v = NULL;
	size_t n = 0;
	int rc = store_template_list(s, &v, &n, err);
	store_template_list_free(v, n);
	return rc;
}

static int op_job_get(store_t *s, char **err)
{
	job_t j;
	int rc = store_job_get(s, ids.completed, &j, err);
	job_free(&j);
	return rc;
}

static int op_job_list(store_t *s, char **err)
{
	job_t *v = NULL;
	size_t n = 0;
	int rc = store_job_list(s, NULL, &v, &n, err);
	store_job_list_free(v, n);
	if (rc == 0) {
		job_filter_t f = {.status_mask = (1 << JOB_QUEUED) | (1 << JOB_RUNNING),
				  .host = "h2", .limit = 10, .newest_first = true};
		rc = store_job_list(s, &f, &v, &n, err);
		store_job_list_free(v, n);
	}
	return rc;
}

static int op_job_counts(store_t *s, char **err)
{
	int64_t counts[JOB_STATUS_COUNT];
	return store_job_counts(s, counts, err);
}

static int op_history(store_t *s, char **err)
{
	job_event_t *ev = NULL;
	size_t n = 0;
	int rc = store_history(s, ids.completed, &ev, &n, err);
	store_history_free(ev, n);
	return rc;
}

static int op_job_detail(store_t *s, char **err)
{
	job_t j;
	store_job_detail_t d;
	int rc = store_job_detail(s, ids.completed, &j, &d, err);
	job_free(&j);
	store_job_detail_free(&d);
	return rc;
}

static int op_ready_count(store_t *s, char **err)
{
	int64_t ready = 0, next = 0;
	char *hosts[] = {"h2", NULL};
	int rc = store_job_ready_count(s, hosts, 5000, 10, &ready, &next, err);
	if (rc == 0)
		rc = store_job_ready_count(s, NULL, 5000, 0, &ready, NULL, err);
	return rc;
}

static int op_active_on(store_t *s, char **err)
{
	int64_t n = 0;
	return store_job_active_on(s, "h1", &n, err);
}

static int op_output_get(store_t *s, char **err)
{
	job_output_t o;
	int rc = store_output_get(s, ids.completed, 0, JOB_STDOUT, &o, err);
	job_output_free(&o);
	if (rc == 0) {
		rc = store_output_get(s, ids.completed, 1, JOB_STDERR, &o, err);
		job_output_free(&o);
	}
	return rc;
}

static int op_status(store_t *s, char **err)
{
	store_status_t st;
	int rc = store_status(s, NULL, 5000, &st, err);
	store_status_free(&st);
	if (rc == 0) {
		rc = store_status(s, "h1", 5000, &st, err);
		store_status_free(&st);
	}
	return rc;
}

static int op_report(store_t *s, char **err)
{
	store_report_t r;
	int rc = store_report(s, 0, 1LL << 60, NULL, &r, err);
	store_report_free(&r);
	if (rc == 0) {
		rc = store_report(s, 0, 1LL << 60, "h1", &r, err);
		store_report_free(&r);
	}
	return rc;
}

static int op_cleanup_list(store_t *s, char **err)
{
	int64_t *v = NULL, bytes = 0;
	size_t n = 0;
	int rc = store_cleanup_list(s, 1LL << 60, &v, &n, &bytes, err);
	free(v);
	return rc;
}

static int op_stats(store_t *s, char **err)
{
	store_stats_t st;
	return store_stats(s, &st, err);
}

static int op_check(store_t *s, char **err)
{
	store_problem_t *p = NULL;
	size_t n = 0;
	int rc = store_check(s, &p, &n, err);
	store_problems_free(p, n);
	if (rc == 0 && n != 0)
		fail_msg("db check found %zu problems in the fixture", n);
	return rc;
}

static int op_schema_version(store_t *s, char **err)
{
	int current_ = 0, latest = 0;
	char **names = NULL;
	int rc = store_schema_version(s, &current_, &latest, err);
	if (rc == 0)
		rc = store_pending_migrations(s, &names, err);
	strv_free(names);
	return rc;
}

/* What store_open does after opening the file, each step on its own: the
 * connection's settings, the schema check, the store id. (store_open sets
 * its driver itself; its own failure paths are store-oom's.) */
static int op_open_steps(store_t *s, char **err)
{
	if (s->drv->set_up(s, err) < 0 || migrations_check(s, err) < 0 ||
	    migrations_load_id(s, err) < 0)
		return -1;
	return 0;
}

/* store_job_update with nothing to set only looks the job up. */
static int op_job_exists(store_t *s, char **err)
{
	job_t j;
	job_init(&j);
	j.id = ids.queued;
	return store_job_update(s, &j, 0, err);
}

/* Writers. Each may run many times: until it succeeds (the last run), it
 * must fail and change nothing. */

static int op_host_add(store_t *s, char **err)
{
	host_t h;
	sample_host(&h, "h3");
	int rc = store_host_add(s, &h, err);
	host_free(&h);
	return rc;
}

static int op_host_update(store_t *s, char **err)
{
	host_t h;
	char *e2 = NULL;
	pause_faults();
	if (store_host_get(s, "h2", &h, &e2) != 0)
		fail_msg("host h2: %s", e2 ? e2 : "missing");
	resume_faults();
	h.max_jobs = 9;
	int rc = store_host_update(s, &h, err);
	host_free(&h);
	return rc;
}

static int op_host_checked(store_t *s, char **err)
{
	return store_host_checked(s, "h2", false, "down", err);
}

/* host remove of a host no job uses ("spare"). */
static int op_host_remove_unused(store_t *s, char **err)
{
	return store_host_remove(s, "spare", err);
}

/* host remove of h1, which jobs use: refused, saying so, after reading. */
static int op_host_remove_refused(store_t *s, char **err)
{
	int rc = store_host_remove(s, "h1", err);
	if (rc == -1 && *err && strstr(*err, "cannot remove host \"h1\": ") &&
	    strstr(*err, "job(s)")) {
		free(*err);
		*err = NULL;
		return 0;
	}
	if (rc == 0)
		fail_msg("host h1 was removed while jobs use it");
	return rc;
}

static int op_template_add(store_t *s, char **err)
{
	static char *env[] = {"B=2", NULL};
	env_template_t t = {.name = (char *)"t3", .env = env, .envc = 1};
	return store_template_add(s, &t, err);
}

static int op_template_remove(store_t *s, char **err)
{
	return store_template_remove(s, "t2", err);
}

static int op_job_add(store_t *s, char **err)
{
	job_t j;
	sample_job(&j);
	int rc = store_job_add(s, &j, "submit", "fault test", err);
	job_free(&j);
	return rc;
}

static int op_job_add_many(store_t *s, char **err)
{
	job_t j;
	sample_job(&j);
	int64_t out[2];
	int rc = store_job_add_many(s, &j, 1, 2, NULL, "submit", "fault test", out, err);
	job_free(&j);
	return rc;
}

static int op_job_move(store_t *s, char **err)
{
	job_t j = get_job(s, ids.queued);
	int rc = store_job_move(s, &j, JOB_QUEUED, JOB_CANCELLED, 0, "manage-jobs", "cancelled",
				err);
	job_free(&j);
	return rc;
}

/* A move whose job changed meanwhile: the store tells it from a missing
 * job by reading it again. */
static int op_job_move_lost(store_t *s, char **err)
{
	job_t j = get_job(s, ids.running);
	int rc = store_job_move(s, &j, JOB_QUEUED, JOB_CANCELLED, 0, "manage-jobs", "cancelled",
				err);
	job_free(&j);
	if (rc == 0)
		fail_msg("a job that is running moved as if queued");
	return rc == 1 ? 0 : rc;
}

static int op_job_finish(store_t *s, char **err)
{
	job_t j = get_job(s, ids.running);
	j.has_exit_code = true;
	j.exit_code = 3;
	j.finished_at = 5000;
	int rc = store_job_move(s, &j, JOB_RUNNING, JOB_FAILED,
				JOB_SET_EXIT_CODE | JOB_SET_FINISHED_AT, "worker", "exit 3", err);
	job_free(&j);
	return rc;
}

static int op_job_move_via(store_t *s, char **err)
{
	job_t j = get_job(s, ids.launching);
	j.started_at = 3000;
	j.finished_at = 4000;
	j.has_exit_code = true;
	int rc = store_job_move_via(s, &j, JOB_LAUNCHING, JOB_RUNNING, JOB_COMPLETED,
				    JOB_SET_STARTED_AT | JOB_SET_FINISHED_AT | JOB_SET_EXIT_CODE,
				    "worker", "started", "exit 0", err);
	job_free(&j);
	return rc;
}

/* A move that also changes ran_on reads the row's count key first. */
static int op_job_move_ran_on(store_t *s, char **err)
{
	job_t j = get_job(s, ids.running);
	free(j.ran_on);
	j.ran_on = strdup("h2");
	free(j.worker_id);
	j.worker_id = NULL;
	j.lease_until = 0;
	int rc = store_job_move(s, &j, JOB_RUNNING, JOB_QUEUED, JOB_SET_RAN_ON | JOB_SET_LEASE,
				"worker", "handed back", err);
	job_free(&j);
	return rc;
}

static int op_job_update(store_t *s, char **err)
{
	job_t j = get_job(s, ids.running);
	free(j.last_error);
	j.last_error = strdup("noted");
	int rc = store_job_update(s, &j, JOB_SET_LAST_ERROR, err);
	job_free(&j);
	return rc;
}

static int op_job_update_ran_on(store_t *s, char **err)
{
	job_t j = get_job(s, ids.launching);
	free(j.ran_on);
	j.ran_on = strdup("h2");
	int rc = store_job_update(s, &j, JOB_SET_RAN_ON, err);
	job_free(&j);
	return rc;
}

static int op_renew_lease(store_t *s, char **err)
{
	return store_job_renew_lease(s, ids.running, "w", 1LL << 51, err);
}

static int op_take_over(store_t *s, char **err)
{
	job_t j = get_job(s, ids.running);
	int rc = store_job_take_over(s, &j, "w", j.lease_until, "w2", 1LL << 51, err);
	job_free(&j);
	return rc;
}

static int op_claim(store_t *s, char **err)
{
	job_t *c = NULL;
	size_t n = 0;
	char *hosts[] = {"h2", NULL};
	int rc = store_job_claim(s, "w3", 1LL << 50, hosts, "h2", 2, &c, &n, err);
	if (rc == 0)
		assert_int_equal(n, 2);
	store_job_list_free(c, n);
	return rc;
}

static int op_claim_any(store_t *s, char **err)
{
	job_t *c = NULL;
	size_t n = 0;
	int rc = store_job_claim(s, "w3", 1LL << 50, NULL, NULL, 1, &c, &n, err);
	if (rc == 0)
		assert_int_equal(n, 1);
	store_job_list_free(c, n);
	return rc;
}

static int op_claim_spread(store_t *s, char **err)
{
	job_t *c = NULL;
	size_t n = 0, picked = 9;
	const store_claim_host_t hosts[] = {{"h1", 1}, {"h2", 3}};
	int rc = store_job_claim_spread(s, "w3", 1LL << 50, hosts, 2, &c, &n, &picked, err);
	if (rc == 0) {
		assert_int_equal(n, 1);
		assert_true(picked < 2);
	}
	store_job_list_free(c, n);
	return rc;
}

static int op_job_delete(store_t *s, char **err)
{
	return store_job_delete(s, ids.completed, err);
}

static int op_output_put(store_t *s, char **err)
{
	job_output_t o = {.data = (char *)"partial", .len = 7, .total_bytes = 7};
	return store_output_put(s, ids.running, 1, JOB_STDERR, &o, err);
}

static int op_cleanup_delete(store_t *s, char **err)
{
	store_cleanup_counts_t removed = {0};
	int64_t two[] = {ids.completed, ids.queued};
	int rc = store_cleanup_delete(s, two, 2, 1LL << 60, &removed, err);
	if (rc == 0)
		assert_int_equal(removed.jobs, 1);
	return rc;
}

static int op_vacuum(store_t *s, char **err)
{
	int64_t before = 0, after = 0;
	return store_vacuum(s, &before, &after, err);
}

static int op_sample_add(store_t *s, char **err)
{
	return sample_add(s, STORE_SAMPLE_PREFIX "x", err);
}

static int op_sample_clear(store_t *s, char **err)
{
	static const char *const hosts[] = {"h2", "h1", "nope", NULL};
	static const char *const templates[] = {"t2", "nope", NULL};
	store_sample_counts_t c;
	return store_sample_clear(s, hosts, templates, false, &c, err);
}

static int op_sample_clear_dry(store_t *s, char **err)
{
	static const char *const hosts[] = {"h2", NULL}, *const templates[] = {"t1", NULL};
	store_sample_counts_t c;
	return store_sample_clear(s, hosts, templates, true, &c, err);
}

/* Several writes in one caller transaction, the inner ones on savepoints,
 * the job counts written at the commit: all or nothing. */
static int op_tx_group(store_t *s, char **err)
{
	if (store_begin(s, err) < 0)
		return -1;
	int rc = op_job_finish(s, err);
	if (rc == 0)
		rc = op_host_add(s, err);
	if (rc == 0)
		rc = op_output_put(s, err);
	if (rc < 0) {
		store_rollback(s);
		return -1;
	}
	return store_commit(s, err);
}

/* A bulk insert inside a caller's transaction (two savepoint levels
 * between them) opens no savepoint of its own: once it fails, the caller's
 * transaction can no longer commit, and every store call inside it says
 * so rather than write; each level ends refused or rolled back. */
static int op_tx_bulk(store_t *s, char **err)
{
	int levels = 0;
	while (levels < 3 && store_begin(s, err) == 0)
		levels++;
	if (levels < 3) {
		while (levels-- > 0)
			store_rollback(s);
		return -1;
	}
	int rc = op_job_add_many(s, err);
	if (rc < 0) {
		static const char *const gone = "rolled back after an earlier error";
		char *e2 = NULL;
		if (op_output_put(s, &e2) != -1 || !e2 || !strstr(e2, gone))
			fail_msg("a lean write after a failed bulk insert: %s", e2 ? e2 : "(none)");
		free(e2);
		e2 = NULL;
		if (op_host_add(s, &e2) != -1 || !e2 || !strstr(e2, gone))
			fail_msg("a write after a failed bulk insert: %s", e2 ? e2 : "(none)");
		free(e2);
		e2 = NULL;
		if (store_commit(s, &e2) != -1 || !e2 || !strstr(e2, gone))
			fail_msg("the inner commit after a failed bulk insert: %s",
				 e2 ? e2 : "(none)");
		free(e2);
		e2 = NULL;
		store_rollback(s);
		assert_int_equal(s->depth, 1);
		if (store_commit(s, &e2) != -1 || !e2 || !strstr(e2, gone))
			fail_msg("the commit after a failed bulk insert: %s", e2 ? e2 : "(none)");
		free(e2);
		return -1;
	}
	for (int i = 0; i < 2; i++)
		if (store_commit(s, err) < 0) {
			while (s->depth > 0)
				store_rollback(s);
			return -1;
		}
	return store_commit(s, err);
}

/* The readers that take a snapshot of their own, inside a caller's
 * transaction: the caller's is the snapshot, and stays the caller's. */
static int op_reads_in_tx(store_t *s, char **err)
{
	if (store_begin(s, err) < 0)
		return -1;
	int rc = op_status(s, err);
	if (rc == 0)
		rc = op_report(s, err);
	if (rc == 0 && !tx_open_now(s))
		fail_msg("a reader ended its caller's transaction");
	if (rc < 0) {
		store_rollback(s);
		return -1;
	}
	return store_commit(s, err);
}

static int op_worker_register(store_t *s, char **err)
{
	store_worker_t w = {.id = (char *)"w2", .machine = (char *)"m", .pid = 2,
			    .started_at = 20, .heartbeat_at = 20, .lease_until = 1LL << 50,
			    .hosts = (char *)"h1 h2"};
	return store_worker_register(s, &w, err);
}

static int op_worker_heartbeat(store_t *s, char **err)
{
	int rc = store_worker_heartbeat(s, "w", 30, 1LL << 50, "h1", err);
	if (rc == 1)
		fail_msg("the registered worker was not found");
	return rc;
}

static int op_worker_stop(store_t *s, char **err)
{
	return store_worker_stop(s, "w", err);
}

static int op_worker_list(store_t *s, char **err)
{
	store_worker_t *v = NULL;
	size_t n = 0;
	int rc = store_worker_list(s, 40, &v, &n, err);
	if (rc == 0 && (n != 1 || v[0].jobs_held != 2))
		fail_msg("worker list: %zu workers, the first holding %lld jobs", n,
			 n ? (long long)v[0].jobs_held : -1LL);
	store_worker_list_free(v, n);
	return rc;
}

static int op_worker_dead(store_t *s, char **err)
{
	int rc = store_worker_dead(s, "w", 40, err);
	return rc < 0 ? -1 : 0;
}

/* db copy: the store under test and another, both on the faulty driver.
 * The other store is kept from one run to the next while the copy fails
 * (a failed copy must leave it as it was, so the next run's copy, into
 * the same target or from the same source, shows that nothing of the
 * failed one is in the way), and made afresh after a copy that went
 * through. */
static const char *run_dir;

static struct {
	store_t *s;
	char *path;
	char *before; /* its fingerprint; NULL for a new target */
} kept;

static void remove_store_files(char *path);
static bool tx_open(store_t *s);
static const char *running_statement(store_t *s);

/* The copy's other store, opened at run_dir/name when none is kept (a
 * copy of the populated store there first when from_base; migrated when
 * migrate), on the faulty driver, its statement cache emptied for the
 * prepare pass. */
static store_t *other_store(const char *name, bool from_base, bool migrate, const char *role)
{
	if (!kept.s) {
		char *err = NULL;
		kept.path = path_join(run_dir, name);
		if (from_base)
			copy_file(base_path, kept.path);
		OK(store_open(kept.path, migrate, &kept.s, &err));
		assert_int_equal(sqlite3_exec(db_of(kept.s), "PRAGMA synchronous = OFF", NULL,
					      NULL, NULL),
				 SQLITE_OK);
		kept.before = migrate ? db_fingerprint(kept.path) : NULL;
		kept.s->drv = &faulty;
	}
	if (fault.kind == F_PREPARE || !other)
		clear_cache(kept.s);
	other = kept.s;
	other_role = role;
	return kept.s;
}

/* After the run: kept while copies fail, closed and removed after one
 * that went through. */
static void other_done(int rc)
{
	other = NULL;
	if (rc < 0)
		return;
	store_close(kept.s);
	remove_store_files(kept.path);
	free(kept.before);
	kept.s = NULL;
	kept.path = kept.before = NULL;
}

/* What a copy that failed must have left in the other store (the
 * framework checks the store under test): no statement running, no
 * transaction open (unless every later statement fails too, or its own
 * read's end was what failed), the data it had (a new target: migrated
 * perhaps, but empty), and the next call works. */
static void other_as_it_was(const char *what)
{
	store_t *t = kept.s;
	const char *left = running_statement(t);
	if (left)
		fail_msg("%s (%s %ld of \"%s\"): statement left running in the %s: %s", what,
			 kind_names[fault.kind], fault.at, fault.sql, other_role, left);
	if (!fault.persistent && tx_open(t) && strcmp(fault.sql, "source: COMMIT") != 0)
		fail_msg("%s (%s %ld of \"%s\"): transaction left open in the %s", what,
			 kind_names[fault.kind], fault.at, fault.sql, other_role);
	char *err = NULL;
	if (kept.before) {
		char *after = db_fingerprint(kept.path);
		if (strcmp(kept.before, after) != 0)
			fail_msg("%s (%s %ld of \"%s\"): the %s changed", what,
				 kind_names[fault.kind], fault.at, fault.sql, other_role);
		free(after);
	} else {
		store_copy_counts_t c;
		OK(store_copy_contents(t, &c, &err));
		if (!store_copy_counts_empty(&c))
			fail_msg("%s (%s %ld of \"%s\"): the new %s holds %lld jobs, %lld hosts",
				 what, kind_names[fault.kind], fault.at, fault.sql, other_role,
				 (long long)c.jobs, (long long)c.hosts);
	}
	/* The next call works and ends whatever was left (for a new target
	 * that a failed migration left behind the schema: the count above). */
	int64_t hosts = 0;
	if ((kept.before && store_host_count(t, &hosts, &err) != 0) || tx_open(t))
		fail_msg("%s (%s %ld of \"%s\"): the %s is not usable after: %s", what,
			 kind_names[fault.kind], fault.at, fault.sql, other_role,
			 err ? err : "transaction open");
}

/* After a copy that returned 0: the target holds what the populated store
 * holds (a commit that failed unnoticed would leave it empty). */
static void copied_all(store_t *t, const store_copy_counts_t *c, const char *what)
{
	char *err = NULL;
	store_copy_counts_t in;
	OK(store_copy_contents(t, &in, &err));
	if (c->jobs != 7 || c->hosts != 3 || c->templates != 2 || in.jobs != c->jobs ||
	    in.hosts != c->hosts || in.templates != c->templates ||
	    in.history_rows != c->history_rows || in.output_rows != c->output_rows)
		fail_msg("%s (%s %ld of \"%s\"): %lld jobs, %lld hosts and %lld templates copied, "
			 "the target holds %lld, %lld and %lld", what, kind_names[fault.kind],
			 fault.at, fault.sql, (long long)c->jobs, (long long)c->hosts,
			 (long long)c->templates, (long long)in.jobs, (long long)in.hosts,
			 (long long)in.templates);
}

/* The populated store copied into another (migrated first when migrated;
 * else the copy migrates it). */
static int copy_out(store_t *s, bool migrated, const char *what, char **err)
{
	store_t *t = other_store(migrated ? "target.db" : "new-target.db", false, migrated,
				 "target");
	store_copy_counts_t c;
	int rc = store_copy(s, t, false, &c, NULL, NULL, err);
	pause_faults();
	if (rc < 0)
		other_as_it_was(what);
	else
		copied_all(t, &c, what);
	resume_faults();
	other_done(rc);
	return rc;
}

static int op_copy_out(store_t *s, char **err)
{
	return copy_out(s, true, "copy_out", err);
}

static int op_copy_out_new(store_t *s, char **err)
{
	return copy_out(s, false, "copy_out_new", err);
}

/* Another store copied over the one under test (--force): a failed copy
 * leaves both as they were (the framework checks the target). A reader in
 * the table below, for its COMMITs: the one it may survive is the end of
 * its read of what the target holds; a commit of the copy that failed
 * unnoticed would show in what the target holds, checked here. */
static int op_copy_in(store_t *s, char **err)
{
	store_t *src = other_store("source.db", true, true, "source");
	store_copy_counts_t c;
	int rc = store_copy(src, s, true, &c, NULL, NULL, err);
	pause_faults();
	other_as_it_was("copy_in");
	if (rc == 0)
		copied_all(s, &c, "copy_in");
	resume_faults();
	other_done(rc);
	return rc;
}

typedef struct {
	const char *name;
	op_fn fn;
	bool reader;
	/* Left out of the bind pass: its binds are another op's, in the same
	 * order (copy_out_new's and copy_in's are copy_out's, some 500, each
	 * a whole copy to run). */
	bool binds_elsewhere;
} op_t;

#define R(f) {#f, op_##f, true, false}
#define W(f) {#f, op_##f, false, false}
#define R_NO_BINDS(f) {#f, op_##f, true, true}
static const op_t ops[] = {
	R(host_get),          R(host_list),         R(host_count),        R(template_get),
	R(template_list),     R(job_get),           R(job_list),          R(job_counts),
	R(history),           R(job_detail),        R(ready_count),       R(active_on),         R(output_get),
	R(status),            R(report),            R(cleanup_list),      R(stats),
	R(check),             R(schema_version),    R(open_steps),        R(job_exists),
	W(host_add),          W(host_update),       W(host_checked),      W(host_remove_unused),
	W(host_remove_refused), W(template_add),    W(template_remove),   W(job_add),
	W(job_add_many),      W(job_move),          W(job_move_lost),     W(job_finish),
	W(job_move_via),      W(job_move_ran_on),   W(job_update),        W(job_update_ran_on),
	W(renew_lease),       W(take_over),         W(claim),             W(claim_any),         W(claim_spread),
	W(job_delete),        W(output_put),
	W(cleanup_delete),    W(vacuum),            W(sample_add),        W(sample_clear),
	W(sample_clear_dry),  W(tx_group),          W(tx_bulk),           R(reads_in_tx),
	W(worker_register),   W(worker_heartbeat),  W(worker_stop),       R(worker_list),
	R(worker_dead),       R(copy_out),          R_NO_BINDS(copy_out_new), R_NO_BINDS(copy_in),
};
#define NOPS (sizeof(ops) / sizeof(ops[0]))

/* ---- what a failed run must look like ---- */

/* The failures a call survives on purpose: the statement (its SQL starts
 * so) and why it may fail without failing the call. */
static const struct {
	const char *sql;
	bool readers_only;
	const char *why;
} tolerated[] = {
	{"COMMIT", true, "the end of a read snapshot: what was read is whole; an open read "
			 "is ended by the next call's tx_heal"},
	{"ROLLBACK", false, "runs only after the call has already failed (or refused, as host "
			    "remove of a host in use): the call says why; the transaction left "
			    "open is finished by the next call's tx_heal"},
	{"PRAGMA wal_checkpoint(TRUNCATE)", false,
	 "after VACUUM, moving the log into the file is best effort (sqlite_maint.c)"},
	{"source: COMMIT", false, "db copy's end of its read of the source (as COMMIT above)"},
	{"target: COMMIT", false, "db copy's end of its read of what the target holds (as COMMIT "
				  "above; a copy's own commit that failed unnoticed would show in "
				  "what the target holds, which copy_out checks)"},
};

static const char *tolerated_why(const op_t *op)
{
	for (size_t i = 0; i < sizeof(tolerated) / sizeof(tolerated[0]); i++)
		if (strncmp(fault.sql, tolerated[i].sql, strlen(tolerated[i].sql)) == 0 &&
		    (!tolerated[i].readers_only || op->reader))
			return tolerated[i].why;
	return NULL;
}

/* What the message of each kind of failure must hold, after what failed. */
static const char *expected_words(int rc)
{
	switch (rc) {
	case DB_E_ERROR: return ": injected fault";
	case DB_E_BUSY: return ": the job store is busy";
	case DB_E_FULL: return ": the disk holding the job store";
	case DB_E_READONLY: return "cannot be written";
	case DB_E_TOOBIG: return ": a value is too large for the job store";
	case DB_E_NOMEM: return "out of memory";
	default: return "?";
	}
}

static bool tx_open(store_t *s)
{
	return s->depth != 0 || !sqlite3_get_autocommit(db_of(s));
}

/* A statement left stepping keeps a read snapshot and holds back
 * checkpoints (store_int.h: give every statement back, on every path). */
static const char *running_statement(store_t *s)
{
	for (sqlite3_stmt *st = sqlite3_next_stmt(db_of(s), NULL); st;
	     st = sqlite3_next_stmt(db_of(s), st))
		if (sqlite3_stmt_busy(st))
			return sqlite3_sql(st);
	return NULL;
}

static bool verbose;
static long total_points;

static void check_message(const op_t *op, const char *err)
{
	const char *want = expected_words(fault.rc);
	const char *at = err ? strstr(err, want) : NULL;
	if (!at)
		fail_msg("%s (%s %ld of \"%s\"): message \"%s\" lacks \"%s\"", op->name,
			 kind_names[fault.kind], fault.at, fault.sql, err ? err : "(none)", want);
	if (strchr(err, '\n'))
		fail_msg("%s: message of more than one line: \"%s\"", op->name, err);
	/* What failed comes first: never the bare reason. */
	if (fault.rc != DB_E_NOMEM && (at == err || strncmp(err, "injected", 8) == 0))
		fail_msg("%s (%s %ld of \"%s\"): \"%s\" does not say what failed", op->name,
			 kind_names[fault.kind], fault.at, fault.sql, err);
	if (verbose)
		printf("# %-20s %-7s %2ld  %-50.50s  %s\n", op->name, kind_names[fault.kind],
		       fault.at, fault.sql, err);
}

/* The rc that the n-th run injects, for a pass over the given kinds. */
typedef int (*rc_pick_fn)(long n);

static int always_error(long n)
{
	(void)n;
	return DB_E_ERROR;
}

static int always_full(long n)
{
	(void)n;
	return DB_E_FULL;
}

static int always_toobig(long n)
{
	(void)n;
	return DB_E_TOOBIG;
}

/* The kinds the store words itself, in turn. */
static int worded_kinds(long n)
{
	static const int kinds[] = {DB_E_BUSY, DB_E_FULL, DB_E_READONLY, DB_E_NOMEM};
	return kinds[n % (long)(sizeof(kinds) / sizeof(kinds[0]))];
}

static const char *const mode_names[] = {"", " (persistent)", " (transaction dropped)"};

/* Runs op with the n-th call of kind failing, n = 1, 2, ... until op runs
 * to its end without reaching n. Returns how many points op has. With
 * M_PERSISTENT every later call of the kind fails as well, which can leave
 * even the rollback undone: then the next call, still under faults, must
 * refuse saying so, and the first one without faults must heal the store.
 * With M_DROPS the failure ends the whole transaction, as SQLite does. */
static long under_faults(const char *dir, const op_t *op, fault_kind_t kind, rc_pick_fn pick,
			 int mode)
{
	char *path = NULL;
	store_t *s = open_copy(dir, "copy.db", &path);
	run_dir = dir;
	const char *how = mode_names[mode];
	long n;
	/* The data before the call: taken again only after a call that went
	 * through (a failed one is checked to leave them as they were). */
	char *before = NULL;
	for (n = 1; n < 10000; n++) {
		if (kind == F_PREPARE)
			clear_cache(s);
		if (!before)
			before = db_fingerprint(path);
		char *err = NULL;
		arm(kind, n, pick(n), mode);
		int rc = op->fn(s, &err);
		const char *left = running_statement(s);
		if (left)
			fail_msg("%s (%s %ld%s of \"%s\"): statement left running: %s", op->name,
				 kind_names[kind], n, how, fault.sql, left);
		if (!fault.injected) {
			disarm();
			if (rc < 0)
				fail_msg("%s failed without a fault: %s", op->name,
					 err ? err : "(no message)");
			free(err);
			break;
		}
		if (rc >= 0) {
			if (!tolerated_why(op))
				fail_msg("%s returned %d though %s %ld%s (\"%s\") failed", op->name, rc,
					 kind_names[kind], n, how, fault.sql);
		} else {
			check_message(op, err);
			if (!(mode & M_PERSISTENT) && tx_open(s))
				fail_msg("%s (%s %ld%s of \"%s\"): transaction left open after: %s",
					 op->name, kind_names[kind], n, how, fault.sql, err);
			char *after = db_fingerprint(path);
			if (strcmp(before, after) != 0)
				fail_msg("%s (%s %ld%s of \"%s\"): data changed by a failed call (%s)",
					 op->name, kind_names[kind], n, how, fault.sql, err);
			free(after);
		}
		char *e2 = NULL;
		int64_t hosts = 0;
		if (mode & M_PERSISTENT) {
			/* Still failing: the next call refuses, and says why. */
			bool was_open = tx_open(s);
			if (store_host_count(s, &hosts, &e2) != -1 || !e2 ||
			    !strstr(e2, was_open ? "cannot roll back an earlier failed write: "
						   "injected fault"
						 : ": injected fault"))
				fail_msg("%s (%s %ld%s of \"%s\"): the next call under faults: %s",
					 op->name, kind_names[kind], n, how, fault.sql,
					 e2 ? e2 : "(no message)");
			free(e2);
			e2 = NULL;
			/* Those that start elsewhere than store_ready refuse as well. */
			int version = 0;
			if (store_begin(s, &e2) != -1 || !e2 || !strstr(e2, ": injected fault"))
				fail_msg("%s (%s %ld%s): store_begin under faults: %s", op->name,
					 kind_names[kind], n, how, e2 ? e2 : "(no message)");
			free(e2);
			e2 = NULL;
			if (store_schema_version(s, &version, NULL, &e2) != -1 || !e2 ||
			    !strstr(e2, ": injected fault"))
				fail_msg("%s (%s %ld%s): store_schema_version under faults: %s",
					 op->name, kind_names[kind], n, how, e2 ? e2 : "(no message)");
			free(e2);
			e2 = NULL;
			char *after = db_fingerprint(path);
			if (strcmp(before, after) != 0)
				fail_msg("%s (%s %ld%s of \"%s\"): data changed after the call",
					 op->name, kind_names[kind], n, how, fault.sql);
			free(after);
		}
		disarm();
		/* The next call works, and ends whatever was left. */
		if (store_host_count(s, &hosts, &e2) != 0 || tx_open(s))
			fail_msg("%s (%s %ld%s of \"%s\"): store not usable after: %s", op->name,
				 kind_names[kind], n, how, fault.sql, e2 ? e2 : "transaction open");
		if (rc >= 0) {
			free(before);
			before = NULL;
		}
		free(err);
	}
	free(before);
	close_copy(s, path);
	total_points += n - 1;
	return n - 1;
}

static void each_op(void **state, fault_kind_t kind, rc_pick_fn pick, int mode)
{
	fixture_t *fx = *state;
	long sum = 0;
	size_t nops = 0;
	for (size_t o = 0; o < NOPS; o++) {
		if (kind == F_BIND && ops[o].binds_elsewhere)
			continue;
		nops++;
		long n = under_faults(fx->dir, &ops[o], kind, pick, mode);
		if (verbose)
			printf("# %s: %ld %s points%s\n", ops[o].name, n, kind_names[kind],
			       mode_names[mode]);
		sum += n;
	}
	printf("# %ld %s points%s over %zu calls\n", sum, kind_names[kind], mode_names[mode],
	       nops);
}

/* Each step (reads, writes, transaction statements, scripts) failing with
 * the database's own words. */
static void test_failed_step(void **state)
{
	each_op(state, F_STEP, always_error, M_ONE);
}

/* Each step failing with the kinds the store words itself: busy, a full
 * disk, a read-only file, no memory. */
static void test_failed_step_worded(void **state)
{
	each_op(state, F_STEP, worded_kinds, M_ONE);
}

/* Each step failing on a full disk the way SQLite fails then: the whole
 * transaction rolled back under the store, at whatever level it was. */
static void test_failed_step_drops_transaction(void **state)
{
	each_op(state, F_STEP, always_full, M_DROPS);
}

/* Each step failing, and every one after it, the rollback's too. */
static void test_failed_step_and_all_after(void **state)
{
	each_op(state, F_STEP, always_error, M_PERSISTENT);
}

/* Each prepare failing, the statement cache empty before every run (so
 * that every statement, the transaction's too, is prepared in it). */
static void test_failed_prepare(void **state)
{
	each_op(state, F_PREPARE, always_error, M_ONE);
}

/* Each bind refused as too large. */
static void test_failed_bind(void **state)
{
	each_op(state, F_BIND, always_toobig, M_ONE);
}

/* store_migrate on a new store, each step or prepare failing: the
 * migration that failed is undone, those before it stay, the message names
 * the migration, and migrating again completes the schema. */
static void migrate_under(fixture_t *fx, fault_kind_t kind)
{
	long n;
	int latest = 0;
	for (n = 1; n < 10000; n++) {
		char name[64], *err = NULL;
		snprintf(name, sizeof(name), "new-%s-%ld.db", kind_names[kind], n);
		char *path = path_join(fx->dir, name);
		store_t *s = NULL;
		OK(store_open(path, false, &s, &err));
		latest = migrations_latest(s);
		go_faulty(s);
		arm(kind, n, DB_E_ERROR, M_ONE);
		int applied = -1;
		int rc = store_migrate(s, &applied, &err);
		disarm();
		const char *left = running_statement(s);
		if (left)
			fail_msg("migrate (%s %ld): statement left running: %s", kind_names[kind], n,
				 left);
		if (!fault.injected) {
			if (rc != 0)
				fail_msg("migrate failed without a fault: %s", err);
			assert_int_equal(applied, latest);
			store_close(s);
			remove_store_files(path);
			break;
		}
		if (rc == 0)
			fail_msg("migrate succeeded though %s %ld (\"%s\") failed", kind_names[kind],
				 n, fault.sql);
		if (!err || !strstr(err, ": injected fault") || strncmp(err, "injected", 8) == 0 ||
		    strchr(err, '\n'))
			fail_msg("migrate (%s %ld of \"%s\"): message \"%s\"", kind_names[kind], n,
				 fault.sql, err ? err : "(none)");
		if (verbose)
			printf("# migrate %-7s %2ld  %-50.50s  %s\n", kind_names[kind], n,
			       fault.sql, err);
		free(err);
		err = NULL;
		assert_false(tx_open(s));
		/* The store knows the version the file has. */
		int current_ = -1;
		int schema = s->schema;
		OK(store_schema_version(s, &current_, NULL, &err));
		assert_int_equal(current_, schema);
		assert_true(current_ <= latest);
		/* Migrating again completes it. */
		OK(store_migrate(s, &applied, &err));
		assert_int_equal(applied, latest - current_);
		assert_int_equal(strlen(store_id(s)), 36);
		store_close(s);
		remove_store_files(path);
	}
	total_points += n - 1;
	printf("# migrate: %ld %s points\n", n - 1, kind_names[kind]);
}

static void test_failed_migration(void **state)
{
	migrate_under(*state, F_STEP);
	migrate_under(*state, F_PREPARE);
	migrate_under(*state, F_BIND);
}

int main(void)
{
	verbose = getenv("READ_FAULTS_VERBOSE") != NULL;
#define T(f) cmocka_unit_test_setup_teardown(f, fx_setup, fx_teardown)
	const struct CMUnitTest tests[] = {
		T(test_failed_step),
		T(test_failed_step_worded),
		T(test_failed_step_drops_transaction),
		T(test_failed_step_and_all_after),
		T(test_failed_prepare),
		T(test_failed_bind),
		T(test_failed_migration),
	};
	int rc = cmocka_run_group_tests(tests, group_setup, group_teardown);
	printf("# %ld fault points in all\n", total_points);
	return rc;
}
