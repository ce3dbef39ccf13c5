/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The workload's TEE key as a JWK (the EAR token's cnf.jwk) — branch guest,
 * issue 15. The TEE key is EC P-384 or X25519 (the OHTTP key is the TEE key):
 *
 *   EC P-384  {"kty":"EC","crv":"P-384","x":…,"y":…}     (RFC 7518 §6.2, by libjose)
 *   X25519    {"kty":"OKP","crv":"X25519","x":…}          (RFC 8037 §2; libjose 11 has no OKP keys,
 *                                                         so the three members are written here)
 *
 * and back from a token's cnf.jwk to what HPKE needs to wrap a secret to it
 * (the suite of the key and its SerializePublicKey bytes, common/hpke.h), the
 * comparison a guest makes of cnf.jwk with its own key, and the RFC 7638
 * thumbprint the release log names a recipient by. Part of the token layer
 * (verifier/ear.h) the daemon, the CLI and libccgpu link.
 */
#ifndef CCGPU_VERIFIER_TEE_JWK_H
#define CCGPU_VERIFIER_TEE_JWK_H

#include <jansson.h>
#include <openssl/evp.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ccgpu/status.h"
#include "common/hpke.h"

/* RFC 7638 SHA-256 thumbprint, base64url without padding: 43 characters */
#define CCG_TEE_JWK_THUMBPRINT_LEN 43

/*
 * ccg_tee_jwk_from_pkey: the public JWK of k (public or private: only public
 * members are written). EC keys (any curve libjose knows) and RSA keys go
 * through libjose as before; X25519 is written as RFC 8037 OKP. Any other
 * type (Ed25519, X448, …): CCG_ERR_UNSUPPORTED at "tee_public_key". New
 * reference in *out.
 */
CCG_MUST_USE enum ccg_status ccg_tee_jwk_from_pkey(EVP_PKEY *k, json_t **out, struct ccg_error *err);

/*
 * ccg_tee_jwk_equal: a and b are the same public key: same kty and crv and
 * the same x (and y for EC; n and e for RSA), compared as decoded bytes (so
 * two encodings of one key compare equal and nothing else does). Other
 * members (kid, use, alg) are not compared. false for anything not a JWK.
 */
bool ccg_tee_jwk_equal(const json_t *a, const json_t *b);

/*
 * ccg_tee_jwk_hpke: the HPKE suite a secret for this key is wrapped with
 * (EC P-384 → CCG_HPKE_P384_SHA384_AES256GCM, OKP X25519 →
 * CCG_HPKE_X25519_SHA256_AES128GCM) and the key's SerializePublicKey bytes
 * in pk (at least CCG_HPKE_MAX_PK_LEN bytes; 97 or 32 written, validated as
 * ccg_hpke_public_key_parse does). Refused: another kty/crv
 * (CCG_ERR_UNSUPPORTED at "cnf.jwk.crv"), a member missing or of the wrong
 * length (CCG_ERR_MALFORMED at "cnf.jwk.x" / "cnf.jwk.y"), private members.
 */
CCG_MUST_USE enum ccg_status ccg_tee_jwk_hpke(const json_t *jwk, enum ccg_hpke_suite *suite, uint8_t *pk,
					      size_t *pk_len, struct ccg_error *err);

/*
 * ccg_tee_jwk_thumbprint: RFC 7638 §3 SHA-256 thumbprint of jwk (the
 * required members of its kty — EC: crv, kty, x, y; OKP: crv, kty, x; RSA:
 * e, kty, n — in lexicographic order, no whitespace), base64url into out
 * (CCG_TEE_JWK_THUMBPRINT_LEN + 1 bytes, NUL-terminated).
 */
CCG_MUST_USE enum ccg_status ccg_tee_jwk_thumbprint(const json_t *jwk, char out[CCG_TEE_JWK_THUMBPRINT_LEN + 1],
						    struct ccg_error *err);

/*
 * ccg_json_b64url_member: obj's member name, a base64url (RFC 4648 §5, no
 * padding) string of 1 to max decoded bytes, into a malloc'd *out. false
 * (nothing allocated) when it is missing, not a string, not base64url, empty
 * or longer than max.
 */
CCG_MUST_USE bool ccg_json_b64url_member(const json_t *obj, const char *name, size_t max, uint8_t **out,
					 size_t *out_len);

#endif
