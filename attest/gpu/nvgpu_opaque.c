/* SPDX-License-Identifier: Apache-2.0 */
/* NVIDIA opaque-data TLVs in MEASUREMENTS responses, decoded as NVIDIA's verifiers decode them. */
#include "attest/gpu/nvgpu_opaque.h"

#include <stdio.h>
#include <string.h>

#include "common/error.h"

#define FWID_LEN 48
#define VBIOS_LEN 8

#define NAME(id) [CCG_NV_OPAQUE_##id] = "OPAQUE_FIELD_ID_" #id
static const char *const id_names[] = {
	NAME(CERT_ISSUER_NAME),
	NAME(CERT_AUTHORITY_KEY_IDENTIFIER),
	NAME(DRIVER_VERSION),
	NAME(GPU_INFO),
	NAME(SKU),
	NAME(VBIOS_VERSION),
	NAME(MANUFACTURER_ID),
	NAME(TAMPER_DETECTION),
	NAME(SMC),
	NAME(VPR),
	NAME(NVDEC0_STATUS),
	NAME(MSRSCNT),
	NAME(CPRINFO),
	NAME(BOARD_ID),
	NAME(CHIP_SKU),
	NAME(CHIP_SKU_MOD),
	NAME(PROJECT),
	NAME(PROJECT_SKU),
	NAME(PROJECT_SKU_MOD),
	NAME(FWID),
	NAME(PROTECTED_PCIE_STATUS),
	NAME(SWITCH_PDI),
	NAME(FLOORSWEPT_PORTS),
	NAME(POSITION_ID),
	NAME(LOCK_SWITCH_STATUS),
	NAME(SWITCH_GPU_PDIS),
	NAME(GPU_LINK_CONN),
	NAME(SYS_ENABLE_STATUS),
	NAME(OPAQUE_DATA_VERSION),
	NAME(CHIP_INFO),
	NAME(FEATURE_FLAG),
};
#undef NAME

const char *ccg_nv_opaque_id_name(uint16_t id)
{
	if (id >= sizeof(id_names) / sizeof(id_names[0]))
		return NULL;
	return id_names[id];
}

const struct ccg_nv_opaque_field *ccg_nv_opaque_find(const struct ccg_nv_opaque *o, uint16_t id)
{
	for (size_t i = 0; i < o->num_fields; i++)
		if (o->fields[i].id == id)
			return &o->fields[i];
	return NULL;
}

/* "nvgpu.opaque.OPAQUE_FIELD_ID_DRIVER_VERSION" */
static const char *field_where(uint16_t id, char *buf, size_t len)
{
	snprintf(buf, len, "nvgpu.opaque.%s", ccg_nv_opaque_id_name(id));
	return buf;
}

/*
 * Printable ASCII up to a NUL, then only NUL padding (driver version, project,
 * SKUs). A value without NUL or with bytes after the padding is refused.
 */
static enum ccg_status decode_cstr(const struct ccg_nv_opaque_field *f, char out[CCG_NV_VERSION_MAX],
				   struct ccg_error *err)
{
	struct ccg_cursor c = f->value;
	char where[CCG_ERROR_WHERE_MAX];
	size_t n = 0;
	bool terminated = false;
	uint8_t ch;

	while (!terminated && ccg_cursor_get_u8(&c, &ch)) {
		if (ch == 0) {
			terminated = true;
		} else if (ch < 0x20 || ch > 0x7e) {
			return ccg_error_set(err, CCG_ERR_MALFORMED, field_where(f->id, where, sizeof(where)),
					     "byte %zu (0x%02x) is not printable ASCII", n, ch);
		} else if (n + 1 >= CCG_NV_VERSION_MAX) {
			return ccg_error_set(err, CCG_ERR_TOO_LARGE, field_where(f->id, where, sizeof(where)),
					     "string longer than %d characters", CCG_NV_VERSION_MAX - 1);
		} else {
			out[n++] = (char)ch;
		}
	}
	if (!terminated)
		return ccg_error_set(err, CCG_ERR_MALFORMED, field_where(f->id, where, sizeof(where)),
				     "no NUL terminator in %zu bytes", f->value.len);
	while (ccg_cursor_get_u8(&c, &ch))
		if (ch != 0)
			return ccg_error_set(err, CCG_ERR_MALFORMED, field_where(f->id, where, sizeof(where)),
					     "non-NUL byte after the terminator");
	out[n] = '\0';
	return CCG_OK;
}

