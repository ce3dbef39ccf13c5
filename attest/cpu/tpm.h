/* SPDX-License-Identifier: Apache-2.0 */
/*
 * TPM 2.0 quotes: TPMS_ATTEST and TPMT_SIGNATURE unmarshalled with tpm2-tss
 * (libtss2-mu), the signature with the attestation key (RSASSA, RSAPSS,
 * ECDSA), the PCR digest over the supplied PCR values, the extraData nonce.
 */
#ifndef CCGPU_ATTEST_TPM_H
#define CCGPU_ATTEST_TPM_H

#include <jansson.h>
#include <openssl/evp.h>
#include <stdbool.h>
#include <stdint.h>

#include "ccgpu/status.h"

#define CCG_TPM_MAX_PCRS 24
#define CCG_TPM_MAX_ATTEST 2048
#define CCG_TPM_MAX_SIGNATURE 1024

/* a quote as bytes: marshalled TPMS_ATTEST and TPMT_SIGNATURE, and one PCR bank */
struct ccg_tpm_quote {
	uint8_t *attest;
	size_t attest_len;
	uint8_t *signature;
	size_t signature_len;
	uint16_t pcr_alg; /* TPM2_ALG_SHA256 (0x000B), SHA384 (0x000C), SHA1 (0x0004) */
	uint8_t pcrs[CCG_TPM_MAX_PCRS][64];
	size_t pcr_len;   /* digest size of pcr_alg */
	size_t pcr_count; /* PCRs 0 .. pcr_count-1 supplied */
};
void ccg_tpm_quote_cleanup(struct ccg_tpm_quote *q);

/*
 * ccg_tpm_quote_from_json: {"message","signature","pcrs":[…]} with message and
 * signature in hex or base64 and PCRs in hex (SHA-256 bank unless their size
 * says SHA-1/SHA-384). where names the object in errors.
 */
CCG_MUST_USE enum ccg_status ccg_tpm_quote_from_json(const json_t *obj, const char *where, struct ccg_tpm_quote *out,
						     struct ccg_error *err);

/* what the quote says, after unmarshalling */
struct ccg_tpm_quote_info {
	uint8_t extra_data[64];
	size_t extra_data_len;
	uint64_t clock;
	uint32_t reset_count, restart_count;
	bool safe;
	uint64_t firmware_version;
	uint32_t pcr_select_mask; /* PCRs of the quoted bank */
	uint16_t pcr_select_alg;
	uint16_t sig_alg, sig_hash;
};

/*
 * ccg_tpm_quote_verify: unmarshals (trailing bytes refused), checks magic
 * TPM_GENERATED_VALUE and type TPM_ST_ATTEST_QUOTE, one PCR bank selected
 * and equal to the supplied bank, PCR digest = H_sig(selected PCRs in order),
 * the signature with ak (RSA or EC; the scheme from TPMT_SIGNATURE), and,
 * when nonce is non-NULL, extraData == nonce. err->where: "tpm.attest",
 * "tpm.signature", "tpm.pcr_digest", "tpm.extra_data", …
 */
CCG_MUST_USE enum ccg_status ccg_tpm_quote_verify(const struct ccg_tpm_quote *q, EVP_PKEY *ak, const uint8_t *nonce,
						  size_t nonce_len, struct ccg_tpm_quote_info *out,
						  struct ccg_error *err);

/* ccg_tpm_attest_parse: only the unmarshalling (for fuzzing and claims). */
CCG_MUST_USE enum ccg_status ccg_tpm_attest_parse(const uint8_t *attest, size_t len, struct ccg_tpm_quote_info *out,
						  struct ccg_error *err);

/* ccg_tpm_public_to_pkey: a marshalled TPM2B_PUBLIC (RSA or ECC P-256/P-384) as an EVP_PKEY. */
CCG_MUST_USE enum ccg_status ccg_tpm_public_to_pkey(const uint8_t *tpm2b_public, size_t len, EVP_PKEY **out,
						    struct ccg_error *err);

/* ccg_tpm_quote_claims: tpm-pcrs (index → hex of the quoted bank), tpm-extra-data, clock info. */
CCG_MUST_USE enum ccg_status ccg_tpm_quote_claims(const struct ccg_tpm_quote *q, const struct ccg_tpm_quote_info *info,
						  json_t **out);

#endif
