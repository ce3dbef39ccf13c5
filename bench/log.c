/* SPDX-License-Identifier: Apache-2.0 */
/*
 * bench/log: release-log appends per second, each in its own durable
 * transaction (ccg_log_append + commit, SQLite synchronous=FULL), beside bare
 * durable inserts of a record of the same size into the same store (one
 * ccg_store_put + commit each), in the same run, and their ratio; then the
 * cost of a signed tree head and of inclusion and consistency proofs at the
 * final size. Never a test: timings vary by machine.
 *
 *   log [--n N] [--url STORE-URL]   (default: N 2000, a fresh SQLite file under /tmp)
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "token/ear.h"
#include "verifier/log.h"

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void die(const char *what, const struct ccg_error *err)
{
	fprintf(stderr, "log bench: %s: %s: %s\n", what, err->where, err->detail);
	exit(1);
}

/* a release entry of a realistic size (~200 bytes) */
static size_t entry_of(char *buf, size_t len, unsigned i)
{
	return (size_t)snprintf(
		buf, len,
		"{\"at\":%u,\"contract\":\"c-0001\",\"event\":\"release\",\"party\":\"model-owner\","
		"\"secret\":\"model-key\",\"tee_key\":\"sha384:%08x%08x%08x%08x%08x%08x\",\"version\":3}",
		1795305600u + i, i, i * 7u, i * 13u, i * 17u, i * 19u, i * 23u);
}

int main(int argc, char **argv)
{
	char url[512], dir[] = "/tmp/ccgpu-bench-log-XXXXXX", e[512], key[32], path[600];
	unsigned n = 2000;
	struct ccg_store *s = NULL;
	struct ccg_store_txn *t = NULL;
	struct ccg_ear_key *k = NULL;
	struct ccg_error err;
	uint8_t proof[CCG_MERKLE_MAX_PROOF][CCG_MERKLE_HASH_LEN];
	size_t count = 0;
	double t0, bare, logged, sth_s, incl_s, cons_s;
	char *body = NULL;
	int fresh = 0;

	url[0] = '\0';
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--n") == 0 && i + 1 < argc)
			n = (unsigned)strtoul(argv[++i], NULL, 10);
		else if (strcmp(argv[i], "--url") == 0 && i + 1 < argc)
			snprintf(url, sizeof(url), "%s", argv[++i]);
		else {
			fprintf(stderr, "usage: log [--n N] [--url STORE-URL]\n");
			return 2;
		}
	}
	if (n == 0)
		n = 1;
	if (url[0] == '\0') {
		if (mkdtemp(dir) == NULL)
			return 1;
		snprintf(url, sizeof(url), "sqlite://%s/bench.sqlite", dir);
		fresh = 1;
	}
	ccg_error_clear(&err);
	if (ccg_store_open(url, NULL, &s, &err) != CCG_OK || ccg_store_migrate(s, NULL, &err) != CCG_OK)
		die("store", &err);

	/* bare durable inserts of the same size, one transaction each */
	t0 = now();
	for (unsigned i = 0; i < n; i++) {
		size_t len = entry_of(e, sizeof(e), i);

		snprintf(key, sizeof(key), "%016x", i);
		if (ccg_store_begin(s, &t, &err) != CCG_OK ||
		    ccg_store_put(t, "bench.bare", key, (const uint8_t *)e, len, CCG_STORE_INSERT, &err) != CCG_OK ||
		    ccg_store_commit(t, &err) != CCG_OK)
			die("bare insert", &err);
	}
	bare = now() - t0;

	/* log appends, one transaction each */
	t0 = now();
	for (unsigned i = 0; i < n; i++) {
		size_t len = entry_of(e, sizeof(e), i);

		if (ccg_store_begin(s, &t, &err) != CCG_OK ||
		    ccg_log_append(t, (const uint8_t *)e, len, NULL, NULL, &err) != CCG_OK ||
		    ccg_store_commit(t, &err) != CCG_OK)
			die("append", &err);
	}
	logged = now() - t0;

	snprintf(path, sizeof(path), "%s/bench-ear.pem", fresh ? dir : "/tmp");
	if (ccg_ear_key_load_or_create(path, &k, &err) != CCG_OK)
		die("key", &err);
	t0 = now();
	for (int i = 0; i < 100; i++) {
		if (ccg_log_http_sth(s, k, 1795305600000, &body, &err) != CCG_OK)
			die("sth", &err);
		free(body);
	}
	sth_s = (now() - t0) / 100;
	if (ccg_store_begin(s, &t, &err) != CCG_OK)
		die("begin", &err);
	t0 = now();
	for (unsigned i = 0; i < 100; i++)
		if (ccg_log_inclusion_proof(t, (i * 7919u) % n, n, proof, &count, &err) != CCG_OK)
			die("inclusion", &err);
	incl_s = (now() - t0) / 100;
	t0 = now();
	for (unsigned i = 0; i < 100; i++)
		if (ccg_log_consistency_proof(t, 1 + (i * 7919u) % n, n, proof, &count, &err) != CCG_OK)
			die("consistency", &err);
	cons_s = (now() - t0) / 100;
	ccg_store_rollback(t);

	printf("store %s, %u entries of ~%zu bytes\n", ccg_store_backend(s), n, entry_of(e, sizeof(e), 0));
	printf("bare durable inserts: %.0f/s\n", n / bare);
	printf("log appends (durable): %.0f/s\n", n / logged);
	printf("ratio appends/inserts: %.2f\n", bare / logged);
	printf("signed tree head: %.3f ms; inclusion proof: %.3f ms; consistency proof: %.3f ms (size %u)\n",
	       sth_s * 1e3, incl_s * 1e3, cons_s * 1e3, n);
	ccg_ear_key_free(k);
	ccg_store_close(s);
	if (fresh) {
		char cmd[700];

		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
		if (system(cmd) != 0)
			fprintf(stderr, "log bench: could not remove %s\n", dir);
	} else {
		unlink(path);
	}
	return 0;
}
