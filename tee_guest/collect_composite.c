/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The composite evidence document (docs/protocols.md, "Composite evidence"):
 * the CPU TEE's report over binding = SHA-512(nonce ‖ TEE public key ‖
 * SHA-384(GPU evidence)), with the GPU evidence, the nonce and the key. One
 * builder for `ccgpu collect` and the guest API (tee_guest/guest.c).
 */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "attest/cpu/composite.h"
#include "common/encoding.h"
#include "common/error.h"
#include "common/json.h"
#include "tee_guest/collect.h"

static json_t *b64(const uint8_t *b, size_t n)
{
	char *s = ccg_base64_encode_alloc(b, n);
	json_t *j = s != NULL ? json_string(s) : NULL;

	free(s);
	return j;
}

static json_t *hexj(const uint8_t *b, size_t n)
{
	char *s = ccg_hex_encode_alloc(b, n);
	json_t *j = s != NULL ? json_string(s) : NULL;

	free(s);
	return j;
}

static enum ccg_status tpm_part(const char *tcti, uint32_t ak, uint32_t pcrs, const uint8_t binding[64], json_t *cpu,
				struct ccg_error *err)
{
	json_t *q = NULL;
	enum ccg_status st = ccg_vtpm_quote_json(tcti, ak, pcrs, binding, CCG_BINDING_LEN, &q, err);

	if (st == CCG_OK && json_object_update(cpu, q) != 0)
		st = ccg_error_set(err, CCG_ERR_NOMEM, "collect", "out of memory");
	json_decref(q);
	return st;
}

bool ccg_collect_cpu_kind_ok(const char *kind)
{
	return kind != NULL && (strcmp(kind, "snp") == 0 || strcmp(kind, "tdx") == 0 || strcmp(kind, "tpm") == 0 ||
				strcmp(kind, "azure") == 0);
}

/* the CPU part: a report or quote whose report_data / extraData is binding */
static enum ccg_status cpu_part(const struct ccg_collect_cpu *o, const uint8_t binding[CCG_BINDING_LEN], json_t *cpu,
				struct ccg_error *err)
{
	const char *kind = o->kind;
	enum ccg_status st;

	if (strcmp(kind, "snp") == 0 || strcmp(kind, "tdx") == 0) {
		uint8_t rep[1184];
		struct ccg_tsm_report tr;

		memset(&tr, 0, sizeof(tr));
		if (o->sev_guest != NULL && strcmp(kind, "snp") == 0) {
			st = ccg_sev_guest_report(o->sev_guest, binding, 0, rep, err);
			if (st == CCG_OK)
				st = ccg_json_set_new(cpu, "report", b64(rep, sizeof(rep)));
		} else {
			st = ccg_tsm_collect(o->tsm_root, binding, 0, &tr, err);
			if (st == CCG_OK &&
			    strcmp(tr.provider, strcmp(kind, "snp") == 0 ? "sev_guest" : "tdx_guest") != 0)
				st = ccg_error_set(err, CCG_ERR_UNSUPPORTED, "tsm.provider", "provider %s is not %s",
						   tr.provider, kind);
			if (st == CCG_OK)
				st = ccg_json_set_new(cpu, strcmp(kind, "snp") == 0 ? "report" : "quote",
						      b64(tr.outblob, tr.outblob_len));
			ccg_tsm_report_cleanup(&tr);
		}
		if (st == CCG_OK)
			st = ccg_json_set_new(cpu, "type", json_string(kind));
	} else if (strcmp(kind, "tpm") == 0) {
		st = tpm_part(o->tcti, o->ak_handle, o->pcrs, binding, cpu, err);
		if (st == CCG_OK)
			st = ccg_json_set_new(cpu, "type", json_string("tpm"));
	} else {
		uint8_t *hcl = NULL;
		size_t hcl_len = 0;

		st = ccg_vtpm_nv_read(o->tcti, o->hcl_nv_index, &hcl, &hcl_len, err);
		if (st == CCG_OK)
			st = ccg_json_set_new(cpu, "hcl_report", b64(hcl, hcl_len));
		free(hcl);
		if (st == CCG_OK)
			st = tpm_part(o->tcti, o->ak_handle, o->pcrs, binding, cpu, err);
		if (st == CCG_OK) {
			json_object_del(cpu, "ak_public"); /* the AK comes from the HCL report */
			st = ccg_json_set_new(cpu, "type", json_string("azure-snp-vtpm"));
		}
	}
	if (st == CCG_OK && o->certs_pem != NULL)
		st = ccg_json_set_new(cpu, "certs", json_stringn((const char *)o->certs_pem, o->certs_len));
	return st;
}

