/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Fuzz target: AMD KDS answers and the SEV-SNP VCEK extensions.
 *
 * A PEM input is a KDS cert_chain answer (/vcek/v1/{product}/cert_chain:
 * ASK ‖ ARK, parsed as attest/snp_kds.c does): it must verify as a chain to
 * its last certificate, which must be a pinned AMD ARK.
 *
 * A DER input is a KDS VCEK answer (/vcek/v1/{product}/{hwid}, parsed as
 * snp_kds.c does). Its own signature cannot be forged, so to reach what
 * ccg_snp_report_verify reads from a VCEK (productName, hwID, the blSPL,
 * teeSPL, snpSPL, ucodeSPL, fmcSPL extensions) the target keeps the
 * certificate's subject and extensions but gives it a fixed P-384 key and
 * validity and re-signs it with a synthetic ASK (ARK ← ASK made at start-up
 * like AMD's: RSA, RSASSA-PSS/SHA-384), then appraises a fixed version-2
 * report signed by that key: chip_id 0x01, 0x08, 0x0f, … (7i+1) and
 * reported TCB bootloader 3, TEE 0, SNP 8, microcode 115 (Milan layout), at a
 * fixed time. Real VCEKs (shared testdata) are for other chips: their hwID
 * does not match. Verdict: the parse's, then the chain's or the report
 * verification's.
 */
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "attest/snp.h"
#include "attest/x509_chain.h"
#include "common/crypto.h"
#include "fuzz.h"

/* 2026-11-22T00:00:00Z, inside the synthetic certificates' 2020..2045 */
#define FUZZ_NOW 1795305600
#define NOT_BEFORE 1577836800
#define NOT_AFTER 2366841600

static EVP_PKEY *ark_key, *ask_key, *vcek_key;
static X509 *ark, *ask;
static struct ccg_snp_report report;

static void sign_pss(X509 *x, EVP_PKEY *key)
{
	EVP_MD_CTX *m = EVP_MD_CTX_new();
	EVP_PKEY_CTX *p = NULL;

	if (m == NULL || EVP_DigestSignInit(m, &p, EVP_sha384(), NULL, key) != 1 ||
	    EVP_PKEY_CTX_set_rsa_padding(p, RSA_PKCS1_PSS_PADDING) != 1 ||
	    EVP_PKEY_CTX_set_rsa_pss_saltlen(p, RSA_PSS_SALTLEN_DIGEST) != 1 || X509_sign_ctx(x, m) <= 0)
		abort();
	EVP_MD_CTX_free(m);
}

static void add_ext(X509 *x, X509 *issuer, int nid, const char *value)
{
	X509V3_CTX ctx;
	X509_EXTENSION *e;

	X509V3_set_ctx(&ctx, issuer, x, NULL, NULL, 0);
	e = X509V3_EXT_conf_nid(NULL, &ctx, nid, value);
	if (e == NULL || X509_add_ext(x, e, -1) != 1)
		abort();
	X509_EXTENSION_free(e);
}

static X509 *make_ca(const char *cn, EVP_PKEY *key, X509 *issuer, EVP_PKEY *issuer_key, long serial)
{
	X509 *x = X509_new();
	X509_NAME *n = X509_NAME_new();

	if (x == NULL || n == NULL || X509_set_version(x, 2) != 1 ||
	    ASN1_INTEGER_set(X509_get_serialNumber(x), serial) != 1 ||
	    X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_ASC, (const unsigned char *)cn, -1, -1, 0) != 1 ||
	    X509_set_subject_name(x, n) != 1 ||
	    X509_set_issuer_name(x, issuer != NULL ? X509_get_subject_name(issuer) : n) != 1 ||
	    ASN1_TIME_set(X509_getm_notBefore(x), NOT_BEFORE) == NULL ||
	    ASN1_TIME_set(X509_getm_notAfter(x), NOT_AFTER) == NULL || X509_set_pubkey(x, key) != 1)
		abort();
	X509_NAME_free(n);
	add_ext(x, issuer != NULL ? issuer : x, NID_basic_constraints, "critical,CA:TRUE");
	add_ext(x, issuer != NULL ? issuer : x, NID_key_usage, "critical,keyCertSign,cRLSign");
	sign_pss(x, issuer_key);
	return x;
}

