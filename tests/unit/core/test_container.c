/*
 * tests/unit/core/test_container.c: a job's container options and a host's
 * allowances (core/container.c, core/container_json.c): each option's
 * canonical text, what is refused, bind sources judged by whole path
 * components after '..' is resolved, and the stored JSON read back equal.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/container.h"
#include "core/job.h"

typedef int (*canon_fn)(const char *text, char **out, char **err);

static void canon_is(canon_fn fn, const char *in, const char *want)
{
	char *out = NULL, *err = NULL;
	if (fn(in, &out, &err) != 0)
		fail_msg("'%s' refused: %s", in, err);
	assert_string_equal(out, want);
	free(out);
}

static void refused(canon_fn fn, const char *in, const char *frag)
{
	char *out = NULL, *err = NULL;
	if (fn(in, &out, &err) != -1)
		fail_msg("'%s' accepted as '%s'", in, out);
	assert_null(out);
	if (!err || !strstr(err, frag))
		fail_msg("'%s': message '%s' lacks '%s'", in, err ? err : "(none)", frag);
	free(err);
}

static void test_volume(void **state)
{
	(void)state;
	canon_is(ctr_volume_canon, "/data:/data", "/data:/data");
	canon_is(ctr_volume_canon, "/data:/data:ro", "/data:/data:ro");
	canon_is(ctr_volume_canon, "/data:/data:rw", "/data:/data");
	canon_is(ctr_volume_canon, "cache:/cache", "cache:/cache");
	refused(ctr_volume_canon, "/data", "is not understood");
	refused(ctr_volume_canon, "/a:/b:c:d", "is not understood");
	refused(ctr_volume_canon, "/a:/b:rx", "the mode 'rx'");
	refused(ctr_volume_canon, "/a:b", "target 'b' must be an absolute path");
	refused(ctr_volume_canon, "x:/b", "neither an absolute host path nor a volume name");
	refused(ctr_volume_canon, ":/b", "is not understood");
}

static void test_mount(void **state)
{
	(void)state;
	canon_is(ctr_mount_canon, "type=bind,src=/a,dst=/b,ro",
		 "type=bind,source=/a,target=/b,readonly");
	canon_is(ctr_mount_canon, "destination=/b,readonly=false,type=volume,source=v1",
		 "type=volume,source=v1,target=/b");
	canon_is(ctr_mount_canon, "type=volume,target=/b", "type=volume,target=/b");
	canon_is(ctr_mount_canon, "type=tmpfs,target=/t,tmpfs-size=1m,tmpfs-mode=1777",
		 "type=tmpfs,target=/t,tmpfs-size=1048576,tmpfs-mode=1777");
	refused(ctr_mount_canon, "target=/b", "has no type");
	refused(ctr_mount_canon, "type=bind,source=/a", "has no target");
	refused(ctr_mount_canon, "type=bind,target=/b", "needs source=");
	refused(ctr_mount_canon, "type=bind,source=a,target=/b", "must be an absolute path");
	refused(ctr_mount_canon, "type=tmpfs,source=x,target=/b", "has no source");
	refused(ctr_mount_canon, "type=bind,source=/a,target=/b,tmpfs-size=1m", "type=tmpfs only");
	refused(ctr_mount_canon, "type=tmpfs,target=/b,tmpfs-mode=8", "octal");
	refused(ctr_mount_canon, "type=nfs,target=/b", "bind, volume or tmpfs");
	refused(ctr_mount_canon, "type=bind,source=/a,target=/b,z=1", "unknown key 'z'");
}

static void test_small_options(void **state)
{
	(void)state;
	canon_is(ctr_tmpfs_canon, "/t", "/t");
	canon_is(ctr_tmpfs_canon, "/t:size=64m,mode=1777,noexec,uid=5",
		 "/t:size=67108864,mode=1777,noexec,uid=5");
	refused(ctr_tmpfs_canon, "/t:size=1.x", "is not known");
	refused(ctr_tmpfs_canon, "t", "absolute");
	canon_is(ctr_user_canon, "1000", "1000");
	canon_is(ctr_user_canon, "1000:1000", "1000:1000");
	canon_is(ctr_user_canon, "nobody:nogroup", "nobody:nogroup");
	refused(ctr_user_canon, "4294967295", "not understood");
	refused(ctr_user_canon, "a b", "not understood");
	refused(ctr_user_canon, "", "not understood");
	canon_is(ctr_hostname_canon, "a-b.c", "a-b.c");
	refused(ctr_hostname_canon, "-a", "not a host name");
	canon_is(ctr_label_canon, "a=", "a=");
	refused(ctr_label_canon, "=a", "not KEY=VALUE");
	refused(ctr_label_canon, "CJOBS.job=1", "cjobs's own");
	canon_is(ctr_gpus_canon, "all", "all");
	canon_is(ctr_gpus_canon, "device=GPU-1a,0", "device=GPU-1a,0");
	refused(ctr_gpus_canon, "1025", "from 1 to 1024");
}

static int cap_add(const char *t, char **o, char **e)
{
	return ctr_cap_canon("--cap-add", t, o, e);
}

static void test_caps_and_security(void **state)
{
	(void)state;
	canon_is(cap_add, "net_admin", "NET_ADMIN");
	canon_is(cap_add, "CAP_SYS_PTRACE", "SYS_PTRACE");
	canon_is(cap_add, "all", "ALL");
	canon_is(cap_add, "checkpoint_restore", "CHECKPOINT_RESTORE");
	refused(cap_add, "CAP_", "not a Linux capability");
	refused(cap_add, "NET_ADMINS", "not a Linux capability");
	char *err = NULL;
	assert_int_equal(ctr_security_opt_check("no-new-privileges:true", &err), 0);
	assert_int_equal(ctr_security_opt_check("no-new-privileges:false", &err), -1);
	free(err);
}

static void test_allow_path(void **state)
{
	(void)state;
	canon_is(ctr_allow_path_canon, "/data/x/..", "/data");
	canon_is(ctr_allow_path_canon, "//data///./y/", "/data/y");
	canon_is(ctr_allow_path_canon, "/../..", "/");
	refused(ctr_allow_path_canon, "data", "absolute");
}

static int allows(const char *volume, char *const *bind, size_t nbind)
{
	char *v[] = {(char *)volume, NULL};
	job_container_t c = {.volumes = v, .nvolumes = 1};
	host_allow_t a = {.bind = (char **)bind, .nbind = nbind};
	char *err = NULL;
	int rc = container_host_allows(&c, "h", &a, &err);
	free(err);
	return rc;
}

static void test_host_allows_binds(void **state)
{
	(void)state;
	char *data[] = {"/data", NULL}, *root[] = {"/", NULL};
	assert_int_equal(allows("/data:/d", data, 1), 0);
	assert_int_equal(allows("/data/x/y:/d", data, 1), 0);
	assert_int_equal(allows("/data/x/../y:/d", data, 1), 0);
	assert_int_equal(allows("/database:/d", data, 1), -1);
	assert_int_equal(allows("/data/../etc:/d", data, 1), -1);
	assert_int_equal(allows("/data/..:/d", data, 1), -1);
	assert_int_equal(allows("/etc:/d", data, 0), -1);
	assert_int_equal(allows("/etc:/d", root, 1), 0);
	assert_int_equal(allows("vol:/d", data, 0), 0);
}

static void test_host_allows_caps_gpus(void **state)
{
	(void)state;
	char *add[] = {"NET_ADMIN", NULL}, *net[] = {"NET_ADMIN", NULL}, *all[] = {"ALL", NULL};
	job_container_t c = {.cap_add = add, .ncap_add = 1};
	host_allow_t a = {0};
	char *err = NULL;
	assert_int_equal(container_host_allows(&c, "h", &a, &err), -1);
	assert_non_null(strstr(err, "--allow-cap-add NET_ADMIN"));
	free(err);
	err = NULL;
	a.cap_add = net;
	a.ncap_add = 1;
	assert_int_equal(container_host_allows(&c, "h", &a, &err), 0);
	a.cap_add = all;
	add[0] = "SYS_ADMIN";
	assert_int_equal(container_host_allows(&c, "h", &a, &err), 0);
	job_container_t g = {.gpus = "all"};
	assert_int_equal(container_host_allows(&g, "h", &a, &err), -1);
	assert_non_null(strstr(err, "--allow-gpus yes"));
	free(err);
	err = NULL;
	a.gpus = true;
	assert_int_equal(container_host_allows(&g, "h", &a, &err), 0);
}

static void test_json_round_trip(void **state)
{
	(void)state;
	char *vols[] = {"/a:/b:ro", NULL}, *labels[] = {"k=v", NULL}, *caps[] = {"CHOWN", NULL};
	job_container_t c = {.volumes = vols, .nvolumes = 1, .labels = labels, .nlabels = 1,
			     .cap_drop = caps, .ncap_drop = 1, .user = "1", .pull = CTR_PULL_NEVER,
			     .read_only = true, .shm_size = 1 << 20, .no_new_privileges = true,
			     .gpus = "2"};
	char *text = NULL, *err = NULL;
	assert_int_equal(container_to_json(&c, &text, &err), 0);
	assert_non_null(text);
	job_container_t back;
	assert_int_equal(container_from_json(text, &back, &err), 0);
	assert_int_equal(container_validate(&back, &err), 0);
	assert_string_equal(back.volumes[0], "/a:/b:ro");
	assert_string_equal(back.labels[0], "k=v");
	assert_string_equal(back.cap_drop[0], "CHOWN");
	assert_string_equal(back.user, "1");
	assert_string_equal(back.gpus, "2");
	assert_int_equal(back.pull, CTR_PULL_NEVER);
	assert_true(back.read_only && back.no_new_privileges && !back.init);
	assert_int_equal(back.shm_size, 1 << 20);
	container_free(&back);
	free(text);
	job_container_t none = {0};
	assert_int_equal(container_to_json(&none, &text, &err), 0);
	assert_null(text);
	assert_int_equal(container_from_json("[1]", &back, &err), -1);
	free(err);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_volume),
		cmocka_unit_test(test_mount),
		cmocka_unit_test(test_small_options),
		cmocka_unit_test(test_caps_and_security),
		cmocka_unit_test(test_allow_path),
		cmocka_unit_test(test_host_allows_binds),
		cmocka_unit_test(test_host_allows_caps_gpus),
		cmocka_unit_test(test_json_round_trip),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
