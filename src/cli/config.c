/*
 * cli/config.c: loading the INI configuration; see config.h. The set of
 * known keys is taken from the command tables (every option that names a
 * config key) plus [store] path, so documentation and checking agree.
 */
#include "cli/config.h"

#include <errno.h>
#include <ini.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/command.h"
#include "util/err.h"

typedef struct {
	char *key;   /* "section.key" */
	char *value;
	int line;
} config_entry_t;

struct config;
static void check_values(struct config *c);

struct config {
	char *path;
	config_entry_t *entries;
	size_t n, cap;
	char **problems;  /* NULL-terminated */
	size_t nproblems;
	bool oom;
	int line;         /* the line being parsed (the library does not say) */
	FILE *f;
};

/* Reads one line for inih and counts it, so that entries know their line. */
static char *read_line(char *buf, int size, void *stream)
{
	config_t *c = stream;
	char *r = fgets(buf, size, c->f);
	if (r)
		c->line++;
	return r;
}

static const cli_option_t *option_in(const cli_command_t *const *list, const char *key)
{
	for (size_t i = 0; list && list[i]; i++) {
		const cli_command_t *c = list[i];
		for (const cli_option_t *o = c->options; o && o->name; o++)
			if (o->config && strcmp(o->config, key) == 0)
				return o;
		const cli_option_t *sub = option_in(c->subcommands, key);
		if (sub)
			return sub;
	}
	return NULL;
}

/* The option a key sets, whose parser checks its value. */
static const cli_option_t *option_for(const char *key)
{
	for (const cli_option_t *o = cli_global_options; o->name; o++)
		if (o->config && strcmp(o->config, key) == 0)
			return o;
	return option_in(cli_commands, key);
}

static bool key_known_in(const cli_command_t *const *list, const char *key)
{
	return option_in(list, key) != NULL;
}

static bool key_known(const char *key)
{
	if (strcmp(key, "store.path") == 0)
		return true;
	for (const cli_option_t *o = cli_global_options; o->name; o++)
		if (o->config && strcmp(o->config, key) == 0)
			return true;
	return key_known_in(cli_commands, key);
}

static void add_problem(config_t *c, int line, const char *fmt, const char *a, const char *b)
{
	char *msg = NULL;
	char *text = NULL;
	if (asprintf(&text, fmt, a, b) < 0 ||
	    asprintf(&msg, "%s:%d: %s", c->path, line, text) < 0) {
		free(text);
		c->oom = true;
		return;
	}
	free(text);
	char **p = realloc(c->problems, (c->nproblems + 2) * sizeof(char *));
	if (!p) {
		free(msg);
		c->oom = true;
		return;
	}
	c->problems = p;
	p[c->nproblems++] = msg;
	p[c->nproblems] = NULL;
}

/* The first 60 bytes of s, for messages about a file that may hold
 * anything (a binary file read as a configuration). */
static const char *shorten(const char *s, char buf[64])
{
	snprintf(buf, 64, "%.60s", s);
	return buf;
}

static int on_entry(void *user, const char *section, const char *name, const char *value)
{
	config_t *c = user;
	char cut[64], cut2[64];
	int line = c->line;
	char *key = NULL;
	if (asprintf(&key, "%s.%s", section, name) < 0) {
		c->oom = true;
		return 0;
	}
	if (!*section) {
		add_problem(c, line, "key '%s%s' is outside any [section]", shorten(name, cut),
			    strlen(name) > 60 ? "..." : "");
		free(key);
		return 1;
	}
	if (!key_known(key)) {
		add_problem(c, line, "unknown key '%s' in [%s]; see `cjobs dev validate-config --help` "
				     "for the known keys",
			    shorten(name, cut), shorten(section, cut2));
		free(key);
		return 1;
	}
	for (size_t i = 0; i < c->n; i++) {
		if (strcmp(c->entries[i].key, key) == 0) {
			char *v = strdup(value);
			if (!v) {
				c->oom = true;
				free(key);
				return 0;
			}
			free(c->entries[i].value);
			c->entries[i].value = v;
			c->entries[i].line = line;
			free(key);
			return 1;
		}
	}
	if (c->n == c->cap) {
		size_t cap = c->cap ? c->cap * 2 : 16;
		config_entry_t *e = realloc(c->entries, cap * sizeof(*e));
		if (!e) {
			c->oom = true;
			free(key);
			return 0;
		}
		c->entries = e;
		c->cap = cap;
	}
	char *v = strdup(value);
	if (!v) {
		c->oom = true;
		free(key);
		return 0;
	}
	c->entries[c->n++] = (config_entry_t){key, v, line};
	return 1;
}

