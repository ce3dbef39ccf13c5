/* SPDX-License-Identifier: Apache-2.0 */
/*
 * vTPM collection against swtpm started here (loopback): the test creates a
 * restricted RSA signing AK with ESAPI and persists it, ccgpu quotes through
 * the swtpm TCTI with extraData = the composite binding of real H100 GPU
 * evidence, and the composite verifies; the same quote with other GPU
 * evidence fails. The ccgpu CLI does the same end to end. Then with gpusim:
 * its PKI generated here, its evidence taken in process and bound into a
 * swtpm quote, the composite verifies against gpusim's device root and RIMs
 * (library and CLI) and one policy decides on CPU and GPU claims; the same
 * quote with another gpusim session's evidence fails at the binding.
 */
#include <stdarg.h>
#include <setjmp.h>
#include <stddef.h>
#include <cmocka.h>
#include <arpa/inet.h>
#include <jansson.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <openssl/pem.h>
#include <tss2/tss2_esys.h>
#include <tss2/tss2_mu.h>
#include <tss2/tss2_tctildr.h>
#include <unistd.h>

#include "attest/cpu/composite.h"
#include "attest/cpu/tpm.h"
#include "ccgpu/attest.h"
#include "ccgpu/cpu.h"
#include "ccgpu/policy.h"
#include "common/buf.h"
#include "common/encoding.h"
#include "common/file.h"
#include "gpusim/gpusim.h"
#include "gpusim/serve.h"
#include "tee_guest/collect.h"
#include "gpu_verifier.h"
#include "swtpm.h"
#include "testdata.h"
#include "vdtest.h"

#define NOW 1795305600 /* 2026-11-22 */
#define AK_HANDLE 0x81000003u

static struct ts_swtpm tpm;
static const char *tcti = tpm.tcti;

static int start_swtpm(void **state)
{
	(void)state;
	return ts_swtpm_start(&tpm);
}

static int stop_swtpm(void **state)
{
	(void)state;
	ts_swtpm_stop(&tpm);
	return 0;
}

static void create_ak(void)
{
	ts_swtpm_create_ak(&tpm, AK_HANDLE);
}

static EVP_PKEY *swtpm_ak(void)
{
	return ts_swtpm_ak(&tpm, AK_HANDLE);
}

static const char *swtpm_ak_pem(const char *dir)
{
	return ts_swtpm_ak_pem(&tpm, AK_HANDLE, dir);
}

static char *hex_of(const uint8_t *b, size_t n)
{
	char *s = ccg_hex_encode_alloc(b, n);

	assert_non_null(s);
	return s;
}

/* the composite document for a quote (as ccgpu collect writes it) */
static char *composite_doc(const uint8_t *nonce, const uint8_t *pub, size_t pub_len, const uint8_t *gpu, size_t gpu_len,
			   const struct ccg_vtpm_quote *q)
{
	json_t *doc = json_object(), *cpu = json_object(), *quote = json_object(), *pcrs = json_array();
	char *s;

	for (int i = 0; i < 24; i++)
		json_array_append_new(pcrs, json_string(s = hex_of(q->pcrs[i], 32))), free(s);
	json_object_set_new(quote, "message", json_string(s = hex_of(q->attest, q->attest_len)));
	free(s);
	json_object_set_new(quote, "signature", json_string(s = hex_of(q->signature, q->signature_len)));
	free(s);
	json_object_set_new(quote, "pcrs", pcrs);
	json_object_set_new(cpu, "type", json_string("tpm"));
	json_object_set_new(cpu, "ak_public", json_string(s = ccg_base64_encode_alloc(q->ak_public, q->ak_public_len)));
	free(s);
	json_object_set_new(cpu, "quote", quote);
	json_object_set_new(doc, "ccgpu-composite", json_integer(1));
	json_object_set_new(doc, "nonce", json_string(s = hex_of(nonce, 32)));
	free(s);
	json_object_set_new(doc, "tee_public_key", json_string(s = ccg_base64_encode_alloc(pub, pub_len)));
	free(s);
	json_object_set_new(doc, "gpu_evidence", json_string(s = ccg_base64_encode_alloc(gpu, gpu_len)));
	free(s);
	json_object_set_new(doc, "cpu", cpu);
	s = json_dumps(doc, JSON_COMPACT);
	json_decref(doc);
	return s;
}

static const uint8_t tee_pub[] = "synthetic TEE public key bytes (a DER SPKI in real use)";

