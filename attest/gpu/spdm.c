/* SPDX-License-Identifier: Apache-2.0 */
/*
 * SPDM GET_MEASUREMENTS / MEASUREMENTS (DMTF DSP0274 1.1-1.3), read field by
 * field in the order of the specification's tables, and the message their
 * signature covers.
 */
#include "attest/gpu/spdm.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "common/crypto.h"
#include "common/error.h"

/* DSP0274 1.2 "Signature generation": combined_spdm_prefix */
#define SIGN_PREFIX_ENTRY "dmtf-spdm-v1.2.*"
#define SIGN_PREFIX_ENTRY_LEN 16
#define SIGN_PREFIX_ENTRIES 4
#define SIGN_CONTEXT_LEN 36
#define MEAS_SIGN_CONTEXT "responder-measurements signing"
/* DMTF measurement header inside a block: type u8, value size u16 */
#define DMTF_MEAS_HEADER_LEN 3
/* a signed message holds at most VCA + request + response; refuse more than this */
#define SIGNED_MESSAGE_MAX (16u << 20)

static bool version_supported(uint8_t v)
{
	return v == SPDM_V11 || v == SPDM_V12 || v == SPDM_V13;
}

static bool has_context(uint8_t v)
{
	return v >= SPDM_V13;
}

enum ccg_status ccg_spdm_meas_request_parse(struct ccg_cursor *in, struct ccg_spdm_meas_request *out,
					    struct ccg_error *err)
{
	struct ccg_cursor c = *in;
	uint8_t code, slot;

	memset(out, 0, sizeof(*out));
	if (!ccg_cursor_get_u8(&c, &out->version))
		return ccg_error_set(err, CCG_ERR_TRUNCATED, "spdm.request.version", "empty request");
	if (!version_supported(out->version))
		return ccg_error_set(err, CCG_ERR_UNSUPPORTED, "spdm.request.version",
				     "SPDMVersion 0x%02x is not 1.1, 1.2 or 1.3", out->version);
	if (!ccg_cursor_get_u8(&c, &code))
		return ccg_error_set(err, CCG_ERR_TRUNCATED, "spdm.request.code", "request ends");
	if (code != SPDM_GET_MEASUREMENTS)
		return ccg_error_set(err, CCG_ERR_UNSUPPORTED, "spdm.request.code",
				     "RequestResponseCode 0x%02x is not GET_MEASUREMENTS (0xe0)", code);
	if (!ccg_cursor_get_u8(&c, &out->param1))
		return ccg_error_set(err, CCG_ERR_TRUNCATED, "spdm.request.param1", "request ends");
	if (!ccg_cursor_get_u8(&c, &out->param2))
		return ccg_error_set(err, CCG_ERR_TRUNCATED, "spdm.request.param2", "request ends");
	out->sig_requested = (out->param1 & SPDM_MEAS_SIG_REQUESTED) != 0;
	if (out->sig_requested) {
		if (!ccg_cursor_copy_bytes(&c, out->nonce, CCG_SPDM_NONCE_LEN))
			return ccg_error_set(err, CCG_ERR_TRUNCATED, "spdm.request.nonce", "need %d bytes, have %zu",
					     CCG_SPDM_NONCE_LEN, c.len);
		if (!ccg_cursor_get_u8(&c, &slot))
			return ccg_error_set(err, CCG_ERR_TRUNCATED, "spdm.request.slot_id", "request ends");
		if ((slot & 0xF0) != 0)
			return ccg_error_set(err, CCG_ERR_MALFORMED, "spdm.request.slot_id",
					     "SlotIDParam 0x%02x sets reserved bits", slot);
		out->slot_id = slot;
	}
	if (has_context(out->version) && !ccg_cursor_get_bytes(&c, &out->context, CCG_SPDM_CONTEXT_LEN))
		return ccg_error_set(err, CCG_ERR_TRUNCATED, "spdm.request.context", "need %d bytes, have %zu",
				     CCG_SPDM_CONTEXT_LEN, c.len);
	ccg_cursor_init(&out->raw, in->data, ccg_cursor_offset(in, &c));
	*in = c;
	return CCG_OK;
}

