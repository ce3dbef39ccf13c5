/* SPDX-License-Identifier: Apache-2.0 */
/*
 * OCSP against real responders on loopback, on a fixed clock: a throw-away
 * PKI made with the openssl CLI (`openssl ca` with fixed validity: root,
 * intermediate, leaves good / revoked / on hold / unknown, a delegated OCSP
 * signer, an unrelated signer); RFC 6960 responders built here on OpenSSL's
 * OCSP API that sign every answer with the times the test sets (thisUpdate
 * T0, nextUpdate T0 + 5 min unless a test says otherwise), served over HTTP;
 * a replaying server for responses made for other requests; and one response
 * from `openssl ocsp` itself, checked at the times it carries. Every
 * verification time is injected: nothing here reads the clock. Nothing of
 * ccgpu is mocked.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <dirent.h>
#include <setjmp.h>
#include <stddef.h>
#include <cmocka.h>
#include <openssl/ocsp.h>
#include <openssl/pem.h>

#include "attest/pki/ocsp.h"
#include "common/crypto.h"
#include "common/file.h"
#include "common/http.h"
#include "http_server.h"
#include "testdata.h"

#define T0 1795305600          /* 2026-11-22T00:00:00Z: the responders' thisUpdate */
#define T_REVOKED (T0 - 86400) /* when rev.pem and hold.pem were revoked */
#define PKI_FROM "20200101000000Z"
#define PKI_UNTIL "20991231235959Z"

/* a responder: signs with signer/key for the certificates ca issued; its clock is resp_clock */
struct responder {
	const char *signer, *key, *ca; /* PEM files in dir */
	X509 *signer_cert, *ca_cert;
	EVP_PKEY *signer_key;
	struct th_http_server *server;
	bool down; /* answers HTTP 503 (under resp_clock.lock) */
};

static const char *openssl_bin;
static char *dir;
static int port_closed;
static struct responder resp_int = {"signer.pem", "signer.key", "int.pem", NULL, NULL, NULL, NULL, false};
static struct responder resp_root = {"root.pem", "root.key", "root.pem", NULL, NULL, NULL, NULL, false};
static struct responder resp_evil = {"evil.pem", "evil.key", "int.pem", NULL, NULL, NULL, NULL, false};

/* the times every responder signs; next_update 0: none */
static struct {
	pthread_mutex_t lock;
	int64_t this_update, next_update;
} resp_clock = {PTHREAD_MUTEX_INITIALIZER, T0, T0 + 300};

static void resp_clock_set(int64_t this_update, int64_t next_update)
{
	pthread_mutex_lock(&resp_clock.lock);
	resp_clock.this_update = this_update;
	resp_clock.next_update = next_update;
	pthread_mutex_unlock(&resp_clock.lock);
}

/* ---- helpers ---- */

static void sh(const char *fmt, ...) CCG_PRINTF(1, 2);
static void sh(const char *fmt, ...)
{
	char cmd[4096], full[4608];
	va_list ap;
	int rc;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	snprintf(full, sizeof(full), "cd '%s' && { %s ; } >>pki.log 2>&1", dir, cmd);
	rc = system(full);
	if (rc != 0)
		fail_msg("command failed (%d): %s (see %s/pki.log)", rc, cmd, dir);
}

static char *path_of(const char *name)
{
	static char buf[4][1024];
	static int next;
	char *p = buf[next++ % 4];

	snprintf(p, sizeof(buf[0]), "%s/%s", dir, name);
	return p;
}

static X509 *load_cert(const char *name)
{
	return td_cert_file(path_of(name));
}

static EVP_PKEY *load_key(const char *name)
{
	size_t len;
	uint8_t *pem = td_read_file(path_of(name), &len);
	BIO *b = BIO_new_mem_buf(pem, (int)len);
	EVP_PKEY *k = b != NULL ? PEM_read_bio_PrivateKey(b, NULL, NULL, NULL) : NULL;

	assert_non_null(k);
	BIO_free(b);
	free(pem);
	return k;
}

static void write_text(const char *name, const char *text)
{
	assert_int_equal(ccg_file_write_atomic(path_of(name), (const uint8_t *)text, strlen(text), NULL), CCG_OK);
}

static void write_bytes(const char *name, const uint8_t *b, size_t len)
{
	assert_int_equal(ccg_file_write_atomic(path_of(name), b, len, NULL), CCG_OK);
}

static char *url_of(int port)
{
	static char buf[2][64];
	static int next;
	char *p = buf[next++ % 2];

	snprintf(p, sizeof(buf[0]), "http://127.0.0.1:%d/", port);
	return p;
}

/* ---- the responders: RFC 6960 on OpenSSL's OCSP API, at the times of resp_clock ---- */

/* what r says of one CertID: good, revoked or on hold by serial number, unknown for anything else */
static int cert_status(const struct responder *r, OCSP_CERTID *cid, int *reason)
{
	ASN1_OBJECT *md_oid = NULL;
	ASN1_INTEGER *serial = NULL;
	OCSP_CERTID *mine = NULL;
	const EVP_MD *md;
	long sn;
	bool ours;

	*reason = -1;
	if (OCSP_id_get0_info(NULL, &md_oid, NULL, &serial, cid) != 1 || (md = EVP_get_digestbyobj(md_oid)) == NULL)
		return V_OCSP_CERTSTATUS_UNKNOWN;
	mine = OCSP_cert_id_new(md, X509_get_subject_name(r->ca_cert), X509_get0_pubkey_bitstr(r->ca_cert), serial);
	ours = mine != NULL && OCSP_id_issuer_cmp(mine, cid) == 0;
	OCSP_CERTID_free(mine);
	sn = ASN1_INTEGER_get(serial);
	if (!ours)
		return V_OCSP_CERTSTATUS_UNKNOWN;
	if (sn == 0x1001 || sn == 0x100)
		return V_OCSP_CERTSTATUS_GOOD;
	if (sn == 0x1002 || sn == 0x1003) {
		*reason = sn == 0x1002 ? OCSP_REVOKED_STATUS_KEYCOMPROMISE : OCSP_REVOKED_STATUS_CERTIFICATEHOLD;
		return V_OCSP_CERTSTATUS_REVOKED;
	}
	return V_OCSP_CERTSTATUS_UNKNOWN;
}

