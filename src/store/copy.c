/*
 * store/copy.c: copying a whole store into another (copy.h), from either
 * driver to either driver, through the same statements as the rest of the
 * store: each table's columns are listed once below, read from the source
 * in batches by key, and written to the target in multi-row INSERTs.
 *
 * The source is read inside one read transaction (one snapshot) and never
 * written; the target is written inside one transaction, so a failure
 * leaves it as it was. What differs between the databases here (the id
 * sequences, how to tell that two names are one database, the count
 * trigger that must be off for a bulk insert into PostgreSQL, ANALYZE
 * after it) is in the dialect table at the top, one entry per driver.
 *
 * It must never print.
 */
#include "store/copy.h"

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "store/store_int.h"
#include "util/err.h"
#include "util/strbuf.h"

/* Rows read from the source in one batch, at most, and the bytes a batch
 * stops at (a row of captured output may hold megabytes). The next batch
 * is sized from the bytes per row of the last one. */
#define BATCH_ROWS 512
#define BATCH_BYTES (8 << 20)
/* Rows in one INSERT, at most: on a server every statement is a round
 * trip, and a list of rows costs one. Smaller lists (halves of it) write
 * the rest of a batch, so that few statement texts are ever prepared. */
#define INSERT_ROWS 64

/* ---- the dialects ---- */

typedef struct {
	/* The next id the sequence of table ?1's id column would give (1 for
	 * a sequence never used). */
	const char *sql_next_id;
	/* Moves that sequence so that its next id is ?2 (?1 the table). */
	const char *sql_set_next_id[2];
	/* A text that names the database the connection is on, the same for
	 * two connections to one database; NULL for a file, compared by its
	 * device and inode. */
	const char *sql_identity;
	/* Run on the target once the copy is committed (NULL: nothing). */
	const char *sql_after;
	/* Around the copy of the jobs (NULL: nothing), and undone by the
	 * second: the counts are made afresh after it anyway. */
	const char *sql_jobs_before, *sql_jobs_after;
	/* 1 when table ?1 exists: a table of a later migration is counted
	 * only where it is (a new target left half-migrated by a failure). */
	const char *sql_table_exists;
} dialect_t;

static const dialect_t lite_dialect = {
	/* AUTOINCREMENT tables (jobs) remember the highest id they ever gave
	 * in sqlite_sequence; the others give max(id) + 1. */
	.sql_next_id = "SELECT coalesce((SELECT max(seq) FROM sqlite_sequence WHERE name = ?1), "
		       "0) + 1",
	.sql_set_next_id = {
		"UPDATE sqlite_sequence SET seq = ?2 - 1 WHERE name = ?1 AND seq < ?2 - 1",
		/* Not for a table that never gave an id (next 1): its row would
		 * make the copy differ from a store that never had one. */
		"INSERT INTO sqlite_sequence (name, seq) SELECT ?1, ?2 - 1 WHERE ?2 > 1 AND NOT EXISTS "
		"(SELECT 1 FROM sqlite_sequence WHERE name = ?1) AND EXISTS (SELECT 1 FROM "
		"sqlite_master WHERE type = 'table' AND name = ?1 AND sql LIKE '%AUTOINCREMENT%')",
	},
	.sql_identity = NULL,
	/* No ANALYZE: the store's queries are planned without statistics
	 * (sqlite_schema.c, migration 4, says why). */
	.sql_after = NULL,
	.sql_jobs_before = NULL,
	.sql_jobs_after = NULL,
	.sql_table_exists = "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = ?1",
};

