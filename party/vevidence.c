/* SPDX-License-Identifier: Apache-2.0 */
/* The verifier's evidence: its binding and the party's check (verifier/vevidence.h). */
#include "party/vevidence.h"

#include <jose/jose.h>
#include <jose/openssl.h>
#include <openssl/evp.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "common/crypto.h"
#include "common/encoding.h"
#include "common/error.h"
#include "common/json.h"

#define THP_LEN 32 /* SHA-256 */

/* the RFC 7638 SHA-256 thumbprint of jwk */
static enum ccg_status thumbprint(const json_t *jwk, const char *where, uint8_t out[THP_LEN], struct ccg_error *err)
{
	if (!json_is_object(jwk) || jose_jwk_thp_buf(NULL, jwk, "S256", out, THP_LEN) != THP_LEN)
		return ccg_error_set(err, CCG_ERR_MALFORMED, where,
				     "no RFC 7638 thumbprint: not a JWK with its required members");
	return CCG_OK;
}

enum ccg_status ccg_vevidence_binding(const uint8_t nonce[32], const json_t *token_jwk, const json_t *upload_jwk,
				      uint8_t out[48], struct ccg_error *err)
{
	uint8_t tt[THP_LEN], tu[THP_LEN];
	EVP_MD_CTX *ctx = NULL;
	unsigned int n = 0;
	enum ccg_status st;

	if (nonce == NULL || out == NULL)
		return ccg_error_set(err, CCG_ERR_INVALID_ARG, "vevidence.binding",
				     "a nonce and an output are required");
	if ((st = thumbprint(token_jwk, "vevidence.keys.token", tt, err)) != CCG_OK ||
	    (st = thumbprint(upload_jwk, "vevidence.keys.upload", tu, err)) != CCG_OK)
		return st;
	ctx = EVP_MD_CTX_new();
	if (ctx == NULL || EVP_DigestInit_ex(ctx, EVP_sha384(), NULL) != 1 ||
	    EVP_DigestUpdate(ctx, CCG_VEVIDENCE_LABEL, strlen(CCG_VEVIDENCE_LABEL)) != 1 ||
	    EVP_DigestUpdate(ctx, nonce, CCG_VEVIDENCE_NONCE_LEN) != 1 || EVP_DigestUpdate(ctx, tt, sizeof(tt)) != 1 ||
	    EVP_DigestUpdate(ctx, tu, sizeof(tu)) != 1 || EVP_DigestFinal_ex(ctx, out, &n) != 1 ||
	    n != CCG_VEVIDENCE_BINDING_LEN)
		st = ccg_openssl_error(err, CCG_ERR_CRYPTO, "vevidence.binding", "SHA-384");
	EVP_MD_CTX_free(ctx);
	return st;
}

bool ccg_vevidence_jwk_member(const char *name)
{
	static const char *const allowed[] = {"kty", "crv", "x", "y", "kid", "use", "alg"};

	for (size_t i = 0; i < sizeof(allowed) / sizeof(allowed[0]); i++)
		if (strcmp(name, allowed[i]) == 0)
			return true;
	return false;
}

void ccg_vevidence_report_data(const uint8_t binding[48], uint8_t out[64])
{
	memcpy(out, binding, CCG_VEVIDENCE_BINDING_LEN);
	memset(out + CCG_VEVIDENCE_BINDING_LEN, 0, 64 - CCG_VEVIDENCE_BINDING_LEN);
}

/* obj has exactly the n members named (each present; nothing else) */
static enum ccg_status members_exactly(const json_t *obj, const char *const *names, size_t n, const char *where,
				       struct ccg_error *err)
{
	const char *key;
	json_t *v;

	if (!json_is_object(obj))
		return ccg_error_set(err, CCG_ERR_MALFORMED, where, "not a JSON object");
	for (size_t i = 0; i < n; i++)
		if (json_object_get(obj, names[i]) == NULL)
			return ccg_error_set(err, CCG_ERR_MALFORMED, where, "member \"%s\" is missing", names[i]);
	json_object_foreach((json_t *)obj, key, v) {
		size_t i;

		for (i = 0; i < n && strcmp(key, names[i]) != 0; i++)
			;
		if (i == n)
			return ccg_error_set(err, CCG_ERR_MALFORMED, where, "unknown member (%zu members expected)", n);
	}
	return CCG_OK;
}

/* a string member, if present, has this value */
static bool member_is(const json_t *jwk, const char *key, const char *want, bool required)
{
	const json_t *v = json_object_get(jwk, key);

	if (v == NULL)
		return !required;
	return json_is_string(v) && strcmp(json_string_value(v), want) == 0;
}

