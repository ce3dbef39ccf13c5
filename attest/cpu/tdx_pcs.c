/* SPDX-License-Identifier: Apache-2.0 */
/*
 * TDX collateral from a PCS-compatible service (Intel PCS v4, a PCCS) with
 * cache and offline mode. PCS sends the chain that signs each answer in a
 * response header as URL-encoded PEM; it is decoded strictly, verified to the
 * Intel SGX Root CA and cached beside the answer.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "attest/cpu/collateral.h"
#include "attest/cpu/tdx.h"
#include "attest/pki/x509_chain.h"
#include "common/crypto.h"
#include "common/encoding.h"
#include "common/error.h"

#define PCS_DEFAULT "https://api.trustedservices.intel.com"
#define LEGACY_CHAIN "tcb_signing_chain.pem" /* a TCB signing chain put in the cache by hand */

/* SHA-256 of the SubjectPublicKeyInfo of the Intel SGX Root CA (CN=Intel SGX Root CA, P-256, 2018-05-21..2049-12-31) */
static const uint8_t intel_root_pin[][CCG_SHA256_LEN] = {
	{0xa0, 0xaf, 0x03, 0x12, 0x89, 0xf5, 0xd5, 0xd4, 0x13, 0x2f, 0x91, 0x86, 0x06, 0x8a, 0x7f, 0xc1,
	 0x36, 0x28, 0x63, 0x3b, 0xa2, 0x35, 0x77, 0x74, 0x72, 0xe2, 0x9b, 0x6b, 0x6c, 0x67, 0xa4, 0x9e},
};

bool ccg_tdx_intel_root_pinned(X509 *cert)
{
	return ccg_x509_spki_pinned(cert, intel_root_pin, sizeof(intel_root_pin) / sizeof(intel_root_pin[0]));
}

enum ccg_status ccg_tdx_issuer_chain_parse(const char *value, size_t len, const char *header, uint8_t **out_pem,
					   size_t *out_pem_len, STACK_OF(X509) **out, struct ccg_error *err)
{
	size_t bad_at = 0;
	enum ccg_status st;
	struct ccg_error local;

	*out = NULL;
	st = ccg_url_decode(value, len, CCG_TDX_ISSUER_CHAIN_MAX, out_pem, out_pem_len, &bad_at);
	if (st == CCG_ERR_TOO_LARGE)
		return ccg_error_set(err, st, header, "the issuer chain decodes to more than %d bytes",
				     CCG_TDX_ISSUER_CHAIN_MAX);
	if (st != CCG_OK)
		return ccg_error_set(err, st, header, "not URL-encoded: bad %s at offset %zu",
				     value[bad_at] == '%' ? "%-escape" : "byte", bad_at);
	ccg_error_clear(&local);
	st = ccg_pem_certs_parse(*out_pem, *out_pem_len, 4, out, &local);
	if (st != CCG_OK) {
		free(*out_pem);
		*out_pem = NULL;
		*out_pem_len = 0;
		return ccg_error_set(err, CCG_ERR_ENCODING, header,
				     "the decoded issuer chain is not PEM certificates (%s)", local.detail);
	}
	return CCG_OK;
}

enum ccg_status ccg_tdx_issuer_chain_verify(STACK_OF(X509) *chain, X509 *root, const char *name, struct ccg_error *err)
{
	struct ccg_chain_opts co = {.anchor = root, .name = name, .ignore_expiry = true};
	struct ccg_chain_result cr;
	int n = sk_X509_num(chain);

	if (n < 1)
		return ccg_error_set(err, CCG_ERR_CERT_CHAIN, name, "no certificate");
	if (root == NULL) {
		X509 *last = sk_X509_value(chain, n - 1);

		if (!ccg_tdx_intel_root_pinned(last))
			return ccg_error_set(err, CCG_ERR_CERT_UNTRUSTED, name,
					     "the issuer chain does not end in the Intel SGX Root CA");
		co.anchor = last;
	}
	return ccg_chain_verify(chain, &co, &cr, err);
}

/* one PCS answer: body and signing chain, and what to cache once everything verified */
struct pcs_item {
	char name[64], chain_name[96];
	uint8_t *body, *chain_pem;
	size_t body_len, chain_len;
	bool body_fetched, chain_from_header;
	STACK_OF(X509) *chain; /* NULL: none (only the PCK CRL may have none) */
};

