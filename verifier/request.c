/* SPDX-License-Identifier: Apache-2.0 */
/* Request bodies of ccgpu-verifierd: depth bound, then jansson through common/json, then member checks. */
#include "verifier/request.h"

#include <jansson.h>
#include <openssl/x509.h>
#include <stdlib.h>
#include <string.h>

#include "common/crypto.h"
#include "common/encoding.h"
#include "common/error.h"
#include "common/json.h"

enum ccg_status vd_json_depth_check(const uint8_t *body, size_t len, unsigned max_depth, struct ccg_error *err)
{
	unsigned depth = 0;
	bool in_string = false, escaped = false;

	for (size_t i = 0; i < len; i++) {
		uint8_t c = body[i];

		if (in_string) {
			if (escaped)
				escaped = false;
			else if (c == '\\')
				escaped = true;
			else if (c == '"')
				in_string = false;
			continue;
		}
		if (c == '"') {
			in_string = true;
		} else if (c == '[' || c == '{') {
			if (++depth > max_depth)
				return ccg_error_set(err, CCG_ERR_TOO_LARGE, "body", "JSON nested deeper than %u at byte %zu",
						     max_depth, i);
		} else if ((c == ']' || c == '}') && depth > 0) {
			depth--;
		}
	}
	return CCG_OK;
}

static bool all_space(const uint8_t *b, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (b[i] != ' ' && b[i] != '\t' && b[i] != '\r' && b[i] != '\n')
			return false;
	return true;
}

enum ccg_status vd_challenge_request_parse(const uint8_t *body, size_t len, unsigned max_depth,
					   struct ccg_error *err)
{
	json_t *j = NULL;
	enum ccg_status st;

	if (len == 0 || all_space(body, len))
		return CCG_OK;
	if ((st = vd_json_depth_check(body, len, max_depth, err)) != CCG_OK)
		return st;
	if ((st = ccg_json_parse(body, len, 4096, "body", &j, err)) != CCG_OK)
		return st;
	if (!json_is_object(j) || json_object_size(j) != 0)
		st = ccg_error_set(err, CCG_ERR_MALFORMED, "body", "a challenge takes no members ({} or nothing)");
	json_decref(j);
	return st;
}

void vd_attest_request_cleanup(struct vd_attest_request *r)
{
	free(r->evidence);
	EVP_PKEY_free(r->tee_key);
	memset(r, 0, sizeof(*r));
}

static enum ccg_status tee_key(const json_t *ev, EVP_PKEY **out, struct ccg_error *err)
{
	const char *b64 = NULL;
	uint8_t *der = NULL;
	const uint8_t *p;
	size_t n = 0;
	enum ccg_status st;
	EVP_PKEY *k = NULL;
	int id;

	if ((st = ccg_json_get_string(ev, "tee_public_key", &b64, "evidence", err)) != CCG_OK)
		return st;
	if ((st = ccg_base64_decode(b64, strlen(b64), VD_MAX_TEE_KEY, &der, &n)) != CCG_OK)
		return ccg_error_set(err, st, "evidence.tee_public_key", "not base64 of at most %d bytes", VD_MAX_TEE_KEY);
	p = der;
	k = d2i_PUBKEY(NULL, &p, (long)n);
	if (k == NULL || p != der + n) {
		EVP_PKEY_free(k);
		free(der);
		return ccg_openssl_error(err, CCG_ERR_MALFORMED, "evidence.tee_public_key",
					 "not one DER SubjectPublicKeyInfo");
	}
	free(der);
	id = EVP_PKEY_get_base_id(k);
	/* X25519 (branch guest, issue 15): the OHTTP key is the TEE key, and secrets are released to it */
	if (id != EVP_PKEY_EC && id != EVP_PKEY_RSA && id != EVP_PKEY_X25519) {
		EVP_PKEY_free(k);
		return ccg_error_set(err, CCG_ERR_UNSUPPORTED, "evidence.tee_public_key", "not an EC, RSA or X25519 key");
	}
	*out = k;
	return CCG_OK;
}

enum ccg_status vd_attest_request_parse(const uint8_t *body, size_t len, size_t max, unsigned max_depth,
					struct vd_attest_request *out, struct ccg_error *err)
{
	json_t *j = NULL, *ev;
	const char *nonce = NULL, *ev_nonce = NULL, *key;
	struct vd_attest_request r;
	enum ccg_status st;
	json_t *v;

	memset(&r, 0, sizeof(r));
	memset(out, 0, sizeof(*out));
	if ((st = vd_json_depth_check(body, len, max_depth, err)) != CCG_OK)
		return st;
	if ((st = ccg_json_parse(body, len, max, "body", &j, err)) != CCG_OK)
		return st;
	if (!json_is_object(j)) {
		st = ccg_error_set(err, CCG_ERR_MALFORMED, "body", "not a JSON object");
		goto out;
	}
	json_object_foreach(j, key, v) {
		if (strcmp(key, "nonce") != 0 && strcmp(key, "evidence") != 0) {
			st = ccg_error_set(err, CCG_ERR_MALFORMED, "body", "unknown member \"%.64s\"", key);
			goto out;
		}
	}
	if ((st = ccg_json_get_string(j, "nonce", &nonce, "body", err)) != CCG_OK)
		goto out;
	if (strlen(nonce) != 2 * VD_NONCE_LEN ||
	    ccg_hex_decode_fixed(nonce, strlen(nonce), r.nonce, VD_NONCE_LEN) != CCG_OK) {
		st = ccg_error_set(err, CCG_ERR_ENCODING, "nonce", "not %d hex digits", 2 * VD_NONCE_LEN);
		goto out;
	}
	ev = json_object_get(j, "evidence");
	if (!json_is_object(ev)) {
		st = ccg_error_set(err, CCG_ERR_MALFORMED, "evidence", "missing, or not a composite document (JSON object)");
		goto out;
	}
	/* the document must be over the request's nonce: a mismatch is the client's error, not an appraisal */
	if ((st = ccg_json_get_string(ev, "nonce", &ev_nonce, "evidence", err)) != CCG_OK)
		goto out;
	if (strcasecmp(ev_nonce, nonce) != 0) {
		st = ccg_error_set(err, CCG_ERR_NONCE_MISMATCH, "evidence.nonce", "not the request's nonce");
		goto out;
	}
	if ((st = tee_key(ev, &r.tee_key, err)) != CCG_OK)
		goto out;
	if ((r.evidence = json_dumps(ev, JSON_COMPACT)) == NULL) {
		st = ccg_error_set(err, CCG_ERR_NOMEM, "evidence", NULL);
		goto out;
	}
	r.evidence_len = strlen(r.evidence);
	if ((st = ccg_sha256((const uint8_t *)r.evidence, r.evidence_len, r.evidence_sha256)) != CCG_OK)
		goto out;
	*out = r;
	memset(&r, 0, sizeof(r));
out:
	vd_attest_request_cleanup(&r);
	json_decref(j);
	return st;
}
