/* SPDX-License-Identifier: Apache-2.0 */
/*
 * bench/prompt: prompt round trips per second through Oblivious HTTP, the
 * encrypted channel and gpusim (issue 15, Speed), beside the same model
 * called in plaintext and the HPKE operations a round trip cannot avoid, all
 * measured in the same run.
 *
 * The model is gpusim's int8 MLP (gpusim/compute.c): a prompt is cut into
 * vectors of MODEL_COLS bytes (the last one zero-padded), each run through
 * two layers (MODEL_COLS -> MODEL_HIDDEN, ReLU, -> MODEL_OUT); the answer is
 * MODEL_OUT int32 per vector. One batched RUN command (kind 2) carries the
 * whole prompt.
 *
 *   trip   client: Binary HTTP request encoded and encapsulated
 *          (ccg_ohttp_request_encapsulate); gateway: decapsulated and decoded
 *          (ccg_ohttp_gateway_decapsulate); the prompt as a RUN command sent
 *          through an open ccg_channel (ccg_channel_run: sealed into the
 *          bounce buffers, opened by gpusim's device thread in another
 *          process, which computes over the weights written to its memory
 *          through the channel and seals the result back); gateway: the
 *          answer encoded and encapsulated (ccg_ohttp_exchange_respond);
 *          client: opened and decoded. gpusim is a spawned `ccgpu-gpusim
 *          serve` (the socket + memfd path a real server uses), its session
 *          bound to the GPU's certificate (attested_leaf_der);
 *   plain  the same command built from the same prompt and computed by
 *          gpusim_compute_run in this process: no OHTTP, no channel;
 *   run    the command through the channel to gpusim and the answer back,
 *          no OHTTP: run - plain is the channel's share of the overhead;
 *   floor  the HPKE operations one round trip needs, with common/hpke.h
 *          directly: SetupBaseS + Seal(request), SetupBaseR + Open(request),
 *          two Exports and the response key's Extract and two Expands (each
 *          side derives it), Seal(answer) and Open(answer).
 *
 * overhead = trip - plain (us per prompt); goal: overhead <= 1.5 x floor.
 * Each figure is the best (lowest time per prompt) of CCGPU_BENCH_REPS
 * rounds (default 5) of one window each, the three taking turns, so a
 * round that another tenant's load slowed does not decide it.
 *
 * Usage: prompt [--quick | --trips SIZE]; CCGPU_BENCH_SECS (window, default
 * 0.4), CCGPU_BENCH_REPS (rounds, default 5). --trips SIZE runs protected
 * round trips of SIZE bytes only, for CCGPU_BENCH_SECS x CCGPU_BENCH_REPS
 * seconds (to profile them: perf record --call-graph dwarf prompt --trips 65536).
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <openssl/x509.h>

#include "ccgpu/channel.h"
#include "ccgpu/ohttp.h"
#include "common/crypto.h"
#include "common/hpke.h"
#include "gpusim/compute.h"
#include "gpusim/gpusim.h"
#include "gpusim/serve.h"
#include "ohttp/ohttp.h"

#define SUITE CCG_HPKE_X25519_SHA256_AES128GCM
#define MODEL_COLS 256
#define MODEL_HIDDEN 2
#define MODEL_OUT 2
#define MODEL_SHIFT 7
#define MAX_PROMPT 65536
#define MAX_VECTORS (MAX_PROMPT / MODEL_COLS)
#define CMD_HEADER (4 + 2 * GPUSIM_RUN_LAYER_LEN)
#define ANSWER_MAX (MAX_VECTORS * MODEL_OUT * 4)
#define W0_LEN (MODEL_HIDDEN * MODEL_COLS)
#define W1_LEN (MODEL_OUT * MODEL_HIDDEN)

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* CPU seconds of this process and of the gpusim process (the device end), together */
static clockid_t dev_clock;
static bool have_dev_clock;

static double cpu_now(void)
{
	struct timespec a, b = {0, 0};

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &a);
	if (have_dev_clock)
		clock_gettime(dev_clock, &b);
	return (double)(a.tv_sec + b.tv_sec) + (double)(a.tv_nsec + b.tv_nsec) / 1e9;
}

static volatile uint32_t sink;

#define CHECK(x) \
	do { \
		struct ccg_error e_; \
		char buf_[600]; \
		ccg_error_clear(&e_); \
		if ((x) != CCG_OK) { \
			fprintf(stderr, "bench/prompt: %s failed: %s\n", #x, \
				ccg_error_format(&e_, buf_, sizeof(buf_))); \
			abort(); \
		} \
	} while (0)

