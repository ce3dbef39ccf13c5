/* SPDX-License-Identifier: Apache-2.0 */
/*
 * HPKE (common/hpke.h): RFC 9180's published base-mode vector for
 * DHKEM(X25519, HKDF-SHA256) / HKDF-SHA256 / AES-128-GCM and an independent
 * implementation's (hpke-js) vector for DHKEM(P-384, HKDF-SHA384) /
 * HKDF-SHA384 / AES-256-GCM (tests/data/hpke-*.json say where each comes
 * from); then every byte of enc, ct, aad and info changed and every
 * truncation refused, invalid public keys refused, the sequence number's
 * end refused, and the API's argument checks.
 */
#include <stdarg.h>
#include <setjmp.h>
#include <stddef.h>
#include <cmocka.h>
#include <jansson.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/sha.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/encoding.h"
#include "common/hpke.h"
#include "common/hpke_internal.h"

static const enum ccg_hpke_suite both[] = {CCG_HPKE_P384_SHA384_AES256GCM, CCG_HPKE_X25519_SHA256_AES128GCM};

static json_t *load_vector(const char *name)
{
	const char *root = getenv("CCGPU_SOURCE_ROOT");
	char path[4096];
	json_error_t je;
	json_t *v;

	assert_non_null(root);
	snprintf(path, sizeof(path), "%s/tests/data/%s", root, name);
	v = json_load_file(path, 0, &je);
	if (v == NULL)
		fail_msg("%s: %s", path, je.text);
	return v;
}

/* the hex field key of o, decoded (malloc'd; "" gives a 1-byte buffer and *len 0) */
static uint8_t *hexfield(json_t *o, const char *key, size_t *len)
{
	const char *h = json_string_value(json_object_get(o, key));
	uint8_t *out = NULL;

	if (h == NULL)
		fail_msg("vector field %s missing", key);
	*len = 0;
	if (h[0] == '\0')
		return calloc(1, 1);
	assert_int_equal(ccg_hex_decode(h, strlen(h), 4096, &out, len), CCG_OK);
	return out;
}

static void assert_hex_eq(json_t *o, const char *key, const uint8_t *got, size_t got_len)
{
	size_t n = 0;
	uint8_t *want = hexfield(o, key, &n);

	if (n != got_len || memcmp(want, got, n) != 0) {
		char *g = ccg_hex_encode_alloc(got, got_len);

		fail_msg("%s: got %s, want %s", key, g, json_string_value(json_object_get(o, key)));
	}
	free(want);
}

static void assert_private_key(enum ccg_hpke_suite suite, EVP_PKEY *k, json_t *v, const char *key)
{
	uint8_t sk[48];
	size_t n = sizeof(sk);

	if (suite == CCG_HPKE_X25519_SHA256_AES128GCM) {
		assert_int_equal(EVP_PKEY_get_raw_private_key(k, sk, &n), 1);
	} else {
		BIGNUM *d = NULL;

		assert_int_equal(EVP_PKEY_get_bn_param(k, OSSL_PKEY_PARAM_PRIV_KEY, &d), 1);
		assert_int_equal(BN_bn2binpad(d, sk, 48), 48);
		BN_clear_free(d);
		n = 48;
	}
	assert_hex_eq(v, key, sk, n);
}

static EVP_PKEY *derive(enum ccg_hpke_suite suite, json_t *v, const char *ikm_key)
{
	size_t n = 0;
	uint8_t *ikm = hexfield(v, ikm_key, &n);
	EVP_PKEY *k = NULL;

	assert_int_equal(ccg_hpke_keypair_derive(suite, ikm, n, &k, NULL), CCG_OK);
	free(ikm);
	return k;
}

