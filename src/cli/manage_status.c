/*
 * cli/manage_status.c: `cjobs manage-jobs status`: a summary of the jobs per
 * status and per host, the queue, the jobs running now and, with
 * --detailed, their resource use and each host's capacity.
 *
 * Read-only: it must never change the store nor any container. With
 * --detailed it asks the engines for one stats sample of each running
 * container, nothing else. Counts come from store_status() (one snapshot),
 * so the JSON always agrees with the store.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/manage_options.h"
#include "cli/command.h"
#include "cli/context.h"
#include "ops/status.h"
#include "ops/render.h"
#include "engine/engine.h"
#include "store/report.h"
#include "util/err.h"
#include "util/output.h"
#include "util/timeutil.h"

#define STATS_WAIT_MS 30000

static const char *const formats[] = {"table", "json", NULL};

/* ---- live resource use of running jobs (--detailed) ---- */

typedef struct {
	host_t host;
	engine_t *engine;
	bool warned;
} shost_t;

typedef struct {
	engine_loop_t *loop;
	shost_t *hosts;
	size_t nhosts;
	int pending;
	bool done;
	bool trouble;
	void **reqs;       /* sreq_t in flight (NULL once ended); freed at the end
			      even if an engine never answered */
} sampler_t;

typedef struct {
	sampler_t *sm;
	shost_t *h;
	store_active_job_t *job;
	size_t slot;
} sreq_t;

static void on_stats(void *ud, const engine_status_t *st, const engine_stats_t *s)
{
	sreq_t *r = ud;
	if (st->ok && s) {
		int64_t mem = s->memory_peak_bytes >= 0 ? s->memory_peak_bytes : s->memory_bytes;
		if (mem > r->job->peak_memory_bytes)
			r->job->peak_memory_bytes = mem;
		if (s->cpu_total_ns >= 0)
			r->job->cpu_usage_ns = s->cpu_total_ns;
	} else if (!st->not_found) {
		/* not_found: the container ended since the store was read */
		if (!r->h->warned)
			fprintf(stderr, "cjobs: warning: host '%s' (%s) cannot be reached: %s; the "
					"resource use of its jobs is not shown\n",
				r->h->host.name, r->h->host.url, err_str(st->error));
		r->h->warned = true;
		r->sm->trouble = true;
	}
	if (--r->sm->pending == 0)
		r->sm->done = true;
	r->sm->reqs[r->slot] = NULL;
	free(r);
}

static shost_t *sampler_host(sampler_t *sm, const host_t *all, size_t nall, const char *name)
{
	for (size_t i = 0; i < sm->nhosts; i++)
		if (strcmp(sm->hosts[i].host.name, name) == 0)
			return sm->hosts[i].engine ? &sm->hosts[i] : NULL;
	for (size_t i = 0; i < nall; i++) {
		if (strcmp(all[i].name, name) != 0)
			continue;
		shost_t *h = &sm->hosts[sm->nhosts++];
		host_init(&h->host);
		h->host.name = strdup(all[i].name);
		h->host.url = strdup(all[i].url);
		engine_config_t cfg = {
			.url = all[i].url,
			.tls_ca = all[i].tls_ca,
			.tls_cert = all[i].tls_cert,
			.tls_key = all[i].tls_key,
			.tls_verify = all[i].tls_verify,
			.request_timeout_ms = 20000,
		};
		char *err = NULL;
		if (!h->host.name || !h->host.url || engine_new(sm->loop, &cfg, &h->engine, &err) < 0) {
			fprintf(stderr, "cjobs: warning: host '%s' (%s) cannot be used: %s\n",
				all[i].name, all[i].url, err_str(err));
			free(err);
			sm->trouble = true;
			return NULL;
		}
		return h;
	}
	return NULL; /* the host was removed: nothing to ask */
}

/* One stats sample of every running container, from its host. Returns
 * true when a host could not be asked. */
