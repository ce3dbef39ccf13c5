/* SPDX-License-Identifier: Apache-2.0 */
/*
 * swtpm, a real TPM 2.0 simulator, for the tests that quote with a vTPM
 * (test_vtpm, test_guest): started on a free loopback port pair, an AK
 * created and persisted in it, and the AK's public key read back from the
 * TPM itself (what a verifier is configured with). Functions fail the test
 * (cmocka) on error.
 */
#ifndef CCGPU_TESTS_SWTPM_H
#define CCGPU_TESTS_SWTPM_H

#include <openssl/evp.h>
#include <stdint.h>
#include <sys/types.h>

struct ts_swtpm {
	pid_t pid;
	int port;          /* the server port; control is port + 1 */
	char *state_dir;
	char tcti[128];    /* "swtpm:host=127.0.0.1,port=N" */
	uint32_t ak_created; /* the handle create_ak persisted, 0 before */
};

/*
 * ts_swtpm_start: swtpm on loopback; 0 once it listens, -1 when it did not
 * start. Without swtpm installed: fails under CI=true (-1), else prints the
 * TAP skip plan and exits 0.
 */
int ts_swtpm_start(struct ts_swtpm *t);
/*
 * ts_swtpm_require: without swtpm on PATH, fails under CI=true (exit 1) and
 * otherwise skips the whole TAP program (plan 1..0, exit 0).
 */
void ts_swtpm_require(void);
/* ts_swtpm_stop: SIGTERM, reap, remove the state. */
void ts_swtpm_stop(struct ts_swtpm *t);
/* ts_swtpm_create_ak: a restricted RSA-2048 RSASSA-SHA256 AK under the owner hierarchy, persisted at handle (once). */
void ts_swtpm_create_ak(struct ts_swtpm *t, uint32_t handle);
/* ts_swtpm_ak: the AK at handle read from the TPM (TPM2_ReadPublic), created first if needed; the caller frees it. */
EVP_PKEY *ts_swtpm_ak(struct ts_swtpm *t, uint32_t handle);
/* ts_swtpm_ak_pem: that AK written as dir/ak.pem; returns the path (a static buffer). */
const char *ts_swtpm_ak_pem(struct ts_swtpm *t, uint32_t handle, const char *dir);

#endif
