/* SPDX-License-Identifier: Apache-2.0 */
/*
 * HPKE (RFC 9180) mode base on OpenSSL 3.0's primitives: X25519 and P-384
 * ECDH through EVP_PKEY_derive, HKDF through EVP_KDF "HKDF" (EXTRACT_ONLY
 * for LabeledExtract, EXPAND_ONLY for LabeledExpand), AES-GCM through
 * EVP_aes_*_gcm. Section numbers below are RFC 9180's.
 *
 * OpenSSL 3.2 brought OSSL_HPKE_*; Debian 12 ships 3.0, so this file is the
 * implementation ccgpu builds and tests. It is checked against RFC 9180's
 * published vectors (tests/unit/test_hpke.c), so a later switch to
 * OSSL_HPKE_* keeps the same bytes on the wire.
 */
#include "common/hpke.h"

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/kdf.h>
#include <openssl/obj_mac.h>
#include <openssl/param_build.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "common/crypto.h"
#include "common/error.h"
#include "common/hpke_internal.h"
#include "common/secret.h"
#include "common/writer.h"

#define NN 12 /* AES-GCM nonce */
#define NT 16 /* AES-GCM tag */
#define MAX_NK 32

struct suite {
	enum ccg_hpke_suite id;
	uint16_t kem_id, kdf_id, aead_id;
	const char *kem_md; /* the KEM's own KDF */
	const char *kdf_md; /* the suite's KDF */
	size_t n_secret;    /* KEM shared secret */
	size_t n_enc;       /* = Npk */
	size_t n_sk;        /* private key / DH output */
	size_t n_h;         /* KDF output */
	size_t n_k;         /* AEAD key */
	bool x25519;
	const EVP_CIPHER *(*cipher)(void);
};

static const struct suite suites[] = {
	{CCG_HPKE_P384_SHA384_AES256GCM, CCG_HPKE_KEM_P384_SHA384, CCG_HPKE_KDF_SHA384, CCG_HPKE_AEAD_AES256GCM,
	 "SHA384", "SHA384", 48, 97, 48, 48, 32, false, EVP_aes_256_gcm},
	{CCG_HPKE_X25519_SHA256_AES128GCM, CCG_HPKE_KEM_X25519_SHA256, CCG_HPKE_KDF_SHA256, CCG_HPKE_AEAD_AES128GCM,
	 "SHA256", "SHA256", 32, 32, 32, 32, 16, true, EVP_aes_128_gcm},
};

/* the key schedule's outputs, in one secret buffer: key ‖ base_nonce ‖ exporter_secret */
struct ccg_hpke_ctx {
	const struct suite *s;
	struct ccg_secret *ks;
	uint64_t seq;
	bool sender;
	bool no_export; /* made by ccg_hpke_ctx_from_key: it has no exporter secret */
};

#define KS_KEY(c) ((c)->ks->data)
#define KS_NONCE(c) ((c)->ks->data + MAX_NK)
#define KS_EXP(c) ((c)->ks->data + MAX_NK + NN)
#define KS_LEN (MAX_NK + NN + CCG_HPKE_MAX_NH)

static const struct suite *suite_get(enum ccg_hpke_suite id)
{
	for (size_t i = 0; i < sizeof(suites) / sizeof(suites[0]); i++)
		if (suites[i].id == id)
			return &suites[i];
	return NULL;
}

enum ccg_status ccg_hpke_suite_ids(enum ccg_hpke_suite suite, uint16_t *kem_id, uint16_t *kdf_id, uint16_t *aead_id)
{
	const struct suite *s = suite_get(suite);

	if (s == NULL)
		return CCG_ERR_INVALID_ARG;
	if (kem_id != NULL)
		*kem_id = s->kem_id;
	if (kdf_id != NULL)
		*kdf_id = s->kdf_id;
	if (aead_id != NULL)
		*aead_id = s->aead_id;
	return CCG_OK;
}

enum ccg_status ccg_hpke_suite_from_ids(uint16_t kem_id, uint16_t kdf_id, uint16_t aead_id, enum ccg_hpke_suite *out,
					struct ccg_error *err)
{
	for (size_t i = 0; i < sizeof(suites) / sizeof(suites[0]); i++)
		if (suites[i].kem_id == kem_id && suites[i].kdf_id == kdf_id && suites[i].aead_id == aead_id) {
			*out = suites[i].id;
			return CCG_OK;
		}
	return ccg_error_set(err, CCG_ERR_UNSUPPORTED, "hpke.suite",
			     "KEM 0x%04x, KDF 0x%04x, AEAD 0x%04x is not a suite ccgpu accepts", kem_id, kdf_id,
			     aead_id);
}

size_t ccg_hpke_enc_len(enum ccg_hpke_suite suite)
{
	const struct suite *s = suite_get(suite);

	return s != NULL ? s->n_enc : 0;
}

size_t ccg_hpke_sealed_len(enum ccg_hpke_suite suite, size_t pt_len)
{
	const struct suite *s = suite_get(suite);

	return s != NULL ? s->n_enc + pt_len + NT : 0;
}

/* ---------- HKDF and the labeled forms (§4) ---------- */

/* HKDF is fetched once (a provider lookup per call cost a third of an X25519 open, bench/hpke) */
static EVP_KDF *hkdf_kdf;
static pthread_once_t hkdf_once = PTHREAD_ONCE_INIT;

static void hkdf_fetch(void)
{
	hkdf_kdf = EVP_KDF_fetch(NULL, "HKDF", NULL);
}

static enum ccg_status hkdf(const char *md, int mode, const uint8_t *salt, size_t salt_len, const uint8_t *key,
			    size_t key_len, const uint8_t *info, size_t info_len, uint8_t *out, size_t out_len,
			    struct ccg_error *err)
{
	EVP_KDF_CTX *c =
		pthread_once(&hkdf_once, hkdf_fetch) == 0 && hkdf_kdf != NULL ? EVP_KDF_CTX_new(hkdf_kdf) : NULL;
	OSSL_PARAM p[6], *q = p;
	enum ccg_status st = CCG_OK;

	*q++ = OSSL_PARAM_construct_int(OSSL_KDF_PARAM_MODE, &mode);
	*q++ = OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, (char *)md, 0);
	*q++ = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY, (void *)key, key_len);
	/* an absent salt is HashLen zero bytes (RFC 5869 §2.2), which OpenSSL's HMAC gives for an empty key */
	if (salt_len > 0)
		*q++ = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SALT, (void *)salt, salt_len);
	if (info_len > 0)
		*q++ = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO, (void *)info, info_len);
	*q = OSSL_PARAM_construct_end();
	if (c == NULL || EVP_KDF_derive(c, out, out_len, p) != 1)
		st = ccg_openssl_error(err, CCG_ERR_CRYPTO, "hpke.hkdf", "HKDF failed");
	EVP_KDF_CTX_free(c);
	return st;
}