static bool sample_running(store_status_t *st, const host_t *hosts, size_t nhosts)
{
	sampler_t sm = {0};
	sm.loop = engine_loop_new();
	sm.hosts = calloc(nhosts ? nhosts : 1, sizeof(*sm.hosts));
	sm.reqs = calloc(st->nactive ? st->nactive : 1, sizeof(*sm.reqs));
	if (!sm.loop || !sm.hosts || !sm.reqs) {
		free(sm.hosts);
		free(sm.reqs);
		if (sm.loop)
			engine_loop_free(sm.loop);
		return true;
	}
	for (size_t i = 0; i < st->nactive; i++) {
		store_active_job_t *j = &st->active[i];
		if (j->status != JOB_RUNNING || !j->host || !j->container_id)
			continue;
		shost_t *h = sampler_host(&sm, hosts, nhosts, j->host);
		sreq_t *r = h ? calloc(1, sizeof(*r)) : NULL;
		if (!r)
			continue;
		*r = (sreq_t){&sm, h, j, i};
		sm.reqs[i] = r;
		sm.pending++;
		engine_stats(h->engine, j->container_id, on_stats, r);
	}
	if (sm.pending > 0 && engine_loop_until(sm.loop, &sm.done, STATS_WAIT_MS) < 0)
		sm.trouble = true;
	for (size_t i = 0; i < sm.nhosts; i++) {
		if (sm.hosts[i].engine)
			engine_free(sm.hosts[i].engine);
		host_free(&sm.hosts[i].host);
	}
	free(sm.hosts);
	engine_loop_free(sm.loop);
	for (size_t i = 0; i < st->nactive; i++)
		free(sm.reqs[i]);
	free(sm.reqs);
	return sm.trouble;
}

/* ---- output ---- */

/* ---- workers (--detailed) ---- */

static const store_worker_t *worker_named(const store_worker_t *v, size_t n, const char *id)
{
	for (size_t i = 0; id && i < n; i++)
		if (strcmp(v[i].id, id) == 0)
			return &v[i];
	return NULL;
}

/* True when a live worker serves host (its hosts list names it). */
static bool served(const store_worker_t *v, size_t n, const char *host)
{
	size_t len = host ? strlen(host) : 0;
	for (size_t i = 0; len && i < n; i++) {
		if (!v[i].alive || !v[i].hosts)
			continue;
		for (const char *p = v[i].hosts; (p = strstr(p, host)); p += len)
			if ((p == v[i].hosts || p[-1] == ' ') && (p[len] == ' ' || p[len] == '\0'))
				return true;
	}
	return false;
}

/* A running job whose worker is known dead, on a host no live worker
 * serves: nobody will take it over until a worker for that host starts. */
static bool unattended(const store_active_job_t *j, const store_worker_t *v, size_t n)
{
	const store_worker_t *w = worker_named(v, n, j->worker_id);
	return w && !w->alive && !served(v, n, j->host);
}

/* Workers worth showing: the live ones, and the dead ones that still hold
 * jobs (a clean stop hands its jobs back, so old rows are left out). */
static bool shown(const store_worker_t *w)
{
	return w->alive || w->jobs_held > 0;
}

static const char *worker_state(const store_worker_t *w)
{
	return w->alive ? "alive" : w->stopped_at ? "stopped" : "dead";
}

static json_t *workers_json(const store_worker_t *v, size_t n,
			    const store_status_t *st)
{
	json_t *a = json_array(), *u = json_array(), *o = json_object();
	for (size_t i = 0; a && i < n; i++) {
		if (!shown(&v[i]))
			continue;
		json_t *e = json_object();
		json_object_set_new(e, "id", json_string(v[i].id));
		json_object_set_new(e, "machine", json_string(v[i].machine ? v[i].machine : ""));
		json_object_set_new(e, "pid", json_integer(v[i].pid));
		json_object_set_new(e, "state", json_string(worker_state(&v[i])));
		json_object_set_new(e, "started_at", ops_time_json(v[i].started_at));
		json_object_set_new(e, "heartbeat_at", ops_time_json(v[i].heartbeat_at));
		json_object_set_new(e, "hosts", json_string(v[i].hosts ? v[i].hosts : ""));
		json_object_set_new(e, "jobs_held", json_integer(v[i].jobs_held));
		json_array_append_new(a, e);
	}
	for (size_t i = 0; u && i < st->nactive; i++)
		if (unattended(&st->active[i], v, n)) {
			json_t *e = json_object();
			json_object_set_new(e, "id", json_integer(st->active[i].id));
			json_object_set_new(e, "host", st->active[i].host
							   ? json_string(st->active[i].host)
							   : json_null());
			json_object_set_new(e, "worker_id", json_string(st->active[i].worker_id));
			json_array_append_new(u, e);
		}
	json_object_set_new(o, "workers", a);
	json_object_set_new(o, "unattended", u);
	return o;
}

