/*
 * cli/manage_cleanup.c: `cjobs manage-jobs cleanup`: removes finished jobs
 * older than --days (with their history and stored output) and leftover
 * containers of this store that belong to no live job.
 *
 * It must never touch a job that is queued, launching or running, nor a
 * container that a launching or running job names, nor a container of
 * another store; it must change nothing with --dry-run, nor without --force
 * unless a person said yes on a terminal. The SQL lives in store/report.c.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli/manage_options.h"
#include "cli/command.h"
#include "ops/render.h"
#include "engine/engine.h"
#include "store/report.h"
#include "store/schedules.h"
#include "util/confirm.h"
#include "util/err.h"
#include "util/progress.h"
#include "util/log.h"
#include "util/timeutil.h"

#define DAY_MS (24LL * 3600 * 1000)
#define ENGINE_WAIT_MS 120000

typedef struct {
	char *id, *name, *state;
} box_t;

/* One enabled host and what its engine said. */
typedef struct {
	host_t host;
	engine_t *engine;
	bool failed;
	char *error;
	box_t *boxes;      /* this store's containers on it */
	size_t nboxes;
	bool *orphan;      /* parallel to boxes: belongs to no live job */
	size_t norphans, removed;
	int pending;       /* its requests still in flight */
} probe_t;

typedef struct req req_t;

typedef struct {
	engine_loop_t *loop;
	probe_t *probes;
	size_t nprobes;
	int pending;
	bool done;
	req_t **reqs;      /* requests in flight (NULL once ended), freed at the end
			      even if the engines never answered */
	size_t nreqs;
} scan_t;

struct req {
	scan_t *sc;
	probe_t *p;
	size_t box;        /* for removals */
	size_t slot;       /* in sc->reqs */
};

static void request_ended(req_t *r)
{
	r->sc->reqs[r->slot] = NULL;
	r->p->pending--;
	if (--r->sc->pending == 0)
		r->sc->done = true;
	free(r);
}

/* Starts counting a request of probe p; NULL when out of memory. */
static req_t *request_new(scan_t *sc, probe_t *p, size_t box)
{
	req_t *r = calloc(1, sizeof(*r));
	req_t **v = r ? realloc(sc->reqs, (sc->nreqs + 1) * sizeof(*v)) : NULL;
	if (!v) {
		free(r);
		return NULL;
	}
	sc->reqs = v;
	*r = (req_t){sc, p, box, sc->nreqs};
	sc->reqs[sc->nreqs++] = r;
	sc->pending++;
	p->pending++;
	return r;
}

static void fail_probe(probe_t *p, const char *error)
{
	p->failed = true;
	if (!p->error)
		p->error = strdup(error ? error : "unknown error");
}

static void on_list(void *ud, const engine_status_t *st, const engine_container_t *list, size_t n)
{
	req_t *r = ud;
	probe_t *p = r->p;
	if (!st->ok) {
		fail_probe(p, st->error);
	} else if (n > 0) {
		p->boxes = calloc(n, sizeof(*p->boxes));
		p->orphan = calloc(n, sizeof(*p->orphan));
		if (!p->boxes || !p->orphan) {
			fail_probe(p, "out of memory");
		} else {
			for (size_t i = 0; i < n; i++) {
				box_t *b = &p->boxes[p->nboxes++];
				b->id = strdup(list[i].id ? list[i].id : "");
				b->name = strdup(list[i].name ? list[i].name : "");
				b->state = strdup(list[i].state ? list[i].state : "");
				if (!b->id || !b->name || !b->state)
					fail_probe(p, "out of memory");
			}
		}
	}
	request_ended(r);
}

static void scan_free(scan_t *sc)
{
	for (size_t i = 0; i < sc->nreqs; i++)
		free(sc->reqs[i]);
	free(sc->reqs);
	for (size_t i = 0; i < sc->nprobes; i++) {
		probe_t *p = &sc->probes[i];
		if (p->engine)
			engine_free(p->engine);
		for (size_t k = 0; k < p->nboxes; k++) {
			free(p->boxes[k].id);
			free(p->boxes[k].name);
			free(p->boxes[k].state);
		}
		free(p->boxes);
		free(p->orphan);
		free(p->error);
		host_free(&p->host);
	}
	free(sc->probes);
	if (sc->loop)
		engine_loop_free(sc->loop);
}

