/*
 * worker/slot.c: one job's life in the worker, as a chain of asynchronous
 * engine requests: create (pull first if needed and allowed) -> start ->
 * watch (exit event, time limit, resource samples) -> inspect -> logs ->
 * record in the store -> remove the container.
 *
 * Rules this file keeps: the job's result is committed before its container
 * is removed; a job handed back to the queue has its container removed
 * first; every callback checks `abort` (SIGINT) before going on.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/retry.h"
#include "engine/registry_auth.h"
#include "util/err.h"
#include "util/log.h"
#include "util/timeutil.h"
#include "worker/internal.h"

#define STATS_EVERY_MS 2000
#define POLL_EVERY_MS 2000

static void slot_remove(slot_t *s);
static void slot_create(slot_t *s);
static void slot_pull(slot_t *s);

static const char *actor(const slot_t *s)
{
	return s->w->actor;
}

/* Moves the job in the store; logs (does not stop) on failure, since the
 * lease expiry lets reconciliation finish what this could not. */
static int move(slot_t *s, job_status_t to, unsigned set, const char *reason)
{
	char *err = NULL;
	int rc = store_job_move(s->w->store, &s->job, s->job.status, to, set, actor(s), reason, &err);
	if (rc == 0) {
		s->job.status = to;
	} else if (rc == 1) {
		log_warn("job %lld was changed by someone else (now not %s); leaving it",
			 (long long)s->job.id, job_status_name(s->job.status));
	} else {
		log_error("job %lld: cannot record status %s: %s", (long long)s->job.id,
			  job_status_name(to), err_str(err));
	}
	free(err);
	return rc;
}

static void set_error(slot_t *s, const char *msg)
{
	free(s->job.last_error);
	s->job.last_error = msg ? strdup(msg) : NULL;
}

/* True when the job may have another attempt after this one. */
static bool attempts_left(const slot_t *s)
{
	return s->job.attempt <= s->job.max_retries && !s->abort && !s->handback;
}

/* Queues the job again. `counts`: the attempt ran (or failed) and is used
 * up, and the next one waits for the job's retry strategy; otherwise the
 * attempt is given back and the job may run at once. `extra`: further
 * fields to write with it (exit code, output already stored, ...). */
static int requeue(slot_t *s, bool counts, unsigned extra, const char *why)
{
	char *reason = NULL;
	unsigned set = JOB_SET_LEASE | JOB_SET_FINISHED_AT | extra;
	if (counts) {
		/* Validated at submit; the default, should it be unreadable now. */
		retry_strategy_t policy;
		if (retry_policy_parse(s->job.retry_strategy, &policy, NULL) < 0)
			policy = *retry_strategy_find(NULL);
		const retry_strategy_t *rs = &policy;
		int64_t delay = retry_delay_ms(rs, s->job.attempt, retry_random01());
		s->job.not_before = now_ms() + delay;
		set |= JOB_SET_NOT_BEFORE;
		char d[32];
		format_duration(delay, d, sizeof(d));
		if (asprintf(&reason, "%s; retry %d of %d in %s (%s strategy)", why, s->job.attempt,
			     s->job.max_retries, d, rs ? rs->name : RETRY_STRATEGY_DEFAULT) < 0)
			reason = NULL;
		log_warn("job %lld: %s; retry %d of %d in %s", (long long)s->job.id, why,
			 s->job.attempt, s->job.max_retries, d);
	} else {
		s->job.attempt--;
		set |= JOB_SET_ATTEMPT;
	}
	free(s->job.worker_id);
	s->job.worker_id = NULL;
	s->job.lease_until = 0;
	s->job.finished_at = 0;
	int rc = move(s, JOB_QUEUED, set, reason ? reason : why);
	if (rc == 0) {
		if (counts) {
			s->w->result->retried++;
			worker_retry_scheduled(s->w, s->job.not_before);
		}
		else
			s->w->result->handed_back++;
	}
	free(reason);
	return rc;
}

/* A launch that could not happen. No container runs. The engine's fault
 * before the container existed costs no attempt; a transient fault after
 * it is retried by the job's policy; a permanent one fails the job. */
