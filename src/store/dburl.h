/*
 * store/dburl.h: what a store's name means, wherever one is given
 * (--database, $CJOBS_DATABASE, [store] path): which driver it names,
 * whether it is well formed, and how to show it without its password.
 *
 * The rules, in order:
 *   1. A value that starts with "postgresql:" or "postgres:" (in any case)
 *      names PostgreSQL, as a URL; dburl_check insists on the lower-case
 *      "postgresql://" or "postgres://" that libpq reads.
 *   2. Any other "scheme://" (letters, then letters, digits, + - .) is not
 *      a store cjobs knows: DBURL_UNKNOWN, which dburl_check rejects.
 *   3. A value whose first word, after any blanks, is one of libpq's
 *      connection keywords (host, dbname, user, service, ...: as libpq
 *      spells them, lower case) followed by '=' names PostgreSQL, as a
 *      keyword string ("host=/run/postgresql dbname=cjobs").
 *   4. Anything else is the path of an SQLite file. A path that contains
 *      '=' stays a path unless what comes before the first '=' is exactly a
 *      libpq keyword: "./a=b.db", "a=b.db" and "jobs/host=x.db" are files;
 *      a file really named "host=x.db" is written "./host=x.db", and one
 *      really named "http://..." is written "./http://...".
 *
 * Passwords: dburl_display and dburl_redact hide them in every form libpq
 * reads: "user:PASSWORD@" in a URL, "?password=" (and "sslpassword=") in its
 * query, "password=" (quoted or not) in a keyword string. Where a value is
 * malformed, and so ambiguous, they hide more rather than less (see
 * dburl.c). An SQLite path is shown as it is.
 *
 * This must never print, never connect, and never let a password into a
 * message it returns.
 */
#ifndef CJOBS_STORE_DBURL_H
#define CJOBS_STORE_DBURL_H

typedef enum {
	DBURL_SQLITE,   /* a file path (the embedded default) */
	DBURL_POSTGRES, /* a postgresql:// URL or a libpq keyword string */
	DBURL_UNKNOWN,  /* another scheme://: an error, never a file name */
} dburl_kind_t;

/* The driver VALUE names, by the rules above. Never fails. */
dburl_kind_t dburl_kind(const char *value);

/* 0 if VALUE can be used as a store's name. Otherwise -1 and *err is one
 * line: 'invalid SOURCE "<value shown by dburl_display>": <what is wrong>;
 * <what to write instead>'. SOURCE is where the value came from
 * ("--database", "$CJOBS_DATABASE", "[store] path"; NULL means
 * "--database"). PostgreSQL values are parsed with libpq's own parser;
 * SQLite paths are left to the SQLite driver (0 here). */
int dburl_check(const char *value, const char *source, char **err);

/* A malloc'd copy of VALUE with every password replaced by "***", for
 * `db status`, logs and errors. NULL only when memory ran out. */
char *dburl_display(const char *value);

/* A malloc'd copy of MSG, a message about VALUE (such as libpq's
 * PQerrorMessage after a failed connection), with VALUE shown as
 * dburl_display shows it and any quoted part that comes from a password
 * replaced by "***". NULL only when memory ran out. */
char *dburl_redact(const char *value, const char *msg);

/* What to do about a failure to reach a PostgreSQL store, from libpq's or
 * the server's words in MSG (a database that does not exist, a password
 * refused, no server at that address, ...): a static text to follow the
 * message after "; ", or NULL when MSG is none of the failures it knows. */
const char *dburl_hint(const char *msg);

#endif