static void run_vector(const char *file, enum ccg_hpke_suite suite)
{
	json_t *v = load_vector(file), *e;
	EVP_PKEY *skR, *skE;
	struct ccg_hpke_ctx *cs = NULL, *cr = NULL;
	struct ccg_hpke_trace ts, tr;
	uint8_t pk[CCG_HPKE_MAX_PK_LEN], enc[CCG_HPKE_MAX_ENC_LEN];
	size_t pk_len = 0, enc_len = 0, info_len = 0, i;
	uint8_t *info = hexfield(v, "info", &info_len);
	uint16_t kem, kdf, aead;
	const uint8_t *key, *nonce, *exp, *key_r, *nonce_r, *exp_r;
	size_t key_len, nonce_len, exp_len, kl, nl, el;

	assert_int_equal(ccg_hpke_suite_ids(suite, &kem, &kdf, &aead), CCG_OK);
	assert_int_equal(json_integer_value(json_object_get(v, "mode")), CCG_HPKE_MODE_BASE);
	assert_int_equal(json_integer_value(json_object_get(v, "kem_id")), kem);
	assert_int_equal(json_integer_value(json_object_get(v, "kdf_id")), kdf);
	assert_int_equal(json_integer_value(json_object_get(v, "aead_id")), aead);

	/* DeriveKeyPair and SerializePublicKey / SerializePrivateKey */
	skR = derive(suite, v, "ikmR");
	skE = derive(suite, v, "ikmE");
	assert_private_key(suite, skR, v, "skRm");
	assert_private_key(suite, skE, v, "skEm");
	assert_int_equal(ccg_hpke_public_key(suite, skE, pk, sizeof(pk), &pk_len, NULL), CCG_OK);
	assert_hex_eq(v, "pkEm", pk, pk_len);
	assert_int_equal(ccg_hpke_public_key(suite, skR, pk, sizeof(pk), &pk_len, NULL), CCG_OK);
	assert_hex_eq(v, "pkRm", pk, pk_len);

	/* SetupBaseS with the vector's ephemeral key, SetupBaseR on its enc */
	memset(&ts, 0, sizeof(ts));
	memset(&tr, 0, sizeof(tr));
	assert_int_equal(ccg_hpke_setup_s_fixed(suite, pk, pk_len, skE, info, info_len, enc, sizeof(enc), &enc_len, &cs,
						&ts, NULL),
			 CCG_OK);
	assert_hex_eq(v, "enc", enc, enc_len);
	assert_int_equal(ccg_hpke_setup_r_traced(suite, skR, enc, enc_len, info, info_len, &cr, &tr, NULL), CCG_OK);
	ccg_hpke_ctx_key(cs, &key, &key_len, &nonce, &nonce_len, &exp, &exp_len);
	ccg_hpke_ctx_key(cr, &key_r, &kl, &nonce_r, &nl, &exp_r, &el);
	if (json_object_get(v, "shared_secret") != NULL) {
		assert_hex_eq(v, "shared_secret", ts.shared_secret, ts.shared_secret_len);
		assert_hex_eq(v, "key_schedule_context", ts.key_schedule_context, ts.key_schedule_context_len);
		assert_hex_eq(v, "secret", ts.secret, ts.secret_len);
		assert_hex_eq(v, "key", key, key_len);
		assert_hex_eq(v, "base_nonce", nonce, nonce_len);
		assert_hex_eq(v, "exporter_secret", exp, exp_len);
		assert_hex_eq(v, "shared_secret", tr.shared_secret, tr.shared_secret_len);
		assert_hex_eq(v, "key_schedule_context", tr.key_schedule_context, tr.key_schedule_context_len);
		assert_hex_eq(v, "secret", tr.secret, tr.secret_len);
		assert_hex_eq(v, "key", key_r, kl);
		assert_hex_eq(v, "base_nonce", nonce_r, nl);
		assert_hex_eq(v, "exporter_secret", exp_r, el);
	}
	/* both sides agree on everything the schedule made, vector or not */
	assert_int_equal(ts.shared_secret_len, tr.shared_secret_len);
	assert_memory_equal(ts.shared_secret, tr.shared_secret, ts.shared_secret_len);
	assert_int_equal(key_len, kl);
	assert_memory_equal(key, key_r, kl);
	assert_memory_equal(nonce, nonce_r, nl);
	assert_memory_equal(exp, exp_r, el);

	/* every encryption at its sequence number, sealed by one side and opened by the other */
	json_array_foreach(json_object_get(v, "encryptions"), i, e) {
		size_t pt_len, aad_len, ct_len, n = 0;
		uint8_t *pt = hexfield(e, "pt", &pt_len), *aad = hexfield(e, "aad", &aad_len),
			*ct = hexfield(e, "ct", &ct_len);
		uint8_t out[256], back[256];
		uint64_t seq = (uint64_t)json_integer_value(json_object_get(e, "seq"));

		ccg_hpke_ctx_set_seq(cs, seq);
		ccg_hpke_ctx_set_seq(cr, seq);
		assert_int_equal(ccg_hpke_ctx_seal(cs, aad, aad_len, pt, pt_len, out, sizeof(out), &n, NULL), CCG_OK);
		assert_hex_eq(e, "ct", out, n);
		assert_int_equal(ccg_hpke_ctx_seq(cs), seq + 1);
		assert_int_equal(ccg_hpke_ctx_open(cr, aad, aad_len, ct, ct_len, back, sizeof(back), &n, NULL), CCG_OK);
		assert_hex_eq(e, "pt", back, n);
		assert_int_equal(ccg_hpke_ctx_seq(cr), seq + 1);
		free(pt);
		free(aad);
		free(ct);
	}
	assert_true(i >= 6);

	json_array_foreach(json_object_get(v, "exports"), i, e) {
		size_t c_len, L = (size_t)json_integer_value(json_object_get(e, "L"));
		uint8_t *c = hexfield(e, "exporter_context", &c_len), out[64];

		assert_true(L <= sizeof(out));
		assert_int_equal(ccg_hpke_ctx_export(cs, c, c_len, out, L, NULL), CCG_OK);
		assert_hex_eq(e, "exported_value", out, L);
		assert_int_equal(ccg_hpke_ctx_export(cr, c, c_len, out, L, NULL), CCG_OK);
		assert_hex_eq(e, "exported_value", out, L);
		free(c);
	}
	assert_true(i >= 3);

	ccg_hpke_ctx_free(cs);
	ccg_hpke_ctx_free(cr);
	EVP_PKEY_free(skR);
	EVP_PKEY_free(skE);
	free(info);
	json_decref(v);
}

static void test_vector_x25519(void **state)
{
	(void)state;
	run_vector("hpke-x25519-sha256-aes128gcm.json", CCG_HPKE_X25519_SHA256_AES128GCM);
}

static void test_vector_p384(void **state)
{
	(void)state;
	run_vector("hpke-p384-sha384-aes256gcm.json", CCG_HPKE_P384_SHA384_AES256GCM);
}

/* a fresh key pair and its serialized public key */
static EVP_PKEY *keypair(enum ccg_hpke_suite suite, uint8_t *pk, size_t *pk_len)
{
	EVP_PKEY *k = NULL;

	assert_int_equal(ccg_hpke_keypair_generate(suite, &k, NULL), CCG_OK);
	assert_int_equal(ccg_hpke_public_key(suite, k, pk, CCG_HPKE_MAX_PK_LEN, pk_len, NULL), CCG_OK);
	assert_int_equal(*pk_len, ccg_hpke_enc_len(suite));
	return k;
}

static const uint8_t msg_info[] = "ccgpu test info";
static const uint8_t msg_aad[] = "token-hash|contract|secret";
static const uint8_t msg_pt[] = "a model key: 0123456789abcdef";

