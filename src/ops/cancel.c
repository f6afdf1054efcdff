/*
 * ops/cancel.c: cancelling jobs and stopping their containers; see ops.h.
 *
 * Rules this file keeps: a status changes only through store_job_move
 * (compare and set), so a worker that changes the job at the same time is
 * never overwritten, nor overwrites us; a running job is moved to cancelled
 * before its container is stopped, so that the worker watching it cannot
 * record the stop as a failure; its output is stored before its container
 * is removed; nothing here prints, asks, or blocks longer than its bound.
 */
#include "ops/ops.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/validate.h"
#include "engine/engine.h"
#include "ops/internal.h"
#include "util/err.h"
#include "util/strbuf.h"
#include "util/timeutil.h"

#define MOVE_TRIES 5
/* What a stop, a log read and a removal may take beyond the grace period. */
#define CANCEL_SLACK_MS (90 * 1000)

/* ================================================================ cancel */

typedef struct {
	char *name;
	engine_t *engine;          /* NULL when it could not be set up */
	char *error;
} cancel_host_t;

typedef struct cancel_op cancel_op_t;

typedef struct {
	store_t *store;
	engine_loop_t *loop;
	const ops_cancel_opts_t *o;
	cancel_host_t *hosts;
	size_t nhosts, caphosts;
	cancel_op_t **ops;         /* engine work per job; NULL once finished */
	size_t nops;
	int pending;               /* ops with a request in flight */
	int parked;                /* ops waiting to look again (see on_cancel_removed) */
	bool done;                 /* nothing in flight */
} cancel_run_t;

struct cancel_op {
	cancel_run_t *run;
	size_t index;              /* in run->ops */
	ops_cancel_result_t *r;
	job_t job;
	engine_t *engine;
	const char *target;        /* container id, else name */
	bool parked;               /* someone else is removing the container */
	int looks;                 /* times it looked whether that removal ended */
};

__attribute__((format(printf, 2, 3))) static void r_error(ops_cancel_result_t *r,
							  const char *fmt, ...)
{
	if (r->error)
		return;  /* the first problem is the one to tell */
	va_list ap;
	va_start(ap, fmt);
	if (vasprintf(&r->error, fmt, ap) < 0)
		r->error = NULL;
	va_end(ap);
}

/* The engine of host `name`, set up once per run; NULL with *why set. */
static engine_t *cancel_engine(cancel_run_t *run, const char *name, const char **why)
{
	for (size_t i = 0; i < run->nhosts; i++)
		if (strcmp(run->hosts[i].name, name) == 0) {
			*why = run->hosts[i].error ? run->hosts[i].error : "cannot set up the engine";
			return run->hosts[i].engine;
		}
	*why = "out of memory";
	if (run->nhosts == run->caphosts) {
		size_t cap = run->caphosts ? run->caphosts * 2 : 4;
		cancel_host_t *p = realloc(run->hosts, cap * sizeof(*p));
		if (!p)
			return NULL;
		run->hosts = p;
		run->caphosts = cap;
	}
	cancel_host_t *ch = &run->hosts[run->nhosts];
	memset(ch, 0, sizeof(*ch));
	if (!(ch->name = strdup(name)))
		return NULL;
	run->nhosts++;
	host_t h;
	host_init(&h);
	char *err = NULL;
	int rc = store_host_get(run->store, name, &h, &err);
	if (rc == 1) {
		err_set(&ch->error, "host '%s' is not registered any more", name);
	} else if (rc < 0) {
		ch->error = err;
		err = NULL;
	} else if (ops_engine_for_host(run->loop, &h, 0, &ch->engine, &ch->error) < 0) {
		err_prefix(&ch->error, "host '%s'", name);
	}
	free(err);
	host_free(&h);
	*why = ch->error ? ch->error : "cannot set up the engine";
	return ch->engine;
}

static void op_free(cancel_op_t *op)
{
	job_free(&op->job);
	free(op);
}

static void op_finish(cancel_op_t *op)
{
	cancel_run_t *run = op->run;
	run->ops[op->index] = NULL;
	op_free(op);
	if (--run->pending == 0)
		run->done = true;
}

#define LOOK_EVERY_MS 100
#define LOOKS_MAX 100

