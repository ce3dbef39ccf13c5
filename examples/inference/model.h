/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The sealed model file of the confidential inference example: an int8
 * multilayer perceptron (the model gpusim computes, docs/gpusim-transport.md
 * "Compute") whose weights are AES-256-GCM-encrypted under the model owner's
 * 32-byte model key, with a header naming the model's shape in the AAD.
 * Built on OpenSSL and the public ccgpu API only (struct ccg_error,
 * enum ccg_status), as an application would be. Layout, little-endian:
 *
 *   off        size        field
 *   0          8           magic "CCGMODL1"
 *   8          1           version (1)
 *   9          1           layers L (1..MODEL_MAX_LAYERS)
 *   10         2           reserved, 0
 *   12         8 x L       per layer: rows u16, cols u16 (each 1..MODEL_MAX_DIM),
 *                          shift u8 (0..31 for a hidden layer, 0 for the last),
 *                          3 reserved zero bytes; cols of layer i = rows of layer i-1
 *   12+8L      12          GCM nonce (random)
 *   24+8L      N           ciphertext: the weights, layer 0 (rows x cols int8,
 *                          row-major), then layer 1, ...; N = sum rows x cols
 *   24+8L+N    16          GCM tag
 *
 * The AAD is bytes 0 .. 24+8L (header and nonce): a changed shape, nonce,
 * weight or tag is refused by the tag, a short or long file by its size,
 * before anything is decrypted. Limits: N <= MODEL_MAX_WEIGHTS, the last
 * layer's rows <= MODEL_MAX_OUTPUTS.
 */
#ifndef CCGPU_EXAMPLE_MODEL_H
#define CCGPU_EXAMPLE_MODEL_H

#include <ccgpu/ccgpu.h>
#include <stddef.h>
#include <stdint.h>

#define MODEL_MAGIC "CCGMODL1"
#define MODEL_VERSION 1
#define MODEL_MAX_LAYERS 8
#define MODEL_MAX_DIM 4096
#define MODEL_MAX_WEIGHTS (16u << 20)
#define MODEL_MAX_OUTPUTS 1024
#define MODEL_KEY_LEN 32
#define MODEL_NONCE_LEN 12
#define MODEL_TAG_LEN 16
#define MODEL_MAX_FILE (12 + 8 * MODEL_MAX_LAYERS + MODEL_NONCE_LEN + MODEL_MAX_WEIGHTS + MODEL_TAG_LEN)

struct model_layer {
	uint16_t rows, cols;
	uint8_t shift;
};

struct model_shape {
	uint8_t layers;
	struct model_layer layer[MODEL_MAX_LAYERS];
};

/* The decrypted model: its shape and weights, in locked memory that is never dumped and is wiped on free. */
struct model {
	struct model_shape shape;
	uint8_t *weights; /* sum rows x cols int8, layer after layer */
	size_t weights_len;
	size_t mapped; /* bytes mapped for weights */
};

/*
 * model_shape_parse: a shape "ROWSxCOLS/SHIFT,ROWSxCOLS/SHIFT,..." (layer 0
 * first; the last layer's "/SHIFT" may be left out) checked like the file's
 * header (dims, chaining, shifts, sizes). Errors name "model.shape".
 */
CCG_MUST_USE enum ccg_status model_shape_parse(const char *s, struct model_shape *out, struct ccg_error *err);
/* model_shape_weights: the number of weight bytes of a checked shape. */
size_t model_shape_weights(const struct model_shape *shape);

/*
 * model_seal: the sealed file of the weights (len must be the shape's
 * weight count) under key (MODEL_KEY_LEN bytes) with a fresh random nonce;
 * *out malloc'd (the caller frees it).
 */
CCG_MUST_USE enum ccg_status model_seal(const struct model_shape *shape, const uint8_t *weights, size_t len,
					const uint8_t *key, size_t key_len, uint8_t **out, size_t *out_len,
					struct ccg_error *err);
/*
 * model_open: checks the header field by field, the file's size, then
 * decrypts and authenticates the weights under key into *m (locked memory).
 * Errors, each naming its field: CCG_ERR_TRUNCATED "model.header" / "model.size",
 * CCG_ERR_TRAILING_DATA "model.size", CCG_ERR_MALFORMED "model.magic",
 * "model.reserved", "model.layers", "model.layer[i].dims" / ".cols" /
 * ".shift" / ".reserved", CCG_ERR_UNSUPPORTED "model.version",
 * CCG_ERR_TOO_LARGE "model.weights" / "model.outputs", CCG_ERR_INVALID_ARG
 * "model.key" (not 32 bytes), CCG_ERR_MAC "model.tag" (altered, or another
 * key). Nothing is left in *m on failure. Free with model_cleanup.
 */
CCG_MUST_USE enum ccg_status model_open(const uint8_t *file, size_t len, const uint8_t *key, size_t key_len,
					struct model *m, struct ccg_error *err);
/* model_cleanup: wipes and unmaps the weights; a zeroed or cleaned model is allowed. */
void model_cleanup(struct model *m);

/*
 * The prompt and the answer (docs/guest.md, "The inference example"):
 * model_input: the int8 input vector of cols bytes from a prompt: input[i]
 * = (XOR of the prompt bytes at positions p with p mod cols = i) AND 0x7f
 * (0 where no byte falls). model_answer: the text of the output scores, one
 * character per output: MODEL_ALPHABET[score mod 32] (the score's low five
 * bits, two's complement); out holds n + 1 bytes (NUL-terminated).
 */
#define MODEL_ALPHABET "abcdefghijklmnopqrstuvwxyz234567"
void model_input(const uint8_t *prompt, size_t len, int8_t *input, size_t cols);
void model_answer(const int32_t *scores, size_t n, char *out);

/*
 * model_run_cmd: the compute command (docs/gpusim-transport.md "Compute")
 * for the model whose weights lie at device offset base, over input (cols
 * of layer 0 bytes), into cmd (cap bytes); its length in *out_len.
 */
CCG_MUST_USE enum ccg_status model_run_cmd(const struct model_shape *shape, uint64_t base, const int8_t *input,
					   uint8_t *cmd, size_t cap, size_t *out_len, struct ccg_error *err);

#endif
