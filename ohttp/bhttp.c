/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Binary HTTP messages (RFC 9292): known-length (framing 0, 1) and
 * indeterminate-length (framing 2, 3) requests and responses, decoded with
 * the cursor and refused at the first part that is wrong, encoded in two
 * passes (size, then bytes) into one buffer so no partial copy of a prompt
 * is left behind by a reallocation. Section numbers are RFC 9292's; the
 * field rules are HTTP/2's (RFC 9113 §8.2), as §3.6 asks.
 */
#include "ohttp/bhttp.h"

#include <openssl/crypto.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/error.h"

#define N_SECTIONS (2 + CCG_BHTTP_MAX_INFORMATIONAL)

enum { CTL_METHOD, CTL_SCHEME, CTL_AUTHORITY, CTL_PATH, N_CTL };
static const char *const ctl_names[N_CTL] = {"bhttp.method", "bhttp.scheme", "bhttp.authority", "bhttp.path"};

struct field {
	char *name; /* NUL-terminated; the value follows in the same allocation */
	uint8_t *value;
	size_t name_len, value_len;
};

struct section {
	struct field *f;
	size_t n, cap;
	unsigned status; /* informational sections: the 1xx status */
};

struct ccg_bhttp_msg {
	bool request;
	char *ctl[N_CTL];
	unsigned status;
	size_t n_info;
	struct section sec[N_SECTIONS];
	uint8_t *content;
	size_t content_len, content_cap;
	/* (branch prompt) decoded with ccg_bhttp_decode_take: the encoded message the content points into */
	uint8_t *backing;
	size_t backing_len, backing_cap;
	bool borrowed; /* content lies in backing (or, while decoding, in the caller's bytes): not freed alone */
	bool take;     /* decoding in ccg_bhttp_decode_take */
};

/* ---------- message buffers (branch prompt) ---------- */

/*
 * Contents and decoded requests of 4 KiB and more come from a small pool of
 * wiped buffers instead of malloc/free each time: with a prompt of 64 KiB a
 * round trip's buffers outgrew glibc's top pad, so every free gave the heap
 * back to the kernel (brk) and the next request faulted every page in again
 * (bench/prompt: ~30 page faults per round trip, most of its cost on this
 * VM). A buffer handed out of the pool is an ordinary malloc'd block: a
 * caller may free() it; only ccg_bhttp_buf_put returns one.
 */
#define POOL_N 4
#define POOL_MIN 4096u
#define POOL_MAX (1u << 20)
#define POOL_STEP 16384u

static struct {
	pthread_mutex_t lock;
	uint8_t *p[POOL_N];
	size_t cap[POOL_N];
	size_t n;
} pool = {.lock = PTHREAD_MUTEX_INITIALIZER};

uint8_t *ccg_bhttp_buf_get(size_t n, size_t *cap)
{
	uint8_t *p = NULL;
	size_t best = POOL_N;

	*cap = 0;
	if (n >= POOL_MIN && n <= POOL_MAX) {
		pthread_mutex_lock(&pool.lock);
		for (size_t i = 0; i < pool.n; i++)
			if (pool.cap[i] >= n && (best == POOL_N || pool.cap[i] < pool.cap[best]))
				best = i;
		if (best != POOL_N) {
			p = pool.p[best];
			*cap = pool.cap[best];
			pool.n--;
			pool.p[best] = pool.p[pool.n];
			pool.cap[best] = pool.cap[pool.n];
		}
		pthread_mutex_unlock(&pool.lock);
		if (p != NULL)
			return p;
		n = (n + POOL_STEP - 1) / POOL_STEP * POOL_STEP;
	}
	if ((p = malloc(n > 0 ? n : 1)) != NULL)
		*cap = n > 0 ? n : 1;
	return p;
}

void ccg_bhttp_buf_put(uint8_t *p, size_t cap, size_t used)
{
	bool kept = false;

	if (p == NULL)
		return;
	OPENSSL_cleanse(p, used < cap ? used : cap);
	if (cap >= POOL_MIN && cap <= POOL_MAX) {
		pthread_mutex_lock(&pool.lock);
		if (pool.n < POOL_N) {
			pool.p[pool.n] = p;
			pool.cap[pool.n] = cap;
			pool.n++;
			kept = true;
		}
		pthread_mutex_unlock(&pool.lock);
	}
	if (!kept)
		free(p);
}

/* ---------- QUIC variable-length integers (RFC 9000 §16) ---------- */

