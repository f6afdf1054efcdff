/* util/log.c: leveled messages on standard error; see log.h. */
#include "util/log.h"
#include "util/text.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static int current_level = LOG_NORMAL;

/* 1 when standard error is systemd's journal stream, 0 when not, -1 not
 * yet looked at. systemd sets JOURNAL_STREAM to "DEVICE:INODE" of the
 * stream it connected; a child whose stderr went elsewhere (a terminal, a
 * file) inherits the variable, so it counts only when it names our fd 2. */
static int journal = -1;

bool log_to_journal(void)
{
	if (journal >= 0)
		return journal;
	journal = 0;
	const char *v = getenv("JOURNAL_STREAM");
	unsigned long long dev, ino;
	char end;
	struct stat st;
	if (v && sscanf(v, "%llu:%llu%c", &dev, &ino, &end) == 2 &&
	    fstat(STDERR_FILENO, &st) == 0 && (unsigned long long)st.st_dev == dev &&
	    (unsigned long long)st.st_ino == ino)
		journal = 1;
	return journal;
}


void log_set_level(int level)
{
	current_level = level;
}

int log_level(void)
{
	return current_level;
}

/* PRIO: the journal's priority prefix (syslog's numbers). */
static void emit(int level, const char *prio, const char *tag, const char *fmt, va_list ap)
{
	if (level > current_level)
		return;
	char stamp[40] = "";
	bool to_journal = log_to_journal();
	/* The journal stamps each line itself. */
	if (!to_journal && !isatty(STDERR_FILENO)) {
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
	if (to_journal)
		/* It names the program too (cjobs[PID]:). */
		fprintf(stderr, "%s%s", prio, tag);
	else
		fprintf(stderr, "%scjobs: %s", stamp, tag);
	fputs_printable(msg ? msg : "(out of memory)", stderr);
	fputc('\n', stderr);
	funlockfile(stderr);
	free(msg);
}

#define LOG_FN(name, level, prio, tag)                                              \
	void name(const char *fmt, ...)                                             \
	{                                                                           \
		va_list ap;                                                         \
		va_start(ap, fmt);                                                  \
		emit(level, prio, tag, fmt, ap);                                    \
		va_end(ap);                                                         \
	}

LOG_FN(log_error, LOG_QUIET, "<3>", "error: ")
LOG_FN(log_warn, LOG_NORMAL, "<4>", "warning: ")
LOG_FN(log_info, LOG_NORMAL, "<6>", "")
LOG_FN(log_detail, LOG_DETAIL, "<6>", "")
LOG_FN(log_debug, LOG_DEBUG, "<7>", "debug: ")