/*
 * LabeledExtract(salt, label, ikm) = Extract(salt, "HPKE-v1" ‖ suite_id ‖ label ‖ ikm).
 * The labeled input may hold a DH result or ikm: it is wiped before it is freed.
 */
static enum ccg_status labeled_extract(const char *md, size_t n_h, const uint8_t *suite_id, size_t suite_id_len,
				       const uint8_t *salt, size_t salt_len, const char *label, const uint8_t *ikm,
				       size_t ikm_len, uint8_t *out, struct ccg_error *err)
{
	size_t label_len = strlen(label), n = 7 + suite_id_len + label_len + ikm_len;
	uint8_t *buf = malloc(n);
	enum ccg_status st;

	if (buf == NULL)
		return ccg_error_set(err, CCG_ERR_NOMEM, "hpke.hkdf", NULL);
	memcpy(buf, "HPKE-v1", 7);
	memcpy(buf + 7, suite_id, suite_id_len);
	memcpy(buf + 7 + suite_id_len, label, label_len);
	if (ikm_len > 0)
		memcpy(buf + 7 + suite_id_len + label_len, ikm, ikm_len);
	st = hkdf(md, EVP_KDF_HKDF_MODE_EXTRACT_ONLY, salt, salt_len, buf, n, NULL, 0, out, n_h, err);
	OPENSSL_cleanse(buf, n);
	free(buf);
	return st;
}

/* LabeledExpand(prk, label, info, L) = Expand(prk, I2OSP(L, 2) ‖ "HPKE-v1" ‖ suite_id ‖ label ‖ info, L). */
static enum ccg_status labeled_expand(const char *md, const uint8_t *suite_id, size_t suite_id_len, const uint8_t *prk,
				      size_t prk_len, const char *label, const uint8_t *info, size_t info_len,
				      uint8_t *out, size_t out_len, struct ccg_error *err)
{
	size_t label_len = strlen(label), n = 2 + 7 + suite_id_len + label_len + info_len;
	struct ccg_writer w;
	uint8_t *buf;
	enum ccg_status st;

	/* L <= 255 × Nh < 65536: callers bound it (ccg_hpke_ctx_export) */
	if ((buf = malloc(n)) == NULL)
		return ccg_error_set(err, CCG_ERR_NOMEM, "hpke.hkdf", NULL);
	/* labeled_info = I2OSP(L, 2) || "HPKE-v1" || suite_id || label || info */
	ccg_writer_init_fixed(&w, buf, n);
	if (!ccg_writer_put_u16be(&w, (uint16_t)out_len) || !ccg_writer_put_bytes(&w, "HPKE-v1", 7) ||
	    !ccg_writer_put_bytes(&w, suite_id, suite_id_len) || !ccg_writer_put_bytes(&w, label, label_len) ||
	    !ccg_writer_put_bytes(&w, info, info_len))
		st = ccg_writer_finish(&w, NULL, "hpke.hkdf", err);
	else
		st = hkdf(md, EVP_KDF_HKDF_MODE_EXPAND_ONLY, NULL, 0, prk, prk_len, buf, n, out, out_len, err);
	OPENSSL_cleanse(buf, n);
	free(buf);
	return st;
}

/* suite_id = "KEM" || I2OSP(kem_id, 2) */
static enum ccg_status kem_suite_id(const struct suite *s, uint8_t out[5], struct ccg_error *err)
{
	struct ccg_writer w;

	ccg_writer_init_fixed(&w, out, 5);
	if (!ccg_writer_put_bytes(&w, "KEM", 3) || !ccg_writer_put_u16be(&w, s->kem_id))
		return ccg_writer_finish(&w, NULL, "hpke.suite_id", err);
	return CCG_OK;
}

/* suite_id = "HPKE" || I2OSP(kem_id, 2) || I2OSP(kdf_id, 2) || I2OSP(aead_id, 2) */
static enum ccg_status hpke_suite_id(const struct suite *s, uint8_t out[10], struct ccg_error *err)
{
	struct ccg_writer w;

	ccg_writer_init_fixed(&w, out, 10);
	if (!ccg_writer_put_bytes(&w, "HPKE", 4) || !ccg_writer_put_u16be(&w, s->kem_id) ||
	    !ccg_writer_put_u16be(&w, s->kdf_id) || !ccg_writer_put_u16be(&w, s->aead_id))
		return ccg_writer_finish(&w, NULL, "hpke.suite_id", err);
	return CCG_OK;
}

/* ---------- keys (§4.1, §7.1) ---------- */

/* key is a key of the suite's KEM (type and curve) */
static bool key_fits(const struct suite *s, EVP_PKEY *key)
{
	char group[64];
	size_t n = 0;

	if (key == NULL)
		return false;
	if (s->x25519)
		return EVP_PKEY_is_a(key, "X25519") == 1;
	/* only an EC key has the group secp384r1 */
	if (EVP_PKEY_get_utf8_string_param(key, OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof(group), &n) != 1) {
		ERR_clear_error();
		return false;
	}
	return strcmp(group, "secp384r1") == 0 || strcmp(group, "P-384") == 0;
}

enum ccg_status ccg_hpke_public_key(enum ccg_hpke_suite suite, EVP_PKEY *key, uint8_t *out, size_t out_cap,
				    size_t *out_len, struct ccg_error *err)
{
	const struct suite *s = suite_get(suite);
	size_t n = 0;

	if (s == NULL || out == NULL || out_len == NULL)
		return ccg_error_set(err, CCG_ERR_INVALID_ARG, "hpke.key", "no suite or output");
	if (!key_fits(s, key))
		return ccg_error_set(err, CCG_ERR_INVALID_ARG, "hpke.key", "not a %s key",
				     s->x25519 ? "X25519" : "P-384");
	if (out_cap < s->n_enc)
		return ccg_error_set(err, CCG_ERR_INVALID_ARG, "hpke.key", "output of %zu bytes, need %zu", out_cap,
				     s->n_enc);
	if (s->x25519) {
		n = out_cap;
		if (EVP_PKEY_get_raw_public_key(key, out, &n) != 1 || n != s->n_enc)
			return ccg_openssl_error(err, CCG_ERR_CRYPTO, "hpke.key", "X25519 public key");
	} else {
		/* SerializePublicKey: the uncompressed SEC1 point 0x04 ‖ X ‖ Y, whatever form the key was loaded in */
		BIGNUM *x = NULL, *y = NULL;
		bool ok = EVP_PKEY_get_bn_param(key, OSSL_PKEY_PARAM_EC_PUB_X, &x) == 1 &&
			  EVP_PKEY_get_bn_param(key, OSSL_PKEY_PARAM_EC_PUB_Y, &y) == 1 &&
			  BN_bn2binpad(x, out + 1, 48) == 48 && BN_bn2binpad(y, out + 49, 48) == 48;

		BN_free(x);
		BN_free(y);
		if (!ok)
			return ccg_openssl_error(err, CCG_ERR_CRYPTO, "hpke.key", "P-384 public key");
		out[0] = 0x04;
		n = s->n_enc;
	}
	*out_len = n;
	return CCG_OK;
}

