/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Claims of one appraised GPU, with NVIDIA's claim names and shapes (claims
 * version 3.0, as NVIDIA's attestation service issues them) so existing
 * relying-party policies keep their meaning, plus ccgpu-* claims.
 */
#include "attest/gpu/nvgpu_verifier.h"

#include <stdio.h>
#include <string.h>

#include "common/encoding.h"
#include "common/json.h"

static json_t *str_or_null(const char *s)
{
	return s != NULL && s[0] != '\0' ? json_string(s) : json_null();
}

static const char *cert_status(const struct ccg_chain_claims *c)
{
	if (!c->checked)
		return "not-checked";
	if (c->expired) /* even when expiry was ignored by configuration: claims tell the truth */
		return "expired";
	return c->valid ? "valid" : "invalid";
}

static json_t *chain_claims(const struct ccg_chain_claims *c)
{
	json_t *o = json_object();
	const char *reason = ccg_ocsp_reason_name(
		c->ocsp.status == CCG_OCSP_REVOKED || c->ocsp.status == CCG_OCSP_ON_HOLD ? c->ocsp.reason : -1);

	if (o == NULL)
		return NULL;
	if (ccg_json_set_new(o, "x-nvidia-cert-status", json_string(cert_status(c))) != CCG_OK ||
	    ccg_json_set_new(o, "x-nvidia-cert-ocsp-status", json_string(ccg_ocsp_status_name(c->ocsp.status))) !=
		    CCG_OK ||
	    ccg_json_set_new(o, "x-nvidia-cert-expiration-date", str_or_null(c->not_after_iso)) != CCG_OK ||
	    ccg_json_set_new(o, "x-nvidia-cert-revocation-reason", str_or_null(reason)) != CCG_OK) {
		json_decref(o);
		return NULL;
	}
	return o;
}

struct claim {
	const char *name;
	json_t *value;
};

static bool add_all(json_t *o, struct claim *c, size_t n)
{
	bool ok = true;

	for (size_t i = 0; i < n; i++) {
		if (!ok) {
			json_decref(c[i].value);
			continue;
		}
		ok = ccg_json_set_new(o, c[i].name, c[i].value) == CCG_OK;
	}
	return ok;
}

static const char *measres(const struct ccg_gpu_appraisal *a)
{
	if (!a->rims_checked)
		return "not-checked";
	if (a->arch == CCG_NVGPU_ARCH_LS10) /* a switch has its BIOS RIM only */
		return a->golden_done && a->golden.vbios_checked && a->golden.num_mismatches == 0 &&
				       a->vbios.version_match
			       ? "success"
			       : "fail";
	if (a->golden_done && a->golden.driver_checked && a->golden.vbios_checked && a->golden.num_mismatches == 0 &&
	    a->golden.no_conflict && a->driver.version_match && a->vbios.version_match)
		return "success";
	return "fail";
}

static json_t *mismatches(const struct ccg_gpu_appraisal *a)
{
	json_t *arr = json_array();

	for (size_t i = 0; arr != NULL && a->golden_done && i < a->golden.num_mismatches; i++) {
		const struct ccg_golden_mismatch *m = &a->golden.mismatches[i];
		json_t *o = json_pack("{s:i, s:i, s:s, s:b}", "index", (json_int_t)m->rim_index, "spdm-block",
				      (json_int_t)m->rim_index + 1, "rim", m->source, "missing", m->missing);

		if (o == NULL || json_array_append_new(arr, o) != 0) {
			json_decref(arr);
			return NULL;
		}
	}
	return arr;
}

static json_t *all_errors(const struct ccg_gpu_appraisal *a)
{
	json_t *arr = json_array();
	char text[CCG_ERROR_WHERE_MAX + CCG_ERROR_DETAIL_MAX + 64];

	for (size_t i = 0; arr != NULL && i < a->num_errors; i++) {
		if (json_array_append_new(arr, json_string(ccg_error_format(&a->errors[i], text, sizeof(text)))) != 0) {
			json_decref(arr);
			return NULL;
		}
	}
	return arr;
}

