/* SPDX-License-Identifier: Apache-2.0 */
/*
 * NVSwitch (LS10) evidence and the PPCIe topology check: NVIDIA's real switch
 * evidence (shared testdata) and its switch RIM variants, and the topology
 * rules of NVIDIA's PPCIe verifier on GPU and switch opaque data.
 */
#include <stdarg.h>
#include <setjmp.h>
#include <stddef.h>
#include <cmocka.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "attest/gpu/nvgpu_verifier.h"
#include "ccgpu/attest.h"
#include "gpu_verifier.h"
#include "testdata.h"

#define NOW 1795305600 /* 2026-11-22T00:00:00Z */

/* the first switch of multi_switch_ls10.json as a one-device document */
static struct ccg_gpu_evidence *one_switch(uint8_t nonce[CCG_GPU_NONCE_LEN], bool all)
{
	size_t len;
	uint8_t *json = td_read("nvidia/evidence/multi_switch_ls10.json", &len);
	json_t *doc = json_loads((const char *)json, 0, NULL), *one = json_array();
	struct ccg_gpu_evidence *ev = NULL;
	char *text;

	assert_non_null(doc);
	if (all)
		json_array_extend(one, doc);
	else
		json_array_append(one, json_array_get(doc, 0));
	text = json_dumps(one, 0);
	assert_int_equal(ccg_gpu_evidence_new(&ev), CCG_OK);
	assert_int_equal(ccg_gpu_evidence_add_json(ev, (const uint8_t *)text, strlen(text), NULL), CCG_OK);
	assert_true(ccg_gpu_evidence_nonce(ev, nonce));
	free(text);
	json_decref(one);
	json_decref(doc);
	free(json);
	return ev;
}

static json_t *appraise(struct ccg_gpu_verifier *v, struct ccg_gpu_evidence *ev, const uint8_t *nonce,
			enum ccg_status want, struct ccg_error *err)
{
	struct ccg_gpu_result *r = NULL;
	json_t *claims;
	char *text;

	ccg_error_clear(err);
	assert_int_equal(ccg_gpu_verifier_appraise(v, ev, nonce, CCG_GPU_NONCE_LEN, NOW, &r, err), want);
	text = ccg_gpu_result_claims_json(r, 0);
	claims = json_loads(text, 0, NULL);
	assert_non_null(claims);
	free(text);
	ccg_gpu_result_free(r);
	return claims;
}

static void test_real_switch_verifies(void **state)
{
	struct ccg_gpu_verifier *v = tv_gpu_verifier_offline();
	uint8_t nonce[CCG_GPU_NONCE_LEN];
	struct ccg_gpu_evidence *ev = one_switch(nonce, false);
	struct ccg_error err;
	json_t *claims, *sw, *pdis;

	(void)state;
	claims = appraise(v, ev, nonce, CCG_OK, &err);
	sw = json_object_get(json_object_get(claims, "submods"), "SWITCH-0");
	assert_non_null(sw);
	assert_string_equal(json_string_value(json_object_get(sw, "x-nvidia-device-type")), "nvswitch");
	assert_string_equal(json_string_value(json_object_get(sw, "x-nvidia-switch-bios-version")), "96.10.55.00.01");
	assert_string_equal(json_string_value(json_object_get(sw, "x-nvidia-switch-pdi")), "203EB31AD9ED0008");
	assert_string_equal(json_string_value(json_object_get(sw, "hwmodel")), "LS_10 A01 FSP BROM");
	assert_true(json_is_true(json_object_get(sw, "x-nvidia-switch-arch-check")));
	assert_true(json_is_true(json_object_get(sw, "x-nvidia-switch-attestation-report-signature-verified")));
	assert_true(json_is_true(json_object_get(sw, "x-nvidia-switch-attestation-report-nonce-match")));
	/* this firmware reports no FWID: accepted as NVIDIA's switch verifier does, and said */
	assert_true(json_is_true(json_object_get(sw, "x-nvidia-switch-attestation-report-cert-chain-fwid-match")));
	assert_string_equal(json_string_value(json_object_get(sw, "ccgpu-fwid")), "absent");
	pdis = json_object_get(sw, "x-nvidia-switch-gpu-pdis");
	assert_int_equal(json_array_size(pdis), 7); /* 8 entries, two of them equal */
	assert_string_equal(json_string_value(json_object_get(claims, "ccgpu-ppcie-topology")), "not-checked");
	json_decref(claims);
	/* the wrong architecture for this chain */
	ccg_gpu_evidence_free(ev);
	{
		size_t len;
		uint8_t *json = td_read("nvidia/evidence/multi_switch_ls10.json", &len);
		json_t *doc = json_loads((const char *)json, 0, NULL), *one = json_array(), *e;
		char *text;

		e = json_deep_copy(json_array_get(doc, 0));
		json_object_set_new(e, "arch", json_string("HOPPER"));
		json_array_append_new(one, e);
		text = json_dumps(one, 0);
		assert_int_equal(ccg_gpu_evidence_new(&ev), CCG_OK);
		assert_int_equal(ccg_gpu_evidence_add_json(ev, (const uint8_t *)text, strlen(text), NULL), CCG_OK);
		claims = appraise(v, ev, nonce, CCG_ERR_MALFORMED, &err);
		assert_non_null(strstr(err.where, "GPU-0 nvgpu.opaque.OPAQUE_FIELD_ID_VBIOS_VERSION"));
		/* not a byte count: the message says what the evidence is */
		assert_non_null(strstr(err.detail, "\"96.10.55.00.01\" is an NVSwitch BIOS version"));
		assert_non_null(strstr(err.detail, "arch LS10"));
		json_decref(claims);
		free(text);
		json_decref(one);
		json_decref(doc);
		free(json);
	}
	ccg_gpu_evidence_free(ev);
	ccg_gpu_verifier_free(v);
}

