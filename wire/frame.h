/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The ccgpu device transport framing (docs/gpusim-transport.md): SPDM and
 * control messages over a stream socket, each frame a fixed 12-byte header
 * and a payload. Used by gpusim (the device end) and tee_guest (the host
 * end); the channel reuses it for secured messages (session_id != 0).
 */
#ifndef CCGPU_WIRE_FRAME_H
#define CCGPU_WIRE_FRAME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/buf.h"
#include "common/cursor.h"
#include "common/writer.h"

#define CCG_FRAME_HEADER_LEN 12
#define CCG_FRAME_VERSION 1
#define CCG_FRAME_MAX_PAYLOAD (64u * 1024u)

enum ccg_frame_type {
	CCG_FRAME_SPDM = 0x01,         /* a plain SPDM message (DSP0274) */
	CCG_FRAME_SECURED_SPDM = 0x02, /* a DSP0277 secured message; session_id names the session; a channel
					  open's bounce-buffer memfd rides along (SCM_RIGHTS) */
	CCG_FRAME_GET_INFO = 0x10,     /* request: empty; response: u16le number of devices */
	CCG_FRAME_INFO = 0x11,
	CCG_FRAME_GET_CERT_CHAIN = 0x12, /* request: empty; response: the PEM device chain, leaf first */
	CCG_FRAME_CERT_CHAIN = 0x13,
	CCG_FRAME_GET_REPORT = 0x14,   /* request: 32-byte nonce; response: the GET_MEASUREMENTS request ||
					  MEASUREMENTS response the device produced (as NVML returns it) */
	CCG_FRAME_REPORT = 0x15,
	/* retired: channel control travels inside the SPDM session (SECURED_SPDM, a VENDOR_DEFINED
	 * request, docs/channel.md); gpusim answers these plain frames with ERROR (CCG_ERR_PROTOCOL) */
	CCG_FRAME_CHANNEL_OPEN = 0x20,
	CCG_FRAME_CHANNEL_OPENED = 0x21,
	CCG_FRAME_CHANNEL_CLOSE = 0x22,
	CCG_FRAME_CHANNEL_CLOSED = 0x23,
	CCG_FRAME_ERROR = 0x7F,        /* u32le ccg_status, then UTF-8 text (no NUL) */
};

struct ccg_frame {
	uint8_t type;
	uint16_t device;               /* device (GPU) index behind this endpoint */
	uint32_t session_id;           /* 0: no session */
	struct ccg_cursor payload;     /* borrows from the input */
};

/*
 * ccg_frame_parse: parses one frame at the start of in and advances in past
 * it. Short header or payload: CCG_ERR_TRUNCATED (in unchanged, read more);
 * version other than 1: CCG_ERR_UNSUPPORTED; unknown type:
 * CCG_ERR_MALFORMED; payload over CCG_FRAME_MAX_PAYLOAD: CCG_ERR_TOO_LARGE.
 * Errors are named "frame.<field>". Thread-safe.
 */
CCG_MUST_USE enum ccg_status ccg_frame_parse(struct ccg_cursor *in, struct ccg_frame *out,
					     struct ccg_error *err);
/* ccg_frame_header_payload_len: the payload length a 12-byte header announces (after checks as above). */
CCG_MUST_USE enum ccg_status ccg_frame_header_check(const uint8_t hdr[CCG_FRAME_HEADER_LEN], size_t *payload_len,
						    struct ccg_error *err);
/* ccg_frame_append: appends a frame to out. */
CCG_MUST_USE enum ccg_status ccg_frame_append(struct ccg_buf *out, uint8_t type, uint16_t device,
					      uint32_t session_id, const uint8_t *payload, size_t len);

/*
 * ccg_frame_read: reads one whole frame from fd (blocking, up to the socket's
 * own timeouts) into buf (reset first); *out borrows from buf. End of stream
 * before any byte: CCG_ERR_NOT_FOUND; in the middle or a read error: CCG_ERR_IO.
 */
CCG_MUST_USE enum ccg_status ccg_frame_read(int fd, struct ccg_buf *buf, struct ccg_frame *out,
					    struct ccg_error *err);
