/* SPDX-License-Identifier: Apache-2.0 */
/* SEV-SNP report appraisal: signature, VCEK/VLEK chain to the ARK, VCEK extensions. */
#include <openssl/asn1.h>
#include <openssl/err.h>
#include <openssl/objects.h>
#include <openssl/x509v3.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "attest/cpu/cpu_roots.h"
#include "attest/cpu/snp.h"
#include "attest/pki/x509_chain.h"
#include "common/crypto.h"
#include "common/error.h"
#include "common/json.h"

#define OID_AMD_PRODUCT "1.3.6.1.4.1.3704.1.2"
#define OID_AMD_BLSPL "1.3.6.1.4.1.3704.1.3.1"
#define OID_AMD_TEESPL "1.3.6.1.4.1.3704.1.3.2"
#define OID_AMD_SNPSPL "1.3.6.1.4.1.3704.1.3.3"
#define OID_AMD_UCODESPL "1.3.6.1.4.1.3704.1.3.8"
#define OID_AMD_FMCSPL "1.3.6.1.4.1.3704.1.3.9"
#define OID_AMD_HWID "1.3.6.1.4.1.3704.1.4"
#define CRL_SKEW_SECONDS 300 /* a CRL's thisUpdate may be this far after the verification time (as OCSP) */

/*
 * SHA-256 of the SubjectPublicKeyInfo of AMD's published ARKs (RSA-4096,
 * self-signed with RSASSA-PSS/SHA-384; served by KDS as the second
 * certificate of /vcek/v1/{product}/cert_chain). The Genoa and Turin
 * certificates are in tests/data/amd/ with where they came from.
 */
static const uint8_t pinned_arks[][CCG_SHA256_LEN] = {
	/* ARK-Milan (serial 0x010000) */
	{0x9f, 0x05, 0x6b, 0xee, 0x44, 0x37, 0x7e, 0x29, 0x30, 0x8c, 0xb5, 0xff, 0xa8, 0x95, 0xbd, 0xfb,
	 0x62, 0xd1, 0x88, 0x81, 0xfa, 0x6b, 0xed, 0x8d, 0x6f, 0x07, 0x5b, 0x02, 0x04, 0x08, 0x9c, 0xb9},
	/* ARK-Genoa (serial 0x020000) */
	{0x42, 0x9a, 0x69, 0xc9, 0x42, 0x2a, 0xa2, 0x58, 0xee, 0x4d, 0x8d, 0xb5, 0xfc, 0xda, 0x9c, 0x64,
	 0x70, 0xef, 0x15, 0xf8, 0xcd, 0x5a, 0x9c, 0xeb, 0xd6, 0xcb, 0xc7, 0xd9, 0x0b, 0x86, 0x38, 0x31},
	/* ARK-Turin (serial 0x030000) */
	{0x4f, 0x12, 0x54, 0x10, 0x56, 0x3a, 0x2a, 0xb9, 0xa5, 0x03, 0x56, 0xf9, 0x24, 0x3f, 0x6f, 0xe0,
	 0xb6, 0xf7, 0x3d, 0xe9, 0x86, 0x03, 0xf5, 0x3f, 0x90, 0x33, 0x9c, 0x70, 0xe9, 0xd7, 0xad, 0x08},
};

bool ccg_snp_ark_spki_pinned(X509 *ark)
{
	return ccg_x509_spki_pinned(ark, pinned_arks, sizeof(pinned_arks) / sizeof(pinned_arks[0]));
}

X509 *ccg_snp_chain_pinned_ark(const char *chain_pem)
{
	STACK_OF(X509) *sk = NULL;
	X509 *ark = NULL;

	if (chain_pem == NULL ||
	    ccg_pem_certs_parse((const uint8_t *)chain_pem, strlen(chain_pem), 4, &sk, NULL) != CCG_OK)
		return NULL;
	if (sk_X509_num(sk) >= 3 && ccg_snp_ark_spki_pinned(sk_X509_value(sk, sk_X509_num(sk) - 1)))
		ark = sk_X509_pop(sk);
	sk_X509_pop_free(sk, X509_free);
	return ark;
}

enum ccg_status ccg_snp_report_verify_signature(const struct ccg_snp_report *r, EVP_PKEY *key, struct ccg_error *err)
{
	uint8_t sig[96];

