/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The request bodies ccgpu-verifierd parses (docs/api/openapi.yaml): bounded,
 * strict, and each refusal naming the member that was wrong. A fuzz target
 * (tests/fuzz/fuzz_verifierd_request.c) drives every parser here.
 */
#ifndef CCGPU_VERIFIER_REQUEST_H
#define CCGPU_VERIFIER_REQUEST_H

#include <openssl/evp.h>
#include <stddef.h>
#include <stdint.h>

#include "ccgpu/status.h"

#define VD_NONCE_LEN 32
#define VD_MAX_TEE_KEY 4096 /* bytes of the TEE public key (DER SubjectPublicKeyInfo) */

/*
 * vd_json_depth_check: refuses JSON text nested deeper than max_depth arrays
 * and objects (CCG_ERR_TOO_LARGE, where "body") before a parser recurses into
 * it. Looks only at brackets outside strings; the parser checks the rest.
 */
CCG_MUST_USE enum ccg_status vd_json_depth_check(const uint8_t *body, size_t len, unsigned max_depth,
						 struct ccg_error *err);

/* POST /v1/challenge: an empty body or an empty JSON object. */
CCG_MUST_USE enum ccg_status vd_challenge_request_parse(const uint8_t *body, size_t len, unsigned max_depth,
							struct ccg_error *err);

/* POST /v1/attest: {"nonce": "<64 hex>", "evidence": <composite document>} */
struct vd_attest_request {
	uint8_t nonce[VD_NONCE_LEN];
	char *evidence;         /* the composite document as compact JSON text (malloc'd) */
	size_t evidence_len;
	EVP_PKEY *tee_key;      /* evidence.tee_public_key: a DER SubjectPublicKeyInfo */
	uint8_t evidence_sha256[32]; /* of the evidence text, for the log */
};

/*
 * vd_attest_request_parse: parses and checks the body: no other members, the
 * nonce 32 bytes of hex, the evidence an object whose tee_public_key is
 * base64 of a DER public key (EC, RSA or X25519) and whose nonce is the request's.
 * max bounds the body. *out is filled only on CCG_OK; cleanup either way.
 */
CCG_MUST_USE enum ccg_status vd_attest_request_parse(const uint8_t *body, size_t len, size_t max,
						     unsigned max_depth, struct vd_attest_request *out,
						     struct ccg_error *err);
void vd_attest_request_cleanup(struct vd_attest_request *r);

#endif