static int print_workers(const store_worker_t *v, size_t n, const store_status_t *st)
{
	char b1[48], b2[48];
	int rc = 0;
	printf("\nWorkers:\n");
	static const char *const whead[] = {"ID", "MACHINE", "STATE", "STARTED", "HEARTBEAT",
					    "JOBS", "HOSTS"};
	table_t *t = table_new(7, whead);
	size_t k = 0;
	for (size_t i = 0; t && i < n; i++) {
		if (!shown(&v[i]))
			continue;
		char jobs[24];
		snprintf(jobs, sizeof(jobs), "%lld", (long long)v[i].jobs_held);
		const char *row[] = {v[i].id, v[i].machine ? v[i].machine : "-",
				     worker_state(&v[i]),
				     format_time(v[i].started_at, b1, sizeof(b1)),
				     format_time(v[i].heartbeat_at, b2, sizeof(b2)), jobs,
				     v[i].hosts && *v[i].hosts ? v[i].hosts : "-"};
		if (table_add(t, row) < 0)
			rc = -1;
		k++;
	}
	if (!t)
		return -1;
	if (k)
		table_print(t, stdout);
	else
		printf("  (none running)\n");
	table_free(t);
	for (size_t i = 0; i < st->nactive; i++) {
		const store_active_job_t *j = &st->active[i];
		if (!unattended(j, v, n))
			continue;
		printf("Job %lld on host %s is held by dead worker %s, and no live worker serves "
		       "%s: start one that does (cjobs process-jobs --host %s --daemon); it takes "
		       "the job over.\n",
		       (long long)j->id, j->host ? j->host : "-", j->worker_id,
		       j->host ? j->host : "it", j->host ? j->host : "NAME");
	}
	return rc;
}

static void fmt_i64(char *buf, size_t size, int64_t v)
{
	snprintf(buf, size, "%lld", (long long)v);
}

