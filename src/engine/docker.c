/*
 * engine/docker.c: the operations that change a container: create, start,
 * kill, stop, remove, each one request to the Docker Engine API.
 *
 * Which answers count as success is decided here and nowhere else (a
 * missing container on remove, "already started/stopped" on start/stop).
 * Must never block and never call a callback before returning to the
 * caller, except with "out of memory" when not even the request could be
 * made.
 */
#include "engine/internal.h"

#include <stdlib.h>
#include <string.h>

/* ---- simple requests: a status and nothing else ---- */

typedef struct {
	engine_done_fn cb;
	void *ud;
	int also_ok;              /* an HTTP status that means success too */
	bool missing_ok;          /* 404 is success (remove) */
} simple_ctx_t;

static void simple_done(engine_req_t *r, const engine_status_t *st)
{
	simple_ctx_t *c = r->ctx;
	engine_status_t s = *st;
	bool ok = (c->also_ok && s.http_status == c->also_ok) || (c->missing_ok && s.not_found);
	if (ok && !s.unreachable && !s.timed_out) {
		s.ok = true;
		s.error = NULL;
	}
	c->cb(c->ud, &s);
}

static engine_req_t *simple_new(engine_t *e, const char *method, engine_done_fn cb, void *ud)
{
	engine_req_t *r = req_new(e, method, sizeof(simple_ctx_t), simple_done);
	if (!r) {
		cb(ud, req_new_failure(e));
		return NULL;
	}
	simple_ctx_t *c = r->ctx;
	c->cb = cb;
	c->ud = ud;
	return r;
}

static void container_path(engine_req_t *r, const char *id, const char *action)
{
	req_path(r, "/containers/");
	req_path_enc(r, id ? id : "");
	req_path(r, "%s", action);
}

void engine_start(engine_t *e, const char *id, engine_done_fn cb, void *ud)
{
	engine_req_t *r = simple_new(e, "POST", cb, ud);
	if (!r)
		return;
	((simple_ctx_t *)r->ctx)->also_ok = 304; /* already started */
	container_path(r, id, "/start");
	req_submit(r);
}

void engine_kill(engine_t *e, const char *id, const char *signal, engine_done_fn cb, void *ud)
{
	engine_req_t *r = simple_new(e, "POST", cb, ud);
	if (!r)
		return;
	r->conflict_500 = "can only kill running containers"; /* Podman's 409 */
	container_path(r, id, "/kill?signal=");
	req_path_enc(r, signal && *signal ? signal : "KILL");
	req_submit(r);
}

void engine_stop(engine_t *e, const char *id, int grace_s, engine_done_fn cb, void *ud)
{
	engine_req_t *r = simple_new(e, "POST", cb, ud);
	if (!r)
		return;
	if (grace_s < 0)
		grace_s = 0;
	((simple_ctx_t *)r->ctx)->also_ok = 304; /* already stopped */
	/* The engine answers only after the grace period (and the kill). */
	r->extra_timeout_ms = (long)grace_s * 1000;
	container_path(r, id, "/stop");
	req_path(r, "?t=%d", grace_s);
	req_submit(r);
}

void engine_remove(engine_t *e, const char *id, engine_done_fn cb, void *ud)
{
	engine_req_t *r = simple_new(e, "DELETE", cb, ud);
	if (!r)
		return;
	((simple_ctx_t *)r->ctx)->missing_ok = true;
	container_path(r, id, "?force=1&v=1");
	req_submit(r);
}

/* ---- create ---- */

typedef struct {
	engine_created_fn cb;
	void *ud;
} create_ctx_t;

static void create_done(engine_req_t *r, const engine_status_t *st)
{
	create_ctx_t *c = r->ctx;
	if (!st->ok) {
		c->cb(c->ud, st, NULL);
		return;
	}
	engine_status_t s = *st;
	json_t *j = req_json(r, &s);
	const char *id = jstr(j, "Id");
	if (j && (!id || !*id))
		req_error(r, &s, "the answer to POST /containers/create has no Id");
	c->cb(c->ud, &s, s.ok ? id : NULL);
	json_decref(j);
}

static int add_strv(json_t *obj, const char *key, char *const *v)
{
	json_t *a = json_array();
	if (!a || json_object_set_new(obj, key, a) < 0)
		return -1;
	for (size_t i = 0; v[i]; i++)
		if (json_array_append_new(a, json_string(v[i])) < 0)
			return -1;
	return 0;
}

