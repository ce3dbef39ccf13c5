/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ccgpu-verifierd's HTTP API through real HTTP (libcurl) against the daemon
 * in its own process on SQLite: a composite of gpusim GPUs bound into an
 * SEV-SNP report attests as affirming and its EAR token verifies against the
 * JWKS the daemon serves; a replayed, unknown or expired nonce is refused; a
 * drifted GPU is contraindicated with the failed check named; the appraisal
 * policy decides per submod and is reloaded on SIGHUP (a broken one is
 * refused and the old one stays); every refusal is problem+json with its
 * stable type; health, readiness and metrics answer; SIGTERM exits 0.
 */
#include <stdarg.h>
#include <setjmp.h>
#include <stddef.h>
#include <cmocka.h>
#include <arpa/inet.h>
#include <curl/curl.h>
#include <jansson.h>
#include <jose/jose.h>
#include <jose/openssl.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <netinet/in.h>
#include <time.h>
#include <unistd.h>

#include "common/crypto.h"
#include "common/encoding.h"
#include "common/file.h"
#include "token/ear.h"
#include "testdata.h"
#include "vdtest.h"

static const char *binary;
static struct vt_world world;
static struct vt_daemon daemon_;
static char *config, *policy_path;

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	assert_true(fputs(text, f) >= 0);
	assert_int_equal(fclose(f), 0);
}

static int setup(void **state)
{
	char extra[1200], st[600], *src = NULL;
	size_t n;
	const char *root = getenv("CCGPU_SOURCE_ROOT");

	(void)state;
	vt_world_init(&world, 2);
	/* the policy file starts as the built-in default */
	assert_non_null(root);
	snprintf(st, sizeof(st), "%s/verifier/default.policy", root);
	src = (char *)td_read_file(st, &n);
	policy_path = malloc(600);
	snprintf(policy_path, 600, "%s/appraisal.policy", world.dir);
	write_file(policy_path, src);
	free(src);
	snprintf(extra, sizeof(extra), "policy = %s\nmax_body = 1048576\n", policy_path);
	config = vt_config_write(&world, "verifierd.conf", extra);
	snprintf(st, sizeof(st), "%s/state", world.dir);
	vt_daemon_start(&daemon_, binary, config, st, NULL);
	return 0;
}

static int teardown(void **state)
{
	int status;

	(void)state;
	/* SIGTERM drains and exits 0 */
	status = vt_daemon_stop(&daemon_, SIGTERM);
	free(config);
	free(policy_path);
	vt_world_free(&world);
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		fprintf(stderr, "ccgpu-verifierd did not exit 0 on SIGTERM (status %d)\n", status);
		return -1;
	}
	return 0;
}

/* the token's claims, verified against the JWKS the daemon serves, at the token's own iat */
static json_t *verified_claims(const char *token)
{
	struct vt_resp r;
	json_t *jwks, *claims = NULL, *unverified;
	const char *dot1 = strchr(token, '.'), *dot2;
	struct ccg_error err;
	int64_t iat;

	assert_non_null(dot1);
	dot2 = strchr(dot1 + 1, '.');
	assert_non_null(dot2);
	{
		json_t *part = json_stringn(dot1 + 1, (size_t)(dot2 - dot1 - 1));

		unverified = jose_b64_dec_load(part);
		json_decref(part);
	}
	assert_non_null(unverified);
	iat = json_integer_value(json_object_get(unverified, "iat"));
	json_decref(unverified);
	vt_http(daemon_.base, "GET", "/.well-known/jwks.json", NULL, NULL, 0, &r);
	assert_int_equal(r.status, 200);
	jwks = json_loads(r.body, 0, NULL);
	assert_non_null(jwks);
	ccg_error_clear(&err);
	if (ccg_ear_verify(token, jwks, iat, &claims, &err) != CCG_OK)
		fail_msg("token: %s: %s", err.where, err.detail);
	json_decref(jwks);
	vt_resp_free(&r);
	return claims;
}

static const char *submod_status(const json_t *claims, const char *name)
{
	return json_string_value(
		json_object_get(json_object_get(json_object_get(claims, "submods"), name), "ear.status"));
}

