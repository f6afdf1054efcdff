/*
 * store/driver.h: the seam between the job store and a database.
 *
 * The store's files (hosts.c, jobs.c, claim.c, ...) hold SQL written once
 * for every database cjobs supports; a driver supplies what differs: how a
 * connection opens, how a statement is prepared, bound, stepped and read,
 * how its failures are named, the statements that open and close a
 * transaction, and the schema's numbered migrations. Each driver is one
 * file (sqlite_driver.c) that fills a store_driver_t.
 *
 * A driver's statement starts with a db_stmt_t, so that the inline calls
 * below reach the right driver from the statement alone. A driver never
 * sees a table's meaning and never writes a message for people beyond its
 * own failure texts: store.c turns result codes into the store's messages.
 */
#ifndef CJOBS_STORE_DRIVER_H
#define CJOBS_STORE_DRIVER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "store/maint.h"

typedef struct store_driver store_driver_t;
/* Called with each problem a database's own integrity check finds. */
typedef void (*store_problem_fn)(void *ud, const char *message);

/* What stepping, preparing or binding came to. The failures are the kinds
 * the store treats differently; everything else is DB_E_ERROR, described
 * by the driver's errmsg. */
typedef enum {
	DB_DONE = 0,              /* the statement ran to its end */
	DB_ROW = 1,               /* a row is ready to read */
	DB_E_ERROR = -1,
	DB_E_UNIQUE = -2,         /* a unique constraint refused the write */
	DB_E_FOREIGN_KEY = -3,    /* a foreign key refused the write */
	DB_E_BUSY = -4,           /* another process held a lock too long */
	DB_E_NOMEM = -5,
	DB_E_FULL = -6,           /* the disk is full */
	DB_E_READONLY = -7,       /* the database cannot be written */
	DB_E_NOTADB = -8,         /* the file or server is not a database */
	DB_E_TOOBIG = -9,         /* a value is larger than the database takes */
	DB_E_GONE = -10,          /* the connection to the database was lost */
} db_rc_t;

typedef struct db_stmt {
	const store_driver_t *drv;
} db_stmt_t;

/* One migration of a driver's schema. A migration, once released, must
 * never be edited: add the next number instead. */
typedef struct {
	int version;
	const char *name;
	const char *sql;
	/* Data steps that SQL alone cannot do, in the same transaction. */
	int (*after)(store_t *s, char **err);
} migration_t;

struct store_driver {
	const char *name;   /* "SQLite" */
	const char *a_name; /* "an SQLite", for messages */
	/* The store is one local file (store_is_file): asked of the table, not
	 * of its address, so that a driver that wraps this one (a test's) is
	 * still the same kind. */
	bool is_file;

	/* Opens s->path (s->conn set), ready for statements; -1 with *err
	 * (the store adds "cannot open job store PATH: " in front). */
	int (*open)(store_t *s, char **err);
	/* Settings of a new connection, once the store can run statements
	 * (st_prepare and the rest work; no transaction is open). */
	int (*set_up)(store_t *s, char **err);
	/* Closes the connection (a long writer first hands back what it can,
	 * see store_long_writer). */
	void (*close)(store_t *s);
	/* True while the connection is inside a transaction, including one
	 * that the database opened or dropped on its own. */
	bool (*in_tx)(store_t *s);
	/* True when the open transaction can no longer commit. */
	bool (*tx_lost)(store_t *s);
	/* Rows changed by the latest write. */
	int64_t (*changes)(store_t *s);
	/* The id of the row an INSERT just made (st stepped to DB_DONE).
	 * Not RETURNING, written once for all: on SQLite that costs some
	 * twenty allocations per row, five times the insert's own. */
	int64_t (*last_id)(store_t *s, db_stmt_t *st);
	/* The database's own words for the latest failure, or for rc. */
	const char *(*errmsg)(store_t *s, int rc);
	/* Runs several statements separated by semicolons, with no
	 * parameters and no rows (a migration). */
	int (*exec_script)(store_t *s, const char *sql);

