/* SPDX-License-Identifier: Apache-2.0 */
/*
 * libFuzzer target for the body of POST /v1/release (verifier/release_req.h):
 * any bytes as {"token", "contract", "secret"}, then the release's HPKE aad
 * built from what was accepted. An accepted body must hold a token and two
 * names within their bounds, without NUL, and its aad must be SHA-384 of the
 * token ‖ contract ‖ 0x00 ‖ secret; a refusal must name what failed.
 */
#include <stdlib.h>
#include <string.h>

#include "common/crypto.h"
#include "fuzz.h"
#include "token/ear.h"
#include "verifier/release_req.h"

int ccg_fuzz_verdict(const uint8_t *data, size_t size)
{
	struct vd_release_body b;
	struct ccg_error err;
	uint8_t *aad = NULL, h[CCG_SHA384_LEN];
	size_t aad_len = 0, c, s;
	enum ccg_status st;

	ccg_error_clear(&err);
	st = vd_release_body_parse(data, size, 32, &b, &err);
	if (st != CCG_OK) {
		if (err.where[0] == '\0')
			abort();
		return (int)st;
	}
	c = strlen(b.contract);
	s = strlen(b.secret);
	if (b.token == NULL || b.token[0] == '\0' || strlen(b.token) > CCG_EAR_MAX_TOKEN || c == 0 ||
	    c > CCG_SECRET_MAX_NAME || s == 0 || s > CCG_SECRET_MAX_NAME)
		abort();
	if (ccg_hpke_release_aad(b.token, b.contract, b.secret, &aad, &aad_len, &err) != CCG_OK ||
	    ccg_sha384((const uint8_t *)b.token, strlen(b.token), h) != CCG_OK)
		abort();
	if (aad_len != CCG_SHA384_LEN + c + 1 + s || memcmp(aad, h, sizeof(h)) != 0 ||
	    memcmp(aad + CCG_SHA384_LEN, b.contract, c) != 0 || aad[CCG_SHA384_LEN + c] != 0 ||
	    memcmp(aad + CCG_SHA384_LEN + c + 1, b.secret, s) != 0)
		abort();
	free(aad);
	vd_release_body_cleanup(&b);
	return CCG_OK;
}
