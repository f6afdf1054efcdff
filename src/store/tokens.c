/*
 * store/tokens.c: the HTTP API's tokens. Only a hash of each token is
 * stored (ops/tokens.c makes and checks them); this file never sees a
 * token itself. A revoked token stays listed with when it was revoked, and
 * is never valid again.
 */
#include "store/store_int.h"

#include <stdlib.h>
#include <string.h>

#include "util/err.h"
#include "util/timeutil.h"
#include "util/vec.h"

#define TOKEN_COLUMNS "id, name, scope, created_at, revoked_at"

void store_token_free(store_token_t *t)
{
	free(t->name);
	free(t->scope);
	memset(t, 0, sizeof(*t));
}

void store_token_list_free(store_token_t *v, size_t n)
{
	for (size_t i = 0; v && i < n; i++)
		store_token_free(&v[i]);
	free(v);
}

static int token_from_row(db_stmt_t *st, store_token_t *t, char **err)
{
	bool oom = false;
	memset(t, 0, sizeof(*t));
	t->id = col_i64(st, 0);
	t->name = col_text(st, 1, &oom);
	t->scope = col_text(st, 2, &oom);
	t->created_at = col_i64(st, 3);
	t->revoked_at = col_i64(st, 4);
	if (oom) {
		store_token_free(t);
		return err_set(err, "out of memory");
	}
	return 0;
}

int store_token_add(store_t *s, store_token_t *t, const char *hash, char **err)
{
	if (store_ready(s, err) < 0 || store_begin(s, err) < 0)
		return -1;
	int64_t now = now_ms();
	db_stmt_t *st = NULL;
	int rc = st_prepare(s, "INSERT INTO api_tokens (name, scope, hash, created_at) "
			       "VALUES (?, ?, ?, ?)",
			    &st, err);
	if (rc == 0) {
		binder_t b;
		bind_start(&b, st);
		bind_text(&b, t->name);
		bind_text(&b, t->scope);
		bind_text(&b, hash);
		bind_i64(&b, now);
		rc = bind_check(s, &b, "cannot add the token", err);
	}
	if (rc == 0) {
		int step = st_step(st);
		if (step == DB_E_UNIQUE)
			rc = err_set(err, "a token named '%s' already exists; choose another name, or "
					  "revoke it first with 'cjobs token revoke %s'",
				     t->name, t->name);
		else if (step == DB_DONE)
			t->id = db_last_id(s, st);
		else
			rc = db_fail_rc(s, step, "cannot add the token", err);
	}
	st_release(s, st);
	if (tx_finish(s, rc, err) < 0)
		return -1;
	t->created_at = now;
	t->revoked_at = 0;
	return 0;
}

/* The token read, prepared and bound; NULL on failure (*err set). */
static db_stmt_t *token_read(store_t *s, const char *hash, char **err)
{
	db_stmt_t *st = NULL;
	if (st_prepare(s, "SELECT " TOKEN_COLUMNS " FROM api_tokens WHERE hash = ?", &st, err) < 0)
		return NULL;
	binder_t b;
	bind_start(&b, st);
	bind_text(&b, hash);
	if (bind_check(s, &b, "cannot read the tokens", err) < 0) {
		st_release(s, st);
		return NULL;
	}
	return st;
}

bool store_token_find_ahead(store_t *s, const char *hash)
{
	st_release(s, s->token_ahead);
	s->token_ahead = NULL;
	if (!s->drv->ahead || strlen(hash) >= sizeof(s->token_ahead_hash) ||
	    store_ready(s, NULL) < 0)
		return false;
	/* The driver keeps a pointer to the bound text until the read has
	 * run: it is the store's own copy. */
	strcpy(s->token_ahead_hash, hash);
	/* Failing here costs nothing: store_token_find then reads alone and
	 * tells what failed. */
	db_stmt_t *st = token_read(s, s->token_ahead_hash, NULL);
	if (!st)
		return false;
	st_ahead(st);
	s->token_ahead = st;
	return true;
}

int store_token_find(store_t *s, const char *hash, store_token_t *out, char **err)
{
	memset(out, 0, sizeof(*out));
	db_stmt_t *st = s->token_ahead;
	s->token_ahead = NULL;
	if (st && strcmp(s->token_ahead_hash, hash) != 0) {
		st_release(s, st);
		st = NULL;
	}
	if (!st && (store_ready(s, err) < 0 || !(st = token_read(s, hash, err))))
		return -1;
	int rc = 0, step = st_step(st);
	if (step == DB_ROW)
		rc = token_from_row(st, out, err);
	else if (step == DB_DONE)
		rc = 1;
	else
		rc = db_fail_rc(s, step, "cannot read the tokens", err);
	st_release(s, st);
	return rc;
}

int store_token_list(store_t *s, store_token_t **out, size_t *n, char **err)
{
	*out = NULL;
	*n = 0;
	if (store_ready(s, err) < 0)
		return -1;
	db_stmt_t *st = NULL;
	if (st_prepare(s, "SELECT " TOKEN_COLUMNS " FROM api_tokens ORDER BY name", &st, err) < 0)
		return -1;
	store_token_t *v = NULL;
	size_t count = 0, cap = 0;
	int rc = 0, step = DB_DONE;
	while (rc == 0 && (step = st_step(st)) == DB_ROW) {
		if (!vec_room(&v, &cap, count, sizeof(*v), 8)) {
			rc = err_set(err, "out of memory");
			break;
		}
		if ((rc = token_from_row(st, &v[count], err)) == 0)
			count++;
	}
	if (rc == 0 && step != DB_DONE)
		rc = db_fail_rc(s, step, "cannot list the tokens", err);
	st_release(s, st);
	if (rc < 0) {
		store_token_list_free(v, count);
		return -1;
	}
	*out = v;
	*n = count;
	return 0;
}

int store_token_revoke(store_t *s, const char *name, char **err)
{
	if (store_ready(s, err) < 0 || store_begin(s, err) < 0)
		return -1;
	db_stmt_t *st = NULL;
	int rc = st_prepare(s, "UPDATE api_tokens SET revoked_at = ? WHERE name = ? "
			       "AND revoked_at = 0",
			    &st, err);
	if (rc == 0) {
		binder_t b;
		bind_start(&b, st);
		bind_i64(&b, now_ms());
		bind_text(&b, name);
		rc = exec_changes(s, st, &b, "cannot revoke the token", err);
	}
	return tx_finish(s, rc, err);
}
