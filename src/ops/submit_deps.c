/*
 * ops/submit_deps.c: the dependencies of jobs being submitted (--after, and
 * "after" in --file lines and the API): reading them, resolving names to
 * the jobs of the same submission, refusing cycles and dependencies that
 * can never be met, and storing the edges with the jobs.
 *
 * Everything that can be checked without the store is checked before the
 * transaction begins (ops_deps_resolve); what the store must answer (does
 * job 12 exist, has it ended already, and how) is asked inside it, so the
 * answer still holds when the jobs are committed.
 */
#include "ops/submit.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/deps.h"
#include "core/validate.h"
#include "util/err.h"
#include "util/strbuf.h"

int ops_submit_after(const cli_args_t *a, job_t *job, char **err)
{
	size_t n = 0;
	const char **vals = cli_list(a, "after", &n);
	if (n == 0)
		return 0;
	if (n > JOB_AFTER_MAX)
		return err_set(err, "--after: a job may wait for at most %d jobs; chain them "
				    "through a job in between",
			       JOB_AFTER_MAX);
	job->after = calloc(n, sizeof(*job->after));
	if (!job->after)
		return err_set(err, "out of memory");
	for (size_t i = 0; i < n; i++) {
		if (dep_parse(vals[i], true, &job->after[i], err) < 0)
			return err_prefix(err, "--after");
		job->nafter++;
		for (size_t k = 0; k < i; k++) {
			const job_dep_t *x = &job->after[k], *y = &job->after[i];
			bool same = x->ref || y->ref ? x->ref && y->ref && strcmp(x->ref, y->ref) == 0
						     : x->id == y->id;
			if (same)
				return err_set(err, "--after: '%.80s' is named twice; name each "
						    "job it waits for once",
					       vals[i]);
		}
	}
	return 0;
}

/* How job i is shown in an error: by its name, else its place. */
static const char *who(const job_t *jobs, size_t i, char *buf, size_t size)
{
	if (jobs[i].name)
		snprintf(buf, size, "job '%.60s'", jobs[i].name);
	else
		snprintf(buf, size, "job %zu of the submission", i + 1);
	return buf;
}

/* The submission's named jobs by name, for finding a name in log n: a
 * file of 100,000 jobs naming each other must not compare every name
 * with every other. */
typedef struct {
	const char *name;
	size_t at;         /* in jobs */
} named_t;

typedef struct {
	const job_t *jobs;
	named_t *by_name;  /* the named jobs, sorted by name, then place */
	size_t n;
} name_index_t;

static int cmp_by_name(const void *a, const void *b)
{
	const named_t *x = a, *y = b;
	int c = strcmp(x->name, y->name);
	return c ? c : (x->at > y->at) - (x->at < y->at);
}

static int name_index(const job_t *jobs, size_t n, name_index_t *ix)
{
	ix->jobs = jobs;
	ix->n = 0;
	ix->by_name = malloc((n ? n : 1) * sizeof(named_t));
	if (!ix->by_name)
		return -1;
	for (size_t i = 0; i < n; i++)
		if (jobs[i].name)
			ix->by_name[ix->n++] = (named_t){jobs[i].name, i};
	qsort(ix->by_name, ix->n, sizeof(named_t), cmp_by_name);
	return 0;
}

/* The index in jobs of the one named ref; -1 with *err if none or several. */
static long find_named(const name_index_t *ix, size_t from, const char *ref,
		       char **err)
{
	const job_t *jobs = ix->jobs;
	long at = -1;
	char b[96];
	size_t lo = 0, hi = ix->n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (strcmp(ix->by_name[mid].name, ref) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo < ix->n && strcmp(ix->by_name[lo].name, ref) == 0) {
		at = (long)ix->by_name[lo].at;
		if (lo + 1 < ix->n && strcmp(ix->by_name[lo + 1].name, ref) == 0) {
			err_set(err, "%s: \"after\" names '%.60s', and several jobs of the submission "
				     "have that name; give them different names",
				who(jobs, from, b, sizeof(b)), ref);
			return -1;
		}
	}
	if (at < 0)
		err_set(err, "%s: --after '%.60s' is neither a job id nor the name of another job "
			     "of the same submission; write ID[:ok|any|notok], e.g. 12 or 12:any, or "
			     "in a --file or an API request the \"name\" of another of its jobs",
			who(jobs, from, b, sizeof(b)), ref);
	return at;
}

/* Says which jobs wait for each other: path[start..depth], then back to
 * path[start]. */
