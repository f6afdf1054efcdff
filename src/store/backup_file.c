/*
 * store/backup_file.c: where a backup is written, for every driver: the
 * refusals (a directory, the store itself, an existing file without
 * overwrite), a private temporary file beside the destination, and moving
 * the complete copy into place, so that dest is never a partial copy.
 *
 * It must never know how a driver copies its store: that happens between
 * backup_file_open and backup_file_place.
 */
#include "store/store_int.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/err.h"

static int exists_error(const char *dest, char **err)
{
	return err_set(err, "backup file %s already exists; give --force to replace it, or "
			    "choose another name",
		       dest);
}

int backup_file_open(store_t *s, const char *dest, bool overwrite, char **tmp, char **err)
{
	*tmp = NULL;
	struct stat dst_st, src_st;
	if (stat(dest, &dst_st) == 0) {
		if (S_ISDIR(dst_st.st_mode))
			return err_set(err, "backup file %s is a directory; name a file", dest);
		if (stat(s->path, &src_st) == 0 && src_st.st_dev == dst_st.st_dev &&
		    src_st.st_ino == dst_st.st_ino)
			return err_set(err, "backup file %s is the job store itself", dest);
		if (!overwrite)
			return exists_error(dest, err);
	}
	if (asprintf(tmp, "%s.tmp-XXXXXX", dest) < 0) {
		*tmp = NULL;
		return err_set(err, "out of memory");
	}
	/* mkstemp makes the file 0600 whatever the umask: a copy of the
	 * store holds job environments as the store does. */
	int fd = mkstemp(*tmp);
	if (fd < 0) {
		int e = errno;
		free(*tmp);
		*tmp = NULL;
		return err_set(err, "cannot create backup file %s: %s", dest, strerror(e));
	}
	close(fd);
	return 0;
}

int backup_file_place(const char *tmp, const char *dest, bool overwrite, char **err)
{
	int fd = open(tmp, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || fsync(fd) != 0) {
		int e = errno;
		if (fd >= 0)
			close(fd);
		return err_set(err, "cannot write backup file %s: %s", dest, strerror(e));
	}
	close(fd);
	if (overwrite) {
		if (rename(tmp, dest) != 0)
			return err_set(err, "cannot create backup file %s: %s", dest,
				       strerror(errno));
		return 0;
	}
	if (link(tmp, dest) != 0) {
		/* link() refuses an existing name atomically. */
		if (errno == EEXIST)
			return exists_error(dest, err);
		if (access(dest, F_OK) == 0 || rename(tmp, dest) != 0)
			return err_set(err, "cannot create backup file %s: %s", dest,
				       strerror(errno));
	}
	return 0;
}

void backup_file_discard(char *tmp)
{
	if (!tmp)
		return;
	unlink(tmp);
	/* SQLite may have left its journal, or the log and shared memory of a
	 * copy still in WAL mode (a backup that failed before it left WAL),
	 * beside it. Their names are made without allocating: a backup that
	 * failed for want of memory must still leave nothing behind. */
	static const char *const tails[] = {"-journal", "-wal", "-shm"};
	for (size_t i = 0; i < sizeof(tails) / sizeof(tails[0]); i++) {
		char extra[PATH_MAX];
		int n = snprintf(extra, sizeof(extra), "%s%s", tmp, tails[i]);
		if ((size_t)n < sizeof(extra)) /* never a cut name */
			unlink(extra);
	}
	free(tmp);
}
