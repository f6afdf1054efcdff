/*
 * cli/cmd_run.c: `cjobs run`: `docker run`, but queued, recorded and
 * retried: submits one job (through ops, as `job submit` does, with every
 * option of its table), prints its output as it is written, waits for it
 * and exits with its exit code. Ctrl-C cancels the job.
 *
 * Its options are job submit's own table (ops_submit_options), less the
 * command-line-only --file and --count, plus run's: an option added to job
 * submit is an option of run with nothing to change here.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/command.h"
#include "cli/context.h"
#include "cli/follow_out.h"
#include "cli/options.h"
#include "ops/ops.h"
#include "ops/submit.h"
#include "ops/wait.h"
#include "util/confirm.h"
#include "util/err.h"
#include "util/timeutil.h"

/* How long a job may stay queued before run looks for a live worker. */
#define NO_WORKER_AFTER_MS 3000
#define RUN_OPTIONS_MAX 128

/* ---- the option table: job submit's, then run's own ---- */

static const cli_option_t own_options[] = {
	{.name = "detach", .short_name = 'd', .type = OPT_FLAG,
	 .help = "Only submit: print the job's id on standard output and exit 0, as 'cjobs job "
		 "submit' does; 'cjobs job logs ID --follow' and 'cjobs job wait ID' follow it "
		 "later."},
	{.name = "grace", .type = OPT_DURATION, .metavar = "SECONDS", .def = "10", .min = 0,
	 .max = 3600,
	 .help = "When Ctrl-C cancels the job: how long its container may take to stop after "
		 "SIGTERM before the engine kills it (SIGKILL); 0 kills at once."},
	{0},
};

static cli_option_t run_options[RUN_OPTIONS_MAX];

static bool submit_only(const char *name)
{
	return strcmp(name, "file") == 0 || strcmp(name, "count") == 0;
}

/* Filled before main: the tables are data every part of the program reads
 * (parsing, help, docs, completion). */
__attribute__((constructor)) static void fill_options(void)
{
	size_t n = 0;
	for (const cli_option_t *o = ops_submit_options; o->name; o++)
		if (!submit_only(o->name) && n < RUN_OPTIONS_MAX - 1)
			run_options[n++] = *o;
	for (const cli_option_t *o = own_options; o->name; o++)
		if (n < RUN_OPTIONS_MAX - 1)
			run_options[n++] = *o;
	if (n == RUN_OPTIONS_MAX - 1) {
		fprintf(stderr, "cjobs: internal error: cjobs run has more than %d options\n",
			RUN_OPTIONS_MAX - 2);
		abort();
	}
}

/* The parsed options as ops_submit_fill takes them: parallel to
 * ops_submit_options (--file and --count never given). */
static int submit_args(const cli_args_t *a, cli_args_t *sub)
{
	size_t n = 0;
	while (ops_submit_options[n].name)
		n++;
	memset(sub, 0, sizeof(*sub));
	sub->options = ops_submit_options;
	sub->owner = "job submit";
	sub->path = a->path;
	sub->nopts = n;
	sub->vals = calloc(n + 1, sizeof(cli_value_t));
	if (!sub->vals)
		return -1;
	for (size_t i = 0; i < n; i++)
		for (size_t k = 0; k < a->nopts; k++)
			if (strcmp(a->options[k].name, ops_submit_options[i].name) == 0)
				sub->vals[i] = a->vals[k];
	sub->pos = a->pos;
	sub->npos = a->npos;
	return 0;
}

/* ---- Ctrl-C ---- */

static volatile sig_atomic_t got_int;
static int int_pipe[2] = {-1, -1};

static void on_int(int sig)
{
	(void)sig;
	int saved = errno;
	got_int = 1;
	ssize_t n = write(int_pipe[1], "x", 1);
	(void)n;
	errno = saved;
}

static int catch_int(void)
{
	if (pipe2(int_pipe, O_CLOEXEC | O_NONBLOCK) < 0)
		return -1;
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_int;
	sigemptyset(&sa.sa_mask);
	/* Also when started in the background of a script, which ignores it. */
	return sigaction(SIGINT, &sa, NULL);
}

static void release_int(void)
{
	signal(SIGINT, SIG_DFL);
	for (int i = 0; i < 2; i++)
		if (int_pipe[i] >= 0) {
			close(int_pipe[i]);
			int_pipe[i] = -1;
		}
}

/* ---- while the job is followed ---- */