bool ccg_quic_varint_get(struct ccg_cursor *c, uint64_t *out)
{
	struct ccg_cursor t = *c;
	uint8_t b;
	uint64_t v;
	size_t n;

	if (!ccg_cursor_get_u8(&t, &b))
		return false;
	n = (size_t)1 << (b >> 6);
	v = b & 0x3f;
	for (size_t i = 1; i < n; i++) {
		if (!ccg_cursor_get_u8(&t, &b))
			return false;
		v = (v << 8) | b;
	}
	*out = v;
	*c = t;
	return true;
}

size_t ccg_quic_varint_len(uint64_t v)
{
	return v < 64 ? 1 : v < 16384 ? 2 : v < (UINT64_C(1) << 30) ? 4 : 8;
}

uint8_t *ccg_quic_varint_put(uint8_t *p, uint64_t v)
{
	size_t n = ccg_quic_varint_len(v);
	static const uint8_t prefix[9] = {0, 0x00, 0x40, 0, 0x80, 0, 0, 0, 0xc0};

	for (size_t i = 0; i < n; i++)
		p[i] = (uint8_t)(v >> (8 * (n - 1 - i)));
	p[0] |= prefix[n];
	return p + n;
}

/* ---------- what a valid part is ---------- */

static bool is_tchar(uint8_t c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       (c != 0 && strchr("!#$%&'*+-.^_`|~", c) != NULL);
}

static bool is_visible(uint8_t c)
{
	return c > 0x20 && c < 0x7f;
}

static enum ccg_status check_control(int which, const uint8_t *s, size_t n, struct ccg_error *err)
{
	const char *where = ctl_names[which];

	if (n > CCG_BHTTP_MAX_CONTROL_LEN)
		return ccg_error_set(err, CCG_ERR_TOO_LARGE, where, "%zu bytes, at most %u", n,
				     CCG_BHTTP_MAX_CONTROL_LEN);
	if (which == CTL_METHOD && n == 0)
		return ccg_error_set(err, CCG_ERR_MALFORMED, where, "empty method");
	for (size_t i = 0; i < n; i++) {
		uint8_t c = s[i];
		bool ok;

		switch (which) {
		case CTL_METHOD: ok = is_tchar(c); break;
		case CTL_SCHEME:
			ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
			     (i > 0 && ((c >= '0' && c <= '9') || c == '+' || c == '-' || c == '.'));
			break;
		default: ok = is_visible(c); break;
		}
		if (!ok)
			return ccg_error_set(err, CCG_ERR_MALFORMED, where, "byte 0x%02x at offset %zu is not allowed",
					     c, i);
	}
	return CCG_OK;
}

/* RFC 9113 §8.2.2: fields that belong to one connection make an HTTP/2 message malformed */
static bool connection_specific(const uint8_t *name, size_t n, const uint8_t *value, size_t value_len)
{
	static const char *const names[] = {"connection", "keep-alive", "proxy-connection", "transfer-encoding",
					    "upgrade"};

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strlen(names[i]) == n && memcmp(name, names[i], n) == 0)
			return true;
	/* TE is the one connection-level field HTTP/2 keeps, and only as "trailers" */
	return n == 2 && memcmp(name, "te", 2) == 0 && !(value_len == 8 && memcmp(value, "trailers", 8) == 0);
}

static enum ccg_status check_field(const uint8_t *name, size_t name_len, const uint8_t *value, size_t value_len,
				   const char *where, struct ccg_error *err)
{
	if (name_len == 0)
		return ccg_error_set(err, CCG_ERR_MALFORMED, where, "empty field name");
	if (name_len > CCG_BHTTP_MAX_FIELD_LEN || value_len > CCG_BHTTP_MAX_FIELD_LEN)
		return ccg_error_set(err, CCG_ERR_TOO_LARGE, where, "a field name or value over %u bytes",
				     CCG_BHTTP_MAX_FIELD_LEN);
	for (size_t i = 0; i < name_len; i++) {
		if (name[i] == ':')
			return ccg_error_set(err, CCG_ERR_MALFORMED, where,
					     "pseudo-field: control data is not a field");
		if (!is_tchar(name[i]) || (name[i] >= 'A' && name[i] <= 'Z'))
			return ccg_error_set(err, CCG_ERR_MALFORMED, where,
					     "byte 0x%02x at offset %zu of the name: not a lower-case token", name[i],
					     i);
	}
	for (size_t i = 0; i < value_len; i++)
		if (value[i] == 0 || value[i] == '\r' || value[i] == '\n')
			return ccg_error_set(err, CCG_ERR_MALFORMED, where, "NUL, CR or LF at offset %zu of the value",
					     i);
	if (connection_specific(name, name_len, value, value_len))
		return ccg_error_set(err, CCG_ERR_MALFORMED, where, "connection-specific field \"%.*s\"", (int)name_len,
				     (const char *)name);
	if (value_len > 0 &&
	    (value[0] == ' ' || value[0] == '\t' || value[value_len - 1] == ' ' || value[value_len - 1] == '\t'))
		return ccg_error_set(err, CCG_ERR_MALFORMED, where, "the value begins or ends with white space");
	return CCG_OK;
}

