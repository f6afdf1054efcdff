/*
 * util/opt.c: parsing one option value by its declared type, and reading
 * parsed values by option name; see opt.h.
 */
#include "util/opt.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/err.h"
#include "util/parse.h"
#include "util/timeutil.h"

static _Thread_local int64_t pinned_now;

void cli_pin_now(int64_t now)
{
	pinned_now = now;
}

int cli_parse_value(const cli_option_t *o, const char *text, cli_value_t *v, char **err)
{
	int64_t n = 0;
	int64_t min = o->min, max = o->max;
	if (min == 0 && max == 0)
		max = INT64_MAX;
	switch (o->type) {
	case OPT_FLAG:
		n = 1;
		break;
	case OPT_STRING:
		break;
	case OPT_INT:
		if (!parse_int64(text, min, max, &n))
			return err_set(err, "'%.60s' is not a whole number from %lld to %lld", text,
				       (long long)min, (long long)max);
		break;
	case OPT_SIZE: {
		char lo[32], hi[32];
		if (!parse_size(text, &n))
			return err_set(err, "'%.60s' is not a size: write bytes, or a number with k, m, "
					    "g or t (512m, 2g)",
				       text);
		if (n < min || n > max)
			return err_set(err, "'%.60s' is out of range: give from %s to %s", text,
				       format_size(min, lo, sizeof(lo)), format_size(max, hi, sizeof(hi)));
		break;
	}
	case OPT_DURATION:
		if (!parse_duration_s(text, &n) || n < min || n > max)
			return err_set(err,
				       "'%.60s' is not a duration from %lld to %lld seconds "
				       "(write 90, 90s, 5m, 2h or 1d)",
				       text, (long long)min, (long long)max);
		break;
	case OPT_DECIMAL:
		if (!parse_milli(text, &n) || n < min || n > max)
			return err_set(err, "'%.60s' is not a number from %g to %g (up to three "
					    "decimals, e.g. 1.5)",
				       text, (double)min / 1000.0, (double)max / 1000.0);
		break;
	case OPT_CPUS:
		if (!parse_cpus(text, &n))
			return err_set(err, "'%.60s' is not a number of CPUs (like 0.5 or 2)", text);
		break;
	case OPT_WHEN:
		if (!parse_when(text, pinned_now ? pinned_now : now_ms(), &n))
			return err_set(err,
				       "'%.60s' is not a time: write now, -7d, +10m, 2026-11-24T22:00:00Z "
				       "or @UNIXSECONDS (times are UTC)",
				       text);
		break;
	case OPT_CHOICE: {
		bool ok = false;
		for (const char *const *c = o->choices; *c; c++)
			if (strcmp(*c, text) == 0) {
				ok = true;
				n = c - o->choices;
			}
		if (!ok) {
			char list[256] = "";
			for (const char *const *c = o->choices; *c; c++) {
				strncat(list, *c, sizeof(list) - strlen(list) - 1);
				if (c[1])
					strncat(list, ", ", sizeof(list) - strlen(list) - 1);
			}
			return err_set(err, "'%.60s' is not one of: %s", text, list);
		}
		break;
	}
	case OPT_BOOL: {
		bool b;
		if (!parse_bool(text, &b))
			return err_set(err, "'%.60s' is not yes or no", text);
		n = b;
		break;
	}
	}
	v->has = true;
	v->str = text;
	v->num = n;
	return 0;
}

void cli_args_free(cli_args_t *a)
{
	for (size_t i = 0; a->vals && i < a->nopts; i++)
		free(a->vals[i].list);
	free(a->vals);
	free(a->pos);
	memset(a, 0, sizeof(*a));
}

static const cli_value_t *lookup(const cli_args_t *a, const char *name)
{
	for (size_t i = 0; i < a->nopts; i++)
		if (strcmp(a->options[i].name, name) == 0)
			return &a->vals[i];
	fprintf(stderr, "cjobs: internal error: '%s' has no option --%s\n", a->owner,
		name);
	abort();
}

bool cli_given(const cli_args_t *a, const char *name)
{
	return lookup(a, name)->given;
}

bool cli_has(const cli_args_t *a, const char *name)
{
	return lookup(a, name)->has;
}

bool cli_flag(const cli_args_t *a, const char *name)
{
	return lookup(a, name)->num != 0;
}

const char *cli_str(const cli_args_t *a, const char *name)
{
	const cli_value_t *v = lookup(a, name);
	return v->has ? v->str : NULL;
}

int64_t cli_num(const cli_args_t *a, const char *name)
{
	return lookup(a, name)->num;
}

const char **cli_list(const cli_args_t *a, const char *name, size_t *n)
{
	const cli_value_t *v = lookup(a, name);
	*n = v->nlist;
	return v->list;
}

