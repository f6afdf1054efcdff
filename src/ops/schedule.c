/*
 * ops/schedule.c: the rules of schedules, once, for the command line, the
 * API and the worker (ops/schedule.h). A schedule's job is checked when
 * the schedule is added and built again at each due time by
 * ops_submit_parse_object; due times come from core/cron.c; the store
 * makes one job per due time (store/schedules.c). Nothing here prints.
 */
#include "ops/schedule.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/cron.h"
#include "core/validate.h"
#include "ops/ops.h"
#include "ops/submit.h"
#include "util/err.h"
#include "util/log.h"
#include "util/strbuf.h"
#include "util/timeutil.h"
#include "util/tz.h"

/* Schedules one call fires at most per read; the rest on the next read. */
#define FIRE_BATCH 100
/* Due times counted when a worker was away long; the message then says
 * "at least". */
#define MISSED_COUNT_MAX 100000
/* A stored schedule whose due times cannot be worked out (its zone's file
 * went away) is looked at again this much later. */
#define BROKEN_RETRY_MS (60 * 60 * 1000)

static const char *const concurrency_choices[] = {"allow", "forbid", "replace", NULL};
static const char *const catch_up_choices[] = {"one", "none", NULL};

const cli_option_t ops_schedule_options[] = {
	{.name = "cron", .type = OPT_STRING, .metavar = "EXPR",
	 .help = "When the job is due, as cron(5) writes it: five fields (minute 0-59, hour "
		 "0-23, day of month 1-31, month 1-12 or jan-dec, day of week 0-7 or sun-sat, "
		 "Sunday 0 or 7) of *, numbers, lists (1,15), ranges (1-5) and steps (*/15, "
		 "1-30/5); or @hourly, @daily (@midnight), @weekly, @monthly, @yearly "
		 "(@annually). When both day fields are restricted, a day matches when either "
		 "does. Quote it for the shell, e.g. --cron '0 2 * * *'. Required."},
	{.name = "tz", .type = OPT_STRING, .metavar = "ZONE", .def = "UTC",
	 .help = "The IANA time zone the expression's times are in, e.g. Europe/Berlin (from "
		 "the system's tz database). A local time that happens twice when clocks go "
		 "back runs once, at its first occurrence; a local time skipped when clocks go "
		 "forward runs at the first instant after the gap (02:30 on the day Berlin "
		 "moves to summer time runs at 03:00)."},
	{.name = "concurrency", .type = OPT_CHOICE, .metavar = "POLICY", .def = "allow",
	 .choices = concurrency_choices,
	 .help = "When a due time comes while the schedule's previous job is unfinished "
		 "(queued, launching or running): allow queues the new job beside it; forbid "
		 "skips this run (recorded: 'cjobs schedule show' lists it and why); replace "
		 "cancels the unfinished job (its history names the run that replaced it) and "
		 "queues the new one."},
	{.name = "catch-up", .type = OPT_CHOICE, .metavar = "POLICY", .def = "one",
	 .choices = catch_up_choices,
	 .help = "Due times missed because no worker was up (a run counts as on time up to "
		 "60 seconds after its due time): one queues one late job for the latest of "
		 "them, whose history says it is late, for which due time and how many were "
		 "missed; none queues nothing and records the missed runs as skipped."},
	{.name = "keep", .type = OPT_INT, .metavar = "N", .def = "0", .min = 0,
	 .max = 1000000,
	 .help = "'cjobs manage-jobs cleanup' first removes the schedule's finished jobs "
		 "beyond its newest N finished ones, whatever their age (before its other "
		 "rules). 0 keeps them all (cleanup's --days still applies)."},
	{0},
};

/* Loads the calendar of a stored (or new) schedule. */
static ops_rc_t calendar(const char *expr, const char *zone, cron_t *c, tz_t **tz, char **err)
{
	if (cron_parse(expr, c, err) < 0) {
		err_prefix(err, "--cron '%.100s'", expr);
		return OPS_E_INVALID;
	}
	if (tz_load(zone, tz, err) < 0) {
		err_prefix(err, "--tz");
		return OPS_E_INVALID;
	}
	return OPS_OK;
}