static void item_cleanup(struct pcs_item *it)
{
	free(it->body);
	free(it->chain_pem);
	sk_X509_pop_free(it->chain, X509_free);
	memset(it, 0, sizeof(*it));
}

/*
 * Fetches an answer with its issuer-chain header; without a header the chain
 * is taken from the cache (<name>.issuer-chain.pem, then legacy when given);
 * required: no chain at all is CCG_ERR_NOT_FOUND.
 */
static enum ccg_status item_get(const struct ccg_collateral_src *src, const struct ccg_tdx_pcs_config *cfg,
				const char *url, const char *accept, const char *const *headers, const char *legacy,
				bool required, struct pcs_item *it, struct ccg_error *err)
{
	char *hval = NULL;
	const char *hname = NULL;
	bool other = false;
	enum ccg_status st;

	snprintf(it->chain_name, sizeof(it->chain_name), "%s.issuer-chain.pem", it->name);
	st = ccg_collateral_get_with_header(src, it->name, url, accept, headers, &it->body, &it->body_len,
					    &it->body_fetched, &hval, &hname, err);
	if (st != CCG_OK)
		return st;
	if (hval != NULL) {
		st = ccg_tdx_issuer_chain_parse(hval, strlen(hval), hname, &it->chain_pem, &it->chain_len, &it->chain,
						err);
		free(hval);
		if (st != CCG_OK)
			return st;
		it->chain_from_header = true;
	} else {
		struct ccg_collateral_src cache = *src;

		cache.offline = true; /* only the cache: the chain has no URL of its own */
		hname = headers[0];
		st = src->cache_dir != NULL ? ccg_collateral_get(&cache, it->chain_name, NULL, NULL, &it->chain_pem,
								 &it->chain_len, &other, NULL)
					    : CCG_ERR_NOT_FOUND;
		if (st == CCG_ERR_NOT_FOUND && legacy != NULL && src->cache_dir != NULL)
			st = ccg_collateral_get(&cache, legacy, NULL, NULL, &it->chain_pem, &it->chain_len, &other,
						NULL);
		if (st == CCG_ERR_NOT_FOUND)
			return required ? ccg_error_set(err, CCG_ERR_NOT_FOUND, src->what,
							"%s: no %s header and no issuer chain in the cache", it->name,
							headers[0])
					: CCG_OK;
		if (st != CCG_OK)
			return ccg_error_set(err, st, src->what, "%s: reading the cached issuer chain", it->name);
		if ((st = ccg_pem_certs_parse(it->chain_pem, it->chain_len, 4, &it->chain, err)) != CCG_OK)
			return st;
	}
	return ccg_tdx_issuer_chain_verify(it->chain, cfg->root, hname, err);
}

static enum ccg_status item_store(const struct ccg_collateral_src *src, const struct pcs_item *it,
				  struct ccg_error *err)
{
	enum ccg_status st = CCG_OK;

	if (it->body_fetched)
		st = ccg_collateral_store(src, it->name, it->body, it->body_len, err);
	if (st == CCG_OK && it->chain_from_header)
		st = ccg_collateral_store(src, it->chain_name, it->chain_pem, it->chain_len, err);
	return st;
}

/* the PCK CRL must be issued and signed by the first certificate of its issuer chain */
static enum ccg_status pck_crl_signed(const struct pcs_item *it, struct ccg_error *err)
{
	X509_CRL *crl = NULL;
	enum ccg_status st;

	if (it->chain == NULL)
		return CCG_OK; /* no chain: checked at appraisal against the quote's PCK CA */
	if ((st = ccg_crl_parse(it->body, it->body_len, "Intel PCS pckcrl", &crl, err)) == CCG_OK)
		st = ccg_crl_verify_issuer(crl, sk_X509_value(it->chain, 0), "Intel PCS pckcrl", err);
	X509_CRL_free(crl);
	return st;
}

