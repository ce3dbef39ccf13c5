/* SPDX-License-Identifier: Apache-2.0 */
/* SEV-SNP attestation report: parse (field by field, as the ABI table) and claims. */
#include "attest/cpu/snp.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/cursor.h"
#include "common/encoding.h"
#include "common/error.h"
#include "common/json.h"

#define SIG_COMPONENT_LEN 72
#define SIG_RESERVED_LEN (0x4A0 - 0x2A0 - 2 * SIG_COMPONENT_LEN)

static bool get_fixed(struct ccg_cursor *c, uint8_t *out, size_t len)
{
	return ccg_cursor_copy_bytes(c, out, len);
}

/* a little-endian 72-byte integer whose value fits 48 bytes, as big-endian */
static bool sig_component(const uint8_t le[SIG_COMPONENT_LEN], uint8_t be[48])
{
	for (size_t i = 48; i < SIG_COMPONENT_LEN; i++)
		if (le[i] != 0)
			return false;
	for (size_t i = 0; i < 48; i++)
		be[i] = le[47 - i];
	return true;
}

enum ccg_status ccg_snp_report_parse(const uint8_t *data, size_t len, struct ccg_snp_report *r, struct ccg_error *err)
{
	struct ccg_cursor c, sig;
	uint8_t rle[SIG_COMPONENT_LEN], sle[SIG_COMPONENT_LEN], resv8;
	uint32_t resv32;

	memset(r, 0, sizeof(*r));
	if (data == NULL)
		return ccg_error_set(err, CCG_ERR_INVALID_ARG, "snp.report", "no report");
	if (len < CCG_SNP_REPORT_LEN)
		return ccg_error_set(err, CCG_ERR_TRUNCATED, "snp.report", "%zu bytes, a report is %d", len,
				     CCG_SNP_REPORT_LEN);
	if (len > CCG_SNP_REPORT_LEN)
		return ccg_error_set(err, CCG_ERR_TRAILING_DATA, "snp.report", "%zu bytes, a report is %d", len,
				     CCG_SNP_REPORT_LEN);
	ccg_cursor_init(&c, data, len);
	if (!ccg_cursor_copy_bytes(&c, r->raw, CCG_SNP_REPORT_LEN))
		return ccg_error_set(err, CCG_ERR_TRUNCATED, "snp.report", NULL);
	ccg_cursor_init(&c, r->raw, CCG_SNP_REPORT_LEN);

