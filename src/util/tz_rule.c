/*
 * util/tz_rule.c: parsing and evaluating a POSIX TZ rule; see tz_rule.h.
 *
 * The offset at an instant is the one set by the latest switch at or
 * before it, looking at the switches of the year before, the year of and
 * the year after the instant: rule times may reach days into a
 * neighbouring year (version 3 allows 167 hours), and a rule for
 * permanent daylight saving ("EST5EDT,0/0,J365/25") ends one year at the
 * same instant as it starts the next, where the later year's start wins.
 */
#include "util/tz_rule.h"

#include <ctype.h>
#include <stdlib.h>

#include "util/civil.h"

/* Beyond this (about 300,000 years either side of 1970) the rule is
 * evaluated at the bound, which keeps the date arithmetic from
 * overflowing on absurd inputs. */
#define TZ_RULE_T_MAX 10000000000000LL

static bool parse_name(const char **p)
{
	const char *s = *p;
	size_t n = 0;
	if (*s == '<') {
		s++;
		while (isalnum((unsigned char)s[n]) || s[n] == '+' || s[n] == '-')
			n++;
		if (s[n] != '>' || n < 3)
			return false;
		*p = s + n + 1;
		return true;
	}
	while (isalpha((unsigned char)s[n]))
		n++;
	if (n < 3)
		return false;
	*p = s + n;
	return true;
}

/* [+-]hh[:mm[:ss]] with hours up to max_h; seconds, signed. */
static bool parse_hms(const char **p, int max_h, int32_t *out)
{
	const char *s = *p;
	int sign = 1;
	if (*s == '+' || *s == '-')
		sign = *s++ == '-' ? -1 : 1;
	int part[3] = {0, 0, 0};
	for (int i = 0; i < 3; i++) {
		if (i > 0) {
			if (*s != ':')
				break;
			s++;
		}
		int digits = 0;
		while (isdigit((unsigned char)*s) && digits < 3) {
			part[i] = part[i] * 10 + (*s++ - '0');
			digits++;
		}
		if (digits == 0 || isdigit((unsigned char)*s))
			return false;
	}
	if (part[0] > max_h || part[1] > 59 || part[2] > 59)
		return false;
	*out = sign * (part[0] * 3600 + part[1] * 60 + part[2]);
	*p = s;
	return true;
}

static bool parse_num(const char **p, int lo, int hi, int *out)
{
	const char *s = *p;
	int v = 0, digits = 0;
	while (isdigit((unsigned char)*s) && digits < 4) {
		v = v * 10 + (*s++ - '0');
		digits++;
	}
	if (digits == 0 || v < lo || v > hi)
		return false;
	*out = v;
	*p = s;
	return true;
}

static bool parse_date(const char **p, tz_rule_date_t *d)
{
	const char *s = *p;
	if (*s == 'J') {
		s++;
		d->kind = 'J';
		if (!parse_num(&s, 1, 365, &d->n))
			return false;
	} else if (*s == 'M') {
		s++;
		d->kind = 'M';
		if (!parse_num(&s, 1, 12, &d->m) || *s++ != '.' || !parse_num(&s, 1, 5, &d->w) ||
		    *s++ != '.' || !parse_num(&s, 0, 6, &d->d))
			return false;
	} else {
		d->kind = 'N';
		if (!parse_num(&s, 0, 365, &d->n))
			return false;
	}
	d->time = 2 * 3600;
	if (*s == '/') {
		s++;
		if (!parse_hms(&s, 167, &d->time))
			return false;
	}
	*p = s;
	return true;
}

int tz_rule_parse(const char *s, tz_rule_t *r)
{
	tz_rule_t v = {0};
	int32_t west;
	if (!parse_name(&s) || !parse_hms(&s, 24, &west))
		return -1;
	v.std_off = -west;
	if (*s) {
		if (!parse_name(&s))
			return -1;
		v.has_dst = true;
		v.dst_off = v.std_off + 3600;
		if (*s && *s != ',') {
			if (!parse_hms(&s, 24, &west))
				return -1;
			v.dst_off = -west;
		}
		if (*s == ',') {
			s++;
			if (!parse_date(&s, &v.start) || *s++ != ',' || !parse_date(&s, &v.end))
				return -1;
		} else {
			/* No dates: POSIX leaves them to the system; glibc and
			 * tzcode take the US rules, and so do we. */
			v.start = (tz_rule_date_t){.kind = 'M', .m = 3, .w = 2, .d = 0, .time = 7200};
			v.end = (tz_rule_date_t){.kind = 'M', .m = 11, .w = 1, .d = 0, .time = 7200};
		}
	}
	if (*s)
		return -1;
	*r = v;
	return 0;
}

/* Day number of a rule date in year y. */
static int64_t date_day(const tz_rule_date_t *d, int64_t y)
{
	int64_t jan1 = civil_to_days(y, 1, 1);
	switch (d->kind) {
	case 'J':
		return jan1 + d->n - 1 + (civil_leap(y) && d->n >= 60);
	case 'N':
		return jan1 + d->n;
	default: {
		int64_t first = civil_to_days(y, d->m, 1);
		int64_t day = first + (d->d - civil_weekday(first) + 7) % 7 + (int64_t)(d->w - 1) * 7;
		/* Week 5 means the last such day of the month. */
		while (day >= first + civil_month_days(y, d->m))
			day -= 7;
		return day;
	}
	}
}

static int64_t switch_at(const tz_rule_date_t *d, int64_t y, int32_t off_before)
{
	return date_day(d, y) * 86400 + d->time - off_before;
}

static int64_t clamp_t(int64_t t)
{
	return t > TZ_RULE_T_MAX ? TZ_RULE_T_MAX : t < -TZ_RULE_T_MAX ? -TZ_RULE_T_MAX : t;
}

static int64_t year_of(int64_t t)
{
	int64_t y;
	int m, d;
	civil_from_days(civil_floor_div(clamp_t(t), 86400), &y, &m, &d);
	return y;
}

int32_t tz_rule_offset(const tz_rule_t *r, int64_t t)
{
	if (!r->has_dst)
		return r->std_off;
	t = clamp_t(t);
	int64_t y = year_of(t), best = INT64_MIN;
	bool dst = false;
	for (int64_t yy = y - 1; yy <= y + 1; yy++) {
		int64_t s = switch_at(&r->start, yy, r->std_off);
		int64_t e = switch_at(&r->end, yy, r->dst_off);
		/* Of equal instants the one looked at later wins: a year's end
		 * over its start, the next year's start over this year's end. */
		if (s <= t && s >= best) {
			best = s;
			dst = true;
		}
		if (e <= t && e >= best) {
			best = e;
			dst = false;
		}
	}
	return dst ? r->dst_off : r->std_off;
}

static int cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
	return (x > y) - (x < y);
}

int tz_rule_events(const tz_rule_t *r, int64_t t, int64_t out[8])
{
	if (!r->has_dst)
		return 0;
	int64_t y = year_of(t);
	int n = 0;
	for (int64_t yy = y - 1; yy <= y + 2; yy++) {
		out[n++] = switch_at(&r->start, yy, r->std_off);
		out[n++] = switch_at(&r->end, yy, r->dst_off);
	}
	qsort(out, (size_t)n, sizeof(out[0]), cmp_i64);
	return n;
}
