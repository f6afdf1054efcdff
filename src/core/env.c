/*
 * core/env.c: parsing and merging KEY=VALUE environment entries; see env.h.
 * Never puts a value into an error message: values may be secrets.
 */
#include "core/env.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/job.h"
#include "util/err.h"
#include "util/strbuf.h"
#include "util/text.h"

#define ENV_FILE_MAX (1024 * 1024)

void envlist_free(envlist_t *l)
{
	if (l->v) {
		for (size_t i = 0; i < l->n; i++)
			free(l->v[i]);
		free(l->v);
	}
	memset(l, 0, sizeof(*l));
}

static size_t key_len(const char *entry)
{
	const char *eq = strchr(entry, '=');
	return eq ? (size_t)(eq - entry) : strlen(entry);
}

int env_check_entry(const char *entry, char **err)
{
	const char *eq = strchr(entry, '=');
	size_t klen = key_len(entry);
	if (!eq)
		return err_set(err, "environment entry '%.40s%s' has no '=': write it as KEY=VALUE",
			       entry, strlen(entry) > 40 ? "..." : "");
	if (klen == 0)
		return err_set(err, "environment entry has an empty key: write it as KEY=VALUE");
	if (!(isalpha((unsigned char)entry[0]) || entry[0] == '_'))
		return err_set(err,
			       "environment key '%.*s' must start with a letter or '_' "
			       "(keys are letters, digits and '_')",
			       (int)(klen > 40 ? 40 : klen), entry);
	for (size_t i = 1; i < klen; i++) {
		unsigned char c = (unsigned char)entry[i];
		if (!(isalnum(c) || c == '_')) {
			char shown[16];
			if (isprint(c))
				snprintf(shown, sizeof(shown), "'%c'", c);
			else
				snprintf(shown, sizeof(shown), "byte 0x%02x", c);
			return err_set(err,
				       "environment key '%.*s' has %s at position %zu: keys are "
				       "letters, digits and '_'",
				       (int)(i > 40 ? 40 : i), entry, shown, i + 1);
		}
	}
	if (klen > 256)
		return err_set(err, "environment key is %zu characters long; the limit is 256", klen);
	if (strlen(entry) > JOB_ENV_ENTRY_MAX)
		return err_set(err, "environment entry %.*s is %zu bytes long; the limit is %d",
			       (int)klen, entry, strlen(entry), JOB_ENV_ENTRY_MAX);
	/* The Engine API carries values as JSON strings: text only. The value
	 * may be a secret, so the message names the key, never the value. */
	for (const unsigned char *q = (const unsigned char *)eq + 1; *q;) {
		size_t n = utf8_len(q);
		if (n == 0)
			return err_set(err, "the value of environment variable %.*s is not valid "
					    "UTF-8 (at byte %zu of the value); the engine takes text only",
				       (int)klen, entry, (size_t)(q - (const unsigned char *)eq));
		q += n;
	}
	return 0;
}

static int envlist_put(envlist_t *l, char *owned, char **err)
{
	size_t klen = key_len(owned);
	for (size_t i = 0; i < l->n; i++) {
		if (key_len(l->v[i]) == klen && strncmp(l->v[i], owned, klen) == 0) {
			free(l->v[i]);
			l->v[i] = owned;
			return 0;
		}
	}
	if (l->n >= JOB_ENV_MAX) {
		free(owned);
		return err_set(err, "too many environment entries; the limit is %d", JOB_ENV_MAX);
	}
	if (l->n + 2 > l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 8;
		char **v = realloc(l->v, cap * sizeof(char *));
		if (!v) {
			free(owned);
			return err_set(err, "out of memory");
		}
		l->v = v;
		l->cap = cap;
	}
	l->v[l->n++] = owned;
	l->v[l->n] = NULL;
	return 0;
}

int envlist_set(envlist_t *l, const char *entry, char **err)
{
	if (env_check_entry(entry, err) < 0)
		return -1;
	char *copy = strdup(entry);
	if (!copy)
		return err_set(err, "out of memory");
	return envlist_put(l, copy, err);
}

int envlist_merge(envlist_t *l, char *const *v, size_t n, char **err)
{
	for (size_t i = 0; i < n; i++)
		if (envlist_set(l, v[i], err) < 0)
			return -1;
	return 0;
}

char **envlist_steal(envlist_t *l, size_t *n)
{
	char **v = l->v;
	*n = l->n;
	if (!v)
		v = calloc(1, sizeof(char *));
	memset(l, 0, sizeof(*l));
	return v;
}

/* Reads the whole file, bounded, refusing NUL bytes (they cannot be passed
 * to a container and usually mean a binary file was named by mistake). */
