/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The simulated GPUs: SPDM 1.1 GET_MEASUREMENTS answered in NVIDIA's exact
 * byte format (64 DMTF SHA-384 blocks, NVIDIA's opaque TLVs in the order
 * and sizes of real H100 reports), signed ECDSA P-384 over request ||
 * response-without-signature with the per-boot FMC leaf key; faults on
 * request; the transport frames of docs/gpusim-transport.md.
 */
#include <jansson.h>
#include <openssl/ecdsa.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/crypto.h"
#include "common/cursor.h"
#include "common/encoding.h"
#include "common/error.h"
#include "common/file.h"
#include "common/json.h"
#include "common/writer.h"
#include "gpusim/internal.h"
#include "wire/frame.h"
#include "wire/spdm_codes.h"

#define REQ_LEN 37
#define SIG_LEN 96
#define UNKNOWN_DRIVER "999.99.99"

struct gpusim_gpu {
	EVP_PKEY *key; /* FMC leaf (per-boot) key */
	char *chain_pem;
	uint8_t fwid[48];
	uint32_t board_id;
	uint8_t pdi[GPUSIM_PDI_LEN]; /* protected PCIe: this device's PDI */
};

#define GPUSIM_LINKS 18 /* NVLinks per GPU; the last two disabled, as a board may have them */

struct gpusim {
	struct gpusim_firmware fw;
	unsigned count;
	struct gpusim_gpu gpus[GPUSIM_MAX_GPUS];
	unsigned num_switches;
	struct gpusim_gpu switches[GPUSIM_MAX_SWITCHES];
	size_t num_faults;
	struct gpusim_fault faults[GPUSIM_MAX_FAULTS];
	enum gpusim_copy_engine ce;
};

static const struct {
	const char *name;
	enum gpusim_fault_kind kind;
} fault_names[] = {
	{"bad-signature", GPUSIM_FAULT_BAD_SIGNATURE},
	{"wrong-nonce", GPUSIM_FAULT_WRONG_NONCE},
	{"drift", GPUSIM_FAULT_DRIFT},
	{"cc-off", GPUSIM_FAULT_CC_OFF},
	{"devtools", GPUSIM_FAULT_DEVTOOLS},
	{"unknown-rim", GPUSIM_FAULT_UNKNOWN_RIM},
	{"wrong-fwid", GPUSIM_FAULT_WRONG_FWID},
	{"expired-leaf", GPUSIM_FAULT_EXPIRED_LEAF},
	{"revoked-intermediate", GPUSIM_FAULT_REVOKED_INTERMEDIATE},
	{"held-intermediate", GPUSIM_FAULT_HELD_INTERMEDIATE},
	{"ppcie-rogue-switch", GPUSIM_FAULT_PPCIE_ROGUE_SWITCH},
	{"ppcie-missing-gpu", GPUSIM_FAULT_PPCIE_MISSING_GPU},
	{"ppcie-link-down", GPUSIM_FAULT_PPCIE_LINK_DOWN},
	{"session-other-gpu", GPUSIM_FAULT_SESSION_OTHER_GPU},
};

bool gpusim_fault_is_pki(enum gpusim_fault_kind k)
{
	return k == GPUSIM_FAULT_EXPIRED_LEAF || k == GPUSIM_FAULT_REVOKED_INTERMEDIATE ||
	       k == GPUSIM_FAULT_HELD_INTERMEDIATE;
}

static bool parse_uint(const char *s, size_t n, unsigned max, unsigned *out)
{
	unsigned v = 0;

	if (n == 0 || n > 3)
		return false;
	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		v = v * 10 + (unsigned)(s[i] - '0');
	}
	if (v > max)
		return false;
	*out = v;
	return true;
}

enum ccg_status gpusim_fault_parse(const char *spec, struct gpusim_fault *out, struct ccg_error *err)
{
	const char *at = strchr(spec, '@'), *eq = strchr(spec, '=');
	size_t name_len = at != NULL ? (size_t)(at - spec) : strlen(spec);
	unsigned v;

	memset(out, 0, sizeof(*out));
	out->gpu = -1;
	if (eq != NULL && (at == NULL || eq < at))
		name_len = (size_t)(eq - spec);
	for (size_t i = 0; i < sizeof(fault_names) / sizeof(fault_names[0]); i++)
		if (strlen(fault_names[i].name) == name_len && strncmp(spec, fault_names[i].name, name_len) == 0)
			out->kind = fault_names[i].kind;
	if (out->kind == GPUSIM_FAULT_NONE)
		return ccg_error_set(err, CCG_ERR_INVALID_ARG, "gpusim.fault", "unknown fault \"%s\"", spec);
	if (out->kind == GPUSIM_FAULT_DRIFT) {
		const char *end = at != NULL ? at : spec + strlen(spec);

		if (eq == NULL || (at != NULL && eq > at) ||
		    !parse_uint(eq + 1, (size_t)(end - eq - 1), GPUSIM_BLOCKS - 1, &out->arg))
			return ccg_error_set(err, CCG_ERR_INVALID_ARG, "gpusim.fault",
					     "drift needs =INDEX (a RIM index 0..%d)", GPUSIM_BLOCKS - 1);
	} else if (eq != NULL && (at == NULL || eq < at)) {
		return ccg_error_set(err, CCG_ERR_INVALID_ARG, "gpusim.fault", "\"%s\" takes no value", spec);
	}
	if (at != NULL) {
		if (!parse_uint(at + 1, strlen(at + 1), GPUSIM_MAX_GPUS - 1, &v))
			return ccg_error_set(err, CCG_ERR_INVALID_ARG, "gpusim.fault", "bad GPU index in \"%s\"", spec);
		out->gpu = (int)v;
	}
	return CCG_OK;
}