	/* Statements. keep: it will be reused many times (cached). */
	int (*prepare)(store_t *s, const char *sql, bool keep, db_stmt_t **out);
	/* Ready to run again, bindings cleared; keeps a snapshot no longer. */
	void (*reset)(db_stmt_t *st);
	void (*finalize)(db_stmt_t *st);
	/* Parameters count from 1; text and blobs are copied or outlive the
	 * step, as the driver needs (callers keep them until st_release). */
	int (*bind_i64)(db_stmt_t *st, int i, int64_t v);
	int (*bind_text)(db_stmt_t *st, int i, const char *v);
	int (*bind_blob)(db_stmt_t *st, int i, const void *data, size_t len);
	int (*bind_null)(db_stmt_t *st, int i);
	int (*step)(db_stmt_t *st);
	/* Columns of the current row, counted from 0. */
	bool (*col_null)(db_stmt_t *st, int col);
	int64_t (*col_i64)(db_stmt_t *st, int col);
	/* The bytes of a text or blob column, valid until the next step or
	 * reset; NULL with *len 0 for SQL NULL, NULL with *oom when the
	 * driver ran out of memory getting them. */
	const void *(*col_bytes)(db_stmt_t *st, int col, size_t *len, bool *oom);

	/* The statements of a transaction: the outermost one takes the write
	 * lock at once; inner levels are the savepoint "nested". */
	const char *sql_begin;
	/* The outermost commit; and the one of a transaction that changed a
	 * job's status, which may tell listeners too (NULL: sql_commit). */
	const char *sql_commit, *sql_commit_notify;
	/* The outermost level of a recording transaction
	 * (store_begin_recording): the write lock taken so that recorders may
	 * hold it together, and no other writer beside them. NULL: sql_begin
	 * (one writer at a time, recorders too). */
	const char *sql_begin_recording;
	/* The outermost level of a claim: the write lock shared as by
	 * recorders, and a second lock that claims hold one at a time. NULL:
	 * sql_begin. */
	const char *sql_begin_claim;
	/* A read of several statements that agree with each other. */
	const char *sql_begin_read;
	/* Optional: runs sts (prepared and bound, none stepped yet) in one
	 * round trip, each then stepping through its rows as if it had just
	 * run; with snapshot (no transaction is open) between sql_begin_read
	 * and a COMMIT sent with them. NULL: st_batch_begin opens a read
	 * snapshot and each runs at its first step (a local database, where
	 * a statement costs no round trip). */
	int (*run_batch)(store_t *s, db_stmt_t *const *sts, size_t n, bool snapshot);
	/* After the table name in each arm of the claim's query (claim.c):
	 * a way to make the walk of the ready jobs' claim index certain, or "". */
	const char *claim_hint_host;
	/* The claim's UPDATE's WHERE, around its pick (claim_sql): the job is
	 * still queued and among those picked, written so that the database
	 * looks up exactly the ids picked. */
	const char *claim_ids_open, *claim_ids_close;
	/* After a SELECT of one job's row, to keep it from changing until the
	 * transaction ends (PostgreSQL's FOR SHARE), or "" where the write
	 * lock already keeps every other writer out. */
	const char *sql_lock_share;
	/* The same for counting the ready jobs (the claim index by host),
	 * and for the soonest start time to come (jobs_scheduled, which
	 * holds the ready jobs that have a start time). */
	const char *ready_hint, *scheduled_hint;
	/* The same for the jobs that wait for others (jobs_waiting): their
	 * counts, and `job list --waiting`. */
	const char *waiting_hint;
	/* Run (when not NULL) before a cleanup's batches of deletes. */
	const char *sql_bulk_delete;
	/* A failed statement leaves the transaction unable to commit (it
	 * must be rolled back, to a savepoint at least); without this flag a
	 * failed statement is undone alone. */
	bool failure_ends_tx;
	/* Savepoints cost a round trip each on a server: store.c holds the
	 * statements of its inner levels back in s->sp_queue ('S' SAVEPOINT
	 * nested, 'R' RELEASE nested), drops a level that ran nothing and the
	 * releases an outer commit makes needless, and the driver sends what
	 * is left, in order, before the next statement it runs (with it, in
	 * one round trip, where it can), emptying the queue. When one of them
	 * fails, the transaction must not commit (tx_lost). */
	bool lazy_savepoints;
	/* Optional, with lazy_savepoints: st_later marks the next run of a
	 * write whose result its caller does not need at once (reset forgets
	 * the mark); inside a transaction the driver
	 * may hold it back as 'W' in the same queue, answer DB_DONE, and send
	 * it with what follows (a failure then dooms the transaction).
	 * drop_held forgets the held writes whenever store.c empties the
	 * queue without sending it. */
	void (*later)(db_stmt_t *st);
	void (*drop_held)(store_t *s);
	/* Optional: st_ahead sends a read (prepared and bound, not yet
	 * stepped) with the next statement that goes to the database server,
	 * in the same round trip, and keeps its answer for its first step; a
	 * read stepped before anything else was sent runs alone then. reset
	 * forgets it. One at a time: a second is not sent ahead. NULL: a local
	 * database, where a statement costs no round trip. */
	void (*ahead)(db_stmt_t *st);

