/*
 * fuzz/fuzz_engine_json.c: the engine's answers (engine/parse.c) on any
 * bytes: inspect, list, event and stats readers over whatever JSON the
 * bytes make. Nothing may crash; exit codes stay in -1..255; a complete
 * inspect has an id and a state.
 */
#include <assert.h>
#include <jansson.h>
#include <stdint.h>

#include "engine/parse.h"

static void check_container(const engine_container_t *ct, bool complete)
{
	assert(ct->exit_code >= -1 && ct->exit_code <= 255);
	if (complete)
		assert(ct->id && ct->state);
	assert(ct->error);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	json_t *j = json_loadb((const char *)data, size, 0, NULL);
	if (!j)
		return 0;
	engine_container_t ct;
	check_container(&ct, parse_inspect(j, &ct));
	if (json_is_array(j)) {
		for (size_t i = 0; i < json_array_size(j); i++) {
			bool ok = parse_list_item(json_array_get(j, i), &ct);
			check_container(&ct, false);
			assert(!ok || ct.id);
			assert(ct.name && ct.state);
		}
	}
	engine_event_t e;
	if (parse_event(j, &e))
		assert(e.action && e.id);
	assert(e.exit_code >= -1 && e.exit_code <= 255);
	engine_stats_t s;
	parse_stats(j, &s);
	json_decref(j);
	return 0;
}
