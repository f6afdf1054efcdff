/*
 * tests/unit/engine/test_demux.c: the log demultiplexer, fed the same
 * stream cut at every byte boundary (one cut and two cuts) so that no
 * split of a header or a payload is left untried; caps, counting,
 * truncation, and malformed or engine-error streams.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "engine/demux.h"

typedef struct {
	unsigned char b[4096];
	size_t n;
} stream_t;

static void frame(stream_t *s, int kind, const char *payload, size_t len)
{
	unsigned char h[8] = {(unsigned char)kind, 0, 0, 0, (unsigned char)(len >> 24),
			      (unsigned char)(len >> 16), (unsigned char)(len >> 8),
			      (unsigned char)len};
	memcpy(s->b + s->n, h, 8);
	memcpy(s->b + s->n + 8, payload, len);
	s->n += 8 + len;
}

static void sample(stream_t *s)
{
	s->n = 0;
	frame(s, 1, "hello ", 6);
	frame(s, 2, "err1\n", 5);
	frame(s, 1, "", 0);
	frame(s, 1, "world\n", 6);
	frame(s, 2, "e\0r2\n", 5); /* any bytes, NUL included */
	frame(s, 0, "in", 2);      /* stdin frames count as stdout */
}

static void check_sample(demux_t *d, size_t cap)
{
	assert_int_equal(demux_end(d), 0);
	job_output_t out, err;
	assert_int_equal(demux_take(d, &out, &err), 0);
	const char *o = "hello world\nin", *e = "err1\ne\0r2\n";
	size_t ol = 14, el = 10;
	assert_int_equal(out.total_bytes, (int64_t)ol);
	assert_int_equal(err.total_bytes, (int64_t)el);
	size_t ko = ol < cap ? ol : cap, ke = el < cap ? el : cap;
	assert_int_equal(out.len, ko);
	assert_int_equal(err.len, ke);
	assert_memory_equal(out.data, o, ko);
	assert_memory_equal(err.data, e, ke);
	assert_int_equal(out.truncated, ko < ol);
	assert_int_equal(err.truncated, ke < el);
	assert_int_equal(out.data[out.len], '\0');
	job_output_free(&out);
	job_output_free(&err);
}

static void test_whole(void **state)
{
	(void)state;
	stream_t s;
	sample(&s);
	demux_t d;
	demux_init(&d, 1024);
	assert_int_equal(demux_feed(&d, s.b, s.n), 0);
	check_sample(&d, 1024);
}

static void test_one_cut(void **state)
{
	(void)state;
	stream_t s;
	sample(&s);
	for (size_t i = 0; i <= s.n; i++) {
		demux_t d;
		demux_init(&d, 1024);
		assert_int_equal(demux_feed(&d, s.b, i), 0);
		assert_int_equal(demux_feed(&d, s.b + i, s.n - i), 0);
		check_sample(&d, 1024);
	}
}

static void test_two_cuts_and_caps(void **state)
{
	(void)state;
	stream_t s;
	sample(&s);
	static const size_t caps[] = {0, 1, 5, 10, 14, 100};
	for (size_t c = 0; c < sizeof(caps) / sizeof(caps[0]); c++)
		for (size_t i = 0; i <= s.n; i++)
			for (size_t j = i; j <= s.n; j++) {
				demux_t d;
				demux_init(&d, caps[c]);
				assert_int_equal(demux_feed(&d, s.b, i), 0);
				assert_int_equal(demux_feed(&d, s.b + i, j - i), 0);
				assert_int_equal(demux_feed(&d, s.b + j, s.n - j), 0);
				check_sample(&d, caps[c]);
			}
}

static void test_byte_by_byte(void **state)
{
	(void)state;
	stream_t s;
	sample(&s);
	demux_t d;
	demux_init(&d, 3);
	for (size_t i = 0; i < s.n; i++)
		assert_int_equal(demux_feed(&d, s.b + i, 1), 0);
	check_sample(&d, 3);
}

/* A large output keeps memory at the cap and counts everything. */
static void test_large_counted(void **state)
{
	(void)state;
	enum { CHUNK = 60000, FRAMES = 400 };
	unsigned char *buf = malloc(8 + CHUNK);
	assert_non_null(buf);
	memset(buf, 'x', 8 + CHUNK);
	unsigned char h[8] = {1, 0, 0, 0, 0, (CHUNK >> 16) & 255, (CHUNK >> 8) & 255, CHUNK & 255};
	memcpy(buf, h, 8);
	demux_t d;
	demux_init(&d, 100000);
	for (int i = 0; i < FRAMES; i++)
		assert_int_equal(demux_feed(&d, buf, 8 + CHUNK), 0);
	assert_true(d.out[0].alloc <= 100001);
	job_output_t out, err;
	assert_int_equal(demux_end(&d), 0);
	assert_int_equal(demux_take(&d, &out, &err), 0);
	assert_int_equal(out.len, 100000);
	assert_int_equal(out.total_bytes, (int64_t)CHUNK * FRAMES);
	assert_true(out.truncated);
	assert_int_equal(err.len, 0);
	assert_false(err.truncated);
	assert_non_null(err.data);
	job_output_free(&out);
	job_output_free(&err);
	free(buf);
}

static void test_raw_stream_refused(void **state)
{
	(void)state;
	/* What a TTY container's log looks like: plain text. */
	const char *raw = "out\nerr\nmore text\n";
	for (size_t i = 1; i <= strlen(raw); i++) {
		demux_t d;
		demux_init(&d, 100);
		int rc = demux_feed(&d, raw, i);
		if (i < 8) {
			assert_int_equal(rc, 0);
			assert_int_equal(demux_feed(&d, raw + i, strlen(raw) - i), -1);
		} else {
			assert_int_equal(rc, -1);
		}
		assert_non_null(strstr(d.error, "not multiplexed"));
		assert_non_null(strstr(d.error, "TTY"));
		/* Stays failed. */
		assert_int_equal(demux_feed(&d, "", 0), -1);
		assert_int_equal(demux_end(&d), -1);
		demux_free(&d);
	}
}

