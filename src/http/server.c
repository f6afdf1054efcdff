/*
 * http/server.c: the listening socket, libmicrohttpd's threads, reading a
 * request (its body bounded), dispatching it through the route table,
 * sending the answer, and stopping cleanly on SIGTERM.
 *
 * Each request thread has its own store connection (a store_t is for one
 * thread at a time), opened on its first request and closed when the
 * server stops. Nothing here knows what a job is.
 */
#include "http/internal.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "http/web/assets.h"
#include "ops/submit.h"
#include "util/err.h"
#include "util/log.h"
#include "util/sdnotify.h"
#include "util/timeutil.h"

#define STOP_WAIT_MS (30 * 1000)

/* ---- one store connection per request thread ---- */

static pthread_mutex_t stores_lock = PTHREAD_MUTEX_INITIALIZER;
static store_t **stores;
static size_t nstores;
static __thread store_t *thread_store;

static store_t *store_for_thread(const http_options_t *o, char **err)
{
	if (thread_store && store_lost(thread_store) && store_reconnect(thread_store, err) < 0)
		return NULL;
	if (thread_store)
		return thread_store;
	store_t *s = NULL;
	if (store_open(o->store, false, &s, err) < 0)
		return NULL;
	pthread_mutex_lock(&stores_lock);
	store_t **v = realloc(stores, (nstores + 1) * sizeof(*v));
	if (v) {
		stores = v;
		stores[nstores++] = s;
	}
	pthread_mutex_unlock(&stores_lock);
	if (!v) {
		store_close(s);
		err_set(err, "out of memory");
		return NULL;
	}
	return thread_store = s;
}

static void close_stores(void)
{
	for (size_t i = 0; i < nstores; i++)
		store_close(stores[i]);
	free(stores);
	stores = NULL;
	nstores = 0;
}

/* ---- answers ---- */

static void reply_reset(http_req_t *r)
{
	free(r->answer.text);
	r->answer.text = NULL;
	r->answer.len = 0;
}

void http_reply_text(http_req_t *r, unsigned status, const char *type, char *text, size_t len)
{
	reply_reset(r);
	r->answer.status = status;
	r->answer.content_type = type;
	r->answer.text = text;
	r->answer.len = len;
}

void http_reply_json(http_req_t *r, unsigned status, json_t *j)
{
	char *text = j ? json_dumps(j, JSON_COMPACT) : NULL;
	json_decref(j);
	if (!text) {
		http_reply_error(r, 500, "out of memory");
		return;
	}
	size_t len = strlen(text);
	/* A newline ends the body, so that curl's output ends its line. */
	char *t = realloc(text, len + 2);
	if (t) {
		text = t;
		text[len++] = '\n';
		text[len] = '\0';
	}
	http_reply_text(r, status, "application/json", text, len);
}

void http_reply_error(http_req_t *r, unsigned status, const char *fmt, ...)
{
	char *msg = NULL;
	va_list ap;
	va_start(ap, fmt);
	if (vasprintf(&msg, fmt, ap) < 0)
		msg = NULL;
	va_end(ap);
	json_t *j = json_pack("{s:s}", "error", msg ? msg : "out of memory");
	free(msg);
	char *text = j ? json_dumps(j, JSON_COMPACT) : NULL;
	json_decref(j);
	reply_reset(r);
	r->answer.status = text ? status : 500;
	r->answer.content_type = "application/json";
	if (text && asprintf(&r->answer.text, "%s\n", text) >= 0)
		r->answer.len = strlen(r->answer.text);
	free(text);
}

void http_reply_ops(http_req_t *r, ops_rc_t rc, const char *msg)
{
	static const unsigned status[] = {
		[OPS_OK] = 200, [OPS_E_INVALID] = 400, [OPS_E_NOT_FOUND] = 404,
		[OPS_E_CONFLICT] = 409, [OPS_E_STORE] = 500,
	};
	unsigned code = status[rc];
	/* A store that cannot be reached is the server unable to serve for
	 * now, not a fault of the request. */
	if (rc == OPS_E_STORE && r->store && store_lost(r->store))
		code = 503;
	http_reply_error(r, code, "%s", err_str(msg));
}

const char *http_query(const http_req_t *r, const char *name)
{
	return MHD_lookup_connection_value(r->conn, MHD_GET_ARGUMENT_KIND, name);
}

