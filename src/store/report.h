/*
 * store/report.h: the aggregate queries behind `manage-jobs status`,
 * `manage-jobs report` and `manage-jobs cleanup`: counts per status and per
 * host, queue depth, jobs running now, wait and run time statistics, and
 * the batched removal of old finished jobs.
 *
 * Like store.h, every function returns 0 or -1 with a one-line message in
 * *err. The readers never write; the cleanup functions only ever remove
 * jobs in a final status (completed, failed, timeout, cancelled), never one
 * that is queued, launching or running, whatever ids they are given.
 */
#ifndef CJOBS_STORE_REPORT_H
#define CJOBS_STORE_REPORT_H

#include "store/store.h"

/* ---- status: what the store holds now ---- */

/* Jobs of one host. The host a job belongs to: a queued job, the host it
 * is pinned to (NULL: any host); any other job, the host it last ran on,
 * else its pinned host, else NULL. */
typedef struct {
	char *host;                        /* NULL: none (see above) */
	int64_t counts[JOB_STATUS_COUNT];
	int64_t total;
	int64_t ready;                     /* queued and ready to run now */
	int64_t scheduled;                 /* queued with a start time still to come */
	int64_t waiting;                   /* queued, held by dependencies not yet met */
} store_host_counts_t;

/* A job that is launching or running. */
typedef struct {
	int64_t id;
	job_status_t status;
	char *name;
	char *image;
	char *host;                        /* ran_on; NULL if not placed yet */
	char *container_id;
	char *worker_id;                   /* the worker that holds it */
	int64_t queued_at, started_at;     /* started_at 0 while launching */
	int64_t memory_limit_bytes;        /* 0: none */
	int64_t nano_cpus;                 /* 0: none */
	int64_t peak_memory_bytes;         /* -1: not recorded */
	int64_t cpu_usage_ns;              /* -1: not recorded */
} store_active_job_t;

typedef struct {
	int64_t counts[JOB_STATUS_COUNT];  /* sums of hosts[] */
	int64_t total;
	int64_t ready, scheduled;
	int64_t waiting;                   /* queued, held by dependencies (job_deps) */
	int64_t next_at;                   /* soonest start time still to come; 0: none */
	int64_t oldest_id;                 /* oldest ready queued job (by queued_at); 0: none */
	int64_t oldest_queued_at;
	store_host_counts_t *hosts;        /* ordered by host name, NULL last */
	size_t nhosts;
	store_active_job_t *active;        /* ordered by id */
	size_t nactive;
} store_status_t;

/* The status at `now`, read in one snapshot. With host, only jobs pinned to
 * or run on that host (as `job list --host`). */
int store_status(store_t *s, const char *host, int64_t now, store_status_t *out, char **err);
void store_status_free(store_status_t *st);

/* ---- report: statistics over a period ---- */

/* Distribution of one measure over the jobs that have it. */
typedef struct {
	int64_t n;          /* how many jobs had a value; 0: the rest is meaningless */
	double avg;
	double median;      /* the middle value (mean of the two middle ones) */
	int64_t p95;        /* 95th percentile, nearest rank */
	int64_t max;
} store_stat_t;

typedef struct {
	char *key;                         /* host or image; NULL: none */
	int64_t counts[JOB_STATUS_COUNT];
	int64_t total;
	store_stat_t wait_ms;              /* started_at - queued_at */
	store_stat_t run_ms;               /* finished_at - started_at */
	store_stat_t memory;               /* peak_memory_bytes */
	store_stat_t cpu_ns;               /* cpu_usage_ns */
} store_report_row_t;

typedef struct {
	store_report_row_t all;
	store_report_row_t *hosts;         /* ordered by key, NULL last */
	size_t nhosts;
	store_report_row_t *images;
	size_t nimages;
} store_report_t;

/* Jobs whose finish time (or, unfinished, creation time) lies in
 * [since, until); with host, only jobs pinned to or run on it. Hosts are
 * grouped as store_host_counts_t says. */
int store_report(store_t *s, int64_t since, int64_t until, const char *host,
		 store_report_t *out, char **err);
void store_report_free(store_report_t *r);

/* ---- cleanup ---- */

/* The ids (ascending) of the jobs in a final status that finished before
 * `before` (a job without a finish time counts from its creation), and the
 * bytes of captured output they hold. It also readies the connection for
 * the batches of deletes that follow: a 64 MiB page cache and a WAL
 * checkpoint every 64 MiB, for the rest of the connection's life. */
int store_cleanup_list(store_t *s, int64_t before, int64_t **ids, size_t *n,
		       int64_t *output_bytes, char **err);

typedef struct {
	int64_t jobs;
	int64_t history;   /* history rows */
	int64_t outputs;   /* captured-output rows (one per stream and attempt) */
	int64_t bytes;     /* bytes of captured output */
} store_cleanup_counts_t;

/* Removes, in one transaction, those of ids[0..n) that are still in a
 * final status and finished before `before`, with their history and
 * output; adds what went to *removed. At most STORE_CLEANUP_BATCH ids. */
#define STORE_CLEANUP_BATCH 1000
int store_cleanup_delete(store_t *s, const int64_t *ids, size_t n, int64_t before,
			 store_cleanup_counts_t *removed, char **err);

#endif
