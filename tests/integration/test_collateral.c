/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Collateral over HTTP from a loopback libmicrohttpd server: AMD KDS (VCEK,
 * ASK ‖ ARK, the ARK's CRL) and a PCS-compatible service (TCB info, QE
 * identity, PCK CRL, with or without the issuer-chain response headers), the
 * file cache (written only for answers that parse and verify), offline mode
 * from the cache with no transfer, 404, garbage and malformed headers.
 */
#include <stdarg.h>
#include <setjmp.h>
#include <stddef.h>
#include <cmocka.h>
#include <arpa/inet.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "amd_pki.h"
#include "attest/cpu/snp.h"
#include "attest/cpu/tdx.h"
#include "attest/pki/x509_chain.h"
#include "common/crypto.h"
#include "common/file.h"
#include "common/http.h"
#include "testdata.h"

#define SNP_NOW 1795305600 /* 2026-11-22T00:00:00Z */
#define TDX_NOW 1770076800 /* 2026-02-03T00:00:00Z */
#define D "tdx/v5-sample/"

static struct MHD_Daemon *daemon_;
static int port;
static atomic_bool garbage; /* answer every request with junk */
static atomic_bool twice;   /* send the issuer-chain header twice */

/* what the server answers beyond the files: set by the tests, read by the server thread */
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static uint8_t *kds_crl; /* /vcek/v1/Milan/crl (NULL: 404) */
static size_t kds_crl_len;
static char *pcs_headers[3]; /* TCB-Info-, SGX-Enclave-Identity-, SGX-PCK-CRL-Issuer-Chain values (NULL: not sent) */

struct route {
	const char *path;      /* the URL path */
	bool prefix;           /* path is a prefix of it (the VCEK's hwid and SPL query follow) */
	const char *arg, *val; /* a query argument that must be present, or NULL */
	const char *file;      /* shared testdata; NULL: dynamic */
	int header;            /* index into pcs_headers, or -1 */
};

static const struct route routes[] = {
	{"/vcek/v1/Milan/cert_chain", false, NULL, NULL, "snp/milan-go-sev-guest/milan.testcer", -1},
	{"/vcek/v1/Milan/crl", false, NULL, NULL, NULL, -1},
	{"/vcek/v1/Milan/3ac3fe21", true, NULL, NULL, "snp/milan-go-sev-guest/vcek.testcer", -1},
	{"/tdx/certification/v4/tcb", false, "fmspc", "90c06f000000", D "sample_tcbinfo_response_v5", 0},
	{"/tdx/certification/v4/qe/identity", false, NULL, NULL, D "sample_qeIdentity_response", 1},
	{"/sgx/certification/v4/pckcrl", false, "ca", "platform", D "pckcrl", 2},
};
static const char *const header_names[] = {"TCB-Info-Issuer-Chain", "SGX-Enclave-Identity-Issuer-Chain",
					   "SGX-PCK-CRL-Issuer-Chain"};

static enum MHD_Result reply(struct MHD_Connection *c, unsigned status, const uint8_t *body, size_t len,
			     const char *hname, const char *hval)
{
	struct MHD_Response *r = MHD_create_response_from_buffer(len, (void *)(uintptr_t)body, MHD_RESPMEM_MUST_COPY);
	enum MHD_Result ret;

	if (r == NULL)
		return MHD_NO;
	if (hname != NULL && hval != NULL &&
	    (MHD_add_response_header(r, hname, hval) != MHD_YES ||
	     (atomic_load(&twice) && MHD_add_response_header(r, hname, hval) != MHD_YES))) {
		MHD_destroy_response(r);
		return MHD_NO;
	}
	ret = MHD_queue_response(c, status, r);
	MHD_destroy_response(r);
	return ret;
}

