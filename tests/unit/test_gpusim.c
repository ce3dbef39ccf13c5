/* SPDX-License-Identifier: Apache-2.0 */
/*
 * gpusim in process: its reports parse with ccgpu's SPDM and opaque-data
 * parsers (no special case), appraise true against its own roots and RIMs,
 * each report fault fails exactly its check, and the transport frames.
 */
#include <stdarg.h>
#include <setjmp.h>
#include <stdbool.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/objects.h>
#include <openssl/ocsp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "attest/gpu/nvgpu_opaque.h"
#include "attest/pki/x509_chain.h"
#include "attest/gpu/spdm.h"
#include "ccgpu/attest.h"
#include "common/crypto.h"
#include "gpusim/gpusim.h"
#include "gpusim/ocsp_responder.h"
#include "gpusim/serve.h"
#include "testdata.h"
#include "wire/frame.h"

static char *dir;
static struct gpusim *sim;
static const uint8_t nonce[32] = {1,  2,  3,  4,  5,  6,  7,  8,  9,  10, 11, 12, 13, 14, 15, 16,
				  17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32};

static int setup(void **state)
{
	static const struct gpusim_pki_opts o = {.gpus = 2};

	(void)state;
	dir = td_tmpdir();
	/* generated in a child: xmlsec1 is initialised once per process, and the verifier does it here */
	if (gpusim_pki_generate_child(dir, &o) != CCG_OK)
		return -1;
	return gpusim_load(dir, &sim, NULL) == CCG_OK ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	gpusim_free(sim);
	td_rm_rf(dir);
	free(dir);
	return 0;
}

/* request || response for GPU g */
static uint8_t *report(unsigned g, size_t *len)
{
	struct ccg_buf b;
	uint8_t req[37];

	gpusim_meas_request(nonce, req);
	ccg_buf_init(&b, 0);
	assert_int_equal(ccg_buf_append(&b, req, sizeof(req)), CCG_OK);
	assert_int_equal(gpusim_spdm(sim, g, req, sizeof(req), &b, NULL), CCG_OK);
	return ccg_buf_steal(&b, len);
}

static void test_report_parses_like_nvidia(void **state)
{
	size_t len;
	uint8_t *r = report(0, &len);
	struct ccg_cursor c;
	struct ccg_spdm_meas_request req;
	struct ccg_spdm_meas_response *resp = calloc(1, sizeof(*resp));
	struct ccg_nv_opaque *op = calloc(1, sizeof(*op));
	static const uint16_t order[] = {6, 14, 15, 16, 17, 18, 19, 3, 4, 12, 13, 11, 20, 21, 34, 36};

	(void)state;
	assert_non_null(resp);
	assert_non_null(op);
	ccg_cursor_init(&c, r, len);
	assert_int_equal(ccg_spdm_meas_request_parse(&c, &req, NULL), CCG_OK);
	assert_int_equal(req.version, 0x11);
	assert_memory_equal(req.nonce, nonce, 32);
	assert_int_equal(ccg_spdm_meas_response_parse(c.data, c.len, req.version, 96, resp, NULL), CCG_OK);
	assert_int_equal(resp->num_blocks, 64);
	for (unsigned i = 0; i < 64; i++) {
		assert_int_equal(resp->blocks[i].index, i + 1);
		assert_int_equal(resp->blocks[i].dmtf_type, 0x01);
		assert_int_equal(resp->blocks[i].value.len, 48);
	}
	assert_int_equal(ccg_nv_opaque_parse(resp->opaque.data, resp->opaque.len, op, NULL), CCG_OK);
	assert_int_equal(op->num_fields, sizeof(order) / sizeof(order[0]));
	for (size_t i = 0; i < op->num_fields; i++)
		assert_int_equal(op->fields[i].id, order[i]);
	assert_string_equal(op->driver_version, "570.86.15");
	assert_string_equal(op->vbios_version, "96.00.A5.00.01");
	assert_string_equal(op->project, "1010");
	assert_string_equal(op->chip_sku, "882");
	assert_int_equal(op->fwid.len, 48);
	assert_int_equal(op->msrscnt_len, 64);
	free(op);
	free(resp);
	free(r);
}

/* appraise: gpus GPUs of sim, offline against its RIMs; the claims JSON in *claims, the result in *keep */
static enum ccg_status appraise_keep(unsigned gpus, char **claims, struct ccg_gpu_result **keep, struct ccg_error *err)
{
	struct ccg_gpu_verifier *v = NULL;
	struct ccg_gpu_evidence *ev = NULL;
	struct ccg_gpu_result *res = NULL;
	char path[4096], rims[4096];
	enum ccg_status st;

