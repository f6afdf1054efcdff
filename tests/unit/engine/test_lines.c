/*
 * tests/unit/engine/test_lines.c: the line splitter behind the event
 * stream and pull progress, fed its input cut at every byte boundary;
 * CRLF, a last line without newline, and lines over the cap.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "engine/lines.h"

typedef struct {
	char got[1024];
	size_t n;
	int calls;
	int stop_after;
} sink_t;

/* Records lines as "[text]" and too-long ones as "<LEN>". */
static int sink(void *ud, const char *line, size_t len)
{
	sink_t *s = ud;
	if (line)
		s->n += (size_t)snprintf(s->got + s->n, sizeof(s->got) - s->n, "[%.*s]", (int)len, line);
	else
		s->n += (size_t)snprintf(s->got + s->n, sizeof(s->got) - s->n, "<%zu>", len);
	s->calls++;
	return s->stop_after && s->calls >= s->stop_after ? -1 : 0;
}

static void run_cuts(const char *in, size_t max, const char *want)
{
	size_t n = strlen(in);
	for (size_t i = 0; i <= n; i++)
		for (size_t j = i; j <= n; j++) {
			lines_t ls;
			sink_t s = {.n = 0};
			lines_init(&ls, max);
			assert_int_equal(lines_feed(&ls, in, i, sink, &s), 0);
			assert_int_equal(lines_feed(&ls, in + i, j - i, sink, &s), 0);
			assert_int_equal(lines_feed(&ls, in + j, n - j, sink, &s), 0);
			assert_int_equal(lines_end(&ls, sink, &s), 0);
			assert_true(ls.part.len <= max);
			assert_string_equal(s.got, want);
			lines_free(&ls);
		}
}

static void test_split_everywhere(void **state)
{
	(void)state;
	run_cuts("{\"a\":1}\n{\"b\":22}\r\n\nlast", 100, "[{\"a\":1}][{\"b\":22}][][last]");
}

static void test_too_long_skipped(void **state)
{
	(void)state;
	/* max 4: "abcdefgh" (8) is reported by length and skipped, the
	 * neighbours survive whatever the cuts. */
	run_cuts("ab\nabcdefgh\nxyz\n", 4, "[ab]<8>[xyz]");
	run_cuts("abcd\nabcde\n", 4, "[abcd]<5>");
	run_cuts("abcdefghij", 4, "<10>");
}

static void test_stop(void **state)
{
	(void)state;
	lines_t ls;
	sink_t s = {.stop_after = 1};
	lines_init(&ls, 100);
	assert_int_equal(lines_feed(&ls, "a\nb\n", 4, sink, &s), -1);
	assert_string_equal(s.got, "[a]");
	lines_free(&ls);
}

static void test_empty_end(void **state)
{
	(void)state;
	lines_t ls;
	sink_t s = {.n = 0};
	lines_init(&ls, 100);
	assert_int_equal(lines_feed(&ls, "x\n", 2, sink, &s), 0);
	assert_int_equal(lines_end(&ls, sink, &s), 0);
	assert_string_equal(s.got, "[x]");
	assert_int_equal(s.calls, 1);
	lines_free(&ls);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_split_everywhere),
		cmocka_unit_test(test_too_long_skipped),
		cmocka_unit_test(test_stop),
		cmocka_unit_test(test_empty_end),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
