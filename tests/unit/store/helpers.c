/*
 * tests/unit/store/helpers.c: shared fixtures of the store's unit tests;
 * see helpers.h.
 */
#include "helpers.h"

#include <ctype.h>
#include <ftw.h>
#include <libpq-fe.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "store/sqlite_driver.h"
#include "store/store_int.h"
#include "util/strbuf.h"

char *tmpdir_make(void)
{
	const char *base = getenv("TMPDIR");
	char *tmpl = NULL;
	if (asprintf(&tmpl, "%s/cjobs-store-test-XXXXXX", base && *base ? base : "/tmp") < 0)
		return NULL;
	if (!mkdtemp(tmpl)) {
		free(tmpl);
		return NULL;
	}
	return tmpl;
}

static int rm_one(const char *p, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	return remove(p);
}

void tmpdir_remove(const char *dir)
{
	if (dir)
		nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

char *path_join(const char *dir, const char *name)
{
	char *p = NULL;
	if (asprintf(&p, "%s/%s", dir, name) < 0)
		return NULL;
	return p;
}

bool test_on_pg(void)
{
	const char *s = getenv("CJOBS_TEST_STORE");
	return s && strcmp(s, "postgresql") == 0;
}

/* Runs one statement on the test server's maintenance database. */
static int pg_admin(const char *sql)
{
	const char *base = getenv("CJOBS_TEST_PG");
	char *conninfo = NULL;
	if (!base || asprintf(&conninfo, "%s dbname=postgres", base) < 0) {
		fprintf(stderr, "CJOBS_TEST_STORE=postgresql needs CJOBS_TEST_PG (tests/run sets "
				"both)\n");
		return -1;
	}
	PGconn *c = PQconnectdb(conninfo);
	free(conninfo);
	PGresult *r = PQstatus(c) == CONNECTION_OK ? PQexec(c, sql) : NULL;
	int rc = PQresultStatus(r) == PGRES_COMMAND_OK ? 0 : -1;
	if (rc < 0)
		fprintf(stderr, "%s: %s", sql, PQerrorMessage(c));
	PQclear(r);
	PQfinish(c);
	return rc;
}

char *test_store_name(const char *dir)
{
	if (!test_on_pg())
		return path_join(dir, "store.db");
	/* A database per store, named after the test's own directory, so
	 * that tests running at once never meet. */
	static unsigned seq;
	char *db = NULL, *sql = NULL, *conninfo = NULL;
	const char *tail = strrchr(dir, '-');
	if (asprintf(&db, "cjt_%s_%u", tail ? tail + 1 : "x", seq++) < 0)
		return NULL;
	for (char *p = db; *p; p++)
		*p = (char)tolower((unsigned char)*p);
	if (asprintf(&sql, "CREATE DATABASE %s", db) < 0 || pg_admin(sql) < 0 ||
	    asprintf(&conninfo, "%s dbname=%s", getenv("CJOBS_TEST_PG"), db) < 0)
		conninfo = NULL;
	free(sql);
	free(db);
	return conninfo;
}

void test_store_drop(const char *name)
{
	const char *db = name ? strstr(name, "dbname=") : NULL;
	if (!test_on_pg() || !db)
		return;
	char *sql = NULL;
	if (asprintf(&sql, "DROP DATABASE IF EXISTS %s WITH (FORCE)", db + 7) >= 0)
		pg_admin(sql);
	free(sql);
}

void lite_exec(const char *path, const char *sql)
{
	sqlite3 *db = NULL;
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	char *msg = NULL;
	if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK)
		fail_msg("sqlite3 %s: %s", sql, msg ? msg : "?");
	sqlite3_free(msg);
	sqlite3_close(db);
}

void raw_exec(const char *name, const char *sql)
{
	if (test_on_pg()) {
		PGconn *c = PQconnectdb(name);
		/* Triggers and foreign keys off, as SQLite's own shell has
		 * them: a test writes what the store never would. */
		PGresult *r = PQexec(c, "SET session_replication_role = replica");
		PQclear(r);
		r = PQexec(c, sql);
		if (PQresultStatus(r) != PGRES_COMMAND_OK && PQresultStatus(r) != PGRES_TUPLES_OK)
			fail_msg("%s: %s", sql, PQerrorMessage(c));
		PQclear(r);
		PQfinish(c);
		return;
	}
	lite_exec(name, sql);
}

