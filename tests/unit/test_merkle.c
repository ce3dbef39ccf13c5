/* SPDX-License-Identifier: Apache-2.0 */
/*
 * RFC 9162 §2.1 Merkle trees (party/merkle.h): the published vectors of
 * the 8-leaf tree of leaves "", 00, 10, 2021, 3031, 40414243,
 * 5051525354555657, 606162636465666768696a6b6c6d6e6f (Google's
 * certificate-transparency and transparency-dev/merkle test data: every
 * node hash, every root, inclusion and consistency proofs), an exhaustive
 * cross-check of every (m, n) up to 64 against the RFC's recursive
 * definitions written out naively here, and every way a proof can be wrong:
 * each byte flipped, truncated, extended, the wrong index or sizes, and
 * the proofs that are only caught by the length checks of §2.1.3.2/§2.1.4.2.
 */
#include <stdarg.h>
#include <setjmp.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/crypto.h"
#include "common/encoding.h"
#include "party/merkle.h"

#define HL CCG_MERKLE_HASH_LEN
typedef uint8_t hash_t[HL];

static const char *const leaf_hex[8] = {
	"", "00", "10", "2021", "3031", "40414243", "5051525354555657", "606162636465666768696a6b6c6d6e6f",
};
/* node hashes by level (0: leaves) */
static const char *const nodes_hex[4][8] = {
	{"6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
	 "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
	 "0298d122906dcfc10892cb53a73992fc5b9f493ea4c9badb27b791b4127a7fe7",
	 "07506a85fd9dd2f120eb694f86011e5bb4662e5c415a62917033d4a9624487e7",
	 "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
	 "4271a26be0d8a84f0bd54c8c302e7cb3a3b5d1fa6780a40bcce2873477dab658",
	 "b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f",
	 "46f6ffadd3d06a09ff3c5860d2755c8b9819db7df44251788c7d8e3180de8eb1"},
	{"fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
	 "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
	 "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
	 "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0"},
	{"d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
	 "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"},
	{"5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328"},
};
/* roots of the trees of 0..8 leaves */
static const char *const roots_hex[9] = {
	"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
	"6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
	"fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
	"aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
	"d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
	"4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
	"76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
	"ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
	"5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
};

struct vec {
	uint64_t a, b; /* inclusion: leaf index, size; consistency: first, second */
	size_t count;
	const char *path[3];
};
/* transparency-dev/merkle proof/verify_test.go (leaf numbers there are 1-based) */
static const struct vec inclusion_vectors[] = {
	{0, 1, 0, {NULL}},
	{0,
	 8,
	 3,
	 {"96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
	  "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
	  "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"}},
	{5,
	 8,
	 3,
	 {"bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
	  "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
	  "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"}},
	{2, 3, 1, {"fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"}},
	{1,
	 5,
	 3,
	 {"6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
	  "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
	  "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"}},
};
static const struct vec consistency_vectors[] = {
	{1, 1, 0, {NULL}},
	{1,
	 8,
	 3,
	 {"96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
	  "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
	  "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"}},
	{6,
	 8,
	 3,
	 {"0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
	  "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
	  "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"}},
	{2,
	 5,
	 2,
	 {"5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
	  "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"}},
	{6,
	 7,
	 3,
	 {"0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
	  "b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f",
	  "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"}},
};

static void hx(const char *hex, uint8_t *out, size_t len)
{
	assert_int_equal(ccg_hex_decode_fixed(hex, strlen(hex), out, len), CCG_OK);
}

static hash_t vleaves[8];

static void vector_leaves(void)
{
	for (int i = 0; i < 8; i++) {
		uint8_t in[16];
		size_t n = strlen(leaf_hex[i]) / 2;

		if (n > 0)
			hx(leaf_hex[i], in, n);
		assert_int_equal(ccg_merkle_leaf_hash(in, n, vleaves[i]), CCG_OK);
	}
}

static void test_vectors_hashes(void **state)
{
	struct ccg_merkle_leaves l = {.hashes = (const uint8_t(*)[HL])vleaves};
	hash_t want, got;

	(void)state;
	vector_leaves();
	for (unsigned level = 0; level < 4; level++)
		for (uint64_t i = 0; i < (8u >> level); i++) {
			l.count = 8;
			hx(nodes_hex[level][i], want, HL);
			assert_int_equal(ccg_merkle_leaves_subtree(&l, level, i, got, NULL), CCG_OK);
			assert_memory_equal(got, want, HL);
		}
	for (uint64_t n = 0; n <= 8; n++) {
		l.count = n;
		hx(roots_hex[n], want, HL);
		assert_int_equal(ccg_merkle_root(ccg_merkle_leaves_subtree, &l, n, got, NULL), CCG_OK);
		assert_memory_equal(got, want, HL);
	}
	ccg_merkle_empty_root(got);
	hx(roots_hex[0], want, HL);
	assert_memory_equal(got, want, HL);
}

