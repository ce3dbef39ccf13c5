/* SPDX-License-Identifier: Apache-2.0 */
/* Signed party statements: see verifier/statement.h. */
#include "party/statement.h"

#include <jansson.h>
#include <jose/jose.h>
#include <jose/openssl.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/crypto.h"
#include "common/encoding.h"
#include "common/error.h"
#include "common/json.h"
#include "policies/policy_int.h"
#include "token/ear.h"

#define ED25519_SIG_LEN 64

/* The three parts of a compact JWS, with bounds and alphabet checked. */
struct parts {
	const char *h, *p, *s;
	size_t hl, pl, sl;
};

static enum ccg_status split(const char *text, struct parts *out, struct ccg_error *err)
{
	const char *d1, *d2;
	size_t len;

	if (text == NULL)
		return ccg_error_set(err, CCG_ERR_INVALID_ARG, "statement", "no statement");
	len = strnlen(text, CCG_STATEMENT_MAX + 1);
	if (len > CCG_STATEMENT_MAX)
		return ccg_error_set(err, CCG_ERR_TOO_LARGE, "statement", "longer than %d bytes", CCG_STATEMENT_MAX);
	d1 = memchr(text, '.', len);
	d2 = d1 == NULL ? NULL : memchr(d1 + 1, '.', len - (size_t)(d1 + 1 - text));
	if (d2 == NULL)
		return ccg_error_set(err, CCG_ERR_MALFORMED, "statement",
				     "not a compact JWS (header.payload.signature)");
	out->h = text;
	out->hl = (size_t)(d1 - text);
	out->p = d1 + 1;
	out->pl = (size_t)(d2 - d1 - 1);
	out->s = d2 + 1;
	out->sl = len - (size_t)(d2 + 1 - text);
	if (!ccg_b64url_text(out->h, out->hl))
		return ccg_error_set(err, CCG_ERR_ENCODING, "statement.header", "not base64url");
	if (!ccg_b64url_text(out->p, out->pl))
		return ccg_error_set(err, CCG_ERR_ENCODING, "statement.payload", "not base64url");
	if (!ccg_b64url_text(out->s, out->sl))
		return ccg_error_set(err, CCG_ERR_ENCODING, "statement.signature", "not base64url (or a fourth part)");
	return CCG_OK;
}

static enum ccg_status part_object(const char *b64, size_t len, const char *where, json_t **out, struct ccg_error *err)
{
	size_t n = jose_b64_dec_buf(b64, len, NULL, 0);
	uint8_t *buf = NULL;
	enum ccg_status s;

	*out = NULL;
	if (n == SIZE_MAX)
		return ccg_error_set(err, CCG_ERR_ENCODING, where, "bad base64url");
	if ((buf = malloc(n + 1)) == NULL || jose_b64_dec_buf(b64, len, buf, n) != n) {
		free(buf);
		return ccg_error_set(err, CCG_ERR_NOMEM, where, "no memory");
	}
	s = ccg_json_parse(buf, n, CCG_STATEMENT_MAX, where, out, err);
	free(buf);
	if (s == CCG_OK && !json_is_object(*out)) {
		json_decref(*out);
		*out = NULL;
		return ccg_error_set(err, CCG_ERR_MALFORMED, where, "not a JSON object");
	}
	return s;
}

/* header {alg: ES384|EdDSA, kid: party} and nothing else */
static enum ccg_status read_header(const struct parts *pt, char alg[8], char party[CCG_STATEMENT_MAX_ID + 1],
				   struct ccg_error *err)
{
	json_t *hdr = NULL;
	const char *a, *kid;
	enum ccg_status s = part_object(pt->h, pt->hl, "statement.header", &hdr, err);

