/*
 * tests/unit/core/test_output.c: tables and CSV of util/output.c, captured
 * with open_memstream. csv_field quoting (commas, quotes doubled, CR and LF,
 * leading and trailing spaces, the empty field), table_print column
 * alignment (widest cell wins, UTF-8 counted by characters, the last column
 * not padded, NULL cells empty), table_print_csv with its header row, and
 * table_rows.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/output.h"

/* Captures what fn writes to a FILE. */
typedef struct {
	FILE *f;
	char *buf;
	size_t len;
} capture_t;

static void cap_open(capture_t *c)
{
	c->buf = NULL;
	c->len = 0;
	c->f = open_memstream(&c->buf, &c->len);
	assert_non_null(c->f);
}

/* Closes the stream and returns the text (owned by c). */
static const char *cap_close(capture_t *c)
{
	assert_int_equal(fclose(c->f), 0);
	c->f = NULL;
	return c->buf;
}

static void csv_is(const char *in, const char *want)
{
	capture_t c;
	cap_open(&c);
	csv_field(c.f, in);
	const char *got = cap_close(&c);
	if (strcmp(got, want) != 0)
		fail_msg("csv_field(\"%s\") gave [%s], want [%s]", in, got, want);
	free(c.buf);
}

static void test_csv_field(void **state)
{
	(void)state;
	csv_is("plain", "plain");
	csv_is("", "");
	csv_is("with inner space", "with inner space");
	csv_is("caf\xc3\xa9", "caf\xc3\xa9");
	csv_is("a,b", "\"a,b\"");
	csv_is(",", "\",\"");
	csv_is("say \"hi\"", "\"say \"\"hi\"\"\"");
	csv_is("\"", "\"\"\"\"");
	csv_is("\"\"", "\"\"\"\"\"\"");
	csv_is("line1\nline2", "\"line1\nline2\"");
	csv_is("cr\rhere", "\"cr\rhere\"");
	csv_is("crlf\r\n", "\"crlf\r\n\"");
	csv_is(" lead", "\" lead\"");
	csv_is("trail ", "\"trail \"");
	csv_is(" ", "\" \"");
	csv_is("a, \"b\"\n", "\"a, \"\"b\"\"\n\"");
	csv_is("tab\there", "tab\there");
	csv_is("semi;colon", "semi;colon");
}

static table_t *sample(void)
{
	const char *const headers[] = {"ID", "NAME", "STATUS"};
	table_t *t = table_new(3, headers);
	assert_non_null(t);
	assert_int_equal(table_rows(t), 0);
	const char *const r1[] = {"1", "alpha", "queued"};
	const char *const r2[] = {"12", "b", NULL};
	const char *const r3[] = {"345", "caf\xc3\xa9 \"x\", y", "running"};
	assert_int_equal(table_add(t, r1), 0);
	assert_int_equal(table_add(t, r2), 0);
	assert_int_equal(table_add(t, r3), 0);
	assert_int_equal(table_rows(t), 3);
	return t;
}

static void test_table_print(void **state)
{
	(void)state;
	table_t *t = sample();
	capture_t c;
	cap_open(&c);
	table_print(t, c.f);
	const char *got = cap_close(&c);
	/* NAME is as wide as its widest cell: 'café "x", y' is 11 characters
	 * (13 bytes); columns are two spaces apart; the last is not padded. */
	const char *want =
		"ID   NAME         STATUS\n"
		"1    alpha        queued\n"
		"12   b            \n"
		"345  caf\xc3\xa9 \"x\", y  running\n";
	assert_string_equal(got, want);
	free(c.buf);
	table_free(t);
}

static void test_table_print_header_wider(void **state)
{
	(void)state;
	const char *const headers[] = {"IDENTIFIER", "X"};
	table_t *t = table_new(2, headers);
	assert_non_null(t);
	capture_t c;
	cap_open(&c);
	table_print(t, c.f); /* no rows: only the header */
	assert_string_equal(cap_close(&c), "IDENTIFIER  X\n");
	free(c.buf);

	const char *const r[] = {"7", "a much longer cell"};
	assert_int_equal(table_add(t, r), 0);
	cap_open(&c);
	table_print(t, c.f);
	assert_string_equal(cap_close(&c),
			    "IDENTIFIER  X\n"
			    "7           a much longer cell\n");
	free(c.buf);
	table_free(t);
}

static void test_table_cells_are_copied(void **state)
{
	(void)state;
	const char *const headers[] = {"K"};
	table_t *t = table_new(1, headers);
	assert_non_null(t);
	char cell[] = "orig";
	const char *const r[] = {cell};
	assert_int_equal(table_add(t, r), 0);
	strcpy(cell, "XXXX");
	capture_t c;
	cap_open(&c);
	table_print(t, c.f);
	assert_string_equal(cap_close(&c), "K\norig\n");
	free(c.buf);
	table_free(t);
	table_free(NULL);
}

static void test_table_print_csv(void **state)
{
	(void)state;
	table_t *t = sample();
	capture_t c;
	cap_open(&c);
	table_print_csv(t, c.f);
	const char *want =
		"ID,NAME,STATUS\n"
		"1,alpha,queued\n"
		"12,b,\n"
		"345,\"caf\xc3\xa9 \"\"x\"\", y\",running\n";
	assert_string_equal(cap_close(&c), want);
	free(c.buf);
	table_free(t);

	/* Headers are quoted like cells; an empty table is just the header. */
	const char *const headers[] = {"a,b", " c"};
	t = table_new(2, headers);
	assert_non_null(t);
	cap_open(&c);
	table_print_csv(t, c.f);
	assert_string_equal(cap_close(&c), "\"a,b\",\" c\"\n");
	free(c.buf);
	table_free(t);
}

static void test_table_many_rows(void **state)
{
	(void)state;
	const char *const headers[] = {"N", "SQUARE"};
	table_t *t = table_new(2, headers);
	assert_non_null(t);
	for (int i = 0; i < 1000; i++) {
		char a[16], b[16];
		snprintf(a, sizeof(a), "%d", i);
		snprintf(b, sizeof(b), "%d", i * i);
		const char *const r[] = {a, b};
		assert_int_equal(table_add(t, r), 0);
	}
	assert_int_equal(table_rows(t), 1000);
	capture_t c;
	cap_open(&c);
	table_print(t, c.f);
	const char *out = cap_close(&c);
	/* N is 3 wide, so SQUARE starts at column 5 on every line. */
	assert_true(strncmp(out, "N    SQUARE\n0    0\n1    1\n", 26) == 0);
	assert_non_null(strstr(out, "\n999  998001\n"));
	size_t lines = 0;
	for (const char *p = out; *p; p++)
		lines += *p == '\n';
	assert_int_equal(lines, 1001);
	free(c.buf);
	table_free(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_csv_field),
		cmocka_unit_test(test_table_print),
		cmocka_unit_test(test_table_print_header_wider),
		cmocka_unit_test(test_table_cells_are_copied),
		cmocka_unit_test(test_table_print_csv),
		cmocka_unit_test(test_table_many_rows),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
