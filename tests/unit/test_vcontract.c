/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Contracts in force in the verifier (verifier/contracts.h), on a real
 * SQLite store: the first version in force registers its keys; a version
 * not in force (a signature missing, outside its validity period) is not
 * stored; a later version replaces the stored one only when it is itself in
 * force under the registered keys and newer; a version that swaps a
 * registered party's key (mallory's key under acme's name, every signature
 * valid under the document's keys) is refused; a new party's key is
 * registered with the version that adds it; unknown parties have no key.
 * Every load re-establishes the stored row (branch releasefast): an
 * operator's edit of the row in the database — a registered key replaced, a
 * signature dropped, the document changed under its signatures, the row not
 * JSON — is refused naming the contract and the check, and the validity
 * period is decided at the caller's time.
 */
#include <stdarg.h>
#include <setjmp.h>
#include <stddef.h>
#include <cmocka.h>
#include <jansson.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "verifier/contracts.h"
#include "verifier/statement.h"
#include "verifier/store.h"
#include "testdata.h"

#define NOW 1795305600 /* 2026-11-22T00:00:00Z */

struct party {
	const char *id;
	char *priv, *pub;
};

/* acme, clinic, alice, and mallory (who claims to be acme) */
static struct party P[4] = {{.id = "acme"}, {.id = "clinic"}, {.id = "alice"}, {.id = "acme"}};

static char *mem_text(BIO *b)
{
	char *p;
	long n = BIO_get_mem_data(b, &p);
	char *t = strndup(p, (size_t)n);

	BIO_free(b);
	return t;
}

static int setup(void **state)
{
	(void)state;
	for (size_t i = 0; i < 4; i++) {
		EVP_PKEY *k = i == 1 ? EVP_PKEY_Q_keygen(NULL, NULL, "ED25519")
				     : EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-384");
		BIO *a = BIO_new(BIO_s_mem()), *b = BIO_new(BIO_s_mem());

		assert_int_equal(PEM_write_bio_PrivateKey(a, k, NULL, NULL, 0, NULL, NULL), 1);
		assert_int_equal(PEM_write_bio_PUBKEY(b, k), 1);
		P[i].priv = mem_text(a);
		P[i].pub = mem_text(b);
		EVP_PKEY_free(k);
	}
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	for (size_t i = 0; i < 4; i++) {
		free(P[i].priv);
		free(P[i].pub);
	}
	return 0;
}

/* a contract of the parties at idx[0..n) (P indexes), version v, valid until not_after */
static char *doc(int v, const size_t *idx, size_t n, const char *not_after)
{
	json_t *ps = json_array(), *d;
	char *t;

	for (size_t i = 0; i < n; i++) {
		char pol[256];

		snprintf(
			pol, sizeof(pol),
			"policy \"%s\" version 1\nrule overall \"attestation passed\" { x-nvidia-overall-att-result }\n",
			P[idx[i]].id);
		json_array_append_new(ps, json_pack("{s:s,s:s,s:s,s:s}", "id", P[idx[i]].id, "role",
						    i == 0   ? "model-owner"
						    : i == 1 ? "data-owner"
							     : "client",
						    "public-key", P[idx[i]].pub, "policy", pol));
	}
	d = json_pack("{s:i,s:s,s:i,s:s,s:s,s:{s:s,s:{s:[s]}},s:o,s:[{s:s,s:s,s:[s,s]}]}", "ccgpu-contract", 1, "id",
		      "llm-serving", "version", v, "not-before", "2026-01-01T00:00:00Z", "not-after", not_after,
		      "workload", "name", "llama-70b", "reference-values", "x-nvidia-gpu-vbios-version",
		      "96.00.9F.00.01", "parties", ps, "secrets", "owner", "acme", "name", "model-key", "requires",
		      "acme", "clinic");
	assert_non_null(d);
	t = json_dumps(d, JSON_COMPACT);
	json_decref(d);
	return t;
}

