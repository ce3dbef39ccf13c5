/* SPDX-License-Identifier: Apache-2.0 */
/* The public CPU TEE and composite verifier (include/ccgpu/cpu.h) over attest/cpu/composite.c. */
#include <jansson.h>
#include <openssl/pem.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "attest/cpu/composite.h"
#include "attest/cpu/snp.h"
#include "attest/cpu/tdx.h"
#include "attest/pki/x509_chain.h"
#include "ccgpu/cpu.h"
#include "common/crypto.h"
#include "common/cursor.h"
#include "common/encoding.h"
#include "common/error.h"
#include "common/file.h"
#include "common/json.h"

#define MAX_ANCHOR_PEM CCG_CPU_MAX_ANCHOR_PEM

struct ccg_cpu_verifier {
	X509 *ark, *intel_root;
	EVP_PKEY *tpm_ak;
	struct ccg_tdx_collateral *collateral;
	STACK_OF(X509_CRL) *amd_crls; /* at most one per issuer */
	bool tdx_crls;                /* the TDX collateral came with the PCK and root CA CRLs */
	bool require_fresh;
	struct ccg_gpu_verifier *gpu; /* borrowed */
};

struct ccg_cpu_result {
	json_t *claims;
	char tee[32];
	uint32_t skipped; /* CCG_CHECK_* */
};

enum ccg_status ccg_cpu_verifier_new(struct ccg_cpu_verifier **out)
{
	if (out == NULL)
		return CCG_ERR_INVALID_ARG;
	*out = calloc(1, sizeof(**out));
	return *out != NULL ? CCG_OK : CCG_ERR_NOMEM;
}

void ccg_cpu_verifier_free(struct ccg_cpu_verifier *v)
{
	if (v == NULL)
		return;
	X509_free(v->ark);
	X509_free(v->intel_root);
	EVP_PKEY_free(v->tpm_ak);
	ccg_tdx_collateral_free(v->collateral);
	sk_X509_CRL_pop_free(v->amd_crls, X509_CRL_free);
	free(v);
}

/* one PEM certificate */
static enum ccg_status one_cert(const uint8_t *pem, size_t len, const char *where, X509 **slot, struct ccg_error *err)
{
	STACK_OF(X509) *sk = NULL;
	enum ccg_status st;

	if (pem == NULL || len == 0 || len > MAX_ANCHOR_PEM)
		return ccg_error_set(err, CCG_ERR_INVALID_ARG, where, "a PEM certificate of at most %d bytes",
				     MAX_ANCHOR_PEM);
	if ((st = ccg_pem_certs_parse(pem, len, 1, &sk, err)) != CCG_OK)
		return st;
	if (sk_X509_num(sk) != 1) {
		sk_X509_pop_free(sk, X509_free);
		return ccg_error_set(err, CCG_ERR_ENCODING, where, "not one PEM certificate");
	}
	X509_free(*slot);
	*slot = sk_X509_pop(sk);
	sk_X509_free(sk);
	return CCG_OK;
}

/* a trust anchor's _file form: the file at path, read whole (at most MAX_ANCHOR_PEM bytes), given to its _pem form */
static enum ccg_status from_file(struct ccg_cpu_verifier *v, const char *path, const char *where,
				 enum ccg_status (*set_pem)(struct ccg_cpu_verifier *, const uint8_t *, size_t,
							    struct ccg_error *),
				 struct ccg_error *err)
{
	uint8_t *pem = NULL;
	size_t len = 0;
	enum ccg_status st;

	if (path == NULL)
		return ccg_error_set(err, CCG_ERR_INVALID_ARG, where, "no file given");
	if ((st = ccg_file_read(path, MAX_ANCHOR_PEM, &pem, &len, err)) == CCG_OK)
		st = set_pem(v, pem, len, err);
	free(pem);
	return st;
}

enum ccg_status ccg_cpu_verifier_set_amd_ark_pem(struct ccg_cpu_verifier *v, const uint8_t *pem, size_t len,
						 struct ccg_error *err)
{
	if (v == NULL)
		return ccg_error_set(err, CCG_ERR_INVALID_ARG, "cpu_verifier", "no verifier");
	return one_cert(pem, len, "amd_ark", &v->ark, err);
}