/* The value of one option as it was typed, into obj under its long name. */
static int put_option(json_t *obj, const cli_option_t *o, const cli_value_t *v)
{
	json_t *val = NULL;
	if (o->type == OPT_FLAG) {
		val = json_boolean(v->num != 0);
	} else if (o->repeat) {
		val = json_array();
		for (size_t i = 0; val && i < v->nlist; i++)
			if (json_array_append_new(val, json_string(v->list[i])) < 0) {
				json_decref(val);
				return -1;
			}
	} else {
		val = json_string(v->str);
	}
	return val ? json_object_set_new(obj, o->name, val) : -1;
}

/* Options whose effect is resolved into the stored job rather than kept:
 * files are read where the schedule is added, the template copied. */
static bool resolved_at_add(const char *name)
{
	return strcmp(name, "env") == 0 || strcmp(name, "env-file") == 0 ||
	       strcmp(name, "template") == 0;
}

/* The stored job: the options given, as typed, with env resolved. */
static int job_object(const cli_args_t *a, const job_t *job, const char *sched_name,
		      json_t **out)
{
	json_t *obj = json_object(), *env = json_array(), *cmd = json_array();
	int rc = obj && env && cmd ? 0 : -1;
	for (size_t i = 0; rc == 0 && i < a->nopts; i++) {
		const cli_option_t *o = &a->options[i];
		if (a->vals[i].given && !resolved_at_add(o->name))
			rc = put_option(obj, o, &a->vals[i]);
	}
	for (size_t i = 0; rc == 0 && i < job->envc; i++)
		rc = json_array_append_new(env, json_string(job->env[i]));
	for (size_t i = 0; rc == 0 && i < job->argc; i++)
		rc = json_array_append_new(cmd, json_string(job->argv[i]));
	/* Its jobs are named after it unless --name says otherwise. */
	if (rc == 0 && !job->name)
		rc = json_object_set_new(obj, "name", json_string(sched_name));
	if (rc == 0 && job->envc)
		rc = json_object_set(obj, "env", env);
	if (rc == 0)
		rc = json_object_set(obj, "command", cmd);
	json_decref(env);
	json_decref(cmd);
	if (rc < 0) {
		json_decref(obj);
		return -1;
	}
	*out = obj;
	return 0;
}

/* Builds the schedule's job from its stored object. */
static int build_job(store_t *s, const store_schedule_t *sc, job_t *job, char **err)
{
	json_error_t jerr;
	json_t *obj = json_loads(sc->job, 0, &jerr);
	if (!obj)
		return err_set(err, "the stored job of schedule '%s' is not JSON (line %d)",
			       sc->name, jerr.line);
	cli_args_t defaults;
	int rc = ops_submit_defaults(&defaults, err);
	if (rc == 0) {
		rc = ops_submit_parse_object(s, &defaults, obj, false, job, err);
		cli_args_free(&defaults);
	}
	json_decref(obj);
	return rc;
}

