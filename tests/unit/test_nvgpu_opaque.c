/* SPDX-License-Identifier: Apache-2.0 */
#include <stdarg.h>
#include <setjmp.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "attest/gpu/nvgpu_opaque.h"
#include "attest/gpu/spdm.h"
#include "attest/pki/x509_chain.h"
#include "common/buf.h"
#include "common/crypto.h"
#include "common/encoding.h"
#include "common/json.h"
#include "testdata.h"

#define OK(x) assert_int_equal((x), CCG_OK)
#define R550 "nvidia/hopper-550.90.07/"
#define R580 "nvidia/hopper-580.159.03/"

struct real {
	uint8_t *report;
	struct ccg_spdm_meas_response resp;
	struct ccg_nv_opaque op;
};

/* Loads a real report and parses its opaque data; free with free_real. */
static struct real *load_real(const char *dir)
{
	struct real *r = calloc(1, sizeof(*r));
	struct ccg_spdm_meas_request req;
	struct ccg_cursor c;
	char rel[256];
	size_t len;
	struct ccg_error err;

	assert_non_null(r);
	snprintf(rel, sizeof(rel), "%sreport.hex", dir);
	r->report = td_read_hex(rel, &len);
	ccg_cursor_init(&c, r->report, len);
	OK(ccg_spdm_meas_request_parse(&c, &req, NULL));
	OK(ccg_spdm_meas_response_parse(c.data, c.len, req.version, CCG_SPDM_P384_SIG_LEN, &r->resp, NULL));
	ccg_error_clear(&err);
	OK(ccg_nv_opaque_parse(r->resp.opaque.data, r->resp.opaque.len, &r->op, &err));
	return r;
}

static void free_real(struct real *r)
{
	free(r->report);
	free(r);
}

static void test_real_550(void **state)
{
	struct real *r = load_real(R550);
	STACK_OF(X509) *sk = NULL;
	uint8_t fwid[48];

	(void)state;
	assert_string_equal(r->op.driver_version, "550.90.07");
	assert_string_equal(r->op.vbios_version, "96.00.9F.00.01");
	assert_string_equal(r->op.project, "1010");
	assert_string_equal(r->op.project_sku, "0200");
	assert_string_equal(r->op.chip_sku, "882");
	assert_true(r->op.has_nvdec0_status);
	assert_int_equal(r->op.nvdec0_status, 0x55);
	assert_int_equal(r->op.msrscnt_len, 64);
	assert_int_equal(r->op.num_fields, 14);
	/* FWID equals the leaf certificate's DICE TcbInfo FWID */
	assert_int_equal(r->op.fwid.len, 48);
	OK(ccg_pem_certs_load(td_path(R550 "chain.pem"), 10, &sk, NULL));
	OK(ccg_cert_fwid(sk_X509_value(sk, 0), fwid, NULL));
	assert_memory_equal(r->op.fwid.data, fwid, 48);
	sk_X509_pop_free(sk, X509_free);
	free_real(r);
}

