/*
 * cli/cmd_job_submit.c: `cjobs job submit`: validate one job completely and
 * queue it. Nothing is written unless every value is valid.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/command.h"
#include "cli/context.h"
#include "core/env.h"
#include "core/retry.h"
#include "core/validate.h"
#include "cli/submit_file.h"
#include "util/err.h"

/* Builds the job's environment: template, then env files, then --env. */
static int build_env(cli_ctx_t *ctx, const cli_args_t *a, job_t *job, char **err)
{
	envlist_t env = {0};
	int rc = -1;
	const char *tname = cli_str(a, "template");
	if (tname) {
		env_template_t t = {0};
		int found = store_template_get(ctx->store, tname, &t, err);
		if (found == 1)
			err_set(err, "no environment template named '%.64s'; 'cjobs template list' "
				     "shows them",
				tname);
		if (found != 0 || envlist_merge(&env, t.env, t.envc, err) < 0) {
			env_template_free(&t);
			goto out;
		}
		env_template_free(&t);
		if (!(job->template_name = strdup(tname)))
			goto oom;
	}
	size_t n;
	const char **files = cli_list(a, "env-file", &n);
	for (size_t i = 0; i < n; i++)
		if (env_read_file(files[i], &env, err) < 0)
			goto out;
	const char **entries = cli_list(a, "env", &n);
	for (size_t i = 0; i < n; i++)
		if (envlist_set(&env, entries[i], err) < 0) {
			err_prefix(err, "--env");
			goto out;
		}
	job->env = envlist_steal(&env, &job->envc);
	if (!job->env)
		goto oom;
	rc = 0;
	goto out;
oom:
	err_set(err, "out of memory");
out:
	envlist_free(&env);
	return rc;
}

static int fill_job(cli_ctx_t *ctx, const cli_args_t *a, job_t *job, char **err)
{
	const char *image = cli_str(a, "image");
	if (!image)
		return err_set(err, "give the image to run with --image, e.g. --image busybox:1.36");
	if (!(job->image = strdup(image)))
		return err_set(err, "out of memory");
	if (cli_has(a, "name") && !(job->name = strdup(cli_str(a, "name"))))
		return err_set(err, "out of memory");
	if (cli_has(a, "workdir") && !(job->workdir = strdup(cli_str(a, "workdir"))))
		return err_set(err, "out of memory");
	job->argv = strv_dup(a->pos, a->npos);
	job->argc = a->npos;
	if (!job->argv)
		return err_set(err, "out of memory");
	job->priority = (int)cli_num(a, "priority");
	job->max_retries = (int)cli_num(a, "max-retries");
	const char *strategy = cli_str(a, "retry-strategy");
	if (strategy && strcmp(strategy, RETRY_STRATEGY_DEFAULT) != 0 &&
	    !(job->retry_strategy = strdup(strategy)))
		return err_set(err, "out of memory");
	if (cli_has(a, "retry-on-exit-code") &&
	    !(job->retry_exit_codes = strdup(cli_str(a, "retry-on-exit-code"))))
		return err_set(err, "out of memory");
	if (cli_has(a, "memory"))
		job->memory_bytes = cli_num(a, "memory");
	if (cli_has(a, "cpus"))
		job->nano_cpus = cli_num(a, "cpus");
	if (cli_has(a, "timeout"))
		job->timeout_s = cli_num(a, "timeout");
	if (cli_has(a, "at"))
		job->not_before = cli_num(a, "at");
	if (build_env(ctx, a, job, err) < 0)
		return -1;
	if (cli_has(a, "host")) {
		const char *hname = cli_str(a, "host");
		host_t h;
		host_init(&h);
		int found = store_host_get(ctx->store, hname, &h, err);
		host_free(&h);
		if (found == 1)
			return err_set(err, "no host named '%.64s'; 'cjobs host list' shows the hosts, "
					    "'cjobs host add' registers one",
				       hname);
		if (found < 0)
			return -1;
		if (!(job->host = strdup(hname)))
			return err_set(err, "out of memory");
	}
	return validate_job(job, err);
}

/* Stores jobs[0..n) (or `copies` copies of jobs[0]) in one transaction
 * and prints their ids; all or nothing. */
static int store_jobs(cli_ctx_t *ctx, job_t *jobs, size_t n, int64_t copies, char **err)
{
	bool added;
	if (store_begin(ctx->store, err) < 0)
		return -1;
	int rc = ctx_ensure_default_host(ctx, &added, err);
	int64_t total = copies > 0 ? copies : (int64_t)n;
	int64_t *ids = rc == 0 ? malloc((size_t)total * sizeof(int64_t)) : NULL;
	if (rc == 0 && !ids)
		rc = err_set(err, "out of memory");
	if (rc == 0 && total == 1) {
		rc = store_job_add(ctx->store, &jobs[0], "submit", "submitted", err);
		ids[0] = jobs[0].id;
	} else if (rc == 0) {
		rc = store_job_add_many(ctx->store, jobs, n, copies, "submit", "submitted in bulk", ids,
					err);
	}
	if (rc == 0 && store_commit(ctx->store, err) < 0)
		rc = -1;
	if (rc < 0) {
		store_rollback(ctx->store);
		free(ids);
		return -1;
	}
	/* One buffered write: a hundred thousand ids print in milliseconds. */
	for (int64_t i = 0; i < total; i++)
		printf("%lld\n", (long long)ids[i]);
	free(ids);
	return 0;
}

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
		if (submit_read_file(ctx, a, cli_str(a, "file"), fill_job, &jobs, &n, &err) < 0) {
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
		if (fill_job(ctx, a, &jobs[0], &err) < 0) {
			cli_error(ctx, "%s", err_str(err));
			goto out;
		}
	}
	if (store_jobs(ctx, jobs, n, copies, &err) < 0) {
		cli_error(ctx, "%s%s", err_str(err), n > 1 || copies > 1 ? "; nothing was queued" : "");
		goto out;
	}
	rc = EXIT_OK;
