/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Contracts: a three-party contract (two ECDSA P-384 parties, one Ed25519)
 * is in force only with all three signatures over the same canonical bytes;
 * every flipped byte of the canonical form and of each signature, and every
 * truncation of a signature, breaks it; a threshold holds at exactly its
 * threshold; release needs every required party's policy.
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
#include <time.h>

#include "ccgpu/policy.h"
#include "common/encoding.h"

#define NOW 1795305600 /* 2026-11-22T00:00:00Z */

struct party {
	const char *id, *role, *type;
	char *pub, *priv;
};

static struct party parties[3] = {
	{"acme-models", "model-owner", "P-384", NULL, NULL},
	{"clinic", "data-owner", "ED25519", NULL, NULL},
	{"alice", "client", "P-384", NULL, NULL},
};

static char *bio_text(BIO *b)
{
	char *p = NULL, *out;
	long n = BIO_get_mem_data(b, &p);

	out = malloc((size_t)n + 1);
	assert_non_null(out);
	memcpy(out, p, (size_t)n);
	out[n] = '\0';
	return out;
}

static int setup(void **state)
{
	(void)state;
	for (size_t i = 0; i < 3; i++) {
		EVP_PKEY *k = strcmp(parties[i].type, "P-384") == 0 ? EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-384")
								   : EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
		BIO *a = BIO_new(BIO_s_mem()), *b = BIO_new(BIO_s_mem());

		if (k == NULL || a == NULL || b == NULL || PEM_write_bio_PUBKEY(a, k) != 1 ||
		    PEM_write_bio_PrivateKey(b, k, NULL, NULL, 0, NULL, NULL) != 1)
			return -1;
		parties[i].pub = bio_text(a);
		parties[i].priv = bio_text(b);
		BIO_free(a);
		BIO_free(b);
		EVP_PKEY_free(k);
	}
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	for (size_t i = 0; i < 3; i++) {
		free(parties[i].pub);
		free(parties[i].priv);
	}
	return 0;
}

static const char *const policies[3] = {
	"policy \"models\" version 1\nrule gpus \"every GPU measured\" { every gpu (measres == \"success\") }\n",
	"policy \"clinic\" version 1\nrule driver \"driver at least 550.54.15\" { every gpu (x-nvidia-gpu-driver-version >= \"550.54.15\") }\n",
	"policy \"alice\" version 1\nrule overall \"attestation passed\" { x-nvidia-overall-att-result }\n",
};

/* the contract document; threshold 0: none stated */
static char *contract_json(int version, int threshold)
{
	json_t *ps = json_array(), *doc;
	char *text;

	for (size_t i = 0; i < 3; i++)
		json_array_append_new(ps, json_pack("{s:s,s:s,s:s,s:s}", "id", parties[i].id, "role", parties[i].role,
						    "public-key", parties[i].pub, "policy", policies[i]));
	doc = json_pack("{s:i,s:s,s:i,s:s,s:s,s:{s:s,s:{s:[s]}},s:o,s:[{s:s,s:s,s:[s,s]},{s:s,s:s,s:[s]}]}",
			"ccgpu-contract", 1, "id", "llm-serving", "version", version, "not-before",
			"2026-01-01T00:00:00Z", "not-after", "2027-01-01T00:00:00Z", "workload", "name", "llama-70b",
			"reference-values", "x-nvidia-gpu-vbios-version", "96.00.9F.00.01", "parties", ps, "secrets",
			"owner", "acme-models", "name", "model-key", "requires", "acme-models", "clinic", "owner", "alice",
			"name", "prompt-key", "requires", "alice");
	assert_non_null(doc);
	if (threshold > 0)
		json_object_set_new(doc, "threshold", json_integer(threshold));
	text = json_dumps(doc, JSON_INDENT(2));
	json_decref(doc);
	return text;
}

static struct ccg_contract *parse(const char *text)
{
	struct ccg_contract *c = NULL;
	struct ccg_error err;

	ccg_error_clear(&err);
	if (ccg_contract_parse((const uint8_t *)text, strlen(text), &c, &err) != CCG_OK)
		fail_msg("%s: %s", err.where, err.detail);
	return c;
}

