/* SPDX-License-Identifier: Apache-2.0 */
/* gpusim's compute engine: the int8 MLP a RUN message asks for (compute.h). */
#include "gpusim/compute.h"

#include <string.h>

#include "common/cursor.h"
#include "common/writer.h"

struct layer {
	uint64_t offset;
	uint16_t rows, cols;
	uint8_t shift;
};

static enum ccg_status parse(const uint8_t *cmd, size_t cmd_len, uint64_t mem_len, struct layer *ls, unsigned *n,
			     unsigned *batch, struct ccg_cursor *input, struct ccg_error *err)
{
	struct ccg_cursor c;
	uint8_t kind = 0, count = 0;
	uint16_t word = 0;

	ccg_cursor_init(&c, cmd, cmd_len);
	if (!ccg_cursor_get_u8(&c, &kind) || !ccg_cursor_get_u8(&c, &count) || !ccg_cursor_get_u16le(&c, &word))
		return ccg_error_set(err, CCG_ERR_TRUNCATED, "gpusim.run", "header");
	if (kind != GPUSIM_RUN_MLP && kind != GPUSIM_RUN_MLP_BATCH)
		return ccg_error_set(err, CCG_ERR_MALFORMED, "gpusim.run.kind",
				     "kind %u (%u: int8 MLP, %u: int8 MLP over a batch)", kind, GPUSIM_RUN_MLP,
				     GPUSIM_RUN_MLP_BATCH);
	if (count == 0 || count > GPUSIM_RUN_MAX_LAYERS)
		return ccg_error_set(err, CCG_ERR_MALFORMED, "gpusim.run.layers", "%u layers (1..%d)", count,
				     GPUSIM_RUN_MAX_LAYERS);
	if (kind == GPUSIM_RUN_MLP && word != 0)
		return ccg_error_set(err, CCG_ERR_MALFORMED, "gpusim.run.reserved", "non-zero");
	if (kind == GPUSIM_RUN_MLP_BATCH && (word == 0 || word > GPUSIM_RUN_MAX_BATCH))
		return ccg_error_set(err, CCG_ERR_MALFORMED, "gpusim.run.batch", "%u vectors (1..%d)", word,
				     GPUSIM_RUN_MAX_BATCH);
	*batch = kind == GPUSIM_RUN_MLP ? 1 : word;
	for (unsigned i = 0; i < count; i++) {
		struct layer *l = &ls[i];
		uint8_t res[3];
		struct ccg_cursor rv;

		if (!ccg_cursor_get_u64le(&c, &l->offset) || !ccg_cursor_get_u16le(&c, &l->rows) ||
		    !ccg_cursor_get_u16le(&c, &l->cols) || !ccg_cursor_get_u8(&c, &l->shift) ||
		    !ccg_cursor_get_bytes(&c, &rv, sizeof(res)))
			return ccg_error_set(err, CCG_ERR_TRUNCATED, "gpusim.run", "layer %u", i);
		memcpy(res, rv.data, sizeof(res));
		if (res[0] != 0 || res[1] != 0 || res[2] != 0)
			return ccg_error_set(err, CCG_ERR_MALFORMED, "gpusim.run.layer.reserved", "layer %u: non-zero",
					     i);
		if (l->rows == 0 || l->cols == 0 || l->rows > GPUSIM_RUN_MAX_DIM || l->cols > GPUSIM_RUN_MAX_DIM)
			return ccg_error_set(err, CCG_ERR_MALFORMED, "gpusim.run.layer.dims", "layer %u: %ux%u (1..%d)",
					     i, l->rows, l->cols, GPUSIM_RUN_MAX_DIM);
		if (l->shift > 31 || (i + 1 == count && l->shift != 0))
			return ccg_error_set(err, CCG_ERR_MALFORMED, "gpusim.run.layer.shift",
					     "layer %u: shift %u (hidden 0..31, last 0)", i, l->shift);
		if (i > 0 && l->cols != ls[i - 1].rows)
			return ccg_error_set(err, CCG_ERR_MALFORMED, "gpusim.run.layer.cols",
					     "layer %u takes %u inputs, layer %u gives %u", i, l->cols, i - 1,
					     ls[i - 1].rows);
		if (l->offset > mem_len || (uint64_t)l->rows * l->cols > mem_len - l->offset)
			return ccg_error_set(err, CCG_ERR_MALFORMED, "gpusim.run.layer.offset",
					     "layer %u: %ux%u at %llu beyond %llu bytes of device memory", i, l->rows,
					     l->cols, (unsigned long long)l->offset, (unsigned long long)mem_len);
	}
	if (!ccg_cursor_get_bytes(&c, input, (size_t)*batch * ls[0].cols))
		return ccg_error_set(err, CCG_ERR_TRUNCATED, "gpusim.run.input", "%u x %u int8 inputs", *batch,
				     ls[0].cols);
	if (c.len != 0)
		return ccg_error_set(err, CCG_ERR_TRAILING_DATA, "gpusim.run", "%zu bytes after the input", c.len);
	*n = count;
	return CCG_OK;
}

