/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Verify NVIDIA's serialized evidence JSON ([{"arch","nonce","evidence","certificate"}]) for every GPU
 * in it, print each GPU's result, and write the claims (for evaluate_policy) to CLAIMS.json.
 * Usage: verify_evidence EVIDENCE.json NONCE_HEX CLAIMS.json   (offline: no OCSP, no reference manifests)
 */
#include <ccgpu/ccgpu.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(int argc, char **argv)
{
	struct ccg_gpu_verifier *v = NULL;
	struct ccg_gpu_evidence *ev = NULL;
	struct ccg_gpu_result *r = NULL;
	struct ccg_error err = {0};
	uint8_t *json = NULL, *nonce = NULL;
	size_t json_len = 0, nonce_len = 0;
	char msg[600], *claims = NULL;
	FILE *out = NULL;
	enum ccg_status st;

	if (argc != 4)
		return fprintf(stderr, "usage: verify_evidence EVIDENCE.json NONCE_HEX CLAIMS.json\n"), 2;
	if ((st = ccg_file_read(argv[1], CCG_FILE_MAX_DEFAULT, &json, &json_len, &err)) == CCG_OK &&
	    (st = ccg_hex_decode(argv[2], strlen(argv[2]), CCG_GPU_NONCE_LEN, &nonce, &nonce_len)) == CCG_OK &&
	    (st = ccg_gpu_verifier_new(&v)) == CCG_OK &&
	    (st = ccg_gpu_verifier_set_ocsp(v, CCG_GPU_OCSP_OFF, NULL, 0, &err)) == CCG_OK &&
	    (st = ccg_gpu_evidence_new(&ev)) == CCG_OK &&
	    (st = ccg_gpu_evidence_add_json(ev, json, json_len, &err)) == CCG_OK) {
		ccg_gpu_verifier_skip_rims(v, true);
		st = ccg_gpu_verifier_appraise(v, ev, nonce, nonce_len, CCG_TIME_NOW, &r, &err);
	}
	for (size_t i = 0; i < ccg_gpu_result_count(r); i++)
		printf("GPU-%zu %s: %s, driver %s\n", i, ccg_gpu_result_claim_string(r, i, "hwmodel"),
		       ccg_gpu_result_device_passed(r, i) ? "passed" : "failed",
		       ccg_gpu_result_claim_string(r, i, "x-nvidia-gpu-driver-version"));
	if (r != NULL && (claims = ccg_gpu_result_claims_json(r, 2)) != NULL && (out = fopen(argv[3], "w")) != NULL) {
		fputs(claims, out);
		fclose(out);
	}
	if (st != CCG_OK)
		fprintf(stderr, "refused: %s\n", ccg_error_format(&err, msg, sizeof(msg)));
	free(claims);
	ccg_gpu_result_free(r);
	ccg_gpu_evidence_free(ev);
	ccg_gpu_verifier_free(v);
	free(json), free(nonce);
	return st == CCG_OK && out != NULL ? 0 : 1;
}
