/* SPDX-License-Identifier: Apache-2.0 */
#include "common/writer.h"

#include <string.h>

#include "common/error.h"

void ccg_writer_init_fixed(struct ccg_writer *w, uint8_t *out, size_t cap)
{
	memset(w, 0, sizeof(*w));
	w->data = out;
	w->cap = cap;
}

void ccg_writer_init_buf(struct ccg_writer *w, struct ccg_buf *b)
{
	memset(w, 0, sizeof(*w));
	w->buf = b;
}

/* room for n more bytes: *p is where they go; false once the writer has failed */
static bool room(struct ccg_writer *w, size_t n, uint8_t **p)
{
	enum ccg_status st;

	*p = NULL;
	if (w->failed != CCG_OK)
		return false;
	if (w->buf != NULL) {
		if ((st = ccg_buf_reserve(w->buf, n)) != CCG_OK) {
			w->failed = st;
			return false;
		}
		*p = w->buf->data + w->buf->len;
		w->buf->len += n;
	} else {
		if (n > w->cap - w->len) {
			w->failed = CCG_ERR_TOO_LARGE;
			return false;
		}
		if (n != 0)
			*p = w->data + w->len;
	}
	w->len += n;
	return true;
}

static bool put_le(struct ccg_writer *w, uint64_t v, size_t n)
{
	uint8_t *p;

	if (!room(w, n, &p))
		return false;
	for (size_t i = 0; i < n; i++, v >>= 8)
		p[i] = (uint8_t)v;
	return true;
}

static bool put_be(struct ccg_writer *w, uint64_t v, size_t n)
{
	uint8_t *p;

	if (!room(w, n, &p))
		return false;
	for (size_t i = n; i > 0; i--, v >>= 8)
		p[i - 1] = (uint8_t)v;
	return true;
}

static bool fits24(struct ccg_writer *w, uint32_t v)
{
	if (v <= 0xFFFFFFu)
		return true;
	if (w->failed == CCG_OK)
		w->failed = CCG_ERR_INVALID_ARG;
	return false;
}

bool ccg_writer_put_u8(struct ccg_writer *w, uint8_t v)
{
	return put_le(w, v, 1);
}

bool ccg_writer_put_u16le(struct ccg_writer *w, uint16_t v)
{
	return put_le(w, v, 2);
}

bool ccg_writer_put_u24le(struct ccg_writer *w, uint32_t v)
{
	return fits24(w, v) && put_le(w, v, 3);
}

bool ccg_writer_put_u32le(struct ccg_writer *w, uint32_t v)
{
	return put_le(w, v, 4);
}

bool ccg_writer_put_u64le(struct ccg_writer *w, uint64_t v)
{
	return put_le(w, v, 8);
}

bool ccg_writer_put_u16be(struct ccg_writer *w, uint16_t v)
{
	return put_be(w, v, 2);
}

bool ccg_writer_put_u24be(struct ccg_writer *w, uint32_t v)
{
	return fits24(w, v) && put_be(w, v, 3);
}

bool ccg_writer_put_u32be(struct ccg_writer *w, uint32_t v)
{
	return put_be(w, v, 4);
}

bool ccg_writer_put_u64be(struct ccg_writer *w, uint64_t v)
{
	return put_be(w, v, 8);
}

bool ccg_writer_put_bytes(struct ccg_writer *w, const void *p, size_t len)
{
	uint8_t *q;

	if (!room(w, len, &q))
		return false;
	if (len != 0)
		memcpy(q, p, len);
	return true;
}

bool ccg_writer_put_zeros(struct ccg_writer *w, size_t len)
{
	uint8_t *q;

	if (!room(w, len, &q))
		return false;
	if (len != 0)
		memset(q, 0, len);
	return true;
}

enum ccg_status ccg_writer_finish(const struct ccg_writer *w, size_t *out_len, const char *where, struct ccg_error *err)
{
	if (w->failed != CCG_OK)
		return ccg_error_set(err, w->failed, where, "%s",
				     w->failed == CCG_ERR_TOO_LARGE     ? "does not fit"
				     : w->failed == CCG_ERR_INVALID_ARG ? "a value too wide for its field"
									: "out of memory");
	if (out_len != NULL)
		*out_len = w->len;
	return CCG_OK;
}
