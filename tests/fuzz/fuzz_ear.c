/* SPDX-License-Identifier: Apache-2.0 */
/*
 * libFuzzer target for EAR token verification (verifier/ear.h):
 * ccg_ear_verify on any bytes against a fixed JWKS, at a fixed time. The
 * seed corpus holds a valid token by that JWKS's key (corpus/ear/valid.jwt,
 * iat 2026-11-22T00:00:00Z, one hour), so mutations start from a token that
 * passes every check. A token accepted must be an EAR claims set; a refusal
 * must name what failed. With $CCGPU_SOURCE_ROOT set (meson test), the seed
 * is checked to verify before anything runs.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/file.h"
#include "fuzz.h"
#include "verifier/ear.h"


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

int ccg_fuzz_init(void)
{
	const char *root = getenv("CCGPU_SOURCE_ROOT");

	jwks = json_loads(jwks_text, 0, NULL);
	if (jwks == NULL)
		abort();
	atexit(free_jwks);
	/* the seed the corpus starts from must pass (the replay test asserts this verdict) */
	if (root != NULL) {
		char path[4096];
		uint8_t *seed = NULL;
		size_t len = 0;
		json_t *claims = NULL;

		snprintf(path, sizeof(path), "%s/tests/fuzz/corpus/ear/valid.jwt", root);
		if (ccg_file_read(path, CCG_EAR_MAX_TOKEN, &seed, &len, NULL) != CCG_OK ||
		    ccg_ear_verify((const char *)seed, jwks, NOW, &claims, NULL) != CCG_OK) {
			fprintf(stderr, "fuzz-ear: %s does not verify\n", path);
			abort();
		}
		json_decref(claims);
		free(seed);
	}
	return 0;
}

int ccg_fuzz_verdict(const uint8_t *data, size_t size)
{
	char *text = malloc(size + 1);
	json_t *claims = NULL;
	struct ccg_error err;
	enum ccg_status s;

	if (text == NULL)
		abort();
	memcpy(text, data, size);
	text[size] = '\0';
	ccg_error_clear(&err);
	s = ccg_ear_verify(text, jwks, NOW, &claims, &err);
	if (s == CCG_OK) {
		const char *profile = json_string_value(json_object_get(claims, "eat_profile"));

		if (profile == NULL || strcmp(profile, "tag:github.com,2023:veraison/ear") != 0 ||
		    json_object_size(json_object_get(claims, "submods")) == 0)
			abort();
	} else if (claims != NULL || err.status != s || err.where[0] == '\0') {
		abort();
	}
	json_decref(claims);
	free(text);
	return s;
}
