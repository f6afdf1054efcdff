/*
 * cli/cmd_db.c: `cjobs db`: the job store's schema and its maintenance:
 * migrate, status, check, vacuum and backup.
 *
 * Every query is in the store (store.h, store/maint.h): this file holds no
 * SQL. It must never change a job: check only reads, vacuum and backup
 * only rewrite or copy pages.
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/command.h"
#include "cli/context.h"
#include "cli/render.h"
#include "store/dburl.h"
#include "store/maint.h"
#include "util/err.h"
#include "util/progress.h"

static const char *const show_formats[] = {"text", "json", NULL};

/* Opens an existing store (applying pending migrations, as every command
 * does); a missing file is an error rather than a new empty store. */
static int open_existing(cli_ctx_t *ctx)
{
	char *err = NULL;
	if (dburl_kind(ctx->database) == DBURL_SQLITE && access(ctx->database, F_OK) != 0) {
		cli_error(ctx, "no job store at %s (any other command creates it there; is "
			       "--database or $CJOBS_DATABASE what you meant?)",
			  ctx->database);
		return -1;
	}
	if (ctx_open_store(ctx, &err) < 0) {
		cli_error(ctx, "%s", err_str(err));
		free(err);
		return -1;
	}
	return 0;
}

#define NO_STORE_ERROR(sub) {\
	"cjobs: error: no job store at missing.db (any other command creates it there; is "\
	"--database or $CJOBS_DATABASE what you meant?)",\
	"the file named by --database, $CJOBS_DATABASE, [store] path or the default "\
	"(~/.local/share/cjobs/cjobs.db) does not exist",\
	"name the store you mean with --database FILE; the message names the path in use",\
	"cjobs --database missing.db db " sub}
/* backup needs its FILE argument before it looks for the store. */
#define NO_STORE_ERROR_BACKUP {\
	"cjobs: error: no job store at missing.db (any other command creates it there; is "\
	"--database or $CJOBS_DATABASE what you meant?)",\
	"the file named by --database, $CJOBS_DATABASE, [store] path or the default "\
	"(~/.local/share/cjobs/cjobs.db) does not exist",\
	"name the store you mean with --database FILE; the message names the path in use",\
	"cjobs --database missing.db db backup copy.db"}

#define BUSY_ERROR {\
	"cjobs: error: ...: the job store is busy (another process held it for more than 5 s)",\
	"a worker or another command held the write lock for longer than the busy timeout",\
	"run the command again; for vacuum, stop the workers first (SIGTERM lets them finish)",\
	"cjobs --database busy.db db vacuum"}

static int migrate_run(cli_ctx_t *ctx, cli_args_t *a)
{
	char *err = NULL;
	store_t *s = NULL;
	int rc = EXIT_ERROR;
	int cur = 0, latest = 0, applied = 0;
	char **pending = NULL;
	/* Opened without migrating, so that --dry-run can say what would happen. */
	if (store_open(ctx->database, false, &s, &err) < 0 ||
	    store_schema_version(s, &cur, &latest, &err) < 0 ||
	    store_pending_migrations(s, &pending, &err) < 0)
		goto fail;
	if (cli_flag(a, "dry-run")) {
		printf("store %s: schema version %d of %d\n", ctx->database, cur, latest);
		if (!pending[0])
			printf("nothing to apply\n");
		for (char **p = pending; *p; p++)
			printf("would apply: %s\n", *p);
		rc = EXIT_OK;
		goto out;
	}
	if (store_migrate(s, &applied, &err) < 0)
		goto fail;
	for (int i = 0; i < applied && pending[i]; i++)
		printf("applied: %s\n", pending[i]);
	printf("store %s is at schema version %d\n", ctx->database, latest);
	rc = EXIT_OK;
	goto out;
fail:
	cli_error(ctx, "%s", err_str(err));
out:
	strv_free(pending);
	if (s)
		store_close(s);
	free(err);
	return rc;
}

