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
#include "ops/render.h"
#include "store/copy.h"
#include "store/dburl.h"
#include "store/maint.h"
#include "util/err.h"
#include "util/log.h"
#include "util/progress.h"
#include "util/timeutil.h"

static const char *const show_formats[] = {"text", "json", NULL};

/* Opens an existing store. A missing SQLite file, and a database or file
 * without cjobs's tables (an empty PostgreSQL database), is an error
 * rather than a new empty store. With migrate, pending migrations are
 * applied, as every command does; without, the store is left as it is. */
static int open_existing(cli_ctx_t *ctx, bool migrate)
{
	char *err = NULL;
	if (dburl_kind(ctx->database) == DBURL_SQLITE && access(ctx->database, F_OK) != 0) {
		cli_error(ctx, "no job store at %s (any other command creates it there; is "
			       "--database or $CJOBS_DATABASE what you meant?)",
			  ctx->database);
		return -1;
	}
	store_t *s = NULL;
	int cur = 0, latest = 0;
	if (store_open(ctx->database, false, &s, &err) < 0 ||
	    store_schema_version(s, &cur, &latest, &err) < 0)
		goto fail;
	if (cur == 0) {
		cli_error(ctx, "no job store in %s: it holds no cjobs tables (any other command "
			       "creates them there; is --database or $CJOBS_DATABASE what you "
			       "meant?)",
			  store_path(s));
		store_close(s);
		return -1;
	}
	if (migrate && cur < latest && store_migrate(s, NULL, &err) < 0) {
		err_prefix(&err, "cannot open job store %s", store_path(s));
		goto fail;
	}
	ctx->store = s;
	return 0;
fail:
	cli_error(ctx, "%s", err_str(err));
	free(err);
	store_close(s);
	return -1;
}

/* The name of the store in use, as people may see it (no password). */
static const char *shown(const cli_ctx_t *ctx)
{
	return store_path(ctx->store);
}

#define NO_STORE_ERROR(sub) {\
	"cjobs: error: no job store at missing.db (any other command creates it there; is "\
	"--database or $CJOBS_DATABASE what you meant?)",\
	"the file named by --database, $CJOBS_DATABASE, [store] path or the default "\
	"(~/.local/share/cjobs/cjobs.db) does not exist",\
	"name the store you mean with --database STORE; the message names the store in use",\
	"cjobs --database missing.db db " sub}
