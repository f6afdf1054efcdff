/*
 * store/dburl.c: the rules of a store's name (see dburl.h): its kind, its
 * validation with libpq's own parser, and hiding its password.
 *
 * Hiding works on byte ranges of the value, "secrets": every place a
 * password may sit. The ranges are drawn wider than libpq would read them
 * whenever the value is ambiguous, because an unencoded '@', '/' or '?' in a
 * URL's password, or a space in an unquoted keyword value, makes libpq
 * read part of the password as a host, a port, a database or a keyword, and
 * then echo that part in its error messages. So:
 *   - in a URL, the password runs from the first ':' after "//" to the LAST
 *     '@' (libpq stops at the first '@' before any '/'); an '@' inside a
 *     query value hides the host and port of the display too, never less;
 *   - a "password=" (or "sslpassword=") value, in a URL query or a keyword
 *     string, runs on over the following words up to the next one that is
 *     a libpq keyword followed by '='.
 * Messages are cleaned by their quoted parts ("..."), which is how libpq
 * quotes what it read: a part that overlaps a secret, as written or
 * percent-decoded or unquoted, or whose comma-separated pieces do (libpq
 * joins host and port lists), becomes "***"; a '"' inside the value does
 * not end a part early. Secrets of 4 bytes or more are also replaced
 * wherever else they appear. test_dburl.c throws random passwords of
 * every awkward character at these rules in each form, and keeps the cases
 * that once got through.
 *
 * This file must never print, never connect, and never hand back a
 * message holding a secret.
 */
#include "store/dburl.h"

#include <ctype.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <libpq-fe.h>

#include "util/err.h"
#include "util/strbuf.h"
#include "util/vec.h"

#define HIDDEN "***"

typedef struct {
	size_t start, end; /* [start, end) of the value */
} span_t;

typedef struct {
	span_t *v;
	size_t n, cap;
	bool failed;
} spans_t;

/* libpq's connection keywords, as the linked libpq knows them:
 * PQconninfoParse("") lists every option without reading the environment
 * or a service file. NULL when memory ran out. */
static PQconninfoOption *keywords_get(void)
{
	char *e = NULL;
	PQconninfoOption *kw = PQconninfoParse("", &e);
	PQfreemem(e);
	return kw;
}

/* Whether S[0..N) is one of KW's keywords. Without the list (no memory),
 * FALLBACK answers: each caller chooses the answer that hides more. */
static bool is_keyword(const PQconninfoOption *kw, const char *s, size_t n, bool fallback)
{
	if (n == 0)
		return false;
	if (!kw)
		return fallback;
	for (; kw->keyword; kw++)
		if (strlen(kw->keyword) == n && memcmp(kw->keyword, s, n) == 0)
			return true;
	return false;
}

static bool has_prefix_ci(const char *s, const char *prefix)
{
	return strncasecmp(s, prefix, strlen(prefix)) == 0;
}

/* Length of a leading "postgresql:" or "postgres:" in any case, else 0. */
static size_t pg_scheme_len(const char *v)
{
	if (has_prefix_ci(v, "postgresql:"))
		return strlen("postgresql:");
	if (has_prefix_ci(v, "postgres:"))
		return strlen("postgres:");
	return 0;
}

/* Length of a leading "scheme://" (RFC 3986's scheme syntax), else 0. */
static size_t any_scheme_len(const char *v)
{
	size_t i = 0;
	if (!isalpha((unsigned char)v[0]))
		return 0;
	while (isalnum((unsigned char)v[i]) || v[i] == '+' || v[i] == '-' || v[i] == '.')
		i++;
	return strncmp(v + i, "://", 3) == 0 ? i + 3 : 0;
}

/* The first word of a keyword string, and whether '=' follows it. */
static bool first_word_assigns(const char *v, const char **word, size_t *len)
{
	while (isspace((unsigned char)*v))
		v++;
	const char *w = v;
	while (*v && *v != '=' && !isspace((unsigned char)*v))
		v++;
	*word = w;
	*len = (size_t)(v - w);
	while (isspace((unsigned char)*v))
		v++;
	return *v == '=';
}

