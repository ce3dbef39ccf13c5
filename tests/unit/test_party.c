/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ccgpu-party's checks (tools/ccgpu-party, branch party) on the answers a
 * real release log gives: the log lives in a SQLite store written with
 * ccg_log_append and its HTTP bodies come from the daemon's own
 * ccg_log_http_* functions, signed with an EAR key made here. Covered: the
 * kept head (saved, reloaded, re-verified; edited, another verifier's, a
 * head signed by another key: refused as "party.state"), the log step (first
 * use, extension, a history rewritten by the operator, a proof for other
 * sizes, a missing proof, a log cut back: "party.log.consistency"; a head
 * under another key: "party.log.sth"), entries (their parser, a rewritten
 * row caught by recomputation), inclusion proofs ("party.log.inclusion"),
 * sealed uploads (opened with the upload key under exactly the agreed
 * info and aad; a wrong upload JWK named), problem answers and addresses.
 */
#include <stdarg.h>
#include <setjmp.h>
#include <stddef.h>
#include <cmocka.h>
#include <jansson.h>
#include <jose/b64.h>
#include <jose/openssl.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/crypto.h"
#include "common/encoding.h"
#include "common/error.h"
#include "common/file.h"
#include "common/hpke.h"
#include "common/http.h"
#include "party/client.h"
#include "tools/ccgpu-party/cli.h"
#include "token/ear.h"
#include "verifier/log.h"
#include "http_server.h"
#include "pg.h"
#include "testdata.h"

#define HL CCG_MERKLE_HASH_LEN
#define NOW_MS INT64_C(1795305600000) /* 2026-11-22T00:00:00Z, injected */
#define URL "http://127.0.0.1:8400"

/* two contract version ids (SHA-384 hex) */
#define ID_V3 "3333333333333333333333333333333333333333333333333333333333333333333333333333333333333333333333c3"
#define ID_V4 "4444444444444444444444444444444444444444444444444444444444444444444444444444444444444444444444d4"
static char *dir;
static struct ccg_ear_key *key, *other_key;
static json_t *jwks, *other_jwks;
static int fresh;
static char url[600];

static struct ccg_store *fresh_store(void)
{
	struct ccg_store *s = NULL;
	struct ccg_error err;

	snprintf(url, sizeof(url), "sqlite://%s/log%d.sqlite", dir, fresh++);
	ccg_error_clear(&err);
	if (ccg_store_open(url, NULL, &s, &err) != CCG_OK || ccg_store_migrate(s, NULL, &err) != CCG_OK)
		fail_msg("%s: %s", err.where, err.detail);
	return s;
}

/* entries [from, to) in one transaction, each naming what happened */
static void append_range(struct ccg_store *s, unsigned from, unsigned to, const char *type)
{
	struct ccg_store_txn *t = NULL;
	struct ccg_error err;
	char e[200];

	ccg_error_clear(&err);
	assert_int_equal(ccg_store_begin(s, &t, NULL), CCG_OK);
	for (unsigned i = from; i < to; i++) {
		snprintf(e, sizeof(e),
			 "{\"type\":\"%s\",\"contract\":\"llm\",\"secret\":\"model-key\",\"by\":\"acme\","
			 "\"time\":%u}",
			 type, 1795305600u + i);
		if (ccg_log_append(t, (const uint8_t *)e, strlen(e), NULL, NULL, &err) != CCG_OK)
			fail_msg("append %u: %s: %s", i, err.where, err.detail);
	}
	if (ccg_store_commit(t, &err) != CCG_OK)
		fail_msg("commit: %s: %s", err.where, err.detail);
}

static char *sth_body(struct ccg_store *s, const struct ccg_ear_key *k, int64_t ms)
{
	char *body = NULL;

	assert_int_equal(ccg_log_http_sth(s, k, ms, &body, NULL), CCG_OK);
	return body;
}

static char *cons_body(struct ccg_store *s, uint64_t a, uint64_t b)
{
	char *body = NULL;

	assert_int_equal(ccg_log_http_consistency(s, a, b, &body, NULL), CCG_OK);
	return body;
}

/* one step with the bodies the store answers now; returns the step's status */
static enum ccg_status step(struct ccg_store *s, const struct ccg_party_head *kept, int64_t ms,
			    struct ccg_party_head *next, struct ccg_error *err)
{
	char *sb = sth_body(s, key, ms), *cb = NULL;
	struct ccg_log_sth peek;
	enum ccg_status st;

	assert_int_equal(ccg_party_sth_peek((const uint8_t *)sb, strlen(sb), jwks, &peek, NULL), CCG_OK);
	if (ccg_party_log_needs_proof(kept, &peek))
		cb = cons_body(s, kept->sth.tree_size, peek.tree_size);
	ccg_error_clear(err);
	st = ccg_party_log_step(kept, (const uint8_t *)sb, strlen(sb), (const uint8_t *)cb, cb != NULL ? strlen(cb) : 0,
				jwks, next, err);
	free(sb);
	free(cb);
	return st;
}

