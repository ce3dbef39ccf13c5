/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Fuzz target: a RUN message's compute command (gpusim/compute.h,
 * docs/gpusim-transport.md "Compute") run over 64 KiB of device memory
 * holding a fixed pattern; aborts when an accepted command's result is not
 * whole int32 values within the room given. Verdict: the engine's status.
 */
#include <stdint.h>
#include <stdlib.h>

#include "fuzz.h"
#include "gpusim/compute.h"

#define MEM (64u * 1024u)
#define ROOM 4096u

int ccg_fuzz_verdict(const uint8_t *data, size_t size)
{
	static uint8_t mem[MEM], out[ROOM];
	static int filled;
	size_t n = 0;
	enum ccg_status st;

	if (!filled) {
		for (size_t i = 0; i < MEM; i++)
			mem[i] = (uint8_t)(i * 131 + 7);
		filled = 1;
	}
	st = gpusim_compute_run(mem, MEM, data, size, out, ROOM, &n, NULL);
	if ((st == CCG_OK && (n == 0 || n > ROOM || n % 4 != 0)) || (st != CCG_OK && n != 0))
		abort();
	return st;
}