/* Runs the loop until every request has ended; a request that never ends
 * is reported against the hosts still waiting. */
static void scan_wait(scan_t *sc)
{
	if (sc->pending > 0 && engine_loop_until(sc->loop, &sc->done, ENGINE_WAIT_MS) < 0)
		for (size_t i = 0; i < sc->nprobes; i++)
			if (sc->probes[i].pending > 0)
				fail_probe(&sc->probes[i], "no answer in time");
}

/* Lists this store's containers on every enabled host. */
static int scan_hosts(cli_ctx_t *ctx, scan_t *sc, char **err)
{
	host_t *hosts = NULL;
	size_t n = 0;
	if (store_host_list(ctx->store, &hosts, &n, err) < 0)
		return -1;
	sc->loop = engine_loop_new();
	sc->probes = calloc(n ? n : 1, sizeof(*sc->probes));
	if (!sc->loop || !sc->probes) {
		store_host_list_free(hosts, n);
		return err_set(err, "out of memory");
	}
	for (size_t i = 0; i < n; i++) {
		if (!hosts[i].enabled)
			continue;
		probe_t *p = &sc->probes[sc->nprobes++];
		p->host = hosts[i];
		host_init(&hosts[i]); /* ownership moved */
		engine_config_t cfg = {
			.url = p->host.url,
			.tls_ca = p->host.tls_ca,
			.tls_cert = p->host.tls_cert,
			.tls_key = p->host.tls_key,
			.tls_verify = p->host.tls_verify,
		};
		char *eerr = NULL;
		if (engine_new(sc->loop, &cfg, &p->engine, &eerr) < 0) {
			fail_probe(p, err_str(eerr));
			free(eerr);
			continue;
		}
		req_t *r = request_new(sc, p, 0);
		if (!r) {
			fail_probe(p, "out of memory");
			continue;
		}
		engine_list(p->engine, "cjobs.store", store_id(ctx->store), on_list, r);
	}
	store_host_list_free(hosts, n);
	scan_wait(sc);
	return 0;
}

static bool names_container(const job_t *j, const box_t *b)
{
	if (j->container_name && strcmp(j->container_name, b->name) == 0)
		return true;
	if (j->container_id && *j->container_id && *b->id) {
		size_t a = strlen(j->container_id), c = strlen(b->id);
		size_t k = a < c ? a : c;
		if (k >= 12 && strncmp(j->container_id, b->id, k) == 0)
			return true;
	}
	return false;
}

/* Marks the containers that no launching or running job names. Reads the
 * live jobs after the engines were listed: a worker records a container's
 * name before it creates it, so a listed container of a live job is always
 * named in the store by then. */
static int mark_orphans(cli_ctx_t *ctx, scan_t *sc, size_t *total, char **err)
{
	job_filter_t f = {.status_mask = (1 << JOB_LAUNCHING) | (1 << JOB_RUNNING)};
	job_t *live = NULL;
	size_t nlive = 0;
	if (store_job_list(ctx->store, &f, &live, &nlive, err) < 0)
		return -1;
	*total = 0;
	for (size_t i = 0; i < sc->nprobes; i++) {
		probe_t *p = &sc->probes[i];
		p->norphans = 0;
		for (size_t k = 0; k < p->nboxes; k++) {
			bool used = false;
			for (size_t j = 0; j < nlive && !used; j++)
				used = names_container(&live[j], &p->boxes[k]);
			p->orphan[k] = !used;
			p->norphans += !used;
		}
		*total += p->norphans;
	}
	store_job_list_free(live, nlive);
	return 0;
}

static void on_removed(void *ud, const engine_status_t *st)
{
	req_t *r = ud;
	if (st->ok) {
		r->p->removed++;
	} else {
		fprintf(stderr, "cjobs: warning: host '%s' (%s): cannot remove container %s: %s\n",
			r->p->host.name, r->p->host.url, r->p->boxes[r->box].name,
			err_str(st->error));
		r->p->failed = true;
	}
	request_ended(r);
}