static void section_where(const struct ccg_bhttp_msg *m, unsigned sec, size_t i, char *out, size_t cap)
{
	(void)m;
	if (sec == CCG_BHTTP_HEADERS)
		snprintf(out, cap, "bhttp.header[%zu]", i);
	else if (sec == CCG_BHTTP_TRAILERS)
		snprintf(out, cap, "bhttp.trailer[%zu]", i);
	else
		snprintf(out, cap, "bhttp.informational[%u].header[%zu]", sec - 2, i);
}

/* the section, or NULL when the message has none of that number */
static struct section *section_get(const struct ccg_bhttp_msg *m, unsigned sec)
{
	if (m == NULL || sec >= 2 + m->n_info)
		return NULL;
	return (struct section *)&m->sec[sec];
}

/* checks and appends one field line (a copy) */
static enum ccg_status field_add(struct ccg_bhttp_msg *m, unsigned sec, const uint8_t *name, size_t name_len,
				 const uint8_t *value, size_t value_len, struct ccg_error *err)
{
	struct section *s = section_get(m, sec);
	char where[64];
	struct field *f;
	enum ccg_status st;

	if (s == NULL)
		return ccg_error_set(err, CCG_ERR_INVALID_ARG, "bhttp.section", "no section %u", sec);
	section_where(m, sec, s->n, where, sizeof(where));
	if ((st = check_field(name, name_len, value, value_len, where, err)) != CCG_OK)
		return st;
	if (s->n >= CCG_BHTTP_MAX_FIELDS)
		return ccg_error_set(err, CCG_ERR_TOO_LARGE, where, "more than %u field lines", CCG_BHTTP_MAX_FIELDS);
	if (s->n == s->cap) {
		size_t cap = s->cap != 0 ? 2 * s->cap : 8;
		struct field *nf = realloc(s->f, cap * sizeof(*nf));

		if (nf == NULL)
			return ccg_error_set(err, CCG_ERR_NOMEM, where, NULL);
		s->f = nf;
		s->cap = cap;
	}
	f = &s->f[s->n];
	if ((f->name = malloc(name_len + 1 + value_len + 1)) == NULL)
		return ccg_error_set(err, CCG_ERR_NOMEM, where, NULL);
	memcpy(f->name, name, name_len);
	f->name[name_len] = '\0';
	f->value = (uint8_t *)f->name + name_len + 1;
	if (value_len > 0)
		memcpy(f->value, value, value_len);
	f->value[value_len] = '\0';
	f->name_len = name_len;
	f->value_len = value_len;
	s->n++;
	return CCG_OK;
}

/* ---------- construction ---------- */

static struct ccg_bhttp_msg *msg_alloc(bool request)
{
	struct ccg_bhttp_msg *m = calloc(1, sizeof(*m));

	if (m == NULL)
		return NULL;
	m->request = request;
	/* an empty content is a valid (non-NULL) pointer */
	if ((m->content = ccg_bhttp_buf_get(1, &m->content_cap)) == NULL) {
		free(m);
		return NULL;
	}
	return m;
}

static enum ccg_status set_control(struct ccg_bhttp_msg *m, int which, const uint8_t *s, size_t n,
				   struct ccg_error *err)
{
	enum ccg_status st = check_control(which, s, n, err);

	if (st != CCG_OK)
		return st;
	if ((m->ctl[which] = malloc(n + 1)) == NULL)
		return ccg_error_set(err, CCG_ERR_NOMEM, ctl_names[which], NULL);
	if (n > 0)
		memcpy(m->ctl[which], s, n);
	m->ctl[which][n] = '\0';
	return CCG_OK;
}

enum ccg_status ccg_bhttp_request_new(const char *method, const char *scheme, const char *authority, const char *path,
				      struct ccg_bhttp_msg **out, struct ccg_error *err)
{
	const char *v[N_CTL] = {method, scheme, authority, path};
	struct ccg_bhttp_msg *m;
	enum ccg_status st = CCG_OK;

	if (out == NULL)
		return ccg_error_set(err, CCG_ERR_INVALID_ARG, "bhttp", "no output");
	*out = NULL;
	for (int i = 0; i < N_CTL; i++)
		if (v[i] == NULL)
			return ccg_error_set(err, CCG_ERR_INVALID_ARG, ctl_names[i],
					     "NULL (give \"\" for an empty value)");
	if ((m = msg_alloc(true)) == NULL)
		return ccg_error_set(err, CCG_ERR_NOMEM, "bhttp", NULL);
	for (int i = 0; i < N_CTL && st == CCG_OK; i++)
		st = set_control(m, i, (const uint8_t *)v[i], strlen(v[i]), err);
	if (st != CCG_OK) {
		ccg_bhttp_msg_free(m);
		return st;
	}
	*out = m;
	return CCG_OK;
}

