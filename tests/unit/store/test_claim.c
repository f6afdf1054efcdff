/*
 * tests/unit/store/test_claim.c: claiming jobs: order (priority, then id),
 * schedules (not_before), pinned hosts, ready counts, two processes
 * claiming from one file at once, and that a claim uses its index rather
 * than scanning the queue.
 */
#include "helpers.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "store/sqlite_driver.h"
#include "store/store_int.h"
#include "util/timeutil.h"

static void claim_ids(store_t *s, char *const *hosts, int max, int64_t *ids, size_t *n)
{
	char *err = NULL;
	job_t *jobs = NULL;
	OK(store_job_claim(s, "w", 42, hosts, NULL, max, &jobs, n, &err));
	for (size_t i = 0; i < *n; i++) {
		assert_int_equal(jobs[i].status, JOB_LAUNCHING);
		assert_string_equal(jobs[i].worker_id, "w");
		assert_int_equal(jobs[i].lease_until, 42);
		assert_int_equal(jobs[i].attempt, 1);
		ids[i] = jobs[i].id;
	}
	store_job_list_free(jobs, *n);
}

static void test_order_priority_then_id(void **state)
{
	fixture_t *fx = *state;
	int64_t low = add_job(fx->s, -5, NULL, 0);
	int64_t mid1 = add_job(fx->s, 0, NULL, 0);
	int64_t high = add_job(fx->s, 10, NULL, 0);
	int64_t mid2 = add_job(fx->s, 0, NULL, 0);
	int64_t ids[8];
	size_t n = 0;
	claim_ids(fx->s, NULL, 3, ids, &n);
	assert_int_equal(n, 3);
	assert_int_equal(ids[0], high);
	assert_int_equal(ids[1], mid1);
	assert_int_equal(ids[2], mid2);
	claim_ids(fx->s, NULL, 3, ids, &n);
	assert_int_equal(n, 1);
	assert_int_equal(ids[0], low);
	claim_ids(fx->s, NULL, 3, ids, &n);
	assert_int_equal(n, 0);
}

/* The worker always claims for named hosts (one ordered walk per host,
 * merged): the same order holds there. Each walk must take the best of its
 * own jobs (a cut inside every walk), the merge must keep the best of the
 * walks, and a tie of priority at the cut goes to the older job. */
static void test_order_with_hosts(void **state)
{
	fixture_t *fx = *state;
	int64_t any0 = add_job(fx->s, 0, NULL, 0);
	int64_t a10 = add_job(fx->s, 10, "a", 0);
	int64_t any10 = add_job(fx->s, 10, NULL, 0);
	int64_t a0 = add_job(fx->s, 0, "a", 0);
	int64_t anylow = add_job(fx->s, -5, NULL, 0);
	int64_t b100 = add_job(fx->s, 100, "b", 0);
	int64_t alow = add_job(fx->s, -5, "a", 0);
	char *only_a[] = {"a", NULL};
	int64_t ids[8];
	size_t n = 0;
	/* a10 and any10 tie on priority; a10 is older. */
	claim_ids(fx->s, only_a, 1, ids, &n);
	assert_int_equal(n, 1);
	assert_int_equal(ids[0], a10);
	/* Next best: any10, then the tie at 0 (any0 older than a0). */
	claim_ids(fx->s, only_a, 2, ids, &n);
	assert_int_equal(n, 2);
	assert_int_equal(ids[0], any10);
	assert_int_equal(ids[1], any0);
	claim_ids(fx->s, only_a, 1, ids, &n);
	assert_int_equal(n, 1);
	assert_int_equal(ids[0], a0);
	/* The two at -5 again in age order; b's job is never taken for a. */
	claim_ids(fx->s, only_a, 8, ids, &n);
	assert_int_equal(n, 2);
	assert_int_equal(ids[0], anylow);
	assert_int_equal(ids[1], alow);
	claim_ids(fx->s, only_a, 8, ids, &n);
	assert_int_equal(n, 0);
	claim_ids(fx->s, NULL, 8, ids, &n);
	assert_int_equal(n, 1);
	assert_int_equal(ids[0], b100);
	/* A tie inside one walk, at its cut: the older job. */
	int64_t first = add_job(fx->s, 7, NULL, 0);
	int64_t second = add_job(fx->s, 7, NULL, 0);
	claim_ids(fx->s, only_a, 1, ids, &n);
	assert_int_equal(n, 1);
	assert_int_equal(ids[0], first);
	claim_ids(fx->s, only_a, 1, ids, &n);
	assert_int_equal(ids[0], second);
}

/* A claim of at most N from N + 1 ready jobs takes exactly N, best first;
 * the one left is the worst, and a claim of N from N takes them all. */
static void test_claim_max_boundary(void **state)
{
	fixture_t *fx = *state;
	char *hosts[] = {"h", NULL};
	int64_t want[5];
	for (int i = 0; i < 5; i++)
		want[i] = add_job(fx->s, 5 - i, i % 2 ? "h" : NULL, 0);
	int64_t ids[8];
	size_t n = 0;
	claim_ids(fx->s, hosts, 4, ids, &n);
	assert_int_equal(n, 4);
	for (int i = 0; i < 4; i++)
		assert_int_equal(ids[i], want[i]);
	int64_t ready = 0;
	char *err = NULL;
	OK(store_job_ready_count(fx->s, hosts, now_ms(), 0, &ready, NULL, &err));
	assert_int_equal(ready, 1);
	claim_ids(fx->s, hosts, 1, ids, &n);
	assert_int_equal(n, 1);
	assert_int_equal(ids[0], want[4]);
}

