/* SPDX-License-Identifier: Apache-2.0 */
/*
 * swtpm, the TPM 2.0 simulator, started on loopback for a test: its state in
 * a fresh temp dir, the server on a port the kernel chose, the control
 * channel on the next one (tpm2-tss's swtpm TCTI takes one port).
 */
#ifndef CCGPU_TESTS_SWTPM_H
#define CCGPU_TESTS_SWTPM_H

#include <stdbool.h>
#include <sys/types.h>

struct ts_swtpm {
	pid_t pid;
	int port;
	char *dir;       /* its state (removed by ts_swtpm_stop) */
	char tcti[128];  /* "swtpm:host=127.0.0.1,port=N" */
};

/*
 * ts_swtpm_require: without swtpm on PATH, fails under CI=true (exit 1) and
 * otherwise skips the whole TAP program (plan 1..0, exit 0).
 */
void ts_swtpm_require(void);
/* ts_swtpm_start: a fresh swtpm with empty state; 0, or -1 when it did not listen on any port tried. */
int ts_swtpm_start(struct ts_swtpm *t);
/* ts_swtpm_stop: SIGTERM, reap, remove the state; safe on a stopped or never-started one. */
void ts_swtpm_stop(struct ts_swtpm *t);

#endif
