/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Fuzz target: AMD KDS answers and the SEV-SNP VCEK extensions.
 *
 * A PEM input is a KDS cert_chain answer (/vcek/v1/{product}/cert_chain:
 * ASK ‖ ARK, parsed as attest/cpu/snp_kds.c does): it must verify as a chain to
 * its last certificate, which must be a pinned AMD ARK.
 *
 * A DER input is a KDS VCEK answer (/vcek/v1/{product}/{hwid}, parsed as
 * snp_kds.c does). Its own signature cannot be forged, so to reach what
 * ccg_snp_report_verify reads from a VCEK (productName, hwID, the blSPL,
 * teeSPL, snpSPL, ucodeSPL, fmcSPL extensions) the target keeps the
 * certificate's subject and extensions but gives it a fixed P-384 key and
 * validity and re-signs it with a synthetic ASK (the test PKI of
 * tests/support/amd_pki.h, made at start-up: ARK ← ASK with RSASSA-PSS/SHA-384
 * as AMD's), then appraises that PKI's version-2 report signed by that key:
 * chip_id 0xA0 ^ i and reported TCB bootloader 3, TEE 0, SNP 8, microcode
 * 0x73 (Milan layout), at a fixed time. Real VCEKs (shared testdata) are for other chips: their hwID
 * does not match. Verdict: the parse's, then the chain's or the report
 * verification's.
 */
#include <openssl/x509.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "attest/cpu/snp.h"
#include "attest/pki/x509_chain.h"
#include "amd_pki.h"
#include "common/crypto.h"
#include "fuzz.h"

/* 2026-11-22T00:00:00Z, inside the synthetic certificates' validity */
#define FUZZ_NOW 1795305600

static struct ts_amd_pki pki;
static struct ccg_snp_report report;

static void setup(void)
{
	uint8_t rep[CCG_SNP_REPORT_LEN], report_data[64] = {0};

	ts_amd_pki_make(&pki, "Milan", 0);
	ts_amd_pki_report(&pki, report_data, rep);
	if (ccg_snp_report_parse(rep, sizeof(rep), &report, NULL) != CCG_OK)
		abort();
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
	if (X509_set_version(vcek, 2) != 1 || X509_set_issuer_name(vcek, X509_get_subject_name(pki.ask)) != 1 ||
	    X509_set_pubkey(vcek, pki.leaf_key) != 1 ||
	    ASN1_TIME_set(X509_getm_notBefore(vcek), TS_AMD_NOT_BEFORE) == NULL ||
	    ASN1_TIME_set(X509_getm_notAfter(vcek), TS_AMD_NOT_AFTER) == NULL)
		abort();
	ts_amd_cert_sign(vcek, pki.ask_key);
	sk = sk_X509_new_null();
	if (sk == NULL || sk_X509_push(sk, vcek) <= 0)
		abort();
	if (sk_X509_push(sk, pki.ask) <= 0 || sk_X509_push(sk, pki.ark) <= 0)
		abort();
	memset(&o, 0, sizeof(o));
	o.ark = pki.ark;
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

	if (pki.ark == NULL)
		setup();
	if (size >= sizeof(pem) - 1 && memcmp(data, pem, sizeof(pem) - 1) == 0)
		return chain_answer(data, size);
	return vcek_answer(data, size);
}
