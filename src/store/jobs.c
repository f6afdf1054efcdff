/*
 * store/jobs.c: the jobs table and its history: adding, reading, listing,
 * counting, status changes and field updates, and removal of old jobs.
 *
 * A status is changed here and nowhere else, and never without
 * job_can_move() agreeing, the current status matching (compare and set),
 * and a history row in the same transaction. The history is append-only:
 * this file must never update or delete a history row (they go only with
 * their job, by the foreign key's cascade).
 */
#include "store/store_int.h"

#include <stdlib.h>
#include <string.h>

#include "util/err.h"
#include "util/timeutil.h"
#include "util/uuid.h"
#include "util/vec.h"

#define JOB_SET_ALL ((unsigned)JOB_SET_NOT_BEFORE * 2 - 1)
#define STATUS_ALL ((1 << JOB_STATUS_COUNT) - 1)
#define STATUS_FINAL                                                    \
	((1 << JOB_COMPLETED) | (1 << JOB_FAILED) | (1 << JOB_TIMEOUT) | \
	 (1 << JOB_CANCELLED))

/* ---- reading ---- */

static int read_status(db_stmt_t *st, int col, job_status_t *out, char **err)
{
	const char *name = col_str(st, col);
	if (!name && !col_null(st, col))
		return err_set(err, "out of memory");
	if (!job_status_parse(name, out))
		return err_set(err, "unknown job status \"%s\" in the job store",
			       name ? name : "(null)");
	return 0;
}

static int read_strv(db_stmt_t *st, int col, char ***v, size_t *n, char **err)
{
	size_t len = 0;
	bool oom = false;
	const void *blob = col_raw(st, col, &len, &oom);
	if (oom)
		return err_set(err, "out of memory");
	return strv_decode(blob, len, v, n, err);
}

/* Columns 0 to JOB_SUMMARY_COLUMN_COUNT - 1 (JOB_SUMMARY_COLUMNS), into a
 * job job_init has set. */
static int summary_fields(db_stmt_t *st, job_t *j, char **err)
{
	bool oom = false;
	j->id = col_i64(st, 0);
	j->name = col_text(st, 1, &oom);
	j->image = col_text(st, 2, &oom);
	j->host = col_text(st, 3, &oom);
	j->priority = col_int(st, 4);
	j->attempt = col_int(st, 6);
	j->has_exit_code = !col_null(st, 7);
	j->exit_code = col_int(st, 7);
	j->created_at = col_i64(st, 8);
	j->queued_at = col_i64(st, 9);
	j->started_at = col_i64(st, 10);
	j->finished_at = col_i64(st, 11);
	j->last_error = col_text(st, 12, &oom);
	j->ran_on = col_text(st, 13, &oom);
	j->not_before = col_i64(st, 14);
	j->waiting_on = (int)col_i64(st, 15);
	j->schedule_id = col_i64(st, 16);
	j->max_retries = col_int(st, 17);
	if (oom)
		return err_set(err, "out of memory");
	return read_status(st, 5, &j->status, err);
}

/* The rest of JOB_COLUMNS, after the summary's. */
static int detail_fields(db_stmt_t *st, job_t *j, char **err)
{
	bool oom = false;
	const char *uuid = col_str(st, 18);
	if (uuid && strlen(uuid) < sizeof(j->uuid))
		memcpy(j->uuid, uuid, strlen(uuid) + 1);
	j->workdir = col_text(st, 20, &oom);
	j->template_name = col_text(st, 22, &oom);
	j->memory_bytes = col_i64(st, 23);
	j->nano_cpus = col_i64(st, 24);
	j->timeout_s = col_i64(st, 25);
	j->peak_memory_bytes = col_i64(st, 26);
	j->cpu_usage_ns = col_i64(st, 27);
	j->container_name = col_text(st, 28, &oom);
	j->container_id = col_text(st, 29, &oom);
	j->worker_id = col_text(st, 30, &oom);
	j->lease_until = col_i64(st, 31);
	j->retry_strategy = col_text(st, 32, &oom);
	j->retry_exit_codes = col_text(st, 33, &oom);
	j->due_at = col_i64(st, 35);
	int rc = oom ? err_set(err, "out of memory") : 0;
	if (rc == 0)
		rc = read_strv(st, 19, &j->argv, &j->argc, err);
	if (rc == 0)
		rc = read_strv(st, 21, &j->env, &j->envc, err);
	if (rc == 0) {
		const char *ctr = col_str(st, 34);
		rc = !ctr && !col_null(st, 34) ? err_set(err, "out of memory")
					       : container_from_json(ctr, &j->ctr, err);
	}
	return rc;
}

static int row_failed(job_t *j, char **err)
{
	err_prefix(err, "job %lld", (long long)j->id);
	job_free(j);
	return -1;
}

int job_summary_from_row(db_stmt_t *st, job_t *j, char **err)
{
	job_init(j);
	return summary_fields(st, j, err) < 0 ? row_failed(j, err) : 0;
}

