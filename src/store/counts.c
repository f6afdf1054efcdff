/*
 * store/counts.c: the job counts per host and status (table job_counts,
 * migration 3) for status changes, kept here rather than by a trigger.
 *
 * Inserts and deletes still count themselves through triggers (a bulk
 * submit inserts only queued jobs, which are not counted, and a cleanup
 * deletes in batches). Status changes are the worker's hot path: a trigger
 * on them ran a sub-program and a statement journal for every move, about a
 * fifth of the worker's time per job on the mock executor (migration 5
 * dropped it). Instead each change notes +1/-1 here, and the outermost
 * commit adds the sums to job_counts in the same transaction: one upsert
 * per host and status touched, not two per job.
 *
 * The notes follow the transaction levels: a savepoint rolled back takes
 * its notes with it, a transaction rolled back takes them all. 'db check'
 * compares the counts with the jobs, and 'db vacuum' counts them afresh.
 *
 * A job waiting for others is released the same way (deps.c): its
 * waiting_on goes down with the outermost commit. And so is the run-time
 * histogram of /metrics (job_run_times, metrics.c): a job that finishes
 * notes its run time, and the commit adds one per bucket touched.
 */
#include "store/store_int.h"

#include <stdlib.h>
#include <string.h>

#include "store/metrics.h"
#include "util/err.h"

/* The note in [from, to) with this key and status. Notes of the current
 * level (from its start) with the same key and status are summed into one;
 * earlier ones belong to an enclosing level and must stay apart, so that a
 * rollback of this level can drop its own. */
static count_delta_t *find(store_t *s, size_t from, size_t to, const char *key,
			   job_status_t status, int64_t job, int bucket)
{
	for (size_t i = from; i < to; i++) {
		const count_delta_t *d = &s->deltas[i];
		if (d->job != job || d->bucket != bucket)
			continue;
		if (job || bucket >= 0 || (d->status == status && strcmp(d->key, key) == 0))
			return &s->deltas[i];
	}
	return NULL;
}

/* Where the notes of the current level begin (none yet: the end). */
static size_t level_start(const store_t *s)
{
	return s->depth > 0 && (size_t)s->depth <= s->nmarks ? s->marks[s->depth - 1]
								: s->ndeltas;
}

static int add(store_t *s, const char *key, job_status_t status, int64_t job, int64_t delta,
	       int bucket, int64_t run_ms)
{
	if (status == JOB_QUEUED && !job && bucket < 0)
		return 0;  /* queued jobs are counted from their own index */
	count_delta_t *d = find(s, level_start(s), s->ndeltas, key, status, job, bucket);
	if (d) {
		d->delta += delta;
		d->run_ms += run_ms;
		return 0;
	}
	if (s->ndeltas == s->capdeltas) {
		size_t cap = s->capdeltas ? s->capdeltas * 2 : 16;
		count_delta_t *v = realloc(s->deltas, cap * sizeof(*v));
		if (!v)
			return -1;
		s->deltas = v;
		s->capdeltas = cap;
	}
	char *copy = job || bucket >= 0 ? NULL : strdup(key);
	if (!job && bucket < 0 && !copy)
		return -1;
	s->deltas[s->ndeltas++] = (count_delta_t){.key = copy, .status = status, .job = job,
						  .delta = delta, .bucket = bucket, .run_ms = run_ms};
	return 0;
}

int counts_note_release(store_t *s, int64_t id, char **err)
{
	if (s->depth <= 0)
		return err_set(err, "internal error: a job released outside a transaction");
	if (add(s, NULL, JOB_QUEUED, id, -1, -1, 0) < 0) {
		s->aborted = true;
		return err_set(err, "out of memory");
	}
	return 0;
}

int counts_note_run(store_t *s, int64_t run_ms, char **err)
{
	if (s->depth <= 0)
		return err_set(err, "internal error: a run time noted outside a transaction");
	if (add(s, NULL, JOB_STATUS_COUNT, 0, 1, store_run_bucket(run_ms), run_ms) < 0) {
		s->aborted = true;
		return err_set(err, "out of memory");
	}
	return 0;
}

