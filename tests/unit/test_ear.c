/* SPDX-License-Identifier: Apache-2.0 */
/*
 * EAR tokens: the signing key file (created 0600, refused when group/other
 * readable or not P-384), kid = RFC 7638 thumbprint recomputed here, tokens
 * checked by an independent reader (OpenSSL ECDSA over the JWS signing
 * input, the payload decoded here against the EAR claim names), every
 * flipped byte and every truncation refused, alg/kid/header attacks refused,
 * iat/exp at injected times.
 */
#include <stdarg.h>
#include <setjmp.h>
#include <stddef.h>
#include <cmocka.h>
#include <fcntl.h>
#include <jansson.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ccgpu/token.h"
#include "common/buf.h"
#include "http_server.h"
#include "b64url.h"
#include "testdata.h"
#include "token/ear.h"

#define IAT 1795305600 /* 2026-11-22T00:00:00Z */
#define EXP (IAT + 300)

static char *tmp;

static int setup(void **state)
{
	(void)state;
	tmp = td_tmpdir();
	return tmp == NULL ? -1 : 0;
}

static int teardown(void **state)
{
	(void)state;
	td_rm_rf(tmp);
	free(tmp);
	return 0;
}

static char *path_in_tmp(const char *name)
{
	char *p = NULL;

	assert_true(asprintf(&p, "%s/%s", tmp, name) > 0);
	unlink(p);
	return p;
}

static uint8_t *b64_std_dec(const char *s, size_t *out_len)
{
	size_t n = strlen(s);
	uint8_t *out = malloc(n);
	int len;

	assert_non_null(out);
	len = EVP_DecodeBlock(out, (const unsigned char *)s, (int)n);
	assert_true(len >= 0);
	*out_len = (size_t)len - (n > 0 && s[n - 1] == '=') - (n > 1 && s[n - 2] == '=');
	return out;
}

static EVP_PKEY *read_pem_key(const char *path)
{
	FILE *f = fopen(path, "r");
	EVP_PKEY *k;

	assert_non_null(f);
	k = PEM_read_PrivateKey(f, NULL, NULL, NULL);
	fclose(f);
	assert_non_null(k);
	return k;
}

static void write_pem_key(const char *path, EVP_PKEY *k, mode_t mode)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, mode);
	FILE *f;

	assert_true(fd >= 0);
	assert_int_equal(fchmod(fd, mode), 0);
	f = fdopen(fd, "w");
	assert_non_null(f);
	assert_int_equal(PEM_write_PrivateKey(f, k, NULL, NULL, 0, NULL, NULL), 1);
	fclose(f);
}

/* A compact JWS over any header and payload text, signed here with OpenSSL (not libjose). */
static char *sign_raw(EVP_PKEY *k, const char *hdr, const char *payload)
{
	char *h = tb_b64url_encode((const uint8_t *)hdr, strlen(hdr));
	char *p = tb_b64url_encode((const uint8_t *)payload, strlen(payload));
	char *input = NULL, *sig64, *out = NULL;
	uint8_t der[160], raw[96];
	const uint8_t *dp = der;
	size_t der_len = sizeof(der);
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	ECDSA_SIG *es;
	const BIGNUM *r, *s;

	assert_true(asprintf(&input, "%s.%s", h, p) > 0);
	assert_int_equal(EVP_DigestSignInit_ex(md, NULL, "SHA384", NULL, NULL, k, NULL), 1);
	assert_int_equal(EVP_DigestSign(md, der, &der_len, (const uint8_t *)input, strlen(input)), 1);
	es = d2i_ECDSA_SIG(NULL, &dp, (long)der_len);
	assert_non_null(es);
	ECDSA_SIG_get0(es, &r, &s);
	assert_int_equal(BN_bn2binpad(r, raw, 48), 48);
	assert_int_equal(BN_bn2binpad(s, raw + 48, 48), 48);
	sig64 = tb_b64url_encode(raw, sizeof(raw));
	assert_true(asprintf(&out, "%s.%s", input, sig64) > 0);
	ECDSA_SIG_free(es);
	EVP_MD_CTX_free(md);
	free(h);
	free(p);
	free(input);
	free(sig64);
	return out;
}

/* Checks the token's ES384 signature with OpenSSL and the PEM key file. */
static void verify_raw(const char *token, EVP_PKEY *k)
{
	const char *dot2 = strrchr(token, '.');
	size_t raw_len, der_len;
	uint8_t *raw = tb_b64url_decode(dot2 + 1, strlen(dot2 + 1), &raw_len), *der = NULL;
	ECDSA_SIG *es = ECDSA_SIG_new();
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	int n;

	assert_int_equal(raw_len, 96);
	assert_int_equal(ECDSA_SIG_set0(es, BN_bin2bn(raw, 48, NULL), BN_bin2bn(raw + 48, 48, NULL)), 1);
	n = i2d_ECDSA_SIG(es, &der);
	assert_true(n > 0);
	der_len = (size_t)n;
	assert_int_equal(EVP_DigestVerifyInit_ex(md, NULL, "SHA384", NULL, NULL, k, NULL), 1);
	assert_int_equal(EVP_DigestVerify(md, der, der_len, (const uint8_t *)token, (size_t)(dot2 - token)), 1);
	EVP_MD_CTX_free(md);
	ECDSA_SIG_free(es);
	OPENSSL_free(der);
	free(raw);
}

/* The payload of a compact token, decoded here. */
static json_t *payload_of(const char *token)
{
	const char *d1 = strchr(token, '.'), *d2 = strrchr(token, '.');
	size_t n;
	uint8_t *p = tb_b64url_decode(d1 + 1, (size_t)(d2 - d1 - 1), &n);
	json_t *j = json_loadb((const char *)p, n, JSON_REJECT_DUPLICATES, NULL);

	free(p);
	assert_non_null(j);
	return j;
}

static struct ccg_ear_key *new_key(const char *name, char **path_out)
{
	struct ccg_ear_key *k = NULL;
	struct ccg_error err;
	char *path = path_in_tmp(name);

	ccg_error_clear(&err);
	assert_int_equal(ccg_ear_key_load_or_create(path, &k, &err), CCG_OK);
	if (path_out != NULL)
		*path_out = path;
	else
		free(path);
	return k;
}

static const uint8_t nonce[32] = {1,  2,  3,  4,  5,  6,  7,  8,  9,  10, 11, 12, 13, 14, 15, 16,
				  17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32};

/* A token with cpu0 affirming, GPU-0 with given status and claims, a TEE key in cnf. */
static char *issue(struct ccg_ear_key *k, enum ccg_ear_status gpu, json_t **claims_out)
{
	json_t *gpu_claims = json_pack("{s:s,s:b}", "x-nvidia-gpu-arch-check", "true", "measres", 1);
	json_t *errors = json_pack("[s]", "measres: index 9 differs");
	json_t *tee = json_pack("{s:s,s:s,s:s,s:s}", "kty", "EC", "crv", "P-384", "x", "AAAA", "y", "BBBB");
	struct ccg_ear_submod subs[2] = {
		{.name = "cpu0", .status = CCG_EAR_AFFIRMING},
		{.name = "GPU-0", .status = gpu, .claims = gpu_claims, .errors = errors},
	};
	struct ccg_ear_params p = {
		.verifier_developer = "ccgpu",
		.verifier_build = "ccgpu-verifierd 0.1.0",
		.policy_id = "sha384:abcd",
		.iat = IAT,
		.exp = EXP,
		.nonce = nonce,
		.nonce_len = sizeof(nonce),
		.tee_jwk = tee,
		.submods = subs,
		.n_submods = 2,
	};
	struct ccg_error err;
	char *jws = NULL;

	ccg_error_clear(&err);
	assert_int_equal(ccg_ear_issue(k, &p, &jws, claims_out, &err), CCG_OK);
	assert_non_null(jws);
	json_decref(gpu_claims);
	json_decref(errors);
	json_decref(tee);
	return jws;
}

static enum ccg_status verify_at(const char *jws, const json_t *jwks, int64_t now, struct ccg_error *err)
{
	json_t *claims = NULL;
	enum ccg_status s;

