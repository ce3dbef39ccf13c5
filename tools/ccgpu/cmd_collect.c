/* SPDX-License-Identifier: Apache-2.0 */
/* ccgpu collect: CPU TEE evidence bound to the GPU evidence, as one composite document. */
#include <getopt.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ccgpu/cpu.h"
#include "ccgpu/guest.h"
#include "ccgpu/util.h"
#include "cli.h"

#define AZURE_HCL_NV_INDEX 0x01400001u
#define AZURE_AK_HANDLE 0x81000003u

static const char usage[] =
	"usage: ccgpu collect --cpu snp|tdx|tpm|azure --nonce HEX --tee-public-key FILE [options]\n"
	"\n"
	"Collects the GPU evidence (NVML, or --gpu-evidence), computes the binding\n"
	"SHA-512(nonce || TEE public key || SHA-384(GPU evidence)), asks the CPU TEE for\n"
	"a report whose report_data (TPM: extraData) is the binding, and writes one\n"
	"composite evidence document (JSON, see docs/protocols.md).\n"
	"\n"
	"options:\n"
	"  --cpu KIND               snp, tdx (configfs-tsm or ioctl), tpm (vTPM quote),\n"
	"                           azure (HCL report from vTPM NV + vTPM quote)\n"
	"  --nonce HEX              the verifier's nonce (32 bytes for GPU evidence)\n"
	"  --tee-public-key FILE    the TEE's public key (PEM or DER SubjectPublicKeyInfo)\n"
	"  --gpu-evidence FILE      NVIDIA serialized GPU evidence (default: collect via NVML)\n"
	"  --tsm-root DIR           configfs-tsm report directory (default /sys/kernel/config/tsm/report)\n"
	"  --sev-guest DEV          snp: use the SNP_GET_REPORT ioctl on DEV instead of configfs-tsm\n"
	"  --certs PEM              snp, azure: VCEK (or VLEK) ‖ ASK ‖ ARK to include\n"
	"  --tcti CONF              tpm, azure: TCTI (default device:/dev/tpmrm0;\n"
	"                           e.g. swtpm:host=127.0.0.1,port=2321)\n"
	"  --ak-handle HEX          tpm, azure: persistent AK handle (default 0x81000003)\n"
	"  --pcrs HEX               tpm, azure: SHA-256 PCR mask to quote (default ffffff)\n"
	"  --hcl-nv-index HEX       azure: NV index of the HCL report (default 0x01400001)\n"
	"  --out FILE               write the document to FILE (default stdout)\n"
	"\n"
	"Exit status: 0 collected, 1 collection failed, 2 usage or input error.\n";

enum { O_CPU = 1, O_NONCE, O_PUB, O_GPU, O_TSM, O_SEV, O_CERTS, O_TCTI, O_AK, O_PCRS, O_NV, O_OUT, O_HELP };

static const struct option long_opts[] = {
	{"cpu", required_argument, NULL, O_CPU},
	{"nonce", required_argument, NULL, O_NONCE},
	{"tee-public-key", required_argument, NULL, O_PUB},
	{"gpu-evidence", required_argument, NULL, O_GPU},
	{"tsm-root", required_argument, NULL, O_TSM},
	{"sev-guest", required_argument, NULL, O_SEV},
	{"certs", required_argument, NULL, O_CERTS},
	{"tcti", required_argument, NULL, O_TCTI},
	{"ak-handle", required_argument, NULL, O_AK},
	{"pcrs", required_argument, NULL, O_PCRS},
	{"hcl-nv-index", required_argument, NULL, O_NV},
	{"out", required_argument, NULL, O_OUT},
	{"help", no_argument, NULL, O_HELP},
	{NULL, 0, NULL, 0},
};

static bool parse_u32(const char *s, uint32_t *out)
{
	char *end = NULL;
	unsigned long v = strtoul(s, &end, 16);

	if (end == s || *end != '\0' || v > 0xFFFFFFFFul)
		return false;
	*out = (uint32_t)v;
	return true;
}

/* a public key file (PEM or DER) as DER SPKI */
static enum ccg_status load_spki(const char *path, uint8_t **out, size_t *out_len, struct ccg_error *err)
{
	uint8_t *b = NULL;
	size_t n = 0;
	const unsigned char *p;
	EVP_PKEY *k = NULL;
	BIO *bio;
	unsigned char *der = NULL;
	int dl;
	enum ccg_status st = ccg_file_read(path, 16384, &b, &n, err);

	if (st != CCG_OK)
		return st;
	bio = BIO_new_mem_buf(b, (int)n);
	k = bio != NULL ? PEM_read_bio_PUBKEY(bio, NULL, NULL, NULL) : NULL;
	BIO_free(bio);
	if (k == NULL) {
		p = b;
		k = d2i_PUBKEY(NULL, &p, (long)n);
	}
	free(b);
	if (k == NULL || (dl = i2d_PUBKEY(k, &der)) <= 0) {
		EVP_PKEY_free(k);
		ERR_clear_error();
		return ccg_error_set(err, CCG_ERR_ENCODING, "--tee-public-key", "not a PEM or DER public key");
	}
	EVP_PKEY_free(k);
	*out = malloc((size_t)dl);
	if (*out == NULL) {
		OPENSSL_free(der);
		return CCG_ERR_NOMEM;
	}
	memcpy(*out, der, (size_t)dl);
	*out_len = (size_t)dl;
	OPENSSL_free(der);
	return CCG_OK;
}