static const struct route *route_of(struct MHD_Connection *c, const char *url)
{
	for (size_t i = 0; i < sizeof(routes) / sizeof(routes[0]); i++) {
		const struct route *rt = &routes[i];
		size_t n = strlen(rt->path);
		const char *v;

		if (strncmp(url, rt->path, n) != 0 || (!rt->prefix && url[n] != '\0'))
			continue;
		v = rt->arg != NULL ? MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, rt->arg) : NULL;
		if (rt->arg != NULL && (v == NULL || strcmp(v, rt->val) != 0))
			continue;
		return rt;
	}
	return NULL;
}

static enum MHD_Result handler(void *cls, struct MHD_Connection *c, const char *url, const char *method,
			       const char *version, const char *upload, size_t *upload_len, void **con_cls)
{
	const struct route *rt = route_of(c, url);
	uint8_t *body = NULL;
	size_t len = 0;
	char *hval = NULL;
	enum MHD_Result ret;

	(void)cls;
	(void)version;
	(void)upload;
	(void)upload_len;
	(void)con_cls;
	if (strcmp(method, "GET") != 0)
		return reply(c, MHD_HTTP_METHOD_NOT_ALLOWED, (const uint8_t *)"GET only", 8, NULL, NULL);
	pthread_mutex_lock(&lock);
	if (rt != NULL && rt->file != NULL) {
		body = td_read(rt->file, &len);
	} else if (rt != NULL && kds_crl != NULL) {
		body = malloc(kds_crl_len);
		if (body != NULL)
			memcpy(body, kds_crl, kds_crl_len);
		len = kds_crl_len;
	}
	if (rt != NULL && rt->header >= 0 && pcs_headers[rt->header] != NULL)
		hval = strdup(pcs_headers[rt->header]);
	pthread_mutex_unlock(&lock);
	if (body == NULL) {
		ret = reply(c, MHD_HTTP_NOT_FOUND, (const uint8_t *)"", 0, NULL, NULL);
	} else if (atomic_load(&garbage)) {
		ret = reply(c, MHD_HTTP_OK, (const uint8_t *)"not collateral", 14, NULL, NULL);
	} else {
		ret = reply(c, MHD_HTTP_OK, body, len, rt->header >= 0 ? header_names[rt->header] : NULL, hval);
	}
	free(body);
	free(hval);
	return ret;
}

static int setup(void **state)
{
	struct sockaddr_in a = {.sin_family = AF_INET};
	const union MHD_DaemonInfo *info;

	(void)state;
	td_require();
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	daemon_ = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD, 0, NULL, NULL, handler, NULL, MHD_OPTION_SOCK_ADDR,
				   (struct sockaddr *)&a, MHD_OPTION_END);
	if (daemon_ == NULL || (info = MHD_get_daemon_info(daemon_, MHD_DAEMON_INFO_BIND_PORT)) == NULL)
		return -1;
	port = info->port;
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	MHD_stop_daemon(daemon_);
	free(kds_crl);
	for (size_t i = 0; i < 3; i++)
		free(pcs_headers[i]);
	return 0;
}

static void set_kds_crl(const uint8_t *der, size_t len)
{
	pthread_mutex_lock(&lock);
	free(kds_crl);
	kds_crl = NULL;
	if (der != NULL) {
		kds_crl = malloc(len);
		assert_non_null(kds_crl);
		memcpy(kds_crl, der, len);
	}
	kds_crl_len = len;
	pthread_mutex_unlock(&lock);
}

/* percent-encodes every byte outside A-Z a-z 0-9 - . _ ~ (as PCS does for PEM) */
static char *url_encode(const uint8_t *b, size_t n)
{
	char *out = malloc(3 * n + 1), *p = out;

	assert_non_null(out);
	for (size_t i = 0; i < n; i++) {
		if ((b[i] >= 'A' && b[i] <= 'Z') || (b[i] >= 'a' && b[i] <= 'z') || (b[i] >= '0' && b[i] <= '9') ||
		    b[i] == '-' || b[i] == '.' || b[i] == '_' || b[i] == '~')
			*p++ = (char)b[i];
		else
			p += sprintf(p, "%%%02X", b[i]);
	}
	*p = 0;
	return out;
}

