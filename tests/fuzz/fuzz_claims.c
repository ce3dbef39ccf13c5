/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Fuzz target: a claims JSON document (the input of ccg_policy_eval, as a
 * verifier builds it from GPU and CPU claims) read by ccg_claims_from_json,
 * then evaluated by a fixed policy that reads GPU claims of every type, CPU
 * claims and time, at a fixed time. Verdict: the read's, then the
 * evaluation's (CCG_OK allow, CCG_ERR_POLICY deny; nothing else is allowed
 * from evaluation).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ccgpu/policy.h"
#include "fuzz.h"

/* 2026-11-22T00:00:00Z */
#define FUZZ_NOW 1795305600

static const char policy[] =
	"policy \"fuzz-claims\" version 1\n"
	"rule overall \"overall\" { x-nvidia-overall-att-result }\n"
	"rule gpus \"every GPU\" { every gpu (x-nvidia-gpu-attestation-report-signature-verified\n"
	"  and measres in {\"success\", \"not-checked\"} and x-nvidia-gpu-driver-version >= \"550.54.15\"\n"
	"  and x-nvidia-gpu-attestation-report-cert-chain.x-nvidia-cert-expiration-date > now) }\n"
	"rule any_gpu \"some GPU\" { some gpu (secboot == true or dbgstat == \"disabled\") }\n"
	"rule count \"count\" { ccgpu-gpu-count >= 1 and not (ccgpu-gpu-count > 8) }\n"
	"rule cpu \"cpu\" { not exists ccgpu-cpu-tee or ccgpu-cpu-tee in {\"snp\", \"tdx\", \"tpm\", \"azure-snp-vtpm\"} }\n"
	"rule nonce \"nonce\" { exists eat_nonce and iat >= 3 }\n";

int ccg_fuzz_verdict(const uint8_t *data, size_t size)
{
	static struct ccg_policy *p;
	struct ccg_claims *c = NULL;
	struct ccg_rule_result res[16];
	enum ccg_status st;

	if (p == NULL && ccg_policy_parse(policy, sizeof(policy) - 1, &p, NULL) != CCG_OK)
		abort();
	if ((st = ccg_claims_from_json((const char *)data, size, &c, NULL)) != CCG_OK) {
		if (c != NULL)
			abort();
		return st;
	}
	st = ccg_policy_eval(p, c, FUZZ_NOW, res, sizeof(res) / sizeof(res[0]), NULL);
	if (st != CCG_OK && st != CCG_ERR_POLICY)
		abort();
	ccg_claims_free(c);
	return st;
}
