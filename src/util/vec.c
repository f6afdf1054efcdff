/*
 * util/vec.c: growing arrays; see vec.h.
 */
#include "util/vec.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

void *vec_room(void *arrayp, size_t *cap, size_t n, size_t size, size_t first)
{
	/* The array's pointer is read and written as bytes: arrayp points to
	 * a pointer of the caller's element type, not to a void *. */
	char *array;
	memcpy(&array, arrayp, sizeof(array));
	if (n >= *cap) {
		size_t ncap = *cap ? *cap * 2 : (first ? first : 8);
		while (ncap <= n) {
			if (ncap > SIZE_MAX / 2)
				return NULL;
			ncap *= 2;
		}
		if (size == 0 || ncap > SIZE_MAX / size)
			return NULL;
		char *grown = realloc(array, ncap * size);
		if (!grown)
			return NULL;
		array = grown;
		*cap = ncap;
		memcpy(arrayp, &array, sizeof(array));
	}
	return array + n * size;
}
