/*
 * tests/unit/core/test_sdnotify.c: util/sdnotify.c against a unix datagram
 * socket the test binds itself: a path in a mkdtemp directory and an
 * abstract name ('@'); nothing sent and no error without NOTIFY_SOCKET;
 * the formatted and RELOADING forms; WATCHDOG_USEC and WATCHDOG_PID.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "util/sdnotify.h"

/* Binds a datagram socket to NAME (a path, or '@' for abstract). */
static int listener(const char *name)
{
	int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	assert_true(fd >= 0);
	struct sockaddr_un a;
	memset(&a, 0, sizeof(a));
	a.sun_family = AF_UNIX;
	size_t n = strlen(name);
	assert_true(n < sizeof(a.sun_path));
	memcpy(a.sun_path, name, n);
	if (name[0] == '@')
		a.sun_path[0] = '\0';
	assert_int_equal(bind(fd, (struct sockaddr *)&a,
			      (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n)),
			 0);
	return fd;
}

/* The next datagram, or "" when none is waiting. */
static void next_msg(int fd, char *buf, size_t size)
{
	ssize_t n = recv(fd, buf, size - 1, MSG_DONTWAIT);
	buf[n > 0 ? n : 0] = '\0';
}

static void test_path_socket(void **state)
{
	(void)state;
	char dir[] = "/tmp/cjobs-sdnotify-XXXXXX";
	assert_non_null(mkdtemp(dir));
	char path[128];
	snprintf(path, sizeof(path), "%s/notify", dir);
	int fd = listener(path);
	setenv("NOTIFY_SOCKET", path, 1);
	assert_true(sdnotify_enabled());
	char buf[256];
	assert_int_equal(sdnotify_send("READY=1"), 0);
	next_msg(fd, buf, sizeof(buf));
	assert_string_equal(buf, "READY=1");
	assert_int_equal(sdnotify_sendf("STATUS=running %d jobs, %d ready", 2, 5), 0);
	next_msg(fd, buf, sizeof(buf));
	assert_string_equal(buf, "STATUS=running 2 jobs, 5 ready");
	assert_int_equal(sdnotify_reloading(), 0);
	next_msg(fd, buf, sizeof(buf));
	assert_true(strncmp(buf, "RELOADING=1\nMONOTONIC_USEC=", 27) == 0);
	assert_true(buf[27] >= '1' && buf[27] <= '9');
	/* Nobody listening any more: an error the caller can report. */
	close(fd);
	unlink(path);
	assert_int_equal(sdnotify_send("STOPPING=1"), -1);
	rmdir(dir);
	unsetenv("NOTIFY_SOCKET");
}

static void test_abstract_socket(void **state)
{
	(void)state;
	char name[64];
	snprintf(name, sizeof(name), "@cjobs-sdnotify-test-%ld", (long)getpid());
	int fd = listener(name);
	setenv("NOTIFY_SOCKET", name, 1);
	char buf[256];
	assert_int_equal(sdnotify_send("STOPPING=1"), 0);
	next_msg(fd, buf, sizeof(buf));
	assert_string_equal(buf, "STOPPING=1");
	close(fd);
	unsetenv("NOTIFY_SOCKET");
}

static void test_no_socket(void **state)
{
	(void)state;
	unsetenv("NOTIFY_SOCKET");
	assert_false(sdnotify_enabled());
	assert_int_equal(sdnotify_send("READY=1"), 0);
	assert_int_equal(sdnotify_sendf("STATUS=%s", "x"), 0);
	/* Neither a path nor an abstract name: not ours to use. */
	setenv("NOTIFY_SOCKET", "vsock:2:1234", 1);
	assert_false(sdnotify_enabled());
	assert_int_equal(sdnotify_send("READY=1"), 0);
	setenv("NOTIFY_SOCKET", "", 1);
	assert_false(sdnotify_enabled());
	unsetenv("NOTIFY_SOCKET");
}

static void test_watchdog(void **state)
{
	(void)state;
	unsetenv("WATCHDOG_USEC");
	unsetenv("WATCHDOG_PID");
	assert_int_equal(sdnotify_watchdog_usec(), 0);
	setenv("WATCHDOG_USEC", "200000", 1);
	assert_int_equal(sdnotify_watchdog_usec(), 200000);
	char pid[32];
	snprintf(pid, sizeof(pid), "%ld", (long)getpid());
	setenv("WATCHDOG_PID", pid, 1);
	assert_int_equal(sdnotify_watchdog_usec(), 200000);
	/* Another process's watchdog, inherited through the environment. */
	snprintf(pid, sizeof(pid), "%ld", (long)getpid() + 1);
	setenv("WATCHDOG_PID", pid, 1);
	assert_int_equal(sdnotify_watchdog_usec(), 0);
	unsetenv("WATCHDOG_PID");
	const char *bad[] = {"", "0", "-5", "12x", "x", "99999999999999999999999"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		setenv("WATCHDOG_USEC", bad[i], 1);
		assert_int_equal(sdnotify_watchdog_usec(), 0);
	}
	unsetenv("WATCHDOG_USEC");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_path_socket),
		cmocka_unit_test(test_abstract_socket),
		cmocka_unit_test(test_no_socket),
		cmocka_unit_test(test_watchdog),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
