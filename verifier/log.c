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
