/* SPDX-License-Identifier: Apache-2.0 */
/* TPM 2.0 quote verification on tpm2-tss's unmarshalling (libtss2-mu) and OpenSSL. */
#include "attest/cpu/tpm.h"

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/param_build.h>
#include <openssl/rsa.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <tss2/tss2_mu.h>

#include "common/crypto.h"
#include "common/encoding.h"
#include "common/error.h"
#include "common/json.h"

void ccg_tpm_quote_cleanup(struct ccg_tpm_quote *q)
{
	free(q->attest);
	free(q->signature);
	memset(q, 0, sizeof(*q));
}

/* hex, else base64 */
static enum ccg_status decode_blob(const json_t *v, size_t max, uint8_t **out, size_t *out_len)
{
	const char *s = json_string_value(v);
	enum ccg_status st;

	if (s == NULL)
		return CCG_ERR_MALFORMED;
	st = ccg_hex_decode(s, strlen(s), max, out, out_len);
	if (st == CCG_ERR_ENCODING)
		st = ccg_base64_decode(s, strlen(s), max, out, out_len);
	return st;
}

enum ccg_status ccg_tpm_quote_from_json(const json_t *obj, const char *where, struct ccg_tpm_quote *q,
					struct ccg_error *err)
{
	const json_t *pcrs = json_object_get(obj, "pcrs"), *v;
	char w[CCG_ERROR_WHERE_MAX];
	enum ccg_status st;
	size_t i;

	memset(q, 0, sizeof(*q));
	if (!json_is_object(obj))
		return ccg_error_set(err, CCG_ERR_MALFORMED, where, "not a JSON object");
	snprintf(w, sizeof(w), "%s.message", where);
	if ((st = decode_blob(json_object_get(obj, "message"), CCG_TPM_MAX_ATTEST, &q->attest, &q->attest_len)) !=
	    CCG_OK) {
		ccg_error_set(err, st, w, "hex or base64 TPMS_ATTEST (at most %d bytes)", CCG_TPM_MAX_ATTEST);
		goto fail;
	}
	snprintf(w, sizeof(w), "%s.signature", where);
	if ((st = decode_blob(json_object_get(obj, "signature"), CCG_TPM_MAX_SIGNATURE, &q->signature,
			      &q->signature_len)) != CCG_OK) {
		ccg_error_set(err, st, w, "hex or base64 TPMT_SIGNATURE");
		goto fail;
	}
	snprintf(w, sizeof(w), "%s.pcrs", where);
	if (!json_is_array(pcrs) || json_array_size(pcrs) == 0 || json_array_size(pcrs) > CCG_TPM_MAX_PCRS) {
		st = ccg_error_set(err, CCG_ERR_MALFORMED, w, "1 to %d PCR values", CCG_TPM_MAX_PCRS);
		goto fail;
	}
	json_array_foreach(pcrs, i, v) {
		const char *s = json_string_value(v);
		size_t n = s != NULL ? strlen(s) / 2 : 0;

		if (i == 0) {
			q->pcr_len = n;
			q->pcr_alg = n == 20 ? 0x0004 : n == 32 ? 0x000B : n == 48 ? 0x000C : n == 64 ? 0x000D : 0;
		}
		if (s == NULL || q->pcr_alg == 0 || n != q->pcr_len ||
		    ccg_hex_decode_fixed(s, strlen(s), q->pcrs[i], n) != CCG_OK) {
			st = ccg_error_set(err, CCG_ERR_MALFORMED, w, "PCR %zu is not a hex digest like PCR 0", i);
			goto fail;
		}
	}
	q->pcr_count = json_array_size(pcrs);
	return CCG_OK;
fail:
	ccg_tpm_quote_cleanup(q);
	return st;
}

static const char *md_of(uint16_t alg, size_t *len)
{
	switch (alg) {
	case 0x0004: *len = 20; return "SHA1";
	case 0x000B: *len = 32; return "SHA256";
	case 0x000C: *len = 48; return "SHA384";
	case 0x000D: *len = 64; return "SHA512";
	default: *len = 0; return NULL;
	}
}

static enum ccg_status unmarshal_attest(const uint8_t *b, size_t len, TPMS_ATTEST *a, struct ccg_error *err)
{
	size_t off = 0;

