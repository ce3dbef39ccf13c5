/* SPDX-License-Identifier: Apache-2.0 */
/* SEV-SNP reports: the real Milan reports verify, every flip and truncation fails, claims, KDS cache. */
#include <stdarg.h>
#include <setjmp.h>
#include <stddef.h>
#include <cmocka.h>
#include <jansson.h>
#include <openssl/pem.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "amd_pki.h"
#include "attest/cpu/cpu_roots.h"
#include "attest/cpu/snp.h"
#include "attest/pki/x509_chain.h"
#include "common/crypto.h"
#include "common/encoding.h"
#include "common/file.h"
#include "common/http.h"
#include "testdata.h"

#define NOW 1795305600 /* 2026-11-22T00:00:00Z */

struct snp_sample {
	uint8_t *report;
	size_t report_len;
	STACK_OF(X509) *certs; /* VCEK, ASK, ARK */
	X509 *ark;
};

static void load(const char *which, struct snp_sample *s)
{
	uint8_t *vcek, *chain;
	size_t vl, cl;
	X509 *leaf = NULL;
	STACK_OF(X509) *askark = NULL;

	memset(s, 0, sizeof(*s));
	if (strcmp(which, "go") == 0) {
		s->report = td_read("snp/milan-go-sev-guest/attestation.bin", &s->report_len);
		vcek = td_read("snp/milan-go-sev-guest/vcek.testcer", &vl);
		chain = td_read("snp/milan-go-sev-guest/milan.testcer", &cl);
	} else {
		s->report = td_read_hex("snp/milan-virtee/report_milan.hex", &s->report_len);
		vcek = td_read("snp/milan-virtee/vcek_milan.der", &vl);
		chain = td_read("snp/milan-virtee/cert_chain_milan", &cl);
	}
	assert_int_equal(ccg_der_cert_parse(vcek, vl, &leaf, NULL), CCG_OK);
	assert_int_equal(ccg_pem_certs_parse(chain, cl, 4, &askark, NULL), CCG_OK);
	assert_int_equal(sk_X509_num(askark), 2);
	s->certs = sk_X509_new_null();
	assert_true(sk_X509_push(s->certs, leaf) > 0);
	assert_true(sk_X509_push(s->certs, sk_X509_value(askark, 0)) > 0);
	assert_true(sk_X509_push(s->certs, sk_X509_value(askark, 1)) > 0);
	s->ark = sk_X509_value(askark, 1);
	assert_int_equal(X509_up_ref(s->ark), 1);
	sk_X509_free(askark);
	free(vcek);
	free(chain);
}

static void unload(struct snp_sample *s)
{
	free(s->report);
	sk_X509_pop_free(s->certs, X509_free);
	X509_free(s->ark);
}

static enum ccg_status verify(const struct snp_sample *s, const uint8_t *rep, size_t len, struct ccg_error *err)
{
	struct ccg_snp_report r;
	struct ccg_snp_verify_opts o = {.ark = s->ark, .certs = s->certs, .now = NOW};
	enum ccg_status st = ccg_snp_report_parse(rep, len, &r, err);

	return st != CCG_OK ? st : ccg_snp_report_verify(&r, &o, NULL, err);
}

static void test_real_reports_verify(void **state)
{
	const char *which[] = {"go", "virtee"};

	(void)state;
	for (size_t i = 0; i < 2; i++) {
		struct snp_sample s;
		struct ccg_error err;

		load(which[i], &s);
		ccg_error_clear(&err);
		assert_int_equal(s.report_len, CCG_SNP_REPORT_LEN);
		if (verify(&s, s.report, s.report_len, &err) != CCG_OK)
			fail_msg("%s: %s: %s", which[i], err.where, err.detail);
		assert_true(ccg_snp_ark_spki_pinned(s.ark));
		unload(&s);
	}
}

static void test_go_claims(void **state)
{
	struct snp_sample s;
	struct ccg_snp_report r;
	json_t *c = NULL;

	(void)state;
	load("go", &s);
	assert_int_equal(ccg_snp_report_parse(s.report, s.report_len, &r, NULL), CCG_OK);
	assert_int_equal(r.version, 2);
	assert_int_equal(r.report_data[0], 1);
	assert_memory_equal(r.report_data, "\x01\x02\x03\x04\x05", 5);
	assert_int_equal(ccg_snp_report_claims(&r, CCG_SNP_PRODUCT_MILAN, &c), CCG_OK);
	/* DEBUG allowed is a claim a policy can refuse */
	assert_true(json_is_true(json_object_get(c, "snp-debug-allowed")));
	assert_string_equal(json_string_value(json_object_get(c, "snp-product")), "Milan");
	assert_int_equal(json_integer_value(json_object_get(c, "snp-vmpl")), 0);
	assert_string_equal(json_string_value(json_object_get(c, "snp-signer")), "VCEK");
	assert_int_equal(strncmp(json_string_value(json_object_get(c, "snp-report-data")), "0102030405", 10), 0);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(c, "snp-tcb-reported"), "snp")), 5);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(c, "snp-tcb-reported"), "microcode")),
			 0x44);
	json_decref(c);
	unload(&s);
}

static void test_virtee_bit7_byte21(void **state)
{
	struct snp_sample s;
	struct ccg_error err;

	(void)state;
	load("virtee", &s);
	s.report[21] ^= 0x80;
	ccg_error_clear(&err);
	assert_int_equal(verify(&s, s.report, s.report_len, &err), CCG_ERR_SIGNATURE);
	assert_string_equal(err.where, "snp.signature");
	unload(&s);
}

static void test_every_flip_and_truncation_fails(void **state)
{
	struct snp_sample s;

	(void)state;
	load("go", &s);
	for (size_t i = 0; i < s.report_len; i++) {
		s.report[i] ^= 0x01;
		if (verify(&s, s.report, s.report_len, NULL) == CCG_OK)
			fail_msg("flip of byte %zu still verifies", i);
		s.report[i] ^= 0x01;
	}
	for (size_t n = 0; n < s.report_len; n += 7)
		assert_int_equal(verify(&s, s.report, n, NULL), CCG_ERR_TRUNCATED);
	assert_int_equal(verify(&s, s.report, s.report_len, NULL), CCG_OK);
	unload(&s);
}

