/*
 * tests/unit/ops/test_render.c: the job object written two ways (a jansson
 * tree for job show, JSON text for the API's pages) is one object: the
 * same text as json_dumps(JSON_COMPACT) of the tree, for jobs with every
 * field set, none set, text that needs escaping, invalid UTF-8, secrets
 * and reals of every shape. A job's summary (the API's pages) is that
 * object's summary members, the same.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/retry.h"
#include "ops/jobs.h"
#include "ops/render.h"

static char arg0[] = "sh", arg1[] = "-c", arg2[] = "echo \"hi\"\\\n\t\x01 done \xc3\xa9 \xe2\x82\xac /";
static char *argv3[] = {arg0, arg1, arg2};
static char env0[] = "A=1", env1[] = "API_TOKEN=s3cret", env2[] = "B=\x7f bad \xff\xfe end";
static char *env3[] = {env0, env1, env2};

/* The members of a job's summary, in order (GET /api/v1/jobs's pages). */
static const char *const summary_keys[] = {
	"id",          "name",        "status",     "image",      "priority",  "not_before",
	"waiting_on",  "host",        "max_retries", "attempt",   "exit_code", "created_at",
	"queued_at",   "started_at",  "finished_at", "last_error", "ran_on",   "schedule_id",
};

/* The summary is the whole object's members of summary_keys, in that
 * order, with the same values. */
static void summary_of(const job_t *j, const json_t *whole)
{
	strbuf_t sb = STRBUF_INIT;
	render_job_summary_text(&sb, j);
	assert_false(sb.failed);
	json_error_t je;
	json_t *summary = json_loads(sb.buf, JSON_PRESERVE_ORDER, &je);
	if (!summary)
		fail_msg("summary is not JSON (%s): %s", je.text, sb.buf);
	size_t n = sizeof(summary_keys) / sizeof(summary_keys[0]), i = 0;
	const char *key;
	json_t *value;
	json_object_foreach(summary, key, value) {
		if (i >= n || strcmp(key, summary_keys[i]) != 0)
			fail_msg("summary member %zu is %s, not %s", i, key, i < n ? summary_keys[i] : "(none)");
		if (!json_equal(value, json_object_get(whole, key)))
			fail_msg("summary's %s differs from the whole object's: %s", key, sb.buf);
		i++;
	}
	assert_int_equal(i, n);
	json_decref(summary);
	sb_free(&sb);
}

static void same(const job_t *j, bool secrets)
{
	json_t *tree = render_job_json(j, secrets);
	assert_non_null(tree);
	char *want = json_dumps(tree, JSON_COMPACT);
	assert_non_null(want);
	strbuf_t sb = STRBUF_INIT;
	render_job_json_text(&sb, j, secrets);
	assert_false(sb.failed);
	if (strcmp(sb.buf, want) != 0)
		fail_msg("text:\n%s\ntree:\n%s", sb.buf, want);
	/* And it reads back as the tree. */
	json_error_t je;
	json_t *back = json_loads(sb.buf, 0, &je);
	assert_non_null(back);
	assert_true(json_equal(back, tree));
	json_decref(back);
	/* Written after other text, the same again; and piece by piece into
	 * a limited buffer (which gives no room ahead), the same too. */
	strbuf_t after = STRBUF_INIT, limited;
	sb_puts(&after, "[1,");
	render_job_json_text(&after, j, secrets);
	assert_false(after.failed);
	assert_string_equal(after.buf + 3, want);
	sb_init(&limited, 1 << 20);
	render_job_json_text(&limited, j, secrets);
	assert_false(limited.failed);
	assert_string_equal(limited.buf, want);
	sb_free(&after);
	sb_free(&limited);
	sb_free(&sb);
	free(want);
	summary_of(j, tree);
	json_decref(tree);
}

static void test_full_job(void **state)
{
	(void)state;
	job_t j;
	job_init(&j);
	j.id = 42;
	snprintf(j.uuid, sizeof(j.uuid), "%s", "01a232f1-7862-7c35-8a6f-d26fef904735");
	j.name = (char *)"n\"a\\me \xe2\x82\xac";
	j.status = JOB_FAILED;
	j.image = (char *)"busybox:1.36";
	j.argv = argv3;
	j.argc = 3;
	j.workdir = (char *)"/w";
	j.env = env3;
	j.envc = 3;
	j.template_name = (char *)"t";
	j.memory_bytes = 64 << 20;
	j.nano_cpus = 500000000;
	j.timeout_s = 300;
	j.priority = -7;
	j.not_before = 1795559415123LL;
	j.host = (char *)"e1";
	j.max_retries = 3;
	j.retry_strategy = (char *)"aggressive";
	j.retry_exit_codes = (char *)"1,75";
	j.attempt = 2;
	j.has_exit_code = true;
	j.exit_code = 3;
	j.created_at = 1795559415000LL;
	j.queued_at = 1795559415001LL;
	j.started_at = 1795559416000LL;
	j.finished_at = 1795559417999LL;
	j.peak_memory_bytes = 123456;
	j.cpu_usage_ns = 1234567891;
	j.last_error = (char *)"engine said \x1b[31mno\x1b[0m \xc0\xaf";
	j.ran_on = (char *)"e1";
	j.container_name = (char *)"cjobs-x-2";
	j.container_id = (char *)"abc";
	char *vols[] = {"/a:/b:ro", "v:/v", NULL}, *labels[] = {"k=v\"", NULL},
	     *caps[] = {"NET_ADMIN", NULL};
	j.ctr.volumes = vols;
	j.ctr.nvolumes = 2;
	j.ctr.labels = labels;
	j.ctr.nlabels = 1;
	j.ctr.cap_add = caps;
	j.ctr.ncap_add = 1;
	j.ctr.user = (char *)"1000:1000";
	j.ctr.pull = CTR_PULL_ALWAYS;
	j.ctr.read_only = true;
	j.ctr.shm_size = 1 << 26;
	j.ctr.no_new_privileges = true;
	j.ctr.gpus = (char *)"all";
	same(&j, false);
	same(&j, true);
}

