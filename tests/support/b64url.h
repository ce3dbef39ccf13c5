/* SPDX-License-Identifier: Apache-2.0 */
/*
 * base64url (RFC 4648 §5, no padding) for tests that read JOSE tokens
 * independently of the library under test: built on OpenSSL's plain base64.
 */
#ifndef CCGPU_TESTS_B64URL_H
#define CCGPU_TESTS_B64URL_H

#include <stddef.h>
#include <stdint.h>

/* tb_b64url_encode: malloc'd base64url text of n bytes, without padding (or fails the test). */
char *tb_b64url_encode(const uint8_t *d, size_t n);
/* tb_b64url_decode: the n characters at s decoded into a malloc'd buffer (or fails the test). */
uint8_t *tb_b64url_decode(const char *s, size_t n, size_t *out_len);

#endif
