/*
 * store/store.c: opening and closing the job store on its driver,
 * transactions, and the helpers every store file uses (statement cache,
 * error messages, binding, column copies).
 *
 * It must never know about particular tables: those live in hosts.c,
 * templates.c, jobs.c, claim.c, output.c and migrations.c; nor about a
 * particular database: that is the drivers' (driver.h). It must never
 * print: failures are described in *err.
 */
#include "store/store_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <libgen.h>
#include <unistd.h>

#include "store/dburl.h"
#include "util/err.h"

static void tx_reset(store_t *s);

void store_long_writer(store_t *s)
{
	s->long_writer = true;
}

/* The outermost commit's statement: with notify, the one that tells
 * listeners (where the driver has them). */
static const char *commit_sql(const store_t *s, bool notify)
{
	return notify && s->drv->sql_commit_notify ? s->drv->sql_commit_notify
						   : s->drv->sql_commit;
}

/* The transaction statements are prepared once, at open, so that rolling
 * back after a failed allocation does not first need memory to prepare
 * ROLLBACK. (If running it still fails, tx_heal() finishes it later.) */
static int prepare_tx(store_t *s, char **err)
{
	const char *const sql[] = {
		s->drv->sql_begin, s->drv->sql_commit, commit_sql(s, true), "ROLLBACK", "SAVEPOINT nested",
		"RELEASE nested", "ROLLBACK TO nested",
	};
	for (size_t i = 0; i < sizeof(sql) / sizeof(sql[0]); i++) {
		db_stmt_t *st = NULL;
		if (st_prepare(s, sql[i], &st, err) < 0)
			return -1;
		st_release(s, st);
	}
	const char *more[] = {s->drv->sql_begin_recording, s->drv->sql_begin_claim};
	for (size_t i = 0; i < sizeof(more) / sizeof(more[0]); i++) {
		db_stmt_t *st = NULL;
		if (more[i] && st_prepare(s, more[i], &st, err) < 0)
			return -1;
		st_release(s, st);
	}
	return 0;
}

static void free_store(store_t *s)
{
	if (!s)
		return;
	st_release(s, s->token_ahead);
	for (size_t i = 0; i < s->ncache; i++) {
		s->cache[i].st->drv->finalize(s->cache[i].st);
		free(s->cache[i].sql);
	}
	free(s->cache);
	counts_free(s);
	s->drv->close(s);
	free(s->path);
	free(s->name);
	free(s);
}


/* A store opened read-only must already be at this cjobs's schema: its
 * migrations cannot be applied. */
static int read_only_current(store_t *s, char **err)
{
	int latest = migrations_latest(s);
	if (s->schema >= latest)
		return 0;
	return err_set(err, "it is at schema version %d and this cjobs needs %d, which takes "
			    "writing it, and it cannot be written here (a read-only file system, "
			    "or no write permission): run 'cjobs db migrate' where it can be, or "
			    "use the cjobs that made it",
		       s->schema, latest);
}

static int open_store(const char *path, bool migrate, bool make_dirs, bool read_only,
		      store_t **out, char **err)
{
	*out = NULL;
	if (!path || !*path)
		return err_set(err, "no job store path given");
	dburl_kind_t kind = dburl_kind(path);
	if (kind != DBURL_SQLITE && dburl_check(path, NULL, err) < 0)
		return -1;
	store_t *s = calloc(1, sizeof(*s));
	if (!s || !(s->path = strdup(path)) || !(s->name = dburl_display(path))) {
		if (s)
			free(s->path);
		free(s);
		return err_set(err, "out of memory");
	}
	s->drv = kind == DBURL_POSTGRES ? &pg_driver : &sqlite_driver;
	s->make_dirs = make_dirs;
	s->read_only = read_only;
	/* The transaction statements first: see prepare_tx. */
	if (s->drv->open(s, err) < 0 || prepare_tx(s, err) < 0 || s->drv->set_up(s, err) < 0 ||
	    migrations_check(s, err) < 0 || (read_only && read_only_current(s, err) < 0) ||
	    (migrate && store_migrate(s, NULL, err) < 0) || migrations_load_id(s, err) < 0) {
		/* What to do about a server that cannot be reached. */
		const char *hint = kind == DBURL_POSTGRES && err ? dburl_hint(*err) : NULL;
		if (hint)
			err_set(err, "%s; %s", err_str(*err), hint);
		err_prefix(err, "cannot open job store %s", s->name);
		free_store(s);
		return -1;
	}
	*out = s;
	return 0;
}

