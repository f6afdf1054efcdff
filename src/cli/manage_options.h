/*
 * cli/manage_options.h: the options the manage-jobs commands share
 * (--job-id, --host, --dry-run, --force), declared once. The name, type,
 * metavar, range and the sentences every command says alike live here, so
 * that "--job-id" takes the same values and "--force" promises the same
 * thing in each command's help; each command adds only what is its own
 * (which jobs, what the prompt guards), as string literals.
 */
#ifndef CJOBS_CLI_MANAGE_OPTIONS_H
#define CJOBS_CLI_MANAGE_OPTIONS_H

#include <stdint.h>

#include "util/opt.h"

/* --job-id ID: VERB is what the command does to it ("cancel"), MUST what
 * the job must be for that, as a sentence. */
#define MANAGE_OPT_JOB_ID(verb, must)                                                       \
	{.name = "job-id", .type = OPT_INT, .metavar = "ID", .min = 1, .max = INT64_MAX,      \
	 .help = "The job to " verb ", by the id 'cjobs job list' shows. " must}

/* --host NAME: WHICH says which jobs or checks of that host the command
 * takes, as whole sentences. */
#define MANAGE_OPT_HOST(which)                                                              \
	{.name = "host", .type = OPT_STRING, .metavar = "NAME",                              \
	 .help = which " NAME is the name the host was registered under ('cjobs host list')."}

/* --dry-run: SHOWS is what it prints instead of acting. */
#define MANAGE_OPT_DRY_RUN(shows)                                                           \
	{.name = "dry-run", .type = OPT_FLAG,                                                 \
	 .help = "Show " shows " without changing anything. Asks nothing."}

/* --force: PROMPT names when the command asks ("" when it always does). */
#define MANAGE_OPT_FORCE(prompt)                                                            \
	{.name = "force", .type = OPT_FLAG,                                                   \
	 .help = "Skip the confirmation prompt" prompt " (use with caution). Needed when "       \
		 "standard input is not a terminal (scripts, cron, CI): without it the command " \
		 "refuses there and changes nothing."}

#endif