	memcpy(sig, r->sig_r, 48);
	memcpy(sig + 48, r->sig_s, 48);
	if (key == NULL || EVP_PKEY_get_base_id(key) != EVP_PKEY_EC || EVP_PKEY_get_bits(key) != 384)
		return ccg_error_set(err, CCG_ERR_UNSUPPORTED, "snp.signature",
				     "the signing key is not an ECDSA P-384 key");
	return ccg_ecdsa_verify_raw(key, "SHA384", r->raw, CCG_SNP_SIGNED_LEN, sig, sizeof(sig), "snp.signature", err);
}

/* the extension's value bytes, or NULL when absent */
static const ASN1_OCTET_STRING *ext_value(X509 *x, const char *oid)
{
	ASN1_OBJECT *obj = OBJ_txt2obj(oid, 1);
	int pos = obj != NULL ? X509_get_ext_by_OBJ(x, obj, -1) : -1;

	ASN1_OBJECT_free(obj);
	ERR_clear_error();
	return pos < 0 ? NULL : X509_EXTENSION_get_data(X509_get_ext(x, pos));
}

/* an SPL extension: a DER INTEGER 0..255 */
static enum ccg_status ext_spl(X509 *x, const char *oid, const char *name, bool *present, uint8_t *out,
			       struct ccg_error *err)
{
	const ASN1_OCTET_STRING *v = ext_value(x, oid);
	const unsigned char *p;
	ASN1_INTEGER *i = NULL;
	long val;
	char where[64];

	snprintf(where, sizeof(where), "snp.vcek.tcb.%s", name);
	*present = v != NULL;
	if (v == NULL)
		return CCG_OK;
	p = ASN1_STRING_get0_data(v);
	i = d2i_ASN1_INTEGER(NULL, &p, ASN1_STRING_length(v));
	if (i == NULL || p != ASN1_STRING_get0_data(v) + ASN1_STRING_length(v)) {
		ASN1_INTEGER_free(i);
		ERR_clear_error();
		return ccg_error_set(err, CCG_ERR_ENCODING, where, "extension %s is not one DER INTEGER", oid);
	}
	val = ASN1_INTEGER_get(i);
	ASN1_INTEGER_free(i);
	if (val < 0 || val > 255)
		return ccg_error_set(err, CCG_ERR_MALFORMED, where, "SPL %ld out of range", val);
	*out = (uint8_t)val;
	return CCG_OK;
}

static enum ccg_status check_spl(X509 *vcek, const char *oid, const char *name, uint8_t reported, bool required,
				 struct ccg_error *err)
{
	bool present = false;
	uint8_t v = 0;
	char where[64];
	enum ccg_status st = ext_spl(vcek, oid, name, &present, &v, err);

	if (st != CCG_OK)
		return st;
	snprintf(where, sizeof(where), "snp.vcek.tcb.%s", name);
	if (!present)
		return required ? ccg_error_set(err, CCG_ERR_CERT_TCB, where, "VCEK lacks extension %s", oid) : CCG_OK;
	if (v != reported)
		return ccg_error_set(err, CCG_ERR_CERT_TCB, where,
				     "VCEK is for %s %u, the report's reported_tcb has %u", name, v, reported);
	return CCG_OK;
}

static enum ccg_status check_hwid(X509 *vcek, const struct ccg_snp_report *r, enum ccg_snp_product p,
				  struct ccg_error *err)
{
	const ASN1_OCTET_STRING *v = ext_value(vcek, OID_AMD_HWID);
	ASN1_OCTET_STRING *inner = NULL;
	const unsigned char *d;
	size_t n;
	bool ok;

	if (v == NULL)
		return ccg_error_set(err, CCG_ERR_CERT_HWID, "snp.vcek.hwid", "VCEK lacks the hwID extension %s",
				     OID_AMD_HWID);
	d = ASN1_STRING_get0_data(v);
	n = (size_t)ASN1_STRING_length(v);
	if (n != CCG_SNP_CHIP_ID_LEN && n != 8 && n > 2 && d[0] == V_ASN1_OCTET_STRING) {
		const unsigned char *q = d;

		inner = d2i_ASN1_OCTET_STRING(NULL, &q, (long)n);
		if (inner != NULL && q == d + n) {
			d = ASN1_STRING_get0_data(inner);
			n = (size_t)ASN1_STRING_length(inner);
		}
		ERR_clear_error();
	}
	if (n == CCG_SNP_CHIP_ID_LEN)
		ok = ccg_ct_equal(d, r->chip_id, n);
	else if (n == 8 && p == CCG_SNP_PRODUCT_TURIN) /* Turin VCEKs name the chip by 8 bytes */
		ok = ccg_ct_equal(d, r->chip_id, n);
	else
		ok = false;
	ASN1_OCTET_STRING_free(inner);
	if (!ok)
		return ccg_error_set(err, CCG_ERR_CERT_HWID, "snp.vcek.hwid",
				     "the VCEK's hardware id (%zu bytes) is not the report's chip_id", n);
	return CCG_OK;
}

