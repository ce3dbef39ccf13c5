/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The public CPU TEE verifier (include/ccgpu/cpu.h) on the real evidence:
 * the go-sev-guest SEV-SNP report with the pinned ARK or a given one, the
 * TDX v5 sample with its collateral at 2026-02-03, the TPM evidence file;
 * refusals name the failed check and return no result; composite appraisal
 * needs a GPU verifier and refuses a report that does not carry the binding.
 * Claims go straight into a policy.
 */
#include <stdarg.h>
#include <setjmp.h>
#include <stddef.h>
#include <cmocka.h>
#include <jansson.h>
#include <openssl/bio.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "amd_pki.h"
#include "ccgpu/attest.h"
#include "ccgpu/cpu.h"
#include "ccgpu/policy.h"
#include "common/encoding.h"
#include "testdata.h"

#define NOW 1795305600     /* 2026-11-22T00:00:00Z */
#define TDX_NOW 1770076800 /* 2026-02-03T00:00:00Z */

/* {"type":"snp","report":…,"certs":…} of a report and a PEM chain (malloc'd) */
static char *snp_doc(const uint8_t *rep, size_t rl, const char *pem, size_t n)
{
	char *b64 = ccg_base64_encode_alloc(rep, rl), *doc;
	size_t size, w;

	assert_non_null(b64);
	/* the PEM's newlines escaped for JSON */
	size = strlen(b64) + 2 * n + 64;
	doc = malloc(size);
	assert_non_null(doc);
	w = (size_t)snprintf(doc, size, "{\"type\":\"snp\",\"report\":\"%s\",\"certs\":\"", b64);
	for (size_t i = 0; i < n; i++) {
		if (pem[i] == '\n') {
			doc[w++] = '\\';
			doc[w++] = 'n';
		} else {
			doc[w++] = pem[i];
		}
	}
	snprintf(doc + w, size - w, "\"}");
	free(b64);
	return doc;
}

/* the go-sev-guest sample as an SNP evidence object (VCEK ‖ ASK ‖ ARK); *ark_pem: the ARK alone */
static char *snp_evidence(char **ark_pem)
{
	size_t rl, vl, cl;
	uint8_t *rep = td_read("snp/milan-go-sev-guest/attestation.bin", &rl);
	uint8_t *vcek = td_read("snp/milan-go-sev-guest/vcek.testcer", &vl);
	uint8_t *chain = td_read("snp/milan-go-sev-guest/milan.testcer", &cl);
	const unsigned char *p = vcek;
	X509 *leaf = d2i_X509(NULL, &p, (long)vl);
	BIO *bio = BIO_new(BIO_s_mem()), *in = BIO_new_mem_buf(chain, (int)cl), *arkbio = BIO_new(BIO_s_mem());
	X509 *ask = NULL, *ark = NULL;
	char *pem, *doc, *apem;
	long n, an;

	assert_non_null(leaf);
	assert_true(bio != NULL && in != NULL && arkbio != NULL);
	ask = PEM_read_bio_X509(in, NULL, NULL, NULL);
	ark = PEM_read_bio_X509(in, NULL, NULL, NULL);
	assert_true(ask != NULL && ark != NULL);
	assert_int_equal(PEM_write_bio_X509(bio, leaf), 1);
	assert_int_equal(PEM_write_bio_X509(bio, ask), 1);
	assert_int_equal(PEM_write_bio_X509(bio, ark), 1);
	assert_int_equal(PEM_write_bio_X509(arkbio, ark), 1);
	n = BIO_get_mem_data(bio, &pem);
	an = BIO_get_mem_data(arkbio, &apem);
	assert_true(n > 0 && an > 0);
	*ark_pem = strndup(apem, (size_t)an);
	assert_non_null(*ark_pem);
	doc = snp_doc(rep, rl, pem, (size_t)n);
	BIO_free(bio);
	BIO_free(in);
	BIO_free(arkbio);
	X509_free(leaf);
	X509_free(ask);
	X509_free(ark);
	free(rep);
	free(vcek);
	free(chain);
	return doc;
}

/* appraising doc at now is refused with want, named where (NULL: any), and yields no result */
static void expect_refused(const struct ccg_cpu_verifier *v, const char *doc, int64_t now, enum ccg_status want,
			   const char *where)
{
	struct ccg_cpu_result *r = NULL;
	struct ccg_error err;

	ccg_error_clear(&err);
	assert_int_equal(ccg_cpu_verifier_appraise(v, (const uint8_t *)doc, strlen(doc), NULL, 0, now, &r, &err), want);
	if (where != NULL)
		assert_string_equal(err.where, where);
	assert_null(r);
}

static json_t *claims_of(const struct ccg_cpu_result *r)
{
	char *text = ccg_cpu_result_claims_json(r, 0);
	json_t *j;

	assert_non_null(text);
	j = json_loads(text, 0, NULL);
	assert_non_null(j);
	free(text);
	return j;
}

