/* SPDX-License-Identifier: Apache-2.0 */
#include "b64url.h"

#include <stdarg.h>
#include <setjmp.h>
#include <stddef.h>
#include <cmocka.h>
#include <openssl/evp.h>
#include <stdlib.h>

char *tb_b64url_encode(const uint8_t *d, size_t n)
{
	char *out = malloc(4 * ((n + 2) / 3) + 1);
	int len;

	assert_non_null(out);
	len = EVP_EncodeBlock((unsigned char *)out, d, (int)n);
	while (len > 0 && out[len - 1] == '=')
		len--;
	out[len] = '\0';
	for (int i = 0; i < len; i++)
		out[i] = out[i] == '+' ? '-' : out[i] == '/' ? '_' : out[i];
	return out;
}

uint8_t *tb_b64url_decode(const char *s, size_t n, size_t *out_len)
{
	char *t = malloc(n + 4);
	uint8_t *out = malloc(n + 4);
	size_t m = n;
	int len;

	assert_non_null(t);
	assert_non_null(out);
	for (size_t i = 0; i < n; i++)
		t[i] = s[i] == '-' ? '+' : s[i] == '_' ? '/' : s[i];
	while (m % 4 != 0)
		t[m++] = '=';
	len = EVP_DecodeBlock(out, (unsigned char *)t, (int)m);
	assert_true(len >= 0);
	*out_len = (size_t)len - (m - n); /* EVP_DecodeBlock counts padding as zero bytes */
	free(t);
	return out;
}
