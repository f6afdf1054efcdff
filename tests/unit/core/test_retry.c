/*
 * tests/unit/core/test_retry.c: retry strategies (delays grow by their
 * factor, stop at their ceiling, jitter stays within 0.8..1.2), the
 * transient/permanent classification of engine failures, and the
 * --retry-on-exit-code lists.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/retry.h"

static void test_strategies_by_name(void **state)
{
	(void)state;
	assert_string_equal(retry_strategy_find(NULL)->name, "default");
	assert_string_equal(retry_strategy_find("")->name, "default");
	for (const char *const *n = retry_strategy_names; *n; n++)
		assert_string_equal(retry_strategy_find(*n)->name, *n);
	assert_null(retry_strategy_find("fast"));
	assert_null(retry_strategy_find("DEFAULT"));
}

static void test_delays_grow_and_stop_at_ceiling(void **state)
{
	(void)state;
	const retry_strategy_t *d = retry_strategy_find("default");
	/* Midpoint of the jitter: the plain exponential. */
	assert_int_equal(retry_delay_ms(d, 1, 0.5), 10000);
	assert_int_equal(retry_delay_ms(d, 2, 0.5), 20000);
	assert_int_equal(retry_delay_ms(d, 3, 0.5), 40000);
	assert_int_equal(retry_delay_ms(d, 7, 0.5), 600000);   /* 640 s > 10 min */
	assert_int_equal(retry_delay_ms(d, 1000, 0.5), 600000);  /* no overflow */
	const retry_strategy_t *a = retry_strategy_find("aggressive");
	assert_int_equal(retry_delay_ms(a, 1, 0.5), 1000);
	assert_int_equal(retry_delay_ms(a, 2, 0.5), 1500);
	assert_int_equal(retry_delay_ms(a, 100, 0.5), 60000);
	const retry_strategy_t *c = retry_strategy_find("conservative");
	assert_int_equal(retry_delay_ms(c, 2, 0.5), 180000);
	assert_int_equal(retry_delay_ms(c, 50, 0.5), 3600000);
}

static void test_jitter_bounds(void **state)
{
	(void)state;
	const retry_strategy_t *d = retry_strategy_find("default");
	assert_int_equal(retry_delay_ms(d, 1, 0.0), 8000);
	assert_in_range(retry_delay_ms(d, 1, 0.999999), 11999, 12000);
	/* Never past the ceiling, even with the jitter up. */
	assert_int_equal(retry_delay_ms(d, 30, 0.99), 600000);
	/* Out-of-range randomness is treated as the midpoint. */
	assert_int_equal(retry_delay_ms(d, 1, 7.0), 10000);
	for (int i = 0; i < 1000; i++) {
		double r = retry_random01();
		assert_true(r >= 0.0 && r < 1.0);
		assert_in_range(retry_delay_ms(d, 2, r), 16000, 24000);
	}
}

static void test_classify(void **state)
{
	(void)state;
	assert_int_equal(retry_classify(0, true, false, "connection refused"), RETRY_TRANSIENT);
	assert_int_equal(retry_classify(0, false, true, NULL), RETRY_TRANSIENT);
	assert_int_equal(retry_classify(500, false, false,
					"write /var/lib/docker/x: no space left on device"),
			 RETRY_TRANSIENT);
	assert_int_equal(retry_classify(500, false, false, "fork: Resource temporarily unavailable"),
			 RETRY_TRANSIENT);
	assert_int_equal(retry_classify(500, false, false, "cannot allocate memory"),
			 RETRY_TRANSIENT);
	assert_int_equal(retry_classify(500, false, false, "read: connection reset by peer"),
			 RETRY_TRANSIENT);
	/* An engine error of a kind nobody listed: 5xx is the engine's fault. */
	assert_int_equal(retry_classify(500, false, false,
					"failed to update store for object type *libnetwork.endpoint: "
					"open : no such file or directory"),
			 RETRY_TRANSIENT);
	assert_int_equal(retry_classify(404, false, false, "No such image: nosuch:latest"),
			 RETRY_PERMANENT);
	assert_int_equal(retry_classify(400, false, false,
					"OCI runtime create failed: exec: \"/nope\": stat /nope: "
					"no such file or directory: unknown"),
			 RETRY_PERMANENT);
	assert_int_equal(retry_classify(500, false, false,
					"exec: \"nope\": executable file not found in $PATH"),
			 RETRY_PERMANENT);
	assert_int_equal(retry_classify(500, false, false, "open /x: permission denied"),
			 RETRY_PERMANENT);
	assert_int_equal(retry_classify(400, false, false, "invalid reference format"),
			 RETRY_PERMANENT);
	assert_int_equal(retry_classify(409, false, false, "something else"), RETRY_PERMANENT);
}

