/*
 * tests/unit/store/test_worker_ops.c: what of the worker layer needs only
 * the store (a real SQLite file) or this machine's /proc, no engine:
 *
 * - `manage-jobs retry` (ops_retry, ops_retry_describe): only failed or
 *   timed-out jobs go back to the queue; the changes are applied and
 *   described in the history; an invalid change, or a job that changed
 *   meanwhile, changes nothing.
 * - Worker ids (worker_id_make) and the store's registry of workers
 *   (store/workers.c): who lives, by liveness lock and heartbeat lease,
 *   never by machine name or pid; its refusals; a lock file that cannot
 *   be opened.
 * - Watching the store for another handle's commits, and reconnecting.
 */
#include "helpers.h"

#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "util/timeutil.h"
#include "worker/internal.h"
#include "ops/ops.h"

/* A job that ran and ended in `end` (failed with exit 3, or timeout). */
static int64_t ended_job(store_t *s, job_status_t end)
{
	char *err = NULL;
	/* Above any job already queued, so that the claim takes this one. */
	int64_t id = add_job(s, 100, NULL, 0);
	job_t *c = NULL;
	size_t n = 0;
	OK(store_job_claim(s, "w", 1LL << 50, NULL, "h1", 1, &c, &n, &err));
	assert_int_equal(n, 1);
	assert_int_equal(c[0].id, id);
	c[0].started_at = 1000;
	OK(store_job_move(s, &c[0], JOB_LAUNCHING, JOB_RUNNING, JOB_SET_STARTED_AT, "t", NULL, &err));
	c[0].has_exit_code = end == JOB_FAILED;
	c[0].exit_code = 3;
	c[0].finished_at = 2000;
	c[0].peak_memory_bytes = 4096;
	c[0].cpu_usage_ns = 77;
	c[0].last_error = strdup("exit code 3");
	free(c[0].worker_id);
	c[0].worker_id = NULL;
	c[0].lease_until = 0;
	OK(store_job_move(s, &c[0], JOB_RUNNING, end,
			  JOB_SET_EXIT_CODE | JOB_SET_FINISHED_AT | JOB_SET_RESOURCES |
				  JOB_SET_LAST_ERROR | JOB_SET_LEASE,
			  "t", NULL, &err));
	store_job_list_free(c, n);
	return id;
}

static job_t load(store_t *s, int64_t id)
{
	char *err = NULL;
	job_t j;
	OK(store_job_get(s, id, &j, &err));
	return j;
}

static char *last_reason(store_t *s, int64_t id)
{
	char *err = NULL;
	job_event_t *ev = NULL;
	size_t n = 0;
	OK(store_history(s, id, &ev, &n, &err));
	assert_true(n > 0);
	char *r = ev[n - 1].reason ? strdup(ev[n - 1].reason) : NULL;
	store_history_free(ev, n);
	return r;
}

static void test_retry_describe(void **state)
{
	(void)state;
	job_t j;
	job_init(&j);
	j.timeout_s = 3600;
	j.memory_bytes = 64LL << 20;
	j.nano_cpus = 1500000000LL;
	j.priority = 2;
	struct {
		ops_retry_changes_t c;
		const char *want;
	} cases[] = {
		{{0}, ""},
		/* Values equal to the job's are no change. */
		{{.timeout = true, .timeout_s = 3600, .memory = true, .memory_bytes = 64LL << 20,
		  .cpus = true, .nano_cpus = 1500000000LL, .priority = true, .priority_value = 2},
		 ""},
		{{.timeout = true, .timeout_s = 0}, "timeout 3600s -> none"},
		{{.timeout = true, .timeout_s = JOB_TIMEOUT_DEFAULT},
		 "timeout 3600s -> the worker's default"},
		{{.memory = true, .memory_bytes = 0}, "memory 64m -> none"},
		{{.memory = true, .memory_bytes = 6291457}, "memory 64m -> 6291457"},
		{{.memory = true, .memory_bytes = 1LL << 40}, "memory 64m -> 1t"},
		{{.memory = true, .memory_bytes = 1LL << 50}, "memory 64m -> 1024t"},
		{{.cpus = true, .nano_cpus = 0}, "cpus 1.5 -> none"},
		{{.priority = true, .priority_value = -3, .timeout = true, .timeout_s = 30,
		  .cpus = true, .nano_cpus = 2000000000LL},
		 "timeout 3600s -> 30s, cpus 1.5 -> 2, priority 2 -> -3"},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *got = ops_retry_describe(&j, &cases[i].c);
		assert_non_null(got);
		assert_string_equal(got, cases[i].want);
		free(got);
	}
	/* From the job's own "none" values. */
	j.timeout_s = JOB_TIMEOUT_DEFAULT;
	j.memory_bytes = 1000;
	ops_retry_changes_t c = {.timeout = true, .timeout_s = 0, .memory = true,
				 .memory_bytes = 1LL << 30};
	char *got = ops_retry_describe(&j, &c);
	assert_string_equal(got, "timeout the worker's default -> none, memory 1000 -> 1g");
	free(got);
	job_free(&j);
}

