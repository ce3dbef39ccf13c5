/* SPDX-License-Identifier: Apache-2.0 */
#include "common/http.h"

#include <curl/curl.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "common/error.h"

static pthread_once_t init_once = PTHREAD_ONCE_INIT;
static CURLcode init_rc = CURLE_FAILED_INIT;
static atomic_uint_fast64_t transfers;

static void global_init(void)
{
	init_rc = curl_global_init(CURL_GLOBAL_DEFAULT);
}

enum ccg_status ccg_http_global_init(void)
{
	pthread_once(&init_once, global_init);
	return init_rc == CURLE_OK ? CCG_OK : CCG_ERR_NETWORK;
}

uint64_t ccg_http_transfer_count(void)
{
	return atomic_load(&transfers);
}

struct sink {
	struct ccg_buf buf;
	bool too_large;
};

static size_t on_data(char *ptr, size_t size, size_t nmemb, void *user)
{
	struct sink *s = user;
	size_t n = size * nmemb;

	if (ccg_buf_append(&s->buf, ptr, n) != CCG_OK) {
		s->too_large = true;
		return 0; /* aborts the transfer */
	}
	return n;
}

bool ccg_http_url_ok(const char *url)
{
	return url != NULL && (strncmp(url, "http://", 7) == 0 || strncmp(url, "https://", 8) == 0);
}

void ccg_http_response_cleanup(struct ccg_http_response *r)
{
	if (r == NULL)
		return;
	free(r->body);
	for (size_t i = 0; i < CCG_HTTP_MAX_CAPTURE; i++)
		free(r->headers[i]);
	memset(r, 0, sizeof(*r));
}

/* the response headers the request names, from the last response of the transfer (curl_easy_header) */
static enum ccg_status capture_headers(CURL *h, const struct ccg_http_request *req, struct ccg_http_response *out,
				       struct ccg_error *err)
{
	size_t max = req->max_header != 0 ? req->max_header : CCG_HTTP_HEADER_MAX;

	for (size_t i = 0; i < CCG_HTTP_MAX_CAPTURE && req->capture[i] != NULL; i++) {
		struct curl_header *hdr = NULL;
		CURLHcode rc = curl_easy_header(h, req->capture[i], 0, CURLH_HEADER, -1, &hdr);
		size_t n;

		if (rc == CURLHE_MISSING || rc == CURLHE_NOHEADERS)
			continue;
		if (rc != CURLHE_OK || hdr == NULL || hdr->value == NULL)
			return ccg_error_set(err, CCG_ERR_NETWORK, req->capture[i], "reading the response header (%d)",
					     (int)rc);
		if (hdr->amount != 1)
			return ccg_error_set(err, CCG_ERR_MALFORMED, req->capture[i],
					     "the response header is sent %zu times", hdr->amount);
		n = strlen(hdr->value);
		if (n > max)
			return ccg_error_set(err, CCG_ERR_TOO_LARGE, req->capture[i],
					     "the response header has %zu bytes, at most %zu are taken", n, max);
		out->headers[i] = strdup(hdr->value);
		if (out->headers[i] == NULL)
			return ccg_error_set(err, CCG_ERR_NOMEM, req->capture[i], "out of memory");
	}
	return CCG_OK;
}

enum ccg_status ccg_http_perform(const struct ccg_http_request *req, struct ccg_http_response *out,
				 struct ccg_error *err)
{
	CURL *h = NULL;
	struct curl_slist *hdrs = NULL;
	struct sink sink;
	char line[256];
	CURLcode rc;
	enum ccg_status st = CCG_OK;
	bool post = req->method != NULL && strcmp(req->method, "POST") == 0;

	memset(out, 0, sizeof(*out));
	ccg_buf_init(&sink.buf, req->max_response != 0 ? req->max_response : 1u << 20);
	sink.too_large = false;
	if (ccg_http_global_init() != CCG_OK)
		return ccg_error_set(err, CCG_ERR_NETWORK, req->url, "curl_global_init failed");
	if (!ccg_http_url_ok(req->url))
		return ccg_error_set(err, CCG_ERR_INVALID_ARG, req->url ? req->url : "http",
				     "only http:// and https:// URLs are allowed");
	h = curl_easy_init();
	if (h == NULL)
		return ccg_error_set(err, CCG_ERR_NOMEM, req->url, "curl_easy_init failed");
	if (req->accept != NULL) {
		snprintf(line, sizeof(line), "Accept: %s", req->accept);
		hdrs = curl_slist_append(hdrs, line);
	}
	if (post && req->content_type != NULL) {
		snprintf(line, sizeof(line), "Content-Type: %s", req->content_type);
		hdrs = curl_slist_append(hdrs, line);
	}
	curl_easy_setopt(h, CURLOPT_URL, req->url);
	curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, req->timeout_ms > 0 ? req->timeout_ms : 10000L);
	curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, req->timeout_ms > 0 ? req->timeout_ms : 10000L);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_data);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, &sink);
	curl_easy_setopt(h, CURLOPT_USERAGENT, "ccgpu/0.1");
	if (hdrs != NULL)
		curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdrs);
	if (req->unix_socket != NULL)
		curl_easy_setopt(h, CURLOPT_UNIX_SOCKET_PATH, req->unix_socket);
	if (req->ca_file != NULL)
		curl_easy_setopt(h, CURLOPT_CAINFO, req->ca_file);
	if (req->pinned_key != NULL && curl_easy_setopt(h, CURLOPT_PINNEDPUBLICKEY, req->pinned_key) != CURLE_OK) {
		st = ccg_error_set(err, CCG_ERR_UNSUPPORTED, req->url, "this libcurl cannot pin public keys");
		goto out;
	}
	if (post) {
		curl_easy_setopt(h, CURLOPT_POST, 1L);
		curl_easy_setopt(h, CURLOPT_POSTFIELDS, req->body != NULL ? (const char *)req->body : "");
		curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)req->body_len);
	}
	atomic_fetch_add(&transfers, 1);
	rc = curl_easy_perform(h);
	if (sink.too_large) {
		st = ccg_error_set(err, CCG_ERR_TOO_LARGE, req->url, "response larger than %zu bytes",
				   sink.buf.max);
		goto out;
	}
	if (rc != CURLE_OK) {
		st = ccg_error_set(err, CCG_ERR_NETWORK, req->url, "%s", curl_easy_strerror(rc));
		goto out;
	}
	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &out->status);
	if ((st = capture_headers(h, req, out, err)) != CCG_OK)
		goto out;
	st = ccg_buf_terminate(&sink.buf);
	if (st != CCG_OK)
		goto out;
	out->body = ccg_buf_steal(&sink.buf, &out->body_len);
out:
	if (st != CCG_OK)
		ccg_http_response_cleanup(out);
	ccg_buf_cleanup(&sink.buf);
	curl_slist_free_all(hdrs);
	curl_easy_cleanup(h);
	return st;
}