static void test_single_shot(void **state)
{
	(void)state;
	for (size_t s = 0; s < 2; s++) {
		uint8_t pk[CCG_HPKE_MAX_PK_LEN], pt[64];
		size_t pk_len = 0, sealed_len = 0, pt_len = 0;
		uint8_t *sealed = NULL;
		EVP_PKEY *k = keypair(both[s], pk, &pk_len);
		struct ccg_error err;

		assert_int_equal(ccg_hpke_seal(both[s], pk, pk_len, msg_info, sizeof(msg_info), msg_aad,
					       sizeof(msg_aad), msg_pt, sizeof(msg_pt), &sealed, &sealed_len, NULL),
				 CCG_OK);
		assert_int_equal(sealed_len, ccg_hpke_sealed_len(both[s], sizeof(msg_pt)));
		assert_int_equal(ccg_hpke_open(both[s], k, sealed, sealed_len, msg_info, sizeof(msg_info), msg_aad,
					       sizeof(msg_aad), pt, sizeof(pt), &pt_len, NULL),
				 CCG_OK);
		assert_int_equal(pt_len, sizeof(msg_pt));
		assert_memory_equal(pt, msg_pt, pt_len);
		/* a plaintext buffer too small is refused, not overrun */
		memset(&err, 0, sizeof(err));
		assert_int_equal(ccg_hpke_open(both[s], k, sealed, sealed_len, msg_info, sizeof(msg_info), msg_aad,
					       sizeof(msg_aad), pt, sizeof(msg_pt) - 1, &pt_len, &err),
				 CCG_ERR_INVALID_ARG);
		free(sealed);

		/* empty plaintext, info and aad are allowed */
		assert_int_equal(ccg_hpke_seal(both[s], pk, pk_len, NULL, 0, NULL, 0, NULL, 0, &sealed, &sealed_len,
					       NULL),
				 CCG_OK);
		assert_int_equal(sealed_len, ccg_hpke_enc_len(both[s]) + CCG_HPKE_TAG_LEN);
		assert_int_equal(ccg_hpke_open(both[s], k, sealed, sealed_len, NULL, 0, NULL, 0, NULL, 0, &pt_len,
					       NULL),
				 CCG_OK);
		assert_int_equal(pt_len, 0);
		free(sealed);
		EVP_PKEY_free(k);
	}
}

static bool refusal(enum ccg_status st)
{
	return st == CCG_ERR_MAC || st == CCG_ERR_MALFORMED || st == CCG_ERR_TRUNCATED;
}

/* every byte of enc ‖ ct, aad and info changed, and every truncation: never CCG_OK */
static void test_flip_and_truncate(void **state)
{
	(void)state;
	for (size_t s = 0; s < 2; s++) {
		uint8_t pk[CCG_HPKE_MAX_PK_LEN], pt[64], aad[sizeof(msg_aad)], info[sizeof(msg_info)];
		size_t pk_len = 0, sealed_len = 0, pt_len = 0, n_enc = ccg_hpke_enc_len(both[s]);
		uint8_t *sealed = NULL;
		EVP_PKEY *k = keypair(both[s], pk, &pk_len);
		size_t macs = 0, malformed = 0;

		assert_int_equal(ccg_hpke_seal(both[s], pk, pk_len, msg_info, sizeof(msg_info), msg_aad,
					       sizeof(msg_aad), msg_pt, sizeof(msg_pt), &sealed, &sealed_len, NULL),
				 CCG_OK);
		for (size_t i = 0; i < sealed_len; i++) {
			for (int bit = 0; bit < 8; bit += 7) {
				struct ccg_error err;
				enum ccg_status st;

				memset(&err, 0, sizeof(err));
				sealed[i] ^= (uint8_t)(1u << bit);
				memset(pt, 0xaa, sizeof(pt));
				st = ccg_hpke_open(both[s], k, sealed, sealed_len, msg_info, sizeof(msg_info), msg_aad,
						   sizeof(msg_aad), pt, sizeof(pt), &pt_len, &err);
				sealed[i] ^= (uint8_t)(1u << bit);
				if (!refusal(st))
					fail_msg("suite %d: byte %zu bit %d of enc||ct changed: %s", both[s], i, bit,
						 ccg_status_str(st));
				/* a ciphertext change is a MAC failure, and no plaintext is left behind */
				if (i >= n_enc) {
					assert_int_equal(st, CCG_ERR_MAC);
					assert_string_equal(err.where, "hpke.ct");
					for (size_t j = 0; j < sizeof(msg_pt); j++)
						assert_int_equal(pt[j], 0);
				}
				macs += st == CCG_ERR_MAC;
				malformed += st == CCG_ERR_MALFORMED;
			}
		}
		/* X25519 takes any 32 bytes as a point, so its enc changes fail at the tag */
		if (both[s] == CCG_HPKE_P384_SHA384_AES256GCM)
			assert_true(malformed > 0);
		assert_true(macs > 0);

		memcpy(aad, msg_aad, sizeof(aad));
		for (size_t i = 0; i < sizeof(aad); i++) {
			aad[i] ^= 0x01;
			assert_int_equal(ccg_hpke_open(both[s], k, sealed, sealed_len, msg_info, sizeof(msg_info), aad,
						       sizeof(aad), pt, sizeof(pt), &pt_len, NULL),
					 CCG_ERR_MAC);
			aad[i] ^= 0x01;
		}
		memcpy(info, msg_info, sizeof(info));
		for (size_t i = 0; i < sizeof(info); i++) {
			info[i] ^= 0x80;
			assert_int_equal(ccg_hpke_open(both[s], k, sealed, sealed_len, info, sizeof(info), msg_aad,
						       sizeof(msg_aad), pt, sizeof(pt), &pt_len, NULL),
					 CCG_ERR_MAC);
			info[i] ^= 0x80;
		}
		/* a shorter aad or info, and none at all */
		assert_int_equal(ccg_hpke_open(both[s], k, sealed, sealed_len, msg_info, sizeof(msg_info), msg_aad,
					       sizeof(msg_aad) - 1, pt, sizeof(pt), &pt_len, NULL),
				 CCG_ERR_MAC);
		assert_int_equal(ccg_hpke_open(both[s], k, sealed, sealed_len, NULL, 0, msg_aad, sizeof(msg_aad), pt,
					       sizeof(pt), &pt_len, NULL),
				 CCG_ERR_MAC);
		for (size_t len = 0; len < sealed_len; len++) {
			struct ccg_error err;
			enum ccg_status st;

			memset(&err, 0, sizeof(err));
			st = ccg_hpke_open(both[s], k, sealed, len, msg_info, sizeof(msg_info), msg_aad,
					   sizeof(msg_aad), pt, sizeof(pt), &pt_len, &err);
			if (!refusal(st))
				fail_msg("suite %d: truncated to %zu: %s", both[s], len, ccg_status_str(st));
			if (len < n_enc + CCG_HPKE_TAG_LEN) {
				assert_int_equal(st, CCG_ERR_TRUNCATED);
				assert_string_equal(err.where, "hpke.sealed");
			}
		}
		/* the untouched message still opens: the loops above restored every byte */
		assert_int_equal(ccg_hpke_open(both[s], k, sealed, sealed_len, msg_info, sizeof(msg_info), msg_aad,
					       sizeof(msg_aad), pt, sizeof(pt), &pt_len, NULL),
				 CCG_OK);
		free(sealed);
		EVP_PKEY_free(k);
	}
}

