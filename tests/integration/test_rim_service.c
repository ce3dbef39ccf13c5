/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The RIM store against a real HTTP server on 127.0.0.1 that this test
 * starts: it answers in the shape of NVIDIA's RIM service
 * (GET /v1/rim/<id> -> {"id", "rim": base64 XML, "sha256", "last_updated",
 * "rim_format": "TCG", "request_id"}), built from the real RIM files
 * (tests/support/http_server.h: bounded waits, and it stops itself).
 */
#include <stdarg.h>
#include <setjmp.h>
#include <stdbool.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "attest/gpu/rim.h"
#include "common/crypto.h"
#include "common/encoding.h"
#include "common/file.h"
#include "common/http.h"
#include "http_server.h"
#include "testdata.h"

#define NOW 1795305600
#define VBIOS_ID "NV_GPU_VBIOS_1010_0205_862_9600740020"
#define DRIVER_ID "NV_GPU_DRIVER_GH100_550.144.03"

static X509 *rim_root;
static char *vbios_xml, *driver_xml;
static size_t vbios_len, driver_len;

/* ---------- the loopback server ---------- */

static struct th_http_server *server;

/* NVIDIA's JSON for a RIM, or NULL when out of memory */
static char *json_for(const char *id, const char *xml, size_t len, const char *sha_override, const char *format)
{
	uint8_t digest[CCG_SHA256_LEN];
	char sha[2 * CCG_SHA256_LEN + 1];
	char *b64 = ccg_base64_encode_alloc((const uint8_t *)xml, len), *out = NULL;
	size_t n;

	if (b64 == NULL || ccg_sha256((const uint8_t *)xml, len, digest) != CCG_OK)
		goto out;
	ccg_hex_encode(digest, sizeof(digest), sha);
	n = strlen(b64) + 512;
	out = malloc(n);
	if (out != NULL)
		snprintf(out, n,
			 "{\"id\": \"%s\", \"rim\": \"%s\", \"sha256\": \"%s\", \"last_updated\": "
			 "\"2025-01-02T03:04:05.000000\", \"rim_format\": \"%s\", \"request_id\": \"test\"}",
			 id, b64, sha_override != NULL ? sha_override : sha, format);
out:
	free(b64);
	return out;
}

/* the answer for a path: /<mode>/v1/rim/<id> with mode ok, badjson, badsha, wrongid, corim, mislabel, 500 */
static char *route(const char *path, int *status)
{
	char mode[32] = "", id[160] = "";
	const char *xml;
	size_t len;

	*status = 200;
	if (sscanf(path, "/%31[^/]/v1/rim/%159s", mode, id) != 2) {
		*status = 404;
		return strdup("{\"detail\": \"Not Found\"}");
	}
	if (strcmp(id, VBIOS_ID) == 0) {
		xml = vbios_xml;
		len = vbios_len;
	} else if (strncmp(id, "NV_GPU_DRIVER_GH100_550.144.0", 29) == 0) {
		xml = driver_xml;
		len = driver_len;
	} else {
		*status = 404;
		return strdup("{\"detail\": \"RIM not found\"}");
	}
	if (strcmp(mode, "ok") == 0 || strcmp(mode, "mislabel") == 0)
		return json_for(id, xml, len, NULL, "TCG");
	if (strcmp(mode, "badjson") == 0)
		return strdup("{\"id\": \"x\", \"rim\": ");
	if (strcmp(mode, "badsha") == 0)
		return json_for(id, xml, len, "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff",
				"TCG");
	if (strcmp(mode, "wrongid") == 0)
		return json_for(VBIOS_ID "X", xml, len, NULL, "TCG");
	if (strcmp(mode, "corim") == 0)
		return json_for(id, xml, len, NULL, "CORIM");
	if (strcmp(mode, "badb64") == 0)
		return strdup("{\"id\": \"" VBIOS_ID "\", \"rim\": \"@@@@\"}");
	*status = 500;
	return strdup("{\"detail\": \"error\"}");
}

static void handle(void *ctx, const struct th_http_request *req, struct th_http_response *resp)
{
	char *body;

	(void)ctx;
	if (strcmp(req->method, "GET") != 0) {
		resp->status = 404;
		return;
	}
	body = route(req->path, &resp->status);
	if (body == NULL) {
		resp->status = 500;
		return;
	}
	resp->content_type = "application/json";
	resp->body = (uint8_t *)body;
	resp->body_len = strlen(body);
}

static int setup(void **state)
{
	(void)state;
	rim_root = td_cert("nvidia/roots/nvidia_rim_root.pem");
	vbios_xml = (char *)td_read("nvidia/rims/" VBIOS_ID ".xml", &vbios_len);
	driver_xml = (char *)td_read("nvidia/rims/" DRIVER_ID ".xml", &driver_len);
	server = th_http_server_new(handle, NULL);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	th_http_server_free(server);
	X509_free(rim_root);
	free(vbios_xml);
	free(driver_xml);
	return 0;
}

/* ---------- tests ---------- */

static struct ccg_rim_store *store(const char *mode, const char *cache_dir)
{
	char url[128];
	struct ccg_rim_store_config cfg = {.service_url = url, .cache_dir = cache_dir, .timeout_ms = 5000};
	struct ccg_rim_store *s = NULL;
	struct ccg_error err;

	snprintf(url, sizeof(url), "http://127.0.0.1:%d/%s/v1/rim/", th_http_server_port(server), mode);
	ccg_error_clear(&err);
	assert_int_equal(ccg_rim_store_new(&cfg, &s, &err), CCG_OK);
	return s;
}

