/*
 * cli/cmd_template.c: `cjobs template`: named environments that jobs start
 * from (`job submit --template NAME`). A job copies the template's entries
 * when it is submitted, so changing a template never changes queued jobs.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/command.h"
#include "cli/context.h"
#include "ops/render.h"
#include "core/env.h"
#include "core/validate.h"
#include "util/err.h"
#include "util/output.h"
#include "util/timeutil.h"

static const char *const formats[] = {"table", "json", NULL};

static int add_run(cli_ctx_t *ctx, cli_args_t *a)
{
	char *err = NULL;
	envlist_t env = {0};
	env_template_t t = {0};
	int rc = EXIT_ERROR;
	size_t n;
	if (validate_name("template name", a->pos[0], &err) < 0)
		goto fail;
	const char **files = cli_list(a, "env-file", &n);
	for (size_t i = 0; i < n; i++)
		if (env_read_file(files[i], &env, &err) < 0)
			goto fail;
	const char **entries = cli_list(a, "env", &n);
	for (size_t i = 0; i < n; i++)
		if (envlist_set(&env, entries[i], &err) < 0) {
			err_prefix(&err, "--env");
			goto fail;
		}
	if (env.n == 0) {
		err_set(&err, "a template needs at least one --env KEY=VALUE or --env-file FILE");
		goto fail;
	}
	const char *desc = cli_str(a, "description");
	if (desc && validate_text("the description", desc, 500, &err) < 0)
		goto fail;
	t.name = strdup(a->pos[0]);
	t.description = desc ? strdup(desc) : NULL;
	t.env = envlist_steal(&env, &t.envc);
	if (!t.name || !t.env || (desc && !t.description)) {
		err_set(&err, "out of memory");
		goto fail;
	}
	if (store_template_add(ctx->store, &t, &err) < 0)
		goto fail;
	printf("added template '%s' with %zu variable(s)\n", t.name, t.envc);
	rc = EXIT_OK;
	goto out;
fail:
	cli_error(ctx, "%s", err_str(err));
out:
	envlist_free(&env);
	env_template_free(&t);
	free(err);
	return rc;
}

static int list_run(cli_ctx_t *ctx, cli_args_t *a)
{
	char *err = NULL;
	env_template_t *ts = NULL;
	size_t n = 0;
	if (store_template_list(ctx->store, &ts, &n, &err) < 0) {
		cli_error(ctx, "%s", err_str(err));
		free(err);
		return EXIT_ERROR;
	}
	int rc = EXIT_OK;
	if (strcmp(cli_str(a, "format"), "json") == 0) {
		json_t *arr = json_array();
		for (size_t i = 0; arr && i < n; i++)
			json_array_append_new(arr, json_pack("{s:s, s:s?, s:i}", "name", ts[i].name,
							     "description", ts[i].description,
							     "variables", (json_int_t)ts[i].envc));
		rc = render_print_json(stdout, arr) == 0 ? EXIT_OK : EXIT_ERROR;
		json_decref(arr);
	} else {
		static const char *const head[] = {"NAME", "VARIABLES", "DESCRIPTION"};
		table_t *t = table_new(3, head);
		for (size_t i = 0; t && i < n; i++) {
			char cnt[16];
			snprintf(cnt, sizeof(cnt), "%zu", ts[i].envc);
			const char *row[] = {ts[i].name, cnt, ts[i].description ? ts[i].description : ""};
			if (table_add(t, row) < 0)
				rc = EXIT_ERROR;
		}
		if (t && rc == EXIT_OK)
			table_print(t, stdout);
		else
			cli_error(ctx, "out of memory");
		table_free(t);
	}
	store_template_list_free(ts, n);
	return rc;
}

static int show_run(cli_ctx_t *ctx, cli_args_t *a)
{
	char *err = NULL;
	env_template_t t = {0};
	int found = store_template_get(ctx->store, a->pos[0], &t, &err);
	if (found != 0) {
		if (found == 1)
			cli_error(ctx, "no environment template named '%.64s'; 'cjobs template list' "
				       "shows them",
				  a->pos[0]);
		else
			cli_error(ctx, "%s", err_str(err));
		free(err);
		return EXIT_ERROR;
	}
	bool secrets = cli_flag(a, "show-secrets");
	printf("name:         %s\n", t.name);
	printf("description:  %s\n", t.description ? t.description : "-");
	printf("variables:\n");
	for (size_t i = 0; i < t.envc; i++) {
		char *e = render_env_entry(t.env[i], secrets);
		printf("  %s\n", e ? e : "?");
		free(e);
	}
	env_template_free(&t);
	return EXIT_OK;
}

static int remove_run(cli_ctx_t *ctx, cli_args_t *a)
{
	char *err = NULL;
	env_template_t t = {0};
	int found = store_template_get(ctx->store, a->pos[0], &t, &err);
	size_t nvars = t.envc;
	env_template_free(&t);
	if (found == 1) {
		cli_error(ctx, "no environment template named '%.64s'", a->pos[0]);
		free(err);
		return EXIT_ERROR;
	}
	if (found < 0) {
		cli_error(ctx, "%s", err_str(err));
		free(err);
		return EXIT_ERROR;
	}
	char *what = NULL;
	if (asprintf(&what, "template '%s' (%zu variable%s)", a->pos[0], nvars,
		     nvars == 1 ? "" : "s") < 0)
		what = NULL;
	int front = ctx_removal(ctx, a, what, a->pos[0], "jobs already submitted keep their copy");
	if (front != 0)
		return front > 0 ? EXIT_OK : EXIT_ERROR;
	int rc = store_template_remove(ctx->store, a->pos[0], &err);
	if (rc == 1)
		cli_error(ctx, "no environment template named '%.64s'", a->pos[0]);
	else if (rc < 0)
		cli_error(ctx, "%s", err_str(err));
	else
		printf("removed template '%s' (jobs already submitted keep their copy)\n", a->pos[0]);
	free(err);
	return rc == 0 ? EXIT_OK : EXIT_ERROR;
}

static const cli_command_t t_add = {
	.name = "add",
	.summary = "create an environment template",
	.usage = "NAME (--env KEY=VALUE | --env-file FILE)... [options]",
	.min_args = 1, .max_args = 1, .needs_store = true,
	.description = "Stores a named set of environment variables. Files are read first, then "
		       "--env entries, later ones replacing earlier ones with the same key.",
	.options = (const cli_option_t[]){
		{.name = "env", .short_name = 'e', .type = OPT_STRING, .metavar = "KEY=VALUE",
		 .repeat = true, .help = "A variable of the template."},
		{.name = "env-file", .type = OPT_STRING, .metavar = "FILE", .repeat = true,
		 .help = "Read KEY=VALUE lines from FILE ('-' for standard input)."},
		{.name = "description", .short_name = 'd', .type = OPT_STRING, .metavar = "TEXT",
		 .help = "What the template is for (up to 500 characters)."},
		{0},
	},
	.examples = (const cli_example_t[]){
		{"cjobs template add staging --env API_URL=http://127.0.0.1:8080 --env LOG_LEVEL=debug",
		 "create template staging with two variables", 0},
		{NULL, NULL, 0},
	},
	.sections = (const cli_section_t[]){
		{"Important Notes",
		 "Values are stored in clear in the store file (created mode 0600); keys that look "
		 "secret are masked only when printed. A name is taken once: to change a template, "
		 "remove it and add it again (jobs already submitted keep their copy). Only the "
		 "store is written."},
		{NULL, NULL},
	},
	.errors = (const cli_error_doc_t[]){
		{"cjobs: error: a template needs at least one --env KEY=VALUE or --env-file FILE",
		 "no variable was given", "add --env KEY=VALUE or --env-file FILE",
		 "cjobs template add t1"},
		{"cjobs: error: the template name may hold only letters, digits, '.', '_' and '-'",
		 "NAME has another character, such as a space",
		 "choose a name of letters, digits, '.', '_' and '-'",
		 "cjobs template add 'bad name' --env A=1"},
		{"cjobs: error: --env: environment entry 'DEBUG' has no '='",
		 "an --env value lacks =", "write --env KEY=VALUE", "cjobs template add t1 --env DEBUG"},
		{NULL, NULL, NULL},
	},
	.run = add_run,
};

static const cli_command_t t_list = {
	.name = "list",
	.summary = "list the environment templates",
	.usage = "[options]",
	.max_args = 0, .needs_store = true, .reads_only = true,
	.description = "Lists every environment template with its number of variables and its "
		       "description. Values are not shown here ('cjobs template show NAME' shows "
		       "them, masking secret-looking ones). --format json prints an array of "
		       "objects with name, description and variables (the count).",
	.options = (const cli_option_t[]){
		{.name = "format", .type = OPT_CHOICE, .metavar = "FORMAT", .def = "table",
		 .choices = formats, .help = "table for people; json for scripts."},
		{0},
	},
	.examples = (const cli_example_t[]){
		{"cjobs template list", "every template with its number of variables", 0},
		{NULL, NULL, 0},
	},
	.sections = (const cli_section_t[]){
		{"Important Notes",
		 "Read-only; shows names, counts and descriptions, never the values (see 'cjobs "
		 "template show')."},
		{NULL, NULL},
	},
	.errors = (const cli_error_doc_t[]){
		{"cjobs: error: option --format: 'csv' is not one of: table, json",
		 "--format has another value", "use table or json", "cjobs template list --format csv"},
		{NULL, NULL, NULL},
	},
	.run = list_run,
};

static const cli_command_t t_show = {
	.name = "show",
	.summary = "show a template's variables",
	.usage = "NAME [options]",
	.min_args = 1, .max_args = 1, .needs_store = true, .reads_only = true,
	.description = "Prints template NAME: its description and its KEY=VALUE variables in "
		       "order. Values of keys that look secret (containing PASS, SECRET, TOKEN, "
		       "CREDENTIAL, PRIVATE, API_KEY, ACCESS_KEY or AUTH, or ending in _KEY or "
		       "_PWD) are printed as ******** unless --show-secrets is given.",
	.options = (const cli_option_t[]){
		{.name = "show-secrets", .type = OPT_FLAG,
		 .help = "Print values of keys that look secret instead of ********."},
		{0},
	},
	.examples = (const cli_example_t[]){
		{"cjobs template show staging", "the variables of template staging", 0},
		{NULL, NULL, 0},
	},
	.sections = (const cli_section_t[]){
		{"Important Notes",
		 "Read-only. Values of keys that look secret (PASSWORD, TOKEN, SECRET, ...) are "
		 "printed as ******** unless --show-secrets; with it they appear in clear on the "
		 "terminal and in anything that records it."},
		{NULL, NULL},
	},
	.errors = (const cli_error_doc_t[]){
		{"cjobs: error: no environment template named 'nosuch'; 'cjobs template list' shows "
		 "them",
		 "no template of that name exists (names are case-sensitive)",
		 "check the name with 'cjobs template list'", "cjobs template show nosuch"},
		{NULL, NULL, NULL},
	},
	.run = show_run,
};

static const cli_command_t t_remove = {
	.name = "remove",
	.summary = "delete an environment template",
	.usage = "NAME [--dry-run] [--force]",
	.min_args = 1, .max_args = 1, .needs_store = true,
	.description = "Deletes template NAME from the store, after confirmation (or with "
		       "--force). Jobs submitted with it keep their own copy of its variables, so "
		       "no job changes; later submits that name it fail until it is added again.",
	.options = (const cli_option_t[]){
		{.name = "dry-run", .type = OPT_FLAG,
		 .help = "Say what would be removed; change nothing."},
		{.name = "force", .type = OPT_FLAG,
		 .help = "Remove without asking. Needed when standard input is not a terminal "
			 "(scripts, cron)."},
		{0},
	},
	.examples = (const cli_example_t[]){
		{"cjobs template remove staging --dry-run", "show what removing staging would do", 0},
		{"cjobs template remove staging --force", "delete template staging without asking", 0},
		{NULL, NULL, 0},
	},
	.sections = (const cli_section_t[]){
		{"Important Notes",
		 "Jobs already submitted keep their copy of the variables, so removing a template "
		 "changes no job; a later 'cjobs job submit --template NAME' fails until a template "
		 "of that name is added again. Only the store changes."},
		{NULL, NULL},
	},
	.errors = (const cli_error_doc_t[]){
		{"cjobs: error: no environment template named 'nosuch'",
		 "no template of that name exists", "check the name with 'cjobs template list'",
		 "cjobs template remove nosuch"},
		{"cjobs: error: removing template 'defaults' (",
		 "(the message goes on: ...) needs confirmation, but standard input is not a "
		 "terminal) the command runs from a script or a pipe without --force",
		 "check with --dry-run, then add --force", "cjobs template remove defaults"},
		{NULL, NULL, NULL},
	},
	.run = remove_run,
};

const cli_command_t cmd_template = {
	.name = "template",
	.group = "Setting up",
	.summary = "named environments for jobs",
	.usage = "SUBCOMMAND [options]",
	.description = "An environment template is a named list of KEY=VALUE variables. "
		       "'cjobs job submit --template NAME' starts a job's environment from it; "
		       "--env-file and --env then add to it or override it.",
	.examples = (const cli_example_t[]){
		{"cjobs template add defaults --env TZ=UTC --description 'common settings'",
		 "create template defaults with one variable", 0},
		{"cjobs template list", "every template", 0},
		{"cjobs job submit --image cjobs-test/busybox:1 --template defaults -- env",
		 "queue a job whose environment starts from template defaults", 0},
		{NULL, NULL, 0},
	},
	.sections = (const cli_section_t[]){
		{"Important Notes",
		 "A job copies the template's variables when it is submitted: changing or removing "
		 "a template never changes queued jobs. Values, secrets included, are stored in "
		 "clear in the store file (created mode 0600): keep it readable only by the user "
		 "that runs cjobs. The subcommands use the store only and take a fraction of a "
		 "second."},
		{NULL, NULL},
	},
	.errors = (const cli_error_doc_t[]){
		{"cjobs: error: 'cjobs template' needs a subcommand (see the list above)",
		 "'cjobs template' was run without a subcommand; the group's help, with the list of "
		 "subcommands, is printed on standard error before the message",
		 "add one of the subcommands listed, e.g. 'cjobs template list'", "cjobs template"},
		{"cjobs: error: unknown subcommand 'frob' for 'cjobs template'",
		 "the word after 'template' is not one of its subcommands (a typo, or a subcommand of "
		 "another group)",
		 "see 'cjobs help template' for the list of subcommands", "cjobs template frob"},
		{NULL, NULL, NULL},
	},
	.subcommands = (const cli_command_t *const[]){&t_add, &t_list, &t_show, &t_remove, NULL},
};