static const dialect_t pg_dialect = {
	/* last_value is NULL until the sequence first gives an id. */
	.sql_next_id = "SELECT coalesce((SELECT last_value FROM pg_catalog.pg_sequences WHERE "
		       "format('%I.%I', schemaname, sequencename) = "
		       "pg_get_serial_sequence(?1, 'id')), 0) + 1",
	/* is_called true, so that last_value shows the position (a copy
	 * back reads it there). */
	.sql_set_next_id = {"SELECT setval(pg_get_serial_sequence(?1, 'id')::regclass, "
			    "greatest(?2 - 1, 1), ?2 > 1)",
			    NULL},
	/* The server's start time to the microsecond tells servers apart. */
	.sql_identity = "SELECT current_database() || ' ' || pg_postmaster_start_time()::text",
	/* Statistics of the new rows at once: until autovacuum comes by, the
	 * planner would take the tables for empty, and 'db check' after the
	 * copy walked the whole history once per job. */
	.sql_after = "ANALYZE",
	/* The trigger that counts each inserted job updates the one row of
	 * its host and status; in one transaction every such update walks the
	 * versions the earlier ones left (they cannot be pruned before the
	 * commit), so 100,000 jobs took minutes. The ALTER is the
	 * transaction's own: nobody else ever sees the trigger off. */
	.sql_jobs_before = "ALTER TABLE jobs DISABLE TRIGGER job_counts_insert",
	.sql_jobs_after = "ALTER TABLE jobs ENABLE TRIGGER job_counts_insert",
	.sql_table_exists = "SELECT count(*) FROM pg_catalog.pg_tables WHERE schemaname = "
			    "current_schema() AND tablename = ?1",
};

static const dialect_t *dialect(store_t *s)
{
	return store_is_file(s) ? &lite_dialect : &pg_dialect;
}

/* ---- the tables ---- */

typedef struct {
	const char *name;
	const char *what;      /* for progress and messages */
	const char *columns;
	const char *kinds;     /* per column: i integer, t text, b bytes */
	/* The key the batches walk, in order: integer columns, the first
	 * ones of columns; "" for a table read whole (meta). */
	const char *keys;
	int nkeys;
	/* Rows to copy, when not all: rows whose job is gone are left out;
	 * the same for a batch, where ?1 is the first key's value from which
	 * it reads (so that a server walks the jobs from there, not from the
	 * first job for every batch). */
	const char *filter, *batch_filter;
	int first_rows;        /* the first batch's rows */
	bool has_id;           /* its id comes from a sequence */
	bool later;            /* made by a later migration than the first */
	size_t count_at;       /* its count in store_copy_counts_t */
} table_t;

#define JOB_EXISTS(t) "EXISTS (SELECT 1 FROM jobs WHERE jobs.id = " t ".job_id)"
#define JOB_EXISTS_FROM(t) \
	"EXISTS (SELECT 1 FROM jobs WHERE jobs.id = " t ".job_id AND jobs.id >= ?1)"

/* In the order they are written: a job after the hosts and templates it
 * names, history and output after their jobs. */
#define AT(field) offsetof(store_copy_counts_t, field)
static const table_t tables[] = {
	{"meta", "meta rows", "key, value", "tt", "", 0, NULL, NULL, BATCH_ROWS, false, false,
	 AT(meta_rows)},
	{"hosts", "hosts", HOST_COLUMNS, "itttttiiiitiiiittt", "id", 1, NULL, NULL, BATCH_ROWS,
	 true, false, AT(hosts)},
	{"env_templates", "templates", TEMPLATE_COLUMNS, "ittbi", "id", 1, NULL, NULL,
	 BATCH_ROWS, true, false, AT(templates)},
	{"api_tokens", "API tokens", "id, name, scope, hash, created_at, revoked_at", "itttii",
	 "id", 1, NULL, NULL, BATCH_ROWS, true, true, AT(tokens)},
	{"schedules", "schedules", SCHEDULE_COLUMNS, "ittttttiiii", "id", 1, NULL, NULL,
	 BATCH_ROWS, true, true, AT(schedules)},
	{"schedule_skips", "skipped runs", "id, schedule_id, due_at, at, reason", "iiiit", "id", 1,
	 NULL, NULL, BATCH_ROWS, true, true, AT(schedule_skips)},
	{"jobs", "jobs", JOB_COLUMNS, "itttitiiiiiittiiii" "tbtbtiiiiitttittti", "id", 1, NULL, NULL,
	 BATCH_ROWS, true, false, AT(jobs)},
	{"job_history", "history rows",
	 "id, job_id, at, attempt, from_status, to_status, actor, reason", "iiiitttt", "id", 1,
	 JOB_EXISTS("job_history"), JOB_EXISTS("job_history"), BATCH_ROWS, true, false,
	 AT(history_rows)},
	{"job_deps", "dependency rows", "job_id, after_id, cond, state", "iitt",
	 "job_id, after_id", 2, NULL, NULL, BATCH_ROWS, false, true, AT(dep_rows)},
	{"job_output", "output rows", "job_id, attempt, stream, data, truncated, total_bytes",
	 "iiibii", "job_id, attempt, stream", 3, JOB_EXISTS("job_output"),
	 JOB_EXISTS_FROM("job_output"), 16, false, false, AT(output_rows)},
};
#define NTABLES (sizeof(tables) / sizeof(tables[0]))

