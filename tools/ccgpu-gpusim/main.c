/* SPDX-License-Identifier: Apache-2.0 */
/* ccgpu-gpusim: a software GPU with NVIDIA-format identity, evidence and reference manifests. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ccgpu/util.h"
#include "gpusim/gpusim.h"
#include "gpusim/serve.h"

static const char usage[] =
	"usage: ccgpu-gpusim <command> [options]\n"
	"\n"
	"commands:\n"
	"  pki --out DIR [--gpus N] [--switches N] [--arch HOPPER|BLACKWELL] [--ocsp-url URL]\n"
	"      [--driver-version V] [--vbios-version V] [--fault F]...\n"
	"                  generate the device identity PKI, the RIM signing chain, the\n"
	"                  signed driver and VBIOS RIMs and the OCSP index into DIR\n"
	"  evidence --state DIR --nonce HEX --out FILE [--fault F]...\n"
	"                  write NVIDIA's serialized evidence of every GPU and NVSwitch of DIR\n"
	"                  over the nonce (one document, as for a protected-PCIe board)\n"
	"  serve --socket PATH --state DIR [--fault F]... [--copy-engine host|offload]\n"
	"      [--timeout SECS]\n"
	"                  run the GPUs of DIR on a UNIX socket (docs/gpusim-transport.md)\n"
	"  serve-rims --dir DIR [--port P] [--port-file FILE] [--timeout SECS]\n"
	"                  serve DIR/<id>.xml on 127.0.0.1 as NVIDIA's RIM service does\n"
	"  serve-ocsp --state DIR [--port P] [--port-file FILE] [--timeout SECS]\n"
	"                  answer OCSP for the chains of DIR on 127.0.0.1\n"
	"  version         print the version\n"
	"\n"
	"faults (--fault, repeatable; append @N for GPU N only):\n"
	"  serve: bad-signature, wrong-nonce, drift=INDEX (a RIM index), cc-off,\n"
	"         devtools, unknown-rim, wrong-fwid, session-other-gpu (2+ GPUs)\n"
	"  pki:   expired-leaf, revoked-intermediate, held-intermediate\n"
	"  serve, evidence (protected PCIe topology; @N a GPU, or a switch for\n"
	"         ppcie-missing-gpu): ppcie-rogue-switch, ppcie-missing-gpu, ppcie-link-down\n"
	"\n"
	"--switches N (0..8): NVSwitches (LS10) of a protected-PCIe board: their chains,\n"
	"  the NV_SWITCH_BIOS_ RIM, and the GPUs' switch PDIs (8 GPUs and 4 switches is\n"
	"  the board NVIDIA's PPCIe verifier accepts).\n"
	"--arch BLACKWELL: GB100 leaves with NVIDIA's TcbInfo 2.23.133.5.4.1.1 (two fwids,\n"
	"  then flags) and the NV_GPU_CC_DRIVER_ RIM id. A --driver-version before 550\n"
	"  (e.g. 535.104.05) reports no FWID in the opaque data, as those drivers do.\n"
	"--copy-engine offload: channel writes are authenticated but not decrypted on\n"
	"  the host's CPUs (a GPU's copy engines would); for benchmarks only.\n"
	"--port 0 (the default) picks a free port; --port-file receives it.\n"
	"--timeout stops a server after SECS seconds (default: run until SIGTERM).\n"
	"Exit status: 0 success, 1 failure, 2 usage error.\n";

enum {
	OPT_OUT = 256,
	OPT_GPUS,
	OPT_OCSP_URL,
	OPT_DRIVER,
	OPT_VBIOS,
	OPT_FAULT,
	OPT_SOCKET,
	OPT_STATE,
	OPT_DIR,
	OPT_PORT,
	OPT_PORT_FILE,
	OPT_TIMEOUT,
	OPT_COPY_ENGINE,
	OPT_HELP,
	OPT_ARCH,
	OPT_SWITCHES,
	OPT_NONCE
};

static const struct option long_opts[] = {
	{"out", required_argument, NULL, OPT_OUT},
	{"gpus", required_argument, NULL, OPT_GPUS},
	{"ocsp-url", required_argument, NULL, OPT_OCSP_URL},
	{"driver-version", required_argument, NULL, OPT_DRIVER},
	{"vbios-version", required_argument, NULL, OPT_VBIOS},
	{"fault", required_argument, NULL, OPT_FAULT},
	{"socket", required_argument, NULL, OPT_SOCKET},
	{"state", required_argument, NULL, OPT_STATE},
	{"dir", required_argument, NULL, OPT_DIR},
	{"port", required_argument, NULL, OPT_PORT},
	{"port-file", required_argument, NULL, OPT_PORT_FILE},
	{"timeout", required_argument, NULL, OPT_TIMEOUT},
	{"copy-engine", required_argument, NULL, OPT_COPY_ENGINE},
	{"help", no_argument, NULL, OPT_HELP},
	{"arch", required_argument, NULL, OPT_ARCH},
	{"switches", required_argument, NULL, OPT_SWITCHES},
	{"nonce", required_argument, NULL, OPT_NONCE},
	{NULL, 0, NULL, 0},
};

/*
 * CMD --help: the command's own block of the usage above (its synopsis, from
 * "  CMD " to the next command) as "usage: ccgpu-gpusim CMD ...", then the
 * notes after the command list; false for a command the usage does not list.
 */
