/*
 * store/store_int.h: what the store's own files share: the handle, the
 * prepared-statement cache, error and binding helpers, and the byte-exact
 * string-vector codec. Everything here works on every driver (driver.h).
 *
 * Never include this outside src/store/ and the store's unit tests: callers
 * know only store.h.
 */
#ifndef CJOBS_STORE_STORE_INT_H
#define CJOBS_STORE_STORE_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "store/driver.h"
#include "store/store.h"
#include "util/strbuf.h"

/* One cached prepared statement, found again by its SQL text. */
typedef struct {
	uint64_t hash;
	char *sql;
	db_stmt_t *st;
} stmt_slot_t;

/* A change to one job count not yet written (counts.c): of job_counts
 * (job 0, bucket -1), of one waiting job's waiting_on (job its id; key
 * NULL), or of the run-time histogram (bucket >= 0, key NULL: delta jobs
 * more in that bucket of job_run_times, run_ms their run times' sum). */
typedef struct {
	char *key;             /* host key: coalesce(ran_on, host, '') */
	job_status_t status;
	int64_t job;
	int64_t delta;
	int bucket;
	int64_t run_ms;
} count_delta_t;

/* Statements beyond this many are prepared per use and finalized after, so
 * that SQL built from unusual inputs cannot grow the cache without bound. */
#define STORE_STMT_CACHE_MAX 256

/* Savepoint statements a store holds back at most; one more runs at once
 * (the driver sends those held back first). */
#define STORE_SP_QUEUE_MAX 16

/* How long a writer waits for another process's write lock. */
#define STORE_BUSY_TIMEOUT_MS 5000

struct store {
	const store_driver_t *drv;
	void *conn;            /* the driver's connection */
	char *path;            /* as given: a file, or libpq's connection string */
	char *name;            /* as shown: without a password */
	bool make_dirs;        /* SQLite: make a new file's missing directories */
	bool read_only;        /* store_open_read_only: no writes, no migration */
	char id[37];           /* "" until the first migration has made it */
	int schema;            /* highest applied migration */
	int depth;             /* open store_begin() levels */
	bool begin_deferred;   /* store_begin_deferred: the outermost level is
	                        * open, its BEGIN not sent yet (no statement ran) */
	/* Savepoint statements not sent yet, in order (drivers with
	 * lazy_savepoints): 'S' for SAVEPOINT nested, 'R' for RELEASE nested. */
	char sp_queue[STORE_SP_QUEUE_MAX];
	unsigned sp_n;
	bool recording;        /* the open transaction is store_begin_recording's */
	bool reading;          /* the open transaction is store_read_begin's: a
	                        * snapshot that store calls inside it keep */
	int64_t moved_job;     /* the job the open transaction moved last: its row
	                        * is locked (it exists) until the transaction ends */
	bool long_writer;      /* store_long_writer was called */
	bool notify_due;       /* the open transaction changed a job's status */
	bool aborted;          /* the transaction can no longer commit (the database dropped
	                        * it, or a tx_all_finish write failed inside it) */
	stmt_slot_t *cache;
	size_t ncache;
	/* store_token_find_ahead's read of the token with this hash, sent with
	 * the next statement; NULL when none waits for store_token_find. */
	db_stmt_t *token_ahead;
	char token_ahead_hash[65];
	count_delta_t *deltas; /* job count changes of the open transaction */
	size_t ndeltas, capdeltas;
	size_t *marks;         /* marks[d - 1]: ndeltas when level d began */
	size_t nmarks, capmarks;
};

/* ---- store.c ---- */

static inline bool db_in_tx(store_t *s)
{
	return s->drv->in_tx(s);
}
/* The open transaction can no longer commit: the database dropped it, or
 * (where a failure ends it) a statement in it failed. */
static inline bool db_tx_lost(store_t *s)
{
	return s->drv->tx_lost(s);
}
static inline int64_t db_changes(store_t *s)
{
	return s->drv->changes(s);
}
/* The id of the row that st, an INSERT just stepped to DB_DONE, made. */
static inline int64_t db_last_id(store_t *s, db_stmt_t *st)
{
	return s->drv->last_id(s, st);
}

