/*
 * tests/unit/store/test_hosts.c: executor hosts: add, get, list, update,
 * remove (and its refusals), count, health checks, duplicate names.
 */
#include "helpers.h"

#include <stdlib.h>
#include <string.h>

static void full_host(host_t *h, const char *name)
{
	sample_host(h, name);
	h->tls_ca = strdup("/etc/cjobs/ca.pem");
	h->tls_cert = strdup("/etc/cjobs/cert.pem");
	h->tls_key = strdup("/etc/cjobs/key with space.pem");
	h->tls_verify = false;
	h->max_jobs = 42;
	h->weight = 7;
	h->pull_images = true;
	h->network_mode = strdup("none");
	h->enabled = false;
	h->checked_at = 0;
	h->registry_auth = strdup("/etc/cjobs/registry auth.json");
}

static void assert_host_equal(const host_t *a, const host_t *b)
{
	assert_int_equal(a->id, b->id);
	assert_string_equal(a->name, b->name);
	assert_string_equal(a->url, b->url);
	assert_string_equal(a->tls_ca, b->tls_ca);
	assert_string_equal(a->tls_cert, b->tls_cert);
	assert_string_equal(a->tls_key, b->tls_key);
	assert_int_equal(a->tls_verify, b->tls_verify);
	assert_int_equal(a->max_jobs, b->max_jobs);
	assert_int_equal(a->weight, b->weight);
	assert_int_equal(a->pull_images, b->pull_images);
	assert_string_equal(a->network_mode, b->network_mode);
	assert_int_equal(a->enabled, b->enabled);
	assert_int_equal(a->created_at, b->created_at);
	assert_int_equal(a->checked_at, b->checked_at);
	assert_int_equal(a->check_ok, b->check_ok);
	if (a->check_message || b->check_message)
		assert_string_equal(a->check_message, b->check_message);
	if (a->registry_auth || b->registry_auth)
		assert_string_equal(a->registry_auth, b->registry_auth);
}

static void test_add_get_round_trip(void **state)
{
	fixture_t *fx = *state;
	char *err = NULL;
	host_t h, got;
	full_host(&h, "gpu-1");
	OK(store_host_add(fx->s, &h, &err));
	assert_true(h.id > 0);
	assert_true(h.created_at > 0);
	OK(store_host_get(fx->s, "gpu-1", &got, &err));
	assert_host_equal(&got, &h);
	host_free(&got);
	/* NULL optional fields stay NULL. */
	host_t plain;
	sample_host(&plain, "plain");
	OK(store_host_add(fx->s, &plain, &err));
	OK(store_host_get(fx->s, "plain", &got, &err));
	assert_null(got.tls_ca);
	assert_null(got.network_mode);
	assert_null(got.check_message);
	assert_null(got.registry_auth);
	assert_true(got.tls_verify);
	host_free(&got);
	assert_int_equal(store_host_get(fx->s, "nope", &got, &err), 1);
	assert_null(err);
	host_free(&h);
	host_free(&plain);
}

static void test_duplicate_name(void **state)
{
	fixture_t *fx = *state;
	char *err = NULL;
	host_t h;
	sample_host(&h, "local");
	OK(store_host_add(fx->s, &h, &err));
	char *before = db_fingerprint(fx->path);
	int64_t id = h.id;
	assert_int_equal(store_host_add(fx->s, &h, &err), -1);
	assert_err_contains(err, "an executor host named \"local\" already exists");
	assert_int_equal(h.id, id);
	char *after = db_fingerprint(fx->path);
	assert_string_equal(before, after);
	int64_t n = 0;
	OK(store_host_count(fx->s, &n, &err));
	assert_int_equal(n, 1);
	free(before);
	free(after);
	host_free(&h);
}

static void test_list_ordered_by_name(void **state)
{
	fixture_t *fx = *state;
	char *err = NULL;
	const char *names[] = {"zeta", "alpha", "mid"};
	for (int i = 0; i < 3; i++) {
		host_t h;
		sample_host(&h, names[i]);
		OK(store_host_add(fx->s, &h, &err));
		host_free(&h);
	}
	host_t *list = NULL;
	size_t n = 0;
	OK(store_host_list(fx->s, &list, &n, &err));
	assert_int_equal(n, 3);
	assert_string_equal(list[0].name, "alpha");
	assert_string_equal(list[1].name, "mid");
	assert_string_equal(list[2].name, "zeta");
	store_host_list_free(list, n);
	int64_t count = 0;
	OK(store_host_count(fx->s, &count, &err));
	assert_int_equal(count, 3);
}