static void copy_head(struct ccg_party_head *dst, const struct ccg_party_head *src)
{
	memset(dst, 0, sizeof(*dst));
	dst->have = src->have;
	dst->sth = src->sth;
	dst->jws = strdup(src->jws);
	dst->key = json_incref(src->key);
}

/* the state file at path (of URL in sdir) written as j: loading it is refused, naming party.state */
static void state_refused(const char *sdir, const char *path, const json_t *j)
{
	struct ccg_party_head back = {0};
	struct ccg_error err;
	char *text = json_dumps(j, 0);

	assert_non_null(text);
	assert_int_equal(ccg_file_write_atomic(path, (const uint8_t *)text, strlen(text), NULL), CCG_OK);
	ccg_error_clear(&err);
	assert_int_not_equal(ccg_party_state_load(sdir, URL, &back, &err), CCG_OK);
	assert_string_equal(err.where, "party.state");
	assert_false(back.have);
	free(text);
}

/* the kept head: saved, reloaded and re-verified; every way of spoiling it is refused */
static void test_state(void **state)
{
	struct ccg_store *s = fresh_store();
	struct ccg_party_head none = {0}, h = {0}, back = {0};
	struct ccg_error err;
	char sdir[600], path[1200];
	uint8_t *file = NULL;
	size_t len = 0;

	(void)state;
	snprintf(sdir, sizeof(sdir), "%s/state-a/sub", dir);
	/* nothing kept yet: no head, no error */
	ccg_error_clear(&err);
	assert_int_equal(ccg_party_state_load(sdir, URL, &back, &err), CCG_OK);
	assert_false(back.have);
	append_range(s, 0, 5, "upload");
	assert_int_equal(step(s, &none, NOW_MS, &h, &err), CCG_OK);
	assert_true(h.have);
	assert_int_equal(h.sth.tree_size, 5);
	assert_int_equal(ccg_party_state_save(sdir, URL, &h, &err), CCG_OK);
	assert_int_equal(ccg_party_state_load(sdir, URL, &back, &err), CCG_OK);
	assert_true(back.have);
	assert_int_equal(back.sth.tree_size, 5);
	assert_memory_equal(back.sth.root, h.sth.root, HL);
	ccg_party_head_cleanup(&back);
	/* kept per verifier: another URL has none */
	assert_int_equal(ccg_party_state_load(sdir, "unix:/run/ccgpu/verifierd.sock", &back, &err), CCG_OK);
	assert_false(back.have);

	/* the file of one verifier copied under another's name: refused */
	{
		uint8_t hh[32];
		char hex[65], other[1200];

		assert_int_equal(ccg_sha256((const uint8_t *)URL, strlen(URL), hh), CCG_OK);
		ccg_hex_encode(hh, 32, hex);
		snprintf(path, sizeof(path), "%s/%s.json", sdir, hex);
		assert_int_equal(ccg_sha256((const uint8_t *)"http://other:1", 14, hh), CCG_OK);
		ccg_hex_encode(hh, 32, hex);
		snprintf(other, sizeof(other), "%s/%s.json", sdir, hex);
		assert_int_equal(ccg_file_read(path, 1 << 20, &file, &len, NULL), CCG_OK);
		assert_int_equal(ccg_file_write_atomic(other, file, len, NULL), CCG_OK);
		ccg_error_clear(&err);
		assert_int_not_equal(ccg_party_state_load(sdir, "http://other:1", &back, &err), CCG_OK);
		assert_string_equal(err.where, "party.state");
		assert_non_null(strstr(err.detail, "state.verifier"));
		assert_false(back.have);
	}
	/* the kept head edited (a smaller tree claimed): its signature no longer holds */
	{
		json_t *j = json_loadb((const char *)file, len, 0, NULL);
		const char *jws = json_string_value(json_object_get(j, "sth"));
		char *forged = strdup(jws), *dot = strchr(forged, '.');

		assert_non_null(dot);
		dot[1] = dot[1] == 'A' ? 'B' : 'A'; /* one byte of the payload */
		json_object_set_new(j, "sth", json_string(forged));
		state_refused(sdir, path, j);
		free(forged);
		/* the kept key swapped for another: the head does not verify under it */
		json_object_set_new(j, "sth", json_string(h.jws));
		json_object_set(j, "key", json_array_get(json_object_get(other_jwks, "keys"), 0));
		state_refused(sdir, path, j);
		/* a member added */
		json_object_set(j, "key", h.key);
		json_object_set_new(j, "extra", json_true());
		state_refused(sdir, path, j);
		json_decref(j);
	}
	free(file);
	ccg_party_head_cleanup(&h);
	ccg_store_close(s);
}