static void launch_failed(slot_t *s, const engine_status_t *st, const char *what)
{
	char *msg = NULL;
	if (asprintf(&msg, "%s on host %s: %s", what, s->h->host.name, st->error ? st->error : "?") < 0)
		msg = NULL;
	set_error(s, msg);
	retry_class_t kind = retry_classify(st->http_status, st->unreachable, st->timed_out,
					    st->error);
	if (st->unreachable) {
		s->h->healthy = false;
		if (!s->h->info_inflight && !s->h->next_check_mono)
			s->h->next_check_mono = mono_ms() + 1000;
		s->w->result->engine_error = true;
	}
	bool no_container = !s->job.container_id;
	if (s->abort || s->handback) {
		requeue(s, false, 0, s->handback ? s->handback : "worker interrupted");
	} else if (st->unreachable && no_container) {
		/* The engine went away before the container existed: the job never
		 * ran, so it goes back without using up an attempt. The host is
		 * marked unhealthy, so it is not claimed for again until it answers. */
		log_warn("job %lld: %s; back in the queue", (long long)s->job.id, msg ? msg : what);
		requeue(s, false, JOB_SET_LAST_ERROR, msg ? msg : what);
	} else if (kind == RETRY_TRANSIENT && attempts_left(s)) {
		requeue(s, true, JOB_SET_LAST_ERROR, msg ? msg : what);
	} else {
		log_error("job %lld failed: %s%s", (long long)s->job.id, msg ? msg : what,
			  kind == RETRY_PERMANENT ? " (not retried: a permanent error)" : "");
		s->job.finished_at = now_ms();
		free(s->job.worker_id);
		s->job.worker_id = NULL;
		s->job.lease_until = 0;
		if (move(s, JOB_FAILED,
			 JOB_SET_LAST_ERROR | JOB_SET_FINISHED_AT | JOB_SET_LEASE | JOB_SET_CONTAINER,
			 msg) == 0)
			s->w->result->failed++;
	}
	free(msg);
	s->state = SLOT_DONE;
	worker_slot_done(s->w, s);
}

/* Keeps the engine's id of the job's container, in memory and the store;
 * a failure to write it is logged (the name, recorded earlier, still
 * finds the container). */
static void record_container_id(slot_t *s, const char *id)
{
	char *err = NULL;
	free(s->job.container_id);
	s->job.container_id = strdup(id);
	if (!s->job.container_id ||
	    store_job_update(s->w->store, &s->job, JOB_SET_CONTAINER, &err) < 0)
		log_warn("job %lld: cannot record container id: %s", (long long)s->job.id,
			 err_str(err));
	free(err);
}

static void on_removed_quietly(void *ud, const engine_status_t *st)
{
	slot_t *s = ud;
	s->pending--;
	if (!st->ok)
		log_warn("job %lld: could not remove container %s: %s", (long long)s->job.id,
			 s->job.container_name, err_str(st->error));
}

static void on_started(void *ud, const engine_status_t *st)
{
	slot_t *s = ud;
	s->pending--;
	if (!st->ok) {
		/* The container exists but did not start: remove it, then fail. */
		s->pending++;
		engine_remove(s->h->engine, s->job.container_id, on_removed_quietly, s);
		launch_failed(s, st, "cannot start the container");
		return;
	}
	s->job.started_at = now_ms();
	if (s->exited && !s->abort && !s->handback) {
		/* Its end is known already (the engine's events came first): the
		 * move to running goes into the store with the result, one write
		 * instead of two (store_job_move_via); meanwhile the job shows as
		 * launching, for the moment its result takes. */
		s->start_unrecorded = true;
	} else if (move(s, JOB_RUNNING, JOB_SET_STARTED_AT | JOB_SET_CONTAINER,
			"container started") != 0) {
		/* 1: cancelled (manage-jobs cancel) while it was launching: drop it. */
		slot_remove(s);
		return;
	}
	s->state = SLOT_RUNNING;
	int64_t limit = s->job.timeout_s == JOB_TIMEOUT_DEFAULT ? s->w->opts->default_timeout_s
								: s->job.timeout_s;
	s->deadline_mono = limit > 0 ? mono_ms() + limit * 1000 : 0;
	s->next_stats_mono = mono_ms() + 500;
	s->next_poll_mono = s->exited ? 0 : mono_ms() + POLL_EVERY_MS;
	log_detail("job %lld: running on %s as %s", (long long)s->job.id, s->h->host.name,
		   s->job.container_name);
	if (s->abort || s->handback || s->exited)
		slot_tick(s, mono_ms());
}

static void on_created(void *ud, const engine_status_t *st, const char *id);

/* The host's allowances as the store has them now. The worker's copy is
 * read with its hosts, every reconcile; a refusal fails the job for good,
 * so it is never made on a copy older than the job: 'host update
 * --allow-bind' a moment before a submit must hold. True when a newer
 * copy was read. */
static bool allowances_refreshed(slot_t *s)
{
	host_t fresh;
	host_init(&fresh);
	char *err = NULL;
	if (store_host_get(s->w->store, s->h->host.name, &fresh, &err) < 0) {
		log_warn("job %lld: cannot read host %s again: %s", (long long)s->job.id,
			 s->h->host.name, err_str(err));
		free(err);
		host_free(&fresh);
		return false;
	}
	host_allow_t old = s->h->host.allow;
	s->h->host.allow = fresh.allow;
	fresh.allow = old;
	host_free(&fresh);
	return true;
}

