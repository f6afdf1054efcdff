/*
 * store/maint.c: store maintenance (see maint.h): statistics, integrity and
 * consistency checks, VACUUM, online backup, and sample data.
 *
 * It must never print, never change the status of an existing job (only
 * store_job_move() does that), and never delete anything but the sample
 * records that store_sample_job_add() and `dev sample-data` made.
 */
#include "store/maint.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "store/store_int.h"
#include "util/err.h"
#include "util/timeutil.h"
#include "util/uuid.h"
#include "util/vec.h"

/* Pages copied per backup step: small enough that a worker's write waits
 * at most a few milliseconds for the copy, large enough to finish soon. */
#define BACKUP_STEP_PAGES 64
/* Problems kept in memory by store_check(); the rest are counted. */
#define CHECK_MAX_PROBLEMS 10000

#define SAMPLE_WHERE                                                             \
	"substr(jobs.name, 1, 7) = '" STORE_SAMPLE_PREFIX "' AND EXISTS (SELECT 1 " \
	"FROM job_history h WHERE h.job_id = jobs.id AND h.from_status IS NULL "   \
	"AND h.actor = '" STORE_SAMPLE_ACTOR "')"

int store_file_bytes(store_t *s, int64_t *bytes, char **err)
{
	return s->drv->file_bytes(s, bytes, err);
}

/* One integer from a query without parameters. */
static int query_i64(store_t *s, const char *sql, int64_t *out, char **err)
{
	return query_count(s, sql, NULL, out, err);
}

/* ---- statistics ---- */

int store_stats(store_t *s, store_stats_t *o, char **err)
{
	memset(o, 0, sizeof(*o));
	if (s->drv->space(s, o, err) < 0 || store_schema_version(s, &o->schema, &o->latest, err) < 0 ||
	    store_job_counts(s, o->jobs, err) < 0)
		return -1;
	for (int i = 0; i < JOB_STATUS_COUNT; i++)
		o->jobs_total += o->jobs[i];
	db_stmt_t *st = NULL;
	if (query_i64(s, "SELECT count(*) FROM job_history", &o->history_rows, err) < 0 ||
	    query_i64(s, "SELECT count(*) FROM hosts", &o->hosts, err) < 0 ||
	    query_i64(s, "SELECT count(*) FROM env_templates", &o->templates, err) < 0 ||
	    st_prepare(s, "SELECT count(*), coalesce(sum(length(data)), 0) FROM job_output",
		       &st, err) < 0)
		return -1;
	int step = st_step(st);
	if (step == DB_ROW) {
		o->output_rows = col_i64(st, 0);
		o->output_bytes = col_i64(st, 1);
	}
	st_release(s, st);
	if (step != DB_ROW)
		return db_fail_rc(s, step, "cannot count the captured output", err);
	return 0;
}

/* ---- checks ---- */

typedef struct {
	store_problem_t *v;
	size_t n, cap;
	int64_t dropped;
	bool oom;
} problems_t;

__attribute__((format(printf, 3, 4))) static void problem(problems_t *p, int64_t job_id,
							   const char *fmt, ...)
{
	/* dropped < 0: the closing "... and N more" line, never dropped. */
	if (p->n >= CHECK_MAX_PROBLEMS && p->dropped >= 0) {
		p->dropped++;
		return;
	}
	char *msg = NULL, *text = NULL;
	va_list ap;
	va_start(ap, fmt);
	int r = vasprintf(&text, fmt, ap);
	va_end(ap);
	if (r < 0) {
		p->oom = true;
		return;
	}
	if (job_id)
		r = asprintf(&msg, "job %lld: %s", (long long)job_id, text);
	else
		r = asprintf(&msg, "%s", text);
	free(text);
	if (r < 0) {
		p->oom = true;
		return;
	}
	if (!vec_room(&p->v, &p->cap, p->n, sizeof(*p->v), 16)) {
		free(msg);
		p->oom = true;
		return;
	}
	p->v[p->n++] = (store_problem_t){job_id, msg};
}

