/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Fuzz target: bytes as a DER OCSPResponse, handed to ccg_ocsp_add_response
 * and then used by ccg_ocsp_check (offline mode, so never the network) for a
 * fixed leaf and issuer. That runs the bounded parse, the signature and
 * signer checks, CertID matching, status and freshness on attacker bytes;
 * cache files and fetched responses go through the same functions.
 *
 * The test PKI was made once with the openssl CLI (P-256, 100 years):
 * "CN=Fuzz CA" (self-signed) issued "CN=Fuzz Leaf" (serial 0x1234) and a
 * delegated "CN=Fuzz OCSP Signer" (id-kp-OCSPSigning). The seed corpus
 * (corpus/ocsp/) holds `openssl ocsp -reqin ... -respout` answers about the
 * leaf (good / revoked / on hold / unknown, signed by the CA or the signer,
 * SHA-1 and SHA-384 CertIDs, with and without nonce) and truncations.
 * Verdict: ccg_ocsp_add_response's, then the first ccg_ocsp_check's.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "attest/pki/ocsp.h"
#include "common/crypto.h"
#include "fuzz.h"

/* one hour after the seed responses were made; inside every validity period */
#define FUZZ_NOW INT64_C(1795348733)

static const char issuer_pem[] =
	"-----BEGIN CERTIFICATE-----\n"
	"MIIBizCCATGgAwIBAgIUT/ih/TpFO+iP1GvtCXtAkNimcswwCgYIKoZIzj0EAwIw\n"
	"EjEQMA4GA1UEAwwHRnV6eiBDQTAgFw0yNjExMjIxMDU4NTNaGA8yMTI2MTAyOTEw\n"
	"NTg1M1owEjEQMA4GA1UEAwwHRnV6eiBDQTBZMBMGByqGSM49AgEGCCqGSM49AwEH\n"
	"A0IABMi6w8+uQgto66WfXPE472wsezzBddk9RIEo/Ls5t/rtIUE/p97Ow+xIB91C\n"
	"PbV7Epct07iCw74gIOvvouqE6nOjYzBhMB0GA1UdDgQWBBRNWrhUdubvgTJ711nt\n"
	"qwqqAK2lIzAfBgNVHSMEGDAWgBRNWrhUdubvgTJ711ntqwqqAK2lIzAPBgNVHRMB\n"
	"Af8EBTADAQH/MA4GA1UdDwEB/wQEAwIBBjAKBggqhkjOPQQDAgNIADBFAiBvvdqT\n"
	"TMRp99g49+t6e3maKueE057KbATBwssPp+Vy3QIhAKy8L0H13UNAIn+8ncLfgthm\n"
	"LGuVUxO33APPLzs4YW7J\n"
	"-----END CERTIFICATE-----\n";

static const char leaf_pem[] =
	"-----BEGIN CERTIFICATE-----\n"
	"MIIBeTCCAR6gAwIBAgICEjQwCgYIKoZIzj0EAwIwEjEQMA4GA1UEAwwHRnV6eiBD\n"
	"QTAgFw0yNjExMjIxMDU4NTNaGA8yMTI2MTAyOTEwNTg1M1owFDESMBAGA1UEAwwJ\n"
	"RnV6eiBMZWFmMFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEbwq8mQSwegFT1jSr\n"
	"xoMF0OGsa7b46Q7nStstRxWX+XGu0UPla8tkRFTbedz6vwZrruxyV3xyrn7b7t/v\n"
	"0CL2IaNgMF4wDAYDVR0TAQH/BAIwADAOBgNVHQ8BAf8EBAMCB4AwHQYDVR0OBBYE\n"
	"FKlHBOV/+mUMKyURkZJJzuOhMDuAMB8GA1UdIwQYMBaAFE1auFR25u+BMnvXWe2r\n"
	"CqoAraUjMAoGCCqGSM49BAMCA0kAMEYCIQDvv48bsyBglkb7N4iZqxXRDx66Y2Tp\n"
	"dVGmAsPtfPRoRQIhAJtte5I58Ba4OZmNPvWJZJdQQT9ylCtRrPuipbYrfAyI\n"
	"-----END CERTIFICATE-----\n";

static X509 *load(const char *pem, size_t len)
{
	STACK_OF(X509) *sk = NULL;
	X509 *x = NULL;

	if (ccg_pem_certs_parse((const uint8_t *)pem, len, 1, &sk, NULL) == CCG_OK)
		x = sk_X509_shift(sk);
	sk_X509_pop_free(sk, X509_free);
	return x;
}

int ccg_fuzz_verdict(const uint8_t *data, size_t size)
{
	static X509 *issuer, *leaf;
	struct ccg_ocsp_config config = {.mode = CCG_OCSP_MODE_CACHE};
	struct ccg_ocsp *o = NULL;
	struct ccg_ocsp_cert_result r;
	struct ccg_error err;
	enum ccg_status st;

	if (issuer == NULL) {
		issuer = load(issuer_pem, sizeof(issuer_pem) - 1);
		leaf = load(leaf_pem, sizeof(leaf_pem) - 1);
		if (issuer == NULL || leaf == NULL)
			abort();
	}
	if (ccg_ocsp_new(&config, &o, NULL) != CCG_OK)
		abort();
	ccg_error_clear(&err);
	if ((st = ccg_ocsp_add_response(o, data, size, &err)) == CCG_OK) {
		enum ccg_status again;

		ccg_error_clear(&err);
		st = ccg_ocsp_check(o, leaf, issuer, FUZZ_NOW, &r, &err);
		/* the warm path on the same entry must agree */
		again = ccg_ocsp_check(o, leaf, issuer, FUZZ_NOW, &r, NULL);
		if (st != again && st != CCG_ERR_OCSP)
			abort();
		if (ccg_ocsp_status_name(r.status) == NULL)
			abort();
	}
	ccg_ocsp_free(o);
	return st;
}
