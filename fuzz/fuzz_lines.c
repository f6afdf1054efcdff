/*
 * fuzz/fuzz_lines.c: the line splitter (engine/lines.c) and the engine's
 * timestamps (engine/rfc3339.c) on any bytes. Every line handed out is at
 * most the limit and holds no newline (a longer one is only reported by its
 * length); a timestamp that parses is a time between 1970 and 9999.
 */
#include <assert.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "engine/lines.h"
#include "engine/rfc3339.h"

static size_t limit;

static int on_line(void *ud, const char *line, size_t len)
{
	(void)ud;
	if (!line) {
		/* A line over the limit is reported by its length, without bytes. */
		assert(len > limit);
		return 0;
	}
	assert(len <= limit);
	assert(memchr(line, '\n', len) == NULL);
	char *s = malloc(len + 1);
	assert(s);
	memcpy(s, line, len);
	s[len] = '\0';
	int64_t ms;
	if (rfc3339_ms(s, &ms))
		assert(ms >= 0 && ms <= 253402300800000LL);
	free(s);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 2)
		return 0;
	limit = (size_t)data[0] % 200 + 1;
	size_t step = (size_t)data[1] % 32 + 1;
	data += 2;
	size -= 2;
	lines_t ls;
	lines_init(&ls, limit);
	int rc = 0;
	for (size_t off = 0; off < size && rc == 0; off += step)
		rc = lines_feed(&ls, (const char *)data + off, size - off < step ? size - off : step,
				on_line, NULL);
	if (rc == 0)
		lines_end(&ls, on_line, NULL);
	lines_free(&ls);
	return 0;
}
