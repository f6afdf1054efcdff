/*
 * worker/service.c: what a worker tells the service manager that runs it
 * (systemd's Type=notify, through util/sdnotify): READY=1 once it has its
 * store and has heard from its hosts, a STATUS= line a person reads in
 * `systemctl status`, RELOADING=1 and READY=1 around a SIGUSR1 reload,
 * STOPPING=1 on SIGTERM or SIGINT, and WATCHDOG=1 at half the interval the
 * manager asks for. Nothing here does anything without $NOTIFY_SOCKET.
 *
 * One worker runs per process, so the state is the file's own; worker.c
 * only calls the hooks below.
 */
#include "worker/internal.h"
#include "util/log.h"
#include "util/sdnotify.h"
#include "util/timeutil.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* STATUS= is looked at no more often than this: it costs a count in the
 * store, and the manager keeps only the last line anyway. */
#define STATUS_EVERY_MS 1000

static struct {
	bool on;                    /* $NOTIFY_SOCKET is set */
	bool warned;                /* a failed send was reported once */
	int64_t watchdog_ms;        /* 0: no watchdog asked */
	int64_t next_watchdog_mono;
	int64_t next_status_mono;
	char status[256];           /* the last STATUS= sent */
} svc;

static void notify(const char *state)
{
	if (sdnotify_send(state) < 0 && !svc.warned) {
		/* Once: a manager that went away would otherwise fill the log. */
		svc.warned = true;
		log_warn("cannot notify the service manager ($NOTIFY_SOCKET): %s", strerror(errno));
	}
}

static const char *plural(int64_t n)
{
	return n == 1 ? "" : "s";
}

static int running(const worker_t *w)
{
	int n = 0;
	for (size_t i = 0; i < w->nslots; i++)
		n += w->slots[i]->state != SLOT_DONE;
	return n;
}

/* The status line counts ready jobs up to this many; a longer queue shows
 * as "more than" it (process-jobs --help says so). */
#define STATUS_READY_SHOWN 10000

/* The line for `systemctl status`: what runs, what waits, what is wrong. */
static void status_line(worker_t *w, char *buf, size_t size)
{
	int run = running(w);
	if (w->stopping) {
		snprintf(buf, size, "STATUS=stopping: waiting for %d running job%s", run, plural(run));
		return;
	}
	if (w->store_down_mono) {
		snprintf(buf, size, "STATUS=the job store cannot be reached; trying again; %d job%s "
				    "running",
			 run, plural(run));
		return;
	}
	size_t healthy = 0;
	for (size_t i = 0; i < w->nhosts; i++)
		healthy += w->hosts[i]->healthy;
	char queue[64] = "";
	char **names = calloc(w->nhosts + 1, sizeof(char *));
	if (names) {
		for (size_t i = 0; i < w->nhosts; i++)
			names[i] = w->hosts[i]->host.name;
		int64_t ready = 0;
		char *err = NULL;
		/* Counted once a second: one row past the figure shown at most,
		 * not a walk of the whole queue (a million ready jobs took 70 to
		 * 90 ms a count, 7 to 9% of a core). */
		if (store_job_ready_count(w->store, names, now_ms(), STATUS_READY_SHOWN + 1, &ready,
					  NULL, &err) == 0)
			snprintf(queue, sizeof(queue), ", %s%lld ready in the queue",
				 ready > STATUS_READY_SHOWN ? "more than " : "",
				 (long long)(ready > STATUS_READY_SHOWN ? STATUS_READY_SHOWN : ready));
		free(err);
		free(names);
	}
	snprintf(buf, size, "STATUS=running %d job%s%s; %zu of %zu host%s answering", run,
		 plural(run), queue, healthy, w->nhosts, plural((int64_t)w->nhosts));
}

void service_start(void)
{
	memset(&svc, 0, sizeof(svc));
	svc.on = sdnotify_enabled();
	if (!svc.on)
		return;
	int64_t usec = sdnotify_watchdog_usec();
	if (usec > 0) {
		/* Half the interval, as systemd advises, and at least 1 ms so
		 * the loop's wait is never a busy one. */
		svc.watchdog_ms = usec / 2000 > 0 ? usec / 2000 : 1;
		log_detail("service manager watchdog: a ping every %lld ms",
			   (long long)svc.watchdog_ms);
	}
}

void service_tick(worker_t *w, int64_t now)
{
	if (!svc.on)
		return;
	if (svc.watchdog_ms && now >= svc.next_watchdog_mono) {
		notify("WATCHDOG=1");
		svc.next_watchdog_mono = now + svc.watchdog_ms;
	}
	if (w && now >= svc.next_status_mono) {
		char line[sizeof(svc.status)];
		status_line(w, line, sizeof(line));
		if (strcmp(line, svc.status) != 0) {
			notify(line);
			memcpy(svc.status, line, sizeof(line));
		}
		svc.next_status_mono = now + STATUS_EVERY_MS;
	}
}

/* A state ("READY=1", "STOPPING=1") with the status line as it is now. */
static void announce(worker_t *w, const char *state)
{
	status_line(w, svc.status, sizeof(svc.status));
	char msg[sizeof(svc.status) + 16];
	snprintf(msg, sizeof(msg), "%s\n%s", state, svc.status);
	notify(msg);
}

void service_ready(worker_t *w)
{
	if (!svc.on)
		return;
	announce(w, "READY=1");
	svc.next_status_mono = mono_ms() + STATUS_EVERY_MS;
}

void service_reloading(void)
{
	if (svc.on && sdnotify_reloading() < 0 && !svc.warned) {
		svc.warned = true;
		log_warn("cannot notify the service manager ($NOTIFY_SOCKET): %s", strerror(errno));
	}
}

void service_reloaded(worker_t *w)
{
	service_ready(w);
}

void service_stopping(worker_t *w)
{
	if (svc.on)
		announce(w, "STOPPING=1");
}

int64_t service_next_wake(int64_t wake)
{
	if (!svc.on)
		return wake;
	if (svc.watchdog_ms && svc.next_watchdog_mono < wake)
		wake = svc.next_watchdog_mono;
	/* A job that ends, or one queued by another process, changes the line
	 * without anything else waking the loop soon: look again each second
	 * (a count in the store, only under a service manager). */
	if (svc.next_status_mono && svc.next_status_mono < wake)
		wake = svc.next_status_mono;
	return wake;
}
