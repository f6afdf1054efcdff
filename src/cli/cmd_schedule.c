/*
 * cli/cmd_schedule.c: `cjobs schedule`: jobs queued at the times a cron
 * expression names. The rules are ops/schedule.c's; this file chooses,
 * confirms and prints. `schedule add` takes job submit's option table as
 * it is (less --file, --count and --at), copied at start-up beside the
 * schedule's own options, so that an option added to job submit is an
 * option of a schedule's job with nothing to change here.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/command.h"
#include "cli/context.h"
#include "ops/render.h"
#include "ops/schedule.h"
#include "ops/submit.h"
#include "util/err.h"
#include "util/output.h"
#include "util/sched_clock.h"
#include "util/timeutil.h"

#define ADD_OPTIONS_MAX 128

static const char *const formats[] = {"table", "json", NULL};

/* ---- the option table of add: the schedule's, then job submit's ---- */

static cli_option_t add_options[ADD_OPTIONS_MAX];

static bool not_for_schedules(const char *name)
{
	/* --after names jobs that exist now; each run is a new job made at
	 * its due time, which no id given today can be meant for. */
	return strcmp(name, "file") == 0 || strcmp(name, "count") == 0 ||
	       strcmp(name, "at") == 0 || strcmp(name, "after") == 0;
}

/* Filled before main: the tables are data every part of the program reads
 * (parsing, help, docs, completion). */
__attribute__((constructor)) static void fill_options(void)
{
	size_t n = 0;
	for (const cli_option_t *o = ops_schedule_options; o->name; o++)
		if (n < ADD_OPTIONS_MAX - 1)
			add_options[n++] = *o;
	for (const cli_option_t *o = ops_submit_options; o->name; o++)
		if (!not_for_schedules(o->name) && n < ADD_OPTIONS_MAX - 1)
			add_options[n++] = *o;
	if (n == ADD_OPTIONS_MAX - 1) {
		fprintf(stderr, "cjobs: internal error: schedule add has more than %d options\n",
			ADD_OPTIONS_MAX - 2);
		abort();
	}
}

/* The parsed options of a, as `table` lays them out (options a lacks are
 * not given). */
static int sub_args(const cli_args_t *a, const cli_option_t *table, const char *owner,
		    cli_args_t *sub)
{
	size_t n = 0;
	while (table[n].name)
		n++;
	memset(sub, 0, sizeof(*sub));
	sub->options = table;
	sub->owner = owner;
	sub->path = a->path;
	sub->nopts = n;
	sub->vals = calloc(n + 1, sizeof(cli_value_t));
	if (!sub->vals)
		return -1;
	for (size_t i = 0; i < n; i++)
		for (size_t k = 0; k < a->nopts; k++)
			if (strcmp(a->options[k].name, table[i].name) == 0)
				sub->vals[i] = a->vals[k];
	sub->pos = a->pos + 1;  /* after NAME: the command */
	sub->npos = a->npos - 1;
	return 0;
}

static int fail(cli_ctx_t *ctx, char *err)
{
	cli_error(ctx, "%s", err_str(err));
	free(err);
	return EXIT_ERROR;
}

static int add_run(cli_ctx_t *ctx, cli_args_t *a)
{
	char *err = NULL;
	cli_args_t sched, job;
	if (sub_args(a, ops_schedule_options, "schedule", &sched) < 0 ||
	    sub_args(a, ops_submit_options, "job submit", &job) < 0) {
		free(sched.vals);
		cli_error(ctx, "out of memory");
		return EXIT_ERROR;
	}
	store_schedule_t sc;
	bool added = false;
	ops_rc_t rc = ops_schedule_add(ctx->store, a->pos[0], &sched, &job, sched_now_ms(), &sc,
				       &err);
	free(sched.vals);
	free(job.vals);
	if (rc != OPS_OK)
		return fail(ctx, err);
	if (ctx_ensure_default_host(ctx, &added, &err) < 0) {
		store_schedule_free(&sc);
		return fail(ctx, err);
	}
	char when[40], local[48];
	printf("added schedule '%s' (%s, %s): next due %s (%s)\n", sc.name, sc.cron, sc.tz,
	       format_time(sc.next_due, when, sizeof(when)),
	       ops_schedule_local_time(&sc, sc.next_due, local, sizeof(local)));
	store_schedule_free(&sc);
	return EXIT_OK;
}

