/*
 * fuzz/fuzz_registry_auth.c: a registry credentials file (a Docker
 * config.json, engine/registry_auth.c) of any bytes. The whole-file check
 * and the lookup agree on whether the file is good; a lookup that finds
 * credentials makes a header; and a message about a bad file never holds
 * a value of an auths entry (they are secrets). Files naming credential
 * helpers are only checked, never looked up: a lookup would run them.
 */
#include <assert.h>
#include <stdbool.h>
#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "engine/registry_auth.h"

/* No value of an auths entry is in msg. Only values that hold a '~' are
 * looked for (no fixed text of a message has one) and that are in no key
 * (keys are named in messages, and may hold anything). */
static void assert_no_secret(const uint8_t *data, size_t size, const char *msg)
{
	json_t *root = json_loadb((const char *)data, size, 0, NULL);
	json_t *auths = json_object_get(root, "auths");
	json_t *helpers = json_object_get(root, "credHelpers");
	const char *key, *member;
	json_t *entry, *v;
	json_object_foreach(auths, key, entry)
		json_object_foreach(entry, member, v) {
			const char *s = json_string_value(v);
			if (!s || !strchr(s, '~'))
				continue;
			bool in_key = false;
			const char *k2;
			json_t *v2;
			json_object_foreach(auths, k2, v2)
				in_key = in_key || strstr(k2, s);
			json_object_foreach(helpers, k2, v2)
				in_key = in_key || strstr(k2, s);
			assert(in_key || !strstr(msg, s));
		}
	json_decref(root);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *err = NULL;
	int check = registry_config_check((const char *)data, size, "f.json", &err);
	if (check < 0) {
		assert(err && strncmp(err, "registry credentials file f.json", 32) == 0);
		assert_no_secret(data, size, err);
	}
	free(err);
	err = NULL;
	if (memmem(data, size, "cred", 4))
		return 0;
	static const char *const registries[] = {"docker.io", "127.0.0.1:5000", "r.example", "a"};
	for (size_t i = 0; i < sizeof(registries) / sizeof(registries[0]); i++) {
		registry_cred_t c = {0};
		int rc = registry_config_lookup((const char *)data, size, "f.json", registries[i],
						&c, &err);
		assert((rc < 0) == (check < 0));
		if (rc == 1) {
			char *h = registry_auth_header(&c, registries[i]);
			assert(h && strlen(h) % 4 == 0);
			free(h);
		} else {
			assert(!c.username && !c.password && !c.identitytoken);
		}
		registry_cred_free(&c);
		free(err);
		err = NULL;
	}
	return 0;
}
