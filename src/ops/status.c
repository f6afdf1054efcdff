/*
 * ops/status.c: the status object of `manage-jobs status --format json` and
 * GET /api/v1/status; see status.h.
 */
#include "ops/status.h"

#include "util/timeutil.h"

json_t *ops_time_json(int64_t ms)
{
	char buf[40];
	return ms > 0 ? json_string(format_time_ms(ms, buf, sizeof(buf))) : json_null();
}

static json_t *counts_json(const int64_t counts[JOB_STATUS_COUNT])
{
	json_t *o = json_object();
	for (int i = 0; o && i < JOB_STATUS_COUNT; i++)
		json_object_set_new(o, job_status_name((job_status_t)i), json_integer(counts[i]));
	return o;
}

json_t *ops_status_json(const store_status_t *st, const char *host, bool detailed,
			   const host_t *hosts, size_t nhosts, const int64_t *active, int64_t now)
{
	json_t *o = json_object(), *q = json_object(), *hs = json_array(), *run = json_array();
	if (!o || !q || !hs || !run) {
		json_decref(o);
		json_decref(q);
		json_decref(hs);
		json_decref(run);
		return NULL;
	}
	json_object_set_new(o, "generated_at", ops_time_json(now));
	json_object_set_new(o, "host", host ? json_string(host) : json_null());
	json_object_set_new(o, "total", json_integer(st->total));
	json_object_set_new(o, "counts", counts_json(st->counts));
	json_object_set_new(q, "queued", json_integer(st->counts[JOB_QUEUED]));
	json_object_set_new(q, "ready", json_integer(st->ready));
	json_object_set_new(q, "scheduled", json_integer(st->scheduled));
	json_object_set_new(q, "waiting", json_integer(st->waiting));
	json_object_set_new(q, "next_scheduled_at", ops_time_json(st->next_at));
	if (st->oldest_id) {
		json_t *w = json_object();
		json_object_set_new(w, "id", json_integer(st->oldest_id));
		json_object_set_new(w, "queued_at", ops_time_json(st->oldest_queued_at));
		json_object_set_new(w, "waiting_seconds",
				    json_real((double)(now - st->oldest_queued_at) / 1000.0));
		json_object_set_new(q, "oldest_waiting", w);
	} else {
		json_object_set_new(q, "oldest_waiting", json_null());
	}
	json_object_set_new(o, "queue", q);
	for (size_t i = 0; i < st->nhosts; i++) {
		const store_host_counts_t *h = &st->hosts[i];
		json_t *e = json_object();
		json_object_set_new(e, "host", h->host ? json_string(h->host) : json_null());
		json_object_set_new(e, "total", json_integer(h->total));
		json_object_set_new(e, "counts", counts_json(h->counts));
		json_object_set_new(e, "ready", json_integer(h->ready));
		json_object_set_new(e, "scheduled", json_integer(h->scheduled));
		json_object_set_new(e, "waiting", json_integer(h->waiting));
		json_array_append_new(hs, e);
	}
	json_object_set_new(o, "hosts", hs);
	for (size_t i = 0; i < st->nactive; i++) {
		const store_active_job_t *j = &st->active[i];
		json_t *e = json_object();
		json_object_set_new(e, "id", json_integer(j->id));
		json_object_set_new(e, "status", json_string(job_status_name(j->status)));
		json_object_set_new(e, "name", j->name ? json_string(j->name) : json_null());
		json_object_set_new(e, "image", j->image ? json_string(j->image) : json_null());
		json_object_set_new(e, "host", j->host ? json_string(j->host) : json_null());
		json_object_set_new(e, "started_at", ops_time_json(j->started_at));
		json_object_set_new(e, "running_seconds",
				    j->started_at > 0 ? json_real((double)(now - j->started_at) / 1000.0)
						      : json_null());
		if (detailed) {
			json_object_set_new(e, "peak_memory_bytes",
					    j->peak_memory_bytes >= 0 ? json_integer(j->peak_memory_bytes)
								      : json_null());
			json_object_set_new(e, "cpu_seconds",
					    j->cpu_usage_ns >= 0 ? json_real((double)j->cpu_usage_ns / 1e9)
								 : json_null());
			json_object_set_new(e, "memory_limit_bytes",
					    j->memory_limit_bytes ? json_integer(j->memory_limit_bytes)
								  : json_null());
			json_object_set_new(e, "cpus", j->nano_cpus ? json_real((double)j->nano_cpus / 1e9)
								    : json_null());
		}
		json_array_append_new(run, e);
	}
	json_object_set_new(o, "running", run);
	if (detailed) {
		json_t *cap = json_array();
		for (size_t i = 0; cap && i < nhosts; i++) {
			const host_t *h = &hosts[i];
			json_t *e = json_object();
			json_object_set_new(e, "host", json_string(h->name));
			json_object_set_new(e, "url", json_string(h->url));
			json_object_set_new(e, "enabled", json_boolean(h->enabled));
			json_object_set_new(e, "max_jobs", json_integer(h->max_jobs));
			json_object_set_new(e, "active", json_integer(active[i]));
			json_object_set_new(e, "free", json_integer(h->max_jobs > active[i]
									 ? h->max_jobs - active[i]
									 : 0));
			json_object_set_new(e, "last_check_at", ops_time_json(h->checked_at));
			json_object_set_new(e, "last_check_ok",
					    h->checked_at ? json_boolean(h->check_ok) : json_null());
			json_object_set_new(e, "last_check_message",
					    h->check_message ? json_string(h->check_message) : json_null());
			json_array_append_new(cap, e);
		}
		json_object_set_new(o, "capacity", cap);
	}
	return o;
}