/* another recipient's key cannot open */
static void test_wrong_recipient(void **state)
{
	(void)state;
	for (size_t s = 0; s < 2; s++) {
		uint8_t pk[CCG_HPKE_MAX_PK_LEN], pk2[CCG_HPKE_MAX_PK_LEN], pt[64];
		size_t pk_len = 0, pk2_len = 0, sealed_len = 0, pt_len = 0;
		uint8_t *sealed = NULL;
		EVP_PKEY *k = keypair(both[s], pk, &pk_len), *k2 = keypair(both[s], pk2, &pk2_len);

		assert_int_equal(ccg_hpke_seal(both[s], pk, pk_len, NULL, 0, NULL, 0, msg_pt, sizeof(msg_pt), &sealed,
					       &sealed_len, NULL),
				 CCG_OK);
		assert_int_equal(ccg_hpke_open(both[s], k2, sealed, sealed_len, NULL, 0, NULL, 0, pt, sizeof(pt),
					       &pt_len, NULL),
				 CCG_ERR_MAC);
		/* a key of the other suite's KEM is refused as an argument */
		{
			uint8_t enc[CCG_HPKE_MAX_ENC_LEN] = {0};
			struct ccg_hpke_ctx *c = NULL;
			struct ccg_error err;

			enc[0] = 0x04;
			memset(&err, 0, sizeof(err));
			assert_int_equal(ccg_hpke_setup_r(both[1 - s], k, enc, ccg_hpke_enc_len(both[1 - s]), NULL, 0,
							  &c, &err),
					 CCG_ERR_INVALID_ARG);
			assert_string_equal(err.where, "hpke.skR");
			assert_null(c);
		}
		free(sealed);
		EVP_PKEY_free(k);
		EVP_PKEY_free(k2);
	}
}

/* refused as MALFORMED at where; a wrong length is named as one */
static void expect_pk_refused(enum ccg_hpke_suite suite, const uint8_t *pk, size_t pk_len, const char *where)
{
	uint8_t *sealed = (uint8_t *)"x";
	size_t sealed_len = 1;
	struct ccg_error err;

	memset(&err, 0, sizeof(err));
	assert_int_equal(ccg_hpke_seal(suite, pk, pk_len, NULL, 0, NULL, 0, msg_pt, sizeof(msg_pt), &sealed,
				       &sealed_len, &err),
			 CCG_ERR_MALFORMED);
	assert_null(sealed);
	assert_int_equal(sealed_len, 0);
	assert_string_equal(err.where, where);
	if (pk_len != ccg_hpke_enc_len(suite) && strstr(err.detail, "public key has") == NULL)
		fail_msg("%zu-byte key not refused for its length: %s", pk_len, err.detail);
}

/* RFC 9180 §7.1.4: public keys are validated; an X25519 DH result of zero is refused */
static void test_invalid_public_keys(void **state)
{
	uint8_t zero[97] = {0}, pk[CCG_HPKE_MAX_PK_LEN], pt[64];
	/* u = 1 is of low order on Curve25519: the shared secret would be zero too */
	uint8_t one[32] = {1};
	size_t pk_len = 0, pt_len = 0;
	EVP_PKEY *k;
	struct ccg_hpke_ctx *c = NULL;
	struct ccg_error err;

	(void)state;
	expect_pk_refused(CCG_HPKE_X25519_SHA256_AES128GCM, zero, 32, "hpke.dh");
	expect_pk_refused(CCG_HPKE_X25519_SHA256_AES128GCM, one, 32, "hpke.dh");
	expect_pk_refused(CCG_HPKE_X25519_SHA256_AES128GCM, zero, 31, "hpke.pkR");
	expect_pk_refused(CCG_HPKE_X25519_SHA256_AES128GCM, zero, 33, "hpke.pkR");

	/* the recipient refuses an all-zero (low-order) enc the same way */
	k = keypair(CCG_HPKE_X25519_SHA256_AES128GCM, pk, &pk_len);
	memset(&err, 0, sizeof(err));
	assert_int_equal(ccg_hpke_setup_r(CCG_HPKE_X25519_SHA256_AES128GCM, k, zero, 32, NULL, 0, &c, &err),
			 CCG_ERR_MALFORMED);
	assert_null(c);
	assert_string_equal(err.where, "hpke.dh");
	EVP_PKEY_free(k);

	k = keypair(CCG_HPKE_P384_SHA384_AES256GCM, pk, &pk_len);
	/* a point off the curve: Y changed */
	pk[96] ^= 0x01;
	expect_pk_refused(CCG_HPKE_P384_SHA384_AES256GCM, pk, pk_len, "hpke.pkR");
	memset(&err, 0, sizeof(err));
	assert_int_equal(ccg_hpke_setup_r(CCG_HPKE_P384_SHA384_AES256GCM, k, pk, pk_len, NULL, 0, &c, &err),
			 CCG_ERR_MALFORMED);
	assert_string_equal(err.where, "hpke.enc");
	pk[96] ^= 0x01;
	/* the same point in the hybrid form (0x06 | parity of Y): OpenSSL decodes it, RFC 9180 does not allow it */
	pk[0] = (uint8_t)(0x06 | (pk[96] & 1));
	expect_pk_refused(CCG_HPKE_P384_SHA384_AES256GCM, pk, pk_len, "hpke.pkR");
	pk[0] = 0x04;
	/* the compressed form (49 bytes), the point at infinity (0x00), all zeros, a wrong length */
	pk[0] = (uint8_t)(0x02 | (pk[96] & 1));
	expect_pk_refused(CCG_HPKE_P384_SHA384_AES256GCM, pk, 49, "hpke.pkR");
	pk[0] = 0x04;
	expect_pk_refused(CCG_HPKE_P384_SHA384_AES256GCM, zero, 1, "hpke.pkR");
	expect_pk_refused(CCG_HPKE_P384_SHA384_AES256GCM, zero, 97, "hpke.pkR");
	zero[0] = 0x04;
	expect_pk_refused(CCG_HPKE_P384_SHA384_AES256GCM, zero, 97, "hpke.pkR");
	expect_pk_refused(CCG_HPKE_P384_SHA384_AES256GCM, pk, 96, "hpke.pkR");
	/* and the untouched key still works */
	{
		uint8_t *sealed = NULL;
		size_t sealed_len = 0;

		assert_int_equal(ccg_hpke_seal(CCG_HPKE_P384_SHA384_AES256GCM, pk, pk_len, NULL, 0, NULL, 0, msg_pt,
					       sizeof(msg_pt), &sealed, &sealed_len, NULL),
				 CCG_OK);
		assert_int_equal(ccg_hpke_open(CCG_HPKE_P384_SHA384_AES256GCM, k, sealed, sealed_len, NULL, 0, NULL, 0,
					       pt, sizeof(pt), &pt_len, NULL),
				 CCG_OK);
		free(sealed);
	}
	EVP_PKEY_free(k);
}

