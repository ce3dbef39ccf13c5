/* SPDX-License-Identifier: Apache-2.0 */
#include "gpusim/serve.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdint.h>
#include <jansson.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "common/crypto.h"
#include "common/encoding.h"
#include "common/error.h"
#include "common/file.h"
#include "common/json.h"
#include "gpusim/ocsp_responder.h"
#include "wire/frame.h"

volatile sig_atomic_t gpusim_stop;

static void on_signal(int sig)
{
	(void)sig;
	gpusim_stop = 1;
}

void gpusim_serve_signals(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
}

static bool past(time_t deadline)
{
	return gpusim_stop || (deadline != 0 && time(NULL) >= deadline);
}

/* waits until fd has something to read (or its peer left); false once the server is stopping */
static bool readable(int fd)
{
	struct pollfd p = {.fd = fd, .events = POLLIN};

	while (!gpusim_stop) {
		int n = poll(&p, 1, 200);

		if (n > 0)
			return true;
		if (n < 0 && errno != EINTR)
			return false;
	}
	return false;
}

static void serve_client(struct gpusim *s, int fd)
{
	struct ccg_buf in, out;
	struct timeval tv = {.tv_sec = 5};
	struct gpusim_conn *conn = NULL;

	if (gpusim_conn_new(s, &conn) != CCG_OK)
		return;

	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	ccg_buf_init(&in, CCG_FRAME_HEADER_LEN + CCG_FRAME_MAX_PAYLOAD);
	ccg_buf_init(&out, CCG_FRAME_HEADER_LEN + CCG_FRAME_MAX_PAYLOAD);
	while (!gpusim_stop) {
		struct ccg_frame f;
		struct ccg_error e;
		int passed_fd = -1;
		enum ccg_status st;

		/* an established session may stay quiet on the socket while its channel runs in shared
		 * memory: wait for the next frame without a limit; the 5 s timeout covers a frame's bytes */
		if (!readable(fd))
			break;
		ccg_error_clear(&e);
		st = ccg_frame_read_fd(fd, &in, &f, &passed_fd, &e);
		out.len = 0;
		if (st == CCG_ERR_NOT_FOUND || st == CCG_ERR_IO)
			break;
		if (st != CCG_OK) {
			/* a bad header: answer once, then drop the connection (the stream cannot resync) */
			if (ccg_frame_append_error(&out, 0, &e) == CCG_OK &&
			    ccg_frame_send(fd, out.data, out.len, NULL) != CCG_OK)
				fprintf(stderr, "ccgpu-gpusim: serve: could not send an error frame\n");
			break;
		}
		if (gpusim_conn_handle(conn, in.data, in.len, passed_fd, &out, &e) != CCG_OK)
			break;
		/* a guest that left mid-answer is an error here (MSG_NOSIGNAL), not a SIGPIPE */
		if (ccg_frame_send(fd, out.data, out.len, NULL) != CCG_OK)
			break;
	}
	gpusim_conn_free(conn);
	ccg_buf_cleanup(&in);
	ccg_buf_cleanup(&out);
}

/*
 * Each client is served on its own thread (branch inference): a guest keeps its SPDM session and channel
 * open on one connection for as long as it runs, and must still collect fresh evidence on another to
 * re-attest, as NVML allows beside a running CC workload. The device state (struct gpusim) is only read
 * once loaded; everything a connection changes is its own (struct gpusim_conn). At most
 * SERVE_MAX_CLIENTS at once: a connection past that is closed unanswered.
 */
#define SERVE_MAX_CLIENTS 64
static atomic_uint serve_clients;

struct serve_client_arg {
	struct gpusim *s;
	int fd;
};

static void *serve_client_thread(void *p)
{
	struct serve_client_arg a = *(struct serve_client_arg *)p;

	free(p);
	serve_client(a.s, a.fd);
	close(a.fd);
	atomic_fetch_sub(&serve_clients, 1);
	return NULL;
}

static void serve_client_start(struct gpusim *s, int c)
{
	struct serve_client_arg *a = NULL;
	pthread_attr_t attr;
	pthread_t t;
	bool started = false;

	if (atomic_fetch_add(&serve_clients, 1) >= SERVE_MAX_CLIENTS) {
		atomic_fetch_sub(&serve_clients, 1);
		close(c);
		return;
	}
	if ((a = malloc(sizeof(*a))) != NULL && pthread_attr_init(&attr) == 0) {
		a->s = s;
		a->fd = c;
		started = pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED) == 0 &&
			  pthread_create(&t, &attr, serve_client_thread, a) == 0;
		pthread_attr_destroy(&attr);
	}
	if (!started) { /* no thread: serve it here, as before */
		free(a);
		serve_client(s, c);
		close(c);
		atomic_fetch_sub(&serve_clients, 1);
	}
}

