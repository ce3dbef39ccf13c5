/* SPDX-License-Identifier: Apache-2.0 */
/*
 * AMD Key Distribution Service: VCEK and ASK ‖ ARK by product, chip id and TCB,
 * and the ARK's CRL, with cache and offline mode.
 */
#include <openssl/err.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "attest/collateral.h"
#include "attest/snp.h"
#include "attest/x509_chain.h"
#include "common/crypto.h"
#include "common/encoding.h"
#include "common/error.h"
#include "common/http.h"
#include "common/str.h"

#define KDS_DEFAULT "https://kdsintf.amd.com"

struct ccg_snp_kds {
	char *base_url;
	char *cache_dir;
	bool offline;
};

enum ccg_status ccg_snp_kds_new(const struct ccg_snp_kds_config *cfg, struct ccg_snp_kds **out)
{
	struct ccg_snp_kds *k;
	bool fail = false;

	*out = NULL;
	if (cfg == NULL || (cfg->base_url != NULL && !ccg_http_url_ok(cfg->base_url)))
		return CCG_ERR_INVALID_ARG;
	k = calloc(1, sizeof(*k));
	if (k == NULL)
		return CCG_ERR_NOMEM;
	k->base_url = ccg_strdup_opt(cfg->base_url != NULL ? cfg->base_url : KDS_DEFAULT, &fail);
	k->cache_dir = ccg_strdup_opt(cfg->cache_dir, &fail);
	k->offline = cfg->offline;
	if (fail) {
		ccg_snp_kds_free(k);
		return CCG_ERR_NOMEM;
	}
	*out = k;
	return CCG_OK;
}

void ccg_snp_kds_free(struct ccg_snp_kds *k)
{
	if (k == NULL)
		return;
	free(k->base_url);
	free(k->cache_dir);
	free(k);
}

enum ccg_status ccg_snp_kds_vcek_url(const char *base, enum ccg_snp_product p,
				     const uint8_t chip_id[CCG_SNP_CHIP_ID_LEN], uint64_t tcb, char *buf,
				     size_t buf_len)
{
	struct ccg_snp_tcb t;
	char hwid[2 * CCG_SNP_CHIP_ID_LEN + 1];
	int w;

	if (p == CCG_SNP_PRODUCT_UNKNOWN)
		return CCG_ERR_INVALID_ARG;
	ccg_snp_tcb_decode(tcb, p, &t);
	/* Turin's KDS names the chip by the first 8 bytes of chip_id */
	ccg_hex_encode(chip_id, p == CCG_SNP_PRODUCT_TURIN ? 8 : CCG_SNP_CHIP_ID_LEN, hwid);
	if (p == CCG_SNP_PRODUCT_TURIN)
		w = snprintf(buf, buf_len, "%s/vcek/v1/%s/%s?fmcSPL=%02u&blSPL=%02u&teeSPL=%02u&snpSPL=%02u&ucodeSPL=%02u",
			     base != NULL ? base : KDS_DEFAULT, ccg_snp_product_name(p), hwid, t.fmc, t.bootloader,
			     t.tee, t.snp, t.microcode);
	else
		w = snprintf(buf, buf_len, "%s/vcek/v1/%s/%s?blSPL=%02u&teeSPL=%02u&snpSPL=%02u&ucodeSPL=%02u",
			     base != NULL ? base : KDS_DEFAULT, ccg_snp_product_name(p), hwid, t.bootloader, t.tee,
			     t.snp, t.microcode);
	return w < 0 || (size_t)w >= buf_len ? CCG_ERR_TOO_LARGE : CCG_OK;
}

static struct ccg_collateral_src src_of(const struct ccg_snp_kds *k)
{
	struct ccg_collateral_src s = {.cache_dir = k->cache_dir, .offline = k->offline, .what = "AMD KDS"};

	return s;
}

enum ccg_status ccg_snp_kds_get_vcek(struct ccg_snp_kds *k, const struct ccg_snp_report *r,
				     enum ccg_snp_product p, X509 **out, struct ccg_error *err)
{
	struct ccg_collateral_src src = src_of(k);
	char url[1024], name[256], hwid[17];
	uint8_t *der = NULL;
	size_t der_len = 0;
	bool fetched = false;
	enum ccg_status st;

