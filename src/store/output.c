/*
 * store/output.c: the captured stdout and stderr of each attempt of a job.
 *
 * Output is any bytes (binary, NULs, invalid UTF-8) and is stored as a BLOB
 * with its exact length. Nothing here interprets it, and nothing else in
 * the store reads it: job listings must never pay for loading output.
 */
#include "store/store_int.h"

#include <stdlib.h>
#include <string.h>

#include "util/err.h"

static int check_stream(job_stream_t stream, char **err)
{
	if (stream != JOB_STDOUT && stream != JOB_STDERR)
		return err_set(err, "unknown output stream %d", (int)stream);
	return 0;
}

/* One row per stream given (outs[i] for stream i + 1; NULL: not this
 * one), in one statement. */
static int put(store_t *s, int64_t job_id, int attempt, const job_output_t *const outs[2],
	       char **err)
{
	static const char *const sql[] = {
		"INSERT INTO job_output (job_id, attempt, stream, data, truncated, "
		"total_bytes) VALUES (?, ?, ?, ?, ?, ?) "
		"ON CONFLICT (job_id, attempt, stream) DO UPDATE SET "
		"data = excluded.data, truncated = excluded.truncated, "
		"total_bytes = excluded.total_bytes",
		"INSERT INTO job_output (job_id, attempt, stream, data, truncated, "
		"total_bytes) VALUES (?, ?, ?, ?, ?, ?), (?, ?, ?, ?, ?, ?) "
		"ON CONFLICT (job_id, attempt, stream) DO UPDATE SET "
		"data = excluded.data, truncated = excluded.truncated, "
		"total_bytes = excluded.total_bytes",
	};
	int rows = (outs[0] != NULL) + (outs[1] != NULL);
	db_stmt_t *st = NULL;
	if (st_prepare(s, sql[rows - 1], &st, err) < 0)
		return -1;
	/* Output of the job this transaction has just moved cannot fail for
	 * want of its job (the move locked its row): on a server it may go
	 * with the next statement. Any other job's may be gone. */
	if (s->moved_job == job_id)
		st_later(st);
	binder_t b;
	bind_start(&b, st);
	for (int i = 0; i < 2; i++) {
		const job_output_t *o = outs[i];
		if (!o)
			continue;
		bind_i64(&b, job_id);
		bind_i64(&b, attempt);
		bind_i64(&b, i + 1);
		bind_blob(&b, o->data, o->len);
		bind_i64(&b, o->truncated);
		bind_i64(&b, o->total_bytes);
	}
	int rc = bind_check(s, &b, "cannot store the job's output", err);
	if (rc == 0) {
		int step = st_step(st);
		if (step == DB_E_FOREIGN_KEY)
			rc = err_set(err, "cannot store output: job %lld does not exist",
				     (long long)job_id);
		else if (step != DB_DONE)
			rc = db_fail_rc(s, step, "cannot store the job's output", err);
	}
	st_release(s, st);
	return rc;
}

static int check_output(int attempt, const job_output_t *out, char **err)
{
	if (attempt < 1)
		return err_set(err, "cannot store output of attempt %d (attempts count from 1)",
			       attempt);
	if (!out->data && out->len > 0)
		return err_set(err, "cannot store output: no data for %zu bytes", out->len);
	return 0;
}

static int put_checked(store_t *s, int64_t job_id, int attempt, const job_output_t *const outs[2],
		       char **err)
{
	bool own;
	if (store_ready(s, err) < 0 || tx_lean_begin(s, &own, err) < 0)
		return -1;
	return tx_one_finish(s, own, put(s, job_id, attempt, outs, err), err);
}

int store_output_put(store_t *s, int64_t job_id, int attempt, job_stream_t stream,
		     const job_output_t *out, char **err)
{
	if (check_stream(stream, err) < 0 || check_output(attempt, out, err) < 0)
		return -1;
	const job_output_t *outs[2] = {NULL, NULL};
	outs[stream - 1] = out;
	return put_checked(s, job_id, attempt, outs, err);
}

int store_output_put_both(store_t *s, int64_t job_id, int attempt, const job_output_t *out,
			  const job_output_t *errs, char **err)
{
	if (check_output(attempt, out, err) < 0 || check_output(attempt, errs, err) < 0)
		return -1;
	const job_output_t *outs[2] = {out, errs};
	return put_checked(s, job_id, attempt, outs, err);
}

int store_output_get(store_t *s, int64_t job_id, int attempt, job_stream_t stream,
		     job_output_t *out, char **err)
{
	memset(out, 0, sizeof(*out));
	if (check_stream(stream, err) < 0 || store_ready(s, err) < 0)
		return -1;
	/* "Latest" is the latest attempt with any output, so that the two
	 * streams shown together always come from the same attempt. */
	const char *sql = attempt > 0
				  ? "SELECT data, truncated, total_bytes FROM job_output "
				    "WHERE job_id = ?1 AND stream = ?2 AND attempt = ?3"
				  : "SELECT data, truncated, total_bytes FROM job_output "
				    "WHERE job_id = ?1 AND stream = ?2 AND attempt = "
				    "(SELECT max(attempt) FROM job_output WHERE job_id = ?1)";
	db_stmt_t *st = NULL;
	if (st_prepare(s, sql, &st, err) < 0)
		return -1;
	binder_t b;
	bind_start(&b, st);
	bind_i64(&b, job_id);
	bind_i64(&b, stream);
	if (attempt > 0)
		bind_i64(&b, attempt);
	int rc = bind_check(s, &b, "cannot read the job's output", err);
	if (rc == 0) {
		int step = st_step(st);
		bool oom = false;
		if (step == DB_ROW) {
			out->data = col_blob(st, 0, &out->len, &oom);
			out->truncated = col_int(st, 1) != 0;
			out->total_bytes = col_i64(st, 2);
			if (oom) {
				job_output_free(out);
				rc = err_set(err, "out of memory");
			}
		} else if (step == DB_DONE) {
			rc = 1;
		} else {
			rc = db_fail_rc(s, step, "cannot read the job's output", err);
		}
	}
	st_release(s, st);
	return rc;
}

int output_sizes_collect(store_t *s, db_stmt_t *st, store_output_size_t sizes[2], char **err)
{
	memset(sizes, 0, 2 * sizeof(*sizes));
	int rc = 0, step = DB_DONE;
	while (rc == 0 && (step = st_step(st)) == DB_ROW) {
		int64_t stream = col_i64(st, 0);
		if (stream != JOB_STDOUT && stream != JOB_STDERR)
			continue;
		store_output_size_t *z = &sizes[stream == JOB_STDOUT ? 0 : 1];
		z->have = true;
		z->kept = col_i64(st, 1);
		z->truncated = col_int(st, 2) != 0;
		z->total = col_i64(st, 3);
	}
	if (rc == 0 && step != DB_DONE)
		rc = db_fail_rc(s, step, "cannot read the job's output", err);
	return rc;
}

int store_output_sizes(store_t *s, int64_t job_id, store_output_size_t sizes[2], char **err)
{
	memset(sizes, 0, 2 * sizeof(*sizes));
	db_stmt_t *st = NULL;
	if (store_ready(s, err) < 0 ||
	    st_open_id(s, SQL_OUTPUT_SIZES, job_id, "cannot read the job's output", &st, err) < 0)
		return -1;
	int rc = output_sizes_collect(s, st, sizes, err);
	st_release(s, st);
	return rc;
}
