/* SPDX-License-Identifier: Apache-2.0 */
#include "attest/cpu/composite.h"

#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>

#include "attest/cpu/azure.h"
#include "attest/cpu/snp.h"
#include "attest/cpu/tdx.h"
#include "attest/cpu/tpm.h"
#include "common/crypto.h"
#include "common/encoding.h"
#include "common/error.h"
#include "common/json.h"
#include "common/str.h"

#define MAX_NONCE 64
#define MAX_TEE_PUB 1024
#define MAX_CERTS_PEM (32 * 1024)

enum ccg_status ccg_composite_binding(const uint8_t *nonce, size_t nonce_len, const uint8_t *tee_pub,
				      size_t tee_pub_len, const uint8_t *gpu, size_t gpu_len,
				      uint8_t out[CCG_BINDING_LEN])
{
	uint8_t gh[CCG_SHA384_LEN];
	EVP_MD_CTX *ctx = NULL;
	unsigned int n = 0;
	enum ccg_status st;

	if ((st = ccg_sha384(gpu, gpu_len, gh)) != CCG_OK)
		return st;
	ctx = EVP_MD_CTX_new();
	if (ctx == NULL || EVP_DigestInit_ex(ctx, EVP_sha512(), NULL) != 1 ||
	    EVP_DigestUpdate(ctx, nonce, nonce_len) != 1 || EVP_DigestUpdate(ctx, tee_pub, tee_pub_len) != 1 ||
	    EVP_DigestUpdate(ctx, gh, sizeof(gh)) != 1 || EVP_DigestFinal_ex(ctx, out, &n) != 1 || n != CCG_BINDING_LEN)
		st = CCG_ERR_CRYPTO;
	EVP_MD_CTX_free(ctx);
	return st;
}

/* a member holding base64 bytes */
static enum ccg_status b64_member(const json_t *o, const char *key, size_t max, const char *where, uint8_t **out,
				  size_t *out_len, struct ccg_error *err)
{
	const char *s = NULL;
	enum ccg_status st = ccg_json_get_string(o, key, &s, where, err);

	if (st != CCG_OK)
		return st;
	st = ccg_base64_decode(s, strlen(s), max, out, out_len);
	if (st != CCG_OK)
		return ccg_error_set(err, st, where, "%s: not base64 of at most %zu bytes", key, max);
	return CCG_OK;
}

static enum ccg_status certs_member(const json_t *o, const char *where, STACK_OF(X509) **out, struct ccg_error *err)
{
	const char *pem = NULL;
	enum ccg_status st = ccg_json_get_string(o, "certs", &pem, where, err);

	if (st != CCG_OK)
		return st;
	if (strlen(pem) > MAX_CERTS_PEM)
		return ccg_error_set(err, CCG_ERR_TOO_LARGE, where, "certs over %d bytes", MAX_CERTS_PEM);
	return ccg_pem_certs_parse((const uint8_t *)pem, strlen(pem), 4, out, err);
}

static enum ccg_status verify_snp(const json_t *cpu, const uint8_t *binding, const struct ccg_composite_opts *o,
				  json_t **claims, struct ccg_error *err)
{
	uint8_t *rep = NULL;
	size_t len = 0;
	STACK_OF(X509) *certs = NULL;
	struct ccg_snp_report r;
	struct ccg_snp_verify_opts so;
	struct ccg_snp_result sres;
	enum ccg_status st;

	if ((st = b64_member(cpu, "report", CCG_SNP_REPORT_LEN, "cpu.report", &rep, &len, err)) != CCG_OK ||
	    (st = certs_member(cpu, "cpu.certs", &certs, err)) != CCG_OK ||
	    (st = ccg_snp_report_parse(rep, len, &r, err)) != CCG_OK)
		goto out;
	memset(&so, 0, sizeof(so));
	so.ark = o->ark;
	so.certs = certs;
	so.now = o->now;
	so.report_data = binding;
	so.crls = o->amd_crls;
	so.require_fresh_collateral = o->require_fresh_collateral;
	if ((st = ccg_snp_report_verify(&r, &so, &sres, err)) != CCG_OK)
		goto out;
	if ((st = ccg_snp_report_claims(&r, CCG_SNP_PRODUCT_UNKNOWN, claims)) != CCG_OK) {
		st = ccg_error_set(err, st, "cpu.claims", "building the SEV-SNP claims");
		goto out;
	}
	if ((st = ccg_snp_result_claims(&sres, *claims)) != CCG_OK) {
		st = ccg_error_set(err, st, "cpu.claims", "building the SEV-SNP claims");
		json_decref(*claims);
		*claims = NULL;
	}
out:
	free(rep);
	sk_X509_pop_free(certs, X509_free);
	return st;
}

