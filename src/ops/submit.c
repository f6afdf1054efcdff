/*
 * ops/submit.c: building jobs from the options of `job submit`, whether
 * they come from the command line, a line of `job submit --file` or the
 * HTTP API's JSON, and storing them all or nothing. Nothing is written
 * unless every value of every job is valid; nothing here prints.
 */
#include "ops/submit.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/container.h"
#include "core/env.h"
#include "core/retry.h"
#include "core/validate.h"
#include "util/err.h"
#include "util/log.h"

int ops_ensure_default_host(store_t *s, const char *url, bool *added, char **err)
{
	int64_t n = 0;
	*added = false;
	if (store_host_count(s, &n, err) < 0)
		return -1;
	if (n > 0)
		return 0;
	host_t h;
	host_init(&h);
	h.name = strdup("local");
	h.url = strdup(url);
	h.network_mode = strdup("none");
	if (!h.name || !h.url || !h.network_mode) {
		host_free(&h);
		return err_set(err, "out of memory");
	}
	int rc = store_host_add(s, &h, err);
	if (rc == 0) {
		*added = true;
		log_info("registered the local Docker engine %s as host 'local' "
			 "(change it with 'cjobs host update local --url ...')",
			 h.url);
	}
	host_free(&h);
	return rc;
}

/* Builds the job's environment: template, then env files, then --env. */
static int build_env(store_t *s, const cli_args_t *a, bool local_files, job_t *job,
		     char **err)
{
	envlist_t env = {0};
	int rc = -1;
	const char *tname = cli_str(a, "template");
	if (tname) {
		env_template_t t = {0};
		int found = store_template_get(s, tname, &t, err);
		if (found == 1)
			err_set(err, "no environment template named '%.64s'; 'cjobs template list' "
				     "shows them",
				tname);
		if (found != 0 || envlist_merge(&env, t.env, t.envc, err) < 0) {
			env_template_free(&t);
			goto out;
		}
		env_template_free(&t);
		if (!(job->template_name = strdup(tname)))
			goto oom;
	}
	size_t n;
	const char **files = cli_list(a, "env-file", &n);
	if (n && !local_files) {
		err_set(err, "\"env-file\" reads a file on the machine that submits, so it is only "
			     "accepted by 'cjobs job submit'; send the variables in \"env\" instead");
		goto out;
	}
	for (size_t i = 0; i < n; i++)
		if (env_read_file(files[i], &env, err) < 0)
			goto out;
	const char **entries = cli_list(a, "env", &n);
	for (size_t i = 0; i < n; i++)
		if (envlist_set(&env, entries[i], err) < 0) {
			err_prefix(err, "--env");
			goto out;
		}
	job->env = envlist_steal(&env, &job->envc);
	if (!job->env)
		goto oom;
	rc = 0;
	goto out;
oom:
	err_set(err, "out of memory");
out:
	envlist_free(&env);
	return rc;
}

int ops_submit_fill(store_t *s, const cli_args_t *a, bool local_files, job_t *job, char **err)
{
	const char *image = cli_str(a, "image");
	if (!image)
		return err_set(err, "give the image to run with --image, e.g. --image busybox:1.36");
	if (!(job->image = strdup(image)))
		return err_set(err, "out of memory");
	if (cli_has(a, "name") && !(job->name = strdup(cli_str(a, "name"))))
		return err_set(err, "out of memory");
	if (cli_has(a, "workdir") && !(job->workdir = strdup(cli_str(a, "workdir"))))
		return err_set(err, "out of memory");
	job->argv = strv_dup(a->pos, a->npos);
	job->argc = a->npos;
	if (!job->argv)
		return err_set(err, "out of memory");
	job->priority = (int)cli_num(a, "priority");
	job->max_retries = (int)cli_num(a, "max-retries");
	/* The strategy's name, with the job's own delays over it. */
	if (retry_policy_format(cli_str(a, "retry-strategy"),
				cli_has(a, "retry-delay") ? cli_num(a, "retry-delay") : 0,
				cli_has(a, "retry-factor") ? cli_num(a, "retry-factor") : 0,
				cli_has(a, "retry-max-delay") ? cli_num(a, "retry-max-delay") : 0,
				&job->retry_strategy, err) < 0)
		return -1;
	if (cli_has(a, "retry-on-exit-code") &&
	    !(job->retry_exit_codes = strdup(cli_str(a, "retry-on-exit-code"))))
		return err_set(err, "out of memory");
	if (cli_has(a, "memory"))
		job->memory_bytes = cli_num(a, "memory");
	if (cli_has(a, "cpus"))
		job->nano_cpus = cli_num(a, "cpus");
	if (cli_has(a, "timeout"))
		job->timeout_s = cli_num(a, "timeout");
	if (cli_has(a, "at"))
		job->not_before = cli_num(a, "at");
	if (build_env(s, a, local_files, job, err) < 0)
		return -1;
	if (ops_submit_container(a, &job->ctr, err) < 0 || ops_submit_after(a, job, err) < 0)
		return -1;
	if (cli_has(a, "host")) {
		const char *hname = cli_str(a, "host");
		host_t h;
		host_init(&h);
		int found = store_host_get(s, hname, &h, err);
		/* The host is known: what it does not allow is refused now, not
		 * when a worker gets to the job (which checks again). */
		int rc = found == 0 ? container_host_allows(&job->ctr, h.name, &h.allow, err) : 0;
		host_free(&h);
		if (found == 1)
			return err_set(err, MSG_NO_HOST ", 'cjobs host add' registers one", hname);
		if (found < 0 || rc < 0)
			return -1;
		if (!(job->host = strdup(hname)))
			return err_set(err, "out of memory");
	}
	return validate_job(job, err);
}

