/*
 * util/output.h: tables for people and CSV for scripts.
 *
 * A table is filled row by row with strings and printed either aligned (for
 * people; columns sized to their widest cell, which never truncates data) or
 * as CSV (RFC 4180 quoting, a header row first). JSON output is built with
 * jansson by the commands themselves, where the values keep their types.
 */
#ifndef CJOBS_UTIL_OUTPUT_H
#define CJOBS_UTIL_OUTPUT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

typedef struct table table_t;

table_t *table_new(size_t ncols, const char *const *headers);
/* Adds a row of ncols cells (NULL prints as empty). Returns -1 when out of
 * memory. The cells are copied. */
int table_add(table_t *t, const char *const *cells);
void table_print(const table_t *t, FILE *f);
void table_print_csv(const table_t *t, FILE *f);
size_t table_rows(const table_t *t);
void table_free(table_t *t);

/* Writes one CSV field, quoted when it must be. */
void csv_field(FILE *f, const char *s);

#endif
