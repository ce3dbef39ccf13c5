/* SPDX-License-Identifier: Apache-2.0 */
/*
 * 10,000 hostile requests at ccgpu-verifierd (a real process, real sockets):
 * random bytes on raw connections, truncated and deeply nested JSON, invalid
 * base64, random bodies, huge headers, replayed nonces, wrong routes,
 * methods and types, while 50 slow clients hold half-sent requests open.
 * Every answer is the expected refusal (problem+json where the daemon
 * answers), then a good attestation still succeeds and the daemon's RSS is
 * within 10% of what it was before. The random bytes come from a fixed seed.
 */
#include <stdarg.h>
#include <setjmp.h>
#include <stddef.h>
#include <cmocka.h>
#include <arpa/inet.h>
#include <curl/curl.h>
#include <jansson.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "testdata.h"
#include "vdtest.h"

#define HOSTILE 10000
#define SLOW 50
#define WARMUP 20

static const char *binary;
static struct vt_world world;
static struct vt_daemon daemon_;
static char *config;
static uint64_t rng = 0x9E3779B97F4A7C15ull;

static uint32_t rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (uint32_t)(rng >> 11);
}

static int dial(void)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)daemon_.port)};
	struct timeval tv = {10, 0};

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_true(fd >= 0);
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	assert_int_equal(connect(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	return fd;
}

/* raw bytes on a fresh connection; returns the status code answered (0: closed without one) */
static int raw(const uint8_t *b, size_t n)
{
	int fd = dial(), code = 0;
	char ans[4096];
	ssize_t got, total = 0;

	if (send(fd, b, n, MSG_NOSIGNAL) < 0)
		(void)0;
	shutdown(fd, SHUT_WR);
	while (total < (ssize_t)sizeof(ans) - 1 &&
	       (got = recv(fd, ans + total, sizeof(ans) - 1 - (size_t)total, 0)) > 0)
		total += got;
	ans[total > 0 ? total : 0] = '\0';
	if (total > 12 && strncmp(ans, "HTTP/1.", 7) == 0)
		code = atoi(ans + 9);
	close(fd);
	return code;
}

/* one keep-alive client for the HTTP-level hostile requests */
static CURL *cl;
static char last_type[128];

static size_t sink(char *p, size_t size, size_t n, void *ud)
{
	(void)p;
	(void)ud;
	return size * n;
}

static long post(const char *path, const char *method, const char *ctype, const char *body, size_t len,
		 const char *extra_header)
{
	char url[256], hdr[128];
	struct curl_slist *h = curl_slist_append(NULL, "Expect:");
	long st = 0;
	char *ct = NULL;

	snprintf(url, sizeof(url), "%s%s", daemon_.base, path);
	if (ctype != NULL) {
		snprintf(hdr, sizeof(hdr), "Content-Type: %s", ctype);
		h = curl_slist_append(h, hdr);
	}
	if (extra_header != NULL)
		h = curl_slist_append(h, extra_header);
	curl_easy_reset(cl);
	curl_easy_setopt(cl, CURLOPT_URL, url);
	curl_easy_setopt(cl, CURLOPT_CUSTOMREQUEST, method);
	curl_easy_setopt(cl, CURLOPT_POSTFIELDS, body != NULL ? body : "");
	curl_easy_setopt(cl, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)(body != NULL ? len : 0));
	curl_easy_setopt(cl, CURLOPT_HTTPHEADER, h);
	curl_easy_setopt(cl, CURLOPT_WRITEFUNCTION, sink);
	curl_easy_setopt(cl, CURLOPT_TIMEOUT, 30L);
	curl_easy_setopt(cl, CURLOPT_NOSIGNAL, 1L);
	last_type[0] = '\0';
	if (curl_easy_perform(cl) == CURLE_OK) {
		curl_easy_getinfo(cl, CURLINFO_RESPONSE_CODE, &st);
		if (curl_easy_getinfo(cl, CURLINFO_CONTENT_TYPE, &ct) == CURLE_OK && ct != NULL)
			snprintf(last_type, sizeof(last_type), "%s", ct);
	}
	curl_slist_free_all(h);
	return st;
}

static void expect(long got, long want, int i, const char *what)
{
	if (got != want)
		fail_msg("hostile request %d (%s): %ld, want %ld", i, what, got, want);
	if (strcmp(last_type, "application/problem+json") != 0)
		fail_msg("hostile request %d (%s): Content-Type %s", i, what, last_type);
}

static char *good_attest_status(void)
{
	uint8_t nonce[32];
	char *body, *status;
	struct vt_resp r;
	json_t *j;

	vt_challenge(daemon_.base, nonce);
	body = vt_compose(&world, nonce, NULL);
	vt_http(daemon_.base, "POST", "/v1/attest", "application/json", body, strlen(body), &r);
	if (r.status != 200)
		fail_msg("good attestation: %ld %s", r.status, r.body);
	j = json_loads(r.body, 0, NULL);
	status = strdup(json_string_value(json_object_get(j, "status")));
	json_decref(j);
	vt_resp_free(&r);
	free(body);
	return status;
}