static enum ccg_snp_product vcek_product(X509 *vcek)
{
	const ASN1_OCTET_STRING *v = ext_value(vcek, OID_AMD_PRODUCT);
	const unsigned char *p;
	ASN1_IA5STRING *s = NULL;
	char name[32] = "";
	enum ccg_snp_product prod = CCG_SNP_PRODUCT_UNKNOWN;

	if (v == NULL)
		return prod;
	p = ASN1_STRING_get0_data(v);
	s = d2i_ASN1_IA5STRING(NULL, &p, ASN1_STRING_length(v));
	if (s != NULL && ASN1_STRING_length(s) > 0 && (size_t)ASN1_STRING_length(s) < sizeof(name)) {
		memcpy(name, ASN1_STRING_get0_data(s), (size_t)ASN1_STRING_length(s));
		prod = ccg_snp_product_parse(name);
	}
	ASN1_IA5STRING_free(s);
	ERR_clear_error();
	return prod;
}

/*
 * Revocation: every CRL of opts->crls issued by the ARK must verify with the
 * ARK's key and not be from after the verification time; none may list a
 * certificate of the chain the ARK issued (the ASK or ASVK).
 */
static enum ccg_status check_revocation(const struct ccg_snp_verify_opts *opts, X509 *ark, STACK_OF(X509) *chain,
					enum ccg_snp_signer signer, struct ccg_snp_result *res, struct ccg_error *err)
{
	int64_t now = opts->now != 0 ? opts->now : (int64_t)time(NULL);
	X509_NAME *ark_name = X509_get_subject_name(ark);
	char cn[96], t[21], n[21];
	bool stale = false;
	enum ccg_status st;

	res->crl_checked = false;
	for (int i = 0; i < sk_X509_CRL_num(opts->crls); i++) {
		X509_CRL *crl = sk_X509_CRL_value(opts->crls, i);
		const ASN1_TIME *last = X509_CRL_get0_lastUpdate(crl);
		int64_t this_update;

		if (X509_NAME_cmp(X509_CRL_get_issuer(crl), ark_name) != 0)
			continue; /* another product's root */
		if ((st = ccg_crl_verify_issuer(crl, ark, "snp.crl", err)) != CCG_OK)
			return st;
		if (last == NULL || ccg_asn1_time_unix(last, &this_update) != CCG_OK)
			return ccg_error_set(err, CCG_ERR_MALFORMED, "snp.crl", "the CRL's thisUpdate is unreadable");
		if (this_update > now + CRL_SKEW_SECONDS) {
			ccg_time_iso(this_update, t);
			ccg_time_iso(now, n);
			return ccg_error_set(err, CCG_ERR_OCSP_STALE, "snp.crl.this_update",
					     "the CRL of %s is from %s, after the verification time %s",
					     ccg_x509_cn(ark, cn, sizeof(cn)), t, n);
		}
		for (int c = 0; c < sk_X509_num(chain); c++) {
			X509 *x = sk_X509_value(chain, c);
			const char *what = c == 0 ? (signer == CCG_SNP_SIGNER_VLEK ? "VLEK" : "VCEK")
						  : (signer == CCG_SNP_SIGNER_VLEK ? "ASVK" : "ASK");

			if (X509_cmp(x, ark) == 0)
				continue;
			if ((st = ccg_crl_check_cert(crl, x, what, "snp.crl", err)) != CCG_OK)
				return st;
		}
		res->crl_checked = true;
		stale = stale || ccg_crl_stale(crl, now);
	}
	res->collateral_stale = !res->crl_checked || stale;
	if (res->collateral_stale && opts->require_fresh_collateral)
		return ccg_error_set(err, CCG_ERR_OCSP_STALE, "snp.crl",
				     res->crl_checked ? "the CRL of %s is past its nextUpdate"
						      : "no CRL from %s (fresh collateral is required)",
				     ccg_x509_cn(ark, cn, sizeof(cn)));
	return CCG_OK;
}

enum ccg_status ccg_snp_result_claims(const struct ccg_snp_result *res, json_t *claims)
{
	enum ccg_status st = ccg_json_set_new(claims, "snp-crl-checked", json_boolean(res->crl_checked));

