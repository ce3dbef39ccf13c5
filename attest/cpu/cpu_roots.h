/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The public roots of CPU TEE evidence, built in so that genuine evidence
 * verifies with no trust-anchor configuration (as go-sev-guest and
 * go-tdx-guest embed them): AMD's ARK, ASK and ASVK of Milan, Genoa and
 * Turin (KDS /vcek/v1/{product}/cert_chain and /vlek/v1/{product}/cert_chain)
 * and Intel's SGX Root CA. Configured anchors (ccg_cpu_verifier_set_amd_ark,
 * _set_intel_root) override them.
 */
#ifndef CCGPU_ATTEST_CPU_ROOTS_H
#define CCGPU_ATTEST_CPU_ROOTS_H

#include <openssl/x509.h>

#include "ccgpu/status.h"

/* the built-in certificates of one AMD product (PEM, one certificate each) */
struct ccg_amd_product_certs {
	const char *product;  /* "Milan", "Genoa", "Turin" */
	const char *ark_pem;  /* AMD Root Key, self-signed */
	const char *ask_pem;  /* AMD SEV Key: issues VCEKs */
	const char *asvk_pem; /* AMD SEV VLEK Key: issues VLEKs */
};

#define CCG_AMD_BUILTIN_PRODUCTS 3
extern const struct ccg_amd_product_certs ccg_amd_builtin[CCG_AMD_BUILTIN_PRODUCTS];

/* Intel SGX Root CA: anchor of TDX PCK chains and PCS collateral (PEM). */
extern const char ccg_intel_sgx_root_ca_pem[];

/*
 * ccg_amd_builtin_certs: every built-in AMD certificate (ARKs, ASKs and
 * ASVKs of all products) parsed into a new stack the caller frees
 * (sk_X509_pop_free). CCG_ERR_NOMEM or CCG_ERR_ENCODING (a bug) otherwise.
 */
CCG_MUST_USE enum ccg_status ccg_amd_builtin_certs(STACK_OF(X509) **out, struct ccg_error *err);
/* ccg_intel_builtin_root: the built-in Intel SGX Root CA as a new X509 the caller frees. */
CCG_MUST_USE enum ccg_status ccg_intel_builtin_root(X509 **out, struct ccg_error *err);

#endif
