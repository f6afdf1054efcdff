/*
 * tests/unit/engine/test_registry_auth.c: a pull's registry credentials:
 * the registry of an image reference, the lookup in a Docker config.json
 * (auths by every key form, identity tokens, credHelpers before
 * credsStore before auths), credential helpers run for real (tiny shell
 * scripts on a private PATH), the X-Registry-Auth value, the fallback
 * from the host's file to the user's config, and malformed files, whose
 * messages name the file and the place and never a secret.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>

#include "engine/registry_auth.h"

/* "user:s3cret-pw" */
#define AUTH_B64 "dXNlcjpzM2NyZXQtcHc="
#define SECRET "s3cret-pw"

static char dir[64];

static int setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/cjobs-regauth-XXXXXX");
	if (!mkdtemp(dir))
		return -1;
	char path[128];
	snprintf(path, sizeof(path), "%s/bin", dir);
	mkdir(path, 0700);
	/* Only the private bin and the shell's own: the helpers found are ours. */
	char env[256];
	snprintf(env, sizeof(env), "%s/bin:/usr/bin:/bin", dir);
	setenv("PATH", env, 1);
	setenv("HOME", dir, 1);
	unsetenv("DOCKER_CONFIG");
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd) == 0 ? 0 : -1;
}

static void write_file(const char *name, const char *text, mode_t mode)
{
	char path[256];
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
	chmod(path, mode);
}

/* A helper script docker-credential-NAME printing `answer` and exiting
 * with `code`; it records what it read on stdin in DIR/NAME.in. */
static void helper(const char *name, const char *answer, int code)
{
	char file[128], text[1024];
	snprintf(file, sizeof(file), "bin/docker-credential-%s", name);
	snprintf(text, sizeof(text),
		 "#!/bin/sh\ntest \"$1\" = get || exit 9\ncat >'%s/%s.in'\nprintf '%%s' '%s'\n"
		 "exit %d\n",
		 dir, name, answer, code);
	write_file(file, text, 0755);
}

static int lookup(const char *text, const char *registry, registry_cred_t *c, char **err)
{
	memset(c, 0, sizeof(*c));
	*err = NULL;
	return registry_config_lookup(text, strlen(text), "/x/config.json", registry, c, err);
}

static void test_registry_of_image(void **state)
{
	(void)state;
	static const char *const cases[][2] = {
		{"busybox", "docker.io"},
		{"busybox:1.36", "docker.io"},
		{"library/busybox", "docker.io"},
		{"team/app:2", "docker.io"},
		{"docker.io/team/app", "docker.io"},
		{"index.docker.io/team/app", "docker.io"},
		{"localhost/app", "localhost"},
		{"localhost:5000/app:1", "localhost:5000"},
		{"127.0.0.1:5000/busybox", "127.0.0.1:5000"},
		{"ghcr.io/org/app@sha256:abc", "ghcr.io"},
		{"registry.example:443/a/b/c:t", "registry.example:443"},
		{"LOCALHOST/app", "docker.io"},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *r = registry_of_image(cases[i][0]);
		assert_non_null(r);
		if (strcmp(r, cases[i][1]) != 0)
			fail_msg("%s: got %s, want %s", cases[i][0], r, cases[i][1]);
		free(r);
	}
	assert_string_equal(registry_server_address("docker.io"), "https://index.docker.io/v1/");
	assert_string_equal(registry_server_address("127.0.0.1:5000"), "127.0.0.1:5000");
}