/* A failed job goes back to the queue with the change applied and its last
 * attempt's result cleared; the history row says what changed. A timed-out
 * one too, and without changes the reason says only that. */
static void test_retry_requeues_failed_and_timed_out(void **state)
{
	fixture_t *fx = *state;
	char *err = NULL, *why = NULL;
	int64_t failed = ended_job(fx->s, JOB_FAILED);
	job_t j = load(fx->s, failed);
	ops_retry_changes_t c = {.priority = true, .priority_value = 5};
	OK(ops_retry(fx->s, &j, &c, "manage-jobs", &why, &err));
	assert_string_equal(why, "retried by manage-jobs: priority 100 -> 5");
	assert_int_equal(j.status, JOB_QUEUED);
	job_t now = load(fx->s, failed);
	assert_int_equal(now.status, JOB_QUEUED);
	assert_int_equal(now.priority, 5);
	assert_false(now.has_exit_code);
	assert_null(now.last_error);
	assert_int_equal(now.started_at, 0);
	assert_int_equal(now.finished_at, 0);
	assert_int_equal(now.peak_memory_bytes, -1);
	assert_int_equal(now.cpu_usage_ns, -1);
	assert_int_equal(now.attempt, 1); /* the attempt stays counted */
	char *r = last_reason(fx->s, failed);
	assert_string_equal(r, why);
	free(r);
	free(why);
	job_free(&now);
	job_free(&j);

	int64_t timed_out = ended_job(fx->s, JOB_TIMEOUT);
	j = load(fx->s, timed_out);
	ops_retry_changes_t none = {0};
	OK(ops_retry(fx->s, &j, &none, "manage-jobs", NULL, &err));
	now = load(fx->s, timed_out);
	assert_int_equal(now.status, JOB_QUEUED);
	r = last_reason(fx->s, timed_out);
	assert_string_equal(r, "retried by manage-jobs");
	free(r);
	job_free(&now);
	job_free(&j);
}

/* What is not failed or timed out (now) stays as it is; so does a job
 * given an invalid change. */