/* NVSwitch BIOS version: printable text filling the field, or ended by NUL padding */
static enum ccg_status decode_text(const struct ccg_nv_opaque_field *f, char out[CCG_NV_VERSION_MAX],
				   struct ccg_error *err)
{
	char where[CCG_ERROR_WHERE_MAX];
	size_t n = 0;

	while (n < f->value.len && f->value.data[n] != 0) {
		uint8_t ch = f->value.data[n];

		if (ch < 0x20 || ch > 0x7e)
			return ccg_error_set(err, CCG_ERR_MALFORMED, field_where(f->id, where, sizeof(where)),
					     "byte %zu (0x%02x) is not printable ASCII", n, ch);
		if (n + 1 >= CCG_NV_VERSION_MAX)
			return ccg_error_set(err, CCG_ERR_TOO_LARGE, field_where(f->id, where, sizeof(where)),
					     "string longer than %d characters", CCG_NV_VERSION_MAX - 1);
		out[n] = (char)ch;
		n++;
	}
	for (size_t i = n; i < f->value.len; i++)
		if (f->value.data[i] != 0)
			return ccg_error_set(err, CCG_ERR_MALFORMED, field_where(f->id, where, sizeof(where)),
					     "non-NUL byte after the terminator");
	if (n == 0)
		return ccg_error_set(err, CCG_ERR_MALFORMED, field_where(f->id, where, sizeof(where)), "empty");
	out[n] = '\0';
	return CCG_OK;
}

/* count PDIs of 8 bytes from the start of the field (count 0: as many as the field holds, exactly) */
static enum ccg_status decode_pdis(const struct ccg_nv_opaque_field *f, size_t count, struct ccg_nv_opaque *o,
				   struct ccg_error *err)
{
	char where[CCG_ERROR_WHERE_MAX];
	size_t n = count != 0 ? count : f->value.len / CCG_NV_PDI_LEN;

	if (count == 0 && f->value.len % CCG_NV_PDI_LEN != 0)
		return ccg_error_set(err, CCG_ERR_MALFORMED, field_where(f->id, where, sizeof(where)),
				     "length %zu is not a multiple of %d", f->value.len, CCG_NV_PDI_LEN);
	if (count != 0 && f->value.len < count * CCG_NV_PDI_LEN)
		return ccg_error_set(err, CCG_ERR_MALFORMED, field_where(f->id, where, sizeof(where)),
				     "%zu bytes, %zu PDIs need %zu", f->value.len, count, count * CCG_NV_PDI_LEN);
	if (n > CCG_NV_PDI_MAX)
		return ccg_error_set(err, CCG_ERR_TOO_LARGE, field_where(f->id, where, sizeof(where)),
				     "%zu PDIs, at most %d", n, CCG_NV_PDI_MAX);
	for (size_t i = 0; i < n; i++)
		memcpy(o->pdis[i], f->value.data + i * CCG_NV_PDI_LEN, CCG_NV_PDI_LEN);
	o->num_pdis = n;
	o->has_pdis = true;
	return CCG_OK;
}

/*
 * NVIDIA's format_vbios_version: the first four bytes as a u32le in upper-case
 * hex, dot-separated by byte, then byte 4: 00 74 00 96 20 .. → "96.00.74.00.20".
 * Bytes 5..7 take no part, as in NVIDIA's verifiers.
 */
static enum ccg_status decode_vbios(const struct ccg_nv_opaque_field *f, char out[CCG_NV_VERSION_MAX],
				    struct ccg_error *err)
{
	struct ccg_cursor c = f->value;
	char where[CCG_ERROR_WHERE_MAX];
	uint32_t v;
	uint8_t oem;

