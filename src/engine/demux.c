/*
 * engine/demux.c: incremental demultiplexer of log frames; see demux.h.
 *
 * Memory is bounded by construction: a stream's buffer grows by doubling
 * but never beyond cap + 1, and payload beyond the cap is only counted.
 * It must never read a frame whose header failed the check: a raw (TTY)
 * stream misread as frames would turn text into bogus sizes.
 */
#include "engine/demux.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void demux_init(demux_t *d, size_t cap)
{
	memset(d, 0, sizeof(*d));
	d->cap = cap;
}

static int fail(demux_t *d, const char *msg)
{
	if (!d->failed) {
		d->failed = true;
		snprintf(d->error, sizeof(d->error), "%s", msg);
	}
	return -1;
}

/* Grows toward `want` bytes of content, never past cap, so that a large
 * output costs at most cap + 1 bytes however it arrives. */
static bool grow(demux_stream_t *s, size_t want, size_t cap)
{
	if (want + 1 <= s->alloc)
		return true;
	size_t most = cap < SIZE_MAX ? cap + 1 : SIZE_MAX;
	size_t n = s->alloc ? s->alloc : 4096;
	while (n < want + 1 && n < most / 2)
		n *= 2;
	if (n < want + 1 || n > most)
		n = most;
	char *p = realloc(s->data, n);
	if (!p)
		return false;
	s->data = p;
	s->alloc = n;
	return true;
}

static int keep(demux_t *d, demux_stream_t *s, const unsigned char *p, size_t n)
{
	s->total += (int64_t)n;
	size_t room = s->len < d->cap ? d->cap - s->len : 0;
	if (n > room)
		n = room;
	if (n == 0)
		return 0;
	if (!grow(s, s->len + n, d->cap))
		return fail(d, "out of memory");
	memcpy(s->data + s->len, p, n);
	s->len += n;
	s->data[s->len] = '\0';
	return 0;
}

/* An engine error arrives as a frame on stream 3; keep its start for the
 * message and fail at the end of the frame. */
static void keep_sys(demux_t *d, const unsigned char *p, size_t n)
{
	size_t room = sizeof(d->sys) - 1 - d->sys_len;
	if (n > room)
		n = room;
	memcpy(d->sys + d->sys_len, p, n);
	d->sys_len += n;
	d->sys[d->sys_len] = '\0';
}

static int check_header(demux_t *d)
{
	const unsigned char *h = d->hdr;
	if (h[0] > 3 || h[1] || h[2] || h[3]) {
		char msg[160];
		snprintf(msg, sizeof(msg),
			 "log stream is not multiplexed (bad frame header "
			 "%02x %02x %02x %02x %02x %02x %02x %02x; was the container "
			 "created with a TTY?)",
			 h[0], h[1], h[2], h[3], h[4], h[5], h[6], h[7]);
		return fail(d, msg);
	}
	d->stream = h[0] == 0 ? 1 : h[0]; /* stdin frames: shown as stdout */
	d->left = (uint32_t)h[4] << 24 | (uint32_t)h[5] << 16 | (uint32_t)h[6] << 8 | h[7];
	d->hdr_len = 0;
	return 0;
}

static int sys_error(demux_t *d)
{
	char msg[sizeof(d->error)];
	snprintf(msg, sizeof(msg), "error in log stream: %.*s", (int)(sizeof(msg) - 24), d->sys);
	return fail(d, msg);
}

int demux_feed(demux_t *d, const void *data, size_t n)
{
	const unsigned char *p = data;
	if (d->failed)
		return -1;
	while (n > 0) {
		if (d->left == 0) {
			size_t take = 8 - d->hdr_len;
			if (take > n)
				take = n;
			memcpy(d->hdr + d->hdr_len, p, take);
			d->hdr_len += take;
			p += take;
			n -= take;
			if (d->hdr_len < 8)
				continue;
			if (check_header(d) < 0)
				return -1;
			/* An empty engine-error frame ends at its header. */
			if (d->stream == 3 && d->left == 0)
				return sys_error(d);
			continue;
		}
		size_t take = d->left < n ? d->left : n;
		if (d->stream == 3)
			keep_sys(d, p, take);
		else if (keep(d, &d->out[d->stream - 1], p, take) < 0)
			return -1;
		d->left -= (uint32_t)take;
		p += take;
		n -= take;
		if (d->left == 0 && d->stream == 3)
			return sys_error(d);
	}
	return 0;
}

int demux_end(demux_t *d)
{
	if (d->failed)
		return -1;
	if (d->hdr_len > 0 || d->left > 0)
		return fail(d, "log stream ended inside a frame");
	return 0;
}

static int take_one(demux_stream_t *s, job_output_t *o)
{
	memset(o, 0, sizeof(*o));
	if (!s->data) {
		s->data = malloc(1);
		if (!s->data)
			return -1;
		s->data[0] = '\0';
	}
	o->data = s->data;
	o->len = s->len;
	o->total_bytes = s->total;
	o->truncated = (uint64_t)s->total > (uint64_t)s->len;
	memset(s, 0, sizeof(*s));
	return 0;
}

int demux_take(demux_t *d, job_output_t *out, job_output_t *err)
{
	/* Both empty first: when out cannot be had, err was never filled and
	 * must not be freed as if it had been. */
	memset(out, 0, sizeof(*out));
	memset(err, 0, sizeof(*err));
	if (take_one(&d->out[0], out) < 0 || take_one(&d->out[1], err) < 0) {
		job_output_free(out);
		job_output_free(err);
		demux_free(d);
		return -1;
	}
	demux_free(d);
	return 0;
}

void demux_free(demux_t *d)
{
	free(d->out[0].data);
	free(d->out[1].data);
	memset(d->out, 0, sizeof(d->out));
}
