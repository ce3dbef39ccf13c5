/* SPDX-License-Identifier: Apache-2.0 */
/* The TEE key as a JWK: EC through libjose, X25519 as RFC 8037 OKP; HPKE recipient, comparison, RFC 7638. */
#include "token/tee_jwk.h"

#include <jose/jose.h>
#include <jose/openssl.h>
#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/crypto.h"
#include "common/error.h"

#define X25519_LEN 32
#define P384_COORD 48
#define MEMBER_MAX 1024 /* bytes of one decoded key member (an RSA-8192 modulus) */

static const char *const private_members[] = {"d", "p", "q", "dp", "dq", "qi", "oth", "k"};

static bool has_private(const json_t *jwk)
{
	for (size_t i = 0; i < sizeof(private_members) / sizeof(private_members[0]); i++)
		if (json_object_get(jwk, private_members[i]) != NULL)
			return true;
	return false;
}

static json_t *b64url_string(const uint8_t *b, size_t n)
{
	size_t len = jose_b64_enc_buf(b, n, NULL, 0);
	char *s;
	json_t *j;

	if (len == SIZE_MAX || (s = malloc(len + 1)) == NULL)
		return NULL;
	if (jose_b64_enc_buf(b, n, s, len) != len) {
		free(s);
		return NULL;
	}
	s[len] = '\0';
	j = json_string(s);
	free(s);
	return j;
}

enum ccg_status ccg_tee_jwk_from_pkey(EVP_PKEY *k, json_t **out, struct ccg_error *err)
{
	json_t *jwk = NULL;
	int id = k != NULL ? EVP_PKEY_get_base_id(k) : EVP_PKEY_NONE;

	*out = NULL;
	if (id == EVP_PKEY_X25519) {
		uint8_t pub[X25519_LEN];
		size_t n = sizeof(pub);

		if (EVP_PKEY_get_raw_public_key(k, pub, &n) != 1 || n != sizeof(pub))
			return ccg_openssl_error(err, CCG_ERR_CRYPTO, "tee_public_key", "the X25519 public key");
		jwk = json_pack("{s:s,s:s,s:o*}", "kty", "OKP", "crv", "X25519", "x", b64url_string(pub, n));
		if (jwk == NULL || json_object_get(jwk, "x") == NULL) {
			json_decref(jwk);
			return ccg_error_set(err, CCG_ERR_NOMEM, "tee_public_key", "no memory");
		}
	} else if (id == EVP_PKEY_EC || id == EVP_PKEY_RSA) {
		if ((jwk = jose_openssl_jwk_from_EVP_PKEY(NULL, k)) == NULL)
			return ccg_error_set(err, CCG_ERR_CRYPTO, "tee_public_key", "not expressible as a JWK");
		/* only public members: libjose writes the private ones of a private key */
		for (size_t i = 0; i < sizeof(private_members) / sizeof(private_members[0]); i++)
			json_object_del(jwk, private_members[i]);
	} else {
		return ccg_error_set(err, CCG_ERR_UNSUPPORTED, "tee_public_key",
				     "not an EC, RSA or X25519 key (OpenSSL type %d)", id);
	}
	*out = jwk;
	return CCG_OK;
}

bool ccg_json_b64url_member(const json_t *obj, const char *name, size_t max, uint8_t **out, size_t *out_len)
{
	const char *s = json_string_value(json_object_get(obj, name));
	size_t n;

	*out = NULL;
	*out_len = 0;
	if (s == NULL)
		return false;
	n = jose_b64_dec_buf(s, strlen(s), NULL, 0);
	if (n == SIZE_MAX || n == 0 || n > max || (*out = malloc(n)) == NULL)
		return false;
	if (jose_b64_dec_buf(s, strlen(s), *out, n) != n) {
		free(*out);
		*out = NULL;
		return false;
	}
	*out_len = n;
	return true;
}

static bool same_member(const json_t *a, const json_t *b, const char *name)
{
	uint8_t *x = NULL, *y = NULL;
	size_t xn = 0, yn = 0;
	bool same = ccg_json_b64url_member(a, name, MEMBER_MAX, &x, &xn) && ccg_json_b64url_member(b, name, MEMBER_MAX, &y, &yn) && xn == yn &&
		    CRYPTO_memcmp(x, y, xn) == 0;

	free(x);
	free(y);
	return same;
}

static bool same_string(const json_t *a, const json_t *b, const char *name)
{
	const char *x = json_string_value(json_object_get(a, name)), *y = json_string_value(json_object_get(b, name));

	return x != NULL && y != NULL && strcmp(x, y) == 0;
}

bool ccg_tee_jwk_equal(const json_t *a, const json_t *b)
{
	const char *kty = json_string_value(json_object_get(a, "kty"));

	if (!json_is_object(a) || !json_is_object(b) || kty == NULL || !same_string(a, b, "kty"))
		return false;
	if (strcmp(kty, "EC") == 0)
		return same_string(a, b, "crv") && same_member(a, b, "x") && same_member(a, b, "y");
	if (strcmp(kty, "OKP") == 0)
		return same_string(a, b, "crv") && same_member(a, b, "x");
	if (strcmp(kty, "RSA") == 0)
		return same_member(a, b, "n") && same_member(a, b, "e");
	return false;
}

/* member name, exactly n decoded bytes, into out */
static enum ccg_status fixed_member(const json_t *jwk, const char *name, uint8_t *out, size_t n, struct ccg_error *err)
{
	uint8_t *b = NULL;
	size_t len = 0;
	char where[32];