static int list_run(cli_ctx_t *ctx, cli_args_t *a)
{
	char *err = NULL;
	store_schedule_t *v = NULL;
	size_t n = 0;
	if (store_schedule_list(ctx->store, &v, &n, &err) < 0)
		return fail(ctx, err);
	int rc = EXIT_OK;
	if (strcmp(cli_str(a, "format"), "json") == 0) {
		json_t *arr = json_array();
		for (size_t i = 0; arr && i < n && rc == EXIT_OK; i++) {
			json_t *o = NULL;
			if (ops_schedule_json(ctx->store, &v[i], sched_now_ms(), false, false, &o,
					      &err) != OPS_OK)
				rc = fail(ctx, err);
			else
				json_array_append_new(arr, o);
		}
		if (rc == EXIT_OK && render_print_json(stdout, arr) < 0)
			rc = EXIT_ERROR;
		json_decref(arr);
	} else {
		static const char *const head[] = {"NAME", "CRON", "TZ", "NEXT DUE (UTC)", "STATE",
						   "CONCURRENCY", "CATCH-UP", "KEEP"};
		table_t *t = table_new(8, head);
		for (size_t i = 0; t && i < n; i++) {
			char when[40], keep[24];
			snprintf(keep, sizeof(keep), "%lld", (long long)v[i].keep);
			const char *row[] = {v[i].name,
					     v[i].cron,
					     v[i].tz,
					     v[i].paused ? "-" : format_time(v[i].next_due, when, sizeof(when)),
					     v[i].paused ? "paused" : "active",
					     v[i].concurrency,
					     v[i].catch_up,
					     v[i].keep ? keep : "all"};
			if (table_add(t, row) < 0)
				rc = EXIT_ERROR;
		}
		if (t && rc == EXIT_OK)
			table_print(t, stdout);
		else
			cli_error(ctx, "out of memory");
		table_free(t);
	}
	store_schedule_list_free(v, n);
	return rc;
}

static const char *str_of(const json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));
	return s ? s : "-";
}

static void print_show(const json_t *o)
{
	printf("name:         %s\n", str_of(o, "name"));
	printf("cron:         %s\n", str_of(o, "cron"));
	printf("time zone:    %s\n", str_of(o, "tz"));
	printf("state:        %s\n", json_is_true(json_object_get(o, "paused")) ? "paused" : "active");
	printf("concurrency:  %s\n", str_of(o, "concurrency"));
	printf("catch-up:     %s\n", str_of(o, "catch_up"));
	json_int_t keep = json_integer_value(json_object_get(o, "keep"));
	if (keep)
		printf("keep:         %lld finished jobs\n", (long long)keep);
	else
		printf("keep:         all\n");
	printf("created:      %s\n", str_of(o, "created_at"));
	char *job = json_dumps(json_object_get(o, "job"), JSON_COMPACT);
	printf("job:          %s\n", job ? job : "-");
	free(job);
	size_t i;
	json_t *e;
	printf("next due times%s:\n",
	       json_is_true(json_object_get(o, "paused")) ? " (after a resume now)" : "");
	json_array_foreach(json_object_get(o, "next"), i, e)
		printf("  %s  %s\n", str_of(e, "utc"), str_of(e, "local"));
	json_t *runs = json_object_get(o, "runs");
	printf("last runs:%s\n", json_array_size(runs) ? "" : " none");
	json_array_foreach(runs, i, e) {
		json_t *code = json_object_get(e, "exit_code");
		char c[24] = "";
		if (json_is_integer(code))
			snprintf(c, sizeof(c), " (exit %lld)", (long long)json_integer_value(code));
		const char *due = str_of(e, "due_at");
		printf("  job %lld  due %s  %s%s%s\n", (long long)json_integer_value(json_object_get(e, "id")),
		       strcmp(due, "-") ? due : "- (run by hand)", str_of(e, "status"), c, "");
	}
	json_t *skips = json_object_get(o, "skipped");
	printf("skipped runs:%s\n", json_array_size(skips) ? "" : " none");
	json_array_foreach(skips, i, e)
		printf("  due %s  %s\n", str_of(e, "due_at"), str_of(e, "reason"));
}