static int cycle_error(const job_t *jobs, const size_t *path, size_t start, size_t depth,
		       char **err)
{
	strbuf_t sb = STRBUF_INIT;
	char b[96];
	for (size_t p = start; p <= depth; p++)
		sb_printf(&sb, "%s%s", p > start ? " -> " : "", who(jobs, path[p], b, sizeof(b)));
	sb_printf(&sb, " -> %s", who(jobs, path[start], b, sizeof(b)));
	err_set(err, "the jobs wait for each other in a cycle, so none could ever start: %s "
		     "(each waits for the next, through \"after\"); a pipeline needs a first job "
		     "that waits for none of the others",
		sb.failed ? "(out of memory)" : sb.buf);
	sb_free(&sb);
	return -1;
}

/* The stage of job i once every job of the submission it waits for has
 * one: 0 when it waits for none of them, else one past the latest. */
static size_t stage_of(const job_t *jobs, const long *const *to, size_t i,
		       const size_t *stage)
{
	size_t st = 0;
	for (size_t k = 0; to[i] && k < jobs[i].nafter; k++)
		if (to[i][k] >= 0 && stage[to[i][k]] + 1 > st)
			st = stage[to[i][k]] + 1;
	return st;
}

/* Depth-first walk from job `root` over the submission's own edges, with
 * an explicit stack (a pipeline of 100,000 steps in one file must not
 * overflow a thread's stack). state: 0 not seen, 1 on the path, 2 done;
 * path[] the jobs on it, next[] the edge each is at. A job is done after
 * the jobs it waits for, so that is when its stage[] is known. */
static int walk(const job_t *jobs, const long *const *to, size_t root, unsigned char *state,
		size_t *path, size_t *next, size_t *stage, char **err)
{
	size_t depth = 0;
	path[0] = root;
	next[0] = 0;
	state[root] = 1;
	for (;;) {
		size_t i = path[depth];
		if (next[depth] == jobs[i].nafter) {
			state[i] = 2;
			stage[i] = stage_of(jobs, to, i, stage);
			if (depth == 0)
				return 0;
			depth--;
			continue;
		}
		long j = to[i] ? to[i][next[depth]] : -1;
		next[depth]++;
		if (j < 0 || state[j] == 2)
			continue;
		if (state[j] == 1) {
			size_t start = 0;
			while (path[start] != (size_t)j)
				start++;
			return cycle_error(jobs, path, start, depth, err);
		}
		state[j] = 1;
		path[++depth] = (size_t)j;
		next[depth] = 0;
	}
}

/* The order in which the jobs are stored, so the order of their ids:
 * stage by stage, each stage in the submission's order (a counting sort
 * by stage; count[] and at[] are scratch arrays of n). *order stays NULL
 * when that is the submission's own order. Why: jobs that run at the same
 * time then lie together in the store. A hundred chains of a pipeline
 * running together are the same stage of a hundred chains; given ids
 * chain after chain, they would lie a chain's length apart, and every
 * commit of a worker would write that many times the pages. */
static int stage_order(const size_t *stage, size_t n, size_t *count, size_t *at,
		       size_t **order)
{
	bool sorted = true;
	for (size_t i = 1; i < n && sorted; i++)
		sorted = stage[i] >= stage[i - 1];
	if (sorted)
		return 0;
	memset(count, 0, n * sizeof(*count));
	for (size_t i = 0; i < n; i++)
		count[stage[i]]++; /* a stage is below n: the longest path has n jobs */
	for (size_t st = 0, sum = 0; st < n; st++) {
		at[st] = sum;
		sum += count[st];
	}
	if (!(*order = malloc(n * sizeof(**order))))
		return -1;
	for (size_t i = 0; i < n; i++)
		(*order)[at[stage[i]]++] = i;
	return 0;
}

void ops_deps_plan_free(ops_deps_plan_t *p)
{
	for (size_t i = 0; p->to && i < p->n; i++)
		free(p->to[i]);
	free(p->to);
	free(p->order);
	memset(p, 0, sizeof(*p));
}

