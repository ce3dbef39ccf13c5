/* SPDX-License-Identifier: Apache-2.0 */
/*
 * bench/prompt: prompt round trips per second through Oblivious HTTP, in one
 * process (issue 15's Speed section without the gpusim/channel part): the
 * client encodes a Binary HTTP request and encapsulates it
 * (ccg_ohttp_request_encapsulate), the gateway decapsulates and decodes it
 * (ccg_ohttp_gateway_decapsulate), the "model" answers (a checksum of the
 * prompt into a text), the gateway encodes and encapsulates the answer
 * (ccg_ohttp_exchange_respond), the client opens and decodes it. Beside it,
 * measured in the same run:
 *
 *   plain  the same model called on the same prompt, no OHTTP;
 *   floor  the HPKE operations one round trip cannot avoid, with
 *          common/hpke.h directly: SetupBaseS + Seal(request), SetupBaseR +
 *          Open(request), two Exports and the response key's Extract and two
 *          Expands (each side derives it), Seal(answer) and Open(answer).
 *
 * overhead = round trip - plain (µs per prompt); goal: overhead <= 1.5 ×
 * floor. No network: what a relay adds is HTTP, not this code.
 *
 * Usage: prompt [--quick]; CCGPU_BENCH_SECS (window per configuration, default 1).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ccgpu/ohttp.h"
#include "common/hpke.h"
#include "ohttp/ohttp.h"

#define SUITE CCG_HPKE_X25519_SHA256_AES128GCM

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static volatile uint32_t sink;

#define CHECK(x)                                                          \
	do {                                                              \
		if ((x) != CCG_OK) {                                      \
			fprintf(stderr, "bench/prompt: %s failed\n", #x); \
			abort();                                          \
		}                                                         \
	} while (0)

/* the model: an answer that depends on every byte of the prompt */
static size_t model(const uint8_t *prompt, size_t n, uint8_t *out, size_t cap)
{
	uint32_t h = 2166136261u;

	for (size_t i = 0; i < n; i++)
		h = (h ^ prompt[i]) * 16777619u;
	return (size_t)snprintf((char *)out, cap, "answer %08x to %zu bytes", h, n);
}

static void plain_once(const uint8_t *prompt, size_t n)
{
	uint8_t out[128];

	sink ^= (uint32_t)model(prompt, n, out, sizeof(out)) ^ out[8];
}

static void ohttp_once(const struct ccg_ohttp_gateway *gw, const struct ccg_ohttp_key_config *kc,
		       const uint8_t *prompt, size_t n)
{
	struct ccg_bhttp_msg *req = NULL, *resp = NULL, *got = NULL;
	struct ccg_ohttp_exchange *ex = NULL;
	struct ccg_ohttp_ctx *ctx = NULL;
	uint8_t *pt = NULL, *enc = NULL, *res = NULL, *ans = NULL, out[128];
	size_t pl = 0, el = 0, rl = 0, al = 0, cl = 0, ol;
	const uint8_t *content;

	/* client */
	CHECK(ccg_bhttp_request_new("POST", "https", "inference.example", "/v1/generate", &req, NULL));
	CHECK(ccg_bhttp_msg_add_field(req, CCG_BHTTP_HEADERS, "content-type", (const uint8_t *)"text/plain", 10, NULL));
	CHECK(ccg_bhttp_msg_set_content(req, prompt, n, NULL));
	CHECK(ccg_bhttp_encode(req, false, 0, &pt, &pl, NULL));
	CHECK(ccg_ohttp_request_encapsulate(kc, pt, pl, &enc, &el, &ctx, NULL));
	/* gateway and model */
	CHECK(ccg_ohttp_gateway_decapsulate(gw, enc, el, &ex, NULL));
	content = ccg_bhttp_msg_content(ccg_ohttp_exchange_request(ex), &cl);
	ol = model(content, cl, out, sizeof(out));
	CHECK(ccg_bhttp_response_new(200, &resp, NULL));
	CHECK(ccg_bhttp_msg_set_content(resp, out, ol, NULL));
	CHECK(ccg_ohttp_exchange_respond(ex, resp, &res, &rl, NULL));
	/* client */
	CHECK(ccg_ohttp_response_open(ctx, res, rl, &ans, &al, NULL));
	CHECK(ccg_bhttp_decode(ans, al, &got, NULL));
	sink ^= ccg_bhttp_msg_status(got);
	ccg_bhttp_msg_free(got);
	ccg_bhttp_msg_free(resp);
	ccg_bhttp_msg_free(req);
	ccg_ohttp_exchange_free(ex);
	ccg_ohttp_ctx_free(ctx);
	ccg_ohttp_free_plaintext(pt, pl);
	ccg_ohttp_free_plaintext(ans, al);
	free(enc);
	free(res);
}

