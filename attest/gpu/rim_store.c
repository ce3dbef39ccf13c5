/* SPDX-License-Identifier: Apache-2.0 */
/*
 * RIM store: in-memory cache -> dir/<id>.xml -> cache_dir/<id>.xml -> RIM
 * service (NVIDIA's JSON: {"id", "rim": base64 XML, "sha256", "rim_format",
 * ...}). A RIM enters the memory cache only after its signature and chain
 * (expiry aside) verified; a warm lookup then only compares the call's time
 * with the chain's cached validity window and re-runs the full chain check
 * only for another anchor or a time at or outside the window's edges.
 */
#include "attest/gpu/rim.h"

#include <openssl/x509.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "common/crypto.h"
#include "common/encoding.h"
#include "common/error.h"
#include "common/file.h"
#include "common/http.h"
#include "common/json.h"
#include "common/str.h"

#define RIM_ID_MAX_LEN 127
#define RIM_SERVICE_MAX_RESPONSE (6u << 20) /* base64 of CCG_RIM_MAX_BYTES plus JSON */

struct store_entry {
	char id[RIM_ID_MAX_LEN + 1];
	struct ccg_rim *rim;
	X509 *anchor;                  /* the anchor the chain was verified to (ignoring expiry) */
	struct ccg_chain_result chain; /* from that verification */
	int64_t valid_from;            /* latest notBefore over the chain and the anchor */
	int64_t valid_until;           /* earliest notAfter over the chain and the anchor */
	struct store_entry *next;
};

struct ccg_rim_store {
	pthread_mutex_t lock;
	char *dir;
	char *service_url;
	char *cache_dir;
	bool offline;
	long timeout_ms;
	struct store_entry *entries;
};

static bool id_valid(const char *id)
{
	size_t n = 0;

	if (id == NULL || id[0] == '\0' || id[0] == '.')
		return false;
	for (const char *p = id; *p != '\0'; p++, n++) {
		char c = *p;

		if (n >= RIM_ID_MAX_LEN)
			return false;
		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' ||
		      c == '.' || c == '-'))
			return false;
	}
	return true;
}

enum ccg_status ccg_rim_store_new(const struct ccg_rim_store_config *config, struct ccg_rim_store **out,
				  struct ccg_error *err)
{
	struct ccg_rim_store *s;
	bool fail = false;

	if (config == NULL || out == NULL)
		return ccg_error_set(err, CCG_ERR_INVALID_ARG, "rim store", "no configuration or output");
	*out = NULL;
	if (config->service_url != NULL && !ccg_http_url_ok(config->service_url))
		return ccg_error_set(err, CCG_ERR_INVALID_ARG, "rim store.service_url",
				     "only http:// and https:// URLs");
	s = calloc(1, sizeof(*s));
	if (s == NULL)
		return ccg_error_set(err, CCG_ERR_NOMEM, "rim store", "allocating the store");
	if (pthread_mutex_init(&s->lock, NULL) != 0) {
		free(s);
		return ccg_error_set(err, CCG_ERR_INTERNAL, "rim store", "pthread_mutex_init failed");
	}
	s->dir = ccg_strdup_opt(config->dir, &fail);
	s->service_url = ccg_strdup_opt(config->service_url, &fail);
	s->cache_dir = ccg_strdup_opt(config->cache_dir, &fail);
	s->offline = config->offline;
	s->timeout_ms = config->timeout_ms;
	if (fail) {
		ccg_rim_store_free(s);
		return ccg_error_set(err, CCG_ERR_NOMEM, "rim store", "copying the configuration");
	}
	/* no trailing slash: URLs are <service_url>/<id> */
	if (s->service_url != NULL) {
		size_t l = strlen(s->service_url);

		while (l > 0 && s->service_url[l - 1] == '/')
			s->service_url[--l] = '\0';
	}
	*out = s;
	return CCG_OK;
}

static void entry_free(struct store_entry *e)
{
	if (e == NULL)
		return;
	ccg_rim_free(e->rim);
	X509_free(e->anchor);
	free(e);
}

void ccg_rim_store_free(struct ccg_rim_store *s)
{
	struct store_entry *e, *next;

	if (s == NULL)
		return;
	for (e = s->entries; e != NULL; e = next) {
		next = e->next;
		entry_free(e);
	}
	pthread_mutex_destroy(&s->lock);
	free(s->dir);
	free(s->service_url);
	free(s->cache_dir);
	free(s);
}