static int print_table(const store_status_t *st, const char *host, bool detailed,
		       const host_t *hosts, size_t nhosts, const int64_t *active, int64_t now)
{
	char b1[48], b2[48], b3[48], b4[48];
	int rc = 0;
	printf("Jobs: %lld in all%s%s\n", (long long)st->total, host ? " for host " : "",
	       host ? host : "");
	for (int i = 0; i < JOB_STATUS_COUNT; i++)
		printf("  %-10s %8lld\n", job_status_name((job_status_t)i), (long long)st->counts[i]);

	printf("\nQueue: %lld queued: %lld ready now, %lld scheduled later, %lld waiting for "
	       "other jobs",
	       (long long)st->counts[JOB_QUEUED], (long long)st->ready, (long long)st->scheduled,
	       (long long)st->waiting);
	if (st->next_at)
		printf(" (the next at %s)", format_time(st->next_at, b1, sizeof(b1)));
	printf("\n");
	if (st->oldest_id)
		printf("Oldest ready job: %lld, waiting %s (queued at %s)\n",
		       (long long)st->oldest_id,
		       format_duration(now - st->oldest_queued_at, b1, sizeof(b1)),
		       format_time(st->oldest_queued_at, b2, sizeof(b2)));
	else
		printf("Oldest ready job: none\n");

	printf("\nJobs by host:\n");
	static const char *const hhead[] = {"HOST",      "QUEUED", "LAUNCHING", "RUNNING",
					    "COMPLETED", "FAILED", "TIMEOUT",   "CANCELLED",
					    "TOTAL"};
	table_t *t = table_new(9, hhead);
	for (size_t i = 0; t && i < st->nhosts; i++) {
		const store_host_counts_t *h = &st->hosts[i];
		char c[JOB_STATUS_COUNT][24], tot[24];
		const char *row[9];
		row[0] = h->host ? h->host : "(unassigned)";
		for (int k = 0; k < JOB_STATUS_COUNT; k++) {
			fmt_i64(c[k], sizeof(c[k]), h->counts[k]);
			row[1 + k] = c[k];
		}
		fmt_i64(tot, sizeof(tot), h->total);
		row[8] = tot;
		if (table_add(t, row) < 0)
			rc = -1;
	}
	if (!t)
		return -1;
	if (st->nhosts)
		table_print(t, stdout);
	else
		printf("  (no jobs)\n");
	table_free(t);

	printf("\nRunning now: %zu\n", st->nactive);
	if (st->nactive) {
		static const char *const rhead[] = {"ID",   "STATUS",   "HOST",    "FOR",
						    "NAME", "IMAGE",    "PEAK_MEM", "CPU_TIME",
						    "MEM_LIMIT", "CPUS"};
		t = table_new(detailed ? 10 : 6, rhead);
		for (size_t i = 0; t && i < st->nactive; i++) {
			const store_active_job_t *j = &st->active[i];
			char id[24], dur[32], cpu[32], cpus[32];
			fmt_i64(id, sizeof(id), j->id);
			if (j->started_at)
				format_duration(now - j->started_at, dur, sizeof(dur));
			else
				snprintf(dur, sizeof(dur), "-");
			if (j->cpu_usage_ns >= 0)
				snprintf(cpu, sizeof(cpu), "%.2fs", (double)j->cpu_usage_ns / 1e9);
			else
				snprintf(cpu, sizeof(cpu), "-");
			if (j->nano_cpus)
				snprintf(cpus, sizeof(cpus), "%g", (double)j->nano_cpus / 1e9);
			else
				snprintf(cpus, sizeof(cpus), "none");
			const char *row[] = {
				id,
				job_status_name(j->status),
				j->host ? j->host : "-",
				dur,
				j->name ? j->name : "-",
				j->image ? j->image : "-",
				render_bytes(j->peak_memory_bytes, b3, sizeof(b3)),
				cpu,
				j->memory_limit_bytes ? render_bytes(j->memory_limit_bytes, b4, sizeof(b4))
						      : "none",
				cpus,
			};
			if (table_add(t, row) < 0)
				rc = -1;
		}
		if (!t)
			return -1;
		table_print(t, stdout);
		table_free(t);
	}
	if (detailed) {
		printf("\nHost capacity:\n");
		static const char *const chead[] = {"HOST", "ENABLED", "MAX_JOBS", "ACTIVE",
						    "FREE", "LAST_CHECK"};
		t = table_new(6, chead);
		for (size_t i = 0; t && i < nhosts; i++) {
			const host_t *h = &hosts[i];
			char mj[24], ac[24], fr[24], chk[160];
			fmt_i64(mj, sizeof(mj), h->max_jobs);
			fmt_i64(ac, sizeof(ac), active[i]);
			fmt_i64(fr, sizeof(fr), h->max_jobs > active[i] ? h->max_jobs - active[i] : 0);
			if (h->checked_at)
				snprintf(chk, sizeof(chk), "%s %s%s%.80s", h->check_ok ? "ok" : "failed",
					 format_time(h->checked_at, b1, sizeof(b1)),
					 h->check_message && !h->check_ok ? ": " : "",
					 h->check_message && !h->check_ok ? h->check_message : "");
			else
				snprintf(chk, sizeof(chk), "never");
			const char *row[] = {h->name, h->enabled ? "yes" : "no", mj, ac, fr, chk};
			if (table_add(t, row) < 0)
				rc = -1;
		}
		if (!t)
			return -1;
		table_print(t, stdout);
		table_free(t);
	}
	return rc;
}

