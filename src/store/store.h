/*
 * store/store.h: the job store. The only interface that holds SQL behind it.
 *
 * Every function returns 0 on success and -1 on failure, with a one-line
 * message that says what went wrong in *err (malloc'd; the caller frees it),
 * unless noted. A failed call leaves the database exactly as it was: every
 * write happens in a transaction that is rolled back on any error.
 *
 * Times are unix milliseconds. Status changes go through store_job_move(),
 * which checks job_can_move(), compares-and-sets the current status, and
 * appends the history row in the same transaction.
 */
#ifndef CJOBS_STORE_STORE_H
#define CJOBS_STORE_STORE_H

#include "core/deps.h"
#include "core/job.h"

typedef struct store store_t;

/* Opens the store that path names (store/dburl.h says how a name is read):
 * an SQLite file, created mode 0600 in an existing directory, in WAL mode
 * with a busy timeout; or a PostgreSQL database (a postgresql:// URL or a
 * libpq keyword string), which must exist. Applies pending migrations
 * unless migrate is false. */
int store_open(const char *path, bool migrate, store_t **out, char **err);
/* store_open, also making an SQLite file's missing parent directories
 * (0700): for the default path only, since a directory missing from a
 * path someone wrote is more likely a typo than a wish for a new, empty
 * store. */
int store_open_making_dirs(const char *path, bool migrate, store_t **out, char **err);
/* True when path names an existing SQLite store this process cannot
 * write: a read-only file system, or no write permission on the file or
 * its directory. Commands that only read then use store_open_read_only. */
bool store_unwritable(const char *path);
/* Opens an existing SQLite store for reading only (its file is never
 * written, its log is not made); refused when the store needs a
 * migration, which needs writing. */
int store_open_read_only(const char *path, store_t **out, char **err);
void store_close(store_t *s);

/* The store's own random id, made at creation (containers carry it in the
 * cjobs.store label). "" for a store opened with migrate=false whose first
 * migration has not been applied yet. */
const char *store_id(const store_t *s);
/* The store's name as people may see it: the file, or the server's
 * connection string without its password. */
const char *store_path(const store_t *s);
/* True for a store in a local file (SQLite). */
bool store_is_file(const store_t *s);
/* Watching for other processes' commits: *fd becomes readable when one
 * may have happened (an SQLite file's directory changed; a PostgreSQL
 * notification came: every writing transaction sends one with its
 * commit). The store owns the fd. store_changed reads what came and
 * answers whether anything did since the last call. Ask it before waiting
 * on the fd too, not only after: on PostgreSQL a notification that came
 * while one of the store's own statements ran has already been read off
 * the fd (it waits in the client library), and the fd stays quiet. */
int store_watch(store_t *s, int *fd, char **err);
/* True when the connection to the store was lost (a PostgreSQL server that
 * went away); every call fails until store_reconnect succeeds, which also
 * listens again when the store was watched (the fd may change: ask
 * store_watch again). Locks the connection held (a worker's liveness
 * lock) are gone: register again. An SQLite store is never lost. */
bool store_lost(store_t *s);
int store_reconnect(store_t *s, char **err);
bool store_changed(store_t *s);
/* The database the store is on, for people: "SQLite" or "PostgreSQL". */
const char *store_driver_name(const store_t *s);

/* Schema migrations. */
int store_schema_version(store_t *s, int *current, int *latest, char **err);
/* Names of pending migrations, NULL-terminated (caller frees with strv_free). */
int store_pending_migrations(store_t *s, char ***names, char **err);
int store_migrate(store_t *s, int *applied, char **err);

/* Transactions that callers may group several writes in (one loop turn of
 * the worker). Nested begin calls are counted; only the outermost commits.
 * The outermost begin takes the write lock at once (BEGIN IMMEDIATE; waits
 * up to 5 s for another process), so keep these transactions short. Inner
 * levels are savepoints: a store call that fails inside a caller's
 * transaction undoes only its own writes, and the caller may still commit
 * the rest or roll everything back. The one exception is
 * store_job_add_many, which says so. store_close() rolls back whatever is
 * still open. A store_t is for one thread at a time, and must not be used
 * across fork(): open a new one in the child. */
int store_begin(store_t *s, char **err);
/* store_begin for a transaction that may well write nothing (a worker's
 * loop turn): its BEGIN, and with it the write lock, waits for the first
 * statement inside it, so an empty one costs no round trip and keeps no
 * other writer waiting. A BEGIN that then fails fails that statement; the
 * next statement tries it again. Inside an open transaction it is
 * store_begin. */
