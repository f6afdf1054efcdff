/*
 * tests/unit/core/test_tz.c: time zones (util/tz.c, util/tz_rule.c). The
 * offsets of real zones of the system's tz database agree with glibc's
 * localtime_r at many instants from 1970 to 2100 and at every transition;
 * hand-made TZif files (versions 1, 2 and 3, "slim" files that are only a
 * footer rule, with the rule forms of version 3) agree with glibc reading
 * the same files; and every refusal of tz_load says what to write instead.
 *
 * glibc is asked with setenv("TZ") and tzset(), which is fine here: the
 * test is single-threaded, and tz.c itself never does it.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <fcntl.h>
#include <ftw.h>
#include <unistd.h>

#include <cmocka.h>

#include "util/civil.h"
#include "util/tz.h"

static int32_t glibc_offset(int64_t t)
{
	time_t tt = (time_t)t;
	struct tm tm;
	assert_non_null(localtime_r(&tt, &tm));
	return (int32_t)tm.tm_gmtoff;
}

static void glibc_zone(const char *tzvalue)
{
	assert_int_equal(setenv("TZ", tzvalue, 1), 0);
	tzset();
}

static tz_t *load_ok(const char *name)
{
	tz_t *tz = NULL;
	char *err = NULL;
	if (tz_load(name, &tz, &err) != 0)
		fail_msg("tz_load(%s): %s", name ? name : "NULL", err ? err : "(no message)");
	assert_null(err);
	return tz;
}

#define T1970 0LL
#define T2100 4133980800LL /* 2101-01-01 */

/* Compares tz with glibc's current zone at a sample of instants from
 * 1970 to 2100, and at every transition tz_next_transition finds (and the
 * second before it); and checks that no change of glibc's offset between
 * two samples is missed by tz_next_transition. */
static void compare_with_glibc(const tz_t *tz, const char *what)
{
	int64_t prev = T1970;
	int32_t prev_off = glibc_offset(prev);
	/* An odd step, so that samples fall at every time of day. */
	for (int64_t t = T1970; t < T2100; t += 6 * 3600 + 1237) {
		int32_t g = glibc_offset(t);
		if (tz_offset_at(tz, t) != g)
			fail_msg("%s at %lld: %d, glibc %d", what, (long long)t, tz_offset_at(tz, t), g);
		if (g != prev_off && tz_next_transition(tz, prev) > t)
			fail_msg("%s: the change between %lld and %lld is not found", what, (long long)prev,
				 (long long)t);
		prev = t;
		prev_off = g;
	}
	int n = 0;
	for (int64_t tr = tz_next_transition(tz, T1970); tr < T2100; tr = tz_next_transition(tz, tr), n++) {
		if (tz_offset_at(tz, tr) != glibc_offset(tr) || tz_offset_at(tz, tr - 1) != glibc_offset(tr - 1))
			fail_msg("%s at transition %lld: %d/%d, glibc %d/%d", what, (long long)tr,
				 tz_offset_at(tz, tr - 1), tz_offset_at(tz, tr), glibc_offset(tr - 1),
				 glibc_offset(tr));
		assert_int_not_equal(tz_offset_at(tz, tr), tz_offset_at(tz, tr - 1));
	}
	(void)n;
}

static void test_real_zones_agree_with_glibc(void **state)
{
	(void)state;
	static const char *zones[] = {
		"Europe/Berlin", "America/New_York", "Australia/Lord_Howe", "Pacific/Apia",
		"Asia/Kolkata",
		/* Negative DST and rules with odd times: Dublin's winter is
		 * its "daylight" time, Santiago switches at 24:00, Nuuk at
		 * -1:00, Gaza at 50:00; Chatham is 12:45 east, St_Johns
		 * 3:30 west; Troll jumps by two hours. */
		"Europe/Dublin", "America/Santiago", "America/Nuuk", "Asia/Gaza", "Pacific/Chatham",
		"America/St_Johns", "Antarctica/Troll", "Africa/Casablanca", "Asia/Tehran",
		"Australia/Sydney", "Etc/GMT+5",
	};
	unsetenv("TZDIR");
	for (size_t i = 0; i < sizeof(zones) / sizeof(zones[0]); i++) {
		tz_t *tz = load_ok(zones[i]);
		assert_string_equal(tz_name(tz), zones[i]);
		glibc_zone(zones[i]);
		compare_with_glibc(tz, zones[i]);
		tz_free(tz);
	}
}

