/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The Oblivious HTTP gateway of include/ccgpu/ohttp.h: the TEE's key as one
 * key configuration (X25519 / HKDF-SHA256 / AES-128-GCM, or P-384 /
 * HKDF-SHA384 / AES-256-GCM for a P-384 TEE key), request decapsulation into
 * a Binary HTTP request, and one encapsulated response per request.
 */
#include <jansson.h>
#include <jose/b64.h>
#include <openssl/crypto.h>
#include <openssl/pem.h>
#include <stdlib.h>
#include <string.h>

#include "ccgpu/ohttp.h"
#include "common/crypto.h"
#include "common/error.h"
#include "common/hpke.h"
#include "common/json.h"
#include "ohttp/bhttp.h"
#include "ohttp/ohttp.h"

struct ccg_ohttp_gateway {
	uint8_t key_id;
	enum ccg_hpke_suite suite;
	EVP_PKEY *sk;
	struct ccg_ohttp_key_config kc;
};

struct ccg_ohttp_exchange {
	struct ccg_ohttp_ctx *ctx;
	struct ccg_bhttp_msg *request;
};

/* the gateway around sk (taken over) for the suite: its one key configuration */
static enum ccg_status gateway_make(uint8_t key_id, enum ccg_hpke_suite suite, EVP_PKEY *sk,
				    struct ccg_ohttp_gateway **out, struct ccg_error *err)
{
	struct ccg_ohttp_gateway *g = NULL;
	enum ccg_status st;

	if ((g = calloc(1, sizeof(*g))) == NULL) {
		EVP_PKEY_free(sk);
		return ccg_error_set(err, CCG_ERR_NOMEM, "ohttp.gateway", NULL);
	}
	g->key_id = key_id;
	g->suite = suite;
	g->sk = sk;
	g->kc.key_id = key_id;
	g->kc.n_algs = 1;
	if ((st = ccg_hpke_suite_ids(suite, &g->kc.kem_id, &g->kc.algs[0].kdf_id, &g->kc.algs[0].aead_id)) != CCG_OK ||
	    (st = ccg_hpke_public_key(suite, g->sk, g->kc.pk, sizeof(g->kc.pk), &g->kc.pk_len, err)) != CCG_OK) {
		ccg_ohttp_gateway_free(g);
		return st;
	}
	*out = g;
	return CCG_OK;
}

enum ccg_status ccg_ohttp_gateway_new(uint8_t key_id, const uint8_t *sk, size_t sk_len, struct ccg_ohttp_gateway **out,
				      struct ccg_error *err)
{
	const enum ccg_hpke_suite suite = CCG_HPKE_X25519_SHA256_AES128GCM;
	EVP_PKEY *k = NULL;
	enum ccg_status st;

	if (out == NULL)
		return ccg_error_set(err, CCG_ERR_INVALID_ARG, "ohttp.gateway", "no output");
	*out = NULL;
	if (sk != NULL && sk_len != 32)
		return ccg_error_set(err, CCG_ERR_INVALID_ARG, "ohttp.key",
				     "an X25519 private key is 32 bytes, not %zu", sk_len);
	if (sk == NULL) {
		if ((st = ccg_hpke_keypair_generate(suite, &k, err)) != CCG_OK)
			return st;
	} else if ((k = EVP_PKEY_new_raw_private_key(EVP_PKEY_X25519, NULL, sk, sk_len)) == NULL) {
		return ccg_openssl_error(err, CCG_ERR_INVALID_ARG, "ohttp.key", "not an X25519 private key");
	}
	return gateway_make(key_id, suite, k, out, err);
}

enum ccg_status ccg_ohttp_gateway_new_key(uint8_t key_id, enum ccg_hpke_suite suite, EVP_PKEY *sk,
					  struct ccg_ohttp_gateway **out, struct ccg_error *err)
{
	if (out == NULL || sk == NULL ||
	    (suite != CCG_HPKE_X25519_SHA256_AES128GCM && suite != CCG_HPKE_P384_SHA384_AES256GCM)) {
		EVP_PKEY_free(sk);
		return ccg_error_set(err, CCG_ERR_INVALID_ARG, "ohttp.key", "no key, no output or another suite");
	}
	*out = NULL;
	return gateway_make(key_id, suite, sk, out, err);
}

enum ccg_status ccg_ohttp_gateway_new_pem(uint8_t key_id, const uint8_t *key_pem, size_t len,
					  struct ccg_ohttp_gateway **out, struct ccg_error *err)
{
	BIO *b = NULL;
	EVP_PKEY *k = NULL;
	enum ccg_hpke_suite suite;

	if (out == NULL || key_pem == NULL || len == 0 || len > 65536)
		return ccg_error_set(err, CCG_ERR_INVALID_ARG, "ohttp.key", "no PEM key or no output");
	*out = NULL;
	if ((b = BIO_new_mem_buf(key_pem, (int)len)) == NULL)
		return ccg_error_set(err, CCG_ERR_NOMEM, "ohttp.key", NULL);
	/* no passphrase callback: an encrypted key is refused, never prompted for */
	k = PEM_read_bio_PrivateKey(b, NULL, NULL, (void *)"");
	BIO_free(b);
	if (k == NULL)
		return ccg_openssl_error(err, CCG_ERR_ENCODING, "ohttp.key", "not a PEM private key");
	suite = EVP_PKEY_is_a(k, "X25519") == 1 ? CCG_HPKE_X25519_SHA256_AES128GCM : CCG_HPKE_P384_SHA384_AES256GCM;
	return gateway_make(key_id, suite, k, out, err);
}

