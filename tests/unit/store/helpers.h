/*
 * tests/unit/store/helpers.h: what the store's unit tests share: a private
 * temporary directory per test, a store in it, sample records, and a
 * fingerprint of a database file's whole content.
 *
 * Tests never touch any file outside their own mkdtemp directory.
 */
#ifndef CJOBS_TESTS_STORE_HELPERS_H
#define CJOBS_TESTS_STORE_HELPERS_H

#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "store/store.h"

typedef struct {
	char *dir;      /* the test's temporary directory */
	char *path;     /* dir/store.db, or a PostgreSQL connection string */
	store_t *s;
} fixture_t;

/* True when the tests run on PostgreSQL (CJOBS_TEST_STORE=postgresql,
 * with CJOBS_TEST_PG naming the server, as tests/run sets them). */
bool test_on_pg(void);
/* The name of a new, empty store for a test in dir: dir/store.db, or a new
 * database on the test server (dropped by test_store_drop). */
char *test_store_name(const char *dir);
void test_store_drop(const char *name);

/* Runs sql (several statements may be given) on the store called name
 * through a connection of its own, with foreign keys and triggers off, as
 * a person with the database's own shell could; fails the test on error. */
void raw_exec(const char *name, const char *sql);
/* The same on the SQLite file path, whichever driver the tests run on. */
void lite_exec(const char *path, const char *sql);

/* cmocka setup/teardown: a migrated store in a new directory. */
int fx_setup(void **state);
int fx_teardown(void **state);

char *tmpdir_make(void);
void tmpdir_remove(const char *dir);
/* A malloc'd "<dir>/<name>". */
char *path_join(const char *dir, const char *name);

/* A job with every submitter field set, argv with awkward strings. */
void sample_job(job_t *j);
/* Adds a plain job and returns its id (fails the test on error). */
int64_t add_job(store_t *s, int priority, const char *host, int64_t not_before);
/* The same, held by waiting_on dependencies not yet met (no edges). */
int64_t add_job_held(store_t *s, int priority, const char *host, int64_t not_before,
		     int waiting_on);
void sample_host(host_t *h, const char *name);
/* Adds host name with sample_host's settings; max_jobs > 0 sets its limit. */
void add_sample_host(store_t *s, const char *name, int max_jobs);

/* The number job_counts keeps for host KEY and STATUS (0 when none). */
int64_t counted(store_t *s, const char *key, const char *status);
/* Claims, as worker "w", the one ready job for host RUN_ON; fails the test
 * unless exactly one was claimed. */
job_t claim_one(store_t *s, const char *run_on);

/* Every row of every table of the database file, read through a separate
 * connection (so: what is committed), as one malloc'd string. */
char *db_fingerprint(const char *path);

/* Asserts err holds a message containing needle, then frees it. */
#define assert_err_contains(err, needle)                                    \
	do {                                                                \
		assert_non_null(err);                                       \
		if (!strstr((err), (needle)))                               \
			fail_msg("error \"%s\" lacks \"%s\"", (err), (needle)); \
		free(err);                                                  \
		(err) = NULL;                                               \
	} while (0)

/* Asserts that a store call returned 0; the caller has `char *err` in
 * scope, whose message is shown when it did not. */
#define OK(call)                                                                \
	do {                                                                    \
		int rc_ = (call);                                               \
		if (rc_ != 0)                                                   \
			fail_msg("%s returned %d: %s", #call, rc_,              \
				 err ? err : "(no message)");                   \
	} while (0)

#endif
