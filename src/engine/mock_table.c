/*
 * engine/mock_table.c: the containers of one mock engine, found by full id
 * or by name as an engine finds them.
 *
 * Two hash indexes (id, name) over the same entries, and a list in
 * creation order for listing. It holds exactly what was created and not
 * yet removed, so it is bounded by the caller's own creates; a worker
 * removes each container once its result is recorded, so a queue of a
 * million jobs keeps only the ones in flight. Lookups stay O(1): the mock
 * measures cjobs's own cost per job (bench/queue-overhead), and a table
 * that scanned would measure itself instead.
 */
#include "engine/mock.h"

#include <stdlib.h>
#include <string.h>

#define TABLE_MIN_BUCKETS 64

struct mock_table {
	mock_ctr_t **by_id;
	mock_ctr_t **by_name;
	size_t nbuckets;         /* a power of two */
	size_t count;
	dlist_t all;             /* mock_ctr_t.link, oldest first */
};

/* FNV-1a: short keys, no adversary (the caller names its own containers). */
static size_t hash(const char *s)
{
	uint64_t h = 14695981039346656037ULL;
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		h ^= *p;
		h *= 1099511628211ULL;
	}
	return (size_t)h;
}

mock_table_t *mock_table_new(void)
{
	mock_table_t *t = calloc(1, sizeof(*t));
	if (!t)
		return NULL;
	t->by_id = calloc(TABLE_MIN_BUCKETS, sizeof(*t->by_id));
	t->by_name = calloc(TABLE_MIN_BUCKETS, sizeof(*t->by_name));
	if (!t->by_id || !t->by_name) {
		free(t->by_id);
		free(t->by_name);
		free(t);
		return NULL;
	}
	t->nbuckets = TABLE_MIN_BUCKETS;
	dlist_init(&t->all);
	return t;
}

void mock_ctr_free(mock_ctr_t *c)
{
	if (!c)
		return;
	free(c->name);
	free(c->image);
	json_decref(c->labels);
	free(c->labels_text);
	free(c);
}

void mock_table_free(mock_table_t *t)
{
	if (!t)
		return;
	while (!dlist_empty(&t->all)) {
		mock_ctr_t *c = DLIST_ENTRY(t->all.next, mock_ctr_t, link);
		dlist_del(&c->link);
		mock_ctr_free(c);
	}
	free(t->by_id);
	free(t->by_name);
	free(t);
}

mock_ctr_t *mock_table_find_name(mock_table_t *t, const char *name)
{
	for (mock_ctr_t *c = t->by_name[hash(name) & (t->nbuckets - 1)]; c; c = c->name_next)
		if (strcmp(c->name, name) == 0)
			return c;
	return NULL;
}

mock_ctr_t *mock_table_find(mock_table_t *t, const char *key)
{
	for (mock_ctr_t *c = t->by_id[hash(key) & (t->nbuckets - 1)]; c; c = c->id_next)
		if (strcmp(c->id, key) == 0)
			return c;
	return mock_table_find_name(t, key);
}

/* Doubles the buckets once there are as many entries as buckets, so the
 * chains stay about one long. Out of memory, the table stays as it was:
 * only slower, never wrong. */
static void grow(mock_table_t *t)
{
	size_t n = t->nbuckets * 2;
	mock_ctr_t **id = calloc(n, sizeof(*id));
	mock_ctr_t **name = calloc(n, sizeof(*name));
	if (!id || !name) {
		free(id);
		free(name);
		return;
	}
	for (dlist_t *p = t->all.next; p != &t->all; p = p->next) {
		mock_ctr_t *c = DLIST_ENTRY(p, mock_ctr_t, link);
		size_t bi = hash(c->id) & (n - 1), bn = hash(c->name) & (n - 1);
		c->id_next = id[bi];
		id[bi] = c;
		c->name_next = name[bn];
		name[bn] = c;
	}
	free(t->by_id);
	free(t->by_name);
	t->by_id = id;
	t->by_name = name;
	t->nbuckets = n;
}

void mock_table_add(mock_table_t *t, mock_ctr_t *c)
{
	if (t->count >= t->nbuckets)
		grow(t);
	size_t bi = hash(c->id) & (t->nbuckets - 1), bn = hash(c->name) & (t->nbuckets - 1);
	c->id_next = t->by_id[bi];
	t->by_id[bi] = c;
	c->name_next = t->by_name[bn];
	t->by_name[bn] = c;
	dlist_add_tail(&t->all, &c->link);
	t->count++;
}

/* Unlinks c from the chain starting at *head: the id chain or the name
 * chain. */
static void unchain(mock_ctr_t **head, mock_ctr_t *c, bool by_id)
{
	for (mock_ctr_t **pp = head; *pp; pp = by_id ? &(*pp)->id_next : &(*pp)->name_next) {
		if (*pp == c) {
			*pp = by_id ? c->id_next : c->name_next;
			return;
		}
	}
}

void mock_table_remove(mock_table_t *t, mock_ctr_t *c)
{
	unchain(&t->by_id[hash(c->id) & (t->nbuckets - 1)], c, true);
	unchain(&t->by_name[hash(c->name) & (t->nbuckets - 1)], c, false);
	dlist_del(&c->link);
	t->count--;
	mock_ctr_free(c);
}

mock_ctr_t *mock_table_newest(mock_table_t *t)
{
	return dlist_empty(&t->all) ? NULL : DLIST_ENTRY(t->all.prev, mock_ctr_t, link);
}

mock_ctr_t *mock_table_older(mock_table_t *t, mock_ctr_t *c)
{
	return c->link.prev == &t->all ? NULL : DLIST_ENTRY(c->link.prev, mock_ctr_t, link);
}
