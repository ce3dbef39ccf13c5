/* SPDX-License-Identifier: Apache-2.0 */
/* TDX quote appraisal: signatures, PCK chain and extensions, collateral, TCB status. */
#include <openssl/asn1.h>
#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/objects.h>
#include <openssl/param_build.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "attest/cpu/collateral.h"
#include "attest/cpu/cpu_roots.h"
#include "attest/cpu/tdx.h"
#include "attest/pki/x509_chain.h"
#include "common/crypto.h"
#include "common/encoding.h"
#include "common/error.h"
#include "common/json.h"
#include "common/str.h"
#include "common/writer.h"

#define OID_SGX_EXT "1.2.840.113741.1.13.1"
#define OID_SGX_TCB "1.2.840.113741.1.13.1.2"
#define OID_SGX_PCESVN "1.2.840.113741.1.13.1.2.17"
#define OID_SGX_CPUSVN "1.2.840.113741.1.13.1.2.18"
#define OID_SGX_PCEID "1.2.840.113741.1.13.1.3"
#define OID_SGX_FMSPC "1.2.840.113741.1.13.1.4"
#define COLLATERAL_JSON_MAX (128 * 1024)
#define MAX_TCB_LEVELS 128

struct ccg_tdx_collateral {
	uint8_t *tcb_info_body, *qe_identity_body;
	size_t tcb_info_len, qe_identity_len;
	STACK_OF(X509) *signing_chain;
	STACK_OF(X509) *qe_signing_chain; /* NULL: signing_chain signs the QE identity too */
	X509_CRL *pck_crl, *root_crl;
};

enum ccg_status ccg_tdx_collateral_new(struct ccg_tdx_collateral **out)
{
	*out = calloc(1, sizeof(**out));
	return *out != NULL ? CCG_OK : CCG_ERR_NOMEM;
}

void ccg_tdx_collateral_free(struct ccg_tdx_collateral *c)
{
	if (c == NULL)
		return;
	free(c->tcb_info_body);
	free(c->qe_identity_body);
	sk_X509_pop_free(c->signing_chain, X509_free);
	sk_X509_pop_free(c->qe_signing_chain, X509_free);
	X509_CRL_free(c->pck_crl);
	X509_CRL_free(c->root_crl);
	free(c);
}

static enum ccg_status dup_bytes(const uint8_t *b, size_t len, uint8_t **out, size_t *out_len)
{
	uint8_t *p;

	if (len > COLLATERAL_JSON_MAX)
		return CCG_ERR_TOO_LARGE;
	p = malloc(len + 1);
	if (p == NULL)
		return CCG_ERR_NOMEM;
	memcpy(p, b, len);
	p[len] = 0;
	free(*out);
	*out = p;
	*out_len = len;
	return CCG_OK;
}

enum ccg_status ccg_tdx_collateral_set_tcb_info(struct ccg_tdx_collateral *c, const uint8_t *body, size_t len,
						struct ccg_error *err)
{
	enum ccg_status st = dup_bytes(body, len, &c->tcb_info_body, &c->tcb_info_len);

	return st == CCG_OK ? st : ccg_error_set(err, st, "tdx.collateral.tcb_info", "%zu bytes", len);
}

enum ccg_status ccg_tdx_collateral_set_qe_identity(struct ccg_tdx_collateral *c, const uint8_t *body, size_t len,
						   struct ccg_error *err)
{
	enum ccg_status st = dup_bytes(body, len, &c->qe_identity_body, &c->qe_identity_len);

	return st == CCG_OK ? st : ccg_error_set(err, st, "tdx.collateral.qe_identity", "%zu bytes", len);
}

static enum ccg_status set_chain(STACK_OF(X509) **slot, const uint8_t *pem, size_t len, struct ccg_error *err)
{
	STACK_OF(X509) *sk = NULL;
	enum ccg_status st = ccg_pem_certs_parse(pem, len, 4, &sk, err);

	if (st != CCG_OK)
		return st;
	sk_X509_pop_free(*slot, X509_free);
	*slot = sk;
	return CCG_OK;
}

enum ccg_status ccg_tdx_collateral_set_signing_chain(struct ccg_tdx_collateral *c, const uint8_t *pem, size_t len,
						     struct ccg_error *err)
{
	return set_chain(&c->signing_chain, pem, len, err);
}

enum ccg_status ccg_tdx_collateral_set_qe_signing_chain(struct ccg_tdx_collateral *c, const uint8_t *pem, size_t len,
							struct ccg_error *err)
{
	return set_chain(&c->qe_signing_chain, pem, len, err);
}

