/*
 * core/deps.h: dependencies between jobs ("start job B only when job A has
 * finished, and how").
 *
 * A job may wait for others (job submit --after ID[:ok|any|notok]). Each
 * edge has a condition, and the one rule of what a finished dependency
 * means for its dependent lives here, in dep_outcome(): the store applies
 * it when a job reaches its final status, the submit checks apply it to
 * dependencies that have finished already.
 */
#ifndef CJOBS_CORE_DEPS_H
#define CJOBS_CORE_DEPS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/job.h"

typedef enum {
	DEP_OK = 0,   /* the dependency completed (exit 0) */
	DEP_ANY,      /* the dependency finished, however */
	DEP_NOTOK,    /* the dependency failed or timed out */
	DEP_COND_COUNT
} dep_cond_t;

/* An edge's state as stored. */
typedef enum {
	DEP_WAITING = 0, /* the dependency has not finished */
	DEP_MET,         /* it finished as the condition asks */
	DEP_NEVER,       /* it finished otherwise: the dependent was cancelled */
	DEP_STATE_COUNT
} dep_state_t;

/* Most dependencies one job may have. */
#define JOB_AFTER_MAX 100

/* One dependency of a job being submitted: an existing job's id, or (in a
 * --file or an API request) the name of another job of the same
 * submission, which ops/submit resolves to its index there. */
struct job_dep {
	int64_t id;       /* 0 while it names a job of the submission */
	char *ref;        /* that name, or NULL */
	dep_cond_t cond;
	dep_state_t state; /* an existing job's: what its status gives the edge
			    * (ops_deps_check reads it, ops_deps_store writes it) */
};

const char *dep_cond_name(dep_cond_t c);
bool dep_cond_parse(const char *name, dep_cond_t *out);
const char *dep_state_name(dep_state_t s);
bool dep_state_parse(const char *name, dep_state_t *out);

/* Parses "ID[:COND]" or, with names_allowed, "NAME[:COND]"; COND defaults
 * to ok. -1 with *err saying what to write instead. */
int dep_parse(const char *text, bool names_allowed, job_dep_t *out, char **err);

/* What a dependency that ended in final status `s` means for an edge with
 * condition c: DEP_MET or DEP_NEVER (DEP_WAITING when s is not final). */
dep_state_t dep_outcome(dep_cond_t c, job_status_t s);

/* The reason a dependent is cancelled with when dep_outcome says never:
 * "dependency job 12 failed", "... was cancelled", "... timed out",
 * "... completed, and it waits for a failure". Malloc'd; NULL on OOM. */
char *dep_never_reason(int64_t dep_id, job_status_t s);

void job_deps_free(job_dep_t *deps, size_t n);

#endif