static bool command_usage(const char *cmd)
{
	const char *list = strstr(usage, "commands:\n"), *notes = strstr(usage, "\n\nfaults");
	size_t n = strlen(cmd);

	for (const char *line = list; line != NULL && line < notes; line = strchr(line, '\n')) {
		line++;
		if (strncmp(line, "  ", 2) != 0 || strncmp(line + 2, cmd, n) != 0 || line[2 + n] != ' ')
			continue;
		/* the block ends where the next line indented by two (another command) starts */
		const char *end = line + 2;

		while ((end = strchr(end, '\n')) != NULL && end < notes && strncmp(end + 1, "   ", 3) == 0)
			end++;
		printf("usage: ccgpu-gpusim %.*s\n%s", (int)(end - line - 2), line + 2, notes + 1);
		return true;
	}
	return false;
}

static int fail(const char *cmd, const struct ccg_error *err)
{
	char buf[CCG_ERROR_WHERE_MAX + CCG_ERROR_DETAIL_MAX + 64];

	fprintf(stderr, "ccgpu-gpusim: %s: %s\n", cmd, ccg_error_format(err, buf, sizeof(buf)));
	return 1;
}

static int usage_error(const char *cmd, const char *what)
{
	fprintf(stderr, "ccgpu-gpusim: %s: %s (see ccgpu-gpusim --help)\n", cmd, what);
	return 2;
}

static bool parse_num(const char *s, unsigned max, unsigned *out)
{
	char *end = NULL;
	unsigned long v = strtoul(s, &end, 10);

	if (s[0] == '\0' || s[0] == '-' || *end != '\0' || v > max)
		return false;
	*out = (unsigned)v;
	return true;
}

