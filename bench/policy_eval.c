/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Evaluations per second of a 50-rule policy on realistic claims (a claims
 * document shaped like the real H100 claims, 8 GPUs), next to a bound
 * measured in the same run: looking up the same claims by name with jansson
 * (what any interpreter over the JSON must at least do), as a ratio.
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ccgpu/policy.h"

#define GPUS 8

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static const char *const bools[] = {
	"x-nvidia-gpu-arch-check",
	"x-nvidia-gpu-attestation-report-parsed",
	"x-nvidia-gpu-attestation-report-nonce-match",
	"x-nvidia-gpu-attestation-report-signature-verified",
	"x-nvidia-gpu-attestation-report-cert-chain-fwid-match",
	"x-nvidia-gpu-driver-rim-fetched",
	"x-nvidia-gpu-driver-rim-schema-validated",
	"x-nvidia-gpu-driver-rim-signature-verified",
	"x-nvidia-gpu-driver-rim-measurements-available",
	"x-nvidia-gpu-driver-rim-version-match",
	"x-nvidia-gpu-vbios-rim-fetched",
	"x-nvidia-gpu-vbios-rim-schema-validated",
	"x-nvidia-gpu-vbios-rim-signature-verified",
	"x-nvidia-gpu-vbios-rim-measurements-available",
	"x-nvidia-gpu-vbios-rim-version-match",
	"x-nvidia-gpu-vbios-index-no-conflict",
	"secboot",
	"ccgpu-result",
};

#define NBOOLS (sizeof(bools) / sizeof(bools[0]))

static json_t *claims_doc(json_t **sub)
{
	json_t *root = json_object();

	*sub = json_object();
	json_object_set_new(root, "x-nvidia-overall-att-result", json_true());
	json_object_set_new(root, "x-nvidia-ver", json_string("3.0"));
	json_object_set_new(root, "eat_nonce",
			    json_string("931d8dd0add203ac3d8b4fbde75e115278eefcdceac5b87671a748f32364dfcb"));
	json_object_set_new(root, "iat", json_integer(1795305600));
	for (int g = 0; g < GPUS; g++) {
		json_t *o = json_object();
		char name[16];

		for (size_t i = 0; i < NBOOLS; i++)
			json_object_set_new(o, bools[i], json_true());
		json_object_set_new(o, "measres", json_string("success"));
		json_object_set_new(o, "hwmodel", json_string("GH100 A01 GSP BROM"));
		json_object_set_new(o, "dbgstat", json_string("disabled"));
		json_object_set_new(o, "x-nvidia-gpu-driver-version", json_string("550.90.07"));
		json_object_set_new(o, "x-nvidia-gpu-vbios-version", json_string("96.00.9F.00.01"));
		json_object_set_new(o, "x-nvidia-gpu-attestation-report-cert-chain",
				    json_pack("{s:s,s:s,s:s}", "x-nvidia-cert-status", "valid",
					      "x-nvidia-cert-ocsp-status", "good", "x-nvidia-cert-expiration-date",
					      "9999-12-31T23:59:59Z"));
		snprintf(name, sizeof(name), "GPU-%d", g);
		json_object_set_new(*sub, name, o);
	}
	json_object_set_new(root, "submods", *sub);
	return root;
}