int store_open(const char *path, bool migrate, store_t **out, char **err)
{
	return open_store(path, migrate, false, false, out, err);
}

int store_open_making_dirs(const char *path, bool migrate, store_t **out, char **err)
{
	return open_store(path, migrate, true, false, out, err);
}

bool store_unwritable(const char *path)
{
	if (!path || dburl_kind(path) != DBURL_SQLITE || access(path, R_OK) != 0)
		return false;
	if (access(path, W_OK) != 0)
		return true;
	char *copy = strdup(path);
	if (!copy)
		return false;
	bool no = access(dirname(copy), W_OK) != 0;
	free(copy);
	return no;
}

int store_open_read_only(const char *path, store_t **out, char **err)
{
	return open_store(path, false, false, true, out, err);
}

void store_close(store_t *s)
{
	if (!s)
		return;
	if (s->depth > 0) {
		s->depth = 1;
		store_rollback(s);
	}
	free_store(s);
}

const char *store_id(const store_t *s)
{
	return s->id;
}

const char *store_path(const store_t *s)
{
	return s->name;
}

bool store_reads_ahead(const store_t *s)
{
	return s->drv->ahead != NULL;
}

bool store_lost(store_t *s)
{
	return s->drv->lost(s);
}

int store_reconnect(store_t *s, char **err)
{
	if (!s->drv->lost(s))
		return 0;
	/* Whatever was open went with the connection. */
	tx_reset(s);
	if (s->drv->reconnect(s, err) < 0)
		return -1;
	return s->drv->set_up(s, err);
}

int store_watch(store_t *s, int *fd, char **err)
{
	return s->drv->watch(s, fd, err);
}

bool store_changed(store_t *s)
{
	return s->drv->changed(s);
}

bool store_is_file(const store_t *s)
{
	return s->drv->is_file;
}

const char *store_driver_name(const store_t *s)
{
	return s->drv->name;
}

/* ---- transactions ----
 * The outermost level is the driver's sql_begin: it takes the write lock
 * at once. Inner levels are savepoints, so a failed write inside a
 * caller's transaction undoes only itself and the caller may still commit
 * the rest. */

/* A ROLLBACK can itself fail when memory is short, leaving the database inside a
 * transaction that no store_begin() owns (and holding the write lock).
 * Every call starts by finishing that rollback, so the store heals as soon
 * as memory allows and never reads or commits the abandoned writes. */
int tx_heal(store_t *s, char **err)
{
	if (s->depth > 0 || s->reading || !db_in_tx(s))
		return 0;
	if (st_run(s, "ROLLBACK", "cannot roll back an earlier failed write", err) < 0)
		return -1;
	counts_clear(s);
	return 0;
}

/* ---- savepoints held back (driver.h, lazy_savepoints) ---- */

/* Holds a savepoint statement back; -1 when the driver sends them at once
 * or the queue is full (then the caller runs it: the driver sends the
 * queue first, so the order holds). */
static int sp_hold(store_t *s, char op)
{
	if (!s->drv->lazy_savepoints || s->sp_n >= STORE_SP_QUEUE_MAX)
		return -1;
	s->sp_queue[s->sp_n++] = op;
	return 0;
}

/* True, and the SAVEPOINT dropped, when the innermost level's SAVEPOINT
 * was never sent: no statement ran inside it, so it has nothing to keep
 * or undo. */
static bool sp_unsent_level(store_t *s)
{
	if (s->sp_n == 0 || s->sp_queue[s->sp_n - 1] != 'S')
		return false;
	s->sp_n--;
	return true;
}

/* Before the outermost COMMIT: releases still held back are needless (a
 * commit keeps what every savepoint holds); held writes stay, in order.
 * No SAVEPOINT can be left there, since every inner level has ended; if
 * one were, everything stays for the driver to send. */
static void sp_drop_releases(store_t *s)
{
	if (memchr(s->sp_queue, 'S', s->sp_n))
		return;
	unsigned kept = 0;
	for (unsigned i = 0; i < s->sp_n; i++)
		if (s->sp_queue[i] != 'R')
			s->sp_queue[kept++] = s->sp_queue[i];
	s->sp_n = kept;
}

/* Forgets everything held back: the transaction it belonged to is gone. */
static void sp_clear(store_t *s)
{
	s->sp_n = 0;
	if (s->drv->drop_held)
		s->drv->drop_held(s);
}