/* A prepared statement for sql, from the cache when possible. Always give it
 * back with st_release(), on every path: a statement left un-reset keeps a
 * read snapshot open and holds back WAL checkpoints. */
int st_prepare(store_t *s, const char *sql, db_stmt_t **out, char **err);
/* st_prepare of a statement built in sql, which it frees (an sql whose
 * building ran out of memory is that error). */
int st_prepare_sb(store_t *s, strbuf_t *sql, db_stmt_t **st, char **err);
void st_release(store_t *s, db_stmt_t *st);
/* Steps a statement that returns no rows. */
int st_exec(store_t *s, db_stmt_t *st, const char *what, char **err);
/* Prepares, steps and releases a statement without parameters. */
int st_run(store_t *s, const char *sql, const char *what, char **err);

/* st_prepare of sql with its one parameter bound to id; what names the
 * read in a failure's message. */
int st_open_id(store_t *s, const char *sql, int64_t id, const char *what, db_stmt_t **st,
	       char **err);
/* Several reads at once, each prepared and bound (none stepped yet), seen
 * as one snapshot: in one round trip where the driver can (run_batch),
 * else inside store_read_begin's snapshot, each running at its first
 * step. Step each as usual afterwards, then st_batch_end(s, own). */
int st_batch_begin(store_t *s, db_stmt_t *const *sts, size_t n, bool *own, char **err);
void st_batch_end(store_t *s, bool own);

/* Describes a failure (a db_rc_t from st_step and the like) as "<what>:
 * <reason>" in *err; -1. */
int db_fail_rc(store_t *s, int rc, const char *what, char **err);
/* -1 with a message when the schema is not the one this program knows. */
int store_ready(store_t *s, char **err);
/* Finishes a rollback that failed earlier for want of memory; every public
 * call runs it first (store_ready() and store_begin() do). */
int tx_heal(store_t *s, char **err);
/* store_begin for a claim (claim.c): where the database allows it
 * (sql_begin_claim), claims take turns among themselves and run beside
 * recorders (store_begin_recording), never beside any other writer. */
int store_begin_claim(store_t *s, char **err);
/* Ends a transaction opened with store_begin(): rolls back when rc < 0,
 * else commits; returns rc, or -1 when the commit fails. */
int tx_finish(store_t *s, int rc, char **err);
/* Writes that open no savepoint inside a caller's transaction. A savepoint
 * copies every page a write touches into a sub-journal, and every statement
 * inside it then rewinds that journal from its start: for a single write
 * the copy costs more than the write, and around a bulk insert into a large
 * store each insert gets slower than the last. tx_lean_begin opens a
 * transaction only when none is open (*own says so; pass it on).
 * tx_one_finish is for a write of exactly one statement: SQLite undoes a
 * failed statement by itself, so the caller may still commit the rest.
 * tx_all_finish is for several statements that stand or fall together: a
 * failure inside a caller's transaction leaves it unable to commit (its
 * store_commit rolls back and says so). */
int tx_lean_begin(store_t *s, bool *own, char **err);
int tx_one_finish(store_t *s, bool own, int rc, char **err);
int tx_all_finish(store_t *s, bool own, int rc, char **err);

/* ---- counts.c: job counts for status changes ---- */

/* The host a job is counted under: coalesce(ran_on, host, ''). */
static inline const char *count_key(const char *ran_on, const char *host)
{
	return ran_on ? ran_on : host ? host : "";
}
/* Notes that a job moved from (old_key, old_status) to (new_key,
 * new_status); the key is coalesce(ran_on, host, ''). Call it inside a
 * transaction, after the change is written; on failure the transaction can
 * no longer commit. */
int counts_note(store_t *s, const char *old_key, job_status_t old_status, const char *new_key,
		job_status_t new_status, char **err);
