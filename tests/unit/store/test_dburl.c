/*
 * tests/unit/store/test_dburl.c: the rules of a store's name (store/dburl.h)
 * at each boundary: which values are files and which PostgreSQL, which are
 * refused and with what advice, and that a password never reaches a
 * message, in any form libpq reads one.
 *
 * Pure string work: no file, no server, no environment is touched; the
 * random passwords come from a fixed seed, the same in every run.
 */
#include "helpers.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/dburl.h"

static void expect_kind(const char *value, dburl_kind_t want)
{
	dburl_kind_t got = dburl_kind(value);
	if (got != want)
		fail_msg("dburl_kind(\"%s\") is %d, not %d", value ? value : "(null)", got, want);
}

static void test_kind_sqlite_paths(void **state)
{
	(void)state;
	expect_kind(NULL, DBURL_SQLITE);
	expect_kind("", DBURL_SQLITE);
	expect_kind("jobs.db", DBURL_SQLITE);
	expect_kind("/var/lib/cjobs/cjobs.db", DBURL_SQLITE);
	expect_kind("my jobs.db", DBURL_SQLITE);
	/* '=' in a path: a file unless the word before it is a libpq keyword. */
	expect_kind("./a=b.db", DBURL_SQLITE);
	expect_kind("a=b.db", DBURL_SQLITE);
	expect_kind("jobs/host=x.db", DBURL_SQLITE);
	expect_kind("./host=x.db", DBURL_SQLITE);
	expect_kind("./password=x.db", DBURL_SQLITE);
	expect_kind("hostx=y", DBURL_SQLITE);
	expect_kind("HOST=x", DBURL_SQLITE); /* libpq's keywords are lower case */
	expect_kind("dbname", DBURL_SQLITE);  /* a keyword without '=' */
	/* a colon is not a scheme without "//" */
	expect_kind("a:b.db", DBURL_SQLITE);
	expect_kind("C:/x.db", DBURL_SQLITE);
	expect_kind("./http://x", DBURL_SQLITE);
}

static void test_kind_postgres(void **state)
{
	(void)state;
	expect_kind("postgresql://h/db", DBURL_POSTGRES);
	expect_kind("postgres://h", DBURL_POSTGRES);
	expect_kind("postgresql://", DBURL_POSTGRES);
	/* misspelt forms are PostgreSQL's, so that the check explains them */
	expect_kind("POSTGRESQL://h/db", DBURL_POSTGRES);
	expect_kind("postgresql:h/db", DBURL_POSTGRES);
	expect_kind("host=/run/pg dbname=cjobs", DBURL_POSTGRES);
	expect_kind("  dbname = cjobs", DBURL_POSTGRES);
	expect_kind("service=jobs", DBURL_POSTGRES);
	expect_kind("sslmode=disable", DBURL_POSTGRES);
	expect_kind("host=x.db", DBURL_POSTGRES);
	expect_kind("password=secret", DBURL_POSTGRES);
	/* keywords with '_' in them; a lower-case word with '_' that is none */
	expect_kind("application_name=cjobs host=h", DBURL_POSTGRES);
	expect_kind("connect_timeout=5", DBURL_POSTGRES);
	expect_kind("not_a_keyword=x", DBURL_SQLITE);
}

static void test_kind_unknown_schemes(void **state)
{
	(void)state;
	expect_kind("mysql://h/db", DBURL_UNKNOWN);
	expect_kind("file:///var/x.db", DBURL_UNKNOWN);
	expect_kind("sqlite:///x.db", DBURL_UNKNOWN);
	expect_kind("git+ssh://h/x", DBURL_UNKNOWN);
}

static void expect_display(const char *value, const char *want)
{
	char *got = dburl_display(value);
	assert_non_null(got);
	if (strcmp(got, want) != 0)
		fail_msg("dburl_display(\"%s\")\n  is   \"%s\"\n  not  \"%s\"", value ? value : "NULL",
			 got, want);
	free(got);
}

