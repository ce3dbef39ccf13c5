/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Fuzz target: a TPM quote as JSON ({"message","signature","pcrs"}, hex or
 * base64, as in ccgpu's CPU evidence and Azure's tpm-quote files), or the
 * {ak_public, tpm_quote} TPM evidence file layout, through
 * ccg_tpm_quote_from_json and ccg_tpm_quote_verify: TPMS_ATTEST and
 * TPMT_SIGNATURE unmarshalling (libtss2-mu), PCR selection and digest,
 * signature (RSASSA, RSAPSS, ECDSA), then the claims. The attestation key is
 * the file's ak_public (DER SubjectPublicKeyInfo, base64) when it has one,
 * else the fixed test key of fuzz_support.c. No nonce is required. Verdict:
 * the JSON's, the key's, the quote's, then the verification's.
 */
#include <jansson.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "attest/cpu/tpm.h"
#include "common/encoding.h"
#include "common/json.h"
#include "fuzz.h"

int ccg_fuzz_verdict(const uint8_t *data, size_t size)
{
	json_t *doc = NULL, *obj;
	EVP_PKEY *ak = NULL;
	uint8_t *der = NULL;
	size_t der_len = 0;
	struct ccg_tpm_quote q;
	struct ccg_tpm_quote_info info;
	json_t *claims = NULL;
	const char *b64;
	enum ccg_status st;

	memset(&q, 0, sizeof(q));
	if ((st = ccg_json_parse(data, size, 1u << 20, "tpm", &doc, NULL)) != CCG_OK)
		return st;
	obj = doc;
	if ((b64 = json_string_value(json_object_get(doc, "ak_public"))) != NULL) {
		const unsigned char *p;

		obj = json_object_get(doc, "tpm_quote");
		if ((st = ccg_base64_decode(b64, strlen(b64), 4096, &der, &der_len)) != CCG_OK)
			goto out;
		p = der;
		ak = d2i_PUBKEY(NULL, &p, (long)der_len);
		if (ak == NULL || p != der + der_len) {
			st = CCG_ERR_ENCODING;
			goto out;
		}
	} else {
		ak = ccg_fuzz_tpm_ak();
		EVP_PKEY_up_ref(ak);
	}
	if ((st = ccg_tpm_quote_from_json(obj, "tpm", &q, NULL)) != CCG_OK)
		goto out;
	if (q.pcr_count == 0 || q.pcr_count > CCG_TPM_MAX_PCRS || q.attest_len > CCG_TPM_MAX_ATTEST ||
	    q.signature_len > CCG_TPM_MAX_SIGNATURE)
		abort();
	if ((st = ccg_tpm_quote_verify(&q, ak, NULL, 0, &info, NULL)) != CCG_OK)
		goto out;
	if (info.extra_data_len > sizeof(info.extra_data) || ccg_tpm_quote_claims(&q, &info, &claims) != CCG_OK ||
	    claims == NULL)
		abort();
out:
	json_decref(claims);
	ccg_tpm_quote_cleanup(&q);
	EVP_PKEY_free(ak);
	free(der);
	json_decref(doc);
	return st;
}