/* the HPKE work of one round trip, with common/hpke.h directly */
static void floor_once(EVP_PKEY *sk, const uint8_t *pk, const uint8_t *prompt, size_t n, uint8_t *buf, uint8_t *buf2)
{
	static const uint8_t info[] = "message/bhttp request\0\x07\x00\x20\x00\x01\x00\x01";
	struct ccg_hpke_ctx *s = NULL, *r = NULL, *rs = NULL, *ro = NULL;
	uint8_t enc[32], secret[16], prk[32], key[16], nonce[12], salt[48] = {0}, answer[40] = {0}, back[40];
	size_t enc_len = 0, ct = 0, pl = 0, al = 0;

	CHECK(ccg_hpke_setup_s(SUITE, pk, 32, info, sizeof(info) - 1, enc, sizeof(enc), &enc_len, &s, NULL));
	CHECK(ccg_hpke_ctx_seal(s, NULL, 0, prompt, n, buf, n + 16, &ct, NULL));
	CHECK(ccg_hpke_setup_r(SUITE, sk, enc, enc_len, info, sizeof(info) - 1, &r, NULL));
	CHECK(ccg_hpke_ctx_open(r, NULL, 0, buf, ct, buf2, n, &pl, NULL));
	for (int side = 0; side < 2; side++) {
		CHECK(ccg_hpke_ctx_export(side == 0 ? r : s, (const uint8_t *)"message/bhttp response", 22, secret, 16, NULL));
		memcpy(salt, enc, 32);
		CHECK(ccg_hpke_kdf_extract(SUITE, salt, sizeof(salt), secret, 16, prk, 32, NULL));
		CHECK(ccg_hpke_kdf_expand(SUITE, prk, 32, (const uint8_t *)"key", 3, key, 16, NULL));
		CHECK(ccg_hpke_kdf_expand(SUITE, prk, 32, (const uint8_t *)"nonce", 5, nonce, 12, NULL));
		CHECK(ccg_hpke_ctx_from_key(SUITE, side == 0, key, 16, nonce, 12, side == 0 ? &rs : &ro, NULL));
	}
	CHECK(ccg_hpke_ctx_seal(rs, NULL, 0, answer, 24, back, sizeof(back), &al, NULL));
	CHECK(ccg_hpke_ctx_open(ro, NULL, 0, back, al, answer, sizeof(answer), &al, NULL));
	sink ^= buf2[0] ^ answer[0];
	ccg_hpke_ctx_free(s);
	ccg_hpke_ctx_free(r);
	ccg_hpke_ctx_free(rs);
	ccg_hpke_ctx_free(ro);
}

int main(int argc, char **argv)
{
	static const size_t sizes[] = {256, 4096, 65536};
	const char *secs_env = getenv("CCGPU_BENCH_SECS");
	double window = secs_env != NULL ? atof(secs_env) : 1.0;
	int quick = argc > 1 && strcmp(argv[1], "--quick") == 0;
	struct ccg_ohttp_gateway *gw = NULL;
	struct ccg_ohttp_key_config kc[1];
	uint8_t *keys = NULL, sk_raw[32], pk[32];
	size_t kl = 0, nkc = 0, pkl = 0;
	EVP_PKEY *sk = NULL;

	if (quick)
		window = 0.2;
	if (window <= 0)
		window = 1.0;
	CHECK(ccg_hpke_keypair_generate(SUITE, &sk, NULL));
	{
		size_t l = sizeof(sk_raw);

		if (EVP_PKEY_get_raw_private_key(sk, sk_raw, &l) != 1)
			abort();
	}
	CHECK(ccg_hpke_public_key(SUITE, sk, pk, sizeof(pk), &pkl, NULL));
	CHECK(ccg_ohttp_gateway_new(7, sk_raw, sizeof(sk_raw), &gw, NULL));
	CHECK(ccg_ohttp_gateway_key_config(gw, &keys, &kl, NULL));
	CHECK(ccg_ohttp_keys_parse(keys, kl, kc, 1, &nkc, NULL));
	printf("# bench/prompt: OHTTP round trips (client + gateway + client, one process) beside the plain model\n"
	       "# and the HPKE floor, measured in the same run; %.1f s per window\n",
	       window);
	printf("%8s %12s %12s %12s %12s %12s %8s\n", "prompt", "trips/s", "trip_us", "plain_us", "overhead_us",
	       "hpke_us", "ratio");
	for (size_t si = 0; si < sizeof(sizes) / sizeof(sizes[0]); si++) {
		size_t n = sizes[si];
		uint8_t *prompt = malloc(n), *b1 = malloc(n + 16), *b2 = malloc(n + 16);
		double t0, trip, plain, hfloor;
		long it;

		for (size_t i = 0; i < n; i++)
			prompt[i] = (uint8_t)('a' + i % 26);
		/* the three measured back to back, each for one window */
		for (it = 0, t0 = now(); now() - t0 < window; it++)
			plain_once(prompt, n);
		plain = (now() - t0) / (double)it;
		for (it = 0, t0 = now(); now() - t0 < window; it++)
			floor_once(sk, pk, prompt, n, b1, b2);
		hfloor = (now() - t0) / (double)it;
		for (it = 0, t0 = now(); now() - t0 < window; it++)
			ohttp_once(gw, &kc[0], prompt, n);
		trip = (now() - t0) / (double)it;
		printf("%8zu %12.0f %12.1f %12.2f %12.1f %12.1f %8.2f\n", n, 1.0 / trip, trip * 1e6, plain * 1e6,
		       (trip - plain) * 1e6, hfloor * 1e6, (trip - plain) / hfloor);
		free(prompt);
		free(b1);
		free(b2);
	}
	printf("# ratio = overhead / HPKE floor (goal <= 1.5): what Binary HTTP, the OHTTP framing and the\n"
	       "# copies cost on top of the HPKE operations a round trip needs\n");
	ccg_ohttp_gateway_free(gw);
	EVP_PKEY_free(sk);
	free(keys);
	return (int)(sink & 0);
}