static int show_run(cli_ctx_t *ctx, cli_args_t *a)
{
	char *err = NULL;
	store_schedule_t sc;
	json_t *o = NULL;
	if (ops_schedule_load(ctx->store, a->pos[0], &sc, &err) != OPS_OK)
		return fail(ctx, err);
	ops_rc_t rc = ops_schedule_json(ctx->store, &sc, sched_now_ms(), true,
					cli_flag(a, "show-secrets"), &o, &err);
	store_schedule_free(&sc);
	if (rc != OPS_OK)
		return fail(ctx, err);
	int out = EXIT_OK;
	if (strcmp(cli_str(a, "format"), "json") == 0)
		out = render_print_json(stdout, o) == 0 ? EXIT_OK : EXIT_ERROR;
	else
		print_show(o);
	json_decref(o);
	return out;
}

static int pause_run(cli_ctx_t *ctx, cli_args_t *a)
{
	char *err = NULL;
	if (ops_schedule_pause(ctx->store, a->pos[0], &err) != OPS_OK)
		return fail(ctx, err);
	printf("paused schedule '%s': it queues no job until 'cjobs schedule resume %s'\n",
	       a->pos[0], a->pos[0]);
	return EXIT_OK;
}

static int resume_run(cli_ctx_t *ctx, cli_args_t *a)
{
	char *err = NULL, when[40];
	int64_t next = 0;
	if (ops_schedule_resume(ctx->store, a->pos[0], sched_now_ms(), &next, &err) != OPS_OK)
		return fail(ctx, err);
	printf("resumed schedule '%s': next due %s (the due times of the pause are not caught "
	       "up)\n",
	       a->pos[0], format_time(next, when, sizeof(when)));
	return EXIT_OK;
}

static int remove_run(cli_ctx_t *ctx, cli_args_t *a)
{
	char *err = NULL;
	store_schedule_t sc;
	if (ops_schedule_load(ctx->store, a->pos[0], &sc, &err) != OPS_OK)
		return fail(ctx, err);
	store_schedule_free(&sc);
	char *what = NULL;
	if (asprintf(&what, "schedule '%s'", a->pos[0]) < 0)
		what = NULL;
	int front = ctx_removal(ctx, a, what, a->pos[0], "the jobs it made would stay");
	if (front != 0)
		return front > 0 ? EXIT_OK : EXIT_ERROR;
	int64_t jobs = 0;
	if (ops_schedule_remove(ctx->store, a->pos[0], &jobs, &err) != OPS_OK)
		return fail(ctx, err);
	printf("removed schedule '%s'; the %lld job%s it made stay%s ('cjobs job list' shows "
	       "them)\n",
	       a->pos[0], (long long)jobs, jobs == 1 ? "" : "s", jobs == 1 ? "s" : "");
	return EXIT_OK;
}

static int run_run(cli_ctx_t *ctx, cli_args_t *a)
{
	char *err = NULL;
	int64_t id = 0;
	if (ops_schedule_run(ctx->store, a->pos[0], &id, &err) != OPS_OK)
		return fail(ctx, err);
	printf("%lld\n", (long long)id);
	return EXIT_OK;
}

static const cli_option_t format_options[] = {
	{.name = "format", .type = OPT_CHOICE, .metavar = "FORMAT", .def = "table",
	 .choices = formats, .help = "table for people; json for scripts."},
	{0},
};

