/*
 * cli/submit_file.h: `job submit --file`: jobs as JSON Lines, one object
 * per line whose keys are the long options of `job submit` ("image",
 * "env", "max-retries", ...) plus "command" (the argument list). Each line
 * is parsed by the same option parsers and the same job validation as the
 * command line; options given on the command line are defaults for every
 * line (a line's value replaces them; a line's "env" and "env-file" add
 * to them).
 */
#ifndef CJOBS_CLI_SUBMIT_FILE_H
#define CJOBS_CLI_SUBMIT_FILE_H

#include "cli/command.h"

#define SUBMIT_FILE_LINE_MAX (1 << 20)     /* bytes in one line */
#define SUBMIT_FILE_JOBS_MAX 1000000       /* lines with a job */

/* Reads every job of path ("-": standard input) into *jobs (*n of them).
 * Stops at the first bad line: -1 with *err naming the file, the line and
 * the key; then no job is returned. Blank lines are skipped. */
int submit_read_file(cli_ctx_t *ctx, const cli_args_t *defaults, const char *path,
		     job_t **jobs, size_t *n, char **err);

#endif
