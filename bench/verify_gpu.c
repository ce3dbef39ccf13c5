/* SPDX-License-Identifier: Apache-2.0 */
/*
 * bench/verify_gpu: GPU appraisals per second on one core with warm caches,
 * next to the bound measured in the same run.
 *
 * 1. gpusim H100 (made here: NVIDIA-shaped PKI, signed driver and VBIOS RIMs,
 *    OCSP responses for both chains supplied to the offline cache): every
 *    check runs — signature, nonce, chain (cached once verified), FWID,
 *    OCSP (cached), both RIMs (cached), golden comparison — and passes.
 * 2. The real NVIDIA H100 report hopper-580.159.03 from the shared test data
 *    with its VBIOS RIM (no driver RIM or OCSP responses exist offline for
 *    it, so it is refused: the work is the same appraisal less revocation).
 *
 * Bound: one ECDSA P-384/SHA-384 verification of the same signed message,
 * the only signature check an appraisal with warm caches cannot avoid,
 * measured with OpenSSL alone. Ratio = appraisals/s ÷ verifications/s.
 *
 * Usage: verify_gpu [SECONDS_PER_ROUND]   (CCGPU_TESTDATA names the shared evidence)
 */
#include <openssl/evp.h>
#include <openssl/ocsp.h>
#include <openssl/pem.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "ccgpu/attest.h"
#include "common/buf.h"
#include "common/crypto.h"
#include "common/encoding.h"
#include "common/file.h"
#include "gpusim/gpusim.h"
#include "gpusim/ocsp_responder.h"

#define ROUNDS 5
#define REQ_LEN 37
#define SIG_LEN 96

struct job {
	const char *name;
	struct ccg_gpu_verifier *v;
	struct ccg_gpu_evidence *ev;
	uint8_t nonce[CCG_GPU_NONCE_LEN];
	int64_t now;
	enum ccg_status expect;
	/* the reference verification */
	EVP_PKEY *key;
	uint8_t *msg, *sig_der;
	size_t msg_len, sig_der_len;
};

static __attribute__((noreturn)) void die(const char *what)
{
	fprintf(stderr, "verify_gpu: %s\n", what);
	exit(1);
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void run_appraisal(struct job *j)
{
	struct ccg_gpu_result *r = NULL;
	struct ccg_error err;
	char buf[600];

	ccg_error_clear(&err);
	if (ccg_gpu_verifier_appraise(j->v, j->ev, j->nonce, sizeof(j->nonce), j->now, &r, &err) != j->expect ||
	    r == NULL) {
		fprintf(stderr, "verify_gpu: %s: unexpected result: %s\n", j->name,
			ccg_error_format(&err, buf, sizeof(buf)));
		exit(1);
	}
	ccg_gpu_result_free(r);
}

static void run_ecdsa(struct job *j)
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();

	if (ctx == NULL || EVP_DigestVerifyInit(ctx, NULL, EVP_sha384(), NULL, j->key) != 1 ||
	    EVP_DigestVerify(ctx, j->sig_der, j->sig_der_len, j->msg, j->msg_len) != 1)
		die("reference ECDSA verification failed");
	EVP_MD_CTX_free(ctx);
}

/* rate: runs fn for about secs seconds; operations per second */
static double rate(double secs, void (*fn)(struct job *), struct job *j)
{
	double t0 = now_s(), t;
	long ops = 0;

	do {
		for (int k = 0; k < 16; k++, ops++)
			fn(j);
		t = now_s() - t0;
	} while (t < secs);
	return (double)ops / t;
}

/* the reference: the report's own SPDM 1.1 signature, checked by OpenSSL alone */
static void set_reference(struct job *j, const uint8_t *report, size_t report_len, const char *chain_pem,
			  size_t chain_len)
{
	STACK_OF(X509) *certs = NULL;

	if (ccg_pem_certs_parse((const uint8_t *)chain_pem, chain_len, 10, &certs, NULL) != CCG_OK)
		die("cannot parse the device chain");
	j->key = X509_get_pubkey(sk_X509_value(certs, 0));
	sk_X509_pop_free(certs, X509_free);
	j->msg_len = report_len - SIG_LEN;
	j->msg = malloc(j->msg_len);
	if (j->key == NULL || j->msg == NULL ||
	    ccg_ecdsa_raw_to_der(report + j->msg_len, SIG_LEN, &j->sig_der, &j->sig_der_len) != CCG_OK)
		die("cannot build the reference verification");
	memcpy(j->msg, report, j->msg_len);
}

static X509 *load_cert(const char *dir, const char *name)
{
	char path[4096];
	STACK_OF(X509) *sk = NULL;
	X509 *x;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if (ccg_pem_certs_load(path, 1, &sk, NULL) != CCG_OK)
		die("cannot load a gpusim certificate");
	x = sk_X509_shift(sk);
	sk_X509_free(sk);
	return x;
}

