/* SPDX-License-Identifier: Apache-2.0 */
/* TPM quotes and Azure HCL reports on real evidence: verdicts, flips, truncations. */
#include <stdarg.h>
#include <setjmp.h>
#include <stddef.h>
#include <cmocka.h>
#include <jansson.h>
#include <openssl/x509.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "attest/cpu/azure.h"
#include "attest/cpu/tpm.h"
#include "common/crypto.h"
#include "common/encoding.h"
#include "testdata.h"

#define NOW 1795305600 /* 2026-11-22 */

static json_t *load_json(const char *rel)
{
	size_t n;
	uint8_t *b = td_read(rel, &n);
	json_t *j = json_loadb((const char *)b, n, 0, NULL);

	assert_non_null(j);
	free(b);
	return j;
}

static EVP_PKEY *spki_b64(const char *b64)
{
	uint8_t *der = NULL;
	size_t n = 0;
	const unsigned char *p;
	EVP_PKEY *k;

	assert_int_equal(ccg_base64_decode(b64, strlen(b64), 4096, &der, &n), CCG_OK);
	p = der;
	k = d2i_PUBKEY(NULL, &p, (long)n);
	assert_non_null(k);
	free(der);
	return k;
}

static void test_tpm_evidence_verifies(void **state)
{
	json_t *j = load_json("tpm/tpm_evidence.json"), *c = NULL;
	EVP_PKEY *ak = spki_b64(json_string_value(json_object_get(j, "ak_public")));
	struct ccg_tpm_quote q;
	struct ccg_tpm_quote_info info;
	struct ccg_error err;
	uint8_t nonce[64];

	(void)state;
	ccg_error_clear(&err);
	assert_int_equal(ccg_tpm_quote_from_json(json_object_get(j, "tpm_quote"), "tpm_quote", &q, &err), CCG_OK);
	if (ccg_tpm_quote_verify(&q, ak, NULL, 0, &info, &err) != CCG_OK)
		fail_msg("%s: %s", err.where, err.detail);
	assert_int_equal(info.extra_data_len, 64);
	assert_int_equal(info.sig_alg, 0x0014); /* RSASSA */
	/* the nonce check: its own extraData passes, another fails */
	memcpy(nonce, info.extra_data, 64);
	assert_int_equal(ccg_tpm_quote_verify(&q, ak, nonce, 64, &info, NULL), CCG_OK);
	nonce[0] ^= 1;
	assert_int_equal(ccg_tpm_quote_verify(&q, ak, nonce, 64, &info, NULL), CCG_ERR_NONCE_MISMATCH);
	/* a changed PCR value */
	q.pcrs[0][0] ^= 1;
	ccg_error_clear(&err);
	assert_int_equal(ccg_tpm_quote_verify(&q, ak, NULL, 0, &info, &err), CCG_ERR_MEASUREMENT_MISMATCH);
	assert_string_equal(err.where, "tpm.pcr_digest");
	q.pcrs[0][0] ^= 1;
	assert_int_equal(ccg_tpm_quote_claims(&q, &info, &c), CCG_OK);
	assert_non_null(json_object_get(json_object_get(c, "tpm-pcrs"), "0"));
	json_decref(c);
	/* every flip and truncation of the attest and the signature fails */
	for (size_t i = 0; i < q.attest_len; i++) {
		q.attest[i] ^= 0x01;
		assert_int_not_equal(ccg_tpm_quote_verify(&q, ak, NULL, 0, &info, NULL), CCG_OK);
		q.attest[i] ^= 0x01;
	}
	for (size_t i = 0; i < q.signature_len; i++) {
		q.signature[i] ^= 0x01;
		assert_int_not_equal(ccg_tpm_quote_verify(&q, ak, NULL, 0, &info, NULL), CCG_OK);
		q.signature[i] ^= 0x01;
	}
	{
		size_t full = q.attest_len;

		for (size_t n = 0; n < full; n++) {
			q.attest_len = n;
			assert_int_not_equal(ccg_tpm_quote_verify(&q, ak, NULL, 0, &info, NULL), CCG_OK);
		}
		q.attest_len = full;
	}
	assert_int_equal(ccg_tpm_quote_verify(&q, ak, NULL, 0, &info, NULL), CCG_OK);
	ccg_tpm_quote_cleanup(&q);
	EVP_PKEY_free(ak);
	json_decref(j);
}