static void test_composite_with_swtpm(void **state)
{
	size_t gpu_len, other_len = 0, rl, cl;
	uint8_t *gpu = td_read("nvidia/evidence/hopper_evidence.json", &gpu_len), nonce[32], binding[64];
	uint8_t *report = td_read_hex("nvidia/hopper-580.159.03/report.hex", &rl);
	uint8_t *chain = td_read("nvidia/hopper-580.159.03/chain.pem", &cl);
	struct ccg_gpu_evidence *ev = NULL, *other_ev = NULL;
	struct ccg_vtpm_quote q;
	struct ccg_composite_opts o;
	struct ccg_error err;
	char *doc, *other = NULL;
	json_t *claims = NULL;

	(void)state;
	create_ak();
	assert_int_equal(ccg_gpu_evidence_new(&ev), CCG_OK);
	assert_int_equal(ccg_gpu_evidence_add_json(ev, gpu, gpu_len, NULL), CCG_OK);
	assert_true(ccg_gpu_evidence_nonce(ev, nonce));
	assert_int_equal(ccg_composite_binding(nonce, 32, tee_pub, sizeof(tee_pub), gpu, gpu_len, binding), CCG_OK);
	ccg_error_clear(&err);
	if (ccg_vtpm_quote(tcti, AK_HANDLE, 0xFFFFFF, binding, sizeof(binding), &q, &err) != CCG_OK)
		fail_msg("%s: %s", err.where, err.detail);
	doc = composite_doc(nonce, tee_pub, sizeof(tee_pub), gpu, gpu_len, &q);
	memset(&o, 0, sizeof(o));
	o.nonce = nonce;
	o.nonce_len = 32;
	o.now = NOW;
	o.gpu = tv_gpu_verifier_offline();
	/* the AK only in the evidence vouches for nothing: refused (issue 10, item 5) */
	ccg_error_clear(&err);
	assert_int_equal(ccg_composite_verify((const uint8_t *)doc, strlen(doc), &o, &claims, &err),
			 CCG_ERR_CERT_UNTRUSTED);
	assert_string_equal(err.where, "cpu.ak_public");
	assert_null(claims);
	/* the AK configured from the TPM itself */
	o.trusted_ak = swtpm_ak();
	ccg_error_clear(&err);
	if (ccg_composite_verify((const uint8_t *)doc, strlen(doc), &o, &claims, &err) != CCG_OK)
		fail_msg("%s: %s", err.where, err.detail);
	assert_non_null(json_object_get(json_object_get(claims, "cpu"), "tpm-pcrs"));
	assert_non_null(json_object_get(claims, "gpu"));
	assert_true(json_is_true(json_object_get(json_object_get(claims, "cpu"), "tpm-ak-trusted")));
	assert_string_equal(json_string_value(json_object_get(json_object_get(claims, "ccgpu-composite"), "cpu-type")),
			    "tpm");
	json_decref(claims);
	claims = NULL;
	/* the TPM evidence file layout ({ak_public, tpm_quote}, no "type") in a composite: cpu-type from the appraisal */
	{
		json_t *d = json_loads(doc, 0, NULL), *cpu = json_object_get(d, "cpu");
		char *layout;

		assert_non_null(cpu);
		assert_int_equal(json_object_del(cpu, "type"), 0);
		assert_int_equal(json_object_set(cpu, "tpm_quote", json_object_get(cpu, "quote")), 0);
		assert_int_equal(json_object_del(cpu, "quote"), 0);
		layout = json_dumps(d, JSON_COMPACT);
		ccg_error_clear(&err);
		if (ccg_composite_verify((const uint8_t *)layout, strlen(layout), &o, &claims, &err) != CCG_OK)
			fail_msg("%s: %s (status %d)", err.where, err.detail, err.status);
		assert_string_equal(
			json_string_value(json_object_get(json_object_get(claims, "ccgpu-composite"), "cpu-type")), "tpm");
		json_decref(claims);
		free(layout);
		json_decref(d);
	}
	/* the same quote with other GPU evidence (another H100's report over the same nonce) */
	assert_int_equal(ccg_gpu_evidence_new(&other_ev), CCG_OK);
	assert_int_equal(ccg_gpu_evidence_add_report(other_ev, "HOPPER", report, rl, chain, cl, NULL), CCG_OK);
	assert_int_equal(ccg_gpu_evidence_to_json(other_ev, nonce, &other), CCG_OK);
	other_len = strlen(other);
	free(doc);
	doc = composite_doc(nonce, tee_pub, sizeof(tee_pub), (const uint8_t *)other, other_len, &q);
	ccg_error_clear(&err);
	assert_int_equal(ccg_composite_verify((const uint8_t *)doc, strlen(doc), &o, &claims, &err), CCG_ERR_NONCE_MISMATCH);
	assert_string_equal(err.where, "tpm.extra_data");
	/* another TEE key, and another nonce */
	free(doc);
	doc = composite_doc(nonce, (const uint8_t *)"other key", 9, gpu, gpu_len, &q);
	assert_int_equal(ccg_composite_verify((const uint8_t *)doc, strlen(doc), &o, &claims, NULL), CCG_ERR_NONCE_MISMATCH);
	nonce[0] ^= 1;
	free(doc);
	doc = composite_doc(nonce, tee_pub, sizeof(tee_pub), gpu, gpu_len, &q);
	nonce[0] ^= 1;
	ccg_error_clear(&err);
	assert_int_equal(ccg_composite_verify((const uint8_t *)doc, strlen(doc), &o, &claims, &err), CCG_ERR_NONCE_MISMATCH);
	assert_string_equal(err.where, "composite.nonce");
	free(doc);
	free(other);
	EVP_PKEY_free(o.trusted_ak);
	ccg_gpu_verifier_free(o.gpu);
	ccg_gpu_evidence_free(ev);
	ccg_gpu_evidence_free(other_ev);
	ccg_vtpm_quote_cleanup(&q);
	free(gpu);
	free(report);
	free(chain);
}

