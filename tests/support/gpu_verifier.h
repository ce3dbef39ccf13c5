/* SPDX-License-Identifier: Apache-2.0 */
/* A GPU verifier for tests that look at everything but the network. */
#ifndef CCGPU_TESTS_GPU_VERIFIER_H
#define CCGPU_TESTS_GPU_VERIFIER_H

#include "ccgpu/attest.h"

/*
 * tv_gpu_verifier_offline: a GPU verifier with no network, no revocation
 * (OCSP off) and no reference values (RIMs skipped), or fails the test.
 * Free it with ccg_gpu_verifier_free.
 */
struct ccg_gpu_verifier *tv_gpu_verifier_offline(void);

/*
 * tv_gpu_verifier_gpusim: a GPU verifier that trusts the device root and RIM
 * root of the ccgpu-gpusim device set in dir and reads its RIMs from
 * dir/rims; offline, OCSP off. Fails the test on error.
 */
struct ccg_gpu_verifier *tv_gpu_verifier_gpusim(const char *dir);

#endif