static void test_known_offsets(void **state)
{
	(void)state;
	unsetenv("TZDIR");
	tz_t *b = load_ok("Europe/Berlin");
	/* 2026-03-29 01:00 UTC: CET ends; 2026-10-25 01:00 UTC: CEST ends. */
	assert_int_equal(tz_offset_at(b, 1774746000 - 1), 3600);
	assert_int_equal(tz_offset_at(b, 1774746000), 7200);
	assert_int_equal(tz_next_transition(b, 1774746000 - 100), 1774746000);
	assert_int_equal(tz_offset_at(b, 1792890000 - 1), 7200);
	assert_int_equal(tz_offset_at(b, 1792890000), 3600);
	/* 2090, far past the file's explicit transitions: the footer rule
	 * (2090-03-26 01:00 UTC). */
	assert_int_equal(tz_next_transition(b, 3794173200 - 86400), 3794173200);
	tz_free(b);
	tz_t *lh = load_ok("Australia/Lord_Howe");
	/* 2026-10-04 02:00 local +10:30 becomes 02:30 +11. */
	assert_int_equal(tz_offset_at(lh, 1791041400 - 1), 37800);
	assert_int_equal(tz_offset_at(lh, 1791041400), 39600);
	tz_free(lh);
	tz_t *apia = load_ok("Pacific/Apia");
	/* 2011-12-30 10:00 UTC: from -10 to +14, a whole day skipped. */
	assert_int_equal(tz_offset_at(apia, 1325239200 - 1), -36000);
	assert_int_equal(tz_offset_at(apia, 1325239200), 50400);
	tz_free(apia);
	tz_t *k = load_ok("Asia/Kolkata");
	assert_int_equal(tz_offset_at(k, 1800000000), 19800);
	assert_int_equal(tz_next_transition(k, 1800000000), INT64_MAX);
	tz_free(k);
}

static void test_utc(void **state)
{
	(void)state;
	tz_t *u = load_ok(NULL);
	assert_string_equal(tz_name(u), "UTC");
	assert_int_equal(tz_offset_at(u, 1800000000), 0);
	assert_int_equal(tz_next_transition(u, 0), INT64_MAX);
	tz_free(u);
	/* "UTC" needs no file: it loads with no tz database at all. */
	setenv("TZDIR", "/nonexistent-cjobs-tzdir", 1);
	u = load_ok("UTC");
	assert_string_equal(tz_name(u), "UTC");
	tz_free(u);
	unsetenv("TZDIR");
	assert_string_equal(tz_name(NULL), "UTC");
	assert_int_equal(tz_offset_at(NULL, 12345), 0);
}

/* Hand-made TZif files. */

typedef struct {
	char dir[64];
	char path[160];
} fixture_t;

static int setup_dir(void **state)
{
	fixture_t *fx = calloc(1, sizeof(*fx));
	if (!fx)
		return -1;
	strcpy(fx->dir, "/tmp/cjobs-test-tz-XXXXXX");
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
	unsetenv("TZDIR");
	return rc;
}

typedef struct {
	char version; /* 0, '2', '3' */
	int ntrans;
	const int64_t *trans;
	const uint8_t *idx;
	int ntypes;
	const int32_t *offs;
	const uint8_t *isdst;
	int leap;           /* leap second records to add */
	const char *footer; /* NULL: none (version 1) */
} tzif_t;

