/*
 * store/workers.c: the workers that serve this store, and whether each is
 * alive.
 *
 * Every worker registers at start, renews a heartbeat lease while it runs,
 * and says when it stops. A worker is dead when it said it stopped, when
 * its heartbeat lease ran out, or when its liveness lock is free: each live
 * worker holds one (the driver's: a lock on a file beside an SQLite store,
 * a session's advisory lock on PostgreSQL), and the operating system or the
 * server lets it go the moment the process or its connection is gone. It
 * must never judge by process ids or /proc: two machines, or two PID
 * namespaces of one, may share a hostname and pid numbers.
 */
#include "store/store_int.h"

#include <stdlib.h>
#include <string.h>

#include "util/err.h"
#include "util/timeutil.h"
#include "util/vec.h"

#define WORKER_COLUMNS                                                                  \
	"w.id, w.machine, w.pid, w.started_at, w.heartbeat_at, w.lease_until, w.stopped_at, " \
	"w.hosts, (SELECT count(*) FROM jobs j WHERE j.worker_id = w.id AND j.status IN "   \
	"('launching', 'running'))"

void store_worker_free(store_worker_t *w)
{
	if (!w)
		return;
	free(w->id);
	free(w->machine);
	free(w->hosts);
	memset(w, 0, sizeof(*w));
}

void store_worker_list_free(store_worker_t *v, size_t n)
{
	for (size_t i = 0; v && i < n; i++)
		store_worker_free(&v[i]);
	free(v);
}

int store_worker_register(store_t *s, const store_worker_t *w, char **err)
{
	if (!w->id || !*w->id)
		return err_set(err, "cannot register the worker: no worker id given");
	if (store_ready(s, err) < 0)
		return -1;
	/* The lock first: a registration others can read is never without
	 * the lock that says it lives. */
	if (s->drv->liveness_hold(s, w->id, err) < 0)
		return err_prefix(err, "cannot register the worker");
	if (store_begin(s, err) < 0)
		return -1;
	db_stmt_t *st = NULL;
	int rc = st_prepare(s, "INSERT INTO workers (id, machine, pid, started_at, heartbeat_at, "
			       "lease_until, stopped_at, hosts) VALUES (?, ?, ?, ?, ?, ?, 0, ?) "
			       "ON CONFLICT (id) DO UPDATE SET heartbeat_at = excluded.heartbeat_at, "
			       "lease_until = excluded.lease_until, stopped_at = 0, "
			       "hosts = excluded.hosts",
			    &st, err);
	if (rc == 0) {
		binder_t b;
		bind_start(&b, st);
		bind_text(&b, w->id);
		bind_text(&b, w->machine ? w->machine : "");
		bind_i64(&b, w->pid);
		bind_i64(&b, w->started_at);
		bind_i64(&b, w->heartbeat_at);
		bind_i64(&b, w->lease_until);
		bind_text(&b, w->hosts ? w->hosts : "");
		rc = exec_changes(s, st, &b, "cannot register the worker", err);
		if (rc == 1)
			rc = 0;
	}
	return tx_finish(s, rc, err);
}

int store_worker_heartbeat(store_t *s, const char *id, int64_t now, int64_t lease_until,
			   const char *hosts, char **err)
{
	if (store_ready(s, err) < 0 || store_begin(s, err) < 0)
		return -1;
	db_stmt_t *st = NULL;
	int rc = st_prepare(s, "UPDATE workers SET heartbeat_at = ?, lease_until = ?, hosts = ? "
			       "WHERE id = ? AND stopped_at = 0",
			    &st, err);
	if (rc == 0) {
		binder_t b;
		bind_start(&b, st);
		bind_i64(&b, now);
		bind_i64(&b, lease_until);
		bind_text(&b, hosts ? hosts : "");
		bind_text(&b, id);
		rc = exec_changes(s, st, &b, "cannot renew the worker's heartbeat", err);
	}
	return tx_finish(s, rc, err);
}

