/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Policies and multi-party contracts: ccgpu's policy language (see
 * docs/policy-language.md) parsed, checked against the published claims
 * schema and evaluated against claims; contracts
 * (docs/contracts.md) parsed, identified by the SHA-384 of their canonical
 * form, signed and verified (ECDSA P-384, Ed25519).
 *
 * The claims schema (the name, type and scope of every claim a policy may
 * read; built into the library) is installed as
 * <datadir>/ccgpu/claims-schema.json, by default
 * /usr/local/share/ccgpu/claims-schema.json; `pkg-config --variable=claims_schema
 * ccgpu` prints the path (source: policies/claims-schema.json).
 */
#ifndef CCGPU_POLICY_PUBLIC_H
#define CCGPU_POLICY_PUBLIC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ccgpu/status.h"

#ifdef __cplusplus
extern "C" {
#endif

struct ccg_policy;
struct ccg_claims;
struct ccg_contract;
struct ccg_party_keys;

#define CCG_POLICY_MAX_SOURCE 65536 /* bytes of policy text */
#define CCG_POLICY_DETAIL_MAX 256

/* struct ccg_rule_result: one rule's outcome in an evaluation trace. */
struct ccg_rule_result {
	const char *name;    /* borrowed from the policy */
	const char *message; /* borrowed from the policy */
	bool passed;
	/* the comparison that decided the rule with the claim values it saw,
	 * e.g. GPU-0: measres = "not-checked", want == "success" */
	char detail[CCG_POLICY_DETAIL_MAX];
};

/*
 * ccg_policy_parse: parses and checks policy text (UTF-8, at most
 * CCG_POLICY_MAX_SOURCE bytes) against the claims schema and compiles it.
 * Errors: CCG_ERR_POLICY_SYNTAX, CCG_ERR_POLICY_UNKNOWN_CLAIM (with a "did
 * you mean" suggestion), CCG_ERR_POLICY_TYPE, CCG_ERR_TOO_LARGE; err->where
 * is "line:col". The policy is immutable and may be shared by threads.
 */
CCG_API CCG_MUST_USE enum ccg_status ccg_policy_parse(const char *src, size_t len, struct ccg_policy **out,
						      struct ccg_error *err);
/* ccg_policy_free: NULL is allowed. */
CCG_API void ccg_policy_free(struct ccg_policy *p);
/* ccg_policy_name: the name in the policy header (borrowed). */
CCG_API const char *ccg_policy_name(const struct ccg_policy *p);
/* ccg_policy_rule_count: number of rules. */
CCG_API size_t ccg_policy_rule_count(const struct ccg_policy *p);
/* ccg_policy_format: the canonical text of the policy (what `fmt` prints), malloc'd; NULL on no memory. */
CCG_API char *ccg_policy_format(const struct ccg_policy *p);

/*
 * ccg_claims_from_json: reads a claims document (the JSON ccg_gpu_result_claims_json
 * produces; CPU TEE claims beside it) once into the typed form evaluation
 * uses. Claims absent, null or of the wrong type are "absent". At most
 * CCG_GPU_MAX_DEVICES (16) GPUs under "submods".
 */
CCG_API CCG_MUST_USE enum ccg_status ccg_claims_from_json(const char *json, size_t len, struct ccg_claims **out,
							  struct ccg_error *err);
/* ccg_claims_free: NULL is allowed. */
CCG_API void ccg_claims_free(struct ccg_claims *c);

/*
 * ccg_policy_eval: evaluates every rule on the claims at time now (Unix
 * seconds, the value of `now`; CCG_TIME_NOW (0) = the current time, read once;
 * negative: CCG_ERR_INVALID_ARG). CCG_OK: every rule holds (allow);
 * CCG_ERR_POLICY: some rule does not (deny), the first such rule named in
 * err (where = rule name). results, when not NULL, receives one entry per
 * rule (results_len must be at least ccg_policy_rule_count). Allocates
 * nothing; thread-safe; time bounded by the policy's size times the GPUs.
 */
CCG_API CCG_MUST_USE enum ccg_status ccg_policy_eval(const struct ccg_policy *p, const struct ccg_claims *c,
						     int64_t now, struct ccg_rule_result *results, size_t results_len,
						     struct ccg_error *err);

/*
 * ccg_contract_parse: parses a contract document (JSON, docs/contracts.md),
 * checks every party's policy and the workload's reference values, and
 * computes its canonical form. Errors name the member (or policy line:col).
 */
CCG_API CCG_MUST_USE enum ccg_status ccg_contract_parse(const uint8_t *json, size_t len, struct ccg_contract **out,
							struct ccg_error *err);
/* ccg_contract_free: NULL is allowed. */
CCG_API void ccg_contract_free(struct ccg_contract *c);
/* ccg_contract_canonical: the canonical bytes (borrowed, valid while c lives). */
CCG_API const uint8_t *ccg_contract_canonical(const struct ccg_contract *c, size_t *out_len);
/* ccg_contract_id: SHA-384 of the canonical bytes as 96 lower-case hex digits (borrowed). */
CCG_API const char *ccg_contract_id(const struct ccg_contract *c);
/* ccg_contract_name: the document's "id" member, the name the contract is registered under (borrowed). */
CCG_API const char *ccg_contract_name(const struct ccg_contract *c);
/*
 * ccg_contract_sign: a detached signature document (JSON, malloc'd) by party
 * over the canonical bytes with the PEM private key (EC P-384 or Ed25519);
 * the key must match the party's public key in the contract.
 */
CCG_API CCG_MUST_USE enum ccg_status ccg_contract_sign(const struct ccg_contract *c, const char *party,
						       const uint8_t *key_pem, size_t key_len, char **out,
						       struct ccg_error *err);
/*
 * ccg_contract_add_signature: checks a detached signature document against
 * this exact version (contract id) and the named party's public key in the
 * document, and keeps it (a later signature of the same party replaces it).
 * CCG_ERR_SIGNATURE when it does not verify; CCG_ERR_MALFORMED for another
 * contract version or an unknown party. A kept signature is not yet consent:
 * it counts only when it also verifies under the party's registered key
 * (ccg_contract_in_force, ccg_contract_release). Not thread-safe on c.
 */
CCG_API CCG_MUST_USE enum ccg_status ccg_contract_add_signature(struct ccg_contract *c, const uint8_t *sig_json,
								size_t len, struct ccg_error *err);

/*
 * Registered party keys: the binding of each party id to a public key the
 * party controls, kept outside any contract (the verifier daemon takes them
 * from its store, the CLI from --party-key; a party registers its key once,
 * out of band). A contract's own "public-key" members are what its author
 * says and never count as a party's identity.
 *
 * ccg_party_keys_new: an empty set (NULL on no memory); free with
 * ccg_party_keys_free (NULL is allowed).
 * ccg_party_keys_add: registers party's PEM SubjectPublicKeyInfo (ECDSA P-384
 * or Ed25519). CCG_ERR_DUPLICATE when the party already has one,
 * CCG_ERR_ENCODING / CCG_ERR_UNSUPPORTED for a bad key, CCG_ERR_INVALID_ARG
 * for an empty or over-64-byte party id; err->where = "party-keys[ID]".
 * A set may be read by several threads once no thread adds to it.
 */
CCG_API struct ccg_party_keys *ccg_party_keys_new(void);
CCG_API void ccg_party_keys_free(struct ccg_party_keys *k);
CCG_API CCG_MUST_USE enum ccg_status ccg_party_keys_add(struct ccg_party_keys *k, const char *party, const uint8_t *pem,
							size_t len, struct ccg_error *err);

/*
 * ccg_contract_in_force: CCG_OK when at least the threshold (default: every
 * party) of distinct parties signed this version with their registered key in
 * keys (a party without a registered key, or whose kept signature does not
 * verify under it, has not signed) and now (Unix seconds; CCG_TIME_NOW (0) =
 * the current time; negative: CCG_ERR_INVALID_ARG) lies in the validity
 * period; CCG_ERR_SIGNATURE naming a missing party otherwise,
 * CCG_ERR_CERT_EXPIRED outside the period, CCG_ERR_INVALID_ARG when keys is
 * NULL.
 */
CCG_API CCG_MUST_USE enum ccg_status ccg_contract_in_force(const struct ccg_contract *c,
							   const struct ccg_party_keys *keys, int64_t now,
							   struct ccg_error *err);
/*
 * ccg_contract_release: may the secret `secret` be released on these claims?
 * CCG_OK only when the contract is in force (above), the secret's owner and
 * every party in its requires signed this exact version with their registered
 * key — whatever the threshold says —, the workload's reference values hold
 * and the policy of every party the secret requires allows, all at the one
 * time now (as ccg_contract_in_force). Otherwise the
 * in-force error; CCG_ERR_INVALID_ARG without a secret name or claims;
 * CCG_ERR_NOT_FOUND for an unknown secret; CCG_ERR_SIGNATURE
 * with err->where = the id of the first owner/required party that did not
 * consent; CCG_ERR_POLICY naming "party/rule" or "workload/rule".
 * Thread-safe when nothing adds signatures to c or keys to keys meanwhile.
 */
CCG_API CCG_MUST_USE enum ccg_status ccg_contract_release(const struct ccg_contract *c,
							  const struct ccg_party_keys *keys, const char *secret,
							  const struct ccg_claims *claims, int64_t now,
							  struct ccg_error *err);

/* ---- branch layout (issue 12 item 1): what the ccgpu-policy CLI used from policies/ internals ---- */

/* ccg_policy_version: the version in the policy header. */
CCG_API int64_t ccg_policy_version(const struct ccg_policy *p);
/* ccg_policy_rule_name: the name of rule i (0 <= i < ccg_policy_rule_count), borrowed; NULL when out of range. */
CCG_API const char *ccg_policy_rule_name(const struct ccg_policy *p, size_t i);
/* ccg_policy_rule_message: the message of rule i, borrowed; NULL when out of range. */
CCG_API const char *ccg_policy_rule_message(const struct ccg_policy *p, size_t i);
/*
 * ccg_policy_rule_format: the condition of rule i in canonical form on one
 * line (as `fmt` writes it, without the rule's header), malloc'd; NULL when
 * out of range or out of memory. Two rules mean the same when these agree.
 */
CCG_API char *ccg_policy_rule_format(const struct ccg_policy *p, size_t i);

/*
 * ccg_policy_import: translates a relying-party policy in JSON (NVIDIA's
 * relying-party policy or an Azure Secure Key Release policy; docs/policy-language.md
 * "Importing") into policy text of the native language named name, malloc'd in
 * *out (parse it with ccg_policy_parse). What has no native equivalent is
 * refused, named in err. Thread-safe.
 */
CCG_API CCG_MUST_USE enum ccg_status ccg_policy_import(const uint8_t *json, size_t len, const char *name, char **out,
						       struct ccg_error *err);

/*
 * Detached policy signatures (docs/contracts.md): ECDSA P-384/SHA-384 (DER)
 * or Ed25519 over "ccgpu-policy-v1\n" ‖ the policy's canonical text
 * (ccg_policy_format).
 */
struct ccg_sign_key;
/*
 * ccg_sign_key_parse: a PEM private (private_key true) or public key of a
 * supported type; where names the key in errors. Other key types, or a public
 * key where a private one is wanted: CCG_ERR_UNSUPPORTED / CCG_ERR_ENCODING.
 */
CCG_API CCG_MUST_USE enum ccg_status ccg_sign_key_parse(const uint8_t *pem, size_t len, bool private_key,
							const char *where, struct ccg_sign_key **out,
							struct ccg_error *err);
/* ccg_sign_key_alg: "ecdsa-p384" or "ed25519". */
CCG_API const char *ccg_sign_key_alg(const struct ccg_sign_key *k);
/* ccg_sign_key_free: NULL is allowed. */
CCG_API void ccg_sign_key_free(struct ccg_sign_key *k);
/* ccg_policy_sign: signs the canonical text (len bytes) with the private key k; *out_sig is malloc'd. */
CCG_API CCG_MUST_USE enum ccg_status ccg_policy_sign(const struct ccg_sign_key *k, const char *canonical, size_t len,
						     uint8_t **out_sig, size_t *out_sig_len, struct ccg_error *err);
/*
 * ccg_policy_signature_verify: sig is k's signature over the canonical text;
 * CCG_ERR_SIGNATURE (named where) when it is not.
 */
CCG_API CCG_MUST_USE enum ccg_status ccg_policy_signature_verify(const struct ccg_sign_key *k, const char *canonical,
								 size_t len, const uint8_t *sig, size_t sig_len,
								 const char *where, struct ccg_error *err);

#ifdef __cplusplus
}
#endif
#endif
