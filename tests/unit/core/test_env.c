/*
 * tests/unit/core/test_env.c: KEY=VALUE environment entries (core/env.c).
 * env_check_entry (valid and invalid keys, size limits, messages that never
 * hold the value), envlist_set/merge/steal (replacement in place, the
 * entry-count limit), env_read_file on real files in a mkdtemp directory
 * (comments, blank lines, CRLF, export, single and double quotes and their
 * escapes, errors naming FILE:LINE, NUL bytes, the 1 MiB limit, a missing
 * file, standard input) and env_key_is_secret.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/env.h"
#include "core/job.h"

/* Appears in values only: no error message may contain it. */
#define SECRET "hunter2-S3CR3T-VALUE"

/* Asserts that rc is -1 and err holds every given fragment and not SECRET;
 * frees err. */
static void expect_error(int rc, char **err, const char *const *frags)
{
	assert_int_equal(rc, -1);
	assert_non_null(*err);
	for (; *frags; frags++)
		if (!strstr(*err, *frags))
			fail_msg("error '%s' lacks '%s'", *err, *frags);
	if (strstr(*err, "S3CR3T"))
		fail_msg("error '%s' shows the value", *err);
	free(*err);
	*err = NULL;
}
#define EXPECT_ERROR(rc, err, ...) \
	expect_error((rc), (err), (const char *const[]){__VA_ARGS__, NULL})

/* ---- env_check_entry ---- */

static void test_check_valid(void **state)
{
	(void)state;
	static const char *const good[] = {
		"A=", "_X=1", "A=b=c", "a=lower", "_=x", "__=", "A1_b2=3",
		"K=value with spaces", "K=line1\nline2", "K=tab\there", "K=\xc3\xa9t\xc3\xa9 \xe2\x82\xac",
		"K= leading space", "K=trailing space ", "K=\"quoted\"", "K='single'", "K=$HOME",
		"K=\x01\x7f", "PATH=/usr/bin:/bin", "K==",
	};
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		char *err = NULL;
		if (env_check_entry(good[i], &err) != 0)
			fail_msg("'%s' refused: %s", good[i], err);
		assert_null(err);
	}
}