/* For the driver's own integrity check. */
static void add_problem(void *ud, const char *message)
{
	problem(ud, 0, "integrity: %s", message);
}

void store_problems_free(store_problem_t *p, size_t n)
{
	for (size_t i = 0; p && i < n; i++)
		free(p[i].message);
	free(p);
}

static void time_text(int64_t ms, char *buf, size_t size)
{
	format_time_ms(ms, buf, size);
}

static int check_jobs(store_t *s, problems_t *p, char **err)
{
	db_stmt_t *st = NULL;
	if (st_prepare(s, "SELECT id, status, attempt, exit_code, created_at, started_at, "
			  "finished_at, worker_id, lease_until, "
			  "(SELECT to_status FROM job_history h WHERE h.job_id = jobs.id "
			  " ORDER BY h.id DESC LIMIT 1) "
			  "FROM jobs ORDER BY id",
		       &st, err) < 0)
		return -1;
	int step;
	while ((step = st_step(st)) == DB_ROW) {
		int64_t id = col_i64(st, 0);
		const char *name = col_str(st, 1);
		job_status_t status;
		if (!job_status_parse(name, &status)) {
			problem(p, id, "unknown status '%s'", name ? name : "(null)");
			continue;
		}
		int attempt = col_int(st, 2);
		bool has_exit = !col_null(st, 3);
		int exit_code = col_int(st, 3);
		int64_t created = col_i64(st, 4);
		int64_t started = col_i64(st, 5);
		int64_t finished = col_i64(st, 6);
		const char *worker = col_str(st, 7);
		int64_t lease = col_i64(st, 8);
		const char *last = col_str(st, 9);
		bool final = job_status_is_final(status);
		bool active = status == JOB_LAUNCHING || status == JOB_RUNNING;
		char t1[40], t2[40];
		if (created <= 0)
			problem(p, id, "has no creation time (created_at is %lld)",
				(long long)created);
		if (final && finished <= 0)
			problem(p, id, "is %s but has no finish time (finished_at is 0)", name);
		if (status == JOB_RUNNING && started <= 0)
			problem(p, id, "is running but has no start time (started_at is 0)");
		if (!final && finished > 0)
			problem(p, id, "is %s but has a finish time", name);
		if (started > 0 && finished > 0 && finished < started) {
			time_text(started, t1, sizeof(t1));
			time_text(finished, t2, sizeof(t2));
			problem(p, id, "finished (%s) before it started (%s)", t2, t1);
		}
		if (active && attempt < 1)
			problem(p, id, "is %s but its attempt count is %d", name, attempt);
		if (active && !worker)
			problem(p, id, "is %s but no worker holds it (worker_id is empty)", name);
		if (!active && (worker || lease != 0))
			problem(p, id, "is %s but still holds a lease (worker_id %s, lease_until %lld)",
				name, worker ? worker : "empty", (long long)lease);
		if (status == JOB_COMPLETED && (!has_exit || exit_code != 0)) {
			if (has_exit)
				problem(p, id, "is completed but its exit code is %d", exit_code);
			else
				problem(p, id, "is completed but has no exit code");
		}
		if (!last)
			problem(p, id, "has no history rows");
		else if (strcmp(last, name) != 0)
			problem(p, id, "is %s but its latest history row says %s", name, last);
	}
	st_release(s, st);
	if (step != DB_DONE)
		return db_fail_rc(s, step, "cannot check the jobs", err);
	return 0;
}

static int check_orphans(store_t *s, problems_t *p, const char *table, const char *what,
			 char **err)
{
	char *sql = NULL;
	if (asprintf(&sql, "SELECT job_id, count(*) FROM %s t WHERE NOT EXISTS (SELECT 1 "
			   "FROM jobs WHERE jobs.id = t.job_id) GROUP BY job_id ORDER BY job_id",
		     table) < 0)
		return err_set(err, "out of memory");
	db_stmt_t *st = NULL;
	int rc = st_prepare(s, sql, &st, err);
	free(sql);
	if (rc < 0)
		return -1;
	int step;
	while ((step = st_step(st)) == DB_ROW)
		problem(p, col_i64(st, 0), "does not exist, but %lld %s rows are "
			"left (table %s)", (long long)col_i64(st, 1), what, table);
	st_release(s, st);
	if (step != DB_DONE)
		return db_fail_rc(s, step, "cannot check for rows without their job", err);
	return 0;
}

