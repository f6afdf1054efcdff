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

#include <stdlib.h>
#include <string.h>

#include "store/store_int.h"
#include "util/err.h"

#define FINAL_IN "status IN ('completed', 'failed', 'timeout', 'cancelled')"
/* When a job is counted as done: its finish time, else its creation. */
#define WHEN_DONE "coalesce(nullif(finished_at, 0), created_at)"
/* The host a job belongs to (report.h). */
#define HOST_KEY "CASE WHEN status = 'queued' THEN host ELSE coalesce(ran_on, host) END"

/* ---- a read snapshot: several SELECTs that agree with each other ---- */

static int snap_begin(store_t *s, bool *own, char **err)
{
	*own = false;
	if (s->depth > 0 || !sqlite3_get_autocommit(s->db))
		return 0; /* the caller's transaction is the snapshot */
	if (st_run(s, "BEGIN DEFERRED", "cannot read the job store", err) < 0)
		return -1;
	*own = true;
	return 0;
}

static void snap_end(store_t *s, bool own)
{
	if (own && !sqlite3_get_autocommit(s->db) &&
	    st_run(s, "COMMIT", "cannot end the read", NULL) < 0)
		st_run(s, "ROLLBACK", "rollback", NULL);
}

static int prepare_sb(store_t *s, strbuf_t *sql, sqlite3_stmt **st, char **err)
{
	if (sql->failed) {
		sb_free(sql);
		return err_set(err, "out of memory");
	}
	int rc = st_prepare(s, sql->buf, st, err);
	sb_free(sql);
	return rc;
}

static bool same_key(const char *a, const char *b)
{
	return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

static int read_status_col(sqlite3_stmt *st, int col, job_status_t *out, char **err)
{
	const char *name = (const char *)sqlite3_column_text(st, col);
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
	}
	free(st->active);
	memset(st, 0, sizeof(*st));
}

static int status_counts(store_t *s, const char *host, int64_t now, store_status_t *out,
			 char **err)
{
	strbuf_t sql = STRBUF_INIT;
	sb_puts(&sql, "SELECT " HOST_KEY " AS k, status, count(*), "
		      "sum(status = 'queued' AND not_before <= ?1), "
		      "sum(status = 'queued' AND not_before > ?1), "
		      "min(CASE WHEN status = 'queued' AND not_before > ?1 THEN not_before END) "
		      "FROM jobs WHERE 1");
	if (host)
		sb_puts(&sql, " AND (host = ?2 OR ran_on = ?2)");
	sb_puts(&sql, " GROUP BY k, status ORDER BY k IS NULL, k");
	sqlite3_stmt *st = NULL;
	if (prepare_sb(s, &sql, &st, err) < 0)
		return -1;
	binder_t b;
	bind_start(&b, st);
	bind_i64(&b, now);
	if (host)
		bind_text(&b, host);
	int rc = bind_check(s, &b, "cannot count the jobs", err), step = SQLITE_DONE;
	while (rc == 0 && (step = sqlite3_step(st)) == SQLITE_ROW) {
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
		int64_t n = sqlite3_column_int64(st, 2);
		h->counts[status] += n;
		h->total += n;
		h->ready += sqlite3_column_int64(st, 3);
		h->scheduled += sqlite3_column_int64(st, 4);
		out->counts[status] += n;
		out->total += n;
		out->ready += sqlite3_column_int64(st, 3);
		out->scheduled += sqlite3_column_int64(st, 4);
		if (sqlite3_column_type(st, 5) != SQLITE_NULL) {
			int64_t next = sqlite3_column_int64(st, 5);
			if (!out->next_at || next < out->next_at)
				out->next_at = next;
		}
	}
	if (rc == 0 && step != SQLITE_DONE)
		rc = db_fail_rc(s, step, "cannot count the jobs", err);
	st_release(s, st);
	return rc;
}

