/*
 * core/cron.c: parsing cron(5) expressions into sets of minutes, hours,
 * days and months; see cron.h. The due times are worked out in
 * cron_next.c.
 *
 * Errors name the field, say what was wrong in it and what the field
 * accepts, so that a user can correct an expression from the message
 * alone. A failed parse leaves *out untouched.
 */
#include "core/cron.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "util/civil.h"
#include "util/err.h"

/* Far longer than any real expression; a bound on what is echoed back. */
#define CRON_MAX_TEXT 512

static const char *const month_names[] = {"jan", "feb", "mar", "apr", "may", "jun",
					  "jul", "aug", "sep", "oct", "nov", "dec", NULL};
static const char *const wday_names[] = {"sun", "mon", "tue", "wed", "thu", "fri", "sat", NULL};

typedef struct {
	const char *name;
	int lo, hi, max_step;
	const char *accepts;
	const char *const *names; /* names[i] is lo + i */
} field_t;

static const field_t fields[5] = {
	{"minute", 0, 59, 60, "a minute is 0-59", NULL},
	{"hour", 0, 23, 24, "an hour is 0-23", NULL},
	{"day of month", 1, 31, 31, "a day of month is 1-31", NULL},
	{"month", 1, 12, 12, "a month is 1-12 or jan-dec", month_names},
	{"day of week", 0, 7, 7, "a day of week is 0-7 (0 and 7 are Sunday) or sun-sat", wday_names},
};

static const struct {
	const char *name, *expr;
} shorthands[] = {
	{"@yearly", "0 0 1 1 *"}, {"@annually", "0 0 1 1 *"}, {"@monthly", "0 0 1 * *"},
	{"@weekly", "0 0 * * 0"}, {"@daily", "0 0 * * *"},    {"@midnight", "0 0 * * *"},
	{"@hourly", "0 * * * *"},
};

#define FIVE_FIELDS "write five fields (minute hour day-of-month month day-of-week), e.g. \"30 2 * * *\", or one of @hourly @daily @weekly @monthly @yearly"

typedef struct {
	const field_t *f;
	const char *text; /* the whole field */
	int len;
	char **err;
} fctx_t;

/* "hour field \"1,25\": " then the message. */
__attribute__((format(printf, 2, 3))) static int field_err(const fctx_t *x, const char *fmt, ...)
{
	char *msg = NULL;
	va_list ap;
	va_start(ap, fmt);
	int n = vasprintf(&msg, fmt, ap);
	va_end(ap);
	if (n < 0)
		return err_set(x->err, "out of memory");
	err_set(x->err, "%s field \"%.*s\": %s", x->f->name, x->len, x->text, msg);
	free(msg);
	return -1;
}

/* One value: a number or (where the field has them) a name. */
static int parse_value(const fctx_t *x, const char *s, int n, int *out)
{
	if (n > 0 && isdigit((unsigned char)s[0])) {
		int v = 0;
		for (int i = 0; i < n; i++) {
			if (!isdigit((unsigned char)s[i]))
				return field_err(x, "\"%.*s\" is not a number; %s", n, s, x->f->accepts);
			if (v < 1000)
				v = v * 10 + (s[i] - '0');
		}
		if (v < x->f->lo || v > x->f->hi) {
			bool whole = s == x->text && n == x->len;
			if (whole)
				return field_err(x, "out of range; %s", x->f->accepts);
			return field_err(x, "%.*s is out of range; %s", n, s, x->f->accepts);
		}
		*out = v;
		return 0;
	}
	if (x->f->names && n == 3)
		for (int i = 0; x->f->names[i]; i++)
			if (strncasecmp(s, x->f->names[i], 3) == 0) {
				*out = x->f->lo + i;
				return 0;
			}
	if (n == 0)
		return field_err(x, "a value is missing; %s", x->f->accepts);
	return field_err(x, "\"%.*s\" is not %s; %s", n, s,
			 x->f->names ? "a number or a name" : "a number", x->f->accepts);
}

/* One list item: "*", "V", "A-B", each optionally "/STEP". Sets bits. */
static int parse_item(const fctx_t *x, const char *s, int n, uint64_t *bits)
{
	const field_t *f = x->f;
	if (n == 0)
		return field_err(x, "an empty list item; separate values with single commas, e.g. 1,15,30");
	const char *slash = memchr(s, '/', (size_t)n);
	int rn = slash ? (int)(slash - s) : n;
	int lo, hi, step = 1;
	if (rn == 1 && s[0] == '*') {
		lo = f->lo;
		hi = f->hi;
	} else {
		const char *dash = memchr(s, '-', (size_t)rn);
		if (parse_value(x, s, dash ? (int)(dash - s) : rn, &lo) != 0)
			return -1;
		if (dash) {
			if (parse_value(x, dash + 1, rn - (int)(dash - s) - 1, &hi) != 0)
				return -1;
			/* "fri-sun": Sunday ends a week as 7. */
			if (f->hi == 7 && hi == 0 && lo > 0)
				hi = 7;
			if (hi < lo)
				return field_err(x, "the range %d-%d runs backwards; write the lower value first, or two ranges: %d-%d,%d-%d",
						 lo, hi, lo, f->hi, f->lo, hi);
		} else {
			/* "5/10" is 5-max/10; a plain "5" is just 5. */
			hi = slash ? f->hi : lo;
		}
	}
	if (slash) {
		const char *p = slash + 1;
		int sn = n - rn - 1, v = 0;
		bool digits = sn > 0;
		for (int i = 0; i < sn; i++) {
			if (!isdigit((unsigned char)p[i]))
				digits = false;
			else if (v < 1000)
				v = v * 10 + (p[i] - '0');
		}
		if (!digits)
			return field_err(x, "the step \"%.*s\" is not a number; write e.g. */%d", sn, p,
					 f->max_step > 5 ? 5 : 2);
		if (v < 1 || v > f->max_step)
			return field_err(x, "the step %d is not 1-%d; write e.g. */%d", v, f->max_step,
					 f->max_step > 5 ? 5 : 2);
		step = v;
	}
	for (int v = lo; v <= hi; v += step)
		*bits |= (uint64_t)1 << v;
	return 0;
}

