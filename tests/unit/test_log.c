/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The release log on the store (verifier/log.h), on both back ends (SQLite
 * in a temporary file, a real PostgreSQL server from tests/support/pg.sh):
 * appends inside the caller's transaction (rolled back: gone), roots and
 * every inclusion and consistency proof equal to the in-memory tree's,
 * signed tree heads (every byte flipped, every truncation, another key, a
 * token that is not a tree head: refused), the HTTP bodies parsed back and
 * verified, and the operator's attacks: a log row edited in the database,
 * a history rewritten with fresh hashes, a log shrunk, a head back in time —
 * each caught and named.
 */
#include <stdarg.h>
#include <setjmp.h>
#include <stddef.h>
#include <cmocka.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/encoding.h"
#include "token/ear.h"
#include "verifier/log.h"
#include "pg.h"
#include "testdata.h"

#define HL CCG_MERKLE_HASH_LEN
#define NOW_MS INT64_C(1795305600000) /* 2026-11-22T00:00:00Z, injected */

struct backend {
	const char *name;
	char url[600];
	int fresh;
};

static struct backend sqlite_be = {.name = "sqlite"};
static struct backend pg_be = {.name = "postgresql"};
static char *pg_url, *dir;
static struct ccg_ear_key *key, *other_key;
static json_t *jwks, *other_jwks;

/* raw SQL on the database behind the store: what an operator can do */
static void raw_sql(const struct backend *b, const char *sql)
{
	tp_raw_sql(b->url, sql);
}

static struct ccg_store *fresh_store(struct backend *b)
{
	struct ccg_store *s = NULL;
	struct ccg_error err;

	if (strcmp(b->name, "sqlite") == 0) {
		snprintf(b->url, sizeof(b->url), "sqlite://%s/log%d.sqlite", dir, b->fresh++);
	} else {
		snprintf(b->url, sizeof(b->url), "%s", pg_url);
		raw_sql(b, "DROP TABLE IF EXISTS nonces, records, schema_version");
	}
	ccg_error_clear(&err);
	if (ccg_store_open(b->url, NULL, &s, &err) != CCG_OK || ccg_store_migrate(s, NULL, &err) != CCG_OK)
		fail_msg("%s: %s: %s", b->name, err.where, err.detail);
	return s;
}

static void entry_of(char *buf, size_t len, unsigned i, const char *what)
{
	snprintf(buf, len, "{\"at\":%u,\"event\":\"%s\",\"party\":\"data-owner-%u\",\"secret\":\"dataset-key\"}",
		 1795305600u + i, what, i % 3);
}

/* appends entries [from, to) in one transaction */
static void append_range(struct ccg_store *s, unsigned from, unsigned to, const char *what, uint8_t (*leaves)[HL])
{
	struct ccg_store_txn *t = NULL;
	struct ccg_error err;
	char e[200];

	ccg_error_clear(&err);
	assert_int_equal(ccg_store_begin(s, &t, NULL), CCG_OK);
	for (unsigned i = from; i < to; i++) {
		uint64_t idx = 0;

		entry_of(e, sizeof(e), i, what);
		if (ccg_log_append(t, (const uint8_t *)e, strlen(e), &idx, leaves[i], &err) != CCG_OK)
			fail_msg("append %u: %s: %s", i, err.where, err.detail);
		assert_int_equal(idx, i);
	}
	if (ccg_store_commit(t, &err) != CCG_OK)
		fail_msg("commit: %s: %s", err.where, err.detail);
}

#define N 37

