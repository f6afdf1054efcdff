/*
 * tests/unit/core/test_parse.c: the strict parsers of util/parse.c.
 * parse_int64 (whitespace, trailing junk, overflow, bounds), parse_size
 * (suffixes k/m/g/t with optional b/ib, fractions, refusals of negative,
 * hex, exponent and overflow), parse_duration_s (plain seconds, units,
 * combinations, overflow), parse_cpus, parse_when (now, +duration, -duration, @secs,
 * ISO forms with and without Z, date only, impossible dates, overflow) and
 * parse_bool. Every refusal also checks that the output is left untouched.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>

#include "util/parse.h"

#define UNTOUCHED ((int64_t)0x5eed5eed)

/* ---- parse_int64 ---- */

static int64_t int_ok(const char *s, int64_t min, int64_t max)
{
	int64_t v = UNTOUCHED;
	if (!parse_int64(s, min, max, &v))
		fail_msg("parse_int64('%s') refused", s);
	return v;
}

static void int_bad(const char *s, int64_t min, int64_t max)
{
	int64_t v = UNTOUCHED;
	if (parse_int64(s, min, max, &v))
		fail_msg("parse_int64('%s') accepted as %lld", s ? s : "(null)", (long long)v);
	assert_int_equal(v, UNTOUCHED);
}

