/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The interface of every fuzz target. A target defines ccg_fuzz_verdict; the
 * libFuzzer entry point (fuzz_entry.c) and the corpus replay (replay.c) both
 * call it. It returns the target's verdict on one input: CCG_OK when the
 * input was accepted by every stage the target runs, otherwise the
 * enum ccg_status of the first refusal. It aborts when an accepted input
 * breaks an invariant of the parser, so a crash, a sanitizer report or an
 * abort is a bug whatever the verdict. replay.c compares the verdict of each
 * seed with the corpus manifest tests/fuzz/expect/<target>.expect.
 */
#ifndef CCGPU_TESTS_FUZZ_H
#define CCGPU_TESTS_FUZZ_H

#include <stddef.h>
#include <stdint.h>

int ccg_fuzz_verdict(const uint8_t *data, size_t size);

/*
 * ccg_fuzz_init: optional; a target that needs the shared testdata loads it
 * here, once, before any input. Returns 0, or 77 when the testdata is absent
 * (the replay then skips the whole target, or fails under CI=true; libFuzzer
 * stops).
 */
int ccg_fuzz_init(void) __attribute__((weak));

/* fuzz_support.c: fixtures several targets share */
/* the PEM public key of keys/tpm-ak.pem, the TPM attestation key the CPU targets trust */
extern const char ccg_fuzz_tpm_ak_pem[];
/* that key, parsed once (borrowed; never NULL: aborts) */
struct evp_pkey_st *ccg_fuzz_tpm_ak(void);
/* NVIDIA's RIM root built into the library, parsed once (never NULL: aborts) */
struct x509_st *ccg_fuzz_rim_root(void);
/* $CCGPU_TESTDATA/rel read whole (malloc'd, NUL added), or NULL when absent */
uint8_t *ccg_fuzz_testdata(const char *rel, size_t *len);

#endif
