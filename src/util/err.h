/*
 * util/err.h: one-line error messages passed up through `char **err`.
 *
 * Library layers never print: they describe the failure in *err and return
 * -1; the command that called them decides how to show it.
 */
#ifndef CJOBS_UTIL_ERR_H
#define CJOBS_UTIL_ERR_H

/* Sets *err (if err is not NULL) to a malloc'd formatted message, freeing
 * any message already there. On allocation failure *err becomes a copy of
 * "out of memory" when possible, else NULL. Always returns -1 so that
 * `return err_set(err, ...);` reads naturally. */
__attribute__((format(printf, 2, 3))) int err_set(char **err, const char *fmt, ...);
/* Prefixes an existing message: "<prefix>: <old>". Returns -1. */
__attribute__((format(printf, 2, 3))) int err_prefix(char **err, const char *fmt, ...);
/* The message, or "out of memory" when none could be made. */
const char *err_str(const char *err);

#endif
