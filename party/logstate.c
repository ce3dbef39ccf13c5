/* SPDX-License-Identifier: Apache-2.0 */
/* The party client: the kept tree head, the log step after each call, entries and inclusion (ccgpu/party.h). */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/crypto.h"
#include "common/encoding.h"
#include "common/error.h"
#include "common/file.h"
#include "common/json.h"
#include "party/client.h"
#include "party/merkle.h"

#define STATE_MAX (64u * 1024u)
#define STATE_MAGIC "ccgpu-party-state"

void ccg_party_head_cleanup(struct ccg_party_head *h)
{
	if (h == NULL)
		return;
	free(h->jws);
	json_decref(h->key);
	memset(h, 0, sizeof(*h));
}

/* DIR/<hex SHA-256 of url>.json */
static enum ccg_status state_path(const char *dir, const char *url, char *out, size_t cap, struct ccg_error *err)
{
	uint8_t h[32];
	char hex[65];

	if (ccg_sha256((const uint8_t *)url, strlen(url), h) != CCG_OK)
		return ccg_error_set(err, CCG_ERR_CRYPTO, "party.state", "SHA-256 failed");
	ccg_hex_encode(h, sizeof(h), hex);
	if (snprintf(out, cap, "%s/%s.json", dir, hex) >= (int)cap)
		return ccg_error_set(err, CCG_ERR_INVALID_ARG, "party.state", "--state path too long");
	return CCG_OK;
}

/* {"keys":[key]} */
static json_t *jwks_of(const json_t *key)
{
	return json_pack("{s:[O]}", "keys", key);
}

enum ccg_status ccg_party_state_load(const char *dir, const char *url, struct ccg_party_head *h, struct ccg_error *err)
{
	struct ccg_error inner;
	char path[4096];
	uint8_t *text = NULL;
	size_t len = 0;
	json_t *j = NULL, *jwks = NULL;
	const char *jws = NULL, *name = NULL;
	int64_t version = 0;
	enum ccg_status st;

	memset(h, 0, sizeof(*h));
	if ((st = state_path(dir, url, path, sizeof(path), err)) != CCG_OK)
		return st;
	ccg_error_clear(&inner);
	st = ccg_file_read(path, STATE_MAX, &text, &len, &inner);
	if (st == CCG_ERR_NOT_FOUND)
		return CCG_OK; /* the first call to this verifier */
	if (st == CCG_OK)
		st = ccg_json_parse(text, len, STATE_MAX, "state", &j, &inner);
	if (st == CCG_OK && (json_object_size(j) != 4 || !json_is_object(json_object_get(j, "key"))))
		st = ccg_error_set(&inner, CCG_ERR_MALFORMED, "state", "not a ccgpu-party state file");
	if (st == CCG_OK && (st = ccg_json_get_int(j, STATE_MAGIC, 1, 1, &version, "state", &inner)) == CCG_OK &&
	    (st = ccg_json_get_string(j, "verifier", &name, "state.verifier", &inner)) == CCG_OK &&
	    strcmp(name, url) != 0)
		st = ccg_error_set(&inner, CCG_ERR_MALFORMED, "state.verifier", "kept for another verifier");
	if (st == CCG_OK && (st = ccg_json_get_string(j, "sth", &jws, "state.sth", &inner)) == CCG_OK) {
		/* kept as signed: re-verified under the key it was accepted with */
		if ((jwks = jwks_of(json_object_get(j, "key"))) == NULL)
			st = ccg_error_set(&inner, CCG_ERR_NOMEM, "state", "out of memory");
		else
			st = ccg_log_sth_verify(jws, jwks, &h->sth, &inner);
	}
	if (st == CCG_OK && ((h->jws = strdup(jws)) == NULL))
		st = ccg_error_set(&inner, CCG_ERR_NOMEM, "state", "out of memory");
	if (st == CCG_OK) {
		h->key = json_incref(json_object_get(j, "key"));
		h->have = true;
	}
	json_decref(jwks);
	json_decref(j);
	free(text);
	if (st != CCG_OK) {
		ccg_party_head_cleanup(h);
		return ccg_error_set(err, st, "party.state", "%s: %s: %s", path, inner.where, inner.detail);
	}
	return CCG_OK;
}