enum ccg_status ccg_hpke_public_key_parse(enum ccg_hpke_suite suite, const uint8_t *pk, size_t pk_len,
					  const char *where, EVP_PKEY **out, struct ccg_error *err)
{
	const struct suite *s = suite_get(suite);
	EVP_PKEY_CTX *pc = NULL;
	OSSL_PARAM p[3];
	enum ccg_status st = CCG_OK;

	*out = NULL;
	if (s == NULL)
		return ccg_error_set(err, CCG_ERR_INVALID_ARG, where, "unknown suite");
	if (pk == NULL || pk_len != s->n_enc)
		return ccg_error_set(err, CCG_ERR_MALFORMED, where, "%zu bytes, a %s public key has %zu", pk_len,
				     s->x25519 ? "X25519" : "P-384", s->n_enc);
	if (s->x25519) {
		/* any 32 bytes decode; low-order points are refused where the DH result is zero */
		if ((*out = EVP_PKEY_new_raw_public_key(EVP_PKEY_X25519, NULL, pk, pk_len)) == NULL)
			return ccg_openssl_error(err, CCG_ERR_MALFORMED, where, "not an X25519 public key");
		return CCG_OK;
	}
	/* OpenSSL would also take the hybrid forms 0x06/0x07; RFC 9180 §7.1.1 allows only 0x04 */
	if (pk[0] != 0x04)
		return ccg_error_set(err, CCG_ERR_MALFORMED, where, "point form 0x%02x, need 0x04 (uncompressed)",
				     pk[0]);
	p[0] = OSSL_PARAM_construct_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME, (char *)"P-384", 0);
	p[1] = OSSL_PARAM_construct_octet_string(OSSL_PKEY_PARAM_PUB_KEY, (void *)pk, pk_len);
	p[2] = OSSL_PARAM_construct_end();
	/* the decoder refuses a point that is not on the curve (validation, §7.1.4) */
	if ((pc = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL)) == NULL || EVP_PKEY_fromdata_init(pc) != 1 ||
	    EVP_PKEY_fromdata(pc, out, EVP_PKEY_PUBLIC_KEY, p) != 1) {
		EVP_PKEY_free(*out);
		*out = NULL;
		st = ccg_openssl_error(err, CCG_ERR_MALFORMED, where, "not a point on P-384");
	}
	EVP_PKEY_CTX_free(pc);
	return st;
}

enum ccg_status ccg_hpke_keypair_generate(enum ccg_hpke_suite suite, EVP_PKEY **out, struct ccg_error *err)
{
	const struct suite *s = suite_get(suite);

	*out = NULL;
	if (s == NULL)
		return ccg_error_set(err, CCG_ERR_INVALID_ARG, "hpke.keygen", "unknown suite");
	*out = s->x25519 ? EVP_PKEY_Q_keygen(NULL, NULL, "X25519") : EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-384");
	if (*out == NULL)
		return ccg_openssl_error(err, CCG_ERR_CRYPTO, "hpke.keygen", "key generation failed");
	return CCG_OK;
}

/* a P-384 key pair from the scalar sk (1 <= sk < order, checked by the caller) */
static enum ccg_status p384_from_scalar(const BIGNUM *sk, EVP_PKEY **out, struct ccg_error *err)
{
	EC_GROUP *g = EC_GROUP_new_by_curve_name(NID_secp384r1);
	EC_POINT *pt = g != NULL ? EC_POINT_new(g) : NULL;
	BN_CTX *bn = BN_CTX_new();
	OSSL_PARAM_BLD *b = OSSL_PARAM_BLD_new();
	OSSL_PARAM *p = NULL;
	EVP_PKEY_CTX *pc = NULL;
	uint8_t pub[97];
	enum ccg_status st = CCG_OK;

	if (pt == NULL || bn == NULL || b == NULL || EC_POINT_mul(g, pt, sk, NULL, NULL, bn) != 1 ||
	    EC_POINT_point2oct(g, pt, POINT_CONVERSION_UNCOMPRESSED, pub, sizeof(pub), bn) != sizeof(pub) ||
	    OSSL_PARAM_BLD_push_utf8_string(b, OSSL_PKEY_PARAM_GROUP_NAME, "P-384", 0) != 1 ||
	    OSSL_PARAM_BLD_push_octet_string(b, OSSL_PKEY_PARAM_PUB_KEY, pub, sizeof(pub)) != 1 ||
	    OSSL_PARAM_BLD_push_BN(b, OSSL_PKEY_PARAM_PRIV_KEY, sk) != 1 || (p = OSSL_PARAM_BLD_to_param(b)) == NULL ||
	    (pc = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL)) == NULL || EVP_PKEY_fromdata_init(pc) != 1 ||
	    EVP_PKEY_fromdata(pc, out, EVP_PKEY_KEYPAIR, p) != 1)
		st = ccg_openssl_error(err, CCG_ERR_CRYPTO, "hpke.derive", "P-384 key from scalar");
	EVP_PKEY_CTX_free(pc);
	OSSL_PARAM_free(p); /* OSSL_PARAM_BLD copied the scalar into secure memory, freed clean */
	OSSL_PARAM_BLD_free(b);
	BN_CTX_free(bn);
	EC_POINT_free(pt);
	EC_GROUP_free(g);
	return st;
}

enum ccg_status ccg_hpke_keypair_derive(enum ccg_hpke_suite suite, const uint8_t *ikm, size_t ikm_len, EVP_PKEY **out,
					struct ccg_error *err)
{
	const struct suite *s = suite_get(suite);
	struct ccg_secret *w = NULL; /* dkp_prk ‖ candidate */
	uint8_t sid[5];
	EC_GROUP *g = NULL;
	BIGNUM *sk = NULL;
	enum ccg_status st;

