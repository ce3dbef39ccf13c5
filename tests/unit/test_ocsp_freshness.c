/* SPDX-License-Identifier: Apache-2.0 */
/*
 * OCSP freshness with injected times on responses made in-process (a
 * throw-away issuer and leaf, OpenSSL's OCSP API): a response without
 * nextUpdate is fresh only for CCG_OCSP_NO_NEXT_UPDATE_MAX_AGE unless a
 * maximum age is configured. No network, no wall clock.
 */
#include <stdarg.h>
#include <setjmp.h>
#include <stddef.h>
#include <cmocka.h>
#include <openssl/evp.h>
#include <openssl/ocsp.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <stdlib.h>
#include <string.h>

#include "attest/pki/ocsp.h"

#define T0 1795305600 /* 2026-11-22T00:00:00Z: the responses' thisUpdate */

static EVP_PKEY *issuer_key, *leaf_key;
static X509 *issuer, *leaf;

static X509 *make_cert(const char *cn, long serial, EVP_PKEY *pub, X509 *signer, EVP_PKEY *signer_key, bool ca)
{
	X509 *x = X509_new();
	X509_NAME *n = X509_NAME_new();
	X509V3_CTX ctx;
	X509_EXTENSION *e;

	assert_true(x != NULL && n != NULL);
	assert_int_equal(X509_set_version(x, 2), 1);
	assert_int_equal(ASN1_INTEGER_set(X509_get_serialNumber(x), serial), 1);
	assert_int_equal(X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_ASC, (const unsigned char *)cn, -1, -1, 0), 1);
	assert_int_equal(X509_set_subject_name(x, n), 1);
	assert_int_equal(X509_set_issuer_name(x, signer != NULL ? X509_get_subject_name(signer) : n), 1);
	assert_non_null(ASN1_TIME_set(X509_getm_notBefore(x), 1577836800)); /* 2020 */
	assert_non_null(ASN1_TIME_set(X509_getm_notAfter(x), 2366841600));  /* 2045 */
	assert_int_equal(X509_set_pubkey(x, pub), 1);
	if (ca) {
		X509V3_set_ctx(&ctx, x, x, NULL, NULL, 0);
		e = X509V3_EXT_conf_nid(NULL, &ctx, NID_basic_constraints, "critical,CA:TRUE");
		assert_non_null(e);
		assert_int_equal(X509_add_ext(x, e, -1), 1);
		X509_EXTENSION_free(e);
	}
	assert_true(X509_sign(x, signer_key, EVP_sha256()) > 0);
	X509_NAME_free(n);
	return x;
}

static int setup(void **state)
{
	(void)state;
	issuer_key = EVP_EC_gen("P-256");
	leaf_key = EVP_EC_gen("P-256");
	assert_true(issuer_key != NULL && leaf_key != NULL);
	issuer = make_cert("test OCSP issuer", 1, issuer_key, NULL, issuer_key, true);
	leaf = make_cert("test leaf", 2, leaf_key, issuer, issuer_key, false);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	X509_free(leaf);
	X509_free(issuer);
	EVP_PKEY_free(leaf_key);
	EVP_PKEY_free(issuer_key);
	return 0;
}

