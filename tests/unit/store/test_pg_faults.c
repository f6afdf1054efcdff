/*
 * tests/unit/store/test_pg_faults.c: the job store on PostgreSQL when the
 * server, libpq or memory fails: what a caller sees from the PostgreSQL
 * driver (store/pg_driver.c, pg_maint.c) in each case.
 *
 * Real failures first, made on the run's private server (CJOBS_TEST_PG):
 * a connection the server ends (pg_terminate_backend) and a database that
 * refuses connections meanwhile, a statement cancelled while it waits for
 * a lock (pg_cancel_backend), a deadlock, a read-only database, a role
 * that may not write, a value the server's index cannot hold, a worker id
 * whose liveness lock another connection holds, and a database whose
 * default isolation is repeatable read. Each must fail with one line that
 * says what failed, write nothing, and leave the store usable (or usable
 * again after store_reconnect).
 *
 * Then what no real failure reaches on a healthy server, injected beneath
 * the driver with the linker's --wrap (meson.build):
 *   - a statement answered with a chosen SQLSTATE: the n-th statement the
 *     driver sends (PQexec, PQexecParams) is replaced by one that the server
 *     fails with that SQLSTATE (a text of several statements keeps all but
 *     its last), so that the result, the transaction's state and the
 *     connection are the server's own. Each call of a list is run with
 *     n = 1, 2, ... until it completes without reaching n;
 *   - allocation failure: the n-th allocation fails, ours (malloc, calloc,
 *     realloc, strdup, strndup, asprintf) or libpq's (a NULL from PQexec,
 *     PQexecParams, PQconnectdbParams, PQunescapeBytea or PQconninfoParse,
 *     as libpq answers when it cannot allocate), for n = 1, 2, ...
 * and the driver's own rules through its table (placeholders, binding,
 * columns).
 *
 * It needs the server: with CJOBS_TEST_PG unset it fails and says so (never
 * a silent pass). It touches only the databases it makes (helpers.c), the
 * role it makes (a thing of the whole server, dropped before its test
 * ends), and the files of its own temporary directory.
 */
#include "helpers.h"
#include "../alloc_wrap.h"

#include <libpq-fe.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "store/maint.h"
#include "store/store_int.h"

/* The hash of a token "reader" (scope read) that tests store. */
#define READER_HASH "5ca1ab1e5ca1ab1e5ca1ab1e5ca1ab1e5ca1ab1e5ca1ab1e5ca1ab1e5ca1ab1e"

/* ---- what fails ---- */

typedef enum { F_OFF, F_STATEMENT, F_ALLOC } fault_kind_t;

static struct {
	fault_kind_t kind;
	long at;            /* the n-th point of that kind fails */
	long count;
	bool paused;        /* set-up inside a call runs without faults */
	bool injected;
	const char *state;  /* F_STATEMENT: the SQLSTATE of the failure */
	const char *match;  /* F_STATEMENT: only statements starting so count */
	char sql[200];      /* the statement that failed */
} fault;

static void arm(fault_kind_t kind, long at, const char *state, const char *match)
{
	fault.kind = kind;
	fault.at = at;
	fault.count = 0;
	fault.paused = false;
	fault.injected = false;
	fault.state = state;
	fault.match = match;
	fault.sql[0] = '\0';
}

static void disarm(void)
{
	fault.kind = F_OFF;
}

static void pause_faults(void)
{
	fault.paused = true;
}

static void resume_faults(void)
{
	fault.paused = false;
}

static bool hit(fault_kind_t kind)
{
	if (fault.kind != kind || fault.paused || fault.injected)
		return false;
	if (++fault.count != fault.at)
		return false;
	fault.injected = true;
	return true;
}

PGresult *__real_PQexec(PGconn *conn, const char *query);
PGresult *__real_PQexecParams(PGconn *conn, const char *command, int nParams,
			      const Oid *paramTypes, const char *const *paramValues,
			      const int *paramLengths, const int *paramFormats, int resultFormat);
PGresult *__real_PQprepare(PGconn *conn, const char *name, const char *query, int nParams,
			   const Oid *paramTypes);
PGresult *__real_PQexecPrepared(PGconn *conn, const char *name, int nParams,
				const char *const *paramValues, const int *paramLengths,
				const int *paramFormats, int resultFormat);
int __real_PQsendQueryParams(PGconn *conn, const char *command, int nParams,
			     const Oid *paramTypes, const char *const *paramValues,
			     const int *paramLengths, const int *paramFormats, int resultFormat);
int __real_PQsendQueryPrepared(PGconn *conn, const char *name, int nParams,
			       const char *const *paramValues, const int *paramLengths,
			       const int *paramFormats, int resultFormat);
PGconn *__real_PQconnectdbParams(const char *const *keywords, const char *const *values,
				 int expand_dbname);
unsigned char *__real_PQunescapeBytea(const unsigned char *strtext, size_t *retbuflen);
PQconninfoOption *__real_PQconninfoParse(const char *conninfo, char **errmsg);

/* Ours: alloc_wrap.c fails malloc, calloc, realloc, strdup, strndup and
 * asprintf when this says so. */
bool alloc_should_fail(void)
{
	return hit(F_ALLOC);
}

/* The statement that replaces the one to fail: the server fails it with
 * fault.state. Of a text of several statements (BEGIN with its lock, the
 * connection's settings, NOTIFY with COMMIT), the ones before the last
 * still run, as they would when the last one failed. */
static PGresult *failing(PGconn *conn, const char *sql)
{
	snprintf(fault.sql, sizeof(fault.sql), "%s", sql);
	const char *cut = strstr(sql, "$$") ? NULL : strrchr(sql, ';');
	char text[600];
	snprintf(text, sizeof(text),
		 "%.*sDO $f$ BEGIN RAISE EXCEPTION 'injected fault' USING ERRCODE = '%s'; END $f$",
		 cut ? (int)(cut - sql + 1) : 0, sql, fault.state);
	return __real_PQexec(conn, text);
}

/* The statements the driver sends, by how: alone, a round trip each
 * (PQexec, PQexecParams, PQprepare, PQexecPrepared), or into a pipeline
 * that one round trip answers (PQsendQueryParams, PQsendQueryPrepared). */
static struct {
	long alone, piped;
} sent;

/* A statement of the driver: the n-th may fail (F_STATEMENT), or find no
 * memory for its result (F_ALLOC: not sent, as libpq does then). */
static bool statement_fails(const char *sql)
{
	if (fault.kind == F_STATEMENT && fault.match && strncmp(sql, fault.match, strlen(fault.match)))
		return false;
	return hit(F_STATEMENT);
}

PGresult *__wrap_PQexec(PGconn *conn, const char *query)
{
	sent.alone++;
	if (statement_fails(query))
		return failing(conn, query);
	if (hit(F_ALLOC)) {
		snprintf(fault.sql, sizeof(fault.sql), "%s", query);
		return NULL;
	}
	return __real_PQexec(conn, query);
}

PGresult *__wrap_PQexecParams(PGconn *conn, const char *command, int nParams,
			      const Oid *paramTypes, const char *const *paramValues,
			      const int *paramLengths, const int *paramFormats, int resultFormat)
{
	sent.alone++;
	if (statement_fails(command))
		return failing(conn, command);
	if (hit(F_ALLOC)) {
		snprintf(fault.sql, sizeof(fault.sql), "%s", command);
		return NULL;
	}
	return __real_PQexecParams(conn, command, nParams, paramTypes, paramValues, paramLengths,
				   paramFormats, resultFormat);
}

/* The statements the driver prepared on the server, by connection and
 * name, so that running one by name can fail like its text would. */
static struct {
	PGconn *conn;
	char name[16];
	char sql[600];
} prepared[512];
static size_t nprepared;

static const char *prepared_sql(PGconn *conn, const char *name)
{
	for (size_t i = nprepared; i-- > 0;)
		if (prepared[i].conn == conn && strcmp(prepared[i].name, name) == 0)
			return prepared[i].sql;
	return "";
}

/* Preparing is a point of its own: the first run of a kept statement
 * prepares it, and that can fail as the statement would. */
PGresult *__wrap_PQprepare(PGconn *conn, const char *name, const char *query, int nParams,
			   const Oid *paramTypes)
{
	sent.alone++;
	if (statement_fails(query))
		return failing(conn, query);
	if (hit(F_ALLOC)) {
		snprintf(fault.sql, sizeof(fault.sql), "%s", query);
		return NULL;
	}
	PGresult *r = __real_PQprepare(conn, name, query, nParams, paramTypes);
	if (PQresultStatus(r) == PGRES_COMMAND_OK) {
		size_t i = nprepared < sizeof(prepared) / sizeof(prepared[0]) ? nprepared++ : 0;
		prepared[i].conn = conn;
		snprintf(prepared[i].name, sizeof(prepared[i].name), "%s", name);
		snprintf(prepared[i].sql, sizeof(prepared[i].sql), "%s", query);
	}
	return r;
}