struct rig {
	struct ccg_ohttp_gateway *gw;
	struct ccg_ohttp_key_config kc;
	EVP_PKEY *sk;
	uint8_t pk[32];
	struct ccg_session *s;
	struct ccg_channel *ch;
	uint8_t weights[W0_LEN + W1_LEN]; /* what device memory holds at 0, for the plain model */
	uint8_t cmd[CMD_HEADER + MAX_PROMPT], answer[ANSWER_MAX];
	uint8_t b1[MAX_PROMPT + 64], b2[MAX_PROMPT + 64]; /* the floor's ciphertext and plaintext */
};

/* the model's RUN command for a prompt: the header was written once; the prompt's vectors, zero-padded */
static size_t model_command(struct rig *r, const uint8_t *prompt, size_t n)
{
	size_t vectors = (n + MODEL_COLS - 1) / MODEL_COLS, len = vectors * MODEL_COLS;

	if (vectors == 0)
		vectors = 1, len = MODEL_COLS;
	r->cmd[2] = (uint8_t)vectors;
	r->cmd[3] = (uint8_t)(vectors >> 8);
	memcpy(r->cmd + CMD_HEADER, prompt, n);
	memset(r->cmd + CMD_HEADER + n, 0, len - n);
	return CMD_HEADER + len;
}

static size_t plain_once(struct rig *r, const uint8_t *prompt, size_t n)
{
	size_t len = model_command(r, prompt, n), out = 0;

	CHECK(gpusim_compute_run(r->weights, sizeof(r->weights), r->cmd, len, r->answer, sizeof(r->answer), &out, &e_));
	sink ^= r->answer[0];
	return out;
}

/* the model on the GPU alone: the command through the channel and the answer back, no OHTTP */
static size_t run_once(struct rig *r, const uint8_t *prompt, size_t n)
{
	size_t len = model_command(r, prompt, n), out = 0;

	CHECK(ccg_channel_run(r->ch, r->cmd, len, r->answer, sizeof(r->answer), &out, &e_));
	sink ^= r->answer[0];
	return out;
}

static size_t trip_once(struct rig *r, const uint8_t *prompt, size_t n)
{
	struct ccg_bhttp_msg *req = NULL, *resp = NULL, *got = NULL;
	struct ccg_ohttp_exchange *ex = NULL;
	struct ccg_ohttp_ctx *ctx = NULL;
	uint8_t *pt = NULL, *enc = NULL, *res = NULL, *ans = NULL;
	size_t pl = 0, el = 0, rl = 0, al = 0, cl = 0, len, out = 0;
	const uint8_t *content;

	/* client */
	CHECK(ccg_bhttp_request_new("POST", "https", "inference.example", "/v1/generate", &req, &e_));
	CHECK(ccg_bhttp_msg_add_field(req, CCG_BHTTP_HEADERS, "content-type", (const uint8_t *)"text/plain", 10, &e_));
	CHECK(ccg_bhttp_msg_set_content(req, prompt, n, &e_));
	CHECK(ccg_bhttp_encode(req, false, 0, &pt, &pl, &e_));
	CHECK(ccg_ohttp_request_encapsulate(&r->kc, pt, pl, &enc, &el, &ctx, &e_));
	/* gateway, then the model on the GPU through the channel */
	CHECK(ccg_ohttp_gateway_decapsulate(r->gw, enc, el, &ex, &e_));
	content = ccg_bhttp_msg_content(ccg_ohttp_exchange_request(ex), &cl);
	len = model_command(r, content, cl);
	CHECK(ccg_channel_run(r->ch, r->cmd, len, r->answer, sizeof(r->answer), &out, &e_));
	CHECK(ccg_bhttp_response_new(200, &resp, &e_));
	CHECK(ccg_bhttp_msg_set_content(resp, r->answer, out, &e_));
	CHECK(ccg_ohttp_exchange_respond(ex, resp, &res, &rl, &e_));
	/* client */
	CHECK(ccg_ohttp_response_open(ctx, res, rl, &ans, &al, &e_));
	CHECK(ccg_bhttp_decode(ans, al, &got, &e_));
	content = ccg_bhttp_msg_content(got, &cl);
	if (cl != out)
		abort();
	sink ^= ccg_bhttp_msg_status(got) ^ content[0];
	ccg_bhttp_msg_free(got);
	ccg_bhttp_msg_free(resp);
	ccg_bhttp_msg_free(req);
	ccg_ohttp_exchange_free(ex);
	ccg_ohttp_ctx_free(ctx);
	ccg_ohttp_free_plaintext(pt, pl);
	ccg_ohttp_free_plaintext(ans, al);
	free(enc);
	free(res);
	return out;
}