/*
 * ocsp_answer: r's DER OCSPResponse to a DER OCSPRequest, signed with the
 * given times (next_update 0: none), echoing the request's nonce when it has
 * one; a malformedRequest response for bytes that are not a request.
 * malloc'd; NULL only when nothing could be built.
 */
static uint8_t *ocsp_answer(const struct responder *r, const uint8_t *der, size_t len, int64_t this_update,
			    int64_t next_update, size_t *out_len)
{
	const unsigned char *p = der;
	OCSP_REQUEST *req = len <= LONG_MAX ? d2i_OCSP_REQUEST(NULL, &p, (long)len) : NULL;
	OCSP_BASICRESP *bs = NULL;
	OCSP_RESPONSE *resp = NULL;
	ASN1_TIME *tu = ASN1_TIME_set(NULL, (time_t)this_update), *nu = NULL;
	ASN1_TIME *rt = ASN1_TIME_set(NULL, (time_t)T_REVOKED);
	unsigned char *out = NULL;
	uint8_t *copy = NULL;
	int n = 0;
	bool ok = tu != NULL && rt != NULL;

	if (next_update != 0)
		ok = ok && (nu = ASN1_TIME_set(NULL, (time_t)next_update)) != NULL;
	if (ok && req == NULL) {
		resp = OCSP_response_create(OCSP_RESPONSE_STATUS_MALFORMEDREQUEST, NULL);
	} else if (ok) {
		bs = OCSP_BASICRESP_new();
		ok = bs != NULL;
		for (int i = 0; ok && i < OCSP_request_onereq_count(req); i++) {
			OCSP_CERTID *cid = OCSP_onereq_get0_id(OCSP_request_onereq_get0(req, i));
			int reason, status = cert_status(r, cid, &reason);

			ok = OCSP_basic_add1_status(bs, cid, status, reason,
						    status == V_OCSP_CERTSTATUS_REVOKED ? rt : NULL, tu, nu) != NULL;
		}
		ok = ok && OCSP_copy_nonce(bs, req) > 0;
		ok = ok && OCSP_basic_sign(bs, r->signer_cert, r->signer_key, EVP_sha256(), NULL, 0) == 1;
		resp = ok ? OCSP_response_create(OCSP_RESPONSE_STATUS_SUCCESSFUL, bs) : NULL;
	}
	if (resp != NULL && (n = i2d_OCSP_RESPONSE(resp, &out)) > 0 && (copy = malloc((size_t)n)) != NULL) {
		memcpy(copy, out, (size_t)n);
		*out_len = (size_t)n;
	}
	OPENSSL_free(out);
	OCSP_RESPONSE_free(resp);
	OCSP_BASICRESP_free(bs);
	OCSP_REQUEST_free(req);
	ASN1_TIME_free(tu);
	ASN1_TIME_free(nu);
	ASN1_TIME_free(rt);
	return copy;
}

static void responder_handle(void *ctx, const struct th_http_request *req, struct th_http_response *resp)
{
	struct responder *r = ctx;
	int64_t tu, nu;
	bool down;
	size_t len = 0;

	pthread_mutex_lock(&resp_clock.lock);
	tu = resp_clock.this_update;
	nu = resp_clock.next_update;
	down = r->down;
	pthread_mutex_unlock(&resp_clock.lock);
	if (down || strcmp(req->method, "POST") != 0) {
		resp->status = down ? 503 : 405;
		return;
	}
	resp->body = ocsp_answer(r, req->body, req->body_len, tu, nu, &len);
	resp->body_len = len;
	resp->status = resp->body != NULL ? 200 : 500;
	resp->content_type = "application/ocsp-response";
}

static void responder_load(struct responder *r)
{
	r->signer_cert = load_cert(r->signer);
	r->signer_key = load_key(r->key);
	r->ca_cert = load_cert(r->ca);
}

static void responder_set_down(struct responder *r, bool down)
{
	pthread_mutex_lock(&resp_clock.lock);
	r->down = down;
	pthread_mutex_unlock(&resp_clock.lock);
}

static void responder_free(struct responder *r)
{
	th_http_server_free(r->server);
	X509_free(r->signer_cert);
	X509_free(r->ca_cert);
	EVP_PKEY_free(r->signer_key);
	r->server = NULL;
	r->signer_cert = r->ca_cert = NULL;
	r->signer_key = NULL;
}

/* answer_file: r's response to the request in file req, at T0 .. T0 + 5 min, written to out */
static void answer_file(const struct responder *r, const char *req, const char *out)
{
	size_t len, n = 0;
	uint8_t *der = td_read_file(path_of(req), &len), *ans = ocsp_answer(r, der, len, T0, T0 + 300, &n);

	assert_non_null(ans);
	write_bytes(out, ans, n);
	free(ans);
	free(der);
}

/* ---- a replaying HTTP server: answers every POST with the bytes in canned ---- */

static struct {
	struct th_http_server *server;
	pthread_mutex_t lock;
	uint8_t *body;
	size_t body_len;
} canned = {.lock = PTHREAD_MUTEX_INITIALIZER};

static void canned_handle(void *ctx, const struct th_http_request *req, struct th_http_response *resp)
{
	(void)ctx;
	(void)req;
	resp->content_type = "application/ocsp-response";
	pthread_mutex_lock(&canned.lock);
	th_http_reply_copy(resp, canned.body, canned.body_len);
	pthread_mutex_unlock(&canned.lock);
}

static void canned_stop(void)
{
	th_http_server_free(canned.server);
	canned.server = NULL;
	free(canned.body);
	canned.body = NULL;
}

static void canned_set(const char *file)
{
	uint8_t *b;
	size_t len;

	b = td_read_file(path_of(file), &len);
	pthread_mutex_lock(&canned.lock);
	free(canned.body);
	canned.body = b;
	canned.body_len = len;
	pthread_mutex_unlock(&canned.lock);
}

/* ---- the PKI, valid 2020 .. 2099 whatever day it is made ---- */

/* issue: `openssl ca` signs csr with the CA (NULL: self-signed) into out, serial hex, extensions ext */
static void issue(const char *csr, const char *ca, const char *ca_key, const char *serial, const char *ext,
		  const char *out)
{
	write_text("ca-serial", serial);
	sh("'%s' ca -batch -config ca.cnf %s%s%s -keyfile %s -in %s -startdate " PKI_FROM " -enddate " PKI_UNTIL
	   " -extfile ext.cnf -extensions %s -notext -out %s",
	   openssl_bin, ca != NULL ? "-cert " : "-selfsign", ca != NULL ? ca : "", ca != NULL ? "" : "", ca_key, csr,
	   ext, out);
}