	*out = NULL;
	if (s == NULL)
		return ccg_error_set(err, CCG_ERR_INVALID_ARG, "hpke.derive", "unknown suite");
	if (ikm == NULL || ikm_len == 0 || ikm_len > CCG_HPKE_MAX_IKM_LEN)
		return ccg_error_set(err, CCG_ERR_INVALID_ARG, "hpke.derive", "ikm of %zu bytes, need 1..%u", ikm_len,
				     CCG_HPKE_MAX_IKM_LEN);
	if ((st = ccg_secret_new(2 * CCG_HPKE_MAX_NH, &w)) != CCG_OK)
		return ccg_error_set(err, st, "hpke.derive", NULL);
	if ((st = kem_suite_id(s, sid, err)) != CCG_OK ||
	    (st = labeled_extract(s->kem_md, s->n_secret, sid, sizeof(sid), NULL, 0, "dkp_prk", ikm, ikm_len, w->data,
				  err)) != CCG_OK)
		goto out;
	if (s->x25519) {
		/* §7.1.3: sk = LabeledExpand(dkp_prk, "sk", "", Nsk); X25519 clamps when it uses it */
		if ((st = labeled_expand(s->kem_md, sid, sizeof(sid), w->data, s->n_secret, "sk", NULL, 0,
					 w->data + CCG_HPKE_MAX_NH, s->n_sk, err)) != CCG_OK)
			goto out;
		if ((*out = EVP_PKEY_new_raw_private_key(EVP_PKEY_X25519, NULL, w->data + CCG_HPKE_MAX_NH, s->n_sk)) ==
		    NULL)
			st = ccg_openssl_error(err, CCG_ERR_CRYPTO, "hpke.derive", "X25519 key");
		goto out;
	}
	/* §7.1.3 for the NIST curves: the first candidate in [1, order) (bitmask 0xff for P-384) */
	if ((g = EC_GROUP_new_by_curve_name(NID_secp384r1)) == NULL || (sk = BN_secure_new()) == NULL) {
		st = ccg_openssl_error(err, CCG_ERR_NOMEM, "hpke.derive", "P-384 group");
		goto out;
	}
	for (unsigned counter = 0;; counter++) {
		uint8_t ctr = (uint8_t)counter;

		if (counter > 255) {
			st = ccg_error_set(err, CCG_ERR_CRYPTO, "hpke.derive",
					   "no valid P-384 scalar in 256 candidates");
			goto out;
		}
		if ((st = labeled_expand(s->kem_md, sid, sizeof(sid), w->data, s->n_secret, "candidate", &ctr, 1,
					 w->data + CCG_HPKE_MAX_NH, s->n_sk, err)) != CCG_OK)
			goto out;
		if (BN_bin2bn(w->data + CCG_HPKE_MAX_NH, (int)s->n_sk, sk) == NULL) {
			st = ccg_openssl_error(err, CCG_ERR_NOMEM, "hpke.derive", "scalar");
			goto out;
		}
		if (!BN_is_zero(sk) && BN_cmp(sk, EC_GROUP_get0_order(g)) < 0)
			break;
	}
	st = p384_from_scalar(sk, out, err);
out:
	BN_clear_free(sk);
	EC_GROUP_free(g);
	ccg_secret_free(w);
	return st;
}

/* DH(sk, pk) into out (n_sk bytes). OpenSSL refuses an X25519 result of all zeros (§7.1.4). */
static enum ccg_status dh(const struct suite *s, EVP_PKEY *sk, EVP_PKEY *pk, uint8_t *out, struct ccg_error *err)
{
	EVP_PKEY_CTX *c = EVP_PKEY_CTX_new_from_pkey(NULL, sk, NULL);
	size_t n = s->n_sk;
	enum ccg_status st = CCG_OK;

	if (c == NULL || EVP_PKEY_derive_init(c) != 1) {
		st = ccg_openssl_error(err, CCG_ERR_CRYPTO, "hpke.dh", "key agreement setup");
	} else if (EVP_PKEY_derive_set_peer_ex(c, pk, 1) != 1 || EVP_PKEY_derive(c, out, &n) != 1) {
		/* both key types give exactly Ndh bytes (P-384: X padded to 48); the keys were checked to fit */
		st = ccg_openssl_error(err, CCG_ERR_MALFORMED, "hpke.dh",
				       "key agreement refused (invalid or low-order public key)");
	}
	EVP_PKEY_CTX_free(c);
	return st;
}

/* ExtractAndExpand(dh, kem_context) (§4.1) */
static enum ccg_status extract_and_expand(const struct suite *s, const uint8_t *dhv, const uint8_t *kem_context,
					  size_t kem_context_len, uint8_t *prk, uint8_t *shared_secret,
					  struct ccg_error *err)
{
	uint8_t sid[5];
	enum ccg_status st;

	if ((st = kem_suite_id(s, sid, err)) != CCG_OK ||
	    (st = labeled_extract(s->kem_md, s->n_secret, sid, sizeof(sid), NULL, 0, "eae_prk", dhv, s->n_sk, prk,
				  err)) != CCG_OK)
		return st;
	return labeled_expand(s->kem_md, sid, sizeof(sid), prk, s->n_secret, "shared_secret", kem_context,
			      kem_context_len, shared_secret, s->n_secret, err);
}

/* scratch secrets of one setup: dh ‖ eae_prk ‖ shared_secret ‖ psk_id_hash/info_hash ‖ secret */
#define W_DH 0
#define W_PRK (1 * CCG_HPKE_MAX_NH)
#define W_SS (2 * CCG_HPKE_MAX_NH)
#define W_SECRET (3 * CCG_HPKE_MAX_NH)
#define W_LEN (4 * CCG_HPKE_MAX_NH)

/* KeySchedule(mode_base, shared_secret, info, "", "") (§5.1) into a new context */
static enum ccg_status key_schedule(const struct suite *s, bool sender, const uint8_t *shared_secret, uint8_t *secret,
				    const uint8_t *info, size_t info_len, struct ccg_hpke_ctx **out,
				    struct ccg_hpke_trace *trace, struct ccg_error *err)
{
	struct ccg_hpke_ctx *c = NULL;
	uint8_t sid[10], ksc[1 + 2 * CCG_HPKE_MAX_NH];
	size_t ksc_len = 1 + 2 * s->n_h;
	enum ccg_status st;

