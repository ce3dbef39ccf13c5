/* SPDX-License-Identifier: Apache-2.0 */
#include <stdarg.h>
#include <setjmp.h>
#include <stddef.h>
#include <cmocka.h>
#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>

#include "attest/gpu/spdm.h"
#include "common/buf.h"
#include "common/crypto.h"
#include "common/encoding.h"
#include "common/json.h"
#include "testdata.h"

#define OK(x) assert_int_equal((x), CCG_OK)
#define R550 "nvidia/hopper-550.90.07/"
#define R580 "nvidia/hopper-580.159.03/"

struct report {
	struct ccg_spdm_meas_request req;
	struct ccg_spdm_meas_response resp;
};

/* Parses request ‖ response the way the real reports lay them out. */
static enum ccg_status parse_report(const uint8_t *data, size_t len, struct report *r, struct ccg_error *err)
{
	struct ccg_cursor c;
	enum ccg_status st;

	ccg_cursor_init(&c, data, len);
	st = ccg_spdm_meas_request_parse(&c, &r->req, err);
	if (st != CCG_OK)
		return st;
	return ccg_spdm_meas_response_parse(c.data, c.len, r->req.version,
					    r->req.sig_requested ? CCG_SPDM_P384_SIG_LEN : 0, &r->resp, err);
}

static EVP_PKEY *leaf_key(const char *dir)
{
	char rel[256];
	STACK_OF(X509) *sk = NULL;
	EVP_PKEY *k;

	snprintf(rel, sizeof(rel), "%schain.pem", dir);
	OK(ccg_pem_certs_load(td_path(rel), 10, &sk, NULL));
	k = X509_get_pubkey(sk_X509_value(sk, 0));
	assert_non_null(k);
	sk_X509_pop_free(sk, X509_free);
	return k;
}

static uint8_t *read_hex(const char *dir, const char *name, size_t *len)
{
	char rel[256];

	snprintf(rel, sizeof(rel), "%s%s", dir, name);
	return td_read_hex(rel, len);
}

static void check_real(const char *dir, size_t want_len)
{
	size_t len, nonce_len;
	uint8_t *rep = read_hex(dir, "report.hex", &len);
	uint8_t *nonce = read_hex(dir, "nonce.hex", &nonce_len);
	struct report *r = calloc(1, sizeof(*r));
	EVP_PKEY *key = leaf_key(dir);
	struct ccg_error err;
	uint8_t *msg = NULL;
	size_t msg_len = 0;

	assert_int_equal(len, want_len);
	ccg_error_clear(&err);
	OK(parse_report(rep, len, r, &err));
	assert_int_equal(r->req.raw.len, 37);
	assert_int_equal(r->req.version, 0x11);
	assert_true(r->req.sig_requested);
	assert_int_equal(r->req.param2, 0xFF);
	assert_int_equal(nonce_len, CCG_SPDM_NONCE_LEN);
	assert_memory_equal(r->req.nonce, nonce, CCG_SPDM_NONCE_LEN);
	assert_int_equal(r->resp.num_blocks, 64);
	assert_int_equal(r->resp.record_len, 64 * (4 + 3 + 48));
	for (size_t i = 0; i < 64; i++) {
		assert_int_equal(r->resp.blocks[i].index, i + 1);
		assert_int_equal(r->resp.blocks[i].spec, SPDM_MEAS_SPEC_DMTF);
		assert_int_equal(r->resp.blocks[i].value.len, CCG_SHA384_LEN);
		assert_int_equal(r->resp.blocks[i].raw.len, 4 + 3 + 48);
	}
	assert_int_equal(r->resp.signature.len, CCG_SPDM_P384_SIG_LEN);
	assert_int_equal(r->resp.raw.len, len - 37);
	assert_int_equal(r->resp.signed_len, len - 37 - 96);
	assert_int_equal(r->resp.context.len, 0);
	/* SPDM 1.1: the signed message is request ‖ response up to the signature */
	OK(ccg_spdm_meas_signed_message(&r->req, &r->resp, NULL, 0, &msg, &msg_len, NULL));
	assert_int_equal(msg_len, len - 96);
	assert_memory_equal(msg, rep, len - 96);
	OK(ccg_spdm_meas_verify(&r->req, &r->resp, NULL, 0, key, &err));
	free(msg);
	EVP_PKEY_free(key);
	free(r);
	free(nonce);
	free(rep);
}

