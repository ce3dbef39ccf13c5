/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The policy language: NVIDIA's example policies imported and evaluated on
 * claims from the real H100 evidence, golden authoring errors with
 * line:column, fmt idempotence, semantics (versions, digests, sets,
 * quantifiers, time, absent claims); the CPU TEE claims of the real SEV-SNP,
 * TDX and TPM evidence are all in the schema with their types, and policies
 * over them (alone and in a composite claims document) decide as they should.
 */
#include <stdarg.h>
#include <setjmp.h>
#include <stddef.h>
#include <cmocka.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/pem.h>

#include "attest/cpu/composite.h"
#include "ccgpu/attest.h"
#include "ccgpu/policy.h"
#include "common/crypto.h"
#include "common/encoding.h"
#include "policies/policy_int.h"
#include "gpu_verifier.h"
#include "testdata.h"

#define NOW 1795305600 /* 2026-11-22T00:00:00Z */

/* the real hopper-550 claims from the public attest API (no RIMs, OCSP off) */
static json_t *real_claims(void)
{
	struct ccg_gpu_verifier *v = tv_gpu_verifier_offline();
	struct ccg_gpu_evidence *ev = NULL;
	struct ccg_gpu_result *r = NULL;
	uint8_t *report, *chain, *hex, nonce[CCG_GPU_NONCE_LEN];
	size_t rl, cl, n;
	char *text;
	json_t *j;

	report = td_read_hex("nvidia/hopper-550.90.07/report.hex", &rl);
	chain = td_read("nvidia/hopper-550.90.07/chain.pem", &cl);
	hex = td_read("nvidia/hopper-550.90.07/nonce.hex", &n);
	assert_int_equal(ccg_hex_decode_fixed((const char *)hex, n, nonce, sizeof(nonce)), CCG_OK);
	assert_int_equal(ccg_gpu_evidence_new(&ev), CCG_OK);
	assert_int_equal(ccg_gpu_evidence_add_report(ev, "HOPPER", report, rl, chain, cl, NULL), CCG_OK);
	assert_int_equal(ccg_gpu_verifier_appraise(v, ev, nonce, sizeof(nonce), NOW, &r, NULL), CCG_OK);
	text = ccg_gpu_result_claims_json(r, 0);
	j = json_loads(text, 0, NULL);
	assert_non_null(j);
	free(text);
	ccg_gpu_result_free(r);
	ccg_gpu_evidence_free(ev);
	ccg_gpu_verifier_free(v);
	free(report);
	free(chain);
	free(hex);
	return j;
}

static struct ccg_claims *claims_of(json_t *j)
{
	struct ccg_claims *c = NULL;
	char *text = json_dumps(j, 0);

	assert_int_equal(ccg_claims_from_json(text, strlen(text), &c, NULL), CCG_OK);
	free(text);
	return c;
}

static struct ccg_policy *import_nv(const char *name)
{
	char rel[128], *native = NULL;
	uint8_t *json;
	size_t len;
	struct ccg_policy *p = NULL;
	struct ccg_error err;

	snprintf(rel, sizeof(rel), "nvidia/policies/%s.json", name);
	json = td_read(rel, &len);
	ccg_error_clear(&err);
	assert_int_equal(ccg_policy_import(json, len, name, &native, &err), CCG_OK);
	if (ccg_policy_parse(native, strlen(native), &p, &err) != CCG_OK)
		fail_msg("%s: %s: %s\n%s", name, err.where, err.detail, native);
	free(native);
	free(json);
	return p;
}

/* the names of the failing rules, space separated */
static void failing(const struct ccg_policy *p, const struct ccg_claims *c, char *out, size_t n)
{
	struct ccg_rule_result res[64];
	size_t w = 0;

	assert_true(ccg_policy_rule_count(p) <= 64);
	if (ccg_policy_eval(p, c, NOW, res, 64, NULL) == CCG_OK)
		res[0].passed = true;
	out[0] = '\0';
	for (size_t i = 0; i < ccg_policy_rule_count(p); i++)
		if (!res[i].passed)
			w += (size_t)snprintf(out + w, n - w, "%s%s", w ? " " : "", res[i].name);
}

static const char *const nv_names[] = {"NVGPULocalPolicyExample", "NVGPULocalPolicyClaimsV3Example",
				       "NVGPULocalv4PolicyExample"};

/*
 * On the real claims (reference values not checked, OCSP off) every NVIDIA
 * example denies, and for exactly the claims the missing RIMs and OCSP leave
 * unproven; the policy v3 examples also pin claims version 2.0 (x-nvidia-ver).
 */
static void test_nvidia_policies_on_real_claims(void **state)
{
	static const char *const want[] = {
		"ver measres driver-rim-fetched driver-rim-schema-validated "
		"driver-rim-cert-validated driver-rim-signature-verified driver-rim-measurements-available "
		"vbios-rim-fetched vbios-rim-schema-validated vbios-rim-cert-validated vbios-rim-signature-verified "
		"vbios-rim-measurements-available vbios-index-no-conflict",
		"ver measres driver-rim-fetched driver-rim-schema-validated driver-rim-signature-verified "
		"driver-rim-measurements-available vbios-rim-fetched vbios-rim-schema-validated "
		"vbios-rim-signature-verified vbios-rim-measurements-available vbios-index-no-conflict",
		"measres attestation-report-cert-chain-ocsp-status driver-rim-fetched driver-rim-schema-validated "
		"driver-rim-signature-verified driver-rim-measurements-available driver-rim-version-match "
		"driver-rim-cert-chain-status driver-rim-cert-chain-ocsp-status vbios-rim-fetched "
		"vbios-rim-schema-validated vbios-rim-signature-verified vbios-rim-measurements-available "
		"vbios-rim-version-match vbios-index-no-conflict vbios-rim-cert-chain-status vbios-rim-cert-chain-ocsp-status",
	};
	json_t *j = real_claims();
	struct ccg_claims *c = claims_of(j);
	char got[2048];

	(void)state;
	for (size_t i = 0; i < 3; i++) {
		struct ccg_policy *p = import_nv(nv_names[i]);
		struct ccg_error err;

		ccg_error_clear(&err);
		assert_int_equal(ccg_policy_eval(p, c, NOW, NULL, 0, &err), CCG_ERR_POLICY);
		failing(p, c, got, sizeof(got));
		assert_string_equal(got, want[i]);
		ccg_policy_free(p);
	}
	ccg_claims_free(c);
	json_decref(j);
}

/*
 * With the claims NVIDIA's service issued for the same report (RIMs and OCSP
 * checked) in place of our GPU-0 claims, the v4 example allows, the v3
 * examples deny only on the claims version they pin; then one changed claim
 * flips v4 to deny and the trace names that rule and value.
 */
