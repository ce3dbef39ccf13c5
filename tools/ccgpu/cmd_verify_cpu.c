/* SPDX-License-Identifier: Apache-2.0 */
/* ccgpu verify cpu | composite: appraise CPU TEE evidence, alone or bound to GPU evidence. */
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ccgpu/attest.h"
#include "ccgpu/cpu.h"
#include "ccgpu/util.h"
#include "cli.h"

/*
 * Everything below appraises through the public API (include/ccgpu/cpu.h),
 * so the CLI checks evidence exactly as a program linked to libccgpu does.
 */

#define EVIDENCE_MAX (1024 * 1024) /* a composite document */
#define INPUT_MAX (256 * 1024)     /* a certificate, key, CRL or collateral file */

static const char usage[] =
	"usage: ccgpu verify cpu --evidence FILE [--report-data HEX] [options]\n"
	"       ccgpu verify cpu --report FILE [--format auto|snp|tdx] [--vcek FILE]\n"
	"                        [--certs FILE] [--report-data HEX] [options]\n"
	"       ccgpu verify composite --evidence FILE --nonce HEX [options]\n"
	"\n"
	"verify cpu appraises one CPU TEE evidence object (SEV-SNP report, TDX quote,\n"
	"TPM quote or Azure HCL report with its vTPM quote; the \"cpu\" member of a\n"
	"composite document is taken when FILE is one) and prints its claims. FILE may\n"
	"also be evidence as users hold it: a raw SEV-SNP report (1184 bytes, from\n"
	"snpguest or /dev/sev-guest) or a raw TDX quote, binary or hex, the type told\n"
	"from the bytes or named by --format; an SEV-SNP report then needs its VCEK or\n"
	"VLEK (--vcek, DER or PEM) and optionally AMD's chain bundle (--certs, PEM in\n"
	"any order: ASK || ARK, ASK || ARK || ASVK, ...). AMD's Milan, Genoa and Turin\n"
	"ARKs, ASKs and ASVKs and Intel's SGX Root CA are built in.\n"
	"\n"
	"verify composite also recomputes the binding SHA-512(nonce || TEE public key ||\n"
	"SHA-384(GPU evidence)), requires it in the CPU report, and appraises the GPU\n"
	"evidence over the same nonce.\n"
	"\n"
	"options:\n"
	"  --evidence FILE          composite document or CPU evidence object (JSON),\n"
	"                           or (verify cpu) a raw SEV-SNP report or TDX quote\n"
	"  --report FILE            verify cpu: the same as --evidence\n"
	"  --format FMT             verify cpu: auto (default), json, snp or tdx\n"
	"  --vcek FILE              verify cpu, raw SEV-SNP: the VCEK or VLEK (DER or PEM)\n"
	"  --certs FILE             verify cpu, raw SEV-SNP: more certificates (PEM or DER:\n"
	"                           AMD's cert_chain bundle, ...); repeatable\n"
	"  --nonce HEX              the verifier's nonce (composite: required)\n"
	"  --report-data HEX        verify cpu: the report_data / extraData to require\n"
	"  --ark PEM                AMD root key to trust instead of AMD's pinned ARKs\n"
	"                           (default: the built-in or given ARK whose key is pinned)\n"
	"  --amd-crl FILE           CRL of an AMD root key (DER or PEM, from KDS\n"
	"                           /vcek/v1/{product}/crl); repeatable, one per product\n"
	"  --intel-root PEM         Intel SGX Root CA (TDX; default: the built-in one)\n"
	"  --tcb-info FILE          TDX collateral from PCS: TCB info body\n"
	"  --qe-identity FILE       TDX collateral: QE identity body\n"
	"  --tcb-signing-chain PEM  TDX collateral: TCB signing chain\n"
	"  --pck-crl FILE           TDX collateral: PCK CA CRL (DER, PEM or hex)\n"
	"  --root-crl FILE          TDX collateral: root CA CRL (with --pck-crl)\n"
	"  --require-fresh-collateral\n"
	"                           refuse a missing or stale AMD CRL or TDX collateral\n"
	"                           (also a TDX quote given no collateral at all)\n"
	"                           (otherwise the claims snp-collateral-stale and\n"
	"                           tdx-collateral-stale say so)\n"
	"  --tpm-ak PEM             TPM: the attestation key to require\n"
	"  --time TIME              verify as of TIME (YYYY-MM-DDTHH:MM:SSZ or Unix seconds)\n"
	"  --json                   print only the claims, as JSON\n"
	"\n";

