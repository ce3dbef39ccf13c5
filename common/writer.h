/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The cursor's writing twin (after BoringSSL's CBB beside CBS, OpenSSH's
 * sshbuf put beside get): integers of every width in either byte order and
 * byte strings, into a fixed buffer the caller owns or appended to a
 * growable ccg_buf (which keeps its own maximum). A put that does not fit
 * writes nothing and fails; the writer then stays failed, so a chain of puts
 * can be checked once, by ccg_writer_finish. Not thread-safe (one owner).
 */
#ifndef CCGPU_COMMON_WRITER_H
#define CCGPU_COMMON_WRITER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ccgpu/status.h"
#include "common/buf.h"

struct ccg_writer {
	uint8_t *data;          /* fixed: the caller's bytes; growable: NULL */
	size_t cap;             /* fixed: their number */
	size_t len;             /* bytes written so far by this writer */
	struct ccg_buf *buf;    /* growable: appended to (len counts from where it began) */
	enum ccg_status failed; /* CCG_OK, or why the first refused put failed */
};

/* ccg_writer_init_fixed: writes into out[0 .. cap). */
void ccg_writer_init_fixed(struct ccg_writer *w, uint8_t *out, size_t cap);
/* ccg_writer_init_buf: appends to b, growing it up to its maximum. */
void ccg_writer_init_buf(struct ccg_writer *w, struct ccg_buf *b);

/* Each put writes all of its bytes or none; false once the writer has failed. */
CCG_MUST_USE bool ccg_writer_put_u8(struct ccg_writer *w, uint8_t v);
CCG_MUST_USE bool ccg_writer_put_u16le(struct ccg_writer *w, uint16_t v);
CCG_MUST_USE bool ccg_writer_put_u24le(struct ccg_writer *w, uint32_t v); /* v above 2^24 - 1: refused */
CCG_MUST_USE bool ccg_writer_put_u32le(struct ccg_writer *w, uint32_t v);
CCG_MUST_USE bool ccg_writer_put_u64le(struct ccg_writer *w, uint64_t v);
CCG_MUST_USE bool ccg_writer_put_u16be(struct ccg_writer *w, uint16_t v);
CCG_MUST_USE bool ccg_writer_put_u24be(struct ccg_writer *w, uint32_t v); /* v above 2^24 - 1: refused */
CCG_MUST_USE bool ccg_writer_put_u32be(struct ccg_writer *w, uint32_t v);
CCG_MUST_USE bool ccg_writer_put_u64be(struct ccg_writer *w, uint64_t v);
/* ccg_writer_put_bytes: len bytes of p (p may be NULL when len is 0). */
CCG_MUST_USE bool ccg_writer_put_bytes(struct ccg_writer *w, const void *p, size_t len);
/* ccg_writer_put_zeros: len zero bytes (reserved and padding fields). */
CCG_MUST_USE bool ccg_writer_put_zeros(struct ccg_writer *w, size_t len);

/*
 * ccg_writer_finish: CCG_OK when every put succeeded (*out_len, if non-NULL,
 * the bytes written); else the first failure: CCG_ERR_TOO_LARGE (the fixed
 * buffer or the ccg_buf's maximum), CCG_ERR_INVALID_ARG (a value too wide
 * for its field) or CCG_ERR_NOMEM, recorded in err as `where`.
 */
CCG_MUST_USE enum ccg_status ccg_writer_finish(const struct ccg_writer *w, size_t *out_len, const char *where,
					       struct ccg_error *err);

#endif