static void test_chain_and_extension_faults(void **state)
{
	struct snp_sample s, v;
	struct ccg_snp_report r;
	struct ccg_error err;
	struct ccg_snp_verify_opts o;
	uint8_t want[64] = {0};

	(void)state;
	load("go", &s);
	load("virtee", &v);
	/* the other chip's VCEK: hwID and TCB differ */
	assert_int_equal(ccg_snp_report_parse(s.report, s.report_len, &r, NULL), CCG_OK);
	o = (struct ccg_snp_verify_opts){.ark = s.ark, .certs = v.certs, .now = NOW};
	ccg_error_clear(&err);
	assert_int_equal(ccg_snp_report_verify(&r, &o, NULL, &err), CCG_ERR_CERT_HWID);
	assert_string_equal(err.where, "snp.vcek.hwid");
	/* a chain at a time after the VCEK expired */
	o = (struct ccg_snp_verify_opts){.ark = s.ark, .certs = s.certs, .now = 1924992000 /* 2031 */};
	ccg_error_clear(&err);
	assert_int_equal(ccg_snp_report_verify(&r, &o, NULL, &err), CCG_ERR_CERT_EXPIRED);
	/* no ARK configured: the pinned ARK-Milan (given, or built in) anchors it */
	o = (struct ccg_snp_verify_opts){.certs = s.certs, .now = NOW};
	assert_int_equal(ccg_snp_report_verify(&r, &o, NULL, NULL), CCG_OK);
	/* a VCEK used as its own anchor does not anchor the chain */
	o = (struct ccg_snp_verify_opts){.ark = sk_X509_value(s.certs, 1), .certs = s.certs, .now = NOW};
	assert_int_not_equal(ccg_snp_report_verify(&r, &o, NULL, NULL), CCG_OK);
	/* expected report data */
	o = (struct ccg_snp_verify_opts){.ark = s.ark, .certs = s.certs, .now = NOW, .report_data = want};
	ccg_error_clear(&err);
	assert_int_equal(ccg_snp_report_verify(&r, &o, NULL, &err), CCG_ERR_NONCE_MISMATCH);
	o.report_data = r.report_data;
	assert_int_equal(ccg_snp_report_verify(&r, &o, NULL, NULL), CCG_OK);
	unload(&s);
	unload(&v);
}

/* synthetic reports of versions 3 and 5 (Genoa, Turin) parse with their layouts */
static void test_synthetic_versions(void **state)
{
	uint8_t rep[CCG_SNP_REPORT_LEN];
	struct ccg_snp_report r;
	struct ccg_snp_tcb t;
	json_t *c = NULL;

	(void)state;
	memset(rep, 0, sizeof(rep));
	rep[0] = 5;
	rep[0x34] = 1;
	rep[0x188] = 0x1A; /* Turin */
	rep[0x189] = 0x02;
	/* reported TCB: fmc 1, bl 2, tee 3, snp 4, ucode 0x55 */
	rep[0x180] = 1;
	rep[0x181] = 2;
	rep[0x182] = 3;
	rep[0x183] = 4;
	rep[0x187] = 0x55;
	rep[0x1F8] = 0xAA; /* launch_mit_vector */
	assert_int_equal(ccg_snp_report_parse(rep, sizeof(rep), &r, NULL), CCG_OK);
	assert_int_equal(ccg_snp_report_product(&r, CCG_SNP_PRODUCT_UNKNOWN), CCG_SNP_PRODUCT_TURIN);
	assert_int_equal(r.launch_mit_vector, 0xAA);
	ccg_snp_tcb_decode(r.reported_tcb, CCG_SNP_PRODUCT_TURIN, &t);
	assert_int_equal(t.fmc, 1);
	assert_int_equal(t.bootloader, 2);
	assert_int_equal(t.tee, 3);
	assert_int_equal(t.snp, 4);
	assert_int_equal(t.microcode, 0x55);
	assert_int_equal(ccg_snp_report_claims(&r, CCG_SNP_PRODUCT_UNKNOWN, &c), CCG_OK);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(c, "snp-tcb-reported"), "fmc")), 1);
	json_decref(c);
	rep[0] = 3;
	rep[0x188] = 0x19;
	rep[0x189] = 0x11; /* Genoa */
	assert_int_equal(ccg_snp_report_parse(rep, sizeof(rep), &r, NULL), CCG_OK);
	assert_int_equal(ccg_snp_report_product(&r, CCG_SNP_PRODUCT_UNKNOWN), CCG_SNP_PRODUCT_GENOA);
	assert_int_equal(r.launch_mit_vector, 0); /* not a field before version 5 */
	rep[0] = 4;
	assert_int_equal(ccg_snp_report_parse(rep, sizeof(rep), &r, NULL), CCG_ERR_UNSUPPORTED);
	rep[0] = 2;
	rep[0x2A0 + 60] = 1; /* high byte of R */
	assert_int_equal(ccg_snp_report_parse(rep, sizeof(rep), &r, NULL), CCG_ERR_MALFORMED);
	rep[0x2A0 + 60] = 0;
	rep[0x34] = 2;
	assert_int_equal(ccg_snp_report_parse(rep, sizeof(rep), &r, NULL), CCG_ERR_UNSUPPORTED);
}

