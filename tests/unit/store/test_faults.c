/*
 * tests/unit/store/test_faults.c: every write of the store when SQLite
 * refuses it, and every call on a store that cannot serve it.
 *
 * - A statement that fails: a trigger planted with sqlite3 (RAISE(ABORT))
 *   makes the INSERT, UPDATE or DELETE of one table fail. Every write that
 *   meets it must fail with SQLite's message and leave the file's data
 *   exactly as it was (store.h: "A failed call leaves the database exactly
 *   as it was"), even when the failing statement is the second or third of
 *   its transaction; inside a caller's transaction it undoes only itself
 *   (store_job_add_many excepted: the caller's commit fails instead).
 * - A store whose write lock another connection holds: every write fails
 *   at once (busy timeout 0 here, 5 s in the program) and says so.
 * - A store not migrated yet: every call refuses, naming `cjobs db migrate`.
 * - A status the program does not know, written past the CHECK constraint:
 *   readers refuse it by name, and `db check` reports it.
 *
 * Every store is a real SQLite file in the test's own directory.
 */
#include "helpers.h"

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/copy.h"
#include "store/maint.h"
#include "store/report.h"
#include "store/sqlite_driver.h"
#include "store/store_int.h"

/* ---- set-up ---- */

/* The populated store every case starts from (a copy of its file). */
typedef struct {
	int64_t queued;     /* A: queued, not pinned */
	int64_t running;    /* B: running on h1 for worker "w", attempt 1 */
	int64_t launching;  /* D: launching on h1 for worker "w" */
	int64_t completed;  /* C: completed on h1, with output */
} ids_t;

static ids_t ids;
static char *base_dir, *base_path;

static void faults_exec(const char *path, const char *sql)
{
	sqlite3 *db = NULL;
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	char *msg = NULL;
	sqlite3_exec(db, "PRAGMA synchronous = OFF", NULL, NULL, NULL);
	if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK)
		fail_msg("sqlite3 %s: %s", sql, msg ? msg : "?");
	sqlite3_close(db);
}

static void add_template_named(store_t *s, const char *name)
{
	char *err = NULL;
	static char *env[] = {"A=1", NULL};
	env_template_t t = {.name = (char *)name, .description = (char *)"d", .env = env,
			    .envc = 1};
	OK(store_template_add(s, &t, &err));
}

static job_t *find_job(job_t *jobs, size_t n, int64_t id)
{
	for (size_t i = 0; i < n; i++)
		if (jobs[i].id == id)
			return &jobs[i];
	fail_msg("job %lld was not claimed", (long long)id);
	return NULL;
}

static int group_setup(void **state)
{
	(void)state;
	char *err = NULL;
	base_dir = tmpdir_make();
	base_path = path_join(base_dir, "base.db");
	store_t *s = NULL;
	if (store_open(base_path, true, &s, &err) != 0)
		return -1;
	add_sample_host(s, "h1", 0);
	add_sample_host(s, "h2", 0);
	add_template_named(s, "t1");
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
	store_job_list_free(c, n);
	ids.queued = add_job(s, 0, NULL, 0);
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

/* A fresh copy of the populated store in the test's own directory. */
static store_t *open_copy(const char *dir, char **path_out)
{
	char *path = path_join(dir, "copy.db"), *err = NULL;
	FILE *in = fopen(base_path, "rb"), *out = fopen(path, "wb");
	assert_non_null(in);
	assert_non_null(out);
	char buf[65536];
	size_t got;
	while ((got = fread(buf, 1, sizeof(buf), in)) > 0)
		assert_int_equal(fwrite(buf, 1, got, out), got);
	fclose(in);
	fclose(out);
	store_t *s = NULL;
	OK(store_open(path, true, &s, &err));
	/* Hundreds of copies: durability against power loss is not what is
	 * tested here, and fsync would make the test slow. */
	assert_int_equal(sqlite3_exec(store_db(s), "PRAGMA synchronous = OFF", NULL, NULL, NULL),
			 SQLITE_OK);
	*path_out = path;
	return s;
}

static job_t get_job(store_t *s, int64_t id)
{
	char *err = NULL;
	job_t j;
	OK(store_job_get(s, id, &j, &err));
	return j;
}

/* ---- the writes ---- */

typedef int (*op_fn)(store_t *s, char **err);

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
	if (store_host_get(s, "h2", &h, &e2) != 0)
		fail_msg("host h2: %s", e2 ? e2 : "missing");
	h.max_jobs = 9;
	int rc = store_host_update(s, &h, err);
	host_free(&h);
	return rc;
}