/* Golden: every opaque field against NVIDIA's own parse of the 580 report, by name. */
static void test_golden_580(void **state)
{
	struct real *r = load_real(R580);
	size_t len;
	uint8_t *txt = td_read(R580 "spdm_parsed_output.json", &len);
	json_t *j = NULL, *fields, *v;
	const char *name;
	size_t compared = 0;

	(void)state;
	OK(ccg_json_parse(txt, len, 1u << 20, "golden", &j, NULL));
	fields = json_object_get(json_object_get(j, "OpaqueData"), "OpaqueDataField");
	assert_non_null(fields);
	/* every field NVIDIA names is here with the same bytes */
	json_object_foreach(fields, name, v) {
		const struct ccg_nv_opaque_field *f = NULL;

		for (size_t i = 0; i < r->op.num_fields && f == NULL; i++) {
			const char *n = ccg_nv_opaque_id_name(r->op.fields[i].id);

			if (n != NULL && strcmp(n, name) == 0)
				f = &r->op.fields[i];
		}
		if (f == NULL)
			fail_msg("%s is in NVIDIA's parse but not in ours", name);
		if (f->id == CCG_NV_OPAQUE_MSRSCNT) {
			assert_true(json_is_array(v));
			assert_int_equal(json_array_size(v), r->op.msrscnt_len);
			for (size_t i = 0; i < r->op.msrscnt_len; i++) {
				assert_true(json_is_integer(json_array_get(v, i)));
				assert_int_equal(json_integer_value(json_array_get(v, i)), r->op.msrscnt[i]);
			}
		} else {
			char *hex = ccg_hex_encode_alloc(f->value.data, f->value.len);

			assert_true(json_is_string(v));
			assert_non_null(hex);
			assert_true(strncmp(json_string_value(v), "0x", 2) == 0);
			assert_string_equal(json_string_value(v) + 2, hex);
			free(hex);
		}
		compared++;
	}
	assert_int_equal(compared, 14);
	/*
	 * ours holds two more: ids NVIDIA's parser of that time did not know
	 * (OPAQUE_DATA_VERSION 34, FEATURE_FLAG 36); NVIDIA drops unknown ids
	 */
	assert_int_equal(r->op.num_fields, 16);
	for (size_t i = 0; i < r->op.num_fields; i++) {
		const char *n = ccg_nv_opaque_id_name(r->op.fields[i].id);

		assert_non_null(n);
		if (json_object_get(fields, n) == NULL)
			assert_true(r->op.fields[i].id == CCG_NV_OPAQUE_OPAQUE_DATA_VERSION ||
				    r->op.fields[i].id == CCG_NV_OPAQUE_FEATURE_FLAG);
	}
	/* decoded values, as NVIDIA's verifiers show them */
	assert_string_equal(r->op.driver_version, "580.159.03");
	assert_string_equal(r->op.vbios_version, "96.00.74.00.20");
	assert_string_equal(r->op.project, "1010");
	assert_string_equal(r->op.project_sku, "0205");
	assert_string_equal(r->op.chip_sku, "862");
	assert_int_equal(r->op.nvdec0_status, 0x55);
	json_decref(j);
	free(txt);
	free_real(r);
}

static void test_id_names(void **state)
{
	(void)state;
	assert_string_equal(ccg_nv_opaque_id_name(3), "OPAQUE_FIELD_ID_DRIVER_VERSION");
	assert_string_equal(ccg_nv_opaque_id_name(6), "OPAQUE_FIELD_ID_VBIOS_VERSION");
	assert_string_equal(ccg_nv_opaque_id_name(20), "OPAQUE_FIELD_ID_FWID");
	assert_string_equal(ccg_nv_opaque_id_name(32), "OPAQUE_FIELD_ID_GPU_LINK_CONN");
	assert_string_equal(ccg_nv_opaque_id_name(36), "OPAQUE_FIELD_ID_FEATURE_FLAG");
	assert_null(ccg_nv_opaque_id_name(0));
	assert_string_equal(ccg_nv_opaque_id_name(26), "OPAQUE_FIELD_ID_SWITCH_GPU_PDIS");
	assert_null(ccg_nv_opaque_id_name(27));
	assert_null(ccg_nv_opaque_id_name(31));
	assert_null(ccg_nv_opaque_id_name(37));
	assert_null(ccg_nv_opaque_id_name(255));
	assert_null(ccg_nv_opaque_id_name(0xFFFF));
}

/* Every truncation either fails as TRUNCATED or, at a TLV boundary, parses fewer fields. */
static void test_truncate_every_length(void **state)
{
	struct real *r = load_real(R580);
	size_t full = r->resp.opaque.len, boundary = 0, next = 0;
	struct ccg_nv_opaque *op = calloc(1, sizeof(*op));

	(void)state;
	for (size_t n = 0; n < full; n++) {
		uint8_t *copy = malloc(n != 0 ? n : 1);
		enum ccg_status st;
		struct ccg_error err;

		memcpy(copy, r->resp.opaque.data, n);
		ccg_error_clear(&err);
		st = ccg_nv_opaque_parse(copy, n, op, &err);
		if (n == boundary) {
			OK(st);
			assert_int_equal(op->num_fields, next);
			if (next < r->op.num_fields)
				boundary += 4 + r->op.fields[next++].value.len;
		} else {
			assert_int_equal(st, CCG_ERR_TRUNCATED);
			assert_non_null(strstr(err.where, "nvgpu.opaque.field["));
			assert_int_equal(op->num_fields, 0);
		}
		free(copy);
	}
	free(op);
	free_real(r);
}

/* TLV builder for hand-made opaque data */
static void tlv(struct ccg_buf *b, uint16_t id, const void *v, size_t len)
{
	OK(ccg_buf_append_u16le(b, id));
	OK(ccg_buf_append_u16le(b, (uint16_t)len));
	OK(ccg_buf_append(b, v, len));
}