ops_rc_t ops_schedule_add(store_t *s, const char *name, const cli_args_t *sched,
			  const cli_args_t *ja, int64_t now, store_schedule_t *out, char **err)
{
	memset(out, 0, sizeof(*out));
	if (validate_name("schedule name", name, err) < 0)
		return OPS_E_INVALID;
	const char *expr = cli_str(sched, "cron");
	if (!expr)
		return err_set(err, "give the times with --cron, e.g. --cron '0 2 * * *' for 02:00 "
				    "every day"),
		       OPS_E_INVALID;
	cron_t c;
	tz_t *tz = NULL;
	ops_rc_t rc = calendar(expr, cli_str(sched, "tz"), &c, &tz, err);
	if (rc != OPS_OK)
		return rc;
	job_t job;
	job_init(&job);
	json_t *obj = NULL;
	if (ops_submit_fill(s, ja, true, &job, err) < 0) {
		rc = OPS_E_INVALID;
		goto out;
	}
	if (job_object(ja, &job, name, &obj) < 0 || !(out->job = json_dumps(obj, JSON_COMPACT))) {
		rc = (err_set(err, "out of memory"), OPS_E_INVALID);
		goto out;
	}
	/* The object must give the job back: check now, not at 02:00. */
	store_schedule_t probe = {.name = (char *)name, .job = out->job};
	job_t again;
	job_init(&again);
	if (build_job(s, &probe, &again, err) < 0) {
		job_free(&again);
		err_prefix(err, "internal error: the schedule's job does not read back");
		rc = OPS_E_INVALID;
		goto out;
	}
	job_free(&again);
	out->name = strdup(name);
	out->cron = strdup(expr);
	out->tz = strdup(tz_name(tz));
	out->concurrency = strdup(cli_str(sched, "concurrency"));
	out->catch_up = strdup(cli_str(sched, "catch-up"));
	out->keep = cli_num(sched, "keep");
	out->next_due = cron_next(&c, tz, now);
	if (!out->name || !out->cron || !out->tz || !out->concurrency || !out->catch_up) {
		rc = (err_set(err, "out of memory"), OPS_E_INVALID);
		goto out;
	}
	if (store_schedule_add(s, out, err) < 0)
		rc = store_lost(s) ? OPS_E_STORE : OPS_E_CONFLICT;
out:
	if (rc != OPS_OK)
		store_schedule_free(out);
	json_decref(obj);
	job_free(&job);
	tz_free(tz);
	return rc;
}

ops_rc_t ops_schedule_load(store_t *s, const char *name, store_schedule_t *out, char **err)
{
	int found = store_schedule_get(s, name, out, err);
	if (found == 1) {
		err_set(err, "no schedule named '%.64s'; 'cjobs schedule list' shows them", name);
		return OPS_E_NOT_FOUND;
	}
	return found < 0 ? OPS_E_STORE : OPS_OK;
}

ops_rc_t ops_schedule_next_times(const store_schedule_t *sc, int64_t after, int64_t *out,
				 size_t n, size_t *got, char **err)
{
	cron_t c;
	tz_t *tz = NULL;
	*got = 0;
	ops_rc_t rc = calendar(sc->cron, sc->tz, &c, &tz, err);
	if (rc != OPS_OK)
		return rc;
	int64_t t = after;
	while (*got < n && (t = cron_next(&c, tz, t)) > 0)
		out[(*got)++] = t;
	tz_free(tz);
	return OPS_OK;
}

char *ops_schedule_local_time(const store_schedule_t *sc, int64_t t, char *buf, size_t size)
{
	tz_t *tz = NULL;
	char *e = NULL;
	if (tz_load(sc->tz, &tz, &e) < 0) {
		free(e);
		return format_time(t, buf, size);
	}
	int32_t off = tz_offset_at(tz, t / 1000);
	tz_free(tz);
	time_t local = (time_t)(t / 1000 + off);
	struct tm tm;
	gmtime_r(&local, &tm);
	int32_t a = off < 0 ? -off : off;
	snprintf(buf, size, "%04d-%02d-%02dT%02d:%02d:%02d%c%02d:%02d", tm.tm_year + 1900,
		 tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, off < 0 ? '-' : '+',
		 (int)(a / 3600), (int)(a % 3600 / 60));
	return buf;
}

ops_rc_t ops_schedule_pause(store_t *s, const char *name, char **err)
{
	int rc = store_schedule_set_paused(s, name, true, 0, err);
	if (rc == 1) {
		err_set(err, "no schedule named '%.64s'; 'cjobs schedule list' shows them", name);
		return OPS_E_NOT_FOUND;
	}
	return rc < 0 ? OPS_E_STORE : OPS_OK;
}

ops_rc_t ops_schedule_resume(store_t *s, const char *name, int64_t now, int64_t *next,
			     char **err)
{
	store_schedule_t sc;
	size_t got = 0;
	ops_rc_t rc = ops_schedule_load(s, name, &sc, err);
	if (rc == OPS_OK)
		rc = ops_schedule_next_times(&sc, now, next, 1, &got, err);
	if (rc == OPS_OK) {
		int r = store_schedule_set_paused(s, name, false, *next, err);
		if (r == 1)
			rc = (err_set(err, "no schedule named '%.64s'; 'cjobs schedule list' "
					   "shows them",
				      name),
			      OPS_E_NOT_FOUND);
		else if (r < 0)
			rc = OPS_E_STORE;
	}
	store_schedule_free(&sc);
	return rc;
}