	ccg_error_clear(err);
	s = ccg_ear_verify(jws, jwks, now, &claims, err);
	if (s == CCG_OK)
		assert_non_null(claims);
	else
		assert_null(claims);
	json_decref(claims);
	return s;
}

/* ---- tests ---- */

static void test_round_trip(void **state)
{
	struct ccg_ear_key *k = new_key("rt.pem", NULL);
	json_t *issued = NULL, *got = NULL, *jwks = ccg_ear_key_jwks(k);
	char *jws = issue(k, CCG_EAR_AFFIRMING, &issued);
	struct ccg_error err;

	(void)state;
	ccg_error_clear(&err);
	assert_int_equal(ccg_ear_verify(jws, jwks, IAT + 10, &got, &err), CCG_OK);
	assert_true(json_equal(got, issued));
	assert_string_equal(json_string_value(json_object_get(got, "ear.status")), "affirming");
	json_decref(got);
	json_decref(issued);
	json_decref(jwks);
	free(jws);
	ccg_ear_key_free(k);
}

/* The JWKS as text, read back by jansson; the kid recomputed as RFC 7638 says; the signature checked by OpenSSL. */
static void test_independent_jwks(void **state)
{
	char *path = NULL, *text, *canon = NULL, *kid, *jws;
	struct ccg_ear_key *k = new_key("ind.pem", &path);
	json_t *jwks = ccg_ear_key_jwks(k), *parsed, *jwk;
	EVP_PKEY *pem = read_pem_key(path);
	uint8_t digest[32], point[97], *x, *y;
	size_t point_len = 0, xl, yl;
	struct ccg_error err;

	(void)state;
	text = json_dumps(jwks, JSON_COMPACT);
	parsed = json_loads(text, 0, NULL);
	assert_non_null(parsed);
	assert_int_equal(json_array_size(json_object_get(parsed, "keys")), 1);
	jwk = json_array_get(json_object_get(parsed, "keys"), 0);
	assert_string_equal(json_string_value(json_object_get(jwk, "kty")), "EC");
	assert_string_equal(json_string_value(json_object_get(jwk, "crv")), "P-384");
	assert_string_equal(json_string_value(json_object_get(jwk, "alg")), "ES384");
	assert_string_equal(json_string_value(json_object_get(jwk, "use")), "sig");
	assert_null(json_object_get(jwk, "d"));

	/* x, y are the PEM key's public point */
	assert_int_equal(
		EVP_PKEY_get_octet_string_param(pem, OSSL_PKEY_PARAM_PUB_KEY, point, sizeof(point), &point_len), 1);
	assert_int_equal(point_len, 97);
	x = tb_b64url_decode(json_string_value(json_object_get(jwk, "x")),
			     strlen(json_string_value(json_object_get(jwk, "x"))), &xl);
	y = tb_b64url_decode(json_string_value(json_object_get(jwk, "y")),
			     strlen(json_string_value(json_object_get(jwk, "y"))), &yl);
	assert_int_equal(xl, 48);
	assert_int_equal(yl, 48);
	assert_memory_equal(x, point + 1, 48);
	assert_memory_equal(y, point + 49, 48);

	/* RFC 7638 §3.2: required members in lexicographic order, no whitespace, SHA-256, base64url */
	assert_true(asprintf(&canon, "{\"crv\":\"P-384\",\"kty\":\"EC\",\"x\":\"%s\",\"y\":\"%s\"}",
			     json_string_value(json_object_get(jwk, "x")),
			     json_string_value(json_object_get(jwk, "y"))) > 0);
	assert_int_equal(EVP_Digest(canon, strlen(canon), digest, NULL, EVP_sha256(), NULL), 1);
	kid = tb_b64url_encode(digest, sizeof(digest));
	assert_string_equal(kid, ccg_ear_key_kid(k));
	assert_string_equal(json_string_value(json_object_get(jwk, "kid")), kid);

	/* x5c[0]: a certificate for this very key (NVIDIA's SDK verifies with it) */
	{
		const char *x5c = json_string_value(json_array_get(json_object_get(jwk, "x5c"), 0));
		size_t der_len;
		uint8_t *der = b64_std_dec(x5c, &der_len);
		const uint8_t *dp = der;
		X509 *cert = d2i_X509(NULL, &dp, (long)der_len);
		EVP_PKEY *cert_key;

		assert_non_null(cert);
		assert_int_equal(dp - der, (long)der_len);
		cert_key = X509_get0_pubkey(cert);
		assert_int_equal(EVP_PKEY_eq(cert_key, pem), 1);
		assert_int_equal(X509_verify(cert, cert_key), 1); /* self-signed */
		X509_free(cert);
		free(der);
	}
	jws = issue(k, CCG_EAR_AFFIRMING, NULL);
	verify_raw(jws, pem);
	assert_int_equal(verify_at(jws, parsed, IAT, &err), CCG_OK);

	free(jws);
	free(kid);
	free(canon);
	free(x);
	free(y);
	free(text);
	free(path);
	EVP_PKEY_free(pem);
	json_decref(parsed);
	json_decref(jwks);
	ccg_ear_key_free(k);
}

/* Tokens signed here with OpenSSL alone are accepted: the verifier reads standard JWS, not only libjose's output. */
static void test_foreign_signed_token(void **state)
{
	char *path = NULL, *hdr = NULL, *jws;
	struct ccg_ear_key *k = new_key("foreign.pem", &path);
	EVP_PKEY *pem = read_pem_key(path);
	json_t *jwks = ccg_ear_key_jwks(k);
	const char *payload =
		"{\"eat_profile\":\"tag:github.com,2023:veraison/ear\",\"iat\":1795305600,"
		"\"exp\":1795305900,\"ear.verifier-id\":{\"developer\":\"x\",\"build\":\"y\"},"
		"\"submods\":{\"cpu0\":{\"ear.status\":\"warning\"}}}";
	struct ccg_error err;

	(void)state;
	assert_true(asprintf(&hdr, "{\"typ\":\"JWT\",\"kid\":\"%s\",\"alg\":\"ES384\"}", ccg_ear_key_kid(k)) > 0);
	jws = sign_raw(pem, hdr, payload);
	assert_int_equal(verify_at(jws, jwks, IAT, &err), CCG_OK);
	free(jws);
	free(hdr);
	free(path);
	EVP_PKEY_free(pem);
	json_decref(jwks);
	ccg_ear_key_free(k);
}

static void test_flips_and_truncations(void **state)
{
	struct ccg_ear_key *k = new_key("flip.pem", NULL);
	json_t *jwks = ccg_ear_key_jwks(k);
	char *jws = issue(k, CCG_EAR_WARNING, NULL);
	size_t n = strlen(jws);
	struct ccg_error err;

	(void)state;
	assert_int_equal(verify_at(jws, jwks, IAT, &err), CCG_OK);
	for (size_t i = 0; i < n; i++) {
		char saved = jws[i];

		for (int bit = 0; bit < 8; bit += 5) { /* bits 0 and 5: case and low-bit changes */
			jws[i] = (char)(saved ^ (1 << bit));
			if (jws[i] == '\0')
				continue;
			if (verify_at(jws, jwks, IAT, &err) == CCG_OK)
				fail_msg("token with byte %zu changed (bit %d) was accepted", i, bit);
		}
		jws[i] = saved;
	}
	for (size_t len = 0; len < n; len++) {
		char saved = jws[len];

		jws[len] = '\0';
		if (verify_at(jws, jwks, IAT, &err) == CCG_OK)
			fail_msg("token truncated to %zu bytes was accepted", len);
		jws[len] = saved;
	}
	assert_int_equal(verify_at(jws, jwks, IAT, &err), CCG_OK);
	json_decref(jwks);
	free(jws);
	ccg_ear_key_free(k);
}

