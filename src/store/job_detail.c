/*
 * store/job_detail.c: a job's row and all that `job show` and GET
 * /api/v1/jobs/ID say beside it, read as one snapshot. The four reads
 * (the row with its schedule's name, the history, the output's sizes, the
 * links both ways) go as one batch (st_batch_begin): on PostgreSQL that
 * is one round trip where reading them one by one in a transaction would
 * take six, and round trips are most of what such a GET costs there;
 * each statement also costs the server an execution of its own, so the
 * reads are as few as the rows' shapes allow.
 */
#include <stdlib.h>
#include <string.h>

#include "store/store_int.h"
#include "util/err.h"

/* The job's row, and after it the name of its schedule (NULL: none). */
#define SQL_JOB_AND_SCHEDULE                                                    \
	"SELECT " JOB_COLUMNS ", (SELECT name FROM schedules WHERE schedules.id = " \
	"jobs.schedule_id) FROM jobs WHERE id = ?"

enum { R_JOB, R_HISTORY, R_OUTPUT, R_LINKS, R_COUNT };

static const char *const reads[R_COUNT] = {
	[R_JOB] = SQL_JOB_AND_SCHEDULE,
	[R_HISTORY] = SQL_HISTORY,
	[R_OUTPUT] = SQL_OUTPUT_SIZES,
	[R_LINKS] = SQL_LINKS,
};

void store_job_detail_free(store_job_detail_t *d)
{
	store_history_free(d->history, d->nhistory);
	store_deps_free(d->after, d->nafter);
	store_deps_free(d->before, d->nbefore);
	free(d->schedule);
	memset(d, 0, sizeof(*d));
}

/* The schedule's name on the job's row, which job_collect has read. */
static int schedule_collect(db_stmt_t *st, char **name, char **err)
{
	bool oom = false;
	*name = col_text(st, JOB_COLUMN_COUNT, &oom);
	return oom ? err_set(err, "out of memory") : 0;
}

/* The rows of the batch, in its order. */
static int collect(store_t *s, db_stmt_t *const *st, int64_t id, job_t *job,
		   store_job_detail_t *d, char **err)
{
	int rc = job_collect(s, st[R_JOB], job, err);
	if (rc == 0)
		rc = schedule_collect(st[R_JOB], &d->schedule, err);
	if (rc == 0)
		rc = history_collect(s, st[R_HISTORY], &d->history, &d->nhistory, err);
	if (rc == 0)
		rc = output_sizes_collect(s, st[R_OUTPUT], d->sizes, err);
	if (rc == 0)
		rc = links_collect(s, st[R_LINKS], id, &d->after, &d->nafter, &d->before,
				   &d->nbefore, err);
	return rc;
}

int store_job_detail(store_t *s, int64_t id, job_t *job, store_job_detail_t *d, char **err)
{
	job_init(job);
	memset(d, 0, sizeof(*d));
	if (store_ready(s, err) < 0)
		return -1;
	db_stmt_t *st[R_COUNT] = {0};
	int rc = 0;
	for (int i = 0; rc == 0 && i < R_COUNT; i++)
		rc = st_open_id(s, reads[i], id, "cannot read the job", &st[i], err);
	bool own = false;
	if (rc == 0 && (rc = st_batch_begin(s, st, R_COUNT, &own, err)) == 0) {
		rc = collect(s, st, id, job, d, err);
		st_batch_end(s, own);
	}
	for (int i = 0; i < R_COUNT; i++)
		if (st[i])
			st_release(s, st[i]);
	if (rc != 0) {
		job_free(job);
		store_job_detail_free(d);
	}
	return rc;
}