/* header i: the value given (NULL: none) */
static void set_header(int i, const char *value)
{
	pthread_mutex_lock(&lock);
	free(pcs_headers[i]);
	pcs_headers[i] = value != NULL ? strdup(value) : NULL;
	pthread_mutex_unlock(&lock);
}

/* header i: a testdata file URL-encoded */
static void set_header_file(int i, const char *rel)
{
	size_t n;
	uint8_t *b = td_read(rel, &n);
	char *enc = url_encode(b, n);

	set_header(i, enc);
	free(enc);
	free(b);
}

static bool cached(const char *dir, const char *name)
{
	char path[4200];
	struct stat st;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	return stat(path, &st) == 0;
}

static void put_file(const char *dir, const char *name, const uint8_t *b, size_t n)
{
	char path[4200];

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	assert_int_equal(ccg_file_write_atomic(path, b, n, NULL), CCG_OK);
}

/* an empty cache directory */
static void fresh(const char *dir)
{
	td_rm_rf(dir);
	assert_int_equal(mkdir(dir, 0700), 0);
}

static void put_testdata(const char *dir, const char *name, const char *rel)
{
	size_t n;
	uint8_t *b = td_read(rel, &n);

	put_file(dir, name, b, n);
	free(b);
}

static void test_kds_fetch_cache_offline(void **state)
{
	char base[64], *dir = td_tmpdir();
	struct ccg_snp_kds_config cfg = {.base_url = base, .cache_dir = dir};
	struct ccg_snp_kds *k = NULL;
	struct ccg_snp_report r;
	size_t n;
	uint8_t *rep = td_read("snp/milan-go-sev-guest/attestation.bin", &n);
	X509 *vcek = NULL;
	STACK_OF(X509) *chain = NULL, *all = NULL;
	struct ccg_snp_verify_opts o;
	struct ccg_error err;
	uint64_t before;

	(void)state;
	snprintf(base, sizeof(base), "http://127.0.0.1:%d", port);
	assert_int_equal(ccg_snp_report_parse(rep, n, &r, NULL), CCG_OK);
	/* garbage answers are refused and not cached */
	atomic_store(&garbage, 1);
	assert_int_equal(ccg_snp_kds_new(&cfg, &k), CCG_OK);
	assert_int_not_equal(ccg_snp_kds_get_vcek(k, &r, CCG_SNP_PRODUCT_MILAN, &vcek, NULL), CCG_OK);
	atomic_store(&garbage, 0);
	/* online: fetched, parsed, cached; the report verifies with what came */
	ccg_error_clear(&err);
	if (ccg_snp_kds_get_vcek(k, &r, CCG_SNP_PRODUCT_MILAN, &vcek, &err) != CCG_OK)
		fail_msg("%s: %s", err.where, err.detail);
	assert_int_equal(ccg_snp_kds_get_chain(k, CCG_SNP_PRODUCT_MILAN, &chain, NULL), CCG_OK);
	all = sk_X509_new_null();
	assert_true(sk_X509_push(all, vcek) > 0);
	assert_true(sk_X509_push(all, sk_X509_value(chain, 0)) > 0);
	assert_true(sk_X509_push(all, sk_X509_value(chain, 1)) > 0);
	o = (struct ccg_snp_verify_opts){.ark = sk_X509_value(chain, 1), .certs = all, .now = SNP_NOW};
	assert_int_equal(ccg_snp_report_verify(&r, &o, NULL, NULL), CCG_OK);
	sk_X509_free(all);
	X509_free(vcek);
	sk_X509_pop_free(chain, X509_free);
	ccg_snp_kds_free(k);
	/* offline from the cache: no transfer */
	cfg.offline = true;
	assert_int_equal(ccg_snp_kds_new(&cfg, &k), CCG_OK);
	before = ccg_http_transfer_count();
	assert_int_equal(ccg_snp_kds_get_vcek(k, &r, CCG_SNP_PRODUCT_MILAN, &vcek, NULL), CCG_OK);
	assert_int_equal(ccg_snp_kds_get_chain(k, CCG_SNP_PRODUCT_MILAN, &chain, NULL), CCG_OK);
	assert_int_equal(ccg_http_transfer_count(), before);
	X509_free(vcek);
	sk_X509_pop_free(chain, X509_free);
	/* another product is not cached: not found offline */
	assert_int_equal(ccg_snp_kds_get_chain(k, CCG_SNP_PRODUCT_GENOA, &chain, NULL), CCG_ERR_NOT_FOUND);
	ccg_snp_kds_free(k);
	/* online, an unknown product: 404 */
	cfg.offline = false;
	assert_int_equal(ccg_snp_kds_new(&cfg, &k), CCG_OK);
	assert_int_equal(ccg_snp_kds_get_chain(k, CCG_SNP_PRODUCT_TURIN, &chain, NULL), CCG_ERR_NOT_FOUND);
	ccg_snp_kds_free(k);
	free(rep);
	td_rm_rf(dir);
	free(dir);
}