	if (!ccg_cursor_get_u32le(&c, &r->version))
		goto truncated;
	if (r->version != 2 && r->version != 3 && r->version != 5)
		return ccg_error_set(err, CCG_ERR_UNSUPPORTED, "snp.version",
				     "report version %u (ccgpu accepts 2, 3 and 5)", r->version);
	if (!ccg_cursor_get_u32le(&c, &r->guest_svn) ||                           /* 0x04 */
	    !ccg_cursor_get_u64le(&c, &r->policy) ||                              /* 0x08 */
	    !get_fixed(&c, r->family_id, sizeof(r->family_id)) ||                 /* 0x10 */
	    !get_fixed(&c, r->image_id, sizeof(r->image_id)) ||                   /* 0x20 */
	    !ccg_cursor_get_u32le(&c, &r->vmpl) ||                                /* 0x30 */
	    !ccg_cursor_get_u32le(&c, &r->signature_algo) ||                      /* 0x34 */
	    !ccg_cursor_get_u64le(&c, &r->current_tcb) ||                         /* 0x38 */
	    !ccg_cursor_get_u64le(&c, &r->platform_info) ||                       /* 0x40 */
	    !ccg_cursor_get_u32le(&c, &r->flags) ||                               /* 0x48 */
	    !ccg_cursor_get_u32le(&c, &resv32) ||                                 /* 0x4C reserved */
	    !get_fixed(&c, r->report_data, sizeof(r->report_data)) ||             /* 0x50 */
	    !get_fixed(&c, r->measurement, sizeof(r->measurement)) ||             /* 0x90 */
	    !get_fixed(&c, r->host_data, sizeof(r->host_data)) ||                 /* 0xC0 */
	    !get_fixed(&c, r->id_key_digest, sizeof(r->id_key_digest)) ||         /* 0xE0 */
	    !get_fixed(&c, r->author_key_digest, sizeof(r->author_key_digest)) || /* 0x110 */
	    !get_fixed(&c, r->report_id, sizeof(r->report_id)) ||                 /* 0x140 */
	    !get_fixed(&c, r->report_id_ma, sizeof(r->report_id_ma)) ||           /* 0x160 */
	    !ccg_cursor_get_u64le(&c, &r->reported_tcb))                          /* 0x180 */
		goto truncated;
	if (r->version >= 3) { /* 0x188 CPUID family, model, stepping */
		if (!ccg_cursor_get_u8(&c, &r->cpuid_fam_id) || !ccg_cursor_get_u8(&c, &r->cpuid_mod_id) ||
		    !ccg_cursor_get_u8(&c, &r->cpuid_step))
			goto truncated;
	} else if (!ccg_cursor_skip(&c, 3)) {
		goto truncated;
	}
	if (!ccg_cursor_skip(&c, 21) ||                       /* 0x18B reserved */
	    !get_fixed(&c, r->chip_id, sizeof(r->chip_id)) || /* 0x1A0 */
	    !ccg_cursor_get_u64le(&c, &r->committed_tcb) ||   /* 0x1E0 */
	    !ccg_cursor_get_u8(&c, &r->current_build) ||      /* 0x1E8 */
	    !ccg_cursor_get_u8(&c, &r->current_minor) || !ccg_cursor_get_u8(&c, &r->current_major) ||
	    !ccg_cursor_get_u8(&c, &resv8) || !ccg_cursor_get_u8(&c, &r->committed_build) || /* 0x1EC */
	    !ccg_cursor_get_u8(&c, &r->committed_minor) || !ccg_cursor_get_u8(&c, &r->committed_major) ||
	    !ccg_cursor_get_u8(&c, &resv8) || !ccg_cursor_get_u64le(&c, &r->launch_tcb)) /* 0x1F0 */
		goto truncated;
	if (r->version >= 5) { /* 0x1F8 mitigation vectors */
		if (!ccg_cursor_get_u64le(&c, &r->launch_mit_vector) ||
		    !ccg_cursor_get_u64le(&c, &r->current_mit_vector))
			goto truncated;
	} else if (!ccg_cursor_skip(&c, 16)) {
		goto truncated;
	}
	if (!ccg_cursor_skip(&c, CCG_SNP_SIGNED_LEN - 0x208)) /* 0x208 reserved */
		goto truncated;
	/* 0x2A0 SIGNATURE: R, S (72 bytes each, little-endian), reserved */
	if (!ccg_cursor_copy_bytes(&c, rle, sizeof(rle)) || !ccg_cursor_copy_bytes(&c, sle, sizeof(sle)) ||
	    !ccg_cursor_get_bytes(&c, &sig, SIG_RESERVED_LEN))
		goto truncated;
	if (c.len != 0)
		return ccg_error_set(err, CCG_ERR_TRAILING_DATA, "snp.report", NULL);
	if (!sig_component(rle, r->sig_r) || !sig_component(sle, r->sig_s))
		return ccg_error_set(err, CCG_ERR_MALFORMED, "snp.signature",
				     "R or S has non-zero bytes beyond the 48 of P-384");
	for (size_t i = 0; i < sig.len; i++)
		if (sig.data[i] != 0)
			return ccg_error_set(err, CCG_ERR_MALFORMED, "snp.signature.reserved",
					     "reserved byte at 0x%zx is not zero", 0x2A0 + 144 + i);
	if (r->signature_algo != 1)
		return ccg_error_set(err, CCG_ERR_UNSUPPORTED, "snp.signature_algo",
				     "signature algorithm %u (1 = ECDSA P-384 with SHA-384)", r->signature_algo);
	return CCG_OK;
truncated:
	return ccg_error_set(err, CCG_ERR_TRUNCATED, "snp.report", NULL);
}

const char *ccg_snp_product_name(enum ccg_snp_product p)
{
	switch (p) {
	case CCG_SNP_PRODUCT_MILAN: return "Milan";
	case CCG_SNP_PRODUCT_GENOA: return "Genoa";
	case CCG_SNP_PRODUCT_TURIN: return "Turin";
	case CCG_SNP_PRODUCT_UNKNOWN: break;
	}
	return "unknown";
}