static void test_snp(void **state)
{
	char *ark = NULL, *doc = snp_evidence(&ark), *text;
	struct ccg_cpu_verifier *v = NULL;
	struct ccg_cpu_result *r = NULL;
	struct ccg_error err;
	struct ccg_policy *p = NULL;
	struct ccg_claims *c = NULL;
	uint8_t rd[CCG_CPU_REPORT_DATA_LEN] = {0};
	const char *pol = "policy \"p\" version 1 rule debug \"no debug\" { snp-debug-allowed == false }";
	json_t *j;

	(void)state;
	assert_int_equal(ccg_cpu_verifier_new(&v), CCG_OK);
	/* no ARK configured: the chain's ARK is AMD's pinned Milan ARK */
	ccg_error_clear(&err);
	if (ccg_cpu_verifier_appraise(v, (const uint8_t *)doc, strlen(doc), NULL, 0, NOW, &r, &err) != CCG_OK)
		fail_msg("%s: %s", err.where, err.detail);
	assert_string_equal(ccg_cpu_result_tee(r), "snp");
	j = claims_of(r);
	assert_true(json_is_true(json_object_get(j, "snp-debug-allowed")));
	assert_string_equal(json_string_value(json_object_get(j, "ccgpu-cpu-tee")), "snp");
	/* the public getters read the same claims without a JSON library (issue 12 item 9) */
	{
		bool b = false;
		int64_t n = -1;

		assert_string_equal(ccg_cpu_result_claim_string(r, "ccgpu-cpu-tee"), "snp");
		assert_null(ccg_cpu_result_claim_string(r, "snp-debug-allowed"));
		assert_null(ccg_cpu_result_claim_string(r, "no-such-claim"));
		assert_null(ccg_cpu_result_claim_string(NULL, "ccgpu-cpu-tee"));
		assert_true(ccg_cpu_result_claim_bool(r, "snp-debug-allowed", &b));
		assert_true(b);
		assert_false(ccg_cpu_result_claim_bool(r, "ccgpu-cpu-tee", &b));
		assert_true(ccg_cpu_result_claim_int(r, "snp-guest-svn", &n));
		assert_int_equal(n, json_integer_value(json_object_get(j, "snp-guest-svn")));
		assert_true(ccg_cpu_result_claim_int(r, "snp-version", &n));
		assert_int_equal(n, json_integer_value(json_object_get(j, "snp-version")));
		assert_true(n >= 2);
		assert_false(ccg_cpu_result_claim_int(r, "ccgpu-cpu-tee", &n));
	}
	json_decref(j);
	/* the claims go into a policy as they are */
	text = ccg_cpu_result_claims_json(r, 2);
	assert_int_equal(ccg_policy_parse(pol, strlen(pol), &p, NULL), CCG_OK);
	assert_int_equal(ccg_claims_from_json(text, strlen(text), &c, NULL), CCG_OK);
	ccg_error_clear(&err);
	assert_int_equal(ccg_policy_eval(p, c, NOW, NULL, 0, &err), CCG_ERR_POLICY);
	assert_string_equal(err.where, "debug");
	ccg_claims_free(c);
	ccg_policy_free(p);
	free(text);
	ccg_cpu_result_free(r);
	r = NULL;
	/* the ARK given explicitly */
	assert_int_equal(ccg_cpu_verifier_set_amd_ark(v, (const uint8_t *)ark, strlen(ark), NULL), CCG_OK);
	assert_int_equal(ccg_cpu_verifier_appraise(v, (const uint8_t *)doc, strlen(doc), NULL, 0, NOW, &r, NULL),
			 CCG_OK);
	ccg_cpu_result_free(r);
	/* report_data required and not carried: refused by name, no result */
	ccg_error_clear(&err);
	assert_int_equal(ccg_cpu_verifier_appraise(v, (const uint8_t *)doc, strlen(doc), rd, sizeof(rd), NOW, &r, &err),
			 CCG_ERR_NONCE_MISMATCH);
	assert_string_equal(err.where, "snp.report_data");
	assert_null(r);
	assert_int_equal(ccg_cpu_verifier_appraise(v, (const uint8_t *)doc, strlen(doc), rd, 32, NOW, &r, NULL),
			 CCG_ERR_INVALID_ARG);
	/* after the VCEK's validity: refused */
	assert_int_equal(ccg_cpu_verifier_appraise(v, (const uint8_t *)doc, strlen(doc), NULL, 0, 1924992000, &r, NULL),
			 CCG_ERR_CERT_EXPIRED);
	/* not an ARK */
	ccg_error_clear(&err);
	assert_int_equal(ccg_cpu_verifier_set_amd_ark(v, (const uint8_t *)"x", 1, &err), CCG_ERR_ENCODING);
	ccg_cpu_verifier_free(v);
	free(doc);
	free(ark);
}

static void test_tdx(void **state)
{
	static const char *const names[] = {"quote_v5_sample.dat",
					    "sample_tcbinfo_response_v5",
					    "sample_qeIdentity_response",
					    "tcbinfo_issuer_chain.derived.pem",
					    "pckcrl",
					    "rootcrl.der",
					    "trusted_root.pem"};
	uint8_t *b[7];
	size_t l[7];
	char rel[128], *b64, *doc;
	size_t size;
	struct ccg_cpu_verifier *v = NULL;
	struct ccg_cpu_result *r = NULL;
	struct ccg_error err;
	json_t *j;

	(void)state;
	for (size_t i = 0; i < 7; i++) {
		snprintf(rel, sizeof(rel), "tdx/v5-sample/%s", names[i]);
		b[i] = td_read(rel, &l[i]);
	}
	b64 = ccg_base64_encode_alloc(b[0], l[0]);
	assert_non_null(b64);
	size = strlen(b64) + 64;
	doc = malloc(size);
	assert_non_null(doc);
	snprintf(doc, size, "{\"type\":\"tdx\",\"quote\":\"%s\"}", b64);
	assert_int_equal(ccg_cpu_verifier_new(&v), CCG_OK);
	/* no Intel root configured: the built-in Intel SGX Root CA; no collateral: TCB unknown, stale */
	ccg_error_clear(&err);
	if (ccg_cpu_verifier_appraise(v, (const uint8_t *)doc, strlen(doc), NULL, 0, TDX_NOW, &r, &err) != CCG_OK)
		fail_msg("%s: %s", err.where, err.detail);
	j = claims_of(r);
	assert_string_equal(json_string_value(json_object_get(j, "tdx-tcb-status")), "unknown");
	assert_true(json_is_true(json_object_get(j, "tdx-collateral-stale")));
	json_decref(j);
	ccg_cpu_result_free(r);
	r = NULL;
	assert_int_equal(ccg_cpu_verifier_set_intel_root(v, b[6], l[6], NULL), CCG_OK);
	/* a root but no collateral: passes with the TCB status and revocation reported as not checked */
	ccg_error_clear(&err);
	if (ccg_cpu_verifier_appraise(v, (const uint8_t *)doc, strlen(doc), NULL, 0, TDX_NOW, &r, &err) != CCG_OK)
		fail_msg("%s: %s", err.where, err.detail);
	assert_int_equal(ccg_cpu_result_checks_skipped(r),
			 CCG_CHECK_FRESHNESS | CCG_CHECK_TCB_STATUS | CCG_CHECK_REVOCATION);
	ccg_cpu_result_free(r);
	r = NULL;
	/* collateral without the CRLs: revocation not checked */
	assert_int_equal(ccg_cpu_verifier_set_tdx_collateral(v, b[1], l[1], b[2], l[2], b[3], l[3], NULL, 0, NULL, 0,
							     NULL),
			 CCG_OK);
	assert_int_equal(ccg_cpu_verifier_appraise(v, (const uint8_t *)doc, strlen(doc), NULL, 0, TDX_NOW, &r, NULL),
			 CCG_OK);
	assert_int_equal(ccg_cpu_result_checks_skipped(r), CCG_CHECK_FRESHNESS | CCG_CHECK_REVOCATION);
	ccg_cpu_result_free(r);
	r = NULL;
	assert_int_equal(ccg_cpu_verifier_set_tdx_collateral(v, b[1], l[1], b[2], l[2], b[3], l[3], b[4], l[4], NULL, 0,
							     &err),
			 CCG_ERR_INVALID_ARG);
	assert_int_equal(ccg_cpu_verifier_set_tdx_collateral(v, b[1], l[1], b[2], l[2], b[3], l[3], b[4], l[4], b[5],
							     l[5], NULL),
			 CCG_OK);
	ccg_error_clear(&err);
	if (ccg_cpu_verifier_appraise(v, (const uint8_t *)doc, strlen(doc), NULL, 0, TDX_NOW, &r, &err) != CCG_OK)
		fail_msg("%s: %s", err.where, err.detail);
	assert_string_equal(ccg_cpu_result_tee(r), "tdx");
	/* collateral with both CRLs: only freshness (no report_data) was not checked */
	assert_int_equal(ccg_cpu_result_checks_skipped(r), CCG_CHECK_FRESHNESS);
	j = claims_of(r);
	assert_string_equal(json_string_value(json_object_get(j, "tdx-tcb-status")), "UpToDate");
	assert_true(json_is_true(json_object_get(j, "tdx-collateral-stale")));
	json_decref(j);
	ccg_cpu_result_free(r);
	/* the sample's QE identity and CRLs are from 2023: refused when fresh collateral is required */
	ccg_cpu_verifier_set_require_fresh_collateral(v, true);
	expect_refused(v, doc, TDX_NOW, CCG_ERR_OCSP_STALE, "tdx.collateral");
	ccg_cpu_verifier_free(v);
	free(doc);
	free(b64);
	for (size_t i = 0; i < 7; i++)
		free(b[i]);
}