	ksc[0] = CCG_HPKE_MODE_BASE;
	if ((st = hpke_suite_id(s, sid, err)) != CCG_OK ||
	    (st = labeled_extract(s->kdf_md, s->n_h, sid, sizeof(sid), NULL, 0, "psk_id_hash", NULL, 0, ksc + 1,
				  err)) != CCG_OK ||
	    (st = labeled_extract(s->kdf_md, s->n_h, sid, sizeof(sid), NULL, 0, "info_hash", info, info_len,
				  ksc + 1 + s->n_h, err)) != CCG_OK ||
	    (st = labeled_extract(s->kdf_md, s->n_h, sid, sizeof(sid), shared_secret, s->n_secret, "secret", NULL, 0,
				  secret, err)) != CCG_OK)
		return st;
	if ((c = calloc(1, sizeof(*c))) == NULL)
		return ccg_error_set(err, CCG_ERR_NOMEM, "hpke.ctx", NULL);
	c->s = s;
	c->sender = sender;
	if ((st = ccg_secret_new(KS_LEN, &c->ks)) != CCG_OK) {
		st = ccg_error_set(err, st, "hpke.ctx", NULL);
		goto out;
	}
	if ((st = labeled_expand(s->kdf_md, sid, sizeof(sid), secret, s->n_h, "key", ksc, ksc_len, KS_KEY(c), s->n_k,
				 err)) != CCG_OK ||
	    (st = labeled_expand(s->kdf_md, sid, sizeof(sid), secret, s->n_h, "base_nonce", ksc, ksc_len, KS_NONCE(c),
				 NN, err)) != CCG_OK ||
	    (st = labeled_expand(s->kdf_md, sid, sizeof(sid), secret, s->n_h, "exp", ksc, ksc_len, KS_EXP(c), s->n_h,
				 err)) != CCG_OK)
		goto out;
	if (trace != NULL) {
		memcpy(trace->shared_secret, shared_secret, s->n_secret);
		trace->shared_secret_len = s->n_secret;
		memcpy(trace->key_schedule_context, ksc, ksc_len);
		trace->key_schedule_context_len = ksc_len;
		memcpy(trace->secret, secret, s->n_h);
		trace->secret_len = s->n_h;
	}
	*out = c;
	c = NULL;
out:
	ccg_hpke_ctx_free(c);
	return st;
}

static enum ccg_status check_setup_args(const struct suite *s, const uint8_t *info, size_t info_len,
					struct ccg_hpke_ctx **out, struct ccg_error *err)
{
	if (s == NULL || out == NULL)
		return ccg_error_set(err, CCG_ERR_INVALID_ARG, "hpke.setup", "unknown suite or no output");
	*out = NULL;
	if (info == NULL && info_len != 0)
		return ccg_error_set(err, CCG_ERR_INVALID_ARG, "hpke.info", "NULL with a length");
	if (info_len > CCG_HPKE_MAX_INFO_LEN)
		return ccg_error_set(err, CCG_ERR_TOO_LARGE, "hpke.info", "%zu bytes, at most %u", info_len,
				     CCG_HPKE_MAX_INFO_LEN);
	return CCG_OK;
}

enum ccg_status ccg_hpke_setup_s_fixed(enum ccg_hpke_suite suite, const uint8_t *pkR, size_t pkR_len, EVP_PKEY *skE,
				       const uint8_t *info, size_t info_len, uint8_t *enc, size_t enc_cap,
				       size_t *enc_len, struct ccg_hpke_ctx **out, struct ccg_hpke_trace *trace,
				       struct ccg_error *err)
{
	const struct suite *s = suite_get(suite);
	EVP_PKEY *pk = NULL;
	struct ccg_secret *w = NULL;
	uint8_t kem_context[2 * CCG_HPKE_MAX_PK_LEN];
	size_t n = 0;
	enum ccg_status st;

	if ((st = check_setup_args(s, info, info_len, out, err)) != CCG_OK)
		return st;
	if (enc == NULL || enc_len == NULL || enc_cap < s->n_enc)
		return ccg_error_set(err, CCG_ERR_INVALID_ARG, "hpke.enc", "output of %zu bytes, need %zu", enc_cap,
				     s->n_enc);
	if ((st = ccg_hpke_public_key_parse(suite, pkR, pkR_len, "hpke.pkR", &pk, err)) != CCG_OK)
		return st;
	if ((st = ccg_secret_new(W_LEN, &w)) != CCG_OK) {
		st = ccg_error_set(err, st, "hpke.setup", NULL);
		goto out;
	}
	/* Encap(pkR) (§4.1): enc = SerializePublicKey(pkE), kem_context = enc ‖ pkRm */
	if ((st = ccg_hpke_public_key(suite, skE, kem_context, sizeof(kem_context), &n, err)) != CCG_OK ||
	    (st = dh(s, skE, pk, w->data + W_DH, err)) != CCG_OK)
		goto out;
	memcpy(kem_context + s->n_enc, pkR, pkR_len);
	if ((st = extract_and_expand(s, w->data + W_DH, kem_context, 2 * s->n_enc, w->data + W_PRK, w->data + W_SS,
				     err)) != CCG_OK ||
	    (st = key_schedule(s, true, w->data + W_SS, w->data + W_SECRET, info, info_len, out, trace, err)) != CCG_OK)
		goto out;
	memcpy(enc, kem_context, s->n_enc);
	*enc_len = s->n_enc;
out:
	ccg_secret_free(w);
	EVP_PKEY_free(pk);
	return st;
}

enum ccg_status ccg_hpke_setup_s(enum ccg_hpke_suite suite, const uint8_t *pkR, size_t pkR_len, const uint8_t *info,
				 size_t info_len, uint8_t *enc, size_t enc_cap, size_t *enc_len,
				 struct ccg_hpke_ctx **out, struct ccg_error *err)
{
	EVP_PKEY *skE = NULL;
	enum ccg_status st;

	if (out != NULL)
		*out = NULL;
	if ((st = ccg_hpke_keypair_generate(suite, &skE, err)) != CCG_OK)
		return st;
	st = ccg_hpke_setup_s_fixed(suite, pkR, pkR_len, skE, info, info_len, enc, enc_cap, enc_len, out, NULL, err);
	EVP_PKEY_free(skE);
	return st;
}

enum ccg_status ccg_hpke_setup_r_traced(enum ccg_hpke_suite suite, EVP_PKEY *skR, const uint8_t *enc, size_t enc_len,
					const uint8_t *info, size_t info_len, struct ccg_hpke_ctx **out,
					struct ccg_hpke_trace *trace, struct ccg_error *err)
{
	const struct suite *s = suite_get(suite);
	EVP_PKEY *pkE = NULL;
	struct ccg_secret *w = NULL;
	uint8_t kem_context[2 * CCG_HPKE_MAX_PK_LEN];
	size_t n = 0;
	enum ccg_status st;

	if ((st = check_setup_args(s, info, info_len, out, err)) != CCG_OK)
		return st;
	if (!key_fits(s, skR))
		return ccg_error_set(err, CCG_ERR_INVALID_ARG, "hpke.skR", "not a %s key",
				     s->x25519 ? "X25519" : "P-384");
	/* Decap(enc, skR) (§4.1): pkE = DeserializePublicKey(enc), kem_context = enc ‖ pkRm */
	if ((st = ccg_hpke_public_key_parse(suite, enc, enc_len, "hpke.enc", &pkE, err)) != CCG_OK)
		return st;
	if ((st = ccg_secret_new(W_LEN, &w)) != CCG_OK) {
		st = ccg_error_set(err, st, "hpke.setup", NULL);
		goto out;
	}
	memcpy(kem_context, enc, enc_len);
	if ((st = ccg_hpke_public_key(suite, skR, kem_context + s->n_enc, sizeof(kem_context) - s->n_enc, &n, err)) !=
		    CCG_OK ||
	    (st = dh(s, skR, pkE, w->data + W_DH, err)) != CCG_OK ||
	    (st = extract_and_expand(s, w->data + W_DH, kem_context, 2 * s->n_enc, w->data + W_PRK, w->data + W_SS,
				     err)) != CCG_OK)
		goto out;
	st = key_schedule(s, false, w->data + W_SS, w->data + W_SECRET, info, info_len, out, trace, err);
out:
	ccg_secret_free(w);
	EVP_PKEY_free(pkE);
	return st;
}

