/*
 * store/schedules.c: the schedules table, their skipped runs, and the one
 * transaction that turns a due time into a job.
 *
 * Exactly one job per due time, whatever the number of workers: firing
 * moves next_due by compare-and-set, and the job's (schedule_id, due_at)
 * is unique, so the loser of a race writes nothing. This file never works
 * out a due time (core/cron.c does) and never reads the clock for one.
 */
#include "store/schedules.h"

#include <stdlib.h>
#include <string.h>

#include "store/store_int.h"
#include "util/err.h"
#include "util/timeutil.h"

/* Skipped runs kept per schedule: enough for `schedule show`, bounded. */
#define SKIPS_KEPT 100
#define FINAL_STATUSES "('completed', 'failed', 'timeout', 'cancelled')"

void store_schedule_free(store_schedule_t *sc)
{
	if (!sc)
		return;
	free(sc->name);
	free(sc->cron);
	free(sc->tz);
	free(sc->job);
	free(sc->concurrency);
	free(sc->catch_up);
	memset(sc, 0, sizeof(*sc));
}

void store_schedule_list_free(store_schedule_t *v, size_t n)
{
	for (size_t i = 0; v && i < n; i++)
		store_schedule_free(&v[i]);
	free(v);
}

static int schedule_from_row(db_stmt_t *st, store_schedule_t *sc, char **err)
{
	bool oom = false;
	memset(sc, 0, sizeof(*sc));
	sc->id = col_i64(st, 0);
	sc->name = col_text(st, 1, &oom);
	sc->cron = col_text(st, 2, &oom);
	sc->tz = col_text(st, 3, &oom);
	sc->job = col_text(st, 4, &oom);
	sc->concurrency = col_text(st, 5, &oom);
	sc->catch_up = col_text(st, 6, &oom);
	sc->keep = col_i64(st, 7);
	sc->paused = col_i64(st, 8) != 0;
	sc->next_due = col_i64(st, 9);
	sc->created_at = col_i64(st, 10);
	if (oom || !sc->name || !sc->cron || !sc->tz || !sc->job || !sc->concurrency ||
	    !sc->catch_up) {
		store_schedule_free(sc);
		return err_set(err, "out of memory");
	}
	return 0;
}

/* Steps st to the end, collecting schedules. */
static int collect(store_t *s, db_stmt_t *st, store_schedule_t **out, size_t *n,
		   const char *what, char **err)
{
	store_schedule_t *v = NULL;
	size_t count = 0, cap = 0;
	int rc = 0, step = DB_DONE;
	while (rc == 0 && (step = st_step(st)) == DB_ROW) {
		if (count == cap) {
			size_t ncap = cap ? cap * 2 : 8;
			store_schedule_t *nv = realloc(v, ncap * sizeof(*nv));
			if (!nv) {
				rc = err_set(err, "out of memory");
				break;
			}
			v = nv;
			cap = ncap;
		}
		if ((rc = schedule_from_row(st, &v[count], err)) == 0)
			count++;
	}
	if (rc == 0 && step != DB_DONE)
		rc = db_fail_rc(s, step, what, err);
	if (rc < 0) {
		store_schedule_list_free(v, count);
		return -1;
	}
	*out = v;
	*n = count;
	return 0;
}

/* Steps st to the end, collecting the integer of column 0. */
static int collect_ids(store_t *s, db_stmt_t *st, int64_t **ids, size_t *n, size_t *cap,
		       const char *what, char **err)
{
	int step;
	while ((step = st_step(st)) == DB_ROW) {
		if (*n == *cap) {
			size_t ncap = *cap ? *cap * 2 : 16;
			int64_t *nv = realloc(*ids, ncap * sizeof(*nv));
			if (!nv)
				return err_set(err, "out of memory");
			*ids = nv;
			*cap = ncap;
		}
		(*ids)[(*n)++] = col_i64(st, 0);
	}
	return step == DB_DONE ? 0 : db_fail_rc(s, step, what, err);
}

