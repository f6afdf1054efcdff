/* util/uuid.h: random (version 4) UUIDs from the kernel's random source. */
#ifndef CJOBS_UTIL_UUID_H
#define CJOBS_UTIL_UUID_H

/* Writes a 36-character UUID and a NUL into out. Returns 0, or -1 if no
 * random bytes could be had. */
int uuid_v4(char out[37]);

#endif
