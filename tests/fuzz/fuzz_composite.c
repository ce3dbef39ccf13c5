/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Fuzz target: a composite evidence document (docs/protocols.md, "Composite
 * evidence": {"ccgpu-composite": 1, nonce, tee_public_key, gpu_evidence,
 * cpu}) through the public ccg_cpu_verifier_appraise_composite against a
 * fixed nonce (0x00..0x1f): the document's members, the binding
 * SHA-512(nonce ‖ TEE key ‖ SHA-384(GPU evidence)) required in the CPU
 * evidence, the CPU evidence as in fuzz_cpu_evidence.c (the fixed test AK
 * trusted), then the GPU evidence through the GPU verifier (offline, OCSP
 * off, reference values skipped), at a fixed time. Verdict: the appraisal's
 * status.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ccgpu/attest.h"
#include "ccgpu/cpu.h"
#include "fuzz.h"

/* 2026-11-22T00:00:00Z */
#define FUZZ_NOW 1795305600

int ccg_fuzz_verdict(const uint8_t *data, size_t size)
{
	static struct ccg_cpu_verifier *v;
	static struct ccg_gpu_verifier *gpu;
	static uint8_t nonce[32];
	struct ccg_cpu_result *r = NULL;
	char *claims;
	enum ccg_status st;

	if (v == NULL) {
		for (size_t i = 0; i < sizeof(nonce); i++)
			nonce[i] = (uint8_t)i;
		if (ccg_gpu_verifier_new(&gpu) != CCG_OK)
			abort();
		ccg_gpu_verifier_set_offline(gpu, true);
		ccg_gpu_verifier_skip_rims(gpu, true);
		if (ccg_gpu_verifier_set_ocsp(gpu, CCG_GPU_OCSP_OFF, NULL, 0, NULL) != CCG_OK ||
		    ccg_cpu_verifier_new(&v) != CCG_OK ||
		    ccg_cpu_verifier_set_tpm_ak(v, (const uint8_t *)ccg_fuzz_tpm_ak_pem, strlen(ccg_fuzz_tpm_ak_pem),
						NULL) != CCG_OK)
			abort();
		ccg_cpu_verifier_set_gpu_verifier(v, gpu);
	}
	st = ccg_cpu_verifier_appraise_composite(v, data, size, nonce, sizeof(nonce), FUZZ_NOW, &r, NULL);
	if ((st == CCG_OK) != (r != NULL))
		abort();
	if (r != NULL) {
		if ((claims = ccg_cpu_result_claims_json(r, 0)) == NULL)
			abort();
		free(claims);
		ccg_cpu_result_free(r);
	}
	return st;
}
