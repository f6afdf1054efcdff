/* util/output.c: aligned tables and CSV; see output.h. */
#include "util/output.h"

#include <stdlib.h>
#include <string.h>

struct table {
	size_t ncols;
	char **headers;
	char **cells;    /* nrows * ncols */
	size_t nrows;
	size_t cap;
};

table_t *table_new(size_t ncols, const char *const *headers)
{
	table_t *t = calloc(1, sizeof(*t));
	if (!t)
		return NULL;
	t->ncols = ncols;
	t->headers = calloc(ncols, sizeof(char *));
	if (!t->headers) {
		free(t);
		return NULL;
	}
	for (size_t i = 0; i < ncols; i++) {
		t->headers[i] = strdup(headers[i]);
		if (!t->headers[i]) {
			table_free(t);
			return NULL;
		}
	}
	return t;
}

int table_add(table_t *t, const char *const *cells)
{
	if (t->nrows == t->cap) {
		size_t cap = t->cap ? t->cap * 2 : 16;
		char **c = realloc(t->cells, cap * t->ncols * sizeof(char *));
		if (!c)
			return -1;
		t->cells = c;
		t->cap = cap;
	}
	char **row = t->cells + t->nrows * t->ncols;
	for (size_t i = 0; i < t->ncols; i++) {
		row[i] = strdup(cells[i] ? cells[i] : "");
		if (!row[i]) {
			while (i-- > 0)
				free(row[i]);
			return -1;
		}
	}
	t->nrows++;
	return 0;
}

size_t table_rows(const table_t *t)
{
	return t->nrows;
}

/* Display width: counts UTF-8 code points, which is right for the text
 * cjobs prints (no wide characters are expected in names). */
static size_t width(const char *s)
{
	size_t w = 0;
	for (; *s; s++)
		if (((unsigned char)*s & 0xc0) != 0x80)
			w++;
	return w;
}

void table_print(const table_t *t, FILE *f)
{
	size_t *w = calloc(t->ncols, sizeof(size_t));
	if (!w)
		return;
	for (size_t c = 0; c < t->ncols; c++)
		w[c] = width(t->headers[c]);
	for (size_t r = 0; r < t->nrows; r++)
		for (size_t c = 0; c < t->ncols; c++) {
			size_t cw = width(t->cells[r * t->ncols + c]);
			if (cw > w[c])
				w[c] = cw;
		}
	for (size_t r = 0; r <= t->nrows; r++) {
		char **row = r == 0 ? t->headers : t->cells + (r - 1) * t->ncols;
		for (size_t c = 0; c < t->ncols; c++) {
			bool last = c + 1 == t->ncols;
			fputs(row[c], f);
			if (!last)
				fprintf(f, "%*s", (int)(w[c] - width(row[c]) + 2), "");
		}
		fputc('\n', f);
	}
	free(w);
}

void csv_field(FILE *f, const char *s)
{
	if (!strpbrk(s, ",\"\r\n") && s[0] != ' ' && (!*s || s[strlen(s) - 1] != ' ')) {
		fputs(s, f);
		return;
	}
	fputc('"', f);
	for (; *s; s++) {
		if (*s == '"')
			fputc('"', f);
		fputc(*s, f);
	}
	fputc('"', f);
}

void table_print_csv(const table_t *t, FILE *f)
{
	for (size_t r = 0; r <= t->nrows; r++) {
		char **row = r == 0 ? t->headers : t->cells + (r - 1) * t->ncols;
		for (size_t c = 0; c < t->ncols; c++) {
			if (c)
				fputc(',', f);
			csv_field(f, row[c]);
		}
		fputc('\n', f);
	}
}

void table_free(table_t *t)
{
	if (!t)
		return;
	for (size_t i = 0; i < t->nrows * t->ncols; i++)
		free(t->cells[i]);
	free(t->cells);
	if (t->headers)
		for (size_t i = 0; i < t->ncols; i++)
			free(t->headers[i]);
	free(t->headers);
	free(t);
}