static void test_real_550(void **state)
{
	(void)state;
	check_real(R550, 4117);
}

static void test_real_580(void **state)
{
	(void)state;
	check_real(R580, 4130);
}

/* "0x..." JSON string equals the bytes */
static void assert_hex_json(const json_t *obj, const char *key, const uint8_t *data, size_t len)
{
	const char *s;
	char *hex = ccg_hex_encode_alloc(data, len);

	OK(ccg_json_get_string(obj, key, &s, "golden", NULL));
	assert_non_null(hex);
	assert_true(strncmp(s, "0x", 2) == 0);
	assert_string_equal(s + 2, hex);
	free(hex);
}

static void assert_byte_json(const json_t *obj, const char *key, uint8_t v)
{
	assert_hex_json(obj, key, &v, 1);
}

static json_t *load_json(const char *rel)
{
	size_t len;
	uint8_t *txt = td_read(rel, &len);
	json_t *j = NULL;

	OK(ccg_json_parse(txt, len, 1u << 20, rel, &j, NULL));
	free(txt);
	return j;
}

/* Golden: NVIDIA's own parse of the 580 report, field by field and block by block. */
static void test_golden_580(void **state)
{
	size_t len;
	uint8_t *rep = read_hex(R580, "report.hex", &len);
	struct report *r = calloc(1, sizeof(*r));
	json_t *jreq = load_json(R580 "spdm_req_parsed_output.json");
	json_t *jresp = load_json(R580 "spdm_parsed_output.json");
	json_t *rec, *blocks;
	int64_t v;
	uint8_t u24[3];

	(void)state;
	OK(parse_report(rep, len, r, NULL));
	/* request */
	assert_byte_json(jreq, "SPDMVersion", r->req.version);
	assert_byte_json(jreq, "RequestResponseCode", r->req.raw.data[1]);
	assert_byte_json(jreq, "Param1", r->req.param1);
	assert_byte_json(jreq, "Param2", r->req.param2);
	assert_hex_json(jreq, "Nonce", r->req.nonce, CCG_SPDM_NONCE_LEN);
	assert_byte_json(jreq, "SlotIDParam", r->req.slot_id);
	assert_int_equal(json_object_size(jreq), 6);
	/* response */
	assert_byte_json(jresp, "SPDMVersion", r->resp.version);
	assert_byte_json(jresp, "RequestResponseCode", r->resp.raw.data[1]);
	assert_byte_json(jresp, "Param1", r->resp.param1);
	assert_byte_json(jresp, "Param2", r->resp.param2);
	OK(ccg_json_get_int(jresp, "NumberOfBlocks", 0, 255, &v, "golden", NULL));
	assert_int_equal(v, r->resp.num_blocks);
	OK(ccg_json_get_int(jresp, "MeasurementRecordLength", 0, 0xFFFFFF, &v, "golden", NULL));
	assert_int_equal(v, r->resp.record_len);
	u24[0] = r->resp.raw.data[5];
	u24[1] = r->resp.raw.data[6];
	u24[2] = r->resp.raw.data[7];
	assert_int_equal(v, u24[0] | (u24[1] << 8) | (u24[2] << 16));
	assert_hex_json(jresp, "Nonce", r->resp.nonce, CCG_SPDM_NONCE_LEN);
	OK(ccg_json_get_int(jresp, "OpaqueLength", 0, 0xFFFF, &v, "golden", NULL));
	assert_int_equal(v, r->resp.opaque.len);
	assert_hex_json(jresp, "Signature", r->resp.signature.data, r->resp.signature.len);
	rec = json_object_get(jresp, "MeasurementRecord");
	assert_non_null(rec);
	OK(ccg_json_get_int(rec, "NumberOfBlocks", 0, 255, &v, "golden", NULL));
	assert_int_equal(v, r->resp.num_blocks);
	blocks = json_object_get(rec, "MeasurementBlocks");
	assert_non_null(blocks);
	assert_int_equal(json_object_size(blocks), r->resp.num_blocks);
	for (size_t i = 0; i < r->resp.num_blocks; i++) {
		const struct ccg_spdm_meas_block *b = &r->resp.blocks[i];
		char key[8];
		json_t *jb;

		snprintf(key, sizeof(key), "%u", b->index);
		jb = json_object_get(blocks, key);
		assert_non_null(jb);
		OK(ccg_json_get_int(jb, "DMTFSpecMeasurementValueType", 0, 255, &v, "golden", NULL));
		assert_int_equal(v, b->dmtf_type);
		OK(ccg_json_get_int(jb, "DMTFSpecMeasurementValueSize", 0, 0xFFFF, &v, "golden", NULL));
		assert_int_equal(v, b->value.len);
		assert_hex_json(jb, "DMTFSpecMeasurementValue", b->value.data, b->value.len);
	}
	/* the opaque TLVs are compared field by field in test_nvgpu_opaque */
	assert_non_null(json_object_get(jresp, "OpaqueData"));
	json_decref(jreq);
	json_decref(jresp);
	free(r);
	free(rep);
}