static void test_alg_attacks(void **state)
{
	char *path = NULL, *hdr = NULL, *token = NULL, *h64, *p64, *mac64;
	struct ccg_ear_key *k = new_key("alg.pem", &path);
	EVP_PKEY *pem = read_pem_key(path);
	json_t *jwks = ccg_ear_key_jwks(k), *jwk = json_array_get(json_object_get(jwks, "keys"), 0);
	char *good = issue(k, CCG_EAR_AFFIRMING, NULL);
	const char *d1 = strchr(good, '.'), *d2 = strrchr(good, '.');
	char *payload64 = strndup(d1 + 1, (size_t)(d2 - d1 - 1));
	uint8_t mac[48];
	unsigned int mac_len = 0;
	char *x_text;
	struct ccg_error err;

	(void)state;
	/* alg none, empty signature */
	assert_true(asprintf(&hdr, "{\"alg\":\"none\",\"kid\":\"%s\"}", ccg_ear_key_kid(k)) > 0);
	h64 = tb_b64url_encode((const uint8_t *)hdr, strlen(hdr));
	assert_true(asprintf(&token, "%s.%s.", h64, payload64) > 0);
	assert_int_equal(verify_at(token, jwks, IAT, &err), CCG_ERR_UNSUPPORTED);
	assert_string_equal(err.where, "token.header.alg");
	free(token);
	free(hdr);
	free(h64);

	/* HS384 keyed with the public key's x coordinate text (the classic key-confusion forgery) */
	assert_true(asprintf(&hdr, "{\"alg\":\"HS384\",\"kid\":\"%s\"}", ccg_ear_key_kid(k)) > 0);
	h64 = tb_b64url_encode((const uint8_t *)hdr, strlen(hdr));
	assert_true(asprintf(&token, "%s.%s", h64, payload64) > 0);
	x_text = json_dumps(jwk, JSON_COMPACT);
	assert_non_null(
		HMAC(EVP_sha384(), x_text, (int)strlen(x_text), (const uint8_t *)token, strlen(token), mac, &mac_len));
	mac64 = tb_b64url_encode(mac, mac_len);
	p64 = token;
	token = NULL;
	assert_true(asprintf(&token, "%s.%s", p64, mac64) > 0);
	assert_int_equal(verify_at(token, jwks, IAT, &err), CCG_ERR_UNSUPPORTED);
	assert_string_equal(err.where, "token.header.alg");
	free(token);
	free(p64);
	free(mac64);
	free(x_text);
	free(hdr);
	free(h64);

	/* a correctly signed ES384 token whose header adds crit / b64 / jwk: refused, never interpreted */
	{
		static const char *const extra[] = {
			"\"crit\":[\"exp\"]",
			"\"b64\":false",
			"\"jku\":\"https://evil.example/jwks\"",
			"\"typ\":\"at+jwt\"",
		};

		for (size_t i = 0; i < sizeof(extra) / sizeof(extra[0]); i++) {
			const char *payload =
				"{\"eat_profile\":\"tag:github.com,2023:veraison/ear\",\"iat\":1795305600,"
				"\"exp\":1795305900,\"ear.verifier-id\":{\"developer\":\"x\",\"build\":\"y\"},"
				"\"submods\":{\"cpu0\":{\"ear.status\":\"affirming\"}}}";

			assert_true(asprintf(&hdr, "{\"alg\":\"ES384\",\"kid\":\"%s\",%s}", ccg_ear_key_kid(k),
					     extra[i]) > 0);
			token = sign_raw(pem, hdr, payload);
			assert_int_equal(verify_at(token, jwks, IAT, &err), CCG_ERR_UNSUPPORTED);
			assert_string_equal(err.where, "token.header");
			free(token);
			free(hdr);
		}
	}
	/* a signature that is not 96 bytes r||s (one byte more, one less, DER as some libraries write it) */
	{
		const char *sig = strrchr(good, '.') + 1;
		size_t raw_len, der_len;
		uint8_t *raw = tb_b64url_decode(sig, strlen(sig), &raw_len), longer[97], *der = NULL;
		ECDSA_SIG *es = ECDSA_SIG_new();
		char *variants[3], *s64;

		assert_int_equal(raw_len, 96);
		memcpy(longer, raw, 96);
		longer[96] = 0;
		variants[0] = tb_b64url_encode(longer, 97);
		variants[1] = tb_b64url_encode(raw, 95);
		assert_int_equal(ECDSA_SIG_set0(es, BN_bin2bn(raw, 48, NULL), BN_bin2bn(raw + 48, 48, NULL)), 1);
		der_len = (size_t)i2d_ECDSA_SIG(es, &der);
		variants[2] = tb_b64url_encode(der, der_len);
		for (int i = 0; i < 3; i++) {
			s64 = strndup(good, (size_t)(sig - good));
			assert_true(asprintf(&token, "%s%s", s64, variants[i]) > 0);
			assert_int_equal(verify_at(token, jwks, IAT, &err), CCG_ERR_SIGNATURE);
			assert_string_equal(err.where, "token.signature");
			assert_non_null(strstr(err.detail, "an ES384 signature has 128"));
			free(token);
			free(s64);
			free(variants[i]);
		}
		OPENSSL_free(der);
		ECDSA_SIG_free(es);
		free(raw);
	}
	/* alg missing */
	assert_true(asprintf(&hdr, "{\"kid\":\"%s\"}", ccg_ear_key_kid(k)) > 0);
	token = sign_raw(pem, hdr, "{}");
	assert_int_equal(verify_at(token, jwks, IAT, &err), CCG_ERR_MALFORMED);
	assert_string_equal(err.where, "token.header.alg");
	free(token);
	free(hdr);
	/* kid missing */
	token = sign_raw(pem, "{\"alg\":\"ES384\"}", "{}");
	assert_int_equal(verify_at(token, jwks, IAT, &err), CCG_ERR_MALFORMED);
	assert_string_equal(err.where, "token.header.kid");
	free(token);

	free(payload64);
	free(good);
	free(path);
	EVP_PKEY_free(pem);
	json_decref(jwks);
	ccg_ear_key_free(k);
}

static void test_other_keys(void **state)
{
	struct ccg_ear_key *a = new_key("a.pem", NULL), *b = new_key("b.pem", NULL);
	json_t *jwks_a = ccg_ear_key_jwks(a), *jwks_b = ccg_ear_key_jwks(b), *relabelled, *dup, *bad;
	char *jws = issue(a, CCG_EAR_AFFIRMING, NULL);
	struct ccg_error err;

	(void)state;
	assert_string_not_equal(ccg_ear_key_kid(a), ccg_ear_key_kid(b));
	/* only another key published */
	assert_int_equal(verify_at(jws, jwks_b, IAT, &err), CCG_ERR_TOKEN_KEY_UNKNOWN);
	assert_string_equal(err.where, "token.header.kid");
	/* another key published under this token's kid */
	relabelled = json_deep_copy(jwks_b);
	json_object_set_new(json_array_get(json_object_get(relabelled, "keys"), 0), "kid",
			    json_string(ccg_ear_key_kid(a)));
	assert_int_equal(verify_at(jws, relabelled, IAT, &err), CCG_ERR_SIGNATURE);
	assert_string_equal(err.where, "token.signature");
	/* both keys published: the right one by kid */
	dup = json_deep_copy(jwks_b);
	json_array_append(json_object_get(dup, "keys"), json_array_get(json_object_get(jwks_a, "keys"), 0));
	assert_int_equal(verify_at(jws, dup, IAT, &err), CCG_OK);
	/* two keys with the same kid */
	json_array_append(json_object_get(relabelled, "keys"), json_array_get(json_object_get(jwks_a, "keys"), 0));
	assert_int_equal(verify_at(jws, relabelled, IAT, &err), CCG_ERR_DUPLICATE);
	/* the key marked for another algorithm, another use, another curve */
	bad = json_deep_copy(jwks_a);
	json_object_set_new(json_array_get(json_object_get(bad, "keys"), 0), "alg", json_string("ES256"));
	assert_int_equal(verify_at(jws, bad, IAT, &err), CCG_ERR_UNSUPPORTED);
	json_decref(bad);
	bad = json_deep_copy(jwks_a);
	json_object_set_new(json_array_get(json_object_get(bad, "keys"), 0), "use", json_string("enc"));
	assert_int_equal(verify_at(jws, bad, IAT, &err), CCG_ERR_UNSUPPORTED);
	json_decref(bad);
	bad = json_deep_copy(jwks_a);
	json_object_set_new(json_array_get(json_object_get(bad, "keys"), 0), "crv", json_string("P-256"));
	assert_int_equal(verify_at(jws, bad, IAT, &err), CCG_ERR_UNSUPPORTED);
	json_decref(bad);
	bad = json_deep_copy(jwks_a);
	json_object_set_new(json_array_get(json_object_get(bad, "keys"), 0), "kty", json_string("OKP"));
	assert_int_equal(verify_at(jws, bad, IAT, &err), CCG_ERR_UNSUPPORTED);
	assert_string_equal(err.where, "jwks.keys");
	json_decref(bad);
	/* not a JWKS */
	bad = json_pack("{s:s}", "keys", "none");
	assert_int_equal(verify_at(jws, bad, IAT, &err), CCG_ERR_MALFORMED);
	json_decref(bad);

	json_decref(dup);
	json_decref(relabelled);
	json_decref(jwks_a);
	json_decref(jwks_b);
	free(jws);
	ccg_ear_key_free(a);
	ccg_ear_key_free(b);
}