static void test_nvidia_policies_with_nras_claims(void **state)
{
	json_t *j = real_claims();
	uint8_t *nras_text;
	size_t n;
	json_t *nras, *g;
	struct ccg_claims *c;
	char got[2048];
	struct ccg_policy *v4;
	struct ccg_rule_result res[64];
	struct ccg_error err;
	bool named = false;

	(void)state;
	nras_text = td_read("nvidia/claims/hopper-550.90.07.nras-claims-v3.json", &n);
	nras = json_loadb((const char *)nras_text, n, 0, NULL);
	assert_non_null(nras);
	g = json_object_get(json_object_get(j, "submods"), "GPU-0");
	assert_int_equal(json_object_update(g, json_object_get(nras, "GPU-0")), 0);
	c = claims_of(j);
	v4 = import_nv("NVGPULocalv4PolicyExample");
	ccg_error_clear(&err);
	assert_int_equal(ccg_policy_eval(v4, c, NOW, NULL, 0, &err), CCG_OK);
	for (size_t i = 0; i < 2; i++) {
		struct ccg_policy *p = import_nv(nv_names[i]);

		failing(p, c, got, sizeof(got));
		assert_string_equal(got, "ver");
		ccg_policy_free(p);
	}
	ccg_claims_free(c);

	/* one claim changed: measres fail */
	assert_int_equal(json_object_set_new(g, "measres", json_string("fail")), 0);
	c = claims_of(j);
	ccg_error_clear(&err);
	assert_int_equal(ccg_policy_eval(v4, c, NOW, res, 64, &err), CCG_ERR_POLICY);
	assert_string_equal(err.where, "measres");
	for (size_t i = 0; i < ccg_policy_rule_count(v4); i++) {
		if (strcmp(res[i].name, "measres") == 0) {
			assert_false(res[i].passed);
			assert_string_equal(res[i].detail, "GPU-0: measres = \"fail\", want == \"success\"");
			named = true;
		} else {
			assert_true(res[i].passed);
		}
	}
	assert_true(named);
	ccg_claims_free(c);
	ccg_policy_free(v4);
	json_decref(nras);
	free(nras_text);
	json_decref(j);
}

struct golden {
	const char *src;
	enum ccg_status st;
	const char *where, *detail;
};

static void test_authoring_errors(void **state)
{
	static const struct golden g[] = {
		{"policy \"p\" version 1\nrule r \"m\" {\n  x-nvidia-overall-att-result ==\n}\n", CCG_ERR_POLICY_SYNTAX,
		 "4:1", "expected a claim, a string, a number, true, false or now, found '}'"},
		{"policy \"p\" version 1\nrule r \"m\" {\n  every gpu (measres = \"success\")\n}\n",
		 CCG_ERR_POLICY_SYNTAX, "3:22", "'=' is not an operator; did you mean '=='?"},
		{"policy \"p\" version 1\nrule r \"m\" {\n  every gpu (x-nvidia-gpu-driver-versoin >= \"550.54.15\")\n}\n",
		 CCG_ERR_POLICY_UNKNOWN_CLAIM, "3:14",
		 "unknown claim 'x-nvidia-gpu-driver-versoin' (did you mean 'x-nvidia-gpu-driver-version'?)"},
		{"policy \"p\" version 1\n\nrule r \"m\" {\n  every gpu (mesres == \"success\")\n}\n",
		 CCG_ERR_POLICY_UNKNOWN_CLAIM, "4:14", "unknown claim 'mesres' (did you mean 'measres'?)"},
		{"policy \"p\" version 1\nrule r \"m\" {\n  every gpu (measres == true)\n}\n", CCG_ERR_POLICY_TYPE,
		 "3:25", "type mismatch: string claim 'measres' compared with a bool"},
		{"policy \"p\" version 1\nrule r \"m\" {\n  every gpu (measres > \"a\")\n}\n", CCG_ERR_POLICY_TYPE,
		 "3:14", "type mismatch: ordering does not apply to string claim 'measres' (use == != in)"},
		{"policy \"p\" version 1\nrule r \"m\" {\n  every gpu (x-nvidia-gpu-driver-version >= \"550.x\")\n}\n",
		 CCG_ERR_POLICY_TYPE, "3:45", "\"550.x\" is not a version (dotted numbers, e.g. \"550.54.15\")"},
		{"policy \"p\" version 1\nrule r \"m\" {\n  measres == \"success\"\n}\n", CCG_ERR_POLICY_TYPE, "3:3",
		 "claim 'measres' is per GPU: use it inside every gpu (...) or some gpu (...)"},
		{"policy \"p\" version 1\nrule r \"m\" {\n  every gpu (some gpu (secboot))\n}\n", CCG_ERR_POLICY_TYPE,
		 "3:14", "GPU quantifiers do not nest"},
		{"policy \"p\" version 1\nrule r \"m\" { ccgpu-gpu-count }\n", CCG_ERR_POLICY_TYPE, "2:14",
		 "type mismatch: 'ccgpu-gpu-count' is a int claim, not a condition; compare it"},
		/* policy text is UTF-8: a string cut inside a character, an overlong form in a comment */
		{"policy \"p\" version 1\nrule r \"caf\xc3\" { ccgpu-gpu-count == 1 }\n", CCG_ERR_POLICY_SYNTAX, "2:12",
		 "byte 0xc3 is not valid UTF-8"},
		{"# \xc0\xaf\npolicy \"p\" version 1\nrule r \"m\" { ccgpu-gpu-count == 1 }\n", CCG_ERR_POLICY_SYNTAX,
		 "1:3", "byte 0xc0 is not valid UTF-8"},
		{"policy \"p\" version 1\nrule r \"m\" { eat_nonce == \"xyz\" }\n", CCG_ERR_POLICY_TYPE, "2:27",
		 "\"xyz\" is not a digest (hex, at most 64 bytes)"},
		{"policy \"p\" version 1\nrule r \"m\" { ccgpu-gpu-count >= 1 }\nrule r \"n\" { ccgpu-gpu-count >= 1 }\n",
		 CCG_ERR_POLICY_SYNTAX, "3:6", "rule 'r' is defined twice (first at 2:1)"},
		{"policy \"p\" version 1\nrule r \"unterminated { x }\n", CCG_ERR_POLICY_SYNTAX, "2:8",
		 "unterminated string"},
		{"policy \"p\" version 1\n", CCG_ERR_POLICY_SYNTAX, "2:1", "expected 'rule', found end of input"},
		{"rule r \"m\" { x }\n", CCG_ERR_POLICY_SYNTAX, "1:1", "expected 'policy', found 'rule'"},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(g) / sizeof(g[0]); i++) {
		struct ccg_policy *p = NULL;
		struct ccg_error err;

		ccg_error_clear(&err);
		assert_int_equal(ccg_policy_parse(g[i].src, strlen(g[i].src), &p, &err), g[i].st);
		assert_null(p);
		assert_string_equal(err.where, g[i].where);
		assert_string_equal(err.detail, g[i].detail);
	}
}