	snprintf(path, sizeof(path), "%s/device-root.pem", dir);
	snprintf(rims, sizeof(rims), "%s/rims", dir);
	assert_int_equal(ccg_gpu_verifier_new(&v), CCG_OK);
	assert_int_equal(ccg_gpu_verifier_set_device_anchor(v, path, NULL), CCG_OK);
	snprintf(path, sizeof(path), "%s/rim-root.pem", dir);
	assert_int_equal(ccg_gpu_verifier_set_rim_anchor(v, path, NULL), CCG_OK);
	assert_int_equal(ccg_gpu_verifier_set_rims(v, rims, NULL, NULL), CCG_OK);
	ccg_gpu_verifier_set_offline(v, true);
	/* the library checks revocation by default; this simulated PKI has no responder here */
	assert_int_equal(ccg_gpu_verifier_set_ocsp(v, CCG_GPU_OCSP_OFF, NULL, 0, NULL), CCG_OK);
	assert_int_equal(ccg_gpu_evidence_new(&ev), CCG_OK);
	for (unsigned g = 0; g < gpus; g++) {
		size_t len;
		uint8_t *r = report(g, &len);
		const char *pem = gpusim_chain_pem(sim, g);

		assert_int_equal(ccg_gpu_evidence_add_report(ev, gpusim_arch(sim), r, len, (const uint8_t *)pem,
							     strlen(pem), NULL),
				 CCG_OK);
		free(r);
	}
	st = ccg_gpu_verifier_appraise(v, ev, nonce, sizeof(nonce), 0, &res, err);
	assert_non_null(res);
	assert_int_equal(ccg_gpu_result_passed(res), st == CCG_OK);
	if (claims != NULL)
		*claims = ccg_gpu_result_claims_json(res, 0);
	if (keep != NULL)
		*keep = res;
	else
		ccg_gpu_result_free(res);
	ccg_gpu_evidence_free(ev);
	ccg_gpu_verifier_free(v);
	return st;
}

static enum ccg_status appraise(unsigned gpus, char **claims, struct ccg_error *err)
{
	return appraise_keep(gpus, claims, NULL, err);
}

/* the public claim getters read what the claims JSON says, per GPU (issue 12 item 9) */
static void test_claim_getters(void **state)
{
	struct gpusim_fault f;
	struct ccg_gpu_result *res = NULL;
	struct ccg_error err;
	bool b = false;
	int64_t n = 0;

	(void)state;
	ccg_error_clear(&err);
	gpusim_clear_faults(sim);
	assert_int_equal(gpusim_fault_parse("drift=40@1", &f, NULL), CCG_OK);
	assert_int_equal(gpusim_add_fault(sim, &f, NULL), CCG_OK);
	assert_int_equal(appraise_keep(2, NULL, &res, &err), CCG_ERR_MEASUREMENT_MISMATCH);
	gpusim_clear_faults(sim);
	assert_int_equal(ccg_gpu_result_count(res), 2);
	assert_int_equal(ccg_gpu_result_count(NULL), 0);
	assert_true(ccg_gpu_result_device_passed(res, 0));
	assert_false(ccg_gpu_result_device_passed(res, 1));
	assert_false(ccg_gpu_result_device_passed(res, 2));
	assert_false(ccg_gpu_result_device_passed(NULL, 0));
	assert_string_equal(ccg_gpu_result_claim_string(res, 0, "measres"), "success");
	assert_string_equal(ccg_gpu_result_claim_string(res, 1, "measres"), "fail");
	assert_string_equal(ccg_gpu_result_claim_string(res, 1, "x-nvidia-gpu-driver-version"), "570.86.15");
	assert_null(ccg_gpu_result_claim_string(res, 0, "x-nvidia-gpu-attestation-report-parsed")); /* a bool */
	assert_null(ccg_gpu_result_claim_string(res, 0, "no-such-claim"));
	assert_null(ccg_gpu_result_claim_string(res, 2, "measres"));
	assert_true(ccg_gpu_result_claim_bool(res, 1, "x-nvidia-gpu-attestation-report-signature-verified", &b));
	assert_true(b);
	assert_true(ccg_gpu_result_claim_bool(res, 1, "ccgpu-result", &b));
	assert_false(b);
	assert_false(ccg_gpu_result_claim_bool(res, 0, "measres", &b)); /* a string */
	assert_false(ccg_gpu_result_claim_bool(res, 0, "x-nvidia-gpu-arch-check", NULL));
	assert_string_equal(ccg_gpu_result_claim_string(res, 1, "ccgpu-error-code"), "ERR_MEASUREMENT_MISMATCH");
	assert_null(ccg_gpu_result_claim_string(res, 0, "ccgpu-error-code")); /* null */
	/* the GPU claims hold no integers; the CPU test reads one through ccg_cpu_result_claim_int */
	assert_false(ccg_gpu_result_claim_int(res, 1, "ccgpu-error-code", &n));
	assert_false(ccg_gpu_result_claim_int(res, 0, "measres", &n));
	ccg_gpu_result_free(res);
}

static void test_appraises_true(void **state)
{
	char *claims = NULL;
	struct ccg_error err;

	(void)state;
	ccg_error_clear(&err);
	gpusim_clear_faults(sim);
	assert_int_equal(appraise(2, &claims, &err), CCG_OK);
	assert_non_null(strstr(claims, "\"measres\":\"success\""));
	assert_non_null(strstr(claims, "\"x-nvidia-overall-att-result\":true"));
	free(claims);
}

