/*
 * store/pg_driver.h: what only the PostgreSQL driver has: its schema and
 * its maintenance. Everything else goes through driver.h.
 */
#ifndef CJOBS_STORE_PG_DRIVER_H
#define CJOBS_STORE_PG_DRIVER_H

#include "store/driver.h"

extern const migration_t pg_migrations[];

/* Maintenance (pg_maint.c), as driver.h describes it. */
int pg_file_bytes(store_t *s, int64_t *bytes, char **err);
int pg_space(store_t *s, store_stats_t *o, char **err);
int pg_integrity(store_t *s, store_problem_fn problem, void *ud, char **err);
int pg_vacuum(store_t *s, char **err);
int pg_backup(store_t *s, const char *dest, bool overwrite, int64_t *bytes,
	      store_progress_fn progress, void *ud, char **err);

#endif