static const cli_command_t db_migrate = {
	.name = "migrate",
	.summary = "apply pending schema migrations to the job store",
	.usage = "[options]",
	.max_args = 0,
	.description = "Brings the store's schema up to this version of cjobs, one numbered "
		       "migration at a time, each in its own transaction. Every command does "
		       "this on first use; run it by hand after an upgrade to see what changes.",
	.options = (const cli_option_t[]){
		{.name = "dry-run", .type = OPT_FLAG,
		 .help = "List the migrations that would be applied; change nothing."},
		{0},
	},
	.examples = (const cli_example_t[]){
		{"cjobs db migrate --dry-run", "show pending migrations without applying them", 0},
		{"cjobs db migrate", "apply them", 0},
		{NULL, NULL, 0},
	},
	.sections = (const cli_section_t[]){
		{"How It Works",
		 " 1. Opens the store without changing it (creating the file, mode 0600, if it\n"
		 "    does not exist) and reads its schema version from schema_migrations.\n"
		 " 2. Refuses a store whose version is newer than this cjobs knows, and an SQLite\n"
		 "    file that holds tables of something else.\n"
		 " 3. With --dry-run: lists the migrations above that version, then stops.\n"
		 " 4. Otherwise applies each in order, in its own transaction that first takes\n"
		 "    the write lock and reads the version again, so that two processes\n"
		 "    migrating at once apply each migration exactly once; each is recorded in\n"
		 "    schema_migrations with its time.\n"
		 " 5. Prints each migration applied and the version reached."},
		{"Important Notes",
		 "Back up the store before migrating a production installation (cjobs db backup, "
		 "or copy the file while no worker runs). A store written by a newer version is "
		 "refused, never downgraded. A migration that fails is rolled back whole and the "
		 "store stays at the version before it. Adding columns takes milliseconds whatever "
		 "the size of the store; a migration that adds an index reads the whole jobs table "
		 "once."},
		{NULL, NULL},
	},
	.errors = (const cli_error_doc_t[]){
		{"cjobs: error: cannot open job store bad.ini: the file is not an SQLite database "
		 "(or it is encrypted or damaged)",
		 "--database (or $CJOBS_DATABASE, [store] path) names a file that is not a job store",
		 "name the store file; 'cjobs db status' shows the path in use",
		 "cjobs --database bad.ini db migrate"},
		{NULL, NULL, NULL},
	},
	.run = migrate_run,
};

/* ---------------------------------------------------------------- status */