static void test_retry_refusals_change_nothing(void **state)
{
	fixture_t *fx = *state;
	char *err = NULL, *why = (char *)"untouched";
	int64_t failed = ended_job(fx->s, JOB_FAILED);
	int64_t queued = add_job(fx->s, 0, NULL, 0);
	char *before = db_fingerprint(fx->path);
	ops_retry_changes_t c = {.priority = true, .priority_value = 5};

	job_t q = load(fx->s, queued);
	assert_int_equal(ops_retry(fx->s, &q, &c, "manage-jobs", &why, &err), 1);
	assert_null(why);
	assert_err_contains(err, "is queued; only failed or timed-out jobs can be retried");
	job_free(&q);

	/* Below the smallest memory limit: validate_job refuses it. */
	job_t f = load(fx->s, failed);
	ops_retry_changes_t bad = {.memory = true, .memory_bytes = 1000};
	assert_int_equal(ops_retry(fx->s, &f, &bad, "manage-jobs", NULL, &err), -1);
	assert_err_contains(err, "memory limit");
	ops_retry_changes_t bad_priority = {.priority = true, .priority_value = 1 << 20};
	assert_int_equal(ops_retry(fx->s, &f, &bad_priority, "manage-jobs", NULL, &err), -1);
	assert_err_contains(err, "priority");
	char *after = db_fingerprint(fx->path);
	assert_string_equal(before, after);
	free(after);

	/* Read while failed, retried by someone else meanwhile: the second
	 * retry finds it queued and writes nothing. */
	job_t stale = load(fx->s, failed);
	OK(ops_retry(fx->s, &f, &c, "manage-jobs", NULL, &err));
	free(before);
	before = db_fingerprint(fx->path);
	assert_int_equal(ops_retry(fx->s, &stale, &c, "manage-jobs", NULL, &err), 1);
	assert_err_contains(err, "is queued now; only failed or timed-out jobs can be retried");
	after = db_fingerprint(fx->path);
	assert_string_equal(before, after);
	free(after);
	free(before);
	job_free(&stale);
	job_free(&f);
}

/* A store failure in the move: -1 with the store's message. */
static void test_retry_store_failure(void **state)
{
	fixture_t *fx = *state;
	char *err = NULL;
	int64_t failed = ended_job(fx->s, JOB_FAILED);
	job_t f = load(fx->s, failed);
	OK(store_job_delete(fx->s, failed, &err));
	ops_retry_changes_t none = {0};
	assert_int_equal(ops_retry(fx->s, &f, &none, "manage-jobs", NULL, &err), -1);
	assert_err_contains(err, "does not exist");
	job_free(&f);
}

/* ---- worker ids ---- */

static void own_machine(char *buf, size_t size)
{
	assert_int_equal(gethostname(buf, size - 1), 0);
	buf[size - 1] = '\0';
	for (char *p = buf; *p; p++)
		if (*p == ':')
			*p = '_';
}

/* A worker id names its machine and pid for people, and is made unique
 * by its random part. */
static void test_worker_id_make(void **state)
{
	(void)state;
	char id[128], id2[128], host[64];
	assert_int_equal(worker_id_make(id, sizeof(id)), 0);
	assert_int_equal(worker_id_make(id2, sizeof(id2)), 0);
	own_machine(host, sizeof(host));
	int pid = 0;
	char rnd[32];
	size_t hl = strlen(host);
	assert_int_equal(strncmp(id, host, hl), 0);
	assert_int_equal(sscanf(id + hl, ":%d:%31s", &pid, rnd), 2);
	assert_int_equal(pid, (int)getpid());
	assert_int_equal(strlen(rnd), 13);
	assert_string_not_equal(id, id2);
}

/* A child that registers worker ID (with its heartbeat lease ending at
 * LEASE, unix ms) on its own connection, says so on the pipe, and then
 * waits to be killed. */
static pid_t registered_child(const char *path, const char *id, int64_t lease)
{
	int fds[2];
	assert_int_equal(pipe(fds), 0);
	pid_t parent = getpid();
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		/* Gone with the test, also when a failed assertion skips its
		 * kill: a child left waiting would outlive the run. */
		if (prctl(PR_SET_PDEATHSIG, SIGKILL) != 0 || getppid() != parent)
			_exit(3);
		close(fds[0]);
		store_t *s = NULL;
		char *err = NULL;
		/* The same machine name and pid for every child: the registry
		 * must never tell workers apart by them. */
		store_worker_t w = {.id = (char *)id, .machine = "same-host", .pid = 1,
				    .started_at = now_ms(), .heartbeat_at = now_ms(),
				    .lease_until = lease, .hosts = "e1"};
		if (store_open(path, false, &s, &err) != 0 ||
		    store_worker_register(s, &w, &err) != 0) {
			fprintf(stderr, "child: %s\n", err ? err : "?");
			_exit(1);
		}
		if (write(fds[1], "r", 1) != 1)
			_exit(2);
		for (;;)
			pause();
	}
	close(fds[1]);
	char c;
	assert_int_equal(read(fds[0], &c, 1), 1);
	close(fds[0]);
	return pid;
}

