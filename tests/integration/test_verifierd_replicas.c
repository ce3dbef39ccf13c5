/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ccgpu-verifierd's nonces under faults, on both stores, daemons as real
 * processes over real HTTP:
 *  - kill -9 under load (threads taking challenges, others attesting), then
 *    a restart on the same store: every nonce the daemon acknowledged is
 *    usable exactly once, every used nonce is refused, and a request in
 *    flight at the kill succeeds at most once afterwards (SQLite, PostgreSQL);
 *  - two daemons sharing one PostgreSQL server: 1,000 concurrent uses of one
 *    nonce (libcurl multi, split over both) and exactly one succeeds; a nonce
 *    issued by one replica is used on the other.
 */
#include <stdarg.h>
#include <setjmp.h>
#include <stddef.h>
#include <cmocka.h>
#include <curl/curl.h>
#include <jansson.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common/encoding.h"
#include "pg.h"
#include "testdata.h"
#include "vdtest.h"

#define MAX_NONCES 4096
#define LOAD_THREADS 3
#define ACKED_BEFORE_KILL 300
#define USED_BEFORE_KILL 20

static const char *binary;
static struct vt_world world;
static char *config, *pg_url;

/*
 * An attest body whose evidence is well-formed but appraises as refused (no
 * valid CPU report): enough to spend the nonce, cheap to make for hundreds.
 */
static char *cheap_body(const uint8_t nonce[32])
{
	char hex[65], *b64 = ccg_base64_encode_alloc(world.tee_spki, world.tee_spki_len), *s;
	size_t n;

	ccg_hex_encode(nonce, 32, hex);
	n = strlen(b64) + 512;
	s = malloc(n);
	snprintf(s, n,
		 "{\"nonce\":\"%s\",\"evidence\":{\"ccgpu-composite\":1,\"nonce\":\"%s\",\"tee_public_key\":\"%s\","
		 "\"gpu_evidence\":\"W10=\",\"cpu\":{\"type\":\"snp\",\"report\":\"AAAA\"}}}",
		 hex, hex, b64);
	free(b64);
	return s;
}

/* one keep-alive client */
struct client {
	CURL *c;
	struct curl_slist *h;
	struct vt_sink body;
};

static void client_init(struct client *cl)
{
	memset(cl, 0, sizeof(*cl));
	cl->c = curl_easy_init();
	cl->h = curl_slist_append(NULL, "Content-Type: application/json");
	cl->h = curl_slist_append(cl->h, "Expect:");
}

static void client_free(struct client *cl)
{
	curl_slist_free_all(cl->h);
	curl_easy_cleanup(cl->c);
}

/* POST; returns the status (0: no answer) and leaves the body in cl->body */
static long client_post(struct client *cl, const char *base, const char *path, const char *body)
{
	char url[256];
	long status = 0;

	cl->body.len = 0;
	cl->body.buf[0] = '\0';
	snprintf(url, sizeof(url), "%s%s", base, path);
	curl_easy_setopt(cl->c, CURLOPT_URL, url);
	curl_easy_setopt(cl->c, CURLOPT_POSTFIELDS, body);
	curl_easy_setopt(cl->c, CURLOPT_HTTPHEADER, cl->h);
	curl_easy_setopt(cl->c, CURLOPT_WRITEFUNCTION, vt_sink_write);
	curl_easy_setopt(cl->c, CURLOPT_WRITEDATA, &cl->body);
	curl_easy_setopt(cl->c, CURLOPT_TIMEOUT, 30L);
	curl_easy_setopt(cl->c, CURLOPT_NOSIGNAL, 1L);
	if (curl_easy_perform(cl->c) == CURLE_OK)
		curl_easy_getinfo(cl->c, CURLINFO_RESPONSE_CODE, &status);
	return status;
}

/* what the load saw */
struct ledger {
	pthread_mutex_t mu;
	uint8_t acked[MAX_NONCES][32]; /* challenges answered 200 */
	size_t n_acked;
	uint8_t used[MAX_NONCES][32]; /* attests answered 200 */
	size_t n_used;
	uint8_t unsure[64][32]; /* attests sent, no answer (the kill) */
	size_t n_unsure;
	size_t next_attest; /* acked[next_attest..] not yet attested */
	_Atomic bool stop;
	const char *base;
};

