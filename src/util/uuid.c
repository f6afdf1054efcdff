/* util/uuid.c: version 4 and version 7 UUIDs; see uuid.h. */
#include "util/uuid.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>
#include <sys/random.h>

static int random_bytes(uint8_t *b, size_t size)
{
	size_t got = 0;
	while (got < size) {
		ssize_t n = getrandom(b + got, size - got, 0);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		got += (size_t)n;
	}
	return 0;
}

static void format(const uint8_t b[16], char out[37])
{
	snprintf(out, 37,
		 "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
		 b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11],
		 b[12], b[13], b[14], b[15]);
}

int uuid_v4(char out[37])
{
	uint8_t b[16];
	if (random_bytes(b, sizeof(b)) < 0)
		return -1;
	b[6] = (uint8_t)((b[6] & 0x0f) | 0x40);
	b[8] = (uint8_t)((b[8] & 0x3f) | 0x80);
	format(b, out);
	return 0;
}

int uuid_v7(char out[37])
{
	uint8_t b[16];
	if (random_bytes(b, sizeof(b)) < 0)
		return -1;
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	uint64_t ms = (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
	for (int i = 5; i >= 0; i--) {
		b[i] = (uint8_t)(ms & 0xff);
		ms >>= 8;
	}
	b[6] = (uint8_t)((b[6] & 0x0f) | 0x70);
	b[8] = (uint8_t)((b[8] & 0x3f) | 0x80);
	format(b, out);
	return 0;
}