/* Notes that one dependency of waiting job `id` is met: its waiting_on
 * goes down by one with the outermost commit, as the job counts do (so
 * that the write, with the claim indexes it touches, is made once per
 * transaction outside every savepoint, not once per finished job inside
 * its own), and only while the job is still queued. */
int counts_note_release(store_t *s, int64_t id, char **err);
/* A job that ran for run_ms and finished (completed, failed or timeout):
 * one more in its bucket of the run-time histogram (metrics.c), written
 * with the outermost commit like the counts. */
int counts_note_run(store_t *s, int64_t run_ms, char **err);
/* Jobs launching or running under host key (their ran_on): what the
 * store holds plus what the open transaction changed. */
int counts_active(store_t *s, const char *key, int64_t *n, char **err);
/* Transaction levels (store.c calls these): a level begun (depth
 * already counts it), committed into its parent, or rolled back. */
int counts_level_begin(store_t *s);
void counts_level_commit(store_t *s);
void counts_level_rollback(store_t *s);
void counts_clear(store_t *s);
/* Writes the noted changes into job_counts; just before the outermost
 * commit. */
int counts_flush(store_t *s, char **err);
void counts_free(store_t *s);
/* Counts every job again from the jobs table (inside a transaction). */
int counts_recount(store_t *s, char **err);

/* ---- the reads of one job's detail (job_detail.c batches them) ----
 * Each SQL takes the job's id as its one parameter; each _collect steps
 * its statement through its rows (st_open_id opened it). */
#define SQL_JOB_BY_ID "SELECT " JOB_COLUMNS " FROM jobs WHERE id = ?"
/* 1 when there is no such job. */
int job_collect(store_t *s, db_stmt_t *st, job_t *out, char **err);
#define SQL_HISTORY                                                  \
	"SELECT at, attempt, from_status, to_status, actor, reason " \
	"FROM job_history WHERE job_id = ? ORDER BY id"
int history_collect(store_t *s, db_stmt_t *st, job_event_t **out, size_t *n, char **err);
/* The latest attempt with any output, as store_output_get's 0; the sizes
 * only: the bytes stay in the store. */
#define SQL_OUTPUT_SIZES                                                    \
	"SELECT stream, length(data), truncated, total_bytes FROM job_output " \
	"WHERE job_id = ?1 AND attempt = "                                    \
	"(SELECT max(attempt) FROM job_output WHERE job_id = ?1)"
int output_sizes_collect(store_t *s, db_stmt_t *st, store_output_size_t sizes[2], char **err);
/* A job's links, each row led by its direction (0: a job it waits for;
 * 1: a job that waits for it), then the other job's id, the condition,
 * the edge's stored state, the other job's status and the status of the
 * edge's dependency (which settles an edge still stored as waiting). */
#define SQL_LINK_AFTER_ARM                                                     \
	"SELECT 0, d.after_id, d.cond, d.state, a.status, a.status FROM job_deps d " \
	"JOIN jobs a ON a.id = d.after_id WHERE d.job_id = ?1"
#define SQL_LINK_BEFORE_ARM                                                  \
	"SELECT 1, d.job_id, d.cond, d.state, j.status, a.status FROM job_deps d " \
	"JOIN jobs j ON j.id = d.job_id JOIN jobs a ON a.id = d.after_id "        \
	"WHERE d.after_id = ?1"
/* Both directions in one read, each by id; and what waits for the job. */
#define SQL_LINKS SQL_LINK_AFTER_ARM " UNION ALL " SQL_LINK_BEFORE_ARM " ORDER BY 1, 2"
#define SQL_LINKS_BEFORE SQL_LINK_BEFORE_ARM " ORDER BY 2"
/* id: the job whose links these are, for a message. Rows of direction 0
 * go to *after, of 1 to *before. */
int links_collect(store_t *s, db_stmt_t *st, int64_t id, store_dep_t **after, size_t *nafter,
		  store_dep_t **before, size_t *nbefore, char **err);