static struct ledger L;

static void *challenger(void *arg)
{
	struct client cl;

	(void)arg;
	client_init(&cl);
	while (!atomic_load(&L.stop)) {
		long st = client_post(&cl, L.base, "/v1/challenge", "");
		json_t *j;
		const char *hex;
		uint8_t n[32];

		if (st != 200)
			break; /* the daemon is gone */
		j = json_loads(cl.body.buf, 0, NULL);
		hex = json_string_value(json_object_get(j, "nonce"));
		if (hex != NULL && ccg_hex_decode_fixed(hex, strlen(hex), n, 32) == CCG_OK) {
			pthread_mutex_lock(&L.mu);
			if (L.n_acked < MAX_NONCES)
				memcpy(L.acked[L.n_acked++], n, 32);
			pthread_mutex_unlock(&L.mu);
		}
		json_decref(j);
	}
	client_free(&cl);
	return NULL;
}

static void *attester(void *arg)
{
	struct client cl;

	(void)arg;
	client_init(&cl);
	while (!atomic_load(&L.stop)) {
		uint8_t n[32];
		bool have = false;
		char *body;
		long st;

		pthread_mutex_lock(&L.mu);
		if (L.next_attest < L.n_acked && L.n_unsure < 64) {
			memcpy(n, L.acked[L.next_attest++], 32);
			have = true;
			/* unsure until the answer comes */
			memcpy(L.unsure[L.n_unsure++], n, 32);
		}
		pthread_mutex_unlock(&L.mu);
		if (!have) {
			struct timespec nap = {0, 1000 * 1000};

			nanosleep(&nap, NULL);
			continue;
		}
		body = cheap_body(n);
		st = client_post(&cl, L.base, "/v1/attest", body);
		free(body);
		pthread_mutex_lock(&L.mu);
		if (st != 0) {
			L.n_unsure--; /* answered: it was the last one added by this thread (one at a time) */
			if (st == 200)
				memcpy(L.used[L.n_used++], n, 32);
		}
		pthread_mutex_unlock(&L.mu);
		if (st == 0)
			break;
	}
	client_free(&cl);
	return NULL;
}

static bool in(uint8_t (*set)[32], size_t n, const uint8_t *x)
{
	for (size_t i = 0; i < n; i++)
		if (memcmp(set[i], x, 32) == 0)
			return true;
	return false;
}

