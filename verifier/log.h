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
 * head it saw and checks every new one with ccg_log_check, so a history
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
#include "token/ear.h"
#include "verifier/merkle.h"
#include "verifier/store.h"

#define CCG_LOG_MAX_ENTRY (64u * 1024u) /* bytes of one entry */
#define CCG_LOG_MAX_ENTRIES 256         /* entries in one GET entries answer */
#define CCG_LOG_MAX_JSON (1u << 20)     /* bytes of a proof or STH JSON text to parse */
#define CCG_LOG_STH_TYP "ccgpu-log-sth/v1"

struct ccg_log_sth {
	uint64_t tree_size;
	int64_t timestamp; /* milliseconds since the Unix epoch, injected by the caller */
	uint8_t root[CCG_MERKLE_HASH_LEN];
};

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
 * ccg_log_sth_verify: verifies a signed tree head against jwks
 * (ccg_jws_verify: ES384, key by kid) and reads it strictly: typ must be
 * CCG_LOG_STH_TYP, exactly the four members, tree_size and timestamp
 * non-negative integers, sha256_root_hash the base64 of 32 bytes. Errors name
 * "log.sth.<member>"; a bad signature is CCG_ERR_SIGNATURE.
 */
CCG_MUST_USE enum ccg_status ccg_log_sth_verify(const char *jws, const json_t *jwks, struct ccg_log_sth *out,
						struct ccg_error *err);

/*
 * ccg_log_check: the party's check of a new signed tree head against the
 * last one it kept (both already verified with ccg_log_sth_verify): the new
 * head's size is not smaller (CCG_ERR_LOG_INCONSISTENT naming
 * "log.sth.tree_size"), its time not earlier ("log.sth.timestamp"), the same
 * size has the same root, and proof is a valid RFC 9162 consistency proof
 * from the old head to the new one; a failed proof is CCG_ERR_LOG_INCONSISTENT
 * naming "log.consistency" with the sizes: the log's history was rewritten.
 */
CCG_MUST_USE enum ccg_status ccg_log_check(const struct ccg_log_sth *prev, const struct ccg_log_sth *next,
					   const uint8_t proof[][CCG_MERKLE_HASH_LEN], size_t count,
					   struct ccg_error *err);
/*
 * ccg_log_entries_verify: the party's check of entries [0, count) fetched from
 * the log against a verified head of size count: recomputes the root; a
 * mismatch is CCG_ERR_LOG_INCONSISTENT naming "log.entries".
 */
CCG_MUST_USE enum ccg_status ccg_log_entries_verify(const uint8_t *const *entries, const size_t *lens, size_t count,
						    const struct ccg_log_sth *sth, struct ccg_error *err);

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
 * Parsing those bodies on the party side (untrusted input, at most
 * CCG_LOG_MAX_JSON bytes, exactly the members listed, hashes the base64 of
 * 32 bytes, at most CCG_MERKLE_MAX_PROOF of them); errors name the member.
 * out must have room for CCG_MERKLE_MAX_PROOF hashes.
 */
CCG_MUST_USE enum ccg_status ccg_log_proof_parse(const uint8_t *body, size_t len, uint64_t *out_index,
						 uint64_t *out_size, uint8_t out[][CCG_MERKLE_HASH_LEN],
						 size_t *out_count, struct ccg_error *err);
CCG_MUST_USE enum ccg_status ccg_log_consistency_parse(const uint8_t *body, size_t len, uint64_t *out_first,
						       uint64_t *out_second, uint8_t out[][CCG_MERKLE_HASH_LEN],
						       size_t *out_count, struct ccg_error *err);
/*
 * ccg_log_entries_parse (branch party): the GET /v1/log/entries body for
 * [start, end) (end - start in 1..CCG_LOG_MAX_ENTRIES): exactly that many
 * entries, their indexes start, start + 1, … in order, each leaf_input the
 * base64 of at most CCG_LOG_MAX_ENTRY bytes. out[i] (malloc'd; the caller
 * frees each) and out_lens[i] receive entry start + i; on failure none is
 * left allocated. Unchecked against any head: ccg_log_entries_verify or an
 * inclusion proof decides. Errors name the member ("log.entries[3].index").
 */
CCG_MUST_USE enum ccg_status ccg_log_entries_parse(const uint8_t *body, size_t len, uint64_t start, uint64_t end,
						   uint8_t **out, size_t *out_lens, struct ccg_error *err);
/* ccg_log_sth_parse: {"sth": JWS} → ccg_log_sth_verify. */
CCG_MUST_USE enum ccg_status ccg_log_sth_parse(const uint8_t *body, size_t len, const json_t *jwks,
					       struct ccg_log_sth *out, struct ccg_error *err);

#endif
