/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Fuzz target: policy import (policies/import.c): NVIDIA JSON relying-party
 * policies and Azure Secure Key Release policies turned into native policy
 * text, which is then parsed and checked like any other policy. The text the
 * importer writes must never be a syntax error (a claim name or string of
 * the input breaking out of its quotes would be one): that aborts. Verdict:
 * the import's, then the parse's.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ccgpu/policy.h"
#include "policies/policy_int.h"
#include "fuzz.h"

int ccg_fuzz_verdict(const uint8_t *data, size_t size)
{
	struct ccg_policy *p = NULL;
	char *text = NULL;
	enum ccg_status st;

	if ((st = ccg_policy_import(data, size, "imported", &text, NULL)) != CCG_OK) {
		if (text != NULL)
			abort();
		return st;
	}
	if (text == NULL)
		abort();
	st = ccg_policy_parse(text, strlen(text), &p, NULL);
	if (st == CCG_ERR_POLICY_SYNTAX)
		abort();
	ccg_policy_free(p);
	free(text);
	return st;
}
