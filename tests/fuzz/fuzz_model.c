/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Fuzz target: the confidential inference example's sealed model file
 * (examples/inference/model.h), which the operator stores and the server
 * opens inside the TEE: model_open under a fixed 32-byte key (0x42 bytes),
 * as the server calls it. Aborts when an accepted file's weights do not
 * match its shape, or when a refused one leaves weights behind. Verdict:
 * model_open's status.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "examples/inference/model.h"
#include "fuzz.h"

int ccg_fuzz_verdict(const uint8_t *data, size_t size)
{
	uint8_t key[MODEL_KEY_LEN];
	struct model m;
	enum ccg_status st;

	memset(key, 0x42, sizeof(key));
	memset(&m, 0, sizeof(m));
	st = model_open(data, size, key, sizeof(key), &m, NULL);
	if (st == CCG_OK && (m.weights == NULL || m.weights_len != model_shape_weights(&m.shape)))
		abort();
	if (st != CCG_OK && m.weights != NULL)
		abort();
	model_cleanup(&m);
	return st;
}
