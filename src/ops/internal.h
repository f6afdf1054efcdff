/*
 * ops/internal.h: what the operations' files share; never included from
 * outside src/ops.
 */
#ifndef CJOBS_OPS_INTERNAL_H
#define CJOBS_OPS_INTERNAL_H

#include "engine/engine.h"
#include "store/store.h"

/* strdup that passes NULL through. */
char *ops_dup_or_null(const char *s);
/* An engine client for host h whose requests give up after timeout_ms. */
int ops_engine_for_host(engine_loop_t *loop, const host_t *h, long timeout_ms, engine_t **e,
			char **err);

#endif
