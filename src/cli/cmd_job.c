/*
 * cli/cmd_job.c: `cjobs job list|show|logs`, and the `job` group itself.
 * Reads the store only.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/command.h"
#include "cli/follow_out.h"
#include "ops/jobs.h"
#include "ops/render.h"
#include "ops/schedule.h"
#include "util/err.h"
#include "util/text.h"
#include "util/output.h"
#include "util/parse.h"
#include "util/timeutil.h"

extern const cli_command_t cmd_job_submit, cmd_job_wait;

static const char *const list_formats[] = {"table", "json", "csv", NULL};
static const char *const show_formats[] = {"text", "json", NULL};
static const char *const streams[] = {"both", "stdout", "stderr", NULL};

/* Parses a job id argument and loads the job; prints the error itself. */
static int load_job(cli_ctx_t *ctx, const char *text, job_t *job)
{
	int64_t id;
	char *err = NULL;
	ops_rc_t rc = ops_job_id_parse(text, &id, &err);
	if (rc == OPS_OK)
		rc = ops_job_load(ctx->store, id, job, &err);
	if (rc != OPS_OK)
		cli_error(ctx, "%s", err_str(err));
	free(err);
	return rc == OPS_OK ? 0 : -1;
}

static void duration_of(const job_t *j, char *buf, size_t size)
{
	int64_t end = j->finished_at ? j->finished_at : (j->started_at ? now_ms() : 0);
	if (!j->started_at || !end)
		snprintf(buf, size, "-");
	else
		format_duration(end - j->started_at, buf, size);
}

/* --schedule NAME as the schedule's id (unset: 0). */
static int schedule_filter(cli_ctx_t *ctx, const char *name, int64_t *id, char **err)
{
	if (!name)
		return 0;
	store_schedule_t sc;
	if (ops_schedule_load(ctx->store, name, &sc, err) != OPS_OK)
		return -1;
	*id = sc.id;
	store_schedule_free(&sc);
	return 0;
}

static int list_run(cli_ctx_t *ctx, cli_args_t *a)
{
	job_filter_t f = {.host = cli_str(a, "host"), .limit = cli_num(a, "limit"),
			  .newest_first = true, .name = cli_str(a, "name"),
			  .image = cli_str(a, "image"),
			  .created_from = cli_has(a, "since") ? cli_num(a, "since") : 0,
			  .created_before = cli_has(a, "until") ? cli_num(a, "until") : 0,
			  .waiting = cli_flag(a, "waiting")};
	size_t ns;
	const char **st = cli_list(a, "status", &ns);
	char *err = NULL;
	if (ops_status_mask_parse(st, ns, &f.status_mask, &err) != OPS_OK ||
	    schedule_filter(ctx, cli_str(a, "schedule"), &f.schedule_id, &err) < 0) {
		cli_error(ctx, "%s", err_str(err));
		free(err);
		return EXIT_ERROR;
	}
	const char *fmt = cli_str(a, "format");
	/* The table's columns are all in a job's summary; JSON has everything. */
	f.summary = strcmp(fmt, "json") != 0;
	job_t *jobs = NULL;
	size_t n = 0;
	if (store_job_list(ctx->store, &f, &jobs, &n, &err) < 0) {
		cli_error(ctx, "%s", err_str(err));
		free(err);
		return EXIT_ERROR;
	}
	int rc = EXIT_OK;
	if (strcmp(fmt, "json") == 0) {
		json_t *arr = json_array();
		for (size_t i = 0; arr && i < n; i++)
			json_array_append_new(arr, render_job_json(&jobs[i], false));
		rc = render_print_json(stdout, arr) == 0 ? EXIT_OK : EXIT_ERROR;
		json_decref(arr);
	} else {
		static const char *const head[] = {"ID",   "STATUS", "NAME",    "IMAGE",   "HOST",
						   "PRIO", "TRY",    "EXIT",    "CREATED", "DURATION"};
		table_t *t = table_new(10, head);
		for (size_t i = 0; t && i < n; i++) {
			job_t *j = &jobs[i];
			char id[24], prio[16], att[16], ex[16], created[40], dur[32];
			snprintf(id, sizeof(id), "%lld", (long long)j->id);
			snprintf(prio, sizeof(prio), "%d", j->priority);
			snprintf(att, sizeof(att), "%d", j->attempt);
			if (j->has_exit_code)
				snprintf(ex, sizeof(ex), "%d", j->exit_code);
			else
				snprintf(ex, sizeof(ex), "-");
			duration_of(j, dur, sizeof(dur));
			const char *host = j->ran_on ? j->ran_on : (j->host ? j->host : "-");
			const char *row[] = {id, job_status_name(j->status), j->name ? j->name : "-",
					     j->image, host, prio, att, ex,
					     format_time(j->created_at, created, sizeof(created)), dur};
			if (table_add(t, row) < 0)
				rc = EXIT_ERROR;
		}
		if (!t || rc != EXIT_OK)
			cli_error(ctx, "out of memory");
		else if (strcmp(fmt, "csv") == 0)
			table_print_csv(t, stdout);
		else
			table_print(t, stdout);
		table_free(t);
	}
	store_job_list_free(jobs, n);
	return rc;
}

