/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The verifier's own TEE evidence (branch vtee; the party layer since branch api): what
 * GET /v1/verifier/evidence?nonce= answers, and how a party checks it before
 * it sends the verifier anything (docs/protocols.md, "The verifier's evidence"):
 *
 *   {"ccgpu-verifier-evidence": 1,
 *    "nonce": "<64 hex, the party's, echoed>",
 *    "keys": {"token": <public JWK of the EAR/STH signing key>,
 *             "upload": <public JWK of the HPKE upload key>},
 *    "binding": "<96 hex>",
 *    "cpu": <CPU evidence object; TPM: as `ccgpu collect --cpu tpm` writes it>}
 *
 *   binding = SHA-384("ccgpu-verifier-evidence/v1" ‖ nonce (32 bytes) ‖
 *                     SHA-256 JWK thumbprint (RFC 7638, 32 raw bytes) of keys.token ‖
 *                     that of keys.upload)
 *
 * The CPU evidence's report_data (TPM: the quote's extraData) is the 64 bytes
 * binding ‖ 16 zero bytes: every CPU TEE's report_data is 64 bytes, and
 * ccg_cpu_verifier_appraise compares all 64.
 */
#ifndef CCGPU_PARTY_VEVIDENCE_H
#define CCGPU_PARTY_VEVIDENCE_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ccgpu/cpu.h"
#include "ccgpu/party.h"
#include "ccgpu/policy.h"
#include "ccgpu/status.h"

#define CCG_VEVIDENCE_VERSION 1
#define CCG_VEVIDENCE_LABEL "ccgpu-verifier-evidence/v1"
#define CCG_VEVIDENCE_NONCE_LEN 32
#define CCG_VEVIDENCE_BINDING_LEN 48
/* the largest document a party reads (a TPM quote's is about 4 KiB) */
/* CCG_VEVIDENCE_MAX: ccgpu/party.h */
/* the "alg" the upload key's JWK must carry */
#define CCG_VEVIDENCE_UPLOAD_ALG "HPKE-P384-SHA384-AES256GCM"
/* the SHA-256 PCRs the daemon quotes: all 24 */
#define CCG_VEVIDENCE_PCRS 0xFFFFFFu

/*
 * ccg_vevidence_binding: the binding above. The JWKs must have the members
 * RFC 7638 hashes (EC: crv, kty, x, y); else CCG_ERR_MALFORMED naming
 * "vevidence.keys.token" / "vevidence.keys.upload". Thread-safe.
 */
CCG_MUST_USE enum ccg_status ccg_vevidence_binding(const uint8_t nonce[32], const json_t *token_jwk,
						   const json_t *upload_jwk, uint8_t out[48], struct ccg_error *err);

/*
 * ccg_vevidence_jwk_member: name is a member a key of the document may have:
 * kty, crv, x, y, kid (the RFC 7638 thumbprint, base64url), use, alg. The
 * binding covers all of them (kid through the thumbprint it must equal, use
 * and alg through their fixed values); anything else (x5c, a private "d") is
 * left out by ccg_vevidence_make and refused by ccg_vevidence_check.
 */
bool ccg_vevidence_jwk_member(const char *name);

/*
 * ccg_vevidence_report_data: the 64-byte CPU report_data of a binding
 * (binding ‖ 16 zero bytes).
 */
void ccg_vevidence_report_data(const uint8_t binding[48], uint8_t out[64]);

/* ccg_vevidence_check (the party's side): ccgpu/party.h (exported, branch api). */

#endif
