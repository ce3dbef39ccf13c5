/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ccgpu-verifierd's HTTP API on libmicrohttpd (docs/api/openapi.yaml):
 * epoll thread pool, keep-alive, bounded bodies, headers, connections and
 * idle time; every error an RFC 9457 problem document with a stable type.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <microhttpd.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "common/crypto.h"
#include "common/encoding.h"
#include "common/error.h"
#include "common/file.h"
#include "common/http.h"
#include "verifier/daemon.h"
#include "verifier/log.h"
#include "token/nras.h"
#include "verifier/release.h"
#include "verifier/secrets.h"
#include "verifier/request.h"
#include "verifier/vevidence.h"

#define PROBLEM_BASE VD_PROBLEM_BASE
#define TLS_FILE_MAX (64 * 1024)

/* ---- problems: one stable type per kind of failure ---- */

enum problem {
	P_NOT_FOUND,
	P_METHOD,
	P_MEDIA_TYPE,
	P_TOO_LARGE,
	P_MALFORMED,
	P_TOO_DEEP,
	P_NONCE_MISMATCH,
	P_NONCE_UNKNOWN,
	P_NONCE_EXPIRED,
	P_STORE,
	P_NOT_READY,
	P_INTERNAL,
	P_NO_TPM,
	P_TPM, /* the verifier's own evidence (branch vtee) */
};

static const struct {
	const char *type;
	int status;
	const char *title;
} problems[] = {
	[P_NOT_FOUND] = {"not-found", 404, "No such resource"},
	[P_METHOD] = {"method-not-allowed", 405, "Method not allowed on this resource"},
	[P_MEDIA_TYPE] = {"unsupported-media-type", 415, "The body must be application/json"},
	[P_TOO_LARGE] = {"body-too-large", 413, "The request body is over the limit"},
	[P_MALFORMED] = {"malformed-request", 400, "The request body is not what this resource takes"},
	[P_TOO_DEEP] = {"json-too-deep", 400, "The JSON is nested deeper than the limit"},
	[P_NONCE_MISMATCH] = {"nonce-mismatch", 400, "The evidence is not over the request's nonce"},
	[P_NONCE_UNKNOWN] = {"nonce-unknown", 403, "The nonce was not issued by this verifier or was used already"},
	[P_NONCE_EXPIRED] = {"nonce-expired", 403, "The nonce expired"},
	[P_STORE] = {"store-unavailable", 503, "The verifier's store did not answer"},
	[P_NOT_READY] = {"not-ready", 503, "The verifier is not ready"},
	[P_INTERNAL] = {"internal", 500, "The verifier failed"},
	[P_NO_TPM] = {"no-tpm", 501, "This verifier has no TPM configured to quote its evidence"},
	[P_TPM] = {"tpm-unavailable", 503, "The verifier's TPM did not quote"},
};

/* ---- routes ---- */

enum route {
	R_CHALLENGE,
	R_ATTEST,
	R_JWKS,
	R_HEALTHZ,
	R_READYZ,
	R_METRICS,
	R_NRAS4,
	R_NRAS3,
	R_LOG_STH,
	R_LOG_ENTRIES,
	R_LOG_PROOF,
	R_LOG_CONSISTENCY, /* the release log (branch merkle) */
	R_CONTRACTS,
	R_SECRET,
	R_SUSPEND,
	R_RESUME,
	R_RELEASE,       /* secret release (branch release) */
	R_VEVIDENCE,     /* the verifier's own evidence (branch vtee) */
	R_CONTRACT_HELD, /* the contract version in force under a name (branch releasefast) */
	R_COUNT
};

static const struct {
	const char *path;
	const char *method;
	bool body;
} routes[R_COUNT] = {
	[R_CHALLENGE] = {"/v1/challenge", "POST", true},
	[R_ATTEST] = {"/v1/attest", "POST", true},
	[R_JWKS] = {"/.well-known/jwks.json", "GET", false},
	[R_HEALTHZ] = {"/healthz", "GET", false},
	[R_READYZ] = {"/readyz", "GET", false},
	[R_METRICS] = {"/metrics", "GET", false},
	/* NVIDIA's remote attestation API (token/nras.h), so NVIDIA's SDK can use this base URL as its NRAS */
	[R_NRAS4] = {"/v4/attest/gpu", "POST", true},
	[R_NRAS3] = {"/v3/attest/gpu", "POST", true},
	/* the release log (verifier/log.h): signed tree heads, entries, inclusion and consistency proofs */
	[R_LOG_STH] = {"/v1/log/sth", "GET", false},
	[R_LOG_ENTRIES] = {"/v1/log/entries", "GET", false},
	[R_LOG_PROOF] = {"/v1/log/proof", "GET", false},
	[R_LOG_CONSISTENCY] = {"/v1/log/consistency", "GET", false},
	/* secret release (verifier/release.h): {name} matches one path segment */
	[R_CONTRACTS] = {"/v1/contracts", "POST", true},
	[R_SECRET] = {"/v1/contracts/{contract}/secrets/{secret}", "PUT", true},
	[R_SUSPEND] = {"/v1/contracts/{contract}/suspend", "POST", true},
	[R_RESUME] = {"/v1/contracts/{contract}/resume", "POST", true},
	[R_RELEASE] = {"/v1/release", "POST", true},
	/* the verifier's own TEE evidence binding its keys (verifier/vevidence.h) */
	[R_VEVIDENCE] = {"/v1/verifier/evidence", "GET", false},
	/* what the verifier holds under a contract's name, for the parties to compare (verifier/release.h) */
	[R_CONTRACT_HELD] = {"/v1/contracts/{contract}", "GET", false},
};

