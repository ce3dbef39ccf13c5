/* SPDX-License-Identifier: Apache-2.0 */
#include "attest/cpu/azure.h"

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/param_build.h>
#include <stdlib.h>
#include <string.h>

#include "common/crypto.h"
#include "common/cursor.h"
#include "common/encoding.h"
#include "common/error.h"
#include "common/json.h"

#define HCL_SIGNATURE 0x414c4348u /* "HCLA" */
#define HCL_HEADER_LEN 32
#define RUNTIME_HEADER_LEN 20
#define JWK_MAX_B64 1400

enum ccg_status ccg_azure_hcl_parse(const uint8_t *data, size_t len, struct ccg_azure_hcl *h, struct ccg_error *err)
{
	struct ccg_cursor c, var, report;
	uint32_t magic, var_len;
	enum ccg_status st;

	memset(h, 0, sizeof(*h));
	if (data == NULL || len > CCG_AZURE_HCL_MAX)
		return ccg_error_set(err, data == NULL ? CCG_ERR_INVALID_ARG : CCG_ERR_TOO_LARGE, "azure.hcl",
				     "at most %d bytes", CCG_AZURE_HCL_MAX);
	ccg_cursor_init(&c, data, len);
	if (!ccg_cursor_get_u32le(&c, &magic) || !ccg_cursor_get_u32le(&c, &h->version) ||
	    !ccg_cursor_get_u32le(&c, &h->report_size) || !ccg_cursor_get_u32le(&c, &h->request_type) ||
	    !ccg_cursor_get_u32le(&c, &h->status) || !ccg_cursor_skip(&c, 12))
		return ccg_error_set(err, CCG_ERR_TRUNCATED, "azure.hcl.header", NULL);
	if (magic != HCL_SIGNATURE)
		return ccg_error_set(err, CCG_ERR_MALFORMED, "azure.hcl.header.signature", "not \"HCLA\"");
	/* the header is not covered by any signature: only the values seen in the field are accepted */
	if (h->version != 1)
		return ccg_error_set(err, CCG_ERR_UNSUPPORTED, "azure.hcl.header.version", "version %u", h->version);
	if (h->request_type != 2)
		return ccg_error_set(err, CCG_ERR_UNSUPPORTED, "azure.hcl.header.request_type",
				     "request type %u (2 = attestation report)", h->request_type);
	if (h->status != 0)
		return ccg_error_set(err, CCG_ERR_MALFORMED, "azure.hcl.header.status", "status %u", h->status);
	for (size_t i = 20; i < HCL_HEADER_LEN; i++)
		if (data[i] != 0)
			return ccg_error_set(err, CCG_ERR_MALFORMED, "azure.hcl.header.reserved", "not zero");
	if (h->report_size > len || h->report_size < HCL_HEADER_LEN + CCG_SNP_REPORT_LEN + RUNTIME_HEADER_LEN)
		return ccg_error_set(err, CCG_ERR_TRUNCATED, "azure.hcl.header.report_size",
				     "report_size %u, %zu bytes given", h->report_size, len);
	for (size_t i = h->report_size; i < len; i++)
		if (data[i] != 0)
			return ccg_error_set(err, CCG_ERR_TRAILING_DATA, "azure.hcl",
					     "non-zero byte at 0x%zx after report_size", i);
	/* the report ends at report_size (only zero padding after it, checked above) */
	if (!ccg_cursor_get_bytes(&c, &report, h->report_size - HCL_HEADER_LEN))
		return ccg_error_set(err, CCG_ERR_TRUNCATED, "azure.hcl.header.report_size", NULL);
	c = report;
	if (!ccg_cursor_copy_bytes(&c, h->hw_report, sizeof(h->hw_report)) || !ccg_cursor_get_u32le(&c, &h->data_size) ||
	    !ccg_cursor_get_u32le(&c, &h->data_version) || !ccg_cursor_get_u32le(&c, &h->report_type) ||
	    !ccg_cursor_get_u32le(&c, &h->hash_type) || !ccg_cursor_get_u32le(&c, &var_len) ||
	    !ccg_cursor_get_bytes(&c, &var, var_len))
		return ccg_error_set(err, CCG_ERR_TRUNCATED, "azure.hcl.runtime_data", NULL);
	if ((st = ccg_cursor_finish(&c, "azure.hcl.runtime_data", err)) != CCG_OK)
		return st;
	if (h->data_size != RUNTIME_HEADER_LEN + var_len)
		return ccg_error_set(err, CCG_ERR_MALFORMED, "azure.hcl.runtime_data.data_size",
				     "%u is not 20 + variable data size %u", h->data_size, var_len);
	if (h->data_version != 1)
		return ccg_error_set(err, CCG_ERR_UNSUPPORTED, "azure.hcl.runtime_data.version", "version %u",
				     h->data_version);
	if (h->report_type != CCG_AZURE_REPORT_SNP && h->report_type != CCG_AZURE_REPORT_TDX)
		return ccg_error_set(err, CCG_ERR_UNSUPPORTED, "azure.hcl.runtime_data.report_type",
				     "report type %u (2 = SEV-SNP, 4 = TDX)", h->report_type);
	if (h->hash_type < 1 || h->hash_type > 3)
		return ccg_error_set(err, CCG_ERR_UNSUPPORTED, "azure.hcl.runtime_data.hash_type", "hash type %u",
				     h->hash_type);
	h->var_data = var.data;
	h->var_data_len = var.len;
	return CCG_OK;
}

