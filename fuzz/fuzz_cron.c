/*
 * fuzz/fuzz_cron.c: cron expressions (core/cron.c) on any text, then their
 * due times (core/cron_next.c) in a few real zones. The first byte picks
 * the zone, the next eight the instant to start from; the rest is the
 * expression. What is accepted must have a due time within 30 years
 * (or -1, said so) and later due times must keep growing; what is refused
 * must come with a one-line message.
 */
#include <assert.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/cron.h"

static const char *const zone_names[] = {"UTC", "Europe/Berlin", "America/New_York", "Australia/Lord_Howe",
					 "Pacific/Apia"};
#define NZONES (sizeof(zone_names) / sizeof(zone_names[0]))

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static tz_t *zones[NZONES];
	static int loaded;
	if (!loaded) {
		for (size_t i = 0; i < NZONES; i++) {
			char *err = NULL;
			if (tz_load(zone_names[i], &zones[i], &err) != 0)
				abort(); /* the fuzz machine needs tzdata */
		}
		loaded = 1;
	}
	if (size < 9)
		return 0;
	const tz_t *tz = zones[data[0] % NZONES];
	uint64_t raw = 0;
	for (int i = 0; i < 8; i++)
		raw = raw << 8 | data[1 + i];
	/* Mostly 1900 to 2200, sometimes anything (refused with -1). */
	int64_t after = (raw & 1) ? (int64_t)raw : (int64_t)(raw % 9467280000000ULL) - 2208988800000LL;
	char *text = strndup((const char *)data + 9, size - 9);
	if (!text)
		return 0;
	cron_t c;
	char *err = NULL;
	if (cron_parse(text, &c, &err) == 0) {
		assert(err == NULL);
		for (int i = 0; i < 5; i++) {
			int64_t next = cron_next(&c, tz, after);
			if (next < 0)
				break;
			assert(next > after);
			after = next;
		}
	} else {
		assert(err != NULL && *err && !strchr(err, '\n'));
	}
	free(err);
	free(text);
	return 0;
}
