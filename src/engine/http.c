/*
 * engine/http.c: the request object: building one, handing it to curl,
 * gathering its answer (whole, capped, or streamed to the operation), and
 * turning its outcome into an engine_status_t whose message names the
 * engine.
 *
 * Must never send a request anywhere but the configured engine (no proxy
 * from the environment, no redirects, http/https only), never hold an
 * answer past its cap, and never call an operation's code from inside
 * curl except its data function.
 */
#include "engine/internal.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const engine_status_t oom_status = {
	.ok = false,
	.error = "out of memory",
};

const engine_status_t *engine_oom_status(void)
{
	return &oom_status;
}

static const engine_status_t detached_status = {
	.ok = false,
	.error = "engine: used after its loop was freed",
};

const engine_status_t *req_new_failure(const engine_t *e)
{
	return e->loop ? &oom_status : &detached_status;
}

engine_req_t *req_new(engine_t *e, const char *method, size_t ctx_size, req_done_fn done)
{
	if (!e->loop)
		return NULL;
	engine_req_t *r = calloc(1, sizeof(*r));
	if (!r)
		return NULL;
	if (ctx_size) {
		r->ctx = calloc(1, ctx_size);
		if (!r->ctx) {
			free(r);
			return NULL;
		}
		r->ctx_free = free;
	}
	r->e = e;
	r->loop = e->loop;
	r->method = method;
	r->done = done;
	r->body_max = ENGINE_BODY_MAX;
	r->state = REQ_NEW;
	sb_init(&r->path, 0);
	sb_init(&r->resp, 0);
	dlist_init(&r->qlink);
	dlist_add_tail(&e->reqs, &r->elink);
	r->loop->n_reqs++;
	return r;
}

void req_path(engine_req_t *r, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	sb_vprintf(&r->path, fmt, ap);
	va_end(ap);
}

void req_path_enc(engine_req_t *r, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		unsigned char c = *p;
		bool plain = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
			     (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_' || c == '~';
		if (plain) {
			sb_putc(&r->path, (char)c);
		} else {
			char esc[3] = {'%', hex[c >> 4], hex[c & 15]};
			sb_append(&r->path, esc, 3);
		}
	}
}

void req_filters(engine_req_t *r, const char *type, const char *key, const char *value)
{
	json_t *f = json_object();
	char *label = NULL;
	bool bad = !f;
	if (!bad && type)
		bad = json_object_set_new(f, "type", json_pack("[s]", type)) < 0;
	if (!bad && key) {
		if (asprintf(&label, value ? "%s=%s" : "%s", key, value) < 0)
			label = NULL;
		bad = !label || json_object_set_new(f, "label", json_pack("[s]", label)) < 0;
	}
	char *text = bad ? NULL : json_dumps(f, JSON_COMPACT);
	if (text) {
		req_path(r, "filters=");
		req_path_enc(r, text);
	} else {
		r->path.failed = true; /* the request then fails: out of memory */
	}
	free(text);
	free(label);
	json_decref(f);
}

int req_body_json(engine_req_t *r, json_t *j)
{
	if (r->e->mock) {
		/* No transport: the mock reads the body as built, instead of
		 * paying to print it here and parse it again there (its cost
		 * would count as cjobs's own in bench/queue-overhead). */
		json_decref(r->body_json);
		r->body_json = json_incref(j);
		return 0;
	}
	free(r->body);
	r->body = json_dumps(j, JSON_COMPACT);
	return r->body ? 0 : -1;
}

void req_free(engine_req_t *r)
{
	if (!r)
		return;
	if (r->easy)
		curl_easy_cleanup(r->easy);
	curl_slist_free_all(r->headers);
	sb_free(&r->path);
	sb_free(&r->resp);
	free(r->body);
	json_decref(r->body_json);
	free(r->fail);
	free(r->errmsg);
	mock_stream_free(r->mock_stream);
	if (r->ctx_free)
		r->ctx_free(r->ctx);
	if (r->loop)
		r->loop->n_reqs--;
	free(r);
}

void req_abort(engine_req_t *r)
{
	if (r->state == REQ_ACTIVE && r->loop)
		curl_multi_remove_handle(r->loop->multi, r->easy);
	dlist_del(&r->qlink);
	dlist_del(&r->elink);
	req_free(r);
}

void req_queue_done(engine_req_t *r)
{
	r->state = REQ_DONE;
	dlist_del(&r->qlink);
	dlist_add_tail(&r->loop->done, &r->qlink);
}