/* roots and every proof of the stored tree equal the in-memory tree's */
static void test_append_proofs(void **state)
{
	struct backend *b = *state;
	struct ccg_store *s = fresh_store(b);
	uint8_t leaves[N + 1][HL], r[HL], want[HL];
	uint8_t p[CCG_MERKLE_MAX_PROOF][HL], q[CCG_MERKLE_MAX_PROOF][HL];
	struct ccg_merkle_leaves mem = {.hashes = (const uint8_t(*)[HL])leaves};
	struct ccg_store_txn *t = NULL;
	struct ccg_error err;
	size_t pc, qc, len;
	uint64_t size, idx;
	uint8_t *v = NULL;
	char e[200];

	/* one at a time, then in batches */
	for (unsigned i = 0; i < 20; i++)
		append_range(s, i, i + 1, "release", leaves);
	append_range(s, 20, 29, "denial", leaves);
	append_range(s, 29, N, "upload", leaves);

	/* an append rolled back leaves nothing */
	assert_int_equal(ccg_store_begin(s, &t, NULL), CCG_OK);
	entry_of(e, sizeof(e), 99, "suspend");
	assert_int_equal(ccg_log_append(t, (const uint8_t *)e, strlen(e), NULL, leaves[N], NULL), CCG_OK);
	assert_int_equal(ccg_log_size(t, &size, NULL), CCG_OK);
	assert_int_equal(size, N + 1);
	ccg_store_rollback(t);

	assert_int_equal(ccg_store_begin(s, &t, NULL), CCG_OK);
	assert_int_equal(ccg_log_size(t, &size, NULL), CCG_OK);
	assert_int_equal(size, N);
	assert_int_equal(ccg_log_find(t, leaves[N], &idx, NULL), CCG_ERR_NOT_FOUND);
	for (uint64_t n = 0; n <= N; n++) {
		mem.count = n;
		assert_int_equal(ccg_log_root(t, n, r, NULL), CCG_OK);
		assert_int_equal(ccg_merkle_root(ccg_merkle_leaves_subtree, &mem, n, want, NULL), CCG_OK);
		assert_memory_equal(r, want, HL);
		for (uint64_t m = 0; m < n; m++) {
			assert_int_equal(ccg_log_inclusion_proof(t, m, n, p, &pc, NULL), CCG_OK);
			assert_int_equal(ccg_merkle_inclusion_proof(ccg_merkle_leaves_subtree, &mem, m, n, q, &qc,
								    NULL),
					 CCG_OK);
			assert_int_equal(pc, qc);
			if (pc > 0)
				assert_memory_equal(p, q, pc * HL);
			assert_int_equal(ccg_merkle_inclusion_verify(m, n, leaves[m], (const uint8_t(*)[HL])p, pc, r,
								     NULL),
					 CCG_OK);
		}
		for (uint64_t m = 0; m <= n; m++) {
			assert_int_equal(ccg_log_consistency_proof(t, m, n, p, &pc, NULL), CCG_OK);
			assert_int_equal(ccg_merkle_consistency_proof(ccg_merkle_leaves_subtree, &mem, m, n, q, &qc,
								      NULL),
					 CCG_OK);
			assert_int_equal(pc, qc);
			if (pc > 0)
				assert_memory_equal(p, q, pc * HL);
		}
	}
	/* entries read back, found by hash */
	for (unsigned i = 0; i < N; i++) {
		entry_of(e, sizeof(e), i, i < 20 ? "release" : i < 29 ? "denial" : "upload");
		assert_int_equal(ccg_log_entry_get(t, i, &v, &len, NULL), CCG_OK);
		assert_int_equal(len, strlen(e));
		assert_memory_equal(v, e, len);
		free(v);
		assert_int_equal(ccg_log_find(t, leaves[i], &idx, NULL), CCG_OK);
		assert_int_equal(idx, i);
	}
	/* outside the log */
	ccg_error_clear(&err);
	assert_int_equal(ccg_log_entry_get(t, N, &v, &len, &err), CCG_ERR_NOT_FOUND);
	ccg_error_clear(&err);
	assert_int_equal(ccg_log_root(t, N + 1, r, &err), CCG_ERR_INVALID_ARG);
	assert_string_equal(err.where, "log.tree_size");
	ccg_error_clear(&err);
	assert_int_equal(ccg_log_inclusion_proof(t, 0, N + 1, p, &pc, &err), CCG_ERR_INVALID_ARG);
	assert_string_equal(err.where, "log.tree_size");
	ccg_error_clear(&err);
	assert_int_equal(ccg_log_consistency_proof(t, 1, N + 1, p, &pc, &err), CCG_ERR_INVALID_ARG);
	assert_string_equal(err.where, "log.consistency.second");
	/* entries that are not JSON objects, or too large */
	ccg_error_clear(&err);
	assert_int_equal(ccg_log_append(t, (const uint8_t *)"[1]", 3, NULL, NULL, &err), CCG_ERR_MALFORMED);
	assert_string_equal(err.where, "log.entry");
	ccg_error_clear(&err);
	assert_int_not_equal(ccg_log_append(t, (const uint8_t *)"{\"a\":", 5, NULL, NULL, &err), CCG_OK);
	assert_string_equal(err.where, "log.entry");
	{
		size_t big = CCG_LOG_MAX_ENTRY + 1;
		uint8_t *x = malloc(big);

		assert_non_null(x);
		memset(x, ' ', big);
		ccg_error_clear(&err);
		assert_int_equal(ccg_log_append(t, x, big, NULL, NULL, &err), CCG_ERR_TOO_LARGE);
		free(x);
	}
	ccg_store_rollback(t);
	ccg_store_close(s);
}

