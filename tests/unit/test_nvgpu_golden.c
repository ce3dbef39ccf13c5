/* SPDX-License-Identifier: Apache-2.0 */
#include <stdarg.h>
#include <setjmp.h>
#include <stdbool.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "attest/gpu/nvgpu_golden.h"
#include "attest/gpu/rim.h"
#include "testdata.h"

/* ---------- hand-built RIMs and reports ---------- */

#define HL 48

struct fake_rim {
	struct ccg_rim rim;
	struct ccg_rim_measurement m[CCG_RIM_MAX_MEASUREMENTS];
};

/* value of "pattern p" measurements: 48 bytes of p */
static void fill(uint8_t out[HL], uint8_t p)
{
	memset(out, p, HL);
}

/* adds an entry (indexes must be added in increasing order: RIMs are sorted) */
static void add(struct fake_rim *f, uint32_t index, bool active, size_t n_alts, const uint8_t *patterns)
{
	struct ccg_rim_measurement *m = &f->m[f->rim.num_measurements++];

	memset(m, 0, sizeof(*m));
	m->index = index;
	m->active = active;
	m->alternatives = n_alts;
	m->hash_len = HL;
	for (size_t k = 0; k < n_alts; k++)
		fill(m->hashes[k], patterns[k]);
	snprintf(m->name, sizeof(m->name), "Measurement_%u", index);
	f->rim.measurements = f->m;
}

struct fake_report {
	struct ccg_spdm_meas_response resp;
	uint8_t values[CCG_SPDM_MAX_BLOCKS][HL];
};

/* blocks 1..n, block b holding pattern (b - 1) + 0x10, i.e. RIM index i -> pattern i + 0x10 */
static struct fake_report *report(size_t n)
{
	struct fake_report *r = calloc(1, sizeof(*r));

	assert_non_null(r);
	for (size_t b = 1; b <= n; b++) {
		struct ccg_spdm_meas_block *blk = &r->resp.blocks[b - 1];

		fill(r->values[b - 1], (uint8_t)(b - 1 + 0x10));
		blk->index = (uint8_t)b;
		blk->spec = 1;
		blk->dmtf_type = 1;
		blk->value.data = r->values[b - 1];
		blk->value.len = HL;
	}
	r->resp.num_blocks = (uint8_t)n;
	return r;
}

static uint8_t good(uint32_t index)
{
	return (uint8_t)(index + 0x10);
}

static struct fake_rim *new_rim(void)
{
	struct fake_rim *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	return f;
}

/* each hand-built case: a driver and a VBIOS RIM (empty), report(64), and what the comparison said */
struct golden_case {
	struct fake_rim *drv, *vb;
	struct fake_report *r;
	struct ccg_golden_result out;
	struct ccg_error err;
};

static int case_setup(void **state)
{
	struct golden_case *c = calloc(1, sizeof(*c));

	assert_non_null(c);
	c->drv = new_rim();
	c->vb = new_rim();
	c->r = report(64);
	*state = c;
	return 0;
}

static int case_teardown(void **state)
{
	struct golden_case *c = *state;

	free(c->drv);
	free(c->vb);
	free(c->r);
	free(c);
	return 0;
}

/* ccg_nvgpu_golden_compare on the case's report with the RIMs given (NULL: none), err cleared first */
static enum ccg_status compare(struct golden_case *c, const struct fake_rim *drv, const struct fake_rim *vb,
			       const struct ccg_nv_opaque *op)
{
	ccg_error_clear(&c->err);
	return ccg_nvgpu_golden_compare(drv != NULL ? &drv->rim : NULL, vb != NULL ? &vb->rim : NULL, &c->r->resp, op,
					&c->out, &c->err);
}

/* a driver RIM active at 20..23 and a VBIOS RIM active at 0..5, both matching report(64) */
static void typical(struct golden_case *c)
{
	for (uint32_t i = 0; i < 30; i++) {
		uint8_t p = good(i);

		add(c->drv, i, i >= 20 && i <= 23, 1, &p);
		add(c->vb, i, i <= 5, 1, &p);
	}
}

