/*
 * store/sqlite_schema.c: the job store's schema on SQLite, as numbered
 * migrations (driver.h). Statuses are stored as their names
 * (job_status_name()), so that the file reads plainly in the sqlite3 shell
 * and a reordering of the C enum can never change a stored job's meaning.
 *
 * A migration, once released, must never be edited: stores in the field
 * have applied it and will not apply it again. Change the schema by adding
 * the next number.
 */
#include "store/store_int.h"

static const char schema_v1[] =
	"CREATE TABLE meta ("
	"  key TEXT PRIMARY KEY,"
	"  value TEXT NOT NULL);"

	"CREATE TABLE hosts ("
	"  id INTEGER PRIMARY KEY,"
	"  name TEXT NOT NULL UNIQUE,"
	"  url TEXT NOT NULL,"
	"  tls_ca TEXT,"
	"  tls_cert TEXT,"
	"  tls_key TEXT,"
	"  tls_verify INTEGER NOT NULL,"
	"  max_jobs INTEGER NOT NULL,"
	"  weight INTEGER NOT NULL,"
	"  pull_images INTEGER NOT NULL,"
	"  network_mode TEXT,"
	"  enabled INTEGER NOT NULL,"
	"  created_at INTEGER NOT NULL,"
	"  checked_at INTEGER NOT NULL DEFAULT 0,"
	"  check_ok INTEGER NOT NULL DEFAULT 0,"
	"  check_message TEXT);"

	/* env: the string-vector codec of strv_codec.c, byte-exact. */
	"CREATE TABLE env_templates ("
	"  id INTEGER PRIMARY KEY,"
	"  name TEXT NOT NULL UNIQUE,"
	"  description TEXT,"
	"  env BLOB NOT NULL,"
	"  created_at INTEGER NOT NULL);"

	/* AUTOINCREMENT: people and scripts refer to jobs by id, so an id
	 * freed by cleanup must never name a different job later. */
	"CREATE TABLE jobs ("
	"  id INTEGER PRIMARY KEY AUTOINCREMENT,"
	"  uuid TEXT NOT NULL UNIQUE,"
	"  name TEXT,"
	"  image TEXT NOT NULL,"
	"  argv BLOB NOT NULL,"
	"  workdir TEXT,"
	"  env BLOB NOT NULL,"
	"  template_name TEXT,"
	"  memory_bytes INTEGER NOT NULL DEFAULT 0,"
	"  nano_cpus INTEGER NOT NULL DEFAULT 0,"
	"  timeout_s INTEGER NOT NULL DEFAULT -1,"
	"  priority INTEGER NOT NULL DEFAULT 0,"
	"  not_before INTEGER NOT NULL DEFAULT 0,"
	"  host TEXT,"
	"  max_retries INTEGER NOT NULL DEFAULT 0,"
	"  status TEXT NOT NULL CHECK (status IN ('queued', 'launching', 'running',"
	"    'completed', 'failed', 'timeout', 'cancelled')),"
	"  attempt INTEGER NOT NULL DEFAULT 0,"
	"  exit_code INTEGER,"                   /* NULL: none */
	"  created_at INTEGER NOT NULL,"
	"  queued_at INTEGER NOT NULL DEFAULT 0,"
	"  started_at INTEGER NOT NULL DEFAULT 0,"
	"  finished_at INTEGER NOT NULL DEFAULT 0,"
	"  peak_memory_bytes INTEGER NOT NULL DEFAULT -1,"
	"  cpu_usage_ns INTEGER NOT NULL DEFAULT -1,"
	"  last_error TEXT,"
	"  container_name TEXT,"
	"  container_id TEXT,"
	"  ran_on TEXT,"
	"  worker_id TEXT,"
	"  lease_until INTEGER NOT NULL DEFAULT 0);"

	/* Claiming walks these in order and stops after `max` rows: one for
	 * any host, one per pinned host (NULL = not pinned). Partial, so
	 * finished jobs (the bulk of the table) cost them nothing. They
	 * cover every column the queries test (SQLite 3.40 does not count a
	 * partial index's own WHERE as covering status), so that scheduled
	 * jobs are stepped over without reading their rows. */
	"CREATE INDEX jobs_claim ON jobs (priority DESC, id, not_before, status) "
	"  WHERE status = 'queued';"
	"CREATE INDEX jobs_claim_host ON jobs (host, priority DESC, id, not_before, status) "
	"  WHERE status = 'queued';"
	/* The soonest scheduled job, and how many are ready. */
	"CREATE INDEX jobs_ready ON jobs (not_before, host, status) WHERE status = 'queued';"
	"CREATE INDEX jobs_status ON jobs (status, id);"
	/* Listing by host: pinned there, or ran there. */
	"CREATE INDEX jobs_host ON jobs (host) WHERE host IS NOT NULL;"
	"CREATE INDEX jobs_ran_on ON jobs (ran_on) WHERE ran_on IS NOT NULL;"

	/* from_status NULL: the creation row. */
	"CREATE TABLE job_history ("
	"  id INTEGER PRIMARY KEY,"
	"  job_id INTEGER NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,"
	"  at INTEGER NOT NULL,"
	"  attempt INTEGER NOT NULL,"
	"  from_status TEXT,"
	"  to_status TEXT NOT NULL,"
	"  actor TEXT NOT NULL,"
	"  reason TEXT);"
	"CREATE INDEX job_history_job ON job_history (job_id);"

	"CREATE TABLE job_output ("
	"  job_id INTEGER NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,"
	"  attempt INTEGER NOT NULL,"
	"  stream INTEGER NOT NULL CHECK (stream IN (1, 2)),"
	"  data BLOB NOT NULL,"
	"  truncated INTEGER NOT NULL DEFAULT 0,"
	"  total_bytes INTEGER NOT NULL DEFAULT 0,"
	"  PRIMARY KEY (job_id, attempt, stream));";