/* backup needs its FILE argument before it looks for the store. */
#define NO_STORE_ERROR_BACKUP {\
	"cjobs: error: no job store at missing.db (any other command creates it there; is "\
	"--database or $CJOBS_DATABASE what you meant?)",\
	"the file named by --database, $CJOBS_DATABASE, [store] path or the default "\
	"(~/.local/share/cjobs/cjobs.db) does not exist",\
	"name the store you mean with --database STORE; the message names the store in use",\
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
		printf("store %s: schema version %d of %d\n", store_path(s), cur, latest);
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
	printf("store %s is at schema version %d\n", store_path(s), latest);
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
		       "this on first use; run it by hand after an upgrade to see what changes. "
		       "Each database has its own numbered list: on PostgreSQL, 0001 is the "
		       "schema SQLite's five migrations arrived at, so the versions of the two "
		       "kinds of store are not compared. On PostgreSQL the database must exist "
		       "(createdb); migrate makes cjobs's tables in it, and is the one db "
		       "command that does so in an empty database.",
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
		 "    does not exist; a PostgreSQL database must exist) and reads its schema\n"
		 "    version from schema_migrations.\n"
		 " 2. Refuses a store whose version is newer than this cjobs knows, and an SQLite\n"
		 "    file or PostgreSQL database that holds tables of something else.\n"
		 " 3. With --dry-run: lists the migrations above that version, then stops.\n"
		 " 4. Otherwise applies each in order, in its own transaction that first takes\n"
		 "    the write lock (on PostgreSQL the writers' advisory lock) and reads the\n"
		 "    version again, so that two processes migrating at once apply each\n"
		 "    migration exactly once; each is recorded in schema_migrations with its\n"
		 "    time.\n"
		 " 5. Prints each migration applied and the version reached."},
		{"Important Notes",
		 "Back up the store before migrating a production installation (cjobs db backup, "
		 "or copy the file while no worker runs; on PostgreSQL, cjobs db backup runs "
		 "pg_dump). A store written by a newer version is "
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
	if (open_existing(ctx, true) < 0)
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
		json_t *j = json_pack("{s:s, s:s, s:i, s:i, s:I, s:I, s:I, s:I, s:I, s:I, s:o, "
				      "s:I, s:I, s:I, s:I, s:I}",
				      "path", shown(ctx), "driver", store_driver_name(ctx->store),
				      "schema_version", st.schema,
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
	printf("store:           %s\n", shown(ctx));
	printf("driver:          %s\n", store_driver_name(ctx->store));
	printf("schema version:  %d (this cjobs knows %d)\n", st.schema, st.latest);
	if (store_is_file(ctx->store)) {
		printf("size:            %s (file %s, wal %s)\n",
		       render_bytes(st.file_bytes + st.wal_bytes, b1, sizeof(b1)),
		       render_bytes(st.file_bytes, b2, sizeof(b2)),
		       render_bytes(st.wal_bytes, b3, sizeof(b3)));
		printf("pages:           %lld of %lld bytes, %lld free (%s that vacuum could "
		       "return)\n",
		       (long long)st.page_count, (long long)st.page_size,
		       (long long)st.freelist_count,
		       render_bytes(st.freelist_count * st.page_size, b4, sizeof(b4)));
	} else {
		/* The server's own files: no WAL of this database alone, and no
		 * free pages that vacuum would give back. */
		printf("size:            %s (the database, as pg_database_size counts it)\n",
		       render_bytes(st.file_bytes, b1, sizeof(b1)));
	}
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
		"Prints where the job store is (a PostgreSQL store's name without its "
		"password) and on which database, its schema version, its size on disk, the "
		"number of jobs in each status, and the rows of job history and captured "
		"output (with the bytes of output kept), hosts and templates. On SQLite the "
		"size is the database file and its -wal file, followed by its pages and free "
		"pages. On PostgreSQL the size is the database's as pg_database_size counts it "
		"(its tables, indexes and the catalogue every database has, some 8 MiB when "
		"empty); the server's write-ahead log is shared by all its databases and not "
		"counted, and the pages line is left out: PostgreSQL reuses the space of "
		"removed rows itself, and no vacuum of ours gives it back. It only reads: it "
		"is safe while workers run.",
	.options = (const cli_option_t[]){
		{.name = "format", .type = OPT_CHOICE, .metavar = "FORMAT", .def = "text",
		 .choices = show_formats,
		 .help = "text for people; json (one object: path, driver, schema_version, "
			 "file_bytes, wal_bytes, total_bytes, page_size, page_count, free_pages, "
			 "jobs per status with total, history_rows, output_rows, output_bytes, "
			 "hosts, templates) for scripts and monitoring. driver is \"SQLite\" or "
			 "\"PostgreSQL\"; on PostgreSQL file_bytes and total_bytes are "
			 "pg_database_size, wal_bytes and free_pages are 0, page_size is the "
			 "server's block size and page_count the size in blocks."},
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
		 "Read-only, and quick: it counts rows with the database's own counters (a store "
		 "with millions of jobs takes about a second). On SQLite it needs read permission "
		 "on the store file and its directory (for the -wal file). A store of an older "
		 "schema is migrated first, as by every command. A name that holds no job store "
		 "(a missing file, or a PostgreSQL database without cjobs's tables) is an error: "
		 "status never creates a store."},
		{NULL, NULL},
	},
	.errors = (const cli_error_doc_t[]){
		NO_STORE_ERROR("status"),
		{"cjobs: error: no job store in exists.db: it holds no cjobs tables (any other "
		 "command creates them there; ...)",
		 "the file, or the PostgreSQL database, exists but holds no job store: an empty "
		 "file, or a database made with createdb that no cjobs command has used yet",
		 "name the store you mean; or let any other command (or 'cjobs db migrate') make "
		 "the store there",
		 "cjobs --database exists.db db status"},
		{"cjobs: error: invalid --database \"postgresql://cjobs@db/jobs?bogus=1\": invalid "
		 "URI query parameter: \"bogus\"; the keywords are libpq's: ...",
		 "a PostgreSQL store's name is malformed (here an unknown keyword; or an "
		 "unencoded @ or / in a password, a missing //, a quote left open); the message "
		 "says what, with the password shown as ***",
		 "write postgresql://USER:PASSWORD@HOST:PORT/DB?KEYWORD=VALUE or a keyword string "
		 "\"host=DIR dbname=DB\"; the message shows the form",
		 "cjobs --database 'postgresql://cjobs@db/jobs?bogus=1' db status"},
		{"cjobs: error: cannot open job store host=/tmp/cjobs-nopg dbname=cjobs: connection "
		 "to server on socket \"/tmp/cjobs-nopg/.s.PGSQL.5432\" failed: No such file or "
		 "directory; no server listens there: ...",
		 "no PostgreSQL server listens at that socket directory (or, for a host name, "
		 "'Connection refused' at that host and port); a server that takes the connection "
		 "and never answers is waited for as long as connect_timeout= says (without it, "
		 "for ever)",
		 "start the server, or correct host= and port=; add connect_timeout=10 to give up "
		 "on a server that does not answer",
		 "cjobs --database 'host=/tmp/cjobs-nopg dbname=cjobs' db status"},
		{"cjobs: error: cannot open job store dbname=nosuch: connection to server ... "
		 "failed: FATAL:  database \"nosuch\" does not exist; create the database "
		 "(createdb NAME, ...",
		 "the server has no database of that name; cjobs makes its tables in a database, "
		 "never the database itself. A wrong password is reported the same way: "
		 "'password authentication failed for user ...; check the password', and a user "
		 "the server does not know: 'role ... does not exist'",
		 "createdb NAME (as a user allowed to), or name a database that exists; check the "
		 "user and password (the URL's USER:PASSWORD@, password=, $PGPASSWORD or "
		 "~/.pgpass)",
		 "cjobs --database dbname=nosuch db status"},
		{"cjobs: error: cannot open job store newer.db: its schema version 99 is newer than "
		 "this cjobs knows (...); use a newer cjobs",
		 "a newer version of cjobs has migrated this store; this one would misread it, so "
		 "it refuses it whole (on either database)",
		 "run the newer cjobs (a store is never downgraded), or restore a backup made "
		 "before the upgrade",
		 "cjobs --database newer.db db status"},
		{NULL, NULL, NULL},
	},
	.exit_codes = (const cli_exit_doc_t[]){
		{0, "The status was printed."},
		{1, "No store there (a missing file, or a database without cjobs's tables), a "
		    "store name that is malformed or cannot be reached, a schema newer than this "
		    "cjobs, or a store that could not be read (the message says why)."},
		{0, NULL},
	},
	.run = status_run,
};

