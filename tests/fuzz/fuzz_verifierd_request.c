/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Fuzz target: ccgpu-verifierd's request-body parsers (verifier/request.c).
 * The first byte picks the parser (even: POST /v1/attest, odd: POST
 * /v1/challenge), the rest is the body. Verdicts are checked, not only the
 * absence of a crash: an accepted attest request has a 32-byte nonce, the
 * evidence re-parses as a JSON object with the same nonce, its digest is the
 * SHA-256 of that text, and the TEE key is a public key; an accepted
 * challenge body is empty or {}; a refusal is one of the parser's statuses.
 */
#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/crypto.h"
#include "common/encoding.h"
#include "verifier/request.h"
#include "fuzz.h"

static void check_refusal(enum ccg_status st)
{
	switch (st) {
	case CCG_ERR_MALFORMED:
	case CCG_ERR_ENCODING:
	case CCG_ERR_TOO_LARGE:
	case CCG_ERR_NONCE_MISMATCH:
	case CCG_ERR_UNSUPPORTED:
	case CCG_ERR_DUPLICATE:
	case CCG_ERR_TRUNCATED: return;
	default: abort();
	}
}

int ccg_fuzz_verdict(const uint8_t *data, size_t size)
{
	struct vd_attest_request r;
	enum ccg_status st;

	if (size == 0)
		return CCG_ERR_TRUNCATED;
	if (data[0] & 1) {
		st = vd_challenge_request_parse(data + 1, size - 1, 32, NULL);
		if (st != CCG_OK)
			check_refusal(st);
		return st;
	}
	st = vd_attest_request_parse(data + 1, size - 1, 1u << 20, 32, &r, NULL);
	if (st != CCG_OK) {
		check_refusal(st);
		return st;
	}
	{
		json_t *ev = json_loads(r.evidence, 0, NULL);
		const char *n = json_string_value(json_object_get(ev, "nonce"));
		uint8_t nonce[VD_NONCE_LEN], digest[32];

		if (!json_is_object(ev) || n == NULL || strlen(n) != 64 ||
		    ccg_hex_decode_fixed(n, 64, nonce, sizeof(nonce)) != CCG_OK ||
		    memcmp(nonce, r.nonce, sizeof(nonce)) != 0 || r.tee_key == NULL ||
		    r.evidence_len != strlen(r.evidence) ||
		    ccg_sha256((const uint8_t *)r.evidence, r.evidence_len, digest) != CCG_OK ||
		    memcmp(digest, r.evidence_sha256, sizeof(digest)) != 0)
			abort();
		json_decref(ev);
	}
	vd_attest_request_cleanup(&r);
	return CCG_OK;
}
