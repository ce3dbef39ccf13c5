/* SPDX-License-Identifier: Apache-2.0 */
/* Hex and base64, strict: no whitespace inside hex, canonical padding for base64. */
#ifndef CCGPU_COMMON_ENCODING_H
#define CCGPU_COMMON_ENCODING_H

#include <stddef.h>
#include <stdint.h>

#include "ccgpu/status.h"
#include "ccgpu/util.h" /* the exported declarations of some of these (branch api12) */

/*
 * ccg_hex_decode: decodes hex (either case, optional "0x" prefix, surrounding
 * ASCII whitespace ignored) into a new malloc'd buffer. Odd length or a
 * non-hex character is CCG_ERR_ENCODING; more than max bytes CCG_ERR_TOO_LARGE.
 */
CCG_MUST_USE enum ccg_status ccg_hex_decode(const char *hex, size_t hex_len, size_t max, uint8_t **out,
					    size_t *out_len);
/* ccg_hex_decode_fixed, ccg_hex_encode: declared in ccgpu/util.h (exported). */
/* ccg_hex_encode_alloc: malloc'd lower-case hex string, or NULL on allocation failure. */
char *ccg_hex_encode_alloc(const uint8_t *data, size_t len);

/* ccg_base64_decode, ccg_base64_encode_alloc: declared in ccgpu/util.h (exported). */

/*
 * ccg_url_decode: RFC 3986 percent-decoding, strict: '%' must be followed by
 * two hex digits, every other byte must be printable ASCII other than space
 * ('+' is a plus sign), and %00 is refused. The result is malloc'd and
 * NUL-terminated. A bad byte is CCG_ERR_ENCODING with its offset in
 * *bad_at; more than max decoded bytes CCG_ERR_TOO_LARGE.
 */
CCG_MUST_USE enum ccg_status ccg_url_decode(const char *in, size_t in_len, size_t max, uint8_t **out, size_t *out_len,
					    size_t *bad_at);

#endif
