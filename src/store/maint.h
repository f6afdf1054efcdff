/*
 * store/maint.h: maintenance of the job store, for `cjobs db` and
 * `cjobs dev`: statistics, integrity and consistency checks, VACUUM, online
 * backups, and sample data.
 *
 * Like store.h, every function returns 0 on success and -1 on failure with
 * a one-line message in *err (malloc'd; the caller frees it), and a failed
 * write leaves the store as it was. This interface must never print, and
 * must never change a real job's status: the sample jobs it inserts are
 * new records, marked as samples, with history rows that agree with their
 * status.
 */
#ifndef CJOBS_STORE_MAINT_H
#define CJOBS_STORE_MAINT_H

#include "store/store.h"

/* ---- statistics ---- */
typedef struct {
	int schema, latest;             /* applied and known schema versions */
	int64_t file_bytes;             /* the database file */
	int64_t wal_bytes;              /* its -wal file (0 when absent) */
	int64_t page_size, page_count, freelist_count;
	int64_t jobs[JOB_STATUS_COUNT]; /* jobs per status */
	int64_t jobs_total;
	int64_t history_rows;
	int64_t output_rows;
	int64_t output_bytes;           /* bytes of captured output kept */
	int64_t hosts, templates;
} store_stats_t;
int store_stats(store_t *s, store_stats_t *out, char **err);

/* Bytes of the database file plus its -wal file, as the file system sees
 * them now. */
int store_file_bytes(store_t *s, int64_t *bytes, char **err);

/* ---- checks ---- */
typedef struct {
	int64_t job_id;   /* the job the problem is about; 0 when none */
	char *message;    /* one line, starting with "job N: " when job_id */
} store_problem_t;
/* SQLite's integrity_check, then consistency: jobs whose status contradicts
 * their times, final jobs still holding a worker lease, history and output
 * rows without their job. *out is an array of *n problems (none: *n = 0). */
int store_check(store_t *s, store_problem_t **out, size_t *n, char **err);
void store_problems_free(store_problem_t *p, size_t n);

/* ---- space ---- */
/* VACUUM (rewrites the whole file; takes the write lock meanwhile), then
 * a WAL checkpoint that truncates the -wal file. *before and *after get
 * store_file_bytes() around it. */
int store_vacuum(store_t *s, int64_t *before, int64_t *after, char **err);

/* ---- backup ---- */
/* Copies the store to dest with SQLite's online backup API, a few pages
 * at a time so that other processes keep writing meanwhile (a write made
 * during the copy restarts it). The copy is made in a temporary file
 * (mode 0600) next to dest and moved into place when complete, so dest
 * is never a partial copy. An existing dest is refused unless overwrite.
 * *bytes gets the size of the copy. progress (may be NULL) is called after
 * each step with the pages copied and the pages in all. */
typedef void (*store_progress_fn)(void *ud, int64_t done, int64_t total);
int store_backup(store_t *s, const char *dest, bool overwrite, int64_t *bytes,
		 store_progress_fn progress, void *ud, char **err);

/* ---- sample data (cjobs dev sample-data) ---- */
/* The actor of the history rows of sample jobs: what marks them. */
#define STORE_SAMPLE_ACTOR "dev sample-data"
/* Names of sample records start with this. */
#define STORE_SAMPLE_PREFIX "sample-"

/* Inserts one fully specified job in one transaction: every field of job
 * as given (status, attempt, exit code, times, resources, container, host,
 * lease), its history (creation, then each step a real job takes to reach
 * its status, at times consistent with its own, actor STORE_SAMPLE_ACTOR)
 * and, when attempt >= 1, the given output of that attempt (either may be
 * NULL). job->name must start with STORE_SAMPLE_PREFIX. Sets job->id and,
 * when empty, job->uuid. */
int store_sample_job_add(store_t *s, job_t *job, const job_output_t *out,
			 const job_output_t *errout, char **err);

typedef struct {
	int64_t jobs;       /* sample jobs (with their history and output) */
	int64_t hosts;      /* sample hosts */
	int64_t templates;  /* sample templates */
	int64_t hosts_kept; /* sample hosts left because other jobs use them */
} store_sample_counts_t;
/* Removes (or with dry_run, counts) exactly the sample records: jobs named
 * sample-* whose creation row is by STORE_SAMPLE_ACTOR, the hosts named in
 * hosts[] (NULL-terminated) unless a job that is not a sample is pinned to
 * one or active on it, and the templates named in templates[]. */
int store_sample_clear(store_t *s, const char *const *hosts, const char *const *templates,
		       bool dry_run, store_sample_counts_t *out, char **err);

#endif
