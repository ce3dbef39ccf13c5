/* SPDX-License-Identifier: Apache-2.0 */
#include "amd_pki.h"

#include <stdarg.h>
#include <setjmp.h>
#include <stddef.h>
#include <cmocka.h>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/x509v3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/crypto.h"
#include "testdata.h"

/* fail_msg returns in some cmocka builds: never go on after it */
#define die(...) \
	do { \
		fail_msg(__VA_ARGS__); \
		abort(); \
	} while (0)

uint8_t *ts_src_read(const char *rel, size_t *len)
{
	const char *root = getenv("CCGPU_SOURCE_ROOT");
	char path[4096];

	if (root == NULL)
		die("CCGPU_SOURCE_ROOT is not set (run through meson test)");
	snprintf(path, sizeof(path), "%s/%s", root, rel);
	return td_read_file(path, len);
}

X509 *ts_pem_cert(const uint8_t *pem, size_t len)
{
	BIO *bio = BIO_new_mem_buf(pem, (int)len);
	X509 *x = bio != NULL ? PEM_read_bio_X509(bio, NULL, NULL, NULL) : NULL;

	BIO_free(bio);
	if (x == NULL)
		die("no PEM certificate");
	return x;
}

EVP_PKEY *ts_rsa_key(int bits)
{
	EVP_PKEY *k = EVP_RSA_gen((unsigned int)bits);

	if (k == NULL)
		die("RSA key generation failed");
	return k;
}

static EVP_PKEY *p384_key(void)
{
	EVP_PKEY *k = EVP_EC_gen("P-384");

	if (k == NULL)
		die("P-384 key generation failed");
	return k;
}

/* an EVP_MD_CTX ready to sign with key: RSASSA-PSS/SHA-384 (salt 48) for RSA, ECDSA/SHA-384 otherwise */
static EVP_MD_CTX *sign_ctx(EVP_PKEY *key)
{
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	EVP_PKEY_CTX *pctx = NULL;

	if (md == NULL || EVP_DigestSignInit(md, &pctx, EVP_sha384(), NULL, key) != 1)
		die("EVP_DigestSignInit");
	if (EVP_PKEY_get_base_id(key) == EVP_PKEY_RSA &&
	    (EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) != 1 ||
	     EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, 48) != 1 || EVP_PKEY_CTX_set_rsa_mgf1_md(pctx, EVP_sha384()) != 1))
		die("RSASSA-PSS parameters");
	return md;
}

void ts_amd_cert_sign(X509 *x, EVP_PKEY *key)
{
	EVP_MD_CTX *md = sign_ctx(key);

	if (X509_sign_ctx(x, md) <= 0)
		die("signing a certificate");
	EVP_MD_CTX_free(md);
}

static X509_NAME *amd_name(const char *cn)
{
	X509_NAME *n = X509_NAME_new();

	if (n == NULL ||
	    X509_NAME_add_entry_by_txt(n, "OU", MBSTRING_ASC, (const unsigned char *)"Engineering", -1, -1, 0) != 1 ||
	    X509_NAME_add_entry_by_txt(n, "C", MBSTRING_ASC, (const unsigned char *)"US", -1, -1, 0) != 1 ||
	    X509_NAME_add_entry_by_txt(n, "O", MBSTRING_ASC, (const unsigned char *)"ccgpu tests (not AMD)", -1, -1,
				       0) != 1 ||
	    X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_ASC, (const unsigned char *)cn, -1, -1, 0) != 1)
		die("X509_NAME");
	return n;
}

static void add_ext(X509 *x, X509 *issuer, int nid, const char *value)
{
	X509V3_CTX ctx;
	X509_EXTENSION *e;

	X509V3_set_ctx(&ctx, issuer, x, NULL, NULL, 0);
	e = X509V3_EXT_conf_nid(NULL, &ctx, nid, value);
	if (e == NULL || X509_add_ext(x, e, -1) != 1)
		die("extension %d", nid);
	X509_EXTENSION_free(e);
}