PGresult *__wrap_PQexecPrepared(PGconn *conn, const char *name, int nParams,
				const char *const *paramValues, const int *paramLengths,
				const int *paramFormats, int resultFormat)
{
	sent.alone++;
	const char *sql = prepared_sql(conn, name);
	if (statement_fails(sql))
		return failing(conn, sql);
	if (hit(F_ALLOC)) {
		snprintf(fault.sql, sizeof(fault.sql), "%s", sql);
		return NULL;
	}
	return __real_PQexecPrepared(conn, name, nParams, paramValues, paramLengths, paramFormats,
				     resultFormat);
}

/* The driver's pipeline (a statement sent with the savepoints and writes
 * held back before it): the same faults, sent as the failing text in the
 * statement's place, or not sent at all as when libpq finds no memory. */
static char pipelined_fault[700];

static int send_failing(PGconn *conn, const char *sql)
{
	snprintf(fault.sql, sizeof(fault.sql), "%s", sql);
	snprintf(pipelined_fault, sizeof(pipelined_fault),
		 "DO $f$ BEGIN RAISE EXCEPTION 'injected fault' USING ERRCODE = '%s'; END $f$",
		 fault.state);
	return __real_PQsendQueryParams(conn, pipelined_fault, 0, NULL, NULL, NULL, NULL, 0);
}

int __wrap_PQsendQueryParams(PGconn *conn, const char *command, int nParams,
			     const Oid *paramTypes, const char *const *paramValues,
			     const int *paramLengths, const int *paramFormats, int resultFormat)
{
	sent.piped++;
	if (statement_fails(command))
		return send_failing(conn, command);
	if (hit(F_ALLOC)) {
		snprintf(fault.sql, sizeof(fault.sql), "%s", command);
		return 0;
	}
	return __real_PQsendQueryParams(conn, command, nParams, paramTypes, paramValues,
					paramLengths, paramFormats, resultFormat);
}

int __wrap_PQsendQueryPrepared(PGconn *conn, const char *name, int nParams,
			       const char *const *paramValues, const int *paramLengths,
			       const int *paramFormats, int resultFormat)
{
	sent.piped++;
	const char *sql = prepared_sql(conn, name);
	if (statement_fails(sql))
		return send_failing(conn, sql);
	if (hit(F_ALLOC)) {
		snprintf(fault.sql, sizeof(fault.sql), "%s", sql);
		return 0;
	}
	return __real_PQsendQueryPrepared(conn, name, nParams, paramValues, paramLengths,
					  paramFormats, resultFormat);
}

PGconn *__wrap_PQconnectdbParams(const char *const *keywords, const char *const *values,
				 int expand_dbname)
{
	return hit(F_ALLOC) ? NULL : __real_PQconnectdbParams(keywords, values, expand_dbname);
}

unsigned char *__wrap_PQunescapeBytea(const unsigned char *strtext, size_t *retbuflen)
{
	return hit(F_ALLOC) ? NULL : __real_PQunescapeBytea(strtext, retbuflen);
}

PQconninfoOption *__wrap_PQconninfoParse(const char *conninfo, char **errmsg)
{
	if (hit(F_ALLOC)) {
		if (errmsg)
			*errmsg = NULL;
		return NULL;
	}
	return __real_PQconninfoParse(conninfo, errmsg);
}

/* ---- the server, beside the store ---- */

/* The database a test store is on (helpers.c names it in its conninfo). */
static const char *dbname_of(const char *conninfo)
{
	const char *p = strstr(conninfo, "dbname=");
	assert_non_null(p);
	return p + 7;
}

static PGconn *raw_connect(const char *conninfo)
{
	PGconn *c = PQconnectdb(conninfo);
	if (PQstatus(c) != CONNECTION_OK)
		fail_msg("cannot connect: %s", PQerrorMessage(c));
	return c;
}

/* Runs sql on c (not through the fault wrappers); fails the test if it
 * fails. */
static void raw_run(PGconn *c, const char *sql)
{
	PGresult *r = __real_PQexec(c, sql);
	ExecStatusType t = PQresultStatus(r);
	if (t != PGRES_COMMAND_OK && t != PGRES_TUPLES_OK)
		fail_msg("%s: %s", sql, PQerrorMessage(c));
	PQclear(r);
}

static int64_t raw_count(PGconn *c, const char *sql)
{
	PGresult *r = __real_PQexec(c, sql);
	if (PQresultStatus(r) != PGRES_TUPLES_OK || PQntuples(r) != 1)
		fail_msg("%s: %s", sql, PQerrorMessage(c));
	int64_t n = strtoll(PQgetvalue(r, 0, 0), NULL, 10);
	PQclear(r);
	return n;
}

/* Runs a statement on the server's maintenance database (ALTER DATABASE,
 * pg_terminate_backend). */
static void admin(const char *fmt, ...)
{
	char *sql = NULL, *ci = NULL;
	va_list ap;
	va_start(ap, fmt);
	assert_true(vasprintf(&sql, fmt, ap) > 0);
	va_end(ap);
	assert_true(asprintf(&ci, "%s dbname=postgres", getenv("CJOBS_TEST_PG")) > 0);
	PGconn *c = raw_connect(ci);
	raw_run(c, sql);
	PQfinish(c);
	free(ci);
	free(sql);
}

/* The server process that serves the store's connection. */
static int backend_pid(store_t *s)
{
	char *err = NULL;
	int64_t pid = 0;
	OK(query_count(s, "SELECT pg_backend_pid()", NULL, &pid, &err));
	return (int)pid;
}

/* Ends the store's connection from the server's side, as an administrator
 * (or a server restart) does, and waits until its server process is gone. */
static void terminate(store_t *s)
{
	int pid = backend_pid(s);
	admin("SELECT pg_terminate_backend(%d, 30000)", pid);
}

/* The server process pid has ended. */
static void wait_gone(const char *conninfo, int pid)
{
	PGconn *c = raw_connect(conninfo);
	char sql[128];
	snprintf(sql, sizeof(sql), "SELECT count(*) FROM pg_stat_activity WHERE pid = %d", pid);
	for (int i = 0; i < 3000; i++) {
		if (raw_count(c, sql) == 0) {
			PQfinish(c);
			return;
		}
		usleep(10000);
	}
	fail_msg("server process %d did not end", pid);
}

/* pid waits for a lock (seen from the connection c). */
static void wait_until_waiting(PGconn *c, int pid)
{
	char sql[128];
	snprintf(sql, sizeof(sql), "SELECT count(*) FROM pg_locks WHERE pid = %d AND NOT granted",
		 pid);
	for (int i = 0; i < 3000; i++) {
		if (raw_count(c, sql) > 0)
			return;
		usleep(10000);
	}
	fail_msg("process %d never waited for a lock", pid);
}

/* Sends, on c (which holds a lock), a statement that cancels pid's
 * statement as soon as pid waits for a lock; read its result with
 * finish_async. The store's own wait is bounded by its lock_timeout. */
static void cancel_when_waiting(PGconn *c, int pid)
{
	char sql[400];
	snprintf(sql, sizeof(sql),
		 "DO $$ DECLARE t timestamptz := clock_timestamp() + interval '30 s'; BEGIN "
		 "WHILE NOT EXISTS (SELECT 1 FROM pg_locks WHERE pid = %d AND NOT granted) "
		 "AND clock_timestamp() < t LOOP PERFORM pg_sleep(0.01); END LOOP; "
		 "PERFORM pg_cancel_backend(%d); END $$",
		 pid, pid);
	assert_int_equal(PQsendQuery(c, sql), 1);
}

static void finish_async(PGconn *c)
{
	PGresult *r;
	while ((r = PQgetResult(c))) {
		ExecStatusType t = PQresultStatus(r);
		if (t != PGRES_COMMAND_OK && t != PGRES_TUPLES_OK)
			fail_msg("%s", PQerrorMessage(c));
		PQclear(r);
	}
}

/* ---- checks ---- */

/* err is one line that holds needle (freed). */
static void one_line(char **err, const char *needle)
{
	assert_non_null(*err);
	if (strchr(*err, '\n'))
		fail_msg("error of more than one line: \"%s\"", *err);
	assert_err_contains(*err, needle);
}

/* The store answers again, outside any transaction. */
static void usable(store_t *s)
{
	char *err = NULL;
	host_t *hs = NULL;
	size_t n = 0;
	OK(store_host_list(s, &hs, &n, &err));
	store_host_list_free(hs, n);
	assert_int_equal(s->depth, 0);
	assert_false(db_in_tx(s));
}

static int64_t host_weight(store_t *s, const char *name)
{
	char *err = NULL;
	host_t h;
	OK(store_host_get(s, name, &h, &err));
	int64_t w = h.weight;
	host_free(&h);
	return w;
}

/* ---- set-up ---- */

