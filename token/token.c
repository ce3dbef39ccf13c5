/* SPDX-License-Identifier: Apache-2.0 */
/* The public EAR token verification of include/ccgpu/token.h over token/ear.c. */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "ccgpu/token.h"
#include "common/error.h"
#include "common/http.h"
#include "common/json.h"
#include "token/ear.h"

_Static_assert(CCG_TOKEN_MAX == CCG_EAR_MAX_TOKEN, "the public and the token layer's bound differ");

struct ccg_token {
	json_t *claims;
};

enum ccg_status ccg_token_verify(const char *token, size_t token_len, const char *jwks, size_t jwks_len, int64_t now,
				 struct ccg_token **out, struct ccg_error *err)
{
	json_t *keys = NULL, *claims = NULL;
	char *jws = NULL;
	struct ccg_token *t = NULL;
	enum ccg_status st;

	if (out == NULL)
		return ccg_error_set(err, CCG_ERR_INVALID_ARG, "token", "no place for the result");
	*out = NULL;
	if (token == NULL || jwks == NULL)
		return ccg_error_set(err, CCG_ERR_INVALID_ARG, token == NULL ? "token" : "jwks", "missing");
	/* (a token longer than CCG_TOKEN_MAX is refused by ccg_ear_verify, at "token") */
	if (memchr(token, '\0', token_len) != NULL)
		return ccg_error_set(err, CCG_ERR_ENCODING, "token", "a NUL byte inside the token");
	if ((st = ccg_json_parse((const uint8_t *)jwks, jwks_len, CCG_TOKEN_JWKS_MAX, "jwks", &keys, err)) != CCG_OK)
		goto out;
	if ((jws = strndup(token, token_len)) == NULL) {
		st = ccg_error_set(err, CCG_ERR_NOMEM, "token", "no memory");
		goto out;
	}
	if ((st = ccg_ear_verify(jws, keys, now, &claims, err)) != CCG_OK)
		goto out;
	if ((t = calloc(1, sizeof(*t))) == NULL) {
		st = ccg_error_set(err, CCG_ERR_NOMEM, "token", "no memory");
		goto out;
	}
	t->claims = claims;
	claims = NULL;
	*out = t;
	st = CCG_OK;
out:
	json_decref(claims);
	json_decref(keys);
	free(jws);
	return st;
}

enum ccg_status ccg_token_check_nonce(const struct ccg_token *t, const uint8_t *nonce, size_t nonce_len,
				      struct ccg_error *err)
{
	if (t == NULL || nonce == NULL)
		return ccg_error_set(err, CCG_ERR_INVALID_ARG, "eat_nonce", "no token or no nonce");
	return ccg_ear_check_nonce(t->claims, nonce, nonce_len, err);
}

const char *ccg_token_status(const struct ccg_token *t)
{
	return t != NULL ? json_string_value(json_object_get(t->claims, "ear.status")) : NULL;
}

char *ccg_token_claims_json(const struct ccg_token *t)
{
	return t != NULL ? json_dumps(t->claims, JSON_INDENT(2) | JSON_SORT_KEYS) : NULL;
}

void ccg_token_free(struct ccg_token *t)
{
	if (t == NULL)
		return;
	json_decref(t->claims);
	free(t);
}

enum ccg_status ccg_token_jwks_fetch(const char *url, char **out, size_t *out_len, struct ccg_error *err)
{
	struct ccg_http_request req = {.url = url, .accept = "application/json", .max_response = CCG_TOKEN_JWKS_MAX};
	struct ccg_http_response resp = {0};
	struct ccg_error inner;
	json_t *doc = NULL;
	enum ccg_status st;

	if (out == NULL || out_len == NULL)
		return ccg_error_set(err, CCG_ERR_INVALID_ARG, "jwks", "no place for the result");
	*out = NULL;
	*out_len = 0;
	if (url == NULL || !ccg_http_url_ok(url))
		return ccg_error_set(err, CCG_ERR_INVALID_ARG, "jwks", "the JWKS URL must be http:// or https://");
	ccg_error_clear(&inner);
	if ((st = ccg_http_global_init()) != CCG_OK)
		return ccg_error_set(err, st, "jwks", "libcurl did not initialise");
	if ((st = ccg_http_perform(&req, &resp, &inner)) != CCG_OK)
		st = ccg_error_set(err, st, "jwks", "%s: %s: %s", url, inner.where, inner.detail);
	else if (resp.status != 200)
		st = ccg_error_set(err, CCG_ERR_NETWORK, "jwks", "%s answered HTTP %ld", url, resp.status);
	else if ((st = ccg_json_parse(resp.body, resp.body_len, CCG_TOKEN_JWKS_MAX, "jwks", &doc, err)) == CCG_OK) {
		*out = (char *)resp.body; /* NUL-terminated */
		*out_len = resp.body_len;
		resp.body = NULL;
	}
	json_decref(doc);
	ccg_http_response_cleanup(&resp);
	return st;
}
