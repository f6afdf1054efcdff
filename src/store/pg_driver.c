/*
 * store/pg_driver.c: the PostgreSQL driver of the job store (driver.h),
 * over libpq: the connection, statements (SQLite's ?, ?N placeholders
 * become $N), results read as text, and PostgreSQL's failures named by
 * their SQLSTATE.
 *
 * Writers take one advisory lock for the length of their transaction, so
 * that the store's writes keep SQLite's rule, one writer at a time over the
 * whole store, across every machine; except that workers' recordings and
 * claims share it (claims taking turns on a second lock), as
 * docs/design.md explains: a claim's read-then-write is still never
 * overtaken by another claim, and a host's job limit holds whichever
 * worker claims.
 *
 * It must never hold SQL about cjobs's tables (the schema is pg_schema.c),
 * never print (libpq's notices are dropped: a failure comes back as a
 * result), and never put a password into a message.
 */
#include "store/pg_driver.h"

#include <errno.h>
#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/dburl.h"
#include "store/store_int.h"
#include "util/err.h"

/* PostgreSQL's type oids of the parameters the store binds (pg_type.h is
 * the server's header, not libpq's). */
#define OID_BYTEA 17
#define OID_INT8 20
#define OID_TEXT 25

typedef struct {
	PGconn *pg;
	store_t *store;   /* whose held-back savepoints (sp_queue) go first */
	char *error;      /* the latest failure, one line */
	int64_t changes;  /* rows the latest command changed */
	bool listening;   /* LISTEN cjobs was sent (again after a reconnect) */
	bool doomed;      /* the open transaction must not commit: an insert's
			   * id could not be read (see pg_last_id) */
	/* Server-side prepared statements live as long as one connection:
	 * a reconnect starts a new generation and they are prepared again. */
	unsigned generation;
	unsigned next_name;
	/* Writes held back ('W' in the store's sp_queue), in order. */
	struct pg_held *held;
	size_t nheld, capheld;
	/* A read to go with the next statement sent (pg_ahead), or NULL. */
	struct pg_stmt *ahead;
} pg_conn_t;

/* A write held back: its prepared statement and a copy of its parameters. */
typedef struct pg_held {
	char name[16];
	int n;
	char **values;    /* NULL for SQL NULL */
	int *lens, *formats;
} pg_held_t;

typedef struct {
	const char *value;
	int len, format;
	Oid type;
	char num[24];     /* an integer parameter as text */
} pg_param_t;

typedef struct pg_stmt {
	db_stmt_t base;
	pg_conn_t *conn;
	char *sql;        /* with $N placeholders */
	int nparams;
	pg_param_t *params;
	/* keep (the store's statement cache): prepared on the server once per
	 * connection, named name, with the parameter types of that first run,
	 * so later runs skip the server's parse and plan. */
	bool keep;
	bool later;       /* this run's result is not needed at once (st_later) */
	char name[16];
	unsigned prepared_in;   /* the connection's generation + 1; 0 = not yet */
	Oid *prepared_types;
	PGresult *res;
	int row, nrows;
	/* bytea columns of the current row, decoded on first read */
	unsigned char **bytes;
	size_t *nbytes;
	int ncols;
} pg_stmt_t;

static void held_clear(pg_conn_t *c);
static int send_ahead(pg_conn_t *c, pg_stmt_t *a);
static int take_result(pg_stmt_t *ps, PGresult *r);

static pg_conn_t *conn_of(store_t *s)
{
	return s->conn;
}

static void set_error(pg_conn_t *c, const char *msg)
{
	free(c->error);
	c->error = strdup(msg ? msg : "unknown failure");
	/* One line: libpq ends its messages with a newline, and a server's
	 * DETAIL follows on the next. */
	if (c->error) {
		char *nl = strchr(c->error, '\n');
		if (nl)
			*nl = '\0';
	}
}

/* The store's kind of a failed result, from its SQLSTATE. */
static int result_rc(pg_conn_t *c, const PGresult *res)
{
	const char *state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
	const char *msg = res ? PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY) : NULL;
	set_error(c, msg ? msg : PQerrorMessage(c->pg));
	if (PQstatus(c->pg) != CONNECTION_OK)
		return DB_E_GONE;
	if (!state)
		return res ? DB_E_ERROR : DB_E_NOMEM;
	if (strcmp(state, "23505") == 0)
		return DB_E_UNIQUE;
	if (strcmp(state, "23503") == 0)
		return DB_E_FOREIGN_KEY;
	/* lock_not_available (lock_timeout), deadlock, serialization */
	if (strcmp(state, "55P03") == 0 || strcmp(state, "40P01") == 0 ||
	    strcmp(state, "40001") == 0)
		return DB_E_BUSY;
	if (strcmp(state, "53100") == 0)
		return DB_E_FULL;
	if (strcmp(state, "53200") == 0)
		return DB_E_NOMEM;
	if (strcmp(state, "25006") == 0)
		return DB_E_READONLY;
	if (strcmp(state, "54000") == 0)
		return DB_E_TOOBIG;
	return DB_E_ERROR;
}

/* libpq prints a server's notices on stderr unless told otherwise. */
static void drop_notice(void *ud, const char *message)
{
	(void)ud;
	(void)message;
}

static int pg_open(store_t *s, char **err)
{
	pg_conn_t *c = calloc(1, sizeof(*c));
	if (!c)
		return err_set(err, "out of memory");
	s->conn = c;
	c->store = s;
	/* A server that never answers is given up on after 10 s unless the
	 * name says otherwise: the store's own settings come later and win. */
	static const char *const keys[] = {"connect_timeout", "dbname", NULL};
	const char *values[] = {"10", s->path, NULL};
	c->pg = PQconnectdbParams(keys, values, 1);
	if (!c->pg)
		return err_set(err, "out of memory");
	if (PQstatus(c->pg) != CONNECTION_OK) {
		/* libpq's own words ("connection to server on socket ... failed:
		 * FATAL: database "x" does not exist"), with anything that
		 * could be the password taken out. */
		char *msg = dburl_redact(s->path, PQerrorMessage(c->pg));
		set_error(c, msg ? msg : "cannot connect (out of memory)");
		free(msg);
		return err_set(err, "%s", c->error ? c->error : "out of memory");
	}
	PQsetNoticeProcessor(c->pg, drop_notice, NULL);
	return 0;
}

