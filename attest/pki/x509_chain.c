/* SPDX-License-Identifier: Apache-2.0 */
#include "attest/pki/x509_chain.h"

#include <limits.h>
#include <openssl/asn1t.h>
#include <openssl/err.h>
#include <openssl/objects.h>
#include <openssl/pem.h>
#include <openssl/x509_vfy.h>
#include <openssl/x509v3.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "common/crypto.h"
#include "common/encoding.h"
#include "common/error.h"

#define OID_TCG_DICE_TCBINFO "2.23.133.5.4.1"
#define OID_TCG_DICE_TCBINFO_BLACKWELL "2.23.133.5.4.1.1"
#define FWID_LEN 48

static bool same_cert(X509 *a, X509 *b)
{
	unsigned char *da = NULL, *db = NULL;
	int la = i2d_X509(a, &da), lb = i2d_X509(b, &db);
	bool eq = la > 0 && la == lb && memcmp(da, db, (size_t)la) == 0;

	OPENSSL_free(da);
	OPENSSL_free(db);
	return eq;
}

static bool self_signed(X509 *x)
{
	return X509_check_issued(x, x) == X509_V_OK;
}

/* "device chain[2] (CN=GH100 Identity)" */
static void cert_where(const struct ccg_chain_opts *o, int depth, X509 *x, char *buf, size_t len)
{
	char cn[96];

	snprintf(buf, len, "%s[%d] (CN=%s)", o->name ? o->name : "chain", depth,
		 x != NULL ? ccg_x509_cn(x, cn, sizeof(cn)) : "?");
}

static enum ccg_status map_verify_error(const struct ccg_chain_opts *o, X509_STORE_CTX *ctx, struct ccg_error *err)
{
	int e = X509_STORE_CTX_get_error(ctx);
	int depth = X509_STORE_CTX_get_error_depth(ctx);
	X509 *x = X509_STORE_CTX_get_current_cert(ctx);
	const char *why = X509_verify_cert_error_string(e);
	char where[CCG_ERROR_WHERE_MAX], when[21] = "";

	cert_where(o, depth, x, where, sizeof(where));
	ERR_clear_error();
	switch (e) {
	case X509_V_ERR_CERT_HAS_EXPIRED:
		if (x != NULL && ccg_asn1_time_iso(X509_get0_notAfter(x), when) != CCG_OK)
			snprintf(when, sizeof(when), "?");
		return ccg_error_set(err, CCG_ERR_CERT_EXPIRED, where, "certificate expired %s", when);
	case X509_V_ERR_CERT_NOT_YET_VALID:
		if (x != NULL && ccg_asn1_time_iso(X509_get0_notBefore(x), when) != CCG_OK)
			snprintf(when, sizeof(when), "?");
		return ccg_error_set(err, CCG_ERR_CERT_EXPIRED, where, "certificate not valid before %s", when);
	case X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN:
	case X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT:
		return ccg_error_set(err, CCG_ERR_CERT_UNTRUSTED, where, "%s", why);
	case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY:
	case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT:
		return ccg_error_set(err, CCG_ERR_CERT_CHAIN, where,
				     "issuer not in the chain and not the trust anchor (%s)", why);
	default: return ccg_error_set(err, CCG_ERR_CERT_CHAIN, where, "%s", why);
	}
}

/* lets a chain profile without key identifiers through the strict checks, and nothing else */
static int verify_cb(int ok, X509_STORE_CTX *ctx)
{
	const struct ccg_chain_opts *o = X509_STORE_CTX_get_app_data(ctx);
	int e = X509_STORE_CTX_get_error(ctx);

	if (ok == 0 && o != NULL && o->no_key_ids &&
	    (e == X509_V_ERR_MISSING_AUTHORITY_KEY_IDENTIFIER || e == X509_V_ERR_MISSING_SUBJECT_KEY_IDENTIFIER)) {
		X509_STORE_CTX_set_error(ctx, X509_V_OK);
		return 1;
	}
	return ok;
}

static void validity(STACK_OF(X509) *chain, X509 *anchor, int64_t now, struct ccg_chain_result *out)
{
	int n = sk_X509_num(chain);

	out->not_before = INT64_MIN;
	out->not_after = INT64_MAX;
	out->expired = false;
	for (int i = 0; i <= n; i++) {
		X509 *x = i < n ? sk_X509_value(chain, i) : anchor;
		int64_t nb, na;

		if (ccg_asn1_time_unix(X509_get0_notBefore(x), &nb) != CCG_OK ||
		    ccg_asn1_time_unix(X509_get0_notAfter(x), &na) != CCG_OK) {
			out->expired = true;
			out->not_before = INT64_MAX; /* an unreadable period makes the window empty */
			continue;
		}
		if (nb > out->not_before)
			out->not_before = nb;
		if (na < out->not_after)
			out->not_after = na;
		if (now < nb || now > na)
			out->expired = true;
	}
	ccg_time_iso(out->not_after, out->not_after_iso);
}

