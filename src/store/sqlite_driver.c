/*
 * store/sqlite_driver.c: the SQLite driver of the job store (driver.h):
 * the file (created 0600 with private parent directories), the connection
 * and its pragmas, waiting for another process's lock, statements, and the
 * names of SQLite's failures.
 *
 * It must never hold SQL about cjobs's tables: that lives in the store's
 * other files, written once for every driver (the schema is in
 * sqlite_schema.c). It must never print.
 */
#include "store/sqlite_driver.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "store/store_int.h"
#include "util/err.h"
#include "util/timeutil.h"

/* A prepared SQLite statement behind the store's db_stmt_t. */
typedef struct {
	db_stmt_t base;
	sqlite3_stmt *st;
	lite_conn_t *conn;
} lite_stmt_t;

static sqlite3 *conn_db(store_t *s)
{
	return ((lite_conn_t *)s->conn)->db;
}

sqlite3 *store_db(store_t *s)
{
	return s->drv == &sqlite_driver ? conn_db(s) : NULL;
}

/* The store's kinds of failure, from SQLite's result codes. The code
 * itself is kept, to describe the failure in SQLite's words. */
static int lite_rc(lite_conn_t *c, int rc)
{
	if (rc == SQLITE_ROW)
		return DB_ROW;
	if (rc == SQLITE_DONE || rc == SQLITE_OK)
		return DB_DONE;
	c->last = rc;
	if (rc == SQLITE_CONSTRAINT_UNIQUE)
		return DB_E_UNIQUE;
	if (rc == SQLITE_CONSTRAINT_FOREIGNKEY)
		return DB_E_FOREIGN_KEY;
	switch (rc & 0xff) {
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
		return DB_E_BUSY;
	case SQLITE_NOMEM:
		return DB_E_NOMEM;
	case SQLITE_FULL:
		return DB_E_FULL;
	case SQLITE_READONLY:
		return DB_E_READONLY;
	case SQLITE_NOTADB:
		return DB_E_NOTADB;
	case SQLITE_TOOBIG:
		return DB_E_TOOBIG;
	default:
		return DB_E_ERROR;
	}
}

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
			err_set(err, "cannot create directory %s: %c%s", dir, first, rest);
			free(dir);
			return -1;
		}
		*p = '/';
	}
	free(dir);
	return 0;
}

/* SQLite would create the file with the process umask (often 0644); the
 * store holds job environments, so it is made 0600 here first. An existing
 * file is never opened here: closing a descriptor of it would drop every
 * POSIX lock this process holds on it, those of SQLite's other connections
 * included (the server has one per request thread), and they would then
 * write over each other. */
/* A new store's directory is missing: said so, with what to do. 0 when it
 * is there after all (a file system that refuses new files, like /proc,
 * answers ENOENT too), for the caller to tell open's own reason. */
static int missing_directory(const char *path, char **err)
{
	char *copy = strdup(path);
	if (!copy)
		return err_set(err, "out of memory");
	const char *dir = dirname(copy);
	struct stat sb;
	int rc = stat(dir, &sb) == 0
			 ? 0
			 : err_set(err, "the directory %s does not exist; create it first (mkdir -p "
					"%s), or correct the path: a new store is made in an existing "
					"directory (only the default path makes its own)",
				   dir, dir);
	free(copy);
	return rc;
}

static int create_file(const char *path, bool make_dirs, char **err)
{
	int fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	/* Directories are made only when missing, so that an existing but
	 * unreadable one is reported as what it is. */
	if (fd < 0 && errno == ENOENT) {
		if (!make_dirs) {
			if (missing_directory(path, err) < 0)
				return -1;
			errno = ENOENT;
		} else if (make_parents(path, err) < 0) {
			return -1;
		} else {
			fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
		}
	}
	/* Permissions are checked without opening it, for the same message. */
	if (fd < 0 && errno == EEXIST && access(path, R_OK | W_OK) == 0)
		return 0;
	if (fd < 0) {
		int first;
		const char *rest = reason_rest(errno, &first);
		return err_set(err, "%c%s", first, rest);
	}
	close(fd);
	return 0;
}