static int pg_set_up(store_t *s, char **err)
{
	/* A writer waits at most as long as on SQLite for another's lock,
	 * then fails as busy (55P03). */
	char sql[96];
	snprintf(sql, sizeof(sql),
		 "SET lock_timeout = %d; SET client_min_messages = warning; SET TIME ZONE 'UTC'",
		 STORE_BUSY_TIMEOUT_MS);
	PGresult *r = PQexec(conn_of(s)->pg, sql);
	int rc = PQresultStatus(r) == PGRES_COMMAND_OK ? DB_DONE : result_rc(conn_of(s), r);
	PQclear(r);
	if (rc != DB_DONE)
		return db_fail_rc(s, rc, "cannot set up the connection", err);
	return 0;
}

static void pg_close(store_t *s)
{
	pg_conn_t *c = s->conn;
	if (!c)
		return;
	PQfinish(c->pg);
	held_clear(c);
	free(c->held);
	free(c->error);
	free(c);
	s->conn = NULL;
}

static bool pg_in_tx(store_t *s)
{
	PGTransactionStatusType t = PQtransactionStatus(conn_of(s)->pg);
	return t == PQTRANS_INTRANS || t == PQTRANS_INERROR || t == PQTRANS_ACTIVE;
}

static bool pg_tx_lost(store_t *s)
{
	pg_conn_t *c = conn_of(s);
	PGTransactionStatusType t = PQtransactionStatus(c->pg);
	return c->doomed || (t != PQTRANS_INTRANS && t != PQTRANS_ACTIVE);
}

/* A statement about to run outside any transaction: what doomed the last
 * one is over. */
static void tx_may_start(pg_conn_t *c)
{
	if (PQtransactionStatus(c->pg) == PQTRANS_IDLE)
		c->doomed = false;
}

/* ---- statements the store held back (driver.h, lazy_savepoints) ---- */

static const char *sp_sql(char op)
{
	return op == 'S' ? "SAVEPOINT nested" : "RELEASE nested";
}

static void held_free(pg_held_t *h)
{
	for (int i = 0; h->values && i < h->n; i++)
		free(h->values[i]);
	free(h->values);
	free(h->lens);
	free(h->formats);
}

static void held_clear(pg_conn_t *c)
{
	for (size_t i = 0; i < c->nheld; i++)
		held_free(&c->held[i]);
	c->nheld = 0;
}

static void pg_drop_held(store_t *s)
{
	held_clear(conn_of(s));
}

/* A statement held back failed: the store's levels no longer match the
 * server's, or a write it was told had gone in did not, so nothing of the
 * transaction may commit. */
static int held_failed(pg_conn_t *c, const PGresult *r)
{
	int rc = result_rc(c, r);
	c->doomed = true;
	return rc;
}

/* ---- pipelines: several queries sent at once, answered in order ---- */

/* Reads the rest of one query's answer in a pipeline: what follows its
 * result up to the NULL that ends it. */
static void pipeline_query_end(pg_conn_t *c)
{
	PGresult *r;
	while ((r = PQgetResult(c->pg)) && PQresultStatus(r) != PGRES_PIPELINE_SYNC)
		PQclear(r);
	PQclear(r);
}

/* Reads up to the pipeline's sync point, after every query's answer. */
static void pipeline_sync_end(pg_conn_t *c)
{
	PGresult *sync;
	while ((sync = PQgetResult(c->pg))) {
		bool end = PQresultStatus(sync) == PGRES_PIPELINE_SYNC;
		PQclear(sync);
		if (end)
			break;
	}
}

/* Something of a pipeline was not sent or not answered: the connection's
 * own words, as a db_rc_t. libpq refuses to queue a query on a sound
 * connection only when it finds no memory for it. */
static int pipeline_broken(pg_conn_t *c)
{
	const char *msg = PQerrorMessage(c->pg);
	bool gone = PQstatus(c->pg) != CONNECTION_OK;
	set_error(c, *msg || gone ? msg : "out of memory");
	return gone ? DB_E_GONE : *msg ? DB_E_ERROR : DB_E_NOMEM;
}

/* Sends what the store held back and then ps (when not NULL: a statement
 * prepared on this connection, with these parameters), all in one round
 * trip (libpq's pipeline mode): the server gets them at once and answers
 * in order. Returns ps's result; when something held back failed (ps then
 * did not run) or could not be sent, *held gets the failure and the
 * transaction is doomed. The queue is empty afterwards. */
static PGresult *pipeline(pg_conn_t *c, pg_stmt_t *ps, const char *const *values,
			  const int *lens, const int *formats, int *held)
{
	store_t *s = c->store;
	unsigned nq = s->sp_n, sent = 0;
	s->sp_n = 0;
	bool ok = PQenterPipelineMode(c->pg) != 0;
	/* A read sent ahead goes first; its answer is kept for its step. */
	pg_stmt_t *a = c->ahead;
	c->ahead = NULL;
	int lead = ok && a ? send_ahead(c, a) : 0;
	ok = ok && lead >= 0;
	lead = lead > 0;
	for (size_t w = 0; ok && sent < nq; sent++) {
		if (s->sp_queue[sent] == 'W') {
			pg_held_t *h = w < c->nheld ? &c->held[w++] : NULL;
			ok = h && PQsendQueryPrepared(c->pg, h->name, h->n,
						      (const char *const *)h->values, h->lens,
						      h->formats, 0);
		} else {
			ok = PQsendQueryParams(c->pg, sp_sql(s->sp_queue[sent]), 0, NULL, NULL, NULL,
					       NULL, 0);
		}
		if (!ok)
			break;
	}
	bool main = ok && ps &&
		    PQsendQueryPrepared(c->pg, ps->name, ps->nparams, values, lens, formats, 0);
	ok = ok && (!ps || main);
	/* Each query sent has one result, then a NULL; the sync its own. */
	unsigned queries = (unsigned)lead + sent + (main ? 1 : 0);
	PGresult *r = NULL;
	if (PQpipelineStatus(c->pg) == PQ_PIPELINE_ON && PQpipelineSync(c->pg)) {
		for (unsigned q = 0; q < queries; q++) {
			PGresult *got = PQgetResult(c->pg);
			if (!got)
				break;
			if (q < (unsigned)lead) {
				/* When it fails, the server skips the rest: its
				 * failure is theirs. Its own step runs it again,
				 * alone. */
				int took = take_result(a, got);
				if (took != DB_DONE && *held == DB_DONE)
					*held = took;
				/* Writes held back were told they went in. */
				if (took != DB_DONE && nq > 0)
					c->doomed = true;
				pipeline_query_end(c);
				continue;
			}
			unsigned i = q - (unsigned)lead;
			ExecStatusType t = PQresultStatus(got);
			/* The first failure is the one to tell; the rest of the
			 * pipeline was skipped for it. */
			if (i < sent && t != PGRES_COMMAND_OK && *held == DB_DONE)
				*held = held_failed(c, got);
			if (i == sent && *held == DB_DONE)
				r = got;
			else
				PQclear(got);
			pipeline_query_end(c);
		}
		pipeline_sync_end(c);
	} else {
		ok = false;
	}
	(void)PQexitPipelineMode(c->pg);
	held_clear(c);
	if (*held == DB_DONE && (!ok || (ps && !r))) {
		/* The transaction cannot be trusted. */
		c->doomed = true;
		*held = pipeline_broken(c);
	}
	return r;
}