static enum ccg_status parse_buf(struct ccg_buf *b, struct ccg_nv_opaque *op, struct ccg_error *err)
{
	enum ccg_status st;

	ccg_error_clear(err);
	st = ccg_nv_opaque_parse(b->data, b->len, op, err);
	ccg_buf_cleanup(b);
	return st;
}

static void test_vbios_format(void **state)
{
	static const uint8_t v[] = {0x00, 0x74, 0x00, 0x96, 0x20, 0x00, 0x00, 0x00};
	static const uint8_t lower[] = {0xab, 0xcd, 0xef, 0x12, 0x3f, 0x00, 0x00, 0x00};
	struct ccg_nv_opaque *op = calloc(1, sizeof(*op));
	struct ccg_buf b;
	struct ccg_error err;

	(void)state;
	ccg_buf_init(&b, 0);
	tlv(&b, CCG_NV_OPAQUE_VBIOS_VERSION, v, sizeof(v));
	OK(parse_buf(&b, op, &err));
	assert_string_equal(op->vbios_version, "96.00.74.00.20");
	tlv(&b, CCG_NV_OPAQUE_VBIOS_VERSION, lower, sizeof(lower));
	OK(parse_buf(&b, op, &err));
	assert_string_equal(op->vbios_version, "12.EF.CD.AB.3F");
	tlv(&b, CCG_NV_OPAQUE_VBIOS_VERSION, v, 7);
	assert_int_equal(parse_buf(&b, op, &err), CCG_ERR_MALFORMED);
	assert_string_equal(err.where, "nvgpu.opaque.OPAQUE_FIELD_ID_VBIOS_VERSION");
	assert_string_equal(op->vbios_version, "");
	free(op);
}

static void test_strings(void **state)
{
	struct ccg_nv_opaque *op = calloc(1, sizeof(*op));
	struct ccg_buf b;
	struct ccg_error err;
	char longer[80];

	(void)state;
	ccg_buf_init(&b, 0);
	tlv(&b, CCG_NV_OPAQUE_DRIVER_VERSION, "550.90.07", 9); /* no NUL */
	assert_int_equal(parse_buf(&b, op, &err), CCG_ERR_MALFORMED);
	assert_string_equal(err.where, "nvgpu.opaque.OPAQUE_FIELD_ID_DRIVER_VERSION");
	tlv(&b, CCG_NV_OPAQUE_PROJECT, "1010\0x", 6); /* byte after the padding */
	assert_int_equal(parse_buf(&b, op, &err), CCG_ERR_MALFORMED);
	assert_string_equal(err.where, "nvgpu.opaque.OPAQUE_FIELD_ID_PROJECT");
	tlv(&b, CCG_NV_OPAQUE_CHIP_SKU, "8\n2\0", 4); /* not printable */
	assert_int_equal(parse_buf(&b, op, &err), CCG_ERR_MALFORMED);
	tlv(&b, CCG_NV_OPAQUE_PROJECT_SKU, "", 0);
	assert_int_equal(parse_buf(&b, op, &err), CCG_ERR_MALFORMED);
	memset(longer, 'A', sizeof(longer));
	longer[sizeof(longer) - 1] = '\0';
	tlv(&b, CCG_NV_OPAQUE_DRIVER_VERSION, longer, sizeof(longer));
	assert_int_equal(parse_buf(&b, op, &err), CCG_ERR_TOO_LARGE);
	/* the longest that fits, NUL padded */
	memset(longer + CCG_NV_VERSION_MAX - 1, 0, sizeof(longer) - (CCG_NV_VERSION_MAX - 1));
	tlv(&b, CCG_NV_OPAQUE_DRIVER_VERSION, longer, sizeof(longer));
	OK(parse_buf(&b, op, &err));
	assert_int_equal(strlen(op->driver_version), CCG_NV_VERSION_MAX - 1);
	free(op);
}

