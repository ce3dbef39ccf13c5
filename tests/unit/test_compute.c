/* SPDX-License-Identifier: Apache-2.0 */
/*
 * gpusim's compute engine (gpusim/compute.h): the int8 MLP of a RUN message
 * against a plain C reference of the same arithmetic, and each field of the
 * command refused alone (the one check that fails named in err->where).
 */
#include <stdarg.h>
#include <setjmp.h>
#include <stdbool.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdint.h>
#include <string.h>

#include "common/error.h"
#include "gpusim/compute.h"

#define MEM 4096

static uint8_t mem[MEM];

/* appends one layer descriptor */
static size_t layer(uint8_t *p, uint64_t off, uint16_t rows, uint16_t cols, uint8_t shift)
{
	for (int i = 0; i < 8; i++)
		p[i] = (uint8_t)(off >> (8 * i));
	p[8] = (uint8_t)rows;
	p[9] = (uint8_t)(rows >> 8);
	p[10] = (uint8_t)cols;
	p[11] = (uint8_t)(cols >> 8);
	p[12] = shift;
	p[13] = p[14] = p[15] = 0;
	return GPUSIM_RUN_LAYER_LEN;
}

/* a two-layer command: 8 inputs -> 6 hidden (shift 3) at 0 -> 4 outputs at 100, input x */
static size_t two_layers(uint8_t *cmd, const int8_t x[8])
{
	size_t n = 0;

	cmd[n++] = GPUSIM_RUN_MLP;
	cmd[n++] = 2;
	cmd[n++] = 0;
	cmd[n++] = 0;
	n += layer(cmd + n, 0, 6, 8, 3);
	n += layer(cmd + n, 100, 4, 6, 0);
	memcpy(cmd + n, x, 8);
	return n + 8;
}

static void fill(void)
{
	for (size_t i = 0; i < MEM; i++)
		mem[i] = (uint8_t)(i * 37 + 11); /* both signs of int8 */
}

/* runs the two-layer command on x over mem and checks each output against the plain C arithmetic */
static void run_and_check(const int8_t x[8], uint8_t out[16], bool *any_hidden)
{
	uint8_t cmd[128], buf[64];
	int8_t h[6];
	size_t n = 0, len = two_layers(cmd, x);
	const int8_t *w = (const int8_t *)mem;

	assert_int_equal(gpusim_compute_run(mem, MEM, cmd, len, buf, sizeof(buf), &n, NULL), CCG_OK);
	assert_int_equal(n, 16);
	*any_hidden = false;
	for (int i = 0; i < 6; i++) {
		int32_t acc = 0;

		for (int j = 0; j < 8; j++)
			acc += w[i * 8 + j] * x[j];
		acc = acc < 0 ? 0 : acc >> 3;
		h[i] = (int8_t)(acc > 127 ? 127 : acc);
		*any_hidden |= h[i] != 0;
	}
	for (int i = 0; i < 4; i++) {
		int32_t acc = 0, got;

		for (int j = 0; j < 6; j++)
			acc += w[100 + i * 6 + j] * h[j];
		got = (int32_t)((uint32_t)buf[4 * i] | (uint32_t)buf[4 * i + 1] << 8 | (uint32_t)buf[4 * i + 2] << 16 |
				(uint32_t)buf[4 * i + 3] << 24);
		assert_int_equal(got, acc);
	}
	memcpy(out, buf, 16);
}

static void test_mlp_matches_reference(void **state)
{
	static const int8_t x[8] = {1, -2, 3, -4, 127, -128, 0, 9}, y[8] = {-1, 2, -3, 4, -127, 127, 5, -9};
	uint8_t a[16], b[16];
	bool hx = false, hy = false;

	(void)state;
	fill();
	run_and_check(x, a, &hx);
	run_and_check(y, b, &hy);
	assert_true(hx && hy); /* the hidden layer passed something on for both inputs */
	/* the weights matter: another last-layer matrix, another answer */
	for (int i = 100; i < 124; i++)
		mem[i] ^= 0x55;
	run_and_check(x, b, &hx);
	assert_memory_not_equal(a, b, 16);
}

/* the command changed by edit is refused with st at where */
static void refused(void (*edit)(uint8_t *cmd, size_t *len), enum ccg_status st, const char *where)
{
	static const int8_t x[8] = {1, 2, 3, 4, 5, 6, 7, 8};
	uint8_t cmd[128], out[64];
	size_t n = 99, len = two_layers(cmd, x);
	struct ccg_error e;

	fill();
	edit(cmd, &len);
	ccg_error_clear(&e);
	assert_int_equal(gpusim_compute_run(mem, MEM, cmd, len, out, sizeof(out), &n, &e), st);
	assert_string_equal(e.where, where);
	assert_int_equal(n, 0);
}