int store_begin_deferred(store_t *s, char **err);
/* store_begin_deferred for a worker that records what happened to the jobs
 * it holds: moves, output, containers, leases and takeovers, each write
 * checking in its own WHERE that the row is still as the worker knew it
 * (compare-and-set). Where the database allows it (PostgreSQL) several
 * recorders hold the write lock together, so that workers on many
 * machines record side by side; never beside a claim or any other writer,
 * which still take it alone. A claim inside one is refused: choosing jobs
 * reads before it writes. Inside an open transaction it is store_begin. */
int store_begin_recording(store_t *s, char **err);
/* Marks a long-running writer (a worker, a cleanup): before it closes, it
 * copies what is left of the write-ahead log into the store file, without
 * blocking anyone, so that a short command that happens to close last (and
 * then copies the rest under an exclusive lock) finds little to do. */
void store_long_writer(store_t *s);
int store_commit(store_t *s, char **err);
/* A read snapshot: the reads between these agree with each other (no
 * commit of another process shows half-way), whatever store calls make
 * them. Inside an open transaction that transaction is the snapshot (*own
 * false). Only reads go inside one. store_read_end ends one
 * store_read_begin began. */
int store_read_begin(store_t *s, bool *own, char **err);
void store_read_end(store_t *s, bool own);
void store_rollback(store_t *s);

/* ---- executor hosts ---- */
/* Inserts host (name must be unique); sets host->id and created_at. */
int store_host_add(store_t *s, host_t *host, char **err);
/* Loads by name. Returns 0 found, 1 not found (no *err), -1 error. */
int store_host_get(store_t *s, const char *name, host_t *out, char **err);
/* All hosts ordered by name; *out is an array of *n hosts. */
int store_host_list(store_t *s, host_t **out, size_t *n, char **err);
void store_host_list_free(host_t *hosts, size_t n);
/* Writes every field of host (matched by host->name). 1 if not found. */
int store_host_update(store_t *s, const host_t *host, char **err);
/* Removes a host. Refuses (returns -1, err says why) while jobs that are
 * queued and pinned to it, launching or running on it exist. 1 if absent. */
int store_host_remove(store_t *s, const char *name, char **err);
int store_host_count(store_t *s, int64_t *n, char **err);
/* Records a health-check result (checked_at = now). -1 if there is no such
 * host. */
int store_host_checked(store_t *s, const char *name, bool ok, const char *message,
		       char **err);

/* ---- environment templates ---- */
int store_template_add(store_t *s, env_template_t *t, char **err);
/* 0 found, 1 not found, -1 error. */
int store_template_get(store_t *s, const char *name, env_template_t *out, char **err);
int store_template_list(store_t *s, env_template_t **out, size_t *n, char **err);
void store_template_list_free(env_template_t *t, size_t n);
/* 1 if absent. */
int store_template_remove(store_t *s, const char *name, char **err);

/* ---- jobs ---- */
/* Inserts a new queued job: sets id, uuid (if empty), created_at, queued_at,
 * status = JOB_QUEUED and writes the creation history row (actor, reason). */
int store_job_add(store_t *s, job_t *job, const char *actor, const char *reason,
		  char **err);
/* Adds many queued jobs in one transaction (all or none): jobs[0..n), or
 * `copies` copies of jobs[0] when copies > 0, each with a new uuid and its
 * creation history row. order (NULL: the jobs' own) is the order in which
 * they are stored and numbered: order[k] is the index of the k-th. ids[]
 * (room for all) gets their ids in the jobs' order. The jobs themselves
 * are not changed. Inside a caller's transaction it opens no savepoint
 * (around many inserts into a large store one would make each insert
 * slower than the last): when it fails there, the caller's transaction
 * cannot commit any more (store_commit rolls it back). */
int store_job_add_many(store_t *s, const job_t *jobs, size_t n, int64_t copies,
		       const size_t *order, const char *actor, const char *reason, int64_t *ids,
		       char **err);
/* 0 found, 1 not found, -1 error. */
int store_job_get(store_t *s, int64_t id, job_t *out, char **err);

