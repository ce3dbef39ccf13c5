/* SPDX-License-Identifier: Apache-2.0 */
/* Shared pieces of the ccgpu command-line tool. */
#ifndef CCGPU_TEE_GUEST_CLI_H
#define CCGPU_TEE_GUEST_CLI_H

#include <getopt.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ccgpu/attest.h"
#include "ccgpu/status.h"

/* Exit statuses of every ccgpu command. */
enum {
	CLI_EXIT_OK = 0,       /* the check passed */
	CLI_EXIT_REFUSED = 1,  /* the evidence was appraised and did not pass */
	CLI_EXIT_USAGE = 2,    /* bad arguments or unreadable input */
};

/* cli_read_input: a file's bytes; hex text (whitespace allowed) is decoded, anything else kept as is. */
CCG_MUST_USE enum ccg_status cli_read_input(const char *path, size_t max, uint8_t **out, size_t *out_len,
					    struct ccg_error *err);
/* cli_fail: prints "ccgpu: <what>: <err>" on one line to stderr; returns code. */
int cli_fail(int code, const char *what, const struct ccg_error *err);
/*
 * cli_warn_skipped: when skipped (CCG_CHECK_* bits) is not 0, prints one line
 * "ccgpu: <what>: warning: not checked: freshness (<fresh_why>), revocation"
 * to stderr: a pass that skipped checks must not read as a full pass.
 */
void cli_warn_skipped(const char *what, uint32_t skipped, const char *fresh_why);

/*
 * The GPU appraisal options shared by verify gpu and verify composite
 * (cli_gpu.c): each command puts CLI_GPU_LONG_OPTIONS in its getopt table,
 * hands every option code it does not know to cli_gpu_opt, calls
 * cli_gpu_opts_finish after parsing and cli_gpu_configure on its verifier.
 */
#define CLI_NVIDIA_RIM_SERVICE "https://rim.attestation.nvidia.com/v1/rim"
#define CLI_NVIDIA_OCSP "https://ocsp.ndis.nvidia.com"
#define CLI_GPU_MAX_OCSP_FILES 16

enum {
	CLI_GPU_OPT_RIM_DIR = 1000, CLI_GPU_OPT_RIM_URL, CLI_GPU_OPT_NO_RIMS, CLI_GPU_OPT_RIM_IGNORE_EXPIRY,
	CLI_GPU_OPT_OCSP, CLI_GPU_OPT_OCSP_URL, CLI_GPU_OPT_OCSP_MAX_AGE, CLI_GPU_OPT_OCSP_RESPONSE,
	CLI_GPU_OPT_OFFLINE, CLI_GPU_OPT_CACHE_DIR, CLI_GPU_OPT_NO_CACHE, CLI_GPU_OPT_DEVICE_ROOT,
	CLI_GPU_OPT_RIM_ROOT,
};

#define CLI_GPU_LONG_OPTIONS                                                             \
	{"rim-dir", required_argument, NULL, CLI_GPU_OPT_RIM_DIR},                       \
	{"rim-url", required_argument, NULL, CLI_GPU_OPT_RIM_URL},                       \
	{"no-rims", no_argument, NULL, CLI_GPU_OPT_NO_RIMS},                             \
	{"rim-ignore-expiry", no_argument, NULL, CLI_GPU_OPT_RIM_IGNORE_EXPIRY},         \
	{"ocsp", required_argument, NULL, CLI_GPU_OPT_OCSP},                             \
	{"ocsp-url", required_argument, NULL, CLI_GPU_OPT_OCSP_URL},                     \
	{"ocsp-max-age", required_argument, NULL, CLI_GPU_OPT_OCSP_MAX_AGE},             \
	{"ocsp-response", required_argument, NULL, CLI_GPU_OPT_OCSP_RESPONSE},           \
	{"offline", no_argument, NULL, CLI_GPU_OPT_OFFLINE},                             \
	{"cache-dir", required_argument, NULL, CLI_GPU_OPT_CACHE_DIR},                   \
	{"no-cache", no_argument, NULL, CLI_GPU_OPT_NO_CACHE},                           \
	{"device-root", required_argument, NULL, CLI_GPU_OPT_DEVICE_ROOT},               \
	{"rim-root", required_argument, NULL, CLI_GPU_OPT_RIM_ROOT}

