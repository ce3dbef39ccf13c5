/* SPDX-License-Identifier: Apache-2.0 */
/*
 * bench/verify_gpu: appraisals per second of the real H100 evidence on one
 * core with warm caches, next to the bound measured in the same run.
 *
 * Appraisal: hopper-580.159.03 (report + chain + nonce) with its VBIOS RIM
 * (cached after the first appraisal; chain expiry ignored as that RIM's L3
 * certificate expired), the device chain cached, signature verified every
 * time. OCSP: NVIDIA's responses cannot be fetched offline, so the warm-cache
 * OCSP cost is measured on a 5-certificate P-384 chain made here (same depth
 * as NVIDIA's) with responses supplied to the cache, and added.
 *
 * Bound: one ECDSA P-384/SHA-384 verification of the same signed message —
 * the only signature check an appraisal with warm caches cannot avoid —
 * measured with OpenSSL directly. Ratio = appraisals/s ÷ verifications/s.
 *
 * Usage: verify_gpu [SECONDS_PER_ROUND]   (CCGPU_TESTDATA names the shared evidence)
 */
#include <openssl/evp.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "attest/nvgpu_evidence.h"
#include "attest/ocsp.h"
#include "bench/ocsp_fixture.h"
#include "ccgpu/attest.h"
#include "common/crypto.h"
#include "common/encoding.h"
#include "common/file.h"

#define NOW 1795305600 /* 2026-11-22T00:00:00Z */
#define ROUNDS 5

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static uint8_t *read_td(const char *dir, const char *rel, size_t *len, bool hex)
{
	char path[4096];
	uint8_t *data = NULL, *bin = NULL;
	size_t n = 0;

	snprintf(path, sizeof(path), "%s/%s", dir, rel);
	if (ccg_file_read(path, 1u << 20, &data, &n, NULL) != CCG_OK) {
		fprintf(stderr, "verify_gpu: cannot read %s (set CCGPU_TESTDATA)\n", path);
		exit(2);
	}
	if (!hex) {
		*len = n;
		return data;
	}
	if (ccg_hex_decode((const char *)data, n, 1u << 20, &bin, len) != CCG_OK) {
		fprintf(stderr, "verify_gpu: bad hex in %s\n", path);
		exit(2);
	}
	free(data);
	return bin;
}

struct ecdsa_job {
	EVP_PKEY *key;
	const uint8_t *msg, *sig_der;
	size_t msg_len, sig_len;
};

static void one_ecdsa(const struct ecdsa_job *j)
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();

	if (ctx == NULL || EVP_DigestVerifyInit(ctx, NULL, EVP_sha384(), NULL, j->key) != 1 ||
	    EVP_DigestVerify(ctx, j->sig_der, j->sig_len, j->msg, j->msg_len) != 1) {
		fprintf(stderr, "verify_gpu: reference ECDSA verification failed\n");
		exit(1);
	}
	EVP_MD_CTX_free(ctx);
}

static void one_appraisal(struct ccg_gpu_verifier *v, const struct ccg_gpu_evidence *ev,
			  const uint8_t *nonce)
{
	struct ccg_gpu_result *r = NULL;
	struct ccg_error err;

	ccg_error_clear(&err);
	/* refused as expected (RIM index 9 differs, no driver RIM): the work is the full appraisal */
	if (ccg_gpu_verifier_appraise(v, ev, nonce, CCG_GPU_NONCE_LEN, NOW, &r, &err) !=
		    CCG_ERR_RIM_NOT_FOUND ||
	    r == NULL) {
		char buf[600];

		fprintf(stderr, "verify_gpu: unexpected appraisal result: %s\n",
			ccg_error_format(&err, buf, sizeof(buf)));
		exit(1);
	}
	ccg_gpu_result_free(r);
}

struct app_job {
	struct ccg_gpu_verifier *v;
	const struct ccg_gpu_evidence *ev;
	const uint8_t *nonce;
};

static void run_app(void *arg)
{
	const struct app_job *j = arg;

	one_appraisal(j->v, j->ev, j->nonce);
}

static void run_ecdsa(void *arg)
{
	one_ecdsa(arg);
}

static void run_ocsp(void *arg)
{
	if (ccg_ocsp_fixture_check(arg) != CCG_OK) {
		fprintf(stderr, "verify_gpu: OCSP fixture check failed\n");
		exit(1);
	}
}

/* rate: runs fn for about secs seconds; operations per second */
static double rate(double secs, void (*fn)(void *), void *arg)
{
	double t0 = now_s(), t;
	long ops = 0;

	do {
		for (int k = 0; k < 16; k++, ops++)
			fn(arg);
		t = now_s() - t0;
	} while (t < secs);
	return (double)ops / t;
}