int cmd_collect(int argc, char **argv)
{
	const char *kind = NULL, *nonce_hex = NULL, *pub_path = NULL, *gpu_path = NULL, *tsm = NULL, *sev = NULL,
		   *certs = NULL, *tcti = NULL, *out_path = NULL;
	uint32_t ak = AZURE_AK_HANDLE, pcrs = 0xFFFFFF, nv = AZURE_HCL_NV_INDEX;
	uint8_t *nonce = NULL, *pub = NULL, *gpu = NULL, *certs_pem = NULL;
	size_t nonce_len = 0, pub_len = 0, gpu_len = 0, certs_len = 0;
	char *gpu_json = NULL, *text = NULL;
	struct ccg_collect_cpu cpu_opts;
	struct ccg_error err;
	int c, code = CLI_EXIT_USAGE;
	enum ccg_status st;

	ccg_error_clear(&err);
	memset(&cpu_opts, 0, sizeof(cpu_opts));
	optind = 1;
	while ((c = getopt_long(argc, argv, "", long_opts, NULL)) != -1) {
		switch (c) {
		case O_CPU: kind = optarg; break;
		case O_NONCE: nonce_hex = optarg; break;
		case O_PUB: pub_path = optarg; break;
		case O_GPU: gpu_path = optarg; break;
		case O_TSM: tsm = optarg; break;
		case O_SEV: sev = optarg; break;
		case O_CERTS: certs = optarg; break;
		case O_TCTI: tcti = optarg; break;
		case O_AK:
			if (!parse_u32(optarg, &ak))
				goto usage;
			break;
		case O_PCRS:
			if (!parse_u32(optarg, &pcrs) || pcrs == 0 || pcrs > 0xFFFFFF)
				goto usage;
			break;
		case O_NV:
			if (!parse_u32(optarg, &nv))
				goto usage;
			break;
		case O_OUT: out_path = optarg; break;
		case O_HELP: fputs(usage, stdout); return CLI_EXIT_OK;
		default: goto usage;
		}
	}
	if (optind != argc || kind == NULL || nonce_hex == NULL || pub_path == NULL)
		goto usage;
	if (!ccg_collect_cpu_kind_ok(kind)) {
		ccg_error_set(&err, CCG_ERR_INVALID_ARG, "--cpu", "snp, tdx, tpm or azure");
		goto fail;
	}
	if (ccg_hex_decode(nonce_hex, strlen(nonce_hex), 64, &nonce, &nonce_len) != CCG_OK || nonce_len == 0) {
		ccg_error_set(&err, CCG_ERR_INVALID_ARG, "--nonce", "hex, 1 to 64 bytes");
		goto fail;
	}
	if (load_spki(pub_path, &pub, &pub_len, &err) != CCG_OK)
		goto fail;
	if (certs != NULL && ccg_file_read(certs, 65536, &certs_pem, &certs_len, &err) != CCG_OK)
		goto fail;
	code = CLI_EXIT_REFUSED;
	if (gpu_path != NULL) {
		if (ccg_file_read(gpu_path, CCG_COMPOSITE_MAX / 2, &gpu, &gpu_len, &err) != CCG_OK) {
			code = CLI_EXIT_USAGE;
			goto fail;
		}
	} else {
		if (nonce_len != 32) {
			ccg_error_set(&err, CCG_ERR_INVALID_ARG, "--nonce", "GPU evidence needs a 32-byte nonce");
			goto fail;
		}
		if (ccg_nvml_gpu_evidence(nonce, &gpu_json, &err) != CCG_OK)
			goto fail;
		gpu = (uint8_t *)gpu_json;
		gpu_len = strlen(gpu_json);
		gpu_json = NULL;
	}
	cpu_opts.kind = kind;
	cpu_opts.tsm_root = tsm;
	cpu_opts.sev_guest = sev;
	cpu_opts.tcti = tcti;
	cpu_opts.ak_handle = ak;
	cpu_opts.pcrs = pcrs;
	cpu_opts.hcl_nv_index = nv;
	cpu_opts.certs_pem = certs_pem;
	cpu_opts.certs_len = certs_len;
	st = ccg_collect_composite_json(&cpu_opts, nonce, nonce_len, pub, pub_len, gpu, gpu_len, &text, &err);
	if (st != CCG_OK)
		goto fail;
	if (out_path != NULL) {
		if (ccg_file_write_atomic(out_path, (const uint8_t *)text, strlen(text), &err) != CCG_OK)
			goto fail;
	} else {
		printf("%s\n", text);
	}
	code = CLI_EXIT_OK;
	goto out;
usage:
	fputs(usage, stderr);
	code = CLI_EXIT_USAGE;
	goto out;
fail:
	if (err.status == CCG_OK)
		ccg_error_set(&err, CCG_ERR_NOMEM, "collect", "out of memory");
	code = cli_fail(code, "collect", &err);
out:
	free(text);
	free(nonce);
	free(pub);
	free(gpu);
	free(gpu_json);
	free(certs_pem);
	return code;
}