int store_worker_stop(store_t *s, const char *id, char **err)
{
	if (store_ready(s, err) < 0 || store_begin(s, err) < 0)
		return -1;
	db_stmt_t *st = NULL;
	int rc = st_prepare(s, "UPDATE workers SET stopped_at = ?, lease_until = 0 WHERE id = ?",
			    &st, err);
	if (rc == 0) {
		binder_t b;
		bind_start(&b, st);
		bind_i64(&b, now_ms());
		bind_text(&b, id);
		rc = exec_changes(s, st, &b, "cannot record that the worker stopped", err);
		if (rc == 1)
			rc = 0;
	}
	rc = tx_finish(s, rc, err);
	s->drv->liveness_release(s, id);
	return rc;
}

static int worker_from_row(db_stmt_t *st, store_worker_t *w, char **err)
{
	bool oom = false;
	memset(w, 0, sizeof(*w));
	w->id = col_text(st, 0, &oom);
	w->machine = col_text(st, 1, &oom);
	w->pid = col_i64(st, 2);
	w->started_at = col_i64(st, 3);
	w->heartbeat_at = col_i64(st, 4);
	w->lease_until = col_i64(st, 5);
	w->stopped_at = col_i64(st, 6);
	w->hosts = col_text(st, 7, &oom);
	w->jobs_held = col_i64(st, 8);
	if (oom || !w->id) {
		store_worker_free(w);
		return err_set(err, "out of memory");
	}
	return 0;
}

/* Alive: registered, not stopped, its lease still running, and its lock
 * held by someone. */
static int judge(store_t *s, store_worker_t *w, int64_t now, char **err)
{
	if (w->stopped_at > 0 || w->lease_until < now) {
		w->alive = false;
		return 0;
	}
	int free_ = s->drv->liveness_free(s, w->id, err);
	if (free_ < 0)
		return -1;
	w->alive = !free_;
	return 0;
}

int store_worker_list(store_t *s, int64_t now, store_worker_t **out, size_t *n, char **err)
{
	*out = NULL;
	*n = 0;
	if (store_ready(s, err) < 0)
		return -1;
	db_stmt_t *st = NULL;
	if (st_prepare(s, "SELECT " WORKER_COLUMNS " FROM workers w ORDER BY w.started_at, w.id",
		       &st, err) < 0)
		return -1;
	store_worker_t *v = NULL;
	size_t count = 0, cap = 0;
	int rc = 0, step;
	while ((step = st_step(st)) == DB_ROW) {
		if (!vec_room(&v, &cap, count, sizeof(*v), 8)) {
			rc = err_set(err, "out of memory");
			break;
		}
		if ((rc = worker_from_row(st, &v[count], err)) < 0)
			break;
		count++;
	}
	if (rc == 0 && step != DB_DONE)
		rc = db_fail_rc(s, step, "cannot read the workers", err);
	st_release(s, st);
	for (size_t i = 0; rc == 0 && i < count; i++)
		rc = judge(s, &v[i], now, err);
	if (rc < 0) {
		store_worker_list_free(v, count);
		return -1;
	}
	*out = v;
	*n = count;
	return 0;
}

int store_worker_dead(store_t *s, const char *id, int64_t now, char **err)
{
	if (store_ready(s, err) < 0)
		return -1;
	db_stmt_t *st = NULL;
	if (st_prepare(s, "SELECT " WORKER_COLUMNS " FROM workers w WHERE w.id = ?", &st, err) < 0)
		return -1;
	binder_t b;
	bind_start(&b, st);
	bind_text(&b, id);
	int rc = bind_check(s, &b, "cannot read the worker", err);
	store_worker_t w = {0};
	bool found = false;
	if (rc == 0) {
		int step = st_step(st);
		if (step == DB_ROW) {
			rc = worker_from_row(st, &w, err);
			found = rc == 0;
		} else if (step != DB_DONE) {
			rc = db_fail_rc(s, step, "cannot read the worker", err);
		}
	}
	st_release(s, st);
	if (rc == 0 && found)
		rc = judge(s, &w, now, err);
	int dead = found && !w.alive;
	store_worker_free(&w);
	return rc < 0 ? -1 : dead;
}