static int status_run(cli_ctx_t *ctx, cli_args_t *a)
{
	if (open_existing(ctx) < 0)
		return EXIT_ERROR;
	char *err = NULL;
	store_stats_t st;
	if (store_stats(ctx->store, &st, &err) < 0) {
		cli_error(ctx, "%s", err_str(err));
		free(err);
		return EXIT_ERROR;
	}
	if (strcmp(cli_str(a, "format"), "json") == 0) {
		json_t *jobs = json_object();
		for (int i = 0; i < JOB_STATUS_COUNT; i++)
			json_object_set_new(jobs, job_status_name((job_status_t)i),
					    json_integer(st.jobs[i]));
		json_object_set_new(jobs, "total", json_integer(st.jobs_total));
		json_t *j = json_pack("{s:s, s:i, s:i, s:I, s:I, s:I, s:I, s:I, s:I, s:o, s:I, "
				      "s:I, s:I, s:I, s:I}",
				      "path", ctx->database, "schema_version", st.schema,
				      "latest_schema_version", st.latest,
				      "file_bytes", (json_int_t)st.file_bytes,
				      "wal_bytes", (json_int_t)st.wal_bytes,
				      "total_bytes", (json_int_t)(st.file_bytes + st.wal_bytes),
				      "page_size", (json_int_t)st.page_size,
				      "page_count", (json_int_t)st.page_count,
				      "free_pages", (json_int_t)st.freelist_count,
				      "jobs", jobs,
				      "history_rows", (json_int_t)st.history_rows,
				      "output_rows", (json_int_t)st.output_rows,
				      "output_bytes", (json_int_t)st.output_bytes,
				      "hosts", (json_int_t)st.hosts,
				      "templates", (json_int_t)st.templates);
		int rc = j && render_print_json(stdout, j) == 0 ? EXIT_OK : EXIT_ERROR;
		json_decref(j);
		if (rc != EXIT_OK)
			cli_error(ctx, "out of memory");
		return rc;
	}
	char b1[32], b2[32], b3[32], b4[32];
	printf("store:           %s\n", ctx->database);
	printf("schema version:  %d (this cjobs knows %d)\n", st.schema, st.latest);
	printf("size:            %s (file %s, wal %s)\n",
	       render_bytes(st.file_bytes + st.wal_bytes, b1, sizeof(b1)),
	       render_bytes(st.file_bytes, b2, sizeof(b2)), render_bytes(st.wal_bytes, b3, sizeof(b3)));
	printf("pages:           %lld of %lld bytes, %lld free (%s that vacuum could return)\n",
	       (long long)st.page_count, (long long)st.page_size, (long long)st.freelist_count,
	       render_bytes(st.freelist_count * st.page_size, b4, sizeof(b4)));
	printf("jobs:            %lld\n", (long long)st.jobs_total);
	for (int i = 0; i < JOB_STATUS_COUNT; i++)
		printf("  %-14s %lld\n", job_status_name((job_status_t)i), (long long)st.jobs[i]);
	printf("history rows:    %lld\n", (long long)st.history_rows);
	printf("output rows:     %lld (%s of captured output)\n", (long long)st.output_rows,
	       render_bytes(st.output_bytes, b1, sizeof(b1)));
	printf("hosts:           %lld\n", (long long)st.hosts);
	printf("templates:       %lld\n", (long long)st.templates);
	return EXIT_OK;
}

static const cli_command_t db_status = {
	.name = "status",
	.summary = "show the store's schema version, size and row counts",
	.usage = "[options]",
	.max_args = 0,
	.description =
		"Prints where the job store is, its schema version, its size on disk (the "
		"database file and its -wal file), its pages and free pages, the number of jobs "
		"in each status, and the rows of job history and captured output (with the bytes "
		"of output kept). It only reads: it is safe while workers run.",
	.options = (const cli_option_t[]){
		{.name = "format", .type = OPT_CHOICE, .metavar = "FORMAT", .def = "text",
		 .choices = show_formats,
		 .help = "text for people; json (one object: path, schema_version, file_bytes, "
			 "wal_bytes, total_bytes, page_size, page_count, free_pages, jobs per "
			 "status with total, history_rows, output_rows, output_bytes, hosts, "
			 "templates) for scripts and monitoring."},
		{0},
	},
	.examples = (const cli_example_t[]){
		{"cjobs db status", "show the store in use, its size and its jobs by status", 0},
		{"cjobs db status --format json", "the same as one JSON object, for monitoring", 0},
		{"cjobs db status && cjobs db check",
		 "show the store, then check its integrity and consistency", 0},
		{NULL, NULL, 0},
	},
	.sections = (const cli_section_t[]){
		{"Important Notes",
		 "Read-only, and quick: it counts rows with SQLite's own counters (a store with "
		 "millions of jobs takes about a second). It needs read permission on the store "
		 "file and its directory (for the -wal file). A store of an older schema is "
		 "migrated first, as by every command."},
		{NULL, NULL},
	},
	.errors = (const cli_error_doc_t[]){NO_STORE_ERROR("status"), {NULL, NULL, NULL}},
	.exit_codes = (const cli_exit_doc_t[]){
		{0, "The status was printed."},
		{1, "No store at that path, or it could not be read (the message says why)."},
		{0, NULL},
	},
	.run = status_run,
};

/* ----------------------------------------------------------------- check */

