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
#include "common/crypto.h"
#include "common/encoding.h"
#include "common/error.h"
#include "common/file.h"
#include "tee_guest/cli.h"

#define NVIDIA_RIM_SERVICE "https://rim.attestation.nvidia.com/v1/rim"
#define NVIDIA_OCSP "https://ocsp.ndis.nvidia.com"
#define MAX_OCSP_FILES 16

static const char usage[] =
	"usage: ccgpu verify gpu (--evidence FILE | --report FILE --chain FILE [--arch ARCH])\n"
	"                        [--nonce HEX] [options]\n"
	"\n"
	"Appraises NVIDIA GPU evidence: SPDM report format, nonce, ECDSA P-384 signature,\n"
	"device certificate chain and FWID, OCSP revocation, and reference values from\n"
	"NVIDIA's signed RIMs; prints the claims (NVIDIA claims 3.0 names).\n"
	"\n"
	"evidence:\n"
	"  --evidence FILE      NVIDIA serialized evidence JSON (one or many GPUs)\n"
	"  --report FILE        SPDM GET_MEASUREMENTS request || response (binary or hex)\n"
	"  --chain FILE         PEM device certificate chain, leaf first\n"
	"  --arch ARCH          HOPPER (default) or BLACKWELL, with --report\n"
	"  --nonce HEX          the 32-byte nonce the report must be over; with --evidence,\n"
	"                       defaults to the nonce in the file (then it proves no freshness)\n"
	"reference values:\n"
	"  --rim-dir DIR        RIMs as DIR/<rim id>.xml\n"
	"  --rim-url URL        RIM service (default " NVIDIA_RIM_SERVICE ",\n"
	"                       unless --offline or --rim-dir)\n"
	"  --no-rims            do not compare measurements (measres \"not-checked\")\n"
	"  --rim-ignore-expiry  accept expired RIM signing chains (reported as a warning)\n"
	"revocation:\n"
	"  --ocsp MODE          off, cache (offline: cached or supplied responses) or online\n"
	"                       (default online; cache with --offline)\n"
	"  --ocsp-url URL       OCSP responder (default " NVIDIA_OCSP ")\n"
	"  --ocsp-max-age SECS  refuse responses older than this (default: until nextUpdate)\n"
	"  --ocsp-response FILE a DER OCSP response to use (repeatable)\n"
	"general:\n"
	"  --offline            no network at all\n"
	"  --cache-dir DIR      where fetched RIMs and OCSP responses are kept\n"
	"                       (default $XDG_CACHE_HOME/ccgpu or ~/.cache/ccgpu)\n"
	"  --no-cache           keep nothing on disk\n"
	"  --time TIME          verify as of TIME (YYYY-MM-DDTHH:MM:SSZ or Unix seconds)\n"
	"  --device-root PEM    device chain trust anchor (default: NVIDIA Device Identity CA)\n"
	"  --rim-root PEM       RIM chain trust anchor (default: NVIDIA RIM root)\n"
	"  --json               print only the claims, as JSON\n"
	"\n"
	"Exit status: 0 every check passed, 1 a check failed (the first failure is named\n"
	"on stderr), 2 usage or input error.\n";

struct opts {
	const char *evidence, *report, *chain, *arch, *nonce;
	const char *rim_dir, *rim_url, *ocsp_url, *cache_dir, *time, *device_root, *rim_root;
	const char *ocsp_files[MAX_OCSP_FILES];
	size_t num_ocsp_files;
	enum ccg_gpu_ocsp_mode ocsp;
	bool ocsp_set, no_rims, rim_ignore_expiry, offline, no_cache, json;
	int64_t ocsp_max_age;
};

enum {
	OPT_EVIDENCE = 256, OPT_REPORT, OPT_CHAIN, OPT_ARCH, OPT_NONCE, OPT_RIM_DIR, OPT_RIM_URL,
	OPT_NO_RIMS, OPT_RIM_IGNORE_EXPIRY, OPT_OCSP, OPT_OCSP_URL, OPT_OCSP_MAX_AGE, OPT_OCSP_RESPONSE,
	OPT_OFFLINE, OPT_CACHE_DIR, OPT_NO_CACHE, OPT_TIME, OPT_DEVICE_ROOT, OPT_RIM_ROOT, OPT_JSON,
	OPT_HELP,
};