/* ----------------------------------------------------------------- check */

/* Runs 'db check' on s and prints what it found; EXIT_OK when clean. */
static int check_print(cli_ctx_t *ctx, store_t *s)
{
	char *err = NULL;
	store_problem_t *p = NULL;
	size_t n = 0;
	if (store_check(s, &p, &n, &err) < 0) {
		cli_error(ctx, "%s", err_str(err));
		free(err);
		return EXIT_ERROR;
	}
	for (size_t i = 0; i < n; i++)
		printf("%s\n", p[i].message);
	if (n)
		printf("store %s: %zu problem%s found\n", store_path(s), n, n == 1 ? "" : "s");
	else if (store_is_file(s))
		printf("store %s: ok (integrity check and job consistency)\n", store_path(s));
	else
		printf("store %s: ok (job consistency; PostgreSQL checks its own pages)\n",
		       store_path(s));
	store_problems_free(p, n);
	return n ? EXIT_ERROR : EXIT_OK;
}

static int check_run(cli_ctx_t *ctx, cli_args_t *a)
{
	(void)a;
	if (open_existing(ctx, true) < 0)
		return EXIT_ERROR;
	return check_print(ctx, ctx->store);
}

static const cli_command_t db_check = {
	.name = "check",
	.summary = "check the store's integrity and the consistency of its jobs",
	.usage = "[options]",
	.max_args = 0,
	.description =
		"On SQLite it first runs SQLite's integrity check (every page, index and "
		"constraint); on PostgreSQL there is no such step, because the server checks "
		"its own pages as it reads them (and their checksums, when the cluster was made "
		"with them), and the summary line says so. On both it then checks that every "
		"job's record agrees with itself: a finished job (completed, failed, "
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
		 " 2. In one read transaction (on PostgreSQL: REPEATABLE READ, one snapshot),\n"
		 "    so that a running worker does not disturb it: PRAGMA integrity_check\n"
		 "    (SQLite only), the job checks, the orphan checks, and the job counts.\n"
		 " 3. Prints each problem, then a summary line: 'ok (integrity check and job\n"
		 "    consistency)' on SQLite, 'ok (job consistency; PostgreSQL checks its own\n"
		 "    pages)' on PostgreSQL."},
		{"Important Notes",
		 "Read-only and safe while workers run. The integrity check reads the whole file: "
		 "it takes about a second per few hundred megabytes and uses little memory. "
		 "What to do about a problem: an integrity failure means the file is damaged "
		 "(restore a backup); a job whose record contradicts itself was most likely "
		 "edited by hand or left by a crashed older version; 'cjobs job show ID' shows "
		 "its history. Wrong job counts (from an edit by hand) change no job, only what "
		 "'manage-jobs status' shows: 'cjobs db vacuum' counts them again. A job that is "
		 "launching or running with a lease from a worker that died is not a problem: the "
		 "next worker recovers it when the lease ends. On PostgreSQL a damaged page makes "
		 "the check fail with the server's own error instead of a problem line (exit 1); "
		 "the server's tools (pg_amcheck, with the amcheck extension) look deeper."},
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
	if (open_existing(ctx, true) < 0)
		return EXIT_ERROR;
	char *err = NULL;
	store_stats_t st;
	if (store_stats(ctx->store, &st, &err) < 0) {
		cli_error(ctx, "%s", err_str(err));
		free(err);
		return EXIT_ERROR;
	}
	/* On PostgreSQL a plain VACUUM makes no worker wait: nothing to
	 * refuse. */
	bool file = store_is_file(ctx->store);
	int64_t active = file ? st.jobs[JOB_LAUNCHING] + st.jobs[JOB_RUNNING] : 0;
	bool dry = cli_flag(a, "dry-run"), force = cli_flag(a, "force");
	char b1[32], b2[32];
	render_bytes(st.file_bytes + st.wal_bytes, b1, sizeof(b1));
	render_bytes(st.freelist_count * st.page_size, b2, sizeof(b2));
	if (dry) {
		if (file)
			printf("store %s: %s now, %s in free pages\n", shown(ctx), b1, b2);
		else
			printf("store %s: %s now (PostgreSQL reuses the space of removed rows "
			       "itself)\n",
			       shown(ctx), b1);
		if (active && !force)
			printf("would refuse: %lld jobs are launching or running (give --force to "
			       "vacuum anyway)\n",
			       (long long)active);
		else if (file)
			printf("would vacuum: rewrite the file without its free pages, then empty "
			       "the -wal file\n");
		else
			printf("would vacuum: VACUUM (ANALYZE) every table, beside the workers; "
			       "no space goes back to the file system\n");
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
	printf("vacuumed %s: %s before, %s after (%s returned)\n", shown(ctx),
	       render_bytes(before, b1, sizeof(b1)), render_bytes(after, b2, sizeof(b2)),
	       render_bytes(before > after ? before - after : 0, b3, sizeof(b3)));
	return EXIT_OK;
}