/*
 * Verification of a vector of either kind over (a, b): inclusion of leaf a in the tree of size b, or
 * consistency from size a to size b, against the published roots.
 */
static enum ccg_status vector_verify(bool consistency, uint64_t a, uint64_t b, const uint64_t root_of[2], hash_t *path,
				     size_t count)
{
	hash_t r1, r2;

	hx(roots_hex[root_of[0]], r1, HL);
	hx(roots_hex[root_of[1]], r2, HL);
	if (consistency)
		return ccg_merkle_consistency_verify(a, b, r1, r2, (const uint8_t(*)[HL])path, count, NULL);
	return ccg_merkle_inclusion_verify(a, b, vleaves[a], (const uint8_t(*)[HL])path, count, r2, NULL);
}

static void test_vectors_proofs(void **state)
{
	static const struct {
		const struct vec *v;
		size_t n;
		bool consistency;
	} tables[] = {
		{inclusion_vectors, sizeof(inclusion_vectors) / sizeof(inclusion_vectors[0]), false},
		{consistency_vectors, sizeof(consistency_vectors) / sizeof(consistency_vectors[0]), true},
	};
	struct ccg_merkle_leaves l = {.hashes = (const uint8_t(*)[HL])vleaves, .count = 8};
	hash_t path[CCG_MERKLE_MAX_PROOF], want[3];
	size_t count;

	(void)state;
	vector_leaves();
	for (size_t k = 0; k < sizeof(tables) / sizeof(tables[0]); k++)
		for (size_t v = 0; v < tables[k].n; v++) {
			const struct vec *t = &tables[k].v[v];
			bool cons = tables[k].consistency;
			/* the roots the verification compares: the first tree's (consistency) and the whole tree's */
			const uint64_t roots[2] = {cons ? t->a : t->b, t->b};

			for (size_t i = 0; i < t->count; i++)
				hx(t->path[i], want[i], HL);
			l.count = t->b;
			assert_int_equal(cons ? ccg_merkle_consistency_proof(ccg_merkle_leaves_subtree, &l, t->a, t->b,
									     path, &count, NULL)
					      : ccg_merkle_inclusion_proof(ccg_merkle_leaves_subtree, &l, t->a, t->b,
									   path, &count, NULL),
					 CCG_OK);
			assert_int_equal(count, t->count);
			if (count > 0)
				assert_memory_equal(path, want, count * HL);
			assert_int_equal(vector_verify(cons, t->a, t->b, roots, want, t->count), CCG_OK);
			/* the wrong tree size (×2, /2); an empty consistency proof proves nothing to vary */
			if (cons && t->count == 0)
				continue;
			assert_int_not_equal(vector_verify(cons, t->a, t->b * 2, roots, want, t->count), CCG_OK);
			assert_int_not_equal(vector_verify(cons, t->a, t->b / 2, roots, want, t->count), CCG_OK);
		}
}

/* ---- the RFC's recursive definitions, naively, over leaf hashes ---- */

static uint64_t k_of(uint64_t n)
{
	uint64_t k = 1;

	while (k * 2 < n)
		k *= 2;
	return k;
}

static void naive_mth(hash_t *d, uint64_t n, uint8_t out[HL])
{
	hash_t l, r;
	uint8_t buf[1 + 2 * HL];

	if (n == 0) {
		ccg_merkle_empty_root(out);
		return;
	}
	if (n == 1) {
		memcpy(out, d[0], HL);
		return;
	}
	naive_mth(d, k_of(n), l);
	naive_mth(d + k_of(n), n - k_of(n), r);
	buf[0] = 1;
	memcpy(buf + 1, l, HL);
	memcpy(buf + 1 + HL, r, HL);
	assert_int_equal(ccg_sha256(buf, sizeof(buf), out), CCG_OK);
}

static void naive_path(uint64_t m, hash_t *d, uint64_t n, hash_t *out, size_t *count)
{
	uint64_t k;

	if (n == 1)
		return;
	k = k_of(n);
	if (m < k) {
		naive_path(m, d, k, out, count);
		naive_mth(d + k, n - k, out[(*count)++]);
	} else {
		naive_path(m - k, d + k, n - k, out, count);
		naive_mth(d, k, out[(*count)++]);
	}
}

