/*
 * core/deps.c: dependency conditions, their parsing, and what a finished
 * dependency means for the job that waits for it.
 */
#include "core/deps.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/err.h"

static const char *const cond_names[DEP_COND_COUNT] = {"ok", "any", "notok"};
static const char *const state_names[DEP_STATE_COUNT] = {"waiting", "met", "never"};

const char *dep_cond_name(dep_cond_t c)
{
	return c < DEP_COND_COUNT ? cond_names[c] : "?";
}

bool dep_cond_parse(const char *name, dep_cond_t *out)
{
	for (int i = 0; i < DEP_COND_COUNT; i++)
		if (strcmp(name, cond_names[i]) == 0) {
			*out = (dep_cond_t)i;
			return true;
		}
	return false;
}

const char *dep_state_name(dep_state_t s)
{
	return s < DEP_STATE_COUNT ? state_names[s] : "?";
}

bool dep_state_parse(const char *name, dep_state_t *out)
{
	for (int i = 0; i < DEP_STATE_COUNT; i++)
		if (strcmp(name, state_names[i]) == 0) {
			*out = (dep_state_t)i;
			return true;
		}
	return false;
}

/* A job id as people write it: digits only, 1 or more, no sign. */
static bool parse_id(const char *s, size_t len, int64_t *out)
{
	if (len == 0 || len > 18)
		return false;
	int64_t v = 0;
	for (size_t i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		v = v * 10 + (s[i] - '0');
	}
	if (v <= 0)
		return false;
	*out = v;
	return true;
}

int dep_parse(const char *text, bool names_allowed, job_dep_t *out, char **err)
{
	memset(out, 0, sizeof(*out));
	const char *colon = strrchr(text, ':');
	size_t len = colon ? (size_t)(colon - text) : strlen(text);
	out->cond = DEP_OK;
	if (colon && !dep_cond_parse(colon + 1, &out->cond))
		return err_set(err, "'%.80s': the condition after ':' is ok, any or notok, e.g. "
				    "12:any",
			       text);
	if (parse_id(text, len, &out->id))
		return 0;
	if (!names_allowed)
		return err_set(err, "'%.80s' is not a job id; write ID[:ok|any|notok], e.g. 12 or "
				    "12:any (names of jobs are for jobs of the same --file or API "
				    "request)",
			       text);
	if (len == 0 || len > JOB_NAME_MAX)
		return err_set(err, "'%.80s': name a job of the same submission (1 to %d "
				    "characters) or give a job id, optionally with :ok, :any or "
				    ":notok",
			       text, JOB_NAME_MAX);
	if (!(out->ref = strndup(text, len)))
		return err_set(err, "out of memory");
	return 0;
}

dep_state_t dep_outcome(dep_cond_t c, job_status_t s)
{
	if (!job_status_is_final(s))
		return DEP_WAITING;
	switch (c) {
	case DEP_OK: return s == JOB_COMPLETED ? DEP_MET : DEP_NEVER;
	case DEP_ANY: return DEP_MET;
	case DEP_NOTOK: return s == JOB_FAILED || s == JOB_TIMEOUT ? DEP_MET : DEP_NEVER;
	default: return DEP_NEVER;
	}
}

char *dep_never_reason(int64_t dep_id, job_status_t s)
{
	const char *what = s == JOB_FAILED      ? "failed"
			   : s == JOB_TIMEOUT   ? "timed out"
			   : s == JOB_CANCELLED ? "was cancelled"
			   : s == JOB_COMPLETED ? "completed, and this job waits for a failure"
						: "ended";
	char *out = NULL;
	if (asprintf(&out, "dependency job %lld %s", (long long)dep_id, what) < 0)
		return NULL;
	return out;
}

void job_deps_free(job_dep_t *deps, size_t n)
{
	for (size_t i = 0; deps && i < n; i++)
		free(deps[i].ref);
	free(deps);
}