static const struct gpusim_fault *fault_for(const struct gpusim *s, enum gpusim_fault_kind k, unsigned gpu)
{
	for (size_t i = 0; i < s->num_faults; i++)
		if (s->faults[i].kind == k && (s->faults[i].gpu < 0 || (unsigned)s->faults[i].gpu == gpu))
			return &s->faults[i];
	return NULL;
}

EVP_PKEY *gpusim_gpu_key(const struct gpusim *s, unsigned g)
{
	return g < s->count ? s->gpus[g].key : NULL;
}

bool gpusim_fault_on(const struct gpusim *s, enum gpusim_fault_kind k, unsigned g)
{
	return fault_for(s, k, g) != NULL;
}

void gpusim_free(struct gpusim *s)
{
	if (s == NULL)
		return;
	for (unsigned i = 0; i < s->count; i++) {
		EVP_PKEY_free(s->gpus[i].key);
		free(s->gpus[i].chain_pem);
	}
	for (unsigned i = 0; i < s->num_switches; i++) {
		EVP_PKEY_free(s->switches[i].key);
		free(s->switches[i].chain_pem);
	}
	OPENSSL_cleanse(s, sizeof(*s));
	free(s);
}

static enum ccg_status json_str(const json_t *o, const char *key, char *out, size_t out_len, struct ccg_error *err)
{
	const char *v = NULL;
	enum ccg_status st = ccg_json_get_string(o, key, &v, "gpusim.json", err);

	if (st != CCG_OK)
		return st;
	if (strlen(v) >= out_len)
		return ccg_error_set(err, CCG_ERR_TOO_LARGE, "gpusim.json", "%s too long", key);
	memcpy(out, v, strlen(v) + 1);
	return CCG_OK;
}

static enum ccg_status hex_fixed(const json_t *v, uint8_t *out, size_t len, const char *what, struct ccg_error *err)
{
	if (!json_is_string(v) ||
	    ccg_hex_decode_fixed(json_string_value(v), strlen(json_string_value(v)), out, len) != CCG_OK)
		return ccg_error_set(err, CCG_ERR_MALFORMED, "gpusim.json", "%s: need %zu bytes of hex", what, len);
	return CCG_OK;
}

enum ccg_status gpusim_load(const char *dir, struct gpusim **out, struct ccg_error *err)
{
	struct gpusim *s = NULL;
	uint8_t *text = NULL;
	size_t len = 0;
	json_t *doc = NULL, *meas, *gpus;
	char path[4096];
	enum ccg_status st;

