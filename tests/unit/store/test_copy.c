/*
 * tests/unit/store/test_copy.c: store_copy (store/copy.h). The source is an
 * SQLite file; the target is the test's own store (a PostgreSQL database
 * under CJOBS_TEST_STORE=postgresql, else another file), and the copy is
 * copied back into a new file: every record comes back the same, ids go on
 * past the source's, and what must be refused is refused with nothing
 * changed. Also: batches sized by their bytes, a target that keeps other
 * rows than it was given, and every prepare and step of a copy failing on
 * the test's own driver (store-read-faults does SQLite's side in depth).
 */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "helpers.h"
#include "store/copy.h"
#include "store/maint.h"
#include "store/metrics.h"
#include "store/store_int.h"

typedef struct {
	char *dir;
	char *src_path, *mid_path, *back_path;
	store_t *src;
	int64_t removed;   /* the id of the source's last job, removed */
} copy_fx_t;

/* Output of any bytes, NUL and 0xff among them. */
static const char binary[] = "\0\xff\x01 out\n\x80";

static job_output_t out_of(const char *data, size_t len)
{
	return (job_output_t){.data = (char *)data, .len = len, .truncated = false,
			      .total_bytes = (int64_t)len};
}

/* Two hosts, a template, jobs of several statuses with history and output
 * (one with two attempts of binary output), and a removed last job. */
static void fill(copy_fx_t *fx)
{
	char *err = NULL;
	store_t *s = fx->src;
	host_t h;
	sample_host(&h, "gpu-1");
	h.max_jobs = 3;
	h.weight = 7;
	OK(store_host_add(s, &h, &err));
	host_free(&h);
	sample_host(&h, "spare");
	h.enabled = false;
	OK(store_host_add(s, &h, &err));
	host_free(&h);
	env_template_t t = {.name = strdup("base"), .description = strdup("d"), .envc = 1};
	t.env = calloc(2, sizeof(char *));
	t.env[0] = strdup("K=v w");
	OK(store_template_add(s, &t, &err));
	env_template_free(&t);

	static const job_status_t statuses[] = {JOB_COMPLETED, JOB_FAILED, JOB_RUNNING,
						JOB_CANCELLED, JOB_TIMEOUT};
	for (size_t i = 0; i < sizeof(statuses) / sizeof(statuses[0]); i++) {
		job_t j;
		sample_job(&j);
		free(j.name);
		j.name = strdup("sample-copy");
		j.status = statuses[i];
		j.attempt = 2;
		j.created_at = 1700000000000LL + (int64_t)i;
		j.started_at = j.created_at + 1000;
		j.finished_at = j.status == JOB_RUNNING ? 0 : j.created_at + 2000;
		j.has_exit_code = j.status == JOB_COMPLETED || j.status == JOB_FAILED;
		j.exit_code = j.status == JOB_FAILED ? 3 : 0;
		j.ran_on = strdup("gpu-1");
		if (j.status == JOB_RUNNING) {
			j.worker_id = strdup("w:1:2:3");
			j.lease_until = j.created_at + 60000;
		}
		job_output_t o = out_of(binary, sizeof(binary) - 1), e = out_of("err\n", 4);
		OK(store_sample_job_add(s, &j, &o, &e, &err));
		job_output_t first = out_of("attempt one", 11);
		OK(store_output_put(s, j.id, 1, JOB_STDOUT, &first, &err));
		job_free(&j);
	}
	add_job(s, 5, "gpu-1", 0);
	add_job(s, 0, NULL, 0);
	fx->removed = add_job(s, 0, NULL, 0);
	char sql[96];
	snprintf(sql, sizeof(sql), "PRAGMA foreign_keys = ON; DELETE FROM jobs WHERE id = %lld",
		 (long long)fx->removed);
	lite_exec(fx->src_path, sql);
}

