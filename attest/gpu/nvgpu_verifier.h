/* SPDX-License-Identifier: Apache-2.0 */
/* Internals of the GPU verifier: configuration, caches, and one GPU's appraisal record. */
#ifndef CCGPU_ATTEST_NVGPU_VERIFIER_H
#define CCGPU_ATTEST_NVGPU_VERIFIER_H

#include <jansson.h>
#include <openssl/x509.h>
#include <pthread.h>
#include <stdbool.h>

#include "attest/gpu/nvgpu_evidence.h"
#include "attest/gpu/nvgpu_golden.h"
#include "attest/gpu/nvgpu_opaque.h"
#include "attest/pki/ocsp.h"
#include "attest/gpu/rim.h"
#include "attest/gpu/spdm.h"
#include "attest/pki/x509_chain.h"
#include "ccgpu/attest.h"
#include "common/crypto.h"

#define CCG_CHAIN_CACHE_SLOTS 64
#define CCG_GPU_MAX_ERRORS 16

/* A device chain already verified to the anchor: its parsed certificates and validity window. */
struct ccg_chain_cache_entry {
	uint8_t key[CCG_SHA256_LEN]; /* SHA-256 of the PEM text */
	bool used;
	STACK_OF(X509) *certs; /* leaf first, anchor excluded */
	EVP_PKEY *leaf_key;
	int64_t not_before, not_after; /* latest notBefore / earliest notAfter over the chain */
	uint64_t last_use;
};

struct ccg_gpu_verifier {
	X509 *device_anchor;
	X509 *rim_anchor;
	char *rim_dir, *rim_url, *cache_dir, *ocsp_url;
	enum ccg_gpu_ocsp_mode ocsp_mode;
	int64_t ocsp_max_age;
	bool offline, skip_rims, rim_ignore_expiry;
	struct ccg_ocsp *ocsp;      /* built lazily with the settings above */
	struct ccg_rim_store *rims; /* built lazily */
	/* DER responses given to ccg_gpu_verifier_add_ocsp_response, replayed into each new OCSP checker */
	struct ccg_gpu_supplied_ocsp {
		uint8_t *der;
		size_t len;
	} * supplied;
	size_t n_supplied;
	pthread_mutex_t lock; /* guards lazy construction and the chain cache */
	struct ccg_chain_cache_entry chains[CCG_CHAIN_CACHE_SLOTS];
	uint64_t clock;
};

/* Per-certificate-chain facts for the claims. */
struct ccg_chain_claims {
	bool checked; /* the chain was examined */
	bool valid;   /* verified to the anchor (expiry as configured) */
	bool expired;
	char not_after_iso[21];
	struct ccg_ocsp_cert_result ocsp;
};

struct ccg_rim_claims {
	char id[CCG_RIM_ID_MAX];
	bool fetched, schema_valid, signature_verified, version_match, measurements_available;
	struct ccg_chain_claims chain;
	const struct ccg_rim *rim; /* owned by the store; NULL when not fetched */
};

/* Everything learned about one GPU. */
struct ccg_gpu_appraisal {
	enum ccg_nvgpu_arch arch;
	bool parsed, nonce_match, arch_check, signature_verified, fwid_match;
	bool fwid_checked;         /* check_fwid ran */
	bool fwid_absent;          /* the report carries no FWID field (drivers before 550): accepted as NVIDIA does */
	bool revocation_attempted; /* OCSP was asked for the device chain (failed or not): not a skipped check */
	struct ccg_chain_claims chain;
	char hwmodel[96], ueid[64];
	bool has_leaf;
	uint8_t leaf_sha256[CCG_SHA256_LEN]; /* SHA-256 of the leaf certificate's DER */
	struct ccg_nv_opaque opaque;
	struct ccg_spdm_meas_request req;
	struct ccg_spdm_meas_response resp;
	bool rims_checked;
	bool freshness_skipped; /* the nonce was the evidence's own, not the caller's */
	struct ccg_rim_claims driver, vbios;
	struct ccg_golden_result golden;
	bool golden_done;
	char warning[256];
	struct ccg_error error;                      /* first failed check, CCG_OK when none */
	struct ccg_error errors[CCG_GPU_MAX_ERRORS]; /* every failed check, in order */
	size_t num_errors;
	struct ccg_error cur; /* the check running now */
};

/* ccg_gpu_appraise_one: runs every check on one GPU; fills a. Returns a->error.status. */
enum ccg_status ccg_gpu_appraise_one(struct ccg_gpu_verifier *v, const struct ccg_gpu_item *it,
				     const uint8_t nonce[CCG_GPU_NONCE_LEN], int64_t now, struct ccg_gpu_appraisal *a);

/* ccg_gpu_checks_skipped: the CCG_CHECK_* bits of what one GPU's appraisal did not check. */
uint32_t ccg_gpu_checks_skipped(const struct ccg_gpu_appraisal *a);

/* ccg_gpu_appraisal_fail: files a failure found across devices (after ccg_gpu_appraise_one) on a. */
void ccg_gpu_appraisal_fail(struct ccg_gpu_appraisal *a, const struct ccg_error *e);

/*
 * ccg_gpu_refuse_repeats: the same device twice in one appraisal (the same
 * leaf certificate, or the same ueid) fails every repeat with
 * CCG_ERR_DUPLICATE naming the device it repeats; names[i] is "GPU-0"...
 */
void ccg_gpu_refuse_repeats(struct ccg_gpu_appraisal **as, const char *const *names, size_t n);

/* ccg_switch_claims_build: the claims object of one appraised NVSwitch (NVIDIA's switch v3 names + ccgpu-*). */
json_t *ccg_switch_claims_build(const struct ccg_gpu_appraisal *a, const uint8_t nonce[CCG_GPU_NONCE_LEN]);

/*
 * ccg_ppcie_topology_check: NVIDIA's PPCIe topology check (nvtrust
 * ppcie-verifier validate_topology.py) over the GPUs and switches of one
 * document: 8 GPUs and 4 switches; every GPU's switch PDIs (read
 * little-endian, all-zero entries are disabled links and dropped) are the
 * same 4; every switch's own PDI is one of them and no two switches share
 * one; every switch sees the same 8 distinct GPU PDIs. A failure is filed
 * on the device it names (CCG_ERR_TOPOLOGY) and returned.
 */
enum ccg_status ccg_ppcie_topology_check(struct ccg_gpu_appraisal **gpus, const char *const *gpu_names, size_t num_gpus,
					 struct ccg_gpu_appraisal **switches, const char *const *switch_names,
					 size_t num_switches, struct ccg_error *err);

/* ccg_gpu_claims_build: the claims object of one appraised GPU (NVIDIA v3 names + ccgpu-*). */
json_t *ccg_gpu_claims_build(const struct ccg_gpu_appraisal *a, const uint8_t nonce[CCG_GPU_NONCE_LEN]);

#endif
