/* SPDX-License-Identifier: Apache-2.0 */
/* The release log on the verifier's store: see verifier/log.h. */
#include "verifier/log.h"

#include <inttypes.h>
#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/encoding.h"
#include "common/error.h"
#include "common/json.h"

#define T_ENTRY "log.entry"
#define T_NODE "log.node"
#define T_HASH "log.hash"
#define T_META "log.meta"

static void node_key(char key[32], unsigned level, uint64_t index)
{
	snprintf(key, 32, "%02u.%016" PRIx64, level, index);
}

static void entry_key(char key[32], uint64_t index)
{
	snprintf(key, 32, "%016" PRIx64, index);
}

/* a stored decimal (log.meta size, log.hash index): digits only, at most 19 */
static enum ccg_status parse_u64(const uint8_t *v, size_t len, uint64_t *out, const char *where, struct ccg_error *err)
{
	uint64_t x = 0;

	if (len == 0 || len > 19)
		return ccg_error_set(err, CCG_ERR_STORE, where, "stored number of %zu bytes", len);
	for (size_t i = 0; i < len; i++) {
		if (v[i] < '0' || v[i] > '9')
			return ccg_error_set(err, CCG_ERR_STORE, where, "stored number is not decimal");
		x = x * 10 + (uint64_t)(v[i] - '0');
	}
	*out = x;
	return CCG_OK;
}

/* ccg_store_get where absence is an answer, not an error: CCG_ERR_NOT_FOUND is returned but not recorded in err */
static enum ccg_status get_optional(struct ccg_store_txn *t, const char *table, const char *key, uint8_t **out,
				    size_t *out_len, struct ccg_error *err)
{
	struct ccg_error inner;
	enum ccg_status st;

	ccg_error_clear(&inner);
	st = ccg_store_get(t, table, key, out, out_len, &inner);
	if (st != CCG_OK && st != CCG_ERR_NOT_FOUND)
		return ccg_error_set(err, st, inner.where, "%s", inner.detail);
	return st;
}

enum ccg_status ccg_log_size(struct ccg_store_txn *t, uint64_t *out, struct ccg_error *err)
{
	uint8_t *v = NULL;
	size_t len = 0;
	enum ccg_status st;

	*out = 0;
	st = get_optional(t, T_META, "size", &v, &len, err);
	if (st == CCG_ERR_NOT_FOUND)
		return CCG_OK; /* a log never written */
	if (st == CCG_OK)
		st = parse_u64(v, len, out, "log.meta.size", err);
	free(v);
	return st;
}

static enum ccg_status node_get(struct ccg_store_txn *t, unsigned level, uint64_t index,
				uint8_t out[CCG_MERKLE_HASH_LEN], struct ccg_error *err)
{
	char key[32];
	uint8_t *v = NULL;
	size_t len = 0;
	enum ccg_status st;

	node_key(key, level, index);
	st = ccg_store_get(t, T_NODE, key, &v, &len, err);
	if (st == CCG_OK && len != CCG_MERKLE_HASH_LEN)
		st = ccg_error_set(err, CCG_ERR_STORE, "log.node", "node %s holds %zu bytes", key, len);
	if (st == CCG_OK)
		memcpy(out, v, CCG_MERKLE_HASH_LEN);
	free(v);
	return st;
}

static enum ccg_status node_put(struct ccg_store_txn *t, unsigned level, uint64_t index,
				const uint8_t h[CCG_MERKLE_HASH_LEN], struct ccg_error *err)
{
	char key[32];

	node_key(key, level, index);
	return ccg_store_put(t, T_NODE, key, h, CCG_MERKLE_HASH_LEN, CCG_STORE_INSERT, err);
}

/* the ccg_merkle_subtree_fn over the stored nodes */
static enum ccg_status stored_subtree(void *ctx, unsigned level, uint64_t index, uint8_t out[CCG_MERKLE_HASH_LEN],
				      struct ccg_error *err)
{
	return node_get(ctx, level, index, out, err);
}

