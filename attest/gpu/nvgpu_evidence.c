/* SPDX-License-Identifier: Apache-2.0 */
/* GPU evidence lists: raw reports with PEM chains, and NVIDIA's serialized evidence JSON. */
#include "attest/gpu/nvgpu_evidence.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/encoding.h"
#include "common/error.h"
#include "common/json.h"

enum ccg_status ccg_nvgpu_arch_parse(const char *s, enum ccg_nvgpu_arch *out)
{
	if (s != NULL && strcasecmp(s, "HOPPER") == 0) {
		*out = CCG_NVGPU_ARCH_HOPPER;
		return CCG_OK;
	}
	if (s != NULL && strcasecmp(s, "BLACKWELL") == 0) {
		*out = CCG_NVGPU_ARCH_BLACKWELL;
		return CCG_OK;
	}
	if (s != NULL && strcasecmp(s, "LS10") == 0) {
		*out = CCG_NVGPU_ARCH_LS10;
		return CCG_OK;
	}
	return CCG_ERR_UNSUPPORTED;
}

const char *ccg_nvgpu_arch_name(enum ccg_nvgpu_arch a)
{
	return a == CCG_NVGPU_ARCH_BLACKWELL ? "BLACKWELL" : a == CCG_NVGPU_ARCH_LS10 ? "LS10" : "HOPPER";
}

enum ccg_status ccg_gpu_evidence_new(struct ccg_gpu_evidence **out)
{
	*out = calloc(1, sizeof(**out));
	return *out != NULL ? CCG_OK : CCG_ERR_NOMEM;
}

void ccg_gpu_evidence_free(struct ccg_gpu_evidence *ev)
{
	if (ev == NULL)
		return;
	for (size_t i = 0; i < ev->count; i++) {
		free(ev->items[i].report);
		free(ev->items[i].chain_pem);
	}
	free(ev);
}

size_t ccg_gpu_evidence_count(const struct ccg_gpu_evidence *ev)
{
	return ev != NULL ? ev->count : 0;
}

bool ccg_gpu_evidence_nonce(const struct ccg_gpu_evidence *ev, uint8_t out[CCG_GPU_NONCE_LEN])
{
	if (ev == NULL || !ev->has_nonce)
		return false;
	memcpy(out, ev->nonce, CCG_GPU_NONCE_LEN);
	return true;
}

static uint8_t *dup_bytes(const uint8_t *p, size_t n)
{
	uint8_t *d = malloc(n + 1);

	if (d != NULL) {
		memcpy(d, p, n);
		d[n] = '\0';
	}
	return d;
}

/* add_item: takes ownership of report and chain only on success */
static enum ccg_status add_item(struct ccg_gpu_evidence *ev, enum ccg_nvgpu_arch arch, uint8_t *report,
				size_t report_len, uint8_t *chain, size_t chain_len, const char *where,
				struct ccg_error *err)
{
	struct ccg_gpu_item *it;

	if (ev->count >= CCG_GPU_MAX_DEVICES)
		return ccg_error_set(err, CCG_ERR_TOO_LARGE, where, "more than %d GPUs", CCG_GPU_MAX_DEVICES);
	if (report_len == 0 || report_len > CCG_GPU_REPORT_MAX)
		return ccg_error_set(err, report_len == 0 ? CCG_ERR_TRUNCATED : CCG_ERR_TOO_LARGE, where,
				     "report of %zu bytes (1..%u allowed)", report_len, CCG_GPU_REPORT_MAX);
	if (chain_len == 0 || chain_len > CCG_GPU_CHAIN_MAX)
		return ccg_error_set(err, chain_len == 0 ? CCG_ERR_TRUNCATED : CCG_ERR_TOO_LARGE, where,
				     "certificate chain of %zu bytes (1..%u allowed)", chain_len, CCG_GPU_CHAIN_MAX);
	it = &ev->items[ev->count++];
	it->arch = arch;
	it->report = report;
	it->report_len = report_len;
	it->chain_pem = chain;
	it->chain_len = chain_len;
	return CCG_OK;
}

enum ccg_status ccg_gpu_evidence_add_report(struct ccg_gpu_evidence *ev, const char *arch, const uint8_t *report,
					    size_t report_len, const uint8_t *chain_pem, size_t chain_len,
					    struct ccg_error *err)
{
	enum ccg_nvgpu_arch a = CCG_NVGPU_ARCH_HOPPER;
	uint8_t *r = NULL, *c = NULL;
	enum ccg_status st;

	if (ev == NULL || report == NULL || chain_pem == NULL)
		return ccg_error_set(err, CCG_ERR_INVALID_ARG, "evidence", "NULL argument");
	if (arch != NULL && ccg_nvgpu_arch_parse(arch, &a) != CCG_OK)
		return ccg_error_set(err, CCG_ERR_UNSUPPORTED, "evidence.arch",
				     "architecture \"%s\" is not HOPPER, BLACKWELL or LS10 (NVSwitch)", arch);
	r = dup_bytes(report, report_len);
	c = dup_bytes(chain_pem, chain_len);
	if (r == NULL || c == NULL) {
		st = CCG_ERR_NOMEM;
		goto fail;
	}
	st = add_item(ev, a, r, report_len, c, chain_len, "evidence", err);
	if (st == CCG_OK)
		return CCG_OK;
fail:
	free(r);
	free(c);
	return st;
}

