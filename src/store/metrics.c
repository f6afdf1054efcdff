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

#define RAN "status IN ('completed', 'failed', 'timeout') AND started_at > 0 " \
	    "AND finished_at >= started_at"

int store_run_time_histogram(store_t *s, const int64_t *bounds_ms, size_t n, int64_t *counts,
			     int64_t *total, int64_t *sum_ms, char **err)
{
	if (store_ready(s, err) < 0)
		return -1;
	strbuf_t sql = STRBUF_INIT;
	sb_puts(&sql, "SELECT count(*), coalesce(sum(finished_at - started_at), 0)");
	for (size_t i = 0; i < n; i++)
		sb_printf(&sql, ", coalesce(sum(CASE WHEN finished_at - started_at <= %lld THEN 1 "
				"ELSE 0 END), 0)",
			  (long long)bounds_ms[i]);
	sb_puts(&sql, " FROM jobs WHERE " RAN);
	db_stmt_t *st = NULL;
	int rc = st_prepare_sb(s, &sql, &st, err);
	if (rc < 0)
		return -1;
	int step = st_step(st);
	if (step == DB_ROW) {
		*total = col_i64(st, 0);
		*sum_ms = col_i64(st, 1);
		for (size_t i = 0; i < n; i++)
			counts[i] = col_i64(st, (int)i + 2);
	} else {
		rc = db_fail_rc(s, step, "cannot count the jobs' run times", err);
	}
	st_release(s, st);
	return rc;
}

enum { QUEUED, RUNNING, FINISHED };

static int64_t *field(store_timeline_point_t *p, int which)
{
	return which == QUEUED ? &p->queued : which == RUNNING ? &p->running : &p->finished;
}

/* Adds `sign` to field `at` of the points, per bucket, for the jobs whose
 * column `col` falls in [from, from + n * step), WHERE `cond` too. */
static int add_events(store_t *s, const char *col, const char *cond, int64_t from, int64_t step,
		      size_t n, store_timeline_point_t *out, int at, int sign, char **err)
{
	char *sql = NULL;
	if (asprintf(&sql,
		     "SELECT (%s - ?1) / ?2, count(*) FROM jobs WHERE %s >= ?1 AND %s < ?3%s%s "
		     "GROUP BY (%s - ?1) / ?2",
		     col, col, col, cond ? " AND " : "", cond ? cond : "", col) < 0)
		return err_set(err, "out of memory");
	db_stmt_t *st = NULL;
	int rc = st_prepare(s, sql, &st, err);
	free(sql);
	if (rc < 0)
		return -1;
	binder_t b;
	bind_start(&b, st);
	bind_i64(&b, from);
	bind_i64(&b, step);
	bind_i64(&b, from + (int64_t)n * step);
	rc = bind_check(s, &b, "cannot read the jobs' times", err);
	int got = DB_DONE;
	while (rc == 0 && (got = st_step(st)) == DB_ROW) {
		int64_t k = col_i64(st, 0);
		if (k >= 0 && (size_t)k < n)
			*field(&out[k], at) += sign * col_i64(st, 1);
	}
	if (rc == 0 && got != DB_DONE)
		rc = db_fail_rc(s, got, "cannot read the jobs' times", err);
	st_release(s, st);
	return rc;
}


int store_timeline(store_t *s, int64_t from, int64_t step, size_t n, store_timeline_point_t *out,
		   char **err)
{
	memset(out, 0, n * sizeof(*out));
	if (store_ready(s, err) < 0)
		return -1;
	if (step <= 0 || n == 0)
		return err_set(err, "a timeline needs a step and at least one point");
	int64_t queued0 = 0, running0 = 0;
	/* What was waiting and what was running when the period began. */
	if (query_count_at(s, "SELECT count(*) FROM jobs WHERE queued_at > 0 AND queued_at < ?1 "
			"AND (started_at = 0 OR started_at >= ?1) "
			"AND (finished_at = 0 OR finished_at >= ?1)",
		     from, &queued0, err) < 0 ||
	    query_count_at(s, "SELECT count(*) FROM jobs WHERE started_at > 0 AND started_at < ?1 "
			"AND (finished_at = 0 OR finished_at >= ?1)",
		     from, &running0, err) < 0)
		return -1;
	/* Changes minute by minute: waiting from queued_at to started_at (or to
	 * finished_at for a job that never started), running from started_at
	 * to finished_at. */
	if (add_events(s, "queued_at", "queued_at > 0", from, step, n, out, QUEUED, 1, err) < 0 ||
	    add_events(s, "started_at", "started_at > 0", from, step, n, out, QUEUED, -1, err) < 0 ||
	    add_events(s, "started_at", "started_at > 0", from, step, n, out, RUNNING, 1, err) < 0 ||
	    add_events(s, "finished_at", "finished_at > 0 AND started_at > 0", from, step, n, out,
		       RUNNING, -1, err) < 0 ||
	    add_events(s, "finished_at", "finished_at > 0 AND started_at = 0", from, step, n, out,
		       QUEUED, -1, err) < 0 ||
	    add_events(s, "finished_at", "finished_at > 0", from, step, n, out, FINISHED, 1, err) < 0)
		return -1;
	/* The deltas become the counts at the end of each step. */
	int64_t q = queued0, r = running0;
	for (size_t i = 0; i < n; i++) {
		q += out[i].queued;
		r += out[i].running;
		out[i].queued = q > 0 ? q : 0;
		out[i].running = r > 0 ? r : 0;
	}
	return 0;
}