	*out = NULL;
	snprintf(path, sizeof(path), "%s/gpusim.json", dir);
	if ((st = ccg_file_read(path, 1u << 20, &text, &len, err)) != CCG_OK ||
	    (st = ccg_json_parse(text, len, 1u << 20, "gpusim.json", &doc, err)) != CCG_OK)
		goto out;
	s = calloc(1, sizeof(*s));
	if (s == NULL) {
		st = ccg_error_set(err, CCG_ERR_NOMEM, "gpusim", "state");
		goto out;
	}
	meas = json_object_get(doc, "measurements");
	{
		const char *arch = json_string_value(json_object_get(doc, "arch"));

		/* written since BLACKWELL devices exist; older state directories are HOPPER */
		if (arch != NULL && strcmp(arch, "BLACKWELL") != 0 && strcmp(arch, "HOPPER") != 0) {
			st = ccg_error_set(err, CCG_ERR_MALFORMED, "gpusim.json", "arch \"%s\"", arch);
			goto out;
		}
		s->fw.blackwell = arch != NULL && strcmp(arch, "BLACKWELL") == 0;
	}
	gpus = json_object_get(doc, "gpus");
	if ((st = json_str(doc, "driver_version", s->fw.driver_version, sizeof(s->fw.driver_version), err)) != CCG_OK ||
	    (st = json_str(doc, "vbios_version", s->fw.vbios_version, sizeof(s->fw.vbios_version), err)) != CCG_OK ||
	    (st = json_str(doc, "project", s->fw.project, sizeof(s->fw.project), err)) != CCG_OK ||
	    (st = json_str(doc, "project_sku", s->fw.project_sku, sizeof(s->fw.project_sku), err)) != CCG_OK ||
	    (st = json_str(doc, "chip_sku", s->fw.chip_sku, sizeof(s->fw.chip_sku), err)) != CCG_OK ||
	    (st = gpusim_rim_ids(&s->fw, err)) != CCG_OK)
		goto out;
	if (!json_is_array(meas) || json_array_size(meas) != GPUSIM_BLOCKS || !json_is_array(gpus) ||
	    json_array_size(gpus) < 1 || json_array_size(gpus) > GPUSIM_MAX_GPUS) {
		st = ccg_error_set(err, CCG_ERR_MALFORMED, "gpusim.json", "measurements or gpus");
		goto out;
	}
	for (unsigned i = 0; i < GPUSIM_BLOCKS; i++)
		if ((st = hex_fixed(json_array_get(meas, i), s->fw.golden[i], GPUSIM_DIGEST_LEN, "measurement", err)) !=
		    CCG_OK)
			goto out;
	for (unsigned g = 0; g < json_array_size(gpus); g++) {
		struct gpusim_gpu *gpu = &s->gpus[g];
		json_t *o = json_array_get(gpus, g);
		int64_t board = 0;
		size_t pem_len = 0;

		s->count = g + 1;
		if ((st = hex_fixed(json_object_get(o, "fwid"), gpu->fwid, sizeof(gpu->fwid), "fwid", err)) != CCG_OK ||
		    (st = ccg_json_get_int(o, "board_id", 0, UINT32_MAX, &board, "gpusim.json", err)) != CCG_OK)
			goto out;
		gpu->board_id = (uint32_t)board;
		if (json_object_get(o, "pdi") != NULL &&
		    (st = hex_fixed(json_object_get(o, "pdi"), gpu->pdi, sizeof(gpu->pdi), "pdi", err)) != CCG_OK)
			goto out;
		snprintf(path, sizeof(path), "%s/gpu%u/fmc.key", dir, g);
		if ((st = gpusim_read_pem_key(path, &gpu->key, err)) != CCG_OK)
			goto out;
		snprintf(path, sizeof(path), "%s/gpu%u/chain.pem", dir, g);
		if ((st = ccg_file_read(path, 64 * 1024, (uint8_t **)&gpu->chain_pem, &pem_len, err)) != CCG_OK)
			goto out;
	}
	/* NVSwitches (state written since gpusim has them; none before) */
	{
		json_t *sw = json_object_get(doc, "switches"), *sm = json_object_get(doc, "switch_measurements");
		size_t n = json_is_array(sw) ? json_array_size(sw) : 0;

		snprintf(s->fw.bios_version, sizeof(s->fw.bios_version), "96.10.55.00.01");
		snprintf(s->fw.switch_rim_id, sizeof(s->fw.switch_rim_id), "NV_SWITCH_BIOS_5612_0002_890_9610550001");
		if (n > GPUSIM_MAX_SWITCHES ||
		    (n > 0 && (!json_is_array(sm) || json_array_size(sm) != GPUSIM_SWITCH_BLOCKS))) {
			st = ccg_error_set(err, CCG_ERR_MALFORMED, "gpusim.json", "switches or switch_measurements");
			goto out;
		}
		for (unsigned i = 0; n > 0 && i < GPUSIM_SWITCH_BLOCKS; i++)
			if ((st = hex_fixed(json_array_get(sm, i), s->fw.switch_golden[i], GPUSIM_DIGEST_LEN,
					    "switch measurement", err)) != CCG_OK)
				goto out;
		for (unsigned j = 0; j < n; j++) {
			struct gpusim_gpu *d = &s->switches[j];
			json_t *o = json_array_get(sw, j);
			size_t pem_len = 0;

			s->num_switches = j + 1;
			if ((st = hex_fixed(json_object_get(o, "fwid"), d->fwid, sizeof(d->fwid), "fwid", err)) !=
				    CCG_OK ||
			    (st = hex_fixed(json_object_get(o, "pdi"), d->pdi, sizeof(d->pdi), "pdi", err)) != CCG_OK)
				goto out;
			snprintf(path, sizeof(path), "%s/switch%u/fmc.key", dir, j);
			if ((st = gpusim_read_pem_key(path, &d->key, err)) != CCG_OK)
				goto out;
			snprintf(path, sizeof(path), "%s/switch%u/chain.pem", dir, j);
			if ((st = ccg_file_read(path, 64 * 1024, (uint8_t **)&d->chain_pem, &pem_len, err)) != CCG_OK)
				goto out;
		}
	}
	*out = s;
	s = NULL;
out:
	gpusim_free(s);
	json_decref(doc);
	free(text);
	return st;
}

unsigned gpusim_count(const struct gpusim *s)
{
	return s->count;
}

enum ccg_status gpusim_add_fault(struct gpusim *s, const struct gpusim_fault *f, struct ccg_error *err)
{
	if (gpusim_fault_is_pki(f->kind))
		return ccg_error_set(err, CCG_ERR_INVALID_ARG, "gpusim.fault",
				     "a PKI fault: give it to ccgpu-gpusim pki");
	if (f->kind == GPUSIM_FAULT_SESSION_OTHER_GPU && s->count < 2)
		return ccg_error_set(err, CCG_ERR_INVALID_ARG, "gpusim.fault",
				     "session-other-gpu needs a second GPU to take the identity of");
	if (s->num_faults >= GPUSIM_MAX_FAULTS)
		return ccg_error_set(err, CCG_ERR_TOO_LARGE, "gpusim.fault", "at most %d", GPUSIM_MAX_FAULTS);
	s->faults[s->num_faults++] = *f;
	return CCG_OK;
}

void gpusim_clear_faults(struct gpusim *s)
{
	s->num_faults = 0;
}

void gpusim_set_copy_engine(struct gpusim *s, enum gpusim_copy_engine ce)
{
	s->ce = ce;
}

