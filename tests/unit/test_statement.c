/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Signed party statements (verifier/statement.h): ES384 and EdDSA statements
 * made and accepted; each refusal seen on its own — wrong key, a key of the
 * other type, a payload party that is not the signer, another route,
 * contract or body, an iat outside the window on either side, a replayed
 * jti (and its purge after the window), members added to the header or the
 * payload; every byte flipped and every truncation refused.
 */
#include <stdarg.h>
#include <setjmp.h>
#include <stddef.h>
#include <cmocka.h>
#include <jansson.h>
#include <jose/jose.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "verifier/statement.h"
#include "verifier/store.h"
#include "testdata.h"

#define NOW 1795305600 /* 2026-11-22T00:00:00Z */
#define WINDOW 300
#define ROUTE "POST /v1/contracts/llm-serving/secrets/model-key/suspend"
#define CONTRACT "llm-serving"

static const uint8_t body[] = "{\"reason\":\"audit\"}";

struct keypair {
	char *priv, *pub;
};

static void make_key(const char *type, struct keypair *kp)
{
	EVP_PKEY *k = strcmp(type, "EC") == 0 ? EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-384")
					      : EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
	BIO *a = BIO_new(BIO_s_mem()), *b = BIO_new(BIO_s_mem());
	char *p;
	long n;

	assert_non_null(k);
	assert_int_equal(PEM_write_bio_PrivateKey(a, k, NULL, NULL, 0, NULL, NULL), 1);
	assert_int_equal(PEM_write_bio_PUBKEY(b, k), 1);
	n = BIO_get_mem_data(a, &p);
	kp->priv = strndup(p, (size_t)n);
	n = BIO_get_mem_data(b, &p);
	kp->pub = strndup(p, (size_t)n);
	BIO_free(a);
	BIO_free(b);
	EVP_PKEY_free(k);
}

static struct keypair ec1, ec2, ed1, ed2;

static int setup(void **state)
{
	(void)state;
	make_key("EC", &ec1);
	make_key("EC", &ec2);
	make_key("ED25519", &ed1);
	make_key("ED25519", &ed2);
	return 0;
}

static int teardown(void **state)
{
	struct keypair *all[] = {&ec1, &ec2, &ed1, &ed2};

	(void)state;
	for (size_t i = 0; i < 4; i++) {
		free(all[i]->priv);
		free(all[i]->pub);
	}
	return 0;
}

static char *sign(const struct keypair *kp, const char *party, const char *route, const char *contract,
		  const uint8_t *b, size_t bl, int64_t iat, const char *jti)
{
	struct ccg_error err;
	char *out = NULL;

	ccg_error_clear(&err);
	if (ccg_statement_sign((const uint8_t *)kp->priv, strlen(kp->priv), party, contract, route, b, bl, iat, jti,
			       &out, &err) != CCG_OK)
		fail_msg("sign: %s: %s", err.where, err.detail);
	return out;
}

static enum ccg_status verify(const char *text, const struct keypair *kp, struct ccg_statement *st,
			      struct ccg_error *err)
{
	ccg_error_clear(err);
	return ccg_statement_verify(text, (const uint8_t *)kp->pub, strlen(kp->pub), st, err);
}

static void accepted(const struct keypair *kp, const char *alg)
{
	char *t = sign(kp, "acme", ROUTE, CONTRACT, body, sizeof(body) - 1, NOW, NULL);
	struct ccg_statement st;
	struct ccg_error err;
	char party[CCG_STATEMENT_MAX_ID + 1];

	assert_int_equal(ccg_statement_party(t, party, &err), CCG_OK);
	assert_string_equal(party, "acme");
	assert_int_equal(verify(t, kp, &st, &err), CCG_OK);
	assert_string_equal(st.alg, alg);
	assert_string_equal(st.party, "acme");
	assert_string_equal(st.contract, CONTRACT);
	assert_string_equal(st.route, ROUTE);
	assert_int_equal(st.iat, NOW);
	assert_true(strlen(st.jti) >= CCG_STATEMENT_MIN_JTI);
	assert_int_equal(ccg_statement_check(&st, ROUTE, CONTRACT, body, sizeof(body) - 1, NOW + 10, WINDOW, &err),
			 CCG_OK);
	free(t);
}

static void test_es384_accepted(void **state)
{
	(void)state;
	accepted(&ec1, "ES384");
}

static void test_eddsa_accepted(void **state)
{
	(void)state;
	accepted(&ed1, "EdDSA");
}

static void expect(enum ccg_status got, const struct ccg_error *err, enum ccg_status want, const char *where)
{
	if (got != want || strcmp(err->where, where) != 0)
		fail_msg("got %s at \"%s\" (%s), want %s at \"%s\"", ccg_status_name(got), err->where, err->detail,
			 ccg_status_name(want), where);
}

