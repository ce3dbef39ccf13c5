/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The Oblivious HTTP gateway of include/ccgpu/ohttp.h: the TEE's X25519 key
 * as one key configuration (X25519 / HKDF-SHA256 / AES-128-GCM), request
 * decapsulation into a Binary HTTP request, and one encapsulated response
 * per request.
 */
#include <jansson.h>
#include <jose/b64.h>
#include <openssl/crypto.h>
#include <stdlib.h>
#include <string.h>

#include "ccgpu/ohttp.h"
#include "common/error.h"
#include "common/hpke.h"
#include "common/json.h"
#include "ohttp/ohttp.h"

#define GW_SUITE CCG_HPKE_X25519_SHA256_AES128GCM

struct ccg_ohttp_gateway {
	uint8_t key_id;
	EVP_PKEY *sk;
	struct ccg_ohttp_key_config kc;
};

struct ccg_ohttp_exchange {
	struct ccg_ohttp_ctx *ctx;
	struct ccg_bhttp_msg *request;
};

enum ccg_status ccg_ohttp_gateway_new(uint8_t key_id, const uint8_t *sk, size_t sk_len,
				      struct ccg_ohttp_gateway **out, struct ccg_error *err)
{
	struct ccg_ohttp_gateway *g = NULL;
	enum ccg_status st;

	if (out == NULL)
		return ccg_error_set(err, CCG_ERR_INVALID_ARG, "ohttp.gateway", "no output");
	*out = NULL;
	if (sk != NULL && sk_len != 32)
		return ccg_error_set(err, CCG_ERR_INVALID_ARG, "ohttp.key", "an X25519 private key is 32 bytes, not %zu",
				     sk_len);
	if ((g = calloc(1, sizeof(*g))) == NULL)
		return ccg_error_set(err, CCG_ERR_NOMEM, "ohttp.gateway", NULL);
	g->key_id = key_id;
	if (sk == NULL) {
		if ((st = ccg_hpke_keypair_generate(GW_SUITE, &g->sk, err)) != CCG_OK)
			goto out;
	} else if ((g->sk = EVP_PKEY_new_raw_private_key(EVP_PKEY_X25519, NULL, sk, sk_len)) == NULL) {
		st = ccg_error_set(err, CCG_ERR_INVALID_ARG, "ohttp.key", "not an X25519 private key");
		goto out;
	}
	g->kc.key_id = key_id;
	g->kc.kem_id = CCG_HPKE_KEM_X25519_SHA256;
	g->kc.n_algs = 1;
	if ((st = ccg_hpke_suite_ids(GW_SUITE, NULL, &g->kc.algs[0].kdf_id, &g->kc.algs[0].aead_id)) != CCG_OK ||
	    (st = ccg_hpke_public_key(GW_SUITE, g->sk, g->kc.pk, sizeof(g->kc.pk), &g->kc.pk_len, err)) != CCG_OK)
		goto out;
	*out = g;
	g = NULL;
out:
	ccg_ohttp_gateway_free(g);
	return st;
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
	/* RFC 8037 §2: an OKP key's x is the base64url of its raw public key */
	if ((jwk = json_pack("{s:s,s:s,s:o}", "kty", "OKP", "crv", "X25519", "x",
			     jose_b64_enc(g->kc.pk, g->kc.pk_len))) == NULL ||
	    (*out = ccg_json_dumps(jwk, 0)) == NULL) {
		json_decref(jwk);
		return ccg_error_set(err, CCG_ERR_NOMEM, "ohttp.gateway.jwk", NULL);
	}
	json_decref(jwk);
	return CCG_OK;
}

enum ccg_status ccg_ohttp_gateway_decapsulate(const struct ccg_ohttp_gateway *g, const uint8_t *enc_request,
					      size_t len, struct ccg_ohttp_exchange **out, struct ccg_error *err)
{
	struct ccg_ohttp_exchange *ex = NULL;
	uint8_t *pt = NULL;
	size_t pt_len = 0;
	enum ccg_status st;

	if (g == NULL || out == NULL)
		return ccg_error_set(err, CCG_ERR_INVALID_ARG, "ohttp.gateway", "NULL argument");
	*out = NULL;
	if ((ex = calloc(1, sizeof(*ex))) == NULL)
		return ccg_error_set(err, CCG_ERR_NOMEM, "ohttp.gateway", NULL);
	if ((st = ccg_ohttp_request_decapsulate(g->key_id, GW_SUITE, g->sk, enc_request, len, &pt, &pt_len, &ex->ctx,
						err)) != CCG_OK ||
	    (st = ccg_bhttp_decode(pt, pt_len, &ex->request, err)) != CCG_OK)
		goto out;
	if (!ccg_bhttp_msg_is_request(ex->request)) {
		st = ccg_error_set(err, CCG_ERR_MALFORMED, "ohttp.request.bhttp", "a response where a request belongs");
		goto out;
	}
	*out = ex;
	ex = NULL;
out:
	ccg_ohttp_free_plaintext(pt, pt_len);
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