/* the report of pki verified with crl (NULL: none) */
static enum ccg_status verify_synthetic(const struct ts_amd_pki *pki, X509_CRL *crl, struct ccg_snp_result *res,
					struct ccg_error *err)
{
	uint8_t rep[CCG_SNP_REPORT_LEN], rd[64] = {0};
	struct ccg_snp_report r;
	STACK_OF(X509) *certs = sk_X509_new_null();
	STACK_OF(X509_CRL) *crls = sk_X509_CRL_new_null();
	struct ccg_snp_verify_opts o = {.ark = pki->ark, .certs = certs, .now = SNP_NOW, .crls = crls};
	enum ccg_status st;

	ts_amd_pki_report(pki, rd, rep);
	assert_int_equal(ccg_snp_report_parse(rep, sizeof(rep), &r, NULL), CCG_OK);
	assert_true(certs != NULL && crls != NULL && sk_X509_push(certs, pki->leaf) > 0 &&
		    sk_X509_push(certs, pki->ask) > 0);
	if (crl != NULL)
		assert_true(sk_X509_CRL_push(crls, crl) > 0);
	ccg_error_clear(err);
	st = ccg_snp_report_verify(&r, &o, res, err);
	sk_X509_free(certs);
	sk_X509_CRL_free(crls);
	return st;
}

/*
 * The ARK's CRL through the KDS client: fetched, checked against the ARK,
 * cached; offline from the cache; a stale cached CRL fetched again; a CRL
 * from another key, garbage and 404 refused and not cached. A CRL that lists
 * the ASK makes the report fail; an empty one lets it pass.
 */