/* Takes an op out of the running until the caller's loop looks again. */
static void op_park(cancel_op_t *op)
{
	cancel_run_t *run = op->run;
	op->parked = true;
	run->parked++;
	if (--run->pending == 0)
		run->done = true;
}

static void on_cancel_removed(void *ud, const engine_status_t *st)
{
	cancel_op_t *op = ud;
	if (!st->ok && st->conflict && op->looks < LOOKS_MAX) {
		/* "removal already in progress": the worker that ran the job saw it
		 * die and is removing it. Look again shortly until it is gone. */
		op_park(op);
		return;
	}
	if (st->ok) {
		op->r->container_removed = true;
	} else {
		op->r->outcome = OPS_CANCELLED_LEFTOVER;
		r_error(op->r, "its container %s could not be removed: %s", op->r->container,
			err_str(st->error));
	}
	op_finish(op);
}

/* True when the store holds output of the job's current attempt (the
 * worker may have kept it when it saw the container die). */
static bool output_stored(cancel_op_t *op)
{
	job_output_t out = {0};
	char *err = NULL;
	int rc = store_output_get(op->run->store, op->job.id, op->job.attempt, JOB_STDOUT, &out,
				  &err);
	job_output_free(&out);
	free(err);
	return rc == 0;
}

static void on_cancel_logs(void *ud, const engine_status_t *st, job_output_t *out,
			   job_output_t *errs)
{
	cancel_op_t *op = ud;
	if (st->ok && out && errs) {
		char *err = NULL;
		store_t *s = op->run->store;
		int rc = store_begin(s, &err);
		if (rc == 0 &&
		    (store_output_put_both(s, op->job.id, op->job.attempt, out, errs, &err) < 0 ||
		     store_commit(s, &err) < 0)) {
			store_rollback(s);
			rc = -1;
		}
		if (rc == 0)
			op->r->output_kept = true;
		else
			r_error(op->r, "its output could not be stored: %s", err_str(err));
		free(err);
	} else if (output_stored(op)) {
		/* The worker harvested it first (and is removing it), keeping the
		 * output. */
		op->r->output_kept = true;
	} else if (!st->not_found) {
		r_error(op->r, "its output could not be read: %s", err_str(st->error));
	}
	if (out)
		job_output_free(out);
	if (errs)
		job_output_free(errs);
	/* Removed even when the output could not be kept: the job is
	 * cancelled, and a container left running would go on using the host. */
	engine_remove(op->engine, op->target, on_cancel_removed, op);
}

static void on_cancel_stopped(void *ud, const engine_status_t *st)
{
	cancel_op_t *op = ud;
	if (!st->ok && st->not_found) {
		/* Already gone: the worker saw it exit and removed it. */
		op->r->output_kept = output_stored(op);
		op->r->container_removed = true;
		op_finish(op);
		return;
	}
	if (!st->ok && st->unreachable) {
		op->r->outcome = OPS_CANCELLED_LEFTOVER;
		r_error(op->r, "its container %s could not be stopped: %s", op->r->container,
			err_str(st->error));
		op_finish(op);
		return;
	}
	/* Stopped; or the stop was refused, and the forced removal that
	 * follows the log read kills it anyway. */
	engine_logs(op->engine, op->target, (size_t)op->run->o->output_limit, on_cancel_logs, op);
}

/* Starts the engine work for a job just moved to cancelled. */
static void cancel_container(cancel_run_t *run, ops_cancel_result_t *r, job_t *job,
			     bool running)
{
	const char *target = running && job->container_id ? job->container_id : job->container_name;
	if (!target || !job->ran_on)
		return;  /* no container was made yet */
	const char *why = NULL;
	engine_t *e = cancel_engine(run, job->ran_on, &why);
	cancel_op_t *op = e ? calloc(1, sizeof(*op)) : NULL;
	cancel_op_t **ops = op ? realloc(run->ops, (run->nops + 1) * sizeof(*ops)) : NULL;
	if (!ops) {
		free(op);
		r->outcome = OPS_CANCELLED_LEFTOVER;
		r_error(r, "its container %s could not be %s: %s", target,
			running ? "stopped" : "removed", e ? "out of memory" : why);
		return;
	}
	run->ops = ops;
	op->index = run->nops;
	run->ops[run->nops++] = op;
	op->run = run;
	op->r = r;
	op->job = *job;
	job_init(job);  /* ownership moved */
	op->engine = e;
	op->target = target;
	run->pending++;
	if (running) {
		engine_stop(e, op->target, run->o->grace_s, on_cancel_stopped, op);
	} else {
		/* Launching: the worker holding it finds the job cancelled and drops
		 * it; removing the container here also covers a worker that died. */
		engine_remove(e, op->target, on_cancel_removed, op);
	}
}