enum gpusim_copy_engine gpusim_copy_engine(const struct gpusim *s)
{
	return s->ce;
}

enum ccg_status gpusim_copy_engine_parse(const char *name, enum gpusim_copy_engine *out, struct ccg_error *err)
{
	if (strcmp(name, "host") == 0)
		*out = GPUSIM_CE_HOST;
	else if (strcmp(name, "offload") == 0)
		*out = GPUSIM_CE_OFFLOAD;
	else
		return ccg_error_set(err, CCG_ERR_INVALID_ARG, "gpusim.copy_engine", "\"%s\": host or offload", name);
	return CCG_OK;
}

const char *gpusim_chain_pem(const struct gpusim *s, unsigned gpu)
{
	return gpu < s->count ? s->gpus[gpu].chain_pem : NULL;
}

const char *gpusim_driver_rim_id(const struct gpusim *s)
{
	return s->fw.driver_rim_id;
}

const char *gpusim_vbios_rim_id(const struct gpusim *s)
{
	return s->fw.vbios_rim_id;
}

const char *gpusim_arch(const struct gpusim *s)
{
	return s->fw.blackwell ? "BLACKWELL" : "HOPPER";
}

unsigned gpusim_switch_count(const struct gpusim *s)
{
	return s->num_switches;
}

const char *gpusim_switch_chain_pem(const struct gpusim *s, unsigned j)
{
	return j < s->num_switches ? s->switches[j].chain_pem : NULL;
}

const char *gpusim_switch_rim_id(const struct gpusim *s)
{
	return s->fw.switch_rim_id;
}

void gpusim_meas_request(const uint8_t nonce[32], uint8_t out[37])
{
	out[0] = SPDM_V11;
	out[1] = SPDM_GET_MEASUREMENTS;
	out[2] = SPDM_MEAS_SIG_REQUESTED;
	out[3] = SPDM_MEAS_ALL_BLOCKS;
	memcpy(out + 4, nonce, 32);
	out[36] = 0x00; /* slot 0 */
}

/* ---------- the MEASUREMENTS response ---------- */

static enum ccg_status tlv(struct ccg_buf *b, uint16_t id, const void *v, size_t len)
{
	enum ccg_status st;

	if ((st = ccg_buf_append_u16le(b, id)) != CCG_OK || (st = ccg_buf_append_u16le(b, (uint16_t)len)) != CCG_OK)
		return st;
	return ccg_buf_append(b, v, len);
}

/* a NUL-padded string field of exactly len bytes */
static enum ccg_status tlv_str(struct ccg_buf *b, uint16_t id, const char *s, size_t len)
{
	char v[64] = {0};

	if (strlen(s) >= len || len > sizeof(v))
		return CCG_ERR_TOO_LARGE;
	memcpy(v, s, strlen(s));
	return tlv(b, id, v, len);
}

/*
 * Protected PCIe: the GPU's SWITCH_PDI field (22), per NVLink the PDI of the
 * switch on it as the GPU reports it (little-endian: the switch's bytes
 * reversed); the last two links disabled (all zero).
 */
static enum ccg_status gpu_switch_pdis(const struct gpusim *s, unsigned g, struct ccg_buf *b)
{
	uint8_t v[GPUSIM_LINKS * GPUSIM_PDI_LEN] = {0};

	for (unsigned l = 0; l + 2 < GPUSIM_LINKS; l++) {
		const uint8_t *p = s->switches[l % s->num_switches].pdi;

		for (unsigned k = 0; k < GPUSIM_PDI_LEN; k++)
			v[l * GPUSIM_PDI_LEN + k] = p[GPUSIM_PDI_LEN - 1 - k];
	}
	if (fault_for(s, GPUSIM_FAULT_PPCIE_ROGUE_SWITCH, g) != NULL)
		v[GPUSIM_PDI_LEN - 1] ^= 0x5A; /* link 0 leads to a switch that is not on the board */
	if (fault_for(s, GPUSIM_FAULT_PPCIE_LINK_DOWN, g) != NULL)
		memset(v, 0, 2 * GPUSIM_PDI_LEN); /* links 0 and 1 down; the others still reach every switch */
	return tlv(b, 22, v, sizeof(v));
}

/* NVIDIA's opaque data, in the order and sizes of real H100 reports (driver 580) */
static enum ccg_status opaque_data(const struct gpusim *s, unsigned g, struct ccg_buf *b)
{
	const struct gpusim_gpu *gpu = &s->gpus[g];
	const char *driver = fault_for(s, GPUSIM_FAULT_UNKNOWN_RIM, g) != NULL ? UNKNOWN_DRIVER : s->fw.driver_version;
	uint8_t vbios[8], board[4], gpu_info[8] = {0x80, 0x01}, cpr[4] = {0x00, 0xC0, 0x01, 0x00};
	uint8_t msrscnt[4 * GPUSIM_BLOCKS] = {0}, nvdec0 = 0x55, ppcie = 0x55, zero2[2] = {0}, odv[2] = {1, 0};
	uint8_t fwid[sizeof(gpu->fwid)];
	struct ccg_writer w;
	enum ccg_status st;

