/*
 * engine/mock.h: what the mock executor's files share, and nothing else
 * may include: its table of containers (mock_table.c), its event streams
 * (mock_events.c) and the reading of a request's query (mock_query.c).
 * mock.c answers the requests with them.
 */
#ifndef CJOBS_ENGINE_MOCK_H
#define CJOBS_ENGINE_MOCK_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "engine/internal.h"

/* A container never runs for long enough to be seen running: start runs it
 * and it exits 0 within that call, so created and exited are the only
 * states a request can find. */
typedef enum { MOCK_CREATED, MOCK_EXITED } mock_state_t;

typedef struct mock_ctr {
	struct mock_ctr *id_next;   /* the table's chain of this id's bucket */
	struct mock_ctr *name_next; /* the table's chain of this name's bucket */
	dlist_t link;               /* the table's containers, oldest first */
	char id[65];
	char *name;                 /* without Docker's leading '/' */
	char *image;                /* the create body's Image, "" if none */
	json_t *labels;             /* an object of strings, never NULL */
	char *labels_text;          /* labels as compact JSON, for answers */
	mock_state_t state;
	int exit_code;
	int64_t created_ns;         /* unix ns */
	/* As inspect tells them (RFC 3339), written when they change rather
	 * than at every inspect; "" until the first start. */
	char started_at[40], finished_at[40];
} mock_ctr_t;

/* ---- mock_table.c: one engine's containers ---- */
typedef struct mock_table mock_table_t;
/* NULL when out of memory. */
mock_table_t *mock_table_new(void);
void mock_table_free(mock_table_t *t);
/* The container whose full id or name is key (Docker also takes a unique
 * id prefix; cjobs always sends one of these two). */
mock_ctr_t *mock_table_find(mock_table_t *t, const char *key);
mock_ctr_t *mock_table_find_name(mock_table_t *t, const char *name);
/* Adds c, its id and name set and neither in use (the caller checks). */
void mock_table_add(mock_table_t *t, mock_ctr_t *c);
/* Takes c out of the table and frees it. */
void mock_table_remove(mock_table_t *t, mock_ctr_t *c);
/* The containers, newest first as Docker lists them: walk from
 * mock_table_newest with mock_table_older until NULL. */
mock_ctr_t *mock_table_newest(mock_table_t *t);
mock_ctr_t *mock_table_older(mock_table_t *t, mock_ctr_t *c);
void mock_ctr_free(mock_ctr_t *c);

/* ---- mock.c ---- */
/* Ends r with an engine's error answer {"message": msg}. */
void mock_answer_error(engine_req_t *r, long status, const char *msg);

/* ---- mock_query.c: a request's query string ---- */
/* s[0..n) percent-decoded, malloc'd; NULL when out of memory. */
char *mock_decode(const char *s, size_t n);
/* The value of query parameter `key` in path (after '?'), percent-decoded,
 * malloc'd; NULL when absent. *oom is set when memory ran short. */
char *mock_query_param(const char *path, const char *key, bool *oom);
/* The "label" entries of a filters parameter ({"label":["k","k=v"]}) as
 * a JSON array (new reference; an empty array when there are none), or
 * NULL with *why set when the filters are not such JSON. */
json_t *mock_label_filters(const char *path, const char **why);
/* Whether labels (an object of strings) has every "key" or "key=value"
 * of filters (an array). */
bool mock_labels_match(const json_t *labels, const json_t *filters);

/* ---- mock_events.c: the engine's event streams ---- */
/* Opens r (GET /events) as a stream that stays open until closed, or ends
 * it with an error (400, as Docker) when its filters cannot be read. */
void mock_stream_open(engine_req_t *r);
/* Announces that c died (with its exit code) on every open stream of the
 * engine whose label filters c matches. */
void mock_announce_die(engine_t *e, const mock_ctr_t *c);

#endif
