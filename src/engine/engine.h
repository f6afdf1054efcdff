/*
 * engine/engine.h: container engines. The only code that speaks HTTP and JSON.
 *
 * The Docker Engine API (Podman speaks the same) over a unix socket, plain
 * TCP, or TCP with TLS, through libcurl's multi interface: every request is
 * asynchronous, many are in flight at once, and engine_loop_run() drives
 * them all and calls each request's callback once, when it ends. Nothing
 * here blocks except engine_loop_run() and the engine_sync_*() helpers.
 *
 * Callbacks receive an engine_status_t; its `error` is a one-line message
 * for people that names the engine's address. Pointers handed to a callback
 * are valid only during the call. A callback may start new requests.
 */
#ifndef CJOBS_ENGINE_ENGINE_H
#define CJOBS_ENGINE_ENGINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/job.h" /* job_output_t */

typedef struct engine_loop engine_loop_t;
typedef struct engine engine_t;
typedef struct engine_events engine_events_t;

typedef struct {
	const char *url;          /* unix:///path, tcp://host:port, or mock:// (mock.c) */
	const char *tls_ca;       /* with tls_cert/tls_key: use TLS over tcp:// */
	const char *tls_cert;
	const char *tls_key;
	bool tls_verify;          /* verify the engine's certificate (default) */
	long connect_timeout_ms;  /* 0: 10 s */
	long request_timeout_ms;  /* 0: 60 s; not applied to streams (events, logs) */
} engine_config_t;

typedef struct {
	bool ok;                  /* the request did what it asked */
	int http_status;          /* 0 when no HTTP answer came */
	bool not_found;           /* 404: no such container or image */
	bool conflict;            /* 409 (or Podman's 500 of the same meaning) */
	bool unreachable;         /* could not connect, or connection lost */
	bool timed_out;
	const char *error;        /* NULL when ok */
} engine_status_t;

/* ---- the loop ---- */
engine_loop_t *engine_loop_new(void);
/* Aborts every request still in flight, without calling their callbacks. */
void engine_loop_free(engine_loop_t *loop);
/* Runs transfers and calls the callbacks of those that end. Waits at most
 * timeout_ms for something to happen; returns early when any of wake_fds
 * (n_wake may be 0) is readable. Returns the number of requests still in
 * flight, or -1 on a failure of the loop itself. */
int engine_loop_run(engine_loop_t *loop, int timeout_ms, const int *wake_fds, int n_wake);

/* Calls begin(ud) before and end(ud) after each batch of callbacks that
 * engine_loop_run hands out (only when there is at least one), e.g. to
 * make all the store writes of a batch one transaction. Requests started
 * by those callbacks go out only after end(ud) returns. NULL: none. */
void engine_loop_set_batch(engine_loop_t *loop, void (*begin)(void *ud), void (*end)(void *ud),
			   void *ud);

/* ---- one engine ---- */
/* Checks the configuration (URL form, readable TLS files); connects nothing. */
int engine_new(engine_loop_t *loop, const engine_config_t *cfg, engine_t **out, char **err);
/* Aborts this engine's requests and event streams without callbacks. */
void engine_free(engine_t *e);
const char *engine_url(const engine_t *e);

typedef void (*engine_done_fn)(void *ud, const engine_status_t *st);

typedef struct {
	const char *version;       /* engine version, e.g. "20.10.24" */
	const char *api_version;   /* API version in use, e.g. "1.41" */
	const char *os;
	int64_t containers_running;
	int64_t cpus;
	int64_t memory_bytes;
} engine_info_t;
typedef void (*engine_info_fn)(void *ud, const engine_status_t *st, const engine_info_t *info);
/* Pings, negotiates the API version (the lower of ours and the engine's),
 * and reads /version and /info. */
void engine_info(engine_t *e, engine_info_fn cb, void *ud);

typedef struct {
	const char *name;          /* container name */
	const char *image;
	char *const *argv;         /* NULL-terminated; NULL or empty: the image's */
	char *const *env;          /* KEY=VALUE, NULL-terminated, may be NULL */
	const char *workdir;       /* NULL: the image's */
	int64_t memory_bytes;      /* 0: no limit */
	int64_t nano_cpus;         /* 0: no limit */
	const char *network_mode;  /* NULL: the engine's default */
	char *const *labels;       /* "key=value", NULL-terminated; win over ctr's */
	const job_container_t *ctr;/* mounts, user, capabilities, ...; NULL: none */
} engine_spec_t;
typedef void (*engine_created_fn)(void *ud, const engine_status_t *st, const char *id);
/* POST /containers/create?name=. A 404 means the image is missing
 * (st->not_found); 409 (Podman: 500 "that name is already in use") that
 * the name is taken (st->conflict). */