static const cli_command_t db_vacuum = {
	.name = "vacuum",
	.summary = "return free space to the disk; VACUUM (ANALYZE) on PostgreSQL",
	.usage = "[options]",
	.max_args = 0,
	.description =
		"Removing jobs (manage-jobs cleanup) frees pages inside the store but does not "
		"shrink it. On SQLite, VACUUM rewrites the file without the free pages, then a "
		"WAL checkpoint empties the -wal file; it is refused while jobs are launching or "
		"running, unless --force, because workers wait for it. On PostgreSQL it runs a "
		"plain VACUUM (ANALYZE) of every table: the space of removed rows becomes "
		"reusable for new ones and the planner's statistics are renewed, but the space "
		"is not returned to the file system (VACUUM FULL would, while locking every "
		"table: run it with psql in a quiet period if you need it); it makes no worker "
		"wait, so it is never refused. On both it prints the size before and after (the "
		"file plus -wal; on PostgreSQL pg_database_size), and counts the jobs per host "
		"and status again (what 'manage-jobs status' shows), which mends counts 'cjobs "
		"db check' reports wrong.",
	.options = (const cli_option_t[]){
		{.name = "dry-run", .type = OPT_FLAG,
		 .help = "Print the size now, the free space, and whether it would vacuum or "
			 "refuse; change nothing."},
		{.name = "force", .type = OPT_FLAG,
		 .help = "Vacuum even while jobs are launching or running: their workers wait "
			 "for the store (up to 5 s per write; a longer vacuum makes their writes "
			 "fail and be retried). On PostgreSQL it changes nothing: vacuum runs "
			 "beside the workers anyway."},
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
		 " 1. SQLite: counts the jobs launching or running; refuses if any, unless\n"
		 "    --force.\n"
		 " 2. Counts the jobs per host and status again, in one transaction.\n"
		 " 3. SQLite: VACUUM copies every live page into a new file and replaces the\n"
		 "    old one (the store's write lock is held throughout; readers continue);\n"
		 "    then PRAGMA wal_checkpoint(TRUNCATE) moves the pages into the file and\n"
		 "    empties the -wal file.\n"
		 "    PostgreSQL: VACUUM (ANALYZE) of every table of the database, which\n"
		 "    neither blocks nor waits for the workers' reads and writes.\n"
		 " 4. Prints the size before and after."},
		{"Important Notes",
		 "On SQLite, run it in a quiet period: it takes about a second per 100 MB of "
		 "store, during which no worker can record anything. It needs free disk space of "
		 "up to twice the store's size (the copy and the -wal file), and write permission "
		 "on the store and its directory. Back up first (cjobs db backup) on production "
		 "systems. Nothing is removed: only free pages are given back. On PostgreSQL the "
		 "server's autovacuum does the same work on its own; this is for after a large "
		 "cleanup, and the size after is often the same or a little larger (the "
		 "statistics and the free space map take room)."},
		{NULL, NULL},
	},
	.warning = "On SQLite, vacuum holds the store's write lock until it ends: workers "
		   "cannot claim or record jobs meanwhile. With --force on a busy store, their "
		   "writes may fail after waiting 5 s and be retried on their next turn.",
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
		{1, "Refused because jobs are running (SQLite), no store, or a store error."},
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
	if (open_existing(ctx, true) < 0)
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
	printf("backed up %s to %s (%s, mode 0600)\n", shown(ctx), dest,
	       render_bytes(bytes, b, sizeof(b)));
	return EXIT_OK;
}