static const char *const route_labels[R_COUNT] = {"/v1/challenge",
						  "/v1/attest",
						  "/.well-known/jwks.json",
						  "/healthz",
						  "/readyz",
						  "/metrics",
						  "/v4/attest/gpu",
						  "/v3/attest/gpu",
						  "/v1/log/sth",
						  "/v1/log/entries",
						  "/v1/log/proof",
						  "/v1/log/consistency",
						  "/v1/contracts",
						  "/v1/contracts/{contract}/secrets/{secret}",
						  "/v1/contracts/{contract}/suspend",
						  "/v1/contracts/{contract}/resume",
						  "/v1/release",
						  "/v1/verifier/evidence",
						  "/v1/contracts/{contract}"};

void vd_routes_print(FILE *f)
{
	for (int i = 0; i < R_COUNT; i++)
		fprintf(f, "%s %s\n", routes[i].method, routes[i].path);
}

/* one request being read or answered */
struct req {
	struct vd *d;
	int route;      /* R_COUNT: none */
	char method[8]; /* as sent, cut to 7 bytes, for the log */
	struct timespec t0;
	uint8_t *body;
	size_t len, cap, max;
	bool too_big;
	bool answered;
	/* for the log line */
	char evidence_sha256[65];
	const char *ear_status;
	const char *problem;
	char detail[256];
	/* the path's {contract} and {secret}, and the path itself (release routes) */
	char contract[CCG_SECRET_MAX_NAME + 1], secret[CCG_SECRET_MAX_NAME + 1];
	char *path;
};

static double since(const struct timespec *t0)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)(t.tv_sec - t0->tv_sec) + (double)(t.tv_nsec - t0->tv_nsec) / 1e9;
}

void vd_log(json_t *obj)
{
	char *s;

	if (obj == NULL)
		return;
	s = json_dumps(obj, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(obj);
	if (s == NULL)
		return;
	/* one write per line: lines of concurrent requests never interleave */
	{
		size_t n = strlen(s);

		s[n] = '\n';
		if (write(STDERR_FILENO, s, n + 1) < 0)
			(void)0;
		s[n] = '\0';
	}
	free(s);
}

static void log_request(struct req *r, const char *method, const char *url, int status)
{
	json_t *o = json_object();
	char ts[21];

	ccg_time_iso((int64_t)time(NULL), ts);
	json_object_set_new(o, "ts", json_string(ts));
	json_object_set_new(o, "method", json_string(method));
	/* the route, never the raw URL of an unknown one: a log line is bounded and has no client text */
	json_object_set_new(o, "route", json_string(r->route < R_COUNT ? routes[r->route].path : "other"));
	(void)url;
	json_object_set_new(o, "status", json_integer(status));
	json_object_set_new(o, "latency_ms", json_real((double)(int64_t)(since(&r->t0) * 1e6) / 1000.0));
	json_object_set_new(o, "bytes_in", json_integer((json_int_t)r->len));
	if (r->evidence_sha256[0] != '\0')
		json_object_set_new(o, "evidence_sha256", json_string(r->evidence_sha256));
	if (r->ear_status != NULL)
		json_object_set_new(o, "ear_status", json_string(r->ear_status));
	if (r->problem != NULL)
		json_object_set_new(o, "problem", json_string(r->problem));
	if (r->detail[0] != '\0')
		json_object_set_new(o, "detail", json_string(r->detail));
	vd_log(o);
}

/* queues body with content type and status; takes ownership of body (malloc'd) */
static enum MHD_Result send_body(struct MHD_Connection *c, struct req *r, int status, const char *type, char *body,
				 const char *allow)
{
	struct MHD_Response *resp;
	enum MHD_Result ret;

	resp = MHD_create_response_from_buffer(body != NULL ? strlen(body) : 0, body != NULL ? body : (void *)"",
					       body != NULL ? MHD_RESPMEM_MUST_FREE : MHD_RESPMEM_PERSISTENT);
	if (resp == NULL) {
		free(body);
		return MHD_NO;
	}
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, type);
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
	MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
	if (allow != NULL)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_ALLOW, allow);
	ret = MHD_queue_response(c, (unsigned)status, resp);
	MHD_destroy_response(resp);
	r->answered = true;
	vd_metrics_request(&r->d->metrics, r->route < R_COUNT ? (size_t)r->route : R_COUNT, status);
	return ret;
}

static enum MHD_Result send_json(struct MHD_Connection *c, struct req *r, int status, json_t *obj)
{
	char *s = obj != NULL ? json_dumps(obj, JSON_COMPACT | JSON_SORT_KEYS) : NULL;

	json_decref(obj);
	if (s == NULL)
		return MHD_NO;
	return send_body(c, r, status, "application/json", s, NULL);
}