static enum ccg_status verify_tdx(const json_t *cpu, const uint8_t *binding, const struct ccg_composite_opts *o,
				  json_t **claims, struct ccg_error *err)
{
	uint8_t *quote = NULL;
	size_t len = 0;
	struct ccg_tdx_quote q;
	struct ccg_tdx_verify_opts to;
	struct ccg_tdx_result res;
	enum ccg_status st;

	memset(&res, 0, sizeof(res));
	if ((st = b64_member(cpu, "quote", CCG_TDX_QUOTE_MAX, "cpu.quote", &quote, &len, err)) != CCG_OK ||
	    (st = ccg_tdx_quote_parse(quote, len, &q, err)) != CCG_OK)
		goto out;
	memset(&to, 0, sizeof(to));
	to.root = o->intel_root;
	to.collateral = o->tdx_collateral;
	to.now = o->now;
	to.report_data = binding;
	to.require_fresh_collateral = o->require_fresh_collateral;
	if ((st = ccg_tdx_quote_verify(&q, &to, &res, err)) == CCG_OK &&
	    (st = ccg_tdx_quote_claims(&q, &res, claims)) != CCG_OK)
		st = ccg_error_set(err, st, "cpu.claims", "building the TDX claims");
out:
	ccg_tdx_result_cleanup(&res);
	free(quote);
	return st;
}

static enum ccg_status ak_fingerprint(EVP_PKEY *k, char hex[2 * CCG_SHA256_LEN + 1])
{
	unsigned char *der = NULL;
	int n = i2d_PUBKEY(k, &der);
	uint8_t h[CCG_SHA256_LEN];
	enum ccg_status st = n > 0 ? ccg_sha256(der, (size_t)n, h) : CCG_ERR_CRYPTO;

	OPENSSL_free(der);
	if (st == CCG_OK)
		ccg_hex_encode(h, sizeof(h), hex);
	return st;
}