/* Whether a missing image is pulled: the job's --pull, else its host's. */
static bool pulls_missing(const slot_t *s)
{
	switch (s->job.ctr.pull) {
	case CTR_PULL_NEVER: return false;
	case CTR_PULL_HOST: return s->h->host.pull_images;
	default: return true;
	}
}

/* A pull that failed for good: the registry's refusal for authentication
 * (retry_auth_refused: permanent, the same credentials would be refused
 * again), or any failure of a pull that sent no credentials, since an
 * engine may hide a refusal behind another error (for a registry it
 * counts as insecure, such as any on 127.0.0.0/8, it tries plain HTTP
 * after the refusal and reports only that). Says what to check, by where
 * the credentials came from; never what they are. */
static void pull_failed_auth(slot_t *s, const engine_status_t *st, const char *what,
			     bool refused)
{
	char *registry = registry_of_image(s->job.image);
	const char *reg = registry ? registry : "the registry";
	const char *file = s->h->host.registry_auth;
	const char *engine = err_str(st->error);
	char *msg = NULL;
	int n;
	if (!s->pull_without_auth)
		n = file ? asprintf(&msg, "registry %s refused the credentials (%s); check the "
					  "entry for %s in the host's --registry-auth file %s, or "
					  "run 'docker login %s' as the user running the worker",
				    reg, engine, reg, file, reg)
			 : asprintf(&msg, "registry %s refused the credentials (%s); run 'docker "
					  "login %s' as the user running the worker, or give the "
					  "host a file with 'cjobs host update %s --registry-auth "
					  "FILE'",
				    reg, engine, reg, s->h->host.name);
	else
		n = asprintf(&msg, "%s%s (no credentials were sent to registry %s: if it needs "
				   "them, run 'docker login %s' as the user running the worker, or "
				   "give the host a file with 'cjobs host update %s --registry-auth "
				   "FILE')",
			     refused ? "the registry refused the pull: " : "", engine, reg, reg,
			     s->h->host.name);
	engine_status_t perm = *st;
	if (n >= 0)
		perm.error = msg;
	launch_failed(s, &perm, what);
	free(msg);
	free(registry);
}

static void on_pulled(void *ud, const engine_status_t *st)
{
	slot_t *s = ud;
	s->pending--;
	if (!st->ok) {
		char *what = NULL;
		if (asprintf(&what, "cannot pull image %s", s->job.image) < 0)
			what = NULL;
		bool refused = !st->unreachable && !st->timed_out &&
			       retry_auth_refused(st->http_status, st->error);
		if (refused || (s->pull_without_auth &&
				retry_classify(st->http_status, st->unreachable, st->timed_out,
					       st->error) == RETRY_PERMANENT))
			pull_failed_auth(s, st, what ? what : "cannot pull the image", refused);
		else
			launch_failed(s, st, what ? what : "cannot pull the image");
		free(what);
		return;
	}
	slot_create(s);
}

/* Pulls the job's image with the registry's credentials, if any: the
 * host's --registry-auth file, else the worker's user's Docker
 * configuration (engine/registry_auth.h), read now, for this pull only. */
static void slot_pull(slot_t *s)
{
	char *header = NULL, *source = NULL, *err = NULL;
	s->state = SLOT_PULLING;
	if (registry_auth_for_image(s->h->host.registry_auth, s->job.image, &header, &source,
				    &err) < 0) {
		/* Unreadable or malformed credentials: fixing them takes a
		 * person, so the job fails now (400: permanent); a helper that
		 * timed out, or memory, is transient by its words. */
		engine_status_t st = {.http_status = 400, .error = err_str(err)};
		char *what = NULL;
		if (asprintf(&what, "cannot read the registry credentials for image %s",
			     s->job.image) < 0)
			what = NULL;
		launch_failed(s, &st, what ? what : "cannot read the registry credentials");
		free(what);
		free(err);
		return;
	}
	if (source)
		log_detail("job %lld: pulling %s with the credentials of %s", (long long)s->job.id,
			   s->job.image, source);
	s->pull_without_auth = !header;
	s->pending++;
	engine_pull(s->h->engine, s->job.image, header, on_pulled, s);
	if (header) {
		explicit_bzero(header, strlen(header));
		free(header);
	}
	free(source);
}

static void on_removed_conflict(void *ud, const engine_status_t *st)
{
	slot_t *s = ud;
	s->pending--;
	if (!st->ok) {
		launch_failed(s, st, "cannot remove a leftover container of the same name");
		return;
	}
	slot_create(s);
}