uint32_t ccg_gpu_checks_skipped(const struct ccg_gpu_appraisal *a)
{
	uint32_t m = 0;

	if (!a->rims_checked)
		m |= CCG_CHECK_REFERENCE_VALUES;
	/* revocation that was attempted and failed is a failure (in ccgpu-errors), not a skip */
	if (a->chain.ocsp.status == CCG_OCSP_NOT_CHECKED && !a->revocation_attempted)
		m |= CCG_CHECK_REVOCATION;
	if (a->freshness_skipped)
		m |= CCG_CHECK_FRESHNESS;
	return m;
}

static json_t *skipped(const struct ccg_gpu_appraisal *a)
{
	/* in the order the claims always listed them */
	static const uint32_t order[] = {CCG_CHECK_REFERENCE_VALUES, CCG_CHECK_REVOCATION, CCG_CHECK_FRESHNESS};
	uint32_t m = ccg_gpu_checks_skipped(a);
	json_t *arr = json_array();

	for (size_t i = 0; arr != NULL && i < sizeof(order) / sizeof(order[0]); i++) {
		if ((m & order[i]) != 0 && json_array_append_new(arr, json_string(ccg_check_name(order[i]))) != 0) {
			json_decref(arr);
			return NULL;
		}
	}
	return arr;
}

/* PDI as NVIDIA's switch claims print it: upper-case hex of the bytes as reported */
static void pdi_hex(const uint8_t pdi[CCG_NV_PDI_LEN], char out[2 * CCG_NV_PDI_LEN + 1])
{
	ccg_hex_encode(pdi, CCG_NV_PDI_LEN, out);
	for (char *p = out; *p != '\0'; p++)
		if (*p >= 'a' && *p <= 'f')
			*p = (char)(*p - 'a' + 'A');
}

/* x-nvidia-switch-gpu-pdis: the distinct GPU PDIs, sorted (NVIDIA's SDK collects them in a std::set) */
static json_t *gpu_pdis(const struct ccg_gpu_appraisal *a)
{
	char hex[CCG_NV_PDI_MAX][2 * CCG_NV_PDI_LEN + 1];
	json_t *arr = json_array();
	size_t n = a->opaque.num_pdis;

	for (size_t i = 0; i < n; i++)
		pdi_hex(a->opaque.pdis[i], hex[i]);
	for (size_t i = 0; arr != NULL && i < n; i++) {
		bool dup = false;

		for (size_t j = 0; j < i; j++)
			dup |= strcmp(hex[i], hex[j]) == 0;
		if (!dup && json_array_append_new(arr, json_string(hex[i])) != 0) {
			json_decref(arr);
			return NULL;
		}
	}
	/* sort (n <= 64): insertion sort on the JSON strings */
	for (size_t i = 1; arr != NULL && i < json_array_size(arr); i++)
		for (size_t j = i; j > 0 && strcmp(json_string_value(json_array_get(arr, j - 1)),
						   json_string_value(json_array_get(arr, j))) > 0;
		     j--) {
			json_t *x = json_incref(json_array_get(arr, j));

			json_array_set(arr, j, json_array_get(arr, j - 1));
			json_array_set_new(arr, j - 1, x);
		}
	return arr;
}

/* ccgpu-fwid: "match", "absent" (no FWID in the report; accepted as NVIDIA does), "mismatch", "not-checked" */
static const char *fwid_state(const struct ccg_gpu_appraisal *a)
{
	if (a->fwid_absent)
		return "absent";
	if (a->fwid_match)
		return "match";
	return a->fwid_checked ? "mismatch" : "not-checked";
}

/*
 * as NVIDIA does, for GPUs and switches alike: secure boot and debug status are
 * claimed only when every measurement matched (mr "success"); o on success,
 * NULL (o released) when memory runs out
 */
static json_t *claim_secboot(json_t *o, const char *mr)
{
	if (strcmp(mr, "success") == 0 && (ccg_json_set_new(o, "secboot", json_true()) != CCG_OK ||
					   ccg_json_set_new(o, "dbgstat", json_string("disabled")) != CCG_OK)) {
		json_decref(o);
		return NULL;
	}
	return o;
}

