/*
 * fuzz/fuzz_container.c: the parsers of a job's container options
 * (core/container.c) on any text, as the API and --file lines hand them
 * over. The first byte picks the parser, the rest is the value. What one
 * accepts must read back the same when parsed again (the stored form is
 * checked that way at submit), and a --volume or --mount must parse for
 * the engine's create body; what one refuses must come with a message.
 */
#include <assert.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/container.h"

typedef int (*canon_fn)(const char *text, char **out, char **err);

static int cap_canon(const char *t, char **o, char **e)
{
	return ctr_cap_canon("--cap-add", t, o, e);
}

static const canon_fn parsers[] = {
	ctr_volume_canon,   ctr_mount_canon,   ctr_tmpfs_canon,   ctr_user_canon,
	ctr_hostname_canon, ctr_label_canon,   ctr_network_canon, ctr_entrypoint_canon,
	cap_canon,          ctr_gpus_canon,    ctr_allow_path_canon,
};
#define NPARSERS (sizeof(parsers) / sizeof(parsers[0]))

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	size_t which = data[0] % NPARSERS;
	char *text = strndup((const char *)data + 1, size - 1);
	if (!text)
		return 0;
	char *out = NULL, *err = NULL;
	if (parsers[which](text, &out, &err) == 0) {
		assert(out && !err);
		char *again = NULL;
		assert(parsers[which](out, &again, &err) == 0);
		assert(strcmp(again, out) == 0);
		free(again);
		ctr_mount_t m;
		if (which == 0)
			assert(ctr_volume_parse(out, &m, &err) == 0);
		if (which == 1)
			assert(ctr_mount_parse(out, &m, &err) == 0);
		if (which <= 1)
			ctr_mount_free(&m);
	} else {
		assert(!out && err && *err);
	}
	free(out);
	free(err);
	free(text);
	return 0;
}
