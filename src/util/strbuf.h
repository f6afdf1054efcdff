/*
 * util/strbuf.h: a growable byte buffer.
 *
 * An allocation failure sets `failed` and makes every later append a no-op,
 * so a caller can build a whole string and check once at the end. The
 * buffer always stays NUL-terminated (when buf is not NULL), so it may hold
 * text or bytes. A buffer may be given a cap: bytes past it are counted in
 * `dropped` and not stored, which keeps memory flat for untrusted input.
 */
#ifndef CJOBS_UTIL_STRBUF_H
#define CJOBS_UTIL_STRBUF_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>

typedef struct {
	char *buf;
	size_t len;
	size_t cap;       /* allocated bytes */
	size_t limit;     /* 0: no limit */
	size_t dropped;   /* bytes not stored because of limit */
	bool failed;      /* an allocation failed */
} strbuf_t;

#define STRBUF_INIT {0}

void sb_init(strbuf_t *sb, size_t limit);
void sb_append(strbuf_t *sb, const void *data, size_t n);
void sb_puts(strbuf_t *sb, const char *s);
void sb_putc(strbuf_t *sb, char c);
__attribute__((format(printf, 2, 3))) void sb_printf(strbuf_t *sb, const char *fmt, ...);
void sb_vprintf(strbuf_t *sb, const char *fmt, va_list ap);
/* Room for n more bytes at the end, to write into directly and then
 * account for with sb_wrote (at most n): for writers that would otherwise
 * append a few bytes at a time. NULL when memory is short or the buffer
 * has a limit (then append as usual). */
char *sb_room(strbuf_t *sb, size_t n);
void sb_wrote(strbuf_t *sb, size_t n);
void sb_reset(strbuf_t *sb);
/* Hands the buffer over (never NULL unless failed: "" for an empty one);
 * the strbuf is left empty. Returns NULL if an allocation failed. */
char *sb_steal(strbuf_t *sb);
void sb_free(strbuf_t *sb);

#endif