typedef struct {
	cli_ctx_t *ctx;
	ops_follow_job_t *follow;
	int64_t id;
	int grace_s;
	int64_t output_limit;
	int64_t look_for_worker_mono;  /* 0: looked already */
} run_state_t;

/* True when the job was cancelled (or the store may have changed it). */
static bool cancel_job(run_state_t *r)
{
	ops_cancel_opts_t o = {.actor = "run", .reason = "Ctrl-C in cjobs run",
			       .grace_s = r->grace_s, .output_limit = r->output_limit};
	ops_cancel_result_t res = {0};
	char *err = NULL;
	bool tried = ops_cancel(r->ctx->store, &r->id, 1, &o, &res, &err) == 0;
	if (!tried)
		cli_error(r->ctx, "cannot cancel job %lld: %s", (long long)r->id, err_str(err));
	else if (res.outcome == OPS_CANCELLED_LEFTOVER || res.outcome == OPS_CANCEL_ERROR)
		cli_error(r->ctx, "job %lld: %s", (long long)r->id, err_str(res.error));
	ops_cancel_results_free(&res, 1);
	free(err);
	return tried;
}

static bool tick(void *ud, const job_t *job)
{
	run_state_t *r = ud;
	bool changed = false;
	char buf[16];
	while (read(int_pipe[0], buf, sizeof(buf)) > 0)
		;
	if (got_int) {
		got_int = 0;
		char question[64];
		snprintf(question, sizeof(question), "cancel job %lld?", (long long)job->id);
		/* Asked on a terminal; a script's SIGINT means it. */
		if (confirm(question) != CONFIRM_NO)
			changed = cancel_job(r);
		else
			fprintf(stderr, "cjobs: job %lld goes on; Ctrl-C asks again\n",
				(long long)job->id);
	}
	if (r->look_for_worker_mono && job->status != JOB_QUEUED) {
		r->look_for_worker_mono = 0;
		r->follow->tick_ms = 0;
	} else if (r->look_for_worker_mono && mono_ms() >= r->look_for_worker_mono) {
		bool alive = true;
		char *err = NULL;
		(void)ops_any_worker_alive(r->ctx->store, &alive, &err);
		free(err);
		if (!alive)
			fprintf(stderr, "cjobs: note: no worker is running on this store; job %lld "
					"waits in the queue: start one with cjobs process-jobs --daemon\n",
				(long long)job->id);
		r->look_for_worker_mono = 0;
		r->follow->tick_ms = 0;
	}
	return changed;
}

static int run(cli_ctx_t *ctx, cli_args_t *a)
{
	static const cli_option_t limit_opt = {
		.name = "output-limit", .type = OPT_SIZE, .def = "1m", .min = 0,
		.max = 1LL << 30, .config = "worker.output_limit"};
	cli_value_t limit = {0};
	cli_args_t sub;
	job_t job;
	job_init(&job);
	char *err = NULL;
	int64_t *ids = NULL;
	int rc = EXIT_ERROR;
	if (submit_args(a, &sub) < 0) {
		cli_error(ctx, "out of memory");
		return EXIT_ERROR;
	}
	if (cli_resolve_one(&limit_opt, &limit, ctx->config, &err) < 0 ||
	    ops_submit_fill(ctx->store, &sub, true, &job, &err) < 0 ||
	    ops_submit_store(ctx->store, &job, 1, 0, ctx_default_engine_url(), &ids, &err) != 0) {
		cli_error(ctx, "%s", err_str(err));
		goto out;
	}
	int64_t id = ids[0];
	if (cli_flag(a, "detach")) {
		printf("%lld\n", (long long)id);
		rc = EXIT_OK;
		goto out;
	}
	if (catch_int() < 0) {
		cli_error(ctx, "cannot catch Ctrl-C: %s", strerror(errno));
		goto out;
	}
	ops_follow_job_t o = {.streams = JOB_STDOUT | JOB_STDERR, .first_attempt = 1,
			      .wake_fd = int_pipe[0], .tick_ms = 1000};
	run_state_t r = {.ctx = ctx, .follow = &o, .id = id,
			 .grace_s = (int)cli_num(a, "grace"), .output_limit = limit.num,
			 .look_for_worker_mono = mono_ms() + NO_WORKER_AFTER_MS};
	o.tick = tick;
	job_free(&job);
	job_init(&job);
	int frc = cli_follow_job(ctx, id, &o, false, &r, &job);
	release_int();
	if (frc == OPS_OK)
		rc = ops_wait_exit_code(&job);
out:
	free(ids);
	free(err);
	free(sub.vals);
	job_free(&job);
	return rc;
}

