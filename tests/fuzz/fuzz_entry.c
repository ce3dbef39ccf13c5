/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The libFuzzer entry points of every target: the verdict is computed and
 * dropped (crashes and aborts are the findings).
 */
#include "fuzz.h"

#include <stdio.h>
#include <stdlib.h>

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	if (ccg_fuzz_init != NULL && ccg_fuzz_init() != 0) {
		fprintf(stderr, "this target needs the shared testdata ($CCGPU_TESTDATA)\n");
		exit(1);
	}
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	(void)ccg_fuzz_verdict(data, size);
	return 0;
}
