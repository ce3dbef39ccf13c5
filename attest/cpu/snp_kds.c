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

#include "attest/cpu/collateral.h"
#include "attest/cpu/snp.h"
#include "attest/pki/x509_chain.h"
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
		w = snprintf(buf, buf_len,
			     "%s/vcek/v1/%s/%s?fmcSPL=%02u&blSPL=%02u&teeSPL=%02u&snpSPL=%02u&ucodeSPL=%02u",
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

/* turns fetched bytes into the object at obj, or fails */
typedef enum ccg_status (*kds_parse_fn)(const uint8_t *b, size_t n, void *obj, void *ctx, struct ccg_error *err);

/*
 * name from the cache or url, parsed by parse into obj; cached only once it
 * parsed. On failure the caller frees what parse put in obj.
 */
static enum ccg_status kds_get(const struct ccg_collateral_src *src, const char *name, const char *url,
			       const char *accept, kds_parse_fn parse, void *obj, void *ctx, bool *out_fetched,
			       struct ccg_error *err)
{
	uint8_t *b = NULL;
	size_t n = 0;
	bool fetched = false;
	enum ccg_status st = ccg_collateral_get(src, name, url, accept, &b, &n, &fetched, err);

	if (st == CCG_OK)
		st = parse(b, n, obj, ctx, err);
	if (st == CCG_OK && fetched)
		st = ccg_collateral_store(src, name, b, n, err);
	if (out_fetched != NULL)
		*out_fetched = fetched;
	free(b);
	return st;
}

static enum ccg_status parse_vcek(const uint8_t *b, size_t n, void *obj, void *ctx, struct ccg_error *err)
{
	(void)ctx;
	return ccg_der_cert_parse(b, n, obj, err);
}

static enum ccg_status parse_chain(const uint8_t *b, size_t n, void *obj, void *ctx, struct ccg_error *err)
{
	(void)ctx;
	return ccg_pem_certs_parse(b, n, 2, obj, err);
}

/* a CRL issued and signed by the ARK (ctx) */
static enum ccg_status parse_crl(const uint8_t *b, size_t n, void *obj, void *ctx, struct ccg_error *err)
{
	X509_CRL **out = obj;
	enum ccg_status st = ccg_crl_parse(b, n, "AMD KDS crl", out, err);

	return st != CCG_OK ? st : ccg_crl_verify_issuer(*out, ctx, "AMD KDS crl", err);
}

enum ccg_status ccg_snp_kds_get_vcek(struct ccg_snp_kds *k, const struct ccg_snp_report *r, enum ccg_snp_product p,
				     X509 **out, struct ccg_error *err)
{
	struct ccg_collateral_src src = src_of(k);
	char url[1024], name[256], hwid[17];
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
	st = kds_get(&src, name, url, "application/x-x509-ca-cert", parse_vcek, out, NULL, NULL, err);
	if (st != CCG_OK) {
		X509_free(*out);
		*out = NULL;
	}
	return st;
}

enum ccg_status ccg_snp_kds_get_chain(struct ccg_snp_kds *k, enum ccg_snp_product p, STACK_OF(X509) **out,
				      struct ccg_error *err)
{
	struct ccg_collateral_src src = src_of(k);
	char url[1024], name[64];
	enum ccg_status st;

	*out = NULL;
	if (p == CCG_SNP_PRODUCT_UNKNOWN)
		return ccg_error_set(err, CCG_ERR_INVALID_ARG, "AMD KDS", "the processor product is unknown");
	snprintf(url, sizeof(url), "%s/vcek/v1/%s/cert_chain", k->base_url, ccg_snp_product_name(p));
	snprintf(name, sizeof(name), "cert_chain-%s.pem", ccg_snp_product_name(p));
	st = kds_get(&src, name, url, NULL, parse_chain, out, NULL, NULL, err);
	if (st != CCG_OK) {
		sk_X509_pop_free(*out, X509_free);
		*out = NULL;
	}
	return st;
}

enum ccg_status ccg_snp_kds_get_crl(struct ccg_snp_kds *k, enum ccg_snp_product p, X509 *ark, int64_t now,
				    X509_CRL **out, struct ccg_error *err)
{
	struct ccg_collateral_src src = src_of(k);
	char url[1024], name[64];
	bool fetched = false;
	enum ccg_status st;

	*out = NULL;
	if (p == CCG_SNP_PRODUCT_UNKNOWN || ark == NULL)
		return ccg_error_set(err, CCG_ERR_INVALID_ARG, "AMD KDS",
				     "a CRL needs the processor product and the ARK that signs it");
	snprintf(url, sizeof(url), "%s/vcek/v1/%s/crl", k->base_url, ccg_snp_product_name(p));
	snprintf(name, sizeof(name), "crl-%s.der", ccg_snp_product_name(p));
	st = kds_get(&src, name, url, "application/pkix-crl", parse_crl, out, ark, &fetched, err);
	if (st == CCG_OK && !fetched && !k->offline && ccg_crl_stale(*out, now != 0 ? now : (int64_t)time(NULL))) {
		/* the cached CRL is past its nextUpdate: ask KDS for the current one */
		X509_CRL_free(*out);
		*out = NULL;
		src.refresh = true;
		st = kds_get(&src, name, url, "application/pkix-crl", parse_crl, out, ark, NULL, err);
	}
	if (st != CCG_OK) {
		X509_CRL_free(*out);
		*out = NULL;
	}
	return st;
}
