/* SPDX-License-Identifier: Apache-2.0 */
/* The GPU evidence list behind the public struct ccg_gpu_evidence. */
#ifndef CCGPU_ATTEST_NVGPU_EVIDENCE_H
#define CCGPU_ATTEST_NVGPU_EVIDENCE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "attest/gpu/nvgpu_golden.h"
#include "ccgpu/attest.h"

#define CCG_GPU_REPORT_MAX (64u * 1024)
#define CCG_GPU_CHAIN_MAX (64u * 1024)
#define CCG_GPU_EVIDENCE_JSON_MAX (2u * 1024 * 1024)

struct ccg_gpu_item {
	enum ccg_nvgpu_arch arch;
	uint8_t *report;
	size_t report_len;
	uint8_t *chain_pem;
	size_t chain_len;
};

struct ccg_gpu_evidence {
	size_t count;
	struct ccg_gpu_item items[CCG_GPU_MAX_DEVICES];
	bool has_nonce;
	uint8_t nonce[CCG_GPU_NONCE_LEN];
};

/* ccg_nvgpu_arch_parse: "HOPPER" / "BLACKWELL" / "LS10" (NVSwitch) (case-insensitive). */
CCG_MUST_USE enum ccg_status ccg_nvgpu_arch_parse(const char *s, enum ccg_nvgpu_arch *out);
/* ccg_nvgpu_arch_name: "HOPPER" / "BLACKWELL" / "LS10". */
const char *ccg_nvgpu_arch_name(enum ccg_nvgpu_arch a);

#endif