static const cli_command_t s_add = {
	.name = "add",
	.summary = "queue a job at the times a cron expression names",
	.usage = "NAME --cron EXPR [--tz ZONE] [options] --image IMAGE [--] [COMMAND [ARG...]]",
	.min_args = 1, .max_args = -1, .stop_at_positional = false, .needs_store = true,
	.description =
		"Adds schedule NAME (letters, digits, '.', '_' and '-'): at each due time of "
		"--cron, in --tz, a worker ('cjobs process-jobs', daemon or not, on any machine "
		"that shares the store) queues one job, described by every option of 'cjobs job "
		"submit' but --file, --count, --at and --after (a run is a new job made at its due "
		"time, which no job id given today can be meant for), and runs it as any other. "
		"Every value is "
		"checked now, as job submit checks it: on any error nothing is stored. "
		"--env-file and --template are read now: the schedule keeps the variables, not "
		"the file or the template's name. Its jobs are named NAME unless --name says "
		"otherwise. Exactly one job is queued per due time, whatever the number of "
		"workers.",
	.options = add_options,
	.examples = (const cli_example_t[]){
		{"cjobs schedule add report --cron '*/15 * * * *' --image cjobs-test/busybox:1 -- "
		 "sh -c 'echo report'",
		 "a job every 15 minutes (UTC)", 0},
		{"cjobs schedule add export --cron '0 2 * * *' --tz Europe/Berlin --concurrency "
		 "forbid --keep 30 --image cjobs-test/busybox:1 --timeout 1h -- true",
		 "02:00 Berlin time every night, never two at once, keeping the last 30", 0},
		{NULL, NULL, 0},
	},
	.sections = (const cli_section_t[]){
		{"How It Works",
		 "  1. Each turn of a worker looks for the schedules whose next due time has\n"
		 "     passed (reading only those), and sleeps until the soonest next one.\n"
		 "  2. For a due schedule it moves the next due time on and queues the job in\n"
		 "     one transaction, only if no other worker moved it first: one job per\n"
		 "     due time, also with many workers on one PostgreSQL store.\n"
		 "  3. A run queued within 60 seconds of its due time is on time. Later (no\n"
		 "     worker was up), --catch-up one queues one late job for the latest due\n"
		 "     time passed, whose history says so and how many were missed; --catch-up\n"
		 "     none queues nothing and records the missed runs as skipped.\n"
		 "  4. --concurrency forbid skips a run while the previous job is unfinished\n"
		 "     (recorded); replace cancels that job, naming the new run in its history,\n"
		 "     just after queuing the new one."},
		{"Time Zones",
		 "Due times are wall-clock times in --tz (UTC when not given). When clocks go back, "
		 "a time that happens twice runs once, at its first occurrence. When clocks go "
		 "forward, a time that does not happen runs at the first instant after the gap "
		 "(02:30 in Europe/Berlin on the last Sunday of March runs at 03:00 CEST), and "
		 "several times in one gap run once."},
		{"Important Notes",
		 "Nothing runs without a worker: start 'cjobs process-jobs --daemon' (a single pass "
		 "fires the schedules due while it runs). The environment, secrets included, is "
		 "stored in the store, as with job submit. A schedule cannot be changed: remove it "
		 "and add it again (its jobs stay)."},
		{NULL, NULL},
	},
	.errors = (const cli_error_doc_t[]){
		{"cjobs: error: give the times with --cron, e.g. --cron '0 2 * * *' for 02:00 every "
		 "day",
		 "--cron is missing", "add --cron EXPR",
		 "cjobs schedule add s1 --image busybox -- true"},
		{"cjobs: error: --cron '61 * * * *': minute field ...",
		 "the expression is not one cron(5) knows; the message names the field and what it "
		 "accepts",
		 "write five fields or an @ name, e.g. '*/15 * * * *'",
		 "cjobs schedule add s1 --cron '61 * * * *' --image busybox -- true"},
		{"cjobs: error: --tz: ...", "the zone is not an IANA name of the system's tz database",
		 "write a name such as Europe/Berlin or UTC (see /usr/share/zoneinfo)",
		 "cjobs schedule add s1 --cron @daily --tz Mars/Olympus --image busybox -- true"},
		{"cjobs: error: a schedule named 'nightly' already exists; choose another name, or "
		 "remove it first ('cjobs schedule remove nightly')",
		 "schedule names are unique", "choose another name",
		 "cjobs schedule add nightly --cron @daily --image busybox -- true"},
		{"cjobs: error: the schedule name may hold only letters, digits, '.', '_' and '-'",
		 "NAME has another character, such as a space",
		 "choose a name of letters, digits, '.', '_' and '-'",
		 "cjobs schedule add 'bad name' --cron @daily --image busybox -- true"},
		{"cjobs: error: unknown option '--at' for 'cjobs schedule add'",
		 "--at, --file and --count make no sense for a schedule's job",
		 "leave them out; --cron says when", "cjobs schedule add s1 --cron @daily --image "
						     "busybox --at +1h -- true"},
		{"cjobs: error: option --concurrency: 'sometimes' is not one of: allow, forbid, "
		 "replace",
		 "--concurrency has another value", "use allow, forbid or replace",
		 "cjobs schedule add s1 --cron @daily --concurrency sometimes --image busybox -- "
		 "true"},
		{NULL, NULL, NULL},
	},
	.run = add_run,
};