/* Every byte of request ‖ response, changed two ways, must fail parsing or the signature. */
static void flip_every_byte(const char *dir)
{
	size_t len;
	uint8_t *rep = read_hex(dir, "report.hex", &len);
	uint8_t *copy = malloc(len);
	struct report *r = calloc(1, sizeof(*r));
	EVP_PKEY *key = leaf_key(dir);
	static const uint8_t masks[] = {0xFF, 0x01};

	for (size_t m = 0; m < sizeof(masks); m++) {
		for (size_t i = 0; i < len; i++) {
			enum ccg_status st;
			struct ccg_error err;

			memcpy(copy, rep, len);
			copy[i] ^= masks[m];
			ccg_error_clear(&err);
			st = parse_report(copy, len, r, &err);
			if (st == CCG_OK)
				st = ccg_spdm_meas_verify(&r->req, &r->resp, NULL, 0, key, &err);
			if (st == CCG_OK)
				fail_msg("byte %zu ^ 0x%02x still verifies", i, masks[m]);
			assert_int_equal(err.status, st);
			assert_true(err.where[0] != '\0');
		}
	}
	EVP_PKEY_free(key);
	free(r);
	free(copy);
	free(rep);
}

static void test_flip_every_byte(void **state)
{
	(void)state;
	flip_every_byte(R550);
}

static void test_truncate_every_length(void **state)
{
	static const char *dirs[] = {R550, R580};

	(void)state;
	for (size_t d = 0; d < 2; d++) {
		size_t len;
		uint8_t *rep = read_hex(dirs[d], "report.hex", &len);
		struct report *r = calloc(1, sizeof(*r));

		for (size_t n = 0; n < len; n++) {
			/* exact-size copy so a read past the end is caught under ASan */
			uint8_t *copy = malloc(n != 0 ? n : 1);
			struct ccg_error err;

			memcpy(copy, rep, n);
			ccg_error_clear(&err);
			assert_int_equal(parse_report(copy, n, r, &err), CCG_ERR_TRUNCATED);
			assert_true(err.where[0] != '\0');
			free(copy);
		}
		free(r);
		free(rep);
	}
}

static void test_trailing_byte(void **state)
{
	size_t len;
	uint8_t *rep = read_hex(R550, "report.hex", &len);
	uint8_t *longer = malloc(len + 1);
	struct report *r = calloc(1, sizeof(*r));
	struct ccg_error err;

	(void)state;
	memcpy(longer, rep, len);
	longer[len] = 0;
	ccg_error_clear(&err);
	assert_int_equal(parse_report(longer, len + 1, r, &err), CCG_ERR_TRAILING_DATA);
	assert_string_equal(err.where, "spdm.response");
	free(r);
	free(longer);
	free(rep);
}

/* ---- hand-built messages ---- */

struct blk {
	uint8_t index, spec, type;
	uint16_t value_len;
	int size_delta; /* added to MeasurementSize: the DMTF value no longer fills it */
};

