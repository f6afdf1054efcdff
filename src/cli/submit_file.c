/*
 * cli/submit_file.c: reading `job submit --file`; see submit_file.h.
 */
#include "cli/submit_file.h"

#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/err.h"

/* Keys that only make sense on the command line. */
static bool command_line_only(const char *name)
{
	return strcmp(name, "file") == 0 || strcmp(name, "count") == 0;
}

/* The text of a JSON scalar as it would be typed; NULL for other types. */
static const char *scalar_text(const json_t *v, char *buf, size_t size)
{
	if (json_is_string(v))
		return json_string_value(v);
	if (json_is_integer(v)) {
		snprintf(buf, size, "%lld", (long long)json_integer_value(v));
		return buf;
	}
	if (json_is_real(v)) {
		snprintf(buf, size, "%.17g", json_real_value(v));
		return buf;
	}
	return NULL;
}

/* One line's arguments: the defaults, with the line's values over them.
 * Texts are copied into `texts` so that they outlive the JSON document. */
typedef struct {
	cli_args_t a;
	char **texts;
	size_t ntexts;
} line_args_t;

static void line_args_free(line_args_t *l)
{
	for (size_t i = 0; l->a.vals && i < l->a.nopts; i++)
		free(l->a.vals[i].list);
	free(l->a.vals);
	free(l->a.pos);
	for (size_t i = 0; i < l->ntexts; i++)
		free(l->texts[i]);
	free(l->texts);
	memset(l, 0, sizeof(*l));
}

static const char *keep(line_args_t *l, const char *s)
{
	char **t = realloc(l->texts, (l->ntexts + 1) * sizeof(char *));
	if (!t)
		return NULL;
	l->texts = t;
	if (!(t[l->ntexts] = strdup(s)))
		return NULL;
	return t[l->ntexts++];
}

static int copy_defaults(line_args_t *l, const cli_args_t *d)
{
	memset(l, 0, sizeof(*l));
	l->a = *d;
	l->a.vals = calloc(d->nopts + 1, sizeof(cli_value_t));
	l->a.pos = calloc(d->npos + 1, sizeof(char *));
	if (!l->a.vals || !l->a.pos)
		return -1;
	for (size_t i = 0; i < d->nopts; i++) {
		l->a.vals[i] = d->vals[i];
		l->a.vals[i].list = NULL;
		if (d->vals[i].nlist) {
			l->a.vals[i].list = malloc(d->vals[i].nlist * sizeof(char *));
			if (!l->a.vals[i].list)
				return -1;
			memcpy(l->a.vals[i].list, d->vals[i].list, d->vals[i].nlist * sizeof(char *));
		}
	}
	memcpy(l->a.pos, d->pos, d->npos * sizeof(char *));
	return 0;
}

/* Applies one key of a line. */
static int apply_key(line_args_t *l, const char *key, const json_t *v, char **err)
{
	char num[64];
	if (strcmp(key, "command") == 0) {
		if (!json_is_array(v))
			return err_set(err, "\"command\" must be a list of strings, e.g. "
					    "[\"sh\", \"-c\", \"echo hi\"]");
		char **pos = calloc(json_array_size(v) + 1, sizeof(char *));
		if (!pos)
			return err_set(err, "out of memory");
		for (size_t i = 0; i < json_array_size(v); i++) {
			const char *s = json_string_value(json_array_get(v, i));
			if (!s) {
				free(pos);
				return err_set(err, "\"command\" must be a list of strings; element %zu "
						    "is not one",
					       i + 1);
			}
			if (!(pos[i] = (char *)keep(l, s))) {
				free(pos);
				return err_set(err, "out of memory");
			}
		}
		free(l->a.pos);
		l->a.pos = pos;
		l->a.npos = json_array_size(v);
		return 0;
	}
	const cli_option_t *opts = l->a.cmd->options;
	size_t idx = 0;
	while (opts[idx].name && strcmp(opts[idx].name, key) != 0)
		idx++;
	if (!opts[idx].name || command_line_only(key))
		return err_set(err, "unknown key \"%.60s\": use the long option names of 'cjobs job "
				    "submit' (image, name, env, priority, ...) and \"command\"",
			       key);
	const cli_option_t *o = &opts[idx];
	cli_value_t *cv = &l->a.vals[idx];
	size_t nv = json_is_array(v) ? json_array_size(v) : 1;
	if (json_is_array(v) && !o->repeat)
		return err_set(err, "\"%s\" takes one value, not a list", key);
	if (!o->repeat) {
		cv->nlist = 0;  /* the line's value replaces the default */
		cv->has = false;
	}
	for (size_t i = 0; i < nv; i++) {
		const json_t *item = json_is_array(v) ? json_array_get(v, i) : v;
		const char *text = scalar_text(item, num, sizeof(num));
		if (!text)
			return err_set(err, "\"%s\" must be %s", key,
				       o->repeat ? "a string or a list of strings"
						 : "a string or a number");
		const char *kept = keep(l, text);
		const char **list = realloc(cv->list, (cv->nlist + 1) * sizeof(char *));
		if (!kept || !list)
			return err_set(err, "out of memory");
		cv->list = list;
		cv->list[cv->nlist++] = kept;
		cv->given = true;
		if (cli_parse_value(o, kept, cv, err) < 0)
			return err_prefix(err, "\"%s\"", key);
	}
	if (o->repeat) {
		cv->str = cv->nlist ? cv->list[cv->nlist - 1] : NULL;
		cv->has = cv->nlist > 0;
	}
	return 0;
}

