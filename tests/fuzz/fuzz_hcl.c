/* SPDX-License-Identifier: Apache-2.0 */
/* Fuzz target: Azure HCL report parser and the HCLAkPub JWK in its runtime data. */
#include <openssl/evp.h>
#include <stdint.h>
#include <stdlib.h>

#include "attest/azure.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ccg_azure_hcl h;
	struct ccg_snp_report r;
	EVP_PKEY *ak = NULL;

	if (ccg_azure_hcl_parse(data, size, &h, NULL) != CCG_OK)
		return 0;
	if (h.var_data < data || h.var_data + h.var_data_len > data + size)
		abort();
	if (ccg_snp_report_parse(h.hw_report, sizeof(h.hw_report), &r, NULL) == CCG_OK && r.version == 0)
		abort();
	if (ccg_azure_hcl_ak(&h, &ak, NULL) == CCG_OK)
		EVP_PKEY_free(ak);
	return 0;
}