static void put_request(struct ccg_buf *b, uint8_t version, bool sig)
{
	OK(ccg_buf_append_u8(b, version));
	OK(ccg_buf_append_u8(b, SPDM_GET_MEASUREMENTS));
	OK(ccg_buf_append_u8(b, sig ? 0x01 : 0x00));
	OK(ccg_buf_append_u8(b, 0xFF));
	if (sig) {
		for (int i = 0; i < CCG_SPDM_NONCE_LEN; i++)
			OK(ccg_buf_append_u8(b, (uint8_t)(0xA0 + i)));
		OK(ccg_buf_append_u8(b, 0x00));
	}
	if (version >= 0x13)
		OK(ccg_buf_append(b, "ReqCtx01", CCG_SPDM_CONTEXT_LEN));
}

static void put_response(struct ccg_buf *b, uint8_t version, uint8_t num_blocks, const struct blk *blks, size_t n,
			 uint16_t opaque_len, size_t sig_len)
{
	size_t rec = 0;

	for (size_t i = 0; i < n; i++)
		rec += 4 + 3 + blks[i].value_len + (size_t)blks[i].size_delta;
	OK(ccg_buf_append_u8(b, version));
	OK(ccg_buf_append_u8(b, SPDM_MEASUREMENTS));
	OK(ccg_buf_append_u8(b, 0));
	OK(ccg_buf_append_u8(b, 0));
	OK(ccg_buf_append_u8(b, num_blocks));
	OK(ccg_buf_append_u24le(b, (uint32_t)rec));
	for (size_t i = 0; i < n; i++) {
		OK(ccg_buf_append_u8(b, blks[i].index));
		OK(ccg_buf_append_u8(b, blks[i].spec));
		OK(ccg_buf_append_u16le(b, (uint16_t)(3 + blks[i].value_len + blks[i].size_delta)));
		OK(ccg_buf_append_u8(b, blks[i].type));
		OK(ccg_buf_append_u16le(b, blks[i].value_len));
		for (uint16_t k = 0; k < blks[i].value_len; k++)
			OK(ccg_buf_append_u8(b, (uint8_t)(blks[i].index + k)));
		for (int k = 0; k < blks[i].size_delta; k++)
			OK(ccg_buf_append_u8(b, 0xEE));
	}
	for (int i = 0; i < CCG_SPDM_NONCE_LEN; i++)
		OK(ccg_buf_append_u8(b, (uint8_t)(0x50 + i)));
	OK(ccg_buf_append_u16le(b, opaque_len));
	for (uint16_t i = 0; i < opaque_len; i++)
		OK(ccg_buf_append_u8(b, (uint8_t)i));
	if (version >= 0x13)
		OK(ccg_buf_append(b, "ReqCtx01", CCG_SPDM_CONTEXT_LEN));
	for (size_t i = 0; i < sig_len; i++)
		OK(ccg_buf_append_u8(b, 0));
}

static const struct blk two_blocks[] = {
	{.index = 1, .spec = 1, .type = 1, .value_len = 48},
	{.index = 2, .spec = 1, .type = 0x81, .value_len = 5},
};

/* Parses a response built from blks; returns the status and fills err. */
static enum ccg_status try_response(uint8_t version, uint8_t resp_version, uint8_t num_blocks, const struct blk *blks,
				    size_t n, uint16_t opaque_len, struct ccg_error *err)
{
	struct ccg_buf b;
	struct ccg_spdm_meas_response *resp = calloc(1, sizeof(*resp));
	enum ccg_status st;

	ccg_buf_init(&b, 0);
	put_response(&b, resp_version, num_blocks, blks, n, opaque_len, 0);
	ccg_error_clear(err);
	st = ccg_spdm_meas_response_parse(b.data, b.len, version, 0, resp, err);
	if (st == CCG_OK) {
		assert_int_equal(resp->num_blocks, n);
		assert_int_equal(resp->opaque.len, opaque_len);
	}
	ccg_buf_cleanup(&b);
	free(resp);
	return st;
}

static void test_built_ok(void **state)
{
	struct ccg_error err;

	(void)state;
	OK(try_response(0x11, 0x11, 2, two_blocks, 2, 10, &err));
	OK(try_response(0x12, 0x12, 2, two_blocks, 2, CCG_SPDM_OPAQUE_MAX, &err));
	OK(try_response(0x13, 0x13, 0, NULL, 0, 0, &err));
}

