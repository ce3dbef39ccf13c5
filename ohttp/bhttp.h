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

#endif
