/* SPDX-License-Identifier: Apache-2.0 */
/*
 * bench/release: secret releases per second through the daemon's release
 * path (verifier/release.h, vd_release_handle, exactly as the HTTP layer
 * calls it, without HTTP), beside bare durable inserts into the same store,
 * in the same run (alternating windows, the best of each), and their ratio
 * (goal >= 0.7).
 *
 * One release: the request body parsed; the EAR token checked (its ES384
 * signature verified once per token and kept by the token's SHA-384 until
 * its exp, iat <= now < exp checked every time); HPKE SetupBaseS to the
 * token's TEE key (P-384: a key generation and a DH); then one store
 * transaction: the contract row read and hashed (the contract's parsing,
 * policies and consent signatures verified once per row hash), the validity
 * period, both suspension rows, the workload's reference values and both
 * required parties' policies (4 rules each) evaluated on the token's claims,
 * the secret row read and unwrapped (KEK AES-GCM, data key AES-GCM), the
 * HPKE seal, the release-log append (entry, leaf-hash index, Merkle nodes,
 * size) and one durable commit.
 *
 * One bare insert: one transaction inserting one record of the size of the
 * release's log entry, and one durable commit.
 *
 * --threads T runs both sides with T threads at once (each doing N / T), so
 * the comparison stays fair: the releases' CPU work can overlap another
 * release's commit, and the bare inserts get the same concurrency.
 * Never a test: timings vary by machine.
 *
 *   release [--n N] [--windows W] [--threads T] [--url STORE-URL]
 *           (default 200 x 5, 1 thread, a fresh SQLite file under /tmp)
 */
#include <inttypes.h>
#include <jansson.h>
#include <pthread.h>
#include <jose/b64.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "ccgpu/policy.h"
#include "common/hpke.h"
#include "verifier/contracts.h"
#include "verifier/daemon.h"
#include "token/ear.h"
#include "verifier/release.h"
#include "verifier/secrets.h"

#define NOW_REAL() ((int64_t)time(NULL))

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void die(const char *what, const struct ccg_error *err)
{
	fprintf(stderr, "release bench: %s: %s: %s\n", what, err != NULL ? err->where : "",
		err != NULL ? err->detail : "");
	exit(1);
}

static char *pem_of(EVP_PKEY *k, int priv)
{
	BIO *b = BIO_new(BIO_s_mem());
	char *p, *t;
	long n;

	if (b == NULL ||
	    (priv ? PEM_write_bio_PrivateKey(b, k, NULL, NULL, 0, NULL, NULL) : PEM_write_bio_PUBKEY(b, k)) != 1)
		die("pem", NULL);
	n = BIO_get_mem_data(b, &p);
	t = strndup(p, (size_t)n);
	BIO_free(b);
	return t;
}

/* two parties, each with a 4-rule policy on the GPUs and the CPU TEE; one secret requiring both */
static char *contract(const char *name, char *pub[2])
{
	static const char *const pol[2] = {
		"policy \"acme\" version 1\n"
		"rule overall \"GPUs passed\" { x-nvidia-overall-att-result }\n"
		"rule gpus \"measured\" { every gpu (measres == \"success\" and x-nvidia-gpu-attestation-report-signature-verified) }\n"
		"rule driver \"driver\" { every gpu (x-nvidia-gpu-driver-version >= \"535.0\") }\n"
		"rule tee \"snp\" { ccgpu-cpu-tee == \"snp\" and not snp-debug-allowed }\n",
		"policy \"clinic\" version 1\n"
		"rule gpus \"measured\" { every gpu (measres == \"success\") }\n"
		"rule count \"two GPUs\" { ccgpu-gpu-count == 2 }\n"
		"rule secboot \"secure boot\" { every gpu (secboot) }\n"
		"rule tee \"snp\" { ccgpu-cpu-tee == \"snp\" }\n",
	};
	json_t *d = json_pack(
		"{s:i,s:s,s:i,s:s,s:s,s:{s:s,s:{s:[s]}},s:[{s:s,s:s,s:s,s:s},{s:s,s:s,s:s,s:s}],"
		"s:[{s:s,s:s,s:[s,s]}]}",
		"ccgpu-contract", 1, "id", name, "version", 1, "not-before", "2020-01-01T00:00:00Z", "not-after",
		"2099-01-01T00:00:00Z", "workload", "name", "llm", "reference-values", "ccgpu-cpu-tee", "snp",
		"parties", "id", "acme", "role", "model-owner", "public-key", pub[0], "policy", pol[0], "id", "clinic",
		"role", "data-owner", "public-key", pub[1], "policy", pol[1], "secrets", "owner", "acme", "name",
		"model-key", "requires", "acme", "clinic");
	char *t = json_dumps(d, JSON_COMPACT);

	json_decref(d);
	return t;
}

