/* SPDX-License-Identifier: Apache-2.0 */
#include "common/cursor.h"

#include <string.h>

#include "common/error.h"

static bool take(struct ccg_cursor *c, size_t n, const uint8_t **p)
{
	if (c->len < n)
		return false;
	*p = c->data;
	c->data += n;
	c->len -= n;
	return true;
}

static bool get_le(struct ccg_cursor *c, size_t n, uint64_t *out)
{
	const uint8_t *p;
	uint64_t v = 0;

	if (!take(c, n, &p))
		return false;
	for (size_t i = n; i > 0; i--)
		v = (v << 8) | p[i - 1];
	*out = v;
	return true;
}

static bool get_be(struct ccg_cursor *c, size_t n, uint64_t *out)
{
	const uint8_t *p;
	uint64_t v = 0;

	if (!take(c, n, &p))
		return false;
	for (size_t i = 0; i < n; i++)
		v = (v << 8) | p[i];
	*out = v;
	return true;
}

bool ccg_cursor_get_u8(struct ccg_cursor *c, uint8_t *out)
{
	uint64_t v;

	if (!get_le(c, 1, &v))
		return false;
	*out = (uint8_t)v;
	return true;
}

bool ccg_cursor_get_u16le(struct ccg_cursor *c, uint16_t *out)
{
	uint64_t v;

	if (!get_le(c, 2, &v))
		return false;
	*out = (uint16_t)v;
	return true;
}

bool ccg_cursor_get_u24le(struct ccg_cursor *c, uint32_t *out)
{
	uint64_t v;

	if (!get_le(c, 3, &v))
		return false;
	*out = (uint32_t)v;
	return true;
}

bool ccg_cursor_get_u32le(struct ccg_cursor *c, uint32_t *out)
{
	uint64_t v;

	if (!get_le(c, 4, &v))
		return false;
	*out = (uint32_t)v;
	return true;
}

bool ccg_cursor_get_u64le(struct ccg_cursor *c, uint64_t *out)
{
	return get_le(c, 8, out);
}

bool ccg_cursor_get_u16be(struct ccg_cursor *c, uint16_t *out)
{
	uint64_t v;

	if (!get_be(c, 2, &v))
		return false;
	*out = (uint16_t)v;
	return true;
}

bool ccg_cursor_get_u24be(struct ccg_cursor *c, uint32_t *out)
{
	uint64_t v;

	if (!get_be(c, 3, &v))
		return false;
	*out = (uint32_t)v;
	return true;
}

bool ccg_cursor_get_u32be(struct ccg_cursor *c, uint32_t *out)
{
	uint64_t v;

	if (!get_be(c, 4, &v))
		return false;
	*out = (uint32_t)v;
	return true;
}

bool ccg_cursor_get_u64be(struct ccg_cursor *c, uint64_t *out)
{
	return get_be(c, 8, out);
}

bool ccg_cursor_get_bytes(struct ccg_cursor *c, struct ccg_cursor *out, size_t len)
{
	const uint8_t *p;

	if (!take(c, len, &p))
		return false;
	out->data = p;
	out->len = len;
	return true;
}

bool ccg_cursor_copy_bytes(struct ccg_cursor *c, uint8_t *out, size_t len)
{
	const uint8_t *p;

	if (!take(c, len, &p))
		return false;
	if (len != 0)
		memcpy(out, p, len);
	return true;
}

bool ccg_cursor_skip(struct ccg_cursor *c, size_t len)
{
	const uint8_t *p;

	return take(c, len, &p);
}

enum ccg_status ccg_cursor_finish(const struct ccg_cursor *c, const char *where, struct ccg_error *err)
{
	if (c->len != 0)
		return ccg_error_set(err, CCG_ERR_TRAILING_DATA, where, "%zu bytes left over", c->len);
	return CCG_OK;
}