/* Retry policy of a job (core/retry.h): NULL strategy = the default one,
 * NULL exit codes = a non-zero exit is not retried. */
static const char schema_v2[] =
	"ALTER TABLE jobs ADD COLUMN retry_strategy TEXT;"
	"ALTER TABLE jobs ADD COLUMN retry_exit_codes TEXT;";

/* The number of jobs per host and status, kept by triggers, so that
 * `manage-jobs status` reads a handful of rows instead of counting a
 * table of a million finished jobs. host_key is the host a job belongs to
 * (store/report.h: the host it ran on, else its pinned host), '' for
 * none. Queued jobs are not counted here: they are read from the queued
 * jobs' own partial indexes. Rows that fall to 0 stay. */
#define JOB_HOST_KEY(row) "coalesce(" row ".ran_on, " row ".host, '')"
#define COUNT_UP(row)                                                            \
	"INSERT INTO job_counts (host_key, status, n) SELECT " JOB_HOST_KEY(row)     \
	", " row ".status, 1 WHERE " row ".status <> 'queued' "                       \
	"ON CONFLICT (host_key, status) DO UPDATE SET n = n + 1;"
#define COUNT_DOWN(row)                                                          \
	"UPDATE job_counts SET n = n - 1 WHERE host_key = " JOB_HOST_KEY(row)        \
	" AND status = " row ".status;"