enum ccg_status ccg_tdx_collateral_fetch(const struct ccg_tdx_pcs_config *cfg, const char *fmspc_hex, const char *ca,
					 struct ccg_tdx_collateral **out, struct ccg_error *err)
{
	static const char *const tcb_headers[] = {"TCB-Info-Issuer-Chain", "SGX-TCB-Info-Issuer-Chain", NULL};
	static const char *const qe_headers[] = {"SGX-Enclave-Identity-Issuer-Chain", NULL};
	static const char *const crl_headers[] = {"SGX-PCK-CRL-Issuer-Chain", NULL};
	struct ccg_collateral_src src = {.cache_dir = cfg->cache_dir, .offline = cfg->offline, .what = "Intel PCS"};
	const char *base = cfg->base_url != NULL ? cfg->base_url : PCS_DEFAULT;
	struct ccg_tdx_collateral *c = NULL;
	struct pcs_item tcb, qe, crl;
	uint8_t *rootcrl = NULL, f[6];
	size_t rootcrl_len = 0;
	bool other = false;
	char url[1024];
	enum ccg_status st;

	*out = NULL;
	memset(&tcb, 0, sizeof(tcb));
	memset(&qe, 0, sizeof(qe));
	memset(&crl, 0, sizeof(crl));
	if (fmspc_hex == NULL || ccg_hex_decode_fixed(fmspc_hex, strlen(fmspc_hex), f, sizeof(f)) != CCG_OK ||
	    ca == NULL || (strcmp(ca, "platform") != 0 && strcmp(ca, "processor") != 0))
		return ccg_error_set(err, CCG_ERR_INVALID_ARG, "Intel PCS",
				     "fmspc must be 12 hex digits, ca platform|processor");
	if ((st = ccg_tdx_collateral_new(&c)) != CCG_OK)
		return st;
	snprintf(tcb.name, sizeof(tcb.name), "tcbinfo-%s.json", fmspc_hex);
	snprintf(url, sizeof(url), "%s/tdx/certification/v4/tcb?fmspc=%s", base, fmspc_hex);
	if ((st = item_get(&src, cfg, url, "application/json", tcb_headers, LEGACY_CHAIN, true, &tcb, err)) != CCG_OK)
		goto out;
	snprintf(qe.name, sizeof(qe.name), "qe_identity.json");
	snprintf(url, sizeof(url), "%s/tdx/certification/v4/qe/identity", base);
	if ((st = item_get(&src, cfg, url, "application/json", qe_headers, LEGACY_CHAIN, true, &qe, err)) != CCG_OK)
		goto out;
	snprintf(crl.name, sizeof(crl.name), "pckcrl-%s.der", ca);
	snprintf(url, sizeof(url), "%s/sgx/certification/v4/pckcrl?ca=%s&encoding=der", base, ca);
	if ((st = item_get(&src, cfg, url, NULL, crl_headers, NULL, false, &crl, err)) != CCG_OK ||
	    (st = pck_crl_signed(&crl, err)) != CCG_OK)
		goto out;
	if ((st = ccg_collateral_get(&src, "rootcrl.der", NULL, NULL, &rootcrl, &rootcrl_len, &other, err)) != CCG_OK)
		goto out;
	if ((st = ccg_tdx_collateral_set_tcb_info(c, tcb.body, tcb.body_len, err)) != CCG_OK ||
	    (st = ccg_tdx_collateral_set_qe_identity(c, qe.body, qe.body_len, err)) != CCG_OK ||
	    (st = ccg_tdx_collateral_set_signing_chain(c, tcb.chain_pem, tcb.chain_len, err)) != CCG_OK ||
	    (st = ccg_tdx_collateral_set_crls(c, crl.body, crl.body_len, rootcrl, rootcrl_len, err)) != CCG_OK)
		goto out;
	if (X509_cmp(sk_X509_value(qe.chain, 0), sk_X509_value(tcb.chain, 0)) != 0 &&
	    (st = ccg_tdx_collateral_set_qe_signing_chain(c, qe.chain_pem, qe.chain_len, err)) != CCG_OK)
		goto out;
	/* cached only once everything parsed and the chains verified; the bodies' signatures are checked at appraisal */
	if ((st = item_store(&src, &tcb, err)) != CCG_OK || (st = item_store(&src, &qe, err)) != CCG_OK ||
	    (st = item_store(&src, &crl, err)) != CCG_OK)
		goto out;
	*out = c;
	c = NULL;
out:
	item_cleanup(&tcb);
	item_cleanup(&qe);
	item_cleanup(&crl);
	free(rootcrl);
	ccg_tdx_collateral_free(c);
	return st;
}