static void put32(FILE *f, uint32_t v)
{
	unsigned char b[4] = {(unsigned char)(v >> 24), (unsigned char)(v >> 16), (unsigned char)(v >> 8),
			      (unsigned char)v};
	assert_int_equal(fwrite(b, 1, 4, f), 4);
}

static void put_block(FILE *f, const tzif_t *z, int tsize)
{
	assert_int_equal(fwrite("TZif", 1, 4, f), 4);
	fputc(z->version, f);
	for (int i = 0; i < 15; i++)
		fputc(0, f);
	put32(f, 0); /* isutcnt */
	put32(f, 0); /* isstdcnt */
	put32(f, (uint32_t)z->leap);
	put32(f, (uint32_t)z->ntrans);
	put32(f, (uint32_t)z->ntypes);
	put32(f, 4); /* charcnt: "ZZZ\0" */
	for (int i = 0; i < z->ntrans; i++) {
		if (tsize == 8)
			put32(f, (uint32_t)((uint64_t)z->trans[i] >> 32));
		put32(f, (uint32_t)z->trans[i]);
	}
	for (int i = 0; i < z->ntrans; i++)
		fputc(z->idx[i], f);
	for (int i = 0; i < z->ntypes; i++) {
		put32(f, (uint32_t)z->offs[i]);
		fputc(z->isdst ? z->isdst[i] : 0, f);
		fputc(0, f);
	}
	assert_int_equal(fwrite("ZZZ", 1, 4, f), 4);
	for (int i = 0; i < z->leap; i++) {
		if (tsize == 8)
			put32(f, 0);
		put32(f, 78796800 + (uint32_t)i);
		put32(f, (uint32_t)i + 1);
	}
}

static const char *write_tzif(fixture_t *fx, const char *name, const tzif_t *z)
{
	snprintf(fx->path, sizeof(fx->path), "%s/%s", fx->dir, name);
	FILE *f = fopen(fx->path, "wb");
	assert_non_null(f);
	put_block(f, z, 4);
	if (z->version) {
		put_block(f, z, 8);
		fprintf(f, "\n%s\n", z->footer ? z->footer : "");
	}
	assert_int_equal(fclose(f), 0);
	/* glibc keeps the zone it read last while a file has the same
	 * inode and mtime, and a file of this test may get the inode of one
	 * just removed within the same second: each gets an mtime of its own. */
	static time_t mtime = 1000000;
	struct timespec ts[2] = {{.tv_sec = mtime}, {.tv_sec = mtime++}};
	assert_int_equal(utimensat(AT_FDCWD, fx->path, ts, 0), 0);
	return fx->path;
}

