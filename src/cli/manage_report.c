/*
 * cli/manage_report.c: `cjobs manage-jobs report`: job counts, success
 * rate, queue wait and run time (average, median, 95th percentile), peak
 * memory and CPU time, over a period, in all, per host and per image.
 *
 * Read-only: it must never change the store and never contacts an engine.
 * The numbers come from store_report() (store/report.c), in one snapshot.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/manage_options.h"
#include "cli/command.h"
#include "ops/jobs.h"
#include "ops/report.h"
#include "ops/render.h"
#include "store/report.h"
#include "util/err.h"
#include "util/output.h"
#include "util/timeutil.h"


static const char *const formats[] = {"table", "json", "csv", NULL};

/* ---- JSON ---- */

static int print_json(const store_report_t *r, int64_t since, int64_t until, const char *host,
		      int64_t now)
{
	json_t *o = ops_report_json(r, since, until, host, now);
	int rc = o ? render_print_json(stdout, o) : -1;
	json_decref(o);
	return rc;
}

/* ---- CSV ---- */

static const char *const csv_head[] = {
	"group",         "key",           "jobs",           "queued",
	"launching",     "running",       "completed",      "failed",
	"timeout",       "cancelled",     "success_rate",   "wait_avg_s",
	"wait_median_s", "wait_p95_s",    "wait_max_s",     "run_avg_s",
	"run_median_s",  "run_p95_s",     "run_max_s",      "peak_memory_max_bytes",
	"peak_memory_avg_bytes", "cpu_max_s", "cpu_avg_s",
};
#define CSV_COLS (sizeof(csv_head) / sizeof(csv_head[0]))

static void cell_f(char *buf, size_t size, bool has, double v)
{
	if (has)
		snprintf(buf, size, "%.3f", v);
	else
		buf[0] = '\0';
}

static int csv_row(table_t *t, const char *group, const store_report_row_t *r)
{
	char c[CSV_COLS][48];
	const char *row[CSV_COLS];
	size_t k = 0;
	row[k++] = group;
	row[k++] = r->key ? r->key : "";
	snprintf(c[k], sizeof(c[k]), "%lld", (long long)r->total);
	row[k] = c[k];
	k++;
	for (int i = 0; i < JOB_STATUS_COUNT; i++, k++) {
		snprintf(c[k], sizeof(c[k]), "%lld", (long long)r->counts[i]);
		row[k] = c[k];
	}
	double rate = 0;
	bool has_rate = ops_report_success_rate(r, &rate);
	cell_f(c[k], sizeof(c[k]), has_rate, rate);
	row[k] = c[k];
	k++;
	const store_stat_t *times[] = {&r->wait_ms, &r->run_ms};
	for (size_t i = 0; i < 2; i++) {
		const store_stat_t *s = times[i];
		double v[] = {s->avg, s->median, (double)s->p95, (double)s->max};
		for (size_t j = 0; j < 4; j++, k++) {
			cell_f(c[k], sizeof(c[k]), s->n > 0, v[j] / 1e3);
			row[k] = c[k];
		}
	}
	if (r->memory.n > 0) {
		snprintf(c[k], sizeof(c[k]), "%lld", (long long)r->memory.max);
		snprintf(c[k + 1], sizeof(c[k + 1]), "%lld", (long long)(r->memory.avg + 0.5));
	} else {
		c[k][0] = c[k + 1][0] = '\0';
	}
	row[k] = c[k];
	row[k + 1] = c[k + 1];
	k += 2;
	cell_f(c[k], sizeof(c[k]), r->cpu_ns.n > 0, (double)r->cpu_ns.max / 1e9);
	row[k] = c[k];
	k++;
	cell_f(c[k], sizeof(c[k]), r->cpu_ns.n > 0, r->cpu_ns.avg / 1e9);
	row[k] = c[k];
	return table_add(t, row);
}