static void test_times(void **state)
{
	struct ccg_ear_key *k = new_key("times.pem", NULL);
	json_t *jwks = ccg_ear_key_jwks(k);
	char *jws = issue(k, CCG_EAR_AFFIRMING, NULL);
	struct ccg_error err;

	(void)state;
	assert_int_equal(verify_at(jws, jwks, IAT, &err), CCG_OK);
	assert_int_equal(verify_at(jws, jwks, EXP - 1, &err), CCG_OK);
	assert_int_equal(verify_at(jws, jwks, EXP, &err), CCG_ERR_TOKEN_EXPIRED);
	assert_string_equal(err.where, "exp");
	assert_int_equal(verify_at(jws, jwks, EXP + 86400, &err), CCG_ERR_TOKEN_EXPIRED);
	assert_int_equal(verify_at(jws, jwks, IAT - 1, &err), CCG_ERR_TOKEN_NOT_YET_VALID);
	assert_string_equal(err.where, "iat");
	assert_int_equal(verify_at(jws, jwks, 0, &err), CCG_ERR_TOKEN_NOT_YET_VALID);
	json_decref(jwks);
	free(jws);
	ccg_ear_key_free(k);
}

/* Tokens that verify but whose claims are not an EAR. */
static void test_claims_checked(void **state)
{
	char *path = NULL, *hdr = NULL;
	struct ccg_ear_key *k = new_key("claims.pem", &path);
	EVP_PKEY *pem = read_pem_key(path);
	json_t *jwks = ccg_ear_key_jwks(k);
	static const struct {
		const char *payload, *where;
		enum ccg_status s;
	} cases[] = {
		{"{\"eat_profile\":\"tag:github.com,2022:veraison/ear\",\"iat\":1795305600,\"exp\":1795305900,"
		 "\"ear.verifier-id\":{\"developer\":\"x\",\"build\":\"y\"},\"submods\":{\"a\":{\"ear.status\":\"affirming\"}}}",
		 "eat_profile", CCG_ERR_UNSUPPORTED},
		{"{\"iat\":1795305600,\"exp\":1795305900,"
		 "\"ear.verifier-id\":{\"developer\":\"x\",\"build\":\"y\"},\"submods\":{\"a\":{\"ear.status\":\"affirming\"}}}",
		 "eat_profile", CCG_ERR_UNSUPPORTED},
		{"{\"eat_profile\":\"tag:github.com,2023:veraison/ear\",\"iat\":1795305600,\"exp\":1795305900,"
		 "\"ear.verifier-id\":{\"developer\":\"x\"},\"submods\":{\"a\":{\"ear.status\":\"affirming\"}}}",
		 "ear.verifier-id", CCG_ERR_MALFORMED},
		{"{\"eat_profile\":\"tag:github.com,2023:veraison/ear\",\"iat\":1795305600,\"exp\":1795305900,"
		 "\"ear.verifier-id\":{\"developer\":\"x\",\"build\":\"y\"},\"submods\":{}}",
		 "submods", CCG_ERR_MALFORMED},
		{"{\"eat_profile\":\"tag:github.com,2023:veraison/ear\",\"iat\":1795305600,\"exp\":1795305900,"
		 "\"ear.verifier-id\":{\"developer\":\"x\",\"build\":\"y\"},\"submods\":{\"a\":{\"ear.status\":\"fine\"}}}",
		 "submods", CCG_ERR_MALFORMED},
		{"{\"eat_profile\":\"tag:github.com,2023:veraison/ear\",\"iat\":1795305600,"
		 "\"ear.verifier-id\":{\"developer\":\"x\",\"build\":\"y\"},\"submods\":{\"a\":{\"ear.status\":\"affirming\"}}}",
		 "exp", CCG_ERR_MALFORMED},
		{"{\"eat_profile\":\"tag:github.com,2023:veraison/ear\",\"iat\":\"now\",\"exp\":1795305900,"
		 "\"ear.verifier-id\":{\"developer\":\"x\",\"build\":\"y\"},\"submods\":{\"a\":{\"ear.status\":\"affirming\"}}}",
		 "iat", CCG_ERR_MALFORMED},
		{"[1]", "token.payload", CCG_ERR_MALFORMED},
		{"{\"a\":1,\"a\":2}", "token.payload", CCG_ERR_ENCODING},
	};
	struct ccg_error err;

	(void)state;
	assert_true(asprintf(&hdr, "{\"alg\":\"ES384\",\"kid\":\"%s\"}", ccg_ear_key_kid(k)) > 0);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *token = sign_raw(pem, hdr, cases[i].payload);

		assert_int_equal(verify_at(token, jwks, IAT, &err), cases[i].s);
		assert_string_equal(err.where, cases[i].where);
		free(token);
	}
	free(hdr);
	free(path);
	EVP_PKEY_free(pem);
	json_decref(jwks);
	ccg_ear_key_free(k);
}

/* The token as Veraison's ear library and Trustee read it: the claim names, decoded here. */
static void test_claim_names(void **state)
{
	struct ccg_ear_key *k = new_key("names.pem", NULL);
	char *jws = issue(k, CCG_EAR_CONTRAINDICATED, NULL);
	json_t *c = payload_of(jws), *sub, *tv, *hdr;
	const char *d1 = strchr(jws, '.');
	static const char *const ar4si[] = {"instance-identity", "configuration",  "executables",    "file-system",
					    "hardware",          "runtime-opaque", "storage-opaque", "sourced-data"};
	const char *key;
	json_t *v;
	size_t n;
	uint8_t *h = tb_b64url_decode(jws, (size_t)(d1 - jws), &n), *nb;
	char *want_nonce;

	(void)state;
	hdr = json_loadb((const char *)h, n, 0, NULL);
	assert_string_equal(json_string_value(json_object_get(hdr, "alg")), "ES384");
	assert_string_equal(json_string_value(json_object_get(hdr, "typ")), "JWT");
	assert_string_equal(json_string_value(json_object_get(hdr, "kid")), ccg_ear_key_kid(k));

	assert_string_equal(json_string_value(json_object_get(c, "eat_profile")), "tag:github.com,2023:veraison/ear");
	assert_int_equal(json_integer_value(json_object_get(c, "iat")), IAT);
	assert_int_equal(json_integer_value(json_object_get(c, "exp")), EXP);
	assert_string_equal(json_string_value(json_object_get(json_object_get(c, "ear.verifier-id"), "developer")),
			    "ccgpu");
	assert_string_equal(json_string_value(json_object_get(json_object_get(c, "ear.verifier-id"), "build")),
			    "ccgpu-verifierd 0.1.0");
	/* eat_nonce: base64url (no padding) of the nonce bytes */
	want_nonce = tb_b64url_encode(nonce, sizeof(nonce));
	assert_string_equal(json_string_value(json_object_get(c, "eat_nonce")), want_nonce);
	nb = tb_b64url_decode(want_nonce, strlen(want_nonce), &n);
	assert_int_equal(n, 32);
	assert_memory_equal(nb, nonce, 32);
	assert_string_equal(
		json_string_value(json_object_get(json_object_get(json_object_get(c, "cnf"), "jwk"), "kty")), "EC");
	/* overall: the worst submod */
	assert_string_equal(json_string_value(json_object_get(c, "ear.status")), "contraindicated");

	sub = json_object_get(json_object_get(c, "submods"), "cpu0");
	assert_string_equal(json_string_value(json_object_get(sub, "ear.status")), "affirming");
	assert_string_equal(json_string_value(json_object_get(sub, "ear.appraisal-policy-id")), "sha384:abcd");
	tv = json_object_get(sub, "ear.trustworthiness-vector");
	assert_int_equal(json_integer_value(json_object_get(tv, "hardware")), 2);
	assert_int_equal(json_integer_value(json_object_get(tv, "instance-identity")), 2);
	json_object_foreach(tv, key, v) {
		size_t i;

		for (i = 0; i < 8 && strcmp(key, ar4si[i]) != 0; i++)
			;
		assert_true(i < 8);
		assert_true(json_is_integer(v));
	}
	sub = json_object_get(json_object_get(c, "submods"), "GPU-0");
	assert_string_equal(json_string_value(json_object_get(sub, "ear.status")), "contraindicated");
	assert_int_equal(
		json_integer_value(json_object_get(json_object_get(sub, "ear.trustworthiness-vector"), "hardware")),
		96);
	assert_string_equal(
		json_string_value(json_object_get(json_object_get(sub, "ccgpu.claims"), "x-nvidia-gpu-arch-check")),
		"true");
	assert_string_equal(json_string_value(json_array_get(json_object_get(sub, "ccgpu.errors"), 0)),
			    "measres: index 9 differs");
	/* the editor's-copy names (ear_status ...) are not what today's consumers read */
	assert_null(json_object_get(sub, "ear_status"));

	free(want_nonce);
	free(nb);
	free(h);
	json_decref(hdr);
	json_decref(c);
	free(jws);
	ccg_ear_key_free(k);
}