/* ---------- sources ---------- */

/* reads <dir>/<id>.xml; CCG_ERR_NOT_FOUND when absent */
static enum ccg_status read_file_source(const char *dir, const char *id, uint8_t **out, size_t *out_len,
					struct ccg_error *err)
{
	char path[4096];
	int w = snprintf(path, sizeof(path), "%s/%s.xml", dir, id);
	struct ccg_error local;
	enum ccg_status st;

	if (w < 0 || (size_t)w >= sizeof(path))
		return ccg_error_set(err, CCG_ERR_TOO_LARGE, "rim store", "path too long");
	ccg_error_clear(&local);
	st = ccg_file_read(path, CCG_RIM_MAX_BYTES, out, out_len, &local);
	if (st == CCG_ERR_NOT_FOUND)
		return st;
	if (st != CCG_OK)
		return ccg_error_set(err, st, path, "%s", local.detail);
	return CCG_OK;
}

static bool hex_lower_equal(const char *hex, const uint8_t *bin, size_t len)
{
	char enc[2 * CCG_SHA256_LEN + 1];

	if (len > CCG_SHA256_LEN || strlen(hex) != 2 * len)
		return false;
	ccg_hex_encode(bin, len, enc);
	return strcasecmp(enc, hex) == 0;
}

/* decodes NVIDIA's RIM service answer into the RIM's XML bytes */
static enum ccg_status decode_service_json(const char *id, const uint8_t *body, size_t body_len, uint8_t **out,
					   size_t *out_len, struct ccg_error *err)
{
	static const char *where = "rim service response";
	json_t *doc = NULL, *v;
	const char *rim_b64 = NULL;
	uint8_t *xml = NULL, digest[CCG_SHA256_LEN];
	size_t xml_len = 0;
	enum ccg_status st;

	st = ccg_json_parse(body, body_len, RIM_SERVICE_MAX_RESPONSE, where, &doc, err);
	if (st != CCG_OK)
		goto out;
	if (!json_is_object(doc)) {
		st = ccg_error_set(err, CCG_ERR_MALFORMED, where, "not a JSON object");
		goto out;
	}
	st = ccg_json_get_string(doc, "rim", &rim_b64, where, err);
	if (st != CCG_OK)
		goto out;
	v = json_object_get(doc, "id");
	if (v != NULL && (!json_is_string(v) || strcmp(json_string_value(v), id) != 0)) {
		st = ccg_error_set(err, CCG_ERR_RIM_INVALID, "rim service response.id",
				   "the service answered for another id than %s", id);
		goto out;
	}
	v = json_object_get(doc, "rim_format");
	if (v != NULL && (!json_is_string(v) || (strcasecmp(json_string_value(v), "TCG") != 0 &&
						 strcasecmp(json_string_value(v), "xml") != 0))) {
		st = ccg_error_set(err, CCG_ERR_UNSUPPORTED, "rim service response.rim_format",
				   "\"%.*s\" is not a SWID (TCG/XML) RIM",
				   ccg_utf8_cut(json_is_string(v) ? json_string_value(v) : "?", 32),
				   json_is_string(v) ? json_string_value(v) : "?");
		goto out;
	}
	st = ccg_base64_decode(rim_b64, strlen(rim_b64), CCG_RIM_MAX_BYTES, &xml, &xml_len);
	if (st != CCG_OK) {
		st = ccg_error_set(err, st, "rim service response.rim", "not valid base64 (or over %u bytes)",
				   CCG_RIM_MAX_BYTES);
		goto out;
	}
	v = json_object_get(doc, "sha256");
	if (v != NULL) {
		if (!json_is_string(v)) {
			st = ccg_error_set(err, CCG_ERR_MALFORMED, "rim service response.sha256", "not a string");
			goto out;
		}
		st = ccg_sha256(xml, xml_len, digest);
		if (st != CCG_OK) {
			st = ccg_error_set(err, st, "rim service response.sha256", "hashing the RIM");
			goto out;
		}
		if (!hex_lower_equal(json_string_value(v), digest, sizeof(digest))) {
			st = ccg_error_set(err, CCG_ERR_RIM_INVALID, "rim service response.sha256",
					   "does not match the SHA-256 of the RIM received");
			goto out;
		}
	}
	*out = xml;
	*out_len = xml_len;
	xml = NULL;
	st = CCG_OK;
out:
	free(xml);
	json_decref(doc);
	return st;
}

