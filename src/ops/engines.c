/*
 * ops/engines.c: reaching a host's engine from an operation.
 */
#include "ops/internal.h"

#include <string.h>

char *ops_dup_or_null(const char *s)
{
	return s ? strdup(s) : NULL;
}

int ops_engine_for_host(engine_loop_t *loop, const host_t *h, long timeout_ms, engine_t **e,
			   char **err)
{
	engine_config_t cfg = {
		.url = h->url,
		.tls_ca = h->tls_ca,
		.tls_cert = h->tls_cert,
		.tls_key = h->tls_key,
		.tls_verify = h->tls_verify,
		.connect_timeout_ms = timeout_ms,
		.request_timeout_ms = timeout_ms,
	};
	return engine_new(loop, &cfg, e, err);
}