typedef struct {
	int status_mask;       /* bit (1 << status); 0 = every status */
	const char *host;      /* pinned to or ran on this host; NULL = any */
	int64_t limit;         /* 0 = no limit */
	bool newest_first;
	const char *name;      /* exactly this name; NULL = any */
	const char *image;     /* exactly this image; NULL = any */
	int64_t created_from;  /* created at or after (unix ms); 0 = any */
	int64_t created_before;/* created before (unix ms); 0 = any */
	int64_t below_id;      /* ids below this one only (pages); 0 = any */
	bool waiting;          /* only queued jobs held by dependencies */
	int64_t schedule_id;   /* made by this schedule only; 0 = any */
	/* Read only the members of a job's summary (render_job_summary_text
	 * writes them); the others keep job_init's values. */
	bool summary;
} job_filter_t;
int store_job_list(store_t *s, const job_filter_t *f, job_t **out, size_t *n,
		   char **err);
/* The same jobs one at a time, for lists too long to hold: fn gets each
 * (its to job_free) from one statement; a non-zero return of fn
 * ends the walk with that value. */
typedef int (*store_job_fn)(job_t *job, void *arg, char **err);
int store_job_each(store_t *s, const job_filter_t *f, store_job_fn fn, void *arg, char **err);
void store_job_list_free(job_t *jobs, size_t n);
/* Number of jobs per status, indexed by job_status_t. */
int store_job_counts(store_t *s, int64_t counts[JOB_STATUS_COUNT], char **err);

/* Changes fields that the status change carries, in one transaction with the
 * history row. Only the fields named by the JOB_SET_* bits in set are
 * written, from job. Returns 0 on success, 1 when the job's status in the
 * store is no longer `from` (someone else moved it; nothing written) or its
 * host (ran_on, else host) is not the one job gives, -1 on error (including
 * an illegal change, which is never written). */
enum {
	JOB_SET_ATTEMPT = 1 << 0,
	JOB_SET_EXIT_CODE = 1 << 1,     /* has_exit_code and exit_code */
	JOB_SET_STARTED_AT = 1 << 2,
	JOB_SET_FINISHED_AT = 1 << 3,
	JOB_SET_QUEUED_AT = 1 << 4,
	JOB_SET_RESOURCES = 1 << 5,     /* peak_memory_bytes, cpu_usage_ns */
	JOB_SET_LAST_ERROR = 1 << 6,
	JOB_SET_CONTAINER = 1 << 7,     /* container_name, container_id */
	JOB_SET_RAN_ON = 1 << 8,
	JOB_SET_LEASE = 1 << 9,         /* worker_id, lease_until */
	JOB_SET_LIMITS = 1 << 10,       /* timeout_s, memory_bytes, nano_cpus, priority */
	JOB_SET_NOT_BEFORE = 1 << 11,
};
int store_job_move(store_t *s, const job_t *job, job_status_t from, job_status_t to,
		   unsigned set, const char *actor, const char *reason, char **err);
/* store_job_move returns -1 (not 1) when the job does not exist at all; the
 * history row's attempt is job->attempt. */
/* Two moves in one write: from -> via -> to, both history rows (the first at
 * job->started_at when set), the row written once. For a container whose
 * end the worker learned before it recorded its start. Same returns. */
int store_job_move_via(store_t *s, const job_t *job, job_status_t from, job_status_t via,
		       job_status_t to, unsigned set, const char *actor, const char *via_reason,
		       const char *reason, char **err);
/* Writes the fields named in set without a status change (no history row);
 * e.g. the container id once it is known, a renewed lease, peak memory.
 * -1 when the job does not exist. */
int store_job_update(store_t *s, const job_t *job, unsigned set, char **err);

/* Extends a worker's lease on a job it holds. Returns 1 (nothing written)
 * when the job is no longer launching or running for that worker, e.g.
 * because it was cancelled meanwhile. */
int store_job_renew_lease(store_t *s, int64_t id, const char *worker_id, int64_t lease_until,
			  char **err);
/* Takes over a launching or running job from a worker that died or whose
 * lease ran out: sets worker_id and lease_until only if the job still has
 * the status, worker and lease it was read with (compare and set), so of
 * several workers trying at once exactly one wins. 1 when it lost. */
int store_job_take_over(store_t *s, const job_t *job, const char *old_worker,
			int64_t old_lease, const char *worker_id, int64_t lease_until, char **err);
/* Claims up to max ready jobs for a worker: status queued, not_before <= now,
 * and with run_on no more than the room that host's max_jobs leaves beside
 * the jobs launching or running there (by any worker),
 * pinned host NULL or one of hosts[] (NULL-terminated; NULL = any host),
 * ordered by priority (high first) then id. Each claimed job is moved to
 * JOB_LAUNCHING with worker_id/lease_until set and attempt incremented, with
 * a history row, all in one transaction; two workers never claim the same
 * job. With run_on (the host the worker will run them on), each job's
 * ran_on is set to it and its container is named, container_id cleared:
 * the container's name is "cjobs-UUID-ATTEMPT". *out gets the claimed jobs
 * (full records). */