/* No transaction open any more: nothing of one is kept. */
static void tx_reset(store_t *s)
{
	sp_clear(s);
	counts_clear(s);
	s->depth = 0;
	s->begin_deferred = false;
	s->recording = false;
	s->moved_job = 0;
	s->notify_due = false;
	s->aborted = false;
}

/* store_begin with the outermost level's BEGIN given. */
static int begin_with(store_t *s, const char *begin, char **err)
{
	if (tx_heal(s, err) < 0)
		return -1;
	if (s->depth == 0) {
		if (st_run(s, begin, "cannot start a transaction", err) < 0) {
			/* BEGIN can fail after it has opened the transaction. */
			if (db_in_tx(s))
				st_run(s, "ROLLBACK", "rollback", NULL);
			return -1;
		}
		s->aborted = false;
	} else {
		if (s->aborted)
			return err_set(err, "the transaction was already rolled back after "
					    "an earlier error");
		if (sp_hold(s, 'S') < 0 &&
		    st_run(s, "SAVEPOINT nested", "cannot start a transaction", err) < 0)
			return -1;
	}
	s->depth++;
	if (counts_level_begin(s) < 0) {
		store_rollback(s);
		return err_set(err, "cannot start a transaction: out of memory");
	}
	return 0;
}

int store_begin(store_t *s, char **err)
{
	return begin_with(s, s->drv->sql_begin, err);
}

int store_begin_claim(store_t *s, char **err)
{
	return begin_with(s, s->drv->sql_begin_claim ? s->drv->sql_begin_claim : s->drv->sql_begin,
			  err);
}

int store_begin_recording(store_t *s, char **err)
{
	bool outermost = s->depth == 0;
	if (store_begin_deferred(s, err) < 0)
		return -1;
	if (outermost)
		s->recording = true;
	return 0;
}

int store_begin_deferred(store_t *s, char **err)
{
	if (s->depth > 0)
		return store_begin(s, err);
	if (tx_heal(s, err) < 0)
		return -1;
	s->aborted = false;
	s->depth = 1;
	s->begin_deferred = true;
	if (counts_level_begin(s) < 0) {
		store_rollback(s);
		return err_set(err, "cannot start a transaction: out of memory");
	}
	return 0;
}

/* Sends the BEGIN that store_begin_deferred held back, before the first
 * statement of its transaction. */
static int begin_now(store_t *s, char **err)
{
	s->begin_deferred = false;
	/* Savepoints held back meanwhile come after it: the driver would send
	 * them before. */
	unsigned held = s->sp_n;
	s->sp_n = 0;
	const char *begin = s->recording && s->drv->sql_begin_recording
				    ? s->drv->sql_begin_recording
				    : s->drv->sql_begin;
	int rc = st_run(s, begin, "cannot start a transaction", err);
	s->sp_n = held;
	if (rc == 0)
		return 0;
	if (db_in_tx(s))
		st_run(s, "ROLLBACK", "rollback", NULL);
	s->begin_deferred = true;
	return -1;
}

int store_commit(store_t *s, char **err)
{
	if (s->depth <= 0)
		return err_set(err, "commit without a transaction");
	if (s->depth == 1 && s->begin_deferred) {
		/* No statement ran: nothing to send. */
		tx_reset(s);
		return 0;
	}
	if (s->depth > 1 && sp_unsent_level(s)) {
		counts_level_commit(s);
		s->depth--;
		return 0;
	}
	if (s->depth > 1) {
		if (s->aborted || db_tx_lost(s)) {
			s->aborted = true;
			counts_level_rollback(s);
			s->depth--;
			return err_set(err, "the transaction was rolled back after an "
					    "earlier error");
		}
		int rc = sp_hold(s, 'R') == 0 ? 0 : st_run(s, "RELEASE nested", "cannot commit", err);
		if (rc < 0) {
			store_rollback(s);
		} else {
			counts_level_commit(s);
			s->depth--;
		}
		return rc;
	}
	if (s->aborted || db_tx_lost(s)) {
		store_rollback(s);
		return err_set(err, "the transaction was rolled back after an earlier error");
	}
	sp_drop_releases(s);
	/* The job counts of this transaction's status changes go in with it. */
	if (counts_flush(s, err) < 0 ||
	    st_run(s, commit_sql(s, s->notify_due), "cannot commit", err) < 0) {
		store_rollback(s);
		return -1;
	}
	tx_reset(s);
	return 0;
}