static int slurp(const char *path, strbuf_t *sb, char **err)
{
	sb_init(sb, ENV_FILE_MAX + 1);
	FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
	if (!f)
		return err_set(err, "cannot read env file %s: %s", path, strerror(errno));
	char chunk[8192];
	size_t got;
	while ((got = fread(chunk, 1, sizeof(chunk), f)) > 0)
		sb_append(sb, chunk, got);
	int read_error = ferror(f) ? errno : 0;
	if (f != stdin)
		fclose(f);
	if (read_error == EISDIR)
		return err_set(err, "env file %s is a directory; name a file of KEY=VALUE lines", path);
	if (read_error)
		return err_set(err, "cannot read env file %s: %s", path, strerror(read_error));
	if (sb->failed)
		return err_set(err, "out of memory reading env file %s", path);
	if (sb->len > ENV_FILE_MAX || sb->dropped)
		return err_set(err, "env file %s is larger than 1 MiB", path);
	if (memchr(sb->buf ? sb->buf : "", '\0', sb->len))
		return err_set(err, "env file %s contains a NUL byte: is it a text file?", path);
	return 0;
}

/* Unquotes a value in place (it starts at v and runs to the line end). */
static int unquote(char *v, const char *path, int line, char **err)
{
	size_t len = strlen(v);
	if (len == 0 || (v[0] != '"' && v[0] != '\''))
		return 0;
	char q = v[0];
	if (len < 2 || v[len - 1] != q)
		return err_set(err, "%s:%d: the value's opening %c has no closing %c at the end of the line",
			       path, line, q, q);
	v[len - 1] = '\0';
	if (q == '\'') {
		memmove(v, v + 1, len - 1);
		return 0;
	}
	char *w = v;
	for (char *r = v + 1; *r; r++) {
		if (*r != '\\') {
			*w++ = *r;
			continue;
		}
		r++;
		switch (*r) {
		case 'n': *w++ = '\n'; break;
		case 't': *w++ = '\t'; break;
		case '\\': *w++ = '\\'; break;
		case '"': *w++ = '"'; break;
		case '$': *w++ = '$'; break;
		default:
			return err_set(err, "%s:%d: unknown escape '\\%c' in a double-quoted value "
					    "(known: \\n \\t \\\\ \\\" \\$)",
				       path, line, *r ? *r : ' ');
		}
	}
	*w = '\0';
	return 0;
}

int env_read_file(const char *path, envlist_t *l, char **err)
{
	strbuf_t sb;
	if (slurp(path, &sb, err) < 0) {
		sb_free(&sb);
		return -1;
	}
	int rc = 0, line = 0;
	char *text = sb.buf ? sb.buf : (char *)"";
	/* strtok_r would merge empty lines and lose line numbers; walk by hand. */
	for (char *p = text; rc == 0 && *p;) {
		char *nl = strchr(p, '\n');
		if (nl)
			*nl = '\0';
		line++;
		size_t n = strlen(p);
		if (n && p[n - 1] == '\r')
			p[--n] = '\0';
		char *s = p;
		while (*s == ' ' || *s == '\t')
			s++;
		if (*s && *s != '#') {
			if (strncmp(s, "export ", 7) == 0)
				s += 7;
			char *eq = strchr(s, '=');
			if (eq && unquote(eq + 1, path, line, err) < 0) {
				rc = -1;
			} else if (env_check_entry(s, err) < 0 || envlist_set(l, s, err) < 0) {
				err_prefix(err, "%s:%d", path, line);
				rc = -1;
			}
		}
		if (!nl)
			break;
		p = nl + 1;
	}
	sb_free(&sb);
	return rc;
}

bool env_key_is_secret(const char *entry_or_key)
{
	static const char *const marks[] = {"PASS",    "SECRET",     "TOKEN",  "CREDENTIAL",
					    "PRIVATE", "API_KEY",    "APIKEY", "ACCESS_KEY",
					    "AUTH"};
	/* Suffixes catch ENCRYPTION_KEY or MYSQL_PWD without masking
	 * KEYBOARD_LAYOUT or PWD itself. */
	static const char *const suffixes[] = {"_KEY", "_PWD"};
	size_t klen = key_len(entry_or_key);
	for (size_t m = 0; m < sizeof(marks) / sizeof(marks[0]); m++) {
		size_t mlen = strlen(marks[m]);
		for (size_t i = 0; i + mlen <= klen; i++)
			if (strncasecmp(entry_or_key + i, marks[m], mlen) == 0)
				return true;
	}
	for (size_t m = 0; m < sizeof(suffixes) / sizeof(suffixes[0]); m++) {
		size_t mlen = strlen(suffixes[m]);
		if (klen >= mlen && strncasecmp(entry_or_key + klen - mlen, suffixes[m], mlen) == 0)
			return true;
	}
	return false;
}