/* supply_ocsp: an OCSP response from gpusim's responder for every certificate in its index */
static void supply_ocsp(struct ccg_gpu_verifier *v, const char *dir)
{
	struct gpusim_ocsp *resp = NULL;
	char path[4096], line[1024];
	FILE *f = NULL;

	snprintf(path, sizeof(path), "%s/ocsp-index.txt", dir);
	if (gpusim_ocsp_load(dir, &resp, NULL) != CCG_OK || (f = fopen(path, "r")) == NULL)
		die("cannot load gpusim's OCSP index");
	while (fgets(line, sizeof(line), f) != NULL) {
		char cert_name[512], issuer_name[512];
		X509 *cert, *issuer;
		OCSP_REQUEST *req = OCSP_REQUEST_new();
		unsigned char *der = NULL;
		uint8_t *answer = NULL;
		size_t answer_len = 0;
		int der_len;

		if (line[0] == '#' || sscanf(line, "%511s %511s", cert_name, issuer_name) != 2) {
			OCSP_REQUEST_free(req);
			continue;
		}
		cert = load_cert(dir, cert_name);
		issuer = load_cert(dir, issuer_name);
		if (req == NULL || OCSP_request_add0_id(req, OCSP_cert_to_id(EVP_sha384(), cert, issuer)) == NULL ||
		    (der_len = i2d_OCSP_REQUEST(req, &der)) <= 0 ||
		    gpusim_ocsp_answer(resp, der, (size_t)der_len, &answer, &answer_len, NULL) != CCG_OK ||
		    ccg_gpu_verifier_add_ocsp_response(v, answer, answer_len, NULL) != CCG_OK)
			die("cannot supply an OCSP response");
		free(answer);
		OPENSSL_free(der);
		OCSP_REQUEST_free(req);
		X509_free(cert);
		X509_free(issuer);
	}
	fclose(f);
	gpusim_ocsp_free(resp);
}

static void setup_gpusim(struct job *j, char *dir)
{
	struct gpusim_pki_opts o = {.gpus = 1};
	struct gpusim *sim = NULL;
	struct ccg_buf resp;
	uint8_t req[REQ_LEN], *report;
	char path[4096];
	const char *chain;

	if (mkdtemp(dir) == NULL || gpusim_pki_generate(dir, &o, NULL) != CCG_OK ||
	    gpusim_load(dir, &sim, NULL) != CCG_OK || ccg_random(j->nonce, sizeof(j->nonce)) != CCG_OK)
		die("cannot set up gpusim");
	gpusim_meas_request(j->nonce, req);
	ccg_buf_init(&resp, 1u << 20);
	if (ccg_buf_append(&resp, req, sizeof(req)) != CCG_OK ||
	    gpusim_spdm(sim, 0, req, sizeof(req), &resp, NULL) != CCG_OK)
		die("gpusim did not answer");
	report = resp.data;
	chain = gpusim_chain_pem(sim, 0);
	j->name = "gpusim H100";
	j->now = 0;
	j->expect = CCG_OK;
	if (ccg_gpu_verifier_new(&j->v) != CCG_OK || ccg_gpu_evidence_new(&j->ev) != CCG_OK ||
	    ccg_gpu_evidence_add_report(j->ev, "HOPPER", report, resp.len, (const uint8_t *)chain, strlen(chain),
					NULL) != CCG_OK)
		die("cannot build the gpusim evidence");
	snprintf(path, sizeof(path), "%s/device-root.pem", dir);
	if (ccg_gpu_verifier_set_device_anchor(j->v, path, NULL) != CCG_OK)
		die("device root");
	snprintf(path, sizeof(path), "%s/rim-root.pem", dir);
	if (ccg_gpu_verifier_set_rim_anchor(j->v, path, NULL) != CCG_OK)
		die("RIM root");
	snprintf(path, sizeof(path), "%s/rims", dir);
	ccg_gpu_verifier_set_offline(j->v, true);
	if (ccg_gpu_verifier_set_rims(j->v, path, NULL, NULL) != CCG_OK ||
	    ccg_gpu_verifier_set_ocsp(j->v, CCG_GPU_OCSP_CACHE, NULL, 0, NULL) != CCG_OK)
		die("verifier settings");
	supply_ocsp(j->v, dir);
	set_reference(j, report, resp.len, chain, strlen(chain));
	ccg_buf_cleanup(&resp);
	gpusim_free(sim);
}

static uint8_t *read_td(const char *dir, const char *rel, size_t *len, bool hex)
{
	char path[4096];
	uint8_t *data = NULL, *bin = NULL;
	size_t n = 0;

	snprintf(path, sizeof(path), "%s/%s", dir, rel);
	if (ccg_file_read(path, 1u << 20, &data, &n, NULL) != CCG_OK)
		return NULL;
	if (!hex) {
		*len = n;
		return data;
	}
	if (ccg_hex_decode((const char *)data, n, 1u << 20, &bin, len) != CCG_OK)
		die("bad hex in the shared test data");
	free(data);
	return bin;
}

