/* util/timeutil.c: clocks and time formatting; see timeutil.h. */
#include "util/timeutil.h"

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

char *format_time(int64_t unix_ms, char *buf, size_t size)
{
	if (unix_ms <= 0) {
		snprintf(buf, size, "-");
		return buf;
	}
	time_t t = (time_t)(unix_ms / 1000);
	struct tm tm;
	if (!gmtime_r(&t, &tm) || strftime(buf, size, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		snprintf(buf, size, "%lld", (long long)unix_ms);
	return buf;
}

char *format_time_ms(int64_t unix_ms, char *buf, size_t size)
{
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
