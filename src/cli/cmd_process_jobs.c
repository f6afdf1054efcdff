/*
 * cli/cmd_process_jobs.c: `cjobs process-jobs`, the worker. Turns options
 * into worker_opts_t, runs the worker, and maps its result to the spec's
 * exit codes. The loop itself lives in src/worker.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/command.h"
#include "cli/config.h"
#include "cli/context.h"
#include "cli/options.h"
#include "util/err.h"
#include "util/log.h"
#include "worker/worker.h"

static const cli_option_t options[];

typedef struct {
	cli_ctx_t *ctx;
	cli_args_t *args;
} reload_ctx_t;

/* SIGUSR1: re-read the configuration file and apply the worker settings
 * that were not fixed by options on the command line. */
static int reload(worker_opts_t *o, void *ud, char **err)
{
	reload_ctx_t *r = ud;
	if (!r->ctx->config_path)
		return err_set(err, "no configuration file is in use (see --config)");
	config_t *c = config_load(r->ctx->config_path, err);
	if (!c)
		return -1;
	size_t n;
	char *const *problems = config_problems(c, &n);
	if (n) {
		err_set(err, "%s", problems[0]);
		config_free(c);
		return -1;
	}
	static const char *const names[] = {"max-jobs", "poll-interval", "timeout", "output-limit",
					    "shutdown-timeout"};
	int64_t vals[5];
	for (size_t i = 0; i < 5; i++) {
		const cli_option_t *opt = NULL;
		for (const cli_option_t *p = options; p->name; p++)
			if (strcmp(p->name, names[i]) == 0)
				opt = p;
		cli_value_t v = {0};
		if (cli_given(r->args, names[i])) {
			vals[i] = cli_num(r->args, names[i]);
			continue;
		}
		if (cli_resolve_one(opt, &v, c, err) < 0) {
			config_free(c);
			return -1;
		}
		vals[i] = v.num;
	}
	o->max_jobs = (int)vals[0];
	o->poll_interval_s = (int)vals[1];
	o->default_timeout_s = vals[2];
	o->output_limit = vals[3];
	o->shutdown_timeout_s = vals[4];
	config_free(r->ctx->config);
	r->ctx->config = c;
	r->ctx->config_path = config_path(c);
	return 0;
}

static int run(cli_ctx_t *ctx, cli_args_t *a)
{
	char *err = NULL;
	bool added = false;
	if (ctx_ensure_default_host(ctx, &added, &err) < 0) {
		cli_error(ctx, "%s", err_str(err));
		free(err);
		return EXIT_ERROR;
	}
	if (cli_has(a, "host")) {
		host_t h;
		host_init(&h);
		int found = ctx_load_host(ctx, cli_str(a, "host"), &h);
		host_free(&h);
		if (found < 0)
			return EXIT_ERROR;
	}
	reload_ctx_t rctx = {ctx, a};
	worker_opts_t o = {
		.daemon = cli_flag(a, "daemon"),
		.wait_retries = cli_flag(a, "wait-retries"),
		.host = cli_str(a, "host"),
		.max_jobs = (int)cli_num(a, "max-jobs"),
		.poll_interval_s = (int)cli_num(a, "poll-interval"),
		.default_timeout_s = cli_num(a, "timeout"),
		.output_limit = cli_num(a, "output-limit"),
		.stop_grace_s = 10,
		.shutdown_timeout_s = cli_num(a, "shutdown-timeout"),
		.store_timeout_s = cli_num(a, "store-timeout"),
		.store_spec = ctx->database,
		.reload = reload,
		.reload_ud = &rctx,
	};
	worker_result_t res;
	int rc = worker_run(ctx->store, &o, &res, &err);
	if (rc < 0) {
		cli_error(ctx, "%s", err_str(err));
		free(err);
		return res.engine_error ? EXIT_ENGINE : EXIT_ERROR;
	}
	log_info("processed: %lld completed, %lld failed or timed out, %lld queued again for a "
		 "retry, %lld handed back to the queue, %lld taken over from stopped workers",
		 (long long)res.completed, (long long)res.failed, (long long)res.retried,
		 (long long)res.handed_back, (long long)res.adopted);
	if (res.engine_error)
		return EXIT_ENGINE;
	if (res.failed > 0)
		return EXIT_JOBS;
	return EXIT_OK;
}