static size_t remove_orphans(scan_t *sc)
{
	sc->done = false;
	sc->pending = 0;
	for (size_t i = 0; i < sc->nprobes; i++) {
		probe_t *p = &sc->probes[i];
		for (size_t k = 0; k < p->nboxes; k++) {
			if (!p->orphan[k])
				continue;
			req_t *r = request_new(sc, p, k);
			if (!r) {
				p->failed = true;
				continue;
			}
			engine_remove(p->engine, p->boxes[k].id, on_removed, r);
		}
	}
	scan_wait(sc);
	size_t removed = 0;
	for (size_t i = 0; i < sc->nprobes; i++)
		removed += sc->probes[i].removed;
	return removed;
}

static void print_ids(const int64_t *ids, size_t n)
{
	int col = 0;
	for (size_t i = 0; i < n; i++) {
		char buf[24];
		int len = snprintf(buf, sizeof(buf), "%lld", (long long)ids[i]);
		if (col == 0) {
			fputs("  ", stdout);
			col = 2;
		} else if (col + 1 + len > 78) {
			fputs("\n  ", stdout);
			col = 2;
		} else {
			fputc(' ', stdout);
			col++;
		}
		fputs(buf, stdout);
		col += len;
	}
	if (n)
		fputc('\n', stdout);
}

static void print_containers(const scan_t *sc)
{
	for (size_t i = 0; i < sc->nprobes; i++) {
		const probe_t *p = &sc->probes[i];
		for (size_t k = 0; k < p->nboxes; k++)
			if (p->orphan[k])
				printf("  %s  %s  %.12s  %s\n", p->host.name, p->boxes[k].name,
				       p->boxes[k].id, p->boxes[k].state);
	}
}

/* Each batch holds the store's write lock while it runs, and a writer
 * beside it (a worker, a job submit) waits that long: batches are sized to
 * take about BATCH_AIM_MS. The first ones start small, because they find
 * nothing in the page cache yet. */
#define BATCH_FIRST 100
#define BATCH_MIN 10
#define BATCH_AIM_MS 25
#define BATCH_PAUSE_MS 3

static int delete_jobs(cli_ctx_t *ctx, const int64_t *ids, size_t n, int64_t before,
		       store_cleanup_counts_t *c, char **err)
{
	progress_t p;
	progress_start(&p, "removing jobs", (int64_t)n, STORE_CLEANUP_BATCH + 1);
	int rc = 0;
	size_t done = 0, size = BATCH_FIRST;
	while (done < n && rc == 0) {
		size_t k = n - done < size ? n - done : size;
		int64_t t0 = mono_ms();
		rc = store_cleanup_delete(ctx->store, ids + done, k, before, c, err);
		int64_t took = mono_ms() - t0;
		if (rc == 0)
			done += k;
		progress_update(&p, (int64_t)done);
		if (took > 2 * BATCH_AIM_MS)
			size = size / 2 > BATCH_MIN ? size / 2 : BATCH_MIN;
		else if (took < BATCH_AIM_MS / 2)
			size = size * 2 < STORE_CLEANUP_BATCH ? size * 2 : STORE_CLEANUP_BATCH;
		/* SQLite hands its write lock to no one in particular: a writer
		 * waiting beside (it looks every millisecond) could miss the gap
		 * between two batches again and again, 180 ms in a row when
		 * measured. A pause lets it in. */
		if (rc == 0 && done < n)
			nanosleep(&(struct timespec){0, BATCH_PAUSE_MS * 1000000L}, NULL);
	}
	progress_end(&p, (int64_t)done);
	return rc;
}

/* Drops from ids[0..*n) (ascending) those in drop[0..nd) (ascending): a
 * job beyond its schedule's --keep is counted once, under --keep. */
static void without(int64_t *ids, size_t *n, const int64_t *drop, size_t nd)
{
	size_t k = 0, d = 0;
	for (size_t i = 0; i < *n; i++) {
		while (d < nd && drop[d] < ids[i])
			d++;
		if (d < nd && drop[d] == ids[i])
			continue;
		ids[k++] = ids[i];
	}
	*n = k;
}

