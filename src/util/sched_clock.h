/*
 * util/sched_clock.h: the clock schedules read their "now" from.
 *
 * In every build people run it is the wall clock. Only a build configured
 * with -Dtest_clock=true (tests/run's build-test) reads "now" from the file
 * that $CJOBS_TEST_CLOCK names instead, so that the tests can move a
 * schedule's time across midnight or a daylight-saving change without
 * waiting for it; jobs themselves still run in real time.
 */
#ifndef CJOBS_UTIL_SCHED_CLOCK_H
#define CJOBS_UTIL_SCHED_CLOCK_H

#include <stdbool.h>
#include <stdint.h>

/* Unix ms. Under the test clock: the file's time (unix ms, or ISO 8601
 * UTC such as 2026-03-29T00:59:00Z), or the wall clock when the variable
 * is unset or the file cannot be read or parsed (said on standard error,
 * once). */
int64_t sched_now_ms(void);
/* Whether this build honours $CJOBS_TEST_CLOCK. */
bool sched_clock_is_test(void);

#endif
