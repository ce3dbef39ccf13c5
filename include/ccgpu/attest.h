/* SPDX-License-Identifier: Apache-2.0 */
/*
 * GPU evidence appraisal: NVIDIA SPDM measurement reports checked for
 * format, nonce, signature, certificate chain, FWID, revocation and
 * reference values, turned into NVIDIA-compatible claims (version 3.0).
 */
#ifndef CCGPU_ATTEST_PUBLIC_H
#define CCGPU_ATTEST_PUBLIC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ccgpu/status.h"

#ifdef __cplusplus
extern "C" {
#endif

struct ccg_gpu_verifier;
struct ccg_gpu_evidence;
struct ccg_gpu_result;

enum ccg_gpu_ocsp_mode {
	CCG_GPU_OCSP_OFF = 0,    /* revocation not checked; claims say "not-checked" */
	CCG_GPU_OCSP_CACHE = 1,  /* offline: cached or supplied responses only */
	CCG_GPU_OCSP_ONLINE = 2, /* fresh cached responses, else the responder */
};

#define CCG_GPU_NONCE_LEN 32
#define CCG_GPU_MAX_DEVICES 16

/*
 * ccg_gpu_verifier_new: a verifier with the defaults, at least as strict as
 * the ccgpu CLI's: NVIDIA Device Identity CA and NVIDIA RIM root as trust
 * anchors, OCSP online (each certificate's responder, no maximum age beyond
 * nextUpdate), no RIM source (so appraisal fails until
 * ccg_gpu_verifier_set_rims or an explicit ccg_gpu_verifier_skip_rims), no
 * cache. Turning a check off is explicit and shows in
 * ccg_gpu_result_checks_skipped.
 * A configured verifier may be shared by threads calling
 * ccg_gpu_verifier_appraise; the setters are not thread-safe.
 */
CCG_API CCG_MUST_USE enum ccg_status ccg_gpu_verifier_new(struct ccg_gpu_verifier **out);
/* ccg_gpu_verifier_free: frees the verifier and its caches; NULL is allowed. */
CCG_API void ccg_gpu_verifier_free(struct ccg_gpu_verifier *v);

/*
 * Trust anchors, here, in cpu.h and in channel.h, are given either way: as
 * PEM bytes (the setters and fields ending in _pem: the text and its
 * length, copied) or as a PEM file (those ending in _file: a path, read
 * when called). A trust anchor is one certificate (a TPM AK: one public
 * key); anything else in the PEM is refused.
 */
/* ccg_gpu_verifier_set_device_anchor_pem: the device chain trust anchor, a PEM certificate (pem, len). */
CCG_API CCG_MUST_USE enum ccg_status ccg_gpu_verifier_set_device_anchor_pem(struct ccg_gpu_verifier *v,
									    const uint8_t *pem, size_t len,
									    struct ccg_error *err);
/* ccg_gpu_verifier_set_device_anchor_file: the same from a PEM file. */
CCG_API CCG_MUST_USE enum ccg_status ccg_gpu_verifier_set_device_anchor_file(struct ccg_gpu_verifier *v,
									     const char *path, struct ccg_error *err);
/* ccg_gpu_verifier_set_rim_anchor_pem: the RIM signing chain trust anchor, a PEM certificate (pem, len). */
CCG_API CCG_MUST_USE enum ccg_status ccg_gpu_verifier_set_rim_anchor_pem(struct ccg_gpu_verifier *v, const uint8_t *pem,
									 size_t len, struct ccg_error *err);
/* ccg_gpu_verifier_set_rim_anchor_file: the same from a PEM file. */
CCG_API CCG_MUST_USE enum ccg_status ccg_gpu_verifier_set_rim_anchor_file(struct ccg_gpu_verifier *v, const char *path,
									  struct ccg_error *err);
/* the names these had before the _pem / _file forms (they took a path): kept for existing sources */
#define ccg_gpu_verifier_set_device_anchor ccg_gpu_verifier_set_device_anchor_file
#define ccg_gpu_verifier_set_rim_anchor ccg_gpu_verifier_set_rim_anchor_file
/*
 * ccg_gpu_verifier_set_rims: where reference manifests come from: a
 * directory of <rim id>.xml files and/or a RIM service base URL (either may
 * be NULL). With neither, reference values cannot be compared and appraisal
 * fails unless ccg_gpu_verifier_skip_rims(v, true).
 */
CCG_API CCG_MUST_USE enum ccg_status ccg_gpu_verifier_set_rims(struct ccg_gpu_verifier *v, const char *dir,
							       const char *service_url, struct ccg_error *err);
/* ccg_gpu_verifier_skip_rims: compare no reference values (claims say measres "not-checked"). */
CCG_API void ccg_gpu_verifier_skip_rims(struct ccg_gpu_verifier *v, bool skip);
/* ccg_gpu_verifier_set_rim_ignore_expiry: accept RIM chains past their validity (reported as a warning). */
CCG_API void ccg_gpu_verifier_set_rim_ignore_expiry(struct ccg_gpu_verifier *v, bool ignore);
/* ccg_gpu_verifier_set_cache_dir: directory for fetched RIMs and OCSP responses (created 0700). */
CCG_API CCG_MUST_USE enum ccg_status ccg_gpu_verifier_set_cache_dir(struct ccg_gpu_verifier *v, const char *dir,
								    struct ccg_error *err);
/*
 * ccg_gpu_verifier_set_ocsp: revocation mode; url overrides the responder in
 * each certificate (NULL: use the certificate's); max_age bounds the age of a
 * response in seconds (0: only its nextUpdate, and for a response without
 * nextUpdate CCG_GPU_OCSP_DEFAULT_MAX_AGE).
 * CCG_GPU_OCSP_OFF skips revocation (CCG_CHECK_REVOCATION in the result).
 * The setters may be called in any order, before or after
 * ccg_gpu_verifier_add_ocsp_response: supplied responses are kept.
 */
#define CCG_GPU_OCSP_DEFAULT_MAX_AGE 3600
CCG_API CCG_MUST_USE enum ccg_status ccg_gpu_verifier_set_ocsp(struct ccg_gpu_verifier *v, enum ccg_gpu_ocsp_mode mode,
							       const char *url, int64_t max_age, struct ccg_error *err);
/* ccg_gpu_verifier_set_offline: never touch the network (RIM service, OCSP responders). */
CCG_API void ccg_gpu_verifier_set_offline(struct ccg_gpu_verifier *v, bool offline);
/*
 * ccg_gpu_verifier_add_ocsp_response: supplies a DER OCSP response for offline
 * use (checked now, CCG_ERR_OCSP if malformed; at most 64). The bytes are
 * copied and kept whatever setter is called later.
 */
CCG_API CCG_MUST_USE enum ccg_status ccg_gpu_verifier_add_ocsp_response(struct ccg_gpu_verifier *v, const uint8_t *der,
									size_t len, struct ccg_error *err);

/* ccg_gpu_evidence_new: an empty evidence list. */
CCG_API CCG_MUST_USE enum ccg_status ccg_gpu_evidence_new(struct ccg_gpu_evidence **out);
/* ccg_gpu_evidence_free: NULL is allowed. */
CCG_API void ccg_gpu_evidence_free(struct ccg_gpu_evidence *ev);
/*
 * ccg_gpu_evidence_add_report: appends one GPU's raw SPDM GET_MEASUREMENTS
 * request ‖ response and its PEM device chain (leaf first). arch is "HOPPER"
 * or "BLACKWELL" (NULL: "HOPPER"). The bytes are copied.
 */
CCG_API CCG_MUST_USE enum ccg_status ccg_gpu_evidence_add_report(struct ccg_gpu_evidence *ev, const char *arch,
								 const uint8_t *report, size_t report_len,
								 const uint8_t *chain_pem, size_t chain_len,
								 struct ccg_error *err);
/*
 * ccg_gpu_evidence_add_json: appends every GPU of NVIDIA's serialized
 * evidence JSON ([{"arch","nonce","evidence","certificate"}], base64). All
 * entries must carry the same nonce.
 */
CCG_API CCG_MUST_USE enum ccg_status ccg_gpu_evidence_add_json(struct ccg_gpu_evidence *ev, const uint8_t *json,
							       size_t len, struct ccg_error *err);
/* ccg_gpu_evidence_count: number of GPUs. */
CCG_API size_t ccg_gpu_evidence_count(const struct ccg_gpu_evidence *ev);
/*
 * ccg_gpu_evidence_nonce: the nonce carried by serialized evidence, if any
 * (true and 32 bytes in out). This nonce came with the evidence: use it only
 * when the caller has no nonce of its own.
 */
CCG_API bool ccg_gpu_evidence_nonce(const struct ccg_gpu_evidence *ev, uint8_t out[CCG_GPU_NONCE_LEN]);
/* ccg_gpu_evidence_to_json: NVIDIA's serialized evidence JSON for ev with nonce; malloc'd. */
CCG_API CCG_MUST_USE enum ccg_status ccg_gpu_evidence_to_json(const struct ccg_gpu_evidence *ev,
							      const uint8_t nonce[CCG_GPU_NONCE_LEN], char **out);

/*
 * ccg_gpu_verifier_appraise: appraises every GPU in ev against nonce (the
 * verifier's 32-byte challenge) at time now (Unix seconds; CCG_TIME_NOW (0)
 * = the current time; negative: CCG_ERR_INVALID_ARG). nonce NULL takes the
 * nonce the serialized evidence carries (CCG_ERR_INVALID_ARG when it carries
 * none): the report is then not proven fresh, and the result and the claims
 * say so (CCG_CHECK_FRESHNESS, "freshness" in ccgpu-checks-skipped).
 * Returns CCG_OK only when every check made on every GPU passed; otherwise the
 * status of the first failed check, named in err. *out receives the result
 * (claims for every GPU, including failed ones) whenever the evidence could be
 * examined at all; it is NULL only for invalid arguments or lack of memory.
 * Thread-safe.
 */
CCG_API CCG_MUST_USE enum ccg_status ccg_gpu_verifier_appraise(struct ccg_gpu_verifier *v,
							       const struct ccg_gpu_evidence *ev, const uint8_t *nonce,
							       size_t nonce_len, int64_t now,
							       struct ccg_gpu_result **out, struct ccg_error *err);

/*
 * ccg_gpu_result_passed: the overall result (x-nvidia-overall-att-result):
 * every check that was made passed. What was not checked is in
 * ccg_gpu_result_checks_skipped; a relying party that needs those checks
 * must require the bits to be clear.
 */
CCG_API bool ccg_gpu_result_passed(const struct ccg_gpu_result *r);
/*
 * ccg_gpu_result_checks_skipped: the checks not made on some GPU, as
 * CCG_CHECK_* bits (status.h): CCG_CHECK_FRESHNESS (no nonce of the caller),
 * CCG_CHECK_REVOCATION (OCSP off), CCG_CHECK_REFERENCE_VALUES (RIMs
 * skipped); 0 when everything was checked. NULL: every bit. Thread-safe.
 */
CCG_API uint32_t ccg_gpu_result_checks_skipped(const struct ccg_gpu_result *r);
/*
 * ccg_gpu_result_claims_json: the claims as JSON text (keys sorted; indent 0
 * for compact), malloc'd; NULL on allocation failure.
 */
CCG_API char *ccg_gpu_result_claims_json(const struct ccg_gpu_result *r, int indent);
/* ccg_gpu_result_free: NULL is allowed. */
CCG_API void ccg_gpu_result_free(struct ccg_gpu_result *r);

/* ---- per-GPU results and claim getters (branch api12, issue 12 item 9) ---- */
/* ccg_gpu_result_count: number of GPUs in the result (0 for NULL). */
CCG_API size_t ccg_gpu_result_count(const struct ccg_gpu_result *r);
/* ccg_gpu_result_device_passed: whether every check of GPU i passed (false when i is out of range). */
CCG_API bool ccg_gpu_result_device_passed(const struct ccg_gpu_result *r, size_t i);
/*
 * ccg_gpu_result_claim_string: GPU i's claim name (NVIDIA's names, e.g.
 * "x-nvidia-gpu-driver-version", "measres", or ccgpu's "ccgpu-*"), borrowed
 * from r; NULL when GPU i or the claim does not exist or is not a string.
 */
CCG_API const char *ccg_gpu_result_claim_string(const struct ccg_gpu_result *r, size_t i, const char *name);
/* ccg_gpu_result_claim_bool: true and *out when GPU i's claim name is a boolean; false otherwise. */
CCG_API CCG_MUST_USE bool ccg_gpu_result_claim_bool(const struct ccg_gpu_result *r, size_t i, const char *name,
						    bool *out);
/* ccg_gpu_result_claim_int: true and *out when GPU i's claim name is an integer; false otherwise. */
CCG_API CCG_MUST_USE bool ccg_gpu_result_claim_int(const struct ccg_gpu_result *r, size_t i, const char *name,
						   int64_t *out);

#ifdef __cplusplus
}
#endif
#endif