static void test_fetch_cache_and_reuse(void **state)
{
	char *cache = td_tmpdir();
	char path[4096];
	struct ccg_rim_store *s = store("ok", cache);
	struct ccg_rim_verify_opts o = {.rim_root = rim_root, .now = NOW, .ignore_expiry = true};
	struct ccg_rim_verify_result r;
	const struct ccg_rim *rim = NULL;
	struct ccg_error err;
	uint64_t t0 = ccg_http_transfer_count();
	uint8_t *cached = NULL;
	size_t cached_len = 0;
	struct ccg_rim_store_config offline = {.cache_dir = cache, .offline = true};

	(void)state;
	ccg_error_clear(&err);
	assert_int_equal(ccg_rim_store_get(s, VBIOS_ID, &o, &rim, &r, &err), CCG_OK);
	assert_string_equal(rim->colloquial_version, "96.00.74.00.20");
	assert_true(r.signature_verified && r.chain_verified);
	assert_int_equal(ccg_http_transfer_count(), t0 + 1);
	/* written to cache_dir, byte for byte */
	snprintf(path, sizeof(path), "%s/%s.xml", cache, VBIOS_ID);
	assert_int_equal(ccg_file_read(path, 1u << 22, &cached, &cached_len, &err), CCG_OK);
	assert_int_equal(cached_len, vbios_len);
	assert_memory_equal(cached, vbios_xml, vbios_len);
	free(cached);
	/* warm: no second transfer */
	assert_int_equal(ccg_rim_store_get(s, VBIOS_ID, &o, &rim, &r, &err), CCG_OK);
	assert_int_equal(ccg_http_transfer_count(), t0 + 1);
	/* the driver RIM too, with expiry enforced */
	o.ignore_expiry = false;
	assert_int_equal(ccg_rim_store_get(s, DRIVER_ID, &o, &rim, &r, &err), CCG_OK);
	assert_int_equal(ccg_http_transfer_count(), t0 + 2);
	ccg_rim_store_free(s);

	/* a new, offline store finds both in the cache without the network */
	ccg_error_clear(&err);
	assert_int_equal(ccg_rim_store_new(&offline, &s, &err), CCG_OK);
	assert_int_equal(ccg_rim_store_get(s, DRIVER_ID, &o, &rim, &r, &err), CCG_OK);
	o.ignore_expiry = true;
	assert_int_equal(ccg_rim_store_get(s, VBIOS_ID, &o, &rim, &r, &err), CCG_OK);
	assert_int_equal(ccg_http_transfer_count(), t0 + 2);
	ccg_rim_store_free(s);
	td_rm_rf(cache);
	free(cache);
}

static void expect_failure(const char *mode, const char *id, enum ccg_status want, const char *where)
{
	char *cache = td_tmpdir();
	char path[4096];
	struct stat st;
	struct ccg_rim_store *s = store(mode, cache);
	struct ccg_rim_verify_opts o = {.rim_root = rim_root, .now = NOW, .ignore_expiry = true};
	const struct ccg_rim *rim = NULL;
	struct ccg_error err;

	ccg_error_clear(&err);
	assert_int_equal(ccg_rim_store_get(s, id, &o, &rim, NULL, &err), want);
	assert_null(rim);
	if (where != NULL)
		assert_string_equal(err.where, where);
	/* nothing that failed is cached */
	snprintf(path, sizeof(path), "%s/%s.xml", cache, id);
	assert_int_not_equal(stat(path, &st), 0);
	ccg_rim_store_free(s);
	td_rm_rf(cache);
	free(cache);
}

static void test_service_errors(void **state)
{
	(void)state;
	expect_failure("ok", "NV_GPU_DRIVER_GH100_999.1", CCG_ERR_RIM_NOT_FOUND, "rim service");
	expect_failure("badjson", VBIOS_ID, CCG_ERR_ENCODING, "rim service response");
	expect_failure("badsha", VBIOS_ID, CCG_ERR_RIM_INVALID, "rim service response.sha256");
	expect_failure("wrongid", VBIOS_ID, CCG_ERR_RIM_INVALID, "rim service response.id");
	expect_failure("corim", VBIOS_ID, CCG_ERR_UNSUPPORTED, "rim service response.rim_format");
	expect_failure("badb64", VBIOS_ID, CCG_ERR_ENCODING, "rim service response.rim");
	expect_failure("mislabel", "NV_GPU_DRIVER_GH100_550.144.04", CCG_ERR_RIM_INVALID, "rim.Meta");
	expect_failure("fail", VBIOS_ID, CCG_ERR_NETWORK, "rim service");
}

static void test_unreachable_service(void **state)
{
	/* a loopback port nobody listens on: a network error, bounded by the timeout */
	char url[128];
	struct ccg_rim_store_config cfg = {.service_url = url, .timeout_ms = 2000};
	struct ccg_rim_store *s = NULL;
	struct ccg_rim_verify_opts o = {.rim_root = rim_root, .now = NOW};
	const struct ccg_rim *rim = NULL;
	struct ccg_error err;

	(void)state;
	snprintf(url, sizeof(url), "http://127.0.0.1:%d/v1/rim", th_free_port());
	ccg_error_clear(&err);
	assert_int_equal(ccg_rim_store_new(&cfg, &s, &err), CCG_OK);
	assert_int_equal(ccg_rim_store_get(s, VBIOS_ID, &o, &rim, NULL, &err), CCG_ERR_NETWORK);
	ccg_rim_store_free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fetch_cache_and_reuse),
		cmocka_unit_test(test_service_errors),
		cmocka_unit_test(test_unreachable_service),
	};

	td_require();
	return cmocka_run_group_tests(tests, setup, teardown);
}
