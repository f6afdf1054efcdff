/*
 * http/auth.c: who is asking. A request carries a token in
 * "Authorization: Bearer TOKEN", or (the dashboard) in the session cookie
 * that POST /api/v1/session set. Every request is checked against the
 * store, so a revoked token stops working at once, sessions included.
 *
 * On PostgreSQL that check is a round trip of its own, as long as a page
 * of jobs takes to read. For the two reads asked most often (a page of
 * jobs, one job), the token's read is sent with the route's first read
 * instead, and checked after the handler has run but before anything is
 * answered: a refused token gets its 401 or 403, never what was read.
 *
 * Cross-site requests: the cookie is SameSite=Strict, and a POST or DELETE
 * that only the cookie authenticates must also send X-CSRF-Token, a value
 * derived from the token that a page of another site cannot read. Bearer
 * requests are not sent by browsers on their own and need no such header.
 */
#include "http/internal.h"

#include <stdlib.h>
#include <string.h>

#include "util/err.h"

#define COOKIE_NAME "cjobs_session"

int http_csrf_for(const char *token, char out[65], char **err)
{
	char *salted = NULL;
	if (asprintf(&salted, "cjobs-csrf:%s", token) < 0)
		return err_set(err, "out of memory");
	int rc = ops_token_hash(salted, out, err);
	free(salted);
	return rc;
}

/* The bearer token of the request, or NULL; *bad when the header is there
 * but is not "Bearer TOKEN". */
static const char *bearer(const http_req_t *r, bool *bad)
{
	*bad = false;
	const char *h =
		MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_AUTHORIZATION);
	if (!h)
		return NULL;
	if (strncasecmp(h, "Bearer ", 7) != 0) {
		*bad = true;
		return NULL;
	}
	h += 7;
	while (*h == ' ')
		h++;
	return h;
}

static const char *cookie_token(const http_req_t *r)
{
	return MHD_lookup_connection_value(r->conn, MHD_COOKIE_KIND, COOKIE_NAME);
}

static bool writes(const http_req_t *r)
{
	return strcmp(r->method, "GET") != 0 && strcmp(r->method, "HEAD") != 0;
}

int http_authenticate(http_req_t *r)
{
	token_scope_t need = r->route->scope;
	bool bad = false;
	const char *token = bearer(r, &bad);
	bool by_cookie = false;
	if (bad) {
		http_reply_error(r, 401, "the Authorization header must be 'Bearer TOKEN'");
		return -1;
	}
	if (!token && (token = cookie_token(r)))
		by_cookie = true;
	if (!token) {
		if (need == TOKEN_SCOPE_NONE)
			return 0;
		http_reply_error(r, 401, "this request needs a token: send 'Authorization: Bearer "
					 "TOKEN' (make one with 'cjobs token create NAME --scope "
					 "read|submit|admin')");
		return -1;
	}
	const char *why = NULL;
	char *err = NULL;
	if (ops_token_check(r->store, token, &r->scope, &r->token_name, &why, &err) < 0) {
		http_reply_ops(r, OPS_E_STORE, err);
		free(err);
		return -1;
	}
	if (r->scope == TOKEN_SCOPE_NONE) {
		if (need == TOKEN_SCOPE_NONE && by_cookie)
			return 0;  /* a stale cookie does not stop signing in again */
		http_reply_error(r, 401, "%s", why);
		return -1;
	}
	if (r->scope < need) {
		http_reply_error(r, 403, "token '%s' has scope %s; this request needs %s (make a "
					 "token with 'cjobs token create NAME --scope %s')",
				 r->token_name, token_scope_name(r->scope), token_scope_name(need),
				 token_scope_name(need));
		return -1;
	}
	if (by_cookie && writes(r) && need != TOKEN_SCOPE_NONE) {
		char want[65];
		const char *got =
			MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, "X-CSRF-Token");
		if (http_csrf_for(token, want, &err) < 0) {
			http_reply_ops(r, OPS_E_STORE, err);
			free(err);
			return -1;
		}
		if (!got || strcmp(got, want) != 0) {
			http_reply_error(r, 403, "a request signed in by the session cookie that "
						 "changes something must send the session's csrf value "
						 "in an X-CSRF-Token header");
			return -1;
		}
	}
	return 0;
}

