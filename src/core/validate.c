/*
 * core/validate.c: whole-record checks for jobs and hosts; see validate.h.
 * Pure functions: no I/O, no store. Never echoes environment values.
 */
#include "core/validate.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "core/container.h"
#include "core/env.h"
#include "core/retry.h"
#include "util/err.h"
#include "util/text.h"

int validate_text(const char *what, const char *s, size_t max, char **err)
{
	size_t len = strlen(s);
	if (len > max)
		return err_set(err, "%s is %zu bytes long; the limit is %zu", what, len, max);
	for (size_t i = 0; i < len;) {
		unsigned char c = (unsigned char)s[i];
		if (c < 0x20 || c == 0x7f)
			return err_set(err, "%s has a control character (byte 0x%02x) at position %zu; "
					    "use printable text",
				       what, c, i + 1);
		size_t n = utf8_len((const unsigned char *)s + i);
		if (n == 0)
			return err_set(err, "%s is not valid UTF-8 (at byte %zu)", what, i + 1);
		i += n;
	}
	return 0;
}

/* One path component of a repository: lower-case letters and digits in
 * runs joined by '.', '_', '__' or any number of '-' (Docker's grammar). */
static bool path_component_ok(const char *p, size_t n)
{
	if (n == 0)
		return false;
	size_t i = 0;
	for (;;) {
		size_t run = 0;
		while (i < n && (islower((unsigned char)p[i]) || isdigit((unsigned char)p[i]))) {
			i++;
			run++;
		}
		if (run == 0)
			return false;
		if (i == n)
			return true;
		if (p[i] == '.')
			i++;
		else if (p[i] == '_')
			i += (i + 1 < n && p[i + 1] == '_') ? 2 : 1;
		else if (p[i] == '-')
			while (i < n && p[i] == '-')
				i++;
		else
			return false;
		if (i == n)
			return false;  /* a separator may not end a component */
	}
}

/* A registry: host name components of letters, digits and '-' joined by
 * '.', and an optional :PORT. */
static bool domain_ok(const char *p, size_t n)
{
	const char *colon = memchr(p, ':', n);
	size_t host = colon ? (size_t)(colon - p) : n;
	if (host == 0)
		return false;
	for (size_t i = 0; i < host; i++)
		if (!(isalnum((unsigned char)p[i]) || p[i] == '-' || p[i] == '.'))
			return false;
	if (p[0] == '.' || p[0] == '-' || p[host - 1] == '.' || p[host - 1] == '-')
		return false;
	if (colon) {
		size_t port = n - host - 1;
		if (port == 0 || port > 5)
			return false;
		for (size_t i = host + 1; i < n; i++)
			if (!isdigit((unsigned char)p[i]))
				return false;
	}
	return true;
}

