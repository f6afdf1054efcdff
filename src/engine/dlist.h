/*
 * engine/dlist.h: an intrusive circular doubly-linked list.
 *
 * The engine's objects sit in several lists at once (an engine's requests,
 * the loop's finished queue, the requests waiting for the version ping) and
 * must leave any of them in O(1) from inside a callback without knowing
 * which list holds them. A node unlinked with dlist_del points to itself,
 * so removing it twice is harmless. Must never allocate.
 */
#ifndef CJOBS_ENGINE_DLIST_H
#define CJOBS_ENGINE_DLIST_H

#include <stdbool.h>
#include <stddef.h>

typedef struct dlist {
	struct dlist *prev, *next;
} dlist_t;

#define DLIST_ENTRY(ptr, type, member) ((type *)(void *)((char *)(ptr) - offsetof(type, member)))

static inline void dlist_init(dlist_t *n)
{
	n->prev = n->next = n;
}

static inline bool dlist_empty(const dlist_t *head)
{
	return head->next == head;
}

static inline void dlist_add_tail(dlist_t *head, dlist_t *n)
{
	n->prev = head->prev;
	n->next = head;
	head->prev->next = n;
	head->prev = n;
}

static inline void dlist_del(dlist_t *n)
{
	n->prev->next = n->next;
	n->next->prev = n->prev;
	dlist_init(n);
}

/* Moves every node of `from` to the end of `to`; `from` ends empty. */
static inline void dlist_splice(dlist_t *from, dlist_t *to)
{
	if (dlist_empty(from))
		return;
	from->next->prev = to->prev;
	to->prev->next = from->next;
	from->prev->next = to;
	to->prev = from->prev;
	dlist_init(from);
}

#endif