static void expect_fault(const char *spec, enum ccg_status want, const char *where)
{
	struct gpusim_fault f;
	struct ccg_error err;

	ccg_error_clear(&err);
	gpusim_clear_faults(sim);
	assert_int_equal(gpusim_fault_parse(spec, &f, NULL), CCG_OK);
	assert_int_equal(gpusim_add_fault(sim, &f, NULL), CCG_OK);
	assert_int_equal(appraise(2, NULL, &err), want);
	if (strstr(err.where, where) == NULL)
		fail_msg("%s: where \"%s\", want \"%s\"", spec, err.where, where);
	gpusim_clear_faults(sim);
}

static void test_faults(void **state)
{
	struct gpusim_fault f;

	(void)state;
	expect_fault("bad-signature@1", CCG_ERR_SIGNATURE, "GPU-1 spdm.response.signature");
	/*
	 * here the evidence is the requester's own request || the response, so a device
	 * that answers over another nonce fails the signature; the NVML-style report
	 * (GET_REPORT frames, the integration test) shows it as a nonce mismatch
	 */
	expect_fault("wrong-nonce", CCG_ERR_SIGNATURE, "GPU-0 spdm.response.signature");
	expect_fault("drift=40@1", CCG_ERR_MEASUREMENT_MISMATCH, "GPU-1 golden.driver[40]");
	expect_fault("cc-off", CCG_ERR_MEASUREMENT_MISMATCH, "golden.driver[33]");
	expect_fault("devtools", CCG_ERR_MEASUREMENT_MISMATCH, "golden.driver[34]");
	expect_fault("unknown-rim", CCG_ERR_RIM_NOT_FOUND, "GPU-0");
	/* a validly signed report whose FWID is not the leaf's: only the FWID comparison refuses it */
	expect_fault("wrong-fwid@1", CCG_ERR_CERT_FWID, "GPU-1 device chain[0]");
	assert_int_equal(gpusim_fault_parse("drift", &f, NULL), CCG_ERR_INVALID_ARG);
	assert_int_equal(gpusim_fault_parse("drift=64", &f, NULL), CCG_ERR_INVALID_ARG);
	assert_int_equal(gpusim_fault_parse("cc-off=1", &f, NULL), CCG_ERR_INVALID_ARG);
	assert_int_equal(gpusim_fault_parse("cc-off@99", &f, NULL), CCG_ERR_INVALID_ARG);
	assert_int_equal(gpusim_fault_parse("melt", &f, NULL), CCG_ERR_INVALID_ARG);
	assert_int_equal(gpusim_fault_parse("expired-leaf", &f, NULL), CCG_OK);
	assert_int_equal(gpusim_add_fault(sim, &f, NULL), CCG_ERR_INVALID_ARG);
}

/* the certificates of a PEM chain (fails the test when it has none) */
static STACK_OF(X509) *pem_chain(const char *pem)
{
	BIO *bio = BIO_new_mem_buf(pem, (int)strlen(pem));
	STACK_OF(X509) *sk = sk_X509_new_null();
	X509 *x;

	assert_non_null(bio);
	assert_non_null(sk);
	while ((x = PEM_read_bio_X509(bio, NULL, NULL, NULL)) != NULL)
		assert_true(sk_X509_push(sk, x) > 0);
	ERR_clear_error();
	BIO_free(bio);
	assert_true(sk_X509_num(sk) > 1);
	return sk;
}

/*
 * The device-chain cache never serves a chain after its leaf expired. GPU 0's
 * FMC leaf is re-issued by its BROM (gpu0/brom.key) with notAfter an hour
 * after the chain's latest notBefore; one verifier appraises the report at
 * the leaf's last valid second (the chain verifies and is cached), then one
 * second after it. Every time comes from the certificates, none from the clock.
 */