/*
 * ccg_frame_read_fd: ccg_frame_read on a UNIX socket that also accepts one
 * file descriptor passed with the frame's first bytes (SCM_RIGHTS):
 * *passed_fd becomes it (close-on-exec) or -1; extra descriptors are closed.
 */
CCG_MUST_USE enum ccg_status ccg_frame_read_fd(int fd, struct ccg_buf *buf, struct ccg_frame *out, int *passed_fd,
					       struct ccg_error *err);
/* ccg_frame_write_fd: ccg_frame_write passing pass_fd along (SCM_RIGHTS) on a UNIX socket (no SIGPIPE either). */
CCG_MUST_USE enum ccg_status ccg_frame_write_fd(int fd, uint8_t type, uint16_t device, uint32_t session_id,
						const uint8_t *payload, size_t len, int pass_fd,
						struct ccg_error *err);
/*
 * ccg_frame_send: writes len bytes (frames already built) to the socket fd,
 * retrying short writes and EINTR. Never raises SIGPIPE (MSG_NOSIGNAL): a
 * peer that closed its end is CCG_ERR_PEER_CLOSED ("frame.write"), other
 * failures CCG_ERR_IO. Every write to a peer in ccgpu goes through here.
 */
CCG_MUST_USE enum ccg_status ccg_frame_send(int fd, const uint8_t *data, size_t len, struct ccg_error *err);
/* ccg_frame_write: writes the whole frame to the socket fd (as ccg_frame_send: closed peer CCG_ERR_PEER_CLOSED). */
CCG_MUST_USE enum ccg_status ccg_frame_write(int fd, uint8_t type, uint16_t device, uint32_t session_id,
					     const uint8_t *payload, size_t len, struct ccg_error *err);

/*
 * A refusal's status on the wire (the ERROR frame's payload and the data
 * path's DP_OP_ERROR slot): a ccg_status as u32 LE, all 32 bits.
 * ccg_wire_get_status: false when short or 0 (CCG_OK is no refusal).
 */
CCG_MUST_USE bool ccg_wire_put_status(struct ccg_writer *w, enum ccg_status st);
CCG_MUST_USE bool ccg_wire_get_status(struct ccg_cursor *c, enum ccg_status *out);

/*
 * ccg_frame_append_error: appends the ERROR frame that answers a request
 * for device: e's status (u32 LE), then e formatted as text (no NUL). The
 * one writer of ERROR frames.
 */
CCG_MUST_USE enum ccg_status ccg_frame_append_error(struct ccg_buf *out, uint16_t device, const struct ccg_error *e);
/*
 * ccg_frame_error_parse: the status and text of an ERROR frame (text
 * borrows from f). Not an ERROR frame, short, or status 0: false.
 */
CCG_MUST_USE bool ccg_frame_error_parse(const struct ccg_frame *f, enum ccg_status *status, struct ccg_cursor *text);

/* one request -> answer exchange on the device transport, and how its caller takes a wrong answer */
struct ccg_frame_call {
	uint8_t type;                 /* the request */
	uint16_t device;
	uint32_t session_id;
	const uint8_t *payload;
	size_t len;
	int pass_fd;                  /* >= 0: passed along the request (SCM_RIGHTS); -1: none */
	uint8_t want;                 /* the answer's type, for the same device and session id */
	const char *where;            /* names this exchange's errors */
	enum ccg_status bad_answer;   /* an answer for another device, of another type or session, or an
					 unreadable ERROR frame */
	bool adopt_refusal;           /* an ERROR frame: its own status; false: bad_answer (the device's
					 status in the text) */
};

/*
 * ccg_frame_call: the one request -> answer-or-ERROR helper of the device
 * transport. Writes the request frame, reads one frame into buf (reset
 * first); *out borrows from buf. Write and read failures are returned as
 * ccg_frame_write / ccg_frame_read give them (the peer gone before
 * answering: CCG_ERR_NOT_FOUND). An answer for another device:
 * call->bad_answer; an ERROR frame: the device's refusal (see
 * adopt_refusal); another type or session id: call->bad_answer. Errors are
 * named call->where. Thread-safe for distinct fds.
 */
CCG_MUST_USE enum ccg_status ccg_frame_call(int fd, const struct ccg_frame_call *call, struct ccg_buf *buf,
					    struct ccg_frame *out, struct ccg_error *err);

#endif
