/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Contracts in force in ccgpu-verifierd (issue 14): registration of a
 * contract version with its parties' detached signatures, and the party keys
 * registered with it. Kept in the store's table "contract", one row per
 * contract name (the document's "id"):
 *
 *   {"version": N, "id": "<SHA-384 hex of the canonical form>",
 *    "document": "<canonical contract>", "signatures": ["<signature doc>", ...],
 *    "keys": {"<party>": "<PEM public key>", ...}}
 *
 * Keys: the first version of a name that is in force (its threshold of
 * distinct parties signed it with the keys written in it, inside its
 * validity period) registers those keys. Every later version is judged
 * under the registered keys: it replaces the stored one only when it is
 * itself in force under them and its version number is higher; a party it
 * adds is registered with the key written for it; a registered party's key
 * is never changed by a later version (refused, naming the party) — key
 * rotation is not supported yet. No operator key takes part anywhere.
 */
#ifndef CCGPU_VERIFIER_CONTRACTS_H
#define CCGPU_VERIFIER_CONTRACTS_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "ccgpu/policy.h"
#include "ccgpu/status.h"

struct ccg_store_txn;

#define CCG_VCONTRACT_TABLE "contract"
#define CCG_VCONTRACT_MAX_SIGS 64

struct pol_consent;

/* A contract version in force, as stored, with its registered keys. */
struct ccg_vcontract {
	struct ccg_contract *contract; /* the stored version, its signatures added */
	struct ccg_party_keys *keys;   /* the registered keys */
	struct pol_consent *consent;   /* which parties signed it under those keys (established at load) */
	json_t *key_pems;              /* {"party": "PEM"}: the same keys as text */
	char name[129];                /* the document's "id" */
	int64_t version;
	char id[97]; /* SHA-384 hex of the canonical form */
};

/* ccg_vcontract_free: NULL is allowed. */
void ccg_vcontract_free(struct ccg_vcontract *vc);

/*
 * ccg_vcontract_load: the stored contract named name with its keys, read
 * inside txn, and re-established as stored (branch releasefast): the store
 * is outside the trust boundary, so a row is taken only when it is what
 * ccg_vcontract_register wrote — it parses, every signature is over exactly
 * its document's canonical bytes, each party of the document has a
 * registered key that is the key the document names for it, and the
 * threshold of distinct parties signed under those keys (the signatures are
 * verified here once; vc->consent keeps the result). Anything else is
 * CCG_ERR_CONTRACT_NOT_IN_FORCE with where = "contract[NAME].CHECK" (CHECK:
 * row, document, signatures[i], parties[ID].public-key, consent) and the
 * inner failure in the detail: an operator's edit (a weakened policy, a
 * replaced key, a lowered threshold) is refused, never used. CCG_ERR_NOT_FOUND
 * when there is none; store errors pass through. The validity period is
 * time-dependent: ccg_vcontract_in_force decides it at the caller's time.
 */
CCG_MUST_USE enum ccg_status ccg_vcontract_load(struct ccg_store_txn *txn, const char *name, struct ccg_vcontract **out,
						struct ccg_error *err);

/*
 * ccg_vcontract_in_force: vc (as loaded) is in force at now: its threshold
 * of consents (established at load, no signature verified again) and its
 * validity period. CCG_ERR_CONTRACT_NOT_IN_FORCE naming
 * "contract[NAME].consent" or "contract[NAME].validity" otherwise.
 */
CCG_MUST_USE enum ccg_status ccg_vcontract_in_force(const struct ccg_vcontract *vc, int64_t now, struct ccg_error *err);

/*
 * ccg_vcontract_party_key: the PEM key registered for party (borrowed from
 * vc). CCG_ERR_PARTY_UNKNOWN naming "party" when it has none.
 */
CCG_MUST_USE enum ccg_status ccg_vcontract_party_key(const struct ccg_vcontract *vc, const char *party,
						     const char **out_pem, struct ccg_error *err);

/*
 * ccg_vcontract_register: registers the contract document doc with the
 * detached signature documents sigs[0..n_sigs) inside txn (see above).
 * Refused, nothing written: a document or signature that does not parse or
 * verify (the contract layer's error, naming "signatures[i]" for a
 * signature); a version not above the stored one (CCG_ERR_DUPLICATE naming
 * "version"); a changed key of a registered party (CCG_ERR_UNSUPPORTED
 * naming "parties[ID].public-key"); not in force at now under the keys that
 * apply (ccg_contract_in_force's error). On success *out (optional)
 * receives the registered version.
 */
CCG_MUST_USE enum ccg_status ccg_vcontract_register(struct ccg_store_txn *txn, const uint8_t *doc, size_t doc_len,
						    const char *const *sigs, size_t n_sigs, int64_t now,
						    struct ccg_vcontract **out, struct ccg_error *err);

/*
 * ccg_vcontract_statement_accept: accepts a party's signed statement
 * (verifier/statement.h) for a request on the stored contract vc, inside
 * txn: the signer must have a registered key in vc (CCG_ERR_PARTY_UNKNOWN
 * naming "party"), the statement must verify under it, be made for route,
 * vc's name and body, lie in the window around now, and its jti is used up
 * in txn (each refusal as in statement.h). *out (optional) receives the
 * verified statement. Roll txn back on any refusal.
 */
struct ccg_statement;
CCG_MUST_USE enum ccg_status ccg_vcontract_statement_accept(struct ccg_store_txn *txn, const struct ccg_vcontract *vc,
							    const char *statement, const char *route,
							    const uint8_t *body, size_t body_len, int64_t now,
							    int64_t window, struct ccg_statement *out,
							    struct ccg_error *err);

#endif