/* Sends what the store held back now (and a read sent ahead), before a
 * statement that cannot go in a pipeline with it. */
static int flush_held(pg_conn_t *c)
{
	if (c->store->sp_n == 0 && !c->ahead)
		return DB_DONE;
	int held = DB_DONE;
	PQclear(pipeline(c, NULL, NULL, NULL, NULL, &held));
	return held;
}

/* Holds a write back (st_later) to go with the next statement: a copy of
 * its parameters, since the caller's go with st_release. -1 when memory
 * is short (the write then runs at once). */
static int hold(pg_stmt_t *ps, const char *const *values, const int *lens, const int *formats)
{
	pg_conn_t *c = ps->conn;
	if (c->nheld == c->capheld) {
		size_t cap = c->capheld ? c->capheld * 2 : 8;
		pg_held_t *more = realloc(c->held, cap * sizeof(*more));
		if (!more)
			return -1;
		c->held = more;
		c->capheld = cap;
	}
	int n = ps->nparams;
	pg_held_t h = {.n = n};
	memcpy(h.name, ps->name, sizeof(h.name));
	h.values = calloc((size_t)n, sizeof(*h.values));
	h.lens = malloc((size_t)n * sizeof(*h.lens));
	h.formats = malloc((size_t)n * sizeof(*h.formats));
	bool ok = h.values && h.lens && h.formats;
	for (int i = 0; ok && i < n; i++) {
		h.lens[i] = lens[i];
		h.formats[i] = formats[i];
		if (!values[i])
			continue;
		size_t len = formats[i] ? (size_t)lens[i] : strlen(values[i]);
		ok = (h.values[i] = malloc(len + 1)) != NULL;
		if (ok) {
			memcpy(h.values[i], values[i], len);
			h.values[i][len] = '\0';
		}
	}
	if (!ok) {
		held_free(&h);
		return -1;
	}
	c->held[c->nheld++] = h;
	return 0;
}

static void pg_later(db_stmt_t *st)
{
	((pg_stmt_t *)st)->later = true;
}

static int64_t pg_changes(store_t *s)
{
	return conn_of(s)->changes;
}

/* The sequence of the table just inserted into: lastval() is this
 * session's own, so other workers' inserts never show. */
static int64_t pg_last_id(store_t *s, db_stmt_t *st)
{
	(void)st;
	pg_conn_t *c = conn_of(s);
	PGresult *r = PQexec(c->pg, "SELECT lastval()");
	int64_t id = 0;
	if (PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1) {
		id = strtoll(PQgetvalue(r, 0, 0), NULL, 10);
	} else {
		/* The caller cannot be told the row's id, so the row must not
		 * be committed: a failed statement ends the transaction by
		 * itself, but a result libpq could not allocate leaves it
		 * able to commit, and the caller would report id 0. */
		(void)result_rc(c, r);
		c->doomed = true;
	}
	PQclear(r);
	return id;
}

/* The latest failure's words, whatever rc (this driver never answers
 * DB_E_NOTADB: a database without cjobs's tables is found by the store's
 * catalogue queries). */
static const char *pg_errmsg(store_t *s, int rc)
{
	(void)rc;
	pg_conn_t *c = conn_of(s);
	/* Without them, their copy found no memory. */
	return c && c->error ? c->error : "out of memory";
}

static int pg_exec_script(store_t *s, const char *sql)
{
	pg_conn_t *c = conn_of(s);
	tx_may_start(c);
	int held = flush_held(c);
	if (held != DB_DONE)
		return held;
	PGresult *r = PQexec(c->pg, sql);
	ExecStatusType t = PQresultStatus(r);
	int rc = t == PGRES_COMMAND_OK || t == PGRES_TUPLES_OK ? DB_DONE : result_rc(c, r);
	PQclear(r);
	return rc;
}

/* ---- statements ---- */

/* SQLite's placeholders in PostgreSQL's spelling: ?N is $N, and a bare ?
 * takes the number after the largest so far (SQLite's own rule). Text in
 * quotes is copied as it is. *n gets the number of parameters. */
static char *convert_placeholders(const char *sql, int *n)
{
	size_t len = strlen(sql);
	/* "?" may become "$NNNNN": room for 6 bytes per byte is ample. */
	char *out = malloc(len * 6 + 1);
	if (!out)
		return NULL;
	char *o = out;
	int largest = 0;
	char quote = 0;
	for (const char *p = sql; *p; p++) {
		if (quote) {
			*o++ = *p;
			if (*p == quote)
				quote = 0;
			continue;
		}
		if (*p == '\'' || *p == '"') {
			quote = *p;
			*o++ = *p;
			continue;
		}
		if (*p != '?') {
			*o++ = *p;
			continue;
		}
		int num;
		if (p[1] >= '0' && p[1] <= '9') {
			char *end;
			num = (int)strtol(p + 1, &end, 10);
			p = end - 1;
		} else {
			num = largest + 1;
		}
		if (num > largest)
			largest = num;
		o += sprintf(o, "$%d", num);
	}
	*o = '\0';
	*n = largest;
	return out;
}