/* A job whose start time is exactly now is ready; one a millisecond later
 * is not, and is the next start time. */
static void test_not_before_boundary(void **state)
{
	fixture_t *fx = *state;
	char *err = NULL;
	char *hosts[] = {"h", NULL};
	int64_t t = now_ms() + 3600 * 1000;
	add_job(fx->s, 0, NULL, t);
	add_job(fx->s, 0, "h", t + 1);
	int64_t ready = -1, next = -1;
	OK(store_job_ready_count(fx->s, hosts, t - 1, 0, &ready, &next, &err));
	assert_int_equal(ready, 0);
	assert_int_equal(next, t);
	OK(store_job_ready_count(fx->s, hosts, t, 0, &ready, &next, &err));
	assert_int_equal(ready, 1);
	assert_int_equal(next, t + 1);
	OK(store_job_ready_count(fx->s, hosts, t + 1, 0, &ready, &next, &err));
	assert_int_equal(ready, 2);
	assert_int_equal(next, 0);
	/* Not ready yet at the time of a claim: neither is taken. */
	int64_t ids[4];
	size_t n = 0;
	claim_ids(fx->s, hosts, 4, ids, &n);
	assert_int_equal(n, 0);
	claim_ids(fx->s, NULL, 4, ids, &n);
	assert_int_equal(n, 0);
}

/* The job's history is its submission and one claim by actor, attempt 1. */
static void assert_claimed_once(store_t *s, int64_t id, const char *actor)
{
	char *err = NULL;
	job_event_t *ev = NULL;
	size_t ne = 0;
	OK(store_history(s, id, &ev, &ne, &err));
	assert_int_equal(ne, 2);
	assert_int_equal(ev[1].from, JOB_QUEUED);
	assert_int_equal(ev[1].to, JOB_LAUNCHING);
	assert_int_equal(ev[1].attempt, 1);
	assert_string_equal(ev[1].actor, actor);
	assert_string_equal(ev[1].reason, "claimed");
	store_history_free(ev, ne);
}

static void test_full_record_and_history(void **state)
{
	fixture_t *fx = *state;
	char *err = NULL;
	job_t j;
	sample_job(&j);
	free(j.host);
	j.host = NULL;
	j.not_before = 0;
	OK(store_job_add(fx->s, &j, "submit", NULL, &err));
	job_t *c = NULL;
	size_t n = 0;
	OK(store_job_claim(fx->s, "worker-7", 999, NULL, NULL, 10, &c, &n, &err));
	assert_int_equal(n, 1);
	assert_string_equal(c[0].uuid, j.uuid);
	assert_int_equal(c[0].argc, j.argc);
	for (size_t i = 0; i < j.argc; i++)
		assert_string_equal(c[0].argv[i], j.argv[i]);
	assert_int_equal(c[0].envc, j.envc);
	assert_string_equal(c[0].image, j.image);
	assert_int_equal(c[0].lease_until, 999);
	assert_claimed_once(fx->s, j.id, "worker:worker-7");
	store_job_list_free(c, n);
	job_free(&j);

	assert_int_equal(store_job_claim(fx->s, NULL, 0, NULL, NULL, 1, &c, &n, &err), -1);
	assert_err_contains(err, "worker id");
	OK(store_job_claim(fx->s, "w", 0, NULL, NULL, 0, &c, &n, &err));
	assert_int_equal(n, 0);
	assert_null(c);
}

static void test_not_before(void **state)
{
	fixture_t *fx = *state;
	char *err = NULL;
	int64_t now = now_ms();
	int64_t later = add_job(fx->s, 100, NULL, now + 3600 * 1000);
	int64_t much_later = add_job(fx->s, 100, NULL, now + 7200 * 1000);
	int64_t past = add_job(fx->s, 0, NULL, now - 1000);
	int64_t ready = -1, next = -1;
	OK(store_job_ready_count(fx->s, NULL, now, 0, &ready, &next, &err));
	assert_int_equal(ready, 1);
	assert_int_equal(next, now + 3600 * 1000);
	int64_t ids[4];
	size_t n = 0;
	claim_ids(fx->s, NULL, 4, ids, &n);
	assert_int_equal(n, 1);
	assert_int_equal(ids[0], past);
	OK(store_job_ready_count(fx->s, NULL, now + 3600 * 1000, 0, &ready, &next, &err));
	assert_int_equal(ready, 1);
	assert_int_equal(next, now + 7200 * 1000);
	OK(store_job_ready_count(fx->s, NULL, now + 9000 * 1000, 0, &ready, &next, &err));
	assert_int_equal(ready, 2);
	assert_int_equal(next, 0);
	(void)later;
	(void)much_later;
	/* Either output may be left out. */
	OK(store_job_ready_count(fx->s, NULL, now, 0, NULL, &next, &err));
	OK(store_job_ready_count(fx->s, NULL, now, 0, &ready, NULL, &err));
	assert_int_equal(ready, 0);
}

/* A capped count stops at the cap: the status line of a long queue reads
 * only that many rows. Below the cap it is exact, the hosts' filter and
 * the start times still apply, and the soonest start time is not capped. */