/* posts body to /v1/attest: the answer's JSON (200 required) */
static json_t *attest_ok(const char *body)
{
	struct vt_resp r;
	json_t *j;

	vt_http(daemon_.base, "POST", "/v1/attest", "application/json", body, strlen(body), &r);
	if (r.status != 200)
		fail_msg("attest: %ld %s", r.status, r.body);
	assert_string_equal(r.content_type, "application/json");
	j = json_loads(r.body, 0, NULL);
	assert_non_null(j);
	vt_resp_free(&r);
	return j;
}

static void expect_problem(const char *method, const char *path, const char *ctype, const char *body, size_t len,
			   long status, const char *type, const char *check)
{
	struct vt_resp r;
	char t[64];
	json_t *j;

	vt_http(daemon_.base, method, path, ctype, body, len, &r);
	if (r.status != status)
		fail_msg("%s %s: %ld (want %ld) %s", method, path, r.status, status, r.body);
	assert_string_equal(r.content_type, "application/problem+json");
	assert_string_equal(vt_problem_type(&r, t, sizeof(t)), type);
	j = json_loads(r.body, 0, NULL);
	assert_non_null(j);
	assert_int_equal(json_integer_value(json_object_get(j, "status")), status);
	assert_non_null(json_string_value(json_object_get(j, "title")));
	if (check != NULL) {
		const char *c = json_string_value(json_object_get(j, "check"));

		if (c == NULL || strcmp(c, check) != 0)
			fail_msg("%s %s: check %s, want %s (%s)", method, path, c != NULL ? c : "(none)", check,
				 r.body);
	}
	json_decref(j);
	vt_resp_free(&r);
}

static void test_attest_affirming(void **state)
{
	uint8_t nonce[32];
	char *body, *enc;
	json_t *ans, *claims, *jwk, *cnf;
	const char *token;

	(void)state;
	vt_challenge(daemon_.base, nonce);
	body = vt_compose(&world, nonce, NULL);
	ans = attest_ok(body);
	if (strcmp(json_string_value(json_object_get(ans, "status")), "affirming") != 0)
		fail_msg("status %s: %s", json_string_value(json_object_get(ans, "status")),
			 json_string_value(json_object_get(ans, "failed")));
	token = json_string_value(json_object_get(ans, "token"));
	claims = verified_claims(token);
	assert_string_equal(submod_status(claims, "cpu0"), "affirming");
	assert_string_equal(submod_status(claims, "GPU-0"), "affirming");
	assert_string_equal(submod_status(claims, "GPU-1"), "affirming");
	assert_int_equal(json_object_size(json_object_get(claims, "submods")), 3);
	/* the nonce the daemon issued, and the TEE key the evidence bound, are in the token */
	enc = malloc(64);
	assert_true(jose_b64_enc_buf(nonce, 32, enc, 64) > 0);
	enc[43] = '\0';
	assert_string_equal(json_string_value(json_object_get(claims, "eat_nonce")), enc);
	free(enc);
	jwk = jose_openssl_jwk_from_EVP_PKEY(NULL, world.tee);
	cnf = json_object_get(json_object_get(claims, "cnf"), "jwk");
	assert_non_null(cnf);
	assert_true(json_equal(json_object_get(cnf, "x"), json_object_get(jwk, "x")));
	assert_true(json_equal(json_object_get(cnf, "y"), json_object_get(jwk, "y")));
	assert_null(json_object_get(cnf, "d"));
	/* the policy that decided is named in each appraisal */
	{
		const char *pid = json_string_value(json_object_get(
			json_object_get(json_object_get(claims, "submods"), "cpu0"), "ear.appraisal-policy-id"));

		assert_non_null(pid);
		assert_non_null(strstr(pid, "ccgpu-verifierd-default"));
	}
	json_decref(jwk);
	json_decref(claims);
	json_decref(ans);
	/* the same nonce again: used up */
	expect_problem("POST", "/v1/attest", "application/json", body, strlen(body), 403, "nonce-unknown", "nonce");
	free(body);
}

