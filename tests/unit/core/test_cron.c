/*
 * tests/unit/core/test_cron.c: cron expressions (core/cron.c) and their
 * due times (core/cron_next.c): every syntax form, every refusal naming
 * its field, cron(5)'s day rule, month ends and leap years, the
 * daylight-saving rules in real zones of the system's tz database (a time
 * that happens twice is due once; a time that does not happen is due when
 * the gap ends, once for the whole gap), a 30-minute shift, a skipped day,
 * and that cron_next never gives the same instant twice. A brute-force
 * oracle that looks at every minute checks cron_next around every
 * transition of several zones.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "core/cron.h"
#include "util/civil.h"
#include "util/tz.h"

static cron_t parse_ok(const char *text)
{
	cron_t c;
	char *err = NULL;
	if (cron_parse(text, &c, &err) != 0)
		fail_msg("cron_parse(\"%s\"): %s", text, err);
	assert_null(err);
	return c;
}

static uint64_t bits(const char *list)
{
	uint64_t b = 0;
	for (const char *p = list; *p;) {
		char *end;
		long v = strtol(p, &end, 10);
		b |= (uint64_t)1 << v;
		p = *end ? end + 1 : end;
	}
	return b;
}

static uint64_t span(int lo, int hi)
{
	uint64_t b = 0;
	for (int i = lo; i <= hi; i++)
		b |= (uint64_t)1 << i;
	return b;
}

static void test_fields_and_forms(void **state)
{
	(void)state;
	cron_t c = parse_ok("* * * * *");
	assert_true(c.minutes == span(0, 59) && c.hours == span(0, 23) && c.mdays == span(1, 31));
	assert_true(c.months == span(1, 12) && c.wdays == span(0, 6));
	assert_true(c.mday_any && c.wday_any);
	c = parse_ok("*/15 */6 1-30/5 */4 *");
	assert_true(c.minutes == bits("0,15,30,45"));
	assert_true(c.hours == bits("0,6,12,18"));
	assert_true(c.mdays == bits("1,6,11,16,21,26"));
	assert_true(c.months == bits("1,5,9"));
	c = parse_ok("5/10 5/6 2/10 11/1 1/2");
	assert_true(c.minutes == bits("5,15,25,35,45,55"));
	assert_true(c.hours == bits("5,11,17,23"));
	assert_true(c.mdays == bits("2,12,22"));
	assert_true(c.months == bits("11,12"));
	assert_true(c.wdays == bits("1,3,5,0")); /* 1-7/2: 7 is Sunday */
	c = parse_ok("0,7,59 1,2,3-5,23 31 12 6");
	assert_true(c.minutes == bits("0,7,59") && c.hours == bits("1,2,3,4,5,23"));
	assert_true(c.mdays == bits("31") && c.months == bits("12") && c.wdays == bits("6"));
	assert_false(c.mday_any || c.wday_any);
	/* Names, any case, in lists and ranges, with steps. */
	c = parse_ok("0 0 * jan,MAR-May,Dec sun-Tue,fri");
	assert_true(c.months == bits("1,3,4,5,12") && c.wdays == bits("0,1,2,5"));
	c = parse_ok("0 0 * jan-dec/3 mon-sun");
	assert_true(c.months == bits("1,4,7,10") && c.wdays == span(0, 6));
	/* 7 is Sunday too. */
	assert_true(parse_ok("0 0 * * 7").wdays == bits("0"));
	assert_true(parse_ok("0 0 * * 5-7").wdays == bits("0,5,6"));
	assert_true(parse_ok("0 0 * * fri-sun").wdays == bits("0,5,6"));
	assert_true(parse_ok("0 0 * * 0-0").wdays == bits("0"));
	/* Spaces and tabs, any number, around and between. */
	c = parse_ok(" \t1\t\t2   3 4 5  ");
	assert_true(c.minutes == bits("1") && c.hours == bits("2") && c.mdays == bits("3"));
	/* cron(5): a day field counts as "*" when it starts with one. */
	c = parse_ok("0 0 */2 * 1");
	assert_true(c.mday_any && !c.wday_any);
	c = parse_ok("0 0 1 * */2");
	assert_true(!c.mday_any && c.wday_any);
}

static void same(const char *a, const char *b)
{
	cron_t x = parse_ok(a), y = parse_ok(b);
	assert_memory_equal(&x, &y, sizeof(x));
}