json_t *http_body_json(http_req_t *r)
{
	if (!r->body || r->body_len == 0)
		return json_object();
	json_error_t je;
	json_t *j = json_loadb(r->body, r->body_len, 0, &je);
	if (!j) {
		char why[JSON_ERROR_TEXT_LENGTH + 64];
		ops_json_error_text(&je, why, sizeof(why));
		http_reply_error(r, 400, "the body is not JSON: %s at line %d, column %d", why,
				 je.line, je.column);
	}
	return j;
}

/* ---- requests ---- */

/* Requests begun and not yet completed: the stop waits for these, not
 * for idle kept-alive connections. */
static atomic_int inflight;
static atomic_int_fast64_t served_requests;

typedef struct {
	http_req_t r;
	bool too_large;
	int64_t started_us;
} conn_state_t;

static void free_request(conn_state_t *c)
{
	free(c->r.body);
	free(c->r.answer.text);
	free(c->r.token_name);
	free(c->r.set_cookie);
	free(c);
}

static enum MHD_Result send_reply(http_req_t *r)
{
	struct MHD_Response *resp = r->answer.custom;
	if (!resp) {
		resp = MHD_create_response_from_buffer(r->answer.len, r->answer.text ? r->answer.text : (char *)"",
						       r->answer.text ? MHD_RESPMEM_MUST_FREE
							       : MHD_RESPMEM_PERSISTENT);
		if (!resp)
			return MHD_NO;
		r->answer.text = NULL;  /* the response owns it now */
		if (r->answer.content_type)
			MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, r->answer.content_type);
	}
	MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
	MHD_add_response_header(resp, "Cache-Control", "no-store");
	MHD_add_response_header(resp, "Referrer-Policy", "no-referrer");
	if (r->set_cookie)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_SET_COOKIE, r->set_cookie);
	if (r->answer.status == 405 && r->route == NULL)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_ALLOW, "GET, POST, DELETE");
	enum MHD_Result ok = MHD_queue_response(r->conn, r->answer.status, resp);
	MHD_destroy_response(resp);
	r->answer.custom = NULL;
	return ok;
}

/* The dashboard's files, compiled in: no token needed to fetch them (they
 * hold no data; the data comes from the API). */
static bool serve_asset(http_req_t *r)
{
	if (strcmp(r->method, "GET") != 0 && strcmp(r->method, "HEAD") != 0)
		return false;
	const char *path = strcmp(r->path, "/") == 0 ? "/index.html" : r->path;
	if (strcmp(path, "/index.html") != 0 && strncmp(path, "/assets/", 8) != 0)
		return false;
	const web_asset_t *a = web_asset_find(path);
	if (!a) {
		http_reply_error(r, 404, "no such file: %.100s", r->path);
		return true;
	}
	struct MHD_Response *resp =
		MHD_create_response_from_buffer(a->size, (void *)a->data, MHD_RESPMEM_PERSISTENT);
	if (!resp) {
		http_reply_error(r, 500, "out of memory");
		return true;
	}
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, a->content_type);
	MHD_add_response_header(resp, "Content-Security-Policy",
				"default-src 'self'; img-src 'self' data:; style-src 'self'; "
				"script-src 'self'; connect-src 'self'; frame-ancestors 'none'");
	MHD_add_response_header(resp, "X-Frame-Options", "DENY");
	r->answer.custom = resp;
	r->answer.status = 200;
	return true;
}

/* The names of the request's query parameters, for the route to check. */
#define QUERY_NAMES_MAX 32
typedef struct {
	const char *names[QUERY_NAMES_MAX];
	const char *values[QUERY_NAMES_MAX];
	size_t n;
	bool too_many;
} query_names_t;

static enum MHD_Result collect_query_name(void *cls, enum MHD_ValueKind kind, const char *key,
					  const char *value)
{
	(void)kind;
	query_names_t *q = cls;
	/* "?&a=1": an empty piece carries nothing, as a trailing "&" does. */
	if (!*key && (!value || !*value))
		return MHD_YES;
	if (q->n == QUERY_NAMES_MAX) {
		q->too_many = true;
		return MHD_NO;
	}
	q->names[q->n] = key;
	q->values[q->n++] = value;
	return MHD_YES;
}