static int print_csv(const store_report_t *r)
{
	table_t *t = table_new(CSV_COLS, csv_head);
	if (!t)
		return -1;
	int rc = csv_row(t, "all", &r->all);
	for (size_t i = 0; rc == 0 && i < r->nhosts; i++)
		rc = csv_row(t, "host", &r->hosts[i]);
	for (size_t i = 0; rc == 0 && i < r->nimages; i++)
		rc = csv_row(t, "image", &r->images[i]);
	if (rc == 0)
		table_print_csv(t, stdout);
	table_free(t);
	return rc;
}

/* ---- table ---- */

static void dist_cell(char *buf, size_t size, const store_stat_t *s)
{
	char a[24], m[24], p[24];
	if (s->n == 0) {
		snprintf(buf, size, "-");
		return;
	}
	snprintf(buf, size, "%s/%s/%s", format_duration((int64_t)(s->avg + 0.5), a, sizeof(a)),
		 format_duration((int64_t)(s->median + 0.5), m, sizeof(m)),
		 format_duration(s->p95, p, sizeof(p)));
}

static int table_row(table_t *t, const char *key, const store_report_row_t *r)
{
	char jobs[24], ok[24], failed[24], cancelled[24], other[24], rate[16], wait[80],
		runs[80], mem[64], cpu[64], b1[32], b2[32];
	snprintf(jobs, sizeof(jobs), "%lld", (long long)r->total);
	snprintf(ok, sizeof(ok), "%lld", (long long)r->counts[JOB_COMPLETED]);
	snprintf(failed, sizeof(failed), "%lld/%lld", (long long)r->counts[JOB_FAILED],
		 (long long)r->counts[JOB_TIMEOUT]);
	snprintf(cancelled, sizeof(cancelled), "%lld", (long long)r->counts[JOB_CANCELLED]);
	snprintf(other, sizeof(other), "%lld",
		 (long long)(r->counts[JOB_QUEUED] + r->counts[JOB_LAUNCHING] +
			     r->counts[JOB_RUNNING]));
	double v;
	if (ops_report_success_rate(r, &v))
		snprintf(rate, sizeof(rate), "%.1f%%", v * 100);
	else
		snprintf(rate, sizeof(rate), "-");
	dist_cell(wait, sizeof(wait), &r->wait_ms);
	dist_cell(runs, sizeof(runs), &r->run_ms);
	if (r->memory.n > 0)
		snprintf(mem, sizeof(mem), "%s/%s", render_bytes(r->memory.max, b1, sizeof(b1)),
			 render_bytes((int64_t)(r->memory.avg + 0.5), b2, sizeof(b2)));
	else
		snprintf(mem, sizeof(mem), "-");
	if (r->cpu_ns.n > 0)
		snprintf(cpu, sizeof(cpu), "%.2fs/%.2fs", (double)r->cpu_ns.max / 1e9,
			 r->cpu_ns.avg / 1e9);
	else
		snprintf(cpu, sizeof(cpu), "-");
	const char *row[] = {key, jobs, ok, failed, cancelled, other, rate, wait, runs, mem, cpu};
	return table_add(t, row);
}

static int print_group(const char *title, const char *keyhead, const store_report_row_t *rows,
		       size_t n, const char *null_key)
{
	const char *head[] = {keyhead,   "JOBS",    "COMPLETED", "FAILED/TIMEOUT",
			      "CANCELLED", "UNFINISHED", "SUCCESS", "WAIT avg/med/p95",
			      "RUN avg/med/p95", "PEAK_MEM max/avg", "CPU max/avg"};
	table_t *t = table_new(11, head);
	if (!t)
		return -1;
	int rc = 0;
	for (size_t i = 0; rc == 0 && i < n; i++)
		rc = table_row(t, rows[i].key ? rows[i].key : null_key, &rows[i]);
	printf("\n%s:\n", title);
	if (rc == 0) {
		if (n)
			table_print(t, stdout);
		else
			printf("  (no jobs)\n");
	}
	table_free(t);
	return rc;
}