/* the rest of the help (one string would exceed what C99 compilers must support) */
static const char usage_gpu[] = "verify composite, the GPU evidence (as for ccgpu verify gpu):\n" CLI_GPU_USAGE
				"  Without --rim-dir or --rim-url no measurements are compared (measres\n"
				"  \"not-checked\"); --ocsp is off by default.\n"
				"\n"
				"Exit status: 0 every check passed, 1 a check failed, 2 usage or input error\n"
				"(also an input that is neither JSON evidence, an SEV-SNP report nor a TDX quote).\n";

static void put_usage(FILE *f)
{
	fputs(usage, f);
	fputs(usage_gpu, f);
}

enum {
	O_EVIDENCE = 1,
	O_NONCE,
	O_RD,
	O_ARK,
	O_AMDCRL,
	O_INTEL,
	O_TCB,
	O_QE,
	O_SIGN,
	O_PCKCRL,
	O_ROOTCRL,
	O_FRESH,
	O_AK,
	O_TIME,
	O_JSON,
	O_HELP,
	O_REPORT,
	O_FORMAT,
	O_VCEK,
	O_CERTS
};

#define MAX_CERT_FILES (CCG_CPU_MAX_RAW_CERTS - 1) /* besides --vcek */

static const struct option long_opts[] = {
	{"evidence", required_argument, NULL, O_EVIDENCE},
	{"report", required_argument, NULL, O_REPORT},
	{"format", required_argument, NULL, O_FORMAT},
	{"vcek", required_argument, NULL, O_VCEK},
	{"certs", required_argument, NULL, O_CERTS},
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
	const char *format, *vcek;
	const char *certs[MAX_CERT_FILES];
	size_t num_certs;
	const char *amd_crls[CCG_CPU_MAX_AMD_CRLS];
	size_t num_amd_crls;
	bool json, fresh, raw_opts;
	struct cli_gpu_opts gpu;
};

/* verify composite's GPU appraisal unless told otherwise: no network, no RIMs, no OCSP */
static const struct cli_gpu_defaults composite_defaults = {.ocsp = CCG_GPU_OCSP_OFF, .nvidia_rim_service = false};

/* the file's bytes given to a setter of the CPU verifier */
typedef enum ccg_status (*setter_fn)(struct ccg_cpu_verifier *v, const uint8_t *b, size_t n, struct ccg_error *err);

static enum ccg_status set_from_file(struct ccg_cpu_verifier *v, const char *path, setter_fn set, struct ccg_error *err)
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
		return ccg_error_set(err, CCG_ERR_INVALID_ARG, "--tcb-info",
				     "needs --qe-identity and --tcb-signing-chain");
	if ((a->pckcrl == NULL) != (a->rootcrl == NULL))
		return ccg_error_set(err, CCG_ERR_INVALID_ARG, "--pck-crl", "--pck-crl and --root-crl go together");
	for (size_t i = 0; i < 5 && st == CCG_OK; i++)
		if (paths[i] != NULL)
			st = ccg_file_read(paths[i], INPUT_MAX, &b[i], &n[i], err);
	if (st == CCG_OK)
		st = ccg_cpu_verifier_set_tdx_collateral(v, b[0], n[0], b[1], n[1], b[2], n[2], b[3], n[3], b[4], n[4],
							 err);
	for (size_t i = 0; i < 5; i++)
		free(b[i]);
	return st;
}

/* --format: auto (CCG_CPU_FORMAT_UNKNOWN), json, snp or tdx; false when none of them */
static bool parse_format(const char *s, enum ccg_cpu_format *out)
{
	static const enum ccg_cpu_format all[] = {CCG_CPU_FORMAT_JSON, CCG_CPU_FORMAT_SNP, CCG_CPU_FORMAT_TDX};

	*out = CCG_CPU_FORMAT_UNKNOWN;
	if (s == NULL || strcmp(s, "auto") == 0)
		return true;
	for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++)
		if (strcmp(s, ccg_cpu_format_name(all[i])) == 0) {
			*out = all[i];
			return true;
		}
	return false;
}

/*
 * verify cpu's evidence: JSON evidence as it is; a raw SEV-SNP report or TDX
 * quote (binary or hex) turned into the evidence object with the --vcek and
 * --certs certificates (ccg_cpu_evidence_from_raw). Every failure here is an
 * input error.
 */