/* ccgpu collect --cpu tpm and ccgpu verify composite, end to end */
static void test_cli_collect_and_verify(void **state)
{
	const char *build = getenv("CCGPU_BUILD_ROOT");
	char cmd[8192], *dir = td_tmpdir();
	const char *gpu = td_path("nvidia/evidence/hopper_evidence.json");
	char gpu_path[4096];
	const char *nonce = "e97b23a1718095a0e9e35edca810768c70a6a5a389b705e753b197912bc11576";

	(void)state;
	assert_non_null(build);
	snprintf(gpu_path, sizeof(gpu_path), "%s", gpu);
	snprintf(cmd, sizeof(cmd),
		 "openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-384 2>/dev/null | openssl pkey -pubout -out %s/tee.pem && "
		 "%s/tee_guest/ccgpu collect --cpu tpm --tcti %s --ak-handle 81000003 --pcrs ff --nonce %s "
		 "--tee-public-key %s/tee.pem --gpu-evidence %s --out %s/doc.json && "
		 "%s/tee_guest/ccgpu verify composite --evidence %s/doc.json --nonce %s --tpm-ak %s --time 2026-11-22T00:00:00Z --json >%s/claims.json",
		 dir, build, tcti, nonce, dir, gpu_path, dir, build, dir, nonce, swtpm_ak_pem(dir), dir);
	assert_int_equal(system(cmd), 0);
	/* without --tpm-ak the quote's own key is not trusted: refused with exit status 1 */
	snprintf(cmd, sizeof(cmd),
		 "%s/tee_guest/ccgpu verify composite --evidence %s/doc.json --nonce %s --time 2026-11-22T00:00:00Z 2>%s/err >/dev/null",
		 build, dir, nonce, dir);
	assert_int_equal(WEXITSTATUS(system(cmd)), 1);
	snprintf(cmd, sizeof(cmd), "grep -q cpu.ak_public %s/err", dir);
	assert_int_equal(system(cmd), 0);
	/* another nonce is refused with exit status 1 */
	snprintf(cmd, sizeof(cmd),
		 "%s/tee_guest/ccgpu verify composite --evidence %s/doc.json --nonce 00%.62s --tpm-ak %s/ak.pem --time 2026-11-22T00:00:00Z 2>/dev/null >/dev/null",
		 build, dir, nonce + 2, dir);
	assert_int_equal(WEXITSTATUS(system(cmd)), 1);
	td_rm_rf(dir);
	free(dir);
}

/* ---- gpusim evidence bound into a swtpm quote ---- */

#define SIM_GPUS 2

/* a gpusim PKI (2 GPUs) in a fresh temp dir; generated in a child: xmlsec1 is initialised once per process */
static char *sim_pki(void)
{
	static const struct gpusim_pki_opts o = {.gpus = SIM_GPUS};
	char *dir = td_tmpdir();

	assert_int_equal(gpusim_pki_generate_child(dir, &o), CCG_OK);
	return dir;
}

