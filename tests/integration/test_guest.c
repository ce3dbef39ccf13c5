/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The guest API (include/ccgpu/guest.h) end to end with real processes: a
 * ccgpu-verifierd on SQLite, ccgpu-gpusim serving two GPUs on a UNIX
 * socket, and swtpm as the vTPM whose AK the daemon trusts. The guest
 * attests with an X25519 TEE key (cnf.jwk an RFC 8037 OKP key) and with a
 * P-384 one; keeps its token and re-attests only once the injected clock
 * reaches exp minus the margin; a drifted GPU fails as
 * "guest.attest.gpu[1]" and drops the token held; no GPU device is
 * "guest.collect.gpu"; tokens for another key, over another nonce or signed
 * by a key outside the JWKS are refused, each by its named check; the
 * channel opens only to a GPU the token affirms; the verifier over a UNIX
 * socket; a release the verifier refuses is named
 * "guest.release.<secret>".
 */
#include <stdarg.h>
#include <setjmp.h>
#include <stddef.h>
#include <cmocka.h>
#include <jansson.h>
#include <jose/jose.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <fcntl.h>
#include <time.h>
#include <unistd.h>

#include "ccgpu/guest.h"
#include "common/crypto.h"
#include "common/encoding.h"
#include "gpusim/serve.h"
#include "tee_guest/guest_impl.h"
#include "token/ear.h"
#include "swtpm.h"
#include "testdata.h"
#include "vdtest.h"

#define AK_HANDLE 0x81000003u
#define TTL 600
#define MARGIN 60

static const char *binary;
static struct vt_world world;
static struct vt_daemon daemon_, tls_daemon = {.pid = -1};
static struct ts_swtpm tpm;
static char *config, *jwks, sock[600], root_pem[600];
static pid_t gpusim_pid = -1, unix_daemon = -1;
/* the guest's clock: the system's plus an offset the tests move forward (never a sleep) */
static int64_t clock_offset;

static int64_t test_clock(void *arg)
{
	(void)arg;
	return (int64_t)time(NULL) + clock_offset;
}

static void sim_start(const char *fault)
{
	if (gpusim_pid > 0) {
		kill(gpusim_pid, SIGTERM);
		waitpid(gpusim_pid, NULL, 0);
	}
	unlink(sock);
	gpusim_pid = gpusim_serve_child(world.gpusim_dir, sock, fault, GPUSIM_CE_HOST, 600);
	assert_true(gpusim_pid > 0);
}

static void sim_stop(void)
{
	if (gpusim_pid > 0) {
		kill(gpusim_pid, SIGTERM);
		waitpid(gpusim_pid, NULL, 0);
		gpusim_pid = -1;
	}
	unlink(sock);
}

static int setup(void **state)
{
	char extra[1200], st[600];
	struct vt_resp r;

	(void)state;
	if (ts_swtpm_start(&tpm) != 0)
		return -1;
	vt_world_init(&world, 2);
	snprintf(extra, sizeof(extra), "tpm_ak = %s\ntoken_ttl = %d\nmax_body = 4194304\n",
		 ts_swtpm_ak_pem(&tpm, AK_HANDLE, world.dir), TTL);
	config = vt_config_write(&world, "verifierd.conf", extra);
	snprintf(st, sizeof(st), "%s/state", world.dir);
	vt_daemon_start(&daemon_, binary, config, st, NULL);
	snprintf(sock, sizeof(sock), "%s/gpu.sock", world.dir);
	snprintf(root_pem, sizeof(root_pem), "%s/device-root.pem", world.gpusim_dir);
	sim_start(NULL);
	vt_http(daemon_.base, "GET", "/.well-known/jwks.json", NULL, NULL, 0, &r);
	assert_int_equal(r.status, 200);
	jwks = strdup(r.body);
	vt_resp_free(&r);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	sim_stop();
	if (unix_daemon > 0) {
		kill(unix_daemon, SIGTERM);
		waitpid(unix_daemon, NULL, 0);
	}
	/* a test that failed half-way leaves its daemon: it holds the TAP output open until stopped */
	if (tls_daemon.pid > 0)
		vt_daemon_stop(&tls_daemon, SIGTERM);
	vt_daemon_stop(&daemon_, SIGTERM);
	free(config);
	free(jwks);
	vt_world_free(&world);
	ts_swtpm_stop(&tpm);
	return 0;
}