static int put_labels(json_t *l, char *const *labels)
{
	for (size_t i = 0; labels && labels[i]; i++) {
		const char *eq = strchr(labels[i], '=');
		size_t klen = eq ? (size_t)(eq - labels[i]) : strlen(labels[i]);
		char *key = strndup(labels[i], klen);
		int rc = key ? json_object_set_new(l, key, json_string(eq ? eq + 1 : "")) : -1;
		free(key);
		if (rc < 0)
			return -1;
	}
	return 0;
}

/* The job's labels, then cjobs's own over them. */
static int add_labels(json_t *obj, char *const *job_labels, char *const *labels)
{
	json_t *l = json_object();
	if (!l || json_object_set_new(obj, "Labels", l) < 0)
		return -1;
	return put_labels(l, job_labels) < 0 || put_labels(l, labels) < 0 ? -1 : 0;
}

static int set_str(json_t *o, const char *key, const char *s)
{
	return s ? json_object_set_new(o, key, json_string(s)) : 0;
}

static int set_true(json_t *o, const char *key, bool b)
{
	return b ? json_object_set_new(o, key, json_true()) : 0;
}

static int add_list(json_t *obj, const char *key, char *const *v, size_t n)
{
	return n ? add_strv(obj, key, v) : 0;
}

/* One --mount as the Engine API's Mounts entry. */
static json_t *mount_json(const ctr_mount_t *m)
{
	static const char *const types[] = {"bind", "volume", "tmpfs"};
	json_t *o = json_pack("{s:s, s:s, s:b}", "Type", types[m->type], "Target", m->target,
			      "ReadOnly", m->readonly);
	if (o && m->source && set_str(o, "Source", m->source) < 0)
		goto bad;
	if (o && m->type == CTR_TMPFS && (m->tmpfs_size || m->tmpfs_mode >= 0)) {
		json_t *t = json_object();
		if (!t || json_object_set_new(o, "TmpfsOptions", t) < 0 ||
		    (m->tmpfs_size && json_object_set_new(t, "SizeBytes", json_integer(m->tmpfs_size)) < 0) ||
		    (m->tmpfs_mode >= 0 && json_object_set_new(t, "Mode", json_integer(m->tmpfs_mode)) < 0))
			goto bad;
	}
	return o;
bad:
	json_decref(o);
	return NULL;
}

static int add_mounts(json_t *host, const job_container_t *c)
{
	if (!c->nmounts)
		return 0;
	json_t *a = json_array();
	if (!a || json_object_set_new(host, "Mounts", a) < 0)
		return -1;
	for (size_t i = 0; i < c->nmounts; i++) {
		ctr_mount_t m;
		char *err = NULL;
		if (ctr_mount_parse(c->mounts[i], &m, &err) < 0) {
			free(err);
			return -1;
		}
		int rc = json_array_append_new(a, mount_json(&m));
		ctr_mount_free(&m);
		if (rc < 0)
			return -1;
	}
	return 0;
}

static int add_tmpfs(json_t *host, const job_container_t *c)
{
	if (!c->ntmpfs)
		return 0;
	json_t *t = json_object();
	if (!t || json_object_set_new(host, "Tmpfs", t) < 0)
		return -1;
	for (size_t i = 0; i < c->ntmpfs; i++) {
		char *path = NULL, *opts = NULL, *err = NULL;
		int rc = ctr_tmpfs_split(c->tmpfs[i], &path, &opts, &err);
		if (rc == 0)
			rc = json_object_set_new(t, path, json_string(opts ? opts : ""));
		free(path);
		free(opts);
		free(err);
		if (rc < 0)
			return -1;
	}
	return 0;
}

/* --gpus as the one device request `docker run --gpus` makes: any driver
 * that offers the capability "gpu". */
