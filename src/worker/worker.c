/*
 * worker/worker.c: the process-jobs loop. Each turn: handle signals, check
 * unhealthy engines, claim ready jobs for hosts with free capacity (fewest
 * running per unit of weight first), start their launches, advance every
 * running job (time limits, samples), renew leases, and wait for the engine
 * or a signal. All engine traffic is asynchronous (engine_loop_run), so many
 * launches and harvests are in flight at once.
 *
 * It never blocks on one container, and never exits with a container of
 * its own still running: SIGTERM drains, SIGINT removes and hands back.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/validate.h"
#include "util/err.h"
#include "util/log.h"
#include "util/strbuf.h"
#include "util/timeutil.h"
#include "util/uuid.h"
#include "worker/internal.h"

#define HEALTH_RETRY_MS 5000
#define FIRST_CHECK_MS 15000      /* how long a worker waits for its engines at start */
#define LEASE_RENEW_MS (LEASE_MS / 3)
/* How often a live worker looks for jobs of dead workers, and for
 * containers no job owns. */
#define RECONCILE_MS LEASE_RENEW_MS
#define SWEEP_MS (5 * 60 * 1000)

static volatile sig_atomic_t got_term, got_int, got_usr1;
static int signal_pipe[2] = {-1, -1};

static void on_signal(int sig)
{
	int saved = errno;
	if (sig == SIGTERM)
		got_term = 1;
	else if (sig == SIGINT)
		got_int = 1;
	else if (sig == SIGUSR1)
		got_usr1 = 1;
	if (signal_pipe[1] >= 0) {
		ssize_t n = write(signal_pipe[1], "x", 1);
		(void)n;
	}
	errno = saved;
}

static int install_signals(char **err)
{
	if (pipe2(signal_pipe, O_CLOEXEC | O_NONBLOCK) < 0)
		return err_set(err, "cannot create the signal pipe: %s", strerror(errno));
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGUSR1, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	return 0;
}

static void restore_signals(void)
{
	signal(SIGTERM, SIG_DFL);
	signal(SIGINT, SIG_DFL);
	signal(SIGUSR1, SIG_DFL);
	for (int i = 0; i < 2; i++)
		if (signal_pipe[i] >= 0) {
			close(signal_pipe[i]);
			signal_pipe[i] = -1;
		}
}

static void drain_pipe(void)
{
	char buf[64];
	while (read(signal_pipe[0], buf, sizeof(buf)) > 0)
		;
}

/* ---- noticing new jobs ---- */

/* A daemon watches the store (store_watch: the SQLite file's directory,
 * or PostgreSQL's notifications), so that a job committed by another
 * process, here or on another machine, wakes it at once instead of at the
 * next poll. The poll interval stays as the fallback. */
static void watch_store(worker_t *w)
{
	w->watch_fd = -1;
	if (!w->opts->daemon)
		return;
	char *err = NULL;
	if (store_watch(w->store, &w->watch_fd, &err) < 0) {
		log_detail("cannot watch the store (%s); new jobs are seen at each poll interval",
			   err_str(err));
		free(err);
		w->watch_fd = -1;
	}
}

/* True when the store changed since the last call. */
static bool store_changed_since(worker_t *w)
{
	return w->watch_fd >= 0 && store_changed(w->store);
}

/* ---- one transaction per batch of engine answers ---- */

/* Every store write the callbacks of one engine_loop_run make (containers
 * recorded, statuses moved, results committed) goes into one transaction:
 * with many jobs in flight that is one commit per turn instead of several
 * per job. Each write is still its own savepoint, so one that fails undoes
 * only itself; and the engine requests those callbacks start go out only
 * after the commit, so a result is still stored before its container is
 * removed, and a name before its container is created. */
static void batch_begin(void *ud)
{
	worker_t *w = ud;
	char *err = NULL;
	if (w->store_down_mono) {
		w->batch_open = false;
		return;
	}
	w->batch_open = store_begin_recording(w->store, &err) == 0;
	if (!w->batch_open)
		log_warn("cannot start a transaction for the engine's answers (each is written "
			 "alone): %s",
			 err_str(err));
	free(err);
}

static void batch_end(void *ud)
{
	worker_t *w = ud;
	char *err = NULL;
	if (w->batch_open && store_commit(w->store, &err) < 0) {
		log_error("cannot commit the results of this turn to the store: %s", err_str(err));
		/* Nothing of it was written: the results are written again, and
		 * no container of theirs is removed before they are. */
		for (size_t i = 0; i < w->nslots; i++)
			slot_store_lost_commit(w->slots[i]);
	}
	w->batch_open = false;
	free(err);
}

/* ---- a store that cannot be reached ----
 * A PostgreSQL server that stops or restarts, or a network that fails,
 * takes the store's connection with it. The worker then keeps its
 * containers running and watched, keeps every result that comes in (a
 * slot in SLOT_RECORDING), claims nothing, and tries the connection again
 * with backoff (0.5 s doubling to 30 s). When it answers again the worker
 * registers again (its liveness lock went with the connection), renews its
 * leases, writes the results it kept and goes on. After opts->store_timeout_s
 * without the store it gives up and exits 1: its containers go on running,
 * and any worker that serves their hosts takes them over. */

