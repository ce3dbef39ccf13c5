/* SPDX-License-Identifier: Apache-2.0 */
/* The public GPU verifier on the real H100 evidence: verdicts, claims, caches, threads. */
#include <stdarg.h>
#include <setjmp.h>
#include <stddef.h>
#include <cmocka.h>
#include <jansson.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ccgpu/attest.h"
#include "common/encoding.h"
#include "common/http.h"
#include "gpu_verifier.h"
#include "testdata.h"

#define NOW 1795305600 /* 2026-11-22T00:00:00Z */

struct sample {
	uint8_t *report, *chain;
	size_t report_len, chain_len;
	uint8_t nonce[CCG_GPU_NONCE_LEN];
};

static void load_sample(const char *name, struct sample *s)
{
	char rel[256];
	size_t n;
	uint8_t *hex;

	snprintf(rel, sizeof(rel), "nvidia/%s/report.hex", name);
	s->report = td_read_hex(rel, &s->report_len);
	snprintf(rel, sizeof(rel), "nvidia/%s/chain.pem", name);
	s->chain = td_read(rel, &s->chain_len);
	snprintf(rel, sizeof(rel), "nvidia/%s/nonce.hex", name);
	hex = td_read(rel, &n);
	assert_int_equal(ccg_hex_decode_fixed((const char *)hex, n, s->nonce, sizeof(s->nonce)), CCG_OK);
	free(hex);
}

static void free_sample(struct sample *s)
{
	free(s->report);
	free(s->chain);
}

static enum ccg_status appraise_bytes(struct ccg_gpu_verifier *v, const uint8_t *report, size_t report_len,
				      const uint8_t *chain, size_t chain_len, const uint8_t *nonce, int64_t now,
				      struct ccg_error *err, json_t **claims)
{
	struct ccg_gpu_evidence *ev = NULL;
	struct ccg_gpu_result *r = NULL;
	enum ccg_status st;

	assert_int_equal(ccg_gpu_evidence_new(&ev), CCG_OK);
	st = ccg_gpu_evidence_add_report(ev, "HOPPER", report, report_len, chain, chain_len, err);
	if (st == CCG_OK) {
		st = ccg_gpu_verifier_appraise(v, ev, nonce, CCG_GPU_NONCE_LEN, now, &r, err);
		assert_non_null(r);
		assert_int_equal(st == CCG_OK, ccg_gpu_result_passed(r));
		if (claims != NULL) {
			char *text = ccg_gpu_result_claims_json(r, 0);

			*claims = json_loads(text, 0, NULL);
			assert_non_null(*claims);
			free(text);
		}
	}
	ccg_gpu_result_free(r);
	ccg_gpu_evidence_free(ev);
	return st;
}

/* appraise_bytes on a sample as it was collected, err cleared first */
static enum ccg_status appraise_sample(struct ccg_gpu_verifier *v, const struct sample *s, int64_t now,
				       struct ccg_error *err, json_t **claims)
{
	ccg_error_clear(err);
	return appraise_bytes(v, s->report, s->report_len, s->chain, s->chain_len, s->nonce, now, err, claims);
}

static json_t *gpu0(json_t *claims)
{
	return json_object_get(json_object_get(claims, "submods"), "GPU-0");
}

static void test_both_samples_verify(void **state)
{
	static const char *names[] = {"hopper-550.90.07", "hopper-580.159.03"};
	static const char *drivers[] = {"550.90.07", "580.159.03"};
	struct ccg_gpu_verifier *v = tv_gpu_verifier_offline();

	(void)state;
	for (size_t i = 0; i < 2; i++) {
		struct sample s;
		struct ccg_error err;
		json_t *claims = NULL, *g;

		load_sample(names[i], &s);
		assert_int_equal(appraise_sample(v, &s, NOW, &err, &claims), CCG_OK);
		g = gpu0(claims);
		assert_true(json_is_true(json_object_get(claims, "x-nvidia-overall-att-result")));
		assert_string_equal(json_string_value(json_object_get(g, "x-nvidia-gpu-driver-version")), drivers[i]);
		assert_true(json_is_true(json_object_get(g, "x-nvidia-gpu-attestation-report-signature-verified")));
		assert_true(json_is_true(json_object_get(g, "x-nvidia-gpu-attestation-report-nonce-match")));
		assert_true(json_is_true(json_object_get(g, "x-nvidia-gpu-attestation-report-cert-chain-fwid-match")));
		assert_string_equal(json_string_value(json_object_get(g, "measres")), "not-checked");
		json_decref(claims);
		free_sample(&s);
	}
	ccg_gpu_verifier_free(v);
}

