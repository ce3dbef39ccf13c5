/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Oblivious HTTP (RFC 9458, ohttp/ohttp.c, ohttp/gateway.c): Appendix A's
 * complete example — key configuration, encapsulated request from the
 * given ephemeral key, every intermediate value of the response key
 * (exported secret, salt, prk, key, nonce), encapsulated response — byte
 * for byte on both sides; every byte of the encapsulated request and
 * response flipped and every truncation refused; one answer per request;
 * the key configuration codec; the gateway's public API.
 */
#include <stdarg.h>
#include <setjmp.h>
#include <stddef.h>
#include <cmocka.h>
#include <jansson.h>
#include <openssl/pem.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/encoding.h"
#include "common/hpke.h"
#include "ohttp/ohttp.h"

/* RFC 9458 Appendix A */
#define A_SKR "3c168975674b2fa8e465970b79c8dcf09f1c741626480bd4c6162fc5b6a98e1a"
#define A_KEY_CONFIG "01002031e1f05a740102115220e9af918f738674aec95f54db6e04eb705aae8e79815500080001000100010003"
#define A_REQUEST "00034745540568747470730b6578616d706c652e636f6d012f"
#define A_SKE "bc51d5e930bda26589890ac7032f70ad12e4ecb37abb1b65b1256c9c48999c73"
#define A_PKE "4b28f881333e7c164ffc499ad9796f877f4e1051ee6d31bad19dec96c208b472"
#define A_INFO "6d6573736167652f626874747020726571756573740001002000010001"
#define A_ENC_REQUEST \
	"010020000100014b28f881333e7c164ffc499ad9796f877f4e1051ee6d31bad19dec96c208b4726374e469135906992e1268c5" \
	"94d2a10c695d858c40a026e7965e7d86b83dd440b2c0185204b4d63525"
#define A_RESPONSE "0140c8"
#define A_SECRET "62d87a6ba569ee81014c2641f52bea36"
#define A_RESPONSE_NONCE "c789e7151fcba46158ca84b04464910d"
#define A_PRK "979aaeae066cf211ab407b31ae49767f344e1501e475c84e8aff547cc5a683db"
#define A_AEAD_KEY "5d0172a080e428b16d298c4ea0db620d"
#define A_AEAD_NONCE "f6bf1aeb88d6df87007fa263"
#define A_ENC_RESPONSE "c789e7151fcba46158ca84b04464910d86f9013e404feea014e7be4a441f234f857fbd"

#define SUITE CCG_HPKE_X25519_SHA256_AES128GCM

static uint8_t *unhex(const char *h, size_t *len)
{
	uint8_t *b = NULL;

	assert_int_equal(ccg_hex_decode(h, strlen(h), 1 << 20, &b, len), CCG_OK);
	return b;
}

static void assert_hex(const uint8_t *got, size_t got_len, const char *want)
{
	size_t n;
	uint8_t *w = unhex(want, &n);

	assert_int_equal(got_len, n);
	assert_memory_equal(got, w, n);
	free(w);
}

static EVP_PKEY *x25519(const char *hex)
{
	size_t n;
	uint8_t *b = unhex(hex, &n);
	EVP_PKEY *k = EVP_PKEY_new_raw_private_key(EVP_PKEY_X25519, NULL, b, n);

	assert_non_null(k);
	free(b);
	return k;
}

static void vector_config(struct ccg_ohttp_key_config *kc)
{
	size_t n;
	uint8_t *b = unhex(A_KEY_CONFIG, &n);

	assert_int_equal(ccg_ohttp_key_config_parse(b, n, kc, NULL), CCG_OK);
	free(b);
}

