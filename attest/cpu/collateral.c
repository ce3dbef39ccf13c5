/* SPDX-License-Identifier: Apache-2.0 */
#include "attest/cpu/collateral.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/error.h"
#include "common/file.h"
#include "common/http.h"

static bool name_ok(const char *n)
{
	if (n == NULL || n[0] == '\0' || n[0] == '.' || strlen(n) > 200)
		return false;
	for (const char *p = n; *p != '\0'; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') || *p == '.' ||
		      *p == '_' || *p == '-'))
			return false;
	return true;
}

static enum ccg_status cache_path(const struct ccg_collateral_src *src, const char *name, char *buf, size_t len,
				  struct ccg_error *err)
{
	int w;

	if (!name_ok(name))
		return ccg_error_set(err, CCG_ERR_INVALID_ARG, src->what, "bad cache name");
	w = snprintf(buf, len, "%s/%s", src->cache_dir, name);
	if (w < 0 || (size_t)w >= len)
		return ccg_error_set(err, CCG_ERR_TOO_LARGE, src->what, "cache path too long");
	return CCG_OK;
}

enum ccg_status ccg_collateral_get(const struct ccg_collateral_src *src, const char *name, const char *url,
				   const char *accept, uint8_t **out, size_t *out_len, bool *out_fetched,
				   struct ccg_error *err)
{
	return ccg_collateral_get_with_header(src, name, url, accept, NULL, out, out_len, out_fetched, NULL, NULL, err);
}

enum ccg_status ccg_collateral_get_with_header(const struct ccg_collateral_src *src, const char *name, const char *url,
					       const char *accept, const char *const *headers, uint8_t **out,
					       size_t *out_len, bool *out_fetched, char **out_header,
					       const char **out_header_name, struct ccg_error *err)
{
	struct ccg_http_request req;
	struct ccg_http_response resp;
	struct ccg_error local;
	char path[4096];
	enum ccg_status st;

	*out = NULL;
	*out_len = 0;
	*out_fetched = false;
	if (out_header != NULL)
		*out_header = NULL;
	if (out_header_name != NULL)
		*out_header_name = NULL;
	if (src->cache_dir != NULL && !src->refresh) {
		if ((st = cache_path(src, name, path, sizeof(path), err)) != CCG_OK)
			return st;
		ccg_error_clear(&local);
		st = ccg_file_read(path, CCG_COLLATERAL_MAX_BYTES, out, out_len, &local);
		if (st == CCG_OK)
			return CCG_OK;
		if (st != CCG_ERR_NOT_FOUND)
			return ccg_error_set(err, st, path, "%s", local.detail);
	}
	if (src->offline || url == NULL)
		return ccg_error_set(err, CCG_ERR_NOT_FOUND, src->what, "%s not %s and offline", name,
				     src->cache_dir != NULL ? "in the cache" : "available (no cache)");
	if (!ccg_http_url_ok(url))
		return ccg_error_set(err, CCG_ERR_INVALID_ARG, src->what, "not an http(s) URL");
	memset(&req, 0, sizeof(req));
	memset(&resp, 0, sizeof(resp));
	req.url = url;
	req.accept = accept;
	req.max_response = CCG_COLLATERAL_MAX_BYTES;
	for (size_t i = 0; headers != NULL && headers[i] != NULL; i++) {
		if (i == CCG_HTTP_MAX_CAPTURE)
			return ccg_error_set(err, CCG_ERR_INTERNAL, src->what, "too many response headers to keep");
		req.capture[i] = headers[i];
	}
	if ((st = ccg_http_global_init()) != CCG_OK)
		return ccg_error_set(err, st, src->what, "libcurl init");
	st = ccg_http_perform(&req, &resp, err);
	if (st != CCG_OK)
		goto out;
	if (resp.status == 404) {
		st = ccg_error_set(err, CCG_ERR_NOT_FOUND, src->what, "%s: HTTP 404", name);
		goto out;
	}
	if (resp.status != 200) {
		st = ccg_error_set(err, CCG_ERR_NETWORK, src->what, "%s: HTTP %ld", name, resp.status);
		goto out;
	}
	*out = resp.body;
	*out_len = resp.body_len;
	resp.body = NULL;
	*out_fetched = true;
	for (size_t i = 0; out_header != NULL && i < CCG_HTTP_MAX_CAPTURE && req.capture[i] != NULL; i++) {
		if (resp.headers[i] != NULL) {
			*out_header = resp.headers[i];
			resp.headers[i] = NULL;
			if (out_header_name != NULL)
				*out_header_name = req.capture[i];
			break;
		}
	}
out:
	ccg_http_response_cleanup(&resp);
	return st;
}

enum ccg_status ccg_collateral_store(const struct ccg_collateral_src *src, const char *name, const uint8_t *data,
				     size_t len, struct ccg_error *err)
{
	char path[4096];
	enum ccg_status st;

	if (src->cache_dir == NULL)
		return CCG_OK;
	if ((st = cache_path(src, name, path, sizeof(path), err)) != CCG_OK ||
	    (st = ccg_mkdir_p(src->cache_dir, err)) != CCG_OK)
		return st;
	return ccg_file_write_atomic(path, data, len, err);
}
