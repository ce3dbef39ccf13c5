/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Composite evidence: one CPU TEE report (SEV-SNP, TDX, TPM quote, Azure HCL
 * + vTPM) bound to the GPU evidence by
 *   binding = SHA-512(nonce ‖ TEE public key ‖ SHA-384(GPU evidence bytes))
 * in the report's report_data (or the TPM quote's extraData), and the JSON
 * document that carries them (docs/protocols.md, "Composite evidence").
 */
#ifndef CCGPU_ATTEST_COMPOSITE_H
#define CCGPU_ATTEST_COMPOSITE_H

#include <jansson.h>
#include <openssl/x509.h>
#include <stdint.h>

#include "attest/cpu/tdx.h"
#include "ccgpu/attest.h"
#include "ccgpu/cpu.h"
#include "ccgpu/status.h"

/* CCG_BINDING_LEN, CCG_COMPOSITE_MAX, CCG_COMPOSITE_VERSION and ccg_composite_binding are public (ccgpu/cpu.h). */

struct ccg_composite_opts {
	const uint8_t *nonce; /* the verifier's nonce (required) */
	size_t nonce_len;
	int64_t now;                                     /* 0: current time */
	X509 *ark;                                       /* AMD root key (snp, azure-snp-vtpm) */
	STACK_OF(X509_CRL) *amd_crls;                    /* AMD CRLs; the ARK's applies (optional) */
	X509 *intel_root;                                /* Intel SGX Root CA (tdx) */
	const struct ccg_tdx_collateral *tdx_collateral; /* optional */
	bool require_fresh_collateral; /* refuse stale or missing CRLs and TDX collateral (else claims) */
	EVP_PKEY *trusted_ak;          /* tpm: the AK to require (NULL: TPM evidence is refused) */
	struct ccg_gpu_verifier *gpu;  /* appraises the GPU part (required) */
};

/*
 * ccg_composite_verify: parses the document, recomputes the binding from
 * the nonce, the TEE public key and the GPU evidence bytes, verifies the CPU
 * evidence with the binding as its expected report_data / extraData, and
 * appraises the GPU evidence with the same nonce. Claims: {"ccgpu-composite":
 * {"binding": hex, "cpu-type": …}, "cpu": {…}, "gpu": {…}}. The first failure
 * is returned and named in err ("composite.binding", "snp.signature", …).
 */
CCG_MUST_USE enum ccg_status ccg_composite_verify(const uint8_t *doc, size_t len, const struct ccg_composite_opts *o,
						  json_t **out_claims, struct ccg_error *err);

/*
 * ccg_cpu_verify: one CPU evidence object (the document's "cpu" member) with
 * an expected binding (NULL: none checked). Claims in *out_claims.
 */
CCG_MUST_USE enum ccg_status ccg_cpu_verify(const json_t *cpu, const uint8_t *binding,
					    const struct ccg_composite_opts *o, json_t **out_claims,
					    struct ccg_error *err);

#endif