static void test_display_url_userinfo(void **state)
{
	(void)state;
	expect_display("postgresql://cjobs:hunter2@db1:5432/cjobs",
		       "postgresql://cjobs:***@db1:5432/cjobs");
	expect_display("postgres://cjobs:hunter2@db1", "postgres://cjobs:***@db1");
	expect_display("postgresql://cjobs@db1/cjobs", "postgresql://cjobs@db1/cjobs");
	expect_display("postgresql://db1/cjobs", "postgresql://db1/cjobs");
	expect_display("postgresql://u:@h/db", "postgresql://u:***@h/db");
	/* percent-encoded odd characters */
	expect_display("postgresql://u:p%40ss%3Aw%2Fd%25@h/db", "postgresql://u:***@h/db");
	/* unencoded ones: hidden up to the last '@', whatever libpq reads */
	expect_display("postgresql://u:p@ss@h/db", "postgresql://u:***@h/db");
	expect_display("postgresql://u:pa/ss@h/db", "postgresql://u:***@h/db");
	expect_display("postgresql://u:pa?ss@h/db", "postgresql://u:***@h/db");
	expect_display("postgresql://u:a b:c#d@h/db", "postgresql://u:***@h/db");
	expect_display("postgresql://[::1]:5432/db", "postgresql://[::1]:5432/db");
	expect_display("postgresql://u:pw@[::1]:5432/db", "postgresql://u:***@[::1]:5432/db");
	expect_display("postgresql://h1:5432,h2:5433/db", "postgresql://h1:5432,h2:5433/db");
	/* an '@' in a query value, after a port: more is hidden, never less */
	expect_display("postgresql://h:5432/db?application_name=a@b", "postgresql://h:***@b");
	expect_display("postgresql://h/db?application_name=a@b",
		       "postgresql://h/db?application_name=a@b");
	expect_display("POSTGRESQL://u:pw@h", "POSTGRESQL://u:***@h");
	expect_display("mysql://u:pw@h/db", "mysql://u:***@h/db");
}

static void test_display_url_query(void **state)
{
	(void)state;
	expect_display("postgresql://h/db?password=pw", "postgresql://h/db?password=***");
	expect_display("postgresql://h/db?sslmode=require&password=p%26w&application_name=x",
		       "postgresql://h/db?sslmode=require&password=***&application_name=x");
	expect_display("postgresql://h/db?pass%77ord=zz", "postgresql://h/db?pass%77ord=***");
	expect_display("postgresql://h/db?PASSWORD=zz", "postgresql://h/db?PASSWORD=***");
	expect_display("postgresql://h/db?sslpassword=k&password=p",
		       "postgresql://h/db?sslpassword=***&password=***");
	/* an unencoded '&': the value runs on to the next libpq keyword */
	expect_display("postgresql://h/db?password=a&b&sslmode=disable",
		       "postgresql://h/db?password=***&sslmode=disable");
	expect_display("postgresql://h/db?password=a&b=c", "postgresql://h/db?password=***");
	expect_display("postgresql://h/db?password=a&ssl=true",
		       "postgresql://h/db?password=***&ssl=true");
	expect_display("postgresql://u:pw@h/db?password=q", "postgresql://u:***@h/db?password=***");
	expect_display("postgresql://h/db?password=", "postgresql://h/db?password=***");
	/* an '@' in a query password is not the end of a user name */
	expect_display("postgresql://h/db?password=a@b&sslmode=disable",
		       "postgresql://h/db?password=***&sslmode=disable");
	expect_display("postgresql://h/db?passwordx", "postgresql://h/db?passwordx");
	/* a port's colon before an '@' in a query password: the two places
	 * overlap, and are hidden as one, up to the password's end */
	expect_display("postgresql://h:5432/db?password=a@b&sslmode=disable",
		       "postgresql://h:***&sslmode=disable");
	/* more places than the first room for them (four) */
	expect_display("postgresql://h/db?password=1&password=2&password=3&password=4&password=5",
		       "postgresql://h/db?password=***&password=***&password=***&password=***&"
		       "password=***");
}

