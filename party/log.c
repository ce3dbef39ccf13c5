/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The release log, the party's side (ccgpu/party.h): signed tree heads
 * verified and read strictly, a new head checked against the kept one by an
 * RFC 9162 consistency proof, fetched entries against a head, and the
 * bodies of the log routes parsed as untrusted input. The daemon's side
 * (append, proofs, the routes, signing heads) is verifier/log.c.
 */
#include "party/log.h"

#include <inttypes.h>
#include <jansson.h>
#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/encoding.h"
#include "common/error.h"
#include "common/json.h"
#include "party/merkle.h"
#include "token/ear.h"

/* a base64 hash member of o (exactly 32 bytes) */
static enum ccg_status get_hash(const json_t *v, uint8_t out[CCG_MERKLE_HASH_LEN], const char *where,
				struct ccg_error *err)
{
	uint8_t *b = NULL;
	size_t len = 0;
	enum ccg_status st;

	if (!json_is_string(v))
		return ccg_error_set(err, CCG_ERR_MALFORMED, where, "not a string");
	st = ccg_base64_decode(json_string_value(v), json_string_length(v), CCG_MERKLE_HASH_LEN, &b, &len);
	if (st != CCG_OK)
		return ccg_error_set(err, st == CCG_ERR_TOO_LARGE ? CCG_ERR_MALFORMED : st, where,
				     "not the base64 of a SHA-256 hash");
	if (len != CCG_MERKLE_HASH_LEN)
		st = ccg_error_set(err, CCG_ERR_MALFORMED, where, "%zu bytes, not 32", len);
	else
		memcpy(out, b, CCG_MERKLE_HASH_LEN);
	free(b);
	return st;
}

/* obj must have exactly the members names[0..n) */
static enum ccg_status only_members(const json_t *obj, const char *const *names, size_t n, const char *where,
				    struct ccg_error *err)
{
	const char *key;
	json_t *v;

	if (!json_is_object(obj))
		return ccg_error_set(err, CCG_ERR_MALFORMED, where, "not a JSON object");
	json_object_foreach((json_t *)obj, key, v) {
		size_t i;

		for (i = 0; i < n && strcmp(key, names[i]) != 0; i++)
			;
		if (i == n)
			return ccg_error_set(err, CCG_ERR_MALFORMED, where, "unknown member \"%.64s\"", key);
	}
	(void)v;
	return CCG_OK;
}

static enum ccg_status get_u64(const json_t *obj, const char *key, uint64_t max, uint64_t *out, const char *where,
			       struct ccg_error *err)
{
	int64_t x = 0;
	enum ccg_status st = ccg_json_get_int(obj, key, 0, (int64_t)max, &x, where, err);

	if (st == CCG_OK)
		*out = (uint64_t)x;
	return st;
}

enum ccg_status ccg_log_sth_verify(const char *jws, const json_t *jwks, struct ccg_log_sth *out, struct ccg_error *err)
{
	static const char *const names[] = {"typ", "tree_size", "timestamp", "sha256_root_hash"};
	json_t *p = NULL;
	const char *typ = NULL;
	uint64_t ts = 0;
	enum ccg_status st;

	memset(out, 0, sizeof(*out));
	if ((st = ccg_jws_verify(jws, jwks, &p, err)) != CCG_OK)
		return st;
	if ((st = only_members(p, names, 4, "log.sth", err)) != CCG_OK)
		goto out;
	if ((st = ccg_json_get_string(p, "typ", &typ, "log.sth.typ", err)) != CCG_OK)
		goto out;
	if (strcmp(typ, CCG_LOG_STH_TYP) != 0) {
		st = ccg_error_set(err, CCG_ERR_UNSUPPORTED, "log.sth.typ", "not a signed tree head");
		goto out;
	}
	if ((st = get_u64(p, "tree_size", CCG_MERKLE_MAX_SIZE, &out->tree_size, "log.sth.tree_size", err)) != CCG_OK ||
	    (st = get_u64(p, "timestamp", INT64_MAX, &ts, "log.sth.timestamp", err)) != CCG_OK ||
	    (st = get_hash(json_object_get(p, "sha256_root_hash"), out->root, "log.sth.sha256_root_hash", err)) !=
		    CCG_OK)
		goto out;
	out->timestamp = (int64_t)ts;
out:
	if (st != CCG_OK)
		memset(out, 0, sizeof(*out));
	json_decref(p);
	return st;
}