enum ccg_status ccg_chain_verify(STACK_OF(X509) *chain, const struct ccg_chain_opts *opts, struct ccg_chain_result *out,
				 struct ccg_error *err)
{
	X509_STORE *store = NULL;
	X509_STORE_CTX *ctx = NULL;
	STACK_OF(X509) *untrusted = NULL;
	STACK_OF(X509) *built;
	X509_VERIFY_PARAM *param;
	const char *name = opts->name ? opts->name : "chain";
	int n = chain != NULL ? sk_X509_num(chain) : 0;
	int64_t now = opts->now != 0 ? opts->now : (int64_t)time(NULL);
	char where[CCG_ERROR_WHERE_MAX];
	enum ccg_status st = CCG_OK;

	memset(out, 0, sizeof(*out));
	if (opts->anchor == NULL)
		return ccg_error_set(err, CCG_ERR_INVALID_ARG, name, "no trust anchor configured");
	if (n < 1)
		return ccg_error_set(err, CCG_ERR_CERT_CHAIN, name, "empty certificate chain");
	if (n > CCG_CHAIN_MAX_CERTS)
		return ccg_error_set(err, CCG_ERR_TOO_LARGE, name, "%d certificates, maximum %d", n,
				     CCG_CHAIN_MAX_CERTS);
	/* the chain may carry the anchor itself; any other self-signed end is another root */
	if (n > 1 && self_signed(sk_X509_value(chain, n - 1))) {
		if (!same_cert(sk_X509_value(chain, n - 1), opts->anchor)) {
			cert_where(opts, n - 1, sk_X509_value(chain, n - 1), where, sizeof(where));
			return ccg_error_set(err, CCG_ERR_CERT_UNTRUSTED, where,
					     "chain ends in a root that is not the trust anchor");
		}
		n--;
	}
	if (n == 1 && self_signed(sk_X509_value(chain, 0)) && same_cert(sk_X509_value(chain, 0), opts->anchor))
		return ccg_error_set(err, CCG_ERR_CERT_CHAIN, name,
				     "the chain holds only the trust anchor: no end-entity (device) certificate");
	validity(chain, opts->anchor, now, out);

	store = X509_STORE_new();
	ctx = X509_STORE_CTX_new();
	untrusted = sk_X509_new_null();
	if (store == NULL || ctx == NULL || untrusted == NULL) {
		st = ccg_error_set(err, CCG_ERR_NOMEM, name, "allocating verification context");
		goto out;
	}
	for (int i = 1; i < n; i++) {
		if (sk_X509_push(untrusted, sk_X509_value(chain, i)) <= 0) {
			st = CCG_ERR_NOMEM;
			goto out;
		}
	}
	if (X509_STORE_add_cert(store, opts->anchor) != 1 ||
	    X509_STORE_CTX_init(ctx, store, sk_X509_value(chain, 0), untrusted) != 1) {
		st = ccg_openssl_error(err, CCG_ERR_CRYPTO, name, "X509_STORE setup");
		goto out;
	}
	X509_STORE_CTX_set_app_data(ctx, (void *)opts);
	X509_STORE_CTX_set_verify_cb(ctx, verify_cb);
	param = X509_STORE_CTX_get0_param(ctx);
	if (opts->ignore_expiry) {
		X509_VERIFY_PARAM_set_flags(param, X509_V_FLAG_NO_CHECK_TIME);
	} else {
		X509_VERIFY_PARAM_set_time(param, (time_t)now);
	}
	X509_VERIFY_PARAM_set_flags(param, X509_V_FLAG_X509_STRICT);
	if (X509_verify_cert(ctx) != 1) {
		st = map_verify_error(opts, ctx, err);
		goto out;
	}
	/* every certificate given must be on the path, in order: no extras, no reordering */
	built = X509_STORE_CTX_get0_chain(ctx);
	if (sk_X509_num(built) != n + 1) {
		st = ccg_error_set(err, CCG_ERR_CERT_CHAIN, name,
				   "chain of %d certificates verifies through %d: extra or misordered certificates", n,
				   sk_X509_num(built) - 1);
		goto out;
	}
	for (int i = 0; i < n; i++) {
		if (X509_cmp(sk_X509_value(built, i), sk_X509_value(chain, i)) != 0) {
			cert_where(opts, i, sk_X509_value(chain, i), where, sizeof(where));
			st = ccg_error_set(err, CCG_ERR_CERT_CHAIN, where, "certificate out of order");
			goto out;
		}
	}
out:
	sk_X509_free(untrusted);
	X509_STORE_CTX_free(ctx);
	X509_STORE_free(store);
	ERR_clear_error();
	return st;
}