static void opts_init(struct ccg_guest_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->verifier_url = daemon_.base;
	o->verifier_jwks = jwks;
	o->cpu = CCG_GUEST_CPU_TPM;
	o->tpm_tcti = tpm.tcti;
	o->tpm_ak_handle = AK_HANDLE;
	o->gpu = CCG_GUEST_GPU_GPUSIM;
	o->gpusim_socket = sock;
	o->gpu_root_file = root_pem;
	o->reattest_margin = MARGIN;
	o->clock = test_clock;
}

static struct ccg_guest *new_guest(const struct ccg_guest_opts *o, enum ccg_guest_key k)
{
	struct ccg_guest *g = NULL;
	struct ccg_error err;

	ccg_error_clear(&err);
	if (ccg_guest_new(o, &g, &err) != CCG_OK || ccg_guest_key_generate(g, k, &err) != CCG_OK)
		fail_msg("guest: %s: %s", err.where, err.detail);
	return g;
}

static void attest_ok(struct ccg_guest *g)
{
	struct ccg_error err;

	ccg_error_clear(&err);
	if (ccg_guest_attest(g, &err) != CCG_OK)
		fail_msg("attest: %s: %s (%s)", err.where, err.detail, ccg_status_name(err.status));
}

/* the claims of a token, decoded without verification (the guest verified it) */
static json_t *payload(const char *token)
{
	const char *d1 = strchr(token, '.'), *d2 = d1 != NULL ? strchr(d1 + 1, '.') : NULL;
	json_t *part, *claims;

	assert_non_null(d2);
	part = json_stringn(d1 + 1, (size_t)(d2 - d1 - 1));
	claims = jose_b64_dec_load(part);
	json_decref(part);
	assert_non_null(claims);
	return claims;
}

static void test_attest_x25519(void **state)
{
	struct ccg_guest_opts o;
	struct ccg_guest *g;
	struct ccg_error err;
	char *tok = NULL, *tok2 = NULL;
	uint8_t spki[200], raw[32];
	size_t spki_len = 0, raw_len = sizeof(raw);
	const uint8_t *p = spki;
	EVP_PKEY *pub;
	json_t *claims, *jwk;
	uint8_t x[64];

	(void)state;
	clock_offset = 0;
	opts_init(&o);
	g = new_guest(&o, CCG_GUEST_KEY_X25519);
	assert_int_equal(ccg_guest_token_exp(g), 0);
	attest_ok(g);
	assert_int_equal(ccg_guest_attestations(g), 1);
	assert_true(ccg_guest_token_exp(g) > (int64_t)time(NULL));
	ccg_error_clear(&err);
	assert_int_equal(ccg_guest_token(g, &tok, &err), CCG_OK);
	/* the token binds the X25519 key as an RFC 8037 OKP JWK */
	claims = payload(tok);
	jwk = json_object_get(json_object_get(claims, "cnf"), "jwk");
	assert_string_equal(json_string_value(json_object_get(jwk, "kty")), "OKP");
	assert_string_equal(json_string_value(json_object_get(jwk, "crv")), "X25519");
	assert_null(json_object_get(jwk, "d"));
	assert_int_equal(ccg_guest_public_key(g, spki, sizeof(spki), &spki_len, &err), CCG_OK);
	pub = d2i_PUBKEY(NULL, &p, (long)spki_len);
	assert_non_null(pub);
	assert_int_equal(EVP_PKEY_get_base_id(pub), EVP_PKEY_X25519);
	assert_int_equal(EVP_PKEY_get_raw_public_key(pub, raw, &raw_len), 1);
	assert_int_equal(jose_b64_dec_buf(json_string_value(json_object_get(jwk, "x")),
					  strlen(json_string_value(json_object_get(jwk, "x"))), x, sizeof(x)),
			 32);
	assert_memory_equal(x, raw, 32);
	assert_string_equal(json_string_value(json_object_get(claims, "ear.status")), "affirming");
	assert_non_null(json_object_get(json_object_get(claims, "submods"), "GPU-1"));
	/* kept: asked again before exp - margin, the same token, no new attestation */
	clock_offset = json_integer_value(json_object_get(claims, "exp")) - MARGIN - 1 - (int64_t)time(NULL);
	assert_int_equal(ccg_guest_token(g, &tok2, &err), CCG_OK);
	assert_string_equal(tok, tok2);
	assert_int_equal(ccg_guest_attestations(g), 1);
	EVP_PKEY_free(pub);
	json_decref(claims);
	free(tok);
	free(tok2);
	ccg_guest_free(g);
	clock_offset = 0;
}

