/* SPDX-License-Identifier: Apache-2.0 */
/* The NRAS-compatible endpoint: NVIDIA's attestation request in, NVIDIA's detached EAT out (token/nras.h). */
#include "token/nras.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/crypto.h"
#include "common/encoding.h"
#include "common/error.h"
#include "common/json.h"

#define NRAS_DEFAULT_TTL 3600
#define NRAS_JTI_LEN 32 /* random bytes, hex in "jti", as NVIDIA's SDK */
#define NRAS_CLAIMS_VERSION "3.0"

void ccg_nras_request_free(struct ccg_nras_request *r)
{
	if (r == NULL)
		return;
	ccg_gpu_evidence_free(r->evidence);
	free(r);
}

static bool only_members(const json_t *obj, const char *const *names, size_t n, const char *where,
			 struct ccg_error *err, enum ccg_status *s)
{
	const char *key;
	json_t *v;

	json_object_foreach((json_t *)obj, key, v) {
		size_t i;

		for (i = 0; i < n && strcmp(key, names[i]) != 0; i++)
			;
		if (i == n) {
			*s = ccg_error_set(err, CCG_ERR_MALFORMED, where, "unknown member \"%.64s\"", key);
			return false;
		}
	}
	return true;
}

static enum ccg_status get_b64(const json_t *item, const char *key, size_t idx, uint8_t **out, size_t *out_len,
			       struct ccg_error *err)
{
	char where[96];
	const char *text;
	enum ccg_status s;

	snprintf(where, sizeof(where), "evidence_list[%zu].%s", idx, key);
	s = ccg_json_get_string(item, key, &text, where, err);
	if (s != CCG_OK)
		return s;
	s = ccg_base64_decode(text, json_string_length(json_object_get(item, key)), CCG_NRAS_MAX_ITEM, out, out_len);
	if (s != CCG_OK)
		return ccg_error_set(err, s, where,
				     s == CCG_ERR_TOO_LARGE ? "more than %d bytes decoded" : "bad base64",
				     CCG_NRAS_MAX_ITEM);
	if (*out_len == 0) {
		free(*out);
		*out = NULL;
		return ccg_error_set(err, CCG_ERR_MALFORMED, where, "empty");
	}
	return CCG_OK;
}

enum ccg_status ccg_nras_request_parse(const uint8_t *body, size_t len, struct ccg_nras_request **out,
				       struct ccg_error *err)
{
	static const char *const top[] = {"nonce", "arch", "claims_version", "evidence_list"};
	static const char *const entry[] = {"evidence", "certificate"};
	struct ccg_nras_request *r = NULL;
	json_t *doc = NULL, *list, *cv, *item;
	const char *nonce, *arch;
	enum ccg_status s = CCG_OK;
	size_t i;

	if (out == NULL)
		return ccg_error_set(err, CCG_ERR_INVALID_ARG, "request", "no output");
	*out = NULL;
	if (body == NULL)
		return ccg_error_set(err, CCG_ERR_INVALID_ARG, "request", "no body");
	s = ccg_json_parse(body, len, CCG_NRAS_MAX_BODY, "request", &doc, err);
	if (s != CCG_OK)
		return s;
	if (!json_is_object(doc)) {
		s = ccg_error_set(err, CCG_ERR_MALFORMED, "request", "not a JSON object");
		goto out;
	}
	if (!only_members(doc, top, sizeof(top) / sizeof(top[0]), "request", err, &s))
		goto out;
	if ((r = calloc(1, sizeof(*r))) == NULL) {
		s = ccg_error_set(err, CCG_ERR_NOMEM, "request", "no memory");
		goto out;
	}

	s = ccg_json_get_string(doc, "nonce", &nonce, "nonce", err);
	if (s != CCG_OK)
		goto out;
	/* hex digits only (no "0x", no spaces, which ccg_hex_decode_fixed would allow), exactly 32 bytes of them */
	if (strspn(nonce, "0123456789abcdefABCDEF") != strlen(nonce) ||
	    ccg_hex_decode_fixed(nonce, strlen(nonce), r->nonce, sizeof(r->nonce)) != CCG_OK) {
		s = ccg_error_set(err, CCG_ERR_ENCODING, "nonce", "need %d hex digits (a %d-byte nonce)",
				  2 * CCG_GPU_NONCE_LEN, CCG_GPU_NONCE_LEN);
		goto out;
	}