static void test_key_config(void **state)
{
	struct ccg_ohttp_key_config kc, list[4];
	enum ccg_hpke_suite suite = 0;
	uint8_t *b, *enc = NULL, *withlen;
	size_t n, en = 0, count = 0;

	(void)state;
	b = unhex(A_KEY_CONFIG, &n);
	assert_int_equal(ccg_ohttp_key_config_parse(b, n, &kc, NULL), CCG_OK);
	assert_int_equal(kc.key_id, 1);
	assert_int_equal(kc.kem_id, 0x0020);
	assert_hex(kc.pk, kc.pk_len, "31e1f05a740102115220e9af918f738674aec95f54db6e04eb705aae8e798155");
	assert_int_equal(kc.n_algs, 2);
	assert_int_equal(kc.algs[0].kdf_id, 1);
	assert_int_equal(kc.algs[0].aead_id, 1);
	assert_int_equal(kc.algs[1].aead_id, 3); /* ChaCha20Poly1305: listed, not a suite ccgpu has */
	assert_int_equal(ccg_ohttp_key_config_suite(&kc, &suite, NULL), CCG_OK);
	assert_int_equal(suite, SUITE);
	assert_int_equal(ccg_ohttp_key_config_encode(&kc, &enc, &en, NULL), CCG_OK);
	assert_int_equal(en, n);
	assert_memory_equal(enc, b, n);
	free(enc);
	/* as an application/ohttp-keys list: 2-byte length, the configuration */
	assert_int_equal(ccg_ohttp_keys_encode(&kc, 1, &enc, &en, NULL), CCG_OK);
	assert_int_equal(en, n + 2);
	assert_int_equal(enc[0], 0);
	assert_int_equal(enc[1], n);
	assert_memory_equal(enc + 2, b, n);
	assert_int_equal(ccg_ohttp_keys_parse(enc, en, list, 4, &count, NULL), CCG_OK);
	assert_int_equal(count, 1);
	assert_memory_equal(list[0].pk, kc.pk, 32);
	/* every truncation of the list is refused: §3.2, the whole list is discarded */
	for (size_t l = 0; l < en; l++) {
		struct ccg_error err;

		ccg_error_clear(&err);
		assert_int_not_equal(ccg_ohttp_keys_parse(enc, l, list, 4, &count, &err), CCG_OK);
		assert_int_equal(err.status, CCG_ERR_TRUNCATED);
	}
	free(enc);
	/* every truncation of one configuration, a byte after it, algorithms of a bad length */
	for (size_t l = 0; l < n; l++)
		assert_int_equal(ccg_ohttp_key_config_parse(b, l, &kc, NULL), CCG_ERR_TRUNCATED);
	withlen = malloc(n + 1);
	memcpy(withlen, b, n);
	withlen[n] = 0;
	assert_int_equal(ccg_ohttp_key_config_parse(withlen, n + 1, &kc, NULL), CCG_ERR_TRAILING_DATA);
	withlen[36] = 7; /* algorithms length 7 */
	assert_int_equal(ccg_ohttp_key_config_parse(withlen, n + 1, &kc, NULL), CCG_ERR_MALFORMED);
	withlen[36] = 0; /* 0 */
	assert_int_equal(ccg_ohttp_key_config_parse(withlen, 37, &kc, NULL), CCG_ERR_MALFORMED);
	/* a KEM ccgpu does not have, a KDF/AEAD pair that makes no suite */
	memcpy(withlen, b, n);
	withlen[2] = 0x21;
	assert_int_equal(ccg_ohttp_key_config_parse(withlen, n, &kc, NULL), CCG_ERR_UNSUPPORTED);
	withlen[2] = 0x20;
	withlen[40] = 3;
	assert_int_equal(ccg_ohttp_key_config_parse(withlen, n, &kc, NULL), CCG_OK);
	assert_int_equal(ccg_ohttp_key_config_suite(&kc, &suite, NULL), CCG_ERR_UNSUPPORTED);
	free(withlen);
	/* a list whose one configuration has an unknown KEM has nothing usable; beside a good one it is skipped */
	{
		uint8_t two[2 * (2 + 45)];

		two[0] = 0;
		two[1] = (uint8_t)n;
		memcpy(two + 2, b, n);
		two[4] = 0x99;
		assert_int_equal(ccg_ohttp_keys_parse(two, 2 + n, list, 4, &count, NULL), CCG_ERR_UNSUPPORTED);
		two[2 + n] = 0;
		two[3 + n] = (uint8_t)n;
		memcpy(two + 4 + n, b, n);
		assert_int_equal(ccg_ohttp_keys_parse(two, 2 * (2 + n), list, 4, &count, NULL), CCG_OK);
		assert_int_equal(count, 1);
		assert_int_equal(list[0].kem_id, 0x20);
	}
	free(b);
}

