/*
 * tests/unit/store/test_pg_smoke.c: the PostgreSQL server of the test run
 * answers. Reads CJOBS_TEST_PG (a libpq keyword string without dbname, set
 * by tests/run), makes a database of its own with a unique name, runs
 * `select 1` in it and drops it.
 *
 * It must never pass without a server: with CJOBS_TEST_PG unset it fails
 * and says how to run it. It touches no database but the one it made.
 */
#include "helpers.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <libpq-fe.h>

#include "store/dburl.h"

typedef struct {
	const char *base;  /* CJOBS_TEST_PG */
	char name[64];     /* the database this test made */
	PGconn *admin;     /* on dbname=postgres, to create and drop it */
	bool created;
} smoke_t;

static PGconn *connect_to(const char *base, const char *dbname)
{
	char *ci = NULL;
	if (asprintf(&ci, "%s dbname=%s", base, dbname) < 0)
		fail_msg("out of memory");
	PGconn *c = PQconnectdb(ci);
	free(ci);
	if (!c)
		fail_msg("out of memory");
	if (PQstatus(c) != CONNECTION_OK) {
		char *why = dburl_redact(base, PQerrorMessage(c));
		char *shown = dburl_display(base);
		fail_msg("cannot connect to database %s at \"%s\": %s", dbname,
			 shown ? shown : "?", why ? why : "out of memory");
	}
	return c;
}

static void run(PGconn *c, const char *sql)
{
	PGresult *r = PQexec(c, sql);
	ExecStatusType st = PQresultStatus(r);
	if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK)
		fail_msg("%s: %s", sql, PQerrorMessage(c));
	PQclear(r);
}

static int setup(void **state)
{
	static smoke_t sm;
	memset(&sm, 0, sizeof(sm));
	*state = &sm;
	return 0;
}

/* The database goes even when the test failed half-way. */
static int teardown(void **state)
{
	smoke_t *sm = *state;
	if (sm->admin && sm->created) {
		char sql[128];
		snprintf(sql, sizeof(sql), "DROP DATABASE IF EXISTS %s", sm->name);
		PGresult *r = PQexec(sm->admin, sql);
		PQclear(r);
	}
	PQfinish(sm->admin);
	sm->admin = NULL;
	return 0;
}

static void test_select_one_in_a_new_database(void **state)
{
	smoke_t *sm = *state;
	sm->base = getenv("CJOBS_TEST_PG");
	if (!sm->base || !*sm->base)
		fail_msg("CJOBS_TEST_PG is unset: run this test through tests/run, which starts a "
			 "private PostgreSQL server and sets it (or start one with pg_start from "
			 "tests/lib/pg.sh and set CJOBS_TEST_PG=\"host=DIR user=cjobs\")");
	char *err = NULL;
	OK(dburl_check(sm->base, "CJOBS_TEST_PG", &err));
	assert_int_equal(dburl_kind(sm->base), DBURL_POSTGRES);

	/* Unique on this machine and across runs: tests share one server. */
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	snprintf(sm->name, sizeof(sm->name), "cjobs_smoke_%ld_%lld_%ld", (long)getpid(),
		 (long long)ts.tv_sec, ts.tv_nsec);
	sm->admin = connect_to(sm->base, "postgres");
	char sql[128];
	snprintf(sql, sizeof(sql), "CREATE DATABASE %s", sm->name);
	run(sm->admin, sql);
	sm->created = true;

	PGconn *c = connect_to(sm->base, sm->name);
	PGresult *r = PQexec(c, "select 1");
	if (PQresultStatus(r) != PGRES_TUPLES_OK)
		fail_msg("select 1: %s", PQerrorMessage(c));
	assert_int_equal(PQntuples(r), 1);
	assert_string_equal(PQgetvalue(r, 0, 0), "1");
	PQclear(r);
	r = PQexec(c, "select current_database()");
	assert_string_equal(PQgetvalue(r, 0, 0), sm->name);
	PQclear(r);
	PQfinish(c);

	snprintf(sql, sizeof(sql), "DROP DATABASE %s", sm->name);
	run(sm->admin, sql);
	sm->created = false;
	snprintf(sql, sizeof(sql), "select count(*) from pg_database where datname = '%s'",
		 sm->name);
	r = PQexec(sm->admin, sql);
	assert_int_equal(PQresultStatus(r), PGRES_TUPLES_OK);
	assert_string_equal(PQgetvalue(r, 0, 0), "0");
	PQclear(r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_select_one_in_a_new_database, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
