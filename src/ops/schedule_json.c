/*
 * ops/schedule_json.c: the schedule object scripts and the API see
 * (ops_schedule_json): definition, stored job, next due times, last runs
 * and skipped runs. The command line prints its text from this object, so
 * the two never disagree. Nothing here writes.
 */
#include <stdlib.h>
#include <string.h>

#include "ops/render.h"
#include "ops/schedule.h"
#include "util/err.h"
#include "util/timeutil.h"

static json_t *time_or_null(int64_t t)
{
	char buf[40];
	return t > 0 ? json_string(format_time(t, buf, sizeof(buf))) : json_null();
}

/* The stored job, with secret-looking values masked. */
static json_t *job_of(const store_schedule_t *sc, bool show_secrets)
{
	json_t *job = json_loads(sc->job, 0, NULL);
	json_t *env = job ? json_object_get(job, "env") : NULL;
	for (size_t i = 0; !show_secrets && env && i < json_array_size(env); i++) {
		char *m = render_env_entry(json_string_value(json_array_get(env, i)), false);
		if (m)
			json_array_set_new(env, i, json_string(m));
		free(m);
	}
	return job ? job : json_null();
}

static int add_next(json_t *obj, const store_schedule_t *sc, int64_t now, char **err)
{
	int64_t t[OPS_SCHEDULE_SHOW_NEXT];
	size_t got = 0;
	if (ops_schedule_next_times(sc, now, t, OPS_SCHEDULE_SHOW_NEXT, &got, err) != OPS_OK)
		return -1;
	json_t *arr = json_array();
	for (size_t i = 0; arr && i < got; i++) {
		char local[48];
		json_array_append_new(arr, json_pack("{s:o, s:s}", "utc", time_or_null(t[i]),
						     "local",
						     ops_schedule_local_time(sc, t[i], local,
									     sizeof(local))));
	}
	return arr ? json_object_set_new(obj, "next", arr) : -1;
}

static int add_runs(store_t *s, json_t *obj, const store_schedule_t *sc, char **err)
{
	job_filter_t f = {.schedule_id = sc->id, .newest_first = true,
			  .limit = OPS_SCHEDULE_SHOW_RUNS};
	job_t *jobs = NULL;
	size_t n = 0;
	if (store_job_list(s, &f, &jobs, &n, err) < 0)
		return -1;
	json_t *arr = json_array();
	for (size_t i = 0; arr && i < n; i++) {
		const job_t *j = &jobs[i];
		json_array_append_new(
			arr, json_pack("{s:I, s:o, s:o, s:s, s:o}", "id", (json_int_t)j->id, "due_at",
				       time_or_null(j->due_at), "created_at",
				       time_or_null(j->created_at), "status",
				       job_status_name(j->status), "exit_code",
				       j->has_exit_code ? json_integer(j->exit_code) : json_null()));
	}
	store_job_list_free(jobs, n);
	return arr ? json_object_set_new(obj, "runs", arr) : -1;
}

static int add_skips(store_t *s, json_t *obj, const store_schedule_t *sc, char **err)
{
	store_schedule_skip_t *v = NULL;
	size_t n = 0;
	if (store_schedule_skips(s, sc->id, OPS_SCHEDULE_SHOW_RUNS, &v, &n, err) < 0)
		return -1;
	json_t *arr = json_array();
	for (size_t i = 0; arr && i < n; i++)
		json_array_append_new(arr, json_pack("{s:o, s:o, s:s}", "due_at",
						     time_or_null(v[i].due_at), "at",
						     time_or_null(v[i].at), "reason",
						     v[i].reason ? v[i].reason : ""));
	store_schedule_skips_free(v, n);
	return arr ? json_object_set_new(obj, "skipped", arr) : -1;
}

ops_rc_t ops_schedule_json(store_t *s, const store_schedule_t *sc, int64_t now, bool detail,
			   bool show_secrets, json_t **out, char **err)
{
	json_t *obj = json_pack("{s:I, s:s, s:s, s:s, s:s, s:s, s:I, s:b, s:o, s:o, s:o}", "id",
				(json_int_t)sc->id, "name", sc->name, "cron", sc->cron, "tz",
				sc->tz, "concurrency", sc->concurrency, "catch_up", sc->catch_up,
				"keep", (json_int_t)sc->keep, "paused", sc->paused, "next_due",
				sc->paused ? json_null() : time_or_null(sc->next_due),
				"created_at", time_or_null(sc->created_at), "job",
				job_of(sc, show_secrets));
	if (!obj)
		return err_set(err, "out of memory"), OPS_E_STORE;
	if (detail) {
		bool own = false;
		int rc = store_read_begin(s, &own, err);
		if (rc == 0 && add_next(obj, sc, now, err) < 0)
			rc = -1;
		if (rc == 0 && add_runs(s, obj, sc, err) < 0)
			rc = -1;
		if (rc == 0 && add_skips(s, obj, sc, err) < 0)
			rc = -1;
		store_read_end(s, own);
		if (rc < 0) {
			json_decref(obj);
			if (!*err)
				err_set(err, "out of memory");
			return OPS_E_STORE;
		}
	}
	*out = obj;
	return OPS_OK;
}
