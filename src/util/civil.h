/*
 * util/civil.h: proleptic Gregorian calendar arithmetic on day numbers
 * (days since 1970-01-01), for the time zone rules and cron expressions.
 *
 * Pure integer arithmetic with no time zone, no locale and no libc time
 * functions, so it is thread-safe and works for any year the callers use.
 * Callers keep years within +-1,000,000 so nothing overflows.
 */
#ifndef CJOBS_UTIL_CIVIL_H
#define CJOBS_UTIL_CIVIL_H

#include <stdbool.h>
#include <stdint.h>

/* Days since 1970-01-01 of year y, month m (1..12), day d (1..31). */
int64_t civil_to_days(int64_t y, int m, int d);
/* The date of a day number. */
void civil_from_days(int64_t days, int64_t *y, int *m, int *d);
/* Day of the week of a day number, Sunday = 0. */
int civil_weekday(int64_t days);
bool civil_leap(int64_t y);
/* Days in month m (1..12) of year y. */
int civil_month_days(int64_t y, int m);
/* Floor division and the matching non-negative remainder (b > 0). */
int64_t civil_floor_div(int64_t a, int64_t b);
int64_t civil_floor_mod(int64_t a, int64_t b);

#endif