static void test_oversize(void **state)
{
	size_t cap = CCG_POLICY_MAX_SOURCE + 64, w = 0;
	char *big = malloc(cap + 1);
	struct ccg_policy *p = NULL;
	struct ccg_error err;
	char deep[512];

	(void)state;
	/* too many bytes */
	w += (size_t)snprintf(big, cap, "policy \"p\" version 1\n");
	while (w < CCG_POLICY_MAX_SOURCE + 1)
		big[w++] = '#';
	ccg_error_clear(&err);
	assert_int_equal(ccg_policy_parse(big, w, &p, &err), CCG_ERR_TOO_LARGE);
	assert_string_equal(err.where, "1:1");
	assert_string_equal(err.detail, "policy is 65537 bytes; the limit is 65536");
	/* too many rules */
	w = (size_t)snprintf(big, cap, "policy \"p\" version 1\n");
	for (int i = 0; i <= POL_MAX_RULES; i++)
		w += (size_t)snprintf(big + w, cap - w, "rule r%d \"m\" { ccgpu-gpu-count >= 1 }\n", i);
	ccg_error_clear(&err);
	assert_int_equal(ccg_policy_parse(big, w, &p, &err), CCG_ERR_TOO_LARGE);
	assert_string_equal(err.where, "258:1");
	assert_string_equal(err.detail, "policy has more than 256 rules");
	/* nested too deep */
	w = (size_t)snprintf(deep, sizeof(deep), "policy \"p\" version 1\nrule r \"m\" { ");
	for (int i = 0; i < 40; i++)
		deep[w++] = '(';
	deep[w] = '\0';
	ccg_error_clear(&err);
	assert_int_equal(ccg_policy_parse(deep, w, &p, &err), CCG_ERR_TOO_LARGE);
	assert_string_equal(err.where, "2:47");
	assert_string_equal(err.detail, "expression nested deeper than 32");
	free(big);
}

static const char *const samples[] = {
	"# owner\npolicy \"model-owner\" version 3\n\n# why\nrule gpus \"every GPU\" {\n"
	"  every gpu (x-nvidia-gpu-attestation-report-signature-verified and measres in {\"success\", \"not-checked\"}"
	" and x-nvidia-gpu-driver-version >= \"550.54.15\")\n}\n"
	"rule t \"time\" { every gpu (x-nvidia-gpu-attestation-report-cert-chain.x-nvidia-cert-expiration-date > now) }\n"
	"rule o \"or\" { (x-nvidia-overall-att-result or ccgpu-gpu-count > 3) and not (ccgpu-gpu-count == 0) }\n# end\n",
	"policy \"x\" version 1 rule a \"m\" { some gpu (hwmodel == \"GH100 A01 GSP BROM\") } "
	"rule b \"q\\\"uote\" { \"3.0\" == x-nvidia-ver and ccgpu-cpu-tee not in {\"none\"} or exists snp-measurement and tpm-pcrs.7 == \"00\" }",
};

static void test_fmt_idempotent(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(samples) / sizeof(samples[0]) + 3; i++) {
		struct ccg_policy *p = NULL, *q = NULL;
		char *one, *two;

		if (i < sizeof(samples) / sizeof(samples[0]))
			assert_int_equal(ccg_policy_parse(samples[i], strlen(samples[i]), &p, NULL), CCG_OK);
		else
			p = import_nv(nv_names[i - sizeof(samples) / sizeof(samples[0])]);
		one = ccg_policy_format(p);
		assert_non_null(one);
		assert_int_equal(ccg_policy_parse(one, strlen(one), &q, NULL), CCG_OK);
		two = ccg_policy_format(q);
		assert_string_equal(one, two);
		assert_int_equal(ccg_policy_rule_count(p), ccg_policy_rule_count(q));
		free(one);
		free(two);
		ccg_policy_free(p);
		ccg_policy_free(q);
	}
}

static enum ccg_status eval_text(const char *rules, const char *claims, int64_t now)
{
	char src[2048];
	struct ccg_policy *p = NULL;
	struct ccg_claims *c = NULL;
	struct ccg_error err;
	enum ccg_status st;

	snprintf(src, sizeof(src), "policy \"t\" version 1\n%s\n", rules);
	ccg_error_clear(&err);
	if (ccg_policy_parse(src, strlen(src), &p, &err) != CCG_OK)
		fail_msg("%s: %s", err.where, err.detail);
	assert_int_equal(ccg_claims_from_json(claims, strlen(claims), &c, NULL), CCG_OK);
	st = ccg_policy_eval(p, c, now, NULL, 0, NULL);
	ccg_claims_free(c);
	ccg_policy_free(p);
	return st;
}