static void test_reattest_when_due(void **state)
{
	struct ccg_guest_opts o;
	struct ccg_guest *g;
	struct ccg_error err;
	char *tok = NULL, *tok2 = NULL;
	int64_t exp;

	(void)state;
	clock_offset = 0;
	opts_init(&o);
	g = new_guest(&o, CCG_GUEST_KEY_X25519);
	attest_ok(g);
	exp = ccg_guest_token_exp(g);
	ccg_error_clear(&err);
	assert_int_equal(ccg_guest_token(g, &tok, &err), CCG_OK);
	/* the clock reaches exp - margin: the next use attests again and holds a new token */
	clock_offset = exp - MARGIN - (int64_t)time(NULL);
	if (ccg_guest_token(g, &tok2, &err) != CCG_OK)
		fail_msg("re-attest: %s: %s", err.where, err.detail);
	assert_int_equal(ccg_guest_attestations(g), 2);
	assert_string_not_equal(tok, tok2);
	/*
	 * the new token's iat is the daemon's now, not the guest's clock: verified at the guest's
	 * (later) time it is still within exp, as the daemon's TTL is longer than the jump
	 */
	assert_true(ccg_guest_token_exp(g) >= exp);
	free(tok);
	free(tok2);
	ccg_guest_free(g);
	clock_offset = 0;
}

static void test_attest_p384(void **state)
{
	struct ccg_guest_opts o;
	struct ccg_guest *g;
	struct ccg_error err;
	char *tok = NULL;
	json_t *claims, *jwk;

	(void)state;
	clock_offset = 0;
	opts_init(&o);
	g = new_guest(&o, CCG_GUEST_KEY_P384);
	attest_ok(g);
	ccg_error_clear(&err);
	assert_int_equal(ccg_guest_token(g, &tok, &err), CCG_OK);
	claims = payload(tok);
	jwk = json_object_get(json_object_get(claims, "cnf"), "jwk");
	assert_string_equal(json_string_value(json_object_get(jwk, "kty")), "EC");
	assert_string_equal(json_string_value(json_object_get(jwk, "crv")), "P-384");
	assert_null(json_object_get(jwk, "d"));
	json_decref(claims);
	free(tok);
	ccg_guest_free(g);
}

static void test_drifted_gpu(void **state)
{
	struct ccg_guest_opts o;
	struct ccg_guest *g;
	struct ccg_error err;
	char *tok = NULL;

	(void)state;
	clock_offset = 0;
	opts_init(&o);
	g = new_guest(&o, CCG_GUEST_KEY_X25519);
	attest_ok(g);
	assert_true(ccg_guest_token_exp(g) != 0);
	/* GPU 1's measurement at RIM index 5 drifts: the verifier does not affirm it, and says which */
	sim_start("drift=5@1");
	ccg_error_clear(&err);
	assert_int_equal(ccg_guest_attest(g, &err), CCG_ERR_NOT_AFFIRMED);
	assert_string_equal(err.where, "guest.attest.gpu[1]");
	assert_non_null(strstr(err.detail, "contraindicated"));
	/* nothing half-done stays usable: the token held before is gone */
	assert_int_equal(ccg_guest_token_exp(g), 0);
	ccg_error_clear(&err);
	assert_int_equal(ccg_guest_token(g, &tok, &err), CCG_ERR_NOT_AFFIRMED);
	assert_null(tok);
	assert_string_equal(err.where, "guest.attest.gpu[1]");
	ccg_guest_free(g);
}

