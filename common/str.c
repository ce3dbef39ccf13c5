/* SPDX-License-Identifier: Apache-2.0 */
#include "common/str.h"

#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

char *ccg_strdup_opt(const char *s, bool *failed)
{
	char *d;

	if (s == NULL)
		return NULL;
	d = strdup(s);
	if (d == NULL)
		*failed = true;
	return d;
}

/* the length of the valid UTF-8 character at s (n bytes available), 0 when there is none */
static size_t utf8_char(const unsigned char *s, size_t n)
{
	size_t want;
	uint32_t cp;

	if (n == 0)
		return 0;
	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xC2 && s[0] <= 0xDF) {
		want = 2;
		cp = s[0] & 0x1Fu;
	} else if (s[0] >= 0xE0 && s[0] <= 0xEF) {
		want = 3;
		cp = s[0] & 0x0Fu;
	} else if (s[0] >= 0xF0 && s[0] <= 0xF4) {
		want = 4;
		cp = s[0] & 0x07u;
	} else {
		return 0; /* a continuation byte, C0/C1 (overlong) or F5..FF */
	}
	if (n < want)
		return 0;
	for (size_t i = 1; i < want; i++) {
		if ((s[i] & 0xC0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3Fu);
	}
	if ((want == 3 && cp < 0x800) || (want == 4 && (cp < 0x10000 || cp > 0x10FFFF)) ||
	    (cp >= 0xD800 && cp <= 0xDFFF))
		return 0; /* overlong, beyond Unicode, or a surrogate */
	return want;
}

size_t ccg_utf8_valid_prefix(const char *s, size_t len)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t off = 0, n;

	while (off < len && (n = utf8_char(u + off, len - off)) != 0)
		off += n;
	return off;
}

bool ccg_utf8_valid(const char *s, size_t len)
{
	return ccg_utf8_valid_prefix(s, len) == len;
}

int ccg_utf8_cut(const char *s, size_t max)
{
	size_t n = strnlen(s, max);

	/* a cut before a continuation byte would split a character: keep its lead byte out too */
	if (n == max && s[n] != '\0')
		while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80)
			n--;
	return n > (size_t)INT_MAX ? INT_MAX : (int)n;
}

void ccg_utf8_sanitize(char *s)
{
	unsigned char *u = (unsigned char *)s;
	size_t len = strlen(s), off = 0, n;

	while (off < len) {
		n = utf8_char(u + off, len - off);
		if (n == 0) {
			u[off] = '?';
			n = 1;
		}
		off += n;
	}
}