/* the log step after each call: extension accepted, every rewrite of history named */
static void test_log_step(void **state)
{
	struct ccg_store *s = fresh_store();
	struct ccg_party_head none = {0}, kept = {0}, next = {0};
	struct ccg_error err;
	char *sb, *cb;

	(void)state;
	/* first use: an empty log's head is kept */
	assert_int_equal(step(s, &none, NOW_MS, &kept, &err), CCG_OK);
	assert_int_equal(kept.sth.tree_size, 0);
	append_range(s, 0, 3, "contract");
	/* from the empty head: no proof needed */
	assert_int_equal(step(s, &kept, NOW_MS + 1, &next, &err), CCG_OK);
	ccg_party_head_cleanup(&kept);
	copy_head(&kept, &next);
	ccg_party_head_cleanup(&next);
	append_range(s, 3, 7, "upload");
	/* an extension: the consistency proof holds */
	assert_int_equal(step(s, &kept, NOW_MS + 2, &next, &err), CCG_OK);
	assert_int_equal(next.sth.tree_size, 7);
	/* the same size again: no proof, same root */
	{
		struct ccg_party_head again = {0};

		assert_int_equal(step(s, &next, NOW_MS + 3, &again, &err), CCG_OK);
		ccg_party_head_cleanup(&again);
	}
	ccg_party_head_cleanup(&kept);
	copy_head(&kept, &next);
	ccg_party_head_cleanup(&next);

	/* the proof is needed: without it, or for other sizes, refused */
	append_range(s, 7, 9, "release");
	sb = sth_body(s, key, NOW_MS + 4);
	ccg_error_clear(&err);
	assert_int_equal(ccg_party_log_step(&kept, (const uint8_t *)sb, strlen(sb), NULL, 0, jwks, &next, &err),
			 CCG_ERR_LOG_INCONSISTENT);
	assert_string_equal(err.where, "party.log.consistency");
	assert_false(next.have);
	cb = cons_body(s, 3, 9);
	ccg_error_clear(&err);
	assert_int_equal(ccg_party_log_step(&kept, (const uint8_t *)sb, strlen(sb), (const uint8_t *)cb, strlen(cb),
					    jwks, &next, &err),
			 CCG_ERR_LOG_INCONSISTENT);
	assert_string_equal(err.where, "party.log.consistency");
	assert_non_null(strstr(err.detail, "was asked for"));
	free(cb);
	/* a head signed by another key (not the one the verifier's evidence bound) */
	free(sb);
	sb = sth_body(s, other_key, NOW_MS + 4);
	ccg_error_clear(&err);
	assert_int_not_equal(ccg_party_log_step(&kept, (const uint8_t *)sb, strlen(sb), NULL, 0, jwks, &next, &err),
			     CCG_OK);
	assert_string_equal(err.where, "party.log.sth");
	free(sb);

	/* the operator rewrites the history with fresh hashes (entry 5 changed) and appends more */
	tp_raw_sql(url, "DELETE FROM records WHERE tbl LIKE 'log.%'");
	append_range(s, 0, 5, "upload");
	append_range(s, 5, 6, "denial");
	append_range(s, 6, 10, "release");
	ccg_error_clear(&err);
	assert_int_equal(step(s, &kept, NOW_MS + 5, &next, &err), CCG_ERR_LOG_INCONSISTENT);
	assert_string_equal(err.where, "party.log.consistency");
	assert_non_null(strstr(err.detail, "history rewritten"));
	assert_false(next.have);

	/* the log cut back below the kept head */
	tp_raw_sql(url, "DELETE FROM records WHERE tbl LIKE 'log.%'");
	append_range(s, 0, 4, "upload");
	ccg_error_clear(&err);
	assert_int_equal(step(s, &kept, NOW_MS + 6, &next, &err), CCG_ERR_LOG_INCONSISTENT);
	assert_string_equal(err.where, "party.log.consistency");
	assert_non_null(strstr(err.detail, "log.sth.tree_size"));

	/* an older head than the kept one (a replayed answer) */
	ccg_error_clear(&err);
	tp_raw_sql(url, "DELETE FROM records WHERE tbl LIKE 'log.%'");
	append_range(s, 0, 3, "contract");
	append_range(s, 3, 7, "upload");
	assert_int_equal(step(s, &kept, NOW_MS - 1000, &next, &err), CCG_ERR_LOG_INCONSISTENT);
	assert_non_null(strstr(err.detail, "log.sth.timestamp"));
	ccg_party_head_cleanup(&kept);
	ccg_store_close(s);
}