/* Sizes of the latest attempt's stored output: kept, written in all, cut. */
typedef struct {
	bool have;
	int64_t kept, total;
	bool truncated;
} out_size_t;

/* The sizes ops_job_detail_json gives for one stream. */
static out_size_t size_of(const json_t *o)
{
	if (!json_is_object(o))
		return (out_size_t){false, 0, 0, false};
	return (out_size_t){true, json_integer_value(json_object_get(o, "kept_bytes")),
			    json_integer_value(json_object_get(o, "total_bytes")),
			    json_is_true(json_object_get(o, "truncated"))};
}

static void print_output_sizes(const out_size_t sz[2])
{
	char a[32], b[32];
	printf("output:        ");
	if (!sz[0].have && !sz[1].have) {
		printf("none stored\n");
		return;
	}
	for (int i = 0; i < 2; i++) {
		printf("%s%s %s", i ? ", " : "", i ? "stderr" : "stdout",
		       render_bytes(sz[i].kept, a, sizeof(a)));
		if (sz[i].truncated)
			printf(" kept of %s written (cut at the output limit)",
			       render_bytes(sz[i].total, b, sizeof(b)));
	}
	printf("\n");
}

static void print_list(const char *label, char *const *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		printf("%-15s", i ? "" : label);
		fputs_printable(v[i], stdout);
		printf("\n");
	}
}

static void print_str(const char *label, const char *s)
{
	if (!s)
		return;
	printf("%-15s", label);
	fputs_printable(s, stdout);
	printf("\n");
}

/* The container options given, one line each; none: nothing printed. */
static void print_container(const job_container_t *c)
{
	char b[40];
	print_list("volume:", c->volumes, c->nvolumes);
	print_list("mount:", c->mounts, c->nmounts);
	print_list("tmpfs:", c->tmpfs, c->ntmpfs);
	print_str("user:", c->user);
	print_str("entrypoint:", c->entrypoint);
	print_str("hostname:", c->hostname);
	print_list("label:", c->labels, c->nlabels);
	print_str("network:", c->network);
	print_str("pull:", c->pull ? ctr_pull_names[c->pull] : NULL);
	print_str("read-only:", c->read_only ? "yes" : NULL);
	print_str("shm size:", c->shm_size ? render_bytes(c->shm_size, b, sizeof(b)) : NULL);
	print_str("init:", c->init ? "yes" : NULL);
	print_list("cap add:", c->cap_add, c->ncap_add);
	print_list("cap drop:", c->cap_drop, c->ncap_drop);
	print_str("security opt:", c->no_new_privileges ? "no-new-privileges" : NULL);
	print_str("gpus:", c->gpus);
}

/* One direction of the job's dependencies, from ops_job_detail_json's object:
 * "2 (ok: met, completed), 5 (any: waiting, running)". */
static void print_links(const char *label, const json_t *links)
{
	printf("%-15s", label);
	size_t i;
	json_t *e;
	if (json_array_size(links) == 0)
		printf("-");
	json_array_foreach(links, i, e) {
		printf("%s%lld (%s: %s, %s)", i ? ", " : "",
		       (long long)json_integer_value(json_object_get(e, "job")),
		       json_string_value(json_object_get(e, "on")),
		       json_string_value(json_object_get(e, "state")),
		       json_string_value(json_object_get(e, "status")));
	}
	printf("\n");
}

