/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The party's client of ccgpu-verifierd (branch api, issue 12; the protocol
 * of issue 14 is docs/protocols.md, "Secret release"): what a model owner, a
 * data owner or any other party of a contract runs before it hands the
 * verifier a contract or a secret, and after every call. ccgpu-party(1) is
 * built on this header alone.
 *
 *   1. Appraise the verifier's own TEE evidence over a fresh nonce
 *      (GET /v1/verifier/evidence, ccg_vevidence_check): it binds the keys
 *      the verifier signs tree heads with (keys.token) and receives uploads
 *      with (keys.upload). Nothing else vouches for those keys.
 *   2. Sign every state-changing request (ccg_statement_sign, sent as the
 *      CCGPU-Statement header) and seal every secret to keys.upload
 *      (ccg_party_upload_body).
 *   3. After every call, fetch the release log's signed tree head and check
 *      that it extends the one kept from the last call (ccg_party_log_advance:
 *      RFC 9162 consistency proof), and that the entry a change wrote is in
 *      it (ccg_party_log_included: inclusion proof).
 *
 * The lower calls (Merkle proofs, tree heads, the log routes' bodies) are
 * exported too, for parties that carry the answers themselves. JSON values
 * (JWKs, JWKS) are jansson's json_t: jansson is a public dependency of this
 * header (pkg-config's Requires). Every input from the verifier is untrusted:
 * parsed strictly, bounded, and checked before anything is decided on it.
 * Unless a function says otherwise it is thread-safe; the structs are plain
 * values owned by the caller.
 */
#ifndef CCGPU_PARTY_H
#define CCGPU_PARTY_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ccgpu/cpu.h"
#include "ccgpu/policy.h"
#include "ccgpu/status.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- RFC 9162 (Certificate Transparency 2.0) Merkle trees, SHA-256 ---- */

#define CCG_MERKLE_HASH_LEN 32
#define CCG_MERKLE_MAX_PROOF 64 /* hashes in any proof of a tree of at most 2^62 leaves */

/* ccg_merkle_leaf_hash: SHA-256(0x00 ‖ entry). */
CCG_API CCG_MUST_USE enum ccg_status ccg_merkle_leaf_hash(const uint8_t *entry, size_t len,
							  uint8_t out[CCG_MERKLE_HASH_LEN]);
/*
 * ccg_merkle_inclusion_verify: RFC 9162 §2.1.3.2: does proof (count hashes)
 * prove that leaf_hash is leaf index of the tree of size whose head is root?
 * Refusals (err names "merkle.inclusion"): index >= size, a proof too long
 * or too short for the sizes (CCG_ERR_MALFORMED), a computed root other than
 * root (CCG_ERR_LOG_PROOF: the proof does not prove it).
 */
CCG_API CCG_MUST_USE enum ccg_status ccg_merkle_inclusion_verify(uint64_t index, uint64_t size,
								 const uint8_t leaf_hash[CCG_MERKLE_HASH_LEN],
								 const uint8_t proof[][CCG_MERKLE_HASH_LEN],
								 size_t count, const uint8_t root[CCG_MERKLE_HASH_LEN],
								 struct ccg_error *err);
/*
 * ccg_merkle_consistency_verify: RFC 9162 §2.1.4.2: is the tree of size
 * first with head first_root a prefix of the tree of size second with head
 * second_root? first > second: CCG_ERR_INVALID_ARG ("merkle.consistency.first_size");
 * first == second: the proof must be empty and the roots equal; first == 0:
 * the proof must be empty and first_root the empty root. A proof of the wrong
 * length: CCG_ERR_MALFORMED; a first root that does not come out:
 * CCG_ERR_LOG_PROOF naming "merkle.consistency.first_root", a second root that
 * does not: naming "merkle.consistency.second_root".
 */
CCG_API CCG_MUST_USE enum ccg_status ccg_merkle_consistency_verify(uint64_t first, uint64_t second,
								   const uint8_t first_root[CCG_MERKLE_HASH_LEN],
								   const uint8_t second_root[CCG_MERKLE_HASH_LEN],
								   const uint8_t proof[][CCG_MERKLE_HASH_LEN],
								   size_t count, struct ccg_error *err);

/* ---- the release log: signed tree heads and the log routes' answers ---- */

#define CCG_LOG_MAX_ENTRY (64u * 1024u) /* bytes of one entry */
#define CCG_LOG_MAX_ENTRIES 256         /* entries in one GET /v1/log/entries answer */
#define CCG_LOG_MAX_JSON (1u << 20)     /* bytes of a proof or tree-head JSON text to parse */

/*
 * A signed tree head (STH): a compact JWS (ES384, the verifier's token key)
 * over {"typ":"ccgpu-log-sth/v1","tree_size":n,"timestamp":ms,"sha256_root_hash":base64}.
 */
struct ccg_log_sth {
	uint64_t tree_size;
	int64_t timestamp; /* milliseconds since the Unix epoch */
	uint8_t root[CCG_MERKLE_HASH_LEN];
};

/*
 * ccg_log_sth_verify: verifies a signed tree head against jwks (ES384, the
 * key by kid) and reads it strictly: typ must be "ccgpu-log-sth/v1", exactly
 * the four members, tree_size and timestamp non-negative integers,
 * sha256_root_hash the base64 of 32 bytes. Errors name "log.sth.<member>";
 * a bad signature is CCG_ERR_SIGNATURE.
 */
CCG_API CCG_MUST_USE enum ccg_status ccg_log_sth_verify(const char *jws, const json_t *jwks, struct ccg_log_sth *out,
							struct ccg_error *err);
/* ccg_log_sth_parse: the GET /v1/log/sth body {"sth": JWS} (nothing else) → ccg_log_sth_verify. */
CCG_API CCG_MUST_USE enum ccg_status ccg_log_sth_parse(const uint8_t *body, size_t len, const json_t *jwks,
						       struct ccg_log_sth *out, struct ccg_error *err);
/*
 * ccg_log_check: a new signed tree head against the last one the party kept
 * (both already verified): the new head's size is not smaller
 * (CCG_ERR_LOG_INCONSISTENT naming "log.sth.tree_size"), its time not earlier
 * ("log.sth.timestamp"), the same size has the same root, and proof (count
 * hashes) is a valid RFC 9162 consistency proof from the old head to the new
 * one; a failed proof is CCG_ERR_LOG_INCONSISTENT naming "log.consistency"
 * with the sizes: the log's history was rewritten.
 */
CCG_API CCG_MUST_USE enum ccg_status ccg_log_check(const struct ccg_log_sth *prev, const struct ccg_log_sth *next,
						   const uint8_t proof[][CCG_MERKLE_HASH_LEN], size_t count,
						   struct ccg_error *err);
/*
 * ccg_log_entries_verify: entries [0, count) fetched from the log against a
 * verified head of size count: recomputes the root; a mismatch is
 * CCG_ERR_LOG_INCONSISTENT naming "log.entries".
 */
CCG_API CCG_MUST_USE enum ccg_status ccg_log_entries_verify(const uint8_t *const *entries, const size_t *lens,
							    size_t count, const struct ccg_log_sth *sth,
							    struct ccg_error *err);
/*
 * The bodies of GET /v1/log/proof and GET /v1/log/consistency (untrusted
 * input, at most CCG_LOG_MAX_JSON bytes, exactly the members listed in
 * docs/api/openapi.yaml, hashes the base64 of 32 bytes, at most
 * CCG_MERKLE_MAX_PROOF of them); errors name the member. out must have room
 * for CCG_MERKLE_MAX_PROOF hashes.
 */
CCG_API CCG_MUST_USE enum ccg_status ccg_log_proof_parse(const uint8_t *body, size_t len, uint64_t *out_index,
							 uint64_t *out_size, uint8_t out[][CCG_MERKLE_HASH_LEN],
							 size_t *out_count, struct ccg_error *err);
CCG_API CCG_MUST_USE enum ccg_status ccg_log_consistency_parse(const uint8_t *body, size_t len, uint64_t *out_first,
							       uint64_t *out_second, uint8_t out[][CCG_MERKLE_HASH_LEN],
							       size_t *out_count, struct ccg_error *err);
/*
 * ccg_log_entries_parse: the GET /v1/log/entries body for [start, end)
 * (end - start in 1..CCG_LOG_MAX_ENTRIES): exactly that many entries, their
 * indexes start, start + 1, … in order, each leaf_input the base64 of at
 * most CCG_LOG_MAX_ENTRY bytes. out[i] (malloc'd; the caller frees each) and
 * out_lens[i] receive entry start + i; on failure none is left allocated.
 * Unchecked against any head: ccg_log_entries_verify or an inclusion proof
 * decides. Errors name the member ("log.entries[3].index").
 */
CCG_API CCG_MUST_USE enum ccg_status ccg_log_entries_parse(const uint8_t *body, size_t len, uint64_t start,
							   uint64_t end, uint8_t **out, size_t *out_lens,
							   struct ccg_error *err);

/* ---- signed party statements ---- */

#define CCG_STATEMENT_MAX_ROUTE 512 /* bytes of "METHOD /path" */

/*
 * ccg_statement_sign: the CCGPU-Statement of one request: a compact JWS
 * whose header is {"alg", "kid": party} and payload {"ccgpu-statement": 1,
 * "party", "contract", "route": "METHOD /path", "iat", "jti",
 * "body-sha384": hex of SHA-384(body)}. key_pem is the party's PEM private
 * key (P-384 → ES384, Ed25519 → EdDSA); jti NULL for a fresh random one; iat
 * the caller's time (Unix seconds). *out is malloc'd. Refused: a missing
 * key, party, contract or route (CCG_ERR_INVALID_ARG at "statement.sign"), a
 * key that does not parse or is of another type (the error names
 * "statement.key"). Never prints the key.
 */
CCG_API CCG_MUST_USE enum ccg_status ccg_statement_sign(const uint8_t *key_pem, size_t key_pem_len, const char *party,
							const char *contract, const char *route, const uint8_t *body,
							size_t body_len, int64_t iat, const char *jti, char **out,
							struct ccg_error *err);

/* ---- the verifier's own TEE evidence ---- */

#define CCG_VEVIDENCE_MAX (256 * 1024) /* bytes of the document a party reads */

/*
 * ccg_vevidence_check: the verifier's evidence document (the 200 body of
 * GET /v1/verifier/evidence?nonce=HEX, at most CCG_VEVIDENCE_MAX bytes;
 * every member present, of its type, nothing else; docs/protocols.md):
 * its version, the nonce echoed ("vevidence.nonce", CCG_ERR_NONCE_MISMATCH),
 * the two keys' shapes (P-384 EC public keys on the curve, kid = the RFC 7638
 * thumbprint; "vevidence.keys.token" / "vevidence.keys.upload"), the binding
 * SHA-384("ccgpu-verifier-evidence/v1" ‖ nonce ‖ both thumbprints)
 * recomputed and required ("vevidence.binding"), the CPU evidence appraised
 * with cv (the party's CPU verifier: for a TPM quote the verifier's AK, set
 * by the party) with that binding as report_data at now, and, when policy is
 * not NULL, policy evaluated on the CPU claims (CCG_ERR_POLICY, where = the
 * rule). On success *out_token_jwk and *out_upload_jwk are new references
 * to the two keys; on failure both are NULL. Thread-safe when cv is.
 */
CCG_API CCG_MUST_USE enum ccg_status ccg_vevidence_check(const uint8_t *doc, size_t len, const uint8_t nonce[32],
							 struct ccg_cpu_verifier *cv, const struct ccg_policy *policy,
							 int64_t now, json_t **out_token_jwk, json_t **out_upload_jwk,
							 struct ccg_error *err);

/* ---- the client: requests, answers, sealed uploads, the kept tree head ---- */

#define CCG_PARTY_STATEMENT_HEADER "CCGPU-Statement"
#define CCG_PARTY_UPLOAD_SUITE "P384-SHA384-AES256GCM"
#define CCG_PARTY_UPLOAD_ALG "HPKE-P384-SHA384-AES256GCM"
#define CCG_PARTY_MAX_ANSWER (1u << 20)    /* bytes of any answer the party reads */
#define CCG_PARTY_MAX_SECRET (64u * 1024u) /* bytes of a secret (the daemon's bound) */
#define CCG_PARTY_CONTRACT_ID_LEN 96       /* hex digits of a contract version's id (SHA-384 of its canonical form) */
#define CCG_PARTY_MAX_NAME 128             /* bytes of a contract or secret name */
#define CCG_PARTY_MAX_URL 1024

/* The verifier's address (ccg_party_verifier_parse fills it). */
struct ccg_party_verifier {
	char url[CCG_PARTY_MAX_URL];  /* as given: names the kept state */
	char base[CCG_PARTY_MAX_URL]; /* "http(s)://host[:port][/prefix]" without a trailing slash */
	char unix_path[512];          /* the socket for unix:PATH, else "" */
	long timeout_ms;              /* per request; ccg_party_verifier_parse sets 30000 */
};

/*
 * ccg_party_verifier_parse: "http://…", "https://…" (no query or fragment)
 * or "unix:/absolute/path" (HTTP over that socket). Anything else, or too
 * long: CCG_ERR_INVALID_ARG naming "verifier".
 */
CCG_API CCG_MUST_USE enum ccg_status ccg_party_verifier_parse(const char *spec, struct ccg_party_verifier *v,
							      struct ccg_error *err);

/* One answer of the verifier: its HTTP status and body (malloc'd, NUL-terminated). */
struct ccg_party_answer {
	long status;
	uint8_t *body;
	size_t body_len;
};
/* ccg_party_answer_cleanup: frees the body; NULL is allowed. */
CCG_API void ccg_party_answer_cleanup(struct ccg_party_answer *a);

/*
 * ccg_party_http: one request to the verifier: method "GET", "POST" or
 * "PUT", target the path and query ("/v1/log/sth"), body JSON (POST/PUT; len
 * bytes), statement the CCGPU-Statement value or NULL. Any HTTP status comes
 * back in out (the caller decides: ccg_party_answer_check); transport
 * failures are CCG_ERR_NETWORK naming "party.network", an answer over
 * CCG_PARTY_MAX_ANSWER bytes CCG_ERR_TOO_LARGE. No redirects are followed.
 */
CCG_API CCG_MUST_USE enum ccg_status ccg_party_http(const struct ccg_party_verifier *v, const char *method,
						    const char *target, const uint8_t *body, size_t len,
						    const char *statement, struct ccg_party_answer *out,
						    struct ccg_error *err);
/*
 * ccg_party_answer_check: the answer a (to the request named what) must have
 * status want. Otherwise its RFC 9457 problem document (type, title, detail,
 * check, party, rule when present) is summarised into err, where = what: a
 * 4xx answer is CCG_ERR_PEER_REFUSED, anything else CCG_ERR_NETWORK. A body
 * that is not a problem document is summarised by its status alone.
 */
CCG_API CCG_MUST_USE enum ccg_status ccg_party_answer_check(const struct ccg_party_answer *a, long want,
							    const char *what, struct ccg_error *err);

/* ccg_party_name_ok: a contract or secret name that can stand in a path: 1..128 of [A-Za-z0-9._-], not "." or "..". */
CCG_API bool ccg_party_name_ok(const char *name);

/*
 * ccg_party_upload_key: the HPKE public key (SerializePublicKey, 97 bytes)
 * and kid of keys.upload (from ccg_vevidence_check): kty EC, crv P-384, use
 * "enc", alg CCG_PARTY_UPLOAD_ALG, a kid string of at most 128 bytes, a point
 * on the curve, no private part; otherwise CCG_ERR_MALFORMED /
 * CCG_ERR_UNSUPPORTED naming "party.upload_key.MEMBER", and pk is all zero
 * bytes and kid empty.
 */
CCG_API CCG_MUST_USE enum ccg_status ccg_party_upload_key(const json_t *jwk, uint8_t pk[97], char kid[129],
							  struct ccg_error *err);
/*
 * ccg_party_upload_body: the PUT /v1/contracts/{contract}/secrets/{secret}
 * body sealing data (len bytes, at most CCG_PARTY_MAX_SECRET) to pk: HPKE
 * base mode DHKEM(P-384)/HKDF-SHA384/AES-256-GCM, info "ccgpu-secret-upload/v1",
 * aad = contract ‖ 0x00 ‖ secret ‖ 0x00 ‖ contract_id, the id of the contract
 * version this party signed (CCG_PARTY_CONTRACT_ID_LEN hex digits,
 * ccg_contract_id): the verifier opens it only while it holds exactly that
 * version. The body is {"suite","kid","enc","ct"} (base64url); *out is
 * malloc'd JSON text. Names that fail ccg_party_name_ok or a contract_id of
 * another length: CCG_ERR_INVALID_ARG at "party.input"; too long:
 * CCG_ERR_TOO_LARGE.
 */
CCG_API CCG_MUST_USE enum ccg_status ccg_party_upload_body(const uint8_t pk[97], const char *kid, const char *contract,
							   const char *secret, const char *contract_id,
							   const uint8_t *data, size_t len, char **out,
							   struct ccg_error *err);

/*
 * ccg_party_upload_body_file: ccg_party_upload_body on the bytes of the
 * regular file at path (1..CCG_PARTY_MAX_SECRET bytes), read straight into a
 * locked buffer that is wiped once sealed, so the secret never sits in
 * ordinary memory. An unreadable file: CCG_ERR_IO, an empty or too long one:
 * CCG_ERR_TOO_LARGE, both at "party.input".
 */
CCG_API CCG_MUST_USE enum ccg_status ccg_party_upload_body_file(const uint8_t pk[97], const char *kid,
								const char *contract, const char *secret,
								const char *contract_id, const char *path, char **out,
								struct ccg_error *err);

/* ---- branch releasefast (issue 14): the contract the verifier holds is the one this party signed ---- */

/*
 * ccg_party_contract_held_check: body (GET /v1/contracts/{name}'s answer:
 * {"contract", "version", "id", "document"}) names contract name and holds
 * exactly the canonical bytes canon (canon_len) with id id, the version this
 * party signed. Otherwise CCG_ERR_CONTRACT_MISMATCH naming "party.contract"
 * (the held version and id beside this party's): an operator who registered
 * its own contract under the name first, or any other version, is refused
 * before anything is sent. A body that is not that answer: CCG_ERR_MALFORMED
 * naming "party.contract".
 */
CCG_API CCG_MUST_USE enum ccg_status ccg_party_contract_held_check(const uint8_t *body, size_t len, const char *name,
								   const uint8_t *canon, size_t canon_len,
								   const char *id, struct ccg_error *err);

/*
 * ccg_party_contract_held: GET /v1/contracts/{name} from v (a refusal named
 * "party.contract"), then ccg_party_contract_held_check on its answer.
 */
CCG_API CCG_MUST_USE enum ccg_status ccg_party_contract_held(const struct ccg_party_verifier *v, const char *name,
							     const uint8_t *canon, size_t canon_len, const char *id,
							     struct ccg_error *err);

/* A verified signed tree head, its JWS text and the key it verified under. */
struct ccg_party_head {
	bool have;
	struct ccg_log_sth sth;
	char *jws;   /* malloc'd */
	json_t *key; /* the public JWK (a reference the head owns) */
};
/* ccg_party_head_cleanup: frees what h owns and zeroes it; NULL is allowed. */
CCG_API void ccg_party_head_cleanup(struct ccg_party_head *h);

/*
 * ccg_party_state_load: the head kept for verifier url in dir (a file named
 * by the SHA-256 of the url); none kept: h->have false and CCG_OK. A file
 * that does not parse, names another verifier or whose head does not verify
 * under its kept key: CCG_ERR_MALFORMED / the verification's error, naming
 * "party.state".
 */
CCG_API CCG_MUST_USE enum ccg_status ccg_party_state_load(const char *dir, const char *url, struct ccg_party_head *h,
							  struct ccg_error *err);
/* ccg_party_state_save: keeps h (which must have a head) for url in dir, atomically (dir created 0700). */
CCG_API CCG_MUST_USE enum ccg_status ccg_party_state_save(const char *dir, const char *url,
							  const struct ccg_party_head *h, struct ccg_error *err);

/*
 * ccg_party_log_step: the log check after a call, on answers already
 * fetched: sth_body (GET /v1/log/sth) verified under jwks
 * ("party.log.sth"); when kept has a head, cons_body (GET
 * /v1/log/consistency?first=KEPT&second=NEW; NULL when no proof is needed)
 * must be for those sizes and prove that the new head extends the kept one
 * (ccg_log_check): otherwise CCG_ERR_LOG_INCONSISTENT naming
 * "party.log.consistency", the inner check in the detail. *next receives the
 * new head (its key a new reference to the first key of jwks). The first head
 * a party sees of a verifier is trusted on first use.
 */
CCG_API CCG_MUST_USE enum ccg_status ccg_party_log_step(const struct ccg_party_head *kept, const uint8_t *sth_body,
							size_t sth_len, const uint8_t *cons_body, size_t cons_len,
							const json_t *jwks, struct ccg_party_head *next,
							struct ccg_error *err);
/* ccg_party_log_needs_proof: whether ccg_party_log_step needs a consistency answer for these heads. */
CCG_API bool ccg_party_log_needs_proof(const struct ccg_party_head *kept, const struct ccg_log_sth *next);
/* ccg_party_sth_peek: the tree head of an STH body verified under jwks ("party.log.sth"). */
CCG_API CCG_MUST_USE enum ccg_status ccg_party_sth_peek(const uint8_t *body, size_t len, const json_t *jwks,
							struct ccg_log_sth *out, struct ccg_error *err);
/*
 * ccg_party_log_advance: ccg_party_log_step over HTTP: fetches the head and,
 * when needed, the consistency proof from v.
 */
CCG_API CCG_MUST_USE enum ccg_status ccg_party_log_advance(const struct ccg_party_verifier *v, const json_t *jwks,
							   const struct ccg_party_head *kept,
							   struct ccg_party_head *next, struct ccg_error *err);
/*
 * ccg_party_log_entries: entries [start, end) of the log from v, in pages of
 * at most CCG_LOG_MAX_ENTRIES (ccg_log_entries_parse). out and out_lens have
 * room for end - start; the caller frees each out[i]. An answer that is not
 * 200 names "party.log.entries" with the verifier's problem; the verifier
 * refusing to serve a stored entry that no longer hashes to its leaf is
 * CCG_ERR_LOG_INCONSISTENT.
 */
CCG_API CCG_MUST_USE enum ccg_status ccg_party_log_entries(const struct ccg_party_verifier *v, uint64_t start,
							   uint64_t end, uint8_t **out, size_t *out_lens,
							   struct ccg_error *err);
/*
 * ccg_party_log_included: entry (index, len bytes) is leaf index of the tree
 * of head: its inclusion proof from v (GET /v1/log/proof) verifies against
 * head's root; otherwise CCG_ERR_LOG_PROOF naming "party.log.inclusion".
 */
CCG_API CCG_MUST_USE enum ccg_status ccg_party_log_included(const struct ccg_party_verifier *v,
							    const struct ccg_log_sth *head, uint64_t index,
							    const uint8_t *entry, size_t len, struct ccg_error *err);
/* ccg_party_log_proof_check: the same on an already fetched proof body. */
CCG_API CCG_MUST_USE enum ccg_status ccg_party_log_proof_check(const struct ccg_log_sth *head, uint64_t index,
							       const uint8_t *entry, size_t len, const uint8_t *body,
							       size_t body_len, struct ccg_error *err);

#ifdef __cplusplus
}
#endif
#endif
