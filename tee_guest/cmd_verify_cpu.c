/* SPDX-License-Identifier: Apache-2.0 */
/* ccgpu verify cpu | composite: appraise CPU TEE evidence, alone or bound to GPU evidence. */
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ccgpu/attest.h"
#include "ccgpu/cpu.h"
#include "common/crypto.h"
#include "common/encoding.h"
#include "common/error.h"
#include "common/file.h"
#include "tee_guest/cli.h"

/*
 * Everything below appraises through the public API (include/ccgpu/cpu.h),
 * so the CLI checks evidence exactly as a program linked to libccgpu does.
 */

#define EVIDENCE_MAX (1024 * 1024) /* a composite document */
#define INPUT_MAX (256 * 1024)     /* a certificate, key, CRL or collateral file */

static const char usage[] =
	"usage: ccgpu verify cpu --evidence FILE [--report-data HEX] [options]\n"
	"       ccgpu verify composite --evidence FILE --nonce HEX [options]\n"
	"\n"
	"verify cpu appraises one CPU TEE evidence object (SEV-SNP report, TDX quote,\n"
	"TPM quote or Azure HCL report with its vTPM quote; the \"cpu\" member of a\n"
	"composite document is taken when FILE is one) and prints its claims.\n"
	"verify composite also recomputes the binding SHA-512(nonce || TEE public key ||\n"
	"SHA-384(GPU evidence)), requires it in the CPU report, and appraises the GPU\n"
	"evidence over the same nonce.\n"
	"\n"
	"options:\n"
	"  --evidence FILE          composite document or CPU evidence object (JSON)\n"
	"  --nonce HEX              the verifier's nonce (composite: required)\n"
	"  --report-data HEX        verify cpu: the report_data / extraData to require\n"
	"  --ark PEM                AMD root key (default: the chain's ARK when pinned)\n"
	"  --amd-crl FILE           CRL of an AMD root key (DER or PEM, from KDS\n"
	"                           /vcek/v1/{product}/crl); repeatable, one per product\n"
	"  --intel-root PEM         Intel SGX Root CA (TDX)\n"
	"  --tcb-info FILE          TDX collateral from PCS: TCB info body\n"
	"  --qe-identity FILE       TDX collateral: QE identity body\n"
	"  --tcb-signing-chain PEM  TDX collateral: TCB signing chain\n"
	"  --pck-crl FILE           TDX collateral: PCK CA CRL (DER, PEM or hex)\n"
	"  --root-crl FILE          TDX collateral: root CA CRL (with --pck-crl)\n"
	"  --require-fresh-collateral\n"
	"                           refuse a missing or stale AMD CRL or TDX collateral\n"
	"                           (otherwise the claims snp-collateral-stale and\n"
	"                           tdx-collateral-stale say so)\n"
	"  --tpm-ak PEM             TPM: the attestation key to require\n"
	"  --time TIME              verify as of TIME (YYYY-MM-DDTHH:MM:SSZ or Unix seconds)\n"
	"  --json                   print only the claims, as JSON\n"
	"\n"
	"verify composite, the GPU evidence (as for ccgpu verify gpu):\n"
	CLI_GPU_USAGE
	"  Without --rim-dir or --rim-url no measurements are compared (measres\n"
	"  \"not-checked\"); --ocsp is off by default.\n"
	"\n"
	"Exit status: 0 every check passed, 1 a check failed, 2 usage or input error.\n";

enum { O_EVIDENCE = 1, O_NONCE, O_RD, O_ARK, O_AMDCRL, O_INTEL, O_TCB, O_QE, O_SIGN, O_PCKCRL, O_ROOTCRL, O_FRESH,
       O_AK, O_TIME, O_JSON, O_HELP };

static const struct option long_opts[] = {
	{"evidence", required_argument, NULL, O_EVIDENCE},
	{"nonce", required_argument, NULL, O_NONCE},
	{"report-data", required_argument, NULL, O_RD},
	{"ark", required_argument, NULL, O_ARK},
	{"amd-crl", required_argument, NULL, O_AMDCRL},
	{"intel-root", required_argument, NULL, O_INTEL},
	{"tcb-info", required_argument, NULL, O_TCB},
	{"qe-identity", required_argument, NULL, O_QE},
	{"tcb-signing-chain", required_argument, NULL, O_SIGN},
	{"pck-crl", required_argument, NULL, O_PCKCRL},
	{"root-crl", required_argument, NULL, O_ROOTCRL},
	{"require-fresh-collateral", no_argument, NULL, O_FRESH},
	{"tpm-ak", required_argument, NULL, O_AK},
	{"time", required_argument, NULL, O_TIME},
	{"json", no_argument, NULL, O_JSON},
	{"help", no_argument, NULL, O_HELP},
	CLI_GPU_LONG_OPTIONS,
	{NULL, 0, NULL, 0},
};