static const char schema_v3[] =
	"CREATE TABLE job_counts ("
	"  host_key TEXT NOT NULL,"
	"  status TEXT NOT NULL,"
	"  n INTEGER NOT NULL,"
	"  PRIMARY KEY (host_key, status)) WITHOUT ROWID;"
	"INSERT INTO job_counts (host_key, status, n) SELECT " JOB_HOST_KEY("jobs")
	", status, count(*) FROM jobs WHERE status <> 'queued' GROUP BY 1, 2;"
	"CREATE TRIGGER job_counts_insert AFTER INSERT ON jobs "
	"  WHEN NEW.status <> 'queued' BEGIN " COUNT_UP("NEW") " END;"
	"CREATE TRIGGER job_counts_delete AFTER DELETE ON jobs "
	"  WHEN OLD.status <> 'queued' BEGIN " COUNT_DOWN("OLD") " END;"
	"CREATE TRIGGER job_counts_update AFTER UPDATE OF status, host, ran_on ON jobs "
	"  WHEN OLD.status IS NOT NEW.status OR OLD.host IS NOT NEW.host "
	"    OR OLD.ran_on IS NOT NEW.ran_on "
	"  BEGIN " COUNT_DOWN("OLD") " " COUNT_UP("NEW") " END;"
	/* Cleanup and the report select finished jobs by when they finished;
	 * partial, so that queued jobs (bulk submits) do not pay for it. */
	"CREATE INDEX jobs_done ON jobs (coalesce(nullif(finished_at, 0), created_at)) "
	"  WHERE status IN ('completed', 'failed', 'timeout', 'cancelled');";

/* jobs_done served no query: without ANALYZE statistics SQLite never chose
 * it (cleanup walks jobs_status, the report reads every job of its period,
 * queued and running ones included), yet every status change paid for it,
 * twice evaluating its IN list into a temporary table: about a third of a
 * worker's store time per job on the mock executor. */
static const char schema_v4[] = "DROP INDEX IF EXISTS jobs_done;";

/* Status changes are counted by the store itself (counts.c): the trigger
 * ran a sub-program and a statement journal for every move, a fifth of a
 * worker's time per job. Inserts and deletes keep their triggers. */
static const char schema_v5[] = "DROP TRIGGER IF EXISTS job_counts_update;";

/* The workers that serve the store (store/workers.c): each registers,
 * renews a heartbeat lease, and says when it stopped; hosts names the
 * executor hosts it serves. */
static const char schema_v6[] =
	"CREATE TABLE workers ("
	"  id TEXT PRIMARY KEY,"
	"  machine TEXT NOT NULL,"
	"  pid INTEGER NOT NULL,"
	"  started_at INTEGER NOT NULL,"
	"  heartbeat_at INTEGER NOT NULL,"
	"  lease_until INTEGER NOT NULL,"
	"  stopped_at INTEGER NOT NULL DEFAULT 0,"
	"  hosts TEXT NOT NULL DEFAULT '');"
	"CREATE INDEX jobs_worker ON jobs (worker_id) WHERE worker_id IS NOT NULL;";

/* API tokens (store/tokens.c): only a hash of each token is kept; a
 * revoked token stays listed, with when it was revoked. */
static const char schema_v7[] =
	"CREATE TABLE api_tokens ("
	"  id INTEGER PRIMARY KEY,"
	"  name TEXT NOT NULL UNIQUE,"
	"  scope TEXT NOT NULL,"
	"  hash TEXT NOT NULL UNIQUE,"
	"  created_at INTEGER NOT NULL,"
	"  revoked_at INTEGER NOT NULL DEFAULT 0);";

/* A host's registry credentials file (host add/update --registry-auth):
 * only its path; the worker reads the file when it pulls. */
static const char schema_v8[] = "ALTER TABLE hosts ADD COLUMN registry_auth TEXT;";

/* A job's container options (mounts, user, capabilities, GPUs, ...) and a
 * host's allowances, each one JSON object (core/container_json.c), NULL
 * when none is given: options added later need no migration, and the
 * store's SQL stays the same on both drivers. */
static const char schema_v9[] =
	"ALTER TABLE jobs ADD COLUMN container_options TEXT;"
	"ALTER TABLE hosts ADD COLUMN allowances TEXT;";