static void test_all_match(void **state)
{
	struct golden_case *c = *state;

	typical(c);
	assert_int_equal(compare(c, c->drv, c->vb, NULL), CCG_OK);
	assert_true(c->out.driver_checked && c->out.vbios_checked);
	assert_true(c->out.driver_match && c->out.vbios_match);
	assert_true(c->out.no_conflict);
	assert_int_equal(c->out.num_mismatches, 0);
}

static void test_mismatches_listed_and_named(void **state)
{
	struct golden_case *c = *state;

	typical(c);
	/* report differs at RIM index 22 (driver) and 3 (VBIOS): SPDM blocks 23 and 4 */
	c->r->values[22][0] ^= 1;
	c->r->values[3][47] ^= 0x80;
	assert_int_equal(compare(c, c->drv, c->vb, NULL), CCG_ERR_MEASUREMENT_MISMATCH);
	assert_string_equal(c->err.where, "golden.vbios[3]");
	assert_non_null(strstr(c->err.detail, "SPDM block 4"));
	assert_int_equal(c->out.num_mismatches, 2);
	assert_int_equal(c->out.mismatches[0].rim_index, 3);
	assert_string_equal(c->out.mismatches[0].source, "vbios");
	assert_false(c->out.mismatches[0].missing);
	assert_int_equal(c->out.mismatches[1].rim_index, 22);
	assert_string_equal(c->out.mismatches[1].source, "driver");
	assert_false(c->out.driver_match);
	assert_false(c->out.vbios_match);
	assert_true(c->out.driver_checked && c->out.vbios_checked);
}

static void test_alternatives(void **state)
{
	struct golden_case *c = *state;
	uint8_t alts[4] = {0x01, 0x02, good(7), 0x03};
	uint8_t none[3] = {0x01, 0x02, 0x03};

	add(c->drv, 7, true, 4, alts);
	assert_int_equal(compare(c, c->drv, NULL, NULL), CCG_OK);
	assert_true(c->out.driver_match);
	assert_false(c->out.vbios_checked);

	c->drv->rim.num_measurements = 0;
	add(c->drv, 7, true, 3, none);
	assert_int_equal(compare(c, c->drv, NULL, NULL), CCG_ERR_MEASUREMENT_MISMATCH);
	assert_string_equal(c->err.where, "golden.driver[7]");

	/* same first 32 bytes, different length: a mismatch */
	c->drv->rim.num_measurements = 0;
	add(c->drv, 7, true, 4, alts);
	c->r->resp.blocks[7].value.len = 32;
	assert_int_equal(compare(c, c->drv, NULL, NULL), CCG_ERR_MEASUREMENT_MISMATCH);
	assert_int_equal(c->out.mismatches[0].rim_index, 7);
}

static void test_inactive_ignored(void **state)
{
	struct golden_case *c = *state;
	uint8_t wrong = 0xEE, ok10 = good(10);

	/* index 10: inactive and wrong in the VBIOS RIM, active and right in the driver RIM */
	add(c->drv, 10, true, 1, &ok10);
	add(c->drv, 11, false, 1, &wrong);
	add(c->vb, 10, false, 1, &wrong);
	add(c->vb, 12, false, 1, &wrong);
	assert_int_equal(compare(c, c->drv, c->vb, NULL), CCG_OK);
	assert_true(c->out.no_conflict);
	assert_true(c->out.driver_match && c->out.vbios_match);
}

static void test_conflict(void **state)
{
	struct golden_case *c = *state;

	typical(c);
	c->vb->m[21].active = true; /* index 21 now active in both */
	assert_int_equal(compare(c, c->drv, c->vb, NULL), CCG_ERR_RIM_CONFLICT);
	assert_false(c->out.no_conflict);
	assert_int_equal(c->out.conflict_index, 21);
	assert_string_equal(c->err.where, "golden.conflict[21]");
}

