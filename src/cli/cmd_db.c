/*
 * cli/cmd_db.c: `cjobs db`: the job store's schema. (Maintenance commands
 * such as status, check, vacuum and backup belong here too.)
 */
#include <stdio.h>
#include <stdlib.h>

#include "cli/command.h"
#include "util/err.h"

static int migrate_run(cli_ctx_t *ctx, cli_args_t *a)
{
	char *err = NULL;
	store_t *s = NULL;
	int rc = EXIT_ERROR;
	int cur = 0, latest = 0, applied = 0;
	char **pending = NULL;
	/* Opened without migrating, so that --dry-run can say what would happen. */
	if (store_open(ctx->database, false, &s, &err) < 0 ||
	    store_schema_version(s, &cur, &latest, &err) < 0 ||
	    store_pending_migrations(s, &pending, &err) < 0)
		goto fail;
	if (cli_flag(a, "dry-run")) {
		printf("store %s: schema version %d of %d\n", ctx->database, cur, latest);
		if (!pending[0])
			printf("nothing to apply\n");
		for (char **p = pending; *p; p++)
			printf("would apply: %s\n", *p);
		rc = EXIT_OK;
		goto out;
	}
	if (store_migrate(s, &applied, &err) < 0)
		goto fail;
	for (int i = 0; i < applied && pending[i]; i++)
		printf("applied: %s\n", pending[i]);
	printf("store %s is at schema version %d\n", ctx->database, latest);
	rc = EXIT_OK;
	goto out;
fail:
	cli_error(ctx, "%s", err_str(err));
out:
	strv_free(pending);
	if (s)
		store_close(s);
	free(err);
	return rc;
}

static const cli_command_t db_migrate = {
	.name = "migrate",
	.summary = "apply pending schema migrations to the job store",
	.usage = "[options]",
	.max_args = 0,
	.description = "Brings the store's schema up to this version of cjobs, one numbered "
		       "migration at a time, each in its own transaction. Every command does "
		       "this on first use; run it by hand after an upgrade to see what changes.",
	.options = (const cli_option_t[]){
		{.name = "dry-run", .type = OPT_FLAG,
		 .help = "List the migrations that would be applied; change nothing."},
		{0},
	},
	.examples = (const cli_example_t[]){
		{"cjobs db migrate --dry-run", "show pending migrations without applying them", 0},
		{"cjobs db migrate", "apply them", 0},
		{NULL, NULL, 0},
	},
	.sections = (const cli_section_t[]){
		{"Important Notes",
		 "Back up the store before migrating a production installation (copy the file "
		 "while no worker runs). A store written by a newer cjobs is refused, never "
		 "downgraded."},
		{NULL, NULL},
	},
	.run = migrate_run,
};

const cli_command_t cmd_db = {
	.name = "db",
	.group = "Administration",
	.summary = "job store maintenance",
	.usage = "SUBCOMMAND [options]",
	.description = "Maintains the job store (an SQLite file; see --database).",
	.subcommands = (const cli_command_t *const[]){&db_migrate, NULL},
};