enum ccg_status ccg_collect_composite(const struct ccg_collect_cpu *o, const uint8_t *nonce, size_t nonce_len,
				      const uint8_t *tee_pub, size_t tee_pub_len, const uint8_t *gpu, size_t gpu_len,
				      json_t **out, struct ccg_error *err)
{
	uint8_t binding[CCG_BINDING_LEN];
	json_t *doc = NULL, *cpu = NULL;
	enum ccg_status st;

	*out = NULL;
	if (o == NULL || !ccg_collect_cpu_kind_ok(o->kind))
		return ccg_error_set(err, CCG_ERR_INVALID_ARG, "--cpu", "snp, tdx, tpm or azure");
	if (o->pcrs == 0 || o->pcrs > 0xFFFFFF)
		return ccg_error_set(err, CCG_ERR_INVALID_ARG, "--pcrs", "a mask of PCRs 0 to 23");
	if ((st = ccg_composite_binding(nonce, nonce_len, tee_pub, tee_pub_len, gpu, gpu_len, binding)) != CCG_OK)
		return ccg_error_set(err, st, "composite.binding", "computing the binding");
	doc = json_object();
	cpu = json_object();
	if (doc == NULL || cpu == NULL) {
		st = ccg_error_set(err, CCG_ERR_NOMEM, "collect", "out of memory");
		goto out;
	}
	if ((st = cpu_part(o, binding, cpu, err)) != CCG_OK)
		goto out;
	if ((st = ccg_json_set_new(doc, "ccgpu-composite", json_integer(CCG_COMPOSITE_VERSION))) != CCG_OK ||
	    (st = ccg_json_set_new(doc, "nonce", hexj(nonce, nonce_len))) != CCG_OK ||
	    (st = ccg_json_set_new(doc, "tee_public_key", b64(tee_pub, tee_pub_len))) != CCG_OK ||
	    (st = ccg_json_set_new(doc, "gpu_evidence", b64(gpu, gpu_len))) != CCG_OK) {
		ccg_error_set(err, st, "collect", "out of memory");
		goto out;
	}
	st = ccg_json_set_new(doc, "cpu", cpu);
	cpu = NULL;
	if (st != CCG_OK) {
		ccg_error_set(err, st, "collect", "out of memory");
		goto out;
	}
	*out = doc;
	doc = NULL;
out:
	json_decref(cpu);
	json_decref(doc);
	return st;
}

enum ccg_status ccg_collect_composite_json(const struct ccg_collect_cpu *o, const uint8_t *nonce, size_t nonce_len,
					   const uint8_t *tee_pub, size_t tee_pub_len, const uint8_t *gpu,
					   size_t gpu_len, char **out_json, struct ccg_error *err)
{
	json_t *doc = NULL;
	enum ccg_status st;

	*out_json = NULL;
	st = ccg_collect_composite(o, nonce, nonce_len, tee_pub, tee_pub_len, gpu, gpu_len, &doc, err);
	if (st == CCG_OK && (*out_json = ccg_json_dumps(doc, 2)) == NULL)
		st = ccg_error_set(err, CCG_ERR_NOMEM, "collect", "out of memory");
	json_decref(doc);
	return st;
}
