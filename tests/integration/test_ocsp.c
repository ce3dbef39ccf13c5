/* SPDX-License-Identifier: Apache-2.0 */
/*
 * OCSP against real responders: a throw-away PKI made with the openssl CLI
 * (root, intermediate, leaves good / revoked / on hold / unknown, a delegated
 * OCSP signer, an unrelated signer), `openssl ocsp` responders on loopback,
 * and a small HTTP server that replays responses captured for other
 * requests. Nothing of ccgpu is mocked.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <dirent.h>
#include <setjmp.h>
#include <stddef.h>
#include <cmocka.h>

#include "attest/ocsp.h"
#include "common/crypto.h"
#include "common/file.h"
#include "common/http.h"
#include "http_server.h"
#include "testdata.h"

struct responder {
	const char *name; /* log file stem */
	const char *index, *rsigner, *rkey, *ca;
	int port;
	pid_t pid;
};

static const char *openssl_bin;
static char *dir;
static int port_closed;
static struct responder resp_int = {"int", "index_int.txt", "signer.pem", "signer.key", "int.pem", 0, -1};
static struct responder resp_root = {"root", "index_root.txt", "root.pem", "root.key", "root.pem", 0, -1};
static struct responder resp_evil = {"evil", "index_int.txt", "evil.pem", "evil.key", "int.pem", 0, -1};

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

static void write_text(const char *name, const char *text)
{
	assert_int_equal(ccg_file_write_atomic(path_of(name), (const uint8_t *)text, strlen(text), NULL),
			 CCG_OK);
}

static void ymd(time_t t, char out[80])
{
	struct tm tm;

	gmtime_r(&t, &tm);
	/* index.txt holds UTCTime: two-digit years */
	snprintf(out, 80, "%02d%02d%02d%02d%02d%02dZ", tm.tm_year % 100, tm.tm_mon + 1, tm.tm_mday,
		 tm.tm_hour, tm.tm_min, tm.tm_sec);
}

/*
 * Whether the responder has bound its port: `openssl ocsp` logs "waiting for
 * OCSP client connections" once it listens. (A connect-and-close probe would
 * not do: OpenSSL 3.0's responder spins on a connection that closes before
 * sending a request line.)
 */
static bool responder_ready(const char *log)
{
	uint8_t *text = NULL;
	size_t len = 0;
	bool ready;

	if (ccg_file_read(path_of(log), 1u << 20, &text, &len, NULL) != CCG_OK)
		return false;
	ready = strstr((const char *)text, "waiting for OCSP client connections") != NULL;
	free(text);
	return ready;
}

static void responder_start(struct responder *r)
{
	char port[16], log[64];
	pid_t pid;

	snprintf(port, sizeof(port), "%d", r->port);
	snprintf(log, sizeof(log), "responder-%s.log", r->name);
	(void)unlink(path_of(log)); /* a restart must not see the last run's "waiting" line */
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		int fd;

		prctl(PR_SET_PDEATHSIG, SIGKILL); /* never outlive the test */
		if (chdir(dir) != 0)
			_exit(127);
		fd = open(log, O_WRONLY | O_CREAT | O_TRUNC, 0600);
		if (fd >= 0) {
			dup2(fd, 1);
			dup2(fd, 2);
			close(fd);
		}
		execl(openssl_bin, "openssl", "ocsp", "-index", r->index, "-port", port, "-rsigner",
		      r->rsigner, "-rkey", r->rkey, "-CA", r->ca, "-nmin", "5", (char *)NULL);
		_exit(127);
	}
	r->pid = pid;
	/* bounded wait (10 s) until it accepts connections */
	for (int i = 0; i < 200; i++) {
		int status;

		if (waitpid(pid, &status, WNOHANG) == pid) {
			r->pid = -1;
			fail_msg("openssl ocsp (%s) exited early; see %s/%s", r->name, dir, log);
		}
		if (responder_ready(log))
			return;
		usleep(50 * 1000);
	}
	fail_msg("openssl ocsp (%s) did not listen on port %d", r->name, r->port);
}

