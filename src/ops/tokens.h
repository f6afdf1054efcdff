/*
 * ops/tokens.h: the HTTP API's bearer tokens: made, checked, listed and
 * revoked here for every front end (`cjobs token`, `cjobs serve`).
 *
 * A token is "cjobs_" and 43 characters of base64url (32 random bytes).
 * The store keeps only its SHA-256, so a copy of the store gives no one a
 * way in; the token itself is shown once, when it is made.
 */
#ifndef CJOBS_OPS_TOKENS_H
#define CJOBS_OPS_TOKENS_H

#include "store/store.h"

typedef enum {
	TOKEN_SCOPE_NONE = 0,
	TOKEN_SCOPE_READ,     /* look: jobs, logs, hosts, status, metrics */
	TOKEN_SCOPE_SUBMIT,   /* and queue jobs */
	TOKEN_SCOPE_ADMIN,    /* and cancel, retry, check hosts */
} token_scope_t;

#define TOKEN_NAME_MAX 64

/* "read", "submit", "admin"; scope_parse returns NONE for anything else. */
const char *token_scope_name(token_scope_t s);
token_scope_t token_scope_parse(const char *text);

/* Makes a token with this name and scope and stores its hash; *token
 * (malloc'd) is the token, to be shown once. t gets the stored record. */
int ops_token_create(store_t *s, const char *name, const char *scope, store_token_t *t,
		     char **token, char **err);
/* The scope a presented token grants: NONE (with *why, for the 401 body)
 * when it is malformed, unknown or revoked. *name (may be NULL) gets the
 * token's name, malloc'd. -1 only when the store could not be read. */
int ops_token_check(store_t *s, const char *token, token_scope_t *scope, char **name,
		    const char **why, char **err);
/* Sends the store's read for ops_token_check(s, token) with the next
 * statement the caller runs (one round trip for both on PostgreSQL; see
 * store_token_find_ahead); false when nothing was sent (a token not of
 * cjobs's shape is refused without a read). The check itself is still
 * ops_token_check's, which the caller must make before it answers
 * anything. */
bool ops_token_check_ahead(store_t *s, const char *token);
/* Revokes by name: -1 with a message when there is no unrevoked token of
 * that name. */
int ops_token_revoke(store_t *s, const char *name, char **err);
/* The SHA-256 of text as 64 hex digits into out[65]. */
int ops_token_hash(const char *text, char out[65], char **err);

#endif