static int setup(void **state)
{
	copy_fx_t *fx = calloc(1, sizeof(*fx));
	char *err = NULL;
	if (!fx || !(fx->dir = tmpdir_make()))
		return -1;
	fx->src_path = path_join(fx->dir, "src.db");
	fx->mid_path = test_store_name(fx->dir);
	fx->back_path = path_join(fx->dir, "back.db");
	if (store_open(fx->src_path, true, &fx->src, &err) < 0) {
		fprintf(stderr, "store_open: %s\n", err ? err : "?");
		return -1;
	}
	*state = fx;
	fill(fx);
	return 0;
}

static int teardown(void **state)
{
	copy_fx_t *fx = *state;
	store_close(fx->src);
	test_store_drop(fx->mid_path);
	tmpdir_remove(fx->dir);
	free(fx->dir);
	free(fx->src_path);
	free(fx->mid_path);
	free(fx->back_path);
	free(fx);
	return 0;
}

static store_t *open_target(const char *path)
{
	store_t *s = NULL;
	char *err = NULL;
	OK(store_open(path, false, &s, &err));
	return s;
}

static void same_str(const char *a, const char *b, const char *what, int64_t id)
{
	if ((a == NULL) != (b == NULL) || (a && strcmp(a, b) != 0))
		fail_msg("job %lld: %s differs: \"%s\" and \"%s\"", (long long)id, what,
			 a ? a : "(null)", b ? b : "(null)");
}

static void same_output(store_t *a, store_t *b, int64_t id, int attempt, job_stream_t st)
{
	char *err = NULL;
	job_output_t oa = {0}, ob = {0};
	int ra = store_output_get(a, id, attempt, st, &oa, &err);
	int rb = store_output_get(b, id, attempt, st, &ob, &err);
	assert_int_equal(ra, rb);
	if (ra == 0) {
		assert_int_equal(oa.len, ob.len);
		assert_memory_equal(oa.data, ob.data, oa.len);
		assert_int_equal(oa.total_bytes, ob.total_bytes);
		assert_int_equal(oa.truncated, ob.truncated);
	}
	job_output_free(&oa);
	job_output_free(&ob);
}

/* Every job (every field, its history, the output of each attempt), host
 * and template of a is in b, and b has no more; the store ids agree. */