static enum MHD_Result send_problem(struct MHD_Connection *c, struct req *r, enum problem p, const struct ccg_error *e,
				    const char *detail)
{
	json_t *o = json_object();
	char type[96], text[CCG_ERROR_WHERE_MAX + CCG_ERROR_DETAIL_MAX + 8];
	char *s;

	snprintf(type, sizeof(type), PROBLEM_BASE "%s", problems[p].type);
	json_object_set_new(o, "type", json_string(type));
	json_object_set_new(o, "title", json_string(problems[p].title));
	json_object_set_new(o, "status", json_integer(problems[p].status));
	if (e != NULL && e->status != CCG_OK) {
		snprintf(text, sizeof(text), "%s: %s", e->where, e->detail);
		json_object_set_new(o, "detail", json_string(text));
		json_object_set_new(o, "check", json_string(e->where));
		json_object_set_new(o, "ccgpu-status", json_string(ccg_status_name(e->status)));
	} else if (detail != NULL) {
		snprintf(text, sizeof(text), "%s", detail);
		json_object_set_new(o, "detail", json_string(text));
	}
	if (r->route < R_COUNT)
		json_object_set_new(o, "instance", json_string(routes[r->route].path));
	/* a detail from outside (a field name in an error) may not be UTF-8: jansson refuses it, so say less */
	if (json_object_get(o, "detail") == NULL && (e != NULL || detail != NULL))
		json_object_set_new(o, "detail", json_string("(detail not printable)"));
	r->problem = problems[p].type;
	snprintf(r->detail, sizeof(r->detail), "%s",
		 json_string_value(json_object_get(o, "detail")) != NULL
			 ? json_string_value(json_object_get(o, "detail"))
			 : "");
	s = json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(o);
	if (s == NULL)
		return MHD_NO;
	return send_body(c, r, problems[p].status, "application/problem+json", s,
			 p == P_METHOD && r->route < R_COUNT ? routes[r->route].method : NULL);
}

/* ---- handlers ---- */

static int64_t now_s(void)
{
	return (int64_t)time(NULL);
}

static enum MHD_Result h_challenge(struct MHD_Connection *c, struct req *r, struct vd_runtime *rt)
{
	struct ccg_error err;
	uint8_t nonce[VD_NONCE_LEN];
	char hex[2 * VD_NONCE_LEN + 1], ts[21];
	int64_t exp = now_s() + (int64_t)rt->nonce_ttl;
	enum ccg_status st;
	json_t *o;

	ccg_error_clear(&err);
	if (vd_challenge_request_parse(r->body, r->len, rt->json_max_depth, &err) != CCG_OK)
		return send_problem(c, r, err.status == CCG_ERR_TOO_LARGE ? P_TOO_DEEP : P_MALFORMED, &err, NULL);
	if (ccg_random(nonce, sizeof(nonce)) != CCG_OK)
		return send_problem(c, r, P_INTERNAL, NULL, "random");
	/* acknowledged only once durable: a nonce we answered survives kill -9 */
	if ((st = ccg_store_nonce_put(r->d->store, nonce, sizeof(nonce), exp, &err)) != CCG_OK)
		return send_problem(c, r, st == CCG_ERR_DUPLICATE ? P_INTERNAL : P_STORE, &err, NULL);
	ccg_hex_encode(nonce, sizeof(nonce), hex);
	ccg_time_iso(exp, ts);
	o = json_object();
	json_object_set_new(o, "nonce", json_string(hex));
	json_object_set_new(o, "expires", json_string(ts));
	return send_json(c, r, 200, o);
}

static enum MHD_Result h_attest(struct MHD_Connection *c, struct req *r, struct vd_runtime *rt)
{
	struct vd_attest_request ar;
	struct vd_verdict v;
	struct ccg_error err;
	struct timespec t0;
	enum ccg_status st;
	enum MHD_Result ret;
	json_t *o;
	const char *name;

