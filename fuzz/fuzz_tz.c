/*
 * fuzz/fuzz_tz.c: the TZif reader (util/tz.c) and the footer's POSIX rule
 * (util/tz_rule.c) on any bytes, read as a zone file the way tz_load reads
 * one from the tz database (TZDIR pointed at the input's directory). What
 * loads must answer offsets within 26 hours, and its transitions must
 * grow; what is refused must come with a one-line message.
 */
#include <assert.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "memfile.h"
#include "util/tz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *path = memfile_fill(data, size);
	/* "/proc/self/fd/N": the directory and the zone name N. */
	const char *slash = strrchr(path, '/');
	static char dir[64];
	memcpy(dir, path, (size_t)(slash - path));
	dir[slash - path] = '\0';
	setenv("TZDIR", dir, 1);
	tz_t *tz = NULL;
	char *err = NULL;
	if (tz_load(slash + 1, &tz, &err) == 0) {
		assert(err == NULL);
		static const int64_t at[] = {INT64_MIN, -2208988800LL, 0, 1800000000, 4102444800LL, INT64_MAX};
		for (size_t i = 0; i < sizeof(at) / sizeof(at[0]); i++) {
			int32_t off = tz_offset_at(tz, at[i]);
			assert(off >= -26 * 3600 && off <= 26 * 3600);
		}
		int64_t t = -2208988800LL;
		for (int i = 0; i < 20 && t != INT64_MAX; i++) {
			int64_t next = tz_next_transition(tz, t);
			assert(next > t);
			t = next;
		}
		tz_free(tz);
	} else {
		assert(err != NULL && *err && !strchr(err, '\n'));
	}
	free(err);
	return 0;
}