ops_rc_t ops_schedule_remove(store_t *s, const char *name, int64_t *jobs, char **err)
{
	int rc = store_schedule_remove(s, name, jobs, err);
	if (rc == 1) {
		err_set(err, "no schedule named '%.64s'; 'cjobs schedule list' shows them", name);
		return OPS_E_NOT_FOUND;
	}
	return rc < 0 ? OPS_E_STORE : OPS_OK;
}

static char *actor_of(const store_schedule_t *sc)
{
	char *a = NULL;
	return asprintf(&a, "schedule:%s", sc->name) < 0 ? NULL : a;
}

ops_rc_t ops_schedule_run(store_t *s, const char *name, int64_t *id, char **err)
{
	store_schedule_t sc;
	ops_rc_t rc = ops_schedule_load(s, name, &sc, err);
	if (rc != OPS_OK)
		return rc;
	job_t job;
	job_init(&job);
	char *actor = actor_of(&sc);
	if (!actor)
		rc = (err_set(err, "out of memory"), OPS_E_STORE);
	else if (build_job(s, &sc, &job, err) < 0)
		rc = OPS_E_INVALID;
	else if (store_schedule_add_job(s, sc.id, &job, actor,
					"run by hand ('cjobs schedule run'), outside the due times",
					err) < 0)
		rc = OPS_E_STORE;
	else
		*id = job.id;
	free(actor);
	job_free(&job);
	store_schedule_free(&sc);
	return rc;
}

/* ---- firing ---- */

/* What a due schedule calls for at `now`. */
typedef struct {
	int64_t first, prev, last; /* the first due time passed, the one before the
				    * latest, the latest (prev 0: only one) */
	int64_t count;             /* due times passed (at most MISSED_COUNT_MAX) */
	int64_t next;              /* the first due time after now */
	bool late;                 /* the latest is past the grace */
} due_plan_t;

static void plan_due(const store_schedule_t *sc, const cron_t *c, const tz_t *tz, int64_t now,
		     due_plan_t *p)
{
	memset(p, 0, sizeof(*p));
	p->first = p->last = sc->next_due;
	p->count = 1;
	int64_t t;
	while ((t = cron_next(c, tz, p->last)) > 0 && t <= now && p->count < MISSED_COUNT_MAX) {
		p->prev = p->last;
		p->last = t;
		p->count++;
	}
	p->next = t > now ? t : cron_next(c, tz, now);
	p->late = now - p->last > OPS_SCHEDULE_GRACE_MS;
}

static const char *at_least(const due_plan_t *p)
{
	return p->count >= MISSED_COUNT_MAX ? "at least " : "";
}

/* The skipped run's text for missed due times (none when there are none). */
static int missed_text(const store_schedule_t *sc, const due_plan_t *p, strbuf_t *sb)
{
	char a[40], b[40], c[40];
	if (p->late && strcmp(sc->catch_up, "none") == 0) {
		sb_printf(sb, "missed: no worker was up at its due time (%s%lld due time%s, %s to "
			      "%s); --catch-up none runs none of them",
			  at_least(p), (long long)p->count, p->count == 1 ? "" : "s",
			  format_time(p->first, a, sizeof(a)), format_time(p->last, b, sizeof(b)));
	} else if (p->count > 1 && !p->late) {
		sb_printf(sb, "missed: no worker was up at its due time (%s%lld due time%s, %s to "
			      "%s); the run due at %s covers them",
			  at_least(p), (long long)(p->count - 1), p->count == 2 ? "" : "s",
			  format_time(p->first, a, sizeof(a)), format_time(p->prev, b, sizeof(b)),
			  format_time(p->last, c, sizeof(c)));
	}
	return sb->len ? 0 : 1;
}

