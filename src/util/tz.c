/*
 * util/tz.c: loading TZif files (RFC 8536, versions 1 to 4) and finding the
 * offset in effect at an instant; see tz.h.
 *
 * A zone is read once, whole, into memory and never changes after: no
 * global state, no libc time zone functions, so any thread may use it.
 * The 64-bit section is used when the file has one (version 2 and later).
 * Instants after the last explicit transition follow the footer's POSIX
 * rule (tz_rule.c): Debian's tzdata may be built "slim", with few or no
 * explicit transitions, so the rule carries most of the present.
 * Files that count leap seconds (the right/ zones) are refused: their
 * transition times are not plain unix seconds.
 */
#include "util/tz.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/err.h"
#include "util/tz_rule.h"

#define TZ_DEFAULT_DIR "/usr/share/zoneinfo"
/* Real zone files are a few kilobytes; anything far larger is not one. */
#define TZ_MAX_FILE (1024 * 1024)
#define TZ_MAX_NAME 200
/* Offsets beyond this are not in any real zone; refusing them keeps the
 * cron arithmetic (which looks two days around a transition) sound. */
#define TZ_MAX_OFFSET (26 * 3600)

struct tz {
	char *name;
	bool utc;
	size_t ntrans;
	int64_t *trans;  /* ascending */
	uint8_t *idx;    /* type of each transition */
	size_t ntypes;
	int32_t *offs;   /* utoff of each type */
	bool has_rule;
	tz_rule_t rule;
};

static int check_name(const char *name, char **err)
{
	size_t len = strlen(name);
	if (len == 0)
		return err_set(err, "time zone \"\": empty; write an IANA zone name such as Europe/Berlin, or UTC");
	if (len > TZ_MAX_NAME)
		return err_set(err, "time zone name too long (%zu characters); write an IANA zone name such as Europe/Berlin",
			       len);
	if (name[0] == '/')
		return err_set(err, "time zone \"%s\": a zone is an IANA name such as Europe/Berlin, not a file path",
			       name);
	if (strstr(name, ".."))
		return err_set(err, "time zone \"%s\": \"..\" is not allowed in a zone name; write an IANA name such as Europe/Berlin",
			       name);
	for (const char *p = name; *p; p++) {
		unsigned char c = (unsigned char)*p;
		bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
			  c == '/' || c == '_' || c == '+' || c == '-';
		if (!ok)
			return err_set(err, c >= 0x20 && c < 0x7f
						    ? "time zone \"%.*s\": the character '%c' is not allowed; a zone name has letters, digits and / _ + -, e.g. America/New_York"
						    : "time zone \"%.*s\": a byte 0x%02x is not allowed; a zone name has letters, digits and / _ + -, e.g. America/New_York",
				       (int)(p - name), name, c);
		if (c == '/' && (p[1] == '/' || p[1] == '\0'))
			return err_set(err, "time zone \"%s\": empty part after '/'; write e.g. Europe/Berlin", name);
	}
	return 0;
}

/* Reads the whole file at path into *buf. */
static int read_file(const char *name, const char *dir, const char *path, unsigned char **buf,
		     size_t *len, char **err)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		int e = errno;
		struct stat st;
		if (e == ENOENT && stat(dir, &st) != 0)
			return err_set(err, "cannot load time zone \"%s\": %s does not exist; install the tzdata package, or use UTC",
				       name, dir);
		if (e == ENOENT || e == ENOTDIR)
			return err_set(err, "unknown time zone \"%s\" (no such zone in %s); write an IANA name such as Europe/Berlin or America/New_York",
				       name, dir);
		return err_set(err, "cannot read time zone file %s: %s", path, strerror(e));
	}
	struct stat st;
	if (fstat(fd, &st) != 0) {
		int e = errno;
		close(fd);
		return err_set(err, "cannot read time zone file %s: %s", path, strerror(e));
	}
	if (S_ISDIR(st.st_mode)) {
		close(fd);
		return err_set(err, "time zone \"%s\" is a directory of zones, not a zone; write one of the zones in %s, e.g. Europe/Berlin",
			       name, path);
	}
	if (!S_ISREG(st.st_mode) || st.st_size > TZ_MAX_FILE) {
		close(fd);
		return err_set(err, "time zone \"%s\": %s is not a zone file (TZif); reinstall the tzdata package or choose another zone",
			       name, path);
	}
	size_t cap = (size_t)st.st_size, n = 0;
	unsigned char *b = malloc(cap + 1);
	if (!b) {
		close(fd);
		return err_set(err, "out of memory");
	}
	/* The file may shrink or grow under us; read at most what fits. */
	for (;;) {
		ssize_t r = read(fd, b + n, cap + 1 - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			int e = errno;
			free(b);
			close(fd);
			return err_set(err, "cannot read time zone file %s: %s", path, strerror(e));
		}
		if (r == 0 || (n += (size_t)r) > cap)
			break;
	}
	close(fd);
	*buf = b;
	*len = n > cap ? cap : n;
	return 0;
}

