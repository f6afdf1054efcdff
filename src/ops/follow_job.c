/*
 * ops/follow_job.c: a job's output until it ends; see follow_job.h.
 *
 * One rule for what is given: each attempt's bytes as the engine streams
 * them while it runs, counted per stream; once the store says the attempt
 * is over, the live follow is ended and what the store kept of the attempt
 * beyond those counts is given. The engine's log and the stored output are
 * the same bytes from the container's start (the worker stores what the
 * engine's log holds), so nothing is given twice and nothing is missed,
 * even when the live follow could not start or broke off.
 */
#include "ops/follow_job.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "ops/follow.h"
#include "util/err.h"

#define TICK_MS_DEFAULT 10000

typedef struct {
	pthread_mutex_t mu;
	pthread_cond_t ended;
	const ops_follow_job_t *o;
	bool live;                 /* a live follow runs (its end not yet called) */
	int64_t given[3];          /* bytes of the attempt streamed, by stream (1, 2) */
} fj_t;

static void on_chunk(void *ud, int stream, const char *data, size_t n)
{
	fj_t *f = ud;
	if (stream != JOB_STDOUT && stream != JOB_STDERR)
		return;
	pthread_mutex_lock(&f->mu);
	f->given[stream] += (int64_t)n;
	pthread_mutex_unlock(&f->mu);
	if (f->o->streams & stream)
		f->o->out(f->o->ud, stream, data, n);
}

static void on_end(void *ud, const char *error)
{
	(void)error;  /* the store's copy gives whatever the engine could not */
	fj_t *f = ud;
	pthread_mutex_lock(&f->mu);
	f->live = false;
	pthread_cond_broadcast(&f->ended);
	pthread_mutex_unlock(&f->mu);
}

/* Ends the live follow (if one runs) and waits until its end was called:
 * no byte of it is given after this. */
static void stop_live(fj_t *f, ops_follower_t *fol, uint64_t handle)
{
	pthread_mutex_lock(&f->mu);
	bool live = f->live;
	pthread_mutex_unlock(&f->mu);
	if (!live)
		return;
	ops_follow_cancel(fol, handle);
	pthread_mutex_lock(&f->mu);
	while (f->live)
		pthread_cond_wait(&f->ended, &f->mu);
	pthread_mutex_unlock(&f->mu);
}

/* Starts following attempt's container live; a failure only means the
 * store's copy gives it all at the end. */
static void start_live(store_t *s, fj_t *f, ops_follower_t **fol, const job_t *job,
		       uint64_t *handle)
{
	char *err = NULL;
	host_t h;
	host_init(&h);
	if ((*fol || ops_follower_new(fol, &err) == 0) &&
	    ops_host_load(s, job->ran_on, &h, &err) == OPS_OK) {
		f->live = true;  /* before the thread may end it */
		*handle = ops_follow(*fol, &h, job->container_id, on_chunk, on_end, f, &err);
		if (!*handle)
			f->live = false;
	}
	host_free(&h);
	free(err);
}

/* Gives what the store kept of attempt beyond what was streamed. */
static int give_rest(store_t *s, fj_t *f, int64_t id, int attempt, char **err)
{
	for (int stream = JOB_STDOUT; stream <= JOB_STDERR; stream++) {
		if (!(f->o->streams & stream))
			continue;
		job_output_t out = {0};
		int rc = store_output_get(s, id, attempt, (job_stream_t)stream, &out, err);
		if (rc < 0)
			return -1;
		if (rc == 0 && (int64_t)out.len > f->given[stream])
			f->o->out(f->o->ud, stream, out.data + f->given[stream],
				  out.len - (size_t)f->given[stream]);
		job_output_free(&out);
	}
	return 0;
}

static bool stopped(const ops_follow_job_t *o)
{
	return o->stop && atomic_load(o->stop);
}

/* Attempt has run and its result (and output) is in the store. */
static bool attempt_over(const job_t *job, int attempt)
{
	return attempt < job->attempt || job_status_is_final(job->status) ||
	       (attempt == job->attempt && job->status == JOB_QUEUED);
}

int ops_job_follow(store_t *s, int64_t id, const ops_follow_job_t *o, job_t *job, char **err)
{
	fj_t f = {.o = o};
	pthread_mutex_init(&f.mu, NULL);
	pthread_cond_init(&f.ended, NULL);
	ops_follower_t *fol = NULL;
	uint64_t handle = 0;
	/* Watched before the first look: no change falls between the two. */
	ops_watch_t w;
	ops_watch_start(&w, s);
	int rc = ops_job_load(s, id, job, err);
	int cur = o->first_attempt ? o->first_attempt : job->attempt ? job->attempt : 1;
	char *followed = NULL;  /* the container of attempt cur followed live */
	while (rc == OPS_OK) {
		while (cur <= job->attempt && attempt_over(job, cur)) {
			if (followed)
				stop_live(&f, fol, handle);
			free(followed);
			followed = NULL;
			if (give_rest(s, &f, id, cur, err) < 0) {
				rc = OPS_E_STORE;
				break;
			}
			cur++;
			f.given[JOB_STDOUT] = f.given[JOB_STDERR] = 0;
		}
		if (rc != OPS_OK || job_status_is_final(job->status) || stopped(o))
			break;
		if (job->status == JOB_RUNNING && cur == job->attempt && job->container_id &&
		    job->ran_on && (!followed || strcmp(followed, job->container_id) != 0)) {
			/* Another container for the same attempt: a worker stopped
			 * with SIGINT handed the job back without counting it, and it
			 * runs again from the start. Its bytes are counted afresh. */
			if (followed) {
				stop_live(&f, fol, handle);
				f.given[JOB_STDOUT] = f.given[JOB_STDERR] = 0;
			}
			free(followed);
			if (!(followed = strdup(job->container_id))) {
				err_set(err, "out of memory");
				rc = OPS_E_STORE;
				break;
			}
			start_live(s, &f, &fol, job, &handle);
		}
		bool changed = o->tick && o->tick(o->ud, job);
		if (stopped(o))
			break;
		if (!changed)
			ops_watch_wait(&w, &o->wake_fd, 1, o->tick_ms ? o->tick_ms : TICK_MS_DEFAULT);
		if (stopped(o))
			break;
		job_free(job);
		job_init(job);
		rc = ops_job_load(s, id, job, err);
	}
	if (followed)
		stop_live(&f, fol, handle);
	free(followed);
	ops_follower_free(fol);
	pthread_cond_destroy(&f.ended);
	pthread_mutex_destroy(&f.mu);
	return rc;
}
