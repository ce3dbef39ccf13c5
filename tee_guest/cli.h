/* SPDX-License-Identifier: Apache-2.0 */
/* Shared pieces of the ccgpu command-line tool. */
#ifndef CCGPU_TEE_GUEST_CLI_H
#define CCGPU_TEE_GUEST_CLI_H

#include <stddef.h>
#include <stdint.h>

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

int cmd_verify_gpu(int argc, char **argv);
int cmd_collect_gpu(int argc, char **argv);
/* CPU TEE and composite evidence (cmd_collect.c, cmd_verify_cpu.c) */
int cmd_collect(int argc, char **argv);
int cmd_verify_cpu(int argc, char **argv);
int cmd_verify_composite(int argc, char **argv);

#endif