static void test_wrong_nonce(void **state)
{
	struct ccg_gpu_verifier *v = tv_gpu_verifier_offline();
	struct sample s;
	struct ccg_error err;

	(void)state;
	load_sample("hopper-550.90.07", &s);
	s.nonce[31] ^= 1;
	assert_int_equal(appraise_sample(v, &s, NOW, &err, NULL), CCG_ERR_NONCE_MISMATCH);
	assert_non_null(strstr(err.where, "spdm.request.nonce"));
	free_sample(&s);
	ccg_gpu_verifier_free(v);
}

static void test_flips_and_truncations_fail(void **state)
{
	struct ccg_gpu_verifier *v = tv_gpu_verifier_offline();
	struct sample s;
	uint8_t *copy;

	(void)state;
	load_sample("hopper-580.159.03", &s);
	copy = malloc(s.report_len);
	assert_non_null(copy);
	/* every byte flipped: each one fails a named check (the SPDM test flips with parse+signature too) */
	for (size_t i = 0; i < s.report_len; i++) {
		struct ccg_error err;

		memcpy(copy, s.report, s.report_len);
		copy[i] ^= 0x80;
		ccg_error_clear(&err);
		if (appraise_bytes(v, copy, s.report_len, s.chain, s.chain_len, s.nonce, NOW, &err, NULL) == CCG_OK)
			fail_msg("flipping byte %zu was accepted", i);
		assert_true(err.where[0] != '\0');
	}
	for (size_t n = 1; n < s.report_len; n++) {
		struct ccg_error err;

		ccg_error_clear(&err);
		if (appraise_bytes(v, s.report, n, s.chain, s.chain_len, s.nonce, NOW, &err, NULL) == CCG_OK)
			fail_msg("truncation to %zu bytes was accepted", n);
	}
	free(copy);
	free_sample(&s);
	ccg_gpu_verifier_free(v);
}

static void test_chain_faults(void **state)
{
	struct ccg_gpu_verifier *v = tv_gpu_verifier_offline();
	struct sample s, other;
	struct ccg_error err;
	char *second_cert;

	(void)state;
	load_sample("hopper-550.90.07", &s);
	load_sample("hopper-580.159.03", &other);
	/* drop the second certificate (the BROM certificate) from the PEM text */
	second_cert = strstr(strstr((char *)s.chain, "-----END CERTIFICATE-----") + 1, "-----BEGIN");
	{
		char *after = strstr(second_cert, "-----END CERTIFICATE-----") + strlen("-----END CERTIFICATE-----\n");
		size_t keep_tail = s.chain_len - (size_t)(after - (char *)s.chain);
		uint8_t *cut = malloc(s.chain_len);

		memcpy(cut, s.chain, (size_t)(second_cert - (char *)s.chain));
		memcpy(cut + (second_cert - (char *)s.chain), after, keep_tail);
		ccg_error_clear(&err);
		assert_int_equal(appraise_bytes(v, s.report, s.report_len, cut,
						(size_t)(second_cert - (char *)s.chain) + keep_tail, s.nonce, NOW, &err,
						NULL),
				 CCG_ERR_CERT_CHAIN);
		assert_non_null(strstr(err.where, "device chain["));
		free(cut);
	}
	/* a chain with no device certificate: the leaf dropped, and only the trust anchor */
	{
		const char *second = strstr(strstr((char *)s.chain, "-----END CERTIFICATE-----") + 1, "-----BEGIN");
		size_t anchor_len;
		uint8_t *anchor = td_read("nvidia/roots/nvidia_device_identity_ca.pem", &anchor_len);

		ccg_error_clear(&err);
		assert_int_equal(appraise_bytes(v, s.report, s.report_len, (const uint8_t *)second,
						s.chain_len - (size_t)(second - (char *)s.chain), s.nonce, NOW, &err,
						NULL),
				 CCG_ERR_CERT_CHAIN);
		assert_non_null(strstr(err.detail, "no device certificate"));
		assert_non_null(strstr(err.detail, "GH100 A01 GSP BROM"));
		ccg_error_clear(&err);
		assert_int_equal(appraise_bytes(v, s.report, s.report_len, anchor, anchor_len, s.nonce, NOW, &err,
						NULL),
				 CCG_ERR_CERT_CHAIN);
		assert_non_null(strstr(err.detail, "no device certificate"));
		assert_null(strstr(err.detail, "misordered"));
		free(anchor);
	}
	/* another GPU's chain: the leaf key does not verify this report */
	ccg_error_clear(&err);
	assert_int_equal(appraise_bytes(v, s.report, s.report_len, other.chain, other.chain_len, s.nonce, NOW, &err,
					NULL),
			 CCG_ERR_SIGNATURE);
	/* a chain to another root */
	ccg_error_clear(&err);
	assert_int_equal(ccg_gpu_verifier_set_device_anchor(v, td_path("nvidia/roots/nvidia_rim_root.pem"), &err),
			 CCG_OK);
	assert_int_equal(appraise_sample(v, &s, NOW, &err, NULL), CCG_ERR_CERT_UNTRUSTED);
	free_sample(&s);
	free_sample(&other);
	ccg_gpu_verifier_free(v);
}

