/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Small helpers an application needs around appraisal: hex, nonces, files.
 * All thread-safe; every buffer they return is malloc'd and the caller frees it.
 */
#ifndef CCGPU_UTIL_H
#define CCGPU_UTIL_H

#include <stddef.h>
#include <stdint.h>

#include "ccgpu/status.h"

#ifdef __cplusplus
extern "C" {
#endif

/* CCG_FILE_MAX_DEFAULT: a bound for ccg_file_read that fits any evidence, chain or policy file. */
#define CCG_FILE_MAX_DEFAULT (16u * 1024 * 1024)

/*
 * ccg_hex_decode: decodes hex text (either case, optional "0x" prefix,
 * surrounding ASCII whitespace ignored) into a new malloc'd buffer (*out,
 * *out_len). Odd length or a non-hex character: CCG_ERR_ENCODING; more than
 * max bytes: CCG_ERR_TOO_LARGE. *out is NULL on failure.
 */
CCG_API CCG_MUST_USE enum ccg_status ccg_hex_decode(const char *hex, size_t hex_len, size_t max, uint8_t **out,
						    size_t *out_len);
/* ccg_hex_encode_alloc: malloc'd lower-case hex of data, or NULL on allocation failure. */
CCG_API char *ccg_hex_encode_alloc(const uint8_t *data, size_t len);
/*
 * ccg_nonce_random: len bytes from the operating system's CSPRNG (through
 * OpenSSL), e.g. a CCG_GPU_NONCE_LEN challenge. CCG_ERR_CRYPTO if none.
 */
CCG_API CCG_MUST_USE enum ccg_status ccg_nonce_random(uint8_t *out, size_t len);
/*
 * ccg_file_read: reads a whole file (at most max bytes) into a malloc'd buffer
 * with a NUL after the last byte (so text files are C strings). Missing file:
 * CCG_ERR_NOT_FOUND; larger than max: CCG_ERR_TOO_LARGE; other failures
 * CCG_ERR_IO; the path is named in err.
 */
CCG_API CCG_MUST_USE enum ccg_status ccg_file_read(const char *path, size_t max, uint8_t **out, size_t *out_len,
						   struct ccg_error *err);

#ifdef __cplusplus
}
#endif
#endif
