/*
 * http/api_metrics.c: GET /metrics in the Prometheus text format, and the
 * dashboard's timeline of the queue. Names follow Prometheus's conventions:
 * cjobs_ prefix, base units (seconds), _total only on counters, one
 * metric per meaning with labels for status, host and worker.
 */
#include "http/internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ops/status.h"
#include "store/metrics.h"
#include "store/report.h"
#include "util/err.h"
#include "util/timeutil.h"


/* A label value with \, " and newline escaped, as the format asks. */
static void label(FILE *f, const char *v)
{
	for (const char *p = v ? v : ""; *p; p++) {
		if (*p == '\\' || *p == '"')
			fputc('\\', f), fputc(*p, f);
		else if (*p == '\n')
			fputs("\\n", f);
		else
			fputc(*p, f);
	}
}

/* "name{k1="v1"[,k2="v2"]} ": a sample's name and labels, its value to
 * follow. */
static void labels(FILE *f, const char *name, const char *k1, const char *v1, const char *k2,
		   const char *v2)
{
	fprintf(f, "%s{%s=\"", name, k1);
	label(f, v1);
	if (k2) {
		fprintf(f, "\",%s=\"", k2);
		label(f, v2);
	}
	fputs("\"} ", f);
}

static void head(FILE *f, const char *name, const char *type, const char *help)
{
	fprintf(f, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static int write_jobs(FILE *f, store_t *s, int64_t now, char **err)
{
	store_status_t st = {0};
	if (store_status(s, NULL, now, &st, err) < 0)
		return -1;
	head(f, "cjobs_jobs", "gauge",
	     "Jobs in the store by status and host (a queued job's pinned host, else the host it "
	     "last ran on; empty for none).");
	for (size_t i = 0; i < st.nhosts; i++)
		for (int k = 0; k < JOB_STATUS_COUNT; k++) {
			labels(f, "cjobs_jobs", "status", job_status_name((job_status_t)k), "host",
			       st.hosts[i].host);
			fprintf(f, "%lld\n", (long long)st.hosts[i].counts[k]);
		}
	head(f, "cjobs_ready_jobs", "gauge", "Queued jobs that may start now.");
	fprintf(f, "cjobs_ready_jobs %lld\n", (long long)st.ready);
	head(f, "cjobs_scheduled_jobs", "gauge", "Queued jobs whose start time is still to come.");
	fprintf(f, "cjobs_scheduled_jobs %lld\n", (long long)st.scheduled);
	head(f, "cjobs_waiting_jobs", "gauge",
	     "Queued jobs held by dependencies not yet met (job submit --after).");
	fprintf(f, "cjobs_waiting_jobs %lld\n", (long long)st.waiting);
	head(f, "cjobs_oldest_ready_job_age_seconds", "gauge",
	     "How long the oldest ready job has waited; 0 when none is ready.");
	fprintf(f, "cjobs_oldest_ready_job_age_seconds %.3f\n",
		st.oldest_id ? (double)(now - st.oldest_queued_at) / 1000.0 : 0.0);
	store_status_free(&st);
	return 0;
}

static int write_run_times(FILE *f, store_t *s, char **err)
{
	int64_t counts[STORE_RUN_BUCKETS], total = 0, sum_ms = 0;
	if (store_run_time_histogram(s, counts, &total, &sum_ms, err) < 0)
		return -1;
	head(f, "cjobs_job_run_seconds", "histogram",
	     "Run time (start to finish) of the jobs that ran and finished, counted as each "
	     "finishes (cleanup does not lower it).");
	for (size_t i = 0; i < STORE_RUN_BUCKETS; i++)
		fprintf(f, "cjobs_job_run_seconds_bucket{le=\"%lld\"} %lld\n",
			(long long)(store_run_bounds_ms[i] / 1000), (long long)counts[i]);
	fprintf(f, "cjobs_job_run_seconds_bucket{le=\"+Inf\"} %lld\n", (long long)total);
	fprintf(f, "cjobs_job_run_seconds_sum %.3f\n", (double)sum_ms / 1000.0);
	fprintf(f, "cjobs_job_run_seconds_count %lld\n", (long long)total);
	return 0;
}

static int write_hosts(FILE *f, store_t *s, char **err)
{
	host_t *hosts = NULL;
	size_t n = 0;
	if (store_host_list(s, &hosts, &n, err) < 0)
		return -1;
	head(f, "cjobs_host_up", "gauge",
	     "1 when the host's engine answered its last health check, 0 when it did not; absent "
	     "before the first check.");
	for (size_t i = 0; i < n; i++)
		if (hosts[i].checked_at) {
			labels(f, "cjobs_host_up", "host", hosts[i].name, NULL, NULL);
			fprintf(f, "%d\n", hosts[i].check_ok ? 1 : 0);
		}
	head(f, "cjobs_host_last_check_timestamp_seconds", "gauge",
	     "When the host's engine was last checked (unix time).");
	for (size_t i = 0; i < n; i++)
		if (hosts[i].checked_at) {
			labels(f, "cjobs_host_last_check_timestamp_seconds", "host", hosts[i].name,
			       NULL, NULL);
			fprintf(f, "%.3f\n", (double)hosts[i].checked_at / 1000.0);
		}
	head(f, "cjobs_host_enabled", "gauge", "1 when workers may start jobs on the host.");
	for (size_t i = 0; i < n; i++) {
		labels(f, "cjobs_host_enabled", "host", hosts[i].name, NULL, NULL);
		fprintf(f, "%d\n", hosts[i].enabled ? 1 : 0);
	}
	head(f, "cjobs_host_max_jobs", "gauge", "Jobs the host may run at once.");
	for (size_t i = 0; i < n; i++) {
		labels(f, "cjobs_host_max_jobs", "host", hosts[i].name, NULL, NULL);
		fprintf(f, "%d\n", hosts[i].max_jobs);
	}
	store_host_list_free(hosts, n);
	return 0;
}

static int write_workers(FILE *f, store_t *s, int64_t now, char **err)
{
	store_worker_t *w = NULL;
	size_t n = 0;
	if (store_worker_list(s, now, &w, &n, err) < 0)
		return -1;
	head(f, "cjobs_worker_up", "gauge",
	     "1 while the worker is alive (heartbeat lease running, liveness lock held).");
	for (size_t i = 0; i < n; i++) {
		labels(f, "cjobs_worker_up", "worker", w[i].id, "machine", w[i].machine);
		fprintf(f, "%d\n", w[i].alive ? 1 : 0);
	}
	head(f, "cjobs_worker_last_heartbeat_timestamp_seconds", "gauge",
	     "When the worker last renewed its heartbeat (unix time).");
	for (size_t i = 0; i < n; i++) {
		labels(f, "cjobs_worker_last_heartbeat_timestamp_seconds", "worker", w[i].id, "machine", w[i].machine);
		fprintf(f, "%.3f\n", (double)w[i].heartbeat_at / 1000.0);
	}
	head(f, "cjobs_worker_jobs", "gauge", "Jobs launching or running under the worker.");
	for (size_t i = 0; i < n; i++) {
		labels(f, "cjobs_worker_jobs", "worker", w[i].id, "machine", w[i].machine);
		fprintf(f, "%lld\n", (long long)w[i].jobs_held);
	}
	store_worker_list_free(w, n);
	return 0;
}

void api_metrics(http_req_t *r)
{
	char *text = NULL, *err = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	if (!f) {
		http_reply_error(r, 500, "out of memory");
		return;
	}
	int64_t now = now_ms();
	int rc = write_jobs(f, r->store, now, &err);
	if (rc == 0)
		rc = write_run_times(f, r->store, &err);
	if (rc == 0)
		rc = write_hosts(f, r->store, &err);
	if (rc == 0)
		rc = write_workers(f, r->store, now, &err);
	bool failed = fclose(f) != 0 || !text;
	if (rc < 0 || failed) {
		free(text);
		http_reply_ops(r, OPS_E_STORE, err ? err : "out of memory");
	} else {
		http_reply_text(r, 200, "text/plain; version=0.0.4; charset=utf-8", text, len);
	}
	free(err);
}

static const char *const ranges[] = {"hour", "day", NULL};

void api_timeline(http_req_t *r)
{
	const char *range = http_query(r, "range");
	if (!range)
		range = "hour";
	size_t n = 0;
	for (size_t i = 0; ranges[i]; i++)
		if (strcmp(range, ranges[i]) == 0)
			n = i == 0 ? 60 : 1440;
	if (!n) {
		http_reply_error(r, 400, "?range: '%.40s' is not one of: hour, day", range);
		return;
	}
	const int64_t step = 60 * 1000;
	int64_t from = now_ms() / step * step - (int64_t)(n - 1) * step;
	store_timeline_point_t *p = calloc(n, sizeof(*p));
	char *err = NULL;
	if (!p) {
		http_reply_error(r, 500, "out of memory");
		return;
	}
	if (store_timeline(r->store, from, step, n, p, &err) < 0) {
		http_reply_ops(r, OPS_E_STORE, err);
	} else {
		json_t *arr = json_array();
		for (size_t i = 0; arr && i < n; i++)
			json_array_append_new(arr, json_pack("{s:o, s:I, s:I, s:I}", "at",
							     ops_time_json(from + (int64_t)i * step),
							     "queued", (json_int_t)p[i].queued, "running",
							     (json_int_t)p[i].running, "finished",
							     (json_int_t)p[i].finished));
		http_reply_json(r, 200, json_pack("{s:s, s:i, s:o}", "range", range, "step_seconds", 60,
						  "points", arr));
	}
	free(err);
	free(p);
}