int fx_setup(void **state)
{
	fixture_t *fx = calloc(1, sizeof(*fx));
	if (!fx || !(fx->dir = tmpdir_make()) || !(fx->path = test_store_name(fx->dir)))
		return -1;
	char *err = NULL;
	if (store_open(fx->path, true, &fx->s, &err) != 0) {
		fprintf(stderr, "store_open: %s\n", err ? err : "?");
		free(err);
		return -1;
	}
	*state = fx;
	return 0;
}

int fx_teardown(void **state)
{
	fixture_t *fx = *state;
	if (!fx)
		return 0;
	store_close(fx->s);
	test_store_drop(fx->path);
	tmpdir_remove(fx->dir);
	free(fx->dir);
	free(fx->path);
	free(fx);
	return 0;
}

static char **vec(const char *const *items, size_t n)
{
	char **v = calloc(n + 1, sizeof(char *));
	for (size_t i = 0; v && i < n; i++)
		v[i] = strdup(items[i]);
	return v;
}

void sample_job(job_t *j)
{
	static const char *const argv[] = {
		"sh", "-c", "echo \"hello world\" 'single' $HOME\nnext line", "",
		"tab\there", "\xff\xfe not utf-8 \x80", "back\\slash",
	};
	static const char *const env[] = {"A=1", "SPACED=a b c", "EMPTY=", "NL=x\ny",
					  "QUOTE=\"'"};
	job_init(j);
	j->name = strdup("nightly build");
	j->image = strdup("cjobs-test/busybox:1");
	j->argc = sizeof(argv) / sizeof(argv[0]);
	j->argv = vec(argv, j->argc);
	j->workdir = strdup("/work dir");
	j->envc = sizeof(env) / sizeof(env[0]);
	j->env = vec(env, j->envc);
	j->template_name = strdup("base");
	j->memory_bytes = 256LL << 20;
	j->nano_cpus = 1500000000LL;
	j->timeout_s = 3600;
	j->priority = -7;
	j->not_before = 1234567;
	j->host = strdup("gpu-1");
	j->max_retries = 3;
}

int64_t add_job(store_t *s, int priority, const char *host, int64_t not_before)
{
	return add_job_held(s, priority, host, not_before, 0);
}

int64_t add_job_held(store_t *s, int priority, const char *host, int64_t not_before,
		     int waiting_on)
{
	static const char *const argv[] = {"true"};
	job_t j;
	job_init(&j);
	j.image = strdup("img");
	j.argc = 1;
	j.argv = vec(argv, 1);
	j.priority = priority;
	j.host = host ? strdup(host) : NULL;
	j.not_before = not_before;
	j.waiting_on = waiting_on;
	char *err = NULL;
	OK(store_job_add(s, &j, "test", "added", &err));
	int64_t id = j.id;
	job_free(&j);
	return id;
}

void sample_host(host_t *h, const char *name)
{
	host_init(h);
	h->name = strdup(name);
	h->url = strdup("unix:///var/run/docker.sock");
}

void add_sample_host(store_t *s, const char *name, int max_jobs)
{
	char *err = NULL;
	host_t h;
	sample_host(&h, name);
	if (max_jobs > 0)
		h.max_jobs = max_jobs;
	OK(store_host_add(s, &h, &err));
	host_free(&h);
}

static void append_value(strbuf_t *sb, sqlite3_stmt *st, int col)
{
	switch (sqlite3_column_type(st, col)) {
	case SQLITE_NULL: sb_puts(sb, "NULL"); break;
	case SQLITE_INTEGER: sb_printf(sb, "%lld", sqlite3_column_int64(st, col)); break;
	case SQLITE_FLOAT: sb_printf(sb, "%.17g", sqlite3_column_double(st, col)); break;
	default: {
		const unsigned char *p = sqlite3_column_blob(st, col);
		int n = sqlite3_column_bytes(st, col);
		sb_printf(sb, "[%d]", n);
		for (int i = 0; i < n; i++)
			sb_printf(sb, "%02x", p[i]);
	}
	}
	sb_putc(sb, '|');
}

