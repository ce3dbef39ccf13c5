/* SPDX-License-Identifier: Apache-2.0 */
/*
 * CPU TEE evidence appraisal — AMD SEV-SNP reports, Intel TDX quotes, TPM 2.0
 * quotes, Azure HCL reports with their vTPM quote — and composite appraisal:
 * CPU evidence whose report_data (TPM: extraData) binds
 * SHA-512(nonce ‖ TEE public key ‖ SHA-384(GPU evidence)), with the GPU
 * evidence appraised over the same nonce (docs/cpu-attestation.md,
 * docs/protocols.md "Composite evidence"). Claims are those a policy reads
 * (docs/policy-language.md).
 *
 * Trust anchors are given as PEM bytes (_pem) or a PEM file (_file), as
 * everywhere (attest.h); collateral and CRLs as bytes (as PCS and KDS serve
 * them): a verifier service keeps them in its store.
 */
#ifndef CCGPU_CPU_PUBLIC_H
#define CCGPU_CPU_PUBLIC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ccgpu/attest.h"
#include "ccgpu/status.h"

#ifdef __cplusplus
extern "C" {
#endif

struct ccg_cpu_verifier;
struct ccg_cpu_result;

#define CCG_CPU_REPORT_DATA_LEN 64
#define CCG_CPU_MAX_AMD_CRLS 8

/*
 * ccg_cpu_verifier_new: a verifier with the built-in public roots: an SEV-SNP
 * chain must reach a pinned AMD ARK (Milan, Genoa or Turin; the ASK or ASVK
 * may come from the evidence or the built-in ones), a TDX PCK chain the
 * built-in Intel SGX Root CA; a plain TPM quote is refused
 * (CCG_ERR_CERT_UNTRUSTED, "cpu.ak_public": a key that comes with the
 * evidence vouches for nothing) until ccg_cpu_verifier_set_tpm_ak_pem names the
 * AK; an Azure vTPM quote's AK is vouched for by its HCL report. A configured
 * verifier may be shared by threads calling the appraise functions; the
 * setters are not thread-safe.
 */
CCG_API CCG_MUST_USE enum ccg_status ccg_cpu_verifier_new(struct ccg_cpu_verifier **out);
/* ccg_cpu_verifier_free: frees the verifier (not the GPU verifier it was given); NULL is allowed. */
CCG_API void ccg_cpu_verifier_free(struct ccg_cpu_verifier *v);

/*
 * ccg_cpu_verifier_set_amd_ark_pem: the AMD root key (PEM certificate, at
 * most CCG_CPU_MAX_ANCHOR_PEM bytes) SEV-SNP and Azure chains must end in,
 * instead of the pinned AMD ARKs (it need not be pinned: configuring it is
 * trusting it). ccg_cpu_verifier_set_amd_ark_file: the same from a PEM file.
 */
#define CCG_CPU_MAX_ANCHOR_PEM (64 * 1024)
CCG_API CCG_MUST_USE enum ccg_status ccg_cpu_verifier_set_amd_ark_pem(struct ccg_cpu_verifier *v, const uint8_t *pem,
								      size_t len, struct ccg_error *err);
CCG_API CCG_MUST_USE enum ccg_status ccg_cpu_verifier_set_amd_ark_file(struct ccg_cpu_verifier *v, const char *path,
								       struct ccg_error *err);
/*
 * ccg_cpu_verifier_set_intel_root_pem: the Intel SGX Root CA (PEM
 * certificate) for TDX PCK chains and collateral, instead of the built-in
 * one. ccg_cpu_verifier_set_intel_root_file: the same from a PEM file.
 */
CCG_API CCG_MUST_USE enum ccg_status ccg_cpu_verifier_set_intel_root_pem(struct ccg_cpu_verifier *v, const uint8_t *pem,
									 size_t len, struct ccg_error *err);
CCG_API CCG_MUST_USE enum ccg_status ccg_cpu_verifier_set_intel_root_file(struct ccg_cpu_verifier *v, const char *path,
									  struct ccg_error *err);
/*
 * ccg_cpu_verifier_set_tdx_collateral: TDX collateral as a PCS serves it: the
 * TCB info and QE identity bodies and the PEM TCB signing chain (all
 * required), the PCK CA CRL and the root CA CRL (DER, PEM or hex; both or
 * neither). With it, TDX claims carry the TCB status; each argument is copied.
 */
CCG_API CCG_MUST_USE enum ccg_status
ccg_cpu_verifier_set_tdx_collateral(struct ccg_cpu_verifier *v, const uint8_t *tcb_info, size_t tcb_info_len,
				    const uint8_t *qe_identity, size_t qe_identity_len, const uint8_t *signing_chain,
				    size_t signing_chain_len, const uint8_t *pck_crl, size_t pck_crl_len,
				    const uint8_t *root_crl, size_t root_crl_len, struct ccg_error *err);
/*
 * ccg_cpu_verifier_add_amd_crl: a CRL of an AMD root key (DER or PEM, as KDS
 * serves it at /vcek/v1/{product}/crl), copied. At appraisal the CRL issued
 * by the ARK in use must verify with the ARK's key, must not be from after
 * the verification time, and must not list a certificate of the chain (the
 * ASK, or a VLEK's ASVK: CCG_ERR_REVOKED naming it); CRLs of other roots are
 * ignored. A CRL replaces an earlier one of the same issuer; at most
 * CCG_CPU_MAX_AMD_CRLS issuers (CCG_ERR_TOO_LARGE). Claims: snp-crl-checked,
 * snp-collateral-stale (no CRL from the ARK, or past its nextUpdate).
 */
CCG_API CCG_MUST_USE enum ccg_status ccg_cpu_verifier_add_amd_crl(struct ccg_cpu_verifier *v, const uint8_t *crl,
								  size_t len, struct ccg_error *err);
/*
 * ccg_cpu_verifier_set_require_fresh_collateral: refuse (CCG_ERR_OCSP_STALE)
 * what is otherwise only a claim: an SEV-SNP chain without a current CRL from
 * its ARK (snp-collateral-stale), TDX collateral or CRLs past nextUpdate or
 * missing, or no TDX collateral at all (tdx-collateral-stale). Off by default.
 */
CCG_API void ccg_cpu_verifier_set_require_fresh_collateral(struct ccg_cpu_verifier *v, bool require);
/*
 * ccg_cpu_verifier_set_tpm_ak_pem: the TPM attestation key (PEM public key)
 * a plain TPM quote must be signed with; the evidence's ak_public must be
 * this key (else CCG_ERR_CERT_UNTRUSTED). Without it TPM evidence is
 * refused. ccg_cpu_verifier_set_tpm_ak_file: the same from a PEM file.
 */
CCG_API CCG_MUST_USE enum ccg_status ccg_cpu_verifier_set_tpm_ak_pem(struct ccg_cpu_verifier *v, const uint8_t *pem,
								     size_t len, struct ccg_error *err);
CCG_API CCG_MUST_USE enum ccg_status ccg_cpu_verifier_set_tpm_ak_file(struct ccg_cpu_verifier *v, const char *path,
								      struct ccg_error *err);
/* the names these had before the _pem / _file forms (they took bytes): kept for existing sources */
#define ccg_cpu_verifier_set_amd_ark ccg_cpu_verifier_set_amd_ark_pem
#define ccg_cpu_verifier_set_intel_root ccg_cpu_verifier_set_intel_root_pem
#define ccg_cpu_verifier_set_tpm_ak ccg_cpu_verifier_set_tpm_ak_pem
/*
 * ccg_cpu_verifier_set_gpu_verifier: the GPU verifier composite appraisal
 * uses (borrowed: it must outlive v's use; NULL unsets it).
 */
CCG_API void ccg_cpu_verifier_set_gpu_verifier(struct ccg_cpu_verifier *v, struct ccg_gpu_verifier *gpu);

/*
 * ccg_cpu_verifier_appraise: one CPU evidence object (JSON, as ccgpu collect
 * writes it: {"type": "snp" | "tdx" | "tpm" | "azure-snp-vtpm", …}, the
 * {ak_public, tpm_quote} TPM file layout, or a composite document whose "cpu"
 * member is taken) at time now (Unix seconds; CCG_TIME_NOW (0) = the current
 * time; negative: CCG_ERR_INVALID_ARG). report_data, when not NULL, is the
 * CCG_CPU_REPORT_DATA_LEN-byte value the report (TPM: extraData) must carry;
 * NULL compares none, so freshness is not proven (CCG_CHECK_FRESHNESS in
 * ccg_cpu_result_checks_skipped). CCG_OK and *out with the claims only when
 * every check passed; otherwise the first failed check's status, named in
 * err, and *out NULL. Thread-safe.
 */
CCG_API CCG_MUST_USE enum ccg_status ccg_cpu_verifier_appraise(const struct ccg_cpu_verifier *v,
							       const uint8_t *evidence, size_t len,
							       const uint8_t *report_data, size_t report_data_len,
							       int64_t now, struct ccg_cpu_result **out,
							       struct ccg_error *err);
/*
 * ccg_cpu_verifier_appraise_composite: a composite evidence document against
 * the verifier's nonce: the document's nonce must be it, the binding is
 * recomputed from the nonce, the TEE public key and the GPU evidence bytes and
 * required in the CPU evidence, and the GPU evidence is appraised with the GPU
 * verifier (required) over the same nonce. Claims:
 * {"ccgpu-composite": {binding, cpu-type, version}, "cpu": {…}, "gpu": {…}},
 * which ccg_claims_from_json reads as one document. now as
 * ccg_cpu_verifier_appraise. Errors as ccg_cpu_verifier_appraise
 * ("composite.binding", "tpm.extra_data", …); every member of the document
 * missing or of the wrong type is named. Thread-safe.
 */
CCG_API CCG_MUST_USE enum ccg_status ccg_cpu_verifier_appraise_composite(const struct ccg_cpu_verifier *v,
									 const uint8_t *doc, size_t len,
									 const uint8_t *nonce, size_t nonce_len,
									 int64_t now, struct ccg_cpu_result **out,
									 struct ccg_error *err);

/* The composite evidence document (docs/protocols.md, "Composite evidence"): its
 * "ccgpu-composite" version, the largest document read, the binding's length. */
#define CCG_COMPOSITE_VERSION 1
#define CCG_COMPOSITE_MAX (1024 * 1024)
#define CCG_BINDING_LEN 64

/*
 * ccg_composite_binding: what a composite's CPU evidence carries in its
 * report_data (TPM: extraData): SHA-512(nonce ‖ tee_pub ‖ SHA-384(gpu_evidence))
 * into out. The guest computes it before asking the CPU TEE for a report (as
 * `ccgpu collect` does); ccg_cpu_verifier_appraise_composite recomputes it.
 * CCG_ERR_CRYPTO if OpenSSL fails. Thread-safe.
 */
CCG_API CCG_MUST_USE enum ccg_status ccg_composite_binding(const uint8_t *nonce, size_t nonce_len,
							   const uint8_t *tee_pub, size_t tee_pub_len,
							   const uint8_t *gpu_evidence, size_t gpu_len,
							   uint8_t out[CCG_BINDING_LEN]);

/*
 * CPU evidence as users hold it: a raw SEV-SNP report (1184
 * bytes, from snpguest or /dev/sev-guest) with its VCEK (DER or PEM) and
 * AMD's chain bundle (PEM: ASK ‖ ARK, ASK ‖ ARK ‖ ASVK, …), or a raw TDX quote,
 * turned into the CPU evidence object ccg_cpu_verifier_appraise reads.
 */
enum ccg_cpu_format {
	CCG_CPU_FORMAT_UNKNOWN = 0, /* none of these (ccg_cpu_evidence_from_raw: detect it) */
	CCG_CPU_FORMAT_JSON = 1,    /* a CPU evidence object or composite document (a JSON object) */
	CCG_CPU_FORMAT_SNP = 2, /* an SEV-SNP ATTESTATION_REPORT: 1184 bytes, version 2..31, signature algorithm 1 */
	CCG_CPU_FORMAT_TDX = 3, /* a TDX DCAP quote: version 4 or 5, ECDSA P-256 key, TEE type 0x81 */
};

/*
 * ccg_cpu_format_detect: which of the formats the bytes are, from their
 * size and header fields (JSON: the bytes parse as one JSON object). It only
 * classifies: appraisal decides whether they verify. Thread-safe.
 */
CCG_API enum ccg_cpu_format ccg_cpu_format_detect(const uint8_t *b, size_t len);

/* ccg_cpu_format_name: "json", "snp", "tdx" or "unknown". */
CCG_API const char *ccg_cpu_format_name(enum ccg_cpu_format f);

#define CCG_CPU_MAX_RAW_CERTS 4

/*
 * ccg_cpu_evidence_from_raw: the CPU evidence object ({"type": "snp",
 * "report", "certs"} or {"type": "tdx", "quote"}) of a raw report of format
 * (CCG_CPU_FORMAT_UNKNOWN: detected) and, for SEV-SNP, the certificates in
 * the num_certs blobs certs[i] (each one DER certificate or PEM text of one
 * or more; the VCEK or VLEK among them, in any order, duplicates dropped, at
 * most CCG_CPU_MAX_RAW_CERTS distinct; which ones the chain needs is decided
 * at appraisal). *out_json is malloc'd JSON text for ccg_cpu_verifier_appraise.
 * Errors: CCG_ERR_UNSUPPORTED "cpu.format" (the bytes are neither format, or
 * not the one named), CCG_ERR_CERT_MISSING "snp.vcek" (an SEV-SNP report
 * without certificates), CCG_ERR_INVALID_ARG "cpu.certs" (certificates for a
 * TDX quote, which carries its PCK chain), CCG_ERR_ENCODING "cpu.certs[i]" (a
 * blob that is not a certificate), CCG_ERR_TOO_LARGE. Thread-safe.
 */
CCG_API CCG_MUST_USE enum ccg_status ccg_cpu_evidence_from_raw(enum ccg_cpu_format format, const uint8_t *report,
							       size_t report_len, const uint8_t *const *certs,
							       const size_t *certs_len, size_t num_certs,
							       char **out_json, struct ccg_error *err);

/*
 * ccg_cpu_result_checks_skipped: the checks not made, as CCG_CHECK_* bits
 * (status.h): CCG_CHECK_FRESHNESS (ccg_cpu_verifier_appraise without
 * report_data), CCG_CHECK_REVOCATION (SEV-SNP/Azure without a CRL of the
 * ARK; TDX without the PCK and root CA CRLs), CCG_CHECK_TCB_STATUS (TDX
 * without collateral), and for a composite result also the GPU's
 * (CCG_CHECK_REFERENCE_VALUES, CCG_CHECK_REVOCATION, ...). 0: everything was
 * checked. NULL: every bit.
 */
CCG_API uint32_t ccg_cpu_result_checks_skipped(const struct ccg_cpu_result *r);
/* ccg_cpu_result_tee: the kind of CPU evidence: "snp", "tdx", "tpm" or "azure-snp-vtpm" (borrowed). */
CCG_API const char *ccg_cpu_result_tee(const struct ccg_cpu_result *r);
/*
 * ccg_cpu_result_claims_json: the claims as JSON text (keys sorted; indent 0
 * for compact), malloc'd; NULL on allocation failure.
 */
CCG_API char *ccg_cpu_result_claims_json(const struct ccg_cpu_result *r, int indent);
/* ccg_cpu_result_free: NULL is allowed. */
CCG_API void ccg_cpu_result_free(struct ccg_cpu_result *r);

/* ---- claim getters (branch api12, issue 12 item 9) ---- */
/*
 * ccg_cpu_result_claim_string: the top-level claim name of the CPU result,
 * borrowed from r; NULL when absent or not a string.
 */
CCG_API const char *ccg_cpu_result_claim_string(const struct ccg_cpu_result *r, const char *name);
/* ccg_cpu_result_claim_bool: true and *out when the claim name is a boolean; false otherwise. */
CCG_API CCG_MUST_USE bool ccg_cpu_result_claim_bool(const struct ccg_cpu_result *r, const char *name, bool *out);
/* ccg_cpu_result_claim_int: true and *out when the claim name is an integer; false otherwise. */
CCG_API CCG_MUST_USE bool ccg_cpu_result_claim_int(const struct ccg_cpu_result *r, const char *name, int64_t *out);

#ifdef __cplusplus
}
#endif
#endif