static void expect_same(store_t *a, store_t *b)
{
	char *err = NULL;
	job_filter_t f = {0};
	job_t *ja = NULL, *jb = NULL;
	size_t na = 0, nb = 0;
	OK(store_job_list(a, &f, &ja, &na, &err));
	OK(store_job_list(b, &f, &jb, &nb, &err));
	assert_int_equal(na, nb);
	for (size_t i = 0; i < na; i++) {
		job_t *x = &ja[i], *y = &jb[i];
		assert_int_equal(x->id, y->id);
		same_str(x->uuid, y->uuid, "uuid", x->id);
		same_str(x->name, y->name, "name", x->id);
		same_str(x->image, y->image, "image", x->id);
		same_str(x->workdir, y->workdir, "workdir", x->id);
		same_str(x->host, y->host, "host", x->id);
		same_str(x->ran_on, y->ran_on, "ran_on", x->id);
		same_str(x->worker_id, y->worker_id, "worker_id", x->id);
		same_str(x->last_error, y->last_error, "last_error", x->id);
		same_str(x->container_name, y->container_name, "container_name", x->id);
		same_str(x->template_name, y->template_name, "template_name", x->id);
		assert_int_equal(x->argc, y->argc);
		for (size_t k = 0; k < x->argc; k++)
			same_str(x->argv[k], y->argv[k], "argv", x->id);
		assert_int_equal(x->envc, y->envc);
		for (size_t k = 0; k < x->envc; k++)
			same_str(x->env[k], y->env[k], "env", x->id);
		assert_int_equal(x->status, y->status);
		assert_int_equal(x->attempt, y->attempt);
		assert_int_equal(x->has_exit_code, y->has_exit_code);
		assert_int_equal(x->exit_code, y->exit_code);
		assert_int_equal(x->priority, y->priority);
		assert_int_equal(x->memory_bytes, y->memory_bytes);
		assert_int_equal(x->nano_cpus, y->nano_cpus);
		assert_int_equal(x->created_at, y->created_at);
		assert_int_equal(x->started_at, y->started_at);
		assert_int_equal(x->finished_at, y->finished_at);
		assert_int_equal(x->lease_until, y->lease_until);
		assert_int_equal(x->peak_memory_bytes, y->peak_memory_bytes);
		job_event_t *ea = NULL, *eb = NULL;
		size_t nea = 0, neb = 0;
		OK(store_history(a, x->id, &ea, &nea, &err));
		OK(store_history(b, x->id, &eb, &neb, &err));
		assert_int_equal(nea, neb);
		for (size_t k = 0; k < nea; k++) {
			assert_int_equal(ea[k].at, eb[k].at);
			assert_int_equal(ea[k].from, eb[k].from);
			assert_int_equal(ea[k].to, eb[k].to);
			same_str(ea[k].reason, eb[k].reason, "history reason", x->id);
		}
		store_history_free(ea, nea);
		store_history_free(eb, neb);
		for (int at = 1; at <= x->attempt; at++) {
			same_output(a, b, x->id, at, JOB_STDOUT);
			same_output(a, b, x->id, at, JOB_STDERR);
		}
	}
	store_job_list_free(ja, na);
	store_job_list_free(jb, nb);

	host_t *ha = NULL, *hb = NULL;
	OK(store_host_list(a, &ha, &na, &err));
	OK(store_host_list(b, &hb, &nb, &err));
	assert_int_equal(na, nb);
	for (size_t i = 0; i < na; i++) {
		assert_int_equal(ha[i].id, hb[i].id);
		assert_string_equal(ha[i].name, hb[i].name);
		assert_int_equal(ha[i].max_jobs, hb[i].max_jobs);
		assert_int_equal(ha[i].weight, hb[i].weight);
		assert_int_equal(ha[i].enabled, hb[i].enabled);
	}
	store_host_list_free(ha, na);
	store_host_list_free(hb, nb);
	env_template_t *ta = NULL, *tb = NULL;
	OK(store_template_list(a, &ta, &na, &err));
	OK(store_template_list(b, &tb, &nb, &err));
	assert_int_equal(na, nb);
	for (size_t i = 0; i < na; i++) {
		assert_string_equal(ta[i].name, tb[i].name);
		assert_int_equal(ta[i].envc, tb[i].envc);
		assert_string_equal(ta[i].env[0], tb[i].env[0]);
	}
	store_template_list_free(ta, na);
	store_template_list_free(tb, nb);
	assert_string_equal(store_id(a), store_id(b));

	store_problem_t *p = NULL;
	size_t np = 0;
	OK(store_check(b, &p, &np, &err));
	if (np)
		fail_msg("db check of the copy: %s", p[0].message);
	store_problems_free(p, np);
}

static int64_t new_job_id(store_t *s)
{
	return add_job(s, 0, NULL, 0);
}

static void test_round_trip(void **state)
{
	copy_fx_t *fx = *state;
	char *err = NULL;
	store_copy_counts_t c;
	store_t *mid = open_target(fx->mid_path);
	OK(store_copy(fx->src, mid, false, &c, NULL, NULL, &err));
	assert_int_equal(c.jobs, 7);
	assert_int_equal(c.hosts, 2);
	assert_int_equal(c.templates, 1);
	assert_int_equal(c.output_rows, 15);
	assert_int_equal(c.output_bytes, 5 * (sizeof(binary) - 1 + 4 + 11));
	assert_int_equal(c.orphan_rows, 0);
	expect_same(fx->src, mid);
	/* The run-time counters start from the jobs copied (the source's
	 * also count its removed job). */
	int64_t ran = 0, total = 0, sum_ms = 0, le[STORE_RUN_BUCKETS];
	OK(query_count(mid, "SELECT count(*) FROM jobs WHERE status IN ('completed', 'failed', "
			    "'timeout') AND started_at > 0",
		       NULL, &ran, &err));
	OK(store_run_time_histogram(mid, le, &total, &sum_ms, &err));
	assert_true(ran > 0);
	assert_int_equal(total, ran);

	store_t *back = open_target(fx->back_path);
	OK(store_copy(mid, back, false, &c, NULL, NULL, &err));
	expect_same(fx->src, back);
	/* A new job never takes the id of the source's removed one. */
	assert_int_equal(new_job_id(mid), fx->removed + 1);
	assert_int_equal(new_job_id(back), fx->removed + 1);
	host_t h;
	sample_host(&h, "new-host");
	OK(store_host_add(mid, &h, &err));
	assert_true(h.id > 2);
	host_free(&h);
	store_close(back);
	store_close(mid);
}

