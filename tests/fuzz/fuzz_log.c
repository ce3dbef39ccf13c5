/* SPDX-License-Identifier: Apache-2.0 */
/*
 * libFuzzer target for the release log's party-side parsing and checks
 * (verifier/log.h): the first byte picks what the rest is —
 *   'p' an inclusion-proof body (ccg_log_proof_parse), then verified with
 *       ccg_merkle_inclusion_verify against the 8-leaf tree of RFC 6962's
 *       test data (leaves "", 00, 10, 2021, …; tree sizes 1..8);
 *   'c' a consistency-proof body (ccg_log_consistency_parse), then
 *       ccg_log_check between the heads of that tree at the two sizes;
 *   's' a signed tree head body (ccg_log_sth_parse) against a fixed JWKS;
 *   'e' an entries body for [0, 8) (ccg_log_entries_parse, the party CLI's
 *       reading of GET /v1/log/entries), then ccg_log_entries_verify against
 *       the head of size 8 (branch party).
 * The seeds hold valid bodies (corpus/log/…-valid.json), so mutations start
 * from inputs that pass every check. An accepted proof must be for a leaf
 * inside the tree; an accepted head must be the one the seed signed;
 * accepted entries must be the tree's leaves.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/encoding.h"
#include "common/error.h"
#include "fuzz.h"
#include "verifier/log.h"

/* the public JWK of the key that signed corpus/log/sth-valid (its private key is not kept) */
static const char jwks_text[] =
	"{\"keys\":[{\"alg\":\"ES384\",\"crv\":\"P-384\",\"kid\":\"i93J5PKETr2idmqQLvE6FO0fD5NV5BXjJh7Umk2ba10\",\"kty\":\"EC\",\"use\":\"sig\",\"x\":\"y0pY_7iXDGZa5mdE8ZsmmWQlFTOayhDlvAxFSyOf3R3su4Wf0JknO1i7U7biPuqr\",\"y\":\"xjK1Bf1ewSNH1p86APYuaWECzXSLwXu_j2ODsqFDdBaghzk2zOpEa-v06ot5SEMC\"}]}";

static const char *const leaf_hex[8] = {
	"", "00", "10", "2021", "3031", "40414243", "5051525354555657", "606162636465666768696a6b6c6d6e6f",
};

static json_t *jwks;
static uint8_t leaves[8][CCG_MERKLE_HASH_LEN];
static struct ccg_log_sth heads[9];

static void free_jwks(void)
{
	json_decref(jwks);
	jwks = NULL;
}

int ccg_fuzz_init(void)
{
	struct ccg_merkle_leaves l = {.hashes = (const uint8_t(*)[CCG_MERKLE_HASH_LEN])leaves, .count = 8};

	jwks = json_loads(jwks_text, 0, NULL);
	if (jwks == NULL)
		abort();
	atexit(free_jwks);
	for (int i = 0; i < 8; i++) {
		uint8_t in[16];
		size_t n = strlen(leaf_hex[i]) / 2;

		if ((n > 0 && ccg_hex_decode_fixed(leaf_hex[i], 2 * n, in, n) != CCG_OK) ||
		    ccg_merkle_leaf_hash(in, n, leaves[i]) != CCG_OK)
			abort();
	}
	for (uint64_t n = 0; n <= 8; n++) {
		heads[n].tree_size = n;
		heads[n].timestamp = (int64_t)n;
		if (ccg_merkle_root(ccg_merkle_leaves_subtree, &l, n, heads[n].root, NULL) != CCG_OK)
			abort();
	}
	return 0;
}

int ccg_fuzz_verdict(const uint8_t *data, size_t size)
{
	uint8_t path[CCG_MERKLE_MAX_PROOF][CCG_MERKLE_HASH_LEN];
	struct ccg_log_sth sth;
	struct ccg_error err;
	uint64_t a = 0, b = 0;
	size_t count = 0;
	enum ccg_status s;

	if (size == 0)
		return CCG_ERR_TRUNCATED;
	ccg_error_clear(&err);
	switch (data[0]) {
	case 'p':
		s = ccg_log_proof_parse(data + 1, size - 1, &a, &b, path, &count, &err);
		if (s != CCG_OK)
			break;
		if (b == 0 || b > 8 || a >= b) {
			s = ccg_error_set(&err, CCG_ERR_INVALID_ARG, "fuzz.log.sizes", "not a leaf of the 8-leaf tree");
			break;
		}
		s = ccg_merkle_inclusion_verify(a, b, leaves[a], (const uint8_t(*)[CCG_MERKLE_HASH_LEN])path, count,
						heads[b].root, &err);
		if (s == CCG_OK && (a >= b || count > CCG_MERKLE_MAX_PROOF))
			abort();
		break;
	case 'c':
		s = ccg_log_consistency_parse(data + 1, size - 1, &a, &b, path, &count, &err);
		if (s != CCG_OK)
			break;
		if (a > 8 || b > 8) {
			s = ccg_error_set(&err, CCG_ERR_INVALID_ARG, "fuzz.log.sizes", "not sizes of the 8-leaf tree");
			break;
		}
		s = ccg_log_check(&heads[a], &heads[b], (const uint8_t(*)[CCG_MERKLE_HASH_LEN])path, count, &err);
		if (s == CCG_OK && a > b)
			abort();
		break;
	case 's':
		s = ccg_log_sth_parse(data + 1, size - 1, jwks, &sth, &err);
		if (s == CCG_OK && (sth.tree_size != 8 || memcmp(sth.root, heads[8].root, CCG_MERKLE_HASH_LEN) != 0))
			abort();
		break;
	case 'e': {
		uint8_t *e[8];
		size_t lens[8];

		s = ccg_log_entries_parse(data + 1, size - 1, 0, 8, e, lens, &err);
		if (s != CCG_OK)
			break;
		s = ccg_log_entries_verify((const uint8_t *const *)e, lens, 8, &heads[8], &err);
		for (int i = 0; i < 8; i++) {
			uint8_t h[CCG_MERKLE_HASH_LEN];

			if (s == CCG_OK && (ccg_merkle_leaf_hash(e[i], lens[i], h) != CCG_OK ||
					    memcmp(h, leaves[i], CCG_MERKLE_HASH_LEN) != 0))
				abort();
			free(e[i]);
		}
		break;
	}
	default: return CCG_ERR_UNSUPPORTED;
	}
	if (s != CCG_OK && err.where[0] == '\0')
		abort(); /* every refusal names what failed */
	return s;
}