/* One measurement block (DSP0274 "Measurement block format") with its DMTF measurement. */
static enum ccg_status parse_block(struct ccg_cursor *rec, size_t pos, struct ccg_spdm_meas_block *b,
				   struct ccg_error *err)
{
	struct ccg_cursor c = *rec, meas;
	uint16_t size, value_size;
	char where[CCG_ERROR_WHERE_MAX];

#define BLOCK_WHERE(field) (snprintf(where, sizeof(where), "spdm.response.block[%zu]." field, pos), where)
	if (!ccg_cursor_get_u8(&c, &b->index))
		return ccg_error_set(err, CCG_ERR_TRUNCATED, BLOCK_WHERE("index"), "record ends");
	if (!ccg_cursor_get_u8(&c, &b->spec))
		return ccg_error_set(err, CCG_ERR_TRUNCATED, BLOCK_WHERE("spec"), "record ends");
	if (!ccg_cursor_get_u16le(&c, &size))
		return ccg_error_set(err, CCG_ERR_TRUNCATED, BLOCK_WHERE("size"), "record ends");
	if (!ccg_cursor_get_bytes(&c, &meas, size))
		return ccg_error_set(err, CCG_ERR_TRUNCATED, BLOCK_WHERE("size"),
				     "MeasurementSize %u, %zu bytes left in the record", size, c.len);
	if (b->index == 0 || b->index == 0xFF)
		return ccg_error_set(err, CCG_ERR_MALFORMED, BLOCK_WHERE("index"), "Index 0x%02x is reserved",
				     b->index);
	if (b->spec != SPDM_MEAS_SPEC_DMTF)
		return ccg_error_set(err, CCG_ERR_UNSUPPORTED, BLOCK_WHERE("spec"),
				     "MeasurementSpecification 0x%02x of index %u is not DMTF (0x01)", b->spec,
				     b->index);
	if (!ccg_cursor_get_u8(&meas, &b->dmtf_type) || !ccg_cursor_get_u16le(&meas, &value_size))
		return ccg_error_set(err, CCG_ERR_MALFORMED, BLOCK_WHERE("size"),
				     "MeasurementSize %u of index %u cannot hold the DMTF header", size, b->index);
	if (!ccg_cursor_get_bytes(&meas, &b->value, value_size) || meas.len != 0)
		return ccg_error_set(err, CCG_ERR_MALFORMED, BLOCK_WHERE("value_size"),
				     "DMTFSpecMeasurementValueSize %u of index %u does not fill "
				     "MeasurementSize %u",
				     value_size, b->index, size);
#undef BLOCK_WHERE
	ccg_cursor_init(&b->raw, rec->data, ccg_cursor_offset(rec, &c));
	*rec = c;
	return CCG_OK;
}

/* The measurement record: exactly num_blocks blocks, unique indexes, nothing after them. */
static enum ccg_status parse_record(struct ccg_cursor rec, struct ccg_spdm_meas_response *out, struct ccg_error *err)
{
	bool seen[256] = {false};
	size_t n = 0;
	enum ccg_status st;
	char where[CCG_ERROR_WHERE_MAX];

	while (rec.len != 0) {
		struct ccg_spdm_meas_block *b = &out->blocks[n];

		if (n == out->num_blocks)
			return ccg_error_set(err, CCG_ERR_MALFORMED, "spdm.response.number_of_blocks",
					     "NumberOfBlocks is %u but %zu record bytes follow block %zu",
					     out->num_blocks, rec.len, n);
		st = parse_block(&rec, n, b, err);
		if (st != CCG_OK)
			return st;
		if (seen[b->index]) {
			snprintf(where, sizeof(where), "spdm.response.block[%zu].index", n);
			return ccg_error_set(err, CCG_ERR_DUPLICATE, where, "Index %u given twice", b->index);
		}
		seen[b->index] = true;
		n++;
	}
	if (n != out->num_blocks)
		return ccg_error_set(err, CCG_ERR_MALFORMED, "spdm.response.number_of_blocks",
				     "NumberOfBlocks is %u but the record holds %zu", out->num_blocks, n);
	return CCG_OK;
}

enum ccg_status ccg_spdm_meas_response_parse(const uint8_t *data, size_t len, uint8_t version, size_t sig_len,
					     struct ccg_spdm_meas_response *out, struct ccg_error *err)
{
	struct ccg_cursor start, c, record;
	uint8_t code;
	uint16_t opaque_len;
	enum ccg_status st;