	memset(a, 0, sizeof(*a));
	if (Tss2_MU_TPMS_ATTEST_Unmarshal(b, len, &off, a) != TSS2_RC_SUCCESS)
		return ccg_error_set(err, CCG_ERR_MALFORMED, "tpm.attest", "not a TPMS_ATTEST (%zu bytes)", len);
	if (off != len)
		return ccg_error_set(err, CCG_ERR_TRAILING_DATA, "tpm.attest", "%zu bytes after TPMS_ATTEST",
				     len - off);
	if (a->magic != TPM2_GENERATED_VALUE)
		return ccg_error_set(err, CCG_ERR_MALFORMED, "tpm.attest.magic", "0x%08x is not TPM_GENERATED_VALUE",
				     a->magic);
	if (a->type != TPM2_ST_ATTEST_QUOTE)
		return ccg_error_set(err, CCG_ERR_UNSUPPORTED, "tpm.attest.type", "0x%04x is not a quote", a->type);
	return CCG_OK;
}

enum ccg_status ccg_tpm_attest_parse(const uint8_t *attest, size_t len, struct ccg_tpm_quote_info *out,
				     struct ccg_error *err)
{
	TPMS_ATTEST a;
	enum ccg_status st = unmarshal_attest(attest, len, &a, err);
	const TPML_PCR_SELECTION *sel = &a.attested.quote.pcrSelect;

	memset(out, 0, sizeof(*out));
	if (st != CCG_OK)
		return st;
	if (a.extraData.size > sizeof(out->extra_data))
		return ccg_error_set(err, CCG_ERR_TOO_LARGE, "tpm.attest.extraData", "%u bytes", a.extraData.size);
	memcpy(out->extra_data, a.extraData.buffer, a.extraData.size);
	out->extra_data_len = a.extraData.size;
	out->clock = a.clockInfo.clock;
	out->reset_count = a.clockInfo.resetCount;
	out->restart_count = a.clockInfo.restartCount;
	out->safe = a.clockInfo.safe != 0;
	out->firmware_version = a.firmwareVersion;
	if (sel->count != 1)
		return ccg_error_set(err, CCG_ERR_UNSUPPORTED, "tpm.attest.pcrSelect",
				     "%u PCR banks quoted (ccgpu takes exactly one)", sel->count);
	if (sel->pcrSelections[0].sizeofSelect > 3 || sel->pcrSelections[0].sizeofSelect < 1)
		return ccg_error_set(err, CCG_ERR_UNSUPPORTED, "tpm.attest.pcrSelect", "select of %u bytes",
				     sel->pcrSelections[0].sizeofSelect);
	out->pcr_select_alg = sel->pcrSelections[0].hash;
	for (unsigned i = 0; i < sel->pcrSelections[0].sizeofSelect; i++)
		out->pcr_select_mask |= (uint32_t)sel->pcrSelections[0].pcrSelect[i] << (8 * i);
	return CCG_OK;
}

static enum ccg_status verify_sig(const TPMT_SIGNATURE *s, EVP_PKEY *ak, const uint8_t *msg, size_t len,
				  struct ccg_error *err)
{
	static const char *where = "tpm.signature";
	EVP_MD_CTX *ctx = NULL;
	EVP_PKEY_CTX *pctx = NULL;
	ECDSA_SIG *es = NULL;
	BIGNUM *r = NULL, *sv = NULL;
	unsigned char *der = NULL;
	const uint8_t *sig = NULL;
	size_t sig_len = 0, hl;
	int der_len, rc;
	const char *md;
	uint16_t halg;
	enum ccg_status st = CCG_OK;