/* the CRL bytes of a CRL issued by issuer (signed with key) listing the certificates given */
static uint8_t *crl_of(X509 *issuer, EVP_PKEY *key, int64_t next_update, X509 *revoked, size_t *len)
{
	return ts_crl_der(issuer, key, NOW - 86400, next_update, &revoked, revoked != NULL ? 1 : 0, len);
}

static void expect_crl_claims(const struct ccg_cpu_result *r, bool checked, bool stale)
{
	json_t *j = claims_of(r);

	assert_int_equal(json_is_true(json_object_get(j, "snp-crl-checked")), checked);
	assert_int_equal(json_is_true(json_object_get(j, "snp-collateral-stale")), stale);
	json_decref(j);
}

/*
 * AMD CRLs through the public API (synthetic ARK ← ASK ← VCEK): unchecked
 * and stale without one (refused when fresh collateral is required), the
 * ASK listed is refused by name, an empty CRL of the ARK replaces it and
 * passes, another key's CRL is refused, CRLs of other roots are ignored,
 * malformed bytes are refused when added, at most CCG_CPU_MAX_AMD_CRLS roots.
 */
static void test_amd_crl(void **state)
{
	struct ts_amd_pki pki;
	uint8_t rep[1184], rd[64] = {0}, *crl;
	size_t len;
	char *pem, *doc;
	struct ccg_cpu_verifier *v = NULL;
	struct ccg_cpu_result *r = NULL;
	struct ccg_error err;
	BIO *bio = BIO_new(BIO_s_mem());
	char *ark_pem;
	long an;
	EVP_PKEY *other = ts_rsa_key(2048);

	(void)state;
	ts_amd_pki_make(&pki, "Milan", 0);
	ts_amd_pki_report(&pki, rd, rep);
	pem = ts_amd_pki_chain_pem(&pki);
	doc = snp_doc(rep, sizeof(rep), pem, strlen(pem));
	assert_true(bio != NULL && PEM_write_bio_X509(bio, pki.ark) == 1);
	an = BIO_get_mem_data(bio, &ark_pem);
	assert_int_equal(ccg_cpu_verifier_new(&v), CCG_OK);
	assert_int_equal(ccg_cpu_verifier_set_amd_ark(v, (const uint8_t *)ark_pem, (size_t)an, NULL), CCG_OK);
	/* no CRL */
	ccg_error_clear(&err);
	if (ccg_cpu_verifier_appraise(v, (const uint8_t *)doc, strlen(doc), NULL, 0, NOW, &r, &err) != CCG_OK)
		fail_msg("%s: %s", err.where, err.detail);
	expect_crl_claims(r, false, true);
	assert_int_equal(ccg_cpu_result_checks_skipped(r), CCG_CHECK_REVOCATION | CCG_CHECK_FRESHNESS);
	ccg_cpu_result_free(r);
	/* with the report_data the report carries: freshness checked */
	assert_int_equal(ccg_cpu_verifier_appraise(v, (const uint8_t *)doc, strlen(doc), rd, sizeof(rd), NOW, &r, NULL),
			 CCG_OK);
	assert_int_equal(ccg_cpu_result_checks_skipped(r), CCG_CHECK_REVOCATION);
	ccg_cpu_result_free(r);
	/* the time convention: CCG_TIME_NOW is now (inside this PKI's 2020-2045 validity), not 1970 (before it) */
	assert_int_equal(ccg_cpu_verifier_appraise(v, (const uint8_t *)doc, strlen(doc), rd, sizeof(rd), CCG_TIME_NOW,
						   &r, NULL),
			 CCG_OK);
	ccg_cpu_result_free(r);
	expect_refused(v, doc, -1, CCG_ERR_INVALID_ARG, "now");
	ccg_cpu_verifier_set_require_fresh_collateral(v, true);
	expect_refused(v, doc, NOW, CCG_ERR_OCSP_STALE, "snp.crl");
	/* the ARK's CRL lists the ASK */
	crl = crl_of(pki.ark, pki.ark_key, NOW + 30 * 86400, pki.ask, &len);
	assert_int_equal(ccg_cpu_verifier_add_amd_crl(v, crl, len, NULL), CCG_OK);
	free(crl);
	ccg_error_clear(&err);
	assert_int_equal(ccg_cpu_verifier_appraise(v, (const uint8_t *)doc, strlen(doc), NULL, 0, NOW, &r, &err),
			 CCG_ERR_REVOKED);
	assert_non_null(strstr(err.detail, "ASK SEV-Milan"));
	expect_refused(v, doc, NOW, CCG_ERR_REVOKED, "snp.crl");
	/* an empty CRL of the same ARK replaces it */
	crl = crl_of(pki.ark, pki.ark_key, NOW + 30 * 86400, NULL, &len);
	assert_int_equal(ccg_cpu_verifier_add_amd_crl(v, crl, len, NULL), CCG_OK);
	free(crl);
	assert_int_equal(ccg_cpu_verifier_appraise(v, (const uint8_t *)doc, strlen(doc), NULL, 0, NOW, &r, NULL),
			 CCG_OK);
	expect_crl_claims(r, true, false);
	assert_int_equal(ccg_cpu_result_checks_skipped(r), CCG_CHECK_FRESHNESS);
	ccg_cpu_result_free(r);
	/* past its nextUpdate: refused while fresh collateral is required, a claim otherwise */
	crl = crl_of(pki.ark, pki.ark_key, NOW - 3600, NULL, &len);
	assert_int_equal(ccg_cpu_verifier_add_amd_crl(v, crl, len, NULL), CCG_OK);
	free(crl);
	expect_refused(v, doc, NOW, CCG_ERR_OCSP_STALE, "snp.crl");
	ccg_cpu_verifier_set_require_fresh_collateral(v, false);
	assert_int_equal(ccg_cpu_verifier_appraise(v, (const uint8_t *)doc, strlen(doc), NULL, 0, NOW, &r, NULL),
			 CCG_OK);
	expect_crl_claims(r, true, true);
	ccg_cpu_result_free(r);
	/* the ARK's name, another key */
	crl = crl_of(pki.ark, other, NOW + 30 * 86400, NULL, &len);
	assert_int_equal(ccg_cpu_verifier_add_amd_crl(v, crl, len, NULL), CCG_OK);
	expect_refused(v, doc, NOW, CCG_ERR_SIGNATURE, "snp.crl");
	/* truncated, or not a CRL: refused when added */
	ccg_error_clear(&err);
	assert_int_equal(ccg_cpu_verifier_add_amd_crl(v, crl, len - 1, &err), CCG_ERR_ENCODING);
	assert_string_equal(err.where, "amd_crl");
	assert_int_equal(ccg_cpu_verifier_add_amd_crl(v, (const uint8_t *)"junk", 4, NULL), CCG_ERR_ENCODING);
	free(crl);
	/* CRLs of other roots are ignored; eight roots at most */
	{
		X509 *issuers[] = {pki.ask, pki.leaf};

		for (size_t i = 0; i < 2; i++) {
			crl = crl_of(issuers[i], pki.ark_key, NOW + 30 * 86400, pki.ask, &len);
			assert_int_equal(ccg_cpu_verifier_add_amd_crl(v, crl, len, NULL), CCG_OK);
			free(crl);
		}
		crl = crl_of(pki.ark, pki.ark_key, NOW + 30 * 86400, NULL, &len);
		assert_int_equal(ccg_cpu_verifier_add_amd_crl(v, crl, len, NULL), CCG_OK);
		free(crl);
		assert_int_equal(ccg_cpu_verifier_appraise(v, (const uint8_t *)doc, strlen(doc), NULL, 0, NOW, &r,
							   NULL),
				 CCG_OK);
		ccg_cpu_result_free(r);
		for (int i = 0; i < CCG_CPU_MAX_AMD_CRLS - 3; i++) {
			struct ts_amd_pki more;
			char product[16];

			snprintf(product, sizeof(product), "P%d", i);
			ts_amd_pki_make(&more, product, 0);
			crl = crl_of(more.ark, more.ark_key, NOW + 30 * 86400, NULL, &len);
			assert_int_equal(ccg_cpu_verifier_add_amd_crl(v, crl, len, NULL), CCG_OK);
			free(crl);
			if (i == CCG_CPU_MAX_AMD_CRLS - 4) {
				crl = crl_of(more.ask, more.ask_key, NOW + 30 * 86400, NULL, &len);
				assert_int_equal(ccg_cpu_verifier_add_amd_crl(v, crl, len, NULL), CCG_ERR_TOO_LARGE);
				free(crl);
			}
			ts_amd_pki_free(&more);
		}
	}
	ccg_cpu_verifier_free(v);
	EVP_PKEY_free(other);
	BIO_free(bio);
	free(doc);
	free(pem);
	ts_amd_pki_free(&pki);
}