static void test_list_empty(void **state)
{
	fixture_t *fx = *state;
	char *err = NULL;
	host_t *list = (host_t *)1;
	size_t n = 9;
	OK(store_host_list(fx->s, &list, &n, &err));
	assert_int_equal(n, 0);
	store_host_list_free(list, n);
}

static void test_update(void **state)
{
	fixture_t *fx = *state;
	char *err = NULL;
	host_t h, got;
	sample_host(&h, "edit");
	OK(store_host_add(fx->s, &h, &err));
	host_free(&h);
	full_host(&h, "edit");
	OK(store_host_get(fx->s, "edit", &got, &err));
	h.id = got.id;
	h.created_at = got.created_at;
	h.checked_at = 99;
	h.check_ok = true;
	h.check_message = strdup("fine");
	host_free(&got);
	OK(store_host_update(fx->s, &h, &err));
	OK(store_host_get(fx->s, "edit", &got, &err));
	assert_host_equal(&got, &h);
	host_free(&got);
	free(h.name);
	h.name = strdup("ghost");
	assert_int_equal(store_host_update(fx->s, &h, &err), 1);
	host_free(&h);
}

static void test_checked(void **state)
{
	fixture_t *fx = *state;
	char *err = NULL;
	host_t h, got;
	sample_host(&h, "chk");
	OK(store_host_add(fx->s, &h, &err));
	OK(store_host_checked(fx->s, "chk", false, "connection refused", &err));
	OK(store_host_get(fx->s, "chk", &got, &err));
	assert_true(got.checked_at > 0);
	assert_false(got.check_ok);
	assert_string_equal(got.check_message, "connection refused");
	host_free(&got);
	OK(store_host_checked(fx->s, "chk", true, NULL, &err));
	OK(store_host_get(fx->s, "chk", &got, &err));
	assert_true(got.check_ok);
	assert_null(got.check_message);
	host_free(&got);
	assert_int_equal(store_host_checked(fx->s, "ghost", true, NULL, &err), -1);
	assert_err_contains(err, "ghost");
	host_free(&h);
}

static void test_remove_refusals(void **state)
{
	fixture_t *fx = *state;
	char *err = NULL;
	host_t h;
	sample_host(&h, "busy");
	OK(store_host_add(fx->s, &h, &err));
	host_free(&h);

	/* A queued job pinned to it. */
	int64_t pinned = add_job(fx->s, 0, "busy", 0);
	char *before = db_fingerprint(fx->path);
	assert_int_equal(store_host_remove(fx->s, "busy", &err), -1);
	assert_non_null(strstr(err, "\"busy\""));
	assert_err_contains(err, "1 queued job(s) are pinned to it");
	char *after = db_fingerprint(fx->path);
	assert_string_equal(before, after);
	free(before);
	free(after);

	/* A job running on it (not pinned). */
	job_t j;
	OK(store_job_get(fx->s, pinned, &j, &err));
	OK(store_job_move(fx->s, &j, JOB_QUEUED, JOB_CANCELLED, 0, "test", "x", &err));
	job_free(&j);
	int64_t id = add_job(fx->s, 0, NULL, 0);
	job_t *claimed = NULL;
	size_t n = 0;
	OK(store_job_claim(fx->s, "w1", 0, NULL, NULL, 1, &claimed, &n, &err));
	assert_int_equal(n, 1);
	claimed[0].ran_on = strdup("busy");
	OK(store_job_move(fx->s, &claimed[0], JOB_LAUNCHING, JOB_RUNNING, JOB_SET_RAN_ON,
			  "test", "started", &err));
	assert_int_equal(store_host_remove(fx->s, "busy", &err), -1);
	assert_err_contains(err, "1 job(s) are launching or running on it");
	int64_t active = 0;
	OK(store_job_active_on(fx->s, "busy", &active, &err));
	assert_int_equal(active, 1);

	/* Finished: the host may go; the job keeps its ran_on. */
	OK(store_job_move(fx->s, &claimed[0], JOB_RUNNING, JOB_COMPLETED, 0, "test", "done",
			  &err));
	OK(store_host_remove(fx->s, "busy", &err));
	assert_int_equal(store_host_remove(fx->s, "busy", &err), 1);
	assert_null(err);
	job_t got;
	OK(store_job_get(fx->s, id, &got, &err));
	assert_string_equal(got.ran_on, "busy");
	job_free(&got);
	store_job_list_free(claimed, n);
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, fx_setup, fx_teardown)
	const struct CMUnitTest tests[] = {
		T(test_add_get_round_trip), T(test_duplicate_name), T(test_list_ordered_by_name),
		T(test_list_empty),         T(test_update),         T(test_checked),
		T(test_remove_refusals),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