enum ccg_status ccg_log_append(struct ccg_store_txn *t, const uint8_t *entry, size_t len, uint64_t *out_index,
			       uint8_t out_leaf_hash[CCG_MERKLE_HASH_LEN], struct ccg_error *err)
{
	uint8_t h[CCG_MERKLE_HASH_LEN], left[CCG_MERKLE_HASH_LEN];
	char key[32], hex[2 * CCG_MERKLE_HASH_LEN + 1], num[24];
	uint64_t n = 0, i;
	unsigned level = 0;
	json_t *j = NULL;
	enum ccg_status st;

	if (len > CCG_LOG_MAX_ENTRY)
		return ccg_error_set(err, CCG_ERR_TOO_LARGE, "log.entry", "%zu bytes, at most %u", len,
				     CCG_LOG_MAX_ENTRY);
	if ((st = ccg_json_parse(entry, len, CCG_LOG_MAX_ENTRY, "log.entry", &j, err)) != CCG_OK)
		return st;
	if (!json_is_object(j)) {
		json_decref(j);
		return ccg_error_set(err, CCG_ERR_MALFORMED, "log.entry", "an entry is a JSON object");
	}
	json_decref(j);
	if ((st = ccg_log_size(t, &n, err)) != CCG_OK)
		return st;
	if (n >= CCG_MERKLE_MAX_SIZE)
		return ccg_error_set(err, CCG_ERR_TOO_LARGE, "log.tree_size", "the log is full");
	if ((st = ccg_merkle_leaf_hash(entry, len, h)) != CCG_OK)
		return ccg_error_set(err, st, "log.entry", "leaf hash failed");
	if (out_leaf_hash != NULL)
		memcpy(out_leaf_hash, h, CCG_MERKLE_HASH_LEN);
	entry_key(key, n);
	if ((st = ccg_store_put(t, T_ENTRY, key, entry, len, CCG_STORE_INSERT, err)) != CCG_OK)
		return st;
	/* the first index with this leaf hash answers lookups by hash */
	ccg_hex_encode(h, CCG_MERKLE_HASH_LEN, hex);
	snprintf(num, sizeof(num), "%" PRIu64, n);
	{
		uint8_t *v = NULL;
		size_t vlen = 0;

		/* look first: a failed INSERT would end a PostgreSQL transaction */
		st = get_optional(t, T_HASH, hex, &v, &vlen, err);
		free(v);
		if (st == CCG_ERR_NOT_FOUND)
			st = ccg_store_put(t, T_HASH, hex, (const uint8_t *)num, strlen(num), CCG_STORE_INSERT, err);
		if (st != CCG_OK)
			return st;
	}
	/* the leaf, then each complete subtree it closes: node(l+1, i/2) = H(node(l, i-1), node(l, i)) */
	i = n;
	if ((st = node_put(t, 0, i, h, err)) != CCG_OK)
		return st;
	while ((i & 1) != 0) {
		if ((st = node_get(t, level, i - 1, left, err)) != CCG_OK)
			return st;
		if ((st = ccg_merkle_node_hash(left, h, h)) != CCG_OK)
			return ccg_error_set(err, st, "log.node", "node hash failed");
		level++;
		i >>= 1;
		if ((st = node_put(t, level, i, h, err)) != CCG_OK)
			return st;
	}
	snprintf(num, sizeof(num), "%" PRIu64, n + 1);
	if ((st = ccg_store_put(t, T_META, "size", (const uint8_t *)num, strlen(num), CCG_STORE_UPSERT, err)) != CCG_OK)
		return st;
	if (out_index != NULL)
		*out_index = n;
	return CCG_OK;
}

static enum ccg_status check_size(struct ccg_store_txn *t, uint64_t size, const char *where, struct ccg_error *err)
{
	uint64_t n = 0;
	enum ccg_status st = ccg_log_size(t, &n, err);