/* configures v to trust the AK a TPM evidence file carries (an operator naming that key explicitly) */
static void trust_file_ak(struct ccg_cpu_verifier *v, const uint8_t *doc, size_t n)
{
	json_t *d = json_loadb((const char *)doc, n, 0, NULL);
	const char *b64 = json_string_value(json_object_get(d, "ak_public"));
	uint8_t *der = NULL;
	size_t der_len = 0;
	const unsigned char *p;
	EVP_PKEY *ak;
	BIO *ab = BIO_new(BIO_s_mem());
	char *apem;
	long al;

	assert_true(b64 != NULL && ab != NULL);
	assert_int_equal(ccg_base64_decode(b64, strlen(b64), 4096, &der, &der_len), CCG_OK);
	p = der;
	ak = d2i_PUBKEY(NULL, &p, (long)der_len);
	assert_non_null(ak);
	assert_int_equal(PEM_write_bio_PUBKEY(ab, ak), 1);
	al = BIO_get_mem_data(ab, &apem);
	assert_int_equal(ccg_cpu_verifier_set_tpm_ak(v, (const uint8_t *)apem, (size_t)al, NULL), CCG_OK);
	EVP_PKEY_free(ak);
	BIO_free(ab);
	free(der);
	json_decref(d);
}

static void test_tpm(void **state)
{
	size_t n;
	uint8_t *doc = td_read("tpm/tpm_evidence.json", &n);
	struct ccg_cpu_verifier *v = NULL;
	struct ccg_cpu_result *r = NULL;
	struct ccg_error err;
	EVP_PKEY *k = EVP_EC_gen("P-256");
	BIO *bio = BIO_new(BIO_s_mem());
	char *pem;
	long pl;
	json_t *j;

	(void)state;
	assert_true(k != NULL && bio != NULL);
	assert_int_equal(ccg_cpu_verifier_new(&v), CCG_OK);
	/* the quote verifies with the key it carries, but that key vouches for nothing: refused */
	ccg_error_clear(&err);
	assert_int_equal(ccg_cpu_verifier_appraise(v, doc, n, NULL, 0, NOW, &r, &err), CCG_ERR_CERT_UNTRUSTED);
	assert_string_equal(err.where, "cpu.ak_public");
	assert_null(r);
	assert_non_null(strstr(err.detail, "comes from the evidence itself"));
	/* the same key named by the verifier's configuration: trusted */
	trust_file_ak(v, doc, n);
	ccg_error_clear(&err);
	assert_int_equal(ccg_cpu_verifier_appraise(v, doc, n, NULL, 0, NOW, &r, &err), CCG_OK);
	assert_string_equal(ccg_cpu_result_tee(r), "tpm");
	/* no report_data: nothing proves the quote fresh, and the result says so */
	assert_int_equal(ccg_cpu_result_checks_skipped(r), CCG_CHECK_FRESHNESS);
	j = claims_of(r);
	assert_non_null(json_object_get(j, "tpm-pcrs"));
	assert_true(json_is_true(json_object_get(j, "tpm-ak-trusted")));
	json_decref(j);
	ccg_cpu_result_free(r);
	r = NULL;
	/* another AK required: the evidence's key is not it */
	assert_int_equal(PEM_write_bio_PUBKEY(bio, k), 1);
	pl = BIO_get_mem_data(bio, &pem);
	assert_int_equal(ccg_cpu_verifier_set_tpm_ak(v, (const uint8_t *)pem, (size_t)pl, NULL), CCG_OK);
	ccg_error_clear(&err);
	assert_int_equal(ccg_cpu_verifier_appraise(v, doc, n, NULL, 0, 0, &r, &err), CCG_ERR_CERT_UNTRUSTED);
	assert_string_equal(err.where, "cpu.ak_public");
	assert_null(r);
	assert_int_equal(ccg_cpu_verifier_set_tpm_ak(v, (const uint8_t *)"junk", 4, NULL), CCG_ERR_ENCODING);
	BIO_free(bio);
	EVP_PKEY_free(k);
	ccg_cpu_verifier_free(v);
	free(doc);
}

