/* SPDX-License-Identifier: Apache-2.0 */
/* HTTP client on libcurl: http/https only, bounded bodies, timeouts, no redirects to other schemes. */
#ifndef CCGPU_COMMON_HTTP_H
#define CCGPU_COMMON_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ccgpu/status.h"

struct ccg_http_response {
	long status;     /* HTTP status code */
	uint8_t *body;   /* malloc'd, NUL-terminated; free() it */
	size_t body_len;
};

struct ccg_http_request {
	const char *url;
	const char *method;       /* "GET" (default) or "POST" */
	const char *content_type; /* for POST */
	const uint8_t *body;      /* for POST */
	size_t body_len;
	const char *accept;       /* optional Accept header */
	size_t max_response;      /* 0: 1 MiB */
	long timeout_ms;          /* 0: 10 s */
};

/*
 * ccg_http_perform: one transfer. Transport failures: CCG_ERR_NETWORK; a
 * body over max_response: CCG_ERR_TOO_LARGE. Any HTTP status is returned in
 * out (callers decide). Thread-safe once ccg_http_global_init has run.
 */
CCG_MUST_USE enum ccg_status ccg_http_perform(const struct ccg_http_request *req,
					      struct ccg_http_response *out, struct ccg_error *err);
/* ccg_http_url_ok: the URL is http:// or https:// (the only schemes ccgpu fetches). */
bool ccg_http_url_ok(const char *url);
/* ccg_http_response_cleanup: frees the body. */
void ccg_http_response_cleanup(struct ccg_http_response *r);
/* ccg_http_global_init: curl_global_init once (idempotent, thread-safe). */
CCG_MUST_USE enum ccg_status ccg_http_global_init(void);
/* ccg_http_transfer_count: transfers attempted by this process (lets tests prove "no network"). */
uint64_t ccg_http_transfer_count(void);

#endif