/* entries as served, parsed and recomputed; an edited row; inclusion proofs */
static void test_entries(void **state)
{
	struct ccg_store *s = fresh_store();
	struct ccg_party_head none = {0}, h = {0};
	struct ccg_error err;
	uint8_t *e[8];
	size_t lens[8];
	char *body = NULL, *pb = NULL;
	char bad[512];

	(void)state;
	append_range(s, 0, 8, "release");
	assert_int_equal(step(s, &none, NOW_MS, &h, &err), CCG_OK);
	assert_int_equal(ccg_log_http_entries(s, 0, 8, &body, NULL), CCG_OK);
	ccg_error_clear(&err);
	assert_int_equal(ccg_log_entries_parse((const uint8_t *)body, strlen(body), 0, 8, e, lens, &err), CCG_OK);
	assert_int_equal(ccg_log_entries_verify((const uint8_t *const *)e, lens, 8, &h.sth, &err), CCG_OK);
	/* each entry's inclusion proof against the head */
	for (uint64_t i = 0; i < 8; i++) {
		assert_int_equal(ccg_log_http_proof(s, i, NULL, 8, &pb, NULL), CCG_OK);
		ccg_error_clear(&err);
		assert_int_equal(ccg_party_log_proof_check(&h.sth, i, e[i], lens[i], (const uint8_t *)pb, strlen(pb),
							   &err),
				 CCG_OK);
		/* the same proof for another entry's bytes */
		ccg_error_clear(&err);
		assert_int_equal(ccg_party_log_proof_check(&h.sth, i, e[(i + 1) % 8], lens[(i + 1) % 8],
							   (const uint8_t *)pb, strlen(pb), &err),
				 CCG_ERR_LOG_PROOF);
		assert_string_equal(err.where, "party.log.inclusion");
		/* a proof of another leaf passed off for this one */
		ccg_error_clear(&err);
		assert_int_equal(ccg_party_log_proof_check(&h.sth, (i + 1) % 8, e[(i + 1) % 8], lens[(i + 1) % 8],
							   (const uint8_t *)pb, strlen(pb), &err),
				 CCG_ERR_LOG_PROOF);
		assert_non_null(strstr(err.detail, "was asked for"));
		free(pb);
	}
	/* an entry changed after it was served: the recomputed root differs */
	e[3][2] ^= 1;
	ccg_error_clear(&err);
	assert_int_equal(ccg_log_entries_verify((const uint8_t *const *)e, lens, 8, &h.sth, &err),
			 CCG_ERR_LOG_INCONSISTENT);
	for (int i = 0; i < 8; i++)
		free(e[i]);

	/* the parser: the slice asked for, in order, nothing else */
	ccg_error_clear(&err);
	assert_int_equal(ccg_log_entries_parse((const uint8_t *)body, strlen(body), 0, 7, e, lens, &err),
			 CCG_ERR_MALFORMED);
	assert_string_equal(err.where, "log.entries");
	ccg_error_clear(&err);
	assert_int_equal(ccg_log_entries_parse((const uint8_t *)body, strlen(body), 1, 9, e, lens, &err),
			 CCG_ERR_MALFORMED);
	assert_string_equal(err.where, "log.entries[0].index");
	assert_null(e[0]);
	free(body);
	snprintf(bad, sizeof(bad), "{\"entries\":[{\"index\":0,\"leaf_input\":\"e30=\",\"x\":1}]}");
	ccg_error_clear(&err);
	assert_int_equal(ccg_log_entries_parse((const uint8_t *)bad, strlen(bad), 0, 1, e, lens, &err),
			 CCG_ERR_MALFORMED);
	assert_string_equal(err.where, "log.entries[0]");
	snprintf(bad, sizeof(bad), "{\"entries\":[{\"index\":0,\"leaf_input\":\"e30\"}]}");
	ccg_error_clear(&err);
	assert_int_not_equal(ccg_log_entries_parse((const uint8_t *)bad, strlen(bad), 0, 1, e, lens, &err), CCG_OK);
	assert_string_equal(err.where, "log.entries[0].leaf_input");
	snprintf(bad, sizeof(bad), "{\"entries\":[{\"index\":0,\"leaf_input\":\"e30=\"}],\"more\":[]}");
	ccg_error_clear(&err);
	assert_int_equal(ccg_log_entries_parse((const uint8_t *)bad, strlen(bad), 0, 1, e, lens, &err),
			 CCG_ERR_MALFORMED);
	snprintf(bad, sizeof(bad), "{\"entries\":[{\"index\":0,\"leaf_input\":\"e30=\"}]}");
	assert_int_equal(ccg_log_entries_parse((const uint8_t *)bad, strlen(bad), 0, 1, e, lens, NULL), CCG_OK);
	assert_int_equal(lens[0], 2);
	assert_memory_equal(e[0], "{}", 2);
	free(e[0]);
	ccg_error_clear(&err);
	assert_int_equal(ccg_log_entries_parse((const uint8_t *)bad, strlen(bad), 0, 0, e, lens, &err),
			 CCG_ERR_INVALID_ARG);

	/* an entry row edited by the operator: the daemon refuses to serve it, naming the row */
	tp_raw_sql(url,
		   "UPDATE records SET value = CAST('{\"type\":\"denial\"}' AS BLOB) WHERE tbl = 'log.entry' "
		   "AND key = '0000000000000003'");
	ccg_error_clear(&err);
	assert_int_equal(ccg_log_http_entries(s, 0, 8, &body, &err), CCG_ERR_LOG_INCONSISTENT);
	assert_string_equal(err.where, "log.entry[3]");
	ccg_party_head_cleanup(&h);
	ccg_store_close(s);
}