	if (s != CCG_OK)
		return s;
	if (json_object_size(hdr) != 2 || (a = json_string_value(json_object_get(hdr, "alg"))) == NULL ||
	    (kid = json_string_value(json_object_get(hdr, "kid"))) == NULL) {
		s = ccg_error_set(err, CCG_ERR_UNSUPPORTED, "statement.header",
				  "must be exactly {\"alg\", \"kid\"} (strings)");
		goto out;
	}
	if (strcmp(a, "ES384") != 0 && strcmp(a, "EdDSA") != 0) {
		s = ccg_error_set(err, CCG_ERR_UNSUPPORTED, "statement.header.alg", "\"%.16s\" (ES384 or EdDSA only)",
				  a);
		goto out;
	}
	if (kid[0] == '\0' || strlen(kid) > CCG_STATEMENT_MAX_ID) {
		s = ccg_error_set(err, CCG_ERR_MALFORMED, "statement.header.kid", "1 to %d bytes",
				  CCG_STATEMENT_MAX_ID);
		goto out;
	}
	snprintf(alg, 8, "%s", a);
	snprintf(party, CCG_STATEMENT_MAX_ID + 1, "%s", kid);
out:
	json_decref(hdr);
	return s;
}

enum ccg_status ccg_statement_party(const char *text, char *out, struct ccg_error *err)
{
	struct parts pt = {0};
	char alg[8];
	enum ccg_status s;

	if (out == NULL)
		return ccg_error_set(err, CCG_ERR_INVALID_ARG, "statement", "no output");
	out[0] = '\0';
	s = split(text, &pt, err);
	if (s == CCG_OK)
		s = read_header(&pt, alg, out, err);
	return s;
}

static enum ccg_status copy_str(const json_t *payload, const char *member, char *out, size_t max, size_t min,
				struct ccg_error *err)
{
	const char *v = json_string_value(json_object_get(payload, member));
	char where[64];
	size_t n;

	snprintf(where, sizeof(where), "statement.%s", member);
	if (v == NULL)
		return ccg_error_set(err, CCG_ERR_MALFORMED, where, "missing or not a string");
	n = strlen(v);
	if (n < min || n > max || n != json_string_length(json_object_get(payload, member)))
		return ccg_error_set(err, CCG_ERR_MALFORMED, where, "%zu to %zu bytes, no NUL", min, max);
	memcpy(out, v, n + 1);
	return CCG_OK;
}

static enum ccg_status read_payload(const json_t *p, struct ccg_statement *st, struct ccg_error *err)
{
	static const char *const members[] = {"ccgpu-statement", "party", "contract", "route", "iat", "jti",
					      "body-sha384"};
	const char *key, *hex;
	json_t *v;
	enum ccg_status s;

	json_object_foreach((json_t *)p, key, v) {
		bool known = false;

		for (size_t i = 0; i < sizeof(members) / sizeof(members[0]); i++)
			known = known || strcmp(key, members[i]) == 0;
		if (!known)
			return ccg_error_set(err, CCG_ERR_MALFORMED, "statement.payload",
					     "member \"%.32s\" not allowed", key);
	}
	v = json_object_get(p, "ccgpu-statement");
	if (!json_is_integer(v) || json_integer_value(v) != 1)
		return ccg_error_set(err, CCG_ERR_MALFORMED, "statement.ccgpu-statement", "must be 1");
	if ((s = copy_str(p, "party", st->party, CCG_STATEMENT_MAX_ID, 1, err)) != CCG_OK ||
	    (s = copy_str(p, "contract", st->contract, CCG_STATEMENT_MAX_ID, 1, err)) != CCG_OK ||
	    (s = copy_str(p, "route", st->route, CCG_STATEMENT_MAX_ROUTE, 1, err)) != CCG_OK ||
	    (s = copy_str(p, "jti", st->jti, CCG_STATEMENT_MAX_ID, CCG_STATEMENT_MIN_JTI, err)) != CCG_OK)
		return s;
	if (!ccg_b64url_text(st->jti, strlen(st->jti)))
		return ccg_error_set(err, CCG_ERR_MALFORMED, "statement.jti", "only [A-Za-z0-9_-]");
	v = json_object_get(p, "iat");
	if (!json_is_integer(v))
		return ccg_error_set(err, CCG_ERR_MALFORMED, "statement.iat", "missing or not an integer");
	st->iat = json_integer_value(v);
	hex = json_string_value(json_object_get(p, "body-sha384"));
	if (hex == NULL || ccg_hex_decode_fixed(hex, strlen(hex), st->body_sha384, sizeof(st->body_sha384)) != CCG_OK)
		return ccg_error_set(err, CCG_ERR_MALFORMED, "statement.body-sha384", "not 96 hex digits");
	return CCG_OK;
}