static void test_ready_count_cap(void **state)
{
	fixture_t *fx = *state;
	char *err = NULL;
	int64_t now = now_ms();
	char *only_a[] = {"a", NULL};
	for (int i = 0; i < 4; i++)
		add_job(fx->s, 0, "a", 0);
	add_job(fx->s, 0, "b", 0);
	add_job(fx->s, 0, "a", now + 3600 * 1000);
	int64_t ready = -1, next = -1;
	OK(store_job_ready_count(fx->s, only_a, now, 3, &ready, &next, &err));
	assert_int_equal(ready, 3);
	assert_int_equal(next, now + 3600 * 1000);
	OK(store_job_ready_count(fx->s, only_a, now, 4, &ready, NULL, &err));
	assert_int_equal(ready, 4);
	OK(store_job_ready_count(fx->s, only_a, now, 5, &ready, NULL, &err));
	assert_int_equal(ready, 4);
	OK(store_job_ready_count(fx->s, only_a, now + 3600 * 1000, 5, &ready, NULL, &err));
	assert_int_equal(ready, 5);
	OK(store_job_ready_count(fx->s, NULL, now, 1, &ready, NULL, &err));
	assert_int_equal(ready, 1);
}

static void test_pinned_hosts(void **state)
{
	fixture_t *fx = *state;
	char *err = NULL;
	int64_t on_a = add_job(fx->s, 50, "a", 0);
	int64_t on_b = add_job(fx->s, 40, "b", 0);
	int64_t any = add_job(fx->s, 0, NULL, 0);
	char *only_b[] = {"b", NULL}, *none[] = {NULL}, *ab[] = {"a", "b", NULL};
	int64_t ready = 0;
	OK(store_job_ready_count(fx->s, only_b, now_ms(), 0, &ready, NULL, &err));
	assert_int_equal(ready, 2);
	OK(store_job_ready_count(fx->s, none, now_ms(), 0, &ready, NULL, &err));
	assert_int_equal(ready, 1);
	OK(store_job_ready_count(fx->s, ab, now_ms(), 0, &ready, NULL, &err));
	assert_int_equal(ready, 3);

	int64_t ids[4];
	size_t n = 0;
	claim_ids(fx->s, only_b, 4, ids, &n);
	assert_int_equal(n, 2);
	assert_int_equal(ids[0], on_b);
	assert_int_equal(ids[1], any);
	claim_ids(fx->s, none, 4, ids, &n);
	assert_int_equal(n, 0);
	claim_ids(fx->s, NULL, 4, ids, &n);
	assert_int_equal(n, 1);
	assert_int_equal(ids[0], on_a);
}

static void test_claim_inside_caller_transaction(void **state)
{
	fixture_t *fx = *state;
	char *err = NULL;
	add_job(fx->s, 0, NULL, 0);
	add_job(fx->s, 0, NULL, 0);
	OK(store_begin(fx->s, &err));
	int64_t ids[4];
	size_t n = 0;
	claim_ids(fx->s, NULL, 1, ids, &n);
	assert_int_equal(n, 1);
	store_rollback(fx->s);
	int64_t counts[JOB_STATUS_COUNT];
	OK(store_job_counts(fx->s, counts, &err));
	assert_int_equal(counts[JOB_QUEUED], 2);
	assert_int_equal(counts[JOB_LAUNCHING], 0);
	OK(store_begin(fx->s, &err));
	claim_ids(fx->s, NULL, 1, ids, &n);
	OK(store_commit(fx->s, &err));
	OK(store_job_counts(fx->s, counts, &err));
	assert_int_equal(counts[JOB_QUEUED], 1);
	assert_int_equal(counts[JOB_LAUNCHING], 1);
}

/* Child: claims in a loop until the queue is empty, writing each id to
 * its own file. Exits 0 on success. */
static int claimer(const char *path, const char *out, const char *worker, int gate)
{
	store_t *s = NULL;
	char *err = NULL;
	FILE *f = fopen(out, "w");
	if (!f || store_open(path, true, &s, &err) != 0)
		return 1;
	/* Both start together: the parent closes the gate's other end. */
	char c;
	if (read(gate, &c, 1) != 0)
		return 4;
	for (;;) {
		job_t *jobs = NULL;
		size_t n = 0;
		if (store_job_claim(s, worker, 1, NULL, NULL, 2, &jobs, &n, &err) != 0) {
			fprintf(stderr, "%s: %s\n", worker, err ? err : "?");
			return 2;
		}
		for (size_t i = 0; i < n; i++)
			fprintf(f, "%lld\n", (long long)jobs[i].id);
		store_job_list_free(jobs, n);
		if (n == 0)
			break;
	}
	store_close(s);
	return fclose(f) == 0 ? 0 : 3;
}

