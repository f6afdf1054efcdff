/*
 * util/timeutil.h: clocks and time formatting. Stored times are unix
 * milliseconds (wall clock); deadlines inside a process use the monotonic
 * clock so that a changed system time cannot kill or keep a job.
 */
#ifndef CJOBS_UTIL_TIMEUTIL_H
#define CJOBS_UTIL_TIMEUTIL_H

#include <stddef.h>
#include <stdint.h>

int64_t now_ms(void);        /* wall clock, unix ms */
int64_t mono_ms(void);       /* monotonic clock, ms */
int64_t mono_us(void);       /* monotonic clock, microseconds */
/* "2026-11-24T22:53:30Z" (UTC, ISO 8601) into buf (at least 32 bytes);
 * "-" for 0. Returns buf. */
char *format_time(int64_t unix_ms, char *buf, size_t size);
/* The same with milliseconds: "2026-11-24T22:53:30.123Z" (for JSON). */
char *format_time_ms(int64_t unix_ms, char *buf, size_t size);
/* A duration in ms as people read it: "850ms", "12.3s", "4m05s", "2h10m". */
char *format_duration(int64_t ms, char *buf, size_t size);

#endif
