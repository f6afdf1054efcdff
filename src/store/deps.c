/*
 * store/deps.c: dependencies between jobs in the store: the edges a submit
 * adds, what a job's final status does to the jobs that wait for it, and
 * the reading of both directions for `job show` and --cascade.
 *
 * The rule of what a finished dependency means is core/deps.c's
 * dep_outcome(); this file applies it inside the transaction that moves a
 * job to its final status (jobs.c's move_job calls deps_settle), so a
 * dependent is released, or cancelled, in the same commit as the change
 * that decides it: no job is ever left waiting for one that has ended.
 * An edge's stored state stays 'waiting' while the dependency's final
 * status tells how it was settled; it is written only when that job goes
 * back to the queue (deps_freeze), the rare case.
 * Cancelling a dependent settles its own dependents in turn, in the same
 * transaction, walking the graph breadth first without recursion.
 */
#include "store/store_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/err.h"
#include "util/timeutil.h"
#include "util/vec.h"

/* ---- adding ---- */

int store_dep_status(store_t *s, int64_t id, job_status_t *status, char **err)
{
	/* A share lock on PostgreSQL: the job cannot reach its final status
	 * (and settle its edges) before the caller's new edge is committed. */
	char sql[128];
	snprintf(sql, sizeof(sql), "SELECT status FROM jobs WHERE id = ?%s",
		 s->drv->sql_lock_share);
	db_stmt_t *st = NULL;
	if (st_prepare(s, sql, &st, err) < 0)
		return -1;
	binder_t b;
	bind_start(&b, st);
	bind_i64(&b, id);
	int rc = bind_check(s, &b, "cannot read the job", err);
	if (rc == 0) {
		int step = st_step(st);
		if (step == DB_ROW) {
			const char *name = col_str(st, 0);
			if (!name || !job_status_parse(name, status))
				rc = err_set(err, "job %lld has an unknown status in the store",
					     (long long)id);
		} else {
			rc = step == DB_DONE ? 1 : db_fail_rc(s, step, "cannot read the job", err);
		}
	}
	st_release(s, st);
	return rc;
}

int store_deps_add(store_t *s, const store_dep_edge_t *edges, size_t n, char **err)
{
	enum { CHUNK = 64 };
	int rc = 0;
	for (size_t done = 0; rc == 0 && done < n;) {
		size_t k = n - done < CHUNK ? n - done : CHUNK;
		strbuf_t sql = STRBUF_INIT;
		sb_puts(&sql, "INSERT INTO job_deps (job_id, after_id, cond, state) VALUES ");
		for (size_t i = 0; i < k; i++)
			sb_puts(&sql, i ? ", (?, ?, ?, ?)" : "(?, ?, ?, ?)");
		db_stmt_t *st = NULL;
		if (st_prepare_sb(s, &sql, &st, err) < 0)
			return -1;
		binder_t b;
		bind_start(&b, st);
		for (size_t i = done; i < done + k; i++) {
			bind_i64(&b, edges[i].job_id);
			bind_i64(&b, edges[i].after_id);
			bind_text(&b, dep_cond_name(edges[i].cond));
			bind_text(&b, dep_state_name(edges[i].state));
		}
		rc = bind_check(s, &b, "cannot add the job's dependencies", err);
		if (rc == 0) {
			int step = st_step(st);
			if (step == DB_E_UNIQUE)
				rc = err_set(err, "job %lld names job %lld twice in --after; name "
						  "it once",
					     (long long)edges[done].job_id,
					     (long long)edges[done].after_id);
			else if (step != DB_DONE)
				rc = db_fail_rc(s, step, "cannot add the job's dependencies", err);
		}
		st_release(s, st);
		done += k;
	}
	return rc;
}

/* ---- settling ---- */

/* A dependent found by deps_settle: the job and what its edge became. */
typedef struct {
	int64_t id;
	dep_state_t state;
} dependent_t;

/* The jobs waiting for job `id`, which ended in `status`, with what their
 * edge comes to by dep_outcome(). Only read: an edge's state stays
 * 'waiting' in the store while its dependency's own final status says how
 * it was settled (links_collect works it out the same way), which spares
 * every finished job a write per dependent; deps_freeze writes the state
 * when a finished job goes back to the queue, so that no edge is ever
 * settled twice (no dependent released twice). */