static void test_two_processes_claim_each_job_once(void **state)
{
	fixture_t *fx = *state;
	char *err = NULL;
	enum { NJOBS = 1000 };
	OK(store_begin(fx->s, &err));
	for (int i = 0; i < NJOBS; i++)
		add_job(fx->s, i % 7, NULL, 0);
	OK(store_commit(fx->s, &err));
	int64_t first = 0;
	{
		job_t *l = NULL;
		size_t n = 0;
		job_filter_t f = {.limit = 1};
		OK(store_job_list(fx->s, &f, &l, &n, &err));
		first = l[0].id;
		store_job_list_free(l, n);
	}
	char *outs[2] = {path_join(fx->dir, "claims-0"), path_join(fx->dir, "claims-1")};
	pid_t pids[2];
	int gate[2];
	assert_int_equal(pipe(gate), 0);
	for (int p = 0; p < 2; p++) {
		pids[p] = fork();
		assert_true(pids[p] >= 0);
		if (pids[p] == 0) {
			close(gate[1]);
			_exit(claimer(fx->path, outs[p], p ? "w1" : "w0", gate[0]));
		}
	}
	close(gate[0]);
	usleep(100 * 1000);
	close(gate[1]);
	for (int p = 0; p < 2; p++) {
		int status = 0;
		assert_int_equal(waitpid(pids[p], &status, 0), pids[p]);
		assert_true(WIFEXITED(status));
		assert_int_equal(WEXITSTATUS(status), 0);
	}
	int seen[NJOBS] = {0};
	int per[2] = {0, 0};
	for (int p = 0; p < 2; p++) {
		FILE *f = fopen(outs[p], "r");
		assert_non_null(f);
		long long id;
		while (fscanf(f, "%lld", &id) == 1) {
			assert_true(id >= first && id < first + NJOBS);
			seen[id - first]++;
			per[p]++;
		}
		fclose(f);
		free(outs[p]);
	}
	for (int i = 0; i < NJOBS; i++)
		assert_int_equal(seen[i], 1);
	int64_t counts[JOB_STATUS_COUNT];
	OK(store_job_counts(fx->s, counts, &err));
	assert_int_equal(counts[JOB_QUEUED], 0);
	assert_int_equal(counts[JOB_LAUNCHING], NJOBS);
	/* Exactly one claim row per job in the history. */
	int64_t rows = -1, jobs = -1;
	OK(query_count(fx->s, "SELECT count(*) FROM job_history WHERE to_status = 'launching'",
		       NULL, &rows, &err));
	OK(query_count(fx->s, "SELECT count(DISTINCT job_id) FROM job_history "
			      "WHERE to_status = 'launching'",
		       NULL, &jobs, &err));
	assert_int_equal(rows, NJOBS);
	assert_int_equal(jobs, NJOBS);
	printf("# claims: w0 %d, w1 %d\n", per[0], per[1]);
}

/* Asserts that a worker's claim query (for its hosts, as a worker always
 * names them) walks the covering claim index in order, once for unpinned
 * jobs and once for each host, whatever the queue's size: no table scan,
 * no reading of rows, and no sort except the final merge of the walks (at
 * most max rows each). */
static void check_plan(store_t *s, char *const *hosts)
{
	strbuf_t sql = STRBUF_INIT;
	sb_puts(&sql, "EXPLAIN QUERY PLAN ");
	claim_sql(s->drv, &sql, hosts);
	assert_false(sql.failed);
	sqlite3_stmt *st = NULL;
	assert_int_equal(sqlite3_prepare_v2(store_db(s), sql.buf, -1, &st, NULL), SQLITE_OK);
	sb_free(&sql);
	int walks = 0;
	while (sqlite3_step(st) == SQLITE_ROW) {
		const char *d = (const char *)sqlite3_column_text(st, 3);
		printf("# plan: %s\n", d);
		if (strstr(d, "jobs")) {
			assert_non_null(strstr(d, "USING COVERING INDEX jobs_claim_host "));
			walks++;
		}
	}
	sqlite3_finalize(st);
	size_t n = 0;
	while (hosts[n])
		n++;
	assert_int_equal(walks, (int)n + 1);
}

static void test_claim_plan_uses_index(void **state)
{
	fixture_t *fx = *state;
	char *two[] = {"a", "b", NULL}, *none[] = {NULL};
	check_plan(fx->s, two);
	check_plan(fx->s, none);
}

/* Queues n ready jobs pinned to host. */
static void queue_pinned(store_t *s, const char *host, int n)
{
	char *err = NULL;
	job_t j;
	sample_job(&j);
	free(j.host);
	j.host = strdup(host);
	assert_non_null(j.host);
	j.not_before = 0;
	int64_t *ids = calloc((size_t)n, sizeof(*ids));
	assert_non_null(ids);
	OK(store_job_add_many(s, &j, 1, n, NULL, "t", NULL, ids, &err));
	free(ids);
	job_free(&j);
}

/* Runs the EXPLAIN ANALYZE that st was bound for and checks its plan: no
 * table scanned, no row read and then thrown away, and index used. */
static void check_pg_plan(store_t *s, db_stmt_t *st, const char *index)
{
	bool used = false;
	while (st_step(st) == DB_ROW) {
		const char *line = col_str(st, 0);
		printf("# plan: %s\n", line);
		assert_null(strstr(line, "Rows Removed by"));
		assert_null(strstr(line, "Seq Scan"));
		used = used || strstr(line, index) != NULL;
	}
	st_release(s, st);
	assert_true(used);
}

/* EXPLAIN ANALYZE of the claim's pick (claim_sql) or of its whole UPDATE,
 * for host "a", bound and ready for check_pg_plan. */
static db_stmt_t *explain_claim(store_t *s, bool update)
{
	char *err = NULL;
	char *hosts[] = {"a", NULL};
	strbuf_t sql = STRBUF_INIT;
	sb_puts(&sql, "EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF) ");
	if (update)
		claim_update_sql(s->drv, &sql, hosts, true);
	else
		claim_sql(s->drv, &sql, hosts);
	assert_false(sql.failed);
	db_stmt_t *st = NULL;
	OK(st_prepare(s, sql.buf, &st, &err));
	sb_free(&sql);
	binder_t b;
	bind_start(&b, st);
	bind_i64(&b, now_ms());
	bind_i64(&b, 100);
	bind_text(&b, "a");
	if (update) {
		bind_text(&b, "w");
		bind_i64(&b, 9);
		bind_text(&b, "a");
	}
	OK(bind_check(s, &b, "explain", &err));
	return st;
}

