/*
 * tests/unit/ops/test_tokens.c: a token's hash is the hexadecimal SHA-256
 * of its text, in lower case: the form every store holds its tokens in, so
 * that tokens created by any earlier cjobs keep working.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "ops/tokens.h"

/* FIPS 180-2's examples, and the empty text. */
static void test_hash_is_sha256_in_lower_hex(void **state)
{
	(void)state;
	static const struct {
		const char *text, *hash;
	} known[] = {
		{"abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"},
		{"", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"},
		{"abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
		 "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"},
	};
	for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++) {
		char out[65];
		memset(out, 'x', sizeof(out));
		char *err = NULL;
		assert_int_equal(ops_token_hash(known[i].text, out, &err), 0);
		assert_null(err);
		assert_string_equal(out, known[i].hash);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hash_is_sha256_in_lower_hex),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