/* "schedule:      nightly, due 2026-...Z" for a job a schedule made. */
static void print_schedule(const job_t *j, const json_t *o)
{
	if (!j->schedule_id)
		return;
	char b1[40], num[32];
	const char *name = json_string_value(json_object_get(o, "schedule"));
	snprintf(num, sizeof(num), "%lld (removed)", (long long)j->schedule_id);
	printf("schedule:      %s, %s%s\n", name ? name : num, j->due_at ? "due " : "run by hand",
	       j->due_at ? format_time(j->due_at, b1, sizeof(b1)) : "");
}

static void print_text_job(const job_t *j, bool secrets, const job_event_t *ev, size_t nev,
			   const out_size_t sizes[2], const json_t *o)
{
	char b1[40], b2[40];
	char *cmd = render_argv(j->argv, j->argc);
	printf("id:            %lld\n", (long long)j->id);
	printf("uuid:          %s\n", j->uuid);
	printf("name:          %s\n", j->name ? j->name : "-");
	printf("status:        %s\n", job_status_name(j->status));
	print_schedule(j, o);
	printf("image:         %s\n", j->image);
	/* Commands, values and engine messages may hold any text: shown with
	 * control characters as \xHH, so that looking at a job cannot drive
	 * the terminal. */
	printf("command:       ");
	fputs_printable(j->argc ? (cmd ? cmd : "?") : "(the image's)", stdout);
	printf("\n");
	printf("workdir:       %s\n", j->workdir ? j->workdir : "(the image's)");
	printf("environment:   %s\n", j->envc ? "" : "-");
	for (size_t i = 0; i < j->envc; i++) {
		char *e = render_env_entry(j->env[i], secrets);
		printf("  ");
		fputs_printable(e ? e : "?", stdout);
		printf("\n");
		free(e);
	}
	printf("template:      %s\n", j->template_name ? j->template_name : "-");
	printf("memory limit:  %s\n", j->memory_bytes ? render_bytes(j->memory_bytes, b1, sizeof(b1)) : "none");
	if (j->nano_cpus)
		printf("cpu limit:     %g\n", (double)j->nano_cpus / 1e9);
	else
		printf("cpu limit:     none\n");
	if (j->timeout_s == JOB_TIMEOUT_DEFAULT)
		printf("time limit:    the worker's --timeout\n");
	else if (j->timeout_s == 0)
		printf("time limit:    none\n");
	else
		printf("time limit:    %llds\n", (long long)j->timeout_s);
	printf("priority:      %d\n", j->priority);
	printf("not before:    %s\n", format_time(j->not_before, b1, sizeof(b1)));
	printf("pinned host:   %s\n", j->host ? j->host : "-");
	print_links("waits for:", json_object_get(o, "after"));
	print_links("waited for by:", json_object_get(o, "waited_for_by"));
	print_container(&j->ctr);
	printf("max retries:   %d", j->max_retries);
	if (j->max_retries > 0) {
		const json_t *f = json_object_get(o, "retry_factor");
		char first[32], most[32];
		format_duration(json_integer_value(json_object_get(o, "retry_delay_seconds")) * 1000,
				first, sizeof(first));
		format_duration(
			json_integer_value(json_object_get(o, "retry_max_delay_seconds")) * 1000, most,
			sizeof(most));
		printf(" (strategy %s: first after about %s, x%g, at most %s%s%s)",
		       json_string_value(json_object_get(o, "retry_strategy")), first,
		       json_number_value(f), most,
		       j->retry_exit_codes ? "; also on exit codes " : "",
		       j->retry_exit_codes ? j->retry_exit_codes : "");
	}
	printf("\n");
	printf("attempt:       %d\n", j->attempt);
	if (j->has_exit_code)
		printf("exit code:     %d\n", j->exit_code);
	else
		printf("exit code:     -\n");
	printf("created:       %s\n", format_time(j->created_at, b1, sizeof(b1)));
	printf("queued:        %s\n", format_time(j->queued_at, b1, sizeof(b1)));
	printf("started:       %s\n", format_time(j->started_at, b1, sizeof(b1)));
	printf("finished:      %s\n", format_time(j->finished_at, b1, sizeof(b1)));
	printf("peak memory:   %s\n", render_bytes(j->peak_memory_bytes, b2, sizeof(b2)));
	if (j->cpu_usage_ns >= 0)
		printf("cpu time:      %.3fs\n", (double)j->cpu_usage_ns / 1e9);
	else
		printf("cpu time:      -\n");
	printf("ran on:        %s\n", j->ran_on ? j->ran_on : "-");
	printf("container:     %s\n", j->container_name ? j->container_name : "-");
	printf("last error:    ");
	fputs_printable(j->last_error ? j->last_error : "-", stdout);
	printf("\n");
	print_output_sizes(sizes);
	printf("history:\n");
	for (size_t i = 0; i < nev; i++) {
		printf("  %s  try %d  %s -> %s  %s: ", format_time(ev[i].at, b1, sizeof(b1)),
		       ev[i].attempt,
		       ev[i].from == JOB_STATUS_COUNT ? "new" : job_status_name(ev[i].from),
		       job_status_name(ev[i].to), ev[i].actor ? ev[i].actor : "-");
		fputs_printable(ev[i].reason ? ev[i].reason : "", stdout);
		printf("\n");
	}
	free(cmd);
}

