/*
 * core/job.c: job statuses, the table of legal status changes, and the
 * constructors and destructors of the shared records. This table is the one
 * place that says how a job may move; the store enforces it on every write.
 */
#include "core/job.h"

#include <stdlib.h>
#include <string.h>

#include "core/deps.h"

static const char *const status_names[JOB_STATUS_COUNT] = {
	[JOB_QUEUED] = "queued",       [JOB_LAUNCHING] = "launching",
	[JOB_RUNNING] = "running",     [JOB_COMPLETED] = "completed",
	[JOB_FAILED] = "failed",       [JOB_TIMEOUT] = "timeout",
	[JOB_CANCELLED] = "cancelled",
};

/*
 * allowed[from] is the set of statuses a job in `from` may move to.
 * queued -> launching: a worker claims it.
 * launching/running -> queued: handed back (SIGINT, lost container before
 *   it ran, a retry after a transient failure).
 * failed/timeout -> queued: retried (automatically or by a person).
 * completed and cancelled are final.
 */
#define BIT(s) (1u << (s))
static const unsigned allowed[JOB_STATUS_COUNT] = {
	[JOB_QUEUED] = BIT(JOB_LAUNCHING) | BIT(JOB_CANCELLED),
	[JOB_LAUNCHING] = BIT(JOB_RUNNING) | BIT(JOB_QUEUED) | BIT(JOB_FAILED) |
			  BIT(JOB_CANCELLED),
	[JOB_RUNNING] = BIT(JOB_COMPLETED) | BIT(JOB_FAILED) | BIT(JOB_TIMEOUT) |
			BIT(JOB_CANCELLED) | BIT(JOB_QUEUED),
	[JOB_COMPLETED] = 0,
	[JOB_FAILED] = BIT(JOB_QUEUED),
	[JOB_TIMEOUT] = BIT(JOB_QUEUED),
	[JOB_CANCELLED] = 0,
};

const char *job_status_name(job_status_t s)
{
	if ((unsigned)s >= JOB_STATUS_COUNT)
		return "unknown";
	return status_names[s];
}

bool job_status_parse(const char *name, job_status_t *out)
{
	for (int i = 0; i < JOB_STATUS_COUNT; i++) {
		if (name && strcmp(name, status_names[i]) == 0) {
			*out = (job_status_t)i;
			return true;
		}
	}
	return false;
}

bool job_status_is_final(job_status_t s)
{
	return s == JOB_COMPLETED || s == JOB_FAILED || s == JOB_TIMEOUT ||
	       s == JOB_CANCELLED;
}

bool job_can_move(job_status_t from, job_status_t to)
{
	if ((unsigned)from >= JOB_STATUS_COUNT || (unsigned)to >= JOB_STATUS_COUNT)
		return false;
	return (allowed[from] & BIT(to)) != 0;
}

void job_init(job_t *job)
{
	memset(job, 0, sizeof(*job));
	job->timeout_s = JOB_TIMEOUT_DEFAULT;
	job->peak_memory_bytes = -1;
	job->cpu_usage_ns = -1;
}

void strv_free(char **v)
{
	if (!v)
		return;
	for (char **p = v; *p; p++)
		free(*p);
	free(v);
}

char **strv_dup(char *const *v, size_t n)
{
	char **out = calloc(n + 1, sizeof(char *));
	if (!out)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		out[i] = strdup(v[i]);
		if (!out[i]) {
			strv_free(out);
			return NULL;
		}
	}
	return out;
}

void job_free(job_t *job)
{
	if (!job)
		return;
	free(job->name);
	free(job->image);
	strv_free(job->argv);
	free(job->workdir);
	strv_free(job->env);
	free(job->template_name);
	free(job->host);
	free(job->retry_strategy);
	free(job->retry_exit_codes);
	container_free(&job->ctr);
	job_deps_free(job->after, job->nafter);
	free(job->last_error);
	free(job->container_name);
	free(job->container_id);
	free(job->ran_on);
	free(job->worker_id);
	job_init(job);
}

void job_output_free(job_output_t *out)
{
	if (!out)
		return;
	free(out->data);
	memset(out, 0, sizeof(*out));
}

void job_event_free(job_event_t *ev)
{
	if (!ev)
		return;
	free(ev->actor);
	free(ev->reason);
	memset(ev, 0, sizeof(*ev));
}

void host_init(host_t *host)
{
	memset(host, 0, sizeof(*host));
	host->tls_verify = true;
	host->max_jobs = 10;
	host->weight = 100;
	host->enabled = true;
}

void host_free(host_t *host)
{
	if (!host)
		return;
	free(host->name);
	free(host->url);
	free(host->tls_ca);
	free(host->tls_cert);
	free(host->tls_key);
	free(host->network_mode);
	host_allow_free(&host->allow);
	free(host->check_message);
	free(host->registry_auth);
	host_init(host);
}

void env_template_free(env_template_t *t)
{
	if (!t)
		return;
	free(t->name);
	free(t->description);
	strv_free(t->env);
	memset(t, 0, sizeof(*t));
}
