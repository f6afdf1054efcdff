/*
 * core/retry.c: retry strategies, backoff with jitter, and the
 * transient/permanent classification of failures.
 */
#include "core/retry.h"

#include <ctype.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>

#include "util/err.h"

static const retry_strategy_t strategies[] = {
	{"default", 10 * 1000, 2.0, 10 * 60 * 1000,
	 "first retry after about 10s, doubling, at most 10m apart"},
	{"aggressive", 1000, 1.5, 60 * 1000,
	 "first retry after about 1s, x1.5 each time, at most 1m apart"},
	{"conservative", 60 * 1000, 3.0, 60 * 60 * 1000,
	 "first retry after about 1m, tripling, at most 1h apart"},
};
#define NSTRATEGIES (sizeof(strategies) / sizeof(strategies[0]))

const char *const retry_strategy_names[] = {"default", "aggressive", "conservative", NULL};

const retry_strategy_t *retry_strategy_find(const char *name)
{
	if (!name || !*name)
		name = RETRY_STRATEGY_DEFAULT;
	for (size_t i = 0; i < NSTRATEGIES; i++)
		if (strcmp(strategies[i].name, name) == 0)
			return &strategies[i];
	return NULL;
}

int64_t retry_delay_ms(const retry_strategy_t *s, int n, double random01)
{
	if (!s)
		s = retry_strategy_find(NULL);
	double d = (double)s->base_ms;
	/* Stop multiplying once past the ceiling: no overflow for large n. */
	for (int i = 1; i < n && d < (double)s->ceiling_ms; i++)
		d *= s->factor;
	if (d > (double)s->ceiling_ms)
		d = (double)s->ceiling_ms;
	if (random01 < 0 || random01 >= 1)
		random01 = 0.5;
	d *= 0.8 + 0.4 * random01;
	if (d > (double)s->ceiling_ms)
		d = (double)s->ceiling_ms;
	return (int64_t)d;
}

int retry_policy_format(const char *name, int64_t delay_s, int64_t factor_milli,
			int64_t max_delay_s, char **out, char **err)
{
	*out = NULL;
	if (!name)
		name = RETRY_STRATEGY_DEFAULT;
	const retry_strategy_t *preset = retry_strategy_find(name);
	if (!preset)
		return err_set(err, "unknown retry strategy '%.40s': use default, aggressive or "
				    "conservative",
			       name);
	if (delay_s < 0 || delay_s > RETRY_DELAY_MAX_S || max_delay_s < 0 ||
	    max_delay_s > RETRY_DELAY_MAX_S)
		return err_set(err, "retry delays are from 1 second to 1 day (86400 seconds)");
	if (factor_milli && (factor_milli < RETRY_FACTOR_MIN_MILLI ||
			     factor_milli > RETRY_FACTOR_MAX_MILLI))
		return err_set(err, "the retry factor is from 1 (the same delay each time) to 10");
	int64_t base = delay_s ? delay_s * 1000 : preset->base_ms;
	int64_t ceiling = max_delay_s ? max_delay_s * 1000 : preset->ceiling_ms;
	if (ceiling < base)
		return err_set(err, "--retry-max-delay (%llds) is shorter than the first retry's delay "
				    "(%llds): make it at least as long",
			       (long long)(ceiling / 1000), (long long)(base / 1000));
	if (!delay_s && !factor_milli && !max_delay_s) {
		if (strcmp(preset->name, RETRY_STRATEGY_DEFAULT) != 0 && !(*out = strdup(preset->name)))
			return err_set(err, "out of memory");
		return 0;
	}
	char d[32] = "", f[32] = "", m[32] = "";
	if (delay_s)
		snprintf(d, sizeof(d), ";delay=%lld", (long long)delay_s);
	if (factor_milli)
		snprintf(f, sizeof(f), ";factor=%lld.%03lld", (long long)(factor_milli / 1000),
			 (long long)(factor_milli % 1000));
	if (max_delay_s)
		snprintf(m, sizeof(m), ";max=%lld", (long long)max_delay_s);
	if (asprintf(out, "%s%s%s%s", preset->name, d, f, m) < 0) {
		*out = NULL;
		return err_set(err, "out of memory");
	}
	return 0;
}