static void make_pki(void)
{
	char ext[2048], idx[1024];
	static const char *const k = "-newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes";
	static const struct {
		const char *file, *cn, *serial;
	} leaves[] = {
		{"good", "leaf good", "1001"},
		{"rev", "leaf revoked", "1002"},
		{"hold", "leaf hold", "1003"},
		{"unk", "leaf unknown", "1004"},
	};

	write_text("ca.cnf",
		   "[ca]\ndefault_ca = fixed\n[fixed]\ndatabase = ca-index.txt\nnew_certs_dir = .\n"
		   "serial = ca-serial\ndefault_md = sha256\npolicy = any\nunique_subject = no\n"
		   "email_in_dn = no\n[any]\ncommonName = supplied\n");
	write_text("ca-index.txt", "");
	snprintf(ext, sizeof(ext),
		 "[root]\nbasicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign,cRLSign\n"
		 "subjectKeyIdentifier=hash\n"
		 "[ca]\nbasicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign,cRLSign\n"
		 "subjectKeyIdentifier=hash\nauthorityKeyIdentifier=keyid\n"
		 "authorityInfoAccess=OCSP;URI:%s\n"
		 "[leaf]\nbasicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\n"
		 "authorityInfoAccess=OCSP;URI:%s\n"
		 "[signer]\nbasicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\n"
		 "extendedKeyUsage=critical,OCSPSigning\n"
		 "[evil]\nextendedKeyUsage=OCSPSigning\n",
		 url_of(th_http_server_port(resp_root.server)), url_of(th_http_server_port(resp_int.server)));
	write_text("ext.cnf", ext);

	sh("'%s' req -new %s -subj '/CN=Test Root' -keyout root.key -out root.csr", openssl_bin, k);
	issue("root.csr", NULL, "root.key", "0F00", "root", "root.pem");
	sh("'%s' req -new %s -subj '/CN=Test Intermediate' -keyout int.key -out int.csr", openssl_bin, k);
	issue("int.csr", "root.pem", "root.key", "0100", "ca", "int.pem");
	for (size_t i = 0; i < sizeof(leaves) / sizeof(leaves[0]); i++) {
		sh("'%s' req -new %s -subj '/CN=%s' -keyout %s.key -out %s.csr", openssl_bin, k, leaves[i].cn,
		   leaves[i].file, leaves[i].file);
		snprintf(idx, sizeof(idx), "%s.csr", leaves[i].file);
		snprintf(ext, sizeof(ext), "%s.pem", leaves[i].file);
		issue(idx, "int.pem", "int.key", leaves[i].serial, "leaf", ext);
	}
	/* the delegated responder, certified by the intermediate */
	sh("'%s' req -new %s -subj '/CN=OCSP Signer' -keyout signer.key -out signer.csr", openssl_bin, k);
	issue("signer.csr", "int.pem", "int.key", "2001", "signer", "signer.pem");
	/* a responder key nobody in this PKI certified */
	sh("'%s' req -new %s -subj '/CN=Evil Responder' -keyout evil.key -out evil.csr", openssl_bin, k);
	issue("evil.csr", NULL, "evil.key", "6666", "evil", "evil.pem");

	/* what `openssl ocsp` answers from (expiry and revocation times as index.txt's UTCTime) */
	write_text("index_int.txt",
		   "V\t461231235959Z\t\t1001\tunknown\t/CN=leaf good\n"
		   "R\t461231235959Z\t261121000000Z,keyCompromise\t1002\tunknown\t/CN=leaf revoked\n"
		   "R\t461231235959Z\t261121000000Z,certificateHold,holdInstructionReject\t1003\t"
		   "unknown\t/CN=leaf hold\n");

	responder_load(&resp_int);
	responder_load(&resp_root);
	responder_load(&resp_evil);
	/* responses made for requests that are not ours (requests from `openssl ocsp`, the client) */
	sh("'%s' ocsp -sha384 -issuer int.pem -cert good.pem -reqout req_nonce.der", openssl_bin);
	answer_file(&resp_int, "req_nonce.der", "resp_other_nonce.der");
	sh("'%s' ocsp -sha384 -no_nonce -issuer int.pem -cert good.pem -reqout req_nononce.der", openssl_bin);
	answer_file(&resp_int, "req_nononce.der", "resp_no_nonce.der");
	answer_file(&resp_evil, "req_nononce.der", "resp_evil.der");
	/* for ccg_ocsp_add_response, from `openssl ocsp` itself: SHA-1 CertIDs, signed by the intermediate */
	sh("'%s' ocsp -no_nonce -issuer int.pem -cert good.pem -cert rev.pem -reqout req_sha1.der", openssl_bin);
	sh("'%s' ocsp -index index_int.txt -rsigner int.pem -rkey int.key -CA int.pem "
	   "-reqin req_sha1.der -respout resp_sha1.der -nmin 5",
	   openssl_bin);
}

/* the thisUpdate `openssl ocsp` wrote into a response file (its clock, read from the response) */
static int64_t this_update_of(const char *file)
{
	size_t len;
	uint8_t *der = td_read_file(path_of(file), &len);
	const unsigned char *p = der;
	OCSP_RESPONSE *resp = d2i_OCSP_RESPONSE(NULL, &p, (long)len);
	OCSP_BASICRESP *bs = resp != NULL ? OCSP_response_get1_basic(resp) : NULL;
	OCSP_SINGLERESP *one = bs != NULL ? OCSP_resp_get0(bs, 0) : NULL;
	ASN1_GENERALIZEDTIME *tu = NULL;
	int64_t t = 0;

	assert_non_null(one);
	assert_true(OCSP_single_get0_status(one, NULL, NULL, &tu, NULL) >= 0 && tu != NULL);
	assert_int_equal(ccg_asn1_time_unix(tu, &t), CCG_OK);
	OCSP_BASICRESP_free(bs);
	OCSP_RESPONSE_free(resp);
	free(der);
	return t;
}

/*
 * The openssl binary: CCGPU_OPENSSL (meson's find_program) or the first on
 * PATH. Without one the test is skipped, except under CI=true, where a
 * missing tool is a failure: these checks run nowhere else.
 */