int store_schedule_add(store_t *s, store_schedule_t *sc, char **err)
{
	if (store_ready(s, err) < 0 || store_begin(s, err) < 0)
		return -1;
	int64_t now = now_ms(), id = 0;
	db_stmt_t *st = NULL;
	int rc = st_prepare(s, "INSERT INTO schedules (name, cron, tz, job, concurrency, "
			       "catch_up, keep, paused, next_due, created_at) VALUES (?, ?, ?, ?, "
			       "?, ?, ?, ?, ?, ?)",
			    &st, err);
	if (rc == 0) {
		binder_t b;
		bind_start(&b, st);
		bind_text(&b, sc->name);
		bind_text(&b, sc->cron);
		bind_text(&b, sc->tz);
		bind_text(&b, sc->job);
		bind_text(&b, sc->concurrency);
		bind_text(&b, sc->catch_up);
		bind_i64(&b, sc->keep);
		bind_i64(&b, sc->paused ? 1 : 0);
		bind_i64(&b, sc->next_due);
		bind_i64(&b, now);
		rc = bind_check(s, &b, "cannot add the schedule", err);
	}
	if (rc == 0) {
		int step = st_step(st);
		if (step == DB_E_UNIQUE)
			rc = err_set(err, "a schedule named '%s' already exists; choose another "
					  "name, or remove it first ('cjobs schedule remove %s')",
				     sc->name, sc->name);
		else if (step == DB_DONE)
			id = db_last_id(s, st);
		else
			rc = db_fail_rc(s, step, "cannot add the schedule", err);
	}
	st_release(s, st);
	if (tx_finish(s, rc, err) < 0)
		return -1;
	sc->id = id;
	sc->created_at = now;
	return 0;
}

static int get_one(store_t *s, const char *sql, const char *name, int64_t id,
		   store_schedule_t *out, char **err)
{
	memset(out, 0, sizeof(*out));
	if (store_ready(s, err) < 0)
		return -1;
	db_stmt_t *st = NULL;
	if (st_prepare(s, sql, &st, err) < 0)
		return -1;
	binder_t b;
	bind_start(&b, st);
	if (name)
		bind_text(&b, name);
	else
		bind_i64(&b, id);
	int rc = bind_check(s, &b, "cannot read the schedule", err);
	if (rc == 0) {
		int step = st_step(st);
		if (step == DB_ROW)
			rc = schedule_from_row(st, out, err);
		else if (step == DB_DONE)
			rc = 1;
		else
			rc = db_fail_rc(s, step, "cannot read the schedule", err);
	}
	st_release(s, st);
	return rc;
}

int store_schedule_get(store_t *s, const char *name, store_schedule_t *out, char **err)
{
	return get_one(s, "SELECT " SCHEDULE_COLUMNS " FROM schedules WHERE name = ?", name, 0,
		       out, err);
}

int store_schedule_get_id(store_t *s, int64_t id, store_schedule_t *out, char **err)
{
	return get_one(s, "SELECT " SCHEDULE_COLUMNS " FROM schedules WHERE id = ?", NULL, id,
		       out, err);
}

int store_schedule_list(store_t *s, store_schedule_t **out, size_t *n, char **err)
{
	*out = NULL;
	*n = 0;
	if (store_ready(s, err) < 0)
		return -1;
	db_stmt_t *st = NULL;
	if (st_prepare(s, "SELECT " SCHEDULE_COLUMNS " FROM schedules ORDER BY name", &st,
		       err) < 0)
		return -1;
	int rc = collect(s, st, out, n, "cannot list the schedules", err);
	st_release(s, st);
	return rc;
}

int store_schedule_set_paused(store_t *s, const char *name, bool paused, int64_t next_due,
			      char **err)
{
	if (store_ready(s, err) < 0 || store_begin(s, err) < 0)
		return -1;
	db_stmt_t *st = NULL;
	int rc = st_prepare(s, paused ? "UPDATE schedules SET paused = 1 WHERE name = ?"
				      : "UPDATE schedules SET paused = 0, next_due = ? WHERE name = ?",
			    &st, err);
	if (rc == 0) {
		binder_t b;
		bind_start(&b, st);
		if (!paused)
			bind_i64(&b, next_due);
		bind_text(&b, name);
		rc = exec_changes(s, st, &b, "cannot change the schedule", err);
	}
	return tx_finish(s, rc, err);
}

