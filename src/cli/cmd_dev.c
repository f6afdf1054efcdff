/*
 * cli/cmd_dev.c: `cjobs dev`: utilities for developers and for checking an
 * installation: sample-data (fill a store with sample hosts, a template and
 * jobs of every status, and remove exactly those again), test-job (run one
 * small container on a host and show each step), validate-config (report
 * every problem of the configuration file).
 *
 * It must never touch records that are not samples (sample-data --clear
 * removes only what sample-data made), never store a job for test-job, and
 * hold no SQL (the store does that, store/maint.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/command.h"
#include "cli/config.h"
#include "cli/context.h"
#include "cli/help.h"
#include "ops/render.h"
#include "core/validate.h"
#include "engine/engine.h"
#include "engine/registry_auth.h"
#include "store/maint.h"
#include "util/err.h"
#include "util/progress.h"
#include "util/timeutil.h"
#include "util/uuid.h"

#define TEST_IMAGE "cjobs-test/busybox:1"

static const char *const sample_hosts[] = {"sample-local", "sample-remote", NULL};
static const char *const sample_templates[] = {"sample-env", NULL};

/* ============================================================ sample-data */

/* A small deterministic generator, so that samples look varied but a run
 * is reproducible from its seed. */
static uint64_t rnd_state = 88172645463325252ULL;
static uint64_t rnd(void)
{
	rnd_state ^= rnd_state << 13;
	rnd_state ^= rnd_state >> 7;
	rnd_state ^= rnd_state << 17;
	return rnd_state;
}
static int64_t rnd_between(int64_t lo, int64_t hi)
{
	return lo + (int64_t)(rnd() % (uint64_t)(hi - lo + 1));
}

/* The status of sample job i: one of each first, then a plausible mix. */
static job_status_t sample_status(int64_t i)
{
	static const job_status_t first[] = {JOB_QUEUED, JOB_LAUNCHING, JOB_RUNNING, JOB_COMPLETED,
					     JOB_FAILED, JOB_TIMEOUT, JOB_CANCELLED};
	if (i < JOB_STATUS_COUNT)
		return first[i];
	int r = (int)rnd_between(0, 99);
	if (r < 40)
		return JOB_COMPLETED;
	if (r < 55)
		return JOB_FAILED;
	if (r < 70)
		return JOB_QUEUED;
	if (r < 80)
		return JOB_RUNNING;
	if (r < 85)
		return JOB_LAUNCHING;
	if (r < 90)
		return JOB_TIMEOUT;
	return JOB_CANCELLED;
}

static char *fmt(const char *f, long long n)
{
	char *s = NULL;
	return asprintf(&s, f, n) < 0 ? NULL : s;
}

/* Fills j (initialised) as sample job number n with status st. Output goes
 * to out/err (data malloc'd or NULL). */
static int make_sample_job(job_t *j, int64_t n, job_status_t st, int64_t now,
			   job_output_t *out, job_output_t *errout)
{
	static const char *const images[] = {TEST_IMAGE, "busybox:1.36", "alpine:3.20",
					     "python:3.12-slim"};
	j->name = fmt("sample-%lld", (long long)n);
	j->image = strdup(images[n % 4]);
	char *argv[] = {"sh", "-c", NULL, NULL};
	argv[2] = fmt("echo processing batch %lld; sleep 2; echo done", (long long)n);
	j->argv = argv[2] ? strv_dup(argv, 3) : NULL;
	j->argc = 3;
	free(argv[2]);
	char *env[] = {"SAMPLE=1", NULL, NULL};
	env[1] = fmt("BATCH=%lld", (long long)n);
	j->env = env[1] ? strv_dup(env, 2) : NULL;
	j->envc = 2;
	free(env[1]);
	j->host = strdup("sample-local");
	if (!j->name || !j->image || !j->argv || !j->env || !j->host)
		return -1;
	if (n % 3 == 0 && !(j->template_name = strdup("sample-env")))
		return -1;
	j->memory_bytes = (n % 4 == 1) ? 64LL << 20 : (n % 4 == 2 ? 256LL << 20 : 0);
	j->nano_cpus = (n % 5 == 1) ? 500000000LL : 0;
	j->timeout_s = (n % 3 == 1) ? 300 : JOB_TIMEOUT_DEFAULT;
	j->priority = (n % 7 == 3) ? 10 : (n % 11 == 5 ? -5 : 0);
	j->max_retries = (n % 4 == 3) ? 2 : 0;
	j->status = st;
	j->created_at = now - rnd_between(15 * 60, 72 * 3600) * 1000;
	j->queued_at = j->created_at;
	if (st == JOB_QUEUED) {
		if (n % 2)
			j->not_before = now + rnd_between(3600, 48 * 3600) * 1000;
		return 0;
	}
	if (st == JOB_CANCELLED && n % 2 == 0) { /* cancelled before it ran */
		j->finished_at = j->created_at + rnd_between(5, 600) * 1000;
		j->last_error = strdup("cancelled by a person: sample");
		return j->last_error ? 0 : -1;
	}
	j->attempt = (st == JOB_FAILED && j->max_retries) ? 2 : 1;
	j->ran_on = strdup("sample-local");
	char *cname = NULL;
	if (!j->ran_on || asprintf(&cname, "cjobs-sample-%lld-%d", (long long)n, j->attempt) < 0)
		return -1;
	j->container_name = cname;
	if (st == JOB_LAUNCHING || st == JOB_RUNNING) {
		/* Recent, and held by a worker that does not exist: its lease
		 * runs for an hour, so real workers leave these alone until then. */
		j->worker_id = strdup("sample-worker");
		j->lease_until = now + 3600 * 1000;
		if (st == JOB_RUNNING) {
			j->started_at = now - rnd_between(10, 600) * 1000;
			j->peak_memory_bytes = rnd_between(1, 200) << 20;
			j->cpu_usage_ns = rnd_between(1, 60) * 1000000000LL;
		}
		if (j->created_at > now - 900 * 1000)
			j->created_at = j->queued_at = now - 900 * 1000;
		return j->worker_id ? 0 : -1;
	}
	j->started_at = j->created_at + rnd_between(1, 120) * 1000;
	int64_t ran = rnd_between(2, 900) * 1000;
	if (st == JOB_TIMEOUT) {
		j->timeout_s = 300;
		ran = 300 * 1000;
	}
	j->finished_at = j->started_at + ran;
	if (j->finished_at > now) {
		j->finished_at = now - 1000;
		if (j->started_at > j->finished_at)
			j->started_at = j->finished_at - 1000;
	}
	j->peak_memory_bytes = rnd_between(1, 200) << 20;
	j->cpu_usage_ns = rnd_between(1, ran / 1000) * 1000000000LL;
	const char *o = "processing batch %lld\ndone\n", *e = "";
	switch (st) {
	case JOB_COMPLETED:
		j->has_exit_code = true;
		j->exit_code = 0;
		break;
	case JOB_FAILED:
		j->has_exit_code = true;
		j->exit_code = (n % 3 == 0) ? 137 : (int)(n % 2 + 1);
		j->last_error = fmt("the container exited with code %lld", j->exit_code);
		o = "processing batch %lld\n";
		e = "error: cannot read the input of this batch\n";
		break;
	case JOB_TIMEOUT:
		j->has_exit_code = true;
		j->exit_code = 137;
		j->last_error = strdup("killed after its time limit of 300s");
		o = "processing batch %lld\n";
		break;
	case JOB_CANCELLED:
		j->has_exit_code = true;
		j->exit_code = 143;
		j->last_error = strdup("cancelled by a person while running: sample");
		o = "processing batch %lld\n";
		break;
	default:
		break;
	}
	if (st != JOB_COMPLETED && !j->last_error)
		return -1;
	out->data = fmt(o, (long long)n);
	errout->data = strdup(e);
	if (!out->data || !errout->data)
		return -1;
	out->len = strlen(out->data);
	out->total_bytes = (int64_t)out->len;
	errout->len = strlen(errout->data);
	errout->total_bytes = (int64_t)errout->len;
	return 0;
}