static const char *find_openssl(void)
{
	static char found[4096];
	const char *env = getenv("CCGPU_OPENSSL");
	const char *ci = getenv("CI");
	const char *path = getenv("PATH");

	if (env != NULL && env[0] != '\0' && access(env, X_OK) == 0)
		return env;
	while (path != NULL && *path != '\0') {
		size_t n = strcspn(path, ":");

		if (n > 0 && n < sizeof(found) - sizeof("/openssl")) {
			memcpy(found, path, n);
			memcpy(found + n, "/openssl", sizeof("/openssl"));
			if (access(found, X_OK) == 0)
				return found;
		}
		path = path[n] == ':' ? path + n + 1 : NULL;
	}
	if (ci != NULL && strcmp(ci, "true") == 0) {
		fprintf(stderr, "openssl binary not found under CI: refusing to skip\n");
		exit(1);
	}
	printf("1..0 # SKIP openssl binary not found (CCGPU_OPENSSL unset, none on PATH)\n");
	exit(0);
}

static int group_setup(void **state)
{
	(void)state;
	dir = td_tmpdir();
	resp_int.server = th_http_server_new(responder_handle, &resp_int);
	resp_root.server = th_http_server_new(responder_handle, &resp_root);
	resp_evil.server = th_http_server_new(responder_handle, &resp_evil);
	port_closed = th_free_port();
	make_pki();
	canned.server = th_http_server_new(canned_handle, NULL);
	return 0;
}

static int group_teardown(void **state)
{
	(void)state;
	responder_free(&resp_int);
	responder_free(&resp_root);
	responder_free(&resp_evil);
	canned_stop();
	if (getenv("CCGPU_KEEP_TMP") == NULL)
		td_rm_rf(dir);
	free(dir);
	return 0;
}

/* each test starts with the responders at T0 .. T0 + 5 min and up */
static int test_setup(void **state)
{
	(void)state;
	resp_clock_set(T0, T0 + 300);
	responder_set_down(&resp_int, false);
	return 0;
}

static struct ccg_ocsp *checker(enum ccg_ocsp_mode mode, const char *url, const char *cache_dir, int64_t max_age)
{
	struct ccg_ocsp_config c = {
		.mode = mode, .responder_url = url, .cache_dir = cache_dir, .max_age = max_age, .timeout_ms = 5000};
	struct ccg_ocsp *o = NULL;
	struct ccg_error err;

	ccg_error_clear(&err);
	assert_int_equal(ccg_ocsp_new(&c, &o, &err), CCG_OK);
	return o;
}

/* checks leaf (issued by the intermediate) with o at now; returns the status, fills r and err */
static enum ccg_status check_leaf(struct ccg_ocsp *o, const char *leaf, int64_t now, struct ccg_ocsp_cert_result *r,
				  struct ccg_error *err)
{
	X509 *cert = load_cert(leaf), *issuer = load_cert("int.pem");
	enum ccg_status st;

	ccg_error_clear(err);
	st = ccg_ocsp_check(o, cert, issuer, now, r, err);
	X509_free(cert);
	X509_free(issuer);
	return st;
}

/* checks leaf at T0 + 10 s with a new online checker that asks url (NULL: the responder in the certificate's AIA) */
static enum ccg_status check_online(const char *url, const char *leaf, struct ccg_ocsp_cert_result *r,
				    struct ccg_error *err)
{
	struct ccg_ocsp *o = checker(CCG_OCSP_MODE_ONLINE, url, NULL, 0);
	enum ccg_status st = check_leaf(o, leaf, T0 + 10, r, err);

	ccg_ocsp_free(o);
	return st;
}

/* checks good.pem at T0 + 10 s with a new online checker whose responder replays the response in file */
static enum ccg_status check_replayed(const char *file, struct ccg_ocsp_cert_result *r, struct ccg_error *err)
{
	canned_set(file);
	return check_online(url_of(th_http_server_port(canned.server)), "good.pem", r, err);
}

/* ---- cases ---- */

static void test_good_via_aia_then_memory(void **state)
{
	struct ccg_ocsp *o = checker(CCG_OCSP_MODE_ONLINE, NULL, NULL, 0);
	struct ccg_ocsp_cert_result r;
	struct ccg_error err;
	int64_t now = T0 + 10;
	uint64_t t0 = ccg_http_transfer_count();

	(void)state;
	assert_int_equal(check_leaf(o, "good.pem", now, &r, &err), CCG_OK);
	assert_int_equal(r.status, CCG_OCSP_GOOD);
	assert_false(r.from_cache);
	assert_int_equal(r.reason, -1);
	assert_int_equal(r.this_update, T0);
	assert_int_equal(r.next_update, T0 + 300);
	assert_int_equal(ccg_http_transfer_count(), t0 + 1);
	/* warm memory cache: no transfer */
	assert_int_equal(check_leaf(o, "good.pem", now + 1, &r, &err), CCG_OK);
	assert_int_equal(r.status, CCG_OCSP_GOOD);
	assert_true(r.from_cache);
	assert_int_equal(ccg_http_transfer_count(), t0 + 1);
	assert_string_equal(ccg_ocsp_status_name(r.status), "good");
	ccg_ocsp_free(o);
}

static void test_revoked(void **state)
{
	struct ccg_ocsp_cert_result r;
	struct ccg_error err;

	(void)state;
	assert_int_equal(check_online(NULL, "rev.pem", &r, &err), CCG_ERR_REVOKED);
	assert_int_equal(r.status, CCG_OCSP_REVOKED);
	assert_int_equal(r.reason, 1);
	assert_string_equal(ccg_ocsp_reason_name(r.reason), "keyCompromise");
	assert_non_null(strstr(err.detail, "keyCompromise"));
	assert_non_null(strstr(err.detail, "CN=leaf revoked"));
	assert_int_equal(r.revocation_time, T_REVOKED);
}

static void test_on_hold(void **state)
{
	struct ccg_ocsp_cert_result r;
	struct ccg_error err;

	(void)state;
	assert_int_equal(check_online(NULL, "hold.pem", &r, &err), CCG_ERR_CERT_ON_HOLD);
	assert_int_equal(r.status, CCG_OCSP_ON_HOLD);
	assert_int_equal(r.reason, 6);
	assert_string_equal(ccg_ocsp_status_name(r.status), "on-hold");
	assert_non_null(strstr(err.detail, "certificateHold"));
}