/* 400 and false when the query has a parameter the route does not take,
 * or one twice: checked after the token (a request without a good one is
 * 401 before any other answer) and before the handler reads or changes
 * anything. */
static bool query_ok(http_req_t *r, const http_route_t *rt)
{
	query_names_t q = {.n = 0};
	MHD_get_connection_values(r->conn, MHD_GET_ARGUMENT_KIND, collect_query_name, &q);
	if (q.too_many) {
		http_reply_error(r, 400, "more than %d query parameters; no endpoint takes as many",
				 QUERY_NAMES_MAX);
		return false;
	}
	char *err = NULL;
	bool ok = http_route_query_check(rt, q.names, q.values, q.n, &err) == 0;
	if (!ok)
		http_reply_error(r, 400, "%s", err_str(err));
	free(err);
	return ok;
}

static void run_handler(http_req_t *r, const http_route_t *rt)
{
	if (query_ok(r, rt))
		rt->handler(r);
}

static void dispatch(http_req_t *r)
{
	if (strlen(r->path) > 1024) {
		http_reply_error(r, 414, "the path is %zu bytes long; the limit is 1024",
				 strlen(r->path));
		return;
	}
	if (serve_asset(r))
		return;
	size_t np = 0;
	bool known = false;
	const http_route_t *rt = http_route_find(r->method, r->path, r->params, &np, &known);
	if (!rt) {
		if (known)
			http_reply_error(r, 405, "%s is not allowed on %.200s; see "
						 "/api/v1/openapi.json for what is",
					 r->method, r->path);
		else
			http_reply_error(r, 404, "no such endpoint: %.200s; see /api/v1/openapi.json "
						 "for the API",
					 r->path);
		return;
	}
	r->route = rt;
	char *err = NULL;
	r->store = store_for_thread(r->opts, &err);
	if (!r->store) {
		http_reply_error(r, 503, "the job store cannot be used now: %s", err_str(err));
		free(err);
		return;
	}
	if (http_auth_defer(r)) {
		run_handler(r, rt);
		http_auth_settle(r);
	} else {
		bool own = false;
		http_read_once(r, &own);
		if (http_authenticate(r) == 0)
			run_handler(r, rt);
		store_read_end(r->store, own);
	}
	/* A connection to the store that broke while this thread was idle
	 * (the server restarted) shows only when it is used: a request that
	 * only reads is answered again on a new connection, once, rather than
	 * with 503. A write is not: the client decides. */
	if (r->answer.status == 503 && store_lost(r->store) && strcmp(r->method, "GET") == 0 &&
	    store_reconnect(r->store, &err) == 0) {
		reply_reset(r);
		free(r->token_name);
		r->token_name = NULL;
		r->answer.status = 500;
		if (http_authenticate(r) == 0)
			run_handler(r, rt);
	}
	free(err);
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
				  const char *method, const char *version,
				  const char *upload_data, size_t *upload_size, void **con_cls)
{
	(void)version;
	const http_options_t *o = cls;
	conn_state_t *c = *con_cls;
	if (!c) {
		c = calloc(1, sizeof(*c));
		if (!c)
			return MHD_NO;
		c->started_us = mono_us();
		inflight++;
		c->r.conn = conn;
		c->r.opts = o;
		c->r.method = method;
		c->r.path = url;
		c->r.answer.status = 500;
		const union MHD_ConnectionInfo *ci =
			MHD_get_connection_info(conn, MHD_CONNECTION_INFO_PROTOCOL);
		c->r.tls = ci != NULL;
		*con_cls = c;
		const char *cl = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
							     MHD_HTTP_HEADER_CONTENT_LENGTH);
		if (cl && strtoull(cl, NULL, 10) > HTTP_BODY_MAX) {
			/* Answered before the body is read: it never is. */
			http_reply_error(&c->r, 413, "the body is %s bytes; the limit is %d (1 MiB)", cl,
					 HTTP_BODY_MAX);
			return send_reply(&c->r);
		}
		return MHD_YES;
	}
	if (*upload_size) {
		size_t n = *upload_size;
		*upload_size = 0;
		if (c->too_large || c->r.body_len + n > HTTP_BODY_MAX) {
			c->too_large = true;
			return MHD_YES;
		}
		char *b = realloc(c->r.body, c->r.body_len + n + 1);
		if (!b)
			return MHD_NO;
		memcpy(b + c->r.body_len, upload_data, n);
		c->r.body = b;
		c->r.body_len += n;
		b[c->r.body_len] = '\0';
		return MHD_YES;
	}
	if (c->too_large)
		http_reply_error(&c->r, 413, "the body is over %d bytes (1 MiB); send fewer jobs per "
					     "request",
				 HTTP_BODY_MAX);
	else if (c->r.body && strlen(c->r.body) != c->r.body_len)
		http_reply_error(&c->r, 400, "the body holds a NUL byte; send JSON text");
	else
		dispatch(&c->r);
	return send_reply(&c->r);
}