int store_schedule_remove(store_t *s, const char *name, int64_t *jobs, char **err)
{
	*jobs = 0;
	if (store_ready(s, err) < 0 || store_begin(s, err) < 0)
		return -1;
	store_schedule_t sc;
	int rc = store_schedule_get(s, name, &sc, err);
	if (rc == 0)
		rc = query_count_at(s, "SELECT count(*) FROM jobs WHERE schedule_id = ?1", sc.id,
				    jobs, err);
	db_stmt_t *st = NULL;
	/* The skips go by the foreign key too; said here, so that the rule
	 * does not hang on a pragma. */
	if (rc == 0)
		rc = st_prepare(s, "DELETE FROM schedule_skips WHERE schedule_id = ?", &st, err);
	if (rc == 0) {
		binder_t b;
		bind_start(&b, st);
		bind_i64(&b, sc.id);
		rc = exec_changes(s, st, &b, "cannot remove the schedule", err);
		rc = rc == 1 ? 0 : rc;
	}
	if (rc == 0)
		rc = st_prepare(s, "DELETE FROM schedules WHERE id = ?", &st, err);
	if (rc == 0) {
		binder_t b;
		bind_start(&b, st);
		bind_i64(&b, sc.id);
		rc = exec_changes(s, st, &b, "cannot remove the schedule", err);
	}
	store_schedule_free(&sc);
	if (rc == 1) {
		store_rollback(s);
		return 1;
	}
	return tx_finish(s, rc, err);
}

int store_schedule_due(store_t *s, int64_t now, int limit, store_schedule_t **out, size_t *n,
		       char **err)
{
	*out = NULL;
	*n = 0;
	if (store_ready(s, err) < 0)
		return -1;
	db_stmt_t *st = NULL;
	if (st_prepare(s, "SELECT " SCHEDULE_COLUMNS " FROM schedules WHERE paused = 0 AND "
			  "next_due <= ? ORDER BY next_due LIMIT ?",
		       &st, err) < 0)
		return -1;
	binder_t b;
	bind_start(&b, st);
	bind_i64(&b, now);
	bind_i64(&b, limit);
	int rc = bind_check(s, &b, "cannot read the due schedules", err);
	if (rc == 0)
		rc = collect(s, st, out, n, "cannot read the due schedules", err);
	st_release(s, st);
	return rc;
}

int store_schedule_next_due(store_t *s, int64_t *next, char **err)
{
	*next = 0;
	if (store_ready(s, err) < 0)
		return -1;
	db_stmt_t *st = NULL;
	if (st_prepare(s, "SELECT next_due FROM schedules WHERE paused = 0 ORDER BY next_due "
			  "LIMIT 1",
		       &st, err) < 0)
		return -1;
	int step = st_step(st), rc = 0;
	if (step == DB_ROW)
		*next = col_i64(st, 0);
	else if (step != DB_DONE)
		rc = db_fail_rc(s, step, "cannot read the next due schedule", err);
	st_release(s, st);
	return rc;
}

int store_schedule_active_jobs(store_t *s, int64_t schedule_id, int64_t **ids, size_t *n,
			       char **err)
{
	*ids = NULL;
	*n = 0;
	if (store_ready(s, err) < 0)
		return -1;
	db_stmt_t *st = NULL;
	if (st_prepare(s, "SELECT id FROM jobs WHERE schedule_id = ? AND status IN ('queued', "
			  "'launching', 'running') ORDER BY id",
		       &st, err) < 0)
		return -1;
	binder_t b;
	bind_start(&b, st);
	bind_i64(&b, schedule_id);
	size_t cap = 0;
	int rc = bind_check(s, &b, "cannot read the schedule's jobs", err);
	if (rc == 0)
		rc = collect_ids(s, st, ids, n, &cap, "cannot read the schedule's jobs", err);
	st_release(s, st);
	if (rc < 0) {
		free(*ids);
		*ids = NULL;
		*n = 0;
	}
	return rc;
}

