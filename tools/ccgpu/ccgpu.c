/* SPDX-License-Identifier: Apache-2.0 */
/* ccgpu: the guest command-line tool: its usage and the dispatch to cmd_*.c (helpers: cli.c, cli_gpu.c). */
#include <stdio.h>
#include <string.h>

#include "cli.h"

static const char usage[] =
	"usage: ccgpu <command> [options]\n"
	"\n"
	"commands:\n"
	"  collect gpu   collect GPU evidence from ccgpu-gpusim (see ccgpu collect gpu --help)\n"
	"  verify gpu    appraise NVIDIA GPU evidence (see ccgpu verify gpu --help)\n"
	"  verify cpu    appraise CPU TEE evidence: SEV-SNP, TDX, TPM, Azure (ccgpu verify cpu --help)\n"
	"  verify composite  CPU evidence bound to GPU evidence (ccgpu verify composite --help)\n"
	"  collect --cpu KIND  CPU + GPU evidence as one composite document (ccgpu collect --help)\n"
	"  ear verify    check an EAR attestation-result token against a JWKS (ccgpu ear verify --help)\n"
	"  client        check an inference server's attestation, then send it a request as\n"
	"                Oblivious HTTP (ccgpu client --help)\n"
	"  version       print the version\n"
	"\n"
	"Exit status: 0 the check passed, 1 it did not, 2 usage or input error.\n";

int main(int argc, char **argv)
{
	if (argc >= 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
			  strcmp(argv[1], "help") == 0)) {
		fputs(usage, stdout);
		return CLI_EXIT_OK;
	}
	if (argc >= 2 && (strcmp(argv[1], "version") == 0 || strcmp(argv[1], "--version") == 0)) {
		printf("ccgpu %s\n", CCGPU_VERSION);
		return CLI_EXIT_OK;
	}
	if (argc >= 3 && strcmp(argv[1], "verify") == 0 && strcmp(argv[2], "gpu") == 0)
		return cmd_verify_gpu(argc - 2, argv + 2);
	if (argc >= 3 && strcmp(argv[1], "collect") == 0 && strcmp(argv[2], "gpu") == 0)
		return cmd_collect_gpu(argc - 2, argv + 2);
	if (argc >= 3 && strcmp(argv[1], "verify") == 0 && strcmp(argv[2], "cpu") == 0)
		return cmd_verify_cpu(argc - 2, argv + 2);
	if (argc >= 3 && strcmp(argv[1], "verify") == 0 && strcmp(argv[2], "composite") == 0)
		return cmd_verify_composite(argc - 2, argv + 2);
	if (argc >= 2 && strcmp(argv[1], "ear") == 0)
		return cmd_ear(argc - 1, argv + 1);
	if (argc >= 2 && strcmp(argv[1], "client") == 0) /* branch ohttp: cmd_client.c */
		return cmd_client(argc - 1, argv + 1);
	if (argc >= 3 && strcmp(argv[1], "collect") == 0 && strncmp(argv[2], "--", 2) == 0)
		return cmd_collect(argc - 1, argv + 1);
	fputs(usage, stderr);
	return CLI_EXIT_USAGE;
}
