/*
 * store/claim.c: handing queued jobs to workers, and the counts a worker
 * plans its loop with.
 *
 * A claim reads and writes under one BEGIN IMMEDIATE, so two workers (two
 * processes, or two handles) never claim the same job. The choice walks
 * the jobs_claim index in (priority DESC, id) order and stops after `max`
 * rows: it must never sort or scan the whole queue, because the worker
 * claims in every turn of its loop.
 */
#include "store/store_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/err.h"
#include "util/timeutil.h"

/* One arm of the per-host claim query: the best max jobs of one pinned host
 * (or of none), read from jobs_claim_host in order. */
static void claim_arm(strbuf_t *sql, const char *host_term)
{
	sb_printf(sql, "SELECT id, priority FROM (SELECT id, priority FROM jobs INDEXED BY "
		       "jobs_claim_host WHERE status = 'queued' AND %s AND not_before <= ?1 "
		       "ORDER BY priority DESC, id LIMIT ?2)",
		  host_term);
}

void claim_sql(strbuf_t *sql, char *const *hosts)
{
	/* INDEXED BY makes a schema change that loses an index an error
	 * instead of a silent full scan. */
	if (!hosts) {
		sb_puts(sql, "SELECT id FROM jobs INDEXED BY jobs_claim WHERE status = "
			     "'queued' AND not_before <= ?1 ORDER BY priority DESC, id LIMIT ?2");
		return;
	}
	/* One ordered walk per host, merged: a single walk with "host IN"
	 * would step over every job pinned to other hosts, each time. UNION
	 * drops the duplicates a repeated host name would make. */
	sb_puts(sql, "SELECT id FROM (");
	claim_arm(sql, "host IS NULL");
	for (size_t i = 0; hosts[i]; i++) {
		sb_puts(sql, " UNION ");
		char term[32];
		snprintf(term, sizeof(term), "host = ?%zu", i + 3);
		claim_arm(sql, term);
	}
	sb_puts(sql, ") ORDER BY priority DESC, id LIMIT ?2");
}

/* Ids of up to max ready jobs, best first. */
static int pick(store_t *s, char *const *hosts, int64_t now, int max, int64_t **ids,
		size_t *n, char **err)
{
	strbuf_t sql = STRBUF_INIT;
	claim_sql(&sql, hosts);
	if (sql.failed) {
		sb_free(&sql);
		return err_set(err, "out of memory");
	}
	sqlite3_stmt *st = NULL;
	int rc = st_prepare(s, sql.buf, &st, err);
	sb_free(&sql);
	if (rc < 0)
		return -1;
	binder_t b;
	bind_start(&b, st);
	bind_i64(&b, now);
	bind_i64(&b, max);
	bind_hosts(&b, hosts);
	rc = bind_check(s, &b, "cannot claim jobs", err);
	int64_t *v = NULL;
	size_t count = 0, cap = 0;
	int step = SQLITE_DONE;
	while (rc == 0 && (step = sqlite3_step(st)) == SQLITE_ROW) {
		if (count == cap) {
			size_t ncap = cap ? cap * 2 : 16;
			int64_t *nv = realloc(v, ncap * sizeof(*nv));
			if (!nv) {
				rc = err_set(err, "out of memory");
				break;
			}
			v = nv;
			cap = ncap;
		}
		v[count++] = sqlite3_column_int64(st, 0);
	}
	if (rc == 0 && step != SQLITE_DONE)
		rc = db_fail_rc(s, step, "cannot claim jobs", err);
	st_release(s, st);
	if (rc < 0) {
		free(v);
		return -1;
	}
	*ids = v;
	*n = count;
	return 0;
}

/* Moves one picked job to launching and reads it back. */
static int take(store_t *s, int64_t id, const char *worker_id, int64_t lease_until,
		job_t *out, char **err)
{
	sqlite3_stmt *st = NULL;
	if (st_prepare(s, "UPDATE jobs SET status = 'launching', worker_id = ?, "
			  "lease_until = ?, attempt = attempt + 1 "
			  "WHERE id = ? AND status = 'queued' RETURNING " JOB_COLUMNS,
		       &st, err) < 0)
		return -1;
	binder_t b;
	bind_start(&b, st);
	bind_text(&b, worker_id);
	bind_i64(&b, lease_until);
	bind_i64(&b, id);
	int rc = bind_check(s, &b, "cannot claim the job", err);
	if (rc == 0) {
		int step = sqlite3_step(st);
		if (step == SQLITE_ROW)
			rc = job_from_row(st, out, err);
		else if (step == SQLITE_DONE)
			rc = err_set(err, "job %lld left the queue while being claimed",
				     (long long)id);
		else
			rc = db_fail_rc(s, step, "cannot claim the job", err);
	}
	/* RETURNING's statement must run to its end before the update counts. */
	if (rc == 0 && sqlite3_step(st) != SQLITE_DONE) {
		job_free(out);
		rc = db_fail(s, "cannot claim the job", err);
	}
	st_release(s, st);
	return rc;
}