static int check_run(cli_ctx_t *ctx, cli_args_t *a)
{
	(void)a;
	if (open_existing(ctx) < 0)
		return EXIT_ERROR;
	char *err = NULL;
	store_problem_t *p = NULL;
	size_t n = 0;
	if (store_check(ctx->store, &p, &n, &err) < 0) {
		cli_error(ctx, "%s", err_str(err));
		free(err);
		return EXIT_ERROR;
	}
	for (size_t i = 0; i < n; i++)
		printf("%s\n", p[i].message);
	if (n)
		printf("store %s: %zu problem%s found\n", ctx->database, n, n == 1 ? "" : "s");
	else
		printf("store %s: ok (integrity check and job consistency)\n", ctx->database);
	store_problems_free(p, n);
	return n ? EXIT_ERROR : EXIT_OK;
}

static const cli_command_t db_check = {
	.name = "check",
	.summary = "check the store's integrity and the consistency of its jobs",
	.usage = "[options]",
	.max_args = 0,
	.description =
		"Runs SQLite's integrity check (every page, index and constraint), then checks "
		"that every job's record agrees with itself: a finished job (completed, failed, "
		"timeout, cancelled) has a finish time and holds no worker lease; a running job "
		"has a start time; no job finished before it started; a launching or running job "
		"is held by a worker and has been attempted; a completed job exited 0; the "
		"latest history row of each job names its status. Then it looks for history "
		"and output rows whose job is gone, and compares the job counts per host and "
		"status that 'manage-jobs status' shows with the jobs themselves. Each problem "
		"is printed on its own line, starting with the job id it is about. Nothing is "
		"changed.",
	.examples = (const cli_example_t[]){
		{"cjobs db check", "check the store; prints ok, or one line per problem", 0},
		{"cjobs db check && cjobs db backup checked.db",
		 "back up only a store that checks clean", 0},
		{NULL, NULL, 0},
	},
	.sections = (const cli_section_t[]){
		{"How It Works",
		 " 1. Opens the store (applying pending migrations, as every command does).\n"
		 " 2. In one read transaction, so that a running worker does not disturb it:\n"
		 "    PRAGMA integrity_check, the job checks, the orphan checks, and the job\n"
		 "    counts.\n"
		 " 3. Prints each problem, then a summary line."},
		{"Important Notes",
		 "Read-only and safe while workers run. The integrity check reads the whole file: "
		 "it takes about a second per few hundred megabytes and uses little memory. "
		 "What to do about a problem: an integrity failure means the file is damaged "
		 "(restore a backup); a job whose record contradicts itself was most likely "
		 "edited by hand or left by a crashed older version; 'cjobs job show ID' shows "
		 "its history. Wrong job counts (from an edit by hand) change no job, only what "
		 "'manage-jobs status' shows: 'cjobs db vacuum' counts them again. A job that is "
		 "launching or running with a lease from a worker that died is not a problem: the "
		 "next worker recovers it when the lease ends."},
		{NULL, NULL},
	},
	.errors = (const cli_error_doc_t[]){
		NO_STORE_ERROR("check"),
		{"job 1: is completed but has no finish time (finished_at is 0)",
		 "(a problem line, not an error) the job's record contradicts its status; other "
		 "lines of this form name other contradictions",
		 "look at the job with 'cjobs job show N'; remove it with 'cjobs manage-jobs "
		 "cleanup' when it is finished, or restore a backup",
		 "cjobs --database broken.db db check"},
		{NULL, NULL, NULL},
	},
	.exit_codes = (const cli_exit_doc_t[]){
		{0, "No problem found."},
		{1, "Problems were found (each is printed), or the store could not be read."},
		{0, NULL},
	},
	.run = check_run,
};

/* ---------------------------------------------------------------- vacuum */