	*out = NULL;
	p = ccg_snp_report_product(r, p);
	if (p == CCG_SNP_PRODUCT_UNKNOWN)
		return ccg_error_set(err, CCG_ERR_INVALID_ARG, "AMD KDS", "the processor product is unknown");
	if ((st = ccg_snp_kds_vcek_url(k->base_url, p, r->chip_id, r->reported_tcb, url, sizeof(url))) != CCG_OK)
		return ccg_error_set(err, st, "AMD KDS", "URL too long");
	ccg_hex_encode(r->chip_id, 8, hwid);
	snprintf(name, sizeof(name), "vcek-%s-%s-%016llx.der", ccg_snp_product_name(p), hwid,
		 (unsigned long long)r->reported_tcb);
	st = ccg_collateral_get(&src, name, url, "application/x-x509-ca-cert", &der, &der_len, &fetched, err);
	if (st != CCG_OK)
		goto out;
	st = ccg_der_cert_parse(der, der_len, out, err);
	if (st == CCG_OK && fetched)
		st = ccg_collateral_store(&src, name, der, der_len, err);
	if (st != CCG_OK) {
		X509_free(*out);
		*out = NULL;
	}
out:
	free(der);
	return st;
}

enum ccg_status ccg_snp_kds_get_chain(struct ccg_snp_kds *k, enum ccg_snp_product p, STACK_OF(X509) **out,
				      struct ccg_error *err)
{
	struct ccg_collateral_src src = src_of(k);
	char url[1024], name[64];
	uint8_t *pem = NULL;
	size_t pem_len = 0;
	bool fetched = false;
	enum ccg_status st;

	*out = NULL;
	if (p == CCG_SNP_PRODUCT_UNKNOWN)
		return ccg_error_set(err, CCG_ERR_INVALID_ARG, "AMD KDS", "the processor product is unknown");
	snprintf(url, sizeof(url), "%s/vcek/v1/%s/cert_chain", k->base_url, ccg_snp_product_name(p));
	snprintf(name, sizeof(name), "cert_chain-%s.pem", ccg_snp_product_name(p));
	st = ccg_collateral_get(&src, name, url, NULL, &pem, &pem_len, &fetched, err);
	if (st != CCG_OK)
		goto out;
	st = ccg_pem_certs_parse(pem, pem_len, 2, out, err);
	if (st == CCG_OK && fetched)
		st = ccg_collateral_store(&src, name, pem, pem_len, err);
	if (st != CCG_OK) {
		sk_X509_pop_free(*out, X509_free);
		*out = NULL;
	}
out:
	free(pem);
	return st;
}

/* a CRL from bytes, issued and signed by ark */
static enum ccg_status crl_from(const uint8_t *b, size_t len, X509 *ark, X509_CRL **out, struct ccg_error *err)
{
	enum ccg_status st = ccg_crl_parse(b, len, "AMD KDS crl", out, err);

	if (st == CCG_OK && (st = ccg_crl_verify_issuer(*out, ark, "AMD KDS crl", err)) != CCG_OK) {
		X509_CRL_free(*out);
		*out = NULL;
	}
	return st;
}

enum ccg_status ccg_snp_kds_get_crl(struct ccg_snp_kds *k, enum ccg_snp_product p, X509 *ark, int64_t now,
				    X509_CRL **out, struct ccg_error *err)
{
	struct ccg_collateral_src src = src_of(k);
	char url[1024], name[64];
	uint8_t *der = NULL;
	size_t der_len = 0;
	bool fetched = false;
	enum ccg_status st;

	*out = NULL;
	if (p == CCG_SNP_PRODUCT_UNKNOWN || ark == NULL)
		return ccg_error_set(err, CCG_ERR_INVALID_ARG, "AMD KDS",
				     "a CRL needs the processor product and the ARK that signs it");
	snprintf(url, sizeof(url), "%s/vcek/v1/%s/crl", k->base_url, ccg_snp_product_name(p));
	snprintf(name, sizeof(name), "crl-%s.der", ccg_snp_product_name(p));
	st = ccg_collateral_get(&src, name, url, "application/pkix-crl", &der, &der_len, &fetched, err);
	if (st != CCG_OK)
		goto out;
	st = crl_from(der, der_len, ark, out, err);
	if (st == CCG_OK && !fetched && !k->offline && ccg_crl_stale(*out, now != 0 ? now : (int64_t)time(NULL))) {
		/* the cached CRL is past its nextUpdate: ask KDS for the current one */
		struct ccg_collateral_src net = src;

		net.cache_dir = NULL;
		X509_CRL_free(*out);
		*out = NULL;
		free(der);
		der = NULL;
		st = ccg_collateral_get(&net, name, url, "application/pkix-crl", &der, &der_len, &fetched, err);
		if (st == CCG_OK)
			st = crl_from(der, der_len, ark, out, err);
	}
	if (st == CCG_OK && fetched)
		st = ccg_collateral_store(&src, name, der, der_len, err);
	if (st != CCG_OK) {
		X509_CRL_free(*out);
		*out = NULL;
	}
out:
	free(der);
	return st;
}
