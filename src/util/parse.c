/* util/parse.c: strict parsers for values people type; see parse.h. */
#include "util/parse.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

bool parse_int64(const char *s, int64_t min, int64_t max, int64_t *out)
{
	if (!s || !*s || isspace((unsigned char)*s))
		return false;
	errno = 0;
	char *end = NULL;
	long long v = strtoll(s, &end, 10);
	if (errno || *end != '\0' || v < min || v > max)
		return false;
	*out = v;
	return true;
}

/* Parses a non-negative decimal number with an optional fraction; returns
 * the end of the number or NULL. */
static const char *parse_decimal(const char *s, double *out)
{
	if (!isdigit((unsigned char)*s) && !(*s == '.' && isdigit((unsigned char)s[1])))
		return NULL;
	errno = 0;
	char *end = NULL;
	double v = strtod(s, &end);
	if (errno || end == s || !isfinite(v) || v < 0)
		return NULL;
	/* strtod accepts hex and exponents; people's sizes have neither. */
	for (const char *p = s; p < end; p++)
		if (!isdigit((unsigned char)*p) && *p != '.')
			return NULL;
	*out = v;
	return end;
}

bool parse_size(const char *s, int64_t *out)
{
	double v;
	const char *p = s ? parse_decimal(s, &v) : NULL;
	if (!p)
		return false;
	double mult = 1;
	switch (tolower((unsigned char)*p)) {
	case '\0': break;
	case 'k': mult = 1024.0; p++; break;
	case 'm': mult = 1024.0 * 1024; p++; break;
	case 'g': mult = 1024.0 * 1024 * 1024; p++; break;
	case 't': mult = 1024.0 * 1024 * 1024 * 1024; p++; break;
	case 'b': break;
	default: return false;
	}
	if (strcasecmp(p, "ib") == 0 && mult > 1)
		p += 2;
	else if (strcasecmp(p, "b") == 0)
		p += 1;
	if (*p)
		return false;
	double bytes = v * mult;
	if (bytes > 9.0e18 || bytes != floor(bytes))
		return false;
	*out = (int64_t)bytes;
	return true;
}

bool parse_duration_s(const char *s, int64_t *out)
{
	if (!s || !*s)
		return false;
	int64_t plain;
	if (parse_int64(s, 0, INT64_MAX / 1000, &plain)) {
		*out = plain;
		return true;
	}
	int64_t total = 0;
	const char *p = s;
	while (*p) {
		if (!isdigit((unsigned char)*p))
			return false;
		errno = 0;
		char *end;
		long long n = strtoll(p, &end, 10);
		if (errno || n < 0)
			return false;
		int64_t unit;
		switch (*end) {
		case 's': unit = 1; break;
		case 'm': unit = 60; break;
		case 'h': unit = 3600; break;
		case 'd': unit = 86400; break;
		default: return false;
		}
		if (n > (INT64_MAX / 1000 - total) / unit)
			return false;
		total += n * unit;
		p = end + 1;
	}
	*out = total;
	return true;
}

bool parse_milli(const char *s, int64_t *milli)
{
	double v;
	const char *p = s ? parse_decimal(s, &v) : NULL;
	if (!p || *p || v > 1e12)
		return false;
	const char *dot = strchr(s, '.');
	if (dot && strlen(dot + 1) > 3)
		return false;
	*milli = (int64_t)llround(v * 1000.0);
	return true;
}

bool parse_cpus(const char *s, int64_t *nano)
{
	double v;
	const char *p = s ? parse_decimal(s, &v) : NULL;
	if (!p || *p || v > 1e6)
		return false;
	double n = v * 1e9;
	if (v > 0 && llround(n) == 0)
		return false; /* would read as 0, which means no limit */
	*nano = (int64_t)llround(n);
	return true;
}

/* strptime skips blanks and takes short numbers (" 2026-11-24", "26-1-2"):
 * insist on the fixed ISO 8601 shape before it is called. */
static bool iso_shape(const char *s)
{
	static const char shape[] = "dddd-dd-ddTdd:dd:dd";
	size_t i = 0;
	for (; s[i] && s[i] != 'Z' && shape[i]; i++) {
		bool ok = shape[i] == 'd'   ? isdigit((unsigned char)s[i]) != 0
			  : shape[i] == 'T' ? s[i] == 'T' || s[i] == ' '
					    : s[i] == shape[i];
		if (!ok)
			return false;
	}
	if (i != 10 && i != 16 && i != 19)
		return false;
	if (s[i] == 'Z' && i != 10)
		i++;
	return s[i] == '\0';
}