enum ccg_snp_product ccg_snp_product_parse(const char *name)
{
	static const enum ccg_snp_product all[] = {CCG_SNP_PRODUCT_MILAN, CCG_SNP_PRODUCT_GENOA, CCG_SNP_PRODUCT_TURIN};

	if (name == NULL)
		return CCG_SNP_PRODUCT_UNKNOWN;
	for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++) {
		const char *n = ccg_snp_product_name(all[i]);
		size_t l = strlen(n);

		if (strncasecmp(name, n, l) == 0 && (name[l] == '\0' || name[l] == '-'))
			return all[i];
	}
	return CCG_SNP_PRODUCT_UNKNOWN;
}

enum ccg_snp_product ccg_snp_report_product(const struct ccg_snp_report *r, enum ccg_snp_product hint)
{
	if (r->version >= 3) {
		if (r->cpuid_fam_id == 0x19 && r->cpuid_mod_id <= 0x0F)
			return CCG_SNP_PRODUCT_MILAN;
		if (r->cpuid_fam_id == 0x19 && ((r->cpuid_mod_id >= 0x10 && r->cpuid_mod_id <= 0x1F) ||
						(r->cpuid_mod_id >= 0xA0 && r->cpuid_mod_id <= 0xAF)))
			return CCG_SNP_PRODUCT_GENOA;
		if (r->cpuid_fam_id == 0x1A && r->cpuid_mod_id <= 0x11)
			return CCG_SNP_PRODUCT_TURIN;
		return CCG_SNP_PRODUCT_UNKNOWN;
	}
	return hint;
}

void ccg_snp_tcb_decode(uint64_t raw, enum ccg_snp_product p, struct ccg_snp_tcb *t)
{
	uint8_t b[8];

	for (int i = 0; i < 8; i++)
		b[i] = (uint8_t)(raw >> (8 * i));
	memset(t, 0, sizeof(*t));
	t->raw = raw;
	if (p == CCG_SNP_PRODUCT_TURIN) { /* FMC, BL, TEE, SNP, reserved[3], ucode */
		t->fmc = b[0];
		t->bootloader = b[1];
		t->tee = b[2];
		t->snp = b[3];
	} else { /* BL, TEE, reserved[4], SNP, ucode */
		t->bootloader = b[0];
		t->tee = b[1];
		t->snp = b[6];
	}
	t->microcode = b[7];
}

enum ccg_snp_signer ccg_snp_report_signer(const struct ccg_snp_report *r)
{
	return (enum ccg_snp_signer)((r->flags >> 2) & 7);
}

static json_t *tcb_json(uint64_t raw, enum ccg_snp_product p)
{
	struct ccg_snp_tcb t;
	json_t *o = json_object();

	if (o == NULL)
		return NULL;
	ccg_snp_tcb_decode(raw, p, &t);
	if (json_object_set_new(o, "bootloader", json_integer(t.bootloader)) != 0 ||
	    json_object_set_new(o, "tee", json_integer(t.tee)) != 0 ||
	    json_object_set_new(o, "snp", json_integer(t.snp)) != 0 ||
	    json_object_set_new(o, "microcode", json_integer(t.microcode)) != 0 ||
	    (p == CCG_SNP_PRODUCT_TURIN && json_object_set_new(o, "fmc", json_integer(t.fmc)) != 0)) {
		json_decref(o);
		return NULL;
	}
	return o;
}

enum ccg_status ccg_snp_report_claims(const struct ccg_snp_report *r, enum ccg_snp_product hint, json_t **out)
{
	enum ccg_snp_product p = ccg_snp_report_product(r, hint);
	enum ccg_snp_signer signer = ccg_snp_report_signer(r);
	json_t *o = json_object(), *pol = json_object();
	char ver[32];
	enum ccg_status st = CCG_ERR_NOMEM;