enum ccg_status ccg_bhttp_response_new(unsigned status, struct ccg_bhttp_msg **out, struct ccg_error *err)
{
	if (out == NULL)
		return ccg_error_set(err, CCG_ERR_INVALID_ARG, "bhttp", "no output");
	*out = NULL;
	if (status < 200 || status > 599)
		return ccg_error_set(err, CCG_ERR_MALFORMED, "bhttp.status", "final status %u is not in 200..599",
				     status);
	if ((*out = msg_alloc(false)) == NULL)
		return ccg_error_set(err, CCG_ERR_NOMEM, "bhttp", NULL);
	(*out)->status = status;
	return CCG_OK;
}

void ccg_bhttp_msg_free(struct ccg_bhttp_msg *m)
{
	if (m == NULL)
		return;
	for (int i = 0; i < N_CTL; i++)
		free(m->ctl[i]);
	for (size_t s = 0; s < N_SECTIONS; s++) {
		for (size_t i = 0; i < m->sec[s].n; i++) {
			struct field *f = &m->sec[s].f[i];

			OPENSSL_cleanse(f->name, f->name_len + 1 + f->value_len + 1);
			free(f->name);
		}
		free(m->sec[s].f);
	}
	if (!m->borrowed)
		ccg_bhttp_buf_put(m->content, m->content_cap, m->content_len);
	ccg_bhttp_buf_put(m->backing, m->backing_cap, m->backing_len);
	free(m);
}

/* replaces the content by c (len bytes in cap; borrowed: inside the backing or the caller's bytes) */
static void content_replace(struct ccg_bhttp_msg *m, uint8_t *c, size_t len, size_t cap, bool borrowed)
{
	if (!m->borrowed)
		ccg_bhttp_buf_put(m->content, m->content_cap, m->content_len);
	m->content = c;
	m->content_len = len;
	m->content_cap = cap;
	m->borrowed = borrowed;
}

enum ccg_status ccg_bhttp_msg_add_informational(struct ccg_bhttp_msg *m, unsigned status, struct ccg_error *err)
{
	if (m == NULL || m->request)
		return ccg_error_set(err, CCG_ERR_INVALID_ARG, "bhttp.informational", "only responses have 1xx parts");
	if (status < 100 || status > 199)
		return ccg_error_set(err, CCG_ERR_MALFORMED, "bhttp.informational", "status %u is not in 100..199",
				     status);
	if (m->n_info >= CCG_BHTTP_MAX_INFORMATIONAL)
		return ccg_error_set(err, CCG_ERR_TOO_LARGE, "bhttp.informational",
				     "more than %u informational responses", CCG_BHTTP_MAX_INFORMATIONAL);
	m->sec[2 + m->n_info].status = status;
	m->n_info++;
	return CCG_OK;
}

enum ccg_status ccg_bhttp_msg_add_field(struct ccg_bhttp_msg *m, unsigned section, const char *name,
					const uint8_t *value, size_t value_len, struct ccg_error *err)
{
	if (m == NULL || name == NULL || (value == NULL && value_len != 0))
		return ccg_error_set(err, CCG_ERR_INVALID_ARG, "bhttp.field", "NULL argument");
	return field_add(m, section, (const uint8_t *)name, strlen(name), value, value_len, err);
}

enum ccg_status ccg_bhttp_msg_set_content(struct ccg_bhttp_msg *m, const uint8_t *data, size_t len,
					  struct ccg_error *err)
{
	uint8_t *c;
	size_t cap = 0;

	if (m == NULL || (data == NULL && len != 0))
		return ccg_error_set(err, CCG_ERR_INVALID_ARG, "bhttp.content", "NULL argument");
	if (len > CCG_BHTTP_MAX_MESSAGE)
		return ccg_error_set(err, CCG_ERR_TOO_LARGE, "bhttp.content", "%zu bytes, at most %u", len,
				     CCG_BHTTP_MAX_MESSAGE);
	if ((c = ccg_bhttp_buf_get(len + 1, &cap)) == NULL)
		return ccg_error_set(err, CCG_ERR_NOMEM, "bhttp.content", NULL);
	if (len > 0)
		memcpy(c, data, len);
	content_replace(m, c, len, cap, false);
	return CCG_OK;
}

/* ---------- encoding ---------- */