static void store_went(worker_t *w, const char *why)
{
	if (w->store_down_mono)
		return;
	w->store_down_mono = mono_ms();
	w->store_backoff_ms = 500;
	w->next_store_try_mono = w->store_down_mono + w->store_backoff_ms;
	w->watch_fd = -1;
	log_warn("the job store cannot be reached (%s); the running containers go on, their "
		 "results are kept until it answers again (giving up after %lld s)",
		 why, (long long)w->opts->store_timeout_s);
}

static int heartbeat(worker_t *w, bool first, char **err);

/* Returns -1 (with *err) when the store has been away too long. */
static int store_retry(worker_t *w, int64_t now, char **err)
{
	if (!w->store_down_mono || now < w->next_store_try_mono)
		return 0;
	char *e = NULL;
	if (store_reconnect(w->store, &e) == 0 && heartbeat(w, true, &e) == 0) {
		char dur[32];
		format_duration(now - w->store_down_mono, dur, sizeof(dur));
		log_info("the job store answers again after %s", dur);
		w->store_down_mono = 0;
		w->next_claim_mono = 0;
		w->next_lease_mono = 0;
		if (w->opts->daemon && store_watch(w->store, &w->watch_fd, &e) < 0) {
			free(e);
			e = NULL;
			w->watch_fd = -1;
		}
		free(e);
		return 0;
	}
	if (now - w->store_down_mono >= w->opts->store_timeout_s * 1000) {
		err_set(err, "the job store could not be reached for %lld s (%s); giving up: its "
			     "running jobs are taken over by any worker that serves their hosts "
			     "(--store-timeout sets how long to wait)",
			(long long)w->opts->store_timeout_s, err_str(e));
		free(e);
		return -1;
	}
	log_debug("the job store still cannot be reached: %s", err_str(e));
	free(e);
	w->store_backoff_ms = w->store_backoff_ms * 2 > 30000 ? 30000 : w->store_backoff_ms * 2;
	w->next_store_try_mono = now + w->store_backoff_ms;
	return 0;
}

/* ---- hosts ---- */

static void on_event(void *ud, const engine_event_t *ev);
static void on_events_end(void *ud, const engine_status_t *st);

static void open_events(whost_t *h)
{
	if (h->events)
		engine_events_close(h->events);
	h->events = engine_events_open(h->engine, "cjobs.store", store_id(h->w->store),
				       h->events_since_ns, on_event, on_events_end, h);
	h->events_open = h->events != NULL;
}

static void on_info(void *ud, const engine_status_t *st, const engine_info_t *info)
{
	whost_t *h = ud;
	h->info_inflight = false;
	free(h->error);
	h->error = NULL;
	if (!st->ok) {
		if (!h->down_reported)
			log_error("host '%s' (%s) cannot be used: %s", h->host.name, h->host.url,
				  err_str(st->error));
		h->error = strdup(err_str(st->error));
		h->down_reported = true;
		/* Whatever runs there may be killed with the engine: a non-zero
		 * end of those jobs is then the engine's fault, not theirs. */
		for (size_t i = 0; i < h->w->nslots; i++)
			if (h->w->slots[i]->h == h)
				h->w->slots[i]->engine_lost = true;
		h->healthy = false;
		h->w->result->engine_error = true;
		h->next_check_mono = mono_ms() + HEALTH_RETRY_MS;
		return;
	}
	if (h->down_reported)
		log_info("host '%s' (%s) answers again", h->host.name, h->host.url);
	if (!h->healthy) {
		h->w->next_claim_mono = 0;  /* it may take jobs now */
		/* Back (or first seen): find what happened while it was away. */
		h->w->next_reconcile_mono = 0;
		h->sweep_due = true;
	}
	h->down_reported = false;
	if (!h->healthy)
		log_detail("host '%s': engine %s (API %s) at %s", h->host.name, info->version,
			   info->api_version, h->host.url);
	h->healthy = true;
	h->next_check_mono = 0;
	if (!h->events_open) {
		if (!h->events_since_ns)
			h->events_since_ns = (int64_t)now_ms() * 1000000 - 1000000000LL;
		open_events(h);
	}
}

static void check_host(whost_t *h)
{
	if (h->info_inflight)
		return;
	h->info_inflight = true;
	h->next_check_mono = 0;  /* on_info sets the next one */
	engine_info(h->engine, on_info, h);
}

static void on_events_end(void *ud, const engine_status_t *st)
{
	whost_t *h = ud;
	h->events_open = false;
	log_warn("host '%s': the engine's event stream ended (%s); falling back to polling "
		 "and re-opening it",
		 h->host.name, st && st->error ? st->error : "closed");
	h->next_check_mono = mono_ms() + 1000;
	h->healthy = false;
}

slot_t *worker_find_slot(worker_t *w, const char *container_id)
{
	for (size_t i = 0; i < w->nslots; i++) {
		slot_t *s = w->slots[i];
		if (s->job.container_id && strcmp(s->job.container_id, container_id) == 0)
			return s;
	}
	return NULL;
}

static void on_event(void *ud, const engine_event_t *ev)
{
	whost_t *h = ud;
	if (ev->time_ns > h->events_since_ns)
		h->events_since_ns = ev->time_ns;
	if (!ev->action || !ev->id)
		return;
	slot_t *s = worker_find_slot(h->w, ev->id);
	if (!s || s->h != h)
		return;
	if (strcmp(ev->action, "die") == 0) {
		slot_on_exit(s, ev->exit_code);
	} else if (strcmp(ev->action, "kill") == 0 && !s->kill_sent && !s->abort && !s->handback) {
		/* Not this worker's doing: the engine stopping its containers as
		 * it shuts down, or a person's docker stop. */
		s->killed_outside = true;
	}
}