static int64_t *count_of(store_copy_counts_t *c, const table_t *t)
{
	return (int64_t *)((char *)c + t->count_at);
}

static int64_t count_in(const store_copy_counts_t *c, const table_t *t)
{
	return *(const int64_t *)((const char *)c + t->count_at);
}

bool store_copy_counts_empty(const store_copy_counts_t *c)
{
	return !c->hosts && !c->templates && !c->tokens && !c->schedules && !c->jobs &&
	       !c->history_rows && !c->dep_rows &&
	       !c->output_rows && !c->orphan_rows;
}

/* ---- counting ---- */

static int count_sql(store_t *s, const char *fmt, const table_t *t, int64_t *n, char **err)
{
	char *sql = NULL;
	if (asprintf(&sql, fmt, t->name, t->filter ? t->filter : "true") < 0)
		return err_set(err, "out of memory");
	int rc = query_count(s, sql, NULL, n, err);
	free(sql);
	return rc;
}

/* Counts inside whatever transaction is open. */
static int count_rows(store_t *s, store_copy_counts_t *c, char **err)
{
	memset(c, 0, sizeof(*c));
	for (size_t i = 0; i < NTABLES; i++) {
		const table_t *t = &tables[i];
		int64_t all = 0, there = 1;
		if (t->later &&
		    query_count(s, dialect(s)->sql_table_exists, t->name, &there, err) < 0)
			return -1;
		if (!there)
			continue;
		if (count_sql(s, "SELECT count(*) FROM %s WHERE %s", t, count_of(c, t), err) < 0)
			return -1;
		if (t->filter) {
			if (count_sql(s, "SELECT count(*) FROM %s", t, &all, err) < 0)
				return -1;
			c->orphan_rows += all - *count_of(c, t);
		}
	}
	return query_count(s, "SELECT coalesce(sum(length(data)), 0) FROM job_output WHERE "
			      JOB_EXISTS("job_output"),
			   NULL, &c->output_bytes, err);
}

int store_copy_contents(store_t *s, store_copy_counts_t *out, char **err)
{
	memset(out, 0, sizeof(*out));
	int schema = 0;
	if (store_schema_version(s, &schema, NULL, err) < 0)
		return -1;
	if (schema < 1)
		return 0;
	bool own = false;
	if (store_read_begin(s, &own, err) < 0)
		return -1;
	int rc = count_rows(s, out, err);
	store_read_end(s, own);
	return rc;
}

/* ---- one database or two ---- */

static int identity(store_t *s, const char *sql, char **out, char **err)
{
	db_stmt_t *st = NULL;
	*out = NULL;
	if (st_prepare(s, sql, &st, err) < 0)
		return -1;
	int step = st_step(st);
	bool oom = false;
	if (step == DB_ROW)
		*out = col_text(st, 0, &oom);
	st_release(s, st);
	if (step != DB_ROW)
		return db_fail_rc(s, step, "cannot tell which database the store is", err);
	if (oom || !*out)
		return err_set(err, oom ? "out of memory" : "cannot tell which database the store is");
	return 0;
}