static int vacuum_run(cli_ctx_t *ctx, cli_args_t *a)
{
	if (open_existing(ctx) < 0)
		return EXIT_ERROR;
	char *err = NULL;
	store_stats_t st;
	if (store_stats(ctx->store, &st, &err) < 0) {
		cli_error(ctx, "%s", err_str(err));
		free(err);
		return EXIT_ERROR;
	}
	int64_t active = st.jobs[JOB_LAUNCHING] + st.jobs[JOB_RUNNING];
	bool dry = cli_flag(a, "dry-run"), force = cli_flag(a, "force");
	char b1[32], b2[32];
	render_bytes(st.file_bytes + st.wal_bytes, b1, sizeof(b1));
	render_bytes(st.freelist_count * st.page_size, b2, sizeof(b2));
	if (dry) {
		printf("store %s: %s now, %s in free pages\n", ctx->database, b1, b2);
		if (active && !force)
			printf("would refuse: %lld jobs are launching or running (give --force to "
			       "vacuum anyway)\n",
			       (long long)active);
		else
			printf("would vacuum: rewrite the file without its free pages, then empty "
			       "the -wal file\n");
		return EXIT_OK;
	}
	if (active && !force) {
		cli_error(ctx, "%lld jobs are launching or running; vacuum locks the store while it "
			       "runs, so their workers would wait (stop the workers, or give --force)",
			  (long long)active);
		return EXIT_ERROR;
	}
	int64_t before = 0, after = 0;
	if (store_vacuum(ctx->store, &before, &after, &err) < 0) {
		cli_error(ctx, "%s", err_str(err));
		free(err);
		return EXIT_ERROR;
	}
	char b3[32];
	printf("vacuumed %s: %s before, %s after (%s returned)\n", ctx->database,
	       render_bytes(before, b1, sizeof(b1)), render_bytes(after, b2, sizeof(b2)),
	       render_bytes(before > after ? before - after : 0, b3, sizeof(b3)));
	return EXIT_OK;
}

static const cli_command_t db_vacuum = {
	.name = "vacuum",
	.summary = "rewrite the store file to return free space to the disk",
	.usage = "[options]",
	.max_args = 0,
	.description =
		"Removing jobs (manage-jobs cleanup) frees pages inside the store file but does "
		"not shrink it. VACUUM rewrites the file without the free pages, then a WAL "
		"checkpoint empties the -wal file. It prints the size (file plus -wal) before "
		"and after. It also counts the jobs per host and status again (what "
		"'manage-jobs status' shows), which mends counts 'cjobs db check' reports wrong. "
		"Refused while jobs are launching or running, unless --force.",
	.options = (const cli_option_t[]){
		{.name = "dry-run", .type = OPT_FLAG,
		 .help = "Print the size now, the free space, and whether it would vacuum or "
			 "refuse; change nothing."},
		{.name = "force", .type = OPT_FLAG,
		 .help = "Vacuum even while jobs are launching or running: their workers wait "
			 "for the store (up to 5 s per write; a longer vacuum makes their writes "
			 "fail and be retried)."},
		{0},
	},
	.examples = (const cli_example_t[]){
		{"cjobs db vacuum --dry-run", "show how much space a vacuum could return", 0},
		{"cjobs db vacuum", "vacuum now (no job is running in the example sandbox)", 0},
		{"cjobs db vacuum --force",
		 "vacuum even if jobs are running (their workers wait meanwhile)", 0},
		{NULL, NULL, 0},
	},
	.sections = (const cli_section_t[]){
		{"How It Works",
		 " 1. Counts the jobs launching or running; refuses if any, unless --force.\n"
		 " 2. Counts the jobs per host and status again, in one transaction.\n"
		 " 3. VACUUM: copies every live page into a new file and replaces the old one\n"
		 "    (the store's write lock is held throughout; readers continue).\n"
		 " 4. PRAGMA wal_checkpoint(TRUNCATE): moves the pages into the file and empties\n"
		 "    the -wal file.\n"
		 " 5. Prints the size before and after."},
		{"Important Notes",
		 "Run it in a quiet period: it takes about a second per 100 MB of store, during "
		 "which no worker can record anything. It needs free disk space of up to twice "
		 "the store's size (the copy and the -wal file), and write permission on the "
		 "store and its directory. Back up first (cjobs db backup) on production "
		 "systems. Nothing is removed: only free pages are given back."},
		{NULL, NULL},
	},
	.warning = "Vacuum holds the store's write lock until it ends: workers cannot claim or "
		   "record jobs meanwhile. With --force on a busy store, their writes may fail "
		   "after waiting 5 s and be retried on their next turn.",
	.errors = (const cli_error_doc_t[]){
		NO_STORE_ERROR("vacuum"),
		{"cjobs: error: 2 jobs are launching or running; vacuum locks the store while it "
		 "runs, ...",
		 "workers are running jobs, and would wait for the store",
		 "wait until they finish, stop the workers (SIGTERM), or give --force",
		 "cjobs --database running.db db vacuum"},
		BUSY_ERROR,
		{NULL, NULL, NULL},
	},
	.exit_codes = (const cli_exit_doc_t[]){
		{0, "Vacuumed (or, with --dry-run, reported)."},
		{1, "Refused because jobs are running, no store, or a store error."},
		{0, NULL},
	},
	.run = vacuum_run,
};