static int group_setup(void **state)
{
	(void)state;
	const char *pg = getenv("CJOBS_TEST_PG");
	if (!pg || !*pg) {
		fprintf(stderr, "CJOBS_TEST_PG is unset: run this test through tests/run, which "
				"starts a private PostgreSQL server and sets it (or start one with "
				"pg_start from tests/lib/pg.sh and set CJOBS_TEST_PG=\"host=DIR "
				"user=cjobs\")\n");
		return -1;
	}
	/* helpers.c makes each store a database of its own on that server. */
	setenv("CJOBS_TEST_STORE", "postgresql", 1);
	return 0;
}

/* ---- real failures ---- */

/* Waits (up to 30 s) until a session of the database at conninfo waits
 * for an advisory lock; false when none did. Outside cmocka: also run by
 * forked children. */
static bool advisory_lock_awaited(const char *conninfo)
{
	PGconn *w = PQconnectdb(conninfo);
	char sql[160];
	snprintf(sql, sizeof(sql),
		 "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted "
		 "AND database = (SELECT oid FROM pg_database WHERE datname = '%s')",
		 dbname_of(conninfo));
	bool waiting = false;
	for (int i = 0; !waiting && i < 3000; i++) {
		PGresult *r = __real_PQexec(w, sql);
		waiting = PQresultStatus(r) == PGRES_TUPLES_OK && strcmp(PQgetvalue(r, 0, 0), "0") != 0;
		PQclear(r);
		if (!waiting)
			usleep(10000);
	}
	PQfinish(w);
	return waiting;
}

/* A product bug this test found: the writers' transaction took the
 * database's default isolation, so with default_transaction_isolation set
 * to repeatable read (a server, database or role setting) a writer's
 * snapshot was taken before it waited for the write lock. A worker that
 * waited for another's claim then did not see it: it claimed the same job
 * again and failed as busy (could not serialize access), or took a job on a
 * host the other had just filled. Writers now read committed whatever the
 * default. */
static void writers_see_what_the_lock_holder_committed(void **state, bool in_writer_tx)
{
	fixture_t *fx = *state;
	char *err = NULL;
	add_sample_host(fx->s, "h1", 1);
	int64_t first = add_job(fx->s, 5, NULL, 0);
	add_job(fx->s, 1, NULL, 0);
	admin("ALTER DATABASE %s SET default_transaction_isolation = 'repeatable read'",
	      dbname_of(fx->path));
	store_close(fx->s);
	OK(store_open(fx->path, false, &fx->s, &err));
	PGconn *watch = raw_connect(fx->path);
	assert_int_equal(raw_count(watch, "SELECT count(*) FROM pg_settings WHERE name = "
					  "'default_transaction_isolation' AND setting = 'repeatable read'"),
			 1);

	int ready[2];
	assert_int_equal(pipe(ready), 0);
	pid_t child = fork();
	assert_true(child >= 0);
	if (child == 0) {
		/* The other worker: claims the first job for h1 and commits only
		 * when this one waits for the write lock. No cmocka here. */
		store_t *a = NULL;
		char *e = NULL;
		job_t *c = NULL;
		size_t n = 0;
		if (store_open(fx->path, false, &a, &e) < 0 || store_begin(a, &e) < 0 ||
		    store_job_claim(a, "wa", 1LL << 50, NULL, "h1", 1, &c, &n, &e) < 0 || n != 1 ||
		    c[0].id != first)
			_exit(2);
		if (write(ready[1], "x", 1) != 1)
			_exit(3);
		if (!advisory_lock_awaited(fx->path))
			_exit(4);
		_exit(store_commit(a, &e) == 0 ? 0 : 5);
	}
	close(ready[1]);
	char x;
	assert_int_equal(read(ready[0], &x, 1), 1);
	close(ready[0]);
	job_t *c = NULL;
	size_t n = 9;
	/* Alone, the claim's own transaction (sql_begin_claim); inside a
	 * writer's transaction (sql_begin), the writer's. */
	int rc = in_writer_tx ? store_begin(fx->s, &err) : 0;
	if (rc == 0)
		rc = store_job_claim(fx->s, "wb", 1LL << 50, NULL, "h1", 1, &c, &n, &err);
	if (in_writer_tx && rc == 0)
		rc = store_commit(fx->s, &err);
	else if (in_writer_tx)
		store_rollback(fx->s);
	int status = 0;
	assert_int_equal(waitpid(child, &status, 0), child);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	if (rc != 0)
		fail_msg("the second claim failed: %s", err);
	/* h1 takes one job, and the other worker has it. */
	assert_int_equal(n, 0);
	store_job_list_free(c, n);
	int64_t active = 0;
	OK(store_job_active_on(fx->s, "h1", &active, &err));
	assert_int_equal(active, 1);
	job_t j;
	OK(store_job_get(fx->s, first, &j, &err));
	assert_string_equal(j.worker_id, "wa");
	assert_int_equal(j.attempt, 1);
	job_free(&j);
	PQfinish(watch);
}

static void test_writers_see_what_the_lock_holder_committed(void **state)
{
	writers_see_what_the_lock_holder_committed(state, false);
}

static void test_writers_see_it_inside_their_own_transaction(void **state)
{
	writers_see_what_the_lock_holder_committed(state, true);
}

/* Claims take turns: a claim reads how much room a host has left, then
 * takes it, and another claim's jobs on that host count only once it
 * commits. Here the other worker's claim runs a job pinned elsewhere on h1
 * (max-jobs 1) and commits only when this one waits for its turn; this
 * claim, of a job pinned to h1, must then find h1 full. Without the turn it
 * would read h1 empty and fill it twice. */
static void test_claims_take_turns(void **state)
{
	fixture_t *fx = *state;
	char *err = NULL;
	add_sample_host(fx->s, "h1", 1);
	add_sample_host(fx->s, "hx", 1);
	int64_t elsewhere = add_job(fx->s, 5, "hx", 0);
	int64_t here = add_job(fx->s, 1, "h1", 0);
	int ready[2];
	assert_int_equal(pipe(ready), 0);
	pid_t child = fork();
	assert_true(child >= 0);
	if (child == 0) {
		/* No cmocka here. */
		store_t *a = NULL;
		char *e = NULL;
		job_t *c = NULL;
		size_t n = 0;
		char *hx[] = {"hx", NULL};
		if (store_open(fx->path, false, &a, &e) < 0 || store_begin_claim(a, &e) < 0 ||
		    store_job_claim(a, "wa", 1LL << 50, hx, "h1", 1, &c, &n, &e) < 0 || n != 1 ||
		    c[0].id != elsewhere)
			_exit(2);
		if (write(ready[1], "x", 1) != 1)
			_exit(3);
		/* Committed either way: a claim that never waited fails below
		 * by what it took, not by a child that never ended. */
		bool waited = advisory_lock_awaited(fx->path);
		_exit(store_commit(a, &e) != 0 ? 5 : waited ? 0 : 4);
	}
	close(ready[1]);
	char x;
	assert_int_equal(read(ready[0], &x, 1), 1);
	close(ready[0]);
	job_t *c = NULL;
	size_t n = 9;
	char *h1[] = {"h1", NULL};
	int rc = store_job_claim(fx->s, "wb", 1LL << 50, h1, "h1", 1, &c, &n, &err);
	int status = 0;
	assert_int_equal(waitpid(child, &status, 0), child);
	if (rc != 0)
		fail_msg("the second claim failed: %s", err);
	/* h1 runs the other worker's job; the one pinned to it waits. */
	assert_int_equal(n, 0);
	store_job_list_free(c, n);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	int64_t active = 0;
	OK(store_job_active_on(fx->s, "h1", &active, &err));
	assert_int_equal(active, 1);
	job_t j;
	OK(store_job_get(fx->s, here, &j, &err));
	assert_int_equal(j.status, JOB_QUEUED);
	job_free(&j);
}

/* The server ends the connection (an administrator, a restart): every call
 * fails saying the store cannot be reached, until store_reconnect makes it
 * again; a store that was not watched does not listen after it. */
static void test_connection_ended_by_the_server(void **state)
{
	fixture_t *fx = *state;
	char *err = NULL;
	add_sample_host(fx->s, "h1", 1);
	char *before = db_fingerprint(fx->path);
	terminate(fx->s);
	host_t h;
	sample_host(&h, "h2");
	assert_int_equal(store_host_add(fx->s, &h, &err), -1);
	one_line(&err, "cannot be reached");
	assert_true(store_lost(fx->s));
	job_t j;
	assert_int_equal(store_job_get(fx->s, 1, &j, &err), -1);
	one_line(&err, "cannot be reached");
	char *after = db_fingerprint(fx->path);
	assert_string_equal(before, after);
	OK(store_reconnect(fx->s, &err));
	assert_false(store_lost(fx->s));
	/* Nothing to make again when nothing was lost. */
	OK(store_reconnect(fx->s, &err));
	OK(store_host_add(fx->s, &h, &err));
	host_free(&h);
	int64_t listening = -1;
	OK(query_count(fx->s, "SELECT count(*) FROM pg_listening_channels()", NULL, &listening,
		       &err));
	assert_int_equal(listening, 0);
	usable(fx->s);
	free(before);
	free(after);
}