/* Names the job as the schedule's; a due time taken already is 1. */
static int mark_job(store_t *s, int64_t job_id, int64_t schedule_id, int64_t due_at,
		    char **err)
{
	db_stmt_t *st = NULL;
	if (st_prepare(s, "UPDATE jobs SET schedule_id = ?, due_at = ? WHERE id = ?", &st, err) <
	    0)
		return -1;
	binder_t b;
	bind_start(&b, st);
	bind_i64(&b, schedule_id);
	if (due_at)
		bind_i64(&b, due_at);
	else
		bind_null(&b);
	bind_i64(&b, job_id);
	int rc = bind_check(s, &b, "cannot record the job's schedule", err);
	if (rc == 0) {
		int step = st_step(st);
		if (step == DB_E_UNIQUE)
			rc = 1;
		else if (step != DB_DONE)
			rc = db_fail_rc(s, step, "cannot record the job's schedule", err);
	}
	st_release(s, st);
	return rc;
}

static int add_skip(store_t *s, int64_t schedule_id, int64_t due_at, int64_t now,
		    const char *reason, char **err)
{
	db_stmt_t *st = NULL;
	int rc = st_prepare(s, "INSERT INTO schedule_skips (schedule_id, due_at, at, reason) "
			       "VALUES (?, ?, ?, ?)",
			    &st, err);
	if (rc == 0) {
		binder_t b;
		bind_start(&b, st);
		bind_i64(&b, schedule_id);
		bind_i64(&b, due_at);
		bind_i64(&b, now);
		bind_text(&b, reason);
		rc = exec_changes(s, st, &b, "cannot record the skipped run", err);
	}
	if (rc == 0)
		rc = st_prepare(s, "DELETE FROM schedule_skips WHERE schedule_id = ?1 AND id <= "
				   "(SELECT id FROM schedule_skips WHERE schedule_id = ?1 ORDER BY "
				   "id DESC LIMIT 1 OFFSET ?2)",
				&st, err);
	if (rc == 0) {
		binder_t b;
		bind_start(&b, st);
		bind_i64(&b, schedule_id);
		bind_i64(&b, SKIPS_KEPT);
		rc = exec_changes(s, st, &b, "cannot record the skipped run", err);
		rc = rc == 1 ? 0 : rc;
	}
	return rc;
}

int store_schedule_fire(store_t *s, const store_schedule_fire_t *f, int64_t now, char **err)
{
	if (store_ready(s, err) < 0 || store_begin(s, err) < 0)
		return -1;
	db_stmt_t *st = NULL;
	int rc = st_prepare(s, "UPDATE schedules SET next_due = ? WHERE id = ? AND next_due = ? "
			       "AND paused = 0",
			    &st, err);
	if (rc == 0) {
		binder_t b;
		bind_start(&b, st);
		bind_i64(&b, f->next_due);
		bind_i64(&b, f->schedule_id);
		bind_i64(&b, f->expected_due);
		/* No row changed: another worker moved it first (or it was
		 * paused or removed meanwhile). */
		rc = exec_changes(s, st, &b, "cannot advance the schedule", err);
	}
	if (rc == 0 && f->job) {
		rc = store_job_add(s, f->job, f->actor, f->reason, err);
		if (rc == 0)
			rc = mark_job(s, f->job->id, f->schedule_id, f->due_at, err);
	}
	if (rc == 0 && f->skip_reason)
		rc = add_skip(s, f->schedule_id, f->skip_due, now, f->skip_reason, err);
	if (rc == 1) {
		store_rollback(s);
		if (f->job)
			f->job->id = 0;
		return 1;
	}
	return tx_finish(s, rc, err);
}

