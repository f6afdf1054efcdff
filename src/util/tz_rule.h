/*
 * util/tz_rule.h: the POSIX TZ rule that ends a TZif file (its footer,
 * e.g. "CET-1CEST,M3.5.0,M10.5.0/3"), which gives the offset for every
 * instant after the file's last explicit transition. Internal to tz.c.
 *
 * Accepts what TZif version 3 allows: quoted names ("<+1030>"), rule
 * times from -167 to 167 hours, and the Jn, n and Mm.w.d date forms.
 */
#ifndef CJOBS_UTIL_TZ_RULE_H
#define CJOBS_UTIL_TZ_RULE_H

#include <stdbool.h>
#include <stdint.h>

typedef struct {
	char kind; /* 'J': day 1..365 without Feb 29; 'N': day 0..365; 'M': month.week.day */
	int n, m, w, d;
	int32_t time; /* seconds after local midnight, -167..167 hours */
} tz_rule_date_t;

typedef struct {
	int32_t std_off, dst_off; /* seconds east of UTC */
	bool has_dst;
	tz_rule_date_t start, end; /* into and out of daylight saving time */
} tz_rule_t;

/* Parses a rule; returns 0, or -1 when it is not one (nothing to say but
 * that: the caller names the file). */
int tz_rule_parse(const char *s, tz_rule_t *r);
/* Seconds east of UTC at instant t. */
int32_t tz_rule_offset(const tz_rule_t *r, int64_t t);
/* The instants the rule switches at during the years around t's: up to
 * 8 of them, ascending, into out; returns how many (0 without DST). */
int tz_rule_events(const tz_rule_t *r, int64_t t, int64_t out[8]);

#endif