static void clear_row(pg_stmt_t *ps)
{
	for (int i = 0; ps->bytes && i < ps->ncols; i++) {
		if (ps->bytes[i])
			PQfreemem(ps->bytes[i]);
		ps->bytes[i] = NULL;
	}
}

static void clear_result(pg_stmt_t *ps)
{
	clear_row(ps);
	free(ps->bytes);
	free(ps->nbytes);
	ps->bytes = NULL;
	ps->nbytes = NULL;
	ps->ncols = 0;
	PQclear(ps->res);
	ps->res = NULL;
	ps->row = -1;
	ps->nrows = 0;
}

/* Whether sql is a single SELECT (no ';' anywhere: the store writes no
 * literal text that holds one). */
static bool one_select(const char *sql)
{
	return strncmp(sql, "SELECT ", 7) == 0 && !strchr(sql, ';');
}

static int pg_prepare(store_t *s, const char *sql, bool keep, db_stmt_t **out)
{
	pg_stmt_t *ps = calloc(1, sizeof(*ps));
	if (!ps)
		return DB_E_NOMEM;
	ps->sql = convert_placeholders(sql, &ps->nparams);
	if (!ps->sql || (ps->nparams > 0 &&
			 !(ps->params = calloc((size_t)ps->nparams, sizeof(*ps->params))))) {
		free(ps->sql);
		free(ps);
		return DB_E_NOMEM;
	}
	ps->base.drv = &pg_driver;
	ps->conn = conn_of(s);
	ps->row = -1;
	/* Prepared on the server: kept statements with parameters, and kept
	 * SELECTs without any (a page of jobs by status), so that each is
	 * planned once per connection instead of at every run. Other
	 * statements without parameters may be several in one text (the
	 * writers' BEGIN with its lock), which only the simple protocol
	 * takes. */
	ps->keep = keep && (ps->nparams > 0 || one_select(sql));
	*out = &ps->base;
	return DB_DONE;
}

static void pg_reset(db_stmt_t *st)
{
	pg_stmt_t *ps = (pg_stmt_t *)st;
	if (ps->conn->ahead == ps)
		ps->conn->ahead = NULL;
	clear_result(ps);
	ps->later = false;
	if (ps->nparams > 0)
		memset(ps->params, 0, (size_t)ps->nparams * sizeof(*ps->params));
}

static void pg_finalize(db_stmt_t *st)
{
	pg_stmt_t *ps = (pg_stmt_t *)st;
	if (ps->conn->ahead == ps)
		ps->conn->ahead = NULL;
	clear_result(ps);
	free(ps->prepared_types);
	free(ps->params);
	free(ps->sql);
	free(ps);
}

static pg_param_t *param(pg_stmt_t *ps, int i)
{
	return i >= 1 && i <= ps->nparams ? &ps->params[i - 1] : NULL;
}

static int pg_bind_i64(db_stmt_t *st, int i, int64_t v)
{
	pg_param_t *p = param((pg_stmt_t *)st, i);
	if (!p)
		return DB_E_ERROR;
	*p = (pg_param_t){.type = OID_INT8};
	snprintf(p->num, sizeof(p->num), "%lld", (long long)v);
	p->value = p->num;
	return DB_DONE;
}

static int pg_bind_text(db_stmt_t *st, int i, const char *v)
{
	pg_param_t *p = param((pg_stmt_t *)st, i);
	if (!p)
		return DB_E_ERROR;
	*p = (pg_param_t){.value = v, .type = OID_TEXT};
	return DB_DONE;
}

static int pg_bind_blob(db_stmt_t *st, int i, const void *data, size_t len)
{
	pg_param_t *p = param((pg_stmt_t *)st, i);
	if (!p)
		return DB_E_ERROR;
	if (len > 0x3fffffff)
		return DB_E_TOOBIG;
	*p = (pg_param_t){.value = data, .len = (int)len, .format = 1, .type = OID_BYTEA};
	return DB_DONE;
}

static int pg_bind_null(db_stmt_t *st, int i)
{
	pg_param_t *p = param((pg_stmt_t *)st, i);
	if (!p)
		return DB_E_ERROR;
	*p = (pg_param_t){0};
	return DB_DONE;
}

/* Whether ps is prepared on this connection for these parameter types. */
static bool prepared_fits(const pg_stmt_t *ps, const Oid *types)
{
	if (!ps->keep || ps->prepared_in != ps->conn->generation + 1)
		return false;
	for (int i = 0; i < ps->nparams; i++)
		if (types[i] && types[i] != ps->prepared_types[i])
			return false;
	return true;
}

/* A parameter bound NULL at the prepare has no type of ours: the server
 * gave it one from its place in the statement. That type is asked for
 * (once, for the life of the prepared statement), so that a later run
 * binding a value of that type fits; left unknown, every such run would
 * go unprepared, parsed and planned again, and never held back (a job's
 * history row, whose first run on a connection is often a creation row
 * without a "from" status). When the question fails the type stays
 * unknown, which only costs that. */
static void learn_param_types(pg_stmt_t *ps)
{
	int unknown = 0;
	for (int i = 0; i < ps->nparams; i++)
		unknown += ps->prepared_types[i] == 0;
	if (!unknown)
		return;
	PGresult *d = PQdescribePrepared(ps->conn->pg, ps->name);
	if (PQresultStatus(d) == PGRES_COMMAND_OK && PQnparams(d) == ps->nparams)
		for (int i = 0; i < ps->nparams; i++)
			if (!ps->prepared_types[i])
				ps->prepared_types[i] = PQparamtype(d, i);
	PQclear(d);
}

/* Whether a kept statement can run as the server's prepared statement
 * with these parameter types, preparing it first on this connection. The
 * types are those of its first run; a later run that binds a parameter of
 * another type (not a NULL, which fits any) goes unprepared, since the
 * server would read its value as the first type. A failed prepare leaves
 * its result in *failed for the caller to report. */