static char *sign(const char *text, size_t who)
{
	struct ccg_contract *c = NULL;
	struct ccg_error err;
	char *sig = NULL;

	ccg_error_clear(&err);
	if (ccg_contract_parse((const uint8_t *)text, strlen(text), &c, &err) != CCG_OK)
		fail_msg("parse: %s: %s", err.where, err.detail);
	if (ccg_contract_sign(c, P[who].id, (const uint8_t *)P[who].priv, strlen(P[who].priv), &sig, &err) != CCG_OK)
		fail_msg("sign: %s: %s", err.where, err.detail);
	ccg_contract_free(c);
	return sig;
}

struct fixture {
	char *dir;
	struct ccg_store *s;
};

static struct fixture open_fx(void)
{
	struct fixture f = {.dir = td_tmpdir()};
	char url[512];
	struct ccg_error err;

	snprintf(url, sizeof(url), "sqlite://%s/db.sqlite", f.dir);
	assert_int_equal(ccg_store_open(url, NULL, &f.s, &err), CCG_OK);
	assert_int_equal(ccg_store_migrate(f.s, NULL, &err), CCG_OK);
	return f;
}

static void close_fx(struct fixture *f)
{
	ccg_store_close(f->s);
	td_rm_rf(f->dir);
	free(f->dir);
}

/* registers text with the signatures of signers[0..n) (P indexes), in one transaction */
static enum ccg_status reg(struct fixture *f, const char *text, const size_t *signers, size_t n, int64_t now,
			   struct ccg_error *err)
{
	char *sigs[8] = {0};
	struct ccg_store_txn *t = NULL;
	enum ccg_status s;

	for (size_t i = 0; i < n; i++)
		sigs[i] = sign(text, signers[i]);
	ccg_error_clear(err);
	assert_int_equal(ccg_store_begin(f->s, &t, err), CCG_OK);
	s = ccg_vcontract_register(t, (const uint8_t *)text, strlen(text), (const char *const *)sigs, n, now, NULL,
				   err);
	if (s == CCG_OK)
		assert_int_equal(ccg_store_commit(t, err), CCG_OK);
	else
		ccg_store_rollback(t);
	for (size_t i = 0; i < n; i++)
		free(sigs[i]);
	return s;
}

/* the stored version (0: none) */
static int64_t stored(struct fixture *f)
{
	struct ccg_store_txn *t = NULL;
	struct ccg_vcontract *vc = NULL;
	struct ccg_error err;
	int64_t v = 0;
	enum ccg_status s;

	assert_int_equal(ccg_store_begin(f->s, &t, &err), CCG_OK);
	s = ccg_vcontract_load(t, "llm-serving", &vc, &err);
	if (s == CCG_OK)
		v = vc->version;
	else
		assert_int_equal(s, CCG_ERR_NOT_FOUND);
	ccg_vcontract_free(vc);
	ccg_store_rollback(t);
	return v;
}

static void expect(enum ccg_status got, const struct ccg_error *err, enum ccg_status want, const char *where)
{
	if (got != want || (where != NULL && strcmp(err->where, where) != 0))
		fail_msg("got %s at \"%s\" (%s), want %s at \"%s\"", ccg_status_name(got), err->where, err->detail,
			 ccg_status_name(want), where ? where : "");
}

static const size_t two[] = {0, 1}, three[] = {0, 1, 2}, mallory_as_acme[] = {3, 1};

