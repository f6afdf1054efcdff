/*
 * cli/manage_cancel.c: `cjobs manage-jobs cancel`: cancel one job (with
 * --cascade, and every job that waits for it), or every queued, launching
 * or running job of one host.
 *
 * This file only chooses the jobs, asks for confirmation and prints; the
 * store and engine work is ops_cancel() in worker/ops.c. It must never
 * cancel several jobs without a confirmation or --force, never change
 * anything with --dry-run, and never change a status by hand.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/manage_options.h"
#include "cli/command.h"
#include "cli/context.h"
#include "cli/job_pick.h"
#include "util/confirm.h"
#include "util/err.h"
#include "ops/jobs.h"
#include "ops/ops.h"

#define ACTOR "manage-jobs"

/* "job 12 (running on host e1: nightly, cjobs-test/busybox:1)" */
static void describe(FILE *f, const char *lead, const job_t *j)
{
	const char *where = j->status == JOB_QUEUED ? j->host : j->ran_on;
	fprintf(f, "%sjob %lld (%s%s%s: %s%s%s)\n", lead, (long long)j->id,
		job_status_name(j->status),
		where ? (j->status == JOB_QUEUED ? ", pinned to host " : " on host ") : "",
		where ? where : "", j->name ? j->name : "", j->name ? ", " : "", j->image);
}

/* The jobs --host selects (cli/job_pick.h). */
typedef struct {
	const char *host;
	job_pick_t pick;
} host_pick_t;

/* Queued jobs pinned to the host, and launching or running ones placed on
 * it (the store's filter also lets through jobs that only ran there
 * before). */
static int pick_host_job(job_t *j, void *arg, char **err)
{
	host_pick_t *p = arg;
	const char *where = j->status == JOB_QUEUED ? j->host : j->ran_on;
	bool mine = (where && strcmp(where, p->host) == 0) ||
		    (j->host && strcmp(j->host, p->host) == 0);
	int rc = mine ? job_pick_add(&p->pick, j->id, err) : 0;
	if (mine && rc == 0 && p->pick.shown)
		describe(p->pick.shown, p->pick.lead, j);
	job_free(j);
	return rc;
}

static int select_host_jobs(cli_ctx_t *ctx, host_pick_t *p)
{
	char *err = NULL;
	host_t h;
	host_init(&h);
	int found = ctx_load_host(ctx, p->host, &h);
	host_free(&h);
	if (found < 0)
		return -1;
	/* Summaries: what is shown of each job is in them, and ops_cancel
	 * loads each job itself. */
	job_filter_t f = {
		.status_mask = 1 << JOB_QUEUED | 1 << JOB_LAUNCHING | 1 << JOB_RUNNING,
		.host = p->host,
		.summary = true,
	};
	if (store_job_each(ctx->store, &f, pick_host_job, p, &err) < 0) {
		cli_error(ctx, "%s", err_str(err));
		free(err);
		return -1;
	}
	return 0;
}

static void print_result(const ops_cancel_result_t *r)
{
	switch (r->outcome) {
	case OPS_CANCELLED:
	case OPS_CANCELLED_LEFTOVER:
		printf("cancelled job %lld (was %s", (long long)r->job_id, job_status_name(r->was));
		if (r->host)
			printf(" on host %s", r->host);
		if (r->was == JOB_RUNNING)
			printf("; container %s%s", r->container_removed ? "stopped and removed" : "NOT removed",
			       r->output_kept ? "; output so far kept" : "; output not kept");
		else if (r->was == JOB_LAUNCHING)
			printf("; %s", r->container ? (r->container_removed ? "container removed"
									    : "container NOT removed")
						    : "no container yet");
		printf(")\n");
		if (r->error)
			fprintf(stderr, "cjobs: %s: job %lld is cancelled, but %s\n",
				r->outcome == OPS_CANCELLED_LEFTOVER ? "error" : "warning",
				(long long)r->job_id, r->error);
		if (r->outcome == OPS_CANCELLED_LEFTOVER && r->host)
			fprintf(stderr, "cjobs: check the engine with 'cjobs manage-jobs health-check "
					"--host %s'; the worker running the job removes the container when "
					"it ends or reaches its time limit\n",
				r->host);
		break;
	case OPS_NOT_CANCELLABLE:
	case OPS_CANCEL_ERROR:
		fprintf(stderr, "cjobs: error: %s\n", r->error ? r->error : "cannot cancel the job");
		break;
	}
}

