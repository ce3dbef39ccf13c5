/* SPDX-License-Identifier: Apache-2.0 */
/* TDX quote v5 sample: verifies at 2026-02-03 with UpToDate statuses; flips, truncations, collateral faults. */
#include <stdarg.h>
#include <setjmp.h>
#include <stddef.h>
#include <cmocka.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "attest/cpu/cpu_roots.h"
#include "attest/cpu/tdx.h"
#include "common/crypto.h"
#include "common/file.h"
#include "testdata.h"

#define NOW 1770076800 /* 2026-02-03T00:00:00Z */
#define D "tdx/v5-sample/"

struct fixture {
	uint8_t *quote, *tcb, *qe, *chain, *pckcrl, *rootcrl;
	size_t quote_len, tcb_len, qe_len, chain_len, pckcrl_len, rootcrl_len;
	X509 *root;
	struct ccg_tdx_collateral *col;
};

static struct fixture fx;

static int setup(void **state)
{
	STACK_OF(X509) *sk = NULL;
	uint8_t *pem;
	size_t n;

	(void)state;
	fx.quote = td_read(D "quote_v5_sample.dat", &fx.quote_len);
	fx.tcb = td_read(D "sample_tcbinfo_response_v5", &fx.tcb_len);
	fx.qe = td_read(D "sample_qeIdentity_response", &fx.qe_len);
	fx.chain = td_read(D "tcbinfo_issuer_chain.derived.pem", &fx.chain_len);
	fx.pckcrl = td_read(D "pckcrl", &fx.pckcrl_len);
	fx.rootcrl = td_read(D "rootcrl.der", &fx.rootcrl_len);
	pem = td_read(D "trusted_root.pem", &n);
	if (ccg_pem_certs_parse(pem, n, 1, &sk, NULL) != CCG_OK)
		return -1;
	fx.root = sk_X509_pop(sk);
	sk_X509_free(sk);
	free(pem);
	if (ccg_tdx_collateral_new(&fx.col) != CCG_OK ||
	    ccg_tdx_collateral_set_tcb_info(fx.col, fx.tcb, fx.tcb_len, NULL) != CCG_OK ||
	    ccg_tdx_collateral_set_qe_identity(fx.col, fx.qe, fx.qe_len, NULL) != CCG_OK ||
	    ccg_tdx_collateral_set_signing_chain(fx.col, fx.chain, fx.chain_len, NULL) != CCG_OK ||
	    ccg_tdx_collateral_set_crls(fx.col, fx.pckcrl, fx.pckcrl_len, fx.rootcrl, fx.rootcrl_len, NULL) != CCG_OK)
		return -1;
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	free(fx.quote);
	free(fx.tcb);
	free(fx.qe);
	free(fx.chain);
	free(fx.pckcrl);
	free(fx.rootcrl);
	X509_free(fx.root);
	ccg_tdx_collateral_free(fx.col);
	return 0;
}

static enum ccg_status verify(const uint8_t *q, size_t len, const struct ccg_tdx_collateral *col,
			      struct ccg_tdx_result *res, struct ccg_error *err)
{
	struct ccg_tdx_quote quote;
	struct ccg_tdx_verify_opts o = {.root = fx.root, .collateral = col, .now = NOW};
	struct ccg_tdx_result local;
	enum ccg_status st = ccg_tdx_quote_parse(q, len, &quote, err);

	if (res == NULL)
		res = &local;
	memset(res, 0, sizeof(*res));
	if (st == CCG_OK)
		st = ccg_tdx_quote_verify(&quote, &o, res, err);
	if (res == &local)
		ccg_tdx_result_cleanup(res);
	return st;
}