int validate_image(const char *image, char **err)
{
	if (!image || !*image)
		return err_set(err, "the image name is empty: give one with --image, e.g. --image busybox:1.36");
	if (strlen(image) > JOB_IMAGE_MAX)
		return err_set(err, "the image name is %zu characters long; the limit is %d",
			       strlen(image), JOB_IMAGE_MAX);
	for (const char *p = image; *p; p++) {
		unsigned char c = (unsigned char)*p;
		if (!(isalnum(c) || strchr("._-/:@", c)))
			return err_set(err,
				       "image name '%.80s' has an invalid character at position %zu: "
				       "use [registry/]name[:tag], e.g. busybox:1.36",
				       isprint(c) ? image : "(not printable)", (size_t)(p - image) + 1);
	}
	if (!isalnum((unsigned char)image[0]))
		return err_set(err, "image name '%.80s' must start with a letter or digit", image);
	/* [registry/]path[:tag][@algorithm:hex] */
	const char *at = strchr(image, '@');
	size_t name_end = at ? (size_t)(at - image) : strlen(image);
	if (at) {
		const char *d = at + 1, *c = strchr(d, ':');
		size_t hex = c ? strlen(c + 1) : 0;
		bool ok = c && c > d && hex >= 32 && strchr(at + 1, '@') == NULL;
		for (const char *q = c ? c + 1 : d; ok && *q; q++)
			ok = isxdigit((unsigned char)*q) != 0;
		if (!ok)
			return err_set(err, "image name '%.80s': the digest after '@' must be like "
					    "sha256:<64 hex digits>",
				       image);
	}
	/* The tag: after the last ':' that follows the last '/'. */
	const char *slash = NULL;
	for (const char *q = image; q < image + name_end; q++)
		if (*q == '/')
			slash = q;
	const char *tag = NULL;
	for (const char *q = slash ? slash : image; q < image + name_end; q++)
		if (*q == ':')
			tag = q;
	size_t repo_end = tag ? (size_t)(tag - image) : name_end;
	if (tag) {
		size_t n = name_end - (size_t)(tag - image) - 1;
		bool ok = n >= 1 && n <= 128 && (isalnum((unsigned char)tag[1]) || tag[1] == '_');
		for (size_t i = 1; ok && i <= n; i++)
			ok = isalnum((unsigned char)tag[i]) || strchr("_.-", tag[i]);
		if (!ok)
			return err_set(err, "image name '%.80s': the tag after ':' must be 1 to 128 "
					    "letters, digits, '_', '.' or '-', starting with a letter, "
					    "digit or '_' (e.g. busybox:1.36)",
				       image);
	}
	/* The first component is a registry when it looks like a host name. */
	size_t start = 0;
	const char *first_slash = memchr(image, '/', repo_end);
	if (first_slash) {
		size_t n = (size_t)(first_slash - image);
		bool looks_like_host = memchr(image, '.', n) || memchr(image, ':', n) ||
				       (n == 9 && strncmp(image, "localhost", 9) == 0);
		for (size_t i = 0; !looks_like_host && i < n; i++)
			looks_like_host = isupper((unsigned char)image[i]) != 0;
		if (looks_like_host) {
			if (!domain_ok(image, n))
				return err_set(err, "image name '%.80s': '%.*s' is not a registry "
						    "address (write host[:port]/name, e.g. "
						    "registry.example.com:5000/tools/app:1)",
					       image, (int)n, image);
			start = n + 1;
		}
	}
	if (start >= repo_end)
		return err_set(err, "image name '%.80s' has no repository name (e.g. busybox:1.36)",
			       image);
	for (size_t i = start; i <= repo_end;) {
		const char *e = memchr(image + i, '/', repo_end - i);
		size_t n = e ? (size_t)(e - image) - i : repo_end - i;
		if (!path_component_ok(image + i, n)) {
			bool upper = false;
			for (size_t k = i; k < i + n; k++)
				upper = upper || isupper((unsigned char)image[k]);
			return err_set(err, "image name '%.80s': '%.*s' is not a valid repository "
					    "name%s: use lower-case letters and digits, joined by '.', "
					    "'_' or '-' (e.g. busybox:1.36, library/busybox)",
				       image, (int)n, image + i,
				       upper ? " (upper case is not allowed)" : "");
		}
		i += n + 1;
		if (!e)
			break;
	}
	return 0;
}

int validate_job(const job_t *job, char **err)
{
	if (validate_image(job->image, err) < 0)
		return -1;
	if (job->name && validate_text("the job name", job->name, JOB_NAME_MAX, err) < 0)
		return -1;
	if (job->argc > JOB_ARGC_MAX)
		return err_set(err, "the command has %zu arguments; the limit is %d", job->argc,
			       JOB_ARGC_MAX);
	for (size_t i = 0; i < job->argc; i++) {
		if (strlen(job->argv[i]) > JOB_ARG_MAX)
			return err_set(err, "command argument %zu is %zu bytes long; the limit is %d",
				       i + 1, strlen(job->argv[i]), JOB_ARG_MAX);
		/* The Engine API carries the command as JSON strings. */
		for (const unsigned char *q = (const unsigned char *)job->argv[i]; *q;) {
			size_t n = utf8_len(q);
			if (n == 0)
				return err_set(err, "command argument %zu is not valid UTF-8 (at byte "
						    "%zu); the engine takes text only",
					       i + 1, (size_t)(q - (const unsigned char *)job->argv[i]) + 1);
			q += n;
		}
	}
	if (job->workdir) {
		if (job->workdir[0] != '/')
			return err_set(err, "the working directory '%.80s' must be an absolute path "
					    "inside the container, e.g. /work",
				       job->workdir);
		if (validate_text("the working directory", job->workdir, JOB_WORKDIR_MAX, err) < 0)
			return -1;
	}
	if (job->envc > JOB_ENV_MAX)
		return err_set(err, "the job has %zu environment entries; the limit is %d",
			       job->envc, JOB_ENV_MAX);
	for (size_t i = 0; i < job->envc; i++)
		if (env_check_entry(job->env[i], err) < 0)
			return -1;
	if (job->memory_bytes != 0 &&
	    (job->memory_bytes < JOB_MEMORY_MIN || job->memory_bytes > JOB_MEMORY_MAX))
		return err_set(err, "the memory limit must be 0 (none) or from 6m to 1024t bytes; "
				    "write it like 512m or 2g");
	if (job->nano_cpus < 0 || job->nano_cpus > JOB_CPUS_MAX_NANO ||
	    (job->nano_cpus > 0 && job->nano_cpus < 10000000))
		return err_set(err, "the CPU limit must be 0 (none) or from 0.01 to 1024 CPUs, e.g. 0.5");
	if (job->timeout_s != JOB_TIMEOUT_DEFAULT &&
	    (job->timeout_s < 0 || job->timeout_s > JOB_TIMEOUT_MAX))
		return err_set(err, "the time limit must be from 0 (none) to 604800 seconds (7 days)");
	if (job->priority < JOB_PRIORITY_MIN || job->priority > JOB_PRIORITY_MAX)
		return err_set(err, "the priority must be from %d to %d", JOB_PRIORITY_MIN,
			       JOB_PRIORITY_MAX);
	if (job->max_retries < 0 || job->max_retries > JOB_MAX_RETRIES_MAX)
		return err_set(err, "the maximum number of retries must be from 0 to %d",
			       JOB_MAX_RETRIES_MAX);
	retry_strategy_t policy;
	if (retry_policy_parse(job->retry_strategy, &policy, err) < 0)
		return -1;
	if (job->retry_exit_codes && retry_exit_codes_check(job->retry_exit_codes, err) < 0)
		return -1;
	if (job->host && validate_name("host name", job->host, err) < 0)
		return -1;
	return container_validate(&job->ctr, err);
}

