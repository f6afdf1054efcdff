/*
 * util/sched_clock.c: "now" for schedules (sched_clock.h). The test clock
 * exists only when CJOBS_TEST_CLOCK_BUILD is defined (meson option
 * test_clock): a release build has no code that reads the variable.
 */
#include "util/sched_clock.h"

#include "util/timeutil.h"

#ifdef CJOBS_TEST_CLOCK_BUILD
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/parse.h"

/* Reads the file's first line; false when it cannot. */
static bool read_clock(const char *path, int64_t *out)
{
	FILE *f = fopen(path, "r");
	if (!f)
		return false;
	char line[64];
	bool ok = fgets(line, sizeof(line), f) != NULL;
	fclose(f);
	if (!ok)
		return false;
	line[strcspn(line, "\r\n \t")] = '\0';
	if (parse_int64(line, 0, INT64_MAX, out))
		return true;
	return parse_when(line, now_ms(), out);
}

int64_t sched_now_ms(void)
{
	static bool warned;
	const char *path = getenv("CJOBS_TEST_CLOCK");
	int64_t t;
	if (!path || !*path)
		return now_ms();
	if (read_clock(path, &t))
		return t;
	if (!warned) {
		warned = true;
		fprintf(stderr, "cjobs: warning: CJOBS_TEST_CLOCK: cannot read a time from %s; "
				"using the real clock\n",
			path);
	}
	return now_ms();
}

bool sched_clock_is_test(void)
{
	return true;
}
#else
int64_t sched_now_ms(void)
{
	return now_ms();
}

bool sched_clock_is_test(void)
{
	return false;
}
#endif