	s = ccg_json_get_string(doc, "arch", &arch, "arch", err);
	if (s != CCG_OK)
		goto out;
	if (strcmp(arch, "LS10") == 0) {
		s = ccg_error_set(
			err, CCG_ERR_UNSUPPORTED, "arch",
			"LS10 is NVSwitch evidence, which ccgpu does not appraise (GPU evidence only: HOPPER, "
			"BLACKWELL)");
		goto out;
	}
	if (strcmp(arch, "HOPPER") != 0 && strcmp(arch, "BLACKWELL") != 0) {
		s = ccg_error_set(err, CCG_ERR_UNSUPPORTED, "arch", "\"%.32s\" is not HOPPER or BLACKWELL", arch);
		goto out;
	}
	snprintf(r->arch, sizeof(r->arch), "%s", arch);

	cv = json_object_get(doc, "claims_version");
	if (cv != NULL && (!json_is_string(cv) || strcmp(json_string_value(cv), NRAS_CLAIMS_VERSION) != 0)) {
		s = ccg_error_set(err, CCG_ERR_UNSUPPORTED, "claims_version",
				  "only \"" NRAS_CLAIMS_VERSION "\" is issued");
		goto out;
	}

	list = json_object_get(doc, "evidence_list");
	if (!json_is_array(list) || json_array_size(list) == 0 || json_array_size(list) > CCG_GPU_MAX_DEVICES) {
		s = ccg_error_set(err,
				  json_array_size(list) > CCG_GPU_MAX_DEVICES ? CCG_ERR_TOO_LARGE : CCG_ERR_MALFORMED,
				  "evidence_list", "need an array of 1 to %d entries", CCG_GPU_MAX_DEVICES);
		goto out;
	}
	s = ccg_gpu_evidence_new(&r->evidence);
	if (s != CCG_OK) {
		ccg_error_set(err, s, "request", "no memory");
		goto out;
	}
	json_array_foreach(list, i, item) {
		uint8_t *report = NULL, *chain = NULL;
		size_t report_len = 0, chain_len = 0;
		char where[64];

		snprintf(where, sizeof(where), "evidence_list[%zu]", i);
		if (!json_is_object(item)) {
			s = ccg_error_set(err, CCG_ERR_MALFORMED, where, "not a JSON object");
			goto out;
		}
		if (!only_members(item, entry, 2, where, err, &s))
			goto out;
		s = get_b64(item, "evidence", i, &report, &report_len, err);
		if (s == CCG_OK)
			s = get_b64(item, "certificate", i, &chain, &chain_len, err);
		if (s == CCG_OK)
			s = ccg_gpu_evidence_add_report(r->evidence, r->arch, report, report_len, chain, chain_len,
							err);
		free(report);
		free(chain);
		if (s != CCG_OK)
			goto out;
	}
	*out = r;
	r = NULL;
out:
	ccg_nras_request_free(r);
	json_decref(doc);
	return s;
}

/* iss, iat, nbf, exp and a fresh jti into claims. */
static enum ccg_status common_claims(json_t *claims, const struct ccg_nras_config *cfg, int64_t now, int64_t ttl)
{
	uint8_t jti[NRAS_JTI_LEN];

	if (ccg_random(jti, sizeof(jti)) != CCG_OK)
		return CCG_ERR_CRYPTO;
	if (ccg_json_set_new(claims, "iss", json_string(cfg->issuer)) != CCG_OK ||
	    ccg_json_set_new(claims, "iat", json_integer(now)) != CCG_OK ||
	    ccg_json_set_new(claims, "nbf", json_integer(now)) != CCG_OK ||
	    ccg_json_set_new(claims, "exp", json_integer(now + ttl)) != CCG_OK ||
	    ccg_json_set_hex(claims, "jti", jti, sizeof(jti)) != CCG_OK)
		return CCG_ERR_NOMEM;
	return CCG_OK;
}