static int same_database(store_t *a, store_t *b, bool *same, char **err)
{
	*same = false;
	if (a->drv != b->drv)
		return 0;
	const char *sql = dialect(a)->sql_identity;
	if (!sql) {
		struct stat sa, sb;
		*same = stat(a->path, &sa) == 0 && stat(b->path, &sb) == 0 &&
			sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
		return 0;
	}
	char *ia = NULL, *ib = NULL;
	int rc = identity(a, sql, &ia, err);
	if (rc == 0)
		rc = identity(b, sql, &ib, err);
	if (rc == 0)
		*same = strcmp(ia, ib) == 0;
	free(ia);
	free(ib);
	return rc;
}

/* ---- batches ---- */

typedef struct {
	bool null;
	int64_t i;
	char *p;      /* text and bytes, followed by a NUL */
	size_t len;
} cell_t;

typedef struct {
	const table_t *t;
	int ncols;
	cell_t *cells;       /* rows * ncols */
	int rows, cap;
	int64_t bytes;       /* of text and bytes in the batch */
	int64_t key[3];      /* the last row's key */
	bool done;           /* the source has no rows past key */
} batch_t;

static void batch_clear(batch_t *b)
{
	for (int i = 0; i < b->rows * b->ncols; i++)
		free(b->cells[i].p);
	b->rows = 0;
	b->bytes = 0;
}

/* The keys' placeholders come first, so that they are ?1, ?2, ... and
 * the filter's ?1 is the first key; the limit is the last. */
static char *select_sql(const table_t *t)
{
	strbuf_t sb = STRBUF_INIT;
	sb_printf(&sb, "SELECT %s FROM %s WHERE ", t->columns, t->name);
	if (t->nkeys > 0) {
		sb_printf(&sb, "(%s) > (", t->keys);
		sql_placeholders(&sb, (size_t)t->nkeys);
		sb_puts(&sb, ") AND ");
	}
	sb_puts(&sb, t->batch_filter ? t->batch_filter : "true");
	if (t->nkeys > 0)
		sb_printf(&sb, " ORDER BY %s LIMIT ?", t->keys);
	return sb.buf;
}

/* Reads the next batch of at most `limit` rows past b->key. */
static int batch_read(store_t *src, batch_t *b, int limit, char **err)
{
	batch_clear(b);
	if (limit > b->cap) {
		cell_t *c = realloc(b->cells, (size_t)limit * (size_t)b->ncols * sizeof(*c));
		if (!c)
			return err_set(err, "out of memory");
		b->cells = c;
		b->cap = limit;
	}
	char *sql = select_sql(b->t);
	if (!sql)
		return err_set(err, "out of memory");
	db_stmt_t *st = NULL;
	int rc = st_prepare(src, sql, &st, err);
	free(sql);
	if (rc < 0)
		return -1;
	binder_t bd;
	bind_start(&bd, st);
	for (int k = 0; k < b->t->nkeys; k++)
		bind_i64(&bd, b->key[k]);
	if (b->t->nkeys > 0)
		bind_i64(&bd, limit);
	if (bind_check(src, &bd, "cannot read the source", err) < 0) {
		st_release(src, st);
		return -1;
	}
	int step = DB_DONE;
	bool oom = false;
	while (!oom && b->rows < limit && b->bytes < BATCH_BYTES &&
	       (step = st_step(st)) == DB_ROW) {
		cell_t *row = &b->cells[b->rows * b->ncols];
		memset(row, 0, (size_t)b->ncols * sizeof(*row));
		b->rows++;
		for (int c = 0; c < b->ncols; c++) {
			if (col_null(st, c)) {
				row[c].null = true;
			} else if (b->t->kinds[c] == 'i') {
				row[c].i = col_i64(st, c);
			} else {
				row[c].p = col_blob(st, c, &row[c].len, &oom);
				b->bytes += (int64_t)row[c].len;
				if (oom)
					break;
			}
		}
		for (int k = 0; k < b->t->nkeys; k++)
			b->key[k] = row[k].i;
	}
	st_release(src, st);
	if (oom)
		return err_set(err, "out of memory");
	if (step != DB_ROW && step != DB_DONE)
		return db_fail_rc(src, step, "cannot read the source", err);
	/* A batch cut short by its bytes or limit may have more behind it (the
	 * loop steps only while a row fits, so DB_DONE means the table ended);
	 * a table without a key is read whole. */
	b->done = step == DB_DONE;
	if (b->t->nkeys == 0 && !b->done)
		return err_set(err, "cannot copy the %s: more than %d rows", b->t->what, limit);
	return 0;
}