static bool use_prepared(pg_stmt_t *ps, const Oid *types, PGresult **failed)
{
	pg_conn_t *c = ps->conn;
	*failed = NULL;
	if (!ps->keep)
		return false;
	if (ps->prepared_in == c->generation + 1)
		return prepared_fits(ps, types);
	if (!ps->prepared_types &&
	    !(ps->prepared_types = calloc(ps->nparams ? (size_t)ps->nparams : 1,
					  sizeof(*ps->prepared_types))))
		return false;
	snprintf(ps->name, sizeof(ps->name), "cj%u", c->next_name++);
	PGresult *r = PQprepare(c->pg, ps->name, ps->sql, ps->nparams, types);
	if (PQresultStatus(r) != PGRES_COMMAND_OK) {
		*failed = r;
		return false;
	}
	PQclear(r);
	memcpy(ps->prepared_types, types, (size_t)ps->nparams * sizeof(*types));
	learn_param_types(ps);
	ps->prepared_in = c->generation + 1;
	return true;
}

/* A statement's parameters as libpq takes them. */
typedef struct {
	const char **values;
	int *lens, *formats;
	Oid *types;
} pg_args_t;

static void args_free(pg_args_t *a)
{
	free(a->values);
	free(a->lens);
	free(a->formats);
	free(a->types);
	memset(a, 0, sizeof(*a));
}

static int args_make(pg_stmt_t *ps, pg_args_t *a)
{
	size_t n = (size_t)ps->nparams;
	a->values = calloc(n ? n : 1, sizeof(*a->values));
	a->lens = calloc(n ? n : 1, sizeof(*a->lens));
	a->formats = calloc(n ? n : 1, sizeof(*a->formats));
	a->types = calloc(n ? n : 1, sizeof(*a->types));
	if (!a->values || !a->lens || !a->formats || !a->types) {
		args_free(a);
		set_error(ps->conn, "out of memory");
		return DB_E_NOMEM;
	}
	for (size_t i = 0; i < n; i++) {
		a->values[i] = ps->params[i].value;
		a->lens[i] = ps->params[i].len;
		a->formats[i] = ps->params[i].format;
		a->types[i] = ps->params[i].type;
	}
	return DB_DONE;
}

/* Sends a read marked by pg_ahead into the pipeline being written: 1
 * sent, 0 not sent (it no longer fits its prepared statement, or memory
 * is short: it runs alone at its step), -1 the connection refused it. */
static int send_ahead(pg_conn_t *c, pg_stmt_t *a)
{
	pg_args_t args;
	if (a->res || args_make(a, &args) != DB_DONE)
		return 0;
	int rc = 0;
	if (prepared_fits(a, args.types))
		rc = PQsendQueryPrepared(c->pg, a->name, a->nparams, args.values, args.lens,
					 args.formats, 0)
			     ? 1
			     : -1;
	args_free(&args);
	return rc;
}

/* Marks a read to go with the next statement (driver.h). Only a kept
 * statement, prepared on the server here (a round trip the first time on
 * this connection), so that the pipeline only sends. */
static void pg_ahead(db_stmt_t *st)
{
	pg_stmt_t *ps = (pg_stmt_t *)st;
	pg_conn_t *c = ps->conn;
	if (c->ahead || ps->res || !ps->keep)
		return;
	pg_args_t args;
	if (args_make(ps, &args) != DB_DONE)
		return;
	PGresult *failed = NULL;
	if (use_prepared(ps, args.types, &failed))
		c->ahead = ps;
	/* A failed prepare is told by the read's own step, which tries
	 * again. */
	PQclear(failed);
	args_free(&args);
}

/* Runs the statement: the whole result comes at once. */
static int run(pg_stmt_t *ps)
{
	pg_conn_t *c = ps->conn;
	PGresult *r;
	int held = DB_DONE;
	tx_may_start(c);
	if (c->ahead == ps)
		c->ahead = NULL;  /* stepped first: it runs alone */
	if (ps->nparams == 0 && !ps->keep) {
		/* Without parameters, several statements may go in one text
		 * (the writers' BEGIN with its lock), which no pipeline takes. */
		if ((held = flush_held(c)) != DB_DONE)
			return held;
		r = PQexec(c->pg, ps->sql);
	} else {
		int n = ps->nparams;
		pg_args_t a;
		if (args_make(ps, &a) != DB_DONE)
			return DB_E_NOMEM;
		const char **values = a.values;
		int *lens = a.lens, *formats = a.formats;
		Oid *types = a.types;
		PGresult *failed = NULL;
		bool fits = prepared_fits(ps, types);
		store_t *s = c->store;
		/* A write whose result can wait (st_later), inside a transaction,
		 * goes with the next statement. */
		if (fits && ps->later && s->depth > 0 && !s->begin_deferred &&
		    s->sp_n < STORE_SP_QUEUE_MAX &&
		    (r = PQmakeEmptyPGresult(c->pg, PGRES_COMMAND_OK)) != NULL) {
			if (hold(ps, values, lens, formats) == 0) {
				s->sp_queue[s->sp_n++] = 'W';
				args_free(&a);
				/* As if it changed its row: no caller of a held
				 * write reads this. */
				c->changes = 1;
				ps->res = r;
				ps->nrows = ps->ncols = 0;
				ps->row = -1;
				return DB_DONE;
			}
			PQclear(r);
		}
		/* A statement prepared on this connection goes with what was
		 * held back in one round trip; anything else after it: a
		 * failed prepare must find its savepoint already there. */
		if (!fits)
			held = flush_held(c);
		if (held != DB_DONE)
			r = NULL;
		else if (use_prepared(ps, types, &failed))
			r = c->store->sp_n || c->ahead
				    ? pipeline(c, ps, values, lens, formats, &held)
				    : PQexecPrepared(c->pg, ps->name, n, values, lens, formats, 0);
		else if (failed)
			r = failed;
		else
			r = PQexecParams(c->pg, ps->sql, n, types, values, lens, formats, 0);
		args_free(&a);
	}
	if (held != DB_DONE) {
		PQclear(r);
		return held;
	}
	return take_result(ps, r);
}

/* The statement's result r (taken: freed here on failure), ready to step
 * through. */
