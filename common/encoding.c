/* SPDX-License-Identifier: Apache-2.0 */
#include "common/encoding.h"

#include <openssl/evp.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

static bool is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static void hex_trim(const char **hex, size_t *len)
{
	while (*len > 0 && is_space((*hex)[0])) {
		(*hex)++;
		(*len)--;
	}
	while (*len > 0 && is_space((*hex)[*len - 1]))
		(*len)--;
	if (*len >= 2 && (*hex)[0] == '0' && ((*hex)[1] == 'x' || (*hex)[1] == 'X')) {
		*hex += 2;
		*len -= 2;
	}
}

static enum ccg_status hex_into(const char *hex, size_t len, uint8_t *out)
{
	for (size_t i = 0; i < len / 2; i++) {
		int hi = hexval(hex[2 * i]), lo = hexval(hex[2 * i + 1]);

		if (hi < 0 || lo < 0)
			return CCG_ERR_ENCODING;
		out[i] = (uint8_t)(hi << 4 | lo);
	}
	return CCG_OK;
}

enum ccg_status ccg_hex_decode(const char *hex, size_t hex_len, size_t max, uint8_t **out, size_t *out_len)
{
	uint8_t *p;
	enum ccg_status s;

	*out = NULL;
	*out_len = 0;
	hex_trim(&hex, &hex_len);
	if (hex_len % 2 != 0)
		return CCG_ERR_ENCODING;
	if (hex_len / 2 > max)
		return CCG_ERR_TOO_LARGE;
	p = malloc(hex_len / 2 + 1);
	if (p == NULL)
		return CCG_ERR_NOMEM;
	s = hex_into(hex, hex_len, p);
	if (s != CCG_OK) {
		free(p);
		return s;
	}
	*out = p;
	*out_len = hex_len / 2;
	return CCG_OK;
}

enum ccg_status ccg_hex_decode_fixed(const char *hex, size_t hex_len, uint8_t *out, size_t out_len)
{
	hex_trim(&hex, &hex_len);
	if (hex_len != 2 * out_len)
		return CCG_ERR_ENCODING;
	return hex_into(hex, hex_len, out);
}

void ccg_hex_encode(const uint8_t *data, size_t len, char *out)
{
	static const char digits[] = "0123456789abcdef";

	for (size_t i = 0; i < len; i++) {
		out[2 * i] = digits[data[i] >> 4];
		out[2 * i + 1] = digits[data[i] & 15];
	}
	out[2 * len] = '\0';
}

char *ccg_hex_encode_alloc(const uint8_t *data, size_t len)
{
	char *s;

	if (len > (SIZE_MAX - 1) / 2)
		return NULL;
	s = malloc(2 * len + 1);
	if (s != NULL)
		ccg_hex_encode(data, len, s);
	return s;
}

enum ccg_status ccg_base64_decode(const char *b64, size_t b64_len, size_t max, uint8_t **out, size_t *out_len)
{
	char *clean = NULL;
	uint8_t *p = NULL;
	size_t n = 0, pad = 0;
	int got;
	enum ccg_status s = CCG_ERR_ENCODING;

	*out = NULL;
	*out_len = 0;
	if (b64_len > INT32_MAX)
		return CCG_ERR_TOO_LARGE;
	clean = malloc(b64_len + 1);
	if (clean == NULL)
		return CCG_ERR_NOMEM;
	for (size_t i = 0; i < b64_len; i++) {
		char c = b64[i];

		if (is_space(c))
			continue;
		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' ||
		      c == '/' || c == '='))
			goto out;
		if (pad != 0 && c != '=')
			goto out; /* data after padding */
		if (c == '=')
			pad++;
		clean[n++] = c;
	}
	if (n % 4 != 0 || pad > 2)
		goto out;
	if (n / 4 * 3 - pad > max) {
		s = CCG_ERR_TOO_LARGE;
		goto out;
	}
	p = malloc(n / 4 * 3 + 1);
	if (p == NULL) {
		s = CCG_ERR_NOMEM;
		goto out;
	}
	got = n == 0 ? 0 : EVP_DecodeBlock(p, (const unsigned char *)clean, (int)n);
	if (got < 0 || (size_t)got != n / 4 * 3)
		goto out;
	/* canonical only: non-zero padding bits would give one value two spellings */
	if (pad != 0) {
		char last[5];
		size_t tail = (size_t)got - 3; /* the last quartet's bytes */

		(void)EVP_EncodeBlock((unsigned char *)last, p + tail, (int)(3 - pad));
		if (memcmp(last, clean + n - 4, 4) != 0)
			goto out;
	}
	*out_len = (size_t)got - pad;
	*out = p;
	p = NULL;
	s = CCG_OK;
out:
	free(p);
	free(clean);
	return s;
}

char *ccg_base64_encode_alloc(const uint8_t *data, size_t len)
{
	char *s;

	if (len > (size_t)INT32_MAX / 2)
		return NULL;
	s = malloc((len + 2) / 3 * 4 + 1);
	if (s != NULL)
		(void)EVP_EncodeBlock((unsigned char *)s, data, (int)len);
	return s;
}

enum ccg_status ccg_url_decode(const char *in, size_t in_len, size_t max, uint8_t **out, size_t *out_len,
			       size_t *bad_at)
{
	uint8_t *p;
	size_t n = 0, i = 0;

	*out = NULL;
	*out_len = 0;
	*bad_at = 0;
	p = malloc(in_len + 1); /* decoding never grows */
	if (p == NULL)
		return CCG_ERR_NOMEM;
	while (i < in_len) {
		unsigned char c = (unsigned char)in[i];
		int hi, lo;

		if (c == '%') {
			hi = i + 2 < in_len ? hexval(in[i + 1]) : -1;
			lo = hi >= 0 ? hexval(in[i + 2]) : -1;
			if (lo < 0 || (hi == 0 && lo == 0))
				goto bad;
			c = (unsigned char)(hi << 4 | lo);
			i += 3;
		} else if (c > 0x20 && c < 0x7F) {
			i++;
		} else {
			goto bad;
		}
		if (n == max) {
			free(p);
			return CCG_ERR_TOO_LARGE;
		}
		p[n++] = c;
	}
	p[n] = 0;
	*out = p;
	*out_len = n;
	return CCG_OK;
bad:
	free(p);
	*bad_at = i;
	return CCG_ERR_ENCODING;
}
