/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Evaluate a policy (ccgpu's policy language) on a claims document (as verify_evidence writes it):
 * print allow, or deny and the first rule that does not hold.
 * Usage: evaluate_policy POLICY.ccp CLAIMS.json
 */
#include <ccgpu/ccgpu.h>
#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv)
{
	struct ccg_policy *p = NULL;
	struct ccg_claims *c = NULL;
	struct ccg_error err = {0};
	uint8_t *src = NULL, *json = NULL;
	size_t src_len = 0, json_len = 0;
	char msg[600];
	enum ccg_status st;

	if (argc != 3)
		return fprintf(stderr, "usage: evaluate_policy POLICY.ccp CLAIMS.json\n"), 2;
	if ((st = ccg_file_read(argv[1], CCG_POLICY_MAX_SOURCE, &src, &src_len, &err)) == CCG_OK &&
	    (st = ccg_file_read(argv[2], CCG_FILE_MAX_DEFAULT, &json, &json_len, &err)) == CCG_OK &&
	    (st = ccg_policy_parse((char *)src, src_len, &p, &err)) == CCG_OK &&
	    (st = ccg_claims_from_json((char *)json, json_len, &c, &err)) == CCG_OK)
		st = ccg_policy_eval(p, c, CCG_TIME_NOW, NULL, 0, &err);
	if (st == CCG_OK)
		printf("allow: %s\n", ccg_policy_name(p));
	else
		printf("deny: %s\n", ccg_error_format(&err, msg, sizeof(msg)));
	ccg_claims_free(c);
	ccg_policy_free(p);
	free(src), free(json);
	return st == CCG_OK ? 0 : 1;
}