/* ES384 through libjose: a one-key JWKS made from the registered key, kid = the party */
static enum ccg_status verify_es384(const char *text, EVP_PKEY *pkey, const char *party, json_t **payload,
				    struct ccg_error *err)
{
	json_t *jwk = jose_openssl_jwk_from_EVP_PKEY(NULL, pkey), *jwks = NULL;
	enum ccg_status s;

	if (jwk == NULL || json_object_set_new(jwk, "kid", json_string(party)) != 0 ||
	    (jwks = json_pack("{s:[O]}", "keys", jwk)) == NULL) {
		s = ccg_error_set(err, CCG_ERR_NOMEM, "statement", "cannot make a JWK of the registered key");
		goto out;
	}
	s = ccg_jws_verify(text, jwks, payload, err);
	if (s != CCG_OK && err != NULL && strncmp(err->where, "token", 5) == 0) {
		/* name the statement, not an EAR token */
		char name[CCG_ERROR_WHERE_MAX + 16];
		int n = snprintf(name, sizeof(name), "statement%s", err->where + 5);
		size_t m = n < 0 ? 0 : (size_t)n < sizeof(err->where) ? (size_t)n : sizeof(err->where) - 1;

		memcpy(err->where, name, m);
		err->where[m] = '\0';
	}
out:
	json_decref(jwk);
	json_decref(jwks);
	return s;
}

/* EdDSA (RFC 8037): Ed25519 over the ASCII signing input, through the contracts' signing primitive */
static enum ccg_status verify_eddsa(const struct parts *pt, void *pkey, json_t **payload, struct ccg_error *err)
{
	uint8_t sig[ED25519_SIG_LEN];
	enum ccg_status s;

	if (jose_b64_dec_buf(pt->s, pt->sl, NULL, 0) != sizeof(sig) ||
	    jose_b64_dec_buf(pt->s, pt->sl, sig, sizeof(sig)) != sizeof(sig))
		return ccg_error_set(err, CCG_ERR_SIGNATURE, "statement.signature",
				     "an Ed25519 signature has 64 bytes");
	s = pol_verify(pkey, "", (const uint8_t *)pt->h, pt->hl + 1 + pt->pl, sig, sizeof(sig), "statement.signature",
		       err);
	if (s == CCG_OK)
		s = part_object(pt->p, pt->pl, "statement.payload", payload, err);
	return s;
}

enum ccg_status ccg_statement_verify(const char *text, const uint8_t *key_pem, size_t key_pem_len,
				     struct ccg_statement *out, struct ccg_error *err)
{
	struct parts pt = {0};
	struct ccg_statement st;
	void *pkey = NULL;
	const char *key_alg = NULL;
	json_t *payload = NULL;
	enum ccg_status s;

