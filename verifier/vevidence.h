/* SPDX-License-Identifier: Apache-2.0 */
/*
 * TEMPORARY SHIM (branch party): declaration-only copy of the SHARED header
 * verifier/vevidence.h whose owner is branch vtee (docs: the release-api
 * brief, "GET /v1/verifier/evidence"). It declares exactly the interface
 * agreed there, so the party CLI compiles against it; it defines nothing and
 * nothing here is linked. At merge, vtee's header replaces this file whole.
 *
 * The verifier's own TEE evidence binding its public keys:
 *   binding = SHA-384("ccgpu-verifier-evidence/v1" ‖ nonce (32 bytes) ‖
 *             RFC 7638 SHA-256 thumbprint of keys.token ‖ thumbprint of keys.upload)
 */
#ifndef CCGPU_VERIFIER_VEVIDENCE_H
#define CCGPU_VERIFIER_VEVIDENCE_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "ccgpu/cpu.h"
#include "ccgpu/policy.h"
#include "ccgpu/status.h"

/* binding as above */
CCG_MUST_USE enum ccg_status ccg_vevidence_binding(const uint8_t nonce[32], const json_t *token_jwk,
						   const json_t *upload_jwk, uint8_t out[48], struct ccg_error *err);
/*
 * party side: parses doc (the 200 body), checks nonce echo, recomputes the
 * binding, appraises doc.cpu with cv (the party's CPU verifier: TPM AK etc.)
 * over that binding, and, when policy != NULL, evaluates the party's policy on
 * the CPU claims. On success returns new references to the two JWKs. Every
 * refusal names the check.
 */
CCG_MUST_USE enum ccg_status ccg_vevidence_check(const uint8_t *doc, size_t len, const uint8_t nonce[32],
						 struct ccg_cpu_verifier *cv, const struct ccg_policy *policy,
						 int64_t now, json_t **out_token_jwk, json_t **out_upload_jwk,
						 struct ccg_error *err);

#endif
