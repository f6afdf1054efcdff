/*
 * bench/ref/ref-driver.c: the reference for bench/engine-throughput. Runs
 * N containers of `true` straight through the Engine API over a unix
 * socket, C at a time, doing only what a job needs: create, start, wait,
 * logs, remove. C threads, each with one libcurl handle that keeps its
 * connection, take containers from a shared counter; nothing else (no
 * process per request, no JSON library: the id is cut out of the answer).
 *
 *   ref-driver SOCKET IMAGE N C
 *
 * Prints the wall time of the whole run in ms on standard output; exits 1
 * (with a message) if any request fails. Built by bench/lib/common.sh.
 */
#include <curl/curl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const char *sock, *image;
static long total;
static atomic_long next_job;
static atomic_int failed;

typedef struct {
	char buf[4096];
	size_t len;
} answer_t;

static size_t on_write(char *p, size_t size, size_t n, void *ud)
{
	answer_t *a = ud;
	size_t k = size * n, room = sizeof(a->buf) - 1 - a->len;
	memcpy(a->buf + a->len, p, k < room ? k : room); /* the start is all we read */
	a->len += k < room ? k : room;
	a->buf[a->len] = '\0';
	return k;
}

/* One request; returns the HTTP status, or -1 when the transfer failed. */
static long call(CURL *h, const char *method, const char *path, const char *body, answer_t *a)
{
	char url[512];
	snprintf(url, sizeof(url), "http://d/v1.41%s", path);
	a->len = 0;
	a->buf[0] = '\0';
	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, a);
	if (strcmp(method, "GET") == 0) {
		curl_easy_setopt(h, CURLOPT_HTTPGET, 1L);
		curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, NULL);
	} else {
		curl_easy_setopt(h, CURLOPT_POSTFIELDS, body ? body : "");
		curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE, (long)(body ? strlen(body) : 0));
		curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, method);
	}
	if (curl_easy_perform(h) != CURLE_OK)
		return -1;
	long code = 0;
	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &code);
	return code;
}

static int one(CURL *h, const char *create_body)
{
	answer_t a;
	char id[65], path[256];
	if (call(h, "POST", "/containers/create", create_body, &a) != 201)
		goto fail;
	const char *p = strstr(a.buf, "\"Id\":\"");
	if (!p || sscanf(p + 6, "%64[0-9a-f]", id) != 1)
		goto fail;
	snprintf(path, sizeof(path), "/containers/%s/start", id);
	if (call(h, "POST", path, NULL, &a) != 204)
		goto fail;
	snprintf(path, sizeof(path), "/containers/%s/wait", id);
	if (call(h, "POST", path, NULL, &a) != 200)
		goto fail;
	snprintf(path, sizeof(path), "/containers/%s/logs?stdout=1&stderr=1", id);
	if (call(h, "GET", path, NULL, &a) != 200)
		goto fail;
	snprintf(path, sizeof(path), "/containers/%s?force=1&v=1", id);
	if (call(h, "DELETE", path, NULL, &a) != 204)
		goto fail;
	return 0;
fail:
	fprintf(stderr, "ref-driver: request failed: %.300s\n", a.buf);
	return -1;
}

static void *worker(void *unused)
{
	(void)unused;
	char body[512];
	snprintf(body, sizeof(body),
		 "{\"Image\":\"%s\",\"Cmd\":[\"true\"],\"HostConfig\":{\"NetworkMode\":\"none\"}}",
		 image);
	CURL *h = curl_easy_init();
	struct curl_slist *hdr = curl_slist_append(NULL, "Content-Type: application/json");
	hdr = curl_slist_append(hdr, "Expect:");
	if (!h || !hdr) {
		atomic_store(&failed, 1);
		return NULL;
	}
	curl_easy_setopt(h, CURLOPT_UNIX_SOCKET_PATH, sock);
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdr);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_write);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	while (!atomic_load(&failed) && atomic_fetch_add(&next_job, 1) < total) {
		if (one(h, body) < 0)
			atomic_store(&failed, 1);
	}
	curl_slist_free_all(hdr);
	curl_easy_cleanup(h);
	return NULL;
}

int main(int argc, char **argv)
{
	if (argc != 5) {
		fprintf(stderr, "usage: ref-driver SOCKET IMAGE N C\n");
		return 2;
	}
	sock = argv[1];
	image = argv[2];
	total = atol(argv[3]);
	int c = atoi(argv[4]);
	if (total < 1 || c < 1 || c > 256 || strlen(image) > 200) {
		fprintf(stderr, "ref-driver: N >= 1, 1 <= C <= 256, a short image name\n");
		return 2;
	}
	curl_global_init(CURL_GLOBAL_DEFAULT);
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	pthread_t th[256];
	for (int i = 0; i < c; i++)
		if (pthread_create(&th[i], NULL, worker, NULL) != 0)
			return 1;
	for (int i = 0; i < c; i++)
		pthread_join(th[i], NULL);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	curl_global_cleanup();
	if (atomic_load(&failed))
		return 1;
	printf("%lld\n", (long long)(t1.tv_sec - t0.tv_sec) * 1000 +
				 (t1.tv_nsec - t0.tv_nsec) / 1000000);
	return 0;
}