/* one gpusim session's evidence over nonce, as NVIDIA's serialized JSON (what ccgpu collect gpu writes) */
static char *sim_evidence(const char *dir, const uint8_t nonce[32])
{
	struct gpusim *sim = NULL;
	char *json;

	assert_int_equal(gpusim_load(dir, &sim, NULL), CCG_OK);
	json = vt_gpusim_evidence(sim, nonce);
	gpusim_free(sim);
	return json;
}

/* a verifier that trusts gpusim's device root and RIM root and reads its RIMs; offline, OCSP off */
static struct ccg_gpu_verifier *sim_verifier(const char *dir)
{
	return tv_gpu_verifier_gpusim(dir);
}

/* the policy a data owner would write over the composite claims */
static const char composite_policy[] =
	"policy \"gpusim-composite\" version 1\n"
	"rule bound \"the GPU evidence is bound into the TPM quote\" {\n"
	"  ccgpu-composite.cpu-type == \"tpm\" and ccgpu-composite.binding == tpm-extra-data\n}\n"
	"rule cpu \"a TPM quote over SHA-256 PCRs\" { ccgpu-cpu-tee == \"tpm\" and tpm-pcr-bank == \"sha256\" and exists tpm-pcrs.0 }\n"
	"rule gpus \"every GPU genuine and measured\" {\n"
	"  every gpu (ccgpu-result and measres == \"success\" and x-nvidia-gpu-attestation-report-cert-chain-fwid-match)\n"
	"  and ccgpu-gpu-count == 2\n}\n";