static int op_host_checked(store_t *s, char **err)
{
	return store_host_checked(s, "h2", false, "down", err);
}

static int op_host_remove(store_t *s, char **err)
{
	return store_host_remove(s, "h2", err);
}

static int op_template_add(store_t *s, char **err)
{
	static char *env[] = {"B=2", NULL};
	env_template_t t = {.name = (char *)"t2", .env = env, .envc = 1};
	return store_template_add(s, &t, err);
}

static int op_template_remove(store_t *s, char **err)
{
	return store_template_remove(s, "t1", err);
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
	int64_t out[3];
	int rc = store_job_add_many(s, &j, 1, 3, NULL, "submit", "fault test", out, err);
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

static int op_job_update(store_t *s, char **err)
{
	job_t j = get_job(s, ids.running);
	free(j.last_error);
	j.last_error = strdup("noted");
	int rc = store_job_update(s, &j, JOB_SET_LAST_ERROR, err);
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
	int rc = store_job_claim(s, "w3", 1LL << 50, NULL, "h2", 1, &c, &n, err);
	if (rc == 0)
		assert_int_equal(n, 1);
	store_job_list_free(c, n);
	return rc;
}

static int op_claim_spread(store_t *s, char **err)
{
	job_t *c = NULL;
	size_t n = 0, picked = 0;
	const store_claim_host_t hosts[] = {{"h1", 1}, {"h2", 2}};
	int rc = store_job_claim_spread(s, "w3", 1LL << 50, hosts, 2, &c, &n, &picked, err);
	if (rc == 0)
		assert_int_equal(n, 1);
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
	int rc = store_cleanup_delete(s, &ids.completed, 1, 1LL << 60, &removed, err);
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
	job_t j;
	job_init(&j);
	j.name = strdup(STORE_SAMPLE_PREFIX "x");
	j.image = strdup("img");
	j.status = JOB_COMPLETED;
	j.attempt = 1;
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

static int op_sample_clear(store_t *s, char **err)
{
	static const char *const hosts[] = {"h2", NULL}, *const templates[] = {"t1", NULL};
	store_sample_counts_t c;
	return store_sample_clear(s, hosts, templates, false, &c, err);
}

typedef struct {
	const char *name;
	op_fn fn;
} op_t;

#define OP(f) {#f, op_##f}
static const op_t ops[] = {
	OP(host_add),      OP(host_update),   OP(host_checked),   OP(host_remove),
	OP(template_add),  OP(template_remove), OP(job_add),      OP(job_add_many),
	OP(job_move),      OP(job_finish),    OP(job_move_via),   OP(job_update),
	OP(renew_lease),   OP(take_over),     OP(claim),          OP(claim_spread),   OP(job_delete),
	OP(output_put),    OP(cleanup_delete), OP(vacuum),
	OP(sample_add),    OP(sample_clear),
};
#define NOPS (sizeof(ops) / sizeof(ops[0]))

/* The faults: one table, one kind of statement. */
static const char *const faults[][2] = {
	{"hosts", "INSERT"},       {"hosts", "UPDATE"},       {"hosts", "DELETE"},
	{"env_templates", "INSERT"}, {"env_templates", "DELETE"},
	{"jobs", "INSERT"},        {"jobs", "UPDATE"},        {"jobs", "DELETE"},
	{"job_history", "INSERT"}, {"job_history", "DELETE"},
	{"job_output", "INSERT"},  {"job_output", "DELETE"},
	{"job_counts", "INSERT"},  {"job_counts", "UPDATE"},  {"job_counts", "DELETE"},
	{"job_run_times", "INSERT"}, {"job_run_times", "UPDATE"},
};
#define NFAULTS (sizeof(faults) / sizeof(faults[0]))

static void plant(const char *path, size_t f)
{
	char sql[256];
	snprintf(sql, sizeof(sql),
		 "CREATE TRIGGER planted_fault BEFORE %s ON %s "
		 "BEGIN SELECT RAISE(ABORT, 'injected fault'); END;",
		 faults[f][1], faults[f][0]);
	faults_exec(path, sql);
}

static bool template_exists(store_t *s, const char *name)
{
	char *err = NULL;
	env_template_t t;
	int rc = store_template_get(s, name, &t, &err);
	assert_true(rc == 0 || rc == 1);
	if (rc == 0)
		env_template_free(&t);
	return rc == 0;
}

/* Which statements an op makes when nothing fails: a bit per fault, read
 * from triggers that note each table and kind of statement (BEFORE, like
 * the faults, so that both see the same statements). */
static unsigned observe_run(const char *dir, size_t o)
{
	char *path = NULL, *err = NULL;
	store_t *s = open_copy(dir, &path);
	faults_exec(path, "CREATE TABLE planted_log (f INTEGER)");
	for (size_t f = 0; f < NFAULTS; f++) {
		char sql[256];
		snprintf(sql, sizeof(sql),
			 "CREATE TRIGGER planted_log_%zu BEFORE %s ON %s "
			 "BEGIN INSERT INTO planted_log SELECT %zu WHERE NOT EXISTS "
			 "(SELECT 1 FROM planted_log WHERE f = %zu); END;",
			 f, faults[f][1], faults[f][0], f, f);
		faults_exec(path, sql);
	}
	if (ops[o].fn(s, &err) != 0)
		fail_msg("%s without a fault: %s", ops[o].name, err ? err : "(no message)");
	unsigned seen = 0;
	sqlite3_stmt *st = NULL;
	assert_int_equal(sqlite3_prepare_v2(store_db(s), "SELECT f FROM planted_log", -1, &st,
					    NULL),
			 SQLITE_OK);
	while (sqlite3_step(st) == SQLITE_ROW)
		seen |= 1u << sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	store_close(s);
	remove(path);
	free(path);
	return seen;
}

static unsigned observed[NOPS];
static bool observed_done[NOPS];

static unsigned observe(const char *dir, size_t o)
{
	if (!observed_done[o]) {
		observed[o] = observe_run(dir, o);
		observed_done[o] = true;
	}
	return observed[o];
}

/* Every write under each fault on a statement it makes (as observed
 * without the fault): it fails, says why, and leaves the data as it was,
 * also when the failing statement is not its first. Every write makes some
 * statement a fault can stop, so each one's undo is checked. */
static void test_failed_statement_changes_nothing(void **state)
{
	fixture_t *fx = *state;
	for (size_t o = 0; o < NOPS; o++) {
		unsigned touches = observe(fx->dir, o);
		if (!touches)
			fail_msg("%s made no statement a fault can stop", ops[o].name);
		for (size_t f = 0; f < NFAULTS; f++) {
			/* A fault on a statement the op does not make cannot stop it
			 * (and costs a copy of the store to show). */
			if (!(touches & (1u << f)))
				continue;
			char *path = NULL, *err = NULL;
			store_t *s = open_copy(fx->dir, &path);
			plant(path, f);
			char *before = db_fingerprint(path);
			int rc = ops[o].fn(s, &err);
			char *after = db_fingerprint(path);
			if (rc != -1 || !err || !strstr(err, "injected fault"))
				fail_msg("%s under %s %s returned %d: \"%s\"", ops[o].name, faults[f][1],
					 faults[f][0], rc, err ? err : "(no message)");
			if (strcmp(before, after) != 0)
				fail_msg("%s under %s %s failed but changed the store", ops[o].name,
					 faults[f][1], faults[f][0]);
			assert_true(sqlite3_get_autocommit(store_db(s)));
			free(err);
			free(before);
			free(after);
			store_close(s);
			remove(path);
			free(path);
		}
	}
}

/* The same writes inside a caller's transaction that wrote something
 * before: a failed write undoes only itself and the caller commits the
 * rest, except store_job_add_many (documented), whose failure makes the
 * caller's commit fail and undo everything. A fault that only the commit
 * meets (the job counts are written then) undoes everything too. */
static void test_failed_statement_inside_caller_transaction(void **state)
{
	fixture_t *fx = *state;
	size_t checked = 0;
	for (size_t f = 0; f < NFAULTS; f++) {
		if (strcmp(faults[f][0], "env_templates") == 0)
			continue; /* the caller's own write is a template */
		for (size_t o = 0; o < NOPS; o++) {
			if (ops[o].fn == op_vacuum)
				continue; /* refuses to run inside a transaction */
			if (!(observe(fx->dir, o) & (1u << f)))
				continue; /* the fault cannot stop it */
			char *path = NULL, *err = NULL;
			store_t *s = open_copy(fx->dir, &path);
			plant(path, f);
			char *before = db_fingerprint(path);
			OK(store_begin(s, &err));
			add_template_named(s, "kept");
			int rc = ops[o].fn(s, &err);
			free(err);
			err = NULL;
			int crc = store_commit(s, &err);
			if (rc < 0 && ops[o].fn != op_job_add_many) {
				if (crc != 0)
					fail_msg("%s under %s %s: the caller's commit failed: %s",
						 ops[o].name, faults[f][1], faults[f][0], err);
				assert_true(template_exists(s, "kept"));
				OK(store_template_remove(s, "kept", &err));
				char *after = db_fingerprint(path);
				if (strcmp(before, after) != 0)
					fail_msg("%s under %s %s: the failed write left changes",
						 ops[o].name, faults[f][1], faults[f][0]);
				free(after);
				checked++;
			} else if (crc != 0) {
				assert_non_null(err);
				assert_true(strstr(err, "injected fault") ||
					    strstr(err, "rolled back after an earlier error"));
				assert_false(template_exists(s, "kept"));
				char *after = db_fingerprint(path);
				if (strcmp(before, after) != 0)
					fail_msg("%s under %s %s: the failed commit left changes",
						 ops[o].name, faults[f][1], faults[f][0]);
				free(after);
				checked++;
			}
			assert_true(sqlite3_get_autocommit(store_db(s)));
			free(err);
			free(before);
			store_close(s);
			remove(path);
			free(path);
		}
	}
	assert_true(checked >= NOPS);
}

/* Another connection holds the write lock: every write fails at BEGIN,
 * says the store is busy, and writes nothing. */
static void test_busy_store_refuses_every_write(void **state)
{
	fixture_t *fx = *state;
	char *path = NULL;
	store_t *s = open_copy(fx->dir, &path);
	sqlite3_busy_timeout(store_db(s), 0);
	sqlite3 *holder = NULL;
	assert_int_equal(sqlite3_open(path, &holder), SQLITE_OK);
	assert_int_equal(sqlite3_exec(holder, "BEGIN IMMEDIATE", NULL, NULL, NULL), SQLITE_OK);
	char *before = db_fingerprint(path);
	for (size_t o = 0; o < NOPS; o++) {
		char *err = NULL;
		int rc = ops[o].fn(s, &err);
		if (rc != -1 || !err || !strstr(err, "busy"))
			fail_msg("%s on a locked store returned %d: %s", ops[o].name, rc,
				 err ? err : "(no message)");
		free(err);
		assert_true(sqlite3_get_autocommit(store_db(s)));
	}
	/* Inside a caller's transaction, the savepoint levels see the lock
	 * already taken at the outermost level: refused there, once. */
	char *err = NULL;
	assert_int_equal(store_begin(s, &err), -1);
	assert_err_contains(err, "busy");
	sqlite3_exec(holder, "ROLLBACK", NULL, NULL, NULL);
	sqlite3_close(holder);
	char *after = db_fingerprint(path);
	assert_string_equal(before, after);
	free(before);
	free(after);
	store_close(s);
	free(path);
}

/* ---- a store not migrated yet ---- */

static void test_unmigrated_store_refuses_every_call(void **state)
{
	fixture_t *fx = *state;
	char *path = path_join(fx->dir, "new.db"), *err = NULL;
	store_t *s = NULL;
	OK(store_open(path, false, &s, &err));
	char *before = db_fingerprint(path);
	for (size_t o = 0; o < NOPS; o++) {
		if (ops[o].fn == op_host_update || ops[o].fn == op_job_move ||
		    ops[o].fn == op_job_finish || ops[o].fn == op_job_move_via ||
		    ops[o].fn == op_job_update || ops[o].fn == op_take_over)
			continue; /* these read the job first; below */
		int rc = ops[o].fn(s, &err);
		if (rc != -1 || !err || !strstr(err, "cjobs db migrate"))
			fail_msg("%s on an unmigrated store returned %d: %s", ops[o].name, rc,
				 err ? err : "(no message)");
		free(err);
		err = NULL;
	}
	/* The writes that take a record, given one. */
	job_t j;
	sample_job(&j);
	j.id = 1;
	host_t h;
	sample_host(&h, "h");
#define REFUSED(call)                                                              \
	do {                                                                       \
		if ((call) != -1 || !err || !strstr(err, "cjobs db migrate"))      \
			fail_msg("%s: %s", #call, err ? err : "(no message)");     \
		free(err);                                                         \
		err = NULL;                                                        \
	} while (0)
	REFUSED(store_host_update(s, &h, &err));
	REFUSED(store_job_move(s, &j, JOB_QUEUED, JOB_CANCELLED, 0, "t", NULL, &err));
	REFUSED(store_job_move_via(s, &j, JOB_LAUNCHING, JOB_RUNNING, JOB_COMPLETED, 0, "t", NULL,
				   NULL, &err));
	REFUSED(store_job_update(s, &j, JOB_SET_LAST_ERROR, &err));
	REFUSED(store_job_take_over(s, &j, "w", 1, "w2", 2, &err));
	/* Every reader. */
	host_t *hl = NULL;
	env_template_t t, *tl = NULL;
	job_t *jl = NULL, got;
	job_event_t *ev = NULL;
	job_output_t out;
	size_t n = 0;
	int64_t count = 0, next = 0, counts[JOB_STATUS_COUNT], *idl = NULL;
	host_t hg;
	REFUSED(store_host_get(s, "h", &hg, &err));
	REFUSED(store_host_list(s, &hl, &n, &err));
	REFUSED(store_host_count(s, &count, &err));
	REFUSED(store_template_get(s, "t", &t, &err));
	REFUSED(store_template_list(s, &tl, &n, &err));
	REFUSED(store_job_get(s, 1, &got, &err));
	REFUSED(store_job_list(s, NULL, &jl, &n, &err));
	REFUSED(store_job_counts(s, counts, &err));
	REFUSED(store_history(s, 1, &ev, &n, &err));
	REFUSED(store_job_ready_count(s, NULL, 1, 0, &count, &next, &err));
	REFUSED(store_job_active_on(s, "h", &count, &err));
	REFUSED(store_output_get(s, 1, 0, JOB_STDOUT, &out, &err));
	store_status_t st;
	REFUSED(store_status(s, NULL, 1, &st, &err));
	store_report_t r;
	REFUSED(store_report(s, 0, 1, NULL, &r, &err));
	REFUSED(store_cleanup_list(s, 1, &idl, &n, &count, &err));
	store_stats_t stats;
	REFUSED(store_stats(s, &stats, &err));
	store_problem_t *p = NULL;
	REFUSED(store_check(s, &p, &n, &err));
	char *dest = path_join(fx->dir, "backup.db");
	REFUSED(store_backup(s, dest, false, &count, NULL, NULL, &err));
	/* The worker registry, and a copy from it. */
	store_worker_t w = {.id = "m:1:w", .lease_until = 1LL << 50};
	store_worker_t *wl = NULL;
	REFUSED(store_worker_register(s, &w, &err));
	REFUSED(store_worker_heartbeat(s, "m:1:w", 1, 2, "h", &err));
	REFUSED(store_worker_stop(s, "m:1:w", &err));
	REFUSED(store_worker_list(s, 1, &wl, &n, &err));
	REFUSED(store_worker_dead(s, "m:1:w", 1, &err));
	store_copy_counts_t copied;
	REFUSED(store_copy(s, fx->s, true, &copied, NULL, NULL, &err));
#undef REFUSED
	free(dest);
	host_free(&h);
	job_free(&j);
	char *after = db_fingerprint(path);
	assert_string_equal(before, after);
	free(before);
	free(after);
	store_close(s);
	free(path);
}

/* ---- a status this program does not know ---- */

static void test_unknown_status_is_refused_by_name(void **state)
{
	fixture_t *fx = *state;
	char *path = NULL, *err = NULL;
	store_t *s = open_copy(fx->dir, &path);
	char sql[256];
	snprintf(sql, sizeof(sql),
		 "PRAGMA ignore_check_constraints = ON; "
		 "UPDATE jobs SET status = 'paused' WHERE id = %lld",
		 (long long)ids.completed);
	faults_exec(path, sql);
	job_t j;
	assert_int_equal(store_job_get(s, ids.completed, &j, &err), -1);
	assert_err_contains(err, "unknown job status \"paused\"");
	job_t *jl = NULL;
	size_t n = 0;
	assert_int_equal(store_job_list(s, NULL, &jl, &n, &err), -1);
	assert_err_contains(err, "unknown job status \"paused\"");
	int64_t counts[JOB_STATUS_COUNT];
	assert_int_equal(store_job_counts(s, counts, &err), -1);
	assert_err_contains(err, "unknown job status \"paused\"");
	/* The status of one host is counted from the jobs themselves. */
	store_status_t st;
	assert_int_equal(store_status(s, "h1", 1, &st, &err), -1);
	assert_err_contains(err, "unknown job status \"paused\"");
	store_report_t r;
	assert_int_equal(store_report(s, 0, 1LL << 60, NULL, &r, &err), -1);
	assert_err_contains(err, "unknown job status \"paused\"");
	/* db check names the job and the status. */
	store_problem_t *p = NULL;
	OK(store_check(s, &p, &n, &err));
	bool found = false;
	char want[64];
	snprintf(want, sizeof(want), "job %lld: unknown status 'paused'", (long long)ids.completed);
	for (size_t i = 0; i < n; i++)
		if (p[i].job_id == ids.completed && strstr(p[i].message, want))
			found = true;
	if (!found)
		fail_msg("db check did not report \"%s\" (%zu problems)", want, n);
	store_problems_free(p, n);
	/* A history row with an unknown status: store_history refuses it. */
	snprintf(sql, sizeof(sql),
		 "PRAGMA ignore_check_constraints = ON; "
		 "UPDATE job_history SET to_status = 'paused' WHERE job_id = %lld",
		 (long long)ids.queued);
	faults_exec(path, sql);
	job_event_t *ev = NULL;
	assert_int_equal(store_history(s, ids.queued, &ev, &n, &err), -1);
	assert_err_contains(err, "paused");
	store_close(s);
	free(path);
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, fx_setup, fx_teardown)
	const struct CMUnitTest tests[] = {
		T(test_failed_statement_changes_nothing),
		T(test_failed_statement_inside_caller_transaction),
		T(test_busy_store_refuses_every_write),
		T(test_unmigrated_store_refuses_every_call),
		T(test_unknown_status_is_refused_by_name),
	};
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