/* the client's encapsulated request from Appendix A's ephemeral key, and its context */
static struct ccg_ohttp_ctx *vector_client(uint8_t **enc_req, size_t *enc_req_len)
{
	struct ccg_ohttp_key_config kc;
	struct ccg_ohttp_ctx *ctx = NULL;
	EVP_PKEY *ske = x25519(A_SKE);
	size_t rl;
	uint8_t *req = unhex(A_REQUEST, &rl);

	vector_config(&kc);
	assert_int_equal(ccg_ohttp_request_encapsulate_fixed(&kc, ske, req, rl, enc_req, enc_req_len, &ctx, NULL),
			 CCG_OK);
	EVP_PKEY_free(ske);
	free(req);
	return ctx;
}

static void test_request_vector(void **state)
{
	EVP_PKEY *skr = x25519(A_SKR);
	struct ccg_ohttp_ctx *cctx, *gctx = NULL;
	uint8_t *enc = NULL, *pt = NULL;
	size_t n = 0, pl = 0;

	(void)state;
	cctx = vector_client(&enc, &n);
	assert_hex(enc, n, A_ENC_REQUEST);
	assert_int_equal(ccg_ohttp_request_decapsulate(1, SUITE, skr, enc, n, &pt, &pl, &gctx, NULL), CCG_OK);
	assert_hex(pt, pl, A_REQUEST);
	ccg_ohttp_free_plaintext(pt, pl);
	ccg_ohttp_ctx_free(gctx);
	ccg_ohttp_ctx_free(cctx);
	free(enc);
	EVP_PKEY_free(skr);
}