	return st != CCG_OK ? st
			    : ccg_json_set_new(claims, "snp-collateral-stale", json_boolean(res->collateral_stale));
}

/* "CN=a, CN=b, …" of the certificates in sk into buf (for messages) */
static const char *cert_names(STACK_OF(X509) *sk, char *buf, size_t len)
{
	size_t w = 0;

	buf[0] = '\0';
	for (int i = 0; i < sk_X509_num(sk) && w + 1 < len; i++) {
		char cn[64];
		int n = snprintf(buf + w, len - w, "%sCN=%s", i > 0 ? ", " : "",
				 ccg_x509_cn(sk_X509_value(sk, i), cn, sizeof(cn)));

		if (n < 0)
			break;
		w += (size_t)n;
	}
	return sk_X509_num(sk) > 0 ? buf : "none";
}

static bool self_issued(X509 *x)
{
	return X509_NAME_cmp(X509_get_subject_name(x), X509_get_issuer_name(x)) == 0;
}

/* issuer named subject's issuer and its key verifies subject's signature */
static bool issued(X509 *issuer, X509 *subject)
{
	EVP_PKEY *k = X509_get0_pubkey(issuer);
	bool ok = k != NULL && X509_NAME_cmp(X509_get_subject_name(issuer), X509_get_issuer_name(subject)) == 0 &&
		  X509_verify(subject, k) == 1;

	ERR_clear_error();
	return ok;
}

/* appends x to sk with a reference of its own */
static bool push_ref(STACK_OF(X509) *sk, X509 *x)
{
	if (X509_up_ref(x) != 1)
		return false;
	if (sk_X509_push(sk, x) <= 0) {
		X509_free(x);
		return false;
	}
	return true;
}

/* the first certificate of pool (NULL allowed) that issued subject and is (not) self-issued */
static X509 *find_issuer(STACK_OF(X509) *pool, X509 *subject, bool root)
{
	for (int i = 0; i < sk_X509_num(pool); i++) {
		X509 *c = sk_X509_value(pool, i);

		if (c != subject && self_issued(c) == root && issued(c, subject))
			return c;
	}
	return NULL;
}

/*
 * The VCEK or VLEK among certs: the one certificate that is not a CA (X509_check_ca),
 * or, when several are, the one whose key signed the report.
 */
static enum ccg_status select_leaf(const struct ccg_snp_report *r, STACK_OF(X509) *certs, enum ccg_snp_signer signer,
				   X509 **out, struct ccg_error *err)
{
	const char *what = signer == CCG_SNP_SIGNER_VLEK ? "VLEK" : "VCEK";
	X509 *found = NULL;
	int n = 0;
	char names[256];

	*out = NULL;
	for (int i = 0; i < sk_X509_num(certs); i++) {
		X509 *x = sk_X509_value(certs, i);

		if (X509_check_ca(x) != 0)
			continue;
		n++;
		if (found == NULL)
			found = x;
		else if (ccg_snp_report_verify_signature(r, X509_get0_pubkey(x), NULL) == CCG_OK)
			found = x; /* of several end-entity certificates, the one that signed */
	}
	ERR_clear_error();
	if (found == NULL)
		return ccg_error_set(err, CCG_ERR_CERT_MISSING, signer == CCG_SNP_SIGNER_VLEK ? "snp.vlek" : "snp.vcek",
				     "no %s among the %d certificates given (%s): give the %s that signed the report",
				     what, sk_X509_num(certs), cert_names(certs, names, sizeof(names)), what);
	if (n > 1 && ccg_snp_report_verify_signature(r, X509_get0_pubkey(found), NULL) != CCG_OK)
		return ccg_error_set(err, CCG_ERR_SIGNATURE, "snp.signature",
				     "none of the %d end-entity certificates given signed the report", n);
	*out = found;
	return CCG_OK;
}