static void test_kds_url_and_cache(void **state)
{
	struct snp_sample s;
	struct ccg_snp_report r;
	struct ccg_snp_kds_config cfg;
	struct ccg_snp_kds *k = NULL;
	char url[1024], path[4096], hwid[17], *dir = td_tmpdir();
	X509 *got = NULL;
	uint8_t *der = NULL;
	int der_len;
	uint64_t before = ccg_http_transfer_count();
	struct ccg_error err;

	(void)state;
	load("go", &s);
	assert_int_equal(ccg_snp_report_parse(s.report, s.report_len, &r, NULL), CCG_OK);
	assert_int_equal(ccg_snp_kds_vcek_url(NULL, CCG_SNP_PRODUCT_MILAN, r.chip_id, r.reported_tcb, url, sizeof(url)),
			 CCG_OK);
	assert_non_null(strstr(url, "https://kdsintf.amd.com/vcek/v1/Milan/3ac3fe21e13fb099"));
	assert_non_null(strstr(url, "?blSPL=02&teeSPL=00&snpSPL=05&ucodeSPL=68"));
	/* offline, empty cache: not found, no transfer */
	cfg = (struct ccg_snp_kds_config){.cache_dir = dir, .offline = true};
	assert_int_equal(ccg_snp_kds_new(&cfg, &k), CCG_OK);
	ccg_error_clear(&err);
	assert_int_equal(ccg_snp_kds_get_vcek(k, &r, CCG_SNP_PRODUCT_MILAN, &got, &err), CCG_ERR_NOT_FOUND);
	/* a cached VCEK is used offline */
	der_len = i2d_X509(sk_X509_value(s.certs, 0), &der);
	assert_true(der_len > 0);
	ccg_hex_encode(r.chip_id, 8, hwid);
	snprintf(path, sizeof(path), "%s/vcek-Milan-%s-%016llx.der", dir, hwid, (unsigned long long)r.reported_tcb);
	assert_int_equal(ccg_file_write_atomic(path, der, (size_t)der_len, NULL), CCG_OK);
	assert_int_equal(ccg_snp_kds_get_vcek(k, &r, CCG_SNP_PRODUCT_MILAN, &got, NULL), CCG_OK);
	assert_int_equal(X509_cmp(got, sk_X509_value(s.certs, 0)), 0);
	assert_int_equal(ccg_http_transfer_count(), before);
	X509_free(got);
	OPENSSL_free(der);
	ccg_snp_kds_free(k);
	td_rm_rf(dir);
	free(dir);
	unload(&s);
}

/*
 * AMD's Genoa and Turin ARKs (tests/data/amd, public certificates) are pinned,
 * their ASKs chain to them, and a self-made certificate that copies an ARK's
 * name is not pinned.
 */
static void test_genoa_turin_arks_pinned(void **state)
{
	static const char *const products[] = {"genoa", "turin"};
	static const char *const ark_cn[] = {"ARK-Genoa", "ARK-Turin"};
	static const char *const ask_cn[] = {"SEV-Genoa", "SEV-Turin"};

	(void)state;
	for (size_t i = 0; i < 2; i++) {
		char rel[64], cn[64], *pem;
		size_t n;
		uint8_t *b;
		X509 *ark, *ask, *fake;
		EVP_PKEY *key = ts_rsa_key(2048);
		STACK_OF(X509) *chain = sk_X509_new_null();
		struct ccg_chain_opts co = {.now = NOW, .name = "ASK", .no_key_ids = true};
		struct ccg_chain_result cr;
		struct ccg_error err;
		BIO *bio = BIO_new(BIO_s_mem());
		char *data = NULL;
		long dl;

		snprintf(rel, sizeof(rel), "tests/data/amd/%s/ark.pem", products[i]);
		b = ts_src_read(rel, &n);
		ark = ts_pem_cert(b, n);
		free(b);
		snprintf(rel, sizeof(rel), "tests/data/amd/%s/ask.pem", products[i]);
		b = ts_src_read(rel, &n);
		ask = ts_pem_cert(b, n);
		free(b);
		/* the real ARK: self-signed RSA-4096 with RSASSA-PSS, CN=ARK-<product>, pinned */
		assert_string_equal(ccg_x509_cn(ark, cn, sizeof(cn)), ark_cn[i]);
		assert_int_equal(EVP_PKEY_get_bits(X509_get0_pubkey(ark)), 4096);
		assert_int_equal(X509_get_signature_nid(ark), NID_rsassaPss);
		assert_int_equal(X509_verify(ark, X509_get0_pubkey(ark)), 1);
		assert_true(ccg_snp_ark_spki_pinned(ark));
		/* its ASK chains to it (and is not itself a pinned root) */
		assert_string_equal(ccg_x509_cn(ask, cn, sizeof(cn)), ask_cn[i]);
		assert_false(ccg_snp_ark_spki_pinned(ask));
		assert_true(chain != NULL && sk_X509_push(chain, ask) > 0);
		co.anchor = ark;
		ccg_error_clear(&err);
		if (ccg_chain_verify(chain, &co, &cr, &err) != CCG_OK)
			fail_msg("%s ASK: %s: %s", products[i], err.where, err.detail);
		/* a chain ending in it yields it as the pinned ARK */
		assert_true(bio != NULL && PEM_write_bio_X509(bio, ask) == 1 && PEM_write_bio_X509(bio, ask) == 1 &&
			    PEM_write_bio_X509(bio, ark) == 1);
		dl = BIO_get_mem_data(bio, &data);
		pem = strndup(data, (size_t)dl);
		assert_non_null(pem);
		fake = ccg_snp_chain_pinned_ark(pem);
		assert_non_null(fake);
		assert_int_equal(X509_cmp(fake, ark), 0);
		X509_free(fake);
		free(pem);
		/* a look-alike: same subject and issuer name, serial and extensions, another key */
		fake = X509_dup(ark);
		assert_non_null(fake);
		assert_int_equal(X509_set_pubkey(fake, key), 1);
		assert_true(X509_sign(fake, key, EVP_sha384()) > 0);
		assert_int_equal(X509_NAME_cmp(X509_get_subject_name(fake), X509_get_subject_name(ark)), 0);
		assert_false(ccg_snp_ark_spki_pinned(fake));
		/* and the ASK does not chain to the look-alike */
		co.anchor = fake;
		assert_int_not_equal(ccg_chain_verify(chain, &co, &cr, NULL), CCG_OK);
		/* a chain ending in the look-alike yields no ARK */
		BIO_reset(bio);
		assert_true(PEM_write_bio_X509(bio, ask) == 1 && PEM_write_bio_X509(bio, ask) == 1 &&
			    PEM_write_bio_X509(bio, fake) == 1);
		dl = BIO_get_mem_data(bio, &data);
		pem = strndup(data, (size_t)dl);
		assert_non_null(pem);
		assert_null(ccg_snp_chain_pinned_ark(pem));
		free(pem);
		BIO_free(bio);
		sk_X509_free(chain);
		X509_free(fake);
		X509_free(ark);
		X509_free(ask);
		EVP_PKEY_free(key);
	}
}

