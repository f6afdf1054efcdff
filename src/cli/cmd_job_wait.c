/*
 * cli/cmd_job_wait.c: `cjobs job wait ID...`: blocks until the jobs have
 * ended and exits with what they give (ops/wait.h holds the rule). Reads
 * the store only; sleeps on the store's notifications, never spins.
 */
#include <stdio.h>
#include <stdlib.h>

#include "cli/command.h"
#include "ops/wait.h"
#include "util/err.h"
#include "util/timeutil.h"

static int wait_run(cli_ctx_t *ctx, cli_args_t *a)
{
	int64_t *ids = calloc(a->npos, sizeof(*ids));
	job_t *jobs = calloc(a->npos, sizeof(*jobs));
	char *err = NULL;
	int rc = EXIT_ERROR;
	if (!ids || !jobs) {
		cli_error(ctx, "out of memory");
		goto out;
	}
	for (size_t i = 0; i < a->npos; i++) {
		job_init(&jobs[i]);
		if (ops_job_id_parse(a->pos[i], &ids[i], &err) != OPS_OK) {
			cli_error(ctx, "%s", err_str(err));
			goto out;
		}
	}
	int64_t deadline = cli_has(a, "timeout") ? mono_ms() + cli_num(a, "timeout") * 1000 : 0;
	if (deadline == 0 && cli_has(a, "timeout"))
		deadline = 1;  /* --timeout 0 on a clock at 0: already past */
	bool timed_out = false;
	if (ops_jobs_wait(ctx->store, ids, a->npos, deadline, jobs, &timed_out, &err) != OPS_OK) {
		cli_error(ctx, "%s", err_str(err));
		goto out;
	}
	if (timed_out) {
		rc = OPS_EXIT_WAIT_TIMEOUT;
	} else if (a->npos == 1) {
		rc = ops_wait_exit_code(&jobs[0]);
	} else {
		rc = EXIT_OK;
		for (size_t i = 0; i < a->npos; i++)
			if (jobs[i].status != JOB_COMPLETED)
				rc = EXIT_JOBS;
	}
out:
	for (size_t i = 0; jobs && i < a->npos; i++)
		job_free(&jobs[i]);
	free(jobs);
	free(ids);
	free(err);
	return rc;
}

const cli_command_t cmd_job_wait = {
	.name = "wait",
	.summary = "wait until jobs have ended; exit with the job's exit code",
	.usage = "ID... [options]",
	.min_args = 1, .max_args = -1, .needs_store = true, .reads_only = true,
	.description =
		"Blocks until each job given has ended (completed, failed, timeout or cancelled), "
		"then exits: with one job, with that job's exit code (see Exit Status); with "
		"several, 0 when every one completed and 3 otherwise, as process-jobs does. "
		"Prints nothing: 'cjobs job show ID' tells the rest. A job that has already "
		"ended returns at once.",
	.options = (const cli_option_t[]){
		{.name = "timeout", .type = OPT_DURATION, .metavar = "DURATION", .min = 0,
		 .max = 365LL * 24 * 3600,
		 .help = "Give up waiting after this long (0 to 365d; 0 only looks once) and exit "
			 "124, as timeout(1) does; the jobs are left as they are. Without it, wait "
			 "as long as it takes."},
		{0},
	},
	.examples = (const cli_example_t[]){
		{"cjobs job wait 1", "wait for job 1; exit with its exit code", 0},
		{"cjobs job wait 1 3 --timeout 10m",
		 "wait for jobs 1 and 3, at most ten minutes: 0 when both completed, else 3 (here "
		 "job 3 was cancelled)", 3},
		{"cjobs job wait 2 --timeout 2s",
		 "look for two seconds at most: 124 when job 2 has not ended by then (here it "
		 "waits in the queue)", 124},
		{NULL, NULL, 0},
	},
	.sections = (const cli_section_t[]){
		{"How It Works",
		 "  1. Reads every job given; an unknown id is an error before any wait.\n"
		 "  2. Sleeps until another process changes a job in the store: on PostgreSQL\n"
		 "     it listens for the notification every change of status sends, on SQLite\n"
		 "     it watches the store's directory (inotify); it looks again at least\n"
		 "     every 10 s, and every second when the store cannot be watched.\n"
		 "  3. Reads the jobs that had not ended again, and so on until all have\n"
		 "     ended or --timeout has passed."},
		{"Important Notes",
		 "Read-only: never changes a job and never contacts an engine, so it needs no "
		 "worker on this machine; a job ends only when some worker runs it. Waiting "
		 "costs nothing while nothing changes. A retried job has not ended until its "
		 "last attempt has."},
		{NULL, NULL},
	},
	.errors = (const cli_error_doc_t[]){
		{"cjobs: error: no job with id 999; 'cjobs job list' shows the jobs",
		 "there is no such job (or it was cleaned up); nothing was waited for",
		 "check 'cjobs job list'", "cjobs job wait 999"},
		{"cjobs: error: option --timeout: 'soon' is not a duration from 0 to 31536000 "
		 "seconds (write 90, 90s, 5m, 2h or 1d)",
		 "--timeout is not a duration", "write 30, 30s, 5m, 2h or 1d",
		 "cjobs job wait 1 --timeout soon"},
		{NULL, NULL, NULL},
	},
	.exit_codes = (const cli_exit_doc_t[]){
		{0, "The job completed (several jobs: every one completed)."},
		{1, "Error: an id that is not a job, a store that cannot be read, a bad option. "
		    "(With one job, any code from 1 to 255 is also the exit code of a job that "
		    "failed with it: 'cjobs job show ID' tells which.)"},
		{3, "Several jobs were given and at least one did not complete."},
		{124, "--timeout passed before the jobs had ended (as timeout(1))."},
		{125, "One job, which failed without an exit code: it could not run (its image "
		      "could not be pulled, the engine refused its container, ...)."},
		{130, "One job, which was cancelled (128 + SIGINT, as a shell says of a command "
		      "stopped with Ctrl-C)."},
		{137, "One job, which was killed at its time limit and ended timeout (128 + "
		      "SIGKILL)."},
		{0, NULL},
	},
	.run = wait_run,
};
