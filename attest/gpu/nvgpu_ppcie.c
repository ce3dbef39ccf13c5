/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The PPCIe topology check over one document of GPUs and NVSwitches, as
 * NVIDIA's PPCIe verifier does it (nvtrust guest_tools/ppcie-verifier,
 * topology/validate_topology.py: gpu_topology_check, switch_topology_check):
 *   - exactly 8 GPUs and 4 switches (an HGX board in protected-PCIe mode);
 *   - each GPU lists, per NVLink, the PDI of the switch on it (opaque field
 *     22, read as little-endian: the bytes reversed); all-zero entries are
 *     disabled links and are dropped; what remains is exactly 4 distinct
 *     switches, the same 4 for every GPU;
 *   - each switch's own PDI (its field 22, read as is) is one of those 4
 *     (and, as Google's go-nvattest-tools checks, no two switches claim the
 *     same one);
 *   - each switch's GPU PDIs (field 26, the first 8 entries) are 8 distinct
 *     values, the same 8 for every switch.
 * Every failure names the GPU or switch and is filed on it.
 */
#include "attest/gpu/nvgpu_verifier.h"

#include <stdio.h>
#include <string.h>

#include "common/encoding.h"
#include "common/error.h"

#define PPCIE_GPUS 8
#define PPCIE_SWITCHES 4

typedef uint8_t pdi_t[CCG_NV_PDI_LEN];

static bool pdi_zero(const uint8_t *p)
{
	for (size_t i = 0; i < CCG_NV_PDI_LEN; i++)
		if (p[i] != 0)
			return false;
	return true;
}

static bool set_has(pdi_t *set, size_t n, const uint8_t *p)
{
	for (size_t i = 0; i < n; i++)
		if (memcmp(set[i], p, CCG_NV_PDI_LEN) == 0)
			return true;
	return false;
}

/* adds p to set (capacity CCG_NV_PDI_MAX) unless present */
static void set_add(pdi_t *set, size_t *n, const uint8_t *p)
{
	if (!set_has(set, *n, p) && *n < CCG_NV_PDI_MAX)
		memcpy(set[(*n)++], p, CCG_NV_PDI_LEN);
}

static bool set_equal(pdi_t *a, size_t na, pdi_t *b, size_t nb)
{
	if (na != nb)
		return false;
	for (size_t i = 0; i < na; i++)
		if (!set_has(b, nb, a[i]))
			return false;
	return true;
}

static void hex_of(const uint8_t *p, char out[2 * CCG_NV_PDI_LEN + 1])
{
	ccg_hex_encode(p, CCG_NV_PDI_LEN, out);
}

/* files the failure on the device and keeps the first one for the caller */
static enum ccg_status fail(struct ccg_gpu_appraisal *a, const char *name, struct ccg_error *err, const char *detail)
{
	struct ccg_error e;
	char where[CCG_ERROR_WHERE_MAX];

	ccg_error_clear(&e);
	snprintf(where, sizeof(where), "ppcie.topology %s", name);
	ccg_error_set(&e, CCG_ERR_TOPOLOGY, where, "%s", detail);
	if (a != NULL)
		ccg_gpu_appraisal_fail(a, &e);
	if (err != NULL && err->status == CCG_OK)
		*err = e;
	return CCG_ERR_TOPOLOGY;
}

enum ccg_status ccg_ppcie_topology_check(struct ccg_gpu_appraisal **gpus, const char *const *gpu_names, size_t num_gpus,
					 struct ccg_gpu_appraisal **switches, const char *const *switch_names,
					 size_t num_switches, struct ccg_error *err)
{
	pdi_t switch_set[CCG_NV_PDI_MAX], gpu_set[CCG_NV_PDI_MAX], seen_switch[PPCIE_SWITCHES];
	size_t n_switch_set = 0, n_gpu_set = 0, n_seen = 0;
	char hex[2 * CCG_NV_PDI_LEN + 1], detail[CCG_ERROR_DETAIL_MAX];

#define FAIL(a, name, ...) (snprintf(detail, sizeof(detail), __VA_ARGS__), fail(a, name, err, detail))

	if (num_gpus != PPCIE_GPUS || num_switches != PPCIE_SWITCHES) {
		return FAIL(NULL, "document", "%zu GPUs and %zu switches: protected PCIe needs %d GPUs and %d switches",
			    num_gpus, num_switches, PPCIE_GPUS, PPCIE_SWITCHES);
	}
	/* GPUs: each sees the same 4 switches on its enabled links */
	for (size_t g = 0; g < num_gpus; g++) {
		const struct ccg_nv_opaque *o = &gpus[g]->opaque;
		pdi_t mine[CCG_NV_PDI_MAX];
		size_t n = 0;

		if (!gpus[g]->parsed || !o->has_pdis)
			return FAIL(gpus[g], gpu_names[g], "the report has no SWITCH_PDI field (opaque 22)%s",
				    gpus[g]->parsed ? ": the GPU is not in protected PCIe mode"
						    : ": report not parsed");
		for (size_t i = 0; i < o->num_pdis; i++) {
			uint8_t le[CCG_NV_PDI_LEN];

			for (size_t k = 0; k < CCG_NV_PDI_LEN; k++)
				le[k] = o->pdis[i][CCG_NV_PDI_LEN - 1 - k];
			if (!pdi_zero(le)) /* an all-zero PDI is a disabled link */
				set_add(mine, &n, le);
		}
		if (n != PPCIE_SWITCHES)
			return FAIL(gpus[g], gpu_names[g], "%zu distinct switches on its enabled links, need %d", n,
				    PPCIE_SWITCHES);
		if (g == 0) {
			memcpy(switch_set, mine, sizeof(pdi_t) * n);
			n_switch_set = n;
		} else if (!set_equal(mine, n, switch_set, n_switch_set)) {
			return FAIL(gpus[g], gpu_names[g], "its switches differ from those of %s", gpu_names[0]);
		}
	}
	/* switches: each is one of those 4, once, and sees the same 8 GPUs */
	for (size_t s = 0; s < num_switches; s++) {
		const struct ccg_nv_opaque *o = &switches[s]->opaque;
		pdi_t mine[CCG_NV_PDI_MAX];
		size_t n = 0;

		if (!switches[s]->parsed || !o->has_device_pdi || !o->has_pdis)
			return FAIL(switches[s], switch_names[s],
				    "the report lacks DEVICE_PDI (22) or SWITCH_GPU_PDIS (26)");
		hex_of(o->device_pdi, hex);
		if (!set_has(switch_set, n_switch_set, o->device_pdi))
			return FAIL(switches[s], switch_names[s],
				    "its PDI %s is not one of the switches the GPUs report", hex);
		if (set_has(seen_switch, n_seen, o->device_pdi))
			return FAIL(switches[s], switch_names[s], "its PDI %s is claimed by another switch", hex);
		memcpy(seen_switch[n_seen++], o->device_pdi, CCG_NV_PDI_LEN);
		for (size_t i = 0; i < o->num_pdis; i++)
			set_add(mine, &n, o->pdis[i]);
		if (n != PPCIE_GPUS)
			return FAIL(switches[s], switch_names[s], "%zu distinct GPUs, need %d", n, PPCIE_GPUS);
		if (s == 0) {
			memcpy(gpu_set, mine, sizeof(pdi_t) * n);
			n_gpu_set = n;
		} else if (!set_equal(mine, n, gpu_set, n_gpu_set)) {
			return FAIL(switches[s], switch_names[s], "its GPUs differ from those of %s", switch_names[0]);
		}
	}
	return CCG_OK;
#undef FAIL
}