static void test_attest_drifted_gpu(void **state)
{
	uint8_t nonce[32];
	char *body;
	json_t *ans, *claims, *errs;
	const char *failed;
	bool named = false;
	size_t i;
	json_t *e;

	(void)state;
	vt_challenge(daemon_.base, nonce);
	body = vt_compose(&world, nonce, "drift=5@1");
	ans = attest_ok(body);
	assert_string_equal(json_string_value(json_object_get(ans, "status")), "contraindicated");
	failed = json_string_value(json_object_get(ans, "failed"));
	assert_non_null(failed);
	claims = verified_claims(json_string_value(json_object_get(ans, "token")));
	assert_string_equal(json_string_value(json_object_get(claims, "ear.status")), "contraindicated");
	assert_string_equal(submod_status(claims, "GPU-1"), "contraindicated");
	/* GPU-0 passed alone: no claim either way; cpu0 is not blamed for a GPU's failure */
	assert_string_equal(submod_status(claims, "GPU-0"), "none");
	assert_string_equal(submod_status(claims, "cpu0"), "none");
	errs = json_object_get(json_object_get(json_object_get(claims, "submods"), "GPU-1"), "ccgpu.errors");
	assert_true(json_array_size(errs) > 0);
	json_array_foreach(errs, i, e)
		if (strstr(json_string_value(e), "measurement") != NULL ||
		    strstr(json_string_value(e), "MEASUREMENT") != NULL)
			named = true;
	if (!named)
		fail_msg("GPU-1's errors do not name the measurement check: %s", json_dumps(errs, 0));
	json_decref(claims);
	json_decref(ans);
	free(body);
}

/* the store says the nonce expired: a row planted with an expiry in the past */
static void test_nonce_expired(void **state)
{
	char path[700], *body;
	uint8_t nonce[32];
	sqlite3 *db = NULL;
	sqlite3_stmt *q = NULL;

	(void)state;
	for (size_t i = 0; i < 32; i++)
		nonce[i] = (uint8_t)(0xE0 ^ i);
	snprintf(path, sizeof(path), "%s/verifier.db", daemon_.state);
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	sqlite3_busy_timeout(db, 5000);
	assert_int_equal(sqlite3_prepare_v2(db, "INSERT INTO nonces (nonce, expires) VALUES (?1, 1)", -1, &q, NULL),
			 SQLITE_OK);
	sqlite3_bind_blob(q, 1, nonce, 32, SQLITE_STATIC);
	assert_int_equal(sqlite3_step(q), SQLITE_DONE);
	sqlite3_finalize(q);
	sqlite3_close(db);
	body = vt_compose(&world, nonce, NULL);
	expect_problem("POST", "/v1/attest", "application/json", body, strlen(body), 403, "nonce-expired", "nonce");
	/* and it is gone */
	expect_problem("POST", "/v1/attest", "application/json", body, strlen(body), 403, "nonce-unknown", "nonce");
	free(body);
}