static void test_gpusim_composite(void **state)
{
	char *dir = sim_pki(), *gpu, *other, *doc, *text, path[4096], cmd[16384];
	const char *build = getenv("CCGPU_BUILD_ROOT");
	uint8_t nonce[32], binding[64];
	struct ccg_vtpm_quote q;
	struct ccg_composite_opts o;
	struct ccg_error err;
	struct ccg_gpu_evidence *ev = NULL;
	struct ccg_gpu_result *res = NULL;
	struct ccg_policy *pol = NULL;
	struct ccg_claims *cl = NULL;
	json_t *claims = NULL;
	FILE *f;

	(void)state;
	create_ak();
	for (size_t i = 0; i < sizeof(nonce); i++)
		nonce[i] = (uint8_t)(0xA0 + i);
	gpu = sim_evidence(dir, nonce);
	assert_int_equal(ccg_composite_binding(nonce, 32, tee_pub, sizeof(tee_pub), (const uint8_t *)gpu, strlen(gpu),
					       binding),
			 CCG_OK);
	ccg_error_clear(&err);
	if (ccg_vtpm_quote(tcti, AK_HANDLE, 0xFFFFFF, binding, sizeof(binding), &q, &err) != CCG_OK)
		fail_msg("%s: %s", err.where, err.detail);
	doc = composite_doc(nonce, tee_pub, sizeof(tee_pub), (const uint8_t *)gpu, strlen(gpu), &q);
	memset(&o, 0, sizeof(o));
	o.nonce = nonce;
	o.nonce_len = 32;
	o.gpu = sim_verifier(dir);
	o.trusted_ak = swtpm_ak();
	ccg_error_clear(&err);
	if (ccg_composite_verify((const uint8_t *)doc, strlen(doc), &o, &claims, &err) != CCG_OK)
		fail_msg("%s: %s", err.where, err.detail);
	/* the same through the public API */
	{
		struct ccg_cpu_verifier *cv = NULL;
		struct ccg_cpu_result *cr = NULL;

		assert_int_equal(ccg_cpu_verifier_new(&cv), CCG_OK);
		ccg_cpu_verifier_set_gpu_verifier(cv, o.gpu);
		{
			const char *pem_path = swtpm_ak_pem(dir);
			size_t pl;
			uint8_t *pem = td_read_file(pem_path, &pl);

			assert_int_equal(ccg_cpu_verifier_set_tpm_ak(cv, pem, pl, NULL), CCG_OK);
			free(pem);
		}
		ccg_error_clear(&err);
		if (ccg_cpu_verifier_appraise_composite(cv, (const uint8_t *)doc, strlen(doc), nonce, 32, 0, &cr, &err) !=
		    CCG_OK)
			fail_msg("%s: %s", err.where, err.detail);
		assert_string_equal(ccg_cpu_result_tee(cr), "tpm");
		/* bound by the quote (fresh), RIMs compared; only the GPU's revocation (OCSP off here) was skipped */
		assert_int_equal(ccg_cpu_result_checks_skipped(cr), CCG_CHECK_REVOCATION);
		ccg_cpu_result_free(cr);
		ccg_cpu_verifier_free(cv);
	}
	/* the GPU part was appraised against gpusim's RIMs, not skipped */
	assert_string_equal(json_string_value(json_object_get(
				    json_object_get(json_object_get(json_object_get(claims, "gpu"), "submods"), "GPU-1"),
				    "measres")),
			    "success");
	/* one policy over the composite claims: CPU claims, the binding and every GPU */
	text = json_dumps(claims, 0);
	ccg_error_clear(&err);
	assert_int_equal(ccg_policy_parse(composite_policy, strlen(composite_policy), &pol, &err), CCG_OK);
	assert_int_equal(ccg_claims_from_json(text, strlen(text), &cl, &err), CCG_OK);
	if (ccg_policy_eval(pol, cl, 0, NULL, 0, &err) != CCG_OK)
		fail_msg("%s: %s", err.where, err.detail);
	ccg_claims_free(cl);
	free(text);
	json_decref(claims);
	claims = NULL;

	/* the CLI with gpusim's roots and RIMs */
	snprintf(path, sizeof(path), "%s/doc.json", dir);
	f = fopen(path, "w");
	assert_non_null(f);
	assert_int_equal(fputs(doc, f) >= 0, 1);
	assert_int_equal(fclose(f), 0);
	assert_non_null(build);
	{
		char *nonce_hex = ccg_hex_encode_alloc(nonce, 32);

		assert_non_null(nonce_hex);
		snprintf(cmd, sizeof(cmd),
			 "%s/tee_guest/ccgpu verify composite --evidence %s --nonce %s --device-root %s/device-root.pem "
			 "--rim-root %s/rim-root.pem --rim-dir %s/rims --ocsp off --offline --no-cache --tpm-ak %s/ak.pem "
			 "--json >%s/claims.json",
			 build, path, nonce_hex, dir, dir, dir, dir, dir);
		assert_int_equal(system(cmd), 0);
		/* without gpusim's device root the chain does not lead to NVIDIA's CA: refused (1) */
		snprintf(cmd, sizeof(cmd),
			 "%s/tee_guest/ccgpu verify composite --evidence %s --nonce %s --rim-root %s/rim-root.pem "
			 "--rim-dir %s/rims --offline --no-cache --tpm-ak %s/ak.pem >/dev/null 2>&1",
			 build, path, nonce_hex, dir, dir, dir);
		assert_int_equal(WEXITSTATUS(system(cmd)), 1);
		free(nonce_hex);
	}
	snprintf(path, sizeof(path), "%s/claims.json", dir);
	claims = json_load_file(path, 0, NULL);
	assert_non_null(claims);
	assert_true(json_is_true(json_object_get(json_object_get(claims, "gpu"), "x-nvidia-overall-att-result")));
	json_decref(claims);
	claims = NULL;

	/* another gpusim session over the same nonce: genuine evidence, but not what the quote binds */
	other = sim_evidence(dir, nonce);
	assert_string_not_equal(gpu, other);
	assert_int_equal(ccg_gpu_evidence_new(&ev), CCG_OK);
	assert_int_equal(ccg_gpu_evidence_add_json(ev, (const uint8_t *)other, strlen(other), NULL), CCG_OK);
	assert_int_equal(ccg_gpu_verifier_appraise(o.gpu, ev, nonce, 32, 0, &res, NULL), CCG_OK);
	free(doc);
	doc = composite_doc(nonce, tee_pub, sizeof(tee_pub), (const uint8_t *)other, strlen(other), &q);
	ccg_error_clear(&err);
	assert_int_equal(ccg_composite_verify((const uint8_t *)doc, strlen(doc), &o, &claims, &err),
			 CCG_ERR_NONCE_MISMATCH);
	assert_string_equal(err.where, "tpm.extra_data");
	assert_null(claims);

	ccg_policy_free(pol);
	ccg_gpu_result_free(res);
	ccg_gpu_evidence_free(ev);
	EVP_PKEY_free(o.trusted_ak);
	ccg_gpu_verifier_free(o.gpu);
	ccg_vtpm_quote_cleanup(&q);
	free(doc);
	free(gpu);
	free(other);
	td_rm_rf(dir);
	free(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_composite_with_swtpm),
		cmocka_unit_test(test_cli_collect_and_verify),
		cmocka_unit_test(test_gpusim_composite),
	};

	td_require();
	return cmocka_run_group_tests(tests, start_swtpm, stop_swtpm);
}
