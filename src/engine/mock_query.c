/*
 * engine/mock_query.c: what the mock executor reads from a request's query
 * string: one parameter's value, and the label filters that the list and
 * the event stream are asked for (filters={"label":["key","key=value"]}),
 * so that it answers with the containers and events an engine would pick.
 */
#include "engine/mock.h"

#include <stdlib.h>
#include <string.h>

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* '+' is a space, as engines read queries. */
char *mock_decode(const char *s, size_t n)
{
	char *out = malloc(n + 1), *o = out;
	if (!out)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		int hi, lo;
		if (s[i] == '%' && i + 2 < n && (hi = hexval(s[i + 1])) >= 0 &&
		    (lo = hexval(s[i + 2])) >= 0) {
			*o++ = (char)(hi * 16 + lo);
			i += 2;
		} else {
			*o++ = s[i] == '+' ? ' ' : s[i];
		}
	}
	*o = '\0';
	return out;
}

char *mock_query_param(const char *path, const char *key, bool *oom)
{
	const char *q = strchr(path, '?');
	size_t klen = strlen(key);
	*oom = false;
	while (q && *q) {
		q++;
		size_t n = strcspn(q, "&");
		if (n > klen && strncmp(q, key, klen) == 0 && q[klen] == '=') {
			char *v = mock_decode(q + klen + 1, n - klen - 1);
			*oom = v == NULL;
			return v;
		}
		q += n;
	}
	return NULL;
}

/* Adds each "label" entry of f to out: engines take a list of "key" or
 * "key=value", or the older map of those to true. */
static int add_labels(json_t *out, const json_t *label)
{
	if (json_is_array(label)) {
		size_t i;
		json_t *v;
		json_array_foreach(label, i, v) {
			if (!json_is_string(v) || json_array_append(out, v) < 0)
				return -1;
		}
		return 0;
	}
	if (json_is_object(label)) {
		const char *k;
		json_t *v;
		json_object_foreach((json_t *)label, k, v) {
			if (!json_is_true(v) || json_array_append_new(out, json_string(k)) < 0)
				return -1;
		}
		return 0;
	}
	return label ? -1 : 0;
}

json_t *mock_label_filters(const char *path, const char **why)
{
	bool oom;
	char *text = mock_query_param(path, "filters", &oom);
	json_t *out = json_array();
	if (oom || !out) {
		free(text);
		json_decref(out);
		*why = "out of memory";
		return NULL;
	}
	if (!text)
		return out;
	json_t *f = json_loads(text, 0, NULL);
	free(text);
	if (!json_is_object(f) || add_labels(out, json_object_get(f, "label")) < 0) {
		json_decref(f);
		json_decref(out);
		*why = "invalid filters: give a JSON object such as {\"label\":[\"key=value\"]}";
		return NULL;
	}
	json_decref(f);
	return out;
}

bool mock_labels_match(const json_t *labels, const json_t *filters)
{
	size_t i;
	json_t *v;
	json_array_foreach(filters, i, v) {
		const char *want = json_string_value(v);
		const char *eq = strchr(want, '=');
		const char *have = json_string_value(
			json_object_getn(labels, want, eq ? (size_t)(eq - want) : strlen(want)));
		if (!have || (eq && strcmp(have, eq + 1) != 0))
			return false;
	}
	return true;
}