static const cli_command_t db_backup = {
	.name = "backup",
	.summary = "copy the store to a file, safely, while workers run",
	.usage = "FILE [options]",
	.min_args = 1, .max_args = 1,
	.description =
		"Makes a consistent copy of the job store in FILE: the store as it was at one "
		"moment, even while workers write to it. FILE is created with mode 0600 (the "
		"store holds job environments, which may hold secrets); an existing FILE is "
		"refused unless --force. Prints the copy's size. On SQLite, FILE is made with "
		"SQLite's online backup API and is a complete store: use it with --database "
		"FILE, or put it in place of the store to restore (with no worker running). On "
		"PostgreSQL, FILE is made by the server's own tool, pg_dump --format=custom "
		"--no-owner, which must be installed (Debian: postgresql-client, of the "
		"server's major version or newer); FILE is an archive for pg_restore, not a "
		"store: restore it into a new, empty database (see Important Notes).",
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
		 " 3. SQLite: copies the store into it 64 pages at a time, pausing between\n"
		 "    steps so that workers keep writing; a write made meanwhile restarts the\n"
		 "    copy. Then makes the copy one self-contained file (no -wal) and syncs it\n"
		 "    to disk.\n"
		 "    PostgreSQL: runs pg_dump --format=custom --no-owner --file=TEMP, which\n"
		 "    reads one snapshot of the database; the connection's settings reach it\n"
		 "    through libpq's variables (PGHOST, PGPASSWORD, ...), never its command\n"
		 "    line. Its first line of complaint, if any, is the error.\n"
		 " 4. Moves the copy to FILE."},
		{"Important Notes",
		 "Safe while workers run: on SQLite they are slowed by a few milliseconds at most; "
		 "pg_dump takes no lock that a worker waits for. It reads the whole store; on "
		 "SQLite it writes a file of the same size (a PostgreSQL archive is compressed): "
		 "check the free space. The copy has the store's id, so containers it started "
		 "are recognised by a worker that runs on a restored copy. Keep backups as "
		 "private as the store: they hold job environments.\n\n"
		 "Restoring on SQLite: stop the workers and copy FILE over the store path (remove "
		 "the old -wal and -shm files with it). A copy of more than 1024 pages shows its "
		 "progress on standard error when that is a terminal; in scripts only the final "
		 "line is printed.\n\n"
		 "Restoring on PostgreSQL: stop the workers, make an empty database and restore "
		 "into it, then point --database at it:\n"
		 "    createdb cjobs_restored\n"
		 "    pg_restore --no-owner --dbname=cjobs_restored FILE\n"
		 "    cjobs --database 'dbname=cjobs_restored' db check\n"
		 "(with the host, port and user of your server: -h, -p and -U, or the PG*\n"
		 "variables; pg_restore --clean --if-exists replaces the tables of an existing\n"
		 "database instead). 'cjobs db copy' moves a store between SQLite and PostgreSQL."},
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

/* ------------------------------------------------------------------ copy */

typedef struct {
	progress_t p;
	const char *what;
	int64_t done, started_ms;
} copy_progress_t;

/* The table copied last, with its time, at --verbosity 2. */
static void copy_progress_end(copy_progress_t *cp)
{
	progress_end(&cp->p, cp->p.total);
	if (cp->what)
		log_detail("copied %lld %s in %lld ms", (long long)cp->done, cp->what,
			   (long long)(mono_ms() - cp->started_ms));
}

/* Rows of each table on a terminal, one line per table. */
static void copy_progress(void *ud, const char *what, int64_t done, int64_t total)
{
	copy_progress_t *cp = ud;
	if (cp->what != what) {
		copy_progress_end(cp);
		cp->what = what;
		cp->started_ms = mono_ms();
		progress_start(&cp->p, what, total, 1000);
	}
	cp->done = done;
	progress_update(&cp->p, done);
}

/* "3 jobs, 1 host, ..." of c into buf. */
static void copy_counts_text(const store_copy_counts_t *c, char *buf, size_t size)
{
	char b[32], tokens[48] = "", sched[48] = "", deps[48] = "";
	/* Tokens, schedules and dependencies only when there are some: most
	 * stores have none. */
	if (c->tokens)
		snprintf(tokens, sizeof(tokens), "%lld API token%s, ", (long long)c->tokens,
			 c->tokens == 1 ? "" : "s");
	if (c->schedules)
		snprintf(sched, sizeof(sched), "%lld schedule%s, ", (long long)c->schedules,
			 c->schedules == 1 ? "" : "s");
	if (c->dep_rows)
		snprintf(deps, sizeof(deps), ", %lld dependenc%s", (long long)c->dep_rows,
			 c->dep_rows == 1 ? "y" : "ies");
	snprintf(buf, size,
		 "%lld host%s, %lld template%s, %s%s%lld job%s%s, %lld history row%s, %lld output "
		 "row%s (%s of output)",
		 (long long)c->hosts, c->hosts == 1 ? "" : "s", (long long)c->templates,
		 c->templates == 1 ? "" : "s", tokens, sched, (long long)c->jobs,
		 c->jobs == 1 ? "" : "s", deps, (long long)c->history_rows,
		 c->history_rows == 1 ? "" : "s",
		 (long long)c->output_rows, c->output_rows == 1 ? "" : "s",
		 render_bytes(c->output_bytes, b, sizeof(b)));
}