static void test_v5_sample_verifies(void **state)
{
	struct ccg_tdx_quote q;
	struct ccg_tdx_result r;
	struct ccg_error err;
	json_t *c = NULL;

	(void)state;
	ccg_error_clear(&err);
	assert_int_equal(ccg_tdx_quote_parse(fx.quote, fx.quote_len, &q, NULL), CCG_OK);
	assert_int_equal(q.version, 5);
	assert_int_equal(q.body_type, 3);
	if (verify(fx.quote, fx.quote_len, fx.col, &r, &err) != CCG_OK)
		fail_msg("%s: %s", err.where, err.detail);
	assert_true(r.tcb_known);
	assert_int_equal(r.tcb_status, CCG_TDX_TCB_UP_TO_DATE);
	assert_int_equal(r.module_status, CCG_TDX_TCB_UP_TO_DATE);
	assert_int_equal(r.qe_status, CCG_TDX_TCB_UP_TO_DATE);
	assert_string_equal(r.fmspc, "90c06f000000");
	assert_true(r.collateral_stale); /* the QE identity and CRLs of the sample are from 2023 */
	assert_int_equal(ccg_tdx_quote_claims(&q, &r, &c), CCG_OK);
	assert_string_equal(json_string_value(json_object_get(c, "tdx-tcb-status")), "UpToDate");
	assert_true(json_is_false(json_object_get(c, "tdx-debug")));
	assert_non_null(json_object_get(c, "tdx-rtmr3"));
	assert_int_equal(strlen(json_string_value(json_object_get(c, "tdx-mrtd"))), 96);
	json_decref(c);
	ccg_tdx_result_cleanup(&r);
	/* without collateral: signatures and chain only */
	assert_int_equal(verify(fx.quote, fx.quote_len, NULL, NULL, NULL), CCG_OK);
}

static void test_padding_tolerated(void **state)
{
	uint8_t *p = calloc(1, fx.quote_len + 100);

	(void)state;
	memcpy(p, fx.quote, fx.quote_len);
	assert_int_equal(verify(p, fx.quote_len + 100, fx.col, NULL, NULL), CCG_OK);
	free(p);
}

static void test_every_flip_and_truncation_fails(void **state)
{
	struct ccg_tdx_quote q;
	size_t signed_end;

	(void)state;
	assert_int_equal(ccg_tdx_quote_parse(fx.quote, fx.quote_len, &q, NULL), CCG_OK);
	signed_end = fx.quote_len;
	for (size_t i = 0; i < signed_end; i++) {
		fx.quote[i] ^= 0x01;
		if (verify(fx.quote, fx.quote_len, fx.col, NULL, NULL) == CCG_OK) {
			/* bytes inside the PEM text that PEM decoding ignores are the only ones allowed */
			const uint8_t *pem = fx.quote + (q.pck_chain_pem - fx.quote);

			if (!(fx.quote + i >= pem && fx.quote + i < pem + q.pck_chain_len))
				fail_msg("flip of byte %zu still verifies", i);
		}
		fx.quote[i] ^= 0x01;
	}
	for (size_t n = 0; n < fx.quote_len; n += 13)
		assert_int_not_equal(verify(fx.quote, n, fx.col, NULL, NULL), CCG_OK);
}

static void test_collateral_faults(void **state)
{
	struct ccg_tdx_collateral *c = NULL;
	struct ccg_error err;
	uint8_t *bad = malloc(fx.tcb_len);
	char *p;

	(void)state;
	/* a TCB info with one changed character fails its signature */
	memcpy(bad, fx.tcb, fx.tcb_len);
	p = strstr((char *)bad, "UpToDate");
	assert_non_null(p);
	p[0] = 'u';
	assert_int_equal(ccg_tdx_collateral_new(&c), CCG_OK);
	assert_int_equal(ccg_tdx_collateral_set_tcb_info(c, bad, fx.tcb_len, NULL), CCG_OK);
	assert_int_equal(ccg_tdx_collateral_set_qe_identity(c, fx.qe, fx.qe_len, NULL), CCG_OK);
	assert_int_equal(ccg_tdx_collateral_set_signing_chain(c, fx.chain, fx.chain_len, NULL), CCG_OK);
	ccg_error_clear(&err);
	assert_int_equal(verify(fx.quote, fx.quote_len, c, NULL, &err), CCG_ERR_SIGNATURE);
	assert_string_equal(err.where, "tdx.tcb_info.signature");
	/* the QE identity given as the TCB info */
	assert_int_equal(ccg_tdx_collateral_set_tcb_info(c, fx.qe, fx.qe_len, NULL), CCG_OK);
	assert_int_not_equal(verify(fx.quote, fx.quote_len, c, NULL, NULL), CCG_OK);
	ccg_tdx_collateral_free(c);
	free(bad);
	/* strict freshness refuses the 2023 QE identity */
	{
		struct ccg_tdx_quote q;
		struct ccg_tdx_result r;
		struct ccg_tdx_verify_opts o = {
			.root = fx.root, .collateral = fx.col, .now = NOW, .require_fresh_collateral = true};

		assert_int_equal(ccg_tdx_quote_parse(fx.quote, fx.quote_len, &q, NULL), CCG_OK);
		assert_int_equal(ccg_tdx_quote_verify(&q, &o, &r, NULL), CCG_ERR_OCSP_STALE);
		ccg_tdx_result_cleanup(&r);
		/* PCK chain outside its validity */
		o.require_fresh_collateral = false;
		o.now = 4102444800; /* 2100 */
		assert_int_equal(ccg_tdx_quote_verify(&q, &o, &r, NULL), CCG_ERR_CERT_EXPIRED);
		ccg_tdx_result_cleanup(&r);
	}
}