/* a composite document of cpu (JSON) and the GPU evidence gpu; *ev gets that evidence, nonce its nonce */
static char *composite_of(const char *cpu, const uint8_t *gpu, size_t gl, struct ccg_gpu_evidence **ev,
			  uint8_t nonce[CCG_GPU_NONCE_LEN])
{
	char *nonce_hex, *gpu64, *doc;
	size_t size;

	assert_int_equal(ccg_gpu_evidence_new(ev), CCG_OK);
	assert_int_equal(ccg_gpu_evidence_add_json(*ev, gpu, gl, NULL), CCG_OK);
	assert_true(ccg_gpu_evidence_nonce(*ev, nonce));
	nonce_hex = ccg_hex_encode_alloc(nonce, CCG_GPU_NONCE_LEN);
	gpu64 = ccg_base64_encode_alloc(gpu, gl);
	assert_true(nonce_hex != NULL && gpu64 != NULL);
	size = strlen(cpu) + strlen(gpu64) + 512;
	doc = malloc(size);
	assert_non_null(doc);
	snprintf(
		doc, size,
		"{\"ccgpu-composite\":1,\"nonce\":\"%s\",\"tee_public_key\":\"AAEC\",\"gpu_evidence\":\"%s\",\"cpu\":%s}",
		nonce_hex, gpu64, cpu);
	free(nonce_hex);
	free(gpu64);
	return doc;
}

/* composite: a GPU verifier is required, and real SNP evidence does not carry this document's binding */
static void test_composite(void **state)
{
	char *ark = NULL, *cpu = snp_evidence(&ark), *doc;
	size_t gl;
	uint8_t *gpu = td_read("nvidia/evidence/hopper_evidence.json", &gl), nonce[CCG_GPU_NONCE_LEN];
	struct ccg_cpu_verifier *v = NULL;
	struct ccg_gpu_verifier *g = NULL;
	struct ccg_gpu_evidence *ev = NULL;
	struct ccg_cpu_result *r = NULL;
	struct ccg_error err;

	(void)state;
	doc = composite_of(cpu, gpu, gl, &ev, nonce);
	assert_int_equal(ccg_cpu_verifier_new(&v), CCG_OK);
	ccg_error_clear(&err);
	assert_int_equal(ccg_cpu_verifier_appraise_composite(v, (const uint8_t *)doc, strlen(doc), nonce, sizeof(nonce),
							     NOW, &r, &err),
			 CCG_ERR_INVALID_ARG);
	assert_string_equal(err.where, "composite.gpu");
	assert_null(r);
	assert_int_equal(ccg_gpu_verifier_new(&g), CCG_OK);
	ccg_gpu_verifier_set_offline(g, true);
	ccg_gpu_verifier_skip_rims(g, true);
	ccg_cpu_verifier_set_gpu_verifier(v, g);
	ccg_error_clear(&err);
	assert_int_equal(ccg_cpu_verifier_appraise_composite(v, (const uint8_t *)doc, strlen(doc), nonce, sizeof(nonce),
							     NOW, &r, &err),
			 CCG_ERR_NONCE_MISMATCH);
	assert_string_equal(err.where, "snp.report_data");
	assert_null(r);
	/* another nonce than the document's */
	nonce[0] ^= 1;
	ccg_error_clear(&err);
	assert_int_equal(ccg_cpu_verifier_appraise_composite(v, (const uint8_t *)doc, strlen(doc), nonce, sizeof(nonce),
							     NOW, &r, &err),
			 CCG_ERR_NONCE_MISMATCH);
	assert_string_equal(err.where, "composite.nonce");
	/* the time convention holds for composite appraisal too */
	ccg_error_clear(&err);
	assert_int_equal(ccg_cpu_verifier_appraise_composite(v, (const uint8_t *)doc, strlen(doc), nonce, sizeof(nonce),
							     -1, &r, &err),
			 CCG_ERR_INVALID_ARG);
	assert_string_equal(err.where, "now");
	assert_null(r);
	assert_int_equal(ccg_cpu_result_checks_skipped(NULL), CCG_CHECK_ALL);
	/* the "cpu" member of a composite document appraised alone verifies */
	assert_int_equal(ccg_cpu_verifier_appraise(v, (const uint8_t *)doc, strlen(doc), NULL, 0, NOW, &r, NULL),
			 CCG_OK);
	assert_string_equal(ccg_cpu_result_tee(r), "snp");
	ccg_cpu_result_free(r);
	ccg_cpu_verifier_free(v);
	ccg_gpu_verifier_free(g);
	ccg_gpu_evidence_free(ev);
	free(gpu);
	free(doc);
	free(cpu);
	free(ark);
}