dburl_kind_t dburl_kind(const char *value)
{
	if (!value)
		return DBURL_SQLITE;
	if (pg_scheme_len(value))
		return DBURL_POSTGRES;
	if (any_scheme_len(value))
		return DBURL_UNKNOWN;
	const char *w;
	size_t n;
	if (!first_word_assigns(value, &w, &n))
		return DBURL_SQLITE;
	/* Without libpq's list, a lower-case word before '=' is taken for a
	 * keyword: the check then fails on memory, where calling it a file
	 * would create a file of that odd name. */
	bool lower = n > 0;
	for (size_t i = 0; i < n; i++)
		lower = lower && (islower((unsigned char)w[i]) || w[i] == '_');
	PQconninfoOption *kw = keywords_get();
	bool yes = is_keyword(kw, w, n, lower);
	PQconninfoFree(kw);
	return yes ? DBURL_POSTGRES : DBURL_SQLITE;
}

/* ---- where the passwords are ---- */

static void spans_add(spans_t *sp, size_t start, size_t end)
{
	if (sp->failed)
		return;
	if (!vec_room(&sp->v, &sp->cap, sp->n, sizeof(*sp->v), 4)) {
		sp->failed = true;
		return;
	}
	sp->v[sp->n++] = (span_t){start, end};
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = (char)tolower((unsigned char)c);
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* Percent-decodes S[0..N) into OUT (room for N bytes), as libpq does;
 * a '%' not followed by two hex digits, or %00, stays as written. MAP, when
 * not NULL, receives for each output byte the range of S it came from
 * (room for N). Returns the output length. */
static size_t pct_decode(const char *s, size_t n, char *out, span_t *map)
{
	size_t o = 0;
	for (size_t i = 0; i < n;) {
		int hi = i + 2 < n && s[i] == '%' ? hexval(s[i + 1]) : -1;
		int lo = hi >= 0 ? hexval(s[i + 2]) : -1;
		size_t w = 1;
		char c = s[i];
		if (hi >= 0 && lo >= 0 && (hi | lo) != 0) {
			c = (char)(hi * 16 + lo);
			w = 3;
		}
		if (map)
			map[o] = (span_t){i, i + w};
		out[o++] = c;
		i += w;
	}
	return o;
}

/* Whether a URL query key S[0..N), percent-decoded, names a password
 * (password, sslpassword; any case: libpq rejects the others, but they are
 * hidden all the same). Without memory, SP fails: a guess either way could
 * hide less somewhere (pct_decode keeps %00 as written, so the key holds no
 * NUL before its end). */
static bool key_is_password(const char *s, size_t n, bool decode, spans_t *sp)
{
	char *k = malloc(n + 1);
	if (!k) {
		sp->failed = true;
		return true;
	}
	size_t m = decode ? pct_decode(s, n, k, NULL) : (memcpy(k, s, n), n);
	k[m] = '\0';
	for (size_t i = 0; i < m; i++)
		k[i] = (char)tolower((unsigned char)k[i]);
	bool yes = strstr(k, "password") != NULL;
	free(k);
	return yes;
}

/* Whether a URL query parameter starting at S is "keyword=..." with a
 * keyword libpq knows (or "ssl", which libpq also takes). Without memory,
 * SP fails: taking the parameter for more of a password would hide it
 * whole in the display, but then a later password of its own would no
 * longer be a place of its own, which messages are cleaned of. */
static bool query_param_is_keyword(const PQconninfoOption *kw, const char *s, spans_t *sp)
{
	size_t n = strcspn(s, "=&");
	if (s[n] != '=')
		return false;
	char *k = malloc(n + 1);
	if (!k) {
		sp->failed = true;
		return false;
	}
	size_t m = pct_decode(s, n, k, NULL);
	k[m] = '\0';
	bool yes = (m == 3 && memcmp(k, "ssl", 3) == 0) || is_keyword(kw, k, m, false);
	free(k);
	return yes;
}

/* The password values of a URL query starting at V[from]. */
static void query_secrets(const char *v, size_t from, const PQconninfoOption *kw, spans_t *sp)
{
	size_t p = from;
	while (v[p]) {
		size_t n = strcspn(v + p, "&");
		const char *eq = memchr(v + p, '=', n);
		if (!eq || !key_is_password(v + p, (size_t)(eq - (v + p)), true, sp)) {
			p += n + (v[p + n] == '&');
			continue;
		}
		/* The value runs on over parameters that are not libpq's. */
		size_t start = (size_t)(eq - v) + 1, end = p + n;
		while (v[end] == '&' && !query_param_is_keyword(kw, v + end + 1, sp))
			end += 1 + strcspn(v + end + 1, "&");
		spans_add(sp, start, end);
		p = end + (v[end] == '&');
	}
}

/* Where a URL's authority begins: after "scheme:" and up to two '/'. */
static size_t url_body(const char *v)
{
	size_t a = pg_scheme_len(v);
	if (!a)
		a = any_scheme_len(v);
	else
		for (int i = 0; i < 2 && v[a] == '/'; i++)
			a++;
	return a;
}

static void url_secrets(const char *v, const PQconninfoOption *kw, spans_t *sp)
{
	size_t a = url_body(v);
	const char *at = strrchr(v + a, '@');
	const char *colon = strchr(v + a, ':');
	if (at && colon && colon < at)
		spans_add(sp, (size_t)(colon - v) + 1, (size_t)(at - v));
	/* The query as libpq reads it (after the '@') and as it reads it when
	 * that '@' was in a query value: hidden both ways. */
	const char *q = strchr(v + a, '?');
	if (q)
		query_secrets(v, (size_t)(q - v) + 1, kw, sp);
	const char *q2 = at ? strchr(at, '?') : NULL;
	if (q2 && q2 != q)
		query_secrets(v, (size_t)(q2 - v) + 1, kw, sp);
}

/* Skips one keyword-string value at V[p] (quoted with '...' or not, with
 * backslash escapes) and returns where it ends. */
static size_t kv_value_end(const char *v, size_t p)
{
	if (v[p] == '\'') {
		for (p++; v[p] && v[p] != '\''; p++)
			if (v[p] == '\\' && v[p + 1])
				p++;
		return v[p] ? p + 1 : p;
	}
	for (; v[p] && !isspace((unsigned char)v[p]); p++)
		if (v[p] == '\\' && v[p + 1])
			p++;
	return p;
}

static void kv_secrets(const char *v, const PQconninfoOption *kw, spans_t *sp)
{
	size_t p = 0;
	for (;;) {
		while (isspace((unsigned char)v[p]))
			p++;
		if (!v[p])
			return;
		size_t k = p;
		while (v[p] && v[p] != '=' && !isspace((unsigned char)v[p]))
			p++;
		size_t klen = p - k;
		while (isspace((unsigned char)v[p]))
			p++;
		if (v[p] != '=')
			continue; /* a stray word: libpq rejects it; nothing to hide */
		p++;
		while (isspace((unsigned char)v[p]))
			p++;
		size_t start = p, end = kv_value_end(v, p);
		if (key_is_password(v + k, klen, false, sp)) {
			/* Words after it that do not start "keyword=" are taken as
			 * more of the password (spaces left unquoted). */
			for (;;) {
				size_t r = end;
				while (isspace((unsigned char)v[r]))
					r++;
				const char *w;
				size_t wn;
				if (!v[r] || (first_word_assigns(v + r, &w, &wn) &&
					      is_keyword(kw, w, wn, false)))
					break;
				end = kv_value_end(v, r);
			}
			spans_add(sp, start, end);
		}
		p = end;
	}
}

static int span_cmp(const void *a, const void *b)
{
	const span_t *x = a, *y = b;
	return x->start < y->start ? -1 : x->start > y->start;
}

/* In order of their start, overlapping ones joined. */
static void spans_merge(spans_t *sp)
{
	if (sp->n < 2)
		return;
	qsort(sp->v, sp->n, sizeof(*sp->v), span_cmp);
	size_t o = 0;
	for (size_t i = 1; i < sp->n; i++) {
		if (sp->v[i].start <= sp->v[o].end) {
			if (sp->v[i].end > sp->v[o].end)
				sp->v[o].end = sp->v[i].end;
		} else {
			sp->v[++o] = sp->v[i];
		}
	}
	sp->n = o + 1;
}

/* The secrets of VALUE, in order, none overlapping; -1 on no memory. */
static int find_secrets(const char *value, spans_t *sp)
{
	*sp = (spans_t){0};
	dburl_kind_t kind = dburl_kind(value);
	if (kind == DBURL_SQLITE)
		return 0;
	PQconninfoOption *kw = keywords_get();
	if (pg_scheme_len(value) || kind == DBURL_UNKNOWN)
		url_secrets(value, kw, sp);
	else
		kv_secrets(value, kw, sp);
	PQconninfoFree(kw);
	if (sp->failed) {
		free(sp->v);
		*sp = (spans_t){0};
		return -1;
	}
	spans_merge(sp);
	return 0;
}

static bool overlaps(const spans_t *sp, size_t start, size_t end)
{
	for (size_t i = 0; i < sp->n; i++)
		if (start < sp->v[i].end && sp->v[i].start < end)
			return true;
	return false;
}

char *dburl_display(const char *value)
{
	spans_t sp;
	if (!value || find_secrets(value, &sp) < 0)
		return value ? NULL : strdup("");
	strbuf_t sb = STRBUF_INIT;
	size_t p = 0;
	for (size_t i = 0; i < sp.n; i++) {
		sb_append(&sb, value + p, sp.v[i].start - p);
		sb_puts(&sb, HIDDEN);
		p = sp.v[i].end;
	}
	sb_puts(&sb, value + p);
	free(sp.v);
	return sb_steal(&sb);
}

/* ---- cleaning messages ---- */

/* The value as libpq reads its text: percent-decoded for a URL, without
 * quotes and backslashes for a keyword string; each byte knows the range
 * of the value it came from. */
typedef struct {
	char *text;
	span_t *map;
	size_t len;
} view_t;

static int view_make(const char *v, view_t *vw)
{
	size_t n = strlen(v);
	vw->text = malloc(n + 1);
	vw->map = malloc((n + 1) * sizeof(*vw->map));
	vw->len = 0;
	if (!vw->text || !vw->map)
		return -1;
	if (pg_scheme_len(v) || any_scheme_len(v)) {
		vw->len = pct_decode(v, n, vw->text, vw->map);
		return 0;
	}
	for (size_t i = 0; i < n; i++) {
		if (v[i] == '\'')
			continue;
		size_t w = v[i] == '\\' && i + 1 < n ? 2 : 1;
		vw->map[vw->len] = (span_t){i, i + w};
		vw->text[vw->len++] = v[i + w - 1];
		i += w - 1;
	}
	return 0;
}

/* Whether F (N bytes), or each of its comma-separated pieces, occurs in
 * the value, as written or as read. */
static bool occurs(const char *value, const view_t *vw, const char *f, size_t n)
{
	for (const char *p = f, *end = f + n; p <= end;) {
		const char *comma = memchr(p, ',', (size_t)(end - p));
		const char *stop = comma ? comma : end;
		size_t m = (size_t)(stop - p);
		if (m && !memmem(value, strlen(value), p, m) && !memmem(vw->text, vw->len, p, m))
			return false;
		p = stop + 1;
	}
	return true;
}

/* Whether some occurrence of F (N bytes) in the value, as written or as
 * read, overlaps a secret. */
static bool touches_whole(const char *value, const view_t *vw, const spans_t *sp,
			  const char *f, size_t n)
{
	if (n == 0 || sp->n == 0)
		return false;
	size_t vlen = strlen(value);
	for (const char *p = value; (p = memmem(p, vlen - (size_t)(p - value), f, n)); p++)
		if (overlaps(sp, (size_t)(p - value), (size_t)(p - value) + n))
			return true;
	for (const char *p = vw->text; (p = memmem(p, vw->len - (size_t)(p - vw->text), f, n));
	     p++) {
		size_t i = (size_t)(p - vw->text);
		if (overlaps(sp, vw->map[i].start, vw->map[i + n - 1].end))
			return true;
	}
	return false;
}

/* As touches_whole, for F or any of its comma-separated pieces: libpq
 * quotes lists of hosts and ports joined with ',' from several places of
 * the value. */
static bool touches_secret(const char *value, const view_t *vw, const spans_t *sp,
			   const char *f, size_t n)
{
	if (touches_whole(value, vw, sp, f, n))
		return true;
	for (const char *p = f, *end = f + n; p < end;) {
		const char *comma = memchr(p, ',', (size_t)(end - p));
		const char *stop = comma ? comma : end;
		if (stop - p < (ptrdiff_t)n && touches_whole(value, vw, sp, p, (size_t)(stop - p)))
			return true;
		p = stop + 1;
	}
	return false;
}

/* Replaces every occurrence of S (N bytes) in *MSG by HIDDEN. */
static int replace_all(char **msg, const char *s, size_t n)
{
	if (!memmem(*msg, strlen(*msg), s, n))
		return 0;
	strbuf_t sb = STRBUF_INIT;
	const char *p = *msg, *q;
	while ((q = memmem(p, strlen(p), s, n))) {
		sb_append(&sb, p, (size_t)(q - p));
		sb_puts(&sb, HIDDEN);
		p = q + n;
	}
	sb_puts(&sb, p);
	char *out = sb_steal(&sb);
	if (!out)
		return -1;
	free(*msg);
	*msg = out;
	return 0;
}

/* The safety net: secrets of 4 bytes or more, as written and as read, are
 * replaced wherever they still appear (a message that quotes them some
 * other way). Shorter ones would blank common letters all over the text. */
static int replace_secrets(char **msg, const char *value, const view_t *vw, const spans_t *sp)
{
	for (size_t i = 0; i < sp->n; i++) {
		span_t s = sp->v[i];
		if (s.end - s.start >= 4 && replace_all(msg, value + s.start, s.end - s.start) < 0)
			return -1;
		size_t a = 0, b = 0;
		while (a < vw->len && vw->map[a].start < s.start)
			a++;
		for (b = a; b < vw->len && vw->map[b].end <= s.end; b++)
			;
		if (b - a >= 4 && replace_all(msg, vw->text + a, b - a) < 0)
			return -1;
	}
	return 0;
}

/* MSG with each copy of VALUE shown as SHOWN and each quoted part that
 * touches a secret hidden. */
static char *clean_quoted(const char *value, const char *msg, const char *shown,
			  const view_t *vw, const spans_t *sp)
{
	strbuf_t sb = STRBUF_INIT;
	size_t vlen = strlen(value);
	for (const char *p = msg; *p;) {
		if (vlen && strncmp(p, value, vlen) == 0) {
			sb_puts(&sb, shown);
			p += vlen;
			continue;
		}
		/* A quoted part ends at the nearest '"', unless a farther one
		 * makes a part that occurs in the value: then the value itself
		 * held a '"' (in a password, say), and the part runs to there. */
		const char *close = *p == '"' ? strchr(p + 1, '"') : NULL;
		for (const char *c = close; c; c = strchr(c + 1, '"'))
			if (occurs(value, vw, p + 1, (size_t)(c - p - 1)))
				close = c;
		if (!close) {
			sb_putc(&sb, *p++);
			continue;
		}
		size_t n = (size_t)(close - p - 1);
		sb_putc(&sb, '"');
		if (n == vlen && memcmp(p + 1, value, n) == 0)
			sb_puts(&sb, shown);
		else if (touches_secret(value, vw, sp, p + 1, n))
			sb_puts(&sb, HIDDEN);
		else
			sb_append(&sb, p + 1, n);
		sb_putc(&sb, '"');
		p = close + 1;
	}
	return sb_steal(&sb);
}

char *dburl_redact(const char *value, const char *msg)
{
	if (!msg)
		msg = "";
	if (!value)
		return strdup(msg);
	spans_t sp;
	view_t vw = {0};
	char *shown = NULL, *out = NULL;
	if (find_secrets(value, &sp) < 0)
		return NULL;
	if (view_make(value, &vw) == 0 && (shown = dburl_display(value)))
		out = clean_quoted(value, msg, shown, &vw, &sp);
	if (out && replace_secrets(&out, value, &vw, &sp) < 0) {
		free(out);
		out = NULL;
	}
	free(sp.v);
	free(vw.text);
	free(vw.map);
	free(shown);
	return out;
}

/* ---- validation ---- */

/* Advice, passed as %s arguments (so a single % is a percent sign). */
#define URL_HINT                                                                     \
	"write postgresql://USER:PASSWORD@HOST:PORT/DB?KEYWORD=VALUE, with the "    \
	"characters @ : / ? # & % and spaces of a name or password percent-encoded " \
	"(%40 for @, %2F for /, %25 for %)"
#define KV_HINT                                                                      \
	"write KEYWORD=VALUE pairs separated by spaces, such as \"host=/run/postgresql " \
	"dbname=cjobs\", with a value that holds spaces in single quotes ('a b', \\' "  \
	"for a quote inside)"
#define KEYWORD_HINT                                                                \
	"the keywords are libpq's: host, port, dbname, user, password, sslmode, "   \
	"connect_timeout, application_name, service and the others of its manual"

/* An unencoded '@' or '/' in a URL's user name or password: libpq takes the
 * userinfo to end at the first '@' before any '/', dburl's hiding at the
 * last '@'. When they differ, libpq would read part of the password as the
 * host or the port. An '@' after a '/' and then a '?' is in a query value
 * (application_name=a@b): not this mistake. */
static bool url_userinfo_ambiguous(const char *v)
{
	const char *a = v + url_body(v);
	const char *last = strrchr(a, '@');
	if (!last)
		return false;
	const char *slash = memchr(a, '/', (size_t)(last - a));
	if (slash && memchr(slash, '?', (size_t)(last - slash)))
		return false;
	size_t upto = strcspn(a, "@/");
	return a + upto != last;
}

/* libpq's complaint, cleaned and cut to its point: the trailing copy of
 * the whole value that some of its messages end with is dropped (the
 * message already shows it). */
static char *libpq_reason(const char *value, const char *perr, const char *shown)
{
	char *r = dburl_redact(value, perr);
	if (!r)
		return NULL;
	size_t n = strlen(r);
	while (n && isspace((unsigned char)r[n - 1]))
		r[--n] = '\0';
	for (char *p = r; *p; p++)
		if (*p == '\n')
			*p = ' ';
	size_t sn = strlen(shown);
	if (n >= sn + 4 && r[n - 1] == '"' && memcmp(r + n - sn - 4, ": \"", 3) == 0 &&
	    memcmp(r + n - sn - 1, shown, sn) == 0)
		r[n - sn - 4] = '\0';
	return r;
}

static int check_postgres(const char *value, const char *src, const char *shown, char **err)
{
	bool url = pg_scheme_len(value) != 0;
	if (url && strncmp(value, "postgresql://", 13) != 0 && strncmp(value, "postgres://", 11) != 0)
		return err_set(err,
			       "invalid %s \"%s\": a PostgreSQL URL begins with postgresql:// (or "
			       "postgres://), in lower case and with both slashes; %s",
			       src, shown, URL_HINT);
	char *perr = NULL;
	PQconninfoOption *opts = PQconninfoParse(value, &perr);
	if (!opts) {
		if (!perr)
			return err_set(err, "out of memory");
		char *why = libpq_reason(value, perr, shown);
		PQfreemem(perr);
		if (!why)
			return err_set(err, "out of memory");
		bool bad_kw = strstr(why, "invalid connection option") ||
			      strstr(why, "invalid URI query parameter");
		err_set(err, "invalid %s \"%s\": %s; %s", src, shown, why,
			bad_kw ? KEYWORD_HINT : url ? URL_HINT : KV_HINT);
		free(why);
		return -1;
	}
	PQconninfoFree(opts);
	if (url && url_userinfo_ambiguous(value))
		return err_set(err,
			       "invalid %s \"%s\": the user name or password holds an '@' or '/' "
			       "that is not percent-encoded, so the host would be read from the "
			       "password; %s",
			       src, shown, URL_HINT);
	return 0;
}

int dburl_check(const char *value, const char *source, char **err)
{
	const char *src = source ? source : "--database";
	dburl_kind_t kind = dburl_kind(value);
	if (kind == DBURL_SQLITE)
		return 0;
	char *shown = dburl_display(value);
	if (!shown)
		return err_set(err, "out of memory");
	int rc = 0;
	if (kind == DBURL_UNKNOWN) {
		size_t n = any_scheme_len(value);
		rc = err_set(err,
			     "invalid %s \"%s\": cjobs has no store of the kind %.*s; write the "
			     "path of an SQLite file (starting ./ if its name looks like a URL), or "
			     "postgresql://USER@HOST:PORT/DB or \"host=DIR dbname=DB\" for PostgreSQL",
			     src, shown, (int)n, value);
	} else {
		rc = check_postgres(value, src, shown, err);
	}
	free(shown);
	return rc;
}

/* ---- advice on failures ---- */

/* libpq's and the server's words (in English: cjobs sets no locale) and
 * what to do about each; the first that MSG holds wins. */
static const struct {
	const char *words, *hint;
} hints[] = {
	{"password authentication failed",
	 "check the password: the URL's USER:PASSWORD@, password=, $PGPASSWORD or ~/.pgpass"},
	{"no password supplied",
	 "the server wants a password: give it in the URL (USER:PASSWORD@), as password=, in "
	 "$PGPASSWORD or in ~/.pgpass"},
	{"no pg_hba.conf entry",
	 "the server lets no such user in from here: ask its administrator for a line in "
	 "pg_hba.conf, or connect as another user"},
	{"FATAL:  role \"", "connect as a user the server has (the URL's USER@, or user=)"},
	{"FATAL:  database \"",
	 "create the database (createdb NAME, or CREATE DATABASE NAME) or name one that exists "
	 "(the URL's /DB, or dbname=); cjobs makes its tables there itself"},
	{"No such file or directory",
	 "no server listens there: start it, or give host= the directory of its socket "
	 "(often /run/postgresql) or its host name, and port= its port"},
	{"Connection refused",
	 "no server listens there: start it, or check the host and port (5432 unless port= "
	 "says otherwise)"},
	{"could not translate host name", "check the host name (or its DNS)"},
	{"invalid integer value", "write that setting as a whole number (such as port=5432)"},
	{"invalid sslmode value",
	 "sslmode is one of disable, allow, prefer, require, verify-ca and verify-full"},
	{"timeout expired",
	 "the server did not answer in time: check the host, the port and the network (the "
	 "wait is connect_timeout=, in seconds)"},
};

const char *dburl_hint(const char *msg)
{
	for (size_t i = 0; msg && i < sizeof(hints) / sizeof(hints[0]); i++)
		if (strstr(msg, hints[i].words))
			return hints[i].hint;
	return NULL;
}
