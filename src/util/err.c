/* util/err.c: building error messages; see err.h. */
#include "util/err.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char *vformat(const char *fmt, va_list ap)
{
	char *s = NULL;
	if (vasprintf(&s, fmt, ap) < 0)
		return NULL;
	return s;
}

int err_set(char **err, const char *fmt, ...)
{
	if (!err)
		return -1;
	va_list ap;
	va_start(ap, fmt);
	char *msg = vformat(fmt, ap);
	va_end(ap);
	free(*err);
	*err = msg ? msg : strdup("out of memory");
	return -1;
}

int err_prefix(char **err, const char *fmt, ...)
{
	if (!err)
		return -1;
	va_list ap;
	va_start(ap, fmt);
	char *prefix = vformat(fmt, ap);
	va_end(ap);
	char *joined = NULL;
	if (prefix && asprintf(&joined, "%s: %s", prefix, err_str(*err)) < 0)
		joined = NULL;
	free(prefix);
	if (joined) {
		free(*err);
		*err = joined;
	}
	return -1;
}

const char *err_str(const char *err)
{
	return err ? err : "out of memory";
}