enum ccg_status gpusim_serve_socket(struct gpusim *s, const char *path, unsigned timeout_s, struct ccg_error *err)
{
	struct sockaddr_un addr;
	time_t deadline = timeout_s != 0 ? time(NULL) + (time_t)timeout_s : 0;
	int fd;

	memset(&addr, 0, sizeof(addr));
	addr.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(addr.sun_path))
		return ccg_error_set(err, CCG_ERR_INVALID_ARG, "gpusim.socket", "path too long");
	memcpy(addr.sun_path, path, strlen(path) + 1);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return ccg_error_set(err, CCG_ERR_IO, "gpusim.socket", "%s", strerror(errno));
	unlink(path);
	if (bind(fd, (struct sockaddr *)&addr, sizeof(addr)) != 0 || listen(fd, 8) != 0) {
		close(fd);
		return ccg_error_set(err, CCG_ERR_IO, path, "%s", strerror(errno));
	}
	while (!past(deadline)) {
		struct pollfd p = {.fd = fd, .events = POLLIN};
		int c;

		if (poll(&p, 1, 200) <= 0)
			continue;
		c = accept4(fd, NULL, NULL, SOCK_CLOEXEC);
		if (c < 0)
			continue;
		serve_client_start(s, c);
	}
	close(fd);
	unlink(path);
	return CCG_OK;
}

/* ---------- HTTP (libmicrohttpd) ---------- */

struct http_ctx {
	const char *dir;
	bool ocsp;
	struct gpusim_ocsp *responder;
};

struct upload {
	uint8_t *data;
	size_t len;
	bool too_large;
};

static enum MHD_Result reply(struct MHD_Connection *c, unsigned code, const char *type, const void *body, size_t len)
{
	struct MHD_Response *r = MHD_create_response_from_buffer(len, (void *)(uintptr_t)body, MHD_RESPMEM_MUST_COPY);
	enum MHD_Result ret;

	if (r == NULL)
		return MHD_NO;
	MHD_add_response_header(r, "Content-Type", type);
	ret = MHD_queue_response(c, code, r);
	MHD_destroy_response(r);
	return ret;
}