	*out = NULL;
	if (o == NULL || pol == NULL)
		goto out;
	snprintf(ver, sizeof(ver), "%u.%u", (unsigned)((r->policy >> 8) & 0xff), (unsigned)(r->policy & 0xff));
	if (json_object_set_new(pol, "abi-minimum", json_string(ver)) != 0 ||
	    json_object_set_new(pol, "smt-allowed", json_boolean(r->policy & CCG_SNP_POLICY_SMT)) != 0 ||
	    json_object_set_new(pol, "migrate-ma-allowed", json_boolean(r->policy & CCG_SNP_POLICY_MIGRATE_MA)) != 0 ||
	    json_object_set_new(pol, "debug-allowed", json_boolean(r->policy & CCG_SNP_POLICY_DEBUG)) != 0 ||
	    json_object_set_new(pol, "single-socket", json_boolean(r->policy & CCG_SNP_POLICY_SINGLE_SOCKET)) != 0)
		goto out;
	if ((st = ccg_json_set_new(o, "snp-version", json_integer(r->version))) != CCG_OK ||
	    (st = ccg_json_set_new(o, "snp-product", json_string(ccg_snp_product_name(p)))) != CCG_OK ||
	    (st = ccg_json_set_new(o, "snp-signer",
				   json_string(signer == CCG_SNP_SIGNER_VCEK   ? "VCEK"
					       : signer == CCG_SNP_SIGNER_VLEK ? "VLEK"
									       : "none"))) != CCG_OK ||
	    (st = ccg_json_set_new(o, "snp-guest-svn", json_integer(r->guest_svn))) != CCG_OK ||
	    (st = ccg_json_set_new(o, "snp-policy", json_integer((json_int_t)r->policy))) != CCG_OK)
		goto out;
	st = ccg_json_set_new(o, "snp-policy-bits", pol); /* consumes pol */
	pol = NULL;
	if (st != CCG_OK)
		goto out;
	if ((st = ccg_json_set_new(o, "snp-debug-allowed", json_boolean(r->policy & CCG_SNP_POLICY_DEBUG))) != CCG_OK ||
	    (st = ccg_json_set_new(o, "snp-vmpl", json_integer(r->vmpl))) != CCG_OK ||
	    (st = ccg_json_set_new(o, "snp-platform-smt-enabled", json_boolean(r->platform_info & 1))) != CCG_OK ||
	    (st = ccg_json_set_new(o, "snp-platform-tsme-enabled", json_boolean(r->platform_info & 2))) != CCG_OK ||
	    (st = ccg_json_set_hex(o, "snp-measurement", r->measurement, sizeof(r->measurement))) != CCG_OK ||
	    (st = ccg_json_set_hex(o, "snp-report-data", r->report_data, sizeof(r->report_data))) != CCG_OK ||
	    (st = ccg_json_set_hex(o, "snp-host-data", r->host_data, sizeof(r->host_data))) != CCG_OK ||
	    (st = ccg_json_set_hex(o, "snp-chip-id", r->chip_id, sizeof(r->chip_id))) != CCG_OK ||
	    (st = ccg_json_set_hex(o, "snp-family-id", r->family_id, sizeof(r->family_id))) != CCG_OK ||
	    (st = ccg_json_set_hex(o, "snp-image-id", r->image_id, sizeof(r->image_id))) != CCG_OK ||
	    (st = ccg_json_set_hex(o, "snp-id-key-digest", r->id_key_digest, sizeof(r->id_key_digest))) != CCG_OK ||
	    (st = ccg_json_set_hex(o, "snp-author-key-digest", r->author_key_digest, sizeof(r->author_key_digest))) !=
		    CCG_OK ||
	    (st = ccg_json_set_hex(o, "snp-report-id", r->report_id, sizeof(r->report_id))) != CCG_OK ||
	    (st = ccg_json_set_new(o, "snp-tcb-current", tcb_json(r->current_tcb, p))) != CCG_OK ||
	    (st = ccg_json_set_new(o, "snp-tcb-reported", tcb_json(r->reported_tcb, p))) != CCG_OK ||
	    (st = ccg_json_set_new(o, "snp-tcb-committed", tcb_json(r->committed_tcb, p))) != CCG_OK ||
	    (st = ccg_json_set_new(o, "snp-tcb-launch", tcb_json(r->launch_tcb, p))) != CCG_OK)
		goto out;
	snprintf(ver, sizeof(ver), "%u.%u.%u", r->current_major, r->current_minor, r->current_build);
	if ((st = ccg_json_set_new(o, "snp-firmware-current", json_string(ver))) != CCG_OK)
		goto out;
	*out = o;
	o = NULL;
	st = CCG_OK;
out:
	json_decref(pol);
	json_decref(o);
	return st;
}