static enum ccg_status add_json_entry(struct ccg_gpu_evidence *ev, const json_t *e, size_t i,
				      uint8_t nonce[CCG_GPU_NONCE_LEN], bool *have_nonce, struct ccg_error *err)
{
	const char *arch_s, *nonce_s, *ev_s, *cert_s;
	enum ccg_nvgpu_arch arch;
	uint8_t n[CCG_GPU_NONCE_LEN];
	uint8_t *report = NULL, *chain = NULL;
	size_t report_len = 0, chain_len = 0;
	char where[64];
	enum ccg_status st;

	snprintf(where, sizeof(where), "evidence[%zu]", i);
	if ((st = ccg_json_get_string(e, "arch", &arch_s, where, err)) != CCG_OK ||
	    (st = ccg_json_get_string(e, "nonce", &nonce_s, where, err)) != CCG_OK ||
	    (st = ccg_json_get_string(e, "evidence", &ev_s, where, err)) != CCG_OK ||
	    (st = ccg_json_get_string(e, "certificate", &cert_s, where, err)) != CCG_OK)
		return st;
	if (ccg_nvgpu_arch_parse(arch_s, &arch) != CCG_OK)
		return ccg_error_set(err, CCG_ERR_UNSUPPORTED, where,
				     "architecture \"%.32s\" is not HOPPER, BLACKWELL or LS10 (NVSwitch)", arch_s);
	if (ccg_hex_decode_fixed(nonce_s, strlen(nonce_s), n, sizeof(n)) != CCG_OK)
		return ccg_error_set(err, CCG_ERR_ENCODING, where, "nonce is not 64 hex digits");
	if (*have_nonce && memcmp(n, nonce, sizeof(n)) != 0)
		return ccg_error_set(err, CCG_ERR_NONCE_MISMATCH, where, "nonce differs from evidence[0]'s");
	memcpy(nonce, n, sizeof(n));
	*have_nonce = true;
	st = ccg_base64_decode(ev_s, strlen(ev_s), CCG_GPU_REPORT_MAX, &report, &report_len);
	if (st != CCG_OK) {
		st = ccg_error_set(err, st, where, "\"evidence\" is not base64 of at most %u bytes",
				   CCG_GPU_REPORT_MAX);
		goto out;
	}
	st = ccg_base64_decode(cert_s, strlen(cert_s), CCG_GPU_CHAIN_MAX, &chain, &chain_len);
	if (st != CCG_OK) {
		st = ccg_error_set(err, st, where, "\"certificate\" is not base64 of at most %u bytes",
				   CCG_GPU_CHAIN_MAX);
		goto out;
	}
	st = add_item(ev, arch, report, report_len, chain, chain_len, where, err);
	if (st == CCG_OK)
		report = chain = NULL;
out:
	free(report);
	free(chain);
	return st;
}

enum ccg_status ccg_gpu_evidence_add_json(struct ccg_gpu_evidence *ev, const uint8_t *json, size_t len,
					  struct ccg_error *err)
{
	json_t *root = NULL;
	uint8_t nonce[CCG_GPU_NONCE_LEN];
	bool have_nonce = ev != NULL && ev->has_nonce;
	size_t before = ev != NULL ? ev->count : 0;
	enum ccg_status st;

	if (ev == NULL || json == NULL)
		return ccg_error_set(err, CCG_ERR_INVALID_ARG, "evidence", "NULL argument");
	if (have_nonce)
		memcpy(nonce, ev->nonce, sizeof(nonce));
	st = ccg_json_parse(json, len, CCG_GPU_EVIDENCE_JSON_MAX, "evidence", &root, err);
	if (st != CCG_OK)
		return st;
	if (!json_is_array(root) || json_array_size(root) == 0) {
		st = ccg_error_set(err, CCG_ERR_MALFORMED, "evidence",
				   "serialized evidence must be a non-empty JSON array");
		goto out;
	}
	for (size_t i = 0; i < json_array_size(root) && st == CCG_OK; i++)
		st = add_json_entry(ev, json_array_get(root, i), i, nonce, &have_nonce, err);
	if (st == CCG_OK) {
		memcpy(ev->nonce, nonce, sizeof(nonce));
		ev->has_nonce = true;
	}
out:
	if (st != CCG_OK) { /* nothing half-added */
		while (ev->count > before) {
			ev->count--;
			free(ev->items[ev->count].report);
			free(ev->items[ev->count].chain_pem);
		}
	}
	json_decref(root);
	return st;
}

enum ccg_status ccg_gpu_evidence_to_json(const struct ccg_gpu_evidence *ev, const uint8_t nonce[CCG_GPU_NONCE_LEN],
					 char **out)
{
	json_t *arr = json_array();
	char nonce_hex[2 * CCG_GPU_NONCE_LEN + 1];
	enum ccg_status st = CCG_OK;

	*out = NULL;
	if (arr == NULL)
		return CCG_ERR_NOMEM;
	ccg_hex_encode(nonce, CCG_GPU_NONCE_LEN, nonce_hex);
	for (size_t i = 0; i < ev->count && st == CCG_OK; i++) {
		const struct ccg_gpu_item *it = &ev->items[i];
		char *r = ccg_base64_encode_alloc(it->report, it->report_len);
		char *c = ccg_base64_encode_alloc(it->chain_pem, it->chain_len);
		json_t *o = json_object();

		if (r == NULL || c == NULL || o == NULL ||
		    ccg_json_set_new(o, "arch", json_string(ccg_nvgpu_arch_name(it->arch))) != CCG_OK ||
		    ccg_json_set_new(o, "nonce", json_string(nonce_hex)) != CCG_OK ||
		    ccg_json_set_new(o, "evidence", json_string(r)) != CCG_OK ||
		    ccg_json_set_new(o, "certificate", json_string(c)) != CCG_OK || json_array_append(arr, o) != 0)
			st = CCG_ERR_NOMEM;
		json_decref(o);
		free(r);
		free(c);
	}
	if (st == CCG_OK) {
		*out = json_dumps(arr, JSON_INDENT(2));
		if (*out == NULL)
			st = CCG_ERR_NOMEM;
	}
	json_decref(arr);
	return st;
}
