/* SPDX-License-Identifier: Apache-2.0 */
/*
 * RFC 9162 (Certificate Transparency 2.0) §2.1 Merkle trees with SHA-256:
 * leaf hash SHA-256(0x00 ‖ entry), node hash SHA-256(0x01 ‖ left ‖ right),
 * the tree head MTH of any number of leaves, inclusion proofs (§2.1.3.1
 * generation, §2.1.3.2 verification) and consistency proofs (§2.1.4.1,
 * §2.1.4.2). Pure computation, no store: the release log (verifier/log.h)
 * feeds it stored subtree hashes, a party verifies proofs with it alone (the
 * verification calls are exported: ccgpu/party.h).
 *
 * Proof generation reads hashes through a callback that returns the hash of
 * one complete, aligned subtree (level l, index i: leaves [i·2^l, (i+1)·2^l));
 * the algorithms of the RFC only ever need such subtrees plus the right edge,
 * which is built from O(log n) of them. All functions are thread-safe.
 */
#ifndef CCGPU_PARTY_MERKLE_H
#define CCGPU_PARTY_MERKLE_H

#include <stddef.h>
#include <stdint.h>

#include "ccgpu/party.h" /* CCG_MERKLE_HASH_LEN, CCG_MERKLE_MAX_PROOF, the leaf hash and both verifications */
#include "ccgpu/status.h"

#define CCG_MERKLE_MAX_SIZE (UINT64_C(1) << 62) /* leaves in a tree, at most */

/* ccg_merkle_node_hash: SHA-256(0x01 ‖ left ‖ right); out may alias left or right. */
CCG_MUST_USE enum ccg_status ccg_merkle_node_hash(const uint8_t left[CCG_MERKLE_HASH_LEN],
						  const uint8_t right[CCG_MERKLE_HASH_LEN],
						  uint8_t out[CCG_MERKLE_HASH_LEN]);
/* ccg_merkle_empty_root: MTH({}) = SHA-256 of the empty string. */
void ccg_merkle_empty_root(uint8_t out[CCG_MERKLE_HASH_LEN]);

/*
 * ccg_merkle_subtree_fn: writes the hash of the complete subtree at level
 * (0: one leaf's hash) and index (leaves [index << level, (index + 1) << level)).
 * Called only for subtrees inside the tree being asked about.
 */
typedef enum ccg_status (*ccg_merkle_subtree_fn)(void *ctx, unsigned level, uint64_t index,
						 uint8_t out[CCG_MERKLE_HASH_LEN], struct ccg_error *err);

/*
 * ccg_merkle_root: MTH(D[0:size]) (size 0: the empty root). size over
 * CCG_MERKLE_MAX_SIZE: CCG_ERR_INVALID_ARG. Errors of fn pass through.
 */
CCG_MUST_USE enum ccg_status ccg_merkle_root(ccg_merkle_subtree_fn fn, void *ctx, uint64_t size,
					     uint8_t out[CCG_MERKLE_HASH_LEN], struct ccg_error *err);

/*
 * ccg_merkle_inclusion_proof: PATH(index, D[0:size]) of RFC 9162 §2.1.3.1,
 * leaf side first, into out (room for CCG_MERKLE_MAX_PROOF hashes);
 * *out_count hashes. index >= size: CCG_ERR_INVALID_ARG naming
 * "merkle.leaf_index".
 */
CCG_MUST_USE enum ccg_status ccg_merkle_inclusion_proof(ccg_merkle_subtree_fn fn, void *ctx, uint64_t index,
							uint64_t size, uint8_t out[][CCG_MERKLE_HASH_LEN],
							size_t *out_count, struct ccg_error *err);
/*
 * ccg_merkle_consistency_proof: PROOF(first, D[0:second]) of RFC 9162
 * §2.1.4.1 into out (room for CCG_MERKLE_MAX_PROOF hashes). first == 0 or
 * first == second: the empty proof. first > second: CCG_ERR_INVALID_ARG.
 */
CCG_MUST_USE enum ccg_status ccg_merkle_consistency_proof(ccg_merkle_subtree_fn fn, void *ctx, uint64_t first,
							  uint64_t second, uint8_t out[][CCG_MERKLE_HASH_LEN],
							  size_t *out_count, struct ccg_error *err);

/* ccg_merkle_inclusion_verify, ccg_merkle_consistency_verify: ccgpu/party.h (exported, branch api). */

/*
 * In-memory trees (tests, small logs, the party CLI): ctx is a struct
 * ccg_merkle_leaves over an array of leaf hashes; ccg_merkle_leaves_subtree
 * hashes the subtree from them (O(2^level)).
 */
struct ccg_merkle_leaves {
	const uint8_t (*hashes)[CCG_MERKLE_HASH_LEN];
	uint64_t count;
};
CCG_MUST_USE enum ccg_status ccg_merkle_leaves_subtree(void *ctx, unsigned level, uint64_t index,
						       uint8_t out[CCG_MERKLE_HASH_LEN], struct ccg_error *err);

#endif
