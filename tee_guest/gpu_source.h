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

#define CCG_GPU_SOURCE_TIMEOUT_MS 5000

/*
 * ccg_gpu_source_gpusim_collect: connects to the gpusim socket at path and
 * appends every GPU's evidence over nonce to ev (arch HOPPER). Each read and
 * write is bounded by CCG_GPU_SOURCE_TIMEOUT_MS. Connection failures:
 * CCG_ERR_IO; a device ERROR frame: its status; replies of the wrong type
 * or shape: CCG_ERR_MALFORMED. Errors name the GPU ("gpusim.gpu[1]...").
 */
CCG_MUST_USE enum ccg_status ccg_gpu_source_gpusim_collect(const char *path, const uint8_t nonce[CCG_GPU_NONCE_LEN],
							   struct ccg_gpu_evidence *ev, struct ccg_error *err);

#endif