int store_job_claim(store_t *s, const char *worker_id, int64_t lease_until,
		    char *const *hosts, const char *run_on, int max, job_t **out, size_t *n,
		    char **err);
/* A host a worker could claim a job for: its name and weight (host add
 * --weight, at least 1). */
typedef struct {
	const char *name;
	int weight;
} store_claim_host_t;
/* Claims one ready job for the least loaded of hosts[0..nhosts), as
 * store_job_claim with run_on does for one host. The choice is made inside
 * the claim's transaction, under the writers' lock, from what every worker
 * runs: a host's load is its jobs launching or running (by any worker)
 * divided by its weight; the least loaded is tried first (the earlier in
 * hosts[] on a tie), a host whose max_jobs is reached is passed over, and
 * so is one no ready job may run on (each is pinned to another host), the
 * next tried instead. So weights and limits hold across workers. *picked
 * gets the index of the host the job is for; *n is 0 when no host had one. */
int store_job_claim_spread(store_t *s, const char *worker_id, int64_t lease_until,
			   const store_claim_host_t *hosts, size_t nhosts, job_t **out, size_t *n,
			   size_t *picked, char **err);
/* Number of queued jobs that are ready now (optionally for the given hosts),
 * counted up to cap (a count of a long queue then reads only cap rows of
 * it; 0 counts them all), and the soonest not_before among the queued ones not ready
 * yet (0 if none). */
int store_job_ready_count(store_t *s, char *const *hosts, int64_t now, int64_t cap,
			  int64_t *ready, int64_t *next_at, char **err);
/* Jobs currently launching or running on a host (by ran_on). */
int store_job_active_on(store_t *s, const char *host, int64_t *n, char **err);

/* Removes one job with its history and output. Only a job in a final status
 * may go (a launching or running job may still have a container; cancel a
 * queued one first). 1 if there is no such job. */
int store_job_delete(store_t *s, int64_t id, char **err);

/* ---- dependencies (deps.c) ---- */
/* A job's status, read so that (on PostgreSQL) it cannot change until the
 * open transaction ends: what a new edge to it is decided on. 1 when there
 * is no such job. */
int store_dep_status(store_t *s, int64_t id, job_status_t *status, char **err);
/* One edge: job_id waits for after_id. A job submitted with edges has its
 * waiting_on set to the number of those still waiting. */
typedef struct {
	int64_t job_id, after_id;
	dep_cond_t cond;
	dep_state_t state;
} store_dep_edge_t;
/* Inserts edges inside the caller's transaction. */
int store_deps_add(store_t *s, const store_dep_edge_t *edges, size_t n, char **err);
/* One side of an edge as `job show` lists it: the other job, its status. */
typedef struct {
	int64_t id;
	dep_cond_t cond;
	dep_state_t state;
	job_status_t status;
} store_dep_t;
void store_deps_free(store_dep_t *v, size_t n);
/* Every unfinished job that waits, directly or not, for job id: nearest
 * first, each once, without id itself. */
int store_deps_closure(store_t *s, int64_t id, int64_t **out, size_t *n, char **err);

/* ---- workers ---- */
/* A worker as the store knows it. alive is judged when read: registered,
 * not stopped, its heartbeat lease still running and its liveness lock
 * held (see store/workers.c). */
typedef struct {
	char *id;             /* worker id (worker_id_make) */
	char *machine;        /* the hostname it ran on, for people */
	int64_t pid;          /* its process id there, for people only */
	int64_t started_at, heartbeat_at, lease_until, stopped_at; /* unix ms; 0 = none */
	char *hosts;          /* names of the hosts it serves, space separated */
	int64_t jobs_held;    /* jobs launching or running under its id */
	bool alive;
} store_worker_t;
/* Registers (or registers again) a worker and takes its liveness lock,
 * held until store_worker_stop or the end of the process (or, on
 * PostgreSQL, of its connection). */
int store_worker_register(store_t *s, const store_worker_t *w, char **err);
/* Renews the heartbeat lease. 1 when the worker is not registered (or
 * stopped). */
int store_worker_heartbeat(store_t *s, const char *id, int64_t now, int64_t lease_until,
			   const char *hosts, char **err);