static void test_unknown_spec(void **state)
{
	struct blk b[] = {{.index = 1, .spec = 1, .type = 1, .value_len = 48},
			  {.index = 7, .spec = 2, .type = 1, .value_len = 48}};
	struct ccg_error err;

	(void)state;
	assert_int_equal(try_response(0x11, 0x11, 2, b, 2, 0, &err), CCG_ERR_UNSUPPORTED);
	assert_string_equal(err.where, "spdm.response.block[1].spec");
}

static void test_count_mismatch(void **state)
{
	struct ccg_error err;

	(void)state;
	assert_int_equal(try_response(0x11, 0x11, 3, two_blocks, 2, 0, &err), CCG_ERR_MALFORMED);
	assert_string_equal(err.where, "spdm.response.number_of_blocks");
	assert_int_equal(try_response(0x11, 0x11, 1, two_blocks, 2, 0, &err), CCG_ERR_MALFORMED);
	assert_string_equal(err.where, "spdm.response.number_of_blocks");
	assert_int_equal(try_response(0x11, 0x11, 255, two_blocks, 2, 0, &err), CCG_ERR_MALFORMED);
	assert_int_equal(try_response(0x11, 0x11, 0, two_blocks, 2, 0, &err), CCG_ERR_MALFORMED);
}

static void test_duplicate_and_zero_index(void **state)
{
	struct blk dup[] = {{.index = 3, .spec = 1, .type = 1, .value_len = 48},
			    {.index = 4, .spec = 1, .type = 1, .value_len = 48},
			    {.index = 3, .spec = 1, .type = 1, .value_len = 48}};
	struct blk zero[] = {{.index = 0, .spec = 1, .type = 1, .value_len = 48}};
	struct blk ff[] = {{.index = 0xFE, .spec = 1, .type = 1, .value_len = 16},
			   {.index = 0xFF, .spec = 1, .type = 1, .value_len = 48}};
	struct ccg_error err;

	(void)state;
	assert_int_equal(try_response(0x11, 0x11, 3, dup, 3, 0, &err), CCG_ERR_DUPLICATE);
	assert_string_equal(err.where, "spdm.response.block[2].index");
	assert_int_equal(try_response(0x11, 0x11, 1, zero, 1, 0, &err), CCG_ERR_MALFORMED);
	assert_string_equal(err.where, "spdm.response.block[0].index");
	OK(try_response(0x11, 0x11, 1, ff, 1, 0, &err));
	assert_int_equal(try_response(0x11, 0x11, 2, ff, 2, 0, &err), CCG_ERR_MALFORMED);
	assert_string_equal(err.where, "spdm.response.block[1].index");
}

static void test_value_size_must_fill(void **state)
{
	struct blk over[] = {{.index = 1, .spec = 1, .type = 1, .value_len = 48, .size_delta = 1}};
	struct ccg_error err;
	struct ccg_buf b;
	struct ccg_spdm_meas_response *resp = calloc(1, sizeof(*resp));

	(void)state;
	assert_int_equal(try_response(0x11, 0x11, 1, over, 1, 0, &err), CCG_ERR_MALFORMED);
	assert_string_equal(err.where, "spdm.response.block[0].value_size");
	/* DMTFSpecMeasurementValueSize larger than MeasurementSize allows */
	ccg_buf_init(&b, 0);
	put_response(&b, 0x11, 1, two_blocks, 1, 0, 0);
	b.data[8 + 5] = 49; /* value size low byte: 48 → 49 */
	ccg_error_clear(&err);
	assert_int_equal(ccg_spdm_meas_response_parse(b.data, b.len, 0x11, 0, resp, &err), CCG_ERR_MALFORMED);
	assert_string_equal(err.where, "spdm.response.block[0].value_size");
	/* MeasurementSize too small for the DMTF header */
	b.data[8 + 2] = 2;
	b.data[8 + 3] = 0;
	ccg_error_clear(&err);
	assert_int_equal(ccg_spdm_meas_response_parse(b.data, b.len, 0x11, 0, resp, &err), CCG_ERR_MALFORMED);
	ccg_buf_cleanup(&b);
	free(resp);
}