static void on_created(void *ud, const engine_status_t *st, const char *id)
{
	slot_t *s = ud;
	s->pending--;
	if (st->ok && (s->abort || s->handback)) {
		free(s->job.container_id);
		s->job.container_id = strdup(id);
		slot_remove(s);
		return;
	}
	if (!st->ok) {
		if (st->not_found && pulls_missing(s) && s->state != SLOT_PULLING) {
			log_info("job %lld: pulling %s on %s", (long long)s->job.id, s->job.image,
				 s->h->host.name);
			slot_pull(s);
			return;
		}
		if (st->conflict) {
			/* A container of this name is left from a worker that died between
			 * create and record: remove it and create afresh. */
			s->pending++;
			engine_remove(s->h->engine, s->job.container_name, on_removed_conflict, s);
			return;
		}
		if (st->not_found) {
			char *msg = NULL;
			if (asprintf(&msg, "image %s not found on host %s%s", s->job.image,
				     s->h->host.name,
				     s->state == SLOT_PULLING ? " (pulling it failed)"
				     : s->job.ctr.pull == CTR_PULL_NEVER
					     ? " and the job says --pull never"
					     : " and pulling is off for that host "
					       "('cjobs host update NAME --pull yes', or submit "
					       "with --pull missing)") < 0)
				msg = NULL;
			engine_status_t perm = *st;
			perm.error = msg ? msg : "image not found";
			perm.http_status = 404;
			perm.unreachable = perm.timed_out = false;
			/* A missing image is permanent (retry_classify: "not found"). */
			launch_failed(s, &perm, "cannot create the container");
			free(msg);
			return;
		}
		launch_failed(s, st, "cannot create the container");
		return;
	}
	/* The id reaches the store with the move to running (or the failure):
	 * until then the name, stored by the claim, finds the container. */
	free(s->job.container_id);
	s->job.container_id = strdup(id);  /* NULL (no memory): the name serves */
	s->state = SLOT_STARTING;
	s->pending++;
	log_debug("job %lld: start %.12s", (long long)s->job.id, id);
	engine_start(s->h->engine, id, on_started, s);
}

static void slot_create(slot_t *s)
{
	const worker_t *w = s->w;
	char job_label[64], attempt_label[32], store_label[80];
	snprintf(job_label, sizeof(job_label), "cjobs.job=%s", s->job.uuid);
	snprintf(attempt_label, sizeof(attempt_label), "cjobs.attempt=%d", s->job.attempt);
	snprintf(store_label, sizeof(store_label), "cjobs.store=%s", store_id(w->store));
	char *labels[] = {job_label, attempt_label, store_label, NULL};
	engine_spec_t spec = {
		.name = s->job.container_name,
		.image = s->job.image,
		.argv = s->job.argc ? s->job.argv : NULL,
		.env = s->job.env,
		.workdir = s->job.workdir,
		.memory_bytes = s->job.memory_bytes,
		.nano_cpus = s->job.nano_cpus,
		.network_mode = s->job.ctr.network ? s->job.ctr.network : s->h->host.network_mode,
		.labels = labels,
		.ctr = &s->job.ctr,
	};
	s->state = s->state == SLOT_PULLING ? SLOT_PULLING : SLOT_CREATING;
	s->pending++;
	log_debug("job %lld: create %s on %s", (long long)s->job.id, spec.name, s->h->host.name);
	engine_create(s->h->engine, &spec, on_created, s);
}

void slot_launch(slot_t *s)
{
	/* The claim recorded ran_on and the container's name in the store
	 * (store_job_claim with run_on) before the engine hears of it, so a
	 * worker that dies mid-create leaves a container that can be found. */
	log_detail("job %lld: launching %s on %s (attempt %d)", (long long)s->job.id, s->job.image,
		   s->h->host.name, s->job.attempt);
	/* Checked again here, whatever submit saw: the job may name no host,
	 * or the host's allowances may have changed since. */
	char *refusal = NULL;
	int allowed = container_host_allows(&s->job.ctr, s->h->host.name, &s->h->host.allow,
					    &refusal);
	if (allowed < 0 && allowances_refreshed(s)) {
		free(refusal);
		refusal = NULL;
		allowed = container_host_allows(&s->job.ctr, s->h->host.name, &s->h->host.allow,
						&refusal);
	}
	if (allowed < 0) {
		engine_status_t st = {.http_status = 403, .error = refusal ? refusal : "not allowed"};
		launch_failed(s, &st, "cannot create the container");
		free(refusal);
		return;
	}
	if (s->job.ctr.pull == CTR_PULL_ALWAYS) {
		log_info("job %lld: pulling %s on %s (--pull always)", (long long)s->job.id,
			 s->job.image, s->h->host.name);
		slot_pull(s);
		return;
	}
	slot_create(s);
}

static void on_removed(void *ud, const engine_status_t *st)
{
	slot_t *s = ud;
	s->pending--;
	if (!st->ok)
		log_warn("job %lld: could not remove container %s: %s", (long long)s->job.id,
			 s->job.container_name, err_str(st->error));
	bool unfinished = s->job.status == JOB_LAUNCHING || s->job.status == JOB_RUNNING;
	if ((s->abort || s->handback) && unfinished && !s->lease_lost) {
		/* Handed back: the container is gone; the job waits for a worker. */
		free(s->job.container_id);
		s->job.container_id = NULL;
		requeue(s, false, JOB_SET_CONTAINER,
			s->handback ? s->handback : "worker interrupted (SIGINT); container removed");
	}
	s->state = SLOT_DONE;
	worker_slot_done(s->w, s);
}

