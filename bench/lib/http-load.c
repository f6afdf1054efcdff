/*
 * bench/lib/http-load.c: a small HTTP load generator for bench/api. N
 * connections at once, each one libcurl easy handle that keeps its
 * connection alive, all driven by one libcurl multi handle in one thread;
 * each connection sends its next request as soon as the last one is
 * answered, taking the request paths in turn from a file (one a line,
 * e.g. "/api/v1/jobs/17"), each connection starting at its own place in
 * the list. A warm-up (its requests not counted) comes first, then D
 * seconds measured; every latency measured is kept and sorted at the end.
 *
 *   http-load BASE_URL PATHS_FILE N D [WARMUP_S [TOKEN [RATE]]]
 *
 * Without RATE (or with 0) the load is closed: each connection sends again
 * as soon as it is answered, so the server's own pace sets the rate, and
 * the latencies are those of saturation, where by Little's law N
 * connections wait N / rate on average whatever the server does. With RATE
 * the load is open, as a service's clients are: request k is due k / RATE
 * seconds after the start, goes out on the first idle connection at or
 * after that time, and its latency counts from when it was due, not from
 * when it went out, so that a server falling behind shows in the figures
 * (the correction for "coordinated omission" that wrk2 makes). A request
 * goes out at most a millisecond after it is due (the poll's resolution):
 * a little burstier than an even rate.
 *
 * BASE_URL is e.g. http://127.0.0.1:8080; TOKEN goes in an
 * "Authorization: Bearer TOKEN" header. Prints, one "name value" a line:
 * requests, seconds, rps, errors (answers not 2xx, and failed transfers),
 * then p50_ms, p90_ms, p99_ms and max_ms over the measured requests
 * (errors included). Exits 1 when nothing could be measured. Built by
 * bench/lib/common.sh.
 */
#include <curl/curl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

typedef struct {
	CURL *h;
	size_t next;      /* the next path to send, an index into paths */
	int64_t sent_ns;  /* when its request was due (RATE) or went out */
	char url[2048];
} conn_t;

static char **paths;
static size_t npaths;