static int status_oldest(store_t *s, const char *host, int64_t now, store_status_t *out,
			 char **err)
{
	strbuf_t sql = STRBUF_INIT;
	sb_puts(&sql, "SELECT id, queued_at FROM jobs WHERE status = 'queued' AND "
		      "not_before <= ?1");
	if (host)
		sb_puts(&sql, " AND (host = ?2 OR ran_on = ?2)");
	sb_puts(&sql, " ORDER BY queued_at, id LIMIT 1");
	sqlite3_stmt *st = NULL;
	if (prepare_sb(s, &sql, &st, err) < 0)
		return -1;
	binder_t b;
	bind_start(&b, st);
	bind_i64(&b, now);
	if (host)
		bind_text(&b, host);
	int rc = bind_check(s, &b, "cannot find the oldest queued job", err);
	if (rc == 0) {
		int step = sqlite3_step(st);
		if (step == SQLITE_ROW) {
			out->oldest_id = sqlite3_column_int64(st, 0);
			out->oldest_queued_at = sqlite3_column_int64(st, 1);
		} else if (step != SQLITE_DONE) {
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
		      "started_at, memory_bytes, nano_cpus, peak_memory_bytes, cpu_usage_ns "
		      "FROM jobs WHERE status IN ('launching', 'running')");
	if (host)
		sb_puts(&sql, " AND (host = ?1 OR ran_on = ?1)");
	sb_puts(&sql, " ORDER BY id");
	sqlite3_stmt *st = NULL;
	if (prepare_sb(s, &sql, &st, err) < 0)
		return -1;
	binder_t b;
	bind_start(&b, st);
	if (host)
		bind_text(&b, host);
	int rc = bind_check(s, &b, "cannot list the running jobs", err), step = SQLITE_DONE;
	while (rc == 0 && (step = sqlite3_step(st)) == SQLITE_ROW) {
		store_active_job_t *nv = realloc(out->active, (out->nactive + 1) * sizeof(*nv));
		if (!nv) {
			rc = err_set(err, "out of memory");
			break;
		}
		out->active = nv;
		store_active_job_t *a = &out->active[out->nactive++];
		memset(a, 0, sizeof(*a));
		bool oom = false;
		a->id = sqlite3_column_int64(st, 0);
		a->name = col_text(st, 2, &oom);
		a->image = col_text(st, 3, &oom);
		a->host = col_text(st, 4, &oom);
		a->container_id = col_text(st, 5, &oom);
		a->queued_at = sqlite3_column_int64(st, 6);
		a->started_at = sqlite3_column_int64(st, 7);
		a->memory_limit_bytes = sqlite3_column_int64(st, 8);
		a->nano_cpus = sqlite3_column_int64(st, 9);
		a->peak_memory_bytes = sqlite3_column_int64(st, 10);
		a->cpu_usage_ns = sqlite3_column_int64(st, 11);
		if (oom)
			rc = err_set(err, "out of memory");
		else
			rc = read_status_col(st, 1, &a->status, err);
	}
	if (rc == 0 && step != SQLITE_DONE)
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
	if (snap_begin(s, &own, err) < 0)
		return -1;
	int rc = status_counts(s, host, now, out, err);
	if (rc == 0)
		rc = status_oldest(s, host, now, out, err);
	if (rc == 0)
		rc = status_active(s, host, out, err);
	snap_end(s, own);
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

/* The jobs of the period: ?1 since, ?2 until, ?3 host. */
static void period_where(strbuf_t *sql, const char *host)
{
	sb_puts(sql, " FROM jobs WHERE " WHEN_DONE " >= ?1 AND " WHEN_DONE " < ?2");
	if (host)
		sb_puts(sql, " AND (host = ?3 OR ran_on = ?3)");
}

static int bind_period(store_t *s, sqlite3_stmt *st, int64_t since, int64_t until,
		       const char *host, char **err)
{
	binder_t b;
	bind_start(&b, st);
	bind_i64(&b, since);
	bind_i64(&b, until);
	if (host)
		bind_text(&b, host);
	return bind_check(s, &b, "cannot make the report", err);
}

typedef struct {
	store_report_row_t **rows;
	size_t *n;
} row_set_t;

static store_report_row_t *find_row(row_set_t set, const char *key)
{
	for (size_t i = 0; i < *set.n; i++)
		if (same_key((*set.rows)[i].key, key))
			return &(*set.rows)[i];
	return NULL;
}

/* Counts per key and status; makes the rows (every key of the period). */
static int report_counts(store_t *s, const char *key_sql, row_set_t set, int64_t since,
			 int64_t until, const char *host, char **err)
{
	strbuf_t sql = STRBUF_INIT;
	sb_printf(&sql, "SELECT %s AS k, status, count(*)", key_sql);
	period_where(&sql, host);
	sb_puts(&sql, " GROUP BY k, status ORDER BY k IS NULL, k");
	sqlite3_stmt *st = NULL;
	if (prepare_sb(s, &sql, &st, err) < 0)
		return -1;
	int rc = bind_period(s, st, since, until, host, err), step = SQLITE_DONE;
	while (rc == 0 && (step = sqlite3_step(st)) == SQLITE_ROW) {
		bool oom = false;
		char *k = col_text(st, 0, &oom);
		job_status_t status;
		if (oom || read_status_col(st, 1, &status, err) < 0) {
			rc = oom ? err_set(err, "out of memory") : -1;
			free(k);
			break;
		}
		store_report_row_t *r = find_row(set, k);
		if (r) {
			free(k);
		} else {
			store_report_row_t *nv = realloc(*set.rows, (*set.n + 1) * sizeof(*nv));
			if (!nv) {
				free(k);
				rc = err_set(err, "out of memory");
				break;
			}
			*set.rows = nv;
			r = &nv[(*set.n)++];
			memset(r, 0, sizeof(*r));
			r->key = k;
		}
		int64_t n = sqlite3_column_int64(st, 2);
		r->counts[status] += n;
		r->total += n;
	}
	if (rc == 0 && step != SQLITE_DONE)
		rc = db_fail_rc(s, step, "cannot make the report", err);
	st_release(s, st);
	return rc;
}

typedef struct {
	const char *expr;
	const char *valid;
	size_t offset; /* of the store_stat_t in store_report_row_t */
} measure_t;

static const measure_t measures[] = {
	{"started_at - queued_at", "started_at > 0 AND queued_at > 0",
	 offsetof(store_report_row_t, wait_ms)},
	{"finished_at - started_at", FINAL_IN " AND started_at > 0 AND finished_at >= started_at",
	 offsetof(store_report_row_t, run_ms)},
	{"peak_memory_bytes", "peak_memory_bytes >= 0", offsetof(store_report_row_t, memory)},
	{"cpu_usage_ns", "cpu_usage_ns >= 0", offsetof(store_report_row_t, cpu_ns)},
};

/* Average, median, 95th percentile (nearest rank) and maximum of one
 * measure per key, all in SQL (window functions). */
static int report_measure(store_t *s, const char *key_sql, const measure_t *m, row_set_t set,
			  int64_t since, int64_t until, const char *host, char **err)
{
	strbuf_t sql = STRBUF_INIT;
	sb_printf(&sql, "WITH v AS (SELECT %s AS k, (%s) AS x", key_sql, m->expr);
	period_where(&sql, host);
	sb_printf(&sql, " AND %s), r AS (SELECT k, x, row_number() OVER (PARTITION BY k "
			"ORDER BY x) AS rn, count(*) OVER (PARTITION BY k) AS n FROM v) "
			"SELECT k, count(*), avg(x), "
			"avg(CASE WHEN rn IN ((n + 1) / 2, (n + 2) / 2) THEN x END), "
			"max(CASE WHEN rn = (95 * n + 99) / 100 THEN x END), max(x) "
			"FROM r GROUP BY k",
		  m->valid);
	sqlite3_stmt *st = NULL;
	if (prepare_sb(s, &sql, &st, err) < 0)
		return -1;
	int rc = bind_period(s, st, since, until, host, err), step = SQLITE_DONE;
	while (rc == 0 && (step = sqlite3_step(st)) == SQLITE_ROW) {
		const char *k = (const char *)sqlite3_column_text(st, 0);
		if (!k && sqlite3_column_type(st, 0) != SQLITE_NULL) {
			rc = err_set(err, "out of memory");
			break;
		}
		store_report_row_t *r = find_row(set, k);
		if (!r)
			continue; /* a job that arrived between the two reads */
		store_stat_t *stat = (store_stat_t *)((char *)r + m->offset);
		stat->n = sqlite3_column_int64(st, 1);
		stat->avg = sqlite3_column_double(st, 2);
		stat->median = sqlite3_column_double(st, 3);
		stat->p95 = sqlite3_column_int64(st, 4);
		stat->max = sqlite3_column_int64(st, 5);
	}
	if (rc == 0 && step != SQLITE_DONE)
		rc = db_fail_rc(s, step, "cannot make the report", err);
	st_release(s, st);
	return rc;
}

static int report_group(store_t *s, const char *key_sql, row_set_t set, int64_t since,
			int64_t until, const char *host, char **err)
{
	if (report_counts(s, key_sql, set, since, until, host, err) < 0)
		return -1;
	for (size_t i = 0; i < sizeof(measures) / sizeof(measures[0]); i++)
		if (report_measure(s, key_sql, &measures[i], set, since, until, host, err) < 0)
			return -1;
	return 0;
}

int store_report(store_t *s, int64_t since, int64_t until, const char *host,
		 store_report_t *out, char **err)
{
	memset(out, 0, sizeof(*out));
	if (store_ready(s, err) < 0)
		return -1;
	bool own;
	if (snap_begin(s, &own, err) < 0)
		return -1;
	store_report_row_t *all = NULL;
	size_t nall = 0;
	int rc = report_group(s, "NULL", (row_set_t){&all, &nall}, since, until, host, err);
	if (rc == 0)
		rc = report_group(s, HOST_KEY, (row_set_t){&out->hosts, &out->nhosts}, since,
				  until, host, err);
	if (rc == 0)
		rc = report_group(s, "image", (row_set_t){&out->images, &out->nimages}, since,
				  until, host, err);
	snap_end(s, own);
	if (nall > 0)
		out->all = all[0];
	for (size_t i = 1; i < nall; i++)
		report_row_free(&all[i]);
	free(all);
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
	sqlite3_stmt *st = NULL;
	if (st_prepare(s, "SELECT id, (SELECT coalesce(sum(length(data)), 0) FROM job_output o "
			  "WHERE o.job_id = jobs.id) FROM jobs WHERE " FINAL_IN " AND " WHEN_DONE
			  " < ? ORDER BY id",
		       &st, err) < 0)
		return -1;
	binder_t b;
	bind_start(&b, st);
	bind_i64(&b, before);
	int rc = bind_check(s, &b, "cannot list old jobs", err), step = SQLITE_DONE;
	int64_t *v = NULL, bytes = 0;
	size_t count = 0, cap = 0;
	while (rc == 0 && (step = sqlite3_step(st)) == SQLITE_ROW) {
		if (count == cap) {
			size_t ncap = cap ? cap * 2 : 256;
			int64_t *nv = realloc(v, ncap * sizeof(*nv));
			if (!nv) {
				rc = err_set(err, "out of memory");
				break;
			}
			v = nv;
			cap = ncap;
		}
		v[count++] = sqlite3_column_int64(st, 0);
		bytes += sqlite3_column_int64(st, 1);
	}
	if (rc == 0 && step != SQLITE_DONE)
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

static void bind_batch(binder_t *b, sqlite3_stmt *st, const int64_t *ids, size_t n,
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
	sqlite3_stmt *st = NULL;
	if (prepare_sb(s, &sql, &st, err) < 0)
		return -1;
	binder_t b;
	bind_batch(&b, st, ids, n, before);
	int rc = bind_check(s, &b, "cannot count old jobs", err);
	if (rc == 0) {
		int step = sqlite3_step(st);
		if (step == SQLITE_ROW) {
			c->jobs = sqlite3_column_int64(st, 0);
			c->history = sqlite3_column_int64(st, 1);
			c->outputs = sqlite3_column_int64(st, 2);
			c->bytes = sqlite3_column_int64(st, 3);
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
		sqlite3_stmt *st = NULL;
		rc = prepare_sb(s, &sql, &st, err);
		if (rc == 0) {
			binder_t b;
			bind_batch(&b, st, ids, n, before);
			rc = exec_changes(s, st, &b, "cannot remove old jobs", err);
			if (rc == 0 && sqlite3_changes(s->db) != c.jobs)
				rc = err_set(err, "cannot remove old jobs: %d removed where %lld "
						  "were counted",
					     sqlite3_changes(s->db), (long long)c.jobs);
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