/* Adds the sample hosts and template that do not exist yet. */
static int add_sample_setup(cli_ctx_t *ctx, const char *url, bool dry, char **err)
{
	for (int i = 0; sample_hosts[i]; i++) {
		host_t h;
		host_init(&h);
		int rc = store_host_get(ctx->store, sample_hosts[i], &h, err);
		host_free(&h);
		if (rc < 0)
			return -1;
		const char *u = i == 0 ? url : "tcp://127.0.0.1:2376";
		if (rc == 0) {
			printf("host '%s' exists; kept\n", sample_hosts[i]);
			continue;
		}
		if (dry) {
			printf("would add host '%s' (%s%s)\n", sample_hosts[i], u,
			       i == 0 ? "" : ", disabled");
			continue;
		}
		host_init(&h);
		h.name = strdup(sample_hosts[i]);
		h.url = strdup(u);
		h.network_mode = strdup("none");
		h.max_jobs = i == 0 ? 4 : 2;
		h.weight = 100;
		h.tls_verify = true;
		h.enabled = i == 0;
		if (!h.name || !h.url || !h.network_mode)
			rc = err_set(err, "out of memory");
		else
			rc = validate_host(&h, err);
		if (rc == 0)
			rc = store_host_add(ctx->store, &h, err);
		host_free(&h);
		if (rc < 0)
			return -1;
		printf("added host '%s' (%s%s)\n", sample_hosts[i], u, i == 0 ? "" : ", disabled");
	}
	env_template_t t = {0};
	int rc = store_template_get(ctx->store, sample_templates[0], &t, err);
	env_template_free(&t);
	if (rc < 0)
		return -1;
	if (rc == 0) {
		printf("template '%s' exists; kept\n", sample_templates[0]);
		return 0;
	}
	if (dry) {
		printf("would add template '%s'\n", sample_templates[0]);
		return 0;
	}
	char *env[] = {"APP_ENV=sample", "LOG_LEVEL=debug", NULL};
	memset(&t, 0, sizeof(t));
	t.name = strdup(sample_templates[0]);
	t.description = strdup("sample environment made by 'cjobs dev sample-data'");
	t.env = strv_dup(env, 2);
	t.envc = 2;
	if (!t.name || !t.description || !t.env)
		rc = err_set(err, "out of memory");
	else
		rc = store_template_add(ctx->store, &t, err);
	env_template_free(&t);
	if (rc == 0)
		printf("added template '%s'\n", sample_templates[0]);
	return rc;
}

static int sample_clear(cli_ctx_t *ctx, bool dry, bool force)
{
	char *err = NULL;
	store_sample_counts_t c;
	if (!dry) {
		/* Count first, so that the question says what would go. */
		if (store_sample_clear(ctx->store, sample_hosts, sample_templates, true, &c,
				       &err) < 0) {
			cli_error(ctx, "%s", err_str(err));
			free(err);
			return EXIT_ERROR;
		}
		char *what = NULL;
		if (asprintf(&what, "%lld sample jobs, %lld hosts and %lld templates",
			     (long long)c.jobs, (long long)c.hosts, (long long)c.templates) < 0) {
			cli_error(ctx, "out of memory");
			return EXIT_ERROR;
		}
		int ok = ctx_confirm(ctx, force, what);
		free(what);
		if (ok < 0)
			return EXIT_ERROR;
	}
	if (store_sample_clear(ctx->store, sample_hosts, sample_templates, dry, &c, &err) < 0) {
		cli_error(ctx, "%s", err_str(err));
		free(err);
		return EXIT_ERROR;
	}
	printf("%s %lld sample jobs, %lld hosts and %lld templates\n",
	       dry ? "would remove" : "removed", (long long)c.jobs, (long long)c.hosts,
	       (long long)c.templates);
	if (c.hosts_kept)
		printf("kept %lld sample host(s): jobs that are not samples are pinned to or "
		       "running on them\n",
		       (long long)c.hosts_kept);
	return EXIT_OK;
}