static const cli_command_t s_list = {
	.name = "list",
	.summary = "list the schedules",
	.usage = "[options]",
	.max_args = 0, .needs_store = true, .reads_only = true,
	.description = "Lists every schedule with its expression, zone, next due time (UTC), "
		       "whether it is paused, and its policies. --format json prints an array of "
		       "schedule objects (name, cron, tz, concurrency, catch_up, keep, paused, "
		       "next_due, created_at, job), the job's secret-looking values masked.",
	.options = format_options,
	.examples = (const cli_example_t[]){
		{"cjobs schedule list", "every schedule and when it is next due", 0},
		{NULL, NULL, 0},
	},
	.sections = (const cli_section_t[]){
		{"Important Notes", "Read-only."},
		{NULL, NULL},
	},
	.errors = (const cli_error_doc_t[]){
		{"cjobs: error: option --format: 'csv' is not one of: table, json",
		 "--format has another value", "use table or json",
		 "cjobs schedule list --format csv"},
		{NULL, NULL, NULL},
	},
	.run = list_run,
};

static const cli_command_t s_show = {
	.name = "show",
	.summary = "show a schedule, its next due times and its last runs",
	.usage = "NAME [options]",
	.min_args = 1, .max_args = 1, .needs_store = true, .reads_only = true,
	.description = "Prints schedule NAME: its definition and stored job, its next five due "
		       "times in UTC and in its zone, its last 10 runs (job id, due time, status "
		       "and exit code; a run by hand has no due time) and its last 10 skipped "
		       "runs with why (forbid, missed runs, a job that could not be made). "
		       "--format json prints the same as one object (next, runs, skipped).",
	.options = (const cli_option_t[]){
		{.name = "format", .type = OPT_CHOICE, .metavar = "FORMAT", .def = "table",
		 .choices = formats, .help = "table for people; json for scripts."},
		{.name = "show-secrets", .type = OPT_FLAG,
		 .help = "Print the job's values of keys that look secret instead of ********."},
		{0},
	},
	.examples = (const cli_example_t[]){
		{"cjobs schedule show nightly", "schedule nightly, when it runs next and how it ran", 0},
		{NULL, NULL, 0},
	},
	.sections = (const cli_section_t[]){
		{"Important Notes", "Read-only."},
		{NULL, NULL},
	},
	.errors = (const cli_error_doc_t[]){
		{"cjobs: error: no schedule named 'nosuch'; 'cjobs schedule list' shows them",
		 "no schedule of that name exists (names are case-sensitive)",
		 "check the name with 'cjobs schedule list'", "cjobs schedule show nosuch"},
		{NULL, NULL, NULL},
	},
	.run = show_run,
};