static void test_cache_respects_time(void **state)
{
	struct ccg_gpu_verifier *v = tv_gpu_verifier_offline();
	struct sample s;
	struct ccg_error err;

	(void)state;
	load_sample("hopper-550.90.07", &s);
	assert_int_equal(appraise_sample(v, &s, NOW, NULL, NULL), CCG_OK);
	/* the chain is cached now; a time before its validity must still fail */
	assert_int_equal(appraise_sample(v, &s, 946684800, &err, NULL), CCG_ERR_CERT_EXPIRED);
	assert_int_equal(appraise_sample(v, &s, NOW, NULL, NULL), CCG_OK);
	free_sample(&s);
	ccg_gpu_verifier_free(v);
}

static void test_serialized_evidence(void **state)
{
	struct ccg_gpu_verifier *v = tv_gpu_verifier_offline();
	struct ccg_gpu_evidence *ev = NULL, *back = NULL;
	struct ccg_gpu_result *r = NULL;
	uint8_t *json, nonce[CCG_GPU_NONCE_LEN], want[CCG_GPU_NONCE_LEN];
	size_t len;
	char *out = NULL;

	(void)state;
	json = td_read("nvidia/evidence/hopper_evidence.json", &len);
	assert_int_equal(ccg_gpu_evidence_new(&ev), CCG_OK);
	assert_int_equal(ccg_gpu_evidence_add_json(ev, json, len, NULL), CCG_OK);
	assert_int_equal(ccg_gpu_evidence_count(ev), 1);
	assert_true(ccg_gpu_evidence_nonce(ev, nonce));
	assert_int_equal(ccg_hex_decode_fixed("e97b23a1718095a0e9e35edca810768c70a6a5a389b705e753b197912bc11576", 64,
					      want, sizeof(want)),
			 CCG_OK);
	assert_memory_equal(nonce, want, sizeof(want));
	assert_int_equal(ccg_gpu_verifier_appraise(v, ev, nonce, sizeof(nonce), NOW, &r, NULL), CCG_OK);
	ccg_gpu_result_free(r);
	/* produced JSON reads back to evidence that appraises the same */
	assert_int_equal(ccg_gpu_evidence_to_json(ev, nonce, &out), CCG_OK);
	assert_int_equal(ccg_gpu_evidence_new(&back), CCG_OK);
	assert_int_equal(ccg_gpu_evidence_add_json(back, (const uint8_t *)out, strlen(out), NULL), CCG_OK);
	assert_int_equal(ccg_gpu_verifier_appraise(v, back, nonce, sizeof(nonce), NOW, &r, NULL), CCG_OK);
	ccg_gpu_result_free(r);
	/* a second GPU with another nonce in the same document is refused, and nothing is half-added */
	{
		json_t *doc = json_loads((const char *)json, 0, NULL), *two = json_array();
		json_t *copy = json_deep_copy(json_array_get(doc, 0));
		char *text;

		json_object_set_new(copy, "nonce",
				    json_string("00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff"));
		json_array_append(two, json_array_get(doc, 0));
		json_array_append_new(two, copy);
		text = json_dumps(two, 0);
		assert_int_equal(ccg_gpu_evidence_add_json(back, (const uint8_t *)text, strlen(text), NULL),
				 CCG_ERR_NONCE_MISMATCH);
		assert_int_equal(ccg_gpu_evidence_count(back), 1);
		free(text);
		json_decref(two);
		json_decref(doc);
	}
	free(out);
	free(json);
	ccg_gpu_evidence_free(ev);
	ccg_gpu_evidence_free(back);
	ccg_gpu_verifier_free(v);
}