static int settle_edges(store_t *s, int64_t id, job_status_t status, dependent_t **out, size_t *n,
			char **err)
{
	*out = NULL;
	*n = 0;
	db_stmt_t *st = NULL;
	if (st_prepare(s, "SELECT job_id, cond FROM job_deps WHERE after_id = ? AND "
			  "state = 'waiting'",
		       &st, err) < 0)
		return -1;
	binder_t b;
	bind_start(&b, st);
	bind_i64(&b, id);
	int rc = bind_check(s, &b, "cannot read the jobs that wait for it", err);
	size_t cap = 0;
	int step = DB_DONE;
	while (rc == 0 && (step = st_step(st)) == DB_ROW) {
		if (!vec_room(out, &cap, *n, sizeof(**out), 8)) {
			rc = err_set(err, "out of memory");
			break;
		}
		dependent_t *d = &(*out)[(*n)++];
		d->id = col_i64(st, 0);
		const char *cond = col_str(st, 1);
		dep_cond_t c;
		if (!cond || !dep_cond_parse(cond, &c))
			rc = err_set(err, "job %lld: a dependency with an unknown condition in the "
					  "store",
				     (long long)d->id);
		else
			d->state = dep_outcome(c, status);
	}
	if (rc == 0 && step != DB_DONE)
		rc = db_fail_rc(s, step, "cannot read the jobs that wait for it", err);
	st_release(s, st);
	if (rc < 0) {
		free(*out);
		*out = NULL;
		*n = 0;
	}
	return rc;
}

int deps_freeze(store_t *s, int64_t id, job_status_t status, char **err)
{
	/* The conditions `status` met, from dep_outcome(): the rule stays in
	 * core/deps.c. */
	db_stmt_t *st = NULL;
	if (st_prepare(s, "UPDATE job_deps SET state = CASE WHEN cond IN (?, ?, ?) THEN 'met' "
			  "ELSE 'never' END WHERE after_id = ? AND state = 'waiting'",
		       &st, err) < 0)
		return -1;
	binder_t b;
	bind_start(&b, st);
	for (int c = 0; c < DEP_COND_COUNT; c++) {
		if (dep_outcome((dep_cond_t)c, status) == DEP_MET)
			bind_text(&b, dep_cond_name((dep_cond_t)c));
		else
			bind_null(&b);
	}
	bind_i64(&b, id);
	int rc = exec_changes(s, st, &b, "cannot keep how its dependents were settled", err);
	return rc == 1 ? 0 : rc;
}

/* One dependency of a queued job met: one fewer to wait for. */
static int release_one(store_t *s, int64_t id, char **err)
{
	/* With the outermost commit, as the job counts are (counts.c). */
	return counts_note_release(s, id, err);
}

/* A dependent whose dependency can no longer be met: cancelled while it is
 * still queued, with the reason in its history and as its last error. 1
 * when it is not queued any more (cancelled by hand meanwhile): nothing
 * changed. */
static int cancel_dependent(store_t *s, int64_t id, int64_t dep_id, job_status_t dep_status,
			    const char *actor, char **err)
{
	db_stmt_t *st = NULL;
	if (st_prepare(s, "SELECT host, ran_on, attempt FROM jobs WHERE id = ? AND status = 'queued'",
		       &st, err) < 0)
		return -1;
	binder_t b;
	bind_start(&b, st);
	bind_i64(&b, id);
	int rc = bind_check(s, &b, "cannot read a job that waits", err);
	job_t j;
	job_init(&j);
	j.id = id;
	if (rc == 0) {
		int step = st_step(st);
		bool oom = false;
		if (step == DB_ROW) {
			j.host = col_text(st, 0, &oom);
			j.ran_on = col_text(st, 1, &oom);
			j.attempt = (int)col_i64(st, 2);
			if (oom)
				rc = err_set(err, "out of memory");
		} else {
			rc = step == DB_DONE ? 1 : db_fail_rc(s, step, "cannot read a job that waits", err);
		}
	}
	st_release(s, st);
	if (rc == 0 && !(j.last_error = dep_never_reason(dep_id, dep_status)))
		rc = err_set(err, "out of memory");
	if (rc == 0) {
		j.finished_at = now_ms();
		rc = job_write_move(s, &j, JOB_QUEUED, JOB_CANCELLED,
				    JOB_SET_FINISHED_AT | JOB_SET_LAST_ERROR, err);
	}
	if (rc == 0) {
		history_row_t row = {id, j.finished_at, j.attempt, JOB_QUEUED, JOB_CANCELLED,
				     j.last_error};
		rc = history_append_rows(s, &row, 1, actor, err);
	}
	job_free(&j);
	return rc;
}

int deps_settle(store_t *s, int64_t id, job_status_t status, const char *actor, char **err)
{
	/* The jobs whose final status is still to be applied to their
	 * dependents: the one that ended, then each dependent cancelled. */
	struct ended {
		int64_t id;
		job_status_t status;
	} *todo = NULL;
	size_t ntodo = 0, cap = 0;
	if (!vec_room(&todo, &cap, 0, sizeof(*todo), 8))
		return err_set(err, "out of memory");
	todo[ntodo++] = (struct ended){id, status};
	int rc = 0;
	for (size_t at = 0; rc == 0 && at < ntodo; at++) {
		dependent_t *deps = NULL;
		size_t n = 0;
		struct ended e = todo[at];
		rc = settle_edges(s, e.id, e.status, &deps, &n, err);
		for (size_t i = 0; rc == 0 && i < n; i++) {
			if (deps[i].state == DEP_MET) {
				rc = release_one(s, deps[i].id, err);
				continue;
			}
			rc = cancel_dependent(s, deps[i].id, e.id, e.status, actor, err);
			if (rc == 1) {
				rc = 0;
				continue;
			}
			if (rc == 0 && !vec_room(&todo, &cap, ntodo, sizeof(*todo), 8))
				rc = err_set(err, "out of memory");
			if (rc == 0)
				todo[ntodo++] = (struct ended){deps[i].id, JOB_CANCELLED};
		}
		free(deps);
	}
	free(todo);
	return rc;
}