static void test_refusals(void **state)
{
	uint8_t nonce[32];
	char *body, *big, *deep, *p;
	size_t n;
	json_t *j;

	(void)state;
	expect_problem("GET", "/v1/nothing", NULL, NULL, 0, 404, "not-found", NULL);
	expect_problem("GET", "/v1/attest", NULL, NULL, 0, 405, "method-not-allowed", NULL);
	{
		struct vt_resp r;

		vt_http(daemon_.base, "DELETE", "/v1/challenge", NULL, NULL, 0, &r);
		assert_int_equal(r.status, 405);
		assert_string_equal(r.allow, "POST");
		vt_resp_free(&r);
	}
	expect_problem("POST", "/metrics", NULL, NULL, 0, 405, "method-not-allowed", NULL);
	expect_problem("POST", "/v1/attest", "text/plain", "{}", 2, 415, "unsupported-media-type", NULL);
	expect_problem("POST", "/v1/attest", NULL, "{}", 2, 415, "unsupported-media-type", NULL);
	/* over max_body (1 MiB here) */
	n = 2u << 20;
	big = malloc(n);
	memset(big, ' ', n);
	expect_problem("POST", "/v1/attest", "application/json", big, n, 413, "body-too-large", NULL);
	/* the same without a length (chunked): refused while reading */
	{
		struct vt_resp r;
		CURL *c = curl_easy_init();
		struct curl_slist *h = curl_slist_append(NULL, "Transfer-Encoding: chunked");
		char url[128];
		long st = 0;

		h = curl_slist_append(h, "Content-Type: application/json");
		h = curl_slist_append(h, "Expect:");
		snprintf(url, sizeof(url), "%s/v1/attest", daemon_.base);
		curl_easy_setopt(c, CURLOPT_URL, url);
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, big);
		curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)n);
		curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
		curl_easy_setopt(c, CURLOPT_TIMEOUT, 60L);
		curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, fwrite);
		curl_easy_setopt(c, CURLOPT_WRITEDATA, stderr);
		(void)r;
		assert_int_equal(curl_easy_perform(c), CURLE_OK);
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &st);
		assert_int_equal(st, 413);
		curl_slist_free_all(h);
		curl_easy_cleanup(c);
	}
	free(big);
	/* a Content-Length over max_body is refused from the headers, before any body is sent */
	{
		int fd = socket(AF_INET, SOCK_STREAM, 0);
		struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)daemon_.port)};
		struct timeval tv = {10, 0};
		static const char head[] =
			"POST /v1/attest HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
			"Content-Length: 2097152\r\n\r\n{";
		char ans[512];
		ssize_t got;

		a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
		assert_int_equal(connect(fd, (struct sockaddr *)&a, sizeof(a)), 0);
		assert_int_equal(send(fd, head, sizeof(head) - 1, MSG_NOSIGNAL), (ssize_t)(sizeof(head) - 1));
		got = recv(fd, ans, sizeof(ans) - 1, 0);
		assert_true(got > 12);
		ans[got] = '\0';
		if (strncmp(ans + 9, "413", 3) != 0)
			fail_msg("Content-Length over max_body: %s", ans);
		close(fd);
	}
	/* nested deeper than json_max_depth (32) */
	n = 200;
	deep = malloc(2 * n + 1);
	memset(deep, '[', n);
	memset(deep + n, ']', n);
	deep[2 * n] = '\0';
	expect_problem("POST", "/v1/attest", "application/json", deep, 2 * n, 400, "json-too-deep", "body");
	free(deep);
	expect_problem("POST", "/v1/attest", "application/json", "{\"nonce\":", 9, 400, "malformed-request", "body");
	expect_problem("POST", "/v1/attest", "application/json", "[]", 2, 400, "malformed-request", "body");
	expect_problem("POST", "/v1/challenge", "application/json", "{\"x\":1}", 7, 400, "malformed-request", "body");
	/* a well-formed request with a nonce the daemon never issued */
	for (size_t i = 0; i < 32; i++)
		nonce[i] = (uint8_t)i;
	body = vt_compose(&world, nonce, NULL);
	expect_problem("POST", "/v1/attest", "application/json", body, strlen(body), 403, "nonce-unknown", "nonce");
	/* the evidence over another nonce than the request's */
	j = json_loads(body, 0, NULL);
	json_object_set_new(j, "nonce",
			    json_string("00000000000000000000000000000000000000000000000000000000000000ff"));
	free(body);
	body = json_dumps(j, JSON_COMPACT);
	expect_problem("POST", "/v1/attest", "application/json", body, strlen(body), 400, "nonce-mismatch",
		       "evidence.nonce");
	/* invalid base64 in the TEE key, with an issued nonce: refused before the nonce is used */
	vt_challenge(daemon_.base, nonce);
	free(body);
	body = vt_compose(&world, nonce, NULL);
	json_decref(j);
	j = json_loads(body, 0, NULL);
	json_object_set_new(json_object_get(j, "evidence"), "tee_public_key", json_string("not*base64"));
	p = json_dumps(j, JSON_COMPACT);
	expect_problem("POST", "/v1/attest", "application/json", p, strlen(p), 400, "malformed-request",
		       "evidence.tee_public_key");
	free(p);
	/* a DER key with a byte after it, and a key that is not EC or RSA */
	{
		uint8_t *der = malloc(world.tee_spki_len + 1);
		char *b64;

		memcpy(der, world.tee_spki, world.tee_spki_len);
		der[world.tee_spki_len] = 0;
		b64 = ccg_base64_encode_alloc(der, world.tee_spki_len + 1);
		json_object_set_new(json_object_get(j, "evidence"), "tee_public_key", json_string(b64));
		p = json_dumps(j, JSON_COMPACT);
		expect_problem("POST", "/v1/attest", "application/json", p, strlen(p), 400, "malformed-request",
			       "evidence.tee_public_key");
		free(p);
		free(b64);
		free(der);
		/* Ed25519 (RFC 8410 SubjectPublicKeyInfo of 32 zero-ish bytes) */
		json_object_set_new(json_object_get(j, "evidence"), "tee_public_key",
				    json_string("MCowBQYDK2VwAyEAGb9ECWmEzf6FQbrBZ9w7lshQhqowtrbLDFw4rXAxZuE="));
		p = json_dumps(j, JSON_COMPACT);
		expect_problem("POST", "/v1/attest", "application/json", p, strlen(p), 400, "malformed-request",
			       "evidence.tee_public_key");
		free(p);
	}
	/* an unknown member */
	json_object_set_new(j, "extra", json_true());
	p = json_dumps(j, JSON_COMPACT);
	expect_problem("POST", "/v1/attest", "application/json", p, strlen(p), 400, "malformed-request", "body");
	free(p);
	json_decref(j);
	/* the nonce was not spent by the refusals: the good body still attests */
	json_decref(attest_ok(body));
	free(body);
}