	switch (s->sigAlg) {
	case TPM2_ALG_RSASSA:
	case TPM2_ALG_RSAPSS:
		halg = s->signature.rsassa.hash;
		sig = s->signature.rsassa.sig.buffer;
		sig_len = s->signature.rsassa.sig.size;
		if (EVP_PKEY_get_base_id(ak) != EVP_PKEY_RSA)
			return ccg_error_set(err, CCG_ERR_UNSUPPORTED, where, "an RSA signature for a non-RSA key");
		break;
	case TPM2_ALG_ECDSA:
		halg = s->signature.ecdsa.hash;
		if (EVP_PKEY_get_base_id(ak) != EVP_PKEY_EC)
			return ccg_error_set(err, CCG_ERR_UNSUPPORTED, where, "an ECDSA signature for a non-EC key");
		es = ECDSA_SIG_new();
		r = BN_bin2bn(s->signature.ecdsa.signatureR.buffer, s->signature.ecdsa.signatureR.size, NULL);
		sv = BN_bin2bn(s->signature.ecdsa.signatureS.buffer, s->signature.ecdsa.signatureS.size, NULL);
		if (es == NULL || r == NULL || sv == NULL || ECDSA_SIG_set0(es, r, sv) != 1) {
			BN_free(r);
			BN_free(sv);
			st = ccg_openssl_error(err, CCG_ERR_NOMEM, where, "ECDSA_SIG");
			goto out;
		}
		r = sv = NULL;
		der_len = i2d_ECDSA_SIG(es, &der);
		if (der_len <= 0) {
			st = ccg_openssl_error(err, CCG_ERR_CRYPTO, where, "i2d_ECDSA_SIG");
			goto out;
		}
		sig = der;
		sig_len = (size_t)der_len;
		break;
	default: return ccg_error_set(err, CCG_ERR_UNSUPPORTED, where, "signature scheme 0x%04x", s->sigAlg);
	}
	md = md_of(halg, &hl);
	if (md == NULL || halg == 0x0004) {
		st = ccg_error_set(err, CCG_ERR_UNSUPPORTED, where, "hash 0x%04x (SHA-256/384/512 only)", halg);
		goto out;
	}
	ctx = EVP_MD_CTX_new();
	if (ctx == NULL || EVP_DigestVerifyInit_ex(ctx, &pctx, md, NULL, NULL, ak, NULL) != 1) {
		st = ccg_openssl_error(err, CCG_ERR_CRYPTO, where, "EVP_DigestVerifyInit_ex");
		goto out;
	}
	if (s->sigAlg == TPM2_ALG_RSAPSS && (EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) != 1 ||
					     EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, RSA_PSS_SALTLEN_AUTO) != 1)) {
		st = ccg_openssl_error(err, CCG_ERR_CRYPTO, where, "PSS parameters");
		goto out;
	}
	rc = EVP_DigestVerify(ctx, sig, sig_len, msg, len);
	if (rc == 1)
		st = CCG_OK;
	else if (rc == 0)
		st = ccg_error_set(err, CCG_ERR_SIGNATURE, where, "the quote signature does not verify with the AK");
	else
		st = ccg_openssl_error(err, CCG_ERR_SIGNATURE, where, "the quote signature is rejected");
out:
	ERR_clear_error();
	OPENSSL_free(der);
	ECDSA_SIG_free(es);
	EVP_MD_CTX_free(ctx);
	return st;
}