	if (gpusim_vbios_bytes(s->fw.vbios_version, vbios, NULL) != CCG_OK)
		return CCG_ERR_INTERNAL;
	ccg_writer_init_fixed(&w, board, sizeof(board));
	if (!ccg_writer_put_u32le(&w, gpu->board_id))
		return w.failed;
	memcpy(fwid, gpu->fwid, sizeof(fwid));
	if (fault_for(s, GPUSIM_FAULT_WRONG_FWID, g) != NULL)
		fwid[sizeof(fwid) - 1] ^= 0x01; /* signed as usual: only the FWID comparison can notice */
	for (unsigned i = 0; i < GPUSIM_BLOCKS; i++) {
		unsigned alts;

		msrscnt[4 * i] = gpusim_rim_owner(i, &alts) != 0 ? 1 : 0;
	}
	if ((st = tlv(b, 6, vbios, sizeof(vbios))) != CCG_OK || (st = tlv(b, 14, board, sizeof(board))) != CCG_OK ||
	    (st = tlv_str(b, 15, s->fw.chip_sku, 9)) != CCG_OK || (st = tlv_str(b, 16, "0", 5)) != CCG_OK ||
	    (st = tlv_str(b, 17, s->fw.project, 5)) != CCG_OK ||
	    (st = tlv_str(b, 18, s->fw.project_sku, 5)) != CCG_OK || (st = tlv(b, 19, zero2, 2)) != CCG_OK ||
	    (st = tlv_str(b, 3, driver, strlen(driver) + 1)) != CCG_OK ||
	    (st = tlv(b, 4, gpu_info, sizeof(gpu_info))) != CCG_OK ||
	    (st = tlv(b, 12, msrscnt, sizeof(msrscnt))) != CCG_OK || (st = tlv(b, 13, cpr, sizeof(cpr))) != CCG_OK ||
	    (st = tlv(b, 11, &nvdec0, 1)) != CCG_OK ||
	    (gpusim_reports_fwid(&s->fw) && (st = tlv(b, 20, fwid, sizeof(fwid))) != CCG_OK) ||
	    (st = tlv(b, 21, &ppcie, 1)) != CCG_OK || (st = tlv(b, 34, odv, sizeof(odv))) != CCG_OK)
		return st;
	if (s->num_switches > 0 && (st = gpu_switch_pdis(s, g, b)) != CCG_OK)
		return st;
	/* FEATURE_FLAG: 0 = SPT (single GPU passthrough), as NVIDIA's drivers report */
	return tlv(b, 36, zero2, 2);
}

static void measurement(const struct gpusim *s, unsigned g, unsigned index, uint8_t out[GPUSIM_DIGEST_LEN])
{
	const struct gpusim_fault *drift = fault_for(s, GPUSIM_FAULT_DRIFT, g);
	uint8_t flip = 0;

	memcpy(out, s->fw.golden[index], GPUSIM_DIGEST_LEN);
	if (drift != NULL && drift->arg == index)
		flip = 0x01;
	if (index == GPUSIM_CC_MODE_INDEX && fault_for(s, GPUSIM_FAULT_CC_OFF, g) != NULL)
		flip = 0xCC; /* the measured CC configuration says "off" */
	if (index == GPUSIM_DEVTOOLS_INDEX && fault_for(s, GPUSIM_FAULT_DEVTOOLS, g) != NULL)
		flip = 0xDE; /* the measured CC configuration says "devtools" */
	for (unsigned i = 0; i < GPUSIM_DIGEST_LEN; i++)
		out[i] ^= flip;
}

/*
 * build_response: the MEASUREMENTS response to req (already checked), and
 * signed over signed_req || response. Appended to out.
 */
static enum ccg_status build_response(struct gpusim *s, unsigned g, const uint8_t *signed_req, struct ccg_buf *out,
				      struct ccg_error *err)
{
	struct ccg_buf msg, opaque;
	uint8_t nonce[32], sig[SIG_LEN];
	size_t start = out->len;
	enum ccg_status st;