static void test_refusals(void **state)
{
	copy_fx_t *fx = *state;
	char *err = NULL;
	store_copy_counts_t c, before, after;
	store_t *mid = open_target(fx->mid_path);
	OK(store_copy(fx->src, mid, false, &c, NULL, NULL, &err));
	new_job_id(mid);
	OK(store_copy_contents(mid, &before, &err));
	/* Not empty: refused, and nothing changed. */
	assert_int_equal(store_copy(fx->src, mid, false, &c, NULL, NULL, &err), -1);
	assert_err_contains(err, "is not empty (8 jobs, 2 hosts, 1 templates); give --force");
	OK(store_copy_contents(mid, &after, &err));
	assert_memory_equal(&before, &after, sizeof(before));
	/* Replaced: the source's again, the extra job gone. */
	OK(store_copy(fx->src, mid, true, &c, NULL, NULL, &err));
	expect_same(fx->src, mid);
	/* The source itself, through a second handle: refused even so. */
	store_t *again = open_target(fx->src_path);
	assert_int_equal(store_copy(fx->src, again, true, &c, NULL, NULL, &err), -1);
	assert_err_contains(err, "is the source itself");
	store_close(again);
	assert_int_equal(store_copy(mid, mid, true, &c, NULL, NULL, &err), -1);
	assert_err_contains(err, "is the source itself");
	store_close(mid);
}

static void progress(void *ud, const char *what, int64_t done, int64_t total)
{
	int *calls = ud;
	assert_non_null(what);
	assert_true(done <= total);
	(*calls)++;
}

static void test_orphans_and_progress(void **state)
{
	copy_fx_t *fx = *state;
	char *err = NULL;
	lite_exec(fx->src_path, "INSERT INTO job_history (job_id, at, attempt, to_status, actor) "
			       "VALUES (9999, 1, 0, 'queued', 'x')");
	store_copy_counts_t c;
	store_t *mid = open_target(fx->mid_path);
	int calls = 0;
	OK(store_copy(fx->src, mid, false, &c, progress, &calls, &err));
	assert_int_equal(c.orphan_rows, 1);
	assert_true(calls >= 6);
	expect_same(fx->src, mid);
	store_close(mid);
}

/* ---- what counts as empty, and where a copy may run ---- */

/* A store is empty for a copy when it holds no host, template, job,
 * history or output row (orphans included); its meta rows (every new
 * store has its id) and a byte count without rows do not count. */
static void test_counts_empty(void **state)
{
	(void)state;
	store_copy_counts_t none = {0};
	assert_true(store_copy_counts_empty(&none));
	static const size_t counted[] = {
		offsetof(store_copy_counts_t, hosts),
		offsetof(store_copy_counts_t, templates),
		offsetof(store_copy_counts_t, jobs),
		offsetof(store_copy_counts_t, history_rows),
		offsetof(store_copy_counts_t, output_rows),
		offsetof(store_copy_counts_t, orphan_rows),
	};
	for (size_t i = 0; i < sizeof(counted) / sizeof(counted[0]); i++) {
		store_copy_counts_t c = {0};
		*(int64_t *)((char *)&c + counted[i]) = 1;
		if (store_copy_counts_empty(&c))
			fail_msg("one row (field at %zu) counted as empty", counted[i]);
	}
	store_copy_counts_t meta = {.meta_rows = 2, .output_bytes = 5};
	assert_true(store_copy_counts_empty(&meta));
}

/* A copy is refused inside a transaction of either store (it makes its
 * own), changing nothing and leaving the caller's transaction open. */
