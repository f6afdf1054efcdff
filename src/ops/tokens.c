/*
 * ops/tokens.c: making and checking API tokens; see tokens.h. The token
 * itself never reaches the store, a log line or an error message.
 */
#include "ops/tokens.h"

#include <gnutls/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "core/validate.h"
#include "util/err.h"

#define TOKEN_PREFIX "cjobs_"
#define TOKEN_RANDOM 32
#define TOKEN_TEXT_LEN (sizeof(TOKEN_PREFIX) - 1 + 43)

static const char *const scope_names[] = {NULL, "read", "submit", "admin"};

const char *token_scope_name(token_scope_t s)
{
	return s > TOKEN_SCOPE_NONE && s <= TOKEN_SCOPE_ADMIN ? scope_names[s] : "none";
}

token_scope_t token_scope_parse(const char *text)
{
	for (int i = TOKEN_SCOPE_READ; text && i <= TOKEN_SCOPE_ADMIN; i++)
		if (strcmp(text, scope_names[i]) == 0)
			return (token_scope_t)i;
	return TOKEN_SCOPE_NONE;
}

int ops_token_hash(const char *text, char out[65], char **err)
{
	unsigned char digest[32];
	if (gnutls_hash_fast(GNUTLS_DIG_SHA256, text, strlen(text), digest) < 0)
		return err_set(err, "cannot hash the token (SHA-256 unavailable)");
	/* By hand: every API request hashes its token, and 32 snprintf calls
	 * cost more than the hash (44,000 instructions a request). */
	static const char hex[] = "0123456789abcdef";
	for (int i = 0; i < 32; i++) {
		out[2 * i] = hex[digest[i] >> 4];
		out[2 * i + 1] = hex[digest[i] & 15];
	}
	out[64] = '\0';
	return 0;
}

/* base64url without padding: 32 bytes -> 43 characters. */
static void base64url(const unsigned char *in, size_t n, char *out)
{
	static const char a[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
	size_t o = 0;
	for (size_t i = 0; i < n; i += 3) {
		uint32_t v = (uint32_t)in[i] << 16;
		if (i + 1 < n)
			v |= (uint32_t)in[i + 1] << 8;
		if (i + 2 < n)
			v |= in[i + 2];
		out[o++] = a[v >> 18 & 63];
		out[o++] = a[v >> 12 & 63];
		if (i + 1 < n)
			out[o++] = a[v >> 6 & 63];
		if (i + 2 < n)
			out[o++] = a[v & 63];
	}
	out[o] = '\0';
}

static int check_name(const char *name, char **err)
{
	size_t len = strlen(name);
	if (len == 0 || len > TOKEN_NAME_MAX)
		return err_set(err, "a token's name is 1 to %d characters; '%.80s' is %zu",
			       TOKEN_NAME_MAX, name, len);
	for (const char *p = name; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		      (*p >= '0' && *p <= '9') || *p == '-' || *p == '_' || *p == '.'))
			return err_set(err, "a token's name may hold letters, digits, '-', '_' and "
					    "'.' only; '%.80s' does not",
				       name);
	return 0;
}

int ops_token_create(store_t *s, const char *name, const char *scope, store_token_t *t,
		     char **token, char **err)
{
	*token = NULL;
	memset(t, 0, sizeof(*t));
	if (check_name(name, err) < 0)
		return -1;
	if (token_scope_parse(scope) == TOKEN_SCOPE_NONE)
		return err_set(err, "'%.40s' is not a scope: use read, submit or admin", scope);
	unsigned char raw[TOKEN_RANDOM];
	if (getrandom(raw, sizeof(raw), 0) != (ssize_t)sizeof(raw))
		return err_set(err, "cannot make a random token: the system's random source "
				    "failed");
	char *text = malloc(TOKEN_TEXT_LEN + 1);
	if (!text)
		return err_set(err, "out of memory");
	memcpy(text, TOKEN_PREFIX, sizeof(TOKEN_PREFIX) - 1);
	base64url(raw, sizeof(raw), text + sizeof(TOKEN_PREFIX) - 1);
	char hash[65];
	t->name = strdup(name);
	t->scope = strdup(scope);
	if (!t->name || !t->scope) {
		store_token_free(t);
		free(text);
		return err_set(err, "out of memory");
	}
	if (ops_token_hash(text, hash, err) < 0 || store_token_add(s, t, hash, err) < 0) {
		store_token_free(t);
		free(text);
		return -1;
	}
	*token = text;
	return 0;
}

static bool token_shaped(const char *token)
{
	return strlen(token) == TOKEN_TEXT_LEN &&
	       strncmp(token, TOKEN_PREFIX, sizeof(TOKEN_PREFIX) - 1) == 0;
}

bool ops_token_check_ahead(store_t *s, const char *token)
{
	char hash[65];
	if (!token_shaped(token) || ops_token_hash(token, hash, NULL) < 0)
		return false;
	return store_token_find_ahead(s, hash);
}

int ops_token_check(store_t *s, const char *token, token_scope_t *scope, char **name,
		    const char **why, char **err)
{
	*scope = TOKEN_SCOPE_NONE;
	if (name)
		*name = NULL;
	*why = NULL;
	if (!token_shaped(token)) {
		*why = "the token is not one cjobs made (they start with cjobs_); 'cjobs token "
		       "create' makes one";
		return 0;
	}
	char hash[65];
	if (ops_token_hash(token, hash, err) < 0)
		return -1;
	store_token_t t;
	int found = store_token_find(s, hash, &t, err);
	if (found < 0)
		return -1;
	if (found == 1) {
		*why = "unknown token; 'cjobs token list' shows the valid ones";
		return 0;
	}
	if (t.revoked_at) {
		*why = "the token was revoked; make a new one with 'cjobs token create'";
	} else {
		*scope = token_scope_parse(t.scope);
		if (name)
			*name = t.name, t.name = NULL;
	}
	store_token_free(&t);
	return 0;
}

int ops_token_revoke(store_t *s, const char *name, char **err)
{
	int rc = store_token_revoke(s, name, err);
	if (rc == 1)
		return err_set(err, "no valid token named '%.80s'; 'cjobs token list' shows them",
			       name);
	return rc;
}
