/*
 * bench/lib/http-load.c: a small HTTP/1.1 load generator for bench/api. N
 * keep-alive connections at once, plain sockets driven by epoll in one
 * thread, taking the request paths in turn from a file (one a line, e.g.
 * "/api/v1/jobs/17"), each connection starting at its own place in the
 * list. A warm-up (its requests not counted) comes first, then D seconds
 * measured; every latency measured is kept and sorted at the end.
 *
 * Plain sockets rather than libcurl: the client runs on the same two cores
 * as the server it measures, and libcurl's multi interface spent some 30 µs
 * of user CPU on each answer of a page of jobs, a tenth of what server and
 * client spend on it together. This client only sends a GET and counts the
 * answer's bytes by its Content-Length (every answer bench/api asks for has
 * one; one without is counted as a failed transfer).
 *
 *   http-load BASE_URL PATHS_FILE N D [WARMUP_S [TOKEN [RATE]]]
 *
 * BASE_URL is http://HOST:PORT (no TLS, no path); TOKEN, when not empty,
 * goes in an "Authorization: Bearer TOKEN" header.
 *
 * Without RATE (or with 0) the load is closed: each connection sends again
 * as soon as it is answered, so the server's own pace sets the rate, and
 * the latencies are those of saturation, where by Little's law N
 * connections wait N / rate on average whatever the server does. With RATE
 * the load is open, as a service's clients are: request k is due k / RATE
 * seconds after the start, goes out on the first idle connection at or
 * after that time (a timer wakes the client for it), and its latency
 * counts from when it was due, not from when it went out, so that a server
 * falling behind shows in the figures (the correction for "coordinated
 * omission" that wrk2 makes).
 *
 * Prints, one "name value" a line: requests, seconds, rps, errors (answers
 * not 2xx, and failed transfers), transport_errors, first_error_status,
 * warmup_requests, then p50_ms, p90_ms, p99_ms and max_ms over the
 * measured requests (errors included). Exits 1 when nothing could be
 * measured. Built by bench/lib/common.sh.
 */
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#define TIMEOUT_NS (30 * 1000000000LL)

enum { IDLE, SENDING, HEAD, BODY };

typedef struct {
	int fd;
	int state;
	size_t next;        /* the next path to send, an index into paths */
	int64_t sent_ns;    /* when its request was due (RATE) or went out */
	char req[4096];
	size_t req_len, req_off;
	char head[16384];   /* the answer's head, and whatever came with it */
	size_t head_len;
	long status;
	size_t body_left;
	bool close_after;   /* the answer said "Connection: close" */
	bool out_armed;     /* epoll also waits for room to send */
} conn_t;

static char **paths;
static size_t npaths;
static char host[256], port[16], authority[300];
static const char *token;
static struct addrinfo *addr;
static int ep;
static char scratch[256 * 1024];
static int64_t *lat;        /* the latencies measured */
static size_t nlat, lat_cap;

static int64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static int read_paths(const char *file)
{
	FILE *f = fopen(file, "r");
	if (!f) {
		perror(file);
		return -1;
	}
	char *line = NULL;
	size_t cap = 0, room = 0;
	ssize_t len;
	while ((len = getline(&line, &cap, f)) >= 0) {
		while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
			line[--len] = '\0';
		if (len == 0)
			continue;
		if (npaths == room) {
			room = room ? room * 2 : 1024;
			char **p = realloc(paths, room * sizeof(*p));
			if (!p) {
				fclose(f);
				free(line);
				return -1;
			}
			paths = p;
		}
		if (!(paths[npaths++] = strdup(line))) {
			fclose(f);
			free(line);
			return -1;
		}
	}
	free(line);
	fclose(f);
	if (npaths == 0) {
		fprintf(stderr, "http-load: %s holds no paths\n", file);
		return -1;
	}
	return 0;
}

/* http://HOST:PORT or http://[V6]:PORT into host, port and authority. */
static int parse_base(const char *url)
{
	if (strncmp(url, "http://", 7) != 0)
		return -1;
	const char *a = url + 7, *colon;
	if (snprintf(authority, sizeof(authority), "%s", a) >= (int)sizeof(authority))
		return -1;
	if (*a == '[') {
		const char *close = strchr(a, ']');
		if (!close || close[1] != ':')
			return -1;
		snprintf(host, sizeof(host), "%.*s", (int)(close - a - 1), a + 1);
		colon = close + 1;
	} else {
		colon = strrchr(a, ':');
		if (!colon)
			return -1;
		snprintf(host, sizeof(host), "%.*s", (int)(colon - a), a);
	}
	if (snprintf(port, sizeof(port), "%s", colon + 1) >= (int)sizeof(port) || strchr(port, '/'))
		return -1;
	return 0;
}