static void test_shorthands(void **state)
{
	(void)state;
	same("@yearly", "0 0 1 1 *");
	same("@annually", "0 0 1 1 *");
	same("@monthly", "0 0 1 * *");
	same("@weekly", "0 0 * * 0");
	same("@daily", "0 0 * * *");
	same("@midnight", "0 0 * * *");
	same("@hourly", "0 * * * *");
	same(" @Hourly ", "0 * * * *");
}

static void parse_fails(const char *text, const char *part)
{
	cron_t c;
	memset(&c, 0xab, sizeof(c));
	cron_t before = c;
	char *err = NULL;
	if (cron_parse(text, &c, &err) == 0)
		fail_msg("cron_parse(\"%s\") succeeded", text);
	assert_memory_equal(&c, &before, sizeof(c)); /* untouched */
	assert_non_null(err);
	if (!strstr(err, part))
		fail_msg("cron_parse(\"%s\"): \"%s\" does not say \"%s\"", text, err, part);
	assert_null(strchr(err, '\n'));
	free(err);
}

static void test_errors_name_the_field(void **state)
{
	(void)state;
	parse_fails("0 25 * * *", "hour field \"25\": out of range; an hour is 0-23");
	parse_fails("60 * * * *", "minute field \"60\": out of range; a minute is 0-59");
	parse_fails("0 0 0 * *", "day of month field \"0\": out of range; a day of month is 1-31");
	parse_fails("0 0 32 * *", "day of month field \"32\": out of range");
	parse_fails("0 0 * 13 *", "month field \"13\": out of range; a month is 1-12 or jan-dec");
	parse_fails("0 0 * * 8", "day of week field \"8\": out of range; a day of week is 0-7 (0 and 7 are Sunday) or sun-sat");
	parse_fails("0 1,2,99 * * *", "hour field \"1,2,99\": 99 is out of range; an hour is 0-23");
	parse_fails("0 0 * * 1-99", "day of week field \"1-99\": 99 is out of range");
	parse_fails("0 0 * * monday", "day of week field \"monday\": \"monday\" is not a number or a name");
	parse_fails("0 0 * foo *", "month field \"foo\": \"foo\" is not a number or a name; a month is 1-12 or jan-dec");
	parse_fails("0 mon * * *", "hour field \"mon\": \"mon\" is not a number; an hour is 0-23");
	parse_fails("1x * * * *", "minute field \"1x\": \"1x\" is not a number; a minute is 0-59");
}

static void test_errors_of_lists_ranges_steps(void **state)
{
	(void)state;
	parse_fails("1,,2 * * * *", "minute field \"1,,2\": an empty list item; separate values with single commas");
	parse_fails("1, * * * *", "minute field \"1,\": an empty list item");
	parse_fails("0 22-2 * * *", "hour field \"22-2\": the range 22-2 runs backwards; write the lower value first, or two ranges: 22-23,0-2");
	parse_fails("0 0 * * fri-mon", "day of week field \"fri-mon\": the range 5-1 runs backwards");
	parse_fails("*/0 * * * *", "minute field \"*/0\": the step 0 is not 1-60; write e.g. */5");
	parse_fails("0 */25 * * *", "hour field \"*/25\": the step 25 is not 1-24");
	parse_fails("0 0 * */x *", "month field \"*/x\": the step \"x\" is not a number");
	parse_fails("0 0 * 1/ *", "month field \"1/\": the step \"\" is not a number");
	parse_fails("-5 * * * *", "minute field \"-5\": a value is missing; a minute is 0-59");
	parse_fails("5- * * * *", "minute field \"5-\": a value is missing");
	parse_fails("1-2-3 * * * *", "minute field \"1-2-3\": \"2-3\" is not a number");
	parse_fails("** * * * *", "minute field \"**\": \"**\" is not a number");
}

