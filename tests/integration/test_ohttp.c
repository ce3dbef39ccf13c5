/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Prompt privacy end to end over loopback HTTP: an inference server (the
 * OHTTP gateway API of include/ccgpu/ohttp.h behind libmicrohttpd, serving
 * its key configuration and an EAR token signed by token/ear.c's signer
 * that binds its key), a relay run by "the operator" (libmicrohttpd that
 * forwards the bytes with libcurl and records everything it sees), and the
 * client API (include/ccgpu/client.h). The relay's capture holds no
 * plaintext canary of the prompt or the answer; a token whose cnf.jwk is not
 * the served key, a policy the claims fail, a verdict other than affirming,
 * a foreign JWKS, an expired token, and a relay that alters or replays
 * answers are each refused with the check named.
 */
#include <stdarg.h>
#include <setjmp.h>
#include <stddef.h>
#include <cmocka.h>
#include <arpa/inet.h>
#include <jansson.h>
#include <microhttpd.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ccgpu/client.h"
#include "ccgpu/ohttp.h"
#include "common/crypto.h"
#include "common/file.h"
#include "common/http.h"
#include "ohttp/ohttp.h"
#include "token/ear.h"

#define PROMPT_CANARY "canary-prompt-5f2b9c0e41d7"
#define HEADER_CANARY "canary-header-91aa03c7e2"
#define PATH_CANARY "canary-path-7c33de"
#define ANSWER_CANARY "canary-answer-0b8e6a21f9"
#define T0 1760000000
#define MAX_BODY (1024 * 1024)

static const char client_policy[] = "policy \"client\" version 1\n"
				    "rule tee \"a known CPU TEE, not debuggable\" {\n"
				    "  ccgpu-cpu-tee == \"snp\" and not snp-debug-allowed\n"
				    "}\n"
				    "rule gpus \"every GPU genuine and measured\" {\n"
				    "  every gpu (ccgpu-result and measres == \"success\")\n"
				    "}\n";
/* passes everything above and fails only its rule "bound" (the claims say version 1) */
static const char failing_policy[] = "policy \"strict\" version 1\n"
				     "rule tee \"a known CPU TEE\" { ccgpu-cpu-tee == \"snp\" }\n"
				     "rule bound \"binding version 2\" { ccgpu-composite.version == 2 }\n";

/* ---- the inference server: gateway, key configuration, token ---- */

static struct ccg_ohttp_gateway *gw;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static char *token;           /* what GET /ccgpu/attestation serves (under lock) */
static atomic_int gateway_requests;
static uint8_t gw_sk[32];            /* the gateway's private key, also held here to forge answers */
static atomic_int server_mode;       /* 0 honest; 1 keys and token under wrong media types;
					2 the gateway answers with a Binary HTTP request */

/* ---- the operator's relay: forwards, and records what it sees ---- */

static char gateway_url[128];
static uint8_t *capture;      /* every header and body the relay saw (under lock) */
static size_t capture_len;
static atomic_int relay_mode; /* 0 forward, 1 alter the answer, 2 replay the previous answer,
				 3 send it as another media type, 4 with status 502 */
static uint8_t *last_answer;
static size_t last_answer_len;

static struct MHD_Daemon *server_d, *relay_d;
static int server_port, relay_port;
static struct ccg_ear_key *ear_key, *other_key;
static char tmpdir[64];

static void record(const void *p, size_t n)
{
	uint8_t *c;

	pthread_mutex_lock(&lock);
	c = realloc(capture, capture_len + n + 1);
	if (c != NULL) {
		capture = c;
		memcpy(capture + capture_len, p, n);
		capture_len += n;
	}
	pthread_mutex_unlock(&lock);
}

static enum MHD_Result record_header(void *cls, enum MHD_ValueKind kind, const char *key, const char *value)
{
	(void)cls;
	(void)kind;
	record(key, strlen(key));
	record(": ", 2);
	if (value != NULL)
		record(value, strlen(value));
	record("\n", 1);
	return MHD_YES;
}

static enum MHD_Result reply(struct MHD_Connection *c, unsigned status, const void *body, size_t len,
			     const char *type)
{
	struct MHD_Response *r = MHD_create_response_from_buffer(len, (void *)body, MHD_RESPMEM_MUST_COPY);
	enum MHD_Result ret;

	if (r == NULL)
		return MHD_NO;
	if (type != NULL)
		MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type);
	ret = MHD_queue_response(c, status, r);
	MHD_destroy_response(r);
	return ret;
}

struct body {
	uint8_t *data;
	size_t len;
	bool too_large;
};

/* collects a POST body over the calls libmicrohttpd makes; true once it is whole */
static bool collect(void **con_cls, const char *upload, size_t *upload_len, struct body **out)
{
	struct body *b = *con_cls;

	if (b == NULL) {
		*con_cls = calloc(1, sizeof(*b));
		return false;
	}
	if (*upload_len > 0) {
		if (b->len + *upload_len > MAX_BODY) {
			b->too_large = true;
		} else {
			uint8_t *d = realloc(b->data, b->len + *upload_len);

			if (d != NULL) {
				memcpy(d + b->len, upload, *upload_len);
				b->data = d;
				b->len += *upload_len;
			}
		}
		*upload_len = 0;
		return false;
	}
	*out = b;
	return true;
}

