/*
 * cli/cmd_token.c: `cjobs token create|list|revoke`: the bearer tokens of
 * the HTTP API (`cjobs serve`). The work is ops/tokens.c; this file only
 * prints. A token is printed once, by create, and never again.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/command.h"
#include "ops/render.h"
#include "ops/tokens.h"
#include "util/err.h"
#include "util/output.h"
#include "util/timeutil.h"

static const char *const scopes[] = {"read", "submit", "admin", NULL};
static const char *const formats[] = {"table", "json", NULL};

static int create_run(cli_ctx_t *ctx, cli_args_t *a)
{
	char *err = NULL, *token = NULL;
	store_token_t t;
	if (ops_token_create(ctx->store, a->pos[0], cli_str(a, "scope"), &t, &token, &err) < 0) {
		cli_error(ctx, "%s", err_str(err));
		free(err);
		return EXIT_ERROR;
	}
	printf("%s\n", token);
	fprintf(stderr, "cjobs: token '%s' (scope %s) made; it is shown only now: keep it where "
			"its users can read it, and send it as 'Authorization: Bearer TOKEN'\n",
		t.name, t.scope);
	free(token);
	store_token_free(&t);
	return EXIT_OK;
}

static int list_run(cli_ctx_t *ctx, cli_args_t *a)
{
	char *err = NULL;
	store_token_t *v = NULL;
	size_t n = 0;
	if (store_token_list(ctx->store, &v, &n, &err) < 0) {
		cli_error(ctx, "%s", err_str(err));
		free(err);
		return EXIT_ERROR;
	}
	int rc = EXIT_OK;
	char c1[40], c2[40];
	if (strcmp(cli_str(a, "format"), "json") == 0) {
		json_t *arr = json_array();
		for (size_t i = 0; arr && i < n; i++)
			json_array_append_new(
				arr, json_pack("{s:s, s:s, s:s, s:s?}", "name", v[i].name, "scope",
					       v[i].scope, "created_at",
					       format_time_ms(v[i].created_at, c1, sizeof(c1)), "revoked_at",
					       v[i].revoked_at ? format_time_ms(v[i].revoked_at, c2, sizeof(c2))
							       : NULL));
		rc = render_print_json(stdout, arr) == 0 ? EXIT_OK : EXIT_ERROR;
		json_decref(arr);
	} else {
		static const char *const head[] = {"NAME", "SCOPE", "CREATED", "REVOKED"};
		table_t *tb = table_new(4, head);
		for (size_t i = 0; tb && i < n; i++) {
			const char *row[] = {v[i].name, v[i].scope, format_time(v[i].created_at, c1, sizeof(c1)),
					     v[i].revoked_at ? format_time(v[i].revoked_at, c2, sizeof(c2)) : "-"};
			if (table_add(tb, row) < 0)
				rc = EXIT_ERROR;
		}
		if (!tb || rc != EXIT_OK)
			cli_error(ctx, "out of memory");
		else
			table_print(tb, stdout);
		table_free(tb);
	}
	store_token_list_free(v, n);
	return rc;
}

static int revoke_run(cli_ctx_t *ctx, cli_args_t *a)
{
	char *err = NULL;
	if (ops_token_revoke(ctx->store, a->pos[0], &err) < 0) {
		cli_error(ctx, "%s", err_str(err));
		free(err);
		return EXIT_ERROR;
	}
	printf("revoked token '%s'; requests that present it are refused from now on (401)\n",
	       a->pos[0]);
	return EXIT_OK;
}

static const cli_command_t t_create = {
	.name = "create",
	.summary = "make an API token and print it once",
	.usage = "NAME --scope read|submit|admin",
	.min_args = 1, .max_args = 1, .needs_store = true,
	.description = "Makes a random token for the HTTP API ('cjobs serve'), stores its SHA-256 "
		       "hash under NAME with its scope, and prints the token on standard output. "
		       "It is shown only this once: the store cannot give it back. NAME (1 to 64 "
		       "letters, digits, '-', '_' or '.') is for people and must be unique.",
	.options = (const cli_option_t[]){
		{.name = "scope", .type = OPT_CHOICE, .metavar = "SCOPE", .def = "read",
		 .choices = scopes,
		 .help = "What the token may do: read (jobs, output, hosts, status, report, "
			 "metrics), submit (read, and queue jobs), admin (submit, and cancel, retry "
			 "and check hosts)."},
		{0},
	},
	.examples = (const cli_example_t[]){
		{"cjobs token create ci --scope submit",
		 "a token for a CI system that queues jobs; prints it once", 0},
		{"cjobs token create dashboard-ops --scope admin",
		 "a token for operators who cancel and retry jobs from the dashboard", 0},
		{NULL, NULL, 0},
	},
	.sections = (const cli_section_t[]){
		{"Important Notes",
		 "The token grants what its scope says to anyone who has it: pass it to its users "
		 "the way you pass passwords, and revoke it ('cjobs token revoke NAME') when it may "
		 "have leaked. A copy of the store holds only hashes, from which no token can be "
		 "made. Changes only the store."},
		{NULL, NULL},
	},
	.errors = (const cli_error_doc_t[]){
		{"cjobs: error: a token named 'ci' already exists; choose another name, or revoke it "
		 "first with 'cjobs token revoke ci'",
		 "the name is taken (revoked tokens keep their names)", "choose another name",
		 "cjobs token create ci"},
		{"cjobs: error: a token's name may hold letters, digits, '-', '_' and '.' only; 'a b' "
		 "does not",
		 "the name has a space or another character that is not allowed",
		 "use letters, digits, '-', '_' and '.'", "cjobs token create 'a b'"},
		{NULL, NULL, NULL, NULL},
	},
	.run = create_run,
};

static const cli_command_t t_list = {
	.name = "list",
	.summary = "list the API tokens (never the tokens themselves)",
	.usage = "[--format table|json]",
	.max_args = 0, .needs_store = true, .reads_only = true,
	.description = "Lists every token's name, scope, when it was made and, if it was, when it "
		       "was revoked. The tokens themselves are not stored and cannot be shown.",
	.options = (const cli_option_t[]){
		{.name = "format", .type = OPT_CHOICE, .metavar = "FORMAT", .def = "table",
		 .choices = formats, .help = "table for people, json for scripts."},
		{0},
	},
	.examples = (const cli_example_t[]){
		{"cjobs token list", "every token, revoked ones included", 0},
		{"cjobs token list --format json", "the same as JSON, for scripts", 0},
		{NULL, NULL, 0},
	},
	.sections = (const cli_section_t[]){
		{"Important Notes",
		 "Read-only. The store holds only each token's SHA-256 hash, so no listing, backup or "
		 "copy of the store can show a token; a lost token is revoked and made again."},
		{NULL, NULL},
	},
	.errors = (const cli_error_doc_t[]){
		{"cjobs: error: option --format: 'xml' is not one of: table, json",
		 "--format names a format that does not exist", "give table or json",
		 "cjobs token list --format xml"},
		{NULL, NULL, NULL, NULL},
	},
	.run = list_run,
};

static const cli_command_t t_revoke = {
	.name = "revoke",
	.summary = "refuse a token from now on",
	.usage = "NAME",
	.min_args = 1, .max_args = 1, .needs_store = true,
	.description = "Marks token NAME revoked: every request that presents it from now on is "
		       "refused with 401, dashboard sessions signed in with it included. It stays "
		       "in 'cjobs token list' with the time it was revoked; it cannot be restored.",
	.examples = (const cli_example_t[]){
		{"cjobs token revoke ci", "the token named ci stops working at once", 0},
		{NULL, NULL, 0},
	},
	.sections = (const cli_section_t[]){
		{"Important Notes",
		 "Takes effect on the next request: the server checks every request's token against "
		 "the store, and keeps none in memory. Revoking cannot be undone; make a new token "
		 "for whoever still needs one. Changes only the store."},
		{NULL, NULL},
	},
	.errors = (const cli_error_doc_t[]){
		{"cjobs: error: no valid token named 'nosuch'; 'cjobs token list' shows them",
		 "no token has that name, or it is already revoked", "check 'cjobs token list'",
		 "cjobs token revoke nosuch"},
		{NULL, NULL, NULL, NULL},
	},
	.run = revoke_run,
};

const cli_command_t cmd_token = {
	.name = "token",
	.group = "Setting up",
	.summary = "tokens for the HTTP API",
	.usage = "SUBCOMMAND [options]",
	.description = "Every request to the HTTP API of 'cjobs serve' carries a token "
		       "('Authorization: Bearer TOKEN'); the dashboard signs in with one. A "
		       "token's scope says what it may do: read, submit or admin.",
	.examples = (const cli_example_t[]){
		{"cjobs token create monitoring --scope read",
		 "a read-only token, e.g. for the metrics scraper", 0},
		{NULL, NULL, 0},
	},
	.sections = (const cli_section_t[]){
		{"Important Notes",
		 "Scopes: read (GET of jobs, output, hosts, status, report, metrics), submit (read, "
		 "and POST /api/v1/jobs), admin (submit, and cancel, retry and health checks). A "
		 "submit token may run any image on the hosts: give it as you would give root on "
		 "them. Tokens are stored as hashes; 'cjobs token create' shows each one once."},
		{NULL, NULL},
	},
	.errors = (const cli_error_doc_t[]){
		{"cjobs: error: 'cjobs token' needs a subcommand (see the list above)",
		 "'cjobs token' was run without a subcommand", "add one, e.g. 'cjobs token list'",
		 "cjobs token"},
		{NULL, NULL, NULL, NULL},
	},
	.subcommands = (const cli_command_t *const[]){&t_create, &t_list, &t_revoke, NULL},
};