/* PostgreSQL's plan of a claim when every queued job is pinned, to the
 * worker's host or to another: each arm walks an index of exactly its own
 * jobs, so no row is read and thrown away (before jobs_claim_unpinned the
 * arm for unpinned jobs walked the whole queue, each claim). */
static void test_claim_plan_pg(void **state)
{
	fixture_t *fx = *state;
	char *err = NULL;
	/* Another host's jobs first in the queue's order, then the worker's. */
	queue_pinned(fx->s, "b", 2000);
	queue_pinned(fx->s, "a", 2000);
	OK(st_run(fx->s, "ANALYZE jobs", "analyze", &err));
	check_pg_plan(fx->s, explain_claim(fx->s, false), "jobs_claim_unpinned");
}

/* The claim's UPDATE on PostgreSQL when the statistics were taken while no
 * job was queued and then a queue came (what a busy store goes through
 * all day): it looks up exactly the jobs picked, by id, and compares no
 * queued job with them (before, each claim of a 20,000-job queue took
 * 300 ms and more). */
static void test_claim_update_plan_pg(void **state)
{
	fixture_t *fx = *state;
	char *err = NULL;
	queue_pinned(fx->s, "a", 2000);
	char *hosts[] = {"a", NULL};
	job_t *c = NULL;
	size_t n = 0;
	OK(store_job_claim(fx->s, "w", 9, hosts, "a", 2000, &c, &n, &err));
	assert_int_equal(n, 2000);
	store_job_list_free(c, n);
	OK(st_run(fx->s, "ANALYZE jobs", "analyze", &err));
	queue_pinned(fx->s, "a", 2000);
	OK(store_begin(fx->s, &err));
	check_pg_plan(fx->s, explain_claim(fx->s, true), "jobs_pkey");
	store_rollback(fx->s);
}

static double ms_since(const struct timespec *t0)
{
	struct timespec t1;
	clock_gettime(CLOCK_MONOTONIC, &t1);
	return (double)(t1.tv_sec - t0->tv_sec) * 1e3 + (double)(t1.tv_nsec - t0->tv_nsec) / 1e6;
}

/* Prints how long claims take with 100,000 queued jobs. Figures only: the
 * plan test above is what guards against a scan. */
static void test_claim_figures_100k(void **state)
{
	fixture_t *fx = *state;
	char *err = NULL;
	enum { NQUEUED = 100000, ROUNDS = 50 };
	struct timespec t0;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	OK(store_begin(fx->s, &err));
	for (int i = 0; i < NQUEUED; i++)
		add_job(fx->s, i % 11, i % 5 ? NULL : "elsewhere", 0);
	OK(store_commit(fx->s, &err));
	printf("# added %d jobs in %.0f ms\n", NQUEUED, ms_since(&t0));
	char *hosts[] = {"local", NULL};
	double worst = 0, total = 0;
	for (int r = 0; r < ROUNDS; r++) {
		job_t *jobs = NULL;
		size_t n = 0;
		clock_gettime(CLOCK_MONOTONIC, &t0);
		OK(store_job_claim(fx->s, "bench", 1, hosts, NULL, 10, &jobs, &n, &err));
		double ms = ms_since(&t0);
		assert_int_equal(n, 10);
		store_job_list_free(jobs, n);
		total += ms;
		if (ms > worst)
			worst = ms;
	}
	printf("# claim of 10 from %d queued: mean %.3f ms, worst %.3f ms\n", NQUEUED,
	       total / ROUNDS, worst);
	int64_t ready = 0;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	OK(store_job_ready_count(fx->s, hosts, now_ms(), 0, &ready, NULL, &err));
	printf("# ready count (%lld) in %.3f ms\n", (long long)ready, ms_since(&t0));
	int64_t counts[JOB_STATUS_COUNT];
	clock_gettime(CLOCK_MONOTONIC, &t0);
	OK(store_job_counts(fx->s, counts, &err));
	printf("# counts in %.3f ms\n", ms_since(&t0));
}

/* A lease is renewed only for the worker that holds the job, and only
 * while the job is launching or running: a job cancelled meanwhile keeps
 * no lease. */
static void test_renew_lease(void **state)
{
	fixture_t *fx = *state;
	char *err = NULL;
	int64_t id = add_job(fx->s, 0, NULL, 0);
	int64_t ids[2];
	size_t n = 0;
	claim_ids(fx->s, NULL, 1, ids, &n);
	assert_int_equal(n, 1);
	assert_int_equal(store_job_renew_lease(fx->s, id, "w", 1000, &err), 0);
	job_t j;
	OK(store_job_get(fx->s, id, &j, &err));
	assert_int_equal(j.lease_until, 1000);
	assert_int_equal(store_job_renew_lease(fx->s, id, "other", 2000, &err), 1);
	j.status = JOB_LAUNCHING;
	OK(store_job_move(fx->s, &j, JOB_LAUNCHING, JOB_CANCELLED, 0, "test", "cancelled", &err));
	assert_int_equal(store_job_renew_lease(fx->s, id, "w", 3000, &err), 1);
	job_free(&j);
	OK(store_job_get(fx->s, id, &j, &err));
	assert_int_equal(j.status, JOB_CANCELLED);
	assert_int_equal(j.lease_until, 1000);
	job_free(&j);
}