out:
	free(err);
	for (size_t i = 0; i < n; i++)
		job_free(&jobs[i]);
	free(jobs);
	return rc;
}

static const cli_option_t submit_options[] = {
	{.name = "image", .short_name = 'i', .type = OPT_STRING, .metavar = "IMAGE",
	 .help = "The container image to run, as [registry/]name[:tag]. Required."},
	{.name = "name", .short_name = 'n', .type = OPT_STRING, .metavar = "TEXT",
	 .help = "A label for people (up to 200 characters); not unique."},
	{.name = "host", .type = OPT_STRING, .metavar = "NAME",
	 .help = "Run only on this executor host (it must be registered). Without it, any "
		 "enabled host with free capacity runs the job."},
	{.name = "env", .short_name = 'e', .type = OPT_STRING, .metavar = "KEY=VALUE", .repeat = true,
	 .help = "Set an environment variable in the container. Overrides the template and "
		 "--env-file. Values of keys that look secret (PASSWORD, TOKEN, SECRET, ...) are "
		 "masked in output."},
	{.name = "env-file", .type = OPT_STRING, .metavar = "FILE", .repeat = true,
	 .help = "Read KEY=VALUE lines from FILE ('-' for standard input); # starts a comment; "
		 "values may be quoted. Overrides the template."},
	{.name = "template", .short_name = 't', .type = OPT_STRING, .metavar = "NAME",
	 .help = "Start the environment from this template (see 'cjobs template')."},
	{.name = "priority", .short_name = 'p', .type = OPT_INT, .metavar = "N", .def = "0",
	 .min = JOB_PRIORITY_MIN, .max = JOB_PRIORITY_MAX,
	 .help = "Higher runs first; jobs of equal priority run in the order they were submitted."},
	{.name = "memory", .short_name = 'm', .type = OPT_SIZE, .metavar = "SIZE",
	 .min = JOB_MEMORY_MIN, .max = JOB_MEMORY_MAX,
	 .help = "Memory limit of the container (at least 6m). Without it, no limit."},
	{.name = "cpus", .type = OPT_CPUS, .metavar = "N",
	 .help = "CPU limit of the container, e.g. 0.5 or 2. Without it, no limit."},
	{.name = "timeout", .type = OPT_DURATION, .metavar = "DURATION", .min = 0,
	 .max = JOB_TIMEOUT_MAX,
	 .help = "Time limit of the job; past it the container is killed and the job ends "
		 "'timeout'. 0 means no limit. Without it, the worker's --timeout applies."},
	{.name = "max-retries", .short_name = 'r', .type = OPT_INT, .metavar = "N", .def = "0",
	 .min = 0, .max = JOB_MAX_RETRIES_MAX,
	 .help = "How many times to run the job again after a transient failure: the engine "
		 "unreachable or restarted under it, a connection reset, out of memory or disk, a "
		 "resource temporarily unavailable. Permanent failures (image not found, invalid "
		 "configuration, permission denied, executable not found) and time limits are "
		 "never retried; a non-zero exit only with --retry-on-exit-code."},
	{.name = "retry-strategy", .type = OPT_CHOICE, .metavar = "NAME", .def = "default",
	 .choices = retry_strategy_names,
	 .help = "How long to wait before each retry (exponential backoff; each delay is "
		 "scaled by a random 0.8 to 1.2): default waits about 10s, then 20s, 40s, ... at "
		 "most 10m; aggressive about 1s, then x1.5 each time, at most 1m; conservative "
		 "about 1m, then x3, at most 1h."},
	{.name = "retry-on-exit-code", .type = OPT_STRING, .metavar = "CODES",
	 .help = "Also retry (within --max-retries) when the command exits with one of these "
		 "codes: 'any' for every non-zero code, or a list such as 1,75. Without it, a "
		 "non-zero exit fails the job at once."},
	{.name = "workdir", .short_name = 'w', .type = OPT_STRING, .metavar = "PATH",
	 .help = "Working directory inside the container (absolute). Without it, the image's."},
	{.name = "at", .type = OPT_WHEN, .metavar = "TIME",
	 .help = "Do not start the job before this time."},
	{.name = "file", .short_name = 'f', .type = OPT_STRING, .metavar = "FILE",
	 .help = "Queue many jobs from FILE ('-' for standard input): JSON Lines, one object "
		 "per job, whose keys are the long options above plus \"command\" (a list of "
		 "strings), e.g. {\"image\": \"busybox\", \"priority\": 5, \"env\": "
		 "[\"A=1\"], \"command\": [\"sh\", \"-c\", \"echo hi\"]}. Options on the "
		 "command line are defaults for every line; a line's value replaces them (its env "
		 "and env-file add to them). Every line is checked before any job is stored: one "
		 "bad line queues nothing. Up to 1000000 jobs, lines up to 1 MiB."},
	{.name = "count", .type = OPT_INT, .metavar = "N", .min = 1, .max = 1000000,
	 .help = "Queue N copies of the job the other options describe, in one transaction. "
		 "Without it, one."},
	{0},
};

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
	.options = submit_options,
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