static bool id_ok(const char *id)
{
	size_t n = strlen(id);

	if (n == 0 || n > 160)
		return false;
	for (size_t i = 0; i < n; i++) {
		char ch = id[i];

		if (!((ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '_' ||
		      ch == '.' || ch == '-'))
			return false;
	}
	return id[0] != '.';
}

/* NVIDIA's RIM service shape: {"id","rim"(base64),"sha256","last_updated","rim_format","request_id"} */
static enum MHD_Result serve_rim(struct http_ctx *h, struct MHD_Connection *c, const char *url)
{
	const char *id = strrchr(url, '/') != NULL ? strrchr(url, '/') + 1 : url;
	char path[4096], sha_hex[2 * CCG_SHA256_LEN + 1], stamp[21], req_hex[33];
	uint8_t *xml = NULL, digest[CCG_SHA256_LEN], req_id[16];
	size_t len = 0;
	char *b64 = NULL, *body = NULL;
	json_t *o = NULL;
	enum MHD_Result ret;
	static const char not_found[] = "{\"error\": \"RIM not found\"}";

	if (!id_ok(id))
		return reply(c, MHD_HTTP_BAD_REQUEST, "application/json", "{\"error\": \"bad id\"}", 19);
	snprintf(path, sizeof(path), "%s/%s.xml", h->dir, id);
	if (ccg_file_read(path, 4u << 20, &xml, &len, NULL) != CCG_OK)
		return reply(c, MHD_HTTP_NOT_FOUND, "application/json", not_found, sizeof(not_found) - 1);
	ccg_time_iso(time(NULL), stamp);
	if (ccg_sha256(xml, len, digest) != CCG_OK || ccg_random(req_id, sizeof(req_id)) != CCG_OK ||
	    (b64 = ccg_base64_encode_alloc(xml, len)) == NULL || (o = json_object()) == NULL) {
		ret = reply(c, MHD_HTTP_INTERNAL_SERVER_ERROR, "text/plain", "error", 5);
		goto out;
	}
	ccg_hex_encode(digest, sizeof(digest), sha_hex);
	ccg_hex_encode(req_id, sizeof(req_id), req_hex);
	if (ccg_json_set_new(o, "id", json_string(id)) != CCG_OK ||
	    ccg_json_set_new(o, "rim", json_string(b64)) != CCG_OK ||
	    ccg_json_set_new(o, "sha256", json_string(sha_hex)) != CCG_OK ||
	    ccg_json_set_new(o, "last_updated", json_string(stamp)) != CCG_OK ||
	    ccg_json_set_new(o, "rim_format", json_string("TCG")) != CCG_OK ||
	    ccg_json_set_new(o, "request_id", json_string(req_hex)) != CCG_OK ||
	    (body = ccg_json_dumps(o, 0)) == NULL) {
		ret = reply(c, MHD_HTTP_INTERNAL_SERVER_ERROR, "text/plain", "error", 5);
		goto out;
	}
	ret = reply(c, MHD_HTTP_OK, "application/json", body, strlen(body));
out:
	free(xml);
	free(b64);
	free(body);
	json_decref(o);
	return ret;
}

static enum MHD_Result handler(void *cls, struct MHD_Connection *c, const char *url, const char *method,
			       const char *version, const char *upload_data, size_t *upload_data_size, void **con_cls)
{
	struct http_ctx *h = cls;
	struct upload *u = *con_cls;
	uint8_t *resp = NULL;
	size_t resp_len = 0;
	enum MHD_Result ret;

	(void)version;
	if (!h->ocsp) {
		if (strcmp(method, "GET") != 0)
			return reply(c, MHD_HTTP_METHOD_NOT_ALLOWED, "text/plain", "GET only", 8);
		return serve_rim(h, c, url);
	}
	if (strcmp(method, "POST") != 0)
		return reply(c, MHD_HTTP_METHOD_NOT_ALLOWED, "text/plain", "POST only", 9);
	if (u == NULL) {
		u = calloc(1, sizeof(*u));
		if (u == NULL)
			return MHD_NO;
		*con_cls = u;
		return MHD_YES;
	}
	if (*upload_data_size != 0) {
		if (u->len + *upload_data_size > GPUSIM_OCSP_MAX_REQUEST) {
			u->too_large = true;
		} else {
			uint8_t *p = realloc(u->data, u->len + *upload_data_size);

			if (p == NULL)
				return MHD_NO;
			memcpy(p + u->len, upload_data, *upload_data_size);
			u->data = p;
			u->len += *upload_data_size;
		}
		*upload_data_size = 0;
		return MHD_YES;
	}
	if (u->too_large)
		return reply(c, MHD_HTTP_CONTENT_TOO_LARGE, "text/plain", "too large", 9);
	if (gpusim_ocsp_answer(h->responder, u->data, u->len, &resp, &resp_len, NULL) != CCG_OK)
		return reply(c, MHD_HTTP_INTERNAL_SERVER_ERROR, "text/plain", "error", 5);
	ret = reply(c, MHD_HTTP_OK, "application/ocsp-response", resp, resp_len);
	free(resp);
	return ret;
}

static void completed(void *cls, struct MHD_Connection *c, void **con_cls, enum MHD_RequestTerminationCode toe)
{
	struct upload *u = *con_cls;

	(void)cls;
	(void)c;
	(void)toe;
	if (u != NULL) {
		free(u->data);
		free(u);
		*con_cls = NULL;
	}
}

enum ccg_status gpusim_serve_http(const char *what, const char *dir, unsigned port, const char *port_file,
				  unsigned timeout_s, struct ccg_error *err)
{
	struct http_ctx h = {.dir = dir, .ocsp = strcmp(what, "ocsp") == 0};
	struct sockaddr_in addr;
	struct MHD_Daemon *d;
	const union MHD_DaemonInfo *info;
	time_t deadline = timeout_s != 0 ? time(NULL) + (time_t)timeout_s : 0;
	enum ccg_status st = CCG_OK;

	if (port > 65535)
		return ccg_error_set(err, CCG_ERR_INVALID_ARG, "gpusim.http", "port %u", port);
	if (h.ocsp && (st = gpusim_ocsp_load(dir, &h.responder, err)) != CCG_OK)
		return st;
	memset(&addr, 0, sizeof(addr));
	addr.sin_family = AF_INET;
	addr.sin_port = htons((uint16_t)port);
	addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD, (uint16_t)port, NULL, NULL, handler, &h,
			     MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&addr, MHD_OPTION_NOTIFY_COMPLETED, completed,
			     NULL, MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)10, MHD_OPTION_CONNECTION_LIMIT,
			     (unsigned)64, MHD_OPTION_END);
	if (d == NULL) {
		gpusim_ocsp_free(h.responder);
		return ccg_error_set(err, CCG_ERR_IO, "gpusim.http", "cannot listen on 127.0.0.1:%u", port);
	}
	info = MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT);
	if (port_file != NULL) {
		char text[16];

		snprintf(text, sizeof(text), "%u\n", info != NULL ? (unsigned)info->port : port);
		st = ccg_file_write_atomic(port_file, (const uint8_t *)text, strlen(text), err);
	}
	while (st == CCG_OK && !past(deadline))
		usleep(100 * 1000);
	MHD_stop_daemon(d);
	gpusim_ocsp_free(h.responder);
	return st;
}