enum ccg_status ccg_tpm_quote_verify(const struct ccg_tpm_quote *q, EVP_PKEY *ak, const uint8_t *nonce,
				     size_t nonce_len, struct ccg_tpm_quote_info *out, struct ccg_error *err)
{
	TPMS_ATTEST a;
	TPMT_SIGNATURE sig;
	size_t off = 0, hl = 0, pl = 0;
	uint8_t digest[EVP_MAX_MD_SIZE];
	unsigned int dl = 0;
	EVP_MD_CTX *ctx = NULL;
	const char *md;
	enum ccg_status st;

	if (ak == NULL)
		return ccg_error_set(err, CCG_ERR_INVALID_ARG, "tpm.ak", "no attestation key");
	if ((st = ccg_tpm_attest_parse(q->attest, q->attest_len, out, err)) != CCG_OK ||
	    (st = unmarshal_attest(q->attest, q->attest_len, &a, err)) != CCG_OK)
		return st;
	memset(&sig, 0, sizeof(sig));
	if (EVP_PKEY_get_base_id(ak) == EVP_PKEY_RSA && q->signature_len == (size_t)EVP_PKEY_get_size(ak) &&
	    q->signature_len <= sizeof(sig.signature.rsassa.sig.buffer)) {
		/*
		 * A bare RSA signature of the modulus size (Azure's vTPM quote
		 * format) is RSASSA-PKCS1-v1_5 with SHA-256; a TPMT_SIGNATURE
		 * carries 6 more bytes, so the two cannot be confused.
		 */
		sig.sigAlg = TPM2_ALG_RSASSA;
		sig.signature.rsassa.hash = TPM2_ALG_SHA256;
		sig.signature.rsassa.sig.size = (UINT16)q->signature_len;
		memcpy(sig.signature.rsassa.sig.buffer, q->signature, q->signature_len);
	} else {
		if (Tss2_MU_TPMT_SIGNATURE_Unmarshal(q->signature, q->signature_len, &off, &sig) != TSS2_RC_SUCCESS)
			return ccg_error_set(err, CCG_ERR_MALFORMED, "tpm.signature", "not a TPMT_SIGNATURE");
		if (off != q->signature_len)
			return ccg_error_set(err, CCG_ERR_TRAILING_DATA, "tpm.signature",
					     "%zu bytes after TPMT_SIGNATURE", q->signature_len - off);
	}
	out->sig_alg = sig.sigAlg;
	out->sig_hash = sig.signature.any.hashAlg;
	/* the signature first: nothing in the quote means anything before it */
	if ((st = verify_sig(&sig, ak, q->attest, q->attest_len, err)) != CCG_OK)
		return st;
	/* the PCR digest over the supplied bank, in selection order */
	if (md_of(out->pcr_select_alg, &pl) == NULL || out->pcr_select_alg != q->pcr_alg)
		return ccg_error_set(err, CCG_ERR_MEASUREMENT_MISMATCH, "tpm.pcr_digest",
				     "the quote selects bank 0x%04x, the PCRs given are bank 0x%04x",
				     out->pcr_select_alg, q->pcr_alg);
	md = md_of(out->sig_hash, &hl);
	ctx = EVP_MD_CTX_new();
	if (md == NULL || ctx == NULL || EVP_DigestInit_ex2(ctx, EVP_get_digestbyname(md), NULL) != 1) {
		st = ccg_openssl_error(err, CCG_ERR_CRYPTO, "tpm.pcr_digest", "digest init");
		goto out;
	}
	for (unsigned i = 0; i < 24; i++) {
		if ((out->pcr_select_mask & (1u << i)) == 0)
			continue;
		if (i >= q->pcr_count) {
			st = ccg_error_set(err, CCG_ERR_MEASUREMENT_MISMATCH, "tpm.pcr_digest",
					   "PCR %u is quoted but not supplied", i);
			goto out;
		}
		if (EVP_DigestUpdate(ctx, q->pcrs[i], q->pcr_len) != 1) {
			st = ccg_openssl_error(err, CCG_ERR_CRYPTO, "tpm.pcr_digest", "digest");
			goto out;
		}
	}
	if (EVP_DigestFinal_ex(ctx, digest, &dl) != 1) {
		st = ccg_openssl_error(err, CCG_ERR_CRYPTO, "tpm.pcr_digest", "digest");
		goto out;
	}
	if (a.attested.quote.pcrDigest.size != dl || !ccg_ct_equal(a.attested.quote.pcrDigest.buffer, digest, dl)) {
		st = ccg_error_set(err, CCG_ERR_MEASUREMENT_MISMATCH, "tpm.pcr_digest",
				   "the PCR values given are not the ones quoted");
		goto out;
	}
	if (nonce != NULL && (nonce_len != out->extra_data_len || !ccg_ct_equal(nonce, out->extra_data, nonce_len)))
		st = ccg_error_set(err, CCG_ERR_NONCE_MISMATCH, "tpm.extra_data",
				   "the quote's extraData (%zu bytes) is not the expected nonce", out->extra_data_len);
out:
	EVP_MD_CTX_free(ctx);
	return st;
}

enum ccg_status ccg_tpm_public_to_pkey(const uint8_t *b, size_t len, EVP_PKEY **out, struct ccg_error *err)
{
	static const char *where = "tpm.ak.public";
	TPM2B_PUBLIC pub;
	size_t off = 0;
	OSSL_PARAM_BLD *bld = NULL;
	OSSL_PARAM *params = NULL;
	EVP_PKEY_CTX *ctx = NULL;
	BIGNUM *n = NULL, *e = NULL;
	uint8_t pt[1 + 2 * 66];
	enum ccg_status st = CCG_OK;