/* bytes of the field lines of a section (without its length or terminator) */
static size_t section_lines_len(const struct section *s)
{
	size_t n = 0;

	for (size_t i = 0; i < s->n; i++)
		n += ccg_quic_varint_len(s->f[i].name_len) + s->f[i].name_len + ccg_quic_varint_len(s->f[i].value_len) +
		     s->f[i].value_len;
	return n;
}

static size_t section_len(const struct section *s, bool indet)
{
	size_t l = section_lines_len(s);

	return indet ? l + 1 : ccg_quic_varint_len(l) + l;
}

static uint8_t *section_put(uint8_t *p, const struct section *s, bool indet)
{
	if (!indet)
		p = ccg_quic_varint_put(p, section_lines_len(s));
	for (size_t i = 0; i < s->n; i++) {
		p = ccg_quic_varint_put(p, s->f[i].name_len);
		memcpy(p, s->f[i].name, s->f[i].name_len);
		p += s->f[i].name_len;
		p = ccg_quic_varint_put(p, s->f[i].value_len);
		if (s->f[i].value_len > 0)
			memcpy(p, s->f[i].value, s->f[i].value_len);
		p += s->f[i].value_len;
	}
	if (indet)
		*p++ = 0;
	return p;
}

enum ccg_status ccg_bhttp_encode(const struct ccg_bhttp_msg *m, bool indeterminate, size_t padding, uint8_t **out,
				 size_t *out_len, struct ccg_error *err)
{
	uint64_t framing;
	size_t n;
	uint8_t *buf, *p;

	if (m == NULL || out == NULL || out_len == NULL)
		return ccg_error_set(err, CCG_ERR_INVALID_ARG, "bhttp", "NULL argument");
	*out = NULL;
	*out_len = 0;
	framing = (indeterminate ? 2 : 0) + (m->request ? 0 : 1);
	/* the size pass (every part is bounded, so these sums cannot overflow) */
	n = 1;
	if (m->request) {
		for (int i = 0; i < N_CTL; i++)
			n += ccg_quic_varint_len(strlen(m->ctl[i])) + strlen(m->ctl[i]);
	} else {
		for (size_t i = 0; i < m->n_info; i++)
			n += ccg_quic_varint_len(m->sec[2 + i].status) + section_len(&m->sec[2 + i], indeterminate);
		n += ccg_quic_varint_len(m->status);
	}
	n += section_len(&m->sec[CCG_BHTTP_HEADERS], indeterminate);
	if (indeterminate)
		n += (m->content_len > 0 ? ccg_quic_varint_len(m->content_len) + m->content_len : 0) + 1;
	else
		n += ccg_quic_varint_len(m->content_len) + m->content_len;
	n += section_len(&m->sec[CCG_BHTTP_TRAILERS], indeterminate);
	if (padding > CCG_BHTTP_MAX_MESSAGE || n > CCG_BHTTP_MAX_MESSAGE - padding)
		return ccg_error_set(err, CCG_ERR_TOO_LARGE, "bhttp", "%zu bytes and %zu of padding, at most %u", n,
				     padding, CCG_BHTTP_MAX_MESSAGE);
	n += padding;
	if ((buf = malloc(n)) == NULL)
		return ccg_error_set(err, CCG_ERR_NOMEM, "bhttp", NULL);
	/* the writing pass */
	p = ccg_quic_varint_put(buf, framing);
	if (m->request) {
		for (int i = 0; i < N_CTL; i++) {
			size_t l = strlen(m->ctl[i]);

			p = ccg_quic_varint_put(p, l);
			memcpy(p, m->ctl[i], l);
			p += l;
		}
	} else {
		for (size_t i = 0; i < m->n_info; i++) {
			p = ccg_quic_varint_put(p, m->sec[2 + i].status);
			p = section_put(p, &m->sec[2 + i], indeterminate);
		}
		p = ccg_quic_varint_put(p, m->status);
	}
	p = section_put(p, &m->sec[CCG_BHTTP_HEADERS], indeterminate);
	if (!indeterminate || m->content_len > 0) {
		p = ccg_quic_varint_put(p, m->content_len);
		if (m->content_len > 0)
			memcpy(p, m->content, m->content_len);
		p += m->content_len;
	}
	if (indeterminate)
		*p++ = 0;
	p = section_put(p, &m->sec[CCG_BHTTP_TRAILERS], indeterminate);
	memset(p, 0, padding);
	p += padding;
	if ((size_t)(p - buf) != n) {
		OPENSSL_cleanse(buf, n);
		free(buf);
		return ccg_error_set(err, CCG_ERR_INTERNAL, "bhttp", "size pass and writing pass differ");
	}
	*out = buf;
	*out_len = n;
	return CCG_OK;
}

