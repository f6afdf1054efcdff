/*
 * util/log.h: messages for people on standard error, filtered by the global
 * --verbosity (0 errors only, 1 normal, 2 detailed, 3 debug). Each line is
 * prefixed by the time when the output is not a terminal, so a daemon's log
 * file can be read later. Under systemd (JOURNAL_STREAM naming standard
 * error) each line starts with the journal's priority instead ("<3>" error,
 * "<4>" warning, "<6>" info, "<7>" debug) and carries no time: the journal
 * keeps both. Values of secret-looking keys never reach here:
 * callers pass job ids and names, not environments.
 */
#ifndef CJOBS_UTIL_LOG_H
#define CJOBS_UTIL_LOG_H

#include <stdbool.h>

enum { LOG_QUIET = 0, LOG_NORMAL = 1, LOG_DETAIL = 2, LOG_DEBUG = 3 };

void log_set_level(int level);
/* True when standard error is systemd's journal stream (JOURNAL_STREAM
 * names it): lines then start with a priority such as "<3>". */
bool log_to_journal(void);
int log_level(void);
__attribute__((format(printf, 1, 2))) void log_error(const char *fmt, ...);
__attribute__((format(printf, 1, 2))) void log_warn(const char *fmt, ...);
__attribute__((format(printf, 1, 2))) void log_info(const char *fmt, ...);
__attribute__((format(printf, 1, 2))) void log_detail(const char *fmt, ...);
__attribute__((format(printf, 1, 2))) void log_debug(const char *fmt, ...);

#endif
