/*
 * tests/unit/store/test_codec.c: the byte-exact string-vector codec that
 * argv and env lists are stored with, including damaged input.
 */
#include "helpers.h"

#include <stdlib.h>
#include <string.h>

#include "store/store_int.h"

static void round_trip(char *const *v, size_t n)
{
	strbuf_t sb;
	char *err = NULL, **out = NULL;
	size_t m = 99;
	OK(strv_encode(v, n, &sb, &err));
	assert_non_null(sb.buf);
	OK(strv_decode(sb.buf, sb.len, &out, &m, &err));
	assert_int_equal(m, n);
	for (size_t i = 0; i < n; i++)
		assert_string_equal(out[i], v[i]);
	assert_null(out[n]);
	strv_free(out);
	sb_free(&sb);
}

static void test_round_trips(void **state)
{
	(void)state;
	char *awkward[] = {"", "a b", "\"q\" 'q'", "line\nline\r\n", "\xff\x80\xc3",
			   "", "=", NULL};
	round_trip(awkward, 7);
	round_trip(awkward, 1);
	round_trip(NULL, 0);
	char *big = malloc(70000);
	memset(big, 'x', 69999);
	big[69999] = '\0';
	char *one[] = {big, NULL};
	round_trip(one, 1);
	free(big);
}

static void test_empty_decodes_to_empty_vector(void **state)
{
	(void)state;
	char **out = NULL, *err = NULL;
	size_t n = 5;
	OK(strv_decode(NULL, 0, &out, &n, &err));
	assert_non_null(out);
	assert_null(out[0]);
	assert_int_equal(n, 0);
	strv_free(out);
}

static void expect_damaged(const void *data, size_t len, const char *why)
{
	char **out = NULL, *err = NULL;
	size_t n = 0;
	assert_int_equal(strv_decode(data, len, &out, &n, &err), -1);
	assert_null(out);
	assert_err_contains(err, why);
}

static void test_damaged(void **state)
{
	(void)state;
	expect_damaged("\0\0", 2, "truncated length");
	expect_damaged("\0\0\0\x05" "abc", 7, "past the end");
	expect_damaged("\0\0\0\x03" "a\0c", 7, "NUL inside");
	expect_damaged("\0\0\0\x01" "a" "\0\0\0", 8, "truncated length");
	expect_damaged("\xff\xff\xff\xff", 4, "past the end");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trips),
		cmocka_unit_test(test_empty_decodes_to_empty_vector),
		cmocka_unit_test(test_damaged),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