static int sample_run(cli_ctx_t *ctx, cli_args_t *a)
{
	bool dry = cli_flag(a, "dry-run");
	if (cli_flag(a, "clear"))
		return sample_clear(ctx, dry, cli_flag(a, "force"));
	const char *url = cli_has(a, "url") ? cli_str(a, "url") : ctx_default_engine_url();
	char *err = NULL;
	if (validate_engine_url(url, &err) < 0) {
		cli_error(ctx, "%s", err_str(err));
		free(err);
		return EXIT_ERROR;
	}
	int64_t count = cli_num(a, "count");
	int64_t per[JOB_STATUS_COUNT] = {0};
	if (add_sample_setup(ctx, url, dry, &err) < 0) {
		cli_error(ctx, "%s", err_str(err));
		free(err);
		return EXIT_ERROR;
	}
	rnd_state ^= (uint64_t)now_ms();
	int64_t now = now_ms(), first = 0, last = 0;
	int rc = 0;
	progress_t p;
	progress_start(&p, "adding sample jobs", dry ? 0 : count, 5000);
	for (int64_t i = 0; rc == 0 && i < count; i++) {
		job_status_t st = sample_status(i);
		per[st]++;
		if (dry)
			continue;
		progress_update(&p, i);
		/* Many jobs per transaction: one commit per job would make
		 * 100000 samples take minutes. */
		if (i % 1000 == 0 && (rc = store_begin(ctx->store, &err)) < 0)
			break;
		job_t j;
		job_init(&j);
		job_output_t out = {0}, eout = {0};
		if (make_sample_job(&j, i + 1, st, now, &out, &eout) < 0)
			rc = err_set(&err, "out of memory");
		else
			rc = store_sample_job_add(ctx->store, &j, j.attempt ? &out : NULL,
						  j.attempt ? &eout : NULL, &err);
		if (rc == 0) {
			if (!first)
				first = j.id;
			last = j.id;
		}
		job_free(&j);
		job_output_free(&out);
		job_output_free(&eout);
		if (rc < 0)
			store_rollback(ctx->store);
		else if ((i % 1000 == 999 || i == count - 1) && store_commit(ctx->store, &err) < 0)
			rc = -1;
	}
	if (rc == 0)
		progress_end(&p, count);
	else if (p.drawn)
		fputc('\n', stderr);
	if (rc < 0) {
		cli_error(ctx, "%s", err_str(err));
		free(err);
		return EXIT_ERROR;
	}
	printf("%s %lld sample jobs:", dry ? "would add" : "added", (long long)count);
	for (int s = 0; s < JOB_STATUS_COUNT; s++)
		printf("%s %lld %s", s ? "," : "", (long long)per[s], job_status_name((job_status_t)s));
	printf("\n");
	if (!dry)
		printf("sample job ids %lld to %lld; remove every sample with 'cjobs dev sample-data "
		       "--clear --force'\n",
		       (long long)first, (long long)last);
	return EXIT_OK;
}

static const cli_command_t dev_sample_data = {
	.name = "sample-data",
	.summary = "fill the store with sample hosts, a template and jobs of every status",
	.usage = "[options]",
	.max_args = 0, .needs_store = true,
	.description =
		"Adds, for trying commands out: host sample-local (at --url, enabled), host "
		"sample-remote (tcp://127.0.0.1:2376, disabled), template sample-env, and --count "
		"jobs named sample-N in every status (the first seven are one of each: queued, "
		"launching, running, completed, failed, timeout, cancelled; the rest a plausible "
		"mix), with creation, start and finish times over the last three days, exit "
		"codes, errors, resource use, captured output and a history consistent with each "
		"status. Hosts and the template are added only when missing. With --clear it "
		"removes exactly the sample records instead: jobs named sample-* whose history "
		"says 'dev sample-data' made them, the two sample hosts and the sample template; "
		"nothing else.",
	.options = (const cli_option_t[]){
		{.name = "count", .type = OPT_INT, .metavar = "N", .def = "20", .min = 1,
		 .max = 100000, .help = "How many sample jobs to add."},
		{.name = "url", .type = OPT_STRING, .metavar = "URL",
		 .help = "The engine address of host sample-local. Default: the local engine "
			 "($DOCKER_HOST when it is unix:// or tcp://, else "
			 "unix:///var/run/docker.sock). Nothing is contacted."},
		{.name = "clear", .type = OPT_FLAG,
		 .help = "Remove the sample records (and only them) instead of adding."},
		{.name = "dry-run", .type = OPT_FLAG,
		 .help = "Say what would be added (or, with --clear, removed); change nothing."},
		{.name = "force", .type = OPT_FLAG,
		 .help = "With --clear: remove without asking. Without it --clear asks on a "
			 "terminal, and refuses when standard input is not one."},
		{0},
	},
	.examples = (const cli_example_t[]){
		{"cjobs dev sample-data --dry-run", "show what would be added", 0},
		{"cjobs dev sample-data --count 500", "add the sample hosts, template and 500 jobs", 0},
		{"cjobs dev sample-data --clear --dry-run", "count the sample records", 0},
		{"cjobs dev sample-data --clear --force",
		 "remove every sample record, and nothing else, without asking", 0},
		{"cjobs dev sample-data", "add the samples again, with 20 jobs", 0},
		{NULL, NULL, 0},
	},
	.sections = (const cli_section_t[]){
		{"How It Works",
		 " 1. Adds hosts sample-local and sample-remote and template sample-env,\n"
		 "    unless they exist.\n"
		 " 2. Adds the jobs, each in one store call that writes the job, its history\n"
		 "    (creation, claim, start, end, as a real job's) and its output, a thousand\n"
		 "    jobs per transaction.\n"
		 " 3. --clear counts the sample records and asks (or takes --force), then removes\n"
		 "    the sample jobs with their history and output, then the sample hosts\n"
		 "    (unless a job that is not a sample uses one) and the template, in one\n"
		 "    transaction."},
		{"Important Notes",
		 "NOT FOR PRODUCTION: sample jobs mix with real ones in listings, reports and "
		 "counts. Use a separate store (--database /tmp/try.db). Queued samples are "
		 "pinned to host sample-local, so a worker runs them only when it serves that "
		 "host (some wait until a time up to two days ahead); launching and running "
		 "samples are held by a worker 'sample-worker' that does not exist, whose lease "
		 "ends an hour after they were made: a worker serving sample-local then recovers "
		 "them. Needs write permission on the store. 100000 jobs take about a minute and "
		 "some 50 MB; from 5000 jobs on, progress is shown on standard error when that is "
		 "a terminal."},
		{NULL, NULL},
	},
	.warning = "--clear deletes records: the jobs named sample-* made by this command, "
		   "hosts sample-local and sample-remote, and template sample-env. Use "
		   "--clear --dry-run first if you created records with those names yourself.",
	.errors = (const cli_error_doc_t[]){
		{"cjobs: error: option --count: '0' is not a whole number from 1 to 100000",
		 "--count is out of range", "give 1 to 100000; run it again for more",
		 "cjobs dev sample-data --count 0"},
		{"cjobs: error: engine address 'http://127.0.0.1:2375' is not understood",
		 "--url has another form", "write unix:///path/to/docker.sock or tcp://HOST:PORT",
		 "cjobs dev sample-data --url http://127.0.0.1:2375"},
		{"cjobs: error: removing ",
		 "(the message goes on: N sample jobs, N hosts and N templates needs confirmation, "
		 "but standard input is not a terminal) --clear runs from a script without --force",
		 "check with --clear --dry-run, then add --force", "cjobs dev sample-data --clear"},
		{NULL, NULL, NULL},
	},
	.exit_codes = (const cli_exit_doc_t[]){
		{0, "Added (or removed, or with --dry-run reported)."},
		{1, "Invalid option, or a job store error; nothing of the failed step was written."},
		{0, NULL},
	},
	.run = sample_run,
};