int main(int argc, char **argv)
{
	const char *td = getenv("CCGPU_TESTDATA");
	double secs = argc > 1 ? atof(argv[1]) : 1.0;
	struct ccg_gpu_verifier *v = NULL;
	struct ccg_gpu_evidence *ev = NULL;
	struct ccg_ocsp_fixture *fx = NULL;
	struct ecdsa_job job;
	uint8_t *report, *chain, *nonce_hex, nonce[CCG_GPU_NONCE_LEN], *sig_der = NULL;
	size_t report_len, chain_len, nonce_len, sig_der_len = 0;
	char rim_dir[4096];
	double best_app = 0, best_ecdsa = 0, best_ocsp = 0;
	cpu_set_t one;
	STACK_OF(X509) *certs = NULL;

	if (td == NULL)
		td = "../shared/testdata";
	CPU_ZERO(&one);
	CPU_SET(0, &one);
	if (sched_setaffinity(0, sizeof(one), &one) != 0)
		fprintf(stderr, "verify_gpu: could not pin to one core; figures may be noisy\n");

	report = read_td(td, "nvidia/hopper-580.159.03/report.hex", &report_len, true);
	chain = read_td(td, "nvidia/hopper-580.159.03/chain.pem", &chain_len, false);
	nonce_hex = read_td(td, "nvidia/hopper-580.159.03/nonce.hex", &nonce_len, false);
	if (ccg_hex_decode_fixed((const char *)nonce_hex, nonce_len, nonce, sizeof(nonce)) != CCG_OK)
		return 2;
	snprintf(rim_dir, sizeof(rim_dir), "%s/nvidia/rims", td);

	if (ccg_gpu_verifier_new(&v) != CCG_OK || ccg_gpu_evidence_new(&ev) != CCG_OK ||
	    ccg_gpu_evidence_add_report(ev, "HOPPER", report, report_len, chain, chain_len, NULL) != CCG_OK ||
	    ccg_gpu_verifier_set_rims(v, rim_dir, NULL, NULL) != CCG_OK ||
	    ccg_gpu_verifier_set_ocsp(v, CCG_GPU_OCSP_OFF, NULL, 0, NULL) != CCG_OK)
		return 2;
	ccg_gpu_verifier_set_offline(v, true);
	ccg_gpu_verifier_set_rim_ignore_expiry(v, true);

	/* the reference: the report's own signature, verified by OpenSSL alone */
	if (ccg_pem_certs_parse(chain, chain_len, 10, &certs, NULL) != CCG_OK)
		return 2;
	job.key = X509_get_pubkey(sk_X509_value(certs, 0));
	job.msg = report;
	job.msg_len = report_len - 96; /* SPDM 1.1: request ‖ response without its signature */
	if (ccg_ecdsa_raw_to_der(report + report_len - 96, 96, &sig_der, &sig_der_len) != CCG_OK)
		return 2;
	job.sig_der = sig_der;
	job.sig_len = sig_der_len;

	if (ccg_ocsp_fixture_new(5, NOW, &fx) != CCG_OK) {
		fprintf(stderr, "verify_gpu: cannot build the OCSP fixture\n");
		return 2;
	}

	one_appraisal(v, ev, nonce); /* warm the chain and RIM caches */
	for (int r = 0; r < ROUNDS; r++) {
		struct app_job aj = {v, ev, nonce};
		double a = rate(secs, run_app, &aj);
		double e = rate(secs, run_ecdsa, &job);
		double o = rate(secs / 4, run_ocsp, fx);

		if (a > best_app)
			best_app = a;
		if (e > best_ecdsa)
			best_ecdsa = e;
		if (o > best_ocsp)
			best_ocsp = o;
	}
	{
		double with_ocsp = 1.0 / (1.0 / best_app + 1.0 / best_ocsp);

		printf("ecdsa_p384_verify_per_s   %10.0f   (OpenSSL %s, same message, the bound: 1 per appraisal)\n",
		       best_ecdsa, OpenSSL_version(OPENSSL_VERSION_STRING));
		printf("appraisal_per_s           %10.0f   ratio %.3f   (signature, cached chain, cached RIM, golden)\n",
		       best_app, best_app / best_ecdsa);
		printf("ocsp_warm_chain_per_s     %10.0f   (5-certificate chain, cached responses)\n", best_ocsp);
		printf("appraisal_with_ocsp_per_s %10.0f   ratio %.3f   (best of %d rounds of %.1f s)\n",
		       with_ocsp, with_ocsp / best_ecdsa, ROUNDS, secs);
	}
	ccg_ocsp_fixture_free(fx);
	sk_X509_pop_free(certs, X509_free);
	EVP_PKEY_free(job.key);
	free(sig_der);
	free(report);
	free(chain);
	free(nonce_hex);
	ccg_gpu_evidence_free(ev);
	ccg_gpu_verifier_free(v);
	return 0;
}