static int show_run(cli_ctx_t *ctx, cli_args_t *a)
{
	job_t j;
	job_init(&j);
	store_job_detail_t d = {0};
	int64_t id;
	char *err = NULL;
	json_t *o = NULL;
	bool secrets = cli_flag(a, "show-secrets");
	ops_rc_t orc = ops_job_id_parse(a->pos[0], &id, &err);
	if (orc == OPS_OK)
		orc = ops_job_detail(ctx->store, id, &j, &d, &err);
	if (orc == OPS_OK)
		orc = ops_job_detail_json(&j, &d, secrets, &o, &err);
	int rc = EXIT_OK;
	if (orc != OPS_OK) {
		cli_error(ctx, "%s", err_str(err));
		rc = EXIT_ERROR;
	} else if (strcmp(cli_str(a, "format"), "json") == 0) {
		rc = render_print_json(stdout, o) == 0 ? EXIT_OK : EXIT_ERROR;
	} else {
		out_size_t sz[2] = {size_of(json_object_get(o, "stdout")),
				    size_of(json_object_get(o, "stderr"))};
		print_text_job(&j, secrets, d.history, d.nhistory, sz, o);
	}
	json_decref(o);
	store_job_detail_free(&d);
	free(err);
	job_free(&j);
	return rc;
}

/* 0 printed (or nothing stored: *found stays), -1 error. */
static int print_stream(cli_ctx_t *ctx, const job_t *j, int attempt, job_stream_t s, FILE *f,
			bool *found)
{
	job_output_t out = {0};
	char *err = NULL;
	int rc = store_output_get(ctx->store, j->id, attempt, s, &out, &err);
	if (rc < 0) {
		cli_error(ctx, "%s", err_str(err));
		free(err);
		return -1;
	}
	if (rc == 0) {
		*found = true;
		fwrite(out.data, 1, out.len, f);
		if (out.truncated)
			fprintf(stderr, "cjobs: note: %s of job %lld was cut at %zu bytes of %lld\n",
				s == JOB_STDOUT ? "stdout" : "stderr", (long long)j->id, out.len,
				(long long)out.total_bytes);
	}
	job_output_free(&out);
	return 0;
}

static int logs_run(cli_ctx_t *ctx, cli_args_t *a)
{
	job_t j;
	job_init(&j);
	if (load_job(ctx, a->pos[0], &j) < 0)
		return EXIT_ERROR;
	int attempt = (int)cli_num(a, "attempt");
	char *err = NULL;
	if (ops_job_check_attempt(&j, attempt, &err) != OPS_OK) {
		cli_error(ctx, "%s", err_str(err));
		free(err);
		job_free(&j);
		return EXIT_ERROR;
	}
	const char *which = cli_str(a, "stream");
	/* A job that has ended prints exactly as without --follow, notes and
	 * all. */
	if (cli_flag(a, "follow") && !job_status_is_final(j.status)) {
		ops_follow_job_t o = {
			.streams = strcmp(which, "stdout") == 0   ? JOB_STDOUT
				   : strcmp(which, "stderr") == 0 ? JOB_STDERR
								  : JOB_STDOUT | JOB_STDERR,
			.first_attempt = attempt,
			.wake_fd = -1,
		};
		int64_t id = j.id;
		job_free(&j);
		job_init(&j);
		int frc = cli_follow_job(ctx, id, &o, strcmp(which, "stderr") == 0, NULL, &j);
		job_free(&j);
		return frc == OPS_OK ? EXIT_OK : EXIT_ERROR;
	}
	int rc = 0;
	bool found = false;
	fflush(stdout);
	if (strcmp(which, "stderr") != 0)
		rc |= print_stream(ctx, &j, attempt, JOB_STDOUT, stdout, &found);
	fflush(stdout);
	if (strcmp(which, "stdout") != 0)
		rc |= print_stream(ctx, &j, attempt, JOB_STDERR,
				   strcmp(which, "stderr") == 0 ? stdout : stderr, &found);
	/* Nothing stored is not an error, but an empty answer should not look
	 * like a job that printed nothing. */
	if (rc == 0 && !found) {
		char *note = ops_job_no_output_note(&j, attempt);
		fprintf(stderr, "cjobs: note: %s\n", note ? note : "no output stored");
		free(note);
	}
	job_free(&j);
	return rc == 0 ? EXIT_OK : EXIT_ERROR;
}