/* ============================================================== test-job */

typedef struct {
	bool done;
	bool ok, not_found, unreachable;
	char *error;
	char *text;              /* what the step learned, for people */
	char *id;                /* created container */
	int exit_code;
	bool running;
	job_output_t out, err;
	/* the event stream */
	bool died, stream_ended;
	int die_code;
} tj_t;

static void tj_status(tj_t *t, const engine_status_t *st)
{
	t->done = true;
	t->ok = st->ok;
	t->not_found = st->not_found;
	t->unreachable = st->unreachable;
	free(t->error);
	t->error = st->error ? strdup(st->error) : NULL;
}

static void on_info(void *ud, const engine_status_t *st, const engine_info_t *i)
{
	tj_t *t = ud;
	tj_status(t, st);
	if (st->ok && i) {
		char mem[32];
		free(t->text);
		if (asprintf(&t->text, "engine %s, API %s, %s, %lld CPUs, %s, %lld containers "
				       "running",
			     i->version ? i->version : "?", i->api_version ? i->api_version : "?",
			     i->os ? i->os : "?", (long long)i->cpus,
			     render_bytes(i->memory_bytes, mem, sizeof(mem)),
			     (long long)i->containers_running) < 0)
			t->text = NULL;
	}
}

static void on_done(void *ud, const engine_status_t *st)
{
	tj_status(ud, st);
}

static void on_created(void *ud, const engine_status_t *st, const char *id)
{
	tj_t *t = ud;
	tj_status(t, st);
	if (st->ok && id)
		t->id = strdup(id);
}

static void on_inspect(void *ud, const engine_status_t *st, const engine_container_t *c)
{
	tj_t *t = ud;
	tj_status(t, st);
	if (st->ok && c) {
		t->exit_code = c->exit_code;
		t->running = c->running;
		free(t->text);
		if (asprintf(&t->text, "state %s, exit code %d%s", c->state ? c->state : "?",
			     c->exit_code, c->oom_killed ? ", killed for want of memory" : "") < 0)
			t->text = NULL;
	}
}

static void on_logs(void *ud, const engine_status_t *st, job_output_t *out, job_output_t *err)
{
	tj_t *t = ud;
	tj_status(t, st);
	if (out)
		t->out = *out;
	if (err)
		t->err = *err;
}

static void on_event(void *ud, const engine_event_t *ev)
{
	tj_t *t = ud;
	if (ev->action && strcmp(ev->action, "die") == 0) {
		t->died = true;
		t->die_code = ev->exit_code;
	}
}

static void on_stream_end(void *ud, const engine_status_t *st)
{
	(void)st;
	((tj_t *)ud)->stream_ended = true;
}

typedef struct {
	cli_ctx_t *ctx;
	const char *host, *url;
	engine_loop_t *loop;
	int64_t deadline;     /* mono ms */
	int64_t began;
	const char *failed;   /* the step that failed */
	char *why;
} tj_run_t;

/* Runs the loop until t->done or the deadline; false on timeout. */
static bool tj_wait(tj_run_t *r, tj_t *t)
{
	int64_t left = r->deadline - mono_ms();
	if (left <= 0)
		return false;
	return engine_loop_until(r->loop, &t->done, (long)left) == 0;
}

static void tj_print(const char *step, bool ok, int64_t t0, const char *detail)
{
	printf("  %-11s %-6s %6lld ms  %s\n", step, ok ? "ok" : "FAILED",
	       (long long)(mono_ms() - t0), detail ? detail : "");
	fflush(stdout);
}

/* Ends a step: prints it; on failure records why. Returns ok. */
static bool tj_step(tj_run_t *r, tj_t *t, const char *step, int64_t t0, bool finished)
{
	bool ok = finished && t->ok;
	const char *why = !finished ? "no answer before the time limit (--timeout)"
				    : (t->error ? t->error : "failed");
	tj_print(step, ok, t0, ok ? t->text : why);
	if (!ok && !r->failed) {
		r->failed = step;
		r->why = strdup(why);
	}
	t->done = false;
	free(t->text);
	t->text = NULL;
	return ok;
}