static const cli_option_t options[] = {
	{.name = "daemon", .type = OPT_FLAG,
	 .help = "Run in daemon mode, continuously processing jobs. Use SIGTERM to stop "
		 "gracefully, or Ctrl+C (SIGINT) to stop at once (see Signal Handling). Without it, "
		 "the command processes "
		 "until no ready job is left and every job it launched has finished, then exits."},
	{.name = "wait-retries", .type = OPT_FLAG,
	 .help = "Without --daemon: before leaving, wait for the retries this run scheduled "
		 "(each after its --retry-strategy delay) and run them too, so that every job it "
		 "took ends with its final result and the exit code says so. Off by default, "
		 "because a retry may be due minutes later (the default strategy waits up to 10m "
		 "between attempts), and a run that is meant to take what is ready and leave "
		 "should not hang on; then the retries wait in the queue for the next run or a "
		 "daemon. Ignored with --daemon, which runs them anyway."},
	{.name = "host", .type = OPT_STRING, .metavar = "NAME",
	 .help = "Process jobs only for the specified executor host, by the name it was "
		 "registered under ('cjobs host list'). Jobs pinned to other hosts are left "
		 "alone. Without it, every enabled host is used."},
	{.name = "max-jobs", .type = OPT_INT, .metavar = "N", .def = "10", .min = 1, .max = 10000,
	 .config = "worker.max_jobs",
	 .help = "Maximum number of concurrent jobs to run, across all hosts; each host's own "
		 "limit (host add --max-jobs) applies too. Consider host resources when setting "
		 "this value."},
	{.name = "poll-interval", .type = OPT_DURATION, .metavar = "SECONDS", .def = "30",
	 .min = 1, .max = 86400, .config = "worker.poll_interval",
	 .help = "Seconds between polling cycles in daemon mode: the longest the worker goes "
		 "without asking the store for ready jobs. It rarely matters: a job committed to "
		 "the store is noticed at once (the worker watches the store's directory), a job "
		 "held back with --at is started when its time comes, and a running job's exit is "
		 "noticed from the engine's event stream. Lower values only help on file systems "
		 "that do not report changes (such as some network file systems)."},
	{.name = "timeout", .type = OPT_DURATION, .metavar = "SECONDS", .def = "3600", .min = 0,
	 .max = 604800, .config = "worker.timeout",
	 .help = "Maximum job execution time in seconds before timeout, for jobs submitted "
		 "without their own --timeout (a job's own time limit wins). Set to 0 for no "
		 "timeout. A job past its limit is killed and ends 'timeout'."},
	{.name = "output-limit", .type = OPT_SIZE, .metavar = "SIZE", .def = "1m", .min = 0,
	 .max = 1LL << 30, .config = "worker.output_limit",
	 .help = "How much of each job's stdout and of its stderr to keep in the store. Beyond "
		 "it, output is counted but dropped, and the job's log is marked truncated; the "
		 "worker's memory stays flat whatever a job prints. At most 1g."},
	{.name = "shutdown-timeout", .type = OPT_DURATION, .metavar = "DURATION", .def = "0",
	 .min = 0, .max = 604800, .config = "worker.shutdown_timeout",
	 .help = "How long SIGTERM waits for running jobs to finish. When it passes, the "
		 "containers still running are removed and their jobs put back in the queue "
		 "(without counting the attempt), as SIGINT does; a job whose container has "
		 "already exited is recorded. 0 waits for them however long they take."},
	{.name = "store-timeout", .type = OPT_DURATION, .metavar = "DURATION", .def = "300",
	 .min = 1, .max = 604800, .config = "worker.store_timeout",
	 .help = "How long the worker goes on when its job store cannot be reached (a "
		 "PostgreSQL server that stops or restarts) before it gives up and exits 1. "
		 "Meanwhile its containers run on and their results are kept; after it, they are "
		 "left running for any worker that serves their hosts to take over."},
	{0},
};