/* after the drift test, pass or fail: the device behaves again */
static int sim_clean(void **state)
{
	(void)state;
	sim_start(NULL);
	return 0;
}

static void test_no_gpu_device(void **state)
{
	struct ccg_guest_opts o;
	struct ccg_guest *g;
	struct ccg_error err;
	char missing[700];

	(void)state;
	opts_init(&o);
	snprintf(missing, sizeof(missing), "%s/no-such.sock", world.dir);
	o.gpusim_socket = missing;
	g = new_guest(&o, CCG_GUEST_KEY_X25519);
	ccg_error_clear(&err);
	assert_int_equal(ccg_guest_attest(g, &err), CCG_ERR_IO);
	assert_string_equal(err.where, "guest.collect.gpu");
	assert_non_null(strstr(err.detail, "gpusim.socket"));
	ccg_guest_free(g);
	/* no TPM at the TCTI: the CPU step is named */
	opts_init(&o);
	o.tpm_tcti = "swtpm:host=127.0.0.1,port=1";
	g = new_guest(&o, CCG_GUEST_KEY_X25519);
	ccg_error_clear(&err);
	assert_int_not_equal(ccg_guest_attest(g, &err), CCG_OK);
	assert_string_equal(err.where, "guest.collect.cpu");
	ccg_guest_free(g);
}

/* a token the daemon issued for the test world's P-384 key (not the guest's), over nonce */
static char *foreign_token(uint8_t nonce[32])
{
	struct vt_resp r;
	char *body, *tok;
	json_t *ans;

	vt_challenge(daemon_.base, nonce);
	body = vt_compose(&world, nonce, NULL);
	vt_http(daemon_.base, "POST", "/v1/attest", "application/json", body, strlen(body), &r);
	assert_int_equal(r.status, 200);
	ans = json_loads(r.body, 0, NULL);
	assert_string_equal(json_string_value(json_object_get(ans, "status")), "affirming");
	tok = strdup(json_string_value(json_object_get(ans, "token")));
	json_decref(ans);
	vt_resp_free(&r);
	free(body);
	return tok;
}

static void test_token_checks(void **state)
{
	struct ccg_guest_opts o;
	struct ccg_guest *g;
	struct ccg_error err;
	uint8_t nonce[32];
	char *tok = foreign_token(nonce), *other_jwks;
	json_t *claims = NULL, *unverified = payload(tok);
	int64_t iat = json_integer_value(json_object_get(unverified, "iat"));
	struct ccg_ear_key *k = NULL;
	char keypath[700];

	(void)state;
	json_decref(unverified);
	opts_init(&o);
	g = new_guest(&o, CCG_GUEST_KEY_P384);
	/* a genuine, affirming token over the right nonce, bound to another key: refused */
	ccg_error_clear(&err);
	assert_int_equal(guest_token_verify(g, tok, nonce, 32, iat, &claims, &err), CCG_ERR_TOKEN_WRONG_KEY);
	assert_string_equal(err.where, "guest.attest.cnf");
	assert_null(claims);
	/* over another nonce */
	nonce[0] ^= 1;
	ccg_error_clear(&err);
	assert_int_equal(guest_token_verify(g, tok, nonce, 32, iat, &claims, &err), CCG_ERR_NONCE_MISMATCH);
	assert_string_equal(err.where, "guest.attest.nonce");
	nonce[0] ^= 1;
	/* past its exp on the guest's clock */
	ccg_error_clear(&err);
	assert_int_equal(guest_token_verify(g, tok, nonce, 32, iat + TTL, &claims, &err), CCG_ERR_TOKEN_EXPIRED);
	assert_string_equal(err.where, "guest.attest.token");
	ccg_guest_free(g);
	/* a guest that trusts another verifier's JWKS refuses this verifier's tokens, in ccg_guest_attest itself */
	snprintf(keypath, sizeof(keypath), "%s/other-ear.pem", world.dir);
	assert_int_equal(ccg_ear_key_load_or_create(keypath, &k, NULL), CCG_OK);
	{
		json_t *j = ccg_ear_key_jwks(k);

		other_jwks = json_dumps(j, JSON_COMPACT);
		json_decref(j);
	}
	assert_non_null(other_jwks);
	opts_init(&o);
	o.verifier_jwks = other_jwks;
	g = new_guest(&o, CCG_GUEST_KEY_X25519);
	ccg_error_clear(&err);
	assert_int_equal(ccg_guest_attest(g, &err), CCG_ERR_TOKEN_KEY_UNKNOWN);
	assert_string_equal(err.where, "guest.attest.token");
	assert_int_equal(ccg_guest_token_exp(g), 0);
	ccg_guest_free(g);
	ccg_ear_key_free(k);
	free(other_jwks);
	free(tok);
}

