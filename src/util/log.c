/* util/log.c: leveled messages on standard error; see log.h. */
#include "util/log.h"
#include "util/text.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

static int current_level = LOG_NORMAL;

void log_set_level(int level)
{
	current_level = level;
}

int log_level(void)
{
	return current_level;
}

static void emit(int level, const char *tag, const char *fmt, va_list ap)
{
	if (level > current_level)
		return;
	char stamp[40] = "";
	if (!isatty(STDERR_FILENO)) {
		struct timespec ts;
		struct tm tm;
		clock_gettime(CLOCK_REALTIME, &ts);
		gmtime_r(&ts.tv_sec, &tm);
		size_t n = strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%S", &tm);
		snprintf(stamp + n, sizeof(stamp) - n, ".%03ldZ ", ts.tv_nsec / 1000000);
	}
	/* Messages quote engine answers and user values: one plain line each,
	 * whatever bytes those hold. */
	char *msg = NULL;
	if (vasprintf(&msg, fmt, ap) < 0)
		msg = NULL;
	flockfile(stderr);
	fprintf(stderr, "%scjobs: %s", stamp, tag);
	fputs_printable(msg ? msg : "(out of memory)", stderr);
	fputc('\n', stderr);
	funlockfile(stderr);
	free(msg);
}

#define LOG_FN(name, level, tag)                                                    \
	void name(const char *fmt, ...)                                             \
	{                                                                           \
		va_list ap;                                                         \
		va_start(ap, fmt);                                                  \
		emit(level, tag, fmt, ap);                                          \
		va_end(ap);                                                         \
	}

LOG_FN(log_error, LOG_QUIET, "error: ")
LOG_FN(log_warn, LOG_NORMAL, "warning: ")
LOG_FN(log_info, LOG_NORMAL, "")
LOG_FN(log_detail, LOG_DETAIL, "")
LOG_FN(log_debug, LOG_DEBUG, "debug: ")