static char *sth_jws_of(const char *body)
{
	json_t *j = json_loads(body, 0, NULL);
	char *jws;

	assert_non_null(j);
	jws = strdup(json_string_value(json_object_get(j, "sth")));
	json_decref(j);
	assert_non_null(jws);
	return jws;
}

/* signed tree heads: made, parsed back, and every alteration refused */
static void test_sth(void **state)
{
	struct backend *b = *state;
	struct ccg_store *s = fresh_store(b);
	uint8_t leaves[8][HL], r[HL];
	struct ccg_merkle_leaves mem = {.hashes = (const uint8_t(*)[HL])leaves, .count = 8};
	struct ccg_log_sth sth, got;
	struct ccg_error err;
	char *body = NULL, *jws, *bad = NULL;
	size_t len;

	append_range(s, 0, 8, "register", leaves);
	assert_int_equal(ccg_log_http_sth(s, key, NOW_MS, &body, NULL), CCG_OK);
	ccg_error_clear(&err);
	if (ccg_log_sth_parse((const uint8_t *)body, strlen(body), jwks, &sth, &err) != CCG_OK)
		fail_msg("%s: %s", err.where, err.detail);
	assert_int_equal(sth.tree_size, 8);
	assert_int_equal(sth.timestamp, NOW_MS);
	assert_int_equal(ccg_merkle_root(ccg_merkle_leaves_subtree, &mem, 8, r, NULL), CCG_OK);
	assert_memory_equal(sth.root, r, HL);
	/* under another key's JWKS: refused */
	ccg_error_clear(&err);
	assert_int_not_equal(ccg_log_sth_parse((const uint8_t *)body, strlen(body), other_jwks, &got, &err), CCG_OK);

	jws = sth_jws_of(body);
	len = strlen(jws);
	bad = malloc(len + 1);
	assert_non_null(bad);
	for (size_t i = 0; i < len; i++) {
		memcpy(bad, jws, len + 1);
		bad[i] = (char)(bad[i] == 'A' ? 'B' : 'A');
		assert_int_not_equal(ccg_log_sth_verify(bad, jwks, &got, NULL), CCG_OK);
		bad[i] = '\0';
		assert_int_not_equal(ccg_log_sth_verify(bad, jwks, &got, NULL), CCG_OK);
	}
	assert_int_equal(ccg_log_sth_verify(jws, jwks, &got, NULL), CCG_OK);
	assert_memory_equal(&got, &sth, sizeof(got));
	free(bad);
	free(jws);
	free(body);

	/* signed by the right key but not a tree head, or not strictly one */
	{
		static const char *const claims[][2] = {
			{"{\"typ\":\"ear\",\"tree_size\":1,\"timestamp\":1,\"sha256_root_hash\":"
			 "\"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\"}",
			 "log.sth.typ"},
			{"{\"typ\":\"ccgpu-log-sth/v1\",\"tree_size\":1,\"timestamp\":1,\"sha256_root_hash\":"
			 "\"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\",\"x\":1}",
			 "log.sth"},
			{"{\"typ\":\"ccgpu-log-sth/v1\",\"tree_size\":-1,\"timestamp\":1,\"sha256_root_hash\":"
			 "\"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\"}",
			 "log.sth.tree_size"},
			{"{\"typ\":\"ccgpu-log-sth/v1\",\"tree_size\":1,\"timestamp\":\"1\",\"sha256_root_hash\":"
			 "\"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\"}",
			 "log.sth.timestamp"},
			{"{\"typ\":\"ccgpu-log-sth/v1\",\"tree_size\":1,\"timestamp\":1,\"sha256_root_hash\":"
			 "\"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA==\"}",
			 "log.sth.sha256_root_hash"},
			{"{\"typ\":\"ccgpu-log-sth/v1\",\"tree_size\":1,\"timestamp\":1}", "log.sth.sha256_root_hash"},
		};
		for (size_t i = 0; i < sizeof(claims) / sizeof(claims[0]); i++) {
			json_t *c = json_loads(claims[i][0], 0, NULL);

			assert_non_null(c);
			assert_int_equal(ccg_ear_sign(key, c, &jws, NULL), CCG_OK);
			ccg_error_clear(&err);
			assert_int_not_equal(ccg_log_sth_verify(jws, jwks, &got, &err), CCG_OK);
			assert_string_equal(err.where, claims[i][1]);
			free(jws);
			json_decref(c);
		}
	}
	ccg_store_close(s);
}