static void test_display_keywords(void **state)
{
	(void)state;
	expect_display("host=/run/pg password=hunter2 dbname=cjobs",
		       "host=/run/pg password=*** dbname=cjobs");
	expect_display("host=/run/pg dbname=cjobs", "host=/run/pg dbname=cjobs");
	/* quoted values with spaces, escaped quotes and backslashes */
	expect_display("password='a b \\' c' host=x", "password=*** host=x");
	expect_display("host='/my dir' password='x\\\\' user=u",
		       "host='/my dir' password=*** user=u");
	expect_display("password = spaced  user=u", "password = ***  user=u");
	expect_display("password=a\\ b host=x", "password=*** host=x");
	/* an unquoted space: the next words are taken for more password */
	expect_display("password=a b host=x", "password=*** host=x");
	expect_display("password=a b=c host=x", "password=*** host=x");
	expect_display("password='open host=x", "password=***");
	expect_display("sslpassword=k host=x", "sslpassword=*** host=x");
	expect_display("host=x password=", "host=x password=***");
	/* a backslash at the very end, quoted or not */
	expect_display("host=x password='ab\\", "host=x password=***");
	expect_display("host=x password=ab\\", "host=x password=***");
	/* a stray word without '=' (libpq refuses it): nothing to hide in it */
	expect_display("host=x stray", "host=x stray");
	expect_display("host=x stray password=pw", "host=x stray password=***");
	/* files are shown as they are, whatever their names hold */
	expect_display("./password=x.db", "./password=x.db");
	expect_display("PASSWORD=x", "PASSWORD=x");
	expect_display("", "");
	expect_display(NULL, "");
}

/* dburl_check refuses VALUE, with every NEEDLE in its message and no
 * SECRET (may be NULL). */
static void expect_refused(const char *value, const char *secret, const char *needle1,
			   const char *needle2)
{
	char *err = NULL;
	if (dburl_check(value, NULL, &err) != -1)
		fail_msg("dburl_check(\"%s\") accepted it", value);
	assert_non_null(err);
	if (strchr(err, '\n'))
		fail_msg("message of \"%s\" is not one line: %s", value, err);
	if (strncmp(err, "invalid --database \"", 20) != 0)
		fail_msg("message of \"%s\" does not begin with invalid --database: %s", value, err);
	if (secret && strstr(err, secret))
		fail_msg("message of \"%s\" shows the password \"%s\": %s", value, secret, err);
	if (needle1 && !strstr(err, needle1))
		fail_msg("message of \"%s\" lacks \"%s\": %s", value, needle1, err);
	if (needle2 && !strstr(err, needle2))
		fail_msg("message of \"%s\" lacks \"%s\": %s", value, needle2, err);
	free(err);
}

static void expect_accepted(const char *value)
{
	char *err = NULL;
	if (dburl_check(value, NULL, &err) != 0)
		fail_msg("dburl_check(\"%s\") refused it: %s", value, err ? err : "?");
	assert_null(err);
}

static void test_check_accepts(void **state)
{
	(void)state;
	expect_accepted("jobs.db");
	expect_accepted("./a=b.db");
	expect_accepted("a=b.db");
	expect_accepted("postgresql://cjobs@localhost:5432/cjobs?sslmode=disable");
	expect_accepted("postgres://h/db");
	expect_accepted("postgresql://");
	expect_accepted("postgresql://u:p%40ss%2F%3F%23%26%25%20@h/db");
	expect_accepted("postgresql://u:a b@h/db"); /* libpq reads the space */
	expect_accepted("postgresql://u:pa?ss@h/db");
	expect_accepted("postgresql://[::1]:5432/db");
	expect_accepted("postgresql://h1:5432,h2:5433/db");
	expect_accepted("postgresql://h/db?application_name=a@b");
	expect_accepted("host=/run/pg dbname=cjobs");
	expect_accepted("password='a b\\'c' host=x");
	expect_accepted("  dbname = cjobs  ");
}

