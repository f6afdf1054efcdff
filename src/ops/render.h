/*
 * ops/render.h: how jobs and hosts look in output: JSON objects for
 * scripts, and the words and numbers people read. Secret-looking
 * environment values are masked unless the caller asks to show them.
 */
#ifndef CJOBS_OPS_RENDER_H
#define CJOBS_OPS_RENDER_H

#include <jansson.h>
#include <stdio.h>

#include "core/job.h"
#include "util/strbuf.h"

json_t *render_job_json(const job_t *job, bool show_secrets);
/* The same object as render_job_json, written as compact JSON text (as
 * json_dumps(JSON_COMPACT) would write it) at the end of sb: for pages of
 * many jobs, without building a tree. sb->failed says when memory ran out. */
void render_job_json_text(strbuf_t *sb, const job_t *job, bool show_secrets);
/* The job's summary, for lists: the members of that object that a job read
 * with job_filter_t.summary has (id, name, status, image, priority,
 * not_before, waiting_on, host, max_retries, attempt, exit_code, the four
 * times, last_error, ran_on, schedule_id), in the same order and form. */
void render_job_summary_text(strbuf_t *sb, const job_t *job);
/* A JSON string, or null for NULL. */
json_t *render_str_or_null(const char *s);
json_t *render_host_json(const host_t *host);
json_t *render_history_json(const job_event_t *ev, size_t n);
/* "512.0 MiB", "-" for negative. */
char *render_bytes(int64_t bytes, char *buf, size_t size);
/* An environment entry with its value masked when the key looks secret. */
char *render_env_entry(const char *entry, bool show_secrets);
/* The command as a shell would need it typed (quoted where needed). */
char *render_argv(char *const *argv, size_t argc);
/* Prints JSON followed by a newline; returns 0, or -1 on failure. */
int render_print_json(FILE *f, json_t *j);

#endif