/* uploads: sealed to the upload key under exactly the agreed info and aad */
static void test_upload(void **state)
{
	EVP_PKEY *sk = NULL;
	json_t *jwk, *bad, *o;
	uint8_t pk[97], pt[64], aad[300], sealed[512];
	char kid[129], *body = NULL;
	size_t aad_len, pt_len = 0, n;
	struct ccg_error err;
	const char secret[] = "the model key: 32 bytes of it..";

	(void)state;
	assert_int_equal(ccg_hpke_keypair_generate(CCG_HPKE_P384_SHA384_AES256GCM, &sk, NULL), CCG_OK);
	jwk = jose_openssl_jwk_from_EVP_PKEY(NULL, sk);
	assert_non_null(jwk);
	json_object_del(jwk, "d");
	json_object_set_new(jwk, "kid", json_string("upload-1"));
	json_object_set_new(jwk, "use", json_string("enc"));
	json_object_set_new(jwk, "alg", json_string(CCG_PARTY_UPLOAD_ALG));
	ccg_error_clear(&err);
	if (ccg_party_upload_key(jwk, pk, kid, &err) != CCG_OK)
		fail_msg("%s: %s", err.where, err.detail);
	assert_string_equal(kid, "upload-1");
	assert_int_equal(ccg_party_upload_body(pk, kid, "llm", "model-key", ID_V3, (const uint8_t *)secret,
					       strlen(secret), &body, NULL),
			 CCG_OK);
	o = json_loads(body, 0, NULL);
	assert_non_null(o);
	assert_string_equal(json_string_value(json_object_get(o, "suite")), "P384-SHA384-AES256GCM");
	assert_string_equal(json_string_value(json_object_get(o, "kid")), "upload-1");
	assert_int_equal(json_object_size(o), 4);
	n = jose_b64_dec(json_object_get(o, "enc"), NULL, 0);
	assert_int_equal(n, 97);
	assert_int_equal(jose_b64_dec(json_object_get(o, "enc"), sealed, sizeof(sealed)), 97);
	n = jose_b64_dec(json_object_get(o, "ct"), NULL, 0);
	assert_true(n < sizeof(sealed) - 97);
	assert_int_equal(jose_b64_dec(json_object_get(o, "ct"), sealed + 97, sizeof(sealed) - 97), n);
	/* aad = contract ‖ 0x00 ‖ secret ‖ 0x00 ‖ the id of the contract version the party signed */
	aad_len = ccg_party_upload_aad("llm", "model-key", ID_V3, aad);
	assert_int_equal(aad_len, 3 + 1 + 9 + 1 + 96);
	assert_memory_equal(aad, "llm\0model-key\0" ID_V3, aad_len);
	assert_int_equal(ccg_hpke_open(CCG_HPKE_P384_SHA384_AES256GCM, sk, sealed, 97 + n,
				       (const uint8_t *)"ccgpu-secret-upload/v1", 22, aad, aad_len, pt, sizeof(pt),
				       &pt_len, NULL),
			 CCG_OK);
	assert_int_equal(pt_len, strlen(secret));
	assert_memory_equal(pt, secret, pt_len);
	/* sealed for another version (another content, another id): does not open under this one's aad */
	aad_len = ccg_party_upload_aad("llm", "model-key", ID_V4, aad);
	assert_int_not_equal(ccg_hpke_open(CCG_HPKE_P384_SHA384_AES256GCM, sk, sealed, 97 + n,
					   (const uint8_t *)"ccgpu-secret-upload/v1", 22, aad, aad_len, pt, sizeof(pt),
					   &pt_len, NULL),
			     CCG_OK);
	json_decref(o);
	free(body);

	/* an upload key other than the agreed one is named */
	{
		static const struct {
			const char *member, *value, *where;
		} cases[] = {
			{"alg", "ECDH-ES", "party.upload_key.alg"},
			{"use", "sig", "party.upload_key.use"},
			{"crv", "P-256", "party.upload_key.crv"},
			{"kty", "OKP", "party.upload_key.kty"},
			{"kid", NULL, "party.upload_key.kid"},
			{"kid", "", "party.upload_key.kid"},
			{"kid",
			 "kkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkk",
			 "party.upload_key.kid"},
			{"d", "AAAA", "party.upload_key.d"},
		};

		for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
			bad = json_deep_copy(jwk);
			if (cases[i].value == NULL)
				json_object_del(bad, cases[i].member);
			else
				json_object_set_new(bad, cases[i].member, json_string(cases[i].value));
			ccg_error_clear(&err);
			assert_int_not_equal(ccg_party_upload_key(bad, pk, kid, &err), CCG_OK);
			assert_string_equal(err.where, cases[i].where);
			json_decref(bad);
		}
		/* a point not on the curve */
		bad = json_deep_copy(jwk);
		json_object_set_new(bad, "x",
				    json_string("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"));
		ccg_error_clear(&err);
		assert_int_not_equal(ccg_party_upload_key(bad, pk, kid, &err), CCG_OK);
		assert_string_equal(err.where, "party.upload_key.x");
		json_decref(bad);
		/* (branch api) a refused key leaves no half-decoded point behind */
		{
			static const uint8_t zero[97];

			assert_memory_equal(pk, zero, sizeof(zero));
			assert_string_equal(kid, "");
		}
	}
	/* names that could leave their path segment are refused */
	assert_true(ccg_party_name_ok("llm-serving_v2.1"));
	assert_false(ccg_party_name_ok("a/b"));
	assert_false(ccg_party_name_ok(".."));
	assert_false(ccg_party_name_ok(""));
	assert_false(ccg_party_name_ok("a?b"));
	assert_int_equal(ccg_party_upload_body(pk, "k", "a/b", "s", ID_V3, (const uint8_t *)"x", 1, &body, NULL),
			 CCG_ERR_INVALID_ARG);
	/* not a contract version's id */
	assert_int_equal(ccg_party_upload_body(pk, "k", "llm", "s", "3", (const uint8_t *)"x", 1, &body, NULL),
			 CCG_ERR_INVALID_ARG);

	/* from a file (branch api: read into locked memory by the library): the same sealed secret */
	{
		char *tmpd = td_tmpdir(), path[4096], big[4096];
		static uint8_t huge[CCG_PARTY_MAX_SECRET + 1];

		/* pk again: the refused keys above cleared it */
		assert_int_equal(ccg_party_upload_key(jwk, pk, kid, NULL), CCG_OK);
		snprintf(path, sizeof(path), "%s/secret", tmpd);
		assert_int_equal(ccg_file_write_atomic(path, (const uint8_t *)secret, strlen(secret), NULL), CCG_OK);
		body = NULL;
		ccg_error_clear(&err);
		if (ccg_party_upload_body_file(pk, kid, "llm", "model-key", ID_V3, path, &body, &err) != CCG_OK)
			fail_msg("%s: %s", err.where, err.detail);
		o = json_loads(body, 0, NULL);
		assert_non_null(o);
		n = jose_b64_dec(json_object_get(o, "ct"), NULL, 0);
		assert_true(n < sizeof(sealed) - 97);
		assert_int_equal(jose_b64_dec(json_object_get(o, "enc"), sealed, 97), 97);
		assert_int_equal(jose_b64_dec(json_object_get(o, "ct"), sealed + 97, sizeof(sealed) - 97), n);
		aad_len = ccg_party_upload_aad("llm", "model-key", ID_V3, aad);
		assert_int_equal(ccg_hpke_open(CCG_HPKE_P384_SHA384_AES256GCM, sk, sealed, 97 + n,
					       (const uint8_t *)"ccgpu-secret-upload/v1", 22, aad, aad_len, pt,
					       sizeof(pt), &pt_len, NULL),
				 CCG_OK);
		assert_int_equal(pt_len, strlen(secret));
		assert_memory_equal(pt, secret, pt_len);
		json_decref(o);
		free(body);
		/* empty, too long, missing, not a regular file: refused at "party.input", nothing returned */
		snprintf(big, sizeof(big), "%s/huge", tmpd);
		assert_int_equal(ccg_file_write_atomic(big, huge, sizeof(huge), NULL), CCG_OK);
		assert_int_equal(ccg_file_write_atomic(path, (const uint8_t *)"", 0, NULL), CCG_OK);
		{
			const struct {
				const char *file;
				enum ccg_status st;
			} bad_files[] = {{path, CCG_ERR_TOO_LARGE}, {big, CCG_ERR_TOO_LARGE}, {tmpd, CCG_ERR_IO}};

			for (size_t i = 0; i < sizeof(bad_files) / sizeof(bad_files[0]); i++) {
				body = (char *)1;
				ccg_error_clear(&err);
				assert_int_equal(ccg_party_upload_body_file(pk, kid, "llm", "model-key", ID_V3,
									    bad_files[i].file, &body, &err),
						 bad_files[i].st);
				assert_string_equal(err.where, "party.input");
				assert_null(body);
			}
		}
		snprintf(path, sizeof(path), "%s/none", tmpd);
		ccg_error_clear(&err);
		assert_int_equal(ccg_party_upload_body_file(pk, kid, "llm", "model-key", ID_V3, path, &body, &err),
				 CCG_ERR_IO);
		td_rm_rf(tmpd);
		free(tmpd);
	}
	json_decref(jwk);
	EVP_PKEY_free(sk);
}

