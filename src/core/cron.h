/*
 * core/cron.h: cron(5) expressions and their due times in a time zone, for
 * schedules. Pure calendar code: no clock, no store, no I/O.
 *
 * The rules, as the schedule help states them:
 *  - Day rule (cron(5)): if both day of month and day of week are
 *    restricted (neither starts with "*"), a day matches when EITHER
 *    matches; otherwise both must. As in Vixie cron and cronie, a field
 *    such as "*" "/2" counts as "*" here.
 *  - Due times are wall-clock times in the schedule's zone. A local time
 *    that happens twice (clocks go back) is due once, at its first
 *    occurrence. A local time that does not happen (clocks go forward) is
 *    due at the first instant after the gap (02:30 on the spring-forward
 *    day in Europe/Berlin runs at 03:00 CEST); several such times in one
 *    gap give one run.
 */
#ifndef CJOBS_CORE_CRON_H
#define CJOBS_CORE_CRON_H

#include <stdbool.h>
#include <stdint.h>

#include "util/tz.h"

typedef struct {
	uint64_t minutes;        /* bit m: minute m, 0..59 */
	uint32_t hours;          /* 0..23 */
	uint32_t mdays;          /* 1..31 */
	uint16_t months;         /* 1..12 */
	uint8_t wdays;           /* 0..6, Sunday = 0 (7 is read as 0) */
	bool mday_any, wday_any; /* the field was "*" (cron(5)'s day rule) */
} cron_t;

/* Parses a cron(5) expression: five fields, lists, ranges, steps
 * ("*" "/15", "1-30/5", "5/10" = 5-max/10), month and day names
 * (jan..dec, sun..sat, any case), and @yearly @annually @monthly
 * @weekly @daily @midnight @hourly. @reboot is refused. The error names
 * the field (minute, hour, day of month, month, day of week), what was
 * wrong in it and what the field accepts, e.g.
 * "hour field \"25\": out of range; an hour is 0-23". An expression
 * that can never be due (e.g. "0 0 30 2 *") is refused as such.
 * Returns 0, or -1 with *err set and *out unchanged. */
int cron_parse(const char *text, cron_t *out, char **err);

/* The first due instant strictly after after_ms (unix ms), as unix ms
 * (a whole second; a whole minute in every zone since 1972), in zone tz
 * (NULL = UTC). -1 if there is none within the next 30 years, which after
 * a successful cron_parse only a date that rare can meet (February 29 that
 * is a Sunday, "0 0 29 2 *" "/7": none from 2089 to 2127, 2100 being no
 * leap year), or when
 * after_ms is more than 35,000 years from 1970.
 * Called again with its own answer it gives the next one, never the same. */
int64_t cron_next(const cron_t *c, const tz_t *tz, int64_t after_ms);

#endif
