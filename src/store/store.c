/*
 * store/sqlite_store.c: opening and closing the SQLite job store,
 * transactions, and the helpers every store file uses (statement cache,
 * error messages, binding, column copies).
 *
 * It must never know about particular tables: those live in hosts.c,
 * templates.c, jobs.c, claim.c, output.c and migrations.c. It must never
 * print: failures are described in *err.
 */
#include "store/store_int.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "util/timeutil.h"

#include "util/err.h"

/* strerror() capitalises ("Permission denied"); our messages continue a
 * sentence, so they want "permission denied". */
static const char *reason_rest(int errnum, int *first)
{
	const char *r = strerror(errnum);
	*first = tolower((unsigned char)r[0]);
	return r + 1;
}

/* mkdir -p for the directories above path, each made 0700: the store holds
 * job environments, which may carry secrets. */
static int make_parents(const char *path, char **err)
{
	char *dir = strdup(path);
	if (!dir)
		return err_set(err, "out of memory");
	for (char *p = dir + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(dir, 0700) != 0 && errno != EEXIST) {
			int first;
			const char *rest = reason_rest(errno, &first);
			err_set(err, "cannot open job store %s: cannot create directory %s: %c%s",
				path, dir, first, rest);
			free(dir);
			return -1;
		}
		*p = '/';
	}
	free(dir);
	return 0;
}

/* SQLite would create the file with the process umask (often 0644); the
 * store holds job environments, so it is made 0600 here first. */
static int create_file(const char *path, char **err)
{
	int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	/* Directories are made only when missing, so that an existing but
	 * unreadable one is reported as what it is. */
	if (fd < 0 && errno == ENOENT) {
		if (make_parents(path, err) < 0)
			return -1;
		fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	}
	if (fd < 0) {
		int first;
		const char *rest = reason_rest(errno, &first);
		return err_set(err, "cannot open job store %s: %c%s", path, first, rest);
	}
	close(fd);
	return 0;
}

static int set_pragmas(store_t *s, char **err)
{
	sqlite3_stmt *st = NULL;
	if (st_prepare(s, "PRAGMA journal_mode = WAL", &st, err) < 0)
		return -1;
	int rc = sqlite3_step(st);
	if (rc != SQLITE_ROW) {
		db_fail_rc(s, rc, "cannot set WAL journal mode", err);
		st_release(s, st);
		return -1;
	}
	const char *mode = (const char *)sqlite3_column_text(st, 0);
	bool wal = mode && strcmp(mode, "wal") == 0;
	if (!wal)
		err_set(err, "the file system does not allow WAL journal mode (got %s)",
			mode ? mode : "nothing");
	st_release(s, st);
	if (!wal)
		return -1;
	if (st_run(s, "PRAGMA foreign_keys = ON", "cannot enable foreign keys", err) < 0 ||
	    st_run(s, "PRAGMA synchronous = NORMAL", "cannot set synchronous mode", err) < 0 ||
	    /* Savepoints (nested store_begin) keep page copies in a
	     * sub-journal; in a temporary file that costs a write per page. */
	    st_run(s, "PRAGMA temp_store = MEMORY", "cannot set temp_store", err) < 0 ||
	    /* The connection whose commit takes the log past 16 MiB copies it
	     * into the file (and syncs it) before its command goes on. SQLite's
	     * 1000 pages (4 MiB) made a cleanup rewrite and sync the same pages
	     * again and again; much more made whoever crossed it wait long. */
	    st_run(s, "PRAGMA wal_autocheckpoint = 4096", "cannot set the checkpoint size",
		   err) < 0)
		return -1;
	return 0;
}

void store_long_writer(store_t *s)
{
	s->long_writer = true;
}

/* The transaction statements are prepared once, at open, so that rolling
 * back after a failed allocation does not first need memory to prepare
 * ROLLBACK. (If running it still fails, tx_heal() finishes it later.) */
