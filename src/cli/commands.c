/*
 * cli/commands.c: the list of top-level commands, in the order `cjobs help`
 * shows them. A command exists for the program only by being listed here.
 */
#include "cli/command.h"

extern const cli_command_t cmd_process_jobs, cmd_manage_jobs, cmd_host, cmd_template, cmd_job,
	cmd_token, cmd_serve, cmd_run, cmd_schedule,
	cmd_db, cmd_dev, cmd_help;

const cli_command_t *const cli_commands[] = {
	&cmd_process_jobs,
	&cmd_manage_jobs,
	&cmd_job,
	&cmd_run,
	&cmd_schedule,
	&cmd_host,
	&cmd_template,
	&cmd_token,
	&cmd_serve,
	&cmd_db,
	&cmd_dev,
	&cmd_help,
	NULL,
};