size_t gpusim_compute_layer(uint8_t out[GPUSIM_RUN_LAYER_LEN], uint64_t offset, uint16_t rows, uint16_t cols,
			    uint8_t shift)
{
	struct ccg_writer w;

	ccg_writer_init_fixed(&w, out, GPUSIM_RUN_LAYER_LEN);
	/* 16 bytes into 16: cannot fail */
	(void)(ccg_writer_put_u64le(&w, offset) && ccg_writer_put_u16le(&w, rows) && ccg_writer_put_u16le(&w, cols) &&
	       ccg_writer_put_u8(&w, shift) && ccg_writer_put_zeros(&w, 3));
	return GPUSIM_RUN_LAYER_LEN;
}

enum ccg_status gpusim_compute_run(const uint8_t *mem, uint64_t mem_len, const uint8_t *cmd, size_t cmd_len,
				   uint8_t *out, size_t cap, size_t *out_len, struct ccg_error *err)
{
	struct layer ls[GPUSIM_RUN_MAX_LAYERS];
	int8_t x[GPUSIM_RUN_MAX_DIM], h[GPUSIM_RUN_MAX_DIM];
	struct ccg_cursor in;
	unsigned n = 0, batch = 0;
	size_t rows_out;
	enum ccg_status st;

	*out_len = 0;
	if ((st = parse(cmd, cmd_len, mem_len, ls, &n, &batch, &in, err)) != CCG_OK)
		return st;
	rows_out = (size_t)ls[n - 1].rows;
	if (rows_out * 4 * batch > cap)
		return ccg_error_set(err, CCG_ERR_TOO_LARGE, "gpusim.run.output",
				     "%u x %zu int32 outputs, room for %zu bytes", batch, rows_out, cap);
	for (unsigned v = 0; v < batch; v++) {
		uint8_t *o = out + (size_t)v * rows_out * 4;

		memcpy(x, in.data + (size_t)v * ls[0].cols, ls[0].cols);
		for (unsigned k = 0; k < n; k++) {
			const int8_t *w = (const int8_t *)(mem + ls[k].offset);

			for (unsigned i = 0; i < ls[k].rows; i++) {
				int32_t acc = 0;

				for (unsigned j = 0; j < ls[k].cols; j++)
					acc += (int32_t)w[(size_t)i * ls[k].cols + j] * x[j];
				if (k + 1 < n) {
					int32_t r = acc < 0 ? 0 : acc >> ls[k].shift;

					h[i] = (int8_t)(r > 127 ? 127 : r);
				} else {
					uint32_t u = (uint32_t)acc;

					for (int b = 0; b < 4; b++)
						o[(size_t)i * 4 + (size_t)b] = (uint8_t)(u >> (8 * b));
				}
			}
			if (k + 1 < n)
				memcpy(x, h, ls[k].rows);
		}
	}
	*out_len = rows_out * 4 * batch;
	return CCG_OK;
}