static void test_two_gpus_one_fails(void **state)
{
	struct ccg_gpu_verifier *v = tv_gpu_verifier_offline();
	struct ccg_gpu_evidence *ev = NULL;
	struct ccg_gpu_result *r = NULL;
	struct sample a, b;
	struct ccg_error err;
	json_t *claims, *sub;
	char *text;

	(void)state;
	load_sample("hopper-550.90.07", &a);
	load_sample("hopper-580.159.03", &b);
	assert_int_equal(ccg_gpu_evidence_new(&ev), CCG_OK);
	assert_int_equal(ccg_gpu_evidence_add_report(ev, NULL, a.report, a.report_len, a.chain, a.chain_len, NULL),
			 CCG_OK);
	assert_int_equal(ccg_gpu_evidence_add_report(ev, "HOPPER", b.report, b.report_len, b.chain, b.chain_len, NULL),
			 CCG_OK);
	ccg_error_clear(&err);
	/* one nonce for both: the second GPU's report was made over another */
	assert_int_equal(ccg_gpu_verifier_appraise(v, ev, a.nonce, sizeof(a.nonce), NOW, &r, &err),
			 CCG_ERR_NONCE_MISMATCH);
	assert_non_null(strstr(err.where, "GPU-1"));
	text = ccg_gpu_result_claims_json(r, 0);
	claims = json_loads(text, 0, NULL);
	sub = json_object_get(claims, "submods");
	assert_true(json_is_true(json_object_get(json_object_get(sub, "GPU-0"), "ccgpu-result")));
	assert_true(json_is_false(json_object_get(json_object_get(sub, "GPU-1"), "ccgpu-result")));
	assert_true(json_is_false(json_object_get(claims, "x-nvidia-overall-att-result")));
	json_decref(claims);
	free(text);
	ccg_gpu_result_free(r);
	ccg_gpu_evidence_free(ev);
	free_sample(&a);
	free_sample(&b);
	ccg_gpu_verifier_free(v);
}

