/*
 * store/sqlite_driver.h: what only the SQLite driver has: its schema and,
 * for the store's unit tests, its connection (to read pragmas and query
 * plans). Everything else goes through driver.h.
 */
#ifndef CJOBS_STORE_SQLITE_DRIVER_H
#define CJOBS_STORE_SQLITE_DRIVER_H

#include <sqlite3.h>

#include "store/driver.h"

/* The driver's connection (store_t's conn). */
typedef struct {
	sqlite3 *db;
	int last;    /* SQLite's code of the latest failure */
	int lock_fd;  /* PATH-workers, for liveness locks; -1 until used */
	int watch_fd; /* inotify on the store's directory; -1 until watched */
} lite_conn_t;

extern const migration_t sqlite_migrations[];

/* Maintenance (sqlite_maint.c), as driver.h describes it. */
int lite_file_bytes(store_t *s, int64_t *bytes, char **err);
int lite_space(store_t *s, store_stats_t *o, char **err);
int lite_integrity(store_t *s, store_problem_fn problem, void *ud, char **err);
int lite_vacuum(store_t *s, char **err);
int lite_backup(store_t *s, const char *dest, bool overwrite, int64_t *bytes,
		store_progress_fn progress, void *ud, char **err);

/* For tests: the SQLite connection, NULL on another driver. */
sqlite3 *store_db(store_t *s);

#endif
