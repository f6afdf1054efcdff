/*
 * util/vec.h: the one way to grow an array as rows come in: room for one
 * more element, doubling, with the overflow checks in one place instead of
 * a copy in every loop that collects rows.
 */
#ifndef CJOBS_UTIL_VEC_H
#define CJOBS_UTIL_VEC_H

#include <stddef.h>

/* The address of element n of the array *arrayp (a pointer to the
 * array's pointer, of any element type) holding *cap elements of `size`
 * bytes, growing it to twice its size (`first` elements the first time)
 * when n is at its end. NULL when out of memory: *arrayp and *cap are
 * unchanged and still the caller's to free. */
void *vec_room(void *arrayp, size_t *cap, size_t n, size_t size, size_t first);

#endif
