/* util/uuid.h: UUIDs from the kernel's random source: random ones (version
 * 4), and time-ordered ones (version 7) for keys that an index keeps. */
#ifndef CJOBS_UTIL_UUID_H
#define CJOBS_UTIL_UUID_H

/* Writes a 36-character UUID and a NUL into out. Returns 0, or -1 if no
 * random bytes could be had. */
int uuid_v4(char out[37]);
/* The same, version 7 (RFC 9562): the first 48 bits are the wall clock in
 * unix milliseconds, the other 74 free bits random. Jobs get these: their
 * unique index then grows at one end, so that adding jobs to a large store
 * (and removing old ones) touches a few index pages, not one per job. */
int uuid_v7(char out[37]);

#endif