static int read_line(cli_ctx_t *ctx, const cli_args_t *d, const char *text, size_t len,
		     submit_fill_fn fill, job_t *job, char **err)
{
	json_error_t jerr;
	json_t *j = json_loadb(text, len, 0, &jerr);
	if (!j)
		return err_set(err, "not JSON: %s (each line is one object, e.g. {\"image\": "
				    "\"busybox\", \"command\": [\"true\"]})",
			       jerr.text);
	if (!json_is_object(j)) {
		json_decref(j);
		return err_set(err, "not a JSON object (each line is one object, e.g. "
				    "{\"image\": \"busybox\"})");
	}
	line_args_t l;
	int rc = copy_defaults(&l, d) < 0 ? err_set(err, "out of memory") : 0;
	const char *key;
	json_t *v;
	json_object_foreach(j, key, v) {
		if (rc == 0)
			rc = apply_key(&l, key, v, err);
	}
	json_decref(j);
	if (rc == 0) {
		job_init(job);
		rc = fill(ctx, &l.a, job, err);
		if (rc < 0)
			job_free(job);
	}
	line_args_free(&l);
	return rc;
}

int submit_read_file(cli_ctx_t *ctx, const cli_args_t *defaults, const char *path,
		     submit_fill_fn fill, job_t **jobs, size_t *n, char **err)
{
	*jobs = NULL;
	*n = 0;
	bool is_stdin = strcmp(path, "-") == 0;
	FILE *f = is_stdin ? stdin : fopen(path, "re");
	if (!f)
		return err_set(err, "cannot read job file %s: %s", path, strerror(errno));
	const char *shown = is_stdin ? "standard input" : path;
	char *buf = NULL;
	size_t cap = 0, have = 0;
	long lineno = 0;
	int rc = 0;
	ssize_t got;
	while (rc == 0 && (got = getline(&buf, &cap, f)) >= 0) {
		lineno++;
		size_t len = (size_t)got;
		if (len > SUBMIT_FILE_LINE_MAX) {
			rc = err_set(err, "%s:%ld: the line is %zu bytes long; the limit is %d", shown,
				     lineno, len, SUBMIT_FILE_LINE_MAX);
			break;
		}
		if (memchr(buf, '\0', len)) {
			rc = err_set(err, "%s:%ld: the line holds a NUL byte: is it a text file?",
				     shown, lineno);
			break;
		}
		while (len && (buf[len - 1] == '\n' || buf[len - 1] == '\r'))
			len--;
		size_t skip = strspn(buf, " \t");
		if (skip >= len)
			continue;  /* a blank line */
		if (*n == SUBMIT_FILE_JOBS_MAX) {
			rc = err_set(err, "%s: more than %d jobs; split the file", shown,
				     SUBMIT_FILE_JOBS_MAX);
			break;
		}
		if (*n == have) {
			size_t more = have ? have * 2 : 64;
			job_t *p = realloc(*jobs, more * sizeof(job_t));
			if (!p) {
				rc = err_set(err, "out of memory");
				break;
			}
			*jobs = p;
			have = more;
		}
		if (read_line(ctx, defaults, buf, len, fill, &(*jobs)[*n], err) < 0) {
			err_prefix(err, "%s:%ld", shown, lineno);
			rc = -1;
			break;
		}
		(*n)++;
	}
	if (rc == 0 && ferror(f))
		rc = err_set(err, "cannot read job file %s: %s", shown, strerror(errno));
	free(buf);
	if (!is_stdin)
		fclose(f);
	if (rc == 0 && *n == 0)
		rc = err_set(err, "%s holds no job (one JSON object per line)", shown);
	if (rc < 0) {
		for (size_t i = 0; i < *n; i++)
			job_free(&(*jobs)[i]);
		free(*jobs);
		*jobs = NULL;
		*n = 0;
	}
	return rc;
}
