/*
 * store/sqlite_maint.c: the SQLite driver's maintenance (driver.h): the
 * file's size, page statistics, SQLite's integrity check, VACUUM, and the
 * online backup into a new file.
 *
 * It must never touch cjobs's tables (the job counts that vacuum
 * refreshes are the store's, maint.c); it must never print.
 */
#include "store/sqlite_driver.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "store/store_int.h"
#include "util/err.h"

/* Pages copied per backup step: small enough that a worker's write waits
 * at most a few milliseconds for the copy, large enough to finish soon. */
#define BACKUP_STEP_PAGES 64

static int64_t file_size(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0 ? (int64_t)st.st_size : 0;
}

int lite_file_bytes(store_t *s, int64_t *bytes, char **err)
{
	char *wal = NULL;
	if (asprintf(&wal, "%s-wal", s->path) < 0)
		return err_set(err, "out of memory");
	*bytes = file_size(s->path) + file_size(wal);
	free(wal);
	return 0;
}

int lite_space(store_t *s, store_stats_t *o, char **err)
{
	char *wal = NULL;
	if (asprintf(&wal, "%s-wal", s->path) < 0)
		return err_set(err, "out of memory");
	o->file_bytes = file_size(s->path);
	o->wal_bytes = file_size(wal);
	free(wal);
	if (query_count(s, "PRAGMA page_size", NULL, &o->page_size, err) < 0 ||
	    query_count(s, "PRAGMA page_count", NULL, &o->page_count, err) < 0 ||
	    query_count(s, "PRAGMA freelist_count", NULL, &o->freelist_count, err) < 0)
		return -1;
	return 0;
}

int lite_integrity(store_t *s, store_problem_fn problem, void *ud, char **err)
{
	db_stmt_t *st = NULL;
	if (st_prepare(s, "PRAGMA integrity_check", &st, err) < 0)
		return -1;
	int step;
	while ((step = st_step(st)) == DB_ROW) {
		const char *r = col_str(st, 0);
		if (r && strcmp(r, "ok") != 0)
			problem(ud, r);
	}
	st_release(s, st);
	if (step != DB_DONE)
		return db_fail_rc(s, step, "cannot run the integrity check", err);
	return 0;
}

int lite_vacuum(store_t *s, char **err)
{
	int rc = s->drv->exec_script(s, "VACUUM");
	if (rc != DB_DONE)
		return db_fail_rc(s, rc, "cannot vacuum the job store", err);
	/* VACUUM in WAL mode writes the new pages to the -wal file; the
	 * checkpoint moves them into the file and empties the -wal. A reader
	 * of another process may keep part of it for now: that is fine. */
	(void)s->drv->exec_script(s, "PRAGMA wal_checkpoint(TRUNCATE)");
	return 0;
}


static int copy_pages(store_t *s, sqlite3 *dst, const char *dest, store_progress_fn progress,
		      void *ud, char **err)
{
	sqlite3_backup *b = sqlite3_backup_init(dst, "main", store_db(s), "main");
	if (!b)
		return err_set(err, "cannot start the backup to %s: %s", dest, sqlite3_errmsg(dst));
	int rc, busy_ms = 0;
	do {
		rc = sqlite3_backup_step(b, BACKUP_STEP_PAGES);
		if (progress && (rc == SQLITE_OK || rc == SQLITE_DONE)) {
			int total = sqlite3_backup_pagecount(b);
			progress(ud, total - sqlite3_backup_remaining(b), total);
		}
		if (rc == SQLITE_OK) {
			busy_ms = 0;
			sqlite3_sleep(1); /* let other processes in between steps */
		} else if (rc == SQLITE_BUSY || rc == SQLITE_LOCKED) {
			if (busy_ms >= STORE_BUSY_TIMEOUT_MS)
				break;
			sqlite3_sleep(20);
			busy_ms += 20;
		}
	} while (rc == SQLITE_OK || rc == SQLITE_BUSY || rc == SQLITE_LOCKED);
	int fin = sqlite3_backup_finish(b);
	if (rc == SQLITE_DONE && fin == SQLITE_OK)
		return 0;
	if (rc == SQLITE_DONE)
		rc = fin;
	if ((rc & 0xff) == SQLITE_BUSY || (rc & 0xff) == SQLITE_LOCKED)
		return err_set(err, "cannot back up to %s: the job store stayed busy for more "
				    "than %d s",
			       dest, STORE_BUSY_TIMEOUT_MS / 1000);
	return err_set(err, "cannot back up to %s: %s", dest, sqlite3_errstr(rc));
}

int lite_backup(store_t *s, const char *dest, bool overwrite, int64_t *bytes,
		store_progress_fn progress, void *ud, char **err)
{
	char *tmp = NULL;
	if (backup_file_open(s, dest, overwrite, &tmp, err) < 0)
		return -1;
	sqlite3 *dst = NULL;
	int rc = 0;
	if (sqlite3_open_v2(tmp, &dst, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, NULL) !=
	    SQLITE_OK)
		rc = err_set(err, "cannot open backup file %s: %s", dest,
			     dst ? sqlite3_errmsg(dst) : "out of memory");
	if (rc == 0)
		rc = copy_pages(s, dst, dest, progress, ud, err);
	/* The copy's header says WAL, like the store's; a rollback journal
	 * leaves one self-contained file, and the store makes it WAL again
	 * when the copy is opened. */
	if (rc == 0 &&
	    sqlite3_exec(dst, "PRAGMA journal_mode = DELETE", NULL, NULL, NULL) != SQLITE_OK)
		rc = err_set(err, "cannot finish backup file %s: %s", dest, sqlite3_errmsg(dst));
	if (sqlite3_close(dst) != SQLITE_OK && rc == 0)
		rc = err_set(err, "cannot close backup file %s", dest);
	if (rc == 0)
		rc = backup_file_place(tmp, dest, overwrite, err);
	backup_file_discard(tmp);
	if (rc == 0)
		*bytes = file_size(dest);
	return rc;
}
