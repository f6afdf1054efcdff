/*
 * http/http.h: `cjobs serve`: the HTTP API, the dashboard and the metrics,
 * served by libmicrohttpd over the operations in src/ops.
 *
 * This layer authenticates, routes and serializes. It holds no rule of its
 * own: validation, state changes and error texts are those of src/ops, the
 * same the command line uses.
 */
#ifndef CJOBS_HTTP_HTTP_H
#define CJOBS_HTTP_HTTP_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

typedef struct {
	const char *listen;        /* "127.0.0.1:8080", "[::1]:8080", "0.0.0.0:0" */
	const char *tls_cert;      /* PEM files; both or neither */
	const char *tls_key;
	const char *store;         /* the store's name, as --database gives it */
	const char *engine_url;    /* registered as host 'local' on a first submit */
	int threads;               /* request threads, each with its own store connection */
	int max_connections;
	int idle_timeout_s;        /* a connection that sends nothing this long is closed */
	int64_t output_limit;      /* kept of a running job's output on cancel */
	int grace_s;               /* a cancelled container's time to stop */
	int verbosity;             /* 2: one line per request */
} http_options_t;

/* Listens, serves until SIGTERM or SIGINT, then stops taking connections,
 * lets the requests in flight finish (at most 30 seconds) and returns 0.
 * -1 with *err when it could not start (address in use, bad TLS files). */
int http_serve(const http_options_t *o, char **err);

/* The API's documentation, made from the route table: the OpenAPI 3
 * document (as GET /api/v1/openapi.json serves it) and a Markdown page. */
void http_write_openapi(FILE *f);
void http_write_api_markdown(FILE *f);

#endif