int job_from_row(db_stmt_t *st, job_t *j, char **err)
{
	job_init(j);
	if (summary_fields(st, j, err) < 0 || detail_fields(st, j, err) < 0)
		return row_failed(j, err);
	return 0;
}

int job_collect(store_t *s, db_stmt_t *st, job_t *out, char **err)
{
	job_init(out);
	int step = st_step(st);
	if (step == DB_ROW)
		return job_from_row(st, out, err);
	return step == DB_DONE ? 1 : db_fail_rc(s, step, "cannot read the job", err);
}

int store_job_get(store_t *s, int64_t id, job_t *out, char **err)
{
	job_init(out);
	db_stmt_t *st = NULL;
	if (store_ready(s, err) < 0 ||
	    st_open_id(s, SQL_JOB_BY_ID, id, "cannot read the job", &st, err) < 0)
		return -1;
	int rc = job_collect(s, st, out, err);
	st_release(s, st);
	return rc;
}

void store_job_list_free(job_t *jobs, size_t n)
{
	for (size_t i = 0; jobs && i < n; i++)
		job_free(&jobs[i]);
	free(jobs);
}

/* " AND status IN ('queued', ...)" for the statuses in mask; the names are
 * our own constants, never input. */
static void sql_status_in(strbuf_t *sb, int mask)
{
	sb_puts(sb, " AND status IN (");
	const char *sep = "";
	for (int i = 0; i < JOB_STATUS_COUNT; i++) {
		if (!(mask & (1 << i)))
			continue;
		sb_printf(sb, "%s'%s'", sep, job_status_name((job_status_t)i));
		sep = ", ";
	}
	sb_puts(sb, ")");
}

/* Steps a SELECT of JOB_COLUMNS (JOB_SUMMARY_COLUMNS with summary) to the
 * end, giving each row's job to fn, which takes it (job_free is its to
 * call); a non-zero return of fn stops there with that value. */
static int each_job(store_t *s, db_stmt_t *st, bool summary, store_job_fn fn, void *arg,
		    char **err)
{
	int rc = 0, step = DB_DONE;
	while (rc == 0 && (step = st_step(st)) == DB_ROW) {
		job_t j;
		rc = summary ? job_summary_from_row(st, &j, err) : job_from_row(st, &j, err);
		if (rc == 0)
			rc = fn(&j, arg, err);
	}
	if (rc == 0 && step != DB_DONE)
		rc = db_fail_rc(s, step, "cannot list the jobs", err);
	return rc;
}

typedef struct {
	job_t *v;
	size_t count, cap;
} job_vec_t;

static int keep_job(job_t *j, void *arg, char **err)
{
	job_vec_t *jv = arg;
	if (!vec_room(&jv->v, &jv->cap, jv->count, sizeof(*jv->v), 16)) {
		job_free(j);
		return err_set(err, "out of memory");
	}
	jv->v[jv->count++] = *j;
	return 0;
}

/* The SELECT of the jobs f lets through, prepared and bound. */
static int open_list(store_t *s, const job_filter_t *f, db_stmt_t **out, char **err)
{
	*out = NULL;
	job_filter_t all = {0};
	if (!f)
		f = &all;
	if (f->status_mask & ~STATUS_ALL)
		return err_set(err, "unknown job status in the filter (mask 0x%x)",
			       (unsigned)f->status_mask);
	if (store_ready(s, err) < 0)
		return -1;
	strbuf_t sql = STRBUF_INIT;
	/* The jobs waiting for others from their own index: walked by id
	 * among all queued jobs, a queue of 1,000,000 with none waiting took
	 * up to 0.8 s on SQLite to say so. */
	sb_printf(&sql, "SELECT %s FROM jobs%s WHERE true",
		  f->summary ? JOB_SUMMARY_COLUMNS : JOB_COLUMNS,
		  f->waiting ? s->drv->waiting_hint : "");
	if (f->status_mask && f->status_mask != STATUS_ALL)
		sql_status_in(&sql, f->status_mask);
	if (f->waiting)
		sb_puts(&sql, " AND status = 'queued' AND waiting_on > 0");
	/* Numbered placeholders, each bound once below in this order. */
	int k = 0;
	if (f->host)
		sb_printf(&sql, " AND (host = ?%d OR ran_on = ?%d)", k + 1, k + 1), k++;
	if (f->name)
		sb_printf(&sql, " AND name = ?%d", ++k);
	if (f->image)
		sb_printf(&sql, " AND image = ?%d", ++k);
	if (f->created_from)
		sb_printf(&sql, " AND created_at >= ?%d", ++k);
	if (f->created_before)
		sb_printf(&sql, " AND created_at < ?%d", ++k);
	if (f->below_id)
		sb_printf(&sql, " AND id < ?%d", ++k);
	if (f->schedule_id)
		sb_printf(&sql, " AND schedule_id = ?%d", ++k);
	sb_puts(&sql, f->newest_first ? " ORDER BY id DESC" : " ORDER BY id");
	/* The limit is written into the text when no value the plan depends
	 * on is bound (statuses are written in; a cursor's id makes no
	 * difference to the plan). PostgreSQL plans a prepared statement for
	 * its values at every run while a generic plan looks costlier, and it
	 * costs a LIMIT it cannot see as a tenth of the rows, so a page by
	 * status was planned afresh for every request. With a host, name,
	 * image, time or schedule bound the best plan may depend on that
	 * value: the limit stays a parameter, and PostgreSQL weighs its plans
	 * as before. Every value bound so far but the cursor is such a value. */
	bool plan_by_value = k > (f->below_id ? 1 : 0);
	bool limit_bound = f->limit > 0 && plan_by_value;
	if (limit_bound)
		sb_printf(&sql, " LIMIT ?%d", ++k);
	else if (f->limit > 0)
		sb_printf(&sql, " LIMIT %lld", (long long)f->limit);
	db_stmt_t *st = NULL;
	int rc = st_prepare_sb(s, &sql, &st, err);
	if (rc < 0)
		return -1;
	binder_t b;
	bind_start(&b, st);
	if (f->host)
		bind_text(&b, f->host);
	if (f->name)
		bind_text(&b, f->name);
	if (f->image)
		bind_text(&b, f->image);
	if (f->created_from)
		bind_i64(&b, f->created_from);
	if (f->created_before)
		bind_i64(&b, f->created_before);
	if (f->below_id)
		bind_i64(&b, f->below_id);
	if (f->schedule_id)
		bind_i64(&b, f->schedule_id);
	if (limit_bound)
		bind_i64(&b, f->limit);
	if (bind_check(s, &b, "cannot list the jobs", err) < 0) {
		st_release(s, st);
		return -1;
	}
	*out = st;
	return 0;
}