static void test_kds_crl(void **state)
{
	char base[64], *dir = td_tmpdir(), path[4200];
	struct ccg_snp_kds_config cfg = {.base_url = base, .cache_dir = dir};
	struct ccg_snp_kds *k = NULL;
	struct ts_amd_pki pki;
	struct ccg_snp_result res;
	struct ccg_error err;
	EVP_PKEY *other = ts_rsa_key(2048);
	X509_CRL *crl = NULL;
	uint8_t *der, *got;
	size_t len, got_len;
	uint64_t before;

	(void)state;
	snprintf(base, sizeof(base), "http://127.0.0.1:%d", port);
	snprintf(path, sizeof(path), "%s/crl-Milan.der", dir);
	ts_amd_pki_make(&pki, "Milan", 0);
	assert_int_equal(ccg_snp_kds_new(&cfg, &k), CCG_OK);
	/* not served yet: 404 */
	assert_int_equal(ccg_snp_kds_get_crl(k, CCG_SNP_PRODUCT_MILAN, pki.ark, SNP_NOW, &crl, NULL),
			 CCG_ERR_NOT_FOUND);
	/* garbage: refused, not cached */
	der = ts_crl_der(pki.ark, pki.ark_key, SNP_NOW - 86400, SNP_NOW + 30 * 86400, &pki.ask, 1, &len);
	set_kds_crl(der, len);
	atomic_store(&garbage, 1);
	ccg_error_clear(&err);
	assert_int_equal(ccg_snp_kds_get_crl(k, CCG_SNP_PRODUCT_MILAN, pki.ark, SNP_NOW, &crl, &err), CCG_ERR_ENCODING);
	assert_string_equal(err.where, "AMD KDS crl");
	atomic_store(&garbage, 0);
	assert_false(cached(dir, "crl-Milan.der"));
	/* the ARK's CRL listing the ASK: fetched, cached; the report is refused naming the ASK */
	ccg_error_clear(&err);
	if (ccg_snp_kds_get_crl(k, CCG_SNP_PRODUCT_MILAN, pki.ark, SNP_NOW, &crl, &err) != CCG_OK)
		fail_msg("%s: %s", err.where, err.detail);
	got = td_read_file(path, &got_len);
	assert_true(got_len == len && memcmp(got, der, len) == 0);
	free(got);
	assert_int_equal(verify_synthetic(&pki, crl, &res, &err), CCG_ERR_REVOKED);
	assert_non_null(strstr(err.detail, "ASK SEV-Milan"));
	X509_CRL_free(crl);
	free(der);
	/* offline: the cached CRL, no transfer */
	ccg_snp_kds_free(k);
	cfg.offline = true;
	assert_int_equal(ccg_snp_kds_new(&cfg, &k), CCG_OK);
	before = ccg_http_transfer_count();
	assert_int_equal(ccg_snp_kds_get_crl(k, CCG_SNP_PRODUCT_MILAN, pki.ark, SNP_NOW, &crl, NULL), CCG_OK);
	assert_int_equal(ccg_http_transfer_count(), before);
	X509_CRL_free(crl);
	/* a stale CRL in the cache: returned offline (appraisal says stale) ... */
	der = ts_crl_der(pki.ark, pki.ark_key, SNP_NOW - 40 * 86400, SNP_NOW - 10 * 86400, NULL, 0, &len);
	put_file(dir, "crl-Milan.der", der, len);
	free(der);
	assert_int_equal(ccg_snp_kds_get_crl(k, CCG_SNP_PRODUCT_MILAN, pki.ark, SNP_NOW, &crl, NULL), CCG_OK);
	assert_int_equal(ccg_http_transfer_count(), before);
	assert_int_equal(verify_synthetic(&pki, crl, &res, &err), CCG_OK);
	assert_true(res.crl_checked && res.collateral_stale);
	X509_CRL_free(crl);
	ccg_snp_kds_free(k);
	/* ... and fetched again online: now an empty, current CRL, which passes and is cached */
	cfg.offline = false;
	assert_int_equal(ccg_snp_kds_new(&cfg, &k), CCG_OK);
	der = ts_crl_der(pki.ark, pki.ark_key, SNP_NOW - 86400, SNP_NOW + 30 * 86400, NULL, 0, &len);
	set_kds_crl(der, len);
	assert_int_equal(ccg_snp_kds_get_crl(k, CCG_SNP_PRODUCT_MILAN, pki.ark, SNP_NOW, &crl, NULL), CCG_OK);
	assert_int_equal(ccg_http_transfer_count(), before + 1);
	assert_int_equal(verify_synthetic(&pki, crl, &res, &err), CCG_OK);
	assert_true(res.crl_checked && !res.collateral_stale);
	got = td_read_file(path, &got_len);
	assert_true(got_len == len && memcmp(got, der, len) == 0);
	free(got);
	free(der);
	X509_CRL_free(crl);
	/* a CRL with the ARK's name from another key: refused, not cached */
	fresh(dir);
	der = ts_crl_der(pki.ark, other, SNP_NOW - 86400, SNP_NOW + 30 * 86400, NULL, 0, &len);
	set_kds_crl(der, len);
	free(der);
	ccg_error_clear(&err);
	assert_int_equal(ccg_snp_kds_get_crl(k, CCG_SNP_PRODUCT_MILAN, pki.ark, SNP_NOW, &crl, &err),
			 CCG_ERR_SIGNATURE);
	assert_null(crl);
	assert_false(cached(dir, "crl-Milan.der"));
	/* no ARK: refused before any transfer */
	assert_int_equal(ccg_snp_kds_get_crl(k, CCG_SNP_PRODUCT_MILAN, NULL, SNP_NOW, &crl, NULL), CCG_ERR_INVALID_ARG);
	set_kds_crl(NULL, 0);
	ccg_snp_kds_free(k);
	EVP_PKEY_free(other);
	ts_amd_pki_free(&pki);
	td_rm_rf(dir);
	free(dir);
}

