/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Fuzz target: GET_MEASUREMENTS request ‖ MEASUREMENTS response, laid out as
 * NVIDIA's reports are, then the signed-message builder and the opaque data.
 * Aborts when a parse that succeeded breaks the parser's own invariants.
 * Verdict: the request's parse, the response's, then the opaque data's.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "attest/gpu/nvgpu_opaque.h"
#include "attest/gpu/spdm.h"
#include "fuzz.h"

static bool inside(const struct ccg_cursor *v, const uint8_t *data, size_t size)
{
	return v->len == 0 || (v->data >= data && v->len <= size && v->data + v->len <= data + size);
}

static void check_response(const struct ccg_spdm_meas_response *r, const uint8_t *data, size_t size)
{
	size_t rec = 0;

	if (r->signed_len + r->signature.len != r->raw.len || !inside(&r->raw, data, size) ||
	    !inside(&r->opaque, data, size) || !inside(&r->signature, data, size) ||
	    r->opaque.len > CCG_SPDM_OPAQUE_MAX)
		abort();
	for (size_t i = 0; i < r->num_blocks; i++) {
		const struct ccg_spdm_meas_block *b = &r->blocks[i];

		if (b->index == 0 || b->index == 0xFF || b->spec != SPDM_MEAS_SPEC_DMTF ||
		    b->raw.len != 7 + b->value.len || !inside(&b->value, data, size) || !inside(&b->raw, data, size))
			abort();
		rec += b->raw.len;
	}
	if (rec != r->record_len)
		abort();
}

int ccg_fuzz_verdict(const uint8_t *data, size_t size)
{
	static struct ccg_spdm_meas_response resp;
	static struct ccg_nv_opaque opaque;
	struct ccg_spdm_meas_request req;
	struct ccg_cursor c;
	uint8_t *msg = NULL;
	size_t msg_len = 0;
	enum ccg_status st;

	ccg_cursor_init(&c, data, size);
	if ((st = ccg_spdm_meas_request_parse(&c, &req, NULL)) != CCG_OK)
		return st;
	if (req.raw.data != data || req.raw.len + c.len != size)
		abort();
	if ((st = ccg_spdm_meas_response_parse(c.data, c.len, req.version,
					       req.sig_requested ? CCG_SPDM_P384_SIG_LEN : 0, &resp, NULL)) != CCG_OK)
		return st;
	check_response(&resp, data, size);
	if (ccg_spdm_meas_signed_message(&req, &resp, data, size % 7, &msg, &msg_len, NULL) != CCG_OK)
		abort();
	if (req.version == 0x11 ? msg_len != size % 7 + req.raw.len + resp.signed_len : msg_len != 64 + 36 + 48)
		abort();
	free(msg);
	if ((st = ccg_nv_opaque_parse(resp.opaque.data, resp.opaque.len, &opaque, NULL)) == CCG_OK &&
	    opaque.num_fields > CCG_NV_OPAQUE_MAX_FIELDS)
		abort();
	return st;
}