/* each step of §4.4 on the gateway's context, then the encapsulated response and the client opening it */
static void test_response_vector(void **state)
{
	EVP_PKEY *skr = x25519(A_SKR);
	struct ccg_hpke_ctx *h = NULL, *aead = NULL;
	struct ccg_ohttp_ctx *cctx, *gctx = NULL;
	uint8_t *enc = NULL, *pt = NULL, *res = NULL, *info, *pke, *rn, *resp, secret[16], prk[32], key[16], nonce[12],
		salt[48];
	size_t n = 0, pl = 0, rl = 0, il, pkel, rnl, respl, ctl = 0;

	(void)state;
	info = unhex(A_INFO, &il);
	pke = unhex(A_PKE, &pkel);
	rn = unhex(A_RESPONSE_NONCE, &rnl);
	resp = unhex(A_RESPONSE, &respl);
	/* the HPKE pieces on their own: export, Extract, Expand ("key", "nonce"), Seal */
	assert_int_equal(ccg_hpke_setup_r(SUITE, skr, pke, pkel, info, il, &h, NULL), CCG_OK);
	assert_int_equal(ccg_hpke_ctx_export(h, (const uint8_t *)"message/bhttp response", 22, secret, sizeof(secret),
					     NULL),
			 CCG_OK);
	assert_hex(secret, sizeof(secret), A_SECRET);
	memcpy(salt, pke, 32);
	memcpy(salt + 32, rn, 16);
	assert_int_equal(ccg_hpke_kdf_extract(SUITE, salt, sizeof(salt), secret, sizeof(secret), prk, sizeof(prk),
					      NULL),
			 CCG_OK);
	assert_hex(prk, sizeof(prk), A_PRK);
	assert_int_equal(ccg_hpke_kdf_expand(SUITE, prk, sizeof(prk), (const uint8_t *)"key", 3, key, sizeof(key),
					     NULL),
			 CCG_OK);
	assert_hex(key, sizeof(key), A_AEAD_KEY);
	assert_int_equal(ccg_hpke_kdf_expand(SUITE, prk, sizeof(prk), (const uint8_t *)"nonce", 5, nonce, sizeof(nonce),
					     NULL),
			 CCG_OK);
	assert_hex(nonce, sizeof(nonce), A_AEAD_NONCE);
	/* the plain KDF and AEAD pieces refuse lengths that are not the suite's */
	assert_int_equal(ccg_hpke_kdf_extract(SUITE, salt, sizeof(salt), secret, sizeof(secret), prk, 31, NULL),
			 CCG_ERR_INVALID_ARG);
	assert_int_equal(ccg_hpke_kdf_expand(SUITE, prk, sizeof(prk), NULL, 0, key, 0, NULL), CCG_ERR_INVALID_ARG);
	assert_int_equal(ccg_hpke_kdf_expand(SUITE, prk, 31, NULL, 0, key, 16, NULL), CCG_ERR_INVALID_ARG);
	assert_int_equal(ccg_hpke_ctx_from_key(SUITE, true, key, 15, nonce, sizeof(nonce), &aead, NULL),
			 CCG_ERR_INVALID_ARG);
	assert_int_equal(ccg_hpke_ctx_from_key(SUITE, true, key, sizeof(key), nonce, 11, &aead, NULL),
			 CCG_ERR_INVALID_ARG);
	assert_null(aead);
	assert_int_equal(ccg_hpke_ctx_from_key(SUITE, true, key, sizeof(key), nonce, sizeof(nonce), &aead, NULL),
			 CCG_OK);
	{
		uint8_t ct[3 + 16];

		assert_int_equal(ccg_hpke_ctx_seal(aead, NULL, 0, resp, respl, ct, sizeof(ct), &ctl, NULL), CCG_OK);
		assert_hex(ct, ctl, &A_ENC_RESPONSE[32]);
		/* a context made from a bare key has no exporter secret */
		assert_int_equal(ccg_hpke_ctx_export(aead, NULL, 0, secret, 16, NULL), CCG_ERR_INVALID_ARG);
	}
	/* the same through the OHTTP layer */
	cctx = vector_client(&enc, &n);
	assert_int_equal(ccg_ohttp_request_decapsulate(1, SUITE, skr, enc, n, &pt, &pl, &gctx, NULL), CCG_OK);
	assert_int_equal(ccg_ohttp_response_encapsulate_fixed(gctx, rn, rnl, resp, respl, &res, &rl, NULL), CCG_OK);
	assert_hex(res, rl, A_ENC_RESPONSE);
	free(res);
	res = NULL;
	/* one answer per request */
	assert_int_equal(ccg_ohttp_response_encapsulate(gctx, resp, respl, &res, &rl, NULL), CCG_ERR_INVALID_ARG);
	ccg_ohttp_free_plaintext(pt, pl);
	pt = NULL;
	{
		size_t el;
		uint8_t *er = unhex(A_ENC_RESPONSE, &el);

		/* a gateway context does not open, a client context does not answer */
		assert_int_equal(ccg_ohttp_response_open(gctx, er, el, &pt, &pl, NULL), CCG_ERR_INVALID_ARG);
		assert_int_equal(ccg_ohttp_response_encapsulate(cctx, resp, respl, &res, &rl, NULL),
				 CCG_ERR_INVALID_ARG);
		assert_int_equal(ccg_ohttp_response_open(cctx, er, el, &pt, &pl, NULL), CCG_OK);
		assert_hex(pt, pl, A_RESPONSE);
		ccg_ohttp_free_plaintext(pt, pl);
		pt = NULL;
		/* a response is opened once */
		assert_int_equal(ccg_ohttp_response_open(cctx, er, el, &pt, &pl, NULL), CCG_ERR_INVALID_ARG);
		assert_null(pt);
		free(er);
	}
	ccg_ohttp_ctx_free(gctx);
	ccg_ohttp_ctx_free(cctx);
	ccg_hpke_ctx_free(h);
	ccg_hpke_ctx_free(aead);
	free(enc);
	free(info);
	free(pke);
	free(rn);
	free(resp);
	EVP_PKEY_free(skr);
}