/* A watched store listens again once made again, and hears another
 * process's commit. */
static void test_watched_store_listens_again(void **state)
{
	fixture_t *fx = *state;
	char *err = NULL;
	int fd = -1;
	OK(store_watch(fx->s, &fd, &err));
	assert_true(fd >= 0);
	terminate(fx->s);
	assert_int_equal(store_job_counts(fx->s, (int64_t[JOB_STATUS_COUNT]){0}, &err), -1);
	one_line(&err, "cannot be reached");
	OK(store_reconnect(fx->s, &err));
	int64_t listening = 0;
	OK(query_count(fx->s, "SELECT count(*) FROM pg_listening_channels() c WHERE c = 'cjobs'",
		       NULL, &listening, &err));
	assert_int_equal(listening, 1);
	assert_false(store_changed(fx->s));
	store_t *other = NULL;
	OK(store_open(fx->path, false, &other, &err));
	add_job(other, 0, NULL, 0);
	store_close(other);
	bool heard = false;
	for (int i = 0; i < 3000 && !heard; i++) {
		heard = store_changed(fx->s);
		if (!heard)
			usleep(10000);
	}
	assert_true(heard);
}

/* While the database refuses connections, making the connection again
 * fails with the server's reason (and the store stays lost); once it
 * allows them, it succeeds. */
static void test_reconnect_refused_then_allowed(void **state)
{
	fixture_t *fx = *state;
	char *err = NULL;
	const char *db = dbname_of(fx->path);
	admin("ALTER DATABASE %s WITH ALLOW_CONNECTIONS false", db);
	terminate(fx->s);
	assert_int_equal(store_host_count(fx->s, (int64_t[1]){0}, &err), -1);
	one_line(&err, "cannot be reached");
	assert_int_equal(store_reconnect(fx->s, &err), -1);
	one_line(&err, "is not currently accepting connections");
	assert_true(store_lost(fx->s));
	admin("ALTER DATABASE %s WITH ALLOW_CONNECTIONS true", db);
	OK(store_reconnect(fx->s, &err));
	usable(fx->s);
}

/* A statement that an administrator cancels while it waits for a lock
 * (pg_cancel_backend): the read fails with the server's words; inside a
 * caller's transaction, that transaction cannot commit any more, and
 * nothing of it is written. */
static void test_cancelled_read_inside_a_transaction(void **state)
{
	fixture_t *fx = *state;
	char *err = NULL;
	add_sample_host(fx->s, "h1", 1);
	int64_t id = add_job(fx->s, 0, NULL, 0);
	int pid = backend_pid(fx->s);
	char *before = db_fingerprint(fx->path);
	OK(store_begin(fx->s, &err));
	add_sample_host(fx->s, "h2", 1);
	PGconn *r = raw_connect(fx->path);
	raw_run(r, "BEGIN; LOCK TABLE jobs IN ACCESS EXCLUSIVE MODE");
	cancel_when_waiting(r, pid);
	job_t j;
	assert_int_equal(store_job_get(fx->s, id, &j, &err), -1);
	one_line(&err, "canceling statement due to user request");
	finish_async(r);
	raw_run(r, "ROLLBACK");
	PQfinish(r);
	assert_int_equal(store_commit(fx->s, &err), -1);
	one_line(&err, "the transaction was rolled back after an earlier error");
	char *after = db_fingerprint(fx->path);
	assert_string_equal(before, after);
	usable(fx->s);
	free(before);
	free(after);
}

/* db vacuum whose VACUUM is cancelled: it fails saying so; the next one
 * works. */
static void test_cancelled_vacuum(void **state)
{
	fixture_t *fx = *state;
	char *err = NULL;
	int pid = backend_pid(fx->s);
	PGconn *r = raw_connect(fx->path);
	raw_run(r, "BEGIN; LOCK TABLE env_templates IN ACCESS EXCLUSIVE MODE");
	cancel_when_waiting(r, pid);
	int64_t before = 0, after = 0;
	assert_int_equal(store_vacuum(fx->s, &before, &after, &err), -1);
	one_line(&err, "cannot vacuum the job store: canceling statement due to user request");
	finish_async(r);
	raw_run(r, "ROLLBACK");
	PQfinish(r);
	OK(store_vacuum(fx->s, &before, &after, &err));
	assert_true(before > 0 && after > 0);
	usable(fx->s);
}

/* The part of the writers' BEGIN that takes the write lock. */
static const char *write_lock_sql(void)
{
	const char *p = strrchr(pg_driver.sql_begin, ';');
	assert_non_null(p);
	return p + 1;
}

/* A deadlock between a store's write and another session (which holds a
 * row the store writes and waits for the store's write lock): the server
 * ends the store's statement, which fails as busy and writes nothing. */
static void test_deadlock_is_busy(void **state)
{
	fixture_t *fx = *state;
	char *err = NULL;
	add_sample_host(fx->s, "h1", 1);
	int64_t weight = host_weight(fx->s, "h1");
	/* The store's session finds the deadlock first. */
	admin("ALTER DATABASE %s SET deadlock_timeout = '50ms'", dbname_of(fx->path));
	store_close(fx->s);
	OK(store_open(fx->path, false, &fx->s, &err));
	PGconn *r = raw_connect(fx->path), *watch = raw_connect(fx->path);
	OK(store_begin(fx->s, &err));
	raw_run(r, "BEGIN; SET LOCAL deadlock_timeout = '60s'; "
		   "UPDATE hosts SET weight = weight WHERE name = 'h1'");
	assert_int_equal(PQsendQuery(r, write_lock_sql()), 1);
	wait_until_waiting(watch, PQbackendPID(r));
	host_t h;
	OK(store_host_get(fx->s, "h1", &h, &err));
	h.weight = (int)weight + 7;
	assert_int_equal(store_host_update(fx->s, &h, &err), -1);
	one_line(&err, "the job store is busy");
	host_free(&h);
	store_rollback(fx->s);
	finish_async(r);
	raw_run(r, "COMMIT");
	PQfinish(r);
	PQfinish(watch);
	assert_int_equal(host_weight(fx->s, "h1"), weight);
	usable(fx->s);
}

/* Another session holds the writers' lock and does not let go: the store's
 * write waits at most its lock_timeout (as long as SQLite's busy wait),
 * then fails as busy and writes nothing. Should the wait have no bound, a
 * third session ends the holder after 20 s, the write goes through, and
 * the test fails instead of hanging. */
static void test_lock_wait_is_bounded(void **state)
{
	fixture_t *fx = *state;
	char *err = NULL;
	PGconn *holder = raw_connect(fx->path), *ender = raw_connect(fx->path);
	raw_run(holder, "BEGIN");
	raw_run(holder, write_lock_sql());
	char sql[160];
	snprintf(sql, sizeof(sql),
		 "DO $$ BEGIN PERFORM pg_sleep(20); PERFORM pg_terminate_backend(%d); END $$",
		 PQbackendPID(holder));
	assert_int_equal(PQsendQuery(ender, sql), 1);
	char *before = db_fingerprint(fx->path);
	host_t h;
	sample_host(&h, "h1");
	assert_int_equal(store_host_add(fx->s, &h, &err), -1);
	one_line(&err, "the job store is busy");
	host_free(&h);
	/* The holder lets go; the ender is stopped before it ends anyone. */
	char errbuf[256];
	PGcancel *cancel = PQgetCancel(ender);
	assert_non_null(cancel);
	assert_int_equal(PQcancel(cancel, errbuf, sizeof(errbuf)), 1);
	PQfreeCancel(cancel);
	PGresult *r;
	while ((r = PQgetResult(ender)))
		PQclear(r);
	raw_run(holder, "COMMIT");
	PQfinish(holder);
	PQfinish(ender);
	char *after = db_fingerprint(fx->path);
	assert_string_equal(before, after);
	free(before);
	free(after);
	usable(fx->s);
}

/* A database whose transactions are read-only (default_transaction_read_only,
 * or a standby): every write fails saying the store cannot be written, and
 * reads go on. */
static void test_read_only_database(void **state)
{
	fixture_t *fx = *state;
	char *err = NULL;
	add_sample_host(fx->s, "h1", 1);
	admin("ALTER DATABASE %s SET default_transaction_read_only = on", dbname_of(fx->path));
	store_close(fx->s);
	OK(store_open(fx->path, true, &fx->s, &err));
	char *before = db_fingerprint(fx->path);
	host_t h;
	sample_host(&h, "h2");
	assert_int_equal(store_host_add(fx->s, &h, &err), -1);
	assert_non_null(strstr(err, "cannot add the host: "));
	one_line(&err, "cannot be written");
	host_free(&h);
	job_t j;
	sample_job(&j);
	assert_int_equal(store_job_add(fx->s, &j, "t", "added", &err), -1);
	one_line(&err, "cannot be written");
	job_free(&j);
	char *after = db_fingerprint(fx->path);
	assert_string_equal(before, after);
	usable(fx->s);
	free(before);
	free(after);
}