	if (st == CCG_OK && size > n)
		st = ccg_error_set(err, CCG_ERR_INVALID_ARG, where, "%" PRIu64 " is over the log's size %" PRIu64, size,
				   n);
	return st;
}

enum ccg_status ccg_log_root(struct ccg_store_txn *t, uint64_t size, uint8_t out[CCG_MERKLE_HASH_LEN],
			     struct ccg_error *err)
{
	enum ccg_status st = check_size(t, size, "log.tree_size", err);

	return st != CCG_OK ? st : ccg_merkle_root(stored_subtree, t, size, out, err);
}

enum ccg_status ccg_log_entry_get(struct ccg_store_txn *t, uint64_t index, uint8_t **out, size_t *out_len,
				  struct ccg_error *err)
{
	uint8_t h[CCG_MERKLE_HASH_LEN], want[CCG_MERKLE_HASH_LEN];
	char key[32];
	uint8_t *v = NULL;
	size_t len = 0;
	uint64_t n = 0;
	enum ccg_status st;

	*out = NULL;
	*out_len = 0;
	if ((st = ccg_log_size(t, &n, err)) != CCG_OK)
		return st;
	if (index >= n)
		return ccg_error_set(err, CCG_ERR_NOT_FOUND, "log.entry", "no entry %" PRIu64 " in a log of %" PRIu64,
				     index, n);
	entry_key(key, index);
	if ((st = ccg_store_get(t, T_ENTRY, key, &v, &len, err)) != CCG_OK)
		goto out;
	if ((st = node_get(t, 0, index, want, err)) != CCG_OK)
		goto out;
	if ((st = ccg_merkle_leaf_hash(v, len, h)) != CCG_OK) {
		st = ccg_error_set(err, st, "log.entry", "leaf hash failed");
		goto out;
	}
	if (CRYPTO_memcmp(h, want, CCG_MERKLE_HASH_LEN) != 0) {
		char where[48];

		snprintf(where, sizeof(where), "log.entry[%" PRIu64 "]", index);
		st = ccg_error_set(err, CCG_ERR_LOG_INCONSISTENT, where,
				   "the stored entry does not hash to its leaf: the row was rewritten");
		goto out;
	}
	*out = v;
	*out_len = len;
	v = NULL;
out:
	free(v);
	return st;
}

enum ccg_status ccg_log_find(struct ccg_store_txn *t, const uint8_t leaf_hash[CCG_MERKLE_HASH_LEN], uint64_t *out_index,
			     struct ccg_error *err)
{
	char hex[2 * CCG_MERKLE_HASH_LEN + 1];
	uint8_t *v = NULL;
	size_t len = 0;
	enum ccg_status st;

	ccg_hex_encode(leaf_hash, CCG_MERKLE_HASH_LEN, hex);
	st = ccg_store_get(t, T_HASH, hex, &v, &len, err);
	if (st == CCG_OK)
		st = parse_u64(v, len, out_index, "log.hash", err);
	free(v);
	return st;
}

enum ccg_status ccg_log_inclusion_proof(struct ccg_store_txn *t, uint64_t index, uint64_t size,
					uint8_t out[][CCG_MERKLE_HASH_LEN], size_t *out_count, struct ccg_error *err)
{
	enum ccg_status st = check_size(t, size, "log.tree_size", err);

	*out_count = 0;
	return st != CCG_OK ? st : ccg_merkle_inclusion_proof(stored_subtree, t, index, size, out, out_count, err);
}

enum ccg_status ccg_log_consistency_proof(struct ccg_store_txn *t, uint64_t first, uint64_t second,
					  uint8_t out[][CCG_MERKLE_HASH_LEN], size_t *out_count, struct ccg_error *err)
{
	enum ccg_status st = check_size(t, second, "log.consistency.second", err);

	*out_count = 0;
	return st != CCG_OK ? st : ccg_merkle_consistency_proof(stored_subtree, t, first, second, out, out_count, err);
}