/* A job moved to cancelled whose container is still to be dealt with once
 * the move is committed. */
typedef struct {
	job_t job;
	bool running;
	bool has_container_work;
} cancel_later_t;

/* Moves one job to cancelled (following it while a worker moves it on);
 * the work on its container is left in *later. */
static void cancel_one(cancel_run_t *run, int64_t id, ops_cancel_result_t *r,
		       cancel_later_t *later)
{
	const ops_cancel_opts_t *o = run->o;
	r->job_id = id;
	for (int tries = 0; tries < MOVE_TRIES; tries++) {
		job_t job;
		job_init(&job);
		char *err = NULL;
		int rc = store_job_get(run->store, id, &job, &err);
		if (rc == 1) {
			r->outcome = OPS_CANCEL_ERROR;
			r_error(r, MSG_NO_JOB, (long long)id);
		} else if (rc < 0) {
			r->outcome = OPS_CANCEL_ERROR;
			r_error(r, "%s", err_str(err));
		} else if (job_status_is_final(job.status)) {
			r->was = job.status;
			r->outcome = OPS_NOT_CANCELLABLE;
			r_error(r, "job %lld is %s; only queued, launching or running jobs can be "
				   "cancelled",
				(long long)id, job_status_name(job.status));
			rc = -1;
		}
		free(err);
		err = NULL;
		if (rc != 0) {
			job_free(&job);
			return;
		}
		job_status_t from = job.status;
		job.finished_at = now_ms();
		free(job.worker_id);
		job.worker_id = NULL;
		job.lease_until = 0;
		rc = store_job_move(run->store, &job, from, JOB_CANCELLED,
				    JOB_SET_FINISHED_AT | JOB_SET_LEASE, o->actor, o->reason, &err);
		if (rc == 1) {
			/* A worker moved it meanwhile (claimed, started or finished it). */
			job_free(&job);
			continue;
		}
		if (rc < 0) {
			r->outcome = OPS_CANCEL_ERROR;
			r_error(r, "%s", err_str(err));
			free(err);
			job_free(&job);
			return;
		}
		r->was = from;
		r->outcome = OPS_CANCELLED;
		if (from != JOB_QUEUED) {
			r->host = ops_dup_or_null(job.ran_on);
			r->container = ops_dup_or_null(job.container_name);
			later->job = job;
			later->running = from == JOB_RUNNING;
			later->has_container_work = true;
			return;
		}
		job_free(&job);
		return;
	}
	r->outcome = OPS_CANCEL_ERROR;
	r_error(r, "job %lld kept changing status while it was being cancelled; try again",
		(long long)id);
}

static void on_cancel_looked(void *ud, const engine_status_t *st, const engine_container_t *c)
{
	cancel_op_t *op = ud;
	(void)c;
	if (!st->ok && st->not_found) {
		op->r->container_removed = true;
		op_finish(op);
	} else {
		/* Still there (or the engine did not say): remove it ourselves. */
		engine_remove(op->engine, op->target, on_cancel_removed, op);
	}
}

/* Runs the loop until every op has finished or the deadline passes,
 * looking again every LOOK_EVERY_MS at containers someone else removes. */
static void cancel_wait(cancel_run_t *run, int64_t deadline)
{
	for (;;) {
		if (run->pending > 0) {
			int64_t left = deadline - mono_ms();
			if (left <= 0 || engine_loop_until(run->loop, &run->done, (long)left) < 0)
				return;
		}
		if (run->parked == 0 || mono_ms() + LOOK_EVERY_MS >= deadline)
			return;
		struct timespec ts = {0, LOOK_EVERY_MS * 1000000L};
		nanosleep(&ts, NULL);
		for (size_t i = 0; i < run->nops; i++) {
			cancel_op_t *op = run->ops[i];
			if (!op || !op->parked)
				continue;
			op->parked = false;
			op->looks++;
			run->parked--;
			run->pending++;
			run->done = false;
			engine_inspect(op->engine, op->target, on_cancel_looked, op);
		}
	}
}

