/*
 * ops/retry_options.h: the changes a retry may make (--timeout, --memory,
 * --cpus, --priority of `manage-jobs retry`, and the members of the body
 * of POST /api/v1/jobs/ID/retry), declared once: the same names, types,
 * ranges and words in the command's help, its parsing, and the API's.
 * ops_retry_change_set() applies a parsed value by its name.
 */
#ifndef CJOBS_OPS_RETRY_OPTIONS_H
#define CJOBS_OPS_RETRY_OPTIONS_H

#include <stdint.h>

#include "core/job.h"
#include "util/opt.h"

#define OPS_RETRY_CHANGE_OPTIONS                                                            \
	{.name = "timeout", .type = OPT_DURATION, .metavar = "DURATION", .min = 0,           \
	 .max = JOB_TIMEOUT_MAX,                                                              \
	 .help = "New time limit for the retried jobs, as job submit --timeout; 0 means no "  \
		 "limit. Without it, each job keeps its own."},                                \
	{.name = "memory", .type = OPT_SIZE, .metavar = "SIZE", .min = JOB_MEMORY_MIN,         \
	 .max = JOB_MEMORY_MAX,                                                               \
	 .help = "New memory limit for the retried jobs (at least 6m), as job submit "        \
		 "--memory. Without it, each job keeps its own."},                             \
	{.name = "cpus", .type = OPT_CPUS, .metavar = "N",                                    \
	 .help = "New CPU limit for the retried jobs, e.g. 0.5 or 2; 0 removes the limit. "   \
		 "Without it, each job keeps its own."},                                       \
	{.name = "priority", .type = OPT_INT, .metavar = "N", .min = JOB_PRIORITY_MIN,         \
	 .max = JOB_PRIORITY_MAX,                                                             \
	 .help = "New priority for the retried jobs (higher runs first). Without it, each "   \
		 "job keeps its own."}

/* The names above, in their order, NULL-terminated. */
extern const char *const ops_retry_change_names[];

#endif
