/*
 * util/sdnotify.h: tells a service manager (systemd, Type=notify) how the
 * process is doing: READY=1, STATUS=..., STOPPING=1, RELOADING=1,
 * WATCHDOG=1. Without $NOTIFY_SOCKET every call does nothing, so the
 * commands behave the same when typed by hand.
 */
#ifndef CJOBS_UTIL_SDNOTIFY_H
#define CJOBS_UTIL_SDNOTIFY_H

#include <stdbool.h>
#include <stdint.h>

/* True when $NOTIFY_SOCKET names a socket to tell. */
bool sdnotify_enabled(void);

/* Sends STATE (one or more "KEY=value" lines) as one datagram. 0 when
 * sent or when there is nobody to tell; -1 when sending failed (errno set).
 * Callers treat a failure as a warning: the manager may be gone. */
int sdnotify_send(const char *state);

/* sdnotify_send of a formatted state, e.g. "STATUS=running %d jobs". */
__attribute__((format(printf, 1, 2))) int sdnotify_sendf(const char *fmt, ...);

/* RELOADING=1 with MONOTONIC_USEC= (the clock systemd compares with, which
 * newer versions ask for with RELOADING=1). */
int sdnotify_reloading(void);

/* The interval at which the manager wants WATCHDOG=1, in microseconds,
 * from $WATCHDOG_USEC; 0 when none is asked of this process ($WATCHDOG_PID
 * set and naming another process, or the value missing or not a positive
 * number). */
int64_t sdnotify_watchdog_usec(void);

#endif