static int prepare_tx(store_t *s, char **err)
{
	static const char *const sql[] = {
		"BEGIN IMMEDIATE", "COMMIT", "ROLLBACK", "SAVEPOINT nested",
		"RELEASE nested", "ROLLBACK TO nested",
	};
	for (size_t i = 0; i < sizeof(sql) / sizeof(sql[0]); i++) {
		sqlite3_stmt *st = NULL;
		if (st_prepare(s, sql[i], &st, err) < 0)
			return -1;
		st_release(s, st);
	}
	return 0;
}

static void free_store(store_t *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < s->ncache; i++) {
		sqlite3_finalize(s->cache[i].st);
		free(s->cache[i].sql);
	}
	free(s->cache);
	counts_free(s);
	sqlite3_close_v2(s->db);
	free(s->path);
	free(s);
}

/* Waiting for another process's write lock. SQLite's own timeout sleeps
 * ever longer (up to 100 ms a time), so a writer beside a long batch of
 * deletes could wake up long after the lock was free; this one looks again
 * every millisecond, up to STORE_BUSY_TIMEOUT_MS in all. */
static int on_busy(void *ud, int tries)
{
	(void)ud;
	/* By the clock, not by the count of tries: on a loaded machine a
	 * millisecond's sleep takes longer. */
	static int64_t since;
	static const struct timespec one_ms = {0, 1000000};
	if (tries == 0)
		since = mono_ms();
	else if (mono_ms() - since >= STORE_BUSY_TIMEOUT_MS)
		return 0;
	nanosleep(&one_ms, NULL);
	return 1;
}

/* SQLite keeps memory statistics, which cjobs never reads, by taking a
 * global mutex around every allocation: several percent of a worker's time.
 * It can only be switched off before SQLite initialises; after that (a
 * program that set SQLite up itself, like the allocation-failure tests)
 * sqlite3_config refuses and the statistics simply stay on. */
static void no_memory_statistics(void)
{
	static bool tried;
	if (tried)
		return;
	tried = true;
	(void)sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
}

static int open_db(store_t *s, char **err)
{
	no_memory_statistics();
	int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_EXRESCODE;
	int rc = sqlite3_open_v2(s->path, &s->db, flags, NULL);
	if (rc != SQLITE_OK) {
		if (s->db)
			return db_fail(s, "cannot open database", err);
		return err_set(err, "out of memory");
	}
	sqlite3_extended_result_codes(s->db, 1);
	sqlite3_busy_handler(s->db, on_busy, NULL);
	if (prepare_tx(s, err) < 0)
		return -1;
	return set_pragmas(s, err);
}

int store_open(const char *path, bool migrate, store_t **out, char **err)
{
	*out = NULL;
	if (!path || !*path)
		return err_set(err, "no job store path given");
	if (create_file(path, err) < 0)
		return -1;
	store_t *s = calloc(1, sizeof(*s));
	if (!s || !(s->path = strdup(path))) {
		free(s);
		return err_set(err, "out of memory");
	}
	if (open_db(s, err) < 0 || migrations_check(s, err) < 0 ||
	    (migrate && store_migrate(s, NULL, err) < 0) || migrations_load_id(s, err) < 0) {
		err_prefix(err, "cannot open job store %s", path);
		free_store(s);
		return -1;
	}
	*out = s;
	return 0;
}

/* A long writer copies what is left of its log into the file before it
 * closes, with PASSIVE checkpoints, which block no one (a reader still on
 * older pages can hold part back for a moment: it looks again, for up to
 * about 200 ms). The last connection to close copies whatever is left, and
 * deletes the log file, under an exclusive lock, which a command starting
 * meanwhile waits for: after a cleanup that was most of a second. */
static void copy_log_before_close(store_t *s)
{
	static const struct timespec ten_ms = {0, 10000000};
	for (int i = 0; i < 20; i++) {
		int frames = 0, copied = 0;
		if (sqlite3_wal_checkpoint_v2(s->db, NULL, SQLITE_CHECKPOINT_PASSIVE, &frames,
					      &copied) != SQLITE_OK ||
		    copied >= frames)
			break;
		nanosleep(&ten_ms, NULL);
	}
}