/* appraises json with a verifier with no anchors configured; the claims (NULL when refused, err says why) */
static json_t *appraise_plain(const char *json, int64_t now, struct ccg_error *err)
{
	struct ccg_cpu_verifier *v = NULL;
	struct ccg_cpu_result *r = NULL;
	json_t *j = NULL;

	ccg_error_clear(err);
	assert_int_equal(ccg_cpu_verifier_new(&v), CCG_OK);
	if (ccg_cpu_verifier_appraise(v, (const uint8_t *)json, strlen(json), NULL, 0, now, &r, err) == CCG_OK)
		j = claims_of(r);
	ccg_cpu_result_free(r);
	ccg_cpu_verifier_free(v);
	return j;
}

/*
 * Item 6: evidence as users hold it. The go-sev-guest report (raw, 1184
 * bytes) with its DER VCEK and AMD's PEM bundle (ASK ‖ ARK ‖ ASVK), or the
 * VCEK alone, or the VCEK in PEM; the raw TDX v5 sample; formats detected
 * from the bytes; inputs that are neither, or not what they are named, or
 * certificates that are not certificates, are refused by name.
 */
static void test_raw_inputs(void **state)
{
	size_t rl, vl, cl, ql, al, xl;
	uint8_t *rep = td_read("snp/milan-go-sev-guest/attestation.bin", &rl);
	uint8_t *vcek = td_read("snp/milan-go-sev-guest/vcek.testcer", &vl);
	uint8_t *chain = td_read("snp/milan-go-sev-guest/milan.testcer", &cl);
	uint8_t *quote = td_read("tdx/v5-sample/quote_v5_sample.dat", &ql);
	uint8_t *crl = td_read("tdx/v5-sample/pckcrl", &xl);
	uint8_t *asvk = ts_src_read("tests/data/amd/milan/asvk.pem", &al);
	uint8_t *bundle = malloc(cl + al), *pem_vcek = NULL, zeros[1184] = {0};
	const uint8_t *certs[3];
	size_t lens[3];
	char *json = NULL;
	struct ccg_error err;
	json_t *j;
	X509 *x;
	BIO *bio;
	long pl;
	char *pd;

	(void)state;
	/* AMD's ASK ‖ ARK ‖ ASVK bundle, as AMD and Trustee ship it */
	assert_non_null(bundle);
	memcpy(bundle, chain, cl);
	memcpy(bundle + cl, asvk, al);
	/* detection */
	assert_int_equal(ccg_cpu_format_detect(rep, rl), CCG_CPU_FORMAT_SNP);
	assert_int_equal(ccg_cpu_format_detect(quote, ql), CCG_CPU_FORMAT_TDX);
	assert_int_equal(ccg_cpu_format_detect((const uint8_t *)"{\"type\":\"tpm\"}", 14), CCG_CPU_FORMAT_JSON);
	assert_int_equal(ccg_cpu_format_detect((const uint8_t *)"{\"type\":", 8), CCG_CPU_FORMAT_UNKNOWN);
	assert_int_equal(ccg_cpu_format_detect((const uint8_t *)"[1]", 3), CCG_CPU_FORMAT_UNKNOWN);
	assert_int_equal(ccg_cpu_format_detect(crl, xl), CCG_CPU_FORMAT_UNKNOWN);
	assert_int_equal(ccg_cpu_format_detect(zeros, sizeof(zeros)), CCG_CPU_FORMAT_UNKNOWN);
	assert_int_equal(ccg_cpu_format_detect(rep, rl - 1), CCG_CPU_FORMAT_UNKNOWN);
	assert_int_equal(ccg_cpu_format_detect(quote, 600), CCG_CPU_FORMAT_UNKNOWN);
	assert_int_equal(ccg_cpu_format_detect(NULL, 0), CCG_CPU_FORMAT_UNKNOWN);
	{ /* each header field that makes a report or quote, altered alone */
		uint8_t r2[1184], *q2 = malloc(ql);

		assert_non_null(q2);
		memcpy(r2, rep, sizeof(r2));
		r2[0] = 1; /* SNP version 1 */
		assert_int_equal(ccg_cpu_format_detect(r2, sizeof(r2)), CCG_CPU_FORMAT_UNKNOWN);
		r2[0] = 32; /* past version 31 */
		assert_int_equal(ccg_cpu_format_detect(r2, sizeof(r2)), CCG_CPU_FORMAT_UNKNOWN);
		r2[0] = 5;
		assert_int_equal(ccg_cpu_format_detect(r2, sizeof(r2)), CCG_CPU_FORMAT_SNP);
		r2[0x34] = 2; /* signature algorithm */
		assert_int_equal(ccg_cpu_format_detect(r2, sizeof(r2)), CCG_CPU_FORMAT_UNKNOWN);
		memcpy(q2, quote, ql);
		q2[0] = 3; /* quote version 3 */
		assert_int_equal(ccg_cpu_format_detect(q2, ql), CCG_CPU_FORMAT_UNKNOWN);
		q2[0] = 4;
		assert_int_equal(ccg_cpu_format_detect(q2, ql), CCG_CPU_FORMAT_TDX);
		q2[2] = 3; /* attestation key type: ECDSA P-384 */
		assert_int_equal(ccg_cpu_format_detect(q2, ql), CCG_CPU_FORMAT_UNKNOWN);
		q2[2] = 2;
		q2[4] = 0x00; /* TEE type: SGX */
		assert_int_equal(ccg_cpu_format_detect(q2, ql), CCG_CPU_FORMAT_UNKNOWN);
		free(q2);
	}
	assert_string_equal(ccg_cpu_format_name(CCG_CPU_FORMAT_SNP), "snp");
	/* raw SEV-SNP report + DER VCEK + the bundle: verifies with no anchor configured */
	certs[0] = vcek;
	lens[0] = vl;
	certs[1] = bundle;
	lens[1] = cl + al;
	ccg_error_clear(&err);
	if (ccg_cpu_evidence_from_raw(CCG_CPU_FORMAT_UNKNOWN, rep, rl, certs, lens, 2, &json, &err) != CCG_OK)
		fail_msg("%s: %s", err.where, err.detail);
	j = appraise_plain(json, NOW, &err);
	if (j == NULL)
		fail_msg("raw report + VCEK + bundle: %s: %s", err.where, err.detail);
	assert_true(json_is_true(json_object_get(j, "snp-debug-allowed")));
	assert_string_equal(json_string_value(json_object_get(j, "ccgpu-cpu-tee")), "snp");
	json_decref(j);
	free(json);
	/* the VCEK alone (AMD's ASK and ARK built in), as PEM, format named */
	x = d2i_X509(NULL, &(const unsigned char *){vcek}, (long)vl);
	bio = BIO_new(BIO_s_mem());
	assert_true(x != NULL && bio != NULL && PEM_write_bio_X509(bio, x) == 1);
	pl = BIO_get_mem_data(bio, &pd);
	pem_vcek = malloc((size_t)pl);
	assert_non_null(pem_vcek);
	memcpy(pem_vcek, pd, (size_t)pl);
	certs[0] = pem_vcek;
	lens[0] = (size_t)pl;
	assert_int_equal(ccg_cpu_evidence_from_raw(CCG_CPU_FORMAT_SNP, rep, rl, certs, lens, 1, &json, NULL), CCG_OK);
	j = appraise_plain(json, NOW, &err);
	if (j == NULL)
		fail_msg("raw report + PEM VCEK: %s: %s", err.where, err.detail);
	json_decref(j);
	free(json);
	/* the same certificate twice is one; five distinct ones are too many */
	certs[0] = vcek;
	lens[0] = vl;
	certs[1] = pem_vcek;
	lens[1] = (size_t)pl;
	certs[2] = bundle;
	lens[2] = cl + al;
	assert_int_equal(ccg_cpu_evidence_from_raw(CCG_CPU_FORMAT_SNP, rep, rl, certs, lens, 3, &json, NULL), CCG_OK);
	free(json);
	json = NULL;
	{
		/* a fifth distinct certificate (the Genoa ARK) after VCEK, ASK, ARK, ASVK */
		size_t gl;
		uint8_t *genoa = ts_src_read("tests/data/amd/genoa/ark.pem", &gl);

		certs[1] = bundle;
		lens[1] = cl + al;
		certs[2] = genoa;
		lens[2] = gl;
		ccg_error_clear(&err);
		assert_int_equal(ccg_cpu_evidence_from_raw(CCG_CPU_FORMAT_SNP, rep, rl, certs, lens, 3, &json, &err),
				 CCG_ERR_TOO_LARGE);
		assert_string_equal(err.where, "cpu.certs[2]");
		assert_null(json);
		free(genoa);
	}
	/* the raw TDX quote: verifies to the built-in Intel root, TCB unknown without collateral */
	assert_int_equal(ccg_cpu_evidence_from_raw(CCG_CPU_FORMAT_UNKNOWN, quote, ql, NULL, NULL, 0, &json, NULL),
			 CCG_OK);
	j = appraise_plain(json, TDX_NOW, &err);
	if (j == NULL)
		fail_msg("raw TDX quote: %s: %s", err.where, err.detail);
	assert_string_equal(json_string_value(json_object_get(j, "tdx-tcb-status")), "unknown");
	json_decref(j);
	free(json);
	json = NULL;
	/* neither format */
	ccg_error_clear(&err);
	assert_int_equal(ccg_cpu_evidence_from_raw(CCG_CPU_FORMAT_UNKNOWN, crl, xl, NULL, NULL, 0, &json, &err),
			 CCG_ERR_UNSUPPORTED);
	assert_string_equal(err.where, "cpu.format");
	assert_non_null(strstr(err.detail, "neither an SEV-SNP report"));
	/* named as the other format */
	ccg_error_clear(&err);
	assert_int_equal(ccg_cpu_evidence_from_raw(CCG_CPU_FORMAT_TDX, rep, rl, certs, lens, 1, &json, &err),
			 CCG_ERR_UNSUPPORTED);
	assert_non_null(strstr(err.detail, "named tdx, but the 1184 bytes are a raw snp report"));
	/* an SEV-SNP report without its VCEK; certificates for a TDX quote */
	ccg_error_clear(&err);
	assert_int_equal(ccg_cpu_evidence_from_raw(CCG_CPU_FORMAT_SNP, rep, rl, NULL, NULL, 0, &json, &err),
			 CCG_ERR_CERT_MISSING);
	assert_string_equal(err.where, "snp.vcek");
	ccg_error_clear(&err);
	assert_int_equal(ccg_cpu_evidence_from_raw(CCG_CPU_FORMAT_UNKNOWN, quote, ql, certs, lens, 1, &json, &err),
			 CCG_ERR_INVALID_ARG);
	assert_string_equal(err.where, "cpu.certs");
	/* a "certificate" that is a CRL */
	certs[1] = crl;
	lens[1] = xl;
	ccg_error_clear(&err);
	assert_int_equal(ccg_cpu_evidence_from_raw(CCG_CPU_FORMAT_SNP, rep, rl, certs, lens, 2, &json, &err),
			 CCG_ERR_ENCODING);
	assert_string_equal(err.where, "cpu.certs[1]");
	assert_null(json);
	X509_free(x);
	BIO_free(bio);
	free(pem_vcek);
	free(bundle);
	free(asvk);
	free(crl);
	free(quote);
	free(chain);
	free(vcek);
	free(rep);
}