static void test_refused_inside_transaction(void **state)
{
	copy_fx_t *fx = *state;
	char *err = NULL;
	store_copy_counts_t c, before, after;
	store_t *mid = open_target(fx->mid_path);
	OK(store_copy_contents(mid, &before, &err));
	store_t *in_tx[] = {fx->src, mid};
	for (size_t i = 0; i < 2; i++) {
		OK(store_begin(in_tx[i], &err));
		assert_int_equal(store_copy(fx->src, mid, true, &c, NULL, NULL, &err), -1);
		assert_err_contains(err, "cannot copy a store inside a transaction");
		assert_int_equal(c.jobs, 0);
		OK(store_commit(in_tx[i], &err));
	}
	OK(store_copy_contents(mid, &after, &err));
	assert_memory_equal(&before, &after, sizeof(before));
	store_close(mid);
}

/* Counted inside a caller's transaction, what it holds is counted there
 * (its own rows too), and the transaction stays the caller's. */
static void test_contents_inside_transaction(void **state)
{
	copy_fx_t *fx = *state;
	char *err = NULL;
	store_copy_counts_t c;
	OK(store_copy_contents(fx->src, &c, &err));
	assert_int_equal(c.jobs, 7);
	OK(store_begin(fx->src, &err));
	add_job(fx->src, 0, NULL, 0);
	OK(store_copy_contents(fx->src, &c, &err));
	assert_int_equal(c.jobs, 8);
	assert_int_equal(fx->src->depth, 1);
	store_rollback(fx->src);
	OK(store_copy_contents(fx->src, &c, &err));
	assert_int_equal(c.jobs, 7);
}

/* ---- batches ---- */

static char *filled(size_t len, char c)
{
	char *p = malloc(len);
	assert_non_null(p);
	memset(p, c, len);
	for (size_t i = 0; i < len; i += 4096)
		p[i] = (char)(i / 4096);
	return p;
}

/* Output read in batches sized by its bytes: a row of 9 MiB alone (a batch
 * of one row), then one row, then rows of 1 MiB, eight to a batch; a table
 * with no row at all (templates). Every byte arrives. */
static void test_batches_by_bytes(void **state)
{
	copy_fx_t *fx = *state;
	char *err = NULL;
	store_t *s = NULL;
	char *path = path_join(fx->dir, "big.db");
	OK(store_open(path, true, &s, &err));
	size_t big = 9u << 20, mib = 1u << 20;
	char *b = filled(big, 'b'), *m = filled(mib, 'm');
	int64_t first = add_job(s, 0, NULL, 0);
	job_output_t o = out_of(b, big), e = out_of("e", 1);
	OK(store_output_put(s, first, 1, JOB_STDOUT, &o, &err));
	OK(store_output_put(s, first, 1, JOB_STDERR, &e, &err));
	for (int i = 0; i < 6; i++) {
		int64_t id = add_job(s, 0, NULL, 0);
		job_output_t one = out_of(m, mib);
		OK(store_output_put(s, id, 1, JOB_STDOUT, &one, &err));
		OK(store_output_put(s, id, 1, JOB_STDERR, &one, &err));
	}
	store_t *mid = open_target(fx->mid_path);
	store_copy_counts_t c;
	int calls = 0;
	OK(store_copy(s, mid, false, &c, progress, &calls, &err));
	assert_int_equal(c.output_rows, 14);
	assert_int_equal(c.output_bytes, (int64_t)(big + 1 + 12 * mib));
	assert_int_equal(c.templates, 0);
	/* meta, hosts, templates, API tokens, schedules, skipped runs and jobs
	 * one batch each, history one, dependencies one (empty); output 9 MiB
	 * alone, then one row, then 8 and 4 of 1 MiB: a call before each table
	 * and one after each batch. */
	assert_int_equal(calls, 10 + 9 + 4);
	expect_same(s, mid);
	store_close(mid);
	store_close(s);
	free(b);
	free(m);
	free(path);
}

/* meta is read whole, in one batch: a source with more rows there than a
 * batch holds is refused, and nothing is written. */
