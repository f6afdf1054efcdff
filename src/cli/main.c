/*
 * cli/main.c: the program's entry. Finds the command named on the command
 * line, gathers global options wherever they stand, loads the configuration,
 * resolves every option, opens the store when the command needs it, and
 * runs the command. It holds no command's logic.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/command.h"
#include "cli/config.h"
#include "cli/context.h"
#include "store/dburl.h"
#include "cli/help.h"
#include "cli/options.h"
#include "util/err.h"
#include "util/text.h"
#include "util/log.h"
#include "util/timeutil.h"

static const cli_command_t root = {
	.name = "cjobs",
	.summary = "run container jobs on Docker engines",
	.stop_at_positional = true,
};

static int global_index(const char *name)
{
	for (int i = 0; cli_global_options[i].name; i++)
		if (strcmp(cli_global_options[i].name, name) == 0)
			return i;
	abort();
}

void cli_error(const cli_ctx_t *ctx, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	/* Errors quote what people typed and what engines answered: shown as
	 * one plain line, with control bytes and invalid UTF-8 as \xHH. */
	char *msg = NULL;
	if (vasprintf(&msg, fmt, ap) < 0)
		msg = NULL;
	va_end(ap);
	/* Under systemd, the journal's error priority (see util/log.h). */
	fputs(log_to_journal() ? "<3>cjobs: error: " : "cjobs: error: ", stderr);
	fputs_printable(msg ? msg : "out of memory", stderr);
	fputc('\n', stderr);
	free(msg);
	if (ctx && ctx->command_path)
		fprintf(stderr, "Run 'cjobs help %s' for usage.\n", ctx->command_path);
}

/* Resolves --config, --database and the verbosity into ctx. */
static int setup_context(cli_ctx_t *ctx, const cli_command_t *cmd, cli_value_t *g, char **err)
{
	cli_value_t *cv = &g[global_index("config")];
	if (cli_resolve_one(&cli_global_options[global_index("config")], cv, NULL, err) < 0)
		return -1;
	char *found = NULL;
	const char *path = cv->has ? cv->str : (found = config_find_default());
	if (path) {
		ctx->config = config_load(path, err);
		if (!ctx->config) {
			free(found);
			return -1;
		}
		ctx->config_path = config_path(ctx->config);
		size_t n;
		char *const *problems = config_problems(ctx->config, &n);
		if (n && !cmd->reports_config) {
			err_set(err, "%s (check the file with 'cjobs dev validate-config')",
				problems[0]);
			free(found);
			return -1;
		}
	}
	free(found);
	for (int i = 0; cli_global_options[i].name; i++) {
		if (strcmp(cli_global_options[i].name, "config") == 0)
			continue;
		if (cli_resolve_one(&cli_global_options[i], &g[i], ctx->config, err) < 0)
			return -1;
	}
	cli_value_t *db = &g[global_index("database")];
	if (db->has) {
		ctx->database = db->str;
		ctx->database_from = db->source;
		/* A malformed PostgreSQL name, or a scheme no driver knows, is
		 * refused here, in words that say where it came from. */
		const char *from = strcmp(db->source, "config") == 0 ? "[store] path"
				 : strcmp(db->source, "option") == 0 ? "--database"
								     : "$CJOBS_DATABASE";
		if (dburl_check(ctx->database, from, err) < 0)
			return -1;
	} else {
		ctx->database = ctx->database_owned = ctx_default_database();
		ctx->database_from = "default";
		if (!ctx->database)
			return err_set(err, "cannot tell where the job store goes: set HOME, "
					    "XDG_DATA_HOME or --database");
	}
	cli_value_t *verb = &g[global_index("verbosity")];
	int level = (int)verb->num;
	if (!g[global_index("verbosity")].given)
		level += (int)g[global_index("verbose")].nlist;
	if (g[global_index("quiet")].given)
		level = 0;
	ctx->verbosity = level > 3 ? 3 : level;
	log_set_level(ctx->verbosity);
	return 0;
}