static void test_chain_cache_leaf_expiry(void **state)
{
	STACK_OF(X509) *sk = pem_chain(gpusim_chain_pem(sim, 0));
	struct ccg_gpu_verifier *v = NULL;
	EVP_PKEY *brom_key;
	X509 *leaf;
	BIO *out, *kb;
	char path[4096], *pem;
	uint8_t *key_pem, *r;
	size_t key_len, len;
	int64_t latest = 0, expiry;
	long n;

	(void)state;
	gpusim_clear_faults(sim);
	for (int i = 0; i < sk_X509_num(sk); i++) {
		int64_t nb;

		assert_int_equal(ccg_asn1_time_unix(X509_get0_notBefore(sk_X509_value(sk, i)), &nb), CCG_OK);
		latest = nb > latest ? nb : latest;
	}
	expiry = latest + 3600;
	snprintf(path, sizeof(path), "%s/gpu0/brom.key", dir);
	key_pem = td_read_file(path, &key_len);
	kb = BIO_new_mem_buf(key_pem, (int)key_len);
	brom_key = PEM_read_bio_PrivateKey(kb, NULL, NULL, NULL);
	assert_non_null(brom_key);
	leaf = sk_X509_value(sk, 0);
	assert_non_null(ASN1_TIME_set(X509_getm_notAfter(leaf), (time_t)expiry));
	assert_true(X509_sign(leaf, brom_key, EVP_sha384()) > 0);
	out = BIO_new(BIO_s_mem());
	for (int i = 0; i < sk_X509_num(sk); i++)
		assert_int_equal(PEM_write_bio_X509(out, sk_X509_value(sk, i)), 1);
	n = BIO_get_mem_data(out, &pem);
	assert_true(n > 0);

	r = report(0, &len);
	snprintf(path, sizeof(path), "%s/device-root.pem", dir);
	assert_int_equal(ccg_gpu_verifier_new(&v), CCG_OK);
	assert_int_equal(ccg_gpu_verifier_set_device_anchor(v, path, NULL), CCG_OK);
	ccg_gpu_verifier_set_offline(v, true);
	ccg_gpu_verifier_skip_rims(v, true);
	assert_int_equal(ccg_gpu_verifier_set_ocsp(v, CCG_GPU_OCSP_OFF, NULL, 0, NULL), CCG_OK);
	for (int k = 0; k < 2; k++) {
		struct ccg_gpu_evidence *ev = NULL;
		struct ccg_gpu_result *res = NULL;
		struct ccg_error err;
		enum ccg_status st;

		assert_int_equal(ccg_gpu_evidence_new(&ev), CCG_OK);
		assert_int_equal(ccg_gpu_evidence_add_report(ev, "HOPPER", r, len, (const uint8_t *)pem, (size_t)n,
							     NULL),
				 CCG_OK);
		ccg_error_clear(&err);
		st = ccg_gpu_verifier_appraise(v, ev, nonce, sizeof(nonce), k == 0 ? expiry - 1 : expiry + 1, &res,
					       &err);
		if (k == 0 && (st == CCG_ERR_CERT_EXPIRED || strstr(err.where, "device chain") != NULL))
			fail_msg("at the leaf's last valid second: %s: %s", err.where, err.detail);
		if (k == 1) {
			assert_int_equal(st, CCG_ERR_CERT_EXPIRED);
			assert_string_equal(err.where, "GPU-0 device chain[0] (CN=GH100 A01 GSP FMC LF)");
		}
		ccg_gpu_result_free(res);
		ccg_gpu_evidence_free(ev);
	}
	ccg_gpu_verifier_free(v);
	free(r);
	BIO_free(out);
	BIO_free(kb);
	free(key_pem);
	EVP_PKEY_free(brom_key);
	sk_X509_pop_free(sk, X509_free);
}

static void test_distinct_identities(void **state)
{
	(void)state;
	assert_string_not_equal(gpusim_chain_pem(sim, 0), gpusim_chain_pem(sim, 1));
	assert_null(gpusim_chain_pem(sim, 2));
	assert_string_equal(gpusim_driver_rim_id(sim), "NV_GPU_DRIVER_GH100_570.86.15");
	assert_string_equal(gpusim_vbios_rim_id(sim), "NV_GPU_VBIOS_1010_0200_882_9600A50001");
}

/* runs body with dir/sim swapped for a fresh device set made with o */
static void with_set(const struct gpusim_pki_opts *o, void (*body)(void))
{
	char *saved_dir = dir;
	struct gpusim *saved_sim = sim;

	dir = td_tmpdir();
	assert_int_equal(gpusim_pki_generate_child(dir, o), CCG_OK);
	assert_int_equal(gpusim_load(dir, &sim, NULL), CCG_OK);
	body();
	gpusim_free(sim);
	td_rm_rf(dir);
	free(dir);
	dir = saved_dir;
	sim = saved_sim;
}

/* GPU 0's opaque data, parsed */
static struct ccg_nv_opaque *opaque0(uint8_t **raw)
{
	size_t len;
	struct ccg_cursor c;
	struct ccg_spdm_meas_request req;
	struct ccg_spdm_meas_response *resp = calloc(1, sizeof(*resp));
	struct ccg_nv_opaque *op = calloc(1, sizeof(*op));

	*raw = report(0, &len);
	ccg_cursor_init(&c, *raw, len);
	assert_int_equal(ccg_spdm_meas_request_parse(&c, &req, NULL), CCG_OK);
	assert_int_equal(ccg_spdm_meas_response_parse(c.data, c.len, req.version, 96, resp, NULL), CCG_OK);
	assert_int_equal(ccg_nv_opaque_parse(resp->opaque.data, resp->opaque.len, op, NULL), CCG_OK);
	free(resp);
	return op; /* its cursors borrow *raw */
}

