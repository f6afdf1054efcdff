/*
 * tests/unit/engine/test_rfc3339.c: the engine's timestamps to unix ms,
 * including its "never" value, offsets, leap days, and refusals.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "engine/rfc3339.h"

static int64_t ok(const char *s)
{
	int64_t ms = -42;
	assert_true(rfc3339_ms(s, &ms));
	return ms;
}

static void test_valid(void **state)
{
	(void)state;
	assert_int_equal(ok("0001-01-01T00:00:00Z"), 0);
	assert_int_equal(ok("1970-01-01T00:00:00Z"), 0);
	assert_int_equal(ok("1970-01-01T00:00:01Z"), 1000);
	assert_int_equal(ok("2024-05-01T10:11:12.123456789Z"), 1714558272123LL);
	assert_int_equal(ok("2024-05-01T10:11:12.1239Z"), 1714558272123LL);
	assert_int_equal(ok("2024-05-01T10:11:12.1Z"), 1714558272100LL);
	assert_int_equal(ok("2024-05-01T10:11:12Z"), 1714558272000LL);
	assert_int_equal(ok("2024-05-01T12:11:12.123+02:00"), 1714558272123LL);
	assert_int_equal(ok("2024-05-01T05:41:12.123-04:30"), 1714558272123LL);
	assert_int_equal(ok("2000-02-29T23:59:59Z"), 951868799000LL);
	assert_int_equal(ok("2024-05-01t10:11:12z"), 1714558272000LL);
}

static void test_invalid(void **state)
{
	(void)state;
	static const char *bad[] = {
		"", "2024", "2024-05-01", "2024-05-01T10:11:12", "2024-05-01T10:11:12ZX",
		"2024-13-01T00:00:00Z", "2024-00-01T00:00:00Z", "2023-02-29T00:00:00Z",
		"1900-02-29T00:00:00Z", "2024-04-31T00:00:00Z", "2024-05-01T24:00:00Z",
		"2024-05-01T10:60:00Z", "2024-05-01T10:11:12.Z", "2024-05-01T10:11:12+0200",
		"2024-5-01T10:11:12Z", "2024-05-01T10:11:12+24:00", " 2024-05-01T10:11:12Z",
		"2024-05-01X10:11:12Z",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int64_t ms = 7;
		assert_false(rfc3339_ms(bad[i], &ms));
		assert_int_equal(ms, 7);
	}
	int64_t ms = 7;
	assert_false(rfc3339_ms(NULL, &ms));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_valid),
		cmocka_unit_test(test_invalid),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