static void test_channel(void **state)
{
	struct ccg_guest_opts o;
	struct ccg_guest *g;
	struct ccg_error err;
	struct ccg_session *s = NULL;
	struct ccg_channel *ch = NULL;
	static const char msg[] = "weights row 0";
	char back[64];
	size_t n = 0;

	(void)state;
	clock_offset = 0;
	opts_init(&o);
	g = new_guest(&o, CCG_GUEST_KEY_X25519);
	/* the channel needs a token: the guest attests first */
	ccg_error_clear(&err);
	if (ccg_guest_channel_open(g, 1, NULL, &s, &ch, &err) != CCG_OK)
		fail_msg("channel: %s: %s", err.where, err.detail);
	assert_int_equal(ccg_guest_attestations(g), 1);
	assert_int_equal(ccg_channel_send(ch, msg, sizeof(msg), &err), CCG_OK);
	assert_int_equal(ccg_channel_recv(ch, back, sizeof(back), &n, &err), CCG_OK);
	assert_int_equal(n, sizeof(msg));
	assert_memory_equal(back, msg, n);
	ccg_channel_free(ch);
	ccg_session_free(s);
	/* GPU 2 was never attested (two GPUs): no channel */
	s = NULL;
	ch = NULL;
	ccg_error_clear(&err);
	assert_int_equal(ccg_guest_channel_open(g, 2, NULL, &s, &ch, &err), CCG_ERR_INVALID_ARG);
	assert_string_equal(err.where, "guest.channel.gpu[2]");
	assert_null(s);
	assert_null(ch);
	/* a device chain that does not reach the configured root: the session refuses, named */
	o.gpu_root_file = tpm.state_dir; /* not a PEM file */
	ccg_guest_free(g);
	g = new_guest(&o, CCG_GUEST_KEY_X25519);
	ccg_error_clear(&err);
	assert_int_not_equal(ccg_guest_channel_open(g, 0, NULL, &s, &ch, &err), CCG_OK);
	assert_string_equal(err.where, "guest.channel.gpu[0]");
	assert_null(s);
	assert_null(ch);
	ccg_guest_free(g);
}

/*
 * The channel goes to the GPU the token affirmed, not to any genuine GPU:
 * after the attestation, the host routes GPU 1's SPDM session to GPU 0
 * (gpusim's session-other-gpu: GPU 0's chain, valid to the same root, and
 * its key sign KEY_EXCHANGE_RSP). The session refuses it, naming the
 * certificate; GPU 0's own session still opens.
 */
static void test_channel_other_gpu(void **state)
{
	struct ccg_guest_opts o;
	struct ccg_guest *g;
	struct ccg_error err;
	struct ccg_session *s = NULL;
	struct ccg_channel *ch = NULL;

	(void)state;
	clock_offset = 0;
	opts_init(&o);
	g = new_guest(&o, CCG_GUEST_KEY_X25519);
	attest_ok(g);
	sim_start("session-other-gpu@1");
	ccg_error_clear(&err);
	assert_int_equal(ccg_guest_channel_open(g, 1, NULL, &s, &ch, &err), CCG_ERR_DEVICE_IDENTITY);
	assert_string_equal(err.where, "guest.channel.gpu[1]");
	assert_non_null(strstr(err.detail, "spdm.cert_chain.leaf"));
	assert_null(s);
	assert_null(ch);
	/* the token was not spent on it: GPU 0 answers as itself */
	assert_int_equal(ccg_guest_attestations(g), 1);
	ccg_error_clear(&err);
	if (ccg_guest_channel_open(g, 0, NULL, &s, &ch, &err) != CCG_OK)
		fail_msg("channel: %s: %s", err.where, err.detail);
	ccg_channel_free(ch);
	ccg_session_free(s);
	ccg_guest_free(g);
}

