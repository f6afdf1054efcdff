/*
 * http/api_follow.c: GET /api/v1/jobs/ID/logs?follow=1, a job's output
 * from the attempt asked for until the job ends: waiting while it is
 * queued, going on through its retries, by the rule `job logs --follow`
 * keeps (ops_job_follow), so that both front ends give the same bytes.
 *
 * Each follow runs ops_job_follow on a thread of its own with a store
 * connection of its own (it waits on the store's changes, which a request
 * thread's shared connection cannot). The response needs no thread of the
 * server's meanwhile: it is suspended while nothing is pending, and the
 * follow's thread resumes it. A follow ends when the job ends, when the
 * reader goes away, or when the server stops (api_follows_stop).
 *
 * A suspended connection is not watched by the server, so a reader that
 * leaves while nothing is written (a job still queued, or quiet) would
 * hold its place until the job ends: the follow looks at the connection's
 * socket every second itself and stops when the peer has hung up.
 */
#include "http/internal.h"

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include "ops/follow_job.h"
#include "util/err.h"
#include "util/log.h"
#include "util/strbuf.h"

/* A reader this far behind is cut off, not waited for: the server's
 * memory stays bounded. */
#define FOLLOW_BACKLOG_MAX (8u << 20)

/* Shared by the response (MHD's threads) and the follow's thread; freed by
 * whichever lets it go last. */
typedef struct {
	pthread_mutex_t mu;
	struct MHD_Connection *conn;
	strbuf_t pending;         /* bytes not yet sent */
	size_t sent;              /* of pending */
	bool suspended, ended, closed;
	int refs;
	/* The follow's. */
	int64_t job_id;
	int streams, first_attempt;
	char *store_url;
	atomic_bool stop;
	int wake_fd;              /* an eventfd: readable once stop is set */
	int conn_fd;              /* the connection's socket, -1 if unknown */
} follow_stream_t;

/* How often a follow looks at its job and its reader's socket. */
#define FOLLOW_LOOK_MS 1000

/* The follows running, so that a stopping server can end them and wait
 * for their threads (which hold store connections) before it exits. */
static pthread_mutex_t follows_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t follows_gone = PTHREAD_COND_INITIALIZER;
static follow_stream_t *follows[API_FOLLOWS_MAX];
static size_t nfollows;
static bool follows_stopping;

static void fs_unref(follow_stream_t *fs)
{
	pthread_mutex_lock(&fs->mu);
	bool last = --fs->refs == 0;
	pthread_mutex_unlock(&fs->mu);
	if (!last)
		return;
	sb_free(&fs->pending);
	pthread_mutex_destroy(&fs->mu);
	if (fs->wake_fd >= 0)
		close(fs->wake_fd);
	free(fs->store_url);
	free(fs);
}

static void fs_stop(follow_stream_t *fs)
{
	atomic_store(&fs->stop, true);
	uint64_t one = 1;
	while (write(fs->wake_fd, &one, sizeof(one)) < 0 && errno == EINTR)
		;
}

/* Under fs->mu: lets MHD read again. */
static void fs_resume(follow_stream_t *fs)
{
	if (fs->suspended && !fs->closed) {
		fs->suspended = false;
		MHD_resume_connection(fs->conn);
	}
}

static void fs_out(void *ud, int stream, const char *data, size_t n)
{
	(void)stream;  /* ops_job_follow gives only the streams asked for */
	follow_stream_t *fs = ud;
	pthread_mutex_lock(&fs->mu);
	if (!fs->closed && !fs->ended) {
		if (fs->pending.len - fs->sent + n > FOLLOW_BACKLOG_MAX) {
			fs->ended = true;
			fs_stop(fs);
		} else {
			sb_append(&fs->pending, data, n);
		}
		fs_resume(fs);
	}
	pthread_mutex_unlock(&fs->mu);
}

static ssize_t fs_read(void *cls, uint64_t pos, char *buf, size_t max)
{
	(void)pos;
	follow_stream_t *fs = cls;
	pthread_mutex_lock(&fs->mu);
	ssize_t n;
	if (fs->pending.failed) {
		n = MHD_CONTENT_READER_END_WITH_ERROR;
	} else if (fs->sent < fs->pending.len) {
		size_t k = fs->pending.len - fs->sent;
		if (k > max)
			k = max;
		memcpy(buf, fs->pending.buf + fs->sent, k);
		fs->sent += k;
		if (fs->sent == fs->pending.len) {
			sb_reset(&fs->pending);
			fs->sent = 0;
		}
		n = (ssize_t)k;
	} else if (fs->ended) {
		n = MHD_CONTENT_READER_END_OF_STREAM;
	} else {
		/* Nothing yet: the connection waits without a thread until the
		 * follow has bytes or the end (fs_resume). */
		fs->suspended = true;
		MHD_suspend_connection(fs->conn);
		n = 0;
	}
	pthread_mutex_unlock(&fs->mu);
	return n;
}

/* The response is gone (the reader left, or the server stopped). */
static void fs_closed(void *cls)
{
	follow_stream_t *fs = cls;
	pthread_mutex_lock(&fs->mu);
	fs->closed = true;
	pthread_mutex_unlock(&fs->mu);
	fs_stop(fs);
	fs_unref(fs);
}