static void test_check_refuses_urls(void **state)
{
	(void)state;
	expect_refused("postgresql://u:s3cr%zz@h/db", "s3cr", "invalid percent-encoded token: \"***\"",
		       "percent-encoded (%40 for @");
	expect_refused("postgresql://u:s3cr%00et@h/db", "s3cr", "%00", "postgresql://u:***@h/db");
	expect_refused("POSTGRESQL://u:hunter2@h/db", "hunter2", "lower case",
		       "\"POSTGRESQL://u:***@h/db\"");
	expect_refused("postgresql:h/db", NULL, "both slashes", "postgresql://USER");
	/* libpq's message ends with the whole URL: said once, hidden */
	expect_refused("postgresql://u:hunter2@[::1/db", "hunter2", "IPv6 host address in URI;",
		       "\"postgresql://u:***@[::1/db\"");
	/* an unencoded '@' or '/' would give libpq part of the password as host */
	expect_refused("postgresql://u:p@ssw0rd@h/db", "ssw0rd", "not percent-encoded",
		       "\"postgresql://u:***@h/db\"");
	expect_refused("postgresql://u:pa/ssw0rd@h/db", "ssw0rd", "not percent-encoded", NULL);
	expect_refused("postgresql://h/db?password=a&hunter2", "hunter2",
		       "separator \"=\" in URI query parameter: \"***\"", NULL);
	/* a '"' in the password does not end libpq's quoted part early */
	expect_refused("postgresql://u:pa\"ss%zz@h/db", "ss%zz", "token: \"***\";", NULL);
	/* libpq joins hosts read from the password with ',' before quoting */
	expect_refused("postgresql://u:zq,:%/:[zq@h:5432/db", "zq", "token: \"***\";", NULL);
	expect_refused("postgresql://u:&a,%zq#/zq@h:5432/db", "zq", "token: \"***\";", NULL);
	expect_refused("postgresql://h/db?dbnme=y", NULL, "invalid URI query parameter: \"dbnme\"",
		       "the keywords are libpq's");
	expect_refused("mysql://u:hunter2@h/db", "hunter2", "no store of the kind mysql://",
		       "path of an SQLite file");
}

static void test_check_refuses_keywords(void **state)
{
	(void)state;
	expect_refused("host=x dbnme=y", NULL, "invalid connection option \"dbnme\"",
		       "the keywords are libpq's");
	expect_refused("host=x password=hunter2 b", "hunter2", "missing \"=\" after \"***\"",
		       "\"host=x password=***\"");
	expect_refused("host=x password='hunter2", "hunter2", "unterminated quoted string",
		       "in single quotes");
	expect_refused("host=x password=hun ter2 =", "ter2", NULL, NULL);
}

static void test_check_names_its_source(void **state)
{
	(void)state;
	char *err = NULL;
	assert_int_equal(dburl_check("host=x dbnme=y", "$CJOBS_DATABASE", &err), -1);
	assert_err_contains(err, "invalid $CJOBS_DATABASE \"host=x dbnme=y\"");
	assert_int_equal(dburl_check("mysql://h", "[store] path", &err), -1);
	assert_err_contains(err, "invalid [store] path \"mysql://h\"");
}

static void expect_redacted(const char *value, const char *msg, const char *want)
{
	char *got = dburl_redact(value, msg);
	assert_non_null(got);
	if (strcmp(got, want) != 0)
		fail_msg("dburl_redact(\"%s\", \"%s\")\n  is   \"%s\"\n  not  \"%s\"",
			 value ? value : "NULL", msg ? msg : "NULL", got, want);
	free(got);
}

/* What libpq says at connection time about values it parsed without
 * complaint, but not as their author meant. */