static void test_sgx_and_versions_refused(void **state)
{
	uint8_t *p = malloc(fx.quote_len);
	struct ccg_tdx_quote q;
	struct ccg_error err;

	(void)state;
	memcpy(p, fx.quote, fx.quote_len);
	p[4] = 0; /* tee_type SGX */
	ccg_error_clear(&err);
	assert_int_equal(ccg_tdx_quote_parse(p, fx.quote_len, &q, &err), CCG_ERR_UNSUPPORTED);
	assert_non_null(strstr(err.detail, "SGX"));
	memcpy(p, fx.quote, fx.quote_len);
	p[0] = 3;
	assert_int_equal(ccg_tdx_quote_parse(p, fx.quote_len, &q, NULL), CCG_ERR_UNSUPPORTED);
	p[0] = 6;
	assert_int_equal(ccg_tdx_quote_parse(p, fx.quote_len, &q, NULL), CCG_ERR_UNSUPPORTED);
	memcpy(p, fx.quote, fx.quote_len);
	p[48] = 1; /* v5 body type SGX */
	assert_int_equal(ccg_tdx_quote_parse(p, fx.quote_len, &q, NULL), CCG_ERR_UNSUPPORTED);
	free(p);
}

/* a v4 quote (TD 1.0 body, no body descriptor) made from the sample's parts parses; its signature does not verify */
static void test_v4_layout(void **state)
{
	struct ccg_tdx_quote q;
	size_t v4_len = fx.quote_len - 6 - 64;
	uint8_t *v4 = malloc(v4_len);

	(void)state;
	memcpy(v4, fx.quote, 48);
	v4[0] = 4;
	memcpy(v4 + 48, fx.quote + 54, 584);
	memcpy(v4 + 48 + 584, fx.quote + 54 + 648, fx.quote_len - 54 - 648);
	assert_int_equal(ccg_tdx_quote_parse(v4, v4_len, &q, NULL), CCG_OK);
	assert_int_equal(q.version, 4);
	assert_int_equal(q.body_type, 2);
	assert_int_equal(q.signed_len, 48 + 584);
	assert_int_equal(verify(v4, v4_len, NULL, NULL, NULL), CCG_ERR_SIGNATURE);
	free(v4);
}

/*
 * A QE identity signing chain of its own (PCS sends one per answer) is the
 * one that must have signed the QE identity: the PCK CRL's chain has not;
 * a copy of the TCB signing chain has. Neither changes the TCB info check.
 */
static void test_qe_signing_chain(void **state)
{
	struct ccg_tdx_collateral *col = NULL;
	struct ccg_error err;
	size_t n;
	uint8_t *pck_chain = td_read(D "pckcrl_issuer_chain.derived.pem", &n);

	(void)state;
	assert_int_equal(ccg_tdx_collateral_new(&col), CCG_OK);
	assert_int_equal(ccg_tdx_collateral_set_tcb_info(col, fx.tcb, fx.tcb_len, NULL), CCG_OK);
	assert_int_equal(ccg_tdx_collateral_set_qe_identity(col, fx.qe, fx.qe_len, NULL), CCG_OK);
	assert_int_equal(ccg_tdx_collateral_set_signing_chain(col, fx.chain, fx.chain_len, NULL), CCG_OK);
	assert_int_equal(ccg_tdx_collateral_set_crls(col, fx.pckcrl, fx.pckcrl_len, fx.rootcrl, fx.rootcrl_len, NULL),
			 CCG_OK);
	assert_int_equal(ccg_tdx_collateral_set_qe_signing_chain(col, pck_chain, n, NULL), CCG_OK);
	ccg_error_clear(&err);
	assert_int_equal(verify(fx.quote, fx.quote_len, col, NULL, &err), CCG_ERR_SIGNATURE);
	assert_string_equal(err.where, "tdx.qe_identity.signature");
	assert_int_equal(ccg_tdx_collateral_set_qe_signing_chain(col, fx.chain, fx.chain_len, NULL), CCG_OK);
	ccg_error_clear(&err);
	if (verify(fx.quote, fx.quote_len, col, NULL, &err) != CCG_OK)
		fail_msg("%s: %s", err.where, err.detail);
	ccg_tdx_collateral_free(col);
	free(pck_chain);
}