static void test_nonce_check(void **state)
{
	struct ccg_ear_key *k = new_key("nonce.pem", NULL);
	json_t *c = NULL;
	char *jws = issue(k, CCG_EAR_AFFIRMING, &c);
	uint8_t other[32];
	struct ccg_error err;

	(void)state;
	assert_int_equal(ccg_ear_check_nonce(c, nonce, sizeof(nonce), NULL), CCG_OK);
	memcpy(other, nonce, sizeof(other));
	other[31] ^= 1;
	ccg_error_clear(&err);
	assert_int_equal(ccg_ear_check_nonce(c, other, sizeof(other), &err), CCG_ERR_NONCE_MISMATCH);
	assert_string_equal(err.where, "eat_nonce");
	/* a prefix of the nonce is another nonce */
	assert_int_equal(ccg_ear_check_nonce(c, nonce, 31, NULL), CCG_ERR_NONCE_MISMATCH);
	assert_int_equal(ccg_ear_check_nonce(c, nonce, 4, NULL), CCG_ERR_INVALID_ARG);
	json_object_del(c, "eat_nonce");
	assert_int_equal(ccg_ear_check_nonce(c, nonce, sizeof(nonce), NULL), CCG_ERR_NONCE_MISMATCH);
	json_decref(c);
	free(jws);
	ccg_ear_key_free(k);
}

static void test_overall_status(void **state)
{
	struct ccg_ear_key *k = new_key("overall.pem", NULL);
	static const struct {
		enum ccg_ear_status a, b;
		const char *overall;
	} cases[] = {
		{CCG_EAR_AFFIRMING, CCG_EAR_AFFIRMING, "affirming"},
		{CCG_EAR_AFFIRMING, CCG_EAR_NONE, "none"},
		{CCG_EAR_WARNING, CCG_EAR_NONE, "warning"},
		{CCG_EAR_AFFIRMING, CCG_EAR_WARNING, "warning"},
		{CCG_EAR_CONTRAINDICATED, CCG_EAR_WARNING, "contraindicated"},
		{CCG_EAR_NONE, CCG_EAR_CONTRAINDICATED, "contraindicated"},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct ccg_ear_submod subs[2] = {{.name = "cpu0", .status = cases[i].a},
						 {.name = "GPU-0", .status = cases[i].b}};
		struct ccg_ear_params p = {.verifier_developer = "d",
					   .verifier_build = "b",
					   .iat = IAT,
					   .exp = EXP,
					   .submods = subs,
					   .n_submods = 2};
		json_t *c = NULL;
		char *jws = NULL;

		assert_int_equal(ccg_ear_issue(k, &p, &jws, &c, NULL), CCG_OK);
		assert_string_equal(json_string_value(json_object_get(c, "ear.status")), cases[i].overall);
		assert_null(json_object_get(c, "eat_nonce"));
		assert_null(json_object_get(c, "cnf"));
		json_decref(c);
		free(jws);
	}
	ccg_ear_key_free(k);
}

static void test_issue_refusals(void **state)
{
	struct ccg_ear_key *k = new_key("params.pem", NULL);
	json_t *priv = json_pack("{s:s,s:s,s:s,s:s,s:s}", "kty", "EC", "crv", "P-384", "x", "AA", "y", "BB", "d", "CC");
	json_t *oct = json_pack("{s:s,s:s}", "kty", "oct", "k", "c2VjcmV0");
	json_t *tv_bad_key = json_pack("{s:i}", "firmware", 2), *tv_bad_val = json_pack("{s:i}", "hardware", 300);
	json_t *tv_ok = json_pack("{s:i,s:i}", "hardware", 2, "executables", 33);
	struct ccg_ear_submod subs[2] = {{.name = "cpu0", .status = CCG_EAR_AFFIRMING},
					 {.name = "GPU-0", .status = CCG_EAR_AFFIRMING}};
	struct ccg_ear_params base = {.verifier_developer = "d",
				      .verifier_build = "b",
				      .iat = IAT,
				      .exp = EXP,
				      .submods = subs,
				      .n_submods = 2},
			      p;
	struct ccg_error err;
	json_t *c = NULL;
	char *jws = NULL;

	(void)state;
#define REFUSED(status, wh) \
	do { \
		ccg_error_clear(&err); \
		assert_int_equal(ccg_ear_issue(k, &p, &jws, &c, &err), status); \
		assert_null(jws); \
		assert_null(c); \
		assert_string_equal(err.where, wh); \
	} while (0)
	p = base;
	p.tee_jwk = priv;
	REFUSED(CCG_ERR_INVALID_ARG, "ear.cnf.jwk");
	p.tee_jwk = oct;
	REFUSED(CCG_ERR_INVALID_ARG, "ear.cnf.jwk");
	p = base;
	p.exp = p.iat;
	REFUSED(CCG_ERR_INVALID_ARG, "exp");
	p = base;
	p.n_submods = 0;
	REFUSED(CCG_ERR_INVALID_ARG, "submods");
	p = base;
	p.nonce = nonce;
	p.nonce_len = 7;
	REFUSED(CCG_ERR_INVALID_ARG, "eat_nonce");
	p.nonce_len = 65;
	REFUSED(CCG_ERR_INVALID_ARG, "eat_nonce");
	p = base;
	p.verifier_build = NULL;
	REFUSED(CCG_ERR_INVALID_ARG, "ear.verifier-id");
	p = base;
	subs[1].name = "cpu0";
	REFUSED(CCG_ERR_DUPLICATE, "submods");
	subs[1].name = "GPU-0";
	subs[1].status = (enum ccg_ear_status)5;
	REFUSED(CCG_ERR_INVALID_ARG, "ear.submods.GPU-0");
	subs[1].status = CCG_EAR_AFFIRMING;
	subs[1].trust_vector = tv_bad_key;
	REFUSED(CCG_ERR_INVALID_ARG, "ear.submods.GPU-0");
	subs[1].trust_vector = tv_bad_val;
	REFUSED(CCG_ERR_INVALID_ARG, "ear.submods.GPU-0");
	/* a given vector is carried as given */
	subs[1].trust_vector = tv_ok;
	assert_int_equal(ccg_ear_issue(k, &p, &jws, &c, NULL), CCG_OK);
	assert_true(json_equal(json_object_get(json_object_get(json_object_get(c, "submods"), "GPU-0"),
					       "ear.trustworthiness-vector"),
			       tv_ok));
	json_decref(c);
	free(jws);
#undef REFUSED
	json_decref(priv);
	json_decref(oct);
	json_decref(tv_bad_key);
	json_decref(tv_bad_val);
	json_decref(tv_ok);
	ccg_ear_key_free(k);
}