/* Taking over a job from a dead worker is compare-and-set on status,
 * worker and lease: of two takers reading the same row, one wins. */
static void test_take_over(void **state)
{
	fixture_t *fx = *state;
	char *err = NULL;
	int64_t id = add_job(fx->s, 0, NULL, 0);
	int64_t ids[2];
	size_t n = 0;
	claim_ids(fx->s, NULL, 1, ids, &n);
	job_t seen;
	OK(store_job_get(fx->s, id, &seen, &err));
	assert_string_equal(seen.worker_id, "w");
	assert_int_equal(store_job_take_over(fx->s, &seen, "w", 42, "new", 5000, &err), 0);
	/* A second taker that read the same row loses. */
	assert_int_equal(store_job_take_over(fx->s, &seen, "w", 42, "late", 6000, &err), 1);
	job_t j;
	OK(store_job_get(fx->s, id, &j, &err));
	assert_string_equal(j.worker_id, "new");
	assert_int_equal(j.lease_until, 5000);
	assert_int_equal(j.status, JOB_LAUNCHING);
	/* The old holder can no longer renew. */
	assert_int_equal(store_job_renew_lease(fx->s, id, "w", 7000, &err), 1);
	/* A holder that renewed its lease after the taker read the row (it
	 * was alive after all) keeps the job: same worker, other lease. */
	assert_int_equal(store_job_renew_lease(fx->s, id, "new", 5500, &err), 0);
	assert_int_equal(store_job_take_over(fx->s, &j, "new", 5000, "x", 9000, &err), 1);
	job_free(&j);
	OK(store_job_get(fx->s, id, &j, &err));
	assert_string_equal(j.worker_id, "new");
	assert_int_equal(j.lease_until, 5500);
	/* A status that changed meanwhile also makes the take-over lose. */
	OK(store_job_move(fx->s, &j, JOB_LAUNCHING, JOB_CANCELLED, 0, "test", "cancelled", &err));
	assert_int_equal(store_job_take_over(fx->s, &j, "new", 5500, "x", 8000, &err), 1);
	job_free(&j);
	job_free(&seen);
}

/* Host "small" (2 at once) and "other" (10), and 6 queued jobs for any host. */
static void small_and_other(store_t *s)
{
	add_sample_host(s, "small", 2);
	add_sample_host(s, "other", 10);
	for (int i = 0; i < 6; i++)
		add_job(s, 0, NULL, 0);
}

/* A host's max_jobs holds for every worker together: with 2 already
 * launching or running there under one worker, another worker's claim for
 * that host gets nothing; when one of them ends, exactly one more. A claim
 * for another host is not held back. */
static void test_host_limit_holds_across_workers(void **state)
{
	fixture_t *fx = *state;
	char *err = NULL;
	small_and_other(fx->s);
	job_t *a = NULL, *b = NULL;
	size_t na = 0, nb = 0;
	OK(store_job_claim(fx->s, "wa", now_ms() + 60000, NULL, "small", 5, &a, &na, &err));
	assert_int_equal(na, 2);
	OK(store_job_claim(fx->s, "wb", now_ms() + 60000, NULL, "small", 5, &b, &nb, &err));
	assert_int_equal(nb, 0);
	store_job_list_free(b, nb);
	/* Exactly at the limit less one: one more. */
	a[0].finished_at = now_ms();
	free(a[0].worker_id);
	a[0].worker_id = NULL;
	a[0].lease_until = 0;
	a[0].status = JOB_FAILED;
	OK(store_job_move(fx->s, &a[0], JOB_LAUNCHING, JOB_FAILED,
			  JOB_SET_FINISHED_AT | JOB_SET_LEASE, "test", "gone", &err));
	OK(store_job_claim(fx->s, "wb", now_ms() + 60000, NULL, "small", 2, &b, &nb, &err));
	assert_int_equal(nb, 1);
	store_job_list_free(b, nb);
	OK(store_job_claim(fx->s, "wb", now_ms() + 60000, NULL, "small", 1, &b, &nb, &err));
	assert_int_equal(nb, 0);
	store_job_list_free(b, nb);
	OK(store_job_claim(fx->s, "wb", now_ms() + 60000, NULL, "other", 5, &b, &nb, &err));
	assert_int_equal(nb, 3);
	store_job_list_free(b, nb);
	store_job_list_free(a, na);
}

/* The room a host has left counts the open transaction's own changes too
 * (a worker's turn claims, records results and claims again in one
 * transaction, the job counts written only at its commit): with 2 claimed
 * for a host of limit 2 in it, a second claim there gets nothing, also
 * after one of them started running; once one ended in it, exactly one
 * more. Another host's claims in it take none of this host's room. */
