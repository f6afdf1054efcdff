/*
 * cli/submit_file.c: reading `job submit --file`; see submit_file.h.
 */
#include "cli/submit_file.h"

#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ops/submit.h"
#include "util/err.h"

static int read_line(cli_ctx_t *ctx, const cli_args_t *d, const char *text, size_t len,
		     job_t *job, char **err)
{
	json_error_t jerr;
	json_t *j = json_loadb(text, len, 0, &jerr);
	if (!j) {
		char why[JSON_ERROR_TEXT_LENGTH + 64];
		ops_json_error_text(&jerr, why, sizeof(why));
		return err_set(err, "not JSON: %s (each line is one object, e.g. {\"image\": "
				    "\"busybox\", \"command\": [\"true\"]})",
			       why);
	}
	if (!json_is_object(j)) {
		json_decref(j);
		return err_set(err, "not a JSON object (each line is one object, e.g. "
				    "{\"image\": \"busybox\"})");
	}
	int rc = ops_submit_parse_object(ctx->store, d, j, true, job, err);
	json_decref(j);
	return rc;
}

int submit_read_file(cli_ctx_t *ctx, const cli_args_t *defaults, const char *path,
		     job_t **jobs, size_t *n, char **err)
{
	*jobs = NULL;
	*n = 0;
	bool is_stdin = strcmp(path, "-") == 0;
	FILE *f = is_stdin ? stdin : fopen(path, "re");
	if (!f)
		return err_set(err, "cannot read job file %s: %s", path, strerror(errno));
	const char *shown = is_stdin ? "standard input" : path;
	char *buf = NULL;
	size_t cap = 0, have = 0;
	long lineno = 0;
	int rc = 0;
	ssize_t got;
	while (rc == 0 && (got = getline(&buf, &cap, f)) >= 0) {
		lineno++;
		size_t len = (size_t)got;
		if (len > SUBMIT_FILE_LINE_MAX) {
			rc = err_set(err, "%s:%ld: the line is %zu bytes long; the limit is %d", shown,
				     lineno, len, SUBMIT_FILE_LINE_MAX);
			break;
		}
		if (memchr(buf, '\0', len)) {
			rc = err_set(err, "%s:%ld: the line holds a NUL byte: is it a text file?",
				     shown, lineno);
			break;
		}
		while (len && (buf[len - 1] == '\n' || buf[len - 1] == '\r'))
			len--;
		size_t skip = strspn(buf, " \t");
		if (skip >= len)
			continue;  /* a blank line */
		if (*n == SUBMIT_FILE_JOBS_MAX) {
			rc = err_set(err, "%s: more than %d jobs; split the file", shown,
				     SUBMIT_FILE_JOBS_MAX);
			break;
		}
		if (*n == have) {
			size_t more = have ? have * 2 : 64;
			job_t *p = realloc(*jobs, more * sizeof(job_t));
			if (!p) {
				rc = err_set(err, "out of memory");
				break;
			}
			*jobs = p;
			have = more;
		}
		if (read_line(ctx, defaults, buf, len, &(*jobs)[*n], err) < 0) {
			err_prefix(err, "%s:%ld", shown, lineno);
			rc = -1;
			break;
		}
		(*n)++;
	}
	if (rc == 0 && ferror(f))
		rc = err_set(err, "cannot read job file %s: %s", shown, strerror(errno));
	free(buf);
	if (!is_stdin)
		fclose(f);
	if (rc == 0 && *n == 0)
		rc = err_set(err, "%s holds no job (one JSON object per line)", shown);
	if (rc < 0) {
		for (size_t i = 0; i < *n; i++)
			job_free(&(*jobs)[i]);
		free(*jobs);
		*jobs = NULL;
		*n = 0;
	}
	return rc;
}
