/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The release log: an append-only RFC 9162 Merkle tree of JSON entries
 * (what happened — registration, upload, release, denial, suspension,
 * resume — to whom and when; never a secret) kept in the verifier's store,
 * with signed tree heads (STH) and inclusion and consistency proofs.
 *
 * Store layout (record tables of verifier/store.h, changed only inside the
 * caller's transaction, so a log row commits together with the state change
 * it records):
 *   log.entry  %016llx index          → the entry bytes
 *   log.node   %02u.%016llx level.idx → the 32-byte hash of the complete subtree
 *                                       of 2^level leaves at index idx (level 0: leaf hashes)
 *   log.hash   hex(leaf hash)         → the first index with that leaf hash (decimal)
 *   log.meta   size                   → the tree size (decimal)
 * An append writes the entry, its leaf hash, the subtree hashes it completes
 * (amortised one) and the size: O(log n) reads and writes at worst. Roots and
 * proofs read O(log n) subtree hashes per proof hash.
 *
 * The store is outside the trust boundary: a party keeps the last signed tree
 * head it saw and checks every new one with ccg_log_check (party/log.c), so a history
 * rewritten in the database (an edited, removed or reordered row) is caught;
 * entries read back are checked against their stored leaf hash, and a party
 * that fetches entries checks them against a signed head with ccg_log_entries_verify.
 *
 * Signed tree head: a compact JWS (ES384, the daemon's EAR key, ccg_ear_sign)
 * over {"typ":"ccgpu-log-sth/v1","tree_size":n,"timestamp":ms,"sha256_root_hash":base64}.
 * All functions are thread-safe (each call uses only its own transaction).
 */
#ifndef CCGPU_VERIFIER_LOG_H
#define CCGPU_VERIFIER_LOG_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "ccgpu/status.h"
#include "party/log.h" /* struct ccg_log_sth, the party's side of the log (exported: ccgpu/party.h) */
#include "party/merkle.h"
#include "token/ear.h"
#include "verifier/store.h"

/*
 * ccg_log_append: appends entry (a JSON object, at most CCG_LOG_MAX_ENTRY
 * bytes) inside t. *out_index (optional) receives its index, out_leaf_hash
 * (optional) its leaf hash. Not JSON or not an object: CCG_ERR_MALFORMED
 * naming "log.entry". Store errors pass through (CCG_ERR_STORE_CONFLICT:
 * retry the caller's whole transaction).
 */
CCG_MUST_USE enum ccg_status ccg_log_append(struct ccg_store_txn *t, const uint8_t *entry, size_t len,
					    uint64_t *out_index, uint8_t out_leaf_hash[CCG_MERKLE_HASH_LEN],
					    struct ccg_error *err);
/* ccg_log_size: the tree size (0 for a log never written). */
CCG_MUST_USE enum ccg_status ccg_log_size(struct ccg_store_txn *t, uint64_t *out, struct ccg_error *err);
/* ccg_log_root: MTH of the first size entries; size over the log's: CCG_ERR_INVALID_ARG ("log.tree_size"). */
CCG_MUST_USE enum ccg_status ccg_log_root(struct ccg_store_txn *t, uint64_t size, uint8_t out[CCG_MERKLE_HASH_LEN],
					  struct ccg_error *err);
/*
 * ccg_log_entry_get: entry index (malloc'd, *out_len bytes), checked against
 * its stored leaf hash: a row edited in the database is CCG_ERR_LOG_INCONSISTENT
 * naming "log.entry[index]". Beyond the log: CCG_ERR_NOT_FOUND.
 */
CCG_MUST_USE enum ccg_status ccg_log_entry_get(struct ccg_store_txn *t, uint64_t index, uint8_t **out, size_t *out_len,
					       struct ccg_error *err);
/* ccg_log_find: the index of the first entry whose leaf hash is leaf_hash; CCG_ERR_NOT_FOUND otherwise. */
CCG_MUST_USE enum ccg_status ccg_log_find(struct ccg_store_txn *t, const uint8_t leaf_hash[CCG_MERKLE_HASH_LEN],
					  uint64_t *out_index, struct ccg_error *err);
/* ccg_log_inclusion_proof / ccg_log_consistency_proof: ccg_merkle_*_proof over the stored tree; sizes over the log's: CCG_ERR_INVALID_ARG. */
CCG_MUST_USE enum ccg_status ccg_log_inclusion_proof(struct ccg_store_txn *t, uint64_t index, uint64_t size,
						     uint8_t out[][CCG_MERKLE_HASH_LEN], size_t *out_count,
						     struct ccg_error *err);
CCG_MUST_USE enum ccg_status ccg_log_consistency_proof(struct ccg_store_txn *t, uint64_t first, uint64_t second,
						       uint8_t out[][CCG_MERKLE_HASH_LEN], size_t *out_count,
						       struct ccg_error *err);

/* ccg_log_sth_sign: the compact JWS of sth (see above), malloc'd. */
CCG_MUST_USE enum ccg_status ccg_log_sth_sign(const struct ccg_ear_key *k, const struct ccg_log_sth *sth,
					      char **out_jws, struct ccg_error *err);

/*
 * HTTP bodies (application/json) the daemon's routes return; each runs in
 * its own read transaction on s and returns a malloc'd JSON text in *out_body.
 * Shapes in docs/api/openapi.yaml:
 *   GET /v1/log/sth                                   {"sth": JWS}
 *   GET /v1/log/entries?start=&end=                    {"entries":[{"index":i,"leaf_input":base64}]} (at most CCG_LOG_MAX_ENTRIES)
 *   GET /v1/log/proof?leaf_index=|leaf_hash=&tree_size= {"leaf_index":i,"tree_size":n,"audit_path":[base64]}
 *   GET /v1/log/consistency?first=&second=             {"first":m,"second":n,"consistency":[base64]}
 * Arguments outside the log: CCG_ERR_INVALID_ARG naming the parameter.
 */
CCG_MUST_USE enum ccg_status ccg_log_http_sth(struct ccg_store *s, const struct ccg_ear_key *k, int64_t now_ms,
					      char **out_body, struct ccg_error *err);
CCG_MUST_USE enum ccg_status ccg_log_http_entries(struct ccg_store *s, uint64_t start, uint64_t end, char **out_body,
						  struct ccg_error *err);
/* leaf_hash NULL: by leaf_index; otherwise by hash (leaf_index ignored). */
CCG_MUST_USE enum ccg_status ccg_log_http_proof(struct ccg_store *s, uint64_t leaf_index, const uint8_t *leaf_hash,
						uint64_t tree_size, char **out_body, struct ccg_error *err);
CCG_MUST_USE enum ccg_status ccg_log_http_consistency(struct ccg_store *s, uint64_t first, uint64_t second,
						      char **out_body, struct ccg_error *err);

/*
 * The party's side (ccg_log_sth_verify, ccg_log_check, ccg_log_entries_verify and the parsers of
 * these bodies) is party/log.c, declared in ccgpu/party.h.
 */

#endif