/* the HTTP bodies, parsed back by the party side and verified against the head */
static void test_http(void **state)
{
	struct backend *b = *state;
	struct ccg_store *s = fresh_store(b);
	uint8_t leaves[12][HL], path[CCG_MERKLE_MAX_PROOF][HL];
	struct ccg_log_sth old, sth;
	struct ccg_error err;
	uint64_t a, c;
	size_t count;
	char *body = NULL;

	append_range(s, 0, 5, "register", leaves);
	assert_int_equal(ccg_log_http_sth(s, key, NOW_MS, &body, NULL), CCG_OK);
	assert_int_equal(ccg_log_sth_parse((const uint8_t *)body, strlen(body), jwks, &old, NULL), CCG_OK);
	free(body);
	append_range(s, 5, 12, "release", leaves);
	assert_int_equal(ccg_log_http_sth(s, key, NOW_MS + 1000, &body, NULL), CCG_OK);
	assert_int_equal(ccg_log_sth_parse((const uint8_t *)body, strlen(body), jwks, &sth, NULL), CCG_OK);
	free(body);

	/* consistency between the two heads */
	assert_int_equal(ccg_log_http_consistency(s, old.tree_size, sth.tree_size, &body, NULL), CCG_OK);
	assert_int_equal(ccg_log_consistency_parse((const uint8_t *)body, strlen(body), &a, &c, path, &count, NULL),
			 CCG_OK);
	free(body);
	assert_int_equal(a, 5);
	assert_int_equal(c, 12);
	ccg_error_clear(&err);
	if (ccg_log_check(&old, &sth, (const uint8_t(*)[HL])path, count, &err) != CCG_OK)
		fail_msg("%s: %s", err.where, err.detail);

	/* inclusion by index and by hash */
	for (uint64_t i = 0; i < 12; i++) {
		assert_int_equal(ccg_log_http_proof(s, i, NULL, 12, &body, NULL), CCG_OK);
		assert_int_equal(ccg_log_proof_parse((const uint8_t *)body, strlen(body), &a, &c, path, &count, NULL),
				 CCG_OK);
		free(body);
		assert_int_equal(a, i);
		assert_int_equal(c, 12);
		assert_int_equal(ccg_merkle_inclusion_verify(a, c, leaves[i], (const uint8_t(*)[HL])path, count,
							     sth.root, NULL),
				 CCG_OK);
		assert_int_equal(ccg_log_http_proof(s, 0, leaves[i], 12, &body, NULL), CCG_OK);
		assert_int_equal(ccg_log_proof_parse((const uint8_t *)body, strlen(body), &a, &c, path, &count, NULL),
				 CCG_OK);
		free(body);
		assert_int_equal(a, i);
	}
	/* entries: parsed back and checked against the head */
	{
		const uint8_t *ents[12];
		size_t lens[12];
		uint8_t *dec[12];
		json_t *j, *arr;

		assert_int_equal(ccg_log_http_entries(s, 0, 12, &body, NULL), CCG_OK);
		j = json_loads(body, 0, NULL);
		free(body);
		arr = json_object_get(j, "entries");
		assert_int_equal(json_array_size(arr), 12);
		for (size_t i = 0; i < 12; i++) {
			const char *b64 = json_string_value(json_object_get(json_array_get(arr, i), "leaf_input"));

			assert_int_equal(ccg_base64_decode(b64, strlen(b64), CCG_LOG_MAX_ENTRY, &dec[i], &lens[i]),
					 CCG_OK);
			ents[i] = dec[i];
		}
		assert_int_equal(ccg_log_entries_verify(ents, lens, 12, &sth, NULL), CCG_OK);
		/* one entry changed on the way: caught */
		dec[7][2] ^= 1;
		ccg_error_clear(&err);
		assert_int_equal(ccg_log_entries_verify(ents, lens, 12, &sth, &err), CCG_ERR_LOG_INCONSISTENT);
		assert_string_equal(err.where, "log.entries");
		assert_int_equal(ccg_log_entries_verify(ents, lens, 11, &sth, NULL), CCG_ERR_INVALID_ARG);
		for (size_t i = 0; i < 12; i++)
			free(dec[i]);
		json_decref(j);
	}
	/* arguments outside the log */
	ccg_error_clear(&err);
	assert_int_equal(ccg_log_http_entries(s, 3, 13, &body, &err), CCG_ERR_INVALID_ARG);
	assert_string_equal(err.where, "log.entries.end");
	assert_int_equal(ccg_log_http_entries(s, 3, 3, &body, NULL), CCG_ERR_INVALID_ARG);
	assert_int_equal(ccg_log_http_entries(s, 0, CCG_LOG_MAX_ENTRIES + 1, &body, NULL), CCG_ERR_INVALID_ARG);
	ccg_error_clear(&err);
	assert_int_equal(ccg_log_http_proof(s, 12, NULL, 12, &body, &err), CCG_ERR_INVALID_ARG);
	assert_string_equal(err.where, "log.proof.leaf_index");
	assert_int_equal(ccg_log_http_proof(s, 0, NULL, 13, &body, NULL), CCG_ERR_INVALID_ARG);
	{
		uint8_t unknown[HL] = {0};

		assert_int_equal(ccg_log_http_proof(s, 0, unknown, 12, &body, NULL), CCG_ERR_NOT_FOUND);
	}
	assert_int_equal(ccg_log_http_consistency(s, 13, 12, &body, NULL), CCG_ERR_INVALID_ARG);
	assert_int_equal(ccg_log_http_consistency(s, 3, 13, &body, NULL), CCG_ERR_INVALID_ARG);
	ccg_store_close(s);
}