	if (out == NULL || key_pem == NULL)
		return ccg_error_set(err, CCG_ERR_INVALID_ARG, "statement", "need a key and an output");
	memset(out, 0, sizeof(*out));
	memset(&st, 0, sizeof(st));
	if ((s = split(text, &pt, err)) != CCG_OK || (s = read_header(&pt, st.alg, st.party, err)) != CCG_OK)
		return s;
	s = pol_key_parse(key_pem, key_pem_len, false, &pkey, &key_alg, "statement.key", err);
	if (s != CCG_OK)
		goto out;
	if (strcmp(key_alg, "ed25519") == 0 ? strcmp(st.alg, "EdDSA") != 0 : strcmp(st.alg, "ES384") != 0) {
		s = ccg_error_set(err, CCG_ERR_SIGNATURE, "statement.header.alg",
				  "%s, but party \"%.64s\" registered an %s key", st.alg, st.party, key_alg);
		goto out;
	}
	s = strcmp(st.alg, "ES384") == 0 ? verify_es384(text, pkey, st.party, &payload, err)
					 : verify_eddsa(&pt, pkey, &payload, err);
	if (s != CCG_OK)
		goto out;
	{
		char kid[CCG_STATEMENT_MAX_ID + 1];

		memcpy(kid, st.party, sizeof(kid));
		if ((s = read_payload(payload, &st, err)) != CCG_OK)
			goto out;
		if (strcmp(kid, st.party) != 0) {
			s = ccg_error_set(err, CCG_ERR_STATEMENT_SCOPE, "statement.party",
					  "payload party \"%.64s\" is not the signer \"%.64s\"", st.party, kid);
			goto out;
		}
	}
	*out = st;
out:
	pol_key_free(pkey);
	json_decref(payload);
	return s;
}

enum ccg_status ccg_statement_check(const struct ccg_statement *st, const char *route, const char *contract,
				    const uint8_t *body, size_t body_len, int64_t now, int64_t window,
				    struct ccg_error *err)
{
	uint8_t h[CCG_SHA384_LEN];

	if (st == NULL || route == NULL || contract == NULL || (body == NULL && body_len > 0))
		return ccg_error_set(err, CCG_ERR_INVALID_ARG, "statement", "need a statement, route and contract");
	if (window < 1 || window > CCG_STATEMENT_WINDOW_MAX)
		return ccg_error_set(err, CCG_ERR_INVALID_ARG, "statement.window", "1 to %d seconds",
				     CCG_STATEMENT_WINDOW_MAX);
	if (strcmp(st->route, route) != 0)
		return ccg_error_set(err, CCG_ERR_STATEMENT_SCOPE, "statement.route",
				     "signed for \"%.160s\", used for \"%.160s\"", st->route, route);
	if (strcmp(st->contract, contract) != 0)
		return ccg_error_set(err, CCG_ERR_STATEMENT_SCOPE, "statement.contract",
				     "signed for contract \"%.96s\", used for \"%.96s\"", st->contract, contract);
	if (ccg_sha384(body_len > 0 ? body : (const uint8_t *)"", body_len, h) != CCG_OK)
		return ccg_error_set(err, CCG_ERR_CRYPTO, "statement.body-sha384", "cannot hash the body");
	if (CRYPTO_memcmp(h, st->body_sha384, sizeof(h)) != 0)
		return ccg_error_set(err, CCG_ERR_STATEMENT_SCOPE, "statement.body-sha384",
				     "the request body is not the one signed");
	if (st->iat < now - window)
		return ccg_error_set(err, CCG_ERR_STATEMENT_STALE, "statement.iat",
				     "issued at %lld, more than %llds before now (%lld)", (long long)st->iat,
				     (long long)window, (long long)now);
	if (st->iat > now + window)
		return ccg_error_set(err, CCG_ERR_STATEMENT_STALE, "statement.iat",
				     "issued at %lld, more than %llds after now (%lld)", (long long)st->iat,
				     (long long)window, (long long)now);
	return CCG_OK;
}

/* ---- single use ---- */

/* ---- signing (party CLI, tests) ---- */

static json_t *payload_json(const char *party, const char *contract, const char *route, const uint8_t *body,
			    size_t body_len, int64_t iat, const char *jti)
{
	uint8_t h[CCG_SHA384_LEN];
	char hex[2 * CCG_SHA384_LEN + 1];

	if (ccg_sha384(body_len > 0 ? body : (const uint8_t *)"", body_len, h) != CCG_OK)
		return NULL;
	ccg_hex_encode(h, sizeof(h), hex);
	return json_pack("{s:i,s:s,s:s,s:s,s:I,s:s,s:s}", "ccgpu-statement", 1, "party", party, "contract", contract,
			 "route", route, "iat", (json_int_t)iat, "jti", jti, "body-sha384", hex);
}