	if (f->value.len != VBIOS_LEN || !ccg_cursor_get_u32le(&c, &v) || !ccg_cursor_get_u8(&c, &oem)) {
		char text[CCG_NV_VERSION_MAX];
		struct ccg_nv_opaque_field t = *f;

		/* an NVSwitch writes its BIOS version as text: say so rather than count bytes */
		t.id = CCG_NV_OPAQUE_VBIOS_VERSION;
		if (f->value.len > VBIOS_LEN && decode_text(&t, text, NULL) == CCG_OK)
			return ccg_error_set(err, CCG_ERR_MALFORMED, field_where(f->id, where, sizeof(where)),
					     "the text \"%s\" is an NVSwitch BIOS version: this is LS10 (NVSwitch) "
					     "evidence, not a GPU's (arch LS10)",
					     text);
		return ccg_error_set(err, CCG_ERR_MALFORMED, field_where(f->id, where, sizeof(where)),
				     "need %d bytes, have %zu", VBIOS_LEN, f->value.len);
	}
	snprintf(out, CCG_NV_VERSION_MAX, "%02X.%02X.%02X.%02X.%02X", (unsigned)(v >> 24), (unsigned)(v >> 16) & 0xFFu,
		 (unsigned)(v >> 8) & 0xFFu, (unsigned)v & 0xFFu, (unsigned)oem);
	return CCG_OK;
}

static enum ccg_status decode_msrscnt(const struct ccg_nv_opaque_field *f, struct ccg_nv_opaque *o,
				      struct ccg_error *err)
{
	struct ccg_cursor c = f->value;
	char where[CCG_ERROR_WHERE_MAX];
	size_t n = f->value.len / 4;

	if (f->value.len % 4 != 0)
		return ccg_error_set(err, CCG_ERR_MALFORMED, field_where(f->id, where, sizeof(where)),
				     "length %zu is not a multiple of 4", f->value.len);
	if (n > CCG_NV_MSRSCNT_MAX)
		return ccg_error_set(err, CCG_ERR_TOO_LARGE, field_where(f->id, where, sizeof(where)),
				     "%zu counters, at most %d", n, CCG_NV_MSRSCNT_MAX);
	for (size_t i = 0; i < n; i++)
		if (!ccg_cursor_get_u32le(&c, &o->msrscnt[i]))
			return ccg_error_set(err, CCG_ERR_INTERNAL, field_where(f->id, where, sizeof(where)),
					     "counter %zu", i);
	o->msrscnt_len = n;
	return CCG_OK;
}

/* A value of exactly want bytes (NVDEC0 status, FWID). */
static enum ccg_status check_len(const struct ccg_nv_opaque_field *f, size_t want, struct ccg_error *err)
{
	char where[CCG_ERROR_WHERE_MAX];

	if (f->value.len != want)
		return ccg_error_set(err, CCG_ERR_MALFORMED, field_where(f->id, where, sizeof(where)),
				     "need %zu bytes, have %zu", want, f->value.len);
	return CCG_OK;
}

static enum ccg_status decode_field(const struct ccg_nv_opaque_field *f, struct ccg_nv_opaque *o, struct ccg_error *err)
{
	enum ccg_status st = CCG_OK;

