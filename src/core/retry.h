/*
 * core/retry.h: when a job that did not succeed is run again, and after how
 * long.
 *
 * Two questions are answered here and nowhere else:
 *  - Is a failure worth another attempt? Faults of the machinery (engine
 *    unreachable, connection reset, out of memory or disk, resources
 *    temporarily unavailable) are transient; faults of the job itself (image
 *    missing, invalid configuration, permission denied, executable missing)
 *    are permanent and never retried. A container that ran and exited
 *    non-zero is retried only when the job lists that exit code.
 *  - How long to wait: a named strategy gives a base delay, a factor and a
 *    ceiling; the n-th retry waits min(ceiling, base * factor^(n-1)), scaled
 *    by a random 0.8..1.2 so that jobs that failed together do not all come
 *    back at the same moment.
 */
#ifndef CJOBS_CORE_RETRY_H
#define CJOBS_CORE_RETRY_H

#include <stdbool.h>
#include <stdint.h>

typedef struct {
	const char *name;
	int64_t base_ms;
	double factor;
	int64_t ceiling_ms;
	const char *summary;      /* for help text */
} retry_strategy_t;

#define RETRY_STRATEGY_DEFAULT "default"
/* Choices for an option table: the strategy names, NULL-terminated. */
extern const char *const retry_strategy_names[];

/* The named strategy, or NULL. NULL or "" names the default. */
const retry_strategy_t *retry_strategy_find(const char *name);

/* A job's own retry delays (--retry-delay, --retry-factor,
 * --retry-max-delay) over its named strategy. The job keeps them in its
 * strategy's text, "NAME;delay=S;factor=F;max=S" (each key only when
 * given; S whole seconds, F a decimal), so that a preset stays a name and
 * the store needs no column of its own. */
#define RETRY_DELAY_MAX_S (24LL * 3600)      /* a day */
#define RETRY_FACTOR_MIN_MILLI 1000           /* x1: the same delay each time */
#define RETRY_FACTOR_MAX_MILLI 10000          /* x10 */
/* The policy text of a strategy name (NULL: the default) with the
 * overrides given (0: the strategy's own); malloc'd into *out, or NULL
 * when there is no override and the name is the default. */
int retry_policy_format(const char *name, int64_t delay_s, int64_t factor_milli,
			int64_t max_delay_s, char **out, char **err);
/* The strategy a policy text (NULL: the default) stands for, its
 * overrides applied, into *out (whose name is the strategy's). -1 with
 * *err for a text that is not one. */
int retry_policy_parse(const char *text, retry_strategy_t *out, char **err);
/* The delay before retry number n (1 = the first retry), jitter applied
 * from `random01` (a number in [0, 1); pass 0.5 for the midpoint). */
int64_t retry_delay_ms(const retry_strategy_t *s, int n, double random01);
/* A random number in [0, 1) for the jitter. */
double retry_random01(void);

typedef enum {
	RETRY_TRANSIENT,  /* worth another attempt */
	RETRY_PERMANENT,  /* the same attempt would fail the same way */
} retry_class_t;

/* Classifies an engine failure from what the engine layer reports: no
 * connection or no answer is transient; a refusal for authentication
 * (retry_auth_refused) is permanent; otherwise the message decides
 * (transient kinds first, then permanent ones), then the HTTP status (5xx
 * transient). */
retry_class_t retry_classify(int http_status, bool unreachable, bool timed_out,
			     const char *message);

/* True when an engine's failure is a refusal for authentication: HTTP
 * 401 or 403, or the engine's and registries' words for it
 * ("unauthorized", "no basic auth credentials", "authentication
 * required", access "denied"; not a file's "permission denied"). retry_classify counts these permanent before
 * anything else but an unreachable engine. */
bool retry_auth_refused(int http_status, const char *message);

/* --retry-on-exit-code: "any", or a comma-separated list of codes 1..255.
 * Returns 0, or -1 with a message saying what is allowed. */
int retry_exit_codes_check(const char *spec, char **err);
/* True when `spec` (checked, or NULL for none) covers exit code `code`. */
bool retry_exit_code_matches(const char *spec, int code);

#endif