/* Records a clean stop (dead from now on) and lets the lock go. */
int store_worker_stop(store_t *s, const char *id, char **err);
/* Every worker ever registered and not yet pruned, oldest first. */
int store_worker_list(store_t *s, int64_t now, store_worker_t **out, size_t *n, char **err);
void store_worker_list_free(store_worker_t *v, size_t n);
void store_worker_free(store_worker_t *w);
/* 1 when the worker is known dead (it stopped, its lease ran out or its
 * liveness lock is free), 0 when alive or never registered (then only a
 * job's own lease tells), -1 on error. */
int store_worker_dead(store_t *s, const char *id, int64_t now, char **err);

/* ---- captured output ---- */
typedef enum { JOB_STDOUT = 1, JOB_STDERR = 2 } job_stream_t;
/* Stores (replaces) the output of one stream of one attempt. */
int store_output_put(store_t *s, int64_t job_id, int attempt, job_stream_t stream,
		     const job_output_t *out, char **err);
/* Both streams of one attempt in one write (on a server, one round trip
 * instead of two): they are stored together or not at all. */
int store_output_put_both(store_t *s, int64_t job_id, int attempt, const job_output_t *out,
			  const job_output_t *errs, char **err);
/* The output of the given attempt (0 = latest: the latest attempt with any
 * stored output, so that both streams come from one attempt). 1 if there is
 * none. out->data is followed by a NUL not counted in len. store_output_put
 * refuses attempt < 1. */
int store_output_get(store_t *s, int64_t job_id, int attempt, job_stream_t stream,
		     job_output_t *out, char **err);

/* ---- API tokens (only their hashes are stored) ---- */
typedef struct {
	int64_t id;
	char *name;           /* unique, for people */
	char *scope;          /* "read", "submit" or "admin" */
	int64_t created_at;
	int64_t revoked_at;   /* 0 while valid */
} store_token_t;
/* Adds a token under its hash; sets id and created_at. A name in use is an
 * error that says so. */
int store_token_add(store_t *s, store_token_t *t, const char *hash, char **err);
/* The token with this hash, revoked or not: 0 found, 1 none, -1 error. */
int store_token_find(store_t *s, const char *hash, store_token_t *out, char **err);
/* Sends the read of store_token_find(s, hash) with the store's next
 * statement, in the same round trip, where the database is a server
 * (PostgreSQL); store_token_find then takes its answer. false on SQLite,
 * where a read costs no round trip, and when the read cannot be prepared
 * (store_token_find then reads alone and says why). */
bool store_token_find_ahead(store_t *s, const char *hash);
/* Whether store_token_find_ahead sends anything ahead on this store. */
bool store_reads_ahead(const store_t *s);
/* Every token, revoked ones included, by name. */
int store_token_list(store_t *s, store_token_t **out, size_t *n, char **err);
/* Marks the token revoked now. 1 when no unrevoked token has that name. */
int store_token_revoke(store_t *s, const char *name, char **err);
void store_token_free(store_token_t *t);
void store_token_list_free(store_token_t *v, size_t n);

/* The sizes of the latest attempt's stored output ([0] stdout, [1] stderr;
 * have false for a stream with none), without reading the bytes. */
typedef struct {
	bool have;
	int64_t kept, total;  /* bytes stored; bytes written in all */
	bool truncated;
} store_output_size_t;
int store_output_sizes(store_t *s, int64_t job_id, store_output_size_t sizes[2], char **err);

/* ---- history ---- */
int store_history(store_t *s, int64_t job_id, job_event_t **out, size_t *n, char **err);
void store_history_free(job_event_t *ev, size_t n);

/* ---- a job with everything job show says of it ---- */
typedef struct {
	job_event_t *history;
	size_t nhistory;
	store_output_size_t sizes[2];  /* stdout, stderr: store_output_sizes */
	store_dep_t *after, *before;   /* what it waits for, what waits for it; by id */
	size_t nafter, nbefore;
	/* The name of the schedule that made the job; NULL for none, or for
	 * a schedule removed since (job->schedule_id still says which). */
	char *schedule;
} store_job_detail_t;
/* The job's row (into *job, job_init'ed here) and its detail, read as one
 * snapshot: in one round trip on PostgreSQL. 1 when there is no such
 * job. */
int store_job_detail(store_t *s, int64_t id, job_t *job, store_job_detail_t *d, char **err);
void store_job_detail_free(store_job_detail_t *d);

#endif
