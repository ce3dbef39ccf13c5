/* SPDX-License-Identifier: Apache-2.0 */
#include "wire/frame.h"

#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/error.h"

static bool known_type(uint8_t t)
{
	switch (t) {
	case CCG_FRAME_SPDM:
	case CCG_FRAME_SECURED_SPDM:
	case CCG_FRAME_GET_INFO:
	case CCG_FRAME_INFO:
	case CCG_FRAME_GET_CERT_CHAIN:
	case CCG_FRAME_CERT_CHAIN:
	case CCG_FRAME_GET_REPORT:
	case CCG_FRAME_REPORT:
	case CCG_FRAME_CHANNEL_OPEN:
	case CCG_FRAME_CHANNEL_OPENED:
	case CCG_FRAME_CHANNEL_CLOSE:
	case CCG_FRAME_CHANNEL_CLOSED:
	case CCG_FRAME_ERROR:
		return true;
	default:
		return false;
	}
}

/* header: u32le payload length, u8 version, u8 type, u16le device, u32le session id */
static enum ccg_status parse_header(struct ccg_cursor *c, struct ccg_frame *f, uint32_t *len,
				    struct ccg_error *err)
{
	uint8_t version;

	if (!ccg_cursor_get_u32le(c, len) || !ccg_cursor_get_u8(c, &version) ||
	    !ccg_cursor_get_u8(c, &f->type) || !ccg_cursor_get_u16le(c, &f->device) ||
	    !ccg_cursor_get_u32le(c, &f->session_id))
		return ccg_error_set(err, CCG_ERR_TRUNCATED, "frame.header", "need %d bytes",
				     CCG_FRAME_HEADER_LEN);
	if (version != CCG_FRAME_VERSION)
		return ccg_error_set(err, CCG_ERR_UNSUPPORTED, "frame.version", "version %u, expected %d",
				     version, CCG_FRAME_VERSION);
	if (!known_type(f->type))
		return ccg_error_set(err, CCG_ERR_MALFORMED, "frame.type", "unknown type 0x%02x", f->type);
	if (*len > CCG_FRAME_MAX_PAYLOAD)
		return ccg_error_set(err, CCG_ERR_TOO_LARGE, "frame.length", "%u bytes, at most %u", *len,
				     CCG_FRAME_MAX_PAYLOAD);
	return CCG_OK;
}

enum ccg_status ccg_frame_header_check(const uint8_t hdr[CCG_FRAME_HEADER_LEN], size_t *payload_len,
				       struct ccg_error *err)
{
	struct ccg_cursor c;
	struct ccg_frame f;
	uint32_t len = 0;
	enum ccg_status st;

	ccg_cursor_init(&c, hdr, CCG_FRAME_HEADER_LEN);
	st = parse_header(&c, &f, &len, err);
	*payload_len = len;
	return st;
}

enum ccg_status ccg_frame_parse(struct ccg_cursor *in, struct ccg_frame *out, struct ccg_error *err)
{
	struct ccg_cursor c = *in;
	uint32_t len = 0;
	enum ccg_status st;

	memset(out, 0, sizeof(*out));
	st = parse_header(&c, out, &len, err);
	if (st != CCG_OK)
		return st;
	if (!ccg_cursor_get_bytes(&c, &out->payload, len))
		return ccg_error_set(err, CCG_ERR_TRUNCATED, "frame.payload", "need %u bytes, have %zu", len,
				     c.len);
	*in = c;
	return CCG_OK;
}

enum ccg_status ccg_frame_append(struct ccg_buf *out, uint8_t type, uint16_t device, uint32_t session_id,
				 const uint8_t *payload, size_t len)
{
	enum ccg_status st;

	if (len > CCG_FRAME_MAX_PAYLOAD)
		return CCG_ERR_TOO_LARGE;
	if ((st = ccg_buf_append_u32le(out, (uint32_t)len)) != CCG_OK ||
	    (st = ccg_buf_append_u8(out, CCG_FRAME_VERSION)) != CCG_OK ||
	    (st = ccg_buf_append_u8(out, type)) != CCG_OK ||
	    (st = ccg_buf_append_u16le(out, device)) != CCG_OK ||
	    (st = ccg_buf_append_u32le(out, session_id)) != CCG_OK)
		return st;
	return len == 0 ? CCG_OK : ccg_buf_append(out, payload, len);
}