/* "engine URL: msg" into r->errmsg; falls back to msg alone, then to a
 * constant, when memory is short. */
static const char *set_errmsg(engine_req_t *r, const char *prefix, const char *msg)
{
	free(r->errmsg);
	r->errmsg = NULL;
	if (asprintf(&r->errmsg, "%s %s: %s", prefix, r->e->url, msg) < 0) {
		r->errmsg = NULL;
		return "out of memory";
	}
	return r->errmsg;
}

const engine_status_t *req_error(engine_req_t *r, engine_status_t *st, const char *fmt, ...)
{
	char *msg = NULL;
	va_list ap;
	va_start(ap, fmt);
	if (vasprintf(&msg, fmt, ap) < 0)
		msg = NULL;
	va_end(ap);
	st->ok = false;
	st->error = msg ? set_errmsg(r, "engine", msg) : "out of memory";
	free(msg);
	return st;
}

void req_fail_now(engine_req_t *r, const char *msg)
{
	memset(&r->st, 0, sizeof(r->st));
	r->st.error = set_errmsg(r, "engine", msg);
	req_queue_done(r);
}

/* ---- sending ---- */

static size_t on_write(char *p, size_t size, size_t nmemb, void *ud)
{
	engine_req_t *r = ud;
	size_t n = size * nmemb;
	long code = 0;
	if (r->stream)
		curl_easy_getinfo(r->easy, CURLINFO_RESPONSE_CODE, &code);
	if (r->stream && code >= 200 && code < 300) {
		int rc = r->data(r, p, n);
		if (rc > 0)
			return CURL_WRITEFUNC_PAUSE;
		return rc == 0 ? n : 0;
	}
	size_t max = r->stream ? ENGINE_ERRBODY_MAX : r->body_max;
	if (r->resp.len + n > max) {
		if (r->stream) { /* an error's text: its start is enough */
			sb_append(&r->resp, p, max - r->resp.len);
			return r->resp.failed ? 0 : n;
		}
		free(r->fail);
		if (asprintf(&r->fail, "response too large (over %zu MiB) to %s %s", max >> 20,
			     r->method, r->path.buf) < 0)
			r->fail = NULL;
		return 0;
	}
	sb_append(&r->resp, p, n);
	if (r->resp.failed) {
		r->fail_oom = true;
		return 0;
	}
	return n;
}

#define SET(opt, val)                                                                              \
	do {                                                                                       \
		if (curl_easy_setopt(h, opt, val) != CURLE_OK)                                     \
			return -1;                                                                 \
	} while (0)

static int set_transport(engine_req_t *r, CURL *h)
{
	engine_t *e = r->e;
	SET(CURLOPT_PROXY, "");              /* never a proxy from the environment */
	SET(CURLOPT_FOLLOWLOCATION, 0L);
	SET(CURLOPT_PROTOCOLS_STR, e->tls ? "https" : "http");
	SET(CURLOPT_NOSIGNAL, 1L);
	SET(CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_1_1);
	SET(CURLOPT_CONNECTTIMEOUT_MS, e->connect_ms);
	if (e->unix_path)
		SET(CURLOPT_UNIX_SOCKET_PATH, e->unix_path);
	if (e->tls) {
		if (e->tls_ca)
			SET(CURLOPT_CAINFO, e->tls_ca);
		if (e->tls_cert)
			SET(CURLOPT_SSLCERT, e->tls_cert);
		if (e->tls_key)
			SET(CURLOPT_SSLKEY, e->tls_key);
		SET(CURLOPT_SSL_VERIFYPEER, e->tls_verify ? 1L : 0L);
		SET(CURLOPT_SSL_VERIFYHOST, e->tls_verify ? 2L : 0L);
	}
	if (r->stream) {
		/* No total limit, but a dead peer must still end the stream:
		 * TCP keepalive notices a vanished host even when the stream
		 * is legitimately quiet (events); a transfer that should
		 * never be quiet also gets a speed floor. */
		SET(CURLOPT_TCP_KEEPALIVE, 1L);
		SET(CURLOPT_TCP_KEEPIDLE, 30L);
		SET(CURLOPT_TCP_KEEPINTVL, 10L);
		if (r->low_speed) {
			SET(CURLOPT_LOW_SPEED_LIMIT, 1L);
			SET(CURLOPT_LOW_SPEED_TIME, 300L);
		}
		SET(CURLOPT_BUFFERSIZE, 64L * 1024);
	} else {
		SET(CURLOPT_TIMEOUT_MS, e->request_ms + r->extra_timeout_ms);
	}
	return 0;
}