static void test_semantics(void **state)
{
	const char *two =
		"{\"submods\":{\"GPU-0\":{\"x-nvidia-gpu-driver-version\":\"550.54.15\",\"measres\":\"success\","
		"\"x-nvidia-gpu-vbios-version\":\"96.00.9F.00.01\"},"
		"\"GPU-1\":{\"x-nvidia-gpu-driver-version\":\"550.100.1\",\"measres\":\"fail\"}},"
		"\"eat_nonce\":\"ABCDEF01\",\"iat\":1000}";

	(void)state;
	/* dotted numeric version order: 550.100.1 > 550.54.15 (not string order) */
	assert_int_equal(eval_text("rule a \"m\" { every gpu (x-nvidia-gpu-driver-version >= \"550.54.15\") }", two, 0),
			 CCG_OK);
	assert_int_equal(eval_text("rule a \"m\" { every gpu (x-nvidia-gpu-driver-version > \"550.54.15\") }", two, 0),
			 CCG_ERR_POLICY);
	assert_int_equal(eval_text("rule a \"m\" { some gpu (x-nvidia-gpu-driver-version == \"550.100.1.0\") }", two,
				   0),
			 CCG_OK);
	assert_int_equal(eval_text("rule a \"m\" { some gpu (x-nvidia-gpu-vbios-version >= \"96.00.9e\") }", two, 0),
			 CCG_OK);
	/* every vs some */
	assert_int_equal(eval_text("rule a \"m\" { every gpu (measres == \"success\") }", two, 0), CCG_ERR_POLICY);
	assert_int_equal(eval_text("rule a \"m\" { some gpu (measres == \"success\") }", two, 0), CCG_OK);
	assert_int_equal(eval_text("rule a \"m\" { ccgpu-gpu-count == 2 }", two, 0), CCG_OK);
	/* sets */
	assert_int_equal(eval_text("rule a \"m\" { every gpu (measres in {\"success\", \"fail\"}) }", two, 0), CCG_OK);
	assert_int_equal(eval_text("rule a \"m\" { every gpu (measres not in {\"fail\"}) }", two, 0), CCG_ERR_POLICY);
	/* digests: hex, case-insensitive */
	assert_int_equal(eval_text("rule a \"m\" { eat_nonce == \"abcdef01\" }", two, 0), CCG_OK);
	assert_int_equal(eval_text("rule a \"m\" { eat_nonce == \"abcdef02\" }", two, 0), CCG_ERR_POLICY);
	/* time */
	assert_int_equal(eval_text("rule a \"m\" { iat < now }", two, 2000), CCG_OK);
	assert_int_equal(eval_text("rule a \"m\" { iat < now }", two, 500), CCG_ERR_POLICY);
	assert_int_equal(eval_text("rule a \"m\" { iat >= \"1970-01-01T00:16:40Z\" }", two, 0), CCG_OK);
	/* CCG_TIME_NOW (0) is the current time, not 1970; a negative time is refused */
	{
		char now_claims[96];
		struct ccg_policy *p = NULL;
		struct ccg_claims *c = NULL;
		struct ccg_error err;
		const char *src = "policy \"t\" version 1\nrule a \"m\" { iat <= now }\n";

		snprintf(now_claims, sizeof(now_claims), "{\"iat\":%lld}", (long long)time(NULL));
		assert_int_equal(eval_text("rule a \"m\" { iat <= now }", now_claims, CCG_TIME_NOW), CCG_OK);
		assert_int_equal(ccg_policy_parse(src, strlen(src), &p, NULL), CCG_OK);
		assert_int_equal(ccg_claims_from_json(now_claims, strlen(now_claims), &c, NULL), CCG_OK);
		ccg_error_clear(&err);
		assert_int_equal(ccg_policy_eval(p, c, -1, NULL, 0, &err), CCG_ERR_INVALID_ARG);
		assert_string_equal(err.where, "now");
		ccg_claims_free(c);
		ccg_policy_free(p);
	}
	/* absent claims never make a rule hold, not even through 'not' or '!=' */
	assert_int_equal(eval_text("rule a \"m\" { not (snp-vmpl == 0) }", two, 0), CCG_ERR_POLICY);
	assert_int_equal(eval_text("rule a \"m\" { snp-vmpl != 0 }", two, 0), CCG_ERR_POLICY);
	assert_int_equal(eval_text("rule a \"m\" { snp-vmpl == 0 or ccgpu-gpu-count == 2 }", two, 0), CCG_OK);
	assert_int_equal(eval_text("rule a \"m\" { not exists snp-vmpl }", two, 0), CCG_OK);
	/* no GPU: every is not vacuously true */
	assert_int_equal(eval_text("rule a \"m\" { every gpu (measres == \"success\") }", "{}", 0), CCG_ERR_POLICY);
	/* literal on the left */
	assert_int_equal(eval_text("rule a \"m\" { some gpu (\"550.54.16\" > x-nvidia-gpu-driver-version) }", two, 0),
			 CCG_OK);
}

/*
 * An absent claim is unknown, never zero, false or empty: each rule below
 * would hold if absent were read as 0 / false / "" (so the check that makes
 * it unknown is seen failing), and each is denied; the same rules on claims
 * where the value is present and 0 / false / "" hold.
 */
static void test_absent_is_not_zero(void **state)
{
	const char *absent = "{\"submods\":{\"GPU-0\":{\"measres\":\"success\"}}}";
	const char *zero =
		"{\"snp-vmpl\":0,\"x-nvidia-overall-att-result\":false,\"ccgpu-cpu-tee\":\"\","
		"\"submods\":{\"GPU-0\":{\"measres\":\"success\",\"x-nvidia-gpu-driver-version\":\"0\"}}}";
	static const char *const rules[] = {
		"rule a \"m\" { snp-vmpl == 0 }",
		"rule a \"m\" { snp-vmpl <= 0 }",
		"rule a \"m\" { snp-vmpl < 1 }",
		"rule a \"m\" { not (snp-vmpl != 0) }",
		"rule a \"m\" { not (snp-vmpl > 0) }",
		"rule a \"m\" { snp-vmpl in {0, 1} }",
		"rule a \"m\" { snp-vmpl not in {1, 2} }",
		"rule a \"m\" { not x-nvidia-overall-att-result }",
		"rule a \"m\" { x-nvidia-overall-att-result == false }",
		"rule a \"m\" { ccgpu-cpu-tee == \"\" }",
		"rule a \"m\" { ccgpu-cpu-tee not in {\"snp\", \"tdx\"} }",
		"rule a \"m\" { not (ccgpu-cpu-tee != \"\") }",
		"rule a \"m\" { every gpu (x-nvidia-gpu-driver-version < \"1\") }",
	};

	(void)state;
	for (size_t i = 0; i < sizeof(rules) / sizeof(rules[0]); i++) {
		if (eval_text(rules[i], absent, 0) != CCG_ERR_POLICY)
			fail_msg("absent claim made \"%s\" hold", rules[i]);
		if (eval_text(rules[i], zero, 0) != CCG_OK)
			fail_msg("\"%s\" does not hold on a present zero value", rules[i]);
	}
}

/* string and digest comparisons use the whole value: a prefix or an extension is another value */
static void test_compare_whole_value(void **state)
{
	const char *c =
		"{\"eat_nonce\":\"abcdef01\",\"ccgpu-cpu-tee\":\"snp\","
		"\"submods\":{\"GPU-0\":{\"measres\":\"success\"}}}";
	static const char *const unequal[] = {
		"rule a \"m\" { every gpu (measres == \"succ\") }",
		"rule a \"m\" { every gpu (measres == \"successful\") }",
		"rule a \"m\" { every gpu (measres in {\"s\", \"succes\"}) }",
		"rule a \"m\" { every gpu (\"succ\" == measres) }",
		"rule a \"m\" { ccgpu-cpu-tee == \"sn\" }",
		"rule a \"m\" { ccgpu-cpu-tee == \"snp-x\" }",
		"rule a \"m\" { eat_nonce == \"abcdef\" }",
		"rule a \"m\" { eat_nonce == \"abcdef0102\" }",
	};

	(void)state;
	for (size_t i = 0; i < sizeof(unequal) / sizeof(unequal[0]); i++)
		if (eval_text(unequal[i], c, 0) != CCG_ERR_POLICY)
			fail_msg("\"%s\" held on a prefix or extension", unequal[i]);
	assert_int_equal(eval_text("rule a \"m\" { every gpu (measres == \"success\") and ccgpu-cpu-tee == \"snp\" "
				   "and eat_nonce == \"ABCDEF01\" }",
				   c, 0),
			 CCG_OK);
}

