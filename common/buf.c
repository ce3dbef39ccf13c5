/* SPDX-License-Identifier: Apache-2.0 */
#include "common/buf.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/writer.h"

void ccg_buf_init(struct ccg_buf *b, size_t max)
{
	b->data = NULL;
	b->len = 0;
	b->cap = 0;
	b->max = max != 0 ? max : SIZE_MAX / 2;
}

void ccg_buf_cleanup(struct ccg_buf *b)
{
	size_t max = b->max;

	free(b->data);
	ccg_buf_init(b, max);
}

enum ccg_status ccg_buf_reserve(struct ccg_buf *b, size_t extra)
{
	size_t need, cap;
	uint8_t *p;

	if (extra > b->max || b->len > b->max - extra)
		return CCG_ERR_TOO_LARGE;
	need = b->len + extra + 1; /* room for a terminating NUL */
	if (need <= b->cap)
		return CCG_OK;
	cap = b->cap != 0 ? b->cap : 64;
	while (cap < need)
		cap = cap > SIZE_MAX / 2 ? need : cap * 2;
	p = realloc(b->data, cap);
	if (p == NULL)
		return CCG_ERR_NOMEM;
	b->data = p;
	b->cap = cap;
	return CCG_OK;
}

enum ccg_status ccg_buf_append(struct ccg_buf *b, const void *data, size_t len)
{
	enum ccg_status s = ccg_buf_reserve(b, len);

	if (s != CCG_OK)
		return s;
	if (len != 0)
		memcpy(b->data + b->len, data, len);
	b->len += len;
	return CCG_OK;
}

enum ccg_status ccg_buf_append_u8(struct ccg_buf *b, uint8_t v)
{
	return ccg_buf_append(b, &v, 1);
}

/* the integers go through the writer: one encoder of every width and byte order */
enum ccg_status ccg_buf_append_u16le(struct ccg_buf *b, uint16_t v)
{
	struct ccg_writer w;

	ccg_writer_init_buf(&w, b);
	return ccg_writer_put_u16le(&w, v) ? CCG_OK : w.failed;
}

enum ccg_status ccg_buf_append_u24le(struct ccg_buf *b, uint32_t v)
{
	struct ccg_writer w;

	ccg_writer_init_buf(&w, b);
	return ccg_writer_put_u24le(&w, v) ? CCG_OK : w.failed;
}

enum ccg_status ccg_buf_append_u32le(struct ccg_buf *b, uint32_t v)
{
	struct ccg_writer w;

	ccg_writer_init_buf(&w, b);
	return ccg_writer_put_u32le(&w, v) ? CCG_OK : w.failed;
}

enum ccg_status ccg_buf_append_str(struct ccg_buf *b, const char *s)
{
	return ccg_buf_append(b, s, strlen(s));
}

enum ccg_status ccg_buf_terminate(struct ccg_buf *b)
{
	enum ccg_status s = ccg_buf_reserve(b, 0);

	if (s != CCG_OK)
		return s;
	b->data[b->len] = '\0';
	return CCG_OK;
}

uint8_t *ccg_buf_steal(struct ccg_buf *b, size_t *out_len)
{
	uint8_t *p = b->data;

	if (out_len != NULL)
		*out_len = b->len;
	ccg_buf_init(b, b->max);
	return p;
}
