/*
 * tests/unit/core/test_strbuf.c: the growable buffer of util/strbuf.c.
 * Growth over many appends, sb_puts/sb_putc/sb_printf (short and long
 * output), the byte limit with its `dropped` count (append, printf, putc),
 * sb_reset, sb_steal (an empty buffer gives "" and not NULL; the limit is
 * kept), binary data with NUL bytes, and the `failed` flag making later
 * appends no-ops and sb_steal return NULL.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "util/strbuf.h"

static void test_init(void **state)
{
	(void)state;
	strbuf_t a = STRBUF_INIT;
	assert_null(a.buf);
	assert_int_equal(a.len, 0);
	assert_int_equal(a.limit, 0);
	strbuf_t b;
	memset(&b, 0x7e, sizeof(b));
	sb_init(&b, 123);
	assert_null(b.buf);
	assert_int_equal(b.len, 0);
	assert_int_equal(b.cap, 0);
	assert_int_equal(b.limit, 123);
	assert_int_equal(b.dropped, 0);
	assert_false(b.failed);
	sb_free(&b);
}

static void test_growth(void **state)
{
	(void)state;
	strbuf_t sb;
	sb_init(&sb, 0);
	char expect[10001];
	for (int i = 0; i < 10000; i++) {
		char c = (char)('a' + i % 26);
		sb_putc(&sb, c);
		expect[i] = c;
		assert_int_equal(sb.len, (size_t)i + 1);
		assert_true(sb.cap >= sb.len + 1);
		assert_int_equal(sb.buf[sb.len], '\0');
	}
	expect[10000] = '\0';
	assert_string_equal(sb.buf, expect);
	assert_false(sb.failed);
	assert_int_equal(sb.dropped, 0);

	/* One large append after the small ones. */
	char *big = malloc(100000);
	assert_non_null(big);
	memset(big, 'Z', 100000);
	sb_append(&sb, big, 100000);
	assert_int_equal(sb.len, 110000);
	assert_memory_equal(sb.buf, expect, 10000);
	assert_memory_equal(sb.buf + 10000, big, 100000);
	assert_int_equal(sb.buf[110000], '\0');
	free(big);
	sb_free(&sb);
	assert_null(sb.buf);
	assert_int_equal(sb.len, 0);
}

static void test_puts_and_printf(void **state)
{
	(void)state;
	strbuf_t sb = STRBUF_INIT;
	sb_puts(&sb, "hello");
	sb_putc(&sb, ' ');
	sb_printf(&sb, "%s #%d: %05.1f%% %c %llx", "job", 42, 3.14159, '!', 0xbeefULL);
	assert_string_equal(sb.buf, "hello job #42: 003.1% ! beef");
	assert_int_equal(sb.len, strlen("hello job #42: 003.1% ! beef"));
	sb_printf(&sb, "%s", "");
	assert_int_equal(sb.len, strlen("hello job #42: 003.1% ! beef"));

	/* Output longer than any first allocation. */
	sb_reset(&sb);
	sb_printf(&sb, "%0500d|%s", 7, "end");
	assert_int_equal(sb.len, 504);
	assert_int_equal(sb.buf[0], '0');
	assert_int_equal(sb.buf[498], '0');
	assert_string_equal(sb.buf + 499, "7|end");
	sb_free(&sb);
}

static void test_limit(void **state)
{
	(void)state;
	strbuf_t sb;
	sb_init(&sb, 10);
	sb_puts(&sb, "hello");
	assert_int_equal(sb.dropped, 0);
	sb_puts(&sb, "world!!");
	assert_string_equal(sb.buf, "helloworld");
	assert_int_equal(sb.len, 10);
	assert_int_equal(sb.dropped, 2);
	sb_putc(&sb, 'x');
	sb_puts(&sb, "more");
	sb_printf(&sb, "%d", 12345);
	assert_string_equal(sb.buf, "helloworld");
	assert_int_equal(sb.len, 10);
	assert_int_equal(sb.dropped, 2 + 1 + 4 + 5);
	assert_false(sb.failed);

	/* Reset empties the buffer and the count, and keeps the limit. */
	sb_reset(&sb);
	assert_int_equal(sb.len, 0);
	assert_int_equal(sb.dropped, 0);
	assert_string_equal(sb.buf, "");
	assert_int_equal(sb.limit, 10);
	sb_printf(&sb, "%s", "0123456789abc");
	assert_string_equal(sb.buf, "0123456789");
	assert_int_equal(sb.dropped, 3);
	sb_free(&sb);
	assert_int_equal(sb.limit, 10);
	assert_int_equal(sb.dropped, 0);

	/* Exactly the limit drops nothing. */
	sb_init(&sb, 4);
	sb_puts(&sb, "abcd");
	assert_string_equal(sb.buf, "abcd");
	assert_int_equal(sb.dropped, 0);
	sb_puts(&sb, "");
	assert_int_equal(sb.dropped, 0);
	sb_free(&sb);

	/* A large append far past the limit keeps memory at the limit. */
	sb_init(&sb, 16);
	char *big = calloc(1, 1 << 20);
	assert_non_null(big);
	sb_append(&sb, big, 1 << 20);
	assert_int_equal(sb.len, 16);
	assert_int_equal(sb.dropped, (1 << 20) - 16);
	assert_true(sb.cap <= 64);
	free(big);
	sb_free(&sb);
}