static void test_nvdec0_rule(void **state)
{
	struct golden_case *c = *state;
	struct ccg_nv_opaque *op = calloc(1, sizeof(*op));
	uint8_t wrong[2] = {0xE1, 0xE2}, ok34 = good(34);

	assert_non_null(op);
	add(c->drv, 34, true, 1, &ok34);
	add(c->drv, 35, true, 2, wrong); /* block 36 matches neither alternative */

	/* 0x55: NVDEC0 disabled, index 35 not compared (NVIDIA: is_msr_35_valid = False) */
	op->has_nvdec0_status = true;
	op->nvdec0_status = 0x55;
	assert_int_equal(compare(c, c->drv, NULL, op), CCG_OK);
	assert_true(c->out.driver_match);

	/* 0x55 skips only index 35: index 34 is still compared */
	c->r->values[34][5] ^= 1;
	assert_int_equal(compare(c, c->drv, NULL, op), CCG_ERR_MEASUREMENT_MISMATCH);
	assert_string_equal(c->err.where, "golden.driver[34]");
	assert_int_equal(c->out.num_mismatches, 1);
	c->r->values[34][5] ^= 1;

	/* 0xAA: enabled, compared */
	op->nvdec0_status = 0xAA;
	assert_int_equal(compare(c, c->drv, NULL, op), CCG_ERR_MEASUREMENT_MISMATCH);
	assert_string_equal(c->err.where, "golden.driver[35]");

	/* absent: compared (fail closed) */
	op->has_nvdec0_status = false;
	assert_int_equal(compare(c, c->drv, NULL, op), CCG_ERR_MEASUREMENT_MISMATCH);
	assert_int_equal(compare(c, c->drv, NULL, NULL), CCG_ERR_MEASUREMENT_MISMATCH);

	/* any other value: refused, as NVIDIA's SDK does */
	op->has_nvdec0_status = true;
	op->nvdec0_status = 0x12;
	assert_int_equal(compare(c, c->drv, NULL, op), CCG_ERR_MALFORMED);
	assert_string_equal(c->err.where, "opaque.NVDEC0_STATUS");
	free(op);
}

static void test_missing_block(void **state)
{
	struct golden_case *c = *state;
	uint8_t p49 = good(49), p50 = good(50), p60 = good(60);

	c->r->resp.num_blocks = 50;     /* blocks 1..50 */
	add(c->drv, 49, true, 1, &p49); /* block 50: present */
	add(c->drv, 50, true, 1, &p50); /* block 51: absent */
	add(c->drv, 60, true, 1, &p60); /* block 61: absent */
	assert_int_equal(compare(c, c->drv, NULL, NULL), CCG_ERR_MEASUREMENT_MISMATCH);
	assert_string_equal(c->err.where, "golden.driver[50]");
	assert_non_null(strstr(c->err.detail, "absent"));
	assert_int_equal(c->out.num_mismatches, 2);
	assert_true(c->out.mismatches[0].missing && c->out.mismatches[1].missing);
	assert_int_equal(c->out.mismatches[1].rim_index, 60);
}

static void test_bad_args(void **state)
{
	struct golden_case *c = *state;

	assert_int_equal(compare(c, NULL, NULL, NULL), CCG_ERR_INVALID_ARG);
	ccg_error_clear(&c->err);
	assert_int_equal(ccg_nvgpu_golden_compare(&c->drv->rim, NULL, NULL, NULL, &c->out, &c->err),
			 CCG_ERR_INVALID_ARG);
}

/* ---------- real data: the VBIOS RIM against the H100 580.159.03 report ---------- */

/*
 * A test-only walk of the MEASUREMENTS record (DSP0274: 37-byte SPDM 1.1
 * request, then the response header of 8 bytes, then blocks of index(1)
 * spec(1) size(2) {type(1) value_size(2) value}); the real parser is
 * attest/gpu/spdm.c's job.
 */
