/*
 * http/apidoc.c: the API's documentation files (docs/api/), written from
 * the route table like the commands' pages are written from theirs.
 */
#include "http/internal.h"

#include <ctype.h>
#include <string.h>

void http_write_openapi(FILE *f)
{
	json_t *doc = http_openapi();
	if (doc)
		json_dumpf(doc, f, JSON_INDENT(2) | JSON_SORT_KEYS);
	fputc('\n', f);
	json_decref(doc);
}

/* A route's query parameters, "name: what" per line, as a list. */
static void query_list(FILE *f, const char *q)
{
	http_query_doc_t d;
	while (http_query_doc_next(&q, &d))
		fprintf(f, "- `%.*s`: %.*s\n", (int)d.name_len, d.name, (int)d.what_len, d.what);
}

void http_write_api_markdown(FILE *f)
{
	fprintf(f, "# The HTTP API of cjobs serve\n\n"
		   "Generated from the server's route table, like `/api/v1/openapi.json` "
		   "(its copy is [openapi.json](openapi.json)). Every request under /api/v1, "
		   "except signing in and the OpenAPI document, needs `Authorization: Bearer "
		   "TOKEN` with a token of `cjobs token create`; its scope (read < submit < "
		   "admin) must be at least the route's. Errors are `{\"error\": \"...\"}` with "
		   "the message the command line prints for the same mistake, and the status "
		   "400, 401, 403, 404, 405, 409, 413 or 503. Bodies are at most 1 MiB. A "
		   "query parameter that a route does not list below, one given twice, or one "
		   "without a value is "
		   "refused with 400 (once the token is checked) before anything is read or "
		   "changed.\n\n");
	for (const http_route_t *rt = http_routes; rt->method; rt++) {
		fprintf(f, "## %s %s\n\n%c%s.\n\n%s\n\n", rt->method, rt->path,
			toupper((unsigned char)rt->summary[0]), rt->summary + 1, rt->description);
		fprintf(f, "- scope: %s\n", rt->scope == TOKEN_SCOPE_NONE ? "none (no token needed)"
									 : token_scope_name(rt->scope));
		if (rt->body)
			fprintf(f, "- body: %s\n", rt->body);
		fprintf(f, "- answers: %s\n", rt->answers);
		if (rt->query) {
			fprintf(f, "\nQuery parameters:\n\n");
			query_list(f, rt->query);
		}
		if (rt->example)
			fprintf(f, "\nExample (the test suite sends it, and it answers %d):\n\n    %s\n",
				rt->example_status, rt->example);
		fprintf(f, "\n");
	}
}