int ops_deps_resolve(const job_t *jobs, size_t n, int64_t copies, ops_deps_plan_t *plan,
		     char **err)
{
	memset(plan, 0, sizeof(*plan));
	bool any = false;
	for (size_t i = 0; i < n; i++)
		any = any || jobs[i].nafter > 0;
	if (!any)
		return 0;
	plan->n = n;
	plan->to = calloc(n, sizeof(*plan->to));
	name_index_t ix = {0};
	if (!plan->to || name_index(jobs, n, &ix) < 0) {
		free(plan->to);
		plan->to = NULL;
		return err_set(err, "out of memory");
	}
	for (size_t i = 0; i < n; i++) {
		if (!jobs[i].nafter)
			continue;
		if (!(plan->to[i] = malloc(jobs[i].nafter * sizeof(long)))) {
			ops_deps_plan_free(plan);
			free(ix.by_name);
			return err_set(err, "out of memory");
		}
		for (size_t k = 0; k < jobs[i].nafter; k++) {
			const job_dep_t *d = &jobs[i].after[k];
			plan->to[i][k] = -1;
			if (!d->ref)
				continue;
			long at = copies > 0 ? -1 : find_named(&ix, i, d->ref, err);
			if (copies > 0)
				err_set(err, "--after '%.60s': copies made with --count cannot name "
					     "each other; give a job id",
					d->ref);
			if (at < 0) {
				ops_deps_plan_free(plan);
				free(ix.by_name);
				return 1;
			}
			if ((size_t)at == i) {
				char b[96];
				err_set(err, "%s waits for itself (\"after\" names its own name), so it "
					     "could never start",
					who(jobs, i, b, sizeof(b)));
				ops_deps_plan_free(plan);
				free(ix.by_name);
				return 1;
			}
			plan->to[i][k] = at;
		}
	}
	free(ix.by_name);
	unsigned char *state = calloc(n, 1);
	size_t *path = calloc(n, sizeof(*path)), *next = calloc(n, sizeof(*next));
	size_t *stage = calloc(n, sizeof(*stage));
	int rc = state && path && next && stage ? 0 : err_set(err, "out of memory");
	for (size_t i = 0; rc == 0 && i < n; i++)
		if (state[i] == 0 &&
		    walk(jobs, (const long *const *)plan->to, i, state, path, next, stage, err) < 0)
			rc = 1;
	if (rc == 0 && stage_order(stage, n, path, next, &plan->order) < 0)
		rc = err_set(err, "out of memory");
	free(state);
	free(path);
	free(next);
	free(stage);
	if (rc != 0)
		ops_deps_plan_free(plan);
	return rc;
}

/* Why an edge to a job that ended already could never be met. */
static int never_met(int64_t id, job_status_t st, dep_cond_t cond, char **err)
{
	const char *how = st == JOB_COMPLETED ? "completed"
			  : st == JOB_FAILED  ? "failed"
			  : st == JOB_TIMEOUT ? "timed out"
					      : "was cancelled";
	return err_set(err, "job %lld %s already, so a job --after %lld:%s could never start; "
			    "wait for it with :%s, or retry job %lld first",
		       (long long)id, how, (long long)id, dep_cond_name(cond),
		       cond == DEP_OK ? "any" : st == JOB_COMPLETED ? "ok" : "any", (long long)id);
}

int ops_deps_check(store_t *s, job_t *jobs, size_t n, const ops_deps_plan_t *plan, char **err)
{
	if (!plan->to)
		return 0;
	for (size_t i = 0; i < n; i++) {
		jobs[i].waiting_on = 0;
		for (size_t k = 0; k < jobs[i].nafter; k++) {
			job_dep_t *d = &jobs[i].after[k];
			if (plan->to[i][k] >= 0) {
				jobs[i].waiting_on++; /* a job of the submission: not ended */
				continue;
			}
			job_status_t st;
			int rc = store_dep_status(s, d->id, &st, err);
			if (rc == 1) {
				err_set(err, "--after: " MSG_NO_JOB, (long long)d->id);
				return 1;
			}
			if (rc < 0)
				return -1;
			dep_state_t outcome = dep_outcome(d->cond, st);
			if (outcome == DEP_NEVER) {
				never_met(d->id, st, d->cond, err);
				return 1;
			}
			d->state = outcome;
			if (outcome == DEP_WAITING)
				jobs[i].waiting_on++;
		}
	}
	return 0;
}

int ops_deps_store(store_t *s, const job_t *jobs, size_t n, int64_t copies,
		   const ops_deps_plan_t *plan, const int64_t *ids, char **err)
{
	if (!plan->to)
		return 0;
	int64_t total = copies > 0 ? copies : (int64_t)n;
	size_t count = 0;
	for (int64_t c = 0; c < total; c++)
		count += jobs[copies > 0 ? 0 : c].nafter;
	store_dep_edge_t *edges = malloc(count * sizeof(*edges));
	if (!edges)
		return err_set(err, "out of memory");
	size_t e = 0;
	for (int64_t c = 0; c < total; c++) {
		size_t i = copies > 0 ? 0 : (size_t)c;
		for (size_t k = 0; k < jobs[i].nafter; k++) {
			const job_dep_t *d = &jobs[i].after[k];
			long at = plan->to[i][k];
			edges[e].job_id = ids[c];
			edges[e].after_id = at >= 0 ? ids[at] : d->id;
			edges[e].cond = d->cond;
			/* An existing job's state as ops_deps_check read it, under a
			 * lock this transaction still holds. */
			edges[e].state = at >= 0 ? DEP_WAITING : d->state;
			e++;
		}
	}
	int rc = store_deps_add(s, edges, e, err);
	free(edges);
	return rc;
}