static void test_hostile(void **state)
{
	uint8_t nonce[32], buf[4096];
	char *used, *deep, *huge, *s;
	int slow[SLOW];
	long rss_before, rss_after;
	size_t used_len, n;
	json_t *j;

	(void)state;
	cl = curl_easy_init();
	/* warm up: allocator arenas, connection pools, caches */
	for (int i = 0; i < WARMUP; i++) {
		s = good_attest_status();
		assert_string_equal(s, "affirming");
		free(s);
	}
	/* a body whose nonce is spent: the replays */
	vt_challenge(daemon_.base, nonce);
	used = vt_compose(&world, nonce, NULL);
	used_len = strlen(used);
	assert_int_equal(post("/v1/attest", "POST", "application/json", used, used_len, NULL), 200);
	rss_before = vt_rss_kb(daemon_.pid);
	assert_true(rss_before > 0);

	/* slow clients: half-sent requests left open for the whole run */
	for (int i = 0; i < SLOW; i++) {
		static const char part[] =
			"POST /v1/attest HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
			"Content-Length: 100000\r\n\r\n{\"nonce\":";

		slow[i] = dial();
		assert_true(send(slow[i], part, sizeof(part) - 1, MSG_NOSIGNAL) > 0);
	}
	deep = malloc(20001);
	memset(deep, '{', 10000);
	memset(deep + 10000, '}', 10000);
	deep[20000] = '\0';
	huge = malloc(70000);
	memcpy(huge, "X-Huge: ", 8);
	memset(huge + 8, 'a', 69990);
	huge[69999] = '\0';
	j = json_loads(used, 0, NULL);
	json_object_set_new(json_object_get(j, "evidence"), "tee_public_key", json_string("%%%not base64%%%"));
	s = json_dumps(j, JSON_COMPACT);
	json_decref(j);

	for (int i = 0; i < HOSTILE; i++) {
		switch (i % 9) {
		case 0: /* random bytes on a raw connection: whatever the daemon says, it is not a 2xx */
			/* ending in an empty line, so the daemon has a whole header block to refuse at once */
			n = 5 + rnd() % (sizeof(buf) - 4);
			for (size_t k = 0; k < n - 4; k++)
				buf[k] = (uint8_t)rnd();
			memcpy(buf + n - 4, "\r\n\r\n", 4);
			{
				int code = raw(buf, n);

				if (code >= 200 && code < 300)
					fail_msg("random bytes answered %d", code);
			}
			break;
		case 1: /* the good body truncated */
			n = rnd() % used_len;
			expect(post("/v1/attest", "POST", "application/json", used, n, NULL), 400, i, "truncated");
			break;
		case 2:
			expect(post("/v1/attest", "POST", "application/json", deep, 20000, NULL), 400, i, "deep");
			break;
		case 3:
			expect(post("/v1/attest", "POST", "application/json", s, strlen(s), NULL), 400, i, "base64");
			break;
		case 4: /* a header over max_header: libmicrohttpd answers 431 itself (not problem+json) or closes */
		{
			long st = post("/healthz", "GET", NULL, NULL, 0, huge);

			if (st != 431 && st != 0 && st != 400)
				fail_msg("huge header answered %ld", st);
			break;
		}
		case 5:
			expect(post("/v1/attest", "POST", "application/json", used, used_len, NULL), 403, i, "replay");
			break;
		case 6: /* random bytes as a JSON body */
			n = 1 + rnd() % 2048;
			for (size_t k = 0; k < n; k++)
				buf[k] = (uint8_t)rnd();
			expect(post("/v1/attest", "POST", "application/json", (const char *)buf, n, NULL), 400, i,
			       "random body");
			break;
		case 7:
			expect(post("/v1/attest", "POST", "application/xml", used, used_len, NULL), 415, i, "type");
			break;
		case 8:
			expect(post(i % 2 ? "/v2/attest" : "/v1/attest", i % 2 ? "POST" : "PUT", "application/json",
				    "{}", 2, NULL),
			       i % 2 ? 404 : 405, i, "route");
			break;
		}
	}
	/* the slow clients never got the daemon stuck: close them */
	for (int i = 0; i < SLOW; i++)
		close(slow[i]);
	/* a good attestation still succeeds */
	free(s);
	s = good_attest_status();
	assert_string_equal(s, "affirming");
	free(s);
	rss_after = vt_rss_kb(daemon_.pid);
	printf("# RSS before %ld KiB, after %d hostile requests %ld KiB\n", rss_before, HOSTILE, rss_after);
	assert_true(rss_after * 10 <= rss_before * 11);
	free(deep);
	free(huge);
	free(used);
	curl_easy_cleanup(cl);
}

static int setup(void **state)
{
	char st[600];

	(void)state;
	vt_world_init(&world, 2);
	config = vt_config_write(&world, "verifierd.conf", "max_body = 1048576\nmax_header = 16384\n");
#if defined(__SANITIZE_ADDRESS__)
	/* ASan's quarantine keeps freed memory resident by design: without it the daemon's RSS means what it says */
	setenv("ASAN_OPTIONS", "detect_leaks=1:abort_on_error=1:quarantine_size_mb=0:thread_local_quarantine_size_kb=0",
	       1);
#endif
	snprintf(st, sizeof(st), "%s/state", world.dir);
	vt_daemon_start(&daemon_, binary, config, st, NULL);
	return 0;
}

static int teardown(void **state)
{
	int status;

	(void)state;
	status = vt_daemon_stop(&daemon_, SIGTERM);
	free(config);
	vt_world_free(&world);
	return status == 0 ? 0 : -1;
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {cmocka_unit_test(test_hostile)};

	if (argc != 2) {
		fprintf(stderr, "usage: test-verifierd-hostile CCGPU-VERIFIERD\n");
		return 2;
	}
	binary = argv[1];
	signal(SIGPIPE, SIG_IGN);
	curl_global_init(CURL_GLOBAL_DEFAULT);
	return cmocka_run_group_tests(tests, setup, teardown);
}