static void test_first_version(void **state)
{
	struct fixture f = open_fx();
	char *d1 = doc(1, two, 2, "2027-01-01T00:00:00Z");
	struct ccg_error err;
	struct ccg_store_txn *t = NULL;
	struct ccg_vcontract *vc = NULL;
	const char *pem = NULL;

	(void)state;
	/* one of the two signatures missing: not in force, not stored */
	expect(reg(&f, d1, two, 1, NOW, &err), &err, CCG_ERR_SIGNATURE, NULL);
	assert_int_equal(stored(&f), 0);
	/* both, but after not-after: not stored */
	expect(reg(&f, d1, two, 2, NOW + 86400 * 60, &err), &err, CCG_ERR_CERT_EXPIRED, NULL);
	assert_int_equal(stored(&f), 0);
	assert_int_equal(reg(&f, d1, two, 2, NOW, &err), CCG_OK);
	assert_int_equal(stored(&f), 1);
	/* the keys registered are the first version's; alice has none */
	assert_int_equal(ccg_store_begin(f.s, &t, &err), CCG_OK);
	assert_int_equal(ccg_vcontract_load(t, "llm-serving", &vc, &err), CCG_OK);
	assert_int_equal(ccg_vcontract_party_key(vc, "acme", &pem, &err), CCG_OK);
	assert_string_equal(pem, P[0].pub);
	ccg_error_clear(&err);
	expect(ccg_vcontract_party_key(vc, "alice", &pem, &err), &err, CCG_ERR_PARTY_UNKNOWN, "party");
	assert_int_equal(ccg_contract_in_force(vc->contract, vc->keys, NOW, NULL), CCG_OK);
	ccg_vcontract_free(vc);
	ccg_store_rollback(t);
	/* the same version again */
	expect(reg(&f, d1, two, 2, NOW, &err), &err, CCG_ERR_DUPLICATE, "version");
	/* the operator copies the row under another name: the row names its own contract */
	{
		uint8_t *row = NULL;
		size_t row_len = 0;

		assert_int_equal(ccg_store_begin(f.s, &t, &err), CCG_OK);
		assert_int_equal(ccg_store_get(t, CCG_VCONTRACT_TABLE, "llm-serving", &row, &row_len, &err), CCG_OK);
		assert_int_equal(ccg_store_put(t, CCG_VCONTRACT_TABLE, "other", row, row_len, CCG_STORE_INSERT, &err),
				 CCG_OK);
		ccg_error_clear(&err);
		expect(ccg_vcontract_load(t, "other", &vc, &err), &err, CCG_ERR_CONTRACT_NOT_IN_FORCE,
		       "contract[other].row");
		assert_null(vc);
		ccg_store_rollback(t);
		free(row);
	}
	free(d1);
	close_fx(&f);
}

static void test_later_versions(void **state)
{
	struct fixture f = open_fx();
	char *d1 = doc(1, two, 2, "2027-01-01T00:00:00Z");
	char *d2 = doc(2, two, 2, "2027-06-01T00:00:00Z");
	char *d3 = doc(3, three, 3, "2027-06-01T00:00:00Z");
	char *evil = doc(4, mallory_as_acme, 2, "2027-06-01T00:00:00Z");
	char *old = doc(1, two, 2, "2026-12-31T00:00:00Z");
	struct ccg_error err;
	static const size_t clinic_only[] = {1};

	(void)state;
	assert_int_equal(reg(&f, d1, two, 2, NOW, &err), CCG_OK);
	/* v2 without acme's signature is not in force: v1 stays */
	expect(reg(&f, d2, clinic_only, 1, NOW, &err), &err, CCG_ERR_SIGNATURE, NULL);
	assert_int_equal(stored(&f), 1);
	assert_int_equal(reg(&f, d2, two, 2, NOW, &err), CCG_OK);
	assert_int_equal(stored(&f), 2);
	/* an older version number, even if in force, does not come back */
	expect(reg(&f, old, two, 2, NOW, &err), &err, CCG_ERR_DUPLICATE, "version");
	assert_int_equal(stored(&f), 2);
	/* mallory's key under acme's name, signed by mallory and clinic: refused naming acme's key */
	expect(reg(&f, evil, mallory_as_acme, 2, NOW, &err), &err, CCG_ERR_UNSUPPORTED, "parties[acme].public-key");
	assert_int_equal(stored(&f), 2);
	/* v3 adds alice: her key is the document's, and she must sign (threshold: all) */
	expect(reg(&f, d3, two, 2, NOW, &err), &err, CCG_ERR_SIGNATURE, NULL);
	assert_int_equal(reg(&f, d3, three, 3, NOW, &err), CCG_OK);
	assert_int_equal(stored(&f), 3);
	free(d1);
	free(d2);
	free(d3);
	free(evil);
	free(old);
	close_fx(&f);
}