static int take_result(pg_stmt_t *ps, PGresult *r)
{
	pg_conn_t *c = ps->conn;
	ExecStatusType t = PQresultStatus(r);
	if (t != PGRES_COMMAND_OK && t != PGRES_TUPLES_OK) {
		int rc = result_rc(c, r);
		PQclear(r);
		return rc;
	}
	const char *tuples = PQcmdTuples(r);
	c->changes = tuples && *tuples ? strtoll(tuples, NULL, 10) : 0;
	ps->res = r;
	ps->nrows = t == PGRES_TUPLES_OK ? PQntuples(r) : 0;
	ps->ncols = t == PGRES_TUPLES_OK ? PQnfields(r) : 0;
	ps->row = -1;
	if (ps->ncols > 0) {
		ps->bytes = calloc((size_t)ps->ncols, sizeof(*ps->bytes));
		ps->nbytes = calloc((size_t)ps->ncols, sizeof(*ps->nbytes));
		if (!ps->bytes || !ps->nbytes) {
			clear_result(ps);
			set_error(c, "out of memory");
			return DB_E_NOMEM;
		}
	}
	return DB_DONE;
}

static int pg_step(db_stmt_t *st)
{
	pg_stmt_t *ps = (pg_stmt_t *)st;
	if (!ps->res) {
		int rc = run(ps);
		if (rc != DB_DONE)
			return rc;
	}
	clear_row(ps);
	if (ps->row + 1 < ps->nrows) {
		ps->row++;
		return DB_ROW;
	}
	ps->row = ps->nrows;
	return DB_DONE;
}

/* Sends the batch (and the snapshot's BEGIN and COMMIT) in one pipeline
 * and gives each statement its result; the first failure, or DB_DONE.
 * The statements are prepared on the server already where they can be.
 * A read sent ahead (or NULL) goes first in the snapshot. */
static int send_batch(pg_conn_t *c, pg_stmt_t *const *ps, const pg_args_t *args,
		      const bool *prepared, size_t n, const char *begin, pg_stmt_t *ahead)
{
	size_t lead = begin ? 1 : 0, queries = 0;
	bool ok = PQenterPipelineMode(c->pg) != 0;
	if (ok && begin && (ok = PQsendQueryParams(c->pg, begin, 0, NULL, NULL, NULL, NULL, 0)))
		queries++;
	int sent_ahead = ok && ahead ? send_ahead(c, ahead) : 0;
	ok = ok && sent_ahead >= 0;
	size_t extra = sent_ahead > 0 ? 1 : 0;
	queries += extra;
	for (size_t i = 0; ok && i < n; i++) {
		const pg_args_t *a = &args[i];
		ok = prepared[i] ? PQsendQueryPrepared(c->pg, ps[i]->name, ps[i]->nparams,
						       a->values, a->lens, a->formats, 0)
				 : PQsendQueryParams(c->pg, ps[i]->sql, ps[i]->nparams, a->types,
						     a->values, a->lens, a->formats, 0);
		queries += ok;
	}
	if (ok && begin && (ok = PQsendQueryParams(c->pg, "COMMIT", 0, NULL, NULL, NULL, NULL, 0)))
		queries++;
	int rc = DB_DONE;
	if (PQpipelineStatus(c->pg) == PQ_PIPELINE_ON && PQpipelineSync(c->pg)) {
		/* Each query sent has one result, then a NULL; the sync its
		 * own. After a failure the server skips the rest (aborted). */
		for (size_t q = 0; q < queries; q++) {
			PGresult *r = PQgetResult(c->pg);
			if (!r) {
				ok = false;
				break;
			}
			ExecStatusType t = PQresultStatus(r);
			bool good = t == PGRES_COMMAND_OK || t == PGRES_TUPLES_OK;
			if (!good && rc == DB_DONE)
				rc = result_rc(c, r);
			/* The read sent ahead, then the batch's. A failed read
			 * ahead fails the batch (the server skips the rest);
			 * its own step runs it again, alone. */
			pg_stmt_t *to = NULL;
			if (good && q >= lead && q < lead + extra)
				to = ahead;
			else if (good && q >= lead + extra && q - lead - extra < n)
				to = ps[q - lead - extra];
			if (to) {
				int took = take_result(to, r);
				if (took != DB_DONE && rc == DB_DONE)
					rc = took;
			} else {
				PQclear(r);
			}
			pipeline_query_end(c);
		}
		pipeline_sync_end(c);
	} else {
		ok = false;
	}
	(void)PQexitPipelineMode(c->pg);
	if (rc == DB_DONE && (!ok || queries < n + 2 * lead + extra))
		rc = pipeline_broken(c);
	return rc;
}

static int pg_run_batch(store_t *s, db_stmt_t *const *sts, size_t n, bool snapshot)
{
	pg_conn_t *c = conn_of(s);
	tx_may_start(c);
	/* A read sent ahead goes with the batch, unless it is one of them. */
	pg_stmt_t *ahead = c->ahead;
	c->ahead = NULL;
	for (size_t i = 0; ahead && i < n; i++)
		if ((pg_stmt_t *)sts[i] == ahead)
			ahead = NULL;
	int rc = flush_held(c);
	if (rc != DB_DONE)
		return rc;
	pg_stmt_t **ps = calloc(n, sizeof(*ps));
	pg_args_t *args = calloc(n, sizeof(*args));
	bool *prepared = calloc(n, sizeof(*prepared));
	if (!ps || !args || !prepared) {
		set_error(c, "out of memory");
		rc = DB_E_NOMEM;
	}
	/* Prepared first (a round trip each, the first time on this
	 * connection): a pipeline only sends. */
	for (size_t i = 0; rc == DB_DONE && i < n; i++) {
		ps[i] = (pg_stmt_t *)sts[i];
		if ((rc = args_make(ps[i], &args[i])) != DB_DONE)
			break;
		PGresult *failed = NULL;
		prepared[i] = use_prepared(ps[i], args[i].types, &failed);
		if (failed) {
			rc = result_rc(c, failed);
			PQclear(failed);
		}
	}
	if (rc == DB_DONE)
		rc = send_batch(c, ps, args, prepared, n, snapshot ? s->drv->sql_begin_read : NULL,
				ahead);
	if (rc != DB_DONE) {
		for (size_t i = 0; ps && i < n; i++)
			if (ps[i])
				clear_result(ps[i]);
		/* A snapshot whose read failed is still open (the server
		 * skipped its COMMIT): nothing in it is worth keeping. */
		if (snapshot && pg_in_tx(s))
			PQclear(PQexec(c->pg, "ROLLBACK"));
	}
	for (size_t i = 0; args && i < n; i++)
		args_free(&args[i]);
	free(ps);
	free(args);
	free(prepared);
	return rc;
}

