/* SPDX-License-Identifier: Apache-2.0 */
/*
 * libFuzzer target for EAR token verification (token/ear.h):
 * ccg_ear_verify on any bytes against a fixed JWKS, at a fixed time.
 * Verdict: the verification's. The seed corpus holds a valid token by that
 * JWKS's key (corpus/ear/valid.jwt, iat 2026-11-22T00:00:00Z, one hour;
 * expect/ear.expect says OK for it), so mutations start from a token that
 * passes every check. A token accepted must be an EAR claims set; a refusal
 * must name what failed.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "token/ear.h"

#define NOW 1795305700

/* the public JWK of the key that signed corpus/ear/valid.jwt (its private key is not kept) */
static const char jwks_text[] =
	"{\"keys\":[{\"alg\":\"ES384\",\"crv\":\"P-384\",\"kid\":\"5v3VY8b9AOYOzKsd-h-0SccW-CCl7QjLEPJ-5Stm0GI\",\"kty\":\"EC\",\"use\":\"sig\",\"x\":\"4OOnEeqlkA4GmjxK_UNv73E9K9uQRR-o-V9l3oZLrQ58cOpNOsZ9G9ZUDWzC4oP6\",\"y\":\"G6-VJlxd73NiPbhiU35wZof1aZjuE9Gz64g2xwNNe-2KdZ0A6NdDINKHoRQSw_f_\"}]}";

static json_t *jwks;

static void free_jwks(void)
{
	json_decref(jwks);
	jwks = NULL;
}

int ccg_fuzz_verdict(const uint8_t *data, size_t size)
{
	char *text;
	json_t *claims = NULL;
	struct ccg_error err;
	enum ccg_status st;

	if (jwks == NULL) {
		jwks = json_loads(jwks_text, 0, NULL);
		if (jwks == NULL)
			abort();
		atexit(free_jwks);
	}
	if ((text = malloc(size + 1)) == NULL)
		return CCG_ERR_NOMEM;
	memcpy(text, data, size);
	text[size] = '\0';
	ccg_error_clear(&err);
	st = ccg_ear_verify(text, jwks, NOW, &claims, &err);
	if (st == CCG_OK) {
		const char *profile = json_string_value(json_object_get(claims, "eat_profile"));

		if (profile == NULL || strcmp(profile, "tag:github.com,2023:veraison/ear") != 0 ||
		    json_object_size(json_object_get(claims, "submods")) == 0)
			abort();
	} else if (claims != NULL || err.status != st || err.where[0] == '\0') {
		abort();
	}
	json_decref(claims);
	free(text);
	return st;
}
