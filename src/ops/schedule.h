/*
 * ops/schedule.h: schedules, for every front end and for the worker:
 * adding one from `job submit`'s options, its due times, pause, resume,
 * remove, a run by hand, and firing the due ones (process-jobs calls
 * ops_schedule_fire_due in its loop).
 *
 * A schedule keeps its job as one JSON object in the format of a `job
 * submit --file` line, with --env-file and --template already read into
 * "env" when it is added: each due time then builds its job through
 * ops_submit_parse_object, by the same rules as any submitted job.
 */
#ifndef CJOBS_OPS_SCHEDULE_H
#define CJOBS_OPS_SCHEDULE_H

#include "ops/jobs.h"
#include "store/schedules.h"
#include "util/opt.h"

/* A run starts within this long after its due time counts as on time;
 * later, it is a missed run (--catch-up says what becomes of it). */
#define OPS_SCHEDULE_GRACE_MS (60 * 1000)
/* Due times `schedule show` lists. */
#define OPS_SCHEDULE_SHOW_NEXT 5

/* The schedule's own options (cron, tz, concurrency, catch-up, keep). */
extern const cli_option_t ops_schedule_options[];

/* Adds schedule `name`: sched holds ops_schedule_options, job the options
 * of job submit (ops_submit_options; file, count and at never given) and
 * the command. Every value is checked as job submit checks it, env files
 * and the template read here. now: the schedule clock. *out gets the
 * stored schedule. */
ops_rc_t ops_schedule_add(store_t *s, const char *name, const cli_args_t *sched,
			  const cli_args_t *job, int64_t now, store_schedule_t *out, char **err);
/* Loads schedule name (NOT_FOUND with a message that says how to list
 * them). */
ops_rc_t ops_schedule_load(store_t *s, const char *name, store_schedule_t *out, char **err);
/* Up to n due times strictly after `after` (unix ms) into out; *got says
 * how many. */
ops_rc_t ops_schedule_next_times(const store_schedule_t *sc, int64_t after, int64_t *out,
				 size_t n, size_t *got, char **err);
/* "2026-03-29T03:00:00+02:00": t in the schedule's zone. */
char *ops_schedule_local_time(const store_schedule_t *sc, int64_t t, char *buf, size_t size);
ops_rc_t ops_schedule_pause(store_t *s, const char *name, char **err);
/* Resumes: the next due time is the first after now; the due times of the
 * pause are not caught up. *next gets it. */
ops_rc_t ops_schedule_resume(store_t *s, const char *name, int64_t now, int64_t *next,
			     char **err);
/* Removes the schedule; its jobs stay (*jobs: how many). */
ops_rc_t ops_schedule_remove(store_t *s, const char *name, int64_t *jobs, char **err);
/* One job of the schedule now, outside its due times: *id gets its id. */
ops_rc_t ops_schedule_run(store_t *s, const char *name, int64_t *id, char **err);

/* The schedule object of `schedule list --format json` (detail false) and
 * `schedule show --format json` (detail true): its definition, its stored
 * job, and with detail the next OPS_SCHEDULE_SHOW_NEXT due times after now
 * (UTC and in its zone), its last runs (job id, due time, status, exit
 * code) and its last skipped runs with why. Secret-looking environment
 * values of the job are masked unless show_secrets. */
#define OPS_SCHEDULE_SHOW_RUNS 10
ops_rc_t ops_schedule_json(store_t *s, const store_schedule_t *sc, int64_t now, bool detail,
			   bool show_secrets, json_t **out, char **err);

/* What one call of ops_schedule_fire_due did. */
typedef struct {
	int fired;             /* jobs queued */
	int skipped;           /* due times handled without a job */
	int lost;              /* due times another worker handled first */
} ops_fire_stats_t;
/* The unfinished jobs a run of --concurrency replace cancels, and why.
 * ops_schedule_fire_due gives them back rather than cancelling them
 * itself: stopping a container waits up to its grace period, which the
 * caller may spend elsewhere (a worker cancels them on a thread of its
 * own, and its loop goes on). */
typedef struct ops_replace {
	struct ops_replace *next;
	int64_t *ids;
	size_t n;
	int64_t new_id;            /* the job of the new run */
	char *schedule, *actor, *reason;
} ops_replace_t;
/* Cancels r's jobs through ops_cancel (a container gets OPS_REPLACE_GRACE_S
 * after SIGTERM), and logs what became of each. */
#define OPS_REPLACE_GRACE_S 10
void ops_replace_run(store_t *s, const ops_replace_t *r);
void ops_replace_free(ops_replace_t *list);

/* Fires every schedule due at `now` (the schedule clock): for each, one
 * job for its latest due time (or a skipped run, as --concurrency and
 * --catch-up say), the next due time moved on by compare-and-set, and for
 * replace the unfinished jobs to cancel added to *replace (the caller's to
 * run with ops_replace_run and free). *next_due gets the soonest due time
 * left (0: none). -1 only when the store failed; a schedule that cannot
 * make its job records that as a skipped run. */
int ops_schedule_fire_due(store_t *s, int64_t now, ops_fire_stats_t *stats, int64_t *next_due,
			  ops_replace_t **replace, char **err);

#endif