static void write_bytes(fixture_t *fx, const char *name, const void *data, size_t len)
{
	snprintf(fx->path, sizeof(fx->path), "%s/%s", fx->dir, name);
	FILE *f = fopen(fx->path, "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(data, 1, len, f), len);
	assert_int_equal(fclose(f), 0);
}

/* A zone made of a footer rule alone (as "slim" tzdata may be), compared
 * with glibc reading the same file. */
static void check_slim(fixture_t *fx, const char *name, const char *rule, char version)
{
	static const int32_t off0[] = {0};
	/* One transition, in 1900: glibc, unlike RFC 8536, ignores the
	 * footer of a file without any (test_no_transitions covers that). */
	static const int64_t tr[] = {-2208988800LL};
	static const uint8_t ix[] = {0};
	tzif_t z = {.version = version, .ntrans = 1, .trans = tr, .idx = ix, .ntypes = 1, .offs = off0,
		    .footer = rule};
	char tzv[200];
	snprintf(tzv, sizeof(tzv), ":%s", write_tzif(fx, name, &z));
	setenv("TZDIR", fx->dir, 1);
	tz_t *tz = load_ok(name);
	glibc_zone(tzv);
	compare_with_glibc(tz, rule);
	tz_free(tz);
}

static void test_slim_files_follow_the_footer_rule(void **state)
{
	fixture_t *fx = *state;
	check_slim(fx, "Berlin", "CET-1CEST,M3.5.0,M10.5.0/3", '2');
	/* Links, as tzdata has for old names (US/Eastern), are followed. */
	char target[200];
	snprintf(target, sizeof(target), "%s/Berlin", fx->dir);
	snprintf(fx->path, sizeof(fx->path), "%s/Alias", fx->dir);
	assert_int_equal(symlink(target, fx->path), 0);
	tz_t *alias = load_ok("Alias");
	assert_string_equal(tz_name(alias), "Alias");
	assert_int_equal(tz_offset_at(alias, 1774746000), 7200);
	tz_free(alias);
	check_slim(fx, "NewYork", "EST5EDT,M3.2.0,M11.1.0", '2');
	check_slim(fx, "LordHowe", "<+1030>-10:30<+11>-11,M10.1.0,M4.1.0", '2');
	check_slim(fx, "Dublin", "IST-1GMT0,M10.5.0,M3.5.0/1", '2');
	/* Version 3: rule times below 0 and above 24 hours. */
	check_slim(fx, "Nuuk", "<-02>2<-01>,M3.5.0/-1,M10.5.0/0", '3');
	check_slim(fx, "Gaza", "EET-2EEST,M3.4.4/50,M10.4.4/50", '3');
	check_slim(fx, "Santiago", "<-04>4<-03>,M9.1.6/24,M4.1.6/24", '3');
	/* The Jn (no leap day) and n (leap day counted) forms. */
	check_slim(fx, "Julian", "AAA3BBB,J60/2,J300/1:30", '2');
	check_slim(fx, "Zero", "AAA3BBB,59/2,299/1:30:15", '2');
	/* Permanent daylight saving, as version 3 spells it: always -4
	 * hours. (glibc says -5 in the first five hours of each UTC year,
	 * when it looks at the new year's start only, so not compared.) */
	static const int32_t off0[] = {-18000};
	tzif_t z = {.version = '3', .ntypes = 1, .offs = off0, .footer = "EST5EDT,0/0,J365/25"};
	write_tzif(fx, "AlwaysDst", &z);
	tz_t *tz = load_ok("AlwaysDst");
	for (int64_t t = T1970; t < T2100; t += 3600 * 5 + 17)
		assert_int_equal(tz_offset_at(tz, t), -14400);
	assert_int_equal(tz_next_transition(tz, T1970), INT64_MAX);
	tz_free(tz);
	/* No dates: the US rules, as glibc takes them. */
	check_slim(fx, "Nodates", "EST5EDT", '2');
	check_slim(fx, "Fixed", "<+0530>-5:30", '2');
	check_slim(fx, "West", "<-0930>9:30", '2');
	/* Version 4 files read as version 3 when they count no leap seconds. */
	check_slim(fx, "V4", "CET-1CEST,M3.5.0,M10.5.0/3", '4');
}

static void test_explicit_transitions_then_rule(void **state)
{
	fixture_t *fx = *state;
	/* Type 0 until 2000-01-01, then +01:00 with a rule from 2010 on. */
	static const int64_t tr[] = {946684800, 1262304000};
	static const uint8_t ix[] = {1, 2};
	static const int32_t offs[] = {-3600, 3600, 3600};
	static const uint8_t dst[] = {0, 0, 0};
	tzif_t z = {.version = '2', .ntrans = 2, .trans = tr, .idx = ix, .ntypes = 3, .offs = offs,
		    .isdst = dst, .footer = "CET-1CEST,M3.5.0,M10.5.0/3"};
	char tzv[200];
	snprintf(tzv, sizeof(tzv), ":%s", write_tzif(fx, "Mixed", &z));
	setenv("TZDIR", fx->dir, 1);
	tz_t *tz = load_ok("Mixed");
	glibc_zone(tzv);
	compare_with_glibc(tz, "Mixed");
	assert_int_equal(tz_offset_at(tz, 946684800 - 1), -3600);
	assert_int_equal(tz_offset_at(tz, 946684800), 3600);
	/* 2000 to 2009: no DST (no rule yet); the transition to type 2 at
	 * 2010 changes nothing and is not reported. */
	assert_int_equal(tz_offset_at(tz, 1120000000), 3600);
	assert_int_equal(tz_next_transition(tz, 946684800), 1269738000); /* 2010-03-28 01:00 UTC */
	tz_free(tz);
	/* Version 1: no 64-bit data, no footer; the last type stays. */
	z.version = 0;
	z.footer = NULL;
	snprintf(tzv, sizeof(tzv), ":%s", write_tzif(fx, "V1", &z));
	tz = load_ok("V1");
	glibc_zone(tzv);
	compare_with_glibc(tz, "V1");
	assert_int_equal(tz_offset_at(tz, 1800000000), 3600);
	assert_int_equal(tz_next_transition(tz, 946684800), INT64_MAX);
	tz_free(tz);
}

/* RFC 8536 3.2: with no transitions at all, the footer rule gives every
 * offset (glibc would take the one type instead). */
static void test_no_transitions(void **state)
{
	fixture_t *fx = *state;
	static const int32_t off0[] = {0};
	tzif_t z = {.version = '2', .ntypes = 1, .offs = off0, .footer = "CET-1CEST,M3.5.0,M10.5.0/3"};
	write_tzif(fx, "Bare", &z);
	setenv("TZDIR", fx->dir, 1);
	tz_t *tz = load_ok("Bare");
	tz_t *berlin = NULL;
	unsetenv("TZDIR");
	berlin = load_ok("Europe/Berlin");
	for (int64_t t = 1000000000; t < T2100; t += 86400 * 3 + 3571)
		assert_int_equal(tz_offset_at(tz, t), tz_offset_at(berlin, t));
	assert_int_equal(tz_next_transition(tz, 1774746000 - 100), 1774746000);
	tz_free(berlin);
	tz_free(tz);
	/* Without a footer, the one type. */
	z.footer = "";
	setenv("TZDIR", fx->dir, 1);
	write_tzif(fx, "Bare2", &z);
	tz = load_ok("Bare2");
	assert_int_equal(tz_offset_at(tz, 1774746000), 0);
	assert_int_equal(tz_next_transition(tz, 0), INT64_MAX);
	tz_free(tz);
}

static void load_fails(const char *name, const char *part)
{
	tz_t *tz = (tz_t *)1;
	char *err = NULL;
	if (tz_load(name, &tz, &err) == 0)
		fail_msg("tz_load(%s) succeeded", name ? name : "NULL");
	assert_ptr_equal(tz, (tz_t *)1);
	assert_non_null(err);
	if (!strstr(err, part))
		fail_msg("tz_load(%s): \"%s\" does not say \"%s\"", name, err, part);
	assert_null(strchr(err, '\n'));
	free(err);
}

static void test_refused_names(void **state)
{
	(void)state;
	unsetenv("TZDIR");
	load_fails("", "empty; write an IANA zone name such as Europe/Berlin");
	load_fails("/etc/localtime", "not a file path");
	load_fails("../../etc/passwd", "\"..\" is not allowed");
	load_fails("Europe/../Europe/Berlin", "\"..\" is not allowed");
	load_fails("Europe/Ber lin", "the character ' ' is not allowed");
	load_fails("Europe/Berlin\n", "a byte 0x0a is not allowed");
	load_fails("Europe//Berlin", "empty part after '/'");
	load_fails("Europe/", "empty part after '/'");
	char longname[300];
	memset(longname, 'A', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = '\0';
	load_fails(longname, "time zone name too long (299 characters)");
	load_fails("Europe/Berln", "unknown time zone \"Europe/Berln\" (no such zone in /usr/share/zoneinfo)");
	load_fails("Europe", "is a directory of zones, not a zone");
	load_fails("Europe/Berlin/x", "unknown time zone");
	setenv("TZDIR", "/nonexistent-cjobs-tzdir", 1);
	load_fails("Europe/Berlin", "/nonexistent-cjobs-tzdir does not exist; install the tzdata package, or use UTC");
	unsetenv("TZDIR");
}

static void test_refused_files(void **state)
{
	fixture_t *fx = *state;
	setenv("TZDIR", fx->dir, 1);
	write_bytes(fx, "Text", "hello\n", 6);
	load_fails("Text", "is not a zone file (TZif)");
	write_bytes(fx, "Empty", "", 0);
	load_fails("Empty", "is not a zone file (TZif)");
	static const int32_t offs[] = {3600, 7200};
	static const int64_t tr[] = {1000, 500};
	static const uint8_t ix[] = {0, 1};
	tzif_t z = {.version = '2', .ntypes = 1, .offs = offs, .footer = "CET-1"};
	/* A cut-off file. */
	write_tzif(fx, "Cut", &z);
	struct stat st;
	assert_int_equal(stat(fx->path, &st), 0);
	assert_int_equal(truncate(fx->path, st.st_size - 8), 0);
	load_fails("Cut", "is damaged (");
	z.footer = "not a rule";
	write_tzif(fx, "BadRule", &z);
	load_fails("BadRule", "is damaged (a footer rule that is not a POSIX TZ rule)");
	z.footer = "CET-1";
	z.leap = 1;
	write_tzif(fx, "Leap", &z);
	load_fails("Leap", "counts leap seconds");
	z.leap = 0;
	z.ntrans = 2;
	z.trans = tr;
	z.idx = ix;
	z.ntypes = 2;
	write_tzif(fx, "Order", &z);
	load_fails("Order", "is damaged (transitions out of order)");
	static const uint8_t bad_ix[] = {0, 5};
	static const int64_t tr_ok[] = {500, 1000};
	z.trans = tr_ok;
	z.idx = bad_ix;
	write_tzif(fx, "Index", &z);
	load_fails("Index", "is damaged (a transition names a type it does not have)");
	static const int32_t huge[] = {3600, 30 * 3600};
	z.idx = ix;
	z.offs = huge;
	write_tzif(fx, "Huge", &z);
	load_fails("Huge", "is damaged (an offset of more than 26 hours)");
	z.offs = offs;
	z.version = '9';
	write_tzif(fx, "V9", &z);
	load_fails("V9", "is damaged (a TZif version this program does not know)");
	/* Counts whose sizes overflow 32 bits (found by fuzz/fuzz_tz.c):
	 * 0x80000002 types of 6 bytes each would be "12 bytes". */
	static const unsigned char overflow[] = {
		'T', 'Z', 'i', 'f', 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
		0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2, 0x80, 0, 0, 2, 0, 0, 0, 4,
		0, 4, 0, 0, 0, 0xee, 0x9f, 0x80, 1, 0, 0, 0, 0x8c, 0xa0, 0, 0, 0, 0, 0x9a, 0xb0,
		1, 0, 'Z', 'Z', 'Z', 0};
	write_bytes(fx, "Overflow", overflow, sizeof(overflow));
	load_fails("Overflow", "is damaged (inconsistent counts)");
	z.version = '2';
	z.ntypes = 0;
	z.ntrans = 0;
	write_tzif(fx, "NoTypes", &z);
	load_fails("NoTypes", "is damaged (");
	unsetenv("TZDIR");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_real_zones_agree_with_glibc),
		cmocka_unit_test(test_known_offsets),
		cmocka_unit_test(test_utc),
		cmocka_unit_test_setup_teardown(test_slim_files_follow_the_footer_rule, setup_dir, teardown_dir),
		cmocka_unit_test_setup_teardown(test_explicit_transitions_then_rule, setup_dir, teardown_dir),
		cmocka_unit_test_setup_teardown(test_no_transitions, setup_dir, teardown_dir),
		cmocka_unit_test(test_refused_names),
		cmocka_unit_test_setup_teardown(test_refused_files, setup_dir, teardown_dir),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