enum ccg_status ccg_cpu_verifier_set_amd_ark_file(struct ccg_cpu_verifier *v, const char *path, struct ccg_error *err)
{
	return from_file(v, path, "amd_ark", ccg_cpu_verifier_set_amd_ark_pem, err);
}

enum ccg_status ccg_cpu_verifier_set_intel_root_pem(struct ccg_cpu_verifier *v, const uint8_t *pem, size_t len,
						    struct ccg_error *err)
{
	if (v == NULL)
		return ccg_error_set(err, CCG_ERR_INVALID_ARG, "cpu_verifier", "no verifier");
	return one_cert(pem, len, "intel_root", &v->intel_root, err);
}

enum ccg_status ccg_cpu_verifier_set_intel_root_file(struct ccg_cpu_verifier *v, const char *path,
						     struct ccg_error *err)
{
	return from_file(v, path, "intel_root", ccg_cpu_verifier_set_intel_root_pem, err);
}

enum ccg_status ccg_cpu_verifier_set_tdx_collateral(struct ccg_cpu_verifier *v, const uint8_t *tcb_info,
						    size_t tcb_info_len, const uint8_t *qe_identity,
						    size_t qe_identity_len, const uint8_t *signing_chain,
						    size_t signing_chain_len, const uint8_t *pck_crl,
						    size_t pck_crl_len, const uint8_t *root_crl, size_t root_crl_len,
						    struct ccg_error *err)
{
	struct ccg_tdx_collateral *c = NULL;
	enum ccg_status st;

	if (v == NULL || tcb_info == NULL || qe_identity == NULL || signing_chain == NULL)
		return ccg_error_set(err, CCG_ERR_INVALID_ARG, "tdx_collateral",
				     "TCB info, QE identity and the TCB signing chain are required");
	if ((pck_crl == NULL) != (root_crl == NULL))
		return ccg_error_set(err, CCG_ERR_INVALID_ARG, "tdx_collateral.crls", "both CRLs or neither");
	if ((st = ccg_tdx_collateral_new(&c)) != CCG_OK) {
		ccg_error_set(err, st, "tdx_collateral", "out of memory");
		goto out;
	}
	if ((st = ccg_tdx_collateral_set_tcb_info(c, tcb_info, tcb_info_len, err)) != CCG_OK ||
	    (st = ccg_tdx_collateral_set_qe_identity(c, qe_identity, qe_identity_len, err)) != CCG_OK ||
	    (st = ccg_tdx_collateral_set_signing_chain(c, signing_chain, signing_chain_len, err)) != CCG_OK)
		goto out;
	if (pck_crl != NULL &&
	    (st = ccg_tdx_collateral_set_crls(c, pck_crl, pck_crl_len, root_crl, root_crl_len, err)) != CCG_OK)
		goto out;
	ccg_tdx_collateral_free(v->collateral);
	v->collateral = c;
	v->tdx_crls = pck_crl != NULL;
	c = NULL;
out:
	ccg_tdx_collateral_free(c);
	return st;
}

enum ccg_status ccg_cpu_verifier_add_amd_crl(struct ccg_cpu_verifier *v, const uint8_t *crl, size_t len,
					     struct ccg_error *err)
{
	X509_CRL *c = NULL;
	enum ccg_status st;
	int i;