static void test_redact_connection_messages(void **state)
{
	(void)state;
	expect_redacted("postgresql://u:pa/ss@h/db",
			"invalid integer value \"pa\" for connection option \"port\"",
			"invalid integer value \"***\" for connection option \"port\"");
	expect_redacted("postgresql://u:p@ss@h/db",
			"could not translate host name \"ss@h\" to address: Name or service not known",
			"could not translate host name \"***\" to address: Name or service not known");
	/* percent-decoded by libpq before it quotes it */
	expect_redacted("postgresql://u:p%41ss/x@h/db",
			"invalid integer value \"pAss\" for connection option \"port\"",
			"invalid integer value \"***\" for connection option \"port\"");
	/* unquoted by libpq before it quotes it */
	expect_redacted("host=h password='two words' port=x",
			"invalid integer value \"x\" for connection option \"port\"",
			"invalid integer value \"x\" for connection option \"port\"");
	expect_redacted("host=/run/pg user=cjobs password=hunter22",
			"connection to server on socket \"/run/pg/.s.PGSQL.5432\" failed: FATAL:  "
			"password authentication failed for user \"cjobs\"",
			"connection to server on socket \"/run/pg/.s.PGSQL.5432\" failed: FATAL:  "
			"password authentication failed for user \"cjobs\"");
	/* the whole value, and a password quoted some other way */
	expect_redacted("postgresql://u:hunter2@h/db", "cannot use postgresql://u:hunter2@h/db here",
			"cannot use postgresql://u:***@h/db here");
	expect_redacted("password=longsecret host=h", "odd 'longsecret' quoting",
			"odd '***' quoting");
	expect_redacted("password=p%41ss host=h", "as read: p%41ss", "as read: ***");
	/* nothing to hide in a file's name, nor without a message */
	expect_redacted("./password=x.db", "cannot open \"./password=x.db\"",
			"cannot open \"./password=x.db\"");
	expect_redacted("postgresql://h/db", NULL, "");
	expect_redacted(NULL, "plain", "plain");
	expect_redacted("", "no name given", "no name given");
	/* another scheme is read as a URL (percent-decoded) */
	expect_redacted("mysql://x:hunter2@h/db", "user \"x\" password \"hunter2\"",
			"user \"x\" password \"***\"");
	/* a keyword string ending in a backslash, and in an empty password */
	expect_redacted("host=h password=hunter2\\", "read \"hunter2\\\"", "read \"***\"");
	expect_redacted("host=h password=", "host \"h\" refused", "host \"h\" refused");
	/* a quoted part as long as the value, but not it */
	expect_redacted("host=ab", "got \"abcdefg\"", "got \"abcdefg\"");
}

/* A fixed pseudo-random sequence (xorshift), the same on every machine. */
static uint32_t rnd(uint32_t *x)
{
	*x ^= *x << 13;
	*x ^= *x >> 17;
	*x ^= *x << 5;
	return *x;
}

/* Whether S shows any of the marker "\xc3\xa9" every random password
 * holds, as written or percent-encoded (no advice text has "%C3"). */
static bool shows_marker(const char *s)
{
	return s && (strstr(s, "\xc3\xa9") || strcasestr(s, "%C3"));
}

/* Writes PW into a value of the given FORM (0-4). */
static void value_of_form(int form, const char *pw, char *v, size_t size)
{
	char q[256];
	size_t k = 0;
	switch (form) {
	case 0:
		snprintf(v, size, "postgresql://u:%s@h:5432/db?sslmode=disable", pw);
		break;
	case 1:
		snprintf(v, size, "postgresql://h/db?password=%s&sslmode=disable", pw);
		break;
	case 2:
		snprintf(v, size, "host=h password=%s dbname=d", pw);
		break;
	case 3: /* quoted as libpq wants: always accepted */
		for (const char *p = pw; *p; p++) {
			if (*p == '\'' || *p == '\\')
				q[k++] = '\\';
			q[k++] = *p;
		}
		q[k] = '\0';
		snprintf(v, size, "host=h password='%s' dbname=d", q);
		break;
	default: /* percent-encoded as libpq wants: always accepted */
		for (const unsigned char *p = (const unsigned char *)pw; *p; p++)
			k += (size_t)snprintf(q + k, sizeof(q) - k, "%%%02X", *p);
		snprintf(v, size, "postgresql://u:%s@h/db", q);
		break;
	}
}

