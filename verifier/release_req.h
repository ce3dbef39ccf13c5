/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The request bodies of ccgpu-verifierd's release routes (issue 14,
 * docs/protocols.md "Secret release"): bounded, strict (exactly the members
 * listed, no other), each refusal naming the member. Decoding only: what the
 * values mean is decided by verifier/release_routes.c. Driven by the fuzz
 * targets tests/fuzz/fuzz_release_request.c and fuzz_upload_request.c.
 */
#ifndef CCGPU_VERIFIER_RELEASE_REQ_H
#define CCGPU_VERIFIER_RELEASE_REQ_H

#include <stddef.h>
#include <stdint.h>

#include "ccgpu/status.h"
#include "common/hpke.h"
#include "verifier/secrets.h"

#define VD_UPLOAD_SUITE "P384-SHA384-AES256GCM"
#define VD_UPLOAD_INFO "ccgpu-secret-upload/v1"
#define VD_RELEASE_INFO "ccgpu-release/v1"
#define VD_SUITE_X25519 "X25519-SHA256-AES128GCM"
#define VD_MAX_KID 128
#define VD_MAX_CONTRACT_BODY (2u << 20) /* the document (1 MiB) and its signatures */

/* POST /v1/contracts: {"document": TEXT, "signatures": [TEXT, ...]} */
struct vd_contract_body {
	char *document; /* malloc'd, NUL-terminated */
	size_t document_len;
	char **sigs; /* n_sigs malloc'd texts */
	size_t n_sigs;
};
CCG_MUST_USE enum ccg_status vd_contract_body_parse(const uint8_t *body, size_t len, unsigned max_depth,
						    struct vd_contract_body *out, struct ccg_error *err);
void vd_contract_body_cleanup(struct vd_contract_body *b);

/* PUT /v1/contracts/{c}/secrets/{s}: {"suite", "kid", "enc", "ct"} (base64url) */
struct vd_upload_body {
	char kid[VD_MAX_KID + 1];
	uint8_t *sealed; /* enc ‖ ct as ccg_hpke_open takes it (malloc'd) */
	size_t sealed_len;
};
/* suite must be VD_UPLOAD_SUITE; enc 97 bytes; ct 17 .. CCG_SECRET_MAX_LEN + 16 bytes. */
CCG_MUST_USE enum ccg_status vd_upload_body_parse(const uint8_t *body, size_t len, unsigned max_depth,
						  struct vd_upload_body *out, struct ccg_error *err);
void vd_upload_body_cleanup(struct vd_upload_body *b);

/* POST /v1/contracts/{c}/suspend and /resume: {"secret": NAME} or {} (out[0] = '\0') */
CCG_MUST_USE enum ccg_status vd_suspend_body_parse(const uint8_t *body, size_t len, unsigned max_depth,
						   char out_secret[CCG_SECRET_MAX_NAME + 1], struct ccg_error *err);

/* POST /v1/release: {"token": JWS, "contract": NAME, "secret": NAME} */
struct vd_release_body {
	char *token; /* malloc'd */
	char contract[CCG_SECRET_MAX_NAME + 1];
	char secret[CCG_SECRET_MAX_NAME + 1];
};
CCG_MUST_USE enum ccg_status vd_release_body_parse(const uint8_t *body, size_t len, unsigned max_depth,
						   struct vd_release_body *out, struct ccg_error *err);
void vd_release_body_cleanup(struct vd_release_body *b);

/*
 * vd_release_aad: the release's HPKE aad: SHA-384(token) ‖ contract ‖ 0x00 ‖
 * secret (malloc'd). (The upload's, contract ‖ 0x00 ‖ secret ‖ 0x00 ‖
 * contract version id, is ccg_secrets_aad's form without a version.)
 */
CCG_MUST_USE enum ccg_status vd_release_aad(const char *token, const char *contract, const char *secret, uint8_t **out,
					    size_t *out_len, struct ccg_error *err);

#endif