enum ccg_status ccg_party_state_save(const char *dir, const char *url, const struct ccg_party_head *h,
				     struct ccg_error *err)
{
	char path[4096], *text = NULL;
	json_t *j;
	enum ccg_status st;

	if (!h->have || h->jws == NULL || h->key == NULL)
		return ccg_error_set(err, CCG_ERR_INVALID_ARG, "party.state", "no tree head to keep");
	if ((st = ccg_mkdir_p(dir, err)) != CCG_OK || (st = state_path(dir, url, path, sizeof(path), err)) != CCG_OK)
		return st;
	j = json_pack("{s:i, s:s, s:s, s:O}", STATE_MAGIC, 1, "verifier", url, "sth", h->jws, "key", h->key);
	if (j == NULL || (text = json_dumps(j, JSON_INDENT(1) | JSON_SORT_KEYS)) == NULL)
		st = ccg_error_set(err, CCG_ERR_NOMEM, "party.state", "out of memory");
	else
		st = ccg_file_write_atomic(path, (const uint8_t *)text, strlen(text), err);
	free(text);
	json_decref(j);
	return st;
}

enum ccg_status ccg_party_sth_peek(const uint8_t *body, size_t len, const json_t *jwks, struct ccg_log_sth *out,
				   struct ccg_error *err)
{
	struct ccg_error inner;
	enum ccg_status st;

	ccg_error_clear(&inner);
	if ((st = ccg_log_sth_parse(body, len, jwks, out, &inner)) != CCG_OK)
		return ccg_error_set(err, st, "party.log.sth", "the verifier's tree head: %s: %s", inner.where,
				     inner.detail);
	return CCG_OK;
}

bool ccg_party_log_needs_proof(const struct ccg_party_head *kept, const struct ccg_log_sth *next)
{
	return kept->have && kept->sth.tree_size > 0 && kept->sth.tree_size < next->tree_size;
}

enum ccg_status ccg_party_log_step(const struct ccg_party_head *kept, const uint8_t *sth_body, size_t sth_len,
				   const uint8_t *cons_body, size_t cons_len, const json_t *jwks,
				   struct ccg_party_head *next, struct ccg_error *err)
{
	uint8_t path[CCG_MERKLE_MAX_PROOF][CCG_MERKLE_HASH_LEN];
	struct ccg_error inner;
	json_t *j = NULL;
	const char *jws = NULL;
	uint64_t first = 0, second = 0;
	size_t count = 0;
	enum ccg_status st;

	memset(next, 0, sizeof(*next));
	if ((st = ccg_party_sth_peek(sth_body, sth_len, jwks, &next->sth, err)) != CCG_OK)
		return st;
	/* the JWS text, kept as signed (ccg_log_sth_parse accepted exactly {"sth": JWS}) */
	if (ccg_json_parse(sth_body, sth_len, CCG_LOG_MAX_JSON, "log.sth", &j, NULL) != CCG_OK ||
	    ccg_json_get_string(j, "sth", &jws, "log.sth", NULL) != CCG_OK || (next->jws = strdup(jws)) == NULL) {
		json_decref(j);
		return ccg_error_set(err, CCG_ERR_NOMEM, "party.log.sth", "out of memory");
	}
	json_decref(j);
	next->key = json_incref(json_array_get(json_object_get(jwks, "keys"), 0));
	next->have = true;
	if (!kept->have)
		return CCG_OK; /* trust on first use: the first head this party sees of this verifier */
	ccg_error_clear(&inner);
	if (ccg_party_log_needs_proof(kept, &next->sth)) {
		/* no proof (cons_body NULL) does not parse: refused like a bad one */
		if ((st = ccg_log_consistency_parse(cons_body, cons_len, &first, &second, path, &count, &inner)) ==
			    CCG_OK &&
		    (first != kept->sth.tree_size || second != next->sth.tree_size))
			st = ccg_error_set(&inner, CCG_ERR_LOG_PROOF, "log.consistency",
					   "a proof from %" PRIu64 " to %" PRIu64 " where %" PRIu64 " to %" PRIu64
					   " was asked for",
					   first, second, kept->sth.tree_size, next->sth.tree_size);
	}
	if (st == CCG_OK)
		st = ccg_log_check(&kept->sth, &next->sth, (const uint8_t(*)[CCG_MERKLE_HASH_LEN])path, count, &inner);
	if (st != CCG_OK) {
		ccg_party_head_cleanup(next);
		return ccg_error_set(err, st == CCG_ERR_NOMEM ? st : CCG_ERR_LOG_INCONSISTENT, "party.log.consistency",
				     "%s: %s", inner.where, inner.detail);
	}
	return CCG_OK;
}