int main(void)
{
	json_t *sub, *root = claims_doc(&sub);
	char *text = json_dumps(root, JSON_COMPACT), *src = malloc(1 << 16);
	size_t w = 0, cap = 1 << 16, nl = 0;
	struct ccg_policy *p = NULL;
	struct ccg_claims *c = NULL;
	struct ccg_error err;
	const char *lookups[50];
	long iters = 200000, hits = 0;
	double t0, t_eval, t_bound;

	if (text == NULL || src == NULL)
		return 1;
	/* 50 rules: 4 top-level, 46 over every GPU */
	w += (size_t)snprintf(src + w, cap - w, "policy \"bench\" version 1\n");
	w += (size_t)snprintf(src + w, cap - w, "rule r0 \"m\" { x-nvidia-overall-att-result }\n");
	w += (size_t)snprintf(src + w, cap - w, "rule r1 \"m\" { x-nvidia-ver in {\"3.0\", \"2.0\"} }\n");
	w += (size_t)snprintf(src + w, cap - w, "rule r2 \"m\" { iat <= now }\n");
	w += (size_t)snprintf(src + w, cap - w, "rule r3 \"m\" { ccgpu-gpu-count >= 1 }\n");
	lookups[nl++] = "x-nvidia-overall-att-result";
	lookups[nl++] = "x-nvidia-ver";
	lookups[nl++] = "iat";
	lookups[nl++] = "submods";
	for (int r = 4; r < 50; r++) {
		size_t k = (size_t)r % (NBOOLS + 5);
		const char *claim;

		if (k < NBOOLS) {
			claim = bools[k];
			w += (size_t)snprintf(src + w, cap - w, "rule r%d \"m\" { every gpu (%s) }\n", r, claim);
		} else if (k == NBOOLS) {
			claim = "measres";
			w += (size_t)snprintf(src + w, cap - w,
					      "rule r%d \"m\" { every gpu (measres == \"success\") }\n", r);
		} else if (k == NBOOLS + 1) {
			claim = "x-nvidia-gpu-driver-version";
			w += (size_t)snprintf(src + w, cap - w, "rule r%d \"m\" { every gpu (%s >= \"550.54.15\") }\n",
					      r, claim);
		} else if (k == NBOOLS + 2) {
			claim = "x-nvidia-gpu-vbios-version";
			w += (size_t)snprintf(
				src + w, cap - w,
				"rule r%d \"m\" { every gpu (%s in {\"96.00.9F.00.01\", \"96.00.74.00.20\"}) }\n", r,
				claim);
		} else if (k == NBOOLS + 3) {
			claim = "dbgstat";
			w += (size_t)snprintf(
				src + w, cap - w,
				"rule r%d \"m\" { every gpu (dbgstat != \"enabled\" and hwmodel == \"GH100 A01 GSP BROM\") }\n",
				r);
		} else {
			claim = "x-nvidia-gpu-attestation-report-cert-chain";
			w += (size_t)snprintf(
				src + w, cap - w,
				"rule r%d \"m\" { every gpu (x-nvidia-gpu-attestation-report-cert-chain.x-nvidia-cert-status == \"valid\") }\n",
				r);
		}
		lookups[nl++] = claim;
	}
	ccg_error_clear(&err);
	if (ccg_policy_parse(src, w, &p, &err) != CCG_OK ||
	    ccg_claims_from_json(text, strlen(text), &c, &err) != CCG_OK) {
		fprintf(stderr, "policy_eval: %s: %s\n", err.where, err.detail);
		return 1;
	}
	if (ccg_policy_eval(p, c, 1795305600 + 10, NULL, 0, &err) != CCG_OK) {
		fprintf(stderr, "policy_eval: the policy should allow: %s: %s\n", err.where, err.detail);
		return 1;
	}
	t0 = now_s();
	for (long i = 0; i < iters; i++)
		hits += ccg_policy_eval(p, c, 1795305600 + 10, NULL, 0, NULL) == CCG_OK;
	t_eval = (now_s() - t0) / (double)iters;

	/* bound: the same claims looked up by name in the JSON, per GPU for per-GPU claims */
	t0 = now_s();
	for (long i = 0; i < iters; i++) {
		for (size_t k = 0; k < nl; k++) {
			if (k < 4) {
				hits += json_object_get(root, lookups[k]) != NULL;
				continue;
			}
			for (int g = 0; g < GPUS; g++) {
				static const char *const names[GPUS] = {"GPU-0", "GPU-1", "GPU-2", "GPU-3",
									"GPU-4", "GPU-5", "GPU-6", "GPU-7"};

				hits += json_object_get(json_object_get(sub, names[g]), lookups[k]) != NULL;
			}
		}
	}
	t_bound = (now_s() - t0) / (double)iters;
	printf("policy_eval: 50 rules, %d GPUs, %ld evaluations (%ld hits)\n", GPUS, iters, hits);
	printf("  compiled policy:        %10.0f evaluations/s  (%.3f us each; target < 10 us)\n", 1 / t_eval,
	       t_eval * 1e6);
	printf("  bound, jansson lookups: %10.0f passes/s       (%.3f us each: the same claims looked up by name)\n",
	       1 / t_bound, t_bound * 1e6);
	printf("  ratio eval / lookups:   %10.2f\n", t_eval / t_bound);
	ccg_claims_free(c);
	ccg_policy_free(p);
	free(src);
	free(text);
	json_decref(root);
	return 0;
}