static const cli_command_t s_pause = {
	.name = "pause",
	.summary = "stop a schedule from queuing jobs",
	.usage = "NAME",
	.min_args = 1, .max_args = 1, .needs_store = true,
	.description = "Pauses schedule NAME: no worker queues a job for it until 'cjobs schedule "
		       "resume NAME'. Its unfinished jobs go on; 'cjobs schedule run NAME' still "
		       "queues one by hand.",
	.options = (const cli_option_t[]){{0}},
	.examples = (const cli_example_t[]){
		{"cjobs schedule pause nightly", "no more runs of nightly until it is resumed", 0},
		{NULL, NULL, 0},
	},
	.sections = (const cli_section_t[]){
		{"Important Notes",
		 "Only the store changes; a paused schedule stays listed, with state paused. Its "
		 "jobs already queued or running are not touched (cancel them with 'cjobs "
		 "manage-jobs cancel'). Resuming does not catch up the due times of the pause."},
		{NULL, NULL},
	},
	.errors = (const cli_error_doc_t[]){
		{"cjobs: error: no schedule named 'nosuch'; 'cjobs schedule list' shows them",
		 "no schedule of that name exists", "check the name with 'cjobs schedule list'",
		 "cjobs schedule pause nosuch"},
		{NULL, NULL, NULL},
	},
	.run = pause_run,
};

static const cli_command_t s_resume = {
	.name = "resume",
	.summary = "let a paused schedule queue jobs again",
	.usage = "NAME",
	.min_args = 1, .max_args = 1, .needs_store = true,
	.description = "Resumes schedule NAME from its next due time after now. The due times "
		       "that passed while it was paused are not caught up (whatever --catch-up "
		       "says): a pause means those runs were not wanted.",
	.options = (const cli_option_t[]){{0}},
	.examples = (const cli_example_t[]){
		{"cjobs schedule resume nightly", "nightly runs again from its next due time", 0},
		{NULL, NULL, 0},
	},
	.sections = (const cli_section_t[]){
		{"Important Notes",
		 "Only the store changes. Resuming a schedule that is not paused sets its next due "
		 "time to the first after now, which it already is unless runs were missed; those "
		 "are then not caught up either."},
		{NULL, NULL},
	},
	.errors = (const cli_error_doc_t[]){
		{"cjobs: error: no schedule named 'nosuch'; 'cjobs schedule list' shows them",
		 "no schedule of that name exists", "check the name with 'cjobs schedule list'",
		 "cjobs schedule resume nosuch"},
		{NULL, NULL, NULL},
	},
	.run = resume_run,
};

static const cli_command_t s_run = {
	.name = "run",
	.summary = "queue one job of a schedule now",
	.usage = "NAME",
	.min_args = 1, .max_args = 1, .needs_store = true,
	.description = "Queues one job of schedule NAME now, outside its due times (also when it "
		       "is paused), and prints its id. It counts as one of the schedule's jobs "
		       "(--concurrency forbid then skips a due time while it is unfinished), "
		       "without a due time; the schedule's next due time does not change.",
	.options = (const cli_option_t[]){{0}},
	.examples = (const cli_example_t[]){
		{"cjobs schedule run nightly", "one run of nightly now; prints the job's id", 0},
		{NULL, NULL, 0},
	},
	.sections = (const cli_section_t[]){
		{"Important Notes",
		 "The job is built from the schedule's stored job as a due time would build it, "
		 "and its history says it was run by hand. A worker must run it, as any job."},
		{NULL, NULL},
	},
	.errors = (const cli_error_doc_t[]){
		{"cjobs: error: no schedule named 'nosuch'; 'cjobs schedule list' shows them",
		 "no schedule of that name exists", "check the name with 'cjobs schedule list'",
		 "cjobs schedule run nosuch"},
		{NULL, NULL, NULL},
	},
	.run = run_run,
};

