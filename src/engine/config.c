/*
 * engine/config.c: an engine's configuration and lifetime: checking the
 * URL and TLS files once, up front, with messages that say what to fix;
 * and tearing an engine down without calling any callback.
 *
 * Must never connect anywhere (engine_new only checks), and never accept
 * an address form it would then have to guess about.
 */
#include "engine/internal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/un.h>

#include "util/err.h"

#define DEFAULT_CONNECT_MS 10000L
#define DEFAULT_REQUEST_MS 60000L

static const char url_forms[] = "use unix:///path/to/docker.sock, tcp://HOST:PORT or mock://";

static int check_unix(const char *url, const char *path, char **err)
{
	struct sockaddr_un sa;
	if (path[0] != '/')
		return err_set(err, "engine URL '%s': unix:// needs an absolute socket path, as in "
			       "unix:///var/run/docker.sock", url);
	if (strlen(path) >= sizeof(sa.sun_path))
		return err_set(err, "engine URL '%s': socket path is %zu bytes; the system allows at "
			       "most %zu", url, strlen(path), sizeof(sa.sun_path) - 1);
	return 0;
}

static bool host_chars(const char *s, size_t n, bool v6)
{
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		bool ok = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
			  c == '.' || (v6 ? c == ':' : c == '-');
		if (!ok)
			return false;
	}
	return n > 0;
}

/* "HOST:PORT" or "[V6]:PORT": sets *host_len to the host part's length
 * (brackets included). */
static int check_tcp(const char *url, const char *rest, size_t *host_len, char **err)
{
	const char *colon;
	if (rest[0] == '[') {
		const char *close = strchr(rest, ']');
		if (!close || !host_chars(rest + 1, (size_t)(close - rest - 1), true))
			return err_set(err, "engine URL '%s': bad IPv6 address; write it as "
				       "tcp://[ADDRESS]:PORT", url);
		colon = close[1] == ':' ? close + 1 : NULL;
	} else {
		colon = strrchr(rest, ':');
		if (colon && !host_chars(rest, (size_t)(colon - rest), false))
			return err_set(err, "engine URL '%s': bad host name '%.*s'", url,
				       (int)(colon - rest), rest);
	}
	if (!colon)
		return err_set(err, "engine URL '%s': no port; write it as tcp://HOST:PORT "
			       "(Docker's TLS port is usually 2376)", url);
	const char *p = colon + 1;
	long port = 0;
	size_t nd = 0;
	for (; p[nd] >= '0' && p[nd] <= '9'; nd++)
		port = port > 65535 ? port : port * 10 + (p[nd] - '0');
	if (p[nd] == '/' && p[nd + 1] == '\0')
		; /* a trailing slash is harmless */
	else if (p[nd] != '\0')
		return err_set(err, "engine URL '%s': tcp:// takes HOST:PORT and nothing after it",
			       url);
	if (nd == 0 || port < 1 || port > 65535)
		return err_set(err, "engine URL '%s': the port must be a number from 1 to 65535", url);
	*host_len = (size_t)(colon - rest) + 1 + nd;
	return 0;
}

static int check_file(const char *what, const char *path, char **err)
{
	FILE *f = fopen(path, "r");
	if (!f)
		return err_set(err, "cannot read the %s file '%s': %s", what, path, strerror(errno));
	fclose(f);
	return 0;
}

static int check_tls(const engine_config_t *cfg, bool is_unix, char **err)
{
	bool any = cfg->tls_ca || cfg->tls_cert || cfg->tls_key;
	if (!any)
		return 0;
	if (is_unix)
		return err_set(err, "engine URL '%s': TLS files are given, but TLS needs a tcp:// "
			       "URL; drop them or use tcp://HOST:PORT", cfg->url);
	if (!cfg->tls_cert != !cfg->tls_key)
		return err_set(err, "engine URL '%s': a TLS client certificate needs its key and the "
			       "key its certificate; give both tls_cert and tls_key", cfg->url);
	if ((cfg->tls_ca && check_file("TLS CA", cfg->tls_ca, err) < 0) ||
	    (cfg->tls_cert && check_file("TLS certificate", cfg->tls_cert, err) < 0) ||
	    (cfg->tls_key && check_file("TLS key", cfg->tls_key, err) < 0))
		return -1;
	return 0;
}

