/*
 * cli/manage_health_check.c: `cjobs manage-jobs health-check`: contact
 * every executor host's engine (or one) within a time limit, report what
 * each says, and record the result on the host.
 *
 * This file only chooses the hosts and prints; the checks run in parallel
 * in ops_check_hosts() (worker/ops.c). It must never take longer than
 * --timeout to hear from the engines, and never changes a job.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/manage_options.h"
#include "cli/command.h"
#include "cli/context.h"
#include "ops/render.h"
#include "util/err.h"
#include "util/output.h"
#include "ops/ops.h"

static const char *const formats[] = {"table", "json", NULL};


static int print_json(const host_t *hosts, const ops_check_t *c, size_t n)
{
	json_t *arr = json_array();
	for (size_t i = 0; arr && i < n; i++) {
		json_t *o = ops_check_json(&hosts[i], &c[i]);
		if (!o)
			break;
		json_array_append_new(arr, o);
	}
	int rc = render_print_json(stdout, arr);
	json_decref(arr);
	return rc;
}

static int print_table(const host_t *hosts, const ops_check_t *c, size_t n)
{
	static const char *const head[] = {"HOST",       "STATUS",   "ENABLED", "ENGINE",
					   "API",        "CONTAINERS", "CAPACITY", "RESPONSE"};
	table_t *t = table_new(8, head);
	if (!t)
		return -1;
	size_t healthy = 0;
	for (size_t i = 0; i < n; i++) {
		char running[24] = "-", cap[48], resp[24];
		if (c[i].containers_running >= 0)
			snprintf(running, sizeof(running), "%lld", (long long)c[i].containers_running);
		if (c[i].jobs_active >= 0)
			snprintf(cap, sizeof(cap), "%lld/%d jobs", (long long)c[i].jobs_active,
				 hosts[i].max_jobs);
		else
			snprintf(cap, sizeof(cap), "?/%d jobs", hosts[i].max_jobs);
		snprintf(resp, sizeof(resp), "%lldms", (long long)c[i].response_ms);
		const char *row[] = {hosts[i].name,
				     ops_check_state(&c[i]),
				     hosts[i].enabled ? "yes" : "no (disabled)",
				     c[i].engine_version ? c[i].engine_version : "-",
				     c[i].api_version ? c[i].api_version : "-",
				     running,
				     cap,
				     resp};
		if (table_add(t, row) < 0) {
			table_free(t);
			return -1;
		}
		healthy += c[i].ok;
	}
	table_print(t, stdout);
	table_free(t);
	bool problems = false;
	for (size_t i = 0; i < n; i++) {
		if (c[i].ok && c[i].recorded)
			continue;
		if (!problems)
			printf("\nProblems:\n");
		problems = true;
		if (!c[i].ok)
			printf("  %s: %s\n", hosts[i].name, c[i].error ? c[i].error : "unknown error");
		if (!c[i].recorded)
			printf("  %s: the result could not be recorded: %s\n", hosts[i].name,
			       c[i].record_error ? c[i].record_error : "?");
	}
	printf("\n%zu host(s) checked: %zu healthy, %zu not\n", n, healthy, n - healthy);
	return 0;
}

static int run(cli_ctx_t *ctx, cli_args_t *a)
{
	char *err = NULL;
	host_t *hosts = NULL;
	size_t n = 0;
	const char *only = cli_str(a, "host");
	if (only) {
		hosts = calloc(1, sizeof(*hosts));
		if (!hosts) {
			cli_error(ctx, "out of memory");
			return EXIT_ERROR;
		}
		n = 1;
		int found = ctx_load_host(ctx, only, hosts);
		if (found != 0) {
			store_host_list_free(hosts, n);
			return EXIT_ERROR;
		}
	} else if (store_host_list(ctx->store, &hosts, &n, &err) < 0) {
		cli_error(ctx, "%s", err_str(err));
		free(err);
		return EXIT_ERROR;
	}
	if (n == 0) {
		cli_error(ctx, "no executor host is registered; add one with 'cjobs host add NAME "
			       "--url URL'");
		store_host_list_free(hosts, n);
		return EXIT_ERROR;
	}
	ops_check_t *checks = calloc(n, sizeof(*checks));
	int rc = EXIT_ERROR;
	if (!checks) {
		cli_error(ctx, "out of memory");
	} else if (ops_check_hosts(ctx->store, hosts, n, (int)cli_num(a, "timeout"), checks,
				   &err) < 0) {
		cli_error(ctx, "%s", err_str(err));
	} else {
		int prc = strcmp(cli_str(a, "format"), "json") == 0 ? print_json(hosts, checks, n)
								     : print_table(hosts, checks, n);
		/* A disabled host is shown, but it fails the check only when it was
		 * named with --host: being down is often why it was disabled. */
		bool all_ok = true;
		for (size_t i = 0; i < n; i++)
			if (hosts[i].enabled || cli_has(a, "host"))
				all_ok = all_ok && checks[i].ok;
		if (prc < 0)
			cli_error(ctx, "out of memory");
		else
			rc = all_ok ? EXIT_OK : EXIT_ENGINE;
	}
	ops_check_free(checks, checks ? n : 0);
	free(checks);
	free(err);
	store_host_list_free(hosts, n);
	return rc;
}