/* Dependencies between jobs (store/deps.c). waiting_on counts a queued
 * job's dependencies not yet met; the claim indexes hold only jobs with
 * none, so that jobs held by dependencies cost a claim nothing (they are
 * not even stepped over). (The waiting jobs got an index of their own in
 * 0015, for the queue's counts.) The indexes cover waiting_on: SQLite 3.40
 * does not count a partial index's own WHERE as covering. */
static const char schema_v10[] =
	"ALTER TABLE jobs ADD COLUMN waiting_on INTEGER NOT NULL DEFAULT 0;"
	"CREATE TABLE job_deps ("
	"  job_id INTEGER NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,"
	"  after_id INTEGER NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,"
	"  cond TEXT NOT NULL CHECK (cond IN ('ok', 'any', 'notok')),"
	"  state TEXT NOT NULL DEFAULT 'waiting' CHECK (state IN ('waiting', 'met', 'never')),"
	"  PRIMARY KEY (job_id, after_id)) WITHOUT ROWID;"
	"CREATE INDEX job_deps_after ON job_deps (after_id);"
	"DROP INDEX jobs_claim;"
	"DROP INDEX jobs_claim_host;"
	"DROP INDEX jobs_ready;"
	"CREATE INDEX jobs_claim ON jobs (priority DESC, id, not_before, status, waiting_on) "
	"  WHERE status = 'queued' AND waiting_on = 0;"
	"CREATE INDEX jobs_claim_host ON jobs (host, priority DESC, id, not_before, status, "
	"  waiting_on) WHERE status = 'queued' AND waiting_on = 0;"
	"CREATE INDEX jobs_ready ON jobs (not_before, host, status, waiting_on) "
	"  WHERE status = 'queued' AND waiting_on = 0;";
/* Schedules (store/schedules.c): a cron expression, its zone, the job it
 * makes (one JSON object in the format of a `job submit --file` line) and
 * when it is next due. The partial index is what a worker reads to find
 * the due ones (ORDER BY next_due LIMIT n over unpaused rows only), so
 * that 10,000 schedules cost an idle worker one short walk. AUTOINCREMENT:
 * a removed schedule's jobs keep its id, which must never name another.
 * A job made by a schedule names it and the due time it was made for; the
 * unique index is what makes a due time give one job, whatever the number
 * of workers racing for it. Skipped runs are kept for `schedule show`. */
static const char schema_v11[] =
	"CREATE TABLE schedules ("
	"  id INTEGER PRIMARY KEY AUTOINCREMENT,"
	"  name TEXT NOT NULL UNIQUE,"
	"  cron TEXT NOT NULL,"
	"  tz TEXT NOT NULL,"
	"  job TEXT NOT NULL,"
	"  concurrency TEXT NOT NULL CHECK (concurrency IN ('allow', 'forbid', 'replace')),"
	"  catch_up TEXT NOT NULL CHECK (catch_up IN ('none', 'one')),"
	"  keep INTEGER NOT NULL DEFAULT 0,"
	"  paused INTEGER NOT NULL DEFAULT 0,"
	"  next_due INTEGER NOT NULL,"
	"  created_at INTEGER NOT NULL);"
	"CREATE INDEX schedules_due ON schedules (next_due) WHERE paused = 0;"
	"CREATE TABLE schedule_skips ("
	"  id INTEGER PRIMARY KEY,"
	"  schedule_id INTEGER NOT NULL REFERENCES schedules (id) ON DELETE CASCADE,"
	"  due_at INTEGER NOT NULL,"
	"  at INTEGER NOT NULL,"
	"  reason TEXT NOT NULL);"
	"CREATE INDEX schedule_skips_schedule ON schedule_skips (schedule_id, id);"
	"ALTER TABLE jobs ADD COLUMN schedule_id INTEGER;"
	"ALTER TABLE jobs ADD COLUMN due_at INTEGER;"
	"CREATE UNIQUE INDEX jobs_schedule_due ON jobs (schedule_id, due_at) "
	"  WHERE schedule_id IS NOT NULL;";