static void get_head(struct ccg_store *s, int64_t now, struct ccg_log_sth *out)
{
	char *body = NULL;

	assert_int_equal(ccg_log_http_sth(s, key, now, &body, NULL), CCG_OK);
	assert_int_equal(ccg_log_sth_parse((const uint8_t *)body, strlen(body), jwks, out, NULL), CCG_OK);
	free(body);
}

/* the operator edits the database: each way of rewriting history is caught and named */
static void test_rewrite(void **state)
{
	struct backend *b = *state;
	struct ccg_store *s = fresh_store(b);
	uint8_t leaves[10][HL], path[CCG_MERKLE_MAX_PROOF][HL];
	struct ccg_store_txn *t = NULL;
	struct ccg_log_sth seen, now;
	struct ccg_error err;
	char sql[512], e[200], *body = NULL;
	uint8_t *v = NULL;
	size_t len, count;

	append_range(s, 0, 6, "release", leaves);
	get_head(s, NOW_MS, &seen);

	/* 1. one entry row edited in place ("release" to data-owner-0 becomes a "denial") */
	entry_of(e, sizeof(e), 3, "denial");
	if (strcmp(b->name, "sqlite") == 0)
		snprintf(sql, sizeof(sql),
			 "UPDATE records SET value = CAST('%s' AS BLOB) WHERE tbl = 'log.entry' AND key = '%016x'", e,
			 3);
	else
		snprintf(
			sql, sizeof(sql),
			"UPDATE records SET value = convert_to('%s', 'UTF8') WHERE tbl = 'log.entry' AND key = '%016x'",
			e, 3);
	raw_sql(b, sql);
	assert_int_equal(ccg_store_begin(s, &t, NULL), CCG_OK);
	ccg_error_clear(&err);
	assert_int_equal(ccg_log_entry_get(t, 3, &v, &len, &err), CCG_ERR_LOG_INCONSISTENT);
	assert_string_equal(err.where, "log.entry[3]");
	assert_null(v);
	assert_int_equal(ccg_log_entry_get(t, 2, &v, &len, NULL), CCG_OK);
	free(v);
	ccg_store_rollback(t);
	ccg_error_clear(&err);
	assert_int_equal(ccg_log_http_entries(s, 0, 6, &body, &err), CCG_ERR_LOG_INCONSISTENT);
	assert_string_equal(err.where, "log.entry[3]");

	/* 2. the whole history rewritten with fresh hashes (entry 3 changed), then two more entries */
	raw_sql(b, "DELETE FROM records WHERE tbl LIKE 'log.%'");
	append_range(s, 0, 3, "release", leaves);
	append_range(s, 3, 4, "denial", leaves);
	append_range(s, 4, 8, "release", leaves);
	get_head(s, NOW_MS + 1000, &now);
	assert_int_equal(now.tree_size, 8);
	assert_int_equal(ccg_log_http_consistency(s, seen.tree_size, now.tree_size, &body, NULL), CCG_OK);
	{
		uint64_t a, c;

		assert_int_equal(ccg_log_consistency_parse((const uint8_t *)body, strlen(body), &a, &c, path, &count,
							   NULL),
				 CCG_OK);
	}
	free(body);
	ccg_error_clear(&err);
	assert_int_equal(ccg_log_check(&seen, &now, (const uint8_t(*)[HL])path, count, &err), CCG_ERR_LOG_INCONSISTENT);
	assert_string_equal(err.where, "log.consistency");
	/* the rewritten entry's inclusion proof does not hold against the head seen before */
	assert_int_equal(ccg_store_begin(s, &t, NULL), CCG_OK);
	assert_int_equal(ccg_log_inclusion_proof(t, 3, 6, path, &count, NULL), CCG_OK);
	ccg_store_rollback(t);
	assert_int_equal(ccg_merkle_inclusion_verify(3, 6, leaves[3], (const uint8_t(*)[HL])path, count, seen.root,
						     NULL),
			 CCG_ERR_LOG_PROOF);

	/* 3. the log cut back to fewer entries than a head already seen */
	raw_sql(b, "DELETE FROM records WHERE tbl LIKE 'log.%'");
	append_range(s, 0, 4, "release", leaves);
	get_head(s, NOW_MS + 2000, &now);
	ccg_error_clear(&err);
	assert_int_equal(ccg_log_check(&seen, &now, (const uint8_t(*)[HL])path, 0, &err), CCG_ERR_LOG_INCONSISTENT);
	assert_string_equal(err.where, "log.sth.tree_size");

	/* 4. a head older than one already seen (a replayed old answer) */
	now = seen;
	now.timestamp--;
	ccg_error_clear(&err);
	assert_int_equal(ccg_log_check(&seen, &now, (const uint8_t(*)[HL])path, 0, &err), CCG_ERR_LOG_INCONSISTENT);
	assert_string_equal(err.where, "log.sth.timestamp");
	/* the same head again is consistent with itself; another root for the same size is not */
	assert_int_equal(ccg_log_check(&seen, &seen, (const uint8_t(*)[HL])path, 0, NULL), CCG_OK);
	now = seen;
	now.root[0] ^= 1;
	ccg_error_clear(&err);
	assert_int_equal(ccg_log_check(&seen, &now, (const uint8_t(*)[HL])path, 0, &err), CCG_ERR_LOG_INCONSISTENT);
	assert_string_equal(err.where, "log.consistency");
	ccg_store_close(s);
}