static void body_done(void *cls, struct MHD_Connection *c, void **con_cls, enum MHD_RequestTerminationCode toe)
{
	struct body *b = *con_cls;

	(void)cls;
	(void)c;
	(void)toe;
	if (b != NULL) {
		free(b->data);
		free(b);
		*con_cls = NULL;
	}
}

/* the inference app: answers "echo:<content> <answer canary>" to each decapsulated request */
static enum MHD_Result app_answer(struct MHD_Connection *c, const struct body *b)
{
	struct ccg_ohttp_exchange *ex = NULL;
	struct ccg_bhttp_msg *resp = NULL;
	const struct ccg_bhttp_msg *req;
	const uint8_t *content;
	uint8_t *out = NULL, text[4096];
	size_t cl = 0, n = 0, tl;
	enum MHD_Result ret;

	atomic_fetch_add(&gateway_requests, 1);
	if (atomic_load(&server_mode) == 2) {
		/* a gateway that seals a request where the response belongs (the internal OHTTP layer) */
		EVP_PKEY *sk = EVP_PKEY_new_raw_private_key(EVP_PKEY_X25519, NULL, gw_sk, sizeof(gw_sk));
		struct ccg_ohttp_ctx *ctx = NULL;
		uint8_t *pt = NULL;
		size_t pl = 0;
		static const uint8_t a_request[] = {0x00, 0x03, 'G', 'E', 'T', 0x00, 0x00, 0x01, '/'};

		if (sk != NULL &&
		    ccg_ohttp_request_decapsulate(7, CCG_HPKE_X25519_SHA256_AES128GCM, sk, b->data, b->len, &pt, &pl, &ctx,
						  NULL) == CCG_OK &&
		    ccg_ohttp_response_encapsulate(ctx, a_request, sizeof(a_request), &out, &n, NULL) == CCG_OK)
			ret = reply(c, 200, out, n, "message/ohttp-res");
		else
			ret = reply(c, 500, "", 0, NULL);
		EVP_PKEY_free(sk);
		ccg_ohttp_free_plaintext(pt, pl);
		ccg_ohttp_ctx_free(ctx);
		free(out);
		return ret;
	}
	if (ccg_ohttp_gateway_decapsulate(gw, b->data, b->len, &ex, NULL) != CCG_OK)
		return reply(c, 400, "bad request", 11, "text/plain");
	req = ccg_ohttp_exchange_request(ex);
	content = ccg_bhttp_msg_content(req, &cl);
	tl = (size_t)snprintf((char *)text, sizeof(text), "echo:%.*s %s %s", (int)cl, (const char *)content,
			      ccg_bhttp_msg_path(req), ANSWER_CANARY);
	if (ccg_bhttp_response_new(200, &resp, NULL) != CCG_OK ||
	    ccg_bhttp_msg_add_field(resp, CCG_BHTTP_HEADERS, "content-type", (const uint8_t *)"text/plain", 10, NULL) !=
		    CCG_OK ||
	    ccg_bhttp_msg_set_content(resp, text, tl, NULL) != CCG_OK ||
	    ccg_ohttp_exchange_respond(ex, resp, &out, &n, NULL) != CCG_OK)
		ret = reply(c, 500, "", 0, NULL);
	else
		ret = reply(c, 200, out, n, "message/ohttp-res");
	free(out);
	ccg_bhttp_msg_free(resp);
	ccg_ohttp_exchange_free(ex);
	return ret;
}

static enum MHD_Result server_handler(void *cls, struct MHD_Connection *c, const char *url, const char *method,
				      const char *version, const char *upload, size_t *upload_len, void **con_cls)
{
	(void)cls;
	(void)version;
	if (strcmp(method, "GET") == 0 && strcmp(url, CCG_CLIENT_ROUTE_KEYS) == 0) {
		uint8_t *keys = NULL;
		size_t n = 0;
		enum MHD_Result ret;

		if (ccg_ohttp_gateway_key_config(gw, &keys, &n, NULL) != CCG_OK)
			return reply(c, 500, "", 0, NULL);
		ret = reply(c, 200, keys, n, atomic_load(&server_mode) == 1 ? "application/octet-stream" : "application/ohttp-keys");
		free(keys);
		return ret;
	}
	if (strcmp(method, "GET") == 0 && strcmp(url, CCG_CLIENT_ROUTE_ATTESTATION) == 0) {
		char *t;
		enum MHD_Result ret;

		pthread_mutex_lock(&lock);
		t = token != NULL ? strdup(token) : NULL;
		pthread_mutex_unlock(&lock);
		ret = t != NULL ? reply(c, 200, t, strlen(t), "application/jwt") : reply(c, 404, "", 0, NULL);
		free(t);
		return ret;
	}
	if (strcmp(method, "GET") == 0 && strcmp(url, "/.well-known/jwks.json") == 0) {
		/* this server also plays the verifier's JWKS route */
		json_t *j = ccg_ear_key_jwks(ear_key);
		char *t = j != NULL ? json_dumps(j, 0) : NULL;
		enum MHD_Result ret = t != NULL ? reply(c, 200, t, strlen(t), "application/json") : reply(c, 500, "", 0, NULL);

		free(t);
		json_decref(j);
		return ret;
	}
	if (strcmp(method, "POST") == 0 && strcmp(url, CCG_CLIENT_ROUTE_GATEWAY) == 0) {
		struct body *b = NULL;

		if (!collect(con_cls, upload, upload_len, &b))
			return *con_cls != NULL ? MHD_YES : MHD_NO;
		if (b->too_large)
			return reply(c, 413, "", 0, NULL);
		return app_answer(c, b);
	}
	return reply(c, 404, "", 0, NULL);
}

