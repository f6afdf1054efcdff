/*
 * util/log.h: messages for people on standard error, filtered by the global
 * --verbosity (0 errors only, 1 normal, 2 detailed, 3 debug). Each line is
 * prefixed by the time when the output is not a terminal, so a daemon's log
 * file can be read later. Values of secret-looking keys never reach here:
 * callers pass job ids and names, not environments.
 */
#ifndef CJOBS_UTIL_LOG_H
#define CJOBS_UTIL_LOG_H

enum { LOG_QUIET = 0, LOG_NORMAL = 1, LOG_DETAIL = 2, LOG_DEBUG = 3 };

void log_set_level(int level);
int log_level(void);
__attribute__((format(printf, 1, 2))) void log_error(const char *fmt, ...);
__attribute__((format(printf, 1, 2))) void log_warn(const char *fmt, ...);
__attribute__((format(printf, 1, 2))) void log_info(const char *fmt, ...);
__attribute__((format(printf, 1, 2))) void log_detail(const char *fmt, ...);
__attribute__((format(printf, 1, 2))) void log_debug(const char *fmt, ...);

#endif
