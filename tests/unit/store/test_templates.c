/*
 * tests/unit/store/test_templates.c: environment templates: add, get,
 * list, remove, duplicate names, and env values kept byte for byte.
 */
#include "helpers.h"

#include <stdlib.h>
#include <string.h>

static void make_template(env_template_t *t, const char *name, const char *const *env,
			  size_t n)
{
	memset(t, 0, sizeof(*t));
	t->name = strdup(name);
	t->description = strdup("for \"tests\"\nsecond line");
	t->envc = n;
	t->env = strv_dup((char *const *)env, n);
}

static void test_add_get_list_remove(void **state)
{
	fixture_t *fx = *state;
	char *err = NULL;
	const char *env[] = {"PATH=/bin:/usr/bin", "GREETING=hello world", "EMPTY=",
			     "ML=a\nb", "RAW=\xff\xfe"};
	env_template_t t, got;
	make_template(&t, "web", env, 5);
	OK(store_template_add(fx->s, &t, &err));
	assert_true(t.id > 0);
	assert_true(t.created_at > 0);
	OK(store_template_get(fx->s, "web", &got, &err));
	assert_int_equal(got.id, t.id);
	assert_int_equal(got.created_at, t.created_at);
	assert_string_equal(got.name, "web");
	assert_string_equal(got.description, t.description);
	assert_int_equal(got.envc, 5);
	for (size_t i = 0; i < 5; i++)
		assert_string_equal(got.env[i], env[i]);
	assert_null(got.env[5]);
	env_template_free(&got);

	env_template_t empty;
	make_template(&empty, "aaa-empty", NULL, 0);
	free(empty.description);
	empty.description = NULL;
	OK(store_template_add(fx->s, &empty, &err));
	env_template_t *list = NULL;
	size_t n = 0;
	OK(store_template_list(fx->s, &list, &n, &err));
	assert_int_equal(n, 2);
	assert_string_equal(list[0].name, "aaa-empty");
	assert_null(list[0].description);
	assert_int_equal(list[0].envc, 0);
	assert_non_null(list[0].env);
	assert_null(list[0].env[0]);
	assert_string_equal(list[1].name, "web");
	store_template_list_free(list, n);

	OK(store_template_remove(fx->s, "web", &err));
	assert_int_equal(store_template_remove(fx->s, "web", &err), 1);
	assert_int_equal(store_template_get(fx->s, "web", &got, &err), 1);
	assert_null(err);
	env_template_free(&t);
	env_template_free(&empty);
}

static void test_duplicate(void **state)
{
	fixture_t *fx = *state;
	char *err = NULL;
	const char *env[] = {"A=1"};
	env_template_t t;
	make_template(&t, "dup", env, 1);
	OK(store_template_add(fx->s, &t, &err));
	char *before = db_fingerprint(fx->path);
	assert_int_equal(store_template_add(fx->s, &t, &err), -1);
	assert_err_contains(err, "an environment template named \"dup\" already exists");
	char *after = db_fingerprint(fx->path);
	assert_string_equal(before, after);
	free(before);
	free(after);
	env_template_free(&t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_add_get_list_remove, fx_setup,
						fx_teardown),
		cmocka_unit_test_setup_teardown(test_duplicate, fx_setup, fx_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