void store_rollback(store_t *s)
{
	if (s->depth <= 0)
		return;
	if (s->depth == 1 && s->begin_deferred) {
		/* No statement ran: nothing to send. */
		tx_reset(s);
		return;
	}
	if (s->depth > 1 && sp_unsent_level(s)) {
		counts_level_rollback(s);
		s->depth--;
		return;
	}
	/* SQLite may already have rolled everything back (out of memory, disk
	 * full); then there is nothing left to undo at this level. */
	bool gone = !db_in_tx(s);
	if (s->depth > 1) {
		/* The row locks taken inside go with it. */
		s->moved_job = 0;
		if (gone || s->aborted ||
		    st_run(s, "ROLLBACK TO nested", "rollback", NULL) < 0 ||
		    st_run(s, "RELEASE nested", "rollback", NULL) < 0)
			s->aborted = true;
		counts_level_rollback(s);
		s->depth--;
		return;
	}
	/* What was held back goes with the rest. */
	sp_clear(s);
	if (!gone)
		st_run(s, "ROLLBACK", "rollback", NULL);
	tx_reset(s);
}

int tx_finish(store_t *s, int rc, char **err)
{
	if (rc < 0) {
		store_rollback(s);
		return -1;
	}
	if (store_commit(s, err) < 0)
		return -1;
	return rc;
}

int tx_lean_begin(store_t *s, bool *own, char **err)
{
	/* Where a failed statement would take the caller's transaction with
	 * it, the write gets its own savepoint after all. */
	*own = s->depth == 0 || s->drv->failure_ends_tx;
	if (*own)
		return store_begin(s, err);
	if (s->aborted)
		return err_set(err, "the transaction was already rolled back after an earlier error");
	return 0;
}

int tx_one_finish(store_t *s, bool own, int rc, char **err)
{
	if (own)
		return tx_finish(s, rc, err);
	/* A failed statement is undone alone, except when SQLite had to drop
	 * the whole transaction (a full disk, for one): then no level may
	 * commit. */
	if (rc < 0 && db_tx_lost(s))
		s->aborted = true;
	return rc;
}

int tx_all_finish(store_t *s, bool own, int rc, char **err)
{
	if (own)
		return tx_finish(s, rc, err);
	if (rc < 0)
		s->aborted = true;
	return rc;
}

/* ---- statement cache ---- */

/* The cache's key: the length and the two ends of the text. Statements here
 * run to hundreds of bytes and are looked up for every write, so hashing all
 * of it cost more than the lookup; texts alike at both ends and of one
 * length are told apart by the comparison that follows. */
static uint64_t hash_sql(const char *sql, size_t len)
{
	uint64_t h = 1469598103934665603ULL ^ len;
	size_t head = len < 48 ? len : 48;
	size_t tail = len - head < 48 ? len - head : 48;
	for (size_t i = 0; i < head; i++)
		h = (h ^ (unsigned char)sql[i]) * 1099511628211ULL;
	for (size_t i = len - tail; i < len; i++)
		h = (h ^ (unsigned char)sql[i]) * 1099511628211ULL;
	return h;
}

int st_prepare(store_t *s, const char *sql, db_stmt_t **out, char **err)
{
	*out = NULL;
	if (s->begin_deferred && begin_now(s, err) < 0)
		return -1;
	size_t len = strlen(sql);
	uint64_t h = hash_sql(sql, len);
	for (size_t i = 0; i < s->ncache; i++) {
		if (s->cache[i].hash == h && strcmp(s->cache[i].sql, sql) == 0) {
			*out = s->cache[i].st;
			return 0;
		}
	}
	bool keep = s->ncache < STORE_STMT_CACHE_MAX;
	db_stmt_t *st = NULL;
	int rc = s->drv->prepare(s, sql, keep, &st);
	if (rc != DB_DONE)
		return db_fail_rc(s, rc, "cannot prepare a query", err);
	if (keep) {
		stmt_slot_t *c = realloc(s->cache, (s->ncache + 1) * sizeof(*c));
		char *copy = strdup(sql);
		if (c)
			s->cache = c;
		if (!c || !copy) {
			free(copy);
			st->drv->finalize(st);
			return err_set(err, "out of memory");
		}
		s->cache[s->ncache++] = (stmt_slot_t){.hash = h, .sql = copy, .st = st};
	}
	*out = st;
	return 0;
}

void st_release(store_t *s, db_stmt_t *st)
{
	if (!st)
		return;
	for (size_t i = 0; i < s->ncache; i++) {
		if (s->cache[i].st == st) {
			st->drv->reset(st);
			return;
		}
	}
	st->drv->finalize(st);
}

