/*
 * tests/unit/core/test_deps.c: the --after syntax (ID[:ok|any|notok], and
 * names only where a submission may name its own jobs) and the one rule of
 * what a finished dependency means for the job that waits for it.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/deps.h"

static void test_parse_ids_and_conditions(void **state)
{
	(void)state;
	job_dep_t d;
	char *err = NULL;
	assert_int_equal(dep_parse("12", false, &d, &err), 0);
	assert_int_equal(d.id, 12);
	assert_null(d.ref);
	assert_int_equal(d.cond, DEP_OK);
	assert_int_equal(dep_parse("7:any", false, &d, &err), 0);
	assert_int_equal(d.id, 7);
	assert_int_equal(d.cond, DEP_ANY);
	assert_int_equal(dep_parse("7:notok", false, &d, &err), 0);
	assert_int_equal(d.cond, DEP_NOTOK);
	assert_int_equal(dep_parse("7:ok", false, &d, &err), 0);
	assert_int_equal(d.cond, DEP_OK);
	assert_null(err);
}

static void test_parse_refuses_what_is_not_an_id(void **state)
{
	(void)state;
	const char *bad[] = {"", "0", "-3", "+3", "1.5", "12x", "x", "12:", "12:OK", "12:maybe",
			     "1234567890123456789", ":ok", NULL};
	for (size_t i = 0; bad[i]; i++) {
		job_dep_t d;
		char *err = NULL;
		assert_int_equal(dep_parse(bad[i], false, &d, &err), -1);
		assert_non_null(err);
		free(err);
		free(d.ref);
	}
	job_dep_t d;
	char *err = NULL;
	assert_int_equal(dep_parse("extract", false, &d, &err), -1);
	assert_non_null(strstr(err, "is not a job id"));
	free(err);
	err = NULL;
	assert_int_equal(dep_parse("12:maybe", false, &d, &err), -1);
	assert_non_null(strstr(err, "ok, any or notok"));
	free(err);
}

static void test_parse_names_where_allowed(void **state)
{
	(void)state;
	job_dep_t d;
	char *err = NULL;
	assert_int_equal(dep_parse("extract:any", true, &d, &err), 0);
	assert_string_equal(d.ref, "extract");
	assert_int_equal(d.id, 0);
	assert_int_equal(d.cond, DEP_ANY);
	free(d.ref);
	/* A name with a colon inside keeps all but its last part. */
	assert_int_equal(dep_parse("a:b:notok", true, &d, &err), 0);
	assert_string_equal(d.ref, "a:b");
	assert_int_equal(d.cond, DEP_NOTOK);
	free(d.ref);
	/* Digits are an id, even where names are allowed. */
	assert_int_equal(dep_parse("42", true, &d, &err), 0);
	assert_int_equal(d.id, 42);
	assert_null(d.ref);
	char longname[JOB_NAME_MAX + 2];
	memset(longname, 'n', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = '\0';
	assert_int_equal(dep_parse(longname, true, &d, &err), -1);
	free(err);
}

static void test_outcome_rule(void **state)
{
	(void)state;
	/* Not finished: still waiting, whatever the condition. */
	for (int c = 0; c < DEP_COND_COUNT; c++)
		for (job_status_t s = JOB_QUEUED; s <= JOB_RUNNING; s++)
			assert_int_equal(dep_outcome((dep_cond_t)c, s), DEP_WAITING);
	assert_int_equal(dep_outcome(DEP_OK, JOB_COMPLETED), DEP_MET);
	assert_int_equal(dep_outcome(DEP_OK, JOB_FAILED), DEP_NEVER);
	assert_int_equal(dep_outcome(DEP_OK, JOB_TIMEOUT), DEP_NEVER);
	assert_int_equal(dep_outcome(DEP_OK, JOB_CANCELLED), DEP_NEVER);
	for (job_status_t s = JOB_COMPLETED; s < JOB_STATUS_COUNT; s++)
		assert_int_equal(dep_outcome(DEP_ANY, s), DEP_MET);
	assert_int_equal(dep_outcome(DEP_NOTOK, JOB_COMPLETED), DEP_NEVER);
	assert_int_equal(dep_outcome(DEP_NOTOK, JOB_FAILED), DEP_MET);
	assert_int_equal(dep_outcome(DEP_NOTOK, JOB_TIMEOUT), DEP_MET);
	assert_int_equal(dep_outcome(DEP_NOTOK, JOB_CANCELLED), DEP_NEVER);
}

static void test_names_and_reasons(void **state)
{
	(void)state;
	for (int c = 0; c < DEP_COND_COUNT; c++) {
		dep_cond_t back;
		assert_true(dep_cond_parse(dep_cond_name((dep_cond_t)c), &back));
		assert_int_equal(back, c);
	}
	for (int st = 0; st < DEP_STATE_COUNT; st++) {
		dep_state_t back;
		assert_true(dep_state_parse(dep_state_name((dep_state_t)st), &back));
		assert_int_equal(back, st);
	}
	char *r = dep_never_reason(12, JOB_FAILED);
	assert_string_equal(r, "dependency job 12 failed");
	free(r);
	r = dep_never_reason(3, JOB_CANCELLED);
	assert_string_equal(r, "dependency job 3 was cancelled");
	free(r);
	r = dep_never_reason(3, JOB_TIMEOUT);
	assert_string_equal(r, "dependency job 3 timed out");
	free(r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_ids_and_conditions),
		cmocka_unit_test(test_parse_refuses_what_is_not_an_id),
		cmocka_unit_test(test_parse_names_where_allowed),
		cmocka_unit_test(test_outcome_rule),
		cmocka_unit_test(test_names_and_reasons),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
