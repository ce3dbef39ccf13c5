/* SPDX-License-Identifier: Apache-2.0 */
/*
 * RFC 9162 §2.1 Merkle trees: hashing, proof generation and proof
 * verification, written from the RFC's algorithms (the recursive
 * definitions of MTH, PATH and SUBPROOF unrolled into loops, and the
 * verification steps of §2.1.3.2 and §2.1.4.2 as numbered there).
 */
#include "party/merkle.h"

#include <openssl/crypto.h>
#include <string.h>

#include "common/crypto.h"
#include "common/error.h"

static const uint8_t empty_root[CCG_MERKLE_HASH_LEN] = {
	0xe3, 0xb0, 0xc4, 0x42, 0x98, 0xfc, 0x1c, 0x14, 0x9a, 0xfb, 0xf4, 0xc8, 0x99, 0x6f, 0xb9, 0x24,
	0x27, 0xae, 0x41, 0xe4, 0x64, 0x9b, 0x93, 0x4c, 0xa4, 0x95, 0x99, 0x1b, 0x78, 0x52, 0xb8, 0x55,
};

void ccg_merkle_empty_root(uint8_t out[CCG_MERKLE_HASH_LEN])
{
	memcpy(out, empty_root, CCG_MERKLE_HASH_LEN);
}

enum ccg_status ccg_merkle_leaf_hash(const uint8_t *entry, size_t len, uint8_t out[CCG_MERKLE_HASH_LEN])
{
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	static const uint8_t prefix = 0x00;
	unsigned int n = 0;
	enum ccg_status st = CCG_ERR_CRYPTO;

	if (md == NULL)
		return CCG_ERR_NOMEM;
	if (EVP_DigestInit_ex(md, EVP_sha256(), NULL) == 1 && EVP_DigestUpdate(md, &prefix, 1) == 1 &&
	    (len == 0 || EVP_DigestUpdate(md, entry, len) == 1) && EVP_DigestFinal_ex(md, out, &n) == 1 &&
	    n == CCG_MERKLE_HASH_LEN)
		st = CCG_OK;
	EVP_MD_CTX_free(md);
	return st;
}

enum ccg_status ccg_merkle_node_hash(const uint8_t left[CCG_MERKLE_HASH_LEN], const uint8_t right[CCG_MERKLE_HASH_LEN],
				     uint8_t out[CCG_MERKLE_HASH_LEN])
{
	uint8_t buf[1 + 2 * CCG_MERKLE_HASH_LEN];

	buf[0] = 0x01;
	memcpy(buf + 1, left, CCG_MERKLE_HASH_LEN);
	memcpy(buf + 1 + CCG_MERKLE_HASH_LEN, right, CCG_MERKLE_HASH_LEN);
	return ccg_sha256(buf, sizeof(buf), out);
}

/* the largest power of two smaller than n (n >= 2) */
static uint64_t split_of(uint64_t n)
{
	uint64_t k = 1;

	while (k << 1 < n)
		k <<= 1;
	return k;
}

static int is_pow2(uint64_t n)
{
	return n != 0 && (n & (n - 1)) == 0;
}

/*
 * MTH(D[start:start+n]) for a subtree the RFC's recursion reaches: its left
 * parts are complete subtrees aligned on their size, read through fn.
 */
static enum ccg_status range_hash(ccg_merkle_subtree_fn fn, void *ctx, uint64_t start, uint64_t n,
				  uint8_t out[CCG_MERKLE_HASH_LEN], struct ccg_error *err)
{
	uint8_t left[CCG_MERKLE_HASH_LEN];
	uint64_t k;
	enum ccg_status st;

	if (n == 0)
		return ccg_error_set(err, CCG_ERR_INTERNAL, "merkle.subtree", "empty subtree asked for");
	if (is_pow2(n)) {
		unsigned level = (unsigned)__builtin_ctzll(n);

		if ((start & (n - 1)) != 0)
			return ccg_error_set(err, CCG_ERR_INTERNAL, "merkle.subtree", "unaligned subtree [%llu, +%llu)",
					     (unsigned long long)start, (unsigned long long)n);
		return fn(ctx, level, start >> level, out, err);
	}
	k = split_of(n);
	st = range_hash(fn, ctx, start, k, left, err);
	if (st == CCG_OK)
		st = range_hash(fn, ctx, start + k, n - k, out, err);
	if (st == CCG_OK)
		st = ccg_merkle_node_hash(left, out, out);
	return st;
}