struct args {
	const char *evidence, *nonce, *rd, *ark, *intel, *tcb, *qe, *sign, *pckcrl, *rootcrl, *ak, *time;
	const char *amd_crls[CCG_CPU_MAX_AMD_CRLS];
	size_t num_amd_crls;
	bool json, fresh;
	struct cli_gpu_opts gpu;
};

/* verify composite's GPU appraisal unless told otherwise: no network, no RIMs, no OCSP */
static const struct cli_gpu_defaults composite_defaults = {.ocsp = CCG_GPU_OCSP_OFF, .nvidia_rim_service = false};

/* the file's bytes given to a setter of the CPU verifier */
typedef enum ccg_status (*setter_fn)(struct ccg_cpu_verifier *v, const uint8_t *b, size_t n, struct ccg_error *err);

static enum ccg_status set_from_file(struct ccg_cpu_verifier *v, const char *path, setter_fn set,
				     struct ccg_error *err)
{
	uint8_t *b = NULL;
	size_t n = 0;
	enum ccg_status st = ccg_file_read(path, INPUT_MAX, &b, &n, err);

	if (st == CCG_OK)
		st = set(v, b, n, err);
	free(b);
	return st;
}

static enum ccg_status set_collateral(struct ccg_cpu_verifier *v, const struct args *a, struct ccg_error *err)
{
	const char *paths[5] = {a->tcb, a->qe, a->sign, a->pckcrl, a->rootcrl};
	uint8_t *b[5] = {NULL};
	size_t n[5] = {0};
	enum ccg_status st = CCG_OK;

	if (a->tcb == NULL)
		return a->qe != NULL || a->sign != NULL || a->pckcrl != NULL || a->rootcrl != NULL
			       ? ccg_error_set(err, CCG_ERR_INVALID_ARG, "--tcb-info",
					       "TDX collateral options need --tcb-info")
			       : CCG_OK;
	if (a->qe == NULL || a->sign == NULL)
		return ccg_error_set(err, CCG_ERR_INVALID_ARG, "--tcb-info", "needs --qe-identity and --tcb-signing-chain");
	if ((a->pckcrl == NULL) != (a->rootcrl == NULL))
		return ccg_error_set(err, CCG_ERR_INVALID_ARG, "--pck-crl", "--pck-crl and --root-crl go together");
	for (size_t i = 0; i < 5 && st == CCG_OK; i++)
		if (paths[i] != NULL)
			st = ccg_file_read(paths[i], INPUT_MAX, &b[i], &n[i], err);
	if (st == CCG_OK)
		st = ccg_cpu_verifier_set_tdx_collateral(v, b[0], n[0], b[1], n[1], b[2], n[2], b[3], n[3], b[4], n[4], err);
	for (size_t i = 0; i < 5; i++)
		free(b[i]);
	return st;
}

/* trust anchors, collateral and CRLs onto the verifier */
static enum ccg_status configure(struct ccg_cpu_verifier *v, const struct args *a, struct ccg_error *err)
{
	enum ccg_status st = CCG_OK;

	if (a->ark != NULL && (st = set_from_file(v, a->ark, ccg_cpu_verifier_set_amd_ark, err)) != CCG_OK)
		return st;
	for (size_t i = 0; i < a->num_amd_crls; i++)
		if ((st = set_from_file(v, a->amd_crls[i], ccg_cpu_verifier_add_amd_crl, err)) != CCG_OK)
			return st;
	if (a->intel != NULL && (st = set_from_file(v, a->intel, ccg_cpu_verifier_set_intel_root, err)) != CCG_OK)
		return st;
	if (a->ak != NULL && (st = set_from_file(v, a->ak, ccg_cpu_verifier_set_tpm_ak, err)) != CCG_OK)
		return st;
	ccg_cpu_verifier_set_require_fresh_collateral(v, a->fresh);
	return set_collateral(v, a, err);
}