static const cli_command_t s_remove = {
	.name = "remove",
	.summary = "delete a schedule (its jobs stay)",
	.usage = "NAME [--dry-run] [--force]",
	.min_args = 1, .max_args = 1, .needs_store = true,
	.description = "Deletes schedule NAME and its record of skipped runs, after confirmation "
		       "(or with --force). The jobs it made stay, queued or finished, and still "
		       "name it by its number; cleanup removes them by age like any job.",
	.options = (const cli_option_t[]){
		{.name = "dry-run", .type = OPT_FLAG,
		 .help = "Say what would be removed; change nothing."},
		{.name = "force", .type = OPT_FLAG,
		 .help = "Remove without asking. Needed when standard input is not a terminal "
			 "(scripts, cron)."},
		{0},
	},
	.examples = (const cli_example_t[]){
		{"cjobs schedule remove old-report --dry-run", "show what removing old-report would do",
		 0},
		{"cjobs schedule remove old-report --force", "delete schedule old-report without asking",
		 0},
		{NULL, NULL, 0},
	},
	.sections = (const cli_section_t[]){
		{"Important Notes",
		 "The jobs the schedule made are kept, whatever their status: queued ones still run. "
		 "'cjobs job show' then names the schedule by its number, marked removed, and "
		 "'cjobs job list --schedule NAME' no longer finds them by its name. A new schedule "
		 "of the same name is another schedule."},
		{NULL, NULL},
	},
	.errors = (const cli_error_doc_t[]){
		{"cjobs: error: no schedule named 'nosuch'; 'cjobs schedule list' shows them",
		 "no schedule of that name exists", "check the name with 'cjobs schedule list'",
		 "cjobs schedule remove nosuch --force"},
		{"cjobs: error: removing schedule 'nightly' ...",
		 "(the message goes on: needs confirmation, but standard input is not a terminal) "
		 "the command runs from a script or a pipe without --force",
		 "check with --dry-run, then add --force", "cjobs schedule remove nightly"},
		{NULL, NULL, NULL},
	},
	.run = remove_run,
};

const cli_command_t cmd_schedule = {
	.name = "schedule",
	.group = "Jobs",
	.summary = "queue jobs at the times a cron expression names",
	.usage = "SUBCOMMAND [options]",
	.description = "A schedule queues a job at each due time of a cron(5) expression, in a "
		       "time zone: the nightly export at 02:00, a report every 15 minutes. Workers "
		       "('cjobs process-jobs') fire the due schedules, one job per due time "
		       "whatever their number; the jobs run as any other.",
	.examples = (const cli_example_t[]){
		{"cjobs schedule add nightly-export --cron '0 2 * * *' --image cjobs-test/busybox:1 "
		 "-- sh -c 'echo export'",
		 "a job at 02:00 UTC every day", 0},
		{"cjobs schedule show nightly-export", "its next five due times and its last runs",
		 0},
		{NULL, NULL, 0},
	},
	.sections = (const cli_section_t[]){
		{"Important Notes",
		 "Nothing runs without a worker. A run queued within 60 seconds of its due time is "
		 "on time; 'cjobs schedule add --help' says what becomes of missed runs, of a run "
		 "due while the previous one is unfinished, and of daylight-saving changes."},
		{NULL, NULL},
	},
	.errors = (const cli_error_doc_t[]){
		{"cjobs: error: 'cjobs schedule' needs a subcommand (see the list above)",
		 "'cjobs schedule' was run without a subcommand; the group's help, with the list of "
		 "subcommands, is printed on standard error before the message",
		 "add one of the subcommands listed, e.g. 'cjobs schedule list'", "cjobs schedule"},
		{NULL, NULL, NULL},
	},
	.subcommands = (const cli_command_t *const[]){&s_add, &s_list, &s_show, &s_pause,
						      &s_resume, &s_run, &s_remove, NULL},
};