static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
			 enum MHD_RequestTerminationCode toe)
{
	(void)cls;
	(void)conn;
	conn_state_t *c = *con_cls;
	if (!c)
		return;
	served_requests++;
	if (log_level() >= LOG_DETAIL) {
		const union MHD_ConnectionInfo *ci =
			MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
		char addr[INET6_ADDRSTRLEN + 8] = "?";
		if (ci && ci->client_addr) {
			const struct sockaddr *sa = ci->client_addr;
			if (sa->sa_family == AF_INET)
				inet_ntop(AF_INET, &((const struct sockaddr_in *)sa)->sin_addr, addr,
					  sizeof(addr));
			else if (sa->sa_family == AF_INET6)
				inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)sa)->sin6_addr, addr,
					  sizeof(addr));
		}
		int64_t us = mono_us() - c->started_us;
		log_detail("%s %s %.200s %u %lld.%03lldms%s%s%s", addr, c->r.method, c->r.path,
			   c->r.answer.status, (long long)(us / 1000), (long long)(us % 1000),
			   c->r.token_name ? " token " : "", c->r.token_name ? c->r.token_name : "",
			   toe == MHD_REQUEST_TERMINATED_COMPLETED_OK ? "" : " (not completed)");
	}
	free_request(c);
	*con_cls = NULL;
	inflight--;
}

/* ---- listening ---- */

/* "HOST:PORT" or "[V6]:PORT" into host and port. */
static int split_listen(const char *listen, char **host, char **port, char **err)
{
	const char *colon = NULL, *h = listen;
	size_t hlen;
	if (listen[0] == '[') {
		const char *end = strchr(listen, ']');
		if (!end || end[1] != ':')
			return err_set(err, "'%.80s' is not an address: write [IPV6]:PORT, e.g. "
					    "[::1]:8080",
				       listen);
		h = listen + 1;
		hlen = (size_t)(end - h);
		colon = end + 1;
	} else {
		colon = strrchr(listen, ':');
		if (!colon || strchr(listen, ':') != colon)
			return err_set(err, "'%.80s' is not an address: write HOST:PORT, e.g. "
					    "127.0.0.1:8080 (IPv6 as [::1]:8080)",
				       listen);
		hlen = (size_t)(colon - listen);
	}
	char *end = NULL;
	errno = 0;
	long p = strtol(colon + 1, &end, 10);
	if (!colon[1] || *end || errno || p < 0 || p > 65535)
		return err_set(err, "'%.80s' has no valid port: give 0 to 65535 after the colon "
				    "(0: any free port)",
			       listen);
	if (hlen == 0)
		return err_set(err, "'%.80s' has no host: write 127.0.0.1:PORT for this machine "
				    "only, 0.0.0.0:PORT for every IPv4 address",
			       listen);
	*host = strndup(h, hlen);
	*port = strdup(colon + 1);
	if (!*host || !*port) {
		free(*host);
		free(*port);
		return err_set(err, "out of memory");
	}
	return 0;
}

static bool is_loopback(const struct sockaddr *sa)
{
	if (sa->sa_family == AF_INET)
		return (ntohl(((const struct sockaddr_in *)sa)->sin_addr.s_addr) >> 24) == 127;
	if (sa->sa_family == AF_INET6)
		return IN6_IS_ADDR_LOOPBACK(&((const struct sockaddr_in6 *)sa)->sin6_addr);
	return false;
}

