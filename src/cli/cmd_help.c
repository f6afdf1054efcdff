/* cli/cmd_help.c: `cjobs help [COMMAND [SUBCOMMAND]]`. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/command.h"
#include "cli/docgen.h"
#include "cli/help.h"
#include "util/err.h"

/* Prints every example of cmd and its subcommands: "PATH<TAB>EXIT<TAB>LINE". */
static void list_examples(const cli_command_t *cmd, const char *prefix)
{
	char path[128];
	/* Command paths are two or three short words: never near the size. */
	if (snprintf(path, sizeof(path), "%s%s%s", prefix, *prefix ? " " : "", cmd->name) >=
	    (int)sizeof(path))
		return;
	for (const cli_example_t *e = cmd->examples; e && e->line; e++)
		printf("%s\t%d\t%s\n", path, e->exit_code, e->line);
	for (const cli_command_t *const *s = cmd->subcommands; s && *s; s++)
		list_examples(*s, path);
}

/* Prints every documented error of cmd and its subcommands:
 * "PATH<TAB>TRIGGER<TAB>MESSAGE" (TRIGGER "-" when none is given). */
static void list_errors(const cli_command_t *cmd, const char *prefix)
{
	char path[128];
	snprintf(path, sizeof(path), "%s%s%s", prefix, *prefix ? " " : "", cmd->name);
	for (const cli_error_doc_t *e = cmd->errors; e && e->message; e++)
		printf("%s\t%s\t%s\n", path, e->trigger ? e->trigger : "-", e->message);
	for (const cli_command_t *const *s = cmd->subcommands; s && *s; s++)
		list_errors(*s, path);
}

static int help_run(cli_ctx_t *ctx, cli_args_t *a)
{
	if (cli_flag(a, "errors")) {
		for (const cli_command_t *const *c = cli_commands; *c; c++)
			list_errors(*c, "");
		return EXIT_OK;
	}
	if (cli_has(a, "write-docs")) {
		char *err = NULL;
		if (docgen_write_all(cli_str(a, "write-docs"), &err) < 0) {
			cli_error(ctx, "%s", err_str(err));
			free(err);
			return EXIT_ERROR;
		}
		return EXIT_OK;
	}
	if (cli_has(a, "completion")) {
		if (strcmp(cli_str(a, "completion"), "bash") == 0)
			docgen_bash(stdout);
		else
			docgen_zsh(stdout);
		return EXIT_OK;
	}
	if (cli_flag(a, "examples")) {
		for (const cli_command_t *const *c = cli_commands; *c; c++)
			list_examples(*c, "");
		return EXIT_OK;
	}
	const char *format = cli_str(a, "format");
	if (a->npos == 0) {
		if (strcmp(format, "text") != 0) {
			cli_error(ctx, "--format %s needs a COMMAND ('cjobs help --write-docs DIR' writes "
				       "every page)",
				  format);
			return EXIT_ERROR;
		}
		help_overview(stdout);
		return EXIT_OK;
	}
	const cli_command_t *cmd = cli_find(cli_commands, a->pos[0]);
	if (!cmd) {
		cli_error(ctx, "unknown command '%.60s'; 'cjobs help' lists the commands", a->pos[0]);
		return EXIT_ERROR;
	}
	char path[128];
	snprintf(path, sizeof(path), "%s", cmd->name);
	if (a->npos > 1) {
		const cli_command_t *sub = cli_find(cmd->subcommands, a->pos[1]);
		if (!sub) {
			cli_error(ctx, "'%s' has no subcommand '%.60s'; 'cjobs help %s' lists them",
				  cmd->name, a->pos[1], cmd->name);
			return EXIT_ERROR;
		}
		snprintf(path, sizeof(path), "%s %s", cmd->name, sub->name);
		cmd = sub;
	}
	if (strcmp(format, "man") == 0)
		docgen_man(stdout, cmd, path);
	else if (strcmp(format, "markdown") == 0)
		docgen_markdown(stdout, cmd, path);
	else
		help_command(stdout, cmd, path);
	return EXIT_OK;
}

static const char *const formats[] = {"text", "man", "markdown", NULL};
static const char *const shells[] = {"bash", "zsh", NULL};

const cli_command_t cmd_help = {
	.name = "help",
	.group = "Help",
	.summary = "show the help of cjobs or of one command",
	.usage = "[COMMAND [SUBCOMMAND]]",
	.min_args = 0, .max_args = 2,
	.options = (const cli_option_t[]){
		{.name = "examples", .type = OPT_FLAG,
		 .help = "Print every usage example of every command instead, one per line: the "
			 "command, the exit code the example ends with, and the example itself, "
			 "separated by tabs. The test suite runs each of them."},
		{.name = "errors", .type = OPT_FLAG,
		 .help = "Print every common error that the commands' help documents instead, one "
			 "per line: the command, a command line that produces it, and the message, "
			 "separated by tabs. The test suite runs each of them."},
		{.name = "format", .type = OPT_CHOICE, .metavar = "FORMAT", .def = "text",
		 .choices = formats,
		 .help = "text as --help prints it; man (roff, for man -l) or markdown, the same "
			 "content as the pages in docs/."},
		{.name = "completion", .type = OPT_CHOICE, .metavar = "SHELL", .choices = shells,
		 .help = "Print the shell completion script for bash or zsh instead, e.g. "
			 "source <(cjobs help --completion bash)."},
		{.name = "write-docs", .type = OPT_STRING, .metavar = "DIR",
		 .help = "Write every man page (DIR/man), Markdown page (DIR/commands) and completion "
			 "script (DIR/completion) instead; the build does this for docs/."},
		{0},
	},
	.description = "With no command, lists every command by purpose and the global options. "
		       "With a command, prints the same text as 'cjobs COMMAND --help'.",
	.examples = (const cli_example_t[]){
		{"cjobs help", "list the commands", 0},
		{"cjobs help process-jobs", "the worker's full help", 0},
		{"cjobs help job submit", "how to queue a job", 0},
		{"cjobs help --examples", "every example of every command, for scripts", 0},
		{"cjobs help manage-jobs --format man", "the manual page of manage-jobs, in roff", 0},
		{NULL, NULL, 0},
	},
	.sections = (const cli_section_t[]){
		{"Important Notes",
		 "Opens no job store and contacts no engine; it needs no permissions. "
		 "--write-docs creates DIR and its man, commands and completion directories when "
		 "missing and writes every page (and DIR/troubleshooting.md), replacing files of "
		 "the same names; it removes no other file."},
		{NULL, NULL},
	},
	.errors = (const cli_error_doc_t[]){
		{"cjobs: error: unknown command 'nosuch'; 'cjobs help' lists the commands",
		 "COMMAND is not a command of cjobs", "see the list that 'cjobs help' prints",
		 "cjobs help nosuch"},
		{"cjobs: error: 'host' has no subcommand 'frob'; 'cjobs help host' lists them",
		 "SUBCOMMAND is not a subcommand of COMMAND", "see 'cjobs help COMMAND'",
		 "cjobs help host frob"},
		{"cjobs: error: --format man needs a COMMAND",
		 "--format man or markdown was given without a command",
		 "name the command, or write every page with --write-docs DIR",
		 "cjobs help --format man"},
		{NULL, NULL, NULL},
	},
	.run = help_run,
};