enum ccg_status ccg_snp_chain_select(const struct ccg_snp_report *r, STACK_OF(X509) *certs, X509 *ark,
				     STACK_OF(X509) **out_chain, X509 **out_ark, struct ccg_error *err)
{
	enum ccg_snp_signer signer = ccg_snp_report_signer(r);
	const char *ica = signer == CCG_SNP_SIGNER_VLEK ? "ASVK" : "ASK";
	const char *what = signer == CCG_SNP_SIGNER_VLEK ? "VLEK" : "VCEK";
	STACK_OF(X509) *builtin = NULL, *chain = NULL;
	X509 *leaf = NULL, *mid, *root;
	char cn[96], cn2[96];
	enum ccg_status st;

	*out_chain = NULL;
	*out_ark = NULL;
	if (certs == NULL || sk_X509_num(certs) == 0)
		return ccg_error_set(err, CCG_ERR_CERT_MISSING, signer == CCG_SNP_SIGNER_VLEK ? "snp.vlek" : "snp.vcek",
				     "no certificates: give the %s that signed the report", what);
	if ((st = select_leaf(r, certs, signer, &leaf, err)) != CCG_OK)
		return st;
	if ((st = ccg_amd_builtin_certs(&builtin, err)) != CCG_OK)
		return st;
	/* the ASK or ASVK: given, else AMD's (the built-in ones of every product) */
	mid = find_issuer(certs, leaf, false);
	if (mid == NULL)
		mid = find_issuer(builtin, leaf, false);
	if (mid == NULL) {
		X509 *named = NULL;

		X509_NAME_oneline(X509_get_issuer_name(leaf), cn2, sizeof(cn2));
		for (int i = 0; i < sk_X509_num(certs) && named == NULL; i++)
			if (X509_NAME_cmp(X509_get_subject_name(sk_X509_value(certs, i)), X509_get_issuer_name(leaf)) ==
			    0)
				named = sk_X509_value(certs, i);
		if (named != NULL)
			st = ccg_error_set(err, CCG_ERR_CERT_CHAIN, "snp.ask",
					   "the %s's signature does not verify with the key of the %s given (CN=%s)",
					   what, ica, ccg_x509_cn(named, cn, sizeof(cn)));
		else
			st = ccg_error_set(err, CCG_ERR_CERT_MISSING, "snp.ask",
					   "no %s given or built in issued the %s (its issuer is %s)", ica, what, cn2);
		goto out;
	}
	/* the ARK: the configured one, else a pinned AMD ARK given or built in */
	if (ark != NULL) {
		if (!issued(ark, mid)) {
			st = ccg_error_set(err, CCG_ERR_CERT_UNTRUSTED, "snp.ark",
					   "the %s (CN=%s) is not issued by the configured ARK (CN=%s)", ica,
					   ccg_x509_cn(mid, cn, sizeof(cn)), ccg_x509_cn(ark, cn2, sizeof(cn2)));
			goto out;
		}
		root = ark;
	} else {
		root = find_issuer(certs, mid, true);
		if (root == NULL)
			root = find_issuer(builtin, mid, true);
		if (root == NULL) {
			st = ccg_error_set(err, CCG_ERR_CERT_UNTRUSTED, "snp.ark",
					   "no AMD ARK, given or built in, issued the %s (CN=%s): it is not AMD's", ica,
					   ccg_x509_cn(mid, cn, sizeof(cn)));
			goto out;
		}
		if (!ccg_snp_ark_spki_pinned(root)) {
			st = ccg_error_set(
				err, CCG_ERR_CERT_UNTRUSTED, "snp.ark",
				"the root given (CN=%s) is not a pinned AMD ARK; configure it as the ARK to trust it",
				ccg_x509_cn(root, cn, sizeof(cn)));
			goto out;
		}
	}
	chain = sk_X509_new_null();
	if (chain == NULL || !push_ref(chain, leaf) || !push_ref(chain, mid) || X509_up_ref(root) != 1) {
		st = ccg_error_set(err, CCG_ERR_NOMEM, "snp.chain", "out of memory");
		goto out;
	}
	*out_chain = chain;
	*out_ark = root;
	chain = NULL;
	st = CCG_OK;
out:
	sk_X509_pop_free(chain, X509_free);
	sk_X509_pop_free(builtin, X509_free);
	return st;
}

/* the appraisal of r with the chain ccg_snp_chain_select picked (leaf ‖ ASK/ASVK) and its ARK */
static enum ccg_status verify_selected(const struct ccg_snp_report *r, const struct ccg_snp_verify_opts *opts,
				       STACK_OF(X509) *chain, X509 *ark, struct ccg_snp_result *out,
				       struct ccg_error *err)
{
	enum ccg_snp_signer signer = ccg_snp_report_signer(r);
	struct ccg_chain_opts co;
	struct ccg_chain_result cr;
	struct ccg_snp_result res = {.crl_checked = false, .collateral_stale = true};
	enum ccg_snp_product p, certp;
	struct ccg_snp_tcb tcb;
	X509 *leaf = sk_X509_value(chain, 0);
	enum ccg_status st;

