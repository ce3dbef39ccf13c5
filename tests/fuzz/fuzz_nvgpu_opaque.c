/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Fuzz target: NVIDIA opaque-data TLVs, in the GPU and the NVSwitch layout,
 * and the same bytes as a TCG DICE extension value (TcbInfo /
 * CompositeDeviceID); aborts when a successful parse breaks its invariants.
 * Verdict: the GPU-layout parse's.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "attest/gpu/nvgpu_opaque.h"
#include "attest/pki/x509_chain.h"
#include "fuzz.h"

static void check_str(const char *s)
{
	size_t n = strnlen(s, CCG_NV_VERSION_MAX);

	if (n == CCG_NV_VERSION_MAX)
		abort();
	for (size_t i = 0; i < n; i++)
		if (s[i] < 0x20 || s[i] > 0x7e)
			abort();
}

static void check_switch(const uint8_t *data, size_t size)
{
	static struct ccg_nv_opaque o;

	if (ccg_nv_opaque_parse_switch(data, size, &o, NULL) != CCG_OK)
		return;
	if (!o.nvswitch || o.num_pdis > CCG_NV_PDI_MAX || (o.has_pdis && o.num_pdis != CCG_NV_SWITCH_GPU_PDIS))
		abort();
	check_str(o.vbios_version);
	if (o.fwid.len != 0 && o.fwid.len != 48)
		abort();
}

int ccg_fuzz_verdict(const uint8_t *data, size_t size)
{
	static struct ccg_nv_opaque o;
	size_t total = 0;
	uint8_t fwid[48];
	enum ccg_status st;

	check_switch(data, size);
	if (ccg_tcbinfo_fwid(data, size, true, "fuzz", fwid, NULL) != CCG_OK) {
		/* refused input: nothing to check */
	}
	if ((st = ccg_nv_opaque_parse(data, size, &o, NULL)) != CCG_OK)
		return st;
	if (o.num_pdis > CCG_NV_PDI_MAX)
		abort();
	if (o.num_fields > CCG_NV_OPAQUE_MAX_FIELDS || o.msrscnt_len > CCG_NV_MSRSCNT_MAX)
		abort();
	for (size_t i = 0; i < o.num_fields; i++) {
		total += 4 + o.fields[i].value.len;
		if (ccg_nv_opaque_id_name(o.fields[i].id) != NULL &&
		    ccg_nv_opaque_find(&o, o.fields[i].id) != &o.fields[i])
			abort(); /* a known id twice */
	}
	if (total != size)
		abort();
	check_str(o.driver_version);
	check_str(o.vbios_version);
	check_str(o.project);
	check_str(o.project_sku);
	check_str(o.chip_sku);
	if (o.fwid.len != 0 && o.fwid.len != 48)
		abort();
	return CCG_OK;
}