/* the HPKE work of one round trip (a request of n bytes, an answer of a bytes), with common/hpke.h directly */
static void floor_once(struct rig *r, const uint8_t *prompt, size_t n, size_t a)
{
	static const uint8_t info[] = "message/bhttp request\0\x07\x00\x20\x00\x01\x00\x01";
	struct ccg_hpke_ctx *s = NULL, *rc = NULL, *rs = NULL, *ro = NULL;
	uint8_t enc[32], secret[16], prk[32], key[16], nonce[12], salt[48] = {0};
	size_t enc_len = 0, ct = 0, pl = 0, al = 0;

	CHECK(ccg_hpke_setup_s(SUITE, r->pk, 32, info, sizeof(info) - 1, enc, sizeof(enc), &enc_len, &s, &e_));
	CHECK(ccg_hpke_ctx_seal(s, NULL, 0, prompt, n, r->b1, n + 16, &ct, &e_));
	CHECK(ccg_hpke_setup_r(SUITE, r->sk, enc, enc_len, info, sizeof(info) - 1, &rc, &e_));
	CHECK(ccg_hpke_ctx_open(rc, NULL, 0, r->b1, ct, r->b2, n, &pl, &e_));
	for (int side = 0; side < 2; side++) {
		CHECK(ccg_hpke_ctx_export(side == 0 ? rc : s, (const uint8_t *)"message/bhttp response", 22, secret, 16,
					  &e_));
		memcpy(salt, enc, 32);
		CHECK(ccg_hpke_kdf_extract(SUITE, salt, sizeof(salt), secret, 16, prk, 32, &e_));
		CHECK(ccg_hpke_kdf_expand(SUITE, prk, 32, (const uint8_t *)"key", 3, key, 16, &e_));
		CHECK(ccg_hpke_kdf_expand(SUITE, prk, 32, (const uint8_t *)"nonce", 5, nonce, 12, &e_));
		CHECK(ccg_hpke_ctx_from_key(SUITE, side == 0, key, 16, nonce, 12, side == 0 ? &rs : &ro, &e_));
	}
	CHECK(ccg_hpke_ctx_seal(rs, NULL, 0, r->answer, a, r->b1, a + 16, &al, &e_));
	CHECK(ccg_hpke_ctx_open(ro, NULL, 0, r->b1, al, r->b2, a, &al, &e_));
	sink ^= r->b2[0];
	ccg_hpke_ctx_free(s);
	ccg_hpke_ctx_free(rc);
	ccg_hpke_ctx_free(rs);
	ccg_hpke_ctx_free(ro);
}

enum op { OP_PLAIN, OP_FLOOR, OP_TRIP, OP_RUN, OPS };

/* one window of op on a prompt of n bytes (answer a): the best wall and CPU time per prompt so far */
static void window_of(struct rig *r, enum op op, const uint8_t *prompt, size_t n, size_t a, double window,
		      double *best_wall, double *best_cpu)
{
	double t0 = now(), c0 = cpu_now(), w, c;
	long it;

	for (it = 0; now() - t0 < window; it++) {
		switch (op) {
		case OP_PLAIN: plain_once(r, prompt, n); break;
		case OP_FLOOR: floor_once(r, prompt, n, a); break;
		case OP_TRIP: trip_once(r, prompt, n); break;
		default: run_once(r, prompt, n); break;
		}
	}
	w = (now() - t0) / (double)it;
	c = (cpu_now() - c0) / (double)it;
	if (w < *best_wall)
		*best_wall = w;
	if (c < *best_cpu)
		*best_cpu = c;
}

/* the GPU's leaf certificate, DER, as its evidence carries it (what ccg_guest_channel_open binds) */
static uint8_t *gpu_leaf(const char *dir, size_t *len)
{
	struct gpusim *sim = NULL;
	STACK_OF(X509) *sk = NULL;
	unsigned char *der = NULL;
	uint8_t *out = NULL;
	const char *pem;
	int n = 0;

	if (gpusim_load(dir, &sim, NULL) == CCG_OK && (pem = gpusim_chain_pem(sim, 0)) != NULL &&
	    ccg_pem_certs_parse((const uint8_t *)pem, strlen(pem), 10, &sk, NULL) == CCG_OK &&
	    (n = i2d_X509(sk_X509_value(sk, 0), &der)) > 0 && (out = malloc((size_t)n)) != NULL) {
		memcpy(out, der, (size_t)n);
		*len = (size_t)n;
	}
	OPENSSL_free(der);
	sk_X509_pop_free(sk, X509_free);
	gpusim_free(sim);
	return out;
}