void store_close(store_t *s)
{
	if (!s)
		return;
	if (s->depth > 0) {
		s->depth = 1;
		store_rollback(s);
	}
	if (s->long_writer)
		copy_log_before_close(s);
	free_store(s);
}

const char *store_id(const store_t *s)
{
	return s->id;
}

const char *store_path(const store_t *s)
{
	return s->path;
}

sqlite3 *store_db(store_t *s)
{
	return s->db;
}

/* ---- transactions ----
 * The outermost level is BEGIN IMMEDIATE: it takes the write lock at once,
 * so a read-then-write (a claim) cannot be overtaken by another process,
 * and a busy store shows up at BEGIN, where waiting is safe. Inner levels
 * are savepoints, so a failed write inside a caller's transaction undoes
 * only itself and the caller may still commit the rest. */

/* A ROLLBACK can itself fail when memory is short, leaving SQLite inside a
 * transaction that no store_begin() owns (and holding the write lock).
 * Every call starts by finishing that rollback, so the store heals as soon
 * as memory allows and never reads or commits the abandoned writes. */
int tx_heal(store_t *s, char **err)
{
	if (s->depth > 0 || sqlite3_get_autocommit(s->db))
		return 0;
	if (st_run(s, "ROLLBACK", "cannot roll back an earlier failed write", err) < 0)
		return -1;
	counts_clear(s);
	return 0;
}

int store_begin(store_t *s, char **err)
{
	if (tx_heal(s, err) < 0)
		return -1;
	if (s->depth == 0) {
		if (st_run(s, "BEGIN IMMEDIATE", "cannot start a transaction", err) < 0) {
			/* BEGIN can fail after it has opened the transaction. */
			if (!sqlite3_get_autocommit(s->db))
				st_run(s, "ROLLBACK", "rollback", NULL);
			return -1;
		}
		s->aborted = false;
	} else {
		if (s->aborted)
			return err_set(err, "the transaction was already rolled back after "
					    "an earlier error");
		if (st_run(s, "SAVEPOINT nested", "cannot start a transaction", err) < 0)
			return -1;
	}
	s->depth++;
	if (counts_level_begin(s) < 0) {
		store_rollback(s);
		return err_set(err, "cannot start a transaction: out of memory");
	}
	return 0;
}

int store_commit(store_t *s, char **err)
{
	if (s->depth <= 0)
		return err_set(err, "commit without a transaction");
	if (s->depth > 1) {
		if (s->aborted || sqlite3_get_autocommit(s->db)) {
			s->aborted = true;
			counts_level_rollback(s);
			s->depth--;
			return err_set(err, "the transaction was rolled back after an "
					    "earlier error");
		}
		int rc = st_run(s, "RELEASE nested", "cannot commit", err);
		if (rc < 0) {
			store_rollback(s);
		} else {
			counts_level_commit(s);
			s->depth--;
		}
		return rc;
	}
	if (s->aborted || sqlite3_get_autocommit(s->db)) {
		store_rollback(s);
		return err_set(err, "the transaction was rolled back after an earlier error");
	}
	/* The job counts of this transaction's status changes go in with it. */
	if (counts_flush(s, err) < 0 || st_run(s, "COMMIT", "cannot commit", err) < 0) {
		store_rollback(s);
		return -1;
	}
	counts_clear(s);
	s->depth = 0;
	return 0;
}