static void test_wrong_key(void **state)
{
	struct ccg_statement st;
	struct ccg_error err;
	char *t;

	(void)state;
	/* signed by a key of the same type that is not the registered one */
	t = sign(&ec2, "acme", ROUTE, CONTRACT, body, sizeof(body) - 1, NOW, NULL);
	expect(verify(t, &ec1, &st, &err), &err, CCG_ERR_SIGNATURE, "statement.signature");
	free(t);
	t = sign(&ed2, "acme", ROUTE, CONTRACT, body, sizeof(body) - 1, NOW, NULL);
	expect(verify(t, &ed1, &st, &err), &err, CCG_ERR_SIGNATURE, "statement.signature");
	free(t);
	/* a key of the other type: the alg must be the registered key's */
	t = sign(&ed1, "acme", ROUTE, CONTRACT, body, sizeof(body) - 1, NOW, NULL);
	expect(verify(t, &ec1, &st, &err), &err, CCG_ERR_SIGNATURE, "statement.header.alg");
	free(t);
	t = sign(&ec1, "acme", ROUTE, CONTRACT, body, sizeof(body) - 1, NOW, NULL);
	expect(verify(t, &ed1, &st, &err), &err, CCG_ERR_SIGNATURE, "statement.header.alg");
	free(t);
}

/* a hand-made EdDSA statement with any header and payload, signed by kp (Ed25519) */
static char *forge(const struct keypair *kp, const char *header, const char *payload)
{
	BIO *bio = BIO_new_mem_buf(kp->priv, -1);
	EVP_PKEY *k = PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL);
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	json_t *h = jose_b64_enc(header, strlen(header)), *p = jose_b64_enc(payload, strlen(payload)), *s;
	char *input = NULL, *out = NULL;
	uint8_t sig[64];
	size_t sl = sizeof(sig);

	assert_true(asprintf(&input, "%s.%s", json_string_value(h), json_string_value(p)) > 0);
	assert_int_equal(EVP_DigestSignInit(md, NULL, NULL, NULL, k), 1);
	assert_int_equal(EVP_DigestSign(md, sig, &sl, (const uint8_t *)input, strlen(input)), 1);
	s = jose_b64_enc(sig, sl);
	assert_true(asprintf(&out, "%s.%s", input, json_string_value(s)) > 0);
	json_decref(h);
	json_decref(p);
	json_decref(s);
	free(input);
	EVP_MD_CTX_free(md);
	EVP_PKEY_free(k);
	BIO_free(bio);
	return out;
}