/* an AMD private extension whose value is the given DER (or raw) bytes */
static void add_raw_ext(X509 *x, const char *oid, const uint8_t *der, int len)
{
	ASN1_OBJECT *obj = OBJ_txt2obj(oid, 1);
	ASN1_OCTET_STRING *os = ASN1_OCTET_STRING_new();
	X509_EXTENSION *e = NULL;

	if (obj == NULL || os == NULL || ASN1_OCTET_STRING_set(os, der, len) != 1 ||
	    (e = X509_EXTENSION_create_by_OBJ(NULL, obj, 0, os)) == NULL || X509_add_ext(x, e, -1) != 1)
		die("extension %s", oid);
	X509_EXTENSION_free(e);
	ASN1_OCTET_STRING_free(os);
	ASN1_OBJECT_free(obj);
}

static void add_spl(X509 *x, const char *oid, long v)
{
	ASN1_INTEGER *i = ASN1_INTEGER_new();
	unsigned char *der = NULL;
	int n;

	if (i == NULL || ASN1_INTEGER_set(i, v) != 1 || (n = i2d_ASN1_INTEGER(i, &der)) <= 0)
		die("SPL");
	add_raw_ext(x, oid, der, n);
	OPENSSL_free(der);
	ASN1_INTEGER_free(i);
}

static X509 *make_cert(const char *cn, long serial, EVP_PKEY *pub, X509 *issuer, EVP_PKEY *issuer_key, int ca)
{
	X509 *x = X509_new();
	X509_NAME *name = amd_name(cn);
	EVP_MD_CTX *md;

	if (x == NULL || X509_set_version(x, 2) != 1 || ASN1_INTEGER_set(X509_get_serialNumber(x), serial) != 1 ||
	    X509_set_subject_name(x, name) != 1 ||
	    X509_set_issuer_name(x, issuer != NULL ? X509_get_subject_name(issuer) : name) != 1 ||
	    ASN1_TIME_set(X509_getm_notBefore(x), TS_AMD_NOT_BEFORE) == NULL ||
	    ASN1_TIME_set(X509_getm_notAfter(x), TS_AMD_NOT_AFTER) == NULL || X509_set_pubkey(x, pub) != 1)
		die("certificate %s", cn);
	if (ca) {
		add_ext(x, issuer != NULL ? issuer : x, NID_basic_constraints,
			issuer != NULL ? "critical,CA:TRUE,pathlen:0" : "critical,CA:TRUE");
		add_ext(x, issuer != NULL ? issuer : x, NID_key_usage, "critical,keyCertSign,cRLSign");
		add_ext(x, issuer != NULL ? issuer : x, NID_subject_key_identifier, "hash");
		if (issuer != NULL)
			add_ext(x, issuer, NID_authority_key_identifier, "keyid:always");
	}
	md = sign_ctx(issuer_key);
	if (X509_sign_ctx(x, md) <= 0)
		die("signing %s", cn);
	EVP_MD_CTX_free(md);
	X509_NAME_free(name);
	return x;
}

void ts_amd_pki_make(struct ts_amd_pki *p, const char *product, int vlek)
{
	static const struct ts_amd_leaf same = {.bl_spl = 3, .tee_spl = 0, .snp_spl = 8, .ucode_spl = 0x73};

	ts_amd_pki_make_leaf(p, product, vlek, &same);
}

