/* ops/render.c: jobs and hosts as JSON and as text; see render.h. */
#include "ops/render.h"

#include <stdlib.h>
#include <string.h>

#include "core/env.h"
#include "util/strbuf.h"
#include "util/timeutil.h"

static json_t *str_or_null(const char *s)
{
	return s ? json_string(s) : json_null();
}

static json_t *time_or_null(int64_t ms)
{
	char buf[40];
	return ms > 0 ? json_string(format_time_ms(ms, buf, sizeof(buf))) : json_null();
}

static json_t *num_or_null(int64_t v)
{
	return v >= 0 ? json_integer(v) : json_null();
}

char *render_env_entry(const char *entry, bool show_secrets)
{
	const char *eq = strchr(entry, '=');
	char *out = NULL;
	if (!eq || show_secrets || !env_key_is_secret(entry))
		return strdup(entry);
	if (asprintf(&out, "%.*s=********", (int)(eq - entry), entry) < 0)
		return NULL;
	return out;
}

json_t *render_job_json(const job_t *j, bool show_secrets)
{
	json_t *o = json_object();
	json_t *argv = json_array(), *env = json_array();
	if (!o || !argv || !env) {
		json_decref(o);
		json_decref(argv);
		json_decref(env);
		return NULL;
	}
	for (size_t i = 0; i < j->argc; i++)
		json_array_append_new(argv, json_stringn(j->argv[i], strlen(j->argv[i])));
	for (size_t i = 0; i < j->envc; i++) {
		char *e = render_env_entry(j->env[i], show_secrets);
		json_array_append_new(env, e ? json_string(e) : json_null());
		free(e);
	}
	json_object_set_new(o, "id", json_integer(j->id));
	json_object_set_new(o, "uuid", json_string(j->uuid));
	json_object_set_new(o, "name", str_or_null(j->name));
	json_object_set_new(o, "status", json_string(job_status_name(j->status)));
	json_object_set_new(o, "image", str_or_null(j->image));
	json_object_set_new(o, "command", argv);
	json_object_set_new(o, "workdir", str_or_null(j->workdir));
	json_object_set_new(o, "env", env);
	json_object_set_new(o, "template", str_or_null(j->template_name));
	json_object_set_new(o, "memory_bytes", j->memory_bytes ? json_integer(j->memory_bytes) : json_null());
	json_object_set_new(o, "cpus", j->nano_cpus ? json_real((double)j->nano_cpus / 1e9) : json_null());
	json_object_set_new(o, "timeout_seconds",
			    j->timeout_s == JOB_TIMEOUT_DEFAULT ? json_null() : json_integer(j->timeout_s));
	json_object_set_new(o, "priority", json_integer(j->priority));
	json_object_set_new(o, "not_before", time_or_null(j->not_before));
	json_object_set_new(o, "host", str_or_null(j->host));
	json_object_set_new(o, "max_retries", json_integer(j->max_retries));
	json_object_set_new(o, "retry_strategy",
			    json_string(j->retry_strategy ? j->retry_strategy : "default"));
	json_object_set_new(o, "retry_on_exit_code",
			    j->retry_exit_codes ? json_string(j->retry_exit_codes) : json_null());
	json_object_set_new(o, "attempt", json_integer(j->attempt));
	json_object_set_new(o, "exit_code", j->has_exit_code ? json_integer(j->exit_code) : json_null());
	json_object_set_new(o, "created_at", time_or_null(j->created_at));
	json_object_set_new(o, "queued_at", time_or_null(j->queued_at));
	json_object_set_new(o, "started_at", time_or_null(j->started_at));
	json_object_set_new(o, "finished_at", time_or_null(j->finished_at));
	json_object_set_new(o, "peak_memory_bytes", num_or_null(j->peak_memory_bytes));
	json_object_set_new(o, "cpu_seconds",
			    j->cpu_usage_ns >= 0 ? json_real((double)j->cpu_usage_ns / 1e9) : json_null());
	json_object_set_new(o, "last_error", str_or_null(j->last_error));
	json_object_set_new(o, "ran_on", str_or_null(j->ran_on));
	json_object_set_new(o, "container_name", str_or_null(j->container_name));
	json_object_set_new(o, "container_id", str_or_null(j->container_id));
	return o;
}