/* Moves committed together: one commit (one flush of the database's log)
 * for this many jobs, not one each, which on PostgreSQL took 8.7 s for
 * `cancel --host` of 10,000 queued jobs. Few enough that the transaction
 * holds SQLite's write lock for milliseconds. */
#define CANCEL_BATCH 256

/* Cancels ids[0..n) in one transaction; their containers are stopped or
 * removed only once it is committed (a running job is cancelled in the
 * store before its container stops), and not at all if the commit fails,
 * when their results say the cancellation was not stored. Without a
 * transaction (one job, or none could begin) each move commits alone. */
static void cancel_batch(cancel_run_t *run, const int64_t *ids, size_t n,
			 ops_cancel_result_t *res)
{
	cancel_later_t *later = calloc(n, sizeof(*later));
	if (!later) {
		/* No room to keep the batch's container work: each job alone. */
		for (size_t i = 0; i < n; i++) {
			cancel_later_t one = {.has_container_work = false};
			job_init(&one.job);
			cancel_one(run, ids[i], &res[i], &one);
			if (one.has_container_work)
				cancel_container(run, &res[i], &one.job, one.running);
			job_free(&one.job);
		}
		return;
	}
	for (size_t i = 0; i < n; i++)
		job_init(&later[i].job);
	char *err = NULL;
	bool tx = n > 1 && store_begin(run->store, &err) == 0;
	free(err);
	err = NULL;
	for (size_t i = 0; i < n; i++)
		cancel_one(run, ids[i], &res[i], &later[i]);
	bool committed = !tx || store_commit(run->store, &err) == 0;
	for (size_t i = 0; i < n; i++) {
		if (!committed && res[i].outcome == OPS_CANCELLED) {
			res[i].outcome = OPS_CANCEL_ERROR;
			r_error(&res[i], "job %lld: the cancellation could not be stored (nothing "
					 "changed): %s",
				(long long)ids[i], err_str(err));
		} else if (later[i].has_container_work) {
			cancel_container(run, &res[i], &later[i].job, later[i].running);
		}
		job_free(&later[i].job);
	}
	free(err);
	free(later);
}

int ops_cancel(store_t *s, const int64_t *ids, size_t n, const ops_cancel_opts_t *o,
	       ops_cancel_result_t *res, char **err)
{
	memset(res, 0, n * sizeof(*res));
	cancel_run_t run = {.store = s, .o = o};
	run.loop = engine_loop_new();
	if (!run.loop)
		return err_set(err, "cannot set up the engine request loop");
	for (size_t i = 0; i < n; i += CANCEL_BATCH)
		cancel_batch(&run, ids + i, n - i < CANCEL_BATCH ? n - i : CANCEL_BATCH, res + i);
	long limit = (long)o->grace_s * 1000 + CANCEL_SLACK_MS;
	cancel_wait(&run, mono_ms() + limit);
	/* Work still in flight now will not end: its callbacks are dropped. */
	for (size_t i = 0; i < run.nhosts; i++)
		engine_free(run.hosts[i].engine);
	engine_loop_free(run.loop);
	for (size_t i = 0; i < run.nops; i++) {
		cancel_op_t *op = run.ops[i];
		if (!op)
			continue;
		op->r->outcome = OPS_CANCELLED_LEFTOVER;
		r_error(op->r, "its container %s did not stop within %lds", op->r->container,
			limit / 1000);
		op_free(op);
	}
	free(run.ops);
	for (size_t i = 0; i < run.nhosts; i++) {
		free(run.hosts[i].name);
		free(run.hosts[i].error);
	}
	free(run.hosts);
	return 0;
}

void ops_cancel_results_free(ops_cancel_result_t *res, size_t n)
{
	for (size_t i = 0; res && i < n; i++) {
		free(res[i].host);
		free(res[i].container);
		free(res[i].error);
	}
}
