/*
 * engine/rfc3339.h: the engine's timestamps ("2024-05-01T10:11:12.123456789Z")
 * as unix milliseconds.
 *
 * Pure and strict: anything but a complete RFC 3339 date-time is refused,
 * never guessed at.
 */
#ifndef CJOBS_ENGINE_RFC3339_H
#define CJOBS_ENGINE_RFC3339_H

#include <stdbool.h>
#include <stdint.h>

/* Parses s into unix ms (fractions below a millisecond are dropped, toward
 * the past). The engine's "never" ("0001-01-01T00:00:00Z", or any time
 * before 1970) gives 0. Returns false, leaving *ms alone, when s is not an
 * RFC 3339 date-time. */
bool rfc3339_ms(const char *s, int64_t *ms);

#endif
