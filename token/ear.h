/* SPDX-License-Identifier: Apache-2.0 */
/*
 * EAR attestation-result tokens (draft-ietf-rats-ear, claim names as
 * Veraison's ear library and Trustee read them today: eat_profile
 * "tag:github.com,2023:veraison/ear", ear.verifier-id, submods.<name>.ear.status,
 * ear.trustworthiness-vector, ear.appraisal-policy-id), signed ES384 as a
 * compact JWS with libjose, and the JWKS that publishes the signing key.
 *
 * This is the contract between the daemon (verifier/daemon, HTTP, store) and
 * the token layer (token/ear.c, token/nras.c). Both sides code against it.
 */
#ifndef CCGPU_VERIFIER_EAR_H
#define CCGPU_VERIFIER_EAR_H

#include <openssl/evp.h>
#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "ccgpu/status.h"

struct ccg_error;

/* A P-384 signing key with its kid (RFC 7638 JWK thumbprint, base64url). */
struct ccg_ear_key;

/*
 * ccg_ear_key_load_or_create: loads the PEM private key at path; if the file
 * does not exist, creates a fresh P-384 key there with mode 0600 (O_EXCL, so a
 * racing second creator loads the winner's key). A key that is not P-384, or a
 * file readable by group/others, is refused (CCG_ERR_INVALID_ARG naming why).
 * Also refused: a file owned by another user, not a regular file, a symbolic
 * link, an encrypted PEM. A created file's directory is fsync'd.
 * Never logs or prints the key.
 */
CCG_MUST_USE enum ccg_status ccg_ear_key_load_or_create(const char *path, struct ccg_ear_key **out,
							struct ccg_error *err);
/* ccg_ear_key_free: NULL is allowed. */
void ccg_ear_key_free(struct ccg_ear_key *k);
/* ccg_ear_key_kid: the key's kid; owned by k. */
const char *ccg_ear_key_kid(const struct ccg_ear_key *k);
/*
 * ccg_ear_key_jwks: {"keys":[<public JWK: kty, crv, x, y, kid, alg "ES384", use "sig", x5c>]}; new
 * reference. x5c holds one self-signed certificate for the key (NVIDIA's SDK reads NRAS keys only from x5c).
 */
json_t *ccg_ear_key_jwks(const struct ccg_ear_key *k);
/*
 * ccg_jws_sign_es384: a compact JWS over the exact bytes of payload (a C
 * string, base64url-encoded here), signed ES384 with the private P-384 key
 * pkey under the protected header hdr (a new reference, taken over even on
 * failure: json_pack("{s:s,...}", "alg", "ES384", ...)); *out malloc'd. The
 * private JWK made for the signature is wiped before it is freed. Errors
 * name where.
 */
CCG_MUST_USE enum ccg_status ccg_jws_sign_es384(EVP_PKEY *pkey, json_t *hdr, const char *payload, const char *where,
						char **out, struct ccg_error *err);
/*
 * ccg_ear_sign: compact JWS (ES384, header {alg, typ "JWT", kid}) over the JSON claims (serialised
 * compact with sorted keys, at most CCG_EAR_MAX_TOKEN / 2 bytes); malloc'd. A key signs from several
 * threads at once (each signature builds its own private JWK, wiped after).
 */
CCG_MUST_USE enum ccg_status ccg_ear_sign(const struct ccg_ear_key *k, const json_t *claims, char **out_jws,
					  struct ccg_error *err);

/* EAR status tiers (draft-ietf-rats-ear / AR4SI). */
enum ccg_ear_status {
	CCG_EAR_NONE = 0,
	CCG_EAR_AFFIRMING = 2,
	CCG_EAR_WARNING = 32,
	CCG_EAR_CONTRAINDICATED = 96,
};
/* ccg_ear_status_name: "none", "affirming", "warning", "contraindicated"; NULL for other values. */
const char *ccg_ear_status_name(enum ccg_ear_status s);

/* One appraised device: "cpu0", "GPU-0" … "GPU-n", "SWITCH-0" … */
struct ccg_ear_submod {
	const char *name;
	enum ccg_ear_status status;
	/* AR4SI trust vector object ({"hardware": 2, ...}); NULL: derived from status. Borrowed. */
	const json_t *trust_vector;
	/* the appraised claims of this device (ccgpu/NVIDIA names), placed in the submod as "ccgpu.claims". Borrowed. */
	const json_t *claims;
	/* the failed checks / policy rules, if any (array of strings), as "ccgpu.errors". Borrowed, may be NULL. */
	const json_t *errors;
};