	memset(&co, 0, sizeof(co));
	co.anchor = ark;
	co.now = opts->now;
	co.name = signer == CCG_SNP_SIGNER_VCEK ? "VCEK chain" : "VLEK chain";
	co.no_key_ids = true; /* AMD's VCEKs carry no authority/subject key identifiers */
	st = ccg_chain_verify(chain, &co, &cr, err);
	if (st != CCG_OK)
		return st;
	st = check_revocation(opts, ark, chain, signer, &res, err);
	if (out != NULL)
		*out = res;
	if (st != CCG_OK)
		return st;

	certp = vcek_product(leaf);
	p = ccg_snp_report_product(r, opts->product != CCG_SNP_PRODUCT_UNKNOWN ? opts->product : certp);
	if (p == CCG_SNP_PRODUCT_UNKNOWN)
		return ccg_error_set(err, CCG_ERR_UNSUPPORTED, "snp.product",
				     "cannot tell the processor (report CPUID %02x/%02x, certificate product unknown)",
				     r->cpuid_fam_id, r->cpuid_mod_id);
	if (certp != CCG_SNP_PRODUCT_UNKNOWN && certp != p)
		return ccg_error_set(err, CCG_ERR_CERT_PRODUCT, "snp.vcek.product",
				     "certificate is for %s, the report is from %s", ccg_snp_product_name(certp),
				     ccg_snp_product_name(p));
	ccg_snp_tcb_decode(r->reported_tcb, p, &tcb);
	if (signer == CCG_SNP_SIGNER_VCEK) {
		if ((r->flags & 2) != 0)
			return ccg_error_set(err, CCG_ERR_MALFORMED, "snp.chip_id",
					     "MASK_CHIP_KEY set: the chip id is masked, a VCEK cannot be matched");
		if ((st = check_hwid(leaf, r, p, err)) != CCG_OK)
			return st;
	}
	if ((st = check_spl(leaf, OID_AMD_BLSPL, "blSPL", tcb.bootloader, true, err)) != CCG_OK ||
	    (st = check_spl(leaf, OID_AMD_TEESPL, "teeSPL", tcb.tee, true, err)) != CCG_OK ||
	    (st = check_spl(leaf, OID_AMD_SNPSPL, "snpSPL", tcb.snp, true, err)) != CCG_OK ||
	    (st = check_spl(leaf, OID_AMD_UCODESPL, "ucodeSPL", tcb.microcode, true, err)) != CCG_OK ||
	    (st = check_spl(leaf, OID_AMD_FMCSPL, "fmcSPL", tcb.fmc, p == CCG_SNP_PRODUCT_TURIN, err)) != CCG_OK)
		return st;
	st = ccg_snp_report_verify_signature(r, X509_get0_pubkey(leaf), err);
	if (st != CCG_OK)
		return st;
	if (opts->report_data != NULL && !ccg_ct_equal(opts->report_data, r->report_data, CCG_SNP_REPORT_DATA_LEN))
		return ccg_error_set(err, CCG_ERR_NONCE_MISMATCH, "snp.report_data",
				     "report_data is not the expected value");
	return CCG_OK;
}

enum ccg_status ccg_snp_report_verify(const struct ccg_snp_report *r, const struct ccg_snp_verify_opts *opts,
				      struct ccg_snp_result *out, struct ccg_error *err)
{
	enum ccg_snp_signer signer = ccg_snp_report_signer(r);
	struct ccg_snp_result res = {.crl_checked = false, .collateral_stale = true};
	STACK_OF(X509) *chain = NULL;
	X509 *ark = NULL;
	enum ccg_status st;

	if (out != NULL)
		*out = res;
	if (opts == NULL)
		return ccg_error_set(err, CCG_ERR_INVALID_ARG, "snp", "no options");
	if (signer != CCG_SNP_SIGNER_VCEK && signer != CCG_SNP_SIGNER_VLEK)
		return ccg_error_set(err, CCG_ERR_UNSUPPORTED, "snp.signing_key",
				     "signing key %u (0 = VCEK, 1 = VLEK; 7 = unsigned)", (unsigned)signer);
	if ((st = ccg_snp_chain_select(r, opts->certs, opts->ark, &chain, &ark, err)) != CCG_OK)
		return st;
	st = verify_selected(r, opts, chain, ark, out, err);
	sk_X509_pop_free(chain, X509_free);
	X509_free(ark);
	return st;
}
