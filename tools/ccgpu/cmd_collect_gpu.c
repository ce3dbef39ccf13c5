/* SPDX-License-Identifier: Apache-2.0 */
/* ccgpu collect gpu: GPU evidence over a nonce, written as NVIDIA's serialized evidence JSON. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ccgpu/attest.h"
#include "ccgpu/guest.h"
#include "ccgpu/util.h"
#include "cli.h"

static const char usage[] =
	"usage: ccgpu collect gpu --gpusim SOCKET --nonce HEX [--out FILE]\n"
	"\n"
	"Collects every GPU's evidence (device certificate chain and SPDM measurement\n"
	"report over the nonce) and writes NVIDIA's serialized evidence JSON.\n"
	"\n"
	"  --gpusim SOCKET  a ccgpu-gpusim device's UNIX socket\n"
	"  --nonce HEX      the 32-byte nonce (64 hex digits) the reports must be over\n"
	"  --out FILE       where to write the JSON (default: standard output)\n"
	"\n"
	"Exit status: 0 collected, 1 the device failed, 2 usage or input error.\n";

enum { OPT_GPUSIM = 256, OPT_NONCE, OPT_OUT, OPT_HELP };

static const struct option long_opts[] = {
	{"gpusim", required_argument, NULL, OPT_GPUSIM},
	{"nonce", required_argument, NULL, OPT_NONCE},
	{"out", required_argument, NULL, OPT_OUT},
	{"help", no_argument, NULL, OPT_HELP},
	{NULL, 0, NULL, 0},
};

int cmd_collect_gpu(int argc, char **argv)
{
	const char *sock = NULL, *nonce_hex = NULL, *out = NULL;
	uint8_t nonce[CCG_GPU_NONCE_LEN];
	struct ccg_gpu_evidence *ev = NULL;
	struct ccg_error err;
	char *json = NULL;
	int c, rc = CLI_EXIT_OK;

	ccg_error_clear(&err);
	optind = 1;
	while ((c = getopt_long(argc, argv, "", long_opts, NULL)) != -1) {
		switch (c) {
		case OPT_GPUSIM: sock = optarg; break;
		case OPT_NONCE: nonce_hex = optarg; break;
		case OPT_OUT: out = optarg; break;
		case OPT_HELP: fputs(usage, stdout); return CLI_EXIT_OK;
		default: fputs(usage, stderr); return CLI_EXIT_USAGE;
		}
	}
	if (optind != argc || sock == NULL || nonce_hex == NULL) {
		fprintf(stderr,
			"ccgpu: collect gpu: --gpusim SOCKET and --nonce HEX are required "
			"(see ccgpu collect gpu --help)\n");
		return CLI_EXIT_USAGE;
	}
	if (strlen(nonce_hex) != 2 * CCG_GPU_NONCE_LEN ||
	    ccg_hex_decode_fixed(nonce_hex, strlen(nonce_hex), nonce, sizeof(nonce)) != CCG_OK) {
		fprintf(stderr, "ccgpu: collect gpu: --nonce takes 64 hex digits (see ccgpu collect gpu --help)\n");
		return CLI_EXIT_USAGE;
	}
	if (ccg_gpu_evidence_new(&ev) != CCG_OK) {
		ccg_error_set(&err, CCG_ERR_NOMEM, "evidence", NULL);
		return cli_fail(CLI_EXIT_REFUSED, "collect gpu", &err);
	}
	if (ccg_gpu_source_gpusim_collect(sock, nonce, ev, &err) != CCG_OK) {
		rc = cli_fail(CLI_EXIT_REFUSED, "collect gpu", &err);
		goto done;
	}
	if (ccg_gpu_evidence_to_json(ev, nonce, &json) != CCG_OK) {
		ccg_error_set(&err, CCG_ERR_NOMEM, "evidence.json", NULL);
		rc = cli_fail(CLI_EXIT_REFUSED, "collect gpu", &err);
		goto done;
	}
	if (out == NULL) {
		fputs(json, stdout);
		fputc('\n', stdout);
	} else if (ccg_file_write_atomic(out, (const uint8_t *)json, strlen(json), &err) != CCG_OK) {
		rc = cli_fail(CLI_EXIT_USAGE, "collect gpu", &err);
	}
done:
	free(json);
	ccg_gpu_evidence_free(ev);
	return rc;
}