static void test_meta_more_than_a_batch(void **state)
{
	copy_fx_t *fx = *state;
	char *err = NULL;
	lite_exec(fx->src_path, "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n "
				"WHERE i < 600) INSERT INTO meta (key, value) SELECT 'k' || i, 'v' "
				"FROM n");
	store_t *mid = open_target(fx->mid_path);
	store_copy_counts_t c, after;
	assert_int_equal(store_copy(fx->src, mid, false, &c, NULL, NULL, &err), -1);
	assert_err_contains(err, "cannot copy the meta rows: more than 512 rows");
	OK(store_copy_contents(mid, &after, &err));
	assert_true(store_copy_counts_empty(&after));
	store_close(mid);
}

/* ---- the target must hold what was read ---- */

/* A target that keeps fewer rows than it was given (here a trigger drops
 * the history rows), or other bytes (one that cuts the output): the copy
 * compares before its commit, says what differs, and commits nothing. */
static void test_target_that_differs_is_refused(void **state)
{
	copy_fx_t *fx = *state;
	char *err = NULL;
	static const struct {
		const char *lite, *pg, *says;
	} cases[] = {
		{"CREATE TRIGGER t BEFORE INSERT ON job_history BEGIN SELECT RAISE(IGNORE); END",
		 "CREATE FUNCTION t() RETURNS trigger AS $$ BEGIN RETURN NULL; END $$ LANGUAGE "
		 "plpgsql; CREATE TRIGGER t BEFORE INSERT ON job_history FOR EACH ROW EXECUTE "
		 "FUNCTION t()",
		 "the target holds 0 history rows after the copy, but the source 41; nothing was "
		 "committed"},
		{"CREATE TRIGGER t AFTER INSERT ON job_output BEGIN UPDATE job_output SET data = "
		 "x'00' WHERE rowid = NEW.rowid; END",
		 "CREATE FUNCTION t() RETURNS trigger AS $$ BEGIN NEW.data = '\\x00'::bytea; "
		 "RETURN NEW; END $$ LANGUAGE plpgsql; CREATE TRIGGER t BEFORE INSERT ON "
		 "job_output FOR EACH ROW EXECUTE FUNCTION t()",
		 "the target's captured output differs from the source's after the copy; nothing "
		 "was committed"},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *name = NULL;
		if (test_on_pg()) {
			name = test_store_name(fx->dir);
		} else {
			char file[32];
			snprintf(file, sizeof(file), "differs-%zu.db", i);
			name = path_join(fx->dir, file);
		}
		store_t *t = NULL;
		OK(store_open(name, true, &t, &err));
		raw_exec(name, test_on_pg() ? cases[i].pg : cases[i].lite);
		char *before = db_fingerprint(name);
		store_copy_counts_t c;
		assert_int_equal(store_copy(fx->src, t, false, &c, NULL, NULL, &err), -1);
		assert_err_contains(err, cases[i].says);
		char *after = db_fingerprint(name);
		assert_string_equal(before, after);
		free(before);
		free(after);
		store_close(t);
		test_store_drop(name);
		free(name);
	}
}

/* ---- a failure at any statement, on either driver ---- */

/* Both stores of the copy on a driver that wraps the test's own (SQLite's
 * or PostgreSQL's) and makes the n-th prepare or step fail; on PostgreSQL
 * this reaches what store-read-faults (SQLite only) cannot: telling two
 * databases apart, the count trigger switched off around the jobs, and
 * ANALYZE after the commit. */
static struct {
	const store_driver_t *base;
	store_driver_t drv;
	store_t *src, *dst;
	bool prepare;    /* the n-th prepare fails, else the n-th step */
	long at, count;
	bool persistent; /* every later one fails too */
	bool injected, paused;
	char sql[160];   /* the first that failed, after its store's role */
} cf;

static bool cf_hit(bool prepare)
{
	if (cf.paused || prepare != cf.prepare || !cf.at)
		return false;
	if (cf.injected)
		return cf.persistent;
	if (++cf.count != cf.at)
		return false;
	cf.injected = true;
	return true;
}

