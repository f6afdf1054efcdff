/*
 * cli/cmd_serve.c: `cjobs serve`: the HTTP API, the dashboard and the
 * metrics (src/http). This file only declares the command and hands its
 * options over.
 */
#include <stdio.h>
#include <stdlib.h>

#include "cli/command.h"
#include "cli/context.h"
#include "http/http.h"
#include "util/err.h"
#include "util/log.h"

static int run(cli_ctx_t *ctx, cli_args_t *a)
{
	http_options_t o = {
		.listen = cli_str(a, "listen"),
		.tls_cert = cli_str(a, "tls-cert"),
		.tls_key = cli_str(a, "tls-key"),
		.store = ctx->database,
		.engine_url = ctx_default_engine_url(),
		.threads = (int)cli_num(a, "threads"),
		.max_connections = (int)cli_num(a, "max-connections"),
		.idle_timeout_s = (int)cli_num(a, "idle-timeout"),
		.output_limit = cli_num(a, "output-limit"),
		.grace_s = (int)cli_num(a, "grace"),
		.verbosity = ctx->verbosity,
	};
	char *err = NULL;
	/* The command's own connection (it made the store current) is not
	 * used by the request threads, which open their own. */
	store_close(ctx->store);
	ctx->store = NULL;
	if (http_serve(&o, &err) < 0) {
		cli_error(ctx, "%s", err_str(err));
		free(err);
		return EXIT_ERROR;
	}
	return EXIT_OK;
}

static const cli_option_t options[] = {
	{.name = "listen", .type = OPT_STRING, .metavar = "ADDR:PORT", .def = "127.0.0.1:8080",
	 .env = "CJOBS_LISTEN", .config = "serve.listen",
	 .help = "The address and port to listen on: 127.0.0.1:8080 for this machine only, "
		 "[::1]:8080 for IPv6, 0.0.0.0:8080 for every IPv4 address (then give "
		 "--tls-cert and --tls-key: without them the server starts with a warning), port "
		 "0 for any free port (the log line says which)."},
	{.name = "tls-cert", .type = OPT_STRING, .metavar = "FILE", .config = "serve.tls_cert",
	 .help = "Serve HTTPS with this certificate (PEM; the chain after the certificate). "
		 "Needs --tls-key."},
	{.name = "tls-key", .type = OPT_STRING, .metavar = "FILE", .config = "serve.tls_key",
	 .help = "The private key of --tls-cert (PEM, unencrypted)."},
	{.name = "threads", .type = OPT_INT, .metavar = "N", .def = "4", .min = 1, .max = 64,
	 .config = "serve.threads",
	 .help = "Request threads; each has its own connection to the store. A cancel that "
		 "waits for a container to stop holds one thread for up to --grace seconds."},
	{.name = "max-connections", .type = OPT_INT, .metavar = "N", .def = "2048", .min = 16,
	 .max = 65536, .config = "serve.max_connections",
	 .help = "Open connections at most; more are refused until some close. The limit of "
		 "open files is raised to match where the system allows."},
	{.name = "idle-timeout", .type = OPT_DURATION, .metavar = "SECONDS", .def = "30",
	 .min = 1, .max = 3600, .config = "serve.idle_timeout",
	 .help = "A connection that sends nothing for this long is closed: slow or idle "
		 "clients cannot hold the server's connections."},
	{.name = "grace", .type = OPT_DURATION, .metavar = "SECONDS", .def = "10", .min = 0,
	 .max = 3600,
	 .help = "A cancelled running job's container gets this long to stop after SIGTERM "
		 "before it is killed, as 'manage-jobs cancel --grace'."},
	{.name = "output-limit", .type = OPT_SIZE, .metavar = "SIZE", .def = "1m", .min = 0,
	 .max = 1LL << 30, .config = "worker.output_limit",
	 .help = "How much of a cancelled running job's stdout and of its stderr to keep, as "
		 "'manage-jobs cancel --output-limit'."},
	{0},
};

const cli_command_t cmd_serve = {
	.name = "serve",
	.group = "Running jobs",
	.summary = "serve the HTTP API and the dashboard",
	.usage = "[--listen ADDR:PORT] [--tls-cert FILE --tls-key FILE] [options]",
	.max_args = 0,
	.needs_store = true,
	.description =
		"Serves the REST API (/api/v1, described at /api/v1/openapi.json) and the "
		"dashboard (/) over the job store that --database names, until SIGTERM or SIGINT. "
		"The API runs the same operations as the command line, with the same checks and "
		"messages. Every API request needs a token ('cjobs token create'); the dashboard "
		"signs in with one. Verbosity 2 logs one line per request.",
	.options = options,
	.examples = (const cli_example_t[]){
		{"cjobs serve --listen 127.0.0.1:0",
		 "serve on any free port of this machine (the log line names it); SIGTERM stops it",
		 0},
		{NULL, NULL, 0},
	},
	.sections = (const cli_section_t[]){
		{"How It Works",
		 " 1. Opens the store (making or migrating it), and listens on --listen.\n"
		 " 2. Serves each request on one of --threads threads, each with its own\n"
		 "    connection to the store: authenticates its token, routes it, runs the\n"
		 "    operation, answers JSON (errors as {\"error\": \"...\"}).\n"
		 " 3. On SIGTERM or SIGINT: takes no new connection, lets the requests in\n"
		 "    flight finish (at most 30 seconds), closes the store and exits 0."},
		{"Important Notes",
		 "Security: a token's scope says what it may do (read, submit, admin); a submit "
		 "token may run any image on the hosts, which is root access to them. Listening "
		 "beyond this machine without TLS sends tokens in clear: the server says so once "
		 "at start. Request bodies are limited to 1 MiB (413 beyond).\n\n"
		 "The dashboard's files are compiled into the program: it works offline and loads "
		 "nothing from elsewhere.\n\n"
		 "Resource use: a few MB of memory and one thread per --threads; each request is "
		 "one or a few store queries."},
		{NULL, NULL},
	},
	.errors = (const cli_error_doc_t[]){
		{"cjobs: error: 'localhost' is not an address: write HOST:PORT, e.g. 127.0.0.1:8080 "
		 "...",
		 "--listen lacks the port", "write HOST:PORT",
		 "cjobs serve --listen localhost"},
		{"cjobs: error: cannot read the TLS certificate nosuch.pem: No such file or directory",
		 "the --tls-cert file cannot be read", "check the path and its permissions",
		 "cjobs serve --tls-cert nosuch.pem --tls-key nosuch.pem"},
		{"cjobs: error: give both --tls-cert and --tls-key for HTTPS, or neither",
		 "only one of them was given", "give both", "cjobs serve --tls-cert cert.pem"},
		{NULL, NULL, NULL, NULL},
	},
	.exit_codes = (const cli_exit_doc_t[]){
		{0, "Stopped by SIGTERM or SIGINT after the requests in flight."},
		{1, "Could not start: invalid option, the address in use or not allowed, unreadable "
		    "TLS files, or a job store problem."},
		{0, NULL},
	},
	.run = run,
};
