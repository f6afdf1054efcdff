/*
 * ops/status.h: the queue's status as one JSON object, for every front end.
 */
#ifndef CJOBS_OPS_STATUS_H
#define CJOBS_OPS_STATUS_H

#include <jansson.h>

#include "store/report.h"

/* A time as the JSON objects show it (RFC 3339 in UTC, milliseconds), or
 * null for 0. */
json_t *ops_time_json(int64_t ms);
/* The object of `manage-jobs status --format json` for st (store_status at
 * now, of one host or all). With detailed, each running job's resource use
 * and each of hosts[0..nhosts)'s capacity (active[i] jobs on it). */
json_t *ops_status_json(const store_status_t *st, const char *host, bool detailed,
			const host_t *hosts, size_t nhosts, const int64_t *active, int64_t now);

#endif