/* base64url without padding → bytes */
static enum ccg_status b64url(const char *s, size_t max, uint8_t **out, size_t *out_len)
{
	size_t n = strlen(s);
	char *t;
	enum ccg_status st;

	if (n > JWK_MAX_B64)
		return CCG_ERR_TOO_LARGE;
	t = malloc(n + 4);
	if (t == NULL)
		return CCG_ERR_NOMEM;
	for (size_t i = 0; i < n; i++)
		t[i] = s[i] == '-' ? '+' : s[i] == '_' ? '/' : (s[i] == '+' || s[i] == '/' || s[i] == '=') ? '!' : s[i];
	while (n % 4 != 0)
		t[n++] = '=';
	t[n] = 0;
	st = ccg_base64_decode(t, n, max, out, out_len);
	free(t);
	return st;
}

enum ccg_status ccg_azure_hcl_ak(const struct ccg_azure_hcl *h, EVP_PKEY **out, struct ccg_error *err)
{
	static const char *where = "azure.hcl.var_data.HCLAkPub";
	json_t *doc = NULL, *k;
	const json_t *ak = NULL;
	size_t i;
	uint8_t *nb = NULL, *eb = NULL;
	size_t nl = 0, el = 0;
	BIGNUM *n = NULL, *e = NULL;
	OSSL_PARAM_BLD *bld = NULL;
	OSSL_PARAM *params = NULL;
	EVP_PKEY_CTX *ctx = NULL;
	enum ccg_status st;

	*out = NULL;
	st = ccg_json_parse(h->var_data, h->var_data_len, CCG_AZURE_HCL_MAX, "azure.hcl.var_data", &doc, err);
	if (st != CCG_OK)
		return st;
	json_array_foreach(json_object_get(doc, "keys"), i, k) {
		const char *kid = json_string_value(json_object_get(k, "kid"));

		if (kid != NULL && strcmp(kid, "HCLAkPub") == 0) {
			if (ak != NULL) {
				st = ccg_error_set(err, CCG_ERR_DUPLICATE, where, "two HCLAkPub keys");
				goto out;
			}
			ak = k;
		}
	}
	if (ak == NULL) {
		st = ccg_error_set(err, CCG_ERR_NOT_FOUND, where, "no key with kid HCLAkPub");
		goto out;
	}
	if (!json_is_string(json_object_get(ak, "kty")) || strcmp(json_string_value(json_object_get(ak, "kty")), "RSA") != 0 ||
	    !json_is_string(json_object_get(ak, "n")) || !json_is_string(json_object_get(ak, "e")) ||
	    b64url(json_string_value(json_object_get(ak, "n")), 1024, &nb, &nl) != CCG_OK ||
	    b64url(json_string_value(json_object_get(ak, "e")), 8, &eb, &el) != CCG_OK) {
		st = ccg_error_set(err, CCG_ERR_MALFORMED, where, "not an RSA JWK with base64url n and e");
		goto out;
	}
	n = BN_bin2bn(nb, (int)nl, NULL);
	e = BN_bin2bn(eb, (int)el, NULL);
	bld = OSSL_PARAM_BLD_new();
	ctx = EVP_PKEY_CTX_new_from_name(NULL, "RSA", NULL);
	if (n == NULL || e == NULL || bld == NULL || ctx == NULL ||
	    OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, n) != 1 ||
	    OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, e) != 1 ||
	    (params = OSSL_PARAM_BLD_to_param(bld)) == NULL || EVP_PKEY_fromdata_init(ctx) != 1 ||
	    EVP_PKEY_fromdata(ctx, out, EVP_PKEY_PUBLIC_KEY, params) != 1) {
		st = ccg_openssl_error(err, CCG_ERR_MALFORMED, where, "not a valid RSA key");
		goto out;
	}
	st = CCG_OK;