static void test_steal(void **state)
{
	(void)state;
	strbuf_t sb;
	sb_init(&sb, 0);
	char *s = sb_steal(&sb);
	assert_non_null(s);
	assert_string_equal(s, "");
	free(s);

	sb_init(&sb, 100);
	sb_puts(&sb, "kept");
	s = sb_steal(&sb);
	assert_string_equal(s, "kept");
	assert_null(sb.buf);
	assert_int_equal(sb.len, 0);
	assert_int_equal(sb.cap, 0);
	assert_int_equal(sb.limit, 100);
	/* The buffer is usable again and independent of the stolen string. */
	sb_puts(&sb, "new");
	assert_string_equal(sb.buf, "new");
	assert_string_equal(s, "kept");
	free(s);
	sb_free(&sb);

	/* Empty after a reset, and empty after appending nothing. */
	sb_init(&sb, 0);
	sb_puts(&sb, "x");
	sb_reset(&sb);
	s = sb_steal(&sb);
	assert_string_equal(s, "");
	free(s);
	sb_append(&sb, "", 0);
	assert_non_null(sb.buf);
	assert_string_equal(sb.buf, "");
	s = sb_steal(&sb);
	assert_string_equal(s, "");
	free(s);
}

static void test_binary(void **state)
{
	(void)state;
	strbuf_t sb = STRBUF_INIT;
	static const char data[] = {'a', '\0', 'b', '\0', '\0', 'c', (char)0xff, (char)0x80};
	sb_append(&sb, data, sizeof(data));
	sb_append(&sb, data, sizeof(data));
	assert_int_equal(sb.len, 2 * sizeof(data));
	assert_memory_equal(sb.buf, data, sizeof(data));
	assert_memory_equal(sb.buf + sizeof(data), data, sizeof(data));
	assert_int_equal(sb.buf[sb.len], '\0');
	assert_int_equal(strlen(sb.buf), 1);
	sb_putc(&sb, '\0');
	assert_int_equal(sb.len, 2 * sizeof(data) + 1);
	char *s = sb_steal(&sb);
	assert_memory_equal(s, data, sizeof(data));
	free(s);

	/* The limit counts NUL bytes like any other. */
	sb_init(&sb, 3);
	sb_append(&sb, data, sizeof(data));
	assert_int_equal(sb.len, 3);
	assert_memory_equal(sb.buf, data, 3);
	assert_int_equal(sb.dropped, sizeof(data) - 3);
	sb_free(&sb);
}

static void test_failed(void **state)
{
	(void)state;
	strbuf_t sb = STRBUF_INIT;
	sb_puts(&sb, "before");
	sb.failed = true; /* as after an allocation failure */
	sb_puts(&sb, " after, long enough to need to grow the buffer past its first size");
	sb_printf(&sb, "%d", 1);
	assert_int_equal(sb.len, 6);
	assert_string_equal(sb.buf, "before");
	assert_null(sb_steal(&sb));
	assert_null(sb.buf);
	assert_false(sb.failed);
	sb_free(&sb);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_init),
		cmocka_unit_test(test_growth),
		cmocka_unit_test(test_puts_and_printf),
		cmocka_unit_test(test_limit),
		cmocka_unit_test(test_steal),
		cmocka_unit_test(test_binary),
		cmocka_unit_test(test_failed),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
