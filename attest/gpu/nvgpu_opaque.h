/* SPDX-License-Identifier: Apache-2.0 */
/*
 * NVIDIA's opaque data in SPDM MEASUREMENTS responses: a sequence of TLVs
 * (type u16le, length u16le, value), with NVIDIA's field ids. Values borrow
 * from the input buffer.
 */
#ifndef CCGPU_ATTEST_NVGPU_OPAQUE_H
#define CCGPU_ATTEST_NVGPU_OPAQUE_H

#include <stdbool.h>
#include <stdint.h>

#include "common/cursor.h"

/* NVIDIA's opaque field ids (as in NVIDIA's verifiers) */
enum ccg_nv_opaque_id {
	CCG_NV_OPAQUE_CERT_ISSUER_NAME = 1,
	CCG_NV_OPAQUE_CERT_AUTHORITY_KEY_IDENTIFIER = 2,
	CCG_NV_OPAQUE_DRIVER_VERSION = 3,
	CCG_NV_OPAQUE_GPU_INFO = 4,
	CCG_NV_OPAQUE_SKU = 5,
	CCG_NV_OPAQUE_VBIOS_VERSION = 6,
	CCG_NV_OPAQUE_MANUFACTURER_ID = 7,
	CCG_NV_OPAQUE_TAMPER_DETECTION = 8,
	CCG_NV_OPAQUE_SMC = 9,
	CCG_NV_OPAQUE_VPR = 10,
	CCG_NV_OPAQUE_NVDEC0_STATUS = 11,
	CCG_NV_OPAQUE_MSRSCNT = 12,
	CCG_NV_OPAQUE_CPRINFO = 13,
	CCG_NV_OPAQUE_BOARD_ID = 14,
	CCG_NV_OPAQUE_CHIP_SKU = 15,
	CCG_NV_OPAQUE_CHIP_SKU_MOD = 16,
	CCG_NV_OPAQUE_PROJECT = 17,
	CCG_NV_OPAQUE_PROJECT_SKU = 18,
	CCG_NV_OPAQUE_PROJECT_SKU_MOD = 19,
	CCG_NV_OPAQUE_FWID = 20,
	CCG_NV_OPAQUE_PROTECTED_PCIE_STATUS = 21,
	CCG_NV_OPAQUE_SWITCH_PDI = 22,
	CCG_NV_OPAQUE_FLOORSWEPT_PORTS = 23,
	CCG_NV_OPAQUE_POSITION_ID = 24,
	CCG_NV_OPAQUE_LOCK_SWITCH_STATUS = 25,
	CCG_NV_OPAQUE_SWITCH_GPU_PDIS = 26, /* NVSwitch only: the PDIs of its GPUs, then port ids */
	CCG_NV_OPAQUE_GPU_LINK_CONN = 32,
	CCG_NV_OPAQUE_SYS_ENABLE_STATUS = 33,
	CCG_NV_OPAQUE_OPAQUE_DATA_VERSION = 34,
	CCG_NV_OPAQUE_CHIP_INFO = 35,
	CCG_NV_OPAQUE_FEATURE_FLAG = 36,
};

#define CCG_NV_OPAQUE_MAX_FIELDS 64
#define CCG_NV_MSRSCNT_MAX 256
#define CCG_NV_VERSION_MAX 64
#define CCG_NV_PDI_LEN 8
#define CCG_NV_PDI_MAX 64
#define CCG_NV_SWITCH_GPU_PDIS 8 /* NVIDIA's parsers read 8 GPU PDIs, then one port id per byte */

struct ccg_nv_opaque_field {
	uint16_t id;
	struct ccg_cursor value;
};

struct ccg_nv_opaque {
	size_t num_fields;
	struct ccg_nv_opaque_field fields[CCG_NV_OPAQUE_MAX_FIELDS];
	/* decoded fields; empty string / false when absent */
	char driver_version[CCG_NV_VERSION_MAX]; /* "550.90.07" */
	char vbios_version[CCG_NV_VERSION_MAX];  /* "96.00.9F.00.01" (upper-case hex) */
	char project[CCG_NV_VERSION_MAX];        /* "1010" */
	char project_sku[CCG_NV_VERSION_MAX];    /* "0200" */
	char chip_sku[CCG_NV_VERSION_MAX];       /* "882" */
	bool has_nvdec0_status;
	uint8_t nvdec0_status;  /* 0xAA enabled, 0x55 disabled */
	struct ccg_cursor fwid; /* empty when absent */
	size_t msrscnt_len;
	uint32_t msrscnt[CCG_NV_MSRSCNT_MAX];
	/*
	 * PPCIe topology. GPU: field 22 SWITCH_PDI, the PDI of the switch on
	 * each link (all zero: the link is disabled), bytes as the GPU reports
	 * them. NVSwitch (layout of ccg_nv_opaque_parse_switch): field 22 is the
	 * switch's own DEVICE_PDI, field 26 the PDIs of its GPUs.
	 */
	bool nvswitch;
	bool has_device_pdi;
	uint8_t device_pdi[CCG_NV_PDI_LEN];
	bool has_pdis;
	size_t num_pdis;
	uint8_t pdis[CCG_NV_PDI_MAX][CCG_NV_PDI_LEN];
};

/* ccg_nv_opaque_id_name: "OPAQUE_FIELD_ID_DRIVER_VERSION", or NULL for an unknown id. */
const char *ccg_nv_opaque_id_name(uint16_t id);

/*
 * ccg_nv_opaque_parse: parses the TLVs of opaque data. Truncated TLV:
 * CCG_ERR_TRUNCATED; a known id twice: CCG_ERR_DUPLICATE; a known field with
 * a malformed value (version string without NUL, MSRSCNT length not a
 * multiple of 4, over the maxima): CCG_ERR_MALFORMED / CCG_ERR_TOO_LARGE.
 * Unknown ids are kept in fields[] (NVIDIA adds ids over time) but not decoded.
 */
CCG_MUST_USE enum ccg_status ccg_nv_opaque_parse(const uint8_t *data, size_t len, struct ccg_nv_opaque *out,
						 struct ccg_error *err);

/*
 * ccg_nv_opaque_parse_switch: the same TLVs in an NVSwitch (LS10) report,
 * decoded as NVIDIA's switch verifiers do: VBIOS_VERSION (6) is the BIOS
 * version as text ("96.10.55.00.01", NUL padding allowed), 22 is DEVICE_PDI
 * (exactly 8 bytes), 26 SWITCH_GPU_PDIS (8 PDIs of 8 bytes, then port ids).
 * Errors as ccg_nv_opaque_parse.
 */
CCG_MUST_USE enum ccg_status ccg_nv_opaque_parse_switch(const uint8_t *data, size_t len, struct ccg_nv_opaque *out,
							struct ccg_error *err);

/* ccg_nv_opaque_find: the field with id, or NULL. */
const struct ccg_nv_opaque_field *ccg_nv_opaque_find(const struct ccg_nv_opaque *o, uint16_t id);

#endif
