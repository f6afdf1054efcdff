/*
 * tests/unit/core/test_timeutil.c: util/timeutil.c. format_duration at each
 * boundary between its forms (999ms, 1.0s, 59.9s, 1m00s, 59m59s, 1h00m) and
 * that a form never shows a value belonging to the next one (no "60.0s"),
 * format_time (0 and negative are "-", UTC ISO 8601, milliseconds dropped;
 * its own calendar arithmetic equal to the C library's to 9999),
 * and the two clocks.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>

#include <cmocka.h>

#include <string.h>

#include "util/timeutil.h"

static void dur_is(int64_t ms, const char *want)
{
	char buf[64];
	memset(buf, 'x', sizeof(buf));
	char *got = format_duration(ms, buf, sizeof(buf));
	assert_ptr_equal(got, buf);
	if (strcmp(buf, want) != 0)
		fail_msg("format_duration(%lld) = '%s', want '%s'", (long long)ms, buf, want);
}

static void test_duration_forms(void **state)
{
	(void)state;
	dur_is(-1, "-");
	dur_is(INT64_MIN, "-");
	dur_is(0, "0ms");
	dur_is(1, "1ms");
	dur_is(850, "850ms");
	dur_is(999, "999ms");
	dur_is(1000, "1.0s");
	dur_is(1099, "1.0s");
	dur_is(1100, "1.1s");
	dur_is(12345, "12.3s");
	dur_is(59900, "59.9s");
	dur_is(60000, "1m00s");
	dur_is(60999, "1m00s");
	dur_is(61000, "1m01s");
	dur_is(245000, "4m05s");
	dur_is(3599999, "59m59s");
	dur_is(3600000, "1h00m");
	dur_is(7800000, "2h10m");
	dur_is(3600000LL * 100 + 59 * 60000, "100h59m");
}

/* Just below each boundary the value must stay in its own form and not be
 * rounded up into a number the next form would show differently. */
static void test_duration_no_round_up(void **state)
{
	(void)state;
	dur_is(59949, "59.9s");
	dur_is(59950, "59.9s");
	dur_is(59999, "59.9s");
	dur_is(1999, "1.9s");
	dur_is(9999, "9.9s");
	for (int64_t ms = 1000; ms < 60000; ms += 7) {
		char buf[32];
		format_duration(ms, buf, sizeof(buf));
		assert_null(strstr(buf, "60.0"));
		assert_int_equal(buf[strlen(buf) - 1], 's');
	}
}

static void test_duration_small_buffer(void **state)
{
	(void)state;
	char buf[4];
	format_duration(123456, buf, sizeof(buf));
	assert_int_equal(strlen(buf), 3); /* truncated, still terminated */
	assert_string_equal(buf, "2m0");
}

static void time_is(int64_t ms, const char *want)
{
	char buf[32];
	memset(buf, 'x', sizeof(buf));
	char *got = format_time(ms, buf, sizeof(buf));
	assert_ptr_equal(got, buf);
	if (strcmp(buf, want) != 0)
		fail_msg("format_time(%lld) = '%s', want '%s'", (long long)ms, buf, want);
}

static void test_format_time(void **state)
{
	(void)state;
	time_is(0, "-");
	time_is(-1, "-");
	time_is(-86400000, "-");
	time_is(1, "1970-01-01T00:00:00Z");
	time_is(1000, "1970-01-01T00:00:01Z");
	time_is(1714558272123LL, "2024-05-01T10:11:12Z");
	time_is(1714558272999LL, "2024-05-01T10:11:12Z");
	time_is(951868799000LL, "2000-02-29T23:59:59Z");
	time_is(1795557600000LL, "2026-11-24T22:00:00Z");
	time_is(253402300799000LL, "9999-12-31T23:59:59Z");
}

/* The calendar arithmetic against the C library's gmtime and strftime,
 * at every day's first and last second from 1970 to 2199 and every 97th
 * day after it to 9999 (leap years, century rules, 2000), with
 * milliseconds. */
static void test_format_time_matches_libc(void **state)
{
	(void)state;
	for (int64_t day = 0; day < 2932897; day += day < 84006 ? 1 : 97) {
		int64_t secs[] = {day * 86400, day * 86400 + 86399, day * 86400 + day % 86400};
		for (size_t k = 0; k < 3; k++) {
			if (secs[k] == 0)
				continue;
			int64_t ms = secs[k] * 1000 + day % 1000;
			time_t t = (time_t)secs[k];
			struct tm tm;
			char want[40], got[40], want_ms[48], got_ms[48];
			assert_non_null(gmtime_r(&t, &tm));
			strftime(want, sizeof(want), "%Y-%m-%dT%H:%M:%SZ", &tm);
			format_time(ms, got, sizeof(got));
			if (strcmp(got, want) != 0)
				fail_msg("format_time(%lld) = '%s', want '%s'", (long long)ms, got, want);
			snprintf(want_ms, sizeof(want_ms), "%.19s.%03dZ", want, (int)(ms % 1000));
			format_time_ms(ms, got_ms, sizeof(got_ms));
			if (strcmp(got_ms, want_ms) != 0)
				fail_msg("format_time_ms(%lld) = '%s', want '%s'", (long long)ms,
					 got_ms, want_ms);
		}
	}
	char buf[40];
	assert_string_equal(format_time(253402300800000LL, buf, sizeof(buf)),
			    "10000-01-01T00:00:00Z");
	assert_string_equal(format_time_ms(253402300800001LL, buf, sizeof(buf)),
			    "10000-01-01T00:00:00.001Z");
	assert_string_equal(format_time_ms(0, buf, sizeof(buf)), "-");
	char small[10];
	format_time_ms(1714558272123LL, small, sizeof(small));
	assert_string_equal(small, "2024-05-0");
}

static void test_clocks(void **state)
{
	(void)state;
	int64_t wall = now_ms();
	assert_true(wall > 1577836800000LL);      /* after 2020-01-01 */
	assert_true(wall < 4102444800000LL);      /* before 2100-01-01 */
	int64_t a = mono_ms();
	int64_t b = mono_ms();
	assert_true(a > 0);
	assert_true(b >= a);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_duration_forms),
		cmocka_unit_test(test_duration_no_round_up),
		cmocka_unit_test(test_duration_small_buffer),
		cmocka_unit_test(test_format_time),
		cmocka_unit_test(test_format_time_matches_libc),
		cmocka_unit_test(test_clocks),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