static enum MHD_Result relay_handler(void *cls, struct MHD_Connection *c, const char *url, const char *method,
				     const char *version, const char *upload, size_t *upload_len, void **con_cls)
{
	struct ccg_http_request req = {.url = gateway_url, .method = "POST", .content_type = "message/ohttp-req",
				       .capture = {"content-type"}};
	struct ccg_http_response resp = {0};
	struct body *b = NULL;
	enum MHD_Result ret;
	int mode;

	(void)cls;
	(void)version;
	if (strcmp(method, "POST") != 0 || strcmp(url, "/relay") != 0)
		return reply(c, 404, "", 0, NULL);
	if (!collect(con_cls, upload, upload_len, &b))
		return *con_cls != NULL ? MHD_YES : MHD_NO;
	if (b->too_large)
		return reply(c, 413, "", 0, NULL);
	/* what the operator sees: the request line, every header, the body; then the answer */
	record(method, strlen(method));
	record(" ", 1);
	record(url, strlen(url));
	record("\n", 1);
	MHD_get_connection_values(c, MHD_HEADER_KIND, record_header, NULL);
	record(b->data, b->len);
	req.body = b->data;
	req.body_len = b->len;
	if (ccg_http_perform(&req, &resp, NULL) != CCG_OK)
		return reply(c, 502, "", 0, NULL);
	record(resp.body, resp.body_len);
	mode = atomic_load(&relay_mode);
	pthread_mutex_lock(&lock);
	{
		/* keep this genuine answer; in mode 2 send the previous genuine one instead */
		uint8_t *prev = last_answer, *keep = malloc(resp.body_len + 1);
		size_t prev_len = last_answer_len;

		if (keep != NULL)
			memcpy(keep, resp.body, resp.body_len);
		last_answer = keep;
		last_answer_len = resp.body_len;
		if (mode == 1 && resp.body_len > 20) {
			resp.body[20] ^= 0x01;
		} else if (mode == 2 && prev != NULL) {
			memcpy(resp.body, prev, prev_len < resp.body_len ? prev_len : resp.body_len);
			resp.body_len = prev_len < resp.body_len ? prev_len : resp.body_len;
		}
		free(prev);
	}
	pthread_mutex_unlock(&lock);
	if (mode == 4)
		resp.status = 502;
	ret = reply(c, (unsigned)resp.status, resp.body, resp.body_len,
		    mode == 3 || resp.headers[0] == NULL ? "application/octet-stream" : resp.headers[0]);
	ccg_http_response_cleanup(&resp);
	return ret;
}

static struct MHD_Daemon *start(MHD_AccessHandlerCallback h, int *port)
{
	struct sockaddr_in a = {.sin_family = AF_INET};
	const union MHD_DaemonInfo *info;
	struct MHD_Daemon *d;

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD, 0, NULL, NULL, h, NULL, MHD_OPTION_SOCK_ADDR,
			     (struct sockaddr *)&a, MHD_OPTION_NOTIFY_COMPLETED, body_done, NULL,
			     MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)30, MHD_OPTION_END);
	if (d == NULL || (info = MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT)) == NULL)
		return NULL;
	*port = info->port;
	return d;
}

/* ---- tokens ---- */

struct token_opts {
	const struct ccg_ear_key *key;
	const char *jwk;                  /* cnf.jwk text; NULL: none */
	enum ccg_ear_status gpu_status;
};

static char *make_token(const struct token_opts *o)
{
	json_t *cpu = json_pack("{s:s,s:b,s:{s:i,s:s}}", "ccgpu-cpu-tee", "snp", "snp-debug-allowed", 0,
				"ccgpu-composite", "version", 1, "binding",
				"4d1c5e0fa3b0c2d9e8f7a6b5c4d3e2f1a0b9c8d7e6f5a4b3c2d1e0f9a8b7c6d5");
	json_t *gpu = json_pack("{s:b,s:s}", "ccgpu-result", 1, "measres", "success");
	json_t *jwk = o->jwk != NULL ? json_loads(o->jwk, 0, NULL) : NULL;
	struct ccg_ear_submod subs[2] = {{.name = "cpu0", .status = CCG_EAR_AFFIRMING, .claims = cpu},
					 {.name = "GPU-0", .status = o->gpu_status, .claims = gpu}};
	struct ccg_ear_params p = {.verifier_developer = "ccgpu",
				   .verifier_build = "test_ohttp",
				   .policy_id = "test",
				   .iat = T0,
				   .exp = T0 + 3600,
				   .tee_jwk = jwk,
				   .submods = subs,
				   .n_submods = 2};
	char *jws = NULL;

	assert_non_null(cpu);
	assert_non_null(gpu);
	assert_int_equal(ccg_ear_issue(o->key, &p, &jws, NULL, NULL), CCG_OK);
	json_decref(cpu);
	json_decref(gpu);
	json_decref(jwk);
	return jws;
}

