/* SPDX-License-Identifier: Apache-2.0 */
/*
 * RIM ids for an NVIDIA GPU report and the golden comparison of its
 * measurement blocks with the active entries of the driver and VBIOS RIMs,
 * following NVIDIA's verifiers (nvtrust local_gpu_verifier verifier.py and
 * the attestation SDK's LocalGpuVerifier):
 *   - RIM index i is SPDM measurement block i + 1;
 *   - an index active in both RIMs is a conflict;
 *   - a block equals an entry when it has the entry's size and equals one
 *     of its alternatives; a missing block is a mismatch;
 *   - NVDEC0 status 0x55 (disabled) skips RIM index 35; 0xAA (enabled)
 *     compares it; any other value is refused (the SDK errors too).
 */
#include "attest/gpu/nvgpu_golden.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/crypto.h"
#include "common/error.h"

#define NVDEC0_ENABLED 0xAA
#define NVDEC0_DISABLED 0x55
#define NVDEC0_RIM_INDEX 35

/* an id component: non-empty, [A-Za-z0-9_.-] only */
static enum ccg_status check_component(const char *s, const char *where, struct ccg_error *err)
{
	if (s == NULL || s[0] == '\0')
		return ccg_error_set(err, CCG_ERR_MALFORMED, where, "opaque field missing or empty");
	for (const char *p = s; *p != '\0'; p++) {
		char c = *p;

		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' ||
		      c == '.' || c == '-'))
			return ccg_error_set(err, CCG_ERR_MALFORMED, where, "character 0x%02x not allowed in a RIM id",
					     (unsigned char)c);
	}
	return CCG_OK;
}

/* the chip name from opaque CHIP_INFO ("GB100", NUL-padded), or "GB100" when absent */
static enum ccg_status blackwell_chip(const struct ccg_nv_opaque *op, char chip[32], struct ccg_error *err)
{
	const struct ccg_nv_opaque_field *f = NULL;
	size_t n;

	/* looked up here rather than with ccg_nv_opaque_find: this module needs no opaque parser */
	for (size_t i = 0; i < op->num_fields && i < CCG_NV_OPAQUE_MAX_FIELDS; i++) {
		if (op->fields[i].id == CCG_NV_OPAQUE_CHIP_INFO) {
			f = &op->fields[i];
			break;
		}
	}
	if (f == NULL) {
		snprintf(chip, 32, "GB100");
		return CCG_OK;
	}
	n = f->value.len;
	while (n > 0 && f->value.data[n - 1] == 0)
		n--;
	if (n == 0 || n >= 32)
		return ccg_error_set(err, CCG_ERR_MALFORMED, "opaque.CHIP_INFO", "%zu bytes of chip name", n);
	for (size_t i = 0; i < n; i++) {
		uint8_t c = f->value.data[i];

		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')))
			return ccg_error_set(err, CCG_ERR_MALFORMED, "opaque.CHIP_INFO",
					     "character 0x%02x in the chip name", c);
		chip[i] = (char)c;
	}
	chip[n] = '\0';
	return CCG_OK;
}

