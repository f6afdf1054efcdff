/*
 * cli/context.h: what commands share: the store, the default host, the
 * output format, and how to name things in messages.
 */
#ifndef CJOBS_CLI_CONTEXT_H
#define CJOBS_CLI_CONTEXT_H

#include "cli/command.h"

/* $XDG_DATA_HOME/cjobs/cjobs.db, else ~/.local/share/cjobs/cjobs.db;
 * malloc'd, NULL when neither variable is set. */
char *ctx_default_database(void);
/* Opens ctx->database (creating it and applying migrations). */
int ctx_open_store(cli_ctx_t *ctx, char **err);
/* The engine address used for the default host: $DOCKER_HOST when it is a
 * unix:// or tcp:// address, else unix:///var/run/docker.sock. */
const char *ctx_default_engine_url(void);
/* Registers host 'local' at ctx_default_engine_url() when the store has no
 * host at all. Sets *added when it did. */
int ctx_ensure_default_host(cli_ctx_t *ctx, bool *added, char **err);

/* Loads host name into h (host_init'ed by the caller), or prints the
 * error (ops_host_load's: "no host named ..." or the store's) and returns
 * -1. */
int ctx_load_host(cli_ctx_t *ctx, const char *name, host_t *h);
/* The confirmation of a destructive command: proceeds with --force; asks on
 * a terminal; refuses, with an error that says to add --force, when
 * standard input is not one. `what` completes "removing ...". Returns 0 to
 * go on, -1 when refused (the error or "nothing was changed" is printed). */
int ctx_confirm(cli_ctx_t *ctx, bool force, const char *what);
/* The front of a removal with --dry-run and --force options: with
 * --dry-run prints "would remove <what>; <dry_note>" and returns 1;
 * otherwise confirms (ctx_confirm) and returns 0 to go on or -1 when
 * refused. `what` is taken over (freed here); NULL stands for `name`. */
int ctx_removal(cli_ctx_t *ctx, const cli_args_t *a, char *what, const char *name,
		const char *dry_note);

#endif