/* an affirming token with the claims a two-GPU SEV-SNP composite gives, bound to tee */
static char *token(const struct ccg_ear_key *k, EVP_PKEY *tee)
{
	json_t *cpu =
		json_pack("{s:s,s:b,s:{s:s,s:i,s:s},s:{s:b,s:s}}", "ccgpu-cpu-tee", "snp", "snp-debug-allowed", 0,
			  "ccgpu-composite", "binding", "00112233445566778899aabbccddeeff", "version", 1, "cpu-type",
			  "snp", "ccgpu-gpu", "x-nvidia-overall-att-result", 1, "x-nvidia-ver", "3.0");
	json_t *gpu = json_pack("{s:s,s:b,s:b,s:s,s:b}", "measres", "success",
				"x-nvidia-gpu-attestation-report-signature-verified", 1, "secboot", 1,
				"x-nvidia-gpu-driver-version", "550.90.07", "ccgpu-result", 1);
	json_t *jwk = NULL;
	struct ccg_ear_submod subs[3] = {
		{.name = "cpu0", .status = CCG_EAR_AFFIRMING, .claims = cpu},
		{.name = "GPU-0", .status = CCG_EAR_AFFIRMING, .claims = gpu},
		{.name = "GPU-1", .status = CCG_EAR_AFFIRMING, .claims = gpu},
	};
	struct ccg_ear_params p = {.verifier_developer = "ccgpu",
				   .verifier_build = "bench",
				   .policy_id = "bench",
				   .iat = NOW_REAL() - 10,
				   .exp = NOW_REAL() + 3600,
				   .submods = subs,
				   .n_submods = 3};
	struct ccg_error err;
	uint8_t pk[97];
	size_t n = 0;
	char *jws = NULL;
	json_t *x, *y;

	ccg_error_clear(&err);
	if (ccg_hpke_public_key(CCG_HPKE_P384_SHA384_AES256GCM, tee, pk, sizeof(pk), &n, &err) != CCG_OK)
		die("tee key", &err);
	x = jose_b64_enc(pk + 1, 48);
	y = jose_b64_enc(pk + 49, 48);
	jwk = json_pack("{s:s,s:s,s:o,s:o}", "kty", "EC", "crv", "P-384", "x", x, "y", y);
	p.tee_jwk = jwk;
	if (ccg_ear_issue(k, &p, &jws, NULL, &err) != CCG_OK)
		die("token", &err);
	json_decref(jwk);
	json_decref(cpu);
	json_decref(gpu);
	return jws;
}

/* one thread's share of a window */
struct job {
	struct vd *d;
	const char *body;
	const char *entry;
	size_t entry_len;
	const char *run;   /* this run's id: a store given by --url may hold earlier runs' rows */
	unsigned n, first; /* bare inserts: keys first .. first + n - 1 */
	int failed;
};

static void *releases(void *arg)
{
	struct job *j = arg;

	for (unsigned i = 0; i < j->n; i++) {
		struct vd_release_in in = {.route = VD_RR_RELEASE,
					   .method = "POST",
					   .path = "/v1/release",
					   .body = (const uint8_t *)j->body,
					   .len = strlen(j->body),
					   .max_depth = 32,
					   .now = NOW_REAL()};
		struct vd_reply out;

		vd_release_handle(j->d, &in, &out);
		if (out.status != 200) {
			char *t = json_dumps(out.body, 0);

			fprintf(stderr, "release bench: release answered %d %s\n", out.status, t);
			free(t);
			j->failed = 1;
		}
		json_decref(out.body);
		if (j->failed)
			break;
	}
	return NULL;
}