/* The run-time histogram of /metrics as counters (store/metrics.c): a
 * count and a run-time sum per bucket, added to as jobs finish, started
 * from the finished jobs the store holds. */
static const char schema_v12[] =
	"CREATE TABLE job_run_times ("
	"  bucket INTEGER PRIMARY KEY,"
	"  n INTEGER NOT NULL,"
	"  sum_ms INTEGER NOT NULL);";

/* jobs_claim (every ready job, by priority) served only a claim for any
 * host, which no worker makes: a worker names its hosts, and each arm of
 * its claim (unpinned, or one host's) walks jobs_claim_host. Every job
 * entered it when it became ready and left it when claimed, so dropping it
 * makes each job's queueing and claim one index write cheaper, and a job
 * released by its dependencies two index writes instead of three. */
static const char schema_v13[] = "DROP INDEX jobs_claim;";

/* jobs_ready held every ready job, by start time, for two questions: how
 * many may start now, and when the soonest start time to come is. The
 * first is answered as well by jobs_claim_host, which holds the same
 * jobs; the second only asks about jobs with a start time (--at, a retry's
 * backoff). So the index keeps those alone: a job without one (most of
 * them) makes one index write fewer when it becomes ready and one fewer
 * when it is claimed, and a job released by its dependencies enters one
 * index, not two. */
static const char schema_v14[] =
	"DROP INDEX jobs_ready;"
	"CREATE INDEX jobs_scheduled ON jobs (not_before, host, status, waiting_on) "
	"  WHERE status = 'queued' AND waiting_on = 0 AND not_before > 0;";

/* The waiting jobs (held by dependencies) of each host, for the queue's
 * counts (report.c): 'manage-jobs status', GET /api/v1/status, /metrics
 * and the dashboard, which asks every 10 s, read the queued jobs free of
 * dependencies from the claim index alone and these from here, instead of
 * reading every queued job's row (1,000,000 queued jobs took over a second
 * a call); and so does `job list --waiting`. A job without dependencies
 * never enters it; one with them enters when queued and leaves when
 * released, one index write each (and one more for each dependency met
 * before its last: waiting_on is in the index, as SQLite needs it there to
 * read the index alone). */
static const char schema_v15[] =
	"CREATE INDEX jobs_waiting ON jobs (host, status, waiting_on) "
	"  WHERE status = 'queued' AND waiting_on > 0;"
	/* And the oldest ready job (the longest wait) is found in the claim
	 * index, which now carries queued_at: the same index writes, a few
	 * bytes more each. */
	"DROP INDEX jobs_claim_host;"
	"CREATE INDEX jobs_claim_host ON jobs (host, priority DESC, id, not_before, status, "
	"  waiting_on, queued_at) WHERE status = 'queued' AND waiting_on = 0;";

const migration_t sqlite_migrations[] = {
	{1, "0001_initial_schema", schema_v1, migrations_make_store_id},
	{2, "0002_retry_policy", schema_v2, NULL},
	{3, "0003_job_counts_and_done_index", schema_v3, NULL},
	{4, "0004_drop_done_index", schema_v4, NULL},
	{5, "0005_status_counts_without_trigger", schema_v5, NULL},
	{6, "0006_workers", schema_v6, NULL},
	{7, "0007_api_tokens", schema_v7, NULL},
	{8, "0008_host_registry_auth", schema_v8, NULL},
	{9, "0009_container_options", schema_v9, NULL},
	{10, "0010_job_dependencies", schema_v10, NULL},
	{11, "0011_schedules", schema_v11, NULL},
	{12, "0012_run_time_counters", schema_v12, metrics_count_run_times},
	{13, "0013_one_claim_index", schema_v13, NULL},
	{14, "0014_start_time_index", schema_v14, NULL},
	{15, "0015_waiting_index", schema_v15, NULL},
	{0, NULL, NULL, NULL},
};
