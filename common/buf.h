/* SPDX-License-Identifier: Apache-2.0 */
/* Growable owned byte buffer (after BoringSSL's CBB), with a hard maximum. */
#ifndef CCGPU_COMMON_BUF_H
#define CCGPU_COMMON_BUF_H

#include <stddef.h>
#include <stdint.h>

#include "ccgpu/status.h"

struct ccg_buf {
	uint8_t *data;
	size_t len;
	size_t cap;
	size_t max; /* 0: SIZE_MAX / 2 */
};

/* ccg_buf_init: empty buffer that refuses to grow past max bytes (0: no set limit). */
void ccg_buf_init(struct ccg_buf *b, size_t max);
/* ccg_buf_cleanup: frees the bytes (not wiped: never put secrets here) and re-inits. */
void ccg_buf_cleanup(struct ccg_buf *b);
CCG_MUST_USE enum ccg_status ccg_buf_reserve(struct ccg_buf *b, size_t extra);
CCG_MUST_USE enum ccg_status ccg_buf_append(struct ccg_buf *b, const void *data, size_t len);
CCG_MUST_USE enum ccg_status ccg_buf_append_u8(struct ccg_buf *b, uint8_t v);
CCG_MUST_USE enum ccg_status ccg_buf_append_u16le(struct ccg_buf *b, uint16_t v);
CCG_MUST_USE enum ccg_status ccg_buf_append_u24le(struct ccg_buf *b, uint32_t v);
CCG_MUST_USE enum ccg_status ccg_buf_append_u32le(struct ccg_buf *b, uint32_t v);
/* ccg_buf_append_str: appends the string without its NUL. */
CCG_MUST_USE enum ccg_status ccg_buf_append_str(struct ccg_buf *b, const char *s);
/* ccg_buf_terminate: ensures a NUL after the data (not counted in len). */
CCG_MUST_USE enum ccg_status ccg_buf_terminate(struct ccg_buf *b);
/* ccg_buf_steal: hands the bytes to the caller (free with free()); b becomes empty. */
uint8_t *ccg_buf_steal(struct ccg_buf *b, size_t *out_len);

#endif