enum ccg_status ccg_tdx_collateral_set_crls(struct ccg_tdx_collateral *c, const uint8_t *pck_crl, size_t pck_crl_len,
					    const uint8_t *root_crl, size_t root_crl_len, struct ccg_error *err)
{
	X509_CRL *a = NULL, *b = NULL;
	enum ccg_status st = ccg_crl_parse(pck_crl, pck_crl_len, "tdx.collateral.pck_crl", &a, err);

	if (st == CCG_OK)
		st = ccg_crl_parse(root_crl, root_crl_len, "tdx.collateral.root_crl", &b, err);
	if (st != CCG_OK) {
		X509_CRL_free(a);
		return st;
	}
	X509_CRL_free(c->pck_crl);
	X509_CRL_free(c->root_crl);
	c->pck_crl = a;
	c->root_crl = b;
	return CCG_OK;
}

void ccg_tdx_result_cleanup(struct ccg_tdx_result *r)
{
	json_decref(r->advisories);
	memset(r, 0, sizeof(*r));
}

/* ---------- keys and signatures ---------- */

static enum ccg_status p256_key(const uint8_t xy[64], EVP_PKEY **out, struct ccg_error *err)
{
	uint8_t pt[65];
	OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
	OSSL_PARAM *params = NULL;
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL);
	enum ccg_status st = CCG_OK;

	*out = NULL;
	pt[0] = 0x04;
	memcpy(pt + 1, xy, 64);
	if (bld == NULL || ctx == NULL ||
	    OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME, "prime256v1", 0) != 1 ||
	    OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY, pt, sizeof(pt)) != 1 ||
	    (params = OSSL_PARAM_BLD_to_param(bld)) == NULL || EVP_PKEY_fromdata_init(ctx) != 1 ||
	    EVP_PKEY_fromdata(ctx, out, EVP_PKEY_PUBLIC_KEY, params) != 1 || *out == NULL)
		st = ccg_openssl_error(err, CCG_ERR_MALFORMED, "tdx.quote.attestation_key", "not a point on P-256");
	OSSL_PARAM_free(params);
	OSSL_PARAM_BLD_free(bld);
	EVP_PKEY_CTX_free(ctx);
	return st;
}

/* ---------- PCK certificate SGX extension ---------- */

struct pck_info {
	uint8_t comp_svn[16];
	uint16_t pcesvn;
	uint8_t fmspc[6];
	uint8_t pceid[2];
	bool have_tcb, have_fmspc, have_pceid;
};

static bool oid_is(const ASN1_TYPE *t, const char *oid)
{
	char buf[64];

	return t != NULL && t->type == V_ASN1_OBJECT && OBJ_obj2txt(buf, sizeof(buf), t->value.object, 1) > 0 &&
	       strcmp(buf, oid) == 0;
}

static STACK_OF(ASN1_TYPE) *seq_of(const ASN1_TYPE *t)
{
	const unsigned char *p;

	if (t == NULL || t->type != V_ASN1_SEQUENCE)
		return NULL;
	p = t->value.sequence->data;
	return d2i_ASN1_SEQUENCE_ANY(NULL, &p, t->value.sequence->length);
}

static bool int_value(const ASN1_TYPE *t, long max, long *out)
{
	long v;

	if (t == NULL || (t->type != V_ASN1_INTEGER && t->type != V_ASN1_ENUMERATED))
		return false;
	v = ASN1_INTEGER_get(t->value.integer);
	if (v < 0 || v > max)
		return false;
	*out = v;
	return true;
}

static enum ccg_status pck_extension(X509 *pck, struct pck_info *info, struct ccg_error *err)
{
	static const char *where = "tdx.pck.sgx_extension";
	ASN1_OBJECT *obj = OBJ_txt2obj(OID_SGX_EXT, 1);
	int pos = obj != NULL ? X509_get_ext_by_OBJ(pck, obj, -1) : -1;
	const ASN1_OCTET_STRING *v;
	const unsigned char *p;
	STACK_OF(ASN1_TYPE) *top = NULL;
	enum ccg_status st = CCG_OK;

