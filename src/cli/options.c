/*
 * cli/options.c: turning argv into option values, driven only by the option
 * tables. First every word is sorted into options (kept as text) and
 * positional arguments; then each option gets its value from, in order, the
 * command line, its environment variable, the configuration file, or its
 * declared default, parsed by one function whatever the source, so a
 * default shown in help is exactly the default in force.
 */
#include "cli/options.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/config.h"
#include "util/err.h"
#include "util/parse.h"
#include "util/timeutil.h"

static const char *const verbosity_levels[] = {"0", "1", "2", "3", NULL};

const cli_option_t cli_global_options[] = {
	{.name = "database", .type = OPT_STRING, .metavar = "STORE", .env = "CJOBS_DATABASE",
	 .config = "store.path",
	 .help = "The job store: the path of an SQLite file, created (mode 0600) on first "
		 "use in a directory that must exist (only the default path makes its "
		 "directories, so that a mistyped path is an error rather than a new, empty "
		 "store), and which commands that only read (job list, show, logs and wait, "
		 "host and template list and show, token list, manage-jobs status and report) "
		 "open read-only when it cannot be written (a read-only file system, no write "
		 "permission); or a PostgreSQL database, as a URL "
		 "(postgresql://USER:PASSWORD@HOST:PORT/DB?KEYWORD=VALUE, or postgres://) or a "
		 "libpq keyword string (\"host=/run/postgresql dbname=cjobs\"), where libpq's "
		 "PG* variables and ~/.pgpass fill in what is left out; the database must exist "
		 "(createdb), and cjobs makes its tables there on first use. A password is "
		 "never printed: messages show *** in its place. A malformed name, a wrong "
		 "password, a missing database, a server that does not answer (give "
		 "connect_timeout=N, or it is waited for) and a store newer than this cjobs are "
		 "each one line that says what to do, exit code 1; 'cjobs help db status' lists "
		 "them. 'cjobs db copy' moves a store from one to the other. Default: "
		 "$XDG_DATA_HOME/cjobs/cjobs.db, i.e. ~/.local/share/cjobs/cjobs.db."},
	{.name = "config", .type = OPT_STRING, .metavar = "FILE", .env = "CJOBS_CONFIG",
	 .help = "The configuration file (INI). Default: the first that exists of "
		 "$XDG_CONFIG_HOME/cjobs/cjobs.ini (~/.config/cjobs/cjobs.ini) and "
		 "/etc/cjobs/cjobs.ini; none is needed."},
	{.name = "verbosity", .type = OPT_CHOICE, .metavar = "N", .def = "1",
	 .choices = verbosity_levels,
	 .help = "How much to report on standard error: 0 errors only, 1 normal (one line per "
		 "finished job, warnings), 2 each job's steps, 3 debug (each container request "
		 "the worker makes)."},
	{.name = "verbose", .short_name = 'v', .type = OPT_FLAG, .repeat = true,
	 .help = "One more level of --verbosity; may be repeated."},
	{.name = "quiet", .short_name = 'q', .type = OPT_FLAG,
	 .help = "Errors only: the same as --verbosity 0."},
	{.name = "version", .type = OPT_FLAG, .help = "Print the program's version and exit."},
	{.name = "help", .short_name = 'h', .type = OPT_FLAG,
	 .help = "Print this command's help and exit."},
	{0},
};

static size_t count_options(const cli_option_t *o)
{
	size_t n = 0;
	while (o && o[n].name)
		n++;
	return n;
}

/* Levenshtein distance, for "did you mean" hints; names are short. */
static size_t distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	if (la > 40 || lb > 40)
		return 99;
	size_t d[41][41];
	for (size_t i = 0; i <= la; i++)
		d[i][0] = i;
	for (size_t j = 0; j <= lb; j++)
		d[0][j] = j;
	for (size_t i = 1; i <= la; i++)
		for (size_t j = 1; j <= lb; j++) {
			size_t sub = d[i - 1][j - 1] + (a[i - 1] != b[j - 1]);
			size_t del = d[i - 1][j] + 1, ins = d[i][j - 1] + 1;
			d[i][j] = sub < del ? (sub < ins ? sub : ins) : (del < ins ? del : ins);
		}
	return d[la][lb];
}

const char *cli_suggest_option(const cli_option_t *opts, const char *word)
{
	const char *best = NULL;
	size_t best_d = 3;
	const cli_option_t *tables[2] = {opts, cli_global_options};
	for (int t = 0; t < 2; t++)
		for (const cli_option_t *o = tables[t]; o && o->name; o++) {
			size_t d = distance(word, o->name);
			if (d < best_d) {
				best_d = d;
				best = o->name;
			}
		}
	return best;
}

static int find_long(const cli_option_t *opts, const char *name, size_t len)
{
	for (int i = 0; opts && opts[i].name; i++)
		if (strlen(opts[i].name) == len && strncmp(opts[i].name, name, len) == 0)
			return i;
	return -1;
}

static int find_short(const cli_option_t *opts, char c)
{
	for (int i = 0; opts && opts[i].name; i++)
		if (opts[i].short_name && opts[i].short_name == c)
			return i;
	return -1;
}

static int push_text(cli_value_t *v, const char *text)
{
	const char **l = realloc(v->list, (v->nlist + 1) * sizeof(char *));
	if (!l)
		return -1;
	v->list = l;
	v->list[v->nlist++] = text;
	v->str = text;
	v->given = true;
	return 0;
}

static int record(const cli_option_t *o, cli_value_t *v, const char *text, const char *path,
		  char **err)
{
	if (v->given && !o->repeat)
		return err_set(err, "option --%s is given more than once; give it once", o->name);
	if (push_text(v, text ? text : "") < 0)
		return err_set(err, "out of memory");
	(void)path;
	return 0;
}