int counts_active(store_t *s, const char *key, int64_t *n, char **err)
{
	if (query_count(s, "SELECT coalesce(sum(n), 0) FROM job_counts WHERE host_key = ? "
			   "AND status IN ('launching', 'running')",
			key, n, err) < 0)
		return -1;
	for (size_t i = 0; i < s->ndeltas; i++)
		if (!s->deltas[i].job &&
		    s->deltas[i].bucket < 0 &&
		    (s->deltas[i].status == JOB_LAUNCHING || s->deltas[i].status == JOB_RUNNING) &&
		    strcmp(s->deltas[i].key, key) == 0)
			*n += s->deltas[i].delta;
	return 0;
}

int counts_note(store_t *s, const char *old_key, job_status_t old_status, const char *new_key,
		job_status_t new_status, char **err)
{
	if (old_status == new_status && strcmp(old_key, new_key) == 0)
		return 0;
	if (s->depth <= 0)
		return err_set(err, "internal error: a job count changed outside a transaction");
	if (add(s, old_key, old_status, 0, -1, -1, 0) < 0 ||
	    add(s, new_key, new_status, 0, 1, -1, 0) < 0) {
		/* The change itself is written: the transaction must not commit
		 * without its count. */
		s->aborted = true;
		return err_set(err, "out of memory");
	}
	return 0;
}

static void drop_from(store_t *s, size_t from)
{
	while (s->ndeltas > from)
		free(s->deltas[--s->ndeltas].key);
}

int counts_level_begin(store_t *s)
{
	/* Called with depth already counting the new level. */
	if ((size_t)s->depth > s->capmarks) {
		size_t cap = s->capmarks ? s->capmarks * 2 : 8;
		while (cap < (size_t)s->depth)
			cap *= 2;
		size_t *v = realloc(s->marks, cap * sizeof(*v));
		if (!v)
			return -1;
		s->marks = v;
		s->capmarks = cap;
	}
	s->marks[s->depth - 1] = s->ndeltas;
	s->nmarks = (size_t)s->depth;
	return 0;
}

void counts_level_commit(store_t *s)
{
	/* The level's notes join its parent's, summed where they can be. */
	size_t from = level_start(s);
	size_t parent = s->depth > 1 && (size_t)s->depth - 1 <= s->nmarks ? s->marks[s->depth - 2]
									   : 0;
	size_t kept = from;
	for (size_t i = from; i < s->ndeltas; i++) {
		count_delta_t d = s->deltas[i];
		count_delta_t *into = find(s, parent, from, d.key, d.status, d.job, d.bucket);
		if (into) {
			into->delta += d.delta;
			into->run_ms += d.run_ms;
			free(d.key);
		} else {
			s->deltas[kept++] = d;
		}
	}
	s->ndeltas = kept;
	if (s->depth > 0 && s->nmarks > (size_t)s->depth - 1)
		s->nmarks = (size_t)s->depth - 1;
}

void counts_level_rollback(store_t *s)
{
	drop_from(s, level_start(s));
	if (s->depth > 0 && s->nmarks > (size_t)s->depth - 1)
		s->nmarks = (size_t)s->depth - 1;
}

void counts_clear(store_t *s)
{
	drop_from(s, 0);
	s->nmarks = 0;
}

/* Jobs released first, by id; then the counts by host key and status;
 * then the run-time buckets, by bucket. */
static int by_key_and_status(const void *a, const void *b)
{
	const count_delta_t *x = a, *y = b;
	if (x->job != y->job) {
		if (!x->job || !y->job)
			return x->job ? -1 : 1;
		return (x->job > y->job) - (x->job < y->job);
	}
	if (x->job)
		return 0;
	if ((x->bucket >= 0) != (y->bucket >= 0))
		return x->bucket >= 0 ? 1 : -1;
	if (x->bucket >= 0)
		return (x->bucket > y->bucket) - (x->bucket < y->bucket);
	int c = strcmp(x->key, y->key);
	return c ? c : (int)x->status - (int)y->status;
}

/* The releases noted (deltas[0..n) after the sort): each job's waiting_on
 * down by its count, while it is queued. (One statement for many jobs
 * saves nothing measurable: the row and its claim indexes are the cost.) */
