/*
 * cli/cmd_manage_jobs.c: `cjobs manage-jobs`, the administration group of
 * the specification (section 2). Each subcommand lives in its own file
 * (manage_*.c); this file only gathers them under the group's help.
 */
#include "cli/command.h"

extern const cli_command_t manage_cleanup, manage_cancel, manage_status, manage_health_check,
	manage_report, manage_retry;

const cli_command_t cmd_manage_jobs = {
	.name = "manage-jobs",
	.aliases = (const char *const[]){"manage_jobs", NULL},
	.group = "Administration",
	.summary = "manage container job lifecycle operations and maintenance tasks",
	.usage = "SUBCOMMAND [options]",
	.description =
		"Manage container job lifecycle operations and maintenance tasks.\n\n"
		"Provides administrative operations for job management: cleanup of old finished "
		"jobs, cancellation of running or queued jobs, status reporting, health checks of "
		"executor hosts, resource usage reports, and retries of failed jobs.",
	.examples = (const cli_example_t[]){
		{"cjobs manage-jobs cleanup --days 7 --force", "Clean up jobs older than 7 days", 0},
		{"cjobs manage-jobs cancel --job-id 3", "Cancel specific job", 0},
		{"cjobs manage-jobs status", "Show job status summary", 0},
		{"cjobs manage-jobs health-check", "Health check all executor hosts", 0},
		{"cjobs manage-jobs report --format table", "Show resource usage report", 0},
		{NULL, NULL, 0},
	},
	.sections = (const cli_section_t[]){
		{"Important Notes",
		 "status and report only read the store; health-check contacts the engines and "
		 "records each result on its host. cleanup, cancel and retry change jobs: run them "
		 "with --dry-run first, and note that several jobs are changed only after a "
		 "confirmation on a terminal or with --force. cancel and cleanup act on containers "
		 "through the engines too.\n\n"
		 "Permissions: the store file is created mode 0600, so run these commands as the "
		 "user that owns it (the workers' user). Commands that reach an engine need access "
		 "to its Docker socket, which is root-equivalent on that machine.\n\n"
		 "Every subcommand is safe to run while workers run. Run time is that of a few "
		 "store queries, plus, for commands that contact engines, up to their --timeout."},
		{NULL, NULL},
	},
	.errors = (const cli_error_doc_t[]){
		{"cjobs: error: 'cjobs manage-jobs' needs a subcommand (see the list above)",
		 "'cjobs manage-jobs' was run without a subcommand; the group's help, with the list of "
		 "subcommands, is printed on standard error before the message",
		 "add one of the subcommands listed, e.g. 'cjobs manage-jobs status'", "cjobs manage-jobs"},
		{"cjobs: error: unknown subcommand 'frob' for 'cjobs manage-jobs'",
		 "the word after 'manage-jobs' is not one of its subcommands (a typo, or a subcommand of "
		 "another group)",
		 "see 'cjobs help manage-jobs' for the list of subcommands", "cjobs manage-jobs frob"},
		{NULL, NULL, NULL},
	},
	.subcommands = (const cli_command_t *const[]){&manage_cleanup, &manage_cancel,
						      &manage_status, &manage_health_check,
						      &manage_report, &manage_retry, NULL},
};