static void test_versions(void **state)
{
	struct ccg_error err;
	struct ccg_buf b;
	struct ccg_spdm_meas_request req;
	struct ccg_cursor c;

	(void)state;
	assert_int_equal(try_response(0x11, 0x12, 2, two_blocks, 2, 0, &err), CCG_ERR_UNSUPPORTED);
	assert_string_equal(err.where, "spdm.response.version");
	assert_int_equal(try_response(0x10, 0x10, 2, two_blocks, 2, 0, &err), CCG_ERR_UNSUPPORTED);
	assert_int_equal(try_response(0x14, 0x14, 2, two_blocks, 2, 0, &err), CCG_ERR_UNSUPPORTED);
	/* requests: unknown version, wrong code, reserved slot bits */
	ccg_buf_init(&b, 0);
	put_request(&b, 0x10, true);
	ccg_cursor_init(&c, b.data, b.len);
	ccg_error_clear(&err);
	assert_int_equal(ccg_spdm_meas_request_parse(&c, &req, &err), CCG_ERR_UNSUPPORTED);
	assert_string_equal(err.where, "spdm.request.version");
	assert_int_equal(c.len, b.len);
	b.data[0] = 0x11;
	b.data[1] = 0x81; /* GET_DIGESTS */
	ccg_error_clear(&err);
	assert_int_equal(ccg_spdm_meas_request_parse(&c, &req, &err), CCG_ERR_UNSUPPORTED);
	assert_string_equal(err.where, "spdm.request.code");
	b.data[1] = SPDM_GET_MEASUREMENTS;
	b.data[36] = 0x10;
	ccg_error_clear(&err);
	assert_int_equal(ccg_spdm_meas_request_parse(&c, &req, &err), CCG_ERR_MALFORMED);
	assert_string_equal(err.where, "spdm.request.slot_id");
	b.data[36] = 0x03;
	OK(ccg_spdm_meas_request_parse(&c, &req, NULL));
	assert_int_equal(req.slot_id, 3);
	assert_int_equal(c.len, 0);
	ccg_buf_cleanup(&b);
}

static void test_wrong_response_code(void **state)
{
	struct ccg_buf b;
	struct ccg_spdm_meas_response *resp = calloc(1, sizeof(*resp));
	struct ccg_error err;

	(void)state;
	ccg_buf_init(&b, 0);
	put_response(&b, 0x11, 2, two_blocks, 2, 0, 0);
	b.data[1] = 0x7F; /* ERROR */
	ccg_error_clear(&err);
	assert_int_equal(ccg_spdm_meas_response_parse(b.data, b.len, 0x11, 0, resp, &err), CCG_ERR_UNSUPPORTED);
	assert_string_equal(err.where, "spdm.response.code");
	ccg_buf_cleanup(&b);
	free(resp);
}

static void test_oversize_opaque(void **state)
{
	struct ccg_error err;

	(void)state;
	assert_int_equal(try_response(0x11, 0x11, 2, two_blocks, 2, CCG_SPDM_OPAQUE_MAX + 1, &err), CCG_ERR_TOO_LARGE);
	assert_string_equal(err.where, "spdm.response.opaque_length");
}

static void test_no_signature_and_context(void **state)
{
	struct ccg_buf b;
	struct report *r = calloc(1, sizeof(*r));
	struct ccg_error err;
	EVP_PKEY *key = leaf_key(R550);

	(void)state;
	/* 1.1 without a signature: 4-byte request, response ends after the opaque data */
	ccg_buf_init(&b, 0);
	put_request(&b, 0x11, false);
	put_response(&b, 0x11, 2, two_blocks, 2, 3, 0);
	OK(parse_report(b.data, b.len, r, NULL));
	assert_int_equal(r->req.raw.len, 4);
	assert_int_equal(r->resp.signature.len, 0);
	assert_int_equal(r->resp.signed_len, r->resp.raw.len);
	ccg_error_clear(&err);
	assert_int_equal(ccg_spdm_meas_verify(&r->req, &r->resp, NULL, 0, key, &err), CCG_ERR_SIGNATURE);
	assert_string_equal(err.where, "spdm.response.signature");
	ccg_buf_cleanup(&b);
	/* 1.3: RequesterContext after SlotIDParam and after the opaque data */
	put_request(&b, 0x13, true);
	put_response(&b, 0x13, 2, two_blocks, 2, 3, CCG_SPDM_P384_SIG_LEN);
	OK(parse_report(b.data, b.len, r, NULL));
	assert_int_equal(r->req.raw.len, 4 + 32 + 1 + 8);
	assert_int_equal(r->req.context.len, CCG_SPDM_CONTEXT_LEN);
	assert_memory_equal(r->req.context.data, "ReqCtx01", CCG_SPDM_CONTEXT_LEN);
	assert_int_equal(r->resp.context.len, CCG_SPDM_CONTEXT_LEN);
	assert_memory_equal(r->resp.context.data, "ReqCtx01", CCG_SPDM_CONTEXT_LEN);
	ccg_buf_cleanup(&b);
	EVP_PKEY_free(key);
	free(r);
}