static int flush_releases(store_t *s, size_t n, char **err)
{
	if (n == 0)
		return 0;
	db_stmt_t *st = NULL;
	if (st_prepare(s, "UPDATE jobs SET waiting_on = waiting_on + ? WHERE id = ? AND "
			  "status = 'queued'",
		       &st, err) < 0)
		return -1;
	int rc = 0;
	for (size_t i = 0; rc == 0 && i < n; i++) {
		const count_delta_t *d = &s->deltas[i];
		if (!d->delta) /* a release noted, then rolled back */
			continue;
		binder_t b;
		bind_start(&b, st);
		bind_i64(&b, d->delta);
		bind_i64(&b, d->job);
		/* Nothing is read back: on a server they go with the commit. */
		st_later(st);
		rc = bind_check(s, &b, "cannot release the jobs that waited", err);
		if (rc == 0)
			rc = st_exec(s, st, "cannot release the jobs that waited", err);
		st_reset(st);
	}
	st_release(s, st);
	return rc;
}

/* The run-time notes (n of them, from d): one upsert per bucket. */
static int flush_runs(store_t *s, const count_delta_t *d, size_t n, char **err)
{
	if (n == 0)
		return 0;
	db_stmt_t *st = NULL;
	if (st_prepare(s, "INSERT INTO job_run_times (bucket, n, sum_ms) VALUES (?, ?, ?) "
			  "ON CONFLICT (bucket) DO UPDATE SET n = job_run_times.n + excluded.n, "
			  "sum_ms = job_run_times.sum_ms + excluded.sum_ms",
		       &st, err) < 0)
		return -1;
	int rc = 0;
	for (size_t i = 0; rc == 0 && i < n; i++) {
		if (d[i].delta == 0)
			continue;
		binder_t b;
		bind_start(&b, st);
		bind_i64(&b, d[i].bucket);
		bind_i64(&b, d[i].delta);
		bind_i64(&b, d[i].run_ms);
		/* Nothing is read back: on a server they go with the commit. */
		st_later(st);
		rc = bind_check(s, &b, "cannot count the jobs' run times", err);
		if (rc == 0)
			rc = st_exec(s, st, "cannot count the jobs' run times", err);
		st_reset(st);
	}
	st_release(s, st);
	return rc;
}

int counts_flush(store_t *s, char **err)
{
	if (s->ndeltas == 0)
		return 0;
	db_stmt_t *st = NULL;
	if (st_prepare(s, "INSERT INTO job_counts (host_key, status, n) VALUES (?, ?, ?) "
			  "ON CONFLICT (host_key, status) DO UPDATE SET n = job_counts.n + excluded.n",
		       &st, err) < 0)
		return -1;
	/* In one order in every transaction: recorders that hold the write
	 * lock together (store_begin_recording) then wait for each other's
	 * count rows without ever waiting in a circle. */
	if (s->ndeltas > 1)
		qsort(s->deltas, s->ndeltas, sizeof(*s->deltas), by_key_and_status);
	size_t nrel = 0, nruns = 0;
	while (nrel < s->ndeltas && s->deltas[nrel].job)
		nrel++;
	while (nruns < s->ndeltas - nrel && s->deltas[s->ndeltas - 1 - nruns].bucket >= 0)
		nruns++;
	int rc = flush_releases(s, nrel, err);
	if (rc == 0)
		rc = flush_runs(s, s->deltas + s->ndeltas - nruns, nruns, err);
	for (size_t i = nrel; rc == 0 && i < s->ndeltas - nruns; i++) {
		const count_delta_t *d = &s->deltas[i];
		if (d->delta == 0)
			continue;
		binder_t b;
		bind_start(&b, st);
		bind_text(&b, d->key);
		bind_text(&b, job_status_name(d->status));
		bind_i64(&b, d->delta);
		/* Nothing is read back: on a server they go with the commit. */
		st_later(st);
		rc = bind_check(s, &b, "cannot update the job counts", err);
		if (rc == 0)
			rc = st_exec(s, st, "cannot update the job counts", err);
		st_reset(st);
	}
	st_release(s, st);
	if (rc == 0)
		counts_clear(s);
	return rc;
}

void counts_free(store_t *s)
{
	counts_clear(s);
	free(s->deltas);
	free(s->marks);
	s->deltas = NULL;
	s->marks = NULL;
	s->capdeltas = s->capmarks = 0;
}

int counts_recount(store_t *s, char **err)
{
	if (st_run(s, "DELETE FROM job_counts", "cannot recount the jobs", err) < 0)
		return -1;
	return st_run(s, "INSERT INTO job_counts (host_key, status, n) "
			 "SELECT coalesce(ran_on, host, ''), status, count(*) FROM jobs "
			 "WHERE status <> 'queued' GROUP BY 1, 2",
		      "cannot recount the jobs", err);
}