typedef struct {
	const unsigned char *p, *end;
} cursor_t;

static bool take(cursor_t *c, size_t n, const unsigned char **out)
{
	if ((size_t)(c->end - c->p) < n)
		return false;
	*out = c->p;
	c->p += n;
	return true;
}

static uint32_t be32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static int64_t be64(const unsigned char *p)
{
	return (int64_t)((uint64_t)be32(p) << 32 | be32(p + 4));
}

typedef struct {
	char version;
	uint32_t isut, isstd, leap, timecnt, typecnt, charcnt;
} header_t;

static bool read_header(cursor_t *c, header_t *h)
{
	const unsigned char *p;
	if (!take(c, 44, &p) || memcmp(p, "TZif", 4) != 0)
		return false;
	h->version = (char)p[4];
	h->isut = be32(p + 20);
	h->isstd = be32(p + 24);
	h->leap = be32(p + 28);
	h->timecnt = be32(p + 32);
	h->typecnt = be32(p + 36);
	h->charcnt = be32(p + 40);
	return true;
}

/* The size of a data block with times of tsize bytes; 0 if absurd. */
static size_t block_size(const header_t *h, size_t tsize)
{
	if (h->timecnt > TZ_MAX_FILE || h->typecnt > 256 || h->charcnt > TZ_MAX_FILE ||
	    h->leap > TZ_MAX_FILE || h->isut > 256 || h->isstd > 256)
		return 0;
	return h->timecnt * (tsize + 1) + h->typecnt * 6 + h->charcnt + h->leap * (tsize + 4) + h->isstd +
	       h->isut;
}

/* Fills tz from the data block at c, whose times are tsize bytes wide.
 * Returns NULL, or what is wrong with the block. */
static const char *read_block(cursor_t *c, const header_t *h, size_t tsize, struct tz *tz)
{
	if (h->typecnt == 0 || (h->isstd && h->isstd != h->typecnt) || (h->isut && h->isut != h->typecnt))
		return "inconsistent counts";
	const unsigned char *times, *idx, *types, *rest;
	if (!take(c, h->timecnt * tsize, &times) || !take(c, h->timecnt, &idx) ||
	    !take(c, h->typecnt * 6, &types) ||
	    !take(c, h->charcnt + h->leap * (tsize + 4) + h->isstd + h->isut, &rest))
		return "truncated";
	tz->trans = malloc((h->timecnt ? h->timecnt : 1) * sizeof(*tz->trans));
	tz->idx = malloc(h->timecnt ? h->timecnt : 1);
	tz->offs = malloc(h->typecnt * sizeof(*tz->offs));
	if (!tz->trans || !tz->idx || !tz->offs)
		return "out of memory";
	tz->ntrans = h->timecnt;
	tz->ntypes = h->typecnt;
	for (size_t i = 0; i < h->timecnt; i++) {
		tz->trans[i] = tsize == 8 ? be64(times + 8 * i) : (int32_t)be32(times + 4 * i);
		tz->idx[i] = idx[i];
		if (idx[i] >= h->typecnt)
			return "a transition names a type it does not have";
		if (i > 0 && tz->trans[i] <= tz->trans[i - 1])
			return "transitions out of order";
	}
	for (size_t i = 0; i < h->typecnt; i++) {
		int32_t off = (int32_t)be32(types + 6 * i);
		if (off < -TZ_MAX_OFFSET || off > TZ_MAX_OFFSET)
			return "an offset of more than 26 hours";
		tz->offs[i] = off;
	}
	return NULL;
}

/* Parses the file in buf into tz. Returns NULL, or what is wrong. */
static const char *parse_tzif(const unsigned char *buf, size_t len, struct tz *tz)
{
	cursor_t c = {buf, buf + len};
	header_t h;
	if (!read_header(&c, &h))
		return "";
	if (h.version != 0 && (h.version < '2' || h.version > '4'))
		return "a TZif version this program does not know";
	if (h.version == 0) {
		if (h.leap)
			return "leap";
		return read_block(&c, &h, 4, tz);
	}
	size_t skip = block_size(&h, 4);
	const unsigned char *p;
	if (!skip && (h.timecnt || h.typecnt))
		return "inconsistent counts";
	if (!take(&c, skip, &p) || !read_header(&c, &h) || !block_size(&h, 8))
		return "truncated";
	if (h.leap)
		return "leap";
	const char *why = read_block(&c, &h, 8, tz);
	if (why)
		return why;
	/* The footer: "\n" rule "\n"; an empty rule means none. */
	if (c.p >= c.end || *c.p != '\n')
		return "no footer";
	const unsigned char *start = c.p + 1, *nl = memchr(start, '\n', (size_t)(c.end - start));
	if (!nl)
		return "no footer";
	if (nl > start) {
		char *rule = strndup((const char *)start, (size_t)(nl - start));
		if (!rule)
			return "out of memory";
		int rc = tz_rule_parse(rule, &tz->rule);
		free(rule);
		if (rc != 0)
			return "a footer rule that is not a POSIX TZ rule";
		tz->has_rule = true;
	}
	return NULL;
}