	if (v == NULL)
		return ccg_error_set(err, CCG_ERR_INVALID_ARG, "cpu_verifier", "no verifier");
	if ((st = ccg_crl_parse(crl, len, "amd_crl", &c, err)) != CCG_OK)
		return st;
	if (v->amd_crls == NULL && (v->amd_crls = sk_X509_CRL_new_null()) == NULL) {
		X509_CRL_free(c);
		return ccg_error_set(err, CCG_ERR_NOMEM, "amd_crl", "out of memory");
	}
	for (i = 0; i < sk_X509_CRL_num(v->amd_crls); i++)
		if (X509_NAME_cmp(X509_CRL_get_issuer(sk_X509_CRL_value(v->amd_crls, i)), X509_CRL_get_issuer(c)) == 0)
			break;
	if (i < sk_X509_CRL_num(v->amd_crls)) {
		X509_CRL *old = sk_X509_CRL_value(v->amd_crls, i);

		(void)sk_X509_CRL_set(v->amd_crls, i, c); /* returns c */
		X509_CRL_free(old);
		return CCG_OK;
	}
	if (i == CCG_CPU_MAX_AMD_CRLS) {
		X509_CRL_free(c);
		return ccg_error_set(err, CCG_ERR_TOO_LARGE, "amd_crl", "CRLs of at most %d AMD roots",
				     CCG_CPU_MAX_AMD_CRLS);
	}
	if (sk_X509_CRL_push(v->amd_crls, c) <= 0) {
		X509_CRL_free(c);
		return ccg_error_set(err, CCG_ERR_NOMEM, "amd_crl", "out of memory");
	}
	return CCG_OK;
}

void ccg_cpu_verifier_set_require_fresh_collateral(struct ccg_cpu_verifier *v, bool require)
{
	if (v != NULL)
		v->require_fresh = require;
}

enum ccg_status ccg_cpu_verifier_set_tpm_ak_file(struct ccg_cpu_verifier *v, const char *path, struct ccg_error *err)
{
	return from_file(v, path, "tpm_ak", ccg_cpu_verifier_set_tpm_ak_pem, err);
}

enum ccg_status ccg_cpu_verifier_set_tpm_ak_pem(struct ccg_cpu_verifier *v, const uint8_t *pem, size_t len,
						struct ccg_error *err)
{
	BIO *bio;
	EVP_PKEY *k;

	if (v == NULL || pem == NULL || len == 0 || len > MAX_ANCHOR_PEM)
		return ccg_error_set(err, CCG_ERR_INVALID_ARG, "tpm_ak", "a PEM public key of at most %d bytes",
				     MAX_ANCHOR_PEM);
	bio = BIO_new_mem_buf(pem, (int)len);
	k = bio != NULL ? PEM_read_bio_PUBKEY(bio, NULL, NULL, NULL) : NULL;
	BIO_free(bio);
	if (k == NULL)
		return ccg_openssl_error(err, CCG_ERR_ENCODING, "tpm_ak", "not a PEM public key");
	EVP_PKEY_free(v->tpm_ak);
	v->tpm_ak = k;
	return CCG_OK;
}

void ccg_cpu_verifier_set_gpu_verifier(struct ccg_cpu_verifier *v, struct ccg_gpu_verifier *gpu)
{
	if (v != NULL)
		v->gpu = gpu;
}

/* the CCG_CHECK_* bits of a composite's GPU claims: every GPU's ccgpu-checks-skipped */
static uint32_t gpu_skipped(const json_t *gpu_claims)
{
	const char *key;
	json_t *gpu, *v;
	size_t i;
	uint32_t m = 0;

	json_object_foreach(json_object_get(gpu_claims, "submods"), key, gpu) {
		json_array_foreach(json_object_get(gpu, "ccgpu-checks-skipped"), i, v) {
			for (uint32_t bit = 1; (bit & CCG_CHECK_ALL) != 0; bit <<= 1)
				if (json_is_string(v) && strcmp(json_string_value(v), ccg_check_name(bit)) == 0)
					m |= bit;
		}
	}
	return m;
}

/* what the CPU appraisal did not check, from the verifier's configuration and the claims */
static uint32_t cpu_skipped(const struct ccg_cpu_verifier *v, const json_t *cpu_claims, bool bound)
{
	const char *tee = json_string_value(json_object_get(cpu_claims, "ccgpu-cpu-tee"));
	uint32_t m = bound ? 0 : CCG_CHECK_FRESHNESS;

	if (tee == NULL)
		return m;
	if ((strcmp(tee, "snp") == 0 || strcmp(tee, "azure-snp-vtpm") == 0) &&
	    !json_is_true(json_object_get(cpu_claims, "snp-crl-checked")))
		m |= CCG_CHECK_REVOCATION;
	if (strcmp(tee, "tdx") == 0) {
		if (v->collateral == NULL)
			m |= CCG_CHECK_TCB_STATUS;
		if (v->collateral == NULL || !v->tdx_crls)
			m |= CCG_CHECK_REVOCATION;
	}
	return m;
}