enum ccg_status ccg_party_log_advance(const struct ccg_party_verifier *v, const json_t *jwks,
				      const struct ccg_party_head *kept, struct ccg_party_head *next,
				      struct ccg_error *err)
{
	struct ccg_party_answer sth = {0}, cons = {0};
	struct ccg_log_sth peek;
	char target[128];
	enum ccg_status st;

	memset(next, 0, sizeof(*next));
	if ((st = ccg_party_http(v, "GET", "/v1/log/sth", NULL, 0, NULL, &sth, err)) != CCG_OK ||
	    (st = ccg_party_answer_check(&sth, 200, "party.log.sth", err)) != CCG_OK ||
	    (st = ccg_party_sth_peek(sth.body, sth.body_len, jwks, &peek, err)) != CCG_OK)
		goto out;
	if (ccg_party_log_needs_proof(kept, &peek)) {
		snprintf(target, sizeof(target), "/v1/log/consistency?first=%" PRIu64 "&second=%" PRIu64,
			 kept->sth.tree_size, peek.tree_size);
		if ((st = ccg_party_http(v, "GET", target, NULL, 0, NULL, &cons, err)) != CCG_OK ||
		    (st = ccg_party_answer_check(&cons, 200, "party.log.consistency", err)) != CCG_OK)
			goto out;
	}
	st = ccg_party_log_step(kept, sth.body, sth.body_len, cons.body, cons.body_len, jwks, next, err);
out:
	ccg_party_answer_cleanup(&sth);
	ccg_party_answer_cleanup(&cons);
	return st;
}

/* a problem answer naming a stored entry that failed its leaf hash ("check": "log.entry[I]") */
static bool entry_refused(const struct ccg_party_answer *r)
{
	json_t *p = r->body != NULL ? json_loadb((const char *)r->body, r->body_len, 0, NULL) : NULL;
	const char *check = json_string_value(json_object_get(p, "check"));
	bool yes = check != NULL && strncmp(check, "log.entry[", 10) == 0 &&
		   strcmp(json_string_value(json_object_get(p, "ccgpu-status")) != NULL
				  ? json_string_value(json_object_get(p, "ccgpu-status"))
				  : "",
			  "ERR_LOG_INCONSISTENT") == 0;

	json_decref(p);
	return yes;
}