static void test_auths_every_key_form(void **state)
{
	(void)state;
	registry_cred_t c;
	char *err;
	static const char *const forms[] = {
		"{\"auths\": {\"127.0.0.1:5000\": {\"auth\": \"" AUTH_B64 "\"}}}",
		"{\"auths\": {\"https://127.0.0.1:5000\": {\"auth\": \"" AUTH_B64 "\"}}}",
		"{\"auths\": {\"http://127.0.0.1:5000/v2/\": {\"auth\": \"" AUTH_B64 "\"}}}",
		"{\"auths\": {\"127.0.0.1:5000\": {\"username\": \"user\", \"password\": \"" SECRET
		"\"}}}",
		NULL,
	};
	for (const char *const *f = forms; *f; f++) {
		assert_int_equal(lookup(*f, "127.0.0.1:5000", &c, &err), 1);
		assert_string_equal(c.username, "user");
		assert_string_equal(c.password, SECRET);
		assert_null(c.identitytoken);
		registry_cred_free(&c);
		/* Another registry, even one whose name starts the same: none. */
		assert_int_equal(lookup(*f, "127.0.0.1:500", &c, &err), 0);
		assert_int_equal(lookup(*f, "docker.io", &c, &err), 0);
		assert_null(c.username);
		assert_null(err);
	}
	/* Docker Hub under its own key, and the exact key before a looser one. */
	const char *hub = "{\"auths\": {\"docker.io\": {\"auth\": \"dGhlOm90aGVy\"},"
			  "\"https://index.docker.io/v1/\": {\"auth\": \"" AUTH_B64 "\"}}}";
	assert_int_equal(lookup(hub, "docker.io", &c, &err), 1);
	assert_string_equal(c.username, "user");
	registry_cred_free(&c);
	/* An identity token; an empty entry (a helper keeps them) is none. */
	assert_int_equal(lookup("{\"auths\": {\"r.example\": {\"identitytoken\": \"tok\"}}}",
				"r.example", &c, &err),
			 1);
	assert_string_equal(c.identitytoken, "tok");
	registry_cred_free(&c);
	assert_int_equal(lookup("{\"auths\": {\"r.example\": {}}}", "r.example", &c, &err), 0);
	assert_int_equal(lookup("{}", "r.example", &c, &err), 0);
	/* A password with a colon: split at the first. */
	assert_int_equal(lookup("{\"auths\": {\"r.example\": {\"auth\": \"dTpwOnc=\"}}}",
				"r.example", &c, &err),
			 1);
	assert_string_equal(c.username, "u");
	assert_string_equal(c.password, "p:w");
	registry_cred_free(&c);
}

/* Each malformed file: -1, a message naming the file, the place and what
 * to write, and never the secret the file holds. */
static void test_malformed(void **state)
{
	(void)state;
	static const char *const cases[][2] = {
		{"{\"auths\": {\"r\": {\"auth\": \"" AUTH_B64 "\"}", "is not valid JSON (line 1"},
		{"not json " SECRET, "is not valid JSON (line 1, column"},
		{"[\"" SECRET "\"]", "the top level is not a JSON object"},
		{"{\"auths\": [\"" SECRET "\"]}", "\"auths\" is not an object"},
		{"{\"auths\": {\"r.example\": \"" SECRET "\"}}",
		 "the auths entry \"r.example\" is not an object"},
		{"{\"auths\": {\"r.example\": {\"auth\": \"" SECRET "!\"}}}",
		 "\"auth\" of the auths entry \"r.example\" is not the base64 of USER:PASSWORD"},
		/* base64 of bytes 0xff ':' 0xfe: not UTF-8, which the header's JSON needs */
		{"{\"auths\": {\"r.example\": {\"auth\": \"/zr+\"}}}",
		 "is not the base64 of USER:PASSWORD (UTF-8 text)"},
		/* base64 of "nocolon" */
		{"{\"auths\": {\"r.example\": {\"auth\": \"bm9jb2xvbg==\"}}}",
		 "is not the base64 of USER:PASSWORD"},
		{"{\"auths\": {\"r.example\": {\"password\": 12}}}",
		 "\"password\" of the auths entry \"r.example\" is not a string"},
		{"{\"credsStore\": \"../../bin/sh\"}", "\"credsStore\" is not a credential helper name"},
		{"{\"credHelpers\": {\"r.example\": 3}}",
		 "the credHelpers entry \"r.example\" is not a credential helper name"},
		{"{\"credHelpers\": [1]}", "\"credHelpers\" is not an object"},
		{"{\"auths\": {\"r\": {}}, \"auths\": {}}", "is not valid JSON"},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		registry_cred_t c;
		char *err = NULL;
		/* Broken anywhere, even in another registry's entry: refused. */
		assert_int_equal(lookup(cases[i][0], "other.example", &c, &err), -1);
		assert_non_null(err);
		if (!strstr(err, cases[i][1]) || !strstr(err, "/x/config.json"))
			fail_msg("case %zu: %s", i, err);
		assert_null(strstr(err, SECRET));
		assert_null(strstr(err, AUTH_B64));
		free(err);
		err = NULL;
		assert_int_equal(registry_config_check(cases[i][0], strlen(cases[i][0]),
						       "/x/config.json", &err),
				 -1);
		free(err);
	}
	char *err = NULL;
	const char *good = "{\"auths\": {\"r\": {\"auth\": \"" AUTH_B64 "\"}}, "
			   "\"credsStore\": \"pass\", \"credHelpers\": {\"x\": \"ecr-login\"}}";
	assert_int_equal(registry_config_check(good, strlen(good), "f", &err), 0);
}