const cli_command_t cmd_process_jobs = {
	.name = "process-jobs",
	.aliases = (const char *const[]){"process_jobs", NULL},
	.group = "Running jobs",
	.summary = "process pending container jobs and manage their execution lifecycle",
	.usage = "[options]",
	.max_args = 0,
	.needs_store = true,
	.description =
		"Process pending container jobs and manage their execution lifecycle.\n\n"
		"This command handles the core job processing workflow: it discovers pending jobs "
		"in the job store, launches them on available executor hosts, monitors running "
		"jobs for completion, harvests logs and results from completed jobs, and updates "
		"job status throughout the lifecycle. Run one per machine, or several against one "
		"store: a job is claimed by exactly one worker.",
	.options = options,
	.examples = (const cli_example_t[]){
		{"cjobs process-jobs", "Process all pending jobs once", 0},
		{"cjobs process-jobs --daemon", "Run in continuous mode (daemon-like); stop it with SIGTERM", 0},
		{"cjobs process-jobs --wait-retries",
		 "Process all pending jobs once, waiting for the retries it schedules, so that each "
		 "job ends with its final result", 0},
		{"cjobs process-jobs --host production-docker", "Process only jobs for specific host", 0},
		{"cjobs process-jobs --max-jobs 5", "Limit concurrent jobs", 0},
		{"cjobs process-jobs --verbosity 2", "Process with verbose output", 0},
		{NULL, NULL, 0},
	},
	.sections = (const cli_section_t[]){
		{"Job Processing Flow",
		 " 1. Query the store for pending jobs that are ready (earliest start time\n"
		 "    passed), highest priority first, then oldest.\n"
		 " 2. Check executor host availability and capacity (each host's limit and\n"
		 "    --max-jobs); an unreachable host gets no jobs and is retried.\n"
		 " 3. Launch jobs within resource limits: claim the job, record its container\n"
		 "    name, create and start the container (pulling the image if the host allows,\n"
		 "    with the registry's credentials: see Registry Credentials).\n"
		 " 4. Monitor running jobs for status changes through the engine's event stream;\n"
		 "    kill a job that passes its time limit.\n"
		 " 5. Harvest completed jobs: exit code, stdout and stderr, peak memory, CPU time.\n"
		 " 6. Update the store with the final results, then remove the container.\n"
		 " 7. A job that failed with a transient error (engine unreachable or restarted,\n"
		 "    out of memory or disk), or exited with a code it lists in\n"
		 "    --retry-on-exit-code, is queued again after its retry strategy's delay\n"
		 "    while it has retries left (job submit --max-retries).\n"
		 "\n"
		 "Recovery: at start, and every 20 seconds, the worker takes over jobs whose\n"
		 "worker died (its process ended, on any machine, or its 60-second lease ran\n"
		 "out): a container still running is watched, one that exited is\n"
		 "harvested, one that never started is removed and its job queued again without\n"
		 "counting the attempt, and a job whose container vanished after it ran is\n"
		 "retried or failed by its policy. Containers of this store that no running job\n"
		 "owns are removed (at start, when a host answers again, and every 5 minutes).\n"
		 "An engine that stops while jobs run marks its host unhealthy (no new jobs go\n"
		 "there); when it answers again the worker carries on."},
		{"Monitoring and Logging",
		 "Progress is logged to standard error: one line per finished job at verbosity 1, "
		 "each step of each job at 2, each container request at 3. When standard error is not "
		 "a terminal each line starts with the time (UTC), so a daemon's log can be kept in "
		 "a file. Each job's results, resource use and history are in the store: see "
		 "'cjobs job show ID'. Errors are logged with the job, the host and the engine's "
		 "own message. Peak memory is the engine's own maximum where it reports one "
		 "(Docker on cgroup v1); Podman reports none, so there it is the highest of the "
		 "samples taken every 2 seconds while the job runs and can miss a shorter spike.\n\n"
		 "Under systemd (the cjobs-worker.service unit, Type=notify) the worker tells it "
		 "when it is ready (its store open, its hosts heard from), a status line for "
		 "'systemctl status' (jobs running, jobs ready in the queue, counted up to 10000 "
		 "and shown as 'more than 10000' past that, hosts answering; at most once a "
		 "second), and pings the watchdog when WatchdogSec is set. When "
		 "JOURNAL_STREAM names standard error, lines carry the journal's priorities "
		 "(error, warning, info, debug) instead of a time: 'journalctl -u cjobs-worker "
		 "-p warning' shows the problems."},
		{"Signal Handling",
		 "SIGTERM: graceful shutdown: take no new jobs, let running ones finish and record "
		 "them, then exit. With --shutdown-timeout, jobs still running when it passes are "
		 "handed back to the queue as with SIGINT.\n\n"
		 "SIGINT (Ctrl+C): immediate shutdown with cleanup: remove the containers this "
		 "worker started and put their jobs back in the queue (without counting the "
		 "attempt), then exit.\n\n"
		 "SIGUSR1: reload the configuration file without restarting: max_jobs, "
		 "poll_interval, timeout, output_limit and shutdown_timeout of [worker] take effect for the next jobs "
		 "(values given as options stay). 'systemctl reload cjobs-worker' sends it; the "
		 "worker tells systemd that it reloads and when it is ready again, and that it "
		 "stops on SIGTERM."},
		{"Important Notes",
		 "The worker needs access to each host's Docker engine, which is root-equivalent on "
		 "that machine. Resource use of the worker itself is small (a few MB of memory, "
		 "little CPU); the containers use what their limits allow. A run without --daemon "
		 "takes as long as its longest job. It does not wait for retries it schedules: a job "
		 "queued again for a later attempt is taken by the next run, or by a daemon, when "
		 "its time comes (exit code 0 unless a job ended failed or timeout).\n\n"
		 "When the job store cannot be reached (a PostgreSQL server that stops or "
		 "restarts), the worker keeps its containers running and their results in memory, "
		 "claims nothing, and tries the store again after 0.5 s, doubling to 30 s; when it "
		 "answers, the results are written and the work goes on. After --store-timeout "
		 "(5 minutes unless set) without the store the worker exits 1; its running jobs are taken over by any worker that "
		 "serves their hosts. Every worker registers in the store and renews a heartbeat "
		 "every 20 s; one that is killed is known dead at once, one whose machine fails "
		 "after 60 s ('cjobs manage-jobs status --detailed' lists them)."},
		{"Registry Credentials",
		 "A pull sends the credentials of the image's registry (the first part of the "
		 "image name when it has a '.' or ':' or is localhost, else docker.io), read at "
		 "that moment from, in order: the host's file ('cjobs host update NAME "
		 "--registry-auth FILE'), then the Docker configuration of the user running the "
		 "worker ($DOCKER_CONFIG/config.json, else ~/.docker/config.json). In either, "
		 "credHelpers (for that registry) or else credsStore names a credential helper, run "
		 "as 'docker-credential-NAME get' from PATH (10 s at most); otherwise auths holds "
		 "them, as 'docker login' writes them. None found: the pull goes without.\n\n"
		 "Security: credentials are never written to the job store, a log line, an error, "
		 "or any output; the store keeps only the file's path, and the worker holds them "
		 "in memory for the one pull. A pull the registry refuses for authentication fails "
		 "the job at once, without retries, naming the registry and the file or 'docker "
		 "login REGISTRY' to check; a pull that fails for good without credentials says "
		 "that none were sent; a credentials file that cannot be read or is malformed fails "
		 "the job the same way, naming the file and what is wrong."},
		{NULL, NULL},
	},
	.warning = "Access to the Docker socket is root access to its machine. Run the worker as a "
		   "user trusted with that, and let only trusted people submit jobs.",
	.errors = (const cli_error_doc_t[]){
		{"cjobs: error: host 'down' (unix:///tmp/cjobs-down.sock) cannot be used: cannot connect to engine unix:///tmp/cjobs-down.sock: No such file or directory",
		 "the engine is not running or its socket is not reachable by this user",
		 "start the engine, check the address with 'cjobs host show down', or disable the "
		 "host ('cjobs host disable down'); exit code 2",
		 "cjobs process-jobs --host down"},
		{"cjobs: error: cannot open job store /dev/null/cjobs.db: not a directory",
		 "the store file's directory cannot be made or written, or the file is not a cjobs "
		 "store", "check --database and the file's permissions; exit code 1",
		 "cjobs --database /dev/null/cjobs.db process-jobs"},
		{"cjobs: error: no host named 'nosuch'", "--host names an unregistered host",
		 "see 'cjobs host list'", "cjobs process-jobs --host nosuch"},
		{NULL, NULL, NULL},
	},
	.exit_codes = (const cli_exit_doc_t[]){
		{0, "Success, all jobs processed normally."},
		{1, "General error (configuration, database, invalid option, etc.)."},
		{2, "Executor error (Docker daemon unavailable, etc.)."},
		{3, "Job processing error (job failures, resource limits): at least one job this run "
		    "processed ended failed or timeout."},
		{0, NULL},
	},
	.run = run,
};