enum ccg_status ccg_nras_handle(const struct ccg_nras_config *cfg, const uint8_t *body, size_t len, int64_t now,
				char **out_json, bool *out_passed, struct ccg_error *err)
{
	struct ccg_nras_request *req = NULL;
	struct ccg_gpu_result *result = NULL;
	struct ccg_error appraisal;
	json_t *claims = NULL, *submods, *overall = NULL, *digests = NULL, *tokens = NULL, *answer = NULL;
	char *text = NULL, *jws = NULL;
	int64_t ttl;
	size_t n;
	enum ccg_status s;

	if (out_json != NULL)
		*out_json = NULL;
	if (out_passed != NULL)
		*out_passed = false;
	if (cfg == NULL || cfg->gpu == NULL || cfg->key == NULL || cfg->issuer == NULL || out_json == NULL)
		return ccg_error_set(err, CCG_ERR_INVALID_ARG, "nras",
				     "need a GPU verifier, a key, an issuer and an output");
	if (now <= 0)
		return ccg_error_set(err, CCG_ERR_INVALID_ARG, "nras", "the caller passes the time (Unix seconds)");
	ttl = cfg->ttl > 0 ? cfg->ttl : NRAS_DEFAULT_TTL;
	s = ccg_nras_request_parse(body, len, &req, err);
	if (s != CCG_OK)
		return s;

	ccg_error_clear(&appraisal);
	/* a failed check still gives claims (result): it is answered, not refused */
	if (ccg_gpu_verifier_appraise(cfg->gpu, req->evidence, req->nonce, sizeof(req->nonce), now, &result,
				      &appraisal) != CCG_OK &&
	    result == NULL) {
		s = ccg_error_set(err, appraisal.status != CCG_OK ? appraisal.status : CCG_ERR_INTERNAL,
				  appraisal.where, "%s", appraisal.detail);
		goto out;
	}
	/* the claims through the public API, as any relying party gets them */
	text = ccg_gpu_result_claims_json(result, 0);
	if (text == NULL ||
	    ccg_json_parse((const uint8_t *)text, strlen(text), SIZE_MAX, "claims", &claims, err) != CCG_OK) {
		s = ccg_error_set(err, CCG_ERR_NOMEM, "claims", "cannot read the appraisal's claims");
		goto out;
	}
	submods = json_object_get(claims, "submods");
	n = ccg_gpu_evidence_count(req->evidence);
	digests = json_object();
	tokens = json_object();
	overall = json_pack("{s:s,s:s,s:b}", "sub", "NVIDIA-PLATFORM-ATTESTATION", "x-nvidia-ver", NRAS_CLAIMS_VERSION,
			    "x-nvidia-overall-att-result", ccg_gpu_result_passed(result));
	if (digests == NULL || tokens == NULL || overall == NULL ||
	    ccg_json_set_hex(overall, "eat_nonce", req->nonce, sizeof(req->nonce)) != CCG_OK) {
		s = ccg_error_set(err, CCG_ERR_NOMEM, "nras", "no memory");
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		char name[32], hex[2 * CCG_SHA256_LEN + 1];
		uint8_t digest[CCG_SHA256_LEN];
		json_t *gpu;

		snprintf(name, sizeof(name), "GPU-%zu", i);
		if (!json_is_object(json_object_get(submods, name))) {
			s = ccg_error_set(err, CCG_ERR_INTERNAL, name, "the appraisal gave no claims for this GPU");
			goto out;
		}
		gpu = json_deep_copy(json_object_get(submods, name));
		s = gpu == NULL ? CCG_ERR_NOMEM : common_claims(gpu, cfg, now, ttl);
		if (s == CCG_OK && json_object_get(gpu, "x-nvidia-device-type") == NULL)
			s = ccg_json_set_new(gpu, "x-nvidia-device-type", json_string("gpu"));
		if (s != CCG_OK) {
			json_decref(gpu);
			ccg_error_set(err, s, name, "cannot build the token's claims");
			goto out;
		}
		s = ccg_ear_sign(cfg->key, gpu, &jws, err);
		json_decref(gpu);
		if (s != CCG_OK)
			goto out;
		if (ccg_sha256((const uint8_t *)jws, strlen(jws), digest) != CCG_OK) {
			s = ccg_error_set(err, CCG_ERR_CRYPTO, name, "SHA-256 failed");
			goto out;
		}
		ccg_hex_encode(digest, sizeof(digest), hex);
		if (ccg_json_set_new(digests, name, json_pack("[s,[s,s]]", "DIGEST", "SHA256", hex)) != CCG_OK ||
		    ccg_json_set_new(tokens, name, json_string(jws)) != CCG_OK) {
			s = ccg_error_set(err, CCG_ERR_NOMEM, name, "no memory");
			goto out;
		}
		free(jws);
		jws = NULL;
	}
	s = common_claims(overall, cfg, now, ttl);
	if (s == CCG_OK) {
		s = ccg_json_set_new(overall, "submods", digests);
		digests = NULL;
	}
	if (s != CCG_OK) {
		ccg_error_set(err, s, "nras", "cannot build the overall token's claims");
		goto out;
	}
	s = ccg_ear_sign(cfg->key, overall, &jws, err);
	if (s != CCG_OK)
		goto out;
	answer = json_pack("[[s,s],O]", "JWT", jws, tokens);
	if (answer == NULL || (*out_json = json_dumps(answer, JSON_COMPACT)) == NULL) {
		s = ccg_error_set(err, CCG_ERR_NOMEM, "nras", "no memory");
		goto out;
	}
	if (out_passed != NULL)
		*out_passed = ccg_gpu_result_passed(result);
	s = CCG_OK;
out:
	free(jws);
	free(text);
	json_decref(answer);
	json_decref(tokens);
	json_decref(digests);
	json_decref(overall);
	json_decref(claims);
	ccg_gpu_result_free(result);
	ccg_nras_request_free(req);
	return s;
}