	ccg_buf_init(&msg, 64 * 1024);
	ccg_buf_init(&opaque, 1024);
	if ((st = ccg_random(nonce, sizeof(nonce))) != CCG_OK || (st = opaque_data(s, g, &opaque)) != CCG_OK)
		goto out;
	if ((st = ccg_buf_append_u8(out, SPDM_V11)) != CCG_OK ||
	    (st = ccg_buf_append_u8(out, SPDM_MEASUREMENTS)) != CCG_OK || (st = ccg_buf_append_u8(out, 0)) != CCG_OK ||
	    (st = ccg_buf_append_u8(out, 0)) != CCG_OK || (st = ccg_buf_append_u8(out, GPUSIM_BLOCKS)) != CCG_OK ||
	    (st = ccg_buf_append_u24le(out, GPUSIM_BLOCKS * (4 + 3 + GPUSIM_DIGEST_LEN))) != CCG_OK)
		goto out;
	for (unsigned i = 0; i < GPUSIM_BLOCKS; i++) {
		uint8_t v[GPUSIM_DIGEST_LEN];

		measurement(s, g, i, v);
		if ((st = ccg_buf_append_u8(out, (uint8_t)(i + 1))) != CCG_OK ||
		    (st = ccg_buf_append_u8(out, SPDM_MEAS_SPEC_DMTF)) != CCG_OK ||
		    (st = ccg_buf_append_u16le(out, 3 + GPUSIM_DIGEST_LEN)) != CCG_OK ||
		    (st = ccg_buf_append_u8(out, 0x01)) != CCG_OK || /* mutable firmware, digest */
		    (st = ccg_buf_append_u16le(out, GPUSIM_DIGEST_LEN)) != CCG_OK ||
		    (st = ccg_buf_append(out, v, sizeof(v))) != CCG_OK)
			goto out;
	}
	if ((st = ccg_buf_append(out, nonce, sizeof(nonce))) != CCG_OK ||
	    (st = ccg_buf_append_u16le(out, (uint16_t)opaque.len)) != CCG_OK ||
	    (st = ccg_buf_append(out, opaque.data, opaque.len)) != CCG_OK)
		goto out;
	if ((st = ccg_buf_append(&msg, signed_req, REQ_LEN)) != CCG_OK ||
	    (st = ccg_buf_append(&msg, out->data + start, out->len - start)) != CCG_OK ||
	    (st = ccg_ecdsa_sign_raw(s->gpus[g].key, "SHA384", msg.data, msg.len, sig, SIG_LEN, "gpusim.spdm.signature",
				     err)) != CCG_OK)
		goto out;
	if (fault_for(s, GPUSIM_FAULT_BAD_SIGNATURE, g) != NULL)
		sig[SIG_LEN - 1] ^= 0x01;
	st = ccg_buf_append(out, sig, sizeof(sig));
out:
	if (st != CCG_OK && err != NULL && err->status == CCG_OK)
		ccg_error_set(err, st, "gpusim.spdm.response", "building the response");
	ccg_buf_cleanup(&msg);
	ccg_buf_cleanup(&opaque);
	return st;
}

enum ccg_status gpusim_spdm_error(struct ccg_buf *out, uint8_t version, uint8_t code, uint8_t data)
{
	const uint8_t m[4] = {version, SPDM_ERROR, code, data};

	return ccg_buf_append(out, m, sizeof(m)); /* all four bytes or none */
}

/* checks a GET_MEASUREMENTS request field by field; 0 or the SPDM error code to answer */
static uint8_t check_request(const uint8_t *req, size_t len, uint8_t *code)
{
	struct ccg_cursor c;
	uint8_t version = 0, param1 = 0, param2 = 0, slot = 0;
	struct ccg_cursor nonce;

	ccg_cursor_init(&c, req, len);
	*code = 0;
	if (!ccg_cursor_get_u8(&c, &version) || !ccg_cursor_get_u8(&c, code))
		return SPDM_ERR_INVALID_REQUEST;
	if (*code != SPDM_GET_MEASUREMENTS)
		return SPDM_ERR_UNSUPPORTED_REQUEST;
	if (version != SPDM_V11 || !ccg_cursor_get_u8(&c, &param1) || !ccg_cursor_get_u8(&c, &param2) ||
	    !ccg_cursor_get_bytes(&c, &nonce, 32) || !ccg_cursor_get_u8(&c, &slot) || c.len != 0 ||
	    (param1 & SPDM_MEAS_SIG_REQUESTED) == 0 || param2 != SPDM_MEAS_ALL_BLOCKS || slot != 0)
		return SPDM_ERR_INVALID_REQUEST;
	return 0;
}

enum ccg_status gpusim_spdm(struct gpusim *s, unsigned gpu, const uint8_t *req, size_t req_len, struct ccg_buf *out,
			    struct ccg_error *err)
{
	uint8_t code = 0, e, signed_req[REQ_LEN];

	if (gpu >= s->count)
		return ccg_error_set(err, CCG_ERR_INVALID_ARG, "gpusim.device", "no GPU %u", gpu);
	e = check_request(req, req_len, &code);
	if (e != 0)
		return gpusim_spdm_error(out, SPDM_V11, e, e == SPDM_ERR_UNSUPPORTED_REQUEST ? code : 0);
	memcpy(signed_req, req, REQ_LEN);
	/* wrong nonce echo: the device signs (and would report) another request's nonce */
	if (fault_for(s, GPUSIM_FAULT_WRONG_NONCE, gpu) != NULL)
		signed_req[4] ^= 0xFF;
	return build_response(s, gpu, signed_req, out, err);
}

/* the NVML-style report: the request as the device saw it || the response */
static enum ccg_status report(struct gpusim *s, unsigned gpu, const uint8_t nonce[32], struct ccg_buf *out,
			      struct ccg_error *err)
{
	uint8_t req[REQ_LEN];
	enum ccg_status st;

	gpusim_meas_request(nonce, req);
	if (fault_for(s, GPUSIM_FAULT_WRONG_NONCE, gpu) != NULL)
		req[4] ^= 0xFF;
	if ((st = ccg_buf_append(out, req, sizeof(req))) != CCG_OK)
		return ccg_error_set(err, st, "gpusim.report", "buffer");
	return build_response(s, gpu, req, out, err);
}

/*
 * An NVSwitch's MEASUREMENTS response, in the layout of NVIDIA's LS10
 * evidence: 31 DMTF SHA-384 blocks, opaque data BIOS version (6, text),
 * DEVICE_PDI (22), MSRSCNT (12), SWITCH_GPU_PDIS (26: 8 GPU PDIs, then one
 * port id per byte), disabled ports (23), position (24), lock status (25),
 * FWID (20); signed with the switch's FMC leaf key.
 */
