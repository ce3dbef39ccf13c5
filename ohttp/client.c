/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The client API (include/ccgpu/client.h): fetch a server's EAR token and
 * OHTTP key configuration, check the token (token/ear.h: signature under
 * the verifier's JWKS, profile, iat/exp), its ear.status, the key binding
 * (cnf.jwk is the key configuration's key) and the client's policy
 * on its claims; then Oblivious HTTP requests to that key through a relay.
 */
#include <jansson.h>
#include <jose/b64.h>
#include <openssl/crypto.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "ccgpu/client.h"
#include "ccgpu/policy.h"
#include "common/crypto.h"
#include "common/error.h"
#include "common/http.h"
#include "common/json.h"
#include "ohttp/ohttp.h"
#include "token/ear.h"

#define JWKS_MAX (1024 * 1024)
#define KEYS_MAX (64 * 1024)

struct ccg_client {
	char *server, *relay, *jwks_url;
	json_t *jwks;
	struct ccg_policy *policy;
	/* after a successful ccg_client_attest */
	bool attested;
	struct ccg_ohttp_key_config kc;
	char *claims_json;
};

static enum ccg_status url_copy(const char *url, const char *where, char **out, struct ccg_error *err)
{
	size_t n;

	if (url == NULL || !ccg_http_url_ok(url))
		return ccg_error_set(err, CCG_ERR_INVALID_ARG, where, "not an http:// or https:// URL");
	n = strlen(url);
	if (n > CCG_CLIENT_MAX_URL)
		return ccg_error_set(err, CCG_ERR_TOO_LARGE, where, "%zu bytes, at most %d", n, CCG_CLIENT_MAX_URL);
	while (n > 0 && url[n - 1] == '/')
		n--;
	if ((*out = strndup(url, n)) == NULL)
		return ccg_error_set(err, CCG_ERR_NOMEM, where, NULL);
	return CCG_OK;
}

enum ccg_status ccg_client_new(const char *server_url, struct ccg_client **out, struct ccg_error *err)
{
	struct ccg_client *c;
	enum ccg_status st;

	if (out == NULL)
		return ccg_error_set(err, CCG_ERR_INVALID_ARG, "client", "no output");
	*out = NULL;
	if ((st = ccg_http_global_init()) != CCG_OK)
		return ccg_error_set(err, st, "client", "libcurl did not initialise");
	if ((c = calloc(1, sizeof(*c))) == NULL)
		return ccg_error_set(err, CCG_ERR_NOMEM, "client", NULL);
	if ((st = url_copy(server_url, "client.server", &c->server, err)) != CCG_OK) {
		ccg_client_free(c);
		return st;
	}
	*out = c;
	return CCG_OK;
}

static void forget(struct ccg_client *c)
{
	c->attested = false;
	memset(&c->kc, 0, sizeof(c->kc));
	free(c->claims_json);
	c->claims_json = NULL;
}

void ccg_client_free(struct ccg_client *c)
{
	if (c == NULL)
		return;
	forget(c);
	free(c->server);
	free(c->relay);
	free(c->jwks_url);
	json_decref(c->jwks);
	ccg_policy_free(c->policy);
	free(c);
}

enum ccg_status ccg_client_set_relay(struct ccg_client *c, const char *relay_url, struct ccg_error *err)
{
	char *u = NULL;
	enum ccg_status st;

	if (c == NULL)
		return ccg_error_set(err, CCG_ERR_INVALID_ARG, "client", "NULL client");
	if ((st = url_copy(relay_url, "client.relay", &u, err)) != CCG_OK)
		return st;
	free(c->relay);
	c->relay = u;
	return CCG_OK;
}

enum ccg_status ccg_client_set_jwks(struct ccg_client *c, const char *jwks_json, size_t len, struct ccg_error *err)
{
	json_t *j = NULL;
	enum ccg_status st;

	if (c == NULL || jwks_json == NULL)
		return ccg_error_set(err, CCG_ERR_INVALID_ARG, "client.jwks", "NULL argument");
	if ((st = ccg_json_parse((const uint8_t *)jwks_json, len, JWKS_MAX, "client.jwks", &j, err)) != CCG_OK)
		return st;
	if (!json_is_array(json_object_get(j, "keys"))) {
		json_decref(j);
		return ccg_error_set(err, CCG_ERR_MALFORMED, "client.jwks", "not a JWKS ({\"keys\": [...]})");
	}
	json_decref(c->jwks);
	c->jwks = j;
	free(c->jwks_url);
	c->jwks_url = NULL;
	forget(c);
	return CCG_OK;
}

enum ccg_status ccg_client_set_jwks_url(struct ccg_client *c, const char *url, struct ccg_error *err)
{
	char *u = NULL;
	enum ccg_status st;

	if (c == NULL)
		return ccg_error_set(err, CCG_ERR_INVALID_ARG, "client", "NULL client");
	if ((st = url_copy(url, "client.jwks_url", &u, err)) != CCG_OK)
		return st;
	free(c->jwks_url);
	c->jwks_url = u;
	json_decref(c->jwks);
	c->jwks = NULL;
	forget(c);
	return CCG_OK;
}

enum ccg_status ccg_client_set_policy(struct ccg_client *c, const char *policy_src, size_t len,
				      struct ccg_error *err)
{
	struct ccg_policy *p = NULL;
	enum ccg_status st;

	if (c == NULL || policy_src == NULL)
		return ccg_error_set(err, CCG_ERR_INVALID_ARG, "client.policy", "NULL argument");
	if ((st = ccg_policy_parse(policy_src, len, &p, err)) != CCG_OK)
		return st;
	ccg_policy_free(c->policy);
	c->policy = p;
	forget(c);
	return CCG_OK;
}

/* the media type of a Content-Type value, without parameters, is want (ASCII case-insensitive) */
static bool media_type_is(const char *value, const char *want)
{
	size_t n = strlen(want);

	if (value == NULL || strncasecmp(value, want, n) != 0)
		return false;
	return value[n] == '\0' || value[n] == ';' || value[n] == ' ';
}

/* GET base+route; 200 with the given media type, body at most max bytes */
static enum ccg_status fetch(const char *base, const char *route, const char *type, size_t max, const char *where,
			     struct ccg_http_response *resp, struct ccg_error *err)
{
	char url[CCG_CLIENT_MAX_URL + 64];
	struct ccg_http_request req = {.url = url, .accept = type, .max_response = max, .capture = {"content-type"}};
	enum ccg_status st;

	snprintf(url, sizeof(url), "%s%s", base, route);
	if ((st = ccg_http_perform(&req, resp, err)) != CCG_OK)
		return st;
	if (resp->status != 200)
		return ccg_error_set(err, CCG_ERR_NETWORK, where, "%s answered HTTP %ld", url, resp->status);
	if (type != NULL && !media_type_is(resp->headers[0], type))
		return ccg_error_set(err, CCG_ERR_PROTOCOL, where, "%s answered Content-Type %.64s, not %s", url,
				     resp->headers[0] != NULL ? resp->headers[0] : "(none)", type);
	return CCG_OK;
}

/*
 * The token's claims as the policy language reads them: a composite
 * document whose CPU claims are submod cpu0's and whose GPUs are the
 * GPU-n submods' (the shape the verifier appraised them in).
 */
static enum ccg_status claims_document(const json_t *claims, struct ccg_claims **out, struct ccg_error *err)
{
	const json_t *subs = json_object_get(claims, "submods"), *cpu, *v;
	json_t *doc = NULL, *cpu_copy = NULL, *gpus = NULL, *composite;
	const char *name;
	char *text = NULL;
	enum ccg_status st;

	cpu = json_object_get(json_object_get(subs, "cpu0"), "ccgpu.claims");
	cpu_copy = json_is_object(cpu) ? json_deep_copy(cpu) : json_object();
	gpus = json_object();
	if (cpu_copy == NULL || gpus == NULL) {
		st = ccg_error_set(err, CCG_ERR_NOMEM, "client.claims", NULL);
		goto out;
	}
	composite = json_object_get(cpu_copy, "ccgpu-composite");
	composite = json_is_object(composite) ? json_incref(composite) : json_object();
	json_object_del(cpu_copy, "ccgpu-composite");
	json_object_foreach((json_t *)subs, name, v) {
		const json_t *g = json_object_get(v, "ccgpu.claims");

		if (strncmp(name, "GPU-", 4) == 0 && json_is_object(g) &&
		    json_object_set_new(gpus, name, json_deep_copy(g)) != 0) {
			json_decref(composite);
			st = ccg_error_set(err, CCG_ERR_NOMEM, "client.claims", NULL);
			goto out;
		}
	}
	doc = json_pack("{s:o,s:O,s:{s:O}}", "ccgpu-composite", composite, "cpu", cpu_copy, "gpu", "submods", gpus);
	if (doc == NULL || (text = ccg_json_dumps(doc, 0)) == NULL) {
		st = ccg_error_set(err, CCG_ERR_NOMEM, "client.claims", NULL);
		goto out;
	}
	st = ccg_claims_from_json(text, strlen(text), out, err);
out:
	free(text);
	json_decref(doc);
	json_decref(cpu_copy);
	json_decref(gpus);
	return st;
}

/* one base64url member of a JWK, exactly n bytes, into out */
static enum ccg_status jwk_bytes(const json_t *jwk, const char *member, uint8_t *out, size_t n, struct ccg_error *err)
{
	const json_t *v = json_object_get(jwk, member);
	char where[32];

	snprintf(where, sizeof(where), "cnf.jwk.%s", member);
	if (!json_is_string(v) || jose_b64_dec(v, NULL, 0) != n || jose_b64_dec(v, out, n) != n)
		return ccg_error_set(err, CCG_ERR_MALFORMED, where, "not the base64url of %zu bytes", n);
	return CCG_OK;
}

/*
 * The TEE key cnf.jwk binds, as an OHTTP key configuration holds it: an
 * X25519 key (RFC 8037, KEM 0x0020, 32 raw bytes) or an EC P-384 key
 * (RFC 7518, KEM 0x0011, the uncompressed point 0x04 ‖ x ‖ y).
 */
static enum ccg_status bound_key(const json_t *claims, uint16_t *kem, uint8_t pk[CCG_HPKE_MAX_PK_LEN],
				 size_t *pk_len, struct ccg_error *err)
{
	const json_t *jwk = json_object_get(json_object_get(claims, "cnf"), "jwk");
	const char *kty = json_string_value(json_object_get(jwk, "kty"));
	const char *crv = json_string_value(json_object_get(jwk, "crv"));
	enum ccg_status st;

	if (!json_is_object(jwk))
		return ccg_error_set(err, CCG_ERR_TEE_KEY_MISMATCH, "cnf.jwk", "the token binds no TEE key");
	if (kty != NULL && crv != NULL && strcmp(kty, "OKP") == 0 && strcmp(crv, "X25519") == 0) {
		*kem = CCG_HPKE_KEM_X25519_SHA256;
		*pk_len = 32;
		return jwk_bytes(jwk, "x", pk, 32, err);
	}
	if (kty != NULL && crv != NULL && strcmp(kty, "EC") == 0 && strcmp(crv, "P-384") == 0) {
		*kem = CCG_HPKE_KEM_P384_SHA384;
		*pk_len = 97;
		pk[0] = 0x04;
		if ((st = jwk_bytes(jwk, "x", pk + 1, 48, err)) != CCG_OK)
			return st;
		return jwk_bytes(jwk, "y", pk + 49, 48, err);
	}
	return ccg_error_set(err, CCG_ERR_TEE_KEY_MISMATCH, "cnf.jwk",
			     "the TEE key is %.16s/%.16s, not an X25519 (OKP) or P-384 (EC) key for OHTTP",
			     kty ? kty : "?", crv ? crv : "?");
}

enum ccg_status ccg_client_attest(struct ccg_client *c, int64_t now, struct ccg_error *err)
{
	struct ccg_http_response jr = {0}, tr = {0}, kr = {0};
	struct ccg_ohttp_key_config kcs[CCG_OHTTP_MAX_CONFIGS];
	struct ccg_claims *cl = NULL;
	json_t *jwks = NULL, *claims = NULL;
	enum ccg_hpke_suite suite;
	const char *status;
	uint8_t pk[CCG_HPKE_MAX_PK_LEN];
	uint16_t kem = 0;
	size_t n = 0, i, pk_len = 0;
	int64_t t;
	enum ccg_status st;

	if (c == NULL)
		return ccg_error_set(err, CCG_ERR_INVALID_ARG, "client", "NULL client");
	forget(c);
	if ((st = ccg_time_resolve(now, "client.now", &t, err)) != CCG_OK)
		return st;
	if (c->jwks == NULL && c->jwks_url == NULL)
		return ccg_error_set(err, CCG_ERR_INVALID_ARG, "client.jwks", "no JWKS: set the verifier's keys first");
	if (c->jwks != NULL) {
		jwks = json_incref(c->jwks);
	} else if ((st = fetch(c->jwks_url, "", NULL, JWKS_MAX, "client.jwks", &jr, err)) != CCG_OK ||
		   (st = ccg_json_parse(jr.body, jr.body_len, JWKS_MAX, "client.jwks", &jwks, err)) != CCG_OK) {
		goto out;
	}
	/* the token: genuine, of the EAR profile, current, affirming */
	if ((st = fetch(c->server, CCG_CLIENT_ROUTE_ATTESTATION, "application/jwt", CCG_EAR_MAX_TOKEN,
			"client.attestation", &tr, err)) != CCG_OK)
		goto out;
	while (tr.body_len > 0 && (tr.body[tr.body_len - 1] == '\n' || tr.body[tr.body_len - 1] == '\r'))
		tr.body[--tr.body_len] = '\0';
	if (strlen((const char *)tr.body) != tr.body_len) {
		st = ccg_error_set(err, CCG_ERR_ENCODING, "client.attestation", "the token holds a NUL byte");
		goto out;
	}
	if ((st = ccg_ear_verify((const char *)tr.body, jwks, t, &claims, err)) != CCG_OK)
		goto out;
	status = json_string_value(json_object_get(claims, "ear.status"));
	if (status == NULL || strcmp(status, "affirming") != 0) {
		st = ccg_error_set(err, CCG_ERR_TOKEN_STATUS, "ear.status", "the verifier's verdict is %.32s",
				   status != NULL ? status : "(none)");
		goto out;
	}
	/* the key the token vouches for is the key requests will be sealed to */
	if ((st = bound_key(claims, &kem, pk, &pk_len, err)) != CCG_OK)
		goto out;
	if ((st = fetch(c->server, CCG_CLIENT_ROUTE_KEYS, "application/ohttp-keys", KEYS_MAX, "client.ohttp-keys", &kr,
			err)) != CCG_OK ||
	    (st = ccg_ohttp_keys_parse(kr.body, kr.body_len, kcs, CCG_OHTTP_MAX_CONFIGS, &n, err)) != CCG_OK)
		goto out;
	for (i = 0; i < n; i++)
		if (kcs[i].kem_id == kem && kcs[i].pk_len == pk_len && CRYPTO_memcmp(kcs[i].pk, pk, pk_len) == 0)
			break;
	if (i == n) {
		st = ccg_error_set(err, CCG_ERR_TEE_KEY_MISMATCH, "ohttp.key_config.public_key",
				   "no key configuration of the server holds the TEE key its token binds (cnf.jwk)");
		goto out;
	}
	if ((st = ccg_ohttp_key_config_suite(&kcs[i], &suite, err)) != CCG_OK)
		goto out;
	/* the client's own policy on the appraised claims */
	if (c->policy != NULL &&
	    ((st = claims_document(claims, &cl, err)) != CCG_OK || (st = ccg_policy_eval(c->policy, cl, t, NULL, 0, err)) !=
								   CCG_OK))
		goto out;
	if ((c->claims_json = ccg_json_dumps(claims, 0)) == NULL) {
		st = ccg_error_set(err, CCG_ERR_NOMEM, "client", NULL);
		goto out;
	}
	c->kc = kcs[i];
	c->attested = true;
out:
	ccg_claims_free(cl);
	json_decref(claims);
	json_decref(jwks);
	ccg_http_response_cleanup(&jr);
	ccg_http_response_cleanup(&tr);
	ccg_http_response_cleanup(&kr);
	return st;
}

const char *ccg_client_claims_json(const struct ccg_client *c)
{
	return c != NULL && c->attested ? c->claims_json : NULL;
}

enum ccg_status ccg_client_request(struct ccg_client *c, const struct ccg_bhttp_msg *request,
				   struct ccg_bhttp_msg **response, struct ccg_error *err)
{
	struct ccg_ohttp_ctx *ctx = NULL;
	struct ccg_http_response resp = {0};
	struct ccg_bhttp_msg *m = NULL;
	uint8_t *pt = NULL, *enc = NULL, *res = NULL;
	size_t pt_len = 0, enc_len = 0, res_len = 0;
	char url[CCG_CLIENT_MAX_URL + 64];
	enum ccg_status st;

	if (response != NULL)
		*response = NULL;
	if (c == NULL || request == NULL || response == NULL)
		return ccg_error_set(err, CCG_ERR_INVALID_ARG, "client", "NULL argument");
	if (!c->attested)
		return ccg_error_set(err, CCG_ERR_INVALID_ARG, "client",
				     "the server is not attested: ccg_client_attest must succeed first");
	if (!ccg_bhttp_msg_is_request(request))
		return ccg_error_set(err, CCG_ERR_INVALID_ARG, "client", "a response is no request");
	snprintf(url, sizeof(url), "%s%s", c->relay != NULL ? c->relay : c->server,
		 c->relay != NULL ? "" : CCG_CLIENT_ROUTE_GATEWAY);
	if ((st = ccg_bhttp_encode(request, false, 0, &pt, &pt_len, err)) != CCG_OK ||
	    (st = ccg_ohttp_request_encapsulate(&c->kc, pt, pt_len, &enc, &enc_len, &ctx, err)) != CCG_OK)
		goto out;
	{
		struct ccg_http_request req = {.url = url,
					       .method = "POST",
					       .content_type = "message/ohttp-req",
					       .body = enc,
					       .body_len = enc_len,
					       .accept = "message/ohttp-res",
					       .max_response = CCG_OHTTP_MAX_MESSAGE,
					       .capture = {"content-type"}};

		if ((st = ccg_http_perform(&req, &resp, err)) != CCG_OK)
			goto out;
	}
	if (resp.status != 200) {
		st = ccg_error_set(err, CCG_ERR_NETWORK, "client.gateway", "%s answered HTTP %ld", url, resp.status);
		goto out;
	}
	if (!media_type_is(resp.headers[0], "message/ohttp-res")) {
		st = ccg_error_set(err, CCG_ERR_PROTOCOL, "client.gateway", "Content-Type %.64s, not message/ohttp-res",
				   resp.headers[0] != NULL ? resp.headers[0] : "(none)");
		goto out;
	}
	if ((st = ccg_ohttp_response_open(ctx, resp.body, resp.body_len, &res, &res_len, err)) != CCG_OK ||
	    (st = ccg_bhttp_decode(res, res_len, &m, err)) != CCG_OK)
		goto out;
	if (ccg_bhttp_msg_is_request(m)) {
		st = ccg_error_set(err, CCG_ERR_MALFORMED, "ohttp.response.bhttp", "a request where the response belongs");
		goto out;
	}
	*response = m;
	m = NULL;
out:
	ccg_bhttp_msg_free(m);
	ccg_ohttp_free_plaintext(pt, pt_len);
	ccg_ohttp_free_plaintext(res, res_len);
	free(enc);
	ccg_ohttp_ctx_free(ctx);
	ccg_http_response_cleanup(&resp);
	return st;
}