static void test_payload_shape(void **state)
{
	char hash[97];
	char payload[1024];
	struct ccg_statement st;
	struct ccg_error err;
	char *t;

	(void)state;
	memset(hash, 'a', 96);
	hash[96] = '\0';
	/* the forged baseline is accepted: only the changed member makes each refusal */
	snprintf(payload, sizeof(payload),
		 "{\"ccgpu-statement\":1,\"party\":\"acme\",\"contract\":\"c\",\"route\":\"r\",\"iat\":1,"
		 "\"jti\":\"0123456789abcdef\",\"body-sha384\":\"%s\"}",
		 hash);
	t = forge(&ed1, "{\"alg\":\"EdDSA\",\"kid\":\"acme\"}", payload);
	assert_int_equal(verify(t, &ed1, &st, &err), CCG_OK);
	free(t);
	/* the payload names another party than the signer (kid) */
	snprintf(payload, sizeof(payload),
		 "{\"ccgpu-statement\":1,\"party\":\"clinic\",\"contract\":\"c\",\"route\":\"r\",\"iat\":1,"
		 "\"jti\":\"0123456789abcdef\",\"body-sha384\":\"%s\"}",
		 hash);
	t = forge(&ed1, "{\"alg\":\"EdDSA\",\"kid\":\"acme\"}", payload);
	expect(verify(t, &ed1, &st, &err), &err, CCG_ERR_STATEMENT_SCOPE, "statement.party");
	free(t);
	/* a member that is not allowed */
	snprintf(payload, sizeof(payload),
		 "{\"ccgpu-statement\":1,\"party\":\"acme\",\"contract\":\"c\",\"route\":\"r\",\"iat\":1,"
		 "\"jti\":\"0123456789abcdef\",\"body-sha384\":\"%s\",\"admin\":true}",
		 hash);
	t = forge(&ed1, "{\"alg\":\"EdDSA\",\"kid\":\"acme\"}", payload);
	expect(verify(t, &ed1, &st, &err), &err, CCG_ERR_MALFORMED, "statement.payload");
	free(t);
	/* a jti too short to be unique */
	snprintf(payload, sizeof(payload),
		 "{\"ccgpu-statement\":1,\"party\":\"acme\",\"contract\":\"c\",\"route\":\"r\",\"iat\":1,"
		 "\"jti\":\"short\",\"body-sha384\":\"%s\"}",
		 hash);
	t = forge(&ed1, "{\"alg\":\"EdDSA\",\"kid\":\"acme\"}", payload);
	expect(verify(t, &ed1, &st, &err), &err, CCG_ERR_MALFORMED, "statement.jti");
	free(t);
	/* another version */
	snprintf(payload, sizeof(payload),
		 "{\"ccgpu-statement\":2,\"party\":\"acme\",\"contract\":\"c\",\"route\":\"r\",\"iat\":1,"
		 "\"jti\":\"0123456789abcdef\",\"body-sha384\":\"%s\"}",
		 hash);
	t = forge(&ed1, "{\"alg\":\"EdDSA\",\"kid\":\"acme\"}", payload);
	expect(verify(t, &ed1, &st, &err), &err, CCG_ERR_MALFORMED, "statement.ccgpu-statement");
	free(t);
	/* an iat that is not an integer */
	snprintf(payload, sizeof(payload),
		 "{\"ccgpu-statement\":1,\"party\":\"acme\",\"contract\":\"c\",\"route\":\"r\",\"iat\":\"1\","
		 "\"jti\":\"0123456789abcdef\",\"body-sha384\":\"%s\"}",
		 hash);
	t = forge(&ed1, "{\"alg\":\"EdDSA\",\"kid\":\"acme\"}", payload);
	expect(verify(t, &ed1, &st, &err), &err, CCG_ERR_MALFORMED, "statement.iat");
	free(t);
	/* the header may hold nothing but alg and kid (no jwk, no crit) */
	snprintf(payload, sizeof(payload),
		 "{\"ccgpu-statement\":1,\"party\":\"acme\",\"contract\":\"c\",\"route\":\"r\",\"iat\":1,"
		 "\"jti\":\"0123456789abcdef\",\"body-sha384\":\"%s\"}",
		 hash);
	t = forge(&ed1, "{\"alg\":\"EdDSA\",\"kid\":\"acme\",\"crit\":[\"x\"]}", payload);
	expect(verify(t, &ed1, &st, &err), &err, CCG_ERR_UNSUPPORTED, "statement.header");
	free(t);
	t = forge(&ed1, "{\"alg\":\"none\",\"kid\":\"acme\"}", payload);
	expect(verify(t, &ed1, &st, &err), &err, CCG_ERR_UNSUPPORTED, "statement.header.alg");
	free(t);
}

static void test_scope_and_window(void **state)
{
	char *t = sign(&ec1, "acme", ROUTE, CONTRACT, body, sizeof(body) - 1, NOW, NULL);
	struct ccg_statement st;
	struct ccg_error err;

	(void)state;
	assert_int_equal(verify(t, &ec1, &st, &err), CCG_OK);
	expect(ccg_statement_check(&st, "POST /v1/contracts/llm-serving/secrets/model-key/resume", CONTRACT, body,
				   sizeof(body) - 1, NOW, WINDOW, &err),
	       &err, CCG_ERR_STATEMENT_SCOPE, "statement.route");
	ccg_error_clear(&err);
	expect(ccg_statement_check(&st, ROUTE, "other", body, sizeof(body) - 1, NOW, WINDOW, &err), &err,
	       CCG_ERR_STATEMENT_SCOPE, "statement.contract");
	ccg_error_clear(&err);
	expect(ccg_statement_check(&st, ROUTE, CONTRACT, body, sizeof(body) - 2, NOW, WINDOW, &err), &err,
	       CCG_ERR_STATEMENT_SCOPE, "statement.body-sha384");
	/* the window's edges are inside, one second beyond is not */
	ccg_error_clear(&err);
	assert_int_equal(ccg_statement_check(&st, ROUTE, CONTRACT, body, sizeof(body) - 1, NOW + WINDOW, WINDOW, &err),
			 CCG_OK);
	assert_int_equal(ccg_statement_check(&st, ROUTE, CONTRACT, body, sizeof(body) - 1, NOW - WINDOW, WINDOW, &err),
			 CCG_OK);
	expect(ccg_statement_check(&st, ROUTE, CONTRACT, body, sizeof(body) - 1, NOW + WINDOW + 1, WINDOW, &err), &err,
	       CCG_ERR_STATEMENT_STALE, "statement.iat");
	ccg_error_clear(&err);
	expect(ccg_statement_check(&st, ROUTE, CONTRACT, body, sizeof(body) - 1, NOW - WINDOW - 1, WINDOW, &err), &err,
	       CCG_ERR_STATEMENT_STALE, "statement.iat");
	free(t);
}