static int print_table(const store_report_t *r, int64_t since, int64_t until, const char *host)
{
	char a[40], b[40];
	printf("Report of the jobs that finished (or, unfinished, were created) from %s to %s%s%s\n",
	       format_time(since, a, sizeof(a)), format_time(until, b, sizeof(b)),
	       host ? " on host " : "", host ? host : "");
	if (print_group("All jobs", "", &r->all, 1, "all") < 0 ||
	    print_group("By host", "HOST", r->hosts, r->nhosts, "(unassigned)") < 0 ||
	    print_group("By image", "IMAGE", r->images, r->nimages, "-") < 0)
		return -1;
	printf("\nSUCCESS is completed / (completed + failed + timeout). WAIT is started - queued; "
	       "RUN is finished - started.\n");
	return 0;
}

static int run(cli_ctx_t *ctx, cli_args_t *a)
{
	char *err = NULL;
	const char *host = cli_str(a, "host");
	int64_t now = now_ms();
	int64_t until = cli_num(a, "until"), since = cli_num(a, "since");
	host_t h;
	host_init(&h);
	ops_rc_t orc = ops_report_period_check(since, until, cli_given(a, "since"), &err);
	if (orc == OPS_OK && host)
		orc = ops_host_load(ctx->store, host, &h, &err);
	host_free(&h);
	if (orc != OPS_OK) {
		cli_error(ctx, "%s", err_str(err));
		free(err);
		return EXIT_ERROR;
	}
	store_report_t r;
	if (store_report(ctx->store, since, until, host, &r, &err) < 0) {
		cli_error(ctx, "%s", err_str(err));
		free(err);
		return EXIT_ERROR;
	}
	const char *fmt = cli_str(a, "format");
	int rc;
	if (strcmp(fmt, "json") == 0)
		rc = print_json(&r, since, until, host, now);
	else if (strcmp(fmt, "csv") == 0)
		rc = print_csv(&r);
	else
		rc = print_table(&r, since, until, host);
	store_report_free(&r);
	if (rc < 0) {
		cli_error(ctx, "out of memory");
		return EXIT_ERROR;
	}
	return EXIT_OK;
}

static const cli_option_t options[] = {
	OPS_REPORT_SINCE_OPTION,
	OPS_REPORT_UNTIL_OPTION,
	MANAGE_OPT_HOST("Only jobs pinned to or run on this executor host, as 'cjobs job list "
			"--host' takes them."),
	{.name = "format", .type = OPT_CHOICE, .metavar = "FORMAT", .def = "table",
	 .choices = formats,
	 .help = "table for people; json (one object, described under JSON and CSV Output) or "
		 "csv (a header row, then one row for all jobs, one per host, one per image) for "
		 "scripts and spreadsheets."},
	{0},
};