static void load_580_blocks(uint8_t **raw, struct ccg_spdm_meas_response *resp)
{
	size_t len, off, rec_len;
	uint8_t *d = td_read_hex("nvidia/hopper-580.159.03/report.hex", &len);
	const uint8_t *r = d + 37;

	assert_true(len > 37 + 8);
	assert_int_equal(r[1], 0x60);
	resp->num_blocks = r[4];
	rec_len = (size_t)r[5] | (size_t)r[6] << 8 | (size_t)r[7] << 16;
	assert_true(37 + 8 + rec_len <= len);
	off = 8;
	for (size_t i = 0; i < resp->num_blocks; i++) {
		struct ccg_spdm_meas_block *b = &resp->blocks[i];
		size_t size = (size_t)r[off + 2] | (size_t)r[off + 3] << 8;
		size_t vs = (size_t)r[off + 5] | (size_t)r[off + 6] << 8;

		assert_true(off + 4 + size <= 8 + rec_len);
		assert_int_equal(vs + 3, size);
		b->index = r[off];
		b->spec = r[off + 1];
		b->dmtf_type = r[off + 4];
		b->value.data = r + off + 7;
		b->value.len = vs;
		off += 4 + size;
	}
	assert_int_equal(off, 8 + rec_len);
	*raw = d;
}

static void test_real_vbios_rim_vs_580_report(void **state)
{
	size_t xml_len;
	uint8_t *xml = td_read("nvidia/rims/NV_GPU_VBIOS_1010_0205_862_9600740020.xml", &xml_len);
	struct ccg_spdm_meas_response *resp = calloc(1, sizeof(*resp));
	struct ccg_golden_result out;
	struct ccg_rim *rim = NULL;
	struct ccg_error err;
	uint8_t *raw = NULL;

	(void)state;
	assert_non_null(resp);
	ccg_error_clear(&err);
	assert_int_equal(ccg_rim_parse(xml, xml_len, &rim, &err), CCG_OK);
	load_580_blocks(&raw, resp);
	assert_int_equal(resp->num_blocks, 64);
	ccg_error_clear(&err);
	assert_int_equal(ccg_nvgpu_golden_compare(NULL, rim, resp, NULL, &out, &err), CCG_ERR_MEASUREMENT_MISMATCH);
	/* 11 of 12 active entries match; RIM index 9 (SPDM block 10) does not */
	assert_int_equal(out.num_mismatches, 1);
	assert_int_equal(out.mismatches[0].rim_index, 9);
	assert_false(out.mismatches[0].missing);
	assert_string_equal(err.where, "golden.vbios[9]");
	assert_false(out.vbios_match);
	assert_false(out.driver_checked);
	ccg_rim_free(rim);
	free(resp);
	free(raw);
	free(xml);
}

/* ---------- RIM ids ---------- */

static void set_opaque(struct ccg_nv_opaque *op, const char *drv, const char *vbios, const char *project,
		       const char *sku, const char *chip_sku)
{
	memset(op, 0, sizeof(*op));
	snprintf(op->driver_version, sizeof(op->driver_version), "%s", drv);
	snprintf(op->vbios_version, sizeof(op->vbios_version), "%s", vbios);
	snprintf(op->project, sizeof(op->project), "%s", project);
	snprintf(op->project_sku, sizeof(op->project_sku), "%s", sku);
	snprintf(op->chip_sku, sizeof(op->chip_sku), "%s", chip_sku);
}

/* ccg_nvgpu_rim_ids refuses op with want, naming where */
static void rim_ids_refused(enum ccg_nvgpu_arch arch, const struct ccg_nv_opaque *op, enum ccg_status want,
			    const char *where)
{
	char d[CCG_RIM_ID_MAX], v[CCG_RIM_ID_MAX];
	struct ccg_error err;

	ccg_error_clear(&err);
	assert_int_equal(ccg_nvgpu_rim_ids(arch, op, d, v, &err), want);
	assert_string_equal(err.where, where);
}