static bool pg_col_null(db_stmt_t *st, int col)
{
	pg_stmt_t *ps = (pg_stmt_t *)st;
	return PQgetisnull(ps->res, ps->row, col) != 0;
}

/* The server's text of an integer column: an optional '-' and up to 18
 * digits is read here, anything else by strtoll (the same value either
 * way). A page of jobs reads some 1,000 integers, and strtoll's locale and
 * base handling made them 14% of the page's instructions. */
static int64_t decimal_i64(const char *v)
{
	const char *p = v + (*v == '-');
	uint64_t n = 0;
	int digits = 0;
	for (; *p >= '0' && *p <= '9' && digits <= 18; p++, digits++)
		n = n * 10 + (uint64_t)(*p - '0');
	/* 18 digits stay below 10^18, far from int64_t's end. */
	if (*p != '\0' || digits == 0 || digits > 18)
		return strtoll(v, NULL, 10);
	return *v == '-' ? -(int64_t)n : (int64_t)n;
}

static int64_t pg_col_i64(db_stmt_t *st, int col)
{
	pg_stmt_t *ps = (pg_stmt_t *)st;
	const char *v = PQgetvalue(ps->res, ps->row, col);
	/* A comparison in the select list is a boolean: t or f. */
	if (v[0] == 't' && v[1] == '\0')
		return 1;
	return decimal_i64(v);
}

static const void *pg_col_bytes(db_stmt_t *st, int col, size_t *len, bool *oom)
{
	pg_stmt_t *ps = (pg_stmt_t *)st;
	*len = 0;
	if (PQgetisnull(ps->res, ps->row, col))
		return NULL;
	if (PQftype(ps->res, col) != OID_BYTEA) {
		*len = (size_t)PQgetlength(ps->res, ps->row, col);
		return PQgetvalue(ps->res, ps->row, col);
	}
	if (!ps->bytes[col]) {
		size_t n = 0;
		ps->bytes[col] = PQunescapeBytea(
			(const unsigned char *)PQgetvalue(ps->res, ps->row, col), &n);
		if (!ps->bytes[col]) {
			*oom = true;
			return NULL;
		}
		ps->nbytes[col] = n;
	}
	*len = ps->nbytes[col];
	return ps->bytes[col];
}

/* ---- watching: LISTEN cjobs ----
 * A transaction that changed a job's status sends NOTIFY cjobs with its
 * commit (sql_commit_notify), which the server delivers only if it
 * commits, and once per transaction; one that changed none (a claim that
 * found nothing, a heartbeat) sends nothing, so idle workers never wake
 * each other in turn. A listener's socket becomes readable when one comes;
 * notifications that arrived during another statement wait in libpq's
 * queue. A worker's own are dropped: it knows what it did. */
static int pg_watch(store_t *s, int *fd, char **err)
{
	pg_conn_t *c = conn_of(s);
	*fd = -1;
	int rc = pg_exec_script(s, "LISTEN cjobs");
	if (rc != DB_DONE)
		return db_fail_rc(s, rc, "cannot listen for changes", err);
	c->listening = true;
	*fd = PQsocket(c->pg);
	return *fd >= 0 ? 0 : err_set(err, "cannot listen for changes: no connection");
}

static bool pg_lost(store_t *s)
{
	return PQstatus(conn_of(s)->pg) != CONNECTION_OK;
}

/* The same server again, with the same settings; listening again if the
 * store was watched. */
static int pg_reconnect(store_t *s, char **err)
{
	pg_conn_t *c = conn_of(s);
	PQreset(c->pg);
	c->generation++;
	c->doomed = false;
	c->ahead = NULL;  /* prepared on the old connection: it runs alone */
	if (PQstatus(c->pg) != CONNECTION_OK) {
		char *msg = dburl_redact(s->path, PQerrorMessage(c->pg));
		set_error(c, msg ? msg : "out of memory");
		free(msg);
		return err_set(err, "cannot reach the job store %s: %s", s->name,
			       c->error ? c->error : "out of memory");
	}
	PQsetNoticeProcessor(c->pg, drop_notice, NULL);
	/* A new session: its settings (the lock timeout, UTC) are set again. */
	if (pg_set_up(s, err) < 0)
		return -1;
	if (c->listening) {
		int fd;
		if (pg_watch(s, &fd, err) < 0)
			return -1;
	}
	return 0;
}

static bool pg_changed(store_t *s)
{
	pg_conn_t *c = conn_of(s);
	bool any = false;
	(void)PQconsumeInput(c->pg);
	PGnotify *n;
	int me = PQbackendPID(c->pg);
	while ((n = PQnotifies(c->pg))) {
		any = any || n->be_pid != me;
		PQfreemem(n);
	}
	return any;
}

/* ---- liveness locks: a session advisory lock per worker ----
 * The server lets a session's locks go when its connection ends, however
 * the process at the other end ended. Two keys (this namespace, the id's
 * hash) keep them apart from the writers' one-key lock. Two ids with one
 * hash (32 bits) share a lock: a dead worker looks alive until its
 * heartbeat lease runs out while the other lives, and the second of two
 * live ones cannot register ("another live worker holds ..."). */
#define LIVENESS_SPACE 1667919714 /* "cjob" */

static int32_t liveness_key(const char *id)
{
	uint32_t h = 2166136261u;
	for (const char *p = id; *p; p++)
		h = (h ^ (unsigned char)*p) * 16777619u;
	return (int32_t)h;
}

