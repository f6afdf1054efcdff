/*
 * cli/manage_retry.c: `cjobs manage-jobs retry`: put failed or timed-out
 * jobs back in the queue, optionally with new limits.
 *
 * This file only chooses the jobs, asks for confirmation and prints; the
 * change itself is ops_retry_batch() in ops/retry.c (one compare-and-set
 * status change with its history row per job, a batch's in one
 * transaction). It must never retry several jobs
 * without a confirmation or --force, never change anything with --dry-run,
 * and never touch a job that is not failed or timeout.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/manage_options.h"
#include "ops/retry_options.h"
#include "cli/command.h"
#include "cli/context.h"
#include "cli/job_pick.h"
#include "util/confirm.h"
#include "util/err.h"
#include "util/timeutil.h"
#include "ops/jobs.h"
#include "ops/ops.h"

#define ACTOR "manage-jobs"
/* The help's "How It Works" says so in words. */
_Static_assert(OPS_RETRY_BATCH == 256, "manage-jobs retry's help names the batch's size");

static void describe(FILE *f, const char *lead, const job_t *j, const char *changes)
{
	char when[40];
	fprintf(f, "%sjob %lld (%s after attempt %d%s%s, finished %s: %s%s%s)%s%s\n", lead,
		(long long)j->id, job_status_name(j->status), j->attempt, j->ran_on ? " on host " : "",
		j->ran_on ? j->ran_on : "", format_time(j->finished_at, when, sizeof(when)),
		j->name ? j->name : "", j->name ? ", " : "", j->image,
		changes && *changes ? ": " : "", changes ? changes : "");
}

/* The jobs --host and --since select (cli/job_pick.h), each described with
 * the changes it would get. */
typedef struct {
	int64_t since;
	const ops_retry_changes_t *ch;
	job_pick_t pick;
} retry_pick_t;

static int pick_job(job_t *j, void *arg, char **err)
{
	retry_pick_t *p = arg;
	int64_t finished = j->finished_at ? j->finished_at : j->created_at;
	bool chosen = finished >= p->since;
	int rc = chosen ? job_pick_add(&p->pick, j->id, err) : 0;
	if (chosen && rc == 0 && p->pick.shown) {
		char *c = ops_retry_describe(j, p->ch);
		describe(p->pick.shown, p->pick.lead, j, c);
		free(c);
	}
	job_free(j);
	return rc;
}

/* Failed and timed-out jobs matching --host and --since, oldest first. */
static int select_jobs(cli_ctx_t *ctx, const cli_args_t *a, retry_pick_t *p)
{
	char *err = NULL;
	const char *host = cli_str(a, "host");
	/* Whole jobs only when they are described (their limits, against the
	 * changes); the choice needs a summary's times, and each job is read
	 * again, whole, for its retry. */
	job_filter_t f = {.status_mask = 1 << JOB_FAILED | 1 << JOB_TIMEOUT, .host = host,
			  .summary = !p->pick.shown};
	p->since = cli_has(a, "since") ? cli_num(a, "since") : 0;
	if (store_job_each(ctx->store, &f, pick_job, p, &err) < 0) {
		cli_error(ctx, "%s", err_str(err));
		free(err);
		return -1;
	}
	if (p->pick.n == 0 && host) {
		host_t h;
		host_init(&h);
		int found = ctx_load_host(ctx, host, &h);
		host_free(&h);
		if (found < 0)
			return -1;
	}
	return 0;
}

/* The changes pass the rules of job submit before any job is looked at,
 * so that --dry-run shows only changes that can be made. */
static int check_changes(cli_ctx_t *ctx, const ops_retry_changes_t *ch)
{
	char *err = NULL;
	if (ops_retry_changes_check(ch, &err) != OPS_OK) {
		cli_error(ctx, "%s", err_str(err));
		free(err);
		return -1;
	}
	return 0;
}