static int set_request(engine_req_t *r, CURL *h, const char *url)
{
	SET(CURLOPT_URL, url);
	SET(CURLOPT_PRIVATE, (char *)(void *)r);
	SET(CURLOPT_ERRORBUFFER, r->errbuf);
	SET(CURLOPT_USERAGENT, "cjobs/" CJOBS_VERSION);
	SET(CURLOPT_WRITEFUNCTION, on_write);
	SET(CURLOPT_WRITEDATA, (void *)r);
	struct curl_slist *l;
	/* Without this, curl waits a second for "100 Continue" before
	 * sending a large body (a create with a big environment). */
	if (!(l = curl_slist_append(r->headers, "Expect:")))
		return -1;
	r->headers = l;
	if (strcmp(r->method, "POST") == 0) {
		const char *body = r->body ? r->body : "";
		if (r->body) {
			if (!(l = curl_slist_append(r->headers, "Content-Type: application/json")))
				return -1;
			r->headers = l;
		}
		SET(CURLOPT_POST, 1L);
		SET(CURLOPT_POSTFIELDS, body);
		SET(CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)strlen(body));
	} else if (strcmp(r->method, "GET") != 0) {
		SET(CURLOPT_CUSTOMREQUEST, r->method);
	}
	SET(CURLOPT_HTTPHEADER, r->headers);
	return set_transport(r, h);
}

#undef SET

void req_activate(engine_req_t *r)
{
	engine_t *e = r->e;
	if (r->path.failed) {
		req_fail_now(r, "out of memory");
		return;
	}
	if (e->mock) {
		mock_activate(r);
		return;
	}
	dlist_del(&r->qlink);
	char *url = NULL;
	int n = r->unversioned ? asprintf(&url, "%s%s", e->base, r->path.buf)
			       : asprintf(&url, "%s/v%s%s", e->base, e->api, r->path.buf);
	if (n < 0) {
		req_fail_now(r, "out of memory");
		return;
	}
	r->easy = curl_easy_init();
	if (!r->easy || set_request(r, r->easy, url) < 0) {
		free(url);
		req_fail_now(r, "cannot set up the request (out of memory?)");
		return;
	}
	free(url);
	if (curl_multi_add_handle(r->loop->multi, r->easy) != CURLM_OK) {
		req_fail_now(r, "cannot add the request to the loop");
		return;
	}
	r->state = REQ_ACTIVE;
}

void req_submit(engine_req_t *r)
{
	engine_t *e = r->e;
	if (r->unversioned || e->api_ok) {
		req_activate(r);
		return;
	}
	r->state = REQ_WAITING;
	dlist_add_tail(&e->waiting, &r->qlink);
	negotiate_start(e);
}

/* ---- outcome ---- */

/* The engine's own words for an error answer: its JSON "message", else
 * the start of the text, else the HTTP status. */
static void http_error(engine_req_t *r, engine_status_t *st)
{
	char *text = NULL;
	json_t *j = r->resp.len ? json_loadb(r->resp.buf, r->resp.len, 0, NULL) : NULL;
	const char *m = j ? jstr(j, "message") : NULL;
	if (m && *m) {
		req_error(r, st, "%s", m);
	} else if (r->resp.len && !j) {
		size_t n = strcspn(r->resp.buf, "\r\n");
		if (n > 300)
			n = 300;
		if (asprintf(&text, "%.*s", (int)n, r->resp.buf) < 0)
			text = NULL;
		req_error(r, st, "HTTP %ld: %s", r->http_status, text ? text : "");
	} else {
		req_error(r, st, "HTTP %ld from %s %s", r->http_status, r->method, r->path.buf);
	}
	/* Podman (4.3) answers HTTP 500 where Docker answers 409 for a name
	 * already in use on create and for killing a container that is not
	 * running. Without this the worker's remove-and-create-again path
	 * after a crash never runs, and a kill racing an exit is warned
	 * about as a failure. Only the operation that expects it looks for
	 * Podman's words (r->conflict_500), and only in a 500 answer, so any
	 * other server error stays an error. */
	bool podman_conflict = r->http_status == 500 && r->conflict_500 && m &&
			       strstr(m, r->conflict_500);
	st->not_found = r->http_status == 404;
	st->conflict = r->http_status == 409 || podman_conflict;
	free(text);
	json_decref(j);
}

static const char *os_reason(engine_req_t *r, long os_errno)
{
	if (os_errno)
		return strerror((int)os_errno);
	return r->errbuf[0] ? r->errbuf : "connection failed";
}

