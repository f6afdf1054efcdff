/*
 * fuzz/fuzz_env.c: the env-file parser (core/env.c) on any bytes. Every
 * entry it accepts must pass env_check_entry, and no key may appear twice;
 * anything refused must come with a message.
 */
#include <assert.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "core/env.h"
#include "memfile.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *path = memfile_fill(data, size);
	envlist_t l = {0};
	char *err = NULL;
	if (env_read_file(path, &l, &err) == 0) {
		assert(err == NULL);
		for (size_t i = 0; i < l.n; i++) {
			char *e2 = NULL;
			assert(env_check_entry(l.v[i], &e2) == 0);
			size_t klen = strcspn(l.v[i], "=");
			for (size_t k = 0; k < i; k++)
				assert(!(strncmp(l.v[k], l.v[i], klen) == 0 && l.v[k][klen] == '='));
		}
	} else {
		assert(err != NULL && *err);
	}
	free(err);
	envlist_free(&l);
	return 0;
}