/* ---------- decoding ---------- */

static enum ccg_status get_len(struct ccg_cursor *c, uint64_t max, const char *where, uint64_t *out,
			       struct ccg_error *err)
{
	if (!ccg_quic_varint_get(c, out))
		return ccg_error_set(err, CCG_ERR_TRUNCATED, where, "the input ends inside a length");
	if (*out > max)
		return ccg_error_set(err, CCG_ERR_TOO_LARGE, where, "length %llu, at most %llu",
				     (unsigned long long)*out, (unsigned long long)max);
	if (*out > c->len)
		return ccg_error_set(err, CCG_ERR_TRUNCATED, where, "length %llu, %zu bytes left",
				     (unsigned long long)*out, c->len);
	return CCG_OK;
}

/* one field line; *end set at an indeterminate section's terminator (a zero name length) */
static enum ccg_status field_line(struct ccg_cursor *c, struct ccg_bhttp_msg *m, unsigned sec, bool indet, bool *end,
				  struct ccg_error *err)
{
	struct section *s = &m->sec[sec];
	struct ccg_cursor name, value;
	uint64_t nl = 0, vl = 0;
	char where[80], wv[96];
	enum ccg_status st;

	section_where(m, sec, s->n, where, sizeof(where));
	if ((st = get_len(c, CCG_BHTTP_MAX_FIELD_LEN, where, &nl, err)) != CCG_OK)
		return st;
	if (nl == 0) {
		if (indet) {
			*end = true;
			return CCG_OK;
		}
		return ccg_error_set(err, CCG_ERR_MALFORMED, where, "empty field name");
	}
	if (!ccg_cursor_get_bytes(c, &name, (size_t)nl))
		return ccg_error_set(err, CCG_ERR_INTERNAL, where, "name");
	snprintf(wv, sizeof(wv), "%s.value", where);
	if ((st = get_len(c, CCG_BHTTP_MAX_FIELD_LEN, wv, &vl, err)) != CCG_OK)
		return st;
	if (!ccg_cursor_get_bytes(c, &value, (size_t)vl))
		return ccg_error_set(err, CCG_ERR_INTERNAL, wv, "value");
	return field_add(m, sec, name.data, name.len, value.data, value.len, err);
}

static const char *section_name(unsigned sec)
{
	return sec == CCG_BHTTP_HEADERS    ? "bhttp.header"
	       : sec == CCG_BHTTP_TRAILERS ? "bhttp.trailer"
					   : "bhttp.informational.header";
}

static enum ccg_status field_section(struct ccg_cursor *c, struct ccg_bhttp_msg *m, unsigned sec, bool indet,
				     struct ccg_error *err)
{
	enum ccg_status st;
	bool end = false;

	if (!indet) {
		struct ccg_cursor body;
		uint64_t l;

		if ((st = get_len(c, CCG_BHTTP_MAX_MESSAGE, section_name(sec), &l, err)) != CCG_OK)
			return st;
		if (!ccg_cursor_get_bytes(c, &body, (size_t)l))
			return ccg_error_set(err, CCG_ERR_INTERNAL, section_name(sec), "section");
		while (body.len > 0)
			if ((st = field_line(&body, m, sec, false, &end, err)) != CCG_OK)
				return st;
		return CCG_OK;
	}
	while (!end) {
		if (c->len == 0)
			return ccg_error_set(err, CCG_ERR_TRUNCATED, section_name(sec),
					     "the input ends before the section's terminator");
		if ((st = field_line(c, m, sec, true, &end, err)) != CCG_OK)
			return st;
	}
	return CCG_OK;
}

static enum ccg_status content(struct ccg_cursor *c, struct ccg_bhttp_msg *m, bool indet, struct ccg_error *err)
{
	struct ccg_cursor part, scan;
	uint64_t l;
	size_t total = 0;
	enum ccg_status st;