static void test_unknown(void **state)
{
	struct ccg_ocsp_cert_result r;
	struct ccg_error err;

	(void)state;
	assert_int_equal(check_online(NULL, "unk.pem", &r, &err), CCG_ERR_OCSP_UNKNOWN);
	assert_int_equal(r.status, CCG_OCSP_UNKNOWN);
}

static void test_stale_past_next_update(void **state)
{
	char *cache = td_tmpdir();
	struct ccg_ocsp *o = checker(CCG_OCSP_MODE_ONLINE, NULL, cache, 0), *off;
	struct ccg_ocsp_cert_result r;
	struct ccg_error err;
	int64_t now = T0 + 10;
	uint64_t t0;

	(void)state;
	/* the responder's nextUpdate is 5 min after thisUpdate: 10 min later even a fresh fetch is stale */
	assert_int_equal(check_leaf(o, "good.pem", now + 600, &r, &err), CCG_ERR_OCSP_STALE);
	assert_string_equal(err.where, "ocsp.next_update");
	assert_int_equal(r.status, CCG_OCSP_NOT_CHECKED);
	/* the cached answer is good now, stale in cache mode 10 min later */
	assert_int_equal(check_leaf(o, "good.pem", now, &r, &err), CCG_OK);
	off = checker(CCG_OCSP_MODE_CACHE, NULL, cache, 0);
	t0 = ccg_http_transfer_count();
	assert_int_equal(check_leaf(off, "good.pem", now + 600, &r, &err), CCG_ERR_OCSP_STALE);
	assert_int_equal(check_leaf(off, "good.pem", now + 60, &r, &err), CCG_OK);
	assert_true(r.from_cache);
	assert_int_equal(ccg_http_transfer_count(), t0);
	ccg_ocsp_free(off);
	ccg_ocsp_free(o);
	td_rm_rf(cache);
	free(cache);
}

static void test_stale_max_age(void **state)
{
	struct ccg_ocsp *o = checker(CCG_OCSP_MODE_ONLINE, NULL, NULL, 60);
	struct ccg_ocsp_cert_result r;
	struct ccg_error err;
	int64_t now = T0 + 10;
	uint64_t t0 = ccg_http_transfer_count();

	(void)state;
	assert_int_equal(check_leaf(o, "good.pem", now, &r, &err), CCG_OK);
	/* 2 min later: before nextUpdate but older than max_age, so it refetches and
	 * the new answer (thisUpdate T0 again) is still older than 60 s at now + 120 */
	assert_int_equal(check_leaf(o, "good.pem", now + 120, &r, &err), CCG_ERR_OCSP_STALE);
	assert_string_equal(err.where, "ocsp.max_age");
	assert_int_equal(ccg_http_transfer_count(), t0 + 2);
	ccg_ocsp_free(o);
}

/*
 * A response from the future: validly signed, for this request's nonce and
 * CertID, nextUpdate after it, but thisUpdate an hour after the verification
 * time (beyond the allowed skew): refused as stale, from the responder and
 * from a supplied copy alike.
 */
static void test_this_update_in_future(void **state)
{
	struct ccg_ocsp *o = checker(CCG_OCSP_MODE_ONLINE, NULL, NULL, 0);
	struct ccg_ocsp_cert_result r;
	struct ccg_error err;

	(void)state;
	resp_clock_set(T0 + 3600, T0 + 7200);
	assert_int_equal(check_leaf(o, "good.pem", T0, &r, &err), CCG_ERR_OCSP_STALE);
	assert_string_equal(err.where, "ocsp.this_update");
	assert_non_null(strstr(err.detail, "in the future"));
	assert_int_equal(r.status, CCG_OCSP_NOT_CHECKED);
	/* the same answer is good once its time has come */
	assert_int_equal(check_leaf(o, "good.pem", T0 + 3600, &r, &err), CCG_OK);
	assert_int_equal(r.this_update, T0 + 3600);
	ccg_ocsp_free(o);
	/* a revoked certificate's answer from the future is not believed either */
	o = checker(CCG_OCSP_MODE_ONLINE, NULL, NULL, 0);
	assert_int_equal(check_leaf(o, "rev.pem", T0, &r, &err), CCG_ERR_OCSP_STALE);
	assert_string_equal(err.where, "ocsp.this_update");
	ccg_ocsp_free(o);
}

static void test_missing_nonce(void **state)
{
	struct ccg_ocsp_cert_result r;
	struct ccg_error err;

	(void)state;
	assert_int_equal(check_replayed("resp_no_nonce.der", &r, &err), CCG_ERR_OCSP);
	assert_string_equal(err.where, "ocsp.nonce");
	assert_non_null(strstr(err.detail, "no nonce"));
	assert_int_equal(r.status, CCG_OCSP_NOT_CHECKED);
}

static void test_wrong_nonce(void **state)
{
	struct ccg_ocsp_cert_result r;
	struct ccg_error err;

	(void)state;
	/* validly signed, fresh, for this CertID, but made for another request's nonce */
	assert_int_equal(check_replayed("resp_other_nonce.der", &r, &err), CCG_ERR_OCSP);
	assert_string_equal(err.where, "ocsp.nonce");
	assert_non_null(strstr(err.detail, "does not match"));
}

static void test_unrelated_signer(void **state)
{
	struct ccg_ocsp *o = checker(CCG_OCSP_MODE_ONLINE, url_of(th_http_server_port(resp_evil.server)), NULL, 0);
	struct ccg_ocsp_cert_result r;
	struct ccg_error err;

	(void)state;
	assert_int_equal(check_leaf(o, "good.pem", T0 + 10, &r, &err), CCG_ERR_OCSP);
	assert_string_equal(err.where, "ocsp.signature");
	assert_int_equal(r.status, CCG_OCSP_NOT_CHECKED);
	/* also for a revoked certificate: an unverifiable "revoked" is not believed either */
	assert_int_equal(check_leaf(o, "rev.pem", T0 + 10, &r, &err), CCG_ERR_OCSP);
	ccg_ocsp_free(o);
}

static void test_unreachable(void **state)
{
	struct ccg_ocsp_cert_result r;
	struct ccg_error err;

	(void)state;
	assert_int_equal(check_online(url_of(port_closed), "good.pem", &r, &err), CCG_ERR_OCSP_UNAVAILABLE);
	assert_string_equal(err.where, "ocsp.responder");
}