	*out = NULL;
	memset(&pub, 0, sizeof(pub));
	if (Tss2_MU_TPM2B_PUBLIC_Unmarshal(b, len, &off, &pub) != TSS2_RC_SUCCESS || off != len)
		return ccg_error_set(err, CCG_ERR_MALFORMED, where, "not one TPM2B_PUBLIC");
	bld = OSSL_PARAM_BLD_new();
	if (bld == NULL)
		return CCG_ERR_NOMEM;
	if (pub.publicArea.type == TPM2_ALG_RSA) {
		uint32_t exp = pub.publicArea.parameters.rsaDetail.exponent;

		n = BN_bin2bn(pub.publicArea.unique.rsa.buffer, pub.publicArea.unique.rsa.size, NULL);
		e = BN_new();
		if (n == NULL || e == NULL || BN_set_word(e, exp != 0 ? exp : 65537) != 1 ||
		    OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, n) != 1 ||
		    OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, e) != 1) {
			st = ccg_openssl_error(err, CCG_ERR_CRYPTO, where, "RSA parameters");
			goto out;
		}
		ctx = EVP_PKEY_CTX_new_from_name(NULL, "RSA", NULL);
	} else if (pub.publicArea.type == TPM2_ALG_ECC) {
		const TPMS_ECC_POINT *p = &pub.publicArea.unique.ecc;
		uint16_t curve = pub.publicArea.parameters.eccDetail.curveID;
		const char *group = curve == TPM2_ECC_NIST_P256   ? "prime256v1"
				    : curve == TPM2_ECC_NIST_P384 ? "secp384r1"
								  : NULL;
		size_t fl = curve == TPM2_ECC_NIST_P256 ? 32 : 48;

		if (group == NULL || p->x.size > fl || p->y.size > fl) {
			st = ccg_error_set(err, CCG_ERR_UNSUPPORTED, where, "ECC curve 0x%04x", curve);
			goto out;
		}
		memset(pt, 0, sizeof(pt));
		pt[0] = 0x04;
		memcpy(pt + 1 + fl - p->x.size, p->x.buffer, p->x.size);
		memcpy(pt + 1 + 2 * fl - p->y.size, p->y.buffer, p->y.size);
		if (OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME, group, 0) != 1 ||
		    OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY, pt, 1 + 2 * fl) != 1) {
			st = ccg_openssl_error(err, CCG_ERR_CRYPTO, where, "EC parameters");
			goto out;
		}
		ctx = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL);
	} else {
		st = ccg_error_set(err, CCG_ERR_UNSUPPORTED, where, "key type 0x%04x", pub.publicArea.type);
		goto out;
	}
	params = OSSL_PARAM_BLD_to_param(bld);
	if (ctx == NULL || params == NULL || EVP_PKEY_fromdata_init(ctx) != 1 ||
	    EVP_PKEY_fromdata(ctx, out, EVP_PKEY_PUBLIC_KEY, params) != 1)
		st = ccg_openssl_error(err, CCG_ERR_MALFORMED, where, "not a valid public key");
out:
	BN_free(n);
	BN_free(e);
	OSSL_PARAM_free(params);
	OSSL_PARAM_BLD_free(bld);
	EVP_PKEY_CTX_free(ctx);
	return st;
}

enum ccg_status ccg_tpm_quote_claims(const struct ccg_tpm_quote *q, const struct ccg_tpm_quote_info *info, json_t **out)
{
	json_t *o = json_object(), *pcrs = json_object();
	char key[8], hex[129];
	enum ccg_status st = CCG_ERR_NOMEM;

	*out = NULL;
	if (o == NULL || pcrs == NULL)
		goto out;
	for (unsigned i = 0; i < 24 && i < q->pcr_count; i++) {
		if ((info->pcr_select_mask & (1u << i)) == 0)
			continue;
		snprintf(key, sizeof(key), "%u", i);
		ccg_hex_encode(q->pcrs[i], q->pcr_len, hex);
		if ((st = ccg_json_set_new(pcrs, key, json_string(hex))) != CCG_OK)
			goto out;
	}
	st = ccg_json_set_new(o, "tpm-pcrs", pcrs);
	pcrs = NULL;
	if (st != CCG_OK)
		goto out;
	ccg_hex_encode(info->extra_data, info->extra_data_len, hex);
	if ((st = ccg_json_set_new(o, "tpm-pcr-bank",
				   json_string(q->pcr_alg == 0x000B   ? "sha256"
					       : q->pcr_alg == 0x000C ? "sha384"
					       : q->pcr_alg == 0x0004 ? "sha1"
								      : "sha512"))) != CCG_OK ||
	    (st = ccg_json_set_new(o, "tpm-extra-data", json_string(hex))) != CCG_OK ||
	    (st = ccg_json_set_new(o, "tpm-clock", json_integer((json_int_t)info->clock))) != CCG_OK ||
	    (st = ccg_json_set_new(o, "tpm-reset-count", json_integer(info->reset_count))) != CCG_OK ||
	    (st = ccg_json_set_new(o, "tpm-restart-count", json_integer(info->restart_count))) != CCG_OK ||
	    (st = ccg_json_set_new(o, "tpm-clock-safe", json_boolean(info->safe))) != CCG_OK)
		goto out;
	*out = o;
	o = NULL;
out:
	json_decref(pcrs);
	json_decref(o);
	return st;
}