static void unregister(follow_stream_t *fs)
{
	pthread_mutex_lock(&follows_mu);
	for (size_t i = 0; i < nfollows; i++) {
		if (follows[i] == fs) {
			follows[i] = follows[--nfollows];
			break;
		}
	}
	pthread_cond_broadcast(&follows_gone);
	pthread_mutex_unlock(&follows_mu);
}

/* After each look at the job: a reader that hung up stops the follow. */
static bool fs_tick(void *ud, const job_t *job)
{
	(void)job;
	follow_stream_t *fs = ud;
	pthread_mutex_lock(&fs->mu);
	bool closed = fs->closed;
	pthread_mutex_unlock(&fs->mu);
	if (closed || fs->conn_fd < 0)
		return false;  /* fs_closed stops it; without a socket, the job's end does */
	struct pollfd p = {.fd = fs->conn_fd, .events = POLLRDHUP};
	if (poll(&p, 1, 0) > 0 && (p.revents & (POLLRDHUP | POLLHUP | POLLERR)))
		atomic_store(&fs->stop, true);
	return false;
}

static void *follow_thread(void *arg)
{
	follow_stream_t *fs = arg;
	store_t *s = NULL;
	char *err = NULL;
	if (store_open(fs->store_url, false, &s, &err) == 0) {
		ops_follow_job_t o = {.streams = fs->streams, .first_attempt = fs->first_attempt,
				      .out = fs_out, .tick = fs_tick, .ud = fs,
				      .wake_fd = fs->wake_fd, .tick_ms = FOLLOW_LOOK_MS,
				      .stop = &fs->stop};
		job_t job;
		job_init(&job);
		if (ops_job_follow(s, fs->job_id, &o, &job, &err) != OPS_OK)
			log_warn("following the output of job %lld: %s", (long long)fs->job_id,
				 err_str(err));
		job_free(&job);
		store_close(s);
	} else {
		log_warn("following the output of job %lld: %s", (long long)fs->job_id,
			 err_str(err));
	}
	free(err);
	pthread_mutex_lock(&fs->mu);
	fs->ended = true;
	fs_resume(fs);
	pthread_mutex_unlock(&fs->mu);
	unregister(fs);
	fs_unref(fs);
	return NULL;
}

void api_follow_job(http_req_t *r, const job_t *job, int streams, int attempt)
{
	follow_stream_t *fs = calloc(1, sizeof(*fs));
	if (!fs) {
		http_reply_error(r, 500, "out of memory");
		return;
	}
	pthread_mutex_init(&fs->mu, NULL);
	sb_init(&fs->pending, 0);
	fs->conn = r->conn;
	fs->job_id = job->id;
	fs->streams = streams;
	fs->first_attempt = attempt;
	fs->wake_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	fs->store_url = strdup(r->opts->store);
	const union MHD_ConnectionInfo *ci =
		MHD_get_connection_info(r->conn, MHD_CONNECTION_INFO_CONNECTION_FD);
	fs->conn_fd = ci ? ci->connect_fd : -1;
	fs->refs = 1;  /* the response's, from here */
	struct MHD_Response *resp =
		fs->wake_fd >= 0 && fs->store_url
			? MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 16 * 1024, fs_read,
							    fs, fs_closed)
			: NULL;
	if (!resp) {
		http_reply_error(r, 500, "out of memory or descriptors");
		fs_unref(fs);
		return;
	}
	/* From here the response owns fs: destroying it calls fs_closed. */
	pthread_mutex_lock(&follows_mu);
	bool room = !follows_stopping && nfollows < API_FOLLOWS_MAX;
	if (room) {
		follows[nfollows++] = fs;
		fs->refs++;  /* the thread's */
	}
	pthread_mutex_unlock(&follows_mu);
	pthread_attr_t attr;
	pthread_t t;
	bool started = false;
	if (room && pthread_attr_init(&attr) == 0) {
		pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
		started = pthread_create(&t, &attr, follow_thread, fs) == 0;
		pthread_attr_destroy(&attr);
	}
	if (!started) {
		if (room) {
			unregister(fs);
			fs_unref(fs);
		}
		MHD_destroy_response(resp);
		if (!room && follows_stopping)
			http_reply_error(r, 503, "the server is stopping");
		else if (!room)
			http_reply_error(r, 503,
					 "%d outputs are followed already, the most at once; read the "
					 "output without follow=1, or later",
					 API_FOLLOWS_MAX);
		else
			http_reply_error(r, 503, "cannot start a thread to follow the output");
		return;
	}
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, "text/plain; charset=utf-8");
	r->answer.custom = resp;
	r->answer.status = 200;
}

void api_follows_stop(void)
{
	pthread_mutex_lock(&follows_mu);
	follows_stopping = true;
	for (size_t i = 0; i < nfollows; i++)
		fs_stop(follows[i]);
	pthread_mutex_unlock(&follows_mu);
}

bool api_follows_wait(int64_t ms)
{
	struct timespec until;
	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += ms / 1000;
	until.tv_nsec += (ms % 1000) * 1000000;
	if (until.tv_nsec >= 1000000000) {
		until.tv_sec++;
		until.tv_nsec -= 1000000000;
	}
	pthread_mutex_lock(&follows_mu);
	while (nfollows > 0 && pthread_cond_timedwait(&follows_gone, &follows_mu, &until) == 0)
		;
	bool all = nfollows == 0;
	pthread_mutex_unlock(&follows_mu);
	return all;
}
