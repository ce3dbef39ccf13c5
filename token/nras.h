/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The NRAS-compatible endpoint: NVIDIA's remote attestation request
 * (POST {base}/v4/attest/gpu, also /v3/attest/gpu) answered in NVIDIA's
 * detached-EAT shape, so NVIDIA's attestation SDK configured with ccgpu's
 * base URL as its NRAS URL works unchanged (NVIDIA/attestation-sdk
 * nv-attestation-sdk-cpp: src/gpu/verify.cpp NvRemoteGpuVerifier,
 * src/verify.cpp validate_and_decode_EAT, src/claims.cpp get_detached_eat,
 * src/nv_jwt.cpp).
 *
 * Request (JSON object, nothing else accepted):
 *   nonce           64 hex digits: the 32-byte nonce the evidence must be over
 *   arch            "HOPPER" or "BLACKWELL" ("LS10", NVSwitch, is refused:
 *                   ccgpu does not appraise switch evidence yet)
 *   claims_version  "3.0" (absent: "3.0"; anything else refused)
 *   evidence_list   1..16 × {"evidence": base64 SPDM GET_MEASUREMENTS request
 *                   ‖ response, "certificate": base64 PEM device chain}
 * Answer (JSON):
 *   [["JWT", <overall token>], {"GPU-0": <token>, ..., "GPU-n": <token>}]
 * every token an ES384 compact JWS by the EAR key (header alg, typ, kid), its
 * key in the JWKS at {base}/.well-known/jwks.json (with the x5c NVIDIA's SDK
 * reads). Overall claims: sub "NVIDIA-PLATFORM-ATTESTATION", iss (the base
 * URL), iat, nbf, exp, jti, x-nvidia-ver "3.0", x-nvidia-overall-att-result,
 * eat_nonce (hex), submods {"GPU-i": ["DIGEST", ["SHA256", <hex SHA-256 of
 * that GPU's token text>]]}. Each GPU token: iss, iat, nbf, exp, jti,
 * x-nvidia-device-type "gpu" and that GPU's claims exactly as
 * ccg_gpu_verifier_appraise gives them (NVIDIA's claims 3.0 names, eat_nonce
 * among them, plus ccgpu-* claims).
 */
#ifndef CCGPU_VERIFIER_NRAS_H
#define CCGPU_VERIFIER_NRAS_H

#include <stddef.h>
#include <stdint.h>

#include "ccgpu/attest.h"
#include "ccgpu/status.h"
#include "token/ear.h"

/* The largest request body ccg_nras_handle reads (the daemon may bound it lower). */
#define CCG_NRAS_MAX_BODY (4 * 1024 * 1024)
/* The largest decoded "evidence" or "certificate" of one GPU. */
#define CCG_NRAS_MAX_ITEM (256 * 1024)

struct ccg_nras_config {
	struct ccg_gpu_verifier *gpu;  /* configured GPU verifier (trust anchors, RIMs, OCSP); borrowed */
	const struct ccg_ear_key *key; /* the signing key (its JWKS is served at {issuer}/.well-known/jwks.json) */
	const char *issuer;            /* the base URL clients are configured with: "iss" of every token */
	int64_t ttl;                   /* token lifetime in seconds; 0: 3600, as NVIDIA's */
};

/* One parsed request. */
struct ccg_nras_request {
	uint8_t nonce[CCG_GPU_NONCE_LEN];
	char arch[16];                     /* "HOPPER" or "BLACKWELL" */
	struct ccg_gpu_evidence *evidence; /* one report + chain per evidence_list entry, in order */
};

/*
 * ccg_nras_request_parse: parses and checks a request body (at most
 * CCG_NRAS_MAX_BODY bytes): duplicate or unknown members, a nonce that is
 * not 64 hex digits, an unknown arch or claims_version, an empty or too long
 * evidence_list, bad base64, an item over CCG_NRAS_MAX_ITEM: each refused
 * with err naming the member ("evidence_list[1].certificate"). *out is
 * calloc'd; free it with ccg_nras_request_free.
 */
CCG_MUST_USE enum ccg_status ccg_nras_request_parse(const uint8_t *body, size_t len, struct ccg_nras_request **out,
						    struct ccg_error *err);
/* ccg_nras_request_free: NULL is allowed. */
void ccg_nras_request_free(struct ccg_nras_request *r);

/*
 * ccg_nras_handle: parses body, appraises its evidence with cfg->gpu against
 * the request's nonce at time now (Unix seconds, passed by the caller), and
 * writes NVIDIA's detached-EAT answer (malloc'd JSON text) to *out_json.
 * Evidence that fails appraisal is still answered (as NRAS does): the tokens
 * say x-nvidia-overall-att-result false and the failed GPU's claims name the
 * check (ccgpu-error); *out_passed (optional) says whether every GPU passed.
 * Errors: a request refused by ccg_nras_request_parse (malformed input:
 * answer 400), evidence that could not be examined at all, signing failures.
 * Thread-safe when cfg->gpu is (ccg_gpu_verifier_appraise is).
 */
CCG_MUST_USE enum ccg_status ccg_nras_handle(const struct ccg_nras_config *cfg, const uint8_t *body, size_t len,
					     int64_t now, char **out_json, bool *out_passed, struct ccg_error *err);

#endif