	ASN1_OBJECT_free(obj);
	memset(info, 0, sizeof(*info));
	if (pos < 0) {
		ERR_clear_error();
		return ccg_error_set(err, CCG_ERR_CERT_FWID, where, "the PCK certificate lacks %s", OID_SGX_EXT);
	}
	v = X509_EXTENSION_get_data(X509_get_ext(pck, pos));
	p = ASN1_STRING_get0_data(v);
	top = d2i_ASN1_SEQUENCE_ANY(NULL, &p, ASN1_STRING_length(v));
	if (top == NULL) {
		st = ccg_openssl_error(err, CCG_ERR_ENCODING, where, "not a DER SEQUENCE");
		goto out;
	}
	for (int i = 0; i < sk_ASN1_TYPE_num(top); i++) {
		STACK_OF(ASN1_TYPE) *kv = seq_of(sk_ASN1_TYPE_value(top, i));
		const ASN1_TYPE *k = kv != NULL && sk_ASN1_TYPE_num(kv) == 2 ? sk_ASN1_TYPE_value(kv, 0) : NULL;
		const ASN1_TYPE *val = k != NULL ? sk_ASN1_TYPE_value(kv, 1) : NULL;

		if (k == NULL) {
			sk_ASN1_TYPE_pop_free(kv, ASN1_TYPE_free);
			st = ccg_error_set(err, CCG_ERR_ENCODING, where, "entry %d is not {OID, value}", i);
			goto out;
		}
		if (oid_is(k, OID_SGX_FMSPC) && val->type == V_ASN1_OCTET_STRING &&
		    val->value.octet_string->length == 6) {
			memcpy(info->fmspc, val->value.octet_string->data, 6);
			info->have_fmspc = true;
		} else if (oid_is(k, OID_SGX_PCEID) && val->type == V_ASN1_OCTET_STRING &&
			   val->value.octet_string->length == 2) {
			memcpy(info->pceid, val->value.octet_string->data, 2);
			info->have_pceid = true;
		} else if (oid_is(k, OID_SGX_TCB)) {
			STACK_OF(ASN1_TYPE) *tcb = seq_of(val);
			int seen = 0;

			for (int j = 0; tcb != NULL && j < sk_ASN1_TYPE_num(tcb); j++) {
				STACK_OF(ASN1_TYPE) *c = seq_of(sk_ASN1_TYPE_value(tcb, j));
				const ASN1_TYPE *ck =
					c != NULL && sk_ASN1_TYPE_num(c) == 2 ? sk_ASN1_TYPE_value(c, 0) : NULL;
				long n;
				char oid[64];

				for (int comp = 1; ck != NULL && comp <= 16; comp++) {
					snprintf(oid, sizeof(oid), "%s.%d", OID_SGX_TCB, comp);
					if (oid_is(ck, oid) && int_value(sk_ASN1_TYPE_value(c, 1), 255, &n)) {
						info->comp_svn[comp - 1] = (uint8_t)n;
						seen |= 1 << (comp - 1);
					}
				}
				if (ck != NULL && oid_is(ck, OID_SGX_PCESVN) &&
				    int_value(sk_ASN1_TYPE_value(c, 1), 65535, &n)) {
					info->pcesvn = (uint16_t)n;
					seen |= 1 << 16;
				}
				sk_ASN1_TYPE_pop_free(c, ASN1_TYPE_free);
			}
			sk_ASN1_TYPE_pop_free(tcb, ASN1_TYPE_free);
			info->have_tcb = seen == 0x1ffff;
		}
		sk_ASN1_TYPE_pop_free(kv, ASN1_TYPE_free);
	}
	if (!info->have_tcb || !info->have_fmspc || !info->have_pceid)
		st = ccg_error_set(err, CCG_ERR_CERT_FWID, where, "the PCK extension lacks %s",
				   !info->have_tcb     ? "the TCB (17 SVNs)"
				   : !info->have_fmspc ? "the FMSPC"
						       : "the PCE-ID");
out:
	sk_ASN1_TYPE_pop_free(top, ASN1_TYPE_free);
	ERR_clear_error();
	return st;
}

/* ---------- collateral ---------- */

/*
 * The signed text of a PCS body {"<key>":<value>,"signature":"<hex>"} is
 * <value> exactly as sent; the whole body must also be valid JSON.
 */