int validate_name(const char *what, const char *name, char **err)
{
	size_t len = name ? strlen(name) : 0;
	if (len == 0)
		return err_set(err, "the %s is empty", what);
	if (len > HOST_NAME_MAX_LEN)
		return err_set(err, "the %s is %zu characters long; the limit is %d", what, len,
			       HOST_NAME_MAX_LEN);
	if (!isalnum((unsigned char)name[0]))
		return err_set(err, "the %s must start with a letter or digit (letters, digits, "
				    "'.', '_' and '-' are allowed)",
			       what);
	for (const char *p = name; *p; p++)
		if (!isalnum((unsigned char)*p) && !strchr("._-", *p))
			return err_set(err, "the %s may hold only letters, digits, '.', '_' and '-'",
				       what);
	return 0;
}

int validate_engine_url(const char *url, char **err)
{
	static const char hint[] = "write unix:///path/to/docker.sock or tcp://HOST:PORT";
	if (!url || !*url)
		return err_set(err, "the engine address is empty: %s", hint);
	if (validate_text("the engine address", url, 1024, err) < 0)
		return -1;
	if (strcmp(url, "mock://") == 0)
		return 0;  /* the mock executor: runs nothing, for dry runs */
	if (strncmp(url, "unix://", 7) == 0) {
		if (url[7] != '/')
			return err_set(err, "engine address '%s' needs an absolute socket path: %s",
				       url, hint);
		return 0;
	}
	if (strncmp(url, "tcp://", 6) == 0) {
		const char *hostpart = url + 6;
		const char *colon = strrchr(hostpart, ':');
		if (!colon || colon == hostpart)
			return err_set(err, "engine address '%s' needs a host and a port: %s", url, hint);
		char *end;
		long port = strtol(colon + 1, &end, 10);
		if (*end == '/' && end[1] == '\0')
			end++;
		/* digits only: strtol alone would take " 80" and "+80" */
		if (!isdigit((unsigned char)colon[1]) || *end != '\0' || port < 1 || port > 65535)
			return err_set(err, "engine address '%s' has an invalid port: use 1 to 65535",
				       url);
		return 0;
	}
	return err_set(err, "engine address '%s' is not understood: %s", url, hint);
}

int validate_host(const host_t *host, char **err)
{
	if (validate_name("host name", host->name, err) < 0)
		return -1;
	if (validate_engine_url(host->url, err) < 0)
		return -1;
	bool any_tls = host->tls_ca || host->tls_cert || host->tls_key;
	if (any_tls && strncmp(host->url, "tcp://", 6) != 0)
		return err_set(err, "TLS files are only used with tcp:// addresses");
	if ((host->tls_cert != NULL) != (host->tls_key != NULL))
		return err_set(err, "give both --tls-cert and --tls-key, or neither");
	if (host->max_jobs < 1 || host->max_jobs > HOST_MAX_JOBS_MAX)
		return err_set(err, "a host's maximum of concurrent jobs must be from 1 to %d",
			       HOST_MAX_JOBS_MAX);
	if (host->weight < HOST_WEIGHT_MIN || host->weight > HOST_WEIGHT_MAX)
		return err_set(err, "a host's weight must be from %d to %d", HOST_WEIGHT_MIN,
			       HOST_WEIGHT_MAX);
	if (host->network_mode && validate_name("network mode", host->network_mode, err) < 0)
		return -1;
	return 0;
}