enum ccg_status ccg_merkle_root(ccg_merkle_subtree_fn fn, void *ctx, uint64_t size, uint8_t out[CCG_MERKLE_HASH_LEN],
				struct ccg_error *err)
{
	if (size > CCG_MERKLE_MAX_SIZE)
		return ccg_error_set(err, CCG_ERR_INVALID_ARG, "merkle.tree_size", "%llu leaves is over the maximum",
				     (unsigned long long)size);
	if (size == 0) {
		ccg_merkle_empty_root(out);
		return CCG_OK;
	}
	return range_hash(fn, ctx, 0, size, out, err);
}

/* reverses the order of count hashes (the loops below collect root side first) */
static void reverse(uint8_t h[][CCG_MERKLE_HASH_LEN], size_t count)
{
	uint8_t t[CCG_MERKLE_HASH_LEN];

	for (size_t i = 0; i < count / 2; i++) {
		memcpy(t, h[i], CCG_MERKLE_HASH_LEN);
		memcpy(h[i], h[count - 1 - i], CCG_MERKLE_HASH_LEN);
		memcpy(h[count - 1 - i], t, CCG_MERKLE_HASH_LEN);
	}
}

enum ccg_status ccg_merkle_inclusion_proof(ccg_merkle_subtree_fn fn, void *ctx, uint64_t index, uint64_t size,
					   uint8_t out[][CCG_MERKLE_HASH_LEN], size_t *out_count, struct ccg_error *err)
{
	uint64_t start = 0, m = index, n = size;
	size_t count = 0;
	enum ccg_status st = CCG_OK;

	*out_count = 0;
	if (size > CCG_MERKLE_MAX_SIZE)
		return ccg_error_set(err, CCG_ERR_INVALID_ARG, "merkle.tree_size", "%llu leaves is over the maximum",
				     (unsigned long long)size);
	if (index >= size)
		return ccg_error_set(err, CCG_ERR_INVALID_ARG, "merkle.leaf_index",
				     "leaf %llu is not in a tree of %llu", (unsigned long long)index,
				     (unsigned long long)size);
	/* PATH(m, D[n]) = PATH(m, D[0:k]) : MTH(D[k:n]) for m < k, PATH(m - k, D[k:n]) : MTH(D[0:k]) otherwise */
	while (n > 1 && st == CCG_OK) {
		uint64_t k = split_of(n);

		if (count >= CCG_MERKLE_MAX_PROOF)
			return ccg_error_set(err, CCG_ERR_INTERNAL, "merkle.inclusion", "proof too long");
		if (m < k) {
			st = range_hash(fn, ctx, start + k, n - k, out[count++], err);
			n = k;
		} else {
			st = range_hash(fn, ctx, start, k, out[count++], err);
			start += k;
			m -= k;
			n -= k;
		}
	}
	if (st != CCG_OK)
		return st;
	reverse(out, count);
	*out_count = count;
	return CCG_OK;
}

enum ccg_status ccg_merkle_consistency_proof(ccg_merkle_subtree_fn fn, void *ctx, uint64_t first, uint64_t second,
					     uint8_t out[][CCG_MERKLE_HASH_LEN], size_t *out_count,
					     struct ccg_error *err)
{
	uint64_t start = 0, m = first, n = second;
	size_t count = 0;
	int b = 1;
	enum ccg_status st = CCG_OK;

	*out_count = 0;
	if (second > CCG_MERKLE_MAX_SIZE)
		return ccg_error_set(err, CCG_ERR_INVALID_ARG, "merkle.tree_size", "%llu leaves is over the maximum",
				     (unsigned long long)second);
	if (first > second)
		return ccg_error_set(err, CCG_ERR_INVALID_ARG, "merkle.consistency.first_size",
				     "first size %llu is over the second, %llu", (unsigned long long)first,
				     (unsigned long long)second);
	if (first == 0 || first == second)
		return CCG_OK;
	/*
	 * SUBPROOF(m, D[m], true) = {}; SUBPROOF(m, D[m], false) = {MTH(D[m])};
	 * m < n: SUBPROOF(m, D[0:k], b) : MTH(D[k:n]) for m <= k,
	 *        SUBPROOF(m - k, D[k:n], false) : MTH(D[0:k]) otherwise.
	 */
	for (;;) {
		if (count >= CCG_MERKLE_MAX_PROOF)
			return ccg_error_set(err, CCG_ERR_INTERNAL, "merkle.consistency", "proof too long");
		if (m == n) {
			if (!b)
				st = range_hash(fn, ctx, start, n, out[count++], err);
			break;
		}
		uint64_t k = split_of(n);

		if (m <= k) {
			st = range_hash(fn, ctx, start + k, n - k, out[count++], err);
			n = k;
		} else {
			st = range_hash(fn, ctx, start, k, out[count++], err);
			start += k;
			m -= k;
			n -= k;
			b = 0;
		}
		if (st != CCG_OK)
			break;
	}
	if (st != CCG_OK)
		return st;
	reverse(out, count);
	*out_count = count;
	return CCG_OK;
}