static int set_pragmas(store_t *s, char **err)
{
	db_stmt_t *st = NULL;
	/* Read-only, the file's mode is what it is: a store is always made in
	 * WAL mode, and nothing here writes. */
	if (s->read_only)
		return st_run(s, "PRAGMA foreign_keys = ON", "cannot enable foreign keys", err);
	if (st_prepare(s, "PRAGMA journal_mode = WAL", &st, err) < 0)
		return -1;
	int rc = st_step(st);
	if (rc != DB_ROW) {
		db_fail_rc(s, rc, "cannot set WAL journal mode", err);
		st_release(s, st);
		return -1;
	}
	const char *mode = col_str(st, 0);
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

/* The URI that opens path for reading only. A WAL store needs its shared
 * memory file beside it, which a reader makes when it is missing; where the
 * directory cannot be written (a read-only file system), a store without
 * its log is opened immutable instead: nothing can change it there. */
static char *read_only_uri(const char *path, char **err)
{
	strbuf_t sb = STRBUF_INIT;
	sb_puts(&sb, "file:");
	for (const unsigned char *p = (const unsigned char *)path; *p; p++) {
		if (*p == '%' || *p == '?' || *p == '#' || *p < 0x20 || *p >= 0x7f)
			sb_printf(&sb, "%%%02X", *p);
		else
			sb_putc(&sb, (char)*p);
	}
	char *copy = strdup(path), *wal = NULL;
	if (!copy || asprintf(&wal, "%s-wal", path) < 0) {
		free(copy);
		sb_free(&sb);
		err_set(err, "out of memory");
		return NULL;
	}
	bool dir_writable = access(dirname(copy), W_OK) == 0, has_log = access(wal, F_OK) == 0;
	free(copy);
	free(wal);
	if (!dir_writable && has_log) {
		sb_free(&sb);
		err_set(err, "it cannot be read without writing: its log file %s-wal holds "
			     "changes, and its directory cannot be written; open it once where "
			     "it can be, so that the log is folded into the file", path);
		return NULL;
	}
	sb_puts(&sb, dir_writable ? "?mode=ro" : "?mode=ro&immutable=1");
	if (sb.failed) {
		sb_free(&sb);
		err_set(err, "out of memory");
		return NULL;
	}
	return sb_steal(&sb);
}

static int lite_open(store_t *s, char **err)
{
	char *uri = NULL;
	if (s->read_only ? !(uri = read_only_uri(s->path, err))
			 : create_file(s->path, s->make_dirs, err) < 0)
		return -1;
	lite_conn_t *c = calloc(1, sizeof(*c));
	if (!c) {
		free(uri);
		return err_set(err, "out of memory");
	}
	c->lock_fd = -1;
	c->watch_fd = -1;
	s->conn = c;
	no_memory_statistics();
	int flags = (uri ? SQLITE_OPEN_READONLY | SQLITE_OPEN_URI : SQLITE_OPEN_READWRITE) |
		    SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_EXRESCODE;
	int rc = sqlite3_open_v2(uri ? uri : s->path, &c->db, flags, NULL);
	free(uri);
	if (rc != SQLITE_OK) {
		if (c->db)
			return db_fail_rc(s, lite_rc(c, rc), "cannot open database", err);
		return err_set(err, "out of memory");
	}
	sqlite3_extended_result_codes(c->db, 1);
	sqlite3_busy_handler(c->db, on_busy, NULL);
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
		if (sqlite3_wal_checkpoint_v2(conn_db(s), NULL, SQLITE_CHECKPOINT_PASSIVE, &frames,
					      &copied) != SQLITE_OK ||
		    copied >= frames)
			break;
		nanosleep(&ten_ms, NULL);
	}
}


/* ---- liveness locks: one byte of the file PATH-workers per worker ----
 * Open file description locks: released when the worker's descriptor
 * closes or its process ends however it ends, and seen by every other
 * descriptor, also of the same process and of other PID namespaces. */

static off_t liveness_offset(const char *id)
{
	uint64_t h = 1469598103934665603ULL;
	for (const char *p = id; *p; p++)
		h = (h ^ (unsigned char)*p) * 1099511628211ULL;
	return (off_t)(h & ((1ULL << 40) - 1));
}

