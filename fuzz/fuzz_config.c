/*
 * fuzz/fuzz_config.c: the configuration file loader (cli/config.c: inih,
 * the known keys, every value checked by its option's parser) on any
 * bytes. It either refuses with a message or gives a configuration whose
 * problems are each one message naming the file.
 */
#include <assert.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cli/command.h"
#include "cli/config.h"
#include "memfile.h"

/* The program's main.c reports errors; nothing here calls it. */
void cli_error(const cli_ctx_t *ctx, const char *fmt, ...)
{
	(void)ctx;
	(void)fmt;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *path = memfile_fill(data, size);
	char *err = NULL;
	config_t *c = config_load(path, &err);
	if (!c) {
		assert(err && *err);
		free(err);
		return 0;
	}
	size_t n = 0;
	char *const *problems = config_problems(c, &n);
	for (size_t i = 0; i < n; i++)
		assert(problems[i] && strncmp(problems[i], path, strlen(path)) == 0);
	assert(problems[n] == NULL);
	int line = 0;
	(void)config_get(c, "worker.max_jobs", &line);
	config_free(c);
	return 0;
}