static int run(cli_ctx_t *ctx, cli_args_t *a)
{
	char *err = NULL;
	int64_t *kept_ids = NULL;
	size_t nkept = 0;
	int64_t days = cli_num(a, "days");
	int64_t now = now_ms();
	int64_t before = now - days * DAY_MS;
	bool dry = cli_flag(a, "dry-run");
	int64_t *ids = NULL, bytes = 0;
	size_t nids = 0, nboxes = 0;
	scan_t sc = {0};
	int rc = EXIT_ERROR;
	char when[40], b1[40];

	if (store_schedule_keep_list(ctx->store, &kept_ids, &nkept, &err) < 0 ||
	    store_cleanup_list(ctx->store, before, &ids, &nids, &bytes, &err) < 0 ||
	    scan_hosts(ctx, &sc, &err) < 0 || mark_orphans(ctx, &sc, &nboxes, &err) < 0) {
		cli_error(ctx, "%s", err_str(err));
		goto out;
	}
	without(ids, &nids, kept_ids, nkept);
	bool engine_trouble = false;
	for (size_t i = 0; i < sc.nprobes; i++) {
		probe_t *p = &sc.probes[i];
		if (p->failed) {
			engine_trouble = true;
			fprintf(stderr, "cjobs: warning: host '%s' (%s) cannot be reached: %s; its "
					"containers were not checked\n",
				p->host.name, p->host.url, err_str(p->error));
		}
	}
	format_time(before, when, sizeof(when));
	/* Off a terminal, refuse even when there is nothing to remove: a script
	 * that lacks --force fails on its first run, not on the first run that
	 * finds something. */
	if (!dry && !cli_flag(a, "force") && !isatty(STDIN_FILENO)) {
		cli_error(ctx, "standard input is not a terminal, so cleanup cannot ask for "
			       "confirmation; add --force to remove %zu jobs and %zu containers "
			       "without asking (or --dry-run to see them); nothing was changed",
			  nids, nboxes);
		goto out;
	}
	if (nids == 0 && nboxes == 0 && nkept == 0) {
		printf("nothing to clean up: no finished job older than %lld days (finished before "
		       "%s) and no leftover container\n",
		       (long long)days, when);
		rc = engine_trouble ? EXIT_ENGINE : EXIT_OK;
		goto out;
	}
	if (dry || ctx->verbosity >= LOG_DETAIL) {
		if (nkept) {
			printf("Jobs beyond their schedule's --keep: %zu\n", nkept);
			print_ids(kept_ids, nkept);
		}
		printf("Jobs to remove: %zu finished before %s (older than %lld days), with %s "
		       "(%lld bytes) of stored output:\n",
		       nids, when, (long long)days, render_bytes(bytes, b1, sizeof(b1)),
		       (long long)bytes);
		print_ids(ids, nids);
		printf("Containers to remove: %zu\n", nboxes);
		print_containers(&sc);
	}
	if (dry) {
		printf("Dry run: nothing was changed. Run again without --dry-run to remove these.\n");
		rc = engine_trouble ? EXIT_ENGINE : EXIT_OK;
		goto out;
	}
	if (!cli_flag(a, "force")) {
		char question[256];
		snprintf(question, sizeof(question),
			 "Remove %zu finished jobs older than %lld days (%s of output) and %zu "
			 "leftover containers? This cannot be undone.",
			 nids, (long long)days, render_bytes(bytes, b1, sizeof(b1)), nboxes);
		confirm_t answer = confirm(question);
		if (answer == CONFIRM_NOT_A_TTY) {
			cli_error(ctx, "standard input is not a terminal, so cleanup cannot ask for "
				       "confirmation; add --force to remove %zu jobs and %zu containers "
				       "without asking (or --dry-run to see them); nothing was changed",
				  nids, nboxes);
			goto out;
		}
		if (answer != CONFIRM_YES) {
			fprintf(stderr, "cjobs: cleanup cancelled; nothing was changed\n");
			goto out;
		}
	}
	store_cleanup_counts_t c = {0};
	/* --keep first, whatever their age. */
	int drc = nkept ? delete_jobs(ctx, kept_ids, nkept, INT64_MAX, &c, &err) : 0;
	if (nkept)
		printf("removed %lld finished jobs beyond their schedule's --keep\n",
		       (long long)c.jobs);
	if (drc == 0)
		drc = delete_jobs(ctx, ids, nids, before, &c, &err);
	printf("removed %lld jobs with %lld history records and %lld output records; %s (%lld "
	       "bytes) of stored output reclaimed\n",
	       (long long)c.jobs, (long long)c.history, (long long)c.outputs,
	       render_bytes(c.bytes, b1, sizeof(b1)), (long long)c.bytes);
	if (drc < 0) {
		cli_error(ctx, "%s; the jobs removed so far stay removed: run the cleanup again",
			  err_str(err));
		goto out;
	}
	if (nboxes > 0) {
		/* Read the live jobs again: time passed while the person answered. */
		if (mark_orphans(ctx, &sc, &nboxes, &err) < 0) {
			cli_error(ctx, "%s", err_str(err));
			goto out;
		}
		size_t removed = remove_orphans(&sc);
		printf("removed %zu leftover containers\n", removed);
		for (size_t i = 0; i < sc.nprobes; i++)
			engine_trouble |= sc.probes[i].failed;
	}
	rc = engine_trouble ? EXIT_ENGINE : EXIT_OK;
out:
	free(err);
	free(ids);
	free(kept_ids);
	scan_free(&sc);
	return rc;
}