static enum ccg_status new_result(const struct ccg_cpu_verifier *v, json_t *claims, bool composite, bool bound,
				  struct ccg_cpu_result **out)
{
	struct ccg_cpu_result *r = calloc(1, sizeof(*r));
	const json_t *cpu_claims = composite ? json_object_get(claims, "cpu") : claims;
	const char *tee = json_string_value(json_object_get(cpu_claims, "ccgpu-cpu-tee"));

	if (r == NULL)
		return CCG_ERR_NOMEM;
	snprintf(r->tee, sizeof(r->tee), "%s", tee != NULL ? tee : "");
	r->skipped = cpu_skipped(v, cpu_claims, bound);
	if (composite)
		r->skipped |= gpu_skipped(json_object_get(claims, "gpu"));
	r->claims = claims;
	*out = r;
	return CCG_OK;
}

/* shared by both appraisals: the document parsed once to find the CPU member, the options from v */
static enum ccg_status appraise(const struct ccg_cpu_verifier *v, const uint8_t *doc, size_t len, bool composite,
				const uint8_t *value, size_t value_len, int64_t now, struct ccg_cpu_result **out,
				struct ccg_error *err)
{
	struct ccg_composite_opts o;
	json_t *d = NULL, *claims = NULL;
	const json_t *cpu;
	enum ccg_status st;

	if (out == NULL)
		return ccg_error_set(err, CCG_ERR_INVALID_ARG, "cpu_verifier", "no output");
	*out = NULL;
	if (v == NULL || doc == NULL)
		return ccg_error_set(err, CCG_ERR_INVALID_ARG, "cpu_verifier", "no verifier or no evidence");
	if ((st = ccg_time_resolve(now, "now", &now, err)) != CCG_OK)
		return st;
	if ((st = ccg_json_parse(doc, len, CCG_COMPOSITE_MAX, composite ? "composite" : "cpu", &d, err)) != CCG_OK)
		return st;
	cpu = json_object_get(d, "cpu") != NULL ? json_object_get(d, "cpu") : d;
	memset(&o, 0, sizeof(o));
	o.now = now;
	o.ark = v->ark;               /* NULL: a pinned AMD ARK, given or built in (ccg_snp_chain_select) */
	o.intel_root = v->intel_root; /* NULL: the built-in Intel SGX Root CA */
	o.amd_crls = v->amd_crls;
	o.require_fresh_collateral = v->require_fresh;
	o.tdx_collateral = v->collateral;
	o.trusted_ak = v->tpm_ak;
	o.gpu = v->gpu;
	if (composite) {
		o.nonce = value;
		o.nonce_len = value_len;
		st = ccg_composite_verify(doc, len, &o, &claims, err);
	} else {
		st = ccg_cpu_verify(cpu, value, &o, &claims, err);
	}
	if (st == CCG_OK) {
		if ((st = new_result(v, claims, composite, composite || value != NULL, out)) == CCG_OK)
			claims = NULL;
		else
			ccg_error_set(err, st, "cpu_verifier", "out of memory");
	}
	json_decref(claims);
	json_decref(d);
	return st;
}

enum ccg_status ccg_cpu_verifier_appraise(const struct ccg_cpu_verifier *v, const uint8_t *evidence, size_t len,
					  const uint8_t *report_data, size_t report_data_len, int64_t now,
					  struct ccg_cpu_result **out, struct ccg_error *err)
{
	if (report_data != NULL && report_data_len != CCG_CPU_REPORT_DATA_LEN) {
		if (out != NULL)
			*out = NULL;
		return ccg_error_set(err, CCG_ERR_INVALID_ARG, "report_data", "must be %d bytes",
				     CCG_CPU_REPORT_DATA_LEN);
	}
	return appraise(v, evidence, len, false, report_data, report_data_len, now, out, err);
}

