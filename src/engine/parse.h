/*
 * engine/parse.h: reading the engine's JSON answers into engine.h's
 * records. Pure functions over a parsed document, shared by the request
 * callbacks and the fuzz targets (fuzz/): whatever the engine sends, they
 * never fail worse than leaving a field NULL or -1. Strings in the records
 * point into the document: valid while it lives.
 */
#ifndef CJOBS_ENGINE_PARSE_H
#define CJOBS_ENGINE_PARSE_H

#include <jansson.h>
#include <stdbool.h>

#include "engine/engine.h"

/* GET /containers/ID/json. False when it lacks an Id or a State. */
bool parse_inspect(const json_t *j, engine_container_t *ct);
/* One element of GET /containers/json. False when it has no Id. */
bool parse_list_item(const json_t *item, engine_container_t *ct);
/* One line of GET /events, already parsed. False when it is not an event
 * with an action and a container id. exit_code is -1..255. */
bool parse_event(const json_t *j, engine_event_t *e);
/* GET /containers/ID/stats?stream=false. */
void parse_stats(const json_t *j, engine_stats_t *s);

#endif