static const cli_option_t options[] = {
	{.name = "days", .type = OPT_INT, .metavar = "N", .def = "30", .min = 0, .max = 36500,
	 .help = "Remove jobs that finished more than N days ago (age is measured from the "
		 "job's finish time; a job cancelled before it ran counts from its creation). "
		 "0 removes every finished job, however recent."},
	MANAGE_OPT_DRY_RUN("what would be deleted (the ids and number of the jobs, the bytes of "
			   "their stored output, and the leftover containers)"),
	MANAGE_OPT_FORCE(""),
	{0},
};

const cli_command_t manage_cleanup = {
	.name = "cleanup",
	.summary = "remove old finished jobs, their history and logs, and leftover containers",
	.usage = "[--days N] [--dry-run] [--force]",
	.max_args = 0,
	.needs_store = true,
	.description =
		"Remove old completed jobs and associated data.\n\n"
		"Removes from the job store every job that ended (completed, failed, timeout or "
		"cancelled) more than --days days ago, with its history and its stored stdout and "
		"stderr, and reports the records removed and the bytes reclaimed. It also removes, "
		"from every enabled executor host, the containers labelled as this store's "
		"(cjobs.store) that belong to no launching or running job: leftovers of a worker "
		"that died. Jobs that are queued, launching or running are never touched.",
	.options = options,
	.examples = (const cli_example_t[]){
		{"cjobs manage-jobs cleanup --days 7 --dry-run",
		 "List the jobs older than 7 days and the leftover containers that a cleanup "
		 "would remove; change nothing", 0},
		{"cjobs manage-jobs cleanup --days 7 --force",
		 "Clean up jobs older than 7 days without asking (for cron and scripts)", 0},
		{"cjobs manage-jobs cleanup",
		 "Clean up jobs older than 30 days, asking for confirmation first; from a script "
		 "(standard input not a terminal) it refuses, even when there is nothing to "
		 "remove, and changes nothing", 1},
		{"cjobs manage-jobs cleanup --days 0 --dry-run --verbosity 2",
		 "Show every finished job, however recent, that --days 0 would remove", 0},
		{NULL, NULL, 0},
	},
	.sections = (const cli_section_t[]){
		{"How It Works",
		 " 1. Find the finished jobs (completed, failed, timeout, cancelled) whose finish\n"
		 "    time is more than --days days ago, and the bytes of output they hold.\n"
		 " 2. Ask each enabled host's engine for the containers labelled with this\n"
		 "    store's id (cjobs.store); a host that cannot be reached is warned about\n"
		 "    and skipped.\n"
		 " 3. Read the launching and running jobs from the store; a container that none\n"
		 "    of them names (by container name or id) is a leftover.\n"
		 " 4. With --dry-run: list all of this and stop. Without --force: ask for\n"
		 "    confirmation on the terminal, or refuse when there is none.\n"
		 " 5. Delete the jobs in batches, each in its own short transaction that\n"
		 "    re-checks status and age; history and output go with their job. A batch\n"
		 "    holds from 10 to 1000 jobs, sized to take about 25 ms (the first hold 100).\n"
		 " 6. Remove the leftover containers (forced, with their anonymous volumes),\n"
		 "    after checking the running jobs once more.\n"
		 " 7. Report the jobs, history and output records removed, the bytes of output\n"
		 "    reclaimed, and the containers removed."},
		{"Important Notes",
		 "Production safety: run it with --dry-run first and read the list. It is safe to "
		 "run while workers run: each batch holds the store's write lock for about 25 ms, "
		 "so a worker is never blocked for long, and live jobs and their containers are "
		 "never touched. Progress is shown on standard error for runs of more than one "
		 "batch, when standard error is a terminal.\n\n"
		 "Resource use: little memory (8 bytes per job to remove) and CPU; one request per "
		 "enabled host to list containers, and one per leftover container. Expected run "
		 "time: about a second per 30,000 jobs (more with large outputs), plus up to 10 s "
		 "for each host that cannot be reached.\n\n"
		 "Space: SQLite keeps the freed pages in the file and reuses them for new jobs; "
		 "the file shrinks only with 'cjobs db vacuum'. Disabled hosts are not searched "
		 "for leftovers: enable the host or remove its containers yourself."},
		{"Backup and Recovery",
		 "Removal cannot be undone: there is no rollback once a batch is committed. Before "
		 "a large cleanup, back up the store with 'cjobs db backup FILE' (safe while "
		 "workers run), and look at --dry-run. To recover, either read the old jobs from "
		 "the copy ('cjobs --database FILE job show ID', 'job logs ID'), or stop the "
		 "workers and put the copy in place of the store; jobs processed since the backup "
		 "are then lost, so prefer reading from the copy. "
		 "An interrupted or failed cleanup leaves whole batches removed or not: "
		 "run it again to finish. For example, when another process holds the store's "
		 "write lock for more than 5 s, it stops with 'cjobs: error: cannot start a "
		 "transaction: the job store is busy (another process held it for more than 5 s); "
		 "the jobs removed so far stay removed: run the cleanup again' (exit code 1).\n\n"
		 "At the confirmation prompt, any answer but y or yes stops it with 'cjobs: "
		 "cleanup cancelled; nothing was changed' (exit code 1)."},
		{NULL, NULL},
	},
	.warning = "Destructive: finished jobs, their history and their output are deleted for "
		   "good, and leftover containers are removed with force (a container running "
		   "outside cjobs but carrying this store's labels would be killed). Use "
		   "--dry-run first, and back up the store before a large cleanup.",
	.errors = (const cli_error_doc_t[]){
		{"cjobs: error: standard input is not a terminal, so cleanup cannot ask for "
		 "confirmation; add --force ...",
		 "cleanup was run from a script, cron, CI or a pipe without --force (it refuses "
		 "there even when nothing is old enough, so a script that lacks --force fails on "
		 "its first run)",
		 "add --force once the --dry-run list is what you expect; nothing was changed; "
		 "exit code 1",
		 "cjobs manage-jobs cleanup --days 7"},
		{"cjobs: warning: host 'down' (unix:///tmp/cjobs-down.sock) cannot be reached: ...",
		 "that host's engine is down, its socket is not reachable by this user, or TLS "
		 "failed; the message ends with 'its containers were not checked'",
		 "the store is still cleaned; start the engine (check it with 'cjobs manage-jobs "
		 "health-check --host NAME') or disable the host, and run the cleanup again for "
		 "its containers; exit code 2",
		 "cjobs manage-jobs cleanup --days 7 --dry-run"},
		{"cjobs: error: option --days: '-1' is not a whole number from 0 to 36500",
		 "--days is negative, not a number, or more than 100 years",
		 "give a whole number of days from 0 to 36500",
		 "cjobs manage-jobs cleanup --days -1 --dry-run"},
		{NULL, NULL, NULL, NULL},
	},
	.exit_codes = (const cli_exit_doc_t[]){
		{0, "Success: everything found was removed (or, with --dry-run, listed), or there "
		    "was nothing to remove."},
		{1, "Nothing removed for want of confirmation (no terminal without --force, or the "
		    "answer was no), invalid option, or job store error."},
		{2, "The store was cleaned, but an executor host could not be reached or a "
		    "container could not be removed (a warning names it)."},
		{0, NULL},
	},
	.run = run,
};