/*
 * TCG DICE structures (TCG DICE Attestation Architecture; TCG DICE Layering
 * Architecture for CompositeDeviceID), decoded with OpenSSL's ASN.1 templates:
 *   FWID ::= SEQUENCE { hashAlg OBJECT IDENTIFIER, digest OCTET STRING }
 *   DiceTcbInfo ::= SEQUENCE { vendor [0] UTF8String OPTIONAL, model [1],
 *     version [2], svn [3] INTEGER, layer [4], index [5], fwids [6] SEQUENCE
 *     OF FWID, flags [7] BIT STRING, vendorInfo [8] OCTET STRING, type [9]
 *     OCTET STRING, flagsMask [10] BIT STRING } (all IMPLICIT OPTIONAL)
 *   CompositeDeviceID ::= SEQUENCE { version INTEGER, identity
 *     SubjectPublicKeyInfo, fwid FWID }
 */
typedef struct {
	ASN1_OBJECT *hash_alg;
	ASN1_OCTET_STRING *digest;
} CCG_DICE_FWID;
DEFINE_STACK_OF(CCG_DICE_FWID)

typedef struct {
	ASN1_UTF8STRING *vendor, *model, *version;
	ASN1_INTEGER *svn, *layer, *index;
	STACK_OF(CCG_DICE_FWID) *fwids;
	ASN1_BIT_STRING *flags;
	ASN1_OCTET_STRING *vendor_info, *type;
	ASN1_BIT_STRING *flags_mask;
} CCG_DICE_TCBINFO;

typedef struct {
	ASN1_INTEGER *version;
	X509_PUBKEY *identity;
	CCG_DICE_FWID *fwid;
} CCG_DICE_COMPOSITE;

/* clang-format off: OpenSSL's ASN.1 template macros, laid out as their documentation shows */
ASN1_SEQUENCE(CCG_DICE_FWID) = {
	ASN1_SIMPLE(CCG_DICE_FWID, hash_alg, ASN1_OBJECT),
	ASN1_SIMPLE(CCG_DICE_FWID, digest, ASN1_OCTET_STRING),
} static_ASN1_SEQUENCE_END(CCG_DICE_FWID)

ASN1_SEQUENCE(CCG_DICE_TCBINFO) = {
	ASN1_IMP_OPT(CCG_DICE_TCBINFO, vendor, ASN1_UTF8STRING, 0),
	ASN1_IMP_OPT(CCG_DICE_TCBINFO, model, ASN1_UTF8STRING, 1),
	ASN1_IMP_OPT(CCG_DICE_TCBINFO, version, ASN1_UTF8STRING, 2),
	ASN1_IMP_OPT(CCG_DICE_TCBINFO, svn, ASN1_INTEGER, 3),
	ASN1_IMP_OPT(CCG_DICE_TCBINFO, layer, ASN1_INTEGER, 4),
	ASN1_IMP_OPT(CCG_DICE_TCBINFO, index, ASN1_INTEGER, 5),
	ASN1_IMP_SEQUENCE_OF_OPT(CCG_DICE_TCBINFO, fwids, CCG_DICE_FWID, 6),
	ASN1_IMP_OPT(CCG_DICE_TCBINFO, flags, ASN1_BIT_STRING, 7),
	ASN1_IMP_OPT(CCG_DICE_TCBINFO, vendor_info, ASN1_OCTET_STRING, 8),
	ASN1_IMP_OPT(CCG_DICE_TCBINFO, type, ASN1_OCTET_STRING, 9),
	ASN1_IMP_OPT(CCG_DICE_TCBINFO, flags_mask, ASN1_BIT_STRING, 10),
} static_ASN1_SEQUENCE_END(CCG_DICE_TCBINFO)