void engine_create(engine_t *e, const engine_spec_t *spec, engine_created_fn cb, void *ud);
void engine_start(engine_t *e, const char *id, engine_done_fn cb, void *ud);
/* Sends a signal ("KILL", "TERM"). */
void engine_kill(engine_t *e, const char *id, const char *signal, engine_done_fn cb, void *ud);
/* Stops with a grace period in seconds, then the engine kills. */
void engine_stop(engine_t *e, const char *id, int grace_s, engine_done_fn cb, void *ud);
/* DELETE /containers/ID?force=1&v=1. A missing container is ok. */
void engine_remove(engine_t *e, const char *id, engine_done_fn cb, void *ud);
/* Pulls image (name[:tag]); the callback reports the pull's own error.
 * registry_auth: the X-Registry-Auth value (engine/registry_auth.h), or
 * NULL to pull without credentials. A registry that refuses them shows as
 * an error retry_auth_refused() (core/retry.h) recognizes. */
void engine_pull(engine_t *e, const char *image, const char *registry_auth, engine_done_fn cb,
		 void *ud);

typedef struct {
	const char *id;
	const char *name;          /* without the leading slash */
	const char *state;         /* created, running, exited, dead, ... */
	bool running;
	bool oom_killed;
	int exit_code;
	const char *error;         /* the engine's error for the container, or "" */
	int64_t started_at;        /* unix ms, 0 if never */
	int64_t finished_at;
	const char *label_job;     /* cjobs.job, cjobs.attempt, cjobs.store */
	const char *label_attempt;
	const char *label_store;
} engine_container_t;
typedef void (*engine_inspect_fn)(void *ud, const engine_status_t *st,
				  const engine_container_t *c);
void engine_inspect(engine_t *e, const char *id, engine_inspect_fn cb, void *ud);

typedef void (*engine_list_fn)(void *ud, const engine_status_t *st,
			       const engine_container_t *list, size_t n);
/* Every container (running or not) that carries the label key (with
 * value, when value is not NULL). Only id, name, state, running and the
 * labels are filled. */
void engine_list(engine_t *e, const char *label_key, const char *label_value,
		 engine_list_fn cb, void *ud);

/* Fetches both streams of a container's log, demultiplexed, keeping at most
 * cap bytes of each (the rest is counted, then dropped: memory stays flat
 * whatever the container printed). Ownership of out/err data passes to the
 * callback (it must free or keep them). */
typedef void (*engine_logs_fn)(void *ud, const engine_status_t *st,
			       job_output_t *out, job_output_t *err);
void engine_logs(engine_t *e, const char *id, size_t cap, engine_logs_fn cb, void *ud);
/* Follows a container's log: what it wrote so far, then what it writes, in
 * order, piece by piece to on_chunk (stream 1 stdout, 2 stderr; the bytes
 * are the callee's only during the call), until the container stops (done
 * with ok) or the request fails or is aborted (engine_free, loop free). */
typedef void (*engine_chunk_fn)(void *ud, int stream, const char *data, size_t n);
typedef void (*engine_follow_done_fn)(void *ud, const engine_status_t *st);
void engine_logs_follow(engine_t *e, const char *id, engine_chunk_fn on_chunk,
			engine_follow_done_fn done, void *ud);

typedef struct {
	int64_t memory_bytes;      /* current usage; -1 if not reported */
	int64_t memory_peak_bytes; /* max usage so far; -1 if not reported */
	int64_t cpu_total_ns;      /* cumulative CPU time; -1 if not reported */
} engine_stats_t;
typedef void (*engine_stats_fn)(void *ud, const engine_status_t *st, const engine_stats_t *s);
/* One sample (stream=false). */
void engine_stats(engine_t *e, const char *id, engine_stats_fn cb, void *ud);

