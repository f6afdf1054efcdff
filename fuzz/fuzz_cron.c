/*
 * fuzz/fuzz_cron.c: cron expressions (core/cron.c) on any text, then their
 * due times (core/cron_next.c) in a few real zones. The first byte picks
 * the zone, the next eight the instant to start from; the rest is the
 * expression. What is accepted gives due times that keep growing, each
 * a local minute the expression names or the end of a gap (where clocks
 * went forward); what is refused must come with a one-line message.
 */
#include <assert.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/cron.h"
#include "util/civil.h"

static const char *const zone_names[] = {"UTC", "Europe/Berlin", "America/New_York", "Australia/Lord_Howe",
					 "Pacific/Apia"};
#define NZONES (sizeof(zone_names) / sizeof(zone_names[0]))

/* Whether the local minute at unix seconds `local` is named by c. */
static int names(const cron_t *c, int64_t local)
{
	int64_t days = civil_floor_div(local, 86400), y;
	int m, d, sec = (int)(local - days * 86400);
	civil_from_days(days, &y, &m, &d);
	int dm = c->mdays >> d & 1, wm = c->wdays >> civil_weekday(days) & 1;
	int day = (c->mday_any || c->wday_any) ? dm && wm : dm || wm;
	return day && (c->months >> m & 1) && (c->hours >> (sec / 3600) & 1) &&
	       (c->minutes >> (sec % 3600 / 60) & 1) && sec % 60 == 0;
}

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
			assert(next > after && next % 1000 == 0);
			int64_t s = next / 1000;
			int32_t off = tz_offset_at(tz, s);
			assert(names(&c, s + off) || tz_offset_at(tz, s - 1) < off);
			after = next;
		}
	} else {
		assert(err != NULL && *err && !strchr(err, '\n'));
	}
	free(err);
	free(text);
	return 0;
}