int main(int argc, char **argv)
{
	cli_ctx_t ctx = {0};
	cli_args_t top = {0}, args = {0};
	char *err = NULL;
	int rc = EXIT_ERROR;
	cli_value_t gvals[16] = {{0}};
	char path[128] = "";

	if (cli_parse_argv(&root, "", argc - 1, argv + 1, &top, gvals, &err) < 0) {
		cli_error(NULL, "%s", err_str(err));
		fprintf(stderr, "Run 'cjobs help' for usage.\n");
		goto out;
	}
	if (gvals[global_index("version")].given) {
		printf("cjobs %s\n", CJOBS_VERSION);
		rc = EXIT_OK;
		goto out;
	}
	if (top.npos == 0) {
		help_overview(gvals[global_index("help")].given ? stdout : stderr);
		rc = gvals[global_index("help")].given ? EXIT_OK : EXIT_ERROR;
		goto out;
	}
	const cli_command_t *cmd = cli_find(cli_commands, top.pos[0]);
	if (!cmd) {
		cli_error(NULL, "unknown command '%.60s'; run 'cjobs help' for the list of commands",
			  top.pos[0]);
		goto out;
	}
	snprintf(path, sizeof(path), "%s", cmd->name);
	char **rest = top.pos + 1;
	int nrest = (int)top.npos - 1;
	if (cmd->subcommands) {
		if (nrest == 0 || rest[0][0] == '-') {
			bool help = gvals[global_index("help")].given ||
				    (nrest > 0 && (strcmp(rest[0], "--help") == 0 ||
						   strcmp(rest[0], "-h") == 0));
			help_command(help ? stdout : stderr, cmd, path);
			if (!help)
				cli_error(NULL, "'cjobs %s' needs a subcommand (see the list above)", path);
			rc = help ? EXIT_OK : EXIT_ERROR;
			goto out;
		}
		const cli_command_t *sub = cli_find(cmd->subcommands, rest[0]);
		if (!sub) {
			ctx.command_path = path;
			cli_error(&ctx, "unknown subcommand '%.60s' for 'cjobs %s'", rest[0], path);
			goto out;
		}
		cmd = sub;
		size_t len = strlen(path);
		snprintf(path + len, sizeof(path) - len, " %s", cmd->name);
		rest++;
		nrest--;
	}
	ctx.command_path = path;
	if (cli_parse_argv(cmd, path, nrest, rest, &args, gvals, &err) < 0) {
		cli_error(&ctx, "%s", err_str(err));
		goto out;
	}
	if (gvals[global_index("help")].given) {
		help_command(stdout, cmd, path);
		rc = EXIT_OK;
		goto out;
	}
	if (gvals[global_index("version")].given) {
		printf("cjobs %s\n", CJOBS_VERSION);
		rc = EXIT_OK;
		goto out;
	}
	cli_pin_now(now_ms());
	int resolved = setup_context(&ctx, cmd, gvals, &err) < 0 ||
				       cli_resolve(&args, ctx.config, &err) < 0
			       ? -1
			       : 0;
	cli_pin_now(0); /* a daemon's reload reads the clock again */
	if (resolved < 0) {
		cli_error(&ctx, "%s", err_str(err));
		goto out;
	}
	if ((int)args.npos < cmd->min_args) {
		cli_error(&ctx, "'cjobs %s' needs %s", path, cmd->usage ? cmd->usage : "arguments");
		goto out;
	}
	if (cmd->max_args >= 0 && (int)args.npos > cmd->max_args) {
		cli_error(&ctx, "unexpected argument '%.60s' for 'cjobs %s'", args.pos[cmd->max_args],
			  path);
		goto out;
	}
	ctx.reads_only = cmd->reads_only;
	if (cmd->needs_store && ctx_open_store(&ctx, &err) < 0) {
		cli_error(&ctx, "%s", err_str(err));
		goto out;
	}
	rc = cmd->run(&ctx, &args);
out:
	free(err);
	cli_args_free(&args);
	cli_args_free(&top);
	for (size_t i = 0; i < sizeof(gvals) / sizeof(gvals[0]); i++)
		free(gvals[i].list);
	if (ctx.store)
		store_close(ctx.store);
	config_free(ctx.config);
	free(ctx.database_owned);
	return rc;
}