static void test_host_limit_counts_the_open_transaction(void **state)
{
	fixture_t *fx = *state;
	char *err = NULL;
	small_and_other(fx->s);
	job_t *a = NULL, *b = NULL, *o = NULL;
	size_t na = 0, nb = 0, no = 0;
	int64_t lease = now_ms() + 60000;
	OK(store_begin(fx->s, &err));
	OK(store_job_claim(fx->s, "wa", lease, NULL, "other", 1, &o, &no, &err));
	assert_int_equal(no, 1);
	OK(store_job_claim(fx->s, "wa", lease, NULL, "small", 5, &a, &na, &err));
	assert_int_equal(na, 2);
	OK(store_job_claim(fx->s, "wa", lease, NULL, "small", 5, &b, &nb, &err));
	assert_int_equal(nb, 0);
	a[0].started_at = now_ms();
	OK(store_job_move(fx->s, &a[0], JOB_LAUNCHING, JOB_RUNNING, JOB_SET_STARTED_AT, "test",
			  "started", &err));
	OK(store_job_claim(fx->s, "wa", lease, NULL, "small", 5, &b, &nb, &err));
	assert_int_equal(nb, 0);
	a[0].status = JOB_RUNNING;
	a[0].finished_at = now_ms();
	free(a[0].worker_id);
	a[0].worker_id = NULL;
	a[0].lease_until = 0;
	OK(store_job_move(fx->s, &a[0], JOB_RUNNING, JOB_FAILED,
			  JOB_SET_FINISHED_AT | JOB_SET_LEASE, "test", "gone", &err));
	OK(store_job_claim(fx->s, "wa", lease, NULL, "small", 5, &b, &nb, &err));
	assert_int_equal(nb, 1);
	OK(store_commit(fx->s, &err));
	assert_int_equal(counted(fx->s, "small", "launching") + counted(fx->s, "small", "running"),
			 2);
	store_job_list_free(a, na);
	store_job_list_free(b, nb);
	store_job_list_free(o, no);
}

/* A claim for a host records that host and names the container in the
 * same statement: a second attempt gets a new name, and an id left from
 * the first attempt is cleared. */
static void test_claim_names_the_container(void **state)
{
	fixture_t *fx = *state;
	char *err = NULL;
	int64_t id = add_job(fx->s, 0, NULL, 0);
	job_t *c = NULL;
	size_t n = 0;
	OK(store_job_claim(fx->s, "w", 5, NULL, "hostA", 1, &c, &n, &err));
	assert_int_equal(n, 1);
	char want[96];
	snprintf(want, sizeof(want), "cjobs-%s-1", c[0].uuid);
	assert_string_equal(c[0].container_name, want);
	assert_string_equal(c[0].ran_on, "hostA");
	assert_null(c[0].container_id);
	/* What the claim returned is what the store holds. */
	job_t j;
	OK(store_job_get(fx->s, id, &j, &err));
	assert_string_equal(j.container_name, want);
	assert_string_equal(j.ran_on, "hostA");
	job_free(&j);

	/* Back to the queue with an id from the first attempt, then again. */
	free(c[0].container_id);
	c[0].container_id = strdup("abc123");
	OK(store_job_update(fx->s, &c[0], JOB_SET_CONTAINER, &err));
	c[0].status = JOB_QUEUED;
	OK(store_job_move(fx->s, &c[0], JOB_LAUNCHING, JOB_QUEUED, 0, "test", "again", &err));
	store_job_list_free(c, n);
	OK(store_job_claim(fx->s, "w", 5, NULL, "hostB", 1, &c, &n, &err));
	assert_int_equal(n, 1);
	snprintf(want, sizeof(want), "cjobs-%s-2", c[0].uuid);
	assert_string_equal(c[0].container_name, want);
	assert_string_equal(c[0].ran_on, "hostB");
	assert_null(c[0].container_id);
	store_job_list_free(c, n);

	/* Without run_on the claim leaves both alone (the unit tests' use). */
	add_job(fx->s, 0, NULL, 0);
	OK(store_job_claim(fx->s, "w", 5, NULL, NULL, 1, &c, &n, &err));
	assert_int_equal(n, 1);
	assert_null(c[0].container_name);
	assert_null(c[0].ran_on);
	store_job_list_free(c, n);
}

/* store_job_claim_spread: weights hold across workers (the load is read
 * from the store, whoever claimed), a host at its limit is passed over
 * whatever its load, a host no ready job may run on is passed over for the
 * next, and nothing claimable gives 0. */
static size_t spread_one(store_t *s, const char *worker, const store_claim_host_t *hosts,
			 size_t n, int64_t *id)
{
	char *err = NULL;
	job_t *jobs = NULL;
	size_t got = 0, picked = 99;
	OK(store_job_claim_spread(s, worker, now_ms() + 60000, hosts, n, &jobs, &got, &picked, &err));
	if (got == 0) {
		store_job_list_free(jobs, got);
		return 99;
	}
	assert_int_equal(got, 1);
	assert_string_equal(jobs[0].ran_on, hosts[picked].name);
	assert_string_equal(jobs[0].worker_id, worker);
	if (id)
		*id = jobs[0].id;
	store_job_list_free(jobs, got);
	return picked;
}

static void test_claim_spread_by_weight_across_workers(void **state)
{
	fixture_t *fx = *state;
	add_sample_host(fx->s, "heavy", 10);
	add_sample_host(fx->s, "light", 10);
	const store_claim_host_t hosts[] = {{"heavy", 3}, {"light", 1}};
	for (int i = 0; i < 8; i++)
		add_job(fx->s, 0, NULL, 0);
	/* Two workers take turns: each sees what the other runs. */
	size_t on[2] = {0, 0};
	static const char *const expect = "hlhhhlhh";
	for (int i = 0; i < 8; i++) {
		size_t p = spread_one(fx->s, i % 2 ? "wb" : "wa", hosts, 2, NULL);
		assert_true(p < 2);
		assert_int_equal(expect[i], p == 0 ? 'h' : 'l');
		on[p]++;
	}
	assert_int_equal(on[0], 6);
	assert_int_equal(on[1], 2);
	assert_int_equal(spread_one(fx->s, "wa", hosts, 2, NULL), 99);
	assert_int_equal(counted(fx->s, "heavy", "launching"), 6);
	assert_int_equal(counted(fx->s, "light", "launching"), 2);
}