static const struct option long_opts[] = {
	{"evidence", required_argument, NULL, OPT_EVIDENCE},
	{"report", required_argument, NULL, OPT_REPORT},
	{"chain", required_argument, NULL, OPT_CHAIN},
	{"arch", required_argument, NULL, OPT_ARCH},
	{"nonce", required_argument, NULL, OPT_NONCE},
	{"rim-dir", required_argument, NULL, OPT_RIM_DIR},
	{"rim-url", required_argument, NULL, OPT_RIM_URL},
	{"no-rims", no_argument, NULL, OPT_NO_RIMS},
	{"rim-ignore-expiry", no_argument, NULL, OPT_RIM_IGNORE_EXPIRY},
	{"ocsp", required_argument, NULL, OPT_OCSP},
	{"ocsp-url", required_argument, NULL, OPT_OCSP_URL},
	{"ocsp-max-age", required_argument, NULL, OPT_OCSP_MAX_AGE},
	{"ocsp-response", required_argument, NULL, OPT_OCSP_RESPONSE},
	{"offline", no_argument, NULL, OPT_OFFLINE},
	{"cache-dir", required_argument, NULL, OPT_CACHE_DIR},
	{"no-cache", no_argument, NULL, OPT_NO_CACHE},
	{"time", required_argument, NULL, OPT_TIME},
	{"device-root", required_argument, NULL, OPT_DEVICE_ROOT},
	{"rim-root", required_argument, NULL, OPT_RIM_ROOT},
	{"json", no_argument, NULL, OPT_JSON},
	{"help", no_argument, NULL, OPT_HELP},
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
	int c;

	memset(o, 0, sizeof(*o));
	o->ocsp = CCG_GPU_OCSP_ONLINE;
	optind = 1;
	while ((c = getopt_long(argc, argv, "", long_opts, NULL)) != -1) {
		switch (c) {
		case OPT_EVIDENCE: o->evidence = optarg; break;
		case OPT_REPORT: o->report = optarg; break;
		case OPT_CHAIN: o->chain = optarg; break;
		case OPT_ARCH: o->arch = optarg; break;
		case OPT_NONCE: o->nonce = optarg; break;
		case OPT_RIM_DIR: o->rim_dir = optarg; break;
		case OPT_RIM_URL: o->rim_url = optarg; break;
		case OPT_NO_RIMS: o->no_rims = true; break;
		case OPT_RIM_IGNORE_EXPIRY: o->rim_ignore_expiry = true; break;
		case OPT_OCSP:
			o->ocsp_set = true;
			if (strcmp(optarg, "off") == 0)
				o->ocsp = CCG_GPU_OCSP_OFF;
			else if (strcmp(optarg, "cache") == 0)
				o->ocsp = CCG_GPU_OCSP_CACHE;
			else if (strcmp(optarg, "online") == 0)
				o->ocsp = CCG_GPU_OCSP_ONLINE;
			else
				return usage_error("--ocsp must be off, cache or online, not \"%s\"", optarg);
			break;
		case OPT_OCSP_URL: o->ocsp_url = optarg; break;
		case OPT_OCSP_MAX_AGE: {
			char *end;
			long long v = strtoll(optarg, &end, 10);

			if (*optarg == '\0' || *end != '\0' || v < 0)
				return usage_error("--ocsp-max-age needs a number of seconds, not \"%s\"",
						   optarg);
			o->ocsp_max_age = v;
			break;
		}
		case OPT_OCSP_RESPONSE:
			if (o->num_ocsp_files == MAX_OCSP_FILES)
				return usage_error("at most 16 --ocsp-response files");
			o->ocsp_files[o->num_ocsp_files++] = optarg;
			break;
		case OPT_OFFLINE: o->offline = true; break;
		case OPT_CACHE_DIR: o->cache_dir = optarg; break;
		case OPT_NO_CACHE: o->no_cache = true; break;
		case OPT_TIME: o->time = optarg; break;
		case OPT_DEVICE_ROOT: o->device_root = optarg; break;
		case OPT_RIM_ROOT: o->rim_root = optarg; break;
		case OPT_JSON: o->json = true; break;
		case OPT_HELP: fputs(usage, stdout); return -1;
		default: return usage_error("unknown option");
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
	if (o->offline && !o->ocsp_set)
		o->ocsp = CCG_GPU_OCSP_CACHE;
	if (o->offline && o->ocsp == CCG_GPU_OCSP_ONLINE)
		return usage_error("--ocsp online contradicts --offline");
	return 0;
}

static enum ccg_status configure(struct ccg_gpu_verifier *v, const struct opts *o, char *cache_buf,
				 size_t cache_len, struct ccg_error *err)
{
	const char *rim_url = o->rim_url;
	const char *cache = o->cache_dir;
	enum ccg_status st;

	if (o->device_root != NULL && (st = ccg_gpu_verifier_set_device_anchor(v, o->device_root, err)) != CCG_OK)
		return st;
	if (o->rim_root != NULL && (st = ccg_gpu_verifier_set_rim_anchor(v, o->rim_root, err)) != CCG_OK)
		return st;
	if (cache == NULL && !o->no_cache) {
		const char *xdg = getenv("XDG_CACHE_HOME"), *home = getenv("HOME");

		if (xdg != NULL && xdg[0] == '/')
			snprintf(cache_buf, cache_len, "%s/ccgpu", xdg);
		else if (home != NULL && home[0] == '/')
			snprintf(cache_buf, cache_len, "%s/.cache/ccgpu", home);
		else
			cache_buf[0] = '\0';
		cache = cache_buf[0] != '\0' ? cache_buf : NULL;
	}
	if (!o->no_cache && cache != NULL && (st = ccg_gpu_verifier_set_cache_dir(v, cache, err)) != CCG_OK)
		return st;
	if (rim_url == NULL && o->rim_dir == NULL && !o->offline)
		rim_url = NVIDIA_RIM_SERVICE;
	ccg_gpu_verifier_set_offline(v, o->offline);
	if ((st = ccg_gpu_verifier_set_rims(v, o->rim_dir, o->offline ? NULL : rim_url, err)) != CCG_OK)
		return st;
	ccg_gpu_verifier_skip_rims(v, o->no_rims);
	ccg_gpu_verifier_set_rim_ignore_expiry(v, o->rim_ignore_expiry);
	if ((st = ccg_gpu_verifier_set_ocsp(v, o->ocsp, o->ocsp_url != NULL ? o->ocsp_url : NVIDIA_OCSP,
					    o->ocsp_max_age, err)) != CCG_OK)
		return st;
	for (size_t i = 0; i < o->num_ocsp_files; i++) {
		uint8_t *der = NULL;
		size_t len = 0;

		st = ccg_file_read(o->ocsp_files[i], 64 * 1024, &der, &len, err);
		if (st == CCG_OK)
			st = ccg_gpu_verifier_add_ocsp_response(v, der, len, err);
		free(der);
		if (st != CCG_OK)
			return st;
	}
	return CCG_OK;
}

static enum ccg_status load_evidence(const struct opts *o, struct ccg_gpu_evidence *ev,
				     struct ccg_error *err)
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
	char cache_buf[4096], *claims = NULL;
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
	if (configure(v, &o, cache_buf, sizeof(cache_buf), &err) != CCG_OK) {
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
	st = ccg_gpu_verifier_appraise(v, ev, nonce, sizeof(nonce), now, &res, &err);
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
	rc = st == CCG_OK ? CLI_EXIT_OK : cli_fail(CLI_EXIT_REFUSED, "verify gpu", &err);
out:
	free(claims);
	ccg_gpu_result_free(res);
	ccg_gpu_evidence_free(ev);
	ccg_gpu_verifier_free(v);
	return rc;
}