/* ccg_party_http (branch api): the answer's status and body come back whole, a transport failure is named */
static void answer_handler(void *ctx, const struct th_http_request *req, struct th_http_response *resp)
{
	(void)ctx;
	resp->status = strcmp(req->method, "POST") == 0 && req->body_len == 2 ? 201 : 409;
	resp->content_type = "application/json";
	th_http_reply_copy(resp, "{\"log_index\":7}", 15);
}

static void test_http(void **state)
{
	struct th_http_server *srv = th_http_server_new(answer_handler, NULL);
	struct ccg_party_verifier v;
	struct ccg_party_answer a = {0};
	struct ccg_error err;
	char addr[64];

	(void)state;
	snprintf(addr, sizeof(addr), "http://127.0.0.1:%d/", th_http_server_port(srv));
	assert_int_equal(ccg_party_verifier_parse(addr, &v, NULL), CCG_OK);
	ccg_error_clear(&err);
	if (ccg_party_http(&v, "POST", "/v1/contracts", (const uint8_t *)"{}", 2, "a.b.c", &a, &err) != CCG_OK)
		fail_msg("%s: %s", err.where, err.detail);
	assert_int_equal(a.status, 201);
	assert_int_equal(a.body_len, 15);
	assert_memory_equal(a.body, "{\"log_index\":7}", 15);
	assert_int_equal(ccg_party_answer_check(&a, 201, "party.request", NULL), CCG_OK);
	ccg_party_answer_cleanup(&a);
	assert_null(a.body);
	assert_int_equal(ccg_party_http(&v, "GET", "/v1/log/sth", NULL, 0, NULL, &a, NULL), CCG_OK);
	assert_int_equal(a.status, 409);
	ccg_error_clear(&err);
	assert_int_equal(ccg_party_answer_check(&a, 200, "party.log.sth", &err), CCG_ERR_PEER_REFUSED);
	ccg_party_answer_cleanup(&a);
	ccg_party_answer_cleanup(NULL);
	th_http_server_free(srv);
	snprintf(addr, sizeof(addr), "http://127.0.0.1:%d", th_free_port());
	assert_int_equal(ccg_party_verifier_parse(addr, &v, NULL), CCG_OK);
	ccg_error_clear(&err);
	assert_int_equal(ccg_party_http(&v, "GET", "/v1/log/sth", NULL, 0, NULL, &a, &err), CCG_ERR_NETWORK);
	assert_string_equal(err.where, "party.network");
	assert_null(a.body);
}

