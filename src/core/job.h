/*
 * core/job.h: the job and executor-host records, and the job state machine.
 *
 * These are plain data shared by every layer. Nothing here knows about SQL,
 * HTTP or the command line. The legal status changes are defined once, in
 * job.c, and every layer that changes a job's status asks job_can_move()
 * first; the store refuses any other change.
 */
#ifndef CJOBS_CORE_JOB_H
#define CJOBS_CORE_JOB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/container.h"

/* Job statuses. The order is the order in which they are listed to people. */
typedef enum {
	JOB_QUEUED = 0,  /* waiting for a worker (possibly until not_before) */
	JOB_LAUNCHING,   /* claimed by a worker; container being created/started */
	JOB_RUNNING,     /* container started, not yet harvested */
	JOB_COMPLETED,   /* container exited 0 */
	JOB_FAILED,      /* non-zero exit, or could not be run */
	JOB_TIMEOUT,     /* killed after its time limit */
	JOB_CANCELLED,   /* cancelled by a person */
	JOB_STATUS_COUNT
} job_status_t;

/* Limits on job fields, shared by validation, help text and the store. */
#define JOB_PRIORITY_MIN (-1000)
#define JOB_PRIORITY_MAX 1000
#define JOB_MAX_RETRIES_MAX 100
#define JOB_TIMEOUT_MAX (7LL * 24 * 3600)     /* one week, in seconds */
#define JOB_NAME_MAX 200
#define JOB_IMAGE_MAX 512
#define JOB_WORKDIR_MAX 1024
#define JOB_ARG_MAX (64 * 1024)               /* one argv element */
#define JOB_ARGC_MAX 4096
#define JOB_ENV_MAX 4096                      /* entries */
#define JOB_ENV_ENTRY_MAX (64 * 1024)         /* bytes of one KEY=VALUE */
#define JOB_MEMORY_MIN (6LL * 1024 * 1024)     /* the engine refuses less */
#define JOB_MEMORY_MAX (1LL << 50)
#define JOB_CPUS_MAX_NANO (1024LL * 1000000000LL)

/* A timeout of this value means "use the worker's --timeout". */
#define JOB_TIMEOUT_DEFAULT (-1)

/* One dependency of a job being submitted (core/deps.h). */
typedef struct job_dep job_dep_t;

typedef struct {
	int64_t id;            /* small integer shown to people */
	char uuid[37];         /* used in container names and labels */
	char *name;            /* optional label given by the submitter */
	char *image;
	char **argv;           /* command; NULL-terminated; argc entries */
	size_t argc;
	char *workdir;         /* NULL: the image's own */
	char **env;            /* resolved KEY=VALUE list; NULL-terminated */
	size_t envc;
	char *template_name;   /* environment template it was built from */
	int64_t memory_bytes;  /* 0: no limit */
	int64_t nano_cpus;     /* 0: no limit; 1 CPU = 1e9 */
	int64_t timeout_s;     /* JOB_TIMEOUT_DEFAULT, 0 = none, else seconds */
	int priority;          /* higher runs first */
	int64_t not_before;    /* unix ms; 0 = at once */
	char *host;            /* pinned host name, or NULL for any */
	int max_retries;
	char *retry_strategy;  /* core/retry.h name; NULL = the default */
	char *retry_exit_codes;/* "any" or "1,75": exit codes worth a retry; NULL = none */
	job_container_t ctr;   /* mounts, user, capabilities, ... (core/container.h) */
	job_dep_t *after;      /* at submit: the jobs it waits for (core/deps.h) */
	size_t nafter;
	int waiting_on;        /* dependencies not yet met; queued but not ready while > 0 */

	job_status_t status;
	int attempt;           /* 0 before the first launch */
	bool has_exit_code;
	int exit_code;
	int64_t created_at;    /* unix ms; 0 = not yet */
	int64_t queued_at;
	int64_t started_at;
	int64_t finished_at;
	int64_t peak_memory_bytes; /* -1: not reported */
	int64_t cpu_usage_ns;      /* -1: not reported */
	char *last_error;
	char *container_name;
	char *container_id;
	char *ran_on;          /* name of the host of the last attempt */
	char *worker_id;       /* worker holding the job, while launching/running */
	int64_t lease_until;   /* unix ms; the worker's claim expires then */
	int64_t schedule_id;   /* the schedule that made it; 0 = none */
	int64_t due_at;        /* unix ms: the due time it was made for; 0 = none
	                        * (a schedule's job run by hand) */
} job_t;

/* The captured output of one stream of one attempt. */
typedef struct {
	char *data;            /* may hold any bytes; not NUL-terminated data */
	size_t len;
	bool truncated;        /* the container wrote more than was kept */
	int64_t total_bytes;   /* how much the container wrote in all */
} job_output_t;

/* One row of a job's append-only history. */
typedef struct {
	int64_t at;            /* unix ms */
	int attempt;
	job_status_t from;     /* JOB_STATUS_COUNT for the creation row */
	job_status_t to;
	char *actor;           /* "submit", "worker:<id>", "manage-jobs", ... */
	char *reason;
} job_event_t;

typedef struct {
	int64_t id;
	char *name;
	char *url;             /* unix:///path or tcp://host:port */
	char *tls_ca;          /* paths, or NULL */
	char *tls_cert;
	char *tls_key;
	bool tls_verify;
	int max_jobs;          /* concurrent jobs on this host */
	int weight;            /* routing weight, 1..1000 */
	bool pull_images;      /* pull an image the engine lacks */
	char *network_mode;    /* default network mode for containers */
	host_allow_t allow;    /* bind sources, capabilities, GPUs its jobs may have */
	bool enabled;
	int64_t created_at;
	int64_t checked_at;    /* last health check, unix ms; 0 = never */
	bool check_ok;
	char *check_message;
	char *registry_auth;     /* path of a Docker config.json with registry
	                        * credentials for its pulls, or NULL; never the
	                        * credentials themselves */
} host_t;

#define HOST_MAX_JOBS_MAX 10000
#define HOST_WEIGHT_MIN 1
#define HOST_WEIGHT_MAX 1000
#define HOST_NAME_MAX_LEN 64

typedef struct {
	int64_t id;
	char *name;
	char *description;
	char **env;            /* KEY=VALUE, NULL-terminated */
	size_t envc;
	int64_t created_at;
} env_template_t;

const char *job_status_name(job_status_t s);
/* Parses a status name; returns false if it is not one. */
bool job_status_parse(const char *name, job_status_t *out);
/* True for completed, failed, timeout, cancelled. */
bool job_status_is_final(job_status_t s);
/* The one definition of the legal status changes. */
bool job_can_move(job_status_t from, job_status_t to);

void job_init(job_t *job);      /* zero, with "unknown" markers set */
void job_free(job_t *job);      /* frees members, not the struct */
void job_output_free(job_output_t *out);
void job_event_free(job_event_t *ev);
void host_init(host_t *host);
void host_free(host_t *host);
void env_template_free(env_template_t *t);

/* Frees a NULL-terminated string vector and its strings. */
void strv_free(char **v);
/* Copies a NULL-terminated vector; NULL on allocation failure. */
char **strv_dup(char *const *v, size_t n);

#endif