static enum ccg_status signed_json(const uint8_t *body, size_t len, const char *key, X509 *signer, const char *where,
				   json_t **out, struct ccg_error *err)
{
	char prefix[64];
	static const char sigkey[] = ",\"signature\":\"";
	size_t plen, vstart, vend = 0;
	json_t *doc = NULL;
	const char *sighex = NULL;
	uint8_t sig[64];
	enum ccg_status st;

	*out = NULL;
	st = ccg_json_parse(body, len, COLLATERAL_JSON_MAX, where, &doc, err);
	if (st != CCG_OK)
		return st;
	snprintf(prefix, sizeof(prefix), "{\"%s\":", key);
	plen = strlen(prefix);
	if (!json_is_object(doc) || json_object_size(doc) != 2 || !json_is_object(json_object_get(doc, key)) ||
	    len < plen || memcmp(body, prefix, plen) != 0) {
		st = ccg_error_set(err, CCG_ERR_MALFORMED, where, "not {\"%s\":{…},\"signature\":\"…\"}", key);
		goto out;
	}
	if ((st = ccg_json_get_string(doc, "signature", &sighex, where, err)) != CCG_OK)
		goto out;
	vstart = plen;
	for (size_t i = len; i-- > vstart;) {
		if (i + sizeof(sigkey) - 1 <= len && memcmp(body + i, sigkey, sizeof(sigkey) - 1) == 0) {
			vend = i;
			break;
		}
	}
	if (vend == 0 || ccg_hex_decode_fixed(sighex, strlen(sighex), sig, sizeof(sig)) != CCG_OK) {
		st = ccg_error_set(err, CCG_ERR_MALFORMED, where, "signature is not 64 bytes of hex after the body");
		goto out;
	}
	st = ccg_ecdsa_verify_raw(X509_get0_pubkey(signer), "SHA256", body + vstart, vend - vstart, sig, sizeof(sig),
				  where, err);
	if (st != CCG_OK)
		goto out;
	*out = json_incref(json_object_get(doc, key));
out:
	json_decref(doc);
	return st;
}

static bool hex_field(const json_t *o, const char *key, uint8_t *out, size_t len)
{
	const char *s = json_string_value(json_object_get(o, key));

	return s != NULL && ccg_hex_decode_fixed(s, strlen(s), out, len) == CCG_OK;
}

static bool stale_at(const json_t *o, int64_t now)
{
	int64_t t;
	const char *s = json_string_value(json_object_get(o, "nextUpdate"));

	return s == NULL || ccg_time_parse_iso(s, &t) != CCG_OK || now > t;
}

static enum ccg_status status_of(const json_t *level, const char *where, enum ccg_tdx_tcb_status *out,
				 struct ccg_error *err)
{
	const char *s = json_string_value(json_object_get(level, "tcbStatus"));

	if (!ccg_tdx_tcb_status_parse(s, out))
		return ccg_error_set(err, CCG_ERR_MALFORMED, where, "unknown tcbStatus \"%.40s\"", s ? s : "");
	return CCG_OK;
}

static enum ccg_status check_crl(X509_CRL *crl, X509 *issuer, X509 *subject, const char *what, const char *where,
				 struct ccg_error *err)
{
	enum ccg_status st = ccg_crl_verify_issuer(crl, issuer, where, err);

	return st != CCG_OK ? st : ccg_crl_check_cert(crl, subject, what, where, err);
}

/* the TCB level: first whose SGX and TDX components the platform meets */
static enum ccg_status platform_tcb(const json_t *ti, const struct ccg_tdx_quote *q, const struct pck_info *pck,
				    struct ccg_tdx_result *out, struct ccg_error *err)
{
	static const char *where = "tdx.tcb_info.tcbLevels";
	const json_t *levels = json_object_get(ti, "tcbLevels");
	size_t i;
	const json_t *lvl;
	size_t tdx_from = q->body.tee_tcb_svn[1] > 0 ? 2 : 0; /* module 1.5+: its SVN is the module identity's */

