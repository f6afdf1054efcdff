/*
 * store/migrations.c: the store's schema, as numbered migrations, and the
 * code that applies them.
 *
 * A migration, once released, must never be edited: stores in the field
 * have applied it and will not apply it again. Change the schema by adding
 * the next number. Each migration is applied in its own transaction, and
 * after taking the write lock the version is read again, so two processes
 * opening a new store at once apply each migration exactly once.
 *
 * Statuses are stored as their names (job_status_name()), so that the file
 * reads plainly in the sqlite3 shell and a reordering of the C enum can
 * never change a stored job's meaning.
 */
#include "store/store_int.h"

#include <stdlib.h>
#include <string.h>

#include "util/err.h"
#include "util/timeutil.h"
#include "util/uuid.h"


/* The driver's migrations end with an entry of version 0. */
static size_t nmigrations(const store_t *s)
{
	size_t n = 0;
	while (s->drv->migrations[n].version)
		n++;
	return n;
}

int migrations_latest(const store_t *s)
{
	return s->drv->migrations[nmigrations(s) - 1].version;
}

static int query_int(store_t *s, const char *sql, int64_t *out, char **err)
{
	db_stmt_t *st = NULL;
	if (st_prepare(s, sql, &st, err) < 0)
		return -1;
	int rc = st_step(st);
	if (rc == DB_ROW)
		*out = col_i64(st, 0);
	else
		db_fail_rc(s, rc, "cannot read the schema version", err);
	st_release(s, st);
	return rc == DB_ROW ? 0 : -1;
}

static int read_version(store_t *s, int *version, char **err)
{
	int64_t has = 0, v = 0;
	if (query_int(s, s->drv->sql_has_migrations,
		      &has, err) < 0)
		return -1;
	if (has && query_int(s, "SELECT coalesce(max(version), 0) FROM schema_migrations",
			     &v, err) < 0)
		return -1;
	*version = (int)v;
	return 0;
}

int migrations_check(store_t *s, char **err)
{
	if (read_version(s, &s->schema, err) < 0)
		return -1;
	if (s->schema > migrations_latest(s))
		return err_set(err, "its schema version %d is newer than this cjobs knows "
				    "(%d); use a newer cjobs",
			       s->schema, migrations_latest(s));
	if (s->schema > 0)
		return 0;
	/* Migrating someone else's database would mix our tables into it. */
	int64_t others = 0;
	if (query_int(s, s->drv->sql_count_tables,
		      &others, err) < 0)
		return -1;
	if (others > 0)
		return err_set(err, "it is %s database but not a cjobs job store",
			       s->drv->a_name);
	return 0;
}

int migrations_make_store_id(store_t *s, char **err)
{
	char id[37];
	if (uuid_v4(id) < 0)
		return err_set(err, "cannot make the store id: no random bytes");
	db_stmt_t *st = NULL;
	if (st_prepare(s, "INSERT INTO meta (key, value) VALUES ('store_id', ?), "
			  "('created_at', ?)",
		       &st, err) < 0)
		return -1;
	binder_t b;
	bind_start(&b, st);
	bind_text(&b, id);
	bind_i64(&b, now_ms());
	int rc = bind_check(s, &b, "cannot record the store id", err);
	if (rc == 0)
		rc = st_exec(s, st, "cannot record the store id", err);
	st_release(s, st);
	return rc;
}

int migrations_load_id(store_t *s, char **err)
{
	if (s->schema < 1)
		return 0;
	db_stmt_t *st = NULL;
	if (st_prepare(s, "SELECT value FROM meta WHERE key = 'store_id'", &st, err) < 0)
		return -1;
	int rc = st_step(st), ret = -1;
	const char *v = rc == DB_ROW ? col_str(st, 0) : NULL;
	if (rc != DB_ROW && rc != DB_DONE)
		db_fail_rc(s, rc, "cannot read the store id", err);
	else if (!v || strlen(v) != 36)
		err_set(err, "the store has no valid id (table meta, key store_id)");
	else {
		memcpy(s->id, v, 37);
		ret = 0;
	}
	st_release(s, st);
	return ret;
}

static int apply_one(store_t *s, const migration_t *m, bool *applied, char **err)
{
	int current = 0;
	*applied = false;
	if (read_version(s, &current, err) < 0)
		return -1;
	if (current >= m->version)
		return 0;
	int rc = s->drv->exec_script(s, s->drv->sql_create_migrations);
	if (rc == DB_DONE)
		rc = s->drv->exec_script(s, m->sql);
	if (rc != DB_DONE)
		return db_fail_rc(s, rc, m->name, err);
	if (m->after && m->after(s, err) < 0)
		return err_prefix(err, "%s", m->name);
	db_stmt_t *st = NULL;
	if (st_prepare(s, "INSERT INTO schema_migrations (version, name, applied_at) "
			  "VALUES (?, ?, ?)",
		       &st, err) < 0)
		return -1;
	binder_t b;
	bind_start(&b, st);
	bind_i64(&b, m->version);
	bind_text(&b, m->name);
	bind_i64(&b, now_ms());
	rc = bind_check(s, &b, m->name, err);
	if (rc == 0)
		rc = st_exec(s, st, m->name, err);
	st_release(s, st);
	*applied = rc == 0;
	return rc;
}

int store_migrate(store_t *s, int *applied, char **err)
{
	int n = 0;
	if (applied)
		*applied = 0;
	for (size_t i = 0; i < nmigrations(s); i++) {
		const migration_t *m = &s->drv->migrations[i];
		if (m->version <= s->schema)
			continue;
		bool did = false;
		if (store_begin(s, err) < 0)
			return err_prefix(err, "cannot apply migration %s", m->name);
		if (tx_finish(s, apply_one(s, m, &did, err), err) < 0)
			return err_prefix(err, "cannot apply migration %s", m->name);
		s->schema = m->version;
		n += did;
	}
	if (applied)
		*applied = n;
	return migrations_load_id(s, err);
}

int store_schema_version(store_t *s, int *current, int *latest, char **err)
{
	int v = 0;
	if (tx_heal(s, err) < 0 || read_version(s, &v, err) < 0)
		return -1;
	s->schema = v;
	if (current)
		*current = v;
	if (latest)
		*latest = migrations_latest(s);
	return 0;
}

int store_pending_migrations(store_t *s, char ***names, char **err)
{
	*names = NULL;
	int current = 0;
	if (store_schema_version(s, &current, NULL, err) < 0)
		return -1;
	char **v = calloc(nmigrations(s) + 1, sizeof(char *));
	if (!v)
		return err_set(err, "out of memory");
	size_t n = 0;
	const migration_t *migrations = s->drv->migrations;
	for (size_t i = 0; i < nmigrations(s); i++) {
		if (migrations[i].version <= current)
			continue;
		if (!(v[n++] = strdup(migrations[i].name))) {
			strv_free(v);
			return err_set(err, "out of memory");
		}
	}
	*names = v;
	return 0;
}
