/* SPDX-License-Identifier: Apache-2.0 */
/* The release routes' request bodies: see verifier/release_req.h. */
#include "verifier/release_req.h"

#include <jansson.h>
#include <jose/b64.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/crypto.h"
#include "common/error.h"
#include "common/json.h"
#include "verifier/contracts.h"
#include "token/ear.h"
#include "verifier/request.h"

/* parses body as a JSON object with exactly the members of allowed (optional ones marked by opt) */
static enum ccg_status object_parse(const uint8_t *body, size_t len, size_t max, unsigned max_depth,
				    const char *const *allowed, size_t n_allowed, json_t **out, struct ccg_error *err)
{
	const char *key;
	json_t *v;
	enum ccg_status s;

	*out = NULL;
	if (len > max)
		return ccg_error_set(err, CCG_ERR_TOO_LARGE, "body", "over %zu bytes", max);
	if ((s = vd_json_depth_check(body, len, max_depth, err)) != CCG_OK ||
	    (s = ccg_json_parse(body, len, max, "body", out, err)) != CCG_OK)
		return s;
	if (!json_is_object(*out)) {
		s = ccg_error_set(err, CCG_ERR_MALFORMED, "body", "not a JSON object");
		goto fail;
	}
	json_object_foreach(*out, key, v) {
		size_t i;

		for (i = 0; i < n_allowed; i++)
			if (strcmp(key, allowed[i]) == 0)
				break;
		if (i == n_allowed) {
			s = ccg_error_set(err, CCG_ERR_MALFORMED, "body", "unknown member \"%.64s\"", key);
			goto fail;
		}
	}
	return CCG_OK;
fail:
	json_decref(*out);
	*out = NULL;
	return s;
}

/* obj[m] is a string of 1..max bytes without NUL, copied into out (max + 1 bytes) */
static enum ccg_status name_member(const json_t *obj, const char *m, size_t max, char *out, struct ccg_error *err)
{
	const json_t *v = json_object_get(obj, m);

	if (!json_is_string(v))
		return ccg_error_set(err, CCG_ERR_MALFORMED, m, "missing or not a string");
	if (json_string_length(v) == 0 || json_string_length(v) > max ||
	    strlen(json_string_value(v)) != json_string_length(v))
		return ccg_error_set(err, CCG_ERR_MALFORMED, m, "1 to %zu bytes, no NUL", max);
	memcpy(out, json_string_value(v), json_string_length(v) + 1);
	return CCG_OK;
}

/* obj[m] base64url (no padding) of min..max bytes, appended to *buf at *off (buf has room) */
static enum ccg_status b64_member(const json_t *obj, const char *m, size_t min, size_t max, uint8_t *out,
				  size_t *out_len, struct ccg_error *err)
{
	const json_t *v = json_object_get(obj, m);
	size_t n;

	if (!json_is_string(v))
		return ccg_error_set(err, CCG_ERR_MALFORMED, m, "missing or not a string");
	n = jose_b64_dec_buf(json_string_value(v), json_string_length(v), NULL, 0);
	if (n == SIZE_MAX)
		return ccg_error_set(err, CCG_ERR_ENCODING, m, "not base64url without padding");
	if (n < min || n > max)
		return ccg_error_set(err, CCG_ERR_MALFORMED, m, "%zu bytes, not %zu to %zu", n, min, max);
	if (jose_b64_dec_buf(json_string_value(v), json_string_length(v), out, n) != n)
		return ccg_error_set(err, CCG_ERR_ENCODING, m, "not base64url without padding");
	*out_len = n;
	return CCG_OK;
}

void vd_contract_body_cleanup(struct vd_contract_body *b)
{
	if (b == NULL)
		return;
	free(b->document);
	for (size_t i = 0; i < b->n_sigs; i++)
		free(b->sigs[i]);
	free(b->sigs);
	memset(b, 0, sizeof(*b));
}

enum ccg_status vd_contract_body_parse(const uint8_t *body, size_t len, unsigned max_depth,
				       struct vd_contract_body *out, struct ccg_error *err)
{
	static const char *const members[] = {"document", "signatures"};
	json_t *j = NULL, *doc, *sigs, *e;
	struct vd_contract_body b;
	size_t i;
	enum ccg_status s;

	memset(&b, 0, sizeof(b));
	memset(out, 0, sizeof(*out));
	if ((s = object_parse(body, len, VD_MAX_CONTRACT_BODY, max_depth, members, 2, &j, err)) != CCG_OK)
		return s;
	doc = json_object_get(j, "document");
	sigs = json_object_get(j, "signatures");
	if (!json_is_string(doc) || json_string_length(doc) == 0 ||
	    strlen(json_string_value(doc)) != json_string_length(doc)) {
		s = ccg_error_set(err, CCG_ERR_MALFORMED, "document", "missing, or not the contract's JSON text");
		goto out;
	}
	if (!json_is_array(sigs) || json_array_size(sigs) == 0 || json_array_size(sigs) > CCG_VCONTRACT_MAX_SIGS) {
		s = ccg_error_set(err, CCG_ERR_MALFORMED, "signatures", "a list of 1 to %d signature documents",
				  CCG_VCONTRACT_MAX_SIGS);
		goto out;
	}
	if ((b.document = strdup(json_string_value(doc))) == NULL ||
	    (b.sigs = calloc(json_array_size(sigs), sizeof(char *))) == NULL) {
		s = ccg_error_set(err, CCG_ERR_NOMEM, "body", "no memory");
		goto out;
	}
	b.document_len = json_string_length(doc);
	json_array_foreach(sigs, i, e) {
		if (!json_is_string(e) || strlen(json_string_value(e)) != json_string_length(e)) {
			s = ccg_error_set(err, CCG_ERR_MALFORMED, "signatures",
					  "item %zu is not a signature document's text", i);
			goto out;
		}
		if ((b.sigs[i] = strdup(json_string_value(e))) == NULL) {
			s = ccg_error_set(err, CCG_ERR_NOMEM, "body", "no memory");
			goto out;
		}
		b.n_sigs = i + 1;
	}
	*out = b;
	memset(&b, 0, sizeof(b));
out:
	vd_contract_body_cleanup(&b);
	json_decref(j);
	return s;
}