/* The job's creation reason. */
static void job_reason(const store_schedule_t *sc, const due_plan_t *p, int64_t now,
		       strbuf_t *sb)
{
	char a[40], d[40];
	format_time(p->last, d, sizeof(d));
	if (!p->late) {
		sb_printf(sb, "scheduled by '%s' (--cron '%s', --tz %s) for its due time %s", sc->name,
			  sc->cron, sc->tz, d);
		return;
	}
	char late[32];
	format_duration(now - p->last, late, sizeof(late));
	sb_printf(sb, "late: scheduled by '%s' for its due time %s, queued %s after it because "
		      "no worker was up; %s%lld due time%s missed since %s, run once "
		      "(--catch-up one)",
		  sc->name, d, late, at_least(p), (long long)p->count, p->count == 1 ? "" : "s",
		  format_time(p->first, a, sizeof(a)));
}

/* The unfinished jobs a new run replaces (--concurrency replace), added to
 * *list for ops_replace_run. */
static int replace_old(const store_schedule_t *sc, const int64_t *ids, size_t n, int64_t new_id,
		       int64_t due, ops_replace_t **list, char **err)
{
	char d[40];
	ops_replace_t *r = calloc(1, sizeof(*r));
	if (r) {
		r->ids = malloc(n * sizeof(*ids));
		r->schedule = strdup(sc->name);
		r->actor = actor_of(sc);
		if (asprintf(&r->reason, "replaced by job %lld, the run of schedule '%s' due at %s "
					 "(--concurrency replace)",
			     (long long)new_id, sc->name, format_time(due, d, sizeof(d))) < 0)
			r->reason = NULL;
	}
	if (!r || !r->ids || !r->schedule || !r->actor || !r->reason) {
		ops_replace_free(r);
		return err_set(err, "out of memory");
	}
	memcpy(r->ids, ids, n * sizeof(*ids));
	r->n = n;
	r->new_id = new_id;
	r->next = *list;
	*list = r;
	return 0;
}

void ops_replace_run(store_t *s, const ops_replace_t *r)
{
	ops_cancel_result_t *res = calloc(r->n, sizeof(*res));
	ops_cancel_opts_t o = {.actor = r->actor, .reason = r->reason,
			       .grace_s = OPS_REPLACE_GRACE_S, .output_limit = 1 << 20};
	char *err = NULL;
	if (!res || ops_cancel(s, r->ids, r->n, &o, res, &err) < 0) {
		log_warn("schedule '%s': cannot cancel the job(s) job %lld replaces: %s",
			 r->schedule, (long long)r->new_id, res ? err_str(err) : "out of memory");
	} else {
		for (size_t i = 0; i < r->n; i++) {
			if (res[i].outcome == OPS_CANCELLED)
				log_info("schedule '%s': job %lld cancelled, replaced by job %lld",
					 r->schedule, (long long)r->ids[i], (long long)r->new_id);
			else if (res[i].outcome != OPS_NOT_CANCELLABLE)
				log_warn("schedule '%s': job %lld: %s", r->schedule,
					 (long long)r->ids[i], err_str(res[i].error));
		}
		ops_cancel_results_free(res, r->n);
	}
	free(res);
	free(err);
}

void ops_replace_free(ops_replace_t *list)
{
	while (list) {
		ops_replace_t *next = list->next;
		free(list->ids);
		free(list->schedule);
		free(list->actor);
		free(list->reason);
		free(list);
		list = next;
	}
}