/* One "key=value" of a policy text: a whole number of seconds or thousandths. */
static bool policy_value(const char *v, size_t len, bool decimal, int64_t *out)
{
	int64_t whole = 0, frac = 0;
	size_t i = 0, digits = 0, fdigits = 0;
	for (; i < len && isdigit((unsigned char)v[i]) && digits < 9; i++, digits++)
		whole = whole * 10 + (v[i] - '0');
	if (decimal && i < len && v[i] == '.')
		for (i++; i < len && isdigit((unsigned char)v[i]) && fdigits < 3; i++, fdigits++)
			frac = frac * 10 + (v[i] - '0');
	while (fdigits < 3 && decimal)
		frac *= 10, fdigits++;
	if (i != len || digits == 0)
		return false;
	*out = decimal ? whole * 1000 + frac : whole;
	return true;
}

int retry_policy_parse(const char *text, retry_strategy_t *out, char **err)
{
	if (!text || !*text)
		text = RETRY_STRATEGY_DEFAULT;
	size_t nlen = strcspn(text, ";");
	char name[32];
	if (nlen >= sizeof(name))
		return err_set(err, "unknown retry strategy '%.40s': use default, aggressive or "
				    "conservative",
			       text);
	memcpy(name, text, nlen);
	name[nlen] = '\0';
	const retry_strategy_t *preset = retry_strategy_find(name);
	if (!preset)
		return err_set(err, "unknown retry strategy '%.40s': use default, aggressive or "
				    "conservative",
			       name);
	int64_t delay = 0, factor = 0, max = 0;
	for (const char *p = text + nlen; *p == ';';) {
		p++;
		size_t len = strcspn(p, ";");
		const char *eq = memchr(p, '=', len);
		bool ok = eq != NULL;
		size_t klen = ok ? (size_t)(eq - p) : 0, vlen = ok ? len - klen - 1 : 0;
		if (ok && klen == 5 && strncmp(p, "delay", 5) == 0)
			ok = policy_value(eq + 1, vlen, false, &delay) && delay > 0;
		else if (ok && klen == 6 && strncmp(p, "factor", 6) == 0)
			ok = policy_value(eq + 1, vlen, true, &factor) && factor > 0;
		else if (ok && klen == 3 && strncmp(p, "max", 3) == 0)
			ok = policy_value(eq + 1, vlen, false, &max) && max > 0;
		else
			ok = false;
		if (!ok)
			return err_set(err, "retry policy '%.80s' is not one cjobs writes", text);
		p += len;
	}
	char *check = NULL;
	if (retry_policy_format(name, delay, factor, max, &check, err) < 0)
		return -1;
	free(check);
	*out = *preset;
	if (delay)
		out->base_ms = delay * 1000;
	if (factor)
		out->factor = (double)factor / 1000.0;
	if (max)
		out->ceiling_ms = max * 1000;
	return 0;
}

double retry_random01(void)
{
	uint32_t r = 0;
	if (getrandom(&r, sizeof(r), GRND_NONBLOCK) != (ssize_t)sizeof(r))
		return 0.5;  /* no entropy yet: no jitter, still a valid delay */
	return (double)r / 4294967296.0;
}

/* Case-insensitive substring search. */
static bool contains(const char *hay, const char *needle)
{
	size_t n = strlen(needle);
	for (; *hay; hay++) {
		size_t i = 0;
		while (i < n && hay[i] &&
		       tolower((unsigned char)hay[i]) == tolower((unsigned char)needle[i]))
			i++;
		if (i == n)
			return true;
	}
	return false;
}

/* Faults of the job itself: running it again changes nothing. */
static const char *const permanent_kinds[] = {
	"no such image",
	"pull access denied",
	"repository does not exist",
	"manifest unknown",
	"invalid reference format",
	"executable file not found",
	/* The runtime could not find the command: exec: "/x": stat /x: ... */
	"exec: \"",
	"exec format error",
	"permission denied",
	"unauthorized",
	"invalid",
	"not found",
	/* An engine's plain-HTTP try at a TLS registry (one it counts as
	 * insecure, after HTTPS failed): the same every time. */
	"http request to an https server",
	NULL,
};