static void slot_remove(slot_t *s)
{
	s->state = SLOT_REMOVING;
	s->pending++;
	log_debug("job %lld: remove %s", (long long)s->job.id, s->job.container_name);
	engine_remove(s->h->engine, s->job.container_id ? s->job.container_id : s->job.container_name,
		      on_removed, s);
}

/* What a finished container's result means for its job. */
typedef struct {
	job_status_t to;
	bool retry;               /* queue again (to is then JOB_QUEUED) */
	char reason[200];
} outcome_t;

static outcome_t judge(slot_t *s)
{
	worker_t *w = s->w;
	outcome_t o = {.to = JOB_FAILED};
	if (s->timed_out) {
		/* A time limit is the job's own: never retried automatically. */
		o.to = JOB_TIMEOUT;
		int64_t limit = s->job.timeout_s == JOB_TIMEOUT_DEFAULT ? w->opts->default_timeout_s
									: s->job.timeout_s;
		snprintf(o.reason, sizeof(o.reason), "killed after its time limit of %llds",
			 (long long)limit);
		set_error(s, o.reason);
		return o;
	}
	if (s->exit_code == 0) {
		o.to = JOB_COMPLETED;
		snprintf(o.reason, sizeof(o.reason), "exited 0");
		return o;
	}
	bool wanted;
	if (s->exit_code < 0) {
		/* Removed by someone else before its result was read: the attempt's
		 * outcome is unknown, a transient fault as far as the job goes. */
		snprintf(o.reason, sizeof(o.reason), "%s",
			 s->engine_error ? s->engine_error : "the container disappeared");
		wanted = true;
	} else if (s->engine_lost || s->killed_outside) {
		/* The engine stopped (or could not be reached) while it ran, or
		 * something outside cjobs signalled it, and it ended non-zero: not
		 * the job's own failure. */
		snprintf(o.reason, sizeof(o.reason), "exited %d after %s", s->exit_code,
			 s->engine_lost ? "its engine stopped or was unreachable while it ran"
					: "it was stopped from outside cjobs (the engine shutting "
					  "down, or docker stop/kill)");
		wanted = true;
	} else {
		snprintf(o.reason, sizeof(o.reason), "exited %d%s", s->exit_code,
			 s->oom_killed ? " (killed: out of memory)" : "");
		wanted = retry_exit_code_matches(s->job.retry_exit_codes, s->exit_code);
	}
	if (s->exit_code > 0 && !s->engine_lost && !s->killed_outside)
		set_error(s, s->oom_killed ? "the container ran out of memory (its --memory limit)"
					   : (s->engine_error && *s->engine_error ? s->engine_error
										  : o.reason));
	else
		set_error(s, o.reason);
	if (wanted && attempts_left(s)) {
		o.to = JOB_QUEUED;
		o.retry = true;
	}
	return o;
}

/* Stores the result of a finished container: its output, exit code and
 * resources, and the job's next status (final, or queued again for a
 * retry). Returns -1, with nothing lost, when the store could not be
 * reached: the result stays in the slot (SLOT_RECORDING) and is written
 * when the store answers again; 0 otherwise (written, or settled by
 * someone else, or a failure that was logged). */