/* ---------------------------------------------------------------- backup */

/* Pages copied so far, on a terminal; the total is known only once the
 * copy has begun. */
static void backup_progress(void *ud, int64_t done, int64_t total)
{
	progress_t *p = ud;
	if (p->total != total)
		progress_start(p, "copying pages", total, 1024);
	progress_update(p, done);
}

static int backup_run(cli_ctx_t *ctx, cli_args_t *a)
{
	if (open_existing(ctx) < 0)
		return EXIT_ERROR;
	char *err = NULL;
	int64_t bytes = 0;
	const char *dest = a->pos[0];
	progress_t p = {0};
	int rc = store_backup(ctx->store, dest, cli_flag(a, "force"), &bytes, backup_progress, &p,
			      &err);
	progress_end(&p, p.total);
	if (rc < 0) {
		cli_error(ctx, "%s", err_str(err));
		free(err);
		return EXIT_ERROR;
	}
	char b[32];
	printf("backed up %s to %s (%s, mode 0600)\n", ctx->database, dest,
	       render_bytes(bytes, b, sizeof(b)));
	return EXIT_OK;
}

static const cli_command_t db_backup = {
	.name = "backup",
	.summary = "copy the store to a file, safely, while workers run",
	.usage = "FILE [options]",
	.min_args = 1, .max_args = 1,
	.description =
		"Makes a consistent copy of the job store in FILE with SQLite's online backup "
		"API: the copy is the store as it was at one moment, even while workers write "
		"to it. FILE is created with mode 0600 (the store holds job environments, which "
		"may hold secrets) and is a complete store: use it with --database FILE, or put "
		"it in place of the store to restore (with no worker running). An existing FILE "
		"is refused unless --force. Prints the copy's size.",
	.options = (const cli_option_t[]){
		{.name = "force", .type = OPT_FLAG,
		 .help = "Replace FILE if it exists (it is replaced only once the new copy is "
			 "complete)."},
		{0},
	},
	.examples = (const cli_example_t[]){
		{"cjobs db backup backup.db", "copy the store to backup.db in this directory", 0},
		{"cjobs db backup backup.db --force", "copy it again, replacing the old copy", 0},
		{"cjobs db backup backup.db", "refused: backup.db exists (exits 1 with a message)", 1},
		{"cjobs --database backup.db job list", "list the jobs in the copy", 0},
		{"cjobs --database backup.db db status", "show the copy's size and jobs", 0},
		{NULL, NULL, 0},
	},
	.sections = (const cli_section_t[]){
		{"How It Works",
		 " 1. Refuses an existing FILE unless --force.\n"
		 " 2. Creates a temporary file FILE.tmp-XXXXXX (mode 0600) next to FILE.\n"
		 " 3. Copies the store into it 64 pages at a time, pausing between steps so\n"
		 "    that workers keep writing; a write made meanwhile restarts the copy.\n"
		 " 4. Makes the copy one self-contained file (no -wal), syncs it to disk,\n"
		 "    and moves it to FILE."},
		{"Important Notes",
		 "Safe while workers run: they are slowed by a few milliseconds at most. It reads "
		 "the whole store and writes a file of the same size: check the free space. The "
		 "copy has the store's id, so containers it started are recognised by a worker "
		 "that runs on a restored copy. Keep backups as private as the store: they hold "
		 "job environments. Restore by stopping the workers and copying FILE over the "
		 "store path (remove the old -wal and -shm files with it). A copy of more than "
		 "1024 pages shows its progress on standard error when that is a terminal; in "
		 "scripts only the final line is printed."},
		{NULL, NULL},
	},
	.errors = (const cli_error_doc_t[]){
		NO_STORE_ERROR_BACKUP,
		{"cjobs: error: backup file exists.db already exists; give --force to replace it, or "
		 "choose another name",
		 "the file exists, and a backup is never overwritten by accident",
		 "choose another name, or give --force", "cjobs db backup exists.db"},
		{"cjobs: error: cannot create backup file nodir/copy.db: No such file or directory",
		 "the file's directory does not exist (or is not writable: Permission denied)",
		 "create the directory, or name a file in a writable one",
		 "cjobs db backup nodir/copy.db"},
				{NULL, NULL, NULL},
	},
	.exit_codes = (const cli_exit_doc_t[]){
		{0, "The copy is complete."},
		{1, "FILE exists, cannot be written, no store, or a store error; FILE was not "
		    "changed."},
		{0, NULL},
	},
	.run = backup_run,
};