int ops_submit_store(store_t *s, job_t *jobs, size_t n, int64_t copies, const char *engine_url,
		     int64_t **out_ids, char **err)
{
	bool added;
	ops_deps_plan_t plan;
	int rc = ops_deps_resolve(jobs, n, copies, &plan, err);
	if (rc != 0)
		return rc;
	if (store_begin(s, err) < 0) {
		ops_deps_plan_free(&plan);
		return -1;
	}
	rc = engine_url ? ops_ensure_default_host(s, engine_url, &added, err) : 0;
	if (rc == 0)
		rc = ops_deps_check(s, jobs, copies > 0 ? 1 : n, &plan, err);
	int64_t total = copies > 0 ? copies : (int64_t)n;
	int64_t *ids = rc == 0 ? malloc((size_t)total * sizeof(int64_t)) : NULL;
	if (rc == 0 && !ids)
		rc = err_set(err, "out of memory");
	if (rc == 0 && total == 1) {
		rc = store_job_add(s, &jobs[0], "submit", "submitted", err);
		ids[0] = jobs[0].id;
	} else if (rc == 0) {
		rc = store_job_add_many(s, jobs, n, copies, plan.order, "submit",
					"submitted in bulk", ids, err);
	}
	if (rc == 0)
		rc = ops_deps_store(s, jobs, n, copies, &plan, ids, err);
	ops_deps_plan_free(&plan);
	if (rc == 0 && store_commit(s, err) < 0)
		rc = -1;
	if (rc != 0) {
		store_rollback(s);
		free(ids);
		return rc < 0 ? -1 : 1;
	}
	*out_ids = ids;
	return 0;
}

/* Keys that only make sense on the command line. */
static bool command_line_only(const char *name)
{
	return strcmp(name, "file") == 0 || strcmp(name, "count") == 0;
}

/* The text of a JSON scalar as it would be typed; NULL for other types. */
static const char *scalar_text(const json_t *v, char *buf, size_t size)
{
	if (json_is_string(v))
		return json_string_value(v);
	if (json_is_integer(v)) {
		snprintf(buf, size, "%lld", (long long)json_integer_value(v));
		return buf;
	}
	if (json_is_real(v)) {
		snprintf(buf, size, "%.17g", json_real_value(v));
		return buf;
	}
	return NULL;
}

/* One line's arguments: the defaults, with the line's values over them.
 * Texts are copied into `texts` so that they outlive the JSON document. */
typedef struct {
	cli_args_t a;
	char **texts;
	size_t ntexts;
} line_args_t;

static void line_args_free(line_args_t *l)
{
	for (size_t i = 0; l->a.vals && i < l->a.nopts; i++)
		free(l->a.vals[i].list);
	free(l->a.vals);
	free(l->a.pos);
	for (size_t i = 0; i < l->ntexts; i++)
		free(l->texts[i]);
	free(l->texts);
	memset(l, 0, sizeof(*l));
}

static const char *keep(line_args_t *l, const char *s)
{
	char **t = realloc(l->texts, (l->ntexts + 1) * sizeof(char *));
	if (!t)
		return NULL;
	l->texts = t;
	if (!(t[l->ntexts] = strdup(s)))
		return NULL;
	return t[l->ntexts++];
}

