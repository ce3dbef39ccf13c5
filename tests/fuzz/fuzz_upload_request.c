/* SPDX-License-Identifier: Apache-2.0 */
/*
 * libFuzzer target for the body of PUT /v1/contracts/{c}/secrets/{s}
 * (verifier/release_req.h): any bytes as {"suite", "kid", "enc", "ct"},
 * then, as the daemon does, the sealed secret opened with a fixed upload key
 * (DeriveKeyPair of a fixed ikm: its private half is in this file, for the
 * fuzzer only) for contract "llm-serving", secret "model-key", the contract
 * version whose id is FUZZ_CONTRACT_ID. The corpus holds an upload sealed to that key
 * (corpus/upload_request/valid.json), so mutations start from a body that
 * opens. An accepted body must have a 97-byte enc and a ciphertext within
 * the secret bound; a secret that opens must be the sealed one's length; a
 * refusal must name what failed.
 */
#include <stdlib.h>
#include <string.h>

#include "common/hpke.h"
#include "fuzz.h"
#include "verifier/release_req.h"
#include "verifier/secrets.h"

/* the id (SHA-384 hex) of the contract version the seeds were sealed for */
#define FUZZ_CONTRACT_ID \
	"5a1c0ffee5a1c0ffee5a1c0ffee5a1c0ffee5a1c0ffee5a1c0ffee5a1c0ffee5a1c0ffee5a1c0ffee5a1c0ffee5a1c0f"

static EVP_PKEY *key;

int ccg_fuzz_init(void)
{
	uint8_t ikm[48];

	for (size_t i = 0; i < sizeof(ikm); i++)
		ikm[i] = (uint8_t)(0xa0 + i);
	if (ccg_hpke_keypair_derive(CCG_HPKE_P384_SHA384_AES256GCM, ikm, sizeof(ikm), &key, NULL) != CCG_OK)
		abort();
	return 0;
}

int ccg_fuzz_verdict(const uint8_t *data, size_t size)
{
	struct vd_upload_body b;
	struct ccg_error err;
	uint8_t aad[300], *pt;
	size_t aad_len = 0, pt_len = 0;
	enum ccg_status st;

	if (key == NULL && ccg_fuzz_init() != 0)
		abort();
	ccg_error_clear(&err);
	st = vd_upload_body_parse(data, size, 32, &b, &err);
	if (st != CCG_OK) {
		if (err.where[0] == '\0')
			abort();
		return (int)st;
	}
	if (b.sealed_len < CCG_HPKE_MAX_ENC_LEN + CCG_HPKE_TAG_LEN + 1 ||
	    b.sealed_len > CCG_HPKE_MAX_ENC_LEN + CCG_HPKE_TAG_LEN + CCG_SECRET_MAX_LEN || b.kid[0] == '\0')
		abort();
	if (ccg_secrets_aad("llm-serving", "model-key", FUZZ_CONTRACT_ID, 0, aad, sizeof(aad), &aad_len, NULL) !=
		    CCG_OK ||
	    (pt = malloc(b.sealed_len)) == NULL)
		abort();
	st = ccg_hpke_open(CCG_HPKE_P384_SHA384_AES256GCM, key, b.sealed, b.sealed_len,
			   (const uint8_t *)CCG_HPKE_INFO_UPLOAD, strlen(CCG_HPKE_INFO_UPLOAD), aad, aad_len, pt,
			   b.sealed_len, &pt_len, &err);
	if (st == CCG_OK && pt_len != b.sealed_len - CCG_HPKE_MAX_ENC_LEN - CCG_HPKE_TAG_LEN)
		abort();
	if (st != CCG_OK && err.where[0] == '\0')
		abort();
	free(pt);
	vd_upload_body_cleanup(&b);
	return (int)st;
}