/* Passwords of every character that means something to libpq, raw, in
 * each form: never shown by dburl_display, dburl_check or dburl_redact
 * (also of a message quoting the password itself, as a misread host
 * would be), and, written the way libpq wants, never refused. */
static void test_random_passwords_never_shown(void **state)
{
	(void)state;
	static const char *const odd[] = {"@", ":", "/", "?", "&", "=", " ", "'", "\\", "%",
					  "#", "\"", "[", "]", ",", "\xc3\xa9", "a"};
	const size_t nodd = sizeof(odd) / sizeof(*odd);
	uint32_t x = 2463534242u;
	for (int it = 0; it < 20000; it++) {
		char pw[64] = "", v[320], msg[512];
		size_t len = 1 + rnd(&x) % 8;
		for (size_t i = 0; i < len; i++)
			strcat(pw, odd[rnd(&x) % nodd]);
		strcat(pw, "\xc3\xa9");
		int form = (int)(rnd(&x) % 5);
		value_of_form(form, pw, v, sizeof(v));
		snprintf(msg, sizeof(msg), "could not translate host name \"%s\"; given \"%s\"", pw, v);
		char *err = NULL, *shown = dburl_display(v), *r = dburl_redact(v, msg);
		int rc = dburl_check(v, NULL, &err);
		if (shows_marker(shown) || shows_marker(err) || shows_marker(r))
			fail_msg("password shown for \"%s\":\n  %s\n  %s\n  %s", v, shown, err, r);
		if (form >= 3 && rc != 0)
			fail_msg("well-formed \"%s\" refused: %s", v, err);
		free(err);
		free(shown);
		free(r);
	}
}

/* What to do about a failure to reach the server, from libpq's words. */
static void test_hints(void **state)
{
	(void)state;
	static const struct {
		const char *msg, *hint_has;
	} cases[] = {
		{"connection to server on socket \"/s/.s.PGSQL.5432\" failed: FATAL:  password "
		 "authentication failed for user \"u\"", "check the password"},
		{"connection to server on socket \"/s/.s.PGSQL.5432\" failed: FATAL:  database "
		 "\"x\" does not exist", "createdb"},
		{"connection to server on socket \"/s/.s.PGSQL.5432\" failed: FATAL:  role \"x\" "
		 "does not exist", "user="},
		{"connection to server on socket \"/s/.s.PGSQL.5432\" failed: No such file or "
		 "directory", "no server listens there"},
		{"connection to server at \"h\" (127.0.0.1), port 1 failed: Connection refused",
		 "no server listens there"},
		{"connection to server on socket \"/s/.s.PGSQL.5432\" failed: timeout expired",
		 "connect_timeout="},
		{"could not translate host name \"nosuch\" to address", "host name"},
		{"invalid integer value \"port\" for connection option \"port\"", "whole number"},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const char *h = dburl_hint(cases[i].msg);
		if (!h || !strstr(h, cases[i].hint_has))
			fail_msg("dburl_hint(\"%s\") is \"%s\", wanted one with \"%s\"",
				 cases[i].msg, h ? h : "(none)", cases[i].hint_has);
	}
	assert_null(dburl_hint("its schema version 9 is newer than this cjobs knows (1)"));
	assert_null(dburl_hint(NULL));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_kind_sqlite_paths),
		cmocka_unit_test(test_kind_postgres),
		cmocka_unit_test(test_kind_unknown_schemes),
		cmocka_unit_test(test_display_url_userinfo),
		cmocka_unit_test(test_display_url_query),
		cmocka_unit_test(test_display_keywords),
		cmocka_unit_test(test_check_accepts),
		cmocka_unit_test(test_check_refuses_urls),
		cmocka_unit_test(test_check_refuses_keywords),
		cmocka_unit_test(test_check_names_its_source),
		cmocka_unit_test(test_redact_connection_messages),
		cmocka_unit_test(test_random_passwords_never_shown),
		cmocka_unit_test(test_hints),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