/* ---- the key file ---- */

static void test_key_file_created_0600_and_reloaded(void **state)
{
	char *path = NULL;
	struct ccg_ear_key *k = new_key("created.pem", &path), *again = NULL;
	struct stat st;

	(void)state;
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0600);
	assert_true(S_ISREG(st.st_mode));
	assert_int_equal(ccg_ear_key_load_or_create(path, &again, NULL), CCG_OK);
	assert_string_equal(ccg_ear_key_kid(k), ccg_ear_key_kid(again));
	/* nothing left beside it */
	{
		char *cmd = NULL;

		assert_true(asprintf(&cmd, "test $(ls -A '%s' | grep -c '^created.pem.new') -eq 0", tmp) > 0);
		assert_int_equal(system(cmd), 0);
		free(cmd);
	}
	ccg_ear_key_free(again);
	ccg_ear_key_free(k);
	free(path);
}

static void test_key_file_refusals(void **state)
{
	char *path = path_in_tmp("perm.pem"), *link_path = path_in_tmp("link.pem");
	EVP_PKEY *p384 = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-384"),
		 *p256 = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	EVP_PKEY *ed = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
	struct ccg_ear_key *k = NULL;
	struct ccg_error err;
	static const mode_t loose[] = {0640, 0604, 0660, 0602, 0644, 0620};

	(void)state;
	for (size_t i = 0; i < sizeof(loose) / sizeof(loose[0]); i++) {
		write_pem_key(path, p384, loose[i]);
		ccg_error_clear(&err);
		assert_int_equal(ccg_ear_key_load_or_create(path, &k, &err), CCG_ERR_INVALID_ARG);
		assert_null(k);
		assert_string_equal(err.where, "ear.key.mode");
		unlink(path);
	}
	write_pem_key(path, p384, 0400);
	assert_int_equal(ccg_ear_key_load_or_create(path, &k, NULL), CCG_OK);
	ccg_ear_key_free(k);
	k = NULL;
	unlink(path);

	write_pem_key(path, p256, 0600);
	ccg_error_clear(&err);
	assert_int_equal(ccg_ear_key_load_or_create(path, &k, &err), CCG_ERR_INVALID_ARG);
	assert_non_null(strstr(err.detail, "prime256v1"));
	unlink(path);
	write_pem_key(path, ed, 0600);
	ccg_error_clear(&err);
	assert_int_equal(ccg_ear_key_load_or_create(path, &k, &err), CCG_ERR_INVALID_ARG);
	assert_non_null(strstr(err.detail, "not an EC key"));
	unlink(path);

	/* not a key at all, and empty */
	{
		int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);

		assert_int_equal(write(fd, "hello\n", 6), 6);
		close(fd);
		assert_int_equal(ccg_ear_key_load_or_create(path, &k, NULL), CCG_ERR_ENCODING);
		fd = open(path, O_WRONLY | O_TRUNC);
		close(fd);
		assert_int_equal(ccg_ear_key_load_or_create(path, &k, NULL), CCG_ERR_ENCODING);
		unlink(path);
	}
	/* an encrypted key is refused, never prompted for */
	{
		FILE *f = fopen(path, "w");

		assert_int_equal(chmod(path, 0600), 0);
		assert_int_equal(PEM_write_PrivateKey(f, p384, EVP_aes_256_cbc(), (unsigned char *)"pw", 2, NULL, NULL),
				 1);
		fclose(f);
		assert_int_equal(ccg_ear_key_load_or_create(path, &k, NULL), CCG_ERR_ENCODING);
		unlink(path);
	}
	/* a key file owned by another user (that user holds the key) */
	write_pem_key(path, p384, 0600);
	if (geteuid() == 0) {
		assert_int_equal(chown(path, 65534, 65534), 0);
		ccg_error_clear(&err);
		assert_int_equal(ccg_ear_key_load_or_create(path, &k, &err), CCG_ERR_INVALID_ARG);
		assert_null(k);
		assert_string_equal(err.where, "ear.key.owner");
	}
	unlink(path);
	/* a symbolic link is not followed */
	write_pem_key(path, p384, 0600);
	assert_int_equal(symlink(path, link_path), 0);
	ccg_error_clear(&err);
	assert_int_equal(ccg_ear_key_load_or_create(link_path, &k, &err), CCG_ERR_INVALID_ARG);
	assert_null(k);
	/* a directory that does not exist */
	{
		char *missing = NULL;

		assert_true(asprintf(&missing, "%s/no/such/dir/key.pem", tmp) > 0);
		assert_int_equal(ccg_ear_key_load_or_create(missing, &k, NULL), CCG_ERR_NOT_FOUND);
		free(missing);
	}
	unlink(link_path);
	unlink(path);
	EVP_PKEY_free(p384);
	EVP_PKEY_free(p256);
	EVP_PKEY_free(ed);
	free(path);
	free(link_path);
}

struct race {
	const char *path;
	struct ccg_ear_key *k;
	enum ccg_status s;
};

static void *racer(void *arg)
{
	struct race *r = arg;

	r->s = ccg_ear_key_load_or_create(r->path, &r->k, NULL);
	return NULL;
}

/* Creators racing on one path all end with the same key, whatever the interleaving. */
static void test_key_file_race(void **state)
{
	char *path = path_in_tmp("race.pem");
	struct race r[4];
	pthread_t t[4];

	(void)state;
	for (int i = 0; i < 4; i++) {
		r[i] = (struct race){.path = path};
		assert_int_equal(pthread_create(&t[i], NULL, racer, &r[i]), 0);
	}
	for (int i = 0; i < 4; i++) {
		assert_int_equal(pthread_join(t[i], NULL), 0);
		assert_int_equal(r[i].s, CCG_OK);
		assert_string_equal(ccg_ear_key_kid(r[i].k), ccg_ear_key_kid(r[0].k));
	}
	for (int i = 0; i < 4; i++)
		ccg_ear_key_free(r[i].k);
	free(path);
}

struct signer {
	struct ccg_ear_key *k;
	const json_t *jwks;
	int ok;
};

static void *sign_many(void *arg)
{
	struct signer *sg = arg;

	for (int i = 0; i < 25; i++) {
		struct ccg_ear_submod sub = {.name = "GPU-0", .status = CCG_EAR_AFFIRMING};
		struct ccg_ear_params p = {.verifier_developer = "d",
					   .verifier_build = "b",
					   .iat = IAT,
					   .exp = EXP,
					   .submods = &sub,
					   .n_submods = 1};
		json_t *c = NULL;
		char *jws = NULL;

		if (ccg_ear_issue(sg->k, &p, &jws, NULL, NULL) == CCG_OK &&
		    ccg_ear_verify(jws, sg->jwks, IAT, &c, NULL) == CCG_OK)
			sg->ok++;
		json_decref(c);
		free(jws);
	}
	return NULL;
}

/* One key signs from several threads at once (the daemon's worker threads share it). */
static void test_threads_share_a_key(void **state)
{
	struct ccg_ear_key *k = new_key("threads.pem", NULL);
	json_t *jwks = ccg_ear_key_jwks(k);
	struct signer sg[4];
	pthread_t t[4];

	(void)state;
	for (int i = 0; i < 4; i++) {
		sg[i] = (struct signer){.k = k, .jwks = jwks};
		assert_int_equal(pthread_create(&t[i], NULL, sign_many, &sg[i]), 0);
	}
	for (int i = 0; i < 4; i++) {
		assert_int_equal(pthread_join(t[i], NULL), 0);
		assert_int_equal(sg[i].ok, 25);
	}
	json_decref(jwks);
	ccg_ear_key_free(k);
}

static void test_status_names(void **state)
{
	enum ccg_ear_status s;

	(void)state;
	assert_string_equal(ccg_ear_status_name(CCG_EAR_NONE), "none");
	assert_string_equal(ccg_ear_status_name(CCG_EAR_AFFIRMING), "affirming");
	assert_string_equal(ccg_ear_status_name(CCG_EAR_WARNING), "warning");
	assert_string_equal(ccg_ear_status_name(CCG_EAR_CONTRAINDICATED), "contraindicated");
	assert_null(ccg_ear_status_name((enum ccg_ear_status)1));
	assert_true(ccg_ear_status_parse("warning", &s));
	assert_int_equal(s, CCG_EAR_WARNING);
	assert_false(ccg_ear_status_parse("Warning", &s));
	assert_false(ccg_ear_status_parse(NULL, &s));
}

