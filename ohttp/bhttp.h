/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Binary HTTP (RFC 9292): the message type and its codec are public
 * (include/ccgpu/ohttp.h, ccg_bhttp_*); this header adds what the OHTTP
 * layer and the tests use besides: the QUIC variable-length integer
 * (RFC 9000 §16) every BHTTP length is written in.
 */
#ifndef CCGPU_OHTTP_BHTTP_H
#define CCGPU_OHTTP_BHTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ccgpu/ohttp.h"
#include "common/cursor.h"

#define CCG_QUIC_VARINT_MAX ((UINT64_C(1) << 62) - 1)

/*
 * ccg_quic_varint_get: reads one variable-length integer (1, 2, 4 or 8
 * bytes by its two-bit prefix; a longer form than needed is allowed, as
 * RFC 9000 §16 allows it). Advances only on success.
 */
CCG_MUST_USE bool ccg_quic_varint_get(struct ccg_cursor *c, uint64_t *out);
/* ccg_quic_varint_len: bytes of the shortest encoding of v (v <= CCG_QUIC_VARINT_MAX). */
size_t ccg_quic_varint_len(uint64_t v);
/* ccg_quic_varint_put: writes the shortest encoding of v at p (ccg_quic_varint_len(v) bytes); returns p + that. */
uint8_t *ccg_quic_varint_put(uint8_t *p, uint64_t v);

/*
 * ccg_bhttp_decode_take (branch prompt): ccg_bhttp_decode that, on success,
 * takes data (cap bytes, from ccg_bhttp_buf_get or malloc, len of them the
 * message) over instead of copying the content out of it: the message's
 * content points into data, and ccg_bhttp_msg_free wipes it and gives it
 * back (ccg_bhttp_buf_put). On failure data stays the caller's. The gateway
 * decodes each decapsulated request this way: one allocation and one copy of
 * the prompt fewer per request.
 */
CCG_MUST_USE enum ccg_status ccg_bhttp_decode_take(uint8_t *data, size_t len, size_t cap, struct ccg_bhttp_msg **out,
						   struct ccg_error *err);
/*
 * ccg_bhttp_buf_get / ccg_bhttp_buf_put (branch prompt): message buffers of
 * 4 KiB to 1 MiB come from, and go back to, a pool of four wiped buffers
 * (thread-safe), so a busy gateway does not give its heap back to the kernel
 * and fault it in again for every request. get: a buffer of at least n bytes
 * (its size in *cap), NULL without memory; it is an ordinary malloc'd block
 * that may also be free()d. put: wipes the first used bytes, then keeps or
 * frees it; NULL is allowed.
 */
uint8_t *ccg_bhttp_buf_get(size_t n, size_t *cap);
void ccg_bhttp_buf_put(uint8_t *p, size_t cap, size_t used);

#endif
