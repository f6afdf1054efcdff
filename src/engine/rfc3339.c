/*
 * engine/rfc3339.c: RFC 3339 timestamps to unix ms; see rfc3339.h.
 *
 * Computes the date arithmetic itself (days from the civil calendar) so the
 * result never depends on the process's time zone. Must never read past
 * the string's end or accept trailing junk.
 */
#include "engine/rfc3339.h"

#include <stddef.h>

/* Reads exactly n digits. */
static bool digits(const char **p, int n, int *out)
{
	int v = 0;
	for (int i = 0; i < n; i++) {
		char c = (*p)[i];
		if (c < '0' || c > '9')
			return false;
		v = v * 10 + (c - '0');
	}
	*p += n;
	*out = v;
	return true;
}

static bool expect(const char **p, char c)
{
	if (**p != c)
		return false;
	(*p)++;
	return true;
}

/* Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant). */
static int64_t days_from_civil(int64_t y, int m, int d)
{
	y -= m <= 2;
	int64_t era = (y >= 0 ? y : y - 399) / 400;
	int64_t yoe = y - era * 400;
	int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

static int month_days(int y, int m)
{
	static const int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
	return m == 2 && leap ? 29 : days[m - 1];
}

/* ".123456789": milliseconds, the rest read and dropped. */
static bool fraction(const char **p, int *ms)
{
	*ms = 0;
	if (**p != '.')
		return true;
	(*p)++;
	int n = 0;
	while (**p >= '0' && **p <= '9') {
		if (n < 3)
			*ms = *ms * 10 + (**p - '0');
		n++;
		(*p)++;
	}
	if (n == 0)
		return false;
	for (; n < 3; n++)
		*ms *= 10;
	return true;
}

/* "Z" or "+hh:mm" / "-hh:mm": seconds east of UTC. */
static bool zone(const char **p, int *offset_s)
{
	*offset_s = 0;
	char c = **p;
	if (c == 'Z' || c == 'z') {
		(*p)++;
		return true;
	}
	if (c != '+' && c != '-')
		return false;
	(*p)++;
	int hh, mm;
	if (!digits(p, 2, &hh) || !expect(p, ':') || !digits(p, 2, &mm) || hh > 23 || mm > 59)
		return false;
	*offset_s = (c == '+' ? 1 : -1) * (hh * 3600 + mm * 60);
	return true;
}

bool rfc3339_ms(const char *s, int64_t *out)
{
	const char *p = s;
	int y, mo, d, h, mi, sec, ms, off;
	if (!s || !digits(&p, 4, &y) || !expect(&p, '-') || !digits(&p, 2, &mo) ||
	    !expect(&p, '-') || !digits(&p, 2, &d))
		return false;
	if (*p != 'T' && *p != 't' && *p != ' ')
		return false;
	p++;
	if (!digits(&p, 2, &h) || !expect(&p, ':') || !digits(&p, 2, &mi) || !expect(&p, ':') ||
	    !digits(&p, 2, &sec) || !fraction(&p, &ms) || !zone(&p, &off) || *p != '\0')
		return false;
	if (mo < 1 || mo > 12 || d < 1 || d > month_days(y, mo) || h > 23 || mi > 59 || sec > 60)
		return false;
	int64_t t = days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + sec - off;
	*out = t < 0 ? 0 : t * 1000 + ms;
	return true;
}
