/*
 * ops/follow.c: the follower thread; see follow.h.
 *
 * Other threads only queue requests (start, cancel) under the mutex and
 * wake the thread through an eventfd; engines, requests and callbacks
 * belong to the follower's thread alone, as the engine layer requires.
 */
#include "ops/follow.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "engine/engine.h"
#include "ops/internal.h"
#include "util/err.h"

typedef struct follow {
	struct follow *next;
	uint64_t handle;
	engine_t *engine;         /* NULL until the thread starts it */
	host_t host;
	char *container;
	ops_follow_chunk_fn chunk;
	ops_follow_end_fn end;
	void *ud;
	atomic_bool cancelled;    /* the reader went away (set by other threads) */
	bool ended;               /* end was called; remove it */
	ops_follower_t *owner;
} follow_t;

struct ops_follower {
	pthread_t thread;
	pthread_mutex_t mu;
	int wake_fd;
	bool stopping;
	follow_t *list;           /* every follow, started or not */
	size_t count;
	uint64_t next_handle;
	engine_loop_t *loop;
};

static void wake(ops_follower_t *f)
{
	uint64_t one = 1;
	while (write(f->wake_fd, &one, sizeof(one)) < 0 && errno == EINTR)
		;
}

static void end_once(follow_t *fw, const char *error)
{
	if (fw->ended)
		return;
	fw->ended = true;
	fw->end(fw->ud, error);
}

static void on_chunk(void *ud, int stream, const char *data, size_t n)
{
	follow_t *fw = ud;
	if (!fw->cancelled && !fw->ended)
		fw->chunk(fw->ud, stream, data, n);
}

static void on_done(void *ud, const engine_status_t *st)
{
	follow_t *fw = ud;
	end_once(fw, st->ok ? NULL : (st->error ? st->error : "the engine stopped answering"));
}

static void start(ops_follower_t *f, follow_t *fw)
{
	char *err = NULL;
	/* A follow may stay quiet for as long as the job runs: no timeout
	 * beyond the connection's. */
	if (ops_engine_for_host(f->loop, &fw->host, 0, &fw->engine, &err) < 0) {
		end_once(fw, err_str(err));
		free(err);
		fw->engine = NULL;
		return;
	}
	engine_logs_follow(fw->engine, fw->container, on_chunk, on_done, fw);
}

static void release(follow_t *fw)
{
	if (fw->engine)
		engine_free(fw->engine);
	host_free(&fw->host);
	free(fw->container);
	free(fw);
}

/* Under the mutex: starts new follows, ends cancelled ones, removes what
 * ended. */
static void tend(ops_follower_t *f)
{
	for (follow_t **p = &f->list; *p;) {
		follow_t *fw = *p;
		if (f->stopping && !fw->ended)
			end_once(fw, "the server is stopping");
		else if (fw->cancelled && !fw->ended)
			end_once(fw, "cancelled");
		else if (!fw->engine && !fw->ended)
			start(f, fw);
		if (fw->ended) {
			*p = fw->next;
			f->count--;
			release(fw);
			continue;
		}
		p = &fw->next;
	}
}

static void *run(void *arg)
{
	ops_follower_t *f = arg;
	for (;;) {
		pthread_mutex_lock(&f->mu);
		tend(f);
		bool done = f->stopping && !f->list;
		pthread_mutex_unlock(&f->mu);
		if (done)
			break;
		/* Callbacks run in here, without the mutex: they touch only what
		 * this thread owns (a follow is freed by tend, on this thread),
		 * and the readers' callbacks lock what they share. */
		engine_loop_run(f->loop, 1000, &f->wake_fd, 1);
		uint64_t n;
		while (read(f->wake_fd, &n, sizeof(n)) > 0)
			;
	}
	return NULL;
}

int ops_follower_new(ops_follower_t **out, char **err)
{
	ops_follower_t *f = calloc(1, sizeof(*f));
	if (!f)
		return err_set(err, "out of memory");
	f->wake_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	f->loop = f->wake_fd >= 0 ? engine_loop_new() : NULL;
	f->next_handle = 1;
	if (!f->loop || pthread_mutex_init(&f->mu, NULL) != 0) {
		if (f->wake_fd >= 0)
			close(f->wake_fd);
		engine_loop_free(f->loop);
		free(f);
		return err_set(err, "cannot start following output: out of memory or descriptors");
	}
	if (pthread_create(&f->thread, NULL, run, f) != 0) {
		pthread_mutex_destroy(&f->mu);
		close(f->wake_fd);
		engine_loop_free(f->loop);
		free(f);
		return err_set(err, "cannot start the thread that follows output");
	}
	*out = f;
	return 0;
}

void ops_follower_stop(ops_follower_t *f)
{
	wake(f);
	pthread_mutex_lock(&f->mu);
	f->stopping = true;
	pthread_mutex_unlock(&f->mu);
	wake(f);
}

void ops_follower_free(ops_follower_t *f)
{
	if (!f)
		return;
	ops_follower_stop(f);
	pthread_join(f->thread, NULL);
	engine_loop_free(f->loop);
	pthread_mutex_destroy(&f->mu);
	close(f->wake_fd);
	free(f);
}

uint64_t ops_follow(ops_follower_t *f, const host_t *h, const char *container,
		    ops_follow_chunk_fn chunk, ops_follow_end_fn end, void *ud, char **err)
{
	follow_t *fw = calloc(1, sizeof(*fw));
	if (!fw) {
		err_set(err, "out of memory");
		return 0;
	}
	host_init(&fw->host);
	fw->container = strdup(container);
	fw->host.name = strdup(h->name);
	fw->host.url = strdup(h->url);
	fw->host.tls_ca = ops_dup_or_null(h->tls_ca);
	fw->host.tls_cert = ops_dup_or_null(h->tls_cert);
	fw->host.tls_key = ops_dup_or_null(h->tls_key);
	fw->host.tls_verify = h->tls_verify;
	fw->chunk = chunk;
	fw->end = end;
	fw->ud = ud;
	fw->owner = f;
	if (!fw->container || !fw->host.name || !fw->host.url ||
	    (h->tls_ca && !fw->host.tls_ca) || (h->tls_cert && !fw->host.tls_cert) ||
	    (h->tls_key && !fw->host.tls_key)) {
		release(fw);
		err_set(err, "out of memory");
		return 0;
	}
	wake(f);
	pthread_mutex_lock(&f->mu);
	uint64_t handle = 0;
	if (f->stopping) {
		err_set(err, "the server is stopping");
	} else if (f->count >= OPS_FOLLOW_MAX) {
		err_set(err, "%d outputs are followed already, the most at once; read the output "
			     "without follow=1, or later",
			OPS_FOLLOW_MAX);
	} else {
		handle = fw->handle = f->next_handle++;
		fw->next = f->list;
		f->list = fw;
		f->count++;
	}
	pthread_mutex_unlock(&f->mu);
	if (!handle)
		release(fw);
	else
		wake(f);
	return handle;
}

void ops_follow_cancel(ops_follower_t *f, uint64_t handle)
{
	wake(f);
	pthread_mutex_lock(&f->mu);
	for (follow_t *fw = f->list; fw; fw = fw->next)
		if (fw->handle == handle)
			fw->cancelled = true;
	pthread_mutex_unlock(&f->mu);
	wake(f);
}