static int add_gpus(json_t *host, const char *gpus)
{
	if (!gpus)
		return 0;
	ctr_gpus_t g;
	char *err = NULL;
	if (ctr_gpus_parse(gpus, &g, &err) < 0) {
		free(err);
		return -1;
	}
	json_t *req = json_pack("{s:s, s:I, s:[[s]]}", "Driver", "", "Count",
				(json_int_t)(g.nids ? 0 : g.count), "Capabilities", "gpu");
	json_t *a = json_array();
	int rc = req && a && json_array_append(a, req) == 0 &&
				 json_object_set(host, "DeviceRequests", a) == 0
			 ? 0
			 : -1;
	if (rc == 0 && g.nids)
		rc = add_strv(req, "DeviceIDs", g.ids);
	json_decref(req);
	json_decref(a);
	ctr_gpus_free(&g);
	return rc;
}

/* The job's container options: its labels go first, so that cjobs's own
 * (added after) win over any of the same key. */
static int add_container(json_t *j, json_t *host, const job_container_t *c)
{
	int bad = add_list(host, "Binds", c->volumes, c->nvolumes);
	bad |= add_mounts(host, c);
	bad |= add_tmpfs(host, c);
	bad |= set_str(j, "User", c->user);
	if (c->entrypoint) {
		char *ep[] = {c->entrypoint, NULL};
		bad |= add_strv(j, "Entrypoint", ep);
	}
	bad |= set_str(j, "Hostname", c->hostname);
	bad |= set_true(host, "ReadonlyRootfs", c->read_only);
	if (c->shm_size)
		bad |= json_object_set_new(host, "ShmSize", json_integer(c->shm_size));
	bad |= set_true(host, "Init", c->init);
	bad |= add_list(host, "CapAdd", c->cap_add, c->ncap_add);
	bad |= add_list(host, "CapDrop", c->cap_drop, c->ncap_drop);
	if (c->no_new_privileges) {
		char *opt[] = {"no-new-privileges", NULL};
		bad |= add_strv(host, "SecurityOpt", opt);
	}
	bad |= add_gpus(host, c->gpus);
	return bad ? -1 : 0;
}

/* The container's configuration; NULL when out of memory or a string is
 * not UTF-8 (jansson refuses those). */
static json_t *create_body(const engine_spec_t *s)
{
	json_t *host = json_object();
	json_t *j = json_pack("{s:s, s:b, s:b, s:b, s:b, s:b}", "Image", s->image ? s->image : "",
			      "AttachStdin", 0, "AttachStdout", 0, "AttachStderr", 0, "Tty", 0,
			      "OpenStdin", 0);
	if (!j || !host || json_object_set_new(j, "HostConfig", host) < 0) {
		json_decref(j);
		return NULL;
	}
	bool bad = false;
	if (s->argv && s->argv[0])
		bad |= add_strv(j, "Cmd", s->argv) < 0;
	if (s->env)
		bad |= add_strv(j, "Env", s->env) < 0;
	if (s->workdir)
		bad |= json_object_set_new(j, "WorkingDir", json_string(s->workdir)) < 0;
	if (s->ctr)
		bad |= add_container(j, host, s->ctr) < 0;
	bad |= add_labels(j, s->ctr ? s->ctr->labels : NULL, s->labels) < 0;
	if (s->memory_bytes > 0)
		bad |= json_object_set_new(host, "Memory", json_integer(s->memory_bytes)) < 0;
	if (s->nano_cpus > 0)
		bad |= json_object_set_new(host, "NanoCpus", json_integer(s->nano_cpus)) < 0;
	if (s->network_mode)
		bad |= json_object_set_new(host, "NetworkMode", json_string(s->network_mode)) < 0;
	if (bad) {
		json_decref(j);
		return NULL;
	}
	return j;
}

void engine_create(engine_t *e, const engine_spec_t *spec, engine_created_fn cb, void *ud)
{
	engine_req_t *r = req_new(e, "POST", sizeof(create_ctx_t), create_done);
	if (!r) {
		cb(ud, req_new_failure(e), NULL);
		return;
	}
	create_ctx_t *c = r->ctx;
	c->cb = cb;
	c->ud = ud;
	r->conflict_500 = "that name is already in use"; /* Podman's 409 */
	req_path(r, "/containers/create");
	if (spec->name && *spec->name) {
		req_path(r, "?name=");
		req_path_enc(r, spec->name);
	}
	json_t *body = create_body(spec);
	if (!body || req_body_json(r, body) < 0) {
		json_decref(body);
		req_fail_now(r, "cannot build the container's configuration (out of memory, or a "
				"string that is not UTF-8)");
		return;
	}
	json_decref(body);
	req_submit(r);
}