/* Runs a lock function for id's key; its boolean answer in *yes. */
static int lock_call(store_t *s, const char *fn, const char *id, bool *yes, char **err)
{
	char sql[96];
	snprintf(sql, sizeof(sql), "SELECT %s(%d, %d)", fn, LIVENESS_SPACE, (int)liveness_key(id));
	pg_conn_t *c = conn_of(s);
	int rc = flush_held(c);
	if (rc != DB_DONE)
		return db_fail_rc(s, rc, "cannot use a worker's liveness lock", err);
	PGresult *r = PQexec(c->pg, sql);
	rc = PQresultStatus(r) == PGRES_TUPLES_OK ? DB_DONE : result_rc(c, r);
	if (rc == DB_DONE && yes)
		*yes = PQntuples(r) == 1 && PQgetvalue(r, 0, 0)[0] == 't';
	PQclear(r);
	if (rc != DB_DONE)
		return db_fail_rc(s, rc, "cannot use a worker's liveness lock", err);
	return 0;
}

static int pg_liveness_hold(store_t *s, const char *id, char **err)
{
	bool got = false;
	if (lock_call(s, "pg_try_advisory_lock", id, &got, err) < 0)
		return -1;
	if (!got)
		return err_set(err, "another live worker holds the liveness lock of id %s", id);
	return 0;
}

static void pg_liveness_release(store_t *s, const char *id)
{
	(void)lock_call(s, "pg_advisory_unlock", id, NULL, NULL);
}

static int pg_liveness_free(store_t *s, const char *id, char **err)
{
	bool got = false;
	if (lock_call(s, "pg_try_advisory_lock", id, &got, err) < 0)
		return -1;
	if (got && lock_call(s, "pg_advisory_unlock", id, NULL, err) < 0)
		return -1;
	return got;
}

const store_driver_t pg_driver = {
	.name = "PostgreSQL",
	.a_name = "a PostgreSQL",
	.open = pg_open,
	.set_up = pg_set_up,
	.close = pg_close,
	.in_tx = pg_in_tx,
	.tx_lost = pg_tx_lost,
	.changes = pg_changes,
	.last_id = pg_last_id,
	.errmsg = pg_errmsg,
	.exec_script = pg_exec_script,
	.prepare = pg_prepare,
	.reset = pg_reset,
	.finalize = pg_finalize,
	.bind_i64 = pg_bind_i64,
	.bind_text = pg_bind_text,
	.bind_blob = pg_bind_blob,
	.bind_null = pg_bind_null,
	.step = pg_step,
	.col_null = pg_col_null,
	.col_i64 = pg_col_i64,
	.col_bytes = pg_col_bytes,
	/* One fixed key (427036289651) for every writer of the database.
	 * Read committed whatever the server's default isolation: each
	 * statement then sees what the writer before committed, while
	 * a snapshot of repeatable read would be taken before the lock is
	 * granted (a claim would take the job the holder had just claimed,
	 * and fail, or a host's last place twice). */
	.sql_begin = "BEGIN ISOLATION LEVEL READ COMMITTED; "
		     "SELECT pg_advisory_xact_lock(427036289651)",
	/* The same lock shared: recorders run beside each other, never
	 * beside a claim or any other writer. */
	.sql_begin_recording = "BEGIN ISOLATION LEVEL READ COMMITTED; "
			       "SELECT pg_advisory_xact_lock_shared(427036289651)",
	/* Claims beside recorders, one at a time (the second key is
	 * "claim" in ASCII). A recorder only ever lowers a host's count of active
	 * jobs, so a claim that reads it while recorders write may see more
	 * than there are, never fewer: a host's limit still holds. A job
	 * another claim took meanwhile is passed over by the UPDATE's own
	 * status check, made again on the row's newest version. A claim's
	 * statements are planned for their values each time: the generic plan
	 * PostgreSQL keeps for a prepared statement after five runs, made
	 * from statistics taken when the queue was empty, could make every
	 * claim of a fresh queue take 300 ms (bench/workers). */
	.sql_begin_claim = "BEGIN ISOLATION LEVEL READ COMMITTED; "
			   "SET LOCAL plan_cache_mode = force_custom_plan; "
			   "SELECT pg_advisory_xact_lock_shared(427036289651); "
			   "SELECT pg_advisory_xact_lock(427020085613)",
	.sql_commit = "COMMIT",
	.sql_commit_notify = "NOTIFY cjobs; COMMIT",
	.sql_begin_read = "BEGIN ISOLATION LEVEL REPEATABLE READ",
	.run_batch = pg_run_batch,
	/* The ids picked as one array, computed once, then looked up by the
	 * primary key. With "status = 'queued' AND id IN (...)" the planner,
	 * trusting statistics taken when no job was queued, walked every
	 * queued job (the partial indexes of queued jobs match that status
	 * test) and compared each with every id picked: 300 to 650 ms a claim
	 * with 20,000 queued (auto_explain, bench/workers), against 1 ms. The
	 * status is still checked, on each row found (and again on its newest
	 * version when another transaction changed it meanwhile), but written
	 * so that no partial index matches it: || '' leaves the value as it is
	 * and hides the column from the planner's index matching. */
	.claim_ids_open = "id = ANY (ARRAY(",
	.claim_ids_close = ")) AND status || '' = 'queued'",
	.claim_hint_host = "",
	.sql_lock_share = " FOR SHARE",
	.ready_hint = "",
	.scheduled_hint = "",
	.waiting_hint = "",
	.failure_ends_tx = true,
	.lazy_savepoints = true,
	.later = pg_later,
	.ahead = pg_ahead,
	.drop_held = pg_drop_held,
	.sql_count_tables = "SELECT count(*) FROM pg_catalog.pg_tables WHERE schemaname = "
			    "current_schema()",
	.sql_has_migrations = "SELECT count(*) FROM pg_catalog.pg_tables WHERE schemaname = "
			      "current_schema() AND tablename = 'schema_migrations'",
	.sql_create_migrations = "CREATE TABLE IF NOT EXISTS schema_migrations ("
				 "  version BIGINT PRIMARY KEY,"
				 "  name TEXT NOT NULL,"
				 "  applied_at BIGINT NOT NULL)",
	.migrations = pg_migrations,
	.file_bytes = pg_file_bytes,
	.space = pg_space,
	.integrity = pg_integrity,
	.vacuum = pg_vacuum,
	.backup = pg_backup,
	.lost = pg_lost,
	.reconnect = pg_reconnect,
	.watch = pg_watch,
	.changed = pg_changed,
	.liveness_hold = pg_liveness_hold,
	.liveness_release = pg_liveness_release,
	.liveness_free = pg_liveness_free,
};
