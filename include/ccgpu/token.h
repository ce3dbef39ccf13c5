/* SPDX-License-Identifier: Apache-2.0 */
/*
 * EAR attestation-result tokens, the relying party's side: what
 * ccgpu-verifierd answers POST /v1/attest with (a compact JWS, ES384, claims
 * as draft-ietf-rats-ear: ear.status, submods, trust vectors, eat_nonce,
 * cnf.jwk), checked against the verifier's JWKS (its
 * /.well-known/jwks.json) at a time the caller gives. docs/protocols.md
 * describes the claims.
 */
#ifndef CCGPU_TOKEN_PUBLIC_H
#define CCGPU_TOKEN_PUBLIC_H

#include <stddef.h>
#include <stdint.h>

#include "ccgpu/status.h"

#ifdef __cplusplus
extern "C" {
#endif

/* A verified EAR token: its claims, immutable once made. */
struct ccg_token;

#define CCG_TOKEN_MAX (1024 * 1024)      /* bytes of a compact token */
#define CCG_TOKEN_JWKS_MAX (1024 * 1024) /* bytes of a JWKS document */

/*
 * ccg_token_verify: verifies the compact JWS token (token_len bytes, no NUL
 * among them) against jwks, a JWKS JSON text ({"keys": [...]}, jwks_len
 * bytes; duplicate keys and trailing text refused): the key named by the
 * token's kid (EC P-384, ES384; the algorithm is pinned, never taken from
 * the token), the EAR profile, and iat <= now < exp. now is Unix seconds and
 * is never read from the clock: pass time(NULL) to mean "now". On success
 * *out holds the token's claims (free with ccg_token_free); on failure *out
 * is NULL and err names the check: "token" (too long, NUL inside), "jwks"
 * (not JSON, no such kid: CCG_ERR_TOKEN_KEY_UNKNOWN), "jws" (signature:
 * CCG_ERR_SIGNATURE, header), "exp" (CCG_ERR_TOKEN_EXPIRED), "iat"
 * (CCG_ERR_TOKEN_NOT_YET_VALID), "eat_profile", .... Thread-safe.
 */
CCG_API CCG_MUST_USE enum ccg_status ccg_token_verify(const char *token, size_t token_len, const char *jwks,
						      size_t jwks_len, int64_t now, struct ccg_token **out,
						      struct ccg_error *err);

/*
 * ccg_token_check_nonce: the token's eat_nonce is the base64url of exactly
 * these nonce_len bytes (the relying party's own challenge); missing,
 * malformed or another nonce: CCG_ERR_NONCE_MISMATCH at "eat_nonce".
 * Thread-safe.
 */
CCG_API CCG_MUST_USE enum ccg_status ccg_token_check_nonce(const struct ccg_token *t, const uint8_t *nonce,
							   size_t nonce_len, struct ccg_error *err);

/*
 * ccg_token_status: the overall ear.status ("affirming", "warning",
 * "contraindicated", "none"), borrowed from t; NULL when the token carries
 * none. A genuine token may still say the TEE is not trustworthy: read this.
 */
CCG_API const char *ccg_token_status(const struct ccg_token *t);

/*
 * ccg_token_claims_json: the token's claims as JSON text (keys sorted,
 * indented by two spaces); malloc'd, the caller frees it; NULL when out of
 * memory.
 */
CCG_API char *ccg_token_claims_json(const struct ccg_token *t);

/* ccg_token_free: NULL is allowed. */
CCG_API void ccg_token_free(struct ccg_token *t);

/*
 * ccg_token_jwks_fetch (branch api): GET url (http:// or https:// only, no
 * redirects, at most CCG_TOKEN_JWKS_MAX bytes, 10 s), e.g. the verifier's
 * /.well-known/jwks.json, for ccg_token_verify. The answer must be HTTP 200
 * with one JSON document (duplicate keys and trailing text refused); its text
 * is returned in *out (malloc'd, NUL-terminated; the caller frees it) and
 * its length in *out_len. Errors, all at "jwks": another scheme
 * (CCG_ERR_INVALID_ARG), no answer (CCG_ERR_NETWORK), another status
 * (CCG_ERR_NETWORK with the status), too long (CCG_ERR_TOO_LARGE), not JSON
 * (CCG_ERR_ENCODING). The keys themselves are checked by ccg_token_verify.
 * Thread-safe.
 */
CCG_API CCG_MUST_USE enum ccg_status ccg_token_jwks_fetch(const char *url, char **out, size_t *out_len,
							  struct ccg_error *err);

#ifdef __cplusplus
}
#endif
#endif