static void *bare_inserts(void *arg)
{
	struct job *j = arg;
	struct ccg_error err;

	ccg_error_clear(&err);
	for (unsigned i = 0; i < j->n; i++) {
		struct ccg_store_txn *t = NULL;
		char key[32];
		enum ccg_status st;

		snprintf(key, sizeof(key), "%s-%08x", j->run, j->first + i);
		if ((st = ccg_store_begin(j->d->store, &t, &err)) == CCG_OK) {
			st = ccg_store_put(t, "bench.bare", key, (const uint8_t *)j->entry, j->entry_len,
					   CCG_STORE_INSERT, &err);
			if (st == CCG_OK)
				st = ccg_store_commit(t, &err);
			else
				ccg_store_rollback(t);
		}
		if (st != CCG_OK) {
			fprintf(stderr, "release bench: bare insert: %s: %s\n", err.where, err.detail);
			j->failed = 1;
			break;
		}
	}
	return NULL;
}

/* n jobs of fn over threads threads; the wall time */
static double run_window(void *(*fn)(void *), struct job *proto, unsigned n, unsigned threads, unsigned *seq)
{
	pthread_t th[64];
	struct job jobs[64];
	double t0 = now();

	for (unsigned k = 0; k < threads; k++) {
		jobs[k] = *proto;
		jobs[k].n = n / threads + (k < n % threads ? 1 : 0);
		jobs[k].first = *seq;
		*seq += jobs[k].n;
		if (pthread_create(&th[k], NULL, fn, &jobs[k]) != 0)
			die("thread", NULL);
	}
	for (unsigned k = 0; k < threads; k++) {
		pthread_join(th[k], NULL);
		if (jobs[k].failed)
			exit(1);
	}
	return now() - t0;
}

