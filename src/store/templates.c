/*
 * store/templates.c: the environment templates table.
 *
 * A template's env list is stored with the byte-exact codec of
 * strv_codec.c. Jobs copy a template's env when they are submitted, so
 * removing a template never changes a job; this file must never reach into
 * the jobs table.
 */
#include "store/store_int.h"

#include <stdlib.h>
#include <string.h>

#include "util/err.h"
#include "util/timeutil.h"
#include "util/vec.h"

static int template_from_row(db_stmt_t *st, env_template_t *t, char **err)
{
	bool oom = false;
	memset(t, 0, sizeof(*t));
	t->id = col_i64(st, 0);
	t->name = col_text(st, 1, &oom);
	t->description = col_text(st, 2, &oom);
	t->created_at = col_i64(st, 4);
	if (oom) {
		env_template_free(t);
		return err_set(err, "out of memory");
	}
	size_t len = 0;
	const void *blob = col_raw(st, 3, &len, &oom);
	if (oom) {
		env_template_free(t);
		return err_set(err, "out of memory");
	}
	if (strv_decode(blob, len, &t->env, &t->envc, err) < 0) {
		err_prefix(err, "environment template \"%s\"", t->name ? t->name : "");
		env_template_free(t);
		return -1;
	}
	return 0;
}

static int insert_template(store_t *s, const env_template_t *t, int64_t now, int64_t *id,
			   char **err)
{
	strbuf_t env;
	if (strv_encode(t->env, t->envc, &env, err) < 0)
		return -1;
	db_stmt_t *st = NULL;
	int rc = st_prepare(s, "INSERT INTO env_templates (name, description, env, "
			       "created_at) VALUES (?, ?, ?, ?)",
			    &st, err);
	if (rc == 0) {
		binder_t b;
		bind_start(&b, st);
		bind_text(&b, t->name);
		bind_text(&b, t->description);
		bind_blob(&b, env.buf, env.len);
		bind_i64(&b, now);
		rc = bind_check(s, &b, "cannot add the environment template", err);
	}
	if (rc == 0) {
		int step = st_step(st);
		if (step == DB_E_UNIQUE)
			rc = err_set(err, "an environment template named \"%s\" already exists",
				     t->name);
		else if (step == DB_DONE)
			*id = db_last_id(s, st);
		else
			rc = db_fail_rc(s, step, "cannot add the environment template", err);
	}
	st_release(s, st);
	sb_free(&env);
	return rc;
}

int store_template_add(store_t *s, env_template_t *t, char **err)
{
	if (store_ready(s, err) < 0 || store_begin(s, err) < 0)
		return -1;
	int64_t now = now_ms();
	int64_t id = 0;
	int rc = insert_template(s, t, now, &id, err);
	if (tx_finish(s, rc, err) < 0)
		return -1;
	t->id = id;
	t->created_at = now;
	return 0;
}

int store_template_get(store_t *s, const char *name, env_template_t *out, char **err)
{
	memset(out, 0, sizeof(*out));
	if (store_ready(s, err) < 0)
		return -1;
	db_stmt_t *st = NULL;
	if (st_prepare(s, "SELECT " TEMPLATE_COLUMNS " FROM env_templates WHERE name = ?",
		       &st, err) < 0)
		return -1;
	binder_t b;
	bind_start(&b, st);
	bind_text(&b, name);
	int rc = bind_check(s, &b, "cannot read the environment template", err);
	if (rc == 0) {
		int step = st_step(st);
		if (step == DB_ROW)
			rc = template_from_row(st, out, err);
		else if (step == DB_DONE)
			rc = 1;
		else
			rc = db_fail_rc(s, step, "cannot read the environment template", err);
	}
	st_release(s, st);
	return rc;
}

void store_template_list_free(env_template_t *t, size_t n)
{
	for (size_t i = 0; t && i < n; i++)
		env_template_free(&t[i]);
	free(t);
}

int store_template_list(store_t *s, env_template_t **out, size_t *n, char **err)
{
	*out = NULL;
	*n = 0;
	if (store_ready(s, err) < 0)
		return -1;
	db_stmt_t *st = NULL;
	if (st_prepare(s, "SELECT " TEMPLATE_COLUMNS " FROM env_templates ORDER BY name",
		       &st, err) < 0)
		return -1;
	env_template_t *v = NULL;
	size_t count = 0, cap = 0;
	int rc = 0, step = DB_DONE;
	while (rc == 0 && (step = st_step(st)) == DB_ROW) {
		if (!vec_room(&v, &cap, count, sizeof(*v), 8)) {
			rc = err_set(err, "out of memory");
			break;
		}
		if ((rc = template_from_row(st, &v[count], err)) == 0)
			count++;
	}
	if (rc == 0 && step != DB_DONE)
		rc = db_fail_rc(s, step, "cannot list the environment templates", err);
	st_release(s, st);
	if (rc < 0) {
		store_template_list_free(v, count);
		return -1;
	}
	*out = v;
	*n = count;
	return 0;
}

int store_template_remove(store_t *s, const char *name, char **err)
{
	if (store_ready(s, err) < 0 || store_begin(s, err) < 0)
		return -1;
	db_stmt_t *st = NULL;
	int rc = st_prepare(s, "DELETE FROM env_templates WHERE name = ?", &st, err);
	if (rc == 0) {
		binder_t b;
		bind_start(&b, st);
		bind_text(&b, name);
		rc = exec_changes(s, st, &b, "cannot remove the environment template", err);
	}
	return tx_finish(s, rc, err);
}