static void kill9_under_load(const char *store, const char *label)
{
	struct vt_daemon d;
	pthread_t th[LOAD_THREADS + 1];
	char state[600];
	struct client cl;
	struct timespec nap = {0, 2 * 1000 * 1000};
	size_t checked = 0;

	memset(&L, 0, sizeof(L));
	pthread_mutex_init(&L.mu, NULL);
	snprintf(state, sizeof(state), "%s/state-%s", world.dir, label);
	vt_daemon_start(&d, binary, config, state, store);
	L.base = d.base;
	/* nonces used before the load: challenge and attest, answered 200 */
	client_init(&cl);
	for (int i = 0; i < USED_BEFORE_KILL; i++) {
		uint8_t n[32];
		char *body;

		vt_challenge(d.base, n);
		memcpy(L.acked[L.n_acked++], n, 32);
		body = cheap_body(n);
		assert_int_equal(client_post(&cl, d.base, "/v1/attest", body), 200);
		memcpy(L.used[L.n_used++], n, 32);
		free(body);
	}
	client_free(&cl);
	L.next_attest = L.n_acked;
	/* the load: challenges on several threads, attests of what they get on another */
	for (int i = 0; i < LOAD_THREADS; i++)
		assert_int_equal(pthread_create(&th[i], NULL, challenger, NULL), 0);
	assert_int_equal(pthread_create(&th[LOAD_THREADS], NULL, attester, NULL), 0);
	/* bounded wait for enough traffic: 60 s at most */
	for (int i = 0; i < 30000; i++) {
		bool enough;

		pthread_mutex_lock(&L.mu);
		enough = L.n_acked >= ACKED_BEFORE_KILL;
		pthread_mutex_unlock(&L.mu);
		if (enough)
			break;
		nanosleep(&nap, NULL);
	}
	/* kill -9 while the load runs */
	vt_daemon_stop(&d, SIGKILL);
	atomic_store(&L.stop, true);
	for (int i = 0; i <= LOAD_THREADS; i++)
		pthread_join(th[i], NULL);
	assert_true(L.n_acked >= ACKED_BEFORE_KILL);
	assert_true(L.n_used >= USED_BEFORE_KILL);

	/* restart on the same store */
	vt_daemon_start(&d, binary, config, state, store);
	client_init(&cl);
	for (size_t i = 0; i < L.n_acked; i++) {
		const uint8_t *n = L.acked[i];
		char *body = cheap_body(n);
		long first = client_post(&cl, d.base, "/v1/attest", body), again;

		if (in(L.used, L.n_used, n)) {
			/* used before the kill: still refused */
			if (first != 403 || strstr(cl.body.buf, "nonce-unknown") == NULL)
				fail_msg("%s: a used nonce answered %ld: %s", label, first, cl.body.buf);
		} else if (in(L.unsure, L.n_unsure, n)) {
			/* in flight at the kill: at most one success from now on */
			again = client_post(&cl, d.base, "/v1/attest", body);
			assert_false(first == 200 && again == 200);
			assert_int_equal(again, 403);
		} else {
			/* acknowledged, never used: usable exactly once */
			if (first != 200)
				fail_msg("%s: an acknowledged nonce answered %ld: %s", label, first, cl.body.buf);
			assert_non_null(strstr(cl.body.buf, "\"contraindicated\""));
			again = client_post(&cl, d.base, "/v1/attest", body);
			if (again != 403)
				fail_msg("%s: a nonce used twice: %ld %s", label, again, cl.body.buf);
			checked++;
		}
		free(body);
	}
	client_free(&cl);
	printf("# %s: %zu acknowledged, %zu used before kill -9, %zu in flight, %zu used exactly once after\n", label,
	       L.n_acked, L.n_used, L.n_unsure, checked);
	assert_true(checked > 0);
	assert_int_equal(vt_daemon_stop(&d, SIGTERM), 0);
	pthread_mutex_destroy(&L.mu);
}

static void test_kill9_sqlite(void **state)
{
	char url[700];

	(void)state;
	snprintf(url, sizeof(url), "sqlite://%s/kill9.db", world.dir);
	kill9_under_load(url, "sqlite");
}

static void test_kill9_postgresql(void **state)
{
	(void)state;
	kill9_under_load(pg_url, "postgresql");
}

#define RACE 1000