static X509 *intel_root(void)
{
	size_t n;
	uint8_t *b = td_read(D "trusted_root.pem", &n);
	X509 *x = ts_pem_cert(b, n);

	free(b);
	return x;
}

/* the v5 sample quote with collateral c at 2026-02-03 */
static void quote_passes(const struct ccg_tdx_collateral *c)
{
	size_t ql;
	uint8_t *quote = td_read(D "quote_v5_sample.dat", &ql);
	X509 *root = intel_root();
	struct ccg_tdx_quote q;
	struct ccg_tdx_result res;
	struct ccg_tdx_verify_opts o = {.root = root, .collateral = c, .now = TDX_NOW};
	struct ccg_error err;

	assert_int_equal(ccg_tdx_quote_parse(quote, ql, &q, NULL), CCG_OK);
	ccg_error_clear(&err);
	if (ccg_tdx_quote_verify(&q, &o, &res, &err) != CCG_OK)
		fail_msg("%s: %s", err.where, err.detail);
	assert_int_equal(res.overall, CCG_TDX_TCB_UP_TO_DATE);
	ccg_tdx_result_cleanup(&res);
	X509_free(root);
	free(quote);
}

/* fetches with cfg and appraises the sample quote with what came */
static void fetch_and_appraise(const struct ccg_tdx_pcs_config *cfg)
{
	struct ccg_tdx_collateral *col = NULL;
	struct ccg_error err;

	ccg_error_clear(&err);
	if (ccg_tdx_collateral_fetch(cfg, "90c06f000000", "platform", &col, &err) != CCG_OK)
		fail_msg("%s: %s", err.where, err.detail);
	quote_passes(col);
	ccg_tdx_collateral_free(col);
}

/* PCS without issuer-chain headers: the TCB signing chain put in the cache by hand */
static void test_pcs_fetch_and_verify(void **state)
{
	char base[64], *dir = td_tmpdir();
	struct ccg_tdx_pcs_config cfg = {.base_url = base, .cache_dir = dir};
	struct ccg_tdx_collateral *col = NULL;
	uint64_t before;
	struct ccg_error err;

	(void)state;
	snprintf(base, sizeof(base), "http://127.0.0.1:%d", port);
	for (int i = 0; i < 3; i++)
		set_header(i, NULL);
	/* without a header or a cached chain: not found, naming the header */
	put_testdata(dir, "rootcrl.der", D "rootcrl.der");
	ccg_error_clear(&err);
	assert_int_equal(ccg_tdx_collateral_fetch(&cfg, "90c06f000000", "platform", &col, &err), CCG_ERR_NOT_FOUND);
	assert_non_null(strstr(err.detail, "no TCB-Info-Issuer-Chain header"));
	assert_false(cached(dir, "tcbinfo-90c06f000000.json"));
	/* what PCS sends in a header, put in the cache by hand */
	put_testdata(dir, "tcb_signing_chain.pem", D "tcbinfo_issuer_chain.derived.pem");
	fetch_and_appraise(&cfg);
	/* offline: everything from the cache, no transfer */
	cfg.offline = true;
	before = ccg_http_transfer_count();
	fetch_and_appraise(&cfg);
	assert_int_equal(ccg_http_transfer_count(), before);
	/* another FMSPC is not cached */
	assert_int_equal(ccg_tdx_collateral_fetch(&cfg, "00606a000000", "platform", &col, NULL), CCG_ERR_NOT_FOUND);
	td_rm_rf(dir);
	free(dir);
}