static int record(slot_t *s)
{
	worker_t *w = s->w;
	char *err = NULL;
	s->recorded_from = s->job.status;
	/* -1: the container vanished and no exit code could be read. */
	s->job.has_exit_code = s->exit_code >= 0;
	s->job.exit_code = s->exit_code;
	s->job.finished_at = now_ms();
	outcome_t o = judge(s);
	unsigned set = JOB_SET_EXIT_CODE | JOB_SET_FINISHED_AT | JOB_SET_RESOURCES |
		       JOB_SET_LAST_ERROR | JOB_SET_LEASE;
	/* The move with its history row first, then the output (both streams
	 * in one statement), all in the worker's transaction of this turn.
	 * Once the move is written the job's row is locked, so its output
	 * cannot fail for want of the job and, on a server, goes with the
	 * next statement. Output that fails anyway leaves the result stored
	 * without it, and says so. */
	int rc = 0;
	/* A start the store never heard of (its end came first, or the store
	 * was down when it started) is written with the result. */
	bool unstarted = s->start_unrecorded || s->job.status == JOB_LAUNCHING;
	bool via_running = unstarted && !o.retry;
	if (rc == 0 && unstarted && o.retry) {
		s->start_unrecorded = false;
		rc = move(s, JOB_RUNNING, JOB_SET_STARTED_AT | JOB_SET_CONTAINER, "container started");
	}
	if (rc == 0 && o.retry) {
		rc = requeue(s, true, set & ~JOB_SET_FINISHED_AT, o.reason);
		if (rc == 0)
			s->job.status = JOB_QUEUED;
	} else if (rc == 0) {
		free(s->job.worker_id);
		s->job.worker_id = NULL;
		s->job.lease_until = 0;
		if (via_running)
			rc = store_job_move_via(w->store, &s->job, JOB_LAUNCHING, JOB_RUNNING, o.to,
						set | JOB_SET_STARTED_AT | JOB_SET_CONTAINER, actor(s),
						"container started", o.reason, &err);
		else
			rc = store_job_move(w->store, &s->job, JOB_RUNNING, o.to, set, actor(s),
					    o.reason, &err);
		s->start_unrecorded = false;
	}
	if (rc == 0 && s->have_logs &&
	    store_output_put_both(w->store, s->job.id, s->job.attempt, &s->out, &s->err, &err) < 0) {
		if (store_lost(w->store)) {
			rc = -1;  /* the move went with the connection: all waits */
		} else {
			log_warn("job %lld: its result is stored but not its output: %s",
				 (long long)s->job.id, err_str(err));
			free(err);
			err = NULL;
		}
	}
	if (rc < 0 && store_lost(w->store)) {
		log_warn("job %lld: its result waits for the job store: %s", (long long)s->job.id,
			 err_str(err));
		free(err);
		return -1;
	}
	if (rc == 0 && o.retry) {
		return 0;
	} else if (rc == 0) {
		s->job.status = o.to;
		if (o.to == JOB_COMPLETED)
			w->result->completed++;
		else
			w->result->failed++;
		char dur[32];
		format_duration(s->job.finished_at - s->job.started_at, dur, sizeof(dur));
		if (o.to == JOB_COMPLETED)
			log_info("job %lld completed on %s in %s", (long long)s->job.id,
				 s->h->host.name, dur);
		else
			log_info("job %lld %s on %s after %s: %s", (long long)s->job.id,
				 job_status_name(o.to), s->h->host.name, dur, o.reason);
	} else if (rc == 1) {
		log_warn("job %lld was changed by someone else while it ran; its result is not recorded",
			 (long long)s->job.id);
		/* Cancelled while it ran: the output of this attempt is still its
		 * own, and the canceller may have lost the race to read it. */
		free(err);
		err = NULL;
		if (s->have_logs &&
		    store_output_put_both(w->store, s->job.id, s->job.attempt, &s->out, &s->err, &err) < 0)
			log_warn("job %lld: cannot keep its output: %s", (long long)s->job.id,
				 err_str(err));
	} else {
		log_error("job %lld: cannot record its result: %s", (long long)s->job.id, err_str(err));
	}
	free(err);
	return 0;
}

/* After record(): the container is removed once the result is committed
 * (slot_tick, in the next turn, after the worker's transaction of this
 * one), or the result waits for the store. */
static void recorded(slot_t *s, int rc, bool container)
{
	s->remove_after = container;
	if (rc == 0) {
		s->state = SLOT_RECORDED;
		return;
	}
	s->state = SLOT_RECORDING;
	s->next_record_mono = mono_ms() + POLL_EVERY_MS;
}

static void on_logs(void *ud, const engine_status_t *st, job_output_t *out, job_output_t *errs)
{
	slot_t *s = ud;
	s->pending--;
	if (st->ok && out && errs) {
		s->out = *out;
		s->err = *errs;
		s->have_logs = true;
	} else {
		if (out)
			job_output_free(out);
		if (errs)
			job_output_free(errs);
		log_warn("job %lld: cannot read its output: %s", (long long)s->job.id,
			 err_str(st->error));
	}
	/* Whether the time limit ended it is known when the kill is answered. */
	if (s->kill_inflight) {
		s->record_after_kill = true;
		return;
	}
	/* Even when interrupted: the container has finished, so its result is
	 * recorded rather than the job run again. */
	recorded(s, record(s), true);
}

static void on_inspected(void *ud, const engine_status_t *st, const engine_container_t *c)
{
	slot_t *s = ud;
	s->pending--;
	if (!st->ok) {
		if (st->not_found) {
			/* The container vanished (removed by someone else). */
			s->exit_code = -1;
			free(s->engine_error);
			s->engine_error = strdup("the container disappeared before its result was read");
			recorded(s, record(s), false);
			return;
		}
		log_warn("job %lld: cannot inspect its container: %s; will try again",
			 (long long)s->job.id, err_str(st->error));
		if (st->unreachable)
			s->engine_lost = true;
		s->state = SLOT_RUNNING;
		/* Not at the next tick: an engine that is down answers at once,
		 * and asking again at once would spin. */
		s->next_poll_mono = mono_ms() + POLL_EVERY_MS;
		return;
	}
	if (c->running) {
		/* An event for an earlier run, or a poll that raced the start. */
		s->exited = false;
		s->state = SLOT_RUNNING;
		return;
	}
	s->exit_code = c->exit_code;
	s->oom_killed = c->oom_killed;
	free(s->engine_error);
	s->engine_error = c->error && *c->error ? strdup(c->error) : NULL;
	s->pending++;
	log_debug("job %lld: read logs of %s", (long long)s->job.id, s->job.container_name);
	engine_logs(s->h->engine, s->job.container_id, (size_t)s->w->opts->output_limit, on_logs, s);
}