/* ---------- revocation by the ARK's CRL (synthetic AMD PKI) ---------- */

struct crl_case {
	struct ts_amd_pki pki;
	uint8_t report[CCG_SNP_REPORT_LEN];
	STACK_OF(X509) *certs;
};

static void crl_case_make(struct crl_case *c, int vlek)
{
	uint8_t rd[64];

	memset(rd, 0x5A, sizeof(rd));
	ts_amd_pki_make(&c->pki, "Milan", vlek);
	ts_amd_pki_report(&c->pki, rd, c->report);
	c->certs = sk_X509_new_null();
	assert_non_null(c->certs);
	assert_true(sk_X509_push(c->certs, c->pki.leaf) > 0 && sk_X509_push(c->certs, c->pki.ask) > 0 &&
		    sk_X509_push(c->certs, c->pki.ark) > 0);
}

static void crl_case_free(struct crl_case *c)
{
	sk_X509_free(c->certs);
	ts_amd_pki_free(&c->pki);
}

/* verifies the case's report with the CRLs given as DER (NULL: none) */
static enum ccg_status verify_with_crl(const struct crl_case *c, const uint8_t *der, size_t len, bool fresh,
				       struct ccg_snp_result *res, struct ccg_error *err)
{
	struct ccg_snp_report r;
	struct ccg_snp_verify_opts o = {
		.ark = c->pki.ark, .certs = c->certs, .now = NOW, .require_fresh_collateral = fresh};
	X509_CRL *crl = NULL;
	enum ccg_status st;

	ccg_error_clear(err);
	assert_int_equal(ccg_snp_report_parse(c->report, sizeof(c->report), &r, NULL), CCG_OK);
	if (der != NULL) {
		if ((st = ccg_crl_parse(der, len, "test.crl", &crl, err)) != CCG_OK)
			return st;
		o.crls = sk_X509_CRL_new_null();
		assert_true(o.crls != NULL && sk_X509_CRL_push(o.crls, crl) > 0);
	}
	st = ccg_snp_report_verify(&r, &o, res, err);
	sk_X509_CRL_pop_free(o.crls, X509_CRL_free);
	return st;
}

static void test_crl_revocation(void **state)
{
	struct crl_case c, v;
	struct ccg_snp_result res;
	struct ccg_error err;
	EVP_PKEY *other = ts_rsa_key(2048);
	uint8_t *der;
	size_t len;
	X509 *ask_only[1];

	(void)state;
	crl_case_make(&c, 0);
	ask_only[0] = c.pki.ask;
	/* no CRL: passes, the claims say unchecked and stale; refused when fresh collateral is required */
	if (verify_with_crl(&c, NULL, 0, false, &res, &err) != CCG_OK)
		fail_msg("%s: %s", err.where, err.detail);
	assert_false(res.crl_checked);
	assert_true(res.collateral_stale);
	assert_int_equal(verify_with_crl(&c, NULL, 0, true, &res, &err), CCG_ERR_OCSP_STALE);
	assert_string_equal(err.where, "snp.crl");
	assert_non_null(strstr(err.detail, "no CRL from ARK-Milan"));
	/* an empty CRL from the ARK, current: checked, fresh */
	der = ts_crl_der(c.pki.ark, c.pki.ark_key, NOW - 86400, NOW + 30 * 86400, NULL, 0, &len);
	assert_int_equal(verify_with_crl(&c, der, len, true, &res, &err), CCG_OK);
	assert_true(res.crl_checked);
	assert_false(res.collateral_stale);
	free(der);
	/* the ARK's CRL lists the ASK: refused, naming it */
	der = ts_crl_der(c.pki.ark, c.pki.ark_key, NOW - 86400, NOW + 30 * 86400, ask_only, 1, &len);
	assert_int_equal(verify_with_crl(&c, der, len, false, &res, &err), CCG_ERR_REVOKED);
	assert_string_equal(err.where, "snp.crl");
	assert_non_null(strstr(err.detail, "ASK SEV-Milan (serial 0x010001) is revoked since"));
	free(der);
	/* a CRL with the ARK's name signed by another key: refused, listing or not */
	der = ts_crl_der(c.pki.ark, other, NOW - 86400, NOW + 30 * 86400, NULL, 0, &len);
	assert_int_equal(verify_with_crl(&c, der, len, false, &res, &err), CCG_ERR_SIGNATURE);
	assert_string_equal(err.where, "snp.crl");
	free(der);
	/* past its nextUpdate: a claim, refused when fresh collateral is required */
	der = ts_crl_der(c.pki.ark, c.pki.ark_key, NOW - 40 * 86400, NOW - 10 * 86400, NULL, 0, &len);
	assert_int_equal(verify_with_crl(&c, der, len, false, &res, &err), CCG_OK);
	assert_true(res.crl_checked);
	assert_true(res.collateral_stale);
	assert_int_equal(verify_with_crl(&c, der, len, true, &res, &err), CCG_ERR_OCSP_STALE);
	assert_non_null(strstr(err.detail, "past its nextUpdate"));
	free(der);
	/* issued after the verification time */
	der = ts_crl_der(c.pki.ark, c.pki.ark_key, NOW + 86400, NOW + 30 * 86400, NULL, 0, &len);
	assert_int_equal(verify_with_crl(&c, der, len, false, &res, &err), CCG_ERR_OCSP_STALE);
	assert_string_equal(err.where, "snp.crl.this_update");
	free(der);
	/* a CRL of another root (another name) does not apply to this chain */
	crl_case_make(&v, 1);
	der = ts_crl_der(v.pki.ask, v.pki.ask_key, NOW - 86400, NOW + 30 * 86400, ask_only, 1, &len);
	assert_int_equal(verify_with_crl(&c, der, len, false, &res, &err), CCG_OK);
	assert_false(res.crl_checked);
	free(der);
	/* VLEK: the ARK's CRL lists the ASVK */
	ask_only[0] = v.pki.ask;
	der = ts_crl_der(v.pki.ark, v.pki.ark_key, NOW - 86400, NOW + 30 * 86400, NULL, 0, &len);
	if (verify_with_crl(&v, der, len, true, &res, &err) != CCG_OK)
		fail_msg("VLEK: %s: %s", err.where, err.detail);
	free(der);
	der = ts_crl_der(v.pki.ark, v.pki.ark_key, NOW - 86400, NOW + 30 * 86400, ask_only, 1, &len);
	assert_int_equal(verify_with_crl(&v, der, len, false, &res, &err), CCG_ERR_REVOKED);
	assert_non_null(strstr(err.detail, "ASVK SEV-VLEK-Milan (serial 0x010002)"));
	free(der);
	crl_case_free(&v);
	EVP_PKEY_free(other);
	crl_case_free(&c);
}