/* --cascade: the unfinished jobs that wait, directly or not, for jobs[0],
 * loaded after it into *jobs (grown); *n and *listed count them. */
static int add_dependents(cli_ctx_t *ctx, job_t **jobs, size_t *n, size_t *listed, char **err)
{
	int64_t *ids = NULL;
	size_t nids = 0;
	if (store_deps_closure(ctx->store, (*jobs)[0].id, &ids, &nids, err) < 0)
		return -1;
	job_t *more = nids ? realloc(*jobs, (1 + nids) * sizeof(*more)) : *jobs;
	if (!more) {
		free(ids);
		return err_set(err, "out of memory");
	}
	*jobs = more;
	int rc = 0;
	for (size_t i = 0; rc == 0 && i < nids; i++) {
		job_init(&more[1 + i]);
		(*listed)++;
		if (ops_job_load(ctx->store, ids[i], &more[1 + i], err) != OPS_OK)
			rc = -1;
		else
			(*n)++;
	}
	free(ids);
	return rc;
}

/* Cancels ids[0..n) with o; prints each result. Sets *done, *leftover and
 * *failed from the outcomes. */
static int cancel_these(cli_ctx_t *ctx, const int64_t *ids, size_t n, const ops_cancel_opts_t *o,
			size_t *done, bool *leftover, bool *failed)
{
	char *err = NULL;
	ops_cancel_result_t *res = calloc(n ? n : 1, sizeof(*res));
	if (!res) {
		cli_error(ctx, "out of memory");
		return -1;
	}
	int rc = ops_cancel(ctx->store, ids, n, o, res, &err);
	if (rc < 0) {
		cli_error(ctx, "%s", err_str(err));
	} else {
		for (size_t i = 0; i < n; i++) {
			print_result(&res[i]);
			*done += res[i].outcome == OPS_CANCELLED ||
				 res[i].outcome == OPS_CANCELLED_LEFTOVER;
			*leftover = *leftover || res[i].outcome == OPS_CANCELLED_LEFTOVER;
			*failed = *failed || res[i].outcome == OPS_NOT_CANCELLABLE ||
				  res[i].outcome == OPS_CANCEL_ERROR;
		}
	}
	ops_cancel_results_free(res, n);
	free(res);
	free(err);
	return rc;
}

