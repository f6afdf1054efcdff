/*
 * fuzz/fuzz_demux.c: the log stream demultiplexer (engine/demux.c) on any
 * bytes, cut into chunks at places the input chooses. Whatever arrives,
 * each stream keeps at most its cap, counts at least what it kept, and is
 * marked truncated exactly when it wrote more than it kept.
 */
#include <assert.h>
#include <stdint.h>
#include <string.h>

#include "engine/demux.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 3)
		return 0;
	size_t cap = ((size_t)data[0] << 8 | data[1]) % 4096;
	size_t step = (size_t)data[2] % 64 + 1;
	data += 3;
	size -= 3;
	demux_t d;
	demux_init(&d, cap);
	int rc = 0;
	for (size_t off = 0; off < size && rc == 0; off += step)
		rc = demux_feed(&d, data + off, size - off < step ? size - off : step);
	if (rc == 0)
		rc = demux_end(&d);
	job_output_t out = {0}, err = {0};
	if (rc == 0 && demux_take(&d, &out, &err) == 0) {
		const job_output_t *s[2] = {&out, &err};
		for (int i = 0; i < 2; i++) {
			assert(s[i]->len <= cap);
			assert(s[i]->total_bytes >= (int64_t)s[i]->len);
			assert(s[i]->truncated == (s[i]->total_bytes > (int64_t)s[i]->len));
		}
		job_output_free(&out);
		job_output_free(&err);
	}
	demux_free(&d);
	return 0;
}
