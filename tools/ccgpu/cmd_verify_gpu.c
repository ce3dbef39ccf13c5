/* SPDX-License-Identifier: Apache-2.0 */
/* ccgpu verify gpu: appraise NVIDIA GPU evidence and print its claims. */
#include <getopt.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ccgpu/attest.h"
#include "ccgpu/util.h"
#include "cli.h"

static const char usage[] =
	"usage: ccgpu verify gpu (--evidence FILE | --report FILE --chain FILE [--arch ARCH])\n"
	"                        [--nonce HEX] [options]\n"
	"\n"
	"Appraises NVIDIA GPU and NVSwitch evidence: SPDM report format, nonce, ECDSA P-384 signature,\n"
	"device certificate chain and FWID, OCSP revocation, and reference values from\n"
	"NVIDIA's signed RIMs; prints the claims (NVIDIA claims 3.0 names).\n"
	"\n"
	"evidence:\n"
	"  --evidence FILE      NVIDIA serialized evidence JSON (GPUs and NVSwitches, arch LS10;\n"
	"                       with both, NVIDIA's PPCIe topology check runs across them)\n"
	"  --report FILE        SPDM GET_MEASUREMENTS request || response (binary or hex)\n"
	"  --chain FILE         PEM device certificate chain, leaf first\n"
	"  --arch ARCH          HOPPER (default), BLACKWELL or LS10 (NVSwitch), with --report\n"
	"  --nonce HEX          the 32-byte nonce the report must be over; with --evidence,\n"
	"                       defaults to the nonce in the file: then nothing proves the\n"
	"                       report fresh, and a warning and ccgpu-checks-skipped say so\n"
	"trust anchors, reference values, revocation, network:\n" CLI_GPU_USAGE
	"  RIMs come from " CLI_NVIDIA_RIM_SERVICE
	"\n"
	"  unless --rim-dir, --rim-url or --offline; --ocsp is online by default (cache with --offline).\n"
	"general:\n"
	"  --time TIME          verify as of TIME (YYYY-MM-DDTHH:MM:SSZ or Unix seconds)\n"
	"  --json               print only the claims, as JSON\n"
	"\n"
	"Exit status: 0 every check made passed (checks not made are named in a warning\n"
	"on stderr), 1 a check failed (the first failure is named on stderr), 2 usage or\n"
	"input error.\n";

static const struct cli_gpu_defaults gpu_defaults = {.ocsp = CCG_GPU_OCSP_ONLINE, .nvidia_rim_service = true};

struct opts {
	const char *evidence, *report, *chain, *arch, *nonce, *time;
	bool json;
	struct cli_gpu_opts gpu;
};

enum { OPT_EVIDENCE = 256, OPT_REPORT, OPT_CHAIN, OPT_ARCH, OPT_NONCE, OPT_TIME, OPT_JSON, OPT_HELP };

static const struct option long_opts[] = {
	{"evidence", required_argument, NULL, OPT_EVIDENCE},
	{"report", required_argument, NULL, OPT_REPORT},
	{"chain", required_argument, NULL, OPT_CHAIN},
	{"arch", required_argument, NULL, OPT_ARCH},
	{"nonce", required_argument, NULL, OPT_NONCE},
	{"time", required_argument, NULL, OPT_TIME},
	{"json", no_argument, NULL, OPT_JSON},
	{"help", no_argument, NULL, OPT_HELP},
	CLI_GPU_LONG_OPTIONS,
	{NULL, 0, NULL, 0},
};

static int usage_error(const char *fmt, ...) CCG_PRINTF(1, 2);

static int usage_error(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "ccgpu: verify gpu: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, " (see ccgpu verify gpu --help)\n");
	return CLI_EXIT_USAGE;
}

static int parse_opts(int argc, char **argv, struct opts *o)
{
	int c, rc;

	memset(o, 0, sizeof(*o));
	cli_gpu_opts_init(&o->gpu, &gpu_defaults);
	optind = 1;
	while ((c = getopt_long(argc, argv, "", long_opts, NULL)) != -1) {
		switch (c) {
		case OPT_EVIDENCE: o->evidence = optarg; break;
		case OPT_REPORT: o->report = optarg; break;
		case OPT_CHAIN: o->chain = optarg; break;
		case OPT_ARCH: o->arch = optarg; break;
		case OPT_NONCE: o->nonce = optarg; break;
		case OPT_TIME: o->time = optarg; break;
		case OPT_JSON: o->json = true; break;
		case OPT_HELP: fputs(usage, stdout); return -1;
		default:
			rc = cli_gpu_opt(&o->gpu, c, optarg, "verify gpu");
			if (rc < 0)
				return usage_error("unknown option");
			if (rc != 0)
				return rc;
		}
	}
	if (optind != argc)
		return usage_error("unexpected argument \"%s\"", argv[optind]);
	if ((o->evidence != NULL) == (o->report != NULL))
		return usage_error("give either --evidence or --report with --chain");
	if (o->report != NULL && o->chain == NULL)
		return usage_error("--report needs --chain");
	if (o->evidence != NULL && (o->chain != NULL || o->arch != NULL))
		return usage_error("--chain and --arch go with --report, not --evidence");
	return cli_gpu_opts_finish(&o->gpu, "verify gpu");
}