enum ccg_status ccg_log_check(const struct ccg_log_sth *prev, const struct ccg_log_sth *next,
			      const uint8_t proof[][CCG_MERKLE_HASH_LEN], size_t count, struct ccg_error *err)
{
	struct ccg_error inner;
	enum ccg_status st;

	if (next->tree_size < prev->tree_size)
		return ccg_error_set(err, CCG_ERR_LOG_INCONSISTENT, "log.sth.tree_size",
				     "the log shrank from %" PRIu64 " to %" PRIu64 " entries", prev->tree_size,
				     next->tree_size);
	if (next->timestamp < prev->timestamp)
		return ccg_error_set(err, CCG_ERR_LOG_INCONSISTENT, "log.sth.timestamp",
				     "the new tree head is older than the last one seen");
	ccg_error_clear(&inner);
	st = ccg_merkle_consistency_verify(prev->tree_size, next->tree_size, prev->root, next->root, proof, count,
					   &inner);
	if (st == CCG_OK)
		return CCG_OK;
	return ccg_error_set(err, CCG_ERR_LOG_INCONSISTENT, "log.consistency",
			     "the tree of %" PRIu64 " entries is not an extension of the one of %" PRIu64
			     " seen before: history rewritten (%s: %s)",
			     next->tree_size, prev->tree_size, inner.where, inner.detail);
}

enum ccg_status ccg_log_entries_verify(const uint8_t *const *entries, const size_t *lens, size_t count,
				       const struct ccg_log_sth *sth, struct ccg_error *err)
{
	uint8_t(*h)[CCG_MERKLE_HASH_LEN] = NULL;
	uint8_t root[CCG_MERKLE_HASH_LEN];
	struct ccg_merkle_leaves leaves;
	enum ccg_status st = CCG_OK;

	if ((uint64_t)count != sth->tree_size)
		return ccg_error_set(err, CCG_ERR_INVALID_ARG, "log.entries", "%zu entries for a head of %" PRIu64,
				     count, sth->tree_size);
	if (count > 0 && (h = calloc(count, sizeof(*h))) == NULL)
		return ccg_error_set(err, CCG_ERR_NOMEM, "log.entries", "out of memory");
	for (size_t i = 0; i < count && st == CCG_OK; i++)
		st = ccg_merkle_leaf_hash(entries[i], lens[i], h[i]);
	leaves.hashes = (const uint8_t(*)[CCG_MERKLE_HASH_LEN])h;
	leaves.count = count;
	if (st == CCG_OK)
		st = ccg_merkle_root(ccg_merkle_leaves_subtree, &leaves, count, root, err);
	if (st == CCG_OK && CRYPTO_memcmp(root, sth->root, CCG_MERKLE_HASH_LEN) != 0)
		st = ccg_error_set(err, CCG_ERR_LOG_INCONSISTENT, "log.entries",
				   "the %zu entries do not hash to the signed head: an entry was rewritten", count);
	free(h);
	return st;
}

/* ---- HTTP bodies ---- */

static enum ccg_status get_path(const json_t *a, uint8_t out[][CCG_MERKLE_HASH_LEN], size_t *out_count,
				const char *where, struct ccg_error *err)
{
	char w[64];
	enum ccg_status st;

	if (!json_is_array(a))
		return ccg_error_set(err, CCG_ERR_MALFORMED, where, "not an array");
	if (json_array_size(a) > CCG_MERKLE_MAX_PROOF)
		return ccg_error_set(err, CCG_ERR_TOO_LARGE, where, "%zu hashes, at most %d", json_array_size(a),
				     CCG_MERKLE_MAX_PROOF);
	for (size_t i = 0; i < json_array_size(a); i++) {
		snprintf(w, sizeof(w), "%s[%zu]", where, i);
		if ((st = get_hash(json_array_get(a, i), out[i], w, err)) != CCG_OK)
			return st;
	}
	*out_count = json_array_size(a);
	return CCG_OK;
}

enum ccg_status ccg_log_proof_parse(const uint8_t *body, size_t len, uint64_t *out_index, uint64_t *out_size,
				    uint8_t out[][CCG_MERKLE_HASH_LEN], size_t *out_count, struct ccg_error *err)
{
	static const char *const names[] = {"leaf_index", "tree_size", "audit_path"};
	json_t *j = NULL;
	enum ccg_status st;

	*out_count = 0;
	if ((st = ccg_json_parse(body, len, CCG_LOG_MAX_JSON, "log.proof", &j, err)) != CCG_OK)
		return st;
	if ((st = only_members(j, names, 3, "log.proof", err)) == CCG_OK &&
	    (st = get_u64(j, "leaf_index", CCG_MERKLE_MAX_SIZE, out_index, "log.proof.leaf_index", err)) == CCG_OK &&
	    (st = get_u64(j, "tree_size", CCG_MERKLE_MAX_SIZE, out_size, "log.proof.tree_size", err)) == CCG_OK)
		st = get_path(json_object_get(j, "audit_path"), out, out_count, "log.proof.audit_path", err);
	json_decref(j);
	return st;
}

