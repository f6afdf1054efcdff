/*
 * engine/mock.c: the mock executor, a host registered as mock://. It is a
 * product feature, for dry runs of a queue and for measuring cjobs itself:
 * every container it is asked for "runs" at once and exits 0 with no
 * output. It answers at the request level with the bodies and statuses a
 * Docker engine would send, so every answer goes through the same parsing
 * as a real one (req_answered); only the transport is skipped. Requests
 * end in the loop's done queue like any other, so callbacks still run only
 * in engine_loop_run.
 *
 * Each mock engine keeps a table of its containers (mock_table.c), so that
 * it answers as an engine would, and a dry run meets what a real run
 * meets: create records the name, image and labels ("created"), and a
 * name in use is a 409; start runs the container, which exits 0 within
 * the call and has its "die" announced on the event streams whose label
 * filters it matches (mock_events.c, which also keeps what a paused
 * stream's reader cannot take yet); inspect tells its real state, name,
 * labels and exit code; kill is a 409 (it is never found running), stop a
 * 304; remove takes it out of the table; list shows the table, by the
 * label filter asked for; an id or name the table does not hold is a 404
 * for every one of them. The table lives as long as the engine: a new
 * process starts with none, so a job whose worker died is found without
 * its container, as on an engine whose container was removed.
 */
#include "engine/mock.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

/* A mock engine's own state: its containers, and what their ids are made
 * of, random per engine and numbered within it, so that a container of a
 * process that died is never mistaken for one of the process after it. */
typedef struct mock {
	mock_table_t *table;
	uint64_t nonce[3];
	uint64_t seq;
} mock_t;

static void answer(engine_req_t *r, long status, const char *body)
{
	sb_reset(&r->resp);
	if (body)
		sb_puts(&r->resp, body);
	if (r->resp.failed) {
		req_fail_now(r, "out of memory");
		return;
	}
	r->http_status = status;
	req_answered(r);
}

/* The same with a body built in b, which becomes the answer (no copy). */
static void answer_sb(engine_req_t *r, long status, strbuf_t *b)
{
	if (b->failed) {
		sb_free(b);
		req_fail_now(r, "out of memory");
		return;
	}
	sb_free(&r->resp);
	r->resp = *b;
	sb_init(b, 0);
	r->http_status = status;
	req_answered(r);
}

/* An engine's error answer: {"message": msg}. */
static void answer_error(engine_req_t *r, long status, const char *msg)
{
	json_t *j = json_pack("{s:s}", "message", msg);
	char *body = j ? json_dumps(j, JSON_COMPACT) : NULL;
	json_decref(j);
	if (!body) {
		req_fail_now(r, "out of memory");
		return;
	}
	answer(r, status, body);
	free(body);
}

void mock_answer_error(engine_req_t *r, long status, const char *msg)
{
	answer_error(r, status, msg);
}

static void no_such(engine_req_t *r, const char *key)
{
	char *msg = NULL;
	if (asprintf(&msg, "No such container: %s", key) < 0) {
		req_fail_now(r, "out of memory");
		return;
	}
	answer_error(r, 404, msg);
	free(msg);
}

static mock_t *mock_of(engine_t *e)
{
	if (e->mock_state)
		return e->mock_state;
	mock_t *m = calloc(1, sizeof(*m));
	if (!m)
		return NULL;
	m->table = mock_table_new();
	if (!m->table) {
		free(m);
		return NULL;
	}
	if (getrandom(m->nonce, sizeof(m->nonce), 0) != (ssize_t)sizeof(m->nonce)) {
		struct timespec ts;
		clock_gettime(CLOCK_REALTIME, &ts);
		m->nonce[0] = (uint64_t)ts.tv_sec ^ (uint64_t)(uintptr_t)m;
		m->nonce[1] = (uint64_t)ts.tv_nsec;
		m->nonce[2] = (uint64_t)getpid();
	}
	e->mock_state = m;
	return m;
}

void mock_engine_free(engine_t *e)
{
	mock_t *m = e->mock_state;
	if (!m)
		return;
	mock_table_free(m->table);
	free(m);
	e->mock_state = NULL;
}