/* Removes a new SQLite file a failed copy made. */
static void remove_new_file(const char *path)
{
	static const char *const tails[] = {"", "-wal", "-shm", "-journal"};
	for (size_t i = 0; i < sizeof(tails) / sizeof(tails[0]); i++) {
		char *f = NULL;
		if (asprintf(&f, "%s%s", path, tails[i]) >= 0)
			unlink(f);
		free(f);
	}
}

static int copy_dry_run(cli_ctx_t *ctx, store_t *dst, const char *to, bool force)
{
	char *err = NULL;
	store_copy_counts_t src_c, dst_c;
	char what[256];
	if (store_copy_contents(ctx->store, &src_c, &err) < 0 ||
	    (dst && store_copy_contents(dst, &dst_c, &err) < 0)) {
		cli_error(ctx, "%s", err_str(err));
		free(err);
		return EXIT_ERROR;
	}
	copy_counts_text(&src_c, what, sizeof(what));
	printf("would copy %s (%s) to %s (%s): %s\n", shown(ctx), store_driver_name(ctx->store),
	       dst ? store_path(dst) : to, dst ? store_driver_name(dst) : "SQLite", what);
	if (src_c.orphan_rows)
		printf("would leave out %lld history and output rows whose job is gone\n",
		       (long long)src_c.orphan_rows);
	if (!dst)
		printf("the target does not exist: it would be created (mode 0600)\n");
	else if (store_copy_counts_empty(&dst_c))
		printf("the target is empty: the copy would be made there\n");
	else
		printf("the target holds %lld jobs, %lld hosts and %lld templates: %s\n",
		       (long long)dst_c.jobs, (long long)dst_c.hosts, (long long)dst_c.templates,
		       force ? "they would be replaced by the copy"
			     : "it would be refused (give --force to replace them)");
	return EXIT_OK;
}

static int copy_run(cli_ctx_t *ctx, cli_args_t *a)
{
	char *err = NULL;
	if (!cli_has(a, "to")) {
		cli_error(ctx, "'cjobs db copy' needs --to STORE, the store to copy into");
		return EXIT_ERROR;
	}
	const char *to = cli_str(a, "to");
	bool dry = cli_flag(a, "dry-run"), force = cli_flag(a, "force");
	if (dburl_check(to, "--to", &err) < 0) {
		cli_error(ctx, "%s", err_str(err));
		free(err);
		return EXIT_ERROR;
	}
	/* The source is read as it is: never migrated, never written. */
	if (open_existing(ctx, false) < 0)
		return EXIT_ERROR;
	bool created = dburl_kind(to) == DBURL_SQLITE && access(to, F_OK) != 0;
	if (dry && created)
		return copy_dry_run(ctx, NULL, to, force);
	store_t *dst = NULL;
	if (store_open(to, false, &dst, &err) < 0) {
		cli_error(ctx, "%s", err_str(err));
		free(err);
		if (created)
			remove_new_file(to);
		return EXIT_ERROR;
	}
	int rc;
	if (dry) {
		rc = copy_dry_run(ctx, dst, to, force);
		store_close(dst);
		return rc;
	}
	store_copy_counts_t c;
	copy_progress_t cp = {0};
	int64_t t0 = mono_ms();
	rc = store_copy(ctx->store, dst, force, &c, copy_progress, &cp, &err);
	copy_progress_end(&cp);
	if (rc < 0) {
		cli_error(ctx, "%s", err_str(err));
		free(err);
		store_close(dst);
		if (created)
			remove_new_file(to);
		return EXIT_ERROR;
	}
	int64_t ms = mono_ms() - t0;
	char what[256];
	copy_counts_text(&c, what, sizeof(what));
	printf("copied %s (%s) to %s (%s): %s in %lld.%01lld s\n", shown(ctx),
	       store_driver_name(ctx->store), store_path(dst), store_driver_name(dst), what,
	       (long long)(ms / 1000), (long long)(ms % 1000 / 100));
	if (c.orphan_rows)
		printf("left out %lld history and output rows whose job is gone ('cjobs db check' "
		       "on the source names them)\n",
		       (long long)c.orphan_rows);
	printf("the copy keeps the store id %s: run workers on one of the two stores only\n",
	       store_id(dst));
	fflush(stdout);
	rc = check_print(ctx, dst);
	store_close(dst);
	return rc;
}

#define COPY_NO_STORE_ERROR {\
	"cjobs: error: no job store at missing.db (any other command creates it there; is "\
	"--database or $CJOBS_DATABASE what you meant?)",\
	"the source, the store named by --database, $CJOBS_DATABASE, [store] path or the "\
	"default, does not exist",\
	"name the store to copy with --database; --to names the target",\
	"cjobs --database missing.db db copy --to copy.db"}