static enum ccg_status read_full(int fd, uint8_t *p, size_t n, bool first, struct ccg_error *err)
{
	size_t got = 0;

	while (got < n) {
		ssize_t r = read(fd, p + got, n - got);

		if (r < 0 && errno == EINTR)
			continue;
		if (r == 0 && got == 0 && first)
			return ccg_error_set(err, CCG_ERR_NOT_FOUND, "frame.read", "end of stream");
		if (r <= 0)
			return ccg_error_set(err, CCG_ERR_IO, "frame.read", "%s",
					     r == 0 ? "end of stream inside a frame" : strerror(errno));
		got += (size_t)r;
	}
	return CCG_OK;
}

enum ccg_status ccg_frame_read(int fd, struct ccg_buf *buf, struct ccg_frame *out, struct ccg_error *err)
{
	uint8_t hdr[CCG_FRAME_HEADER_LEN];
	size_t plen = 0;
	struct ccg_cursor c;
	enum ccg_status st;

	buf->len = 0;
	if ((st = read_full(fd, hdr, sizeof(hdr), true, err)) != CCG_OK ||
	    (st = ccg_frame_header_check(hdr, &plen, err)) != CCG_OK)
		return st;
	if ((st = ccg_buf_append(buf, hdr, sizeof(hdr))) != CCG_OK ||
	    (st = ccg_buf_reserve(buf, plen)) != CCG_OK)
		return ccg_error_set(err, st, "frame.read", "buffer");
	if (plen > 0 && (st = read_full(fd, buf->data + buf->len, plen, false, err)) != CCG_OK)
		return st;
	buf->len += plen;
	ccg_cursor_init(&c, buf->data, buf->len);
	return ccg_frame_parse(&c, out, err);
}

/* a failed send: a peer that went away is CCG_ERR_PEER_CLOSED, anything else CCG_ERR_IO */
static enum ccg_status send_error(int e, struct ccg_error *err)
{
	if (e == EPIPE || e == ECONNRESET)
		return ccg_error_set(err, CCG_ERR_PEER_CLOSED, "frame.write", "the peer closed the connection (%s)",
				     strerror(e));
	return ccg_error_set(err, CCG_ERR_IO, "frame.write", "%s", strerror(e));
}

enum ccg_status ccg_frame_send(int fd, const uint8_t *data, size_t len, struct ccg_error *err)
{
	size_t off = 0;

	while (off < len) {
		/* MSG_NOSIGNAL: a peer that closed its end is an error here, never a SIGPIPE */
		ssize_t w = send(fd, data + off, len - off, MSG_NOSIGNAL);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return send_error(errno, err);
		if (w == 0)
			return ccg_error_set(err, CCG_ERR_IO, "frame.write", "the socket took no bytes");
		off += (size_t)w;
	}
	return CCG_OK;
}

enum ccg_status ccg_frame_write(int fd, uint8_t type, uint16_t device, uint32_t session_id,
				const uint8_t *payload, size_t len, struct ccg_error *err)
{
	struct ccg_buf b;
	enum ccg_status st;

	ccg_buf_init(&b, CCG_FRAME_HEADER_LEN + CCG_FRAME_MAX_PAYLOAD);
	st = ccg_frame_append(&b, type, device, session_id, payload, len);
	if (st != CCG_OK) {
		ccg_buf_cleanup(&b);
		return ccg_error_set(err, st, "frame.write", "%zu payload bytes", len);
	}
	st = ccg_frame_send(fd, b.data, b.len, err);
	ccg_buf_cleanup(&b);
	return st;
}