static int run(cli_ctx_t *ctx, cli_args_t *a)
{
	char *err = NULL;
	bool by_id = cli_has(a, "job-id"), by_host = cli_has(a, "host");
	bool cascade = cli_flag(a, "cascade");
	if (cascade && !by_id) {
		cli_error(ctx, "--cascade cancels one job and the jobs that wait for it: give the "
			       "job with --job-id ID");
		return EXIT_ERROR;
	}
	if (by_id == by_host) {
		cli_error(ctx, by_id ? "give either --job-id or --host, not both"
				     : "say which jobs to cancel: --job-id ID for one job, or --host "
				       "NAME for every queued, launching or running job of a host");
		return EXIT_ERROR;
	}
	const char *reason = cli_str(a, "reason");
	if (ops_cancel_reason_check(reason, &err) != OPS_OK) {
		cli_error(ctx, "%s", err_str(err));
		free(err);
		return EXIT_ERROR;
	}
	job_t *jobs = NULL;
	size_t n = 0, listed = 0;
	host_pick_t pick = {0};
	int rc = EXIT_ERROR;
	if (by_id) {
		jobs = calloc(1, sizeof(*jobs));
		if (!jobs) {
			cli_error(ctx, "out of memory");
			return EXIT_ERROR;
		}
		job_init(jobs);
		listed = 1;
		int64_t id = cli_num(a, "job-id");
		if (ops_job_load(ctx->store, id, jobs, &err) != OPS_OK ||
		    ops_job_check_cancellable(jobs, &err) != OPS_OK) {
			cli_error(ctx, "%s", err_str(err));
			goto out;
		}
		n = 1;
		if (cascade && add_dependents(ctx, &jobs, &n, &listed, &err) < 0) {
			cli_error(ctx, "%s", err_str(err));
			goto out;
		}
	} else {
		pick.host = cli_str(a, "host");
		job_pick_init(&pick.pick, cli_flag(a, "dry-run"), cli_flag(a, "force"),
			      "would cancel ");
		if (select_host_jobs(ctx, &pick) < 0)
			goto out;
		n = pick.pick.n;
		if (n == 0) {
			printf("no queued, launching or running job on host '%s'; nothing to cancel\n",
			       cli_str(a, "host"));
			rc = EXIT_OK;
			goto out;
		}
	}

	if (cli_flag(a, "dry-run")) {
		for (size_t i = 0; !by_host && i < n; i++)
			describe(stdout, "would cancel ", &jobs[i]);
		printf("dry run: %zu job(s) would be cancelled with reason \"%s\"; nothing was "
		       "changed\n",
		       n, reason);
		rc = EXIT_OK;
		goto out;
	}
	if ((by_host || n > 1) && !cli_flag(a, "force")) {
		if (isatty(STDIN_FILENO))
			for (size_t i = 0; !by_host && i < n; i++)
				describe(stderr, "  ", &jobs[i]);
		char question[200], what[120];
		if (by_host)
			snprintf(what, sizeof(what), "on host '%.64s'", cli_str(a, "host"));
		else
			snprintf(what, sizeof(what), "(job %lld and the jobs that wait for it)",
				 (long long)jobs[0].id);
		snprintf(question, sizeof(question), "Cancel these %zu job(s) %s?", n, what);
		confirm_t c = confirm(question);
		if (c == CONFIRM_NOT_A_TTY) {
			cli_error(ctx, "refusing to cancel %zu job(s) %s without confirmation: "
				       "standard input is not a terminal; add --force to cancel them "
				       "(or --dry-run to list them)",
				  n, what);
			goto out;
		}
		if (c != CONFIRM_YES) {
			fprintf(stderr, "cjobs: nothing was cancelled\n");
			goto out;
		}
	}

	int64_t *ids = by_host ? pick.pick.ids : calloc(n, sizeof(*ids));
	pick.pick.ids = NULL;
	char *cascade_reason = NULL;
	if (!ids || (cascade && asprintf(&cascade_reason, "cancelled with job %lld (--cascade): %s",
					 (long long)jobs[0].id, reason) < 0)) {
		free(ids);
		cli_error(ctx, "out of memory");
		goto out;
	}
	/* With --cascade, the farthest dependents first: no job is left ready to
	 * run (a dependency of :any) by the cancelling of the one it waits for. */
	for (size_t i = 0; !by_host && i < n; i++)
		ids[i] = cascade ? jobs[n - 1 - i].id : jobs[i].id;
	ops_cancel_opts_t o = {
		.actor = ACTOR,
		.reason = reason,
		.grace_s = (int)cli_num(a, "grace"),
		.output_limit = cli_num(a, "output-limit"),
	};
	ops_cancel_opts_t od = o;
	od.reason = cascade_reason;
	/* The dependents of --cascade (none without it) with a reason that
	 * says so, then the rest. */
	size_t first = cascade ? n - 1 : 0;
	size_t done = 0;
	bool leftover = false, failed = false;
	if ((first == 0 || cancel_these(ctx, ids, first, &od, &done, &leftover, &failed) == 0) &&
	    cancel_these(ctx, ids + first, n - first, &o, &done, &leftover, &failed) == 0) {
		if (by_host)
			printf("cancelled %zu of %zu job(s) on host '%s'\n", done, n, cli_str(a, "host"));
		else if (n > 1)
			printf("cancelled %zu of %zu job(s): job %lld and the jobs that wait for it\n",
			       done, n, (long long)jobs[0].id);
		rc = leftover ? EXIT_ENGINE : failed ? EXIT_ERROR : EXIT_OK;
	}
	free(cascade_reason);
	free(ids);
out:
	job_pick_free(&pick.pick);
	store_job_list_free(jobs, listed);
	free(err);
	return rc;
}