/* one GPU's evidence four times is one GPU, not four: every repeat is refused, naming the first */
static void test_same_gpu_repeated_refused(void **state)
{
	struct ccg_gpu_verifier *v = tv_gpu_verifier_offline();
	struct ccg_gpu_evidence *ev = NULL;
	struct ccg_gpu_result *r = NULL;
	uint8_t *json, nonce[CCG_GPU_NONCE_LEN];
	size_t len;
	json_t *doc, *four, *claims, *sub;
	struct ccg_error err;
	char *text;

	(void)state;
	json = td_read("nvidia/evidence/hopper_evidence.json", &len);
	doc = json_loads((const char *)json, 0, NULL);
	four = json_array();
	for (int i = 0; i < 4; i++)
		json_array_append(four, json_array_get(doc, 0));
	text = json_dumps(four, 0);
	assert_int_equal(ccg_gpu_evidence_new(&ev), CCG_OK);
	assert_int_equal(ccg_gpu_evidence_add_json(ev, (const uint8_t *)text, strlen(text), NULL), CCG_OK);
	assert_int_equal(ccg_gpu_evidence_count(ev), 4);
	assert_true(ccg_gpu_evidence_nonce(ev, nonce));
	ccg_error_clear(&err);
	assert_int_equal(ccg_gpu_verifier_appraise(v, ev, nonce, sizeof(nonce), NOW, &r, &err), CCG_ERR_DUPLICATE);
	assert_non_null(strstr(err.where, "GPU-1 device"));
	assert_non_null(strstr(err.detail, "same device as GPU-0"));
	free(text);
	text = ccg_gpu_result_claims_json(r, 0);
	claims = json_loads(text, 0, NULL);
	sub = json_object_get(claims, "submods");
	assert_true(json_is_true(json_object_get(json_object_get(sub, "GPU-0"), "ccgpu-result")));
	for (int i = 1; i < 4; i++) {
		char key[8];

		snprintf(key, sizeof(key), "GPU-%d", i);
		assert_string_equal(json_string_value(json_object_get(json_object_get(sub, key), "ccgpu-error-code")),
				    "ERR_DUPLICATE");
	}
	assert_true(json_is_false(json_object_get(claims, "x-nvidia-overall-att-result")));
	json_decref(claims);
	free(text);
	ccg_gpu_result_free(r);
	ccg_gpu_evidence_free(ev);
	json_decref(four);
	json_decref(doc);
	free(json);
	ccg_gpu_verifier_free(v);
}

static void test_rims_mismatch_and_expiry(void **state)
{
	struct ccg_gpu_verifier *v = tv_gpu_verifier_offline();
	struct sample s;
	struct ccg_error err;
	json_t *claims = NULL, *g, *mm;

	(void)state;
	load_sample("hopper-580.159.03", &s);
	ccg_gpu_verifier_skip_rims(v, false);
	assert_int_equal(ccg_gpu_verifier_set_rims(v, td_path("nvidia/rims"), NULL, NULL), CCG_OK);
	ccg_gpu_verifier_set_rim_ignore_expiry(v, true);
	assert_int_equal(appraise_sample(v, &s, NOW, &err, &claims),
			 CCG_ERR_RIM_NOT_FOUND); /* no driver RIM for 580.159.03 in the shared data */
	g = gpu0(claims);
	mm = json_object_get(g, "ccgpu-measurement-mismatches");
	assert_int_equal(json_array_size(mm), 1);
	assert_int_equal(json_integer_value(json_object_get(json_array_get(mm, 0), "index")), 9);
	assert_string_equal(json_string_value(json_object_get(json_array_get(mm, 0), "rim")), "vbios");
	assert_true(json_is_true(json_object_get(g, "x-nvidia-gpu-vbios-rim-signature-verified")));
	assert_true(json_is_true(json_object_get(g, "x-nvidia-gpu-vbios-rim-version-match")));
	assert_true(json_is_false(json_object_get(g, "x-nvidia-gpu-driver-rim-fetched")));
	assert_string_equal(json_string_value(json_object_get(g, "measres")), "fail");
	assert_non_null(json_string_value(json_object_get(g, "x-nvidia-attestation-warning")));
	assert_null(json_object_get(g, "secboot"));
	json_decref(claims);
	/* expiry enforced: the VBIOS RIM chain is refused, naming the certificate */
	ccg_gpu_verifier_set_rim_ignore_expiry(v, false);
	claims = NULL;
	assert_int_not_equal(appraise_sample(v, &s, NOW, NULL, &claims), CCG_OK);
	g = gpu0(claims);
	assert_string_equal(json_string_value(json_object_get(json_object_get(g, "x-nvidia-gpu-vbios-rim-cert-chain"),
							      "x-nvidia-cert-status")),
			    "expired");
	/* only the RIM's chain expired: the manifest is still for the report's VBIOS version */
	assert_true(json_is_true(json_object_get(g, "x-nvidia-gpu-vbios-rim-version-match")));
	assert_true(json_is_true(json_object_get(g, "x-nvidia-gpu-vbios-rim-signature-verified")));
	{
		json_t *errs = json_object_get(g, "ccgpu-errors");
		bool named = false;

		for (size_t i = 0; i < json_array_size(errs); i++) {
			const char *e = json_string_value(json_array_get(errs, i));

			named |= strstr(e, "RIM chain[") != NULL && strstr(e, "CN=") != NULL &&
				 strstr(e, "expired") != NULL;
		}
		assert_true(named);
	}
	json_decref(claims);
	free_sample(&s);
	ccg_gpu_verifier_free(v);
}