int tz_load(const char *name, tz_t **out, char **err)
{
	struct tz *tz = calloc(1, sizeof(*tz));
	if (!tz)
		return err_set(err, "out of memory");
	if (!name || strcmp(name, "UTC") == 0) {
		tz->utc = true;
		tz->name = strdup("UTC");
		if (!tz->name) {
			free(tz);
			return err_set(err, "out of memory");
		}
		*out = tz;
		return 0;
	}
	if (check_name(name, err) != 0) {
		free(tz);
		return -1;
	}
	const char *dir = getenv("TZDIR");
	if (!dir || !*dir)
		dir = TZ_DEFAULT_DIR;
	char *path = NULL;
	unsigned char *buf = NULL;
	size_t len = 0;
	if (asprintf(&path, "%s/%s", dir, name) < 0) {
		free(tz);
		return err_set(err, "out of memory");
	}
	int rc = read_file(name, dir, path, &buf, &len, err);
	if (rc == 0) {
		const char *why = parse_tzif(buf, len, tz);
		tz->name = why ? NULL : strdup(name);
		if (why && strcmp(why, "leap") == 0)
			rc = err_set(err, "time zone \"%s\" counts leap seconds (a right/ zone), which schedules do not; write the zone without right/",
				     name);
		else if (why && !*why)
			rc = err_set(err, "time zone \"%s\": %s is not a zone file (TZif); reinstall the tzdata package or choose another zone",
				     name, path);
		else if (why)
			rc = err_set(err, "time zone \"%s\": %s is damaged (%s); reinstall the tzdata package", name, path,
				     why);
		else if (!tz->name)
			rc = err_set(err, "out of memory");
	}
	free(buf);
	free(path);
	if (rc != 0) {
		tz_free(tz);
		return -1;
	}
	*out = tz;
	return 0;
}

void tz_free(tz_t *tz)
{
	if (!tz)
		return;
	free(tz->name);
	free(tz->trans);
	free(tz->idx);
	free(tz->offs);
	free(tz);
}

const char *tz_name(const tz_t *tz)
{
	return tz ? tz->name : "UTC";
}

int32_t tz_offset_at(const tz_t *tz, int64_t t)
{
	if (!tz || tz->utc)
		return 0;
	size_t n = tz->ntrans;
	/* No transitions: the rule, else the one type (RFC 8536 3.2). */
	if (n == 0)
		return tz->has_rule ? tz_rule_offset(&tz->rule, t) : tz->offs[0];
	if (t < tz->trans[0])
		return tz->offs[0];
	if (t > tz->trans[n - 1] && tz->has_rule)
		return tz_rule_offset(&tz->rule, t);
	/* The last transition at or before t. */
	size_t lo = 0, hi = n;
	while (hi - lo > 1) {
		size_t mid = lo + (hi - lo) / 2;
		if (tz->trans[mid] <= t)
			lo = mid;
		else
			hi = mid;
	}
	return tz->offs[tz->idx[lo]];
}

static bool changes_at(const tz_t *tz, int64_t c)
{
	return tz_offset_at(tz, c) != tz_offset_at(tz, c - 1);
}

int64_t tz_next_transition(const tz_t *tz, int64_t t)
{
	if (!tz || tz->utc || t == INT64_MAX)
		return INT64_MAX;
	size_t n = tz->ntrans;
	size_t lo = 0, hi = n; /* the first transition after t */
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (tz->trans[mid] <= t)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (size_t i = lo; i < n; i++)
		if (changes_at(tz, tz->trans[i]))
			return tz->trans[i];
	if (!tz->has_rule)
		return INT64_MAX;
	int64_t base = n && tz->trans[n - 1] > t ? tz->trans[n - 1] : t, ev[8];
	int k = tz_rule_events(&tz->rule, base, ev);
	for (int i = 0; i < k; i++)
		if (ev[i] > base && changes_at(tz, ev[i]))
			return ev[i];
	return INT64_MAX;
}
