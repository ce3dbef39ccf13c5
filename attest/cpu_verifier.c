/* SPDX-License-Identifier: Apache-2.0 */
/* The public CPU TEE and composite verifier (include/ccgpu/cpu.h) over attest/composite.c. */
#include <jansson.h>
#include <openssl/pem.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "attest/composite.h"
#include "attest/snp.h"
#include "attest/tdx.h"
#include "attest/x509_chain.h"
#include "ccgpu/cpu.h"
#include "common/crypto.h"
#include "common/error.h"
#include "common/json.h"

#define MAX_ANCHOR_PEM (64 * 1024)

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

enum ccg_status ccg_cpu_verifier_set_amd_ark(struct ccg_cpu_verifier *v, const uint8_t *pem, size_t len,
					     struct ccg_error *err)
{
	if (v == NULL)
		return ccg_error_set(err, CCG_ERR_INVALID_ARG, "cpu_verifier", "no verifier");
	return one_cert(pem, len, "amd_ark", &v->ark, err);
}

enum ccg_status ccg_cpu_verifier_set_intel_root(struct ccg_cpu_verifier *v, const uint8_t *pem, size_t len,
						struct ccg_error *err)
{
	if (v == NULL)
		return ccg_error_set(err, CCG_ERR_INVALID_ARG, "cpu_verifier", "no verifier");
	return one_cert(pem, len, "intel_root", &v->intel_root, err);
}

enum ccg_status ccg_cpu_verifier_set_tdx_collateral(struct ccg_cpu_verifier *v, const uint8_t *tcb_info,
						    size_t tcb_info_len, const uint8_t *qe_identity,
						    size_t qe_identity_len, const uint8_t *signing_chain,
						    size_t signing_chain_len, const uint8_t *pck_crl, size_t pck_crl_len,
						    const uint8_t *root_crl, size_t root_crl_len, struct ccg_error *err)
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

enum ccg_status ccg_cpu_verifier_set_tpm_ak(struct ccg_cpu_verifier *v, const uint8_t *pem, size_t len,
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
	X509 *pinned = NULL;
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
	if (v->ark == NULL)
		pinned = ccg_snp_chain_pinned_ark(json_string_value(json_object_get(cpu, "certs")));
	memset(&o, 0, sizeof(o));
	o.now = now;
	o.ark = v->ark != NULL ? v->ark : pinned;
	o.amd_crls = v->amd_crls;
	o.require_fresh_collateral = v->require_fresh;
	o.intel_root = v->intel_root;
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
	X509_free(pinned);
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
