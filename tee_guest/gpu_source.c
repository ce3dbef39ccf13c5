/* SPDX-License-Identifier: Apache-2.0 */
#include "tee_guest/gpu_source.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "common/buf.h"
#include "common/cursor.h"
#include "common/error.h"
#include "wire/frame.h"

#define MAX_REPORT 8192

/* one request frame, one answer frame of type want (an ERROR frame becomes its status) */
static enum ccg_status exchange(int fd, uint8_t type, uint16_t device, const uint8_t *payload, size_t len,
				uint8_t want, struct ccg_buf *buf, struct ccg_frame *out, const char *where,
				struct ccg_error *err)
{
	const struct ccg_frame_call call = {.type = type, .device = device, .payload = payload, .len = len,
					    .pass_fd = -1, .want = want, .where = where,
					    .bad_answer = CCG_ERR_MALFORMED, .adopt_refusal = true};
	enum ccg_status st = ccg_frame_call(fd, &call, buf, out, err);

	if (st == CCG_ERR_NOT_FOUND)
		return ccg_error_set(err, CCG_ERR_IO, where, "the device closed the connection");
	return st;
}

enum ccg_status ccg_gpu_source_gpusim_collect(const char *path, const uint8_t nonce[CCG_GPU_NONCE_LEN],
					      struct ccg_gpu_evidence *ev, struct ccg_error *err)
{
	struct sockaddr_un addr;
	struct timeval tv = {.tv_sec = CCG_GPU_SOURCE_TIMEOUT_MS / 1000,
			     .tv_usec = (CCG_GPU_SOURCE_TIMEOUT_MS % 1000) * 1000};
	struct ccg_buf buf, chain;
	struct ccg_frame f;
	uint16_t count = 0;
	int fd = -1;
	enum ccg_status st;

	ccg_buf_init(&buf, CCG_FRAME_HEADER_LEN + CCG_FRAME_MAX_PAYLOAD);
	ccg_buf_init(&chain, CCG_FRAME_MAX_PAYLOAD);
	memset(&addr, 0, sizeof(addr));
	addr.sun_family = AF_UNIX;
	if (path == NULL || strlen(path) >= sizeof(addr.sun_path)) {
		st = ccg_error_set(err, CCG_ERR_INVALID_ARG, "gpusim.socket", "path missing or too long");
		goto out;
	}
	memcpy(addr.sun_path, path, strlen(path) + 1);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) != 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)) != 0 ||
	    connect(fd, (struct sockaddr *)&addr, sizeof(addr)) != 0) {
		st = ccg_error_set(err, CCG_ERR_IO, "gpusim.socket", "%s: %s", path, strerror(errno));
		goto out;
	}
	if ((st = exchange(fd, CCG_FRAME_GET_INFO, 0, NULL, 0, CCG_FRAME_INFO, &buf, &f, "gpusim.info", err)) !=
	    CCG_OK)
		goto out;
	{
		struct ccg_cursor c = f.payload;

		if (!ccg_cursor_get_u16le(&c, &count) || c.len != 0 || count == 0 || count > CCG_GPU_MAX_DEVICES) {
			st = ccg_error_set(err, CCG_ERR_MALFORMED, "gpusim.info", "device count");
			goto out;
		}
	}
	for (uint16_t g = 0; g < count; g++) {
		char where[64];

		snprintf(where, sizeof(where), "gpusim.gpu[%u].certificate_chain", g);
		if ((st = exchange(fd, CCG_FRAME_GET_CERT_CHAIN, g, NULL, 0, CCG_FRAME_CERT_CHAIN, &buf, &f, where,
				   err)) != CCG_OK)
			goto out;
		chain.len = 0;
		if ((st = ccg_buf_append(&chain, f.payload.data, f.payload.len)) != CCG_OK) {
			st = ccg_error_set(err, st, where, "copy");
			goto out;
		}
		snprintf(where, sizeof(where), "gpusim.gpu[%u].report", g);
		if ((st = exchange(fd, CCG_FRAME_GET_REPORT, g, nonce, CCG_GPU_NONCE_LEN, CCG_FRAME_REPORT, &buf, &f,
				   where, err)) != CCG_OK)
			goto out;
		if (f.payload.len == 0 || f.payload.len > MAX_REPORT) {
			st = ccg_error_set(err, CCG_ERR_MALFORMED, where, "%zu bytes", f.payload.len);
			goto out;
		}
		if ((st = ccg_gpu_evidence_add_report(ev, "HOPPER", f.payload.data, f.payload.len, chain.data, chain.len,
						      err)) != CCG_OK)
			goto out;
	}
out:
	if (fd >= 0)
		close(fd);
	ccg_buf_cleanup(&buf);
	ccg_buf_cleanup(&chain);
	return st;
}