/* the GPU: a gpusim child serving a fresh device set, a session bound to its certificate, a channel, the weights */
static pid_t gpu_start(struct rig *r, char *dir, size_t dir_cap)
{
	static const struct gpusim_pki_opts pki = {.gpus = 1};
	const struct ccg_channel_opts co = {.slots = 8, .slot_size = 128 * 1024, .device_memory = 1 << 20};
	char sock[4200], root[4200], tmpl[] = "/tmp/ccgpu-bench-prompt-XXXXXX";
	struct ccg_session_opts so;
	uint8_t *leaf = NULL;
	size_t leaf_len = 0, n = 0;
	pid_t pid;

	if (mkdtemp(tmpl) == NULL)
		return -1;
	snprintf(dir, dir_cap, "%s", tmpl);
	snprintf(sock, sizeof(sock), "%s/gpu.sock", dir);
	snprintf(root, sizeof(root), "%s/pki/device-root.pem", dir);
	{
		char pkidir[4200];

		snprintf(pkidir, sizeof(pkidir), "%s/pki", dir);
		if (gpusim_pki_generate_child(pkidir, &pki) != CCG_OK || (leaf = gpu_leaf(pkidir, &leaf_len)) == NULL ||
		    (pid = gpusim_serve_child(pkidir, sock, NULL, GPUSIM_CE_HOST, 0)) < 0) {
			free(leaf);
			return -1;
		}
	}
	memset(&so, 0, sizeof(so));
	so.socket_path = sock;
	so.root_file = root;
	so.attested_leaf_der = leaf;
	so.attested_leaf_der_len = leaf_len;
	CHECK(ccg_session_open(&so, &r->s, &e_));
	free(leaf);
	CHECK(ccg_channel_open(r->s, &co, &r->ch, &e_));
	/* the weights: random int8, written to device memory at 0 through the channel, kept here for the plain model */
	CHECK(ccg_random(r->weights, sizeof(r->weights)));
	CHECK(ccg_channel_write(r->ch, 0, r->weights, sizeof(r->weights), &e_));
	r->cmd[0] = GPUSIM_RUN_MLP_BATCH;
	r->cmd[1] = 2;
	n = 4;
	n += gpusim_compute_layer(r->cmd + n, 0, MODEL_HIDDEN, MODEL_COLS, MODEL_SHIFT);
	n += gpusim_compute_layer(r->cmd + n, W0_LEN, MODEL_OUT, MODEL_HIDDEN, 0);
	(void)n;
	return pid;
}

/* the device set made for this run (as the other benchmarks remove theirs) */
static void rm_rf(const char *dir)
{
	char cmd[4200];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "bench/prompt: could not remove %s\n", dir);
}

