/* SPDX-License-Identifier: Apache-2.0 */
/*
 * GPU evidence sources for the guest. The gpusim source talks to a
 * ccgpu-gpusim device over its UNIX socket (docs/gpusim-transport.md) the
 * way NVML talks to a GPU: for every GPU, the PEM device chain and the
 * attestation report (GET_MEASUREMENTS request || MEASUREMENTS response)
 * over the caller's nonce. (The NVML source comes with the CPU TEE work.)
 */
#ifndef CCGPU_TEE_GUEST_GPU_SOURCE_H
#define CCGPU_TEE_GUEST_GPU_SOURCE_H

#include <stddef.h>
#include <stdint.h>

#include "ccgpu/attest.h"
#include "ccgpu/guest.h"

#define CCG_GPU_SOURCE_TIMEOUT_MS 5000

/* ccg_gpu_source_gpusim_collect: in ccgpu/guest.h (exported, branch api). */

#endif
