/*
 * store/report.c: aggregate queries for `manage-jobs status`, `report` and
 * `cleanup` (see report.h), on the store's own helpers (store_int.h).
 *
 * The readers never write. The cleanup removal must never touch a job that
 * is not in a final status: every DELETE here re-checks the status and the
 * age in its own WHERE, inside the transaction, whatever ids it was given.
 * SQL text is built only from this file's constants; every value a person
 * gave is bound as a parameter.
 */
#include "store/report.h"

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "store/store_int.h"
#include "util/err.h"
#include "util/vec.h"

#define FINAL_IN "status IN ('completed', 'failed', 'timeout', 'cancelled')"
/* When a job is counted as done: its finish time, else its creation. */
#define WHEN_DONE "coalesce(nullif(finished_at, 0), created_at)"
/* The host a job belongs to (report.h). */
#define HOST_KEY "CASE WHEN status = 'queued' THEN host ELSE coalesce(ran_on, host) END"


static bool same_key(const char *a, const char *b)
{
	return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

static int read_status_col(db_stmt_t *st, int col, job_status_t *out, char **err)
{
	const char *name = col_str(st, col);
	if (!job_status_parse(name, out))
		return err_set(err, "unknown job status \"%s\" in the job store",
			       name ? name : "(null)");
	return 0;
}

/* ---- status ---- */

void store_status_free(store_status_t *st)
{
	if (!st)
		return;
	for (size_t i = 0; i < st->nhosts; i++)
		free(st->hosts[i].host);
	free(st->hosts);
	for (size_t i = 0; i < st->nactive; i++) {
		free(st->active[i].name);
		free(st->active[i].image);
		free(st->active[i].host);
		free(st->active[i].container_id);
		free(st->active[i].worker_id);
	}
	free(st->active);
	memset(st, 0, sizeof(*st));
}

static int status_counts_scan(store_t *s, const char *host, int64_t now, store_status_t *out,
			      char **err)
{
	strbuf_t sql = STRBUF_INIT;
	sb_puts(&sql, "SELECT " HOST_KEY " AS k, status, count(*), "
		      "count(*) FILTER (WHERE status = 'queued' AND waiting_on = 0 AND "
		      "not_before <= ?1), "
		      "count(*) FILTER (WHERE status = 'queued' AND waiting_on = 0 AND "
		      "not_before > ?1), "
		      "min(CASE WHEN status = 'queued' AND waiting_on = 0 AND not_before > ?1 "
		      "THEN not_before END), "
		      "count(*) FILTER (WHERE status = 'queued' AND waiting_on > 0) "
		      "FROM jobs WHERE true");
	if (host)
		sb_puts(&sql, " AND (host = ?2 OR ran_on = ?2)");
	sb_puts(&sql, " GROUP BY k, status ORDER BY k NULLS LAST");
	db_stmt_t *st = NULL;
	if (st_prepare_sb(s, &sql, &st, err) < 0)
		return -1;
	binder_t b;
	bind_start(&b, st);
	bind_i64(&b, now);
	if (host)
		bind_text(&b, host);
	int rc = bind_check(s, &b, "cannot count the jobs", err), step = DB_DONE;
	while (rc == 0 && (step = st_step(st)) == DB_ROW) {
		bool oom = false;
		char *k = col_text(st, 0, &oom);
		job_status_t status;
		if (oom) {
			rc = err_set(err, "out of memory");
			break;
		}
		if ((rc = read_status_col(st, 1, &status, err)) < 0) {
			free(k);
			break;
		}
		store_host_counts_t *h = NULL;
		if (out->nhosts > 0 && same_key(out->hosts[out->nhosts - 1].host, k)) {
			h = &out->hosts[out->nhosts - 1];
			free(k);
		} else {
			store_host_counts_t *nv =
				realloc(out->hosts, (out->nhosts + 1) * sizeof(*nv));
			if (!nv) {
				free(k);
				rc = err_set(err, "out of memory");
				break;
			}
			out->hosts = nv;
			h = &out->hosts[out->nhosts++];
			memset(h, 0, sizeof(*h));
			h->host = k;
		}
		int64_t n = col_i64(st, 2);
		h->counts[status] += n;
		h->total += n;
		h->ready += col_i64(st, 3);
		h->scheduled += col_i64(st, 4);
		h->waiting += col_i64(st, 6);
		out->counts[status] += n;
		out->total += n;
		out->ready += col_i64(st, 3);
		out->scheduled += col_i64(st, 4);
		out->waiting += col_i64(st, 6);
		if (!col_null(st, 5)) {
			int64_t next = col_i64(st, 5);
			if (!out->next_at || next < out->next_at)
				out->next_at = next;
		}
	}
	if (rc == 0 && step != DB_DONE)
		rc = db_fail_rc(s, step, "cannot count the jobs", err);
	st_release(s, st);
	return rc;
}

/* The row of out->hosts for key k (NULL: none), added when missing. */
static store_host_counts_t *host_row(store_status_t *out, const char *k, char **err)
{
	for (size_t i = 0; i < out->nhosts; i++)
		if (same_key(out->hosts[i].host, k))
			return &out->hosts[i];
	store_host_counts_t *nv = realloc(out->hosts, (out->nhosts + 1) * sizeof(*nv));
	if (!nv)
		return err_set(err, "out of memory"), NULL;
	out->hosts = nv;
	store_host_counts_t *h = &out->hosts[out->nhosts];
	memset(h, 0, sizeof(*h));
	if (k && !(h->host = strdup(k)))
		return err_set(err, "out of memory"), NULL;
	out->nhosts++;
	return h;
}

static void add_count(store_status_t *out, store_host_counts_t *h, job_status_t status,
		      int64_t n)
{
	h->counts[status] += n;
	h->total += n;
	out->counts[status] += n;
	out->total += n;
}

static int cmp_host_counts(const void *a, const void *b)
{
	const char *x = ((const store_host_counts_t *)a)->host;
	const char *y = ((const store_host_counts_t *)b)->host;
	if (!x || !y)
		return (!x) - (!y); /* NULL last */
	return strcmp(x, y);
}

/* Every host and status: jobs past the queue from the counts the triggers
 * keep (migration 3), queued ones from the queued jobs themselves (their
 * partial indexes), with the queue's ready/scheduled split. */
static int status_counts_table(store_t *s, int64_t now, store_status_t *out, char **err)
{
	db_stmt_t *st = NULL;
	if (st_prepare(s, "SELECT nullif(host_key, ''), status, n FROM job_counts WHERE n > 0",
		       &st, err) < 0)
		return -1;
	int rc = 0, step;
	while ((step = st_step(st)) == DB_ROW) {
		job_status_t status;
		if ((rc = read_status_col(st, 1, &status, err)) < 0)
			break;
		store_host_counts_t *h =
			host_row(out, col_str(st, 0), err);
		if (!h) {
			rc = -1;
			break;
		}
		add_count(out, h, status, col_i64(st, 2));
	}
	if (rc == 0 && step != DB_DONE)
		rc = db_fail_rc(s, step, "cannot count the jobs", err);
	st_release(s, st);
	if (rc < 0)
		return -1;
	/* A queued job belongs to its pinned host (NULL: none). Those free of
	 * dependencies are counted from the claim index alone, the waiting
	 * ones from theirs (SQLite 0015, PostgreSQL 0011): never a queued job's row, of which
	 * there may be millions. */
	strbuf_t sql = STRBUF_INIT;
	sb_printf(&sql,
		  "SELECT host, count(*), count(*) FILTER (WHERE not_before > ?1), "
		  "min(CASE WHEN not_before > ?1 THEN not_before END), 0 FROM jobs%s "
		  "WHERE status = 'queued' AND waiting_on = 0 GROUP BY host "
		  "UNION ALL SELECT host, count(*), 0, NULL, 1 FROM jobs%s "
		  "WHERE status = 'queued' AND waiting_on > 0 GROUP BY host",
		  s->drv->ready_hint, s->drv->waiting_hint);
	if (st_prepare_sb(s, &sql, &st, err) < 0)
		return -1;
	binder_t b;
	bind_start(&b, st);
	bind_i64(&b, now);
	rc = bind_check(s, &b, "cannot count the jobs", err);
	step = DB_DONE;
	while (rc == 0 && (step = st_step(st)) == DB_ROW) {
		store_host_counts_t *h =
			host_row(out, col_str(st, 0), err);
		if (!h) {
			rc = -1;
			break;
		}
		int64_t n = col_i64(st, 1);
		add_count(out, h, JOB_QUEUED, n);
		if (col_i64(st, 4)) {
			h->waiting += n;
			out->waiting += n;
			continue;
		}
		int64_t later = col_i64(st, 2);
		h->ready += n - later;
		h->scheduled += later;
		out->ready += n - later;
		out->scheduled += later;
		if (!col_null(st, 3)) {
			int64_t next = col_i64(st, 3);
			if (!out->next_at || next < out->next_at)
				out->next_at = next;
		}
	}
	if (rc == 0 && step != DB_DONE)
		rc = db_fail_rc(s, step, "cannot count the jobs", err);
	st_release(s, st);
	if (rc == 0 && out->nhosts > 1)
		qsort(out->hosts, out->nhosts, sizeof(*out->hosts), cmp_host_counts);
	return rc;
}

static int status_counts(store_t *s, const char *host, int64_t now, store_status_t *out,
			 char **err)
{
	/* Counts per host cannot answer "pinned to or ran on" exactly (a job
	 * belongs to one key): one host's jobs are counted from the table. */
	return host ? status_counts_scan(s, host, now, out, err)
		    : status_counts_table(s, now, out, err);
}

static int status_oldest(store_t *s, const char *host, int64_t now, store_status_t *out,
			 char **err)
{
	strbuf_t sql = STRBUF_INIT;
	/* Over all hosts, from the claim index alone where the driver can be
	 * told to (SQLite's holds queued_at since its migration 0015). */
	sb_printf(&sql, "SELECT id, queued_at FROM jobs%s WHERE status = 'queued' AND "
			"waiting_on = 0 AND not_before <= ?1",
		  host ? "" : s->drv->ready_hint);
	if (host)
		sb_puts(&sql, " AND (host = ?2 OR ran_on = ?2)");
	sb_puts(&sql, " ORDER BY queued_at, id LIMIT 1");
	db_stmt_t *st = NULL;
	if (st_prepare_sb(s, &sql, &st, err) < 0)
		return -1;
	binder_t b;
	bind_start(&b, st);
	bind_i64(&b, now);
	if (host)
		bind_text(&b, host);
	int rc = bind_check(s, &b, "cannot find the oldest queued job", err);
	if (rc == 0) {
		int step = st_step(st);
		if (step == DB_ROW) {
			out->oldest_id = col_i64(st, 0);
			out->oldest_queued_at = col_i64(st, 1);
		} else if (step != DB_DONE) {
			rc = db_fail_rc(s, step, "cannot find the oldest queued job", err);
		}
	}
	st_release(s, st);
	return rc;
}

static int status_active(store_t *s, const char *host, store_status_t *out, char **err)
{
	strbuf_t sql = STRBUF_INIT;
	sb_puts(&sql, "SELECT id, status, name, image, ran_on, container_id, queued_at, "
		      "started_at, memory_bytes, nano_cpus, peak_memory_bytes, cpu_usage_ns, "
		      "worker_id FROM jobs WHERE status IN ('launching', 'running')");
	if (host)
		sb_puts(&sql, " AND (host = ?1 OR ran_on = ?1)");
	sb_puts(&sql, " ORDER BY id");
	db_stmt_t *st = NULL;
	if (st_prepare_sb(s, &sql, &st, err) < 0)
		return -1;
	binder_t b;
	bind_start(&b, st);
	if (host)
		bind_text(&b, host);
	int rc = bind_check(s, &b, "cannot list the running jobs", err), step = DB_DONE;
	while (rc == 0 && (step = st_step(st)) == DB_ROW) {
		store_active_job_t *nv = realloc(out->active, (out->nactive + 1) * sizeof(*nv));
		if (!nv) {
			rc = err_set(err, "out of memory");
			break;
		}
		out->active = nv;
		store_active_job_t *a = &out->active[out->nactive++];
		memset(a, 0, sizeof(*a));
		bool oom = false;
		a->id = col_i64(st, 0);
		a->name = col_text(st, 2, &oom);
		a->image = col_text(st, 3, &oom);
		a->host = col_text(st, 4, &oom);
		a->container_id = col_text(st, 5, &oom);
		a->queued_at = col_i64(st, 6);
		a->started_at = col_i64(st, 7);
		a->memory_limit_bytes = col_i64(st, 8);
		a->nano_cpus = col_i64(st, 9);
		a->peak_memory_bytes = col_i64(st, 10);
		a->cpu_usage_ns = col_i64(st, 11);
		a->worker_id = col_text(st, 12, &oom);
		if (oom)
			rc = err_set(err, "out of memory");
		else
			rc = read_status_col(st, 1, &a->status, err);
	}
	if (rc == 0 && step != DB_DONE)
		rc = db_fail_rc(s, step, "cannot list the running jobs", err);
	st_release(s, st);
	return rc;
}

int store_status(store_t *s, const char *host, int64_t now, store_status_t *out, char **err)
{
	memset(out, 0, sizeof(*out));
	if (store_ready(s, err) < 0)
		return -1;
	bool own;
	if (store_read_begin(s, &own, err) < 0)
		return -1;
	int rc = status_counts(s, host, now, out, err);
	if (rc == 0)
		rc = status_oldest(s, host, now, out, err);
	if (rc == 0)
		rc = status_active(s, host, out, err);
	store_read_end(s, own);
	if (rc < 0)
		store_status_free(out);
	return rc;
}

/* ---- report ---- */

static void report_row_free(store_report_row_t *r)
{
	free(r->key);
	r->key = NULL;
}

void store_report_free(store_report_t *r)
{
	if (!r)
		return;
	report_row_free(&r->all);
	for (size_t i = 0; i < r->nhosts; i++)
		report_row_free(&r->hosts[i]);
	free(r->hosts);
	for (size_t i = 0; i < r->nimages; i++)
		report_row_free(&r->images[i]);
	free(r->images);
	memset(r, 0, sizeof(*r));
}

/* The report reads the period's jobs once, in one scan, and computes every
 * count and statistic here: counting, averaging and ranking per key in SQL
 * took one scan of the table per group and measure (fifteen in all). */

/* Distinct keys (host or image names; NULL too) and their indexes. */
typedef struct {
	char **names;         /* by index; NULL for the NULL key */
	size_t n, cap;
	uint32_t *slots;      /* open addressing: index + 1, 0 empty */
	size_t nslots;
	long null_index;      /* -1: not seen */
} interner_t;

static void interner_free(interner_t *in)
{
	for (size_t i = 0; i < in->n; i++)
		free(in->names[i]);
	free(in->names);
	free(in->slots);
}

static uint64_t hash_text(const char *s)
{
	uint64_t h = 1469598103934665603ULL;
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ULL;
	return h;
}

static int interner_grow(interner_t *in)
{
	size_t ns = in->nslots ? in->nslots * 2 : 64;
	uint32_t *slots = calloc(ns, sizeof(*slots));
	if (!slots)
		return -1;
	for (size_t i = 0; i < in->n; i++) {
		if (!in->names[i])
			continue;
		size_t j = hash_text(in->names[i]) & (ns - 1);
		while (slots[j])
			j = (j + 1) & (ns - 1);
		slots[j] = (uint32_t)i + 1;
	}
	free(in->slots);
	in->slots = slots;
	in->nslots = ns;
	return 0;
}

/* The index of key (added when new); -1 when out of memory. */
static long intern(interner_t *in, const char *key)
{
	if (!key && in->null_index >= 0)
		return in->null_index;
	size_t j = 0;
	if (key) {
		if ((in->n + 1) * 2 > in->nslots && interner_grow(in) < 0)
			return -1;
		j = hash_text(key) & (in->nslots - 1);
		for (; in->slots[j]; j = (j + 1) & (in->nslots - 1))
			if (strcmp(in->names[in->slots[j] - 1], key) == 0)
				return (long)in->slots[j] - 1;
	}
	if (!vec_room(&in->names, &in->cap, in->n, sizeof(*in->names), 16))
		return -1;
	char *copy = NULL;
	if (key && !(copy = strdup(key)))
		return -1;
	long idx = (long)in->n;
	in->names[in->n++] = copy;
	if (key)
		in->slots[j] = (uint32_t)idx + 1;
	else
		in->null_index = idx;
	return idx;
}

/* One value of one measure, with the keys of its job. */
typedef struct {
	int64_t v;
	uint32_t host, image;
} sample_t;

typedef struct {
	sample_t *v;
	size_t n, cap;
} samples_t;

enum { M_WAIT, M_RUN, M_MEMORY, M_CPU, M_COUNT };
static const size_t measure_offset[M_COUNT] = {
	offsetof(store_report_row_t, wait_ms),
	offsetof(store_report_row_t, run_ms),
	offsetof(store_report_row_t, memory),
	offsetof(store_report_row_t, cpu_ns),
};

static int samples_push(samples_t *s, int64_t v, uint32_t host, uint32_t image)
{
	if (!vec_room(&s->v, &s->cap, s->n, sizeof(*s->v), 1024))
		return -1;
	s->v[s->n++] = (sample_t){v, host, image};
	return 0;
}

static int cmp_sample(const void *a, const void *b)
{
	int64_t x = ((const sample_t *)a)->v, y = ((const sample_t *)b)->v;
	return (x > y) - (x < y);
}

/* Rows for the keys of one group, in key order (NULL last). */
typedef struct {
	interner_t keys;
	store_report_row_t *rows; /* by key index */
} group_t;

/* Which key of group g a sample has: 0 for the group of all jobs. */
static uint32_t sample_key(const sample_t *x, int g)
{
	return g == 0 ? 0 : g == 1 ? x->host : x->image;
}

/* Count, average, median, 95th percentile (nearest rank) and maximum of
 * one measure per key of one group, from samples sorted by value. */
static int group_stats(group_t *gr, int g, const samples_t *ss, size_t offset)
{
	size_t nk = gr->keys.n ? gr->keys.n : 1;
	int64_t *seen = calloc(nk, sizeof(int64_t));
	/* exact, as SQLite's avg() sums integers before dividing */
	__int128 *sum = calloc(nk, sizeof(*sum));
	if (!seen || !sum) {
		free(seen);
		free(sum);
		return -1;
	}
	for (size_t i = 0; i < ss->n; i++) {
		uint32_t k = sample_key(&ss->v[i], g);
		store_stat_t *st = (store_stat_t *)((char *)&gr->rows[k] + offset);
		st->n++;
		sum[k] += ss->v[i].v;
		st->max = ss->v[i].v; /* sorted: the last is the largest */
	}
	for (size_t i = 0; i < ss->n; i++) {
		uint32_t k = sample_key(&ss->v[i], g);
		store_stat_t *st = (store_stat_t *)((char *)&gr->rows[k] + offset);
		int64_t n = st->n, rank = ++seen[k], v = ss->v[i].v;
		int64_t lo = (n + 1) / 2, hi = (n + 2) / 2;
		if (rank == lo)
			st->median = (double)v;
		if (rank == hi && hi != lo)
			st->median = (st->median + (double)v) / 2;
		if (rank == (95 * n + 99) / 100)
			st->p95 = v;
	}
	for (size_t k = 0; k < gr->keys.n; k++) {
		store_stat_t *st = (store_stat_t *)((char *)&gr->rows[k] + offset);
		if (st->n > 0)
			st->avg = sum[k] / (double)st->n;
	}
	free(seen);
	free(sum);
	return 0;
}

static int cmp_key(const void *a, const void *b)
{
	const char *x = ((const store_report_row_t *)a)->key;
	const char *y = ((const store_report_row_t *)b)->key;
	if (!x || !y)
		return (!x) - (!y); /* NULL last */
	return strcmp(x, y);
}

/* Hands the group's rows over, sorted by key; the keys move to the rows. */
static void group_take(group_t *gr, store_report_row_t **rows, size_t *n)
{
	for (size_t k = 0; k < gr->keys.n; k++) {
		gr->rows[k].key = gr->keys.names[k];
		gr->keys.names[k] = NULL;
	}
	if (gr->keys.n > 1)
		qsort(gr->rows, gr->keys.n, sizeof(*gr->rows), cmp_key);
	*rows = gr->rows;
	*n = gr->keys.n;
	gr->rows = NULL;
}

static int group_add_key(group_t *gr, const char *key, long *idx)
{
	size_t before = gr->keys.n;
	*idx = intern(&gr->keys, key);
	if (*idx < 0)
		return -1;
	if (gr->keys.n > before) {
		store_report_row_t *nv = realloc(gr->rows, gr->keys.cap * sizeof(*nv));
		if (!nv)
			return -1;
		gr->rows = nv;
		memset(&gr->rows[*idx], 0, sizeof(*gr->rows));
	}
	return 0;
}

/* Reads the period's jobs (finish time, else creation time, in [since,
 * until); with host, pinned to or run on it) into the groups and samples. */
static int report_read(store_t *s, int64_t since, int64_t until, const char *host,
		       group_t gr[3], samples_t ss[M_COUNT], char **err)
{
	strbuf_t sql = STRBUF_INIT;
	sb_puts(&sql, "SELECT " HOST_KEY ", image, status, queued_at, started_at, finished_at, "
		      "peak_memory_bytes, cpu_usage_ns FROM jobs WHERE " WHEN_DONE " >= ?1 AND "
		      WHEN_DONE " < ?2");
	if (host)
		sb_puts(&sql, " AND (host = ?3 OR ran_on = ?3)");
	db_stmt_t *st = NULL;
	if (st_prepare_sb(s, &sql, &st, err) < 0)
		return -1;
	binder_t b;
	bind_start(&b, st);
	bind_i64(&b, since);
	bind_i64(&b, until);
	if (host)
		bind_text(&b, host);
	int rc = bind_check(s, &b, "cannot make the report", err), step = DB_DONE;
	long all;
	if (rc == 0 && group_add_key(&gr[0], NULL, &all) < 0)
		rc = err_set(err, "out of memory");
	while (rc == 0 && (step = st_step(st)) == DB_ROW) {
		job_status_t status;
		if ((rc = read_status_col(st, 2, &status, err)) < 0)
			break;
		long hk, ik;
		if (group_add_key(&gr[1], col_str(st, 0), &hk) < 0 ||
		    group_add_key(&gr[2], col_str(st, 1), &ik) < 0) {
			rc = err_set(err, "out of memory");
			break;
		}
		store_report_row_t *rows[3] = {&gr[0].rows[0], &gr[1].rows[hk], &gr[2].rows[ik]};
		for (int g = 0; g < 3; g++) {
			rows[g]->counts[status]++;
			rows[g]->total++;
		}
		int64_t queued = col_i64(st, 3), started = col_i64(st, 4);
		int64_t finished = col_i64(st, 5), mem = col_i64(st, 6);
		int64_t cpu = col_i64(st, 7);
		uint32_t h = (uint32_t)hk, i = (uint32_t)ik;
		bool oom = false;
		if (started > 0 && queued > 0)
			oom |= samples_push(&ss[M_WAIT], started - queued, h, i) < 0;
		if (job_status_is_final(status) && started > 0 && finished >= started)
			oom |= samples_push(&ss[M_RUN], finished - started, h, i) < 0;
		if (mem >= 0)
			oom |= samples_push(&ss[M_MEMORY], mem, h, i) < 0;
		if (cpu >= 0)
			oom |= samples_push(&ss[M_CPU], cpu, h, i) < 0;
		if (oom)
			rc = err_set(err, "out of memory");
	}
	if (rc == 0 && step != DB_DONE)
		rc = db_fail_rc(s, step, "cannot make the report", err);
	st_release(s, st);
	return rc;
}

int store_report(store_t *s, int64_t since, int64_t until, const char *host,
		 store_report_t *out, char **err)
{
	memset(out, 0, sizeof(*out));
	if (store_ready(s, err) < 0)
		return -1;
	group_t gr[3];
	samples_t ss[M_COUNT];
	memset(gr, 0, sizeof(gr));
	memset(ss, 0, sizeof(ss));
	for (int g = 0; g < 3; g++)
		gr[g].keys.null_index = -1;
	bool own;
	if (store_read_begin(s, &own, err) < 0)
		return -1;
	int rc = report_read(s, since, until, host, gr, ss, err);
	store_read_end(s, own);
	for (int m = 0; rc == 0 && m < M_COUNT; m++) {
		if (ss[m].n > 1)
			qsort(ss[m].v, ss[m].n, sizeof(sample_t), cmp_sample);
		for (int g = 0; rc == 0 && g < 3; g++)
			if (group_stats(&gr[g], g, &ss[m], measure_offset[m]) < 0)
				rc = err_set(err, "out of memory");
	}
	if (rc == 0) {
		store_report_row_t *all;
		size_t nall;
		group_take(&gr[0], &all, &nall);
		out->all = all[0];
		free(all);
		/* With no job in the period there is no host nor image row. */
		if (out->all.total > 0) {
			group_take(&gr[1], &out->hosts, &out->nhosts);
			group_take(&gr[2], &out->images, &out->nimages);
		}
	}
	for (int g = 0; g < 3; g++) {
		for (size_t k = 0; gr[g].rows && k < gr[g].keys.n; k++)
			free(gr[g].rows[k].key);
		free(gr[g].rows);
		interner_free(&gr[g].keys);
	}
	for (int m = 0; m < M_COUNT; m++)
		free(ss[m].v);
	if (rc < 0)
		store_report_free(out);
	return rc;
}

/* ---- cleanup ---- */

int store_cleanup_list(store_t *s, int64_t before, int64_t **ids, size_t *n,
		       int64_t *output_bytes, char **err)
{
	*ids = NULL;
	*n = 0;
	*output_bytes = 0;
	if (store_ready(s, err) < 0)
		return -1;
	/* Batches of deletes that follow touch the same index pages again and
	 * again: the driver may give this connection more cache for the rest
	 * of its life (a cleanup is the last thing it does). */
	if (s->drv->sql_bulk_delete &&
	    st_run(s, s->drv->sql_bulk_delete, "cannot size the page cache", err) < 0)
		return -1;
	store_long_writer(s);
	db_stmt_t *st = NULL;
	if (st_prepare(s, "SELECT id, (SELECT coalesce(sum(length(data)), 0) FROM job_output o "
			  "WHERE o.job_id = jobs.id) FROM jobs WHERE " FINAL_IN " AND " WHEN_DONE
			  " < ? ORDER BY id",
		       &st, err) < 0)
		return -1;
	binder_t b;
	bind_start(&b, st);
	bind_i64(&b, before);
	int rc = bind_check(s, &b, "cannot list old jobs", err), step = DB_DONE;
	int64_t *v = NULL, bytes = 0;
	size_t count = 0, cap = 0;
	while (rc == 0 && (step = st_step(st)) == DB_ROW) {
		if (!vec_room(&v, &cap, count, sizeof(*v), 256)) {
			rc = err_set(err, "out of memory");
			break;
		}
		v[count++] = col_i64(st, 0);
		bytes += col_i64(st, 1);
	}
	if (rc == 0 && step != DB_DONE)
		rc = db_fail_rc(s, step, "cannot list old jobs", err);
	st_release(s, st);
	if (rc < 0) {
		free(v);
		return -1;
	}
	*ids = v;
	*n = count;
	*output_bytes = bytes;
	return 0;
}

/* " FROM jobs WHERE id IN (?, ...) AND <final> AND <done before ?>" */
static void batch_where(strbuf_t *sql, size_t n)
{
	sb_puts(sql, " FROM jobs WHERE id IN (");
	sql_placeholders(sql, n);
	sb_puts(sql, ") AND " FINAL_IN " AND " WHEN_DONE " < ?");
}

static void bind_batch(binder_t *b, db_stmt_t *st, const int64_t *ids, size_t n,
		       int64_t before)
{
	bind_start(b, st);
	for (size_t i = 0; i < n; i++)
		bind_i64(b, ids[i]);
	bind_i64(b, before);
}

static int batch_count(store_t *s, const int64_t *ids, size_t n, int64_t before,
		       store_cleanup_counts_t *c, char **err)
{
	strbuf_t sql = STRBUF_INIT;
	sb_puts(&sql, "SELECT count(*), "
		      "coalesce(sum((SELECT count(*) FROM job_history h WHERE h.job_id = jobs.id)), 0), "
		      "coalesce(sum((SELECT count(*) FROM job_output o WHERE o.job_id = jobs.id)), 0), "
		      "coalesce(sum((SELECT sum(length(data)) FROM job_output o "
		      "WHERE o.job_id = jobs.id)), 0)");
	batch_where(&sql, n);
	db_stmt_t *st = NULL;
	if (st_prepare_sb(s, &sql, &st, err) < 0)
		return -1;
	binder_t b;
	bind_batch(&b, st, ids, n, before);
	int rc = bind_check(s, &b, "cannot count old jobs", err);
	if (rc == 0) {
		int step = st_step(st);
		if (step == DB_ROW) {
			c->jobs = col_i64(st, 0);
			c->history = col_i64(st, 1);
			c->outputs = col_i64(st, 2);
			c->bytes = col_i64(st, 3);
		} else {
			rc = db_fail_rc(s, step, "cannot count old jobs", err);
		}
	}
	st_release(s, st);
	return rc;
}

int store_cleanup_delete(store_t *s, const int64_t *ids, size_t n, int64_t before,
			 store_cleanup_counts_t *removed, char **err)
{
	if (n == 0)
		return 0;
	if (n > STORE_CLEANUP_BATCH)
		return err_set(err, "at most %d jobs are removed in one transaction",
			       STORE_CLEANUP_BATCH);
	if (store_ready(s, err) < 0 || store_begin(s, err) < 0)
		return -1;
	store_cleanup_counts_t c = {0};
	int rc = batch_count(s, ids, n, before, &c, err);
	if (rc == 0 && c.jobs > 0) {
		strbuf_t sql = STRBUF_INIT;
		sb_puts(&sql, "DELETE");
		batch_where(&sql, n);
		db_stmt_t *st = NULL;
		rc = st_prepare_sb(s, &sql, &st, err);
		if (rc == 0) {
			binder_t b;
			bind_batch(&b, st, ids, n, before);
			rc = exec_changes(s, st, &b, "cannot remove old jobs", err);
			if (rc == 0 && db_changes(s) != c.jobs)
				rc = err_set(err, "cannot remove old jobs: %lld removed where %lld "
						  "were counted",
					     (long long)db_changes(s), (long long)c.jobs);
			if (rc == 1) /* they went between the count and the delete: not possible
					inside the transaction, but never report what did not go */
				rc = err_set(err, "cannot remove old jobs: none matched");
		}
	}
	rc = tx_finish(s, rc, err);
	if (rc == 0) {
		removed->jobs += c.jobs;
		removed->history += c.history;
		removed->outputs += c.outputs;
		removed->bytes += c.bytes;
	}
	return rc;
}