static const cli_command_t db_copy = {
	.name = "copy",
	.summary = "copy the whole store into an empty store, SQLite or PostgreSQL",
	.usage = "--to STORE [options]",
	.max_args = 0,
	.description =
		"Copies everything in the job store (the one --database names) into the store "
		"--to names, of either kind: SQLite to PostgreSQL, PostgreSQL to SQLite, or one "
		"SQLite file to another. It copies the hosts, the templates, the API tokens "
		"(their hashes: they stay valid), the jobs with their "
		"ids, their history and their captured output byte for byte, and the store's id "
		"and creation time; it counts the jobs per host and status afresh from the "
		"copied jobs, and moves the target's id sequences on so that a new job there "
		"never gets an id the source ever gave. The source is read in one snapshot and "
		"never written (not even migrated: a source of an older schema is refused until "
		"'cjobs db migrate'). The target must be empty, unless --force; it is written in "
		"one transaction, so a copy that fails leaves it as it was. At the end it runs "
		"'cjobs db check' on the target and prints its result.",
	.options = (const cli_option_t[]){
		{.name = "to", .type = OPT_STRING, .metavar = "STORE",
		 .help = "The store to copy into, written as --database takes it: the path of an "
			 "SQLite file (created, mode 0600, when missing), a postgresql:// URL or "
			 "a libpq keyword string such as \"host=/run/postgresql dbname=cjobs\" "
			 "(the database must exist: createdb makes it). Required. Its password, "
			 "if any, is never printed."},
		{.name = "force", .type = OPT_FLAG,
		 .help = "Copy into a target that already holds hosts, templates or jobs: inside "
			 "the copy's own transaction, everything cjobs keeps there (hosts, "
			 "templates, jobs with their history and output, job counts, and its "
			 "meta rows, its old store id among them) is deleted before the copy is "
			 "written, so the target becomes an exact copy of the source; a copy that "
			 "fails leaves it as it was. Its schema stays. A target that is not a "
			 "cjobs store, or is the source itself, is refused even so."},
		{.name = "dry-run", .type = OPT_FLAG,
		 .help = "Count what would be copied, and say whether the target is empty (or "
			 "missing) or what it holds; change nothing, create nothing."},
		{0},
	},
	.examples = (const cli_example_t[]){
		{"cjobs db copy --to copy.db --dry-run",
		 "count what would be copied into copy.db; change nothing", 0},
		{"cjobs db copy --to copy.db", "copy the store into copy.db, a new SQLite file", 0},
		{"cjobs db copy --to copy.db",
		 "refused: copy.db holds a store now, and says so", 1},
		{"cjobs db copy --to copy.db --force", "replace what copy.db holds with a new copy",
		 0},
		{"cjobs db copy --to postgresql:///cjobs",
		 "move the store into cjobs, an empty PostgreSQL database on this machine's "
		 "server (libpq finds its socket, or $PGHOST names it)",
		 0},
		{"cjobs --database postgresql:///cjobs db copy --to back.db",
		 "and back: copy the PostgreSQL store into back.db, a new SQLite file", 0},
		{NULL, NULL, 0},
	},
	.sections = (const cli_section_t[]){
		{"How It Works",
		 " 1. Opens the source as it is and the target named by --to; a missing SQLite\n"
		 "    file is created, mode 0600 (missing directories 0700), and removed again\n"
		 "    if the copy fails; a PostgreSQL database must exist.\n"
		 " 2. Refuses a target that is the source itself (the same file, or the same\n"
		 "    database of the same server), a database that holds tables of something\n"
		 "    else, and, unless --force, a target holding any host, template or job.\n"
		 " 3. Brings the target's schema to this cjobs's version (each database\n"
		 "    numbers its own migrations: SQLite's 5 are PostgreSQL's 1).\n"
		 " 4. Opens one read transaction on the source (a snapshot: what workers write\n"
		 "    afterwards is not in the copy) and one transaction on the target, which\n"
		 "    holds the target's write lock to the end.\n"
		 " 5. With --force, deletes everything cjobs keeps in the target.\n"
		 " 6. Copies the meta rows, hosts, templates, jobs, history and output, in\n"
		 "    that order, 512 rows at a time read by key (fewer when rows are large,\n"
		 "    about 8 MiB a batch), written in INSERTs of up to 64 rows; progress\n"
		 "    per table on standard error, on a terminal.\n"
		 " 7. Counts the jobs per host and status again, moves each id sequence past\n"
		 "    the highest id the source gave (SQLite: sqlite_sequence of jobs;\n"
		 "    PostgreSQL: setval of each identity column), and compares the rows and\n"
		 "    bytes of output the target holds with the source's.\n"
		 " 8. Commits (on PostgreSQL then ANALYZE, so that the planner knows the new\n"
		 "    rows at once), prints what was copied, and runs 'cjobs db check' on the\n"
		 "    target."},
		{"Important Notes",
		 "The copy keeps the store's id. Containers carry it in their cjobs.store label, "
		 "so that a worker on the copy recognises and recovers the containers that the "
		 "source's workers started: a copy that becomes the real store needs it. So run "
		 "workers on one of the two stores only. To move a store: stop the workers "
		 "(SIGTERM lets running jobs finish), copy, point --database ($CJOBS_DATABASE, "
		 "[store] path) at the target, start the workers. Jobs launching or running "
		 "when the source was read are copied as they were, with their leases; a worker "
		 "on the target recovers them once those leases run out.\n\n"
		 "The job counts come from the copied jobs, so they are right even where the "
		 "source's had drifted (see 'db check'). History and output rows whose job is "
		 "gone ('db check' names them) cannot be copied under the target's foreign keys: "
		 "they are left out, and counted in what is printed. Text the source holds must "
		 "be valid UTF-8 without NUL bytes for PostgreSQL to take it (job arguments, "
		 "environments and output are bytes, and are always copied exactly).\n\n"
		 "It reads the whole source and holds the target's write lock while it writes: "
		 "copy into a store no worker uses. It holds one batch of rows in memory (about "
		 "8 MiB at most, two or three times that while a server's answer is decoded), "
		 "and an SQLite target adds a page cache of up to 64 MiB: some 40 MiB to "
		 "PostgreSQL and 85 MiB from it for 100,000 jobs. "
		 "The target's name is shown without its password. The source is not changed: "
		 "on SQLite a long copy only delays the checkpoints of its -wal file, and a file "
		 "in rollback-journal mode (a backup) is put in WAL mode when opened, as by every "
		 "command, its rows untouched."},
		{NULL, NULL},
	},
	.errors = (const cli_error_doc_t[]){
		COPY_NO_STORE_ERROR,
		{"cjobs: error: 'cjobs db copy' needs --to STORE, the store to copy into",
		 "--to was not given", "name the target: --to FILE, or --to postgresql://...",
		 "cjobs db copy"},
		{"cjobs: error: the target broken.db is not empty (... jobs, ... hosts, ... "
		 "templates); give --force to replace what it holds, or name an empty store",
		 "the target already holds a store with hosts, templates or jobs",
		 "name an empty store (a new file, or a database made with createdb), or give "
		 "--force to replace what it holds (see --dry-run first)",
		 "cjobs db copy --to broken.db"},
		{"cjobs: error: the target ./broken.db is the source itself",
		 "--to names the store that --database names (the same file by another path, or "
		 "the same database of the same server)",
		 "name another store with --to", "cjobs --database broken.db db copy --to ./broken.db "
		 "--force"},
		{"cjobs: error: invalid --to \"mysql://db/cjobs\": cjobs has no store of the kind "
		 "mysql://; ...",
		 "--to is written in a form cjobs does not read",
		 "write an SQLite path, a postgresql:// URL or a libpq keyword string",
		 "cjobs db copy --to mysql://db/cjobs"},
		{NULL, NULL, NULL},
	},
	.exit_codes = (const cli_exit_doc_t[]){
		{0, "Copied, and 'db check' finds the copy clean (or, with --dry-run, reported)."},
		{1, "No --to, no source, refused (the target is not empty, is the source, or is not "
		    "a cjobs store; the source's schema is older), or a store error: nothing of the "
		    "copy is in the target. Or the copy was made but 'db check' found problems in "
		    "it, printed one per line (the source most likely has them too)."},
		{0, NULL},
	},
	.run = copy_run,
};