	ccg_error_clear(&err);
	if ((st = vd_attest_request_parse(r->body, r->len, rt->max_body, rt->json_max_depth, &ar, &err)) != CCG_OK) {
		enum problem p = st == CCG_ERR_NONCE_MISMATCH ? P_NONCE_MISMATCH
				 : st == CCG_ERR_TOO_LARGE && strcmp(err.where, "body") == 0 &&
						 strstr(err.detail, "nested") != NULL
					 ? P_TOO_DEEP
					 : P_MALFORMED;

		return send_problem(c, r, p, &err, NULL);
	}
	ccg_hex_encode(ar.evidence_sha256, sizeof(ar.evidence_sha256), r->evidence_sha256);
	/* the nonce is used up before appraisal: of concurrent uses, on any replica, one goes on */
	st = ccg_store_nonce_consume(r->d->store, ar.nonce, VD_NONCE_LEN, now_s(), &err);
	if (st != CCG_OK) {
		vd_attest_request_cleanup(&ar);
		return send_problem(c, r,
				    st == CCG_ERR_NONCE_UNKNOWN   ? P_NONCE_UNKNOWN
				    : st == CCG_ERR_NONCE_EXPIRED ? P_NONCE_EXPIRED
								  : P_STORE,
				    &err, NULL);
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	st = vd_appraise(rt->appraiser, r->d->key, &ar, now_s(), rt->token_ttl, &v, &err);
	vd_attest_request_cleanup(&ar);
	if (st != CCG_OK)
		return send_problem(c, r, P_INTERNAL, &err, NULL);
	vd_metrics_appraisal(&r->d->metrics, since(&t0), (int)v.status);
	name = ccg_ear_status_name(v.status);
	r->ear_status = name;
	snprintf(r->detail, sizeof(r->detail), "%.255s", v.detail);
	o = json_object();
	json_object_set_new(o, "token", json_string(v.jws));
	json_object_set_new(o, "status", json_string(name != NULL ? name : "none"));
	if (v.detail[0] != '\0')
		json_object_set_new(o, "failed", json_string(v.detail));
	vd_verdict_cleanup(&v);
	ret = send_json(c, r, 200, o);
	return ret;
}

/*
 * NVIDIA's request carries the client's own nonce (NRAS issues none): the
 * answer binds it in every token's eat_nonce; there is nothing to consume.
 */
static enum MHD_Result h_nras(struct MHD_Connection *c, struct req *r, struct vd_runtime *rt)
{
	struct ccg_nras_config cfg;
	struct ccg_error err;
	char issuer[128], *out = NULL;
	bool passed = false;
	enum ccg_status st;

	ccg_error_clear(&err);
	if ((st = vd_json_depth_check(r->body, r->len, rt->json_max_depth, &err)) != CCG_OK)
		return send_problem(c, r, P_TOO_DEEP, &err, NULL);
	if (rt->public_url != NULL)
		snprintf(issuer, sizeof(issuer), "%s", rt->public_url);
	else
		snprintf(issuer, sizeof(issuer), "%s://127.0.0.1:%d", r->d->cfg.tls_cert != NULL ? "https" : "http",
			 r->d->bound_port);
	memset(&cfg, 0, sizeof(cfg));
	cfg.gpu = vd_appraiser_gpu(rt->appraiser);
	cfg.key = r->d->key;
	cfg.issuer = issuer;
	cfg.ttl = (int64_t)rt->token_ttl;
	st = ccg_nras_handle(&cfg, r->body, r->len, now_s(), &out, &passed, &err);
	if (st != CCG_OK)
		/* the malformed-input group (1xx): the request's fault */
		return send_problem(c, r, (int)st >= 100 && (int)st < 200 ? P_MALFORMED : P_INTERNAL, &err, NULL);
	r->ear_status = passed ? "affirming" : "contraindicated";
	return send_body(c, r, 200, "application/json", out, NULL);
}

static enum MHD_Result h_jwks(struct MHD_Connection *c, struct req *r)
{
	return send_json(c, r, 200, ccg_ear_key_jwks(r->d->key));
}

static enum MHD_Result h_readyz(struct MHD_Connection *c, struct req *r)
{
	uint64_t n = 0;
	struct ccg_error err;
	json_t *o;

	ccg_error_clear(&err);
	if (atomic_load(&r->d->draining))
		return send_problem(c, r, P_NOT_READY, NULL, "draining");
	if (ccg_store_nonce_count(r->d->store, now_s(), &n, &err) != CCG_OK)
		return send_problem(c, r, P_NOT_READY, &err, NULL);
	o = json_object();
	json_object_set_new(o, "status", json_string("ready"));
	json_object_set_new(o, "store", json_string(ccg_store_backend(r->d->store)));
	return send_json(c, r, 200, o);
}

static enum MHD_Result h_metrics(struct MHD_Connection *c, struct req *r)
{
	uint64_t calls = 0, n = 0;
	double secs = 0;
	char *text;
	int64_t nonces = ccg_store_nonce_count(r->d->store, now_s(), &n, NULL) == CCG_OK ? (int64_t)n : -1;

	ccg_store_stats(r->d->store, &calls, &secs);
	/* a scrape is counted when answered: it sees the requests before it, not itself */
	if ((text = vd_metrics_render(&r->d->metrics, calls, secs, nonces)) == NULL)
		return send_problem(c, r, P_INTERNAL, NULL, "rendering metrics");
	return send_body(c, r, 200, "text/plain; version=0.0.4; charset=utf-8", text, NULL);
}

/* ---- the release log (branch merkle): GET handlers over verifier/log.h ---- */

/* a query parameter that must be a decimal integer in [0, CCG_MERKLE_MAX_SIZE] */
static bool log_arg(struct MHD_Connection *c, const char *name, uint64_t *out, struct ccg_error *err)
{
	const char *v = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, name);
	uint64_t x = 0;
	size_t i;

	for (i = 0; v != NULL && v[i] >= '0' && v[i] <= '9' && i < 19; i++)
		x = x * 10 + (uint64_t)(v[i] - '0');
	if (v == NULL || i == 0 || v[i] != '\0' || x > CCG_MERKLE_MAX_SIZE) {
		ccg_error_set(err, CCG_ERR_INVALID_ARG, name, "a decimal size or index is required");
		return false;
	}
	*out = x;
	return true;
}

