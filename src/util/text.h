/*
 * util/text.h: UTF-8 sequences, and printing text from outside safely.
 */
#ifndef CJOBS_UTIL_TEXT_H
#define CJOBS_UTIL_TEXT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

/* The length of the UTF-8 sequence at s (1 to 4), or 0 if it is invalid
 * (overlong, a surrogate, past U+10FFFF, cut short by the end of s). */
size_t utf8_len(const unsigned char *s);

/* Writes s to f with control characters and invalid UTF-8 shown as \xHH,
 * so that a message quoting untrusted text stays one plain line. */
void fputs_printable(const char *s, FILE *f);

#endif