/* ---- signed tree heads ---- */

enum ccg_status ccg_log_sth_sign(const struct ccg_ear_key *k, const struct ccg_log_sth *sth, char **out_jws,
				 struct ccg_error *err)
{
	char *b64 = NULL;
	json_t *claims = NULL;
	enum ccg_status st;

	*out_jws = NULL;
	if (sth->tree_size > CCG_MERKLE_MAX_SIZE || sth->timestamp < 0)
		return ccg_error_set(err, CCG_ERR_INVALID_ARG, "log.sth", "tree size or timestamp out of range");
	b64 = ccg_base64_encode_alloc(sth->root, CCG_MERKLE_HASH_LEN);
	if (b64 != NULL)
		claims = json_pack("{s:s, s:I, s:I, s:s}", "typ", CCG_LOG_STH_TYP, "tree_size",
				   (json_int_t)sth->tree_size, "timestamp", (json_int_t)sth->timestamp,
				   "sha256_root_hash", b64);
	if (claims == NULL)
		st = ccg_error_set(err, CCG_ERR_NOMEM, "log.sth", "out of memory");
	else
		st = ccg_ear_sign(k, claims, out_jws, err);
	json_decref(claims);
	free(b64);
	return st;
}

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

static json_t *hash_array(const uint8_t h[][CCG_MERKLE_HASH_LEN], size_t count)
{
	json_t *a = json_array();

	for (size_t i = 0; a != NULL && i < count; i++) {
		char *b = ccg_base64_encode_alloc(h[i], CCG_MERKLE_HASH_LEN);

		if (b == NULL || json_array_append_new(a, json_string(b)) != 0) {
			json_decref(a);
			a = NULL;
		}
		free(b);
	}
	return a;
}

/* serialises v (consumed) into *out_body */
static enum ccg_status body_of(json_t *v, char **out_body, struct ccg_error *err)
{
	*out_body = v != NULL ? ccg_json_dumps(v, 0) : NULL;
	json_decref(v);
	return *out_body != NULL ? CCG_OK : ccg_error_set(err, CCG_ERR_NOMEM, "log.http", "out of memory");
}

/* a read transaction: rolled back after, it changes nothing */
enum ccg_status ccg_log_http_sth(struct ccg_store *s, const struct ccg_ear_key *k, int64_t now_ms, char **out_body,
				 struct ccg_error *err)
{
	struct ccg_store_txn *t = NULL;
	struct ccg_log_sth sth = {.timestamp = now_ms};
	char *jws = NULL;
	enum ccg_status st;

	*out_body = NULL;
	if ((st = ccg_store_begin(s, &t, err)) != CCG_OK)
		return st;
	st = ccg_log_size(t, &sth.tree_size, err);
	if (st == CCG_OK)
		st = ccg_log_root(t, sth.tree_size, sth.root, err);
	ccg_store_rollback(t);
	if (st == CCG_OK)
		st = ccg_log_sth_sign(k, &sth, &jws, err);
	if (st == CCG_OK)
		st = body_of(json_pack("{s:s}", "sth", jws), out_body, err);
	free(jws);
	return st;
}

enum ccg_status ccg_log_http_entries(struct ccg_store *s, uint64_t start, uint64_t end, char **out_body,
				     struct ccg_error *err)
{
	struct ccg_store_txn *t = NULL;
	json_t *a = NULL;
	uint64_t n = 0;
	enum ccg_status st;