static int64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* The answers are read and thrown away. */
static size_t discard(char *p, size_t size, size_t n, void *ud)
{
	(void)p;
	(void)ud;
	return size * n;
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

static const char *base;

/* start: send c's next request, its latency counted from due_ns (from now
 * when due_ns is 0). */
static int start(CURLM *m, conn_t *c, int64_t due_ns)
{
	snprintf(c->url, sizeof(c->url), "%s%s", base, paths[c->next]);
	c->next = (c->next + 1) % npaths;
	curl_easy_setopt(c->h, CURLOPT_URL, c->url);
	c->sent_ns = due_ns ? due_ns : now_ns();
	return curl_multi_add_handle(m, c->h) == CURLM_OK ? 0 : -1;
}

int main(int argc, char **argv)
{
	if (argc < 5 || argc > 8) {
		fprintf(stderr, "usage: http-load BASE_URL PATHS_FILE N D [WARMUP_S [TOKEN [RATE]]]\n");
		return 2;
	}
	base = argv[1];
	long n = strtol(argv[3], NULL, 10);
	double dur = strtod(argv[4], NULL), warm = argc > 5 ? strtod(argv[5], NULL) : 1.0;
	const char *token = argc > 6 && argv[6][0] ? argv[6] : NULL;
	double rate = argc > 7 ? strtod(argv[7], NULL) : 0;
	if (n < 1 || n > 10000 || dur <= 0 || warm < 0 || rate < 0) {
		fprintf(stderr, "http-load: N from 1 to 10000, D above 0, WARMUP_S and RATE 0 or more\n");
		return 2;
	}
	if (read_paths(argv[2]) < 0)
		return 1;
	curl_global_init(CURL_GLOBAL_DEFAULT);
	struct curl_slist *hdrs = NULL;
	char auth[1024];
	if (token) {
		snprintf(auth, sizeof(auth), "Authorization: Bearer %s", token);
		hdrs = curl_slist_append(hdrs, auth);
	}
	CURLM *m = curl_multi_init();
	/* One connection per easy handle: no sharing, no pipelining. */
	curl_multi_setopt(m, CURLMOPT_PIPELINING, (long)CURLPIPE_NOTHING);
	curl_multi_setopt(m, CURLMOPT_MAX_TOTAL_CONNECTIONS, n);
	conn_t *conns = calloc((size_t)n, sizeof(*conns));
	size_t cap = 1 << 20, nlat = 0;
	int64_t *lat = malloc(cap * sizeof(*lat));
	if (!m || !conns || !lat) {
		fprintf(stderr, "http-load: out of memory\n");
		return 1;
	}
	/* With RATE: the connections without a request, and the next one due. */
	conn_t **idle = calloc((size_t)n, sizeof(*idle));
	size_t nidle = 0;
	int64_t due_k = 0;
	if (!idle) {
		fprintf(stderr, "http-load: out of memory\n");
		return 1;
	}
	int64_t t_begin = now_ns();
	for (long i = 0; i < n; i++) {
		conn_t *c = &conns[i];
		c->h = curl_easy_init();
		c->next = (size_t)i * (npaths / (size_t)n + 1) % npaths;
		curl_easy_setopt(c->h, CURLOPT_PRIVATE, c);
		curl_easy_setopt(c->h, CURLOPT_WRITEFUNCTION, discard);
		curl_easy_setopt(c->h, CURLOPT_NOSIGNAL, 1L);
		curl_easy_setopt(c->h, CURLOPT_TCP_NODELAY, 1L);
		curl_easy_setopt(c->h, CURLOPT_MAXCONNECTS, 1L);
		curl_easy_setopt(c->h, CURLOPT_TIMEOUT, 30L);
		if (hdrs)
			curl_easy_setopt(c->h, CURLOPT_HTTPHEADER, hdrs);
		if (rate > 0) {
			idle[nidle++] = c;
		} else if (start(m, c, 0) < 0) {
			fprintf(stderr, "http-load: cannot add a transfer\n");
			return 1;
		}
	}
	int64_t t_measure = t_begin + (int64_t)(warm * 1e9);
	int64_t t_end = t_measure + (int64_t)(dur * 1e9);
	long done = 0, errors = 0, transport = 0, warm_done = 0;
	long first_status = 0;
	int running = 1;
	int64_t now = t_begin;
	while (now < t_end) {
		/* Open load: each request now due goes out on an idle connection. */
		while (rate > 0 && nidle > 0) {
			int64_t due = t_begin + (int64_t)((double)due_k * 1e9 / rate);
			if (due > now || due >= t_end)
				break;
			due_k++;
			if (start(m, idle[--nidle], due) < 0) {
				fprintf(stderr, "http-load: cannot add a transfer\n");
				return 1;
			}
		}
		curl_multi_perform(m, &running);
		CURLMsg *msg;
		int left;
		while ((msg = curl_multi_info_read(m, &left))) {
			if (msg->msg != CURLMSG_DONE)
				continue;
			CURL *h = msg->easy_handle;
			CURLcode res = msg->data.result;
			conn_t *c = NULL;
			curl_easy_getinfo(h, CURLINFO_PRIVATE, (char **)&c);
			curl_multi_remove_handle(m, h);
			now = now_ns();
			long code = 0;
			curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &code);
			bool bad = res != CURLE_OK || code < 200 || code > 299;
			if (c->sent_ns >= t_measure && now <= t_end) {
				done++;
				if (bad) {
					errors++;
					if (res != CURLE_OK)
						transport++;
					else if (!first_status)
						first_status = code;
				}
				if (nlat == cap) {
					int64_t *v = realloc(lat, cap * 2 * sizeof(*v));
					if (!v) {
						fprintf(stderr, "http-load: out of memory\n");
						return 1;
					}
					lat = v;
					cap *= 2;
				}
				lat[nlat++] = now - c->sent_ns;
			} else if (c->sent_ns < t_measure) {
				warm_done++;
			}
			if (rate > 0) {
				idle[nidle++] = c;
			} else if (now < t_end && start(m, c, 0) < 0) {
				fprintf(stderr, "http-load: cannot add a transfer\n");
				return 1;
			}
		}
		now = now_ns();
		if (now >= t_end)
			break;
		/* Until the next request is due, when a connection is free for it. */
		int wait_ms = 100;
		if (rate > 0 && nidle > 0) {
			int64_t due = t_begin + (int64_t)((double)due_k * 1e9 / rate);
			wait_ms = due <= now ? 0 : (int)((due - now + 999999) / 1000000);
			if (wait_ms > 100)
				wait_ms = 100;
		}
		curl_multi_poll(m, NULL, 0, wait_ms, NULL);
		now = now_ns();
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
	for (long i = 0; i < n; i++) {
		curl_multi_remove_handle(m, conns[i].h);
		curl_easy_cleanup(conns[i].h);
	}
	curl_multi_cleanup(m);
	curl_slist_free_all(hdrs);
	curl_global_cleanup();
	for (size_t i = 0; i < npaths; i++)
		free(paths[i]);
	free(paths);
	free(conns);
	free(idle);
	free(lat);
	return done > 0 ? 0 : 1;
}