int store_job_each(store_t *s, const job_filter_t *f, store_job_fn fn, void *arg, char **err)
{
	job_filter_t all = {0};
	db_stmt_t *st = NULL;
	if (open_list(s, f, &st, err) < 0)
		return -1;
	int rc = each_job(s, st, (f ? f : &all)->summary, fn, arg, err);
	st_release(s, st);
	return rc;
}

int store_job_list(store_t *s, const job_filter_t *f, job_t **out, size_t *n, char **err)
{
	*out = NULL;
	*n = 0;
	job_vec_t jv = {0};
	if (store_job_each(s, f, keep_job, &jv, err) < 0) {
		store_job_list_free(jv.v, jv.count);
		return -1;
	}
	*out = jv.v;
	*n = jv.count;
	return 0;
}

int store_job_counts(store_t *s, int64_t counts[JOB_STATUS_COUNT], char **err)
{
	for (int i = 0; i < JOB_STATUS_COUNT; i++)
		counts[i] = 0;
	if (store_ready(s, err) < 0)
		return -1;
	db_stmt_t *st = NULL;
	if (st_prepare(s, "SELECT status, count(*) FROM jobs GROUP BY status", &st, err) < 0)
		return -1;
	int rc = 0, step;
	while ((step = st_step(st)) == DB_ROW) {
		job_status_t status;
		if ((rc = read_status(st, 0, &status, err)) < 0)
			break;
		counts[status] = col_i64(st, 1);
	}
	if (rc == 0 && step != DB_DONE)
		rc = db_fail_rc(s, step, "cannot count the jobs", err);
	st_release(s, st);
	if (rc < 0)
		for (int i = 0; i < JOB_STATUS_COUNT; i++)
			counts[i] = 0;
	return rc;
}

/* ---- history ---- */

/* Rows per INSERT, largest first: a batch goes in as few statements as
 * its size in binary has ones (100 rows: 64 + 32 + 4), from six texts
 * that the statement cache keeps. */
static const size_t history_chunks[] = {64, 32, 16, 8, 4, 2, 1};

static int history_insert(store_t *s, const history_row_t *rows, size_t k, const char *actor,
			  char **err)
{
	strbuf_t sql = STRBUF_INIT;
	sb_puts(&sql, "INSERT INTO job_history (job_id, at, attempt, from_status, "
		      "to_status, actor, reason) VALUES ");
	for (size_t i = 0; i < k; i++)
		sb_puts(&sql, i ? ", (?, ?, ?, ?, ?, ?, ?)" : "(?, ?, ?, ?, ?, ?, ?)");
	db_stmt_t *st = NULL;
	int rc = st_prepare_sb(s, &sql, &st, err);
	if (rc < 0)
		return -1;
	/* Nothing is read back from a history row: on a server it may go
	 * with the next statement. */
	st_later(st);
	binder_t b;
	bind_start(&b, st);
	for (size_t i = 0; i < k; i++) {
		const history_row_t *r = &rows[i];
		bind_i64(&b, r->job_id);
		bind_i64(&b, r->at);
		bind_i64(&b, r->attempt);
		if (r->from == JOB_STATUS_COUNT)
			bind_null(&b);
		else
			bind_text(&b, job_status_name(r->from));
		bind_text(&b, job_status_name(r->to));
		bind_text(&b, actor);
		bind_text(&b, r->reason);
	}
	rc = bind_check(s, &b, "cannot record the job's history", err);
	if (rc == 0)
		rc = st_exec(s, st, "cannot record the job's history", err);
	st_release(s, st);
	return rc;
}