static void test_azure_import(void **state)
{
	const char *skr =
		"{\"version\":\"1.0.0\",\"anyOf\":[{\"authority\":\"https://sharedeus.eus.attest.azure.net\","
		"\"allOf\":[{\"claim\":\"x-ms-isolation-tee.x-ms-attestation-type\",\"equals\":\"sevsnpvm\"},"
		"{\"claim\":\"x-ms-isolation-tee.x-ms-compliance-status\",\"equals\":\"azure-compliant-cvm\"},"
		"{\"claim\":\"x-ms-isolation-tee.x-ms-sevsnpvm-is-debuggable\",\"equals\":false}]}]}";
	const char *ok =
		"{\"x-ms-isolation-tee\":{\"x-ms-attestation-type\":\"sevsnpvm\",\"x-ms-compliance-status\":"
		"\"azure-compliant-cvm\",\"x-ms-sevsnpvm-is-debuggable\":false}}";
	const char *dbg =
		"{\"x-ms-isolation-tee\":{\"x-ms-attestation-type\":\"sevsnpvm\",\"x-ms-compliance-status\":"
		"\"azure-compliant-cvm\",\"x-ms-sevsnpvm-is-debuggable\":true}}";
	char *native = NULL;
	struct ccg_policy *p = NULL;
	struct ccg_claims *c = NULL;
	struct ccg_error err;

	(void)state;
	ccg_error_clear(&err);
	assert_int_equal(ccg_policy_import((const uint8_t *)skr, strlen(skr), "skr", &native, &err), CCG_OK);
	assert_int_equal(ccg_policy_parse(native, strlen(native), &p, &err), CCG_OK);
	assert_int_equal(ccg_claims_from_json(ok, strlen(ok), &c, NULL), CCG_OK);
	assert_int_equal(ccg_policy_eval(p, c, 0, NULL, 0, NULL), CCG_OK);
	ccg_claims_free(c);
	assert_int_equal(ccg_claims_from_json(dbg, strlen(dbg), &c, NULL), CCG_OK);
	assert_int_equal(ccg_policy_eval(p, c, 0, NULL, 0, NULL), CCG_ERR_POLICY);
	ccg_claims_free(c);
	ccg_policy_free(p);
	free(native);
}

/* ---- CPU TEE claims ---- */

#define TDX_NOW 1770076800 /* 2026-02-03T00:00:00Z */

/*
 * CPU claims through the attest API (ccg_cpu_verify on an evidence object as
 * ccgpu collect writes it); ak: the TPM attestation key the verifier trusts
 */
static json_t *cpu_claims_ak(json_t *cpu, X509 *ark, X509 *intel, const struct ccg_tdx_collateral *col, int64_t now,
			     EVP_PKEY *ak)
{
	struct ccg_composite_opts o;
	struct ccg_error err;
	json_t *claims = NULL;

	memset(&o, 0, sizeof(o));
	o.ark = ark;
	o.intel_root = intel;
	o.tdx_collateral = col;
	o.now = now;
	o.trusted_ak = ak;
	ccg_error_clear(&err);
	if (ccg_cpu_verify(cpu, NULL, &o, &claims, &err) != CCG_OK)
		fail_msg("%s: %s", err.where, err.detail);
	json_decref(cpu);
	return claims;
}

static json_t *cpu_claims(json_t *cpu, X509 *ark, X509 *intel, const struct ccg_tdx_collateral *col, int64_t now)
{
	return cpu_claims_ak(cpu, ark, intel, col, now, NULL);
}

/* the go-sev-guest Milan report (DEBUG allowed) verified with its VCEK chain */
static json_t *snp_claims(void)
{
	size_t rl, vl, cl;
	uint8_t *rep = td_read("snp/milan-go-sev-guest/attestation.bin", &rl);
	uint8_t *vcek = td_read("snp/milan-go-sev-guest/vcek.testcer", &vl);
	uint8_t *chain = td_read("snp/milan-go-sev-guest/milan.testcer", &cl);
	STACK_OF(X509) *askark = NULL;
	X509 *leaf = NULL, *ark;
	BIO *bio = BIO_new(BIO_s_mem());
	char *b64 = ccg_base64_encode_alloc(rep, rl), *pem;
	long n;
	json_t *claims;

	assert_non_null(bio);
	assert_non_null(b64);
	assert_int_equal(ccg_der_cert_parse(vcek, vl, &leaf, NULL), CCG_OK);
	assert_int_equal(ccg_pem_certs_parse(chain, cl, 4, &askark, NULL), CCG_OK);
	assert_int_equal(PEM_write_bio_X509(bio, leaf), 1);
	assert_int_equal(BIO_write(bio, chain, (int)cl), (int)cl);
	n = BIO_get_mem_data(bio, &pem);
	assert_true(n > 0);
	ark = sk_X509_value(askark, sk_X509_num(askark) - 1);
	claims = cpu_claims(json_pack("{s:s, s:s, s:s%}", "type", "snp", "report", b64, "certs", pem, (size_t)n), ark,
			    NULL, NULL, NOW);
	BIO_free(bio);
	X509_free(leaf);
	sk_X509_pop_free(askark, X509_free);
	free(b64);
	free(rep);
	free(vcek);
	free(chain);
	return claims;
}

/* the TDX v5 sample quote with its collateral, at 2026-02-03 */
static json_t *tdx_claims(void)
{
	const char *d = "tdx/v5-sample/";
	const char *names[] = {"quote_v5_sample.dat",
			       "sample_tcbinfo_response_v5",
			       "sample_qeIdentity_response",
			       "tcbinfo_issuer_chain.derived.pem",
			       "pckcrl",
			       "rootcrl.der",
			       "trusted_root.pem"};
	uint8_t *b[7];
	size_t l[7];
	char rel[128], *b64;
	STACK_OF(X509) *sk = NULL;
	struct ccg_tdx_collateral *col = NULL;
	json_t *claims;

	for (size_t i = 0; i < 7; i++) {
		snprintf(rel, sizeof(rel), "%s%s", d, names[i]);
		b[i] = td_read(rel, &l[i]);
	}
	assert_int_equal(ccg_pem_certs_parse(b[6], l[6], 1, &sk, NULL), CCG_OK);
	assert_int_equal(ccg_tdx_collateral_new(&col), CCG_OK);
	assert_int_equal(ccg_tdx_collateral_set_tcb_info(col, b[1], l[1], NULL), CCG_OK);
	assert_int_equal(ccg_tdx_collateral_set_qe_identity(col, b[2], l[2], NULL), CCG_OK);
	assert_int_equal(ccg_tdx_collateral_set_signing_chain(col, b[3], l[3], NULL), CCG_OK);
	assert_int_equal(ccg_tdx_collateral_set_crls(col, b[4], l[4], b[5], l[5], NULL), CCG_OK);
	b64 = ccg_base64_encode_alloc(b[0], l[0]);
	assert_non_null(b64);
	claims = cpu_claims(json_pack("{s:s, s:s}", "type", "tdx", "quote", b64), NULL, sk_X509_value(sk, 0), col,
			    TDX_NOW);
	free(b64);
	ccg_tdx_collateral_free(col);
	sk_X509_pop_free(sk, X509_free);
	for (size_t i = 0; i < 7; i++)
		free(b[i]);
	return claims;
}

