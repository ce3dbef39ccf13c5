/* SPDX-License-Identifier: Apache-2.0 */
/*
 * libFuzzer target for NVIDIA RIMs: ccg_rim_parse on any bytes and, when
 * they parse, ccg_rim_verify (XML-DSig with xmlsec1, then the chain) against
 * NVIDIA's RIM root built into the library (attest/gpu/nvidia_roots.c), at a
 * fixed time with certificate expiry ignored. Verdict: the parse's, then the
 * verification's.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "attest/gpu/rim.h"
#include "fuzz.h"

int ccg_fuzz_verdict(const uint8_t *data, size_t size)
{
	struct ccg_rim *rim = NULL;
	struct ccg_rim_verify_opts opts = {.now = 1795305600, .ignore_expiry = true};
	struct ccg_rim_verify_result res;
	struct ccg_error err;
	enum ccg_status st;

	opts.rim_root = ccg_fuzz_rim_root();
	ccg_error_clear(&err);
	if ((st = ccg_rim_parse(data, size, &rim, &err)) != CCG_OK)
		return st;
	ccg_error_clear(&err);
	st = ccg_rim_verify(rim, &opts, &res, &err);
	ccg_rim_free(rim);
	return st;
}
