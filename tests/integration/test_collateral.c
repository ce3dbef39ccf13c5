/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Collateral over HTTP from a loopback server: AMD KDS (VCEK, ASK ‖ ARK) and a
 * PCS-compatible service (TCB info, QE identity, PCK CRL), the file cache
 * (written only for answers that parse), offline mode from the cache with no
 * transfer, 404 and garbage answers.
 */
#include <stdarg.h>
#include <setjmp.h>
#include <stddef.h>
#include <cmocka.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "attest/snp.h"
#include "attest/tdx.h"
#include "common/crypto.h"
#include "common/file.h"
#include "common/http.h"
#include "testdata.h"

static int listen_fd = -1, port;
static pthread_t thread;
static atomic_bool stop;
static atomic_int garbage; /* answer every request with junk */

struct route {
	const char *prefix, *file;
};

static const struct route routes[] = {
	{"/vcek/v1/Milan/cert_chain", "snp/milan-go-sev-guest/milan.testcer"},
	{"/vcek/v1/Milan/3ac3fe21", "snp/milan-go-sev-guest/vcek.testcer"},
	{"/tdx/certification/v4/tcb?fmspc=90c06f000000", "tdx/v5-sample/sample_tcbinfo_response_v5"},
	{"/tdx/certification/v4/qe/identity", "tdx/v5-sample/sample_qeIdentity_response"},
	{"/sgx/certification/v4/pckcrl?ca=platform", "tdx/v5-sample/pckcrl"},
};

static void serve(int c)
{
	char req[4096], head[256], path[2048];
	ssize_t n = recv(c, req, sizeof(req) - 1, 0);
	uint8_t *body = NULL;
	size_t len = 0;
	int status = 404;

	if (n <= 0)
		return;
	req[n] = 0;
	if (sscanf(req, "GET %2047s", path) == 1) {
		for (size_t i = 0; i < sizeof(routes) / sizeof(routes[0]); i++) {
			if (strncmp(path, routes[i].prefix, strlen(routes[i].prefix)) == 0) {
				body = td_read(routes[i].file, &len);
				status = 200;
			}
		}
	}
	if (status == 200 && atomic_load(&garbage)) {
		free(body);
		body = (uint8_t *)strdup("not collateral");
		len = strlen((char *)body);
	}
	snprintf(head, sizeof(head), "HTTP/1.1 %d X\r\nContent-Length: %zu\r\nConnection: close\r\n\r\n", status,
		 status == 200 ? len : 0);
	(void)!send(c, head, strlen(head), 0);
	if (status == 200)
		(void)!send(c, body, len, 0);
	free(body);
}

static void *server_main(void *arg)
{
	(void)arg;
	while (!atomic_load(&stop)) {
		struct pollfd p = {.fd = listen_fd, .events = POLLIN};
		int c;

		if (poll(&p, 1, 50) <= 0)
			continue;
		c = accept(listen_fd, NULL, NULL);
		if (c >= 0) {
			serve(c);
			close(c);
		}
	}
	return NULL;
}

static int setup(void **state)
{
	struct sockaddr_in a = {.sin_family = AF_INET};
	socklen_t al = sizeof(a);

	(void)state;
	td_require();
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	listen_fd = socket(AF_INET, SOCK_STREAM, 0);
	if (listen_fd < 0 || bind(listen_fd, (struct sockaddr *)&a, sizeof(a)) != 0 || listen(listen_fd, 8) != 0 ||
	    getsockname(listen_fd, (struct sockaddr *)&a, &al) != 0)
		return -1;
	port = ntohs(a.sin_port);
	return pthread_create(&thread, NULL, server_main, NULL) == 0 ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	atomic_store(&stop, true);
	pthread_join(thread, NULL);
	close(listen_fd);
	return 0;
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
	o = (struct ccg_snp_verify_opts){.ark = sk_X509_value(chain, 1), .certs = all, .now = 1795305600};
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

static void test_pcs_fetch_and_verify(void **state)
{
	char base[64], *dir = td_tmpdir(), path[4200];
	struct ccg_tdx_pcs_config cfg = {.base_url = base, .cache_dir = dir};
	struct ccg_tdx_collateral *col = NULL;
	struct ccg_tdx_quote q;
	struct ccg_tdx_result res;
	struct ccg_tdx_verify_opts o;
	STACK_OF(X509) *sk = NULL;
	uint8_t *b, *quote;
	size_t n, ql;
	uint64_t before;
	struct ccg_error err;

	(void)state;
	snprintf(base, sizeof(base), "http://127.0.0.1:%d", port);
	/* what PCS sends in headers or serves elsewhere: the signing chain and the root CRL */
	b = td_read("tdx/v5-sample/tcbinfo_issuer_chain.derived.pem", &n);
	snprintf(path, sizeof(path), "%s/tcb_signing_chain.pem", dir);
	assert_int_equal(ccg_file_write_atomic(path, b, n, NULL), CCG_OK);
	free(b);
	b = td_read("tdx/v5-sample/rootcrl.der", &n);
	snprintf(path, sizeof(path), "%s/rootcrl.der", dir);
	assert_int_equal(ccg_file_write_atomic(path, b, n, NULL), CCG_OK);
	free(b);
	ccg_error_clear(&err);
	if (ccg_tdx_collateral_fetch(&cfg, "90c06f000000", "platform", &col, &err) != CCG_OK)
		fail_msg("%s: %s", err.where, err.detail);
	b = td_read("tdx/v5-sample/trusted_root.pem", &n);
	assert_int_equal(ccg_pem_certs_parse(b, n, 1, &sk, NULL), CCG_OK);
	free(b);
	quote = td_read("tdx/v5-sample/quote_v5_sample.dat", &ql);
	assert_int_equal(ccg_tdx_quote_parse(quote, ql, &q, NULL), CCG_OK);
	o = (struct ccg_tdx_verify_opts){.root = sk_X509_value(sk, 0), .collateral = col, .now = 1770076800};
	assert_int_equal(ccg_tdx_quote_verify(&q, &o, &res, NULL), CCG_OK);
	assert_int_equal(res.overall, CCG_TDX_TCB_UP_TO_DATE);
	ccg_tdx_result_cleanup(&res);
	ccg_tdx_collateral_free(col);
	/* offline: everything from the cache, no transfer */
	cfg.offline = true;
	before = ccg_http_transfer_count();
	assert_int_equal(ccg_tdx_collateral_fetch(&cfg, "90c06f000000", "platform", &col, NULL), CCG_OK);
	assert_int_equal(ccg_http_transfer_count(), before);
	o.collateral = col;
	assert_int_equal(ccg_tdx_quote_verify(&q, &o, &res, NULL), CCG_OK);
	ccg_tdx_result_cleanup(&res);
	ccg_tdx_collateral_free(col);
	/* another FMSPC is not cached */
	assert_int_equal(ccg_tdx_collateral_fetch(&cfg, "00606a000000", "platform", &col, NULL), CCG_ERR_NOT_FOUND);
	sk_X509_pop_free(sk, X509_free);
	free(quote);
	td_rm_rf(dir);
	free(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_kds_fetch_cache_offline),
		cmocka_unit_test(test_pcs_fetch_and_verify),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