/* a context pair for suite s over a fresh key */
static void ctx_pair(enum ccg_hpke_suite suite, struct ccg_hpke_ctx **cs, struct ccg_hpke_ctx **cr)
{
	uint8_t pk[CCG_HPKE_MAX_PK_LEN], enc[CCG_HPKE_MAX_ENC_LEN];
	size_t pk_len = 0, enc_len = 0;
	EVP_PKEY *k = keypair(suite, pk, &pk_len);

	assert_int_equal(ccg_hpke_setup_s(suite, pk, pk_len, msg_info, sizeof(msg_info), enc, sizeof(enc), &enc_len, cs,
					  NULL),
			 CCG_OK);
	assert_int_equal(ccg_hpke_setup_r(suite, k, enc, enc_len, msg_info, sizeof(msg_info), cr, NULL), CCG_OK);
	EVP_PKEY_free(k);
}

/* the sequence number cannot wrap: the last one is refused on both sides (injected) */
static void test_seq_overflow(void **state)
{
	(void)state;
	for (size_t s = 0; s < 2; s++) {
		struct ccg_hpke_ctx *cs = NULL, *cr = NULL;
		uint8_t ct[64], pt[64];
		size_t ct_len = 0, pt_len = 0;
		struct ccg_error err;

		ctx_pair(both[s], &cs, &cr);
		ccg_hpke_ctx_set_seq(cs, UINT64_MAX - 1);
		ccg_hpke_ctx_set_seq(cr, UINT64_MAX - 1);
		assert_int_equal(ccg_hpke_ctx_seal(cs, NULL, 0, msg_pt, sizeof(msg_pt), ct, sizeof(ct), &ct_len, NULL),
				 CCG_OK);
		assert_int_equal(ccg_hpke_ctx_open(cr, NULL, 0, ct, ct_len, pt, sizeof(pt), &pt_len, NULL), CCG_OK);
		assert_int_equal(ccg_hpke_ctx_seq(cs), UINT64_MAX);
		memset(&err, 0, sizeof(err));
		assert_int_equal(ccg_hpke_ctx_seal(cs, NULL, 0, msg_pt, sizeof(msg_pt), ct, sizeof(ct), &ct_len, &err),
				 CCG_ERR_KEY_EXHAUSTED);
		assert_string_equal(err.where, "hpke.seq");
		assert_int_equal(ccg_hpke_ctx_seq(cs), UINT64_MAX);
		memset(&err, 0, sizeof(err));
		assert_int_equal(ccg_hpke_ctx_open(cr, NULL, 0, ct, ct_len, pt, sizeof(pt), &pt_len, &err),
				 CCG_ERR_KEY_EXHAUSTED);
		assert_string_equal(err.where, "hpke.seq");
		ccg_hpke_ctx_free(cs);
		ccg_hpke_ctx_free(cr);
	}
}