void vd_upload_body_cleanup(struct vd_upload_body *b)
{
	if (b == NULL)
		return;
	free(b->sealed);
	memset(b, 0, sizeof(*b));
}

enum ccg_status vd_upload_body_parse(const uint8_t *body, size_t len, unsigned max_depth, struct vd_upload_body *out,
				     struct ccg_error *err)
{
	static const char *const members[] = {"suite", "kid", "enc", "ct"};
	const size_t nenc = CCG_HPKE_MAX_ENC_LEN, max_ct = CCG_SECRET_MAX_LEN + CCG_HPKE_TAG_LEN;
	struct vd_upload_body b;
	const json_t *suite;
	json_t *j = NULL;
	size_t enc_len = 0, ct_len = 0;
	enum ccg_status s;

	memset(&b, 0, sizeof(b));
	memset(out, 0, sizeof(*out));
	/* base64url of 64 KiB + 16 and a few short members */
	if ((s = object_parse(body, len, 4 * max_ct / 3 + 4096, max_depth, members, 4, &j, err)) != CCG_OK)
		return s;
	suite = json_object_get(j, "suite");
	if (!json_is_string(suite) || strcmp(json_string_value(suite), VD_UPLOAD_SUITE) != 0) {
		s = ccg_error_set(err, CCG_ERR_UNSUPPORTED, "suite", "must be \"%s\"", VD_UPLOAD_SUITE);
		goto out;
	}
	if ((s = name_member(j, "kid", VD_MAX_KID, b.kid, err)) != CCG_OK)
		goto out;
	if ((b.sealed = malloc(nenc + max_ct)) == NULL) {
		s = ccg_error_set(err, CCG_ERR_NOMEM, "body", "no memory");
		goto out;
	}
	if ((s = b64_member(j, "enc", nenc, nenc, b.sealed, &enc_len, err)) != CCG_OK ||
	    (s = b64_member(j, "ct", CCG_HPKE_TAG_LEN + 1, max_ct, b.sealed + nenc, &ct_len, err)) != CCG_OK)
		goto out;
	b.sealed_len = enc_len + ct_len;
	*out = b;
	memset(&b, 0, sizeof(b));
out:
	vd_upload_body_cleanup(&b);
	json_decref(j);
	return s;
}

enum ccg_status vd_suspend_body_parse(const uint8_t *body, size_t len, unsigned max_depth,
				      char out_secret[CCG_SECRET_MAX_NAME + 1], struct ccg_error *err)
{
	static const char *const members[] = {"secret"};
	json_t *j = NULL;
	enum ccg_status s;

	out_secret[0] = '\0';
	if ((s = object_parse(body, len, 4096, max_depth, members, 1, &j, err)) != CCG_OK)
		return s;
	if (json_object_get(j, "secret") != NULL)
		s = name_member(j, "secret", CCG_SECRET_MAX_NAME, out_secret, err);
	json_decref(j);
	return s;
}

void vd_release_body_cleanup(struct vd_release_body *b)
{
	if (b == NULL)
		return;
	free(b->token);
	memset(b, 0, sizeof(*b));
}

enum ccg_status vd_release_body_parse(const uint8_t *body, size_t len, unsigned max_depth, struct vd_release_body *out,
				      struct ccg_error *err)
{
	static const char *const members[] = {"token", "contract", "secret"};
	json_t *j = NULL, *t;
	struct vd_release_body b;
	enum ccg_status s;

	memset(&b, 0, sizeof(b));
	memset(out, 0, sizeof(*out));
	if ((s = object_parse(body, len, CCG_EAR_MAX_TOKEN + 4096, max_depth, members, 3, &j, err)) != CCG_OK)
		return s;
	t = json_object_get(j, "token");
	if (!json_is_string(t) || json_string_length(t) == 0 || json_string_length(t) > CCG_EAR_MAX_TOKEN ||
	    strlen(json_string_value(t)) != json_string_length(t)) {
		s = ccg_error_set(err, CCG_ERR_MALFORMED, "token", "missing, or not a compact JWS");
		goto out;
	}
	if ((s = name_member(j, "contract", CCG_SECRET_MAX_NAME, b.contract, err)) != CCG_OK ||
	    (s = name_member(j, "secret", CCG_SECRET_MAX_NAME, b.secret, err)) != CCG_OK)
		goto out;
	if ((b.token = strdup(json_string_value(t))) == NULL) {
		s = ccg_error_set(err, CCG_ERR_NOMEM, "body", "no memory");
		goto out;
	}
	*out = b;
	memset(&b, 0, sizeof(b));
out:
	vd_release_body_cleanup(&b);
	json_decref(j);
	return s;
}
