/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Trust anchors are given the same way everywhere (issue 12 item 9): every
 * anchor setter has a _pem form (the PEM text and its length) and a _file
 * form (a path), and both make the same verifier. Checked through the
 * public API: the GPU device and RIM anchors against gpusim's PKI (the
 * right root passes either way, another root fails, the anchor is one
 * certificate exactly), the AMD ARK against a synthetic AMD PKI whose ARK
 * is pinned nowhere (refused until given, passes once given either way),
 * the Intel root and TPM AK file forms, and the refusals of each _file form
 * (no path, a missing file, a file too large, the wrong kind of PEM). The
 * channel session's root_file / root_pem: tests/unit/test_channel.c.
 */
#include <stdarg.h>
#include <setjmp.h>
#include <stdbool.h>
#include <stddef.h>
#include <cmocka.h>
#include <openssl/pem.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "amd_pki.h"
#include "ccgpu/attest.h"
#include "ccgpu/cpu.h"
#include "ccgpu/util.h"
#include "gpusim/gpusim.h"
#include "gpusim/serve.h"
#include "testdata.h"

#define NOW 1767225600 /* 2026-01-01, inside the synthetic AMD PKI's validity */

static char *dir;
static struct gpusim *sim;
static char device_root[600], rim_root[600], rims[600];
static uint8_t *device_pem, *rim_pem;
static size_t device_len, rim_len;
static const uint8_t nonce[32] = {7, 7, 7, 7, 1, 2, 3, 4};

static int setup(void **state)
{
	static const struct gpusim_pki_opts o = {.gpus = 1};

	(void)state;
	dir = td_tmpdir();
	snprintf(device_root, sizeof(device_root), "%s/device-root.pem", dir);
	snprintf(rim_root, sizeof(rim_root), "%s/rim-root.pem", dir);
	snprintf(rims, sizeof(rims), "%s/rims", dir);
	/* generated in a child: xmlsec1 is initialised once per process, and the verifier does it here */
	if (gpusim_pki_generate_child(dir, &o) != CCG_OK || gpusim_load(dir, &sim, NULL) != CCG_OK ||
	    ccg_file_read(device_root, 1 << 20, &device_pem, &device_len, NULL) != CCG_OK ||
	    ccg_file_read(rim_root, 1 << 20, &rim_pem, &rim_len, NULL) != CCG_OK)
		return -1;
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	gpusim_free(sim);
	free(device_pem);
	free(rim_pem);
	td_rm_rf(dir);
	free(dir);
	return 0;
}

/* a verifier without anchors beyond the built-in ones: offline, gpusim's RIMs, no OCSP responder here */
static struct ccg_gpu_verifier *gpu_verifier(void)
{
	struct ccg_gpu_verifier *v = NULL;

	assert_int_equal(ccg_gpu_verifier_new(&v), CCG_OK);
	assert_int_equal(ccg_gpu_verifier_set_rims(v, rims, NULL, NULL), CCG_OK);
	ccg_gpu_verifier_set_offline(v, true);
	assert_int_equal(ccg_gpu_verifier_set_ocsp(v, CCG_GPU_OCSP_OFF, NULL, 0, NULL), CCG_OK);
	return v;
}

/* appraises GPU 0's report over nonce with v; err names the first failed check */
static enum ccg_status gpu_appraise(struct ccg_gpu_verifier *v, struct ccg_error *err)
{
	struct ccg_gpu_evidence *ev = NULL;
	struct ccg_gpu_result *res = NULL;
	struct ccg_buf b;
	uint8_t req[37], *report;
	size_t len;
	const char *chain = gpusim_chain_pem(sim, 0);
	enum ccg_status st;

	gpusim_meas_request(nonce, req);
	ccg_buf_init(&b, 0);
	assert_int_equal(ccg_buf_append(&b, req, sizeof(req)), CCG_OK);
	assert_int_equal(gpusim_spdm(sim, 0, req, sizeof(req), &b, NULL), CCG_OK);
	report = ccg_buf_steal(&b, &len);
	assert_int_equal(ccg_gpu_evidence_new(&ev), CCG_OK);
	assert_int_equal(ccg_gpu_evidence_add_report(ev, gpusim_arch(sim), report, len, (const uint8_t *)chain,
						     strlen(chain), NULL),
			 CCG_OK);
	ccg_error_clear(err);
	st = ccg_gpu_verifier_appraise(v, ev, nonce, sizeof(nonce), 0, &res, err);
	ccg_gpu_result_free(res);
	ccg_gpu_evidence_free(ev);
	free(report);
	return st;
}

