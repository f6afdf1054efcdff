/*
 * tests/unit/core/test_uuid.c: the UUIDs jobs and stores get: their form,
 * version and variant; a version 7 one starts with the clock, so that later
 * ones sort after earlier ones (what keeps the jobs' uuid index growing at
 * one end).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "util/uuid.h"

static void assert_form(const char *u, char version)
{
	assert_int_equal(strlen(u), 36);
	for (int i = 0; i < 36; i++) {
		if (i == 8 || i == 13 || i == 18 || i == 23)
			assert_int_equal(u[i], '-');
		else
			assert_non_null(strchr("0123456789abcdef", u[i]));
	}
	assert_int_equal(u[14], version);
	assert_non_null(strchr("89ab", u[19]));
}

static void test_v4_form(void **state)
{
	(void)state;
	char a[37], b[37];
	assert_int_equal(uuid_v4(a), 0);
	assert_int_equal(uuid_v4(b), 0);
	assert_form(a, '4');
	assert_form(b, '4');
	assert_string_not_equal(a, b);
}

static uint64_t ms_prefix(const char *u)
{
	char hex[13];
	memcpy(hex, u, 8);
	memcpy(hex + 8, u + 9, 4);
	hex[12] = '\0';
	return strtoull(hex, NULL, 16);
}

static void test_v7_form_clock_and_order(void **state)
{
	(void)state;
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	uint64_t before = (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
	char a[37], b[37];
	assert_int_equal(uuid_v7(a), 0);
	assert_form(a, '7');
	clock_gettime(CLOCK_REALTIME, &ts);
	uint64_t after = (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
	assert_true(ms_prefix(a) >= before && ms_prefix(a) <= after);
	/* A millisecond later, a later uuid sorts after (as text, as SQLite
	 * compares them). */
	struct timespec two_ms = {0, 2000000};
	nanosleep(&two_ms, NULL);
	assert_int_equal(uuid_v7(b), 0);
	assert_true(strcmp(a, b) < 0);
	/* Within one millisecond they still differ (74 random bits). */
	char c[37], d[37];
	assert_int_equal(uuid_v7(c), 0);
	assert_int_equal(uuid_v7(d), 0);
	assert_string_not_equal(c, d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_v4_form),
		cmocka_unit_test(test_v7_form_clock_and_order),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