static void test_check_invalid(void **state)
{
	(void)state;
	char *err = NULL;
	EXPECT_ERROR(env_check_entry("NOEQUALS", &err), &err, "no '='", "NOEQUALS", "KEY=VALUE");
	EXPECT_ERROR(env_check_entry("", &err), &err, "no '='");
	EXPECT_ERROR(env_check_entry("=" SECRET, &err), &err, "empty key");
	EXPECT_ERROR(env_check_entry("1A=" SECRET, &err), &err, "'1A'", "must start with a letter or '_'");
	EXPECT_ERROR(env_check_entry("9=" SECRET, &err), &err, "must start");
	EXPECT_ERROR(env_check_entry("A-B=" SECRET, &err), &err, "'-'", "position 2");
	EXPECT_ERROR(env_check_entry("AB.C=" SECRET, &err), &err, "'.'", "position 3");
	EXPECT_ERROR(env_check_entry("A B=" SECRET, &err), &err, "' '", "position 2");
	EXPECT_ERROR(env_check_entry(" A=" SECRET, &err), &err, "must start");
	EXPECT_ERROR(env_check_entry("A =" SECRET, &err), &err, "' '", "position 2");
	EXPECT_ERROR(env_check_entry("-A=" SECRET, &err), &err, "must start");
	EXPECT_ERROR(env_check_entry("K\xc3\xa9Y=" SECRET, &err), &err, "byte 0xc3", "position 2");
	EXPECT_ERROR(env_check_entry("\xc3\xa9=" SECRET, &err), &err, "must start");
	EXPECT_ERROR(env_check_entry("A\tB=" SECRET, &err), &err, "byte 0x09");
	EXPECT_ERROR(env_check_entry("A\nB=" SECRET, &err), &err, "byte 0x0a");
	EXPECT_ERROR(env_check_entry("A$=" SECRET, &err), &err, "'$'");
	/* A long entry without '=' is shown shortened. */
	char longname[100];
	memset(longname, 'K', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = '\0';
	assert_int_equal(env_check_entry(longname, &err), -1);
	assert_non_null(strstr(err, "..."));
	assert_null(strstr(err, longname));
	free(err);
	err = NULL;
	/* A NULL err is allowed. */
	assert_int_equal(env_check_entry("1=x", NULL), -1);
}

static void test_check_key_length(void **state)
{
	(void)state;
	char entry[300 + sizeof(SECRET)];
	char *err = NULL;
	memset(entry, 'K', 256);
	strcpy(entry + 256, "=" SECRET);
	assert_int_equal(env_check_entry(entry, &err), 0);
	assert_null(err);
	memset(entry, 'K', 257);
	strcpy(entry + 257, "=" SECRET);
	EXPECT_ERROR(env_check_entry(entry, &err), &err, "257 characters", "limit is 256");
}

static void test_check_entry_length(void **state)
{
	(void)state;
	size_t max = JOB_ENV_ENTRY_MAX;
	char *entry = malloc(max + 2);
	assert_non_null(entry);
	/* K= plus a value made of repeated SECRET text, exactly max bytes. */
	entry[0] = 'K';
	entry[1] = '=';
	for (size_t i = 2; i < max; i++)
		entry[i] = SECRET[(i - 2) % (sizeof(SECRET) - 1)];
	entry[max] = '\0';
	char *err = NULL;
	assert_int_equal(env_check_entry(entry, &err), 0);
	assert_null(err);
	entry[max] = 'x';
	entry[max + 1] = '\0';
	EXPECT_ERROR(env_check_entry(entry, &err), &err, "65537 bytes", "limit is 65536", "K");
	free(entry);
}

/* ---- envlist ---- */

static void test_envlist_set_and_replace(void **state)
{
	(void)state;
	envlist_t l = {0};
	char *err = NULL;
	assert_int_equal(envlist_set(&l, "A=1", &err), 0);
	assert_int_equal(envlist_set(&l, "AB=2", &err), 0);
	assert_int_equal(envlist_set(&l, "B=3", &err), 0);
	assert_int_equal(envlist_set(&l, "A=one", &err), 0);  /* replaces, same place */
	assert_int_equal(envlist_set(&l, "B=", &err), 0);     /* replaces with empty */
	assert_int_equal(envlist_set(&l, "C=x=y", &err), 0);
	assert_null(err);
	assert_int_equal(l.n, 4);
	assert_string_equal(l.v[0], "A=one");
	assert_string_equal(l.v[1], "AB=2");
	assert_string_equal(l.v[2], "B=");
	assert_string_equal(l.v[3], "C=x=y");
	assert_null(l.v[4]);

	/* A refused entry leaves the list as it was. */
	EXPECT_ERROR(envlist_set(&l, "1X=" SECRET, &err), &err, "must start");
	assert_int_equal(l.n, 4);

	char *in[] = {"C=new", "D=4", "A=again"};
	assert_int_equal(envlist_merge(&l, in, 3, &err), 0);
	assert_int_equal(l.n, 5);
	assert_string_equal(l.v[0], "A=again");
	assert_string_equal(l.v[3], "C=new");
	assert_string_equal(l.v[4], "D=4");

	char *bad[] = {"E=5", "bad key=" SECRET, "F=6"};
	EXPECT_ERROR(envlist_merge(&l, bad, 3, &err), &err, "' '");
	assert_int_equal(l.n, 6); /* E was added before the bad one; F was not */
	assert_string_equal(l.v[5], "E=5");

	size_t n = 0;
	char **v = envlist_steal(&l, &n);
	assert_int_equal(n, 6);
	assert_null(v[6]);
	assert_null(l.v);
	assert_int_equal(l.n, 0);
	strv_free(v);
	envlist_free(&l);
}

/* A key replaces only the same key, not one it is a prefix of, nor one that
 * is a prefix of it, whichever came first. */
static void test_envlist_replace_exact_key(void **state)
{
	(void)state;
	envlist_t l = {0};
	char *err = NULL;
	assert_int_equal(envlist_set(&l, "AB=long", &err), 0);
	assert_int_equal(envlist_set(&l, "A=short", &err), 0);
	assert_int_equal(envlist_set(&l, "ABC=longer", &err), 0);
	assert_int_equal(envlist_set(&l, "AB=again", &err), 0);
	assert_null(err);
	assert_int_equal(l.n, 3);
	assert_string_equal(l.v[0], "AB=again");
	assert_string_equal(l.v[1], "A=short");
	assert_string_equal(l.v[2], "ABC=longer");
	envlist_free(&l);
}

static void test_envlist_steal_empty(void **state)
{
	(void)state;
	envlist_t l = {0};
	size_t n = 99;
	char **v = envlist_steal(&l, &n);
	assert_non_null(v);
	assert_null(v[0]);
	assert_int_equal(n, 0);
	strv_free(v);
	envlist_free(&l);
}

static void test_envlist_limit(void **state)
{
	(void)state;
	envlist_t l = {0};
	char *err = NULL;
	char entry[32];
	for (int i = 0; i < JOB_ENV_MAX; i++) {
		snprintf(entry, sizeof(entry), "K%d=%d", i, i);
		assert_int_equal(envlist_set(&l, entry, &err), 0);
	}
	assert_int_equal(l.n, JOB_ENV_MAX);
	EXPECT_ERROR(envlist_set(&l, "ONE_MORE=1", &err), &err, "too many", "4096");
	assert_int_equal(l.n, JOB_ENV_MAX);
	/* Replacing an existing key is still allowed at the limit. */
	assert_int_equal(envlist_set(&l, "K7=seven", &err), 0);
	assert_string_equal(l.v[7], "K7=seven");
	assert_int_equal(l.n, JOB_ENV_MAX);
	envlist_free(&l);
}

/* ---- env_read_file ---- */

typedef struct {
	char dir[64];
	char path[128];
} fixture_t;

static int setup_dir(void **state)
{
	fixture_t *fx = calloc(1, sizeof(*fx));
	if (!fx)
		return -1;
	strcpy(fx->dir, "/tmp/cjobs-test-env-XXXXXX");
	if (!mkdtemp(fx->dir)) {
		free(fx);
		return -1;
	}
	*state = fx;
	return 0;
}

static int rm_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static int teardown_dir(void **state)
{
	fixture_t *fx = *state;
	int rc = nftw(fx->dir, rm_entry, 8, FTW_DEPTH | FTW_PHYS);
	free(fx);
	return rc;
}

/* Writes a file of len bytes into the fixture's directory; returns its path
 * (valid until the next call). */
static const char *write_file(fixture_t *fx, const char *name, const char *data, size_t len)
{
	snprintf(fx->path, sizeof(fx->path), "%s/%s", fx->dir, name);
	FILE *f = fopen(fx->path, "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(data, 1, len, f), len);
	assert_int_equal(fclose(f), 0);
	return fx->path;
}
#define WRITE(fx, name, lit) write_file((fx), (name), (lit), sizeof(lit) - 1)

/* Reads text as an env file into a fresh list; asserts success. */
static envlist_t read_ok(fixture_t *fx, const char *text)
{
	const char *path = write_file(fx, "ok.env", text, strlen(text));
	envlist_t l = {0};
	char *err = NULL;
	if (env_read_file(path, &l, &err) != 0)
		fail_msg("env_read_file failed: %s", err);
	assert_null(err);
	return l;
}

static void test_file_basic(void **state)
{
	fixture_t *fx = *state;
	envlist_t l = read_ok(fx,
			      "# a comment\n"
			      "\n"
			      "A=1\n"
			      "   \n"
			      "\t# indented comment\n"
			      "  B=two words\n"
			      "export C=3\n"
			      "D=has # not a comment\n"
			      "E=x=y\n"
			      "F=\n"
			      "export=kept\n"
			      "A=replaced\n"
			      "G=no final newline");
	assert_int_equal(l.n, 8);
	assert_string_equal(l.v[0], "A=replaced");
	assert_string_equal(l.v[1], "B=two words");
	assert_string_equal(l.v[2], "C=3");
	assert_string_equal(l.v[3], "D=has # not a comment");
	assert_string_equal(l.v[4], "E=x=y");
	assert_string_equal(l.v[5], "F=");
	assert_string_equal(l.v[6], "export=kept");
	assert_string_equal(l.v[7], "G=no final newline");
	assert_null(l.v[8]);
	envlist_free(&l);
}

static void test_file_empty_and_comments_only(void **state)
{
	fixture_t *fx = *state;
	envlist_t l = read_ok(fx, "");
	assert_int_equal(l.n, 0);
	envlist_free(&l);
	l = read_ok(fx, "# only\n\n#comments\r\n");
	assert_int_equal(l.n, 0);
	envlist_free(&l);
}

static void test_file_crlf(void **state)
{
	fixture_t *fx = *state;
	envlist_t l = read_ok(fx, "A=1\r\nB=\"q\"\r\n\r\n# c\r\nC='s'\r\nD=last\r");
	assert_int_equal(l.n, 4);
	assert_string_equal(l.v[0], "A=1");
	assert_string_equal(l.v[1], "B=q");
	assert_string_equal(l.v[2], "C=s");
	assert_string_equal(l.v[3], "D=last");
	envlist_free(&l);
}

static void test_file_single_quotes(void **state)
{
	fixture_t *fx = *state;
	envlist_t l = read_ok(fx,
			      "A='literal \\n \\t \\\\ $HOME \"x\"'\n"
			      "B=''\n"
			      "C='it''s'\n"
			      "export D='  padded  '\n");
	assert_int_equal(l.n, 4);
	assert_string_equal(l.v[0], "A=literal \\n \\t \\\\ $HOME \"x\"");
	assert_string_equal(l.v[1], "B=");
	assert_string_equal(l.v[2], "C=it''s");
	assert_string_equal(l.v[3], "D=  padded  ");
	envlist_free(&l);
}

static void test_file_double_quotes(void **state)
{
	fixture_t *fx = *state;
	envlist_t l = read_ok(fx,
			      "A=\"line1\\nline2\"\n"
			      "B=\"tab\\there\"\n"
			      "C=\"back\\\\slash\"\n"
			      "D=\"say \\\"hi\\\"\"\n"
			      "E=\"cost \\$5\"\n"
			      "F=\"\"\n"
			      "G=\"it's\"\n"
			      "H=\"\\\\\"\n"
			      "I=\"caf\xc3\xa9\"\n");
	assert_int_equal(l.n, 9);
	assert_string_equal(l.v[0], "A=line1\nline2");
	assert_string_equal(l.v[1], "B=tab\there");
	assert_string_equal(l.v[2], "C=back\\slash");
	assert_string_equal(l.v[3], "D=say \"hi\"");
	assert_string_equal(l.v[4], "E=cost $5");
	assert_string_equal(l.v[5], "F=");
	assert_string_equal(l.v[6], "G=it's");
	assert_string_equal(l.v[7], "H=\\");
	assert_string_equal(l.v[8], "I=caf\xc3\xa9");
	envlist_free(&l);
}

/* Reads text expecting failure; asserts the message holds the file's path
 * followed by where (e.g. ":3:") and the other fragments. */
static void read_fails(fixture_t *fx, const char *text, size_t len, const char *where,
		       const char *frag)
{
	const char *path = write_file(fx, "bad.env", text, len);
	char want[256];
	snprintf(want, sizeof(want), "%s%s", path, where);
	envlist_t l = {0};
	char *err = NULL;
	EXPECT_ERROR(env_read_file(path, &l, &err), &err, want, frag);
	envlist_free(&l);
}
#define READ_FAILS(fx, lit, where, frag) read_fails((fx), (lit), sizeof(lit) - 1, (where), (frag))

static void test_file_errors(void **state)
{
	fixture_t *fx = *state;
	READ_FAILS(fx, "A=1\nB=\"" SECRET "\\q\"\n", ":2:", "unknown escape '\\q'");
	READ_FAILS(fx, "A=\"" SECRET "\\\"\n", ":1:", "escape");
	READ_FAILS(fx, "A=1\n\nC=\"" SECRET "\n", ":3:", "no closing \"");
	READ_FAILS(fx, "A='" SECRET "\n", ":1:", "no closing '");
	READ_FAILS(fx, "A='" SECRET "\"\n", ":1:", "no closing '");
	READ_FAILS(fx, "A=\"\n", ":1:", "no closing");
	READ_FAILS(fx, "A=\"" SECRET "\" \n", ":1:", "no closing");
	READ_FAILS(fx, "A=1\n# c\nbad-key=" SECRET "\n", ":3:", "'-'");
	READ_FAILS(fx, "A=1\r\nB=2\r\n3C=" SECRET "\r\n", ":3:", "must start");
	READ_FAILS(fx, "A=1\nJUSTAKEY\n", ":2:", "no '='");
	READ_FAILS(fx, "K = " SECRET "\n", ":1:", "' '");
	READ_FAILS(fx, "export  K=" SECRET "\n", ":1:", "must start");
	READ_FAILS(fx, "=" SECRET "\n", ":1:", "empty key");
}

static void test_file_keeps_earlier_entries_on_error(void **state)
{
	fixture_t *fx = *state;
	const char *path = WRITE(fx, "partial.env", "A=1\nB=2\n1C=3\nD=4\n");
	envlist_t l = {0};
	char *err = NULL;
	assert_int_equal(env_read_file(path, &l, &err), -1);
	assert_non_null(strstr(err, ":3:"));
	free(err);
	/* Lines before the bad one were added; nothing after it. */
	assert_int_equal(l.n, 2);
	envlist_free(&l);
}

static void test_file_nul(void **state)
{
	fixture_t *fx = *state;
	const char *path = WRITE(fx, "nul.env", "A=1\nB=" SECRET "\0rest\n");
	envlist_t l = {0};
	char *err = NULL;
	EXPECT_ERROR(env_read_file(path, &l, &err), &err, path, "NUL byte");
	assert_int_equal(l.n, 0);
	envlist_free(&l);
}

static void test_file_size_limit(void **state)
{
	fixture_t *fx = *state;
	size_t max = 1024 * 1024;
	char *text = malloc(max + 1);
	assert_non_null(text);
	/* Exactly 1 MiB: comment lines, then one entry at the very end. */
	memset(text, '#', max);
	for (size_t i = 63; i < max; i += 64)
		text[i] = '\n';
	memcpy(text + max - 6, "\nA=ok\n", 6);
	const char *path = write_file(fx, "big.env", text, max);
	envlist_t l = {0};
	char *err = NULL;
	if (env_read_file(path, &l, &err) != 0)
		fail_msg("1 MiB file refused: %s", err);
	assert_int_equal(l.n, 1);
	assert_string_equal(l.v[0], "A=ok");
	envlist_free(&l);

	/* One byte more is refused. */
	text[max] = '\n';
	path = write_file(fx, "big.env", text, max + 1);
	EXPECT_ERROR(env_read_file(path, &l, &err), &err, path, "larger than 1 MiB");
	assert_int_equal(l.n, 0);
	envlist_free(&l);

	/* Much more too. */
	FILE *f = fopen(path, "ab");
	assert_non_null(f);
	for (int i = 0; i < 3; i++)
		assert_int_equal(fwrite(text, 1, max, f), max);
	fclose(f);
	EXPECT_ERROR(env_read_file(path, &l, &err), &err, "larger than 1 MiB");
	envlist_free(&l);
	free(text);
}

static void test_file_missing(void **state)
{
	fixture_t *fx = *state;
	char path[160];
	snprintf(path, sizeof(path), "%s/does-not-exist.env", fx->dir);
	envlist_t l = {0};
	char *err = NULL;
	EXPECT_ERROR(env_read_file(path, &l, &err), &err, "cannot read env file", path,
		     "No such file or directory");
	/* A directory is not an env file either. */
	EXPECT_ERROR(env_read_file(fx->dir, &l, &err), &err, "is a directory", fx->dir);
	assert_int_equal(l.n, 0);
	envlist_free(&l);
}

static void test_file_stdin(void **state)
{
	fixture_t *fx = *state;
	const char *path = WRITE(fx, "stdin.env", "# from stdin\nA=1\nexport B=\"x\\ty\"\n");
	int saved = dup(STDIN_FILENO);
	assert_true(saved >= 0);
	int fd = open(path, O_RDONLY);
	assert_true(fd >= 0);
	assert_int_equal(dup2(fd, STDIN_FILENO), STDIN_FILENO);
	close(fd);
	clearerr(stdin);

	envlist_t l = {0};
	char *err = NULL;
	int rc = env_read_file("-", &l, &err);

	assert_int_equal(dup2(saved, STDIN_FILENO), STDIN_FILENO);
	close(saved);
	clearerr(stdin);

	if (rc != 0)
		fail_msg("reading stdin failed: %s", err);
	assert_int_equal(l.n, 2);
	assert_string_equal(l.v[0], "A=1");
	assert_string_equal(l.v[1], "B=x\ty");
	envlist_free(&l);
}

/* ---- env_key_is_secret ---- */

static void test_key_is_secret(void **state)
{
	(void)state;
	static const char *const secret[] = {
		"PASSWORD", "db_password", "DB_Password=x", "MYSQL_ROOT_PASSWORD=", "PASSWD",
		"API_KEY", "STRIPE_API_KEY=sk", "apikey", "GITHUB_TOKEN", "token",
		"AUTH_HEADER", "OAUTH_CLIENT", "AWS_SECRET_ACCESS_KEY", "AWS_ACCESS_KEY_ID",
		"CLIENT_SECRET", "GOOGLE_APPLICATION_CREDENTIALS", "SSH_PRIVATE_KEY",
		"AUTHOR", /* contains AUTH: masked too, which errs on the safe side */
		"DB_PASS", "PGPASSFILE", "MYSQL_PWD", "ENCRYPTION_KEY", "signing_key",
		"PASS_THROUGH_X", /* contains PASS: masked, on the safe side */
	};
	static const char *const plain[] = {
		"PATH", "HOME", "KEYBOARD_LAYOUT", "LANG", "USER", "KEY", "PATH=/my_password/token",
		"HOME=SECRET", "API", "TOKE", "PWD", "OLDPWD_X", "", "=PASSWORD",
	};
	for (size_t i = 0; i < sizeof(secret) / sizeof(secret[0]); i++)
		if (!env_key_is_secret(secret[i]))
			fail_msg("'%s' should be secret", secret[i]);
	for (size_t i = 0; i < sizeof(plain) / sizeof(plain[0]); i++)
		if (env_key_is_secret(plain[i]))
			fail_msg("'%s' should not be secret", plain[i]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_check_valid),
		cmocka_unit_test(test_check_invalid),
		cmocka_unit_test(test_check_key_length),
		cmocka_unit_test(test_check_entry_length),
		cmocka_unit_test(test_envlist_set_and_replace),
		cmocka_unit_test(test_envlist_replace_exact_key),
		cmocka_unit_test(test_envlist_steal_empty),
		cmocka_unit_test(test_envlist_limit),
		cmocka_unit_test_setup_teardown(test_file_basic, setup_dir, teardown_dir),
		cmocka_unit_test_setup_teardown(test_file_empty_and_comments_only, setup_dir, teardown_dir),
		cmocka_unit_test_setup_teardown(test_file_crlf, setup_dir, teardown_dir),
		cmocka_unit_test_setup_teardown(test_file_single_quotes, setup_dir, teardown_dir),
		cmocka_unit_test_setup_teardown(test_file_double_quotes, setup_dir, teardown_dir),
		cmocka_unit_test_setup_teardown(test_file_errors, setup_dir, teardown_dir),
		cmocka_unit_test_setup_teardown(test_file_keeps_earlier_entries_on_error, setup_dir, teardown_dir),
		cmocka_unit_test_setup_teardown(test_file_nul, setup_dir, teardown_dir),
		cmocka_unit_test_setup_teardown(test_file_size_limit, setup_dir, teardown_dir),
		cmocka_unit_test_setup_teardown(test_file_missing, setup_dir, teardown_dir),
		cmocka_unit_test_setup_teardown(test_file_stdin, setup_dir, teardown_dir),
		cmocka_unit_test(test_key_is_secret),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