ASN1_SEQUENCE(CCG_DICE_COMPOSITE) = {
	ASN1_SIMPLE(CCG_DICE_COMPOSITE, version, ASN1_INTEGER),
	ASN1_SIMPLE(CCG_DICE_COMPOSITE, identity, X509_PUBKEY),
	ASN1_SIMPLE(CCG_DICE_COMPOSITE, fwid, CCG_DICE_FWID),
} static_ASN1_SEQUENCE_END(CCG_DICE_COMPOSITE)
/* clang-format on */

/* d2i of it over exactly len bytes (nothing after the value), or NULL */
static void *d2i_exact(const ASN1_ITEM *it, const uint8_t *der, size_t len)
{
	const unsigned char *p = der;
	ASN1_VALUE *v = len <= LONG_MAX ? ASN1_item_d2i(NULL, &p, (long)len, it) : NULL;

	if (v != NULL && p != der + len) {
		ASN1_item_free(v, it);
		v = NULL;
	}
	return v;
}

/* the digest of one FWID entry: SHA-384, 48 bytes */
static enum ccg_status fwid_digest(const CCG_DICE_FWID *f, const char *where, const char *what, uint8_t out[48],
				   struct ccg_error *err)
{
	int nid = OBJ_obj2nid(f->hash_alg);

	if (nid != NID_sha384)
		return ccg_error_set(err, CCG_ERR_CERT_FWID, where, "%s: hash algorithm %s, need SHA-384", what,
				     nid != NID_undef ? OBJ_nid2sn(nid) : "(unknown OID)");
	if (ASN1_STRING_length(f->digest) != FWID_LEN)
		return ccg_error_set(err, CCG_ERR_CERT_FWID, where, "%s: digest of %d bytes, need %d", what,
				     ASN1_STRING_length(f->digest), FWID_LEN);
	memcpy(out, ASN1_STRING_get0_data(f->digest), FWID_LEN);
	return CCG_OK;
}

enum ccg_status ccg_tcbinfo_fwid(const uint8_t *der, size_t len, bool composite_allowed, const char *where,
				 uint8_t out[48], struct ccg_error *err)
{
	CCG_DICE_TCBINFO *tcb = d2i_exact(ASN1_ITEM_rptr(CCG_DICE_TCBINFO), der, len);
	CCG_DICE_COMPOSITE *cdi = NULL;
	enum ccg_status st;

	if (tcb != NULL) {
		/* NVIDIA's SDK (get_fwid_2_23_133_5_4_1_1): the digest of the first entry of fwids [6] */
		if (tcb->fwids == NULL || sk_CCG_DICE_FWID_num(tcb->fwids) < 1)
			st = ccg_error_set(err, CCG_ERR_CERT_FWID, where, "TcbInfo has no fwids [6] entry");
		else
			st = fwid_digest(sk_CCG_DICE_FWID_value(tcb->fwids, 0), where, "TcbInfo fwids[0]", out, err);
		ASN1_item_free((ASN1_VALUE *)tcb, ASN1_ITEM_rptr(CCG_DICE_TCBINFO));
		ERR_clear_error();
		return st;
	}
	if (composite_allowed)
		cdi = d2i_exact(ASN1_ITEM_rptr(CCG_DICE_COMPOSITE), der, len);
	ERR_clear_error();
	if (cdi == NULL)
		return ccg_error_set(err, CCG_ERR_CERT_FWID, where, "%s is not DER of a TCG DICE %s",
				     composite_allowed ? OID_TCG_DICE_TCBINFO : OID_TCG_DICE_TCBINFO_BLACKWELL,
				     composite_allowed ? "TcbInfo or CompositeDeviceID" : "TcbInfo");
	st = fwid_digest(cdi->fwid, where, "CompositeDeviceID fwid", out, err);
	ASN1_item_free((ASN1_VALUE *)cdi, ASN1_ITEM_rptr(CCG_DICE_COMPOSITE));
	return st;
}

enum ccg_status ccg_cert_fwid(X509 *cert, uint8_t out[48], struct ccg_error *err)
{
	/* the Blackwell multi-TcbInfo OID first: a leaf carrying both names its FWID there */
	static const char *oids[] = {OID_TCG_DICE_TCBINFO_BLACKWELL, OID_TCG_DICE_TCBINFO};