/*
 * The contract the verifier holds is the one the party signed (branch releasefast): the answer of
 * GET /v1/contracts/{name} must name it and hold exactly its canonical bytes and id; an operator's contract
 * registered first under the name (another document, another id), another version, a changed byte, a
 * shorter document, another name, a malformed answer are refused, named.
 */
static void test_contract_held(void **state)
{
	static const char canon[] = "{\"ccgpu-contract\":1,\"id\":\"llm\",\"version\":3}";
	struct {
		const char *body;
		enum ccg_status want;
	} cases[] = {
		{"{\"contract\":\"llm\",\"version\":3,\"id\":\"" ID_V3 "\",\"document\":\"{\\\"ccgpu-contract\\\":1,"
		 "\\\"id\\\":\\\"llm\\\",\\\"version\\\":3}\"}",
		 CCG_OK},
		/* the operator's own contract under the name: another document and id */
		{"{\"contract\":\"llm\",\"version\":3,\"id\":\"" ID_V4 "\",\"document\":\"{\\\"ccgpu-contract\\\":1,"
		 "\\\"id\\\":\\\"llm\\\",\\\"version\\\":3,\\\"threshold\\\":1}\"}",
		 CCG_ERR_CONTRACT_MISMATCH},
		/* the same id claimed over other bytes */
		{"{\"contract\":\"llm\",\"version\":3,\"id\":\"" ID_V3 "\",\"document\":\"{\\\"ccgpu-contract\\\":1,"
		 "\\\"id\\\":\\\"llm\\\",\\\"version\\\":4}\"}",
		 CCG_ERR_CONTRACT_MISMATCH},
		/* the right bytes under another id */
		{"{\"contract\":\"llm\",\"version\":3,\"id\":\"" ID_V4 "\",\"document\":\"{\\\"ccgpu-contract\\\":1,"
		 "\\\"id\\\":\\\"llm\\\",\\\"version\\\":3}\"}",
		 CCG_ERR_CONTRACT_MISMATCH},
		/* a prefix of the document */
		{"{\"contract\":\"llm\",\"version\":3,\"id\":\"" ID_V3 "\",\"document\":\"{\\\"ccgpu-contract\\\":1,"
		 "\\\"id\\\":\\\"llm\\\"\"}",
		 CCG_ERR_CONTRACT_MISMATCH},
		/* another name */
		{"{\"contract\":\"llm2\",\"version\":3,\"id\":\"" ID_V3 "\",\"document\":\"{\\\"ccgpu-contract\\\":1,"
		 "\\\"id\\\":\\\"llm\\\",\\\"version\\\":3}\"}",
		 CCG_ERR_CONTRACT_MISMATCH},
		{"{\"contract\":\"llm\",\"id\":\"" ID_V3 "\"}", CCG_ERR_MALFORMED},
		{"[]", CCG_ERR_MALFORMED},
	};
	struct ccg_error err;

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		enum ccg_status st;

		ccg_error_clear(&err);
		st = ccg_party_contract_held_check((const uint8_t *)cases[i].body, strlen(cases[i].body), "llm",
						   (const uint8_t *)canon, strlen(canon), ID_V3, &err);
		if (st != cases[i].want)
			fail_msg("case %zu: got %s (%s), want %s", i, ccg_status_name(st), err.detail,
				 ccg_status_name(cases[i].want));
		if (st != CCG_OK) {
			assert_string_equal(err.where, "party.contract");
			/* a check of the party's: exit status 1 */
			assert_int_equal(party_exit_for(&err), PARTY_EXIT_CHECK);
		}
	}
}