static void test_rim_ids(void **state)
{
	struct ccg_nv_opaque *op = calloc(1, sizeof(*op));
	char d[CCG_RIM_ID_MAX], v[CCG_RIM_ID_MAX];
	struct ccg_error err;
	static const uint8_t chip[8] = {'G', 'B', '2', '0', '2', 0, 0, 0};

	(void)state;
	assert_non_null(op);
	/* the two real Hopper reports (README) */
	set_opaque(op, "550.90.07", "96.00.9F.00.01", "1010", "0200", "882");
	ccg_error_clear(&err);
	assert_int_equal(ccg_nvgpu_rim_ids(CCG_NVGPU_ARCH_HOPPER, op, d, v, &err), CCG_OK);
	assert_string_equal(d, "NV_GPU_DRIVER_GH100_550.90.07");
	assert_string_equal(v, "NV_GPU_VBIOS_1010_0200_882_96009F0001");
	set_opaque(op, "580.159.03", "96.00.74.00.20", "1010", "0205", "862");
	assert_int_equal(ccg_nvgpu_rim_ids(CCG_NVGPU_ARCH_HOPPER, op, d, v, &err), CCG_OK);
	assert_string_equal(v, "NV_GPU_VBIOS_1010_0205_862_9600740020");

	/* Blackwell: NV_GPU_CC_DRIVER_<CHIP_INFO, default GB100>_<driver>; VBIOS ids as on Hopper */
	set_opaque(op, "595.91.07", "97.00.e4.00.1e", "G525", "0220", "886");
	assert_int_equal(ccg_nvgpu_rim_ids(CCG_NVGPU_ARCH_BLACKWELL, op, d, v, &err), CCG_OK);
	assert_string_equal(d, "NV_GPU_CC_DRIVER_GB100_595.91.07");
	assert_string_equal(v, "NV_GPU_VBIOS_G525_0220_886_9700E4001E");
	op->num_fields = 1;
	op->fields[0].id = CCG_NV_OPAQUE_CHIP_INFO;
	op->fields[0].value.data = chip;
	op->fields[0].value.len = sizeof(chip);
	assert_int_equal(ccg_nvgpu_rim_ids(CCG_NVGPU_ARCH_BLACKWELL, op, d, v, &err), CCG_OK);
	assert_string_equal(d, "NV_GPU_CC_DRIVER_GB202_595.91.07");
	op->fields[0].value.len = 3; /* "GB2" */
	assert_int_equal(ccg_nvgpu_rim_ids(CCG_NVGPU_ARCH_BLACKWELL, op, d, v, &err), CCG_OK);
	assert_string_equal(d, "NV_GPU_CC_DRIVER_GB2_595.91.07");
	op->fields[0].value.len = 0;
	rim_ids_refused(CCG_NVGPU_ARCH_BLACKWELL, op, CCG_ERR_MALFORMED, "opaque.CHIP_INFO");

	/* a required field missing or unsafe in a file name / URL */
	set_opaque(op, "", "96.00.74.00.20", "1010", "0205", "862");
	rim_ids_refused(CCG_NVGPU_ARCH_HOPPER, op, CCG_ERR_MALFORMED, "opaque.DRIVER_VERSION");
	set_opaque(op, "580.159.03", "96.00.74.00.20", "10/0", "0205", "862");
	rim_ids_refused(CCG_NVGPU_ARCH_HOPPER, op, CCG_ERR_MALFORMED, "opaque.PROJECT");
	set_opaque(op, "580.159.03", "96.00.74.00.20", "1010", "0205", "");
	rim_ids_refused(CCG_NVGPU_ARCH_HOPPER, op, CCG_ERR_MALFORMED, "opaque.CHIP_SKU");
	set_opaque(op, "580.159.03", "96.00.74.00.20", "1010", "0205", "862");
	ccg_error_clear(&err);
	assert_int_equal(ccg_nvgpu_rim_ids((enum ccg_nvgpu_arch)9, op, d, v, &err), CCG_ERR_UNSUPPORTED);
	free(op);
}

/* a test of a hand-built case */
#define CASE(test) cmocka_unit_test_setup_teardown(test, case_setup, case_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		CASE(test_all_match),
		CASE(test_mismatches_listed_and_named),
		CASE(test_alternatives),
		CASE(test_inactive_ignored),
		CASE(test_conflict),
		CASE(test_nvdec0_rule),
		CASE(test_missing_block),
		CASE(test_bad_args),
		cmocka_unit_test(test_real_vbios_rim_vs_580_report),
		cmocka_unit_test(test_rim_ids),
	};

	td_require();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