/* ---- metrics.c ---- */
/* job_run_times counted afresh from the finished jobs the store holds
 * (a store migrated to it, or made by db copy). */
int metrics_count_run_times(store_t *s, char **err);

/* Positional binding that remembers the first failure, so a long list of
 * parameters is bound first and checked once. */
typedef struct {
	db_stmt_t *st;
	int i;
	int rc;
} binder_t;
void bind_start(binder_t *b, db_stmt_t *st);
void bind_i64(binder_t *b, int64_t v);
void bind_text(binder_t *b, const char *v);   /* NULL binds SQL NULL */
void bind_blob(binder_t *b, const void *data, size_t len); /* never NULL */
void bind_null(binder_t *b);
int bind_check(store_t *s, binder_t *b, const char *what, char **err);
/* Checks the binding, steps a write and releases it; 1 when it changed no
 * row. */
int exec_changes(store_t *s, db_stmt_t *st, binder_t *b, const char *what,
		 char **err);
/* Runs "SELECT count(*) ..." with at most one text parameter. */
int query_count(store_t *s, const char *sql, const char *arg, int64_t *n, char **err);
/* The same with a number as ?1. */
int query_count_at(store_t *s, const char *sql, int64_t v, int64_t *n, char **err);

/* A malloc'd copy of a text column, or NULL for SQL NULL. *oom is set when
 * a copy could not be made. */
char *col_text(db_stmt_t *st, int col, bool *oom);
/* A copy of a blob column with its length; never NULL unless *oom. A NUL
 * follows the bytes so that text callers may use it as a string. */
char *col_blob(db_stmt_t *st, int col, size_t *len, bool *oom);

/* The names of the host parameters "?,?,?" for n values into sb. */
void sql_placeholders(strbuf_t *sb, size_t n);
/* SQL for "(host IS NULL OR host IN (...))" for a NULL-terminated list of
 * host names, NULL meaning any host ("1"). Bound by bind_hosts(). */
void sql_host_filter(strbuf_t *sb, char *const *hosts);
void bind_hosts(binder_t *b, char *const *hosts);

/* ---- backup_file.c: where a backup goes, for every driver ---- */
/* Refuses a directory, the store itself or (without overwrite) an existing
 * dest; makes *tmp, a new empty file (0600) beside dest to copy into. */
int backup_file_open(store_t *s, const char *dest, bool overwrite, char **tmp, char **err);
/* Syncs the complete copy in tmp and moves it to dest (an existing dest
 * only with overwrite; without, one made meanwhile is refused). */
int backup_file_place(const char *tmp, const char *dest, bool overwrite, char **err);
/* Removes what is left of tmp (and frees the name). */
void backup_file_discard(char *tmp);

/* ---- migrations.c ---- */
/* Reads the applied version (0 for a new file) into s->schema and refuses a
 * database that is not a cjobs store or is newer than this program. */
int migrations_check(store_t *s, char **err);
/* Reads the store id from meta, if the schema has it. */
int migrations_load_id(store_t *s, char **err);
int migrations_latest(const store_t *s);
/* The first migration's data step: the store's own random id. */
int migrations_make_store_id(store_t *s, char **err);

/* ---- strv_codec.c ---- */
/* A string vector as bytes: for each string, its length as 4 bytes (big
 * endian) and then its bytes. Unlike JSON this keeps bytes that are not
 * UTF-8, which a path or argument may legitimately hold. */
int strv_encode(char *const *v, size_t n, strbuf_t *out, char **err);
/* Decodes into a NULL-terminated vector (never NULL on success, even when
 * empty). Malformed input is an error that says so. */
int strv_decode(const void *data, size_t len, char ***out, size_t *n, char **err);

/* ---- hosts.c, templates.c ---- */
/* The columns of hosts and env_templates, in the order their readers take
 * them (copy.c copies every one). */
#define HOST_COLUMNS                                                              \
	"id, name, url, tls_ca, tls_cert, tls_key, tls_verify, max_jobs, weight, " \
	"pull_images, network_mode, enabled, created_at, checked_at, check_ok, "   \
	"check_message, allowances, registry_auth"