	if (!json_is_array(levels) || json_array_size(levels) == 0 || json_array_size(levels) > MAX_TCB_LEVELS)
		return ccg_error_set(err, CCG_ERR_MALFORMED, where, "not a non-empty array");
	json_array_foreach(levels, i, lvl) {
		const json_t *tcb = json_object_get(lvl, "tcb");
		const json_t *sgx = json_object_get(tcb, "sgxtcbcomponents");
		const json_t *tdx = json_object_get(tcb, "tdxtcbcomponents");
		json_int_t pcesvn = json_integer_value(json_object_get(tcb, "pcesvn"));
		bool ok = json_is_array(sgx) && json_array_size(sgx) == 16 && json_is_array(tdx) &&
			  json_array_size(tdx) == 16 && json_is_integer(json_object_get(tcb, "pcesvn"));

		for (size_t c = 0; ok && c < 16; c++) {
			const json_t *sv = json_object_get(json_array_get(sgx, c), "svn");
			const json_t *tv = json_object_get(json_array_get(tdx, c), "svn");

			if (!json_is_integer(sv) || !json_is_integer(tv))
				return ccg_error_set(err, CCG_ERR_MALFORMED, where, "level %zu component %zu", i, c);
			if (pck->comp_svn[c] < json_integer_value(sv))
				ok = false;
			if (c >= tdx_from && q->body.tee_tcb_svn[c] < json_integer_value(tv))
				ok = false;
		}
		if (!ok || pck->pcesvn < pcesvn)
			continue;
		{
			enum ccg_status st = status_of(lvl, where, &out->tcb_status, err);
			const char *date = json_string_value(json_object_get(lvl, "tcbDate"));
			const json_t *adv = json_object_get(lvl, "advisoryIDs");

			if (st != CCG_OK)
				return st;
			snprintf(out->tcb_date, sizeof(out->tcb_date), "%.20s", date != NULL ? date : "");
			if (json_is_array(adv))
				json_array_extend(out->advisories, (json_t *)adv);
			return CCG_OK;
		}
	}
	return ccg_error_set(err, CCG_ERR_MEASUREMENT_MISMATCH, where,
			     "the platform's TCB is below every level of the TCB info");
}

static bool masked_equal(const uint8_t *v, const uint8_t *mask, const uint8_t *want, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if ((v[i] & mask[i]) != want[i])
			return false;
	return true;
}

bool ccg_tdx_miscselect_matches(uint32_t miscselect, const uint8_t want[4], const uint8_t mask[4])
{
	uint8_t v[4];
	struct ccg_writer w;

	/* the identity's hex is the u32 written most significant byte first */
	ccg_writer_init_fixed(&w, v, sizeof(v));
	if (!ccg_writer_put_u32be(&w, miscselect))
		return false;
	return masked_equal(v, mask, want, sizeof(v));
}

static enum ccg_status module_tcb(const json_t *ti, const struct ccg_tdx_quote *q, struct ccg_tdx_result *out,
				  struct ccg_error *err)
{
	static const char *where = "tdx.tcb_info.tdxModule";
	uint8_t signer[48], attr[8], mask[8];
	const json_t *m = json_object_get(ti, "tdxModule");
	const json_t *ids = json_object_get(ti, "tdxModuleIdentities");
	char id[16];
	size_t i;
	const json_t *e;

	out->module_status = CCG_TDX_TCB_UP_TO_DATE;
	if (q->body.tee_tcb_svn[1] > 0 && json_is_array(ids)) {
		snprintf(id, sizeof(id), "TDX_%02X", q->body.tee_tcb_svn[1]);
		m = NULL;
		json_array_foreach(ids, i, e) {
			if (json_is_string(json_object_get(e, "id")) &&
			    strcmp(json_string_value(json_object_get(e, "id")), id) == 0)
				m = e;
		}
		if (m == NULL)
			return ccg_error_set(err, CCG_ERR_MEASUREMENT_MISMATCH, "tdx.tcb_info.tdxModuleIdentities",
					     "no identity for module %s", id);
	}
	if (!json_is_object(m) || !hex_field(m, "mrsigner", signer, 48) || !hex_field(m, "attributes", attr, 8) ||
	    !hex_field(m, "attributesMask", mask, 8))
		return ccg_error_set(err, CCG_ERR_MALFORMED, where, "mrsigner, attributes or attributesMask");
	if (!ccg_ct_equal(signer, q->body.mrsignerseam, 48))
		return ccg_error_set(err, CCG_ERR_MEASUREMENT_MISMATCH, "tdx.mrsignerseam",
				     "the TDX module is not signed by the signer in the TCB info");
	if (!masked_equal(q->body.seam_attributes, mask, attr, 8))
		return ccg_error_set(err, CCG_ERR_MEASUREMENT_MISMATCH, "tdx.seam_attributes",
				     "SEAM attributes differ from the TCB info");
	if (json_is_array(json_object_get(m, "tcbLevels"))) {
		bool found = false;

		json_array_foreach(json_object_get(m, "tcbLevels"), i, e) {
			json_int_t svn = json_integer_value(json_object_get(json_object_get(e, "tcb"), "isvsvn"));

			if (!found && q->body.tee_tcb_svn[0] >= svn) {
				enum ccg_status st =
					status_of(e, "tdx.tcb_info.tdxModuleIdentities", &out->module_status, err);

				if (st != CCG_OK)
					return st;
				found = true;
			}
		}
		if (!found)
			return ccg_error_set(err, CCG_ERR_MEASUREMENT_MISMATCH, "tdx.tee_tcb_svn",
					     "TDX module SVN %u is below every level", q->body.tee_tcb_svn[0]);
	}
	return CCG_OK;
}