/* the first bytes of a frame with recvmsg, keeping a passed descriptor */
static enum ccg_status recv_first(int fd, uint8_t *p, size_t n, size_t *got, int *passed_fd, struct ccg_error *err)
{
	union {
		char buf[CMSG_SPACE(4 * sizeof(int))];
		struct cmsghdr align;
	} u;
	struct iovec iov = {.iov_base = p, .iov_len = n};
	struct msghdr m;
	ssize_t r;

	memset(&m, 0, sizeof(m));
	m.msg_iov = &iov;
	m.msg_iovlen = 1;
	m.msg_control = u.buf;
	m.msg_controllen = sizeof(u.buf);
	do
		r = recvmsg(fd, &m, MSG_CMSG_CLOEXEC);
	while (r < 0 && errno == EINTR);
	for (struct cmsghdr *c = CMSG_FIRSTHDR(&m); r >= 0 && c != NULL; c = CMSG_NXTHDR(&m, c)) {
		if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
			continue;
		for (size_t i = 0; i < (c->cmsg_len - CMSG_LEN(0)) / sizeof(int); i++) {
			int x;

			memcpy(&x, CMSG_DATA(c) + i * sizeof(int), sizeof(int));
			if (*passed_fd < 0)
				*passed_fd = x;
			else
				close(x);
		}
	}
	if (r == 0)
		return ccg_error_set(err, CCG_ERR_NOT_FOUND, "frame.read", "end of stream");
	if (r < 0)
		return ccg_error_set(err, CCG_ERR_IO, "frame.read", "%s", strerror(errno));
	*got = (size_t)r;
	return CCG_OK;
}

enum ccg_status ccg_frame_read_fd(int fd, struct ccg_buf *buf, struct ccg_frame *out, int *passed_fd,
				  struct ccg_error *err)
{
	uint8_t hdr[CCG_FRAME_HEADER_LEN];
	size_t plen = 0, got = 0;
	struct ccg_cursor c;
	enum ccg_status st;

	*passed_fd = -1;
	buf->len = 0;
	if ((st = recv_first(fd, hdr, sizeof(hdr), &got, passed_fd, err)) != CCG_OK ||
	    (got < sizeof(hdr) && (st = read_full(fd, hdr + got, sizeof(hdr) - got, false, err)) != CCG_OK) ||
	    (st = ccg_frame_header_check(hdr, &plen, err)) != CCG_OK)
		goto fail;
	if ((st = ccg_buf_append(buf, hdr, sizeof(hdr))) != CCG_OK || (st = ccg_buf_reserve(buf, plen)) != CCG_OK) {
		st = ccg_error_set(err, st, "frame.read", "buffer");
		goto fail;
	}
	if (plen > 0 && (st = read_full(fd, buf->data + buf->len, plen, false, err)) != CCG_OK)
		goto fail;
	buf->len += plen;
	ccg_cursor_init(&c, buf->data, buf->len);
	if ((st = ccg_frame_parse(&c, out, err)) == CCG_OK)
		return CCG_OK;
fail:
	if (*passed_fd >= 0)
		close(*passed_fd);
	*passed_fd = -1;
	return st;
}

enum ccg_status ccg_frame_write_fd(int fd, uint8_t type, uint16_t device, uint32_t session_id, const uint8_t *payload,
				   size_t len, int pass_fd, struct ccg_error *err)
{
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} u;
	struct ccg_buf b;
	struct iovec iov;
	struct msghdr m;
	struct cmsghdr *c;
	ssize_t w;
	enum ccg_status st;

	ccg_buf_init(&b, CCG_FRAME_HEADER_LEN + CCG_FRAME_MAX_PAYLOAD);
	if ((st = ccg_frame_append(&b, type, device, session_id, payload, len)) != CCG_OK) {
		ccg_buf_cleanup(&b);
		return ccg_error_set(err, st, "frame.write", "%zu payload bytes", len);
	}
	memset(&m, 0, sizeof(m));
	memset(&u, 0, sizeof(u));
	iov.iov_base = b.data;
	iov.iov_len = b.len;
	m.msg_iov = &iov;
	m.msg_iovlen = 1;
	m.msg_control = u.buf;
	m.msg_controllen = sizeof(u.buf);
	c = CMSG_FIRSTHDR(&m);
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(c), &pass_fd, sizeof(int));
	do
		w = sendmsg(fd, &m, MSG_NOSIGNAL);
	while (w < 0 && errno == EINTR);
	if (w <= 0) {
		st = w < 0 ? send_error(errno, err) : ccg_error_set(err, CCG_ERR_IO, "frame.write", "the socket took no bytes");
		ccg_buf_cleanup(&b);
		return st;
	}
	st = ccg_frame_send(fd, b.data + w, b.len - (size_t)w, err);
	ccg_buf_cleanup(&b);
	return st;
}