static char *insert_sql(const table_t *t, int ncols, int rows)
{
	strbuf_t sb = STRBUF_INIT;
	sb_printf(&sb, "INSERT INTO %s (%s) VALUES ", t->name, t->columns);
	for (int r = 0; r < rows; r++) {
		sb_puts(&sb, r ? ", (" : "(");
		sql_placeholders(&sb, (size_t)ncols);
		sb_puts(&sb, ")");
	}
	return sb.buf;
}

/* Writes rows [from, from + n) of the batch in one statement. */
static int insert_rows(store_t *dst, const batch_t *b, int from, int n, char **err)
{
	char *sql = insert_sql(b->t, b->ncols, n);
	if (!sql)
		return err_set(err, "out of memory");
	db_stmt_t *st = NULL;
	int rc = st_prepare(dst, sql, &st, err);
	free(sql);
	if (rc < 0)
		return -1;
	binder_t bd;
	bind_start(&bd, st);
	for (int i = from * b->ncols; i < (from + n) * b->ncols; i++) {
		const cell_t *c = &b->cells[i];
		char kind = b->t->kinds[i % b->ncols];
		if (c->null)
			bind_null(&bd);
		else if (kind == 'i')
			bind_i64(&bd, c->i);
		else if (kind == 't')
			bind_text(&bd, c->p);
		else
			bind_blob(&bd, c->p, c->len);
	}
	char what[96];
	const cell_t *first = &b->cells[from * b->ncols];
	if (b->t->nkeys > 0)
		snprintf(what, sizeof(what), "cannot copy the %s (from %s %lld)", b->t->what,
			 b->t->nkeys == 1 ? "id" : "job", (long long)first->i);
	else
		snprintf(what, sizeof(what), "cannot copy the %s", b->t->what);
	rc = bind_check(dst, &bd, what, err);
	if (rc == 0)
		rc = st_exec(dst, st, what, err);
	st_release(dst, st);
	return rc;
}

static int batch_write(store_t *dst, const batch_t *b, char **err)
{
	int done = 0;
	while (done < b->rows) {
		int n = INSERT_ROWS;
		while (n > b->rows - done)
			n /= 2;
		if (insert_rows(dst, b, done, n, err) < 0)
			return -1;
		done += n;
	}
	return 0;
}

static int copy_table(store_t *src, store_t *dst, const table_t *t, int64_t total,
		      int64_t *copied, store_copy_progress_fn progress, void *ud, char **err)
{
	batch_t b = {.t = t, .ncols = (int)strlen(t->kinds)};
	int ncols = 1;
	for (const char *p = t->columns; *p; p++)
		ncols += *p == ',';
	if (ncols != b.ncols)
		return err_set(err, "cannot copy the %s: %d columns but %d kinds (a bug)", t->what,
			       ncols, b.ncols);
	for (int k = 0; k < 3; k++)
		b.key[k] = INT64_MIN;
	int limit = t->first_rows;
	int rc = 0;
	*copied = 0;
	if (progress)
		progress(ud, t->what, 0, total);
	while (!b.done) {
		rc = batch_read(src, &b, limit, err);
		if (rc == 0)
			rc = batch_write(dst, &b, err);
		if (rc < 0)
			break;
		*copied += b.rows;
		if (progress)
			progress(ud, t->what, *copied, total);
		/* The next batch: as many rows as fit the bytes, by this one. */
		int64_t per_row = b.rows ? b.bytes / b.rows + 1 : 1;
		int64_t fit = BATCH_BYTES / per_row;
		limit = fit < 1 ? 1 : fit > BATCH_ROWS ? BATCH_ROWS : (int)fit;
	}
	batch_clear(&b);
	free(b.cells);
	return rc;
}