int store_schedule_add_job(store_t *s, int64_t schedule_id, job_t *job, const char *actor,
			   const char *reason, char **err)
{
	if (store_ready(s, err) < 0 || store_begin(s, err) < 0)
		return -1;
	int rc = store_job_add(s, job, actor, reason, err);
	if (rc == 0 && (rc = mark_job(s, job->id, schedule_id, 0, err)) == 1)
		rc = err_set(err, "cannot record the job's schedule");
	return tx_finish(s, rc, err);
}

void store_schedule_skips_free(store_schedule_skip_t *v, size_t n)
{
	for (size_t i = 0; v && i < n; i++)
		free(v[i].reason);
	free(v);
}

int store_schedule_skips(store_t *s, int64_t schedule_id, int limit,
			 store_schedule_skip_t **out, size_t *n, char **err)
{
	*out = NULL;
	*n = 0;
	if (store_ready(s, err) < 0)
		return -1;
	db_stmt_t *st = NULL;
	if (st_prepare(s, "SELECT due_at, at, reason FROM schedule_skips WHERE schedule_id = ? "
			  "ORDER BY id DESC LIMIT ?",
		       &st, err) < 0)
		return -1;
	binder_t b;
	bind_start(&b, st);
	bind_i64(&b, schedule_id);
	bind_i64(&b, limit);
	int rc = bind_check(s, &b, "cannot read the skipped runs", err), step = DB_DONE;
	store_schedule_skip_t *v = limit > 0 ? calloc((size_t)limit, sizeof(*v)) : NULL;
	if (rc == 0 && !v)
		rc = err_set(err, "out of memory");
	size_t count = 0;
	while (rc == 0 && count < (size_t)limit && (step = st_step(st)) == DB_ROW) {
		bool oom = false;
		v[count].due_at = col_i64(st, 0);
		v[count].at = col_i64(st, 1);
		v[count].reason = col_text(st, 2, &oom);
		count++;
		if (oom)
			rc = err_set(err, "out of memory");
	}
	if (rc == 0 && step != DB_DONE && step != DB_ROW)
		rc = db_fail_rc(s, step, "cannot read the skipped runs", err);
	st_release(s, st);
	if (rc < 0) {
		store_schedule_skips_free(v, count);
		return -1;
	}
	*out = v;
	*n = count;
	return 0;
}

static int cmp_id(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
	return x < y ? -1 : x > y;
}

int store_schedule_keep_list(store_t *s, int64_t **ids, size_t *n, char **err)
{
	*ids = NULL;
	*n = 0;
	store_schedule_t *v = NULL;
	size_t nv = 0, cap = 0;
	if (store_schedule_list(s, &v, &nv, err) < 0)
		return -1;
	/* Per schedule, with its keep bound: OFFSET keep - 1 finds the oldest
	 * job kept, and everything finished and older goes. Written without
	 * LIMIT ALL or LIMIT -1, which only one of the two databases knows. */
	int rc = 0;
	for (size_t i = 0; rc == 0 && i < nv; i++) {
		if (v[i].keep <= 0)
			continue;
		db_stmt_t *st = NULL;
		if ((rc = st_prepare(s, "SELECT id FROM jobs WHERE schedule_id = ?1 AND status IN "
				     FINAL_STATUSES " AND id < (SELECT id FROM jobs WHERE "
				     "schedule_id = ?1 AND status IN " FINAL_STATUSES " ORDER BY "
				     "id DESC LIMIT 1 OFFSET ?2)",
				     &st, err)) < 0)
			break;
		binder_t b;
		bind_start(&b, st);
		bind_i64(&b, v[i].id);
		bind_i64(&b, v[i].keep - 1);
		rc = bind_check(s, &b, "cannot read the jobs beyond --keep", err);
		if (rc == 0)
			rc = collect_ids(s, st, ids, n, &cap, "cannot read the jobs beyond --keep",
					 err);
		st_release(s, st);
	}
	store_schedule_list_free(v, nv);
	if (rc < 0) {
		free(*ids);
		*ids = NULL;
		*n = 0;
		return -1;
	}
	if (*n > 1)
		qsort(*ids, *n, sizeof(int64_t), cmp_id);
	return 0;
}
