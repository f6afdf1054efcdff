/*
 * util/sdnotify.c: the service manager notification protocol; see
 * sdnotify.h.
 *
 * The protocol is one datagram of text to the unix socket whose path is in
 * $NOTIFY_SOCKET, a leading '@' meaning Linux's abstract namespace (the
 * path then starts with a NUL byte and is not a file). It is small and
 * stable, so it is written here rather than linking libsystemd: one
 * dependency fewer for every build and package, and nothing of it loaded
 * when no service manager runs the program.
 */
#include "util/sdnotify.h"

#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

/* Fills ADDR from $NOTIFY_SOCKET; its length in *LEN. -1 when the variable
 * is unset, empty, too long, or neither a path nor an abstract name (vsock
 * addresses, which systemd also knows, are for virtual machines). */
static int notify_addr(struct sockaddr_un *addr, socklen_t *len)
{
	const char *path = getenv("NOTIFY_SOCKET");
	if (!path || !path[0] || (path[0] != '/' && path[0] != '@'))
		return -1;
	size_t n = strlen(path);
	if (n >= sizeof(addr->sun_path))
		return -1;
	memset(addr, 0, sizeof(*addr));
	addr->sun_family = AF_UNIX;
	memcpy(addr->sun_path, path, n);
	if (path[0] == '@')
		addr->sun_path[0] = '\0';
	/* An abstract name is exactly its bytes, no terminating NUL; a path
	 * may carry one. */
	*len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n + (path[0] == '/'));
	return 0;
}

bool sdnotify_enabled(void)
{
	struct sockaddr_un addr;
	socklen_t len;
	return notify_addr(&addr, &len) == 0;
}

int sdnotify_send(const char *state)
{
	struct sockaddr_un addr;
	socklen_t len;
	if (notify_addr(&addr, &len) < 0)
		return 0;
	int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	/* MSG_NOSIGNAL: a manager that went away must not kill a worker. */
	ssize_t n = sendto(fd, state, strlen(state), MSG_NOSIGNAL, (struct sockaddr *)&addr, len);
	int saved = errno;
	close(fd);
	if (n < 0) {
		errno = saved;
		return -1;
	}
	return 0;
}

int sdnotify_sendf(const char *fmt, ...)
{
	if (!sdnotify_enabled())
		return 0;
	va_list ap;
	va_start(ap, fmt);
	char *msg = NULL;
	int n = vasprintf(&msg, fmt, ap);
	va_end(ap);
	if (n < 0) {
		errno = ENOMEM;
		return -1;
	}
	int rc = sdnotify_send(msg);
	free(msg);
	return rc;
}

int sdnotify_reloading(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return sdnotify_sendf("RELOADING=1\nMONOTONIC_USEC=%llu",
			      (unsigned long long)ts.tv_sec * 1000000ULL +
				      (unsigned long long)ts.tv_nsec / 1000ULL);
}

/* A positive decimal number, all of S; 0 otherwise. */
static unsigned long long positive(const char *s)
{
	if (!s || *s < '0' || *s > '9')
		return 0;
	char *end = NULL;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 10);
	if (errno || *end)
		return 0;
	return v;
}

int64_t sdnotify_watchdog_usec(void)
{
	/* systemd sets WATCHDOG_PID to the main process; a child that inherits
	 * the environment must not ping in its parent's place. */
	const char *pid = getenv("WATCHDOG_PID");
	if (pid && *pid && positive(pid) != (unsigned long long)getpid())
		return 0;
	unsigned long long usec = positive(getenv("WATCHDOG_USEC"));
	if (usec > INT64_MAX)
		return 0;
	return (int64_t)usec;
}