int history_append_rows(store_t *s, const history_row_t *rows, size_t n, const char *actor,
			char **err)
{
	size_t done = 0;
	for (size_t c = 0; done < n && c < sizeof(history_chunks) / sizeof(history_chunks[0]);) {
		size_t k = history_chunks[c];
		if (n - done < k) {
			c++;
			continue;
		}
		if (history_insert(s, rows + done, k, actor, err) < 0)
			return -1;
		done += k;
	}
	if (n > 0)
		s->notify_due = true;  /* listeners hear of it with the commit */
	return 0;
}

int history_append(store_t *s, int64_t job_id, int64_t at, int attempt,
		   job_status_t from, job_status_t to, const char *actor,
		   const char *reason, char **err)
{
	history_row_t row = {job_id, at, attempt, from, to, reason};
	return history_append_rows(s, &row, 1, actor, err);
}

void store_history_free(job_event_t *ev, size_t n)
{
	for (size_t i = 0; ev && i < n; i++)
		job_event_free(&ev[i]);
	free(ev);
}

static int event_from_row(db_stmt_t *st, job_event_t *ev, char **err)
{
	bool oom = false;
	memset(ev, 0, sizeof(*ev));
	ev->at = col_i64(st, 0);
	ev->attempt = col_int(st, 1);
	ev->from = JOB_STATUS_COUNT;
	ev->actor = col_text(st, 4, &oom);
	ev->reason = col_text(st, 5, &oom);
	int rc = oom ? err_set(err, "out of memory") : 0;
	if (rc == 0 && !col_null(st, 2))
		rc = read_status(st, 2, &ev->from, err);
	if (rc == 0)
		rc = read_status(st, 3, &ev->to, err);
	if (rc < 0)
		job_event_free(ev);
	return rc;
}

int history_collect(store_t *s, db_stmt_t *st, job_event_t **out, size_t *n, char **err)
{
	*out = NULL;
	*n = 0;
	int rc = 0;
	job_event_t *v = NULL;
	size_t count = 0, cap = 0;
	int step = DB_DONE;
	while (rc == 0 && (step = st_step(st)) == DB_ROW) {
		if (!vec_room(&v, &cap, count, sizeof(*v), 8)) {
			rc = err_set(err, "out of memory");
			break;
		}
		if ((rc = event_from_row(st, &v[count], err)) == 0)
			count++;
	}
	if (rc == 0 && step != DB_DONE)
		rc = db_fail_rc(s, step, "cannot read the job's history", err);
	if (rc < 0) {
		store_history_free(v, count);
		return -1;
	}
	*out = v;
	*n = count;
	return 0;
}

int store_history(store_t *s, int64_t job_id, job_event_t **out, size_t *n, char **err)
{
	*out = NULL;
	*n = 0;
	db_stmt_t *st = NULL;
	if (store_ready(s, err) < 0 ||
	    st_open_id(s, SQL_HISTORY, job_id, "cannot read the job's history", &st, err) < 0)
		return -1;
	int rc = history_collect(s, st, out, n, err);
	st_release(s, st);
	return rc;
}

/* ---- adding ---- */

static void bind_job_spec(binder_t *b, const job_t *j, const strbuf_t *argv,
			  const strbuf_t *env, const char *ctr)
{
	bind_text(b, j->uuid);
	bind_text(b, j->name);
	bind_text(b, j->image);
	bind_blob(b, argv->buf, argv->len);
	bind_text(b, j->workdir);
	bind_blob(b, env->buf, env->len);
	bind_text(b, j->template_name);
	bind_i64(b, j->memory_bytes);
	bind_i64(b, j->nano_cpus);
	bind_i64(b, j->timeout_s);
	bind_i64(b, j->priority);
	bind_i64(b, j->not_before);
	bind_text(b, j->host);
	bind_i64(b, j->max_retries);
	bind_text(b, j->retry_strategy);
	bind_text(b, j->retry_exit_codes);
	bind_text(b, ctr);
}

/* Jobs per INSERT, largest first, as history_chunks: 1,000 jobs go in 20
 * statements instead of 1,000 (on a server each is a round trip). */
static const size_t job_chunks[] = {64, 16, 4, 1};

/* Where the row the store answered with uuid u belongs: its place in
 * submission order almost always (RETURNING keeps it in practice), else
 * found by its uuid, since neither database promises that order. */
static size_t returned_index(const job_t *jobs, size_t k, size_t expect, const char *u)
{
	if (expect < k && strcmp(jobs[expect].uuid, u) == 0)
		return expect;
	for (size_t i = 0; i < k; i++)
		if (strcmp(jobs[i].uuid, u) == 0)
			return i;
	return k;
}