static void blackwell_body(void)
{
	STACK_OF(X509) *certs = NULL;
	const char *pem = gpusim_chain_pem(sim, 0);
	ASN1_OBJECT *oid = OBJ_txt2obj("2.23.133.5.4.1.1", 1);
	const ASN1_OCTET_STRING *v;
	uint8_t *raw, fwid[48];
	struct ccg_nv_opaque *op = opaque0(&raw);
	struct ccg_error err;
	char *claims = NULL;
	int pos;

	assert_string_equal(gpusim_arch(sim), "BLACKWELL");
	assert_string_equal(gpusim_driver_rim_id(sim), "NV_GPU_CC_DRIVER_GB100_570.86.15");
	assert_int_equal(ccg_pem_certs_parse((const uint8_t *)pem, strlen(pem), 10, &certs, NULL), CCG_OK);
	pos = X509_get_ext_by_OBJ(sk_X509_value(certs, 0), oid, -1);
	assert_true(pos >= 0);
	v = X509_EXTENSION_get_data(X509_get_ext(sk_X509_value(certs, 0), pos));
	/* NVIDIA's shape: the report's FWID is fwids[0], and the extension does not end with it */
	assert_int_equal(op->fwid.len, 48);
	assert_memory_not_equal(ASN1_STRING_get0_data(v) + ASN1_STRING_length(v) - 48, op->fwid.data, 48);
	assert_int_equal(ccg_cert_fwid(sk_X509_value(certs, 0), fwid, NULL), CCG_OK);
	assert_memory_equal(fwid, op->fwid.data, 48);
	ccg_error_clear(&err);
	if (appraise(1, &claims, &err) != CCG_OK)
		fail_msg("%s: %s", err.where, err.detail);
	assert_non_null(strstr(claims, "\"ccgpu-arch\":\"BLACKWELL\""));
	assert_non_null(strstr(claims, "\"ccgpu-fwid\":\"match\""));
	assert_non_null(strstr(claims, "\"x-nvidia-gpu-arch-check\":true"));
	assert_non_null(strstr(claims, "\"measres\":\"success\""));
	free(claims);
	free(op);
	free(raw);
	ASN1_OBJECT_free(oid);
	sk_X509_pop_free(certs, X509_free);
}

static void test_blackwell_fwid_in_tcbinfo(void **state)
{
	static const struct gpusim_pki_opts o = {.gpus = 1, .arch = "BLACKWELL"};

	(void)state;
	with_set(&o, blackwell_body);
}

static void driver535_body(void)
{
	uint8_t *raw;
	struct ccg_nv_opaque *op = opaque0(&raw);
	struct ccg_error err;
	char *claims = NULL;

	/* the report has no FWID field at all; accepted as NVIDIA's SDK does, and claimed */
	assert_null(ccg_nv_opaque_find(op, CCG_NV_OPAQUE_FWID));
	ccg_error_clear(&err);
	assert_int_equal(appraise(1, &claims, &err), CCG_OK);
	assert_non_null(strstr(claims, "\"ccgpu-fwid\":\"absent\""));
	assert_non_null(strstr(claims, "\"x-nvidia-gpu-attestation-report-cert-chain-fwid-match\":true"));
	assert_non_null(strstr(claims, "\"x-nvidia-gpu-driver-version\":\"535.104.05\""));
	free(claims);
	free(op);
	free(raw);
}

static void test_driver_535_has_no_fwid(void **state)
{
	static const struct gpusim_pki_opts o = {.gpus = 1, .driver_version = "535.104.05"};

	(void)state;
	with_set(&o, driver535_body);
}

/* the whole board as NVIDIA's serialized evidence, appraised against gpusim's roots and RIMs */
static enum ccg_status appraise_board(char **claims, struct ccg_error *err)
{
	struct ccg_gpu_verifier *v = NULL;
	struct ccg_gpu_evidence *ev = NULL;
	struct ccg_gpu_result *res = NULL;
	char path[4096], rims[4096], *json = NULL;
	enum ccg_status st;

	snprintf(path, sizeof(path), "%s/device-root.pem", dir);
	snprintf(rims, sizeof(rims), "%s/rims", dir);
	assert_int_equal(ccg_gpu_verifier_new(&v), CCG_OK);
	assert_int_equal(ccg_gpu_verifier_set_device_anchor(v, path, NULL), CCG_OK);
	snprintf(path, sizeof(path), "%s/rim-root.pem", dir);
	assert_int_equal(ccg_gpu_verifier_set_rim_anchor(v, path, NULL), CCG_OK);
	assert_int_equal(ccg_gpu_verifier_set_rims(v, rims, NULL, NULL), CCG_OK);
	ccg_gpu_verifier_set_offline(v, true);
	/* the library checks revocation by default; this board test is about topology */
	assert_int_equal(ccg_gpu_verifier_set_ocsp(v, CCG_GPU_OCSP_OFF, NULL, 0, NULL), CCG_OK);
	assert_int_equal(gpusim_evidence_json(sim, nonce, &json, NULL), CCG_OK);
	assert_int_equal(ccg_gpu_evidence_new(&ev), CCG_OK);
	assert_int_equal(ccg_gpu_evidence_add_json(ev, (const uint8_t *)json, strlen(json), NULL), CCG_OK);
	ccg_error_clear(err);
	st = ccg_gpu_verifier_appraise(v, ev, nonce, sizeof(nonce), 0, &res, err);
	assert_non_null(res);
	*claims = ccg_gpu_result_claims_json(res, 0);
	free(json);
	ccg_gpu_result_free(res);
	ccg_gpu_evidence_free(ev);
	ccg_gpu_verifier_free(v);
	return st;
}

