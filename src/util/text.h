/*
 * util/text.h: UTF-8 sequences, and printing text from outside safely.
 */
#ifndef CJOBS_UTIL_TEXT_H
#define CJOBS_UTIL_TEXT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "util/strbuf.h"

/* The length of the UTF-8 sequence at s (1 to 4), or 0 if it is invalid
 * (overlong, a surrogate, past U+10FFFF, cut short by the end of s). */
size_t utf8_len(const unsigned char *s);

/* Whether the n bytes of s (NUL-terminated after them) are valid UTF-8. */
bool utf8_valid(const char *s, size_t n);
/* Appends s's n bytes to sb with each byte of an invalid sequence as
 * U+FFFD. */
void utf8_repair(const char *s, size_t n, strbuf_t *sb);

/* Writes s to f with control characters and invalid UTF-8 shown as \xHH,
 * so that a message quoting untrusted text stays one plain line. */
void fputs_printable(const char *s, FILE *f);

#endif
