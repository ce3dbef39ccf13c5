/* SPDX-License-Identifier: Apache-2.0 */
/*
 * libFuzzer target for the NRAS-compatible endpoint's request parser
 * (token/nras.h): ccg_nras_request_parse on any bytes. Verdict: the
 * parse's. A request that parses must hold 1..16 GPUs and a known arch; a
 * refusal must leave nothing behind and name the member.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "token/nras.h"

int ccg_fuzz_verdict(const uint8_t *data, size_t size)
{
	struct ccg_nras_request *r = NULL;
	struct ccg_error err;
	enum ccg_status st;

	ccg_error_clear(&err);
	st = ccg_nras_request_parse(data, size, &r, &err);
	if (st != CCG_OK) {
		if (r != NULL || err.status != st || err.where[0] == '\0')
			abort();
		return st;
	}
	if (ccg_gpu_evidence_count(r->evidence) == 0 || ccg_gpu_evidence_count(r->evidence) > CCG_GPU_MAX_DEVICES ||
	    (strcmp(r->arch, "HOPPER") != 0 && strcmp(r->arch, "BLACKWELL") != 0))
		abort();
	ccg_nras_request_free(r);
	return CCG_OK;
}