static char *sign(const struct ccg_contract *c, size_t i)
{
	char *sig = NULL;
	struct ccg_error err;

	ccg_error_clear(&err);
	if (ccg_contract_sign(c, parties[i].id, (const uint8_t *)parties[i].priv, strlen(parties[i].priv), &sig, &err) !=
	    CCG_OK)
		fail_msg("%s: %s", err.where, err.detail);
	return sig;
}

static enum ccg_status add(struct ccg_contract *c, const char *sig)
{
	return ccg_contract_add_signature(c, (const uint8_t *)sig, strlen(sig), NULL);
}

static void test_three_parties(void **state)
{
	char *text = contract_json(1, 0), *sigs[3];
	struct ccg_contract *c = parse(text), *c2;
	struct ccg_error err;

	(void)state;
	for (size_t i = 0; i < 3; i++)
		sigs[i] = sign(c, i);
	/* each missing signature leaves the contract not in force, naming the party */
	for (size_t skip = 0; skip < 3; skip++) {
		c2 = parse(text);
		for (size_t i = 0; i < 3; i++)
			if (i != skip)
				assert_int_equal(add(c2, sigs[i]), CCG_OK);
		ccg_error_clear(&err);
		assert_int_equal(ccg_contract_in_force(c2, NOW, &err), CCG_ERR_SIGNATURE);
		assert_non_null(strstr(err.detail, parties[skip].id));
		ccg_contract_free(c2);
	}
	for (size_t i = 0; i < 3; i++)
		assert_int_equal(add(c, sigs[i]), CCG_OK);
	assert_int_equal(ccg_contract_in_force(c, NOW, NULL), CCG_OK);
	/* outside the validity period */
	assert_int_equal(ccg_contract_in_force(c, NOW + 86400 * 60, NULL), CCG_ERR_CERT_EXPIRED);
	/* a signature of one version does not count for another */
	{
		char *t2 = contract_json(2, 0);

		c2 = parse(t2);
		assert_string_not_equal(ccg_contract_id(c), ccg_contract_id(c2));
		assert_int_equal(add(c2, sigs[0]), CCG_ERR_MALFORMED);
		ccg_contract_free(c2);
		free(t2);
	}
	/* one party's signature under another party's name */
	{
		json_t *d = json_loads(sigs[0], 0, NULL);
		char *swapped;

		json_object_set_new(d, "party", json_string(parties[2].id));
		swapped = json_dumps(d, 0);
		c2 = parse(text);
		assert_int_equal(add(c2, swapped), CCG_ERR_SIGNATURE);
		ccg_contract_free(c2);
		free(swapped);
		json_decref(d);
	}
	/* a key that is not the party's cannot sign for it */
	{
		char *sig = NULL;

		assert_int_equal(ccg_contract_sign(c, parties[0].id, (const uint8_t *)parties[2].priv,
						   strlen(parties[2].priv), &sig, NULL),
				 CCG_ERR_INVALID_ARG);
		assert_null(sig);
	}
	for (size_t i = 0; i < 3; i++)
		free(sigs[i]);
	ccg_contract_free(c);
	free(text);
}

/* every byte of the canonical form flipped: no signature holds for the result */
static void test_canonical_flips(void **state)
{
	char *text = contract_json(1, 0), *sigs[3];
	struct ccg_contract *c = parse(text);
	size_t len;
	const uint8_t *canon = ccg_contract_canonical(c, &len);
	uint8_t *m = malloc(len);
	size_t parsed = 0;

	(void)state;
	for (size_t i = 0; i < 3; i++)
		sigs[i] = sign(c, i);
	/* the canonical form is itself a contract with the same id */
	{
		struct ccg_contract *same = NULL;

		assert_int_equal(ccg_contract_parse(canon, len, &same, NULL), CCG_OK);
		assert_string_equal(ccg_contract_id(same), ccg_contract_id(c));
		for (size_t i = 0; i < 3; i++)
			assert_int_equal(add(same, sigs[i]), CCG_OK);
		assert_int_equal(ccg_contract_in_force(same, NOW, NULL), CCG_OK);
		ccg_contract_free(same);
	}
	for (size_t i = 0; i < len; i++) {
		struct ccg_contract *f = NULL;

		memcpy(m, canon, len);
		m[i] ^= 0x01;
		if (ccg_contract_parse(m, len, &f, NULL) != CCG_OK)
			continue;
		parsed++;
		for (size_t k = 0; k < 3; k++)
			assert_int_not_equal(add(f, sigs[k]), CCG_OK);
		assert_int_not_equal(ccg_contract_in_force(f, NOW, NULL), CCG_OK);
		ccg_contract_free(f);
	}
	assert_true(parsed > 0); /* some flips give another valid contract, which no signature covers */
	for (size_t i = 0; i < 3; i++)
		free(sigs[i]);
	free(m);
	ccg_contract_free(c);
	free(text);
}

