/*
 * tests/unit/store/test_copy.c: store_copy (store/copy.h). The source is an
 * SQLite file; the target is the test's own store (a PostgreSQL database
 * under CJOBS_TEST_STORE=postgresql, else another file), and the copy is
 * copied back into a new file: every record comes back the same, ids go on
 * past the source's, and what must be refused is refused with nothing
 * changed.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "helpers.h"
#include "store/copy.h"
#include "store/maint.h"

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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_round_trip, setup, teardown),
		cmocka_unit_test_setup_teardown(test_refusals, setup, teardown),
		cmocka_unit_test_setup_teardown(test_orphans_and_progress, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