static enum ccg_status sign_eddsa(void *pkey, const char *party, const char *payload, char **out, struct ccg_error *err)
{
	json_t *hdr = json_pack("{s:s,s:s}", "alg", "EdDSA", "kid", party);
	char *htxt = hdr == NULL ? NULL : json_dumps(hdr, JSON_COMPACT | JSON_SORT_KEYS);
	json_t *h64 = NULL, *p64 = NULL, *s64 = NULL;
	char *input = NULL;
	uint8_t *sig = NULL;
	size_t sig_len = 0;
	enum ccg_status s;

	*out = NULL;
	if (htxt == NULL || (h64 = jose_b64_enc(htxt, strlen(htxt))) == NULL ||
	    (p64 = jose_b64_enc(payload, strlen(payload))) == NULL ||
	    asprintf(&input, "%s.%s", json_string_value(h64), json_string_value(p64)) < 0) {
		input = NULL;
		s = ccg_error_set(err, CCG_ERR_NOMEM, "statement.sign", "no memory");
		goto out;
	}
	if ((s = pol_sign(pkey, "", (const uint8_t *)input, strlen(input), &sig, &sig_len, err)) != CCG_OK)
		goto out;
	if ((s64 = jose_b64_enc(sig, sig_len)) == NULL || asprintf(out, "%s.%s", input, json_string_value(s64)) < 0) {
		*out = NULL;
		s = ccg_error_set(err, CCG_ERR_NOMEM, "statement.sign", "no memory");
		goto out;
	}
	s = CCG_OK;
out:
	json_decref(hdr);
	free(htxt);
	json_decref(h64);
	json_decref(p64);
	json_decref(s64);
	free(input);
	free(sig);
	return s;
}

enum ccg_status ccg_statement_sign(const uint8_t *key_pem, size_t key_pem_len, const char *party, const char *contract,
				   const char *route, const uint8_t *body, size_t body_len, int64_t iat,
				   const char *jti, char **out, struct ccg_error *err)
{
	void *pkey = NULL;
	const char *alg = NULL;
	json_t *p = NULL;
	char *ptxt = NULL, jbuf[2 * 24 + 1];
	uint8_t rnd[24];
	enum ccg_status s;

	if (out == NULL)
		return ccg_error_set(err, CCG_ERR_INVALID_ARG, "statement.sign", "no output");
	*out = NULL;
	if (key_pem == NULL || party == NULL || contract == NULL || route == NULL || (body == NULL && body_len > 0))
		return ccg_error_set(err, CCG_ERR_INVALID_ARG, "statement.sign", "need a key, party, contract, route");
	if (jti == NULL) {
		if (ccg_random(rnd, sizeof(rnd)) != CCG_OK)
			return ccg_error_set(err, CCG_ERR_CRYPTO, "statement.jti", "no random bytes");
		ccg_hex_encode(rnd, sizeof(rnd), jbuf);
		jti = jbuf;
	}
	if ((s = pol_key_parse(key_pem, key_pem_len, true, &pkey, &alg, "statement.key", err)) != CCG_OK)
		return s;
	p = payload_json(party, contract, route, body, body_len, iat, jti);
	if (p == NULL || (ptxt = json_dumps(p, JSON_COMPACT | JSON_SORT_KEYS)) == NULL) {
		s = ccg_error_set(err, CCG_ERR_NOMEM, "statement.sign", "cannot build the payload");
		goto out;
	}
	s = strcmp(alg, "ed25519") == 0 ? sign_eddsa(pkey, party, ptxt, out, err)
					: ccg_jws_sign_es384(pkey, json_pack("{s:s,s:s}", "alg", "ES384", "kid", party),
							     ptxt, "statement.sign", out, err);
out:
	pol_key_free(pkey);
	json_decref(p);
	free(ptxt);
	return s;
}