static const cli_option_t options[] = {
	MANAGE_OPT_JOB_ID("cancel", "It must be queued, launching or running. Give this or "
				    "--host."),
	MANAGE_OPT_HOST("Cancel every job of this executor host (queued jobs pinned to it, and "
			"jobs launching or running on it), asking for confirmation (see --force); "
			"give this or --job-id."),
	{.name = "reason", .type = OPT_STRING, .metavar = "TEXT", .def = "Manual cancellation",
	 .help = "Reason for cancellation, recorded in each job's history ('cjobs job show ID'); "
		 "up to 500 characters of printable text."},
	{.name = "grace", .type = OPT_DURATION, .metavar = "SECONDS", .def = "10", .min = 0,
	 .max = 3600,
	 .help = "How long a running job's container may take to stop after SIGTERM before the "
		 "engine kills it (SIGKILL). 0 kills at once."},
	{.name = "output-limit", .type = OPT_SIZE, .metavar = "SIZE", .def = "1m", .min = 0,
	 .max = 1LL << 30, .config = "worker.output_limit",
	 .help = "How much of a running job's stdout and of its stderr (written so far) to keep "
		 "in the store, as process-jobs --output-limit does."},
	{.name = "cascade", .type = OPT_FLAG,
	 .help = "With --job-id: also cancel every unfinished job that waits for it, directly "
		 "or through others (job submit --after), whatever their condition (ok, any or "
		 "notok), the farthest first. Asks for confirmation when there are any (see "
		 "--force). Without it, only jobs that can no longer start are cancelled after "
		 "it (waiting with ok or notok), and jobs waiting with any run."},
	MANAGE_OPT_DRY_RUN("which jobs would be cancelled, and with what reason,"),
	MANAGE_OPT_FORCE(" of --host and of --cascade"),
	{0},
};