static int copy_defaults(line_args_t *l, const cli_args_t *d)
{
	memset(l, 0, sizeof(*l));
	l->a = *d;
	l->a.vals = calloc(d->nopts + 1, sizeof(cli_value_t));
	l->a.pos = calloc(d->npos + 1, sizeof(char *));
	if (!l->a.vals || !l->a.pos)
		return -1;
	for (size_t i = 0; i < d->nopts; i++) {
		l->a.vals[i] = d->vals[i];
		l->a.vals[i].list = NULL;
		if (d->vals[i].nlist) {
			l->a.vals[i].list = malloc(d->vals[i].nlist * sizeof(char *));
			if (!l->a.vals[i].list)
				return -1;
			memcpy(l->a.vals[i].list, d->vals[i].list, d->vals[i].nlist * sizeof(char *));
		}
	}
	memcpy(l->a.pos, d->pos, d->npos * sizeof(char *));
	return 0;
}

/* Applies one key of a line. */
static int apply_key(line_args_t *l, const char *key, const json_t *v, char **err)
{
	char num[64];
	if (strcmp(key, "command") == 0) {
		if (!json_is_array(v))
			return err_set(err, "\"command\" must be a list of strings, e.g. "
					    "[\"sh\", \"-c\", \"echo hi\"]");
		char **pos = calloc(json_array_size(v) + 1, sizeof(char *));
		if (!pos)
			return err_set(err, "out of memory");
		for (size_t i = 0; i < json_array_size(v); i++) {
			const char *s = json_string_value(json_array_get(v, i));
			if (!s) {
				free(pos);
				return err_set(err, "\"command\" must be a list of strings; element %zu "
						    "is not one",
					       i + 1);
			}
			if (!(pos[i] = (char *)keep(l, s))) {
				free(pos);
				return err_set(err, "out of memory");
			}
		}
		free(l->a.pos);
		l->a.pos = pos;
		l->a.npos = json_array_size(v);
		return 0;
	}
	const cli_option_t *opts = l->a.options;
	size_t idx = 0;
	while (opts[idx].name && strcmp(opts[idx].name, key) != 0)
		idx++;
	if (!opts[idx].name || command_line_only(key))
		return err_set(err, "unknown key \"%.60s\": use the long option names of 'cjobs job "
				    "submit' (image, name, env, priority, ...) and \"command\"",
			       key);
	const cli_option_t *o = &opts[idx];
	cli_value_t *cv = &l->a.vals[idx];
	if (o->type == OPT_FLAG) {
		/* A flag is true or false in JSON. */
		if (!json_is_boolean(v))
			return err_set(err, "\"%s\" must be true or false", key);
		cv->given = cv->has = json_is_true(v);
		cv->num = json_is_true(v);
		return 0;
	}
	size_t nv = json_is_array(v) ? json_array_size(v) : 1;
	if (json_is_array(v) && !o->repeat)
		return err_set(err, "\"%s\" takes one value, not a list", key);
	if (!o->repeat) {
		cv->nlist = 0;  /* the line's value replaces the default */
		cv->has = false;
	}
	for (size_t i = 0; i < nv; i++) {
		const json_t *item = json_is_array(v) ? json_array_get(v, i) : v;
		const char *text = scalar_text(item, num, sizeof(num));
		if (!text)
			return err_set(err, "\"%s\" must be %s", key,
				       o->repeat ? "a string or a list of strings"
						 : "a string or a number");
		const char *kept = keep(l, text);
		const char **list = realloc(cv->list, (cv->nlist + 1) * sizeof(char *));
		if (!kept || !list)
			return err_set(err, "out of memory");
		cv->list = list;
		cv->list[cv->nlist++] = kept;
		cv->given = true;
		if (cli_parse_value(o, kept, cv, err) < 0)
			return err_prefix(err, "\"%s\"", key);
	}
	if (o->repeat) {
		cv->str = cv->nlist ? cv->list[cv->nlist - 1] : NULL;
		cv->has = cv->nlist > 0;
	}
	return 0;
}

void ops_json_error_text(const json_error_t *je, char *out, size_t size)
{
	const char *near = strstr(je->text, " near ");
	if (strstr(je->text, "JSON_ALLOW_NUL"))
		snprintf(out, size, "a string holds \\u0000 (a NUL byte), which cjobs does not take%s",
			 near ? near : "");
	else
		snprintf(out, size, "%s", je->text);
}

