/* SPDX-License-Identifier: Apache-2.0 */
/* The daemon's side of the verifier's evidence: its TPM quotes the binding (verifier/vevidence.h). */
#include <stdlib.h>

#include "common/encoding.h"
#include "common/error.h"
#include "common/json.h"
#include "tee_guest/collect.h"
#include "verifier/vevidence.h"

/* the members of jwk the document carries (ccg_vevidence_jwk_member) */
static json_t *bound_members(const json_t *jwk)
{
	json_t *out = json_object(), *v;
	const char *key;

	if (out == NULL)
		return NULL;
	json_object_foreach((json_t *)jwk, key, v) {
		if (ccg_vevidence_jwk_member(key) && json_object_set(out, key, v) != 0) {
			json_decref(out);
			return NULL;
		}
	}
	return out;
}

enum ccg_status ccg_vevidence_make(const uint8_t nonce[32], const json_t *token_jwk, const json_t *upload_jwk,
				   const char *tcti, uint32_t ak_handle, json_t **out, struct ccg_error *err)
{
	uint8_t binding[CCG_VEVIDENCE_BINDING_LEN], report_data[CCG_CPU_REPORT_DATA_LEN];
	json_t *doc = NULL, *keys = NULL, *cpu = NULL;
	enum ccg_status st;

	*out = NULL;
	if ((st = ccg_vevidence_binding(nonce, token_jwk, upload_jwk, binding, err)) != CCG_OK)
		return st;
	ccg_vevidence_report_data(binding, report_data);
	if ((st = ccg_vtpm_quote_json(tcti, ak_handle, CCG_VEVIDENCE_PCRS, report_data, sizeof(report_data), &cpu,
				      err)) != CCG_OK)
		return st;
	if ((doc = json_object()) == NULL || (keys = json_object()) == NULL ||
	    (st = ccg_json_set_new(keys, "token", bound_members(token_jwk))) != CCG_OK ||
	    (st = ccg_json_set_new(keys, "upload", bound_members(upload_jwk))) != CCG_OK ||
	    (st = ccg_json_set_new(doc, "ccgpu-verifier-evidence", json_integer(CCG_VEVIDENCE_VERSION))) != CCG_OK ||
	    (st = ccg_json_set_hex(doc, "nonce", nonce, CCG_VEVIDENCE_NONCE_LEN)) != CCG_OK ||
	    (st = ccg_json_set_hex(doc, "binding", binding, sizeof(binding))) != CCG_OK) {
		st = ccg_error_set(err, CCG_ERR_NOMEM, "vevidence", "no memory");
		goto out;
	}
	st = ccg_json_set_new(doc, "keys", keys);
	keys = NULL;
	if (st == CCG_OK) {
		st = ccg_json_set_new(doc, "cpu", cpu);
		cpu = NULL;
	}
	if (st != CCG_OK) {
		st = ccg_error_set(err, st, "vevidence", "no memory");
		goto out;
	}
	*out = doc;
	doc = NULL;
out:
	json_decref(doc);
	json_decref(keys);
	json_decref(cpu);
	return st;
}

enum ccg_status ccg_vevidence_ak_ensure(const char *tcti, uint32_t ak_handle, bool *created, struct ccg_error *err)
{
	*created = false;
	if (tcti == NULL)
		return CCG_OK;
	return ccg_vtpm_ak_ensure(tcti, ak_handle, created, err);
}
