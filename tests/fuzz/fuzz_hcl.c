/* SPDX-License-Identifier: Apache-2.0 */
/* Fuzz target: Azure HCL report parser and the HCLAkPub JWK in its runtime data. Verdict: the parse's, then the key's. */
#include <openssl/evp.h>
#include <stdint.h>
#include <stdlib.h>

#include "attest/cpu/azure.h"
#include "fuzz.h"

int ccg_fuzz_verdict(const uint8_t *data, size_t size)
{
	struct ccg_azure_hcl h;
	struct ccg_snp_report r;
	EVP_PKEY *ak = NULL;
	enum ccg_status st;

	if ((st = ccg_azure_hcl_parse(data, size, &h, NULL)) != CCG_OK)
		return st;
	if (h.var_data < data || h.var_data + h.var_data_len > data + size)
		abort();
	if (ccg_snp_report_parse(h.hw_report, sizeof(h.hw_report), &r, NULL) == CCG_OK && r.version == 0)
		abort();
	if ((st = ccg_azure_hcl_ak(&h, &ak, NULL)) == CCG_OK)
		EVP_PKEY_free(ak);
	return st;
}
