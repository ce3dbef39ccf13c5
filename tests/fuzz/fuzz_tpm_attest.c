/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Fuzz target: TPMS_ATTEST (quote) and TPM2B_PUBLIC unmarshalling through
 * libtss2-mu, on the same bytes. Verdict: CCG_OK when they are a quote,
 * else the public key's.
 */
#include <openssl/evp.h>
#include <stdint.h>
#include <stdlib.h>

#include "attest/cpu/tpm.h"
#include "fuzz.h"

int ccg_fuzz_verdict(const uint8_t *data, size_t size)
{
	struct ccg_tpm_quote_info info;
	EVP_PKEY *k = NULL;
	enum ccg_status attest, pub;

	attest = ccg_tpm_attest_parse(data, size, &info, NULL);
	if (attest == CCG_OK && (info.extra_data_len > sizeof(info.extra_data) || info.pcr_select_mask > 0xFFFFFF))
		abort();
	pub = ccg_tpm_public_to_pkey(data, size, &k, NULL);
	if (pub == CCG_OK && k == NULL)
		abort();
	EVP_PKEY_free(k);
	return attest == CCG_OK ? attest : pub;
}
