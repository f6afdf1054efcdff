/*
 * store/claim.c: handing queued jobs to workers, and the counts a worker
 * plans its loop with.
 *
 * A claim reads and writes under one BEGIN IMMEDIATE, so two workers (two
 * processes, or two handles) never claim the same job. The choice walks
 * a claim index in (priority DESC, id) order, once for unpinned jobs and
 * once for each of the worker's hosts, and stops after `max` rows of each:
 * it must never sort or scan the whole queue, because the worker claims in
 * every turn of its loop. A claim for any host (hosts NULL: tests and
 * tools, never a worker) has no index of its own and sorts the queue.
 */
#include "store/store_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/err.h"
#include "util/timeutil.h"
#include "util/vec.h"

/* One arm of the per-host claim query: the best max jobs of one pinned host
 * (or of none), read from jobs_claim_host in order. */
static void claim_arm(const store_driver_t *drv, strbuf_t *sql, const char *host_term)
{
	sb_printf(sql, "SELECT id, priority FROM (SELECT id, priority FROM jobs%s "
		       "WHERE status = 'queued' AND waiting_on = 0 AND %s AND not_before <= ?1 "
		       "ORDER BY priority DESC, id LIMIT ?2) AS arm",
		  drv->claim_hint_host, host_term);
}

void claim_sql(const store_driver_t *drv, strbuf_t *sql, char *const *hosts)
{
	if (!hosts) {
		sb_puts(sql, "SELECT id FROM jobs WHERE status = 'queued' AND waiting_on = 0 "
			     "AND not_before <= ?1 ORDER BY priority DESC, id LIMIT ?2");
		return;
	}
	/* One ordered walk per host, merged: a single walk with "host IN"
	 * would step over every job pinned to other hosts, each time. UNION
	 * drops the duplicates a repeated host name would make. */
	sb_puts(sql, "SELECT id FROM (");
	claim_arm(drv, sql, "host IS NULL");
	for (size_t i = 0; hosts[i]; i++) {
		sb_puts(sql, " UNION ");
		char term[32];
		snprintf(term, sizeof(term), "host = ?%zu", i + 3);
		claim_arm(drv, sql, term);
	}
	sb_puts(sql, ") AS arms ORDER BY priority DESC, id LIMIT ?2");
}

void claim_update_sql(const store_driver_t *drv, strbuf_t *sql, char *const *hosts, bool run_on)
{
	size_t nhosts = 0;
	while (hosts && hosts[nhosts])
		nhosts++;
	/* claim_sql numbers its parameters ?1 (now), ?2 (max), ?3... (hosts). */
	size_t p = nhosts + 3;
	sb_printf(sql, "UPDATE jobs SET status = 'launching', worker_id = ?%zu, "
		       "lease_until = ?%zu, attempt = attempt + 1",
		  p, p + 1);
	if (run_on)
		sb_printf(sql, ", ran_on = ?%zu, container_name = 'cjobs-' || uuid || '-' || "
			       "(attempt + 1), container_id = NULL",
			  p + 2);
	sb_printf(sql, " WHERE %s", drv->claim_ids_open);
	claim_sql(drv, sql, hosts);
	sb_printf(sql, "%s RETURNING " JOB_COLUMNS, drv->claim_ids_close);
}

/* Best first: the order the pick chose, which RETURNING does not keep. */
static int by_priority_then_id(const void *a, const void *b)
{
	const job_t *x = a, *y = b;
	if (x->priority != y->priority)
		return x->priority > y->priority ? -1 : 1;
	return (x->id > y->id) - (x->id < y->id);
}

/* One statement picks the best max ready jobs (claim_sql, walking its
 * indexes), moves them to launching and returns them: per claim, not per
 * job, SQLite builds the temporary tables an UPDATE with RETURNING and an
 * IN subquery need. With run_on, the same statement records the host and
 * names each container, so the name is stored (for a worker that dies
 * mid-create to be found) without a write of its own; in SET, attempt is
 * still the old value. */