/* Handles one due schedule; -1 only when the store failed. */
static int fire_one(store_t *s, const store_schedule_t *sc, int64_t now, ops_fire_stats_t *st,
		    ops_replace_t **replace, char **err)
{
	cron_t c;
	tz_t *tz = NULL;
	char *why = NULL;
	store_schedule_fire_t f = {.schedule_id = sc->id, .expected_due = sc->next_due};
	if (calendar(sc->cron, sc->tz, &c, &tz, &why) != OPS_OK) {
		/* Cannot happen for a schedule this program added, unless its
		 * zone's file went away: say so, and look again later. */
		log_warn("schedule '%s': %s; looking again in an hour", sc->name, err_str(why));
		f.next_due = now + BROKEN_RETRY_MS;
		f.skip_reason = why;
		f.skip_due = sc->next_due;
		int rc = store_schedule_fire(s, &f, now, err);
		free(why);
		st->skipped += rc == 0;
		return rc < 0 ? -1 : 0;
	}
	due_plan_t p;
	plan_due(sc, &c, tz, now, &p);
	tz_free(tz);
	f.next_due = p.next;
	strbuf_t skip = STRBUF_INIT, reason = STRBUF_INIT;
	bool make = !(p.late && strcmp(sc->catch_up, "none") == 0);
	int64_t *active = NULL;
	size_t nactive = 0;
	missed_text(sc, &p, &skip);
	if (make && strcmp(sc->concurrency, "allow") != 0 &&
	    store_schedule_active_jobs(s, sc->id, &active, &nactive, err) < 0)
		goto fail;
	if (make && nactive > 0 && strcmp(sc->concurrency, "forbid") == 0) {
		char d[40];
		make = false;
		sb_printf(&skip, "%sskipped the run due at %s: job %lld of this schedule is still "
				 "unfinished (--concurrency forbid)",
			  skip.len ? "; " : "", format_time(p.last, d, sizeof(d)),
			  (long long)active[nactive - 1]);
	}
	job_t job;
	job_init(&job);
	char *actor = actor_of(sc);
	if (!actor) {
		err_set(err, "out of memory");
		goto fail;
	}
	if (make && build_job(s, sc, &job, &why) < 0) {
		/* Its host was removed since, say: the run is skipped, saying
		 * why, rather than retried at every turn. */
		make = false;
		sb_printf(&skip, "%scannot make the job due at %s: %s", skip.len ? "; " : "",
			  format_time(p.last, (char[40]){0}, 40), err_str(why));
	}
	if (make)
		job_reason(sc, &p, now, &reason);
	f.job = make ? &job : NULL;
	f.due_at = p.last;
	f.actor = actor;
	f.reason = reason.buf;
	f.skip_reason = skip.len ? skip.buf : NULL;
	f.skip_due = make ? (p.prev ? p.prev : p.last) : p.last;
	int rc = store_schedule_fire(s, &f, now, err);
	if (rc == 0) {
		if (make) {
			st->fired++;
			log_info("schedule '%s': queued job %lld for its due time (%s)%s", sc->name,
				 (long long)job.id, format_time(p.last, (char[40]){0}, 40),
				 p.late ? ", late" : "");
		} else {
			st->skipped++;
		}
		if (f.skip_reason)
			log_info("schedule '%s': %s", sc->name, f.skip_reason);
		if (make && nactive > 0 && strcmp(sc->concurrency, "replace") == 0 &&
		    replace_old(sc, active, nactive, job.id, p.last, replace, err) < 0)
			rc = -1;
	} else if (rc == 1) {
		st->lost++;
		log_debug("schedule '%s': another worker handled its due time first", sc->name);
	}
	free(actor);
	free(why);
	job_free(&job);
	free(active);
	sb_free(&skip);
	sb_free(&reason);
	return rc < 0 ? -1 : 0;
fail:
	free(why);
	free(active);
	sb_free(&skip);
	sb_free(&reason);
	return -1;
}

int ops_schedule_fire_due(store_t *s, int64_t now, ops_fire_stats_t *stats, int64_t *next_due,
			  ops_replace_t **replace, char **err)
{
	memset(stats, 0, sizeof(*stats));
	*next_due = 0;
	for (;;) {
		store_schedule_t *v = NULL;
		size_t n = 0;
		if (store_schedule_due(s, now, FIRE_BATCH, &v, &n, err) < 0)
			return -1;
		int rc = 0;
		for (size_t i = 0; rc == 0 && i < n; i++)
			rc = fire_one(s, &v[i], now, stats, replace, err);
		store_schedule_list_free(v, n);
		if (rc < 0)
			return -1;
		if (n < FIRE_BATCH)
			break;
	}
	return store_schedule_next_due(s, next_due, err);
}