int main(int argc, char **argv)
{
	struct gpusim_pki_opts pki = {.gpus = 1};
	const char *cmd, *out = NULL, *sock = NULL, *state = NULL, *dir = NULL, *port_file = NULL, *nonce_hex = NULL;
	unsigned port = 0, timeout = 0;
	struct gpusim_fault faults[GPUSIM_MAX_FAULTS];
	size_t num_faults = 0;
	enum gpusim_copy_engine ce = GPUSIM_CE_HOST;
	bool ce_set = false;
	struct ccg_error err;
	int c;

	ccg_error_clear(&err);
	if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "help") == 0) {
		fputs(usage, argc < 2 ? stderr : stdout);
		return argc < 2 ? 2 : 0;
	}
	cmd = argv[1];
	if (strcmp(cmd, "version") == 0 || strcmp(cmd, "--version") == 0) {
		printf("ccgpu-gpusim %s\n", CCGPU_VERSION);
		return 0;
	}
	optind = 2;
	while ((c = getopt_long(argc, argv, "", long_opts, NULL)) != -1) {
		switch (c) {
		case OPT_OUT: out = optarg; break;
		case OPT_GPUS:
			if (!parse_num(optarg, GPUSIM_MAX_GPUS, &pki.gpus) || pki.gpus == 0)
				return usage_error(cmd, "--gpus takes 1..16");
			break;
		case OPT_OCSP_URL: pki.ocsp_url = optarg; break;
		case OPT_SWITCHES:
			if (!parse_num(optarg, GPUSIM_MAX_SWITCHES, &pki.switches))
				return usage_error(cmd, "--switches takes 0..8");
			break;
		case OPT_NONCE: nonce_hex = optarg; break;
		case OPT_ARCH:
			if (strcmp(optarg, "HOPPER") != 0 && strcmp(optarg, "BLACKWELL") != 0)
				return usage_error(cmd, "--arch takes HOPPER or BLACKWELL");
			pki.arch = optarg;
			break;
		case OPT_DRIVER: pki.driver_version = optarg; break;
		case OPT_VBIOS: pki.vbios_version = optarg; break;
		case OPT_FAULT:
			if (num_faults >= GPUSIM_MAX_FAULTS)
				return usage_error(cmd, "too many --fault");
			if (gpusim_fault_parse(optarg, &faults[num_faults], &err) != CCG_OK)
				return fail(cmd, &err);
			num_faults++;
			break;
		case OPT_SOCKET: sock = optarg; break;
		case OPT_STATE: state = optarg; break;
		case OPT_DIR: dir = optarg; break;
		case OPT_PORT:
			if (!parse_num(optarg, 65535, &port))
				return usage_error(cmd, "--port takes 0..65535");
			break;
		case OPT_PORT_FILE: port_file = optarg; break;
		case OPT_TIMEOUT:
			if (!parse_num(optarg, 86400, &timeout))
				return usage_error(cmd, "--timeout takes 0..86400 seconds");
			break;
		case OPT_COPY_ENGINE:
			if (gpusim_copy_engine_parse(optarg, &ce, &err) != CCG_OK)
				return fail(cmd, &err);
			ce_set = true;
			break;
		case OPT_HELP: return command_usage(cmd) ? 0 : usage_error(cmd, "unknown command");
		default: return usage_error(cmd, "unknown option");
		}
	}
	if (ce_set && strcmp(cmd, "serve") != 0)
		return usage_error(cmd, "--copy-engine belongs to serve");
	if (optind != argc)
		return usage_error(cmd, "unexpected argument");
	gpusim_serve_signals();
	if (strcmp(cmd, "pki") == 0) {
		if (out == NULL)
			return usage_error(cmd, "--out DIR is required");
		for (size_t i = 0; i < num_faults; i++) {
			if (!gpusim_fault_is_pki(faults[i].kind))
				return usage_error(cmd, "that fault belongs to serve");
			pki.faults[pki.num_faults++] = faults[i];
		}
		if (gpusim_pki_generate(out, &pki, &err) != CCG_OK)
			return fail(cmd, &err);
		return 0;
	}
	if (strcmp(cmd, "evidence") == 0) {
		struct gpusim *s = NULL;
		uint8_t nonce[32];
		char *json = NULL;
		int rc = 0;

		if (state == NULL || out == NULL || nonce_hex == NULL)
			return usage_error(cmd, "--state DIR, --nonce HEX and --out FILE are required");
		if (ccg_hex_decode_fixed(nonce_hex, strlen(nonce_hex), nonce, sizeof(nonce)) != CCG_OK)
			return usage_error(cmd, "--nonce takes 64 hex digits");
		if (gpusim_load(state, &s, &err) != CCG_OK)
			return fail(cmd, &err);
		for (size_t i = 0; i < num_faults && rc == 0; i++)
			if (gpusim_add_fault(s, &faults[i], &err) != CCG_OK)
				rc = fail(cmd, &err);
		if (rc == 0 && (gpusim_evidence_json(s, nonce, &json, &err) != CCG_OK ||
				ccg_file_write_atomic(out, (const uint8_t *)json, strlen(json), &err) != CCG_OK))
			rc = fail(cmd, &err);
		free(json);
		gpusim_free(s);
		return rc;
	}
	if (strcmp(cmd, "serve") == 0) {
		struct gpusim *s = NULL;
		int rc = 0;

		if (sock == NULL || state == NULL)
			return usage_error(cmd, "--socket PATH and --state DIR are required");
		if (gpusim_load(state, &s, &err) != CCG_OK)
			return fail(cmd, &err);
		gpusim_set_copy_engine(s, ce);
		for (size_t i = 0; i < num_faults && rc == 0; i++)
			if (gpusim_add_fault(s, &faults[i], &err) != CCG_OK)
				rc = fail(cmd, &err);
		if (rc == 0 && gpusim_serve_socket(s, sock, timeout, &err) != CCG_OK)
			rc = fail(cmd, &err);
		gpusim_free(s);
		return rc;
	}
	if (strcmp(cmd, "serve-rims") == 0 || strcmp(cmd, "serve-ocsp") == 0) {
		bool rims = strcmp(cmd, "serve-rims") == 0;
		const char *d = rims ? dir : state;

		if (d == NULL)
			return usage_error(cmd, rims ? "--dir DIR is required" : "--state DIR is required");
		if (num_faults != 0)
			return usage_error(cmd, "faults belong to pki and serve");
		if (gpusim_serve_http(rims ? "rims" : "ocsp", d, port, port_file, timeout, &err) != CCG_OK)
			return fail(cmd, &err);
		return 0;
	}
	return usage_error(cmd, "unknown command");
}