static enum ccg_status verify_tpm(const json_t *cpu, const uint8_t *binding, const struct ccg_composite_opts *o,
				  json_t **claims, struct ccg_error *err)
{
	uint8_t *der = NULL;
	size_t len = 0;
	const unsigned char *p;
	EVP_PKEY *ak = NULL;
	struct ccg_tpm_quote q;
	struct ccg_tpm_quote_info info;
	char fp[2 * CCG_SHA256_LEN + 1];
	enum ccg_status st;

	memset(&q, 0, sizeof(q));
	if ((st = b64_member(cpu, "ak_public", MAX_TEE_PUB, "cpu.ak_public", &der, &len, err)) != CCG_OK)
		goto out;
	p = der;
	ak = d2i_PUBKEY(NULL, &p, (long)len);
	if (ak == NULL || p != der + len) {
		st = ccg_openssl_error(err, CCG_ERR_ENCODING, "cpu.ak_public", "not one DER SubjectPublicKeyInfo");
		goto out;
	}
	/*
	 * A key that comes with the quote proves nothing: anyone can make a key and
	 * sign a quote with it in software. Only an AK the verifier was given
	 * vouches for a TPM (an Azure vTPM's AK is vouched for by the HCL report,
	 * verify_azure).
	 */
	if (o->trusted_ak == NULL) {
		st = ccg_error_set(err, CCG_ERR_CERT_UNTRUSTED, "cpu.ak_public",
				   "the attestation key comes from the evidence itself and nothing vouches for it: "
				   "configure the TPM's AK (ccg_cpu_verifier_set_tpm_ak, ccgpu --tpm-ak)");
		goto out;
	}
	if (EVP_PKEY_eq(ak, o->trusted_ak) != 1) {
		st = ccg_error_set(err, CCG_ERR_CERT_UNTRUSTED, "cpu.ak_public", "not the trusted attestation key");
		goto out;
	}
	/* "quote" (as ccgpu collect writes it) or "tpm_quote" (the TPM evidence file layout), named as found */
	if ((st = ccg_tpm_quote_from_json(json_object_get(cpu, "quote") != NULL ? json_object_get(cpu, "quote")
										: json_object_get(cpu, "tpm_quote"),
					  json_object_get(cpu, "quote") != NULL ? "cpu.quote" : "cpu.tpm_quote", &q,
					  err)) != CCG_OK ||
	    (st = ccg_tpm_quote_verify(&q, ak, binding, binding != NULL ? CCG_BINDING_LEN : 0, &info, err)) != CCG_OK)
		goto out;
	if ((st = ccg_tpm_quote_claims(&q, &info, claims)) != CCG_OK || (st = ak_fingerprint(ak, fp)) != CCG_OK ||
	    (st = ccg_json_set_new(*claims, "tpm-ak-sha256", json_string(fp))) != CCG_OK ||
	    (st = ccg_json_set_new(*claims, "tpm-ak-trusted", json_true())) != CCG_OK) {
		st = ccg_error_set(err, st, "cpu.claims", "building the TPM claims");
		goto out;
	}
out:
	if (st != CCG_OK && claims != NULL) {
		json_decref(*claims);
		*claims = NULL;
	}
	ccg_tpm_quote_cleanup(&q);
	EVP_PKEY_free(ak);
	free(der);
	return st;
}

static enum ccg_status verify_azure(const json_t *cpu, const uint8_t *binding, const struct ccg_composite_opts *o,
				    json_t **claims, struct ccg_error *err)
{
	uint8_t *hcl = NULL;
	size_t len = 0;
	STACK_OF(X509) *certs = NULL;
	struct ccg_azure_hcl h;
	struct ccg_tpm_quote q;
	struct ccg_azure_verify_opts ao;
	enum ccg_status st;

	memset(&q, 0, sizeof(q));
	if ((st = b64_member(cpu, "hcl_report", CCG_AZURE_HCL_MAX, "cpu.hcl_report", &hcl, &len, err)) != CCG_OK ||
	    (st = certs_member(cpu, "cpu.certs", &certs, err)) != CCG_OK ||
	    (st = ccg_azure_hcl_parse(hcl, len, &h, err)) != CCG_OK ||
	    (st = ccg_tpm_quote_from_json(json_object_get(cpu, "quote"), "cpu.quote", &q, err)) != CCG_OK)
		goto out;
	memset(&ao, 0, sizeof(ao));
	ao.ark = o->ark;
	ao.certs = certs;
	ao.now = o->now;
	ao.quote = &q;
	ao.nonce = binding;
	ao.nonce_len = binding != NULL ? CCG_BINDING_LEN : 0;
	ao.crls = o->amd_crls;
	ao.require_fresh_collateral = o->require_fresh_collateral;
	st = ccg_azure_hcl_verify(&h, &ao, claims, err);
out:
	ccg_tpm_quote_cleanup(&q);
	sk_X509_pop_free(certs, X509_free);
	free(hcl);
	return st;
}