json_t *ccg_gpu_claims_build(const struct ccg_gpu_appraisal *a, const uint8_t nonce[CCG_GPU_NONCE_LEN])
{
	char nonce_hex[2 * CCG_GPU_NONCE_LEN + 1], err_text[CCG_ERROR_WHERE_MAX + CCG_ERROR_DETAIL_MAX + 64];
	const char *mr = measres(a);
	bool success = a->error.status == CCG_OK;
	json_t *o = json_object();

	if (o == NULL)
		return NULL;
	ccg_hex_encode(nonce, CCG_GPU_NONCE_LEN, nonce_hex);
	{
		struct claim c[] = {
			{"eat_nonce", json_string(nonce_hex)},
			{"hwmodel", str_or_null(a->hwmodel)},
			{"ueid", str_or_null(a->ueid)},
			{"oemid", str_or_null(a->driver.rim != NULL  ? a->driver.rim->manufacturer_id
					      : a->vbios.rim != NULL ? a->vbios.rim->manufacturer_id
								     : NULL)},
			{"measres", json_string(mr)},
			{"x-nvidia-gpu-arch-check", json_boolean(a->arch_check)},
			{"x-nvidia-gpu-driver-version", str_or_null(a->opaque.driver_version)},
			{"x-nvidia-gpu-vbios-version", str_or_null(a->opaque.vbios_version)},
			{"x-nvidia-gpu-attestation-report-parsed", json_boolean(a->parsed)},
			{"x-nvidia-gpu-attestation-report-nonce-match", json_boolean(a->nonce_match)},
			{"x-nvidia-gpu-attestation-report-signature-verified", json_boolean(a->signature_verified)},
			{"x-nvidia-gpu-attestation-report-cert-chain", chain_claims(&a->chain)},
			{"x-nvidia-gpu-attestation-report-cert-chain-fwid-match", json_boolean(a->fwid_match)},
			{"x-nvidia-gpu-driver-rim-fetched", json_boolean(a->driver.fetched)},
			{"x-nvidia-gpu-driver-rim-schema-validated", json_boolean(a->driver.schema_valid)},
			{"x-nvidia-gpu-driver-rim-signature-verified", json_boolean(a->driver.signature_verified)},
			{"x-nvidia-gpu-driver-rim-version-match", json_boolean(a->driver.version_match)},
			{"x-nvidia-gpu-driver-rim-measurements-available",
			 json_boolean(a->driver.measurements_available)},
			{"x-nvidia-gpu-driver-rim-cert-chain", chain_claims(&a->driver.chain)},
			{"x-nvidia-gpu-vbios-rim-fetched", json_boolean(a->vbios.fetched)},
			{"x-nvidia-gpu-vbios-rim-schema-validated", json_boolean(a->vbios.schema_valid)},
			{"x-nvidia-gpu-vbios-rim-signature-verified", json_boolean(a->vbios.signature_verified)},
			{"x-nvidia-gpu-vbios-rim-version-match", json_boolean(a->vbios.version_match)},
			{"x-nvidia-gpu-vbios-rim-measurements-available",
			 json_boolean(a->vbios.measurements_available)},
			{"x-nvidia-gpu-vbios-rim-cert-chain", chain_claims(&a->vbios.chain)},
			{"x-nvidia-gpu-vbios-index-no-conflict", json_boolean(a->golden_done && a->golden.no_conflict)},
			{"x-nvidia-attestation-warning", str_or_null(a->warning)},
			{"ccgpu-result", json_boolean(success)},
			{"ccgpu-error",
			 success ? json_null() : json_string(ccg_error_format(&a->error, err_text, sizeof(err_text)))},
			{"ccgpu-errors", all_errors(a)},
			{"ccgpu-error-code", success ? json_null() : json_string(ccg_status_name(a->error.status))},
			{"ccgpu-arch", json_string(ccg_nvgpu_arch_name(a->arch))},
			{"ccgpu-driver-rim-id", str_or_null(a->driver.id)},
			{"ccgpu-vbios-rim-id", str_or_null(a->vbios.id)},
			{"ccgpu-measurement-mismatches", mismatches(a)},
			{"ccgpu-checks-skipped", skipped(a)},
			{"ccgpu-fwid", json_string(fwid_state(a))},
		};

		if (!add_all(o, c, sizeof(c) / sizeof(c[0]))) {
			json_decref(o);
			return NULL;
		}
	}
	return claim_secboot(o, mr);
}