static void test_helpers(void **state)
{
	(void)state;
	registry_cred_t c;
	char *err;
	char in[256], path[128];
	helper("cjt", "{\"ServerURL\":\"x\",\"Username\":\"hu\",\"Secret\":\"" SECRET "\"}", 0);
	helper("cjtok", "{\"Username\":\"<token>\",\"Secret\":\"idtok\"}", 0);
	helper("cjnone", "credentials not found in native keychain", 1);
	helper("cjfail", "some failure " SECRET, 3);
	helper("cjbad", "not json " SECRET, 0);
	helper("cjnosecret", "{\"Username\":\"hu\"}", 0);

	/* credHelpers names the helper for this registry; it gets the address. */
	const char *f = "{\"credHelpers\": {\"127.0.0.1:5000\": \"cjt\"}, \"credsStore\": \"cjtok\"}";
	assert_int_equal(lookup(f, "127.0.0.1:5000", &c, &err), 1);
	assert_string_equal(c.username, "hu");
	assert_string_equal(c.password, SECRET);
	registry_cred_free(&c);
	snprintf(path, sizeof(path), "%s/cjt.in", dir);
	FILE *fp = fopen(path, "r");
	assert_non_null(fp);
	assert_non_null(fgets(in, sizeof(in), fp));
	fclose(fp);
	assert_string_equal(in, "127.0.0.1:5000");
	/* Other registries: credsStore; Docker Hub by its config key. */
	assert_int_equal(lookup(f, "docker.io", &c, &err), 1);
	assert_string_equal(c.identitytoken, "idtok");
	assert_null(c.username);
	registry_cred_free(&c);
	snprintf(path, sizeof(path), "%s/cjtok.in", dir);
	fp = fopen(path, "r");
	assert_non_null(fp);
	assert_non_null(fgets(in, sizeof(in), fp));
	fclose(fp);
	assert_string_equal(in, "https://index.docker.io/v1/");
	/* A helper that has none: the auths entry, else none at all. */
	f = "{\"credsStore\": \"cjnone\", \"auths\": {\"a.example\": {\"auth\": \"" AUTH_B64 "\"}}}";
	assert_int_equal(lookup(f, "a.example", &c, &err), 1);
	assert_string_equal(c.username, "user");
	registry_cred_free(&c);
	assert_int_equal(lookup(f, "b.example", &c, &err), 0);
	/* Helpers that fail: the file, the helper and why; never their answer. */
	static const char *const bad[][2] = {
		{"cjfail", "credential helper docker-credential-cjfail failed (exit status 3)"},
		{"cjbad", "credential helper docker-credential-cjbad gave an answer that is not JSON"},
		{"cjnosecret", "docker-credential-cjnosecret gave no \"Secret\""},
		{"cjmissing", "credential helper docker-credential-cjmissing is not on PATH"},
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char text[128];
		snprintf(text, sizeof(text), "{\"credsStore\": \"%s\"}", bad[i][0]);
		assert_int_equal(lookup(text, "r.example", &c, &err), -1);
		if (!strstr(err, bad[i][1]) || !strstr(err, "/x/config.json"))
			fail_msg("%s: %s", bad[i][0], err);
		assert_null(strstr(err, SECRET));
		free(err);
	}
}