enum ccg_status ccg_cpu_verifier_appraise_composite(const struct ccg_cpu_verifier *v, const uint8_t *doc, size_t len,
						    const uint8_t *nonce, size_t nonce_len, int64_t now,
						    struct ccg_cpu_result **out, struct ccg_error *err)
{
	if (v != NULL && v->gpu == NULL) {
		if (out != NULL)
			*out = NULL;
		return ccg_error_set(err, CCG_ERR_INVALID_ARG, "composite.gpu",
				     "composite appraisal needs a GPU verifier (ccg_cpu_verifier_set_gpu_verifier)");
	}
	return appraise(v, doc, len, true, nonce, nonce_len, now, out, err);
}

/* ---------- CPU evidence as users hold it: raw reports, quotes, certificates ---------- */

#define TDX_HEADER_LEN 48
#define TDX_QUOTE_MIN (TDX_HEADER_LEN + 584 + 4) /* header, TD 1.0 body, signature data length */

static bool is_snp_report(const uint8_t *b, size_t len)
{
	struct ccg_cursor c;
	uint32_t version = 0, sig_algo = 0;

	ccg_cursor_init(&c, b, len);
	/* ATTESTATION_REPORT: VERSION at 0x00, SIGNATURE_ALGO at 0x34 (1: ECDSA P-384 with SHA-384) */
	return len == CCG_SNP_REPORT_LEN && ccg_cursor_get_u32le(&c, &version) && ccg_cursor_skip(&c, 0x34 - 4) &&
	       ccg_cursor_get_u32le(&c, &sig_algo) && version >= 2 && version <= 31 && sig_algo == 1;
}

static bool is_tdx_quote(const uint8_t *b, size_t len)
{
	struct ccg_cursor c;
	uint16_t version = 0, key_type = 0;
	uint32_t tee_type = 0;

	ccg_cursor_init(&c, b, len);
	/* quote header: version, attestation key type (2: ECDSA P-256), TEE type (0x81: TDX) */
	return len >= TDX_QUOTE_MIN && len <= CCG_TDX_QUOTE_MAX && ccg_cursor_get_u16le(&c, &version) &&
	       ccg_cursor_get_u16le(&c, &key_type) && ccg_cursor_get_u32le(&c, &tee_type) &&
	       (version == 4 || version == 5) && key_type == 2 && tee_type == CCG_TDX_TEE_TDX;
}

static bool is_json_object(const uint8_t *b, size_t len)
{
	json_t *j = NULL;
	bool ok;

	if (len == 0 || len > CCG_COMPOSITE_MAX || ccg_json_parse(b, len, CCG_COMPOSITE_MAX, "cpu", &j, NULL) != CCG_OK)
		return false;
	ok = json_is_object(j);
	json_decref(j);
	return ok;
}

enum ccg_cpu_format ccg_cpu_format_detect(const uint8_t *b, size_t len)
{
	if (b == NULL)
		return CCG_CPU_FORMAT_UNKNOWN;
	if (is_snp_report(b, len))
		return CCG_CPU_FORMAT_SNP;
	if (is_tdx_quote(b, len))
		return CCG_CPU_FORMAT_TDX;
	if (is_json_object(b, len))
		return CCG_CPU_FORMAT_JSON;
	return CCG_CPU_FORMAT_UNKNOWN;
}

const char *ccg_cpu_format_name(enum ccg_cpu_format f)
{
	switch (f) {
	case CCG_CPU_FORMAT_JSON: return "json";
	case CCG_CPU_FORMAT_SNP: return "snp";
	case CCG_CPU_FORMAT_TDX: return "tdx";
	case CCG_CPU_FORMAT_UNKNOWN: break;
	}
	return "unknown";
}

/* the certificates of one blob (PEM text of one or more, or one DER certificate) added to sk unless already there */
static enum ccg_status add_cert_blob(STACK_OF(X509) *sk, const uint8_t *b, size_t len, size_t i, struct ccg_error *err)
{
	static const char pem_begin[] = "-----BEGIN";
	STACK_OF(X509) *got = NULL;
	X509 *one = NULL;
	struct ccg_error e;
	char where[32];
	enum ccg_status st;