/* ---- SPDM 1.2 / 1.3 signed message, built independently from DSP0274's text ---- */

/*
 * DSP0274 1.2 §"Signature generation": combined_spdm_prefix = the string
 * "dmtf-spdm-v1.2.*" four times (64 bytes), then the 36-byte spdm_context:
 * zero bytes followed by "responder-measurements signing" at its end; the
 * signed message is that prefix followed by Hash(L1).
 */
static void expected_12_message(uint8_t version, const uint8_t *l1, size_t l1_len, uint8_t out[148])
{
	const char *prefix = version == 0x12 ? "dmtf-spdm-v1.2.*dmtf-spdm-v1.2.*"
					       "dmtf-spdm-v1.2.*dmtf-spdm-v1.2.*"
					     : "dmtf-spdm-v1.3.*dmtf-spdm-v1.3.*"
					       "dmtf-spdm-v1.3.*dmtf-spdm-v1.3.*";
	const char *ctx = "responder-measurements signing";
	unsigned int md_len = 0;

	assert_int_equal(strlen(prefix), 64);
	assert_int_equal(strlen(ctx), 30);
	memcpy(out, prefix, 64);
	memset(out + 64, 0, 36 - 30);
	memcpy(out + 64 + 6, ctx, 30);
	assert_int_equal(EVP_Digest(l1, l1_len, out + 100, &md_len, EVP_sha384(), NULL), 1);
	assert_int_equal(md_len, 48);
}

/* Signs msg with key (ECDSA P-384, SHA-384), writing raw r ‖ s into sig[96]. */
static void sign_p384(EVP_PKEY *key, const uint8_t *msg, size_t len, uint8_t *sig)
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	uint8_t der[128];
	size_t der_len = sizeof(der);
	const uint8_t *p = der;
	ECDSA_SIG *es;

	assert_non_null(ctx);
	assert_int_equal(EVP_DigestSignInit_ex(ctx, NULL, "SHA384", NULL, NULL, key, NULL), 1);
	assert_int_equal(EVP_DigestSign(ctx, der, &der_len, msg, len), 1);
	es = d2i_ECDSA_SIG(NULL, &p, (long)der_len);
	assert_non_null(es);
	assert_int_equal(BN_bn2binpad(ECDSA_SIG_get0_r(es), sig, 48), 48);
	assert_int_equal(BN_bn2binpad(ECDSA_SIG_get0_s(es), sig + 48, 48), 48);
	ECDSA_SIG_free(es);
	EVP_MD_CTX_free(ctx);
}

