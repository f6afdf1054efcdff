/*
 * worker/internal.h: the worker's own state, shared by its files only.
 */
#ifndef CJOBS_WORKER_INTERNAL_H
#define CJOBS_WORKER_INTERNAL_H

#include <pthread.h>

#include "engine/engine.h"
#include "worker/worker.h"

typedef struct worker worker_t;

typedef struct {
	worker_t *w;
	host_t host;
	engine_t *engine;
	bool healthy;              /* last contact succeeded */
	bool info_inflight;
	bool down_reported;        /* its failure was logged; log the recovery */
	int64_t next_check_mono;   /* when to try an unhealthy engine again */
	char *error;               /* why it is unhealthy */
	int active;                /* slots on this host */
	bool sweep_due;            /* look for leftover containers when healthy */
	bool retired;              /* disabled or removed: no new jobs */
	bool sweep_inflight;
	engine_events_t *events;
	bool events_open;
	int64_t events_since_ns;   /* re-open from here after a disconnect */
} whost_t;

typedef enum {
	SLOT_CREATING,
	SLOT_PULLING,
	SLOT_STARTING,
	SLOT_RUNNING,
	SLOT_HARVESTING,           /* inspect + logs in flight */
	SLOT_RECORDING,            /* the result waits for the store to answer again */
	SLOT_RECORDED,             /* the result is written; the container goes once it
				    * is committed (after this turn) */
	SLOT_REMOVING,
	SLOT_DONE,
} slot_state_t;

typedef struct slot {
	worker_t *w;
	whost_t *h;
	job_t job;
	slot_state_t state;
	int pending;               /* engine requests in flight for this slot */
	bool stats_inflight;
	int64_t next_stats_mono;
	int64_t next_poll_mono;    /* fallback inspect when events are down */
	int64_t deadline_mono;     /* 0: no time limit */
	bool timed_out;            /* killed for its time limit (the kill was sent and
				    * not refused) */
	bool exited;               /* the engine said the container exited */
	bool start_unrecorded;     /* started, but its end was known first: the move to
	                            * running is written with the result */
	bool abort;                /* SIGINT: remove and hand back */
	const char *handback;      /* remove the container, then queue the job
				    * again without counting the attempt, saying this */
	bool engine_lost;          /* the engine went away while it ran */
	bool killed_outside;       /* signalled by someone else (the engine
				    * shutting down, docker stop) */
	bool adopted;              /* taken over from a worker that died */
	bool lease_lost;           /* another worker holds the job now */
	bool kill_sent;
	bool kill_inflight;        /* its answer has not come yet */
	bool record_after_kill;    /* harvested while the kill was in flight: its
				    * answer says whether the limit ended it */
	bool pull_without_auth;    /* its pull sent no registry credentials */
	int64_t next_kill_mono;    /* a kill that failed is sent again then */
	/* results gathered while harvesting */
	int exit_code;
	bool oom_killed;
	char *engine_error;
	job_output_t out, err;
	bool have_logs;
	job_status_t recorded_from;/* the store's status before the result was written */
	bool remove_after;         /* SLOT_RECORDED: a container is left to remove */
	int64_t next_record_mono;  /* SLOT_RECORDING: when to try the store again */
} slot_t;

struct worker {
	store_t *store;
	worker_opts_t *opts;
	worker_result_t *result;
	engine_loop_t *loop;
	char worker_id[96];        /* host:pid:random, held in the job's lease */
	bool registered;           /* in the store's registry (store_worker_register) */
	int64_t store_down_mono;   /* when the store was found unreachable; 0 = up */
	int64_t next_store_try_mono;
	int store_backoff_ms;
	char actor[104];           /* "worker:<id>" in history rows */
	whost_t **hosts;           /* never freed before the end: slots point to them */
	size_t caphosts;
	size_t nhosts;
	slot_t **slots;
	size_t nslots, capslots;
	bool stopping;             /* SIGTERM: take no more jobs */
	bool interrupting;         /* SIGINT */
	bool idle_seen;            /* one-shot: nothing left to claim */
	/* One pass with wait_retries: when each retry this run scheduled is
	 * due (unix ms), so the pass looks for it then instead of leaving. */
	int64_t *retries_due;
	size_t nretries_due, capretries_due;
	int64_t next_claim_mono;
	int64_t next_sched_mono;   /* when to fire due schedules (0: at once) */
	int64_t next_lease_mono;
	int64_t next_reconcile_mono;
	int64_t next_sweep_mono;   /* next look for leftover containers */
	int64_t shutdown_deadline_mono; /* SIGTERM with --shutdown-timeout */
	int reconciles_inflight;
	bool batch_open;           /* a transaction spans this batch of callbacks */
	int watch_fd;              /* the store's change notifications (store_watch), or -1 */
	/* Threads cancelling the jobs schedules' new runs replace
	 * (worker/schedules.c), joined as they end and at the end. */
	pthread_t *replacers;
	size_t nreplacers, capreplacers;
};

/* worker/slot.c */
void slot_launch(slot_t *s);
/* Takes over a job whose worker died: inspects its container and carries
 * on from what it finds (watch, harvest, or hand the job back). */
void slot_adopt(slot_t *s);
void slot_on_exit(slot_t *s, int exit_code);
void slot_tick(slot_t *s, int64_t now);
/* The worker's transaction of this turn could not commit: a result the
 * slot wrote in it is written again (SLOT_RECORDED -> SLOT_RECORDING). */
void slot_store_lost_commit(slot_t *s);
void slot_abort(slot_t *s);
/* worker/worker.c */
void worker_slot_done(worker_t *w, slot_t *s);
/* A retry this worker scheduled for unix ms `due` (see retries_due). */
void worker_retry_scheduled(worker_t *w, int64_t due);
slot_t *worker_find_slot(worker_t *w, const char *container_id);
/* A slot for a job this worker holds; launches it, or adopts it. */
int worker_add_slot(worker_t *w, whost_t *h, job_t *job, bool adopt);
whost_t *worker_find_host(worker_t *w, const char *name);
/* worker/schedules.c: waits for the threads that cancel replaced jobs. */
void worker_replacers_join(worker_t *w);
/* worker/schedules.c: fires the due schedules and sets next_sched_mono. */
void worker_fire_schedules(worker_t *w, int64_t now_mono);
/* worker/service.c: the service manager's notifications (see there). */
void service_start(void);
void service_ready(worker_t *w);
/* The watchdog ping when due, and STATUS= (at most once a second, when it
 * changed); w may be NULL before the worker has hosts. */
void service_tick(worker_t *w, int64_t now);
void service_reloading(void);
void service_reloaded(worker_t *w);
void service_stopping(worker_t *w);
/* WAKE, or sooner when the watchdog ping or the STATUS= check is due. */
int64_t service_next_wake(int64_t wake);
/* worker/reconcile.c */
/* Takes over jobs whose worker died or whose lease ran out, and removes
 * containers of this store that no live job owns (sweep), on healthy hosts. */
void reconcile_jobs(worker_t *w);
void reconcile_sweep(whost_t *h);
/* A new worker id, "machine:pid:random". */
int worker_id_make(char *buf, size_t size);
/* This machine's hostname, as ids and the registry show it. */
void worker_machine_name(char *buf, size_t size);

#define LEASE_MS (60 * 1000)

#endif