static void naive_subproof(uint64_t m, hash_t *d, uint64_t n, int b, hash_t *out, size_t *count)
{
	uint64_t k;

	if (m == n) {
		if (!b)
			naive_mth(d, m, out[(*count)++]);
		return;
	}
	k = k_of(n);
	if (m <= k) {
		naive_subproof(m, d, k, b, out, count);
		naive_mth(d + k, n - k, out[(*count)++]);
	} else {
		naive_subproof(m - k, d + k, n - k, 0, out, count);
		naive_mth(d, k, out[(*count)++]);
	}
}

#define MAXN 64

static hash_t xleaves[MAXN];

static void make_leaves(void)
{
	for (int i = 0; i < MAXN; i++) {
		uint8_t e[2] = {(uint8_t)i, 0x5a};

		assert_int_equal(ccg_merkle_leaf_hash(e, 2, xleaves[i]), CCG_OK);
	}
}

static void test_exhaustive(void **state)
{
	struct ccg_merkle_leaves l = {.hashes = (const uint8_t(*)[HL])xleaves};
	hash_t got[CCG_MERKLE_MAX_PROOF], want[CCG_MERKLE_MAX_PROOF], rn, rm, r;
	size_t count, wcount;

	(void)state;
	make_leaves();
	for (uint64_t n = 1; n <= MAXN; n++) {
		l.count = n;
		naive_mth(xleaves, n, rn);
		assert_int_equal(ccg_merkle_root(ccg_merkle_leaves_subtree, &l, n, r, NULL), CCG_OK);
		assert_memory_equal(r, rn, HL);
		for (uint64_t m = 0; m < n; m++) {
			wcount = 0;
			naive_path(m, xleaves, n, want, &wcount);
			assert_int_equal(ccg_merkle_inclusion_proof(ccg_merkle_leaves_subtree, &l, m, n, got, &count,
								    NULL),
					 CCG_OK);
			assert_int_equal(count, wcount);
			if (count > 0)
				assert_memory_equal(got, want, count * HL);
			assert_int_equal(ccg_merkle_inclusion_verify(m, n, xleaves[m], (const uint8_t(*)[HL])got, count,
								     rn, NULL),
					 CCG_OK);
			/* another leaf at the same place is refused */
			assert_int_equal(ccg_merkle_inclusion_verify(m, n, xleaves[(m + 1) % MAXN],
								     (const uint8_t(*)[HL])got, count, rn, NULL),
					 CCG_ERR_LOG_PROOF);
		}
		for (uint64_t m = 1; m <= n; m++) {
			wcount = 0;
			if (m < n)
				naive_subproof(m, xleaves, n, 1, want, &wcount);
			naive_mth(xleaves, m, rm);
			assert_int_equal(ccg_merkle_consistency_proof(ccg_merkle_leaves_subtree, &l, m, n, got, &count,
								      NULL),
					 CCG_OK);
			assert_int_equal(count, wcount);
			if (count > 0)
				assert_memory_equal(got, want, count * HL);
			assert_int_equal(ccg_merkle_consistency_verify(m, n, rm, rn, (const uint8_t(*)[HL])got, count,
								       NULL),
					 CCG_OK);
		}
	}
}

static enum ccg_status incl(uint64_t m, uint64_t n, const uint8_t *leaf, hash_t *p, size_t count, const uint8_t *root,
			    struct ccg_error *err)
{
	ccg_error_clear(err);
	return ccg_merkle_inclusion_verify(m, n, leaf, (const uint8_t(*)[HL])p, count, root, err);
}

static enum ccg_status cons(uint64_t m, uint64_t n, const uint8_t *r1, const uint8_t *r2, hash_t *p, size_t count,
			    struct ccg_error *err)
{
	ccg_error_clear(err);
	return ccg_merkle_consistency_verify(m, n, r1, r2, (const uint8_t(*)[HL])p, count, err);
}

