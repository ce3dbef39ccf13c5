/* SPDX-License-Identifier: Apache-2.0 */
/*
 * bench/verifierd: ccgpu-verifierd end to end beside the in-process appraisal
 * of the same documents, in the same run.
 *
 *   verifierd [--n N] [--conns C] [--pg] [--daemon PATH]
 *   verifierd --demo [--daemon PATH]
 *
 * --demo (what scripts/demo runs) attests once with good GPUs and once with
 * a drifted GPU through the daemon and prints what the tokens say.
 *
 * A world is made (gpusim GPUs, a synthetic SEV-SNP PKI), the daemon started
 * on SQLite (and, with --pg, on a PostgreSQL server started here). Per
 * attestation the client takes a challenge, the guest's composite for that
 * nonce is made (not timed: that is the guest's work), and the attest is
 * posted. Timed: the challenges (C keep-alive connections, libcurl multi),
 * then the attests, each phase at full speed; attestations/s is N over the
 * two phases' time together. Then attests at half that peak rate, paced,
 * for their p50/p99. The in-process rate: the same documents through the
 * daemon's own appraisal path (composite appraisal, policy, EAR signing),
 * on as many threads as the daemon has. Never a test: timings vary by machine.
 */
#include <stdarg.h>
#include <setjmp.h>
#include <stddef.h>
#include <cmocka.h>
#include <curl/curl.h>
#include <getopt.h>
#include <jansson.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/encoding.h"
#include "verifier/appraise.h"
#include "verifier/config.h"
#include "token/ear.h"
#include "verifier/request.h"
#include "pg.h"
#include "testdata.h"
#include "vdtest.h"

#define THREADS 2