static enum MHD_Result log_answer(struct MHD_Connection *c, struct req *r, enum ccg_status st, char *body,
				  const struct ccg_error *err)
{
	if (st == CCG_OK)
		return send_body(c, r, 200, "application/json", body, NULL);
	free(body);
	switch (st) {
	case CCG_ERR_INVALID_ARG:
	case CCG_ERR_MALFORMED:
	case CCG_ERR_ENCODING: return send_problem(c, r, P_MALFORMED, err, NULL);
	case CCG_ERR_NOT_FOUND: return send_problem(c, r, P_NOT_FOUND, err, NULL);
	case CCG_ERR_STORE:
	case CCG_ERR_STORE_CONFLICT: return send_problem(c, r, P_STORE, err, NULL);
	default: return send_problem(c, r, P_INTERNAL, err, NULL);
	}
}

static enum MHD_Result h_log(struct MHD_Connection *c, struct req *r)
{
	struct ccg_error err;
	uint64_t a = 0, b = 0;
	uint8_t hash[CCG_MERKLE_HASH_LEN];
	char *body = NULL;
	enum ccg_status st = CCG_ERR_INVALID_ARG;

	ccg_error_clear(&err);
	switch (r->route) {
	case R_LOG_STH: st = ccg_log_http_sth(r->d->store, r->d->key, now_s() * 1000, &body, &err); break;
	case R_LOG_ENTRIES:
		if (log_arg(c, "start", &a, &err) && log_arg(c, "end", &b, &err))
			st = ccg_log_http_entries(r->d->store, a, b, &body, &err);
		break;
	case R_LOG_PROOF: {
		const char *h = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "leaf_hash");

		if (!log_arg(c, "tree_size", &b, &err))
			break;
		if (h != NULL) {
			if (ccg_hex_decode_fixed(h, strlen(h), hash, sizeof(hash)) != CCG_OK)
				ccg_error_set(&err, CCG_ERR_INVALID_ARG, "leaf_hash", "64 hex digits are required");
			else
				st = ccg_log_http_proof(r->d->store, 0, hash, b, &body, &err);
		} else if (log_arg(c, "leaf_index", &a, &err)) {
			st = ccg_log_http_proof(r->d->store, a, NULL, b, &body, &err);
		}
		break;
	}
	case R_LOG_CONSISTENCY:
		if (log_arg(c, "first", &a, &err) && log_arg(c, "second", &b, &err))
			st = ccg_log_http_consistency(r->d->store, a, b, &body, &err);
		break;
	default: break;
	}
	return log_answer(c, r, st, body, &err);
}

/* ---- secret release (branch release): verifier/release_routes.c decides, this sends ---- */

static enum MHD_Result h_release_route(struct MHD_Connection *c, struct req *r, struct vd_runtime *rt)
{
	static const enum vd_release_route map[R_COUNT] = {
		[R_CONTRACTS] = VD_RR_CONTRACTS, [R_SECRET] = VD_RR_SECRET,   [R_SUSPEND] = VD_RR_SUSPEND,
		[R_RESUME] = VD_RR_RESUME,       [R_RELEASE] = VD_RR_RELEASE, [R_CONTRACT_HELD] = VD_RR_CONTRACT,
	};
	struct vd_release_in in = {
		.route = map[r->route],
		.method = routes[r->route].method,
		.path = r->path,
		.contract = r->contract[0] != '\0' ? r->contract : NULL,
		.secret = r->secret[0] != '\0' ? r->secret : NULL,
		.statement = MHD_lookup_connection_value(c, MHD_HEADER_KIND, VD_STATEMENT_HEADER),
		.body = r->body != NULL ? r->body : (const uint8_t *)"",
		.len = r->len,
		.max_depth = rt->json_max_depth,
		.now = now_s(),
	};
	struct vd_reply out;
	char *s;

	vd_release_handle(r->d, &in, &out);
	if (out.problem) {
		r->problem = out.type;
		snprintf(r->detail, sizeof(r->detail), "%s", out.detail);
	}
	s = json_dumps(out.body, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(out.body);
	if (s == NULL)
		return MHD_NO;
	return send_body(c, r, out.status, out.problem ? "application/problem+json" : "application/json", s, NULL);
}

/*
 * url matches the route's path, whose "{name}" segments each match one
 * non-empty segment (kept in r->contract / r->secret, at most
 * CCG_SECRET_MAX_NAME bytes).
 */
static bool route_match(const char *pattern, const char *url, struct req *r)
{
	r->contract[0] = r->secret[0] = '\0';
	while (*pattern != '\0') {
		if (*pattern == '{') {
			const char *close = strchr(pattern, '}'), *end = strchr(url, '/');
			size_t n = end != NULL ? (size_t)(end - url) : strlen(url);
			char *dst = strncmp(pattern, "{secret}", 8) == 0 ? r->secret : r->contract;

			if (close == NULL || n == 0 || n > CCG_SECRET_MAX_NAME)
				return false;
			memcpy(dst, url, n);
			dst[n] = '\0';
			pattern = close + 1;
			url += n;
			continue;
		}
		if (*pattern++ != *url++)
			return false;
	}
	return *url == '\0';
}

/* ---- the verifier's own evidence (branch vtee): its TPM quotes a binding of its keys to the party's nonce ---- */

static pthread_mutex_t tpm_lock = PTHREAD_MUTEX_INITIALIZER; /* one quote at a time on the TPM's connection */

static enum MHD_Result h_vevidence(struct MHD_Connection *c, struct req *r)
{
	const char *hex = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "nonce");
	uint8_t nonce[CCG_VEVIDENCE_NONCE_LEN];
	json_t *jwks, *doc = NULL;
	struct ccg_error err;
	enum ccg_status st;

