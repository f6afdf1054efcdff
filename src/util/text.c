/*
 * util/text.c: UTF-8 sequences, and writing text that came from outside
 * (a user's value, an engine's message, a configuration file's bytes) so
 * that it cannot drive the terminal.
 */
#include "util/text.h"

#include "util/strbuf.h"

#include <stdio.h>

size_t utf8_len(const unsigned char *s)
{
	if (s[0] < 0x80)
		return 1;
	size_t n;
	unsigned min;
	unsigned cp;
	if ((s[0] & 0xe0) == 0xc0) {
		n = 2;
		min = 0x80;
		cp = s[0] & 0x1f;
	} else if ((s[0] & 0xf0) == 0xe0) {
		n = 3;
		min = 0x800;
		cp = s[0] & 0x0f;
	} else if ((s[0] & 0xf8) == 0xf0) {
		n = 4;
		min = 0x10000;
		cp = s[0] & 0x07;
	} else {
		return 0;
	}
	for (size_t i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return n;
}

void fputs_printable(const char *s, FILE *f)
{
	const unsigned char *p = (const unsigned char *)s;
	while (*p) {
		size_t n = utf8_len(p);
		/* C0 controls, DEL, and the C1 controls (U+0080..U+009F, which
		 * some terminals obey too) are shown as \xHH; so is every byte of
		 * an invalid sequence. */
		bool control = n == 1 ? (*p < 0x20 || *p == 0x7f)
				      : (n == 2 && p[0] == 0xc2 && p[1] < 0xa0);
		if (n == 0 || control) {
			size_t k = n ? n : 1;
			for (size_t i = 0; i < k; i++)
				fprintf(f, "\\x%02x", p[i]);
			p += k;
		} else {
			fwrite(p, 1, n, f);
			p += n;
		}
	}
}

bool utf8_valid(const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s, *end = p + n;
	while (p < end) {
		size_t k = utf8_len(p);
		if (k == 0 || k > (size_t)(end - p))
			return false;
		p += k;
	}
	return true;
}

void utf8_repair(const char *s, size_t n, strbuf_t *sb)
{
	const unsigned char *p = (const unsigned char *)s, *end = p + n;
	while (p < end) {
		size_t k = utf8_len(p);
		if (k == 0 || k > (size_t)(end - p)) {
			sb_puts(sb, "\xef\xbf\xbd");
			p++;
			continue;
		}
		sb_append(sb, p, k);
		p += k;
	}
}