/* a public EC P-384 JWK of the members the document may carry, its kid its thumbprint, its point on the curve */
static enum ccg_status key_check(const json_t *jwk, bool upload, const char *where, struct ccg_error *err)
{
	const char *key, *kid;
	json_t *v, *thp = NULL;
	EVP_PKEY *pk = NULL;
	bool kid_ok;

	if (!json_is_object(jwk))
		return ccg_error_set(err, CCG_ERR_MALFORMED, where, "not a JWK object");
	/* only the members below: no private member ("d"), nothing the binding does not cover (x5c, …) */
	json_object_foreach((json_t *)jwk, key, v) {
		if (!ccg_vevidence_jwk_member(key))
			return ccg_error_set(err, CCG_ERR_MALFORMED, where,
					     "a member other than kty, crv, x, y, kid, use, alg (\"%.32s\")", key);
		if (!json_is_string(v))
			return ccg_error_set(err, CCG_ERR_MALFORMED, where, "member \"%s\" is not a string", key);
	}
	if (!member_is(jwk, "kty", "EC", true) || !member_is(jwk, "crv", "P-384", true))
		return ccg_error_set(err, CCG_ERR_UNSUPPORTED, where, "not an EC P-384 key");
	if (upload ? !member_is(jwk, "use", "enc", true) || !member_is(jwk, "alg", CCG_VEVIDENCE_UPLOAD_ALG, true)
		   : !member_is(jwk, "use", "sig", false) || !member_is(jwk, "alg", "ES384", false))
		return ccg_error_set(err, CCG_ERR_UNSUPPORTED, where, "use/alg are not those of the %s key",
				     upload ? "HPKE upload (enc, " CCG_VEVIDENCE_UPLOAD_ALG ")" : "ES384 signing");
	/* x and y decode to a point on the curve (OpenSSL checks it on import) */
	if ((pk = jose_openssl_jwk_to_EVP_PKEY(NULL, jwk)) == NULL)
		return ccg_openssl_error(err, CCG_ERR_MALFORMED, where, "x, y are not a point on P-384");
	EVP_PKEY_free(pk);
	/* the kid is the key's RFC 7638 thumbprint, so the binding covers it too */
	kid = json_string_value(json_object_get(jwk, "kid"));
	thp = jose_jwk_thp(NULL, jwk, "S256");
	kid_ok = kid != NULL && json_is_string(thp) && strcmp(kid, json_string_value(thp)) == 0;
	json_decref(thp);
	if (!kid_ok)
		return ccg_error_set(err, CCG_ERR_MALFORMED, where, "kid is not the key's RFC 7638 SHA-256 thumbprint");
	return CCG_OK;
}

/* a hex member of exactly n bytes */
static enum ccg_status hex_member(const json_t *doc, const char *key, const char *where, uint8_t *out, size_t n,
				  struct ccg_error *err)
{
	const char *s = NULL;
	enum ccg_status st = ccg_json_get_string(doc, key, &s, where, err);

	if (st != CCG_OK)
		return st;
	if (ccg_hex_decode_fixed(s, strlen(s), out, n) != CCG_OK)
		return ccg_error_set(err, CCG_ERR_MALFORMED, where, "not %zu hex digits", 2 * n);
	return CCG_OK;
}

/* the party's policy on the CPU claims */
static enum ccg_status policy_check(const struct ccg_policy *policy, const struct ccg_cpu_result *r, int64_t now,
				    struct ccg_error *err)
{
	char *text = ccg_cpu_result_claims_json(r, 0);
	struct ccg_claims *claims = NULL;
	enum ccg_status st;

	if (text == NULL)
		return ccg_error_set(err, CCG_ERR_NOMEM, "vevidence.policy", "no memory for the claims");
	if ((st = ccg_claims_from_json(text, strlen(text), &claims, err)) == CCG_OK)
		st = ccg_policy_eval(policy, claims, now, NULL, 0, err);
	ccg_claims_free(claims);
	free(text);
	return st;
}