/* ---- ccgpu ear verify ---- */

static void write_text(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	assert_int_equal(fputs(text, f) >= 0, 1);
	fclose(f);
}

/* Runs the ccgpu CLI with args; returns its exit status, its stdout in *out (malloc'd, may be NULL). */
static int run_cli(const char *args, char **out)
{
	const char *root = getenv("CCGPU_BUILD_ROOT");
	char *cmd = NULL, buf[4096];
	struct ccg_buf b;
	FILE *p;
	size_t n;
	int st;

	assert_non_null(root);
	assert_true(asprintf(&cmd, "%s/tools/ccgpu/ccgpu ear verify %s 2>%s/cli.err", root, args, tmp) > 0);
	p = popen(cmd, "r");
	assert_non_null(p);
	ccg_buf_init(&b, 0);
	while ((n = fread(buf, 1, sizeof(buf), p)) > 0)
		assert_int_equal(ccg_buf_append(&b, buf, n), CCG_OK);
	assert_int_equal(ccg_buf_terminate(&b), CCG_OK);
	st = pclose(p);
	free(cmd);
	if (out != NULL)
		*out = (char *)ccg_buf_steal(&b, &n);
	else
		ccg_buf_cleanup(&b);
	assert_true(WIFEXITED(st));
	return WEXITSTATUS(st);
}

static void serve_jwks(void *ctx, const struct th_http_request *req, struct th_http_response *resp)
{
	const char *jwks = ctx;

	if (strcmp(req->path, "/.well-known/jwks.json") != 0) {
		resp->status = 404;
		return;
	}
	resp->content_type = "application/json";
	th_http_reply_copy(resp, jwks, strlen(jwks));
}

static void test_cli(void **state)
{
	struct ccg_ear_key *k = new_key("cli.pem", NULL), *other = new_key("cli-other.pem", NULL);
	json_t *jwks = ccg_ear_key_jwks(k), *jwks_other = ccg_ear_key_jwks(other);
	char *jws = issue(k, CCG_EAR_WARNING, NULL), *jwks_text = json_dumps(jwks, JSON_COMPACT);
	char *other_text = json_dumps(jwks_other, JSON_COMPACT), *args = NULL, *out = NULL;
	char *tok_path = path_in_tmp("token.jwt"), *jwks_path = path_in_tmp("jwks.json");
	char *other_path = path_in_tmp("other.json"), *tok_nl = NULL;
	struct th_http_server *srv;

	(void)state;
	assert_true(asprintf(&tok_nl, "%s\n", jws) > 0);
	write_text(tok_path, tok_nl);
	write_text(jwks_path, jwks_text);
	write_text(other_path, other_text);

	/* the token given inline, as a file, and on standard input: verified, claims printed */
	assert_true(asprintf(&args, "%s --jwks %s --time 1795305700", jws, jwks_path) > 0);
	assert_int_equal(run_cli(args, &out), 0);
	assert_non_null(strstr(out, "EAR token verified"));
	assert_non_null(strstr(out, "ear.status        warning"));
	assert_non_null(strstr(out, "submod GPU-0      warning  (policy sha384:abcd)"));
	assert_non_null(strstr(out, "failed: measres: index 9 differs"));
	free(out);
	free(args);
	assert_true(asprintf(&args, "%s --jwks %s --time 2026-11-22T00:01:00Z --json", tok_path, jwks_path) > 0);
	assert_int_equal(run_cli(args, &out), 0);
	{
		json_t *printed = json_loads(out, 0, NULL);

		assert_non_null(printed);
		assert_string_equal(json_string_value(json_object_get(printed, "eat_profile")),
				    "tag:github.com,2023:veraison/ear");
		json_decref(printed);
	}
	free(out);
	free(args);
	assert_true(asprintf(&args, "- --jwks %s --time 1795305700 < %s", jwks_path, tok_path) > 0);
	assert_int_equal(run_cli(args, NULL), 0);
	free(args);
	/* the relying party's own nonce: carried (0), another (1), not hex (2) */
	{
		char hex[65], other_hex[65];

		for (size_t i = 0; i < sizeof(nonce); i++) {
			snprintf(hex + 2 * i, 3, "%02x", nonce[i]);
			snprintf(other_hex + 2 * i, 3, "%02x", (uint8_t)(nonce[i] ^ (i == 0)));
		}
		assert_true(asprintf(&args, "%s --jwks %s --nonce %s --time %d", tok_path, jwks_path, hex, IAT) > 0);
		assert_int_equal(run_cli(args, NULL), 0);
		free(args);
		assert_true(asprintf(&args, "%s --jwks %s --nonce %s --time %d", tok_path, jwks_path, other_hex, IAT) >
			    0);
		assert_int_equal(run_cli(args, NULL), 1);
		free(args);
		assert_true(asprintf(&args, "%s --jwks %s --nonce xyz --time %d", tok_path, jwks_path, IAT) > 0);
		assert_int_equal(run_cli(args, NULL), 2);
		free(args);
	}

	/* refused (1): expired, not yet valid, another key */
	assert_true(asprintf(&args, "%s --jwks %s --time %d", tok_path, jwks_path, EXP) > 0);
	assert_int_equal(run_cli(args, NULL), 1);
	free(args);
	assert_true(asprintf(&args, "%s --jwks %s --time %d", tok_path, jwks_path, IAT - 1) > 0);
	assert_int_equal(run_cli(args, NULL), 1);
	free(args);
	assert_true(asprintf(&args, "%s --jwks %s --time %d", tok_path, other_path, IAT) > 0);
	assert_int_equal(run_cli(args, NULL), 1);
	free(args);
	/* a changed token */
	jws[strlen(jws) - 5] = jws[strlen(jws) - 5] == 'A' ? 'B' : 'A';
	assert_true(asprintf(&args, "%s --jwks %s --time %d", jws, jwks_path, IAT) > 0);
	assert_int_equal(run_cli(args, NULL), 1);
	free(args);

	/* usage and input errors (2) */
	assert_true(asprintf(&args, "%s --time %d", tok_path, IAT) > 0);
	assert_int_equal(run_cli(args, NULL), 2);
	free(args);
	assert_true(asprintf(&args, "%s --jwks %s/none.json --time %d", tok_path, tmp, IAT) > 0);
	assert_int_equal(run_cli(args, NULL), 2);
	free(args);
	assert_true(asprintf(&args, "%s/none.jwt --jwks %s --time %d", tmp, jwks_path, IAT) > 0);
	assert_int_equal(run_cli(args, NULL), 2);
	free(args);
	assert_true(asprintf(&args, "%s --jwks %s --time yesterday", tok_path, jwks_path) > 0);
	assert_int_equal(run_cli(args, NULL), 2);
	free(args);

	/* the JWKS fetched from the verifier's URL */
	srv = th_http_server_new(serve_jwks, jwks_text);
	assert_true(asprintf(&args, "%s --jwks http://127.0.0.1:%d/.well-known/jwks.json --time %d", tok_path,
			     th_http_server_port(srv), IAT) > 0);
	assert_int_equal(run_cli(args, NULL), 0);
	free(args);
	assert_true(asprintf(&args, "%s --jwks http://127.0.0.1:%d/nothing.json --time %d", tok_path,
			     th_http_server_port(srv), IAT) > 0);
	assert_int_equal(run_cli(args, NULL), 2);
	free(args);
	th_http_server_free(srv);

	free(tok_nl);
	free(tok_path);
	free(jwks_path);
	free(other_path);
	free(jwks_text);
	free(other_text);
	free(jws);
	json_decref(jwks);
	json_decref(jwks_other);
	ccg_ear_key_free(k);
	ccg_ear_key_free(other);
}

