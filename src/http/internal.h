/*
 * http/internal.h: what the server's files share: a request as handlers
 * see it, the answers they give, and the route table.
 */
#ifndef CJOBS_HTTP_INTERNAL_H
#define CJOBS_HTTP_INTERNAL_H

#include <jansson.h>
#include <microhttpd.h>
#include <stdarg.h>

#include "http/http.h"
#include "ops/jobs.h"
#include "ops/tokens.h"
#include "store/store.h"

#define HTTP_BODY_MAX (1 << 20)     /* bytes of a request body */
#define HTTP_PARAMS_MAX 2

typedef struct http_req http_req_t;
typedef void (*http_handler_fn)(http_req_t *r);

/* One route: the table routes requests, and the OpenAPI document and the
 * API's doc tests are made from it. */
typedef struct {
	const char *method;          /* "GET", "POST", "DELETE" */
	const char *path;            /* "/api/v1/jobs/{id}/logs": {x} is one segment */
	token_scope_t scope;         /* NONE: no token needed */
	http_handler_fn handler;
	const char *summary;         /* one line */
	const char *description;
	const char *query;           /* "name: what it does\n..." of query parameters, or NULL */
	const char *body;            /* what the body holds, or NULL */
	const char *example;         /* a curl-less request the doc tests send:
					"GET /api/v1/jobs?limit=2" or
					"POST /api/v1/jobs {\"image\": ...}" */
	int example_status;          /* the status that example answers with */
	const char *answers;         /* what a success answers with */
	/* The handler only reads, and answers from a buffer: the token's
	 * check may go with its first read (one round trip on PostgreSQL),
	 * and is settled before anything is answered (http_auth_defer); on
	 * SQLite the check and the reads share one read transaction
	 * (http_read_once). */
	bool reads_only;
} http_route_t;

extern const http_route_t http_routes[];  /* terminated by method NULL */

/* What a request is answered with, apart from its cookie: one value, so
 * that it can be set aside whole while the token's check answers
 * (http_auth_settle). */
typedef struct {
	unsigned status;
	char *text;                  /* body bytes; malloc'd */
	size_t len;
	const char *content_type;
	struct MHD_Response *custom; /* a response made by the handler (streams) */
} http_answer_t;

struct http_req {
	struct MHD_Connection *conn;
	const http_options_t *opts;
	const http_route_t *route;
	const char *method, *path;
	const char *params[HTTP_PARAMS_MAX];  /* the {x} segments, in order */
	char *body;                  /* the request body, NUL-terminated, or NULL */
	size_t body_len;
	store_t *store;              /* this thread's connection */
	token_scope_t scope;         /* what the caller's token allows */
	char *token_name;
	bool tls;
	http_answer_t answer;
	char *set_cookie;            /* a Set-Cookie header, malloc'd */
};

/* Answers. Each replaces what was answered before. */
void http_reply_json(http_req_t *r, unsigned status, json_t *j);  /* takes j */
__attribute__((format(printf, 3, 4))) void http_reply_error(http_req_t *r, unsigned status,
							     const char *fmt, ...);
void http_reply_text(http_req_t *r, unsigned status, const char *type, char *text, size_t len);
/* The answer for an ops_rc_t failure: its status and the message. */
void http_reply_ops(http_req_t *r, ops_rc_t rc, const char *msg);
/* A query parameter, or NULL. */
const char *http_query(const http_req_t *r, const char *name);
/* The body as a JSON value; answers 400 (naming where) and returns NULL
 * when it is not JSON. An empty body is an empty object. */
json_t *http_body_json(http_req_t *r);

/* Authentication (auth.c): sets r->scope from the bearer token or the
 * session cookie. Answers 401/403 itself and returns -1 when the route's
 * scope is not met, or a cookie-authenticated write lacks its CSRF
 * header. */
int http_authenticate(http_req_t *r);
/* For a route that only reads (reads_only), on a store that reads ahead
 * (PostgreSQL): sends the token's read with the handler's first, and
 * answers true; the caller runs the handler, then http_auth_settle, which
 * checks the token before anything is answered. false: authenticate
 * first, as for every other request. */
bool http_auth_defer(http_req_t *r);
/* The check of a deferred request, after its handler: as
 * http_authenticate, and when it refuses, its 401 or 403 replaces the
 * handler's answer. */
void http_auth_settle(http_req_t *r);
/* For a route that only reads (reads_only), on a store whose reads cost
 * no round trip (SQLite): begins one read transaction for the token's
 * check and the handler's reads, and sets *own; the caller ends it with
 * store_read_end(r->store, own) after the handler. Otherwise *own is
 * false and each read runs on its own, as for every other request (a
 * failure to begin shows again, with its message, at the first read). */
void http_read_once(http_req_t *r, bool *own);
/* The CSRF token that goes with a session's token. */
int http_csrf_for(const char *token, char out[65], char **err);

/* Routing (route.c): the route for method and path, with its parameters
 * in params; NULL when none. *path_known says whether another method
 * would have matched (405 rather than 404). */
const http_route_t *http_route_find(const char *method, const char *path,
				    const char *params[HTTP_PARAMS_MAX], size_t *nparams,
				    bool *path_known);
/* One "name: what it does" line of a route's query documentation. */
typedef struct {
	const char *name;
	size_t name_len;
	const char *what;
	size_t what_len;
} http_query_doc_t;
/* The next parameter of the documentation at *cursor (advanced past it);
 * false at the end. The one reader of that text: the check, the OpenAPI
 * document and docs/api all go through it. */
bool http_query_doc_next(const char **cursor, http_query_doc_t *out);
/* The request's query parameters names[0..n) (with their values, NULL for
 * none) against the ones the route documents (its query table is the list
 * of what it takes): -1 with *err naming the first unknown one, one given
 * twice, or one without a value. A name the route does not read would
 * otherwise be ignored without a word (a POST with ?dry_run=1 would store
 * its jobs), and so would "?limit" with no value. */
int http_route_query_check(const http_route_t *rt, const char *const *names,
			   const char *const *values, size_t n, char **err);
/* The OpenAPI 3 document of the route table. */
json_t *http_openapi(void);

/* Following a job's output (api_follow.c): answers r with job's output
 * from attempt (0: the latest) until the job ends, as it is written;
 * streams: bit 1 stdout, bit 2 stderr. At most API_FOLLOWS_MAX at once
 * (503 beyond). */
#define API_FOLLOWS_MAX 32
#define API_FOLLOWS_MAX_TEXT_(n) #n
#define API_FOLLOWS_MAX_TEXT(n) API_FOLLOWS_MAX_TEXT_(n)   /* for the route's words */
void api_follow_job(http_req_t *r, const job_t *job, int streams, int attempt);
/* Ends every follow (their responses end) and refuses new ones. */
void api_follows_stop(void);
/* Waits up to ms for the follows' threads to end; false if some did not. */
bool api_follows_wait(int64_t ms);

/* Handlers. */
void api_jobs_list(http_req_t *r);
void api_jobs_submit(http_req_t *r);
void api_job_get(http_req_t *r);
void api_job_logs(http_req_t *r);
void api_job_cancel(http_req_t *r);
void api_job_retry(http_req_t *r);
void api_hosts_list(http_req_t *r);
void api_host_health(http_req_t *r);
void api_status(http_req_t *r);
void api_report(http_req_t *r);
void api_healthz(http_req_t *r);
void api_openapi(http_req_t *r);
void api_metrics(http_req_t *r);
void api_timeline(http_req_t *r);
void api_session_create(http_req_t *r);
void api_session_get(http_req_t *r);
void api_session_delete(http_req_t *r);

#endif