static const cli_command_t job_list = {
	.name = "list",
	.summary = "list jobs, newest first",
	.usage = "[options]",
	.max_args = 0, .needs_store = true, .reads_only = true,
	.description = "Lists jobs with their status, host, attempt, exit code and run time. "
		       "The HOST column shows the host a job ran on, or the host it is pinned to.",
	.options = (const cli_option_t[]){
		{.name = "status", .short_name = 's', .type = OPT_STRING, .metavar = "STATUS",
		 .repeat = true,
		 .help = "Only jobs in this status: queued, launching, running, completed, failed, "
			 "timeout or cancelled. Give it more than once for several."},
		{.name = "host", .type = OPT_STRING, .metavar = "NAME",
		 .help = "Only jobs pinned to or run on this host."},
		{.name = "waiting", .type = OPT_FLAG,
		 .help = "Only queued jobs held by dependencies not yet met (job submit --after); "
			 "'job show ID' says which jobs each waits for."},
		{.name = "name", .type = OPT_STRING, .metavar = "TEXT",
		 .help = "Only jobs of exactly this name (job submit --name)."},
		{.name = "image", .type = OPT_STRING, .metavar = "IMAGE",
		 .help = "Only jobs of exactly this image, as submitted (busybox:1.36)."},
		{.name = "schedule", .type = OPT_STRING, .metavar = "NAME",
		 .help = "Only jobs made by this schedule (cjobs schedule), at its due times or "
			 "by schedule run."},
		{.name = "since", .type = OPT_WHEN, .metavar = "TIME",
		 .help = "Only jobs created at or after this time: now, +10m, "
			 "2026-11-24T22:00:00Z or @UNIXSECONDS (UTC)."},
		{.name = "until", .type = OPT_WHEN, .metavar = "TIME",
		 .help = "Only jobs created before this time, written like --since."},
		{.name = "limit", .type = OPT_INT, .metavar = "N", .def = "100", .min = 0,
		 .max = INT32_MAX, .help = "At most N jobs (the newest); 0 for all."},
		{.name = "format", .type = OPT_CHOICE, .metavar = "FORMAT", .def = "table",
		 .choices = list_formats,
		 .help = "table for people; json (an array of job objects) or csv (header row "
			 "first) for scripts."},
		{0},
	},
	.examples = (const cli_example_t[]){
		{"cjobs job list", "the hundred newest jobs", 0},
		{"cjobs job list --status failed --status timeout", "jobs that did not succeed", 0},
		{"cjobs job list --status running --format json", "running jobs as JSON", 0},
		{"cjobs job list --limit 0 --format csv", "every job as CSV", 0},
		{"cjobs job list --waiting", "queued jobs that wait for other jobs to finish", 0},
		{"cjobs job list --name nightly --since 2026-11-01",
		 "the jobs named nightly created since November 1st (UTC)", 0},
		{NULL, NULL, 0},
	},
	.sections = (const cli_section_t[]){
		{"Important Notes",
		 "Read-only: reads the store, never an engine; safe while workers run. Only the "
		 "newest --limit jobs (100 by default) are shown: use --limit 0 to see every job, "
		 "which reads them all. A --host or --status that matches no job prints only the "
		 "table's header; it is not an error."},
		{NULL, NULL},
	},
	.errors = (const cli_error_doc_t[]){
		{"cjobs: error: 'bogus' is not a job status: use queued, launching, running, "
		 "completed, failed, timeout or cancelled",
		 "a --status value is not one of the statuses", "give one of the statuses listed",
		 "cjobs job list --status bogus"},
		{"cjobs: error: option --format: 'xml' is not one of: table, json, csv",
		 "--format has another value", "use table, json or csv",
		 "cjobs job list --format xml"},
		{"cjobs: error: no schedule named 'nosuch'; 'cjobs schedule list' shows them",
		 "--schedule names no schedule (a removed schedule's jobs are listed by "
		 "'cjobs job list' without it)",
		 "check the name with 'cjobs schedule list'", "cjobs job list --schedule nosuch"},
		{NULL, NULL, NULL},
	},
	.run = list_run,
};

