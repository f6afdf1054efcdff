/*
 * cli/job_pick.h: the jobs a bulk command chose (manage-jobs cancel
 * --host, retry --host/--since), kept as ids while the store walks them
 * (store_job_each): a long queue or history would not fit in memory as
 * job records. Each chosen job is described as it is read, where the
 * command will show it.
 */
#ifndef CJOBS_CLI_JOB_PICK_H
#define CJOBS_CLI_JOB_PICK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

typedef struct {
	FILE *shown;        /* where each chosen job is described, or NULL */
	const char *lead;   /* what each description starts with */
	int64_t *ids;
	size_t n, cap;
} job_pick_t;

/* Where the chosen jobs are described: with --dry-run, the dry run's list
 * on stdout, each line led by dry_lead ("would cancel "); without --force
 * and with a terminal to answer, above the confirmation's question on
 * stderr; otherwise nowhere. */
void job_pick_init(job_pick_t *p, bool dry_run, bool force, const char *dry_lead);
/* Keeps id; -1 with *err when out of memory. */
int job_pick_add(job_pick_t *p, int64_t id, char **err);
void job_pick_free(job_pick_t *p);

#endif
