/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The release handler's memos (verifier/release_routes.c, branch
 * releasefast), in process as the HTTP layer calls it, on a real SQLite store
 * and at injected times: what is kept is kept only under a key that covers
 * everything the result depends on, and what depends on the time is decided
 * again at every use.
 *  - a verified token is kept by its hash, but a use at or after its exp is
 *    refused (the memo never outlives the token); a token with one byte
 *    changed is another key and is verified (and refused);
 *  - a contract is kept by the hash of its stored row: the row edited after
 *    releases were served from the memo (a party's signature dropped) is
 *    loaded and checked again and refused, named, logged as a denial; the
 *    row put back is served again;
 *  - a release after the contract's not-after is refused though the
 *    contract was verified (and kept) before.
 */
#include <stdarg.h>
#include <setjmp.h>
#include <stddef.h>
#include <cmocka.h>
#include <jansson.h>
#include <jose/b64.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ccgpu/policy.h"
#include "common/hpke.h"
#include "token/ear.h"
#include "verifier/contracts.h"
#include "verifier/daemon.h"
#include "verifier/log.h"
#include "verifier/release.h"
#include "verifier/secrets.h"

#define NOW 1795305600 /* 2026-11-22T00:00:00Z */
#define TTL 600

struct fx {
	char dir[64];
	struct vd d;
	EVP_PKEY *party[2], *tee;
	char *priv[2], *pub[2], *tok, body[65536];
};

static struct fx F;

static char *pem_of(EVP_PKEY *k, int priv)
{
	BIO *b = BIO_new(BIO_s_mem());
	char *p, *t;
	long n;

	assert_non_null(b);
	assert_int_equal(priv ? PEM_write_bio_PrivateKey(b, k, NULL, NULL, 0, NULL, NULL) : PEM_write_bio_PUBKEY(b, k),
			 1);
	n = BIO_get_mem_data(b, &p);
	t = strndup(p, (size_t)n);
	BIO_free(b);
	return t;
}

/* acme owns model-key, clinic's policy wants an SEV-SNP guest; both must sign; valid until 2027-01-01 */
static char *contract_doc(void)
{
	json_t *d = json_pack(
		"{s:i,s:s,s:i,s:s,s:s,s:{s:s,s:{s:[s]}},s:[{s:s,s:s,s:s,s:s},{s:s,s:s,s:s,s:s}],"
		"s:[{s:s,s:s,s:[s,s]}]}",
		"ccgpu-contract", 1, "id", "llm", "version", 1, "not-before", "2020-01-01T00:00:00Z", "not-after",
		"2027-01-01T00:00:00Z", "workload", "name", "llm", "reference-values", "ccgpu-cpu-tee", "snp",
		"parties", "id", "acme", "role", "model-owner", "public-key", F.pub[0], "policy",
		"policy \"acme\" version 1\nrule tee \"snp\" { ccgpu-cpu-tee == \"snp\" }\n", "id", "clinic", "role",
		"data-owner", "public-key", F.pub[1], "policy",
		"policy \"clinic\" version 1\nrule tee \"snp\" { ccgpu-cpu-tee == \"snp\" }\n", "secrets", "owner",
		"acme", "name", "model-key", "requires", "acme", "clinic");
	char *t = json_dumps(d, JSON_COMPACT);

	json_decref(d);
	return t;
}

/* cpu0's claims as the daemon's composite appraisal gives them (verifier/appraise.c) */
static json_t *cpu_claims(void)
{
	return json_pack("{s:s,s:{s:s,s:i,s:s},s:{s:b}}", "ccgpu-cpu-tee", "snp", "ccgpu-composite", "binding",
			 "00112233445566778899aabbccddeeff", "version", 1, "cpu-type", "snp", "ccgpu-gpu",
			 "x-nvidia-overall-att-result", 1);
}

/* an affirming token for the TEE key, issued at NOW, valid TTL seconds */
static char *token(void)
{
	json_t *cpu = cpu_claims(), *jwk;
	struct ccg_ear_submod sub = {.name = "cpu0", .status = CCG_EAR_AFFIRMING, .claims = cpu};
	struct ccg_ear_params p = {.verifier_developer = "ccgpu",
				   .verifier_build = "test",
				   .policy_id = "test",
				   .iat = NOW,
				   .exp = NOW + TTL,
				   .submods = &sub,
				   .n_submods = 1};
	uint8_t pk[97];
	size_t n = 0;
	char *jws = NULL;
	struct ccg_error err;

	ccg_error_clear(&err);
	assert_int_equal(ccg_hpke_public_key(CCG_HPKE_P384_SHA384_AES256GCM, F.tee, pk, sizeof(pk), &n, &err), CCG_OK);
	jwk = json_pack("{s:s,s:s,s:o,s:o}", "kty", "EC", "crv", "P-384", "x", jose_b64_enc(pk + 1, 48), "y",
			jose_b64_enc(pk + 49, 48));
	p.tee_jwk = jwk;
	if (ccg_ear_issue(F.d.key, &p, &jws, NULL, &err) != CCG_OK)
		fail_msg("%s: %s", err.where, err.detail);
	json_decref(jwk);
	json_decref(cpu);
	return jws;
}

static int setup(void **state)
{
	char url[200], key[200], kek[200];
	struct ccg_error err;
	struct ccg_store_txn *t = NULL;
	struct ccg_vcontract *vc = NULL;
	char *doc, *sig[2];

	(void)state;
	snprintf(F.dir, sizeof(F.dir), "/tmp/ccgpu-test-release-XXXXXX");
	assert_non_null(mkdtemp(F.dir));
	snprintf(url, sizeof(url), "sqlite://%s/store.sqlite", F.dir);
	snprintf(key, sizeof(key), "%s/ear.pem", F.dir);
	snprintf(kek, sizeof(kek), "file:%s/kek", F.dir);
	F.d.cfg.kek = kek;
	F.d.cfg.statement_window = 300;
	ccg_error_clear(&err);
	if (ccg_store_open(url, NULL, &F.d.store, &err) != CCG_OK ||
	    ccg_store_migrate(F.d.store, NULL, &err) != CCG_OK ||
	    ccg_ear_key_load_or_create(key, &F.d.key, &err) != CCG_OK || vd_release_init(&F.d, &err) != CCG_OK)
		fail_msg("%s: %s", err.where, err.detail);
	F.d.cfg.kek = NULL;
	for (int i = 0; i < 2; i++) {
		F.party[i] = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-384");
		F.priv[i] = pem_of(F.party[i], 1);
		F.pub[i] = pem_of(F.party[i], 0);
	}
	F.tee = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-384");
	doc = contract_doc();
	{
		struct ccg_contract *c = NULL;

		if (ccg_contract_parse((const uint8_t *)doc, strlen(doc), &c, &err) != CCG_OK)
			fail_msg("contract: %s: %s", err.where, err.detail);
		assert_int_equal(ccg_contract_sign(c, "acme", (const uint8_t *)F.priv[0], strlen(F.priv[0]), &sig[0],
						   &err),
				 CCG_OK);
		assert_int_equal(ccg_contract_sign(c, "clinic", (const uint8_t *)F.priv[1], strlen(F.priv[1]), &sig[1],
						   &err),
				 CCG_OK);
		ccg_contract_free(c);
	}
	assert_int_equal(ccg_store_begin(F.d.store, &t, &err), CCG_OK);
	if (ccg_vcontract_register(t, (const uint8_t *)doc, strlen(doc), (const char *const *)sig, 2, NOW, &vc, &err) !=
	    CCG_OK)
		fail_msg("register: %s: %s", err.where, err.detail);
	assert_int_equal(ccg_secrets_put(t, F.d.kek, "llm", "model-key", vc->id, (const uint8_t *)"the model key", 13,
					 "acme", NULL, &err),
			 CCG_OK);
	assert_int_equal(ccg_store_commit(t, &err), CCG_OK);
	ccg_vcontract_free(vc);
	free(doc);
	free(sig[0]);
	free(sig[1]);
	F.tok = token();
	snprintf(F.body, sizeof(F.body), "{\"token\":\"%s\",\"contract\":\"llm\",\"secret\":\"model-key\"}", F.tok);
	return 0;
}

static int teardown(void **state)
{
	char cmd[200];

	(void)state;
	vd_release_cleanup(&F.d);
	ccg_ear_key_free(F.d.key);
	ccg_store_close(F.d.store);
	for (int i = 0; i < 2; i++) {
		EVP_PKEY_free(F.party[i]);
		free(F.priv[i]);
		free(F.pub[i]);
	}
	EVP_PKEY_free(F.tee);
	free(F.tok);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", F.dir);
	assert_int_equal(system(cmd), 0);
	return 0;
}

/* one release of body at now: the status, and the problem's type (tag suffix) and check when refused */
static int release_at(const char *body, int64_t now, char type[64], char check[128])
{
	struct vd_release_in in = {.route = VD_RR_RELEASE,
				   .method = "POST",
				   .path = "/v1/release",
				   .body = (const uint8_t *)body,
				   .len = strlen(body),
				   .max_depth = 32,
				   .now = now};
	struct vd_reply out;
	int status;

	vd_release_handle(&F.d, &in, &out);
	status = out.status;
	type[0] = check[0] = '\0';
	if (out.problem) {
		const char *t = json_string_value(json_object_get(out.body, "type"));
		const char *c = json_string_value(json_object_get(out.body, "check"));

		snprintf(type, 64, "%s", t != NULL && strrchr(t, ':') != NULL ? strrchr(t, ':') + 1 : "");
		snprintf(check, 128, "%s", c != NULL ? c : "");
		print_message("# %d %s: %s\n", out.status, type,
			      json_string_value(json_object_get(out.body, "detail")) != NULL
				      ? json_string_value(json_object_get(out.body, "detail"))
				      : "");
	}
	json_decref(out.body);
	return status;
}

static uint64_t log_size(void)
{
	struct ccg_store_txn *t = NULL;
	struct ccg_error err;
	uint64_t n = 0;

	assert_int_equal(ccg_store_begin(F.d.store, &t, &err), CCG_OK);
	assert_int_equal(ccg_log_size(t, &n, &err), CCG_OK);
	ccg_store_rollback(t);
	return n;
}

static void test_token_memo(void **state)
{
	char type[64], check[128], *bad;

	(void)state;
	/* verified once, then served from the memo: within its life */
	assert_int_equal(release_at(F.body, NOW + 1, type, check), 200);
	assert_int_equal(release_at(F.body, NOW + TTL - 1, type, check), 200);
	/* at exp the kept token is refused: the memo never outlives it */
	assert_int_equal(release_at(F.body, NOW + TTL, type, check), 401);
	assert_string_equal(type, "token-invalid");
	assert_string_equal(check, "exp");
	/* before its iat too */
	assert_int_equal(release_at(F.body, NOW - 1, type, check), 401);
	assert_string_equal(check, "iat");
	/* one byte of the signature changed: another key, verified, refused */
	bad = strdup(F.body);
	{
		char *sig = strrchr(bad, '.') + 10;

		*sig = *sig == 'A' ? 'B' : 'A';
	}
	assert_int_equal(release_at(bad, NOW + 2, type, check), 401);
	assert_string_equal(type, "token-invalid");
	free(bad);
	assert_int_equal(release_at(F.body, NOW + 3, type, check), 200);
}

/* the stored contract row rewritten with one party's signature dropped (the operator, in the database) */
static void row_set(const char *text)
{
	struct ccg_store_txn *t = NULL;
	struct ccg_error err;

	assert_int_equal(ccg_store_begin(F.d.store, &t, &err), CCG_OK);
	assert_int_equal(ccg_store_put(t, CCG_VCONTRACT_TABLE, "llm", (const uint8_t *)text, strlen(text),
				       CCG_STORE_UPDATE, &err),
			 CCG_OK);
	assert_int_equal(ccg_store_commit(t, &err), CCG_OK);
}

static void test_contract_memo(void **state)
{
	struct ccg_store_txn *t = NULL;
	struct ccg_error err;
	uint8_t *row = NULL;
	size_t len = 0;
	json_t *j;
	char type[64], check[128], *edited, *orig;
	uint64_t n;

	(void)state;
	/* the contract verified and kept */
	assert_int_equal(release_at(F.body, NOW + 5, type, check), 200);
	assert_int_equal(ccg_store_begin(F.d.store, &t, &err), CCG_OK);
	assert_int_equal(ccg_store_get(t, CCG_VCONTRACT_TABLE, "llm", &row, &len, &err), CCG_OK);
	ccg_store_rollback(t);
	orig = strndup((const char *)row, len);
	j = json_loads(orig, 0, NULL);
	assert_non_null(j);
	json_array_remove(json_object_get(j, "signatures"), 1);
	edited = json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(j);
	/* edited after it was kept: another hash, checked again, refused, named and logged */
	row_set(edited);
	n = log_size();
	assert_int_equal(release_at(F.body, NOW + 6, type, check), 403);
	assert_string_equal(type, "contract-not-in-force");
	assert_string_equal(check, "contract[llm].consent");
	assert_int_equal(log_size(), n + 1);
	/* put back: served again */
	row_set(orig);
	assert_int_equal(release_at(F.body, NOW + 7, type, check), 200);
	free(edited);
	free(orig);
	free(row);
}

static void test_validity_at_use(void **state)
{
	char type[64], check[128], *late, *b;

	(void)state;
	/* the contract kept from earlier releases; a token issued near its not-after, used after it */
	assert_int_equal(release_at(F.body, NOW + 8, type, check), 200);
	{
		json_t *cpu = cpu_claims(), *jwk;
		struct ccg_ear_submod sub = {.name = "cpu0", .status = CCG_EAR_AFFIRMING, .claims = cpu};
		struct ccg_ear_params p = {.verifier_developer = "ccgpu",
					   .verifier_build = "test",
					   .policy_id = "test",
					   .iat = 1798761600 - 10, /* 2027-01-01T00:00:00Z - 10 s */
					   .exp = 1798761600 + 600,
					   .submods = &sub,
					   .n_submods = 1};
		uint8_t pk[97];
		size_t n = 0;
		struct ccg_error err;

		assert_int_equal(ccg_hpke_public_key(CCG_HPKE_P384_SHA384_AES256GCM, F.tee, pk, sizeof(pk), &n, NULL),
				 CCG_OK);
		jwk = json_pack("{s:s,s:s,s:o,s:o}", "kty", "EC", "crv", "P-384", "x", jose_b64_enc(pk + 1, 48), "y",
				jose_b64_enc(pk + 49, 48));
		p.tee_jwk = jwk;
		ccg_error_clear(&err);
		assert_int_equal(ccg_ear_issue(F.d.key, &p, &late, NULL, &err), CCG_OK);
		json_decref(jwk);
		json_decref(cpu);
	}
	assert_true(asprintf(&b, "{\"token\":\"%s\",\"contract\":\"llm\",\"secret\":\"model-key\"}", late) > 0);
	assert_int_equal(release_at(b, 1798761600 - 5, type, check), 200);
	assert_int_equal(release_at(b, 1798761600 + 5, type, check), 403);
	assert_string_equal(type, "denied");
	free(b);
	free(late);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_token_memo),
		cmocka_unit_test(test_contract_memo),
		cmocka_unit_test(test_validity_at_use),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