const cli_command_t cmd_db = {
	.name = "db",
	.group = "Administration",
	.summary = "job store maintenance: migrate, status, check, vacuum, backup, copy",
	.usage = "SUBCOMMAND [options]",
	.description = "Maintains the job store (an SQLite file or a PostgreSQL database; see "
		       "--database): its schema, its health and its size, and copies of it. "
		       "Each works on both kinds of store, with the same output and exit codes; "
		       "its help says what it does on PostgreSQL. 'status' and 'check' only "
		       "read; 'vacuum' and 'backup' are safe while workers run (on SQLite vacuum "
		       "makes them wait, so it refuses while jobs run unless --force); 'copy' "
		       "moves a whole store into another, SQLite or PostgreSQL.",
	.examples = (const cli_example_t[]){
		{"cjobs db status", "the store's path, schema version, size and counts", 0},
		{"cjobs db check", "check the store's integrity and its jobs", 0},
		{"cjobs db migrate --dry-run", "list the schema migrations that would be applied", 0},
		{"cjobs db backup nightly.db", "copy the store to nightly.db", 0},
		{"cjobs db copy --to moved.db --dry-run", "count what a copy into moved.db would take",
		 0},
		{NULL, NULL, 0},
	},
	.sections = (const cli_section_t[]){
		{"Important Notes",
		 "The store holds every job's environment, secrets included. It is created mode "
		 "0600 and so is a backup: keep both readable only by the user that runs cjobs, and "
		 "run these commands as that user. A PostgreSQL store's password is never printed: "
		 "its name is shown with *** in its place.\n\n"
		 "Back up the store before 'db migrate' on a production installation. On SQLite, "
		 "'vacuum' rewrites the whole file and makes workers wait while it runs. 'check', "
		 "'vacuum', 'backup' and 'copy' read the whole store, so their run time grows with "
		 "its size (about a second per few hundred megabytes for check)."},
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
						      &db_vacuum, &db_backup, &db_copy, NULL},
};