	snprintf(where, sizeof(where), "cnf.jwk.%s", name);
	if (!ccg_json_b64url_member(jwk, name, MEMBER_MAX, &b, &len) || len != n) {
		free(b);
		return ccg_error_set(err, CCG_ERR_MALFORMED, where, "missing, not base64url or not %zu bytes", n);
	}
	memcpy(out, b, n);
	free(b);
	return CCG_OK;
}

enum ccg_status ccg_tee_jwk_hpke(const json_t *jwk, enum ccg_hpke_suite *suite, uint8_t *pk, size_t *pk_len,
				 struct ccg_error *err)
{
	const char *kty = json_string_value(json_object_get(jwk, "kty"));
	const char *crv = json_string_value(json_object_get(jwk, "crv"));
	EVP_PKEY *k = NULL;
	enum ccg_status st;

	if (!json_is_object(jwk) || kty == NULL)
		return ccg_error_set(err, CCG_ERR_MALFORMED, "cnf.jwk", "not a JWK (object with \"kty\")");
	if (has_private(jwk))
		return ccg_error_set(err, CCG_ERR_MALFORMED, "cnf.jwk", "holds private members");
	if (strcmp(kty, "EC") == 0 && crv != NULL && strcmp(crv, "P-384") == 0) {
		*suite = CCG_HPKE_P384_SHA384_AES256GCM;
		pk[0] = 0x04;
		if ((st = fixed_member(jwk, "x", pk + 1, P384_COORD, err)) != CCG_OK ||
		    (st = fixed_member(jwk, "y", pk + 1 + P384_COORD, P384_COORD, err)) != CCG_OK)
			return st;
		*pk_len = 1 + 2 * P384_COORD;
	} else if (strcmp(kty, "OKP") == 0 && crv != NULL && strcmp(crv, "X25519") == 0) {
		*suite = CCG_HPKE_X25519_SHA256_AES128GCM;
		if ((st = fixed_member(jwk, "x", pk, X25519_LEN, err)) != CCG_OK)
			return st;
		*pk_len = X25519_LEN;
	} else {
		return ccg_error_set(err, CCG_ERR_UNSUPPORTED, "cnf.jwk.crv",
				     "kty %.8s crv %.16s: secrets go to EC P-384 or OKP X25519 keys", kty,
				     crv != NULL ? crv : "(none)");
	}
	/* the point must be one HPKE accepts (on the curve, uncompressed) */
	st = ccg_hpke_public_key_parse(*suite, pk, *pk_len, "cnf.jwk", &k, err);
	EVP_PKEY_free(k);
	return st;
}

enum ccg_status ccg_tee_jwk_thumbprint(const json_t *jwk, char out[CCG_TEE_JWK_THUMBPRINT_LEN + 1],
				       struct ccg_error *err)
{
	static const char *const ec[] = {"crv", "kty", "x", "y", NULL}, *const okp[] = {"crv", "kty", "x", NULL},
				 *const rsa[] = {"e", "kty", "n", NULL};
	const char *kty = json_string_value(json_object_get(jwk, "kty"));
	const char *const *req = kty == NULL ? NULL
				 : strcmp(kty, "EC") == 0  ? ec
				 : strcmp(kty, "OKP") == 0 ? okp
				 : strcmp(kty, "RSA") == 0 ? rsa
							   : NULL;
	uint8_t digest[CCG_SHA256_LEN];
	json_t *canon = json_object();
	char *text = NULL;
	enum ccg_status st = CCG_OK;

	if (canon == NULL)
		return ccg_error_set(err, CCG_ERR_NOMEM, "cnf.jwk", "no memory");
	if (req == NULL) {
		st = ccg_error_set(err, CCG_ERR_UNSUPPORTED, "cnf.jwk.kty", "no RFC 7638 members for this kty");
		goto out;
	}
	for (size_t i = 0; req[i] != NULL; i++) {
		json_t *v = json_object_get(jwk, req[i]);

		if (!json_is_string(v)) {
			st = ccg_error_set(err, CCG_ERR_MALFORMED, "cnf.jwk", "member \"%s\" missing", req[i]);
			goto out;
		}
		if (json_object_set(canon, req[i], v) != 0) {
			st = ccg_error_set(err, CCG_ERR_NOMEM, "cnf.jwk", "no memory");
			goto out;
		}
	}
	/* RFC 7638 §3.3: members in lexicographic order, no whitespace (the values are base64url and names: no escapes) */
	if ((text = json_dumps(canon, JSON_COMPACT | JSON_SORT_KEYS)) == NULL) {
		st = ccg_error_set(err, CCG_ERR_NOMEM, "cnf.jwk", "no memory");
		goto out;
	}
	if ((st = ccg_sha256((const uint8_t *)text, strlen(text), digest)) != CCG_OK)
		goto out;
	if (jose_b64_enc_buf(digest, sizeof(digest), out, CCG_TEE_JWK_THUMBPRINT_LEN) != CCG_TEE_JWK_THUMBPRINT_LEN) {
		st = ccg_error_set(err, CCG_ERR_INTERNAL, "cnf.jwk", "base64url");
		goto out;
	}
	out[CCG_TEE_JWK_THUMBPRINT_LEN] = '\0';
out:
	free(text);
	json_decref(canon);
	return st;
}