static void test_gpu_anchors_either_way(void **state)
{
	struct ccg_gpu_verifier *v;
	struct ccg_error err;

	(void)state;
	/* as PEM text */
	v = gpu_verifier();
	assert_int_equal(ccg_gpu_verifier_set_device_anchor_pem(v, device_pem, device_len, NULL), CCG_OK);
	assert_int_equal(ccg_gpu_verifier_set_rim_anchor_pem(v, rim_pem, rim_len, NULL), CCG_OK);
	if (gpu_appraise(v, &err) != CCG_OK)
		fail_msg("%s: %s", err.where, err.detail);
	ccg_gpu_verifier_free(v);
	/* as files */
	v = gpu_verifier();
	assert_int_equal(ccg_gpu_verifier_set_device_anchor_file(v, device_root, NULL), CCG_OK);
	assert_int_equal(ccg_gpu_verifier_set_rim_anchor_file(v, rim_root, NULL), CCG_OK);
	if (gpu_appraise(v, &err) != CCG_OK)
		fail_msg("%s: %s", err.where, err.detail);
	ccg_gpu_verifier_free(v);
}

/* each anchor is used for what it anchors: the other root in its place fails the appraisal */
static void test_gpu_anchors_swapped(void **state)
{
	struct ccg_gpu_verifier *v;
	struct ccg_error err;

	(void)state;
	v = gpu_verifier();
	assert_int_equal(ccg_gpu_verifier_set_device_anchor_pem(v, rim_pem, rim_len, NULL), CCG_OK);
	assert_int_equal(ccg_gpu_verifier_set_rim_anchor_pem(v, rim_pem, rim_len, NULL), CCG_OK);
	assert_int_equal(gpu_appraise(v, &err), CCG_ERR_CERT_UNTRUSTED);
	assert_null(strstr(err.where, "RIM"));
	ccg_gpu_verifier_free(v);
	v = gpu_verifier();
	assert_int_equal(ccg_gpu_verifier_set_device_anchor_file(v, device_root, NULL), CCG_OK);
	assert_int_equal(ccg_gpu_verifier_set_rim_anchor_file(v, device_root, NULL), CCG_OK);
	assert_int_equal(gpu_appraise(v, &err), CCG_ERR_CERT_UNTRUSTED);
	assert_non_null(strstr(err.where, "RIM chain"));
	ccg_gpu_verifier_free(v);
}

/* an anchor is one certificate: two, none, garbage, nothing or a missing file are refused when set */
static void test_gpu_anchor_refusals(void **state)
{
	struct ccg_gpu_verifier *v = gpu_verifier();
	struct ccg_error err;
	size_t two_len = device_len + rim_len;
	uint8_t *two = malloc(two_len);
	char missing[700];

	(void)state;
	assert_non_null(two);
	memcpy(two, device_pem, device_len);
	memcpy(two + device_len, rim_pem, rim_len);
	ccg_error_clear(&err);
	assert_int_equal(ccg_gpu_verifier_set_device_anchor_pem(v, two, two_len, &err), CCG_ERR_TOO_LARGE);
	assert_int_equal(ccg_gpu_verifier_set_rim_anchor_pem(v, (const uint8_t *)"junk", 4, NULL), CCG_ERR_ENCODING);
	ccg_error_clear(&err);
	assert_int_equal(ccg_gpu_verifier_set_rim_anchor_pem(v, NULL, 0, &err), CCG_ERR_INVALID_ARG);
	assert_string_equal(err.where, "rim_anchor");
	ccg_error_clear(&err);
	assert_int_equal(ccg_gpu_verifier_set_device_anchor_file(v, NULL, &err), CCG_ERR_INVALID_ARG);
	assert_string_equal(err.where, "device_anchor");
	snprintf(missing, sizeof(missing), "%s/no-such.pem", dir);
	assert_int_equal(ccg_gpu_verifier_set_device_anchor_file(v, missing, NULL), CCG_ERR_NOT_FOUND);
	ccg_gpu_verifier_free(v);
	free(two);
}

/* the synthetic AMD PKI's ARK as PEM text and as a file in dir */
static char *ark_pem(const struct ts_amd_pki *pki, size_t *len, char *path, size_t path_size)
{
	BIO *bio = BIO_new(BIO_s_mem());
	char *data = NULL, *copy;
	long n;
	FILE *f;

	assert_true(bio != NULL && PEM_write_bio_X509(bio, pki->ark) == 1);
	n = BIO_get_mem_data(bio, &data);
	assert_true(n > 0);
	copy = strndup(data, (size_t)n);
	assert_non_null(copy);
	BIO_free(bio);
	*len = (size_t)n;
	snprintf(path, path_size, "%s/ark.pem", dir);
	f = fopen(path, "w");
	assert_non_null(f);
	assert_int_equal(fwrite(copy, 1, *len, f), *len);
	assert_int_equal(fclose(f), 0);
	return copy;
}

/* a file of len bytes of c in dir */
static void write_file(const char *path, size_t len, int c)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	for (size_t i = 0; i < len; i++)
		assert_int_not_equal(fputc(c, f), EOF);
	assert_int_equal(fclose(f), 0);
}