static void test_empty_job(void **state)
{
	(void)state;
	job_t j;
	job_init(&j);
	j.image = (char *)"x";
	same(&j, false);
}

static void test_reals(void **state)
{
	(void)state;
	static const int64_t nanos[] = {1, 100000000, 1000000000, 2000000000, 123456789012345678LL,
					999999999, 7, 3000000000000000000LL, 64000000000LL};
	job_t j;
	job_init(&j);
	j.image = (char *)"x";
	for (size_t i = 0; i < sizeof(nanos) / sizeof(nanos[0]); i++) {
		j.nano_cpus = nanos[i];
		j.cpu_usage_ns = nanos[i] * 3;
		same(&j, false);
	}
	/* The retry factor: whole ones (written without printf) and not. */
	static const int64_t factor_milli[] = {1000, 2000, 1500, 10000, 1001};
	for (size_t i = 0; i < sizeof(factor_milli) / sizeof(factor_milli[0]); i++) {
		char *policy = NULL;
		assert_int_equal(retry_policy_format("aggressive", 3, factor_milli[i], 100, &policy,
						     NULL),
				 0);
		j.retry_strategy = policy;
		same(&j, false);
		j.retry_strategy = NULL;
		free(policy);
	}
}

/* Strings longer than the room the writer reserves ahead, escapes
 * among them, and many members past it. */
static void test_long_strings(void **state)
{
	(void)state;
	size_t n = 20000;
	char *big = malloc(n + 1), *big2 = malloc(n + 1);
	assert_non_null(big);
	assert_non_null(big2);
	for (size_t i = 0; i < n; i++) {
		big[i] = (char)('a' + i % 26);
		big2[i] = i % 7 == 0 ? '"' : i % 11 == 0 ? '\n' : (char)('A' + i % 26);
	}
	big[n] = big2[n] = '\0';
	char *argv[] = {big, big2, big};
	job_t j;
	job_init(&j);
	j.image = big2;
	j.name = big;
	j.argv = argv;
	j.argc = 3;
	same(&j, false);
	free(big);
	free(big2);
}

/* GET /api/v1/jobs/ID writes job show's object as text: the same bytes
 * as json_dumps(JSON_COMPACT) of ops_job_detail_json's tree, with the
 * detail's members full and empty. */
static void same_detail(const job_t *j, const store_job_detail_t *d)
{
	json_t *tree = NULL;
	char *err = NULL;
	assert_int_equal(ops_job_detail_json(j, d, false, &tree, &err), OPS_OK);
	char *want = json_dumps(tree, JSON_COMPACT);
	assert_non_null(want);
	strbuf_t sb = STRBUF_INIT;
	sb_puts(&sb, "x");
	assert_int_equal(ops_job_detail_text(j, d, false, &sb, &err), OPS_OK);
	assert_null(err);
	if (strcmp(sb.buf + 1, want) != 0)
		fail_msg("text:\n%s\ntree:\n%s", sb.buf + 1, want);
	sb_free(&sb);
	free(want);
	json_decref(tree);
}

static void test_detail_text(void **state)
{
	(void)state;
	job_t j;
	job_init(&j);
	j.id = 7;
	snprintf(j.uuid, sizeof(j.uuid), "%s", "01a232f1-7862-7c35-8a6f-d26fef904735");
	j.status = JOB_RUNNING;
	j.image = (char *)"img";
	j.argv = argv3;
	j.argc = 3;
	j.env = env3;
	j.envc = 3;
	j.schedule_id = 3;
	store_job_detail_t d;
	memset(&d, 0, sizeof(d));
	same_detail(&j, &d);
	job_event_t ev[] = {
		{.at = 1795559415123LL, .attempt = 0, .from = JOB_STATUS_COUNT, .to = JOB_QUEUED,
		 .actor = (char *)"submit", .reason = NULL},
		{.at = 1795559416000LL, .attempt = 1, .from = JOB_QUEUED, .to = JOB_RUNNING,
		 .actor = (char *)"worker:m:1:w", .reason = (char *)"said \"hi\" \xc3\xa9"},
	};
	store_dep_t after[] = {{.id = 5, .cond = DEP_OK, .state = DEP_MET, .status = JOB_COMPLETED}};
	store_dep_t before[] = {
		{.id = 9, .cond = DEP_ANY, .state = DEP_WAITING, .status = JOB_QUEUED},
		{.id = 10, .cond = DEP_NOTOK, .state = DEP_WAITING, .status = JOB_QUEUED},
	};
	d.history = ev;
	d.nhistory = 2;
	d.after = after;
	d.nafter = 1;
	d.before = before;
	d.nbefore = 2;
	d.schedule = (char *)"nightly \"x\"";
	d.sizes[0] = (store_output_size_t){.have = true, .kept = 10, .total = 1LL << 40, .truncated = true};
	same_detail(&j, &d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_full_job),
		cmocka_unit_test(test_empty_job),
		cmocka_unit_test(test_reals),
		cmocka_unit_test(test_long_strings),
		cmocka_unit_test(test_detail_text),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
