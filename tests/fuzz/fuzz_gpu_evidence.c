/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Fuzz target: NVIDIA serialized GPU evidence JSON through the whole
 * appraisal (JSON, base64, SPDM, opaque data, PEM chain, signature, FWID),
 * offline, OCSP off, reference values skipped. Must never crash or leak;
 * anything accepted must have passed every check. Verdict: the JSON's,
 * then the appraisal's.
 */
#include <stdint.h>
#include <stdlib.h>

#include "ccgpu/attest.h"
#include "fuzz.h"

int ccg_fuzz_verdict(const uint8_t *data, size_t size)
{
	static struct ccg_gpu_verifier *v;
	struct ccg_gpu_evidence *ev = NULL;
	struct ccg_gpu_result *res = NULL;
	uint8_t nonce[CCG_GPU_NONCE_LEN];
	enum ccg_status st;

	if (v == NULL) {
		if (ccg_gpu_verifier_new(&v) != CCG_OK)
			abort();
		ccg_gpu_verifier_set_offline(v, true);
		ccg_gpu_verifier_skip_rims(v, true);
		if (ccg_gpu_verifier_set_ocsp(v, CCG_GPU_OCSP_OFF, NULL, 0, NULL) != CCG_OK)
			abort();
	}
	if (ccg_gpu_evidence_new(&ev) != CCG_OK)
		abort();
	if ((st = ccg_gpu_evidence_add_json(ev, data, size, NULL)) == CCG_OK) {
		if (!ccg_gpu_evidence_nonce(ev, nonce))
			abort(); /* accepted JSON always carries its nonce */
		/* 2026-11-22T00:00:00Z */
		st = ccg_gpu_verifier_appraise(v, ev, nonce, sizeof(nonce), 1795305600, &res, NULL);
		if (res == NULL || (st == CCG_OK) != ccg_gpu_result_passed(res))
			abort();
		free(ccg_gpu_result_claims_json(res, 0));
		ccg_gpu_result_free(res);
	}
	ccg_gpu_evidence_free(ev);
	return st;
}
