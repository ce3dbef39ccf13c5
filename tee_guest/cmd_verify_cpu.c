/* SPDX-License-Identifier: Apache-2.0 */
/* ccgpu verify cpu | composite: appraise CPU TEE evidence, alone or bound to GPU evidence. */
#include <getopt.h>
#include <jansson.h>
#include <openssl/pem.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "attest/composite.h"
#include "attest/snp.h"
#include "attest/tdx.h"
#include "ccgpu/attest.h"
#include "common/crypto.h"
#include "common/encoding.h"
#include "common/error.h"
#include "common/file.h"
#include "common/json.h"
#include "tee_guest/cli.h"

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
	"  --intel-root PEM         Intel SGX Root CA (TDX)\n"
	"  --tcb-info FILE          TDX collateral from PCS: TCB info body\n"
	"  --qe-identity FILE       TDX collateral: QE identity body\n"
	"  --tcb-signing-chain PEM  TDX collateral: TCB signing chain\n"
	"  --pck-crl FILE           TDX collateral: PCK CA CRL (DER, PEM or hex)\n"
	"  --root-crl FILE          TDX collateral: root CA CRL\n"
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

enum { O_EVIDENCE = 1, O_NONCE, O_RD, O_ARK, O_INTEL, O_TCB, O_QE, O_SIGN, O_PCKCRL, O_ROOTCRL, O_AK, O_TIME,
       O_JSON, O_HELP };

static const struct option long_opts[] = {
	{"evidence", required_argument, NULL, O_EVIDENCE},
	{"nonce", required_argument, NULL, O_NONCE},
	{"report-data", required_argument, NULL, O_RD},
	{"ark", required_argument, NULL, O_ARK},
	{"intel-root", required_argument, NULL, O_INTEL},
	{"tcb-info", required_argument, NULL, O_TCB},
	{"qe-identity", required_argument, NULL, O_QE},
	{"tcb-signing-chain", required_argument, NULL, O_SIGN},
	{"pck-crl", required_argument, NULL, O_PCKCRL},
	{"root-crl", required_argument, NULL, O_ROOTCRL},
	{"tpm-ak", required_argument, NULL, O_AK},
	{"time", required_argument, NULL, O_TIME},
	{"json", no_argument, NULL, O_JSON},
	{"help", no_argument, NULL, O_HELP},
	CLI_GPU_LONG_OPTIONS,
	{NULL, 0, NULL, 0},
};

struct args {
	const char *evidence, *nonce, *rd, *ark, *intel, *tcb, *qe, *sign, *pckcrl, *rootcrl, *ak, *time;
	bool json;
	struct cli_gpu_opts gpu;
};

/* verify composite's GPU appraisal unless told otherwise: no network, no RIMs, no OCSP */
static const struct cli_gpu_defaults composite_defaults = {.ocsp = CCG_GPU_OCSP_OFF, .nvidia_rim_service = false};

static X509 *load_one_cert(const char *path, struct ccg_error *err)
{
	STACK_OF(X509) *sk = NULL;
	X509 *x = NULL;

	if (ccg_pem_certs_load(path, 1, &sk, err) == CCG_OK) {
		x = sk_X509_shift(sk);
		sk_X509_pop_free(sk, X509_free);
	}
	return x;
}

static enum ccg_status read_all(const char *path, uint8_t **b, size_t *n, struct ccg_error *err)
{
	return ccg_file_read(path, CCG_COMPOSITE_MAX, b, n, err);
}

static enum ccg_status load_collateral(const struct args *a, struct ccg_tdx_collateral **out, struct ccg_error *err)
{
	uint8_t *t = NULL, *q = NULL, *s = NULL, *p = NULL, *r = NULL;
	size_t tl = 0, ql = 0, sl = 0, pl = 0, rl = 0;
	enum ccg_status st;

	*out = NULL;
	if (a->tcb == NULL)
		return CCG_OK;
	if (a->qe == NULL || a->sign == NULL)
		return ccg_error_set(err, CCG_ERR_INVALID_ARG, "--tcb-info", "needs --qe-identity and --tcb-signing-chain");
	if ((st = ccg_tdx_collateral_new(out)) != CCG_OK || (st = read_all(a->tcb, &t, &tl, err)) != CCG_OK ||
	    (st = read_all(a->qe, &q, &ql, err)) != CCG_OK || (st = read_all(a->sign, &s, &sl, err)) != CCG_OK ||
	    (st = ccg_tdx_collateral_set_tcb_info(*out, t, tl, err)) != CCG_OK ||
	    (st = ccg_tdx_collateral_set_qe_identity(*out, q, ql, err)) != CCG_OK ||
	    (st = ccg_tdx_collateral_set_signing_chain(*out, s, sl, err)) != CCG_OK)
		goto out;
	if (a->pckcrl != NULL && a->rootcrl != NULL &&
	    ((st = read_all(a->pckcrl, &p, &pl, err)) != CCG_OK || (st = read_all(a->rootcrl, &r, &rl, err)) != CCG_OK ||
	     (st = ccg_tdx_collateral_set_crls(*out, p, pl, r, rl, err)) != CCG_OK))
		goto out;
out:
	free(t);
	free(q);
	free(s);
	free(p);
	free(r);
	if (st != CCG_OK) {
		ccg_tdx_collateral_free(*out);
		*out = NULL;
	}
	return st;
}

