/*
 * store/strv_codec.c: argv and environment lists as bytes for a BLOB
 * column, so that every argument comes back exactly as it went in: spaces,
 * quotes, newlines, empty strings and bytes that are not UTF-8 (which JSON
 * libraries refuse).
 *
 * Format: for each string, its length as 4 bytes, big endian, then the
 * bytes. No terminator, no count: the blob's length ends the list. This
 * must never change in place; a new format needs a migration.
 */
#include "store/store_int.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "util/err.h"

int strv_encode(char *const *v, size_t n, strbuf_t *out, char **err)
{
	sb_init(out, 0);
	if (!v)
		n = 0;
	for (size_t i = 0; i < n; i++) {
		size_t len = strlen(v[i]);
		if (len > UINT32_MAX) {
			sb_free(out);
			return err_set(err, "a string of %zu bytes is too long to store", len);
		}
		unsigned char head[4] = {(unsigned char)(len >> 24), (unsigned char)(len >> 16),
					 (unsigned char)(len >> 8), (unsigned char)len};
		sb_append(out, head, sizeof(head));
		sb_append(out, v[i], len);
	}
	/* An empty list still needs a buffer to point at. */
	if (n == 0)
		sb_append(out, "", 0);
	if (out->failed) {
		sb_free(out);
		return err_set(err, "out of memory");
	}
	return 0;
}

static int count_items(const unsigned char *p, size_t len, size_t *count, char **err)
{
	size_t pos = 0, n = 0;
	while (pos < len) {
		if (len - pos < 4)
			return err_set(err, "damaged string list in the job store "
					    "(truncated length)");
		uint32_t l = (uint32_t)p[pos] << 24 | (uint32_t)p[pos + 1] << 16 |
			     (uint32_t)p[pos + 2] << 8 | (uint32_t)p[pos + 3];
		pos += 4;
		if (l > len - pos)
			return err_set(err, "damaged string list in the job store "
					    "(length past the end)");
		if (memchr(p + pos, '\0', l))
			return err_set(err, "damaged string list in the job store "
					    "(NUL inside a string)");
		pos += l;
		n++;
	}
	*count = n;
	return 0;
}

int strv_decode(const void *data, size_t len, char ***out, size_t *n, char **err)
{
	const unsigned char *p = data;
	size_t count = 0;
	*out = NULL;
	*n = 0;
	if (count_items(p, len, &count, err) < 0)
		return -1;
	char **v = calloc(count + 1, sizeof(char *));
	if (!v)
		return err_set(err, "out of memory");
	size_t pos = 0;
	for (size_t i = 0; i < count; i++) {
		size_t l = (size_t)p[pos] << 24 | (size_t)p[pos + 1] << 16 |
			   (size_t)p[pos + 2] << 8 | (size_t)p[pos + 3];
		pos += 4;
		v[i] = malloc(l + 1);
		if (!v[i]) {
			strv_free(v);
			return err_set(err, "out of memory");
		}
		memcpy(v[i], p + pos, l);
		v[i][l] = '\0';
		pos += l;
	}
	*out = v;
	*n = count;
	return 0;
}