int ops_submit_parse_object(store_t *s, const cli_args_t *defaults, const json_t *obj,
			    bool local_files, job_t *job, char **err)
{
	if (!json_is_object(obj))
		return err_set(err, "a job is a JSON object, e.g. {\"image\": \"busybox\", "
				    "\"command\": [\"true\"]}");
	line_args_t l;
	int rc = copy_defaults(&l, defaults) < 0 ? err_set(err, "out of memory") : 0;
	const char *key;
	json_t *v;
	json_object_foreach((json_t *)obj, key, v) {
		if (rc == 0)
			rc = apply_key(&l, key, v, err);
	}
	if (rc == 0) {
		job_init(job);
		rc = ops_submit_fill(s, &l.a, local_files, job, err);
		if (rc < 0)
			job_free(job);
	}
	line_args_free(&l);
	return rc;
}

int ops_submit_defaults(cli_args_t *a, char **err)
{
	memset(a, 0, sizeof(*a));
	size_t n = 0;
	while (ops_submit_options[n].name)
		n++;
	a->options = ops_submit_options;
	a->owner = "job submit";
	a->nopts = n;
	a->vals = calloc(n + 1, sizeof(cli_value_t));
	a->pos = calloc(1, sizeof(char *));
	if (!a->vals || !a->pos) {
		cli_args_free(a);
		return err_set(err, "out of memory");
	}
	for (size_t i = 0; i < n; i++) {
		const cli_option_t *o = &ops_submit_options[i];
		if (o->def && cli_parse_value(o, o->def, &a->vals[i], err) < 0) {
			cli_args_free(a);
			return err_prefix(err, "internal error: the default of \"%s\"", o->name);
		}
		a->vals[i].source = o->def ? "default" : NULL;
	}
	return 0;
}