	*out_body = NULL;
	if (end <= start || end - start > CCG_LOG_MAX_ENTRIES)
		return ccg_error_set(err, CCG_ERR_INVALID_ARG, "log.entries.end", "need start < end <= start + %u",
				     CCG_LOG_MAX_ENTRIES);
	if ((st = ccg_store_begin(s, &t, err)) != CCG_OK)
		return st;
	if ((st = ccg_log_size(t, &n, err)) != CCG_OK)
		goto out;
	if (end > n) {
		st = ccg_error_set(err, CCG_ERR_INVALID_ARG, "log.entries.end",
				   "%" PRIu64 " is over the log's size %" PRIu64, end, n);
		goto out;
	}
	if ((a = json_array()) == NULL) {
		st = ccg_error_set(err, CCG_ERR_NOMEM, "log.entries", "out of memory");
		goto out;
	}
	for (uint64_t i = start; i < end && st == CCG_OK; i++) {
		uint8_t *v = NULL;
		size_t len = 0;
		char *b = NULL;

		if ((st = ccg_log_entry_get(t, i, &v, &len, err)) != CCG_OK)
			break;
		b = ccg_base64_encode_alloc(v, len);
		if (b == NULL ||
		    json_array_append_new(a, json_pack("{s:I, s:s}", "index", (json_int_t)i, "leaf_input", b)) != 0)
			st = ccg_error_set(err, CCG_ERR_NOMEM, "log.entries", "out of memory");
		free(b);
		free(v);
	}
out:
	ccg_store_rollback(t);
	if (st == CCG_OK)
		return body_of(json_pack("{s:o}", "entries", a), out_body, err);
	json_decref(a);
	return st;
}

enum ccg_status ccg_log_http_proof(struct ccg_store *s, uint64_t leaf_index, const uint8_t *leaf_hash,
				   uint64_t tree_size, char **out_body, struct ccg_error *err)
{
	uint8_t path[CCG_MERKLE_MAX_PROOF][CCG_MERKLE_HASH_LEN];
	struct ccg_store_txn *t = NULL;
	size_t count = 0;
	enum ccg_status st;

	*out_body = NULL;
	if ((st = ccg_store_begin(s, &t, err)) != CCG_OK)
		return st;
	if (leaf_hash != NULL && (st = ccg_log_find(t, leaf_hash, &leaf_index, err)) != CCG_OK)
		goto out;
	if (leaf_index >= tree_size) {
		st = ccg_error_set(err, CCG_ERR_INVALID_ARG, "log.proof.leaf_index",
				   "leaf %" PRIu64 " is not in a tree of %" PRIu64, leaf_index, tree_size);
		goto out;
	}
	st = ccg_log_inclusion_proof(t, leaf_index, tree_size, path, &count, err);
out:
	ccg_store_rollback(t);
	if (st != CCG_OK)
		return st;
	return body_of(json_pack("{s:I, s:I, s:o*}", "leaf_index", (json_int_t)leaf_index, "tree_size",
				 (json_int_t)tree_size, "audit_path",
				 hash_array((const uint8_t(*)[CCG_MERKLE_HASH_LEN])path, count)),
		       out_body, err);
}

enum ccg_status ccg_log_http_consistency(struct ccg_store *s, uint64_t first, uint64_t second, char **out_body,
					 struct ccg_error *err)
{
	uint8_t path[CCG_MERKLE_MAX_PROOF][CCG_MERKLE_HASH_LEN];
	struct ccg_store_txn *t = NULL;
	size_t count = 0;
	enum ccg_status st;

	*out_body = NULL;
	if (first > second)
		return ccg_error_set(err, CCG_ERR_INVALID_ARG, "log.consistency.first", "first is over second");
	if ((st = ccg_store_begin(s, &t, err)) != CCG_OK)
		return st;
	st = ccg_log_consistency_proof(t, first, second, path, &count, err);
	ccg_store_rollback(t);
	if (st != CCG_OK)
		return st;
	return body_of(json_pack("{s:I, s:I, s:o*}", "first", (json_int_t)first, "second", (json_int_t)second,
				 "consistency", hash_array((const uint8_t(*)[CCG_MERKLE_HASH_LEN])path, count)),
		       out_body, err);
}

/* ---- parsing those bodies (party side, untrusted) ---- */

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
