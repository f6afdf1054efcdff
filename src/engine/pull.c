/*
 * engine/pull.c: pulling an image (POST /images/create). The answer is a
 * stream of JSON progress objects, one per line; a failure arrives as an
 * object with "error"/"errorDetail" inside a 200 answer, so the status
 * alone says nothing.
 *
 * Keeps only the first error message, never the progress. Must never
 * report success for a stream that carried an error. The registry's
 * credentials, when given, go in the X-Registry-Auth header and nowhere
 * else: no message made here holds them.
 */
#include "engine/internal.h"

#include <stdlib.h>
#include <string.h>

#include "engine/lines.h"

#define PULL_LINE_MAX (256u << 10)

typedef struct {
	engine_done_fn cb;
	void *ud;
	lines_t lines;
	char *error;              /* the first error the stream reported */
	char *image;
} pull_ctx_t;

static void pull_ctx_free(void *p)
{
	pull_ctx_t *c = p;
	if (!c)
		return;
	lines_free(&c->lines);
	free(c->error);
	free(c->image);
	free(c);
}

static int on_line(void *ud, const char *line, size_t len)
{
	pull_ctx_t *c = ud;
	if (!line || c->error)
		return 0; /* progress too long to read, or already failed */
	json_t *j = json_loadb(line, len, 0, NULL);
	const char *msg = jstr(jobj(j, "errorDetail"), "message");
	if (!msg)
		msg = jstr(j, "error");
	int rc = 0;
	if (msg) {
		c->error = strdup(msg);
		rc = c->error ? 0 : -1;
	}
	json_decref(j);
	return rc;
}

static int on_data(engine_req_t *r, const char *p, size_t n)
{
	pull_ctx_t *c = r->ctx;
	if (lines_feed(&c->lines, p, n, on_line, c) == 0)
		return 0;
	r->fail_oom = true;
	return -1;
}

static void pull_done(engine_req_t *r, const engine_status_t *st)
{
	pull_ctx_t *c = r->ctx;
	engine_status_t s = *st;
	if (s.ok && lines_end(&c->lines, on_line, c) < 0)
		req_error(r, &s, "out of memory");
	if (s.ok && c->error)
		req_error(r, &s, "pull of %s failed: %s", c->image, c->error);
	c->cb(c->ud, &s);
}

/* "name[:tag]" or "name@digest" into the query; a ":" before the last "/"
 * belongs to a registry's port, not to a tag. */
static void image_query(engine_req_t *r, const char *image)
{
	const char *at = strchr(image, '@');
	const char *slash = strrchr(image, '/');
	const char *colon = strrchr(image, ':');
	const char *sep = at ? at : (colon && (!slash || colon > slash) ? colon : NULL);
	char *name = sep ? strndup(image, (size_t)(sep - image)) : strdup(image);
	if (!name) {
		r->path.failed = true;
		return;
	}
	req_path(r, "/images/create?fromImage=");
	req_path_enc(r, name);
	req_path(r, "&tag=");
	req_path_enc(r, sep ? sep + 1 : "latest");
	free(name);
}

/* Adds the credentials header; -1 when out of memory. The header's
 * copy in the list is the request's: freed with it. */
static int auth_header(engine_req_t *r, const char *registry_auth)
{
	char *h = NULL;
	if (asprintf(&h, "X-Registry-Auth: %s", registry_auth) < 0)
		return -1;
	struct curl_slist *l = curl_slist_append(r->headers, h);
	explicit_bzero(h, strlen(h));
	free(h);
	if (!l)
		return -1;
	r->headers = l;
	return 0;
}

void engine_pull(engine_t *e, const char *image, const char *registry_auth, engine_done_fn cb,
		 void *ud)
{
	engine_req_t *r = req_new(e, "POST", 0, pull_done);
	pull_ctx_t *c = r ? calloc(1, sizeof(*c)) : NULL;
	char *copy = c ? strdup(image ? image : "") : NULL;
	if (!copy) {
		free(c);
		if (r)
			req_abort(r);
		cb(ud, req_new_failure(e));
		return;
	}
	c->cb = cb;
	c->ud = ud;
	c->image = copy;
	lines_init(&c->lines, PULL_LINE_MAX);
	r->ctx = c;
	r->ctx_free = pull_ctx_free;
	r->stream = true;
	r->low_speed = true;
	r->data = on_data;
	image_query(r, copy);
	if (registry_auth && auth_header(r, registry_auth) < 0)
		r->path.failed = true;  /* ends the request as out of memory */
	req_submit(r);
}
