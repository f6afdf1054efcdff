/*
 * util/progress.h: a one-line progress report for long operations, on a
 * terminal only: "what: 1200 of 5000 (24%)", redrawn in place at most ten
 * times a second, ended with a newline. When standard error is not a
 * terminal (scripts, logs) nothing at all is printed, so that the output of
 * a command is the same whatever its size.
 */
#ifndef CJOBS_UTIL_PROGRESS_H
#define CJOBS_UTIL_PROGRESS_H

#include <stdbool.h>
#include <stdint.h>

typedef struct {
	bool on;                /* drawing (stderr is a terminal and it is worth it) */
	const char *what;
	int64_t total;
	int64_t last_ms;        /* when the line was last drawn */
	bool drawn;
} progress_t;

/* Starts a report of `total` steps; on only when standard error is a
 * terminal and total >= min_total (small jobs end before anyone looks). */
void progress_start(progress_t *p, const char *what, int64_t total, int64_t min_total);
void progress_update(progress_t *p, int64_t done);
/* Draws the final count and ends the line (if anything was drawn). */
void progress_end(progress_t *p, int64_t done);

#endif
