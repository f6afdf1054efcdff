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
	.subcommands = (const cli_command_t *const[]){&manage_cleanup, &manage_cancel,
						      &manage_status, &manage_health_check,
						      &manage_report, &manage_retry, NULL},
};