/*
 * A CRL cut short at every length fails to parse; a CRL with any byte
 * flipped is never applied as valid: with fresh collateral required every
 * flip is refused, and checking it against the ARK (as the KDS client does)
 * fails with a named error.
 */
static void test_crl_flips_and_truncations(void **state)
{
	struct crl_case c;
	struct ccg_snp_result res;
	struct ccg_error err;
	uint8_t *der;
	size_t len;
	X509_CRL *crl = NULL;

	(void)state;
	crl_case_make(&c, 0);
	der = ts_crl_der(c.pki.ark, c.pki.ark_key, NOW - 86400, NOW + 30 * 86400, &c.pki.ask, 0, &len);
	for (size_t n = 0; n < len; n++) {
		ccg_error_clear(&err);
		if (ccg_crl_parse(der, n, "test.crl", &crl, &err) != CCG_ERR_ENCODING)
			fail_msg("a CRL cut at %zu of %zu bytes parses", n, len);
		assert_null(crl);
	}
	for (size_t i = 0; i < len; i++) {
		enum ccg_status st;

		der[i] ^= 0x01;
		st = verify_with_crl(&c, der, len, true, &res, &err);
		if (st == CCG_OK)
			fail_msg("flip of byte %zu: CRL accepted", i);
		if (err.where[0] == '\0' || err.detail[0] == '\0')
			fail_msg("flip of byte %zu: status %d with no named error", i, st);
		ccg_error_clear(&err);
		if (ccg_crl_parse(der, len, "test.crl", &crl, &err) == CCG_OK) {
			if (ccg_crl_verify_issuer(crl, c.pki.ark, "AMD KDS crl", &err) == CCG_OK)
				fail_msg("flip of byte %zu: the ARK's CRL still verifies", i);
			X509_CRL_free(crl);
			crl = NULL;
		}
		der[i] ^= 0x01;
	}
	assert_int_equal(verify_with_crl(&c, der, len, true, &res, &err), CCG_OK);
	free(der);
	crl_case_free(&c);
}

/* ---------- certificates as users hold them (issue 11, items 7, 8, 10) ---------- */

/* a new stack of the n certificates, each with a reference of its own */
static STACK_OF(X509) *certs_of(X509 *const *x, size_t n)
{
	STACK_OF(X509) *sk = sk_X509_new_null();

	assert_non_null(sk);
	for (size_t i = 0; i < n; i++) {
		assert_int_equal(X509_up_ref(x[i]), 1);
		assert_true(sk_X509_push(sk, x[i]) > 0);
	}
	return sk;
}

/* the report verified with the certificates given (any order) and ark (NULL: built-in/pinned) */
static enum ccg_status verify_certs(const uint8_t *rep, size_t len, X509 *const *x, size_t n, X509 *ark,
				    struct ccg_error *err)
{
	struct ccg_snp_report r;
	STACK_OF(X509) *sk = certs_of(x, n);
	struct ccg_snp_verify_opts o = {.ark = ark, .certs = sk, .now = NOW};
	enum ccg_status st;

	ccg_error_clear(err);
	assert_int_equal(ccg_snp_report_parse(rep, len, &r, NULL), CCG_OK);
	st = ccg_snp_report_verify(&r, &o, NULL, err);
	sk_X509_pop_free(sk, X509_free);
	return st;
}

static X509 *src_cert(const char *rel)
{
	size_t n;
	uint8_t *b = ts_src_read(rel, &n);
	X509 *x = ts_pem_cert(b, n);

	free(b);
	return x;
}

/*
 * AMD's ARKs, ASKs and ASVKs built into the library: each ARK is
 * self-signed, RSA-4096 RSASSA-PSS and pinned; each ASK and ASVK is signed
 * by its ARK and named for it; they are the certificates of the shared test
 * data (Milan) and of tests/data/amd (Genoa, Turin, the Milan ASVK).
 */