static int take_all(store_t *s, const char *worker_id, int64_t lease_until,
		    char *const *hosts, const char *run_on, int64_t now, int max, job_t **out,
		    size_t *n, char **err)
{
	strbuf_t sql = STRBUF_INIT;
	claim_update_sql(s->drv, &sql, hosts, run_on != NULL);
	db_stmt_t *st = NULL;
	int rc = st_prepare_sb(s, &sql, &st, err);
	if (rc < 0)
		return -1;
	binder_t b;
	bind_start(&b, st);
	bind_i64(&b, now);
	bind_i64(&b, max);
	bind_hosts(&b, hosts);
	bind_text(&b, worker_id);
	bind_i64(&b, lease_until);
	if (run_on)
		bind_text(&b, run_on);
	rc = bind_check(s, &b, "cannot claim jobs", err);
	job_t *v = NULL;
	size_t count = 0, cap = 0;
	int step = DB_DONE;
	while (rc == 0 && (step = st_step(st)) == DB_ROW) {
		if (!vec_room(&v, &cap, count, sizeof(*v), 16)) {
			rc = err_set(err, "out of memory");
			break;
		}
		if (job_from_row(st, &v[count], err) < 0) {
			rc = -1;
			break;
		}
		count++;
	}
	/* RETURNING's statement must run to its end before the update counts. */
	if (rc == 0 && step != DB_DONE)
		rc = db_fail_rc(s, step, "cannot claim jobs", err);
	st_release(s, st);
	if (rc < 0) {
		store_job_list_free(v, count);
		return -1;
	}
	for (size_t i = 0; rc == 0 && i < count; i++) {
		const char *key = count_key(v[i].ran_on, v[i].host);
		rc = counts_note(s, key, JOB_QUEUED, key, JOB_LAUNCHING, err);
	}
	if (rc < 0) {
		store_job_list_free(v, count);
		return -1;
	}
	if (count > 1)
		qsort(v, count, sizeof(*v), by_priority_then_id);
	*out = v;
	*n = count;
	return 0;
}

static int claim_all(store_t *s, const char *worker_id, int64_t lease_until,
		     char *const *hosts, const char *run_on, int max, job_t **out, size_t *n,
		     char **err)
{
	int64_t now = now_ms();
	job_t *jobs = NULL;
	size_t count = 0;
	/* A host's limit is the whole system's: whichever workers run its
	 * containers, the claim (under the writers' lock) takes only the room
	 * the host has left. */
	if (run_on) {
		int64_t limit = 0, active = 0;
		int rc = query_count(s, "SELECT coalesce(max(max_jobs), 0) FROM hosts WHERE name = ?",
				     run_on, &limit, err);
		if (rc < 0 || counts_active(s, run_on, &active, err) < 0)
			return -1;
		if (limit > 0 && active + max > limit)
			max = limit - active > 0 ? (int)(limit - active) : 0;
		if (max == 0)
			return 0;
	}
	if (take_all(s, worker_id, lease_until, hosts, run_on, now, max, &jobs, &count, err) < 0)
		return -1;
	strbuf_t actor = STRBUF_INIT;
	sb_printf(&actor, "worker:%s", worker_id);
	history_row_t *rows = count ? calloc(count, sizeof(*rows)) : NULL;
	int rc = actor.failed || (count && !rows) ? err_set(err, "out of memory") : 0;
	for (size_t i = 0; rc == 0 && i < count; i++)
		rows[i] = (history_row_t){jobs[i].id, now, jobs[i].attempt, JOB_QUEUED,
					  JOB_LAUNCHING, "claimed"};
	if (rc == 0)
		rc = history_append_rows(s, rows, count, actor.buf, err);
	free(rows);
	sb_free(&actor);
	if (rc < 0) {
		store_job_list_free(jobs, count);
		return -1;
	}
	*out = jobs;
	*n = count;
	return 0;
}

/* A claim reads before it writes (which jobs, how much room a host has
 * left), so no other claim may run beside it (store_begin_claim takes
 * turns); a recording transaction gives no such turn: recorders and
 * claims share the write lock (store_begin_recording). */
static int claim_allowed(store_t *s, char **err)
{
	if (s->recording)
		return err_set(err, "cannot claim jobs inside a recording transaction "
				    "(claim before or after it)");
	return 0;
}

int store_job_claim(store_t *s, const char *worker_id, int64_t lease_until,
		    char *const *hosts, const char *run_on, int max, job_t **out, size_t *n,
		    char **err)
{
	*out = NULL;
	*n = 0;
	if (!worker_id || !*worker_id)
		return err_set(err, "cannot claim jobs: no worker id given");
	if (store_ready(s, err) < 0)
		return -1;
	if (max <= 0)
		return 0;
	if (claim_allowed(s, err) < 0 || store_begin_claim(s, err) < 0)
		return -1;
	job_t *jobs = NULL;
	size_t count = 0;
	int rc = claim_all(s, worker_id, lease_until, hosts, run_on, max, &jobs, &count, err);
	if (tx_finish(s, rc, err) < 0) {
		store_job_list_free(jobs, count);
		return -1;
	}
	*out = jobs;
	*n = count;
	return 0;
}

/* A host's load as every worker sees it: the jobs launching or running
 * there under any worker, per unit of its weight. */
typedef struct {
	size_t index;
	double load;
} host_load_t;

static int by_load(const void *a, const void *b)
{
	const host_load_t *x = a, *y = b;
	if (x->load != y->load)
		return x->load < y->load ? -1 : 1;
	return x->index < y->index ? -1 : x->index > y->index;
}