/* ---- the event stream ---- */
typedef struct {
	const char *action;        /* "die", "start", "oom", ... */
	const char *id;            /* container id */
	int exit_code;             /* for "die"; -1 otherwise */
	const char *label_job;
	const char *label_attempt;
	const char *label_store;
	int64_t time_ns;
} engine_event_t;
typedef void (*engine_event_fn)(void *ud, const engine_event_t *ev);
/* Opens GET /events for container events carrying label_key (and value
 * when not NULL), from `since_ns` (unix ns; 0 = now) on. on_event is called
 * for each event; on_end once when the stream ends or fails (the caller
 * re-opens it with since_ns = the last event's time to miss nothing). The
 * returned handle is freed by engine_events_close, which does not call
 * on_end; after on_end it must still be closed. */
engine_events_t *engine_events_open(engine_t *e, const char *label_key, const char *label_value,
				    int64_t since_ns, engine_event_fn on_event,
				    engine_done_fn on_end, void *ud);
void engine_events_close(engine_events_t *ev);

/* ---- synchronous helpers for commands (run a private loop) ---- */
/* Runs `loop` until *done is true or timeout_ms passes (0: no limit).
 * Returns 0 if done, -1 on timeout. */
int engine_loop_until(engine_loop_t *loop, const bool *done, long timeout_ms);

/* ---- semantics the declarations above leave open (engine work) ----
 *
 * Version ping: the first request of an engine (any operation, on a fresh
 * engine_t) first sends GET /_ping; requests made meanwhile wait for it
 * and then go out with /v<version> (the lower of the engine's and 1.41).
 * If the ping fails, each waiting request fails with the ping's status
 * (e.g. unreachable, "cannot connect to engine URL: ..."), and the next
 * request pings again. engine_info always pings afresh.
 *
 * When callbacks run: only inside engine_loop_run (and so
 * engine_loop_until), never inside the call that started the request,
 * with one exception: if not even the request object can be allocated
 * (or the engine's loop was freed), the callback is called at once, from
 * inside that call, with error "out of memory" (or "engine: used after its
 * loop was freed"). A callback may start requests, open and close event
 * streams and free any engine, its own included; it must not call
 * engine_loop_run / engine_loop_until (they return -1) nor
 * engine_loop_free. Single-threaded: one loop and its engines belong to
 * one thread.
 *
 * Freeing: engine_free aborts the engine's requests and event streams
 * without calling any callback; the event handles stay valid but dead
 * and must still be closed with engine_events_close (before or after
 * engine_free). engine_loop_free aborts every engine's requests and
 * detaches the engines; each must still be freed with engine_free, and a
 * request started on it afterwards fails at once as said above.
 *
 * Statuses: `error` always names the engine URL. ok is true only for a
 * 2xx answer, plus: engine_remove of a missing container (ok, with
 * not_found still set), engine_start of a started container and
 * engine_stop of a stopped one (HTTP 304). engine_kill of a container that
 * is not running gives ok=false, conflict=true (HTTP 409; Podman's
 * HTTP 500 "can only kill running containers" too). unreachable
 * means no usable connection (refused, missing socket, TLS failure, or
 * the connection broke); timed_out may come with it (no connection within
 * connect_timeout_ms) or alone (no answer within request_timeout_ms;
 * engine_stop adds its grace period to that limit).
 *
 * engine_logs: on success out and err are never NULL; each ->data is a
 * malloc'd buffer (NUL-terminated after len bytes, possibly empty) that
 * the callback owns: job_output_free() it or keep it. On failure both are
 * NULL. A log stream that is not multiplexed (a TTY container), or that
 * carries an engine error frame, fails with a message saying so.
 *
 * engine_list: exit_code is -1, started_at/finished_at 0 and error "".
 * Labels absent on a container or event are NULL. engine_info's os is
 * the engine's OperatingSystem ("Debian GNU/Linux 12 (bookworm)"), else
 * its Os ("linux").
 *
 * engine_events_open returns NULL only when out of memory (nothing is
 * called then). A line of the stream over 1 MiB, or one that is not a
 * JSON event, is skipped. on_end's status is ok when the engine ended the
 * stream itself. Dead TCP peers are found by TCP keepalive (events) and a
 * 1 byte/s floor over 5 minutes (logs, pull); there is no total timeout.
 *
 * engine_loop_until also returns -1 at once when nothing is in flight and
 * *done is still false (no callback is left that could set it).
 */

#endif