/* Inserts k jobs (k one of job_chunks) in one statement and reads their
 * ids back with RETURNING: no second round trip for lastval. */
static int insert_jobs(store_t *s, const job_t *jobs, size_t k, int64_t now, int64_t *ids,
		       char **err)
{
	strbuf_t *enc = calloc(2 * k, sizeof(*enc));
	char **ctr = calloc(k, sizeof(*ctr));
	if (!enc || !ctr) {
		free(enc);
		free(ctr);
		return err_set(err, "out of memory");
	}
	int rc = 0;
	for (size_t i = 0; rc == 0 && i < k; i++) {
		if (strv_encode(jobs[i].argv, jobs[i].argc, &enc[2 * i], err) < 0 ||
		    strv_encode(jobs[i].env, jobs[i].envc, &enc[2 * i + 1], err) < 0 ||
		    container_to_json(&jobs[i].ctr, &ctr[i], err) < 0)
			rc = -1;
	}
	strbuf_t sql = STRBUF_INIT;
	db_stmt_t *st = NULL;
	if (rc == 0) {
		sb_puts(&sql, "INSERT INTO jobs (uuid, name, image, argv, workdir, env, "
			      "template_name, memory_bytes, nano_cpus, timeout_s, priority, "
			      "not_before, host, max_retries, retry_strategy, retry_exit_codes, "
			      "container_options, waiting_on, status, attempt, created_at, "
			      "queued_at) VALUES ");
		for (size_t i = 0; i < k; i++)
			sb_puts(&sql, i ? ", (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, "
					  "'queued', 0, ?, ?)"
					: "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, "
					  "'queued', 0, ?, ?)");
		sb_puts(&sql, " RETURNING id, uuid");
		rc = st_prepare_sb(s, &sql, &st, err);
	}
	if (rc == 0) {
		binder_t b;
		bind_start(&b, st);
		for (size_t i = 0; i < k; i++) {
			bind_job_spec(&b, &jobs[i], &enc[2 * i], &enc[2 * i + 1], ctr[i]);
			bind_i64(&b, jobs[i].waiting_on);
			bind_i64(&b, now);
			bind_i64(&b, now);
		}
		rc = bind_check(s, &b, "cannot add the job", err);
	}
	size_t got = 0;
	int step = DB_DONE;
	while (rc == 0 && (step = st_step(st)) == DB_ROW) {
		const char *u = col_str(st, 1);
		size_t at = u ? returned_index(jobs, k, got, u) : k;
		if (at == k) {
			rc = err_set(err, "cannot add the job: the store answered with a job "
					  "that was not sent");
			break;
		}
		ids[at] = col_i64(st, 0);
		got++;
	}
	if (rc == 0) {
		if (step == DB_E_UNIQUE)
			rc = err_set(err, "a job with uuid %s already exists", jobs[0].uuid);
		else if (step != DB_DONE)
			rc = db_fail_rc(s, step, "cannot add the job", err);
		else if (got != k)
			rc = err_set(err, "cannot add the job: the store answered with %zu ids "
					  "for %zu jobs", got, k);
	}
	st_release(s, st);
	for (size_t i = 0; i < 2 * k; i++)
		sb_free(&enc[i]);
	free(enc);
	for (size_t i = 0; i < k; i++)
		free(ctr[i]);
	free(ctr);
	return rc;
}

int store_job_add(store_t *s, job_t *job, const char *actor, const char *reason,
		  char **err)
{
	if (!actor)
		return err_set(err, "cannot add the job: no actor given for its history");
	if (store_ready(s, err) < 0)
		return -1;
	char uuid[37];
	memcpy(uuid, job->uuid, sizeof(uuid));
	uuid[36] = '\0';
	if (!job->uuid[0] && uuid_v7(uuid) < 0)
		return err_set(err, "cannot make a job uuid: no random bytes");
	job_t copy = *job;
	memcpy(copy.uuid, uuid, sizeof(uuid));
	if (store_begin(s, err) < 0)
		return -1;
	int64_t now = now_ms(), id = 0;
	int rc = insert_jobs(s, &copy, 1, now, &id, err);
	if (rc == 0)
		rc = history_append(s, id, now, 0, JOB_STATUS_COUNT, JOB_QUEUED, actor, reason,
				    err);
	if (tx_finish(s, rc, err) < 0)
		return -1;
	job->id = id;
	memcpy(job->uuid, uuid, sizeof(uuid));
	job->status = JOB_QUEUED;
	job->attempt = 0;
	job->created_at = now;
	job->queued_at = now;
	return 0;
}