static const cli_option_t options[] = {
	MANAGE_OPT_HOST("Check this host only (without it, every host is checked, disabled ones "
			"included)."),
	{.name = "timeout", .type = OPT_DURATION, .metavar = "SECONDS", .def = "30", .min = 1,
	 .max = 3600,
	 .help = "Health check timeout in seconds: the longest the whole check may wait for the "
		 "engines (all hosts are checked at once, so this bounds the run time). A host that "
		 "has not answered by then is reported as timed out."},
	{.name = "format", .type = OPT_CHOICE, .metavar = "FORMAT", .def = "table",
	 .choices = formats,
	 .help = "table for people (with a Problems list and a summary line); json for scripts: "
		 "an array of objects with name, url, enabled, healthy, status, error, "
		 "engine_version, api_version, os, containers_running, jobs_active, max_jobs, "
		 "response_ms, recorded."},
	{0},
};

const cli_command_t manage_health_check = {
	.name = "health-check",
	.aliases = (const char *const[]){"health_check", NULL},
	.summary = "verify executor host connectivity and health",
	.usage = "[--host NAME] [--timeout SECONDS] [--format table|json]",
	.max_args = 0,
	.needs_store = true,
	.description =
		"Contacts the Docker engine of every executor host (or of --host) and reports, for "
		"each: whether it answered (healthy), its engine and API versions, how many "
		"containers it runs, and the capacity in use (jobs launching or running on it, from "
		"the job store, against its --max-jobs). Disabled hosts are checked too and shown as "
		"disabled. Each result is recorded on the host, with the time: 'cjobs host show "
		"NAME' and 'cjobs host list' show the last check.",
	.options = options,
	.examples = (const cli_example_t[]){
		{"cjobs manage-jobs health-check",
		 "Health check all executor hosts; disabled ones are shown too, but only an enabled "
		 "host that does not answer makes it exit 2", 0},
		{"cjobs manage-jobs health-check --host local --timeout 5",
		 "Check only host local, giving its engine at most 5 seconds", 0},
		{"cjobs manage-jobs health-check --format json",
		 "Check every host and print the results as JSON, for monitoring scripts", 0},
		{"cjobs manage-jobs health_check --host local --timeout 10",
		 "The same check under its other name, with a 10-second limit", 0},
		{NULL, NULL, 0},
	},
	.sections = (const cli_section_t[]){
		{"How It Works",
		 " 1. Read the hosts from the job store (every host, or the one --host names).\n"
		 " 2. Contact every engine at once: ping it, agree on the API version, and read\n"
		 "    its version and info (connection and request limits are --timeout).\n"
		 " 3. Stop waiting after --timeout seconds; a host that has not answered is\n"
		 "    reported as timed out.\n"
		 " 4. Count each host's launching and running jobs in the store.\n"
		 " 5. Record each result and the time on the host, then print the report.\n"
		 "    The exit code is 0 only when every checked host answered."},
		{"Important Notes",
		 "Safe to run at any time, also in production and from cron or monitoring: it only "
		 "reads from the engines (nothing is created, started or removed) and changes no "
		 "job; it writes only the check result on each host. Workers do not use these "
		 "results to place jobs: each worker checks its hosts itself.\n\n"
		 "Permissions: read access to the job store file (write access to record the "
		 "results) and access to each engine. Access to the Docker socket is "
		 "root-equivalent on its machine; tcp:// engines should be protected by TLS client "
		 "certificates.\n\n"
		 "Resource use and run time: a few MB of memory and one connection per host; the "
		 "run takes as long as the slowest engine takes to answer, at most --timeout "
		 "seconds (an engine that refuses connections fails at once)."},
		{NULL, NULL},
	},
	.errors = (const cli_error_doc_t[]){
		{"down: cannot connect to engine unix:///tmp/cjobs-down.sock: No such file or directory",
		 "(in the Problems list; exit code 2) the engine is not running, its socket or port "
		 "is wrong, or this user may not use its socket",
		 "start the engine, check the address with 'cjobs host show down' (change it with "
		 "'cjobs host update down --url URL'), or check the socket's permissions",
		 "cjobs manage-jobs health-check --host down"},
		{"hang: no answer from unix:///tmp/hang.sock within 1s",
		 "(in the Problems list; exit code 2) the engine accepted nothing or answered too "
		 "slowly: it is overloaded, or a firewall drops the packets",
		 "check the engine and the network; try a longer --timeout",
		 "cjobs --database hang.db manage-jobs health-check --host hang --timeout 1"},
		{"cjobs: error: no host named 'nosuch'; 'cjobs host list' shows the hosts",
		 "--host names a host that is not registered", "check the name with 'cjobs host list'",
		 "cjobs manage-jobs health-check --host nosuch"},
		{"cjobs: error: no executor host is registered; add one with 'cjobs host add NAME --url "
		 "URL'",
		 "the job store has no hosts yet", "register one with 'cjobs host add'",
		 "cjobs --database empty.db manage-jobs health-check"},
		{"cjobs: error: option --timeout: '0' is not a duration from 1 to 3600 seconds (write "
		 "90, 90s, 5m, 2h or 1d)",
		 "--timeout is out of range", "give 1 to 3600 seconds (or 5m, 1h)",
		 "cjobs manage-jobs health-check --timeout 0"},
		{NULL, NULL, NULL, NULL},
	},
	.exit_codes = (const cli_exit_doc_t[]){
		{0, "Every checked host is healthy (its engine answered); a disabled host counts "
		    "only when named with --host."},
		{1, "General error: invalid option, unknown host, no host registered, or a job store "
		    "problem."},
		{2, "At least one checked host that is enabled (or named with --host) is not "
		    "healthy: unreachable, or no answer within --timeout."},
		{0, NULL},
	},
	.run = run,
};