static int run(cli_ctx_t *ctx, cli_args_t *a)
{
	char *err = NULL;
	bool by_id = cli_has(a, "job-id");
	bool by_filter = cli_has(a, "host") || cli_has(a, "since");
	if (by_id && by_filter) {
		cli_error(ctx, "give --job-id alone, or --host and/or --since to choose failed jobs, "
			       "not both");
		return EXIT_ERROR;
	}
	if (!by_id && !by_filter) {
		cli_error(ctx, "say which jobs to retry: --job-id ID for one job, or --host NAME "
			       "and/or --since TIME for every failed or timed-out job that matches");
		return EXIT_ERROR;
	}
	ops_retry_changes_t ch = {0};
	for (const char *const *name = ops_retry_change_names; *name; name++)
		if (cli_has(a, *name))
			(void)ops_retry_change_set(&ch, *name, cli_num(a, *name));
	if (check_changes(ctx, &ch) < 0)
		return EXIT_ERROR;
	job_t *jobs = NULL;
	size_t n = 0, listed = 0;
	retry_pick_t pick = {.ch = &ch};
	int rc = EXIT_ERROR;
	if (by_id) {
		int64_t id = cli_num(a, "job-id");
		jobs = calloc(1, sizeof(*jobs));
		if (!jobs) {
			cli_error(ctx, "out of memory");
			return EXIT_ERROR;
		}
		listed = 1;
		if (ops_job_load(ctx->store, id, jobs, &err) != OPS_OK ||
		    ops_job_check_retryable(jobs, &err) != OPS_OK) {
			cli_error(ctx, "%s", err_str(err));
			goto out;
		}
		n = 1;
	} else {
		job_pick_init(&pick.pick, cli_flag(a, "dry-run"), cli_flag(a, "force"),
			      "would retry ");
		if (select_jobs(ctx, a, &pick) < 0)
			goto out;
		n = pick.pick.n;
		if (n == 0) {
			printf("no failed or timed-out job matches; nothing to retry\n");
			rc = EXIT_OK;
			goto out;
		}
	}

	if (cli_flag(a, "dry-run")) {
		for (size_t i = 0; by_id && i < n; i++) {
			char *c = ops_retry_describe(&jobs[i], &ch);
			describe(stdout, "would retry ", &jobs[i], c);
			free(c);
		}
		printf("dry run: %zu job(s) would be queued again; nothing was changed\n", n);
		rc = EXIT_OK;
		goto out;
	}
	if (by_filter && !cli_flag(a, "force")) {
		if (isatty(STDIN_FILENO))
			for (size_t i = 0; by_id && i < n; i++) {
				char *c = ops_retry_describe(&jobs[i], &ch);
				describe(stderr, "  ", &jobs[i], c);
				free(c);
			}
		char question[96];
		snprintf(question, sizeof(question), "Queue these %zu job(s) again?", n);
		confirm_t c = confirm(question);
		if (c == CONFIRM_NOT_A_TTY) {
			cli_error(ctx, "refusing to retry %zu job(s) without confirmation: standard input "
				       "is not a terminal; add --force to retry them (or --dry-run to "
				       "list them)",
				  n);
			goto out;
		}
		if (c != CONFIRM_YES) {
			fprintf(stderr, "cjobs: nothing was retried\n");
			goto out;
		}
	}

	/* In batches, each in one transaction (ops_retry_batch), printed as
	 * each is committed. */
	size_t done = 0;
	const int64_t *ids = by_id ? &jobs[0].id : pick.pick.ids;
	ops_retry_result_t res[OPS_RETRY_BATCH];
	for (size_t b = 0; b < n; b += OPS_RETRY_BATCH) {
		size_t m = n - b < OPS_RETRY_BATCH ? n - b : OPS_RETRY_BATCH;
		ops_retry_batch(ctx->store, ids + b, m, &ch, ACTOR, res);
		for (size_t i = 0; i < m; i++) {
			if (res[i].rc == 0) {
				printf("retried job %lld: queued again for attempt %d (%s)\n",
				       (long long)res[i].id, res[i].attempt, res[i].reason);
				done++;
			} else {
				fprintf(stderr, "cjobs: error: %s\n", err_str(res[i].error));
			}
		}
		ops_retry_results_free(res, m);
	}
	if (by_filter)
		printf("retried %zu of %zu job(s)\n", done, n);
	rc = done == n ? EXIT_OK : EXIT_ERROR;
out:
	job_pick_free(&pick.pick);
	store_job_list_free(jobs, listed);
	free(err);
	return rc;
}

static const cli_option_t options[] = {
	MANAGE_OPT_JOB_ID("retry", "It must be failed or timeout. Give this, or --host and/or "
				   "--since."),
	MANAGE_OPT_HOST("Retry every failed or timed-out job that ran on (or is pinned to) this "
			"host, asking for confirmation (see --force)."),
	{.name = "since", .type = OPT_WHEN, .metavar = "TIME",
	 .help = "Retry every failed or timed-out job that finished at or after this time "
		 "(with --host: of that host only). Asks for confirmation (see --force)."},
	OPS_RETRY_CHANGE_OPTIONS,
	MANAGE_OPT_DRY_RUN("which jobs would be queued again and with what changes"),
	MANAGE_OPT_FORCE(" of --host and --since"),
	{0},
};