static int set_strings(engine_t *e, const engine_config_t *cfg, const char *hostport, size_t hlen)
{
	bool is_unix = hostport == NULL && strcmp(cfg->url, "mock://") != 0;
	e->url = strdup(cfg->url);
	if (!is_unix && !hostport) {
		e->base = strdup("mock://");
	} else if (is_unix) {
		e->unix_path = strdup(cfg->url + strlen("unix://"));
		e->base = strdup("http://d");
	} else if (asprintf(&e->base, "%s://%.*s", e->tls ? "https" : "http", (int)hlen, hostport) < 0) {
		e->base = NULL;
	}
	if (cfg->tls_ca)
		e->tls_ca = strdup(cfg->tls_ca);
	if (cfg->tls_cert)
		e->tls_cert = strdup(cfg->tls_cert);
	if (cfg->tls_key)
		e->tls_key = strdup(cfg->tls_key);
	if (!e->url || !e->base || (is_unix && !e->unix_path) || (cfg->tls_ca && !e->tls_ca) ||
	    (cfg->tls_cert && !e->tls_cert) || (cfg->tls_key && !e->tls_key))
		return -1;
	return 0;
}

static void free_strings(engine_t *e)
{
	free(e->url);
	free(e->base);
	free(e->unix_path);
	free(e->tls_ca);
	free(e->tls_cert);
	free(e->tls_key);
}

int engine_new(engine_loop_t *loop, const engine_config_t *cfg, engine_t **out, char **err)
{
	*out = NULL;
	const char *url = cfg ? cfg->url : NULL;
	if (!loop)
		return err_set(err, "engine_new: no loop");
	if (!url || !*url)
		return err_set(err, "no engine URL given; %s", url_forms);
	const char *hostport = NULL;
	size_t hlen = 0;
	bool mock = strcmp(url, "mock://") == 0;
	if (mock) {
		if (cfg->tls_ca || cfg->tls_cert || cfg->tls_key)
			return err_set(err, "engine URL 'mock://' takes no TLS files");
	} else if (strncmp(url, "unix://", 7) == 0) {
		if (check_unix(url, url + 7, err) < 0)
			return -1;
	} else if (strncmp(url, "tcp://", 6) == 0) {
		hostport = url + 6;
		if (check_tcp(url, hostport, &hlen, err) < 0)
			return -1;
	} else {
		return err_set(err, "engine URL '%s' is not one cjobs knows; %s (TLS is chosen by "
			       "giving TLS files, not by https://)", url, url_forms);
	}
	if (!mock && check_tls(cfg, hostport == NULL, err) < 0)
		return -1;
	engine_t *e = calloc(1, sizeof(*e));
	if (!e)
		return err_set(err, "out of memory");
	e->tls = cfg->tls_ca || cfg->tls_cert || cfg->tls_key;
	e->tls_verify = cfg->tls_verify;
	e->connect_ms = cfg->connect_timeout_ms > 0 ? cfg->connect_timeout_ms : DEFAULT_CONNECT_MS;
	e->request_ms = cfg->request_timeout_ms > 0 ? cfg->request_timeout_ms : DEFAULT_REQUEST_MS;
	if (set_strings(e, cfg, hostport, hlen) < 0) {
		free_strings(e);
		free(e);
		return err_set(err, "out of memory");
	}
	dlist_init(&e->reqs);
	dlist_init(&e->waiting);
	dlist_init(&e->events);
	dlist_init(&e->mock_streams);
	e->mock = mock;
	e->loop = loop;
	dlist_add_tail(&loop->engines, &e->loop_link);
	*out = e;
	return 0;
}

void engine_detach(engine_t *e)
{
	if (!e->loop)
		return;
	events_detach_all(e);
	while (!dlist_empty(&e->reqs))
		req_abort(DLIST_ENTRY(e->reqs.next, engine_req_t, elink));
	e->ping = NULL;
	e->api_ok = false;
	dlist_del(&e->loop_link);
	e->loop = NULL;
}

void engine_free(engine_t *e)
{
	if (!e)
		return;
	engine_detach(e);
	mock_engine_free(e);
	free_strings(e);
	free(e);
}

const char *engine_url(const engine_t *e)
{
	return e->url;
}
