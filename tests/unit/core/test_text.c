/*
 * tests/unit/core/test_text.c: util/text.c: UTF-8 sequence lengths
 * (valid, overlong, surrogates, cut short) and printing untrusted text as
 * one plain line.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include <cmocka.h>

#include "util/text.h"

static void test_utf8_len(void **state)
{
	(void)state;
	assert_int_equal(utf8_len((const unsigned char *)"a"), 1);
	assert_int_equal(utf8_len((const unsigned char *)"\xc3\xa9"), 2);
	assert_int_equal(utf8_len((const unsigned char *)"\xe2\x82\xac"), 3);
	assert_int_equal(utf8_len((const unsigned char *)"\xf0\x9f\x98\x80"), 4);
	assert_int_equal(utf8_len((const unsigned char *)"\xc3"), 0);          /* cut short */
	assert_int_equal(utf8_len((const unsigned char *)"\xc0\xaf"), 0);      /* overlong */
	assert_int_equal(utf8_len((const unsigned char *)"\xed\xa0\x80"), 0);  /* surrogate */
	assert_int_equal(utf8_len((const unsigned char *)"\xf4\x90\x80\x80"), 0); /* > U+10FFFF */
	assert_int_equal(utf8_len((const unsigned char *)"\x80"), 0);
	assert_int_equal(utf8_len((const unsigned char *)"\xff"), 0);
}

static char *printable(const char *s)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	assert_non_null(f);
	fputs_printable(s, f);
	fclose(f);
	return buf;
}

static void test_printable(void **state)
{
	(void)state;
	const struct {
		const char *in, *out;
	} cases[] = {
		{"plain text", "plain text"},
		{"caf\xc3\xa9 \xe2\x82\xac", "caf\xc3\xa9 \xe2\x82\xac"},
		{"a\033[31mred", "a\\x1b[31mred"},
		{"line\nbreak\r", "line\\x0abreak\\x0d"},
		{"tab\there", "tab\\x09here"},
		{"del\x7f", "del\\x7f"},
		{"c1 \xc2\x9b" "31m", "c1 \\xc2\\x9b31m"},
		{"nbsp \xc2\xa0", "nbsp \xc2\xa0"},
		{"bad \xff\xc3", "bad \\xff\\xc3"},
		{"", ""},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *got = printable(cases[i].in);
		assert_string_equal(got, cases[i].out);
		free(got);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_utf8_len),
		cmocka_unit_test(test_printable),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