const cli_command_t manage_retry = {
	.name = "retry",
	.summary = "retry failed jobs with optional parameter changes",
	.usage = "--job-id ID | --host NAME | --since TIME [changes] [options]",
	.max_args = 0,
	.needs_store = true,
	.description =
		"Puts failed or timed-out jobs back in the queue, for a worker ('cjobs "
		"process-jobs') to run again as their next attempt. Choose one job with --job-id, or "
		"every failed or timed-out job of a host (--host) and/or finished since a time "
		"(--since). --timeout, --memory, --cpus and --priority change the job before it is "
		"queued (same values as 'cjobs job submit'); the changes are written in the job's "
		"history, e.g. \"retried by manage-jobs: timeout 3600s -> 30s\".\n\n"
		"Earlier attempts are kept: their history rows and their output stay, under their "
		"attempt numbers ('cjobs job logs ID --attempt 1'). The job's exit code, times, "
		"resource use and last error are cleared until the new attempt sets them.",
	.options = options,
	.examples = (const cli_example_t[]){
		{"cjobs manage-jobs retry --since 2026-01-01 --dry-run",
		 "List every failed or timed-out job that finished since 1 January 2026 (UTC), "
		 "changing nothing", 0},
		{"cjobs manage-jobs retry --job-id 2 --timeout 2h --memory 1g",
		 "Queue failed job 2 again with a two-hour time limit and 1 GiB of memory", 0},
		{"cjobs manage-jobs retry --job-id 1",
		 "A job that did not fail (job 1 completed) is not retried: the command says so and "
		 "changes nothing", 1},
		{"cjobs manage-jobs retry --host local --since 2026-01-01T08:00:00Z --priority 10 --force",
		 "Queue again, ahead of other work and without asking, every job of host local that "
		 "failed or timed out since 08:00 UTC on 1 January 2026", 0},
		{NULL, NULL, 0},
	},
	.sections = (const cli_section_t[]){
		{"How It Works",
		 " 1. Choose the jobs: the one --job-id names, or every failed or timed-out job\n"
		 "    matching --host (ran on or pinned to it) and --since (finished then or\n"
		 "    later), oldest first.\n"
		 " 2. With --dry-run, list them with the changes and stop. With --host or\n"
		 "    --since, ask for confirmation on the terminal unless --force is given;\n"
		 "    refuse when there is no terminal.\n"
		 " 3. For each job, committing 256 jobs at a time: check it is still failed\n"
		 "    or timeout (compare-and-set), apply the changes, clear the last\n"
		 "    attempt's results, set it queued now, and append a history row with the\n"
		 "    changes. If a commit fails, none of its jobs change, and each is an\n"
		 "    error naming the job.\n"
		 " 4. A worker claims it like any queued job; its attempt number goes up by one\n"
		 "    and the new output is stored under the new attempt."},
		{"Important Notes",
		 "A job that failed because of its own command (a bug, bad input) will most likely "
		 "fail again: look at 'cjobs job logs ID' before retrying many jobs. In production, "
		 "run --dry-run first when using --host or --since. A job pinned to a disabled host "
		 "waits until the host is enabled.\n\n"
		 "Permissions: write access to the job store file; no engine is contacted. The jobs "
		 "will run with the same image and command, so whoever may retry jobs may run them "
		 "again on the hosts, where Docker access is root-equivalent.\n\n"
		 "Resource use and run time: a few MB of memory and under a millisecond per job; "
		 "the retried jobs then use their hosts as when they first ran."},
		{NULL, NULL},
	},
	.errors = (const cli_error_doc_t[]){
		{"cjobs: error: job 1 is completed; only failed or timed-out jobs can be retried",
		 "the job is not failed or timeout (queued, running, completed or cancelled jobs are "
		 "not retried)",
		 "nothing to do for a queued or running job; submit a completed or cancelled job "
		 "again with 'cjobs job submit'",
		 "cjobs manage-jobs retry --job-id 1"},
		{"cjobs: error: no job with id 999; 'cjobs job list' shows the jobs",
		 "there is no job with that id (or it was cleaned up)",
		 "check the id with 'cjobs job list'", "cjobs manage-jobs retry --job-id 999"},
		{"cjobs: error: refusing to retry 1 job(s) without confirmation: standard input is not "
		 "a terminal; add --force to retry them ...",
		 "--host or --since was used from a script, cron or a pipe, where no one can answer "
		 "the prompt",
		 "check the list with --dry-run, then add --force",
		 "cjobs manage-jobs retry --since 2020-01-01"},
		{"cjobs: error: say which jobs to retry: --job-id ID for one job, or --host NAME ...",
		 "none of --job-id, --host, --since was given", "give one",
		 "cjobs manage-jobs retry"},
		{"cjobs: error: give --job-id alone, or --host and/or --since to choose failed jobs, "
		 "not both",
		 "--job-id was given with --host or --since", "use one way of choosing",
		 "cjobs manage-jobs retry --job-id 2 --host local"},
		{"cjobs: error: no host named 'nosuch'; 'cjobs host list' shows the hosts",
		 "--host names a host that is not registered, and no failed job ran there",
		 "check the name with 'cjobs host list'", "cjobs manage-jobs retry --host nosuch"},
		{"cjobs: error: option --memory: '1m' is out of range: give from 6m to 1024t",
		 "a change is outside the range 'cjobs job submit' allows",
		 "give a value in the range the option's help shows",
		 "cjobs manage-jobs retry --job-id 2 --memory 1m"},
		{"cjobs: error: the CPU limit must be 0 (none) or from 0.01 to 1024 CPUs, e.g. 0.5",
		 "--cpus is outside the range 'cjobs job submit' allows", "give 0.01 to 1024, or 0",
		 "cjobs manage-jobs retry --job-id 2 --cpus 2000"},
		{NULL, NULL, NULL, NULL},
	},
	.exit_codes = (const cli_exit_doc_t[]){
		{0, "Every chosen job was queued again (or, with --dry-run, listed; or none matched)."},
		{1, "Nothing or not everything was retried: invalid option or value, unknown job or "
		    "host, a job that is not failed or timeout, confirmation refused or impossible "
		    "without --force, or a job store problem."},
		{0, NULL},
	},
	.run = run,
};