static enum ccg_status cpu_verify_type(const json_t *cpu, const uint8_t *binding, const struct ccg_composite_opts *o,
				       const char **tee, json_t **out_claims, struct ccg_error *err)
{
	const char *type = NULL;
	enum ccg_status st;

	if (!json_is_object(cpu))
		return ccg_error_set(err, CCG_ERR_MALFORMED, "cpu", "not a JSON object");
	/* the {ak_public, tpm_quote} layout of plain TPM evidence files */
	if (json_object_get(cpu, "type") == NULL && json_object_get(cpu, "ak_public") != NULL &&
	    json_object_get(cpu, "tpm_quote") != NULL) {
		*tee = "tpm";
		return verify_tpm(cpu, binding, o, out_claims, err);
	}
	if ((st = ccg_json_get_string(cpu, "type", &type, "cpu", err)) != CCG_OK)
		return st;
	if (strcmp(type, "snp") == 0) {
		*tee = "snp";
		return verify_snp(cpu, binding, o, out_claims, err);
	}
	if (strcmp(type, "tdx") == 0) {
		*tee = "tdx";
		return verify_tdx(cpu, binding, o, out_claims, err);
	}
	if (strcmp(type, "tpm") == 0) {
		*tee = "tpm";
		return verify_tpm(cpu, binding, o, out_claims, err);
	}
	if (strcmp(type, "azure-snp-vtpm") == 0) {
		*tee = "azure-snp-vtpm";
		return verify_azure(cpu, binding, o, out_claims, err);
	}
	return ccg_error_set(err, CCG_ERR_UNSUPPORTED, "cpu.type", "\"%.*s\" (snp, tdx, tpm, azure-snp-vtpm)",
			     ccg_utf8_cut(type, 32), type);
}

enum ccg_status ccg_cpu_verify(const json_t *cpu, const uint8_t *binding, const struct ccg_composite_opts *o,
			       json_t **out_claims, struct ccg_error *err)
{
	const char *tee = NULL;
	enum ccg_status st;

	*out_claims = NULL;
	if ((st = cpu_verify_type(cpu, binding, o, &tee, out_claims, err)) != CCG_OK)
		return st;
	/* which kind of TEE the claims describe, for policies that accept several */
	if ((st = ccg_json_set_new(*out_claims, "ccgpu-cpu-tee", json_string(tee))) != CCG_OK) {
		st = ccg_error_set(err, st, "cpu.claims", "out of memory");
		json_decref(*out_claims);
		*out_claims = NULL;
	}
	return st;
}