/* The message decides before the HTTP status, and a transient cause decides
 * before a permanent word later in the same chain: a full disk is retried
 * whatever status and wording the engine wraps it in, and a missing
 * executable is never retried even when the engine answers 500. */
static void test_classify_kind_before_status(void **state)
{
	(void)state;
	assert_int_equal(retry_classify(400, false, false,
					"mkdir /var/lib/docker/overlay2/x: no space left on device"),
			 RETRY_TRANSIENT);
	assert_int_equal(retry_classify(500, false, false,
					"write /var/lib/docker/x: no space left on device: "
					"invalid argument"),
			 RETRY_TRANSIENT);
	assert_int_equal(retry_classify(500, false, false,
					"OCI runtime create failed: runc create failed: unable to "
					"start container process: exec: \"/nope\": stat /nope: no such "
					"file or directory: unknown"),
			 RETRY_PERMANENT);
	assert_int_equal(retry_classify(500, false, false, "exec format error"), RETRY_PERMANENT);
}

/* A registry's refusal, in the words engines and registries use for it,
 * is permanent even when a transient word rides along; a file's
 * "permission denied" and a plain missing image are no refusal. */
static void test_auth_refusals(void **state)
{
	(void)state;
	static const char *const refused[] = {
		"Head \"https://127.0.0.1:5000/v2/busybox/manifests/1\": no basic auth credentials",
		"unauthorized: authentication required",
		"Get https://r.example/v2/: UNAUTHORIZED: timeout waiting for token",
		"pull access denied for private/app, repository does not exist or may require "
		"'docker login': denied: requested access to the resource is denied",
		"error parsing HTTP 403 response body: denied: access forbidden",
		NULL,
	};
	for (const char *const *m = refused; *m; m++) {
		assert_true(retry_auth_refused(500, *m));
		assert_int_equal(retry_classify(500, false, false, *m), RETRY_PERMANENT);
	}
	assert_true(retry_auth_refused(401, "x"));
	assert_true(retry_auth_refused(403, NULL));
	assert_false(retry_auth_refused(500, "open /x: permission denied"));
	assert_false(retry_auth_refused(500, "OCI runtime create failed: open /x: permission "
					     "denied: unknown"));
	assert_true(retry_auth_refused(500, "denied: requested access"));
	assert_true(retry_auth_refused(500, "x: Denied: project not found"));
	assert_false(retry_auth_refused(404, "manifest unknown"));
	assert_false(retry_auth_refused(500, NULL));
	/* An engine's plain-HTTP try at a TLS registry, after a refusal it
	 * does not report: the same every time. */
	assert_int_equal(retry_classify(500, false, false,
					"Get \"http://127.0.0.1:5000/v2/\": Client sent an HTTP "
					"request to an HTTPS server."),
			 RETRY_PERMANENT);
	/* An engine that cannot be reached decides before any wording. */
	assert_int_equal(retry_classify(0, true, false, "unauthorized"), RETRY_TRANSIENT);
}