/* ---- ids ---- */

static int next_id(store_t *s, const table_t *t, int64_t *next, char **err)
{
	int64_t seq = 0, max = 0;
	char *sql = NULL;
	if (query_count(s, dialect(s)->sql_next_id, t->name, &seq, err) < 0)
		return -1;
	if (asprintf(&sql, "SELECT coalesce(max(id), 0) + 1 FROM %s", t->name) < 0)
		return err_set(err, "out of memory");
	int rc = query_count(s, sql, NULL, &max, err);
	free(sql);
	*next = seq > max ? seq : max;
	return rc;
}

static int set_next_id(store_t *s, const table_t *t, int64_t next, char **err)
{
	const dialect_t *d = dialect(s);
	for (size_t i = 0; i < 2 && d->sql_set_next_id[i]; i++) {
		db_stmt_t *st = NULL;
		if (st_prepare(s, d->sql_set_next_id[i], &st, err) < 0)
			return -1;
		binder_t b;
		bind_start(&b, st);
		bind_text(&b, t->name);
		bind_i64(&b, next);
		int rc = bind_check(s, &b, "cannot move the ids on", err);
		if (rc == 0)
			rc = st_exec(s, st, "cannot move the ids on", err);
		st_release(s, st);
		if (rc < 0)
			return -1;
	}
	return 0;
}

/* ---- the copy ---- */

/* Everything the target held, children first; without replace only its
 * meta rows (the id every new store makes) and counts, the rest being
 * empty. */
static int empty_target(store_t *dst, bool replace, char **err)
{
	static const char *const sql[] = {
		"DELETE FROM meta", "DELETE FROM job_counts", "DELETE FROM job_output",
		"DELETE FROM job_history", "DELETE FROM jobs", "DELETE FROM env_templates",
		"DELETE FROM hosts", "DELETE FROM api_tokens", "DELETE FROM schedule_skips",
		"DELETE FROM schedules",
	};
	size_t n = replace ? sizeof(sql) / sizeof(sql[0]) : 2;
	for (size_t i = 0; i < n; i++)
		if (st_run(dst, sql[i], "cannot empty the target", err) < 0)
			return -1;
	return 0;
}

/* Runs sql on the target inside a savepoint: 1 (and nothing changed) when
 * it fails, as it may where the table is not this user's to alter. */
static int try_run(store_t *dst, const char *sql, char **err)
{
	if (store_begin(dst, err) < 0)
		return -1;
	int rc = st_run(dst, sql, "copy", NULL) < 0 ? 1 : 0;
	if (rc == 1) {
		store_rollback(dst);
		return dst->aborted ? err_set(err, "cannot go on with the copy") : 1;
	}
	return store_commit(dst, err);
}

/* The copy inside the target's transaction, with the source's snapshot
 * open. */