int main(int argc, char **argv)
{
	char url[512], dir[] = "/tmp/ccgpu-bench-release-XXXXXX", path[700], kek[720], run[64];
	unsigned n = 200, windows = 5, threads = 1;
	struct vd d;
	struct ccg_error err;
	struct ccg_store_txn *t = NULL;
	struct ccg_vcontract *vc = NULL;
	EVP_PKEY *party[2], *tee;
	char *priv[2], *pub[2], *doc, *sig[2], *tok, body[65536], entry[1024];
	size_t entry_len = 0;
	double best_rel = 1e9, best_bare = 1e9;
	unsigned seq = 0;
	int fresh = 0;

	url[0] = '\0';
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--n") == 0 && i + 1 < argc)
			n = (unsigned)strtoul(argv[++i], NULL, 10);
		else if (strcmp(argv[i], "--windows") == 0 && i + 1 < argc)
			windows = (unsigned)strtoul(argv[++i], NULL, 10);
		else if (strcmp(argv[i], "--threads") == 0 && i + 1 < argc)
			threads = (unsigned)strtoul(argv[++i], NULL, 10);
		else if (strcmp(argv[i], "--url") == 0 && i + 1 < argc)
			snprintf(url, sizeof(url), "%s", argv[++i]);
		else {
			fprintf(stderr, "usage: release [--n N] [--windows W] [--threads T] [--url STORE-URL]\n");
			return 2;
		}
	}
	if (n == 0)
		n = 1;
	if (windows == 0)
		windows = 1;
	if (threads == 0 || threads > 64)
		threads = threads == 0 ? 1 : 64;
	if (mkdtemp(dir) == NULL)
		return 1;
	/* the contract's name and the bare rows' keys are this run's own */
	snprintf(run, sizeof(run), "bench-%ld-%ld", (long)getpid(), (long)time(NULL));
	if (url[0] == '\0') {
		snprintf(url, sizeof(url), "sqlite://%s/bench.sqlite", dir);
		fresh = 1;
	}
	memset(&d, 0, sizeof(d));
	ccg_error_clear(&err);
	snprintf(path, sizeof(path), "%s/ear.pem", dir);
	snprintf(kek, sizeof(kek), "file:%s/kek", dir);
	d.cfg.kek = kek;
	d.cfg.statement_window = 300;
	if (ccg_store_open(url, &(struct ccg_store_opts){.max_conns = threads + 1}, &d.store, &err) != CCG_OK ||
	    ccg_store_migrate(d.store, NULL, &err) != CCG_OK ||
	    ccg_ear_key_load_or_create(path, &d.key, &err) != CCG_OK || vd_release_init(&d, &err) != CCG_OK)
		die("start", &err);

	/* the contract in force, its secret uploaded */
	for (int i = 0; i < 2; i++) {
		party[i] = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-384");
		priv[i] = pem_of(party[i], 1);
		pub[i] = pem_of(party[i], 0);
	}
	doc = contract(run, pub);
	{
		struct ccg_contract *c = NULL;

		if (ccg_contract_parse((const uint8_t *)doc, strlen(doc), &c, &err) != CCG_OK ||
		    ccg_contract_sign(c, "acme", (const uint8_t *)priv[0], strlen(priv[0]), &sig[0], &err) != CCG_OK ||
		    ccg_contract_sign(c, "clinic", (const uint8_t *)priv[1], strlen(priv[1]), &sig[1], &err) != CCG_OK)
			die("contract", &err);
		ccg_contract_free(c);
	}
	if (ccg_store_begin(d.store, &t, &err) != CCG_OK ||
	    ccg_vcontract_register(t, (const uint8_t *)doc, strlen(doc), (const char *const *)sig, 2, NOW_REAL(), &vc,
				   &err) != CCG_OK ||
	    ccg_secrets_put(t, d.kek, run, "model-key", vc->id, (const uint8_t *)"a 32-byte model key, for bench..", 32,
			    "acme", NULL, &err) != CCG_OK ||
	    ccg_store_commit(t, &err) != CCG_OK)
		die("register", &err);
	ccg_vcontract_free(vc);
	tee = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-384");
	tok = token(d.key, tee);
	snprintf(body, sizeof(body), "{\"token\":\"%s\",\"contract\":\"%s\",\"secret\":\"model-key\"}", tok, run);

	for (unsigned w = 0; w < windows; w++) {
		struct job proto = {.d = &d, .body = body, .run = run};
		double dt;

		dt = run_window(releases, &proto, n, threads, &seq);
		if (dt < best_rel)
			best_rel = dt;
		/* the release's log entry, as it is stored, for the bare inserts' size */
		if (entry_len == 0) {
			uint8_t *e = NULL;
			size_t len = 0;

			if (ccg_store_begin(d.store, &t, &err) != CCG_OK ||
			    ccg_store_get(t, "log.entry", "0000000000000000", &e, &len, &err) != CCG_OK)
				die("entry", &err);
			ccg_store_rollback(t);
			entry_len = len < sizeof(entry) ? len : sizeof(entry);
			memcpy(entry, e, entry_len);
			free(e);
		}
		proto.entry = entry;
		proto.entry_len = entry_len;
		dt = run_window(bare_inserts, &proto, n, threads, &seq);
		if (dt < best_bare)
			best_bare = dt;
	}
	printf("store %s, %u x %u windows, %u thread%s each side, log entry %zu bytes, 2 parties x 4 rules, HPKE P-384\n",
	       ccg_store_backend(d.store), n, windows, threads, threads == 1 ? "" : "s", entry_len);
	printf("bare durable inserts: %.0f/s\n", n / best_bare);
	printf("releases (end to end, durable): %.0f/s\n", n / best_rel);
	printf("ratio releases/inserts: %.2f (goal >= 0.70)\n", best_bare / best_rel);

	vd_release_cleanup(&d);
	ccg_ear_key_free(d.key);
	ccg_store_close(d.store);
	EVP_PKEY_free(tee);
	for (int i = 0; i < 2; i++) {
		EVP_PKEY_free(party[i]);
		free(priv[i]);
		free(pub[i]);
		free(sig[i]);
	}
	free(doc);
	free(tok);
	{
		char cmd[700];

		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
		if (system(cmd) != 0)
			fprintf(stderr, "release bench: could not remove %s\n", dir);
	}
	(void)fresh;
	return 0;
}