static struct ccg_store *open_store(char **dir)
{
	char url[512];
	struct ccg_store *s = NULL;
	struct ccg_error err;

	*dir = td_tmpdir();
	snprintf(url, sizeof(url), "sqlite://%s/db.sqlite", *dir);
	assert_int_equal(ccg_store_open(url, NULL, &s, &err), CCG_OK);
	assert_int_equal(ccg_store_migrate(s, NULL, &err), CCG_OK);
	return s;
}

static enum ccg_status use(struct ccg_store *s, const struct ccg_statement *st, int64_t now, struct ccg_error *err)
{
	struct ccg_store_txn *t = NULL;
	enum ccg_status r;

	ccg_error_clear(err);
	assert_int_equal(ccg_store_begin(s, &t, err), CCG_OK);
	r = ccg_statement_jti_use(t, st, now, WINDOW, err);
	if (r == CCG_OK)
		assert_int_equal(ccg_store_commit(t, err), CCG_OK);
	else
		ccg_store_rollback(t);
	return r;
}

static bool count_key(void *ctx, const char *key)
{
	(void)key;
	(*(size_t *)ctx)++;
	return true;
}

static size_t rows(struct ccg_store *s)
{
	struct ccg_store_txn *t = NULL;
	struct ccg_error err;
	size_t n = 0;

	assert_int_equal(ccg_store_begin(s, &t, &err), CCG_OK);
	assert_int_equal(ccg_store_list(t, CCG_STATEMENT_JTI_TABLE, "", 0, count_key, &n, &err), CCG_OK);
	ccg_store_rollback(t);
	return n;
}

static void test_replay(void **state)
{
	char *dir = NULL;
	struct ccg_store *s = open_store(&dir);
	char *t1 = sign(&ec1, "acme", ROUTE, CONTRACT, body, sizeof(body) - 1, NOW, "jti-0000000000000001");
	char *t2 = sign(&ed1, "clinic", ROUTE, CONTRACT, body, sizeof(body) - 1, NOW, "jti-0000000000000001");
	struct ccg_statement a, b;
	struct ccg_error err;

	(void)state;
	assert_int_equal(verify(t1, &ec1, &a, &err), CCG_OK);
	assert_int_equal(verify(t2, &ed1, &b, &err), CCG_OK);
	assert_int_equal(use(s, &a, NOW, &err), CCG_OK);
	/* the same statement again, even a second later and on a fresh transaction */
	expect(use(s, &a, NOW + 1, &err), &err, CCG_ERR_STATEMENT_REPLAY, "statement.jti");
	/* the same jti from another party is another statement */
	assert_int_equal(use(s, &b, NOW + 1, &err), CCG_OK);
	assert_int_equal(rows(s), 2);
	/* past the window the rows go (the statements are stale by then anyway) */
	{
		char *t3 = sign(&ec1, "acme", ROUTE, CONTRACT, body, sizeof(body) - 1, NOW + WINDOW + 1, NULL);
		struct ccg_statement c;

		assert_int_equal(verify(t3, &ec1, &c, &err), CCG_OK);
		assert_int_equal(use(s, &c, NOW + WINDOW, &err), CCG_OK);
		assert_int_equal(rows(s), 1);
		free(t3);
	}
	free(t1);
	free(t2);
	ccg_store_close(s);
	td_rm_rf(dir);
	free(dir);
}

/* every byte flipped and every truncation: never accepted */
static void mutations(const struct keypair *kp)
{
	char *t = sign(kp, "acme", ROUTE, CONTRACT, body, sizeof(body) - 1, NOW, NULL);
	size_t n = strlen(t);
	struct ccg_statement st;
	struct ccg_error err;

	for (size_t i = 0; i < n; i++) {
		char *m = strdup(t);

		m[i] ^= 0x01;
		if (verify(m, kp, &st, &err) == CCG_OK) {
			/* base64url's last character may carry unused bits: the decoded bytes must then be the same */
			assert_true(i == n - 1 || m[i + 1] == '.');
		}
		free(m);
	}
	for (size_t i = 0; i < n; i++) {
		char *m = strndup(t, i);

		assert_int_not_equal(verify(m, kp, &st, &err), CCG_OK);
		free(m);
	}
	free(t);
}

static void test_mutations(void **state)
{
	(void)state;
	mutations(&ec1);
	mutations(&ed1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_es384_accepted),   cmocka_unit_test(test_eddsa_accepted),
		cmocka_unit_test(test_wrong_key),        cmocka_unit_test(test_payload_shape),
		cmocka_unit_test(test_scope_and_window), cmocka_unit_test(test_replay),
		cmocka_unit_test(test_mutations),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