/* A template whose name is larger than the server's index on the column
 * can hold. */
static int add_template_too_large(store_t *s, char **err)
{
	/* Letters without a pattern, which the server cannot compress below
	 * a B-tree page's limit. */
	static char name[8001];
	uint32_t x = 12345;
	for (size_t i = 0; i + 1 < sizeof(name); i++) {
		x = x * 1103515245u + 12345u;
		name[i] = (char)('a' + (x >> 16) % 26);
	}
	name[sizeof(name) - 1] = '\0';
	static char *env[] = {"A=1", NULL};
	env_template_t t = {.name = name, .env = env, .envc = 1};
	return store_template_add(s, &t, err);
}

/* A role that may read the store but not write it: every write fails with
 * the server's words (permission denied), nothing is written, reads go on. */
static void test_role_without_write_rights(void **state)
{
	fixture_t *fx = *state;
	char *err = NULL, *conninfo = NULL, *role = NULL;
	const char *db = dbname_of(fx->path);
	add_sample_host(fx->s, "h1", 1);
	assert_true(asprintf(&role, "%s_reader", db) > 0);
	admin("CREATE ROLE %s LOGIN", role);
	PGconn *c = raw_connect(fx->path);
	char sql[256];
	snprintf(sql, sizeof(sql),
		 "GRANT USAGE ON SCHEMA public TO %s; GRANT SELECT ON ALL TABLES IN SCHEMA public TO %s",
		 role, role);
	raw_run(c, sql);
	assert_true(asprintf(&conninfo, "%s dbname=%s user=%s", getenv("CJOBS_TEST_PG"), db, role) >
		    0);
	store_t *s = NULL;
	int open_rc = store_open(conninfo, false, &s, &err);
	char *before = db_fingerprint(fx->path);
	int add_rc = 0, list_rc = 0;
	char *add_err = NULL;
	if (open_rc == 0) {
		host_t h;
		sample_host(&h, "h2");
		add_rc = store_host_add(s, &h, &add_err);
		host_free(&h);
		host_t *hs = NULL;
		size_t n = 0;
		list_rc = store_host_list(s, &hs, &n, &err);
		store_host_list_free(hs, n);
		store_close(s);
	}
	char *after = db_fingerprint(fx->path);
	/* The role goes whatever happened (roles belong to the whole server). */
	snprintf(sql, sizeof(sql), "DROP OWNED BY %s", role);
	raw_run(c, sql);
	PQfinish(c);
	admin("DROP ROLE %s", role);
	free(role);
	free(conninfo);
	if (open_rc != 0)
		fail_msg("the reader cannot open the store: %s", err);
	assert_int_equal(add_rc, -1);
	one_line(&add_err, "cannot add the host: permission denied for table hosts");
	assert_int_equal(list_rc, 0);
	assert_string_equal(before, after);
	free(before);
	free(after);
}

/* A value larger than the server's index on its column can hold: the write
 * fails with the server's words and writes nothing (SQLite takes it). */
static void test_value_too_large_for_an_index(void **state)
{
	fixture_t *fx = *state;
	char *err = NULL;
	char *before = db_fingerprint(fx->path);
	assert_int_equal(add_template_too_large(fx->s, &err), -1);
	one_line(&err, "cannot add the environment template: index row size");
	char *after = db_fingerprint(fx->path);
	assert_string_equal(before, after);
	usable(fx->s);
	free(before);
	free(after);
}

static store_worker_t worker_named(const char *id)
{
	return (store_worker_t){.id = (char *)id, .machine = (char *)"m", .pid = 1,
				.started_at = 10, .heartbeat_at = 10,
				.lease_until = 1LL << 50, .hosts = (char *)"h1"};
}

/* A worker id whose liveness lock another connection holds cannot be
 * registered again; once that connection ends, the worker is dead (its
 * lease still running) and the id can be registered. A lost connection
 * cannot take the lock. */
static void test_liveness_lock_held_elsewhere(void **state)
{
	fixture_t *fx = *state;
	char *err = NULL;
	store_t *other = NULL;
	OK(store_open(fx->path, false, &other, &err));
	store_worker_t w = worker_named("w1");
	OK(store_worker_register(fx->s, &w, &err));
	char *before = db_fingerprint(fx->path);
	assert_int_equal(store_worker_register(other, &w, &err), -1);
	one_line(&err, "cannot register the worker: another live worker holds the liveness lock "
		       "of id w1");
	char *after = db_fingerprint(fx->path);
	assert_string_equal(before, after);
	store_worker_t *v = NULL;
	size_t n = 0;
	OK(store_worker_list(other, 1000, &v, &n, &err));
	assert_int_equal(n, 1);
	assert_true(v[0].alive);
	store_worker_list_free(v, n);
	/* Its server process ends a moment after the connection closes, and
	 * lets the lock go then. */
	int pid = backend_pid(fx->s);
	store_close(fx->s);
	fx->s = other;
	wait_gone(fx->path, pid);
	OK(store_worker_list(fx->s, 1000, &v, &n, &err));
	assert_int_equal(n, 1);
	assert_false(v[0].alive);
	store_worker_list_free(v, n);
	/* Judging it took the lock only for a moment: a third connection
	 * judges it dead too. */
	store_t *third = NULL;
	OK(store_open(fx->path, false, &third, &err));
	OK(store_worker_list(third, 1000, &v, &n, &err));
	assert_int_equal(n, 1);
	assert_false(v[0].alive);
	store_worker_list_free(v, n);
	store_close(third);
	OK(store_worker_register(fx->s, &w, &err));

	terminate(fx->s);
	w = worker_named("w2");
	assert_int_equal(store_worker_register(fx->s, &w, &err), -1);
	one_line(&err, "cannot register the worker: cannot use a worker's liveness lock: the job "
		       "store");
	OK(store_reconnect(fx->s, &err));
	OK(store_worker_register(fx->s, &w, &err));
	free(before);
	free(after);
}

/* db backup on PostgreSQL: pg_dump's archive in the file, its size in
 * *bytes, also without a progress callback. */
static void test_backup_without_progress(void **state)
{
	fixture_t *fx = *state;
	char *err = NULL;
	add_sample_host(fx->s, "h1", 1);
	char *dest = path_join(fx->dir, "b.dump");
	int64_t bytes = -1;
	OK(store_backup(fx->s, dest, false, &bytes, NULL, NULL, &err));
	struct stat st;
	assert_int_equal(stat(dest, &st), 0);
	assert_int_equal(bytes, st.st_size);
	assert_int_equal(st.st_mode & 0777, 0600);
	FILE *f = fopen(dest, "rb");
	char magic[5] = "";
	assert_int_equal(fread(magic, 1, 5, f), 5);
	fclose(f);
	assert_memory_equal(magic, "PGDMP", 5);
	free(dest);
}

/* ---- the driver's own rules, through its table ---- */

static const char *text_col(db_stmt_t *st, int col)
{
	return col_str(st, col);
}

/* ?N is $N, a bare ? the number after the largest so far; text in quotes
 * (with a doubled quote inside) is copied as it is. A parameter that the
 * statement does not have, or a value over 1 GiB, is refused and changes
 * nothing bound. */
static void test_driver_placeholders_and_binding(void **state)
{
	fixture_t *fx = *state;
	db_stmt_t *st = NULL;
	assert_int_equal(pg_driver.prepare(fx->s,
					   "SELECT '?' AS \"a?\", ?::text || '-' || ?2, ?1 + 1, "
					   "'it''s ?'",
					   false, &st),
			 DB_DONE);
	assert_int_equal(pg_driver.bind_i64(st, 1, 41), DB_DONE);
	assert_int_equal(pg_driver.bind_text(st, 2, "b"), DB_DONE);
	assert_int_equal(pg_driver.bind_i64(st, 0, 1), DB_E_ERROR);
	assert_int_equal(pg_driver.bind_i64(st, 3, 1), DB_E_ERROR);
	assert_int_equal(pg_driver.bind_text(st, 3, "x"), DB_E_ERROR);
	assert_int_equal(pg_driver.bind_blob(st, 3, "x", 1), DB_E_ERROR);
	assert_int_equal(pg_driver.bind_null(st, 3), DB_E_ERROR);
	/* Refused by its length alone: the bytes are never read. */
	assert_int_equal(pg_driver.bind_blob(st, 2, "x", (size_t)1 << 30), DB_E_TOOBIG);
	assert_int_equal(st_step(st), DB_ROW);
	assert_string_equal(text_col(st, 0), "?");
	assert_string_equal(text_col(st, 1), "41-b");
	assert_int_equal(col_i64(st, 2), 42);
	assert_string_equal(text_col(st, 3), "it's ?");
	assert_int_equal(st_step(st), DB_DONE);
	pg_driver.finalize(st);
	usable(fx->s);
}

