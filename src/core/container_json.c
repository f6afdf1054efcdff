/*
 * core/container_json.c: the stored text of a job's container options and
 * of a host's allowances: one JSON object each, holding only what was
 * given, so that a job without options stores NULL and an option added
 * later needs no migration. The store keeps the text; only this file
 * knows its members.
 */
#include "core/container.h"

#include <stdlib.h>
#include <string.h>

#include "core/job.h"
#include "util/err.h"

static int put_list(json_t *o, const char *key, char *const *v, size_t n)
{
	if (!n)
		return 0;
	json_t *a = json_array();
	if (!a || json_object_set_new(o, key, a) < 0)
		return -1;
	for (size_t i = 0; i < n; i++)
		if (json_array_append_new(a, json_string(v[i])) < 0)
			return -1;
	return 0;
}

static int put_str(json_t *o, const char *key, const char *s)
{
	return s ? json_object_set_new(o, key, json_string(s)) : 0;
}

static int put_true(json_t *o, const char *key, bool b)
{
	return b ? json_object_set_new(o, key, json_true()) : 0;
}

json_t *container_json(const job_container_t *c)
{
	json_t *o = json_object();
	if (!o)
		return NULL;
	int bad = put_list(o, "volumes", c->volumes, c->nvolumes);
	bad |= put_list(o, "mounts", c->mounts, c->nmounts);
	bad |= put_list(o, "tmpfs", c->tmpfs, c->ntmpfs);
	bad |= put_str(o, "user", c->user);
	bad |= put_str(o, "entrypoint", c->entrypoint);
	bad |= put_str(o, "hostname", c->hostname);
	bad |= put_list(o, "labels", c->labels, c->nlabels);
	bad |= put_str(o, "network", c->network);
	bad |= put_str(o, "pull", c->pull ? ctr_pull_names[c->pull] : NULL);
	bad |= put_true(o, "read_only", c->read_only);
	if (c->shm_size)
		bad |= json_object_set_new(o, "shm_size", json_integer(c->shm_size));
	bad |= put_true(o, "init", c->init);
	bad |= put_list(o, "cap_add", c->cap_add, c->ncap_add);
	bad |= put_list(o, "cap_drop", c->cap_drop, c->ncap_drop);
	bad |= put_true(o, "no_new_privileges", c->no_new_privileges);
	bad |= put_str(o, "gpus", c->gpus);
	if (bad) {
		json_decref(o);
		return NULL;
	}
	return o;
}

static int dump(json_t *o, char **out, char **err)
{
	if (!o)
		return err_set(err, "out of memory (or text that is not UTF-8)");
	*out = json_object_size(o) ? json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
	bool failed = json_object_size(o) && !*out;
	json_decref(o);
	return failed ? err_set(err, "out of memory") : 0;
}

int container_to_json(const job_container_t *c, char **out, char **err)
{
	*out = NULL;
	if (container_is_empty(c))
		return 0;
	return dump(container_json(c), out, err);
}

static int get_list(const json_t *o, const char *key, char ***v, size_t *n)
{
	const json_t *a = json_object_get(o, key);
	*n = 0;
	if (!a)
		return 0;
	if (!json_is_array(a))
		return -1;
	*v = calloc(json_array_size(a) + 1, sizeof(char *));
	if (!*v)
		return -1;
	for (size_t i = 0; i < json_array_size(a); i++) {
		const char *s = json_string_value(json_array_get(a, i));
		if (!s || !((*v)[i] = strdup(s)))
			return -1;
		*n = i + 1;
	}
	return 0;
}

static int get_str(const json_t *o, const char *key, char **s)
{
	const json_t *v = json_object_get(o, key);
	if (!v)
		return 0;
	const char *t = json_string_value(v);
	return t && (*s = strdup(t)) ? 0 : -1;
}

static bool get_true(const json_t *o, const char *key)
{
	return json_is_true(json_object_get(o, key));
}

int container_from_json(const char *text, job_container_t *c, char **err)
{
	memset(c, 0, sizeof(*c));
	if (!text || !*text)
		return 0;
	json_t *o = json_loads(text, 0, NULL);
	if (!json_is_object(o)) {
		json_decref(o);
		return err_set(err, "the stored container options are not a JSON object");
	}
	int bad = get_list(o, "volumes", &c->volumes, &c->nvolumes);
	bad |= get_list(o, "mounts", &c->mounts, &c->nmounts);
	bad |= get_list(o, "tmpfs", &c->tmpfs, &c->ntmpfs);
	bad |= get_str(o, "user", &c->user);
	bad |= get_str(o, "entrypoint", &c->entrypoint);
	bad |= get_str(o, "hostname", &c->hostname);
	bad |= get_list(o, "labels", &c->labels, &c->nlabels);
	bad |= get_str(o, "network", &c->network);
	const char *pull = json_string_value(json_object_get(o, "pull"));
	for (int i = 1; pull && ctr_pull_names[i]; i++)
		if (strcmp(pull, ctr_pull_names[i]) == 0)
			c->pull = (ctr_pull_t)i;
	c->read_only = get_true(o, "read_only");
	c->shm_size = json_integer_value(json_object_get(o, "shm_size"));
	c->init = get_true(o, "init");
	bad |= get_list(o, "cap_add", &c->cap_add, &c->ncap_add);
	bad |= get_list(o, "cap_drop", &c->cap_drop, &c->ncap_drop);
	c->no_new_privileges = get_true(o, "no_new_privileges");
	bad |= get_str(o, "gpus", &c->gpus);
	json_decref(o);
	if (bad) {
		container_free(c);
		return err_set(err, "the stored container options are not readable (or out of "
				    "memory)");
	}
	return 0;
}

int host_allow_to_json(const host_allow_t *a, char **out, char **err)
{
	*out = NULL;
	json_t *o = json_object();
	if (o && (put_list(o, "bind", a->bind, a->nbind) < 0 ||
		  put_list(o, "cap_add", a->cap_add, a->ncap_add) < 0 ||
		  put_true(o, "gpus", a->gpus) < 0)) {
		json_decref(o);
		o = NULL;
	}
	return dump(o, out, err);
}

int host_allow_from_json(const char *text, host_allow_t *a, char **err)
{
	memset(a, 0, sizeof(*a));
	if (!text || !*text)
		return 0;
	json_t *o = json_loads(text, 0, NULL);
	int bad = json_is_object(o) ? 0 : -1;
	if (!bad) {
		bad |= get_list(o, "bind", &a->bind, &a->nbind);
		bad |= get_list(o, "cap_add", &a->cap_add, &a->ncap_add);
		a->gpus = get_true(o, "gpus");
	}
	json_decref(o);
	if (bad) {
		host_allow_free(a);
		return err_set(err,
			       "the stored host allowances are not readable (or out of memory)");
	}
	return 0;
}
