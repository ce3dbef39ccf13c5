/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The sealed model file of the inference example (model.h), as a TAP test:
 * a sealed file opens to the weights it was made from; every flipped byte
 * and every truncation is refused before any weight is handed out, header
 * fields by name (magic, version, layers, reserved, dims, shifts, size),
 * the rest by the GCM tag; another key, a key of another length, shapes
 * that do not chain; the prompt and answer mapping and the compute command
 * laid out as docs/gpusim-transport.md says.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* memmem */
#endif
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model.h"

static int n, failed;

static void ok(int cond, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void ok(int cond, const char *fmt, ...)
{
	va_list ap;

	n++;
	if (!cond)
		failed++;
	printf("%s %d - ", cond ? "ok" : "not ok", n);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
}

/* open must fail with status st at a where that starts with where */
static int refused_as(const uint8_t *f, size_t len, const uint8_t *key, size_t key_len, enum ccg_status st,
		      const char *where)
{
	struct ccg_error err = {0};
	struct model m = {0};
	enum ccg_status got = model_open(f, len, key, key_len, &m, &err);

	if (got == CCG_OK) {
		model_cleanup(&m);
		return 0;
	}
	if (m.weights != NULL)
		return 0; /* nothing may be left on failure */
	if (got != st || strncmp(err.where, where, strlen(where)) != 0) {
		printf("# got %s at %s (%s), want %s at %s\n", ccg_status_name(got), err.where, err.detail,
		       ccg_status_name(st), where);
		return 0;
	}
	return 1;
}

/* what a flip of byte i of the sealed 4x8/2,3x4 model must be refused as (hl: the header's length) */
static void expected(size_t i, size_t hl, enum ccg_status *st, const char **where)
{
	*st = CCG_ERR_MAC;
	*where = "model.tag"; /* the nonce, the weights, the tag, and a shift that still makes a valid shape */
	if (i < 8) {
		*st = CCG_ERR_MALFORMED, *where = "model.magic";
	} else if (i == 8) {
		*st = CCG_ERR_UNSUPPORTED, *where = "model.version";
	} else if (i == 9) { /* 2 -> 3 layers: the table runs into the nonce, whose bytes are no zero reserved bytes */
		*st = CCG_ERR_MALFORMED, *where = "model.layer[";
	} else if (i == 10 || i == 11) {
		*st = CCG_ERR_MALFORMED, *where = "model.reserved";
	} else if (i == 12 || i == 13) { /* layer 0's rows: layer 1's cols no longer chain */
		*st = CCG_ERR_MALFORMED, *where = "model.layer[1].cols";
	} else if (i == 14 || i == 15) { /* layer 0's cols: more weights than the file holds */
		*st = CCG_ERR_TRUNCATED, *where = "model.size";
	} else if (i >= 17 && i <= 19) {
		*st = CCG_ERR_MALFORMED, *where = "model.layer[0].reserved";
	} else if (i == 20) { /* layer 1's rows 3 -> 2: fewer weights than the file holds */
		*st = CCG_ERR_TRAILING_DATA, *where = "model.size";
	} else if (i == 21) {
		*st = CCG_ERR_TRUNCATED, *where = "model.size";
	} else if (i == 22 || i == 23) {
		*st = CCG_ERR_MALFORMED, *where = "model.layer[1].cols";
	} else if (i == 24) {
		*st = CCG_ERR_MALFORMED, *where = "model.layer[1].shift";
	} else if (i >= 25 && i < hl) {
		*st = CCG_ERR_MALFORMED, *where = "model.layer[1].reserved";
	}
}

int main(void)
{
	struct model_shape shape;
	struct model m = {0};
	struct ccg_error err = {0};
	uint8_t key[MODEL_KEY_LEN], other[MODEL_KEY_LEN], *sealed = NULL, *copy;
	uint8_t weights[4 * 8 + 3 * 4];
	size_t sealed_len = 0, hl, bad = 0;
	int8_t in[8];
	int32_t scores[4] = {0, 31, -1, 32 + 5};
	char text[5];
	uint8_t cmd[64];
	size_t cmd_len = 0;

	for (size_t i = 0; i < sizeof(weights); i++)
		weights[i] = (uint8_t)(i * 37 + 11);
	memset(key, 0x42, sizeof(key));
	memset(other, 0x43, sizeof(other));

	ok(model_shape_parse("4x8/2,3x4", &shape, &err) == CCG_OK && shape.layers == 2 && shape.layer[0].shift == 2 &&
		   model_shape_weights(&shape) == sizeof(weights),
	   "a shape parses: %s", "4x8/2,3x4");
	ok(model_seal(&shape, weights, sizeof(weights), key, sizeof(key), &sealed, &sealed_len, &err) == CCG_OK &&
		   sealed_len == 12 + 16 + 12 + sizeof(weights) + 16,
	   "sealed: header, nonce, %s", "ciphertext and tag");
	ok(model_open(sealed, sealed_len, key, sizeof(key), &m, &err) == CCG_OK && m.weights_len == sizeof(weights) &&
		   memcmp(m.weights, weights, sizeof(weights)) == 0 && m.shape.layer[1].rows == 3,
	   "it opens to the %s it was sealed from", "weights and shape");
	model_cleanup(&m);
	ok(memmem(sealed, sealed_len, weights, 8) == NULL, "no %s weights in the sealed file", "plaintext");

	/* every flipped byte refused; the header's fields by name, the rest by the tag */
	copy = malloc(sealed_len + 1);
	hl = 12 + 8 * 2;
	for (size_t i = 0; i < sealed_len; i++) {
		enum ccg_status st;
		const char *where;

		memcpy(copy, sealed, sealed_len);
		copy[i] ^= 0x01;
		expected(i, hl, &st, &where);
		if (!refused_as(copy, sealed_len, key, sizeof(key), st, where)) {
			printf("# flipped byte %zu\n", i);
			bad++;
		}
	}
	ok(bad == 0, "every flipped byte is refused, %s", "each header field by name, the rest by the GCM tag");
	/* every truncation refused by size, and one byte too many */
	bad = 0;
	for (size_t len = 0; len < sealed_len; len++)
		if (!refused_as(sealed, len, key, sizeof(key), CCG_ERR_TRUNCATED,
				len < hl ? "model.header" : "model.size")) {
			printf("# truncated to %zu\n", len);
			bad++;
		}
	ok(bad == 0, "every truncation is refused (%s)", "model.header, model.size");
	memcpy(copy, sealed, sealed_len);
	copy[sealed_len] = 0;
	ok(refused_as(copy, sealed_len + 1, key, sizeof(key), CCG_ERR_TRAILING_DATA, "model.size"),
	   "a byte appended is refused (%s)", "model.size");
	free(copy);
	ok(refused_as(sealed, sealed_len, other, sizeof(other), CCG_ERR_MAC, "model.tag"),
	   "another key is refused (%s)", "model.tag");
	ok(refused_as(sealed, sealed_len, key, 31, CCG_ERR_INVALID_ARG, "model.key"), "a %s key is refused", "31-byte");

	/* shapes the file or the tool may not have */
	memset(&err, 0, sizeof(err));
	ok(model_shape_parse("4x8/2,3x5", &shape, &err) == CCG_ERR_MALFORMED &&
		   strcmp(err.where, "model.layer[1].cols") == 0,
	   "layers that do not chain are refused (%s)", err.where);
	memset(&err, 0, sizeof(err));
	ok(model_shape_parse("4x8/2,3x4/1", &shape, &err) == CCG_ERR_MALFORMED &&
		   strcmp(err.where, "model.layer[1].shift") == 0,
	   "a shift on the output layer is refused (%s)", err.where);
	memset(&err, 0, sizeof(err));
	ok(model_shape_parse("4x8/32,3x4", &shape, &err) == CCG_ERR_MALFORMED &&
		   strcmp(err.where, "model.layer[0].shift") == 0,
	   "a shift over 31 is refused (%s)", err.where);
	memset(&err, 0, sizeof(err));
	ok(model_shape_parse("0x8", &shape, &err) == CCG_ERR_MALFORMED && strcmp(err.where, "model.layer[0].dims") == 0,
	   "an empty layer is refused (%s)", err.where);
	memset(&err, 0, sizeof(err));
	ok(model_shape_parse("2000x4096/1,1025x2000", &shape, &err) == CCG_ERR_TOO_LARGE &&
		   strcmp(err.where, "model.outputs") == 0,
	   "more outputs than an answer holds are refused (%s)", err.where);
	memset(&err, 0, sizeof(err));
	ok(model_shape_parse("4096x4096/1,4096x4096/1,1x4096", &shape, &err) == CCG_ERR_TOO_LARGE &&
		   strcmp(err.where, "model.weights") == 0,
	   "more than 16 MiB of weights are refused (%s)", err.where);

	/* the prompt and the answer (docs/guest.md) */
	model_input((const uint8_t *)"ab\xff" "cdefghij", 11, in, 8);
	ok(in[0] == (('a' ^ 'h') & 0x7f) && in[2] == ((0xff ^ 'j') & 0x7f) && in[3] == 'c' && in[7] == 'g',
	   "the prompt folds into the input: XOR modulo cols, %s", "low 7 bits");
	model_answer(scores, 4, text);
	ok(strcmp(text,
		  "a7"
		  "7f") == 0,
	   "scores become text: the alphabet at score mod 32 (%s)", text);

	/* the compute command, as docs/gpusim-transport.md lays it out */
	ok(model_shape_parse("4x8/2,3x4", &shape, &err) == CCG_OK &&
		   model_run_cmd(&shape, 0x100, in, cmd, sizeof(cmd), &cmd_len, &err) == CCG_OK &&
		   cmd_len == 4 + 32 + 8 && cmd[0] == 1 && cmd[1] == 2 && cmd[4] == 0x00 && cmd[5] == 0x01 &&
		   cmd[12] == 4 && cmd[14] == 8 && cmd[16] == 2 && cmd[20] == 0x20 && cmd[21] == 0x01 && cmd[28] == 3 &&
		   cmd[30] == 4 && cmd[32] == 0 && memcmp(cmd + 36, in, 8) == 0,
	   "the compute command: kind, layers, %s, the input", "each layer's offset, rows, cols and shift");
	ok(model_run_cmd(&shape, 0, in, cmd, 40, &cmd_len, &err) == CCG_ERR_TOO_LARGE, "a command larger than %s",
	   "its buffer is refused");

	free(sealed);
	printf("1..%d\n", n);
	return failed != 0;
}