/* A boolean column reads as 1 or 0; a bytea column is decoded once per row
 * (the same bytes at the same place when read again), NULL as NULL. */
static void test_driver_columns(void **state)
{
	fixture_t *fx = *state;
	db_stmt_t *st = NULL;
	assert_int_equal(pg_driver.prepare(fx->s,
					   "SELECT 1 = 1, 1 = 2, '\\x00ff41'::bytea, NULL::bytea",
					   false, &st),
			 DB_DONE);
	assert_int_equal(st_step(st), DB_ROW);
	assert_int_equal(col_i64(st, 0), 1);
	assert_int_equal(col_i64(st, 1), 0);
	size_t len = 0, len2 = 0;
	bool oom = false;
	const void *p = col_raw(st, 2, &len, &oom);
	const void *p2 = col_raw(st, 2, &len2, &oom);
	assert_false(oom);
	assert_int_equal(len, 3);
	assert_memory_equal(p, "\x00\xff\x41", 3);
	assert_ptr_equal(p, p2);
	assert_int_equal(len2, 3);
	assert_null(col_raw(st, 3, &len, &oom));
	assert_int_equal(len, 0);
	assert_false(oom);
	assert_true(col_null(st, 3));
	assert_int_equal(st_step(st), DB_DONE);
	pg_driver.finalize(st);
}

/* What the server answers without an SQLSTATE (an empty statement) is a
 * failure, not a shortage of memory; a script may end with rows; and an
 * insert's id is 0 where the session has made none. */
static void test_driver_results(void **state)
{
	fixture_t *fx = *state;
	char *err = NULL;
	assert_int_equal(pg_driver.exec_script(fx->s, ""), DB_E_ERROR);
	assert_non_null(pg_driver.errmsg(fx->s, DB_E_ERROR));
	assert_int_equal(pg_driver.exec_script(fx->s, "SELECT 1"), DB_DONE);
	store_close(fx->s);
	OK(store_open(fx->path, false, &fx->s, &err));
	assert_int_equal(pg_driver.last_id(fx->s, NULL), 0);
	usable(fx->s);
	host_t h;
	sample_host(&h, "h1");
	OK(store_host_add(fx->s, &h, &err));
	assert_int_equal(pg_driver.last_id(fx->s, NULL), h.id);
	host_free(&h);
	OK(store_host_get(fx->s, "h1", &h, &err));
	assert_true(h.id > 0);
	host_free(&h);
}

/* ---- failures beneath the driver, at every point ---- */

static struct {
	fixture_t *fx;
	int64_t job;       /* with argv, env and output */
	store_t *holder;   /* holds worker "w"'s liveness lock */
	char *missing;     /* a database that does not exist */
	char *dump;        /* where op_backup writes */
	int64_t added;     /* the id op_host_add or op_job_add was given */
} ctx;


typedef struct {
	const char *name;
	bool writes;
	int (*run)(char **err);
	/* After a run that succeeded: checks what it did, and undoes it. */
	void (*undo)(void);
} op_t;

static int op_open(char **err)
{
	store_t *s = NULL;
	int rc = store_open(ctx.fx->path, true, &s, err);
	store_close(s);
	return rc;
}

/* Its success is the server's refusal. */
static int op_open_missing(char **err)
{
	store_t *s = NULL;
	if (store_open(ctx.missing, false, &s, err) == 0) {
		store_close(s);
		disarm();
		fail_msg("a database that does not exist was opened");
	}
	if (!*err || !strstr(*err, "does not exist"))
		return -1;
	free(*err);
	*err = NULL;
	return 0;
}

static int op_host_add(char **err)
{
	host_t h;
	pause_faults();
	sample_host(&h, "hx");
	resume_faults();
	int rc = store_host_add(ctx.fx->s, &h, err);
	ctx.added = h.id;
	host_free(&h);
	return rc;
}

static void undo_host_add(void)
{
	char *err = NULL;
	host_t h;
	OK(store_host_get(ctx.fx->s, "hx", &h, &err));
	/* The id the call gave is the one stored. */
	assert_int_equal(h.id, ctx.added);
	host_free(&h);
	OK(store_host_remove(ctx.fx->s, "hx", &err));
}

static int op_job_add(char **err)
{
	job_t j;
	pause_faults();
	sample_job(&j);
	resume_faults();
	int rc = store_job_add(ctx.fx->s, &j, "t", "added", err);
	ctx.added = j.id;
	pause_faults();
	job_free(&j);
	resume_faults();
	return rc;
}

static void undo_job_add(void)
{
	char *err = NULL, sql[160];
	job_t j;
	OK(store_job_get(ctx.fx->s, ctx.added, &j, &err));
	assert_string_equal(j.name, "nightly build");
	assert_int_equal(j.argc, 7);
	job_free(&j);
	snprintf(sql, sizeof(sql), "DELETE FROM job_history WHERE job_id = %lld; "
				   "DELETE FROM jobs WHERE id = %lld",
		 (long long)ctx.added, (long long)ctx.added);
	raw_exec(ctx.fx->path, sql);
}

/* The same inside a caller's transaction, as a worker's turn writes: the
 * job's own level is a savepoint, held back and sent with the insert, its
 * history row held back and sent with the commit (the driver's pipeline). */
static int op_job_add_in_tx(char **err)
{
	store_t *s = ctx.fx->s;
	if (store_begin_deferred(s, err) < 0)
		return -1;
	if (op_job_add(err) < 0 || store_commit(s, err) < 0) {
		store_rollback(s);
		return -1;
	}
	return 0;
}

/* Reads a job (its argv and env are bytea) and its output. */
static int op_job_read(char **err)
{
	job_t j;
	if (store_job_get(ctx.fx->s, ctx.job, &j, err) < 0)
		return -1;
	pause_faults();
	bool same = j.argc == 7 && strcmp(j.argv[2], "echo \"hello world\" 'single' $HOME\nnext line") == 0 &&
		    j.envc == 5 && strcmp(j.env[3], "NL=x\ny") == 0;
	job_free(&j);
	resume_faults();
	if (!same) {
		disarm();
		fail_msg("job %lld read back differently", (long long)ctx.job);
	}
	job_output_t o;
	int rc = store_output_get(ctx.fx->s, ctx.job, 0, JOB_STDOUT, &o, err);
	if (rc != 0)
		return -1;
	same = o.len == 3 && memcmp(o.data, "out", 3) == 0;
	job_output_free(&o);
	if (!same) {
		disarm();
		fail_msg("the output of job %lld read back differently", (long long)ctx.job);
	}
	return 0;
}

/* Judges "w" (its lock held by another connection) alive and "gone" (its
 * lock free, its lease running) dead. */
static int op_workers(char **err)
{
	store_worker_t *v = NULL;
	size_t n = 0;
	if (store_worker_list(ctx.fx->s, 1000, &v, &n, err) < 0)
		return -1;
	bool right = n == 2 && strcmp(v[0].id, "gone") + strcmp(v[1].id, "w") == 0 &&
		     !v[0].alive && v[1].alive;
	store_worker_list_free(v, n);
	if (!right) {
		disarm();
		fail_msg("the workers were judged wrongly");
	}
	return 0;
}

static int op_register(char **err)
{
	store_worker_t w = worker_named("w2");
	return store_worker_register(ctx.fx->s, &w, err);
}

static void undo_register(void)
{
	raw_exec(ctx.fx->path, "DELETE FROM workers WHERE id = 'w2'");
}

static int op_stats(char **err)
{
	store_stats_t o;
	if (store_stats(ctx.fx->s, &o, err) < 0)
		return -1;
	if (o.page_size <= 0 || o.file_bytes < o.page_size || o.page_count <= 0 || o.hosts != 1) {
		disarm();
		fail_msg("db status counted wrongly");
	}
	return 0;
}

static int op_vacuum(char **err)
{
	int64_t before = 0, after = 0;
	return store_vacuum(ctx.fx->s, &before, &after, err);
}

static int op_backup(char **err)
{
	int64_t bytes = 0;
	return store_backup(ctx.fx->s, ctx.dump, true, &bytes, NULL, NULL, err);
}

static int op_watch(char **err)
{
	int fd = -1;
	return store_watch(ctx.fx->s, &fd, err);
}

/* Ends the store's connection from the server's side; the store learns it
 * when a call fails. */
static void lose(store_t *s)
{
	char *err = NULL;
	int64_t n = 0;
	terminate(s);
	assert_int_equal(store_host_count(s, &n, &err), -1);
	one_line(&err, "cannot be reached");
	assert_true(store_lost(s));
}

/* The connection ended by the server, made again (listening again: op_watch
 * ran before). */
static int op_reconnect(char **err)
{
	pause_faults();
	lose(ctx.fx->s);
	resume_faults();
	return store_reconnect(ctx.fx->s, err);
}