/* The counts manage-jobs status shows (job_counts, kept by the store and
 * its triggers) against the jobs themselves. */
static int check_counts(store_t *s, problems_t *p, char **err)
{
	db_stmt_t *st = NULL;
	if (st_prepare(s, "SELECT k, st, sum(c), sum(a) FROM ("
			  "SELECT host_key AS k, status AS st, n AS c, 0 AS a FROM job_counts "
			  "UNION ALL SELECT coalesce(ran_on, host, ''), status, 0, count(*) "
			  "FROM jobs WHERE status <> 'queued' GROUP BY 1, 2) AS t "
			  "GROUP BY k, st HAVING sum(c) <> sum(a) ORDER BY k, st",
		       &st, err) < 0)
		return -1;
	int step;
	while ((step = st_step(st)) == DB_ROW) {
		const char *key = col_str(st, 0);
		const char *status = col_str(st, 1);
		problem(p, 0, "job counts: %s jobs %s%s%s: counted %lld, but the jobs table has "
			"%lld ('cjobs db vacuum' counts them again)",
			status ? status : "(null)", key && *key ? "of host '" : "without a host",
			key && *key ? key : "", key && *key ? "'" : "",
			(long long)col_i64(st, 2), (long long)col_i64(st, 3));
	}
	st_release(s, st);
	if (step != DB_DONE)
		return db_fail_rc(s, step, "cannot check the job counts", err);
	return 0;
}

int store_check(store_t *s, store_problem_t **out, size_t *n, char **err)
{
	*out = NULL;
	*n = 0;
	if (store_ready(s, err) < 0)
		return -1;
	problems_t p = {0};
	/* One read transaction, so that every check sees the same store even
	 * while a worker writes. */
	int rc = st_run(s, s->drv->sql_begin_read, "cannot start reading", err);
	if (rc == 0) {
		rc = s->drv->integrity(s, add_problem, &p, err);
		if (rc == 0)
			rc = check_jobs(s, &p, err);
		if (rc == 0)
			rc = check_orphans(s, &p, "job_history", "history", err);
		if (rc == 0)
			rc = check_orphans(s, &p, "job_output", "output", err);
		if (rc == 0)
			rc = check_counts(s, &p, err);
		st_run(s, "COMMIT", "cannot finish reading", NULL);
	}
	if (rc == 0 && p.dropped) {
		int64_t more = p.dropped;
		p.dropped = -1;
		problem(&p, 0, "... and %lld more problems", (long long)more);
	}
	if (rc == 0 && p.oom)
		rc = err_set(err, "out of memory");
	if (rc < 0) {
		store_problems_free(p.v, p.n);
		return -1;
	}
	*out = p.v;
	*n = p.n;
	return 0;
}

/* ---- vacuum ---- */

int store_vacuum(store_t *s, int64_t *before, int64_t *after, char **err)
{
	if (store_ready(s, err) < 0)
		return -1;
	if (s->depth > 0)
		return err_set(err, "cannot vacuum inside a transaction");
	store_file_bytes(s, before, err);
	/* The job counts are derived data: counted again, they heal whatever
	 * 'db check' found wrong in them (an edit by hand, for one). */
	if (store_begin(s, err) < 0)
		return -1;
	if (tx_finish(s, counts_recount(s, err), err) < 0)
		return -1;
	if (s->drv->vacuum(s, err) < 0)
		return -1;
	store_file_bytes(s, after, err);
	return 0;
}

/* ---- backup ---- */

int store_backup(store_t *s, const char *dest, bool overwrite, int64_t *bytes,
		 store_progress_fn progress, void *ud, char **err)
{
	*bytes = 0;
	if (store_ready(s, err) < 0)
		return -1;
	if (s->depth > 0)
		return err_set(err, "cannot back up inside a transaction");
	return s->drv->backup(s, dest, overwrite, bytes, progress, ud, err);
}