static void kill_child(pid_t pid)
{
	int status;
	kill(pid, SIGKILL);
	assert_int_equal(waitpid(pid, &status, 0), pid);
}

/* Waits until the store calls worker id dead, for at most 10 s. On SQLite
 * a killed process's lock goes with it; PostgreSQL's server lets a
 * session's lock go when its backend has seen the connection end, a moment
 * after the client process is gone: a check made at once could still see
 * it held (store-worker-ops-pg failed so, once in a few runs). */
static void wait_dead(store_t *s, const char *id)
{
	char *err = NULL;
	int64_t until = now_ms() + 10000;
	int rc;
	while ((rc = store_worker_dead(s, id, now_ms(), &err)) == 0 && now_ms() < until)
		poll(NULL, 0, 10);
	if (rc != 1)
		fail_msg("worker %s not dead 10 s after its process was killed: %d %s", id, rc,
			 err ? err : "");
}

static const store_worker_t *find_worker(const store_worker_t *v, size_t n, const char *id)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(v[i].id, id) == 0)
			return &v[i];
	fail_msg("worker %s is not listed", id);
	return NULL;
}

/* The registry: a worker lives while it holds its liveness lock and its
 * heartbeat lease runs; killed (however), it is dead once its lock is gone
 * (at once on SQLite, a moment later on PostgreSQL), though its lease still
 * runs; stopped, dead; its lease run out, dead even while its
 * process lives; never registered, unknown (0: only a job's lease tells).
 * Two workers with the same machine name and pid are told apart. */
static void test_worker_registry_liveness(void **state)
{
	fixture_t *fx = *state;
	char *err = NULL;
	int64_t later = now_ms() + 600000;
	pid_t a = registered_child(fx->path, "same-host:1:aaaa", later);
	pid_t b = registered_child(fx->path, "same-host:1:bbbb", later);
	pid_t old = registered_child(fx->path, "same-host:1:late", now_ms() - 1);
	assert_int_equal(store_worker_dead(fx->s, "same-host:1:aaaa", now_ms(), &err), 0);
	assert_int_equal(store_worker_dead(fx->s, "same-host:1:bbbb", now_ms(), &err), 0);
	assert_int_equal(store_worker_dead(fx->s, "same-host:1:late", now_ms(), &err), 1);
	assert_int_equal(store_worker_dead(fx->s, "never:1:registered", now_ms(), &err), 0);
	assert_null(err);

	/* Jobs held are counted per worker. */
	add_job(fx->s, 0, NULL, 0);
	add_job(fx->s, 0, NULL, 0);
	job_t *c = NULL;
	size_t nc = 0;
	OK(store_job_claim(fx->s, "same-host:1:aaaa", later, NULL, "e1", 5, &c, &nc, &err));
	assert_int_equal(nc, 2);
	store_job_list_free(c, nc);
	store_worker_t *v = NULL;
	size_t n = 0;
	OK(store_worker_list(fx->s, now_ms(), &v, &n, &err));
	assert_int_equal(n, 3);
	const store_worker_t *wa = find_worker(v, n, "same-host:1:aaaa");
	assert_true(wa->alive);
	assert_int_equal(wa->jobs_held, 2);
	assert_string_equal(wa->machine, "same-host");
	assert_string_equal(wa->hosts, "e1");
	assert_false(find_worker(v, n, "same-host:1:late")->alive);
	store_worker_list_free(v, n);

	/* Killed: dead as soon as its lock is gone; the other, same name and
	 * pid, lives on. */
	kill_child(a);
	wait_dead(fx->s, "same-host:1:aaaa");
	assert_int_equal(store_worker_dead(fx->s, "same-host:1:bbbb", now_ms(), &err), 0);
	kill_child(b);
	kill_child(old);

	/* A clean stop: dead, and a heartbeat no longer renews it. */
	store_worker_t me = {.id = "here:2:cccc", .machine = "here", .pid = 2,
			     .started_at = now_ms(), .heartbeat_at = now_ms(), .lease_until = later};
	OK(store_worker_register(fx->s, &me, &err));
	OK(store_worker_heartbeat(fx->s, "here:2:cccc", now_ms(), later, "e1 e2", &err));
	OK(store_worker_stop(fx->s, "here:2:cccc", &err));
	assert_int_equal(store_worker_heartbeat(fx->s, "here:2:cccc", now_ms(), later, "", &err),
			 1);
	assert_int_equal(store_worker_heartbeat(fx->s, "nobody", now_ms(), later, "", &err), 1);
	assert_null(err);
	OK(store_worker_list(fx->s, now_ms(), &v, &n, &err));
	const store_worker_t *wc = find_worker(v, n, "here:2:cccc");
	assert_false(wc->alive);
	assert_true(wc->stopped_at > 0);
	store_worker_list_free(v, n);
}