enum ccg_status ccg_nvgpu_rim_ids(enum ccg_nvgpu_arch arch, const struct ccg_nv_opaque *op,
				  char driver_id[CCG_RIM_ID_MAX], char vbios_id[CCG_RIM_ID_MAX], struct ccg_error *err)
{
	char vbios[CCG_NV_VERSION_MAX], chip[32];
	size_t n = 0;
	enum ccg_status st;
	int w;

	if (op == NULL || driver_id == NULL || vbios_id == NULL)
		return ccg_error_set(err, CCG_ERR_INVALID_ARG, "rim ids", "no opaque data or output");
	driver_id[0] = vbios_id[0] = '\0';
	if (arch == CCG_NVGPU_ARCH_LS10) {
		if ((st = check_component(op->vbios_version, "opaque.VBIOS_VERSION", err)) != CCG_OK)
			return st;
		for (const char *p = op->vbios_version; *p != '\0' && n + 1 < sizeof(vbios); p++) {
			if (*p == '.')
				continue;
			vbios[n++] = (*p >= 'a' && *p <= 'z') ? (char)(*p - 'a' + 'A') : *p;
		}
		vbios[n] = '\0';
		w = snprintf(vbios_id, CCG_RIM_ID_MAX, "NV_SWITCH_BIOS_5612_0002_890_%s", vbios);
		if (w < 0 || w >= CCG_RIM_ID_MAX)
			return ccg_error_set(err, CCG_ERR_TOO_LARGE, "rim ids", "RIM id too long");
		return CCG_OK;
	}
	if ((st = check_component(op->driver_version, "opaque.DRIVER_VERSION", err)) != CCG_OK ||
	    (st = check_component(op->vbios_version, "opaque.VBIOS_VERSION", err)) != CCG_OK ||
	    (st = check_component(op->project, "opaque.PROJECT", err)) != CCG_OK ||
	    (st = check_component(op->project_sku, "opaque.PROJECT_SKU", err)) != CCG_OK ||
	    (st = check_component(op->chip_sku, "opaque.CHIP_SKU", err)) != CCG_OK)
		return st;

	/* VBIOS version without dots, upper case: 96.00.74.00.20 -> 9600740020 */
	for (const char *p = op->vbios_version; *p != '\0' && n + 1 < sizeof(vbios); p++) {
		if (*p == '.')
			continue;
		vbios[n++] = (*p >= 'a' && *p <= 'z') ? (char)(*p - 'a' + 'A') : *p;
	}
	vbios[n] = '\0';

	switch (arch) {
	case CCG_NVGPU_ARCH_HOPPER:
		w = snprintf(driver_id, CCG_RIM_ID_MAX, "NV_GPU_DRIVER_GH100_%s", op->driver_version);
		break;
	case CCG_NVGPU_ARCH_BLACKWELL:
		st = blackwell_chip(op, chip, err);
		if (st != CCG_OK)
			return st;
		w = snprintf(driver_id, CCG_RIM_ID_MAX, "NV_GPU_CC_DRIVER_%s_%s", chip, op->driver_version);
		break;
	default: return ccg_error_set(err, CCG_ERR_UNSUPPORTED, "rim ids", "GPU architecture %d", (int)arch);
	}
	if (w < 0 || w >= CCG_RIM_ID_MAX) {
		driver_id[0] = '\0';
		return ccg_error_set(err, CCG_ERR_TOO_LARGE, "opaque.DRIVER_VERSION", "RIM id too long");
	}
	/* both architectures: NVIDIA's SDK names VBIOS RIMs NV_GPU_VBIOS_<project>_<sku>_<chip sku>_<vbios> */
	w = snprintf(vbios_id, CCG_RIM_ID_MAX, "NV_GPU_VBIOS_%s_%s_%s_%s", op->project, op->project_sku, op->chip_sku,
		     vbios);
	if (w < 0 || w >= CCG_RIM_ID_MAX) {
		driver_id[0] = vbios_id[0] = '\0';
		return ccg_error_set(err, CCG_ERR_TOO_LARGE, "opaque.VBIOS_VERSION", "RIM id too long");
	}
	return CCG_OK;
}

static const struct ccg_spdm_meas_block *find_block(const struct ccg_spdm_meas_response *resp, uint32_t index)
{
	size_t n = resp->num_blocks;

	if (n > CCG_SPDM_MAX_BLOCKS)
		n = CCG_SPDM_MAX_BLOCKS;
	for (size_t i = 0; i < n; i++)
		if (resp->blocks[i].index == index)
			return &resp->blocks[i];
	return NULL;
}

static bool entry_matches(const struct ccg_rim_measurement *m, const struct ccg_spdm_meas_block *b)
{
	bool match = false;

	if (b->value.len != m->hash_len || m->hash_len == 0 || m->hash_len > CCG_RIM_HASH_MAX)
		return false;
	for (size_t k = 0; k < m->alternatives && k < CCG_RIM_MAX_ALTERNATIVES; k++)
		match |= ccg_ct_equal(b->value.data, m->hashes[k], m->hash_len);
	return match;
}

static const struct ccg_rim_measurement *active_at(const struct ccg_rim *rim, uint32_t index)
{
	size_t lo = 0, hi = rim->num_measurements;

	/* measurements are sorted by index */
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (rim->measurements[mid].index < index)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo < rim->num_measurements && rim->measurements[lo].index == index && rim->measurements[lo].active)
		return &rim->measurements[lo];
	return NULL;
}