	memset(out, 0, sizeof(*out));
	ccg_cursor_init(&start, data, len);
	c = start;
	if (!ccg_cursor_get_u8(&c, &out->version))
		return ccg_error_set(err, CCG_ERR_TRUNCATED, "spdm.response.version", "empty response");
	if (!version_supported(out->version))
		return ccg_error_set(err, CCG_ERR_UNSUPPORTED, "spdm.response.version",
				     "SPDMVersion 0x%02x is not 1.1, 1.2 or 1.3", out->version);
	if (out->version != version)
		return ccg_error_set(err, CCG_ERR_UNSUPPORTED, "spdm.response.version",
				     "response is SPDM 0x%02x, request 0x%02x", out->version, version);
	if (!ccg_cursor_get_u8(&c, &code))
		return ccg_error_set(err, CCG_ERR_TRUNCATED, "spdm.response.code", "response ends");
	if (code != SPDM_MEASUREMENTS)
		return ccg_error_set(err, CCG_ERR_UNSUPPORTED, "spdm.response.code",
				     "RequestResponseCode 0x%02x is not MEASUREMENTS (0x60)", code);
	if (!ccg_cursor_get_u8(&c, &out->param1))
		return ccg_error_set(err, CCG_ERR_TRUNCATED, "spdm.response.param1", "response ends");
	if (!ccg_cursor_get_u8(&c, &out->param2))
		return ccg_error_set(err, CCG_ERR_TRUNCATED, "spdm.response.param2", "response ends");
	if (!ccg_cursor_get_u8(&c, &out->num_blocks))
		return ccg_error_set(err, CCG_ERR_TRUNCATED, "spdm.response.number_of_blocks", "response ends");
	if (!ccg_cursor_get_u24le(&c, &out->record_len))
		return ccg_error_set(err, CCG_ERR_TRUNCATED, "spdm.response.measurement_record_length",
				     "response ends");
	if (!ccg_cursor_get_bytes(&c, &record, out->record_len))
		return ccg_error_set(err, CCG_ERR_TRUNCATED, "spdm.response.measurement_record",
				     "MeasurementRecordLength %u, %zu bytes left", out->record_len, c.len);
	st = parse_record(record, out, err);
	if (st != CCG_OK)
		return st;
	if (!ccg_cursor_copy_bytes(&c, out->nonce, CCG_SPDM_NONCE_LEN))
		return ccg_error_set(err, CCG_ERR_TRUNCATED, "spdm.response.nonce", "need %d bytes, have %zu",
				     CCG_SPDM_NONCE_LEN, c.len);
	if (!ccg_cursor_get_u16le(&c, &opaque_len))
		return ccg_error_set(err, CCG_ERR_TRUNCATED, "spdm.response.opaque_length", "response ends");
	if (opaque_len > CCG_SPDM_OPAQUE_MAX)
		return ccg_error_set(err, CCG_ERR_TOO_LARGE, "spdm.response.opaque_length",
				     "OpaqueDataLength %u is over %d", opaque_len, CCG_SPDM_OPAQUE_MAX);
	if (!ccg_cursor_get_bytes(&c, &out->opaque, opaque_len))
		return ccg_error_set(err, CCG_ERR_TRUNCATED, "spdm.response.opaque_data",
				     "OpaqueDataLength %u, %zu bytes left", opaque_len, c.len);
	if (has_context(out->version) && !ccg_cursor_get_bytes(&c, &out->context, CCG_SPDM_CONTEXT_LEN))
		return ccg_error_set(err, CCG_ERR_TRUNCATED, "spdm.response.context", "need %d bytes, have %zu",
				     CCG_SPDM_CONTEXT_LEN, c.len);
	out->signed_len = ccg_cursor_offset(&start, &c);
	if (!ccg_cursor_get_bytes(&c, &out->signature, sig_len))
		return ccg_error_set(err, CCG_ERR_TRUNCATED, "spdm.response.signature", "need %zu bytes, have %zu",
				     sig_len, c.len);
	if (c.len != 0)
		return ccg_error_set(err, CCG_ERR_TRAILING_DATA, "spdm.response", "%zu bytes after the signature",
				     c.len);
	out->raw = start;
	return CCG_OK;
}

/* L1 = VCA ‖ request ‖ response without its signature (DSP0274 "Measurement signature"). */
static enum ccg_status append_l1(struct ccg_buf *b, const struct ccg_spdm_meas_request *req,
				 const struct ccg_spdm_meas_response *resp, const uint8_t *vca, size_t vca_len)
{
	enum ccg_status st = CCG_OK;

	if (vca_len != 0)
		st = ccg_buf_append(b, vca, vca_len);
	if (st == CCG_OK)
		st = ccg_buf_append(b, req->raw.data, req->raw.len);
	if (st == CCG_OK)
		st = ccg_buf_append(b, resp->raw.data, resp->signed_len);
	return st;
}