/* the TPM evidence file ({ak_public, tpm_quote}) */
static json_t *tpm_claims(void)
{
	size_t n;
	uint8_t *text = td_read("tpm/tpm_evidence.json", &n), *der = NULL;
	json_t *j = json_loadb((const char *)text, n, 0, NULL), *claims;
	const char *b64;
	const unsigned char *p;
	size_t der_len = 0;
	EVP_PKEY *ak;

	assert_non_null(j);
	free(text);
	/* the verifier is told which AK to trust (here: this file's, named explicitly) */
	b64 = json_string_value(json_object_get(j, "ak_public"));
	assert_non_null(b64);
	assert_int_equal(ccg_base64_decode(b64, strlen(b64), 4096, &der, &der_len), CCG_OK);
	p = der;
	ak = d2i_PUBKEY(NULL, &p, (long)der_len);
	assert_non_null(ak);
	claims = cpu_claims_ak(j, NULL, NULL, NULL, 0, ak);
	EVP_PKEY_free(ak);
	free(der);
	return claims;
}

/* every scalar claim under obj (dotted path prefix) is in the schema's scope with a type its JSON value fits */
static void check_in_schema(const struct pol_schema *s, json_t *obj, const char *prefix, enum pol_scope scope,
			    size_t *count)
{
	const char *key;
	json_t *v;

	json_object_foreach(obj, key, v) {
		char path[512];
		const struct pol_schema_claim *c;
		bool fits = false;

		snprintf(path, sizeof(path), "%s%s%s", prefix, prefix[0] ? "." : "", key);
		if (json_is_object(v)) {
			if (strcmp(path, "submods") != 0)
				check_in_schema(s, v, path, scope, count);
			continue;
		}
		/* lists (tdx-advisory-ids, ccgpu-errors, …) and nulls are not policy claims */
		if (json_is_array(v) || json_is_null(v))
			continue;
		c = NULL;
		for (size_t i = 0; i < s->n && c == NULL; i++)
			if (s->claims[i].scope == scope && strcmp(s->claims[i].path, path) == 0)
				c = &s->claims[i];
		if (c == NULL) {
			fail_msg("claim '%s' is not in the schema's %s scope", path,
				 scope == SCOPE_TOP ? "top" : "gpu");
			return;
		}
		switch (c->type) {
		case PT_BOOL: fits = json_is_boolean(v); break;
		case PT_INT: fits = json_is_integer(v); break;
		case PT_STRING: fits = json_is_string(v); break;
		case PT_VERSION: {
			struct pval pv;

			fits = json_is_string(v) && pol_version_parse(json_string_value(v), &pv);
			break;
		}
		case PT_DIGEST: {
			uint8_t *d = NULL;
			size_t dl = 0;

			fits = json_is_string(v) &&
			       ccg_hex_decode(json_string_value(v), json_string_length(v), 64, &d, &dl) == CCG_OK &&
			       dl > 0;
			free(d);
			break;
		}
		case PT_TIME: {
			int64_t t;

			fits = json_is_integer(v) ||
			       (json_is_string(v) && ccg_time_parse_iso(json_string_value(v), &t) == CCG_OK);
			break;
		}
		default: break;
		}
		if (!fits)
			fail_msg("claim '%s' does not hold a %s", path, pol_type_name((enum pol_type)c->type));
		(*count)++;
	}
}

static void test_cpu_claims_are_in_the_schema(void **state)
{
	const struct pol_schema *s = pol_schema_get();
	json_t *all[4] = {snp_claims(), tdx_claims(), tpm_claims(), real_claims()};
	size_t count = 0;
	json_t *gpu;
	const char *name;

	(void)state;
	assert_non_null(s);
	/* none of the CPU TEE issue's placeholders is left */
	for (size_t i = 0; i < s->n; i++)
		if (strncmp(s->claims[i].path, "snp.", 4) == 0 || strncmp(s->claims[i].path, "tdx.", 4) == 0 ||
		    strncmp(s->claims[i].path, "vtpm.", 5) == 0)
			fail_msg("placeholder claim '%s' in the schema", s->claims[i].path);
	for (size_t i = 0; i < 4; i++)
		check_in_schema(s, all[i], "", SCOPE_TOP, &count);
	json_object_foreach(json_object_get(all[3], "submods"), name, gpu)
		check_in_schema(s, gpu, "", SCOPE_GPU, &count);
	assert_true(count > 100);
	assert_string_equal(json_string_value(json_object_get(all[0], "ccgpu-cpu-tee")), "snp");
	assert_string_equal(json_string_value(json_object_get(all[1], "ccgpu-cpu-tee")), "tdx");
	assert_string_equal(json_string_value(json_object_get(all[2], "ccgpu-cpu-tee")), "tpm");
	for (size_t i = 0; i < 4; i++)
		json_decref(all[i]);
}

static enum ccg_status eval_on(const char *src, json_t *claims, int64_t now, struct ccg_rule_result *res, size_t nres,
			       struct ccg_error *err)
{
	struct ccg_policy *p = NULL;
	struct ccg_claims *c = claims_of(claims);
	struct ccg_error perr;
	enum ccg_status st;

	ccg_error_clear(&perr);
	if (ccg_policy_parse(src, strlen(src), &p, &perr) != CCG_OK)
		fail_msg("%s: %s", perr.where, perr.detail);
	st = ccg_policy_eval(p, c, now, res, nres, err);
	ccg_claims_free(c);
	ccg_policy_free(p);
	return st;
}