static int open_listener(const char *where, int *fd, char *shown, size_t shown_size,
			 bool *loopback, char **err)
{
	char *host = NULL, *port = NULL;
	if (split_listen(where, &host, &port, err) < 0)
		return -1;
	struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM,
				 .ai_flags = AI_PASSIVE | AI_NUMERICSERV};
	struct addrinfo *ai = NULL;
	int g = getaddrinfo(host, port, &hints, &ai);
	if (g != 0) {
		err_set(err, "cannot listen on %.80s: %s", where, gai_strerror(g));
		free(host);
		free(port);
		return -1;
	}
	free(host);
	free(port);
	int s = socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	int one = 1;
	if (s < 0 || setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
	    (ai->ai_family == AF_INET6 &&
	     setsockopt(s, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one)) < 0) ||
	    bind(s, ai->ai_addr, ai->ai_addrlen) < 0 || listen(s, 1024) < 0) {
		int e = errno;
		err_set(err, "cannot listen on %.80s: %s%s", where, strerror(e),
			e == EADDRINUSE ? " (another program uses that port: choose another with "
					  "--listen)"
					: "");
		if (s >= 0)
			close(s);
		freeaddrinfo(ai);
		return -1;
	}
	*loopback = is_loopback(ai->ai_addr);
	freeaddrinfo(ai);
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	char a[INET6_ADDRSTRLEN] = "?";
	int p = 0;
	if (getsockname(s, (struct sockaddr *)&ss, &sl) == 0) {
		if (ss.ss_family == AF_INET) {
			inet_ntop(AF_INET, &((struct sockaddr_in *)&ss)->sin_addr, a, sizeof(a));
			p = ntohs(((struct sockaddr_in *)&ss)->sin_port);
			snprintf(shown, shown_size, "%s:%d", a, p);
		} else {
			inet_ntop(AF_INET6, &((struct sockaddr_in6 *)&ss)->sin6_addr, a, sizeof(a));
			p = ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
			snprintf(shown, shown_size, "[%s]:%d", a, p);
		}
	}
	*fd = s;
	return 0;
}

static char *read_pem(const char *path, const char *what, char **err)
{
	FILE *f = fopen(path, "re");
	if (!f) {
		err_set(err, "cannot read the TLS %s %s: %s", what, path, strerror(errno));
		return NULL;
	}
	char *buf = NULL;
	size_t len = 0;
	FILE *m = open_memstream(&buf, &len);
	char chunk[4096];
	size_t n;
	while (m && (n = fread(chunk, 1, sizeof(chunk), f)) > 0 && len < (1 << 20))
		fwrite(chunk, 1, n, m);
	bool bad = ferror(f) || !m;
	fclose(f);
	if (m)
		fclose(m);
	if (bad || !buf || !strstr(buf, "-----BEGIN ")) {
		err_set(err, "the TLS %s %s is not a PEM file (it should start with -----BEGIN)",
			what, path);
		free(buf);
		return NULL;
	}
	return buf;
}

static void mhd_log(void *cls, const char *fmt, va_list ap)
{
	(void)cls;
	char msg[512];
	vsnprintf(msg, sizeof(msg), fmt, ap);
	size_t l = strlen(msg);
	while (l && msg[l - 1] == '\n')
		msg[--l] = '\0';
	log_debug("http: %s", msg);
}

/* Room for max_connections descriptors beside the store's and engines'. */
static void raise_fd_limit(int want)
{
	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < (rlim_t)want + 64) {
		rlim_t n = (rlim_t)want + 64;
		rl.rlim_cur = n < rl.rlim_max ? n : rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
}