static int run(bool composite, int argc, char **argv)
{
	struct args a;
	struct ccg_error err;
	struct ccg_cpu_verifier *v = NULL;
	struct ccg_cpu_result *res = NULL;
	struct ccg_gpu_verifier *gv = NULL;
	const char *what = composite ? "verify composite" : "verify cpu";
	uint8_t *doc = NULL, *nonce = NULL, rd[CCG_CPU_REPORT_DATA_LEN];
	size_t doc_len = 0, nonce_len = 0;
	int64_t now = 0;
	char *text;
	int c, rc, code = CLI_EXIT_USAGE;
	enum ccg_status st;

	memset(&a, 0, sizeof(a));
	cli_gpu_opts_init(&a.gpu, &composite_defaults);
	ccg_error_clear(&err);
	optind = 1;
	while ((c = getopt_long(argc, argv, "", long_opts, NULL)) != -1) {
		switch (c) {
		case O_EVIDENCE: a.evidence = optarg; break;
		case O_NONCE: a.nonce = optarg; break;
		case O_RD: a.rd = optarg; break;
		case O_ARK: a.ark = optarg; break;
		case O_AMDCRL:
			if (a.num_amd_crls == CCG_CPU_MAX_AMD_CRLS) {
				fprintf(stderr, "ccgpu: %s: at most %d --amd-crl\n", what, CCG_CPU_MAX_AMD_CRLS);
				return CLI_EXIT_USAGE;
			}
			a.amd_crls[a.num_amd_crls++] = optarg;
			break;
		case O_INTEL: a.intel = optarg; break;
		case O_TCB: a.tcb = optarg; break;
		case O_QE: a.qe = optarg; break;
		case O_SIGN: a.sign = optarg; break;
		case O_PCKCRL: a.pckcrl = optarg; break;
		case O_ROOTCRL: a.rootcrl = optarg; break;
		case O_FRESH: a.fresh = true; break;
		case O_AK: a.ak = optarg; break;
		case O_TIME: a.time = optarg; break;
		case O_JSON: a.json = true; break;
		case O_HELP: fputs(usage, stdout); return CLI_EXIT_OK;
		default:
			rc = cli_gpu_opt(&a.gpu, c, optarg, what);
			if (rc == 0)
				break;
			if (rc < 0)
				fputs(usage, stderr);
			return CLI_EXIT_USAGE;
		}
	}
	if (optind != argc || a.evidence == NULL || (composite && a.nonce == NULL)) {
		fputs(usage, stderr);
		return CLI_EXIT_USAGE;
	}
	if (!composite && a.gpu.given) {
		fprintf(stderr, "ccgpu: verify cpu: GPU options (--rim-dir, --ocsp, ...) go with verify composite\n");
		return CLI_EXIT_USAGE;
	}
	if (composite && cli_gpu_opts_finish(&a.gpu, what) != 0)
		return CLI_EXIT_USAGE;
	if (a.time != NULL && ccg_time_parse_iso(a.time, &now) != CCG_OK) {
		ccg_error_set(&err, CCG_ERR_INVALID_ARG, "--time", "not YYYY-MM-DDTHH:MM:SSZ or Unix seconds");
		goto fail;
	}
	if (a.nonce != NULL && ccg_hex_decode(a.nonce, strlen(a.nonce), 64, &nonce, &nonce_len) != CCG_OK) {
		ccg_error_set(&err, CCG_ERR_INVALID_ARG, "--nonce", "hex, at most 64 bytes");
		goto fail;
	}
	if (a.rd != NULL && ccg_hex_decode_fixed(a.rd, strlen(a.rd), rd, sizeof(rd)) != CCG_OK) {
		ccg_error_set(&err, CCG_ERR_INVALID_ARG, "--report-data", "64 bytes of hex");
		goto fail;
	}
	if (ccg_file_read(a.evidence, EVIDENCE_MAX, &doc, &doc_len, &err) != CCG_OK)
		goto fail;
	if ((st = ccg_cpu_verifier_new(&v)) != CCG_OK) {
		ccg_error_set(&err, st, "cpu_verifier", "creating the CPU verifier");
		goto fail;
	}
	if (configure(v, &a, &err) != CCG_OK)
		goto fail;
	if (composite) {
		if ((st = ccg_gpu_verifier_new(&gv)) != CCG_OK) {
			ccg_error_set(&err, st, "composite.gpu", "creating the GPU verifier");
			goto fail;
		}
		if (cli_gpu_configure(gv, &a.gpu, &err) != CCG_OK)
			goto fail;
		ccg_cpu_verifier_set_gpu_verifier(v, gv);
	}
	code = CLI_EXIT_REFUSED;
	st = composite ? ccg_cpu_verifier_appraise_composite(v, doc, doc_len, nonce, nonce_len, now, &res, &err)
		       : ccg_cpu_verifier_appraise(v, doc, doc_len, a.rd != NULL ? rd : NULL, a.rd != NULL ? sizeof(rd) : 0,
						   now, &res, &err);
	if (st != CCG_OK)
		goto fail;
	text = ccg_cpu_result_claims_json(res, 2);
	if (text == NULL) {
		ccg_error_set(&err, CCG_ERR_NOMEM, what, "printing the claims");
		goto fail;
	}
	if (!a.json)
		printf("%s: every check made passed\n", what);
	printf("%s\n", text);
	free(text);
	cli_warn_skipped(what, ccg_cpu_result_checks_skipped(res), "no --report-data");
	code = CLI_EXIT_OK;
	goto out;
fail:
	code = cli_fail(code, what, &err);
out:
	ccg_cpu_result_free(res);
	ccg_cpu_verifier_free(v);
	ccg_gpu_verifier_free(gv);
	free(doc);
	free(nonce);
	return code;
}

int cmd_verify_cpu(int argc, char **argv)
{
	return run(false, argc, argv);
}

int cmd_verify_composite(int argc, char **argv)
{
	return run(true, argc, argv);
}
