/* SPDX-License-Identifier: Apache-2.0 */
/*
 * SPDM 1.1/1.2/1.3 GET_MEASUREMENTS request and MEASUREMENTS response
 * (DMTF DSP0274), parsed field by field from untrusted bytes. The parsed
 * structs borrow from the input buffer (ccg_cursor views): keep it alive.
 */
#ifndef CCGPU_ATTEST_SPDM_H
#define CCGPU_ATTEST_SPDM_H

#include <openssl/evp.h>
#include <stdbool.h>
#include <stdint.h>

#include "common/cursor.h"
#include "wire/spdm_codes.h"

#define CCG_SPDM_NONCE_LEN 32
#define CCG_SPDM_CONTEXT_LEN 8 /* RequesterContext, SPDM 1.3 */
#define CCG_SPDM_MAX_BLOCKS 255
#define CCG_SPDM_P384_SIG_LEN 96
#define CCG_SPDM_OPAQUE_MAX 1024 /* DSP0274: OpaqueDataLength <= 1024 */

struct ccg_spdm_meas_request {
	uint8_t version; /* 0x11, 0x12 or 0x13 */
	uint8_t param1;  /* bit 0: signature requested */
	uint8_t param2;  /* measurement operation: 0xFF all, 0 count, else index */
	bool sig_requested;
	uint8_t nonce[CCG_SPDM_NONCE_LEN];
	uint8_t slot_id;           /* SlotIDParam, low 4 bits */
	struct ccg_cursor context; /* RequesterContext (1.3) or empty */
	struct ccg_cursor raw;     /* the request's bytes */
};

struct ccg_spdm_meas_block {
	uint8_t index;           /* 1..254 (0xFD manifest, 0xFE device mode; 0, 0xFF reserved) */
	uint8_t spec;            /* MeasurementSpecification; only DMTF accepted */
	uint8_t dmtf_type;       /* DMTFSpecMeasurementValueType (bit 7: raw bit stream) */
	struct ccg_cursor value; /* DMTFSpecMeasurementValue */
	struct ccg_cursor raw;   /* the whole block as signed */
};

struct ccg_spdm_meas_response {
	uint8_t version;
	uint8_t param1; /* 1.1: number of indices (count op) / reserved */
	uint8_t param2; /* slot id + content-changed bits */
	uint8_t num_blocks;
	uint32_t record_len;
	struct ccg_spdm_meas_block blocks[CCG_SPDM_MAX_BLOCKS];
	uint8_t nonce[CCG_SPDM_NONCE_LEN]; /* responder nonce */
	struct ccg_cursor opaque;          /* OpaqueData */
	struct ccg_cursor context;         /* RequesterContext echo (1.3) or empty */
	struct ccg_cursor signature;       /* empty when none */
	struct ccg_cursor raw;             /* the whole response */
	size_t signed_len;                 /* response bytes before the signature */
};

/*
 * ccg_spdm_meas_request_parse: parses a GET_MEASUREMENTS request at the start
 * of in, advancing in past it (the response normally follows); in is left
 * as it was on failure. Unknown version or request code: CCG_ERR_UNSUPPORTED;
 * short: CCG_ERR_TRUNCATED; reserved SlotIDParam bits set: CCG_ERR_MALFORMED.
 * out->raw borrows from in. Thread-safe.
 */
CCG_MUST_USE enum ccg_status ccg_spdm_meas_request_parse(struct ccg_cursor *in, struct ccg_spdm_meas_request *out,
							 struct ccg_error *err);

/*
 * ccg_spdm_meas_response_parse: parses a whole MEASUREMENTS response (in must
 * end where the response ends). sig_len is the signature length the request
 * implies (96 for ECDSA P-384, 0 when no signature was requested); version
 * must equal the request's. Block indexes must be unique and the blocks fill
 * the record exactly; only DMTF measurement specification blocks are accepted.
 * Errors name the field; "spdm.response.block[N]" counts blocks by position
 * in the record from 0 (the detail gives the block's Index). Input ends
 * early: CCG_ERR_TRUNCATED; bytes after the signature: CCG_ERR_TRAILING_DATA;
 * other version or code, non-DMTF block: CCG_ERR_UNSUPPORTED; NumberOfBlocks
 * not the blocks in the record, index 0 or 0xFF, sizes that disagree:
 * CCG_ERR_MALFORMED; an index twice: CCG_ERR_DUPLICATE; OpaqueDataLength over
 * 1024: CCG_ERR_TOO_LARGE. out borrows from data. Thread-safe.
 */
CCG_MUST_USE enum ccg_status ccg_spdm_meas_response_parse(const uint8_t *data, size_t len, uint8_t version,
							  size_t sig_len, struct ccg_spdm_meas_response *out,
							  struct ccg_error *err);

/*
 * ccg_spdm_meas_signed_message: builds the message whose ECDSA-SHA384
 * signature the response carries. vca is the VCA transcript (GET_VERSION ..
 * ALGORITHMS); NVIDIA's one-shot flow has none (NULL, 0).
 *   SPDM 1.1: L1 = vca ‖ request ‖ response-without-signature.
 *   SPDM 1.2+: combined_spdm_prefix ("dmtf-spdm-v1.N.*" ×4, zero padding,
 *   "responder-measurements signing" context; DSP0274 §"Signature
 *   generation") ‖ SHA-384(L1).
 * out is malloc'd.
 */
CCG_MUST_USE enum ccg_status ccg_spdm_meas_signed_message(const struct ccg_spdm_meas_request *req,
							  const struct ccg_spdm_meas_response *resp, const uint8_t *vca,
							  size_t vca_len, uint8_t **out, size_t *out_len,
							  struct ccg_error *err);

/*
 * ccg_spdm_meas_verify: verifies the response's ECDSA P-384 / SHA-384
 * signature over ccg_spdm_meas_signed_message with leaf_key (the device
 * leaf certificate's key; not consumed). No signature, a bad one or a key of
 * another size: CCG_ERR_SIGNATURE, where "spdm.response.signature". Checking
 * the request nonce against the caller's is the caller's job. Thread-safe.
 */
CCG_MUST_USE enum ccg_status ccg_spdm_meas_verify(const struct ccg_spdm_meas_request *req,
						  const struct ccg_spdm_meas_response *resp, const uint8_t *vca,
						  size_t vca_len, EVP_PKEY *leaf_key, struct ccg_error *err);

#endif