static void test_builtin_amd_certs(void **state)
{
	static const char *const lower[] = {"milan", "genoa", "turin"};
	STACK_OF(X509) *all = NULL;
	struct snp_sample s;

	(void)state;
	assert_int_equal(ccg_amd_builtin_certs(&all, NULL), CCG_OK);
	assert_int_equal(sk_X509_num(all), 3 * CCG_AMD_BUILTIN_PRODUCTS);
	load("go", &s);
	for (size_t i = 0; i < CCG_AMD_BUILTIN_PRODUCTS; i++) {
		X509 *ark = sk_X509_value(all, (int)(3 * i)), *ask = sk_X509_value(all, (int)(3 * i + 1)),
		     *asvk = sk_X509_value(all, (int)(3 * i + 2)), *ref;
		char cn[64], want[64], rel[64];

		snprintf(want, sizeof(want), "ARK-%s", ccg_amd_builtin[i].product);
		assert_string_equal(ccg_x509_cn(ark, cn, sizeof(cn)), want);
		assert_int_equal(X509_verify(ark, X509_get0_pubkey(ark)), 1);
		assert_int_equal(X509_get_signature_nid(ark), NID_rsassaPss);
		assert_int_equal(EVP_PKEY_get_bits(X509_get0_pubkey(ark)), 4096);
		assert_true(ccg_snp_ark_spki_pinned(ark));
		snprintf(want, sizeof(want), "SEV-%s", ccg_amd_builtin[i].product);
		assert_string_equal(ccg_x509_cn(ask, cn, sizeof(cn)), want);
		snprintf(want, sizeof(want), "SEV-VLEK-%s", ccg_amd_builtin[i].product);
		assert_string_equal(ccg_x509_cn(asvk, cn, sizeof(cn)), want);
		assert_int_equal(X509_verify(ask, X509_get0_pubkey(ark)), 1);
		assert_int_equal(X509_verify(asvk, X509_get0_pubkey(ark)), 1);
		assert_false(ccg_snp_ark_spki_pinned(ask));
		assert_false(ccg_snp_ark_spki_pinned(asvk));
		if (i == 0) { /* Milan: the ASK and ARK of the shared test data */
			assert_int_equal(X509_cmp(ask, sk_X509_value(s.certs, 1)), 0);
			assert_int_equal(X509_cmp(ark, s.ark), 0);
			ref = src_cert("tests/data/amd/milan/asvk.pem");
			assert_int_equal(X509_cmp(asvk, ref), 0);
			X509_free(ref);
			continue;
		}
		snprintf(rel, sizeof(rel), "tests/data/amd/%s/ark.pem", lower[i]);
		ref = src_cert(rel);
		assert_int_equal(X509_cmp(ark, ref), 0);
		X509_free(ref);
		snprintf(rel, sizeof(rel), "tests/data/amd/%s/ask.pem", lower[i]);
		ref = src_cert(rel);
		assert_int_equal(X509_cmp(ask, ref), 0);
		X509_free(ref);
	}
	unload(&s);
	sk_X509_pop_free(all, X509_free);
}

/*
 * Item 7: the chain is picked from whatever was given. The go-sev-guest VCEK
 * with AMD's bundle as AMD and Trustee ship it (ASK ‖ ARK ‖ ASVK), in any
 * order, with or without a configured ARK; the VCEK alone (AMD's ASK and
 * ARK built in); the virtee report with its VCEK and ASK but no ARK.
 */
static void test_bundle_any_order(void **state)
{
	struct snp_sample s, v;
	struct ccg_error err;
	X509 *asvk = src_cert("tests/data/amd/milan/asvk.pem");
	X509 *vcek, *ask;

	(void)state;
	load("go", &s);
	load("virtee", &v);
	vcek = sk_X509_value(s.certs, 0);
	ask = sk_X509_value(s.certs, 1);
	{
		X509 *const bundle[] = {vcek, ask, s.ark, asvk};
		X509 *const reversed[] = {asvk, s.ark, ask, vcek};
		X509 *const alone[] = {vcek};
		X509 *const no_ark[] = {sk_X509_value(v.certs, 0), sk_X509_value(v.certs, 1)};
		X509 *const two_vceks[] = {sk_X509_value(v.certs, 0), ask, vcek, s.ark};

		if (verify_certs(s.report, s.report_len, bundle, 4, NULL, &err) != CCG_OK)
			fail_msg("VCEK + ASK||ARK||ASVK: %s: %s", err.where, err.detail);
		if (verify_certs(s.report, s.report_len, bundle, 4, s.ark, &err) != CCG_OK)
			fail_msg("with the ARK configured: %s: %s", err.where, err.detail);
		if (verify_certs(s.report, s.report_len, reversed, 4, NULL, &err) != CCG_OK)
			fail_msg("ASVK, ARK, ASK, VCEK: %s: %s", err.where, err.detail);
		if (verify_certs(s.report, s.report_len, alone, 1, NULL, &err) != CCG_OK)
			fail_msg("the VCEK alone: %s: %s", err.where, err.detail);
		if (verify_certs(v.report, v.report_len, no_ark, 2, NULL, &err) != CCG_OK)
			fail_msg("virtee VCEK + ASK: %s: %s", err.where, err.detail);
		/* two VCEKs given: the one whose key signed the report is the leaf, whichever comes first */
		if (verify_certs(s.report, s.report_len, two_vceks, 4, NULL, &err) != CCG_OK)
			fail_msg("two VCEKs: %s: %s", err.where, err.detail);
		if (verify_certs(v.report, v.report_len, two_vceks, 4, NULL, &err) != CCG_OK)
			fail_msg("two VCEKs (virtee): %s: %s", err.where, err.detail);
	}
	X509_free(asvk);
	unload(&s);
	unload(&v);
}

/*
 * Item 7: an ARK that is not pinned is refused unless configured; item 10:
 * each missing or wrong certificate has its own status and message.
 */
