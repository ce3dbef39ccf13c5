/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Released secrets (include/ccgpu/guest.h, ccg_guest_secret): POST
 * /v1/release with the EAR token, and the answer HPKE-opened with the TEE
 * private key into a secret buffer (docs/protocols.md, "Secret release").
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/crypto.h"
#include "common/error.h"
#include "common/json.h"
#include "tee_guest/guest_impl.h"
#include "token/tee_jwk.h"

#define RELEASE_ANSWER_MAX (256 * 1024)

struct ccg_guest_secret {
	struct ccg_secret *s;
	int64_t version;
};

static const char *suite_name(enum ccg_hpke_suite s)
{
	return s == CCG_HPKE_P384_SHA384_AES256GCM ? "P384-SHA384-AES256GCM" : "X25519-SHA256-AES128GCM";
}

/* a base64url (no padding) member of at most max bytes, named release.<name> when refused */
static enum ccg_status b64url_member(const json_t *j, const char *name, size_t max, uint8_t **out, size_t *out_len,
				     struct ccg_error *err)
{
	char where[32];

	snprintf(where, sizeof(where), "release.%s", name);
	if (!json_is_string(json_object_get(j, name)))
		return ccg_error_set(err, CCG_ERR_MALFORMED, where, "missing or not a string");
	if (!ccg_json_b64url_member(j, name, max, out, out_len))
		return ccg_error_set(err, CCG_ERR_ENCODING, where, "not base64url of 1 to %zu bytes", max);
	return CCG_OK;
}

enum ccg_status ccg_guest_release_open(EVP_PKEY *sk, enum ccg_hpke_suite suite, const char *token, const char *contract,
				       const char *secret, const uint8_t *body, size_t len, struct ccg_secret **out,
				       int64_t *out_version, struct ccg_error *err)
{
	json_t *j = NULL;
	const char *c = NULL, *s = NULL, *su = NULL;
	uint8_t *enc = NULL, *ct = NULL, *sealed = NULL, *aad = NULL;
	size_t enc_len = 0, ct_len = 0, aad_len = 0, pt_len = 0;
	struct ccg_secret *pt = NULL;
	int64_t version = 0;
	enum ccg_status st;

	*out = NULL;
	if ((st = ccg_json_parse(body, len, RELEASE_ANSWER_MAX, "release", &j, err)) != CCG_OK)
		return st;
	/* the answer is for what was asked, wrapped for this key */
	if ((st = ccg_json_get_string(j, "contract", &c, "release", err)) != CCG_OK ||
	    (st = ccg_json_get_string(j, "secret", &s, "release", err)) != CCG_OK ||
	    (st = ccg_json_get_string(j, "suite", &su, "release", err)) != CCG_OK ||
	    (st = ccg_json_get_int(j, "version", 1, INT64_MAX, &version, "release", err)) != CCG_OK)
		goto out;
	if (strcmp(c, contract) != 0) {
		st = ccg_error_set(err, CCG_ERR_MALFORMED, "release.contract", "the answer is for another contract");
		goto out;
	}
	if (strcmp(s, secret) != 0) {
		st = ccg_error_set(err, CCG_ERR_MALFORMED, "release.secret", "the answer is for another secret");
		goto out;
	}
	if (strcmp(su, suite_name(suite)) != 0) {
		st = ccg_error_set(err, CCG_ERR_UNSUPPORTED, "release.suite", "\"%.32s\", the TEE key takes %s", su,
				   suite_name(suite));
		goto out;
	}
	if ((st = b64url_member(j, "enc", CCG_HPKE_MAX_ENC_LEN, &enc, &enc_len, err)) != CCG_OK ||
	    (st = b64url_member(j, "ct", CCG_GUEST_SECRET_MAX + CCG_HPKE_TAG_LEN, &ct, &ct_len, err)) != CCG_OK)
		goto out;
	if (enc_len != ccg_hpke_enc_len(suite)) {
		st = ccg_error_set(err, CCG_ERR_MALFORMED, "release.enc", "%zu bytes, the suite's enc has %zu", enc_len,
				   ccg_hpke_enc_len(suite));
		goto out;
	}
	if (ct_len <= CCG_HPKE_TAG_LEN) {
		st = ccg_error_set(err, CCG_ERR_TRUNCATED, "release.ct", "no secret after the tag");
		goto out;
	}
	if ((sealed = malloc(enc_len + ct_len)) == NULL) {
		st = ccg_error_set(err, CCG_ERR_NOMEM, "release", "no memory");
		goto out;
	}
	memcpy(sealed, enc, enc_len);
	memcpy(sealed + enc_len, ct, ct_len);
	if ((st = ccg_hpke_release_aad(token, contract, secret, &aad, &aad_len, err)) != CCG_OK)
		goto out;
	if ((st = ccg_secret_new(ct_len - CCG_HPKE_TAG_LEN, &pt)) != CCG_OK) {
		ccg_error_set(err, st, "release", "no secret buffer");
		goto out;
	}
	if ((st = ccg_hpke_open(suite, sk, sealed, enc_len + ct_len, (const uint8_t *)CCG_HPKE_INFO_RELEASE,
				strlen(CCG_HPKE_INFO_RELEASE), aad, aad_len, pt->data, pt->len, &pt_len, err)) !=
	    CCG_OK)
		goto out;
	if (pt_len != pt->len) {
		st = ccg_error_set(err, CCG_ERR_INTERNAL, "release.ct", "opened %zu of %zu bytes", pt_len, pt->len);
		goto out;
	}
	*out = pt;
	pt = NULL;
	if (out_version != NULL)
		*out_version = version;
out:
	ccg_secret_free(pt);
	json_decref(j);
	free(enc);
	free(ct);
	free(sealed);
	free(aad);
	return st;
}