static void serve_token(char *t)
{
	pthread_mutex_lock(&lock);
	free(token);
	token = t;
	pthread_mutex_unlock(&lock);
}

static char *gateway_jwk(void)
{
	char *jwk = NULL;

	assert_int_equal(ccg_ohttp_gateway_public_jwk(gw, &jwk, NULL), CCG_OK);
	return jwk;
}

/* a client of the server, through the relay, trusting ear_key's JWKS (or another's) */
static struct ccg_client *client_for(const struct ccg_ear_key *trusted, const char *policy)
{
	struct ccg_client *c = NULL;
	char url[128], *jwks;
	json_t *j = ccg_ear_key_jwks(trusted);

	snprintf(url, sizeof(url), "http://127.0.0.1:%d", server_port);
	assert_int_equal(ccg_client_new(url, &c, NULL), CCG_OK);
	snprintf(url, sizeof(url), "http://127.0.0.1:%d/relay", relay_port);
	assert_int_equal(ccg_client_set_relay(c, url, NULL), CCG_OK);
	jwks = json_dumps(j, 0);
	assert_int_equal(ccg_client_set_jwks(c, jwks, strlen(jwks), NULL), CCG_OK);
	if (policy != NULL)
		assert_int_equal(ccg_client_set_policy(c, policy, strlen(policy), NULL), CCG_OK);
	free(jwks);
	json_decref(j);
	return c;
}

static struct ccg_bhttp_msg *prompt(void)
{
	struct ccg_bhttp_msg *m = NULL;

	assert_int_equal(ccg_bhttp_request_new("POST", "https", "inference.example", "/v1/generate/" PATH_CANARY, &m, NULL),
			 CCG_OK);
	assert_int_equal(ccg_bhttp_msg_add_field(m, CCG_BHTTP_HEADERS, "x-prompt-id", (const uint8_t *)HEADER_CANARY,
						 strlen(HEADER_CANARY), NULL),
			 CCG_OK);
	assert_int_equal(ccg_bhttp_msg_set_content(m, (const uint8_t *)PROMPT_CANARY, strlen(PROMPT_CANARY), NULL), CCG_OK);
	return m;
}

static bool captured(const char *s)
{
	bool found;

	pthread_mutex_lock(&lock);
	found = capture != NULL && memmem(capture, capture_len, s, strlen(s)) != NULL;
	pthread_mutex_unlock(&lock);
	return found;
}

static size_t capture_size(void)
{
	size_t n;

	pthread_mutex_lock(&lock);
	n = capture_len;
	pthread_mutex_unlock(&lock);
	return n;
}

static int setup(void **state)
{
	char path[128];

	(void)state;
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/ccgpu-ohttp-XXXXXX");
	if (mkdtemp(tmpdir) == NULL || ccg_http_global_init() != CCG_OK)
		return -1;
	snprintf(path, sizeof(path), "%s/ear.pem", tmpdir);
	if (ccg_ear_key_load_or_create(path, &ear_key, NULL) != CCG_OK)
		return -1;
	snprintf(path, sizeof(path), "%s/other.pem", tmpdir);
	if (ccg_ear_key_load_or_create(path, &other_key, NULL) != CCG_OK)
		return -1;
	if (ccg_random(gw_sk, sizeof(gw_sk)) != CCG_OK || ccg_ohttp_gateway_new(7, gw_sk, sizeof(gw_sk), &gw, NULL) != CCG_OK)
		return -1;
	if ((server_d = start(server_handler, &server_port)) == NULL || (relay_d = start(relay_handler, &relay_port)) == NULL)
		return -1;
	snprintf(gateway_url, sizeof(gateway_url), "http://127.0.0.1:%d%s", server_port, CCG_CLIENT_ROUTE_GATEWAY);
	return 0;
}

static int teardown(void **state)
{
	char path[128];

	(void)state;
	MHD_stop_daemon(relay_d);
	MHD_stop_daemon(server_d);
	ccg_ohttp_gateway_free(gw);
	ccg_ear_key_free(ear_key);
	ccg_ear_key_free(other_key);
	free(token);
	free(capture);
	free(last_answer);
	snprintf(path, sizeof(path), "%s/ear.pem", tmpdir);
	unlink(path);
	snprintf(path, sizeof(path), "%s/other.pem", tmpdir);
	unlink(path);
	rmdir(tmpdir);
	return 0;
}

