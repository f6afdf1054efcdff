/*
 * core/validate.h: the checks every job and host passes before it is
 * stored. Commands parse what people type into a job_t/host_t; these
 * functions then decide whether the whole record is acceptable, so that a
 * job file line, an option and a retry with changes all meet the same rules.
 * Messages name the field, say what was wrong and what is allowed.
 */
#ifndef CJOBS_CORE_VALIDATE_H
#define CJOBS_CORE_VALIDATE_H

#include "core/job.h"

/* 0 when the text is printable UTF-8 without control characters. */
int validate_text(const char *what, const char *s, size_t max, char **err);
/* An image reference: [registry/]path[:tag][@digest], no spaces. */
int validate_image(const char *image, char **err);
int validate_job(const job_t *job, char **err);
/* A host or template name: 1..64 of [A-Za-z0-9_.-], starting alphanumeric. */
int validate_name(const char *what, const char *name, char **err);
/* unix:///absolute/path or tcp://HOST:PORT. */
int validate_engine_url(const char *url, char **err);
int validate_host(const host_t *host, char **err);

/* The one wording of a host or job that is not there, for every command,
 * the API and the worker (a printf format: the name, the id). */
#define MSG_NO_HOST "no host named '%.64s'; 'cjobs host list' shows the hosts"
#define MSG_NO_JOB "no job with id %lld; 'cjobs job list' shows the jobs"

#endif
