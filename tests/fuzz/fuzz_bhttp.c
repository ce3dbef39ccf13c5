/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Fuzz target: the Binary HTTP decoder (ohttp/bhttp.c, RFC 9292), any
 * framing. Verdict: the status of ccg_bhttp_decode. An accepted message is
 * re-encoded in both framings and decoded again; it aborts when that fails
 * or when the known-length encodings of the two decodings differ (the codec
 * must be a bijection on what it accepts), or when a getter contradicts the
 * message kind.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "ohttp/bhttp.h"

static uint8_t *encode(const struct ccg_bhttp_msg *m, bool indet, size_t *n)
{
	uint8_t *out = NULL;

	if (ccg_bhttp_encode(m, indet, 0, &out, n, NULL) != CCG_OK)
		abort();
	return out;
}

int ccg_fuzz_verdict(const uint8_t *data, size_t size)
{
	struct ccg_bhttp_msg *m = NULL, *again = NULL;
	uint8_t *k1, *k2, *i1;
	size_t n1, n2, ni;
	enum ccg_status st = ccg_bhttp_decode(data, size, &m, NULL);

	if (st != CCG_OK) {
		if (m != NULL)
			abort();
		return st;
	}
	if (ccg_bhttp_msg_is_request(m) != (ccg_bhttp_msg_method(m) != NULL) ||
	    ccg_bhttp_msg_is_request(m) == (ccg_bhttp_msg_status(m) != 0))
		abort();
	k1 = encode(m, false, &n1);
	i1 = encode(m, true, &ni);
	if (ccg_bhttp_decode(i1, ni, &again, NULL) != CCG_OK)
		abort();
	k2 = encode(again, false, &n2);
	if (n1 != n2 || memcmp(k1, k2, n1) != 0)
		abort();
	free(k1);
	free(k2);
	free(i1);
	ccg_bhttp_msg_free(again);
	ccg_bhttp_msg_free(m);
	return CCG_OK;
}