/* a compact JWS verified with libjose against the key of its kid in jwks; its payload returned */
static json_t *jws_verified(const char *compact, const json_t *jwks)
{
	const char *d1 = strchr(compact, '.'), *d2 = d1 != NULL ? strchr(d1 + 1, '.') : NULL;
	json_t *jws, *hdr, *key = NULL, *k, *payload;
	const char *kid;
	size_t i;

	assert_non_null(d2);
	jws = json_pack("{s:s%,s:s%,s:s}", "protected", compact, (size_t)(d1 - compact), "payload", d1 + 1,
			(size_t)(d2 - d1 - 1), "signature", d2 + 1);
	hdr = jose_b64_dec_load(json_object_get(jws, "protected"));
	assert_non_null(hdr);
	assert_string_equal(json_string_value(json_object_get(hdr, "alg")), "ES384");
	kid = json_string_value(json_object_get(hdr, "kid"));
	json_array_foreach(json_object_get(jwks, "keys"), i, k)
		if (kid != NULL && json_equal(json_object_get(k, "kid"), json_object_get(hdr, "kid")))
			key = k;
	assert_non_null(key);
	assert_true(jose_jws_ver(NULL, jws, NULL, key, false));
	payload = jose_b64_dec_load(json_object_get(jws, "payload"));
	assert_non_null(payload);
	json_decref(hdr);
	json_decref(jws);
	return payload;
}

/*
 * NVIDIA's remote attestation request at /v4/attest/gpu (and /v3), checked as
 * NVIDIA's SDK checks the answer: every JWT against the JWKS by kid, iss the
 * base URL, each GPU token's SHA-256 in the overall token's submods, eat_nonce.
 */