	ccg_error_clear(&err);
	if (r->d->cfg.tpm_tcti == NULL)
		return send_problem(c, r, P_NO_TPM, NULL, "tpm_tcti: no TPM is configured (ccgpu-verifierd(8))");
	if (hex == NULL || ccg_hex_decode_fixed(hex, strlen(hex), nonce, sizeof(nonce)) != CCG_OK) {
		ccg_error_set(&err, CCG_ERR_INVALID_ARG, "nonce", "64 hex digits (32 bytes) are required");
		return send_problem(c, r, P_MALFORMED, &err, NULL);
	}
	if ((jwks = ccg_ear_key_jwks(r->d->key)) == NULL)
		return send_problem(c, r, P_INTERNAL, NULL, "jwks");
	pthread_mutex_lock(&tpm_lock);
	st = ccg_vevidence_make(nonce, json_array_get(json_object_get(jwks, "keys"), 0), vd_upload_jwk(r->d),
				r->d->cfg.tpm_tcti, r->d->cfg.tpm_ak_handle, &doc, &err);
	pthread_mutex_unlock(&tpm_lock);
	json_decref(jwks);
	if (st != CCG_OK)
		return send_problem(c, r, strncmp(err.where, "vtpm.", 5) == 0 ? P_TPM : P_INTERNAL, &err, NULL);
	return send_json(c, r, 200, doc);
}

static enum MHD_Result dispatch(struct MHD_Connection *c, struct req *r)
{
	struct vd_runtime *rt;
	enum MHD_Result ret;

	pthread_rwlock_rdlock(&r->d->lock);
	rt = r->d->rt;
	switch (r->route) {
	case R_CHALLENGE: ret = h_challenge(c, r, rt); break;
	case R_ATTEST: ret = h_attest(c, r, rt); break;
	case R_JWKS: ret = h_jwks(c, r); break;
	case R_HEALTHZ: ret = send_json(c, r, 200, json_pack("{s:s}", "status", "ok")); break;
	case R_READYZ: ret = h_readyz(c, r); break;
	case R_METRICS: ret = h_metrics(c, r); break;
	case R_NRAS4:
	case R_NRAS3: ret = h_nras(c, r, rt); break;
	case R_LOG_STH:
	case R_LOG_ENTRIES:
	case R_LOG_PROOF:
	case R_LOG_CONSISTENCY: ret = h_log(c, r); break;
	case R_CONTRACTS:
	case R_SECRET:
	case R_SUSPEND:
	case R_RESUME:
	case R_RELEASE:
	case R_CONTRACT_HELD: ret = h_release_route(c, r, rt); break;
	case R_VEVIDENCE: ret = h_vevidence(c, r); break;
	default: ret = send_problem(c, r, P_INTERNAL, NULL, "route"); break;
	}
	pthread_rwlock_unlock(&r->d->lock);
	return ret;
}

/* "application/json", optionally with parameters (charset=utf-8) */
static bool is_json_type(const char *ct)
{
	size_t n = strlen("application/json");

	if (ct == NULL || strncasecmp(ct, "application/json", n) != 0)
		return false;
	return ct[n] == '\0' || ct[n] == ';' || ct[n] == ' ';
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url, const char *method,
				  const char *version, const char *upload_data, size_t *upload_data_size,
				  void **con_cls)
{
	struct vd *d = cls;
	struct req *r = *con_cls;

	(void)version;
	if (r == NULL) {
		const char *cl;
		int i;

		if ((r = calloc(1, sizeof(*r))) == NULL)
			return MHD_NO;
		r->d = d;
		snprintf(r->method, sizeof(r->method), "%s", method);
		clock_gettime(CLOCK_MONOTONIC, &r->t0);
		*con_cls = r;
		for (i = 0; i < R_COUNT; i++)
			if (strcmp(url, routes[i].path) == 0 ||
			    (strchr(routes[i].path, '{') != NULL && route_match(routes[i].path, url, r)))
				break;
		if (i < R_COUNT && (r->path = strdup(url)) == NULL)
			return MHD_NO;
		r->route = i;
		pthread_rwlock_rdlock(&d->lock);
		r->max = d->rt->max_body;
		pthread_rwlock_unlock(&d->lock);
		/* refusals decided from the headers are answered before any body is read */
		if (i == R_COUNT)
			return send_problem(c, r, P_NOT_FOUND, NULL, "no such route");
		if (strcmp(method, routes[i].method) != 0) {
			char allowed[64];

			snprintf(allowed, sizeof(allowed), "%s only (Allow: %s)", routes[i].method, routes[i].method);
			return send_problem(c, r, P_METHOD, NULL, allowed);
		}
		if (routes[i].body) {
			const char *ct = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_TYPE);

			cl = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
			if (cl != NULL && strtoull(cl, NULL, 10) > r->max)
				return send_problem(c, r, P_TOO_LARGE, NULL, "Content-Length over max_body");
			/* a challenge may come without a body (and then without a type) */
			if (!is_json_type(ct) && !(i == R_CHALLENGE && (cl == NULL || strcmp(cl, "0") == 0)))
				return send_problem(c, r, P_MEDIA_TYPE, NULL, "Content-Type: application/json");
		}
		return MHD_YES;
	}
	if (r->answered) {
		*upload_data_size = 0;
		return MHD_YES;
	}
	if (*upload_data_size > 0) {
		size_t n = *upload_data_size;

		if (!r->too_big && r->len + n > r->max) {
			r->too_big = true;
			free(r->body);
			r->body = NULL;
		}
		if (!r->too_big) {
			if (r->len + n > r->cap) {
				size_t cap = r->cap == 0 ? 4096 : r->cap;
				uint8_t *b;

				while (cap < r->len + n)
					cap *= 2;
				if (cap > r->max)
					cap = r->max;
				if ((b = realloc(r->body, cap)) == NULL)
					return MHD_NO;
				r->body = b;
				r->cap = cap;
			}
			memcpy(r->body + r->len, upload_data, n);
			r->len += n;
		}
		*upload_data_size = 0;
		return MHD_YES;
	}
	if (r->too_big)
		return send_problem(c, r, P_TOO_LARGE, NULL, "body over max_body");
	return dispatch(c, r);
}