/* The registry's edges: an id is required (nothing written without one);
 * a machine name or host list not given is stored empty; stopping a
 * worker never registered changes nothing; more workers than the list's
 * first room (8) are all listed, in the order they started; an id whose
 * liveness lock another live worker holds (another connection, here of
 * this process) is refused, naming it, with nothing written; once that
 * one stopped, the id may be taken again. (A handle does not see its own
 * liveness locks as held: the workers here are registered on another
 * one, as each worker registers on its own.) */
static void test_worker_registry_edges(void **state)
{
	fixture_t *fx = *state;
	char *err = NULL;
	char *before = db_fingerprint(fx->path);
	store_worker_t none = {.id = NULL, .lease_until = 1LL << 50};
	assert_int_equal(store_worker_register(fx->s, &none, &err), -1);
	assert_err_contains(err, "cannot register the worker: no worker id given");
	none.id = "";
	assert_int_equal(store_worker_register(fx->s, &none, &err), -1);
	assert_err_contains(err, "cannot register the worker: no worker id given");
	OK(store_worker_stop(fx->s, "never:1:registered", &err));
	char *after = db_fingerprint(fx->path);
	assert_string_equal(before, after);
	free(before);
	free(after);

	store_t *reg = NULL;
	OK(store_open(fx->path, false, &reg, &err));
	for (int i = 0; i < 9; i++) {
		char id[32];
		snprintf(id, sizeof(id), "m:%d:w", i);
		store_worker_t w = {.id = id, .pid = i, .started_at = 100 - i, .heartbeat_at = 100,
				    .lease_until = 1LL << 50};
		OK(store_worker_register(reg, &w, &err));
	}
	OK(store_worker_heartbeat(reg, "m:0:w", 200, 1LL << 50, NULL, &err));
	store_worker_t *v = NULL;
	size_t n = 0;
	OK(store_worker_list(fx->s, 300, &v, &n, &err));
	assert_int_equal(n, 9);
	for (size_t i = 0; i < n; i++) {
		char id[32];
		snprintf(id, sizeof(id), "m:%d:w", (int)(8 - i));
		assert_string_equal(v[i].id, id);
		assert_string_equal(v[i].machine, "");
		assert_string_equal(v[i].hosts, "");
		assert_true(v[i].alive);
	}
	assert_int_equal(v[8].heartbeat_at, 200);
	store_worker_list_free(v, n);

	before = db_fingerprint(fx->path);
	store_worker_t dup = {.id = "m:3:w", .machine = "elsewhere", .lease_until = 1LL << 50};
	assert_int_equal(store_worker_register(fx->s, &dup, &err), -1);
	assert_err_contains(err, "cannot register the worker: another live worker holds the "
				 "liveness lock of id m:3:w");
	after = db_fingerprint(fx->path);
	assert_string_equal(before, after);
	free(before);
	free(after);
	OK(store_worker_stop(reg, "m:3:w", &err));
	OK(store_worker_register(fx->s, &dup, &err));
	assert_int_equal(store_worker_dead(reg, "m:3:w", 300, &err), 0);
	assert_int_equal(store_worker_dead(fx->s, "m:4:w", 300, &err), 0);
	assert_null(err);
	store_close(reg);
}