static int run(cli_ctx_t *ctx, cli_args_t *a)
{
	char *err = NULL;
	const char *host = cli_str(a, "host");
	bool detailed = cli_flag(a, "detailed");
	host_t *hosts = NULL;
	size_t nhosts = 0;
	int64_t *active = NULL;
	store_status_t st = {0};
	store_worker_t *workers = NULL;
	size_t nworkers = 0;
	int rc = EXIT_ERROR;

	if (store_host_list(ctx->store, &hosts, &nhosts, &err) < 0) {
		cli_error(ctx, "%s", err_str(err));
		goto out;
	}
	if (host) {
		/* Keep only that host (for the capacity table). */
		size_t k = 0;
		for (size_t i = 0; i < nhosts; i++) {
			if (strcmp(hosts[i].name, host) == 0 && k == 0) {
				host_t keep = hosts[i];
				hosts[i] = hosts[0];
				hosts[0] = keep;
				k = 1;
			}
		}
		if (k == 0) {
			/* Not in the list: the store says so in its own words. */
			host_t h;
			host_init(&h);
			if (ctx_load_host(ctx, host, &h) == 0)
				cli_error(ctx, "host '%.64s' was added while the status was read; run it "
					       "again",
					  host);
			host_free(&h);
			goto out;
		}
	}
	size_t nshow = host ? 1 : nhosts;
	active = calloc(nhosts ? nhosts : 1, sizeof(*active));
	if (!active) {
		cli_error(ctx, "out of memory");
		goto out;
	}
	for (size_t i = 0; detailed && i < nshow; i++)
		if (store_job_active_on(ctx->store, hosts[i].name, &active[i], &err) < 0) {
			cli_error(ctx, "%s", err_str(err));
			goto out;
		}
	int64_t now = now_ms();
	if (store_status(ctx->store, host, now, &st, &err) < 0) {
		cli_error(ctx, "%s", err_str(err));
		goto out;
	}
	if (detailed && store_worker_list(ctx->store, now, &workers, &nworkers, &err) < 0) {
		cli_error(ctx, "%s", err_str(err));
		goto out;
	}
	bool trouble = detailed && sample_running(&st, hosts, nhosts);
	int prc;
	if (strcmp(cli_str(a, "format"), "json") == 0) {
		json_t *j = ops_status_json(&st, host, detailed, hosts, nshow, active, now);
		if (j && detailed)
			json_object_update_new(j, workers_json(workers, nworkers, &st));
		prc = j ? render_print_json(stdout, j) : -1;
		json_decref(j);
	} else {
		prc = print_table(&st, host, detailed, hosts, nshow, active, now);
		if (prc == 0 && detailed)
			prc = print_workers(workers, nworkers, &st);
	}
	if (prc < 0) {
		cli_error(ctx, "out of memory");
		goto out;
	}
	rc = trouble ? EXIT_ENGINE : EXIT_OK;
out:
	free(err);
	free(active);
	store_status_free(&st);
	store_worker_list_free(workers, nworkers);
	store_host_list_free(hosts, nhosts);
	return rc;
}

static const cli_option_t options[] = {
	{.name = "detailed", .type = OPT_FLAG,
	 .help = "Show detailed status including resource use: peak memory and CPU time of each "
		 "running job (one sample asked from its host's engine), its limits, each "
		 "host's capacity (max jobs, active jobs, free slots, enabled, last health "
		 "check), and the workers: each live one, and each dead one that still holds "
		 "jobs (id, machine, state, started, last heartbeat, jobs held, hosts served)."},
	MANAGE_OPT_HOST("Only jobs pinned to or run on this executor host, as 'cjobs job list "
			"--host' takes them."),
	{.name = "format", .type = OPT_CHOICE, .metavar = "FORMAT", .def = "table",
	 .choices = formats,
	 .help = "table for people; json (one object, described under JSON Output) for "
		 "scripts."},
	{0},
};