static int connect_host(worker_t *w, whost_t *h, char **err)
{
	engine_config_t cfg = {
		.url = h->host.url,
		.tls_ca = h->host.tls_ca,
		.tls_cert = h->host.tls_cert,
		.tls_key = h->host.tls_key,
		.tls_verify = h->host.tls_verify,
	};
	if (engine_new(w->loop, &cfg, &h->engine, err) < 0)
		return err_prefix(err, "host '%s'", h->host.name);
	/* Said again here, not only when the host was added: the person who
	 * reads the worker's log may not be the one who added the host. */
	bool tls = h->host.tls_ca || h->host.tls_cert || h->host.tls_key;
	if (tls && !h->host.tls_verify)
		log_warn("host '%s': the engine's certificate is not verified (host update %s "
			 "--tls-verify yes); anyone on the network path can pose as it",
			 h->host.name, h->host.name);
	else if (!tls && strncmp(h->host.url, "tcp://", 6) == 0)
		log_warn("host '%s' is reached over plain TCP without TLS: anyone who can reach %s "
			 "controls that engine",
			 h->host.name, h->host.url);
	return 0;
}

static bool same_text(const char *a, const char *b)
{
	return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

static bool same_engine(const host_t *a, const host_t *b)
{
	return same_text(a->url, b->url) && same_text(a->tls_ca, b->tls_ca) &&
	       same_text(a->tls_cert, b->tls_cert) && same_text(a->tls_key, b->tls_key) &&
	       a->tls_verify == b->tls_verify;
}

/* A host the store has (again) enabled, or whose settings changed. Its
 * engine is replaced only when no job of this worker runs there. */
static void refresh_host(whost_t *h, host_t *fresh)
{
	if (h->retired)
		log_info("host '%s' is enabled again; jobs go there again", h->host.name);
	h->retired = false;
	if (!same_engine(&h->host, fresh)) {
		if (h->active > 0)
			return;  /* looked at again at the next refresh */
		char *err = NULL;
		whost_t probe = *h;
		probe.host = *fresh;
		if (connect_host(h->w, &probe, &err) < 0) {
			log_error("%s; the host keeps its old address", err_str(err));
			free(err);
			return;
		}
		if (h->events)
			engine_events_close(h->events);
		h->events = NULL;
		h->events_open = false;
		h->events_since_ns = 0;
		engine_free(h->engine);
		h->engine = probe.engine;
		h->healthy = false;
		log_info("host '%s': now at %s", h->host.name, fresh->url);
		host_free(&h->host);
		h->host = *fresh;
		host_init(fresh);
		check_host(h);
		return;
	}
	/* Plain settings take effect for the next claims. */
	h->host.max_jobs = fresh->max_jobs;
	h->host.weight = fresh->weight;
	h->host.pull_images = fresh->pull_images;
	char *net = fresh->network_mode;
	fresh->network_mode = h->host.network_mode;
	h->host.network_mode = net;
	host_allow_t allow = fresh->allow;
	fresh->allow = h->host.allow;
	h->host.allow = allow;
	if (h->active < h->host.max_jobs)
		h->w->next_claim_mono = 0;
}

/* Brings the worker's hosts in line with the store: new enabled hosts are
 * connected, disabled or removed ones retired (no new jobs; what runs there
 * is still watched), changed ones refreshed. At start (first) a host that
 * cannot be set up is an error; later it is logged and skipped. */
static int sync_hosts(worker_t *w, bool first, char **err)
{
	host_t *hosts = NULL;
	size_t n = 0;
	if (store_host_list(w->store, &hosts, &n, err) < 0)
		return -1;
	if (w->nhosts + n > w->caphosts) {
		size_t cap = w->nhosts + n + 4;
		whost_t **p = realloc(w->hosts, cap * sizeof(*p));
		if (!p) {
			store_host_list_free(hosts, n);
			return err_set(err, "out of memory");
		}
		w->hosts = p;
		w->caphosts = cap;
	}
	bool found = false;
	bool *wanted = calloc(w->nhosts + n + 1, sizeof(bool));
	if (!wanted) {
		store_host_list_free(hosts, n);
		return err_set(err, "out of memory");
	}
	int rc = 0;
	for (size_t i = 0; i < n && rc == 0; i++) {
		if (w->opts->host && strcmp(hosts[i].name, w->opts->host) != 0)
			continue;
		found = true;
		if (!hosts[i].enabled) {
			if (first && w->opts->host)
				log_warn("host '%s' is disabled; no jobs will be run there "
					 "('cjobs host enable %s')",
					 hosts[i].name, hosts[i].name);
			continue;
		}
		whost_t *h = worker_find_host(w, hosts[i].name);
		if (h) {
			for (size_t k = 0; k < w->nhosts; k++)
				if (w->hosts[k] == h)
					wanted[k] = true;
			refresh_host(h, &hosts[i]);
			continue;
		}
		h = calloc(1, sizeof(*h));
		if (!h) {
			rc = err_set(err, "out of memory");
			break;
		}
		h->w = w;
		h->host = hosts[i];
		host_init(&hosts[i]);  /* ownership moved */
		if (connect_host(w, h, err) < 0) {
			host_free(&h->host);
			free(h);
			if (first) {
				rc = -1;
				break;
			}
			log_error("%s", err_str(*err));
			free(*err);
			*err = NULL;
			continue;
		}
		wanted[w->nhosts] = true;
		w->hosts[w->nhosts++] = h;
		if (!first) {
			log_info("host '%s' (%s) is new; jobs go there once it answers", h->host.name,
				 h->host.url);
			check_host(h);
		}
	}
	for (size_t k = 0; k < w->nhosts && rc == 0; k++) {
		whost_t *h = w->hosts[k];
		if (!wanted[k] && !h->retired) {
			h->retired = true;
			log_info("host '%s' is disabled or removed; no new jobs go there%s",
				 h->host.name, h->active ? " (its running jobs are still watched)" : "");
		}
	}
	free(wanted);
	store_host_list_free(hosts, n);
	if (rc == 0 && first && w->opts->host && !found)
		return err_set(err, MSG_NO_HOST, w->opts->host);
	return rc;
}

static void refresh_hosts(worker_t *w)
{
	char *err = NULL;
	if (sync_hosts(w, false, &err) < 0)
		log_warn("cannot read the hosts from the store: %s", err_str(err));
	free(err);
}

/* ---- slots ---- */

void worker_slot_done(worker_t *w, slot_t *s)
{
	(void)w;
	s->state = SLOT_DONE;
}

/* Frees finished slots whose requests have all ended. */
static void reap_slots(worker_t *w)
{
	size_t k = 0;
	for (size_t i = 0; i < w->nslots; i++) {
		slot_t *s = w->slots[i];
		if (s->state == SLOT_DONE && s->pending == 0) {
			s->h->active--;
			/* Its place is free only now: a claim made while it was done
			 * but still finishing its requests found the host full, and
			 * did not look for the next job due (a retry due in a second
			 * waited a whole --poll-interval). Look again. */
			w->next_claim_mono = 0;
			job_free(&s->job);
			job_output_free(&s->out);
			job_output_free(&s->err);
			free(s->engine_error);
			free(s);
		} else {
			w->slots[k++] = s;
		}
	}
	w->nslots = k;
}

int worker_add_slot(worker_t *w, whost_t *h, job_t *job, bool adopt)
{
	if (w->nslots == w->capslots) {
		size_t cap = w->capslots ? w->capslots * 2 : 16;
		slot_t **p = realloc(w->slots, cap * sizeof(*p));
		if (!p)
			return -1;
		w->slots = p;
		w->capslots = cap;
	}
	slot_t *s = calloc(1, sizeof(*s));
	if (!s)
		return -1;
	s->w = w;
	s->h = h;
	s->job = *job;
	job_init(job);  /* ownership moved */
	w->slots[w->nslots++] = s;
	h->active++;
	if (adopt)
		slot_adopt(s);
	else
		slot_launch(s);
	return 0;
}

whost_t *worker_find_host(worker_t *w, const char *name)
{
	for (size_t i = 0; name && i < w->nhosts; i++)
		if (strcmp(w->hosts[i]->host.name, name) == 0)
			return w->hosts[i];
	return NULL;
}

static int running_count(const worker_t *w)
{
	int n = 0;
	for (size_t i = 0; i < w->nslots; i++)
		n += w->slots[i]->state != SLOT_DONE;
	return n;
}

/* Adds the claimed jobs to host h; -1 when memory ran out. */
static int add_claimed(worker_t *w, whost_t *h, job_t *jobs, size_t n, int *total, char **err)
{
	for (size_t i = 0; i < n; i++) {
		if (worker_add_slot(w, h, &jobs[i], false) < 0) {
			store_job_list_free(jobs, n);
			return err_set(err, "out of memory");
		}
		(*total)++;
	}
	store_job_list_free(jobs, n);
	return 0;
}

/* With several hosts: one job at a time, for the host the store finds
 * least loaded by weight across every worker (store_job_claim_spread), among
 * those this worker may use now. Returns the number claimed, or -1. */
static int claim_spread(worker_t *w, char **err)
{
	int total = 0;
	store_claim_host_t *cands = calloc(w->nhosts, sizeof(*cands));
	whost_t **of = calloc(w->nhosts, sizeof(*of));
	if (!cands || !of) {
		free(cands);
		free(of);
		return err_set(err, "out of memory");
	}
	while (w->opts->max_jobs - running_count(w) > 0) {
		size_t k = 0;
		for (size_t i = 0; i < w->nhosts; i++) {
			whost_t *h = w->hosts[i];
			if (!h->healthy || h->retired || h->active >= h->host.max_jobs)
				continue;
			of[k] = h;
			cands[k++] = (store_claim_host_t){h->host.name, h->host.weight};
		}
		if (k == 0)
			break;
		job_t *jobs = NULL;
		size_t n = 0, picked = 0;
		int64_t t0 = mono_us();
		if (store_job_claim_spread(w->store, w->worker_id, now_ms() + LEASE_MS, cands, k, &jobs,
					   &n, &picked, err) < 0) {
			total = -1;
			break;
		}
		log_debug("claim for %zu host(s): %zu job(s) in %.3f ms", k, n,
			  (double)(mono_us() - t0) / 1000.0);
		if (n == 0) {
			store_job_list_free(jobs, n);
			break;
		}
		if (add_claimed(w, of[picked], jobs, n, &total, err) < 0) {
			total = -1;
			break;
		}
	}
	free(cands);
	free(of);
	return total;
}

/* Claims and launches jobs while there is room. Returns the number claimed,
 * or -1 on a store failure. */
static int claim_jobs(worker_t *w, char **err)
{
	/* Finished slots still count against their host until reaped: reap
	 * first, or a host filled to its limit looks full for a whole poll
	 * interval after its jobs ended. */
	reap_slots(w);
	if (w->nhosts > 1)
		return claim_spread(w, err);
	int total = 0;
	whost_t *h = w->nhosts == 1 ? w->hosts[0] : NULL;
	int free_global = w->opts->max_jobs - running_count(w);
	if (!h || !h->healthy || h->retired || h->active >= h->host.max_jobs || free_global <= 0)
		return 0;
	/* One host: all the room in one transaction. */
	int room = h->host.max_jobs - h->active;
	int want = room < free_global ? room : free_global;
	char *names[] = {h->host.name, NULL};
	job_t *jobs = NULL;
	size_t n = 0;
	int64_t t0 = mono_us();
	if (store_job_claim(w->store, w->worker_id, now_ms() + LEASE_MS, names, h->host.name, want,
			    &jobs, &n, err) < 0)
		return -1;
	/* The claim's own time, lock waits included: what bench/workers
	 * reads to show how long workers racing for one queue wait. */
	log_debug("claim for host %s: %zu of %d jobs in %.3f ms", h->host.name, n, want,
		  (double)(mono_us() - t0) / 1000.0);
	if (add_claimed(w, h, jobs, n, &total, err) < 0)
		return -1;
	return total;
}

/* The names of the hosts this worker serves, for the registry. */
static char *served_hosts(const worker_t *w)
{
	strbuf_t sb = STRBUF_INIT;
	for (size_t i = 0; i < w->nhosts; i++)
		if (!w->hosts[i]->retired)
			sb_printf(&sb, "%s%s", sb.len ? " " : "", w->hosts[i]->host.name);
	return sb_steal(&sb);
}

/* Registers this worker in the store, or renews its heartbeat. */
static int heartbeat(worker_t *w, bool first, char **err)
{
	int64_t now = now_ms();
	char *hosts = served_hosts(w);
	int rc;
	if (first) {
		char machine[41];
		worker_machine_name(machine, sizeof(machine));
		store_worker_t me = {.id = w->worker_id, .machine = machine, .pid = getpid(),
				     .started_at = now, .heartbeat_at = now,
				     .lease_until = now + LEASE_MS, .hosts = hosts};
		rc = store_worker_register(w->store, &me, err);
	} else {
		rc = store_worker_heartbeat(w->store, w->worker_id, now, now + LEASE_MS, hosts, err);
		/* Struck out (a person or a takeover thought it dead): register
		 * again, and take the lock again. */
		if (rc == 1) {
			free(hosts);
			return heartbeat(w, true, err);
		}
	}
	free(hosts);
	return rc;
}

static void renew_leases(worker_t *w)
{
	char *err = NULL;
	int64_t until = now_ms() + LEASE_MS;
	if (heartbeat(w, false, &err) < 0) {
		log_warn("cannot renew this worker's heartbeat: %s", err_str(err));
		free(err);
		err = NULL;
	}
	if (store_begin(w->store, &err) < 0) {
		log_warn("cannot renew leases: %s", err_str(err));
		free(err);
		return;
	}
	for (size_t i = 0; i < w->nslots; i++) {
		slot_t *s = w->slots[i];
		if (s->state == SLOT_DONE || s->job.status == JOB_QUEUED || job_status_is_final(s->job.status))
			continue;
		s->job.lease_until = until;
		int rc = store_job_renew_lease(w->store, s->job.id, w->worker_id, until, &err);
		if (rc < 0) {
			log_warn("cannot renew the lease of job %lld: %s", (long long)s->job.id,
				 err_str(err));
			free(err);
			err = NULL;
		} else if (rc == 1) {
			/* Cancelled (the canceller handles the container), or taken over
			 * by a worker that thought this one dead: then it is theirs. */
			job_t now;
			if (store_job_get(w->store, s->job.id, &now, &err) == 0) {
				bool active = now.status == JOB_LAUNCHING || now.status == JOB_RUNNING;
				if (active && now.worker_id && strcmp(now.worker_id, w->worker_id) != 0)
					s->lease_lost = true;
				job_free(&now);
			}
			free(err);
			err = NULL;
		}
	}
	if (store_commit(w->store, &err) < 0) {
		store_rollback(w->store);
		log_warn("cannot renew leases: %s", err_str(err));
	}
	free(err);
}

static void handle_signals(worker_t *w)
{
	drain_pipe();
	if (got_usr1) {
		got_usr1 = 0;
		service_reloading();
		char *err = NULL;
		if (w->opts->reload && w->opts->reload(w->opts, w->opts->reload_ud, &err) < 0)
			log_error("SIGUSR1: configuration not reloaded: %s", err_str(err));
		else
			log_info("SIGUSR1: configuration reloaded (max jobs %d, poll interval %ds, "
				 "timeout %llds, output limit %lld bytes, shutdown timeout %llds)",
				 w->opts->max_jobs, w->opts->poll_interval_s,
				 (long long)w->opts->default_timeout_s,
				 (long long)w->opts->output_limit,
				 (long long)w->opts->shutdown_timeout_s);
		free(err);
		refresh_hosts(w);
		w->next_claim_mono = 0;
		w->next_sched_mono = 0;
		service_reloaded(w);
	}
	if (got_term && !w->stopping) {
		w->stopping = true;
		service_stopping(w);
		if (w->opts->shutdown_timeout_s > 0) {
			/* One millisecond more: mono_ms() drops the fraction, and the
			 * whole timeout must have passed, not 11.999 s of 12. */
			w->shutdown_deadline_mono = mono_ms() + w->opts->shutdown_timeout_s * 1000 + 1;
			log_info("SIGTERM: taking no new jobs; waiting up to %llds for %d running "
				 "job(s) to finish",
				 (long long)w->opts->shutdown_timeout_s, running_count(w));
		} else {
			log_info("SIGTERM: taking no new jobs; waiting for %d running job(s) to finish",
				 running_count(w));
		}
	}
	if (w->shutdown_deadline_mono && mono_ms() >= w->shutdown_deadline_mono &&
	    !w->interrupting) {
		w->shutdown_deadline_mono = 0;
		log_info("shutdown timeout: removing %d container(s) still running and putting "
			 "their jobs back in the queue",
			 running_count(w));
		for (size_t i = 0; i < w->nslots; i++) {
			slot_t *s = w->slots[i];
			if (s->state != SLOT_DONE && !s->handback) {
				s->handback = "worker stopped (SIGTERM, shutdown timeout); container "
					      "removed";
				if (s->state == SLOT_RUNNING && s->pending == 0)
					slot_tick(s, mono_ms());
			}
		}
	}
	if (got_int && !w->interrupting) {
		w->interrupting = true;
		bool was_stopping = w->stopping;
		w->stopping = true;
		if (!was_stopping)
			service_stopping(w);
		w->result->interrupted = true;
		log_info("SIGINT: stopping now; removing %d container(s) and putting their jobs "
			 "back in the queue",
			 running_count(w));
		for (size_t i = 0; i < w->nslots; i++)
			slot_abort(w->slots[i]);
	}
}

#define SCHEDULED_SLACK_MS 5
#define SCHEDULED_RECHECK_MS 1000

/* Nothing writes the store when a job's --at time comes, so the daemon
 * looks again exactly then rather than at the next poll. */
static void wake_for_scheduled(worker_t *w, int64_t now_mono)
{
	char *err = NULL;
	int64_t ready = 0, next_at = 0;
	char **names = calloc(w->nhosts + 1, sizeof(char *));
	if (!names)
		return;
	for (size_t i = 0; i < w->nhosts; i++)
		names[i] = w->hosts[i]->host.name;
	int64_t at;
	/* Whether any job is ready is all this asks: a count capped at 1 reads
	 * one row of a queue of any length. */
	if (store_job_ready_count(w->store, names, now_ms(), 1, &ready, &next_at, &err) == 0) {
		/* A job that became ready between the claim and this count (the
		 * claim looked a moment before its time): look again soon, not at
		 * the next poll. Soon, not at once: a claim can also find nothing
		 * because other workers fill the hosts. */
		at = ready > 0 ? now_mono + SCHEDULED_RECHECK_MS : 0;
		/* The wall clock and the monotonic one are read in whole ms at
		 * two moments: wake a few ms late rather than early, or the
		 * claim finds the job not yet due. Both read now: now_mono is
		 * the turn's start, before the claim, which takes several ms
		 * on a busy machine (the wake came that much early, found
		 * nothing due, and the job waited for the recheck). */
		if (!at && next_at > 0)
			at = mono_ms() + (next_at - now_ms()) + SCHEDULED_SLACK_MS;
	} else {
		/* Not known when the next job is due (the store busy, or its
		 * connection in trouble): look again soon rather than at the
		 * next poll, which would leave a retry due in a second waiting
		 * a whole --poll-interval, without a word. */
		log_debug("cannot tell when the next job is due (%s): looking again in %d ms",
			  err_str(err), SCHEDULED_RECHECK_MS);
		at = now_mono + SCHEDULED_RECHECK_MS;
	}
	if (at && at < w->next_claim_mono)
		w->next_claim_mono = at < now_mono ? now_mono : at;
	free(err);
	free(names);
}

void worker_retry_scheduled(worker_t *w, int64_t due)
{
	if (w->opts->daemon || !w->opts->wait_retries)
		return;
	if (w->nretries_due == w->capretries_due) {
		size_t cap = w->capretries_due ? w->capretries_due * 2 : 16;
		int64_t *v = realloc(w->retries_due, cap * sizeof(*v));
		if (!v) {
			log_warn("cannot remember a retry to wait for (out of memory); this run may "
				 "leave before it");
			return;
		}
		w->retries_due = v;
		w->capretries_due = cap;
	}
	w->retries_due[w->nretries_due++] = due;
}

/* One pass with --wait-retries, nothing else to do: when (monotonic) to
 * look for the next retry it scheduled; 0 when none is left. A retry whose
 * time has passed was looked for by the claim that found nothing ready: it
 * is no longer there to run (another worker took it, someone cancelled
 * it), and is forgotten. */
static int64_t next_retry_due(worker_t *w, int64_t now_mono)
{
	int64_t wall = now_ms(), first = 0;
	size_t kept = 0;
	for (size_t i = 0; i < w->nretries_due; i++) {
		int64_t due = w->retries_due[i];
		if (due <= wall)
			continue;
		w->retries_due[kept++] = due;
		if (!first || due < first)
			first = due;
	}
	w->nretries_due = kept;
	/* A few ms late: the claim compares with the store's clock. */
	return first ? now_mono + (first - wall) + 5 : 0;
}

static int64_t next_wake(const worker_t *w, int64_t now)
{
	int64_t wake = now + (int64_t)w->opts->poll_interval_s * 1000;
	if (w->nslots > 0 && wake > now + 500)
		wake = now + 500;
	if (!w->store_down_mono && w->next_claim_mono && w->next_claim_mono < wake)
		wake = w->next_claim_mono;
	if (!w->stopping && !w->store_down_mono && w->next_sched_mono < wake)
		wake = w->next_sched_mono;
	if (w->shutdown_deadline_mono && w->shutdown_deadline_mono < wake)
		wake = w->shutdown_deadline_mono;
	if (!w->stopping && !w->store_down_mono && w->next_reconcile_mono < wake)
		wake = w->next_reconcile_mono;
	/* Without the store, only trying it again (and the containers) count. */
	if (w->store_down_mono && w->next_store_try_mono < wake)
		wake = w->next_store_try_mono;
	for (size_t i = 0; i < w->nhosts; i++)
		if (!w->hosts[i]->healthy && w->hosts[i]->next_check_mono &&
		    w->hosts[i]->next_check_mono < wake)
			wake = w->hosts[i]->next_check_mono;
	wake = service_next_wake(wake);
	return wake < now ? now : wake;
}

static bool any_healthy(const worker_t *w)
{
	for (size_t i = 0; i < w->nhosts; i++)
		if (w->hosts[i]->healthy)
			return true;
	return false;
}

/* Waits for the first health check of every host (bounded). */
static void first_checks(worker_t *w)
{
	for (size_t i = 0; i < w->nhosts; i++)
		check_host(w->hosts[i]);
	int64_t until = mono_ms() + FIRST_CHECK_MS;
	for (;;) {
		bool pending = false;
		for (size_t i = 0; i < w->nhosts; i++)
			pending = pending || w->hosts[i]->info_inflight;
		if (!pending || mono_ms() > until || got_int || got_term)
			break;
		int64_t now = mono_ms();
		service_tick(NULL, now);
		int64_t wait = service_next_wake(now + 200) - now;
		engine_loop_run(w->loop, wait > 0 ? (int)wait : 0, &signal_pipe[0], 1);
	}
	/* An engine that accepts connections but does not answer is as unusable
	 * as one that refuses them: say so (exit code 2), rather than finish a
	 * run that did nothing in silence. Its answer may still come (daemon). */
	for (size_t i = 0; i < w->nhosts; i++) {
		whost_t *h = w->hosts[i];
		if (h->info_inflight && !got_int && !got_term) {
			log_error("host '%s' (%s) cannot be used: it did not answer within %d seconds",
				  h->host.name, h->host.url, FIRST_CHECK_MS / 1000);
			h->down_reported = true;
			w->result->engine_error = true;
		}
	}
}

static int loop(worker_t *w, char **err)
{
	first_checks(w);
	service_ready(w);
	if (!any_healthy(w) && !w->opts->daemon) {
		return 0;  /* every host is down: the caller reports exit 2 */
	}
	for (;;) {
		int64_t now = mono_ms();
		handle_signals(w);
		service_tick(w, now);
		for (size_t i = 0; i < w->nhosts; i++) {
			whost_t *h = w->hosts[i];
			if ((!h->healthy || !h->events_open) && h->next_check_mono &&
			    now >= h->next_check_mono && !(h->retired && h->active == 0))
				check_host(h);
		}
		if (store_retry(w, now, err) < 0)
			return -1;
		if (!w->stopping && !w->store_down_mono && now >= w->next_sched_mono)
			worker_fire_schedules(w, now);
		if (!w->stopping && !w->store_down_mono && (w->opts->daemon || !w->idle_seen) &&
		    now >= w->next_claim_mono) {
			int n = claim_jobs(w, err);
			if (n < 0 && store_lost(w->store)) {
				store_went(w, err_str(*err));
				free(*err);
				*err = NULL;
				n = 0;
			} else if (n < 0) {
				return -1;
			}
			if (n == 0 && running_count(w) < w->opts->max_jobs) {
				/* Nothing ready: next look after the poll interval (daemon) or
				 * never (one pass: finish what runs, then exit). */
				bool room = false;
				for (size_t i = 0; i < w->nhosts; i++)
					room = room || (w->hosts[i]->healthy &&
							w->hosts[i]->active < w->hosts[i]->host.max_jobs);
				/* With no healthy host that has room, look again at the poll
				 * interval too: a host that answers again, or a job that
				 * finishes, calls for a claim at once (next_claim_mono = 0). */
				w->next_claim_mono = now + (int64_t)w->opts->poll_interval_s * 1000;
				log_debug("no job ready for this worker%s", room ? "" : " (no host has room)");
				if (room) {
					if (!w->opts->daemon)
						w->idle_seen = true;
					if (w->opts->daemon)
						wake_for_scheduled(w, now);
				}
			} else {
				w->next_claim_mono = 0;
			}
		}
		if (!w->stopping && !w->store_down_mono && now >= w->next_reconcile_mono) {
			if (w->next_reconcile_mono)
				refresh_hosts(w);
			reconcile_jobs(w);
			w->next_reconcile_mono = now + RECONCILE_MS;
		}
		if (now >= w->next_sweep_mono) {
			for (size_t i = 0; i < w->nhosts; i++)
				w->hosts[i]->sweep_due = true;
			w->next_sweep_mono = now + SWEEP_MS;
		}
		for (size_t i = 0; i < w->nhosts && !w->store_down_mono; i++)
			if (w->hosts[i]->healthy && w->hosts[i]->sweep_due && !w->interrupting)
				reconcile_sweep(w->hosts[i]);
		for (size_t i = 0; i < w->nslots; i++)
			slot_tick(w->slots[i], now);
		if (!w->store_down_mono && now >= w->next_lease_mono) {
			renew_leases(w);
			w->next_lease_mono = now + LEASE_RENEW_MS;
		}
		reap_slots(w);
		if (w->nslots == 0 && w->reconciles_inflight == 0) {
			if (w->stopping)
				break;
			int64_t retry_at = 0;
			if (!w->opts->daemon && w->idle_seen && any_healthy(w) &&
			    (retry_at = next_retry_due(w, mono_ms())) > 0) {
				/* --wait-retries: stay for the retry, and claim it
				 * when it is due. */
				if (w->next_claim_mono != retry_at)
					log_info("waiting %.1fs for a retry this run scheduled "
						 "(--wait-retries)",
						 (double)(retry_at - mono_ms()) / 1000.0);
				w->next_claim_mono = retry_at;
				w->idle_seen = false;
			} else if (!w->opts->daemon && (w->idle_seen || !any_healthy(w))) {
				break;
			}
		}
		/* A notification that came while a statement ran is already in
		 * the client library's buffer, and its socket will not wake the
		 * wait below: look before waiting, not only after. */
		bool changed = !w->store_down_mono && store_changed_since(w);
		if (changed) {
			log_debug("another process changed the store: looking for jobs at once");
			w->next_claim_mono = 0;
			w->next_sched_mono = 0;
		}
		int64_t wake = next_wake(w, mono_ms());
		int wait = changed ? 0 : (int)(wake - mono_ms());
		int wake_fds[2] = {signal_pipe[0], w->watch_fd};
		if (engine_loop_run(w->loop, wait < 0 ? 0 : wait, wake_fds, w->watch_fd >= 0 ? 2 : 1) < 0)
			return err_set(err, "the engine request loop failed");
		if (!w->store_down_mono && store_lost(w->store))
			store_went(w, "the connection was lost");
		if (!w->store_down_mono && store_changed_since(w)) {
			log_debug("another process changed the store: looking for jobs at once");
			w->next_claim_mono = 0;
			w->next_sched_mono = 0;
		}
		/* A finished job frees room: look for more at once. */
		if (!w->opts->daemon || w->nslots < (size_t)w->opts->max_jobs)
			for (size_t i = 0; i < w->nslots; i++)
				if (w->slots[i]->state == SLOT_DONE) {
					w->next_claim_mono = 0;
					if (!w->opts->daemon)
						w->idle_seen = false;
					break;
				}
	}
	return 0;
}

int worker_run(store_t *store, worker_opts_t *opts, worker_result_t *result, char **err)
{
	worker_t w;
	memset(&w, 0, sizeof(w));
	w.watch_fd = -1;
	memset(result, 0, sizeof(*result));
	w.store = store;
	w.opts = opts;
	w.result = result;
	if (worker_id_make(w.worker_id, sizeof(w.worker_id)) < 0)
		return err_set(err, "cannot read random bytes for the worker id");
	snprintf(w.actor, sizeof(w.actor), "worker:%s", w.worker_id);
	got_term = got_int = got_usr1 = 0;
	store_long_writer(store);
	if (install_signals(err) < 0)
		return -1;
	service_start();
	w.loop = engine_loop_new();
	int rc = -1;
	if (!w.loop) {
		err_set(err, "cannot set up the engine request loop");
		goto out;
	}
	engine_loop_set_batch(w.loop, batch_begin, batch_end, &w);
	if (sync_hosts(&w, true, err) < 0)
		goto out;
	if (w.nhosts == 0) {
		err_set(err, "no enabled executor host%s%s: register one with 'cjobs host add' or "
			     "enable one with 'cjobs host enable'",
			opts->host ? " named " : "", opts->host ? opts->host : "");
		result->engine_error = true;
		goto out;
	}
	if (heartbeat(&w, true, err) < 0)
		goto out;
	w.registered = true;
	log_detail("%s: %zu host(s), up to %d job(s) at once%s", w.worker_id, w.nhosts,
		   opts->max_jobs, opts->daemon ? ", daemon" : "");
	watch_store(&w);
	rc = loop(&w, err);
out:
	if (w.registered) {
		char *e = NULL;
		if (store_worker_stop(store, w.worker_id, &e) < 0) {
			log_warn("cannot record that this worker stopped: %s", err_str(e));
			free(e);
		}
	}
	for (size_t i = 0; i < w.nslots; i++) {
		job_free(&w.slots[i]->job);
		job_output_free(&w.slots[i]->out);
		job_output_free(&w.slots[i]->err);
		free(w.slots[i]->engine_error);
		free(w.slots[i]);
	}
	free(w.slots);
	free(w.retries_due);
	worker_replacers_join(&w);
	for (size_t i = 0; i < w.nhosts; i++) {
		whost_t *h = w.hosts[i];
		if (h->events)
			engine_events_close(h->events);
		engine_free(h->engine);
		host_free(&h->host);
		free(h->error);
		free(h);
	}
	free(w.hosts);
	if (w.loop)
		engine_loop_free(w.loop);
	restore_signals();
	return rc;
}
