/*
 * store/pg_maint.c: the PostgreSQL driver's maintenance (driver.h): the
 * database's size, VACUUM, and a backup made by the server's own tool,
 * pg_dump, into a new file.
 *
 * It must never touch cjobs's tables, never print, and never put the
 * connection's password on a command line (another user could read it in
 * /proc): pg_dump gets the connection through libpq's environment
 * variables instead.
 */
#include "store/pg_driver.h"

#include <errno.h>
#include <fcntl.h>
#include <libpq-fe.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "store/store_int.h"
#include "util/err.h"

extern char **environ;

int pg_file_bytes(store_t *s, int64_t *bytes, char **err)
{
	return query_count(s, "SELECT pg_database_size(current_database())", NULL, bytes, err);
}

int pg_space(store_t *s, store_stats_t *o, char **err)
{
	if (pg_file_bytes(s, &o->file_bytes, err) < 0 ||
	    query_count(s, "SELECT current_setting('block_size')::bigint", NULL, &o->page_size,
			err) < 0)
		return -1;
	o->wal_bytes = 0;
	o->page_count = o->page_size > 0 ? o->file_bytes / o->page_size : 0;
	o->freelist_count = 0;
	return 0;
}

/* PostgreSQL checks its pages as it reads them (and amcheck, an extension
 * a superuser must install, is not assumed): the consistency checks of
 * maint.c are what `db check` adds on this driver. */
int pg_integrity(store_t *s, store_problem_fn problem, void *ud, char **err)
{
	(void)problem;
	(void)ud;
	int64_t one = 0;
	return query_count(s, "SELECT 1", NULL, &one, err);
}

int pg_vacuum(store_t *s, char **err)
{
	/* Plain VACUUM: space of removed rows is reused, statistics are
	 * fresh, and nobody waits (VACUUM FULL would lock every table). */
	int rc = s->drv->exec_script(s, "VACUUM (ANALYZE)");
	if (rc != DB_DONE)
		return db_fail_rc(s, rc, "cannot vacuum the job store", err);
	return 0;
}

/* The environment of pg_dump: ours, plus each connection setting of the
 * store as the libpq variable that carries it (PGHOST, PGPASSWORD, ...). */
static char **dump_environment(const char *conninfo, char **err)
{
	char *perr = NULL;
	PQconninfoOption *opts = PQconninfoParse(conninfo, &perr);
	if (!opts) {
		err_set(err, "cannot read the connection settings: %s",
			perr ? perr : "out of memory");
		PQfreemem(perr);
		return NULL;
	}
	size_t n = 0, m = 0;
	while (environ[n])
		n++;
	for (PQconninfoOption *o = opts; o->keyword; o++)
		m++;
	char **env = calloc(n + m + 1, sizeof(*env));
	size_t k = 0;
	bool oom = env == NULL;
	for (PQconninfoOption *o = opts; !oom && o->keyword; o++) {
		if (!o->val || !o->envvar)
			continue;
		if (asprintf(&env[k], "%s=%s", o->envvar, o->val) < 0) {
			env[k] = NULL;
			oom = true;
		} else {
			k++;
		}
	}
	/* Ours after: the store's own settings win over PG* variables. */
	for (size_t i = 0; !oom && i < n; i++) {
		bool set = false;
		for (size_t j = 0; j < k && !set; j++) {
			size_t len = strcspn(env[j], "=");
			set = strncmp(environ[i], env[j], len + 1) == 0;
		}
		if (!set && !(env[k++] = strdup(environ[i])))
			oom = true;
	}
	PQconninfoFree(opts);
	if (oom) {
		strv_free(env);
		err_set(err, "out of memory");
		return NULL;
	}
	return env;
}

/* Runs pg_dump in custom format into path; its first line of complaint, if
 * any, into *err. */
static int run_pg_dump(store_t *s, const char *path, char **err)
{
	char **env = dump_environment(s->path, err);
	if (!env)
		return -1;
	char *file_arg = NULL;
	if (asprintf(&file_arg, "--file=%s", path) < 0) {
		strv_free(env);
		return err_set(err, "out of memory");
	}
	/* Its complaints go to a file without a name (no directory to write
	 * in, nothing to remove, gone with its last descriptor), read when it
	 * fails. */
	int efd = memfd_create("pg_dump-stderr", MFD_CLOEXEC);
	posix_spawn_file_actions_t fa;
	posix_spawn_file_actions_init(&fa);
	if (efd >= 0)
		posix_spawn_file_actions_adddup2(&fa, efd, 2);
	char *argv[] = {"pg_dump", "--format=custom", "--no-owner", file_arg, NULL};
	pid_t pid;
	int rc = posix_spawnp(&pid, "pg_dump", &fa, NULL, argv, env);
	posix_spawn_file_actions_destroy(&fa);
	free(file_arg);
	strv_free(env);
	int ret = 0;
	if (rc != 0) {
		ret = err_set(err, rc == ENOENT ? "pg_dump is not installed; a PostgreSQL store "
						  "is backed up with it (Debian: apt-get install "
						  "postgresql-client)"
						: "cannot run pg_dump: %s",
			      strerror(rc));
	} else {
		int status = 0;
		while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
			;
		if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
			char line[512] = "";
			FILE *f = efd >= 0 ? fdopen(dup(efd), "r") : NULL;
			if (f) {
				rewind(f);
				if (!fgets(line, sizeof(line), f))
					line[0] = '\0';
				fclose(f);
			}
			line[strcspn(line, "\n")] = '\0';
			/* A signal is the reason, whatever it had written. */
			if (WIFSIGNALED(status))
				snprintf(line, sizeof(line), "it was killed by signal %d (%s)",
					 WTERMSIG(status), strsignal(WTERMSIG(status)));
			ret = err_set(err, "pg_dump failed: %s",
				      *line ? line : "it gave no reason");
		}
	}
	if (efd >= 0)
		close(efd);
	return ret;
}

int pg_backup(store_t *s, const char *dest, bool overwrite, int64_t *bytes,
	      store_progress_fn progress, void *ud, char **err)
{
	char *tmp = NULL;
	if (backup_file_open(s, dest, overwrite, &tmp, err) < 0)
		return -1;
	int rc = run_pg_dump(s, tmp, err);
	struct stat st;
	if (rc == 0 && stat(tmp, &st) == 0)
		*bytes = st.st_size;
	if (rc == 0)
		rc = backup_file_place(tmp, dest, overwrite, err);
	backup_file_discard(tmp);
	if (rc == 0 && progress)
		progress(ud, 1, 1);
	return rc;
}
