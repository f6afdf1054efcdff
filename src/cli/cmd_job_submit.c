/*
 * cli/cmd_job_submit.c: `cjobs job submit`: validate one job completely and
 * queue it. Nothing is written unless every value is valid.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/command.h"
#include "cli/context.h"
#include "cli/submit_file.h"
#include "ops/submit.h"
#include "util/err.h"

static int submit_run(cli_ctx_t *ctx, cli_args_t *a)
{
	char *err = NULL;
	job_t *jobs = NULL;
	size_t n = 0;
	int rc = EXIT_ERROR;
	int64_t copies = cli_given(a, "count") ? cli_num(a, "count") : 0;
	if (cli_has(a, "file")) {
		if (copies) {
			cli_error(ctx, "give --file or --count, not both (copies of a line are more "
				       "lines in the file)");
			return EXIT_ERROR;
		}
		if (submit_read_file(ctx, a, cli_str(a, "file"), &jobs, &n, &err) < 0) {
			cli_error(ctx, "%s; nothing was queued", err_str(err));
			goto out;
		}
	} else {
		jobs = calloc(1, sizeof(job_t));
		if (!jobs) {
			cli_error(ctx, "out of memory");
			goto out;
		}
		job_init(&jobs[0]);
		n = 1;
		if (ops_submit_fill(ctx->store, a, true, &jobs[0], &err) < 0) {
			cli_error(ctx, "%s", err_str(err));
			goto out;
		}
	}
	int64_t *ids = NULL;
	if (ops_submit_store(ctx->store, jobs, n, copies, ctx_default_engine_url(), &ids, &err) < 0) {
		cli_error(ctx, "%s%s", err_str(err), n > 1 || copies > 1 ? "; nothing was queued" : "");
		goto out;
	}
	/* One buffered write: a hundred thousand ids print in milliseconds. */
	for (int64_t i = 0, total = copies > 0 ? copies : (int64_t)n; i < total; i++)
		printf("%lld\n", (long long)ids[i]);
	free(ids);
	rc = EXIT_OK;
out:
	free(err);
	for (size_t i = 0; i < n; i++)
		job_free(&jobs[i]);
	free(jobs);
	return rc;
}

const cli_command_t cmd_job_submit = {
	.name = "submit",
	.summary = "queue a container job",
	.usage = "--image IMAGE [options] [--] [COMMAND [ARG...]]",
	.min_args = 0, .max_args = -1, .stop_at_positional = true, .needs_store = true,
	.description =
		"Checks every value, then stores the job as 'queued' and prints its id (a whole "
		"number) on standard output, for scripts: id=$(cjobs job submit ...). The command "
		"and its arguments follow the options, best after '--' so that their own options "
		"are not read as cjobs's; each argument reaches the container exactly as given "
		"(no shell is involved: use sh -c '...' for one). Without a command the image's "
		"own runs. A worker ('cjobs process-jobs') runs it.",
	.options = ops_submit_options,
	.examples = (const cli_example_t[]){
		{"cjobs job submit --image cjobs-test/busybox:1 -- echo hello",
		 "queue a job that prints hello", 0},
		{"cjobs job submit --image cjobs-test/busybox:1 --name nightly --priority 10 --timeout 5m -- sh -c 'echo start; sleep 1'",
		 "queue a named, higher-priority job with a five-minute limit", 0},
		{"cjobs job submit --image cjobs-test/busybox:1 --env MODE=fast --memory 64m --cpus 0.5 -- env",
		 "queue a job with an environment variable and resource limits", 0},
		{"cjobs job submit --image cjobs-test/busybox:1 --at +1h -- echo later",
		 "queue a job that may not start for an hour", 0},
		{"cjobs job submit --file jobs.jsonl --priority 5",
		 "queue every job of jobs.jsonl (one JSON object per line), with priority 5 where a "
		 "line gives none", 0},
		{"cjobs job submit --image cjobs-test/busybox:1 --count 100 -- true",
		 "queue 100 copies of a job", 0},
		{NULL, NULL, 0},
	},
	.sections = (const cli_section_t[]){
		{"How It Works",
		 "  1. Parses every option: --image is required; numbers, sizes, durations and\n"
		 "     times are checked against their ranges.\n"
		 "  2. Builds the environment: the --template's variables, then each --env-file,\n"
		 "     then each --env; a later entry replaces an earlier one with the same key.\n"
		 "  3. With --host, checks that the host is registered.\n"
		 "  4. Validates the whole job; on any error nothing is written.\n"
		 "  5. In one transaction: registers the local engine as host 'local' when no host\n"
		 "     is registered at all, and stores the job as queued with its first history\n"
		 "     row.\n"
		 "  6. Prints the job's id on standard output.\n"
		 "With --file, steps 1 to 4 are done for every line (the line's keys over the\n"
		 "command line's options) before anything is stored, and step 5 stores every job\n"
		 "in one transaction; with --count, the one job is stored N times. The ids are\n"
		 "printed one per line, in order."},
		{"Important Notes",
		 "A job runs with the network mode of the host it lands on (by default none: no "
		 "network). Whoever can submit jobs can run any image on the hosts: treat the "
		 "right to submit as root access to them.\n\n"
		 "Nothing contacts an engine: whether the image exists, or the pinned host is "
		 "enabled and reachable, is found out when a worker runs the job. The environment, "
		 "secrets included, is stored in the store file (mode 0600). Submitting takes a "
		 "fraction of a second."},
		{NULL, NULL},
	},
	.errors = (const cli_error_doc_t[]){
		{"cjobs: error: give the image to run with --image", "--image is missing",
		 "add --image NAME[:TAG]", "cjobs job submit -- true"},
		{"cjobs: error: no host named 'nosuch'", "--host names an unregistered host",
		 "check 'cjobs host list' or register it with 'cjobs host add'",
		 "cjobs job submit --image busybox --host nosuch -- true"},
		{"cjobs: error: option --priority: 'high' is not a whole number from -1000 to 1000",
		 "the value is not a number or out of range", "give a value in the range shown",
		 "cjobs job submit --image busybox --priority high -- true"},
		{"cjobs: error: --env: environment entry 'DEBUG' has no '='",
		 "an --env value lacks =", "write --env KEY=VALUE",
		 "cjobs job submit --image busybox --env DEBUG -- true"},
		{"cjobs: error: cannot read env file missing.env: No such file or directory",
		 "the --env-file path is wrong or unreadable", "check the path and its permissions",
		 "cjobs job submit --image busybox --env-file missing.env -- true"},
		{"cjobs: error: bad.jsonl:2: \"priority\": 'high' is not a whole number from -1000 to "
		 "1000; nothing was queued",
		 "a line of the --file has a value the option refuses (the message names the line "
		 "and the key); no job of the file was stored",
		 "correct that line and submit the whole file again",
		 "cjobs job submit --file bad.jsonl"},
		{NULL, NULL, NULL},
	},
	.run = submit_run,
};