/* ---- sample data ---- */

static int insert_full_job(store_t *s, const job_t *j, int64_t *id, char **err)
{
	strbuf_t argv = STRBUF_INIT, env = STRBUF_INIT;
	if (strv_encode(j->argv, j->argc, &argv, err) < 0)
		return -1;
	if (strv_encode(j->env, j->envc, &env, err) < 0) {
		sb_free(&argv);
		return -1;
	}
	db_stmt_t *st = NULL;
	int rc = st_prepare(s, "INSERT INTO jobs (uuid, name, image, argv, workdir, env, "
			       "template_name, memory_bytes, nano_cpus, timeout_s, priority, "
			       "not_before, host, max_retries, status, attempt, exit_code, "
			       "created_at, queued_at, started_at, finished_at, peak_memory_bytes, "
			       "cpu_usage_ns, last_error, container_name, container_id, ran_on, "
			       "worker_id, lease_until) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, "
			       "?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
			    &st, err);
	if (rc == 0) {
		binder_t b;
		bind_start(&b, st);
		bind_text(&b, j->uuid);
		bind_text(&b, j->name);
		bind_text(&b, j->image);
		bind_blob(&b, argv.buf, argv.len);
		bind_text(&b, j->workdir);
		bind_blob(&b, env.buf, env.len);
		bind_text(&b, j->template_name);
		bind_i64(&b, j->memory_bytes);
		bind_i64(&b, j->nano_cpus);
		bind_i64(&b, j->timeout_s);
		bind_i64(&b, j->priority);
		bind_i64(&b, j->not_before);
		bind_text(&b, j->host);
		bind_i64(&b, j->max_retries);
		bind_text(&b, job_status_name(j->status));
		bind_i64(&b, j->attempt);
		if (j->has_exit_code)
			bind_i64(&b, j->exit_code);
		else
			bind_null(&b);
		bind_i64(&b, j->created_at);
		bind_i64(&b, j->queued_at);
		bind_i64(&b, j->started_at);
		bind_i64(&b, j->finished_at);
		bind_i64(&b, j->peak_memory_bytes);
		bind_i64(&b, j->cpu_usage_ns);
		bind_text(&b, j->last_error);
		bind_text(&b, j->container_name);
		bind_text(&b, j->container_id);
		bind_text(&b, j->ran_on);
		bind_text(&b, j->worker_id);
		bind_i64(&b, j->lease_until);
		rc = bind_check(s, &b, "cannot add the sample job", err);
	}
	if (rc == 0) {
		int step = st_step(st);
		if (step == DB_E_UNIQUE)
			rc = err_set(err, "a job with uuid %s already exists", j->uuid);
		else if (step == DB_DONE)
			*id = db_last_id(s, st);
		else
			rc = db_fail_rc(s, step, "cannot add the sample job", err);
	}
	st_release(s, st);
	sb_free(&argv);
	sb_free(&env);
	return rc;
}

/* Appends one history row after checking that a real job could move so. */
static int sample_step(store_t *s, int64_t id, int64_t at, int attempt, job_status_t from,
		       job_status_t to, const char *reason, char **err)
{
	if (from != JOB_STATUS_COUNT && !job_can_move(from, to))
		return err_set(err, "sample job %lld: cannot move from %s to %s", (long long)id,
			       job_status_name(from), job_status_name(to));
	return history_append(s, id, at, attempt, from, to, STORE_SAMPLE_ACTOR, reason, err);
}

/* The history a real job would have to reach j's status: creation, earlier
 * attempts that failed and were retried, then the last attempt's steps. */