bool parse_when(const char *s, int64_t now, int64_t *out)
{
	if (!s || !*s)
		return false;
	if (strcmp(s, "now") == 0) {
		*out = now;
		return true;
	}
	if (*s == '+') {
		int64_t d;
		if (!isdigit((unsigned char)s[1]) || !parse_duration_s(s + 1, &d) ||
		    now > INT64_MAX - d * 1000)
			return false;
		*out = now + d * 1000;
		return true;
	}
	/* "-7d": that long ago, as the "ago" of --since. */
	if (*s == '-') {
		int64_t d;
		if (!isdigit((unsigned char)s[1]) || !parse_duration_s(s + 1, &d) || d * 1000 >= now)
			return false;
		*out = now - d * 1000;
		return true;
	}
	if (*s == '@') {
		int64_t secs;
		if (!parse_int64(s + 1, 0, INT64_MAX / 1000, &secs))
			return false;
		*out = secs * 1000;
		return true;
	}
	/* Fractions of a second ("22:00:00.123Z", as JavaScript's
	 * toISOString writes times): 1 to 9 digits after the seconds, of
	 * which the milliseconds count. */
	const char *dot = strchr(s, '.');
	if (dot) {
		size_t digits = strspn(dot + 1, "0123456789");
		const char *after = dot + 1 + digits;
		char whole[32];
		if (dot - s != 19 || digits < 1 || digits > 9 ||
		    !(after[0] == '\0' || (after[0] == 'Z' && after[1] == '\0')))
			return false;
		snprintf(whole, sizeof(whole), "%.19s%s", s, after);
		int64_t base;
		if (!parse_when(whole, now, &base))
			return false;
		int64_t ms = 0;
		for (size_t i = 0; i < 3; i++)
			ms = ms * 10 + (i < digits ? dot[1 + i] - '0' : 0);
		*out = base + ms;
		return true;
	}
	static const char *const formats[] = {
		"%Y-%m-%dT%H:%M:%SZ", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M:%S",
		"%Y-%m-%dT%H:%MZ",    "%Y-%m-%dT%H:%M",    "%Y-%m-%d %H:%M",
		"%Y-%m-%d",
	};
	if (!iso_shape(s))
		return false;
	for (size_t i = 0; i < sizeof(formats) / sizeof(formats[0]); i++) {
		struct tm tm;
		memset(&tm, 0, sizeof(tm));
		const char *end = strptime(s, formats[i], &tm);
		if (end && *end == '\0') {
			struct tm asked = tm;
			time_t t = timegm(&tm); /* normalizes tm: Feb 31 becomes Mar 3 */
			if (t == (time_t)-1 || tm.tm_year != asked.tm_year ||
			    tm.tm_mon != asked.tm_mon || tm.tm_mday != asked.tm_mday ||
			    tm.tm_hour != asked.tm_hour || tm.tm_min != asked.tm_min ||
			    tm.tm_sec != asked.tm_sec)
				return false;
			*out = (int64_t)t * 1000;
			return true;
		}
	}
	return false;
}

bool parse_bool(const char *s, bool *out)
{
	static const char *const yes[] = {"1", "yes", "true", "on"};
	static const char *const no[] = {"0", "no", "false", "off"};
	if (!s)
		return false;
	for (size_t i = 0; i < 4; i++) {
		if (strcasecmp(s, yes[i]) == 0) {
			*out = true;
			return true;
		}
		if (strcasecmp(s, no[i]) == 0) {
			*out = false;
			return true;
		}
	}
	return false;
}

/* A size as a person would write it: the largest unit that divides it. */
char *format_size(int64_t v, char *buf, size_t size)
{
	static const char units[] = "kmgt";
	int u = -1;
	while (u < 3 && v >= 1024 && v % 1024 == 0) {
		v /= 1024;
		u++;
	}
	if (u < 0)
		snprintf(buf, size, "%lld", (long long)v);
	else
		snprintf(buf, size, "%lld%c", (long long)v, units[u]);
	return buf;
}