/* The header decodes (base64url) to the JSON the Engine API expects. */
static void test_header(void **state)
{
	(void)state;
	registry_cred_t c = {.username = strdup("user"), .password = strdup("p?>w")};
	char *h = registry_auth_header(&c, "127.0.0.1:5000");
	assert_non_null(h);
	assert_null(strpbrk(h, "+/"));
	assert_true(strlen(h) % 4 == 0);
	char cmd[512];
	snprintf(cmd, sizeof(cmd), "printf %%s '%s' | tr -- '-_' '+/' | base64 -d", h);
	FILE *p = popen(cmd, "r");
	assert_non_null(p);
	char json[256] = "";
	size_t n = fread(json, 1, sizeof(json) - 1, p);
	pclose(p);
	json[n] = '\0';
	json_t *j = json_loads(json, 0, NULL);
	assert_non_null(j);
	assert_string_equal(json_string_value(json_object_get(j, "username")), "user");
	assert_string_equal(json_string_value(json_object_get(j, "password")), "p?>w");
	assert_string_equal(json_string_value(json_object_get(j, "serveraddress")),
			    "127.0.0.1:5000");
	json_decref(j);
	free(h);
	registry_cred_free(&c);
	registry_cred_t t = {.identitytoken = strdup("idtok")};
	h = registry_auth_header(&t, "docker.io");
	assert_non_null(h);
	snprintf(cmd, sizeof(cmd), "printf %%s '%s' | tr -- '-_' '+/' | base64 -d", h);
	p = popen(cmd, "r");
	n = fread(json, 1, sizeof(json) - 1, p);
	pclose(p);
	json[n] = '\0';
	assert_string_equal(json, "{\"identitytoken\":\"idtok\",\"serveraddress\":"
				  "\"https://index.docker.io/v1/\"}");
	free(h);
	registry_cred_free(&t);
}

/* The host's file first; a registry it lacks falls back to the user's
 * config ($DOCKER_CONFIG, else ~/.docker); none anywhere is no header. */
static void test_for_image(void **state)
{
	(void)state;
	char host[128], *h = NULL, *src = NULL, *err = NULL;
	snprintf(host, sizeof(host), "%s/host.json", dir);
	write_file("host.json", "{\"auths\": {\"a.example\": {\"auth\": \"" AUTH_B64 "\"}}}", 0600);
	char dot[128];
	snprintf(dot, sizeof(dot), "%s/.docker", dir);
	mkdir(dot, 0700);
	write_file(".docker/config.json", "{\"auths\": {\"b.example\": {\"auth\": \"dTpw\"}}}", 0600);

	assert_int_equal(registry_auth_for_image(host, "a.example/app:1", &h, &src, &err), 0);
	assert_non_null(h);
	assert_non_null(strstr(src, "--registry-auth file"));
	free(h);
	free(src);
	assert_int_equal(registry_auth_for_image(host, "b.example/app", &h, &src, &err), 0);
	assert_non_null(h);
	assert_non_null(strstr(src, ".docker/config.json"));
	free(h);
	free(src);
	assert_int_equal(registry_auth_for_image(NULL, "c.example/app", &h, &src, &err), 0);
	assert_null(h);
	assert_null(src);
	/* DOCKER_CONFIG wins over HOME; a missing user config is no error. */
	char dc[128];
	snprintf(dc, sizeof(dc), "%s/nowhere", dir);
	setenv("DOCKER_CONFIG", dc, 1);
	assert_int_equal(registry_auth_for_image(NULL, "b.example/app", &h, &src, &err), 0);
	assert_null(h);
	unsetenv("DOCKER_CONFIG");
	/* The host's file missing or malformed: an error naming it. */
	char missing[128];
	snprintf(missing, sizeof(missing), "%s/missing.json", dir);
	assert_int_equal(registry_auth_for_image(missing, "a.example/app", &h, &src, &err), -1);
	assert_non_null(strstr(err, "cannot read registry credentials file"));
	assert_non_null(strstr(err, "missing.json: No such file or directory"));
	free(err);
	err = NULL;
	write_file("host.json", "{\"auths\": {\"a.example\": {\"auth\": \"" SECRET "\"", 0600);
	assert_int_equal(registry_auth_for_image(host, "x.example/app", &h, &src, &err), -1);
	assert_non_null(strstr(err, "host.json is not valid JSON"));
	assert_null(strstr(err, SECRET));
	free(err);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_registry_of_image),
		cmocka_unit_test(test_auths_every_key_form),
		cmocka_unit_test(test_malformed),
		cmocka_unit_test(test_helpers),
		cmocka_unit_test(test_header),
		cmocka_unit_test(test_for_image),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