enum ccg_status ccg_vevidence_check(const uint8_t *doc, size_t len, const uint8_t nonce[32],
				    struct ccg_cpu_verifier *cv, const struct ccg_policy *policy, int64_t now,
				    json_t **out_token_jwk, json_t **out_upload_jwk, struct ccg_error *err)
{
	static const char *const top[] = {"ccgpu-verifier-evidence", "nonce", "keys", "binding", "cpu"};
	static const char *const keys_members[] = {"token", "upload"};
	uint8_t echoed[CCG_VEVIDENCE_NONCE_LEN], claimed[CCG_VEVIDENCE_BINDING_LEN], binding[CCG_VEVIDENCE_BINDING_LEN],
		report_data[CCG_CPU_REPORT_DATA_LEN];
	json_t *d = NULL, *keys, *token, *upload, *cpu;
	struct ccg_cpu_result *r = NULL;
	char *cpu_text = NULL;
	int64_t version = 0;
	enum ccg_status st;

	if (out_token_jwk == NULL || out_upload_jwk == NULL)
		return ccg_error_set(err, CCG_ERR_INVALID_ARG, "vevidence", "outputs are required");
	*out_token_jwk = *out_upload_jwk = NULL;
	if (doc == NULL || nonce == NULL || cv == NULL)
		return ccg_error_set(err, CCG_ERR_INVALID_ARG, "vevidence",
				     "a document, a nonce and a CPU verifier are required");
	if (len > CCG_VEVIDENCE_MAX)
		return ccg_error_set(err, CCG_ERR_TOO_LARGE, "vevidence", "over %d bytes", CCG_VEVIDENCE_MAX);
	if ((st = ccg_json_parse(doc, len, CCG_VEVIDENCE_MAX, "vevidence", &d, err)) != CCG_OK)
		return st;
	if ((st = members_exactly(d, top, sizeof(top) / sizeof(top[0]), "vevidence", err)) != CCG_OK)
		goto out;
	if ((st = ccg_json_get_int(d, "ccgpu-verifier-evidence", 0, INT32_MAX, &version, "vevidence.version", err)) !=
	    CCG_OK)
		goto out;
	if (version != CCG_VEVIDENCE_VERSION) {
		st = ccg_error_set(err, CCG_ERR_UNSUPPORTED, "vevidence.version", "version %lld (this reads %d)",
				   (long long)version, CCG_VEVIDENCE_VERSION);
		goto out;
	}
	/* the party's own nonce, echoed: the evidence is fresh */
	if ((st = hex_member(d, "nonce", "vevidence.nonce", echoed, sizeof(echoed), err)) != CCG_OK)
		goto out;
	if (!ccg_ct_equal(echoed, nonce, sizeof(echoed))) {
		st = ccg_error_set(err, CCG_ERR_NONCE_MISMATCH, "vevidence.nonce", "not the nonce this party sent");
		goto out;
	}
	keys = json_object_get(d, "keys");
	if ((st = members_exactly(keys, keys_members, 2, "vevidence.keys", err)) != CCG_OK)
		goto out;
	token = json_object_get(keys, "token");
	upload = json_object_get(keys, "upload");
	if ((st = key_check(token, false, "vevidence.keys.token", err)) != CCG_OK ||
	    (st = key_check(upload, true, "vevidence.keys.upload", err)) != CCG_OK)
		goto out;
	/* the binding recomputed from this party's nonce and the keys as received */
	if ((st = hex_member(d, "binding", "vevidence.binding", claimed, sizeof(claimed), err)) != CCG_OK ||
	    (st = ccg_vevidence_binding(nonce, token, upload, binding, err)) != CCG_OK)
		goto out;
	if (!ccg_ct_equal(claimed, binding, sizeof(binding))) {
		st = ccg_error_set(err, CCG_ERR_NONCE_MISMATCH, "vevidence.binding",
				   "not SHA-384 of the label, the nonce and the keys' thumbprints");
		goto out;
	}
	/* the CPU evidence must carry that binding: the TEE vouches for these keys */
	cpu = json_object_get(d, "cpu");
	if (!json_is_object(cpu)) {
		st = ccg_error_set(err, CCG_ERR_MALFORMED, "vevidence.cpu", "not a CPU evidence object");
		goto out;
	}
	if ((cpu_text = json_dumps(cpu, JSON_COMPACT)) == NULL) {
		st = ccg_error_set(err, CCG_ERR_NOMEM, "vevidence.cpu", "no memory");
		goto out;
	}
	ccg_vevidence_report_data(binding, report_data);
	if ((st = ccg_cpu_verifier_appraise(cv, (const uint8_t *)cpu_text, strlen(cpu_text), report_data,
					    sizeof(report_data), now, &r, err)) != CCG_OK)
		goto out;
	if (policy != NULL && (st = policy_check(policy, r, now, err)) != CCG_OK)
		goto out;
	*out_token_jwk = json_incref(token);
	*out_upload_jwk = json_incref(upload);
out:
	ccg_cpu_result_free(r);
	free(cpu_text);
	json_decref(d);
	return st;
}