json_t *render_host_json(const host_t *h)
{
	json_t *o = json_object();
	if (!o)
		return NULL;
	json_object_set_new(o, "name", json_string(h->name));
	json_object_set_new(o, "url", json_string(h->url));
	json_object_set_new(o, "enabled", json_boolean(h->enabled));
	json_object_set_new(o, "max_jobs", json_integer(h->max_jobs));
	json_object_set_new(o, "weight", json_integer(h->weight));
	json_object_set_new(o, "pull_images", json_boolean(h->pull_images));
	json_object_set_new(o, "network_mode", str_or_null(h->network_mode));
	json_object_set_new(o, "tls_ca", str_or_null(h->tls_ca));
	json_object_set_new(o, "tls_cert", str_or_null(h->tls_cert));
	json_object_set_new(o, "tls_key", str_or_null(h->tls_key));
	json_object_set_new(o, "tls_verify", json_boolean(h->tls_verify));
	json_object_set_new(o, "created_at", time_or_null(h->created_at));
	json_object_set_new(o, "checked_at", time_or_null(h->checked_at));
	json_object_set_new(o, "check_ok", h->checked_at ? json_boolean(h->check_ok) : json_null());
	json_object_set_new(o, "check_message", str_or_null(h->check_message));
	return o;
}

json_t *render_history_json(const job_event_t *ev, size_t n)
{
	json_t *a = json_array();
	for (size_t i = 0; a && i < n; i++) {
		json_t *o = json_object();
		if (!o)
			break;
		json_object_set_new(o, "at", time_or_null(ev[i].at));
		json_object_set_new(o, "attempt", json_integer(ev[i].attempt));
		json_object_set_new(o, "from", ev[i].from == JOB_STATUS_COUNT
						       ? json_null()
						       : json_string(job_status_name(ev[i].from)));
		json_object_set_new(o, "to", json_string(job_status_name(ev[i].to)));
		json_object_set_new(o, "actor", str_or_null(ev[i].actor));
		json_object_set_new(o, "reason", str_or_null(ev[i].reason));
		json_array_append_new(a, o);
	}
	return a;
}

char *render_bytes(int64_t bytes, char *buf, size_t size)
{
	static const char *const units[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB"};
	if (bytes < 0) {
		snprintf(buf, size, "-");
		return buf;
	}
	double v = (double)bytes;
	size_t u = 0;
	while (v >= 1024 && u + 1 < sizeof(units) / sizeof(units[0])) {
		v /= 1024;
		u++;
	}
	if (u == 0)
		snprintf(buf, size, "%lld B", (long long)bytes);
	else
		snprintf(buf, size, "%.1f %s", v, units[u]);
	return buf;
}

static bool needs_quotes(const char *s)
{
	if (!*s)
		return true;
	for (; *s; s++)
		if (!(((*s | 32) >= 'a' && (*s | 32) <= 'z') || (*s >= '0' && *s <= '9') ||
		      strchr("-_./=:,+@%", *s)))
			return true;
	return false;
}

char *render_argv(char *const *argv, size_t argc)
{
	strbuf_t sb = STRBUF_INIT;
	for (size_t i = 0; i < argc; i++) {
		if (i)
			sb_putc(&sb, ' ');
		if (!needs_quotes(argv[i])) {
			sb_puts(&sb, argv[i]);
			continue;
		}
		sb_putc(&sb, '\'');
		for (const char *p = argv[i]; *p; p++) {
			if (*p == '\'')
				sb_puts(&sb, "'\\''");
			else
				sb_putc(&sb, *p);
		}
		sb_putc(&sb, '\'');
	}
	return sb_steal(&sb);
}

int render_print_json(FILE *f, json_t *j)
{
	if (!j)
		return -1;
	int rc = json_dumpf(j, f, JSON_INDENT(2) | JSON_ENSURE_ASCII);
	fputc('\n', f);
	return rc;
}
