/*
 * cli/follow_out.c: a job's output on the terminal as it comes; see
 * follow_out.h.
 */
#include "cli/follow_out.h"

#include <stdio.h>
#include <stdlib.h>

#include "util/err.h"

typedef struct {
	bool stderr_to_stdout;
	bool (*tick)(void *ud, const job_t *job);
	void *tick_ud;
} printer_t;

static void out(void *ud, int stream, const char *data, size_t n)
{
	const printer_t *p = ud;
	FILE *f = stream == JOB_STDOUT || p->stderr_to_stdout ? stdout : stderr;
	/* Written through: a reader of a pipe sees each piece as it came. */
	fwrite(data, 1, n, f);
	fflush(f);
}

static bool tick(void *ud, const job_t *job)
{
	const printer_t *p = ud;
	return p->tick && p->tick(p->tick_ud, job);
}

int cli_follow_job(cli_ctx_t *ctx, int64_t id, ops_follow_job_t *o, bool stderr_to_stdout,
		   void *tick_ud, job_t *job)
{
	printer_t p = {stderr_to_stdout, o->tick, tick_ud};
	o->out = out;
	o->tick = tick;
	o->ud = &p;
	char *err = NULL;
	fflush(stdout);
	int rc = ops_job_follow(ctx->store, id, o, job, &err);
	if (rc != OPS_OK)
		cli_error(ctx, "%s", err_str(err));
	free(err);
	fflush(stdout);
	return rc;
}
