/*
 * tests/unit/core/test_validate.c: whole-record checks (core/validate.c).
 * validate_text (length limit, control characters, every kind of invalid
 * UTF-8: stray continuation bytes, truncated sequences, overlongs,
 * surrogates, code points past U+10FFFF), validate_image, validate_job (each
 * field's bounds, exactly at and just past them), validate_name,
 * validate_engine_url and validate_host (TLS rules, max_jobs and weight).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/job.h"
#include "core/validate.h"

/* Asserts rc == 0 and no message. */
#define OK(call)                                                       \
	do {                                                           \
		char *err_ = NULL;                                     \
		if ((call) != 0)                                       \
			fail_msg("%s refused: %s", #call, err_);       \
		assert_null(err_);                                     \
	} while (0)
/* Asserts rc == -1 and a message holding frag. The call uses err_. */
#define BAD(call, frag)                                                          \
	do {                                                                     \
		char *err_ = NULL;                                               \
		int rc_ = (call);                                                \
		if (rc_ != -1)                                                   \
			fail_msg("%s accepted", #call);                          \
		assert_non_null(err_);                                           \
		if (!strstr(err_, (frag)))                                       \
			fail_msg("%s: message '%s' lacks '%s'", #call, err_, (frag)); \
		free(err_);                                                      \
	} while (0)

/* ---- validate_text ---- */

static void test_text_valid(void **state)
{
	(void)state;
	static const char *const good[] = {
		"", "plain ascii", "~!@#$%^&*()_+{}|:\"<>?`-=[]\\;',./",
		"caf\xc3\xa9",                  /* U+00E9, 2 bytes */
		"\xc2\x80",                     /* U+0080, smallest 2-byte */
		"\xdf\xbf",                     /* U+07FF */
		"\xe0\xa0\x80",                 /* U+0800, smallest 3-byte */
		"\xe2\x82\xac",                 /* euro sign */
		"\xed\x9f\xbf",                 /* U+D7FF, just below the surrogates */
		"\xee\x80\x80",                 /* U+E000, just above them */
		"\xef\xbf\xbf",                 /* U+FFFF */
		"\xf0\x90\x80\x80",             /* U+10000, smallest 4-byte */
		"\xf0\x9f\x98\x80",             /* an emoji */
		"\xf4\x8f\xbf\xbf",             /* U+10FFFF, the last code point */
		"mixed \xe6\x97\xa5\xe6\x9c\xac text",
	};
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		OK(validate_text("the name", good[i], 100, &err_));
}

static void test_text_control(void **state)
{
	(void)state;
	BAD(validate_text("the name", "a\tb", 100, &err_), "control character (byte 0x09) at position 2");
	BAD(validate_text("the name", "\n", 100, &err_), "byte 0x0a");
	BAD(validate_text("the name", "a\rb", 100, &err_), "byte 0x0d");
	BAD(validate_text("the name", "\x1b[31m", 100, &err_), "byte 0x1b");
	BAD(validate_text("the name", "x\x01", 100, &err_), "byte 0x01");
	BAD(validate_text("the name", "x\x1f", 100, &err_), "byte 0x1f");
	BAD(validate_text("the name", "del\x7f", 100, &err_), "byte 0x7f) at position 4");
	BAD(validate_text("the job name", "\t", 100, &err_), "the job name has");
}

static void test_text_invalid_utf8(void **state)
{
	(void)state;
	static const struct { const char *s; const char *where; } bad[] = {
		{"\x80", "byte 1"},                 /* lone continuation byte */
		{"ab\xbf", "byte 3"},
		{"\xc3", "byte 1"},                 /* truncated 2-byte */
		{"\xc3x", "byte 1"},
		{"\xe2\x82", "byte 1"},             /* truncated 3-byte */
		{"\xf0\x9f\x98", "byte 1"},         /* truncated 4-byte */
		{"\xc0\x80", "byte 1"},             /* overlong NUL */
		{"\xc1\xbf", "byte 1"},             /* overlong U+007F */
		{"\xe0\x80\x80", "byte 1"},         /* overlong 3-byte */
		{"\xe0\x9f\xbf", "byte 1"},         /* overlong U+07FF */
		{"\xf0\x80\x80\x80", "byte 1"},     /* overlong 4-byte */
		{"\xf0\x8f\xbf\xbf", "byte 1"},     /* overlong U+FFFF */
		{"\xed\xa0\x80", "byte 1"},         /* U+D800, high surrogate */
		{"x\xed\xbf\xbf", "byte 2"},        /* U+DFFF, low surrogate */
		{"\xf4\x90\x80\x80", "byte 1"},     /* U+110000 */
		{"\xf5\x80\x80\x80", "byte 1"},
		{"\xf7\xbf\xbf\xbf", "byte 1"},
		{"\xf8\x88\x80\x80\x80", "byte 1"}, /* 5-byte form */
		{"\xfc\x84\x80\x80\x80\x80", "byte 1"},
		{"\xfe", "byte 1"},
		{"\xff", "byte 1"},
		{"ok \xc3\xa9 then \xe9", "byte 12"}, /* latin-1 after valid UTF-8 */
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char *err = NULL;
		if (validate_text("the name", bad[i].s, 100, &err) != -1)
			fail_msg("case %zu accepted", i);
		assert_non_null(err);
		char want[64];
		snprintf(want, sizeof(want), "not valid UTF-8 (at %s)", bad[i].where);
		if (!strstr(err, want))
			fail_msg("case %zu: '%s' lacks '%s'", i, err, want);
		free(err);
	}
}

static void test_text_length(void **state)
{
	(void)state;
	OK(validate_text("the name", "12345", 5, &err_));
	BAD(validate_text("the name", "123456", 5, &err_), "6 bytes long; the limit is 5");
	/* The limit is in bytes: a 3-byte character counts 3. */
	OK(validate_text("the name", "\xe2\x82\xac\xe2\x82\xac", 6, &err_));
	BAD(validate_text("the name", "\xe2\x82\xac\xe2\x82\xac", 5, &err_), "limit is 5");
	OK(validate_text("the name", "", 0, &err_));
}

/* ---- validate_image ---- */

static void test_image_valid(void **state)
{
	(void)state;
	static const char *const good[] = {
		"busybox", "busybox:1.36", "library/busybox:latest", "ghcr.io/org/app:v1.2.3",
		"127.0.0.1:5000/team/app@sha256:0123456789abcdef0123456789abcdef",
		"registry.example.com/a/b/c", "localhost/app", "localhost:5000/app:1",
		"app@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
		"my_app-2", "9front", "a__b", "a---b", "Registry.Example.com/app", "a/b:V1.0_rc-2",
	};
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		OK(validate_image(good[i], &err_));
	char img[JOB_IMAGE_MAX + 2];
	memset(img, 'a', JOB_IMAGE_MAX);
	img[JOB_IMAGE_MAX] = '\0';
	OK(validate_image(img, &err_));
}

static void test_image_invalid(void **state)
{
	(void)state;
	BAD(validate_image(NULL, &err_), "image name is empty");
	BAD(validate_image("", &err_), "image name is empty");
	BAD(validate_image("busy box", &err_), "invalid character at position 5");
	BAD(validate_image(" busybox", &err_), "position 1");
	BAD(validate_image("busybox ", &err_), "position 8");
	BAD(validate_image("busybox\n", &err_), "(not printable)");
	BAD(validate_image("busy\tbox", &err_), "(not printable)");
	BAD(validate_image("busybox\x1b", &err_), "position 8");
	BAD(validate_image("caf\xc3\xa9", &err_), "position 4");
	BAD(validate_image("/busybox", &err_), "must start with a letter or digit");
	BAD(validate_image(":tag", &err_), "must start");
	BAD(validate_image("-x", &err_), "must start");
	BAD(validate_image(".x", &err_), "must start");
	BAD(validate_image("a;rm -rf", &err_), "invalid character");
	BAD(validate_image("a$(x)", &err_), "invalid character at position 2");
	/* What the engine refuses later is refused now, with the reason. */
	BAD(validate_image("BUSYBOX", &err_), "upper case is not allowed");
	BAD(validate_image("ghcr.io/Org/app", &err_), "'Org' is not a valid repository name");
	BAD(validate_image("a::", &err_), "the tag after ':'");
	BAD(validate_image("busybox:", &err_), "the tag after ':'");
	BAD(validate_image("busybox:.x", &err_), "the tag after ':'");
	BAD(validate_image("a..b", &err_), "'a..b' is not a valid repository name");
	BAD(validate_image("a-", &err_), "'a-' is not a valid repository name");
	BAD(validate_image("a/", &err_), "is not a valid repository name");
	BAD(validate_image("a//b", &err_), "is not a valid repository name");
	BAD(validate_image("a___b", &err_), "is not a valid repository name");
	BAD(validate_image("app@sha256:abc", &err_), "the digest after '@'");
	BAD(validate_image("app@sha256", &err_), "the digest after '@'");
	BAD(validate_image("app@x@sha256:0123456789abcdef0123456789abcdef", &err_), "digest");
	BAD(validate_image("reg.io:99999999/app", &err_), "is not a registry address");
	BAD(validate_image("reg.io:/app", &err_), "is not a registry address");
	char img[JOB_IMAGE_MAX + 2];
	memset(img, 'a', JOB_IMAGE_MAX + 1);
	img[JOB_IMAGE_MAX + 1] = '\0';
	BAD(validate_image(img, &err_), "513 characters long; the limit is 512");
}

/* ---- validate_job ---- */

static job_t good_job(void)
{
	job_t j;
	job_init(&j);
	j.image = (char *)"busybox:1.36";
	return j;
}

static void test_job_minimal(void **state)
{
	(void)state;
	job_t j = good_job();
	OK(validate_job(&j, &err_));
	j.image = NULL;
	BAD(validate_job(&j, &err_), "image name is empty");
	j.image = (char *)"bad image";
	BAD(validate_job(&j, &err_), "invalid character");
}

static void test_job_full(void **state)
{
	(void)state;
	char *argv[] = {(char *)"sh", (char *)"-c", (char *)"echo \"$A\"; exit 3", NULL};
	char *env[] = {(char *)"A=1", (char *)"B=two words", NULL};
	job_t j = good_job();
	j.name = (char *)"nightly build \xe2\x9c\x93";
	j.argv = argv;
	j.argc = 3;
	j.env = env;
	j.envc = 2;
	j.workdir = (char *)"/work/dir";
	j.memory_bytes = 512LL << 20;
	j.nano_cpus = 1500000000;
	j.timeout_s = 300;
	j.priority = 10;
	j.max_retries = 3;
	j.host = (char *)"web-1.prod";
	OK(validate_job(&j, &err_));
}

static void test_job_memory(void **state)
{
	(void)state;
	job_t j = good_job();
	j.memory_bytes = 0;
	OK(validate_job(&j, &err_));
	j.memory_bytes = 6LL << 20;
	OK(validate_job(&j, &err_));
	j.memory_bytes = (6LL << 20) - 1;
	BAD(validate_job(&j, &err_), "memory limit");
	j.memory_bytes = 5LL << 20;
	BAD(validate_job(&j, &err_), "memory limit");
	j.memory_bytes = 1;
	BAD(validate_job(&j, &err_), "memory limit");
	j.memory_bytes = -1;
	BAD(validate_job(&j, &err_), "memory limit");
	j.memory_bytes = JOB_MEMORY_MAX;
	OK(validate_job(&j, &err_));
	j.memory_bytes = JOB_MEMORY_MAX + 1;
	BAD(validate_job(&j, &err_), "memory limit");
	j.memory_bytes = INT64_MAX;
	BAD(validate_job(&j, &err_), "memory limit");
}

static void test_job_cpus(void **state)
{
	(void)state;
	job_t j = good_job();
	const int64_t ok[] = {0, 10000000, 500000000, 1000000000, JOB_CPUS_MAX_NANO};
	const int64_t bad[] = {-1, 1, 9999999, JOB_CPUS_MAX_NANO + 1, INT64_MAX, INT64_MIN};
	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		j.nano_cpus = ok[i];
		OK(validate_job(&j, &err_));
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		j.nano_cpus = bad[i];
		BAD(validate_job(&j, &err_), "CPU limit");
	}
}

static void test_job_timeout(void **state)
{
	(void)state;
	job_t j = good_job();
	const int64_t ok[] = {JOB_TIMEOUT_DEFAULT, 0, 1, 3600, 604800};
	const int64_t bad[] = {-2, 604801, INT64_MAX, INT64_MIN};
	assert_int_equal(JOB_TIMEOUT_MAX, 604800);
	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		j.timeout_s = ok[i];
		OK(validate_job(&j, &err_));
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		j.timeout_s = bad[i];
		BAD(validate_job(&j, &err_), "time limit");
	}
}

static void test_job_priority_and_retries(void **state)
{
	(void)state;
	job_t j = good_job();
	j.priority = -1000;
	OK(validate_job(&j, &err_));
	j.priority = 1000;
	OK(validate_job(&j, &err_));
	j.priority = -1001;
	BAD(validate_job(&j, &err_), "priority must be from -1000 to 1000");
	j.priority = 1001;
	BAD(validate_job(&j, &err_), "priority");
	j.priority = 0;

	j.max_retries = 0;
	OK(validate_job(&j, &err_));
	j.max_retries = 100;
	OK(validate_job(&j, &err_));
	j.max_retries = 101;
	BAD(validate_job(&j, &err_), "retries must be from 0 to 100");
	j.max_retries = -1;
	BAD(validate_job(&j, &err_), "retries");
}

static void test_job_workdir(void **state)
{
	(void)state;
	job_t j = good_job();
	j.workdir = (char *)"/";
	OK(validate_job(&j, &err_));
	j.workdir = (char *)"work";
	BAD(validate_job(&j, &err_), "must be an absolute path");
	j.workdir = (char *)"./work";
	BAD(validate_job(&j, &err_), "absolute");
	j.workdir = (char *)"";
	BAD(validate_job(&j, &err_), "absolute");
	j.workdir = (char *)"/a\nb";
	BAD(validate_job(&j, &err_), "working directory has a control character");
	char *wd = malloc(JOB_WORKDIR_MAX + 2);
	assert_non_null(wd);
	memset(wd, 'd', JOB_WORKDIR_MAX + 1);
	wd[0] = '/';
	wd[JOB_WORKDIR_MAX] = '\0';
	j.workdir = wd;
	OK(validate_job(&j, &err_));
	wd[JOB_WORKDIR_MAX] = 'd';
	wd[JOB_WORKDIR_MAX + 1] = '\0';
	BAD(validate_job(&j, &err_), "limit is 1024");
	free(wd);
}

static void test_job_name(void **state)
{
	(void)state;
	job_t j = good_job();
	char name[JOB_NAME_MAX + 2];
	memset(name, 'n', JOB_NAME_MAX + 1);
	name[JOB_NAME_MAX] = '\0';
	j.name = name;
	OK(validate_job(&j, &err_));
	name[JOB_NAME_MAX] = 'n';
	name[JOB_NAME_MAX + 1] = '\0';
	BAD(validate_job(&j, &err_), "the job name is 201 bytes long");
	j.name = (char *)"a\x1b[2Jb";
	BAD(validate_job(&j, &err_), "job name has a control character");
	j.name = (char *)"\xff";
	BAD(validate_job(&j, &err_), "not valid UTF-8");
}

static void test_job_argv_and_env(void **state)
{
	(void)state;
	job_t j = good_job();
	char *big = malloc(JOB_ARG_MAX + 2);
	assert_non_null(big);
	memset(big, 'x', JOB_ARG_MAX + 1);
	big[JOB_ARG_MAX] = '\0';
	char *argv[] = {(char *)"echo", big, NULL};
	j.argv = argv;
	j.argc = 2;
	OK(validate_job(&j, &err_));
	big[JOB_ARG_MAX] = 'x';
	big[JOB_ARG_MAX + 1] = '\0';
	BAD(validate_job(&j, &err_), "command argument 2 is 65537 bytes long");
	free(big);

	j = good_job();
	j.argc = JOB_ARGC_MAX + 1; /* refused before argv is looked at */
	BAD(validate_job(&j, &err_), "4097 arguments");

	j = good_job();
	char *env[] = {(char *)"GOOD=1", (char *)"BAD-KEY=hunter2S3CR3T", NULL};
	j.env = env;
	j.envc = 1;
	OK(validate_job(&j, &err_));
	j.envc = 2;
	char *err = NULL;
	assert_int_equal(validate_job(&j, &err), -1);
	assert_non_null(strstr(err, "'-'"));
	assert_null(strstr(err, "S3CR3T"));
	free(err);
	j.envc = JOB_ENV_MAX + 1;
	BAD(validate_job(&j, &err_), "4097 environment entries");

	j = good_job();
	j.host = (char *)"bad host";
	BAD(validate_job(&j, &err_), "host name may hold only");
	j.host = (char *)"";
	BAD(validate_job(&j, &err_), "host name is empty");
}

/* ---- validate_name ---- */

static void test_name(void **state)
{
	(void)state;
	static const char *const good[] = {"a", "local", "web-1.prod_x", "9", "A.b-C_d",
					   "a-", "a..b"};
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		OK(validate_name("host name", good[i], &err_));
	char name[HOST_NAME_MAX_LEN + 2];
	memset(name, 'h', HOST_NAME_MAX_LEN + 1);
	name[HOST_NAME_MAX_LEN] = '\0';
	OK(validate_name("host name", name, &err_));
	name[HOST_NAME_MAX_LEN] = 'h';
	name[HOST_NAME_MAX_LEN + 1] = '\0';
	BAD(validate_name("host name", name, &err_), "65 characters long; the limit is 64");

	BAD(validate_name("host name", NULL, &err_), "the host name is empty");
	BAD(validate_name("template name", "", &err_), "the template name is empty");
	BAD(validate_name("host name", "-a", &err_), "must start with a letter or digit");
	BAD(validate_name("host name", ".a", &err_), "must start");
	BAD(validate_name("host name", "_a", &err_), "must start");
	BAD(validate_name("host name", " a", &err_), "must start");
	BAD(validate_name("host name", "a b", &err_), "may hold only");
	BAD(validate_name("host name", "a/b", &err_), "may hold only");
	BAD(validate_name("host name", "a:b", &err_), "may hold only");
	BAD(validate_name("host name", "a\n", &err_), "may hold only");
	BAD(validate_name("host name", "caf\xc3\xa9", &err_), "may hold only");
	BAD(validate_name("host name", "\xc3\xa9", &err_), "must start");
}

/* ---- validate_engine_url ---- */

static void test_engine_url(void **state)
{
	(void)state;
	static const char *const good[] = {
		"unix:///x", "unix:///var/run/docker.sock", "tcp://127.0.0.1:2375",
		"tcp://docker.example.com:2376", "tcp://h:1", "tcp://h:65535", "tcp://h:2375/",
		"tcp://[::1]:2375",
	};
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		OK(validate_engine_url(good[i], &err_));

	BAD(validate_engine_url(NULL, &err_), "engine address is empty");
	BAD(validate_engine_url("", &err_), "engine address is empty");
	BAD(validate_engine_url("unix://x", &err_), "absolute socket path");
	BAD(validate_engine_url("unix://", &err_), "absolute socket path");
	BAD(validate_engine_url("unix:/x", &err_), "not understood");
	BAD(validate_engine_url("/var/run/docker.sock", &err_), "not understood");
	BAD(validate_engine_url("tcp://h", &err_), "needs a host and a port");
	BAD(validate_engine_url("tcp://", &err_), "needs a host and a port");
	BAD(validate_engine_url("tcp://:2375", &err_), "needs a host and a port");
	BAD(validate_engine_url("tcp://h:", &err_), "invalid port");
	BAD(validate_engine_url("tcp://h:0", &err_), "invalid port");
	BAD(validate_engine_url("tcp://h:65536", &err_), "invalid port");
	BAD(validate_engine_url("tcp://h:-1", &err_), "invalid port");
	BAD(validate_engine_url("tcp://h:abc", &err_), "invalid port");
	BAD(validate_engine_url("tcp://h:2375x", &err_), "invalid port");
	BAD(validate_engine_url("tcp://h:2375/path", &err_), "invalid port");
	BAD(validate_engine_url("tcp://h:99999999999999999999", &err_), "invalid port");
	BAD(validate_engine_url("tcp://h: 2375", &err_), "invalid port");
	BAD(validate_engine_url("tcp://h:+2375", &err_), "invalid port");
	BAD(validate_engine_url("http://127.0.0.1:2375", &err_), "not understood");
	BAD(validate_engine_url("https://127.0.0.1:2376", &err_), "not understood");
	BAD(validate_engine_url("TCP://h:1", &err_), "not understood");
	BAD(validate_engine_url("unix:///x\n", &err_), "control character");
}

/* ---- validate_host ---- */

static host_t good_host(void)
{
	host_t h;
	host_init(&h);
	h.name = (char *)"local";
	h.url = (char *)"unix:///var/run/docker.sock";
	return h;
}

static void test_host(void **state)
{
	(void)state;
	host_t h = good_host();
	OK(validate_host(&h, &err_));
	h.name = (char *)"-bad";
	BAD(validate_host(&h, &err_), "host name must start");
	h = good_host();
	h.url = (char *)"unix://relative";
	BAD(validate_host(&h, &err_), "absolute socket path");

	/* TLS files only with tcp://, and cert and key together. */
	h = good_host();
	h.tls_ca = (char *)"/ca.pem";
	BAD(validate_host(&h, &err_), "TLS files are only used with tcp://");
	h = good_host();
	h.tls_cert = (char *)"/cert.pem";
	h.tls_key = (char *)"/key.pem";
	BAD(validate_host(&h, &err_), "only used with tcp://");
	h.url = (char *)"tcp://10.0.0.1:2376";
	OK(validate_host(&h, &err_));
	h.tls_ca = (char *)"/ca.pem";
	OK(validate_host(&h, &err_));
	h.tls_key = NULL;
	BAD(validate_host(&h, &err_), "give both --tls-cert and --tls-key");
	h.tls_key = (char *)"/key.pem";
	h.tls_cert = NULL;
	BAD(validate_host(&h, &err_), "give both");
	h.tls_key = NULL;
	OK(validate_host(&h, &err_)); /* CA alone: verify the server only */

	h = good_host();
	h.max_jobs = 1;
	OK(validate_host(&h, &err_));
	h.max_jobs = HOST_MAX_JOBS_MAX;
	OK(validate_host(&h, &err_));
	h.max_jobs = 0;
	BAD(validate_host(&h, &err_), "maximum of concurrent jobs must be from 1 to 10000");
	h.max_jobs = HOST_MAX_JOBS_MAX + 1;
	BAD(validate_host(&h, &err_), "concurrent jobs");
	h.max_jobs = -1;
	BAD(validate_host(&h, &err_), "concurrent jobs");

	h = good_host();
	h.weight = 1;
	OK(validate_host(&h, &err_));
	h.weight = 1000;
	OK(validate_host(&h, &err_));
	h.weight = 0;
	BAD(validate_host(&h, &err_), "weight must be from 1 to 1000");
	h.weight = 1001;
	BAD(validate_host(&h, &err_), "weight");

	h = good_host();
	h.network_mode = (char *)"bridge";
	OK(validate_host(&h, &err_));
	h.network_mode = (char *)"bad mode";
	BAD(validate_host(&h, &err_), "network mode may hold only");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_text_valid),
		cmocka_unit_test(test_text_control),
		cmocka_unit_test(test_text_invalid_utf8),
		cmocka_unit_test(test_text_length),
		cmocka_unit_test(test_image_valid),
		cmocka_unit_test(test_image_invalid),
		cmocka_unit_test(test_job_minimal),
		cmocka_unit_test(test_job_full),
		cmocka_unit_test(test_job_memory),
		cmocka_unit_test(test_job_cpus),
		cmocka_unit_test(test_job_timeout),
		cmocka_unit_test(test_job_priority_and_retries),
		cmocka_unit_test(test_job_workdir),
		cmocka_unit_test(test_job_name),
		cmocka_unit_test(test_job_argv_and_env),
		cmocka_unit_test(test_name),
		cmocka_unit_test(test_engine_url),
		cmocka_unit_test(test_host),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
