/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The daemon's appraisal service: a composite document through the public
 * verifier APIs (ccg_cpu_verifier_appraise_composite, which appraises the
 * GPUs with ccg_gpu_verifier_appraise), the appraisal policy (the project's
 * policy language, include/ccgpu/policy.h) deciding each submod's ear.status,
 * and the EAR token (token/ear.h). One appraisal path for the CLI, the
 * library and the daemon.
 */
#ifndef CCGPU_VERIFIER_APPRAISE_H
#define CCGPU_VERIFIER_APPRAISE_H

#include <stdint.h>

#include "ccgpu/status.h"
#include "verifier/config.h"
#include "token/ear.h"
#include "verifier/request.h"

struct vd_appraiser;

/*
 * vd_appraiser_new: the CPU and GPU verifiers configured from c (anchors,
 * RIMs, OCSP, collateral files read now) and the appraisal policy (c->policy,
 * or the built-in default). Errors name the config key whose file failed.
 */
CCG_MUST_USE enum ccg_status vd_appraiser_new(const struct vd_config *c, struct vd_appraiser **out,
					      struct ccg_error *err);
void vd_appraiser_free(struct vd_appraiser *a);
/* vd_appraiser_policy_id: ear.appraisal-policy-id: "ccgpu-policy:<name>:sha384:<hex of the canonical text>". */
const char *vd_appraiser_policy_id(const struct vd_appraiser *a);
/* vd_appraiser_gpu: the configured GPU verifier (the NRAS-compatible routes appraise with it); owned by a. */
struct ccg_gpu_verifier *vd_appraiser_gpu(const struct vd_appraiser *a);
/* vd_default_policy: the built-in appraisal policy text (verifier/default.policy). */
const char *vd_default_policy(void);

struct vd_verdict {
	char *jws;                                                    /* the EAR token (malloc'd) */
	enum ccg_ear_status status;                                   /* the overall status (worst submod) */
	char detail[CCG_ERROR_DETAIL_MAX + CCG_ERROR_WHERE_MAX + 16]; /* the first failed check or rule, "" if none */
};

/*
 * vd_appraise: appraises r (its nonce already consumed from the store) at
 * time now and issues the token with key, valid token_ttl seconds. An
 * evidence that fails a check is not an error: the token says
 * contraindicated and names the check. Errors are the service's own (no
 * memory, signing failed).
 */
CCG_MUST_USE enum ccg_status vd_appraise(const struct vd_appraiser *a, const struct ccg_ear_key *key,
					 const struct vd_attest_request *r, int64_t now, unsigned token_ttl,
					 struct vd_verdict *out, struct ccg_error *err);
void vd_verdict_cleanup(struct vd_verdict *v);

#endif