/* ---- reading ---- */

void store_deps_free(store_dep_t *v, size_t n)
{
	(void)n;
	free(v);
}

/* Rows of (direction, job id, cond, state, status, the dependency's
 * status) into *after (direction 0) or *before (1); an edge still
 * 'waiting' whose dependency has ended is shown as its end settled it
 * (see settle_edges). */
int links_collect(store_t *s, db_stmt_t *st, int64_t id, store_dep_t **after, size_t *nafter,
		  store_dep_t **before, size_t *nbefore, char **err)
{
	store_dep_t **out[2] = {after, before};
	size_t *n[2] = {nafter, nbefore}, cap[2] = {0, 0};
	for (int dir = 0; dir < 2; dir++) {
		*out[dir] = NULL;
		*n[dir] = 0;
	}
	int rc = 0;
	int step = DB_DONE;
	while (rc == 0 && (step = st_step(st)) == DB_ROW) {
		int dir = col_i64(st, 0) != 0;
		if (!vec_room(out[dir], &cap[dir], *n[dir], sizeof(**out[dir]), 8)) {
			rc = err_set(err, "out of memory");
			break;
		}
		store_dep_t *d = &(*out[dir])[(*n[dir])++];
		d->id = col_i64(st, 1);
		const char *cond = col_str(st, 2), *state = col_str(st, 3), *status = col_str(st, 4),
			   *dep_status = col_str(st, 5);
		job_status_t ds;
		if (!cond || !dep_cond_parse(cond, &d->cond) || !state ||
		    !dep_state_parse(state, &d->state) || !status ||
		    !job_status_parse(status, &d->status) || !dep_status ||
		    !job_status_parse(dep_status, &ds))
			rc = err_set(err, "job %lld: a dependency the store holds in an unknown "
					  "form",
				     (long long)id);
		else if (d->state == DEP_WAITING)
			d->state = dep_outcome(d->cond, ds);
	}
	if (rc == 0 && step != DB_DONE)
		rc = db_fail_rc(s, step, "cannot read the job's dependencies", err);
	if (rc < 0)
		for (int dir = 0; dir < 2; dir++) {
			free(*out[dir]);
			*out[dir] = NULL;
			*n[dir] = 0;
		}
	return rc;
}

/* The links of job id that sql reads (SQL_LINKS or SQL_LINKS_BEFORE). */
static int read_links(store_t *s, const char *sql, int64_t id, store_dep_t **after,
		      size_t *nafter, store_dep_t **before, size_t *nbefore, char **err)
{
	*after = *before = NULL;
	*nafter = *nbefore = 0;
	db_stmt_t *st = NULL;
	if (st_open_id(s, sql, id, "cannot read the job's dependencies", &st, err) < 0)
		return -1;
	int rc = links_collect(s, st, id, after, nafter, before, nbefore, err);
	st_release(s, st);
	return rc;
}

int store_deps_closure(store_t *s, int64_t id, int64_t **out, size_t *n, char **err)
{
	*out = NULL;
	*n = 0;
	if (store_ready(s, err) < 0)
		return -1;
	/* Breadth first from id; a job reached twice is listed once. */
	int64_t *seen = malloc(sizeof(*seen));
	size_t nseen = 1, cap = 1;
	if (!seen)
		return err_set(err, "out of memory");
	seen[0] = id;
	int rc = 0;
	for (size_t at = 0; rc == 0 && at < nseen; at++) {
		store_dep_t *none = NULL, *next = NULL;
		size_t nnone = 0, nn = 0;
		rc = read_links(s, SQL_LINKS_BEFORE, seen[at], &none, &nnone, &next, &nn, err);
		free(none);
		for (size_t i = 0; rc == 0 && i < nn; i++) {
			if (job_status_is_final(next[i].status))
				continue;
			bool dup = false;
			for (size_t k = 0; k < nseen && !dup; k++)
				dup = seen[k] == next[i].id;
			if (dup)
				continue;
			if (!vec_room(&seen, &cap, nseen, sizeof(*seen), 8)) {
				rc = err_set(err, "out of memory");
				break;
			}
			seen[nseen++] = next[i].id;
		}
		free(next);
	}
	if (rc < 0) {
		free(seen);
		return -1;
	}
	/* Without the job itself. */
	memmove(seen, seen + 1, (nseen - 1) * sizeof(*seen));
	*out = seen;
	*n = nseen - 1;
	return 0;
}
