/*
 * store/metrics.c: the aggregates behind the server's /metrics and the
 * dashboard's queue plot: finished jobs' run times counted into buckets,
 * and how many jobs were queued, running and finished minute by minute.
 * Readers only; every value they put into SQL is a number of ours or a
 * bound parameter.
 */
#include "store/metrics.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/store_int.h"
#include "util/err.h"
#include "util/strbuf.h"

/* From a second to a day, as /metrics names them (in seconds). */
const int64_t store_run_bounds_ms[STORE_RUN_BUCKETS] = {
	1000, 5000, 10000, 30000, 60000, 300000, 600000, 1800000, 3600000, 4 * 3600000, 86400000,
};

int store_run_bucket(int64_t run_ms)
{
	int i = 0;
	while (i < STORE_RUN_BUCKETS && run_ms > store_run_bounds_ms[i])
		i++;
	return i;
}

int store_run_time_histogram(store_t *s, int64_t counts[STORE_RUN_BUCKETS], int64_t *total,
			     int64_t *sum_ms, char **err)
{
	if (store_ready(s, err) < 0)
		return -1;
	int64_t per[STORE_RUN_BUCKETS + 1] = {0};
	*total = *sum_ms = 0;
	db_stmt_t *st = NULL;
	if (st_prepare(s, "SELECT bucket, n, sum_ms FROM job_run_times", &st, err) < 0)
		return -1;
	int step;
	while ((step = st_step(st)) == DB_ROW) {
		int64_t b = col_i64(st, 0);
		/* A bucket this version does not know (none is written) is
		 * counted as past the last bound rather than lost. */
		per[b >= 0 && b < STORE_RUN_BUCKETS ? b : STORE_RUN_BUCKETS] += col_i64(st, 1);
		*total += col_i64(st, 1);
		*sum_ms += col_i64(st, 2);
	}
	st_release(s, st);
	if (step != DB_DONE)
		return db_fail_rc(s, step, "cannot count the jobs' run times", err);
	int64_t below = 0;
	for (int i = 0; i < STORE_RUN_BUCKETS; i++)
		counts[i] = below += per[i];
	return 0;
}

int metrics_count_run_times(store_t *s, char **err)
{
	strbuf_t sql = STRBUF_INIT;
	sb_puts(&sql, "INSERT INTO job_run_times (bucket, n, sum_ms) SELECT b, count(*), "
		      "sum(d) FROM (SELECT finished_at - started_at AS d, CASE");
	for (int i = 0; i < STORE_RUN_BUCKETS; i++)
		sb_printf(&sql, " WHEN finished_at - started_at <= %lld THEN %d",
			  (long long)store_run_bounds_ms[i], i);
	sb_printf(&sql, " ELSE %d END AS b FROM jobs WHERE status IN ('completed', 'failed', "
			"'timeout') AND started_at > 0 AND finished_at >= started_at) AS ran "
			"GROUP BY b",
		  STORE_RUN_BUCKETS);
	if (sql.failed) {
		sb_free(&sql);
		return err_set(err, "out of memory");
	}
	int rc = st_run(s, "DELETE FROM job_run_times", "cannot count the jobs' run times", err);
	if (rc == 0)
		rc = st_run(s, sql.buf, "cannot count the jobs' run times", err);
	sb_free(&sql);
	return rc;
}

/* Jobs waiting (queued or launching) and running, as they are now. */
static int active_now(store_t *s, int64_t *waiting, int64_t *running, char **err)
{
	*waiting = *running = 0;
	db_stmt_t *st = NULL;
	if (st_prepare(s, "SELECT status, count(*) FROM jobs WHERE status IN ('queued', "
			  "'launching', 'running') GROUP BY status",
		       &st, err) < 0)
		return -1;
	int step;
	while ((step = st_step(st)) == DB_ROW) {
		const char *name = col_str(st, 0);
		*(name && strcmp(name, "running") == 0 ? running : waiting) += col_i64(st, 1);
	}
	st_release(s, st);
	return step == DB_DONE ? 0 : db_fail_rc(s, step, "cannot count the jobs", err);
}

/* The first history row (by id) written at or after t: history rows are
 * appended as the changes happen, so their ids follow their times, and a
 * binary search over the ids finds the start of a period in a few indexed
 * reads, however long the history. *id is one past the last row when none
 * is that late. */