static int cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
	return (x > y) - (x < y);
}

static double pct_ms(const int64_t *v, size_t n, double p)
{
	if (n == 0)
		return 0;
	size_t i = (size_t)(p * (double)n);
	if (i >= n)
		i = n - 1;
	return (double)v[i] / 1e6;
}

/* (Re)connects c, blocking for the connect (loopback: at once). */
static int conn_open(conn_t *c)
{
	if (c->fd >= 0)
		close(c->fd);
	c->fd = socket(addr->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (c->fd < 0 || connect(c->fd, addr->ai_addr, addr->ai_addrlen) < 0) {
		perror("http-load: connect");
		return -1;
	}
	int one = 1;
	setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	fcntl(c->fd, F_SETFL, fcntl(c->fd, F_GETFL) | O_NONBLOCK);
	struct epoll_event ev = {.events = EPOLLIN, .data.ptr = c};
	if (epoll_ctl(ep, EPOLL_CTL_ADD, c->fd, &ev) < 0) {
		perror("http-load: epoll_ctl");
		return -1;
	}
	c->state = IDLE;
	c->out_armed = false;
	return 0;
}

static void want_out(conn_t *c, bool out)
{
	if (c->out_armed == out)
		return;
	c->out_armed = out;
	struct epoll_event ev = {.events = EPOLLIN | (out ? EPOLLOUT : 0), .data.ptr = c};
	epoll_ctl(ep, EPOLL_CTL_MOD, c->fd, &ev);
}

/* Sends what is left of c's request; -1 when the connection failed. */
static int conn_send(conn_t *c)
{
	while (c->req_off < c->req_len) {
		ssize_t k = send(c->fd, c->req + c->req_off, c->req_len - c->req_off, MSG_NOSIGNAL);
		if (k < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			want_out(c, true);
			return 0;
		}
		if (k <= 0)
			return -1;
		c->req_off += (size_t)k;
	}
	want_out(c, false);
	c->state = HEAD;
	c->head_len = 0;
	return 0;
}

/* start: send c's next request, its latency counted from due_ns (from now
 * when due_ns is 0). */
static int start(conn_t *c, int64_t due_ns)
{
	const char *path = paths[c->next];
	c->next = (c->next + 1) % npaths;
	int n = snprintf(c->req, sizeof(c->req), "GET %s HTTP/1.1\r\nHost: %s\r\n%s%s%s\r\n", path,
			 authority, token ? "Authorization: Bearer " : "", token ? token : "",
			 token ? "\r\n" : "");
	if (n < 0 || (size_t)n >= sizeof(c->req)) {
		fprintf(stderr, "http-load: a request line is too long: %s\n", path);
		return -1;
	}
	c->req_len = (size_t)n;
	c->req_off = 0;
	c->state = SENDING;
	c->sent_ns = due_ns ? due_ns : now_ns();
	return conn_send(c);
}

/* The head in c->head is complete up to end (past its blank line): its
 * status and Content-Length; -1 when it has no length or is not HTTP. */
static int parse_head(conn_t *c, const char *end)
{
	if (strncmp(c->head, "HTTP/1.", 7) != 0)
		return -1;
	c->status = strtol(c->head + 9, NULL, 10);
	long long len = -1;
	c->close_after = false;
	for (const char *l = strstr(c->head, "\r\n"); l && l + 2 < end; l = strstr(l + 2, "\r\n")) {
		if (strncasecmp(l + 2, "Content-Length:", 15) == 0)
			len = strtoll(l + 17, NULL, 10);
		else if (strncasecmp(l + 2, "Connection: close", 17) == 0)
			c->close_after = true;
	}
	if (len < 0)
		return -1;
	size_t extra = c->head_len - (size_t)(end - c->head);
	if (extra > (size_t)len)
		return -1;
	c->body_left = (size_t)len - extra;
	return 0;
}

/* Reads what is there for c: 1 when its answer is complete, 0 when more
 * is to come, -1 when the connection failed or the answer is not one this
 * client reads. */
static int conn_read(conn_t *c)
{
	for (;;) {
		ssize_t k;
		if (c->state == HEAD) {
			if (c->head_len >= sizeof(c->head) - 1)
				return -1;
			k = recv(c->fd, c->head + c->head_len, sizeof(c->head) - 1 - c->head_len, 0);
		} else if (c->state == BODY) {
			/* Counted, not copied: TCP's MSG_TRUNC drops the bytes in
			 * the kernel, one copy of each answer fewer on the cores
			 * the client shares with the server. */
			k = recv(c->fd, NULL, c->body_left < (1 << 20) ? c->body_left : (1 << 20),
				 MSG_TRUNC);
		} else {
			/* Nothing was asked: the server closed, or said too much. */
			k = recv(c->fd, scratch, sizeof(scratch), 0);
			if (k < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
				return 0;
			return -1;
		}
		if (k < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return 0;
		if (k <= 0)
			return -1;
		if (c->state == HEAD) {
			size_t from = c->head_len > 3 ? c->head_len - 3 : 0;
			c->head_len += (size_t)k;
			c->head[c->head_len] = '\0';
			char *end = strstr(c->head + from, "\r\n\r\n");
			if (!end)
				continue;
			if (parse_head(c, end + 4) < 0)
				return -1;
			c->state = BODY;
		} else {
			c->body_left -= (size_t)k;
		}
		if (c->state == BODY && c->body_left == 0) {
			c->state = IDLE;
			return 1;
		}
	}
}

/* Keeps one latency; false when out of memory. */
static bool record(int64_t ns)
{
	if (nlat == lat_cap) {
		size_t cap = lat_cap ? lat_cap * 2 : 1 << 20;
		int64_t *v = realloc(lat, cap * sizeof(*v));
		if (!v) {
			fprintf(stderr, "http-load: out of memory\n");
			return false;
		}
		lat = v;
		lat_cap = cap;
	}
	lat[nlat++] = ns;
	return true;
}

int main(int argc, char **argv)
{
	if (argc < 5 || argc > 8) {
		fprintf(stderr, "usage: http-load BASE_URL PATHS_FILE N D [WARMUP_S [TOKEN [RATE]]]\n");
		return 2;
	}
	long n = strtol(argv[3], NULL, 10);
	double dur = strtod(argv[4], NULL), warm = argc > 5 ? strtod(argv[5], NULL) : 1.0;
	token = argc > 6 && argv[6][0] ? argv[6] : NULL;
	double rate = argc > 7 ? strtod(argv[7], NULL) : 0;
	if (n < 1 || n > 10000 || dur <= 0 || warm < 0 || rate < 0) {
		fprintf(stderr, "http-load: N from 1 to 10000, D above 0, WARMUP_S and RATE 0 or more\n");
		return 2;
	}
	if (parse_base(argv[1]) < 0) {
		fprintf(stderr, "http-load: BASE_URL must be http://HOST:PORT, not %s\n", argv[1]);
		return 2;
	}
	struct addrinfo hints = {.ai_socktype = SOCK_STREAM};
	int gai = getaddrinfo(host, port, &hints, &addr);
	if (gai != 0) {
		fprintf(stderr, "http-load: %s: %s\n", host, gai_strerror(gai));
		return 1;
	}
	if (read_paths(argv[2]) < 0)
		return 1;
	ep = epoll_create1(EPOLL_CLOEXEC);
	int timer = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
	struct epoll_event tev = {.events = EPOLLIN, .data.ptr = NULL};
	conn_t *conns = calloc((size_t)n, sizeof(*conns));
	conn_t **idle = calloc((size_t)n, sizeof(*idle));
	size_t nidle = 0;
	if (ep < 0 || timer < 0 || epoll_ctl(ep, EPOLL_CTL_ADD, timer, &tev) < 0 || !conns ||
	    !idle) {
		fprintf(stderr, "http-load: cannot set up (out of memory or descriptors)\n");
		return 1;
	}
	for (long i = 0; i < n; i++) {
		conns[i].fd = -1;
		conns[i].next = (size_t)i * (npaths / (size_t)n + 1) % npaths;
		if (conn_open(&conns[i]) < 0)
			return 1;
	}
	int64_t t_begin = now_ns();
	int64_t t_measure = t_begin + (int64_t)(warm * 1e9);
	int64_t t_end = t_measure + (int64_t)(dur * 1e9);
	int64_t due_k = 0, last_sweep = t_begin, timer_at = -1;
	long done = 0, errors = 0, transport = 0, warm_done = 0, first_status = 0;
	for (long i = 0; i < n; i++) {
		if (rate > 0)
			idle[nidle++] = &conns[i];
		else if (start(&conns[i], 0) < 0)
			return 1;
	}
	int64_t now = t_begin;
	while (now < t_end) {
		/* Open load: each request now due goes out on an idle connection;
		 * the timer wakes the loop for the next one. */
		if (rate > 0) {
			int64_t due = 0;
			while (nidle > 0) {
				due = t_begin + (int64_t)((double)due_k * 1e9 / rate);
				if (due > now || due >= t_end)
					break;
				due_k++;
				if (start(idle[--nidle], due) < 0)
					return 1;
			}
			int64_t at = nidle > 0 && due > now && due < t_end ? due : 0;
			if (at != timer_at) {
				struct itimerspec its = {0};
				its.it_value.tv_sec = at / 1000000000;
				its.it_value.tv_nsec = at % 1000000000;
				timerfd_settime(timer, TFD_TIMER_ABSTIME, &its, NULL);
				timer_at = at;
			}
		}
		struct epoll_event evs[64];
		int wait_ms = (int)((t_end - now) / 1000000) + 1;
		int k = epoll_wait(ep, evs, 64, wait_ms < 100 ? wait_ms : 100);
		if (k < 0 && errno != EINTR) {
			perror("http-load: epoll_wait");
			return 1;
		}
		for (int e = 0; e < k; e++) {
			conn_t *c = evs[e].data.ptr;
			if (!c) {
				uint64_t ticks;
				if (read(timer, &ticks, sizeof(ticks)) < 0 && errno != EAGAIN)
					return 1;
				continue;
			}
			int r = 0;
			if (c->state == SENDING && (evs[e].events & EPOLLOUT))
				r = conn_send(c);
			if (r == 0 && (evs[e].events & (EPOLLIN | EPOLLERR | EPOLLHUP)))
				r = conn_read(c);
			if (r == 0)
				continue;
			now = now_ns();
			if (r < 0 && c->state == IDLE) {
				/* An idle connection the server closed (its idle
				 * timeout): open another, nothing was asked. */
				if (conn_open(c) < 0)
					return 1;
				if (rate == 0 && now < t_end && start(c, 0) < 0)
					return 1;
				continue;
			}
			bool bad = r < 0 || c->status < 200 || c->status > 299;
			if (c->sent_ns >= t_measure && now <= t_end) {
				done++;
				if (bad) {
					errors++;
					if (r < 0)
						transport++;
					else if (!first_status)
						first_status = c->status;
				}
				if (!record(now - c->sent_ns))
					return 1;
			} else if (c->sent_ns < t_measure) {
				warm_done++;
			}
			if ((r < 0 || c->close_after) && conn_open(c) < 0)
				return 1;
			c->state = IDLE;
			if (rate > 0)
				idle[nidle++] = c;
			else if (now < t_end && start(c, 0) < 0)
				return 1;
		}
		now = now_ns();
		/* A request unanswered for 30 s is a failed transfer. */
		if (now - last_sweep > 1000000000) {
			last_sweep = now;
			for (long i = 0; i < n; i++) {
				conn_t *c = &conns[i];
				if (c->state == IDLE || now - c->sent_ns < TIMEOUT_NS)
					continue;
				if (c->sent_ns >= t_measure) {
					done++, errors++, transport++;
					if (!record(now - c->sent_ns))
						return 1;
				}
				if (conn_open(c) < 0)
					return 1;
				if (rate > 0)
					idle[nidle++] = c;
				else if (start(c, 0) < 0)
					return 1;
			}
		}
	}
	qsort(lat, nlat, sizeof(*lat), cmp_i64);
	printf("requests %ld\n", done);
	printf("seconds %.3f\n", dur);
	printf("rps %.0f\n", (double)done / dur);
	printf("errors %ld\n", errors);
	printf("transport_errors %ld\n", transport);
	printf("first_error_status %ld\n", first_status);
	printf("warmup_requests %ld\n", warm_done);
	printf("p50_ms %.2f\n", pct_ms(lat, nlat, 0.50));
	printf("p90_ms %.2f\n", pct_ms(lat, nlat, 0.90));
	printf("p99_ms %.2f\n", pct_ms(lat, nlat, 0.99));
	printf("max_ms %.2f\n", nlat ? (double)lat[nlat - 1] / 1e6 : 0.0);
	for (long i = 0; i < n; i++)
		close(conns[i].fd);
	close(timer);
	close(ep);
	freeaddrinfo(addr);
	for (size_t i = 0; i < npaths; i++)
		free(paths[i]);
	free(paths);
	free(conns);
	free(idle);
	free(lat);
	return done > 0 ? 0 : 1;
}