static int sample_history(store_t *s, int64_t id, const job_t *j, char **err)
{
	int rc = sample_step(s, id, j->created_at, 0, JOB_STATUS_COUNT, JOB_QUEUED,
			     "sample data", err);
	if (rc < 0 || j->status == JOB_QUEUED)
		return rc;
	if (j->attempt < 1) {
		if (j->status != JOB_CANCELLED)
			return err_set(err, "sample job %lld: a %s job has run at least once "
					    "(attempt >= 1)",
				       (long long)id, job_status_name(j->status));
		return sample_step(s, id, j->finished_at, 0, JOB_QUEUED, JOB_CANCELLED,
				   "sample: cancelled before it ran", err);
	}
	/* The last attempt is launched just before it started (or, when it
	 * never started, before it ended). */
	int64_t end = j->finished_at ? j->finished_at : now_ms();
	int64_t launch = j->started_at ? j->started_at - 300 : end - 300;
	if (launch < j->created_at)
		launch = j->created_at;
	/* Earlier attempts, evenly spread between creation and that launch. */
	int64_t span = (launch - j->created_at) / (j->attempt * 4 + 1);
	int64_t t = j->created_at;
	for (int a = 1; rc == 0 && a < j->attempt; a++) {
		rc = sample_step(s, id, t += span, a, JOB_QUEUED, JOB_LAUNCHING, "claimed", err);
		if (rc == 0)
			rc = sample_step(s, id, t += span, a, JOB_LAUNCHING, JOB_RUNNING,
					 "container started", err);
		if (rc == 0)
			rc = sample_step(s, id, t += span, a, JOB_RUNNING, JOB_FAILED,
					 "sample: exited with code 1", err);
		if (rc == 0)
			rc = sample_step(s, id, t += span, a, JOB_FAILED, JOB_QUEUED,
					 "sample: retry", err);
	}
	if (rc == 0)
		rc = sample_step(s, id, launch, j->attempt, JOB_QUEUED, JOB_LAUNCHING, "claimed",
				 err);
	if (rc < 0 || j->status == JOB_LAUNCHING)
		return rc;
	job_status_t from = JOB_LAUNCHING;
	if (j->started_at) {
		rc = sample_step(s, id, j->started_at, j->attempt, JOB_LAUNCHING, JOB_RUNNING,
				 "container started", err);
		from = JOB_RUNNING;
	}
	if (rc < 0 || j->status == JOB_RUNNING)
		return rc;
	return sample_step(s, id, end, j->attempt, from, j->status,
			   j->last_error ? j->last_error : "sample: finished", err);
}

static int sample_output(store_t *s, int64_t id, int attempt, job_stream_t stream,
			 const job_output_t *o, char **err)
{
	if (!o)
		return 0;
	db_stmt_t *st = NULL;
	if (st_prepare(s, "INSERT INTO job_output (job_id, attempt, stream, data, truncated, "
			  "total_bytes) VALUES (?, ?, ?, ?, ?, ?)",
		       &st, err) < 0)
		return -1;
	binder_t b;
	bind_start(&b, st);
	bind_i64(&b, id);
	bind_i64(&b, attempt);
	bind_i64(&b, stream);
	bind_blob(&b, o->data, o->len);
	bind_i64(&b, o->truncated);
	bind_i64(&b, o->total_bytes);
	int rc = bind_check(s, &b, "cannot store the sample output", err);
	if (rc == 0)
		rc = st_exec(s, st, "cannot store the sample output", err);
	st_release(s, st);
	return rc;
}