enum ccg_status ccg_hpke_setup_r(enum ccg_hpke_suite suite, EVP_PKEY *skR, const uint8_t *enc, size_t enc_len,
				 const uint8_t *info, size_t info_len, struct ccg_hpke_ctx **out, struct ccg_error *err)
{
	return ccg_hpke_setup_r_traced(suite, skR, enc, enc_len, info, info_len, out, NULL, err);
}

void ccg_hpke_ctx_free(struct ccg_hpke_ctx *ctx)
{
	if (ctx == NULL)
		return;
	ccg_secret_free(ctx->ks);
	free(ctx);
}

uint64_t ccg_hpke_ctx_seq(const struct ccg_hpke_ctx *ctx)
{
	return ctx != NULL ? ctx->seq : 0;
}

void ccg_hpke_ctx_set_seq(struct ccg_hpke_ctx *ctx, uint64_t seq)
{
	ctx->seq = seq;
}

void ccg_hpke_ctx_key(const struct ccg_hpke_ctx *ctx, const uint8_t **key, size_t *key_len, const uint8_t **base_nonce,
		      size_t *base_nonce_len, const uint8_t **exporter_secret, size_t *exporter_secret_len)
{
	*key = KS_KEY(ctx);
	*key_len = ctx->s->n_k;
	*base_nonce = KS_NONCE(ctx);
	*base_nonce_len = NN;
	*exporter_secret = KS_EXP(ctx);
	*exporter_secret_len = ctx->s->n_h;
}

/* ---------- encryption and export (§5.2, §5.3) ---------- */

/* ComputeNonce(seq) = base_nonce XOR I2OSP(seq, Nn); refuses a sequence number that cannot advance */
static enum ccg_status compute_nonce(const struct ccg_hpke_ctx *c, uint8_t nonce[NN], struct ccg_error *err)
{
	if (c->seq == UINT64_MAX)
		return ccg_error_set(err, CCG_ERR_KEY_EXHAUSTED, "hpke.seq",
				     "sequence number exhausted: set up a new context");
	memcpy(nonce, KS_NONCE(c), NN);
	for (int i = 0; i < 8; i++)
		nonce[NN - 1 - i] ^= (uint8_t)(c->seq >> (8 * i));
	return CCG_OK;
}

static enum ccg_status check_aead_args(const struct ccg_hpke_ctx *ctx, bool seal, const uint8_t *aad, size_t aad_len,
				       const uint8_t *in, size_t in_len, const uint8_t *out, size_t out_need,
				       size_t out_cap, const size_t *out_len, struct ccg_error *err)
{
	const char *where = seal ? "hpke.seal" : "hpke.open";

	if (ctx == NULL || out_len == NULL || (in == NULL && in_len != 0) || (aad == NULL && aad_len != 0))
		return ccg_error_set(err, CCG_ERR_INVALID_ARG, where, "NULL argument");
	if (ctx->sender != seal)
		return ccg_error_set(err, CCG_ERR_INVALID_ARG, where, "a %s context cannot %s",
				     ctx->sender ? "sender" : "recipient", seal ? "seal" : "open");
	if (aad_len > CCG_HPKE_MAX_AAD_LEN)
		return ccg_error_set(err, CCG_ERR_TOO_LARGE, "hpke.aad", "%zu bytes, at most %u", aad_len,
				     CCG_HPKE_MAX_AAD_LEN);
	if (in_len > CCG_HPKE_MAX_PT_LEN + (seal ? 0 : NT))
		return ccg_error_set(err, CCG_ERR_TOO_LARGE, seal ? "hpke.pt" : "hpke.ct", "%zu bytes, at most %u",
				     in_len, CCG_HPKE_MAX_PT_LEN);
	if ((out == NULL && out_need != 0) || out_cap < out_need)
		return ccg_error_set(err, CCG_ERR_INVALID_ARG, where, "output of %zu bytes, need %zu", out_cap,
				     out_need);
	return CCG_OK;
}

enum ccg_status ccg_hpke_ctx_seal(struct ccg_hpke_ctx *ctx, const uint8_t *aad, size_t aad_len, const uint8_t *pt,
				  size_t pt_len, uint8_t *out, size_t out_cap, size_t *out_len, struct ccg_error *err)
{
	EVP_CIPHER_CTX *x = NULL;
	uint8_t nonce[NN];
	int n = 0, m = 0;
	enum ccg_status st;

	if ((st = check_aead_args(ctx, true, aad, aad_len, pt, pt_len, out, pt_len + NT, out_cap, out_len, err)) !=
		    CCG_OK ||
	    (st = compute_nonce(ctx, nonce, err)) != CCG_OK)
		return st;
	if ((x = EVP_CIPHER_CTX_new()) == NULL ||
	    EVP_EncryptInit_ex(x, ctx->s->cipher(), NULL, KS_KEY(ctx), nonce) != 1 ||
	    (aad_len > 0 && EVP_EncryptUpdate(x, NULL, &n, aad, (int)aad_len) != 1) ||
	    (pt_len > 0 && EVP_EncryptUpdate(x, out, &n, pt, (int)pt_len) != 1) ||
	    EVP_EncryptFinal_ex(x, out + (pt_len > 0 ? n : 0), &m) != 1 ||
	    EVP_CIPHER_CTX_ctrl(x, EVP_CTRL_GCM_GET_TAG, NT, out + pt_len) != 1) {
		st = ccg_openssl_error(err, CCG_ERR_CRYPTO, "hpke.seal", "AES-GCM");
		goto out;
	}
	*out_len = pt_len + NT;
	ctx->seq++;
out:
	EVP_CIPHER_CTX_free(x);
	OPENSSL_cleanse(nonce, sizeof(nonce));
	return st;
}