static void expect_board(const char *fault, enum ccg_status want, const char *where)
{
	struct gpusim_fault f;
	struct ccg_error err;
	char *claims = NULL;
	enum ccg_status st;

	gpusim_clear_faults(sim);
	if (fault != NULL) {
		assert_int_equal(gpusim_fault_parse(fault, &f, NULL), CCG_OK);
		assert_int_equal(gpusim_add_fault(sim, &f, NULL), CCG_OK);
	}
	st = appraise_board(&claims, &err);
	if (st != want || (where != NULL && strstr(err.where, where) == NULL))
		fail_msg("%s: %d at \"%s\" (%s), want %d at \"%s\"", fault != NULL ? fault : "no fault", st, err.where,
			 err.detail, want, where != NULL ? where : "");
	assert_non_null(strstr(claims, want != CCG_ERR_TOPOLOGY ? "\"ccgpu-ppcie-topology\":\"pass\""
								: "\"ccgpu-ppcie-topology\":\"fail\""));
	if (want == CCG_OK) {
		assert_non_null(strstr(claims, "\"SWITCH-3\""));
		assert_non_null(strstr(claims, "\"x-nvidia-switch-bios-rim-version-match\":true"));
		assert_null(strstr(claims, "\"measres\":\"fail\""));
	}
	free(claims);
	gpusim_clear_faults(sim);
}

static void ppcie_body(void)
{
	assert_int_equal(gpusim_count(sim), 8);
	assert_int_equal(gpusim_switch_count(sim), 4);
	assert_string_equal(gpusim_switch_rim_id(sim), "NV_SWITCH_BIOS_5612_0002_890_9610550001");
	expect_board(NULL, CCG_OK, NULL);
	/* disabled links are not switches */
	expect_board("ppcie-link-down@1", CCG_OK, NULL);
	/* a GPU wired to a switch that is not on the board, a switch missing a GPU: named */
	expect_board("ppcie-rogue-switch@3", CCG_ERR_TOPOLOGY, "GPU-3 ppcie.topology");
	expect_board("ppcie-missing-gpu@2", CCG_ERR_TOPOLOGY, "SWITCH-2 ppcie.topology");
	/* a switch's own signature and report faults are its own */
	expect_board("bad-signature@1", CCG_ERR_SIGNATURE, "GPU-1");
}

static void test_ppcie_board(void **state)
{
	static const struct gpusim_pki_opts o = {.gpus = 8, .switches = 4};

	(void)state;
	with_set(&o, ppcie_body);
}

static void test_spdm_errors(void **state)
{
	struct ccg_buf b;
	uint8_t req[37];

	(void)state;
	gpusim_meas_request(nonce, req);
	ccg_buf_init(&b, 0);
	req[1] = 0x84; /* GET_VERSION: not supported here */
	assert_int_equal(gpusim_spdm(sim, 0, req, 4, &b, NULL), CCG_OK);
	assert_int_equal(b.len, 4);
	assert_int_equal(b.data[1], 0x7F);
	assert_int_equal(b.data[2], 0x07);
	assert_int_equal(b.data[3], 0x84);
	b.len = 0;
	gpusim_meas_request(nonce, req);
	req[2] = 0; /* no signature requested */
	assert_int_equal(gpusim_spdm(sim, 0, req, sizeof(req), &b, NULL), CCG_OK);
	assert_int_equal(b.data[2], 0x01);
	b.len = 0;
	assert_int_equal(gpusim_spdm(sim, 0, req, 36, &b, NULL), CCG_OK);
	assert_int_equal(b.data[1], 0x7F);
	assert_int_equal(gpusim_spdm(sim, 7, req, sizeof(req), &b, NULL), CCG_ERR_INVALID_ARG);
	ccg_buf_cleanup(&b);
}

static void answer(const struct ccg_buf *in, struct ccg_buf *out, struct ccg_frame *f)
{
	struct ccg_cursor c;

	out->len = 0;
	assert_int_equal(gpusim_handle_frame(sim, in->data, in->len, out, NULL), CCG_OK);
	ccg_cursor_init(&c, out->data, out->len);
	assert_int_equal(ccg_frame_parse(&c, f, NULL), CCG_OK);
	assert_int_equal(c.len, 0);
}