static void responder_stop(struct responder *r)
{
	int status;

	if (r->pid <= 0)
		return;
	kill(r->pid, SIGTERM);
	for (int i = 0; i < 100; i++) {
		if (waitpid(r->pid, &status, WNOHANG) == r->pid) {
			r->pid = -1;
			return;
		}
		usleep(20 * 1000);
	}
	kill(r->pid, SIGKILL);
	(void)waitpid(r->pid, &status, 0);
	r->pid = -1;
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

/* ---- the PKI ---- */

static void make_pki(void)
{
	char ext[2048], idx[1024], exp[80], rev[80];
	time_t now = time(NULL);
	static const char *const k = "-newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes";
	static const struct {
		const char *file, *cn, *serial;
	} leaves[] = {
		{"good", "leaf good", "1001"},
		{"rev", "leaf revoked", "1002"},
		{"hold", "leaf hold", "1003"},
		{"unk", "leaf unknown", "1004"},
	};

	snprintf(ext, sizeof(ext),
		 "[ca]\nbasicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign,cRLSign\n"
		 "subjectKeyIdentifier=hash\nauthorityKeyIdentifier=keyid\n"
		 "authorityInfoAccess=OCSP;URI:http://127.0.0.1:%d/\n"
		 "[leaf]\nbasicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\n"
		 "authorityInfoAccess=OCSP;URI:http://127.0.0.1:%d/\n"
		 "[signer]\nbasicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\n"
		 "extendedKeyUsage=critical,OCSPSigning\n",
		 resp_root.port, resp_int.port);
	write_text("ext.cnf", ext);

	sh("'%s' req -x509 %s -subj '/CN=Test Root' -days 30 -keyout root.key -out root.pem "
	   "-addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign",
	   openssl_bin, k);
	sh("'%s' req -new %s -subj '/CN=Test Intermediate' -keyout int.key -out int.csr", openssl_bin, k);
	sh("'%s' x509 -req -in int.csr -CA root.pem -CAkey root.key -set_serial 0x100 -days 30 "
	   "-extfile ext.cnf -extensions ca -out int.pem",
	   openssl_bin);
	for (size_t i = 0; i < sizeof(leaves) / sizeof(leaves[0]); i++) {
		sh("'%s' req -new %s -subj '/CN=%s' -keyout %s.key -out %s.csr", openssl_bin, k,
		   leaves[i].cn, leaves[i].file, leaves[i].file);
		sh("'%s' x509 -req -in %s.csr -CA int.pem -CAkey int.key -set_serial 0x%s -days 30 "
		   "-extfile ext.cnf -extensions leaf -out %s.pem",
		   openssl_bin, leaves[i].file, leaves[i].serial, leaves[i].file);
	}
	/* the delegated responder, certified by the intermediate */
	sh("'%s' req -new %s -subj '/CN=OCSP Signer' -keyout signer.key -out signer.csr", openssl_bin, k);
	sh("'%s' x509 -req -in signer.csr -CA int.pem -CAkey int.key -set_serial 0x2001 -days 30 "
	   "-extfile ext.cnf -extensions signer -out signer.pem",
	   openssl_bin);
	/* a responder key nobody in this PKI certified */
	sh("'%s' req -x509 %s -subj '/CN=Evil Responder' -days 30 -keyout evil.key -out evil.pem "
	   "-addext extendedKeyUsage=OCSPSigning",
	   openssl_bin, k);

	ymd(now + 30 * 86400, exp);
	ymd(now - 86400, rev);
	snprintf(idx, sizeof(idx),
		 "V\t%s\t\t1001\tunknown\t/CN=leaf good\n"
		 "R\t%s\t%s,keyCompromise\t1002\tunknown\t/CN=leaf revoked\n"
		 "R\t%s\t%s,certificateHold,holdInstructionReject\t1003\tunknown\t/CN=leaf hold\n",
		 exp, exp, rev, exp, rev);
	write_text("index_int.txt", idx);
	snprintf(idx, sizeof(idx), "V\t%s\t\t100\tunknown\t/CN=Test Intermediate\n", exp);
	write_text("index_root.txt", idx);

	/* responses captured offline (`openssl ocsp -reqin`) for requests that are not ours */
	sh("'%s' ocsp -sha384 -issuer int.pem -cert good.pem -reqout req_nonce.der", openssl_bin);
	sh("'%s' ocsp -index index_int.txt -rsigner signer.pem -rkey signer.key -CA int.pem "
	   "-reqin req_nonce.der -respout resp_other_nonce.der -nmin 5",
	   openssl_bin);
	sh("'%s' ocsp -sha384 -no_nonce -issuer int.pem -cert good.pem -reqout req_nononce.der",
	   openssl_bin);
	sh("'%s' ocsp -index index_int.txt -rsigner signer.pem -rkey signer.key -CA int.pem "
	   "-reqin req_nononce.der -respout resp_no_nonce.der -nmin 5",
	   openssl_bin);
	sh("'%s' ocsp -index index_int.txt -rsigner evil.pem -rkey evil.key -CA int.pem "
	   "-reqin req_nononce.der -respout resp_evil.der -nmin 5",
	   openssl_bin);
	/* for ccg_ocsp_add_response: SHA-1 CertIDs (openssl's default) */
	sh("'%s' ocsp -no_nonce -issuer int.pem -cert good.pem -cert rev.pem -reqout req_sha1.der",
	   openssl_bin);
	sh("'%s' ocsp -index index_int.txt -rsigner int.pem -rkey int.key -CA int.pem "
	   "-reqin req_sha1.der -respout resp_sha1.der -nmin 5",
	   openssl_bin);
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
	resp_int.port = th_free_port();
	resp_root.port = th_free_port();
	resp_evil.port = th_free_port();
	port_closed = th_free_port();
	make_pki();
	responder_start(&resp_int);
	responder_start(&resp_root);
	responder_start(&resp_evil);
	canned.server = th_http_server_new(canned_handle, NULL);
	return 0;
}

static int group_teardown(void **state)
{
	(void)state;
	responder_stop(&resp_int);
	responder_stop(&resp_root);
	responder_stop(&resp_evil);
	canned_stop();
	if (getenv("CCGPU_KEEP_TMP") == NULL)
		td_rm_rf(dir);
	free(dir);
	return 0;
}

static struct ccg_ocsp *checker(enum ccg_ocsp_mode mode, const char *url, const char *cache_dir,
				int64_t max_age)
{
	struct ccg_ocsp_config c = {.mode = mode, .responder_url = url, .cache_dir = cache_dir,
				    .max_age = max_age, .timeout_ms = 5000};
	struct ccg_ocsp *o = NULL;
	struct ccg_error err;

	ccg_error_clear(&err);
	assert_int_equal(ccg_ocsp_new(&c, &o, &err), CCG_OK);
	return o;
}

/* checks leaf (issued by the intermediate) with o; returns the status, fills r and err */
static enum ccg_status check_leaf(struct ccg_ocsp *o, const char *leaf, int64_t now,
				  struct ccg_ocsp_cert_result *r, struct ccg_error *err)
{
	X509 *cert = load_cert(leaf), *issuer = load_cert("int.pem");
	enum ccg_status st;

	ccg_error_clear(err);
	st = ccg_ocsp_check(o, cert, issuer, now, r, err);
	X509_free(cert);
	X509_free(issuer);
	return st;
}

static char *url_of(int port)
{
	static char buf[2][64];
	static int next;
	char *p = buf[next++ % 2];

	snprintf(p, sizeof(buf[0]), "http://127.0.0.1:%d/", port);
	return p;
}

/* checks leaf now with a new online checker that asks url (NULL: the responder in the certificate's AIA) */
static enum ccg_status check_online(const char *url, const char *leaf, struct ccg_ocsp_cert_result *r,
				    struct ccg_error *err)
{
	struct ccg_ocsp *o = checker(CCG_OCSP_MODE_ONLINE, url, NULL, 0);
	enum ccg_status st = check_leaf(o, leaf, time(NULL), r, err);

	ccg_ocsp_free(o);
	return st;
}

/* checks good.pem now with a new online checker whose responder replays the captured response in file */
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
	int64_t now = time(NULL);
	uint64_t t0 = ccg_http_transfer_count();

	(void)state;
	assert_int_equal(check_leaf(o, "good.pem", now, &r, &err), CCG_OK);
	assert_int_equal(r.status, CCG_OCSP_GOOD);
	assert_false(r.from_cache);
	assert_int_equal(r.reason, -1);
	assert_int_equal(r.next_update - r.this_update, 300);
	assert_true(r.this_update <= now + 5 && r.this_update >= now - 60);
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
	assert_true(r.revocation_time > 0 && r.revocation_time < time(NULL));
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
	int64_t now = time(NULL);
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
	int64_t now = time(NULL);
	uint64_t t0 = ccg_http_transfer_count();

	(void)state;
	assert_int_equal(check_leaf(o, "good.pem", now, &r, &err), CCG_OK);
	/* 2 min later: before nextUpdate but older than max_age, so it refetches and
	 * the new answer (thisUpdate = real now) is still older than 60 s at now + 120 */
	assert_int_equal(check_leaf(o, "good.pem", now + 120, &r, &err), CCG_ERR_OCSP_STALE);
	assert_string_equal(err.where, "ocsp.max_age");
	assert_int_equal(ccg_http_transfer_count(), t0 + 2);
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
	struct ccg_ocsp *o = checker(CCG_OCSP_MODE_ONLINE, url_of(resp_evil.port), NULL, 0);
	struct ccg_ocsp_cert_result r;
	struct ccg_error err;

	(void)state;
	assert_int_equal(check_leaf(o, "good.pem", time(NULL), &r, &err), CCG_ERR_OCSP);
	assert_string_equal(err.where, "ocsp.signature");
	assert_int_equal(r.status, CCG_OCSP_NOT_CHECKED);
	/* also for a revoked certificate: an unverifiable "revoked" is not believed either */
	assert_int_equal(check_leaf(o, "rev.pem", time(NULL), &r, &err), CCG_ERR_OCSP);
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
	struct ccg_ocsp *o = checker(CCG_OCSP_MODE_CACHE, url_of(resp_int.port), cache, 0);
	struct ccg_ocsp_cert_result r;
	struct ccg_error err;
	uint64_t t0 = ccg_http_transfer_count();

	(void)state;
	assert_int_equal(check_leaf(o, "good.pem", time(NULL), &r, &err), CCG_ERR_OCSP_UNAVAILABLE);
	assert_int_equal(check_leaf(o, "rev.pem", time(NULL), &r, &err), CCG_ERR_OCSP_UNAVAILABLE);
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
	int64_t now = time(NULL);
	uint64_t t0;

	(void)state;
	assert_int_equal(check_leaf(on, "good.pem", now, &r, &err), CCG_OK);
	assert_int_equal(check_leaf(on, "rev.pem", now, &r, &err), CCG_ERR_REVOKED);
	ccg_ocsp_free(on);
	/* one file per CertID, named by the hex SHA-256 of its DER */
	assert_int_equal(list_cache(cache, names), 2);
	assert_int_equal(strlen(names[0]), 64);
	assert_int_equal(strspn(names[0], "0123456789abcdef"), 64);

	responder_stop(&resp_int);
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
	responder_start(&resp_int);

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
	assert_int_equal(check_leaf(on, "good.pem", time(NULL), &r, &err), CCG_OK);
	ccg_ocsp_free(on);
	assert_int_equal(list_cache(cache, names), 1);
	/* the good certificate's valid response, filed under the revoked one's name */
	on = checker(CCG_OCSP_MODE_ONLINE, NULL, cache, 0);
	assert_int_equal(check_leaf(on, "rev.pem", time(NULL), &r, &err), CCG_ERR_REVOKED);
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
		enum ccg_status s1 = check_leaf(off, "good.pem", time(NULL), &r, &err);
		enum ccg_status s2;
		struct ccg_error err2;

		s2 = check_leaf(off, "rev.pem", time(NULL), &r, &err2);
		assert_true((s1 == CCG_ERR_OCSP && strcmp(err.where, "ocsp.cert_id") == 0 &&
			     s2 == CCG_ERR_REVOKED) ||
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
	assert_int_equal(check_leaf(o, "good.pem", time(NULL), &r, &err), CCG_OK);
	assert_true(r.from_cache);
	assert_int_equal(check_leaf(o, "rev.pem", time(NULL), &r, &err), CCG_ERR_REVOKED);
	assert_int_equal(check_leaf(o, "hold.pem", time(NULL), &r, &err), CCG_ERR_OCSP_UNAVAILABLE);
	/* supplied answers count only while fresh */
	assert_int_equal(check_leaf(o, "good.pem", time(NULL) + 600, &r, &err), CCG_ERR_OCSP_STALE);
	assert_int_equal(ccg_http_transfer_count(), t0);
	ccg_ocsp_free(o);

	/* a supplied response signed by a key the issuer never certified */
	o = checker(CCG_OCSP_MODE_CACHE, NULL, NULL, 0);
	der = td_read_file(path_of("resp_evil.der"), &len);
	ccg_error_clear(&err);
	assert_int_equal(ccg_ocsp_add_response(o, der, len, &err), CCG_OK);
	free(der);
	assert_int_equal(check_leaf(o, "good.pem", time(NULL), &r, &err), CCG_ERR_OCSP);
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
		assert_int_equal(ccg_ocsp_check(o, cert, wrong_issuer, time(NULL), &r, &err),
				 CCG_ERR_OCSP_UNAVAILABLE);
		X509_free(cert);
		X509_free(wrong_issuer);
	}
	assert_int_equal(check_leaf(o, "good.pem", time(NULL), &r, &err), CCG_OK);
	ccg_ocsp_free(o);
}