enum ccg_status ccg_rim_service_decode(const char *rim_id, const uint8_t *body, size_t body_len, uint8_t **out,
				       size_t *out_len, struct ccg_error *err)
{
	return decode_service_json(rim_id, body, body_len, out, out_len, err);
}

static enum ccg_status fetch_service(const struct ccg_rim_store *s, const char *id, uint8_t **out, size_t *out_len,
				     struct ccg_error *err)
{
	struct ccg_http_request req;
	struct ccg_http_response resp;
	char url[4096];
	int w = snprintf(url, sizeof(url), "%s/%s", s->service_url, id);
	enum ccg_status st;

	if (w < 0 || (size_t)w >= sizeof(url))
		return ccg_error_set(err, CCG_ERR_TOO_LARGE, "rim service", "URL too long");
	memset(&req, 0, sizeof(req));
	req.url = url;
	req.method = "GET";
	req.accept = "application/json";
	req.max_response = RIM_SERVICE_MAX_RESPONSE;
	req.timeout_ms = s->timeout_ms;
	st = ccg_http_perform(&req, &resp, err);
	if (st != CCG_OK)
		return st;
	if (resp.status == 404)
		st = ccg_error_set(err, CCG_ERR_RIM_NOT_FOUND, "rim service", "HTTP 404 for %s", id);
	else if (resp.status != 200)
		st = ccg_error_set(err, CCG_ERR_NETWORK, "rim service", "HTTP %ld for %s", resp.status, id);
	else
		st = decode_service_json(id, resp.body, resp.body_len, out, out_len, err);
	ccg_http_response_cleanup(&resp);
	return st;
}

/* ---------- the id and the RIM must agree ---------- */

static bool ends_with(const char *s, const char *suffix)
{
	size_t a = strlen(s), b = strlen(suffix);

	return a >= b && strcmp(s + a - b, suffix) == 0;
}

/*
 * Driver ids NV_GPU_DRIVER_<chip>_<version> / NV_GPU_CC_DRIVER_<chip>_<version>:
 * the RIM's colloquialVersion is <version> and its product is <chip>. VBIOS
 * ids NV_GPU_VBIOS_..._<version without dots> / NV_GPU_CC_VBIOS_...: the
 * colloquialVersion without dots, upper case, ends the id. Other ids: no rule.
 */
static enum ccg_status check_id_matches(const char *id, const struct ccg_rim *rim, struct ccg_error *err)
{
	static const char *driver_prefixes[] = {"NV_GPU_DRIVER_", "NV_GPU_CC_DRIVER_"};
	static const char *vbios_prefixes[] = {"NV_GPU_VBIOS_", "NV_GPU_CC_VBIOS_", "NV_SWITCH_BIOS_"};
	char want[160];

	for (size_t i = 0; i < 2; i++) {
		size_t pl = strlen(driver_prefixes[i]);

		if (strncmp(id, driver_prefixes[i], pl) != 0)
			continue;
		snprintf(want, sizeof(want), "%s_%s", rim->product, rim->colloquial_version);
		if (strlen(id) - pl != strlen(want) || strcmp(id + pl, want) != 0)
			return ccg_error_set(err, CCG_ERR_RIM_INVALID, "rim.Meta",
					     "RIM for %.*s %.*s, but %.*s was asked for",
					     ccg_utf8_cut(rim->product, 40), rim->product,
					     ccg_utf8_cut(rim->colloquial_version, 40), rim->colloquial_version,
					     ccg_utf8_cut(id, 127), id);
		return CCG_OK;
	}
	for (size_t i = 0; i < sizeof(vbios_prefixes) / sizeof(vbios_prefixes[0]); i++) {
		size_t n = 0;

		if (strncmp(id, vbios_prefixes[i], strlen(vbios_prefixes[i])) != 0)
			continue;
		want[n++] = '_';
		for (const char *p = rim->colloquial_version; *p != '\0' && n + 1 < sizeof(want); p++) {
			if (*p == '.')
				continue;
			want[n++] = (*p >= 'a' && *p <= 'z') ? (char)(*p - 'a' + 'A') : *p;
		}
		want[n] = '\0';
		if (!ends_with(id, want))
			return ccg_error_set(err, CCG_ERR_RIM_INVALID, "rim.Meta@colloquialVersion",
					     "VBIOS %.*s, but %.*s was asked for",
					     ccg_utf8_cut(rim->colloquial_version, 40), rim->colloquial_version,
					     ccg_utf8_cut(id, 127), id);
		return CCG_OK;
	}
	return CCG_OK;
}