static enum ccg_status qe_tcb(const json_t *qi, const struct ccg_tdx_quote *q, struct ccg_tdx_result *out,
			      struct ccg_error *err)
{
	static const char *where = "tdx.qe_identity";
	uint8_t misc[4], miscmask[4], attr[16], amask[16], signer[32];
	const json_t *e;
	size_t i;
	bool found = false;
	const char *id = json_string_value(json_object_get(qi, "id"));

	if (id == NULL || strcmp(id, "TD_QE") != 0)
		return ccg_error_set(err, CCG_ERR_MALFORMED, where, "id is not TD_QE");
	if (!hex_field(qi, "miscselect", misc, 4) || !hex_field(qi, "miscselectMask", miscmask, 4) ||
	    !hex_field(qi, "attributes", attr, 16) || !hex_field(qi, "attributesMask", amask, 16) ||
	    !hex_field(qi, "mrsigner", signer, 32) || !json_is_integer(json_object_get(qi, "isvprodid")))
		return ccg_error_set(err, CCG_ERR_MALFORMED, where, "a field is missing or malformed");
	if (!ccg_tdx_miscselect_matches(q->qe_report.miscselect, misc, miscmask) ||
	    !masked_equal(q->qe_report.attributes, amask, attr, 16))
		return ccg_error_set(err, CCG_ERR_MEASUREMENT_MISMATCH, "tdx.qe_report.attributes",
				     "the QE's miscselect or attributes differ from the QE identity");
	if (!ccg_ct_equal(signer, q->qe_report.mrsigner, 32))
		return ccg_error_set(err, CCG_ERR_MEASUREMENT_MISMATCH, "tdx.qe_report.mrsigner",
				     "the QE is not signed by Intel's QE signer");
	if (json_integer_value(json_object_get(qi, "isvprodid")) != q->qe_report.isvprodid)
		return ccg_error_set(err, CCG_ERR_MEASUREMENT_MISMATCH, "tdx.qe_report.isvprodid", "QE product id %u",
				     q->qe_report.isvprodid);
	json_array_foreach(json_object_get(qi, "tcbLevels"), i, e) {
		json_int_t svn = json_integer_value(json_object_get(json_object_get(e, "tcb"), "isvsvn"));

		if (!found && q->qe_report.isvsvn >= svn) {
			enum ccg_status st = status_of(e, where, &out->qe_status, err);

			if (st != CCG_OK)
				return st;
			found = true;
		}
	}
	if (!found)
		return ccg_error_set(err, CCG_ERR_MEASUREMENT_MISMATCH, "tdx.qe_report.isvsvn",
				     "QE SVN %u is below every level", q->qe_report.isvsvn);
	return CCG_OK;
}

static enum ccg_status appraise_collateral(const struct ccg_tdx_quote *q, const struct ccg_tdx_verify_opts *o,
					   STACK_OF(X509) *pck_chain, const struct pck_info *pck,
					   struct ccg_tdx_result *out, struct ccg_error *err)
{
	const struct ccg_tdx_collateral *c = o->collateral;
	/*
	 * Intel renews the TCB signing certificate with the same key, and PCS
	 * issuer chains found beside old collateral carry expired copies: the
	 * chain must verify, and its expiry is reported (and refused only with
	 * require_fresh_collateral), like the collateral's own nextUpdate.
	 */
	struct ccg_chain_opts co = {
		.anchor = o->root, .now = o->now, .name = "TCB signing chain", .ignore_expiry = true};
	struct ccg_chain_result cr, qcr = {.expired = false};
	STACK_OF(X509) *qe_chain = c->qe_signing_chain != NULL ? c->qe_signing_chain : c->signing_chain;
	json_t *ti = NULL, *qi = NULL;
	int64_t now = o->now != 0 ? o->now : (int64_t)time(NULL);
	uint8_t fmspc[6], pceid[2];
	enum ccg_status st;
	json_int_t ver;