static bool accepts(const char *path)
{
	struct sockaddr_un a = {.sun_family = AF_UNIX};
	int fd;
	bool ok;

	if (strlen(path) >= sizeof(a.sun_path))
		return false;
	memcpy(a.sun_path, path, strlen(path) + 1);
	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	ok = fd >= 0 && connect(fd, (struct sockaddr *)&a, sizeof(a)) == 0;
	if (fd >= 0)
		close(fd);
	return ok;
}

/*
 * A second daemon with the same configuration and signing key (so the same
 * JWKS) listening on a UNIX socket: the guest's "unix:" verifier URL.
 */
static void test_unix_socket(void **state)
{
	struct ccg_guest_opts o;
	struct ccg_guest *g;
	struct timespec nap = {0, 20 * 1000 * 1000};
	char st[600], extra[1400], *conf, url[700], path[640];
	pid_t pid;
	int status;

	(void)state;
	clock_offset = 0;
	snprintf(st, sizeof(st), "%s/state-unix", world.dir);
	snprintf(path, sizeof(path), "%s/vd.sock", world.dir);
	snprintf(url, sizeof(url), "unix:%s", path);
	snprintf(extra, sizeof(extra), "tpm_ak = %s/ak.pem\nmax_body = 4194304\nsigning_key = %s/ear-signing-key.pem\n",
		 world.dir, daemon_.state);
	conf = vt_config_write(&world, "verifierd-unix.conf", extra);
	pid = unix_daemon = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		/* not the test's stdout: meson reads TAP from it until every holder closes it */
		int fd = open("/dev/null", O_WRONLY);

		if (fd >= 0) {
			dup2(fd, STDOUT_FILENO);
			dup2(fd, STDERR_FILENO);
			close(fd);
		}
		execl(binary, binary, "--config", conf, "--state-dir", st, "--listen", url, (char *)NULL);
		_exit(127);
	}
	/* ready once it accepts connections (the socket file appears at bind(), before listen()) */
	for (int i = 0; i < 1500 && !accepts(path); i++) { /* 30 s */
		assert_int_equal(waitpid(pid, &status, WNOHANG), 0);
		nanosleep(&nap, NULL);
	}
	opts_init(&o);
	o.verifier_url = url;
	g = new_guest(&o, CCG_GUEST_KEY_X25519);
	attest_ok(g);
	assert_int_equal(ccg_guest_attestations(g), 1);
	ccg_guest_free(g);
	kill(pid, SIGTERM);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	unix_daemon = -1;
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	free(conf);
}

/* curl's pin of a public key: "sha256//" base64(SHA-256(DER SubjectPublicKeyInfo)) */
static char *pin_of(EVP_PKEY *k)
{
	uint8_t *der = NULL, h[32];
	int n = i2d_PUBKEY(k, &der);
	char *b64, *pin = malloc(128);

	assert_true(n > 0);
	assert_int_equal(ccg_sha256(der, (size_t)n, h), CCG_OK);
	b64 = ccg_base64_encode_alloc(h, sizeof(h));
	assert_non_null(b64);
	snprintf(pin, 128, "sha256//%s", b64);
	free(b64);
	OPENSSL_free(der);
	return pin;
}

/*
 * The verifier over HTTPS (a third daemon, same signing key, a self-signed
 * certificate for 127.0.0.1): refused without its CA, accepted with it;
 * with a public-key pin, only the pinned key is accepted.
 */
