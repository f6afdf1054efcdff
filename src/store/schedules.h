/*
 * store/schedules.h: the schedules table (cron schedules that make jobs)
 * and the firing of a due time, for ops/schedule.c. The calendar is not
 * here: callers work out due times (core/cron.h) and the store only keeps
 * them and compares-and-sets them.
 *
 * Returns and messages as in store.h: 0 on success, -1 with *err.
 */
#ifndef CJOBS_STORE_SCHEDULES_H
#define CJOBS_STORE_SCHEDULES_H

#include "store/store.h"

typedef struct {
	int64_t id;
	char *name;            /* unique */
	char *cron;            /* the expression as given */
	char *tz;              /* IANA zone name, "UTC" by default */
	char *job;             /* one JSON object, a `job submit --file` line */
	char *concurrency;     /* "allow", "forbid" or "replace" */
	char *catch_up;        /* "none" or "one" */
	int64_t keep;          /* finished jobs cleanup keeps; 0 = all */
	bool paused;
	int64_t next_due;      /* unix ms */
	int64_t created_at;
} store_schedule_t;

void store_schedule_free(store_schedule_t *sc);
void store_schedule_list_free(store_schedule_t *v, size_t n);

/* Inserts sc (name unique: a name in use is an error that says so); sets
 * id and created_at. */
int store_schedule_add(store_t *s, store_schedule_t *sc, char **err);
/* 0 found, 1 not found (no *err), -1 error. */
int store_schedule_get(store_t *s, const char *name, store_schedule_t *out, char **err);
int store_schedule_get_id(store_t *s, int64_t id, store_schedule_t *out, char **err);
/* Every schedule, by name. */
int store_schedule_list(store_t *s, store_schedule_t **out, size_t *n, char **err);
/* Pauses, or resumes with next_due as the next due time. 1 if absent. */
int store_schedule_set_paused(store_t *s, const char *name, bool paused, int64_t next_due,
			      char **err);
/* Removes a schedule and its skipped runs; its jobs stay (they keep its
 * id). *jobs gets how many jobs it made that are still in the store. 1 if
 * absent. */
int store_schedule_remove(store_t *s, const char *name, int64_t *jobs, char **err);

/* Unpaused schedules due at or before now, soonest first, at most limit:
 * only due rows are read (a partial index on next_due). */
int store_schedule_due(store_t *s, int64_t now, int limit, store_schedule_t **out, size_t *n,
		       char **err);
/* The soonest next_due of the unpaused schedules; 0 when there is none. */
int store_schedule_next_due(store_t *s, int64_t *next, char **err);
/* Ids of the schedule's jobs that are queued, launching or running. */
int store_schedule_active_jobs(store_t *s, int64_t schedule_id, int64_t **ids, size_t *n,
			       char **err);

/* One due time handled, in one transaction: next_due moves from
 * expected_due to next_due only if it still holds expected_due (and the
 * schedule is not paused); then job (when not NULL) is added with its
 * schedule and due time, and a skipped run recorded (when skip_reason is
 * not NULL). 1, with nothing written, when another worker handled the due
 * time first; 0 when this call did (job->id is set). */
typedef struct {
	int64_t schedule_id;
	int64_t expected_due, next_due;
	job_t *job;
	int64_t due_at;        /* the job's due time */
	const char *actor, *reason; /* the job's creation history row */
	const char *skip_reason;
	int64_t skip_due;      /* the due time the skipped run was for */
} store_schedule_fire_t;
int store_schedule_fire(store_t *s, const store_schedule_fire_t *f, int64_t now, char **err);
/* Adds job as one of the schedule's, outside its due times (schedule
 * run): due_at stays empty. */
int store_schedule_add_job(store_t *s, int64_t schedule_id, job_t *job, const char *actor,
			   const char *reason, char **err);

/* Skipped runs, newest first, at most limit. */
typedef struct {
	int64_t due_at, at;
	char *reason;
} store_schedule_skip_t;
int store_schedule_skips(store_t *s, int64_t schedule_id, int limit,
			 store_schedule_skip_t **out, size_t *n, char **err);
void store_schedule_skips_free(store_schedule_skip_t *v, size_t n);

/* The jobs cleanup removes for --keep: of each schedule with keep N > 0,
 * its finished jobs (completed, failed, timeout, cancelled) older than
 * its newest N finished ones. Ascending ids. */
int store_schedule_keep_list(store_t *s, int64_t **ids, size_t *n, char **err);

#endif
