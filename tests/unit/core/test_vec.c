/*
 * tests/unit/core/test_vec.c: vec_room grows an array by doubling, keeps
 * what it held, and refuses sizes that would overflow without touching the
 * array.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <cmocka.h>

#include "util/vec.h"

typedef struct {
	int64_t a;
	char b;
} item_t;

static void test_grows_and_keeps(void **state)
{
	(void)state;
	item_t *v = NULL;
	size_t cap = 0;
	for (size_t i = 0; i < 1000; i++) {
		item_t *room = vec_room(&v, &cap, i, sizeof(*v), 4);
		assert_non_null(room);
		assert_ptr_equal(room, &v[i]);
		*room = (item_t){(int64_t)i * 3, (char)(i % 100)};
		assert_true(cap > i);
	}
	assert_int_equal(cap, 1024);  /* 4, 8, ... doubling */
	for (size_t i = 0; i < 1000; i++) {
		assert_int_equal(v[i].a, (int64_t)i * 3);
		assert_int_equal(v[i].b, (char)(i % 100));
	}
	/* Room that is there already: no growth. */
	assert_ptr_equal(vec_room(&v, &cap, 10, sizeof(*v), 4), &v[10]);
	assert_int_equal(cap, 1024);
	free(v);
}

static void test_refuses_overflow(void **state)
{
	(void)state;
	item_t *v = NULL;
	size_t cap = 0;
	assert_non_null(vec_room(&v, &cap, 0, sizeof(*v), 2));
	item_t *before = v;
	size_t cap_before = cap;
	assert_null(vec_room(&v, &cap, SIZE_MAX / 2, sizeof(*v), 2));
	assert_null(vec_room(&v, &cap, SIZE_MAX, sizeof(*v), 2));
	assert_ptr_equal(v, before);
	assert_int_equal(cap, cap_before);
	free(v);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_grows_and_keeps),
		cmocka_unit_test(test_refuses_overflow),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