void store_rollback(store_t *s)
{
	if (s->depth <= 0)
		return;
	/* SQLite may already have rolled everything back (out of memory, disk
	 * full); then there is nothing left to undo at this level. */
	bool gone = sqlite3_get_autocommit(s->db) != 0;
	if (s->depth > 1) {
		if (gone || s->aborted ||
		    st_run(s, "ROLLBACK TO nested", "rollback", NULL) < 0 ||
		    st_run(s, "RELEASE nested", "rollback", NULL) < 0)
			s->aborted = true;
		counts_level_rollback(s);
		s->depth--;
		return;
	}
	if (!gone)
		st_run(s, "ROLLBACK", "rollback", NULL);
	counts_clear(s);
	s->depth = 0;
	s->aborted = false;
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
	*own = s->depth == 0;
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
	if (rc < 0 && sqlite3_get_autocommit(s->db))
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

int st_prepare(store_t *s, const char *sql, sqlite3_stmt **out, char **err)
{
	*out = NULL;
	size_t len = strlen(sql);
	uint64_t h = hash_sql(sql, len);
	for (size_t i = 0; i < s->ncache; i++) {
		if (s->cache[i].hash == h && strcmp(s->cache[i].sql, sql) == 0) {
			*out = s->cache[i].st;
			return 0;
		}
	}
	bool keep = s->ncache < STORE_STMT_CACHE_MAX;
	sqlite3_stmt *st = NULL;
	int rc = sqlite3_prepare_v3(s->db, sql, -1, keep ? SQLITE_PREPARE_PERSISTENT : 0,
				    &st, NULL);
	if (rc != SQLITE_OK)
		return db_fail_rc(s, rc, "cannot prepare a query", err);
	if (keep) {
		stmt_slot_t *c = realloc(s->cache, (s->ncache + 1) * sizeof(*c));
		char *copy = strdup(sql);
		if (c)
			s->cache = c;
		if (!c || !copy) {
			free(copy);
			sqlite3_finalize(st);
			return err_set(err, "out of memory");
		}
		s->cache[s->ncache++] = (stmt_slot_t){.hash = h, .sql = copy, .st = st};
	}
	*out = st;
	return 0;
}

void st_release(store_t *s, sqlite3_stmt *st)
{
	if (!st)
		return;
	for (size_t i = 0; i < s->ncache; i++) {
		if (s->cache[i].st == st) {
			sqlite3_reset(st);
			sqlite3_clear_bindings(st);
			return;
		}
	}
	sqlite3_finalize(st);
}

int st_exec(store_t *s, sqlite3_stmt *st, const char *what, char **err)
{
	int rc = sqlite3_step(st);
	if (rc == SQLITE_DONE || rc == SQLITE_ROW)
		return 0;
	return db_fail_rc(s, rc, what, err);
}

int st_run(store_t *s, const char *sql, const char *what, char **err)
{
	sqlite3_stmt *st = NULL;
	if (st_prepare(s, sql, &st, err) < 0)
		return -1;
	int rc = st_exec(s, st, what, err);
	st_release(s, st);
	return rc;
}

/* Runs a write of one row that was bound by the caller; 1 when no row
 * matched. */
int exec_changes(store_t *s, sqlite3_stmt *st, binder_t *b, const char *what,
			char **err)
{
	int rc = bind_check(s, b, what, err);
	if (rc == 0)
		rc = st_exec(s, st, what, err);
	if (rc == 0 && sqlite3_changes(s->db) == 0)
		rc = 1;
	st_release(s, st);
	return rc;
}

int query_count(store_t *s, const char *sql, const char *arg, int64_t *n,
		       char **err)
{
	sqlite3_stmt *st = NULL;
	if (st_prepare(s, sql, &st, err) < 0)
		return -1;
	binder_t b;
	bind_start(&b, st);
	if (arg)
		bind_text(&b, arg);
	int rc = bind_check(s, &b, "cannot count", err);
	if (rc == 0) {
		int step = sqlite3_step(st);
		if (step == SQLITE_ROW)
			*n = sqlite3_column_int64(st, 0);
		else
			rc = db_fail_rc(s, step, "cannot count", err);
	}
	st_release(s, st);
	return rc;
}

/* ---- errors ---- */

int db_fail_rc(store_t *s, int rc, const char *what, char **err)
{
	int primary = rc & 0xff;
	if (primary == SQLITE_NOTADB)
		return err_set(err, "the file is not an SQLite database (or it is "
				    "encrypted or damaged)");
	if (primary == SQLITE_BUSY || primary == SQLITE_LOCKED)
		return err_set(err, "%s: the job store is busy (another process held it "
				    "for more than %d s)",
			       what, STORE_BUSY_TIMEOUT_MS / 1000);
	if (primary == SQLITE_NOMEM)
		return err_set(err, "out of memory");
	if (primary == SQLITE_FULL)
		return err_set(err, "%s: the disk holding the job store %s is full; nothing of "
				    "this change was written: free space there (or move the store) "
				    "and try again",
			       what, s->path);
	if (primary == SQLITE_READONLY)
		return err_set(err, "%s: the job store %s cannot be written (read-only file or "
				    "file system)",
			       what, s->path);
	const char *msg = s->db ? sqlite3_errmsg(s->db) : NULL;
	if (!msg || sqlite3_errcode(s->db) == SQLITE_OK)
		msg = sqlite3_errstr(rc);
	return err_set(err, "%s: %s", what, msg);
}

int db_fail(store_t *s, const char *what, char **err)
{
	return db_fail_rc(s, sqlite3_extended_errcode(s->db), what, err);
}

int store_ready(store_t *s, char **err)
{
	if (tx_heal(s, err) < 0)
		return -1;
	int latest = migrations_latest();
	if (s->schema == latest)
		return 0;
	if (s->schema < latest)
		return err_set(err, "job store %s has schema version %d but this cjobs needs "
				    "%d; run `cjobs db migrate` first",
			       s->path, s->schema, latest);
	return err_set(err, "job store %s has schema version %d, newer than this cjobs "
			    "knows (%d)",
		       s->path, s->schema, latest);
}

/* ---- binding ---- */

void bind_start(binder_t *b, sqlite3_stmt *st)
{
	b->st = st;
	b->i = 0;
	b->rc = SQLITE_OK;
}

static void bind_done(binder_t *b, int rc)
{
	if (b->rc == SQLITE_OK && rc != SQLITE_OK)
		b->rc = rc;
}

void bind_i64(binder_t *b, int64_t v)
{
	bind_done(b, sqlite3_bind_int64(b->st, ++b->i, v));
}

void bind_text(binder_t *b, const char *v)
{
	bind_done(b, sqlite3_bind_text(b->st, ++b->i, v, -1, SQLITE_STATIC));
}

void bind_blob(binder_t *b, const void *data, size_t len)
{
	/* A NULL pointer would bind SQL NULL, not an empty blob. */
	static const char empty[1];
	bind_done(b, sqlite3_bind_blob64(b->st, ++b->i, data ? data : empty, len,
					  SQLITE_STATIC));
}

void bind_null(binder_t *b)
{
	bind_done(b, sqlite3_bind_null(b->st, ++b->i));
}

int bind_check(store_t *s, binder_t *b, const char *what, char **err)
{
	if (b->rc == SQLITE_OK)
		return 0;
	if (b->rc == SQLITE_TOOBIG)
		return err_set(err, "%s: a value is too large for the job store", what);
	return db_fail_rc(s, b->rc, what, err);
}

/* ---- columns ---- */

char *col_text(sqlite3_stmt *st, int col, bool *oom)
{
	if (sqlite3_column_type(st, col) == SQLITE_NULL)
		return NULL;
	const unsigned char *t = sqlite3_column_text(st, col);
	int n = sqlite3_column_bytes(st, col);
	char *copy = t ? malloc((size_t)n + 1) : NULL;
	if (!copy) {
		*oom = true;
		return NULL;
	}
	memcpy(copy, t, (size_t)n);
	copy[n] = '\0';
	return copy;
}

char *col_blob(sqlite3_stmt *st, int col, size_t *len, bool *oom)
{
	const void *p = sqlite3_column_blob(st, col);
	int n = sqlite3_column_bytes(st, col);
	/* SQLite answers NULL both for an empty blob and when out of memory. */
	if (!p && n == 0 && sqlite3_errcode(sqlite3_db_handle(st)) == SQLITE_NOMEM) {
		*oom = true;
		return NULL;
	}
	char *copy = malloc((size_t)n + 1);
	if (!copy) {
		*oom = true;
		return NULL;
	}
	if (n > 0)
		memcpy(copy, p, (size_t)n);
	copy[n] = '\0';
	*len = (size_t)n;
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
		sb_puts(sb, "1");
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