static void cf_note(store_t *s, db_stmt_t *st, const char *sql)
{
	if (cf.sql[0])
		return;
	store_t *both[] = {cf.src, cf.dst};
	for (size_t k = 0; k < 2 && !sql; k++)
		for (size_t i = 0; i < both[k]->ncache && !sql; i++)
			if (both[k]->cache[i].st == st) {
				s = both[k];
				sql = both[k]->cache[i].sql;
			}
	snprintf(cf.sql, sizeof(cf.sql), "%s: %s", s == cf.src ? "source" : "target",
		 sql ? sql : "?");
}

static int cf_prepare(store_t *s, const char *sql, bool keep, db_stmt_t **out)
{
	if (cf_hit(true)) {
		cf_note(s, NULL, sql);
		return DB_E_ERROR;
	}
	int rc = cf.base->prepare(s, sql, keep, out);
	if (rc == DB_DONE)
		(*out)->drv = &cf.drv;
	return rc;
}

static int cf_step(db_stmt_t *st)
{
	if (cf_hit(false)) {
		cf_note(NULL, st, NULL);
		return DB_E_ERROR;
	}
	return cf.base->step(st);
}

static int cf_exec_script(store_t *s, const char *sql)
{
	if (cf_hit(false)) {
		cf_note(s, NULL, sql);
		return DB_E_ERROR;
	}
	return cf.base->exec_script(s, sql);
}

static const char *cf_errmsg(store_t *s, int rc)
{
	return cf.injected && rc == DB_E_ERROR ? "injected fault" : cf.base->errmsg(s, rc);
}

static void cf_wrap(store_t *s)
{
	for (size_t i = 0; i < s->ncache; i++) {
		s->cache[i].st->drv->finalize(s->cache[i].st);
		free(s->cache[i].sql);
	}
	s->ncache = 0;
	s->drv = &cf.drv;
}

/* The failures a copy goes on after, on purpose: the end of a read (what
 * was read is whole; the next call ends the read), and on PostgreSQL the
 * count trigger left on (slower, the same rows) and ANALYZE (speed). A
 * copy's own commit that failed unnoticed shows in what the target holds,
 * which is compared after every copy that went through. */
static bool cf_tolerated(void)
{
	static const char *const ok[] = {"source: COMMIT", "target: COMMIT", "target: ANALYZE",
					 "target: ALTER TABLE jobs DISABLE TRIGGER"};
	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++)
		if (strncmp(cf.sql, ok[i], strlen(ok[i])) == 0)
			return true;
	return false;
}

static bool cf_in_tx(store_t *s)
{
	return s->depth != 0 || cf.base->in_tx(s);
}

/* The copy with the n-th prepare (or step) failing, n = 1, 2, ... until it
 * goes through without reaching n. A failed copy says what failed in one
 * line, leaves no transaction open and the target as it was; the next
 * calls work; one that went through left in the target what the source
 * holds. The source is never written. */
