/* util/timeutil.c: clocks and time formatting; see timeutil.h. */
#include "util/timeutil.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

static int64_t clock_ms(clockid_t id)
{
	struct timespec ts;
	if (clock_gettime(id, &ts) != 0)
		return 0;
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t now_ms(void)
{
	return clock_ms(CLOCK_REALTIME);
}

int64_t mono_ms(void)
{
	return clock_ms(CLOCK_MONOTONIC);
}

int64_t mono_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* Writes n digits of v, zero-padded, at p. */
static char *put_digits(char *p, unsigned v, int n)
{
	for (int i = n - 1; i >= 0; i--) {
		p[i] = (char)('0' + v % 10);
		v /= 10;
	}
	return p + n;
}

/* "YYYY-MM-DDT" of a day since 1970-01-01 into p; past what it wrote. */
static char *civil_date(int64_t days, char *p)
{
	int64_t z = days + 719468;          /* days since 0000-03-01 */
	int64_t era = z / 146097;
	unsigned doe = (unsigned)(z - era * 146097);                    /* 0..146096 */
	unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365; /* 0..399 */
	unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);        /* 0..365 */
	unsigned mp = (5 * doy + 2) / 153;                               /* 0 = March */
	unsigned day = doy - (153 * mp + 2) / 5 + 1;
	unsigned month = mp < 10 ? mp + 3 : mp - 9;
	unsigned year = (unsigned)(yoe + era * 400) + (month <= 2);
	p = put_digits(p, year, 4);
	*p++ = '-';
	p = put_digits(p, month, 2);
	*p++ = '-';
	p = put_digits(p, day, 2);
	*p++ = 'T';
	return p;
}

/* "YYYY-MM-DDTHH:MM:SS" of unix_ms into buf (at least 20 bytes), without
 * gmtime and strftime: a page of jobs formats a few hundred times, and
 * the library's locale and time-zone machinery was a tenth of a page's
 * cost. The days-to-date step is the proleptic Gregorian calendar counted
 * in 400-year eras from 0000-03-01, so that leap days fall at the end of
 * a year. False outside years 1970..9999 (the caller falls back). */
static bool civil_utc(int64_t unix_ms, char *buf)
{
	int64_t secs = unix_ms / 1000;
	if (unix_ms <= 0 || secs >= 253402300800LL) /* 10000-01-01 */
		return false;
	int64_t days = secs / 86400, rem = secs % 86400;
	/* The times of a page of jobs mostly fall on one day: its date is
	 * kept, per thread, from the last call. */
	static _Thread_local int64_t last_day = -1;
	static _Thread_local char last_date[11];
	char *p = buf;
	if (days == last_day) {
		memcpy(p, last_date, sizeof(last_date));
		p += sizeof(last_date);
	} else {
		p = civil_date(days, p);
		memcpy(last_date, buf, sizeof(last_date));
		last_day = days;
	}
	p = put_digits(p, (unsigned)(rem / 3600), 2);
	*p++ = ':';
	p = put_digits(p, (unsigned)(rem / 60 % 60), 2);
	*p++ = ':';
	put_digits(p, (unsigned)(rem % 60), 2);
	return true;
}

/* Years past 9999, through the C library. */
static void format_time_slow(int64_t unix_ms, char *buf, size_t size)
{
	time_t t = (time_t)(unix_ms / 1000);
	struct tm tm;
	if (!gmtime_r(&t, &tm) || strftime(buf, size, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		snprintf(buf, size, "%lld", (long long)unix_ms);
}

char *format_time(int64_t unix_ms, char *buf, size_t size)
{
	char t[20];
	if (unix_ms <= 0)
		snprintf(buf, size, "-");
	else if (civil_utc(unix_ms, t))
		snprintf(buf, size, "%.19sZ", t);
	else
		format_time_slow(unix_ms, buf, size);
	return buf;
}

char *format_time_ms(int64_t unix_ms, char *buf, size_t size)
{
	char t[25];
	if (size >= sizeof(t) && civil_utc(unix_ms, t)) {
		t[19] = '.';
		put_digits(t + 20, (unsigned)(unix_ms % 1000), 3);
		t[23] = 'Z';
		t[24] = '\0';
		memcpy(buf, t, sizeof(t));
		return buf;
	}
	char secs[32];
	format_time(unix_ms, secs, sizeof(secs));
	size_t n = strlen(secs);
	if (unix_ms <= 0 || n < 2 || secs[n - 1] != 'Z')
		snprintf(buf, size, "%s", secs);
	else
		snprintf(buf, size, "%.*s.%03dZ", (int)(n - 1), secs, (int)(unix_ms % 1000));
	return buf;
}

char *format_duration(int64_t ms, char *buf, size_t size)
{
	if (ms < 0)
		snprintf(buf, size, "-");
	else if (ms < 1000)
		snprintf(buf, size, "%lldms", (long long)ms);
	else if (ms < 60000) /* truncated like the other forms: never "60.0s" */
		snprintf(buf, size, "%lld.%llds", (long long)(ms / 1000),
			 (long long)(ms / 100 % 10));
	else if (ms < 3600000)
		snprintf(buf, size, "%lldm%02llds", (long long)(ms / 60000),
			 (long long)(ms / 1000 % 60));
	else
		snprintf(buf, size, "%lldh%02lldm", (long long)(ms / 3600000),
			 (long long)(ms / 60000 % 60));
	return buf;
}