const cli_command_t manage_status = {
	.name = "status",
	.summary = "display job status summary and statistics",
	.usage = "[--detailed] [--host NAME] [--format table|json]",
	.max_args = 0,
	.needs_store = true, .reads_only = true,
	.description =
		"Display job status summary and statistics.\n\n"
		"Shows how many jobs are in each status, in all and per host; the queue depth "
		"(queued jobs ready to run now, those scheduled for later with --at, and those "
		"waiting for other jobs to finish, 'job submit --after'); the oldest ready job and how long it has waited; and the jobs running now, on "
		"which host and for how long. A queued job counts under the host it is pinned "
		"to, or (unassigned); every other job under the host it last ran on.",
	.options = options,
	.examples = (const cli_example_t[]){
		{"cjobs manage-jobs status", "Show job status summary", 0},
		{"cjobs manage-jobs status --detailed",
		 "Add the resource use of running jobs and each host's capacity", 0},
		{"cjobs manage-jobs status --format json",
		 "The same summary as one JSON object, for scripts and monitoring", 0},
		{"cjobs manage-jobs status --host local --detailed",
		 "Only the jobs and the capacity of host local", 0},
		{NULL, NULL, 0},
	},
	.sections = (const cli_section_t[]){
		{"How It Works",
		 " 1. Read the hosts, then every count (per status and host, ready,\n"
		 "    scheduled and waiting) from the store in one snapshot, so the\n"
		 "    numbers add up.\n"
		 " 2. Find the oldest queued job that is ready to run, and the jobs that are\n"
		 "    launching or running now.\n"
		 " 3. With --detailed: ask each running job's engine for one sample of its\n"
		 "    memory and CPU use (a host that cannot be reached is warned about), and\n"
		 "    count each host's active jobs against its max_jobs, and read the\n"
		 "    workers that registered in the store. A worker is alive while it holds\n"
		 "    its liveness lock and renews its heartbeat (every 20 s, a 60 s lease);\n"
		 "    killed or cut off, it is dead at once; stopped cleanly, 'stopped'.\n"
		 "    A job held by a dead worker on a host that no live worker serves is\n"
		 "    named, with what to do: start a worker for that host, which takes the\n"
		 "    job over (its container is adopted, harvested or the job re-queued).\n"
		 " 4. Print a table, or one JSON object."},
		{"JSON Output",
		 "One object; times are UTC ISO 8601 strings with milliseconds, or null. Keys:\n"
		 "  generated_at, host (the --host given, or null), total,\n"
		 "  counts {queued, launching, running, completed, failed, timeout, cancelled},\n"
		 "  queue {queued, ready, scheduled, waiting (held by dependencies),\n"
		 "         next_scheduled_at,\n"
		 "         oldest_waiting (the oldest ready job): null or\n"
		 "           {id, queued_at, waiting_seconds}},\n"
		 "  hosts [{host (null: unassigned), total, counts {...}, ready, scheduled,\n"
		 "          waiting}],\n"
		 "  running [{id, status, name, image, host, started_at, running_seconds}]\n"
		 "With --detailed, each running entry adds peak_memory_bytes, cpu_seconds,\n"
		 "memory_limit_bytes, cpus (null: unknown or no limit), and the object adds\n"
		 "  capacity [{host, url, enabled, max_jobs, active, free, last_check_at,\n"
		 "             last_check_ok, last_check_message}],\n"
		 "  workers [{id, machine, pid, state (alive, dead or stopped), started_at,\n"
		 "            heartbeat_at, hosts (space separated), jobs_held}],\n"
		 "  unattended [{id, host, worker_id}] (jobs held by a dead worker on a host\n"
		 "              no live worker serves)\n"
		 "total is the sum of counts, and counts the sum of the hosts' counts. Keys are "
		 "only ever added, never renamed or removed."},
		{"Important Notes",
		 "Safe in production: it only reads the store (no lock that would block a "
		 "worker) and, with --detailed, asks each running container's engine for one "
		 "stats sample. Resource use: one pass over the jobs table; a few MB of memory. "
		 "Expected run time: well under a second for 100,000 jobs; --detailed adds up to "
		 "a second per host (up to 30 s for a host that does not answer). Peak memory of a "
		 "running job is its engine's current figure (the peak on cgroup v1 engines).\n\n"
		 "With --detailed, when a running job's engine cannot be asked, 'cjobs: warning: "
		 "host 'NAME' (URL) cannot be reached: ...; the resource use of its jobs is not "
		 "shown' is printed, the rest of the status still is, and the exit code is 2: "
		 "check the engine with 'cjobs manage-jobs health-check --host NAME'."},
		{NULL, NULL},
	},
	.errors = (const cli_error_doc_t[]){
		{"cjobs: error: no host named 'nope'; 'cjobs host list' shows the hosts",
		 "--host names a host that is not registered", "see 'cjobs host list'",
		 "cjobs manage-jobs status --host nope"},
		{"cjobs: error: option --format: 'xml' is not one of: table, json",
		 "--format was given a format this command does not have", "use table or json",
		 "cjobs manage-jobs status --format xml"},
		{NULL, NULL, NULL, NULL},
	},
	.exit_codes = (const cli_exit_doc_t[]){
		{0, "Success."},
		{1, "Invalid option, unknown host, or job store error."},
		{2, "With --detailed, an executor host could not be asked for its jobs' resource "
		    "use (the rest was printed)."},
		{0, NULL},
	},
	.run = run,
};