static void test_cache_cold(void **state)
{
	char *cache = td_tmpdir();
	struct ccg_ocsp *o = checker(CCG_OCSP_MODE_CACHE, url_of(th_http_server_port(resp_int.server)), cache, 0);
	struct ccg_ocsp_cert_result r;
	struct ccg_error err;
	uint64_t t0 = ccg_http_transfer_count();

	(void)state;
	assert_int_equal(check_leaf(o, "good.pem", T0 + 10, &r, &err), CCG_ERR_OCSP_UNAVAILABLE);
	assert_int_equal(check_leaf(o, "rev.pem", T0 + 10, &r, &err), CCG_ERR_OCSP_UNAVAILABLE);
	assert_int_equal(ccg_http_transfer_count(), t0);
	ccg_ocsp_free(o);
	td_rm_rf(cache);
	free(cache);
}

static int list_cache(const char *cache, char names[4][NAME_MAX + 1])
{
	DIR *d = opendir(cache);
	struct dirent *e;
	int n = 0;

	assert_non_null(d);
	while ((e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.')
			continue;
		if (n < 4)
			memcpy(names[n], e->d_name, strlen(e->d_name) + 1);
		n++;
	}
	closedir(d);
	return n;
}

static void test_cache_warm_files_offline(void **state)
{
	char *cache = td_tmpdir();
	char names[4][NAME_MAX + 1], p[1200];
	struct ccg_ocsp *on = checker(CCG_OCSP_MODE_ONLINE, NULL, cache, 0), *off, *on2;
	struct ccg_ocsp_cert_result r;
	struct ccg_error err;
	int64_t now = T0 + 10;
	uint64_t t0;

	(void)state;
	assert_int_equal(check_leaf(on, "good.pem", now, &r, &err), CCG_OK);
	assert_int_equal(check_leaf(on, "rev.pem", now, &r, &err), CCG_ERR_REVOKED);
	ccg_ocsp_free(on);
	/* one file per CertID, named by the hex SHA-256 of its DER */
	assert_int_equal(list_cache(cache, names), 2);
	assert_int_equal(strlen(names[0]), 64);
	assert_int_equal(strspn(names[0], "0123456789abcdef"), 64);

	responder_set_down(&resp_int, true);
	t0 = ccg_http_transfer_count();
	off = checker(CCG_OCSP_MODE_CACHE, NULL, cache, 0);
	assert_int_equal(check_leaf(off, "good.pem", now + 30, &r, &err), CCG_OK);
	assert_int_equal(r.status, CCG_OCSP_GOOD);
	assert_true(r.from_cache);
	assert_int_equal(check_leaf(off, "rev.pem", now + 30, &r, &err), CCG_ERR_REVOKED);
	assert_int_equal(r.reason, 1);
	/* online mode with fresh files needs no responder either */
	on2 = checker(CCG_OCSP_MODE_ONLINE, NULL, cache, 0);
	assert_int_equal(check_leaf(on2, "good.pem", now + 30, &r, &err), CCG_OK);
	assert_true(r.from_cache);
	assert_int_equal(ccg_http_transfer_count(), t0);
	/* ...but a stale one is refetched, and the responder is gone */
	assert_int_equal(check_leaf(on2, "good.pem", now + 600, &r, &err), CCG_ERR_OCSP_UNAVAILABLE);
	assert_int_equal(ccg_http_transfer_count(), t0 + 1);
	ccg_ocsp_free(on2);
	ccg_ocsp_free(off);
	responder_set_down(&resp_int, false);

	/* a tampered file is refused, not trusted and not ignored */
	for (int i = 0; i < 2; i++) {
		static const uint8_t junk[] = {0x30, 0x03, 0x0a, 0x01, 0x00};

		snprintf(p, sizeof(p), "%s/%s", cache, names[i]);
		assert_int_equal(ccg_file_write_atomic(p, junk, sizeof(junk), NULL), CCG_OK);
	}
	off = checker(CCG_OCSP_MODE_CACHE, NULL, cache, 0);
	assert_int_equal(check_leaf(off, "good.pem", now, &r, &err), CCG_ERR_OCSP);
	assert_string_equal(err.where, "ocsp.cache");
	ccg_ocsp_free(off);
	td_rm_rf(cache);
	free(cache);
}

static void test_cache_file_for_other_cert(void **state)
{
	char *cache = td_tmpdir();
	char names[4][NAME_MAX + 1], a[1200], b[1200];
	struct ccg_ocsp *on = checker(CCG_OCSP_MODE_ONLINE, NULL, cache, 0), *off;
	struct ccg_ocsp_cert_result r;
	struct ccg_error err;
	uint8_t *der;
	size_t len;

	(void)state;
	assert_int_equal(check_leaf(on, "good.pem", T0 + 10, &r, &err), CCG_OK);
	ccg_ocsp_free(on);
	assert_int_equal(list_cache(cache, names), 1);
	/* the good certificate's valid response, filed under the revoked one's name */
	on = checker(CCG_OCSP_MODE_ONLINE, NULL, cache, 0);
	assert_int_equal(check_leaf(on, "rev.pem", T0 + 10, &r, &err), CCG_ERR_REVOKED);
	ccg_ocsp_free(on);
	assert_int_equal(list_cache(cache, names), 2);
	snprintf(a, sizeof(a), "%s/%s", cache, names[0]);
	snprintf(b, sizeof(b), "%s/%s", cache, names[1]);
	der = td_read_file(a, &len);
	assert_int_equal(ccg_file_write_atomic(b, der, len, NULL), CCG_OK);
	free(der);
	off = checker(CCG_OCSP_MODE_CACHE, NULL, cache, 0);
	/* one of the two now holds an answer about the other certificate */
	{
		enum ccg_status s1 = check_leaf(off, "good.pem", T0 + 10, &r, &err);
		enum ccg_status s2;
		struct ccg_error err2;

		s2 = check_leaf(off, "rev.pem", T0 + 10, &r, &err2);
		assert_true((s1 == CCG_ERR_OCSP && strcmp(err.where, "ocsp.cert_id") == 0 && s2 == CCG_ERR_REVOKED) ||
			    (s2 == CCG_ERR_OCSP && strcmp(err2.where, "ocsp.cert_id") == 0 && s1 == CCG_OK));
	}
	ccg_ocsp_free(off);
	td_rm_rf(cache);
	free(cache);
}

static void test_supplied_responses(void **state)
{
	struct ccg_ocsp *o = checker(CCG_OCSP_MODE_CACHE, NULL, NULL, 0);
	struct ccg_ocsp_cert_result r;
	struct ccg_error err;
	uint8_t *der, *big;
	size_t len;
	uint64_t t0 = ccg_http_transfer_count();
	int64_t ts = this_update_of("resp_sha1.der"); /* openssl's clock, as the response says */

	(void)state;
	/* malformed, truncated, oversized */
	ccg_error_clear(&err);
	assert_int_equal(ccg_ocsp_add_response(o, (const uint8_t *)"junk", 4, &err), CCG_ERR_OCSP);
	der = td_read_file(path_of("resp_sha1.der"), &len);
	ccg_error_clear(&err);
	assert_int_equal(ccg_ocsp_add_response(o, der, len - 1, &err), CCG_ERR_OCSP);
	big = calloc(1, 65537);
	assert_non_null(big);
	memcpy(big, der, len);
	ccg_error_clear(&err);
	assert_int_equal(ccg_ocsp_add_response(o, big, 65537, &err), CCG_ERR_OCSP);
	assert_non_null(strstr(err.detail, "maximum"));
	free(big);

	/* SHA-1 CertIDs, signed by the intermediate itself, answering two certificates */
	ccg_error_clear(&err);
	assert_int_equal(ccg_ocsp_add_response(o, der, len, &err), CCG_OK);
	free(der);
	assert_int_equal(check_leaf(o, "good.pem", ts + 10, &r, &err), CCG_OK);
	assert_true(r.from_cache);
	assert_int_equal(check_leaf(o, "rev.pem", ts + 10, &r, &err), CCG_ERR_REVOKED);
	assert_int_equal(check_leaf(o, "hold.pem", ts + 10, &r, &err), CCG_ERR_OCSP_UNAVAILABLE);
	/* supplied answers count only while fresh (openssl ocsp -nmin 5) */
	assert_int_equal(check_leaf(o, "good.pem", ts + 600, &r, &err), CCG_ERR_OCSP_STALE);
	assert_int_equal(ccg_http_transfer_count(), t0);
	ccg_ocsp_free(o);

	/* a supplied response signed by a key the issuer never certified */
	o = checker(CCG_OCSP_MODE_CACHE, NULL, NULL, 0);
	der = td_read_file(path_of("resp_evil.der"), &len);
	ccg_error_clear(&err);
	assert_int_equal(ccg_ocsp_add_response(o, der, len, &err), CCG_OK);
	free(der);
	assert_int_equal(check_leaf(o, "good.pem", T0 + 10, &r, &err), CCG_ERR_OCSP);
	assert_string_equal(err.where, "ocsp.signature");
	ccg_ocsp_free(o);

	/* supplied responses are matched by CertID: under another issuer nothing matches */
	o = checker(CCG_OCSP_MODE_CACHE, NULL, NULL, 0);
	der = td_read_file(path_of("resp_no_nonce.der"), &len);
	ccg_error_clear(&err);
	assert_int_equal(ccg_ocsp_add_response(o, der, len, &err), CCG_OK);
	free(der);
	{
		X509 *cert = load_cert("good.pem"), *wrong_issuer = load_cert("root.pem");

		ccg_error_clear(&err);
		assert_int_equal(ccg_ocsp_check(o, cert, wrong_issuer, T0 + 10, &r, &err), CCG_ERR_OCSP_UNAVAILABLE);
		X509_free(cert);
		X509_free(wrong_issuer);
	}
	assert_int_equal(check_leaf(o, "good.pem", T0 + 10, &r, &err), CCG_OK);
	ccg_ocsp_free(o);
}

/* OpenSSH-style: every byte flipped, every truncation; a revoked answer never turns into OK */
static void test_supplied_flips_and_truncations(void **state)
{
	X509 *good = load_cert("good.pem"), *rev = load_cert("rev.pem"), *issuer = load_cert("int.pem");
	uint8_t *der;
	size_t len;
	int64_t now = this_update_of("resp_sha1.der") + 10;

	(void)state;
	der = td_read_file(path_of("resp_sha1.der"), &len);
	for (size_t i = 0; i < len; i++) {
		struct ccg_ocsp *o = checker(CCG_OCSP_MODE_CACHE, NULL, NULL, 0);
		struct ccg_ocsp_cert_result r;
		enum ccg_status st;

		der[i] ^= 0x01;
		if (ccg_ocsp_add_response(o, der, len, NULL) == CCG_OK) {
			st = ccg_ocsp_check(o, rev, issuer, now, &r, NULL);
			if (st == CCG_OK)
				fail_msg("byte %zu flipped: revoked certificate reported good", i);
			st = ccg_ocsp_check(o, good, issuer, now, &r, NULL);
			if (st != CCG_OK && st != CCG_ERR_OCSP && st != CCG_ERR_OCSP_UNAVAILABLE)
				fail_msg("byte %zu flipped: good certificate got %s", i, ccg_status_name(st));
		}
		der[i] ^= 0x01;
		ccg_ocsp_free(o);
	}
	for (size_t cut = 0; cut < len; cut++) {
		struct ccg_ocsp *o = checker(CCG_OCSP_MODE_CACHE, NULL, NULL, 0);

		assert_int_equal(ccg_ocsp_add_response(o, der, cut, NULL), CCG_ERR_OCSP);
		ccg_ocsp_free(o);
	}
	free(der);
	X509_free(good);
	X509_free(rev);
	X509_free(issuer);
}

static STACK_OF(X509) *chain_of(const char *leaf)
{
	STACK_OF(X509) *sk = sk_X509_new_null();

	assert_non_null(sk);
	assert_true(sk_X509_push(sk, load_cert(leaf)) > 0);
	assert_true(sk_X509_push(sk, load_cert("int.pem")) > 0);
	assert_true(sk_X509_push(sk, load_cert("root.pem")) > 0);
	return sk;
}

static void test_chain(void **state)
{
	struct ccg_ocsp *o = checker(CCG_OCSP_MODE_ONLINE, NULL, NULL, 0), *offm;
	STACK_OF(X509) *good = chain_of("good.pem"), *rev = chain_of("rev.pem");
	struct ccg_ocsp_cert_result r;
	struct ccg_error err;
	uint64_t t0 = ccg_http_transfer_count();

	(void)state;
	/* leaf answered by the delegated signer, the intermediate by the root itself */
	ccg_error_clear(&err);
	assert_int_equal(ccg_ocsp_check_chain(o, good, T0 + 10, &r, &err), CCG_OK);
	assert_int_equal(r.status, CCG_OCSP_GOOD);
	assert_int_equal(ccg_http_transfer_count(), t0 + 2);
	ccg_error_clear(&err);
	assert_int_equal(ccg_ocsp_check_chain(o, rev, T0 + 10, &r, &err), CCG_ERR_REVOKED);
	assert_string_equal(err.where, "chain[0] (CN=leaf revoked)");
	assert_non_null(strstr(err.detail, "keyCompromise"));
	assert_int_equal(r.status, CCG_OCSP_REVOKED);
	/* the worst wins whatever its position */
	X509_free(sk_X509_delete(good, 0));
	assert_true(sk_X509_insert(good, load_cert("unk.pem"), 0) > 0);
	ccg_error_clear(&err);
	assert_int_equal(ccg_ocsp_check_chain(o, good, T0 + 10, &r, &err), CCG_ERR_OCSP_UNKNOWN);
	assert_string_equal(err.where, "chain[0] (CN=leaf unknown)");
	/* a chain whose links do not match */
	X509_free(sk_X509_delete(rev, 1));
	assert_true(sk_X509_insert(rev, load_cert("evil.pem"), 1) > 0);
	ccg_error_clear(&err);
	assert_int_not_equal(ccg_ocsp_check_chain(o, rev, T0 + 10, &r, &err), CCG_OK);
	assert_non_null(strstr(err.where, "chain[0]"));

	offm = checker(CCG_OCSP_MODE_OFF, NULL, NULL, 0);
	t0 = ccg_http_transfer_count();
	ccg_error_clear(&err);
	assert_int_equal(ccg_ocsp_check_chain(offm, rev, T0 + 10, &r, &err), CCG_OK);
	assert_int_equal(r.status, CCG_OCSP_NOT_CHECKED);
	assert_string_equal(ccg_ocsp_status_name(r.status), "not-checked");
	assert_int_equal(ccg_http_transfer_count(), t0);
	ccg_ocsp_free(offm);
	sk_X509_pop_free(good, X509_free);
	sk_X509_pop_free(rev, X509_free);
	ccg_ocsp_free(o);
}

struct worker {
	struct ccg_ocsp *o;
	X509 *cert, *issuer;
	int64_t now;
	int failures;
};

static void *work(void *arg)
{
	struct worker *w = arg;

	for (int i = 0; i < 200; i++) {
		struct ccg_ocsp_cert_result r;

		if (ccg_ocsp_check(w->o, w->cert, w->issuer, w->now, &r, NULL) != CCG_OK || !r.from_cache)
			w->failures++;
	}
	return NULL;
}

static void test_threads_warm(void **state)
{
	struct ccg_ocsp *o = checker(CCG_OCSP_MODE_ONLINE, NULL, NULL, 0);
	struct ccg_ocsp_cert_result r;
	struct ccg_error err;
	struct worker w[4];
	pthread_t t[4];
	int64_t now = T0 + 10;
	uint64_t t0;

	(void)state;
	assert_int_equal(check_leaf(o, "good.pem", now, &r, &err), CCG_OK);
	t0 = ccg_http_transfer_count();
	for (int i = 0; i < 4; i++) {
		w[i] = (struct worker){o, load_cert("good.pem"), load_cert("int.pem"), now, 0};
		assert_int_equal(pthread_create(&t[i], NULL, work, &w[i]), 0);
	}
	for (int i = 0; i < 4; i++) {
		pthread_join(t[i], NULL);
		assert_int_equal(w[i].failures, 0);
		X509_free(w[i].cert);
		X509_free(w[i].issuer);
	}
	assert_int_equal(ccg_http_transfer_count(), t0);
	ccg_ocsp_free(o);
}

static void test_config_and_args(void **state)
{
	struct ccg_ocsp_config c = {.mode = CCG_OCSP_MODE_ONLINE, .responder_url = "ftp://x"};
	struct ccg_ocsp *o = NULL;
	struct ccg_ocsp_cert_result r;
	struct ccg_error err;

	(void)state;
	ccg_error_clear(&err);
	assert_int_equal(ccg_ocsp_new(&c, &o, &err), CCG_ERR_INVALID_ARG);
	assert_null(o);
	c.responder_url = NULL;
	c.mode = (enum ccg_ocsp_mode)7;
	assert_int_equal(ccg_ocsp_new(&c, &o, NULL), CCG_ERR_INVALID_ARG);
	o = checker(CCG_OCSP_MODE_OFF, NULL, NULL, 0);
	assert_int_equal(check_leaf(o, "rev.pem", T0 + 10, &r, &err), CCG_OK);
	assert_int_equal(r.status, CCG_OCSP_NOT_CHECKED);
	ccg_ocsp_free(o);
	ccg_ocsp_free(NULL);
	assert_null(ccg_ocsp_reason_name(-1));
	assert_null(ccg_ocsp_reason_name(7));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_good_via_aia_then_memory, test_setup),
		cmocka_unit_test_setup(test_revoked, test_setup),
		cmocka_unit_test_setup(test_on_hold, test_setup),
		cmocka_unit_test_setup(test_unknown, test_setup),
		cmocka_unit_test_setup(test_stale_past_next_update, test_setup),
		cmocka_unit_test_setup(test_stale_max_age, test_setup),
		cmocka_unit_test_setup(test_this_update_in_future, test_setup),
		cmocka_unit_test_setup(test_missing_nonce, test_setup),
		cmocka_unit_test_setup(test_wrong_nonce, test_setup),
		cmocka_unit_test_setup(test_unrelated_signer, test_setup),
		cmocka_unit_test_setup(test_unreachable, test_setup),
		cmocka_unit_test_setup(test_cache_cold, test_setup),
		cmocka_unit_test_setup(test_cache_warm_files_offline, test_setup),
		cmocka_unit_test_setup(test_cache_file_for_other_cert, test_setup),
		cmocka_unit_test_setup(test_supplied_responses, test_setup),
		cmocka_unit_test_setup(test_supplied_flips_and_truncations, test_setup),
		cmocka_unit_test_setup(test_chain, test_setup),
		cmocka_unit_test_setup(test_threads_warm, test_setup),
		cmocka_unit_test_setup(test_config_and_args, test_setup),
	};

	openssl_bin = find_openssl();
	if (ccg_http_global_init() != CCG_OK)
		return 1;
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