static int test_job_engine(tj_run_t *r, engine_t *e, const host_t *h, const char *image)
{
	tj_t t = {0};
	char uuid[37] = "", name[64], label[80];
	if (uuid_v4(uuid) < 0) {
		r->failed = "setup";
		r->why = strdup("no random bytes for the container name");
		return -1;
	}
	snprintf(name, sizeof(name), "cjobs-test-%.8s", uuid);
	snprintf(label, sizeof(label), "cjobs.test-job=%s", uuid);
	engine_events_t *events = NULL;

	int64_t t0 = mono_ms();
	engine_info(e, on_info, &t);
	if (!tj_step(r, &t, "ping/info", t0, tj_wait(r, &t)))
		goto out;

	char *argv[] = {"sh", "-c",
			"echo cjobs test-job: stdout; echo cjobs test-job: stderr >&2", NULL};
	char *labels[] = {label, NULL};
	engine_spec_t spec = {.name = name, .image = image, .argv = argv,
			      .network_mode = h->network_mode, .labels = labels};
	/* From before the create, so that a die that comes before the stream
	 * is established is still delivered. */
	int64_t since_ns = (now_ms() - 1000) * 1000000LL;
	t0 = mono_ms();
	engine_create(e, &spec, on_created, &t);
	bool fin = tj_wait(r, &t);
	if (fin && !t.ok && t.not_found && h->pull_images) {
		tj_print("create", false, t0, "image missing; pulling it (the host may pull)");
		t.done = false;
		t0 = mono_ms();
		char *auth = NULL, *source = NULL;
		if (registry_auth_for_image(h->registry_auth, image, &auth, &source, &t.error) < 0) {
			tj_step(r, &t, "pull", t0, true);
			goto out;
		}
		free(source);
		engine_pull(e, image, auth, on_done, &t);
		if (auth) {
			explicit_bzero(auth, strlen(auth));
			free(auth);
		}
		if (!tj_step(r, &t, "pull", t0, tj_wait(r, &t)))
			goto out;
		t0 = mono_ms();
		engine_create(e, &spec, on_created, &t);
		fin = tj_wait(r, &t);
	}
	if (fin && !t.ok && t.not_found) {
		free(t.error);
		if (asprintf(&t.error, "image %s is not on the engine%s", image,
			     h->pull_images ? " and could not be pulled"
					    : " and the host may not pull (host update --pull yes, "
					      "or give --image)") < 0)
			t.error = NULL;
	}
	if (fin && t.ok && t.id) {
		free(t.text);
		if (asprintf(&t.text, "container %s (id %.12s)", name, t.id) < 0)
			t.text = NULL;
	}
	if (!tj_step(r, &t, "create", t0, fin))
		goto out;

	events = engine_events_open(e, "cjobs.test-job", uuid, since_ns, on_event, on_stream_end,
				    &t);
	t0 = mono_ms();
	engine_start(e, t.id, on_done, &t);
	if (!tj_step(r, &t, "start", t0, tj_wait(r, &t)))
		goto out;

	/* Wait for the die event; if the stream fails, poll the container. */
	t0 = mono_ms();
	bool stopped = false;
	while (!t.died && mono_ms() < r->deadline) {
		if (!t.stream_ended && events) {
			engine_loop_until(r->loop, &t.died, 200);
			continue;
		}
		engine_inspect(e, t.id, on_inspect, &t);
		if (!tj_wait(r, &t))
			break;
		t.done = false;
		if (t.ok && !t.running) {
			t.died = true;
			t.die_code = t.exit_code;
			stopped = true;
		} else {
			usleep(200 * 1000);
		}
	}
	t.done = t.died;
	t.ok = t.died;
	free(t.error);
	t.error = NULL;
	free(t.text);
	if (asprintf(&t.text, "exit code %d (%s)", t.die_code,
		     stopped ? "seen by polling: the event stream ended" : "die event") < 0)
		t.text = NULL;
	if (!tj_step(r, &t, "wait (die)", t0, t.died))
		goto out;

	t0 = mono_ms();
	engine_inspect(e, t.id, on_inspect, &t);
	if (!tj_step(r, &t, "inspect", t0, tj_wait(r, &t)))
		goto out;

	t0 = mono_ms();
	engine_logs(e, t.id, 64 * 1024, on_logs, &t);
	fin = tj_wait(r, &t);
	if (fin && t.ok) {
		free(t.text);
		if (asprintf(&t.text, "stdout \"%.*s\", stderr \"%.*s\"",
			     (int)(t.out.len && t.out.data[t.out.len - 1] == '\n' ? t.out.len - 1
										 : t.out.len),
			     t.out.data ? t.out.data : "",
			     (int)(t.err.len && t.err.data[t.err.len - 1] == '\n' ? t.err.len - 1
										 : t.err.len),
			     t.err.data ? t.err.data : "") < 0)
			t.text = NULL;
	}
	if (!tj_step(r, &t, "logs", t0, fin))
		goto out;
	if (t.die_code != 0 && !r->failed) {
		r->failed = "run";
		if (asprintf(&r->why, "the test container exited with code %d (does image %s have "
				      "sh?)",
			     t.die_code, image) < 0)
			r->why = NULL;
	}
out:
	if (events)
		engine_events_close(events);
	if (t.id) {
		/* Removed whatever happened before, so that nothing is left. */
		t.done = false;
		t0 = mono_ms();
		int64_t saved = r->deadline;
		if (r->deadline < mono_ms() + 10000)
			r->deadline = mono_ms() + 10000;
		engine_remove(e, t.id, on_done, &t);
		tj_step(r, &t, "remove", t0, tj_wait(r, &t));
		r->deadline = saved;
	}
	job_output_free(&t.out);
	job_output_free(&t.err);
	free(t.error);
	free(t.text);
	free(t.id);
	return r->failed ? -1 : 0;
}

/* Picks the host: --host, else the only one, else 'local'; with none
 * registered, the default engine (not registered). 0 ok, -1 printed. */