	for (size_t i = 0; i < sizeof(oids) / sizeof(oids[0]); i++) {
		ASN1_OBJECT *obj = OBJ_txt2obj(oids[i], 1);
		int pos = obj != NULL ? X509_get_ext_by_OBJ(cert, obj, -1) : -1;
		const ASN1_OCTET_STRING *v;
		char where[CCG_ERROR_WHERE_MAX];

		ASN1_OBJECT_free(obj);
		if (pos < 0)
			continue;
		ERR_clear_error();
		snprintf(where, sizeof(where), "device chain[0] extension %s", oids[i]);
		v = X509_EXTENSION_get_data(X509_get_ext(cert, pos));
		if (v == NULL)
			return ccg_error_set(err, CCG_ERR_CERT_FWID, where, "extension has no value");
		/* 2.23.133.5.4.1 on Hopper and NVSwitch leaves holds a CompositeDeviceID */
		return ccg_tcbinfo_fwid(ASN1_STRING_get0_data(v), (size_t)ASN1_STRING_length(v), i == 1, where, out,
					err);
	}
	ERR_clear_error();
	return ccg_error_set(err, CCG_ERR_CERT_FWID, "device chain[0]",
			     "leaf certificate has no FWID extension (%s or %s)", OID_TCG_DICE_TCBINFO,
			     OID_TCG_DICE_TCBINFO_BLACKWELL);
}

/* a DER CRL filling exactly len bytes */
static X509_CRL *crl_der(const uint8_t *b, size_t len)
{
	const unsigned char *p = b;
	X509_CRL *crl = d2i_X509_CRL(NULL, &p, (long)len);

	if (crl != NULL && p != b + len) {
		X509_CRL_free(crl);
		crl = NULL;
	}
	return crl;
}

enum ccg_status ccg_crl_parse(const uint8_t *b, size_t len, const char *where, X509_CRL **out, struct ccg_error *err)
{
	static const char pem_begin[] = "-----BEGIN X509 CRL-----";
	X509_CRL *crl = NULL;
	uint8_t *bin = NULL;
	size_t bin_len = 0;

	*out = NULL;
	if (b == NULL || len == 0)
		return ccg_error_set(err, CCG_ERR_ENCODING, where, "empty: not a CRL");
	if (len > CCG_CRL_MAX_BYTES)
		return ccg_error_set(err, CCG_ERR_TOO_LARGE, where, "%zu bytes, a CRL may have %d", len,
				     CCG_CRL_MAX_BYTES);
	if (len >= sizeof(pem_begin) - 1 && memcmp(b, pem_begin, sizeof(pem_begin) - 1) == 0) {
		BIO *bio = BIO_new_mem_buf(b, (int)len);
		char extra[8];

		crl = bio != NULL ? PEM_read_bio_X509_CRL(bio, NULL, NULL, NULL) : NULL;
		/* only whitespace may follow the one CRL */
		if (crl != NULL) {
			int n;

			while ((n = BIO_read(bio, extra, 1)) == 1 &&
			       (extra[0] == '\n' || extra[0] == '\r' || extra[0] == ' ' || extra[0] == '\t'))
				;
			if (n == 1) {
				X509_CRL_free(crl);
				crl = NULL;
			}
		}
		BIO_free(bio);
	} else if (b[0] == 0x30) {
		crl = crl_der(b, len);
	} else if (ccg_hex_decode((const char *)b, len, CCG_CRL_MAX_BYTES, &bin, &bin_len) == CCG_OK) {
		crl = crl_der(bin, bin_len);
		free(bin);
	}
	if (crl == NULL)
		return ccg_openssl_error(err, CCG_ERR_ENCODING, where, "not one CRL (DER, PEM or hex)");
	*out = crl;
	return CCG_OK;
}

/*
 * RFC 5280 section 5.1.1.2: the CertificateList's signatureAlgorithm (outside
 * the signature, and the one OpenSSL verifies with) must be identical to the
 * signature field of the signed TBSCertList. OpenSSL 3.0 compares the two for
 * certificates (X509_verify) but, before its June 2026 fix (openssl#31213),
 * not for CRLs, and 3.0 has no accessor for the inner one
 * (X509_CRL_get0_tbs_sigalg is 3.6): it is read from the CRL's DER, whose
 * TBSCertList is the cached original encoding.
 */
static enum ccg_status crl_sig_algs_match(X509_CRL *crl, const char *where, struct ccg_error *err)
{
	unsigned char *der = NULL;
	const unsigned char *p, *q, *end;
	const X509_ALGOR *outer = NULL;
	X509_ALGOR *inner = NULL;
	ASN1_INTEGER *version = NULL;
	char w[CCG_ERROR_WHERE_MAX];
	long len, l;
	int n = i2d_X509_CRL(crl, &der), tag, cls;
	enum ccg_status st = CCG_OK;

