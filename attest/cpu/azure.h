/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Azure confidential VM (paravisor) HCL attestation reports: the "HCLA"
 * header, the hardware report (SEV-SNP report, or TDX TD report), the runtime
 * data whose hash is the report's report_data, the vTPM attestation key
 * (HCLAkPub JWK) in the runtime data JSON, and the vTPM quote with that key.
 */
#ifndef CCGPU_ATTEST_AZURE_H
#define CCGPU_ATTEST_AZURE_H

#include <jansson.h>
#include <openssl/x509.h>
#include <stdint.h>

#include "attest/cpu/snp.h"
#include "attest/cpu/tpm.h"
#include "ccgpu/status.h"

#define CCG_AZURE_HCL_MAX (16 * 1024)
#define CCG_AZURE_REPORT_SNP 2
#define CCG_AZURE_REPORT_TDX 4

/* a parsed HCL report; var_data borrows from the parsed bytes */
struct ccg_azure_hcl {
	uint32_t version, report_size, request_type, status;
	uint8_t hw_report[CCG_SNP_REPORT_LEN];
	uint32_t data_size, data_version, report_type, hash_type;
	const uint8_t *var_data;
	size_t var_data_len;
};

/*
 * ccg_azure_hcl_parse: header, hardware report and runtime data, bounded by
 * report_size; bytes after report_size must be zero padding.
 */
CCG_MUST_USE enum ccg_status ccg_azure_hcl_parse(const uint8_t *data, size_t len, struct ccg_azure_hcl *out,
						 struct ccg_error *err);
/* ccg_azure_hcl_ak: the HCLAkPub RSA key from the runtime data JSON (a JWK). */
CCG_MUST_USE enum ccg_status ccg_azure_hcl_ak(const struct ccg_azure_hcl *h, EVP_PKEY **out, struct ccg_error *err);

struct ccg_azure_verify_opts {
	X509 *ark;             /* AMD root key */
	STACK_OF(X509) *certs; /* VCEK, ASK[, ARK] */
	int64_t now;
	const struct ccg_tpm_quote *quote; /* required */
	const uint8_t *nonce;              /* expected quote extraData, or NULL */
	size_t nonce_len;
	STACK_OF(X509_CRL) *crls; /* AMD CRLs (see ccg_snp_verify_opts) */
	bool require_fresh_collateral;
};

/*
 * ccg_azure_hcl_verify: the SNP report (VCEK chain, signature), the runtime
 * data hash in report_data, the vTPM quote with HCLAkPub, and the nonce.
 * Claims: the SNP claims, the TPM claims and "azure-hcl-*". A TDX HCL report
 * is parsed but refused (CCG_ERR_UNSUPPORTED: a TD report is MAC'd, it needs
 * its TD quote).
 */
CCG_MUST_USE enum ccg_status ccg_azure_hcl_verify(const struct ccg_azure_hcl *h, const struct ccg_azure_verify_opts *o,
						  json_t **out_claims, struct ccg_error *err);

#endif