static int claim_all(store_t *s, const char *worker_id, int64_t lease_until,
		     char *const *hosts, int max, job_t **out, size_t *n, char **err)
{
	int64_t now = now_ms();
	int64_t *ids = NULL;
	size_t count = 0, done = 0;
	if (pick(s, hosts, now, max, &ids, &count, err) < 0)
		return -1;
	strbuf_t actor = STRBUF_INIT;
	sb_printf(&actor, "worker:%s", worker_id);
	job_t *jobs = count ? calloc(count, sizeof(*jobs)) : NULL;
	int rc = (actor.failed || (count && !jobs)) ? err_set(err, "out of memory") : 0;
	for (; rc == 0 && done < count; done++) {
		if (take(s, ids[done], worker_id, lease_until, &jobs[done], err) < 0) {
			rc = -1;
			break;
		}
		if (history_append(s, ids[done], now, jobs[done].attempt, JOB_QUEUED,
				   JOB_LAUNCHING, actor.buf, "claimed", err) < 0) {
			job_free(&jobs[done]);
			rc = -1;
			break;
		}
	}
	free(ids);
	sb_free(&actor);
	if (rc < 0) {
		store_job_list_free(jobs, done);
		return -1;
	}
	*out = jobs;
	*n = count;
	return 0;
}

int store_job_claim(store_t *s, const char *worker_id, int64_t lease_until,
		    char *const *hosts, int max, job_t **out, size_t *n, char **err)
{
	*out = NULL;
	*n = 0;
	if (!worker_id || !*worker_id)
		return err_set(err, "cannot claim jobs: no worker id given");
	if (store_ready(s, err) < 0)
		return -1;
	if (max <= 0)
		return 0;
	if (store_begin(s, err) < 0)
		return -1;
	job_t *jobs = NULL;
	size_t count = 0;
	int rc = claim_all(s, worker_id, lease_until, hosts, max, &jobs, &count, err);
	if (tx_finish(s, rc, err) < 0) {
		store_job_list_free(jobs, count);
		return -1;
	}
	*out = jobs;
	*n = count;
	return 0;
}

/* One number from a query over queued jobs filtered by hosts. */
static int queued_number(store_t *s, const char *head, char *const *hosts, int64_t now,
			 int64_t *out, char **err)
{
	strbuf_t sql = STRBUF_INIT;
	sb_puts(&sql, head);
	sql_host_filter(&sql, hosts);
	if (sql.failed) {
		sb_free(&sql);
		return err_set(err, "out of memory");
	}
	sqlite3_stmt *st = NULL;
	int rc = st_prepare(s, sql.buf, &st, err);
	sb_free(&sql);
	if (rc < 0)
		return -1;
	binder_t b;
	bind_start(&b, st);
	bind_i64(&b, now);
	bind_hosts(&b, hosts);
	rc = bind_check(s, &b, "cannot count ready jobs", err);
	if (rc == 0) {
		int step = sqlite3_step(st);
		if (step == SQLITE_ROW)
			*out = sqlite3_column_int64(st, 0);   /* NULL reads as 0 */
		else
			rc = db_fail_rc(s, step, "cannot count ready jobs", err);
	}
	st_release(s, st);
	return rc;
}

int store_job_ready_count(store_t *s, char *const *hosts, int64_t now, int64_t *ready,
			  int64_t *next_at, char **err)
{
	int64_t r = 0, next = 0;
	if (ready)
		*ready = 0;
	if (next_at)
		*next_at = 0;
	if (store_ready(s, err) < 0)
		return -1;
	if (ready && queued_number(s, "SELECT count(*) FROM jobs INDEXED BY jobs_ready "
				      "WHERE status = 'queued' "
				      "AND not_before <= ? AND ",
				   hosts, now, &r, err) < 0)
		return -1;
	if (next_at && queued_number(s, "SELECT min(not_before) FROM jobs INDEXED BY "
					"jobs_ready WHERE status = 'queued' AND not_before > ? AND ",
				     hosts, now, &next, err) < 0)
		return -1;
	if (ready)
		*ready = r;
	if (next_at)
		*next_at = next;
	return 0;
}

int store_job_active_on(store_t *s, const char *host, int64_t *n, char **err)
{
	*n = 0;
	if (store_ready(s, err) < 0)
		return -1;
	return query_count(s, "SELECT count(*) FROM jobs WHERE ran_on = ? AND status IN "
			      "('launching', 'running')",
			   host, n, err);
}

int store_job_take_over(store_t *s, const job_t *job, const char *old_worker,
			int64_t old_lease, const char *worker_id, int64_t lease_until, char **err)
{
	if (store_ready(s, err) < 0 || store_begin(s, err) < 0)
		return -1;
	sqlite3_stmt *st = NULL;
	int rc = st_prepare(s,
			    "UPDATE jobs SET worker_id = ?, lease_until = ? WHERE id = ? "
			    "AND status = ? AND worker_id IS ? AND lease_until = ?",
			    &st, err);
	if (rc == 0) {
		binder_t b;
		bind_start(&b, st);
		bind_text(&b, worker_id);
		bind_i64(&b, lease_until);
		bind_i64(&b, job->id);
		bind_text(&b, job_status_name(job->status));
		bind_text(&b, old_worker);
		bind_i64(&b, old_lease);
		rc = exec_changes(s, st, &b, "cannot take the job over", err);
	}
	return tx_finish(s, rc, err);
}
