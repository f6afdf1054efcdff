/*
 * tests/unit/alloc_wrap.h: allocation failure on demand, for the tests
 * that fail every allocation in turn (store-oom, engine-mock-oom). Linked
 * with the linker's --wrap of malloc, calloc, realloc, strdup, strndup and
 * asprintf (alloc_wrap_args in tests/unit/meson.build), alloc_wrap.c fails
 * each of them when the test's own alloc_should_fail() says so.
 */
#ifndef CJOBS_TESTS_ALLOC_WRAP_H
#define CJOBS_TESTS_ALLOC_WRAP_H

#include <stdbool.h>

/* Defined by the test: true when this allocation is to fail. */
bool alloc_should_fail(void);

#endif