static double now_s(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static int cmp_d(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

struct xfer {
	size_t i;
	double t0;
	struct vt_sink body;
};

/*
 * n POSTs of bodies[i] (NULL: empty) to url over at most conns keep-alive
 * connections; rate > 0 paces their starts at rate per second. Latencies
 * in lat[i], answers in out[i] (malloc'd) when out is given. Returns the
 * wall time; exits on a non-200.
 */
static double run(const char *url, char **bodies, size_t n, int conns, double rate, double *lat, char **out)
{
	CURLM *m = curl_multi_init();
	CURL **pool = calloc((size_t)conns, sizeof(*pool));
	struct xfer *xs = calloc((size_t)conns, sizeof(*xs));
	struct curl_slist *h = curl_slist_append(NULL, "Content-Type: application/json");
	size_t next = 0, done = 0;
	int idle = conns;
	double t0 = now_s();

	h = curl_slist_append(h, "Expect:");
	for (int c = 0; c < conns; c++)
		pool[c] = curl_easy_init();
	while (done < n) {
		int running;
		CURLMsg *msg;
		int left;

		/* start what the pace and the free connections allow */
		for (int c = 0; c < conns && next < n && idle > 0; c++) {
			if (xs[c].t0 != 0)
				continue;
			if (rate > 0 && now_s() < t0 + (double)next / rate)
				break;
			xs[c] = (struct xfer){.i = next, .t0 = now_s()};
			curl_easy_setopt(pool[c], CURLOPT_URL, url);
			curl_easy_setopt(pool[c], CURLOPT_POSTFIELDS, bodies != NULL ? bodies[next] : "");
			curl_easy_setopt(pool[c], CURLOPT_HTTPHEADER, h);
			curl_easy_setopt(pool[c], CURLOPT_WRITEFUNCTION, vt_sink_write);
			curl_easy_setopt(pool[c], CURLOPT_WRITEDATA, &xs[c].body);
			curl_easy_setopt(pool[c], CURLOPT_PRIVATE, (char *)&xs[c]);
			curl_multi_add_handle(m, pool[c]);
			next++;
			idle--;
		}
		curl_multi_perform(m, &running);
		while ((msg = curl_multi_info_read(m, &left)) != NULL) {
			struct xfer *x = NULL;
			long st = 0;

			if (msg->msg != CURLMSG_DONE)
				continue;
			curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&x);
			curl_easy_getinfo(msg->easy_handle, CURLINFO_RESPONSE_CODE, &st);
			if (msg->data.result != CURLE_OK || st != 200) {
				fprintf(stderr, "bench: %s answered %ld: %s\n", url, st, x->body.buf);
				exit(1);
			}
			lat[x->i] = now_s() - x->t0;
			if (out != NULL)
				out[x->i] = strdup(x->body.buf);
			curl_multi_remove_handle(m, msg->easy_handle);
			x->t0 = 0;
			idle++;
			done++;
		}
		if (done < n)
			curl_multi_poll(m, NULL, 0, rate > 0 ? 1 : 100, NULL);
	}
	t0 = now_s() - t0;
	for (int c = 0; c < conns; c++)
		curl_easy_cleanup(pool[c]);
	curl_multi_cleanup(m);
	curl_slist_free_all(h);
	free(pool);
	free(xs);
	return t0;
}

static double pct(double *lat, size_t n, double p)
{
	qsort(lat, n, sizeof(*lat), cmp_d);
	return lat[(size_t)(p * (double)(n - 1))] * 1000.0;
}

/* ---- in process: the daemon's appraisal path on the same documents ---- */

struct inproc {
	struct vd_appraiser *a;
	struct ccg_ear_key *key;
	char **bodies;
	size_t from, to;
};

static void *inproc_thread(void *arg)
{
	struct inproc *w = arg;

	for (size_t i = w->from; i < w->to; i++) {
		struct vd_attest_request r;
		struct vd_verdict v;

		if (vd_attest_request_parse((const uint8_t *)w->bodies[i], strlen(w->bodies[i]), 4u << 20, 32, &r,
					    NULL) != CCG_OK ||
		    vd_appraise(w->a, w->key, &r, (int64_t)time(NULL), 3600, &v, NULL) != CCG_OK ||
		    v.status != CCG_EAR_AFFIRMING) {
			fprintf(stderr, "bench: in-process appraisal of document %zu did not affirm\n", i);
			exit(1);
		}
		vd_verdict_cleanup(&v);
		vd_attest_request_cleanup(&r);
	}
	return NULL;
}

static double inproc_rate(struct vt_world *w, const char *config, char **bodies, size_t n, int threads)
{
	struct vd_config c;
	struct inproc ws[THREADS];
	pthread_t th[THREADS];
	struct ccg_error err;
	char keypath[700];
	double t0;

	ccg_error_clear(&err);
	snprintf(keypath, sizeof(keypath), "%s/inproc-key.pem", w->dir);
	if (vd_config_defaults(&c, w->dir) != CCG_OK || vd_config_load(&c, config, &err) != CCG_OK ||
	    vd_appraiser_new(&c, &ws[0].a, &err) != CCG_OK ||
	    ccg_ear_key_load_or_create(keypath, &ws[0].key, &err) != CCG_OK) {
		fprintf(stderr, "bench: in-process appraiser: %s: %s\n", err.where, err.detail);
		exit(1);
	}
	t0 = now_s();
	for (int t = 0; t < threads; t++) {
		ws[t] = (struct inproc){.a = ws[0].a,
					.key = ws[0].key,
					.bodies = bodies,
					.from = n * (size_t)t / (size_t)threads,
					.to = n * (size_t)(t + 1) / (size_t)threads};
		pthread_create(&th[t], NULL, inproc_thread, &ws[t]);
	}
	for (int t = 0; t < threads; t++)
		pthread_join(th[t], NULL);
	t0 = now_s() - t0;
	vd_appraiser_free(ws[0].a);
	ccg_ear_key_free(ws[0].key);
	vd_config_cleanup(&c);
	return (double)n / t0;
}

/* one store: challenges, documents, timed phases, paced latency */
static void bench_store(struct vt_world *w, const char *binary, const char *config, const char *store,
			const char *label, size_t n, int conns, double inproc)
{
	struct vt_daemon d;
	char state[700], url[256], **nonces_json = calloc(n, sizeof(char *)), **bodies = calloc(n, sizeof(char *));
	double *lat_c = calloc(n, sizeof(double)), *lat_a = calloc(n, sizeof(double)), tc, ta, peak, p50, p99;
	size_t half_n = n;

	snprintf(state, sizeof(state), "%s/state-%s", w->dir, label);
	vt_daemon_start(&d, binary, config, state, store);
	/* warm-up: connections, caches, the database file */
	{
		uint8_t nonce[32];
		char *b;
		struct vt_resp r;

		for (int i = 0; i < 10; i++) {
			vt_challenge(d.base, nonce);
			b = vt_compose(w, nonce, NULL);
			vt_http(d.base, "POST", "/v1/attest", "application/json", b, strlen(b), &r);
			vt_resp_free(&r);
			free(b);
		}
	}
	snprintf(url, sizeof(url), "%s/v1/challenge", d.base);
	tc = run(url, NULL, n, conns, 0, lat_c, nonces_json);
	for (size_t i = 0; i < n; i++) {
		json_t *j = json_loads(nonces_json[i], 0, NULL);
		uint8_t nonce[32];

		if (ccg_hex_decode_fixed(json_string_value(json_object_get(j, "nonce")), 64, nonce, 32) != CCG_OK)
			exit(1);
		bodies[i] = vt_compose(w, nonce, NULL);
		json_decref(j);
		free(nonces_json[i]);
	}
	snprintf(url, sizeof(url), "%s/v1/attest", d.base);
	ta = run(url, bodies, n, conns, 0, lat_a, NULL);
	peak = (double)n / (tc + ta);
	printf("%-10s  challenge+attest: %7.1f attestations/s (%zu over %d connections; challenges %.1f/s, attests "
	       "%.1f/s)\n",
	       label, peak, n, conns, (double)n / tc, (double)n / ta);
	printf("%-10s  at peak: challenge p50 %.2f ms p99 %.2f ms, attest p50 %.2f ms p99 %.2f ms\n", label,
	       pct(lat_c, n, 0.5), pct(lat_c, n, 0.99), pct(lat_a, n, 0.5), pct(lat_a, n, 0.99));
	printf("%-10s  in-process appraisal of the same documents: %.1f/s on %d threads; ratio %.2f\n", label, inproc,
	       THREADS, peak / inproc);
	/* half the peak attest rate, paced, on fresh nonces */
	for (size_t i = 0; i < half_n; i++) {
		uint8_t nonce[32];

		free(bodies[i]);
		vt_challenge(d.base, nonce);
		bodies[i] = vt_compose(w, nonce, NULL);
	}
	ta = run(url, bodies, half_n, conns, 0.5 * (double)n / ta, lat_a, NULL);
	p50 = pct(lat_a, half_n, 0.5);
	p99 = pct(lat_a, half_n, 0.99);
	printf("%-10s  attests paced at half the peak attest rate (%.1f/s): p50 %.2f ms p99 %.2f ms\n", label,
	       (double)half_n / ta, p50, p99);
	vt_daemon_stop(&d, SIGTERM);
	for (size_t i = 0; i < n; i++)
		free(bodies[i]);
	free(bodies);
	free(nonces_json);
	free(lat_c);
	free(lat_a);
}

/* the token's claims, verified against the daemon's JWKS at the token's own iat */
static json_t *demo_claims(const char *base, const char *token)
{
	struct vt_resp r;
	json_t *jwks, *claims = NULL;
	struct ccg_error err;
	const char *d1 = strchr(token, '.'), *d2 = d1 != NULL ? strchr(d1 + 1, '.') : NULL;
	uint8_t *raw = NULL;
	size_t n = 0;
	char *b64;
	json_t *unverified;
	int64_t iat = 0;

	/* iat from the payload (base64url → base64 for common/encoding) */
	if (d2 == NULL)
		exit(1);
	b64 = calloc(1, (size_t)(d2 - d1) + 4);
	for (size_t i = 0; i < (size_t)(d2 - d1 - 1); i++)
		b64[i] = d1[1 + i] == '-' ? '+' : d1[1 + i] == '_' ? '/' : d1[1 + i];
	while (strlen(b64) % 4 != 0)
		strcat(b64, "=");
	if (ccg_base64_decode(b64, strlen(b64), 1u << 20, &raw, &n) == CCG_OK &&
	    (unverified = json_loadb((const char *)raw, n, 0, NULL)) != NULL) {
		iat = json_integer_value(json_object_get(unverified, "iat"));
		json_decref(unverified);
	}
	free(raw);
	free(b64);
	vt_http(base, "GET", "/.well-known/jwks.json", NULL, NULL, 0, &r);
	jwks = json_loads(r.body, 0, NULL);
	vt_resp_free(&r);
	ccg_error_clear(&err);
	if (ccg_ear_verify(token, jwks, iat, &claims, &err) != CCG_OK) {
		fprintf(stderr, "demo: the token does not verify: %s: %s\n", err.where, err.detail);
		exit(1);
	}
	json_decref(jwks);
	return claims;
}

static void demo_attest(struct vt_world *w, const char *base, const char *fault, const char *what)
{
	uint8_t nonce[32];
	char hex[65], *body;
	struct vt_resp r;
	json_t *ans, *claims, *sub;
	const char *name;

	vt_challenge(base, nonce);
	ccg_hex_encode(nonce, 32, hex);
	printf("POST /v1/challenge -> nonce %.16s...\n", hex);
	body = vt_compose(w, nonce, fault);
	vt_http(base, "POST", "/v1/attest", "application/json", body, strlen(body), &r);
	if (r.status != 200) {
		fprintf(stderr, "demo: attest answered %ld: %s\n", r.status, r.body);
		exit(1);
	}
	ans = json_loads(r.body, 0, NULL);
	claims = demo_claims(base, json_string_value(json_object_get(ans, "token")));
	printf("POST /v1/attest (%s) -> EAR token, signature verified against /.well-known/jwks.json: %s\n", what,
	       json_string_value(json_object_get(claims, "ear.status")));
	json_object_foreach(json_object_get(claims, "submods"), name, sub) {
		json_t *errs = json_object_get(sub, "ccgpu.errors");

		printf("  %-6s %s", name, json_string_value(json_object_get(sub, "ear.status")));
		if (json_array_size(errs) > 0)
			printf(": %s", json_string_value(json_array_get(errs, 0)));
		printf("\n");
	}
	vt_http(base, "POST", "/v1/attest", "application/json", body, strlen(body), &r);
	printf("  the same nonce again -> %ld\n", r.status);
	vt_resp_free(&r);
	json_decref(claims);
	json_decref(ans);
	free(body);
}

static int demo(const char *binary)
{
	struct vt_world w;
	struct vt_daemon d;
	char *config, state[700];

	vt_world_init(&w, 2);
	config = vt_config_write(&w, "demo.conf", NULL);
	snprintf(state, sizeof(state), "%s/state", w.dir);
	vt_daemon_start(&d, binary, config, state, NULL);
	printf("ccgpu-verifierd on SQLite at %s (state %s)\n", d.base, state);
	demo_attest(&w, d.base, NULL, "2 gpusim GPUs bound into an SEV-SNP report");
	demo_attest(&w, d.base, "drift=9@1", "GPU-1's measurement at RIM index 9 drifted");
	vt_daemon_stop(&d, SIGTERM);
	free(config);
	vt_world_free(&w);
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{"n", required_argument, NULL, 'n'}, {"conns", required_argument, NULL, 'c'},
		{"pg", no_argument, NULL, 'p'},      {"daemon", required_argument, NULL, 'd'},
		{"demo", no_argument, NULL, 'D'},    {NULL, 0, NULL, 0}};
	size_t n = 200;
	int conns = 8, o;
	bool pg = false, demo_mode = false;
	char binary[1024], *config, sqlite_url[700], **docs;
	const char *build = getenv("CCGPU_BUILD_ROOT");
	struct vt_world w;
	double in1, in2;

	snprintf(binary, sizeof(binary), "%s/tools/ccgpu-verifierd/ccgpu-verifierd", build != NULL ? build : "build");
	while ((o = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (o) {
		case 'n': n = strtoul(optarg, NULL, 10); break;
		case 'c': conns = atoi(optarg); break;
		case 'p': pg = true; break;
		case 'd': snprintf(binary, sizeof(binary), "%s", optarg); break;
		case 'D': demo_mode = true; break;
		default:
			fprintf(stderr,
				"usage: verifierd [--n N] [--conns C] [--pg] [--daemon PATH] | --demo [--daemon PATH]\n");
			return 2;
		}
	}
	if (n < 10 || conns < 1) {
		fprintf(stderr, "verifierd: --n at least 10, --conns at least 1\n");
		return 2;
	}
	if (getenv("CCGPU_SOURCE_ROOT") == NULL)
		setenv("CCGPU_SOURCE_ROOT", ".", 0);
	signal(SIGPIPE, SIG_IGN);
	curl_global_init(CURL_GLOBAL_DEFAULT);
	if (demo_mode)
		return demo(binary);
	vt_world_init(&w, 2);
	config = vt_config_write(&w, "bench.conf", "threads = 2\n");
	/* the in-process figure, on documents with their own nonces (no store involved) */
	docs = calloc(n, sizeof(char *));
	for (size_t i = 0; i < n; i++) {
		uint8_t nonce[32];

		for (size_t k = 0; k < 32; k++)
			nonce[k] = (uint8_t)(i * 31 + k);
		docs[i] = vt_compose(&w, nonce, NULL);
	}
	in1 = inproc_rate(&w, config, docs, n, 1);
	in2 = inproc_rate(&w, config, docs, n, THREADS);
	printf("in-process  appraisal (composite, 2 gpusim GPUs + SEV-SNP, policy, ES384 token): %.1f/s on 1 thread, "
	       "%.1f/s on %d\n",
	       in1, in2, THREADS);
	for (size_t i = 0; i < n; i++)
		free(docs[i]);
	free(docs);
	snprintf(sqlite_url, sizeof(sqlite_url), "sqlite://%s/bench.db", w.dir);
	bench_store(&w, binary, config, sqlite_url, "sqlite", n, conns, in2);
	if (pg) {
		char *url = tp_pg_start();

		bench_store(&w, binary, config, url, "postgresql", n, conns, in2);
		tp_pg_stop();
		free(url);
	}
	free(config);
	vt_world_free(&w);
	return 0;
}