static const cli_command_t job_show = {
	.name = "show",
	.summary = "show every field of a job, with its history",
	.usage = "ID [options]",
	.min_args = 1, .max_args = 1, .needs_store = true, .reads_only = true,
	.description = "Prints the job's definition, its state, its results and resource use, "
		       "and its history: every change of status with time, actor and reason.",
	.options = (const cli_option_t[]){
		{.name = "format", .type = OPT_CHOICE, .metavar = "FORMAT", .def = "text",
		 .choices = show_formats, .help = "text for people; json for scripts."},
		{.name = "show-secrets", .type = OPT_FLAG,
		 .help = "Print the values of environment keys that look secret (PASSWORD, TOKEN, "
			 "SECRET, ...) instead of ********."},
		{0},
	},
	.examples = (const cli_example_t[]){
		{"cjobs job show 1", "everything about job 1", 0},
		{"cjobs job show 1 --format json", "the same as one JSON object", 0},
		{NULL, NULL, 0},
	},
	.sections = (const cli_section_t[]){
		{"Important Notes",
		 "Read-only: reads the store, never an engine; safe while workers run. Values of "
		 "environment keys that look secret are printed as ******** unless --show-secrets; "
		 "with it they appear in clear on the terminal (and in anything that records it). "
		 "A job removed by 'cjobs manage-jobs cleanup' can no longer be shown."},
		{"Peak Memory",
		 "Peak memory is the engine's own maximum where it reports one (Docker on cgroup "
		 "v1). Podman reports none (and Docker on cgroup v2 neither): there it is the "
		 "highest of the samples the worker takes every 2 seconds while the job runs, so "
		 "a spike shorter than that can be missed."},
		{NULL, NULL},
	},
	.errors = (const cli_error_doc_t[]){
		{"cjobs: error: no job with id 999", "there is no such job (or it was cleaned up)",
		 "check 'cjobs job list'", "cjobs job show 999"},
		{"cjobs: error: 'abc' is not a job id", "job ids are whole numbers",
		 "use the number 'cjobs job submit' printed, or see 'cjobs job list'",
		 "cjobs job show abc"},
		{NULL, NULL, NULL},
	},
	.run = show_run,
};