int store_sample_job_add(store_t *s, job_t *job, const job_output_t *out,
			 const job_output_t *errout, char **err)
{
	if (!job->name || strncmp(job->name, STORE_SAMPLE_PREFIX,
				  strlen(STORE_SAMPLE_PREFIX)) != 0)
		return err_set(err, "a sample job's name must start with '%s'",
			       STORE_SAMPLE_PREFIX);
	if ((unsigned)job->status >= JOB_STATUS_COUNT || job->created_at <= 0)
		return err_set(err, "a sample job needs a status and a creation time");
	if (store_ready(s, err) < 0)
		return -1;
	job_t copy = *job;
	if (!copy.uuid[0] && uuid_v7(copy.uuid) < 0)
		return err_set(err, "cannot make a job uuid: no random bytes");
	if (store_begin(s, err) < 0)
		return -1;
	int64_t id = 0;
	int rc = insert_full_job(s, &copy, &id, err);
	if (rc == 0)
		rc = sample_history(s, id, &copy, err);
	/* Counted in the run-time histogram as a real job that finished
	 * (jobs.c, move_job); removing sample data leaves the counts, as a
	 * cleanup does. */
	if (rc == 0 &&
	    (copy.status == JOB_COMPLETED || copy.status == JOB_FAILED ||
	     copy.status == JOB_TIMEOUT) &&
	    copy.started_at > 0 && copy.finished_at >= copy.started_at)
		rc = counts_note_run(s, copy.finished_at - copy.started_at, err);
	if (rc == 0 && copy.attempt >= 1)
		rc = sample_output(s, id, copy.attempt, JOB_STDOUT, out, err);
	if (rc == 0 && copy.attempt >= 1)
		rc = sample_output(s, id, copy.attempt, JOB_STDERR, errout, err);
	if (tx_finish(s, rc, err) < 0)
		return -1;
	job->id = id;
	memcpy(job->uuid, copy.uuid, sizeof(job->uuid));
	return 0;
}

/* Runs a statement with one optional text parameter; *changes gets the
 * rows it changed. */
static int exec_named(store_t *s, const char *sql, const char *arg, int64_t *changes,
		      char **err)
{
	db_stmt_t *st = NULL;
	if (st_prepare(s, sql, &st, err) < 0)
		return -1;
	binder_t b;
	bind_start(&b, st);
	if (arg)
		bind_text(&b, arg);
	int rc = bind_check(s, &b, "cannot remove sample data", err);
	if (rc == 0)
		rc = st_exec(s, st, "cannot remove sample data", err);
	st_release(s, st);
	if (rc == 0 && changes)
		*changes = db_changes(s);
	return rc;
}

int store_sample_clear(store_t *s, const char *const *hosts, const char *const *templates,
		       bool dry_run, store_sample_counts_t *out, char **err)
{
	memset(out, 0, sizeof(*out));
	if (store_ready(s, err) < 0 || store_begin(s, err) < 0)
		return -1;
	int rc = query_count(s, "SELECT count(*) FROM jobs WHERE " SAMPLE_WHERE, NULL,
			     &out->jobs, err);
	/* Sample jobs may only be launching or running on paper: no worker
	 * holds them, so they may go with the rest. */
	if (rc == 0 && !dry_run)
		rc = exec_named(s, "DELETE FROM jobs WHERE " SAMPLE_WHERE, NULL, NULL, err);
	for (size_t i = 0; rc == 0 && hosts && hosts[i]; i++) {
		int64_t exists = 0, used = 0;
		rc = query_count(s, "SELECT count(*) FROM hosts WHERE name = ?", hosts[i], &exists,
				 err);
		if (rc == 0 && exists)
			rc = query_count(s, "SELECT count(*) FROM jobs WHERE (host = ?1 OR "
					    "(ran_on = ?1 AND status IN ('launching', 'running'))) "
					    "AND NOT (" SAMPLE_WHERE ")",
					 hosts[i], &used, err);
		if (rc < 0 || !exists)
			continue;
		if (used) {
			out->hosts_kept++;
			continue;
		}
		out->hosts++;
		if (!dry_run)
			rc = exec_named(s, "DELETE FROM hosts WHERE name = ?", hosts[i], NULL, err);
	}
	for (size_t i = 0; rc == 0 && templates && templates[i]; i++) {
		int64_t exists = 0;
		rc = query_count(s, "SELECT count(*) FROM env_templates WHERE name = ?",
				 templates[i], &exists, err);
		if (rc == 0 && exists) {
			out->templates++;
			if (!dry_run)
				rc = exec_named(s, "DELETE FROM env_templates WHERE name = ?",
						templates[i], NULL, err);
		}
	}
	if (tx_finish(s, rc, err) < 0) {
		memset(out, 0, sizeof(*out));
		return -1;
	}
	return 0;
}