static void test_offline_ocsp_fails_closed_without_network(void **state)
{
	struct ccg_gpu_verifier *v = tv_gpu_verifier_offline();
	struct sample s;
	struct ccg_error err;
	uint64_t before = ccg_http_transfer_count();
	json_t *claims = NULL, *skipped;

	(void)state;
	load_sample("hopper-550.90.07", &s);
	assert_int_equal(ccg_gpu_verifier_set_ocsp(v, CCG_GPU_OCSP_ONLINE, "http://127.0.0.1:9/", 0, NULL), CCG_OK);
	ccg_gpu_verifier_set_offline(v, true); /* turns online into cache-only */
	assert_int_equal(appraise_sample(v, &s, NOW, &err, &claims), CCG_ERR_OCSP_UNAVAILABLE);
	assert_int_equal(ccg_http_transfer_count(), before);
	/* revocation was attempted and failed: a failure, not a skipped check */
	skipped = json_object_get(gpu0(claims), "ccgpu-checks-skipped");
	assert_true(json_is_array(skipped));
	for (size_t i = 0; i < json_array_size(skipped); i++)
		assert_string_not_equal(json_string_value(json_array_get(skipped, i)), "revocation");
	assert_string_equal(json_string_value(json_object_get(gpu0(claims), "ccgpu-error-code")),
			    "ERR_OCSP_UNAVAILABLE");
	json_decref(claims);
	free_sample(&s);
	ccg_gpu_verifier_free(v);
}

/* the array of names in a GPU's ccgpu-checks-skipped, comma-joined */
static void skipped_names(json_t *claims, char *out, size_t len)
{
	json_t *v;
	size_t i;

	out[0] = '\0';
	json_array_foreach(json_object_get(gpu0(claims), "ccgpu-checks-skipped"), i, v) {
		if (i > 0)
			strncat(out, ",", len - strlen(out) - 1);
		strncat(out, json_string_value(v), len - strlen(out) - 1);
	}
}

/* appraises serialized evidence with nonce (NULL: the evidence's own) at now; result kept */
static enum ccg_status appraise_json(struct ccg_gpu_verifier *v, const uint8_t *nonce, int64_t now,
				     struct ccg_gpu_result **r, struct ccg_error *err)
{
	struct ccg_gpu_evidence *ev = NULL;
	size_t len;
	uint8_t *json = td_read("nvidia/evidence/hopper_evidence.json", &len);
	enum ccg_status st;

	assert_int_equal(ccg_gpu_evidence_new(&ev), CCG_OK);
	assert_int_equal(ccg_gpu_evidence_add_json(ev, json, len, NULL), CCG_OK);
	ccg_error_clear(err);
	st = ccg_gpu_verifier_appraise(v, ev, nonce, nonce != NULL ? CCG_GPU_NONCE_LEN : 0, now, r, err);
	ccg_gpu_evidence_free(ev);
	free(json);
	return st;
}

/*
 * The library's defaults are at least as strict as the CLI's: revocation is
 * checked (online) and reference values are required unless turned off; what
 * was not checked is in the result without parsing JSON.
 */
