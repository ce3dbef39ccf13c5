/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The guest API's pieces that need no process: the TEE key as a JWK
 * (verifier/tee_jwk.h: RFC 8037 OKP X25519, EC P-384, comparison, the HPKE
 * recipient, RFC 7638 thumbprints against the RFCs' own examples), the
 * opening of a POST /v1/release answer sealed as docs/protocols.md says
 * (each member and each aad part checked: another token, contract, secret,
 * suite, enc or ct is refused), and ccg_guest_new's option checks; the
 * OHTTP gateway made on the guest's TEE key (branch inference) serves
 * exactly the key the guest binds into its evidence.
 */
#include <stdarg.h>
#include <setjmp.h>
#include <stddef.h>
#include <cmocka.h>
#include <jansson.h>
#include <jose/jose.h>
#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>

#include "ccgpu/guest.h"
#include "ccgpu/ohttp.h"
#include "common/hpke.h"
#include "common/secret.h"
#include "tee_guest/guest_impl.h"
#include "token/tee_jwk.h"

static const char TOKEN[] = "eyJhbGciOiJFUzM4NCJ9.eyJ0ZXN0Ijp0cnVlfQ.c2ln";

static EVP_PKEY *keypair(enum ccg_hpke_suite suite)
{
	EVP_PKEY *k = NULL;

	assert_int_equal(ccg_hpke_keypair_generate(suite, &k, NULL), CCG_OK);
	return k;
}

static char *b64url(const uint8_t *b, size_t n)
{
	size_t len = jose_b64_enc_buf(b, n, NULL, 0);
	char *s = malloc(len + 1);

	assert_non_null(s);
	assert_int_equal(jose_b64_enc_buf(b, n, s, len), len);
	s[len] = '\0';
	return s;
}

static void test_jwk_x25519(void **state)
{
	EVP_PKEY *k = keypair(CCG_HPKE_X25519_SHA256_AES128GCM), *other = keypair(CCG_HPKE_X25519_SHA256_AES128GCM);
	json_t *jwk = NULL, *jwk2 = NULL;
	uint8_t pk[CCG_HPKE_MAX_PK_LEN], raw[32];
	size_t pk_len = 0, raw_len = sizeof(raw);
	enum ccg_hpke_suite suite;
	struct ccg_error err;

	(void)state;
	assert_int_equal(ccg_tee_jwk_from_pkey(k, &jwk, NULL), CCG_OK);
	assert_string_equal(json_string_value(json_object_get(jwk, "kty")), "OKP");
	assert_string_equal(json_string_value(json_object_get(jwk, "crv")), "X25519");
	assert_int_equal(json_object_size(jwk), 3); /* kty, crv, x: no private "d" from a private key */
	assert_int_equal(ccg_tee_jwk_hpke(jwk, &suite, pk, &pk_len, NULL), CCG_OK);
	assert_int_equal(suite, CCG_HPKE_X25519_SHA256_AES128GCM);
	assert_int_equal(EVP_PKEY_get_raw_public_key(k, raw, &raw_len), 1);
	assert_int_equal(pk_len, 32);
	assert_memory_equal(pk, raw, 32);
	assert_true(ccg_tee_jwk_equal(jwk, jwk));
	assert_int_equal(ccg_tee_jwk_from_pkey(other, &jwk2, NULL), CCG_OK);
	assert_false(ccg_tee_jwk_equal(jwk, jwk2));
	/* the same x under another crv is another key */
	json_object_set_new(jwk2, "x", json_deep_copy(json_object_get(jwk, "x")));
	assert_true(ccg_tee_jwk_equal(jwk, jwk2));
	json_object_set_new(jwk2, "crv", json_string("Ed25519"));
	assert_false(ccg_tee_jwk_equal(jwk, jwk2));
	ccg_error_clear(&err);
	assert_int_equal(ccg_tee_jwk_hpke(jwk2, &suite, pk, &pk_len, &err), CCG_ERR_UNSUPPORTED);
	assert_string_equal(err.where, "cnf.jwk.crv");
	/* a short x */
	json_object_set_new(jwk2, "crv", json_string("X25519"));
	json_object_set_new(jwk2, "x", json_string("AAAA"));
	ccg_error_clear(&err);
	assert_int_equal(ccg_tee_jwk_hpke(jwk2, &suite, pk, &pk_len, &err), CCG_ERR_MALFORMED);
	assert_string_equal(err.where, "cnf.jwk.x");
	/* private members are refused */
	json_object_set(jwk2, "x", json_object_get(jwk, "x"));
	json_object_set_new(jwk2, "d", json_string("AAAA"));
	assert_int_equal(ccg_tee_jwk_hpke(jwk2, &suite, pk, &pk_len, NULL), CCG_ERR_MALFORMED);
	json_decref(jwk);
	json_decref(jwk2);
	EVP_PKEY_free(k);
	EVP_PKEY_free(other);
}

static void test_jwk_p384(void **state)
{
	EVP_PKEY *k = keypair(CCG_HPKE_P384_SHA384_AES256GCM);
	json_t *jwk = NULL, *moved;
	uint8_t pk[CCG_HPKE_MAX_PK_LEN], want[CCG_HPKE_MAX_PK_LEN];
	size_t pk_len = 0, want_len = 0;
	enum ccg_hpke_suite suite;
	struct ccg_error err;

	(void)state;
	assert_int_equal(ccg_tee_jwk_from_pkey(k, &jwk, NULL), CCG_OK);
	assert_string_equal(json_string_value(json_object_get(jwk, "kty")), "EC");
	assert_string_equal(json_string_value(json_object_get(jwk, "crv")), "P-384");
	assert_null(json_object_get(jwk, "d"));
	assert_int_equal(ccg_tee_jwk_hpke(jwk, &suite, pk, &pk_len, NULL), CCG_OK);
	assert_int_equal(suite, CCG_HPKE_P384_SHA384_AES256GCM);
	assert_int_equal(ccg_hpke_public_key(suite, k, want, sizeof(want), &want_len, NULL), CCG_OK);
	assert_int_equal(pk_len, want_len);
	assert_memory_equal(pk, want, pk_len);
	/* a point off the curve: y of another key */
	moved = json_deep_copy(jwk);
	{
		EVP_PKEY *k2 = keypair(CCG_HPKE_P384_SHA384_AES256GCM);
		json_t *j2 = NULL;

		assert_int_equal(ccg_tee_jwk_from_pkey(k2, &j2, NULL), CCG_OK);
		json_object_set(moved, "y", json_object_get(j2, "y"));
		json_decref(j2);
		EVP_PKEY_free(k2);
	}
	assert_false(ccg_tee_jwk_equal(jwk, moved));
	ccg_error_clear(&err);
	assert_int_equal(ccg_tee_jwk_hpke(moved, &suite, pk, &pk_len, &err), CCG_ERR_MALFORMED);
	json_decref(moved);
	json_decref(jwk);
	EVP_PKEY_free(k);
}

/* RFC 7638 §3.1 (RSA) and RFC 8037 Appendix A.3 (OKP) give their thumbprints */
static void test_thumbprint_vectors(void **state)
{
	json_t *rsa = json_pack(
		"{s:s,s:s,s:s,s:s}", "kty", "RSA", "n",
		"0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw",
		"e", "AQAB", "alg", "RS256");
	json_t *okp = json_pack("{s:s,s:s,s:s}", "kty", "OKP", "crv", "Ed25519", "x",
				"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo");
	char tp[CCG_TEE_JWK_THUMBPRINT_LEN + 1];

	(void)state;
	assert_int_equal(ccg_tee_jwk_thumbprint(rsa, tp, NULL), CCG_OK);
	assert_string_equal(tp, "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs");
	assert_int_equal(ccg_tee_jwk_thumbprint(okp, tp, NULL), CCG_OK);
	assert_string_equal(tp, "kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k");
	json_object_del(okp, "x");
	assert_int_equal(ccg_tee_jwk_thumbprint(okp, tp, NULL), CCG_ERR_MALFORMED);
	json_decref(rsa);
	json_decref(okp);
}

/* the answer the daemon gives: HPKE base mode to the key, info and aad as docs/protocols.md says */
static char *release_answer(EVP_PKEY *k, enum ccg_hpke_suite suite, const char *token, const char *contract,
			    const char *secret, const uint8_t *pt, size_t pt_len, const char *suite_name)
{
	uint8_t pk[CCG_HPKE_MAX_PK_LEN], *aad = NULL, *sealed = NULL;
	size_t pk_len = 0, aad_len = 0, sealed_len = 0, enc_len = ccg_hpke_enc_len(suite);
	char *enc, *ct, *out;
	json_t *j;

	assert_int_equal(ccg_hpke_public_key(suite, k, pk, sizeof(pk), &pk_len, NULL), CCG_OK);
	assert_int_equal(ccg_hpke_release_aad(token, contract, secret, &aad, &aad_len, NULL), CCG_OK);
	assert_int_equal(ccg_hpke_seal(suite, pk, pk_len, (const uint8_t *)"ccgpu-release/v1", 16, aad, aad_len, pt,
				       pt_len, &sealed, &sealed_len, NULL),
			 CCG_OK);
	enc = b64url(sealed, enc_len);
	ct = b64url(sealed + enc_len, sealed_len - enc_len);
	j = json_pack("{s:s,s:s,s:i,s:s,s:s,s:s,s:i}", "contract", contract, "secret", secret, "version", 3, "suite",
		      suite_name, "enc", enc, "ct", ct, "log_index", 7);
	out = json_dumps(j, JSON_COMPACT);
	json_decref(j);
	free(enc);
	free(ct);
	free(aad);
	free(sealed);
	return out;
}

static void open_ok(enum ccg_hpke_suite suite, const char *name)
{
	static const uint8_t key[] = "0123456789abcdef0123456789abcdef model key";
	EVP_PKEY *k = keypair(suite);
	char *ans = release_answer(k, suite, TOKEN, "clinic", "model-key", key, sizeof(key), name);
	struct ccg_secret *s = NULL;
	int64_t v = 0;
	struct ccg_error err;

	ccg_error_clear(&err);
	if (ccg_guest_release_open(k, suite, TOKEN, "clinic", "model-key", (const uint8_t *)ans, strlen(ans), &s, &v,
				   &err) != CCG_OK)
		fail_msg("%s: %s", err.where, err.detail);
	assert_int_equal(s->len, sizeof(key));
	assert_memory_equal(s->data, key, sizeof(key));
	assert_int_equal(v, 3);
	ccg_secret_free(s);
	free(ans);
	EVP_PKEY_free(k);
}

static void test_release_open(void **state)
{
	(void)state;
	open_ok(CCG_HPKE_X25519_SHA256_AES128GCM, "X25519-SHA256-AES128GCM");
	open_ok(CCG_HPKE_P384_SHA384_AES256GCM, "P384-SHA384-AES256GCM");
}

static void expect_refused(EVP_PKEY *k, enum ccg_hpke_suite suite, const char *ans, const char *token,
			   enum ccg_status want, const char *where)
{
	struct ccg_secret *s = NULL;
	struct ccg_error err;

	ccg_error_clear(&err);
	assert_int_equal(ccg_guest_release_open(k, suite, token, "clinic", "model-key", (const uint8_t *)ans,
						strlen(ans), &s, NULL, &err),
			 want);
	assert_null(s);
	if (strcmp(err.where, where) != 0)
		fail_msg("where %s, want %s (%s)", err.where, where, err.detail);
}

static void test_release_refusals(void **state)
{
	enum ccg_hpke_suite suite = CCG_HPKE_X25519_SHA256_AES128GCM;
	EVP_PKEY *k = keypair(suite), *other = keypair(suite);
	static const uint8_t pt[] = "secret";
	char *ans;
	json_t *j;
	char *t;

	(void)state;
	/* sealed for another token, contract or secret: the aad differs, the tag fails */
	ans = release_answer(k, suite, TOKEN, "clinic", "model-key", pt, sizeof(pt), "X25519-SHA256-AES128GCM");
	expect_refused(k, suite, ans, "eyJhbGciOiJFUzM4NCJ9.eyJ0ZXN0IjpmYWxzZX0.c2ln", CCG_ERR_MAC, "hpke.ct");
	/* to another key */
	expect_refused(other, suite, ans, TOKEN, CCG_ERR_MAC, "hpke.ct");
	/* a suite that is not the key's */
	expect_refused(k, CCG_HPKE_P384_SHA384_AES256GCM, ans, TOKEN, CCG_ERR_UNSUPPORTED, "release.suite");
	/* members changed one at a time */
	j = json_loads(ans, 0, NULL);
	json_object_set_new(j, "contract", json_string("other"));
	t = json_dumps(j, JSON_COMPACT);
	expect_refused(k, suite, t, TOKEN, CCG_ERR_MALFORMED, "release.contract");
	free(t);
	json_object_set_new(j, "contract", json_string("clinic"));
	json_object_set_new(j, "secret", json_string("data-key"));
	t = json_dumps(j, JSON_COMPACT);
	expect_refused(k, suite, t, TOKEN, CCG_ERR_MALFORMED, "release.secret");
	free(t);
	json_object_set_new(j, "secret", json_string("model-key"));
	json_object_set_new(j, "enc", json_string("AAAA"));
	t = json_dumps(j, JSON_COMPACT);
	expect_refused(k, suite, t, TOKEN, CCG_ERR_MALFORMED, "release.enc");
	free(t);
	json_object_set_new(j, "enc", json_string("not base64url!"));
	t = json_dumps(j, JSON_COMPACT);
	expect_refused(k, suite, t, TOKEN, CCG_ERR_ENCODING, "release.enc");
	free(t);
	json_decref(j);
	j = json_loads(ans, 0, NULL);
	json_object_set_new(j, "ct", json_string("AAAAAAAAAAAAAAAAAAAAAA")); /* 16 bytes: a tag, no secret */
	t = json_dumps(j, JSON_COMPACT);
	expect_refused(k, suite, t, TOKEN, CCG_ERR_TRUNCATED, "release.ct");
	free(t);
	json_object_del(j, "version");
	t = json_dumps(j, JSON_COMPACT);
	expect_refused(k, suite, t, TOKEN, CCG_ERR_MALFORMED, "release");
	free(t);
	json_decref(j);
	/* a ciphertext with one bit flipped */
	j = json_loads(ans, 0, NULL);
	{
		const char *ct = json_string_value(json_object_get(j, "ct"));
		char *flip = strdup(ct);

		flip[0] = flip[0] == 'A' ? 'B' : 'A';
		json_object_set_new(j, "ct", json_string(flip));
		free(flip);
	}
	t = json_dumps(j, JSON_COMPACT);
	expect_refused(k, suite, t, TOKEN, CCG_ERR_MAC, "hpke.ct");
	free(t);
	json_decref(j);
	expect_refused(k, suite, "{\"contract\":", TOKEN, CCG_ERR_ENCODING, "release");
	free(ans);
	EVP_PKEY_free(k);
	EVP_PKEY_free(other);
}

static void expect_status(const char *claims_text, size_t gpus, enum ccg_status want, const char *where,
			  const char *detail)
{
	json_t *c = json_loads(claims_text, 0, NULL);
	struct ccg_error err;

	assert_non_null(c);
	ccg_error_clear(&err);
	assert_int_equal(guest_token_status(c, gpus, "from the answer", &err), want);
	if (where != NULL)
		assert_string_equal(err.where, where);
	if (detail != NULL && strstr(err.detail, detail) == NULL)
		fail_msg("detail \"%s\" lacks \"%s\"", err.detail, detail);
	json_decref(c);
}

/* the verdict of a verified token: every submod affirming, the worst one named, one GPU submod per GPU sent */
static void test_token_status(void **state)
{
	static const char ok[] =
		"{\"ear.status\":\"affirming\",\"submods\":{\"cpu0\":{\"ear.status\":\"affirming\"},"
		"\"GPU-0\":{\"ear.status\":\"affirming\"},\"GPU-1\":{\"ear.status\":\"affirming\"}}}";

	(void)state;
	expect_status(ok, 2, CCG_OK, NULL, NULL);
	/* the token vouches for two GPUs, three were sent (or one) */
	expect_status(ok, 3, CCG_ERR_NOT_AFFIRMED, "guest.attest.submods", "2 GPUs, 3");
	expect_status(ok, 1, CCG_ERR_NOT_AFFIRMED, "guest.attest.submods", NULL);
	/* GPU-0 has no claim (none), GPU-1 is contraindicated: GPU-1 is named, with its own error */
	expect_status(
		"{\"ear.status\":\"contraindicated\",\"submods\":{\"cpu0\":{\"ear.status\":\"none\"},"
		"\"GPU-0\":{\"ear.status\":\"none\"},\"GPU-1\":{\"ear.status\":\"contraindicated\","
		"\"ccgpu.errors\":[\"golden.vbios[9]: differs\"]}}}",
		2, CCG_ERR_NOT_AFFIRMED, "guest.attest.gpu[1]", "golden.vbios[9]");
	/* the CPU with a warning: named, the answer's failed text when the submod gives none */
	expect_status(
		"{\"ear.status\":\"warning\",\"submods\":{\"cpu0\":{\"ear.status\":\"warning\"},"
		"\"GPU-0\":{\"ear.status\":\"affirming\"}}}",
		1, CCG_ERR_NOT_AFFIRMED, "guest.attest.cpu", "from the answer");
	/* every submod affirming but the overall status says otherwise */
	expect_status("{\"ear.status\":\"none\",\"submods\":{\"GPU-0\":{\"ear.status\":\"affirming\"}}}", 1,
		      CCG_ERR_NOT_AFFIRMED, "guest.attest", NULL);
	/* a submod without a status, and no submods at all */
	expect_status("{\"ear.status\":\"affirming\",\"submods\":{\"GPU-0\":{}}}", 1, CCG_ERR_NOT_AFFIRMED,
		      "guest.attest.gpu[0]", NULL);
	expect_status("{\"ear.status\":\"affirming\"}", 0, CCG_ERR_MALFORMED, "guest.attest.submods", NULL);
}

static void test_options(void **state)
{
	static const char jwks[] = "{\"keys\":[{\"kty\":\"EC\"}]}";
	struct ccg_guest_opts o;
	struct ccg_guest *g = NULL;
	struct ccg_error err;
	uint8_t spki[200];
	size_t n = 0;

	(void)state;
	memset(&o, 0, sizeof(o));
	o.verifier_url = "ftp://verifier";
	o.verifier_jwks = jwks;
	ccg_error_clear(&err);
	assert_int_equal(ccg_guest_new(&o, &g, &err), CCG_ERR_INVALID_ARG);
	assert_string_equal(err.where, "guest.verifier_url");
	assert_null(g);
	o.verifier_url = "unix:relative.sock";
	assert_int_equal(ccg_guest_new(&o, &g, NULL), CCG_ERR_INVALID_ARG);
	o.verifier_url = "http://127.0.0.1:1";
	o.verifier_jwks = NULL;
	ccg_error_clear(&err);
	assert_int_equal(ccg_guest_new(&o, &g, &err), CCG_ERR_INVALID_ARG);
	assert_string_equal(err.where, "guest.verifier_jwks");
	o.verifier_jwks = "{\"keys\":[]}";
	assert_int_equal(ccg_guest_new(&o, &g, NULL), CCG_ERR_INVALID_ARG);
	o.verifier_jwks = jwks;
	o.gpu = CCG_GUEST_GPU_GPUSIM;
	ccg_error_clear(&err);
	assert_int_equal(ccg_guest_new(&o, &g, &err), CCG_ERR_INVALID_ARG);
	assert_string_equal(err.where, "guest.gpusim_socket");
	o.gpu = CCG_GUEST_GPU_NVML;
	assert_int_equal(ccg_guest_new(&o, &g, NULL), CCG_OK);
	/* no key yet: nothing to attest with, no public key */
	ccg_error_clear(&err);
	assert_int_equal(ccg_guest_attest(g, &err), CCG_ERR_INVALID_ARG);
	assert_string_equal(err.where, "guest.key");
	assert_int_equal(ccg_guest_public_key(g, spki, sizeof(spki), &n, NULL), CCG_ERR_INVALID_ARG);
	assert_int_equal(ccg_guest_key_generate(g, CCG_GUEST_KEY_P384, NULL), CCG_OK);
	assert_int_equal(ccg_guest_public_key(g, spki, sizeof(spki), &n, NULL), CCG_OK);
	assert_true(n > 100);
	assert_int_equal(ccg_guest_public_key(g, spki, 10, &n, NULL), CCG_ERR_TOO_LARGE);
	/* the verifier cannot be reached: the first step is named */
	ccg_error_clear(&err);
	assert_int_equal(ccg_guest_attest(g, &err), CCG_ERR_NETWORK);
	assert_string_equal(err.where, "guest.challenge");
	assert_int_equal(ccg_guest_token_exp(g), 0);
	ccg_guest_free(g);
	ccg_guest_free(NULL);
}

/* the gateway's JWK member m (a string) equals base64url of want */
static void jwk_member_is(const char *jwk, const char *m, const uint8_t *want, size_t n)
{
	json_t *j = json_loads(jwk, 0, NULL);
	char *b = b64url(want, n);

	assert_non_null(j);
	assert_string_equal(json_string_value(json_object_get(j, m)), b);
	free(b);
	json_decref(j);
}

static void test_ohttp_gateway(void **state)
{
	static const char jwks[] = "{\"keys\":[{\"kty\":\"EC\"}]}";
	struct ccg_guest_opts o;
	struct ccg_guest *g = NULL;
	struct ccg_ohttp_gateway *gw = NULL;
	struct ccg_error err;
	uint8_t spki[200], *kc = NULL;
	size_t n = 0, kc_len = 0;
	char *jwk = NULL;

	(void)state;
	memset(&o, 0, sizeof(o));
	o.verifier_url = "http://127.0.0.1:1";
	o.verifier_jwks = jwks;
	assert_int_equal(ccg_guest_new(&o, &g, NULL), CCG_OK);
	/* no key yet */
	ccg_error_clear(&err);
	assert_int_equal(ccg_guest_ohttp_gateway(g, 1, &gw, &err), CCG_ERR_INVALID_ARG);
	assert_string_equal(err.where, "guest.key");
	assert_null(gw);
	assert_int_equal(ccg_guest_ohttp_gateway(g, 1, NULL, NULL), CCG_ERR_INVALID_ARG);

	/* X25519: the key configuration and the JWK hold the key of the guest's SPKI (its last 32 bytes) */
	assert_int_equal(ccg_guest_key_generate(g, CCG_GUEST_KEY_X25519, NULL), CCG_OK);
	assert_int_equal(ccg_guest_public_key(g, spki, sizeof(spki), &n, NULL), CCG_OK);
	assert_int_equal(n, 44);
	assert_int_equal(ccg_guest_ohttp_gateway(g, 7, &gw, NULL), CCG_OK);
	assert_int_equal(ccg_ohttp_gateway_public_jwk(gw, &jwk, NULL), CCG_OK);
	assert_non_null(strstr(jwk, "\"X25519\""));
	jwk_member_is(jwk, "x", spki + 12, 32);
	assert_int_equal(ccg_ohttp_gateway_key_config(gw, &kc, &kc_len, NULL), CCG_OK);
	/* length ‖ key id ‖ KEM 0x0020 ‖ the public key ‖ ... */
	assert_true(kc_len > 2 + 3 + 32);
	assert_int_equal(kc[2], 7);
	assert_int_equal(kc[3], 0x00);
	assert_int_equal(kc[4], 0x20);
	assert_memory_equal(kc + 5, spki + 12, 32);
	free(kc);
	free(jwk);
	ccg_ohttp_gateway_free(gw);
	gw = NULL;

	/* P-384: the uncompressed point ending the SPKI, as x and y */
	assert_int_equal(ccg_guest_key_generate(g, CCG_GUEST_KEY_P384, NULL), CCG_OK);
	assert_int_equal(ccg_guest_public_key(g, spki, sizeof(spki), &n, NULL), CCG_OK);
	assert_int_equal(spki[n - 97], 0x04);
	assert_int_equal(ccg_guest_ohttp_gateway(g, 1, &gw, NULL), CCG_OK);
	assert_int_equal(ccg_ohttp_gateway_public_jwk(gw, &jwk, NULL), CCG_OK);
	assert_non_null(strstr(jwk, "\"P-384\""));
	jwk_member_is(jwk, "x", spki + n - 96, 48);
	jwk_member_is(jwk, "y", spki + n - 48, 48);
	free(jwk);
	ccg_ohttp_gateway_free(gw);
	ccg_guest_free(g);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_jwk_x25519),
		cmocka_unit_test(test_jwk_p384),
		cmocka_unit_test(test_thumbprint_vectors),
		cmocka_unit_test(test_release_open),
		cmocka_unit_test(test_release_refusals),
		cmocka_unit_test(test_token_status),
		cmocka_unit_test(test_options),
		cmocka_unit_test(test_ohttp_gateway),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