static enum ccg_status compare_rim(const struct ccg_rim *rim, const char *source,
				   const struct ccg_spdm_meas_response *resp, bool skip_nvdec0,
				   struct ccg_golden_result *out, bool *all_match, struct ccg_error *err)
{
	*all_match = true;
	for (size_t i = 0; i < rim->num_measurements; i++) {
		const struct ccg_rim_measurement *m = &rim->measurements[i];
		const struct ccg_spdm_meas_block *b;
		struct ccg_golden_mismatch *mm;

		if (!m->active || (m->index == NVDEC0_RIM_INDEX && skip_nvdec0))
			continue;
		b = find_block(resp, m->index + 1);
		if (b != NULL && entry_matches(m, b))
			continue;
		*all_match = false;
		if (out->num_mismatches >= CCG_GOLDEN_MAX_MISMATCHES)
			return ccg_error_set(err, CCG_ERR_TOO_LARGE, "golden", "more than %d mismatches",
					     CCG_GOLDEN_MAX_MISMATCHES);
		mm = &out->mismatches[out->num_mismatches++];
		mm->rim_index = m->index;
		snprintf(mm->source, sizeof(mm->source), "%s", source);
		mm->missing = b == NULL;
	}
	return CCG_OK;
}

static int cmp_mismatch(const void *a, const void *b)
{
	const struct ccg_golden_mismatch *x = a, *y = b;

	return x->rim_index < y->rim_index ? -1 : x->rim_index > y->rim_index ? 1 : 0;
}

enum ccg_status ccg_nvgpu_golden_compare(const struct ccg_rim *driver, const struct ccg_rim *vbios,
					 const struct ccg_spdm_meas_response *resp, const struct ccg_nv_opaque *opaque,
					 struct ccg_golden_result *out, struct ccg_error *err)
{
	struct ccg_golden_result local;
	bool skip_nvdec0 = false, match;
	enum ccg_status st;

	if (out == NULL)
		out = &local;
	memset(out, 0, sizeof(*out));
	if (resp == NULL || (driver == NULL && vbios == NULL))
		return ccg_error_set(err, CCG_ERR_INVALID_ARG, "golden", "no report or no RIM to compare with");

	/* an index active in both RIMs: neither can be trusted to be the reference */
	out->no_conflict = true;
	if (driver != NULL && vbios != NULL) {
		for (size_t i = 0; i < driver->num_measurements; i++) {
			const struct ccg_rim_measurement *m = &driver->measurements[i];

			if (m->active && active_at(vbios, m->index) != NULL) {
				char where[48];

				out->no_conflict = false;
				out->conflict_index = m->index;
				snprintf(where, sizeof(where), "golden.conflict[%u]", m->index);
				return ccg_error_set(err, CCG_ERR_RIM_CONFLICT, where,
						     "index %u is active in both the driver and the VBIOS RIM",
						     m->index);
			}
		}
	}

	if (opaque != NULL && opaque->has_nvdec0_status) {
		if (opaque->nvdec0_status == NVDEC0_DISABLED)
			skip_nvdec0 = true;
		else if (opaque->nvdec0_status != NVDEC0_ENABLED)
			return ccg_error_set(err, CCG_ERR_MALFORMED, "opaque.NVDEC0_STATUS",
					     "0x%02x is neither enabled (0xaa) nor disabled (0x55)",
					     opaque->nvdec0_status);
	}

	if (driver != NULL) {
		st = compare_rim(driver, "driver", resp, skip_nvdec0, out, &match, err);
		if (st != CCG_OK)
			return st;
		out->driver_checked = true;
		out->driver_match = match;
	}
	if (vbios != NULL) {
		st = compare_rim(vbios, "vbios", resp, skip_nvdec0, out, &match, err);
		if (st != CCG_OK)
			return st;
		out->vbios_checked = true;
		out->vbios_match = match;
	}
	if (out->num_mismatches > 0) {
		const struct ccg_golden_mismatch *first;
		char where[48];

		qsort(out->mismatches, out->num_mismatches, sizeof(out->mismatches[0]), cmp_mismatch);
		first = &out->mismatches[0];
		snprintf(where, sizeof(where), "golden.%s[%u]", first->source, first->rim_index);
		return ccg_error_set(err, CCG_ERR_MEASUREMENT_MISMATCH, where,
				     "%zu measurement(s) differ from the RIMs; first: RIM index %u (SPDM block %u)%s",
				     out->num_mismatches, first->rim_index, first->rim_index + 1,
				     first->missing ? ", absent from the report" : "");
	}
	return CCG_OK;
}
