/*
 * store/metrics.h: aggregates for monitoring (the server's /metrics) and
 * for the dashboard's plot of the queue over time. Readers only.
 */
#ifndef CJOBS_STORE_METRICS_H
#define CJOBS_STORE_METRICS_H

#include "store/store.h"

/* Over the jobs that ran and finished (completed, failed, timeout):
 * *total of them, *sum_ms of their run times (finished_at - started_at),
 * and counts[i] of those whose run time is at most bounds_ms[i]. */
int store_run_time_histogram(store_t *s, const int64_t *bounds_ms, size_t n, int64_t *counts,
			     int64_t *total, int64_t *sum_ms, char **err);

/* One step of the timeline: jobs waiting (queued or launching) and running
 * at the end of the step, and jobs that finished during it. */
typedef struct {
	int64_t queued, running, finished;
} store_timeline_point_t;

/* n steps of step ms from `from` (unix ms), from each job's times of its
 * latest attempt. */
int store_timeline(store_t *s, int64_t from, int64_t step, size_t n, store_timeline_point_t *out,
		   char **err);

#endif
