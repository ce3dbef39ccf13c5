/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Fuzz target: NVIDIA's RIM service answer ({"id","rim","rim_format",
 * "sha256"}) for a fixed RIM id, decoded as the RIM store decodes a fetched
 * answer (ccg_rim_service_decode), then the RIM it carries parsed and
 * verified against NVIDIA's RIM root built into the library, at a fixed time
 * with certificate expiry ignored. Verdict: the decode's, the parse's, then
 * the verification's.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "attest/gpu/rim.h"
#include "fuzz.h"

#define RIM_ID "NV_GPU_DRIVER_GH100_550.144.03"

int ccg_fuzz_verdict(const uint8_t *data, size_t size)
{
	struct ccg_rim *rim = NULL;
	struct ccg_rim_verify_opts opts = {.now = 1795305600, .ignore_expiry = true};
	struct ccg_rim_verify_result res;
	uint8_t *xml = NULL;
	size_t xml_len = 0;
	enum ccg_status st;

	opts.rim_root = ccg_fuzz_rim_root();
	if ((st = ccg_rim_service_decode(RIM_ID, data, size, &xml, &xml_len, NULL)) != CCG_OK) {
		if (xml != NULL)
			abort();
		return st;
	}
	if (xml == NULL && xml_len != 0)
		abort();
	if ((st = ccg_rim_parse(xml, xml_len, &rim, NULL)) == CCG_OK)
		st = ccg_rim_verify(rim, &opts, &res, NULL);
	ccg_rim_free(rim);
	free(xml);
	return st;
}
