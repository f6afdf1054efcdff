/*
 * worker/reconcile.c: what a worker does about jobs and containers that no
 * live worker looks after.
 *
 * A worker that dies (kill -9, power loss) leaves jobs launching or running
 * under its lease, and perhaps containers. Any worker that starts, and
 * every live worker from time to time, takes such jobs over: when the
 * lease has run out, or at once when the worker that held it ran on this
 * machine and its process is gone. Taking over is a compare-and-set on the
 * lease, so exactly one worker wins. The winner inspects the container and
 * carries on from what it finds (slot_adopt): still running, it is watched;
 * exited, it is harvested; never started or never created, the job goes
 * back to the queue without counting the attempt; vanished after it ran,
 * the job is failed or retried by its policy.
 *
 * The sweep removes containers labelled with this store's id that no live
 * job owns: left when a worker died between recording a result and
 * removing the container, or when a create answered after its job moved on.
 * A container is always named in the store before it is created, so a
 * container whose name no launching or running job carries is never one
 * that a worker is about to use.
 */
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util/err.h"
#include "util/log.h"
#include "util/timeutil.h"
#include "util/uuid.h"
#include "worker/internal.h"

/* ---- worker ids: "machine:pid:random" ----
 * The machine and pid are for people reading the id; uniqueness comes from
 * the random part, and whether the worker lives from the store's registry
 * (store_worker_dead), never from the pid: two machines, or two PID
 * namespaces of one, may share a hostname and pid numbers. */

void worker_machine_name(char *buf, size_t size)
{
	if (gethostname(buf, size - 1) < 0)
		snprintf(buf, size, "?");
	buf[size - 1] = '\0';
	/* ':' separates the fields of the id. */
	for (char *p = buf; *p; p++)
		if (*p == ':')
			*p = '_';
}

int worker_id_make(char *buf, size_t size)
{
	char host[41], uuid[37];
	worker_machine_name(host, sizeof(host));
	if (uuid_v4(uuid) < 0)
		return -1;
	snprintf(buf, size, "%s:%d:%.13s", host, (int)getpid(), uuid);
	return 0;
}

/* ---- jobs ---- */

/* Orphaned: no worker holds it, its lease ran out, or the store's registry
 * (read once per pass: one liveness check a worker, not one a job) says its
 * worker is dead. A worker the registry does not know leaves the job to its
 * lease. */
static bool orphaned(const worker_t *w, const job_t *j, int64_t now,
		     const store_worker_t *reg, size_t nreg)
{
	if (!j->worker_id)
		return true;
	if (strcmp(j->worker_id, w->worker_id) == 0)
		return false;
	if (j->lease_until < now)
		return true;
	for (size_t i = 0; i < nreg; i++)
		if (strcmp(reg[i].id, j->worker_id) == 0)
			return !reg[i].alive;
	return false;
}

/* A job that never got as far as naming its container: no container can
 * exist, so it goes back to the queue with its attempt given back. */
static void requeue_unlaunched(worker_t *w, job_t *j)
{
	char *err = NULL;
	j->attempt--;
	free(j->worker_id);
	j->worker_id = NULL;
	j->lease_until = 0;
	int rc = store_job_move(w->store, j, j->status, JOB_QUEUED,
				JOB_SET_ATTEMPT | JOB_SET_LEASE, w->actor,
				"its worker stopped before launching it; back in the queue", &err);
	if (rc == 0) {
		log_info("job %lld: its worker stopped before launching it; back in the queue",
			 (long long)j->id);
		w->result->handed_back++;
	} else if (rc < 0) {
		log_warn("job %lld: cannot put it back in the queue: %s", (long long)j->id,
			 err_str(err));
	}
	free(err);
}