static int claim_spread(store_t *s, const char *worker_id, int64_t lease_until,
			const store_claim_host_t *hosts, size_t nhosts, job_t **out, size_t *n,
			size_t *picked, char **err)
{
	host_load_t *order = calloc(nhosts, sizeof(*order));
	if (!order)
		return err_set(err, "out of memory");
	for (size_t i = 0; i < nhosts; i++) {
		int64_t active = 0;
		if (counts_active(s, hosts[i].name, &active, err) < 0) {
			free(order);
			return -1;
		}
		order[i] = (host_load_t){i, (double)active / (hosts[i].weight > 0 ? hosts[i].weight : 1)};
	}
	qsort(order, nhosts, sizeof(*order), by_load);
	/* claim_all passes over a host at its limit (it claims nothing there). */
	int rc = 0;
	for (size_t j = 0; j < nhosts && *n == 0; j++) {
		const char *name = hosts[order[j].index].name;
		char *names[] = {(char *)name, NULL};
		rc = claim_all(s, worker_id, lease_until, names, name, 1, out, n, err);
		if (rc < 0)
			break;
		if (*n > 0)
			*picked = order[j].index;
	}
	free(order);
	return rc;
}

int store_job_claim_spread(store_t *s, const char *worker_id, int64_t lease_until,
			   const store_claim_host_t *hosts, size_t nhosts, job_t **out, size_t *n,
			   size_t *picked, char **err)
{
	*out = NULL;
	*n = 0;
	*picked = 0;
	if (!worker_id || !*worker_id)
		return err_set(err, "cannot claim jobs: no worker id given");
	if (store_ready(s, err) < 0)
		return -1;
	if (nhosts == 0)
		return 0;
	if (claim_allowed(s, err) < 0 || store_begin_claim(s, err) < 0)
		return -1;
	job_t *jobs = NULL;
	size_t count = 0;
	int rc = claim_spread(s, worker_id, lease_until, hosts, nhosts, &jobs, &count, picked, err);
	if (tx_finish(s, rc, err) < 0) {
		store_job_list_free(jobs, count);
		*picked = 0;
		return -1;
	}
	*out = jobs;
	*n = count;
	return 0;
}

/* One number from a query over ready jobs filtered by hosts: what, then
 * FROM jobs (walking the index hint names), then the condition cond and
 * the hosts'. With a cap, what is counted over at most cap rows: the walk
 * stops there, however long the queue. */
static int queued_number(store_t *s, const char *what, const char *hint, const char *cond,
			 char *const *hosts, int64_t now, int64_t cap, int64_t *out, char **err)
{
	strbuf_t sql = STRBUF_INIT;
	if (cap > 0)
		sb_printf(&sql, "SELECT %s FROM (SELECT 1 FROM jobs%s WHERE ", what, hint);
	else
		sb_printf(&sql, "SELECT %s FROM jobs%s WHERE ", what, hint);
	sb_printf(&sql, "status = 'queued' AND waiting_on = 0 AND %s AND ", cond);
	sql_host_filter(&sql, hosts);
	if (cap > 0)
		sb_puts(&sql, " LIMIT ?) AS capped");
	if (sql.failed) {
		sb_free(&sql);
		return err_set(err, "out of memory");
	}
	db_stmt_t *st = NULL;
	int rc = st_prepare(s, sql.buf, &st, err);
	sb_free(&sql);
	if (rc < 0)
		return -1;
	binder_t b;
	bind_start(&b, st);
	bind_i64(&b, now);
	bind_hosts(&b, hosts);
	if (cap > 0)
		bind_i64(&b, cap);
	rc = bind_check(s, &b, "cannot count ready jobs", err);
	if (rc == 0) {
		int step = st_step(st);
		if (step == DB_ROW)
			*out = col_i64(st, 0);   /* NULL reads as 0 */
		else
			rc = db_fail_rc(s, step, "cannot count ready jobs", err);
	}
	st_release(s, st);
	return rc;
}

int store_job_ready_count(store_t *s, char *const *hosts, int64_t now, int64_t cap,
			  int64_t *ready, int64_t *next_at, char **err)
{
	int64_t r = 0, next = 0;
	if (ready)
		*ready = 0;
	if (next_at)
		*next_at = 0;
	if (store_ready(s, err) < 0)
		return -1;
	if (ready && queued_number(s, "count(*)", s->drv->ready_hint, "not_before <= ?", hosts, now,
				   cap, &r, err) < 0)
		return -1;
	/* "not_before > 0" as jobs_scheduled says it, for the database to see
	 * that the index holds every job asked for. */
	if (next_at && queued_number(s, "min(not_before)", s->drv->scheduled_hint,
				     "not_before > ? AND not_before > 0", hosts, now, 0, &next, err) < 0)
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
	db_stmt_t *st = NULL;
	int rc = st_prepare(s,
			    "UPDATE jobs SET worker_id = ?, lease_until = ? WHERE id = ? "
			    "AND status = ? AND worker_id IS NOT DISTINCT FROM ? AND lease_until = ?",
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