/* every byte of the encapsulated request flipped, and every truncation: the gateway never opens it */
static void test_request_flips(void **state)
{
	EVP_PKEY *skr = x25519(A_SKR);
	size_t n;
	uint8_t *enc = unhex(A_ENC_REQUEST, &n);

	(void)state;
	for (size_t i = 0; i < n; i++)
		for (int bit = 0; bit < 8; bit += 7) {
			struct ccg_ohttp_ctx *g = NULL;
			uint8_t *pt = NULL;
			size_t pl = 0;
			struct ccg_error err;
			enum ccg_status st, want = i < 7 ? CCG_ERR_OHTTP_KEY : CCG_ERR_MAC;

			enc[i] ^= (uint8_t)(1u << bit);
			ccg_error_clear(&err);
			st = ccg_ohttp_request_decapsulate(1, SUITE, skr, enc, n, &pt, &pl, &g, &err);
			enc[i] ^= (uint8_t)(1u << bit);
			/* a changed enc may also be refused as a low-order point (hpke.dh) */
			if (st != want && !(i >= 7 && i < 39 && st == CCG_ERR_MALFORMED))
				fail_msg("byte %zu bit %d: %s at %s", i, bit, ccg_status_name(st), err.where);
			assert_null(pt);
			assert_null(g);
		}
	for (size_t l = 0; l < n; l++) {
		struct ccg_ohttp_ctx *g = NULL;
		uint8_t *copy = malloc(l + 1), *pt = NULL;
		size_t pl = 0;
		enum ccg_status st;

		memcpy(copy, enc, l);
		st = ccg_ohttp_request_decapsulate(1, SUITE, skr, copy, l, &pt, &pl, &g, NULL);
		/* short of the tag: TRUNCATED; a tag's worth but cut: the tag does not verify */
		assert_int_equal(st, l < 7 + 32 + 16 ? CCG_ERR_TRUNCATED : CCG_ERR_MAC);
		assert_null(pt);
		free(copy);
	}
	/* another gateway key id, or its key under the same id */
	{
		struct ccg_ohttp_ctx *g = NULL;
		uint8_t *pt = NULL;
		size_t pl = 0;
		struct ccg_error err;
		EVP_PKEY *other = x25519(A_SKE);

		ccg_error_clear(&err);
		assert_int_equal(ccg_ohttp_request_decapsulate(2, SUITE, skr, enc, n, &pt, &pl, &g, &err),
				 CCG_ERR_OHTTP_KEY);
		assert_string_equal(err.where, "ohttp.request.key_id");
		ccg_error_clear(&err);
		assert_int_equal(ccg_ohttp_request_decapsulate(1, CCG_HPKE_P384_SHA384_AES256GCM, skr, enc, n, &pt, &pl,
							       &g, &err),
				 CCG_ERR_OHTTP_KEY); /* a gateway of another suite */
		assert_string_equal(err.where, "ohttp.request.suite");
		assert_int_equal(ccg_ohttp_request_decapsulate(1, SUITE, other, enc, n, &pt, &pl, &g, NULL),
				 CCG_ERR_MAC);
		EVP_PKEY_free(other);
	}
	free(enc);
	EVP_PKEY_free(skr);
}

/* every byte of the encapsulated response flipped, and every truncation: the client never opens it */
static void test_response_flips(void **state)
{
	size_t n;
	uint8_t *res = unhex(A_ENC_RESPONSE, &n);

	(void)state;
	for (size_t i = 0; i <= n; i++) {
		for (size_t l = (i < n ? n : 0); l < (i < n ? n + 1 : n); l++) {
			uint8_t *enc = NULL, *pt = NULL, *copy = malloc(n);
			size_t el = 0, pl = 0;
			struct ccg_ohttp_ctx *c = vector_client(&enc, &el);
			enum ccg_status st;

			memcpy(copy, res, n);
			if (i < n)
				copy[i] ^= 0x80;
			st = ccg_ohttp_response_open(c, copy, l, &pt, &pl, NULL);
			if (i < n)
				assert_int_equal(st, CCG_ERR_MAC);
			else
				assert_int_equal(st, l < 16 + 16 ? CCG_ERR_TRUNCATED : CCG_ERR_MAC);
			assert_null(pt);
			ccg_ohttp_ctx_free(c);
			free(enc);
			free(copy);
		}
	}
	free(res);
}

