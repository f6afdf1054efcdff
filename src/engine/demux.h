/*
 * engine/demux.h: the demultiplexer of a container's log stream.
 *
 * Without a TTY the engine sends a container's output as frames: an 8-byte
 * header (byte 0 the stream: 0 stdin, 1 stdout, 2 stderr, 3 an error of the
 * engine itself; bytes 1-3 zero; bytes 4-7 the payload size, big-endian)
 * followed by the payload. Bytes arrive in arbitrary pieces, so this is an
 * incremental parser: it keeps no more than `cap` bytes of each stream and
 * counts the rest, whatever the container printed.
 *
 * Pure: no I/O, no engine, no HTTP, so it can be unit-tested and fuzzed.
 * It must never trust a header it has not checked, nor grow a buffer past
 * cap + 1 bytes.
 */
#ifndef CJOBS_ENGINE_DEMUX_H
#define CJOBS_ENGINE_DEMUX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/job.h"

typedef struct {
	char *data;       /* NUL-terminated for convenience; len bytes count */
	size_t len;
	size_t alloc;
	int64_t total;    /* every payload byte seen for this stream */
} demux_stream_t;

typedef struct {
	size_t cap;               /* bytes kept per stream; 0 keeps nothing */
	unsigned char hdr[8];     /* header bytes gathered so far */
	size_t hdr_len;
	int stream;               /* current frame's stream: 1, 2 or 3 */
	uint32_t left;            /* payload bytes still to come in this frame */
	demux_stream_t out[2];    /* [0] stdout, [1] stderr */
	size_t sys_len;           /* bytes of an engine error (stream 3) kept */
	char sys[256];
	bool failed;
	char error[200];          /* why it failed, when failed */
} demux_t;

void demux_init(demux_t *d, size_t cap);
/* Consumes n bytes. Returns 0, or -1 when the stream is malformed, carried
 * an error of the engine, or memory ran out; d->error says which, and every
 * later call fails the same way. */
int demux_feed(demux_t *d, const void *data, size_t n);
/* The stream ended: -1 (with d->error) if it stopped inside a frame or an
 * engine error frame was seen. */
int demux_end(demux_t *d);
/* Moves the kept output into out/err (their data then belongs to the
 * caller; never NULL). Returns -1 when out of memory, leaving out/err
 * empty. d is left empty either way. */
int demux_take(demux_t *d, job_output_t *out, job_output_t *err);
void demux_free(demux_t *d);

#endif