	snprintf(w, sizeof(w), "%s.signature_algorithm", where);
	p = der;
	/* CertificateList SEQUENCE, then the TBSCertList SEQUENCE inside it */
	if (n <= 0 || (ASN1_get_object(&p, &len, &tag, &cls, n) & 0x80) != 0 || tag != V_ASN1_SEQUENCE ||
	    (ASN1_get_object(&p, &len, &tag, &cls, (long)(der + n - p)) & 0x80) != 0 || tag != V_ASN1_SEQUENCE) {
		st = ccg_openssl_error(err, CCG_ERR_ENCODING, w, "the CRL does not re-encode as a CertificateList");
		goto out;
	}
	end = p + len;
	/* version INTEGER OPTIONAL, then signature AlgorithmIdentifier */
	q = p;
	if ((ASN1_get_object(&q, &l, &tag, &cls, (long)(end - p)) & 0x80) == 0 && tag == V_ASN1_INTEGER &&
	    cls == V_ASN1_UNIVERSAL)
		version = d2i_ASN1_INTEGER(NULL, &p, (long)(end - p));
	inner = d2i_X509_ALGOR(NULL, &p, (long)(end - p));
	X509_CRL_get0_signature(crl, NULL, &outer);
	if (inner == NULL || outer == NULL) {
		st = ccg_openssl_error(err, CCG_ERR_ENCODING, w, "the CRL's signature algorithm is unreadable");
		goto out;
	}
	if (X509_ALGOR_cmp(inner, outer) != 0)
		st = ccg_error_set(err, CCG_ERR_SIGNATURE, w,
				   "the CRL's signatureAlgorithm is not the one it signed (RFC 5280 5.1.1.2)");
out:
	ERR_clear_error();
	ASN1_INTEGER_free(version);
	X509_ALGOR_free(inner);
	OPENSSL_free(der);
	return st;
}

enum ccg_status ccg_crl_verify_issuer(X509_CRL *crl, X509 *issuer, const char *where, struct ccg_error *err)
{
	char cn[96];
	enum ccg_status st;
	int rc;

	if (X509_NAME_cmp(X509_CRL_get_issuer(crl), X509_get_subject_name(issuer)) != 0)
		return ccg_error_set(err, CCG_ERR_CERT_CHAIN, where, "the CRL is not issued by %s",
				     ccg_x509_cn(issuer, cn, sizeof(cn)));
	if ((st = crl_sig_algs_match(crl, where, err)) != CCG_OK)
		return st;
	rc = X509_CRL_verify(crl, X509_get0_pubkey(issuer));
	if (rc == 1)
		return CCG_OK;
	return ccg_openssl_error(err, rc == 0 ? CCG_ERR_SIGNATURE : CCG_ERR_CRYPTO, where,
				 rc == 0 ? "the CRL's signature does not verify with its issuer's key"
					 : "verifying the CRL's signature");
}

enum ccg_status ccg_crl_check_cert(X509_CRL *crl, X509 *cert, const char *what, const char *where,
				   struct ccg_error *err)
{
	X509_REVOKED *rev = NULL;
	char cn[96], when[21] = "?", *serial = NULL;
	BIGNUM *bn = NULL;
	enum ccg_status st;

	if (X509_NAME_cmp(X509_CRL_get_issuer(crl), X509_get_issuer_name(cert)) != 0 ||
	    X509_CRL_get0_by_serial(crl, &rev, X509_get0_serialNumber(cert)) != 1) {
		ERR_clear_error(); /* not listed (2: removeFromCRL, only in delta CRLs) */
		return CCG_OK;
	}
	if (ccg_asn1_time_iso(X509_REVOKED_get0_revocationDate(rev), when) != CCG_OK)
		snprintf(when, sizeof(when), "?");
	bn = ASN1_INTEGER_to_BN(X509_get0_serialNumber(cert), NULL);
	serial = bn != NULL ? BN_bn2hex(bn) : NULL;
	st = ccg_error_set(err, CCG_ERR_REVOKED, where, "%s %s (serial 0x%s) is revoked since %s", what,
			   ccg_x509_cn(cert, cn, sizeof(cn)), serial != NULL ? serial : "?", when);
	OPENSSL_free(serial);
	BN_free(bn);
	ERR_clear_error();
	return st;
}

bool ccg_crl_stale(X509_CRL *crl, int64_t now)
{
	int64_t t;
	const ASN1_TIME *n = X509_CRL_get0_nextUpdate(crl);

	return n == NULL || ccg_asn1_time_unix(n, &t) != CCG_OK || now > t;
}