/* A store handle tells its owner when another one has committed a job's
 * change (store_changed, after store_watch): not before watching, at once
 * after the other's commit, and once only. Watching twice gives the same
 * descriptor. A handle whose connection is fine reconnects as a no-op. */
static void test_watch_and_reconnect(void **state)
{
	fixture_t *fx = *state;
	char *err = NULL;
	assert_false(store_changed(fx->s));
	int fd = -1, fd2 = -1;
	OK(store_watch(fx->s, &fd, &err));
	OK(store_watch(fx->s, &fd2, &err));
	assert_true(fd >= 0);
	assert_int_equal(fd, fd2);
	store_t *other = NULL;
	OK(store_open(fx->path, false, &other, &err));
	add_job(other, 0, NULL, 0);
	struct pollfd p = {.fd = fd, .events = POLLIN};
	assert_int_equal(poll(&p, 1, 10000), 1);
	assert_true(store_changed(fx->s));
	assert_false(store_changed(fx->s));
	store_close(other);

	assert_false(store_lost(fx->s));
	OK(store_reconnect(fx->s, &err));
	int64_t hosts = -1;
	OK(store_host_count(fx->s, &hosts, &err));
	assert_int_equal(hosts, 0);
}

/* SQLite's liveness locks live in the file STORE-workers: when it cannot
 * be opened (here a directory took its name), registering, listing the
 * workers and asking whether one is dead fail, saying so, and write
 * nothing. */
static void test_worker_lock_file_unopenable(void **state)
{
	fixture_t *fx = *state;
	char *err = NULL;
	/* Registered through another handle, whose lock file is then
	 * replaced by a directory (that handle keeps the old file open). */
	store_t *other = NULL;
	OK(store_open(fx->path, false, &other, &err));
	store_worker_t w = {.id = "m:1:w", .lease_until = 1LL << 50};
	OK(store_worker_register(other, &w, &err));
	char *lock = NULL;
	assert_true(asprintf(&lock, "%s-workers", fx->path) > 0);
	assert_int_equal(unlink(lock), 0);
	assert_int_equal(mkdir(lock, 0700), 0);
	char *before = db_fingerprint(fx->path);
	store_worker_t me = {.id = "m:2:w", .lease_until = 1LL << 50};
	assert_int_equal(store_worker_register(fx->s, &me, &err), -1);
	assert_err_contains(err, "cannot register the worker: cannot open ");
	store_worker_t *v = NULL;
	size_t n = 0;
	assert_int_equal(store_worker_list(fx->s, 10, &v, &n, &err), -1);
	assert_err_contains(err, "-workers: is a directory");
	assert_null(v);
	assert_int_equal(store_worker_dead(fx->s, "m:1:w", 10, &err), -1);
	assert_err_contains(err, "-workers: is a directory");
	char *after = db_fingerprint(fx->path);
	assert_string_equal(before, after);
	free(before);
	free(after);
	store_close(other);
	rmdir(lock);
	free(lock);
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, fx_setup, fx_teardown)
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_retry_describe),
		T(test_retry_requeues_failed_and_timed_out),
		T(test_retry_refusals_change_nothing),
		T(test_retry_store_failure),
		cmocka_unit_test(test_worker_id_make),
		T(test_worker_registry_liveness),
		T(test_worker_registry_edges),
		T(test_watch_and_reconnect),
	};
	/* The lock file is SQLite's. */
	const struct CMUnitTest sqlite_tests[] = {
		T(test_worker_lock_file_unopenable),
	};
	int failed = cmocka_run_group_tests(tests, NULL, NULL);
	if (!test_on_pg())
		failed += cmocka_run_group_tests_name("sqlite", sqlite_tests, NULL, NULL);
	return failed;
}