/* every byte of every proof flipped, each proof truncated, extended, with wrong sizes: refused */
static void test_corrupt(void **state)
{
	struct ccg_merkle_leaves l = {.hashes = (const uint8_t(*)[HL])xleaves};
	hash_t p[CCG_MERKLE_MAX_PROOF + 2], rn, rm;
	struct ccg_error err;
	size_t count;

	(void)state;
	make_leaves();
	for (uint64_t n = 2; n <= 21; n++) {
		l.count = n;
		naive_mth(xleaves, n, rn);
		for (uint64_t m = 0; m < n; m++) {
			assert_int_equal(ccg_merkle_inclusion_proof(ccg_merkle_leaves_subtree, &l, m, n, p, &count,
								    NULL),
					 CCG_OK);
			for (size_t i = 0; i < count * HL; i++) {
				p[i / HL][i % HL] ^= 0x01;
				assert_int_equal(incl(m, n, xleaves[m], p, count, rn, &err), CCG_ERR_LOG_PROOF);
				assert_string_equal(err.where, "merkle.inclusion.root");
				p[i / HL][i % HL] ^= 0x01;
			}
			for (size_t c = 0; c < count; c++)
				assert_int_not_equal(incl(m, n, xleaves[m], p, c, rn, &err), CCG_OK);
			memcpy(p[count], rn, HL);
			assert_int_not_equal(incl(m, n, xleaves[m], p, count + 1, rn, &err), CCG_OK);
			/* (another tree size can share a path's shape, e.g. leaf 0 of 5 and of 6: the
			 * size is bound by the signed tree head, and the vectors test sizes ×2 and /2) */
			assert_int_not_equal(incl(m ^ 1, n, xleaves[m], p, count, rn, &err), CCG_OK);
			assert_int_equal(incl(n, n, xleaves[m], p, count, rn, &err), CCG_ERR_LOG_PROOF);
			assert_string_equal(err.where, "merkle.inclusion.leaf_index");
			assert_int_equal(incl(m, n, xleaves[m], p, count, rn, &err), CCG_OK);
		}
		for (uint64_t m = 1; m < n; m++) {
			naive_mth(xleaves, m, rm);
			assert_int_equal(ccg_merkle_consistency_proof(ccg_merkle_leaves_subtree, &l, m, n, p, &count,
								      NULL),
					 CCG_OK);
			assert_true(count > 0);
			for (size_t i = 0; i < count * HL; i++) {
				p[i / HL][i % HL] ^= 0x80;
				assert_int_equal(cons(m, n, rm, rn, p, count, &err), CCG_ERR_LOG_PROOF);
				p[i / HL][i % HL] ^= 0x80;
			}
			for (size_t c = 0; c < count; c++)
				assert_int_not_equal(cons(m, n, rm, rn, p, c, &err), CCG_OK);
			memcpy(p[count], rn, HL);
			assert_int_not_equal(cons(m, n, rm, rn, p, count + 1, &err), CCG_OK);
			assert_int_not_equal(cons(m, n, rn, rm, p, count, &err), CCG_OK);
			assert_int_not_equal(cons(m + 1, n, rm, rn, p, count, &err), CCG_OK);
			assert_int_not_equal(cons(m - 1, n, rm, rn, p, count, &err), CCG_OK);
			/* the roots checked one by one: each wrong root named */
			assert_int_equal(cons(m, n, rm, rm, p, count, &err), CCG_ERR_LOG_PROOF);
			assert_string_equal(err.where, "merkle.consistency.second_root");
			assert_int_equal(cons(m, n, rn, rn, p, count, &err), CCG_ERR_LOG_PROOF);
			/* (a power-of-two first size starts from the first root itself, so the second root shows it) */
			if ((m & (m - 1)) != 0)
				assert_string_equal(err.where, "merkle.consistency.first_root");
			assert_int_equal(cons(m, n, rm, rn, p, count, &err), CCG_OK);
		}
	}
}