/* the whole path: attested, sealed, relayed, answered; the relay saw ciphertext only */
static void test_prompt_through_relay(void **state)
{
	char *jwk = gateway_jwk();
	struct token_opts o = {.key = ear_key, .jwk = jwk, .gpu_status = CCG_EAR_AFFIRMING};
	struct ccg_client *c = client_for(ear_key, client_policy);
	struct ccg_bhttp_msg *req = prompt(), *resp = NULL;
	struct ccg_error err;
	const uint8_t *content;
	size_t cl = 0, before;

	(void)state;
	serve_token(make_token(&o));
	ccg_error_clear(&err);
	assert_int_equal(ccg_client_request(c, req, &resp, &err), CCG_ERR_INVALID_ARG); /* not attested yet */
	assert_null(ccg_client_claims_json(c));
	before = capture_size();
	ccg_error_clear(&err);
	if (ccg_client_attest(c, T0 + 10, &err) != CCG_OK)
		fail_msg("attest: %s: %s", err.where, err.detail);
	assert_non_null(strstr(ccg_client_claims_json(c), "\"affirming\""));
	for (int i = 0; i < 3; i++) {
		ccg_error_clear(&err);
		if (ccg_client_request(c, req, &resp, &err) != CCG_OK)
			fail_msg("request: %s: %s", err.where, err.detail);
		assert_int_equal(ccg_bhttp_msg_status(resp), 200);
		content = ccg_bhttp_msg_content(resp, &cl);
		assert_non_null(memmem(content, cl, "echo:" PROMPT_CANARY, strlen("echo:" PROMPT_CANARY)));
		assert_non_null(memmem(content, cl, PATH_CANARY, strlen(PATH_CANARY)));
		assert_non_null(memmem(content, cl, ANSWER_CANARY, strlen(ANSWER_CANARY)));
		ccg_bhttp_msg_free(resp);
		resp = NULL;
	}
	/* the relay carried three requests and answers and saw none of their plaintext */
	assert_true(capture_size() > before + 3 * (7 + 32 + strlen(PROMPT_CANARY) + 16));
	assert_true(captured("message/ohttp-req"));
	assert_false(captured(PROMPT_CANARY));
	assert_false(captured(HEADER_CANARY));
	assert_false(captured(PATH_CANARY));
	assert_false(captured(ANSWER_CANARY));
	assert_false(captured("inference.example"));
	assert_false(captured("echo:"));
	ccg_bhttp_msg_free(req);
	ccg_client_free(c);
	free(jwk);
}

/* a relay that alters an answer, or replays an earlier one: the client opens neither */
static void test_relay_tampering(void **state)
{
	char *jwk = gateway_jwk();
	struct token_opts o = {.key = ear_key, .jwk = jwk, .gpu_status = CCG_EAR_AFFIRMING};
	struct ccg_client *c = client_for(ear_key, NULL);
	struct ccg_bhttp_msg *req = prompt(), *resp = NULL;
	struct ccg_error err;

	(void)state;
	serve_token(make_token(&o));
	assert_int_equal(ccg_client_attest(c, T0 + 10, NULL), CCG_OK);
	atomic_store(&relay_mode, 0);
	assert_int_equal(ccg_client_request(c, req, &resp, NULL), CCG_OK);
	ccg_bhttp_msg_free(resp);
	resp = NULL;
	for (int mode = 1; mode <= 2; mode++) {
		atomic_store(&relay_mode, mode);
		ccg_error_clear(&err);
		assert_int_equal(ccg_client_request(c, req, &resp, &err), CCG_ERR_MAC);
		assert_string_equal(err.where, "hpke.ct");
		assert_null(resp);
	}
	/* an answer under another media type, or with another status than 200 */
	atomic_store(&relay_mode, 3);
	ccg_error_clear(&err);
	assert_int_equal(ccg_client_request(c, req, &resp, &err), CCG_ERR_PROTOCOL);
	assert_string_equal(err.where, "client.gateway");
	atomic_store(&relay_mode, 4);
	ccg_error_clear(&err);
	assert_int_equal(ccg_client_request(c, req, &resp, &err), CCG_ERR_NETWORK);
	assert_string_equal(err.where, "client.gateway");
	assert_null(resp);
	atomic_store(&relay_mode, 0);
	/* a gateway that answers with a request: opened, then refused */
	atomic_store(&server_mode, 2);
	ccg_error_clear(&err);
	assert_int_equal(ccg_client_request(c, req, &resp, &err), CCG_ERR_MALFORMED);
	assert_string_equal(err.where, "ohttp.response.bhttp");
	assert_null(resp);
	atomic_store(&server_mode, 0);
	assert_int_equal(ccg_client_request(c, req, &resp, NULL), CCG_OK);
	ccg_bhttp_msg_free(resp);
	ccg_bhttp_msg_free(req);
	ccg_client_free(c);
	free(jwk);
}