	if (c->tcb_info_body == NULL || c->qe_identity_body == NULL || c->signing_chain == NULL)
		return ccg_error_set(err, CCG_ERR_INVALID_ARG, "tdx.collateral",
				     "TCB info, QE identity and the TCB signing chain are all needed");
	if ((st = ccg_chain_verify(c->signing_chain, &co, &cr, err)) != CCG_OK)
		return st;
	if (c->qe_signing_chain != NULL) {
		co.name = "QE identity signing chain";
		if ((st = ccg_chain_verify(c->qe_signing_chain, &co, &qcr, err)) != CCG_OK)
			return st;
	}
	if ((st = signed_json(c->tcb_info_body, c->tcb_info_len, "tcbInfo", sk_X509_value(c->signing_chain, 0),
			      "tdx.tcb_info.signature", &ti, err)) != CCG_OK ||
	    (st = signed_json(c->qe_identity_body, c->qe_identity_len, "enclaveIdentity", sk_X509_value(qe_chain, 0),
			      "tdx.qe_identity.signature", &qi, err)) != CCG_OK)
		goto out;
	ver = json_integer_value(json_object_get(ti, "version"));
	if (!json_is_string(json_object_get(ti, "id")) ||
	    strcmp(json_string_value(json_object_get(ti, "id")), "TDX") != 0 || ver != 3) {
		st = ccg_error_set(err, CCG_ERR_UNSUPPORTED, "tdx.tcb_info.version", "need a TDX TCB info version 3");
		goto out;
	}
	if (!hex_field(ti, "fmspc", fmspc, 6) || !hex_field(ti, "pceId", pceid, 2)) {
		st = ccg_error_set(err, CCG_ERR_MALFORMED, "tdx.tcb_info.fmspc", "fmspc or pceId");
		goto out;
	}
	if (memcmp(fmspc, pck->fmspc, 6) != 0 || memcmp(pceid, pck->pceid, 2) != 0) {
		st = ccg_error_set(err, CCG_ERR_MEASUREMENT_MISMATCH, "tdx.tcb_info.fmspc",
				   "the TCB info is for another platform than the PCK certificate");
		goto out;
	}
	ccg_hex_encode(pck->fmspc, 6, out->fmspc);
	out->signer_expired = cr.expired || qcr.expired;
	out->collateral_stale = stale_at(ti, now) || stale_at(qi, now) || out->signer_expired;
	if (c->pck_crl != NULL && c->root_crl != NULL) {
		int n = sk_X509_num(pck_chain);
		X509 *ca = n > 1 ? sk_X509_value(pck_chain, 1) : NULL;

		if (ca == NULL) {
			st = ccg_error_set(err, CCG_ERR_CERT_CHAIN, "tdx.pck_crl", "no PCK CA in the chain");
			goto out;
		}
		if ((st = check_crl(c->pck_crl, ca, sk_X509_value(pck_chain, 0), "PCK", "tdx.pck_crl", err)) !=
			    CCG_OK ||
		    (st = check_crl(c->root_crl, o->root, ca, "PCK CA", "tdx.root_crl", err)) != CCG_OK ||
		    (st = check_crl(c->root_crl, o->root, sk_X509_value(c->signing_chain, 0), "TCB signing certificate",
				    "tdx.root_crl", err)) != CCG_OK ||
		    (c->qe_signing_chain != NULL &&
		     (st = check_crl(c->root_crl, o->root, sk_X509_value(c->qe_signing_chain, 0),
				     "QE identity signing certificate", "tdx.root_crl", err)) != CCG_OK))
			goto out;
		out->collateral_stale =
			out->collateral_stale || ccg_crl_stale(c->pck_crl, now) || ccg_crl_stale(c->root_crl, now);
	} else {
		out->collateral_stale = true; /* no revocation information */
	}
	if (out->collateral_stale && o->require_fresh_collateral) {
		st = ccg_error_set(err, CCG_ERR_OCSP_STALE, "tdx.collateral",
				   "collateral or CRLs are past nextUpdate (or CRLs are missing)");
		goto out;
	}
	if ((st = platform_tcb(ti, q, pck, out, err)) != CCG_OK || (st = module_tcb(ti, q, out, err)) != CCG_OK ||
	    (st = qe_tcb(qi, q, out, err)) != CCG_OK)
		goto out;
	out->tcb_known = true;
	out->overall = out->tcb_status;
	if (out->module_status > out->overall)
		out->overall = out->module_status;
	if (out->qe_status > out->overall)
		out->overall = out->qe_status;
	if (out->overall == CCG_TDX_TCB_REVOKED)
		st = ccg_error_set(err, CCG_ERR_REVOKED, "tdx.tcb_status", "the TCB level is revoked");
out:
	json_decref(ti);
	json_decref(qi);
	return st;
}

