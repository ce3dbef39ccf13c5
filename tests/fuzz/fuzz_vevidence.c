/* SPDX-License-Identifier: Apache-2.0 */
/*
 * libFuzzer target for the verifier's evidence document (verifier/vevidence.h,
 * GET /v1/verifier/evidence): any bytes through ccg_vevidence_check, as a
 * party runs it, with the nonce 00 01 … 1f, a CPU verifier trusting the fixed
 * AK below, and a small policy on the CPU claims. The corpus holds a valid
 * document (corpus/vevidence/valid.json: a quote by that AK, taken from swtpm
 * by tests/integration/test_vtee.c with CCGPU_VTEE_SEED_DIR set; swtpm's state
 * was not kept) and variants made from it by make_vevidence_seeds.py, so
 * mutations start from a document that passes every check. An accepted
 * document must hand back two keys of the right shapes; a refusal none.
 */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "ccgpu/cpu.h"
#include "ccgpu/policy.h"
#include "fuzz.h"
#include "verifier/vevidence.h"

static const char ak_pem[] =
	"-----BEGIN PUBLIC KEY-----\n"
	"MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEArdz7nrmw0U6bqh4G5mJE\n"
	"kD/K82tSJiImPJ7ls1LaVIMNpKdqyX+BkdExdlwoJY+yyScmkwC55yyiO9SU3dc5\n"
	"IUQIYL7dbSB9cSj7YBNpAI56EjfHVjtnmj8WayvB1CIxOpSHC9k4sgCR4DCpsdaA\n"
	"95r6BNPc8NFwg+q+vbSKZrzFbdSv4QpD8zcbGiWyzpoCRA+SrilgmDRv2c8n6k2v\n"
	"LCvTVM9cCVv0JG00LGp0KaXptAPwsfPb30trv1ym907Eib+nazI/IhpM0pmJcQgb\n"
	"Uu6BtRA/uZupDUtrhs3/Smc3zbhPQH+jraMBU3X3H4YtlJlmOIKlDCH1TCkRf5m/\n"
	"gQIDAQAB\n"
	"-----END PUBLIC KEY-----\n";
static const char policy[] =
	"policy \"verifier\" version 1\n"
	"rule tpm \"the verifier's TPM\" { ccgpu-cpu-tee == \"tpm\" and tpm-pcr-bank == \"sha256\" }\n";

int ccg_fuzz_verdict(const uint8_t *data, size_t size)
{
	static struct ccg_cpu_verifier *cv;
	static struct ccg_policy *pol;
	uint8_t nonce[32];
	json_t *token = NULL, *upload = NULL;
	struct ccg_error err;
	enum ccg_status st;

	if (cv == NULL && (ccg_cpu_verifier_new(&cv) != CCG_OK ||
			   ccg_cpu_verifier_set_tpm_ak(cv, (const uint8_t *)ak_pem, strlen(ak_pem), NULL) != CCG_OK ||
			   ccg_policy_parse(policy, strlen(policy), &pol, NULL) != CCG_OK))
		abort();
	for (size_t i = 0; i < sizeof(nonce); i++)
		nonce[i] = (uint8_t)i;
	ccg_error_clear(&err);
	st = ccg_vevidence_check(data, size, nonce, cv, pol, 1795305600, &token, &upload, &err);
	if (st == CCG_OK) {
		if (!json_is_object(token) || !json_is_object(upload) ||
		    strcmp(json_string_value(json_object_get(upload, "alg")), CCG_VEVIDENCE_UPLOAD_ALG) != 0)
			abort();
	} else if (token != NULL || upload != NULL || err.status != st || err.where[0] == '\0') {
		abort();
	}
	json_decref(token);
	json_decref(upload);
	return st;
}