/*
 * The expected nonce must equal the quote's extraData in length as well as
 * in bytes: a prefix of the extraData, an empty nonce and one byte more are
 * each refused at tpm.extra_data (the signature and PCRs are valid).
 */
static void test_tpm_extra_data_length(void **state)
{
	json_t *j = load_json("tpm/tpm_evidence.json");
	EVP_PKEY *ak = spki_b64(json_string_value(json_object_get(j, "ak_public")));
	struct ccg_tpm_quote q;
	struct ccg_tpm_quote_info info;
	struct ccg_error err;
	uint8_t nonce[65];

	(void)state;
	assert_int_equal(ccg_tpm_quote_from_json(json_object_get(j, "tpm_quote"), "tpm_quote", &q, NULL), CCG_OK);
	assert_int_equal(ccg_tpm_quote_verify(&q, ak, NULL, 0, &info, NULL), CCG_OK);
	assert_int_equal(info.extra_data_len, 64);
	memcpy(nonce, info.extra_data, 64);
	nonce[64] = info.extra_data[63];
	assert_int_equal(ccg_tpm_quote_verify(&q, ak, nonce, 64, &info, NULL), CCG_OK);
	{
		static const size_t lens[] = {32, 63, 1, 0, 65};

		for (size_t i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
			ccg_error_clear(&err);
			if (ccg_tpm_quote_verify(&q, ak, nonce, lens[i], &info, &err) != CCG_ERR_NONCE_MISMATCH)
				fail_msg("a %zu-byte nonce matched a 64-byte extraData", lens[i]);
			assert_string_equal(err.where, "tpm.extra_data");
		}
	}
	ccg_tpm_quote_cleanup(&q);
	EVP_PKEY_free(ak);
	json_decref(j);
}

struct azure {
	uint8_t *hcl;
	size_t hcl_len;
	STACK_OF(X509) *certs;
	X509 *ark;
	struct ccg_tpm_quote q;
};

static void azure_load(struct azure *a)
{
	uint8_t *pem;
	size_t n;
	json_t *j = load_json("azure-snp-vtpm/tpm-quote-v1.json");

	a->hcl = td_read("azure-snp-vtpm/hcl-report.bin", &a->hcl_len);
	pem = td_read("azure-snp-vtpm/vcek.pem", &n);
	assert_int_equal(ccg_pem_certs_parse(pem, n, 3, &a->certs, NULL), CCG_OK);
	free(pem);
	a->ark = sk_X509_value(a->certs, 2);
	assert_int_equal(ccg_tpm_quote_from_json(j, "tpm_quote", &a->q, NULL), CCG_OK);
	json_decref(j);
}

static void azure_free(struct azure *a)
{
	free(a->hcl);
	sk_X509_pop_free(a->certs, X509_free);
	ccg_tpm_quote_cleanup(&a->q);
}

static enum ccg_status azure_verify(struct azure *a, const uint8_t *hcl, size_t len, const char *nonce, json_t **claims,
				    struct ccg_error *err)
{
	struct ccg_azure_hcl h;
	struct ccg_azure_verify_opts o = {.ark = a->ark,
					  .certs = a->certs,
					  .now = NOW,
					  .quote = &a->q,
					  .nonce = (const uint8_t *)nonce,
					  .nonce_len = nonce ? strlen(nonce) : 0};
	json_t *local = NULL;
	enum ccg_status st = ccg_azure_hcl_parse(hcl, len, &h, err);