static void on_completed(void *cls, struct MHD_Connection *c, void **con_cls, enum MHD_RequestTerminationCode toe)
{
	struct req *r = *con_cls;
	const union MHD_ConnectionInfo *ci;
	int status = 0;

	(void)cls;
	(void)toe;
	if (r == NULL)
		return;
	ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_HTTP_STATUS);
	if (ci != NULL)
		status = (int)ci->http_status;
	log_request(r, r->method, NULL, r->answered ? status : 0);
	free(r->body);
	free(r->path);
	free(r);
	*con_cls = NULL;
}

/* ---- listening ---- */

static enum ccg_status bind_unix(const char *path, int *out, struct ccg_error *err)
{
	struct sockaddr_un a = {.sun_family = AF_UNIX};
	int fd;

	if (strlen(path) >= sizeof(a.sun_path))
		return ccg_error_set(err, CCG_ERR_INVALID_ARG, "listen", "UNIX socket path too long");
	snprintf(a.sun_path, sizeof(a.sun_path), "%s", path);
	unlink(path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof(a)) != 0 || listen(fd, 512) != 0) {
		int e = errno;

		if (fd >= 0)
			close(fd);
		return ccg_error_set(err, CCG_ERR_IO, "listen", "%s: %s", path, strerror(e));
	}
	chmod(path, 0660);
	*out = fd;
	return CCG_OK;
}

static enum ccg_status bind_tcp(const char *spec, int *out, int *out_port, struct ccg_error *err)
{
	char host[256];
	const char *colon = strrchr(spec, ':'), *port;
	struct addrinfo hints = {.ai_socktype = SOCK_STREAM, .ai_flags = AI_PASSIVE | AI_NUMERICSERV};
	struct addrinfo *ai = NULL;
	size_t hl;
	int fd = -1, one = 1, rc;
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);

	hl = (size_t)(colon - spec);
	if (hl == 0 || hl >= sizeof(host))
		return ccg_error_set(err, CCG_ERR_INVALID_ARG, "listen", "HOST:PORT");
	memcpy(host, spec, hl);
	host[hl] = '\0';
	if (host[0] == '[' && host[hl - 1] == ']') {
		memmove(host, host + 1, hl - 2);
		host[hl - 2] = '\0';
	}
	port = colon + 1;
	if ((rc = getaddrinfo(host, port, &hints, &ai)) != 0)
		return ccg_error_set(err, CCG_ERR_INVALID_ARG, "listen", "%s: %s", spec, gai_strerror(rc));
	fd = socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) != 0 ||
	    bind(fd, ai->ai_addr, ai->ai_addrlen) != 0 || listen(fd, 512) != 0 ||
	    getsockname(fd, (struct sockaddr *)&ss, &sl) != 0) {
		int e = errno;

		if (fd >= 0)
			close(fd);
		freeaddrinfo(ai);
		return ccg_error_set(err, CCG_ERR_IO, "listen", "%s: %s", spec, strerror(e));
	}
	freeaddrinfo(ai);
	*out_port = ss.ss_family == AF_INET6 ? ntohs(((struct sockaddr_in6 *)&ss)->sin6_port)
					     : ntohs(((struct sockaddr_in *)&ss)->sin_port);
	*out = fd;
	return CCG_OK;
}

static char *tls_key_pem, *tls_cert_pem;

enum ccg_status vd_server_start(struct vd *d, struct ccg_error *err)
{
	const struct vd_config *c = &d->cfg;
	unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_USE_ITC | MHD_USE_ERROR_LOG;
	struct MHD_OptionItem opts[16];
	size_t n = 0;
	enum ccg_status st;
	size_t len;

