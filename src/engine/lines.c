/*
 * engine/lines.c: incremental line splitter; see lines.h.
 *
 * A line wholly inside one piece is handed over in place, without a copy;
 * only a line cut across pieces is gathered. Must never keep more than
 * max bytes of a line.
 */
#include "engine/lines.h"

#include <string.h>

void lines_init(lines_t *ls, size_t max)
{
	memset(ls, 0, sizeof(*ls));
	sb_init(&ls->part, 0);
	ls->max = max;
}

static int emit(const char *p, size_t len, lines_fn fn, void *ud)
{
	if (len > 0 && p[len - 1] == '\r')
		len--;
	return fn(ud, p, len);
}

/* Takes the bytes of the unfinished line; false once it is too long. */
static bool gather(lines_t *ls, const char *p, size_t n)
{
	if (ls->skipping) {
		ls->skipped += n;
		return true;
	}
	if (ls->part.len + n > ls->max) {
		ls->skipping = true;
		ls->skipped = ls->part.len + n;
		sb_reset(&ls->part);
		return true;
	}
	sb_append(&ls->part, p, n);
	return !ls->part.failed;
}

/* Ends the current line at a newline found after `n` more bytes of p. */
static int finish_line(lines_t *ls, const char *p, size_t n, lines_fn fn, void *ud)
{
	if (ls->part.len == 0 && !ls->skipping && n <= ls->max)
		return emit(p, n, fn, ud);
	if (!gather(ls, p, n))
		return -1;
	int rc;
	if (ls->skipping)
		rc = fn(ud, NULL, ls->skipped);
	else
		rc = emit(ls->part.buf, ls->part.len, fn, ud);
	ls->skipping = false;
	ls->skipped = 0;
	sb_reset(&ls->part);
	return rc;
}

int lines_feed(lines_t *ls, const char *data, size_t n, lines_fn fn, void *ud)
{
	if (ls->part.failed)
		return -1;
	while (n > 0) {
		const char *nl = memchr(data, '\n', n);
		if (!nl)
			return gather(ls, data, n) ? 0 : -1;
		size_t len = (size_t)(nl - data);
		if (finish_line(ls, data, len, fn, ud) < 0)
			return -1;
		data = nl + 1;
		n -= len + 1;
	}
	return 0;
}

int lines_end(lines_t *ls, lines_fn fn, void *ud)
{
	if (ls->part.failed)
		return -1;
	if (ls->part.len == 0 && !ls->skipping)
		return 0;
	return finish_line(ls, "", 0, fn, ud);
}

void lines_free(lines_t *ls)
{
	sb_free(&ls->part);
	ls->skipping = false;
	ls->skipped = 0;
}