#define L0 4
#define L1 (4 + GPUSIM_RUN_LAYER_LEN)
static void e_kind(uint8_t *c, size_t *l)
{
	(void)l;
	c[0] = 3;
}
/* batched (kind 2): the reserved word becomes the number of vectors */
static void e_batch_zero(uint8_t *c, size_t *l)
{
	(void)l;
	c[0] = GPUSIM_RUN_MLP_BATCH;
}
static void e_batch_big(uint8_t *c, size_t *l)
{
	(void)l;
	c[0] = GPUSIM_RUN_MLP_BATCH;
	c[2] = (uint8_t)((GPUSIM_RUN_MAX_BATCH + 1) & 0xFF);
	c[3] = (uint8_t)((GPUSIM_RUN_MAX_BATCH + 1) >> 8);
}
static void e_batch_short_input(uint8_t *c, size_t *l)
{
	(void)l;
	c[0] = GPUSIM_RUN_MLP_BATCH;
	c[2] = 2; /* two vectors announced, one given */
}
static void e_zero_layers(uint8_t *c, size_t *l)
{
	(void)l;
	c[1] = 0;
}
static void e_many_layers(uint8_t *c, size_t *l)
{
	(void)l;
	c[1] = GPUSIM_RUN_MAX_LAYERS + 1;
}
static void e_reserved(uint8_t *c, size_t *l)
{
	(void)l;
	c[3] = 1;
}
static void e_layer_reserved(uint8_t *c, size_t *l)
{
	(void)l;
	c[L1 + 15] = 1;
}
static void e_zero_rows(uint8_t *c, size_t *l)
{
	(void)l;
	c[L0 + 8] = 0;
	c[L0 + 9] = 0;
}
static void e_big_cols(uint8_t *c, size_t *l)
{
	(void)l;
	c[L0 + 10] = 0x01;
	c[L0 + 11] = 0x10;
} /* 4097 */
static void e_hidden_shift(uint8_t *c, size_t *l)
{
	(void)l;
	c[L0 + 12] = 32;
}
static void e_last_shift(uint8_t *c, size_t *l)
{
	(void)l;
	c[L1 + 12] = 1;
}
static void e_chain(uint8_t *c, size_t *l)
{
	(void)l;
	c[L1 + 10] = 5;
} /* layer 1 takes 5, layer 0 gives 6 */
static void e_offset(uint8_t *c, size_t *l)
{
	(void)l;
	c[L1 + 0] = 0xE9;
	c[L1 + 1] = 0x0F;
} /* 4073 + 24 > 4096 */
static void e_offset_wrap(uint8_t *c, size_t *l)
{
	(void)l;
	memset(c + L1, 0xFF, 8);
}
static void e_short_input(uint8_t *c, size_t *l)
{
	(void)c;
	*l -= 1;
}
static void e_trailing(uint8_t *c, size_t *l)
{
	c[*l] = 0;
	*l += 1;
}
static void e_short_layer(uint8_t *c, size_t *l)
{
	(void)c;
	*l = L1 + 10;
}
static void e_short_header(uint8_t *c, size_t *l)
{
	(void)c;
	*l = 3;
}

static void test_refusals(void **state)
{
	(void)state;
	refused(e_kind, CCG_ERR_MALFORMED, "gpusim.run.kind");
	refused(e_batch_zero, CCG_ERR_MALFORMED, "gpusim.run.batch");
	refused(e_batch_big, CCG_ERR_MALFORMED, "gpusim.run.batch");
	refused(e_batch_short_input, CCG_ERR_TRUNCATED, "gpusim.run.input");
	refused(e_zero_layers, CCG_ERR_MALFORMED, "gpusim.run.layers");
	refused(e_many_layers, CCG_ERR_MALFORMED, "gpusim.run.layers");
	refused(e_reserved, CCG_ERR_MALFORMED, "gpusim.run.reserved");
	refused(e_layer_reserved, CCG_ERR_MALFORMED, "gpusim.run.layer.reserved");
	refused(e_zero_rows, CCG_ERR_MALFORMED, "gpusim.run.layer.dims");
	refused(e_big_cols, CCG_ERR_MALFORMED, "gpusim.run.layer.dims");
	refused(e_hidden_shift, CCG_ERR_MALFORMED, "gpusim.run.layer.shift");
	refused(e_last_shift, CCG_ERR_MALFORMED, "gpusim.run.layer.shift");
	refused(e_chain, CCG_ERR_MALFORMED, "gpusim.run.layer.cols");
	refused(e_offset, CCG_ERR_MALFORMED, "gpusim.run.layer.offset");
	refused(e_offset_wrap, CCG_ERR_MALFORMED, "gpusim.run.layer.offset");
	refused(e_short_input, CCG_ERR_TRUNCATED, "gpusim.run.input");
	refused(e_trailing, CCG_ERR_TRAILING_DATA, "gpusim.run");
	refused(e_short_layer, CCG_ERR_TRUNCATED, "gpusim.run");
	refused(e_short_header, CCG_ERR_TRUNCATED, "gpusim.run");
}