/* NVIDIA's file holds one switch four times: that is one switch, and the repeats are refused */
static void test_real_document_repeats_one_switch(void **state)
{
	struct ccg_gpu_verifier *v = tv_gpu_verifier_offline();
	uint8_t nonce[CCG_GPU_NONCE_LEN];
	struct ccg_gpu_evidence *ev = one_switch(nonce, true);
	struct ccg_error err;
	json_t *claims;

	(void)state;
	assert_int_equal(ccg_gpu_evidence_count(ev), 4);
	claims = appraise(v, ev, nonce, CCG_ERR_DUPLICATE, &err);
	assert_non_null(strstr(err.where, "SWITCH-1 device"));
	assert_non_null(strstr(err.detail, "SWITCH-0"));
	json_decref(claims);
	ccg_gpu_evidence_free(ev);
	ccg_gpu_verifier_free(v);
}

/* the switch BIOS RIM variants of NVIDIA's SDK tests, under the id the report names */
static void rim_variant(const char *variant, enum ccg_status want)
{
	struct ccg_gpu_verifier *v = tv_gpu_verifier_offline();
	uint8_t nonce[CCG_GPU_NONCE_LEN], *xml;
	struct ccg_gpu_evidence *ev = one_switch(nonce, false);
	char *dir = td_tmpdir(), path[4096], rel[256];
	struct ccg_error err;
	size_t len;
	json_t *claims, *sw;
	FILE *f;

	snprintf(rel, sizeof(rel), "nvidia/rims/NV_SWITCH_BIOS_5612_0002_890_9610550001.%s.xml", variant);
	xml = td_read(rel, &len);
	snprintf(path, sizeof(path), "%s/NV_SWITCH_BIOS_5612_0002_890_9610550001.xml", dir);
	f = fopen(path, "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(xml, 1, len, f), len);
	fclose(f);
	ccg_gpu_verifier_skip_rims(v, false);
	assert_int_equal(ccg_gpu_verifier_set_rims(v, dir, NULL, NULL), CCG_OK);
	claims = appraise(v, ev, nonce, want, &err);
	sw = json_object_get(json_object_get(claims, "submods"), "SWITCH-0");
	assert_string_equal(json_string_value(json_object_get(sw, "ccgpu-bios-rim-id")),
			    "NV_SWITCH_BIOS_5612_0002_890_9610550001");
	assert_true(json_is_true(json_object_get(sw, "x-nvidia-switch-bios-rim-fetched")));
	assert_true(json_is_false(json_object_get(sw, "x-nvidia-switch-bios-rim-signature-verified")));
	assert_string_equal(json_string_value(json_object_get(sw, "measres")), "fail");
	assert_non_null(strstr(err.where, "SWITCH-0 rim.Signature"));
	json_decref(claims);
	free(xml);
	td_rm_rf(dir);
	free(dir);
	ccg_gpu_evidence_free(ev);
	ccg_gpu_verifier_free(v);
}

static void test_real_switch_rims(void **state)
{
	(void)state;
	rim_variant("bad-signature", CCG_ERR_SIGNATURE);
	/* its measurement was edited after signing: refused at the signature, never compared */
	rim_variant("measurement-mismatch", CCG_ERR_SIGNATURE);
}

/* ---------- the topology rules on opaque data ---------- */

struct topo {
	struct ccg_gpu_appraisal g[8], s[4];
	struct ccg_gpu_appraisal *gp[8], *sp[4];
	const char *gn[8], *sn[4];
};

static void pdi(uint8_t out[8], uint8_t kind, unsigned i)
{
	memset(out, 0, 8);
	out[0] = kind;
	out[7] = (uint8_t)(i + 1);
}

/* 8 GPUs on 18 links (two disabled) to 4 switches; 4 switches seeing the 8 GPUs */
static void topo_init(struct topo *t)
{
	static const char *gn[] = {"GPU-0", "GPU-1", "GPU-2", "GPU-3", "GPU-4", "GPU-5", "GPU-6", "GPU-7"};
	static const char *sn[] = {"SWITCH-0", "SWITCH-1", "SWITCH-2", "SWITCH-3"};

	memset(t, 0, sizeof(*t));
	for (unsigned g = 0; g < 8; g++) {
		struct ccg_nv_opaque *o = &t->g[g].opaque;

		t->g[g].parsed = true;
		o->has_pdis = true;
		o->num_pdis = 18;
		for (unsigned l = 0; l < 16; l++) {
			uint8_t be[8];

			pdi(be, 0x20, l % 4);
			for (int k = 0; k < 8; k++) /* GPUs report switch PDIs little-endian */
				o->pdis[l][k] = be[7 - k];
		}
		/* links 16 and 17 disabled: all-zero PDIs */
		t->gp[g] = &t->g[g];
		t->gn[g] = gn[g];
	}
	for (unsigned s = 0; s < 4; s++) {
		struct ccg_nv_opaque *o = &t->s[s].opaque;

		t->s[s].parsed = true;
		t->s[s].arch = CCG_NVGPU_ARCH_LS10;
		o->nvswitch = true;
		o->has_device_pdi = true;
		pdi(o->device_pdi, 0x20, s);
		o->has_pdis = true;
		o->num_pdis = 8;
		for (unsigned g = 0; g < 8; g++)
			pdi(o->pdis[g], 0x80, g);
		t->sp[s] = &t->s[s];
		t->sn[s] = sn[s];
	}
}

static void expect_topology(struct topo *t, size_t gpus, size_t switches, enum ccg_status want, const char *where,
			    const char *detail)
{
	struct ccg_error err;

	ccg_error_clear(&err);
	assert_int_equal(ccg_ppcie_topology_check(t->gp, t->gn, gpus, t->sp, t->sn, switches, &err), want);
	if (want == CCG_OK)
		return;
	if (strcmp(err.where, where) != 0 || strstr(err.detail, detail) == NULL)
		fail_msg("where \"%s\" detail \"%s\"; want \"%s\" / \"%s\"", err.where, err.detail, where, detail);
}

static void test_topology(void **state)
{
	struct topo *t = calloc(1, sizeof(*t));

	(void)state;
	topo_init(t);
	expect_topology(t, 8, 4, CCG_OK, NULL, NULL);
	/* the failure is also filed on the device it names */
	topo_init(t);
	t->g[3].opaque.pdis[5][0] ^= 0x40; /* GPU-3 sees a fifth switch */
	expect_topology(t, 8, 4, CCG_ERR_TOPOLOGY, "ppcie.topology GPU-3", "5 distinct switches");
	assert_int_equal(t->g[3].error.status, CCG_ERR_TOPOLOGY);
	assert_int_equal(t->g[2].error.status, CCG_OK);
	topo_init(t);
	for (unsigned l = 0; l < 16; l++) /* GPU-5 sees 4 switches, but not the same 4 */
		if (t->g[5].opaque.pdis[l][0] == 4)
			t->g[5].opaque.pdis[l][1] = 0x99;
	expect_topology(t, 8, 4, CCG_ERR_TOPOLOGY, "ppcie.topology GPU-5", "differ from those of GPU-0");
	topo_init(t);
	t->g[6].opaque.has_pdis = false;
	expect_topology(t, 8, 4, CCG_ERR_TOPOLOGY, "ppcie.topology GPU-6", "no SWITCH_PDI");
	topo_init(t);
	t->s[2].opaque.device_pdi[3] = 0x77; /* a switch no GPU is wired to */
	expect_topology(t, 8, 4, CCG_ERR_TOPOLOGY, "ppcie.topology SWITCH-2", "not one of the switches");
	topo_init(t);
	memcpy(t->s[3].opaque.device_pdi, t->s[1].opaque.device_pdi, 8);
	expect_topology(t, 8, 4, CCG_ERR_TOPOLOGY, "ppcie.topology SWITCH-3", "claimed by another switch");
	topo_init(t);
	memcpy(t->s[1].opaque.pdis[7], t->s[1].opaque.pdis[6], 8); /* SWITCH-1 sees 7 GPUs */
	expect_topology(t, 8, 4, CCG_ERR_TOPOLOGY, "ppcie.topology SWITCH-1", "7 distinct GPUs");
	topo_init(t);
	t->s[2].opaque.pdis[4][2] = 0x55; /* SWITCH-2 sees 8 GPUs, one of them unknown to the others */
	expect_topology(t, 8, 4, CCG_ERR_TOPOLOGY, "ppcie.topology SWITCH-2", "differ from those of SWITCH-0");
	topo_init(t);
	expect_topology(t, 7, 4, CCG_ERR_TOPOLOGY, "ppcie.topology document", "7 GPUs and 4 switches");
	expect_topology(t, 8, 3, CCG_ERR_TOPOLOGY, "ppcie.topology document", "8 GPUs and 3 switches");
	/* more disabled links still leave the same 4 switches */
	topo_init(t);
	memset(t->g[0].opaque.pdis[0], 0, 8);
	memset(t->g[0].opaque.pdis[1], 0, 8);
	expect_topology(t, 8, 4, CCG_OK, NULL, NULL);
	free(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_real_switch_verifies),
		cmocka_unit_test(test_real_document_repeats_one_switch),
		cmocka_unit_test(test_real_switch_rims),
		cmocka_unit_test(test_topology),
	};

	td_require();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