const cli_option_t ops_submit_options[] = {
	{.name = "image", .short_name = 'i', .type = OPT_STRING, .metavar = "IMAGE",
	 .help = "The container image to run, as [registry/]name[:tag]. Required."},
	{.name = "name", .short_name = 'n', .type = OPT_STRING, .metavar = "TEXT",
	 .help = "A label for people (up to 200 characters); not unique."},
	{.name = "host", .type = OPT_STRING, .metavar = "NAME",
	 .help = "Run only on this executor host (it must be registered). Without it, any "
		 "enabled host with free capacity runs the job."},
	{.name = "env", .short_name = 'e', .type = OPT_STRING, .metavar = "KEY=VALUE", .repeat = true,
	 .help = "Set an environment variable in the container. Overrides the template and "
		 "--env-file. Values of keys that look secret (PASSWORD, TOKEN, SECRET, ...) are "
		 "masked in output."},
	{.name = "env-file", .type = OPT_STRING, .metavar = "FILE", .repeat = true,
	 .help = "Read KEY=VALUE lines from FILE ('-' for standard input); # starts a comment; "
		 "values may be quoted. Overrides the template."},
	{.name = "template", .short_name = 't', .type = OPT_STRING, .metavar = "NAME",
	 .help = "Start the environment from this template (see 'cjobs template')."},
	{.name = "priority", .short_name = 'p', .type = OPT_INT, .metavar = "N", .def = "0",
	 .min = JOB_PRIORITY_MIN, .max = JOB_PRIORITY_MAX,
	 .help = "Higher runs first; jobs of equal priority run in the order they were submitted."},
	{.name = "memory", .short_name = 'm', .type = OPT_SIZE, .metavar = "SIZE",
	 .min = JOB_MEMORY_MIN, .max = JOB_MEMORY_MAX,
	 .help = "Memory limit of the container (at least 6m). Without it, no limit."},
	{.name = "cpus", .type = OPT_CPUS, .metavar = "N",
	 .help = "CPU limit of the container, e.g. 0.5 or 2. Without it, no limit."},
	{.name = "timeout", .type = OPT_DURATION, .metavar = "DURATION", .min = 0,
	 .max = JOB_TIMEOUT_MAX,
	 .help = "Time limit of the job; past it the container is killed and the job ends "
		 "'timeout'. 0 means no limit. Without it, the worker's --timeout applies."},
	{.name = "max-retries", .short_name = 'r', .type = OPT_INT, .metavar = "N", .def = "0",
	 .min = 0, .max = JOB_MAX_RETRIES_MAX,
	 .help = "How many times to run the job again after a transient failure: the engine "
		 "unreachable or restarted under it, a connection reset, out of memory or disk, a "
		 "resource temporarily unavailable. Permanent failures (image not found, invalid "
		 "configuration, permission denied, executable not found) and time limits are "
		 "never retried; a non-zero exit only with --retry-on-exit-code."},
	{.name = "retry-strategy", .type = OPT_CHOICE, .metavar = "NAME", .def = "default",
	 .choices = retry_strategy_names,
	 .help = "How long to wait before each retry (exponential backoff; each delay is "
		 "scaled by a random 0.8 to 1.2): default waits about 10s, then 20s, 40s, ... at "
		 "most 10m; aggressive about 1s, then x1.5 each time, at most 1m; conservative "
		 "about 1m, then x3, at most 1h."},
	{.name = "retry-delay", .type = OPT_DURATION, .metavar = "DURATION", .min = 1,
	 .max = RETRY_DELAY_MAX_S,
	 .help = "Wait this long before the first retry instead of what --retry-strategy says; "
		 "each next retry waits --retry-factor times longer, at most --retry-max-delay, "
		 "each delay scaled by a random 0.8 to 1.2. Without it, the strategy's."},
	{.name = "retry-factor", .type = OPT_DECIMAL, .metavar = "F",
	 .min = RETRY_FACTOR_MIN_MILLI, .max = RETRY_FACTOR_MAX_MILLI,
	 .help = "Make each retry's delay F times the one before instead of what "
		 "--retry-strategy says; 1 waits the same each time. Without it, the strategy's."},
	{.name = "retry-max-delay", .type = OPT_DURATION, .metavar = "DURATION", .min = 1,
	 .max = RETRY_DELAY_MAX_S,
	 .help = "Never wait longer than this between retries instead of what --retry-strategy "
		 "says; at least the first retry's delay. Without it, the strategy's."},
	{.name = "retry-on-exit-code", .type = OPT_STRING, .metavar = "CODES",
	 .help = "Also retry (within --max-retries) when the command exits with one of these "
		 "codes: 'any' for every non-zero code, or a list such as 1,75. Without it, a "
		 "non-zero exit fails the job at once."},
	{.name = "workdir", .short_name = 'w', .type = OPT_STRING, .metavar = "PATH",
	 .help = "Working directory inside the container (absolute). Without it, the image's."},
	{.name = "at", .type = OPT_WHEN, .metavar = "TIME",
	 .help = "Do not start the job before this time."},
	{.name = "after", .type = OPT_STRING, .metavar = "ID[:ok|any|notok]", .repeat = true,
	 .help = "Start the job only when job ID has finished: with ok (the default) when it "
		 "completed, any when it finished however, notok when it failed or timed out. "
		 "Its retries come first: a job that is retried has not finished. When that can "
		 "no longer happen, the job is cancelled (reason: dependency job ID failed, or "
		 "was cancelled) and so, in turn, are the jobs that wait for it. Repeat it to "
		 "wait for several jobs (up to 100). In --file lines and the API, \"after\" may "
		 "also name another job of the same submission by its \"name\", so that a "
		 "whole pipeline is queued at once; a cycle is refused. Without it, none."},
	{.name = "volume", .type = OPT_STRING, .metavar = "SRC:DST[:ro]",
	 .repeat = true,
	 .help = "Mount SRC at DST in the container, read-only with :ro. SRC is a directory or "
		 "file of the engine's machine when it is an absolute path (a bind mount: the "
		 "host must allow it, see 'cjobs host update --allow-bind'), else the name of a "
		 "volume, made when missing. Up to 100. Without it, none."},
	{.name = "mount", .type = OPT_STRING, .metavar = "SPEC", .repeat = true,
	 .help = "A mount in Docker's --mount syntax: comma-separated type=bind|volume|tmpfs, "
		 "source= (or src=; a bind mount's absolute host path, a volume's name), target= "
		 "(or dst=, destination=), readonly (or ro), and for tmpfs tmpfs-size=SIZE and "
		 "tmpfs-mode=OCTAL, e.g. type=bind,source=/data,target=/data,readonly. Bind "
		 "sources must be allowed by the host. Up to 100. Without it, none."},
	{.name = "tmpfs", .type = OPT_STRING, .metavar = "PATH[:OPTIONS]", .repeat = true,
	 .help = "Mount an empty tmpfs at PATH; OPTIONS are comma-separated size=SIZE, "
		 "mode=OCTAL, uid=N, gid=N, ro, rw, noexec, exec, nosuid, suid, nodev, dev, e.g. "
		 "/scratch:size=64m,mode=1777. Up to 100. Without it, none."},
	{.name = "user", .short_name = 'u', .type = OPT_STRING, .metavar = "UID[:GID]",
	 .help = "Run the command as this user: numeric ids (0 to 4294967294) or names the "
		 "image's /etc/passwd and /etc/group know. Without it, the image's user."},
	{.name = "entrypoint", .type = OPT_STRING, .metavar = "PROGRAM",
	 .help = "Run PROGRAM instead of the image's entrypoint; the command becomes its "
		 "arguments. Without it, the image's."},
	{.name = "hostname", .type = OPT_STRING, .metavar = "NAME",
	 .help = "The container's host name: 1 to 63 letters, digits, '-' and '.'. Without it, "
		 "the engine's (the container id)."},
	{.name = "label", .short_name = 'l', .type = OPT_STRING, .metavar = "KEY=VALUE",
	 .repeat = true,
	 .help = "Set a label on the container; a key given again keeps the last value. Keys "
		 "starting with cjobs. are refused (cjobs's own labels). Up to 100. Without it, "
		 "only cjobs's labels."},
	{.name = "network", .type = OPT_STRING, .metavar = "NAME",
	 .help = "The container's network (none, bridge, host or a network made with docker "
		 "network create). Without it, the host's network mode ('cjobs host update "
		 "--network')."},
	{.name = "pull", .type = OPT_CHOICE, .metavar = "POLICY", .choices = ctr_pull_choices,
	 .help = "When to pull the image: always (before every attempt), missing (when the "
		 "engine lacks it), never. Without it, the host's setting ('cjobs host update "
		 "--pull yes' is missing, no is never)."},
	{.name = "read-only", .type = OPT_FLAG,
	 .help = "Mount the container's root file system read-only (write to --tmpfs or "
		 "--volume paths instead)."},
	{.name = "shm-size", .type = OPT_SIZE, .metavar = "SIZE", .min = CTR_SHM_MIN,
	 .max = CTR_SHM_MAX,
	 .help = "Size of /dev/shm, from 1m to 1t, e.g. 256m. Without it, the engine's (64m)."},
	{.name = "init", .type = OPT_FLAG,
	 .help = "Run a small init process (the engine's docker-init) as PID 1 that forwards "
		 "signals and reaps zombies."},
	{.name = "cap-add", .type = OPT_STRING, .metavar = "CAP", .repeat = true,
	 .help = "Add a Linux capability, e.g. NET_ADMIN (CAP_ prefix and case optional), or "
		 "ALL. The host must allow it ('cjobs host update --allow-cap-add'). Without it, "
		 "the engine's default set."},
	{.name = "cap-drop", .type = OPT_STRING, .metavar = "CAP", .repeat = true,
	 .help = "Drop a Linux capability from the engine's default set, e.g. CHOWN, or ALL. "
		 "Always allowed. Without it, none dropped."},
	{.name = "security-opt", .type = OPT_STRING, .metavar = "OPT", .repeat = true,
	 .help = "Only no-new-privileges (also written no-new-privileges:true): the command "
		 "and its children cannot gain privileges (setuid programs). Other security "
		 "options are refused. Without it, off."},
	{.name = "gpus", .type = OPT_STRING, .metavar = "all|N|device=ID[,ID]",
	 .help = "GPUs to give the container, sent to the engine as a device request: all, a "
		 "count from 1 to 1024, or device ids, e.g. device=0,1. The host must allow it "
		 "('cjobs host update --allow-gpus yes') and its engine needs a GPU driver. "
		 "Without it, none."},
	{.name = "file", .short_name = 'f', .type = OPT_STRING, .metavar = "FILE",
	 .help = "Queue many jobs from FILE ('-' for standard input): JSON Lines, one object "
		 "per job, whose keys are the long options above plus \"command\" (a list of "
		 "strings), e.g. {\"image\": \"busybox\", \"priority\": 5, \"env\": "
		 "[\"A=1\"], \"command\": [\"sh\", \"-c\", \"echo hi\"]}. Options on the "
		 "command line are defaults for every line; a line's value replaces them (its env "
		 "and env-file add to them). Every line is checked before any job is stored: one "
		 "bad line queues nothing. Up to 1000000 jobs, lines up to 1 MiB."},
	{.name = "count", .type = OPT_INT, .metavar = "N", .min = 1, .max = 1000000,
	 .help = "Queue N copies of the job the other options describe, in one transaction. "
		 "Without it, one."},
	{0},
};

