/*
 * cli/help.h: help text, rendered from the command declarations.
 */
#ifndef CJOBS_CLI_HELP_H
#define CJOBS_CLI_HELP_H

#include <stdio.h>

#include "cli/command.h"

/* Texts shared by --help and the generated pages. */
#define HELP_OVERVIEW_TEXT                                                                     \
	"cjobs keeps a queue of container jobs (image, command, environment, limits, "        \
	"priority, time limit, retries) in a job store and runs them on executor hosts "      \
	"(Docker engines). 'cjobs process-jobs' is the worker; the other commands "           \
	"register hosts, queue and inspect jobs, and administer the system.\n\n"              \
	"With no configuration at all, the store is the SQLite file "                         \
	"$XDG_DATA_HOME/cjobs/cjobs.db (~/.local/share/cjobs/cjobs.db) and the executor "     \
	"host is the local Docker engine ($DOCKER_HOST, else unix:///var/run/docker.sock), "  \
	"registered as host 'local' the first time a job is submitted or processed while "    \
	"no host exists."
#define HELP_DEFAULT_EXIT_1                                                                    \
	"Error: invalid option or value, configuration, or job store problem (the message "   \
	"says which and what to do)."

/* The full help of a command; path is how it is named ("manage-jobs cleanup"). */
void help_command(FILE *f, const cli_command_t *cmd, const char *path);
/* `cjobs help`: the program's overview and its commands by group. */
void help_overview(FILE *f);
/* The width to wrap at: the terminal's (or $COLUMNS), at most 100; 80 when
 * not a terminal. */
int help_width(FILE *f);
/* Writes text wrapped to width with every line indented by indent spaces.
 * Blank lines separate paragraphs; lines that start with a space are kept
 * as they are (indented further). */
void help_wrap(FILE *f, const char *text, int indent, int width);
/* "Default: 10. Range: 1 to 1000." etc. for an option (malloc'd). */
char *help_option_facts(const cli_option_t *o);

#endif