/* Every value is checked by the parser of the option it sets, whichever
 * command runs: a file with a wrong value is wrong for all of them. */
static void check_values(config_t *c)
{
	for (size_t i = 0; i < c->n; i++) {
		const cli_option_t *o = option_for(c->entries[i].key);
		if (!o)
			continue;
		const char *val = c->entries[i].value;
		cli_value_t v = {0};
		char *perr = NULL;
		if (o->type == OPT_STRING && !*val)
			err_set(&perr, "an empty value; give one or remove the line");
		else if (cli_parse_value(o, val, &v, &perr) == 0)
			continue;
		const char *key = c->entries[i].key, *dot = strchr(key, '.');
		char *what = NULL;
		if (asprintf(&what, "[%.*s] %s", dot ? (int)(dot - key) : 0, key,
			     dot ? dot + 1 : key) < 0) {
			c->oom = true;
		} else {
			add_problem(c, c->entries[i].line, "%s: %s", what, err_str(perr));
		}
		free(what);
		free(perr);
	}
}

static int problem_line(const config_t *c, const char *msg)
{
	size_t n = strlen(c->path);
	return strncmp(msg, c->path, n) == 0 && msg[n] == ':' ? atoi(msg + n + 1) : 0;
}

/* In line order, so that the first problem a command reports is the first
 * in the file. Stable: few problems, insertion sort. */
static void sort_problems(config_t *c)
{
	for (size_t i = 1; i < c->nproblems; i++) {
		char *m = c->problems[i];
		int line = problem_line(c, m);
		size_t k = i;
		while (k > 0 && problem_line(c, c->problems[k - 1]) > line) {
			c->problems[k] = c->problems[k - 1];
			k--;
		}
		c->problems[k] = m;
	}
}

config_t *config_load(const char *path, char **err)
{
	FILE *f = fopen(path, "r");
	if (!f) {
		err_set(err, "cannot read configuration file %s: %s", path, strerror(errno));
		return NULL;
	}
	struct stat st;
	if (fstat(fileno(f), &st) == 0 && !S_ISREG(st.st_mode)) {
		fclose(f);
		err_set(err, "configuration file %s is not a regular file", path);
		return NULL;
	}
	config_t *c = calloc(1, sizeof(*c));
	if (!c || !(c->path = strdup(path))) {
		free(c);
		fclose(f);
		err_set(err, "out of memory");
		return NULL;
	}
	c->f = f;
	int rc = ini_parse_stream(read_line, c, on_entry, c);
	fclose(f);
	if (c->oom) {
		config_free(c);
		err_set(err, "out of memory reading %s", path);
		return NULL;
	}
	if (rc > 0)
		add_problem(c, rc, "%s%s", "syntax error: expected [section] or key = value", "");
	else if (rc < 0)
		add_problem(c, 0, "%s%s", "cannot parse the file", "");
	check_values(c);
	sort_problems(c);
	return c;
}

void config_free(config_t *c)
{
	if (!c)
		return;
	for (size_t i = 0; i < c->n; i++) {
		free(c->entries[i].key);
		free(c->entries[i].value);
	}
	free(c->entries);
	for (size_t i = 0; i < c->nproblems; i++)
		free(c->problems[i]);
	free(c->problems);
	free(c->path);
	free(c);
}

const char *config_get(const config_t *c, const char *key, int *line)
{
	if (!c)
		return NULL;
	for (size_t i = 0; i < c->n; i++)
		if (strcmp(c->entries[i].key, key) == 0) {
			if (line)
				*line = c->entries[i].line;
			return c->entries[i].value;
		}
	return NULL;
}

const char *config_path(const config_t *c)
{
	return c ? c->path : NULL;
}

char *const *config_problems(const config_t *c, size_t *n)
{
	static char *const none[] = {NULL};
	*n = c ? c->nproblems : 0;
	return c && c->problems ? c->problems : none;
}

char *config_find_default(void)
{
	char *p = NULL;
	const char *xdg = getenv("XDG_CONFIG_HOME");
	const char *home = getenv("HOME");
	if (xdg && *xdg) {
		if (asprintf(&p, "%s/cjobs/cjobs.ini", xdg) < 0)
			return NULL;
	} else if (home && *home) {
		if (asprintf(&p, "%s/.config/cjobs/cjobs.ini", home) < 0)
			return NULL;
	}
	if (p && access(p, F_OK) == 0)
		return p;
	free(p);
	if (access("/etc/cjobs/cjobs.ini", F_OK) == 0)
		return strdup("/etc/cjobs/cjobs.ini");
	return NULL;
}