/* doc with the member at path ("a.b") removed (value NULL) or replaced by value (stolen); malloc'd */
static char *mutate(const char *doc, const char *path, json_t *value)
{
	json_t *d = json_loads(doc, 0, NULL), *o = d;
	char key[64], *dot;
	const char *k = path;
	char *out;

	assert_non_null(d);
	while ((dot = strchr(k, '.')) != NULL) {
		snprintf(key, sizeof(key), "%.*s", (int)(dot - k), k);
		o = json_object_get(o, key);
		assert_non_null(o);
		k = dot + 1;
	}
	if (value == NULL)
		assert_int_equal(json_object_del(o, k), 0);
	else
		assert_int_equal(json_object_set_new(o, k, value), 0);
	out = json_dumps(d, JSON_COMPACT);
	assert_non_null(out);
	json_decref(d);
	return out;
}

/* the failure is named: a status, a where, and the member's name in where or detail */
static void expect_named(enum ccg_status st, const struct ccg_error *err, const char *path, const char *how)
{
	const char *leaf = strrchr(path, '.') != NULL ? strrchr(path, '.') + 1 : path;

	if (st == CCG_OK)
		fail_msg("%s %s: accepted", path, how);
	if (err->status != st || err->where[0] == '\0' || err->detail[0] == '\0')
		fail_msg("%s %s: status %d with error %d \"%s\" \"%s\"", path, how, st, err->status, err->where,
			 err->detail);
	if (strstr(err->where, leaf) == NULL && strstr(err->detail, leaf) == NULL)
		fail_msg("%s %s: \"%s: %s\" does not name it", path, how, err->where, err->detail);
}