out:
	free(nb);
	free(eb);
	BN_free(n);
	BN_free(e);
	OSSL_PARAM_free(params);
	OSSL_PARAM_BLD_free(bld);
	EVP_PKEY_CTX_free(ctx);
	json_decref(doc);
	return st;
}

static enum ccg_status merge(json_t *into, json_t *from)
{
	int rc = json_object_update(into, from);

	json_decref(from);
	return rc == 0 ? CCG_OK : CCG_ERR_NOMEM;
}

enum ccg_status ccg_azure_hcl_verify(const struct ccg_azure_hcl *h, const struct ccg_azure_verify_opts *o,
				     json_t **out_claims, struct ccg_error *err)
{
	struct ccg_snp_report r;
	struct ccg_snp_verify_opts so;
	struct ccg_snp_result sres;
	struct ccg_tpm_quote_info qi;
	EVP_PKEY *ak = NULL;
	uint8_t digest[EVP_MAX_MD_SIZE];
	size_t dl = 0;
	json_t *claims = NULL, *part = NULL;
	static const char *const mds[] = {"", "SHA256", "SHA384", "SHA512"};
	enum ccg_status st;

	*out_claims = NULL;
	if (h->report_type != CCG_AZURE_REPORT_SNP)
		return ccg_error_set(err, CCG_ERR_UNSUPPORTED, "azure.hcl.runtime_data.report_type",
				     "a TDX HCL report holds a MAC'd TD report: appraise its TD quote instead");
	if (o == NULL || o->quote == NULL)
		return ccg_error_set(err, CCG_ERR_INVALID_ARG, "azure.tpm_quote", "the vTPM quote is required");
	if ((st = ccg_snp_report_parse(h->hw_report, sizeof(h->hw_report), &r, err)) != CCG_OK)
		return st;
	memset(&so, 0, sizeof(so));
	so.ark = o->ark;
	so.certs = o->certs;
	so.now = o->now;
	so.crls = o->crls;
	so.require_fresh_collateral = o->require_fresh_collateral;
	if ((st = ccg_snp_report_verify(&r, &so, &sres, err)) != CCG_OK)
		return st;
	/* the runtime data is bound by its hash in report_data */
	if ((st = ccg_digest(mds[h->hash_type], h->var_data, h->var_data_len, digest, &dl)) != CCG_OK)
		return ccg_error_set(err, st, "azure.hcl.var_data", "hashing");
	if (!ccg_ct_equal(digest, r.report_data, dl))
		return ccg_error_set(err, CCG_ERR_MEASUREMENT_MISMATCH, "azure.hcl.report_data",
				     "report_data does not hold the hash of the runtime data");
	for (size_t i = dl; i < CCG_SNP_REPORT_DATA_LEN; i++)
		if (r.report_data[i] != 0)
			return ccg_error_set(err, CCG_ERR_MALFORMED, "azure.hcl.report_data",
					     "report_data is not the hash followed by zeros");
	if ((st = ccg_azure_hcl_ak(h, &ak, err)) != CCG_OK)
		return st;
	st = ccg_tpm_quote_verify(o->quote, ak, o->nonce, o->nonce_len, &qi, err);
	EVP_PKEY_free(ak);
	if (st != CCG_OK)
		return st;
	if ((st = ccg_snp_report_claims(&r, CCG_SNP_PRODUCT_UNKNOWN, &claims)) != CCG_OK ||
	    (st = ccg_snp_result_claims(&sres, claims)) != CCG_OK ||
	    (st = ccg_tpm_quote_claims(o->quote, &qi, &part)) != CCG_OK || (st = merge(claims, part)) != CCG_OK ||
	    (st = ccg_json_set_new(claims, "azure-hcl-report-type", json_string("SEV-SNP"))) != CCG_OK) {
		json_decref(claims);
		return st;
	}
	*out_claims = claims;
	return CCG_OK;
}