const cli_command_t manage_cancel = {
	.name = "cancel",
	.summary = "cancel running or pending jobs",
	.usage = "--job-id ID [--cascade] | --host NAME [options]",
	.max_args = 0,
	.needs_store = true,
	.description =
		"Cancels one job (--job-id) or every queued, launching or running job of one "
		"executor host (--host). A queued job ends 'cancelled' at once and never runs. A "
		"running job's container is stopped (SIGTERM, then SIGKILL after --grace seconds), "
		"the output it wrote so far is kept under its current attempt, the container is "
		"removed, and the job ends 'cancelled'. A job that a worker is launching ends "
		"'cancelled' and its container, if it has one yet, is removed; the worker drops it. "
		"The reason is recorded in each job's history with the actor 'manage-jobs'. "
		"Finished jobs (completed, failed, timeout, cancelled) cannot be cancelled.",
	.options = options,
	.examples = (const cli_example_t[]){
		{"cjobs manage-jobs cancel --job-id 4 --cascade --dry-run",
		 "List job 4 and every job that waits for it (job submit --after), changing "
		 "nothing", 0},
		{"cjobs manage-jobs cancel --host local --dry-run",
		 "List the queued, launching and running jobs of host local that would be cancelled, "
		 "changing nothing", 0},
		{"cjobs manage-jobs cancel --host local --force --reason 'host maintenance' --grace 30",
		 "Cancel every one of them without asking (for scripts), recording the reason and "
		 "giving running containers 30 seconds to shut down cleanly", 0},
		{"cjobs manage-jobs cancel --job-id 1",
		 "Cancel one job by its id; job 1 has already completed, so this is refused with a "
		 "message naming its status", 1},
		{NULL, NULL, 0},
	},
	.sections = (const cli_section_t[]){
		{"How It Works",
		 " 1. Choose the jobs: the one --job-id names, or with --host the queued jobs\n"
		 "    pinned to that host and the jobs launching or running on it.\n"
		 " 2. With --dry-run, list them and stop. With --host, ask for confirmation on\n"
		 "    the terminal unless --force is given; refuse when there is no terminal.\n"
		 " 3. Move each job to 'cancelled' in the store, with the reason, committing\n"
		 "    256 jobs at a time (compare-and-set: a worker that moves the job at the\n"
		 "    same moment is followed, never overwritten). Containers are dealt with\n"
		 "    only once their jobs' cancellation is stored; if a commit fails, none of\n"
		 "    its jobs change, no container of theirs is touched, and each is an\n"
		 "    error naming the job.\n"
		 " 4. For a running job: stop its container (SIGTERM, SIGKILL after --grace),\n"
		 "    read the output it wrote so far and store it under its current attempt,\n"
		 "    then remove the container. All jobs are stopped at once, not in turn.\n"
		 " 5. For a launching job: remove its container if it has one yet.\n"
		 " 6. Print one line per job, saying what was done."},
		{"Important Notes",
		 "Cancellation cannot be undone: a cancelled job is final and is not retried; submit "
		 "it again if it is still needed. In production, run --dry-run first when using "
		 "--host, and give a --reason that says who and why.\n\n"
		 "A worker (process-jobs) running the job at the same time sees its container die, "
		 "finds the job cancelled, records nothing over it, and goes on with other jobs.\n\n"
		 "Permissions: write access to the job store file and access to the Docker engine "
		 "of the job's host. Access to the Docker socket is root-equivalent on that "
		 "machine.\n\n"
		 "Resource use and run time: a few MB of memory; queued jobs are cancelled in "
		 "milliseconds. Running jobs take as long as their containers take to stop, at most "
		 "--grace seconds plus a few seconds for reading the output and removing the "
		 "container (at most --grace + 90 seconds in all when an engine is slow). The output "
		 "kept is at most --output-limit per stream per job."},
		{NULL, NULL},
	},
	.warning = "Cancelling stops running containers: whatever the job was doing is interrupted, "
		   "and work it did not save is lost. --host cancels every job of that host, "
		   "queued ones included. Check the list with --dry-run first.",
	.errors = (const cli_error_doc_t[]){
		{"cjobs: error: job 1 is completed; only queued, launching or running jobs can be "
		 "cancelled",
		 "the job has already finished (completed, failed, timeout or cancelled)",
		 "nothing to do; to run a failed or timed-out job again use 'cjobs manage-jobs retry "
		 "--job-id ID'",
		 "cjobs manage-jobs cancel --job-id 1"},
		{"cjobs: error: no job with id 999; 'cjobs job list' shows the jobs",
		 "there is no job with that id (or it was cleaned up)",
		 "check the id with 'cjobs job list'", "cjobs manage-jobs cancel --job-id 999"},
		{"cjobs: error: no host named 'nosuch'; 'cjobs host list' shows the hosts",
		 "--host names a host that is not registered", "check the name with 'cjobs host list'",
		 "cjobs manage-jobs cancel --host nosuch"},
		{"cjobs: error: refusing to cancel 2 job(s) on host 'down' without confirmation: "
		 "standard input is not a terminal; add --force to cancel them ...",
		 "--host was used from a script, cron or a pipe, where no one can answer the prompt",
		 "check the list with --dry-run, then add --force",
		 "cjobs manage-jobs cancel --host down"},
		{"cjobs: error: say which jobs to cancel: --job-id ID for one job, or --host NAME ...",
		 "neither --job-id nor --host was given", "give one of them",
		 "cjobs manage-jobs cancel"},
		{"cjobs: error: --cascade cancels one job and the jobs that wait for it: give the job "
		 "with --job-id ID",
		 "--cascade was given without --job-id", "name the first job of the chain with --job-id",
		 "cjobs manage-jobs cancel --host local --cascade"},
		{"cjobs: error: give either --job-id or --host, not both",
		 "both were given", "cancel one job with --job-id, or a host's jobs with --host",
		 "cjobs manage-jobs cancel --job-id 1 --host local"},
		{"cjobs: error: job 5 is cancelled, but its container ...",
		 "the rest of the line says what failed: typically \"could not be stopped: cannot "
		 "connect to engine ...\" when the job's engine does not answer. The job is cancelled "
		 "in the store, but its container may still run (exit code 2)",
		 "check the engine with 'cjobs manage-jobs health-check --host NAME'; the worker "
		 "running the job removes the container when it ends or reaches its time limit, or "
		 "remove it on that engine with docker rm -f and the container's name",
		 "cjobs --database leftover.db manage-jobs cancel --job-id 5"},
		{NULL, NULL, NULL, NULL},
	},
	.exit_codes = (const cli_exit_doc_t[]){
		{0, "Every chosen job was cancelled (or, with --dry-run, listed; or there was none)."},
		{1, "Nothing or not everything was cancelled: invalid option, unknown job or host, a "
		    "finished job, confirmation refused or impossible without --force, or a job store "
		    "problem."},
		{2, "The jobs were cancelled in the store, but a container could not be stopped or "
		    "removed because its engine did not answer."},
		{0, NULL},
	},
	.run = run,
};