int store_job_add_many(store_t *s, const job_t *jobs, size_t n, int64_t copies,
		       const size_t *order, const char *actor, const char *reason, int64_t *ids,
		       char **err)
{
	if (!actor)
		return err_set(err, "cannot add the jobs: no actor given for their history");
	bool own;
	if (store_ready(s, err) < 0 || tx_lean_begin(s, &own, err) < 0)
		return -1;
	int64_t total = copies > 0 ? copies : (int64_t)n;
	int64_t now = now_ms();
	int rc = 0;
	/* One transaction and no savepoint, neither per job nor around them
	 * (tx_lean_begin): the whole batch stands or falls together, and a
	 * hundred thousand jobs take a second or two, also into a large store. */
	job_t chunk[64];
	int64_t chunk_ids[64];
	size_t place[64]; /* chunk[i]'s index in jobs[] and ids[] */
	history_row_t rows[64];
	for (int64_t done = 0; rc == 0 && done < total;) {
		size_t c = 0;
		while ((int64_t)job_chunks[c] > total - done)
			c++;
		size_t k = job_chunks[c];
		for (size_t i = 0; i < k; i++) {
			size_t at = (size_t)done + i;
			place[i] = copies > 0 || !order ? at : order[at];
			chunk[i] = jobs[copies > 0 ? 0 : place[i]];
			if (uuid_v7(chunk[i].uuid) < 0) {
				rc = err_set(err, "cannot make a job uuid: no random bytes");
				break;
			}
		}
		if (rc == 0)
			rc = insert_jobs(s, chunk, k, now, chunk_ids, err);
		for (size_t i = 0; rc == 0 && i < k; i++) {
			ids[place[i]] = chunk_ids[i];
			rows[i] = (history_row_t){chunk_ids[i], now, 0, JOB_STATUS_COUNT, JOB_QUEUED,
						  reason};
		}
		if (rc == 0)
			rc = history_append_rows(s, rows, k, actor, err);
		done += (int64_t)k;
	}
	return tx_all_finish(s, own, rc, err);
}

/* ---- changing ---- */

/* The columns each JOB_SET_* bit writes, in bit order; bind_field() binds
 * them in the same order. */
static const struct {
	unsigned bit;
	const char *sql;
} job_fields[] = {
	{JOB_SET_ATTEMPT, "attempt = ?"},
	{JOB_SET_EXIT_CODE, "exit_code = ?"},
	{JOB_SET_STARTED_AT, "started_at = ?"},
	{JOB_SET_FINISHED_AT, "finished_at = ?"},
	{JOB_SET_QUEUED_AT, "queued_at = ?"},
	{JOB_SET_RESOURCES, "peak_memory_bytes = ?, cpu_usage_ns = ?"},
	{JOB_SET_LAST_ERROR, "last_error = ?"},
	{JOB_SET_CONTAINER, "container_name = ?, container_id = ?"},
	{JOB_SET_RAN_ON, "ran_on = ?"},
	{JOB_SET_LEASE, "worker_id = ?, lease_until = ?"},
	{JOB_SET_LIMITS, "timeout_s = ?, memory_bytes = ?, nano_cpus = ?, priority = ?"},
	{JOB_SET_NOT_BEFORE, "not_before = ?"},
};
#define NFIELDS (sizeof(job_fields) / sizeof(job_fields[0]))

static void bind_field(binder_t *b, const job_t *j, unsigned bit)
{
	switch (bit) {
	case JOB_SET_ATTEMPT: bind_i64(b, j->attempt); break;
	case JOB_SET_EXIT_CODE:
		if (j->has_exit_code)
			bind_i64(b, j->exit_code);
		else
			bind_null(b);
		break;
	case JOB_SET_STARTED_AT: bind_i64(b, j->started_at); break;
	case JOB_SET_FINISHED_AT: bind_i64(b, j->finished_at); break;
	case JOB_SET_QUEUED_AT: bind_i64(b, j->queued_at); break;
	case JOB_SET_RESOURCES:
		bind_i64(b, j->peak_memory_bytes);
		bind_i64(b, j->cpu_usage_ns);
		break;
	case JOB_SET_LAST_ERROR: bind_text(b, j->last_error); break;
	case JOB_SET_CONTAINER:
		bind_text(b, j->container_name);
		bind_text(b, j->container_id);
		break;
	case JOB_SET_RAN_ON: bind_text(b, j->ran_on); break;
	case JOB_SET_LEASE:
		bind_text(b, j->worker_id);
		bind_i64(b, j->lease_until);
		break;
	case JOB_SET_LIMITS:
		bind_i64(b, j->timeout_s);
		bind_i64(b, j->memory_bytes);
		bind_i64(b, j->nano_cpus);
		bind_i64(b, j->priority);
		break;
	case JOB_SET_NOT_BEFORE: bind_i64(b, j->not_before); break;
	}
}

/* The row's host key and status as stored, for the job counts. 1 when the
 * job does not exist. */
static int read_count_key(store_t *s, int64_t id, char **ran_on, char **host,
			  job_status_t *status, char **err)
{
	db_stmt_t *st = NULL;
	if (st_prepare(s, "SELECT ran_on, host, status FROM jobs WHERE id = ?", &st, err) < 0)
		return -1;
	binder_t b;
	bind_start(&b, st);
	bind_i64(&b, id);
	int rc = bind_check(s, &b, "cannot read the job", err);
	if (rc == 0) {
		int step = st_step(st);
		if (step == DB_ROW) {
			bool oom = false;
			*ran_on = col_text(st, 0, &oom);
			*host = col_text(st, 1, &oom);
			rc = oom ? err_set(err, "out of memory") : read_status(st, 2, status, err);
		} else {
			rc = step == DB_DONE ? 1 : db_fail_rc(s, step, "cannot read the job", err);
		}
	}
	st_release(s, st);
	return rc;
}