static void test_defaults_and_skipped_checks(void **state)
{
	struct ccg_gpu_verifier *v = NULL;
	struct ccg_gpu_result *r = NULL;
	struct sample s;
	struct ccg_error err;
	json_t *claims = NULL;
	uint8_t nonce[CCG_GPU_NONCE_LEN];
	char names[128];

	(void)state;
	load_sample("hopper-550.90.07", &s);
	/* OCSP by default: offline (so cache-only) with nothing cached, revocation cannot be shown: refused */
	assert_int_equal(ccg_gpu_verifier_new(&v), CCG_OK);
	ccg_gpu_verifier_set_offline(v, true);
	ccg_gpu_verifier_skip_rims(v, true);
	assert_int_equal(appraise_sample(v, &s, NOW, &err, NULL), CCG_ERR_OCSP_UNAVAILABLE);
	ccg_gpu_verifier_free(v);
	/* reference values by default: with revocation off and no RIM source, refused */
	assert_int_equal(ccg_gpu_verifier_new(&v), CCG_OK);
	ccg_gpu_verifier_set_offline(v, true);
	assert_int_equal(ccg_gpu_verifier_set_ocsp(v, CCG_GPU_OCSP_OFF, NULL, 0, NULL), CCG_OK);
	assert_int_not_equal(appraise_sample(v, &s, NOW, &err, NULL), CCG_OK);
	ccg_gpu_verifier_free(v);

	/* both turned off explicitly: a pass that says what it did not check */
	v = tv_gpu_verifier_offline();
	assert_int_equal(appraise_sample(v, &s, NOW, &err, &claims), CCG_OK);
	skipped_names(claims, names, sizeof(names));
	assert_string_equal(names, "reference-values,revocation");
	json_decref(claims);
	/* the caller's nonce: freshness checked */
	assert_true(ccg_hex_decode_fixed("e97b23a1718095a0e9e35edca810768c70a6a5a389b705e753b197912bc11576", 64, nonce,
					 sizeof(nonce)) == CCG_OK);
	assert_int_equal(appraise_json(v, nonce, NOW, &r, &err), CCG_OK);
	assert_true(ccg_gpu_result_passed(r));
	assert_int_equal(ccg_gpu_result_checks_skipped(r), CCG_CHECK_REVOCATION | CCG_CHECK_REFERENCE_VALUES);
	ccg_gpu_result_free(r);
	/* no nonce of the caller's: the evidence's own is used, and freshness is recorded as skipped */
	assert_int_equal(appraise_json(v, NULL, NOW, &r, &err), CCG_OK);
	assert_int_equal(ccg_gpu_result_checks_skipped(r),
			 CCG_CHECK_REVOCATION | CCG_CHECK_REFERENCE_VALUES | CCG_CHECK_FRESHNESS);
	{
		char *text = ccg_gpu_result_claims_json(r, 0);

		claims = json_loads(text, 0, NULL);
		free(text);
	}
	skipped_names(claims, names, sizeof(names));
	assert_string_equal(names, "reference-values,revocation,freshness");
	json_decref(claims);
	ccg_gpu_result_free(r);
	/* a raw report carries no nonce of its own: a nonce is required */
	{
		struct ccg_gpu_evidence *ev = NULL;

		assert_int_equal(ccg_gpu_evidence_new(&ev), CCG_OK);
		assert_int_equal(ccg_gpu_evidence_add_report(ev, "HOPPER", s.report, s.report_len, s.chain, s.chain_len,
							     NULL),
				 CCG_OK);
		ccg_error_clear(&err);
		r = (void *)1;
		assert_int_equal(ccg_gpu_verifier_appraise(v, ev, NULL, 0, NOW, &r, &err), CCG_ERR_INVALID_ARG);
		assert_string_equal(err.where, "nonce");
		assert_null(r);
		ccg_gpu_evidence_free(ev);
	}
	assert_int_equal(ccg_gpu_result_checks_skipped(NULL), CCG_CHECK_ALL);
	ccg_gpu_verifier_free(v);
	free_sample(&s);
}

/* the time convention: CCG_TIME_NOW is the current time (claims' iat), a negative time is refused */
static void test_time_convention(void **state)
{
	struct ccg_gpu_verifier *v = tv_gpu_verifier_offline();
	struct ccg_gpu_result *r = NULL;
	struct ccg_error err;
	json_t *claims;
	char *text;
	int64_t before = (int64_t)time(NULL), iat;

	(void)state;
	assert_int_equal(appraise_json(v, NULL, CCG_TIME_NOW, &r, &err), CCG_OK);
	text = ccg_gpu_result_claims_json(r, 0);
	claims = json_loads(text, 0, NULL);
	iat = json_integer_value(json_object_get(claims, "iat"));
	assert_true(iat >= before && iat <= (int64_t)time(NULL));
	json_decref(claims);
	free(text);
	ccg_gpu_result_free(r);
	r = (void *)1;
	assert_int_equal(appraise_json(v, NULL, -1, &r, &err), CCG_ERR_INVALID_ARG);
	assert_string_equal(err.where, "now");
	assert_null(r);
	ccg_gpu_verifier_free(v);
}