/* combined_spdm_prefix: "dmtf-spdm-vM.N.*" four times, then the zero-padded context. */
static enum ccg_status append_signing_prefix(struct ccg_buf *b, uint8_t version)
{
	char entry[SIGN_PREFIX_ENTRY_LEN + 1];
	size_t ctx_len = sizeof(MEAS_SIGN_CONTEXT) - 1;
	enum ccg_status st = CCG_OK;

	memcpy(entry, SIGN_PREFIX_ENTRY, sizeof(entry));
	entry[11] = (char)('0' + (version >> 4));
	entry[13] = (char)('0' + (version & 0x0F));
	for (int i = 0; i < SIGN_PREFIX_ENTRIES && st == CCG_OK; i++)
		st = ccg_buf_append(b, entry, SIGN_PREFIX_ENTRY_LEN);
	for (size_t i = ctx_len; i < SIGN_CONTEXT_LEN && st == CCG_OK; i++)
		st = ccg_buf_append_u8(b, 0);
	if (st == CCG_OK)
		st = ccg_buf_append(b, MEAS_SIGN_CONTEXT, ctx_len);
	return st;
}

enum ccg_status ccg_spdm_meas_signed_message(const struct ccg_spdm_meas_request *req,
					     const struct ccg_spdm_meas_response *resp, const uint8_t *vca,
					     size_t vca_len, uint8_t **out, size_t *out_len, struct ccg_error *err)
{
	struct ccg_buf l1, msg;
	uint8_t hash[CCG_SHA384_LEN];
	enum ccg_status st;

	ccg_buf_init(&l1, SIGNED_MESSAGE_MAX);
	ccg_buf_init(&msg, SIGNED_MESSAGE_MAX);
	*out = NULL;
	*out_len = 0;
	if (req == NULL || resp == NULL || (vca == NULL && vca_len != 0) || resp->signed_len > resp->raw.len) {
		st = ccg_error_set(err, CCG_ERR_INVALID_ARG, "spdm.signed_message", "bad arguments");
		goto out;
	}
	if (req->version != resp->version || !version_supported(req->version)) {
		st = ccg_error_set(err, CCG_ERR_UNSUPPORTED, "spdm.response.version",
				   "response is SPDM 0x%02x, request 0x%02x", resp->version, req->version);
		goto out;
	}
	st = append_l1(&l1, req, resp, vca, vca_len);
	if (st != CCG_OK) {
		st = ccg_error_set(err, st, "spdm.signed_message", "cannot build L1");
		goto out;
	}
	if (req->version == SPDM_V11) {
		*out = ccg_buf_steal(&l1, out_len);
		goto out;
	}
	st = ccg_sha384(l1.data, l1.len, hash);
	if (st == CCG_OK)
		st = append_signing_prefix(&msg, req->version);
	if (st == CCG_OK)
		st = ccg_buf_append(&msg, hash, sizeof(hash));
	if (st != CCG_OK) {
		st = ccg_error_set(err, st, "spdm.signed_message", "cannot build the signed message");
		goto out;
	}
	*out = ccg_buf_steal(&msg, out_len);
out:
	ccg_buf_cleanup(&l1);
	ccg_buf_cleanup(&msg);
	return st;
}

enum ccg_status ccg_spdm_meas_verify(const struct ccg_spdm_meas_request *req, const struct ccg_spdm_meas_response *resp,
				     const uint8_t *vca, size_t vca_len, EVP_PKEY *leaf_key, struct ccg_error *err)
{
	uint8_t *msg = NULL;
	size_t msg_len = 0;
	enum ccg_status st;

	if (req == NULL || resp == NULL || !req->sig_requested || resp->signature.len != CCG_SPDM_P384_SIG_LEN) {
		st = ccg_error_set(err, CCG_ERR_SIGNATURE, "spdm.response.signature",
				   "no ECDSA P-384 signature in the response (%zu bytes)",
				   resp != NULL ? resp->signature.len : (size_t)0);
		goto out;
	}
	if (leaf_key == NULL || EVP_PKEY_get_base_id(leaf_key) != EVP_PKEY_EC) {
		st = ccg_error_set(err, CCG_ERR_SIGNATURE, "spdm.response.signature", "the leaf key is not an EC key");
		goto out;
	}
	st = ccg_spdm_meas_signed_message(req, resp, vca, vca_len, &msg, &msg_len, err);
	if (st != CCG_OK)
		goto out;
	st = ccg_ecdsa_verify_raw(leaf_key, "SHA384", msg, msg_len, resp->signature.data, resp->signature.len,
				  "spdm.response.signature", err);
out:
	free(msg);
	return st;
}