static void test_claim_spread_limits_and_pins(void **state)
{
	fixture_t *fx = *state;
	char *err = NULL;
	add_sample_host(fx->s, "full", 1);
	add_sample_host(fx->s, "free", 5);
	/* "full" weighs 1000: least loaded until its one slot is taken. */
	const store_claim_host_t hosts[] = {{"full", 1000}, {"free", 1}};
	add_job(fx->s, 0, NULL, 0);
	add_job(fx->s, 0, NULL, 0);
	int64_t id = 0;
	assert_int_equal(spread_one(fx->s, "wa", hosts, 2, &id), 0);
	assert_int_equal(spread_one(fx->s, "wb", hosts, 2, NULL), 1);
	/* Exactly at its limit: passed over although it weighs most. */
	add_job(fx->s, 0, NULL, 0);
	assert_int_equal(spread_one(fx->s, "wb", hosts, 2, NULL), 1);
	/* The least loaded host has no job it may run: the next one does. */
	const store_claim_host_t two[] = {{"free", 1000}, {"other", 1}};
	add_sample_host(fx->s, "other", 10);
	int64_t pinned = add_job(fx->s, 0, "other", 0);
	int64_t got = 0;
	assert_int_equal(spread_one(fx->s, "wa", two, 2, &got), 1);
	assert_int_equal(got, pinned);
	assert_int_equal(spread_one(fx->s, "wa", two, 2, NULL), 99);
	/* No hosts: nothing claimed; no worker id: refused, nothing claimed. */
	add_job(fx->s, 0, NULL, 0);
	job_t *jobs = NULL;
	size_t n = 7, picked = 7;
	OK(store_job_claim_spread(fx->s, "wa", 1, two, 0, &jobs, &n, &picked, &err));
	assert_int_equal(n, 0);
	assert_null(jobs);
	assert_int_equal(store_job_claim_spread(fx->s, NULL, 1, two, 2, &jobs, &n, &picked, &err), -1);
	assert_non_null(strstr(err, "no worker id"));
	free(err);
	err = NULL;
	assert_int_equal(store_job_claim_spread(fx->s, "", 1, two, 2, &jobs, &n, &picked, &err), -1);
	free(err);
	assert_int_equal(n, 0);
	assert_int_equal(spread_one(fx->s, "wa", two, 2, NULL), 0);
	(void)id;
}

/* A claim writes its history rows in batches (64, 32, ... 1 rows per
 * statement): 127 jobs take every size once, and each job still gets
 * exactly its own row, with its own attempt. */
static void test_claim_history_in_batches(void **state)
{
	fixture_t *fx = *state;
	char *err = NULL;
	enum { NCLAIM = 127 };
	int64_t first = add_job(fx->s, 0, NULL, 0);
	for (int i = 1; i < NCLAIM; i++)
		add_job(fx->s, 0, NULL, 0);
	job_t *c = NULL;
	size_t n = 0;
	OK(store_job_claim(fx->s, "batch", 999, NULL, NULL, NCLAIM, &c, &n, &err));
	assert_int_equal(n, NCLAIM);
	store_job_list_free(c, n);
	for (int64_t id = first; id < first + NCLAIM; id++)
		assert_claimed_once(fx->s, id, "worker:batch");
	int64_t rows = -1;
	OK(query_count(fx->s, "SELECT count(*) FROM job_history WHERE to_status = 'launching'",
		       NULL, &rows, &err));
	assert_int_equal(rows, NCLAIM);
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, fx_setup, fx_teardown)
	const struct CMUnitTest tests[] = {
		T(test_order_priority_then_id),
		T(test_order_with_hosts),
		T(test_claim_max_boundary),
		T(test_not_before_boundary),
		T(test_full_record_and_history),
		T(test_claim_history_in_batches),
		T(test_not_before),
		T(test_ready_count_cap),
		T(test_pinned_hosts),
		T(test_claim_inside_caller_transaction),
		T(test_two_processes_claim_each_job_once),
		T(test_renew_lease),
		T(test_take_over),
		T(test_claim_names_the_container),
		T(test_host_limit_holds_across_workers),
		T(test_claim_spread_by_weight_across_workers),
		T(test_claim_spread_limits_and_pins),
		T(test_host_limit_counts_the_open_transaction),
	};
	/* SQLite's query plans, and its figures over a large queue. */
	const struct CMUnitTest sqlite_tests[] = {
		T(test_claim_plan_uses_index),
		T(test_claim_figures_100k),
	};
	/* PostgreSQL's. */
	const struct CMUnitTest pg_tests[] = {
		T(test_claim_plan_pg),
		T(test_claim_update_plan_pg),
	};
	int failed = cmocka_run_group_tests(tests, NULL, NULL);
	if (!test_on_pg())
		failed += cmocka_run_group_tests_name("sqlite", sqlite_tests, NULL, NULL);
	else
		failed += cmocka_run_group_tests_name("postgresql", pg_tests, NULL, NULL);
	return failed;
}