static void curl_error(engine_req_t *r, CURLcode rc, engine_status_t *st)
{
	engine_t *e = r->e;
	long os_errno = 0;
	curl_off_t connect_us = 0;
	curl_easy_getinfo(r->easy, CURLINFO_OS_ERRNO, &os_errno);
	curl_easy_getinfo(r->easy, CURLINFO_CONNECT_TIME_T, &connect_us);
	bool connected = connect_us > 0 || r->http_status > 0;
	const char *what = r->errbuf[0] ? r->errbuf : curl_easy_strerror(rc);
	switch (rc) {
	case CURLE_WRITE_ERROR:
		if (r->fail_oom)
			st->error = set_errmsg(r, "engine", "out of memory");
		else
			st->error = set_errmsg(r, "engine", r->fail ? r->fail : what);
		return;
	case CURLE_OUT_OF_MEMORY:
		st->error = set_errmsg(r, "engine", "out of memory");
		return;
	case CURLE_OPERATION_TIMEDOUT:
		st->timed_out = true;
		if (!connected) {
			char msg[64];
			snprintf(msg, sizeof(msg), "no connection within %ld ms", e->connect_ms);
			st->unreachable = true;
			st->error = set_errmsg(r, "cannot connect to engine", msg);
		} else {
			char msg[300];
			snprintf(msg, sizeof(msg), "no answer within %ld ms to %s %.200s",
				 e->request_ms + r->extra_timeout_ms, r->method, r->path.buf);
			st->error = set_errmsg(r, "engine", msg);
		}
		return;
	case CURLE_COULDNT_CONNECT:
	case CURLE_COULDNT_RESOLVE_HOST:
		st->unreachable = true;
		st->error = set_errmsg(r, "cannot connect to engine", os_reason(r, os_errno));
		return;
	default:
		break;
	}
	st->unreachable = true;
	char *msg = NULL;
	const char *how = connected ? "connection lost" : "cannot talk to it";
	/* TLS failures (a wrong CA, a refused client certificate) surface as
	 * several curl codes; say TLS so the fix is looked for there. */
	if (e->tls && (strstr(what, "SSL") || strstr(what, "certificate")))
		how = "TLS failed (check tls_ca, tls_cert and tls_key)";
	if (asprintf(&msg, "%s: %s", how, what) < 0)
		msg = NULL;
	st->error = set_errmsg(r, "engine", msg ? msg : what);
	free(msg);
}

void req_finished(engine_req_t *r, CURLcode rc)
{
	curl_easy_getinfo(r->easy, CURLINFO_RESPONSE_CODE, &r->http_status);
	if (rc == CURLE_OK) {
		req_answered(r);
		return;
	}
	engine_status_t *st = &r->st;
	memset(st, 0, sizeof(*st));
	st->http_status = (int)r->http_status;
	curl_error(r, rc, st);
	req_queue_done(r);
}

void req_answered(engine_req_t *r)
{
	engine_status_t *st = &r->st;
	memset(st, 0, sizeof(*st));
	st->http_status = (int)r->http_status;
	if (r->http_status >= 200 && r->http_status < 300)
		st->ok = true;
	else
		http_error(r, st);
	req_queue_done(r);
}

json_t *req_json(engine_req_t *r, engine_status_t *st)
{
	return req_json_flags(r, st, 0);
}

json_t *req_json_flags(engine_req_t *r, engine_status_t *st, size_t flags)
{
	json_error_t jerr;
	json_t *j = json_loadb(r->resp.buf ? r->resp.buf : "", r->resp.len, flags, &jerr);
	if (!j)
		req_error(r, st, "unreadable answer to %s %s: %s", r->method, r->path.buf, jerr.text);
	return j;
}

/* ---- JSON readers ---- */

const char *jstr(const json_t *o, const char *key)
{
	return json_string_value(json_object_get(o, key));
}

int64_t jint(const json_t *o, const char *key, int64_t fallback)
{
	json_t *v = json_object_get(o, key);
	if (json_is_integer(v))
		return (int64_t)json_integer_value(v);
	if (json_is_real(v)) {
		/* An engine's number beyond int64 (or not a number) is no value:
		 * converting it would be undefined. */
		double d = json_real_value(v);
		if (d >= -9.2e18 && d <= 9.2e18)
			return (int64_t)d;
	}
	return fallback;
}

const json_t *jobj(const json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);
	return json_is_object(v) ? v : NULL;
}