static void test_bad_arguments(void **state)
{
	struct ccg_gpu_verifier *v = tv_gpu_verifier_offline();
	struct ccg_gpu_evidence *ev = NULL;
	struct ccg_gpu_result *r = (void *)1;
	uint8_t nonce[CCG_GPU_NONCE_LEN] = {0};

	(void)state;
	assert_int_equal(ccg_gpu_evidence_new(&ev), CCG_OK);
	assert_int_equal(ccg_gpu_verifier_appraise(v, ev, nonce, sizeof(nonce), NOW, &r, NULL), CCG_ERR_INVALID_ARG);
	assert_null(r);
	assert_int_equal(ccg_gpu_verifier_appraise(v, ev, nonce, 16, NOW, &r, NULL), CCG_ERR_INVALID_ARG);
	assert_int_equal(ccg_gpu_evidence_add_report(ev, "AMPERE", nonce, 1, nonce, 1, NULL), CCG_ERR_UNSUPPORTED);
	assert_int_equal(ccg_gpu_evidence_add_report(ev, NULL, nonce, 0, nonce, 1, NULL), CCG_ERR_TRUNCATED);
	assert_int_equal(ccg_gpu_verifier_set_ocsp(v, (enum ccg_gpu_ocsp_mode)7, NULL, 0, NULL), CCG_ERR_INVALID_ARG);
	ccg_gpu_evidence_free(ev);
	ccg_gpu_verifier_free(v);
	ccg_gpu_verifier_free(NULL);
	ccg_gpu_evidence_free(NULL);
	ccg_gpu_result_free(NULL);
}

struct thread_job {
	struct ccg_gpu_verifier *v;
	struct sample *s;
	int failures;
};

static void *appraise_many(void *arg)
{
	struct thread_job *j = arg;

	for (int i = 0; i < 20; i++)
		if (appraise_bytes(j->v, j->s->report, j->s->report_len, j->s->chain, j->s->chain_len, j->s->nonce, NOW,
				   NULL, NULL) != CCG_OK)
			j->failures++;
	return NULL;
}

static void test_threads_share_a_verifier(void **state)
{
	struct ccg_gpu_verifier *v = tv_gpu_verifier_offline();
	struct sample s;
	pthread_t t[4];
	struct thread_job jobs[4];

	(void)state;
	load_sample("hopper-580.159.03", &s);
	for (int i = 0; i < 4; i++) {
		jobs[i] = (struct thread_job){v, &s, 0};
		assert_int_equal(pthread_create(&t[i], NULL, appraise_many, &jobs[i]), 0);
	}
	for (int i = 0; i < 4; i++) {
		pthread_join(t[i], NULL);
		assert_int_equal(jobs[i].failures, 0);
	}
	free_sample(&s);
	ccg_gpu_verifier_free(v);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_both_samples_verify),
		cmocka_unit_test(test_wrong_nonce),
		cmocka_unit_test(test_flips_and_truncations_fail),
		cmocka_unit_test(test_chain_faults),
		cmocka_unit_test(test_cache_respects_time),
		cmocka_unit_test(test_serialized_evidence),
		cmocka_unit_test(test_two_gpus_one_fails),
		cmocka_unit_test(test_same_gpu_repeated_refused),
		cmocka_unit_test(test_rims_mismatch_and_expiry),
		cmocka_unit_test(test_offline_ocsp_fails_closed_without_network),
		cmocka_unit_test(test_bad_arguments),
		cmocka_unit_test(test_defaults_and_skipped_checks),
		cmocka_unit_test(test_time_convention),
		cmocka_unit_test(test_threads_share_a_verifier),
	};

	td_require();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
