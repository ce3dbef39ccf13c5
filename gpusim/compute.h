/* SPDX-License-Identifier: Apache-2.0 */
/*
 * gpusim's compute engine: what the device runs for a RUN message of the
 * channel's data path (docs/gpusim-transport.md, "Compute"). One kind today:
 * an int8 multilayer perceptron whose weights are already in device memory
 * (written through the channel) and whose input vector arrives in the RUN
 * message; the result goes back sealed as a RESULT message.
 */
#ifndef CCGPU_GPUSIM_COMPUTE_H
#define CCGPU_GPUSIM_COMPUTE_H

#include <stddef.h>
#include <stdint.h>

#include "ccgpu/status.h"
#include "common/error.h"

#define GPUSIM_RUN_MLP 1       /* one input vector; header bytes 2..3 reserved (0) */
#define GPUSIM_RUN_MLP_BATCH 2 /* (branch prompt) header bytes 2..3: the number of input vectors, u16 LE */
#define GPUSIM_RUN_MAX_BATCH 4096
#define GPUSIM_RUN_MAX_LAYERS 8
#define GPUSIM_RUN_MAX_DIM 4096 /* rows and columns of a layer */
#define GPUSIM_RUN_LAYER_LEN 16 /* offset u64 | rows u16 | cols u16 | shift u8 | 3 reserved */

/*
 * gpusim_compute_run: parses the RUN command cmd (cmd_len bytes) and runs it
 * over mem (mem_len bytes of device memory): for each layer, acc = W x in
 * int32 with W the layer's rows x cols int8 matrix (row-major) at offset;
 * a hidden layer passes on min(max(acc, 0) >> shift, 127) as int8, the last
 * one returns acc as int32 LE, rows of them, in out (cap bytes), *out_len
 * their length. A batched command (GPUSIM_RUN_MLP_BATCH, 1..GPUSIM_RUN_MAX_BATCH
 * vectors of layer 0's cols bytes each, one after the other) runs the same
 * network on each vector and returns the results in the same order, batch x
 * rows int32. Errors (nothing is computed before the whole command is
 * checked), err->where naming the field: CCG_ERR_TRUNCATED / _TRAILING_DATA
 * ("gpusim.run"), CCG_ERR_MALFORMED ("gpusim.run.kind", ".batch", ".layers",
 * ".layer[i].dims", ".layer[i].shift", ".layer[i].reserved",
 * ".layer[i].cols": not the previous layer's rows, ".layer[i].offset": the
 * matrix reaches beyond device memory), CCG_ERR_TOO_LARGE ("gpusim.run.output":
 * more than cap bytes). Thread-safe; reads mem only.
 */
/*
 * gpusim_compute_layer (branch prompt): writes one layer descriptor of a
 * RUN command (offset u64, rows u16, cols u16, shift u8, 3 zero bytes, all
 * little-endian) at out; returns GPUSIM_RUN_LAYER_LEN. Values are written as
 * given: gpusim_compute_run is what checks them.
 */
size_t gpusim_compute_layer(uint8_t out[GPUSIM_RUN_LAYER_LEN], uint64_t offset, uint16_t rows, uint16_t cols,
			    uint8_t shift);

CCG_MUST_USE enum ccg_status gpusim_compute_run(const uint8_t *mem, uint64_t mem_len, const uint8_t *cmd,
						size_t cmd_len, uint8_t *out, size_t cap, size_t *out_len,
						struct ccg_error *err);

#endif