/* messages open in order; a failed open does not advance; replays and reordering fail at the tag */
static void test_context_sequence(void **state)
{
	(void)state;
	for (size_t s = 0; s < 2; s++) {
		struct ccg_hpke_ctx *cs = NULL, *cr = NULL;
		uint8_t ct[3][64], pt[64], bad[64];
		size_t ct_len[3] = {0}, pt_len = 0;

		ctx_pair(both[s], &cs, &cr);
		for (int i = 0; i < 3; i++)
			assert_int_equal(ccg_hpke_ctx_seal(cs, msg_aad, sizeof(msg_aad), msg_pt, sizeof(msg_pt), ct[i],
							   sizeof(ct[i]), &ct_len[i], NULL),
					 CCG_OK);
		/* out of order */
		assert_int_equal(ccg_hpke_ctx_open(cr, msg_aad, sizeof(msg_aad), ct[1], ct_len[1], pt, sizeof(pt),
						   &pt_len, NULL),
				 CCG_ERR_MAC);
		assert_int_equal(ccg_hpke_ctx_seq(cr), 0);
		/* a changed tag */
		memcpy(bad, ct[0], ct_len[0]);
		bad[ct_len[0] - 1] ^= 1;
		assert_int_equal(ccg_hpke_ctx_open(cr, msg_aad, sizeof(msg_aad), bad, ct_len[0], pt, sizeof(pt),
						   &pt_len, NULL),
				 CCG_ERR_MAC);
		assert_int_equal(ccg_hpke_ctx_seq(cr), 0);
		for (int i = 0; i < 3; i++) {
			assert_int_equal(ccg_hpke_ctx_open(cr, msg_aad, sizeof(msg_aad), ct[i], ct_len[i], pt,
							   sizeof(pt), &pt_len, NULL),
					 CCG_OK);
			assert_memory_equal(pt, msg_pt, sizeof(msg_pt));
		}
		/* a replay */
		assert_int_equal(ccg_hpke_ctx_open(cr, msg_aad, sizeof(msg_aad), ct[2], ct_len[2], pt, sizeof(pt),
						   &pt_len, NULL),
				 CCG_ERR_MAC);
		/* shorter than a tag */
		assert_int_equal(ccg_hpke_ctx_open(cr, NULL, 0, ct[0], CCG_HPKE_TAG_LEN - 1, pt, sizeof(pt), &pt_len,
						   NULL),
				 CCG_ERR_TRUNCATED);
		/* roles: a sender does not open, a recipient does not seal */
		assert_int_equal(ccg_hpke_ctx_open(cs, NULL, 0, ct[0], ct_len[0], pt, sizeof(pt), &pt_len, NULL),
				 CCG_ERR_INVALID_ARG);
		assert_int_equal(ccg_hpke_ctx_seal(cr, NULL, 0, msg_pt, sizeof(msg_pt), bad, sizeof(bad), &pt_len,
						   NULL),
				 CCG_ERR_INVALID_ARG);
		/* a ciphertext buffer too small */
		assert_int_equal(ccg_hpke_ctx_seal(cs, NULL, 0, msg_pt, sizeof(msg_pt), bad, sizeof(msg_pt) + 15,
						   &pt_len, NULL),
				 CCG_ERR_INVALID_ARG);
		ccg_hpke_ctx_free(cs);
		ccg_hpke_ctx_free(cr);
	}
}

/* each stated maximum is refused before any byte past it is read */
static void test_input_bounds(void **state)
{
	static uint8_t aad[CCG_HPKE_MAX_AAD_LEN + 1];
	static uint8_t ikm[CCG_HPKE_MAX_IKM_LEN + 1];
	uint8_t buf[64], pk[CCG_HPKE_MAX_PK_LEN];
	size_t n = 0, pk_len = 0;
	struct ccg_hpke_ctx *cs = NULL, *cr = NULL;
	struct ccg_error err;
	uint8_t *sealed = NULL;
	EVP_PKEY *k = NULL;

	(void)state;
	ctx_pair(CCG_HPKE_X25519_SHA256_AES128GCM, &cs, &cr);
	memset(&err, 0, sizeof(err));
	assert_int_equal(ccg_hpke_ctx_seal(cs, aad, sizeof(aad), msg_pt, sizeof(msg_pt), buf, sizeof(buf), &n, &err),
			 CCG_ERR_TOO_LARGE);
	assert_string_equal(err.where, "hpke.aad");
	assert_int_equal(ccg_hpke_ctx_seal(cs, aad, sizeof(aad) - 1, msg_pt, sizeof(msg_pt), buf, sizeof(buf), &n,
					   NULL),
			 CCG_OK);
	/* lengths past the bound with a small buffer: refused on the length alone */
	memset(&err, 0, sizeof(err));
	assert_int_equal(ccg_hpke_ctx_seal(cs, NULL, 0, buf, (size_t)CCG_HPKE_MAX_PT_LEN + 1, buf, sizeof(buf), &n,
					   &err),
			 CCG_ERR_TOO_LARGE);
	assert_string_equal(err.where, "hpke.pt");
	memset(&err, 0, sizeof(err));
	assert_int_equal(ccg_hpke_ctx_open(cr, NULL, 0, buf, (size_t)CCG_HPKE_MAX_PT_LEN + CCG_HPKE_TAG_LEN + 1, buf,
					   sizeof(buf), &n, &err),
			 CCG_ERR_TOO_LARGE);
	assert_string_equal(err.where, "hpke.ct");
	/* NULL with a length */
	assert_int_equal(ccg_hpke_ctx_seal(cs, NULL, 3, msg_pt, sizeof(msg_pt), buf, sizeof(buf), &n, NULL),
			 CCG_ERR_INVALID_ARG);
	assert_int_equal(ccg_hpke_ctx_seal(cs, NULL, 0, NULL, 3, buf, sizeof(buf), &n, NULL), CCG_ERR_INVALID_ARG);
	ccg_hpke_ctx_free(cs);
	ccg_hpke_ctx_free(cr);

	k = keypair(CCG_HPKE_X25519_SHA256_AES128GCM, pk, &pk_len);
	memset(&err, 0, sizeof(err));
	assert_int_equal(ccg_hpke_seal(CCG_HPKE_X25519_SHA256_AES128GCM, pk, pk_len, NULL, 0, NULL, 0, buf,
				       (size_t)CCG_HPKE_MAX_PT_LEN + 1, &sealed, &n, &err),
			 CCG_ERR_TOO_LARGE);
	assert_null(sealed);
	EVP_PKEY_free(k);
	k = NULL;
	assert_int_equal(ccg_hpke_keypair_derive(CCG_HPKE_P384_SHA384_AES256GCM, ikm, sizeof(ikm), &k, NULL),
			 CCG_ERR_INVALID_ARG);
	assert_int_equal(ccg_hpke_keypair_derive(CCG_HPKE_P384_SHA384_AES256GCM, ikm, sizeof(ikm) - 1, &k, NULL),
			 CCG_OK);
	EVP_PKEY_free(k);
}

