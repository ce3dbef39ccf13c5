/* SPDX-License-Identifier: Apache-2.0 */
/* RIM ids for a GPU report and the golden comparison of its measurements with the RIMs. */
#ifndef CCGPU_ATTEST_NVGPU_GOLDEN_H
#define CCGPU_ATTEST_NVGPU_GOLDEN_H

#include <stdbool.h>

#include "attest/gpu/nvgpu_opaque.h"
#include "attest/gpu/rim.h"
#include "attest/gpu/spdm.h"

enum ccg_nvgpu_arch {
	CCG_NVGPU_ARCH_HOPPER = 1,
	CCG_NVGPU_ARCH_BLACKWELL = 2,
	CCG_NVGPU_ARCH_LS10 = 3, /* NVSwitch (HGX, protected PCIe) */
};

#define CCG_RIM_ID_MAX 128
#define CCG_GOLDEN_MAX_MISMATCHES 255

/*
 * ccg_nvgpu_rim_ids: the RIM ids NVIDIA's RIM service uses for this report:
 * Hopper: NV_GPU_DRIVER_GH100_<driver>, NV_GPU_VBIOS_<project>_<sku>_<chip sku>_<vbios, no dots>;
 * Blackwell: NV_GPU_CC_DRIVER_<chip>_<driver> (<chip> from opaque CHIP_INFO,
 * "GB100" when absent) and the same NV_GPU_VBIOS_... form as Hopper, as
 * NVIDIA's attestation SDK builds them (get_driver_rim_id/get_vbios_rim_id).
 * A required opaque field missing, or holding a character outside
 * [A-Za-z0-9_.-]: CCG_ERR_MALFORMED naming it.
 */
/*
 * (LS10, NVSwitch: no driver RIM, driver_id ""; the BIOS RIM id is
 * NV_SWITCH_BIOS_5612_0002_890_<BIOS version without dots>, the project,
 * SKU and chip SKU fixed for LS10 as in NVIDIA's SDK, switch/evidence.cpp.)
 */
CCG_MUST_USE enum ccg_status ccg_nvgpu_rim_ids(enum ccg_nvgpu_arch arch, const struct ccg_nv_opaque *op,
					       char driver_id[CCG_RIM_ID_MAX], char vbios_id[CCG_RIM_ID_MAX],
					       struct ccg_error *err);

struct ccg_golden_mismatch {
	uint32_t rim_index; /* RIM index; the SPDM block is rim_index + 1 */
	char source[8];     /* "driver" or "vbios" */
	bool missing;       /* the report has no block for this index */
};

struct ccg_golden_result {
	bool driver_checked, vbios_checked;
	bool no_conflict;        /* no index active in both RIMs */
	uint32_t conflict_index; /* first conflicting index when !no_conflict */
	size_t num_mismatches;
	struct ccg_golden_mismatch mismatches[CCG_GOLDEN_MAX_MISMATCHES];
	bool driver_match, vbios_match; /* every active entry of that RIM matched */
};

/*
 * ccg_nvgpu_golden_compare: compares the report's measurement blocks with
 * the active entries of the driver and/or VBIOS RIM (either may be NULL):
 * a block matches when it equals any alternative; an index active in both
 * RIMs is CCG_ERR_RIM_CONFLICT; the NVDEC0 rule: when opaque NVDEC0 status
 * says NVDEC0 is disabled, index 35 is not compared. Every mismatch is listed
 * in out; returns CCG_ERR_MEASUREMENT_MISMATCH naming the first index when
 * any, CCG_OK when all checked entries match.
 */
CCG_MUST_USE enum ccg_status ccg_nvgpu_golden_compare(const struct ccg_rim *driver, const struct ccg_rim *vbios,
						      const struct ccg_spdm_meas_response *resp,
						      const struct ccg_nv_opaque *opaque, struct ccg_golden_result *out,
						      struct ccg_error *err);

#endif
