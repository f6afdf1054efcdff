/*
 * ops/submit.h: queueing jobs, for every front end: `job submit` (its
 * options and --file lines) and the HTTP API's POST /api/v1/jobs.
 *
 * A job is described by the options of `job submit` (ops_submit_options):
 * on the command line as options, in a JSON object as keys named after
 * the long options plus "command" (a list of strings). Each value is
 * parsed by the option's declared type (util/opt.h) and the whole job by
 * validate_job, so one rule holds wherever a job comes from.
 */
#ifndef CJOBS_OPS_SUBMIT_H
#define CJOBS_OPS_SUBMIT_H

#include <jansson.h>

#include "store/store.h"
#include "util/opt.h"

/* The options of a job, as `job submit` declares them. "file" and "count"
 * are command-line only; a JSON object may not use them. */
extern const cli_option_t ops_submit_options[];

/* Builds one job from parsed options (a->options is ops_submit_options,
 * a->pos the command). local_files allows "env-file", which reads a file
 * where the caller runs: the command line only. -1 with *err when a value
 * or the whole job is invalid. */
int ops_submit_fill(store_t *s, const cli_args_t *a, bool local_files, job_t *job, char **err);
/* Reads the container options (--volume, --mount, --user, ...) into *c,
 * each in its canonical text; -1 with *err naming the option. */
int ops_submit_container(const cli_args_t *a, job_container_t *c, char **err);
/* Each value of the repeated option `name` through fn (a core/container.c
 * canonical form) into a new NULL-terminated *out of *n; at most
 * CTR_LIST_MAX of them. On failure *out holds those made so far. */
typedef int (*ops_canon_fn)(const char *text, char **out, char **err);
int ops_canon_list(const cli_args_t *a, const char *name, ops_canon_fn fn, char ***out,
		   size_t *n, char **err);
/* What is wrong with JSON that jansson refused (je), for people, into out:
 * jansson's words, except where they name jansson's own flag (a string
 * holding \u0000). The command line's --file and the API's bodies both say
 * it so. */
void ops_json_error_text(const json_error_t *je, char *out, size_t size);
/* Builds one job from a JSON object whose values go over `defaults`
 * (parsed options; a list's values are added to theirs). Errors name the
 * key: "\"priority\": 'high' is not a whole number from -1000 to 1000". */
int ops_submit_parse_object(store_t *s, const cli_args_t *defaults, const json_t *obj,
			    bool local_files, job_t *job, char **err);
/* Options holding only their declared defaults (what an API request
 * starts from). Free with cli_args_free. */
int ops_submit_defaults(cli_args_t *a, char **err);
/* Stores jobs[0..n) (or `copies` copies of jobs[0] when copies > 0) in one
 * transaction, all or nothing: 0 stored, 1 refused for what the jobs say
 * (their dependencies: a cycle, a job that does not exist or ended), -1
 * the store failed; *err says why. With engine_url, registers that engine as
 * host 'local' first when no host is registered at all. *ids (malloc'd)
 * gets the new ids in the jobs' order; jobs that wait for each other get
 * their ids stage by stage (ops_deps_plan_t). */
int ops_submit_store(store_t *s, job_t *jobs, size_t n, int64_t copies, const char *engine_url,
		     int64_t **ids, char **err);
/* ---- dependencies (submit_deps.c) ---- */
/* Reads the "after" option into job->after (ids, or names of jobs of the
 * same submission); -1 with *err. */
int ops_submit_after(const cli_args_t *a, job_t *job, char **err);
/* The submission's edges among its own jobs: to[i][k] is the index of the
 * job that jobs[i].after[k] names, or -1 for an existing job's id. order
 * is the order in which the jobs get their ids: stage by stage (first the
 * jobs that wait for no other job of the submission, then those that wait
 * only for those, ...), each stage in the submission's order; NULL when
 * that is the submission's order itself. */
typedef struct {
	long **to;     /* NULL when no job of the submission has dependencies */
	size_t *order;
	size_t n;
} ops_deps_plan_t;
/* Resolves names and refuses cycles, before any transaction: 1 when the
 * submission is refused (*err says why), -1 out of memory. */
int ops_deps_resolve(const job_t *jobs, size_t n, int64_t copies, ops_deps_plan_t *plan,
		     char **err);
/* Inside the submit's transaction, before the jobs are inserted: each
 * existing job named must exist and not have ended in a way that can never
 * meet the condition (else 1, *err says why; -1: the store failed); sets
 * each job's waiting_on. */
int ops_deps_check(store_t *s, job_t *jobs, size_t n, const ops_deps_plan_t *plan, char **err);
/* After the insert (ids in order, as ops_submit_store makes them): the
 * edges. */
int ops_deps_store(store_t *s, const job_t *jobs, size_t n, int64_t copies,
		   const ops_deps_plan_t *plan, const int64_t *ids, char **err);
void ops_deps_plan_free(ops_deps_plan_t *p);

/* Registers the engine at url as host 'local' when the store has no host
 * at all; *added says whether it did. */
int ops_ensure_default_host(store_t *s, const char *url, bool *added, char **err);

#endif