/* expects ccg_client_attest to refuse with st at where, and no request to be sent afterwards */
static void refused_detail(struct ccg_client *c, int64_t now, enum ccg_status st, const char *where, const char *detail)
{
	struct ccg_bhttp_msg *req = prompt(), *resp = NULL;
	struct ccg_error err;
	int sent = atomic_load(&gateway_requests);

	ccg_error_clear(&err);
	if (ccg_client_attest(c, now, &err) != st || strcmp(err.where, where) != 0)
		fail_msg("got %s at %s (%s), want %s at %s", ccg_status_name(err.status), err.where, err.detail,
			 ccg_status_name(st), where);
	if (detail != NULL && strstr(err.detail, detail) == NULL)
		fail_msg("%s: \"%s\" does not say \"%s\"", where, err.detail, detail);
	assert_null(ccg_client_claims_json(c));
	assert_int_equal(ccg_client_request(c, req, &resp, NULL), CCG_ERR_INVALID_ARG);
	assert_int_equal(atomic_load(&gateway_requests), sent);
	ccg_bhttp_msg_free(req);
}

static void refused(struct ccg_client *c, int64_t now, enum ccg_status st, const char *where)
{
	refused_detail(c, now, st, where, NULL);
}

/* the token vouches for another key than the one served: refused before anything is sealed */
static void test_key_not_bound(void **state)
{
	struct ccg_ohttp_gateway *other = NULL;
	char *jwk = NULL;
	struct ccg_client *c = client_for(ear_key, NULL);
	struct token_opts o = {.key = ear_key, .gpu_status = CCG_EAR_AFFIRMING};

	(void)state;
	assert_int_equal(ccg_ohttp_gateway_new(7, NULL, 0, &other, NULL), CCG_OK);
	assert_int_equal(ccg_ohttp_gateway_public_jwk(other, &jwk, NULL), CCG_OK);
	o.jwk = jwk;
	serve_token(make_token(&o));
	refused(c, T0 + 10, CCG_ERR_TEE_KEY_MISMATCH, "ohttp.key_config.public_key");
	/* a token that binds no key at all, or a key of another type */
	o.jwk = NULL;
	serve_token(make_token(&o));
	refused_detail(c, T0 + 10, CCG_ERR_TEE_KEY_MISMATCH, "cnf.jwk", "binds no TEE key");
	o.jwk = "{\"kty\":\"RSA\",\"n\":\"AQAB\",\"e\":\"AQAB\"}";
	serve_token(make_token(&o));
	refused_detail(c, T0 + 10, CCG_ERR_TEE_KEY_MISMATCH, "cnf.jwk", "not an X25519");
	o.jwk = "{\"kty\":\"EC\",\"crv\":\"P-384\",\"x\":\"AA\",\"y\":\"AA\"}";
	serve_token(make_token(&o));
	refused(c, T0 + 10, CCG_ERR_MALFORMED, "cnf.jwk.x");
	o.jwk = "{\"kty\":\"OKP\",\"crv\":\"X25519\",\"x\":\"MeHwWnQBAhFSIOmvkY9zhnSuyV9U224E63Baro55gQ\"}";
	serve_token(make_token(&o));
	refused(c, T0 + 10, CCG_ERR_MALFORMED, "cnf.jwk.x"); /* 31 bytes */
	/* the right key, served as another media type */
	free(jwk);
	jwk = gateway_jwk();
	o.jwk = jwk;
	serve_token(make_token(&o));
	atomic_store(&server_mode, 1);
	refused(c, T0 + 10, CCG_ERR_PROTOCOL, "client.ohttp-keys");
	atomic_store(&server_mode, 0);
	assert_int_equal(ccg_client_attest(c, T0 + 10, NULL), CCG_OK);
	ccg_ohttp_gateway_free(other);
	ccg_client_free(c);
	free(jwk);
}

/* the client's own policy: the claims fail one rule, which is named */
static void test_policy_refused(void **state)
{
	char *jwk = gateway_jwk();
	struct token_opts o = {.key = ear_key, .jwk = jwk, .gpu_status = CCG_EAR_AFFIRMING};
	struct ccg_client *c = client_for(ear_key, failing_policy);

	(void)state;
	serve_token(make_token(&o));
	refused(c, T0 + 10, CCG_ERR_POLICY, "bound");
	/* the same server passes the policy it meets */
	assert_int_equal(ccg_client_set_policy(c, client_policy, strlen(client_policy), NULL), CCG_OK);
	assert_int_equal(ccg_client_attest(c, T0 + 10, NULL), CCG_OK);
	ccg_client_free(c);
	free(jwk);
}