static enum ccg_status load_cpu_evidence(const struct args *a, uint8_t **out, size_t *out_len, struct ccg_error *err)
{
	const char *paths[CCG_CPU_MAX_RAW_CERTS];
	uint8_t *raw = NULL, *cb[CCG_CPU_MAX_RAW_CERTS] = {NULL};
	size_t raw_len = 0, cl[CCG_CPU_MAX_RAW_CERTS] = {0}, n = 0;
	enum ccg_cpu_format want, got;
	char *json = NULL;
	enum ccg_status st;

	*out = NULL;
	*out_len = 0;
	if (!parse_format(a->format, &want))
		return ccg_error_set(err, CCG_ERR_INVALID_ARG, "--format", "\"%s\": auto, json, snp or tdx", a->format);
	if ((st = cli_read_input(a->evidence, EVIDENCE_MAX, &raw, &raw_len, err)) != CCG_OK)
		return st;
	got = ccg_cpu_format_detect(raw, raw_len);
	if (got == CCG_CPU_FORMAT_JSON) {
		if (want != CCG_CPU_FORMAT_UNKNOWN && want != CCG_CPU_FORMAT_JSON)
			st = ccg_error_set(err, CCG_ERR_UNSUPPORTED, a->evidence, "named %s, but it is JSON evidence",
					   ccg_cpu_format_name(want));
		else if (a->vcek != NULL || a->num_certs > 0)
			st = ccg_error_set(err, CCG_ERR_INVALID_ARG, "--vcek",
					   "--vcek and --certs go with a raw SEV-SNP report (JSON evidence carries its "
					   "certificates)");
		if (st != CCG_OK) {
			free(raw);
			return st;
		}
		*out = raw;
		*out_len = raw_len;
		return CCG_OK;
	}
	if (want == CCG_CPU_FORMAT_JSON) {
		free(raw);
		return ccg_error_set(err, CCG_ERR_UNSUPPORTED, a->evidence, "named json, but it is not a JSON object");
	}
	if (a->vcek != NULL)
		paths[n++] = a->vcek;
	for (size_t i = 0; i < a->num_certs; i++)
		paths[n++] = a->certs[i];
	for (size_t i = 0; i < n && st == CCG_OK; i++)
		st = ccg_file_read(paths[i], INPUT_MAX, &cb[i], &cl[i], err);
	if (st == CCG_OK)
		st = ccg_cpu_evidence_from_raw(want, raw, raw_len, (const uint8_t *const *)cb, cl, n, &json, err);
	if (st == CCG_OK) {
		*out = (uint8_t *)json;
		*out_len = strlen(json);
	}
	for (size_t i = 0; i < n; i++)
		free(cb[i]);
	free(raw);
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
		case O_EVIDENCE:
		case O_REPORT:
			if (a.evidence != NULL) {
				fprintf(stderr, "ccgpu: %s: one --evidence or --report\n", what);
				return CLI_EXIT_USAGE;
			}
			a.evidence = optarg;
			a.raw_opts = a.raw_opts || c == O_REPORT;
			break;
		case O_FORMAT:
			a.format = optarg;
			a.raw_opts = true;
			break;
		case O_VCEK:
			a.vcek = optarg;
			a.raw_opts = true;
			break;
		case O_CERTS:
			if (a.num_certs == MAX_CERT_FILES) {
				fprintf(stderr, "ccgpu: %s: at most %d --certs\n", what, MAX_CERT_FILES);
				return CLI_EXIT_USAGE;
			}
			a.certs[a.num_certs++] = optarg;
			a.raw_opts = true;
			break;
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
		case O_HELP: put_usage(stdout); return CLI_EXIT_OK;
		default:
			rc = cli_gpu_opt(&a.gpu, c, optarg, what);
			if (rc == 0)
				break;
			if (rc < 0)
				put_usage(stderr);
			return CLI_EXIT_USAGE;
		}
	}
	if (optind != argc || a.evidence == NULL || (composite && a.nonce == NULL)) {
		put_usage(stderr);
		return CLI_EXIT_USAGE;
	}
	if (composite && a.raw_opts) {
		fprintf(stderr, "ccgpu: verify composite: --report, --format, --vcek and --certs go with verify cpu\n");
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
	if ((composite ? ccg_file_read(a.evidence, EVIDENCE_MAX, &doc, &doc_len, &err)
		       : load_cpu_evidence(&a, &doc, &doc_len, &err)) != CCG_OK)
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
		       : ccg_cpu_verifier_appraise(v, doc, doc_len, a.rd != NULL ? rd : NULL,
						   a.rd != NULL ? sizeof(rd) : 0, now, &res, &err);
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