static void test_errors_of_the_whole(void **state)
{
	(void)state;
	parse_fails("", "cron expression is empty; write five fields (minute hour day-of-month month day-of-week)");
	parse_fails("  \t ", "cron expression is empty");
	parse_fails("* * * *", "cron expression \"* * * *\" has 4 fields; write five fields");
	parse_fails("*", "has 1 field; write five fields");
	parse_fails("* * * * * *", "has more than 5 fields");
	parse_fails("* * * * * /bin/true", "has more than 5 fields");
	parse_fails("@reboot", "@reboot is not a schedule: a schedule runs at times, not when a machine starts; to run a job now, use \"cjobs job submit\"");
	parse_fails("@REBOOT", "@reboot is not a schedule");
	parse_fails("@often", "unknown cron shorthand \"@often\"; write @yearly, @annually, @monthly, @weekly, @daily, @midnight or @hourly");
	parse_fails("@daily 5", "a shorthand such as @daily stands alone");
	parse_fails("0 0 * * *\n", "a control character (0x0a) is not allowed");
	char longtext[600];
	memset(longtext, '1', sizeof(longtext) - 1);
	longtext[sizeof(longtext) - 1] = '\0';
	parse_fails(longtext, "cron expression too long (599 characters)");
	/* Never due: the day is in none of the months. */
	parse_fails("0 0 30 2 *", "cron expression \"0 0 30 2 *\" is never due: the days of month it names (30) do not exist in the months it names (2)");
	parse_fails("0 0 31 4,6,9,11 *", "is never due");
	parse_fails("0 0 31 apr *", "is never due");
	parse_fails("0 0 30-31 feb */2", "is never due");
	/* ...but February 29 exists, and with both day fields restricted a
	 * day of the week will do. */
	parse_ok("0 0 29 2 *");
	parse_ok("0 0 30 2 1");
	parse_ok("0 0 31 * *");
}

/* Dates for the tests, in UTC, as unix ms. */
static int64_t utc(int y, int mo, int d, int h, int mi)
{
	return (civil_to_days(y, mo, d) * 86400 + h * 3600 + mi * 60) * 1000;
}

static tz_t *zone(const char *name)
{
	tz_t *tz = NULL;
	char *err = NULL;
	if (tz_load(name, &tz, &err) != 0)
		fail_msg("tz_load(%s): %s", name, err);
	return tz;
}

