/*
 * util/opt.h: options declared as data, and their values. The command line
 * parses argv with these tables (cli/options.c); job submission reads the
 * same options from JSON objects (ops/submit.c): one declaration, one
 * parser of values, so a value means the same wherever it is written.
 */
#ifndef CJOBS_UTIL_OPT_H
#define CJOBS_UTIL_OPT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef enum {
	OPT_FLAG,      /* no value; present or not */
	OPT_STRING,
	OPT_INT,       /* whole number in [min, max] */
	OPT_SIZE,      /* bytes: 512m, 2g */
	OPT_DURATION,  /* seconds: 30, 30s, 5m, 2h, 7d */
	OPT_CPUS,      /* 0.5, 2 -> nano-CPUs */
	OPT_DECIMAL,   /* 1.5 -> 1500: thousandths in [min, max] */
	OPT_WHEN,      /* now, +10m, 2026-11-24T22:00:00Z -> unix ms */
	OPT_CHOICE,    /* one of choices[] */
	OPT_BOOL,      /* yes/no */
} cli_opt_type_t;

typedef struct {
	const char *name;          /* long name without dashes, e.g. "max-jobs" */
	char short_name;           /* 0 for none */
	cli_opt_type_t type;
	const char *metavar;       /* "N", "NAME"; NULL for flags */
	const char *def;           /* default, as a person would type it; NULL: none */
	int64_t min, max;          /* range for INT/SIZE/DURATION (min == max == 0: any >= 0) */
	const char *const *choices;/* for OPT_CHOICE, NULL-terminated */
	bool repeat;               /* may be given many times; values kept in order */
	const char *env;           /* environment variable that sets the default */
	const char *config;        /* "section.key" in the config file that sets the default */
	const char *help;          /* what it does; more sentences welcome */
} cli_option_t;

/* ---- parsed arguments ---- */
typedef struct {
	bool given;        /* set on the command line (not only a default) */
	bool has;          /* has a value (given, from env/config, or a default) */
	const char *str;   /* the text of the value */
	int64_t num;       /* parsed number for numeric types and BOOL/FLAG */
	const char **list; /* for repeat options: every value given */
	size_t nlist;
	const char *source;/* "option", "$VAR", "config", "default" */
} cli_value_t;

typedef struct cli_args cli_args_t;

struct cli_args {
	const struct cli_command *cmd; /* the command, on the command line; else NULL */
	const cli_option_t *options; /* the table vals is parallel to */
	const char *owner;           /* whose options, for internal errors */
	const char *path;            /* "host add": the command as typed, for messages */
	cli_value_t *vals;           /* parallel to options */
	size_t nopts;
	char **pos;                  /* positional arguments */
	size_t npos;
};

/* Lookups by long name; an unknown name is a programming error (abort). */
bool cli_given(const cli_args_t *a, const char *name);
bool cli_has(const cli_args_t *a, const char *name);
bool cli_flag(const cli_args_t *a, const char *name);
const char *cli_str(const cli_args_t *a, const char *name);
int64_t cli_num(const cli_args_t *a, const char *name);
const char **cli_list(const cli_args_t *a, const char *name, size_t *n);

/* Pins the instant that relative times ("now", "-7d", "+10m") count from,
 * for this thread, until unpinned with 0: the values of one command or
 * one request then share it, and "--since -7d --until now" is exactly 7
 * days long. Unpinned, each value reads the clock. */
void cli_pin_now(int64_t now_ms);

/* Parses a value for an option as the option's type says. */
int cli_parse_value(const cli_option_t *o, const char *text, cli_value_t *v, char **err);
void cli_args_free(cli_args_t *a);

#endif
