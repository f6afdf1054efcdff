/*
 * cli/config.h: the INI configuration file.
 *
 * Found at --config, else $CJOBS_CONFIG, else $XDG_CONFIG_HOME/cjobs/cjobs.ini
 * (~/.config/cjobs/cjobs.ini), else /etc/cjobs/cjobs.ini. Its keys supply
 * defaults for the options that name them (cli_option_t.config) and the
 * store path ([store] path). Environment variables override it, options
 * override both. Every key is known: an unknown section or key is reported
 * with its line number rather than silently ignored.
 */
#ifndef CJOBS_CLI_CONFIG_H
#define CJOBS_CLI_CONFIG_H

#include <stddef.h>

typedef struct config config_t;

/* Loads path. Problems (syntax, unknown keys) are collected, not fatal, so
 * that `dev validate-config` can list them all; config_problems() returns
 * them. Returns NULL with *err set when the file cannot be read. */
config_t *config_load(const char *path, char **err);
void config_free(config_t *c);
/* The value of "section.key", or NULL; *line gets its line number. */
const char *config_get(const config_t *c, const char *key, int *line);
const char *config_path(const config_t *c);
/* "FILE:LINE: message" strings; NULL-terminated. */
char *const *config_problems(const config_t *c, size_t *n);
/* Where the config file is looked for when none is named; the first one
 * that exists wins. Returns a malloc'd path or NULL when none exists. */
char *config_find_default(void);

#endif