	if (o->nvswitch) {
		switch (f->id) {
		case CCG_NV_OPAQUE_VBIOS_VERSION: return decode_text(f, o->vbios_version, err);
		case CCG_NV_OPAQUE_SWITCH_PDI: /* DEVICE_PDI in a switch's report */
			st = check_len(f, CCG_NV_PDI_LEN, err);
			if (st == CCG_OK) {
				memcpy(o->device_pdi, f->value.data, CCG_NV_PDI_LEN);
				o->has_device_pdi = true;
			}
			return st;
		case CCG_NV_OPAQUE_SWITCH_GPU_PDIS: return decode_pdis(f, CCG_NV_SWITCH_GPU_PDIS, o, err);
		case CCG_NV_OPAQUE_FWID:
		case CCG_NV_OPAQUE_MSRSCNT: break; /* as for GPUs, below */
		default: return CCG_OK;            /* kept in fields[], not decoded */
		}
	}
	switch (f->id) {
	case CCG_NV_OPAQUE_SWITCH_PDI: return decode_pdis(f, 0, o, err);
	case CCG_NV_OPAQUE_DRIVER_VERSION: return decode_cstr(f, o->driver_version, err);
	case CCG_NV_OPAQUE_VBIOS_VERSION: return decode_vbios(f, o->vbios_version, err);
	case CCG_NV_OPAQUE_PROJECT: return decode_cstr(f, o->project, err);
	case CCG_NV_OPAQUE_PROJECT_SKU: return decode_cstr(f, o->project_sku, err);
	case CCG_NV_OPAQUE_CHIP_SKU: return decode_cstr(f, o->chip_sku, err);
	case CCG_NV_OPAQUE_NVDEC0_STATUS:
		st = check_len(f, 1, err);
		if (st == CCG_OK) {
			o->nvdec0_status = f->value.data[0];
			o->has_nvdec0_status = true;
		}
		return st;
	case CCG_NV_OPAQUE_FWID:
		st = check_len(f, FWID_LEN, err);
		if (st == CCG_OK)
			o->fwid = f->value;
		return st;
	case CCG_NV_OPAQUE_MSRSCNT: return decode_msrscnt(f, o, err);
	default: return CCG_OK; /* kept in fields[], not decoded */
	}
}

static enum ccg_status parse(const uint8_t *data, size_t len, bool nvswitch, struct ccg_nv_opaque *out,
			     struct ccg_error *err)
{
	struct ccg_cursor c;
	char where[CCG_ERROR_WHERE_MAX];
	enum ccg_status st = CCG_OK;

	memset(out, 0, sizeof(*out));
	out->nvswitch = nvswitch;
	ccg_cursor_init(&c, data, len);
	while (c.len != 0) {
		struct ccg_nv_opaque_field f;
		uint16_t flen;
		size_t i = out->num_fields;

		if (i == CCG_NV_OPAQUE_MAX_FIELDS) {
			st = ccg_error_set(err, CCG_ERR_TOO_LARGE, "nvgpu.opaque", "more than %d fields",
					   CCG_NV_OPAQUE_MAX_FIELDS);
			goto out;
		}
		snprintf(where, sizeof(where), "nvgpu.opaque.field[%zu]", i);
		if (!ccg_cursor_get_u16le(&c, &f.id) || !ccg_cursor_get_u16le(&c, &flen)) {
			st = ccg_error_set(err, CCG_ERR_TRUNCATED, where, "%zu bytes left, a TLV header needs 4",
					   c.len);
			goto out;
		}
		if (!ccg_cursor_get_bytes(&c, &f.value, flen)) {
			st = ccg_error_set(err, CCG_ERR_TRUNCATED, where, "type %u length %u, %zu bytes left", f.id,
					   flen, c.len);
			goto out;
		}
		if (ccg_nv_opaque_id_name(f.id) != NULL && ccg_nv_opaque_find(out, f.id) != NULL) {
			st = ccg_error_set(err, CCG_ERR_DUPLICATE, field_where(f.id, where, sizeof(where)),
					   "field given twice");
			goto out;
		}
		out->fields[i] = f;
		out->num_fields++;
		st = decode_field(&out->fields[i], out, err);
		if (st != CCG_OK)
			goto out;
	}
out:
	if (st != CCG_OK)
		memset(out, 0, sizeof(*out));
	return st;
}

enum ccg_status ccg_nv_opaque_parse(const uint8_t *data, size_t len, struct ccg_nv_opaque *out, struct ccg_error *err)
{
	return parse(data, len, false, out, err);
}

enum ccg_status ccg_nv_opaque_parse_switch(const uint8_t *data, size_t len, struct ccg_nv_opaque *out,
					   struct ccg_error *err)
{
	return parse(data, len, true, out, err);
}