static enum ccg_status switch_report(struct gpusim *s, unsigned j, const uint8_t nonce[32], struct ccg_buf *out,
				     struct ccg_error *err)
{
	const struct gpusim_gpu *d = &s->switches[j];
	struct ccg_buf opaque;
	uint8_t req[REQ_LEN], rnonce[32], sig[SIG_LEN], gpu_pdis[16 * GPUSIM_PDI_LEN] = {0};
	uint8_t msrscnt[4 * GPUSIM_SWITCH_BLOCKS] = {0}, ports[2] = {0xEC, 0x00}, pos[2] = {(uint8_t)j, 0},
			    lock[2] = {1, 0};
	size_t start;
	enum ccg_status st;

	gpusim_meas_request(nonce, req);
	for (unsigned g = 0; g < 8; g++) /* 8 GPU PDIs: a board has 8 GPUs; fewer simulated repeat the last */
		memcpy(gpu_pdis + g * GPUSIM_PDI_LEN, s->gpus[g < s->count ? g : s->count - 1].pdi, GPUSIM_PDI_LEN);
	for (unsigned p = 0; p < 8 * GPUSIM_PDI_LEN; p++)
		gpu_pdis[8 * GPUSIM_PDI_LEN + p] = (uint8_t)(p / 8);
	if (fault_for(s, GPUSIM_FAULT_PPCIE_MISSING_GPU, j) != NULL) /* GPU 7 missing, GPU 0 twice */
		memcpy(gpu_pdis + 7 * GPUSIM_PDI_LEN, gpu_pdis, GPUSIM_PDI_LEN);
	for (unsigned i = 0; i < GPUSIM_SWITCH_BLOCKS; i++)
		msrscnt[4 * i] = 1;
	ccg_buf_init(&opaque, 1024);
	if ((st = ccg_random(rnonce, sizeof(rnonce))) != CCG_OK ||
	    (st = tlv(&opaque, 6, s->fw.bios_version, strlen(s->fw.bios_version))) != CCG_OK ||
	    (st = tlv(&opaque, 22, d->pdi, GPUSIM_PDI_LEN)) != CCG_OK ||
	    (st = tlv(&opaque, 12, msrscnt, sizeof(msrscnt))) != CCG_OK ||
	    (st = tlv(&opaque, 26, gpu_pdis, sizeof(gpu_pdis))) != CCG_OK ||
	    (st = tlv(&opaque, 23, ports, 2)) != CCG_OK || (st = tlv(&opaque, 24, pos, 2)) != CCG_OK ||
	    (st = tlv(&opaque, 25, lock, 2)) != CCG_OK || (st = tlv(&opaque, 20, d->fwid, sizeof(d->fwid))) != CCG_OK)
		goto done;
	if ((st = ccg_buf_append(out, req, sizeof(req))) != CCG_OK)
		goto done;
	start = out->len;
	if ((st = ccg_buf_append_u8(out, SPDM_V11)) != CCG_OK ||
	    (st = ccg_buf_append_u8(out, SPDM_MEASUREMENTS)) != CCG_OK || (st = ccg_buf_append_u8(out, 0)) != CCG_OK ||
	    (st = ccg_buf_append_u8(out, 0)) != CCG_OK ||
	    (st = ccg_buf_append_u8(out, GPUSIM_SWITCH_BLOCKS)) != CCG_OK ||
	    (st = ccg_buf_append_u24le(out, GPUSIM_SWITCH_BLOCKS * (4 + 3 + GPUSIM_DIGEST_LEN))) != CCG_OK)
		goto done;
	for (unsigned i = 0; i < GPUSIM_SWITCH_BLOCKS; i++)
		if ((st = ccg_buf_append_u8(out, (uint8_t)(i + 1))) != CCG_OK ||
		    (st = ccg_buf_append_u8(out, 0x01)) != CCG_OK ||
		    (st = ccg_buf_append_u16le(out, 3 + GPUSIM_DIGEST_LEN)) != CCG_OK ||
		    (st = ccg_buf_append_u8(out, 0x01)) != CCG_OK ||
		    (st = ccg_buf_append_u16le(out, GPUSIM_DIGEST_LEN)) != CCG_OK ||
		    (st = ccg_buf_append(out, s->fw.switch_golden[i], GPUSIM_DIGEST_LEN)) != CCG_OK)
			goto done;
	if ((st = ccg_buf_append(out, rnonce, sizeof(rnonce))) != CCG_OK ||
	    (st = ccg_buf_append_u16le(out, (uint16_t)opaque.len)) != CCG_OK ||
	    (st = ccg_buf_append(out, opaque.data, opaque.len)) != CCG_OK)
		goto done;
	/* NVIDIA's switch reports are signed over everything before the signature: request || response */
	st = ccg_ecdsa_sign_raw(d->key, "SHA384", out->data + start - REQ_LEN, out->len - start + REQ_LEN, sig, SIG_LEN,
				"gpusim.switch.signature", err);
	if (st == CCG_OK)
		st = ccg_buf_append(out, sig, sizeof(sig));
done:
	if (st != CCG_OK && err != NULL && err->status == CCG_OK)
		ccg_error_set(err, st, "gpusim.switch", "building switch %u's report", j);
	ccg_buf_cleanup(&opaque);
	return st;
}

