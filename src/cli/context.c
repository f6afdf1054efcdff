/* cli/context.c: the store and default host shared by commands; see context.h. */
#include "cli/context.h"

#include "ops/jobs.h"
#include "ops/submit.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/confirm.h"
#include "util/err.h"
#include "util/log.h"

char *ctx_default_database(void)
{
	char *p = NULL;
	const char *xdg = getenv("XDG_DATA_HOME");
	const char *home = getenv("HOME");
	if (xdg && *xdg) {
		if (asprintf(&p, "%s/cjobs/cjobs.db", xdg) < 0)
			return NULL;
	} else if (home && *home) {
		if (asprintf(&p, "%s/.local/share/cjobs/cjobs.db", home) < 0)
			return NULL;
	}
	return p;
}

int ctx_open_store(cli_ctx_t *ctx, char **err)
{
	if (ctx->store)
		return 0;
	/* A store on a read-only file system, or one this user may only read,
	 * can still be looked at. */
	if (ctx->reads_only && store_unwritable(ctx->database))
		return store_open_read_only(ctx->database, &ctx->store, err);
	if (strcmp(ctx->database_from, "default") == 0)
		return store_open_making_dirs(ctx->database, true, &ctx->store, err);
	return store_open(ctx->database, true, &ctx->store, err);
}

const char *ctx_default_engine_url(void)
{
	const char *dh = getenv("DOCKER_HOST");
	if (dh && (strncmp(dh, "unix://", 7) == 0 || strncmp(dh, "tcp://", 6) == 0))
		return dh;
	return "unix:///var/run/docker.sock";
}

int ctx_ensure_default_host(cli_ctx_t *ctx, bool *added, char **err)
{
	return ops_ensure_default_host(ctx->store, ctx_default_engine_url(), added, err);
}

int ctx_load_host(cli_ctx_t *ctx, const char *name, host_t *h)
{
	char *err = NULL;
	ops_rc_t rc = ops_host_load(ctx->store, name, h, &err);
	if (rc != OPS_OK)
		cli_error(ctx, "%s", err_str(err));
	free(err);
	return rc == OPS_OK ? 0 : -1;
}

int ctx_confirm(cli_ctx_t *ctx, bool force, const char *what)
{
	if (force)
		return 0;
	char *question = NULL;
	if (asprintf(&question, "Remove %s?", what) < 0)
		question = NULL;
	confirm_t c = confirm(question ? question : "Go on?");
	free(question);
	if (c == CONFIRM_YES)
		return 0;
	if (c == CONFIRM_NOT_A_TTY)
		cli_error(ctx, "removing %s needs confirmation, but standard input is not a "
			       "terminal; add --force (or --dry-run to see what would go)",
			  what);
	else
		fprintf(stderr, "cjobs: nothing was changed\n");
	return -1;
}

int ctx_removal(cli_ctx_t *ctx, const cli_args_t *a, char *what, const char *name,
		const char *dry_note)
{
	int rc;
	if (cli_flag(a, "dry-run")) {
		printf("would remove %s; %s\n", what ? what : name, dry_note);
		rc = 1;
	} else {
		rc = ctx_confirm(ctx, cli_flag(a, "force"), what ? what : name);
	}
	free(what);
	return rc;
}