/* Its success is the server's refusal to take the connection again. */
static int op_reconnect_refused(char **err)
{
	const char *db = dbname_of(ctx.fx->path);
	pause_faults();
	admin("ALTER DATABASE %s WITH ALLOW_CONNECTIONS false", db);
	lose(ctx.fx->s);
	resume_faults();
	int rc = store_reconnect(ctx.fx->s, err);
	pause_faults();
	admin("ALTER DATABASE %s WITH ALLOW_CONNECTIONS true", db);
	resume_faults();
	if (rc == 0) {
		disarm();
		fail_msg("made the connection again to a database that refuses connections");
	}
	if (!*err || !strstr(*err, "is not currently accepting connections"))
		return -1;
	free(*err);
	*err = NULL;
	return 0;
}

/* Its success is the server's refusal of a value too large for an index
 * (a failure the store describes in the server's words). */
static int op_refused_by_server(char **err)
{
	if (add_template_too_large(ctx.fx->s, err) == 0) {
		disarm();
		fail_msg("a template name larger than the index takes was stored");
	}
	if (!*err || !strstr(*err, "index row size"))
		return -1;
	free(*err);
	*err = NULL;
	return 0;
}

/* A job's detail: six reads sent in one pipeline between the snapshot's
 * BEGIN and COMMIT (store_job_detail). A failure anywhere in it fails the
 * call and leaves no transaction open (unless the ROLLBACK itself failed:
 * the next call finishes it). */
static int op_job_detail(char **err)
{
	job_t j;
	store_job_detail_t d;
	int rc = store_job_detail(ctx.fx->s, ctx.job, &j, &d, err);
	if (db_in_tx(ctx.fx->s) && strncmp(fault.sql, "ROLLBACK", 8) != 0) {
		disarm();
		fail_msg("the detail's snapshot was left open (%s)", fault.sql);
	}
	if (rc != 0)
		return -1;
	pause_faults();
	bool same = j.argc == 7 && d.nhistory == 1 && d.sizes[0].have && d.sizes[0].kept == 3 &&
		    !d.sizes[1].have && d.nafter == 0 && d.nbefore == 0 && !d.schedule;
	job_free(&j);
	store_job_detail_free(&d);
	resume_faults();
	if (!same) {
		disarm();
		fail_msg("job %lld's detail read back differently", (long long)ctx.job);
	}
	return 0;
}

/* A request's token read sent ahead with the read that follows (a page of
 * jobs, or the job's detail in one batch), then taken, as the server does
 * for GET /api/v1/jobs and /api/v1/jobs/ID: both reads fail or answer as
 * they would alone. */
static int token_after(int rc, char **err)
{
	store_token_t t;
	char *terr = NULL;
	int found = store_token_find(ctx.fx->s, READER_HASH, &t, &terr);
	if (found < 0 && rc == 0) {
		*err = terr;
		return -1;
	}
	free(terr);
	if (found == 0 && rc < 0) {
		pause_faults();
		store_token_free(&t);
		resume_faults();
	}
	if (found < 0 || rc < 0)
		return -1;
	pause_faults();
	bool same = found == 0 && strcmp(t.name, "reader") == 0 && strcmp(t.scope, "read") == 0 &&
		    !t.revoked_at;
	store_token_free(&t);
	resume_faults();
	if (!same) {
		disarm();
		fail_msg("the token read ahead read back differently");
	}
	return 0;
}

static int op_token_ahead_of_page(char **err)
{
	(void)store_token_find_ahead(ctx.fx->s, READER_HASH);
	job_filter_t f = {.newest_first = true, .limit = 5};
	job_t *list = NULL;
	size_t n = 0;
	int rc = store_job_list(ctx.fx->s, &f, &list, &n, err);
	if (rc == 0) {
		pause_faults();
		bool same = n == 1 && list[0].id == ctx.job;
		store_job_list_free(list, n);
		resume_faults();
		if (!same) {
			disarm();
			fail_msg("the page read with the token's read back differently");
		}
	}
	return token_after(rc, err);
}

static int op_token_ahead_of_detail(char **err)
{
	(void)store_token_find_ahead(ctx.fx->s, READER_HASH);
	return token_after(op_job_detail(err), err);
}

static const op_t ops[] = {
	{"open", false, op_open, NULL},
	{"open a missing database", false, op_open_missing, NULL},
	{"host add", true, op_host_add, undo_host_add},
	{"template refused by the server", true, op_refused_by_server, NULL},
	{"job add", true, op_job_add, undo_job_add},
	{"job add in a caller's transaction", true, op_job_add_in_tx, undo_job_add},
	{"job and output read", false, op_job_read, NULL},
	{"job detail read", false, op_job_detail, NULL},
	{"token read ahead of a page", false, op_token_ahead_of_page, NULL},
	{"token read ahead of a job's detail", false, op_token_ahead_of_detail, NULL},
	{"workers listed and judged", false, op_workers, NULL},
	{"worker registered", true, op_register, undo_register},
	{"db status", false, op_stats, NULL},
	{"db vacuum", true, op_vacuum, NULL},
	{"db backup", false, op_backup, NULL},
	{"watched", false, op_watch, NULL},
	{"made again", false, op_reconnect, NULL},
	{"made again while refused", false, op_reconnect_refused, NULL},
};

static int loops_setup(void **state)
{
	if (fx_setup(state) < 0)
		return -1;
	fixture_t *fx = *state;
	char *err = NULL;
	memset(&ctx, 0, sizeof(ctx));
	ctx.fx = fx;
	add_sample_host(fx->s, "h1", 1);
	job_t j;
	sample_job(&j);
	OK(store_job_add(fx->s, &j, "t", "added", &err));
	ctx.job = j.id;
	job_free(&j);
	job_output_t o = {.data = (char *)"out", .len = 3, .total_bytes = 3};
	OK(store_output_put(fx->s, ctx.job, 1, JOB_STDOUT, &o, &err));
	store_token_t tok = {.name = (char *)"reader", .scope = (char *)"read"};
	OK(store_token_add(fx->s, &tok, READER_HASH, &err));
	store_worker_t w = worker_named("w");
	OK(store_open(fx->path, false, &ctx.holder, &err));
	OK(store_worker_register(ctx.holder, &w, &err));
	store_t *gone = NULL;
	OK(store_open(fx->path, false, &gone, &err));
	w = worker_named("gone");
	w.started_at = 5;
	OK(store_worker_register(gone, &w, &err));
	store_close(gone);
	assert_true(asprintf(&ctx.missing, "%s dbname=cjt_missing_%ld", getenv("CJOBS_TEST_PG"),
			     (long)getpid()) > 0);
	ctx.dump = path_join(fx->dir, "loop.dump");
	return 0;
}

static int loops_teardown(void **state)
{
	disarm();
	store_close(ctx.holder);
	free(ctx.missing);
	free(ctx.dump);
	return fx_teardown(state);
}

/* Empties the store's statement cache: every statement is prepared again. */
static void clear_cache(store_t *s)
{
	for (size_t i = 0; i < s->ncache; i++) {
		s->cache[i].st->drv->finalize(s->cache[i].st);
		free(s->cache[i].sql);
	}
	s->ncache = 0;
}

/* Statements the store lets fail without failing the call: what rolls back
 * (the next call finishes a rollback that failed), the release of a
 * liveness lock, the COMMIT that ends a read (what was read is whole), db
 * vacuum's sizes (shown, not needed), and the prepare of a token read sent
 * ahead (the read then runs alone when it is taken, and fails there if it
 * still fails). */
static bool tolerated(const op_t *op, const char *sql)
{
	if (strncmp(sql, "ROLLBACK", 8) == 0 || strncmp(sql, "SELECT pg_advisory_unlock(", 26) == 0)
		return true;
	if ((op->run == op_token_ahead_of_page || op->run == op_token_ahead_of_detail) &&
	    strncmp(sql, "SELECT id, name, scope, created_at, revoked_at FROM api_tokens", 62) == 0)
		return true;
	if (!op->writes && strcmp(sql, "COMMIT") == 0)
		return true;
	return op->run == op_vacuum && strncmp(sql, "SELECT pg_database_size", 23) == 0;
}

/* What a failed run said: one line naming the failure (for want of memory,
 * err_set may have had none to say it with: err_str says it then). The id
 * of an insert that lastval() could not give is the exception: the driver
 * cannot tell the insert's caller, so it ends the transaction instead, and
 * the call fails at its next statement or its commit with what that one
 * met (the transaction aborted, a foreign key to row 0, the commit's
 * "rolled back after an earlier error"): one line, nothing written. */
static void check_message(const op_t *op, fault_kind_t kind, long n, const char *err)
{
	if (kind == F_ALLOC && !err)
		return;
	if (!err || !*err || strchr(err, '\n'))
		fail_msg("%s, point %ld (%s): message \"%s\"", op->name, n,
			 fault.sql[0] ? fault.sql : "an allocation", err ? err : "(none)");
	if (strcmp(fault.sql, "SELECT lastval()") == 0)
		return;
	const char *want = kind == F_STATEMENT ? "injected fault" : "out of memory";
	if (!strstr(err, want))
		fail_msg("%s, point %ld (%s): \"%s\" lacks \"%s\"", op->name, n,
			 fault.sql[0] ? fault.sql : "an allocation", err, want);
}

