/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Fuzz target: the device transport framing (wire/frame.h) as a stream of
 * frames; aborts when a successful parse breaks its invariants or the
 * cursor moves on failure. Verdict: CCG_OK when every frame parsed, else the
 * status of the first that did not.
 */
#include <stdint.h>
#include <stdlib.h>

#include "fuzz.h"
#include "wire/frame.h"

int ccg_fuzz_verdict(const uint8_t *data, size_t size)
{
	struct ccg_cursor c;
	enum ccg_status st = CCG_OK;

	ccg_cursor_init(&c, data, size);
	for (int i = 0; i < 64 && c.len > 0; i++) {
		struct ccg_cursor before = c;
		struct ccg_frame f;

		if ((st = ccg_frame_parse(&c, &f, NULL)) != CCG_OK) {
			if (c.data != before.data || c.len != before.len)
				abort();
			break;
		}
		if (f.payload.len > CCG_FRAME_MAX_PAYLOAD ||
		    before.len - c.len != CCG_FRAME_HEADER_LEN + f.payload.len ||
		    (f.payload.len > 0 && f.payload.data != before.data + CCG_FRAME_HEADER_LEN))
			abort();
	}
	return st;
}