static void harvest(slot_t *s)
{
	s->state = SLOT_HARVESTING;
	s->pending++;
	log_debug("job %lld: inspect %s", (long long)s->job.id, s->job.container_name);
	engine_inspect(s->h->engine, s->job.container_id, on_inspected, s);
}

void slot_on_exit(slot_t *s, int exit_code)
{
	(void)exit_code;  /* the inspect that follows is the authority */
	s->exited = true;
	if (s->state == SLOT_RUNNING)
		harvest(s);
}

static void on_stats(void *ud, const engine_status_t *st, const engine_stats_t *stats)
{
	slot_t *s = ud;
	s->pending--;
	s->stats_inflight = false;
	if (!st->ok || !stats)
		return;
	int64_t mem = stats->memory_peak_bytes >= 0 ? stats->memory_peak_bytes : stats->memory_bytes;
	if (mem > s->job.peak_memory_bytes)
		s->job.peak_memory_bytes = mem;
	if (stats->cpu_total_ns > s->job.cpu_usage_ns)
		s->job.cpu_usage_ns = stats->cpu_total_ns;
}

static void on_killed(void *ud, const engine_status_t *st)
{
	slot_t *s = ud;
	s->pending--;
	s->kill_inflight = false;
	if (st->conflict) {
		/* The engine refused: the container was not running. It ended
		 * on its own just as its limit passed (its die event not yet
		 * here), and its own result is what happened: the inspect below
		 * reads it. Should it somehow still run, the limit kills it at
		 * the next try. */
		s->timed_out = false;
		s->kill_sent = false;
		s->next_kill_mono = mono_ms() + POLL_EVERY_MS;
		log_info("job %lld: its container was no longer running when its time limit "
			 "passed (%s); reading its own result",
			 (long long)s->job.id, err_str(st->error));
	} else if (!st->ok) {
		log_warn("job %lld: cannot kill its container: %s", (long long)s->job.id,
			 err_str(st->error));
		if (st->unreachable || st->timed_out) {
			/* Still running as far as anyone knows: send it again. */
			s->engine_lost = true;
			s->kill_sent = false;
			s->next_kill_mono = mono_ms() + POLL_EVERY_MS;
		}
	}
	if (s->record_after_kill) {
		s->record_after_kill = false;
		recorded(s, record(s), true);
		return;
	}
	/* The die event (or the fallback poll) then harvests it. */
	s->next_poll_mono = mono_ms() + 200;
}

static void on_polled(void *ud, const engine_status_t *st, const engine_container_t *c)
{
	slot_t *s = ud;
	s->pending--;
	if (s->state != SLOT_RUNNING)
		return;
	if (st->ok && !c->running)
		slot_on_exit(s, c->exit_code);
	else if (!st->ok && st->not_found)
		harvest(s);
	else if (!st->ok && st->unreachable)
		s->engine_lost = true;
}

void slot_store_lost_commit(slot_t *s)
{
	if (s->state != SLOT_RECORDED)
		return;
	/* Its result went with the transaction: write it again. */
	s->job.status = s->recorded_from;
	s->state = SLOT_RECORDING;
	s->next_record_mono = mono_ms() + POLL_EVERY_MS;
}

