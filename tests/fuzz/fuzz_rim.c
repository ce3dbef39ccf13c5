/* SPDX-License-Identifier: Apache-2.0 */
/*
 * libFuzzer target for NVIDIA RIMs: ccg_rim_parse on any bytes and, when
 * they parse, ccg_rim_verify (XML-DSig with xmlsec1, then the chain) against
 * the NVIDIA RIM root read at start-up from $CCGPU_TESTDATA; without it,
 * verification is skipped.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "attest/rim.h"
#include "common/crypto.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static X509 *rim_root;

static void free_root(void)
{
	X509_free(rim_root);
	rim_root = NULL;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	const char *dir = getenv("CCGPU_TESTDATA");
	char path[4096];
	STACK_OF(X509) *sk = NULL;

	(void)argc;
	(void)argv;
	if (dir == NULL)
		return 0;
	snprintf(path, sizeof(path), "%s/nvidia/roots/nvidia_rim_root.pem", dir);
	if (ccg_pem_certs_load(path, 1, &sk, NULL) != CCG_OK)
		return 0;
	rim_root = sk_X509_shift(sk);
	sk_X509_free(sk);
	atexit(free_root);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ccg_rim *rim = NULL;
	struct ccg_rim_verify_opts opts = {.rim_root = rim_root, .now = 1795305600, .ignore_expiry = true};
	struct ccg_rim_verify_result res;
	struct ccg_error err;

	ccg_error_clear(&err);
	if (ccg_rim_parse(data, size, &rim, &err) != CCG_OK)
		return 0;
	if (rim_root != NULL) {
		ccg_error_clear(&err);
		(void)!ccg_rim_verify(rim, &opts, &res, &err);
	}
	ccg_rim_free(rim);
	return 0;
}