/* Each op with its n-th point failing, n = 1, 2, ... until it completes
 * without reaching n: it fails with one line (or survives a failure it may
 * tolerate), the data stay as they were, and the store answers after. */
static void every_point(fault_kind_t kind, const char *sqlstate)
{
	fixture_t *fx = ctx.fx;
	for (size_t k = 0; k < sizeof(ops) / sizeof(ops[0]); k++) {
		const op_t *op = &ops[k];
		char *base = db_fingerprint(fx->path);
		long n;
		for (n = 1;; n++) {
			char *err = NULL;
			/* Every run from the same start: statements prepared by
			 * an earlier run would shift the allocations of this one
			 * and let some go untried. */
			clear_cache(fx->s);
			arm(kind, n, sqlstate, NULL);
			int rc = op->run(&err);
			bool reached = fault.injected;
			disarm();
			if (!reached) {
				if (rc != 0)
					fail_msg("%s: %s", op->name, err ? err : "(no message)");
				free(err);
				if (op->undo)
					op->undo();
				break;
			}
			if (rc < 0) {
				check_message(op, kind, n, err);
			} else {
				if (kind == F_STATEMENT && !tolerated(op, fault.sql))
					fail_msg("%s succeeded although statement %ld failed: %s",
						 op->name, n, fault.sql);
				if (op->undo)
					op->undo();
			}
			free(err);
			char *now = db_fingerprint(fx->path);
			if (strcmp(base, now) != 0)
				fail_msg("%s, point %ld (%s): the data changed", op->name, n,
					 fault.sql[0] ? fault.sql : "an allocation");
			free(now);
			if (store_lost(fx->s))
				OK(store_reconnect(fx->s, &err));
			usable(fx->s);
		}
		free(base);
		print_message("# %s: %ld points\n", op->name, n - 1);
	}
}

static void test_statement_fails_at_every_point(void **state)
{
	(void)state;
	every_point(F_STATEMENT, "XX000");
}

static void test_allocation_fails_at_every_point(void **state)
{
	(void)state;
	every_point(F_ALLOC, NULL);
}

/* The kinds of failure the store words itself, from the server's SQLSTATE,
 * each at the statement where it comes: the write, its BEGIN (which took
 * the transaction with it), its COMMIT. */
static void test_each_kind_of_failure(void **state)
{
	(void)state;
	fixture_t *fx = ctx.fx;
	static const struct {
		const char *sqlstate, *match, *want;
	} kinds[] = {
		{"55P03", "INSERT INTO hosts", "cannot add the host: the job store is busy"},
		{"40P01", "INSERT INTO hosts", "cannot add the host: the job store is busy"},
		{"40001", "INSERT INTO hosts", "cannot add the host: the job store is busy"},
		{"53100", "INSERT INTO hosts", "cannot add the host: the disk holding the job store"},
		{"53200", "INSERT INTO hosts", "out of memory"},
		{"25006", "INSERT INTO hosts", "cannot be written"},
		{"54000", "INSERT INTO hosts", "cannot add the host: injected fault"},
		{"23505", "INSERT INTO hosts", "an executor host named \"hx\" already exists"},
		{"23503", "INSERT INTO hosts", "cannot add the host: injected fault"},
		{"57014", "INSERT INTO hosts", "cannot add the host: injected fault"},
		{"55P03", NULL, "cannot start a transaction: the job store is busy"},
		{"40001", "COMMIT", "cannot commit: the job store is busy"},
	};
	char *base = db_fingerprint(fx->path);
	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
		char *err = NULL;
		arm(F_STATEMENT, 1, kinds[i].sqlstate,
		    kinds[i].match ? kinds[i].match : pg_driver.sql_begin);
		int rc = op_host_add(&err);
		disarm();
		if (!fault.injected)
			fail_msg("%s never came", kinds[i].sqlstate);
		if (rc != -1)
			fail_msg("%s at %s: the call succeeded", kinds[i].sqlstate, fault.sql);
		if (strchr(err, '\n') || !strstr(err, kinds[i].want))
			fail_msg("%s at %s: \"%s\" lacks \"%s\"", kinds[i].sqlstate, fault.sql, err,
				 kinds[i].want);
		free(err);
		char *now = db_fingerprint(fx->path);
		assert_string_equal(base, now);
		free(now);
		usable(fx->s);
	}
	free(base);
}

/* A token read sent ahead (store_token_find_ahead) goes in the same round
 * trip as the read that follows it: the page of jobs (one statement) or a
 * job's detail (a batch). Once the statements are prepared on the
 * connection, nothing of either is sent alone. Taken before anything else
 * was sent, it runs alone. */
static void test_token_read_goes_with_the_next(void **state)
{
	fixture_t *fx = *state;
	char *err = NULL;
	job_t j;
	sample_job(&j);
	OK(store_job_add(fx->s, &j, "t", "added", &err));
	int64_t id = j.id;
	job_free(&j);
	store_token_t tok = {.name = (char *)"reader", .scope = (char *)"read"};
	OK(store_token_add(fx->s, &tok, READER_HASH, &err));
	store_token_t t;
	/* The first round prepares the statements (round trips of their
	 * own); the second counts. */
	for (int round = 0; round < 2; round++) {
		long alone = sent.alone, piped = sent.piped;
		assert_true(store_token_find_ahead(fx->s, READER_HASH));
		job_filter_t f = {.newest_first = true, .limit = 5};
		job_t *list = NULL;
		size_t n = 0;
		OK(store_job_list(fx->s, &f, &list, &n, &err));
		assert_int_equal(n, 1);
		assert_int_equal(list[0].id, id);
		store_job_list_free(list, n);
		assert_int_equal(store_token_find(fx->s, READER_HASH, &t, &err), 0);
		assert_string_equal(t.name, "reader");
		store_token_free(&t);
		if (round == 1) {
			assert_int_equal(sent.alone - alone, 0);
			assert_int_equal(sent.piped - piped, 2);
		}

		alone = sent.alone, piped = sent.piped;
		assert_true(store_token_find_ahead(fx->s, READER_HASH));
		store_job_detail_t d;
		OK(store_job_detail(fx->s, id, &j, &d, &err));
		assert_int_equal(j.id, id);
		job_free(&j);
		store_job_detail_free(&d);
		assert_int_equal(store_token_find(fx->s, READER_HASH, &t, &err), 0);
		assert_string_equal(t.scope, "read");
		store_token_free(&t);
		if (round == 1) {
			assert_int_equal(sent.alone - alone, 0);
			assert_true(sent.piped - piped > 2);
		}
	}
	long alone = sent.alone, piped = sent.piped;
	assert_true(store_token_find_ahead(fx->s, READER_HASH));
	assert_int_equal(store_token_find(fx->s, READER_HASH, &t, &err), 0);
	store_token_free(&t);
	assert_int_equal(sent.alone - alone, 1);
	assert_int_equal(sent.piped - piped, 0);
	/* Another hash than the one sent ahead is read for itself. */
	assert_true(store_token_find_ahead(fx->s, READER_HASH));
	assert_int_equal(store_token_find(fx->s, "00", &t, &err), 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_writers_see_what_the_lock_holder_committed,
						fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_writers_see_it_inside_their_own_transaction,
						fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_claims_take_turns, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_connection_ended_by_the_server, fx_setup,
						fx_teardown),
		cmocka_unit_test_setup_teardown(test_watched_store_listens_again, fx_setup,
						fx_teardown),
		cmocka_unit_test_setup_teardown(test_reconnect_refused_then_allowed, fx_setup,
						fx_teardown),
		cmocka_unit_test_setup_teardown(test_cancelled_read_inside_a_transaction, fx_setup,
						fx_teardown),
		cmocka_unit_test_setup_teardown(test_cancelled_vacuum, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_deadlock_is_busy, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_lock_wait_is_bounded, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_read_only_database, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_role_without_write_rights, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_value_too_large_for_an_index, fx_setup,
						fx_teardown),
		cmocka_unit_test_setup_teardown(test_liveness_lock_held_elsewhere, fx_setup,
						fx_teardown),
		cmocka_unit_test_setup_teardown(test_backup_without_progress, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_driver_placeholders_and_binding, fx_setup,
						fx_teardown),
		cmocka_unit_test_setup_teardown(test_driver_columns, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_driver_results, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_token_read_goes_with_the_next, fx_setup,
						fx_teardown),
		cmocka_unit_test_setup_teardown(test_each_kind_of_failure, loops_setup,
						loops_teardown),
		cmocka_unit_test_setup_teardown(test_statement_fails_at_every_point, loops_setup,
						loops_teardown),
		cmocka_unit_test_setup_teardown(test_allocation_fails_at_every_point, loops_setup,
						loops_teardown),
	};
	return cmocka_run_group_tests(tests, group_setup, NULL);
}
