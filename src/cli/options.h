/*
 * cli/options.h: the option parser behind every command (see command.h).
 */
#ifndef CJOBS_CLI_OPTIONS_H
#define CJOBS_CLI_OPTIONS_H

#include "cli/command.h"
#include "cli/config.h"

/* Sorts argv into the command's options, global options (gvals, parallel to
 * cli_global_options) and positional arguments. Values stay text. */
int cli_parse_argv(const cli_command_t *cmd, const char *path, int argc, char **argv,
		   cli_args_t *a, cli_value_t *gvals, char **err);
/* Gives every option its value: command line, env, config, default. */
int cli_resolve(cli_args_t *a, const config_t *cfg, char **err);
int cli_resolve_one(const cli_option_t *o, cli_value_t *v, const config_t *cfg, char **err);
void cli_args_free(cli_args_t *a);
/* The option name closest to word, or NULL. */
const char *cli_suggest_option(const cli_option_t *opts, const char *word);

#endif
