/* SPDX-License-Identifier: Apache-2.0 */
/* Internals of the GPU verifier: configuration, caches, and one GPU's appraisal record. */
#ifndef CCGPU_ATTEST_NVGPU_VERIFIER_H
#define CCGPU_ATTEST_NVGPU_VERIFIER_H

#include <jansson.h>
#include <openssl/x509.h>
#include <pthread.h>
#include <stdbool.h>

#include "attest/nvgpu_evidence.h"
#include "attest/nvgpu_golden.h"
#include "attest/nvgpu_opaque.h"
#include "attest/ocsp.h"
#include "attest/rim.h"
#include "attest/spdm.h"
#include "attest/x509_chain.h"
#include "ccgpu/attest.h"
#include "common/crypto.h"

#define CCG_CHAIN_CACHE_SLOTS 64
#define CCG_GPU_MAX_ERRORS 16

/* A device chain already verified to the anchor: its parsed certificates and validity window. */
struct ccg_chain_cache_entry {
	uint8_t key[CCG_SHA256_LEN]; /* SHA-256 of the PEM text */
	bool used;
	STACK_OF(X509) *certs;       /* leaf first, anchor excluded */
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
	struct ccg_ocsp *ocsp;       /* built lazily with the settings above */
	struct ccg_rim_store *rims;  /* built lazily */
	/* DER responses given to ccg_gpu_verifier_add_ocsp_response, replayed into each new OCSP checker */
	struct ccg_gpu_supplied_ocsp {
		uint8_t *der;
		size_t len;
	} *supplied;
	size_t n_supplied;
	pthread_mutex_t lock;        /* guards lazy construction and the chain cache */
	struct ccg_chain_cache_entry chains[CCG_CHAIN_CACHE_SLOTS];
	uint64_t clock;
};

/* Per-certificate-chain facts for the claims. */
struct ccg_chain_claims {
	bool checked;              /* the chain was examined */
	bool valid;                /* verified to the anchor (expiry as configured) */
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
	struct ccg_chain_claims chain;
	char hwmodel[96], ueid[64];
	struct ccg_nv_opaque opaque;
	struct ccg_spdm_meas_request req;
	struct ccg_spdm_meas_response resp;
	bool rims_checked;
	struct ccg_rim_claims driver, vbios;
	struct ccg_golden_result golden;
	bool golden_done;
	char warning[256];
	struct ccg_error error;    /* first failed check, CCG_OK when none */
	struct ccg_error errors[CCG_GPU_MAX_ERRORS]; /* every failed check, in order */
	size_t num_errors;
	struct ccg_error cur;      /* the check running now */
};

/* ccg_gpu_appraise_one: runs every check on one GPU; fills a. Returns a->error.status. */
enum ccg_status ccg_gpu_appraise_one(struct ccg_gpu_verifier *v, const struct ccg_gpu_item *it,
				     const uint8_t nonce[CCG_GPU_NONCE_LEN], int64_t now,
				     struct ccg_gpu_appraisal *a);

/* ccg_gpu_claims_build: the claims object of one appraised GPU (NVIDIA v3 names + ccgpu-*). */
json_t *ccg_gpu_claims_build(const struct ccg_gpu_appraisal *a, const uint8_t nonce[CCG_GPU_NONCE_LEN]);

#endif