	/* SQL that counts the tables of the database (0 for a new one) and
	 * answers whether schema_migrations exists. */
	const char *sql_count_tables;
	const char *sql_has_migrations;
	/* CREATE TABLE IF NOT EXISTS schema_migrations (version, name,
	 * applied_at). */
	const char *sql_create_migrations;

	/* Ends with an entry of version 0. */
	const migration_t *migrations;

	/* A connection that was lost (DB_E_GONE) is made again: true/0 when
	 * the connection is fine now. lost answers whether it is lost. */
	bool (*lost)(store_t *s);
	int (*reconnect)(store_t *s, char **err);

	/* Watching for other processes' commits (store_watch, store.h); the
	 * driver owns the fd and closes it with the connection. */
	int (*watch)(store_t *s, int *fd, char **err);
	bool (*changed)(store_t *s);

	/* A worker's liveness lock (store/workers.c): held from registration
	 * until released or until the process (or its connection) ends;
	 * liveness_free answers 1 when no one holds id's lock, 0 when someone
	 * does, -1 on error. */
	int (*liveness_hold)(store_t *s, const char *id, char **err);
	void (*liveness_release)(store_t *s, const char *id);
	int (*liveness_free)(store_t *s, const char *id, char **err);

	/* Maintenance (maint.h says what each is for). */
	/* Bytes the store takes on disk. */
	int (*file_bytes)(store_t *s, int64_t *bytes, char **err);
	/* file_bytes, wal_bytes, page_size, page_count, freelist_count. */
	int (*space)(store_t *s, store_stats_t *o, char **err);
	/* The database's own check of its structures. */
	int (*integrity)(store_t *s, store_problem_fn problem, void *ud, char **err);
	/* Gives free space back; outside any transaction. */
	int (*vacuum)(store_t *s, char **err);
	/* A consistent copy into dest while others go on writing. */
	int (*backup)(store_t *s, const char *dest, bool overwrite, int64_t *bytes,
		      store_progress_fn progress, void *ud, char **err);
};

extern const store_driver_t sqlite_driver;
extern const store_driver_t pg_driver;

/* Each call goes to the statement's own driver. */
static inline void st_later(db_stmt_t *st)
{
	if (st->drv->later)
		st->drv->later(st);
}
static inline void st_ahead(db_stmt_t *st)
{
	if (st->drv->ahead)
		st->drv->ahead(st);
}
static inline int st_step(db_stmt_t *st)
{
	return st->drv->step(st);
}
static inline bool col_null(db_stmt_t *st, int col)
{
	return st->drv->col_null(st, col);
}
static inline int64_t col_i64(db_stmt_t *st, int col)
{
	return st->drv->col_i64(st, col);
}
static inline int col_int(db_stmt_t *st, int col)
{
	return (int)st->drv->col_i64(st, col);
}
static inline void st_reset(db_stmt_t *st)
{
	st->drv->reset(st);
}
/* The bytes of a blob (or text) column for a moment: NULL with *len 0 for
 * SQL NULL; *oom set when they could not be had. */
static inline const void *col_raw(db_stmt_t *st, int col, size_t *len, bool *oom)
{
	return st->drv->col_bytes(st, col, len, oom);
}
/* A text column for a moment (until the next step): NULL for SQL NULL or
 * when memory is short. Copy it with col_text() to keep it. */
static inline const char *col_str(db_stmt_t *st, int col)
{
	size_t len;
	bool oom = false;
	return st->drv->col_bytes(st, col, &len, &oom);
}

#endif