void slot_tick(slot_t *s, int64_t now)
{
	if (s->state == SLOT_RECORDED) {
		if (s->remove_after) {
			slot_remove(s);
		} else {
			s->state = SLOT_DONE;
			worker_slot_done(s->w, s);
		}
		return;
	}
	if (s->state == SLOT_RECORDING) {
		if (now < s->next_record_mono || store_lost(s->w->store))
			return;
		if (record(s) == 0) {
			s->state = SLOT_RECORDED;
			log_info("job %lld: its result is recorded", (long long)s->job.id);
		} else {
			s->next_record_mono = now + 5 * POLL_EVERY_MS;
		}
		return;
	}
	if (s->state != SLOT_RUNNING)
		return;
	if (s->lease_lost) {
		/* Another worker took the job over (this one was thought dead):
		 * it is theirs now, container and all. */
		log_warn("job %lld: another worker holds it now; leaving it to them",
			 (long long)s->job.id);
		s->state = SLOT_DONE;
		worker_slot_done(s->w, s);
		return;
	}
	if (s->abort) {
		slot_remove(s);
		return;
	}
	/* Before the hand-back: a container that has already exited is
	 * recorded, not handed back to run again (SIGINT, shutdown timeout). */
	if (s->exited && now >= s->next_poll_mono) {
		harvest(s);
		return;
	}
	if (s->handback) {
		slot_remove(s);
		return;
	}
	if (s->deadline_mono && now >= s->deadline_mono && !s->kill_sent &&
	    now >= s->next_kill_mono) {
		s->timed_out = true;
		s->kill_sent = true;
		s->kill_inflight = true;
		log_info("job %lld: time limit reached; killing its container", (long long)s->job.id);
		s->pending++;
		engine_kill(s->h->engine, s->job.container_id, "KILL", on_killed, s);
		return;
	}
	if (!s->stats_inflight && now >= s->next_stats_mono) {
		s->stats_inflight = true;
		s->next_stats_mono = now + STATS_EVERY_MS;
		s->pending++;
		engine_stats(s->h->engine, s->job.container_id, on_stats, s);
	}
	/* The event stream is the main signal; this catches a missed event. */
	if (now >= s->next_poll_mono) {
		s->next_poll_mono = now + (s->h->events_open ? 5 * POLL_EVERY_MS : POLL_EVERY_MS);
		s->pending++;
		engine_inspect(s->h->engine, s->job.container_id, on_polled, s);
	}
}

void slot_abort(slot_t *s)
{
	s->abort = true;
	if (s->state == SLOT_RUNNING && s->pending == 0)
		slot_remove(s);
}

/* ---- adopting the job of a worker that died ---- */

static void adopt_vanished(slot_t *s)
{
	if (s->job.status == JOB_LAUNCHING) {
		/* Its worker died before the container was created (or after it
		 * was removed): the attempt never ran. */
		requeue(s, false, 0, "its worker stopped before the container started; back in the "
				     "queue");
		return;
	}
	/* It ran, and its container is gone without a result. */
	s->exit_code = -1;
	free(s->engine_error);
	s->engine_error = strdup("the container disappeared while no worker watched it");
	recorded(s, record(s), false);
}

static void on_adopt_inspected(void *ud, const engine_status_t *st, const engine_container_t *c)
{
	slot_t *s = ud;
	s->pending--;
	if (!st->ok && !st->not_found) {
		/* Cannot tell what became of it now; the lease this worker took
		 * lapses, and the next reconciliation looks again. */
		log_warn("job %lld: cannot inspect the container of a job to adopt: %s",
			 (long long)s->job.id, err_str(st->error));
		s->lease_lost = true;
		s->state = SLOT_DONE;
		worker_slot_done(s->w, s);
		return;
	}
	if (!st->ok) {
		adopt_vanished(s);
		s->state = SLOT_DONE;
		worker_slot_done(s->w, s);
		return;
	}
	record_container_id(s, c->id);
	if (c->state && strcmp(c->state, "created") == 0) {
		/* Created but never started: nothing ran. Remove it, then the job
		 * goes back to the queue with its attempt given back. */
		s->handback = "its worker stopped before the container started; container "
			      "removed, back in the queue";
		slot_remove(s);
		return;
	}
	if (s->job.status == JOB_LAUNCHING) {
		s->job.started_at = c->started_at > 0 ? c->started_at : now_ms();
		if (move(s, JOB_RUNNING, JOB_SET_STARTED_AT, "container found running after its "
							    "worker stopped") != 0) {
			slot_remove(s);
			return;
		}
	} else if (!s->job.started_at) {
		s->job.started_at = c->started_at > 0 ? c->started_at : now_ms();
	}
	s->state = SLOT_RUNNING;
	int64_t limit = s->job.timeout_s == JOB_TIMEOUT_DEFAULT ? s->w->opts->default_timeout_s
								: s->job.timeout_s;
	int64_t now = mono_ms();
	s->deadline_mono = limit > 0 ? now + (s->job.started_at + limit * 1000 - now_ms()) : 0;
	if (limit > 0 && s->deadline_mono <= now)
		s->deadline_mono = now;
	s->next_stats_mono = now + 500;
	s->next_poll_mono = now + POLL_EVERY_MS;
	s->w->result->adopted++;
	if (c->running) {
		log_info("job %lld: adopted its running container %s on %s", (long long)s->job.id,
			 s->job.container_name, s->h->host.name);
	} else {
		log_info("job %lld: its container %s on %s has exited; reading its result",
			 (long long)s->job.id, s->job.container_name, s->h->host.name);
		s->exited = true;
		s->next_poll_mono = 0;
		slot_tick(s, now);
	}
}

void slot_adopt(slot_t *s)
{
	s->adopted = true;
	s->state = SLOT_STARTING;
	s->pending++;
	engine_inspect(s->h->engine,
		       s->job.container_id ? s->job.container_id : s->job.container_name,
		       on_adopt_inspected, s);
}