/* a verdict other than affirming, a token of another verifier, an expired token */
static void test_token_refused(void **state)
{
	char *jwk = gateway_jwk();
	struct token_opts o = {.key = ear_key, .jwk = jwk, .gpu_status = CCG_EAR_CONTRAINDICATED};
	struct ccg_client *c = client_for(ear_key, NULL), *foreign = client_for(other_key, NULL);

	(void)state;
	serve_token(make_token(&o));
	refused(c, T0 + 10, CCG_ERR_TOKEN_STATUS, "ear.status");
	o.gpu_status = CCG_EAR_WARNING;
	serve_token(make_token(&o));
	refused(c, T0 + 10, CCG_ERR_TOKEN_STATUS, "ear.status");
	o.gpu_status = CCG_EAR_AFFIRMING;
	serve_token(make_token(&o));
	assert_int_equal(ccg_client_attest(c, T0 + 10, NULL), CCG_OK);
	refused(c, T0 + 3600, CCG_ERR_TOKEN_EXPIRED, "exp");
	{
		struct ccg_error err;
		char url[128];

		ccg_error_clear(&err);
		assert_int_equal(ccg_client_attest(foreign, T0 + 10, &err), CCG_ERR_TOKEN_KEY_UNKNOWN);
		/* the verifier's JWKS fetched from its /.well-known/jwks.json, or not found there */
		snprintf(url, sizeof(url), "http://127.0.0.1:%d/.well-known/jwks.json", server_port);
		assert_int_equal(ccg_client_set_jwks_url(foreign, url, NULL), CCG_OK);
		assert_int_equal(ccg_client_attest(foreign, T0 + 10, NULL), CCG_OK);
		snprintf(url, sizeof(url), "http://127.0.0.1:%d/no-jwks-here", server_port);
		assert_int_equal(ccg_client_set_jwks_url(foreign, url, NULL), CCG_OK);
		refused(foreign, T0 + 10, CCG_ERR_NETWORK, "client.jwks");
		assert_int_equal(ccg_client_set_jwks_url(foreign, "ftp://127.0.0.1/jwks", NULL), CCG_ERR_INVALID_ARG);
	}
	ccg_client_free(c);
	ccg_client_free(foreign);
	free(jwk);
}

/* runs "ccgpu client ARGS" (stdout, stderr into files of tmpdir); its exit status */
static int run_cli(const char *args, char **out, char **errtext)
{
	char cmd[4096], o[128], e[128];
	const char *build = getenv("CCGPU_BUILD_ROOT");
	uint8_t *buf = NULL;
	size_t n = 0;
	int rc;

	assert_non_null(build);
	snprintf(o, sizeof(o), "%s/cli.out", tmpdir);
	snprintf(e, sizeof(e), "%s/cli.err", tmpdir);
	snprintf(cmd, sizeof(cmd), "%s/tools/ccgpu/ccgpu client %s >%s 2>%s", build, args, o, e);
	rc = system(cmd);
	assert_true(WIFEXITED(rc));
	assert_int_equal(ccg_file_read(o, 1 << 20, &buf, &n, NULL), CCG_OK);
	*out = (char *)buf;
	assert_int_equal(ccg_file_read(e, 1 << 20, &buf, &n, NULL), CCG_OK);
	*errtext = (char *)buf;
	unlink(o);
	unlink(e);
	return WEXITSTATUS(rc);
}

static void write_file(const char *name, const char *text, char *path, size_t cap)
{
	snprintf(path, cap, "%s/%s", tmpdir, name);
	assert_int_equal(ccg_file_write_atomic(path, (const uint8_t *)text, strlen(text), NULL), CCG_OK);
}

/* a P-384 TEE key (the kind the verifier binds as an EC key) serves OHTTP as it is */
static void test_p384_tee_key(void **state)
{
	EVP_PKEY *k = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-384");
	BIO *b = BIO_new(BIO_s_mem());
	struct ccg_ohttp_gateway *x25519_gw = gw, *p384 = NULL;
	struct ccg_client *c = client_for(ear_key, client_policy);
	struct ccg_bhttp_msg *req = prompt(), *resp = NULL;
	struct token_opts o = {.key = ear_key, .gpu_status = CCG_EAR_AFFIRMING};
	struct ccg_error err;
	char *pem = NULL, *jwk = NULL;
	long pl;
	size_t cl = 0;
	const uint8_t *content;

	(void)state;
	assert_non_null(k);
	assert_non_null(b);
	assert_int_equal(PEM_write_bio_PrivateKey(b, k, NULL, NULL, 0, NULL, NULL), 1);
	pl = BIO_get_mem_data(b, &pem);
	assert_int_equal(ccg_ohttp_gateway_new_pem(9, (const uint8_t *)pem, (size_t)pl, &p384, NULL), CCG_OK);
	assert_int_equal(ccg_ohttp_gateway_public_jwk(p384, &jwk, NULL), CCG_OK);
	assert_non_null(strstr(jwk, "\"P-384\""));
	o.jwk = jwk;
	serve_token(make_token(&o));
	/* the X25519 gateway still serves its own key: the P-384 key bound by the token is not there */
	refused(c, T0 + 10, CCG_ERR_TEE_KEY_MISMATCH, "ohttp.key_config.public_key");
	gw = p384;
	ccg_error_clear(&err);
	if (ccg_client_attest(c, T0 + 10, &err) != CCG_OK)
		fail_msg("attest: %s: %s", err.where, err.detail);
	ccg_error_clear(&err);
	if (ccg_client_request(c, req, &resp, &err) != CCG_OK)
		fail_msg("request: %s: %s", err.where, err.detail);
	content = ccg_bhttp_msg_content(resp, &cl);
	assert_non_null(memmem(content, cl, "echo:" PROMPT_CANARY, strlen("echo:" PROMPT_CANARY)));
	assert_false(captured(PROMPT_CANARY));
	assert_false(captured(ANSWER_CANARY));
	gw = x25519_gw;
	ccg_bhttp_msg_free(resp);
	ccg_bhttp_msg_free(req);
	ccg_client_free(c);
	ccg_ohttp_gateway_free(p384);
	BIO_free(b);
	EVP_PKEY_free(k);
	free(jwk);
}