int st_exec(store_t *s, db_stmt_t *st, const char *what, char **err)
{
	int rc = st_step(st);
	if (rc == DB_DONE || rc == DB_ROW)
		return 0;
	return db_fail_rc(s, rc, what, err);
}

int st_run(store_t *s, const char *sql, const char *what, char **err)
{
	db_stmt_t *st = NULL;
	if (st_prepare(s, sql, &st, err) < 0)
		return -1;
	int rc = st_exec(s, st, what, err);
	st_release(s, st);
	return rc;
}

/* Runs a write of one row that was bound by the caller; 1 when no row
 * matched. */
int exec_changes(store_t *s, db_stmt_t *st, binder_t *b, const char *what, char **err)
{
	int rc = bind_check(s, b, what, err);
	if (rc == 0)
		rc = st_exec(s, st, what, err);
	if (rc == 0 && db_changes(s) == 0)
		rc = 1;
	st_release(s, st);
	return rc;
}

int st_prepare_sb(store_t *s, strbuf_t *sql, db_stmt_t **st, char **err)
{
	if (sql->failed) {
		sb_free(sql);
		return err_set(err, "out of memory");
	}
	int rc = st_prepare(s, sql->buf, st, err);
	sb_free(sql);
	return rc;
}

/* query_count and query_count_at: one count(*) with at most one
 * parameter, text or a number. */
static int count_one(store_t *s, const char *sql, const char *text, const int64_t *num,
		     int64_t *n, char **err)
{
	db_stmt_t *st = NULL;
	if (st_prepare(s, sql, &st, err) < 0)
		return -1;
	binder_t b;
	bind_start(&b, st);
	if (text)
		bind_text(&b, text);
	if (num)
		bind_i64(&b, *num);
	int rc = bind_check(s, &b, "cannot count", err);
	if (rc == 0) {
		int step = st_step(st);
		if (step == DB_ROW)
			*n = col_i64(st, 0);
		else
			rc = db_fail_rc(s, step, "cannot count", err);
	}
	st_release(s, st);
	return rc;
}

int query_count(store_t *s, const char *sql, const char *arg, int64_t *n, char **err)
{
	return count_one(s, sql, arg, NULL, n, err);
}

int query_count_at(store_t *s, const char *sql, int64_t v, int64_t *n, char **err)
{
	return count_one(s, sql, NULL, &v, n, err);
}

/* ---- a read snapshot: several SELECTs that agree with each other ---- */

int store_read_begin(store_t *s, bool *own, char **err)
{
	*own = false;
	if (s->depth > 0 || db_in_tx(s))
		return 0; /* the caller's transaction is the snapshot */
	if (st_run(s, s->drv->sql_begin_read, "cannot read the job store", err) < 0)
		return -1;
	*own = true;
	s->reading = true;
	return 0;
}

void store_read_end(store_t *s, bool own)
{
	if (!own)
		return;
	s->reading = false;
	if (db_in_tx(s) && st_run(s, "COMMIT", "cannot end the read", NULL) < 0)
		st_run(s, "ROLLBACK", "rollback", NULL);
}

int st_batch_begin(store_t *s, db_stmt_t *const *sts, size_t n, bool *own, char **err)
{
	*own = false;
	if (!s->drv->run_batch)
		return store_read_begin(s, own, err);
	/* Outside every transaction the batch is its own snapshot: the
	 * driver sends the read's BEGIN and COMMIT around it. */
	bool snapshot = s->depth == 0 && !db_in_tx(s);
	int rc = s->drv->run_batch(s, sts, n, snapshot);
	return rc == DB_DONE ? 0 : db_fail_rc(s, rc, "cannot read the job store", err);
}

void st_batch_end(store_t *s, bool own)
{
	store_read_end(s, own);
}

int st_open_id(store_t *s, const char *sql, int64_t id, const char *what, db_stmt_t **st,
	       char **err)
{
	*st = NULL;
	if (st_prepare(s, sql, st, err) < 0)
		return -1;
	binder_t b;
	bind_start(&b, *st);
	bind_i64(&b, id);
	if (bind_check(s, &b, what, err) < 0) {
		st_release(s, *st);
		*st = NULL;
		return -1;
	}
	return 0;
}

/* ---- errors ---- */

