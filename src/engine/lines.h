/*
 * engine/lines.h: splits a byte stream into lines, incrementally.
 *
 * The engine's event stream and the progress of an image pull are JSON
 * objects, one per line, arriving in pieces that cut lines anywhere. The
 * splitter keeps only the unfinished line, and at most `max` bytes of it:
 * a longer line is reported as too long (without its bytes) and skipped up
 * to its end, so a hostile or broken peer cannot make it grow.
 *
 * Pure: no I/O and no JSON; it must never hold more than max bytes.
 */
#ifndef CJOBS_ENGINE_LINES_H
#define CJOBS_ENGINE_LINES_H

#include <stdbool.h>
#include <stddef.h>

#include "util/strbuf.h"

/* Called for each complete line, without its "\n" (nor a "\r" before it).
 * For a line longer than max, line is NULL and len is its length so far.
 * Returns 0 to go on, -1 to stop feeding (lines_feed then returns -1). */
typedef int (*lines_fn)(void *ud, const char *line, size_t len);

typedef struct {
	strbuf_t part;     /* the unfinished line */
	size_t max;
	bool skipping;     /* inside a line already reported too long */
	size_t skipped;    /* its length so far */
} lines_t;

void lines_init(lines_t *ls, size_t max);
/* Returns 0, or -1 if fn asked to stop or memory ran out (ls->part.failed). */
int lines_feed(lines_t *ls, const char *data, size_t n, lines_fn fn, void *ud);
/* End of stream: an unterminated last line is passed to fn too. */
int lines_end(lines_t *ls, lines_fn fn, void *ud);
void lines_free(lines_t *ls);

#endif
