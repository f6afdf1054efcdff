/*
 * tests/unit/engine/test_config.c: engine_new's checks of the URL and TLS
 * files, and that its messages say what to fix. Connects nothing.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "engine/engine.h"

static engine_loop_t *loop;

static int setup(void **state)
{
	(void)state;
	loop = engine_loop_new();
	return loop ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	engine_loop_free(loop);
	return 0;
}

static void good(const char *url)
{
	engine_config_t cfg = {.url = url};
	engine_t *e = NULL;
	char *err = NULL;
	if (engine_new(loop, &cfg, &e, &err) != 0)
		fail_msg("%s refused: %s", url, err);
	assert_non_null(e);
	assert_string_equal(engine_url(e), url);
	engine_free(e);
}

static void bad_cfg(const engine_config_t *cfg, const char *want)
{
	engine_t *e = (engine_t *)1;
	char *err = NULL;
	assert_int_equal(engine_new(loop, cfg, &e, &err), -1);
	assert_null(e);
	assert_non_null(err);
	if (!strstr(err, want))
		fail_msg("for %s: message \"%s\" lacks \"%s\"", cfg->url ? cfg->url : "(null)", err,
			 want);
	free(err);
}

static void bad(const char *url, const char *want)
{
	engine_config_t cfg = {.url = url};
	bad_cfg(&cfg, want);
}

static void test_good_urls(void **state)
{
	(void)state;
	good("unix:///var/run/docker.sock");
	good("unix:///tmp/x");
	good("tcp://127.0.0.1:2376");
	good("tcp://127.0.0.1:1");
	good("tcp://127.0.0.1:65535");
	good("tcp://docker-host.example:2375");
	good("tcp://[::1]:2376");
	good("tcp://127.0.0.1:2376/");
}

static void test_bad_urls(void **state)
{
	(void)state;
	bad(NULL, "no engine URL");
	bad("", "no engine URL");
	bad("unix://", "absolute socket path");
	bad("unix://var/run/docker.sock", "absolute socket path");
	char longpath[200] = "unix:///";
	memset(longpath + 8, 'a', 150);
	bad(longpath, "at most 107");
	bad("tcp://127.0.0.1", "no port");
	bad("tcp://127.0.0.1:", "1 to 65535");
	bad("tcp://127.0.0.1:0", "1 to 65535");
	bad("tcp://127.0.0.1:65536", "1 to 65535");
	bad("tcp://127.0.0.1:99999999999999999999", "1 to 65535");
	bad("tcp://127.0.0.1:12x", "nothing after it");
	bad("tcp://127.0.0.1:2376/v1.41", "nothing after it");
	bad("tcp://:2376", "bad host name");
	bad("tcp://ho st:2376", "bad host name");
	bad("tcp://[::1:2376", "IPv6");
	bad("tcp://[::1]2376", "no port");
	bad("http://127.0.0.1:2375", "unix:///path/to/docker.sock, tcp://HOST:PORT or mock://");
	bad("mock://x", "is not one cjobs knows");
	bad("https://127.0.0.1:2376", "not by https://");
	bad("ssh://me@host", "is not one cjobs knows");
	bad("/var/run/docker.sock", "is not one cjobs knows");
}

static void test_tls(void **state)
{
	(void)state;
	char path[] = "/tmp/cjobs-engine-tls-XXXXXX";
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	close(fd);
	engine_config_t cfg = {.url = "tcp://127.0.0.1:2376", .tls_ca = path, .tls_cert = path,
			       .tls_key = path, .tls_verify = true};
	engine_t *e = NULL;
	char *err = NULL;
	assert_int_equal(engine_new(loop, &cfg, &e, &err), 0);
	engine_free(e);

	engine_config_t ca_only = {.url = "tcp://127.0.0.1:2376", .tls_ca = path};
	assert_int_equal(engine_new(loop, &ca_only, &e, &err), 0);
	engine_free(e);

	engine_config_t missing = cfg;
	missing.tls_key = "/nonexistent/key.pem";
	bad_cfg(&missing, "cannot read the TLS key file '/nonexistent/key.pem': No such file");

	engine_config_t half = {.url = "tcp://127.0.0.1:2376", .tls_cert = path};
	bad_cfg(&half, "give both tls_cert and tls_key");

	engine_config_t on_unix = {.url = "unix:///tmp/x.sock", .tls_ca = path};
	bad_cfg(&on_unix, "TLS needs a tcp:// URL");
	unlink(path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_good_urls),
		cmocka_unit_test(test_bad_urls),
		cmocka_unit_test(test_tls),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