#define TEMPLATE_COLUMNS "id, name, description, env, created_at"
/* The columns of schedules (schedules.c reads them in this order). */
#define SCHEDULE_COLUMNS                                                            \
	"id, name, cron, tz, job, concurrency, catch_up, keep, paused, next_due, " \
	"created_at"

/* ---- jobs.c ---- */
/* The jobs columns in the order job_from_row() reads them. The first
 * JOB_SUMMARY_COLUMN_COUNT are a job's summary (JOB_SUMMARY_COLUMNS): what a
 * list of jobs shows, read alone for pages of them (job_filter_t.summary),
 * where the other columns were a third of PostgreSQL's work and more of
 * ours. */
#define JOB_SUMMARY_COLUMNS                                                          \
	"id, name, image, host, priority, status, attempt, exit_code, created_at, "  \
	"queued_at, started_at, finished_at, last_error, ran_on, not_before, "       \
	"waiting_on, schedule_id, max_retries"
#define JOB_COLUMNS                                                                 \
	JOB_SUMMARY_COLUMNS ", uuid, argv, workdir, env, template_name, memory_bytes, " \
	"nano_cpus, timeout_s, peak_memory_bytes, cpu_usage_ns, container_name, "     \
	"container_id, worker_id, lease_until, retry_strategy, retry_exit_codes, "    \
	"container_options, due_at"
/* How many columns each names: a read may add its own after them (unit
 * test store-jobs test_job_column_count counts them). */
#define JOB_SUMMARY_COLUMN_COUNT 18
#define JOB_COLUMN_COUNT 36
/* Fills *out (initialised here) from a row selected with JOB_COLUMNS. */
int job_from_row(db_stmt_t *st, job_t *out, char **err);
/* The same from a row selected with JOB_SUMMARY_COLUMNS: the other members
 * keep job_init's values. */
int job_summary_from_row(db_stmt_t *st, job_t *out, char **err);
/* Appends one history row. */
int history_append(store_t *s, int64_t job_id, int64_t at, int attempt,
		   job_status_t from, job_status_t to, const char *actor,
		   const char *reason, char **err);
/* jobs.c: the job's row moved from -> to with the fields in set, inside
 * the caller's transaction, the job counts noted; 1 when it was not in
 * from. No history row, no check of the move. */
int job_write_move(store_t *s, const job_t *j, job_status_t from, job_status_t to, unsigned set,
		   char **err);
/* deps.c: applies job id's final status to the jobs that wait for it
 * (released, or cancelled and so on down the graph), inside the caller's
 * transaction; history rows under actor. */
int deps_settle(store_t *s, int64_t id, job_status_t status, const char *actor, char **err);
/* deps.c: job id, which had ended in status, goes back to the queue: the
 * edges its end settled are written as settled, so its next end settles
 * nothing twice. */
int deps_freeze(store_t *s, int64_t id, job_status_t status, char **err);
/* One row of history_append_rows (from JOB_STATUS_COUNT: none). */
typedef struct {
	int64_t job_id, at;
	int attempt;
	job_status_t from, to;
	const char *reason;
} history_row_t;
/* Appends n rows by one actor, in as few statements as it can: on a
 * server each statement is a round trip. */
int history_append_rows(store_t *s, const history_row_t *rows, size_t n, const char *actor,
			char **err);

/* ---- claim.c ---- */
/* The query that picks jobs to claim (for tests: its plan). */
void claim_sql(const store_driver_t *drv, strbuf_t *sql, char *const *hosts);
/* The claim's UPDATE of the jobs claim_sql picks, with RETURNING (for
 * tests: its plan). run_on: it also records the host and the container's
 * name. Parameters after claim_sql's: worker id, lease, run_on. */
void claim_update_sql(const store_driver_t *drv, strbuf_t *sql, char *const *hosts, bool run_on);

#endif