int cli_parse_argv(const cli_command_t *cmd, const char *path, int argc, char **argv,
		   cli_args_t *a, cli_value_t *gvals, char **err)
{
	memset(a, 0, sizeof(*a));
	a->cmd = cmd;
	a->options = cmd->options;
	a->owner = cmd->name;
	a->path = path;
	a->nopts = count_options(cmd->options);
	a->vals = calloc(a->nopts + 1, sizeof(cli_value_t));
	a->pos = calloc((size_t)argc + 1, sizeof(char *));
	if (!a->vals || !a->pos)
		return err_set(err, "out of memory");
	bool only_positional = false;
	for (int i = 0; i < argc; i++) {
		char *w = argv[i];
		if (only_positional || w[0] != '-' || w[1] == '\0') {
			a->pos[a->npos++] = w;
			if (cmd->stop_at_positional)
				only_positional = true;
			continue;
		}
		if (strcmp(w, "--") == 0) {
			only_positional = true;
			continue;
		}
		const cli_option_t *table = cmd->options;
		cli_value_t *vals = a->vals;
		int idx;
		const char *inline_val = NULL;
		char shown[64];
		if (w[1] == '-') {
			const char *name = w + 2;
			const char *eq = strchr(name, '=');
			size_t len = eq ? (size_t)(eq - name) : strlen(name);
			inline_val = eq ? eq + 1 : NULL;
			idx = find_long(table, name, len);
			if (idx < 0) {
				table = cli_global_options;
				vals = gvals;
				idx = find_long(table, name, len);
			}
			snprintf(shown, sizeof(shown), "--%.*s", (int)(len > 40 ? 40 : len), name);
		} else {
			idx = find_short(table, w[1]);
			if (idx < 0) {
				table = cli_global_options;
				vals = gvals;
				idx = find_short(table, w[1]);
			}
			snprintf(shown, sizeof(shown), "-%c", w[1]);
			if (w[2] != '\0') {
				/* -vvv: a cluster of repeatable flags */
				bool cluster = idx >= 0 && table[idx].type == OPT_FLAG;
				for (const char *p = w + 2; cluster && *p; p++)
					cluster = *p == w[1];
				if (!cluster)
					return err_set(err, "unknown option '%.60s' for 'cjobs %s'%s", w,
						       path, " (short options take their value as the next word)");
				for (const char *p = w + 1; *p; p++)
					if (record(&table[idx], &vals[idx], "", path, err) < 0)
						return -1;
				continue;
			}
		}
		if (idx < 0) {
			const char *hint = w[1] == '-' ? cli_suggest_option(cmd->options, shown + 2) : NULL;
			if (hint)
				return err_set(err, "unknown option '%s' for 'cjobs %s'; did you mean --%s?",
					       shown, path, hint);
			return err_set(err, "unknown option '%s' for 'cjobs %s'", shown, path);
		}
		const cli_option_t *o = &table[idx];
		if (o->type == OPT_FLAG) {
			if (inline_val)
				return err_set(err, "option --%s takes no value", o->name);
			if (record(o, &vals[idx], "", path, err) < 0)
				return -1;
			continue;
		}
		if (!inline_val) {
			if (i + 1 >= argc)
				return err_set(err, "option %s needs a value (%s)", shown,
					       o->metavar ? o->metavar : "VALUE");
			inline_val = argv[++i];
		}
		if (record(o, &vals[idx], inline_val, path, err) < 0)
			return -1;
	}
	return 0;
}

/* Fills one value from its sources in order of precedence. */
int cli_resolve_one(const cli_option_t *o, cli_value_t *v, const config_t *cfg, char **err)
{
	if (v->given) {
		if (o->type == OPT_FLAG) {
			v->has = true;
			v->num = (int64_t)v->nlist;
			v->source = "option";
			return 0;
		}
		for (size_t k = 0; k < v->nlist; k++)
			if (cli_parse_value(o, v->list[k], v, err) < 0)
				return err_prefix(err, "option --%s", o->name);
		v->source = "option";
		return 0;
	}
	const char *envval = o->env ? getenv(o->env) : NULL;
	if (envval && *envval) {
		if (cli_parse_value(o, envval, v, err) < 0)
			return err_prefix(err, "environment variable %s", o->env);
		v->source = o->env;
		return 0;
	}
	int line = 0;
	const char *cv = o->config ? config_get(cfg, o->config, &line) : NULL;
	if (cv) {
		if (cli_parse_value(o, cv, v, err) < 0)
			return err_prefix(err, "%s:%d: %s", config_path(cfg), line, o->config);
		v->source = "config";
		return 0;
	}
	if (o->def) {
		if (cli_parse_value(o, o->def, v, err) < 0) {
			fprintf(stderr, "cjobs: internal error: default '%s' of --%s does not parse\n",
				o->def, o->name);
			abort();
		}
		v->source = "default";
	}
	return 0;
}

int cli_resolve(cli_args_t *a, const config_t *cfg, char **err)
{
	for (size_t i = 0; i < a->nopts; i++)
		if (cli_resolve_one(&a->options[i], &a->vals[i], cfg, err) < 0)
			return -1;
	return 0;
}

const cli_command_t *cli_find(const cli_command_t *const *list, const char *name)
{
	for (size_t i = 0; list && list[i]; i++) {
		if (strcmp(list[i]->name, name) == 0)
			return list[i];
		for (const char *const *al = list[i]->aliases; al && *al; al++)
			if (strcmp(*al, name) == 0)
				return list[i];
	}
	return NULL;
}