static char *with_raw(const char *sigdoc, const uint8_t *raw, size_t n)
{
	json_t *d = json_loads(sigdoc, 0, NULL);
	char *b64 = ccg_base64_encode_alloc(raw, n), *out;

	json_object_set_new(d, "signature", json_string(b64));
	out = json_dumps(d, 0);
	free(b64);
	json_decref(d);
	return out;
}

/* every byte of each signature flipped, each truncation: refused */
static void test_signature_flips(void **state)
{
	char *text = contract_json(1, 0);
	struct ccg_contract *c = parse(text);

	(void)state;
	for (size_t p = 0; p < 3; p++) {
		char *sig = sign(c, p);
		json_t *d = json_loads(sig, 0, NULL);
		const char *b64 = json_string_value(json_object_get(d, "signature"));
		uint8_t *raw = NULL, *m;
		size_t n = 0;

		assert_int_equal(ccg_base64_decode(b64, strlen(b64), 512, &raw, &n), CCG_OK);
		m = malloc(n);
		for (size_t i = 0; i < n; i++) {
			char *doc;

			memcpy(m, raw, n);
			m[i] ^= 0x01;
			doc = with_raw(sig, m, n);
			assert_int_equal(add(c, doc), CCG_ERR_SIGNATURE);
			free(doc);
		}
		for (size_t l = 0; l < n; l++) {
			char *doc = with_raw(sig, raw, l);

			assert_int_equal(add(c, doc), CCG_ERR_SIGNATURE);
			free(doc);
		}
		assert_int_not_equal(ccg_contract_in_force(c, NOW, NULL), CCG_OK);
		free(m);
		free(raw);
		json_decref(d);
		free(sig);
	}
	ccg_contract_free(c);
	free(text);
}

static void test_threshold(void **state)
{
	char *text = contract_json(1, 2), *sigs[3];
	struct ccg_contract *c = parse(text), *c2;

	(void)state;
	for (size_t i = 0; i < 3; i++)
		sigs[i] = sign(c, i);
	assert_int_equal(ccg_contract_in_force(c, NOW, NULL), CCG_ERR_SIGNATURE);
	assert_int_equal(add(c, sigs[1]), CCG_OK);
	assert_int_equal(ccg_contract_in_force(c, NOW, NULL), CCG_ERR_SIGNATURE);
	/* the same party twice is still one */
	assert_int_equal(add(c, sigs[1]), CCG_OK);
	assert_int_equal(ccg_contract_in_force(c, NOW, NULL), CCG_ERR_SIGNATURE);
	assert_int_equal(add(c, sigs[2]), CCG_OK);
	assert_int_equal(ccg_contract_in_force(c, NOW, NULL), CCG_OK);
	/* threshold 4 of 3 parties is refused */
	{
		char *bad = contract_json(1, 4);
		struct ccg_contract *b = NULL;

		assert_int_equal(ccg_contract_parse((const uint8_t *)bad, strlen(bad), &b, NULL), CCG_ERR_MALFORMED);
		free(bad);
	}
	/* release: model-key needs acme-models' and clinic's policies */
	{
		const char *good = "{\"x-nvidia-overall-att-result\":true,\"submods\":{\"GPU-0\":{\"measres\":\"success\","
				   "\"x-nvidia-gpu-driver-version\":\"550.90.07\",\"x-nvidia-gpu-vbios-version\":\"96.00.9F.00.01\"}}}";
		const char *old = "{\"x-nvidia-overall-att-result\":true,\"submods\":{\"GPU-0\":{\"measres\":\"success\","
				  "\"x-nvidia-gpu-driver-version\":\"535.1.1\",\"x-nvidia-gpu-vbios-version\":\"96.00.9F.00.01\"}}}";
		struct ccg_claims *cl = NULL;
		struct ccg_error err;

		assert_int_equal(ccg_claims_from_json(good, strlen(good), &cl, NULL), CCG_OK);
		assert_int_equal(ccg_contract_release(c, "model-key", cl, NOW, NULL), CCG_OK);
		assert_int_equal(ccg_contract_release(c, "nothing", cl, NOW, NULL), CCG_ERR_NOT_FOUND);
		ccg_claims_free(cl);
		assert_int_equal(ccg_claims_from_json(old, strlen(old), &cl, NULL), CCG_OK);
		ccg_error_clear(&err);
		assert_int_equal(ccg_contract_release(c, "model-key", cl, NOW, &err), CCG_ERR_POLICY);
		assert_string_equal(err.where, "clinic/driver");
		assert_int_equal(ccg_contract_release(c, "prompt-key", cl, NOW, NULL), CCG_OK);
		ccg_claims_free(cl);
	}
	/* not in force: nothing is released */
	c2 = parse(text);
	{
		const char *good = "{\"x-nvidia-overall-att-result\":true}";
		struct ccg_claims *cl = NULL;

		assert_int_equal(ccg_claims_from_json(good, strlen(good), &cl, NULL), CCG_OK);
		assert_int_equal(ccg_contract_release(c2, "prompt-key", cl, NOW, NULL), CCG_ERR_SIGNATURE);
		ccg_claims_free(cl);
	}
	ccg_contract_free(c2);
	for (size_t i = 0; i < 3; i++)
		free(sigs[i]);
	ccg_contract_free(c);
	free(text);
}