int http_serve(const http_options_t *o, char **err)
{
	if (!o->tls_cert != !o->tls_key)
		return err_set(err, "give both --tls-cert and --tls-key for HTTPS, or neither");
	char *cert = NULL, *key = NULL;
	if (o->tls_cert && (!(cert = read_pem(o->tls_cert, "certificate", err)) ||
			    !(key = read_pem(o->tls_key, "key", err)))) {
		free(cert);
		return -1;
	}
	int fd = -1;
	char shown[INET6_ADDRSTRLEN + 16] = "?";
	bool loopback = false;
	if (open_listener(o->listen, &fd, shown, sizeof(shown), &loopback, err) < 0) {
		free(cert);
		free(key);
		return -1;
	}
	if (!loopback && !cert)
		log_warn("listening on %s, which other machines can reach, WITHOUT TLS: tokens and "
			 "job data cross the network in clear; give --tls-cert and --tls-key, or "
			 "listen on 127.0.0.1 behind a TLS proxy",
			 shown);
	raise_fd_limit(o->max_connections);

	/* The request threads inherit this mask: only this thread takes the
	 * stop signals, and a client that goes away cannot kill the server. */
	sigset_t stop, old;
	sigemptyset(&stop);
	sigaddset(&stop, SIGTERM);
	sigaddset(&stop, SIGINT);
	sigaddset(&stop, SIGPIPE);
	pthread_sigmask(SIG_BLOCK, &stop, &old);

	/* ITC: MHD_quiesce_daemon needs it with a thread pool; suspending: a
	 * followed output waits for its next bytes without a thread. */
	unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_USE_ERROR_LOG |
			 MHD_USE_ITC | MHD_ALLOW_SUSPEND_RESUME;
	if (cert)
		flags |= MHD_USE_TLS;
	struct MHD_OptionItem tls_opts[] = {
		{cert ? MHD_OPTION_HTTPS_MEM_CERT : MHD_OPTION_END, 0, cert},
		{MHD_OPTION_HTTPS_MEM_KEY, 0, key},
		{MHD_OPTION_END, 0, NULL},
	};
	struct MHD_Daemon *d = MHD_start_daemon(
		flags, 0, NULL, NULL, on_request, (void *)o,
		/* First, so that MHD's own start-up messages come through it too. */
		MHD_OPTION_EXTERNAL_LOGGER, mhd_log, NULL, MHD_OPTION_LISTEN_SOCKET, fd,
		MHD_OPTION_THREAD_POOL_SIZE, (unsigned)o->threads, MHD_OPTION_CONNECTION_LIMIT,
		(unsigned)o->max_connections, MHD_OPTION_CONNECTION_TIMEOUT,
		(unsigned)o->idle_timeout_s, MHD_OPTION_NOTIFY_COMPLETED, on_completed, NULL,
		MHD_OPTION_ARRAY, tls_opts,
		MHD_OPTION_END);
	if (!d) {
		close(fd);
		free(cert);
		free(key);
		pthread_sigmask(SIG_SETMASK, &old, NULL);
		return err_set(err, "cannot start the HTTP server on %s%s", shown,
			       cert ? " (are the TLS certificate and key a matching pair?)" : "");
	}
	log_info("serving %s://%s (store %s; %d threads, at most %d connections); SIGTERM "
		 "stops",
		 cert ? "https" : "http", shown, o->store, o->threads, o->max_connections);
	/* A service manager (Type=notify) learns that requests are answered
	 * from now on, and later that the stop was heard. */
	if (sdnotify_sendf("READY=1\nSTATUS=serving %s://%s", cert ? "https" : "http", shown) < 0)
		log_warn("cannot notify the service manager ($NOTIFY_SOCKET): %s", strerror(errno));
	int sig = 0;
	while (sigwait(&stop, &sig) == 0 && sig == SIGPIPE)
		;
	if (sdnotify_send("STOPPING=1") < 0)
		log_warn("cannot notify the service manager ($NOTIFY_SOCKET): %s", strerror(errno));
	log_info("%s: no new connections; finishing the requests in flight",
		 sig == SIGINT ? "SIGINT" : "SIGTERM");
	MHD_quiesce_daemon(d);
	/* Followed outputs end now, so that their requests finish. */
	api_follows_stop();
	int64_t deadline = mono_us() + (int64_t)STOP_WAIT_MS * 1000;
	for (;;) {
		if (inflight == 0 || mono_us() > deadline)
			break;
		struct timespec ts = {0, 20 * 1000 * 1000};
		nanosleep(&ts, NULL);
	}
	MHD_stop_daemon(d);
	/* Their threads hold store connections of their own: gone before the
	 * process ends, unless one is stuck in its store (then said). */
	if (!api_follows_wait(STOP_WAIT_MS))
		log_warn("a followed output's thread did not end in %d ms", STOP_WAIT_MS);
	close(fd);
	close_stores();
	free(cert);
	free(key);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	log_info("stopped after %lld request(s)", (long long)served_requests);
	return 0;
}