static void test_exit_code_lists(void **state)
{
	(void)state;
	char *err = NULL;
	assert_int_equal(retry_exit_codes_check("any", &err), 0);
	assert_int_equal(retry_exit_codes_check("1", &err), 0);
	assert_int_equal(retry_exit_codes_check("1,75,255", &err), 0);
	const char *bad[] = {"", "0", "256", "1,", ",1", "1,,2", "a", "1;2", "-1", " 1",
			     "99999999999999999999", "ANY", NULL};
	for (const char **b = bad; *b; b++) {
		assert_int_equal(retry_exit_codes_check(*b, &err), -1);
		assert_non_null(err);
		free(err);
		err = NULL;
	}
	assert_int_equal(retry_exit_codes_check(NULL, &err), -1);
	free(err);
	assert_true(retry_exit_code_matches("any", 3));
	assert_false(retry_exit_code_matches("any", 0));
	assert_true(retry_exit_code_matches("1,75,255", 75));
	assert_true(retry_exit_code_matches("1,75,255", 255));
	assert_false(retry_exit_code_matches("1,75,255", 7));
	assert_false(retry_exit_code_matches("17", 1));
	assert_false(retry_exit_code_matches(NULL, 1));
}

/* A job's own delays over its strategy: written as text, read back. */
static void test_policy_overrides(void **state)
{
	(void)state;
	char *text = NULL, *err = NULL;
	retry_strategy_t p;
	/* No override: the name alone, none for the default. */
	assert_int_equal(retry_policy_format(NULL, 0, 0, 0, &text, &err), 0);
	assert_null(text);
	assert_int_equal(retry_policy_format("aggressive", 0, 0, 0, &text, &err), 0);
	assert_string_equal(text, "aggressive");
	free(text);
	assert_int_equal(retry_policy_format("default", 2, 1500, 30, &text, &err), 0);
	assert_string_equal(text, "default;delay=2;factor=1.500;max=30");
	assert_int_equal(retry_policy_parse(text, &p, &err), 0);
	assert_string_equal(p.name, "default");
	assert_int_equal(p.base_ms, 2000);
	assert_true(p.factor > 1.499 && p.factor < 1.501);
	assert_int_equal(p.ceiling_ms, 30000);
	assert_int_equal(retry_delay_ms(&p, 1, 0.5), 2000);
	assert_int_equal(retry_delay_ms(&p, 2, 0.5), 3000);
	assert_int_equal(retry_delay_ms(&p, 20, 0.5), 30000);
	free(text);
	/* One override keeps the strategy's other values. */
	assert_int_equal(retry_policy_format("conservative", 0, 1000, 0, &text, &err), 0);
	assert_int_equal(retry_policy_parse(text, &p, &err), 0);
	assert_int_equal(p.base_ms, 60000);
	assert_int_equal(retry_delay_ms(&p, 5, 0.5), 60000);
	assert_int_equal(p.ceiling_ms, 3600000);
	free(text);
	assert_int_equal(retry_policy_parse(NULL, &p, &err), 0);
	assert_string_equal(p.name, "default");
	/* Refused: a ceiling below the first delay, values out of range, and
	 * texts cjobs does not write. */
	assert_int_equal(retry_policy_format("default", 60, 0, 30, &text, &err), -1);
	assert_non_null(strstr(err, "shorter than the first retry's delay"));
	free(err);
	err = NULL;
	assert_int_equal(retry_policy_format("default", 0, 500, 0, &text, &err), -1);
	free(err);
	err = NULL;
	assert_int_equal(retry_policy_format("fast", 0, 0, 0, &text, &err), -1);
	free(err);
	const char *bad[] = {"default;", "default;delay=", "default;delay=0", "default;speed=2",
			     "default;factor=1.5x", "default;delay=2;max=1", "nosuch;delay=2",
			     "default;factor=0.5", NULL};
	for (size_t i = 0; bad[i]; i++) {
		err = NULL;
		assert_int_equal(retry_policy_parse(bad[i], &p, &err), -1);
		assert_non_null(err);
		free(err);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_strategies_by_name),
		cmocka_unit_test(test_delays_grow_and_stop_at_ceiling),
		cmocka_unit_test(test_jitter_bounds),
		cmocka_unit_test(test_classify),
		cmocka_unit_test(test_classify_kind_before_status),
		cmocka_unit_test(test_auth_refusals),
		cmocka_unit_test(test_exit_code_lists),
		cmocka_unit_test(test_policy_overrides),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