static void test_frames(void **state)
{
	struct ccg_buf in, out;
	struct ccg_frame f;
	struct ccg_cursor c;
	struct ccg_error err;
	uint32_t code;

	(void)state;
	gpusim_clear_faults(sim);
	ccg_buf_init(&in, 0);
	ccg_buf_init(&out, 0);
	assert_int_equal(ccg_frame_append(&in, CCG_FRAME_GET_INFO, 0, 0, NULL, 0), CCG_OK);
	answer(&in, &out, &f);
	assert_int_equal(f.type, CCG_FRAME_INFO);
	assert_int_equal(f.payload.len, 2);
	assert_int_equal(f.payload.data[0], 2);
	in.len = 0;
	assert_int_equal(ccg_frame_append(&in, CCG_FRAME_GET_REPORT, 1, 0, nonce, 32), CCG_OK);
	answer(&in, &out, &f);
	assert_int_equal(f.type, CCG_FRAME_REPORT);
	assert_int_equal(f.device, 1);
	assert_true(f.payload.len > 37 + 64 * 55);
	/* a device that does not exist, a session that is not open, trailing bytes: ERROR frames */
	in.len = 0;
	assert_int_equal(ccg_frame_append(&in, CCG_FRAME_GET_CERT_CHAIN, 5, 0, NULL, 0), CCG_OK);
	answer(&in, &out, &f);
	assert_int_equal(f.type, CCG_FRAME_ERROR);
	c = f.payload;
	assert_true(ccg_cursor_get_u32le(&c, &code));
	assert_int_equal(code, CCG_ERR_INVALID_ARG);
	in.len = 0;
	assert_int_equal(ccg_frame_append(&in, CCG_FRAME_GET_INFO, 0, 7, NULL, 0), CCG_OK);
	answer(&in, &out, &f);
	assert_int_equal(f.type, CCG_FRAME_ERROR);
	assert_int_equal(ccg_buf_append_u8(&in, 0), CCG_OK);
	answer(&in, &out, &f);
	assert_int_equal(f.type, CCG_FRAME_ERROR);
	/* the parser: every truncation, a bad version, an unknown type, an oversized length */
	in.len = 0;
	assert_int_equal(ccg_frame_append(&in, CCG_FRAME_GET_REPORT, 0, 0, nonce, 32), CCG_OK);
	for (size_t n = 0; n < in.len; n++) {
		ccg_cursor_init(&c, in.data, n);
		assert_int_equal(ccg_frame_parse(&c, &f, NULL), CCG_ERR_TRUNCATED);
		assert_int_equal(c.len, n);
	}
	in.data[4] = 2;
	ccg_cursor_init(&c, in.data, in.len);
	ccg_error_clear(&err);
	assert_int_equal(ccg_frame_parse(&c, &f, &err), CCG_ERR_UNSUPPORTED);
	assert_string_equal(err.where, "frame.version");
	in.data[4] = 1;
	in.data[5] = 0x42;
	ccg_cursor_init(&c, in.data, in.len);
	assert_int_equal(ccg_frame_parse(&c, &f, NULL), CCG_ERR_MALFORMED);
	in.data[5] = CCG_FRAME_GET_REPORT;
	in.data[2] = 0x10; /* 1 MiB */
	ccg_cursor_init(&c, in.data, in.len);
	assert_int_equal(ccg_frame_parse(&c, &f, NULL), CCG_ERR_TOO_LARGE);
	ccg_buf_cleanup(&in);
	ccg_buf_cleanup(&out);
}

/* supply_ocsp: gives v gpusim's OCSP answer for every certificate in its index; returns how many */
static unsigned supply_ocsp(struct ccg_gpu_verifier *v)
{
	struct gpusim_ocsp *resp = NULL;
	char path[4096], line[1024];
	unsigned n = 0;
	FILE *f;

	snprintf(path, sizeof(path), "%s/ocsp-index.txt", dir);
	assert_int_equal(gpusim_ocsp_load(dir, &resp, NULL), CCG_OK);
	f = fopen(path, "r");
	assert_non_null(f);
	while (fgets(line, sizeof(line), f) != NULL) {
		char names[2][512];
		X509 *x[2];
		OCSP_REQUEST *req = OCSP_REQUEST_new();
		unsigned char *der = NULL;
		uint8_t *answer = NULL;
		size_t answer_len = 0;
		int der_len;

		if (line[0] == '#' || sscanf(line, "%511s %511s", names[0], names[1]) != 2) {
			OCSP_REQUEST_free(req);
			continue;
		}
		for (int k = 0; k < 2; k++) {
			STACK_OF(X509) *sk = NULL;

			snprintf(path, sizeof(path), "%s/%s", dir, names[k]);
			assert_int_equal(ccg_pem_certs_load(path, 1, &sk, NULL), CCG_OK);
			x[k] = sk_X509_shift(sk);
			sk_X509_free(sk);
		}
		assert_non_null(req);
		assert_non_null(OCSP_request_add0_id(req, OCSP_cert_to_id(EVP_sha384(), x[0], x[1])));
		der_len = i2d_OCSP_REQUEST(req, &der);
		assert_true(der_len > 0);
		assert_int_equal(gpusim_ocsp_answer(resp, der, (size_t)der_len, &answer, &answer_len, NULL), CCG_OK);
		assert_int_equal(ccg_gpu_verifier_add_ocsp_response(v, answer, answer_len, NULL), CCG_OK);
		n++;
		free(answer);
		OPENSSL_free(der);
		OCSP_REQUEST_free(req);
		X509_free(x[0]);
		X509_free(x[1]);
	}
	fclose(f);
	gpusim_ocsp_free(resp);
	return n;
}

/*
 * Issue 12 item 8: responses given to add_ocsp_response survive every later
 * setter (they used to be dropped with the lazily built OCSP checker, so an
 * offline cache-mode appraisal failed with OCSP_UNAVAILABLE).
 */