	if (st == CCG_OK)
		st = ccg_azure_hcl_verify(&h, &o, claims != NULL ? claims : &local, err);
	json_decref(local);
	return st;
}

static void test_azure_hcl_verifies(void **state)
{
	struct azure a;
	struct ccg_error err;
	json_t *c = NULL;

	(void)state;
	azure_load(&a);
	ccg_error_clear(&err);
	if (azure_verify(&a, a.hcl, a.hcl_len, "challenge", &c, &err) != CCG_OK)
		fail_msg("%s: %s", err.where, err.detail);
	assert_string_equal(json_string_value(json_object_get(c, "azure-hcl-report-type")), "SEV-SNP");
	assert_non_null(json_object_get(c, "snp-measurement"));
	assert_non_null(json_object_get(c, "tpm-pcrs"));
	json_decref(c);
	assert_int_equal(azure_verify(&a, a.hcl, a.hcl_len, "challengf", NULL, NULL), CCG_ERR_NONCE_MISMATCH);
	/* every flip of the report up to report_size fails; truncations fail */
	for (size_t i = 0; i < 2346; i++) {
		a.hcl[i] ^= 0x01;
		if (azure_verify(&a, a.hcl, a.hcl_len, "challenge", NULL, NULL) == CCG_OK)
			fail_msg("flip of byte %zu still verifies", i);
		a.hcl[i] ^= 0x01;
	}
	for (size_t n = 0; n < 2346; n += 11)
		assert_int_not_equal(azure_verify(&a, a.hcl, n, "challenge", NULL, NULL), CCG_OK);
	azure_free(&a);
}

static void test_azure_evidence_document(void **state)
{
	struct azure a;
	json_t *ev = load_json("azure-snp-vtpm/evidence-v1.json");
	const char *b64 = json_string_value(json_object_get(ev, "hcl_report"));
	uint8_t *hcl = NULL;
	size_t n = 0, m;
	char *std = strdup(b64);
	struct ccg_error err;

	(void)state;
	azure_load(&a);
	/* the document's quote and HCL report (base64url) */
	ccg_tpm_quote_cleanup(&a.q);
	assert_int_equal(ccg_tpm_quote_from_json(json_object_get(ev, "tpm_quote"), "tpm_quote", &a.q, NULL), CCG_OK);
	for (char *p = std; *p; p++)
		*p = *p == '-' ? '+' : *p == '_' ? '/' : *p;
	m = strlen(std);
	std = realloc(std, m + 4);
	while (m % 4)
		std[m++] = '=';
	std[m] = 0;
	assert_int_equal(ccg_base64_decode(std, m, 65536, &hcl, &n), CCG_OK);
	{ /* the document's own VCEK, with the ASK and ARK */
		const char *v = json_string_value(json_object_get(ev, "vcek"));
		uint8_t *der = NULL;
		size_t dl = 0;
		X509 *vcek = NULL;

		char *sv = strdup(v);

		for (char *p = sv; *p; p++)
			*p = *p == '-' ? '+' : *p == '_' ? '/' : *p;
		assert_int_equal(ccg_base64_decode(sv, strlen(sv), 8192, &der, &dl), CCG_OK);
		free(sv);
		assert_int_equal(ccg_der_cert_parse(der, dl, &vcek, NULL), CCG_OK);
		X509_free(sk_X509_value(a.certs, 0));
		(void)sk_X509_set(a.certs, 0, vcek);
		free(der);
	}
	ccg_error_clear(&err);
	if (azure_verify(&a, hcl, n, "challenge", NULL, &err) != CCG_OK)
		fail_msg("%s: %s", err.where, err.detail);
	free(hcl);
	free(std);
	json_decref(ev);
	azure_free(&a);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tpm_evidence_verifies),
		cmocka_unit_test(test_tpm_extra_data_length),
		cmocka_unit_test(test_azure_hcl_verifies),
		cmocka_unit_test(test_azure_evidence_document),
	};

	td_require();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