/* the go-sev-guest report allows DEBUG: a policy refusing it denies at that rule and says why */
static void test_snp_policy_refuses_debug(void **state)
{
	json_t *claims = snp_claims();
	char src[2048];
	struct ccg_rule_result res[5];
	struct ccg_error err;

	(void)state;
	assert_true(json_is_true(json_object_get(claims, "snp-debug-allowed")));
	snprintf(src, sizeof(src),
		 "policy \"snp\" version 1\n"
		 "rule tee \"an SEV-SNP guest\" { ccgpu-cpu-tee == \"snp\" and snp-signer == \"VCEK\" }\n"
		 "rule measured \"the launch measurement\" { snp-measurement == \"%s\" and snp-vmpl <= 3 }\n"
		 "rule tcb \"the platform TCB\" { snp-tcb-reported.snp >= 0 and snp-tcb-reported.microcode >= 0"
		 " and snp-policy-bits.abi-minimum >= \"0.0\" and snp-firmware-current > \"0.1\" }\n"
		 "rule debug \"the guest must not allow debugging\" { snp-debug-allowed == false }\n"
		 "rule bits \"the policy bits agree\" { snp-policy-bits.debug-allowed == snp-debug-allowed }\n",
		 json_string_value(json_object_get(claims, "snp-measurement")));
	ccg_error_clear(&err);
	assert_int_equal(eval_on(src, claims, NOW, res, 5, &err), CCG_ERR_POLICY);
	assert_string_equal(err.where, "debug");
	assert_non_null(strstr(err.detail, "the guest must not allow debugging"));
	assert_non_null(strstr(err.detail, "snp-debug-allowed = true, want == false"));
	assert_true(res[0].passed && res[1].passed && res[2].passed && res[4].passed);
	assert_false(res[3].passed);
	assert_string_equal(res[3].detail, "snp-debug-allowed = true, want == false");
	/* another measurement is refused too, by the digest */
	assert_int_equal(eval_on("policy \"m\" version 1 rule m \"m\" { snp-measurement == \"00\" }", claims, NOW, NULL,
				 0, NULL),
			 CCG_ERR_POLICY);
	json_decref(claims);
}

/* the TDX v5 sample's TCB is UpToDate at 2026-02-03 */
static void test_tdx_policy_uptodate(void **state)
{
	json_t *claims = tdx_claims();
	struct ccg_error err;
	const char *src =
		"policy \"tdx\" version 1\n"
		"rule tcb \"the TDX TCB must be up to date\" { tdx-tcb-status == \"UpToDate\" and "
		"tdx-module-tcb-status == \"UpToDate\" and tdx-qe-tcb-status in {\"UpToDate\"} }\n"
		"rule debug \"no debug TD\" { tdx-debug == false and not tdx-td-attributes == \"0100000000000000\" }\n"
		"rule date \"a TCB evaluated before now\" { tdx-tcb-date < now and exists tdx-mrtd and exists tdx-rtmr3 }\n";

	(void)state;
	ccg_error_clear(&err);
	if (eval_on(src, claims, TDX_NOW, NULL, 0, &err) != CCG_OK)
		fail_msg("%s: %s", err.where, err.detail);
	/* a stale collateral (QE identity from 2023) is a claim a policy can refuse */
	assert_int_equal(
		eval_on("policy \"f\" version 1 rule fresh \"fresh collateral\" { tdx-collateral-stale == false }",
			claims, TDX_NOW, NULL, 0, NULL),
		CCG_ERR_POLICY);
	assert_int_equal(eval_on("policy \"s\" version 1 rule s \"s\" { tdx-tcb-status == \"OutOfDate\" }", claims,
				 TDX_NOW, NULL, 0, NULL),
			 CCG_ERR_POLICY);
	json_decref(claims);
}

/* TPM PCRs by index */
static void test_tpm_policy_pcrs(void **state)
{
	json_t *claims = tpm_claims();
	char src[1024];

	(void)state;
	snprintf(src, sizeof(src),
		 "policy \"tpm\" version 1 rule pcr \"PCR 0\" { tpm-pcrs.0 == \"%s\" and tpm-pcr-bank == \"sha256\""
		 " and tpm-clock-safe and tpm-reset-count >= 0 }",
		 json_string_value(json_object_get(json_object_get(claims, "tpm-pcrs"), "0")));
	assert_int_equal(eval_on(src, claims, NOW, NULL, 0, NULL), CCG_OK);
	assert_int_equal(eval_on("policy \"t\" version 1 rule p \"p\" { tpm-pcrs.0 == \"00\" }", claims, NOW, NULL, 0,
				 NULL),
			 CCG_ERR_POLICY);
	json_decref(claims);
}

/* a composite claims document (as ccg_composite_verify returns it): CPU claims and every GPU in one policy */
static void test_composite_policy(void **state)
{
	json_t *doc = json_object(),
	       *meta = json_pack("{s:s, s:s, s:i}", "binding", "0011", "cpu-type", "tdx", "version", 1);
	struct ccg_rule_result res[4];
	struct ccg_error err;
	const char *src =
		"policy \"composite\" version 1\n"
		"rule bound \"the GPU evidence is bound to the TD\" { ccgpu-composite.cpu-type == \"tdx\" and "
		"exists ccgpu-composite.binding }\n"
		"rule cpu \"an up-to-date TD\" { ccgpu-cpu-tee == \"tdx\" and tdx-tcb-status == \"UpToDate\" }\n"
		"rule gpus \"every GPU is genuine\" { every gpu (x-nvidia-gpu-attestation-report-signature-verified"
		" and x-nvidia-gpu-attestation-report-nonce-match) and ccgpu-gpu-count == 1 }\n"
		"rule arch \"some GPU is a Hopper\" { some gpu (ccgpu-arch == \"HOPPER\") and x-nvidia-ver == \"3.0\" }\n";

	(void)state;
	assert_int_equal(json_object_set_new(doc, "ccgpu-composite", meta), 0);
	assert_int_equal(json_object_set_new(doc, "cpu", tdx_claims()), 0);
	assert_int_equal(json_object_set_new(doc, "gpu", real_claims()), 0);
	ccg_error_clear(&err);
	if (eval_on(src, doc, TDX_NOW, res, 4, &err) != CCG_OK)
		fail_msg("%s: %s", err.where, err.detail);
	/* the per-GPU scope is the composite's gpu.submods */
	assert_int_equal(eval_on("policy \"g\" version 1 rule g \"g\" { every gpu (measres == \"success\") }", doc,
				 TDX_NOW, res, 1, NULL),
			 CCG_ERR_POLICY);
	assert_string_equal(res[0].detail, "GPU-0: measres = \"not-checked\", want == \"success\"");
	/* a composite document whose members are not objects is refused by name */
	assert_int_equal(json_object_set_new(doc, "gpu", json_string("x")), 0);
	{
		char *text = json_dumps(doc, 0);
		struct ccg_claims *c = NULL;

		ccg_error_clear(&err);
		assert_int_equal(ccg_claims_from_json(text, strlen(text), &c, &err), CCG_ERR_MALFORMED);
		assert_string_equal(err.where, "claims.gpu");
		free(text);
	}
	json_decref(doc);
}

/* A fresh key as PEM (private or public), malloc'd. */
static char *key_pem(EVP_PKEY *k, bool private_key)
{
	BIO *b = BIO_new(BIO_s_mem());
	char *data = NULL, *out;
	long n;

	assert_non_null(b);
	assert_int_equal(private_key ? PEM_write_bio_PrivateKey(b, k, NULL, NULL, 0, NULL, NULL)
				     : PEM_write_bio_PUBKEY(b, k),
			 1);
	n = BIO_get_mem_data(b, &data);
	assert_true(n > 0);
	out = strndup(data, (size_t)n);
	assert_non_null(out);
	BIO_free(b);
	return out;
}