/* The UPDATE itself; with key, only if the row's host key is still that. */
static int update_row(store_t *s, const job_t *j, unsigned set, const job_status_t *move,
		      const char *key, char **err)
{
	strbuf_t sql = STRBUF_INIT;
	const char *sep = "";
	sb_puts(&sql, "UPDATE jobs SET ");
	if (move) {
		sb_puts(&sql, "status = ?");
		sep = ", ";
	}
	for (size_t i = 0; i < NFIELDS; i++) {
		if (set & job_fields[i].bit) {
			sb_puts(&sql, sep);
			sb_puts(&sql, job_fields[i].sql);
			sep = ", ";
		}
	}
	sb_puts(&sql, move ? " WHERE id = ? AND status = ?" : " WHERE id = ?");
	if (key)
		sb_puts(&sql, " AND coalesce(ran_on, host, '') = ?");
	db_stmt_t *st = NULL;
	int rc = st_prepare_sb(s, &sql, &st, err);
	if (rc < 0)
		return -1;
	binder_t b;
	bind_start(&b, st);
	if (move)
		bind_text(&b, job_status_name(move[1]));
	for (size_t i = 0; i < NFIELDS; i++)
		if (set & job_fields[i].bit)
			bind_field(&b, j, job_fields[i].bit);
	bind_i64(&b, j->id);
	if (move)
		bind_text(&b, job_status_name(move[0]));
	if (key)
		bind_text(&b, key);
	return exec_changes(s, st, &b, "cannot update the job", err);
}

/* UPDATE of the fields in set, and of the status when move is given
 * ({from, to}: only if the job is still in from); 1 when no row changed.
 * A change of status or ran_on is noted for the job counts (counts.c) with
 * the row's host key as stored: a move checks in its own WHERE that the key
 * is the one the caller's record gives (nothing changes a job's host, and
 * only a claim its ran_on, which also moves it, so a record that passes the
 * status check has the right key); a change of ran_on reads the row first. */
static int write_fields(store_t *s, const job_t *j, unsigned set, const job_status_t *move,
			char **err)
{
	if (!move && !(set & JOB_SET_RAN_ON))
		return update_row(s, j, set, move, NULL, err);
	if (!(set & JOB_SET_RAN_ON)) {
		const char *key = count_key(j->ran_on, j->host);
		int rc = update_row(s, j, set, move, key, err);
		if (rc == 0)
			rc = counts_note(s, key, move[0], key, move[1], err);
		return rc;
	}
	char *ran_on = NULL, *host = NULL;
	job_status_t status = JOB_QUEUED;
	int rc = read_count_key(s, j->id, &ran_on, &host, &status, err);
	if (rc == 0)
		rc = update_row(s, j, set, move, NULL, err);
	if (rc == 0) {
		const char *old_key = count_key(ran_on, host);
		const char *new_key = count_key(j->ran_on, host);
		rc = counts_note(s, old_key, status, new_key, move ? move[1] : status, err);
	}
	free(ran_on);
	free(host);
	return rc;
}

int job_write_move(store_t *s, const job_t *j, job_status_t from, job_status_t to, unsigned set,
		   char **err)
{
	job_status_t move[2] = {from, to};
	return write_fields(s, j, set, move, err);
}

/* Tells a job that is gone from one whose status changed under us. */
static int job_missing(store_t *s, int64_t id, char **err)
{
	db_stmt_t *st = NULL;
	if (st_prepare(s, "SELECT count(*) FROM jobs WHERE id = ?", &st, err) < 0)
		return -1;
	binder_t b;
	bind_start(&b, st);
	bind_i64(&b, id);
	int rc = bind_check(s, &b, "cannot read the job", err);
	if (rc == 0) {
		int step = st_step(st);
		if (step != DB_ROW)
			rc = db_fail_rc(s, step, "cannot read the job", err);
		else if (col_i64(st, 0) == 0)
			rc = err_set(err, "job %lld does not exist", (long long)id);
	}
	st_release(s, st);
	return rc;
}

/* The move from -> to (through via, unless via is JOB_STATUS_COUNT): the row
 * written once, one history row per step, the first of two at the start
 * time. The checks of both public calls are here. */