void ts_amd_pki_make_leaf(struct ts_amd_pki *p, const char *product, int vlek, const struct ts_amd_leaf *leaf)
{
	char cn[64];
	uint8_t hwid_ext[64];

	memset(p, 0, sizeof(*p));
	p->vlek = vlek;
	for (size_t i = 0; i < sizeof(p->chip_id); i++)
		p->chip_id[i] = (uint8_t)(0xA0 ^ i);
	/* Milan layout: BL 3, TEE 0, SNP 8, microcode 0x73 */
	p->tcb = 0x7308000000000003ULL;
	p->ark_key = ts_rsa_key(2048);
	p->ask_key = ts_rsa_key(2048);
	p->leaf_key = p384_key();
	snprintf(cn, sizeof(cn), "ARK-%s", product);
	p->ark = make_cert(cn, 0x010000, p->ark_key, NULL, p->ark_key, 1);
	snprintf(cn, sizeof(cn), vlek ? "SEV-VLEK-%s" : "SEV-%s", product);
	p->ask = make_cert(cn, vlek ? 0x010002 : 0x010001, p->ask_key, p->ark, p->ark_key, 1);
	/* the leaf: AMD's extensions, added before signing */
	{
		X509 *x = X509_new();
		X509_NAME *name = amd_name(vlek ? "SEV-VLEK" : "SEV-VCEK");
		EVP_MD_CTX *md;
		char prod[32];
		ASN1_IA5STRING *s = ASN1_IA5STRING_new();
		unsigned char *der = NULL;
		int n;

		snprintf(prod, sizeof(prod), "%s-B0", product);
		if (x == NULL || s == NULL || X509_set_version(x, 2) != 1 ||
		    ASN1_INTEGER_set(X509_get_serialNumber(x), 0x77) != 1 || X509_set_subject_name(x, name) != 1 ||
		    X509_set_issuer_name(x, X509_get_subject_name(p->ask)) != 1 ||
		    ASN1_TIME_set(X509_getm_notBefore(x), TS_AMD_NOT_BEFORE) == NULL ||
		    ASN1_TIME_set(X509_getm_notAfter(x), TS_AMD_NOT_AFTER) == NULL ||
		    X509_set_pubkey(x, p->leaf_key) != 1 || ASN1_STRING_set(s, prod, -1) != 1 ||
		    (n = i2d_ASN1_IA5STRING(s, &der)) <= 0)
			die("leaf certificate");
		add_raw_ext(x, "1.3.6.1.4.1.3704.1.2", der, n);
		add_spl(x, "1.3.6.1.4.1.3704.1.3.1", leaf->bl_spl);
		add_spl(x, "1.3.6.1.4.1.3704.1.3.2", leaf->tee_spl);
		add_spl(x, "1.3.6.1.4.1.3704.1.3.3", leaf->snp_spl);
		add_spl(x, "1.3.6.1.4.1.3704.1.3.8", leaf->ucode_spl);
		if (!vlek) {
			memcpy(hwid_ext, p->chip_id, sizeof(hwid_ext));
			if (leaf->wrong_hwid)
				hwid_ext[sizeof(hwid_ext) - 1] ^= 0x01;
			add_raw_ext(x, "1.3.6.1.4.1.3704.1.4", hwid_ext, sizeof(hwid_ext));
		}
		md = sign_ctx(p->ask_key);
		if (X509_sign_ctx(x, md) <= 0)
			die("signing the leaf");
		EVP_MD_CTX_free(md);
		OPENSSL_free(der);
		ASN1_IA5STRING_free(s);
		X509_NAME_free(name);
		p->leaf = x;
	}
}

void ts_amd_pki_free(struct ts_amd_pki *p)
{
	X509_free(p->ark);
	X509_free(p->ask);
	X509_free(p->leaf);
	EVP_PKEY_free(p->ark_key);
	EVP_PKEY_free(p->ask_key);
	EVP_PKEY_free(p->leaf_key);
	memset(p, 0, sizeof(*p));
}

char *ts_amd_pki_chain_pem(const struct ts_amd_pki *p)
{
	BIO *bio = BIO_new(BIO_s_mem());
	char *data = NULL, *out;
	long n;

	if (bio == NULL || PEM_write_bio_X509(bio, p->leaf) != 1 || PEM_write_bio_X509(bio, p->ask) != 1 ||
	    PEM_write_bio_X509(bio, p->ark) != 1 || (n = BIO_get_mem_data(bio, &data)) <= 0)
		die("PEM chain");
	out = strndup(data, (size_t)n);
	BIO_free(bio);
	if (out == NULL)
		die("out of memory");
	return out;
}