static long copy_under(const char *src_name, const char *dst_name, bool prepare, bool persistent)
{
	const char *kind = prepare ? "prepare" : "step";
	char *src_before = db_fingerprint(src_name), *dst_before = db_fingerprint(dst_name);
	long n;
	for (n = 1; n < 10000; n++) {
		char *err = NULL, *e2 = NULL;
		store_copy_counts_t c, have, want;
		cf.prepare = prepare;
		cf.persistent = persistent;
		cf.at = n;
		cf.count = 0;
		cf.injected = cf.paused = false;
		cf.sql[0] = '\0';
		if (prepare) {
			cf_wrap(cf.src);
			cf_wrap(cf.dst);
		}
		int rc = store_copy(cf.src, cf.dst, true, &c, NULL, NULL, &err);
		cf.at = 0;
		if (rc < 0) {
			if (!cf.injected)
				fail_msg("the copy failed without a fault: %s", err);
			if (!err || strchr(err, '\n') || strncmp(err, "injected", 8) == 0 ||
			    (!persistent && !strstr(err, ": injected fault")))
				fail_msg("%s %ld (%s): message \"%s\"", kind, n, cf.sql,
					 err ? err : "(none)");
			if (!persistent && (cf_in_tx(cf.dst) || cf_in_tx(cf.src)) &&
			    strcmp(cf.sql, "source: COMMIT") != 0)
				fail_msg("%s %ld (%s): a transaction left open after: %s", kind, n,
					 cf.sql, err);
		} else if (cf.injected && !cf_tolerated()) {
			fail_msg("the copy went through though %s %ld (%s) failed", kind, n,
				 cf.sql);
		}
		/* The next calls work and end whatever was left. */
		int64_t hosts = 0;
		if (store_host_count(cf.src, &hosts, &e2) != 0 ||
		    store_host_count(cf.dst, &hosts, &e2) != 0 || cf_in_tx(cf.src) ||
		    cf_in_tx(cf.dst))
			fail_msg("%s %ld (%s): not usable after: %s", kind, n, cf.sql,
				 e2 ? e2 : "a transaction open");
		if (rc < 0) {
			char *dst_after = db_fingerprint(dst_name);
			if (strcmp(dst_before, dst_after) != 0)
				fail_msg("%s %ld (%s): the target changed (%s)", kind, n, cf.sql,
					 err);
			free(dst_after);
		} else {
			OK(store_copy_contents(cf.src, &want, &e2));
			OK(store_copy_contents(cf.dst, &have, &e2));
			want.meta_rows = have.meta_rows;
			if (memcmp(&want, &have, sizeof(want)) != 0)
				fail_msg("%s %ld (%s): the target holds %lld jobs, %lld history "
					 "rows; the source %lld, %lld",
					 kind, n, cf.sql, (long long)have.jobs,
					 (long long)have.history_rows, (long long)want.jobs,
					 (long long)want.history_rows);
			free(dst_before);
			dst_before = db_fingerprint(dst_name);
		}
		free(err);
		free(e2);
		if (!cf.injected)
			break;
	}
	char *src_after = db_fingerprint(src_name);
	assert_string_equal(src_before, src_after);
	free(src_before);
	free(src_after);
	free(dst_before);
	return n - 1;
}

static void test_failed_statements(void **state)
{
	copy_fx_t *fx = *state;
	char *err = NULL;
	store_copy_counts_t c;
	/* The source: the fixture copied into a store of the test's kind. */
	store_t *mid = open_target(fx->mid_path);
	OK(store_copy(fx->src, mid, false, &c, NULL, NULL, &err));
	char *name = test_on_pg() ? test_store_name(fx->dir) : path_join(fx->dir, "target.db");
	store_t *dst = NULL;
	OK(store_open(name, true, &dst, &err));
	cf.base = mid->drv;
	cf.drv = *mid->drv;
	cf.drv.prepare = cf_prepare;
	cf.drv.step = cf_step;
	cf.drv.exec_script = cf_exec_script;
	cf.drv.errmsg = cf_errmsg;
	cf.src = mid;
	cf.dst = dst;
	cf_wrap(mid);
	cf_wrap(dst);
	long steps = copy_under(fx->mid_path, name, false, false);
	long all = copy_under(fx->mid_path, name, false, true);
	long prepares = copy_under(fx->mid_path, name, true, false);
	printf("# %ld step points, %ld (persistent), %ld prepare points\n", steps, all, prepares);
	mid->drv = dst->drv = cf.base;
	store_close(dst);
	store_close(mid);
	test_store_drop(name);
	free(name);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_round_trip, setup, teardown),
		cmocka_unit_test_setup_teardown(test_refusals, setup, teardown),
		cmocka_unit_test_setup_teardown(test_orphans_and_progress, setup, teardown),
		cmocka_unit_test(test_counts_empty),
		cmocka_unit_test_setup_teardown(test_refused_inside_transaction, setup, teardown),
		cmocka_unit_test_setup_teardown(test_contents_inside_transaction, setup, teardown),
		cmocka_unit_test_setup_teardown(test_batches_by_bytes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_meta_more_than_a_batch, setup, teardown),
		cmocka_unit_test_setup_teardown(test_target_that_differs_is_refused, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_failed_statements, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
