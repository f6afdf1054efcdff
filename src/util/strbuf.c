/*
 * util/strbuf.c: growable byte buffer; see strbuf.h. Never aborts: an
 * allocation failure is recorded in the buffer for the caller to check.
 */
#include "util/strbuf.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void sb_init(strbuf_t *sb, size_t limit)
{
	memset(sb, 0, sizeof(*sb));
	sb->limit = limit;
}

static bool sb_grow(strbuf_t *sb, size_t extra)
{
	if (sb->failed)
		return false;
	if (sb->len + extra + 1 <= sb->cap)
		return true;
	if (extra > SIZE_MAX / 2 - sb->len) {
		sb->failed = true;
		return false;
	}
	size_t want = sb->cap ? sb->cap : 64;
	while (want < sb->len + extra + 1)
		want *= 2;
	char *p = realloc(sb->buf, want);
	if (!p) {
		sb->failed = true;
		return false;
	}
	sb->buf = p;
	sb->cap = want;
	return true;
}

void sb_append(strbuf_t *sb, const void *data, size_t n)
{
	if (sb->limit) {
		size_t room = sb->len < sb->limit ? sb->limit - sb->len : 0;
		if (n > room) {
			sb->dropped += n - room;
			n = room;
		}
	}
	if (n == 0) {
		if (!sb->buf)
			sb_grow(sb, 0) && (sb->buf[0] = '\0');
		return;
	}
	if (!sb_grow(sb, n))
		return;
	memcpy(sb->buf + sb->len, data, n);
	sb->len += n;
	sb->buf[sb->len] = '\0';
}

void sb_puts(strbuf_t *sb, const char *s)
{
	sb_append(sb, s, strlen(s));
}

void sb_putc(strbuf_t *sb, char c)
{
	sb_append(sb, &c, 1);
}

void sb_vprintf(strbuf_t *sb, const char *fmt, va_list ap)
{
	/* Straight into the free room when the text fits (almost always: a
	 * number, a short message); measured and written again only when it
	 * does not. A limited buffer goes through sb_append, which cuts. */
	if (!sb->limit && !sb->failed && sb->buf && sb->cap > sb->len + 1) {
		va_list copy;
		va_copy(copy, ap);
		size_t room = sb->cap - sb->len;
		int n = vsnprintf(sb->buf + sb->len, room, fmt, copy);
		va_end(copy);
		if (n < 0) {
			sb->buf[sb->len] = '\0';
			sb->failed = true;
			return;
		}
		if ((size_t)n < room) {
			sb->len += (size_t)n;
			return;
		}
		sb->buf[sb->len] = '\0';
		if (!sb_grow(sb, (size_t)n))
			return;
		vsnprintf(sb->buf + sb->len, (size_t)n + 1, fmt, ap);
		sb->len += (size_t)n;
		return;
	}
	va_list copy;
	va_copy(copy, ap);
	int n = vsnprintf(NULL, 0, fmt, copy);
	va_end(copy);
	if (n < 0) {
		sb->failed = true;
		return;
	}
	char *tmp = malloc((size_t)n + 1);
	if (!tmp) {
		sb->failed = true;
		return;
	}
	vsnprintf(tmp, (size_t)n + 1, fmt, ap);
	sb_append(sb, tmp, (size_t)n);
	free(tmp);
}

char *sb_room(strbuf_t *sb, size_t n)
{
	if (sb->limit || !sb_grow(sb, n))
		return NULL;
	return sb->buf + sb->len;
}

void sb_wrote(strbuf_t *sb, size_t n)
{
	sb->len += n;
	sb->buf[sb->len] = '\0';
}

void sb_printf(strbuf_t *sb, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	sb_vprintf(sb, fmt, ap);
	va_end(ap);
}

void sb_reset(strbuf_t *sb)
{
	sb->len = 0;
	sb->dropped = 0;
	if (sb->buf)
		sb->buf[0] = '\0';
}

char *sb_steal(strbuf_t *sb)
{
	if (sb->failed) {
		sb_free(sb);
		return NULL;
	}
	if (!sb->buf) {
		sb->buf = malloc(1);
		if (!sb->buf)
			return NULL;
		sb->buf[0] = '\0';
	}
	char *p = sb->buf;
	size_t limit = sb->limit;
	memset(sb, 0, sizeof(*sb));
	sb->limit = limit;
	return p;
}

void sb_free(strbuf_t *sb)
{
	free(sb->buf);
	size_t limit = sb->limit;
	memset(sb, 0, sizeof(*sb));
	sb->limit = limit;
}