static void test_int64(void **state)
{
	(void)state;
	assert_int_equal(int_ok("0", INT64_MIN, INT64_MAX), 0);
	assert_int_equal(int_ok("42", INT64_MIN, INT64_MAX), 42);
	assert_int_equal(int_ok("-42", INT64_MIN, INT64_MAX), -42);
	assert_int_equal(int_ok("007", INT64_MIN, INT64_MAX), 7); /* decimal, not octal */
	assert_int_equal(int_ok("-0", INT64_MIN, INT64_MAX), 0);
	assert_int_equal(int_ok("9223372036854775807", INT64_MIN, INT64_MAX), INT64_MAX);
	assert_int_equal(int_ok("-9223372036854775808", INT64_MIN, INT64_MAX), INT64_MIN);

	static const char *const bad[] = {
		"", " 1", "\t1", "\n1", "1 ", "1\n", "12x", "x", "0x10", "1.0", "1e3", "1,000",
		"--1", "-", "+", "9223372036854775808", "-9223372036854775809",
		"99999999999999999999999",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		int_bad(bad[i], INT64_MIN, INT64_MAX);
	int_bad(NULL, INT64_MIN, INT64_MAX);
}

static void test_int64_bounds(void **state)
{
	(void)state;
	assert_int_equal(int_ok("0", 0, 10), 0);
	assert_int_equal(int_ok("10", 0, 10), 10);
	int_bad("11", 0, 10);
	int_bad("-1", 0, 10);
	assert_int_equal(int_ok("-5", -5, -1), -5);
	int_bad("0", -5, -1);
	int_bad("-6", -5, -1);
	assert_int_equal(int_ok("7", 7, 7), 7);
	int_bad("8", 7, 7);
}

/* ---- parse_size ---- */

static int64_t size_ok(const char *s)
{
	int64_t v = UNTOUCHED;
	if (!parse_size(s, &v))
		fail_msg("parse_size('%s') refused", s);
	return v;
}

static void test_size(void **state)
{
	(void)state;
	const int64_t K = 1024, M = K * K, G = M * K, T = G * K;
	assert_int_equal(size_ok("0"), 0);
	assert_int_equal(size_ok("512"), 512);
	assert_int_equal(size_ok("64k"), 64 * K);
	assert_int_equal(size_ok("64K"), 64 * K);
	assert_int_equal(size_ok("256m"), 256 * M);
	assert_int_equal(size_ok("256M"), 256 * M);
	assert_int_equal(size_ok("2g"), 2 * G);
	assert_int_equal(size_ok("3t"), 3 * T);
	assert_int_equal(size_ok("1.5g"), 3 * G / 2);
	assert_int_equal(size_ok("0.5m"), M / 2);
	assert_int_equal(size_ok(".5k"), 512);
	assert_int_equal(size_ok("1.25k"), 1280);
	assert_int_equal(size_ok("10b"), 10);
	assert_int_equal(size_ok("10B"), 10);
	assert_int_equal(size_ok("1kb"), K);
	assert_int_equal(size_ok("1KB"), K);
	assert_int_equal(size_ok("1kib"), K);
	assert_int_equal(size_ok("1KiB"), K);
	assert_int_equal(size_ok("6mb"), 6 * M);
	assert_int_equal(size_ok("6MiB"), 6 * M);
	assert_int_equal(size_ok("2gib"), 2 * G);
	assert_int_equal(size_ok("1tb"), T);
	assert_int_equal(size_ok("8000000t"), 8000000 * T);
}

static void test_size_refused(void **state)
{
	(void)state;
	static const char *const bad[] = {
		"", " 1", "1 ", "1 k", "-1", "-1k", "+1", "0x10", "0x1p3", "1e3", "1E3", "1e3k",
		"inf", "nan", "k", "b", ".", ".k", "1x", "1kk", "1ib", "1bb", "1kibb", "1kbb",
		"1.5", "0.1k", "1.1k", "1,5g", "1g ", "1.5.5g", "1p",
		"8388608t",          /* 2^63: does not fit */
		"99999999999999999999", "1e308",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int64_t v = UNTOUCHED;
		if (parse_size(bad[i], &v))
			fail_msg("parse_size('%s') accepted as %lld", bad[i], (long long)v);
		assert_int_equal(v, UNTOUCHED);
	}
	int64_t v = UNTOUCHED;
	assert_false(parse_size(NULL, &v));
	assert_int_equal(v, UNTOUCHED);
}

/* ---- parse_duration_s ---- */

static int64_t dur_ok(const char *s)
{
	int64_t v = UNTOUCHED;
	if (!parse_duration_s(s, &v))
		fail_msg("parse_duration_s('%s') refused", s);
	return v;
}

static void test_duration(void **state)
{
	(void)state;
	assert_int_equal(dur_ok("0"), 0);
	assert_int_equal(dur_ok("30"), 30);
	assert_int_equal(dur_ok("0s"), 0);
	assert_int_equal(dur_ok("90s"), 90);
	assert_int_equal(dur_ok("5m"), 300);
	assert_int_equal(dur_ok("2h"), 7200);
	assert_int_equal(dur_ok("7d"), 604800);
	assert_int_equal(dur_ok("1h30m"), 5400);
	assert_int_equal(dur_ok("1d2h3m4s"), 93784);
	assert_int_equal(dur_ok("90m"), 5400);
	/* The largest plain value and the largest in days. */
	assert_int_equal(dur_ok("9223372036854775"), INT64_MAX / 1000);
	assert_int_equal(dur_ok("9223372036854775s"), INT64_MAX / 1000);
	assert_int_equal(dur_ok("106751991167d"), 106751991167LL * 86400);
}

static void test_duration_refused(void **state)
{
	(void)state;
	static const char *const bad[] = {
		"", " 5", "5 ", "-5", "-5s", "+5s", "5x", "5ms", "m", "s", "h5", "1.5h", "1h 30m",
		"1H", "5S", "5mm", "1h30", "1h-30m", "5w", "5y", "0x10", "1e3",
		"9223372036854776",        /* INT64_MAX / 1000 + 1: ms would overflow */
		"9223372036854776s",
		"106751991168d",
		"9223372036854775s1s",     /* the sum overflows */
		"99999999999999999999s",   /* strtoll overflow */
		"99999999999999999999",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int64_t v = UNTOUCHED;
		if (parse_duration_s(bad[i], &v))
			fail_msg("parse_duration_s('%s') accepted as %lld", bad[i], (long long)v);
		assert_int_equal(v, UNTOUCHED);
	}
	int64_t v = UNTOUCHED;
	assert_false(parse_duration_s(NULL, &v));
	assert_int_equal(v, UNTOUCHED);
}

/* ---- parse_cpus ---- */

static int64_t cpus_ok(const char *s)
{
	int64_t v = UNTOUCHED;
	if (!parse_cpus(s, &v))
		fail_msg("parse_cpus('%s') refused", s);
	return v;
}

static void test_cpus(void **state)
{
	(void)state;
	assert_int_equal(cpus_ok("0"), 0);
	assert_int_equal(cpus_ok("0.5"), 500000000);
	assert_int_equal(cpus_ok(".25"), 250000000);
	assert_int_equal(cpus_ok("2"), 2000000000);
	assert_int_equal(cpus_ok("0.01"), 10000000);
	assert_int_equal(cpus_ok("1.5"), 1500000000);
	assert_int_equal(cpus_ok("0.1"), 100000000); /* rounded, not truncated */
	assert_int_equal(cpus_ok("0.7"), 700000000);
	assert_int_equal(cpus_ok("1024"), 1024000000000LL);
	assert_int_equal(cpus_ok("1000000"), 1000000000000000LL);
	assert_int_equal(cpus_ok("0.000000001"), 1);

	static const char *const bad[] = {
		"", " 1", "1 ", "-1", "-0.5", "+1", "1e3", "1E-3", "0x1", "inf", "nan", "1.5x",
		"1,5", "two", ".", "1000001",
		/* So small that it rounds to 0, which would mean "no limit". */
		"0.0000000001", "0.0000000004",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int64_t v = UNTOUCHED;
		if (parse_cpus(bad[i], &v))
			fail_msg("parse_cpus('%s') accepted as %lld", bad[i], (long long)v);
		assert_int_equal(v, UNTOUCHED);
	}
	int64_t v = UNTOUCHED;
	assert_false(parse_cpus(NULL, &v));
}

/* ---- parse_when ---- */

#define NOW 1700000000123LL

static int64_t when_ok(const char *s)
{
	int64_t v = UNTOUCHED;
	if (!parse_when(s, NOW, &v))
		fail_msg("parse_when('%s') refused", s);
	return v;
}

static void test_when(void **state)
{
	(void)state;
	assert_int_equal(when_ok("now"), NOW);
	assert_int_equal(when_ok("+10m"), NOW + 600000);
	assert_int_equal(when_ok("+90"), NOW + 90000);
	assert_int_equal(when_ok("+0"), NOW);
	assert_int_equal(when_ok("+1h30m"), NOW + 5400000);
	/* "Ago": the --since of the last week. */
	assert_int_equal(when_ok("-7d"), NOW - 7 * 86400000LL);
	assert_int_equal(when_ok("-90"), NOW - 90000);
	assert_int_equal(when_ok("-0"), NOW);
	assert_int_equal(when_ok("-1h30m"), NOW - 5400000);
	assert_int_equal(when_ok("-1700000000"), 123); /* the last ms after 1970 */
	assert_int_equal(when_ok("@0"), 0);
	assert_int_equal(when_ok("@1764000000"), 1764000000000LL);
	assert_int_equal(when_ok("@9223372036854775"), INT64_MAX / 1000 * 1000);
	/* ISO 8601, all UTC; Z optional. */
	assert_int_equal(when_ok("2026-11-24T22:00:00Z"), 1795557600000LL);
	assert_int_equal(when_ok("2026-11-24T22:00:00"), 1795557600000LL);
	assert_int_equal(when_ok("2026-11-24 22:00:00"), 1795557600000LL);
	assert_int_equal(when_ok("2026-11-24T22:30:15Z"), 1795559415000LL);
	assert_int_equal(when_ok("2026-11-24T22:00Z"), 1795557600000LL);
	assert_int_equal(when_ok("2026-11-24T22:00"), 1795557600000LL);
	assert_int_equal(when_ok("2026-11-24 22:00"), 1795557600000LL);
	assert_int_equal(when_ok("2026-11-24"), 1795478400000LL);
	assert_int_equal(when_ok("2024-02-29"), 1709164800000LL); /* leap day */
	assert_int_equal(when_ok("1970-01-01T00:00:01Z"), 1000);
	assert_int_equal(when_ok("2026-12-31T23:59:59Z"), 1798761599000LL);
	/* Fractions of a second, as JavaScript's toISOString writes them. */
	assert_int_equal(when_ok("2026-11-24T22:30:15.123Z"), 1795559415123LL);
	assert_int_equal(when_ok("2026-11-24T22:30:15.5Z"), 1795559415500LL);
	assert_int_equal(when_ok("2026-11-24T22:30:15.123456789"), 1795559415123LL);
	assert_int_equal(when_ok("2026-11-24 22:30:15.000"), 1795559415000LL);
}

static void test_when_refused(void **state)
{
	(void)state;
	static const char *const bad[] = {
		"", "NOW", "Now", " now", "now ", "+", "+x", "+-5", "+ 5", "+5x", "@", "@-1",
		"@1.5", "@ 1", "@1 ", "tomorrow", "yesterday", "12:00",
		"2026-11-24T22:00:00+01:00", "2026-11-24T22:00:00ZZ", "2026-11-24T22:00:00z",
		"2026-11-24X", "2026-11-24 ", "2026-11-24T", "2026-11", "2026",
		"2026-13-01", "2026-00-10", "2026-11-32", "2026-11-00", "2026-11-24T25:00",
		"2026-11-24T22:60", "2026/11/24", "24-11-2026",
		/* strptime alone would take these; they are not what a person means. */
		" 2026-11-24", "2026-11-24  22:00", "2026-11-24T 22:00Z", "26-11-24", "2026-1-2",
		"2026-02-31", "2023-02-29", "2026-04-31", "2026-11-24T22:00:60Z",
		"12026-01-01",
		/* Fractions: only after whole seconds, 1 to 9 digits. */
		"2026-11-24T22:30:15.Z", "2026-11-24T22:30:15.1234567890Z", "2026-11-24T22:30.5Z",
		"2026-11-24.5", "2026-11-24T22:30:15.12x", "2026-11-24T22:30:15.5ZZ",
		"2026-11-24T22:30:15.5.5", "@1.5.5",
		/* Past the largest time in ms. */
		"@9223372036854776", "+9223372036854775", "+106751991167d",
		/* Ago: a duration after the sign, and not before 1970. */
		"-", "-x", "--5", "- 5", "-5x", "-+5", "++5", "-1700000001", "-20000d",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int64_t v = UNTOUCHED;
		if (parse_when(bad[i], NOW, &v))
			fail_msg("parse_when('%s') accepted as %lld", bad[i], (long long)v);
		assert_int_equal(v, UNTOUCHED);
	}
	int64_t v = UNTOUCHED;
	assert_false(parse_when(NULL, NOW, &v));
	assert_int_equal(v, UNTOUCHED);
}

/* ---- parse_bool ---- */

static void test_bool(void **state)
{
	(void)state;
	static const char *const yes[] = {"1", "yes", "YES", "Yes", "true", "TRUE", "on", "On"};
	static const char *const no[] = {"0", "no", "NO", "false", "False", "off", "OFF"};
	static const char *const bad[] = {"", "y", "n", "t", "f", "2", "-1", "yes ", " yes",
					  "truee", "enable", "disabled", "nope", "01"};
	for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
		bool b = false;
		assert_true(parse_bool(yes[i], &b));
		assert_true(b);
	}
	for (size_t i = 0; i < sizeof(no) / sizeof(no[0]); i++) {
		bool b = true;
		assert_true(parse_bool(no[i], &b));
		assert_false(b);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		bool b = true;
		if (parse_bool(bad[i], &b))
			fail_msg("parse_bool('%s') accepted", bad[i]);
		assert_true(b);
		b = false;
		assert_false(parse_bool(bad[i], &b));
		assert_false(b);
	}
	bool b = true;
	assert_false(parse_bool(NULL, &b));
	assert_true(b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_int64),
		cmocka_unit_test(test_int64_bounds),
		cmocka_unit_test(test_size),
		cmocka_unit_test(test_size_refused),
		cmocka_unit_test(test_duration),
		cmocka_unit_test(test_duration_refused),
		cmocka_unit_test(test_cpus),
		cmocka_unit_test(test_when),
		cmocka_unit_test(test_when_refused),
		cmocka_unit_test(test_bool),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
