/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Fuzz target: contract documents; a contract that parses has a canonical
 * form that parses to the same id, and signature documents (the input
 * again) never make it hold without signatures. Verdict: the parse's.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ccgpu/policy.h"
#include "fuzz.h"

int ccg_fuzz_verdict(const uint8_t *data, size_t size)
{
	struct ccg_contract *c = NULL, *d = NULL;
	struct ccg_party_keys *keys = ccg_party_keys_new(); /* none registered: nothing can be in force */
	const uint8_t *canon;
	size_t len;
	enum ccg_status st;

	if (keys == NULL)
		abort();
	if ((st = ccg_contract_parse(data, size, &c, NULL)) != CCG_OK) {
		ccg_party_keys_free(keys);
		return st;
	}
	canon = ccg_contract_canonical(c, &len);
	if (ccg_contract_parse(canon, len, &d, NULL) != CCG_OK || strcmp(ccg_contract_id(c), ccg_contract_id(d)) != 0)
		abort();
	if (ccg_contract_add_signature(d, data, size, NULL) == CCG_OK)
		abort();
	if (ccg_contract_in_force(d, keys, 1795305600, NULL) == CCG_OK)
		abort();
	ccg_contract_free(c);
	ccg_contract_free(d);
	ccg_party_keys_free(keys);
	return CCG_OK;
}