	snprintf(where, sizeof(where), "cpu.certs[%zu]", i);
	if (b == NULL || len == 0 || len > MAX_ANCHOR_PEM)
		return ccg_error_set(err, CCG_ERR_INVALID_ARG, where, "a certificate of at most %d bytes",
				     MAX_ANCHOR_PEM);
	ccg_error_clear(&e);
	if (memmem(b, len, pem_begin, sizeof(pem_begin) - 1) != NULL) {
		st = ccg_pem_certs_parse(b, len, 2 * CCG_CPU_MAX_RAW_CERTS, &got, &e);
	} else if ((st = ccg_der_cert_parse(b, len, &one, &e)) == CCG_OK) {
		if ((got = sk_X509_new_null()) == NULL || sk_X509_push(got, one) <= 0)
			st = ccg_error_set(&e, CCG_ERR_NOMEM, "cpu.certs", "out of memory");
		else
			one = NULL;
	}
	X509_free(one);
	if (st != CCG_OK) {
		sk_X509_pop_free(got, X509_free);
		return ccg_error_set(err, st, where, "not PEM certificates or one DER certificate (%s: %s)", e.where,
				     e.detail);
	}
	while (st == CCG_OK && sk_X509_num(got) > 0) {
		X509 *x = sk_X509_shift(got);
		bool dup = false;

		for (int k = 0; k < sk_X509_num(sk) && !dup; k++)
			dup = X509_cmp(sk_X509_value(sk, k), x) == 0;
		if (dup) {
			X509_free(x);
		} else if (sk_X509_num(sk) == CCG_CPU_MAX_RAW_CERTS) {
			X509_free(x);
			st = ccg_error_set(err, CCG_ERR_TOO_LARGE, where, "more than %d distinct certificates in all",
					   CCG_CPU_MAX_RAW_CERTS);
		} else if (sk_X509_push(sk, x) <= 0) {
			X509_free(x);
			st = ccg_error_set(err, CCG_ERR_NOMEM, where, "out of memory");
		}
	}
	sk_X509_pop_free(got, X509_free);
	return st;
}

/* the certificates as one PEM text (malloc'd) */
static char *certs_pem(STACK_OF(X509) *sk)
{
	BIO *bio = BIO_new(BIO_s_mem());
	char *data = NULL, *out = NULL;
	long n;

	if (bio == NULL)
		return NULL;
	for (int i = 0; i < sk_X509_num(sk); i++)
		if (PEM_write_bio_X509(bio, sk_X509_value(sk, i)) != 1)
			goto out;
	n = BIO_get_mem_data(bio, &data);
	if (n > 0 && (out = malloc((size_t)n + 1)) != NULL) {
		memcpy(out, data, (size_t)n);
		out[n] = '\0';
	}
out:
	BIO_free(bio);
	return out;
}