/* the Intel SGX Root CA is pinned by its key: not the TCB signing certificate, not a copy with another key */
static void test_intel_root_pinned(void **state)
{
	STACK_OF(X509) *sk = NULL;
	X509 *fake = X509_dup(fx.root);
	EVP_PKEY *k = EVP_EC_gen("P-256");

	(void)state;
	assert_true(fake != NULL && k != NULL);
	assert_true(ccg_tdx_intel_root_pinned(fx.root));
	assert_int_equal(ccg_pem_certs_parse(fx.chain, fx.chain_len, 4, &sk, NULL), CCG_OK);
	assert_false(ccg_tdx_intel_root_pinned(sk_X509_value(sk, 0)));
	assert_int_equal(X509_set_pubkey(fake, k), 1);
	assert_true(X509_sign(fake, k, EVP_sha256()) > 0);
	assert_false(ccg_tdx_intel_root_pinned(fake));
	assert_false(ccg_tdx_intel_root_pinned(NULL));
	/* a chain ending in the look-alike does not verify as an Intel chain */
	assert_true(sk_X509_push(sk, fake) > 0);
	assert_int_equal(ccg_tdx_issuer_chain_verify(sk, NULL, "test", NULL), CCG_ERR_CERT_UNTRUSTED);
	(void)sk_X509_pop(sk);
	assert_int_equal(ccg_tdx_issuer_chain_verify(sk, NULL, "test", NULL), CCG_OK);
	sk_X509_pop_free(sk, X509_free);
	X509_free(fake);
	EVP_PKEY_free(k);
}

/* the quote verified with opts (root, collateral, strictness as given), parsed here */
static enum ccg_status verify_opts(const struct ccg_tdx_verify_opts *o, struct ccg_tdx_result *res,
				   struct ccg_error *err)
{
	struct ccg_tdx_quote quote;
	enum ccg_status st;

	ccg_error_clear(err);
	memset(res, 0, sizeof(*res));
	assert_int_equal(ccg_tdx_quote_parse(fx.quote, fx.quote_len, &quote, NULL), CCG_OK);
	st = ccg_tdx_quote_verify(&quote, o, res, err);
	return st;
}

/*
 * Item 8: Intel's SGX Root CA is built in: it is the shared test data's root
 * (and go-tdx-guest's), self-signed and pinned; with no root configured the
 * sample verifies to it; a configured root still overrides it.
 */
static void test_builtin_intel_root(void **state)
{
	X509 *root = NULL, *fake;
	EVP_PKEY *k = EVP_EC_gen("P-256");
	struct ccg_tdx_verify_opts o = {.collateral = fx.col, .now = NOW};
	struct ccg_tdx_result r;
	struct ccg_error err;

	(void)state;
	assert_int_equal(ccg_intel_builtin_root(&root, NULL), CCG_OK);
	assert_int_equal(X509_cmp(root, fx.root), 0);
	assert_int_equal(X509_verify(root, X509_get0_pubkey(root)), 1);
	assert_true(ccg_tdx_intel_root_pinned(root));
	if (verify_opts(&o, &r, &err) != CCG_OK)
		fail_msg("built-in root: %s: %s", err.where, err.detail);
	assert_int_equal(r.overall, CCG_TDX_TCB_UP_TO_DATE);
	ccg_tdx_result_cleanup(&r);
	/* a configured root is the one used: a look-alike with another key refuses the PCK chain */
	fake = X509_dup(root);
	assert_true(fake != NULL && k != NULL && X509_set_pubkey(fake, k) == 1 && X509_sign(fake, k, EVP_sha256()) > 0);
	o.root = fake;
	assert_int_not_equal(verify_opts(&o, &r, &err), CCG_OK);
	assert_non_null(strstr(err.where, "PCK chain"));
	ccg_tdx_result_cleanup(&r);
	X509_free(fake);
	X509_free(root);
	EVP_PKEY_free(k);
}

/*
 * Item 9: a quote with no collateral at all has an unknown TCB status and
 * stale collateral; require_fresh_collateral refuses it, as for SEV-SNP.
 */