static int run(bool composite, int argc, char **argv)
{
	struct args a;
	struct ccg_error err;
	struct ccg_composite_opts o;
	struct ccg_tdx_collateral *col = NULL;
	struct ccg_gpu_verifier *gv = NULL;
	const char *what = composite ? "verify composite" : "verify cpu";
	uint8_t *doc = NULL, *nonce = NULL, rd[CCG_BINDING_LEN];
	size_t doc_len = 0, nonce_len = 0;
	json_t *d = NULL, *claims = NULL;
	const json_t *cpu;
	X509 *ark = NULL, *intel = NULL, *akcert = NULL;
	EVP_PKEY *ak = NULL;
	char *text;
	int c, rc, code = CLI_EXIT_USAGE;
	enum ccg_status st;

	memset(&a, 0, sizeof(a));
	memset(&o, 0, sizeof(o));
	cli_gpu_opts_init(&a.gpu, &composite_defaults);
	ccg_error_clear(&err);
	optind = 1;
	while ((c = getopt_long(argc, argv, "", long_opts, NULL)) != -1) {
		switch (c) {
		case O_EVIDENCE: a.evidence = optarg; break;
		case O_NONCE: a.nonce = optarg; break;
		case O_RD: a.rd = optarg; break;
		case O_ARK: a.ark = optarg; break;
		case O_INTEL: a.intel = optarg; break;
		case O_TCB: a.tcb = optarg; break;
		case O_QE: a.qe = optarg; break;
		case O_SIGN: a.sign = optarg; break;
		case O_PCKCRL: a.pckcrl = optarg; break;
		case O_ROOTCRL: a.rootcrl = optarg; break;
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
	if (a.time != NULL && ccg_time_parse_iso(a.time, &o.now) != CCG_OK) {
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
	if ((st = read_all(a.evidence, &doc, &doc_len, &err)) != CCG_OK ||
	    (st = ccg_json_parse(doc, doc_len, CCG_COMPOSITE_MAX, a.evidence, &d, &err)) != CCG_OK)
		goto fail;
	cpu = json_object_get(d, "cpu") != NULL ? json_object_get(d, "cpu") : d;
	if (a.ark != NULL && (ark = load_one_cert(a.ark, &err)) == NULL)
		goto fail;
	if (ark == NULL)
		ark = ccg_snp_chain_pinned_ark(json_string_value(json_object_get(cpu, "certs")));
	if (a.intel != NULL && (intel = load_one_cert(a.intel, &err)) == NULL)
		goto fail;
	if (a.ak != NULL) {
		uint8_t *pem = NULL;
		size_t n = 0;
		BIO *bio;

		if (read_all(a.ak, &pem, &n, &err) != CCG_OK)
			goto fail;
		bio = BIO_new_mem_buf(pem, (int)n);
		ak = bio != NULL ? PEM_read_bio_PUBKEY(bio, NULL, NULL, NULL) : NULL;
		BIO_free(bio);
		free(pem);
		if (ak == NULL) {
			ccg_error_set(&err, CCG_ERR_ENCODING, "--tpm-ak", "not a PEM public key");
			goto fail;
		}
	}
	if (load_collateral(&a, &col, &err) != CCG_OK)
		goto fail;
	o.ark = ark;
	o.intel_root = intel;
	o.tdx_collateral = col;
	o.trusted_ak = ak;
	o.nonce = nonce;
	o.nonce_len = nonce_len;
	code = CLI_EXIT_REFUSED;
	if (composite) {
		if ((st = ccg_gpu_verifier_new(&gv)) != CCG_OK) {
			ccg_error_set(&err, st, "composite.gpu", "creating the GPU verifier");
			code = CLI_EXIT_USAGE;
			goto fail;
		}
		if ((st = cli_gpu_configure(gv, &a.gpu, &err)) != CCG_OK) {
			code = CLI_EXIT_USAGE;
			goto fail;
		}
		o.gpu = gv;
		st = ccg_composite_verify(doc, doc_len, &o, &claims, &err);
	} else {
		st = ccg_cpu_verify(cpu, a.rd != NULL ? rd : NULL, &o, &claims, &err);
	}
	if (st != CCG_OK)
		goto fail;
	text = ccg_json_dumps(claims, 2);
	if (text == NULL)
		goto fail;
	if (!a.json)
		printf("%s: every check passed\n", what);
	printf("%s\n", text);
	free(text);
	code = CLI_EXIT_OK;
	goto out;
fail:
	code = cli_fail(code, what, &err);
out:
	ccg_gpu_verifier_free(gv);
	ccg_tdx_collateral_free(col);
	EVP_PKEY_free(ak);
	X509_free(akcert);
	X509_free(ark);
	X509_free(intel);
	json_decref(claims);
	json_decref(d);
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