enum ccg_status ccg_party_log_entries(const struct ccg_party_verifier *v, uint64_t start, uint64_t end, uint8_t **out,
				      size_t *out_lens, struct ccg_error *err)
{
	struct ccg_error inner;
	enum ccg_status st = CCG_OK;

	for (uint64_t i = start; i < end; i++) {
		out[i - start] = NULL;
		out_lens[i - start] = 0;
	}
	for (uint64_t at = start; at < end && st == CCG_OK; at += CCG_LOG_MAX_ENTRIES) {
		uint64_t to = end - at > CCG_LOG_MAX_ENTRIES ? at + CCG_LOG_MAX_ENTRIES : end;
		struct ccg_party_answer r = {0};
		char target[128];

		snprintf(target, sizeof(target), "/v1/log/entries?start=%" PRIu64 "&end=%" PRIu64, at, to);
		ccg_error_clear(&inner);
		if ((st = ccg_party_http(v, "GET", target, NULL, 0, NULL, &r, err)) != CCG_OK)
			break;
		if (ccg_party_answer_check(&r, 200, "party.log.entries", &inner) != CCG_OK) {
			/* the daemon refuses to serve a row that no longer hashes to its leaf: a rewritten entry */
			st = entry_refused(&r) ? CCG_ERR_LOG_INCONSISTENT : inner.status;
			ccg_error_set(err, st, "party.log.entries", "%s", inner.detail);
		} else if ((st = ccg_log_entries_parse(r.body, r.body_len, at, to, out + (at - start),
						       out_lens + (at - start), &inner)) != CCG_OK) {
			ccg_error_set(err, st, "party.log.entries", "%s: %s", inner.where, inner.detail);
		}
		ccg_party_answer_cleanup(&r);
	}
	if (st != CCG_OK)
		for (uint64_t i = start; i < end; i++) {
			free(out[i - start]);
			out[i - start] = NULL;
		}
	return st;
}

enum ccg_status ccg_party_log_proof_check(const struct ccg_log_sth *head, uint64_t index, const uint8_t *entry,
					  size_t len, const uint8_t *body, size_t body_len, struct ccg_error *err)
{
	uint8_t path[CCG_MERKLE_MAX_PROOF][CCG_MERKLE_HASH_LEN], leaf[CCG_MERKLE_HASH_LEN];
	struct ccg_error inner;
	uint64_t i = 0, n = 0;
	size_t count = 0;
	enum ccg_status st;

	ccg_error_clear(&inner);
	if ((st = ccg_log_proof_parse(body, body_len, &i, &n, path, &count, &inner)) == CCG_OK &&
	    (i != index || n != head->tree_size))
		st = ccg_error_set(&inner, CCG_ERR_LOG_PROOF, "log.proof",
				   "a proof of leaf %" PRIu64 " in %" PRIu64 " where leaf %" PRIu64 " in %" PRIu64
				   " was asked for",
				   i, n, index, head->tree_size);
	if (st == CCG_OK && (st = ccg_merkle_leaf_hash(entry, len, leaf)) == CCG_OK)
		st = ccg_merkle_inclusion_verify(index, head->tree_size, leaf,
						 (const uint8_t(*)[CCG_MERKLE_HASH_LEN])path, count, head->root,
						 &inner);
	if (st != CCG_OK)
		return ccg_error_set(err, st == CCG_ERR_NOMEM ? st : CCG_ERR_LOG_PROOF, "party.log.inclusion",
				     "entry %" PRIu64 " is not proven in the signed tree of %" PRIu64 ": %s: %s", index,
				     head->tree_size, inner.where, inner.detail);
	return CCG_OK;
}

enum ccg_status ccg_party_log_included(const struct ccg_party_verifier *v, const struct ccg_log_sth *head,
				       uint64_t index, const uint8_t *entry, size_t len, struct ccg_error *err)
{
	struct ccg_party_answer r = {0};
	char target[128];
	enum ccg_status st;

	snprintf(target, sizeof(target), "/v1/log/proof?leaf_index=%" PRIu64 "&tree_size=%" PRIu64, index,
		 head->tree_size);
	if ((st = ccg_party_http(v, "GET", target, NULL, 0, NULL, &r, err)) == CCG_OK &&
	    (st = ccg_party_answer_check(&r, 200, "party.log.inclusion", err)) == CCG_OK)
		st = ccg_party_log_proof_check(head, index, entry, len, r.body, r.body_len, err);
	ccg_party_answer_cleanup(&r);
	return st;
}
