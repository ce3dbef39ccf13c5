/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Fuzz target: policy text through the lexer, parser and checker; a policy
 * that parses must format to text that parses again to the same text
 * (fmt is idempotent), and must evaluate on a fixed claims document.
 * Verdict: the parse's, then the evaluation's.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ccgpu/policy.h"
#include "fuzz.h"

static const char claims[] =
	"{\"x-nvidia-overall-att-result\":true,\"eat_nonce\":\"00ff\",\"iat\":5,\"submods\":{"
	"\"GPU-0\":{\"measres\":\"success\",\"x-nvidia-gpu-driver-version\":\"550.90.07\",\"secboot\":true},"
	"\"GPU-1\":{\"measres\":\"fail\",\"x-nvidia-gpu-driver-version\":\"535.1\"}}}";

int ccg_fuzz_verdict(const uint8_t *data, size_t size)
{
	struct ccg_policy *p = NULL, *q = NULL;
	struct ccg_claims *c = NULL;
	struct ccg_rule_result res[256];
	char *one, *two;
	enum ccg_status st;

	if ((st = ccg_policy_parse((const char *)data, size, &p, NULL)) != CCG_OK)
		return st;
	one = ccg_policy_format(p);
	if (one == NULL || ccg_policy_parse(one, strlen(one), &q, NULL) != CCG_OK)
		abort();
	two = ccg_policy_format(q);
	if (two == NULL || strcmp(one, two) != 0)
		abort();
	if (ccg_claims_from_json(claims, sizeof(claims) - 1, &c, NULL) != CCG_OK)
		abort();
	if (ccg_policy_rule_count(p) > 256)
		abort();
	st = ccg_policy_eval(p, c, 1000, res, 256, NULL);
	if (st != CCG_OK && st != CCG_ERR_POLICY)
		abort();
	ccg_claims_free(c);
	free(one);
	free(two);
	ccg_policy_free(p);
	ccg_policy_free(q);
	return st;
}