static void test_amd_ark_either_way(void **state)
{
	struct ts_amd_pki pki;
	uint8_t rep[1184], rd[64] = {0};
	const uint8_t *certs[1];
	size_t cert_lens[1], ark_len;
	char *chain, *doc = NULL, *ark, path[700];
	struct ccg_cpu_verifier *v = NULL;
	struct ccg_cpu_result *r = NULL;
	struct ccg_error err;

	(void)state;
	ts_amd_pki_make(&pki, "Milan", 0);
	ts_amd_pki_report(&pki, rd, rep);
	chain = ts_amd_pki_chain_pem(&pki);
	certs[0] = (const uint8_t *)chain;
	cert_lens[0] = strlen(chain);
	assert_int_equal(ccg_cpu_evidence_from_raw(CCG_CPU_FORMAT_SNP, rep, sizeof(rep), certs, cert_lens, 1, &doc,
						   NULL),
			 CCG_OK);
	ark = ark_pem(&pki, &ark_len, path, sizeof(path));
	/* pinned nowhere: refused until it is given */
	assert_int_equal(ccg_cpu_verifier_new(&v), CCG_OK);
	assert_int_equal(ccg_cpu_verifier_appraise(v, (const uint8_t *)doc, strlen(doc), rd, sizeof(rd), NOW, &r, NULL),
			 CCG_ERR_CERT_UNTRUSTED);
	assert_int_equal(ccg_cpu_verifier_set_amd_ark_file(v, path, NULL), CCG_OK);
	ccg_error_clear(&err);
	if (ccg_cpu_verifier_appraise(v, (const uint8_t *)doc, strlen(doc), rd, sizeof(rd), NOW, &r, &err) != CCG_OK)
		fail_msg("%s: %s", err.where, err.detail);
	ccg_cpu_result_free(r);
	r = NULL;
	ccg_cpu_verifier_free(v);
	assert_int_equal(ccg_cpu_verifier_new(&v), CCG_OK);
	assert_int_equal(ccg_cpu_verifier_set_amd_ark_pem(v, (const uint8_t *)ark, ark_len, NULL), CCG_OK);
	assert_int_equal(ccg_cpu_verifier_appraise(v, (const uint8_t *)doc, strlen(doc), rd, sizeof(rd), NOW, &r, NULL),
			 CCG_OK);
	ccg_cpu_result_free(r);
	ccg_cpu_verifier_free(v);
	free(ark);
	free(doc);
	free(chain);
	ts_amd_pki_free(&pki);
}

/* each _file form: no path, a missing file, a file over CCG_CPU_MAX_ANCHOR_PEM, the wrong kind of PEM */
static void test_cpu_file_refusals(void **state)
{
	struct ccg_cpu_verifier *v = NULL;
	struct ccg_error err;
	char big[700], missing[700], key[700];
	EVP_PKEY *k = ts_rsa_key(2048);
	FILE *f;

	(void)state;
	snprintf(big, sizeof(big), "%s/big.pem", dir);
	snprintf(missing, sizeof(missing), "%s/missing.pem", dir);
	snprintf(key, sizeof(key), "%s/ak.pem", dir);
	write_file(big, CCG_CPU_MAX_ANCHOR_PEM + 1, ' ');
	f = fopen(key, "w");
	assert_non_null(f);
	assert_int_equal(PEM_write_PUBKEY(f, k), 1);
	assert_int_equal(fclose(f), 0);
	EVP_PKEY_free(k);
	assert_int_equal(ccg_cpu_verifier_new(&v), CCG_OK);
	ccg_error_clear(&err);
	assert_int_equal(ccg_cpu_verifier_set_amd_ark_file(v, NULL, &err), CCG_ERR_INVALID_ARG);
	assert_string_equal(err.where, "amd_ark");
	ccg_error_clear(&err);
	assert_int_equal(ccg_cpu_verifier_set_intel_root_file(v, NULL, &err), CCG_ERR_INVALID_ARG);
	assert_string_equal(err.where, "intel_root");
	ccg_error_clear(&err);
	assert_int_equal(ccg_cpu_verifier_set_tpm_ak_file(v, NULL, &err), CCG_ERR_INVALID_ARG);
	assert_string_equal(err.where, "tpm_ak");
	assert_int_equal(ccg_cpu_verifier_set_amd_ark_file(v, missing, NULL), CCG_ERR_NOT_FOUND);
	assert_int_equal(ccg_cpu_verifier_set_intel_root_file(v, big, NULL), CCG_ERR_TOO_LARGE);
	/* a certificate where a public key belongs, and a public key where a certificate belongs */
	assert_int_equal(ccg_cpu_verifier_set_tpm_ak_file(v, device_root, NULL), CCG_ERR_ENCODING);
	assert_int_equal(ccg_cpu_verifier_set_intel_root_file(v, key, NULL), CCG_ERR_ENCODING);
	/* and each the right way round */
	assert_int_equal(ccg_cpu_verifier_set_tpm_ak_file(v, key, NULL), CCG_OK);
	assert_int_equal(ccg_cpu_verifier_set_intel_root_file(v, device_root, NULL), CCG_OK);
	ccg_cpu_verifier_free(v);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_gpu_anchors_either_way), cmocka_unit_test(test_gpu_anchors_swapped),
		cmocka_unit_test(test_gpu_anchor_refusals),    cmocka_unit_test(test_amd_ark_either_way),
		cmocka_unit_test(test_cpu_file_refusals),
	};

	return cmocka_run_group_tests_name("anchors", tests, setup, teardown);
}