static int history_from(store_t *s, int64_t t, int64_t *id, char **err)
{
	int64_t lo = 0, hi = 0;
	if (query_count(s, "SELECT coalesce(max(id), 0) + 1 FROM job_history", NULL, &hi, err) < 0)
		return -1;
	db_stmt_t *st = NULL;
	while (lo < hi) {
		int64_t mid = lo + (hi - lo) / 2;
		if (st_prepare(s, "SELECT id, at FROM job_history WHERE id >= ? ORDER BY id LIMIT 1",
			       &st, err) < 0)
			return -1;
		binder_t b;
		bind_start(&b, st);
		bind_i64(&b, mid);
		int rc = bind_check(s, &b, "cannot read the history", err), step = DB_DONE;
		int64_t row_id = 0, at = 0;
		if (rc == 0 && (step = st_step(st)) == DB_ROW) {
			row_id = col_i64(st, 0);
			at = col_i64(st, 1);
		}
		st_release(s, st);
		if (rc < 0)
			return -1;
		if (step != DB_ROW && step != DB_DONE)
			return db_fail_rc(s, step, "cannot read the history", err);
		if (step == DB_ROW && at < t)
			lo = row_id + 1;
		else
			hi = mid;
	}
	*id = lo;
	return 0;
}

static bool waiting_status(const char *s)
{
	return s && (strcmp(s, "queued") == 0 || strcmp(s, "launching") == 0);
}

static bool final_status(const char *s)
{
	job_status_t st;
	return s && job_status_parse(s, &st) && job_status_is_final(st);
}

/* The timeline from the history of the period alone: what waits and runs
 * now, less the changes since the period began, gives the start; each
 * change then moves its step. Reads the period's history rows and two
 * counts, not the whole jobs table. */
static int timeline_read(store_t *s, int64_t from, int64_t step, size_t n,
			 store_timeline_point_t *out, char **err)
{
	int64_t waiting = 0, running = 0, first = 0;
	if (active_now(s, &waiting, &running, err) < 0 || history_from(s, from, &first, err) < 0)
		return -1;
	db_stmt_t *st = NULL;
	if (st_prepare(s, "SELECT at, from_status, to_status FROM job_history WHERE id >= ? "
			  "ORDER BY id",
		       &st, err) < 0)
		return -1;
	binder_t b;
	bind_start(&b, st);
	bind_i64(&b, first);
	int rc = bind_check(s, &b, "cannot read the history", err), got = DB_DONE;
	int64_t dw_all = 0, dr_all = 0;
	while (rc == 0 && (got = st_step(st)) == DB_ROW) {
		int64_t at = col_i64(st, 0);
		if (at < from)
			continue;  /* written a moment late by a clock behind */
		const char *was = col_str(st, 1), *to = col_str(st, 2);
		int dw = waiting_status(to) - waiting_status(was);
		int dr = (to && strcmp(to, "running") == 0) - (was && strcmp(was, "running") == 0);
		dw_all += dw;
		dr_all += dr;
		int64_t k = (at - from) / step;
		if (k < (int64_t)n) {
			out[k].queued += dw;
			out[k].running += dr;
			out[k].finished += final_status(to) && !final_status(was);
		}
	}
	if (rc == 0 && got != DB_DONE)
		rc = db_fail_rc(s, got, "cannot read the history", err);
	st_release(s, st);
	if (rc < 0)
		return -1;
	/* The deltas become the counts at the end of each step. */
	int64_t q = waiting - dw_all, r = running - dr_all;
	for (size_t i = 0; i < n; i++) {
		q += out[i].queued;
		r += out[i].running;
		out[i].queued = q > 0 ? q : 0;
		out[i].running = r > 0 ? r : 0;
	}
	return 0;
}

int store_timeline(store_t *s, int64_t from, int64_t step, size_t n, store_timeline_point_t *out,
		   char **err)
{
	memset(out, 0, n * sizeof(*out));
	if (store_ready(s, err) < 0)
		return -1;
	if (step <= 0 || n == 0)
		return err_set(err, "a timeline needs a step and at least one point");
	/* The counts and the history in one snapshot, so that they agree. */
	bool own = false;
	if (store_read_begin(s, &own, err) < 0)
		return -1;
	int rc = timeline_read(s, from, step, n, out, err);
	store_read_end(s, own);
	if (rc < 0)
		memset(out, 0, n * sizeof(*out));
	return rc;
}