static void test_nras_exchange(void **state)
{
	static const char *const paths[] = {"/v4/attest/gpu", "/v3/attest/gpu"};
	uint8_t nonce[32];
	char *body, *gpu_json, hex[65];
	json_t *composite, *gpus, *req, *list, *g, *jwks;
	struct vt_resp r;
	size_t i, n;
	uint8_t *raw;

	(void)state;
	for (i = 0; i < 32; i++)
		nonce[i] = (uint8_t)(0x40 + i);
	ccg_hex_encode(nonce, 32, hex);
	/* the GPU part of a composite is NVIDIA's serialized evidence: the same items NRAS takes */
	body = vt_compose(&world, nonce, NULL);
	composite = json_loads(body, 0, NULL);
	assert_int_equal(ccg_base64_decode(json_string_value(json_object_get(json_object_get(composite, "evidence"),
									     "gpu_evidence")),
					   strlen(json_string_value(json_object_get(
						   json_object_get(composite, "evidence"), "gpu_evidence"))),
					   1u << 22, &raw, &n),
			 CCG_OK);
	gpu_json = strndup((const char *)raw, n);
	gpus = json_loads(gpu_json, 0, NULL);
	assert_true(json_is_array(gpus));
	list = json_array();
	json_array_foreach(gpus, i, g)
		json_array_append_new(list, json_pack("{s:O,s:O}", "evidence", json_object_get(g, "evidence"),
						      "certificate", json_object_get(g, "certificate")));
	req = json_pack("{s:s,s:s,s:s,s:o}", "nonce", hex, "arch", "HOPPER", "claims_version", "3.0", "evidence_list",
			list);
	free(body);
	body = json_dumps(req, JSON_COMPACT);
	vt_http(daemon_.base, "GET", "/.well-known/jwks.json", NULL, NULL, 0, &r);
	jwks = json_loads(r.body, 0, NULL);
	vt_resp_free(&r);
	for (size_t p = 0; p < 2; p++) {
		json_t *ans, *overall, *detached, *t, *digests;
		const char *name;

		vt_http(daemon_.base, "POST", paths[p], "application/json", body, strlen(body), &r);
		if (r.status != 200)
			fail_msg("%s: %ld %s", paths[p], r.status, r.body);
		ans = json_loads(r.body, 0, NULL);
		assert_int_equal(json_array_size(ans), 2);
		assert_string_equal(json_string_value(json_array_get(json_array_get(ans, 0), 0)), "JWT");
		overall = jws_verified(json_string_value(json_array_get(json_array_get(ans, 0), 1)), jwks);
		assert_string_equal(json_string_value(json_object_get(overall, "iss")), daemon_.base);
		assert_true(json_is_true(json_object_get(overall, "x-nvidia-overall-att-result")));
		assert_string_equal(json_string_value(json_object_get(overall, "eat_nonce")), hex);
		digests = json_object_get(overall, "submods");
		detached = json_array_get(ans, 1);
		assert_int_equal(json_object_size(detached), world.gpus);
		assert_int_equal(json_object_size(digests), world.gpus);
		json_object_foreach(detached, name, t) {
			const char *tok = json_string_value(t);
			uint8_t d[32];
			char dh[65];
			json_t *claims = jws_verified(tok, jwks);
			json_t *want = json_object_get(digests, name);

			assert_int_equal(ccg_sha256((const uint8_t *)tok, strlen(tok), d), CCG_OK);
			ccg_hex_encode(d, 32, dh);
			assert_string_equal(json_string_value(json_array_get(want, 0)), "DIGEST");
			assert_string_equal(json_string_value(json_array_get(json_array_get(want, 1), 0)), "SHA256");
			assert_string_equal(json_string_value(json_array_get(json_array_get(want, 1), 1)), dh);
			assert_string_equal(json_string_value(json_object_get(claims, "eat_nonce")), hex);
			assert_string_equal(json_string_value(json_object_get(claims, "measres")), "success");
			json_decref(claims);
		}
		json_decref(overall);
		json_decref(ans);
		vt_resp_free(&r);
	}
	/* a request NVIDIA's format does not allow: 400 problem naming the member */
	json_object_set_new(req, "arch", json_string("VOLTA"));
	free(body);
	body = json_dumps(req, JSON_COMPACT);
	expect_problem("POST", "/v4/attest/gpu", "application/json", body, strlen(body), 400, "malformed-request",
		       NULL);
	expect_problem("GET", "/v4/attest/gpu", NULL, NULL, 0, 405, "method-not-allowed", NULL);
	json_decref(req);
	json_decref(gpus);
	json_decref(composite);
	json_decref(jwks);
	free(gpu_json);
	free(raw);
	free(body);
}

static void test_health_and_metrics(void **state)
{
	struct vt_resp r;

	(void)state;
	vt_http(daemon_.base, "GET", "/healthz", NULL, NULL, 0, &r);
	assert_int_equal(r.status, 200);
	assert_non_null(strstr(r.body, "\"ok\""));
	vt_resp_free(&r);
	vt_http(daemon_.base, "GET", "/readyz", NULL, NULL, 0, &r);
	assert_int_equal(r.status, 200);
	assert_non_null(strstr(r.body, "\"sqlite\""));
	vt_resp_free(&r);
	vt_http(daemon_.base, "GET", "/metrics", NULL, NULL, 0, &r);
	assert_int_equal(r.status, 200);
	assert_non_null(strstr(r.content_type, "text/plain"));
	assert_non_null(strstr(r.body, "ccgpu_verifierd_requests_total{route=\"/v1/attest\",code=\"200\"}"));
	assert_non_null(strstr(r.body, "ccgpu_verifierd_requests_total{route=\"/v1/attest\",code=\"403\"}"));
	assert_non_null(strstr(r.body, "ccgpu_verifierd_requests_total{route=\"other\",code=\"404\"}"));
	assert_non_null(strstr(r.body, "ccgpu_verifierd_appraisal_seconds_bucket{le=\"+Inf\"}"));
	assert_null(strstr(r.body, "ccgpu_verifierd_appraisal_seconds_count 0\n"));
	assert_non_null(strstr(r.body, "ccgpu_verifierd_attestations_total{status=\"contraindicated\"} "));
	assert_non_null(strstr(r.body, "ccgpu_verifierd_store_seconds_count "));
	assert_non_null(strstr(r.body, "ccgpu_verifierd_outstanding_nonces "));
	vt_resp_free(&r);
}