static const cli_command_t job_logs = {
	.name = "logs",
	.summary = "print a job's captured output",
	.usage = "ID [options]",
	.min_args = 1, .max_args = 1, .needs_store = true, .reads_only = true,
	.description =
		"Prints what the job's container wrote: stdout to standard output and stderr to "
		"standard error (with --stream both), exactly as captured. Output beyond the "
		"worker's --output-limit was not kept; a note on standard error says so.",
	.options = (const cli_option_t[]){
		{.name = "stream", .type = OPT_CHOICE, .metavar = "WHICH", .def = "both",
		 .choices = streams, .help = "Which output to print."},
		{.name = "attempt", .type = OPT_INT, .metavar = "N", .def = "0", .min = 0,
		 .max = 1000, .help = "The output of this attempt; 0 for the latest."},
		{.name = "follow", .short_name = 'f', .type = OPT_FLAG,
		 .help = "Keep printing until the job has ended: a queued job is waited for; "
			 "while an attempt runs, its output as the container writes it, read "
			 "live from the engine that runs it; then what the store kept of it and "
			 "was not yet printed; then the next attempt's, if the job is retried. "
			 "Starts at --attempt (the latest by default). A job that has already "
			 "ended prints as without it."},
		{0},
	},
	.examples = (const cli_example_t[]){
		{"cjobs job logs 1", "both streams of job 1's latest attempt", 0},
		{"cjobs job logs 1 --stream stderr", "only what it wrote to stderr", 0},
		{"cjobs job logs 1 --follow",
		 "its output as it is written, until the job has ended", 0},
		{NULL, NULL, 0},
	},
	.sections = (const cli_section_t[]){
		{"Important Notes",
		 "Read-only: prints the output kept in the store, never asks an engine (but with "
		 "--follow, which reads a running container's output from its engine, so the "
		 "engine must be reachable from here to see it live; else it comes from the store "
		 "when the attempt ends); safe while workers run. Without --follow, a job that has "
		 "not run yet, or is still running, has no stored output: nothing is printed on "
		 "standard output, a note on standard error says why, and the exit code is 0. "
		 "Output may hold secrets the job printed; it is stored in the store file (mode "
		 "0600) until 'cjobs manage-jobs cleanup' removes the job."},
		{NULL, NULL},
	},
	.errors = (const cli_error_doc_t[]){
		{"cjobs: error: no job with id 999; 'cjobs job list' shows the jobs",
		 "there is no such job (or it was cleaned up)", "check 'cjobs job list'",
		 "cjobs job logs 999"},
		{"cjobs: error: job 1 has had 1 attempt(s); give --attempt from 1 to 1, or 0 for "
		 "the latest",
		 "--attempt is larger than the number of times the job was run",
		 "give an attempt the job has had, or leave --attempt out for the latest",
		 "cjobs job logs 1 --attempt 5"},
		{NULL, NULL, NULL},
	},
	.run = logs_run,
};

const cli_command_t cmd_job = {
	.name = "job",
	.group = "Jobs",
	.summary = "queue jobs and look at them",
	.usage = "SUBCOMMAND [options]",
	.description = "A job is one container to run: an image, a command, its environment and "
		       "limits. It is queued by 'submit', run by 'cjobs process-jobs', and keeps "
		       "its results, output and history in the store.\n\n"
		       "Statuses: queued (waiting), launching (a worker is starting its container), "
		       "running, completed (exit 0), failed (non-zero exit or could not run), "
		       "timeout (killed at its time limit), cancelled.",
	.examples = (const cli_example_t[]){
		{"cjobs job submit --image cjobs-test/busybox:1 -- echo hello",
		 "queue a job; its id is printed", 0},
		{"cjobs job list --status failed", "the jobs that failed", 0},
		{"cjobs job show 1", "everything about job 1, with its history", 0},
		{"cjobs job logs 1", "what job 1 wrote to stdout and stderr", 0},
		{"cjobs job wait 1", "wait until job 1 has ended; exit with its exit code", 0},
		{NULL, NULL, 0},
	},
	.sections = (const cli_section_t[]){
		{"Important Notes",
		 "submit writes to the store; list, show, logs and wait only read it. None of them "
		 "contacts an engine (but logs --follow, which reads a running job's output from "
		 "its engine): a worker ('cjobs process-jobs') runs the queued jobs.\n\n"
		 "Whoever can submit jobs can run any image on the executor hosts, and access to a "
		 "Docker engine is root-equivalent on its machine: treat the right to submit as "
		 "root access to the hosts.\n\n"
		 "The store holds every job's environment, secrets included (they are shown as "
		 "******** unless --show-secrets). It is created mode 0600: keep it so, and run "
		 "cjobs as the user that owns it. Each subcommand takes a fraction of a second."},
		{NULL, NULL},
	},
	.errors = (const cli_error_doc_t[]){
		{"cjobs: error: 'cjobs job' needs a subcommand (see the list above)",
		 "'cjobs job' was run without a subcommand; the group's help, with the list of "
		 "subcommands, is printed on standard error before the message",
		 "add one of the subcommands listed, e.g. 'cjobs job list'", "cjobs job"},
		{"cjobs: error: unknown subcommand 'frob' for 'cjobs job'",
		 "the word after 'job' is not one of its subcommands (a typo, or a subcommand of "
		 "another group)",
		 "see 'cjobs help job' for the list of subcommands", "cjobs job frob"},
		{NULL, NULL, NULL},
	},
	.subcommands = (const cli_command_t *const[]){&cmd_job_submit, &job_list, &job_show,
						      &job_logs, &cmd_job_wait, NULL},
};