/* a response sealed for one request does not open in another request's context */
static void test_cross_exchange(void **state)
{
	struct ccg_ohttp_key_config kc;
	EVP_PKEY *skr = x25519(A_SKR);
	struct ccg_ohttp_ctx *c1 = NULL, *c2 = NULL, *g1 = NULL;
	uint8_t *e1 = NULL, *e2 = NULL, *pt = NULL, *res = NULL;
	size_t l1, l2, pl, rl;

	(void)state;
	vector_config(&kc);
	assert_int_equal(ccg_ohttp_request_encapsulate(&kc, (const uint8_t *)"one", 3, &e1, &l1, &c1, NULL), CCG_OK);
	assert_int_equal(ccg_ohttp_request_encapsulate(&kc, (const uint8_t *)"two", 3, &e2, &l2, &c2, NULL), CCG_OK);
	assert_memory_not_equal(e1 + 7, e2 + 7, 32); /* fresh ephemeral keys */
	assert_int_equal(ccg_ohttp_request_decapsulate(1, SUITE, skr, e1, l1, &pt, &pl, &g1, NULL), CCG_OK);
	assert_memory_equal(pt, "one", 3);
	ccg_ohttp_free_plaintext(pt, pl);
	pt = NULL;
	assert_int_equal(ccg_ohttp_response_encapsulate(g1, (const uint8_t *)"answer", 6, &res, &rl, NULL), CCG_OK);
	assert_int_equal(ccg_ohttp_response_open(c2, res, rl, &pt, &pl, NULL), CCG_ERR_MAC);
	assert_int_equal(ccg_ohttp_response_open(c1, res, rl, &pt, &pl, NULL), CCG_OK);
	assert_memory_equal(pt, "answer", 6);
	ccg_ohttp_free_plaintext(pt, pl);
	free(res);
	free(e1);
	free(e2);
	ccg_ohttp_ctx_free(c1);
	ccg_ohttp_ctx_free(c2);
	ccg_ohttp_ctx_free(g1);
	EVP_PKEY_free(skr);
}

