/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Evidence collection inside the confidential VM: configfs-tsm, the
 * /dev/sev-guest and /dev/tdx_guest ioctls, the vTPM through tpm2-tss ESAPI,
 * and NVIDIA GPU evidence through NVML loaded at run time.
 */
#ifndef CCGPU_TEE_GUEST_COLLECT_H
#define CCGPU_TEE_GUEST_COLLECT_H

#include <jansson.h>
#include <openssl/evp.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ccgpu/guest.h"
#include "ccgpu/status.h"

#define CCG_TSM_DEFAULT_ROOT "/sys/kernel/config/tsm/report"
#define CCG_TSM_INBLOB_LEN 64
#define CCG_TSM_MAX_BLOB (64 * 1024)

struct ccg_tsm_report {
	uint8_t *outblob; /* the report or quote (malloc'd) */
	size_t outblob_len;
	uint8_t *auxblob; /* certificates when the provider gives them (malloc'd, may be NULL) */
	size_t auxblob_len;
	char provider[32]; /* "sev_guest", "tdx_guest", … */
	uint64_t generation;
};
void ccg_tsm_report_cleanup(struct ccg_tsm_report *r);

/*
 * ccg_tsm_collect: one report through configfs-tsm under root (NULL: the
 * kernel's /sys/kernel/config/tsm/report): mkdir an entry, read generation,
 * write inblob (64 bytes), check that generation advanced by exactly one,
 * read outblob, auxblob and provider, and check generation again; a change
 * means another writer raced on the entry (CCG_ERR_IO, where
 * "tsm.generation"). The entry is removed afterwards. timeout_ms bounds the
 * wait for the attributes (0: 2000); the kernel answers at once.
 */
CCG_MUST_USE enum ccg_status ccg_tsm_collect(const char *root, const uint8_t inblob[CCG_TSM_INBLOB_LEN],
					     long timeout_ms, struct ccg_tsm_report *out, struct ccg_error *err);

/* ccg_sev_guest_report: SNP_GET_REPORT on dev (NULL: /dev/sev-guest); out holds 1184 bytes. */
CCG_MUST_USE enum ccg_status ccg_sev_guest_report(const char *dev, const uint8_t report_data[64], uint32_t vmpl,
						  uint8_t out[1184], struct ccg_error *err);
/* ccg_tdx_guest_report: TDX_CMD_GET_REPORT0 on dev (NULL: /dev/tdx_guest); out holds the 1024-byte TDREPORT. */
CCG_MUST_USE enum ccg_status ccg_tdx_guest_report(const char *dev, const uint8_t report_data[64], uint8_t out[1024],
						  struct ccg_error *err);

/* vTPM */
struct ccg_vtpm_quote {
	uint8_t *attest, *signature, *ak_public; /* TPMS_ATTEST, TPMT_SIGNATURE, DER SPKI of the AK */
	size_t attest_len, signature_len, ak_public_len;
	uint8_t pcrs[24][32]; /* SHA-256 bank */
	uint32_t pcr_mask;
};
void ccg_vtpm_quote_cleanup(struct ccg_vtpm_quote *q);
/*
 * ccg_vtpm_quote: a TPM2_Quote by the AK at persistent handle ak_handle over
 * the SHA-256 PCRs in pcr_mask with extraData (≤ 64 bytes), plus the PCR
 * values and the AK public key, through ESAPI on the TCTI named by tcti
 * ("device:/dev/tpmrm0", "swtpm:host=127.0.0.1,port=2321"; NULL: the device).
 */
CCG_MUST_USE enum ccg_status ccg_vtpm_quote(const char *tcti, uint32_t ak_handle, uint32_t pcr_mask,
					    const uint8_t *extra, size_t extra_len, struct ccg_vtpm_quote *out,
					    struct ccg_error *err);
/*
 * ccg_vtpm_quote_json: ccg_vtpm_quote, as the CPU evidence object `ccgpu
 * collect --cpu tpm` writes and ccg_cpu_verifier_appraise reads:
 * {"type": "tpm", "ak_public": base64 DER SPKI, "quote": {"message": hex
 * TPMS_ATTEST, "signature": hex TPMT_SIGNATURE, "pcrs": [hex, … up to the
 * highest quoted PCR]}}. *out is a new reference.
 */
CCG_MUST_USE enum ccg_status ccg_vtpm_quote_json(const char *tcti, uint32_t ak_handle, uint32_t pcr_mask,
						 const uint8_t *extra, size_t extra_len, json_t **out,
						 struct ccg_error *err);
/*
 * ccg_vtpm_ak_ensure: makes sure a key is persisted at ak_handle (0x81xxxxxx):
 * when the handle is empty, creates the AK (a restricted RSA-2048
 * RSASSA-SHA256 signing primary under the owner hierarchy, its private part
 * never leaving the TPM) and persists it there (*created true, optional); a
 * key already there is left as it is. Errors: CCG_ERR_INVALID_ARG
 * "vtpm.ak_handle", "vtpm.ak_create" / "vtpm.ak_persist" with tpm2-tss's
 * reason, the TCTI's.
 */
CCG_MUST_USE enum ccg_status ccg_vtpm_ak_ensure(const char *tcti, uint32_t ak_handle, bool *created,
						struct ccg_error *err);
/*
 * ccg_vtpm_ak_public: the public key of the key at ak_handle (TPM2_ReadPublic),
 * as a verifier is configured with it; the caller frees *out.
 */
CCG_MUST_USE enum ccg_status ccg_vtpm_ak_public(const char *tcti, uint32_t ak_handle, EVP_PKEY **out,
						struct ccg_error *err);
/* ccg_vtpm_nv_read: the whole NV index (at most 64 KiB), e.g. Azure's HCL report at 0x01400001. */
CCG_MUST_USE enum ccg_status ccg_vtpm_nv_read(const char *tcti, uint32_t nv_index, uint8_t **out, size_t *out_len,
					      struct ccg_error *err);

/* ccg_nvml_gpu_evidence: in ccgpu/guest.h (exported, branch api). */

/* struct ccg_collect_cpu, ccg_collect_cpu_kind_ok: in ccgpu/guest.h (exported, branch api). */
/*
 * ccg_collect_composite: binding = SHA-512(nonce ‖ tee_pub ‖ SHA-384(gpu)),
 * the CPU report or quote over it, and the document {"ccgpu-composite": 1,
 * "nonce", "tee_public_key", "gpu_evidence", "cpu"} in *out (new reference).
 * tee_pub is the DER SubjectPublicKeyInfo, gpu NVIDIA's serialized GPU
 * evidence. Errors are the collector's (named "tsm.*", "tpm.*", …); an
 * unknown kind or an empty PCR mask is CCG_ERR_INVALID_ARG ("--cpu", "--pcrs").
 */
CCG_MUST_USE enum ccg_status ccg_collect_composite(const struct ccg_collect_cpu *o, const uint8_t *nonce,
						   size_t nonce_len, const uint8_t *tee_pub, size_t tee_pub_len,
						   const uint8_t *gpu, size_t gpu_len, json_t **out,
						   struct ccg_error *err);

#endif
