/*
 * store/metrics.h: aggregates for monitoring (the server's /metrics) and
 * for the dashboard's plot of the queue over time. Readers only.
 */
#ifndef CJOBS_STORE_METRICS_H
#define CJOBS_STORE_METRICS_H

#include "store/store.h"

/* The run-time histogram's buckets: a job whose run time (finished_at -
 * started_at) is at most store_run_bounds_ms[i] falls in bucket i at the
 * latest; longer than the last, in bucket STORE_RUN_BUCKETS. The store
 * keeps a count and a sum per bucket (table job_run_times), added to as
 * each job that ran finishes (completed, failed or timeout), in the same
 * commit: counters, as Prometheus wants them, which a cleanup does not
 * lower and a scrape reads in 12 rows however many jobs there are. A
 * store made by an older version, or by db copy, starts them from the
 * finished jobs it holds. Changing the bounds needs a migration. */
#define STORE_RUN_BUCKETS 11
extern const int64_t store_run_bounds_ms[STORE_RUN_BUCKETS];
/* The bucket of a run time. */
int store_run_bucket(int64_t run_ms);

/* The histogram: counts[i] jobs ran at most store_run_bounds_ms[i]
 * (cumulative, as Prometheus's buckets), *total of them in all, *sum_ms
 * their run times' sum. */
int store_run_time_histogram(store_t *s, int64_t counts[STORE_RUN_BUCKETS], int64_t *total,
			     int64_t *sum_ms, char **err);

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