/* the bodies a party parses: strict members, sizes and hashes */
static void test_parse(void **state)
{
	static const struct {
		const char *body;
		const char *where;
	} bad[] = {
		{"{\"leaf_index\":0,\"tree_size\":1,\"audit_path\":[],\"x\":0}", "log.proof"},
		{"{\"leaf_index\":-1,\"tree_size\":1,\"audit_path\":[]}", "log.proof.leaf_index"},
		{"{\"leaf_index\":0,\"tree_size\":4611686018427387905,\"audit_path\":[]}", "log.proof.tree_size"},
		{"{\"leaf_index\":0,\"tree_size\":1,\"audit_path\":{}}", "log.proof.audit_path"},
		{"{\"leaf_index\":0,\"tree_size\":1,\"audit_path\":[\"AAAA\"]}", "log.proof.audit_path[0]"},
		{"{\"leaf_index\":0,\"tree_size\":1,\"audit_path\":[1]}", "log.proof.audit_path[0]"},
		{"{\"leaf_index\":0,\"tree_size\":1}", "log.proof.audit_path"},
		{"[]", "log.proof"},
	};
	uint8_t path[CCG_MERKLE_MAX_PROOF][HL];
	struct ccg_error err;
	uint64_t a, c;
	size_t count;
	char big[4096];
	size_t off;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		ccg_error_clear(&err);
		assert_int_not_equal(ccg_log_proof_parse((const uint8_t *)bad[i].body, strlen(bad[i].body), &a, &c,
							 path, &count, &err),
				     CCG_OK);
		assert_string_equal(err.where, bad[i].where);
	}
	/* more hashes than any proof has */
	off = (size_t)snprintf(big, sizeof(big), "{\"first\":1,\"second\":2,\"consistency\":[");
	for (int i = 0; i <= CCG_MERKLE_MAX_PROOF; i++)
		off += (size_t)snprintf(big + off, sizeof(big) - off, "%s\"%s\"", i ? "," : "",
					"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=");
	snprintf(big + off, sizeof(big) - off, "]}");
	ccg_error_clear(&err);
	assert_int_equal(ccg_log_consistency_parse((const uint8_t *)big, strlen(big), &a, &c, path, &count, &err),
			 CCG_ERR_TOO_LARGE);
	assert_string_equal(err.where, "log.consistency.consistency");
	ccg_error_clear(&err);
	assert_int_not_equal(ccg_log_sth_parse((const uint8_t *)"{\"sth\":1}", 9, jwks, &(struct ccg_log_sth){0}, &err),
			     CCG_OK);
	assert_string_equal(err.where, "log.sth");
}