static int lock_file(store_t *s, lite_conn_t *c, char **err)
{
	if (c->lock_fd >= 0)
		return 0;
	char *p = NULL;
	if (asprintf(&p, "%s-workers", s->path) < 0)
		return err_set(err, "out of memory");
	c->lock_fd = open(p, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (c->lock_fd < 0) {
		int first;
		const char *rest = reason_rest(errno, &first);
		err_set(err, "cannot open %s: %c%s", p, first, rest);
		free(p);
		return -1;
	}
	free(p);
	return 0;
}

static int lite_liveness_hold(store_t *s, const char *id, char **err)
{
	lite_conn_t *c = s->conn;
	if (lock_file(s, c, err) < 0)
		return -1;
	struct flock fl = {.l_type = F_WRLCK, .l_whence = SEEK_SET,
			   .l_start = liveness_offset(id), .l_len = 1};
	if (fcntl(c->lock_fd, F_OFD_SETLK, &fl) < 0) {
		/* Held: the words PostgreSQL's driver uses for its own lock. */
		if (errno == EAGAIN || errno == EACCES)
			return err_set(err, "another live worker holds the liveness lock of id %s",
				       id);
		return err_set(err, "cannot take its liveness lock in %s-workers: %s", s->path,
			       strerror(errno));
	}
	return 0;
}

static void lite_liveness_release(store_t *s, const char *id)
{
	lite_conn_t *c = s->conn;
	if (c->lock_fd < 0)
		return;
	struct flock fl = {.l_type = F_UNLCK, .l_whence = SEEK_SET,
			   .l_start = liveness_offset(id), .l_len = 1};
	(void)fcntl(c->lock_fd, F_OFD_SETLK, &fl);
}

static int lite_liveness_free(store_t *s, const char *id, char **err)
{
	lite_conn_t *c = s->conn;
	if (lock_file(s, c, err) < 0)
		return -1;
	struct flock fl = {.l_type = F_WRLCK, .l_whence = SEEK_SET,
			   .l_start = liveness_offset(id), .l_len = 1};
	if (fcntl(c->lock_fd, F_OFD_GETLK, &fl) < 0)
		return err_set(err, "cannot test a worker's liveness lock in %s-workers: %s",
			       s->path, strerror(errno));
	return fl.l_type == F_UNLCK;
}

/* ---- watching: inotify on the store's directory ----
 * Another process's commit writes the file or its log there. */
static int lite_watch(store_t *s, int *fd, char **err)
{
	lite_conn_t *c = s->conn;
	*fd = -1;
	if (c->watch_fd < 0) {
		char *copy = strdup(s->path);
		if (!copy)
			return err_set(err, "out of memory");
		int wfd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
		if (wfd < 0 || inotify_add_watch(wfd, dirname(copy),
						  IN_MODIFY | IN_CREATE | IN_MOVED_TO) < 0) {
			int e = errno;
			if (wfd >= 0)
				close(wfd);
			free(copy);
			return err_set(err, "cannot watch the store's directory: %s", strerror(e));
		}
		free(copy);
		c->watch_fd = wfd;
	}
	*fd = c->watch_fd;
	return 0;
}

/* Whether an event's file is the store's own: the file, its log or its
 * rollback journal. Another file in the same directory (a worker's log
 * beside its store, say) is not a change of the store: a worker woken by
 * the lines it writes itself would look for jobs again and again. */
static bool is_store_file(const char *store_path, const char *name)
{
	const char *slash = strrchr(store_path, '/');
	const char *base = slash ? slash + 1 : store_path;
	size_t n = strlen(base);
	if (strncmp(name, base, n) != 0)
		return false;
	const char *rest = name + n;
	return !*rest || strcmp(rest, "-wal") == 0 || strcmp(rest, "-journal") == 0;
}

static bool lite_changed(store_t *s)
{
	lite_conn_t *c = s->conn;
	if (c->watch_fd < 0)
		return false;
	char buf[4096] __attribute__((aligned(__alignof__(struct inotify_event))));
	bool any = false;
	ssize_t got;
	while ((got = read(c->watch_fd, buf, sizeof(buf))) > 0) {
		for (ssize_t off = 0; off + (ssize_t)sizeof(struct inotify_event) <= got;) {
			const struct inotify_event *ev = (const struct inotify_event *)(buf + off);
			/* Overflowed: changes were dropped, so assume one of ours. */
			if ((ev->mask & IN_Q_OVERFLOW) || (ev->len > 0 && is_store_file(s->path, ev->name)))
				any = true;
			off += (ssize_t)sizeof(struct inotify_event) + ev->len;
		}
	}
	return any;
}

static bool lite_lost(store_t *s)
{
	(void)s;
	return false;
}

static int lite_reconnect(store_t *s, char **err)
{
	(void)s;
	(void)err;
	return 0;
}

static void lite_close(store_t *s)
{
	lite_conn_t *c = s->conn;
	if (!c)
		return;
	if (c->watch_fd >= 0)
		close(c->watch_fd);
	if (c->lock_fd >= 0)
		close(c->lock_fd);
	if (c->db && s->long_writer)
		copy_log_before_close(s);
	sqlite3_close_v2(c->db);
	free(c);
	s->conn = NULL;
}

static bool lite_in_tx(store_t *s)
{
	return !sqlite3_get_autocommit(conn_db(s));
}

/* SQLite drops a transaction by itself only on the worst failures (a full
 * disk, no memory): then it is back in autocommit mode. */
static bool lite_tx_lost(store_t *s)
{
	return sqlite3_get_autocommit(conn_db(s)) != 0;
}

static int64_t lite_changes(store_t *s)
{
	return sqlite3_changes64(conn_db(s));
}

static int64_t lite_last_id(store_t *s, db_stmt_t *st)
{
	(void)st;
	return sqlite3_last_insert_rowid(conn_db(s));
}

static const char *lite_errmsg(store_t *s, int rc)
{
	if (rc == DB_E_NOTADB)
		return "the file is not an SQLite database (or it is encrypted or damaged)";
	lite_conn_t *c = s->conn;
	const char *msg = c && c->db ? sqlite3_errmsg(c->db) : NULL;
	if (!msg || sqlite3_errcode(c->db) == SQLITE_OK)
		msg = sqlite3_errstr(c ? c->last : SQLITE_ERROR);
	return msg;
}

static int lite_exec_script(store_t *s, const char *sql)
{
	lite_conn_t *c = s->conn;
	return lite_rc(c, sqlite3_exec(c->db, sql, NULL, NULL, NULL));
}

/* ---- statements ---- */

static int lite_prepare(store_t *s, const char *sql, bool keep, db_stmt_t **out)
{
	lite_conn_t *c = s->conn;
	lite_stmt_t *ls = malloc(sizeof(*ls));
	if (!ls)
		return DB_E_NOMEM;
	int rc = sqlite3_prepare_v3(c->db, sql, -1, keep ? SQLITE_PREPARE_PERSISTENT : 0,
				    &ls->st, NULL);
	if (rc != SQLITE_OK) {
		free(ls);
		return lite_rc(c, rc);
	}
	ls->base.drv = &sqlite_driver;
	ls->conn = c;
	*out = &ls->base;
	return DB_DONE;
}

static void lite_reset(db_stmt_t *st)
{
	lite_stmt_t *ls = (lite_stmt_t *)st;
	sqlite3_reset(ls->st);
	sqlite3_clear_bindings(ls->st);
}

static void lite_finalize(db_stmt_t *st)
{
	lite_stmt_t *ls = (lite_stmt_t *)st;
	sqlite3_finalize(ls->st);
	free(ls);
}

static int lite_bind_i64(db_stmt_t *st, int i, int64_t v)
{
	lite_stmt_t *ls = (lite_stmt_t *)st;
	return lite_rc(ls->conn, sqlite3_bind_int64(ls->st, i, v));
}

static int lite_bind_text(db_stmt_t *st, int i, const char *v)
{
	lite_stmt_t *ls = (lite_stmt_t *)st;
	return lite_rc(ls->conn, sqlite3_bind_text(ls->st, i, v, -1, SQLITE_STATIC));
}

static int lite_bind_blob(db_stmt_t *st, int i, const void *data, size_t len)
{
	lite_stmt_t *ls = (lite_stmt_t *)st;
	return lite_rc(ls->conn, sqlite3_bind_blob64(ls->st, i, data, len, SQLITE_STATIC));
}

static int lite_bind_null(db_stmt_t *st, int i)
{
	lite_stmt_t *ls = (lite_stmt_t *)st;
	return lite_rc(ls->conn, sqlite3_bind_null(ls->st, i));
}

static int lite_step(db_stmt_t *st)
{
	lite_stmt_t *ls = (lite_stmt_t *)st;
	return lite_rc(ls->conn, sqlite3_step(ls->st));
}

static bool lite_col_null(db_stmt_t *st, int col)
{
	return sqlite3_column_type(((lite_stmt_t *)st)->st, col) == SQLITE_NULL;
}

static int64_t lite_col_i64(db_stmt_t *st, int col)
{
	return sqlite3_column_int64(((lite_stmt_t *)st)->st, col);
}

static const void *lite_col_bytes(db_stmt_t *st, int col, size_t *len, bool *oom)
{
	lite_stmt_t *ls = (lite_stmt_t *)st;
	*len = 0;
	/* The column's value once, then its own accessors: each
	 * sqlite3_column_* call checks the statement and its error state
	 * again, and a page of fifty jobs reads some 900 text columns. The
	 * value is this thread's alone (a connection is never shared). */
	sqlite3_value *v = sqlite3_column_value(ls->st, col);
	int type = sqlite3_value_type(v);
	if (type == SQLITE_NULL)
		return NULL;
	const void *p = type == SQLITE_BLOB ? sqlite3_value_blob(v)
					    : (const void *)sqlite3_value_text(v);
	int n = sqlite3_value_bytes(v);
	/* NULL for text, or for a blob with bytes, only when out of memory (an
	 * empty blob is NULL too). */
	if (!p && (type != SQLITE_BLOB || n > 0)) {
		*oom = true;
		return NULL;
	}
	*len = (size_t)n;
	return p ? p : "";
}

const store_driver_t sqlite_driver = {
	.name = "SQLite",
	.a_name = "an SQLite",
	.is_file = true,
	.open = lite_open,
	.close = lite_close,
	.in_tx = lite_in_tx,
	.tx_lost = lite_tx_lost,
	.changes = lite_changes,
	.last_id = lite_last_id,
	.errmsg = lite_errmsg,
	.exec_script = lite_exec_script,
	.prepare = lite_prepare,
	.reset = lite_reset,
	.finalize = lite_finalize,
	.bind_i64 = lite_bind_i64,
	.bind_text = lite_bind_text,
	.bind_blob = lite_bind_blob,
	.bind_null = lite_bind_null,
	.step = lite_step,
	.col_null = lite_col_null,
	.col_i64 = lite_col_i64,
	.col_bytes = lite_col_bytes,
	/* IMMEDIATE: the write lock at once, so that a read-then-write (a
	 * claim) cannot be overtaken by another process, and a busy store
	 * shows up at BEGIN, where waiting is safe. */
	.sql_begin = "BEGIN IMMEDIATE",
	.sql_commit = "COMMIT",
	.sql_commit_notify = NULL,
	.sql_begin_read = "BEGIN DEFERRED",
	/* The deletes touch the same index pages again and again (the uuid
	 * index is in random order): with the default 2 MiB cache each batch
	 * reads them back. 64 MiB, taken as pages are used. */
	.sql_bulk_delete = "PRAGMA cache_size = -65536",
	/* INDEXED BY makes a schema change that loses an index an error
	 * instead of a silent full scan. */
	.claim_hint_host = " INDEXED BY jobs_claim_host",
	.claim_ids_open = "status = 'queued' AND id IN (",
	.claim_ids_close = ")",
	.sql_lock_share = "",
	.ready_hint = " INDEXED BY jobs_claim_host",
	.scheduled_hint = " INDEXED BY jobs_scheduled",
	.waiting_hint = " INDEXED BY jobs_waiting",
	.sql_count_tables = "SELECT count(*) FROM sqlite_master WHERE name NOT LIKE 'sqlite%'",
	.sql_has_migrations = "SELECT count(*) FROM sqlite_master WHERE type = 'table' "
			      "AND name = 'schema_migrations'",
	.sql_create_migrations = "CREATE TABLE IF NOT EXISTS schema_migrations ("
				 "  version INTEGER PRIMARY KEY,"
				 "  name TEXT NOT NULL,"
				 "  applied_at INTEGER NOT NULL)",
	.migrations = sqlite_migrations,
	.set_up = set_pragmas,
	.file_bytes = lite_file_bytes,
	.space = lite_space,
	.integrity = lite_integrity,
	.vacuum = lite_vacuum,
	.backup = lite_backup,
	.lost = lite_lost,
	.reconnect = lite_reconnect,
	.watch = lite_watch,
	.changed = lite_changed,
	.liveness_hold = lite_liveness_hold,
	.liveness_release = lite_liveness_release,
	.liveness_free = lite_liveness_free,
};
