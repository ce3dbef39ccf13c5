/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Signed party statements (issue 14), the party layer (ccgpu-party signs, the
 * daemon verifies; the daemon's jti bookkeeping is verifier/statement.h): every state-changing request a party
 * makes to ccgpu-verifierd carries one, in the HTTP header
 * `CCGPU-Statement`. A statement is a compact JWS
 * (BASE64URL(header) "." BASE64URL(payload) "." BASE64URL(signature)):
 *
 *   header  {"alg": "ES384", "kid": PARTY}   ECDSA P-384 keys, verified with libjose
 *           {"alg": "EdDSA", "kid": PARTY}   Ed25519 keys (RFC 8037; libjose 11 has no
 *                                            EdDSA, so the signature goes through the
 *                                            contracts' signing primitive, policies/)
 *   payload {"ccgpu-statement": 1, "party": PARTY, "contract": CONTRACT-ID,
 *            "route": "METHOD /path", "iat": UNIX-SECONDS, "jti": UNIQUE,
 *            "body-sha384": HEX of the exact HTTP request body}
 *
 * Exactly these members; anything else is refused. The key is the party's
 * key as registered in the contract in force (never one taken from the
 * statement). A statement is accepted once (verifier/statement.h keeps its
 * jti until its iat is past the window), and a statement outside the window
 * is refused whatever its jti.
 */
#ifndef CCGPU_PARTY_STATEMENT_H
#define CCGPU_PARTY_STATEMENT_H

#include <stddef.h>
#include <stdint.h>

#include "ccgpu/party.h" /* ccg_statement_sign (exported) */
#include "ccgpu/status.h"

#define CCG_STATEMENT_MAX 8192   /* bytes of a compact statement */
#define CCG_STATEMENT_MAX_ID 128 /* bytes of a party id, contract id or jti */
/* CCG_STATEMENT_MAX_ROUTE (bytes of "METHOD /path"): ccgpu/party.h */
#define CCG_STATEMENT_MIN_JTI 16      /* a jti has 16..128 characters of [A-Za-z0-9_-] */
#define CCG_STATEMENT_WINDOW_MAX 3600 /* the largest accepted window, seconds */

struct ccg_statement {
	char alg[8]; /* "ES384" or "EdDSA" */
	char party[CCG_STATEMENT_MAX_ID + 1];
	char contract[CCG_STATEMENT_MAX_ID + 1];
	char route[CCG_STATEMENT_MAX_ROUTE + 1];
	char jti[CCG_STATEMENT_MAX_ID + 1];
	int64_t iat;
	uint8_t body_sha384[48];
};

/*
 * ccg_statement_party: the party (header kid) a statement claims to come
 * from, copied into out (CCG_STATEMENT_MAX_ID + 1 bytes), so the caller can
 * look up that party's registered key. Unauthenticated: decide nothing on it
 * before ccg_statement_verify. Refused: not a compact JWS
 * (CCG_ERR_MALFORMED / CCG_ERR_ENCODING), too long (CCG_ERR_TOO_LARGE), a
 * header other than {alg, kid} with alg ES384 or EdDSA (CCG_ERR_UNSUPPORTED).
 */
CCG_MUST_USE enum ccg_status ccg_statement_party(const char *text, char *out, struct ccg_error *err);

/*
 * ccg_statement_verify: verifies the statement's signature with the party's
 * registered public key (PEM SubjectPublicKeyInfo, ECDSA P-384 or Ed25519)
 * and decodes its payload into *out. The header's alg must be the key's
 * (ES384 for P-384, EdDSA for Ed25519): otherwise CCG_ERR_SIGNATURE naming
 * "statement.header.alg". A bad signature is CCG_ERR_SIGNATURE
 * ("statement.signature"); a payload member missing, of the wrong type or
 * not allowed is CCG_ERR_MALFORMED naming it; payload party differing from
 * the header kid is CCG_ERR_STATEMENT_SCOPE ("statement.party"). Checks no
 * time, route or jti (ccg_statement_check, ccg_statement_jti_use).
 * Thread-safe.
 */
CCG_MUST_USE enum ccg_status ccg_statement_verify(const char *text, const uint8_t *key_pem, size_t key_pem_len,
						  struct ccg_statement *out, struct ccg_error *err);

/*
 * ccg_statement_check: the verified statement was made for this request:
 * route equal to route ("POST /v1/contracts"), contract to contract,
 * body-sha384 to SHA-384(body) (CCG_ERR_STATEMENT_SCOPE naming the member),
 * and now - window <= iat <= now + window (CCG_ERR_STATEMENT_STALE naming
 * "statement.iat"); window is 1..CCG_STATEMENT_WINDOW_MAX seconds. now is the
 * caller's time (injected in tests).
 */
CCG_MUST_USE enum ccg_status ccg_statement_check(const struct ccg_statement *st, const char *route,
						 const char *contract, const uint8_t *body, size_t body_len,
						 int64_t now, int64_t window, struct ccg_error *err);

/* ccg_statement_sign: ccgpu/party.h (exported, branch api). */

#endif