static void signed_12(uint8_t version)
{
	EVP_PKEY *key = EVP_EC_gen("P-384");
	EVP_PKEY *other = EVP_EC_gen("P-384");
	struct ccg_buf b;
	struct report *r = calloc(1, sizeof(*r));
	uint8_t want[148], *msg = NULL;
	size_t msg_len = 0, sig_off;
	struct ccg_error err;
	static const uint8_t vca[] = {0x12, 0x04, 0x00, 0x00};

	assert_non_null(key);
	assert_non_null(other);
	ccg_buf_init(&b, 0);
	put_request(&b, version, true);
	put_response(&b, version, 2, two_blocks, 2, 7, CCG_SPDM_P384_SIG_LEN);
	sig_off = b.len - CCG_SPDM_P384_SIG_LEN;
	OK(parse_report(b.data, b.len, r, NULL));
	/* L1 = request ‖ response without the signature, i.e. everything before the signature */
	expected_12_message(version, b.data, sig_off, want);
	OK(ccg_spdm_meas_signed_message(&r->req, &r->resp, NULL, 0, &msg, &msg_len, NULL));
	assert_int_equal(msg_len, sizeof(want));
	assert_memory_equal(msg, want, sizeof(want));
	free(msg);
	sign_p384(key, want, sizeof(want), b.data + sig_off);
	OK(parse_report(b.data, b.len, r, NULL));
	OK(ccg_spdm_meas_verify(&r->req, &r->resp, NULL, 0, key, NULL));
	/* another key, a VCA the signer did not include */
	ccg_error_clear(&err);
	assert_int_equal(ccg_spdm_meas_verify(&r->req, &r->resp, NULL, 0, other, &err), CCG_ERR_SIGNATURE);
	assert_string_equal(err.where, "spdm.response.signature");
	assert_int_equal(ccg_spdm_meas_verify(&r->req, &r->resp, vca, sizeof(vca), key, NULL), CCG_ERR_SIGNATURE);
	/* every byte flipped */
	for (size_t i = 0; i < b.len; i++) {
		enum ccg_status st;

		b.data[i] ^= 0x01;
		st = parse_report(b.data, b.len, r, NULL);
		if (st == CCG_OK)
			st = ccg_spdm_meas_verify(&r->req, &r->resp, NULL, 0, key, NULL);
		if (st == CCG_OK)
			fail_msg("SPDM 0x%02x: byte %zu flipped still verifies", version, i);
		b.data[i] ^= 0x01;
	}
	ccg_buf_cleanup(&b);
	EVP_PKEY_free(key);
	EVP_PKEY_free(other);
	free(r);
}

static void test_signed_message_12(void **state)
{
	(void)state;
	signed_12(0x12);
	signed_12(0x13);
}

static void test_signed_message_args(void **state)
{
	size_t len;
	uint8_t *rep = read_hex(R550, "report.hex", &len);
	struct report *r = calloc(1, sizeof(*r));
	uint8_t *msg = NULL;
	size_t msg_len = 0;
	static const uint8_t vca[] = {1, 2, 3};

	(void)state;
	OK(parse_report(rep, len, r, NULL));
	/* 1.1 with a VCA: it comes first */
	OK(ccg_spdm_meas_signed_message(&r->req, &r->resp, vca, sizeof(vca), &msg, &msg_len, NULL));
	assert_int_equal(msg_len, 3 + len - 96);
	assert_memory_equal(msg, vca, 3);
	assert_memory_equal(msg + 3, rep, len - 96);
	free(msg);
	assert_int_equal(ccg_spdm_meas_signed_message(&r->req, &r->resp, NULL, 3, &msg, &msg_len, NULL),
			 CCG_ERR_INVALID_ARG);
	assert_null(msg);
	r->resp.version = 0x12;
	assert_int_equal(ccg_spdm_meas_signed_message(&r->req, &r->resp, NULL, 0, &msg, &msg_len, NULL),
			 CCG_ERR_UNSUPPORTED);
	assert_int_equal(ccg_spdm_meas_verify(&r->req, &r->resp, NULL, 0, NULL, NULL), CCG_ERR_SIGNATURE);
	free(r);
	free(rep);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_real_550),
		cmocka_unit_test(test_real_580),
		cmocka_unit_test(test_golden_580),
		cmocka_unit_test(test_flip_every_byte),
		cmocka_unit_test(test_truncate_every_length),
		cmocka_unit_test(test_trailing_byte),
		cmocka_unit_test(test_built_ok),
		cmocka_unit_test(test_unknown_spec),
		cmocka_unit_test(test_count_mismatch),
		cmocka_unit_test(test_duplicate_and_zero_index),
		cmocka_unit_test(test_value_size_must_fill),
		cmocka_unit_test(test_versions),
		cmocka_unit_test(test_wrong_response_code),
		cmocka_unit_test(test_oversize_opaque),
		cmocka_unit_test(test_no_signature_and_context),
		cmocka_unit_test(test_signed_message_12),
		cmocka_unit_test(test_signed_message_args),
	};

	td_require();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