static int pick_host(cli_ctx_t *ctx, cli_args_t *a, host_t *h, bool *registered)
{
	char *err = NULL;
	*registered = true;
	const char *name = cli_str(a, "host");
	if (!name) {
		host_t *hosts = NULL;
		size_t n = 0;
		if (store_host_list(ctx->store, &hosts, &n, &err) < 0) {
			cli_error(ctx, "%s", err_str(err));
			free(err);
			return -1;
		}
		bool has_local = false;
		for (size_t i = 0; i < n; i++)
			has_local = has_local || strcmp(hosts[i].name, "local") == 0;
		int rc = 0;
		if (n == 1)
			rc = (h->name = strdup(hosts[0].name)) ? 0 : -1;
		else if (has_local)
			rc = (h->name = strdup("local")) ? 0 : -1;
		store_host_list_free(hosts, n);
		if (rc < 0) {
			cli_error(ctx, "out of memory");
			return -1;
		}
		if (n == 0) {
			*registered = false;
			h->name = strdup("local");
			h->url = strdup(ctx_default_engine_url());
			h->network_mode = strdup("none");
			h->tls_verify = true;
			if (!h->name || !h->url || !h->network_mode) {
				cli_error(ctx, "out of memory");
				return -1;
			}
			return 0;
		}
		if (!h->name) {
			cli_error(ctx, "there are %zu hosts and none is named 'local'; choose one with "
				       "--host NAME ('cjobs host list' shows them)",
				  n);
			return -1;
		}
		name = h->name;
	}
	char *copy = strdup(name);
	free(h->name);
	h->name = NULL;
	int rc = copy ? ctx_load_host(ctx, copy, h) : -1;
	if (!copy)
		cli_error(ctx, "out of memory");
	free(copy);
	free(err);
	return rc == 0 ? 0 : -1;
}

static int test_job_run(cli_ctx_t *ctx, cli_args_t *a)
{
	host_t h;
	host_init(&h);
	bool registered;
	if (pick_host(ctx, a, &h, &registered) < 0) {
		host_free(&h);
		return EXIT_ERROR;
	}
	const char *image = cli_str(a, "image");
	char *err = NULL;
	if (validate_image(image, &err) < 0) {
		cli_error(ctx, "%s", err_str(err));
		free(err);
		host_free(&h);
		return EXIT_ERROR;
	}
	int64_t timeout_s = cli_num(a, "timeout");
	printf("testing host '%s'%s at %s with image %s (time limit %llds)%s\n", h.name,
	       registered ? "" : " (not registered: the default engine)", h.url, image,
	       (long long)timeout_s, h.enabled ? "" : "; the host is disabled");
	tj_run_t r = {.ctx = ctx, .host = h.name, .url = h.url};
	r.began = mono_ms();
	r.deadline = r.began + timeout_s * 1000;
	long step_ms = (long)(timeout_s * 1000);
	engine_config_t cfg = {.url = h.url, .tls_ca = h.tls_ca, .tls_cert = h.tls_cert,
			       .tls_key = h.tls_key, .tls_verify = h.tls_verify,
			       .connect_timeout_ms = step_ms < 10000 ? step_ms : 10000,
			       .request_timeout_ms = step_ms};
	engine_t *e = NULL;
	r.loop = engine_loop_new();
	int rc = EXIT_ENGINE;
	if (!r.loop) {
		cli_error(ctx, "out of memory");
		host_free(&h);
		return EXIT_ERROR;
	}
	if (engine_new(r.loop, &cfg, &e, &err) < 0) {
		cli_error(ctx, "host '%s' (%s): %s", h.name, h.url, err_str(err));
		free(err);
	} else if (test_job_engine(&r, e, &h, image) < 0) {
		cli_error(ctx, "host '%s' (%s) failed at step %s: %s", h.name, h.url, r.failed,
			  r.why ? r.why : "out of memory");
	} else {
		printf("host '%s' works: a container ran and was removed in %lld ms\n", h.name,
		       (long long)(mono_ms() - r.began));
		rc = EXIT_OK;
	}
	free(r.why);
	engine_free(e);
	engine_loop_free(r.loop);
	host_free(&h);
	return rc;
}

static const cli_command_t dev_test_job = {
	.name = "test-job",
	.summary = "run one small container on a host now and show each step",
	.usage = "[options]",
	.max_args = 0, .needs_store = true,
	.description =
		"Checks that a host can run jobs, the way a worker would, and shows each step of "
		"the container's life with its time: ping and engine information, create, "
		"start, waiting for the die event, inspect (exit code), logs (both streams), and "
		"remove. The container runs sh -c 'echo ...; echo ... >&2' with the host's "
		"network mode, is named cjobs-test-XXXXXXXX and is always removed. No job is "
		"stored, and no worker is needed.",
	.options = (const cli_option_t[]){
		{.name = "host", .type = OPT_STRING, .metavar = "NAME",
		 .help = "The registered host to test. Default: the only host; with several, "
			 "'local'; with none, the default engine ($DOCKER_HOST, else "
			 "unix:///var/run/docker.sock) without registering it."},
		{.name = "image", .type = OPT_STRING, .metavar = "IMAGE", .def = TEST_IMAGE,
		 .help = "The image to run; it needs sh and echo. It must already be on the engine "
			 "unless the host may pull (host add/update --pull yes). The default is the "
			 "tiny image the project's tests build from the static busybox "
			 "(scripts/demo makes it); give --image busybox:1.36 on an engine that has "
			 "or may pull it."},
		{.name = "timeout", .type = OPT_DURATION, .metavar = "SECONDS", .def = "60",
		 .min = 1, .max = 3600,
		 .help = "Time limit for the whole test; the container is removed in any case."},
		{0},
	},
	.examples = (const cli_example_t[]){
		{"cjobs dev test-job", "test the only host (or 'local') with the default image", 0},
		{"cjobs dev test-job --host local --timeout 30",
		 "test host local, giving up after 30 seconds", 0},
		{"cjobs dev test-job --host local --image cjobs-test/busybox:1",
		 "test with an image named explicitly", 0},
		{"cjobs dev test-job --host sample-remote --timeout 5",
		 "test host sample-remote (made by sample-data; nothing answers at its address): "
		 "shows the failed step", 2},
		{NULL, NULL, 0},
	},
	.sections = (const cli_section_t[]){
		{"How It Works",
		 " 1. ping/info: GET /_ping, /version and /info.\n"
		 " 2. create: POST /containers/create (pulls first if the image is missing and\n"
		 "    the host may pull).\n"
		 " 3. start, then wait for the container's die event on the event stream\n"
		 "    (polling inspect if the stream breaks).\n"
		 " 4. inspect (state and exit code), logs (both streams), remove.\n"
		 "Each step prints ok or FAILED, its time in milliseconds and what it learned."},
		{"Important Notes",
		 "NOT FOR PRODUCTION LOAD: it starts a real container on the host, outside the "
		 "host's job limit (it is tiny: a shell that prints two lines, usually under a "
		 "second). Talking to a Docker engine is root access to its machine: the user "
		 "needs access to the socket or the TLS client certificate. A disabled host can "
		 "be tested (useful before enabling it)."},
		{NULL, NULL},
	},
	.errors = (const cli_error_doc_t[]){
		{"cjobs: error: host 'down' (unix:///tmp/cjobs-down.sock) failed at step ping/info: "
		 "cannot connect to engine unix:///tmp/cjobs-down.sock: ...",
		 "the engine is not running, the socket path or address is wrong, or access is "
		 "denied",
		 "start the engine; check the address with 'cjobs host show down'; check the "
		 "socket's permissions (the docker group) or the TLS files",
		 "cjobs dev test-job --host down"},
		{"failed at step create: image cjobs-test/none:1 is not on the engine and the host "
		 "may not pull",
		 "(the message starts: cjobs: error: host 'NAME' (URL)) the image is missing on "
		 "that engine",
		 "pull it there (docker pull), let the host pull (cjobs host update NAME --pull "
		 "yes), or give --image with an image the engine has",
		 "cjobs dev test-job --host local --image cjobs-test/none:1"},
		{"cjobs: error: no host named 'nosuch'; 'cjobs host list' shows the hosts",
		 "--host names no registered host", "use a name from 'cjobs host list'",
		 "cjobs dev test-job --host nosuch"},
		{NULL, NULL, NULL},
	},
	.exit_codes = (const cli_exit_doc_t[]){
		{0, "Every step succeeded: the host can run jobs."},
		{1, "Invalid option, unknown host, or a job store error."},
		{2, "A step failed on the engine (unreachable, image missing, time limit, or the "
		    "test container failed); the message names the host, its address and the step."},
		{0, NULL},
	},
	.run = test_job_run,
};