/*
 * RFC 9162 2.1.3.2 and 2.1.4.2, in both verifications: "if LSB(fn) is not
 * set, right-shift fn and sn equally until either LSB(fn) is set or fn is 0"
 */
static void shift_to_right_edge(uint64_t *fn, uint64_t *sn)
{
	while ((*fn & 1) == 0 && *fn != 0) {
		*fn >>= 1;
		*sn >>= 1;
	}
}

enum ccg_status ccg_merkle_inclusion_verify(uint64_t index, uint64_t size, const uint8_t leaf_hash[CCG_MERKLE_HASH_LEN],
					    const uint8_t proof[][CCG_MERKLE_HASH_LEN], size_t count,
					    const uint8_t root[CCG_MERKLE_HASH_LEN], struct ccg_error *err)
{
	uint8_t r[CCG_MERKLE_HASH_LEN];
	uint64_t fn, sn;
	enum ccg_status st;

	/* 1. leaf_index >= tree_size fails */
	if (index >= size)
		return ccg_error_set(err, CCG_ERR_LOG_PROOF, "merkle.inclusion.leaf_index",
				     "leaf %llu is not in a tree of %llu", (unsigned long long)index,
				     (unsigned long long)size);
	if (count > CCG_MERKLE_MAX_PROOF)
		return ccg_error_set(err, CCG_ERR_TOO_LARGE, "merkle.inclusion.path", "%zu hashes is too many", count);
	/* 2. fn = leaf_index, sn = tree_size - 1; 3. r = hash */
	fn = index;
	sn = size - 1;
	memcpy(r, leaf_hash, CCG_MERKLE_HASH_LEN);
	/* 4. for each p in the path */
	for (size_t i = 0; i < count; i++) {
		if (sn == 0)
			return ccg_error_set(err, CCG_ERR_MALFORMED, "merkle.inclusion.path",
					     "%zu hashes, more than a tree of %llu needs", count,
					     (unsigned long long)size);
		if ((fn & 1) != 0 || fn == sn) {
			st = ccg_merkle_node_hash(proof[i], r, r);
			shift_to_right_edge(&fn, &sn);
		} else {
			st = ccg_merkle_node_hash(r, proof[i], r);
		}
		if (st != CCG_OK)
			return ccg_error_set(err, st, "merkle.inclusion", "hashing failed");
		fn >>= 1;
		sn >>= 1;
	}
	/* 5. sn must be 0 and r the root */
	if (sn != 0)
		return ccg_error_set(err, CCG_ERR_MALFORMED, "merkle.inclusion.path",
				     "%zu hashes, fewer than a tree of %llu needs", count, (unsigned long long)size);
	if (CRYPTO_memcmp(r, root, CCG_MERKLE_HASH_LEN) != 0)
		return ccg_error_set(err, CCG_ERR_LOG_PROOF, "merkle.inclusion.root",
				     "leaf %llu with this path does not give the tree head of size %llu",
				     (unsigned long long)index, (unsigned long long)size);
	return CCG_OK;
}

enum ccg_status ccg_merkle_consistency_verify(uint64_t first, uint64_t second,
					      const uint8_t first_root[CCG_MERKLE_HASH_LEN],
					      const uint8_t second_root[CCG_MERKLE_HASH_LEN],
					      const uint8_t proof[][CCG_MERKLE_HASH_LEN], size_t count,
					      struct ccg_error *err)
{
	uint8_t fr[CCG_MERKLE_HASH_LEN], sr[CCG_MERKLE_HASH_LEN];
	uint64_t fn, sn;
	size_t i = 0;
	enum ccg_status st;