bool ccg_wire_put_status(struct ccg_writer *w, enum ccg_status st)
{
	return ccg_writer_put_u32le(w, (uint32_t)st);
}

bool ccg_wire_get_status(struct ccg_cursor *c, enum ccg_status *out)
{
	struct ccg_cursor t = *c;
	uint32_t v = 0;

	if (!ccg_cursor_get_u32le(&t, &v) || v == CCG_OK)
		return false;
	*out = (enum ccg_status)v;
	*c = t;
	return true;
}

enum ccg_status ccg_frame_append_error(struct ccg_buf *out, uint16_t device, const struct ccg_error *e)
{
	char text[CCG_ERROR_WHERE_MAX + CCG_ERROR_DETAIL_MAX + 64];
	struct ccg_buf p;
	struct ccg_writer w;
	enum ccg_status st;

	ccg_buf_init(&p, CCG_FRAME_MAX_PAYLOAD);
	ccg_writer_init_buf(&w, &p);
	ccg_error_format(e, text, sizeof(text));
	if (ccg_wire_put_status(&w, e->status) && ccg_writer_put_bytes(&w, text, strlen(text)))
		st = ccg_frame_append(out, CCG_FRAME_ERROR, device, 0, p.data, p.len);
	else
		st = w.failed;
	ccg_buf_cleanup(&p);
	return st;
}

bool ccg_frame_error_parse(const struct ccg_frame *f, enum ccg_status *status, struct ccg_cursor *text)
{
	struct ccg_cursor c = f->payload;

	if (f->type != CCG_FRAME_ERROR || !ccg_wire_get_status(&c, status))
		return false;
	*text = c;
	return true;
}

enum ccg_status ccg_frame_call(int fd, const struct ccg_frame_call *call, struct ccg_buf *buf, struct ccg_frame *out,
			       struct ccg_error *err)
{
	struct ccg_cursor text;
	enum ccg_status code = CCG_OK;
	enum ccg_status st;

	st = call->pass_fd >= 0 ? ccg_frame_write_fd(fd, call->type, call->device, call->session_id, call->payload,
						     call->len, call->pass_fd, err)
				: ccg_frame_write(fd, call->type, call->device, call->session_id, call->payload, call->len,
						  err);
	if (st != CCG_OK || (st = ccg_frame_read(fd, buf, out, err)) != CCG_OK)
		return st;
	if (out->device != call->device)
		return ccg_error_set(err, call->bad_answer, call->where, "answer for device %u, asked device %u",
				     out->device, call->device);
	if (out->type == CCG_FRAME_ERROR) {
		if (!ccg_frame_error_parse(out, &code, &text))
			return ccg_error_set(err, call->bad_answer, call->where, "malformed ERROR frame");
		return ccg_error_set(err, call->adopt_refusal ? code : call->bad_answer, call->where,
				     "device refused (status %u, %s): %.*s", (unsigned)code, ccg_status_name(code),
				     (int)(text.len > 200 ? 200 : text.len), (const char *)text.data);
	}
	if (out->type != call->want || out->session_id != call->session_id)
		return ccg_error_set(err, call->bad_answer, call->where,
				     "answer frame type 0x%02x session 0x%08x, expected 0x%02x session 0x%08x", out->type,
				     out->session_id, call->want, call->session_id);
	return CCG_OK;
}
