/* SPDX-License-Identifier: Apache-2.0 */
#include "http_server.h"

#include <stdarg.h>
#include <setjmp.h>
#include <stddef.h>
#include <cmocka.h>
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

/* the request line's parts, as sscanf reads them below */
#define METHOD_MAX 15
#define PATH_MAX_LEN 2047
#define STR(x) #x
#define XSTR(x) STR(x)

struct th_http_server {
	int fd, port;
	pthread_t thread;
	atomic_bool stop;
	th_http_handler handler;
	void *ctx;
	char req[TH_HTTP_MAX_REQUEST + 1]; /* one connection at a time: one buffer */
};

/* a socket bound to 127.0.0.1 on a port the kernel chooses; *port says which */
static int loopback_socket(int *port)
{
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = 0};
	socklen_t l = sizeof(a);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd < 0)
		fail_msg("socket: %s", strerror(errno));
	if (bind(fd, (struct sockaddr *)&a, sizeof(a)) != 0 || getsockname(fd, (struct sockaddr *)&a, &l) != 0) {
		close(fd);
		fail_msg("bind 127.0.0.1:0: %s", strerror(errno));
	}
	*port = ntohs(a.sin_port);
	return fd;
}

int th_free_port(void)
{
	int port;

	close(loopback_socket(&port));
	return port;
}

void th_http_reply_copy(struct th_http_response *resp, const void *body, size_t len)
{
	free(resp->body);
	resp->body = NULL;
	resp->body_len = 0;
	if (len == 0)
		return;
	resp->body = malloc(len);
	if (resp->body == NULL) {
		resp->status = 500;
		return;
	}
	memcpy(resp->body, body, len);
	resp->body_len = len;
}

static const char *reason(int status)
{
	switch (status) {
	case 200: return "OK";
	case 400: return "Bad Request";
	case 404: return "Not Found";
	case 500: return "Internal Server Error";
	default: return "Status";
	}
}

static bool send_all(int fd, const void *data, size_t len)
{
	const char *p = data;

	while (len > 0) {
		ssize_t w = send(fd, p, len, MSG_NOSIGNAL);

		if (w <= 0)
			return false;
		p += w;
		len -= (size_t)w;
	}
	return true;
}

static void respond(int fd, const struct th_http_response *r)
{
	char head[512];
	int n;

	if (r->content_type != NULL)
		n = snprintf(head, sizeof(head),
			     "HTTP/1.1 %d %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\nConnection: close\r\n\r\n",
			     r->status, reason(r->status), r->content_type, r->body_len);
	else
		n = snprintf(head, sizeof(head), "HTTP/1.1 %d %s\r\nContent-Length: %zu\r\nConnection: close\r\n\r\n",
			     r->status, reason(r->status), r->body_len);
	if (n > 0 && (size_t)n < sizeof(head) && send_all(fd, head, (size_t)n) && r->body_len > 0)
		(void)send_all(fd, r->body, r->body_len);
}

/* The Content-Length in the headers (lines after the request line, up to the blank line); 0 without one. */
static bool content_length(const char *req, const char *end, size_t *out)
{
	const char *line = strstr(req, "\r\n");

	*out = 0;
	while (line != NULL && line < end) {
		line += 2;
		if (strncasecmp(line, "Content-Length:", 15) == 0) {
			char *stop;
			unsigned long long v = strtoull(line + 15, &stop, 10);

			if (stop == line + 15 || v > TH_HTTP_MAX_REQUEST)
				return false;
			*out = (size_t)v;
			return true;
		}
		line = strstr(line, "\r\n");
	}
	return true;
}

/* Reads one request into s->req: the request line, headers and Content-Length body, bounded in size and time. */
static bool read_request(struct th_http_server *s, int fd, struct th_http_request *req, char method[METHOD_MAX + 1],
			 char path[PATH_MAX_LEN + 1])
{
	size_t got = 0, head_len = 0, body_len = 0;

	while (head_len == 0 || got < head_len + body_len) {
		ssize_t r;
		char *end;

		if (got == TH_HTTP_MAX_REQUEST)
			return false;
		r = recv(fd, s->req + got, TH_HTTP_MAX_REQUEST - got, 0);
		if (r <= 0)
			return false;
		got += (size_t)r;
		s->req[got] = '\0';
		if (head_len == 0 && (end = strstr(s->req, "\r\n\r\n")) != NULL) {
			head_len = (size_t)(end + 4 - s->req);
			if (!content_length(s->req, end, &body_len) || head_len + body_len > TH_HTTP_MAX_REQUEST)
				return false;
		}
	}
	if (sscanf(s->req, "%" XSTR(METHOD_MAX) "[A-Z] %" XSTR(PATH_MAX_LEN) "s HTTP/1.", method, path) != 2)
		return false;
	*req = (struct th_http_request){.method = method,
					.path = path,
					.body = body_len > 0 ? (const uint8_t *)s->req + head_len : NULL,
					.body_len = body_len};
	return true;
}

static void serve_one(struct th_http_server *s, int fd)
{
	char method[METHOD_MAX + 1], path[PATH_MAX_LEN + 1];
	struct th_http_request req;
	struct th_http_response resp = {.status = 200};
	struct timeval tv = {.tv_sec = 5};

	(void)setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	(void)setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	if (read_request(s, fd, &req, method, path))
		s->handler(s->ctx, &req, &resp);
	else
		resp.status = 400;
	respond(fd, &resp);
	free(resp.body);
}

static void *server_main(void *arg)
{
	struct th_http_server *s = arg;
	time_t deadline = time(NULL) + TH_HTTP_SERVER_DEADLINE_S;

	while (!atomic_load(&s->stop) && time(NULL) < deadline) {
		struct pollfd p = {.fd = s->fd, .events = POLLIN};
		int c;

		if (poll(&p, 1, 50) <= 0)
			continue;
		c = accept4(s->fd, NULL, NULL, SOCK_CLOEXEC);
		if (c < 0)
			continue;
		serve_one(s, c);
		close(c);
	}
	return NULL;
}

struct th_http_server *th_http_server_new(th_http_handler handler, void *ctx)
{
	struct th_http_server *s = calloc(1, sizeof(*s));

	if (s == NULL)
		fail_msg("out of memory");
	s->handler = handler;
	s->ctx = ctx;
	atomic_init(&s->stop, false);
	s->fd = loopback_socket(&s->port);
	if (listen(s->fd, 8) != 0 || pthread_create(&s->thread, NULL, server_main, s) != 0) {
		close(s->fd);
		free(s);
		fail_msg("cannot start the loopback HTTP server");
	}
	return s;
}

int th_http_server_port(const struct th_http_server *s)
{
	return s->port;
}

void th_http_server_free(struct th_http_server *s)
{
	if (s == NULL)
		return;
	atomic_store(&s->stop, true);
	pthread_join(s->thread, NULL);
	close(s->fd);
	free(s);
}