static int copy_all(store_t *src, store_t *dst, bool replace, const store_copy_counts_t *total,
		    store_copy_counts_t *copied, store_copy_progress_fn progress, void *ud,
		    char **err)
{
	int64_t next[NTABLES] = {0};
	for (size_t i = 0; i < NTABLES; i++)
		if (tables[i].has_id && next_id(src, &tables[i], &next[i], err) < 0)
			return err_prefix(err, "cannot read the source's ids");
	if (empty_target(dst, replace, err) < 0)
		return -1;
	/* Not ignored when it fails: a failure that ends the transaction (SQLite
	 * ends it on a full disk) would leave the inserts below to commit one by
	 * one. */
	if (dst->drv->sql_bulk_delete &&
	    st_run(dst, dst->drv->sql_bulk_delete, "cannot size the page cache", err) < 0)
		return -1;
	const dialect_t *d = dialect(dst);
	for (size_t i = 0; i < NTABLES; i++) {
		const table_t *t = &tables[i];
		bool jobs = strcmp(t->name, "jobs") == 0;
		int off = 1;
		if (jobs && d->sql_jobs_before && (off = try_run(dst, d->sql_jobs_before, err)) < 0)
			return -1;
		if (copy_table(src, dst, t, count_in(total, t), count_of(copied, t), progress, ud,
			       err) < 0)
			return -1;
		if (jobs && off == 0 && st_run(dst, d->sql_jobs_after, "cannot copy the jobs", err) < 0)
			return -1;
	}
	copied->orphan_rows = total->orphan_rows;
	copied->output_bytes = total->output_bytes;
	/* Derived data, counted from what was copied; the run-time counters
	 * start again from the jobs copied (those cleaned up before are not
	 * in them: a counter reset, to Prometheus). */
	if (counts_recount(dst, err) < 0 || metrics_count_run_times(dst, err) < 0)
		return -1;
	for (size_t i = 0; i < NTABLES; i++) {
		int64_t have = 0;
		if (!tables[i].has_id)
			continue;
		if (next_id(dst, &tables[i], &have, err) < 0 ||
		    set_next_id(dst, &tables[i], have > next[i] ? have : next[i], err) < 0)
			return -1;
	}
	/* What the target now holds must be what was read. */
	store_copy_counts_t in_dst;
	if (count_rows(dst, &in_dst, err) < 0)
		return -1;
	for (size_t i = 0; i < NTABLES; i++) {
		const table_t *t = &tables[i];
		if (count_in(&in_dst, t) != count_in(copied, t) ||
		    count_in(copied, t) != count_in(total, t))
			return err_set(err, "the target holds %lld %s after the copy, but the source "
					    "%lld; nothing was committed",
				       (long long)count_in(&in_dst, t), t->what,
				       (long long)count_in(total, t));
	}
	if (in_dst.output_bytes != total->output_bytes || in_dst.orphan_rows != 0)
		return err_set(err, "the target's captured output differs from the source's "
				    "after the copy; nothing was committed");
	return 0;
}

int store_copy(store_t *src, store_t *dst, bool replace, store_copy_counts_t *copied,
	       store_copy_progress_fn progress, void *ud, char **err)
{
	memset(copied, 0, sizeof(*copied));
	if (store_ready(src, err) < 0)
		return -1;
	if (src->depth > 0 || dst->depth > 0)
		return err_set(err, "cannot copy a store inside a transaction");
	bool same = false;
	if (same_database(src, dst, &same, err) < 0)
		return -1;
	if (same)
		return err_set(err, "the target %s is the source itself", dst->name);
	store_copy_counts_t there;
	if (store_copy_contents(dst, &there, err) < 0)
		return -1;
	if (!replace && !store_copy_counts_empty(&there))
		return err_set(err, "the target %s is not empty (%lld jobs, %lld hosts, %lld "
				    "templates); give --force to replace what it holds, or name an "
				    "empty store",
			       dst->name, (long long)there.jobs, (long long)there.hosts,
			       (long long)there.templates);
	if (dst->schema < migrations_latest(dst) && store_migrate(dst, NULL, err) < 0)
		return err_prefix(err, "cannot prepare the target %s", dst->name);
	if (store_ready(dst, err) < 0)
		return -1;

	if (st_run(src, src->drv->sql_begin_read, "cannot start reading the source", err) < 0)
		return -1;
	store_copy_counts_t total;
	int rc = count_rows(src, &total, err);
	if (rc == 0)
		rc = store_begin(dst, err);
	if (rc == 0) {
		rc = copy_all(src, dst, replace, &total, copied, progress, ud, err);
		rc = tx_finish(dst, rc, err);
	}
	st_run(src, "COMMIT", "cannot finish reading the source", NULL);
	if (rc < 0) {
		memset(copied, 0, sizeof(*copied));
		return -1;
	}
	/* Committed: nothing after this may fail the copy. A failure here
	 * costs only speed. */
	if (dialect(dst)->sql_after)
		(void)st_run(dst, dialect(dst)->sql_after, "cannot analyze the copy", NULL);
	/* The target's id is the source's now (its meta rows are); known
	 * without asking the target, which could fail after the commit. */
	memcpy(dst->id, src->id, sizeof(dst->id));
	return 0;
}