struct ccg_ear_params {
	const char *verifier_developer; /* ear.verifier-id.developer, e.g. "ccgpu" */
	const char *verifier_build;     /* ear.verifier-id.build, e.g. "ccgpu-verifierd 0.1.0" */
	const char *policy_id;          /* ear.appraisal-policy-id (e.g. the policy's SHA-384 name) */
	int64_t iat, exp;               /* Unix seconds; exp > iat */
	const uint8_t *nonce;           /* eat_nonce (base64url of these bytes); may be NULL */
	size_t nonce_len;
	const json_t *tee_jwk; /* cnf.jwk: the TEE public key as a public JWK; may be NULL. Borrowed. */
	const struct ccg_ear_submod *submods;
	size_t n_submods; /* >= 1 */
};

/*
 * ccg_ear_issue: builds the EAR claims set from p (every submod present, the
 * overall ear.status the worst of the submods') and signs it; *out_jws is
 * malloc'd. *out_claims (optional) receives the claims set (new reference).
 */
CCG_MUST_USE enum ccg_status ccg_ear_issue(const struct ccg_ear_key *k, const struct ccg_ear_params *p, char **out_jws,
					   json_t **out_claims, struct ccg_error *err);

/*
 * ccg_ear_verify: verifies a compact JWS EAR token against a JWKS (by kid;
 * alg must be ES384), checks eat_profile, iat <= now < exp (now in Unix
 * seconds, never 0 meaning "now": the caller passes the time), and returns the
 * claims set (new reference). Every refusal names the failed check.
 */
CCG_MUST_USE enum ccg_status ccg_ear_verify(const char *jws, const json_t *jwks, int64_t now, json_t **out_claims,
					    struct ccg_error *err);

/* ---- added by the token layer (branch ear) ---- */

/* The longest compact token ccgpu signs or accepts, in bytes. */
#define CCG_EAR_MAX_TOKEN (1024 * 1024)

/* ccg_ear_status_parse: the status named name ("affirming", ...); false for anything else. */
bool ccg_ear_status_parse(const char *name, enum ccg_ear_status *out);

/*
 * ccg_ear_jwks_find: the one key of jwks ({"keys": [...]}) whose kid is kid
 * (borrowed from jwks). Refused: no such key (CCG_ERR_TOKEN_KEY_UNKNOWN), two
 * keys with that kid (CCG_ERR_DUPLICATE), a key that is not EC P-384 or
 * whose "alg"/"use" say it is not for ES384 signatures (CCG_ERR_UNSUPPORTED).
 */
CCG_MUST_USE enum ccg_status ccg_ear_jwks_find(const json_t *jwks, const char *kid, const json_t **out,
					       struct ccg_error *err);

/*
 * ccg_b64url_text: p (n bytes) is one or more characters of the base64url
 * alphabet (RFC 4648 section 5, no padding): what each part of a compact JWS
 * must be before it is decoded (EAR tokens here, party statements in party/).
 */
bool ccg_b64url_text(const char *p, size_t n);

/*
 * ccg_jws_verify: verifies a compact JWS (header.payload.signature, at most
 * CCG_EAR_MAX_TOKEN bytes) against jwks with libjose: the header must be
 * {alg "ES384", kid, optional typ "JWT"} and nothing else (alg is pinned,
 * never taken from the token; crit, b64, jwk, jku, x5u ... are refused), the
 * key is chosen by kid (ccg_ear_jwks_find). *out_payload receives the payload
 * as a JSON object (new reference). Checks no claims: EAR tokens go through
 * ccg_ear_verify, NVIDIA-shaped tokens through token/nras.h.
 */
CCG_MUST_USE enum ccg_status ccg_jws_verify(const char *token, const json_t *jwks, json_t **out_payload,
					    struct ccg_error *err);

/*
 * ccg_jwt_check_times: claims hold integer iat and exp with iat <= now < exp
 * (CCG_ERR_TOKEN_NOT_YET_VALID / CCG_ERR_TOKEN_EXPIRED, CCG_ERR_MALFORMED
 * when either is missing).
 */
CCG_MUST_USE enum ccg_status ccg_jwt_check_times(const json_t *claims, int64_t now, struct ccg_error *err);

/*
 * ccg_ear_check_nonce: the verified claims' eat_nonce is the base64url of
 * exactly these nonce_len bytes (the relying party's own challenge): missing,
 * malformed or another nonce is CCG_ERR_NONCE_MISMATCH at "eat_nonce".
 */
CCG_MUST_USE enum ccg_status ccg_ear_check_nonce(const json_t *claims, const uint8_t *nonce, size_t nonce_len,
						 struct ccg_error *err);

#endif