/*
 * PCS v4 with the issuer chains in response headers (URL-encoded PEM): each
 * verified to the Intel SGX Root CA (pinned, or the one configured) and
 * cached beside its answer; offline from the cache afterwards.
 */
static void test_pcs_issuer_chain_headers(void **state)
{
	char base[64], *dir = td_tmpdir(), path[4200];
	struct ccg_tdx_pcs_config cfg = {.base_url = base, .cache_dir = dir};
	struct ccg_tdx_collateral *col = NULL;
	struct ccg_error err;
	uint64_t before;
	size_t n, m;
	uint8_t *a, *b;
	X509 *root = intel_root();

	(void)state;
	snprintf(base, sizeof(base), "http://127.0.0.1:%d", port);
	set_header_file(0, D "tcbinfo_issuer_chain.derived.pem");
	set_header_file(1, D "qeidentity_issuer_chain.derived.pem");
	set_header_file(2, D "pckcrl_issuer_chain.derived.pem");
	put_testdata(dir, "rootcrl.der", D "rootcrl.der");
	fetch_and_appraise(&cfg);
	/* each chain is cached beside its answer, as PEM */
	snprintf(path, sizeof(path), "%s/tcbinfo-90c06f000000.json.issuer-chain.pem", dir);
	a = td_read_file(path, &n);
	b = td_read(D "tcbinfo_issuer_chain.derived.pem", &m);
	assert_true(n == m && memcmp(a, b, n) == 0);
	free(a);
	free(b);
	assert_true(cached(dir, "qe_identity.json.issuer-chain.pem"));
	assert_true(cached(dir, "pckcrl-platform.der.issuer-chain.pem"));
	assert_false(cached(dir, "tcb_signing_chain.pem"));
	/* offline: the chains come from the cache, no transfer */
	cfg.offline = true;
	before = ccg_http_transfer_count();
	fetch_and_appraise(&cfg);
	assert_int_equal(ccg_http_transfer_count(), before);
	/* a configured root: the same root passes, another one does not */
	fresh(dir);
	cfg.offline = false;
	cfg.root = root;
	put_testdata(dir, "rootcrl.der", D "rootcrl.der");
	fetch_and_appraise(&cfg);
	fresh(dir);
	{
		uint8_t *pem = ts_src_read("tests/data/amd/genoa/ark.pem", &n);
		X509 *ark = ts_pem_cert(pem, n);

		cfg.root = ark;
		put_testdata(dir, "rootcrl.der", D "rootcrl.der");
		ccg_error_clear(&err);
		assert_int_equal(ccg_tdx_collateral_fetch(&cfg, "90c06f000000", "platform", &col, &err),
				 CCG_ERR_CERT_UNTRUSTED);
		assert_false(cached(dir, "tcbinfo-90c06f000000.json"));
		X509_free(ark);
		free(pem);
	}
	X509_free(root);
	td_rm_rf(dir);
	free(dir);
}

/* each malformed header: its error (status, where, words in the detail); nothing is cached */
static void expect_header_refused(int which, const char *value, enum ccg_status want, const char *where,
				  const char *words)
{
	char base[64], *dir = td_tmpdir();
	struct ccg_tdx_pcs_config cfg = {.base_url = base, .cache_dir = dir};
	struct ccg_tdx_collateral *col = NULL;
	struct ccg_error err;

	snprintf(base, sizeof(base), "http://127.0.0.1:%d", port);
	set_header_file(0, D "tcbinfo_issuer_chain.derived.pem");
	set_header_file(1, D "qeidentity_issuer_chain.derived.pem");
	set_header_file(2, D "pckcrl_issuer_chain.derived.pem");
	set_header(which, value);
	put_testdata(dir, "rootcrl.der", D "rootcrl.der");
	ccg_error_clear(&err);
	assert_int_equal(ccg_tdx_collateral_fetch(&cfg, "90c06f000000", "platform", &col, &err), want);
	assert_null(col);
	if (strcmp(err.where, where) != 0 || strstr(err.detail, words) == NULL)
		fail_msg("want %s: …%s…, got %s: %s", where, words, err.where, err.detail);
	assert_false(cached(dir, "tcbinfo-90c06f000000.json"));
	assert_false(cached(dir, "qe_identity.json"));
	assert_false(cached(dir, "pckcrl-platform.der"));
	assert_false(cached(dir, "tcbinfo-90c06f000000.json.issuer-chain.pem"));
	td_rm_rf(dir);
	free(dir);
}