static void test_unpinned_ark_and_missing_certs(void **state)
{
	struct ts_amd_pki pki, other;
	struct snp_sample s;
	uint8_t rd[64], rep[CCG_SNP_REPORT_LEN];
	struct ccg_error err;
	X509 *genoa_ark = src_cert("tests/data/amd/genoa/ark.pem");

	(void)state;
	memset(rd, 0x11, sizeof(rd));
	ts_amd_pki_make(&pki, "Milan", 0);
	ts_amd_pki_make(&other, "Milan", 0);
	ts_amd_pki_report(&pki, rd, rep);
	load("go", &s);
	{
		X509 *const chain[] = {pki.leaf, pki.ask, pki.ark};
		X509 *const no_root[] = {pki.leaf, pki.ask};
		X509 *const leaf_only[] = {pki.leaf};
		X509 *const wrong_ask[] = {pki.leaf, other.ask, pki.ark};
		X509 *const cas_only[] = {sk_X509_value(s.certs, 1), s.ark};
		X509 *const go_chain[] = {sk_X509_value(s.certs, 0), sk_X509_value(s.certs, 1), s.ark};

		/* the self-made ARK ends the chain but is not pinned: refused unless configured */
		assert_int_equal(verify_certs(rep, sizeof(rep), chain, 3, NULL, &err), CCG_ERR_CERT_UNTRUSTED);
		assert_string_equal(err.where, "snp.ark");
		assert_non_null(strstr(err.detail, "the root given (CN=ARK-Milan) is not a pinned AMD ARK"));
		if (verify_certs(rep, sizeof(rep), chain, 3, pki.ark, &err) != CCG_OK)
			fail_msg("configured ARK: %s: %s", err.where, err.detail);
		/* no ARK given, and AMD's built-in ARK-Milan did not issue this ASK */
		assert_int_equal(verify_certs(rep, sizeof(rep), no_root, 2, NULL, &err), CCG_ERR_CERT_UNTRUSTED);
		assert_string_equal(err.where, "snp.ark");
		assert_non_null(strstr(err.detail, "no AMD ARK, given or built in, issued the ASK (CN=SEV-Milan)"));
		/* the configured ARK did not issue the ASK (go-sev-guest's chain against ARK-Genoa) */
		assert_int_equal(verify_certs(s.report, s.report_len, go_chain, 3, genoa_ark, &err),
				 CCG_ERR_CERT_UNTRUSTED);
		assert_non_null(strstr(err.detail,
				       "the ASK (CN=SEV-Milan) is not issued by the configured ARK (CN=ARK-Genoa)"));
		/* no ASK given, none built in issued the VCEK */
		assert_int_equal(verify_certs(rep, sizeof(rep), leaf_only, 1, pki.ark, &err), CCG_ERR_CERT_MISSING);
		assert_string_equal(err.where, "snp.ask");
		assert_non_null(strstr(err.detail, "no ASK given or built in issued the VCEK"));
		/* an ASK by the right name with another key */
		assert_int_equal(verify_certs(rep, sizeof(rep), wrong_ask, 3, pki.ark, &err), CCG_ERR_CERT_CHAIN);
		assert_string_equal(err.where, "snp.ask");
		assert_non_null(
			strstr(err.detail, "the VCEK's signature does not verify with the key of the ASK given"));
		/* no VCEK: only the ASK and ARK, with or without --ark (was "cannot tell the processor") */
		assert_int_equal(verify_certs(s.report, s.report_len, cas_only, 2, s.ark, &err), CCG_ERR_CERT_MISSING);
		assert_string_equal(err.where, "snp.vcek");
		assert_non_null(
			strstr(err.detail, "no VCEK among the 2 certificates given (CN=SEV-Milan, CN=ARK-Milan)"));
		assert_int_equal(verify_certs(s.report, s.report_len, cas_only, 2, NULL, &err), CCG_ERR_CERT_MISSING);
		assert_int_equal(verify_certs(s.report, s.report_len, NULL, 0, NULL, &err), CCG_ERR_CERT_MISSING);
		assert_string_equal(err.where, "snp.vcek");
	}
	X509_free(genoa_ark);
	unload(&s);
	ts_amd_pki_free(&pki);
	ts_amd_pki_free(&other);
}

/*
 * Item 10: a hwID, SPL or product mismatch has its own status and names what
 * differs (no "FWID"). The synthetic report is altered before its signature
 * is checked, so only that check can refuse it.
 */
static void test_vcek_mismatch_messages(void **state)
{
	struct ts_amd_pki pki;
	uint8_t rd[64], rep[CCG_SNP_REPORT_LEN], bad[CCG_SNP_REPORT_LEN];
	struct ccg_error err;
	char msg[CCG_ERROR_WHERE_MAX + CCG_ERROR_DETAIL_MAX + 64];

	(void)state;
	memset(rd, 0x22, sizeof(rd));
	ts_amd_pki_make(&pki, "Milan", 0);
	ts_amd_pki_report(&pki, rd, rep);
	{
		X509 *const chain[] = {pki.leaf, pki.ask, pki.ark};

		if (verify_certs(rep, sizeof(rep), chain, 3, pki.ark, &err) != CCG_OK)
			fail_msg("%s: %s", err.where, err.detail);
		/* another chip: CHIP_ID (0x1A0) */
		memcpy(bad, rep, sizeof(bad));
		bad[0x1A0] ^= 0xFF;
		assert_int_equal(verify_certs(bad, sizeof(bad), chain, 3, pki.ark, &err), CCG_ERR_CERT_HWID);
		assert_string_equal(err.where, "snp.vcek.hwid");
		ccg_error_format(&err, msg, sizeof(msg));
		assert_non_null(strstr(msg, "is not the report's chip_id (certificate hardware id does not match"));
		assert_null(strstr(msg, "FWID"));
		/* another SNP SPL: reported_tcb (0x180) byte 6 in Milan's layout */
		memcpy(bad, rep, sizeof(bad));
		bad[0x186] ^= 0x01;
		assert_int_equal(verify_certs(bad, sizeof(bad), chain, 3, pki.ark, &err), CCG_ERR_CERT_TCB);
		assert_string_equal(err.where, "snp.vcek.tcb.snpSPL");
		ccg_error_format(&err, msg, sizeof(msg));
		assert_non_null(strstr(msg, "VCEK is for snpSPL 8, the report's reported_tcb has 9"));
		assert_non_null(strstr(msg, "(certificate TCB version does not match the evidence)"));
		/* another microcode SPL (byte 7) */
		memcpy(bad, rep, sizeof(bad));
		bad[0x187] ^= 0x01;
		assert_int_equal(verify_certs(bad, sizeof(bad), chain, 3, pki.ark, &err), CCG_ERR_CERT_TCB);
		assert_string_equal(err.where, "snp.vcek.tcb.ucodeSPL");
		/* a version-3 report whose CPUID says Genoa, with a Milan VCEK */
		memcpy(bad, rep, sizeof(bad));
		bad[0] = 3;
		bad[0x188] = 0x19;
		bad[0x189] = 0x11;
		assert_int_equal(verify_certs(bad, sizeof(bad), chain, 3, pki.ark, &err), CCG_ERR_CERT_PRODUCT);
		assert_string_equal(err.where, "snp.vcek.product");
		assert_non_null(strstr(err.detail, "certificate is for Milan, the report is from Genoa"));
	}
	ts_amd_pki_free(&pki);
}

/*
 * RFC 5280 5.1.1.2: a CRL whose unsigned outer signatureAlgorithm differs from
 * the signed one (here only the PSS hash parameters: NULL made an empty OCTET
 * STRING, which OpenSSL's RSA-PSS verification ignores) is refused by name.
 */