/* waits (bounded) until the daemon's log holds n lines with event */
static void wait_log(const char *event, int n)
{
	struct timespec nap = {0, 20 * 1000 * 1000};
	char needle[64];

	snprintf(needle, sizeof(needle), "\"event\":\"%s\"", event);
	for (int i = 0; i < 1500; i++) {
		size_t len;
		uint8_t *log = NULL;
		int seen = 0;
		const char *p;

		if (ccg_file_read(daemon_.log, 64u << 20, &log, &len, NULL) == CCG_OK) {
			for (p = (const char *)log; (p = strstr(p, needle)) != NULL; p++)
				seen++;
			free(log);
			if (seen >= n)
				return;
		}
		nanosleep(&nap, NULL);
	}
	fail_msg("no %d × %s in the log", n, event);
}

/* SIGHUP reloads the policy: a rule on the GPU count now denies, named in cpu0's errors; a broken policy is refused */
static void test_policy_reload(void **state)
{
	uint8_t nonce[32];
	char *body, pol[2048];
	json_t *ans, *claims, *errs;
	const char *root = getenv("CCGPU_SOURCE_ROOT");
	size_t n;
	char path[600], *src;

	(void)state;
	snprintf(path, sizeof(path), "%s/verifier/default.policy", root);
	src = (char *)td_read_file(path, &n);
	snprintf(pol, sizeof(pol), "%s\nrule three \"three GPUs\" { ccgpu-gpu-count == 3 }\n", src);
	write_file(policy_path, pol);
	kill(daemon_.pid, SIGHUP);
	wait_log("reloaded", 1);
	vt_challenge(daemon_.base, nonce);
	body = vt_compose(&world, nonce, NULL);
	ans = attest_ok(body);
	free(body);
	assert_string_equal(json_string_value(json_object_get(ans, "status")), "contraindicated");
	claims = verified_claims(json_string_value(json_object_get(ans, "token")));
	assert_string_equal(submod_status(claims, "cpu0"), "contraindicated");
	assert_string_equal(submod_status(claims, "GPU-0"), "affirming");
	errs = json_object_get(json_object_get(json_object_get(claims, "submods"), "cpu0"), "ccgpu.errors");
	assert_non_null(strstr(json_string_value(json_array_get(errs, 0)), "three"));
	json_decref(claims);
	json_decref(ans);
	/* a rule over one GPU's claim blames that GPU */
	snprintf(pol, sizeof(pol), "%s\nrule drv \"driver\" { every gpu (x-nvidia-gpu-driver-version == \"1.0\") }\n",
		 src);
	write_file(policy_path, pol);
	kill(daemon_.pid, SIGHUP);
	wait_log("reloaded", 2);
	vt_challenge(daemon_.base, nonce);
	body = vt_compose(&world, nonce, NULL);
	ans = attest_ok(body);
	free(body);
	claims = verified_claims(json_string_value(json_object_get(ans, "token")));
	assert_string_equal(submod_status(claims, "GPU-0"), "contraindicated");
	assert_string_equal(submod_status(claims, "cpu0"), "affirming");
	json_decref(claims);
	json_decref(ans);
	/* a broken policy: the reload is refused, the running policy stays */
	write_file(policy_path, "policy \"broken\" version 1\nrule x \"x\" { no-such-claim }\n");
	kill(daemon_.pid, SIGHUP);
	wait_log("reload-refused", 1);
	write_file(policy_path, src);
	kill(daemon_.pid, SIGHUP);
	wait_log("reloaded", 3);
	vt_challenge(daemon_.base, nonce);
	body = vt_compose(&world, nonce, NULL);
	ans = attest_ok(body);
	assert_string_equal(json_string_value(json_object_get(ans, "status")), "affirming");
	json_decref(ans);
	free(body);
	free(src);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_attest_affirming), cmocka_unit_test(test_attest_drifted_gpu),
		cmocka_unit_test(test_nonce_expired),    cmocka_unit_test(test_refusals),
		cmocka_unit_test(test_nras_exchange),    cmocka_unit_test(test_health_and_metrics),
		cmocka_unit_test(test_policy_reload),
	};

	if (argc != 2) {
		fprintf(stderr, "usage: test-verifierd-api CCGPU-VERIFIERD\n");
		return 2;
	}
	binary = argv[1];
	curl_global_init(CURL_GLOBAL_DEFAULT);
	return cmocka_run_group_tests(tests, setup, teardown);
}