static int parse_field(const field_t *f, const char *s, int n, uint64_t *bits, char **err)
{
	fctx_t x = {f, s, n, err};
	uint64_t b = 0;
	const char *end = s + n;
	for (const char *p = s;;) {
		const char *comma = memchr(p, ',', (size_t)(end - p));
		const char *stop = comma ? comma : end;
		if (parse_item(&x, p, (int)(stop - p), &b) != 0)
			return -1;
		if (!comma)
			break;
		p = comma + 1;
	}
	*bits = b;
	return 0;
}

/* Whether some day the day-of-month set names exists in some month the
 * month set names. With the day rule's "both must match", that is the
 * whole question: over the 400-year calendar cycle every date falls on
 * every day of the week, February 29 included. */
static bool some_day_exists(const cron_t *c)
{
	for (int m = 1; m <= 12; m++) {
		if (!(c->months >> m & 1))
			continue;
		int last = m == 2 ? 29 : civil_month_days(2001, m);
		for (int d = 1; d <= last; d++)
			if (c->mdays >> d & 1)
				return true;
	}
	return false;
}

static int parse_fields(const char *text, const char *shown, cron_t *out, char **err)
{
	const char *start[6];
	int len[6], n = 0;
	for (const char *p = text; *p;) {
		while (*p == ' ' || *p == '\t')
			p++;
		if (!*p)
			break;
		const char *q = p;
		while (*q && *q != ' ' && *q != '\t')
			q++;
		if (n == 6)
			break;
		start[n] = p;
		len[n++] = (int)(q - p);
		p = q;
	}
	if (n != 5)
		return err_set(err, "cron expression \"%s\" has %s%d field%s; " FIVE_FIELDS, shown,
			       n == 6 ? "more than " : "", n == 6 ? 5 : n, n == 1 ? "" : "s");
	uint64_t b[5];
	for (int i = 0; i < 5; i++)
		if (parse_field(&fields[i], start[i], len[i], &b[i], err) != 0)
			return -1;
	cron_t c = {
		.minutes = b[0],
		.hours = (uint32_t)b[1],
		.mdays = (uint32_t)b[2],
		.months = (uint16_t)b[3],
		/* 7 is Sunday, like 0. */
		.wdays = (uint8_t)((b[4] | (b[4] >> 7)) & 0x7f),
		/* cron(5): a day field is unrestricted when it starts with
		 * "*" ("*" and "*" "/2" alike). */
		.mday_any = start[2][0] == '*',
		.wday_any = start[4][0] == '*',
	};
	if ((c.mday_any || c.wday_any) && !some_day_exists(&c))
		return err_set(err, "cron expression \"%s\" is never due: the days of month it names (%.*s) do not exist in the months it names (%.*s); choose days that exist in those months",
			       shown, len[2], start[2], len[3], start[3]);
	*out = c;
	return 0;
}

int cron_parse(const char *text, cron_t *out, char **err)
{
	size_t n = strlen(text);
	if (n > CRON_MAX_TEXT)
		return err_set(err, "cron expression too long (%zu characters); " FIVE_FIELDS, n);
	for (const char *p = text; *p; p++)
		if ((unsigned char)*p < 0x20 && *p != '\t')
			return err_set(err, "cron expression: a control character (0x%02x) is not allowed; " FIVE_FIELDS,
				       (unsigned char)*p);
	while (*text == ' ' || *text == '\t')
		text++;
	if (!*text)
		return err_set(err, "cron expression is empty; " FIVE_FIELDS);
	if (*text != '@')
		return parse_fields(text, text, out, err);
	size_t wl = strcspn(text, " \t");
	if (text[wl + strspn(text + wl, " \t")] != '\0')
		return err_set(err, "cron expression \"%s\": a shorthand such as %.*s stands alone; " FIVE_FIELDS,
			       text, (int)wl, text);
	if (wl == 7 && strncasecmp(text, "@reboot", 7) == 0)
		return err_set(err, "@reboot is not a schedule: a schedule runs at times, not when a machine starts; to run a job now, use \"cjobs job submit\"");
	for (size_t i = 0; i < sizeof(shorthands) / sizeof(shorthands[0]); i++)
		if (strlen(shorthands[i].name) == wl && strncasecmp(text, shorthands[i].name, wl) == 0)
			return parse_fields(shorthands[i].expr, shorthands[i].name, out, err);
	return err_set(err, "unknown cron shorthand \"%.*s\"; write @yearly, @annually, @monthly, @weekly, @daily, @midnight or @hourly, or five fields",
		       (int)wl, text);
}