static void test_no_collateral_strict(void **state)
{
	struct ccg_tdx_verify_opts o = {.root = fx.root, .now = NOW};
	struct ccg_tdx_quote q;
	struct ccg_tdx_result r;
	struct ccg_error err;
	json_t *c = NULL;

	(void)state;
	if (verify_opts(&o, &r, &err) != CCG_OK)
		fail_msg("%s: %s", err.where, err.detail);
	assert_false(r.tcb_known);
	assert_true(r.collateral_stale);
	assert_int_equal(ccg_tdx_quote_parse(fx.quote, fx.quote_len, &q, NULL), CCG_OK);
	assert_int_equal(ccg_tdx_quote_claims(&q, &r, &c), CCG_OK);
	assert_string_equal(json_string_value(json_object_get(c, "tdx-tcb-status")), "unknown");
	assert_true(json_is_true(json_object_get(c, "tdx-collateral-stale")));
	json_decref(c);
	ccg_tdx_result_cleanup(&r);
	o.require_fresh_collateral = true;
	assert_int_equal(verify_opts(&o, &r, &err), CCG_ERR_OCSP_STALE);
	assert_string_equal(err.where, "tdx.collateral");
	assert_non_null(strstr(err.detail, "no TDX collateral"));
	ccg_tdx_result_cleanup(&r);
}

/*
 * MISCSELECT byte order: the QE report body (sgx_report_body_t: CPUSVN 16
 * bytes, then MISCSELECT, a u32 at offset 16, x86 little-endian) with the
 * asymmetric bytes 01 02 03 04 reads as 0x04030201; the QE identity's
 * "miscselect" hex writes that value as "04030201" (most significant byte
 * first), so it matches that string and not "01020304", and a mask that keeps
 * only the most significant byte tests byte 19 of the report body.
 */
static void test_miscselect_byte_order(void **state)
{
	static const uint8_t all[4] = {0xFF, 0xFF, 0xFF, 0xFF}, top[4] = {0xFF, 0, 0, 0};
	static const uint8_t as_hex[4] = {0x04, 0x03, 0x02, 0x01}, swapped[4] = {0x01, 0x02, 0x03, 0x04};
	static const uint8_t top_only[4] = {0x04, 0, 0, 0}, low_byte_as_top[4] = {0x01, 0, 0, 0};
	struct ccg_tdx_quote q;
	uint8_t *p = malloc(fx.quote_len), *at;

	(void)state;
	assert_int_equal(ccg_tdx_quote_parse(fx.quote, fx.quote_len, &q, NULL), CCG_OK);
	/* the QE report's bytes in the quote, found by their copy */
	at = memmem(fx.quote, fx.quote_len, q.qe_report.raw, sizeof(q.qe_report.raw));
	assert_non_null(at);
	memcpy(p, fx.quote, fx.quote_len);
	at = p + (at - fx.quote) + 16;
	at[0] = 0x01;
	at[1] = 0x02;
	at[2] = 0x03;
	at[3] = 0x04;
	assert_int_equal(ccg_tdx_quote_parse(p, fx.quote_len, &q, NULL), CCG_OK);
	assert_int_equal(q.qe_report.miscselect, 0x04030201u);
	/* the fields on either side are where they were */
	assert_memory_equal(q.qe_report.raw + 16, at, 4);
	assert_true(ccg_tdx_miscselect_matches(q.qe_report.miscselect, as_hex, all));
	assert_false(ccg_tdx_miscselect_matches(q.qe_report.miscselect, swapped, all));
	assert_true(ccg_tdx_miscselect_matches(q.qe_report.miscselect, top_only, top));
	assert_false(ccg_tdx_miscselect_matches(q.qe_report.miscselect, low_byte_as_top, top));
	/* the changed QE report no longer carries the PCK's signature */
	assert_int_equal(verify(p, fx.quote_len, NULL, NULL, NULL), CCG_ERR_SIGNATURE);
	free(p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_v5_sample_verifies),
		cmocka_unit_test(test_padding_tolerated),
		cmocka_unit_test(test_every_flip_and_truncation_fails),
		cmocka_unit_test(test_collateral_faults),
		cmocka_unit_test(test_sgx_and_versions_refused),
		cmocka_unit_test(test_v4_layout),
		cmocka_unit_test(test_qe_signing_chain),
		cmocka_unit_test(test_intel_root_pinned),
		cmocka_unit_test(test_builtin_intel_root),
		cmocka_unit_test(test_no_collateral_strict),
		cmocka_unit_test(test_miscselect_byte_order),
	};

	td_require();
	return cmocka_run_group_tests(tests, setup, teardown);
}