int main(int argc, char **argv)
{
	static const size_t sizes[] = {64, 1024, 16384, 65536};
	const char *secs_env = getenv("CCGPU_BENCH_SECS"), *reps_env = getenv("CCGPU_BENCH_REPS");
	double window = secs_env != NULL ? atof(secs_env) : 0.4;
	int reps = reps_env != NULL ? atoi(reps_env) : 5;
	int quick = argc > 1 && strcmp(argv[1], "--quick") == 0;
	size_t only = argc > 2 && strcmp(argv[1], "--trips") == 0 ? strtoul(argv[2], NULL, 10) : 0;
	struct rig *r = calloc(1, sizeof(*r));
	uint8_t *keys = NULL, sk_raw[32];
	size_t kl = 0, nkc = 0, pkl = 0;
	char dir[4096];
	pid_t pid;

	if (r == NULL)
		return 1;
	if (quick) {
		window = 0.1;
		reps = 2;
	}
	if (window <= 0)
		window = 0.4;
	if (reps < 1)
		reps = 1;
	CHECK(ccg_hpke_keypair_generate(SUITE, &r->sk, &e_));
	{
		size_t l = sizeof(sk_raw);

		if (EVP_PKEY_get_raw_private_key(r->sk, sk_raw, &l) != 1)
			abort();
	}
	CHECK(ccg_hpke_public_key(SUITE, r->sk, r->pk, sizeof(r->pk), &pkl, &e_));
	CHECK(ccg_ohttp_gateway_new(7, sk_raw, sizeof(sk_raw), &r->gw, &e_));
	CHECK(ccg_ohttp_gateway_key_config(r->gw, &keys, &kl, &e_));
	CHECK(ccg_ohttp_keys_parse(keys, kl, &r->kc, 1, &nkc, &e_));
	if ((pid = gpu_start(r, dir, sizeof(dir))) < 0) {
		fprintf(stderr, "bench/prompt: could not start gpusim\n");
		return 1;
	}
	have_dev_clock = clock_getcpuclockid(pid, &dev_clock) == 0;
	if (only > 0 && only <= MAX_PROMPT) {
		uint8_t *prompt = calloc(1, only);
		double t0 = now();
		long it;

		for (it = 0; prompt != NULL && now() - t0 < window * reps; it++)
			trip_once(r, prompt, only);
		printf("%zu-byte prompts: %.1f us per round trip\n", only, (now() - t0) / (double)it * 1e6);
		free(prompt);
		goto done;
	}
	printf("# bench/prompt: prompt round trips through OHTTP + channel + gpusim (another process), beside the\n"
	       "# same int8 MLP (%d -> %d -> %d per %d-byte vector) computed in this process and the HPKE floor;\n"
	       "# best of %d rounds of %.2f s each\n",
	       MODEL_COLS, MODEL_HIDDEN, MODEL_OUT, MODEL_COLS, reps, window);
	printf("%8s %8s %9s %9s %9s %9s %8s %9s %8s %6s | %9s %9s %8s %6s\n", "prompt", "answer", "trips/s", "plain/s",
	       "trip_us", "plain_us", "run_us", "over_us", "hpke_us", "ratio", "cpu_trip", "cpu_over", "cpu_hpke",
	       "ratio");
	for (size_t si = 0; si < sizeof(sizes) / sizeof(sizes[0]); si++) {
		size_t n = sizes[si], a = 0;
		uint8_t *prompt = malloc(n);
		double wall[OPS], cpu[OPS];

		for (size_t i = 0; i < n; i++)
			prompt[i] = (uint8_t)('a' + i % 26);
		a = plain_once(r, prompt, n);
		if (trip_once(r, prompt, n) != a || run_once(r, prompt, n) != a)
			abort();
		for (int k = 0; k < OPS; k++)
			wall[k] = cpu[k] = 1e9;
		for (int rep = 0; rep < reps; rep++)
			for (int k = 0; k < OPS; k++)
				window_of(r, (enum op)k, prompt, n, a, window, &wall[k], &cpu[k]);
		printf("%8zu %8zu %9.0f %9.0f %9.1f %9.2f %8.1f %9.1f %8.1f %6.2f | %9.1f %9.1f %8.1f %6.2f\n", n, a,
		       1.0 / wall[OP_TRIP], 1.0 / wall[OP_PLAIN], wall[OP_TRIP] * 1e6, wall[OP_PLAIN] * 1e6,
		       wall[OP_RUN] * 1e6, (wall[OP_TRIP] - wall[OP_PLAIN]) * 1e6, wall[OP_FLOOR] * 1e6,
		       (wall[OP_TRIP] - wall[OP_PLAIN]) / wall[OP_FLOOR], cpu[OP_TRIP] * 1e6,
		       (cpu[OP_TRIP] - cpu[OP_PLAIN]) * 1e6, cpu[OP_FLOOR] * 1e6,
		       (cpu[OP_TRIP] - cpu[OP_PLAIN]) / cpu[OP_FLOOR]);
		free(prompt);
	}
	printf("# ratio = overhead / HPKE floor (goal <= 1.5): what Binary HTTP, the OHTTP framing, the channel\n"
	       "# (AES-256-GCM both ways, the device process's hand-off) and the copies cost on top of the HPKE\n"
	       "# operations a round trip needs. Left: wall-clock time per prompt; right: CPU time per prompt of\n"
	       "# this process and the gpusim process together%s (on a shared, loaded machine read the right).\n",
	       have_dev_clock ? "" : " (gpusim's CPU clock unreadable here: this process only)");
done:
	ccg_channel_free(r->ch);
	ccg_session_end_quiet(r->s);
	ccg_session_free(r->s);
	kill(pid, SIGTERM);
	waitpid(pid, NULL, 0);
	rm_rf(dir);
	ccg_ohttp_gateway_free(r->gw);
	EVP_PKEY_free(r->sk);
	free(keys);
	free(r);
	return (int)(sink & 0);
}