void reconcile_jobs(worker_t *w)
{
	char *err = NULL;
	job_filter_t f = {.status_mask = (1 << JOB_LAUNCHING) | (1 << JOB_RUNNING)};
	job_t *jobs = NULL;
	size_t n = 0;
	if (store_job_list(w->store, &f, &jobs, &n, &err) < 0) {
		log_warn("cannot look for jobs left by stopped workers: %s", err_str(err));
		free(err);
		return;
	}
	int64_t now = now_ms();
	store_worker_t *reg = NULL;
	size_t nreg = 0;
	if (n > 0 && store_worker_list(w->store, now, &reg, &nreg, &err) < 0) {
		log_warn("cannot tell which workers live: %s", err_str(err));
		free(err);
		err = NULL;
	}
	for (size_t i = 0; i < n; i++) {
		job_t *j = &jobs[i];
		if (!orphaned(w, j, now, reg, nreg))
			continue;
		whost_t *h = NULL;
		if (j->ran_on && j->container_name) {
			h = worker_find_host(w, j->ran_on);
			/* Not a host of this worker, or down: another worker, or a
			 * later look, takes it. */
			if (!h || !h->healthy)
				continue;
		} else if (w->opts->host && (!j->host || strcmp(j->host, w->opts->host) != 0)) {
			continue;
		}
		char *old_worker = j->worker_id;
		int64_t old_lease = j->lease_until;
		int rc = store_job_take_over(w->store, j, old_worker, old_lease, w->worker_id,
					     now + LEASE_MS, &err);
		if (rc != 0) {
			if (rc < 0)
				log_warn("job %lld: cannot take it over: %s", (long long)j->id,
					 err_str(err));
			free(err);
			err = NULL;
			continue;  /* 1: another worker was quicker */
		}
		log_info("job %lld: %s %s; taking it over", (long long)j->id,
			 old_lease < now ? "the lease of its worker ran out:" : "its worker has stopped:",
			 old_worker ? old_worker : "none");
		free(j->worker_id);
		j->worker_id = strdup(w->worker_id);
		j->lease_until = now + LEASE_MS;
		if (!h) {
			requeue_unlaunched(w, j);
			continue;
		}
		if (worker_add_slot(w, h, j, true) < 0)
			log_error("out of memory");
	}
	store_worker_list_free(reg, nreg);
	store_job_list_free(jobs, n);
}

/* ---- leftover containers ---- */

static bool owned(worker_t *w, const job_t *active, size_t n, const engine_container_t *c)
{
	for (size_t i = 0; i < w->nslots; i++) {
		const job_t *j = &w->slots[i]->job;
		if ((j->container_id && strcmp(j->container_id, c->id) == 0) ||
		    (j->container_name && c->name && strcmp(j->container_name, c->name) == 0))
			return true;
	}
	for (size_t i = 0; i < n; i++)
		if (active[i].container_name && c->name &&
		    strcmp(active[i].container_name, c->name) == 0)
			return true;
	return false;
}

static void on_leftover_removed(void *ud, const engine_status_t *st)
{
	whost_t *h = ud;
	h->w->reconciles_inflight--;
	if (!st->ok)
		log_warn("host '%s': cannot remove a leftover container: %s", h->host.name,
			 err_str(st->error));
}

static void on_listed(void *ud, const engine_status_t *st, const engine_container_t *list,
		      size_t n)
{
	whost_t *h = ud;
	worker_t *w = h->w;
	w->reconciles_inflight--;
	h->sweep_inflight = false;
	if (!st->ok) {
		/* Not again at once (an engine that refuses the list would be asked
		 * in a loop): the periodic sweep, or the host's recovery, retries. */
		log_warn("host '%s': cannot list its containers to look for leftovers: %s",
			 h->host.name, err_str(st->error));
		return;
	}
	/* Read after the list: a container that existed then and belongs to a
	 * live job has its name in that job's row now. */
	char *err = NULL;
	job_filter_t f = {.status_mask = (1 << JOB_LAUNCHING) | (1 << JOB_RUNNING)};
	job_t *active = NULL;
	size_t nactive = 0;
	if (store_job_list(w->store, &f, &active, &nactive, &err) < 0) {
		log_warn("cannot look for leftover containers: %s", err_str(err));
		free(err);
		return;
	}
	for (size_t i = 0; i < n; i++) {
		const engine_container_t *c = &list[i];
		if (!c->id || owned(w, active, nactive, c))
			continue;
		log_info("host '%s': removing container %s, left behind by a job that is no longer "
			 "running",
			 h->host.name, c->name ? c->name : c->id);
		w->reconciles_inflight++;
		engine_remove(h->engine, c->id, on_leftover_removed, h);
	}
	store_job_list_free(active, nactive);
}

void reconcile_sweep(whost_t *h)
{
	if (h->sweep_inflight)
		return;
	h->sweep_due = false;
	h->sweep_inflight = true;
	h->w->reconciles_inflight++;
	engine_list(h->engine, "cjobs.store", store_id(h->w->store), on_listed, h);
}