/* A GET of a route whose handler only reads and answers from a buffer. */
static bool reads_only(const http_req_t *r)
{
	return r->route->reads_only && strcmp(r->method, "GET") == 0;
}

bool http_auth_defer(http_req_t *r)
{
	if (!reads_only(r) || !store_reads_ahead(r->store))
		return false;
	bool bad = false;
	const char *token = bearer(r, &bad);
	if (!token && !bad)
		token = cookie_token(r);
	/* No token, or one not of cjobs's shape: refused (or let through)
	 * at once, as always, without running the handler. */
	return token && ops_token_check_ahead(r->store, token);
}

void http_auth_settle(http_req_t *r)
{
	/* The handler's answer is set aside while the check answers. */
	http_answer_t kept = r->answer;
	r->answer = (http_answer_t){0};
	if (http_authenticate(r) == 0) {
		r->answer = kept;
		return;
	}
	free(kept.text);
	if (kept.custom)
		MHD_destroy_response(kept.custom);
}

void http_read_once(http_req_t *r, bool *own)
{
	*own = false;
	/* Each read transaction on SQLite takes the store's read lock: a
	 * mutex that all the server's connections share, then fcntl on the
	 * log's index. The token's read and a GET of a job were two, and
	 * under load the request threads queued on that mutex. One for both
	 * also gives the token and what is read one snapshot. */
	if (reads_only(r) && !store_reads_ahead(r->store) &&
	    store_read_begin(r->store, own, NULL) < 0)
		*own = false;
}

/* ---- the dashboard's session ---- */

static json_t *session_json(const http_req_t *r, const char *token)
{
	char csrf[65];
	char *err = NULL;
	if (http_csrf_for(token, csrf, &err) < 0) {
		free(err);
		return NULL;
	}
	return json_pack("{s:s, s:s, s:s}", "name", r->token_name, "scope",
			 token_scope_name(r->scope), "csrf", csrf);
}

void api_session_create(http_req_t *r)
{
	json_t *body = http_body_json(r);
	if (!body)
		return;
	const char *token = json_string_value(json_object_get(body, "token"));
	if (!token) {
		json_decref(body);
		http_reply_error(r, 400, "the body must be {\"token\": \"cjobs_...\"}");
		return;
	}
	const char *why = NULL;
	char *err = NULL;
	free(r->token_name);
	r->token_name = NULL;
	if (ops_token_check(r->store, token, &r->scope, &r->token_name, &why, &err) < 0) {
		http_reply_ops(r, OPS_E_STORE, err);
		free(err);
	} else if (r->scope == TOKEN_SCOPE_NONE) {
		http_reply_error(r, 401, "%s", why);
	} else if (asprintf(&r->set_cookie, COOKIE_NAME "=%s; Path=/; HttpOnly; SameSite=Strict%s",
			    token, r->tls ? "; Secure" : "") < 0) {
		r->set_cookie = NULL;
		http_reply_error(r, 500, "out of memory");
	} else {
		http_reply_json(r, 200, session_json(r, token));
	}
	json_decref(body);
}

void api_session_get(http_req_t *r)
{
	bool bad;
	const char *token = bearer(r, &bad);
	if (!token)
		token = cookie_token(r);
	http_reply_json(r, 200, session_json(r, token ? token : ""));
}

void api_session_delete(http_req_t *r)
{
	if (asprintf(&r->set_cookie,
		     COOKIE_NAME "=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0%s",
		     r->tls ? "; Secure" : "") < 0)
		r->set_cookie = NULL;
	http_reply_text(r, 204, NULL, NULL, 0);
}