/* OpenSSH-style: every byte flipped, every truncation; a revoked answer never turns into OK */
static void test_supplied_flips_and_truncations(void **state)
{
	X509 *good = load_cert("good.pem"), *rev = load_cert("rev.pem"), *issuer = load_cert("int.pem");
	uint8_t *der;
	size_t len;
	int64_t now = time(NULL);

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
	assert_int_equal(ccg_ocsp_check_chain(o, good, time(NULL), &r, &err), CCG_OK);
	assert_int_equal(r.status, CCG_OCSP_GOOD);
	assert_int_equal(ccg_http_transfer_count(), t0 + 2);
	ccg_error_clear(&err);
	assert_int_equal(ccg_ocsp_check_chain(o, rev, time(NULL), &r, &err), CCG_ERR_REVOKED);
	assert_string_equal(err.where, "chain[0] (CN=leaf revoked)");
	assert_non_null(strstr(err.detail, "keyCompromise"));
	assert_int_equal(r.status, CCG_OCSP_REVOKED);
	/* the worst wins whatever its position */
	X509_free(sk_X509_delete(good, 0));
	assert_true(sk_X509_insert(good, load_cert("unk.pem"), 0) > 0);
	ccg_error_clear(&err);
	assert_int_equal(ccg_ocsp_check_chain(o, good, time(NULL), &r, &err), CCG_ERR_OCSP_UNKNOWN);
	assert_string_equal(err.where, "chain[0] (CN=leaf unknown)");
	/* a chain whose links do not match */
	X509_free(sk_X509_delete(rev, 1));
	assert_true(sk_X509_insert(rev, load_cert("evil.pem"), 1) > 0);
	ccg_error_clear(&err);
	assert_int_not_equal(ccg_ocsp_check_chain(o, rev, time(NULL), &r, &err), CCG_OK);
	assert_non_null(strstr(err.where, "chain[0]"));

	offm = checker(CCG_OCSP_MODE_OFF, NULL, NULL, 0);
	t0 = ccg_http_transfer_count();
	ccg_error_clear(&err);
	assert_int_equal(ccg_ocsp_check_chain(offm, rev, time(NULL), &r, &err), CCG_OK);
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

		if (ccg_ocsp_check(w->o, w->cert, w->issuer, w->now, &r, NULL) != CCG_OK ||
		    !r.from_cache)
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
	int64_t now = time(NULL);
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
	assert_int_equal(check_leaf(o, "rev.pem", time(NULL), &r, &err), CCG_OK);
	assert_int_equal(r.status, CCG_OCSP_NOT_CHECKED);
	ccg_ocsp_free(o);
	ccg_ocsp_free(NULL);
	assert_null(ccg_ocsp_reason_name(-1));
	assert_null(ccg_ocsp_reason_name(7));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_good_via_aia_then_memory),
		cmocka_unit_test(test_revoked),
		cmocka_unit_test(test_on_hold),
		cmocka_unit_test(test_unknown),
		cmocka_unit_test(test_stale_past_next_update),
		cmocka_unit_test(test_stale_max_age),
		cmocka_unit_test(test_missing_nonce),
		cmocka_unit_test(test_wrong_nonce),
		cmocka_unit_test(test_unrelated_signer),
		cmocka_unit_test(test_unreachable),
		cmocka_unit_test(test_cache_cold),
		cmocka_unit_test(test_cache_warm_files_offline),
		cmocka_unit_test(test_cache_file_for_other_cert),
		cmocka_unit_test(test_supplied_responses),
		cmocka_unit_test(test_supplied_flips_and_truncations),
		cmocka_unit_test(test_chain),
		cmocka_unit_test(test_threads_warm),
		cmocka_unit_test(test_config_and_args),
	};

	openssl_bin = find_openssl();
	if (ccg_http_global_init() != CCG_OK)
		return 1;
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
