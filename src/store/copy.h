/*
 * store/copy.h: copying a whole job store into another, of either kind
 * (SQLite or PostgreSQL), for `cjobs db copy`.
 *
 * Like store.h, every function returns 0 on success and -1 on failure with
 * a one-line message in *err (malloc'd; the caller frees it). It must never
 * print, never write to the source, and never leave the target half
 * written: the whole copy is one transaction on the target.
 */
#ifndef CJOBS_STORE_COPY_H
#define CJOBS_STORE_COPY_H

#include "store/store.h"

/* What a store holds, or what a copy moved. */
typedef struct {
	int64_t hosts, templates, jobs;
	int64_t tokens;         /* API tokens (their hashes) */
	int64_t schedules, schedule_skips; /* schedules and their skipped runs */
	int64_t history_rows, output_rows;
	int64_t dep_rows;       /* dependencies between jobs (job_deps) */
	int64_t output_bytes;   /* bytes of captured output */
	int64_t meta_rows;      /* the store's id and creation time */
	/* History and output rows whose job no longer exists ('db check'
	 * names them): the target's foreign keys refuse them, so a copy
	 * leaves them out. */
	int64_t orphan_rows;
} store_copy_counts_t;

/* True when c counts no host, template, job, history or output row: a
 * store that may be copied into without --force (its meta rows, the id
 * that every new store gets, are replaced). */
bool store_copy_counts_empty(const store_copy_counts_t *c);

/* Counts what s holds, in one read transaction. s may be at any schema
 * version from 1 (opened without migrating); a store at version 0 (a new
 * file or an empty database) holds nothing. */
int store_copy_contents(store_t *s, store_copy_counts_t *out, char **err);

/* Called as each batch of a table is written: what ("hosts", "jobs", ...),
 * rows done, rows in all. */
typedef void (*store_copy_progress_fn)(void *ud, const char *what, int64_t done,
				       int64_t total);

/* Copies everything in src into dst: the store's meta rows (its id and
 * creation time: containers carry the id in their cjobs.store label, so a
 * copy that becomes the real store must keep it), hosts, templates, jobs
 * with their ids, history and output (byte for byte). The job counts of
 * dst are counted from the copied jobs, as 'db vacuum' does, and dst's id
 * sequences are moved past the source's (the highest id it ever gave, not
 * only the highest left), so that a new job in dst never gets the id of a
 * job the source had.
 *
 * src is read in one read transaction (one consistent snapshot; nothing
 * is written to it) and must be at this cjobs's schema version. dst was
 * opened without migrating: it is migrated here, once it is known to be
 * empty or replace is set. A dst that holds any host, template or job is
 * refused unless replace; with replace, everything in it is deleted in the
 * copy's own transaction, so that a failed copy leaves it as it was. dst
 * may not be src itself. Rows are read and written in batches; dst's
 * write lock is held from the first write to the commit. *copied gets
 * what was written, checked against what dst holds before the commit. */
int store_copy(store_t *src, store_t *dst, bool replace, store_copy_counts_t *copied,
	       store_copy_progress_fn progress, void *ud, char **err);

#endif