	/* libcurl's global state before the server's threads (appraisals fetch OCSP and RIMs) */
	if ((st = ccg_http_global_init()) != CCG_OK)
		return ccg_error_set(err, st, "http", "curl_global_init failed");
	vd_metrics_init(&d->metrics, route_labels, R_COUNT);
	if (strncmp(c->listen, "unix:", 5) == 0)
		st = bind_unix(c->listen + 5, &d->listen_fd, err);
	else
		st = bind_tcp(c->listen, &d->listen_fd, &d->bound_port, err);
	if (st != CCG_OK)
		return st;
	if (c->tls_cert != NULL) {
		if (MHD_is_feature_supported(MHD_FEATURE_TLS) != MHD_YES)
			return ccg_error_set(err, CCG_ERR_UNSUPPORTED, "tls_cert", "this libmicrohttpd has no TLS");
		if ((st = ccg_file_read(c->tls_cert, TLS_FILE_MAX, (uint8_t **)&tls_cert_pem, &len, err)) != CCG_OK ||
		    (st = ccg_file_read(c->tls_key, TLS_FILE_MAX, (uint8_t **)&tls_key_pem, &len, err)) != CCG_OK)
			return ccg_error_set(err, st, "tls_key", "reading the certificate and key");
		flags |= MHD_USE_TLS;
		opts[n++] = (struct MHD_OptionItem){MHD_OPTION_HTTPS_MEM_CERT, 0, tls_cert_pem};
		opts[n++] = (struct MHD_OptionItem){MHD_OPTION_HTTPS_MEM_KEY, 0, tls_key_pem};
	}
	opts[n++] = (struct MHD_OptionItem){MHD_OPTION_LISTEN_SOCKET, d->listen_fd, NULL};
	opts[n++] = (struct MHD_OptionItem){MHD_OPTION_THREAD_POOL_SIZE, (intptr_t)c->threads, NULL};
	opts[n++] = (struct MHD_OptionItem){MHD_OPTION_CONNECTION_LIMIT, (intptr_t)c->max_connections, NULL};
	opts[n++] = (struct MHD_OptionItem){MHD_OPTION_CONNECTION_TIMEOUT, (intptr_t)c->connection_timeout, NULL};
	/* the per-connection memory holds the request line and headers: its bound is the header bound */
	opts[n++] = (struct MHD_OptionItem){MHD_OPTION_CONNECTION_MEMORY_LIMIT, (intptr_t)c->max_header, NULL};
	opts[n++] = (struct MHD_OptionItem){MHD_OPTION_NOTIFY_COMPLETED, (intptr_t)on_completed, NULL};
	opts[n++] = (struct MHD_OptionItem){MHD_OPTION_END, 0, NULL};
	d->mhd = MHD_start_daemon(flags, 0, NULL, NULL, on_request, d, MHD_OPTION_ARRAY, opts, MHD_OPTION_END);
	if (d->mhd == NULL)
		return ccg_error_set(err, CCG_ERR_IO, "listen", "libmicrohttpd did not start on %s", c->listen);
	return CCG_OK;
}

void vd_server_drain(struct vd *d, unsigned deadline_s)
{
	struct timespec t0, nap = {0, 20 * 1000 * 1000};
	int fd;

	atomic_store(&d->draining, true);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	fd = MHD_quiesce_daemon(d->mhd);
	if (fd >= 0)
		close(fd);
	/* open connections finish what they are doing (idle keep-alive ones time out or are cut at the deadline) */
	while (since(&t0) < (double)deadline_s) {
		const union MHD_DaemonInfo *i = MHD_get_daemon_info(d->mhd, MHD_DAEMON_INFO_CURRENT_CONNECTIONS);

		if (i == NULL || i->num_connections == 0)
			break;
		nanosleep(&nap, NULL);
	}
	MHD_stop_daemon(d->mhd);
	d->mhd = NULL;
	vd_metrics_cleanup(&d->metrics);
	free(tls_cert_pem);
	free(tls_key_pem);
	tls_cert_pem = tls_key_pem = NULL;
}

/* ---- the reloadable part ---- */

enum ccg_status vd_runtime_new(const struct vd_config *c, struct vd_runtime **out, struct ccg_error *err)
{
	struct vd_runtime *rt = calloc(1, sizeof(*rt));
	enum ccg_status st;

	*out = NULL;
	if (rt == NULL)
		return CCG_ERR_NOMEM;
	if ((st = vd_appraiser_new(c, &rt->appraiser, err)) != CCG_OK) {
		free(rt);
		return st;
	}
	rt->max_body = c->max_body;
	rt->json_max_depth = c->json_max_depth;
	rt->nonce_ttl = c->nonce_ttl;
	rt->token_ttl = c->token_ttl;
	rt->public_url = c->public_url != NULL ? strdup(c->public_url) : NULL;
	*out = rt;
	return CCG_OK;
}

void vd_runtime_free(struct vd_runtime *rt)
{
	if (rt == NULL)
		return;
	vd_appraiser_free(rt->appraiser);
	free(rt->public_url);
	free(rt);
}