/* ---------- verification and the expiry fast path ---------- */

/* verifies the chain to anchor ignoring expiry, and records the validity window */
static enum ccg_status entry_verify_chain(struct store_entry *e, X509 *anchor, int64_t now, struct ccg_error *err)
{
	struct ccg_chain_opts co = {.anchor = anchor, .now = now, .ignore_expiry = true, .name = "RIM chain"};
	struct ccg_chain_result chain;
	enum ccg_status st;

	st = ccg_chain_verify(e->rim->certs, &co, &chain, err);
	if (st != CCG_OK)
		return st;
	if (X509_up_ref(anchor) != 1)
		return ccg_error_set(err, CCG_ERR_CRYPTO, "RIM chain", "X509_up_ref failed");
	X509_free(e->anchor);
	e->anchor = anchor;
	e->chain = chain;
	e->valid_from = chain.not_before;
	e->valid_until = chain.not_after;
	return CCG_OK;
}

/*
 * The result for one call. Fast path: same anchor and now strictly inside
 * the chain's validity window (or expiry ignored). Anything else (another
 * anchor, or a time at or past an edge, where the exact error matters) runs
 * ccg_chain_verify with the call's options.
 */
static enum ccg_status entry_result(struct ccg_rim_store *s, struct store_entry *e,
				    const struct ccg_rim_verify_opts *opts, struct ccg_rim_verify_result *result,
				    struct ccg_error *err)
{
	int64_t now = opts->now != 0 ? opts->now : (int64_t)time(NULL);
	bool same_anchor, inside;
	struct ccg_chain_opts co;
	enum ccg_status st;

	memset(result, 0, sizeof(*result));
	result->schema_valid = true;
	result->signature_verified = true;

	pthread_mutex_lock(&s->lock);
	same_anchor = e->anchor != NULL && X509_cmp(e->anchor, opts->rim_root) == 0;
	inside = now > e->valid_from && now < e->valid_until;
	if (same_anchor && (inside || opts->ignore_expiry)) {
		result->chain = e->chain;
		result->chain.expired = !inside;
		result->chain_verified = true;
		pthread_mutex_unlock(&s->lock);
		return CCG_OK;
	}
	if (!same_anchor) {
		/* re-anchor the cache: verification ignoring expiry, then judge time below */
		st = entry_verify_chain(e, opts->rim_root, now, err);
		if (st != CCG_OK) {
			pthread_mutex_unlock(&s->lock);
			return st;
		}
		inside = now > e->valid_from && now < e->valid_until;
		if (inside || opts->ignore_expiry) {
			result->chain = e->chain;
			result->chain.expired = !inside;
			result->chain_verified = true;
			pthread_mutex_unlock(&s->lock);
			return CCG_OK;
		}
	}
	pthread_mutex_unlock(&s->lock);

	memset(&co, 0, sizeof(co));
	co.anchor = opts->rim_root;
	co.now = opts->now;
	co.ignore_expiry = opts->ignore_expiry;
	co.name = "RIM chain";
	st = ccg_chain_verify(e->rim->certs, &co, &result->chain, err);
	result->chain_verified = st == CCG_OK;
	return st;
}

static struct store_entry *find_locked(struct ccg_rim_store *s, const char *id)
{
	for (struct store_entry *e = s->entries; e != NULL; e = e->next)
		if (strcmp(e->id, id) == 0)
			return e;
	return NULL;
}