json_t *ccg_switch_claims_build(const struct ccg_gpu_appraisal *a, const uint8_t nonce[CCG_GPU_NONCE_LEN])
{
	char nonce_hex[2 * CCG_GPU_NONCE_LEN + 1], err_text[CCG_ERROR_WHERE_MAX + CCG_ERROR_DETAIL_MAX + 64];
	char pdi[2 * CCG_NV_PDI_LEN + 1] = "";
	const char *mr = measres(a);
	bool success = a->error.status == CCG_OK;
	json_t *o = json_object();

	if (o == NULL)
		return NULL;
	ccg_hex_encode(nonce, CCG_GPU_NONCE_LEN, nonce_hex);
	if (a->opaque.has_device_pdi)
		pdi_hex(a->opaque.device_pdi, pdi);
	{
		/* NVIDIA's switch claims, version 3.0 (attestation SDK, switch/claims.cpp) */
		struct claim c[] = {
			{"eat_nonce", json_string(nonce_hex)},
			{"hwmodel", str_or_null(a->hwmodel)},
			{"ueid", str_or_null(a->ueid)},
			{"measres", json_string(mr)},
			{"x-nvidia-device-type", json_string("nvswitch")},
			{"x-nvidia-version", json_string("3.0")},
			{"x-nvidia-switch-arch-check", json_boolean(a->arch_check)},
			{"x-nvidia-switch-bios-version", str_or_null(a->opaque.vbios_version)},
			{"x-nvidia-switch-pdi", str_or_null(pdi)},
			{"x-nvidia-switch-gpu-pdis", gpu_pdis(a)},
			{"x-nvidia-switch-attestation-report-parsed", json_boolean(a->parsed)},
			{"x-nvidia-switch-attestation-report-nonce-match", json_boolean(a->nonce_match)},
			{"x-nvidia-switch-attestation-report-signature-verified", json_boolean(a->signature_verified)},
			{"x-nvidia-switch-attestation-report-cert-chain", chain_claims(&a->chain)},
			{"x-nvidia-switch-attestation-report-cert-chain-fwid-match", json_boolean(a->fwid_match)},
			{"x-nvidia-switch-bios-rim-fetched", json_boolean(a->vbios.fetched)},
			{"x-nvidia-switch-bios-rim-signature-verified", json_boolean(a->vbios.signature_verified)},
			{"x-nvidia-switch-bios-rim-version-match", json_boolean(a->vbios.version_match)},
			{"x-nvidia-switch-bios-rim-measurements-available",
			 json_boolean(a->vbios.measurements_available)},
			{"x-nvidia-switch-bios-rim-cert-chain", chain_claims(&a->vbios.chain)},
			{"x-nvidia-mismatch-measurement-records", mismatches(a)},
			{"x-nvidia-attestation-warning", str_or_null(a->warning)},
			{"ccgpu-result", json_boolean(success)},
			{"ccgpu-error",
			 success ? json_null() : json_string(ccg_error_format(&a->error, err_text, sizeof(err_text)))},
			{"ccgpu-errors", all_errors(a)},
			{"ccgpu-error-code", success ? json_null() : json_string(ccg_status_name(a->error.status))},
			{"ccgpu-arch", json_string(ccg_nvgpu_arch_name(a->arch))},
			{"ccgpu-bios-rim-id", str_or_null(a->vbios.id)},
			{"ccgpu-checks-skipped", skipped(a)},
			{"ccgpu-fwid", json_string(fwid_state(a))},
		};

		if (!add_all(o, c, sizeof(c) / sizeof(c[0]))) {
			json_decref(o);
			return NULL;
		}
	}
	return claim_secboot(o, mr);
}
