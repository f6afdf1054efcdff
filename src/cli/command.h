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
#include "util/opt.h"


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
	bool reads_only;                   /* never writes the store: opened read-only
					      when it cannot be written */
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
	bool reads_only;           /* the command's reads_only */
	const char *command_path;  /* "manage-jobs cleanup" for messages */
};

/* Prints "cjobs: error: <msg>" and a pointer to the command's help. */
__attribute__((format(printf, 2, 3))) void cli_error(const cli_ctx_t *ctx, const char *fmt, ...);


/* The top-level commands, in the order `cjobs help` lists them. */
extern const cli_command_t *const cli_commands[];
const cli_command_t *cli_find(const cli_command_t *const *list, const char *name);

/* Global options (accepted before or after the command name). */
extern const cli_option_t cli_global_options[];

#endif
