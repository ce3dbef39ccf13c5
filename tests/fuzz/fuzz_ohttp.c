/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Fuzz target: the encapsulated request and response parsers (ohttp/ohttp.c,
 * RFC 9458 §4.3, §4.4), on RFC 9458 Appendix A's keys. Input:
 *
 *   selector (1 byte: even → an encapsulated request for the gateway holding
 *   Appendix A's key, key id 1; odd → an encapsulated response for the
 *   client context of Appendix A's request, made from its ephemeral key)
 *   ‖ the message/ohttp-req or message/ohttp-res body
 *
 * Verdict: the status of ccg_ohttp_request_decapsulate /
 * ccg_ohttp_response_open. It aborts when an opened message's plaintext
 * length is not its ciphertext's less the header, enc, nonce and tag, or
 * when a refusal hands out plaintext or a context.
 */
#include <openssl/evp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/encoding.h"
#include "fuzz.h"
#include "ohttp/ohttp.h"

#define SUITE CCG_HPKE_X25519_SHA256_AES128GCM

static EVP_PKEY *raw_x25519(const char *hex)
{
	uint8_t sk[32];
	EVP_PKEY *k;

	if (ccg_hex_decode_fixed(hex, 64, sk, sizeof(sk)) != CCG_OK ||
	    (k = EVP_PKEY_new_raw_private_key(EVP_PKEY_X25519, NULL, sk, sizeof(sk))) == NULL)
		abort();
	return k;
}

static EVP_PKEY *gateway_key(void)
{
	static EVP_PKEY *k;

	if (k == NULL)
		k = raw_x25519("3c168975674b2fa8e465970b79c8dcf09f1c741626480bd4c6162fc5b6a98e1a");
	return k;
}

/* Appendix A's client context: its request sealed again from its ephemeral key */
static struct ccg_ohttp_ctx *client_ctx(void)
{
	static const char config[] =
		"01002031e1f05a740102115220e9af918f738674aec95f54db6e04eb705aae8e79815500080001000100010003";
	static const uint8_t request[] = {0x00, 0x03, 'G', 'E', 'T', 0x05, 'h', 't', 't', 'p', 's', 0x0b, 'e',
					  'x',  'a',  'm', 'p', 'l', 'e', '.',  'c', 'o', 'm', 0x01, '/'};
	static EVP_PKEY *ske;
	struct ccg_ohttp_key_config kc;
	struct ccg_ohttp_ctx *ctx = NULL;
	uint8_t cfg[45], *enc = NULL;
	size_t n = 0;

	if (ske == NULL)
		ske = raw_x25519("bc51d5e930bda26589890ac7032f70ad12e4ecb37abb1b65b1256c9c48999c73");
	if (ccg_hex_decode_fixed(config, sizeof(config) - 1, cfg, sizeof(cfg)) != CCG_OK ||
	    ccg_ohttp_key_config_parse(cfg, sizeof(cfg), &kc, NULL) != CCG_OK ||
	    ccg_ohttp_request_encapsulate_fixed(&kc, ske, request, sizeof(request), &enc, &n, &ctx, NULL) != CCG_OK)
		abort();
	free(enc);
	return ctx;
}

int ccg_fuzz_verdict(const uint8_t *data, size_t size)
{
	struct ccg_ohttp_ctx *ctx = NULL;
	uint8_t *pt = NULL;
	size_t pt_len = 0;
	enum ccg_status st;

	if (size < 1)
		return CCG_ERR_TRUNCATED;
	if ((data[0] & 1) == 0) {
		st = ccg_ohttp_request_decapsulate(1, SUITE, gateway_key(), data + 1, size - 1, &pt, &pt_len, &ctx, NULL);
		if (st == CCG_OK && pt_len != size - 1 - CCG_OHTTP_HEADER_LEN - 32 - CCG_HPKE_TAG_LEN)
			abort();
	} else {
		struct ccg_ohttp_ctx *c = client_ctx();

		st = ccg_ohttp_response_open(c, data + 1, size - 1, &pt, &pt_len, NULL);
		if (st == CCG_OK && pt_len != size - 1 - 16 - CCG_HPKE_TAG_LEN)
			abort();
		ccg_ohttp_ctx_free(c);
	}
	if (st != CCG_OK && (pt != NULL || ctx != NULL))
		abort();
	ccg_ohttp_free_plaintext(pt, pt_len);
	ccg_ohttp_ctx_free(ctx);
	return st;
}