enum ccg_status gpusim_report(struct gpusim *s, unsigned d, const uint8_t nonce[32], struct ccg_buf *out,
			      struct ccg_error *err)
{
	if (d < s->count)
		return report(s, d, nonce, out, err);
	if (d - s->count < s->num_switches)
		return switch_report(s, d - s->count, nonce, out, err);
	return ccg_error_set(err, CCG_ERR_INVALID_ARG, "gpusim.device", "no device %u", d);
}

enum ccg_status gpusim_evidence_json(struct gpusim *s, const uint8_t nonce[32], char **out, struct ccg_error *err)
{
	json_t *arr = json_array();
	char nonce_hex[65];
	enum ccg_status st = arr != NULL ? CCG_OK : CCG_ERR_NOMEM;

	*out = NULL;
	ccg_hex_encode(nonce, 32, nonce_hex);
	for (unsigned d = 0; st == CCG_OK && d < s->count + s->num_switches; d++) {
		struct ccg_buf r;
		const char *pem = d < s->count ? s->gpus[d].chain_pem : s->switches[d - s->count].chain_pem;
		char *rb = NULL, *cb = NULL;
		json_t *o = NULL;

		ccg_buf_init(&r, 64 * 1024);
		st = gpusim_report(s, d, nonce, &r, err);
		if (st == CCG_OK) {
			rb = ccg_base64_encode_alloc(r.data, r.len);
			cb = ccg_base64_encode_alloc((const uint8_t *)pem, strlen(pem));
			o = json_pack("{s:s, s:s, s:s, s:s}", "arch", d < s->count ? gpusim_arch(s) : "LS10", "nonce",
				      nonce_hex, "evidence", rb != NULL ? rb : "", "certificate", cb != NULL ? cb : "");
			if (rb == NULL || cb == NULL || o == NULL || json_array_append_new(arr, o) != 0)
				st = ccg_error_set(err, CCG_ERR_NOMEM, "gpusim.evidence", "out of memory");
		}
		free(rb);
		free(cb);
		ccg_buf_cleanup(&r);
	}
	if (st == CCG_OK && (*out = json_dumps(arr, JSON_INDENT(2))) == NULL)
		st = ccg_error_set(err, CCG_ERR_NOMEM, "gpusim.evidence", "out of memory");
	json_decref(arr);
	return st;
}

enum ccg_status gpusim_handle_frame(struct gpusim *s, const uint8_t *in, size_t in_len, struct ccg_buf *out,
				    struct ccg_error *err)
{
	struct ccg_cursor c;
	struct ccg_frame f;
	struct ccg_error e;
	struct ccg_buf payload;
	uint8_t answer = 0;
	enum ccg_status st;

	ccg_error_clear(&e);
	ccg_buf_init(&payload, CCG_FRAME_MAX_PAYLOAD);
	ccg_cursor_init(&c, in, in_len);
	memset(&f, 0, sizeof(f));
	st = ccg_frame_parse(&c, &f, &e);
	if (st == CCG_OK && c.len != 0)
		st = ccg_error_set(&e, CCG_ERR_TRAILING_DATA, "frame", "%zu bytes after the frame", c.len);
	if (st == CCG_OK && f.device >= s->count)
		st = ccg_error_set(&e, CCG_ERR_INVALID_ARG, "frame.device", "no GPU %u (%u present)", f.device,
				   s->count);
	if (st == CCG_OK && f.session_id != 0)
		st = ccg_error_set(&e, CCG_ERR_UNSUPPORTED, "frame.session_id", "no secure session is open");
	if (st == CCG_OK) {
		switch (f.type) {
		case CCG_FRAME_GET_INFO:
			answer = CCG_FRAME_INFO;
			st = ccg_buf_append_u16le(&payload, (uint16_t)s->count);
			break;
		case CCG_FRAME_GET_CERT_CHAIN:
			answer = CCG_FRAME_CERT_CHAIN;
			st = ccg_buf_append_str(&payload, s->gpus[f.device].chain_pem);
			break;
		case CCG_FRAME_SPDM:
			answer = CCG_FRAME_SPDM;
			st = gpusim_spdm(s, f.device, f.payload.data, f.payload.len, &payload, &e);
			break;
		case CCG_FRAME_GET_REPORT:
			answer = CCG_FRAME_REPORT;
			if (f.payload.len != 32)
				st = ccg_error_set(&e, CCG_ERR_MALFORMED, "frame.payload", "need a 32-byte nonce");
			else
				st = report(s, f.device, f.payload.data, &payload, &e);
			break;
		default:
			st = ccg_error_set(&e, CCG_ERR_UNSUPPORTED, "frame.type", "0x%02x is not a request", f.type);
			break;
		}
		if (st != CCG_OK && e.status == CCG_OK)
			ccg_error_set(&e, st, "gpusim", "answering");
	}
	if (st == CCG_OK)
		st = ccg_frame_append(out, answer, f.device, 0, payload.data, payload.len);
	else
		st = ccg_frame_append_error(out, f.device, &e);
	ccg_buf_cleanup(&payload);
	if (st != CCG_OK)
		return ccg_error_set(err, st, "gpusim.frame", "no answer could be built");
	return CCG_OK;
}