	if (!indet) {
		if ((st = get_len(c, CCG_BHTTP_MAX_MESSAGE, "bhttp.content", &l, err)) != CCG_OK)
			return st;
		if (!ccg_cursor_get_bytes(c, &part, (size_t)l))
			return ccg_error_set(err, CCG_ERR_INTERNAL, "bhttp.content", "content");
		if (m->take) {
			/* the content stays where it is: the message will own the bytes it lies in */
			content_replace(m, (uint8_t *)(uintptr_t)part.data, part.len, 0, true);
			return CCG_OK;
		}
		return ccg_bhttp_msg_set_content(m, part.data, part.len, err);
	}
	/* chunks up to the zero terminator: first measure them, then copy them into one buffer */
	scan = *c;
	for (size_t i = 0;; i++) {
		char where[48];

		snprintf(where, sizeof(where), "bhttp.content.chunk[%zu]", i);
		if ((st = get_len(&scan, CCG_BHTTP_MAX_MESSAGE, where, &l, err)) != CCG_OK)
			return st;
		if (l == 0)
			break;
		if (!ccg_cursor_skip(&scan, (size_t)l))
			return ccg_error_set(err, CCG_ERR_INTERNAL, where, "chunk");
		total += (size_t)l; /* at most the input's length */
	}
	{
		size_t cap = 0;
		uint8_t *buf = ccg_bhttp_buf_get(total + 1, &cap), *p = buf;

		if (buf == NULL)
			return ccg_error_set(err, CCG_ERR_NOMEM, "bhttp.content", NULL);
		while (ccg_quic_varint_get(c, &l) && l != 0 && ccg_cursor_get_bytes(c, &part, (size_t)l)) {
			memcpy(p, part.data, part.len);
			p += part.len;
		}
		content_replace(m, buf, total, cap, false);
	}
	return CCG_OK;
}

/* a request's four length-prefixed strings (§3.4) */
static enum ccg_status request_control(struct ccg_cursor *c, struct ccg_bhttp_msg *m, struct ccg_error *err)
{
	for (int i = 0; i < N_CTL; i++) {
		struct ccg_cursor v;
		uint64_t l;
		enum ccg_status st;

		if ((st = get_len(c, CCG_BHTTP_MAX_CONTROL_LEN, ctl_names[i], &l, err)) != CCG_OK)
			return st;
		if (!ccg_cursor_get_bytes(c, &v, (size_t)l))
			return ccg_error_set(err, CCG_ERR_INTERNAL, ctl_names[i], "value");
		if ((st = set_control(m, i, v.data, v.len, err)) != CCG_OK)
			return st;
	}
	return CCG_OK;
}

/* a response's informational parts and its final status (§3.5, §3.5.1) */
static enum ccg_status response_control(struct ccg_cursor *c, struct ccg_bhttp_msg *m, bool indet,
					struct ccg_error *err)
{
	for (;;) {
		uint64_t status;
		enum ccg_status st;

		if (!ccg_quic_varint_get(c, &status))
			return ccg_error_set(err, CCG_ERR_TRUNCATED, "bhttp.status",
					     "the input ends before the final status");
		if (status >= 200 && status <= 599) {
			m->status = (unsigned)status;
			return CCG_OK;
		}
		if (status < 100 || status > 199)
			return ccg_error_set(err, CCG_ERR_MALFORMED, "bhttp.status",
					     "status %llu is neither 1xx nor 200..599", (unsigned long long)status);
		if ((st = ccg_bhttp_msg_add_informational(m, (unsigned)status, err)) != CCG_OK)
			return st;
		if ((st = field_section(c, m, CCG_BHTTP_INFORMATIONAL((unsigned)m->n_info - 1), indet, err)) != CCG_OK)
			return st;
	}
}

static enum ccg_status decode(const uint8_t *data, size_t len, size_t cap, bool take, struct ccg_bhttp_msg **out,
			      struct ccg_error *err)
{
	struct ccg_bhttp_msg *m = NULL;
	struct ccg_cursor c;
	uint64_t framing;
	bool indet;
	enum ccg_status st;

	if (out == NULL || (data == NULL && len != 0))
		return ccg_error_set(err, CCG_ERR_INVALID_ARG, "bhttp", "NULL argument");
	*out = NULL;
	if (len > CCG_BHTTP_MAX_MESSAGE)
		return ccg_error_set(err, CCG_ERR_TOO_LARGE, "bhttp", "%zu bytes, at most %u", len,
				     CCG_BHTTP_MAX_MESSAGE);
	ccg_cursor_init(&c, data, len);
	if (!ccg_quic_varint_get(&c, &framing))
		return ccg_error_set(err, CCG_ERR_TRUNCATED, "bhttp.framing", "empty message");
	if (framing > 3)
		return ccg_error_set(err, CCG_ERR_UNSUPPORTED, "bhttp.framing",
				     "framing indicator %llu (0..3 are defined)", (unsigned long long)framing);
	indet = framing >= 2;
	if ((m = msg_alloc(framing % 2 == 0)) == NULL)
		return ccg_error_set(err, CCG_ERR_NOMEM, "bhttp", NULL);
	m->take = take;
	st = m->request ? request_control(&c, m, err) : response_control(&c, m, indet, err);
	if (st != CCG_OK)
		goto out;
	/* §3.1, §3.2: the message may end before the header section, the content or the trailer section */
	if (c.len == 0)
		goto done;
	if ((st = field_section(&c, m, CCG_BHTTP_HEADERS, indet, err)) != CCG_OK)
		goto out;
	if (c.len == 0)
		goto done;
	if ((st = content(&c, m, indet, err)) != CCG_OK)
		goto out;
	if (c.len == 0)
		goto done;
	if ((st = field_section(&c, m, CCG_BHTTP_TRAILERS, indet, err)) != CCG_OK)
		goto out;
	/* §3.8: padding is zero bytes */
	for (size_t i = 0; i < c.len; i++)
		if (c.data[i] != 0) {
			st = ccg_error_set(err, CCG_ERR_TRAILING_DATA, "bhttp.padding",
					   "non-zero byte 0x%02x at offset %zu after the trailer section", c.data[i],
					   len - c.len + i);
			goto out;
		}
done:
	if (take) {
		m->backing = (uint8_t *)(uintptr_t)data;
		m->backing_len = len;
		m->backing_cap = cap;
	}
	m->take = false;
	*out = m;
	m = NULL;
out:
	ccg_bhttp_msg_free(m); /* a failed take: content borrowed from the caller's bytes, left to the caller */
	return st;
}

