/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Fuzz target: one CPU evidence object, as `ccgpu collect` writes it
 * ({"type": "snp" | "tdx" | "tpm" | "azure-snp-vtpm", …} or the
 * {ak_public, tpm_quote} TPM file layout), through the public
 * ccg_cpu_verifier_appraise: JSON, base64, PEM certificates, the SEV-SNP
 * report and its chain to AMD's pinned roots, the TDX quote (no Intel root
 * configured: refused after parsing), the Azure HCL report and its vTPM
 * quote, the TPM quote with the fixed test attestation key of
 * fuzz_support.c as the trusted AK, at a fixed time. Anything accepted must
 * come with claims. Verdict: the appraisal's status.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ccgpu/cpu.h"
#include "fuzz.h"

/* 2026-11-22T00:00:00Z */
#define FUZZ_NOW 1795305600

int ccg_fuzz_verdict(const uint8_t *data, size_t size)
{
	static struct ccg_cpu_verifier *v;
	struct ccg_cpu_result *r = NULL;
	char *claims;
	enum ccg_status st;

	if (v == NULL && (ccg_cpu_verifier_new(&v) != CCG_OK ||
			  ccg_cpu_verifier_set_tpm_ak(v, (const uint8_t *)ccg_fuzz_tpm_ak_pem,
						      strlen(ccg_fuzz_tpm_ak_pem), NULL) != CCG_OK))
		abort();
	st = ccg_cpu_verifier_appraise(v, data, size, NULL, 0, FUZZ_NOW, &r, NULL);
	if ((st == CCG_OK) != (r != NULL))
		abort();
	if (r != NULL) {
		if (ccg_cpu_result_tee(r) == NULL || (claims = ccg_cpu_result_claims_json(r, 0)) == NULL)
			abort();
		free(claims);
		ccg_cpu_result_free(r);
	}
	return st;
}