/*
 * Every member of a composite document (and of its CPU evidence) missing or
 * of the wrong type is refused with an error that names it; a TPM evidence
 * object without "type" (the {ak_public, tpm_quote} file layout) too.
 */
static void test_composite_members(void **state)
{
	static const char *members[] = {"ccgpu-composite", "nonce",      "tee_public_key", "gpu_evidence", "cpu",
					"cpu.type",        "cpu.report", "cpu.certs"};
	static const char *tpm_members[] = {"ak_public", "tpm_quote", "tpm_quote.message", "tpm_quote.signature",
					    "tpm_quote.pcrs"};
	char *ark = NULL, *cpu = snp_evidence(&ark), *doc, *bad;
	size_t gl, tl;
	uint8_t *gpu = td_read("nvidia/evidence/hopper_evidence.json", &gl), nonce[CCG_GPU_NONCE_LEN];
	uint8_t *tpm = td_read("tpm/tpm_evidence.json", &tl);
	struct ccg_cpu_verifier *v = NULL;
	struct ccg_gpu_verifier *g = NULL;
	struct ccg_gpu_evidence *ev = NULL;
	struct ccg_cpu_result *r = NULL;
	struct ccg_error err;
	enum ccg_status st;

	(void)state;
	doc = composite_of(cpu, gpu, gl, &ev, nonce);
	assert_int_equal(ccg_cpu_verifier_new(&v), CCG_OK);
	assert_int_equal(ccg_gpu_verifier_new(&g), CCG_OK);
	ccg_gpu_verifier_set_offline(g, true);
	ccg_gpu_verifier_skip_rims(g, true);
	ccg_cpu_verifier_set_gpu_verifier(v, g);
	for (size_t i = 0; i < sizeof(members) / sizeof(members[0]); i++) {
		for (int how = 0; how < 2; how++) {
			/* missing, or a value of another JSON type (an array where a string or integer goes) */
			bad = mutate(doc, members[i], how == 0 ? NULL : json_array());
			ccg_error_clear(&err);
			r = (void *)1;
			st = ccg_cpu_verifier_appraise_composite(v, (const uint8_t *)bad, strlen(bad), nonce,
								 sizeof(nonce), NOW, &r, &err);
			expect_named(st, &err, members[i], how == 0 ? "missing" : "of the wrong type");
			assert_null(r);
			free(bad);
		}
	}
	/* the TPM evidence file layout: each member missing or mistyped, with its AK configured */
	{
		char *tdoc = strndup((const char *)tpm, tl);

		assert_non_null(tdoc);
		trust_file_ak(v, tpm, tl);
		assert_int_equal(ccg_cpu_verifier_appraise(v, (const uint8_t *)tdoc, strlen(tdoc), NULL, 0, NOW, &r,
							   NULL),
				 CCG_OK);
		ccg_cpu_result_free(r);
		for (size_t i = 0; i < sizeof(tpm_members) / sizeof(tpm_members[0]); i++) {
			for (int how = 0; how < 2; how++) {
				bad = mutate(tdoc, tpm_members[i], how == 0 ? NULL : json_integer(7));
				ccg_error_clear(&err);
				r = (void *)1;
				st = ccg_cpu_verifier_appraise(v, (const uint8_t *)bad, strlen(bad), NULL, 0, NOW, &r,
							       &err);
				/* without ak_public or tpm_quote the object is not the TPM layout: it then lacks "type" */
				bool layout_key = strchr(tpm_members[i], '.') == NULL;

				expect_named(st, &err, layout_key && how == 0 ? "type" : tpm_members[i],
					     how == 0 ? "missing" : "of the wrong type");
				assert_null(r);
				free(bad);
			}
		}
		free(tdoc);
	}
	ccg_cpu_verifier_free(v);
	ccg_gpu_verifier_free(g);
	ccg_gpu_evidence_free(ev);
	free(gpu);
	free(tpm);
	free(doc);
	free(cpu);
	free(ark);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_snp),
		cmocka_unit_test(test_tdx),
		cmocka_unit_test(test_amd_crl),
		cmocka_unit_test(test_tpm),
		cmocka_unit_test(test_composite),
		cmocka_unit_test(test_raw_inputs),
		cmocka_unit_test(test_composite_members),
	};

	td_require();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