/* the verifier's answers and addresses */
static void test_answers(void **state)
{
	struct ccg_party_answer r = {0};
	struct ccg_party_verifier v;
	struct ccg_error err;
	const char problem[] =
		"{\"type\":\"tag:ccgpu.dev,2026:problem:release-denied\",\"title\":\"Denied\","
		"\"status\":403,\"detail\":\"the policy of clinic refused\",\"party\":\"clinic\","
		"\"rule\":\"clinic/gpu-driver\"}";

	(void)state;
	r.status = 201;
	assert_int_equal(ccg_party_answer_check(&r, 201, "party.request", NULL), CCG_OK);
	r.status = 403;
	r.body = (uint8_t *)problem;
	r.body_len = strlen(problem);
	ccg_error_clear(&err);
	assert_int_equal(ccg_party_answer_check(&r, 201, "party.request", &err), CCG_ERR_PEER_REFUSED);
	assert_string_equal(err.where, "party.request");
	assert_non_null(strstr(err.detail, "HTTP 403 release-denied"));
	assert_non_null(strstr(err.detail, "party clinic"));
	assert_non_null(strstr(err.detail, "rule clinic/gpu-driver"));
	assert_int_equal(party_exit_for(&err), PARTY_EXIT_REFUSED);
	r.status = 503;
	r.body = (uint8_t *)"<html>";
	r.body_len = 6;
	ccg_error_clear(&err);
	assert_int_equal(ccg_party_answer_check(&r, 200, "party.evidence", &err), CCG_ERR_NETWORK);
	assert_non_null(strstr(err.detail, "HTTP 503"));
	assert_int_equal(party_exit_for(&err), PARTY_EXIT_UNAVAILABLE);
	ccg_error_clear(&err);
	ccg_error_set(&err, CCG_ERR_LOG_INCONSISTENT, "party.log.consistency", "x");
	assert_int_equal(party_exit_for(&err), PARTY_EXIT_CHECK);
	ccg_error_clear(&err);
	ccg_error_set(&err, CCG_ERR_CERT_UNTRUSTED, "party.evidence", "x");
	assert_int_equal(party_exit_for(&err), PARTY_EXIT_CHECK);
	ccg_error_clear(&err);
	ccg_error_set(&err, CCG_ERR_NOT_FOUND, "party.input", "x");
	assert_int_equal(party_exit_for(&err), PARTY_EXIT_USAGE);

	/* the HTTP client refuses a header that would smuggle another line, and methods it does not speak,
	 * before any transfer */
	{
		struct ccg_http_request req = {.url = "http://127.0.0.1:1/", .method = "GET"};
		struct ccg_http_response resp;
		uint64_t before = ccg_http_transfer_count();

		req.send[0] = "CCGPU-Statement: a\r\nX-Injected: b";
		ccg_error_clear(&err);
		assert_int_equal(ccg_http_perform(&req, &resp, &err), CCG_ERR_INVALID_ARG);
		assert_string_equal(err.where, "http.header");
		req.send[0] = "no colon here";
		assert_int_equal(ccg_http_perform(&req, &resp, NULL), CCG_ERR_INVALID_ARG);
		req.send[0] = NULL;
		req.method = "DELETE";
		ccg_error_clear(&err);
		assert_int_equal(ccg_http_perform(&req, &resp, &err), CCG_ERR_INVALID_ARG);
		assert_string_equal(err.where, "http.method");
		assert_int_equal(ccg_http_transfer_count(), before);
	}
	assert_int_equal(ccg_party_verifier_parse("http://127.0.0.1:8400/", &v, NULL), CCG_OK);
	assert_string_equal(v.base, "http://127.0.0.1:8400");
	assert_string_equal(v.unix_path, "");
	assert_int_equal(ccg_party_verifier_parse("unix:/run/ccgpu/vd.sock", &v, NULL), CCG_OK);
	assert_string_equal(v.unix_path, "/run/ccgpu/vd.sock");
	assert_string_equal(v.base, "http://localhost");
	assert_string_equal(v.url, "unix:/run/ccgpu/vd.sock");
	ccg_error_clear(&err);
	assert_int_equal(ccg_party_verifier_parse("unix:relative.sock", &v, &err), CCG_ERR_INVALID_ARG);
	assert_string_equal(err.where, "verifier");
	assert_int_equal(ccg_party_verifier_parse("ftp://x", &v, NULL), CCG_ERR_INVALID_ARG);
	assert_int_equal(ccg_party_verifier_parse("http://x/?q=1", &v, NULL), CCG_ERR_INVALID_ARG);
	assert_int_equal(ccg_party_verifier_parse(NULL, &v, NULL), CCG_ERR_INVALID_ARG);
}

static int setup(void **state)
{
	char path[512];

	(void)state;
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
	json_decref(jwks);
	json_decref(other_jwks);
	ccg_ear_key_free(key);
	ccg_ear_key_free(other_key);
	td_rm_rf(dir);
	free(dir);
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_state),         cmocka_unit_test(test_log_step), cmocka_unit_test(test_entries),
		cmocka_unit_test(test_upload),        cmocka_unit_test(test_answers),  cmocka_unit_test(test_http),
		cmocka_unit_test(test_contract_held),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