/* the stored row of llm-serving rewritten by edit (what the operator can do with the database), then loaded */
static enum ccg_status load_edited(struct fixture *f, void (*edit)(json_t *row), struct ccg_vcontract **out,
				   struct ccg_error *err)
{
	struct ccg_store_txn *t = NULL;
	uint8_t *raw = NULL;
	size_t len = 0;
	json_t *row;
	char *text;
	enum ccg_status s;

	assert_int_equal(ccg_store_begin(f->s, &t, err), CCG_OK);
	assert_int_equal(ccg_store_get(t, CCG_VCONTRACT_TABLE, "llm-serving", &raw, &len, err), CCG_OK);
	row = json_loadb((const char *)raw, len, 0, NULL);
	assert_non_null(row);
	edit(row);
	text = json_dumps(row, JSON_COMPACT | JSON_SORT_KEYS);
	assert_int_equal(ccg_store_put(t, CCG_VCONTRACT_TABLE, "llm-serving", (const uint8_t *)text, strlen(text),
				       CCG_STORE_UPDATE, err),
			 CCG_OK);
	ccg_error_clear(err);
	s = ccg_vcontract_load(t, "llm-serving", out, err);
	ccg_store_rollback(t);
	json_decref(row);
	free(text);
	free(raw);
	return s;
}

static void edit_none(json_t *row)
{
	(void)row;
}

/* acme's registered key replaced by mallory's (the document and its signatures untouched) */
static void edit_key(json_t *row)
{
	json_object_set_new(json_object_get(row, "keys"), "acme", json_string(P[3].pub));
}

/* clinic's signature dropped: one of the two the threshold needs */
static void edit_drop_sig(json_t *row)
{
	json_array_remove(json_object_get(row, "signatures"), 1);
}

/* the document changed under its signatures (a later not-after) */
static void edit_document(json_t *row)
{
	char *d = doc(1, two, 2, "2099-01-01T00:00:00Z");

	json_object_set_new(row, "document", json_string(d));
	free(d);
}

static void test_row_edits(void **state)
{
	struct fixture f = open_fx();
	char *d1 = doc(1, two, 2, "2027-01-01T00:00:00Z");
	struct ccg_vcontract *vc = NULL;
	struct ccg_error err;

	(void)state;
	assert_int_equal(reg(&f, d1, two, 2, NOW, &err), CCG_OK);
	/* as stored: in force now, not after its not-after (decided at the caller's time, no signature again) */
	assert_int_equal(load_edited(&f, edit_none, &vc, &err), CCG_OK);
	ccg_error_clear(&err);
	assert_int_equal(ccg_vcontract_in_force(vc, NOW, &err), CCG_OK);
	expect(ccg_vcontract_in_force(vc, NOW + 86400 * 60, &err), &err, CCG_ERR_CONTRACT_NOT_IN_FORCE,
	       "contract[llm-serving].validity");
	ccg_vcontract_free(vc);
	vc = NULL;
	expect(load_edited(&f, edit_key, &vc, &err), &err, CCG_ERR_CONTRACT_NOT_IN_FORCE,
	       "contract[llm-serving].parties[acme].public-key");
	assert_null(vc);
	expect(load_edited(&f, edit_drop_sig, &vc, &err), &err, CCG_ERR_CONTRACT_NOT_IN_FORCE,
	       "contract[llm-serving].consent");
	assert_null(vc);
	expect(load_edited(&f, edit_document, &vc, &err), &err, CCG_ERR_CONTRACT_NOT_IN_FORCE,
	       "contract[llm-serving].signatures");
	assert_null(vc);
	/* a registration on a refused row is refused too (its keys would judge the new version) */
	{
		struct ccg_store_txn *t = NULL;
		uint8_t *raw = NULL;
		size_t len = 0;
		char *d2 = doc(2, two, 2, "2027-06-01T00:00:00Z"), *sigs[2] = {sign(d2, 0), sign(d2, 1)};
		json_t *row;
		char *text;

		assert_int_equal(ccg_store_begin(f.s, &t, &err), CCG_OK);
		assert_int_equal(ccg_store_get(t, CCG_VCONTRACT_TABLE, "llm-serving", &raw, &len, &err), CCG_OK);
		row = json_loadb((const char *)raw, len, 0, NULL);
		edit_key(row);
		text = json_dumps(row, JSON_COMPACT | JSON_SORT_KEYS);
		assert_int_equal(ccg_store_put(t, CCG_VCONTRACT_TABLE, "llm-serving", (const uint8_t *)text,
					       strlen(text), CCG_STORE_UPDATE, &err),
				 CCG_OK);
		ccg_error_clear(&err);
		expect(ccg_vcontract_register(t, (const uint8_t *)d2, strlen(d2), (const char *const *)sigs, 2, NOW,
					      NULL, &err),
		       &err, CCG_ERR_CONTRACT_NOT_IN_FORCE, "contract[llm-serving].parties[acme].public-key");
		ccg_store_rollback(t);
		json_decref(row);
		free(text);
		free(raw);
		free(sigs[0]);
		free(sigs[1]);
		free(d2);
	}
	free(d1);
	close_fx(&f);
}