static void test_output_room(void **state)
{
	static const int8_t x[8] = {0};
	uint8_t cmd[128], out[16];
	size_t n = 0, len = two_layers(cmd, x);
	struct ccg_error e;

	(void)state;
	fill();
	assert_int_equal(gpusim_compute_run(mem, MEM, cmd, len, out, 16, &n, NULL), CCG_OK);
	ccg_error_clear(&e);
	assert_int_equal(gpusim_compute_run(mem, MEM, cmd, len, out, 15, &n, &e), CCG_ERR_TOO_LARGE);
	assert_string_equal(e.where, "gpusim.run.output");
}

/*
 * a batch of three vectors (branch prompt: how bench/prompt sends a prompt)
 * gives what three single runs give, in order; its output must fit as a whole
 */
static void test_batch_matches_single(void **state)
{
	static const int8_t x[3][8] = {
		{1, -2, 3, -4, 127, -128, 0, 9}, {-1, 2, -3, 4, -127, 127, 5, -9}, {7, 7, 7, 7, -7, -7, -7, -7}};
	uint8_t cmd[160], single[3][16], out[64];
	size_t n = 0, len;
	struct ccg_error e;
	bool h = false;

	(void)state;
	fill();
	for (int v = 0; v < 3; v++)
		run_and_check(x[v], single[v], &h);
	len = two_layers(cmd, x[0]);
	cmd[0] = GPUSIM_RUN_MLP_BATCH;
	cmd[2] = 3;
	memcpy(cmd + len, x[1], 8);
	memcpy(cmd + len + 8, x[2], 8);
	len += 16;
	assert_int_equal(gpusim_compute_run(mem, MEM, cmd, len, out, sizeof(out), &n, NULL), CCG_OK);
	assert_int_equal(n, 48);
	for (int v = 0; v < 3; v++)
		assert_memory_equal(out + 16 * v, single[v], 16);
	assert_memory_not_equal(single[0], single[1], 16);
	ccg_error_clear(&e);
	assert_int_equal(gpusim_compute_run(mem, MEM, cmd, len, out, 47, &n, &e), CCG_ERR_TOO_LARGE);
	assert_string_equal(e.where, "gpusim.run.output");
	/* a batch of one is the single form */
	cmd[2] = 1;
	assert_int_equal(gpusim_compute_run(mem, MEM, cmd, len - 16, out, sizeof(out), &n, NULL), CCG_OK);
	assert_memory_equal(out, single[0], 16);
}

/* gpusim_compute_layer writes the descriptor this file's own encoder writes (each field at its offset) */
static void test_layer_encoder(void **state)
{
	uint8_t want[GPUSIM_RUN_LAYER_LEN], got[GPUSIM_RUN_LAYER_LEN];

	(void)state;
	memset(got, 0xEE, sizeof(got));
	layer(want, 0x0102030405060708ull, 0x090A, 0x0B0C, 13);
	assert_int_equal(gpusim_compute_layer(got, 0x0102030405060708ull, 0x090A, 0x0B0C, 13), GPUSIM_RUN_LAYER_LEN);
	assert_memory_equal(got, want, sizeof(want));
}

/* the last layer within memory by exactly one byte works; one more is refused (the bound is not off by one) */
static void test_offset_edge(void **state)
{
	static const int8_t x[8] = {1};
	uint8_t cmd[128], out[64];
	size_t n = 0, len = two_layers(cmd, x);

	(void)state;
	fill();
	cmd[L1] = (uint8_t)((MEM - 24) & 0xFF);
	cmd[L1 + 1] = (uint8_t)((MEM - 24) >> 8);
	assert_int_equal(gpusim_compute_run(mem, MEM, cmd, len, out, sizeof(out), &n, NULL), CCG_OK);
	cmd[L1] = (uint8_t)((MEM - 23) & 0xFF);
	assert_int_equal(gpusim_compute_run(mem, MEM, cmd, len, out, sizeof(out), &n, NULL), CCG_ERR_MALFORMED);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_mlp_matches_reference), cmocka_unit_test(test_refusals),
		cmocka_unit_test(test_output_room),           cmocka_unit_test(test_batch_matches_single),
		cmocka_unit_test(test_offset_edge),           cmocka_unit_test(test_layer_encoder),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