static void test_https_ca_and_pin(void **state)
{
	struct ccg_guest_opts o;
	struct ccg_guest *g;
	struct ccg_error err;
	char cmd[2400], crt[640], key[640], extra[2000], st[600], url[64], *conf, *pin, *wrong;
	FILE *f;
	X509 *x;

	(void)state;
	clock_offset = 0;
	snprintf(crt, sizeof(crt), "%s/tls.crt", world.dir);
	snprintf(key, sizeof(key), "%s/tls.key", world.dir);
	snprintf(cmd, sizeof(cmd),
		 "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout '%s' -out '%s' -days 2 "
		 "-subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1 >/dev/null 2>&1",
		 key, crt);
	assert_int_equal(system(cmd), 0);
	snprintf(
		extra, sizeof(extra),
		"tpm_ak = %s/ak.pem\nmax_body = 4194304\nsigning_key = %s/ear-signing-key.pem\ntls_cert = %s\ntls_key = %s\n",
		world.dir, daemon_.state, crt, key);
	conf = vt_config_write(&world, "verifierd-tls.conf", extra);
	snprintf(st, sizeof(st), "%s/state-tls", world.dir);
	vt_daemon_start(&tls_daemon, binary, conf, st, NULL);
	snprintf(url, sizeof(url), "https://127.0.0.1:%d", tls_daemon.port);
	/* the system's CAs do not know the certificate */
	opts_init(&o);
	o.verifier_url = url;
	g = new_guest(&o, CCG_GUEST_KEY_X25519);
	ccg_error_clear(&err);
	assert_int_equal(ccg_guest_attest(g, &err), CCG_ERR_NETWORK);
	assert_string_equal(err.where, "guest.challenge");
	ccg_guest_free(g);
	/* with its CA */
	o.verifier_ca_file = crt;
	g = new_guest(&o, CCG_GUEST_KEY_X25519);
	attest_ok(g);
	ccg_guest_free(g);
	/* pinned to the certificate's key, then to another key */
	f = fopen(crt, "r");
	assert_non_null(f);
	x = PEM_read_X509(f, NULL, NULL, NULL);
	fclose(f);
	assert_non_null(x);
	pin = pin_of(X509_get0_pubkey(x));
	wrong = pin_of(world.tee);
	o.verifier_pinned_key = pin;
	g = new_guest(&o, CCG_GUEST_KEY_X25519);
	attest_ok(g);
	ccg_guest_free(g);
	o.verifier_pinned_key = wrong;
	g = new_guest(&o, CCG_GUEST_KEY_X25519);
	ccg_error_clear(&err);
	assert_int_equal(ccg_guest_attest(g, &err), CCG_ERR_NETWORK);
	assert_string_equal(err.where, "guest.challenge");
	assert_non_null(strstr(err.detail, "ublic key"));
	ccg_guest_free(g);
	assert_int_equal(vt_daemon_stop(&tls_daemon, SIGTERM), 0);
	X509_free(x);
	free(pin);
	free(wrong);
	free(conf);
}

/* a release the verifier refuses (no contract "guest-test" is registered) is named by the secret */
static void test_release_refused(void **state)
{
	struct ccg_guest_opts o;
	struct ccg_guest *g;
	struct ccg_guest_secret *s = NULL;
	struct ccg_error err;

	(void)state;
	clock_offset = 0;
	opts_init(&o);
	g = new_guest(&o, CCG_GUEST_KEY_X25519);
	ccg_error_clear(&err);
	assert_int_not_equal(ccg_guest_secret(g, "guest-test", "model-key", &s, &err), CCG_OK);
	assert_null(s);
	assert_string_equal(err.where, "guest.release.model-key");
	/* the token was fetched first: the attestation happened */
	assert_int_equal(ccg_guest_attestations(g), 1);
	ccg_guest_free(g);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_attest_x25519),   cmocka_unit_test(test_reattest_when_due),
		cmocka_unit_test(test_attest_p384),     cmocka_unit_test_teardown(test_drifted_gpu, sim_clean),
		cmocka_unit_test(test_no_gpu_device),   cmocka_unit_test(test_token_checks),
		cmocka_unit_test(test_channel),         cmocka_unit_test_teardown(test_channel_other_gpu, sim_clean),
		cmocka_unit_test(test_unix_socket),     cmocka_unit_test(test_https_ca_and_pin),
		cmocka_unit_test(test_release_refused),
	};

	if (argc < 2) {
		fprintf(stderr, "usage: %s CCGPU-VERIFIERD\n", argv[0]);
		return 2;
	}
	binary = argv[1];
	return cmocka_run_group_tests(tests, setup, teardown);
}