/* the --help lines for those options (each command states its own defaults after them) */
#define CLI_GPU_USAGE                                                                           \
	"  --device-root PEM    device chain trust anchor (default: NVIDIA Device Identity CA)\n"     \
	"  --rim-root PEM       RIM chain trust anchor (default: NVIDIA RIM root)\n"                  \
	"  --rim-dir DIR        RIMs as DIR/<rim id>.xml\n"                                           \
	"  --rim-url URL        RIM service base URL\n"                                               \
	"  --no-rims            do not compare measurements (measres \"not-checked\")\n"              \
	"  --rim-ignore-expiry  accept expired RIM signing chains (reported as a warning)\n"          \
	"  --ocsp MODE          off, cache (offline: cached or supplied responses) or online\n"       \
	"  --ocsp-url URL       OCSP responder (default " CLI_NVIDIA_OCSP ")\n"                       \
	"  --ocsp-max-age SECS  refuse responses older than this (default: until nextUpdate)\n"       \
	"  --ocsp-response FILE a DER OCSP response to use (repeatable)\n"                            \
	"  --offline            no network at all (--ocsp online is refused)\n"                       \
	"  --cache-dir DIR      where fetched RIMs and OCSP responses are kept\n"                     \
	"                       (default $XDG_CACHE_HOME/ccgpu or ~/.cache/ccgpu)\n"                  \
	"  --no-cache           keep nothing on disk\n"

/* what a command does about an option not given */
struct cli_gpu_defaults {
	enum ccg_gpu_ocsp_mode ocsp;  /* without --ocsp (online becomes cache with --offline) */
	bool nvidia_rim_service;      /* no --rim-dir/--rim-url: NVIDIA's RIM service (unless --offline),
				       * or else compare no measurements */
};

struct cli_gpu_opts {
	const char *rim_dir, *rim_url, *ocsp_url, *cache_dir, *device_root, *rim_root;
	const char *ocsp_files[CLI_GPU_MAX_OCSP_FILES];
	size_t num_ocsp_files;
	enum ccg_gpu_ocsp_mode ocsp;
	bool ocsp_set, no_rims, rim_ignore_expiry, offline, no_cache;
	bool given;                   /* some GPU option was given */
	int64_t ocsp_max_age;
	struct cli_gpu_defaults defaults;
};

/* cli_gpu_opts_init: no option given yet. */
void cli_gpu_opts_init(struct cli_gpu_opts *o, const struct cli_gpu_defaults *d);
/*
 * cli_gpu_opt: takes one getopt result; 0 when it was a GPU option,
 * CLI_EXIT_USAGE (after printing why, "ccgpu: <what>: …") for a bad value,
 * -1 when c is not a GPU option.
 */
int cli_gpu_opt(struct cli_gpu_opts *o, int c, const char *arg, const char *what);
/* cli_gpu_opts_finish: applies the defaults and refuses contradictions; 0 or CLI_EXIT_USAGE. */
int cli_gpu_opts_finish(struct cli_gpu_opts *o, const char *what);
/* cli_gpu_configure: trust anchors, cache, RIM sources, OCSP and supplied responses onto v. */
CCG_MUST_USE enum ccg_status cli_gpu_configure(struct ccg_gpu_verifier *v, const struct cli_gpu_opts *o,
					       struct ccg_error *err);

int cmd_verify_gpu(int argc, char **argv);
int cmd_collect_gpu(int argc, char **argv);
/* CPU TEE and composite evidence (cmd_collect.c, cmd_verify_cpu.c) */
int cmd_collect(int argc, char **argv);
int cmd_verify_cpu(int argc, char **argv);
int cmd_verify_composite(int argc, char **argv);
/* EAR attestation-result tokens (cmd_ear.c): ccgpu ear verify */
int cmd_ear(int argc, char **argv);
/* prompt privacy (cmd_client.c, branch ohttp): ccgpu client */
int cmd_client(int argc, char **argv);

#endif