enum ccg_status ccg_bhttp_decode(const uint8_t *data, size_t len, struct ccg_bhttp_msg **out, struct ccg_error *err)
{
	return decode(data, len, 0, false, out, err);
}

enum ccg_status ccg_bhttp_decode_take(uint8_t *data, size_t len, size_t cap, struct ccg_bhttp_msg **out,
				      struct ccg_error *err)
{
	if (data == NULL || cap < len)
		return ccg_error_set(err, CCG_ERR_INVALID_ARG, "bhttp", "no buffer to take");
	return decode(data, len, cap, true, out, err);
}

/* ---------- reading ---------- */

bool ccg_bhttp_msg_is_request(const struct ccg_bhttp_msg *m)
{
	return m != NULL && m->request;
}

const char *ccg_bhttp_msg_method(const struct ccg_bhttp_msg *m)
{
	return m != NULL && m->request ? m->ctl[CTL_METHOD] : NULL;
}

const char *ccg_bhttp_msg_scheme(const struct ccg_bhttp_msg *m)
{
	return m != NULL && m->request ? m->ctl[CTL_SCHEME] : NULL;
}

const char *ccg_bhttp_msg_authority(const struct ccg_bhttp_msg *m)
{
	return m != NULL && m->request ? m->ctl[CTL_AUTHORITY] : NULL;
}

const char *ccg_bhttp_msg_path(const struct ccg_bhttp_msg *m)
{
	return m != NULL && m->request ? m->ctl[CTL_PATH] : NULL;
}

unsigned ccg_bhttp_msg_status(const struct ccg_bhttp_msg *m)
{
	return m != NULL && !m->request ? m->status : 0;
}

size_t ccg_bhttp_msg_informational_count(const struct ccg_bhttp_msg *m)
{
	return m != NULL ? m->n_info : 0;
}

unsigned ccg_bhttp_msg_informational_status(const struct ccg_bhttp_msg *m, size_t i)
{
	return m != NULL && i < m->n_info ? m->sec[2 + i].status : 0;
}

size_t ccg_bhttp_msg_field_count(const struct ccg_bhttp_msg *m, unsigned section)
{
	const struct section *s = section_get(m, section);

	return s != NULL ? s->n : 0;
}

bool ccg_bhttp_msg_field(const struct ccg_bhttp_msg *m, unsigned section, size_t i, const char **name,
			 const uint8_t **value, size_t *value_len)
{
	const struct section *s = section_get(m, section);

	if (s == NULL || i >= s->n)
		return false;
	if (name != NULL)
		*name = s->f[i].name;
	if (value != NULL)
		*value = s->f[i].value;
	if (value_len != NULL)
		*value_len = s->f[i].value_len;
	return true;
}

const uint8_t *ccg_bhttp_msg_field_value(const struct ccg_bhttp_msg *m, unsigned section, const char *name,
					 size_t *value_len)
{
	const struct section *s = section_get(m, section);

	if (s == NULL || name == NULL)
		return NULL;
	for (size_t i = 0; i < s->n; i++)
		if (strcmp(s->f[i].name, name) == 0) {
			if (value_len != NULL)
				*value_len = s->f[i].value_len;
			return s->f[i].value;
		}
	return NULL;
}

const uint8_t *ccg_bhttp_msg_content(const struct ccg_bhttp_msg *m, size_t *len)
{
	if (m == NULL) {
		if (len != NULL)
			*len = 0;
		return NULL;
	}
	if (len != NULL)
		*len = m->content_len;
	return m->content;
}