enum ccg_status ccg_composite_verify(const uint8_t *doc, size_t len, const struct ccg_composite_opts *o,
				     json_t **out_claims, struct ccg_error *err)
{
	json_t *d = NULL, *cpu_claims = NULL, *gpu_claims = NULL, *claims = NULL, *meta = NULL;
	uint8_t *nonce = NULL, *pub = NULL, *gpu = NULL, binding[CCG_BINDING_LEN];
	size_t nonce_len = 0, pub_len = 0, gpu_len = 0;
	const char *nonce_hex = NULL;
	struct ccg_gpu_evidence *ev = NULL;
	struct ccg_gpu_result *res = NULL;
	char bhex[2 * CCG_BINDING_LEN + 1], *gtext = NULL;
	int64_t ver = 0;
	enum ccg_status st;

	*out_claims = NULL;
	if (o == NULL || o->nonce == NULL || o->nonce_len == 0 || o->gpu == NULL)
		return ccg_error_set(err, CCG_ERR_INVALID_ARG, "composite", "a nonce and a GPU verifier are required");
	if ((st = ccg_json_parse(doc, len, CCG_COMPOSITE_MAX, "composite", &d, err)) != CCG_OK)
		return st;
	if (!json_is_object(d)) {
		st = ccg_error_set(err, CCG_ERR_MALFORMED, "composite", "not a JSON object");
		goto out;
	}
	if ((st = ccg_json_get_int(d, "ccgpu-composite", 1, 1000, &ver, "composite", err)) != CCG_OK)
		goto out;
	if (ver != CCG_COMPOSITE_VERSION) {
		st = ccg_error_set(err, CCG_ERR_UNSUPPORTED, "composite.ccgpu-composite", "version %lld",
				   (long long)ver);
		goto out;
	}
	if ((st = ccg_json_get_string(d, "nonce", &nonce_hex, "composite", err)) != CCG_OK ||
	    (st = ccg_hex_decode(nonce_hex, strlen(nonce_hex), MAX_NONCE, &nonce, &nonce_len)) != CCG_OK) {
		st = ccg_error_set(err, st, "composite.nonce", "hex, at most %d bytes", MAX_NONCE);
		goto out;
	}
	if (nonce_len != o->nonce_len || !ccg_ct_equal(nonce, o->nonce, nonce_len)) {
		st = ccg_error_set(err, CCG_ERR_NONCE_MISMATCH, "composite.nonce", "not the verifier's nonce");
		goto out;
	}
	if ((st = b64_member(d, "tee_public_key", MAX_TEE_PUB, "composite.tee_public_key", &pub, &pub_len, err)) !=
		    CCG_OK ||
	    (st = b64_member(d, "gpu_evidence", CCG_COMPOSITE_MAX, "composite.gpu_evidence", &gpu, &gpu_len, err)) !=
		    CCG_OK)
		goto out;
	if ((st = ccg_composite_binding(o->nonce, o->nonce_len, pub, pub_len, gpu, gpu_len, binding)) != CCG_OK) {
		st = ccg_error_set(err, st, "composite.binding", "hashing");
		goto out;
	}
	/* the CPU evidence must carry the binding: that is what ties the GPU evidence to this TEE */
	if ((st = ccg_cpu_verify(json_object_get(d, "cpu"), binding, o, &cpu_claims, err)) != CCG_OK)
		goto out;
	if ((st = ccg_gpu_evidence_new(&ev)) != CCG_OK) {
		st = ccg_error_set(err, st, "composite.gpu_evidence", "out of memory");
		goto out;
	}
	if ((st = ccg_gpu_evidence_add_json(ev, gpu, gpu_len, err)) != CCG_OK)
		goto out;
	st = ccg_gpu_verifier_appraise(o->gpu, ev, o->nonce, o->nonce_len, o->now, &res, err);
	if (res != NULL) {
		gtext = ccg_gpu_result_claims_json(res, 0);
		gpu_claims = gtext != NULL ? json_loads(gtext, 0, NULL) : NULL;
	}
	if (st != CCG_OK)
		goto out;
	ccg_hex_encode(binding, sizeof(binding), bhex);
	claims = json_object();
	meta = json_object();
	/* cpu-type: the kind of evidence appraised (a TPM evidence file has no "type" member) */
	if (claims == NULL || meta == NULL || gpu_claims == NULL ||
	    ccg_json_set_new(meta, "binding", json_string(bhex)) != CCG_OK ||
	    ccg_json_set_new(meta, "cpu-type", json_copy(json_object_get(cpu_claims, "ccgpu-cpu-tee"))) != CCG_OK ||
	    ccg_json_set_new(meta, "version", json_integer(ver)) != CCG_OK) {
		st = ccg_error_set(err, CCG_ERR_NOMEM, "composite.claims", "building the composite claims");
		goto out;
	}
	st = ccg_json_set_new(claims, "ccgpu-composite", meta);
	meta = NULL;
	if (st == CCG_OK) {
		st = ccg_json_set_new(claims, "cpu", cpu_claims);
		cpu_claims = NULL;
	}
	if (st == CCG_OK) {
		st = ccg_json_set_new(claims, "gpu", gpu_claims);
		gpu_claims = NULL;
	}
	if (st == CCG_OK) {
		*out_claims = claims;
		claims = NULL;
	} else {
		st = ccg_error_set(err, st, "composite.claims", "building the composite claims");
	}
out:
	free(gtext);
	ccg_gpu_result_free(res);
	ccg_gpu_evidence_free(ev);
	json_decref(meta);
	json_decref(claims);
	json_decref(cpu_claims);
	json_decref(gpu_claims);
	free(nonce);
	free(pub);
	free(gpu);
	json_decref(d);
	return st;
}
