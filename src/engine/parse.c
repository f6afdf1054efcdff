/*
 * engine/parse.c: the engine's JSON answers into records; see parse.h.
 */
#include "engine/parse.h"

#include <stdlib.h>
#include <string.h>

#include "engine/internal.h"
#include "engine/rfc3339.h"

static int64_t time_field(const json_t *o, const char *key)
{
	int64_t ms = 0;
	const char *s = jstr(o, key);
	if (s && !rfc3339_ms(s, &ms))
		ms = 0;
	return ms;
}

static const char *strip_slash(const char *name)
{
	return name && name[0] == '/' ? name + 1 : name;
}

static void fill_labels(engine_container_t *c, const json_t *labels)
{
	c->label_job = jstr(labels, "cjobs.job");
	c->label_attempt = jstr(labels, "cjobs.attempt");
	c->label_store = jstr(labels, "cjobs.store");
}

/* An exit code as the engine reports it, kept within what a process can
 * return (-1: none). */
static int exit_code_of(int64_t v)
{
	return v >= -1 && v <= 255 ? (int)v : -1;
}

bool parse_inspect(const json_t *j, engine_container_t *ct)
{
	const json_t *state = jobj(j, "State");
	const char *error = jstr(state, "Error");
	*ct = (engine_container_t){
		.id = jstr(j, "Id"),
		.name = strip_slash(jstr(j, "Name")),
		.state = jstr(state, "Status"),
		.running = json_is_true(json_object_get(state, "Running")),
		.oom_killed = json_is_true(json_object_get(state, "OOMKilled")),
		.exit_code = exit_code_of(jint(state, "ExitCode", -1)),
		.error = error ? error : "",
		.started_at = time_field(state, "StartedAt"),
		.finished_at = time_field(state, "FinishedAt"),
	};
	fill_labels(ct, jobj(jobj(j, "Config"), "Labels"));
	return ct->id && ct->state;
}

bool parse_list_item(const json_t *item, engine_container_t *ct)
{
	const json_t *names = json_object_get(item, "Names");
	const char *state = jstr(item, "State");
	memset(ct, 0, sizeof(*ct));
	ct->id = jstr(item, "Id");
	ct->name = strip_slash(json_string_value(json_array_get(names, 0)));
	ct->state = state ? state : "";
	ct->running = state && strcmp(state, "running") == 0;
	ct->exit_code = -1;
	ct->error = "";
	fill_labels(ct, jobj(item, "Labels"));
	if (!ct->name)
		ct->name = "";
	return ct->id != NULL;
}

bool parse_event(const json_t *j, engine_event_t *e)
{
	const json_t *actor = jobj(j, "Actor");
	const json_t *attrs = jobj(actor, "Attributes");
	*e = (engine_event_t){
		.action = jstr(j, "Action"),
		.id = jstr(actor, "ID"),
		.exit_code = -1,
		.label_job = jstr(attrs, "cjobs.job"),
		.label_attempt = jstr(attrs, "cjobs.attempt"),
		.label_store = jstr(attrs, "cjobs.store"),
		.time_ns = jint(j, "timeNano", 0),
	};
	if (!e->action) /* engines before API 1.22 */
		e->action = jstr(j, "status");
	if (!e->id)
		e->id = jstr(j, "id");
	if (!e->time_ns) {
		int64_t s = jint(j, "time", 0);
		/* Seconds that would overflow as nanoseconds are not a time. */
		e->time_ns = s > 0 && s < INT64_MAX / 1000000000 ? s * 1000000000 : 0;
	}
	const char *code = jstr(attrs, "exitCode");
	if (code && e->action && strcmp(e->action, "die") == 0) {
		char *end;
		long v = strtol(code, &end, 10);
		if (end != code && *end == '\0' && v >= -1 && v <= 255)
			e->exit_code = (int)v;
	}
	return e->action && e->id;
}

void parse_stats(const json_t *j, engine_stats_t *s)
{
	const json_t *mem = jobj(j, "memory_stats");
	const json_t *cpu = jobj(jobj(j, "cpu_stats"), "cpu_usage");
	*s = (engine_stats_t){
		.memory_bytes = jint(mem, "usage", -1),
		.memory_peak_bytes = jint(mem, "max_usage", -1), /* cgroup v1 only */
		.cpu_total_ns = jint(cpu, "total_usage", -1),
	};
}