static void test_bad_headers(void **state)
{
	(void)state;
	static const unsigned char bad[][8] = {
		{4, 0, 0, 0, 0, 0, 0, 1}, /* no stream 4 */
		{1, 1, 0, 0, 0, 0, 0, 1}, /* padding must be zero */
		{2, 0, 0, 9, 0, 0, 0, 1},
		{255, 255, 255, 255, 255, 255, 255, 255},
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		demux_t d;
		demux_init(&d, 100);
		assert_int_equal(demux_feed(&d, bad[i], 8), -1);
		assert_true(d.failed);
		demux_free(&d);
	}
}

static void test_truncated_stream(void **state)
{
	(void)state;
	stream_t s;
	sample(&s);
	/* Ending anywhere but on a frame boundary is an error. */
	size_t bounds[] = {0, 14, 27, 35, 49, 62, 72};
	for (size_t cut = 0; cut <= s.n; cut++) {
		demux_t d;
		demux_init(&d, 100);
		assert_int_equal(demux_feed(&d, s.b, cut), 0);
		bool boundary = false;
		for (size_t k = 0; k < sizeof(bounds) / sizeof(bounds[0]); k++)
			boundary |= bounds[k] == cut;
		if (boundary) {
			assert_int_equal(demux_end(&d), 0);
		} else {
			assert_int_equal(demux_end(&d), -1);
			assert_non_null(strstr(d.error, "inside a frame"));
		}
		demux_free(&d);
	}
	assert_int_equal(s.n, 72);
}

static void test_engine_error_frame(void **state)
{
	(void)state;
	stream_t s = {.n = 0};
	frame(&s, 1, "ok\n", 3);
	frame(&s, 3, "disk on fire", 12);
	for (size_t i = 0; i <= s.n; i++) {
		demux_t d;
		demux_init(&d, 100);
		int a = demux_feed(&d, s.b, i);
		int b = a == 0 ? demux_feed(&d, s.b + i, s.n - i) : -1;
		assert_int_equal(b, -1);
		assert_non_null(strstr(d.error, "disk on fire"));
		demux_free(&d);
	}
	stream_t empty = {.n = 0};
	frame(&empty, 3, "", 0);
	demux_t d;
	demux_init(&d, 100);
	assert_int_equal(demux_feed(&d, empty.b, empty.n), -1);
	demux_free(&d);
}

/* Random frames, random caps, random cuts, against a plain reference. */
static void test_random(void **state)
{
	(void)state;
	srand(12345);
	static unsigned char in[64 * 1024], want[2][32 * 1024];
	for (int round = 0; round < 300; round++) {
		size_t n = 0, wl[2] = {0, 0};
		size_t cap = (size_t)(rand() % 3000);
		int frames = rand() % 40;
		for (int f = 0; f < frames; f++) {
			int kind = 1 + rand() % 2;
			size_t len = (size_t)(rand() % 700);
			unsigned char h[8] = {(unsigned char)kind, 0, 0, 0, 0, 0,
					      (unsigned char)(len >> 8), (unsigned char)len};
			memcpy(in + n, h, 8);
			n += 8;
			for (size_t i = 0; i < len; i++) {
				unsigned char c = (unsigned char)rand();
				in[n++] = c;
				want[kind - 1][wl[kind - 1]++] = c;
			}
		}
		demux_t d;
		demux_init(&d, cap);
		for (size_t pos = 0; pos < n;) {
			size_t piece = 1 + (size_t)(rand() % 900);
			if (piece > n - pos)
				piece = n - pos;
			assert_int_equal(demux_feed(&d, in + pos, piece), 0);
			pos += piece;
		}
		assert_int_equal(demux_end(&d), 0);
		job_output_t o[2];
		assert_int_equal(demux_take(&d, &o[0], &o[1]), 0);
		for (int k = 0; k < 2; k++) {
			size_t kept = wl[k] < cap ? wl[k] : cap;
			assert_int_equal(o[k].len, kept);
			assert_int_equal(o[k].total_bytes, (int64_t)wl[k]);
			assert_int_equal(o[k].truncated, wl[k] > cap);
			assert_memory_equal(o[k].data, want[k], kept);
			job_output_free(&o[k]);
		}
	}
}

/* Garbage never crashes it and never makes it keep more than the cap. */
static void test_garbage(void **state)
{
	(void)state;
	srand(777);
	unsigned char buf[4096];
	for (int round = 0; round < 2000; round++) {
		size_t n = (size_t)(rand() % (int)sizeof(buf));
		for (size_t i = 0; i < n; i++)
			buf[i] = (unsigned char)(rand() % 4 == 0 ? rand() : rand() % 4);
		demux_t d;
		demux_init(&d, 100);
		(void)demux_feed(&d, buf, n);
		(void)demux_end(&d);
		assert_true(d.out[0].len <= 100 && d.out[1].len <= 100);
		demux_free(&d);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_whole),
		cmocka_unit_test(test_one_cut),
		cmocka_unit_test(test_two_cuts_and_caps),
		cmocka_unit_test(test_byte_by_byte),
		cmocka_unit_test(test_large_counted),
		cmocka_unit_test(test_raw_stream_refused),
		cmocka_unit_test(test_bad_headers),
		cmocka_unit_test(test_truncated_stream),
		cmocka_unit_test(test_engine_error_frame),
		cmocka_unit_test(test_random),
		cmocka_unit_test(test_garbage),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