int db_fail_rc(store_t *s, int rc, const char *what, char **err)
{
	switch (rc) {
	case DB_E_NOTADB:
		return err_set(err, "%s", s->drv->errmsg(s, rc));
	case DB_E_BUSY:
		return err_set(err, "%s: the job store is busy (another process held it "
				    "for more than %d s)",
			       what, STORE_BUSY_TIMEOUT_MS / 1000);
	case DB_E_NOMEM:
		return err_set(err, "out of memory");
	case DB_E_FULL:
		return err_set(err, "%s: the disk holding the job store %s is full; nothing of "
				    "this change was written: free space there (or move the store) "
				    "and try again",
			       what, s->name);
	case DB_E_GONE:
		return err_set(err, "%s: the job store %s cannot be reached: %s", what, s->name,
			       s->drv->errmsg(s, rc));
	case DB_E_READONLY:
		return err_set(err, "%s: the job store %s cannot be written (read-only file or "
				    "file system)",
			       what, s->name);
	default:
		return err_set(err, "%s: %s", what, s->drv->errmsg(s, rc));
	}
}

int store_ready(store_t *s, char **err)
{
	if (tx_heal(s, err) < 0)
		return -1;
	int latest = migrations_latest(s);
	if (s->schema == latest)
		return 0;
	if (s->schema < latest)
		return err_set(err, "job store %s has schema version %d but this cjobs needs "
				    "%d; run `cjobs db migrate` first",
			       s->name, s->schema, latest);
	return err_set(err, "job store %s has schema version %d, newer than this cjobs "
			    "knows (%d)",
		       s->name, s->schema, latest);
}

/* ---- binding ---- */

void bind_start(binder_t *b, db_stmt_t *st)
{
	b->st = st;
	b->i = 0;
	b->rc = DB_DONE;
}

static void bind_done(binder_t *b, int rc)
{
	if (b->rc == DB_DONE && rc != DB_DONE)
		b->rc = rc;
}

void bind_i64(binder_t *b, int64_t v)
{
	bind_done(b, b->st->drv->bind_i64(b->st, ++b->i, v));
}

void bind_text(binder_t *b, const char *v)
{
	if (!v)
		bind_null(b);
	else
		bind_done(b, b->st->drv->bind_text(b->st, ++b->i, v));
}

void bind_blob(binder_t *b, const void *data, size_t len)
{
	/* A NULL pointer would bind SQL NULL, not an empty blob. */
	static const char empty[1];
	bind_done(b, b->st->drv->bind_blob(b->st, ++b->i, data ? data : empty, len));
}

void bind_null(binder_t *b)
{
	bind_done(b, b->st->drv->bind_null(b->st, ++b->i));
}

int bind_check(store_t *s, binder_t *b, const char *what, char **err)
{
	if (b->rc == DB_DONE)
		return 0;
	if (b->rc == DB_E_TOOBIG)
		return err_set(err, "%s: a value is too large for the job store", what);
	return db_fail_rc(s, b->rc, what, err);
}

/* ---- columns ---- */

char *col_text(db_stmt_t *st, int col, bool *oom)
{
	size_t n = 0;
	const char *t = col_raw(st, col, &n, oom);
	if (!t)
		return NULL;
	char *copy = malloc(n + 1);
	if (!copy) {
		*oom = true;
		return NULL;
	}
	memcpy(copy, t, n);
	copy[n] = '\0';
	return copy;
}

char *col_blob(db_stmt_t *st, int col, size_t *len, bool *oom)
{
	size_t n = 0;
	bool lost = false;
	const void *p = col_raw(st, col, &n, &lost);
	if (lost) {
		*oom = true;
		return NULL;
	}
	char *copy = malloc(n + 1);
	if (!copy) {
		*oom = true;
		return NULL;
	}
	if (n > 0)
		memcpy(copy, p, n);
	copy[n] = '\0';
	*len = n;
	return copy;
}

/* ---- SQL fragments ---- */

void sql_placeholders(strbuf_t *sb, size_t n)
{
	for (size_t i = 0; i < n; i++)
		sb_puts(sb, i ? ", ?" : "?");
}

void sql_host_filter(strbuf_t *sb, char *const *hosts)
{
	if (!hosts) {
		sb_puts(sb, "true");
		return;
	}
	size_t n = 0;
	while (hosts[n])
		n++;
	if (n == 0) {
		sb_puts(sb, "host IS NULL");
		return;
	}
	sb_puts(sb, "(host IS NULL OR host IN (");
	sql_placeholders(sb, n);
	sb_puts(sb, "))");
}

void bind_hosts(binder_t *b, char *const *hosts)
{
	for (size_t i = 0; hosts && hosts[i]; i++)
		bind_text(b, hosts[i]);
}
