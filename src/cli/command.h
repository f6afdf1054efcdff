/*
 * cli/command.h: the declaration every command is made of.
 *
 * A command is data first: its name, aliases, summary, description, option
 * table, examples, processing flow, notes, common errors and exit codes.
 * Parsing, --help, `cjobs help`, the command list and the example tests are
 * all driven from these tables, so an option cannot exist without its help
 * and the default shown is the default in force (it is parsed by the same
 * code as a value a person types). Commands never parse argv by hand.
 */
#ifndef CJOBS_CLI_COMMAND_H
#define CJOBS_CLI_COMMAND_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "store/store.h"

typedef enum {
	OPT_FLAG,      /* no value; present or not */
	OPT_STRING,
	OPT_INT,       /* whole number in [min, max] */
	OPT_SIZE,      /* bytes: 512m, 2g */
	OPT_DURATION,  /* seconds: 30, 30s, 5m, 2h, 7d */
	OPT_CPUS,      /* 0.5, 2 -> nano-CPUs */
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

typedef struct {
	const char *line;          /* the command line, starting with "cjobs " */
	const char *says;          /* what it does */
	int exit_code;             /* what the example exits with when run in the sandbox */
} cli_example_t;

typedef struct {
	const char *message;       /* the exact text (or its start; a trailing "..."
				      stands for the rest) that trigger prints */
	const char *cause;
	const char *fix;
	const char *trigger;       /* a command line that produces it in the test
				      sandbox; the test suite runs every one */
} cli_error_doc_t;

typedef struct {
	int code;
	const char *meaning;
} cli_exit_doc_t;

typedef struct {
	const char *title;
	const char *body;          /* paragraphs separated by blank lines; lines
				      starting with spaces are printed as is */
} cli_section_t;

typedef struct cli_args cli_args_t;
typedef struct cli_ctx cli_ctx_t;
typedef struct cli_command cli_command_t;

struct cli_command {
	const char *name;
	const char *const *aliases;        /* NULL-terminated, may be NULL */
	const char *group;                 /* heading in `cjobs help` */
	const char *summary;               /* one line */
	const char *usage;                 /* after the command name: "[options] NAME" */
	int min_args, max_args;            /* positional arguments; max -1: unlimited */
	bool stop_at_positional;           /* options end at the first positional */
	bool needs_store;                  /* open the store before run */
	bool reports_config;               /* runs even when the config file has
					      problems (it reports them itself) */
	const char *description;
	const cli_option_t *options;       /* terminated by an entry with name NULL */
	const cli_example_t *examples;     /* terminated by line NULL */
	const cli_section_t *sections;     /* flow, notes, ...; terminated by title NULL */
	const char *warning;               /* a marked warning, or NULL */
	const cli_error_doc_t *errors;     /* terminated by message NULL */
	const cli_exit_doc_t *exit_codes;  /* terminated by meaning NULL */
	const cli_command_t *const *subcommands; /* NULL-terminated, for groups */
	int (*run)(cli_ctx_t *ctx, cli_args_t *args);
};

/* Exit codes shared by every command (the spec's). */
enum {
	EXIT_OK = 0,
	EXIT_ERROR = 1,      /* general: usage, configuration, store */
	EXIT_ENGINE = 2,     /* an executor host could not be used */
	EXIT_JOBS = 3,       /* jobs failed */
};

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

struct cli_args {
	const cli_command_t *cmd;
	const char *path;            /* "host add": the command as typed, for messages */
	cli_value_t *vals;           /* parallel to cmd->options */
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

/* ---- the context every command runs in ---- */
typedef struct config config_t;

struct cli_ctx {
	const char *database;      /* resolved store path */
	const char *database_from; /* "option", "CJOBS_DATABASE", "config", "default" */
	char *database_owned;      /* the default path, when it was made */
	const char *config_path;   /* NULL: none found */
	config_t *config;
	int verbosity;
	store_t *store;            /* opened before run when needs_store */
	const char *command_path;  /* "manage-jobs cleanup" for messages */
};

/* Prints "cjobs: error: <msg>" and a pointer to the command's help. */
__attribute__((format(printf, 2, 3))) void cli_error(const cli_ctx_t *ctx, const char *fmt, ...);

/* Parses a value for an option as the option's type says. */
int cli_parse_value(const cli_option_t *o, const char *text, cli_value_t *v, char **err);

/* The top-level commands, in the order `cjobs help` lists them. */
extern const cli_command_t *const cli_commands[];
const cli_command_t *cli_find(const cli_command_t *const *list, const char *name);

/* Global options (accepted before or after the command name). */
extern const cli_option_t cli_global_options[];

#endif