static char *show(int64_t ms, char buf[32])
{
	if (ms < 0) {
		snprintf(buf, 32, "%lld", (long long)ms);
		return buf;
	}
	time_t t = (time_t)(ms / 1000);
	struct tm tm;
	gmtime_r(&t, &tm);
	strftime(buf, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
	return buf;
}

/* cron_next from `after` must give `want`, ... (0-terminated), each one
 * from the previous answer. */
static void chain(const char *expr, const char *zname, int64_t after, ...)
{
	cron_t c = parse_ok(expr);
	tz_t *tz = zname ? zone(zname) : NULL;
	va_list ap;
	va_start(ap, after);
	for (int64_t want; (want = va_arg(ap, int64_t)) != 0;) {
		int64_t got = cron_next(&c, tz, after);
		if (got != want) {
			char a[32], b[32], g[32];
			fail_msg("\"%s\" in %s after %s: %s, want %s", expr, zname ? zname : "UTC", show(after, a),
				 show(got, g), show(want, b));
		}
		after = got;
	}
	va_end(ap);
	tz_free(tz);
}

static void test_next_in_utc(void **state)
{
	(void)state;
	/* Strictly after: a due minute itself gives the next one. */
	chain("* * * * *", NULL, utc(2026, 5, 1, 10, 0), utc(2026, 5, 1, 10, 1), utc(2026, 5, 1, 10, 2), 0LL);
	chain("* * * * *", NULL, utc(2026, 5, 1, 10, 0) + 1, utc(2026, 5, 1, 10, 1), 0LL);
	chain("* * * * *", NULL, utc(2026, 5, 1, 10, 0) - 1, utc(2026, 5, 1, 10, 0), 0LL);
	chain("*/15 * * * *", NULL, utc(2026, 5, 1, 23, 50), utc(2026, 5, 2, 0, 0), utc(2026, 5, 2, 0, 15), 0LL);
	/* Year end. */
	chain("@yearly", NULL, utc(2026, 5, 1, 0, 0), utc(2027, 1, 1, 0, 0), utc(2028, 1, 1, 0, 0), 0LL);
	chain("59 23 31 12 *", NULL, utc(2026, 12, 31, 23, 59), utc(2027, 12, 31, 23, 59), 0LL);
	/* Month ends: the 31st skips the shorter months. */
	chain("0 0 31 * *", NULL, utc(2026, 1, 31, 0, 0), utc(2026, 3, 31, 0, 0), utc(2026, 5, 31, 0, 0),
	      utc(2026, 7, 31, 0, 0), utc(2026, 8, 31, 0, 0), utc(2026, 10, 31, 0, 0), 0LL);
	chain("0 12 30 * *", NULL, utc(2026, 1, 30, 12, 0), utc(2026, 3, 30, 12, 0), 0LL);
	/* Leap years: February 29 of 2028, 2032, not 2100. */
	chain("0 0 29 2 *", NULL, utc(2026, 1, 1, 0, 0), utc(2028, 2, 29, 0, 0), utc(2032, 2, 29, 0, 0), 0LL);
	chain("0 0 29 2 *", NULL, utc(2096, 3, 1, 0, 0), utc(2104, 2, 29, 0, 0), 0LL);
	chain("0 0 * 2 *", NULL, utc(2028, 2, 28, 0, 0), utc(2028, 2, 29, 0, 0), utc(2029, 2, 1, 0, 0), 0LL);
	/* Weekdays: 2026-05-01 is a Friday. */
	chain("30 8 * * mon-fri", NULL, utc(2026, 5, 1, 9, 0), utc(2026, 5, 4, 8, 30), utc(2026, 5, 5, 8, 30), 0LL);
	chain("0 0 * * 0", NULL, utc(2026, 5, 1, 0, 0), utc(2026, 5, 3, 0, 0), utc(2026, 5, 10, 0, 0), 0LL);
	chain("@weekly", NULL, utc(2026, 5, 3, 0, 0), utc(2026, 5, 10, 0, 0), 0LL);
	chain("0 * * * *", NULL, utc(2026, 5, 1, 0, 0), utc(2026, 5, 1, 1, 0), 0LL);
	chain("@monthly", NULL, utc(2026, 12, 15, 0, 0), utc(2027, 1, 1, 0, 0), utc(2027, 2, 1, 0, 0), 0LL);
	/* Hours and minutes both restricted: the minute restarts each hour. */
	chain("10,50 9-10 * * *", NULL, utc(2026, 5, 1, 9, 30), utc(2026, 5, 1, 9, 50), utc(2026, 5, 1, 10, 10),
	      utc(2026, 5, 1, 10, 50), utc(2026, 5, 2, 9, 10), 0LL);
}

static void test_day_rule(void **state)
{
	(void)state;
	/* Both restricted: the 13th OR a Friday. From Thursday 2026-02-12:
	 * Friday 13th, then Friday 20th, 27th, then Friday March 6, then
	 * Friday the 13th of March again. */
	chain("0 0 13 * 5", NULL, utc(2026, 2, 12, 0, 0), utc(2026, 2, 13, 0, 0), utc(2026, 2, 20, 0, 0),
	      utc(2026, 2, 27, 0, 0), utc(2026, 3, 6, 0, 0), utc(2026, 3, 13, 0, 0), 0LL);
	/* The 1st or a Monday: 2026-06-01 is a Monday, July 1 a Wednesday. */
	chain("0 0 1 * mon", NULL, utc(2026, 6, 20, 0, 0), utc(2026, 6, 22, 0, 0), utc(2026, 6, 29, 0, 0),
	      utc(2026, 7, 1, 0, 0), utc(2026, 7, 6, 0, 0), 0LL);
	/* One of them "*": both must match (every day is the 1st here...). */
	chain("0 0 1 * *", NULL, utc(2026, 6, 20, 0, 0), utc(2026, 7, 1, 0, 0), 0LL);
	/* ...(and every Monday here). */
	chain("0 0 * * mon", NULL, utc(2026, 6, 20, 0, 0), utc(2026, 6, 22, 0, 0), 0LL);
	/* A field starting with "*" counts as "*": odd days that are
	 * Mondays (2026-06-01, 06-15, 06-29, then 2026-07-13). */
	chain("0 0 */2 * mon", NULL, utc(2026, 5, 31, 0, 0), utc(2026, 6, 1, 0, 0), utc(2026, 6, 15, 0, 0),
	      utc(2026, 6, 29, 0, 0), utc(2026, 7, 13, 0, 0), 0LL);
	/* February 29 that is a Sunday (the day of week starts with "*"):
	 * 2032, then 2060. */
	chain("0 0 29 2 */7", NULL, utc(2026, 1, 1, 0, 0), utc(2032, 2, 29, 0, 0), utc(2060, 2, 29, 0, 0), 0LL);
}

static void test_dst_europe_berlin(void **state)
{
	(void)state;
	/* 2026-03-29: 02:00 CET becomes 03:00 CEST (01:00 UTC). 02:30 does
	 * not happen: due at 03:00 CEST, then 02:30 CEST the day after. */
	chain("30 2 * * *", "Europe/Berlin", utc(2026, 3, 28, 12, 0), utc(2026, 3, 29, 1, 0), utc(2026, 3, 30, 0, 30), 0LL);
	/* Every quarter hour: 01:45 CET, then the four of the gap and 03:00
	 * itself are one run at 03:00 CEST, then 03:15 CEST. */
	chain("*/15 * * * *", "Europe/Berlin", utc(2026, 3, 29, 0, 30), utc(2026, 3, 29, 0, 45),
	      utc(2026, 3, 29, 1, 0), utc(2026, 3, 29, 1, 15), 0LL);
	/* Several times inside the gap and none after: one run. */
	chain("0,20,40 2 * * *", "Europe/Berlin", utc(2026, 3, 28, 12, 0), utc(2026, 3, 29, 1, 0),
	      utc(2026, 3, 30, 0, 0), 0LL);
	/* 2026-10-25: 03:00 CEST becomes 02:00 CET (01:00 UTC). 02:30 happens
	 * twice: due at its first, 02:30 CEST (00:30 UTC), not at 02:30 CET;
	 * then 02:30 CET the day after. */
	chain("30 2 * * *", "Europe/Berlin", utc(2026, 10, 24, 12, 0), utc(2026, 10, 25, 0, 30),
	      utc(2026, 10, 26, 1, 30), 0LL);
	/* Hourly: 02:00 CEST, then 03:00 CET (02:00 CET was 02:00 already). */
	chain("0 * * * *", "Europe/Berlin", utc(2026, 10, 24, 23, 30), utc(2026, 10, 25, 0, 0),
	      utc(2026, 10, 25, 2, 0), utc(2026, 10, 25, 3, 0), 0LL);
	/* Asked from inside the repeated hour (02:10 CET): 02:30 was due
	 * already (as CEST), so the next is 03:00 CET. */
	chain("30 2,3 * * *", "Europe/Berlin", utc(2026, 10, 25, 1, 10), utc(2026, 10, 25, 2, 30), 0LL);
	/* Asked from just before the end of the gap, the gap's minutes are
	 * due at its end; asked from its end, they were due already. */
	chain("30 2 * * *", "Europe/Berlin", utc(2026, 3, 29, 1, 0) - 1, utc(2026, 3, 29, 1, 0), 0LL);
	chain("30 2 * * *", "Europe/Berlin", utc(2026, 3, 29, 1, 0) - 1000, utc(2026, 3, 29, 1, 0), 0LL);
	chain("30 2 * * *", "Europe/Berlin", utc(2026, 3, 29, 1, 0), utc(2026, 3, 30, 0, 30), 0LL);
	/* Far past the file's explicit transitions (the footer rule):
	 * 2090-03-26. */
	chain("30 2 * * *", "Europe/Berlin", utc(2090, 3, 25, 12, 0), utc(2090, 3, 26, 1, 0), 0LL);
}

static void test_dst_america_new_york(void **state)
{
	(void)state;
	/* 2026-03-08: 02:00 EST becomes 03:00 EDT (07:00 UTC). */
	chain("30 2 * * *", "America/New_York", utc(2026, 3, 7, 12, 0), utc(2026, 3, 8, 7, 0), utc(2026, 3, 9, 6, 30), 0LL);
	/* 2026-11-01: 02:00 EDT becomes 01:00 EST (06:00 UTC); 01:30 twice. */
	chain("30 1 * * *", "America/New_York", utc(2026, 10, 31, 12, 0), utc(2026, 11, 1, 5, 30),
	      utc(2026, 11, 2, 6, 30), 0LL);
	chain("*/30 * * * *", "America/New_York", utc(2026, 11, 1, 5, 0), utc(2026, 11, 1, 5, 30),
	      utc(2026, 11, 1, 7, 0), 0LL);
}

static void test_odd_zones(void **state)
{
	(void)state;
	/* Lord Howe moves by 30 minutes: 2026-10-04 02:00 +10:30 becomes
	 * 02:30 +11 (15:30 UTC the day before). 02:15 falls in the gap. */
	chain("15 2 * * *", "Australia/Lord_Howe", utc(2026, 10, 3, 0, 0), utc(2026, 10, 3, 15, 30),
	      utc(2026, 10, 4, 15, 15), 0LL);
	chain("45 2 * * *", "Australia/Lord_Howe", utc(2026, 10, 3, 0, 0), utc(2026, 10, 3, 15, 45), 0LL);
	/* 2026-04-05 02:00 +11 becomes 01:30 +10:30: 01:45 is due at its
	 * first occurrence (+11), and then on the 6th. */
	chain("45 1 * * *", "Australia/Lord_Howe", utc(2026, 4, 4, 0, 0), utc(2026, 4, 4, 14, 45),
	      utc(2026, 4, 5, 15, 15), 0LL);
	/* Samoa skipped 2011-12-30 (from -10 to +14 at 10:00 UTC): noon of
	 * the 30th is due when the day that replaced it began. */
	chain("0 12 * * *", "Pacific/Apia", utc(2011, 12, 29, 12, 0), utc(2011, 12, 29, 22, 0),
	      utc(2011, 12, 30, 10, 0), utc(2011, 12, 30, 22, 0), 0LL);
	chain("0 0 30 12 *", "Pacific/Apia", utc(2011, 1, 1, 0, 0), utc(2011, 12, 30, 10, 0),
	      utc(2012, 12, 29, 10, 0), 0LL);
	/* Kolkata is 5:30 east all year. */
	chain("0 9 * * *", "Asia/Kolkata", utc(2026, 6, 1, 0, 0), utc(2026, 6, 1, 3, 30), utc(2026, 6, 2, 3, 30), 0LL);
	/* UTC by name is UTC. */
	chain("0 9 * * *", "UTC", utc(2026, 6, 1, 0, 0), utc(2026, 6, 1, 9, 0), 0LL);
}

/* The oracle: looks at every minute. An instant is due when its local
 * minute matches and that local time was not reached before, or when it
 * ends a gap (clocks went forward) in which some local minute matched. */
static bool oracle_match(const cron_t *c, int64_t local)
{
	int64_t days = civil_floor_div(local, 86400), y;
	int m, d, sec = (int)(local - days * 86400);
	civil_from_days(days, &y, &m, &d);
	bool dm = c->mdays >> d & 1, wm = c->wdays >> civil_weekday(days) & 1;
	bool day = (c->mday_any || c->wday_any) ? dm && wm : dm || wm;
	return day && (c->months >> m & 1) && (c->hours >> (sec / 3600) & 1) &&
	       (c->minutes >> (sec % 3600 / 60) & 1);
}

static void check_oracle(const char *expr, const tz_t *tz, int64_t from, int64_t to)
{
	cron_t c = parse_ok(expr);
	int64_t reached = INT64_MIN, next = cron_next(&c, tz, from * 1000);
	/* The local time reached before the window: up to three days back. */
	for (int64_t t = from - 3 * 86400; t <= from; t += 60)
		reached = t - 1 + tz_offset_at(tz, t - 1) > reached ? t - 1 + tz_offset_at(tz, t - 1) : reached;
	for (int64_t t = from + 60; t < to; t += 60) {
		int32_t before = tz_offset_at(tz, t - 1), o = tz_offset_at(tz, t);
		if (t - 1 + before > reached)
			reached = t - 1 + before;
		bool due = t + o > reached && oracle_match(&c, t + o);
		for (int64_t g = reached + 1 - (reached + 1) % 60 + ((reached + 1) % 60 ? 60 : 0); !due && g < t + o;
		     g += 60)
			due = oracle_match(&c, g); /* a gap ends at t */
		if (!due)
			continue;
		if (next != t * 1000) {
			char a[32], b[32];
			fail_msg("\"%s\" in %s: cron_next says %s, the oracle %s", expr, tz_name(tz), show(next, a),
				 show(t * 1000, b));
		}
		int64_t n2 = cron_next(&c, tz, next);
		assert_true(n2 > next);
		next = n2;
	}
	if (next < to * 1000) {
		char a[32];
		fail_msg("\"%s\" in %s: cron_next says %s, the oracle nothing", expr, tz_name(tz), show(next, a));
	}
}

static void test_oracle_around_transitions(void **state)
{
	(void)state;
	static const char *zones[] = {"Europe/Berlin", "America/New_York", "Australia/Lord_Howe",
				      "Pacific/Chatham", "Europe/Dublin", "America/Santiago",
				      "Antarctica/Troll", "Asia/Gaza"};
	static const char *exprs[] = {"* * * * *", "*/15 * * * *", "30 2 * * *", "0 * * * *",
				      "0,30 1-3 * * *", "59 1 * * *", "0 3 * * *", "15,45 0-4 * * 0",
				      "*/7 23,0,1 * * *", "0 0 * * *"};
	for (size_t z = 0; z < sizeof(zones) / sizeof(zones[0]); z++) {
		tz_t *tz = zone(zones[z]);
		/* Every transition of 2026 and of 2080 (the footer rule). */
		int64_t starts[] = {utc(2026, 1, 1, 0, 0) / 1000, utc(2080, 1, 1, 0, 0) / 1000};
		for (int s = 0; s < 2; s++) {
			for (int64_t tr = tz_next_transition(tz, starts[s]); tr < starts[s] + 366 * 86400;
			     tr = tz_next_transition(tz, tr))
				for (size_t e = 0; e < sizeof(exprs) / sizeof(exprs[0]); e++)
					check_oracle(exprs[e], tz, tr - 2 * 86400 - 60 * 7, tr + 2 * 86400);
		}
		tz_free(tz);
	}
	/* Samoa's skipped day. */
	tz_t *tz = zone("Pacific/Apia");
	for (size_t e = 0; e < sizeof(exprs) / sizeof(exprs[0]); e++)
		check_oracle(exprs[e], tz, utc(2011, 12, 28, 0, 0) / 1000, utc(2012, 1, 2, 0, 0) / 1000);
	tz_free(tz);
}

static void test_never_repeats(void **state)
{
	(void)state;
	static const char *exprs[] = {"* * * * *", "0 * * * *", "30 2 * * *", "*/20 1-3 * * *"};
	static const char *zones[] = {"Europe/Berlin", "America/New_York", "Australia/Lord_Howe", "UTC"};
	for (size_t z = 0; z < 4; z++) {
		tz_t *tz = zone(zones[z]);
		for (size_t e = 0; e < 4; e++) {
			cron_t c = parse_ok(exprs[e]);
			int64_t t = utc(2026, 1, 1, 0, 0), end = utc(2027, 1, 1, 0, 0);
			/* Each minute expression only around the year's
			 * transitions, to stay quick. */
			if (e == 0)
				t = utc(2026, 10, 24, 0, 0), end = utc(2026, 10, 27, 0, 0);
			while (t < end) {
				int64_t n = cron_next(&c, tz, t);
				assert_true(n > t);
				assert_int_equal(n % 1000, 0);
				t = n;
			}
		}
		tz_free(tz);
	}
}

static void test_limits(void **state)
{
	(void)state;
	cron_t c = parse_ok("* * * * *");
	assert_int_equal(cron_next(&c, NULL, INT64_MAX), -1);
	assert_int_equal(cron_next(&c, NULL, INT64_MIN), -1);
	/* Before 1970 works as after. */
	assert_int_equal(cron_next(&c, NULL, -90000), -60000);
	/* Nothing within 30 years: February 29 on a Monday, asked from
	 * 2072-03-01: the next is 2112 (2100 is no leap year). */
	c = parse_ok("0 0 29 2 */7");
	c.wdays = 1 << 1;
	assert_int_equal(cron_next(&c, NULL, utc(2072, 3, 1, 0, 0)), -1);
	assert_int_equal(cron_next(&c, NULL, utc(2060, 3, 1, 0, 0)), utc(2072, 2, 29, 0, 0));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fields_and_forms),
		cmocka_unit_test(test_shorthands),
		cmocka_unit_test(test_errors_name_the_field),
		cmocka_unit_test(test_errors_of_lists_ranges_steps),
		cmocka_unit_test(test_errors_of_the_whole),
		cmocka_unit_test(test_next_in_utc),
		cmocka_unit_test(test_day_rule),
		cmocka_unit_test(test_dst_europe_berlin),
		cmocka_unit_test(test_dst_america_new_york),
		cmocka_unit_test(test_odd_zones),
		cmocka_unit_test(test_oracle_around_transitions),
		cmocka_unit_test(test_never_repeats),
		cmocka_unit_test(test_limits),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
