/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Contracts: a three-party contract (two ECDSA P-384 parties, one Ed25519)
 * is in force only with all three signatures over the same canonical bytes;
 * every flipped byte of the canonical form and of each signature, and every
 * truncation of a signature, breaks it; a threshold holds at exactly its
 * threshold; release needs every required party's policy. Consent: a
 * signature counts only under the party's registered key (never the key the
 * contract states), and a secret is released only when its owner and every
 * party it requires signed this version, whatever the threshold says.
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

static struct party parties[4] = {
	{"acme-models", "model-owner", "P-384", NULL, NULL},
	{"clinic", "data-owner", "ED25519", NULL, NULL},
	{"alice", "client", "P-384", NULL, NULL},
	{"mallory", "client", "P-384", NULL, NULL}, /* not a party: her key stands in for others' */
};

/* the parties' registered keys (acme-models, clinic, alice), as a verifier's store holds them */
static struct ccg_party_keys *reg;

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
	for (size_t i = 0; i < 4; i++) {
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
	if ((reg = ccg_party_keys_new()) == NULL)
		return -1;
	for (size_t i = 0; i < 3; i++)
		if (ccg_party_keys_add(reg, parties[i].id, (const uint8_t *)parties[i].pub, strlen(parties[i].pub),
				       NULL) != CCG_OK)
			return -1;
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	ccg_party_keys_free(reg);
	for (size_t i = 0; i < 4; i++) {
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

/* the contract document with party i's key stated as parties[keys[i]]'s; threshold 0: none stated */
static char *contract_json_keys(int version, int threshold, const size_t keys[3])
{
	json_t *ps = json_array(), *doc;
	char *text;

	for (size_t i = 0; i < 3; i++)
		json_array_append_new(ps, json_pack("{s:s,s:s,s:s,s:s}", "id", parties[i].id, "role", parties[i].role,
						    "public-key", parties[keys[i]].pub, "policy", policies[i]));
	doc = json_pack("{s:i,s:s,s:i,s:s,s:s,s:{s:s,s:{s:[s]}},s:o,s:[{s:s,s:s,s:[s,s]},{s:s,s:s,s:[s]}]}",
			"ccgpu-contract", 1, "id", "llm-serving", "version", version, "not-before",
			"2026-01-01T00:00:00Z", "not-after", "2027-01-01T00:00:00Z", "workload", "name", "llama-70b",
			"reference-values", "x-nvidia-gpu-vbios-version", "96.00.9F.00.01", "parties", ps, "secrets",
			"owner", "acme-models", "name", "model-key", "requires", "acme-models", "clinic", "owner",
			"alice", "name", "prompt-key", "requires", "alice");
	assert_non_null(doc);
	if (threshold > 0)
		json_object_set_new(doc, "threshold", json_integer(threshold));
	text = json_dumps(doc, JSON_INDENT(2));
	json_decref(doc);
	return text;
}

static char *contract_json(int version, int threshold)
{
	static const size_t own[3] = {0, 1, 2};

	return contract_json_keys(version, threshold, own);
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
	if (ccg_contract_sign(c, parties[i].id, (const uint8_t *)parties[i].priv, strlen(parties[i].priv), &sig,
			      &err) != CCG_OK)
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
		assert_int_equal(ccg_contract_in_force(c2, reg, NOW, &err), CCG_ERR_SIGNATURE);
		assert_non_null(strstr(err.detail, parties[skip].id));
		ccg_contract_free(c2);
	}
	for (size_t i = 0; i < 3; i++)
		assert_int_equal(add(c, sigs[i]), CCG_OK);
	assert_int_equal(ccg_contract_in_force(c, reg, NOW, NULL), CCG_OK);
	/* outside the validity period */
	assert_int_equal(ccg_contract_in_force(c, reg, NOW + 86400 * 60, NULL), CCG_ERR_CERT_EXPIRED);
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
		/* the name it is registered under: the document's "id" */
		assert_string_equal(ccg_contract_name(same), "llm-serving");
		assert_string_equal(ccg_contract_name(c), "llm-serving");
		for (size_t i = 0; i < 3; i++)
			assert_int_equal(add(same, sigs[i]), CCG_OK);
		assert_int_equal(ccg_contract_in_force(same, reg, NOW, NULL), CCG_OK);
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
		assert_int_not_equal(ccg_contract_in_force(f, reg, NOW, NULL), CCG_OK);
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
		assert_int_not_equal(ccg_contract_in_force(c, reg, NOW, NULL), CCG_OK);
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
	assert_int_equal(ccg_contract_in_force(c, reg, NOW, NULL), CCG_ERR_SIGNATURE);
	assert_int_equal(add(c, sigs[1]), CCG_OK);
	assert_int_equal(ccg_contract_in_force(c, reg, NOW, NULL), CCG_ERR_SIGNATURE);
	/* the same party twice is still one */
	assert_int_equal(add(c, sigs[1]), CCG_OK);
	assert_int_equal(ccg_contract_in_force(c, reg, NOW, NULL), CCG_ERR_SIGNATURE);
	assert_int_equal(add(c, sigs[2]), CCG_OK);
	assert_int_equal(ccg_contract_in_force(c, reg, NOW, NULL), CCG_OK);
	/* the threshold is met by clinic and alice, but model-key's owner never signed: nothing of hers is released */
	{
		const char *good =
			"{\"x-nvidia-overall-att-result\":true,\"submods\":{\"GPU-0\":{\"measres\":\"success\","
			"\"x-nvidia-gpu-driver-version\":\"550.90.07\",\"x-nvidia-gpu-vbios-version\":\"96.00.9F.00.01\"}}}";
		struct ccg_claims *cl = NULL;
		struct ccg_error err;

		assert_int_equal(ccg_claims_from_json(good, strlen(good), &cl, NULL), CCG_OK);
		ccg_error_clear(&err);
		assert_int_equal(ccg_contract_release(c, reg, "model-key", cl, NOW, &err), CCG_ERR_SIGNATURE);
		assert_string_equal(err.where, "acme-models");
		assert_non_null(strstr(err.detail, "owner"));
		ccg_claims_free(cl);
	}
	assert_int_equal(add(c, sigs[0]), CCG_OK);
	/* threshold 4 of 3 parties is refused */
	{
		char *bad = contract_json(1, 4);
		struct ccg_contract *b = NULL;

		assert_int_equal(ccg_contract_parse((const uint8_t *)bad, strlen(bad), &b, NULL), CCG_ERR_MALFORMED);
		free(bad);
	}
	/* release: model-key needs acme-models' and clinic's policies */
	{
		const char *good =
			"{\"x-nvidia-overall-att-result\":true,\"submods\":{\"GPU-0\":{\"measres\":\"success\","
			"\"x-nvidia-gpu-driver-version\":\"550.90.07\",\"x-nvidia-gpu-vbios-version\":\"96.00.9F.00.01\"}}}";
		const char *old =
			"{\"x-nvidia-overall-att-result\":true,\"submods\":{\"GPU-0\":{\"measres\":\"success\","
			"\"x-nvidia-gpu-driver-version\":\"535.1.1\",\"x-nvidia-gpu-vbios-version\":\"96.00.9F.00.01\"}}}";
		struct ccg_claims *cl = NULL;
		struct ccg_error err;

		assert_int_equal(ccg_claims_from_json(good, strlen(good), &cl, NULL), CCG_OK);
		assert_int_equal(ccg_contract_release(c, reg, "model-key", cl, NOW, NULL), CCG_OK);
		assert_int_equal(ccg_contract_release(c, reg, "nothing", cl, NOW, NULL), CCG_ERR_NOT_FOUND);
		ccg_claims_free(cl);
		assert_int_equal(ccg_claims_from_json(old, strlen(old), &cl, NULL), CCG_OK);
		ccg_error_clear(&err);
		assert_int_equal(ccg_contract_release(c, reg, "model-key", cl, NOW, &err), CCG_ERR_POLICY);
		assert_string_equal(err.where, "clinic/driver");
		assert_int_equal(ccg_contract_release(c, reg, "prompt-key", cl, NOW, NULL), CCG_OK);
		ccg_claims_free(cl);
	}
	/* not in force: nothing is released */
	c2 = parse(text);
	{
		const char *good = "{\"x-nvidia-overall-att-result\":true}";
		struct ccg_claims *cl = NULL;

		assert_int_equal(ccg_claims_from_json(good, strlen(good), &cl, NULL), CCG_OK);
		assert_int_equal(ccg_contract_release(c2, reg, "prompt-key", cl, NOW, NULL), CCG_ERR_SIGNATURE);
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
	assert_int_equal(ccg_contract_in_force(c, reg, CCG_TIME_NOW, NULL),
			 ccg_contract_in_force(c, reg, (int64_t)time(NULL), NULL));
	ccg_error_clear(&err);
	assert_int_equal(ccg_contract_in_force(c, reg, -1, &err), CCG_ERR_INVALID_ARG);
	assert_string_equal(err.where, "now");
	assert_int_equal(ccg_claims_from_json(good, strlen(good), &cl, NULL), CCG_OK);
	ccg_error_clear(&err);
	assert_int_equal(ccg_contract_release(c, reg, "prompt-key", cl, -1, &err), CCG_ERR_INVALID_ARG);
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

static const char good_claims[] =
	"{\"x-nvidia-overall-att-result\":true,\"submods\":{\"GPU-0\":{\"measres\":\"success\","
	"\"x-nvidia-gpu-driver-version\":\"550.90.07\",\"x-nvidia-gpu-vbios-version\":\"96.00.9F.00.01\"}}}";

static char *sign_as(const struct ccg_contract *c, const char *party, size_t key)
{
	char *sig = NULL;
	struct ccg_error err;

	ccg_error_clear(&err);
	if (ccg_contract_sign(c, party, (const uint8_t *)parties[key].priv, strlen(parties[key].priv), &sig, &err) !=
	    CCG_OK)
		fail_msg("%s: %s", err.where, err.detail);
	return sig;
}

/* release of secret on good claims; the error's where copied into where (may be NULL) */
static enum ccg_status release(const struct ccg_contract *c, const struct ccg_party_keys *keys, const char *secret,
			       char *where, size_t where_len)
{
	struct ccg_claims *cl = NULL;
	struct ccg_error err;
	enum ccg_status st;

	assert_int_equal(ccg_claims_from_json(good_claims, strlen(good_claims), &cl, NULL), CCG_OK);
	ccg_error_clear(&err);
	st = ccg_contract_release(c, keys, secret, cl, NOW, &err);
	if (where != NULL)
		snprintf(where, where_len, "%s", err.where);
	ccg_claims_free(cl);
	return st;
}

/* issue 10 item 13: threshold 1, signed only by one party: nothing of any other party's is released */
static void test_consent_unsigned_party(void **state)
{
	char *text = contract_json(1, 1), *sig;
	struct ccg_contract *c = parse(text);
	char where[128];

	(void)state;
	sig = sign(c, 2); /* alice only */
	assert_int_equal(add(c, sig), CCG_OK);
	assert_int_equal(ccg_contract_in_force(c, reg, NOW, NULL), CCG_OK);
	assert_int_equal(release(c, reg, "model-key", where, sizeof(where)), CCG_ERR_SIGNATURE);
	assert_string_equal(where, "acme-models");
	/* alice's own secret needs only alice */
	assert_int_equal(release(c, reg, "prompt-key", NULL, 0), CCG_OK);
	free(sig);
	ccg_contract_free(c);
	free(text);
}

/* the requires party did not sign: the error names it */
static void test_consent_requires_party(void **state)
{
	char *text = contract_json(1, 2), *s0 = NULL, *s2 = NULL, *s1 = NULL;
	struct ccg_contract *c = parse(text);
	char where[128];

	(void)state;
	s0 = sign(c, 0);
	s2 = sign(c, 2);
	assert_int_equal(add(c, s0), CCG_OK);
	assert_int_equal(add(c, s2), CCG_OK);
	assert_int_equal(ccg_contract_in_force(c, reg, NOW, NULL), CCG_OK);
	assert_int_equal(release(c, reg, "model-key", where, sizeof(where)), CCG_ERR_SIGNATURE);
	assert_string_equal(where, "clinic");
	s1 = sign(c, 1);
	assert_int_equal(add(c, s1), CCG_OK);
	assert_int_equal(release(c, reg, "model-key", NULL, 0), CCG_OK);
	free(s0);
	free(s1);
	free(s2);
	ccg_contract_free(c);
	free(text);
}

/*
 * A look-alike: the contract states mallory's key under acme-models' name and
 * mallory signs as acme-models. The document's key verifies her signature,
 * but acme-models' registered key does not: she neither counts toward the
 * threshold nor consents for acme-models' secret.
 */
static void test_consent_lookalike_key(void **state)
{
	static const size_t forged[3] = {3, 1, 2};
	char *text = contract_json_keys(1, 1, forged), *fake, *alice;
	struct ccg_contract *c = parse(text);
	struct ccg_error err;
	char where[128];

	(void)state;
	fake = sign_as(c, "acme-models", 3);
	assert_int_equal(add(c, fake), CCG_OK); /* it verifies under the key the document states */
	ccg_error_clear(&err);
	assert_int_equal(ccg_contract_in_force(c, reg, NOW, &err), CCG_ERR_SIGNATURE);
	assert_non_null(strstr(err.detail, "0 of 1"));
	alice = sign(c, 2);
	assert_int_equal(add(c, alice), CCG_OK);
	assert_int_equal(ccg_contract_in_force(c, reg, NOW, NULL), CCG_OK);
	assert_int_equal(release(c, reg, "model-key", where, sizeof(where)), CCG_ERR_SIGNATURE);
	assert_string_equal(where, "acme-models");
	assert_int_equal(release(c, reg, "prompt-key", NULL, 0), CCG_OK);
	/* were mallory's key registered for acme-models, the same signature would count: the registry decides */
	{
		struct ccg_party_keys *k = ccg_party_keys_new();

		assert_non_null(k);
		assert_int_equal(ccg_party_keys_add(k, "acme-models", (const uint8_t *)parties[3].pub,
						    strlen(parties[3].pub), NULL),
				 CCG_OK);
		assert_int_equal(ccg_party_keys_add(k, "clinic", (const uint8_t *)parties[1].pub,
						    strlen(parties[1].pub), NULL),
				 CCG_OK);
		assert_int_equal(release(c, k, "model-key", where, sizeof(where)), CCG_ERR_SIGNATURE);
		assert_string_equal(where, "clinic"); /* the owner now consents; clinic, required, did not sign */
		ccg_party_keys_free(k);
	}
	free(alice);
	free(fake);
	ccg_contract_free(c);
	free(text);
}

/* a party without a registered key has not signed, whatever it signed */
static void test_consent_unregistered(void **state)
{
	char *text = contract_json(1, 0), *sigs[3];
	struct ccg_contract *c = parse(text);
	struct ccg_party_keys *k = ccg_party_keys_new();
	struct ccg_error err;

	(void)state;
	assert_non_null(k);
	for (size_t i = 0; i < 3; i++) {
		sigs[i] = sign(c, i);
		assert_int_equal(add(c, sigs[i]), CCG_OK);
		if (i != 1)
			assert_int_equal(ccg_party_keys_add(k, parties[i].id, (const uint8_t *)parties[i].pub,
							    strlen(parties[i].pub), NULL),
					 CCG_OK);
	}
	assert_int_equal(ccg_contract_in_force(c, reg, NOW, NULL), CCG_OK);
	ccg_error_clear(&err);
	assert_int_equal(ccg_contract_in_force(c, k, NOW, &err), CCG_ERR_SIGNATURE);
	assert_non_null(strstr(err.detail, "clinic"));
	ccg_error_clear(&err);
	assert_int_equal(ccg_contract_in_force(c, NULL, NOW, &err), CCG_ERR_INVALID_ARG);
	assert_string_equal(err.where, "party-keys");
	ccg_error_clear(&err);
	assert_int_equal(ccg_contract_release(c, reg, NULL, NULL, NOW, &err), CCG_ERR_INVALID_ARG);
	assert_string_equal(err.where, "secret");
	/* the registry itself: one key per party, a real key, a real id */
	ccg_error_clear(&err);
	assert_int_equal(ccg_party_keys_add(k, "alice", (const uint8_t *)parties[3].pub, strlen(parties[3].pub), &err),
			 CCG_ERR_DUPLICATE);
	assert_string_equal(err.where, "party-keys[alice]");
	assert_int_equal(ccg_party_keys_add(k, "clinic", (const uint8_t *)"not a key", 9, NULL), CCG_ERR_ENCODING);
	assert_int_equal(ccg_party_keys_add(k, "", (const uint8_t *)parties[1].pub, strlen(parties[1].pub), NULL),
			 CCG_ERR_INVALID_ARG);
	for (size_t i = 0; i < 3; i++)
		free(sigs[i]);
	ccg_party_keys_free(k);
	ccg_contract_free(c);
	free(text);
}

/* a signature over version 1 does not count for version 2, even relabelled with version 2's id */
static void test_consent_older_version(void **state)
{
	char *t1 = contract_json(1, 1), *t2 = contract_json(2, 1), *sigs[3], *relabelled;
	struct ccg_contract *c1 = parse(t1), *c2 = parse(t2);
	char where[128];
	json_t *d;

	(void)state;
	for (size_t i = 0; i < 3; i++) {
		sigs[i] = sign(c1, i);
		assert_int_equal(add(c1, sigs[i]), CCG_OK);
		assert_int_equal(add(c2, sigs[i]), CCG_ERR_MALFORMED);
	}
	assert_int_equal(release(c1, reg, "model-key", NULL, 0), CCG_OK);
	d = json_loads(sigs[0], 0, NULL);
	json_object_set_new(d, "contract", json_string(ccg_contract_id(c2)));
	relabelled = json_dumps(d, 0);
	assert_int_equal(add(c2, relabelled), CCG_ERR_SIGNATURE);
	assert_int_equal(ccg_contract_in_force(c2, reg, NOW, NULL), CCG_ERR_SIGNATURE);
	/* version 2 in force by alice alone; acme-models' version-1 consent does not carry over */
	{
		char *a2 = sign(c2, 2);

		assert_int_equal(add(c2, a2), CCG_OK);
		assert_int_equal(ccg_contract_in_force(c2, reg, NOW, NULL), CCG_OK);
		assert_int_equal(release(c2, reg, "model-key", where, sizeof(where)), CCG_ERR_SIGNATURE);
		assert_string_equal(where, "acme-models");
		free(a2);
	}
	free(relabelled);
	json_decref(d);
	for (size_t i = 0; i < 3; i++)
		free(sigs[i]);
	ccg_contract_free(c1);
	ccg_contract_free(c2);
	free(t1);
	free(t2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_three_parties),          cmocka_unit_test(test_canonical_flips),
		cmocka_unit_test(test_signature_flips),        cmocka_unit_test(test_threshold),
		cmocka_unit_test(test_time_convention),        cmocka_unit_test(test_contract_errors),
		cmocka_unit_test(test_consent_unsigned_party), cmocka_unit_test(test_consent_requires_party),
		cmocka_unit_test(test_consent_lookalike_key),  cmocka_unit_test(test_consent_unregistered),
		cmocka_unit_test(test_consent_older_version),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
