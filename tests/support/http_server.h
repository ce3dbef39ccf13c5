/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A small HTTP/1.x server for integration tests: a real listening socket on
 * 127.0.0.1 with a port the kernel chooses, one thread that answers one
 * connection at a time (Connection: close) through a handler the test gives.
 * Every wait is bounded: reads and writes time out after 5 s, the accept loop
 * looks at its stop flag every 50 ms, and the server stops by itself
 * TH_HTTP_SERVER_DEADLINE_S seconds after it started.
 */
#ifndef CCGPU_TESTS_HTTP_SERVER_H
#define CCGPU_TESTS_HTTP_SERVER_H

#include <stddef.h>
#include <stdint.h>

/* the most a request may hold, request line, headers and body together */
#define TH_HTTP_MAX_REQUEST (64u * 1024u)
/* the integration tests' meson timeout: no server outlives a test that hangs */
#define TH_HTTP_SERVER_DEADLINE_S 300

struct th_http_request {
	const char *method;  /* "GET", "POST", ... */
	const char *path;    /* the request target as sent: "/v1/rim/<id>", "/tdx/...?fmspc=..." */
	const uint8_t *body; /* the Content-Length bytes after the headers */
	size_t body_len;
};

struct th_http_response {
	int status;               /* 200 when the handler leaves it */
	const char *content_type; /* NULL: no Content-Type header */
	uint8_t *body;            /* malloc'd by the handler (or NULL); the server frees it */
	size_t body_len;
};

/*
 * Called on the server's thread for each request that parses, with resp zeroed
 * but for status 200. It must not use cmocka's assertions (they cannot unwind
 * another thread): a handler that fails answers 500. State it shares with the
 * test needs atomics or a lock.
 */
typedef void (*th_http_handler)(void *ctx, const struct th_http_request *req, struct th_http_response *resp);

/* th_http_reply_copy: resp's body becomes a copy of len bytes at body (status 500 and none when out of memory). */
void th_http_reply_copy(struct th_http_response *resp, const void *body, size_t len);

struct th_http_server;

/*
 * th_http_server_new: binds 127.0.0.1:0, listens and starts the thread that
 * calls handler(ctx, ...) for each request; a request that does not parse or
 * is larger than TH_HTTP_MAX_REQUEST is answered 400 without calling it.
 * Fails the test on error. Free with th_http_server_free.
 */
struct th_http_server *th_http_server_new(th_http_handler handler, void *ctx);
/* th_http_server_port: the port the kernel gave it. */
int th_http_server_port(const struct th_http_server *s);
/* th_http_server_free: stops the thread (within 50 ms once a request is answered), closes the socket; NULL is fine. */
void th_http_server_free(struct th_http_server *s);

/*
 * th_free_port: a loopback TCP port nobody listens on: bound on 127.0.0.1:0,
 * read back and closed (so another process may take it later). Fails the test on error.
 */
int th_free_port(void);

#endif