/* include/ccgpu/policy.h's rule accessors, import and policy signatures (what ccgpu-policy uses; branch layout) */
static void test_public_rules_import_signatures(void **state)
{
	static const char src[] =
		"policy \"p\" version 7\n\nrule a \"first\" {\n  every gpu (measres == \"success\")\n}\n\n"
		"rule b \"second\" {\n  ccgpu-gpu-count == 2\n}\n";
	struct ccg_policy *p = NULL;
	struct ccg_sign_key *priv = NULL, *pub = NULL, *other = NULL;
	EVP_PKEY *k = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-384"), *k2 = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
	char *priv_pem = key_pem(k, true), *pub_pem = key_pem(k, false), *other_pem = key_pem(k2, false);
	char *canon, *e, *native = NULL;
	uint8_t *sig = NULL;
	size_t sig_len = 0;
	struct ccg_error err;

	(void)state;
	ccg_error_clear(&err);
	assert_int_equal(ccg_policy_parse(src, strlen(src), &p, &err), CCG_OK);
	assert_int_equal(ccg_policy_version(p), 7);
	assert_int_equal(ccg_policy_rule_count(p), 2);
	assert_string_equal(ccg_policy_rule_name(p, 0), "a");
	assert_string_equal(ccg_policy_rule_message(p, 1), "second");
	e = ccg_policy_rule_format(p, 0);
	assert_non_null(e);
	assert_string_equal(e, "every gpu (measres == \"success\")");
	free(e);
	e = ccg_policy_rule_format(p, 1);
	assert_non_null(e);
	assert_string_equal(e, "ccgpu-gpu-count == 2");
	free(e);
	/* out of range: NULL, never another rule */
	assert_null(ccg_policy_rule_name(p, 2));
	assert_null(ccg_policy_rule_name(p, (size_t)1 << 24));
	assert_null(ccg_policy_rule_format(p, (size_t)1 << 24));
	assert_null(ccg_policy_rule_message(p, 2));
	assert_null(ccg_policy_rule_format(p, 2));
	assert_null(ccg_policy_rule_name(NULL, 0));

	/* import: NVIDIA's relying-party JSON becomes a native policy that parses */
	{
		size_t len = 0;
		uint8_t *json = td_read("nvidia/policies/NVGPULocalPolicyExample.json", &len);
		struct ccg_policy *q = NULL;

		if (ccg_policy_import(json, len, "imported", &native, &err) != CCG_OK)
			fail_msg("import: %s: %s", err.where, err.detail);
		assert_int_equal(ccg_policy_parse(native, strlen(native), &q, &err), CCG_OK);
		assert_string_equal(ccg_policy_name(q), "imported");
		ccg_policy_free(q);
		free(native);
		free(json);
	}
	native = NULL;
	assert_int_not_equal(ccg_policy_import((const uint8_t *)"{}", 2, "x", &native, &err), CCG_OK);
	assert_null(native);

	/* signatures: sign with the private key, verify with the public one; another key or text fails */
	canon = ccg_policy_format(p);
	assert_non_null(canon);
	ccg_error_clear(&err);
	assert_int_equal(ccg_sign_key_parse((const uint8_t *)priv_pem, strlen(priv_pem), true, "priv", &priv, &err),
			 CCG_OK);
	assert_string_equal(ccg_sign_key_alg(priv), "ecdsa-p384");
	assert_int_equal(ccg_sign_key_parse((const uint8_t *)pub_pem, strlen(pub_pem), false, "pub", &pub, &err),
			 CCG_OK);
	assert_int_equal(ccg_sign_key_parse((const uint8_t *)other_pem, strlen(other_pem), false, "other", &other,
					    &err),
			 CCG_OK);
	assert_string_equal(ccg_sign_key_alg(other), "ed25519");
	assert_int_equal(ccg_policy_sign(priv, canon, strlen(canon), &sig, &sig_len, &err), CCG_OK);
	assert_int_equal(ccg_policy_signature_verify(pub, canon, strlen(canon), sig, sig_len, "sig", &err), CCG_OK);
	ccg_error_clear(&err);
	assert_int_equal(ccg_policy_signature_verify(other, canon, strlen(canon), sig, sig_len, "sig", &err),
			 CCG_ERR_SIGNATURE);
	canon[strlen(canon) - 2] ^= 1;
	ccg_error_clear(&err);
	assert_int_equal(ccg_policy_signature_verify(pub, canon, strlen(canon), sig, sig_len, "sig", &err),
			 CCG_ERR_SIGNATURE);
	assert_string_equal(err.where, "sig");
	/* a public key cannot sign; missing arguments are refused */
	ccg_sign_key_free(other);
	other = NULL;
	assert_int_not_equal(ccg_sign_key_parse((const uint8_t *)pub_pem, strlen(pub_pem), true, "pub", &other, &err),
			     CCG_OK);
	assert_null(other);
	assert_int_equal(ccg_policy_sign(NULL, canon, strlen(canon), &sig, &sig_len, NULL), CCG_ERR_INVALID_ARG);
	assert_int_equal(ccg_policy_signature_verify(pub, canon, strlen(canon), NULL, 0, "sig", NULL),
			 CCG_ERR_INVALID_ARG);
	assert_null(ccg_sign_key_alg(NULL));
	ccg_sign_key_free(NULL);

	free(sig);
	free(canon);
	ccg_sign_key_free(priv);
	ccg_sign_key_free(pub);
	free(priv_pem);
	free(pub_pem);
	free(other_pem);
	EVP_PKEY_free(k);
	EVP_PKEY_free(k2);
	ccg_policy_free(p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_nvidia_policies_on_real_claims),
		cmocka_unit_test(test_nvidia_policies_with_nras_claims),
		cmocka_unit_test(test_authoring_errors),
		cmocka_unit_test(test_oversize),
		cmocka_unit_test(test_fmt_idempotent),
		cmocka_unit_test(test_semantics),
		cmocka_unit_test(test_absent_is_not_zero),
		cmocka_unit_test(test_compare_whole_value),
		cmocka_unit_test(test_azure_import),
		cmocka_unit_test(test_cpu_claims_are_in_the_schema),
		cmocka_unit_test(test_snp_policy_refuses_debug),
		cmocka_unit_test(test_tdx_policy_uptodate),
		cmocka_unit_test(test_tpm_policy_pcrs),
		cmocka_unit_test(test_composite_policy),
		cmocka_unit_test(test_public_rules_import_signatures),
	};

	td_require();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