	if (first > second)
		return ccg_error_set(err, CCG_ERR_INVALID_ARG, "merkle.consistency.first_size",
				     "first size %llu is over the second, %llu", (unsigned long long)first,
				     (unsigned long long)second);
	if (second > CCG_MERKLE_MAX_SIZE)
		return ccg_error_set(err, CCG_ERR_INVALID_ARG, "merkle.tree_size", "%llu leaves is over the maximum",
				     (unsigned long long)second);
	if (count > CCG_MERKLE_MAX_PROOF)
		return ccg_error_set(err, CCG_ERR_TOO_LARGE, "merkle.consistency.path", "%zu hashes is too many",
				     count);
	if (first == 0 || first == second) {
		if (count != 0)
			return ccg_error_set(err, CCG_ERR_MALFORMED, "merkle.consistency.path",
					     "sizes %llu and %llu take the empty proof, not %zu hashes",
					     (unsigned long long)first, (unsigned long long)second, count);
		if (first == 0 && CRYPTO_memcmp(first_root, empty_root, CCG_MERKLE_HASH_LEN) != 0)
			return ccg_error_set(err, CCG_ERR_LOG_PROOF, "merkle.consistency.first_root",
					     "the tree of size 0 has the empty root");
		if (first == second && CRYPTO_memcmp(first_root, second_root, CCG_MERKLE_HASH_LEN) != 0)
			return ccg_error_set(err, CCG_ERR_LOG_PROOF, "merkle.consistency.second_root",
					     "two different heads for the tree of size %llu",
					     (unsigned long long)first);
		return CCG_OK;
	}
	/* 1. an empty path fails */
	if (count == 0)
		return ccg_error_set(err, CCG_ERR_MALFORMED, "merkle.consistency.path", "empty proof");
	/* 2. first an exact power of 2: first_hash is prepended to the path (read it from first_root below) */
	/* 3. fn = first - 1, sn = second - 1; 4. shift out the low 1 bits of fn */
	fn = first - 1;
	sn = second - 1;
	while ((fn & 1) != 0) {
		fn >>= 1;
		sn >>= 1;
	}
	/* 5. fr = sr = the first value of the (prepended) path */
	if (is_pow2(first)) {
		memcpy(fr, first_root, CCG_MERKLE_HASH_LEN);
	} else {
		memcpy(fr, proof[0], CCG_MERKLE_HASH_LEN);
		i = 1;
	}
	memcpy(sr, fr, CCG_MERKLE_HASH_LEN);
	/* 6. each subsequent value c */
	for (; i < count; i++) {
		if (sn == 0)
			return ccg_error_set(err, CCG_ERR_MALFORMED, "merkle.consistency.path",
					     "%zu hashes, more than sizes %llu and %llu need", count,
					     (unsigned long long)first, (unsigned long long)second);
		if ((fn & 1) != 0 || fn == sn) {
			st = ccg_merkle_node_hash(proof[i], fr, fr);
			if (st == CCG_OK)
				st = ccg_merkle_node_hash(proof[i], sr, sr);
			shift_to_right_edge(&fn, &sn);
		} else {
			st = ccg_merkle_node_hash(sr, proof[i], sr);
		}
		if (st != CCG_OK)
			return ccg_error_set(err, st, "merkle.consistency", "hashing failed");
		fn >>= 1;
		sn >>= 1;
	}
	/* 7. fr must be first_hash, sr second_hash, sn 0 */
	if (sn != 0)
		return ccg_error_set(err, CCG_ERR_MALFORMED, "merkle.consistency.path",
				     "%zu hashes, fewer than sizes %llu and %llu need", count,
				     (unsigned long long)first, (unsigned long long)second);
	if (CRYPTO_memcmp(fr, first_root, CCG_MERKLE_HASH_LEN) != 0)
		return ccg_error_set(err, CCG_ERR_LOG_PROOF, "merkle.consistency.first_root",
				     "the proof does not give the head of the tree of size %llu",
				     (unsigned long long)first);
	if (CRYPTO_memcmp(sr, second_root, CCG_MERKLE_HASH_LEN) != 0)
		return ccg_error_set(err, CCG_ERR_LOG_PROOF, "merkle.consistency.second_root",
				     "the proof does not give the head of the tree of size %llu",
				     (unsigned long long)second);
	return CCG_OK;
}

enum ccg_status ccg_merkle_leaves_subtree(void *ctx, unsigned level, uint64_t index, uint8_t out[CCG_MERKLE_HASH_LEN],
					  struct ccg_error *err)
{
	const struct ccg_merkle_leaves *l = ctx;
	uint8_t left[CCG_MERKLE_HASH_LEN];
	enum ccg_status st;

	if (level >= 63 || index > (l->count >> level) || ((index + 1) << level) > l->count)
		return ccg_error_set(err, CCG_ERR_INVALID_ARG, "merkle.subtree",
				     "subtree %u/%llu is outside %llu leaves", level, (unsigned long long)index,
				     (unsigned long long)l->count);
	if (level == 0) {
		memcpy(out, l->hashes[index], CCG_MERKLE_HASH_LEN);
		return CCG_OK;
	}
	st = ccg_merkle_leaves_subtree(ctx, level - 1, 2 * index, left, err);
	if (st == CCG_OK)
		st = ccg_merkle_leaves_subtree(ctx, level - 1, 2 * index + 1, out, err);
	if (st == CCG_OK)
		st = ccg_merkle_node_hash(left, out, out);
	return st;
}
