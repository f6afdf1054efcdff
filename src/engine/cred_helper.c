/*
 * engine/cred_helper.c: asking a Docker credential helper
 * (docker-credential-NAME get) for a registry's credentials.
 *
 * The helper reads the server address on its standard input and answers
 * {"ServerURL", "Username", "Secret"} on its standard output; a Username
 * of "<token>" means the Secret is an identity token. Both streams go
 * through anonymous memory files (no pipe to deadlock on, nothing on
 * disk). The helper gets at most HELPER_WAIT_MS: the worker waits for it,
 * so one that hangs must not hang the worker. Its answer is never put
 * into a message: it holds the secret.
 */
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "engine/registry_auth.h"
#include "util/err.h"

#define HELPER_WAIT_MS 10000
#define HELPER_ANSWER_MAX (64u << 10)

extern char **environ;

/* Waits for pid at most HELPER_WAIT_MS; kills it past that. 0 with
 * *status, or -1 when it had to be killed. */
static int wait_bounded(pid_t pid, int *status)
{
	struct timespec pause = {0, 5 * 1000 * 1000};
	for (int waited = 0; waited < HELPER_WAIT_MS; waited += 5) {
		pid_t r = waitpid(pid, status, WNOHANG);
		if (r == pid)
			return 0;
		if (r < 0 && errno != EINTR)
			return 0;  /* not ours to wait for any more: treat as ended */
		nanosleep(&pause, NULL);
	}
	kill(pid, SIGKILL);
	while (waitpid(pid, status, 0) < 0 && errno == EINTR)
		;
	return -1;
}

/* The helper's answer: at most HELPER_ANSWER_MAX bytes of fd. */
static char *read_answer(int fd, size_t *len)
{
	char *buf = malloc(HELPER_ANSWER_MAX + 1);
	size_t got = 0;
	if (!buf || lseek(fd, 0, SEEK_SET) < 0) {
		free(buf);
		return NULL;
	}
	for (;;) {
		ssize_t n = read(fd, buf + got, HELPER_ANSWER_MAX - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		got += (size_t)n;
		if (got == HELPER_ANSWER_MAX)
			break;
	}
	buf[got] = '\0';
	*len = got;
	return buf;
}

static void wipe_free(char *s, size_t n)
{
	if (s) {
		explicit_bzero(s, n);
		free(s);
	}
}

/* Reads the helper's JSON answer into *cred. */
static int take_answer(const char *prog, const char *text, size_t len, registry_cred_t *cred,
		       char **err)
{
	json_t *j = json_loadb(text, len, 0, NULL);
	const char *user = json_string_value(json_object_get(j, "Username"));
	const char *secret = json_string_value(json_object_get(j, "Secret"));
	int rc = 1;
	if (!j)
		rc = err_set(err, "credential helper %s gave an answer that is not JSON", prog);
	else if (!secret || !*secret)
		rc = err_set(err, "credential helper %s gave no \"Secret\" in its answer", prog);
	else if (user && strcmp(user, "<token>") == 0)
		rc = (cred->identitytoken = strdup(secret)) ? 1 : err_set(err, "out of memory");
	else if (!(cred->username = strdup(user ? user : "")) ||
		 !(cred->password = strdup(secret)))
		rc = err_set(err, "out of memory");
	if (rc < 0)
		registry_cred_free(cred);
	json_decref(j);
	return rc;
}

int registry_helper_get(const char *name, const char *server, registry_cred_t *cred,
			char **err)
{
	char *prog = NULL;
	if (asprintf(&prog, "docker-credential-%s", name) < 0)
		return err_set(err, "out of memory");
	int in = memfd_create("cred-helper-in", MFD_CLOEXEC);
	int out = memfd_create("cred-helper-out", MFD_CLOEXEC);
	int rc = -1;
	size_t slen = strlen(server);
	if (in < 0 || out < 0 || write(in, server, slen) != (ssize_t)slen ||
	    lseek(in, 0, SEEK_SET) < 0) {
		err_set(err, "cannot run credential helper %s: %s", prog, strerror(errno));
		goto out;
	}
	posix_spawn_file_actions_t fa;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, in, 0);
	posix_spawn_file_actions_adddup2(&fa, out, 1);
	/* Its complaints would go to the worker's log unfiltered: away. */
	posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
	char *argv[] = {prog, "get", NULL};
	pid_t pid;
	int sp = posix_spawnp(&pid, prog, &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	if (sp != 0) {
		err_set(err, sp == ENOENT ? "credential helper %s is not on PATH (install it, or "
					    "name another helper)"
					  : "cannot run credential helper %s: %s",
			prog, strerror(sp));
		goto out;
	}
	int status = 0;
	if (wait_bounded(pid, &status) < 0) {
		err_set(err, "credential helper %s timed out: no answer within %d s", prog,
			HELPER_WAIT_MS / 1000);
		goto out;
	}
	size_t len = 0;
	char *answer = read_answer(out, &len);
	if (!answer) {
		err_set(err, "cannot read the answer of credential helper %s", prog);
		goto out;
	}
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		rc = take_answer(prog, answer, len, cred, err);
	else if (WIFEXITED(status) && strstr(answer, "credentials not found"))
		rc = 0;  /* the helper's own words for "none for that server" */
	else if (WIFSIGNALED(status))
		err_set(err, "credential helper %s was killed by signal %d", prog,
			WTERMSIG(status));
	else
		err_set(err, "credential helper %s failed (exit status %d)", prog,
			WEXITSTATUS(status));
	wipe_free(answer, len);
out:
	if (in >= 0)
		close(in);
	if (out >= 0)
		close(out);
	free(prog);
	return rc;
}