/* ======================================================== validate-config */

/* Every key the configuration file knows, with the option it sets: built
 * from the option tables at start-up, for the help text. */
static char known_keys_text[16384];

typedef struct {
	const char *key;
	const cli_option_t *opt;
	char users[512];
} key_doc_t;

static void collect_keys(const cli_command_t *const *list, const char *prefix, key_doc_t *keys,
			 size_t *n, size_t max)
{
	for (size_t i = 0; list && list[i]; i++) {
		const cli_command_t *c = list[i];
		char path[128];
		snprintf(path, sizeof(path), "%s%s%s", prefix, *prefix ? " " : "", c->name);
		for (const cli_option_t *o = c->options; o && o->name; o++) {
			if (!o->config)
				continue;
			size_t k = 0;
			while (k < *n && strcmp(keys[k].key, o->config) != 0)
				k++;
			if (k == *n) {
				if (*n == max)
					continue;
				keys[k].key = o->config;
				keys[k].opt = o;
				keys[k].users[0] = '\0';
				(*n)++;
			}
			size_t len = strlen(keys[k].users);
			snprintf(keys[k].users + len, sizeof(keys[k].users) - len, "%s'cjobs %s --%s'",
				 len ? ", " : "", path, o->name);
		}
		collect_keys(c->subcommands, path, keys, n, max);
	}
}

static size_t all_keys(key_doc_t *keys, size_t max)
{
	size_t n = 0;
	for (const cli_option_t *o = cli_global_options; o->name; o++)
		if (o->config && n < max) {
			keys[n].key = o->config;
			keys[n].opt = o;
			snprintf(keys[n].users, sizeof(keys[n].users), "the global option --%s",
				 o->name);
			n++;
		}
	collect_keys(cli_commands, "", keys, &n, max);
	return n;
}

__attribute__((constructor)) static void build_known_keys(void)
{
	key_doc_t keys[64];
	size_t n = all_keys(keys, 64);
	size_t len = 0, cap = sizeof(known_keys_text);
	for (size_t i = 0; i < n && len < cap; i++) {
		const char *dot = strchr(keys[i].key, '.');
		int sl = dot ? (int)(dot - keys[i].key) : 0;
		char *facts = help_option_facts(keys[i].opt);
		const char *def = keys[i].opt->def ? keys[i].opt->def : "(none)";
		int w = snprintf(known_keys_text + len, cap - len,
				 "%s [%.*s] %s = %s\n%s Sets %s. %s\n", i ? "\n" : "", sl, keys[i].key,
				 dot ? dot + 1 : keys[i].key, def, keys[i].opt->help, keys[i].users,
				 facts ? facts : "");
		free(facts);
		if (w < 0)
			break;
		len += (size_t)w;
	}
	if (len >= cap)
		known_keys_text[cap - 1] = '\0';
}

typedef struct {
	int line;
	char *msg;
} vproblem_t;

static int by_line(const void *a, const void *b)
{
	const vproblem_t *x = a, *y = b;
	return (x->line > y->line) - (x->line < y->line);
}