static void test_supplied_ocsp_survives_every_setter(void **state)
{
	char anchor[4096], rim_anchor[4096], rims[4096], cache[4096];
	uint8_t *r;
	size_t len;
	const char *pem = gpusim_chain_pem(sim, 0);

	(void)state;
	gpusim_clear_faults(sim);
	r = report(0, &len);
	snprintf(anchor, sizeof(anchor), "%s/device-root.pem", dir);
	snprintf(rim_anchor, sizeof(rim_anchor), "%s/rim-root.pem", dir);
	snprintf(rims, sizeof(rims), "%s/rims", dir);
	snprintf(cache, sizeof(cache), "%s/verifier-cache", dir);
	/* setter -1: none (the baseline); 0..8 each setter once, after the responses */
	for (int setter = -1; setter <= 8; setter++) {
		struct ccg_gpu_verifier *v = NULL;
		struct ccg_gpu_evidence *ev = NULL;
		struct ccg_gpu_result *res = NULL;
		struct ccg_error err;
		enum ccg_status st;
		char *claims;

		assert_int_equal(ccg_gpu_verifier_new(&v), CCG_OK);
		assert_int_equal(ccg_gpu_verifier_set_device_anchor(v, anchor, NULL), CCG_OK);
		assert_int_equal(ccg_gpu_verifier_set_rim_anchor(v, rim_anchor, NULL), CCG_OK);
		assert_int_equal(ccg_gpu_verifier_set_rims(v, rims, NULL, NULL), CCG_OK);
		ccg_gpu_verifier_set_offline(v, true);
		assert_int_equal(ccg_gpu_verifier_set_ocsp(v, CCG_GPU_OCSP_CACHE, NULL, 0, NULL), CCG_OK);
		assert_true(supply_ocsp(v) >= 2);
		switch (setter) {
		case 0: assert_int_equal(ccg_gpu_verifier_set_device_anchor(v, anchor, NULL), CCG_OK); break;
		case 1: assert_int_equal(ccg_gpu_verifier_set_rim_anchor(v, rim_anchor, NULL), CCG_OK); break;
		case 2: assert_int_equal(ccg_gpu_verifier_set_rims(v, rims, NULL, NULL), CCG_OK); break;
		case 3: ccg_gpu_verifier_skip_rims(v, false); break;
		case 4: ccg_gpu_verifier_set_rim_ignore_expiry(v, false); break;
		case 5: assert_int_equal(ccg_gpu_verifier_set_cache_dir(v, cache, NULL), CCG_OK); break;
		case 6:
			assert_int_equal(ccg_gpu_verifier_set_ocsp(v, CCG_GPU_OCSP_CACHE, NULL, 0, NULL), CCG_OK);
			break;
		case 7: ccg_gpu_verifier_set_offline(v, true); break;
		case 8: /* a failing setter keeps them too */
			assert_int_equal(ccg_gpu_verifier_set_device_anchor(v, "/nonexistent/anchor.pem", NULL),
					 CCG_ERR_NOT_FOUND);
			assert_int_equal(ccg_gpu_verifier_set_device_anchor(v, anchor, NULL), CCG_OK);
			break;
		default: break;
		}
		assert_int_equal(ccg_gpu_evidence_new(&ev), CCG_OK);
		assert_int_equal(ccg_gpu_evidence_add_report(ev, "HOPPER", r, len, (const uint8_t *)pem, strlen(pem),
							     NULL),
				 CCG_OK);
		ccg_error_clear(&err);
		st = ccg_gpu_verifier_appraise(v, ev, nonce, sizeof(nonce), 0, &res, &err);
		if (st != CCG_OK)
			fail_msg("setter %d after add_ocsp_response: %s: %s: %s", setter, ccg_status_str(st), err.where,
				 err.detail);
		claims = ccg_gpu_result_claims_json(res, 0);
		assert_non_null(claims);
		assert_non_null(strstr(claims, "\"x-nvidia-gpu-attestation-report-cert-chain-fwid-match\":true"));
		assert_non_null(strstr(claims, "\"x-nvidia-cert-ocsp-status\":\"good\""));
		/* revocation was checked with the supplied responses, not skipped */
		assert_int_equal(ccg_gpu_result_checks_skipped(res) & CCG_CHECK_REVOCATION, 0);
		free(claims);
		ccg_gpu_result_free(res);
		ccg_gpu_evidence_free(ev);
		ccg_gpu_verifier_free(v);
	}
	free(r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_report_parses_like_nvidia),
		cmocka_unit_test(test_appraises_true),
		cmocka_unit_test(test_faults),
		cmocka_unit_test(test_chain_cache_leaf_expiry),
		cmocka_unit_test(test_distinct_identities),
		cmocka_unit_test(test_blackwell_fwid_in_tcbinfo),
		cmocka_unit_test(test_driver_535_has_no_fwid),
		cmocka_unit_test(test_ppcie_board),
		cmocka_unit_test(test_spdm_errors),
		cmocka_unit_test(test_frames),
		cmocka_unit_test(test_supplied_ocsp_survives_every_setter),
		cmocka_unit_test(test_claim_getters),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