static void test_export_bounds(void **state)
{
	(void)state;
	for (size_t s = 0; s < 2; s++) {
		struct ccg_hpke_ctx *cs = NULL, *cr = NULL;
		static uint8_t big[255 * 48 + 1], ctx_big[CCG_HPKE_MAX_EXPORTER_CONTEXT_LEN + 1];
		uint8_t a[CCG_HPKE_MAX_EXPORTER_CONTEXT_LEN], b[CCG_HPKE_MAX_EXPORTER_CONTEXT_LEN];
		size_t nh = both[s] == CCG_HPKE_P384_SHA384_AES256GCM ? 48 : 32;

		ctx_pair(both[s], &cs, &cr);
		/* the longest L and context allowed, equal on both sides */
		assert_int_equal(ccg_hpke_ctx_export(cs, ctx_big, sizeof(ctx_big) - 1, a, sizeof(a), NULL), CCG_OK);
		assert_int_equal(ccg_hpke_ctx_export(cr, ctx_big, sizeof(ctx_big) - 1, b, sizeof(b), NULL), CCG_OK);
		assert_memory_equal(a, b, sizeof(a));
		assert_int_equal(ccg_hpke_ctx_export(cs, NULL, 0, big, 255 * nh, NULL), CCG_OK);
		assert_int_equal(ccg_hpke_ctx_export(cs, NULL, 0, big, 255 * nh + 1, NULL), CCG_ERR_INVALID_ARG);
		assert_int_equal(ccg_hpke_ctx_export(cs, NULL, 0, big, 0, NULL), CCG_ERR_INVALID_ARG);
		assert_int_equal(ccg_hpke_ctx_export(cs, ctx_big, sizeof(ctx_big), a, 32, NULL), CCG_ERR_TOO_LARGE);
		ccg_hpke_ctx_free(cs);
		ccg_hpke_ctx_free(cr);
	}
}

static void test_arguments(void **state)
{
	static uint8_t huge_info[CCG_HPKE_MAX_INFO_LEN + 1];
	uint8_t pk[CCG_HPKE_MAX_PK_LEN], enc[CCG_HPKE_MAX_ENC_LEN];
	size_t pk_len = 0, enc_len = 0;
	struct ccg_hpke_ctx *c = NULL;
	enum ccg_hpke_suite suite;
	struct ccg_error err;
	uint16_t kem, kdf, aead;
	EVP_PKEY *k, *k2 = NULL;
	uint8_t ikm[48] = {7};

	(void)state;
	/* suite identifiers */
	assert_int_equal(ccg_hpke_suite_ids(CCG_HPKE_P384_SHA384_AES256GCM, &kem, &kdf, &aead), CCG_OK);
	assert_int_equal(kem, 0x0011);
	assert_int_equal(kdf, 0x0002);
	assert_int_equal(aead, 0x0002);
	assert_int_equal(ccg_hpke_suite_from_ids(0x0020, 0x0001, 0x0001, &suite, NULL), CCG_OK);
	assert_int_equal(suite, CCG_HPKE_X25519_SHA256_AES128GCM);
	memset(&err, 0, sizeof(err));
	assert_int_equal(ccg_hpke_suite_from_ids(0x0020, 0x0001, 0x0003, &suite, &err), CCG_ERR_UNSUPPORTED);
	assert_string_equal(err.where, "hpke.suite");
	assert_int_equal(ccg_hpke_suite_ids((enum ccg_hpke_suite)9, NULL, NULL, NULL), CCG_ERR_INVALID_ARG);
	assert_int_equal(ccg_hpke_enc_len((enum ccg_hpke_suite)9), 0);

	/* info over its bound, an enc buffer too small */
	k = keypair(CCG_HPKE_P384_SHA384_AES256GCM, pk, &pk_len);
	assert_int_equal(ccg_hpke_setup_s(CCG_HPKE_P384_SHA384_AES256GCM, pk, pk_len, huge_info, sizeof(huge_info), enc,
					  sizeof(enc), &enc_len, &c, NULL),
			 CCG_ERR_TOO_LARGE);
	assert_null(c);
	assert_int_equal(ccg_hpke_setup_s(CCG_HPKE_P384_SHA384_AES256GCM, pk, pk_len, NULL, 0, enc, 96, &enc_len, &c,
					  NULL),
			 CCG_ERR_INVALID_ARG);
	/* a public-only key cannot be the recipient's */
	assert_int_equal(ccg_hpke_public_key_parse(CCG_HPKE_P384_SHA384_AES256GCM, pk, pk_len, "t", &k2, NULL), CCG_OK);
	assert_int_equal(ccg_hpke_setup_s(CCG_HPKE_P384_SHA384_AES256GCM, pk, pk_len, NULL, 0, enc, sizeof(enc),
					  &enc_len, &c, NULL),
			 CCG_OK);
	ccg_hpke_ctx_free(c);
	c = NULL;
	assert_int_not_equal(ccg_hpke_setup_r(CCG_HPKE_P384_SHA384_AES256GCM, k2, enc, enc_len, NULL, 0, &c, NULL),
			     CCG_OK);
	assert_null(c);
	EVP_PKEY_free(k2);
	/* a P-256 key is an EC key of the wrong curve for the P-384 suite */
	k2 = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	assert_non_null(k2);
	memset(&err, 0, sizeof(err));
	assert_int_equal(ccg_hpke_public_key(CCG_HPKE_P384_SHA384_AES256GCM, k2, pk, sizeof(pk), &pk_len, &err),
			 CCG_ERR_INVALID_ARG);
	assert_string_equal(err.where, "hpke.key");
	memset(&err, 0, sizeof(err));
	assert_int_equal(ccg_hpke_setup_r(CCG_HPKE_P384_SHA384_AES256GCM, k2, enc, enc_len, NULL, 0, &c, &err),
			 CCG_ERR_INVALID_ARG);
	assert_string_equal(err.where, "hpke.skR");
	EVP_PKEY_free(k2);
	/* the X25519 suite will not take a P-384 key */
	memset(&err, 0, sizeof(err));
	assert_int_equal(ccg_hpke_public_key(CCG_HPKE_X25519_SHA256_AES128GCM, k, pk, sizeof(pk), &pk_len, &err),
			 CCG_ERR_INVALID_ARG);
	assert_string_equal(err.where, "hpke.key");
	EVP_PKEY_free(k);

	/* DeriveKeyPair: deterministic, and bounded */
	for (size_t s = 0; s < 2; s++) {
		uint8_t a[CCG_HPKE_MAX_PK_LEN], b[CCG_HPKE_MAX_PK_LEN];
		size_t a_len = 0, b_len = 0;

		assert_int_equal(ccg_hpke_keypair_derive(both[s], ikm, sizeof(ikm), &k, NULL), CCG_OK);
		assert_int_equal(ccg_hpke_keypair_derive(both[s], ikm, sizeof(ikm), &k2, NULL), CCG_OK);
		assert_int_equal(ccg_hpke_public_key(both[s], k, a, sizeof(a), &a_len, NULL), CCG_OK);
		assert_int_equal(ccg_hpke_public_key(both[s], k2, b, sizeof(b), &b_len, NULL), CCG_OK);
		assert_int_equal(a_len, b_len);
		assert_memory_equal(a, b, a_len);
		EVP_PKEY_free(k);
		EVP_PKEY_free(k2);
		assert_int_equal(ccg_hpke_keypair_derive(both[s], ikm, 0, &k, NULL), CCG_ERR_INVALID_ARG);
		assert_null(k);
	}
}