/* the API's time convention: CCG_TIME_NOW is the current time, a negative time is refused */
static void test_time_convention(void **state)
{
	char *text = contract_json(1, 0), *sigs[3];
	struct ccg_contract *c = parse(text);
	struct ccg_claims *cl = NULL;
	struct ccg_error err;
	const char *good = "{\"x-nvidia-overall-att-result\":true}";

	(void)state;
	for (size_t i = 0; i < 3; i++) {
		sigs[i] = sign(c, i);
		assert_int_equal(add(c, sigs[i]), CCG_OK);
		free(sigs[i]);
	}
	assert_int_equal(ccg_contract_in_force(c, CCG_TIME_NOW, NULL),
			 ccg_contract_in_force(c, (int64_t)time(NULL), NULL));
	ccg_error_clear(&err);
	assert_int_equal(ccg_contract_in_force(c, -1, &err), CCG_ERR_INVALID_ARG);
	assert_string_equal(err.where, "now");
	assert_int_equal(ccg_claims_from_json(good, strlen(good), &cl, NULL), CCG_OK);
	ccg_error_clear(&err);
	assert_int_equal(ccg_contract_release(c, "prompt-key", cl, -1, &err), CCG_ERR_INVALID_ARG);
	assert_string_equal(err.where, "now");
	ccg_claims_free(cl);
	ccg_contract_free(c);
	free(text);
}

static void test_contract_errors(void **state)
{
	char *text = contract_json(1, 0);
	json_t *d = json_loads(text, 0, NULL);
	struct ccg_contract *c = NULL;
	struct ccg_error err;
	char *t;

	(void)state;
	/* a party's policy error is named with its line:col */
	json_object_set_new(json_array_get(json_object_get(d, "parties"), 1), "policy",
			    json_string("policy \"x\" version 1\nrule r \"m\" { every gpu (mesres == \"x\") }\n"));
	t = json_dumps(d, 0);
	ccg_error_clear(&err);
	assert_int_equal(ccg_contract_parse((const uint8_t *)t, strlen(t), &c, &err), CCG_ERR_POLICY_UNKNOWN_CLAIM);
	assert_string_equal(err.where, "parties[1].policy:2:25");
	free(t);
	/* unknown members and reals are refused */
	json_object_set_new(d, "extra", json_true());
	t = json_dumps(d, 0);
	assert_int_equal(ccg_contract_parse((const uint8_t *)t, strlen(t), &c, NULL), CCG_ERR_MALFORMED);
	free(t);
	json_decref(d);
	free(text);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_three_parties),
		cmocka_unit_test(test_canonical_flips),
		cmocka_unit_test(test_signature_flips),
		cmocka_unit_test(test_threshold),
		cmocka_unit_test(test_time_convention),
		cmocka_unit_test(test_contract_errors),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
