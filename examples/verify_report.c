/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Verify one GPU's SPDM measurement report against NVIDIA's built-in roots.
 * Usage: verify_report REPORT.hex CHAIN.pem NONCE.hex
 * Offline here (no OCSP, no reference manifests): the result names what was not checked.
 */
#include <ccgpu/ccgpu.h>
#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv)
{
	struct ccg_gpu_verifier *v = NULL;
	struct ccg_gpu_evidence *ev = NULL;
	struct ccg_gpu_result *r = NULL;
	struct ccg_error err = {0};
	uint8_t *hex = NULL, *chain = NULL, *nonce_hex = NULL, *report = NULL, *nonce = NULL;
	size_t hex_len = 0, chain_len = 0, nonce_hex_len = 0, report_len = 0, nonce_len = 0;
	char msg[600];
	enum ccg_status st;

	if (argc != 4)
		return fprintf(stderr, "usage: verify_report REPORT.hex CHAIN.pem NONCE.hex\n"), 2;
	if ((st = ccg_file_read(argv[1], CCG_FILE_MAX_DEFAULT, &hex, &hex_len, &err)) == CCG_OK &&
	    (st = ccg_file_read(argv[2], CCG_FILE_MAX_DEFAULT, &chain, &chain_len, &err)) == CCG_OK &&
	    (st = ccg_file_read(argv[3], CCG_FILE_MAX_DEFAULT, &nonce_hex, &nonce_hex_len, &err)) == CCG_OK &&
	    (st = ccg_hex_decode((char *)hex, hex_len, hex_len, &report, &report_len)) == CCG_OK &&
	    (st = ccg_hex_decode((char *)nonce_hex, nonce_hex_len, CCG_GPU_NONCE_LEN, &nonce, &nonce_len)) == CCG_OK &&
	    (st = ccg_gpu_verifier_new(&v)) == CCG_OK &&
	    (st = ccg_gpu_verifier_set_ocsp(v, CCG_GPU_OCSP_OFF, NULL, 0, &err)) == CCG_OK &&
	    (st = ccg_gpu_evidence_new(&ev)) == CCG_OK &&
	    (st = ccg_gpu_evidence_add_report(ev, "HOPPER", report, report_len, chain, chain_len, &err)) == CCG_OK) {
		ccg_gpu_verifier_skip_rims(v, true);
		st = ccg_gpu_verifier_appraise(v, ev, nonce, nonce_len, CCG_TIME_NOW, &r, &err);
	}
	if (st == CCG_OK) {
		printf("verified: driver %s; not checked:",
		       ccg_gpu_result_claim_string(r, 0, "x-nvidia-gpu-driver-version"));
		for (uint32_t bit = 1; bit & CCG_CHECK_ALL; bit <<= 1)
			if (ccg_gpu_result_checks_skipped(r) & bit)
				printf(" %s", ccg_check_name(bit));
		printf("\n");
	} else
		fprintf(stderr, "refused: %s\n", ccg_error_format(&err, msg, sizeof(msg)));
	ccg_gpu_result_free(r);
	ccg_gpu_evidence_free(ev);
	ccg_gpu_verifier_free(v);
	free(hex), free(chain), free(nonce_hex), free(report), free(nonce);
	return st == CCG_OK ? 0 : 1;
}
