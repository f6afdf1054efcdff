/*
 * util/parse.h: strict parsing of numbers, sizes, durations and times given
 * by people. Each parser accepts the whole string or fails: "12x", "", " 3"
 * and values out of range are errors, never silently truncated.
 */
#ifndef CJOBS_UTIL_PARSE_H
#define CJOBS_UTIL_PARSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Decimal integer within [min, max]. */
bool parse_int64(const char *s, int64_t min, int64_t max, int64_t *out);
/* A byte size: "512", "64k", "256m", "2g", "1.5g" (k/m/g/t are powers of
 * 1024; an optional trailing "b"/"ib" is accepted). */
bool parse_size(const char *s, int64_t *out);
/* A duration: "30" (seconds), "30s", "5m", "2h", "7d", "1h30m". */
bool parse_duration_s(const char *s, int64_t *out);
/* A decimal number "1.5", "2" as thousandths (1500, 2000); false for more
 * than three decimals, which would be lost. */
bool parse_milli(const char *s, int64_t *milli);
/* A CPU amount "0.5", "2" as nano-CPUs (1 CPU = 1e9). */
bool parse_cpus(const char *s, int64_t *nano);
/* A point in time: "now", "+10m" (from now), "-7d" (ago), "2026-11-24T22:00:00Z",
 * "2026-11-24 22:00" (UTC), or unix seconds "@1764000000". Unix ms. */
bool parse_when(const char *s, int64_t now_ms, int64_t *out);
/* "yes/no/true/false/on/off/1/0". */
bool parse_bool(const char *s, bool *out);

/* A size as a person would write it, and parse_size reads it: the largest
 * unit that divides it (64m, 1g, 6291456). Returns buf. */
char *format_size(int64_t v, char *buf, size_t size);

#endif
