/* SPDX-License-Identifier: Apache-2.0 */
/* Fuzz target: TPMS_ATTEST (quote) and TPM2B_PUBLIC unmarshalling through libtss2-mu. */
#include <openssl/evp.h>
#include <stdint.h>
#include <stdlib.h>

#include "attest/tpm.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ccg_tpm_quote_info info;
	EVP_PKEY *k = NULL;

	if (ccg_tpm_attest_parse(data, size, &info, NULL) == CCG_OK &&
	    (info.extra_data_len > sizeof(info.extra_data) || info.pcr_select_mask > 0xFFFFFF))
		abort();
	if (ccg_tpm_public_to_pkey(data, size, &k, NULL) == CCG_OK && k == NULL)
		abort();
	EVP_PKEY_free(k);
	return 0;
}
