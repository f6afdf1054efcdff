/*
 * ops/report.h: the report over a period (store/report.h computes it) as
 * both front ends give it: the period's rule and the JSON object.
 */
#ifndef CJOBS_OPS_REPORT_H
#define CJOBS_OPS_REPORT_H

#include <jansson.h>

#include "ops/jobs.h"
#include "store/report.h"

/* Without a start, a report covers the 7 days before its end. */
#define OPS_REPORT_PERIOD_MS (7LL * 24 * 3600 * 1000)

/* The period's start (since, or OPS_REPORT_PERIOD_MS before until); INVALID
 * when it is not before until. */
ops_rc_t ops_report_period(bool has_since, int64_t since, int64_t until, int64_t *out_since,
			   char **err);
/* completed / (completed + failed + timeout); false when none of them. */
bool ops_report_success_rate(const store_report_row_t *r, double *rate);
/* The object of `manage-jobs report --format json`. */
json_t *ops_report_json(const store_report_t *r, int64_t since, int64_t until, const char *host,
			int64_t now);

#endif
