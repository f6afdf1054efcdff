/*
 * cli/follow_out.h: printing a job's output as ops_job_follow gives it
 * (`job logs --follow`, `run`): stdout to standard output and stderr to
 * standard error, each written through at once.
 */
#ifndef CJOBS_CLI_FOLLOW_OUT_H
#define CJOBS_CLI_FOLLOW_OUT_H

#include "cli/command.h"
#include "ops/follow_job.h"

/* o->out and o->ud are set here; o->tick (may be NULL) gets tick_ud.
 * Prints its own error; returns what ops_job_follow returns. */
int cli_follow_job(cli_ctx_t *ctx, int64_t id, ops_follow_job_t *o, bool stderr_to_stdout,
		   void *tick_ud, job_t *job);

#endif