static void test_pcs_malformed_headers(void **state)
{
	size_t n;
	uint8_t *b = td_read(D "tcbinfo_issuer_chain.derived.pem", &n);
	char *enc = url_encode(b, n), *bad;
	uint8_t *amd = ts_src_read("tests/data/amd/genoa/ask.pem", &n);
	char *amd_enc = url_encode(amd, n);

	(void)state;
	/* a %-escape cut short, or not hex */
	bad = strdup(enc);
	assert_non_null(bad);
	bad[strlen(bad) - 1] = '\0';
	expect_header_refused(0, bad, CCG_ERR_ENCODING, "TCB-Info-Issuer-Chain", "bad %-escape at offset");
	bad[10] = '%';
	bad[11] = 'Z';
	expect_header_refused(0, bad, CCG_ERR_ENCODING, "TCB-Info-Issuer-Chain", "bad %-escape at offset 10");
	free(bad);
	/* %00 in the middle */
	expect_header_refused(1, "-----BEGIN%20CERTIFICATE%00-----", CCG_ERR_ENCODING,
			      "SGX-Enclave-Identity-Issuer-Chain", "bad %-escape at offset 24");
	/* decodes, but is not PEM certificates */
	expect_header_refused(0, "not%20a%20certificate", CCG_ERR_ENCODING, "TCB-Info-Issuer-Chain",
			      "not PEM certificates");
	expect_header_refused(2, "-----BEGIN%20CERTIFICATE-----%0AAAAA%0A-----END%20CERTIFICATE-----%0A",
			      CCG_ERR_ENCODING, "SGX-PCK-CRL-Issuer-Chain", "not PEM certificates");
	/* PEM, but a chain that does not end in the Intel SGX Root CA */
	expect_header_refused(0, amd_enc, CCG_ERR_CERT_UNTRUSTED, "TCB-Info-Issuer-Chain",
			      "does not end in the Intel SGX Root CA");
	/* a header over the bound common/http keeps */
	bad = malloc(CCG_HTTP_HEADER_MAX + 2);
	assert_non_null(bad);
	memset(bad, 'A', CCG_HTTP_HEADER_MAX + 1);
	bad[CCG_HTTP_HEADER_MAX + 1] = '\0';
	expect_header_refused(0, bad, CCG_ERR_TOO_LARGE, "TCB-Info-Issuer-Chain", "at most 16384 are taken");
	free(bad);
	/* the header twice: which one would be meant is not for the client to guess */
	atomic_store(&twice, 1);
	expect_header_refused(0, enc, CCG_ERR_MALFORMED, "TCB-Info-Issuer-Chain", "sent 2 times");
	atomic_store(&twice, 0);
	/* the PCK CRL's header names a chain that did not sign it */
	expect_header_refused(2, enc, CCG_ERR_CERT_CHAIN, "Intel PCS pckcrl", "not issued by Intel SGX TCB Signing");
	set_header(0, NULL);
	set_header(1, NULL);
	set_header(2, NULL);
	free(amd_enc);
	free(amd);
	free(enc);
	free(b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_kds_fetch_cache_offline), cmocka_unit_test(test_kds_crl),
		cmocka_unit_test(test_pcs_fetch_and_verify),    cmocka_unit_test(test_pcs_issuer_chain_headers),
		cmocka_unit_test(test_pcs_malformed_headers),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
