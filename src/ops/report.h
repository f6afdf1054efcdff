/*
 * ops/report.h: the report over a period (store/report.h computes it) as
 * both front ends give it: the period's rule and the JSON object.
 */
#ifndef CJOBS_OPS_REPORT_H
#define CJOBS_OPS_REPORT_H

#include <jansson.h>

#include "ops/jobs.h"
#include "store/report.h"
#include "util/opt.h"

/* The period's two options, with their defaults (the last 7 days), for
 * the command line's table and the API's query alike. */
#define OPS_REPORT_SINCE_OPTION                                                                    \
	{.name = "since", .type = OPT_WHEN, .metavar = "WHEN", .def = "-7d",                       \
	 .help = "Start of the period (inclusive): now, -7d (that long ago), +10m, 2026-11-24, "  \
		 "2026-11-24T22:00:00Z or @UNIXSECONDS (UTC)."}
#define OPS_REPORT_UNTIL_OPTION                                                                    \
	{.name = "until", .type = OPT_WHEN, .metavar = "WHEN", .def = "now",                       \
	 .help = "End of the period (exclusive), written like --since."}
/* Both, in that order, and a terminator. */
extern const cli_option_t ops_report_period_options[3];

/* INVALID unless since is before until; since_given: whether someone chose
 * it (the message then does not point at the default). */
ops_rc_t ops_report_period_check(int64_t since, int64_t until, bool since_given, char **err);
/* completed / (completed + failed + timeout); false when none of them. */
bool ops_report_success_rate(const store_report_row_t *r, double *rate);
/* The object of `manage-jobs report --format json`. */
json_t *ops_report_json(const store_report_t *r, int64_t since, int64_t until, const char *host,
			int64_t now);

#endif