void ts_amd_pki_report(const struct ts_amd_pki *p, const uint8_t report_data[64], uint8_t out[1184])
{
	uint8_t sig[96];

	memset(out, 0, 1184);
	out[0] = 2;                          /* version */
	out[4] = 1;                          /* guest_svn */
	out[8 + 2] = 0x03;                   /* policy 0x30000: SMT allowed, reserved bit 17 */
	out[0x34] = 1;                       /* ECDSA P-384 with SHA-384 */
	out[0x48] = (uint8_t)(p->vlek << 2); /* signing key: 0 VCEK, 1 VLEK */
	memcpy(out + 0x50, report_data, 64);
	for (int i = 0; i < 8; i++) {
		out[0x38 + i] = (uint8_t)(p->tcb >> (8 * i));  /* current */
		out[0x180 + i] = (uint8_t)(p->tcb >> (8 * i)); /* reported */
		out[0x1E0 + i] = (uint8_t)(p->tcb >> (8 * i)); /* committed */
		out[0x1F0 + i] = (uint8_t)(p->tcb >> (8 * i)); /* launch */
	}
	memcpy(out + 0x1A0, p->chip_id, 64);
	if (ccg_ecdsa_sign_raw(p->leaf_key, "SHA384", out, 0x2A0, sig, sizeof(sig), "test", NULL) != CCG_OK)
		die("signing the report");
	/* R and S little-endian in 72-byte fields */
	for (int i = 0; i < 48; i++) {
		out[0x2A0 + i] = sig[47 - i];
		out[0x2A0 + 72 + i] = sig[95 - i];
	}
}

uint8_t *ts_crl_der(X509 *issuer, EVP_PKEY *key, int64_t this_update, int64_t next_update, X509 *const *revoked,
		    size_t n, size_t *len)
{
	X509_CRL *crl = X509_CRL_new();
	ASN1_TIME *t = ASN1_TIME_new();
	EVP_MD_CTX *md;
	unsigned char *der = NULL;
	uint8_t *out;
	int dl;

	if (crl == NULL || t == NULL || X509_CRL_set_version(crl, 1) != 1 ||
	    X509_CRL_set_issuer_name(crl, X509_get_subject_name(issuer)) != 1 ||
	    ASN1_TIME_set(t, (time_t)this_update) == NULL || X509_CRL_set1_lastUpdate(crl, t) != 1 ||
	    ASN1_TIME_set(t, (time_t)next_update) == NULL || X509_CRL_set1_nextUpdate(crl, t) != 1)
		die("CRL");
	for (size_t i = 0; i < n; i++) {
		X509_REVOKED *r = X509_REVOKED_new();

		if (r == NULL || X509_REVOKED_set_serialNumber(r, X509_get_serialNumber(revoked[i])) != 1 ||
		    ASN1_TIME_set(t, (time_t)this_update - 86400) == NULL ||
		    X509_REVOKED_set_revocationDate(r, t) != 1 || X509_CRL_add0_revoked(crl, r) != 1)
			die("CRL entry");
	}
	md = sign_ctx(key);
	if (X509_CRL_sort(crl) != 1 || X509_CRL_sign_ctx(crl, md) <= 0 || (dl = i2d_X509_CRL(crl, &der)) <= 0)
		die("signing the CRL");
	out = malloc((size_t)dl);
	if (out == NULL)
		die("out of memory");
	memcpy(out, der, (size_t)dl);
	*len = (size_t)dl;
	OPENSSL_free(der);
	EVP_MD_CTX_free(md);
	ASN1_TIME_free(t);
	X509_CRL_free(crl);
	return out;
}