static void test_crl_outer_signature_algorithm(void **state)
{
	struct crl_case c;
	struct ccg_snp_result res;
	struct ccg_error err;
	const unsigned char *p;
	long len_tbs;
	int tag, cls;
	size_t len, outer, i;
	uint8_t *der;
	X509_CRL *crl = NULL;

	(void)state;
	crl_case_make(&c, 0);
	der = ts_crl_der(c.pki.ark, c.pki.ark_key, NOW - 86400, NOW + 30 * 86400, NULL, 0, &len);
	/* the outer AlgorithmIdentifier follows the TBSCertList */
	p = der;
	assert_int_equal(ASN1_get_object(&p, &len_tbs, &tag, &cls, (long)len) & 0x80, 0);
	assert_int_equal(ASN1_get_object(&p, &len_tbs, &tag, &cls, (long)(der + len - p)) & 0x80, 0);
	outer = (size_t)(p - der) + (size_t)len_tbs;
	for (i = outer; i + 1 < len && !(der[i] == 0x05 && der[i + 1] == 0x00); i++)
		;
	assert_true(i + 1 < len);
	der[i] = 0x04; /* NULL -> OCTET STRING of 0 bytes */
	assert_int_equal(ccg_crl_parse(der, len, "test.crl", &crl, &err), CCG_OK);
	ccg_error_clear(&err);
	assert_int_equal(ccg_crl_verify_issuer(crl, c.pki.ark, "AMD KDS crl", &err), CCG_ERR_SIGNATURE);
	assert_string_equal(err.where, "AMD KDS crl.signature_algorithm");
	X509_CRL_free(crl);
	assert_int_equal(verify_with_crl(&c, der, len, false, &res, &err), CCG_ERR_SIGNATURE);
	assert_string_equal(err.where, "snp.crl.signature_algorithm");
	der[i] = 0x05;
	assert_int_equal(verify_with_crl(&c, der, len, true, &res, &err), CCG_OK);
	free(der);
	crl_case_free(&c);
}

/*
 * Each VCEK check seen failing alone: a synthetic VCEK whose only defect is
 * its hwID, or one SPL above or below the report's reported_tcb (the report
 * validly signed by that VCEK), is refused with that check's error.
 */
static enum ccg_status verify_leaf(const struct ts_amd_leaf *leaf, uint64_t tcb, struct ccg_error *err)
{
	struct crl_case c;
	uint8_t rd[64];
	enum ccg_status st;

	memset(rd, 0x5A, sizeof(rd));
	ts_amd_pki_make_leaf(&c.pki, "Milan", 0, leaf);
	c.pki.tcb = tcb;
	ts_amd_pki_report(&c.pki, rd, c.report);
	c.certs = sk_X509_new_null();
	assert_non_null(c.certs);
	assert_true(sk_X509_push(c.certs, c.pki.leaf) > 0 && sk_X509_push(c.certs, c.pki.ask) > 0 &&
		    sk_X509_push(c.certs, c.pki.ark) > 0);
	st = verify_with_crl(&c, NULL, 0, false, NULL, err);
	crl_case_free(&c);
	return st;
}

static void test_vcek_hwid_and_spl_alone(void **state)
{
	static const struct ts_amd_leaf same = {.bl_spl = 3, .tee_spl = 0, .snp_spl = 8, .ucode_spl = 0x73};
	const uint64_t tcb = 0x7308000000000003ULL; /* Milan: BL 3, TEE 0, SNP 8, microcode 0x73 */
	static const struct {
		const char *name;
		unsigned shift; /* the SPL's byte in the Milan TCB layout */
		size_t off;     /* its field in struct ts_amd_leaf */
	} spl[] = {
		{"blSPL", 0, offsetof(struct ts_amd_leaf, bl_spl)},
		{"teeSPL", 8, offsetof(struct ts_amd_leaf, tee_spl)},
		{"snpSPL", 48, offsetof(struct ts_amd_leaf, snp_spl)},
		{"ucodeSPL", 56, offsetof(struct ts_amd_leaf, ucode_spl)},
	};
	struct ts_amd_leaf l;
	struct ccg_error err;
	char where[64];

	(void)state;
	assert_int_equal(verify_leaf(&same, tcb, &err), CCG_OK);
	l = same;
	l.wrong_hwid = 1;
	assert_int_equal(verify_leaf(&l, tcb, &err), CCG_ERR_CERT_HWID);
	assert_string_equal(err.where, "snp.vcek.hwid");
	for (size_t i = 0; i < sizeof(spl) / sizeof(spl[0]); i++) {
		snprintf(where, sizeof(where), "snp.vcek.tcb.%s", spl[i].name);
		/* the VCEK's SPL one above the reported one */
		l = same;
		*(long *)((char *)&l + spl[i].off) += 1;
		assert_int_equal(verify_leaf(&l, tcb, &err), CCG_ERR_CERT_TCB);
		assert_string_equal(err.where, where);
		/* the reported SPL one above the VCEK's (a VCEK for older firmware) */
		assert_int_equal(verify_leaf(&same, tcb + (1ULL << spl[i].shift), &err), CCG_ERR_CERT_TCB);
		assert_string_equal(err.where, where);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_real_reports_verify),
		cmocka_unit_test(test_go_claims),
		cmocka_unit_test(test_virtee_bit7_byte21),
		cmocka_unit_test(test_every_flip_and_truncation_fails),
		cmocka_unit_test(test_chain_and_extension_faults),
		cmocka_unit_test(test_synthetic_versions),
		cmocka_unit_test(test_kds_url_and_cache),
		cmocka_unit_test(test_genoa_turin_arks_pinned),
		cmocka_unit_test(test_crl_revocation),
		cmocka_unit_test(test_crl_flips_and_truncations),
		cmocka_unit_test(test_crl_outer_signature_algorithm),
		cmocka_unit_test(test_vcek_hwid_and_spl_alone),
		cmocka_unit_test(test_builtin_amd_certs),
		cmocka_unit_test(test_bundle_any_order),
		cmocka_unit_test(test_unpinned_ark_and_missing_certs),
		cmocka_unit_test(test_vcek_mismatch_messages),
	};

	td_require();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