/* ccgpu client: a prompt through the relay, a refused server named, --help documented in ccgpu(1) */
static void test_cli(void **state)
{
	char *jwk = gateway_jwk(), *jwks_text, jwks[128], pol[128], bad[128], data[128], args[2048], *out = NULL,
	     *errtext = NULL, *help = NULL, *man = NULL;
	struct token_opts o = {.key = ear_key, .jwk = jwk, .gpu_status = CCG_EAR_AFFIRMING};
	json_t *j = ccg_ear_key_jwks(ear_key);
	const char *root = getenv("CCGPU_SOURCE_ROOT");
	size_t before = capture_size(), n = 0;
	uint8_t *mbuf = NULL;

	(void)state;
	serve_token(make_token(&o));
	jwks_text = json_dumps(j, 0);
	write_file("jwks.json", jwks_text, jwks, sizeof(jwks));
	write_file("client.policy", client_policy, pol, sizeof(pol));
	write_file("strict.policy", failing_policy, bad, sizeof(bad));
	write_file("prompt.txt", PROMPT_CANARY, data, sizeof(data));
	snprintf(args, sizeof(args),
		 "--server http://127.0.0.1:%d --relay http://127.0.0.1:%d/relay --jwks %s --policy %s --time %d "
		 "--path /v1/generate -H 'X-Prompt-Id: %s' --data %s",
		 server_port, relay_port, jwks, pol, T0 + 10, HEADER_CANARY, data);
	assert_int_equal(run_cli(args, &out, &errtext), 0);
	assert_non_null(strstr(out, "echo:" PROMPT_CANARY " /v1/generate " ANSWER_CANARY));
	assert_non_null(strstr(errtext, "HTTP 200"));
	assert_true(capture_size() > before);
	assert_false(captured(PROMPT_CANARY));
	assert_false(captured(HEADER_CANARY));
	free(out);
	free(errtext);
	/* --attest-only prints the verified claims */
	snprintf(args, sizeof(args), "--server http://127.0.0.1:%d --jwks %s --time %d --attest-only", server_port, jwks,
		 T0 + 10);
	assert_int_equal(run_cli(args, &out, &errtext), 0);
	assert_non_null(strstr(out, "\"ear.status\":\"affirming\""));
	free(out);
	free(errtext);
	/* a policy the claims fail: exit 1, the rule named; nothing sent */
	before = capture_size();
	snprintf(args, sizeof(args), "--server http://127.0.0.1:%d --relay http://127.0.0.1:%d/relay --jwks %s --policy %s "
		 "--time %d --data %s", server_port, relay_port, jwks, bad, T0 + 10, data);
	assert_int_equal(run_cli(args, &out, &errtext), 1);
	assert_non_null(strstr(errtext, "bound"));
	assert_int_equal(capture_size(), before);
	free(out);
	free(errtext);
	/* usage errors: exit 2 */
	assert_int_equal(run_cli("--server http://127.0.0.1:1", &out, &errtext), 2);
	free(out);
	free(errtext);
	/* every long option of --help is in the man page */
	assert_int_equal(run_cli("--help", &help, &errtext), 0);
	free(errtext);
	assert_non_null(root);
	snprintf(args, sizeof(args), "%s/docs/man/ccgpu.1", root);
	assert_int_equal(ccg_file_read(args, 1 << 20, &mbuf, &n, NULL), CCG_OK);
	man = (char *)mbuf;
	for (char *p = strstr(help, "--"); p != NULL; p = strstr(p + 2, "--")) {
		char opt[64], want[160];
		size_t k = 0, w = 0;

		while (k + 1 < sizeof(opt) && (p[k] == '-' || (p[k] >= 'a' && p[k] <= 'z'))) {
			opt[k] = p[k];
			k++;
		}
		opt[k] = '\0';
		for (size_t i = 0; opt[i] != '\0' && w + 3 < sizeof(want); i++) {
			if (opt[i] == '-')
				want[w++] = '\\';
			want[w++] = opt[i];
		}
		want[w] = '\0';
		if (k > 2 && strstr(man, want) == NULL)
			fail_msg("ccgpu client %s is not in ccgpu(1)", opt);
	}
	free(help);
	free(man);
	free(jwks_text);
	json_decref(j);
	unlink(jwks);
	unlink(pol);
	unlink(bad);
	unlink(data);
	free(jwk);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_prompt_through_relay),
		cmocka_unit_test(test_relay_tampering),
		cmocka_unit_test(test_key_not_bound),
		cmocka_unit_test(test_policy_refused),
		cmocka_unit_test(test_token_refused),
		cmocka_unit_test(test_p384_tee_key),
		cmocka_unit_test(test_cli),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