static int64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* An engine's time: RFC 3339 with nanoseconds. */
static void rfc3339(int64_t ns, char *buf, size_t size)
{
	time_t s = (time_t)(ns / 1000000000);
	struct tm tm;
	gmtime_r(&s, &tm);
	size_t n = strftime(buf, size, "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(buf + n, size - n, ".%09lldZ", (long long)(ns % 1000000000));
}

/* ---- create ---- */

/* A bijection of 64 bits (splitmix64's finaliser): ids that differ in
 * their first characters, as an engine's random ones do, and never the
 * same for two numbers. */
static uint64_t mix(uint64_t z)
{
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* Docker's rule for a container name: [a-zA-Z0-9][a-zA-Z0-9_.-]+. */
static bool name_ok(const char *s)
{
	if (!s[0] || !s[1])
		return false;
	for (const char *p = s; *p; p++) {
		char c = *p;
		bool alnum = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
		if (!alnum && (p == s || (c != '_' && c != '.' && c != '-')))
			return false;
	}
	return true;
}

/* s as a JSON string (s is UTF-8: jansson checked it when the body was
 * built or read). By hand: json_dumps of each container's labels was a
 * fifth of the mock's cost per job. */
static void put_string(strbuf_t *b, const char *s)
{
	static const char hex[] = "0123456789abcdef";
	sb_putc(b, '"');
	const char *run = s;
	for (const char *p = s; *p; p++) {
		unsigned char c = (unsigned char)*p;
		if (c >= 0x20 && c != '"' && c != '\\')
			continue;
		sb_append(b, run, (size_t)(p - run));
		char esc[6] = {'\\', (char)c, 0, 0, 0, 0};
		size_t n = 2;
		if (c < 0x20) {
			memcpy(esc + 1, "u00", 3);
			esc[4] = hex[c >> 4];
			esc[5] = hex[c & 15];
			n = 6;
		}
		sb_append(b, esc, n);
		run = p + 1;
	}
	sb_puts(b, run);
	sb_putc(b, '"');
}

/* The body's Image and Labels (checked: strings only); NULL, with *why,
 * when the body is not a container configuration. The body is the one
 * engine_create built (req_body_json), or text. */
static mock_ctr_t *ctr_from_body(engine_req_t *r, const char **why)
{
	json_t *j = r->body_json ? json_incref(r->body_json)
		    : r->body    ? json_loads(r->body, 0, NULL)
				 : NULL;
	mock_ctr_t *c = calloc(1, sizeof(*c));
	strbuf_t text;
	sb_init(&text, 0);
	*why = "out of memory";
	if (!c)
		goto bad;
	if (!json_is_object(j)) {
		*why = "config cannot be empty in order to create a container";
		goto bad;
	}
	json_t *image = json_object_get(j, "Image");
	json_t *labels = json_object_get(j, "Labels");
	const char *key;
	json_t *v;
	if ((image && !json_is_string(image)) || (labels && !json_is_object(labels))) {
		*why = "invalid JSON: Image must be a string and Labels an object";
		goto bad;
	}
	sb_putc(&text, '{');
	json_object_foreach(labels, key, v) {
		if (!json_is_string(v)) {
			*why = "invalid JSON: every label's value must be a string";
			goto bad;
		}
		if (text.len > 1)
			sb_putc(&text, ',');
		put_string(&text, key);
		sb_putc(&text, ':');
		put_string(&text, json_string_value(v));
	}
	sb_putc(&text, '}');
	c->labels = labels ? json_incref(labels) : json_object();
	c->image = strdup(image ? json_string_value(image) : "");
	c->labels_text = sb_steal(&text);
	if (!c->labels || !c->image || !c->labels_text)
		goto bad;
	json_decref(j);
	return c;
bad:
	sb_free(&text);
	mock_ctr_free(c);
	json_decref(j);
	return NULL;
}

static void do_create(engine_req_t *r, mock_t *m)
{
	bool oom;
	char *name = mock_query_param(r->path.buf, "name", &oom);
	const char *n = name && name[0] == '/' ? name + 1 : name;
	const char *why = NULL;
	mock_ctr_t *c = NULL, *other;
	char *msg = NULL;
	if (oom) {
		req_fail_now(r, "out of memory");
	} else if (n && !name_ok(n)) {
		if (asprintf(&msg, "Invalid container name (%s), only [a-zA-Z0-9][a-zA-Z0-9_.-] are "
				   "allowed", n) < 0)
			msg = NULL;
		answer_error(r, 400, msg ? msg : "invalid container name");
	} else if (n && (other = mock_table_find_name(m->table, n))) {
		if (asprintf(&msg, "Conflict. The container name \"/%s\" is already in use by "
				   "container \"%s\". You have to remove (or rename) that container "
				   "to be able to reuse that name.", n, other->id) < 0)
			msg = NULL;
		answer_error(r, 409, msg ? msg : "name in use");
	} else if (!(c = ctr_from_body(r, &why))) {
		if (strcmp(why, "out of memory") == 0)
			req_fail_now(r, why);
		else
			answer_error(r, 400, why);
	} else {
		m->seq++;
		const uint64_t parts[4] = {mix(m->nonce[0] + m->seq), m->nonce[1], m->nonce[2], m->seq};
		for (int i = 0; i < 64; i++)
			c->id[i] = "0123456789abcdef"[(parts[i / 16] >> (60 - 4 * (i % 16))) & 15];
		c->id[64] = '\0';
		/* Unnamed, it is named after its short id (Docker makes up a
		 * name); a name that someone took already gets the full id. */
		c->name = strndup(c->id, 12);
		if (n || (c->name && mock_table_find_name(m->table, c->name))) {
			free(c->name);
			c->name = strdup(n ? n : c->id);
		}
		c->state = MOCK_CREATED;
		c->created_ns = now_ns();
		if (c->name)
			mock_table_add(m->table, c);
		if (c->name && asprintf(&msg, "{\"Id\":\"%s\",\"Warnings\":[]}", c->id) >= 0) {
			answer(r, 201, msg);
		} else {
			msg = NULL;
			if (!c->name)
				mock_ctr_free(c);
			req_fail_now(r, "out of memory");
		}
	}
	free(msg);
	free(name);
}

/* ---- answers about one container ---- */

/* What cjobs reads of an engine's inspect answer, and no more: the mock
 * measures cjobs's own cost per job, and every member the worker parses
 * and throws away would be counted as cjobs's. */
static void do_inspect(engine_req_t *r, const mock_ctr_t *c)
{
	/* The engine's "never" for a container not started yet. */
	static const char never[] = "0001-01-01T00:00:00Z";
	const char *started = c->started_at[0] ? c->started_at : never;
	const char *finished = c->finished_at[0] ? c->finished_at : never;
	strbuf_t b;
	sb_init(&b, 0);
	/* Room first, so that the text is formatted once, straight in. */
	sb_room(&b, strlen(c->labels_text) + strlen(c->name) + 400);
	sb_printf(&b,
		  "{\"Id\":\"%s\",\"Name\":\"/%s\",\"State\":{\"Status\":\"%s\",\"Running\":false,"
		  "\"OOMKilled\":false,\"ExitCode\":%d,\"Error\":\"\",\"StartedAt\":\"%s\","
		  "\"FinishedAt\":\"%s\"},\"Config\":{\"Labels\":%s}}",
		  c->id, c->name, c->state == MOCK_CREATED ? "created" : "exited", c->exit_code, started,
		  finished, c->labels_text);
	answer_sb(r, 200, &b);
}

/* Runs c: it exits 0 at once, and its end is announced. */
static void do_start(engine_req_t *r, mock_ctr_t *c)
{
	rfc3339(now_ns(), c->started_at, sizeof(c->started_at));
	memcpy(c->finished_at, c->started_at, sizeof(c->finished_at));
	c->exit_code = 0;
	c->state = MOCK_EXITED;
	answer(r, 204, NULL);
	mock_announce_die(r->e, c);
}

static void do_kill(engine_req_t *r, const mock_ctr_t *c)
{
	char *msg = NULL;
	/* Never running when asked: Docker's answer for a container that is
	 * not running. */
	if (asprintf(&msg, "Container %s is not running", c->id) < 0) {
		req_fail_now(r, "out of memory");
		return;
	}
	answer_error(r, 409, msg);
	free(msg);
}

static void container_request(engine_req_t *r, mock_t *m, const char *path, const char *method)
{
	const char *p = path + strlen("/containers/");
	size_t n = strcspn(p, "/?");
	const char *rest = p + n;
	/* The id or name as sent (percent-encoded, as req_path_enc writes). */
	char *dec = mock_decode(p, n);
	if (!dec) {
		req_fail_now(r, "out of memory");
		return;
	}
	mock_ctr_t *c = mock_table_find(m->table, dec);
	bool get = strcmp(method, "GET") == 0, post = strcmp(method, "POST") == 0;
	bool known = (get && (strncmp(rest, "/json", 5) == 0 || strncmp(rest, "/stats", 6) == 0 ||
			      strncmp(rest, "/logs", 5) == 0)) ||
		     (post && (strncmp(rest, "/start", 6) == 0 || strncmp(rest, "/kill", 5) == 0 ||
			       strncmp(rest, "/stop", 5) == 0)) ||
		     (strcmp(method, "DELETE") == 0 && (*rest == '\0' || *rest == '?'));
	if (!known)
		answer_error(r, 404, "the mock executor has no such endpoint");
	else if (!c)
		no_such(r, dec);
	else if (get && strncmp(rest, "/json", 5) == 0)
		do_inspect(r, c);
	else if (get && strncmp(rest, "/stats", 6) == 0)
		answer(r, 200, "{\"memory_stats\":{\"usage\":0,\"max_usage\":0},"
			       "\"cpu_stats\":{\"cpu_usage\":{\"total_usage\":0}}}");
	else if (get)
		answer(r, 200, NULL); /* an empty log stream */
	else if (strncmp(rest, "/start", 6) == 0)
		do_start(r, c);
	else if (strncmp(rest, "/kill", 5) == 0)
		do_kill(r, c);
	else if (post)
		answer(r, 304, NULL); /* stop: already stopped */
	else {
		/* Never running, so force or not it goes, as an exited one does. */
		mock_table_remove(m->table, c);
		answer(r, 204, NULL);
	}
	free(dec);
}

/* ---- list ---- */

static void do_list(engine_req_t *r, mock_t *m)
{
	const char *why = NULL;
	bool oom;
	char *all = mock_query_param(r->path.buf, "all", &oom);
	json_t *filters = oom ? NULL : mock_label_filters(r->path.buf, &why);
	bool everyone = all && (strcmp(all, "1") == 0 || strcmp(all, "true") == 0);
	free(all);
	if (!filters) {
		if (oom || strcmp(why, "out of memory") == 0)
			req_fail_now(r, "out of memory");
		else
			answer_error(r, 400, why);
		return;
	}
	strbuf_t b;
	sb_init(&b, 0);
	sb_putc(&b, '[');
	/* Without all=1 only running containers: never any here. */
	for (mock_ctr_t *c = everyone ? mock_table_newest(m->table) : NULL; c;
	     c = mock_table_older(m->table, c)) {
		if (!mock_labels_match(c->labels, filters))
			continue;
		sb_printf(&b, "%s{\"Id\":\"%s\",\"Names\":[\"/%s\"],\"Image\":", b.len > 1 ? "," : "",
			  c->id, c->name);
		put_string(&b, c->image);
		sb_printf(&b, ",\"Command\":\"\",\"Created\":%lld,\"State\":\"%s\",\"Status\":\"",
			  (long long)(c->created_ns / 1000000000),
			  c->state == MOCK_CREATED ? "created" : "exited");
		if (c->state == MOCK_CREATED)
			sb_puts(&b, "Created");
		else
			sb_printf(&b, "Exited (%d)", c->exit_code);
		sb_printf(&b, "\",\"Labels\":%s}", c->labels_text);
	}
	sb_putc(&b, ']');
	json_decref(filters);
	answer_sb(r, 200, &b);
}

void mock_activate(engine_req_t *r)
{
	engine_t *e = r->e;
	const char *path = r->path.buf ? r->path.buf : "";
	const char *m = r->method;
	dlist_del(&r->qlink);
	bool get = strcmp(m, "GET") == 0;
	mock_t *mock = NULL;
	if (strncmp(path, "/containers/", 12) == 0 && !(mock = mock_of(e))) {
		req_fail_now(r, "out of memory");
	} else if (get && strcmp(path, "/_ping") == 0) {
		answer(r, 200, "OK");
	} else if (get && strcmp(path, "/version") == 0) {
		answer(r, 200, "{\"Version\":\"mock\",\"ApiVersion\":\"1.41\",\"Os\":\"linux\"}");
	} else if (get && strcmp(path, "/info") == 0) {
		answer(r, 200, "{\"OperatingSystem\":\"cjobs mock executor (runs nothing)\","
			       "\"ContainersRunning\":0,\"NCPU\":0,\"MemTotal\":0}");
	} else if (get && strncmp(path, "/events", 7) == 0 && (path[7] == '\0' || path[7] == '?')) {
		mock_stream_open(r);
	} else if (strcmp(m, "POST") == 0 && strncmp(path, "/containers/create", 18) == 0 &&
		   (path[18] == '\0' || path[18] == '?')) {
		do_create(r, mock);
	} else if (get && strncmp(path, "/containers/json", 16) == 0 &&
		   (path[16] == '\0' || path[16] == '?')) {
		do_list(r, mock);
	} else if (strncmp(path, "/containers/", 12) == 0) {
		container_request(r, mock, path, m);
	} else if (strcmp(m, "POST") == 0 && strncmp(path, "/images/create", 14) == 0) {
		answer(r, 200, NULL); /* a pull that finds the image at once */
	} else {
		answer_error(r, 404, "the mock executor has no such endpoint");
	}
}