/* finds the bytes of a RIM; *from_service says whether it must be written to the cache */
static enum ccg_status load_bytes(struct ccg_rim_store *s, const char *id, uint8_t **xml, size_t *len,
				  bool *from_service, struct ccg_error *err)
{
	enum ccg_status st;

	*from_service = false;
	if (s->dir != NULL) {
		st = read_file_source(s->dir, id, xml, len, err);
		if (st != CCG_ERR_NOT_FOUND)
			return st;
	}
	if (s->cache_dir != NULL) {
		st = read_file_source(s->cache_dir, id, xml, len, err);
		if (st != CCG_ERR_NOT_FOUND)
			return st;
	}
	if (!s->offline && s->service_url != NULL) {
		*from_service = true;
		return fetch_service(s, id, xml, len, err);
	}
	return ccg_error_set(err, CCG_ERR_RIM_NOT_FOUND, "rim store", "%s: not in %s%s%s", id,
			     s->dir != NULL ? "the RIM directory" : "no RIM directory",
			     s->cache_dir != NULL ? ", not in the cache" : ", no cache",
			     s->offline ? ", offline" : ", no RIM service");
}

enum ccg_status ccg_rim_store_get(struct ccg_rim_store *s, const char *rim_id, const struct ccg_rim_verify_opts *opts,
				  const struct ccg_rim **out, struct ccg_rim_verify_result *result,
				  struct ccg_error *err)
{
	struct ccg_rim_verify_result local_result, first;
	struct ccg_rim_verify_opts vopts;
	struct store_entry *e = NULL, *have;
	uint8_t *xml = NULL;
	size_t len = 0;
	bool from_service = false;
	enum ccg_status st;

	if (result == NULL)
		result = &local_result;
	memset(result, 0, sizeof(*result));
	if (out != NULL)
		*out = NULL;
	if (s == NULL || opts == NULL || out == NULL || opts->rim_root == NULL)
		return ccg_error_set(err, CCG_ERR_INVALID_ARG, "rim store", "no store, options, anchor or output");
	if (!id_valid(rim_id))
		return ccg_error_set(err, CCG_ERR_INVALID_ARG, "rim store.id",
				     "RIM ids are 1..%d characters of [A-Za-z0-9_.-], not starting with '.'",
				     RIM_ID_MAX_LEN);

	pthread_mutex_lock(&s->lock);
	have = find_locked(s, rim_id);
	pthread_mutex_unlock(&s->lock);
	if (have != NULL) {
		st = entry_result(s, have, opts, result, err);
		*out = st == CCG_OK ? have->rim : NULL;
		return st;
	}

	/* cold: load, parse, check the id, verify (expiry is judged per call below) */
	st = load_bytes(s, rim_id, &xml, &len, &from_service, err);
	if (st != CCG_OK)
		goto out;
	e = calloc(1, sizeof(*e));
	if (e == NULL) {
		st = ccg_error_set(err, CCG_ERR_NOMEM, "rim store", "allocating a cache entry");
		goto out;
	}
	memcpy(e->id, rim_id, strlen(rim_id) + 1);
	st = ccg_rim_parse(xml, len, &e->rim, err);
	if (st != CCG_OK)
		goto out;
	st = check_id_matches(rim_id, e->rim, err);
	if (st != CCG_OK)
		goto out;
	vopts = *opts;
	vopts.ignore_expiry = true;
	st = ccg_rim_verify(e->rim, &vopts, &first, err);
	if (st != CCG_OK) {
		*result = first;
		goto out;
	}
	st = entry_verify_chain(e, opts->rim_root, opts->now != 0 ? opts->now : (int64_t)time(NULL), err);
	if (st != CCG_OK)
		goto out;
	if (from_service && s->cache_dir != NULL) {
		char path[4096];
		int w = snprintf(path, sizeof(path), "%s/%s.xml", s->cache_dir, rim_id);

		if (w < 0 || (size_t)w >= sizeof(path)) {
			st = ccg_error_set(err, CCG_ERR_TOO_LARGE, "rim store", "cache path too long");
			goto out;
		}
		st = ccg_mkdir_p(s->cache_dir, err);
		if (st == CCG_OK)
			st = ccg_file_write_atomic(path, xml, len, err);
		if (st != CCG_OK)
			goto out;
	}

	pthread_mutex_lock(&s->lock);
	have = find_locked(s, rim_id);
	if (have == NULL) {
		e->next = s->entries;
		s->entries = e;
		have = e;
		e = NULL;
	}
	pthread_mutex_unlock(&s->lock);
	st = entry_result(s, have, opts, result, err);
	if (st == CCG_OK)
		*out = have->rim;
out:
	entry_free(e);
	free(xml);
	return st;
}