/* the fixed report: signed by vcek_key over [0, 0x2A0), R and S little-endian */
static void make_report(void)
{
	static const uint8_t tcb[8] = {3, 0, 0, 0, 0, 0, 8, 115};
	uint8_t b[CCG_SNP_REPORT_LEN] = {2};
	unsigned char *sig = NULL;
	size_t sig_len = 0;
	EVP_MD_CTX *m = EVP_MD_CTX_new();
	ECDSA_SIG *s = NULL;
	const unsigned char *p;
	const BIGNUM *r, *sv;
	uint8_t rbe[48], sbe[48];

	b[0x34] = 1; /* ECDSA P-384 with SHA-384 */
	memcpy(b + 0x180, tcb, sizeof(tcb));
	for (int i = 0; i < 64; i++)
		b[0x1A0 + i] = (uint8_t)(7 * i + 1);
	if (m == NULL || EVP_DigestSignInit(m, NULL, EVP_sha384(), NULL, vcek_key) != 1 ||
	    EVP_DigestSign(m, NULL, &sig_len, b, 0x2A0) != 1 || (sig = OPENSSL_malloc(sig_len)) == NULL ||
	    EVP_DigestSign(m, sig, &sig_len, b, 0x2A0) != 1)
		abort();
	p = sig;
	s = d2i_ECDSA_SIG(NULL, &p, (long)sig_len);
	if (s == NULL)
		abort();
	ECDSA_SIG_get0(s, &r, &sv);
	if (BN_bn2binpad(r, rbe, 48) != 48 || BN_bn2binpad(sv, sbe, 48) != 48)
		abort();
	for (int i = 0; i < 48; i++) {
		b[0x2A0 + i] = rbe[47 - i];
		b[0x2A0 + 72 + i] = sbe[47 - i];
	}
	ECDSA_SIG_free(s);
	OPENSSL_free(sig);
	EVP_MD_CTX_free(m);
	if (ccg_snp_report_parse(b, sizeof(b), &report, NULL) != CCG_OK)
		abort();
}

static void setup(void)
{
	ark_key = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
	ask_key = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
	vcek_key = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-384");
	if (ark_key == NULL || ask_key == NULL || vcek_key == NULL)
		abort();
	ark = make_ca("ARK-Milan", ark_key, NULL, ark_key, 1);
	ask = make_ca("SEV-Milan", ask_key, ark, ark_key, 2);
	make_report();
}

/* a KDS cert_chain answer: ASK ‖ ARK, the ARK pinned */
static enum ccg_status chain_answer(const uint8_t *data, size_t size)
{
	STACK_OF(X509) *sk = NULL;
	struct ccg_chain_opts o = {.now = FUZZ_NOW, .name = "KDS cert_chain", .no_key_ids = true};
	struct ccg_chain_result res;
	enum ccg_status st;

	if ((st = ccg_pem_certs_parse(data, size, 2, &sk, NULL)) != CCG_OK)
		return st;
	o.anchor = sk_X509_value(sk, sk_X509_num(sk) - 1);
	if (!ccg_snp_ark_spki_pinned(o.anchor))
		st = CCG_ERR_CERT_UNTRUSTED;
	else
		st = ccg_chain_verify(sk, &o, &res, NULL);
	sk_X509_pop_free(sk, X509_free);
	return st;
}

/* a KDS VCEK answer, re-keyed and re-signed by the synthetic ASK, then the report verified with it */
static enum ccg_status vcek_answer(const uint8_t *data, size_t size)
{
	X509 *vcek = NULL;
	STACK_OF(X509) *sk = NULL;
	struct ccg_snp_verify_opts o;
	struct ccg_snp_result res;
	enum ccg_status st;

	if ((st = ccg_der_cert_parse(data, size, &vcek, NULL)) != CCG_OK)
		return st;
	if (X509_set_version(vcek, 2) != 1 || X509_set_issuer_name(vcek, X509_get_subject_name(ask)) != 1 ||
	    X509_set_pubkey(vcek, vcek_key) != 1 || ASN1_TIME_set(X509_getm_notBefore(vcek), NOT_BEFORE) == NULL ||
	    ASN1_TIME_set(X509_getm_notAfter(vcek), NOT_AFTER) == NULL)
		abort();
	sign_pss(vcek, ask_key);
	sk = sk_X509_new_null();
	if (sk == NULL || sk_X509_push(sk, vcek) <= 0)
		abort();
	if (sk_X509_push(sk, ask) <= 0 || sk_X509_push(sk, ark) <= 0)
		abort();
	memset(&o, 0, sizeof(o));
	o.ark = ark;
	o.certs = sk;
	o.now = FUZZ_NOW;
	st = ccg_snp_report_verify(&report, &o, &res, NULL);
	X509_free(vcek);
	sk_X509_free(sk);
	return st;
}

int ccg_fuzz_verdict(const uint8_t *data, size_t size)
{
	static const char pem[] = "-----BEGIN";

	if (ark == NULL)
		setup();
	if (size >= sizeof(pem) - 1 && memcmp(data, pem, sizeof(pem) - 1) == 0)
		return chain_answer(data, size);
	return vcek_answer(data, size);
}