static void dump_table(sqlite3 *db, const char *table, strbuf_t *sb)
{
	char *sql = sqlite3_mprintf("SELECT * FROM \"%w\" ORDER BY rowid", table);
	char *by_key = sqlite3_mprintf("SELECT * FROM \"%w\"", table);
	sqlite3_stmt *st = NULL;
	/* In insertion order: the same content dumps the same. A table WITHOUT
	 * ROWID (job_counts) has no rowid: it is read in its primary key's
	 * order, which is as stable. */
	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK &&
	    sqlite3_prepare_v2(db, by_key, -1, &st, NULL) != SQLITE_OK)
		sqlite3_prepare_v2(db, "SELECT 'unreadable'", -1, &st, NULL);
	sqlite3_free(sql);
	sqlite3_free(by_key);
	sb_printf(sb, "table %s\n", table);
	while (sqlite3_step(st) == SQLITE_ROW) {
		for (int c = 0; c < sqlite3_column_count(st); c++)
			append_value(sb, st, c);
		sb_putc(sb, '\n');
	}
	sqlite3_finalize(st);
}

/* The same on PostgreSQL: each table's rows as text, in order. */
static char *pg_fingerprint(const char *conninfo)
{
	PGconn *c = PQconnectdb(conninfo);
	strbuf_t sb = STRBUF_INIT;
	PGresult *t = PQexec(c, "SELECT tablename FROM pg_tables WHERE schemaname = "
				"current_schema() ORDER BY 1");
	for (int i = 0; i < PQntuples(t); i++) {
		char *sql = NULL;
		const char *name = PQgetvalue(t, i, 0);
		if (asprintf(&sql, "SELECT x::text FROM %s x ORDER BY 1", name) < 0)
			break;
		PGresult *r = PQexec(c, sql);
		free(sql);
		sb_printf(&sb, "table %s\n", name);
		for (int j = 0; j < PQntuples(r); j++)
			sb_printf(&sb, "%s\n", PQgetvalue(r, j, 0));
		PQclear(r);
	}
	PQclear(t);
	PQfinish(c);
	return sb_steal(&sb);
}

char *db_fingerprint(const char *path)
{
	if (test_on_pg())
		return pg_fingerprint(path);
	sqlite3 *db = NULL;
	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK) {
		sqlite3_close(db);
		return NULL;
	}
	strbuf_t sb = STRBUF_INIT;
	sqlite3_stmt *st = NULL;
	sqlite3_prepare_v2(db, "SELECT name FROM sqlite_master WHERE type = 'table' "
			       "ORDER BY name",
			   -1, &st, NULL);
	char **names = NULL;
	size_t n = 0;
	while (st && sqlite3_step(st) == SQLITE_ROW) {
		names = realloc(names, (n + 1) * sizeof(char *));
		names[n++] = strdup((const char *)sqlite3_column_text(st, 0));
	}
	sqlite3_finalize(st);
	for (size_t i = 0; i < n; i++) {
		dump_table(db, names[i], &sb);
		free(names[i]);
	}
	free(names);
	sqlite3_close(db);
	return sb_steal(&sb);
}

int64_t counted(store_t *s, const char *key, const char *status)
{
	int64_t n = 0;
	char *err = NULL, *sql = NULL;
	assert_true(asprintf(&sql, "SELECT coalesce(sum(n), 0) FROM job_counts WHERE "
				   "host_key = ? AND status = '%s'",
			     status) > 0);
	OK(query_count(s, sql, key, &n, &err));
	free(sql);
	return n;
}

job_t claim_one(store_t *s, const char *run_on)
{
	char *err = NULL;
	job_t *c = NULL;
	size_t n = 0;
	OK(store_job_claim(s, "w", 5, NULL, run_on, 1, &c, &n, &err));
	assert_int_equal(n, 1);
	job_t j = c[0];
	free(c);
	return j;
}
