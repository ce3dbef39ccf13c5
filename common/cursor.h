/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Borrowed-view cursor over untrusted bytes (after BoringSSL's CBS). Every
 * getter advances only on success and leaves the cursor unchanged on failure.
 * A cursor never owns its bytes.
 */
#ifndef CCGPU_COMMON_CURSOR_H
#define CCGPU_COMMON_CURSOR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ccgpu/status.h"

struct ccg_cursor {
	const uint8_t *data;
	size_t len;
};

static inline void ccg_cursor_init(struct ccg_cursor *c, const uint8_t *data, size_t len)
{
	c->data = data;
	c->len = len;
}

/* Bytes consumed so far relative to `start`, which must be an earlier copy of the same cursor. */
static inline size_t ccg_cursor_offset(const struct ccg_cursor *start, const struct ccg_cursor *c)
{
	return (size_t)(c->data - start->data);
}

CCG_MUST_USE bool ccg_cursor_get_u8(struct ccg_cursor *c, uint8_t *out);
CCG_MUST_USE bool ccg_cursor_get_u16le(struct ccg_cursor *c, uint16_t *out);
CCG_MUST_USE bool ccg_cursor_get_u24le(struct ccg_cursor *c, uint32_t *out);
CCG_MUST_USE bool ccg_cursor_get_u32le(struct ccg_cursor *c, uint32_t *out);
CCG_MUST_USE bool ccg_cursor_get_u64le(struct ccg_cursor *c, uint64_t *out);
CCG_MUST_USE bool ccg_cursor_get_u16be(struct ccg_cursor *c, uint16_t *out);
CCG_MUST_USE bool ccg_cursor_get_u24be(struct ccg_cursor *c, uint32_t *out);
CCG_MUST_USE bool ccg_cursor_get_u32be(struct ccg_cursor *c, uint32_t *out);
CCG_MUST_USE bool ccg_cursor_get_u64be(struct ccg_cursor *c, uint64_t *out);
/* ccg_cursor_get_bytes: out becomes a view of the next len bytes. */
CCG_MUST_USE bool ccg_cursor_get_bytes(struct ccg_cursor *c, struct ccg_cursor *out, size_t len);
/* ccg_cursor_copy_bytes: copies the next len bytes into out (len bytes of room). */
CCG_MUST_USE bool ccg_cursor_copy_bytes(struct ccg_cursor *c, uint8_t *out, size_t len);
CCG_MUST_USE bool ccg_cursor_skip(struct ccg_cursor *c, size_t len);
/*
 * ccg_cursor_finish: the last step of a parser: CCG_OK when nothing is left,
 * else CCG_ERR_TRAILING_DATA recorded in err as `where` ("N bytes left over").
 */
CCG_MUST_USE enum ccg_status ccg_cursor_finish(const struct ccg_cursor *c, const char *where, struct ccg_error *err);

#endif
