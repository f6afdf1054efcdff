/*
 * util/tz.h: IANA time zones read from the system's tz database, for
 * turning a schedule's wall-clock times into instants.
 *
 * Thread-safe and free of global state: the HTTP server is multi-threaded,
 * so this never touches setenv("TZ"), tzset() or localtime(); a loaded
 * zone is immutable and may be shared between threads.
 */
#ifndef CJOBS_UTIL_TZ_H
#define CJOBS_UTIL_TZ_H

#include <stdint.h>

typedef struct tz tz_t;

/* Loads an IANA zone ("Europe/Berlin", "UTC") from the system's tz
 * database (TZif files under /usr/share/zoneinfo; TZDIR overrides the
 * directory, for tests). NULL or "UTC" gives UTC without any file.
 * Refuses names that are not zone names (absolute paths, "..",
 * characters outside [A-Za-z0-9/_+-]) and files that are not TZif,
 * with a one-line error saying what to write instead.
 * Returns 0 and sets *out, or -1 and sets *err. */
int tz_load(const char *name, tz_t **out, char **err);
void tz_free(tz_t *tz);
/* The name it was loaded by ("UTC" for NULL). */
const char *tz_name(const tz_t *tz);
/* Seconds east of UTC in effect at the instant t (unix seconds).
 * tz NULL is UTC. */
int32_t tz_offset_at(const tz_t *tz, int64_t t);
/* The first instant after t (unix seconds) at which the offset changes,
 * or INT64_MAX when it never changes again. Changes of name or of the
 * daylight-saving flag alone are not changes of offset and are skipped. */
int64_t tz_next_transition(const tz_t *tz, int64_t t);

#endif