static int setup(void **state)
{
	char path[512];

	(void)state;
	pg_url = tp_pg_start();
	dir = td_tmpdir();
	snprintf(path, sizeof(path), "%s/ear.pem", dir);
	assert_int_equal(ccg_ear_key_load_or_create(path, &key, NULL), CCG_OK);
	snprintf(path, sizeof(path), "%s/other.pem", dir);
	assert_int_equal(ccg_ear_key_load_or_create(path, &other_key, NULL), CCG_OK);
	jwks = ccg_ear_key_jwks(key);
	other_jwks = ccg_ear_key_jwks(other_key);
	assert_non_null(jwks);
	assert_non_null(other_jwks);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	tp_pg_stop();
	free(pg_url);
	json_decref(jwks);
	json_decref(other_jwks);
	ccg_ear_key_free(key);
	ccg_ear_key_free(other_key);
	td_rm_rf(dir);
	free(dir);
	return 0;
}

#define BOTH(fn) cmocka_unit_test_prestate(fn, &sqlite_be), cmocka_unit_test_prestate(fn, &pg_be)

int main(void)
{
	const struct CMUnitTest tests[] = {
		BOTH(test_append_proofs),     BOTH(test_sth), BOTH(test_http), BOTH(test_rewrite),
		cmocka_unit_test(test_parse),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
