/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Small helpers an application needs around appraisal: hex, base64, nonces,
 * digests, times, files. All thread-safe; every buffer they return is
 * malloc'd and the caller frees it.
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

/* ---- branch api (issue 12): what the CLIs took from the library's internals, which apps need too ---- */

#define CCG_SHA256_LEN 32
#define CCG_SHA384_LEN 48

/*
 * ccg_hex_decode_fixed: decodes hex text (the rules of ccg_hex_decode) of
 * exactly 2 * out_len digits into out (e.g. a 32-byte nonce given as 64
 * digits). Another length or a non-hex character: CCG_ERR_ENCODING, and out
 * may be partly written.
 */
CCG_API CCG_MUST_USE enum ccg_status ccg_hex_decode_fixed(const char *hex, size_t hex_len, uint8_t *out,
							  size_t out_len);
/* ccg_hex_encode: lower-case hex of data into out, which needs 2 * len + 1 bytes (NUL-terminated). */
CCG_API void ccg_hex_encode(const uint8_t *data, size_t len, char *out);
/*
 * ccg_base64_decode: standard base64 (RFC 4648 section 4), padding required,
 * line breaks ignored, non-canonical padding bits refused, so each value has
 * one spelling: CCG_ERR_ENCODING; more than max bytes: CCG_ERR_TOO_LARGE.
 * *out is malloc'd (NULL on failure).
 */
CCG_API CCG_MUST_USE enum ccg_status ccg_base64_decode(const char *b64, size_t b64_len, size_t max, uint8_t **out,
						       size_t *out_len);
/* ccg_base64_encode_alloc: malloc'd standard base64 of data without line breaks, or NULL when out of memory. */
CCG_API char *ccg_base64_encode_alloc(const uint8_t *data, size_t len);

/* ccg_sha256, ccg_sha384: one-shot digests (OpenSSL); CCG_ERR_CRYPTO if the digest fails. */
CCG_API CCG_MUST_USE enum ccg_status ccg_sha256(const uint8_t *data, size_t len, uint8_t out[CCG_SHA256_LEN]);
CCG_API CCG_MUST_USE enum ccg_status ccg_sha384(const uint8_t *data, size_t len, uint8_t out[CCG_SHA384_LEN]);

/*
 * ccg_time_iso: Unix seconds t as "YYYY-MM-DDTHH:MM:SSZ" (UTC) into buf
 * (21 bytes with the NUL).
 */
CCG_API void ccg_time_iso(int64_t t, char buf[21]);
/*
 * ccg_time_parse_iso: "YYYY-MM-DDTHH:MM:SSZ" (UTC) or a bare decimal of Unix
 * seconds into *out, e.g. for a --time option whose value becomes the `now`
 * of a verification call. Anything else: CCG_ERR_MALFORMED.
 */
CCG_API CCG_MUST_USE enum ccg_status ccg_time_parse_iso(const char *s, int64_t *out);

/*
 * ccg_file_write_atomic: writes data to path through a temporary file in the
 * same directory and rename(), so readers see the old or the new file whole.
 * Failures: CCG_ERR_IO naming the path in err.
 */
CCG_API CCG_MUST_USE enum ccg_status ccg_file_write_atomic(const char *path, const uint8_t *data, size_t len,
							   struct ccg_error *err);
/* ccg_mkdir_p: creates dir and its missing parents (mode 0700 for new ones); CCG_ERR_IO naming dir. */
CCG_API CCG_MUST_USE enum ccg_status ccg_mkdir_p(const char *dir, struct ccg_error *err);

#ifdef __cplusplus
}
#endif
#endif