/* a DER OCSPResponse "good" for leaf, signed by the issuer, thisUpdate T0, nextUpdate next (0: none) */
static uint8_t *response(int64_t next, size_t *len)
{
	OCSP_BASICRESP *bs = OCSP_BASICRESP_new();
	OCSP_CERTID *id = OCSP_cert_to_id(EVP_sha256(), leaf, issuer);
	ASN1_TIME *tu = ASN1_TIME_set(NULL, T0), *nu = next != 0 ? ASN1_TIME_set(NULL, (time_t)next) : NULL;
	OCSP_RESPONSE *r;
	unsigned char *der = NULL;
	uint8_t *out;
	int n;

	assert_true(bs != NULL && id != NULL && tu != NULL);
	assert_non_null(OCSP_basic_add1_status(bs, id, V_OCSP_CERTSTATUS_GOOD, 0, NULL, tu, nu));
	assert_int_equal(OCSP_basic_sign(bs, issuer, issuer_key, EVP_sha256(), NULL, 0), 1);
	r = OCSP_response_create(OCSP_RESPONSE_STATUS_SUCCESSFUL, bs);
	assert_non_null(r);
	n = i2d_OCSP_RESPONSE(r, &der);
	assert_true(n > 0);
	out = malloc((size_t)n);
	assert_non_null(out);
	memcpy(out, der, (size_t)n);
	*len = (size_t)n;
	OPENSSL_free(der);
	OCSP_RESPONSE_free(r);
	ASN1_TIME_free(tu);
	ASN1_TIME_free(nu);
	OCSP_CERTID_free(id);
	OCSP_BASICRESP_free(bs);
	return out;
}

/* the leaf's status at now from a cache-only checker holding one supplied response */
static enum ccg_status check_at(int64_t next, int64_t max_age, int64_t now, struct ccg_error *err)
{
	struct ccg_ocsp_config cfg = {.mode = CCG_OCSP_MODE_CACHE, .max_age = max_age};
	struct ccg_ocsp *o = NULL;
	struct ccg_ocsp_cert_result r;
	size_t len;
	uint8_t *der = response(next, &len);
	enum ccg_status st;

	assert_int_equal(ccg_ocsp_new(&cfg, &o, NULL), CCG_OK);
	assert_int_equal(ccg_ocsp_add_response(o, der, len, NULL), CCG_OK);
	ccg_error_clear(err);
	st = ccg_ocsp_check(o, leaf, issuer, now, &r, err);
	assert_int_equal(r.status, st == CCG_OK ? CCG_OCSP_GOOD : CCG_OCSP_NOT_CHECKED);
	ccg_ocsp_free(o);
	free(der);
	return st;
}

static void test_no_next_update_has_a_default_age(void **state)
{
	struct ccg_error err;

	(void)state;
	assert_int_equal(check_at(0, 0, T0, &err), CCG_OK);
	assert_int_equal(check_at(0, 0, T0 + CCG_OCSP_NO_NEXT_UPDATE_MAX_AGE, &err), CCG_OK);
	/* a second past the default age: stale, named */
	assert_int_equal(check_at(0, 0, T0 + CCG_OCSP_NO_NEXT_UPDATE_MAX_AGE + 1, &err), CCG_ERR_OCSP_STALE);
	assert_string_equal(err.where, "ocsp.max_age");
	assert_non_null(strstr(err.detail, "no nextUpdate"));
	/* a year later: still stale (before, such a response never went stale) */
	assert_int_equal(check_at(0, 0, T0 + 365 * 86400, &err), CCG_ERR_OCSP_STALE);
}

static void test_configured_age_and_next_update_rule(void **state)
{
	struct ccg_error err;

	(void)state;
	/* a configured maximum age replaces the default, for responses with or without nextUpdate */
	assert_int_equal(check_at(0, 7200, T0 + 7200, &err), CCG_OK);
	assert_int_equal(check_at(0, 7200, T0 + 7201, &err), CCG_ERR_OCSP_STALE);
	assert_string_equal(err.where, "ocsp.max_age");
	/* with nextUpdate and no maximum age: fresh until nextUpdate, the default age does not apply */
	assert_int_equal(check_at(T0 + 86400, 0, T0 + 86400, &err), CCG_OK);
	assert_int_equal(check_at(T0 + 86400, 0, T0 + 86401, &err), CCG_ERR_OCSP_STALE);
	assert_string_equal(err.where, "ocsp.next_update");
	/* thisUpdate in the future (beyond the skew) */
	assert_int_equal(check_at(0, 0, T0 - 3600, &err), CCG_ERR_OCSP_STALE);
	assert_string_equal(err.where, "ocsp.this_update");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_no_next_update_has_a_default_age),
		cmocka_unit_test(test_configured_age_and_next_update_rule),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