static void test_fixed_sizes(void **state)
{
	struct ccg_nv_opaque *op = calloc(1, sizeof(*op));
	struct ccg_buf b;
	struct ccg_error err;
	uint8_t bytes[2 * 4 * CCG_NV_MSRSCNT_MAX] = {0};

	(void)state;
	ccg_buf_init(&b, 0);
	tlv(&b, CCG_NV_OPAQUE_NVDEC0_STATUS, "\x55\x55", 2);
	assert_int_equal(parse_buf(&b, op, &err), CCG_ERR_MALFORMED);
	assert_string_equal(err.where, "nvgpu.opaque.OPAQUE_FIELD_ID_NVDEC0_STATUS");
	tlv(&b, CCG_NV_OPAQUE_FWID, bytes, 47);
	assert_int_equal(parse_buf(&b, op, &err), CCG_ERR_MALFORMED);
	assert_string_equal(err.where, "nvgpu.opaque.OPAQUE_FIELD_ID_FWID");
	tlv(&b, CCG_NV_OPAQUE_MSRSCNT, bytes, 5);
	assert_int_equal(parse_buf(&b, op, &err), CCG_ERR_MALFORMED);
	assert_string_equal(err.where, "nvgpu.opaque.OPAQUE_FIELD_ID_MSRSCNT");
	tlv(&b, CCG_NV_OPAQUE_MSRSCNT, bytes, 4 * (CCG_NV_MSRSCNT_MAX + 1));
	assert_int_equal(parse_buf(&b, op, &err), CCG_ERR_TOO_LARGE);
	bytes[4] = 0x01;
	bytes[7] = 0x80;
	tlv(&b, CCG_NV_OPAQUE_MSRSCNT, bytes, 4 * CCG_NV_MSRSCNT_MAX);
	tlv(&b, CCG_NV_OPAQUE_NVDEC0_STATUS, "\xAA", 1);
	OK(parse_buf(&b, op, &err));
	assert_int_equal(op->msrscnt_len, CCG_NV_MSRSCNT_MAX);
	assert_int_equal(op->msrscnt[0], 0);
	assert_int_equal(op->msrscnt[1], 0x80000001u);
	assert_int_equal(op->nvdec0_status, 0xAA);
	free(op);
}

static void test_duplicates_unknown_and_limits(void **state)
{
	struct ccg_nv_opaque *op = calloc(1, sizeof(*op));
	struct ccg_buf b;
	struct ccg_error err;

	(void)state;
	ccg_buf_init(&b, 0);
	tlv(&b, CCG_NV_OPAQUE_NVDEC0_STATUS, "\x55", 1);
	tlv(&b, CCG_NV_OPAQUE_DRIVER_VERSION, "1.0\0", 4);
	tlv(&b, CCG_NV_OPAQUE_NVDEC0_STATUS, "\xAA", 1);
	assert_int_equal(parse_buf(&b, op, &err), CCG_ERR_DUPLICATE);
	assert_string_equal(err.where, "nvgpu.opaque.OPAQUE_FIELD_ID_NVDEC0_STATUS");
	assert_false(op->has_nvdec0_status);
	/* an unknown id (twice) is kept, not decoded */
	tlv(&b, 0x7777, "abc", 3);
	tlv(&b, 0x7777, "", 0);
	tlv(&b, CCG_NV_OPAQUE_BOARD_ID, "\xb1\x03\x00\x00", 4);
	OK(parse_buf(&b, op, &err));
	assert_int_equal(op->num_fields, 3);
	assert_int_equal(op->fields[0].id, 0x7777);
	assert_int_equal(op->fields[0].value.len, 3);
	assert_non_null(ccg_nv_opaque_find(op, CCG_NV_OPAQUE_BOARD_ID));
	assert_null(ccg_nv_opaque_find(op, CCG_NV_OPAQUE_FWID));
	assert_int_equal(op->fwid.len, 0);
	assert_false(op->has_nvdec0_status);
	/* at most CCG_NV_OPAQUE_MAX_FIELDS fields */
	for (int i = 0; i < CCG_NV_OPAQUE_MAX_FIELDS; i++)
		tlv(&b, 0x1000, "", 0);
	OK(parse_buf(&b, op, &err));
	for (int i = 0; i <= CCG_NV_OPAQUE_MAX_FIELDS; i++)
		tlv(&b, 0x1000, "", 0);
	assert_int_equal(parse_buf(&b, op, &err), CCG_ERR_TOO_LARGE);
	assert_string_equal(err.where, "nvgpu.opaque");
	/* empty opaque data */
	OK(ccg_nv_opaque_parse(NULL, 0, op, NULL));
	assert_int_equal(op->num_fields, 0);
	free(op);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_real_550),     cmocka_unit_test(test_golden_580),
		cmocka_unit_test(test_id_names),     cmocka_unit_test(test_truncate_every_length),
		cmocka_unit_test(test_vbios_format), cmocka_unit_test(test_strings),
		cmocka_unit_test(test_fixed_sizes),  cmocka_unit_test(test_duplicates_unknown_and_limits),
	};

	td_require();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