enum ccg_status ccg_cpu_evidence_from_raw(enum ccg_cpu_format format, const uint8_t *report, size_t report_len,
					  const uint8_t *const *certs, const size_t *certs_len, size_t num_certs,
					  char **out_json, struct ccg_error *err)
{
	enum ccg_cpu_format got = ccg_cpu_format_detect(report, report_len);
	STACK_OF(X509) *sk = NULL;
	char *b64 = NULL, *pem = NULL;
	json_t *o = NULL;
	enum ccg_status st = CCG_OK;

	if (out_json == NULL)
		return ccg_error_set(err, CCG_ERR_INVALID_ARG, "cpu", "no output");
	*out_json = NULL;
	if (report == NULL || (num_certs > 0 && (certs == NULL || certs_len == NULL)))
		return ccg_error_set(err, CCG_ERR_INVALID_ARG, "cpu", "no report, or certificates without lengths");
	if (got != CCG_CPU_FORMAT_SNP && got != CCG_CPU_FORMAT_TDX)
		return ccg_error_set(err, CCG_ERR_UNSUPPORTED, "cpu.format",
				     "%zu bytes that are neither an SEV-SNP report (%d bytes, version 2-31, "
				     "signature algorithm 1) nor a TDX quote (version 4 or 5, TEE type 0x81)%s",
				     report_len, CCG_SNP_REPORT_LEN,
				     got == CCG_CPU_FORMAT_JSON ? "; JSON evidence is appraised as it is" : "");
	if (format != CCG_CPU_FORMAT_UNKNOWN && format != got)
		return ccg_error_set(err, CCG_ERR_UNSUPPORTED, "cpu.format",
				     "named %s, but the %zu bytes are a raw %s report", ccg_cpu_format_name(format),
				     report_len, ccg_cpu_format_name(got));
	if (got == CCG_CPU_FORMAT_TDX && num_certs > 0)
		return ccg_error_set(err, CCG_ERR_INVALID_ARG, "cpu.certs",
				     "a TDX quote carries its PCK chain: certificates are for SEV-SNP reports");
	if (got == CCG_CPU_FORMAT_SNP && num_certs == 0)
		return ccg_error_set(err, CCG_ERR_CERT_MISSING, "snp.vcek",
				     "a raw SEV-SNP report needs the VCEK or VLEK that signed it (and, optionally, "
				     "AMD's chain bundle)");
	if ((sk = sk_X509_new_null()) == NULL) {
		st = ccg_error_set(err, CCG_ERR_NOMEM, "cpu.certs", "out of memory");
		goto out;
	}
	for (size_t i = 0; i < num_certs && st == CCG_OK; i++)
		st = add_cert_blob(sk, certs[i], certs_len[i], i, err);
	if (st != CCG_OK)
		goto out;
	if ((b64 = ccg_base64_encode_alloc(report, report_len)) == NULL ||
	    (got == CCG_CPU_FORMAT_SNP && (pem = certs_pem(sk)) == NULL)) {
		st = ccg_error_set(err, CCG_ERR_NOMEM, "cpu", "out of memory");
		goto out;
	}
	o = got == CCG_CPU_FORMAT_SNP ? json_pack("{s:s, s:s, s:s}", "type", "snp", "report", b64, "certs", pem)
				      : json_pack("{s:s, s:s}", "type", "tdx", "quote", b64);
	if (o == NULL || (*out_json = ccg_json_dumps(o, 0)) == NULL)
		st = ccg_error_set(err, CCG_ERR_NOMEM, "cpu", "out of memory");
out:
	json_decref(o);
	free(pem);
	free(b64);
	sk_X509_pop_free(sk, X509_free);
	return st;
}

uint32_t ccg_cpu_result_checks_skipped(const struct ccg_cpu_result *r)
{
	/* no result: nothing was checked */
	return r != NULL ? r->skipped : CCG_CHECK_ALL;
}

const char *ccg_cpu_result_tee(const struct ccg_cpu_result *r)
{
	return r != NULL ? r->tee : NULL;
}

char *ccg_cpu_result_claims_json(const struct ccg_cpu_result *r, int indent)
{
	return r != NULL ? ccg_json_dumps(r->claims, indent) : NULL;
}

void ccg_cpu_result_free(struct ccg_cpu_result *r)
{
	if (r == NULL)
		return;
	json_decref(r->claims);
	free(r);
}

/* claim getters (branch api12) */
const char *ccg_cpu_result_claim_string(const struct ccg_cpu_result *r, const char *name)
{
	const char *s = NULL;

	return r != NULL && name != NULL && ccg_json_get_string(r->claims, name, &s, "claims", NULL) == CCG_OK ? s
													       : NULL;
}

bool ccg_cpu_result_claim_bool(const struct ccg_cpu_result *r, const char *name, bool *out)
{
	return r != NULL && name != NULL && out != NULL &&
	       ccg_json_get_bool(r->claims, name, out, "claims", NULL) == CCG_OK;
}

bool ccg_cpu_result_claim_int(const struct ccg_cpu_result *r, const char *name, int64_t *out)
{
	return r != NULL && name != NULL && out != NULL &&
	       ccg_json_get_int(r->claims, name, INT64_MIN, INT64_MAX, out, "claims", NULL) == CCG_OK;
}