/* the public gateway API on Appendix A's key */
static void test_gateway(void **state)
{
	struct ccg_ohttp_gateway *g = NULL, *g2 = NULL;
	struct ccg_ohttp_exchange *ex = NULL;
	struct ccg_ohttp_key_config kc[2];
	struct ccg_bhttp_msg *resp = NULL, *got = NULL;
	struct ccg_ohttp_ctx *c;
	struct ccg_error err;
	uint8_t *sk, *keys = NULL, *enc = NULL, *res = NULL, *pt = NULL;
	size_t skl, kl = 0, el = 0, rl = 0, pl = 0, count = 0;
	char *jwk = NULL;
	json_t *j;

	(void)state;
	sk = unhex(A_SKR, &skl);
	assert_int_equal(ccg_ohttp_gateway_new(1, sk, 31, &g, NULL), CCG_ERR_INVALID_ARG);
	assert_int_equal(ccg_ohttp_gateway_new(1, sk, skl, &g, NULL), CCG_OK);
	assert_int_equal(ccg_ohttp_gateway_key_config(g, &keys, &kl, NULL), CCG_OK);
	assert_hex(keys, kl, "002901002031e1f05a740102115220e9af918f738674aec95f54db6e04eb705aae8e798155000400010001");
	assert_int_equal(ccg_ohttp_keys_parse(keys, kl, kc, 2, &count, NULL), CCG_OK);
	assert_int_equal(ccg_ohttp_gateway_public_jwk(g, &jwk, NULL), CCG_OK);
	j = json_loads(jwk, 0, NULL);
	assert_non_null(j);
	assert_string_equal(json_string_value(json_object_get(j, "kty")), "OKP");
	assert_string_equal(json_string_value(json_object_get(j, "crv")), "X25519");
	assert_string_equal(json_string_value(json_object_get(j, "x")), "MeHwWnQBAhFSIOmvkY9zhnSuyV9U224E63Baro55gVU");
	assert_null(json_object_get(j, "d"));
	json_decref(j);
	free(jwk);
	/* Appendix A's request through the gateway, answered, opened by the client */
	c = vector_client(&enc, &el);
	assert_int_equal(ccg_ohttp_gateway_decapsulate(g, enc, el, &ex, NULL), CCG_OK);
	assert_string_equal(ccg_bhttp_msg_method(ccg_ohttp_exchange_request(ex)), "GET");
	assert_string_equal(ccg_bhttp_msg_authority(ccg_ohttp_exchange_request(ex)), "example.com");
	assert_int_equal(ccg_ohttp_exchange_respond(ex, ccg_ohttp_exchange_request(ex), &res, &rl, NULL),
			 CCG_ERR_INVALID_ARG);
	assert_int_equal(ccg_bhttp_response_new(200, &resp, NULL), CCG_OK);
	assert_int_equal(ccg_bhttp_msg_set_content(resp, (const uint8_t *)"hi", 2, NULL), CCG_OK);
	assert_int_equal(ccg_ohttp_exchange_respond(ex, resp, &res, &rl, NULL), CCG_OK);
	assert_int_equal(ccg_ohttp_response_open(c, res, rl, &pt, &pl, NULL), CCG_OK);
	assert_int_equal(ccg_bhttp_decode(pt, pl, &got, NULL), CCG_OK);
	assert_int_equal(ccg_bhttp_msg_status(got), 200);
	free(res);
	res = NULL;
	assert_int_equal(ccg_ohttp_exchange_respond(ex, resp, &res, &rl, NULL), CCG_ERR_INVALID_ARG);
	ccg_ohttp_exchange_free(ex);
	ex = NULL;
	/* a gateway under another key id; a freshly generated key under the same id */
	assert_int_equal(ccg_ohttp_gateway_new(2, sk, skl, &g2, NULL), CCG_OK);
	ccg_error_clear(&err);
	assert_int_equal(ccg_ohttp_gateway_decapsulate(g2, enc, el, &ex, &err), CCG_ERR_OHTTP_KEY);
	assert_null(ex);
	ccg_ohttp_gateway_free(g2);
	assert_int_equal(ccg_ohttp_gateway_new(1, NULL, 0, &g2, NULL), CCG_OK);
	assert_int_equal(ccg_ohttp_gateway_decapsulate(g2, enc, el, &ex, NULL), CCG_ERR_MAC);
	ccg_ohttp_gateway_free(g2);
	/* a BHTTP response where the request belongs */
	{
		struct ccg_ohttp_ctx *c2 = NULL;
		uint8_t *e = NULL;
		size_t n = 0;

		assert_int_equal(ccg_ohttp_request_encapsulate(&kc[0], (const uint8_t *)"\x01\x40\xc8", 3, &e, &n, &c2,
							       NULL),
				 CCG_OK);
		ccg_error_clear(&err);
		assert_int_equal(ccg_ohttp_gateway_decapsulate(g, e, n, &ex, &err), CCG_ERR_MALFORMED);
		assert_string_equal(err.where, "ohttp.request.bhttp");
		free(e);
		ccg_ohttp_ctx_free(c2);
	}
	ccg_bhttp_msg_free(got);
	ccg_bhttp_msg_free(resp);
	ccg_ohttp_free_plaintext(pt, pl);
	ccg_ohttp_ctx_free(c);
	ccg_ohttp_gateway_free(g);
	free(keys);
	free(enc);
	free(sk);
}