enum ccg_status ccg_hpke_ctx_open(struct ccg_hpke_ctx *ctx, const uint8_t *aad, size_t aad_len, const uint8_t *ct,
				  size_t ct_len, uint8_t *pt, size_t pt_cap, size_t *pt_len, struct ccg_error *err)
{
	EVP_CIPHER_CTX *x = NULL;
	uint8_t nonce[NN], tag[NT];
	size_t body;
	int n = 0, m = 0;
	enum ccg_status st;

	if (ct_len < NT)
		return ccg_error_set(err, CCG_ERR_TRUNCATED, "hpke.ct", "%zu bytes, shorter than the %d-byte tag",
				     ct_len, NT);
	body = ct_len - NT;
	if ((st = check_aead_args(ctx, false, aad, aad_len, ct, ct_len, pt, body, pt_cap, pt_len, err)) != CCG_OK ||
	    (st = compute_nonce(ctx, nonce, err)) != CCG_OK)
		return st;
	memcpy(tag, ct + body, NT);
	if ((x = EVP_CIPHER_CTX_new()) == NULL ||
	    EVP_DecryptInit_ex(x, ctx->s->cipher(), NULL, KS_KEY(ctx), nonce) != 1 ||
	    (aad_len > 0 && EVP_DecryptUpdate(x, NULL, &n, aad, (int)aad_len) != 1) ||
	    (body > 0 && EVP_DecryptUpdate(x, pt, &n, ct, (int)body) != 1) ||
	    EVP_CIPHER_CTX_ctrl(x, EVP_CTRL_GCM_SET_TAG, NT, tag) != 1) {
		st = ccg_openssl_error(err, CCG_ERR_CRYPTO, "hpke.open", "AES-GCM");
		goto out;
	}
	if (EVP_DecryptFinal_ex(x, pt != NULL ? pt + (body > 0 ? n : 0) : NULL, &m) != 1) {
		ERR_clear_error();
		st = ccg_error_set(err, CCG_ERR_MAC, "hpke.ct", "AEAD tag does not verify");
		goto out;
	}
	*pt_len = body;
	ctx->seq++;
out:
	if (st != CCG_OK && pt != NULL && body > 0)
		OPENSSL_cleanse(pt, body);
	EVP_CIPHER_CTX_free(x);
	OPENSSL_cleanse(nonce, sizeof(nonce));
	return st;
}

enum ccg_status ccg_hpke_ctx_export(const struct ccg_hpke_ctx *ctx, const uint8_t *exporter_context,
				    size_t exporter_context_len, uint8_t *out, size_t out_len, struct ccg_error *err)
{
	uint8_t sid[10];
	enum ccg_status st;

	if (ctx == NULL || out == NULL || (exporter_context == NULL && exporter_context_len != 0))
		return ccg_error_set(err, CCG_ERR_INVALID_ARG, "hpke.export", "NULL argument");
	if (ctx->no_export)
		return ccg_error_set(err, CCG_ERR_INVALID_ARG, "hpke.export",
				     "a context made from a bare key has no exporter secret");
	if (exporter_context_len > CCG_HPKE_MAX_EXPORTER_CONTEXT_LEN)
		return ccg_error_set(err, CCG_ERR_TOO_LARGE, "hpke.export", "context of %zu bytes, at most %u",
				     exporter_context_len, CCG_HPKE_MAX_EXPORTER_CONTEXT_LEN);
	if (out_len == 0 || out_len > 255 * ctx->s->n_h)
		return ccg_error_set(err, CCG_ERR_INVALID_ARG, "hpke.export", "L = %zu, need 1..%zu", out_len,
				     255 * ctx->s->n_h);
	if ((st = hpke_suite_id(ctx->s, sid, err)) != CCG_OK)
		return st;
	return labeled_expand(ctx->s->kdf_md, sid, sizeof(sid), KS_EXP(ctx), ctx->s->n_h, "sec", exporter_context,
			      exporter_context_len, out, out_len, err);
}

/* ---------- the suite's KDF and AEAD on their own (branch ohttp) ---------- */

size_t ccg_hpke_kdf_len(enum ccg_hpke_suite suite)
{
	const struct suite *s = suite_get(suite);

	return s != NULL ? s->n_h : 0;
}

size_t ccg_hpke_aead_key_len(enum ccg_hpke_suite suite)
{
	const struct suite *s = suite_get(suite);

	return s != NULL ? s->n_k : 0;
}

enum ccg_status ccg_hpke_kdf_extract(enum ccg_hpke_suite suite, const uint8_t *salt, size_t salt_len,
				     const uint8_t *ikm, size_t ikm_len, uint8_t *prk, size_t prk_len,
				     struct ccg_error *err)
{
	const struct suite *s = suite_get(suite);

	if (s == NULL || prk == NULL || (salt == NULL && salt_len != 0) || (ikm == NULL && ikm_len != 0))
		return ccg_error_set(err, CCG_ERR_INVALID_ARG, "hpke.extract", "unknown suite or NULL argument");
	if (prk_len != s->n_h)
		return ccg_error_set(err, CCG_ERR_INVALID_ARG, "hpke.extract", "prk of %zu bytes, Nh is %zu", prk_len,
				     s->n_h);
	if (salt_len > CCG_HPKE_MAX_INFO_LEN || ikm_len > CCG_HPKE_MAX_INFO_LEN)
		return ccg_error_set(err, CCG_ERR_TOO_LARGE, "hpke.extract", "salt or ikm over %u bytes",
				     CCG_HPKE_MAX_INFO_LEN);
	return hkdf(s->kdf_md, EVP_KDF_HKDF_MODE_EXTRACT_ONLY, salt, salt_len, ikm, ikm_len, NULL, 0, prk, s->n_h, err);
}

enum ccg_status ccg_hpke_kdf_expand(enum ccg_hpke_suite suite, const uint8_t *prk, size_t prk_len, const uint8_t *info,
				    size_t info_len, uint8_t *out, size_t out_len, struct ccg_error *err)
{
	const struct suite *s = suite_get(suite);

	if (s == NULL || prk == NULL || out == NULL || (info == NULL && info_len != 0))
		return ccg_error_set(err, CCG_ERR_INVALID_ARG, "hpke.expand", "unknown suite or NULL argument");
	if (prk_len < s->n_h || out_len == 0 || out_len > 255 * s->n_h)
		return ccg_error_set(err, CCG_ERR_INVALID_ARG, "hpke.expand", "prk of %zu bytes, L = %zu", prk_len,
				     out_len);
	if (info_len > CCG_HPKE_MAX_INFO_LEN)
		return ccg_error_set(err, CCG_ERR_TOO_LARGE, "hpke.expand", "info of %zu bytes", info_len);
	return hkdf(s->kdf_md, EVP_KDF_HKDF_MODE_EXPAND_ONLY, NULL, 0, prk, prk_len, info, info_len, out, out_len, err);
}

enum ccg_status ccg_hpke_ctx_from_key(enum ccg_hpke_suite suite, bool sender, const uint8_t *key, size_t key_len,
				      const uint8_t *nonce, size_t nonce_len, struct ccg_hpke_ctx **out,
				      struct ccg_error *err)
{
	const struct suite *s = suite_get(suite);
	struct ccg_hpke_ctx *c = NULL;
	enum ccg_status st;