/* the edge cases of §2.1.3.2/§2.1.4.2 and the length checks, each caught by its own check */
static void test_edges(void **state)
{
	struct ccg_merkle_leaves l = {.hashes = (const uint8_t(*)[HL])xleaves, .count = 8};
	hash_t p[CCG_MERKLE_MAX_PROOF + 1], r, r3, r4, empty;
	struct ccg_error err;
	uint8_t buf[1 + 2 * HL];
	size_t count = 0;

	(void)state;
	make_leaves();
	ccg_merkle_empty_root(empty);
	memset(p, 0x11, sizeof(p));
	/* a path longer than a 1-leaf tree needs, whose root was made to match: the sn == 0 check */
	assert_int_equal(ccg_merkle_node_hash(p[0], xleaves[0], r), CCG_OK);
	assert_int_equal(incl(0, 1, xleaves[0], p, 1, r, &err), CCG_ERR_MALFORMED);
	assert_string_equal(err.where, "merkle.inclusion.path");
	/* a path too short, the "root" the subtree it reaches: the final sn != 0 check */
	assert_int_equal(incl(0, 2, xleaves[0], p, 0, xleaves[0], &err), CCG_ERR_MALFORMED);
	assert_string_equal(err.where, "merkle.inclusion.path");
	/* too many hashes */
	assert_int_equal(incl(0, 8, xleaves[0], p, CCG_MERKLE_MAX_PROOF + 1, r, &err), CCG_ERR_TOO_LARGE);
	assert_int_equal(cons(3, 8, r, r, p, CCG_MERKLE_MAX_PROOF + 1, &err), CCG_ERR_TOO_LARGE);

	/* consistency: sizes out of order, the empty tree, equal sizes */
	assert_int_equal(cons(5, 4, r, r, p, 0, &err), CCG_ERR_INVALID_ARG);
	assert_string_equal(err.where, "merkle.consistency.first_size");
	assert_int_equal(cons(0, 4, empty, r, p, 0, &err), CCG_OK);
	assert_int_equal(cons(0, 0, empty, empty, p, 0, &err), CCG_OK);
	assert_int_equal(cons(0, 4, r, r, p, 0, &err), CCG_ERR_LOG_PROOF);
	assert_string_equal(err.where, "merkle.consistency.first_root");
	assert_int_equal(cons(0, 4, empty, r, p, 1, &err), CCG_ERR_MALFORMED);
	assert_int_equal(cons(4, 4, r, r, p, 0, &err), CCG_OK);
	assert_int_equal(cons(4, 4, r, empty, p, 0, &err), CCG_ERR_LOG_PROOF);
	assert_string_equal(err.where, "merkle.consistency.second_root");
	assert_int_equal(cons(4, 4, r, r, p, 1, &err), CCG_ERR_MALFORMED);
	/* 0 < first < second with no proof */
	assert_int_equal(cons(3, 4, r, r, p, 0, &err), CCG_ERR_MALFORMED);
	assert_string_equal(err.where, "merkle.consistency.path");

	/* (3, 4) plus one hash x, both roots made to match: only the sn == 0 check refuses it */
	naive_mth(xleaves, 3, r3);
	naive_mth(xleaves, 4, r4);
	assert_int_equal(ccg_merkle_consistency_proof(ccg_merkle_leaves_subtree, &l, 3, 4, p, &count, NULL), CCG_OK);
	assert_int_equal(count, 3);
	memset(p[3], 0x22, HL);
	buf[0] = 1;
	memcpy(buf + 1, p[3], HL);
	memcpy(buf + 1 + HL, r3, HL);
	assert_int_equal(ccg_sha256(buf, sizeof(buf), r), CCG_OK);
	memcpy(buf + 1 + HL, r4, HL);
	assert_int_equal(ccg_sha256(buf, sizeof(buf), r3), CCG_OK);
	assert_int_equal(cons(3, 4, r, r3, p, 4, &err), CCG_ERR_MALFORMED);
	assert_string_equal(err.where, "merkle.consistency.path");
	/* (1, 4) truncated to (1, 2)'s proof, second root that of size 2: only the final sn != 0 check */
	naive_mth(xleaves, 2, r);
	memcpy(p[0], xleaves[1], HL);
	assert_int_equal(cons(1, 4, xleaves[0], r, p, 1, &err), CCG_ERR_MALFORMED);
	assert_string_equal(err.where, "merkle.consistency.path");

	/* generation: bad indices and sizes */
	assert_int_equal(ccg_merkle_inclusion_proof(ccg_merkle_leaves_subtree, &l, 8, 8, p, &count, &err),
			 CCG_ERR_INVALID_ARG);
	assert_int_equal(ccg_merkle_consistency_proof(ccg_merkle_leaves_subtree, &l, 5, 4, p, &count, &err),
			 CCG_ERR_INVALID_ARG);
	assert_int_equal(ccg_merkle_root(ccg_merkle_leaves_subtree, &l, CCG_MERKLE_MAX_SIZE + 1, r, &err),
			 CCG_ERR_INVALID_ARG);
	/* a subtree outside the leaves is refused by the in-memory reader */
	assert_int_equal(ccg_merkle_root(ccg_merkle_leaves_subtree, &l, 9, r, &err), CCG_ERR_INVALID_ARG);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_vectors_hashes), cmocka_unit_test(test_vectors_proofs),
		cmocka_unit_test(test_exhaustive),     cmocka_unit_test(test_corrupt),
		cmocka_unit_test(test_edges),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