/* a P-384 PEM key: its own suite (KEM 0x0011, HKDF-SHA384, AES-256-GCM), an EC JWK, a full round trip */
static void test_gateway_p384(void **state)
{
	EVP_PKEY *k = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-384"), *ed = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
	BIO *b = BIO_new(BIO_s_mem()), *b2 = BIO_new(BIO_s_mem());
	struct ccg_ohttp_gateway *g = NULL;
	struct ccg_ohttp_exchange *ex = NULL;
	struct ccg_ohttp_key_config kc;
	struct ccg_ohttp_ctx *c = NULL;
	struct ccg_bhttp_msg *resp = NULL;
	struct ccg_error err;
	enum ccg_hpke_suite suite;
	char *pem = NULL, *jwk = NULL;
	uint8_t *keys = NULL, *enc = NULL, *res = NULL, *pt = NULL;
	size_t kl = 0, n = 0, el = 0, rl = 0, pl = 0;
	long len;
	json_t *j;

	(void)state;
	assert_int_equal(PEM_write_bio_PrivateKey(b, k, NULL, NULL, 0, NULL, NULL), 1);
	len = BIO_get_mem_data(b, &pem);
	assert_int_equal(ccg_ohttp_gateway_new_pem(3, (const uint8_t *)pem, (size_t)len, &g, NULL), CCG_OK);
	assert_int_equal(ccg_ohttp_gateway_key_config(g, &keys, &kl, NULL), CCG_OK);
	assert_int_equal(ccg_ohttp_keys_parse(keys, kl, &kc, 1, &n, NULL), CCG_OK);
	assert_int_equal(kc.kem_id, 0x0011);
	assert_int_equal(kc.pk_len, 97);
	assert_int_equal(ccg_ohttp_key_config_suite(&kc, &suite, NULL), CCG_OK);
	assert_int_equal(suite, CCG_HPKE_P384_SHA384_AES256GCM);
	assert_int_equal(ccg_ohttp_gateway_public_jwk(g, &jwk, NULL), CCG_OK);
	j = json_loads(jwk, 0, NULL);
	assert_string_equal(json_string_value(json_object_get(j, "kty")), "EC");
	assert_int_equal(strlen(json_string_value(json_object_get(j, "x"))), 64);
	assert_int_equal(strlen(json_string_value(json_object_get(j, "y"))), 64);
	json_decref(j);
	assert_int_equal(ccg_ohttp_request_encapsulate(&kc, (const uint8_t *)"\x00\x03GET\x00\x00\x01/", 9, &enc, &el,
						       &c, NULL),
			 CCG_OK);
	assert_int_equal(el, 7 + 97 + 9 + 16);
	assert_int_equal(ccg_ohttp_gateway_decapsulate(g, enc, el, &ex, NULL), CCG_OK);
	assert_int_equal(ccg_bhttp_response_new(204, &resp, NULL), CCG_OK);
	assert_int_equal(ccg_ohttp_exchange_respond(ex, resp, &res, &rl, NULL), CCG_OK);
	assert_int_equal(rl, 32 + 6 + 16); /* the nonce is max(Nn, Nk) = 32 bytes for AES-256-GCM */
	assert_int_equal(ccg_ohttp_response_open(c, res, rl, &pt, &pl, NULL), CCG_OK);
	assert_memory_equal(pt, "\x01\x40\xcc\x00", 4);
	/* not a PEM key; a key of neither suite */
	{
		struct ccg_ohttp_gateway *g2 = NULL;

		ccg_error_clear(&err);
		assert_int_equal(ccg_ohttp_gateway_new_pem(3, (const uint8_t *)"junk", 4, &g2, &err), CCG_ERR_ENCODING);
		assert_null(g2);
		assert_int_equal(PEM_write_bio_PrivateKey(b2, ed, NULL, NULL, 0, NULL, NULL), 1);
		len = BIO_get_mem_data(b2, &pem);
		ccg_error_clear(&err);
		assert_int_equal(ccg_ohttp_gateway_new_pem(3, (const uint8_t *)pem, (size_t)len, &g2, &err),
				 CCG_ERR_INVALID_ARG);
		assert_string_equal(err.where, "hpke.key");
		assert_null(g2);
	}
	ccg_ohttp_free_plaintext(pt, pl);
	ccg_bhttp_msg_free(resp);
	ccg_ohttp_exchange_free(ex);
	ccg_ohttp_ctx_free(c);
	ccg_ohttp_gateway_free(g);
	free(keys);
	free(enc);
	free(res);
	free(jwk);
	BIO_free(b);
	BIO_free(b2);
	EVP_PKEY_free(k);
	EVP_PKEY_free(ed);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_key_config),      cmocka_unit_test(test_request_vector),
		cmocka_unit_test(test_response_vector), cmocka_unit_test(test_request_flips),
		cmocka_unit_test(test_response_flips),  cmocka_unit_test(test_cross_exchange),
		cmocka_unit_test(test_gateway),         cmocka_unit_test(test_gateway_p384),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
