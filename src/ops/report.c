/*
 * ops/report.c: the report's period and its JSON object, for `manage-jobs
 * report` and GET /api/v1/report; see report.h.
 */
#include "ops/report.h"

#include "util/err.h"
#include "util/timeutil.h"

static int64_t finished(const store_report_row_t *r)
{
	return r->counts[JOB_COMPLETED] + r->counts[JOB_FAILED] + r->counts[JOB_TIMEOUT];
}

/* completed / (completed + failed + timeout); false when none of them. */
bool ops_report_success_rate(const store_report_row_t *r, double *rate)
{
	int64_t n = finished(r);
	if (n == 0)
		return false;
	*rate = (double)r->counts[JOB_COMPLETED] / (double)n;
	return true;
}


static json_t *time_json(int64_t ms)
{
	char buf[40];
	return json_string(format_time_ms(ms, buf, sizeof(buf)));
}

/* A distribution of milliseconds or nanoseconds as seconds (div), or of
 * bytes (div 0: integers). */
static json_t *stat_json(const store_stat_t *s, double div, bool full)
{
	json_t *o = json_object();
	if (!o)
		return NULL;
	json_object_set_new(o, "count", json_integer(s->n));
	if (s->n == 0) {
		json_object_set_new(o, "avg", json_null());
		if (full) {
			json_object_set_new(o, "median", json_null());
			json_object_set_new(o, "p95", json_null());
		}
		json_object_set_new(o, "max", json_null());
		return o;
	}
	if (div > 0) {
		json_object_set_new(o, "avg", json_real(s->avg / div));
		if (full) {
			json_object_set_new(o, "median", json_real(s->median / div));
			json_object_set_new(o, "p95", json_real((double)s->p95 / div));
		}
		json_object_set_new(o, "max", json_real((double)s->max / div));
	} else {
		json_object_set_new(o, "avg", json_integer((json_int_t)(s->avg + 0.5)));
		if (full) {
			json_object_set_new(o, "median", json_integer((json_int_t)(s->median + 0.5)));
			json_object_set_new(o, "p95", json_integer(s->p95));
		}
		json_object_set_new(o, "max", json_integer(s->max));
	}
	return o;
}

static json_t *row_json(const store_report_row_t *r, const char *key_name)
{
	json_t *o = json_object(), *c = json_object();
	if (!o || !c) {
		json_decref(o);
		json_decref(c);
		return NULL;
	}
	if (key_name)
		json_object_set_new(o, key_name, r->key ? json_string(r->key) : json_null());
	json_object_set_new(o, "jobs", json_integer(r->total));
	for (int i = 0; i < JOB_STATUS_COUNT; i++)
		json_object_set_new(c, job_status_name((job_status_t)i), json_integer(r->counts[i]));
	json_object_set_new(o, "counts", c);
	double rate;
	json_object_set_new(o, "success_rate", ops_report_success_rate(r, &rate) ? json_real(rate) : json_null());
	json_object_set_new(o, "queue_wait_seconds", stat_json(&r->wait_ms, 1e3, true));
	json_object_set_new(o, "run_seconds", stat_json(&r->run_ms, 1e3, true));
	json_object_set_new(o, "peak_memory_bytes", stat_json(&r->memory, 0, false));
	json_object_set_new(o, "cpu_seconds", stat_json(&r->cpu_ns, 1e9, false));
	return o;
}

json_t *ops_report_json(const store_report_t *r, int64_t since, int64_t until, const char *host,
			int64_t now)
{
	json_t *o = json_object(), *bh = json_array(), *bi = json_array();
	if (!o || !bh || !bi) {
		json_decref(o);
		json_decref(bh);
		json_decref(bi);
		return NULL;
	}
	json_object_set_new(o, "generated_at", time_json(now));
	json_object_set_new(o, "since", time_json(since));
	json_object_set_new(o, "until", time_json(until));
	json_object_set_new(o, "host", host ? json_string(host) : json_null());
	json_object_set_new(o, "overall", row_json(&r->all, NULL));
	for (size_t i = 0; i < r->nhosts; i++)
		json_array_append_new(bh, row_json(&r->hosts[i], "host"));
	for (size_t i = 0; i < r->nimages; i++)
		json_array_append_new(bi, row_json(&r->images[i], "image"));
	json_object_set_new(o, "by_host", bh);
	json_object_set_new(o, "by_image", bi);
	return o;
}

const cli_option_t ops_report_period_options[3] = {
	OPS_REPORT_SINCE_OPTION,
	OPS_REPORT_UNTIL_OPTION,
	{0},
};

ops_rc_t ops_report_period_check(int64_t since, int64_t until, bool since_given, char **err)
{
	if (since >= until) {
		char t1[40], t2[40];
		err_set(err, "--since (%s%s) must be before --until (%s)%s",
			since_given ? "" : "by default 7 days ago: ",
			format_time(since, t1, sizeof(t1)), format_time(until, t2, sizeof(t2)),
			since_given ? "" : "; give --since too");
		return OPS_E_INVALID;
	}
	return OPS_OK;
}