void ccg_ohttp_gateway_free(struct ccg_ohttp_gateway *g)
{
	if (g == NULL)
		return;
	EVP_PKEY_free(g->sk);
	free(g);
}

enum ccg_status ccg_ohttp_gateway_key_config(const struct ccg_ohttp_gateway *g, uint8_t **out, size_t *out_len,
					     struct ccg_error *err)
{
	if (g == NULL)
		return ccg_error_set(err, CCG_ERR_INVALID_ARG, "ohttp.gateway", "NULL gateway");
	return ccg_ohttp_keys_encode(&g->kc, 1, out, out_len, err);
}

enum ccg_status ccg_ohttp_gateway_public_jwk(const struct ccg_ohttp_gateway *g, char **out, struct ccg_error *err)
{
	json_t *jwk = NULL;

	if (g == NULL || out == NULL)
		return ccg_error_set(err, CCG_ERR_INVALID_ARG, "ohttp.gateway", "NULL argument");
	*out = NULL;
	/* RFC 8037 §2: an OKP key's x is its raw public key; RFC 7518 §6.2.1: an EC key's full-length x and y */
	if (g->suite == CCG_HPKE_X25519_SHA256_AES128GCM)
		jwk = json_pack("{s:s,s:s,s:o}", "kty", "OKP", "crv", "X25519", "x",
				jose_b64_enc(g->kc.pk, g->kc.pk_len));
	else
		jwk = json_pack("{s:s,s:s,s:o,s:o}", "kty", "EC", "crv", "P-384", "x", jose_b64_enc(g->kc.pk + 1, 48),
				"y", jose_b64_enc(g->kc.pk + 49, 48));
	if (jwk == NULL || (*out = ccg_json_dumps(jwk, 0)) == NULL) {
		json_decref(jwk);
		return ccg_error_set(err, CCG_ERR_NOMEM, "ohttp.gateway.jwk", NULL);
	}
	json_decref(jwk);
	return CCG_OK;
}

enum ccg_status ccg_ohttp_gateway_decapsulate(const struct ccg_ohttp_gateway *g, const uint8_t *enc_request, size_t len,
					      struct ccg_ohttp_exchange **out, struct ccg_error *err)
{
	struct ccg_ohttp_exchange *ex = NULL;
	uint8_t *pt = NULL;
	size_t pt_len = 0, cap = 0;
	enum ccg_status st;

	if (g == NULL || out == NULL)
		return ccg_error_set(err, CCG_ERR_INVALID_ARG, "ohttp.gateway", "NULL argument");
	*out = NULL;
	if ((ex = calloc(1, sizeof(*ex))) == NULL)
		return ccg_error_set(err, CCG_ERR_NOMEM, "ohttp.gateway", NULL);
	if ((st = ccg_ohttp_request_decapsulate_buf(g->key_id, g->suite, g->sk, enc_request, len, &pt, &pt_len, &cap,
						    &ex->ctx, err)) != CCG_OK ||
	    (st = ccg_bhttp_decode_take(pt, pt_len, cap, &ex->request, err)) != CCG_OK)
		goto out;
	pt = NULL; /* the request's content lies in it: freed (wiped) with the request */
	if (!ccg_bhttp_msg_is_request(ex->request)) {
		st = ccg_error_set(err, CCG_ERR_MALFORMED, "ohttp.request.bhttp", "a response where a request belongs");
		goto out;
	}
	*out = ex;
	ex = NULL;
out:
	ccg_bhttp_buf_put(pt, cap, pt_len);
	ccg_ohttp_exchange_free(ex);
	return st;
}

const struct ccg_bhttp_msg *ccg_ohttp_exchange_request(const struct ccg_ohttp_exchange *ex)
{
	return ex != NULL ? ex->request : NULL;
}

enum ccg_status ccg_ohttp_exchange_respond(struct ccg_ohttp_exchange *ex, const struct ccg_bhttp_msg *response,
					   uint8_t **out, size_t *out_len, struct ccg_error *err)
{
	uint8_t *pt = NULL;
	size_t pt_len = 0;
	enum ccg_status st;

	if (ex == NULL || response == NULL || out == NULL || out_len == NULL)
		return ccg_error_set(err, CCG_ERR_INVALID_ARG, "ohttp.exchange", "NULL argument");
	*out = NULL;
	if (ccg_bhttp_msg_is_request(response))
		return ccg_error_set(err, CCG_ERR_INVALID_ARG, "ohttp.exchange", "the answer is a request");
	if ((st = ccg_bhttp_encode(response, false, 0, &pt, &pt_len, err)) != CCG_OK)
		return st;
	st = ccg_ohttp_response_encapsulate(ex->ctx, pt, pt_len, out, out_len, err);
	ccg_ohttp_free_plaintext(pt, pt_len);
	return st;
}

void ccg_ohttp_exchange_free(struct ccg_ohttp_exchange *ex)
{
	if (ex == NULL)
		return;
	ccg_ohttp_ctx_free(ex->ctx);
	ccg_bhttp_msg_free(ex->request);
	free(ex);
}