/* a party's statement on the stored contract: the registered signer only, once */
static void test_statement_accept(void **state)
{
	struct fixture f = open_fx();
	char *d1 = doc(1, two, 2, "2027-01-01T00:00:00Z");
	static const char route[] = "POST /v1/contracts/llm-serving/suspend";
	static const uint8_t b[] = "{}";
	struct ccg_store_txn *t = NULL;
	struct ccg_vcontract *vc = NULL;
	struct ccg_statement st;
	struct ccg_error err;
	char *ok = NULL, *alice = NULL, *mallory = NULL;

	(void)state;
	assert_int_equal(reg(&f, d1, two, 2, NOW, &err), CCG_OK);
	assert_int_equal(ccg_statement_sign((const uint8_t *)P[1].priv, strlen(P[1].priv), "clinic", "llm-serving",
					    route, b, 2, NOW, NULL, &ok, &err),
			 CCG_OK);
	/* alice signs with her own key, but she is no party of the stored version */
	assert_int_equal(ccg_statement_sign((const uint8_t *)P[2].priv, strlen(P[2].priv), "alice", "llm-serving",
					    route, b, 2, NOW, NULL, &alice, &err),
			 CCG_OK);
	/* mallory signs as acme with her key */
	assert_int_equal(ccg_statement_sign((const uint8_t *)P[3].priv, strlen(P[3].priv), "acme", "llm-serving", route,
					    b, 2, NOW, NULL, &mallory, &err),
			 CCG_OK);
	assert_int_equal(ccg_store_begin(f.s, &t, &err), CCG_OK);
	assert_int_equal(ccg_vcontract_load(t, "llm-serving", &vc, &err), CCG_OK);
	ccg_error_clear(&err);
	expect(ccg_vcontract_statement_accept(t, vc, alice, route, b, 2, NOW, 300, &st, &err), &err,
	       CCG_ERR_PARTY_UNKNOWN, "party");
	ccg_error_clear(&err);
	expect(ccg_vcontract_statement_accept(t, vc, mallory, route, b, 2, NOW, 300, &st, &err), &err,
	       CCG_ERR_SIGNATURE, "statement.signature");
	ccg_error_clear(&err);
	assert_int_equal(ccg_vcontract_statement_accept(t, vc, ok, route, b, 2, NOW + 5, 300, &st, &err), CCG_OK);
	assert_string_equal(st.party, "clinic");
	expect(ccg_vcontract_statement_accept(t, vc, ok, route, b, 2, NOW + 6, 300, &st, &err), &err,
	       CCG_ERR_STATEMENT_REPLAY, "statement.jti");
	ccg_store_rollback(t);
	ccg_vcontract_free(vc);
	free(ok);
	free(alice);
	free(mallory);
	free(d1);
	close_fx(&f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_first_version),
		cmocka_unit_test(test_later_versions),
		cmocka_unit_test(test_statement_accept),
		cmocka_unit_test(test_row_edits),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