/* include/ccgpu/token.h: the relying party's verification through the public API (branch layout) */
static void test_public_token_api(void **state)
{
	struct ccg_ear_key *k = new_key("public.pem", NULL), *other = new_key("public-other.pem", NULL);
	json_t *jwks = ccg_ear_key_jwks(k), *jwks_other = ccg_ear_key_jwks(other);
	char *jws = issue(k, CCG_EAR_WARNING, NULL), *keys = json_dumps(jwks, JSON_COMPACT);
	char *other_keys = json_dumps(jwks_other, JSON_COMPACT), *text, *big;
	uint8_t other_nonce[sizeof(nonce)];
	struct ccg_token *t = NULL;
	struct ccg_error err;
	json_t *printed;

	(void)state;
	/* genuine and current: the claims, the overall status, the nonce */
	ccg_error_clear(&err);
	assert_int_equal(ccg_token_verify(jws, strlen(jws), keys, strlen(keys), IAT, &t, &err), CCG_OK);
	assert_non_null(t);
	assert_string_equal(ccg_token_status(t), "warning");
	text = ccg_token_claims_json(t);
	assert_non_null(text);
	printed = json_loads(text, 0, NULL);
	assert_non_null(printed);
	assert_string_equal(json_string_value(json_object_get(printed, "eat_profile")),
			    "tag:github.com,2023:veraison/ear");
	assert_string_equal(json_string_value(json_object_get(
				    json_object_get(json_object_get(printed, "submods"), "GPU-0"), "ear.status")),
			    "warning");
	json_decref(printed);
	free(text);
	assert_int_equal(ccg_token_check_nonce(t, nonce, sizeof(nonce), &err), CCG_OK);
	memcpy(other_nonce, nonce, sizeof(nonce));
	other_nonce[31] ^= 1;
	assert_int_equal(ccg_token_check_nonce(t, other_nonce, sizeof(other_nonce), &err), CCG_ERR_NONCE_MISMATCH);
	assert_string_equal(err.where, "eat_nonce");
	ccg_token_free(t);
	t = NULL;

	/* refused, each naming its check, nothing returned */
	ccg_error_clear(&err);
	assert_int_equal(ccg_token_verify(jws, strlen(jws), keys, strlen(keys), EXP, &t, &err), CCG_ERR_TOKEN_EXPIRED);
	assert_null(t);
	ccg_error_clear(&err);
	assert_int_equal(ccg_token_verify(jws, strlen(jws), other_keys, strlen(other_keys), IAT, &t, &err),
			 CCG_ERR_TOKEN_KEY_UNKNOWN);
	assert_null(t);
	/* the JWKS must be one JSON document */
	ccg_error_clear(&err);
	assert_int_not_equal(ccg_token_verify(jws, strlen(jws), keys, strlen(keys) - 1, IAT, &t, &err), CCG_OK);
	assert_string_equal(err.where, "jwks");
	assert_null(t);
	/* token_len is the token: a NUL inside (the C string would end early) and a prefix are refused */
	ccg_error_clear(&err);
	assert_int_equal(ccg_token_verify(jws, strlen(jws) + 1, keys, strlen(keys), IAT, &t, &err), CCG_ERR_ENCODING);
	assert_string_equal(err.where, "token");
	assert_null(t);
	ccg_error_clear(&err);
	assert_int_not_equal(ccg_token_verify(jws, strlen(jws) - 3, keys, strlen(keys), IAT, &t, &err), CCG_OK);
	assert_null(t);
	/* longer than CCG_TOKEN_MAX: refused before any parsing */
	big = malloc(CCG_TOKEN_MAX + 1);
	assert_non_null(big);
	memset(big, 'A', CCG_TOKEN_MAX + 1);
	ccg_error_clear(&err);
	assert_int_equal(ccg_token_verify(big, CCG_TOKEN_MAX + 1, keys, strlen(keys), IAT, &t, &err),
			 CCG_ERR_TOO_LARGE);
	assert_string_equal(err.where, "token");
	assert_null(t);
	free(big);
	/* no place for the result, no inputs */
	assert_int_equal(ccg_token_verify(jws, strlen(jws), keys, strlen(keys), IAT, NULL, NULL), CCG_ERR_INVALID_ARG);
	assert_int_equal(ccg_token_verify(NULL, 0, keys, strlen(keys), IAT, &t, NULL), CCG_ERR_INVALID_ARG);
	assert_null(ccg_token_status(NULL));
	assert_null(ccg_token_claims_json(NULL));
	ccg_token_free(NULL);

	free(keys);
	free(other_keys);
	free(jws);
	json_decref(jwks);
	json_decref(jwks_other);
	ccg_ear_key_free(k);
	ccg_ear_key_free(other);
}

/* ccg_token_jwks_fetch (branch api): the JWKS from a URL, checked as one JSON document */
static void jwks_handler(void *ctx, const struct th_http_request *req, struct th_http_response *resp)
{
	static const char jwks[] = "{\"keys\":[{\"kty\":\"EC\",\"crv\":\"P-384\",\"kid\":\"k\"}]}";

	(void)ctx;
	if (strcmp(req->path, "/jwks") == 0) {
		resp->content_type = "application/json";
		th_http_reply_copy(resp, jwks, strlen(jwks));
	} else if (strcmp(req->path, "/dup") == 0) {
		th_http_reply_copy(resp, "{\"keys\":[],\"keys\":[]}", 21);
	} else if (strcmp(req->path, "/text") == 0) {
		th_http_reply_copy(resp, "{\"keys\":[]} trailing", 20);
	} else {
		resp->status = 404;
	}
}

static void test_jwks_fetch(void **state)
{
	struct th_http_server *srv = th_http_server_new(jwks_handler, NULL);
	struct ccg_error err;
	char url[128], *text = NULL;
	size_t len = 0;

	(void)state;
	snprintf(url, sizeof(url), "http://127.0.0.1:%d/jwks", th_http_server_port(srv));
	ccg_error_clear(&err);
	assert_int_equal(ccg_token_jwks_fetch(url, &text, &len, &err), CCG_OK);
	assert_int_equal(len, strlen(text));
	assert_string_equal(text, "{\"keys\":[{\"kty\":\"EC\",\"crv\":\"P-384\",\"kid\":\"k\"}]}");
	free(text);
	/* another status, duplicate keys, trailing text: refused at "jwks", nothing returned */
	const struct {
		const char *path;
		enum ccg_status st;
	} bad[] = {{"/missing", CCG_ERR_NETWORK}, {"/dup", CCG_ERR_ENCODING}, {"/text", CCG_ERR_ENCODING}};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(url, sizeof(url), "http://127.0.0.1:%d%s", th_http_server_port(srv), bad[i].path);
		text = (char *)1;
		ccg_error_clear(&err);
		assert_int_equal(ccg_token_jwks_fetch(url, &text, &len, &err), bad[i].st);
		assert_string_equal(err.where, "jwks");
		assert_null(text);
	}
	assert_non_null(strstr(err.detail, "JSON"));
	th_http_server_free(srv);
	/* not http(s); nobody listening */
	ccg_error_clear(&err);
	assert_int_equal(ccg_token_jwks_fetch("file:///etc/passwd", &text, &len, &err), CCG_ERR_INVALID_ARG);
	assert_string_equal(err.where, "jwks");
	snprintf(url, sizeof(url), "http://127.0.0.1:%d/jwks", th_free_port());
	ccg_error_clear(&err);
	assert_int_equal(ccg_token_jwks_fetch(url, &text, &len, &err), CCG_ERR_NETWORK);
	assert_null(text);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_independent_jwks),
		cmocka_unit_test(test_foreign_signed_token),
		cmocka_unit_test(test_flips_and_truncations),
		cmocka_unit_test(test_alg_attacks),
		cmocka_unit_test(test_other_keys),
		cmocka_unit_test(test_times),
		cmocka_unit_test(test_claims_checked),
		cmocka_unit_test(test_claim_names),
		cmocka_unit_test(test_nonce_check),
		cmocka_unit_test(test_overall_status),
		cmocka_unit_test(test_issue_refusals),
		cmocka_unit_test(test_key_file_created_0600_and_reloaded),
		cmocka_unit_test(test_key_file_refusals),
		cmocka_unit_test(test_key_file_race),
		cmocka_unit_test(test_threads_share_a_key),
		cmocka_unit_test(test_status_names),
		cmocka_unit_test(test_cli),
		cmocka_unit_test(test_public_token_api),
		cmocka_unit_test(test_jwks_fetch),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