	if (s == NULL || key == NULL || nonce == NULL || out == NULL)
		return ccg_error_set(err, CCG_ERR_INVALID_ARG, "hpke.ctx", "unknown suite or NULL argument");
	*out = NULL;
	if (key_len != s->n_k || nonce_len != NN)
		return ccg_error_set(err, CCG_ERR_INVALID_ARG, "hpke.ctx",
				     "key of %zu bytes and nonce of %zu (need %zu, %d)", key_len, nonce_len, s->n_k,
				     NN);
	if ((c = calloc(1, sizeof(*c))) == NULL)
		return ccg_error_set(err, CCG_ERR_NOMEM, "hpke.ctx", NULL);
	c->s = s;
	c->sender = sender;
	c->no_export = true;
	if ((st = ccg_secret_new(KS_LEN, &c->ks)) != CCG_OK) {
		free(c);
		return ccg_error_set(err, st, "hpke.ctx", NULL);
	}
	memcpy(KS_KEY(c), key, key_len);
	memcpy(KS_NONCE(c), nonce, NN);
	*out = c;
	return CCG_OK;
}

/* ---------- single-shot (§6.1) ---------- */

enum ccg_status ccg_hpke_seal(enum ccg_hpke_suite suite, const uint8_t *pkR, size_t pkR_len, const uint8_t *info,
			      size_t info_len, const uint8_t *aad, size_t aad_len, const uint8_t *pt, size_t pt_len,
			      uint8_t **out, size_t *out_len, struct ccg_error *err)
{
	struct ccg_hpke_ctx *c = NULL;
	size_t enc_len = 0, ct_len = 0, total = ccg_hpke_sealed_len(suite, pt_len);
	uint8_t *buf = NULL;
	enum ccg_status st;

	if (out == NULL || out_len == NULL)
		return ccg_error_set(err, CCG_ERR_INVALID_ARG, "hpke.seal", "no output");
	*out = NULL;
	*out_len = 0;
	if (total == 0)
		return ccg_error_set(err, CCG_ERR_INVALID_ARG, "hpke.seal", "unknown suite");
	if (pt_len > CCG_HPKE_MAX_PT_LEN)
		return ccg_error_set(err, CCG_ERR_TOO_LARGE, "hpke.pt", "%zu bytes, at most %u", pt_len,
				     CCG_HPKE_MAX_PT_LEN);
	if ((buf = malloc(total)) == NULL)
		return ccg_error_set(err, CCG_ERR_NOMEM, "hpke.seal", NULL);
	if ((st = ccg_hpke_setup_s(suite, pkR, pkR_len, info, info_len, buf, total, &enc_len, &c, err)) != CCG_OK ||
	    (st = ccg_hpke_ctx_seal(c, aad, aad_len, pt, pt_len, buf + enc_len, total - enc_len, &ct_len, err)) !=
		    CCG_OK)
		goto out;
	*out = buf;
	*out_len = enc_len + ct_len;
	buf = NULL;
out:
	free(buf);
	ccg_hpke_ctx_free(c);
	return st;
}

enum ccg_status ccg_hpke_open(enum ccg_hpke_suite suite, EVP_PKEY *skR, const uint8_t *sealed, size_t sealed_len,
			      const uint8_t *info, size_t info_len, const uint8_t *aad, size_t aad_len, uint8_t *pt,
			      size_t pt_cap, size_t *pt_len, struct ccg_error *err)
{
	struct ccg_hpke_ctx *c = NULL;
	size_t n_enc = ccg_hpke_enc_len(suite);
	enum ccg_status st;

	if (n_enc == 0 || pt_len == NULL)
		return ccg_error_set(err, CCG_ERR_INVALID_ARG, "hpke.open", "unknown suite or no output");
	if (sealed == NULL || sealed_len < n_enc + NT)
		return ccg_error_set(err, CCG_ERR_TRUNCATED, "hpke.sealed",
				     "%zu bytes, need at least %zu (enc and tag)", sealed_len, n_enc + NT);
	if ((st = ccg_hpke_setup_r(suite, skR, sealed, n_enc, info, info_len, &c, err)) != CCG_OK)
		return st;
	st = ccg_hpke_ctx_open(c, aad, aad_len, sealed + n_enc, sealed_len - n_enc, pt, pt_cap, pt_len, err);
	ccg_hpke_ctx_free(c);
	return st;
}

/* ---------- ccgpu's aad conventions ---------- */

static enum ccg_status check_name(const char *s, const char *where, size_t *len, struct ccg_error *err)
{
	if (s == NULL || s[0] == '\0')
		return ccg_error_set(err, CCG_ERR_INVALID_ARG, where, "empty");
	*len = strnlen(s, CCG_HPKE_MAX_NAME_LEN + 1);
	if (*len > CCG_HPKE_MAX_NAME_LEN)
		return ccg_error_set(err, CCG_ERR_TOO_LARGE, where, "over %u bytes", CCG_HPKE_MAX_NAME_LEN);
	return CCG_OK;
}

enum ccg_status ccg_hpke_release_aad(const char *token, const char *contract, const char *secret, uint8_t **out,
				     size_t *out_len, struct ccg_error *err)
{
	size_t c_len = 0, n_len = 0;
	uint8_t *p;
	enum ccg_status st;

	if (out == NULL || out_len == NULL)
		return ccg_error_set(err, CCG_ERR_INVALID_ARG, "hpke.aad", "no output");
	*out = NULL;
	*out_len = 0;
	if (token == NULL)
		return ccg_error_set(err, CCG_ERR_INVALID_ARG, "hpke.aad.token", "no token");
	if ((st = check_name(contract, "hpke.aad.contract", &c_len, err)) != CCG_OK ||
	    (st = check_name(secret, "hpke.aad.secret", &n_len, err)) != CCG_OK)
		return st;
	if ((p = malloc(CCG_SHA384_LEN + c_len + 1 + n_len)) == NULL)
		return ccg_error_set(err, CCG_ERR_NOMEM, "hpke.aad", NULL);
	if ((st = ccg_sha384((const uint8_t *)token, strlen(token), p)) != CCG_OK) {
		free(p);
		return ccg_error_set(err, st, "hpke.aad.token", "SHA-384 of the token");
	}
	memcpy(p + CCG_SHA384_LEN, contract, c_len);
	p[CCG_SHA384_LEN + c_len] = 0x00;
	memcpy(p + CCG_SHA384_LEN + c_len + 1, secret, n_len);
	*out = p;
	*out_len = CCG_SHA384_LEN + c_len + 1 + n_len;
	return CCG_OK;
}