enum ccg_status ccg_log_consistency_parse(const uint8_t *body, size_t len, uint64_t *out_first, uint64_t *out_second,
					  uint8_t out[][CCG_MERKLE_HASH_LEN], size_t *out_count, struct ccg_error *err)
{
	static const char *const names[] = {"first", "second", "consistency"};
	json_t *j = NULL;
	enum ccg_status st;

	*out_count = 0;
	if ((st = ccg_json_parse(body, len, CCG_LOG_MAX_JSON, "log.consistency", &j, err)) != CCG_OK)
		return st;
	if ((st = only_members(j, names, 3, "log.consistency", err)) == CCG_OK &&
	    (st = get_u64(j, "first", CCG_MERKLE_MAX_SIZE, out_first, "log.consistency.first", err)) == CCG_OK &&
	    (st = get_u64(j, "second", CCG_MERKLE_MAX_SIZE, out_second, "log.consistency.second", err)) == CCG_OK)
		st = get_path(json_object_get(j, "consistency"), out, out_count, "log.consistency.consistency", err);
	json_decref(j);
	return st;
}

enum ccg_status ccg_log_sth_parse(const uint8_t *body, size_t len, const json_t *jwks, struct ccg_log_sth *out,
				  struct ccg_error *err)
{
	static const char *const names[] = {"sth"};
	const char *jws = NULL;
	json_t *j = NULL;
	enum ccg_status st;

	memset(out, 0, sizeof(*out));
	if ((st = ccg_json_parse(body, len, CCG_LOG_MAX_JSON, "log.sth", &j, err)) != CCG_OK)
		return st;
	if ((st = only_members(j, names, 1, "log.sth", err)) == CCG_OK &&
	    (st = ccg_json_get_string(j, "sth", &jws, "log.sth", err)) == CCG_OK)
		st = ccg_log_sth_verify(jws, jwks, out, err);
	json_decref(j);
	return st;
}

/* branch party: the entries body, as the party CLI reads it */
enum ccg_status ccg_log_entries_parse(const uint8_t *body, size_t len, uint64_t start, uint64_t end, uint8_t **out,
				      size_t *out_lens, struct ccg_error *err)
{
	static const char *const names[] = {"entries"};
	static const char *const entry_names[] = {"index", "leaf_input"};
	json_t *j = NULL, *a;
	size_t n = 0, i;
	char where[64];
	enum ccg_status st;

	if (end <= start || end - start > CCG_LOG_MAX_ENTRIES)
		return ccg_error_set(err, CCG_ERR_INVALID_ARG, "log.entries", "need start < end <= start + %u",
				     CCG_LOG_MAX_ENTRIES);
	n = (size_t)(end - start);
	for (i = 0; i < n; i++) {
		out[i] = NULL;
		out_lens[i] = 0;
	}
	if ((st = ccg_json_parse(body, len, CCG_LOG_MAX_JSON, "log.entries", &j, err)) != CCG_OK)
		return st;
	if ((st = only_members(j, names, 1, "log.entries", err)) != CCG_OK)
		goto out;
	a = json_object_get(j, "entries");
	if (!json_is_array(a)) {
		st = ccg_error_set(err, CCG_ERR_MALFORMED, "log.entries", "\"entries\" is not an array");
		goto out;
	}
	if (json_array_size(a) != n) {
		st = ccg_error_set(err, CCG_ERR_MALFORMED, "log.entries", "%zu entries where %zu were asked for",
				   json_array_size(a), n);
		goto out;
	}
	for (i = 0; i < n; i++) {
		const json_t *e = json_array_get(a, i);
		const char *b64 = NULL;
		uint64_t index = 0;

		snprintf(where, sizeof(where), "log.entries[%zu]", i);
		if ((st = only_members(e, entry_names, 2, where, err)) != CCG_OK)
			goto out;
		snprintf(where, sizeof(where), "log.entries[%zu].index", i);
		if ((st = get_u64(e, "index", CCG_MERKLE_MAX_SIZE, &index, where, err)) != CCG_OK)
			goto out;
		if (index != start + i) {
			st = ccg_error_set(err, CCG_ERR_MALFORMED, where, "entry %" PRIu64 " where %" PRIu64 " belongs",
					   index, start + i);
			goto out;
		}
		snprintf(where, sizeof(where), "log.entries[%zu].leaf_input", i);
		if ((st = ccg_json_get_string(e, "leaf_input", &b64, where, err)) != CCG_OK)
			goto out;
		st = ccg_base64_decode(b64, strlen(b64), CCG_LOG_MAX_ENTRY, &out[i], &out_lens[i]);
		if (st != CCG_OK) {
			st = ccg_error_set(err, st, where, "not the base64 of at most %u bytes", CCG_LOG_MAX_ENTRY);
			goto out;
		}
	}
out:
	json_decref(j);
	if (st != CCG_OK)
		for (i = 0; i < n; i++) {
			free(out[i]);
			out[i] = NULL;
			out_lens[i] = 0;
		}
	return st;
}