static int move_job(store_t *s, const job_t *job, job_status_t from, job_status_t via,
		    job_status_t to, unsigned set, const char *actor, const char *via_reason,
		    const char *reason, char **err)
{
	bool through = via != JOB_STATUS_COUNT;
	if (through ? !job_can_move(from, via) || !job_can_move(via, to) : !job_can_move(from, to))
		return err_set(err, "job %lld: cannot move from %s%s%s to %s", (long long)job->id,
			       job_status_name(from), through ? " through " : "",
			       through ? job_status_name(via) : "", job_status_name(to));
	if (set & ~JOB_SET_ALL)
		return err_set(err, "job %lld: unknown fields to set (0x%x)",
			       (long long)job->id, set & ~JOB_SET_ALL);
	if (!actor)
		return err_set(err, "job %lld: no actor given for its history",
			       (long long)job->id);
	if (store_ready(s, err) < 0 || store_begin(s, err) < 0)
		return -1;
	job_status_t move[2] = {from, to};
	int rc = write_fields(s, job, set, move, err);
	if (rc == 1 && job_missing(s, job->id, err) < 0)
		rc = -1;
	if (rc == 0)
		s->moved_job = job->id;
	/* A job that ran and now finished: its run time, as the row now
	 * holds it, for the histogram of /metrics (metrics.c). */
	if (rc == 0 && (to == JOB_COMPLETED || to == JOB_FAILED || to == JOB_TIMEOUT) &&
	    (set & JOB_SET_FINISHED_AT) && job->started_at > 0 &&
	    job->finished_at >= job->started_at)
		rc = counts_note_run(s, job->finished_at - job->started_at, err);
	int64_t now = now_ms();
	/* Through via: both steps in one write. */
	history_row_t steps[2] = {
		{job->id, job->started_at > 0 ? job->started_at : now, job->attempt, from, via,
		 via_reason},
		{job->id, now, job->attempt, through ? via : from, to, reason},
	};
	if (rc == 0)
		rc = history_append_rows(s, through ? steps : steps + 1, through ? 2 : 1, actor, err);
	/* The jobs that wait for this one learn its end in the same commit;
	 * a finished job put back in the queue keeps how it settled them. */
	if (rc == 0 && job_status_is_final(to))
		rc = deps_settle(s, job->id, to, actor, err);
	else if (rc == 0 && job_status_is_final(from))
		rc = deps_freeze(s, job->id, from, err);
	return tx_finish(s, rc, err);
}

int store_job_move(store_t *s, const job_t *job, job_status_t from, job_status_t to,
		   unsigned set, const char *actor, const char *reason, char **err)
{
	return move_job(s, job, from, JOB_STATUS_COUNT, to, set, actor, NULL, reason, err);
}

int store_job_move_via(store_t *s, const job_t *job, job_status_t from, job_status_t via,
		       job_status_t to, unsigned set, const char *actor, const char *via_reason,
		       const char *reason, char **err)
{
	return move_job(s, job, from, via, to, set, actor, via_reason, reason, err);
}

int store_job_update(store_t *s, const job_t *job, unsigned set, char **err)
{
	if (set & ~JOB_SET_ALL)
		return err_set(err, "job %lld: unknown fields to set (0x%x)",
			       (long long)job->id, set & ~JOB_SET_ALL);
	if (store_ready(s, err) < 0)
		return -1;
	if (set == 0)
		return job_missing(s, job->id, err);
	bool own;
	if (tx_lean_begin(s, &own, err) < 0)
		return -1;
	int rc = write_fields(s, job, set, NULL, err);
	if (rc == 1)
		rc = err_set(err, "job %lld does not exist", (long long)job->id);
	return tx_one_finish(s, own, rc, err);
}

int store_job_renew_lease(store_t *s, int64_t id, const char *worker_id, int64_t lease_until,
			  char **err)
{
	bool own;
	if (store_ready(s, err) < 0 || tx_lean_begin(s, &own, err) < 0)
		return -1;
	db_stmt_t *st = NULL;
	int rc = st_prepare(s,
			    "UPDATE jobs SET lease_until = ? WHERE id = ? AND worker_id = ? "
			    "AND status IN ('launching', 'running')",
			    &st, err);
	if (rc == 0) {
		binder_t b;
		bind_start(&b, st);
		bind_i64(&b, lease_until);
		bind_i64(&b, id);
		bind_text(&b, worker_id);
		rc = exec_changes(s, st, &b, "cannot renew the lease", err);
	}
	return tx_one_finish(s, own, rc, err);
}

/* ---- removing ---- */

int store_job_delete(store_t *s, int64_t id, char **err)
{
	if (store_ready(s, err) < 0 || store_begin(s, err) < 0)
		return -1;
	job_t job;
	int rc = store_job_get(s, id, &job, err);
	if (rc == 0 && !job_status_is_final(job.status))
		rc = err_set(err, "job %lld is %s; only a finished job can be deleted "
				  "(cancel it first)",
			     (long long)id, job_status_name(job.status));
	job_free(&job);
	if (rc == 0) {
		db_stmt_t *st = NULL;
		rc = st_prepare(s, "DELETE FROM jobs WHERE id = ?", &st, err);
		if (rc == 0) {
			binder_t b;
			bind_start(&b, st);
			bind_i64(&b, id);
			rc = exec_changes(s, st, &b, "cannot delete the job", err);
		}
	}
	return tx_finish(s, rc, err);
}