const cli_command_t cmd_run = {
	.name = "run",
	.group = "Jobs",
	.summary = "run a container job and wait for it, like docker run",
	.usage = "--image IMAGE [options] [--] [COMMAND [ARG...]]",
	.min_args = 0, .max_args = -1, .stop_at_positional = true, .needs_store = true,
	.description =
		"Queues one job, as 'cjobs job submit' does and with all of its options (but "
		"--file and --count), prints what its container writes as it writes it (stdout "
		"to standard output, stderr to standard error), waits until the job has ended and "
		"exits with its exit code: 'docker run', but queued, recorded in the store and "
		"retried as the job says. A worker ('cjobs process-jobs', here or on any machine "
		"that shares the store) runs it.",
	.options = run_options,
	.examples = (const cli_example_t[]){
		{"cjobs run --image cjobs-test/busybox:1 --detach -- sh -c 'echo hello'",
		 "queue a job and print its id, without waiting", 0},
		{"cjobs run --image cjobs-test/busybox:1 --max-retries 2 --timeout 10m --detach -- true",
		 "the same with job submit's options", 0},
		{NULL, NULL, 0},
	},
	.sections = (const cli_section_t[]){
		{"How It Works",
		 "  1. Checks every option and stores the job as 'cjobs job submit' does; on\n"
		 "     any error nothing is stored. With --detach, prints its id and stops.\n"
		 "  2. Waits while the job is queued, on the store's notifications. When it\n"
		 "     is still queued after 3 s and no worker is alive in the store, says so\n"
		 "     once on standard error, and goes on waiting.\n"
		 "  3. While an attempt runs, prints its output as the container writes it,\n"
		 "     read from the engine that runs it (which must be reachable from here to\n"
		 "     see it live); when the attempt ends, prints what the store kept of it\n"
		 "     and was not yet printed. A retried job's next attempts follow.\n"
		 "  4. When the job has ended, exits with its exit code (see Exit Codes).\n"
		 "Ctrl-C (SIGINT) cancels the job as 'cjobs manage-jobs cancel' does (its\n"
		 "container is stopped, its output kept, the container removed), after asking\n"
		 "\"cancel job N? [y/N]\" when standard input is a terminal; answering no goes\n"
		 "on waiting (and Ctrl-C asks again). Without a terminal it cancels without\n"
		 "asking."},
		{"Important Notes",
		 "The job lives in the store, not in this process: ending run some other way "
		 "(closing the terminal, SIGTERM, SIGKILL) leaves the job queued or running, and "
		 "'cjobs job logs ID --follow' or 'cjobs job wait ID' pick it up again. Nothing "
		 "here starts a container: a worker must run, on any machine. The environment, "
		 "secrets included, is stored in the store, as with job submit."},
		{NULL, NULL},
	},
	.errors = (const cli_error_doc_t[]){
		{"cjobs: error: give the image to run with --image", "--image is missing",
		 "add --image NAME[:TAG]", "cjobs run -- true"},
		{"cjobs: error: unknown option '--count' for 'cjobs run'",
		 "--file and --count queue many jobs; run runs one",
		 "use 'cjobs job submit' for many jobs, then 'cjobs job wait' on their ids",
		 "cjobs run --image busybox --count 2 -- true"},
		{"cjobs: error: option --grace: 'long' is not a duration from 0 to 3600 seconds "
		 "(write 90, 90s, 5m, 2h or 1d)",
		 "--grace is not a duration in its range", "write a number of seconds up to 3600",
		 "cjobs run --image busybox --grace long -- true"},
		{NULL, NULL, NULL},
	},
	.exit_codes = (const cli_exit_doc_t[]){
		{0, "The job completed (its container exited 0); with --detach, it was queued."},
		{1, "Error: a bad option, a store that cannot be used (nothing was queued then), "
		    "or a job whose container exited 1: like docker run, any code from 1 to 255 "
		    "is the container's own when it exited so ('cjobs job show ID' tells)."},
		{125, "The job failed without an exit code: it could not run (its image could not "
		      "be pulled, the engine refused its container, ...)."},
		{130, "The job was cancelled (by Ctrl-C here, or by anyone else)."},
		{137, "The job was killed at its time limit (--timeout) and ended timeout."},
		{0, NULL},
	},
	.run = run,
};