static int validate_run(cli_ctx_t *ctx, cli_args_t *a)
{
	char *found = NULL, *err = NULL;
	(void)a;
	const char *path = ctx->config_path;
	if (!path)
		path = found = config_find_default();
	if (!path) {
		printf("no configuration file: none was named and none exists at "
		       "$XDG_CONFIG_HOME/cjobs/cjobs.ini (~/.config/cjobs/cjobs.ini) or "
		       "/etc/cjobs/cjobs.ini; cjobs uses its built-in defaults\n");
		return EXIT_OK;
	}
	config_t *c = config_load(path, &err);
	if (!c) {
		cli_error(ctx, "%s", err_str(err));
		free(err);
		free(found);
		return EXIT_ERROR;
	}
	size_t np = 0;
	char *const *problems = config_problems(c, &np);
	vproblem_t *v = calloc(np + 1, sizeof(*v));
	size_t nv = 0;
	int rc = v ? EXIT_OK : EXIT_ERROR;
	size_t plen = strlen(path);
	for (size_t i = 0; v && i < np; i++) {
		const char *p = problems[i];
		int line = strncmp(p, path, plen) == 0 && p[plen] == ':' ? atoi(p + plen + 1) : 0;
		v[nv].line = line;
		v[nv++].msg = strdup(p);
	}
	/* Values were checked as the file was loaded (config.c), by the parser
	 * of the option each sets: they are among the problems above. */
	if (v)
		qsort(v, nv, sizeof(*v), by_line);
	for (size_t i = 0; i < nv; i++) {
		printf("%s\n", v[i].msg ? v[i].msg : "out of memory");
		free(v[i].msg);
	}
	if (rc == EXIT_OK) {
		if (nv)
			printf("%s: %zu problem%s\n", path, nv, nv == 1 ? "" : "s");
		else
			printf("%s: valid\n", path);
	} else {
		cli_error(ctx, "out of memory");
	}
	free(v);
	config_free(c);
	free(found);
	return rc == EXIT_OK && nv ? EXIT_ERROR : rc;
}

static const cli_command_t dev_validate_config = {
	.name = "validate-config",
	.reports_config = true,
	.summary = "check the configuration file and report every problem with its line",
	.usage = "[options]",
	.max_args = 0,
	.description =
		"Reads the configuration file (INI) and reports every problem, one per line as "
		"FILE:LINE: message, in line order: syntax errors, keys outside a [section], "
		"unknown sections and keys, and values that the option they set would refuse "
		"(checked by the same parser as a value typed on the command line). Other "
		"commands stop at the first problem; this one lists them all. The file is the "
		"one every command would use: the global --config FILE (which may also follow "
		"'validate-config') or $CJOBS_CONFIG, else the first that exists of "
		"$XDG_CONFIG_HOME/cjobs/cjobs.ini (~/.config/cjobs/cjobs.ini) and "
		"/etc/cjobs/cjobs.ini. The known keys are listed below.",
	.examples = (const cli_example_t[]){
		{"cjobs dev validate-config", "check the configuration file in use (if any)", 0},
		{"cjobs dev validate-config --config cjobs.ini",
		 "check ./cjobs.ini before installing it (in the example sandbox there is no such "
		 "file, so it reports that it cannot read it)", 1},
		{"cjobs dev validate-config --help", "list every known key with its default", 0},
		{NULL, NULL, 0},
	},
	.sections = (const cli_section_t[]){
		{"Known Keys", known_keys_text},
		{"Important Notes",
		 "Safe anywhere, production included: it only reads the file, and needs read "
		 "permission on it. Environment variables and options override the file's "
		 "values when commands run; this checks only the file. A running process-jobs "
		 "--daemon re-reads the [worker] keys on SIGUSR1: validate the file first."},
		{NULL, NULL},
	},
	.errors = (const cli_error_doc_t[]){
		{"bad.ini:3: unknown key 'bogus' in [worker]; see `cjobs dev validate-config --help` "
		 "for the known keys",
		 "(a problem line) a misspelt or unsupported key",
		 "use a key from the list under Known Keys",
		 "cjobs --config bad.ini dev validate-config"},
		{"bad.ini:2: [worker] max_jobs: 'abc' is not a whole number from 1 to 10000",
		 "(a problem line) the value is not one the option takes",
		 "write a value in the range given under Known Keys",
		 "cjobs --config bad.ini dev validate-config"},
		{"cjobs: error: cannot read configuration file none.ini: No such file or directory",
		 "the named file does not exist or is not readable",
		 "check the path and its permissions", "cjobs --config none.ini dev validate-config"},
		{NULL, NULL, NULL},
	},
	.exit_codes = (const cli_exit_doc_t[]){
		{0, "The file is valid, or there is no configuration file."},
		{1, "Problems were found (each printed), or the file cannot be read."},
		{0, NULL},
	},
	.run = validate_run,
};

const cli_command_t cmd_dev = {
	.name = "dev",
	.group = "Development",
	.summary = "development utilities: sample data, a test job, config validation",
	.usage = "SUBCOMMAND [options]",
	.description =
		"Tools for developers and for checking an installation: fill a store with sample "
		"data (and remove it again), run one test container on a host showing each step, "
		"and validate the configuration file. sample-data and test-job are not meant for "
		"production systems; validate-config is safe anywhere.",
	.examples = (const cli_example_t[]){
		{"cjobs dev validate-config", "check the configuration file in use", 0},
		{"cjobs dev sample-data --dry-run", "say what sample data would be added", 0},
		{"cjobs dev test-job --host local", "run one small container on host local", 0},
		{NULL, NULL, 0},
	},
	.sections = (const cli_section_t[]){
		{"Important Notes",
		 "sample-data writes made-up hosts (sample-local, sample-remote), a template "
		 "(sample-env) and jobs into the store named by --database: never point it at a "
		 "production store; --clear removes them again. test-job runs a real container on "
		 "an engine, so it needs access to that engine's socket, which is root-equivalent "
		 "on its machine. validate-config only reads the configuration file."},
		{NULL, NULL},
	},
	.errors = (const cli_error_doc_t[]){
		{"cjobs: error: 'cjobs dev' needs a subcommand (see the list above)",
		 "'cjobs dev' was run without a subcommand; the group's help, with the list of "
		 "subcommands, is printed on standard error before the message",
		 "add one of the subcommands listed, e.g. 'cjobs dev validate-config'", "cjobs dev"},
		{"cjobs: error: unknown subcommand 'frob' for 'cjobs dev'",
		 "the word after 'dev' is not one of its subcommands (a typo, or a subcommand of "
		 "another group)",
		 "see 'cjobs help dev' for the list of subcommands", "cjobs dev frob"},
		{NULL, NULL, NULL},
	},
	.subcommands = (const cli_command_t *const[]){&dev_sample_data, &dev_test_job,
						      &dev_validate_config, NULL},
};