static enum ccg_status load_evidence(const struct opts *o, struct ccg_gpu_evidence *ev, struct ccg_error *err)
{
	uint8_t *a = NULL, *b = NULL;
	size_t a_len = 0, b_len = 0;
	enum ccg_status st;

	if (o->evidence != NULL) {
		st = ccg_file_read(o->evidence, 2u << 20, &a, &a_len, err);
		if (st == CCG_OK)
			st = ccg_gpu_evidence_add_json(ev, a, a_len, err);
	} else {
		st = cli_read_input(o->report, 64 * 1024, &a, &a_len, err);
		if (st == CCG_OK)
			st = ccg_file_read(o->chain, 64 * 1024, &b, &b_len, err);
		if (st == CCG_OK)
			st = ccg_gpu_evidence_add_report(ev, o->arch, a, a_len, b, b_len, err);
	}
	free(a);
	free(b);
	return st;
}

static void print_value(const char *indent, const char *key, json_t *v)
{
	char *s;

	if (json_is_object(v)) {
		const char *k;
		json_t *x;

		printf("%s%s:\n", indent, key);
		json_object_foreach(v, k, x) {
			char deeper[32];

			snprintf(deeper, sizeof(deeper), "%s  ", indent);
			print_value(deeper, k, x);
		}
		return;
	}
	s = json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT);
	printf("%s%s: %s\n", indent, key, s != NULL ? s : "?");
	free(s);
}

static void print_human(const char *claims_json)
{
	json_t *root = json_loads(claims_json, 0, NULL);
	json_t *submods = json_object_get(root, "submods");
	const char *name;
	json_t *gpu;

	printf("overall result: %s\n",
	       json_is_true(json_object_get(root, "x-nvidia-overall-att-result")) ? "pass" : "FAIL");
	json_object_foreach(submods, name, gpu) {
		const char *k;
		json_t *x;

		printf("%s: %s\n", name, json_is_true(json_object_get(gpu, "ccgpu-result")) ? "pass" : "FAIL");
		json_object_foreach(gpu, k, x)
			print_value("  ", k, x);
	}
	json_decref(root);
}

int cmd_verify_gpu(int argc, char **argv)
{
	struct opts o;
	struct ccg_gpu_verifier *v = NULL;
	struct ccg_gpu_evidence *ev = NULL;
	struct ccg_gpu_result *res = NULL;
	struct ccg_error err;
	uint8_t nonce[CCG_GPU_NONCE_LEN];
	char *claims = NULL;
	int64_t now = 0;
	int rc = parse_opts(argc, argv, &o);
	enum ccg_status st;

	if (rc != 0)
		return rc < 0 ? CLI_EXIT_OK : rc;
	ccg_error_clear(&err);
	if (o.time != NULL && ccg_time_parse_iso(o.time, &now) != CCG_OK)
		return usage_error("--time needs YYYY-MM-DDTHH:MM:SSZ or Unix seconds, not \"%s\"", o.time);
	if (ccg_gpu_verifier_new(&v) != CCG_OK || ccg_gpu_evidence_new(&ev) != CCG_OK) {
		rc = CLI_EXIT_USAGE;
		fprintf(stderr, "ccgpu: verify gpu: out of memory\n");
		goto out;
	}
	if (cli_gpu_configure(v, &o.gpu, &err) != CCG_OK) {
		rc = cli_fail(CLI_EXIT_USAGE, "verify gpu", &err);
		goto out;
	}
	if (load_evidence(&o, ev, &err) != CCG_OK) {
		rc = cli_fail(CLI_EXIT_USAGE, "verify gpu", &err);
		goto out;
	}
	if (o.nonce != NULL) {
		if (ccg_hex_decode_fixed(o.nonce, strlen(o.nonce), nonce, sizeof(nonce)) != CCG_OK) {
			rc = usage_error("--nonce needs 64 hex digits, not \"%s\"", o.nonce);
			goto out;
		}
	} else if (!ccg_gpu_evidence_nonce(ev, nonce)) {
		rc = usage_error("--report needs --nonce");
		goto out;
	}
	/* without --nonce the library takes the evidence's own nonce and records that freshness is unproven */
	st = ccg_gpu_verifier_appraise(v, ev, o.nonce != NULL ? nonce : NULL, sizeof(nonce), now, &res, &err);
	if (res == NULL) {
		rc = cli_fail(CLI_EXIT_USAGE, "verify gpu", &err);
		goto out;
	}
	claims = ccg_gpu_result_claims_json(res, 2);
	if (claims == NULL) {
		rc = CLI_EXIT_USAGE;
		goto out;
	}
	if (o.json)
		printf("%s\n", claims);
	else
		print_human(claims);
	/* a pass that skipped checks says so (a refusal's one line names the failed check instead) */
	if (st == CCG_OK)
		cli_warn_skipped("verify gpu", ccg_gpu_result_checks_skipped(res),
				 "no --nonce: the nonce in the evidence was used");
	rc = st == CCG_OK ? CLI_EXIT_OK : cli_fail(CLI_EXIT_REFUSED, "verify gpu", &err);
out:
	free(claims);
	ccg_gpu_result_free(res);
	ccg_gpu_evidence_free(ev);
	ccg_gpu_verifier_free(v);
	return rc;
}
