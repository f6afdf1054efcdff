/*
 * core/env.h: KEY=VALUE environment entries, from options and from files.
 *
 * Everything a person writes here is untrusted: keys must be portable shell
 * names, values may hold any byte but NUL, and sizes are bounded (see the
 * JOB_ENV_* limits). Errors say which entry or which file line is wrong and
 * what a valid one looks like. Values are never copied into messages, since
 * they may be secrets.
 */
#ifndef CJOBS_CORE_ENV_H
#define CJOBS_CORE_ENV_H

#include <stdbool.h>
#include <stddef.h>

/* A growing NULL-terminated KEY=VALUE list; a later entry with the same key
 * replaces the earlier one in place, so overrides keep the original order. */
typedef struct {
	char **v;
	size_t n;
	size_t cap;
} envlist_t;

void envlist_free(envlist_t *l);
/* Checks entry (see env_check_entry) and adds or replaces it. */
int envlist_set(envlist_t *l, const char *entry, char **err);
/* Adds every entry of v (already checked, e.g. from the store). */
int envlist_merge(envlist_t *l, char *const *v, size_t n, char **err);
/* Hands the vector over (NULL-terminated, never NULL unless out of memory)
 * and leaves l empty. */
char **envlist_steal(envlist_t *l, size_t *n);

/* 0 if entry is KEY=VALUE with a valid key; else -1 and *err says why. */
int env_check_entry(const char *entry, char **err);
/* Reads an env file: one KEY=VALUE per line; blank lines and lines starting
 * with # are skipped; "export " before a key is allowed; a value may be
 * wrapped in single quotes (taken as is) or double quotes (\\ \" \n \t
 * escapes). Errors name the file and line. The file may be "-" for standard
 * input. At most 1 MiB. */
int env_read_file(const char *path, envlist_t *l, char **err);
/* True for keys whose values should be masked in output: names containing
 * PASS, SECRET, TOKEN, CREDENTIAL, PRIVATE, API_KEY, APIKEY, ACCESS_KEY or
 * AUTH, or ending in _KEY or _PWD (case-insensitively). */
bool env_key_is_secret(const char *entry_or_key);

#endif