const cli_command_t cmd_db = {
	.name = "db",
	.group = "Administration",
	.summary = "job store maintenance: migrate, status, check, vacuum, backup",
	.usage = "SUBCOMMAND [options]",
	.description = "Maintains the job store (an SQLite file; see --database): its schema, "
		       "its health and its size, and copies of it. 'status' and 'check' only "
		       "read; 'vacuum' and 'backup' are safe while workers run (vacuum makes "
		       "them wait, so it refuses while jobs run unless --force).",
	.examples = (const cli_example_t[]){
		{"cjobs db status", "the store's path, schema version, size and counts", 0},
		{"cjobs db check", "check the store's integrity and its jobs", 0},
		{"cjobs db migrate --dry-run", "list the schema migrations that would be applied", 0},
		{"cjobs db backup nightly.db", "copy the store to nightly.db", 0},
		{NULL, NULL, 0},
	},
	.sections = (const cli_section_t[]){
		{"Important Notes",
		 "The store holds every job's environment, secrets included. It is created mode "
		 "0600 and so is a backup: keep both readable only by the user that runs cjobs, and "
		 "run these commands as that user.\n\n"
		 "Back up the store before 'db migrate' on a production installation. 'vacuum' "
		 "rewrites the whole file and makes workers wait while it runs. 'check', 'vacuum' "
		 "and 'backup' read the whole file, so their run time grows with its size (about a "
		 "second per few hundred megabytes for check)."},
		{NULL, NULL},
	},
	.errors = (const cli_error_doc_t[]){
		{"cjobs: error: 'cjobs db' needs a subcommand (see the list above)",
		 "'cjobs db' was run without a subcommand; the group's help, with the list of "
		 "subcommands, is printed on standard error before the message",
		 "add one of the subcommands listed, e.g. 'cjobs db status'", "cjobs db"},
		{"cjobs: error: unknown subcommand 'frob' for 'cjobs db'",
		 "the word after 'db' is not one of its subcommands (a typo, or a subcommand of "
		 "another group)",
		 "see 'cjobs help db' for the list of subcommands", "cjobs db frob"},
		{NULL, NULL, NULL},
	},
	.subcommands = (const cli_command_t *const[]){&db_migrate, &db_status, &db_check,
						      &db_vacuum, &db_backup, NULL},
};