/*
 * the release aad: SHA-384 of the token text (computed here with OpenSSL's
 * one-shot SHA384, not the helper's path) ‖ contract ‖ 0x00 ‖ secret, and
 * names that cannot be bound refused; the info strings are the ones the
 * daemon, the party CLI and the guest put on the wire (docs/protocols.md)
 */
static void test_release_aad(void **state)
{
	static const char token[] = "eyJhbGciOiJFUzM4NCJ9.eyJ0ZXN0Ijp0cnVlfQ.c2ln";
	static const uint8_t want_tail[] = "contract-1\0model-key";
	uint8_t hash[SHA384_DIGEST_LENGTH], *aad = NULL;
	char long_name[CCG_HPKE_MAX_NAME_LEN + 2];
	size_t n = 0;
	struct ccg_error err;

	(void)state;
	assert_string_equal(CCG_HPKE_INFO_RELEASE, "ccgpu-release/v1");
	assert_string_equal(CCG_HPKE_INFO_UPLOAD, "ccgpu-secret-upload/v1");
	assert_non_null(SHA384((const unsigned char *)token, strlen(token), hash));
	assert_int_equal(ccg_hpke_release_aad(token, "contract-1", "model-key", &aad, &n, NULL), CCG_OK);
	assert_int_equal(n, sizeof(hash) + sizeof(want_tail) - 1);
	assert_memory_equal(aad, hash, sizeof(hash));
	assert_memory_equal(aad + sizeof(hash), want_tail, sizeof(want_tail) - 1);
	free(aad);
	/* another token, another hash */
	assert_int_equal(ccg_hpke_release_aad("x", "contract-1", "model-key", &aad, &n, NULL), CCG_OK);
	assert_memory_not_equal(aad, hash, sizeof(hash));
	free(aad);
	/* the separator keeps ("ab", "c") and ("a", "bc") apart */
	{
		uint8_t *a = NULL, *b = NULL;
		size_t an = 0, bn = 0;

		assert_int_equal(ccg_hpke_release_aad(token, "ab", "c", &a, &an, NULL), CCG_OK);
		assert_int_equal(ccg_hpke_release_aad(token, "a", "bc", &b, &bn, NULL), CCG_OK);
		assert_int_equal(an, bn);
		assert_memory_not_equal(a, b, an);
		free(a);
		free(b);
	}
	memset(&err, 0, sizeof(err));
	assert_int_equal(ccg_hpke_release_aad(NULL, "contract-1", "model-key", &aad, &n, &err), CCG_ERR_INVALID_ARG);
	assert_string_equal(err.where, "hpke.aad.token");
	memset(&err, 0, sizeof(err));
	assert_int_equal(ccg_hpke_release_aad(token, "", "model-key", &aad, &n, &err), CCG_ERR_INVALID_ARG);
	assert_string_equal(err.where, "hpke.aad.contract");
	memset(&err, 0, sizeof(err));
	assert_int_equal(ccg_hpke_release_aad(token, "contract-1", NULL, &aad, &n, &err), CCG_ERR_INVALID_ARG);
	assert_string_equal(err.where, "hpke.aad.secret");
	memset(long_name, 'n', sizeof(long_name) - 1);
	long_name[sizeof(long_name) - 1] = '\0';
	memset(&err, 0, sizeof(err));
	assert_int_equal(ccg_hpke_release_aad(token, "contract-1", long_name, &aad, &n, &err), CCG_ERR_TOO_LARGE);
	assert_string_equal(err.where, "hpke.aad.secret");
	assert_null(aad);
	long_name[sizeof(long_name) - 2] = '\0';
	assert_int_equal(ccg_hpke_release_aad(token, long_name, "model-key", &aad, &n, NULL), CCG_OK);
	free(aad);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_vector_x25519),   cmocka_unit_test(test_vector_p384),
		cmocka_unit_test(test_single_shot),     cmocka_unit_test(test_flip_and_truncate),
		cmocka_unit_test(test_wrong_recipient), cmocka_unit_test(test_invalid_public_keys),
		cmocka_unit_test(test_seq_overflow),    cmocka_unit_test(test_context_sequence),
		cmocka_unit_test(test_input_bounds),    cmocka_unit_test(test_export_bounds),
		cmocka_unit_test(test_arguments),       cmocka_unit_test(test_release_aad),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
