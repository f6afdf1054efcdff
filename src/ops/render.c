/* ops/render.c: jobs and hosts as JSON and as text; see render.h. */
#include "ops/render.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/env.h"
#include "core/retry.h"
#include "util/strbuf.h"
#include "util/text.h"
#include "util/timeutil.h"

json_t *render_str_or_null(const char *s)
{
	return s ? json_string(s) : json_null();
}

static json_t *time_or_null(int64_t ms)
{
	char buf[40];
	return ms > 0 ? json_string(format_time_ms(ms, buf, sizeof(buf))) : json_null();
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

/* ---- a job's fields, written once for two writers ----
 *
 * The fields of the job object are listed once (job_fields); a writer
 * makes them a jansson tree (render_job_json, for objects that get more
 * members, like job show's) or JSON text straight into a buffer
 * (render_job_json_text, for pages of many jobs, several times faster).
 * Both write the same members, in the same order, with the same values. */

/* Each key comes with its length (K): the text writer copies it without
 * measuring it, sixty times a job. */
typedef struct writer writer_t;
struct writer {
	void (*num)(writer_t *w, const char *key, size_t klen, int64_t v);
	void (*real)(writer_t *w, const char *key, size_t klen, double v);
	/* s NULL: null */
	void (*str)(writer_t *w, const char *key, size_t klen, const char *s);
	void (*boolean)(writer_t *w, const char *key, size_t klen, bool v);
	/* ms 0 or less: null; else the time as format_time_ms writes it */
	void (*time)(writer_t *w, const char *key, size_t klen, int64_t ms);
	void (*list_begin)(writer_t *w, const char *key, size_t klen);
	void (*list_str)(writer_t *w, const char *s);
	void (*list_end)(writer_t *w);
};

/* A key literal and its length, for the writer's members. */
#define K(lit) lit, sizeof(lit) - 1

static void put_num_or_null(writer_t *w, const char *key, size_t klen, bool has, int64_t v)
{
	if (has)
		w->num(w, key, klen, v);
	else
		w->str(w, key, klen, NULL);
}

static void put_real_or_null(writer_t *w, const char *key, size_t klen, bool has, double v)
{
	if (has)
		w->real(w, key, klen, v);
	else
		w->str(w, key, klen, NULL);
}

static void put_list(writer_t *w, const char *key, size_t klen, char *const *v, size_t n)
{
	w->list_begin(w, key, klen);
	for (size_t i = 0; i < n; i++)
		w->list_str(w, v[i]);
	w->list_end(w);
}

/* The container options: every member always, empty or null when not given,
 * so that a reader need not guess. */
static void container_fields(const job_container_t *c, writer_t *w)
{
	put_list(w, K("volumes"), c->volumes, c->nvolumes);
	put_list(w, K("mounts"), c->mounts, c->nmounts);
	put_list(w, K("tmpfs"), c->tmpfs, c->ntmpfs);
	w->str(w, K("user"), c->user);
	w->str(w, K("entrypoint"), c->entrypoint);
	w->str(w, K("hostname"), c->hostname);
	put_list(w, K("labels"), c->labels, c->nlabels);
	w->str(w, K("network"), c->network);
	w->str(w, K("pull"), c->pull ? ctr_pull_names[c->pull] : NULL);
	w->boolean(w, K("read_only"), c->read_only);
	put_num_or_null(w, K("shm_size_bytes"), c->shm_size != 0, c->shm_size);
	w->boolean(w, K("init"), c->init);
	put_list(w, K("cap_add"), c->cap_add, c->ncap_add);
	put_list(w, K("cap_drop"), c->cap_drop, c->ncap_drop);
	w->list_begin(w, K("security_opt"));
	if (c->no_new_privileges)
		w->list_str(w, "no-new-privileges");
	w->list_end(w);
	w->str(w, K("gpus"), c->gpus);
}

/* The job's members in order. A summary (summary true) has only those the
 * store reads for one (JOB_SUMMARY_COLUMNS, job_filter_t.summary): what a
 * list of jobs shows. */
static void job_fields(const job_t *j, bool show_secrets, bool summary, writer_t *w)
{
	w->num(w, K("id"), j->id);
	if (!summary)
		w->str(w, K("uuid"), j->uuid);
	w->str(w, K("name"), j->name);
	w->str(w, K("status"), job_status_name(j->status));
	w->str(w, K("image"), j->image);
	if (!summary) {
		w->list_begin(w, K("command"));
		for (size_t i = 0; i < j->argc; i++)
			w->list_str(w, j->argv[i]);
		w->list_end(w);
		w->str(w, K("workdir"), j->workdir);
		w->list_begin(w, K("env"));
		for (size_t i = 0; i < j->envc; i++) {
			char *e = render_env_entry(j->env[i], show_secrets);
			w->list_str(w, e);
			free(e);
		}
		w->list_end(w);
		w->str(w, K("template"), j->template_name);
		put_num_or_null(w, K("memory_bytes"), j->memory_bytes != 0, j->memory_bytes);
		put_real_or_null(w, K("cpus"), j->nano_cpus != 0, (double)j->nano_cpus / 1e9);
		put_num_or_null(w, K("timeout_seconds"), j->timeout_s != JOB_TIMEOUT_DEFAULT,
				j->timeout_s);
	}
	w->num(w, K("priority"), j->priority);
	w->time(w, K("not_before"), j->not_before);
	w->num(w, K("waiting_on"), j->waiting_on);
	w->str(w, K("host"), j->host);
	w->num(w, K("max_retries"), j->max_retries);
	if (!summary) {
		/* The strategy's name, and the delays the job's retries wait by. */
		retry_strategy_t policy;
		if (retry_policy_parse(j->retry_strategy, &policy, NULL) < 0)
			policy = *retry_strategy_find(NULL);
		w->str(w, K("retry_strategy"), policy.name);
		w->num(w, K("retry_delay_seconds"), policy.base_ms / 1000);
		w->real(w, K("retry_factor"), policy.factor);
		w->num(w, K("retry_max_delay_seconds"), policy.ceiling_ms / 1000);
		w->str(w, K("retry_on_exit_code"), j->retry_exit_codes);
		container_fields(&j->ctr, w);
	}
	w->num(w, K("attempt"), j->attempt);
	put_num_or_null(w, K("exit_code"), j->has_exit_code, j->exit_code);
	w->time(w, K("created_at"), j->created_at);
	w->time(w, K("queued_at"), j->queued_at);
	w->time(w, K("started_at"), j->started_at);
	w->time(w, K("finished_at"), j->finished_at);
	if (!summary) {
		put_num_or_null(w, K("peak_memory_bytes"), j->peak_memory_bytes >= 0,
				j->peak_memory_bytes);
		put_real_or_null(w, K("cpu_seconds"), j->cpu_usage_ns >= 0,
				 (double)j->cpu_usage_ns / 1e9);
	}
	w->str(w, K("last_error"), j->last_error);
	w->str(w, K("ran_on"), j->ran_on);
	if (!summary) {
		w->str(w, K("container_name"), j->container_name);
		w->str(w, K("container_id"), j->container_id);
	}
	put_num_or_null(w, K("schedule_id"), j->schedule_id != 0, j->schedule_id);
	if (!summary)
		w->time(w, K("due_at"), j->due_at);
}

/* Text that is not valid UTF-8 (a job's fields are checked at submit, an
 * engine's messages are not) with each bad byte as U+FFFD, so that both
 * writers keep the member instead of dropping it; NULL when s is valid. */
static char *utf8_repaired(const char *s)
{
	size_t n = strlen(s);
	if (utf8_valid(s, n))
		return NULL;
	strbuf_t sb = STRBUF_INIT;
	utf8_repair(s, n, &sb);
	return sb_steal(&sb);
}

/* The tree writer. */
typedef struct {
	writer_t w;
	json_t *o, *list;
	const char *list_key;
} tree_t;

static json_t *tree_string(const char *s)
{
	if (!s)
		return json_null();
	char *fixed = utf8_repaired(s);
	json_t *v = json_string(fixed ? fixed : s);
	free(fixed);
	return v;
}

/* The tree writer's keys are C strings: jansson takes them so. */
static void tree_num(writer_t *w, const char *key, size_t klen, int64_t v)
{
	(void)klen;
	json_object_set_new(((tree_t *)w)->o, key, json_integer(v));
}

static void tree_real(writer_t *w, const char *key, size_t klen, double v)
{
	(void)klen;
	json_object_set_new(((tree_t *)w)->o, key, json_real(v));
}

static void tree_str(writer_t *w, const char *key, size_t klen, const char *s)
{
	(void)klen;
	json_object_set_new(((tree_t *)w)->o, key, tree_string(s));
}

static void tree_bool(writer_t *w, const char *key, size_t klen, bool v)
{
	(void)klen;
	json_object_set_new(((tree_t *)w)->o, key, json_boolean(v));
}

static void tree_time(writer_t *w, const char *key, size_t klen, int64_t ms)
{
	(void)klen;
	json_object_set_new(((tree_t *)w)->o, key, time_or_null(ms));
}

static void tree_list_begin(writer_t *w, const char *key, size_t klen)
{
	(void)klen;
	tree_t *t = (tree_t *)w;
	t->list = json_array();
	t->list_key = key;
}

static void tree_list_str(writer_t *w, const char *s)
{
	json_array_append_new(((tree_t *)w)->list, tree_string(s));
}

static void tree_list_end(writer_t *w)
{
	tree_t *t = (tree_t *)w;
	json_object_set_new(t->o, t->list_key, t->list);
	t->list = NULL;
}

json_t *render_job_json(const job_t *j, bool show_secrets)
{
	tree_t t = {{tree_num, tree_real, tree_str, tree_bool, tree_time, tree_list_begin,
		     tree_list_str, tree_list_end},
		    json_object(), NULL, NULL};
	if (!t.o)
		return NULL;
	job_fields(j, show_secrets, false, &t.w);
	return t.o;
}

/* The text writer: compact JSON as jansson's json_dumps(JSON_COMPACT)
 * writes it. A page writes some sixty members for each of fifty jobs, so
 * it writes into room reserved in the buffer ahead, through a cursor,
 * rather than one append call per piece: the calls' checks were most of a
 * member's cost. A buffer that cannot give room (a limited one, or out of
 * memory) is written through sb_append piece by piece instead. */
typedef struct {
	writer_t w;
	strbuf_t *sb;
	bool first, list_first;
	char *p, *end;     /* the reserved room: p is where the next byte goes */
} text_t;

#define TEXT_ROOM 4096

/* What the cursor wrote, accounted to the buffer. */
static inline void text_sync(text_t *t)
{
	if (t->p) {
		sb_wrote(t->sb, (size_t)(t->p - (t->sb->buf + t->sb->len)));
		t->p = t->end = NULL;
	}
}

/* Room for n more bytes at t->p; false when the buffer gives none (then
 * write through text_put's append). */
static inline bool text_need(text_t *t, size_t n)
{
	if (t->p && (size_t)(t->end - t->p) >= n)
		return true;
	text_sync(t);
	size_t want = n > TEXT_ROOM ? n : TEXT_ROOM;
	char *room = sb_room(t->sb, want);
	if (!room)
		return false;
	t->p = room;
	t->end = room + want;
	return true;
}

static inline void text_put(text_t *t, const char *data, size_t n)
{
	if (text_need(t, n)) {
		memcpy(t->p, data, n);
		t->p += n;
	} else {
		sb_append(t->sb, data, n);
	}
}

/* The escaped form of a byte that JSON does not take as it is, into out
 * (at least 7 bytes); its length. */
static size_t text_escape(unsigned char c, char *out)
{
	static const char hex[] = "0123456789ABCDEF";
	const char *two = NULL;
	switch (c) {
	case '"': two = "\\\""; break;
	case '\\': two = "\\\\"; break;
	case '\b': two = "\\b"; break;
	case '\f': two = "\\f"; break;
	case '\n': two = "\\n"; break;
	case '\r': two = "\\r"; break;
	case '\t': two = "\\t"; break;
	}
	if (two) {
		memcpy(out, two, 2);
		return 2;
	}
	memcpy(out, "\\u00", 4);
	out[4] = hex[c >> 4];
	out[5] = hex[c & 15];
	return 6;
}

/* Whether JSON takes byte c as it is (a byte of a multibyte UTF-8 sequence
 * included: text_string checks those once for the whole string). */
static bool text_plain(unsigned char c)
{
	return c >= 0x20 && c != '"' && c != '\\';
}

/* s as a JSON string, escaped, in one pass over it: most text is plain
 * ASCII, and a page writes some fifteen strings a job. */
static void text_string(text_t *t, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t n = strlen(s);
	/* Written in place: the worst case, every byte as \u00XX, is room
	 * enough. Plain runs are copied whole. */
	if (n >= SIZE_MAX / 8 || !text_need(t, 6 * n + 2)) {
		/* No room to be had: byte by byte through append. */
		char *fixed = utf8_repaired(s);
		sb_putc(t->sb, '"');
		for (p = (const unsigned char *)(fixed ? fixed : s); *p; p++) {
			char e[8];
			if (text_plain(*p))
				sb_putc(t->sb, (char)*p);
			else
				sb_append(t->sb, e, text_escape(*p, e));
		}
		sb_putc(t->sb, '"');
		free(fixed);
		return;
	}
	char *out = t->p;
	size_t o = 0;
	bool utf8_checked = false;
	out[o++] = '"';
	const unsigned char *run = p;
	for (; *p; p++) {
		if (text_plain(*p)) {
			if (*p < 0x80 || utf8_checked)
				continue;
			/* The first high byte: is the whole string valid UTF-8?
			 * If not, write its repaired form instead (which is). */
			if (!utf8_valid(s, n)) {
				char *fixed = utf8_repaired(s);
				if (fixed)
					text_string(t, fixed);
				else
					text_put(t, "null", 4);
				free(fixed);
				return;
			}
			utf8_checked = true;
			continue;
		}
		memcpy(out + o, run, (size_t)(p - run));
		o += (size_t)(p - run);
		o += text_escape(*p, out + o);
		run = p + 1;
	}
	memcpy(out + o, run, (size_t)(p - run));
	o += (size_t)(p - run);
	out[o++] = '"';
	t->p += o;
}

/* Keys are this file's own plain words: no escaping to look for. */
static void text_key(text_t *t, const char *key, size_t n)
{
	if (!text_need(t, n + 4)) {
		if (!t->first)
			sb_putc(t->sb, ',');
		t->first = false;
		sb_putc(t->sb, '"');
		sb_append(t->sb, key, n);
		sb_append(t->sb, "\":", 2);
		return;
	}
	char *out = t->p;
	if (!t->first)
		*out++ = ',';
	t->first = false;
	*out++ = '"';
	memcpy(out, key, n);
	out += n;
	*out++ = '"';
	*out++ = ':';
	t->p = out;
}

/* Digits from the end of a small buffer: printf's machinery for one
 * integer was a tenth of a page's cost. */
static void text_int(text_t *t, int64_t v)
{
	char buf[24];
	size_t o = sizeof(buf);
	uint64_t u = v < 0 ? 0 - (uint64_t)v : (uint64_t)v;
	do {
		buf[--o] = (char)('0' + u % 10);
		u /= 10;
	} while (u);
	if (v < 0)
		buf[--o] = '-';
	text_put(t, buf + o, sizeof(buf) - o);
}

static void text_num(writer_t *w, const char *key, size_t klen, int64_t v)
{
	text_t *t = (text_t *)w;
	text_key(t, key, klen);
	text_int(t, v);
}

/* A real as jansson writes it: 17 significant digits, always with a point
 * or an exponent (so that it reads back as a real), no "+" or leading
 * zeros in the exponent. */
static void text_real(writer_t *w, const char *key, size_t klen, double v)
{
	text_t *t = (text_t *)w;
	char buf[64], out[64];
	text_key(t, key, klen);
	/* A whole number (a retry factor of 2, say) is its integer and ".0":
	 * what %.17g and jansson give for it, without printf's float
	 * machinery, which was a fifteenth of a page. Not -0.0, whose sign
	 * the integer would lose. */
	if (v > -1e15 && v < 1e15 && v == (double)(int64_t)v && (v != 0 || !signbit(v))) {
		text_int(t, (int64_t)v);
		text_put(t, ".0", 2);
		return;
	}
	snprintf(buf, sizeof(buf), "%.17g", v);
	if (!strchr(buf, '.') && !strchr(buf, 'e'))
		strcat(buf, ".0");
	size_t o = 0;
	for (const char *p = buf; *p && o < sizeof(out) - 1; p++) {
		out[o++] = *p;
		if (*p == 'e') {
			if (p[1] == '+')
				p++;
			else if (p[1] == '-')
				out[o++] = *++p;
			while (p[1] == '0' && p[2])
				p++;
		}
	}
	text_put(t, out, o);
}

static void text_str(writer_t *w, const char *key, size_t klen, const char *s)
{
	text_t *t = (text_t *)w;
	text_key(t, key, klen);
	if (s)
		text_string(t, s);
	else
		text_put(t, "null", 4);
}

static void text_bool(writer_t *w, const char *key, size_t klen, bool v)
{
	text_t *t = (text_t *)w;
	text_key(t, key, klen);
	if (v)
		text_put(t, "true", 4);
	else
		text_put(t, "false", 5);
}

/* A time is digits and "-:.TZ": nothing to escape, so it is written as it
 * is formatted, without text_string's scan. */
static void text_time(writer_t *w, const char *key, size_t klen, int64_t ms)
{
	text_t *t = (text_t *)w;
	char buf[40];
	text_key(t, key, klen);
	if (ms <= 0) {
		text_put(t, "null", 4);
		return;
	}
	buf[0] = '"';
	size_t n = strlen(format_time_ms(ms, buf + 1, sizeof(buf) - 2)) + 1;
	buf[n++] = '"';
	text_put(t, buf, n);
}

static void text_list_begin(writer_t *w, const char *key, size_t klen)
{
	text_t *t = (text_t *)w;
	text_key(t, key, klen);
	text_put(t, "[", 1);
	t->list_first = true;
}

static void text_list_str(writer_t *w, const char *s)
{
	text_t *t = (text_t *)w;
	if (!t->list_first)
		text_put(t, ",", 1);
	t->list_first = false;
	if (s)
		text_string(t, s);
	else
		text_put(t, "null", 4);
}

static void text_list_end(writer_t *w)
{
	text_put((text_t *)w, "]", 1);
}

static void job_text(strbuf_t *sb, const job_t *j, bool show_secrets, bool summary)
{
	text_t t = {{text_num, text_real, text_str, text_bool, text_time, text_list_begin,
		     text_list_str, text_list_end},
		    sb, true, true, NULL, NULL};
	text_put(&t, "{", 1);
	job_fields(j, show_secrets, summary, &t.w);
	text_put(&t, "}", 1);
	text_sync(&t);
}

void render_job_json_text(strbuf_t *sb, const job_t *j, bool show_secrets)
{
	job_text(sb, j, show_secrets, false);
}

void render_job_summary_text(strbuf_t *sb, const job_t *j)
{
	job_text(sb, j, false, true);
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
	json_object_set_new(o, "network_mode", render_str_or_null(h->network_mode));
	json_t *bind = json_array(), *caps = json_array();
	for (size_t i = 0; bind && i < h->allow.nbind; i++)
		json_array_append_new(bind, json_string(h->allow.bind[i]));
	for (size_t i = 0; caps && i < h->allow.ncap_add; i++)
		json_array_append_new(caps, json_string(h->allow.cap_add[i]));
	json_object_set_new(o, "allow_bind", bind ? bind : json_null());
	json_object_set_new(o, "allow_cap_add", caps ? caps : json_null());
	json_object_set_new(o, "allow_gpus", json_boolean(h->allow.gpus));
	json_object_set_new(o, "tls_ca", render_str_or_null(h->tls_ca));
	json_object_set_new(o, "tls_cert", render_str_or_null(h->tls_cert));
	json_object_set_new(o, "tls_key", render_str_or_null(h->tls_key));
	json_object_set_new(o, "tls_verify", json_boolean(h->tls_verify));
	/* The file's path; its credentials are never read here. */
	json_object_set_new(o, "registry_auth", render_str_or_null(h->registry_auth));
	json_object_set_new(o, "created_at", time_or_null(h->created_at));
	json_object_set_new(o, "checked_at", time_or_null(h->checked_at));
	json_object_set_new(o, "check_ok", h->checked_at ? json_boolean(h->check_ok) : json_null());
	json_object_set_new(o, "check_message", render_str_or_null(h->check_message));
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
		json_object_set_new(o, "actor", render_str_or_null(ev[i].actor));
		json_object_set_new(o, "reason", render_str_or_null(ev[i].reason));
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