/* Faults of the machinery: another attempt may well succeed. */
static const char *const transient_kinds[] = {
	"connection reset",
	"connection refused",
	"broken pipe",
	"no space left",
	"resource temporarily unavailable",
	"cannot allocate memory",
	"out of memory",
	"too many open files",
	"device or resource busy",
	"temporary failure",
	"timed out",
	"timeout",
	NULL,
};

/* A registry's refusal of the credentials (or of none): the engine's
 * words for it, whatever registry and engine version said them. */
static const char *const auth_refusals[] = {
	"unauthorized",
	"no basic auth credentials",
	"authentication required",
	"access denied",       /* "pull access denied for ..." */
	"resource is denied",  /* "requested access to the resource is denied" */
	"access forbidden",
	NULL,
};

/* The registry's error code DENIED ("denied: ..."), which a file's
 * "permission denied: ..." is not. */
static bool denied_code(const char *m)
{
	static const char perm[] = "permission ";
	size_t n = sizeof(perm) - 1;
	for (const char *p = m; *p; p++) {
		if (strncasecmp(p, "denied: ", 8) != 0)
			continue;
		if ((size_t)(p - m) < n || strncasecmp(p - n, perm, n) != 0)
			return true;
	}
	return false;
}

bool retry_auth_refused(int http_status, const char *message)
{
	if (http_status == 401 || http_status == 403)
		return true;
	for (const char *const *k = auth_refusals; message && *k; k++)
		if (contains(message, *k))
			return true;
	return message && denied_code(message);
}

retry_class_t retry_classify(int http_status, bool unreachable, bool timed_out,
			     const char *message)
{
	if (unreachable || timed_out)
		return RETRY_TRANSIENT;
	/* Before the transient kinds: a refusal may mention a timeout or a
	 * reset on its way, and trying the same credentials again changes
	 * nothing. */
	if (retry_auth_refused(http_status, message))
		return RETRY_PERMANENT;
	const char *m = message ? message : "";
	/* Transient kinds first: "no space left ... no such file" style chains
	 * name the cause first, and a full disk must not fail a job for good. */
	for (const char *const *k = transient_kinds; *k; k++)
		if (contains(m, *k))
			return RETRY_TRANSIENT;
	for (const char *const *k = permanent_kinds; *k; k++)
		if (contains(m, *k))
			return RETRY_PERMANENT;
	if (http_status >= 500 || http_status == 0)
		return RETRY_TRANSIENT;
	return RETRY_PERMANENT;
}

int retry_exit_codes_check(const char *spec, char **err)
{
	if (!spec || !*spec)
		return err_set(err, "--retry-on-exit-code: give 'any' or exit codes such as 1,75");
	if (strcmp(spec, "any") == 0)
		return 0;
	const char *p = spec;
	for (;;) {
		if (!isdigit((unsigned char)*p))
			return err_set(err, "--retry-on-exit-code: '%.40s' is not 'any' or a "
					    "comma-separated list of exit codes from 1 to 255 "
					    "(e.g. 1,75)",
				       spec);
		long v = 0;
		while (isdigit((unsigned char)*p) && v <= 255)
			v = v * 10 + (*p++ - '0');
		if (v < 1 || v > 255 || isdigit((unsigned char)*p))
			return err_set(err, "--retry-on-exit-code: exit codes are from 1 to 255 "
					    "(0 is success); '%.40s' is not",
				       spec);
		if (*p == '\0')
			return 0;
		if (*p != ',')
			return err_set(err, "--retry-on-exit-code: '%.40s' is not 'any' or a "
					    "comma-separated list of exit codes from 1 to 255 "
					    "(e.g. 1,75)",
				       spec);
		p++;
	}
}

bool retry_exit_code_matches(const char *spec, int code)
{
	if (!spec || code == 0)
		return false;
	if (strcmp(spec, "any") == 0)
		return true;
	for (const char *p = spec; *p;) {
		char *end;
		long v = strtol(p, &end, 10);
		if (end == p)
			return false;
		if (v == code)
			return true;
		p = *end == ',' ? end + 1 : end;
	}
	return false;
}