enum ccg_status ccg_tdx_quote_verify(const struct ccg_tdx_quote *q, const struct ccg_tdx_verify_opts *opts,
				     struct ccg_tdx_result *out, struct ccg_error *err)
{
	struct ccg_tdx_verify_opts with_root;
	const struct ccg_tdx_verify_opts *o = opts;
	X509 *builtin = NULL;
	STACK_OF(X509) *chain = NULL;
	EVP_PKEY *ak = NULL;
	struct ccg_chain_opts co;
	struct ccg_chain_result cr;
	struct pck_info pck;
	uint8_t h[CCG_SHA256_LEN], zero[32] = {0};
	EVP_MD_CTX *md = NULL;
	unsigned int hl = 0;
	enum ccg_status st;

	memset(out, 0, sizeof(*out));
	out->advisories = json_array();
	if (out->advisories == NULL)
		return CCG_ERR_NOMEM;
	if (o == NULL)
		return ccg_error_set(err, CCG_ERR_INVALID_ARG, "tdx", "no options");
	if (o->root == NULL) { /* the built-in Intel SGX Root CA */
		if ((st = ccg_intel_builtin_root(&builtin, err)) != CCG_OK)
			return st;
		with_root = *o;
		with_root.root = builtin;
		o = &with_root;
	}
	/* 1. the quote signature with the attestation key */
	if ((st = p256_key(q->att_key, &ak, err)) != CCG_OK)
		goto out;
	if ((st = ccg_ecdsa_verify_raw(ak, "SHA256", q->signed_data, q->signed_len, q->quote_sig, 64,
				       "tdx.quote.signature", err)) != CCG_OK)
		goto out;
	/* 2. the PCK chain */
	if ((st = ccg_pem_certs_parse(q->pck_chain_pem, q->pck_chain_len, 4, &chain, err)) != CCG_OK)
		goto out;
	memset(&co, 0, sizeof(co));
	co.anchor = o->root;
	co.now = o->now;
	co.name = "PCK chain";
	if ((st = ccg_chain_verify(chain, &co, &cr, err)) != CCG_OK)
		goto out;
	/* 3. the QE report signed by the PCK, its report data binding the attestation key */
	if ((st = ccg_ecdsa_verify_raw(X509_get0_pubkey(sk_X509_value(chain, 0)), "SHA256", q->qe_report.raw,
				       sizeof(q->qe_report.raw), q->qe_report_sig, 64, "tdx.qe_report.signature",
				       err)) != CCG_OK)
		goto out;
	md = EVP_MD_CTX_new();
	if (md == NULL || EVP_DigestInit_ex(md, EVP_sha256(), NULL) != 1 ||
	    EVP_DigestUpdate(md, q->att_key, sizeof(q->att_key)) != 1 ||
	    EVP_DigestUpdate(md, q->qe_auth_data, q->qe_auth_len) != 1 || EVP_DigestFinal_ex(md, h, &hl) != 1) {
		st = ccg_openssl_error(err, CCG_ERR_CRYPTO, "tdx.qe_report.data", "SHA-256");
		goto out;
	}
	if (!ccg_ct_equal(h, q->qe_report.report_data, 32) || !ccg_ct_equal(zero, q->qe_report.report_data + 32, 32)) {
		st = ccg_error_set(err, CCG_ERR_SIGNATURE, "tdx.qe_report.data",
				   "QE report data is not SHA-256(attestation key ‖ auth data) ‖ zeros");
		goto out;
	}
	if ((st = pck_extension(sk_X509_value(chain, 0), &pck, err)) != CCG_OK)
		goto out;
	/* 4. collateral and TCB status */
	if (o->collateral != NULL && (st = appraise_collateral(q, o, chain, &pck, out, err)) != CCG_OK)
		goto out;
	if (o->collateral == NULL) {
		out->collateral_stale = true; /* no TCB info, QE identity or CRLs: nothing current */
		if (o->require_fresh_collateral) {
			st = ccg_error_set(
				err, CCG_ERR_OCSP_STALE, "tdx.collateral",
				"no TDX collateral (TCB info, QE identity, CRLs) and fresh collateral is required");
			goto out;
		}
	}
	if (o->report_data != NULL && !ccg_ct_equal(o->report_data, q->body.report_data, 64))
		st = ccg_error_set(err, CCG_ERR_NONCE_MISMATCH, "tdx.report_data",
				   "report_data is not the expected value");
out:
	EVP_MD_CTX_free(md);
	EVP_PKEY_free(ak);
	sk_X509_pop_free(chain, X509_free);
	X509_free(builtin);
	return st;
}