/* setup_nvidia: false when the shared test data is absent */
static bool setup_nvidia(struct job *j, const char *td)
{
	uint8_t *report, *chain, *nonce_hex;
	size_t report_len = 0, chain_len = 0, nonce_len = 0;
	char rims[4096];

	report = read_td(td, "nvidia/hopper-580.159.03/report.hex", &report_len, true);
	chain = read_td(td, "nvidia/hopper-580.159.03/chain.pem", &chain_len, false);
	nonce_hex = read_td(td, "nvidia/hopper-580.159.03/nonce.hex", &nonce_len, false);
	if (report == NULL || chain == NULL || nonce_hex == NULL) {
		free(report);
		free(chain);
		free(nonce_hex);
		return false;
	}
	if (ccg_hex_decode_fixed((const char *)nonce_hex, nonce_len, j->nonce, sizeof(j->nonce)) != CCG_OK)
		die("bad nonce.hex");
	snprintf(rims, sizeof(rims), "%s/nvidia/rims", td);
	j->name = "NVIDIA H100 hopper-580.159.03";
	j->now = 1795305600;               /* 2026-11-22 */
	j->expect = CCG_ERR_RIM_NOT_FOUND; /* no driver RIM for it in the shared data */
	if (ccg_gpu_verifier_new(&j->v) != CCG_OK || ccg_gpu_evidence_new(&j->ev) != CCG_OK ||
	    ccg_gpu_evidence_add_report(j->ev, "HOPPER", report, report_len, chain, chain_len, NULL) != CCG_OK ||
	    ccg_gpu_verifier_set_rims(j->v, rims, NULL, NULL) != CCG_OK ||
	    ccg_gpu_verifier_set_ocsp(j->v, CCG_GPU_OCSP_OFF, NULL, 0, NULL) != CCG_OK)
		die("cannot build the NVIDIA evidence");
	ccg_gpu_verifier_set_offline(j->v, true);
	ccg_gpu_verifier_set_rim_ignore_expiry(j->v, true);
	set_reference(j, report, report_len, (const char *)chain, chain_len);
	free(report);
	free(chain);
	free(nonce_hex);
	return true;
}

static void measure(struct job *j, double secs, const char *what)
{
	double best_app = 0, best_ecdsa = 0;

	run_appraisal(j); /* warm every cache */
	for (int r = 0; r < ROUNDS; r++) {
		double a = rate(secs, run_appraisal, j), e = rate(secs, run_ecdsa, j);

		best_app = a > best_app ? a : best_app;
		best_ecdsa = e > best_ecdsa ? e : best_ecdsa;
	}
	printf("%-30s appraisals/s %8.0f   ecdsa_p384_verify/s %8.0f   ratio %.3f   %.1f us/appraisal   (%s)\n",
	       j->name, best_app, best_ecdsa, best_app / best_ecdsa, 1e6 / best_app, what);
}

static void free_job(struct job *j)
{
	ccg_gpu_evidence_free(j->ev);
	ccg_gpu_verifier_free(j->v);
	EVP_PKEY_free(j->key);
	free(j->msg);
	OPENSSL_free(j->sig_der);
}

static int rm_tree(const char *dir)
{
	char cmd[4200];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd);
}

int main(int argc, char **argv)
{
	const char *td = getenv("CCGPU_TESTDATA");
	double secs = argc > 1 ? atof(argv[1]) : 1.0;
	char dir[] = "/tmp/ccgpu-bench-XXXXXX";
	struct job sim = {0}, nv = {0};
	cpu_set_t one;

	CPU_ZERO(&one);
	CPU_SET(0, &one);
	if (sched_setaffinity(0, sizeof(one), &one) != 0)
		fprintf(stderr, "verify_gpu: could not pin to one core; figures may be noisy\n");
	printf("bound: one ECDSA P-384/SHA-384 verification of the same message per appraisal (OpenSSL %s); "
	       "best of %d rounds of %.1f s\n",
	       OpenSSL_version(OPENSSL_VERSION_STRING), ROUNDS, secs);

	setup_gpusim(&sim, dir);
	measure(&sim, secs, "all checks incl. cached OCSP for both chains, both RIMs; passes");
	free_job(&sim);
	if (rm_tree(dir) != 0)
		fprintf(stderr, "verify_gpu: could not remove %s\n", dir);

	if (setup_nvidia(&nv, td != NULL ? td : "../shared/testdata")) {
		measure(&nv, secs,
			"real report, VBIOS RIM, no OCSP responses offline; refused for the missing driver RIM");
		free_job(&nv);
	} else {
		printf("NVIDIA H100: shared test data not found (set CCGPU_TESTDATA)\n");
	}
	return 0;
}