/* 1,000 concurrent uses of one nonce over two replicas on one PostgreSQL: exactly one 200 */
static void test_one_nonce_two_replicas(void **state)
{
	struct vt_daemon a, b;
	char sa[600], sb[600], url[2][256];
	uint8_t nonce[32];
	char *body;
	CURLM *m = curl_multi_init();
	CURL **e = calloc(RACE, sizeof(*e));
	struct vt_sink *resp = calloc(RACE, sizeof(*resp));
	struct curl_slist *h = curl_slist_append(NULL, "Content-Type: application/json");
	int running = 0, ok = 0, refused = 0, other = 0;
	CURLMsg *msg;
	int left;

	(void)state;
	h = curl_slist_append(h, "Expect:");
	snprintf(sa, sizeof(sa), "%s/state-a", world.dir);
	snprintf(sb, sizeof(sb), "%s/state-b", world.dir);
	vt_daemon_start(&a, binary, config, sa, pg_url);
	vt_daemon_start(&b, binary, config, sb, pg_url);
	snprintf(url[0], sizeof(url[0]), "%s/v1/attest", a.base);
	snprintf(url[1], sizeof(url[1]), "%s/v1/attest", b.base);
	/* a nonce from replica A, its evidence made for real (one use will be appraised) */
	vt_challenge(a.base, nonce);
	body = vt_compose(&world, nonce, NULL);
	curl_multi_setopt(m, CURLMOPT_MAX_TOTAL_CONNECTIONS, 0L);
	for (int i = 0; i < RACE; i++) {
		e[i] = curl_easy_init();
		curl_easy_setopt(e[i], CURLOPT_URL, url[i % 2]);
		curl_easy_setopt(e[i], CURLOPT_POSTFIELDS, body);
		curl_easy_setopt(e[i], CURLOPT_HTTPHEADER, h);
		curl_easy_setopt(e[i], CURLOPT_WRITEFUNCTION, vt_sink_write);
		curl_easy_setopt(e[i], CURLOPT_WRITEDATA, &resp[i]);
		curl_easy_setopt(e[i], CURLOPT_TIMEOUT, 120L);
		curl_easy_setopt(e[i], CURLOPT_FORBID_REUSE, 1L);
		curl_easy_setopt(e[i], CURLOPT_PRIVATE, (char *)&resp[i]);
		curl_multi_add_handle(m, e[i]);
	}
	do {
		assert_int_equal(curl_multi_perform(m, &running), CURLM_OK);
		if (running > 0)
			assert_int_equal(curl_multi_poll(m, NULL, 0, 1000, NULL), CURLM_OK);
	} while (running > 0);
	while ((msg = curl_multi_info_read(m, &left)) != NULL) {
		long st = 0;
		struct vt_sink *r = NULL;

		if (msg->msg != CURLMSG_DONE)
			continue;
		curl_easy_getinfo(msg->easy_handle, CURLINFO_RESPONSE_CODE, &st);
		curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&r);
		if (msg->data.result == CURLE_OK && st == 200)
			ok++;
		else if (msg->data.result == CURLE_OK && st == 403 && strstr(r->buf, "nonce-unknown") != NULL)
			refused++;
		else if (other++ < 5)
			printf("# other answer: curl %d (%s), HTTP %ld: %.200s\n", (int)msg->data.result,
			       curl_easy_strerror(msg->data.result), st, r->buf);
	}
	printf("# 1000 concurrent uses over two replicas: %d succeeded, %d refused nonce-unknown, %d other\n", ok,
	       refused, other);
	assert_int_equal(ok, 1);
	assert_int_equal(refused, RACE - 1);
	assert_int_equal(other, 0);
	for (int i = 0; i < RACE; i++) {
		curl_multi_remove_handle(m, e[i]);
		curl_easy_cleanup(e[i]);
	}
	curl_multi_cleanup(m);
	curl_slist_free_all(h);
	free(e);
	free(resp);
	free(body);
	/* a nonce from B used on A, then refused on B */
	vt_challenge(b.base, nonce);
	body = cheap_body(nonce);
	{
		struct vt_resp r;

		vt_http(a.base, "POST", "/v1/attest", "application/json", body, strlen(body), &r);
		assert_int_equal(r.status, 200);
		vt_resp_free(&r);
		vt_http(b.base, "POST", "/v1/attest", "application/json", body, strlen(body), &r);
		assert_int_equal(r.status, 403);
		vt_resp_free(&r);
	}
	free(body);
	assert_int_equal(vt_daemon_stop(&a, SIGTERM), 0);
	assert_int_equal(vt_daemon_stop(&b, SIGTERM), 0);
}

static int setup(void **state)
{
	(void)state;
	vt_world_init(&world, 2);
	config = vt_config_write(&world, "verifierd.conf", "threads = 2\nstore_connections = 4\n");
	pg_url = tp_pg_start();
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	tp_pg_stop();
	free(pg_url);
	free(config);
	vt_world_free(&world);
	return 0;
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_kill9_sqlite),
		cmocka_unit_test(test_kill9_postgresql),
		cmocka_unit_test(test_one_nonce_two_replicas),
	};

	if (argc != 2) {
		fprintf(stderr, "usage: test-verifierd-replicas CCGPU-VERIFIERD\n");
		return 2;
	}
	binary = argv[1];
	curl_global_init(CURL_GLOBAL_DEFAULT);
	return cmocka_run_group_tests(tests, setup, teardown);
}