/* a refusal: 403 names the party and rule that denied, 409 the party that suspended */
static enum ccg_status refusal(const struct ccg_http_response *r, const char *where, struct ccg_error *err)
{
	json_t *j = r->body != NULL ? json_loadb((const char *)r->body, r->body_len, 0, NULL) : NULL;
	const char *party = json_string_value(json_object_get(j, "party"));
	const char *rule = json_string_value(json_object_get(j, "rule"));
	const char *detail = json_string_value(json_object_get(j, "detail"));
	char why[400];
	enum ccg_status st;

	if (r->status == 403 || r->status == 409)
		st = ccg_error_set(err, CCG_ERR_POLICY, where, "%s by party %.64s%s%.64s: %.200s",
				   r->status == 409 ? "suspended" : "denied", party != NULL ? party : "(unnamed)",
				   rule != NULL ? " rule " : "", rule != NULL ? rule : "",
				   detail != NULL ? detail : "");
	else {
		guest_problem(r, why, sizeof(why));
		st = ccg_error_set(err, r->status == 404 ? CCG_ERR_NOT_FOUND : CCG_ERR_PROTOCOL, where, "%s", why);
	}
	json_decref(j);
	return st;
}

enum ccg_status ccg_guest_secret(struct ccg_guest *g, const char *contract, const char *name,
				 struct ccg_guest_secret **out, struct ccg_error *err)
{
	struct ccg_guest_secret *gs = NULL;
	struct ccg_http_response r;
	struct ccg_error e;
	EVP_PKEY *sk = NULL;
	json_t *req = NULL;
	char *text = NULL, where[CCG_ERROR_WHERE_MAX];
	enum ccg_status st;

	memset(&r, 0, sizeof(r));
	if (out != NULL)
		*out = NULL;
	snprintf(where, sizeof(where), "guest.release.%.100s", name != NULL ? name : "");
	if (g == NULL || out == NULL || contract == NULL || contract[0] == '\0' || name == NULL || name[0] == '\0')
		return ccg_error_set(err, CCG_ERR_INVALID_ARG, where,
				     "a guest, a contract, a secret name and an output");
	pthread_mutex_lock(&g->lock);
	/* a token that still stands, or a fresh attestation */
	ccg_error_clear(&e);
	if ((st = guest_token_fresh(g, &e)) != CCG_OK) {
		ccg_error_set(err, st, e.where, "%s (before releasing %.64s)", e.detail, name);
		goto out;
	}
	req = json_pack("{s:s,s:s,s:s}", "token", g->token, "contract", contract, "secret", name);
	if (req == NULL || (text = json_dumps(req, JSON_COMPACT)) == NULL) {
		st = ccg_error_set(err, CCG_ERR_NOMEM, where, "no memory");
		goto out;
	}
	if ((st = guest_post(g, "/v1/release", text, RELEASE_ANSWER_MAX, &r, &e)) != CCG_OK) {
		guest_step(err, &e, st, where);
		goto out;
	}
	if (r.status != 200) {
		st = refusal(&r, where, err);
		goto out;
	}
	if ((gs = calloc(1, sizeof(*gs))) == NULL) {
		st = ccg_error_set(err, CCG_ERR_NOMEM, where, "no memory");
		goto out;
	}
	if ((st = guest_key(g, &sk, &e)) != CCG_OK ||
	    (st = ccg_guest_release_open(sk, g->suite, g->token, contract, name, r.body, r.body_len, &gs->s,
					 &gs->version, &e)) != CCG_OK) {
		guest_step(err, &e, st, where);
		goto out;
	}
	*out = gs;
	gs = NULL;
out:
	pthread_mutex_unlock(&g->lock);
	EVP_PKEY_free(sk);
	ccg_guest_secret_free(gs);
	ccg_http_response_cleanup(&r);
	free(text);
	json_decref(req);
	return st;
}

const uint8_t *ccg_guest_secret_data(const struct ccg_guest_secret *s, size_t *out_len)
{
	if (s == NULL || s->s == NULL) {
		if (out_len != NULL)
			*out_len = 0;
		return NULL;
	}
	if (out_len != NULL)
		*out_len = s->s->len;
	return s->s->data;
}

int64_t ccg_guest_secret_version(const struct ccg_guest_secret *s)
{
	return s != NULL ? s->version : 0;
}

void ccg_guest_secret_free(struct ccg_guest_secret *s)
{
	if (s == NULL)
		return;
	ccg_secret_free(s->s);
	free(s);
}
