/* SPDX-License-Identifier: Apache-2.0 */
/* HTTP client on libcurl: http/https only, bounded bodies, timeouts, no redirects to other schemes. */
#ifndef CCGPU_COMMON_HTTP_H
#define CCGPU_COMMON_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ccgpu/status.h"

#define CCG_HTTP_MAX_CAPTURE 4            /* response headers one request may keep */
#define CCG_HTTP_HEADER_MAX (16 * 1024)  /* default bound on a kept header's value */

struct ccg_http_response {
	long status;     /* HTTP status code */
	uint8_t *body;   /* malloc'd, NUL-terminated; free() it */
	size_t body_len;
	char *headers[CCG_HTTP_MAX_CAPTURE]; /* values of request.capture[i] (malloc'd), NULL when absent */
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
	const char *capture[CCG_HTTP_MAX_CAPTURE]; /* response header names to keep (case-insensitive; NULL ends) */
	size_t max_header;        /* bound on each kept value; 0: CCG_HTTP_HEADER_MAX */
	/* branch guest (issue 15): the verifier's clients */
	const char *unix_socket;  /* connect to this UNIX socket instead of the URL's host (the URL still names the path) */
	const char *ca_file;      /* PEM CA bundle for https (NULL: the system's) */
	const char *pinned_key;   /* CURLOPT_PINNEDPUBLICKEY: "sha256//BASE64[;…]" or a PEM/DER public key file */
};

/*
 * ccg_http_perform: one transfer. Transport failures: CCG_ERR_NETWORK; a
 * body over max_response: CCG_ERR_TOO_LARGE. Any HTTP status is returned in
 * out (callers decide). The headers named in capture are kept in
 * out->headers as sent (value without surrounding whitespace); one over
 * max_header is CCG_ERR_TOO_LARGE, one sent twice CCG_ERR_MALFORMED (both
 * named by the header). Thread-safe once ccg_http_global_init has run.
 */
CCG_MUST_USE enum ccg_status ccg_http_perform(const struct ccg_http_request *req,
					      struct ccg_http_response *out, struct ccg_error *err);
/* ccg_http_url_ok: the URL is http:// or https:// (the only schemes ccgpu fetches). */
bool ccg_http_url_ok(const char *url);
/* ccg_http_response_cleanup: frees the body and kept headers. */
void ccg_http_response_cleanup(struct ccg_http_response *r);
/* ccg_http_global_init: curl_global_init once (idempotent, thread-safe). */
CCG_MUST_USE enum ccg_status ccg_http_global_init(void);
/* ccg_http_transfer_count: transfers attempted by this process (lets tests prove "no network"). */
uint64_t ccg_http_transfer_count(void);

#endif