const cli_command_t manage_report = {
	.name = "report",
	.summary = "generate resource usage and performance reports",
	.usage = "[--since WHEN] [--until WHEN] [--host NAME] [--format table|json|csv]",
	.max_args = 0,
	.needs_store = true, .reads_only = true,
	.description =
		"Generate resource usage and performance reports.\n\n"
		"For the jobs of a period (by default the last 7 days), in all, per host and per "
		"image: how many ended in each status, the success rate, the queue wait (from "
		"queued to started) and the run time (from started to finished) as average, "
		"median and 95th percentile, and the peak memory and CPU time (maximum and "
		"average). A job belongs to the period by its finish time, or, when it has not "
		"finished, by its creation time. Per host, a job counts under the host it last "
		"ran on (a queued one under the host it is pinned to).",
	.options = options,
	.examples = (const cli_example_t[]){
		{"cjobs manage-jobs report --format table", "Show resource usage report", 0},
		{"cjobs manage-jobs report --since 2026-01-01 --until 2026-02-01",
		 "The report of January 2026 (UTC)", 0},
		{"cjobs manage-jobs report --host local --format json",
		 "The last 7 days on host local, as JSON", 0},
		{"cjobs manage-jobs report --format csv",
		 "The last 7 days as CSV with a header row, for a spreadsheet", 0},
		{NULL, NULL, 0},
	},
	.sections = (const cli_section_t[]){
		{"How It Works",
		 " 1. Work out the period: --since (default -7d, 7 days ago) to --until\n"
		 "    (default now).\n"
		 " 2. Select the jobs whose finish time, or for unfinished jobs creation time,\n"
		 "    lies in it (and, with --host, that are pinned to or ran on that host).\n"
		 " 3. Count them per status, and compute the statistics in the store in one\n"
		 "    snapshot: in all, per host, per image.\n"
		 " 4. Print a table, one JSON object, or CSV."},
		{"Measures",
		 "success rate: completed / (completed + failed + timeout); cancelled and "
		 "unfinished jobs are not counted in it. queue wait: started_at - queued_at of "
		 "the jobs that started (a retried job: its last attempt). run time: "
		 "finished_at - started_at of the finished jobs that started. median: the middle "
		 "value (mean of the two middle ones); p95: the 95th percentile by nearest rank. "
		 "peak memory and CPU time: as recorded by the worker at the end of each job; "
		 "jobs without a figure are left out of those averages (count says how many "
		 "had one)."},
		{"JSON and CSV Output",
		 "JSON: one object: generated_at, since, until (UTC ISO 8601 with "
		 "milliseconds), host (or null), overall ROW, by_host [ROW + host],\n"
		 "by_image [ROW + image]. ROW is:\n"
		 "  jobs, counts {queued, launching, running, completed, failed, timeout,\n"
		 "  cancelled}, success_rate (0..1 or null),\n"
		 "  queue_wait_seconds {count, avg, median, p95, max},\n"
		 "  run_seconds {count, avg, median, p95, max},\n"
		 "  peak_memory_bytes {count, avg, max}, cpu_seconds {count, avg, max}\n"
		 "(null values where count is 0). Keys are only ever added.\n\n"
		 "CSV: a header row, then rows with group all, host or image and its key; "
		 "columns jobs, one per status, success_rate, wait_avg_s, wait_median_s, "
		 "wait_p95_s, wait_max_s, run_avg_s, run_median_s, run_p95_s, run_max_s, "
		 "peak_memory_max_bytes, peak_memory_avg_bytes, cpu_max_s, cpu_avg_s (empty "
		 "where there is no value)."},
		{"Important Notes",
		 "Safe in production: it only reads the store, never takes its write lock, and "
		 "contacts no engine. Resource use: SQLite reads the jobs table a few times (the "
		 "selection has no index of its own) and sorts the values of the period for the "
		 "percentiles: a few MB of memory for a week of ordinary use. Expected run time: "
		 "grows with the jobs in the store, about 0.4 s per 10,000 (4 s for 100,000 "
		 "jobs); keep the store small with 'cjobs manage-jobs cleanup'."},
		{NULL, NULL},
	},
	.errors = (const cli_error_doc_t[]){
		{"cjobs: error: --since (2026-01-02T00:00:00Z) must be before --until "
		 "(2026-01-01T00:00:00Z)",
		 "the period is empty or reversed", "give an earlier --since or a later --until",
		 "cjobs manage-jobs report --since 2026-01-02 --until 2026-01-01"},
		{"cjobs: error: option --since: 'yesterday' is not a time: write now, -7d, +10m, "
		 "2026-11-24T22:00:00Z or @UNIXSECONDS (times are UTC)",
		 "--since or --until is written in a form that is not understood",
		 "write a UTC date such as 2026-11-24 or 2026-11-24T22:00:00Z, or @UNIXSECONDS",
		 "cjobs manage-jobs report --since yesterday"},
		{"cjobs: error: no host named 'nope'; 'cjobs host list' shows the hosts",
		 "--host names a host that is not registered", "see 'cjobs host list'",
		 "cjobs manage-jobs report --host nope"},
		{NULL, NULL, NULL, NULL},
	},
	.exit_codes = (const cli_exit_doc_t[]){
		{0, "Success (also when the period holds no job)."},
		{1, "Invalid option or period, unknown host, or job store error."},
		{0, NULL},
	},
	.run = run,
};
