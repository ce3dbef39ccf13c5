/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The verifier's own TEE (issue 14, branch vtee) against swtpm on loopback:
 * the KEK sealed to the TPM (verifier/kek_tpm.h) — sealed in one process and
 * unsealed in another, every flipped byte and truncation of the blob
 * refused, another TPM unable to unseal it, the KEK nowhere in the blob —
 * and the verifier's evidence (verifier/vevidence.h): made by the TPM's
 * quote, checked by a party with the AK read from the TPM itself, every
 * refusal named (nonce, keys altered after quoting, another AK, a flipped
 * byte anywhere, truncations, the party's policy), and the daemon's
 * GET /v1/verifier/evidence (501 without a TPM). With CCGPU_VTEE_SEED_DIR
 * set, the happy document and its AK are written there (the fuzz seeds).
 */
#include <stdarg.h>
#include <setjmp.h>
#include <stddef.h>
#include <cmocka.h>
#include <jansson.h>
#include <jose/jose.h>
#include <jose/openssl.h>
#include <openssl/bio.h>
#include <openssl/pem.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <sys/socket.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ccgpu/cpu.h"
#include "ccgpu/policy.h"
#include "common/encoding.h"
#include "common/file.h"
#include "common/json.h"
#include <signal.h>
#include "tee_guest/collect.h"
#include "token/ear.h"
#include "verifier/kek_tpm.h"
#include "verifier/release.h"
#include "verifier/vevidence.h"
#include "swtpm.h"
#include "testdata.h"
#include "vdtest.h"

#define AK_HANDLE 0x81010002u
#define DAEMON_AK_HANDLE 0x81010003u

static struct ts_swtpm tpm, other_tpm;
static const char *verifierd_bin; /* argv[1] */
static char *dir;

static int setup(void **state)
{
	(void)state;
	ts_swtpm_require();
	dir = td_tmpdir();
	if (ts_swtpm_start(&tpm) != 0 || ts_swtpm_start(&other_tpm) != 0)
		return -1;
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	ts_swtpm_stop(&tpm);
	ts_swtpm_stop(&other_tpm);
	if (dir != NULL) {
		td_rm_rf(dir);
		free(dir);
		dir = NULL;
	}
	return 0;
}

static char *path_in(const char *name)
{
	char *p = NULL;

	assert_true(asprintf(&p, "%s/%s", dir, name) > 0);
	return p;
}

static void write_file(const char *path, const uint8_t *b, size_t n)
{
	FILE *f = fopen(path, "wb");

	assert_non_null(f);
	assert_int_equal(fwrite(b, 1, n, f), n);
	assert_int_equal(fclose(f), 0);
}

/* ---- the KEK sealed to the TPM ---- */

/* ccg_kek_tpm_load in a child process; its KEK comes back through a pipe */
static enum ccg_status load_in_child(const char *path, const char *tcti, uint8_t kek[CCG_KEK_LEN])
{
	int fds[2], status = 0;
	pid_t pid;
	uint8_t buf[CCG_KEK_LEN + 1];
	ssize_t n;

	assert_int_equal(pipe(fds), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		uint8_t k[CCG_KEK_LEN];
		enum ccg_status st;

		close(fds[0]);
		st = ccg_kek_tpm_load(path, tcti, k, NULL);
		buf[0] = (uint8_t)st;
		memcpy(buf + 1, k, sizeof(k));
		_exit(write(fds[1], buf, sizeof(buf)) == (ssize_t)sizeof(buf) ? 0 : 1);
	}
	close(fds[1]);
	n = read(fds[0], buf, sizeof(buf));
	close(fds[0]);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_int_equal(n, (ssize_t)sizeof(buf));
	memcpy(kek, buf + 1, CCG_KEK_LEN);
	return (enum ccg_status)buf[0];
}

static void test_kek_seal_unseal_across_processes(void **state)
{
	char *blob_path = path_in("kek.sealed");
	uint8_t sealed[CCG_KEK_LEN], unsealed[CCG_KEK_LEN], again[CCG_KEK_LEN], zero[CCG_KEK_LEN] = {0}, *blob;
	size_t len;
	struct stat sb;
	struct ccg_error err;

	(void)state;
	/* a first process seals a new KEK (the blob did not exist) */
	assert_int_equal(load_in_child(blob_path, tpm.tcti, sealed), CCG_OK);
	assert_memory_not_equal(sealed, zero, sizeof(zero));
	assert_int_equal(stat(blob_path, &sb), 0);
	assert_int_equal(sb.st_mode & 0777, 0600);
	/* this process unseals the same bytes, and so does a third */
	ccg_error_clear(&err);
	if (ccg_kek_tpm_load(blob_path, tpm.tcti, unsealed, &err) != CCG_OK)
		fail_msg("%s: %s", err.where, err.detail);
	assert_memory_equal(sealed, unsealed, CCG_KEK_LEN);
	assert_int_equal(load_in_child(blob_path, tpm.tcti, again), CCG_OK);
	assert_memory_equal(sealed, again, CCG_KEK_LEN);
	/* a creator that lost the race to the first (the blob appeared after it looked) unseals the winner's KEK */
	memset(again, 0, sizeof(again));
	ccg_error_clear(&err);
	if (ccg_kek_tpm_create(blob_path, tpm.tcti, again, &err) != CCG_OK)
		fail_msg("%s: %s", err.where, err.detail);
	assert_memory_equal(sealed, again, CCG_KEK_LEN);
	/* the KEK is nowhere in the blob (nor any 8 bytes of it) */
	blob = td_read_file(blob_path, &len);
	assert_true(len > 0 && len <= CCG_KEK_TPM_BLOB_MAX);
	for (size_t i = 0; i + 8 <= CCG_KEK_LEN; i++)
		assert_null(memmem(blob, len, sealed + i, 8));
	free(blob);
	free(blob_path);
}

static void test_kek_blob_tampering_refused(void **state)
{
	char *good = path_in("kek.good"), *bad = path_in("kek.bad");
	uint8_t kek[CCG_KEK_LEN], *blob, *copy;
	size_t len;
	struct ccg_error err;
	bool seen_blob = false, seen_public = false, seen_load = false;

	(void)state;
	assert_int_equal(ccg_kek_tpm_load(good, tpm.tcti, kek, NULL), CCG_OK);
	blob = td_read_file(good, &len);
	copy = malloc(len + 1);
	assert_non_null(copy);
	/* every byte flipped: refused, named (the parse, the template check or the TPM's integrity check) */
	for (size_t i = 0; i < len; i++) {
		memcpy(copy, blob, len);
		copy[i] ^= 0x01;
		write_file(bad, copy, len);
		ccg_error_clear(&err);
		if (ccg_kek_tpm_load(bad, tpm.tcti, kek, &err) == CCG_OK)
			fail_msg("byte %zu of %zu flipped: unsealed", i, len);
		if (strcmp(err.where, "kek.blob") == 0)
			seen_blob = true;
		else if (strcmp(err.where, "kek.blob.public") == 0)
			seen_public = true;
		else if (strcmp(err.where, "kek.load") == 0)
			seen_load = true;
		else
			fail_msg("byte %zu: refused at %s (%s)", i, err.where, err.detail);
	}
	if (!(seen_blob && seen_public && seen_load))
		fail_msg("refusals seen: blob %d, public %d, load %d", seen_blob, seen_public, seen_load);
	/* every truncation, and one byte more */
	for (size_t n = 0; n < len; n++) {
		write_file(bad, blob, n);
		ccg_error_clear(&err);
		assert_int_equal(ccg_kek_tpm_load(bad, tpm.tcti, kek, &err), CCG_ERR_MALFORMED);
		assert_string_equal(err.where, "kek.blob");
	}
	memcpy(copy, blob, len);
	copy[len] = 0;
	write_file(bad, copy, len + 1);
	ccg_error_clear(&err);
	assert_int_equal(ccg_kek_tpm_load(bad, tpm.tcti, kek, &err), CCG_ERR_TRAILING_DATA);
	assert_string_equal(err.where, "kek.blob");
	free(copy);
	free(blob);
	free(good);
	free(bad);
}

static void test_kek_other_tpm_cannot_unseal(void **state)
{
	char *blob_path = path_in("kek.tpm1");
	uint8_t kek[CCG_KEK_LEN], other[CCG_KEK_LEN];
	struct ccg_error err;

	(void)state;
	assert_int_equal(ccg_kek_tpm_load(blob_path, tpm.tcti, kek, NULL), CCG_OK);
	/* a fresh swtpm (another storage seed) refuses the blob at TPM2_Load */
	ccg_error_clear(&err);
	assert_int_equal(ccg_kek_tpm_load(blob_path, other_tpm.tcti, other, &err), CCG_ERR_MAC);
	assert_string_equal(err.where, "kek.load");
	/* and a TCTI that leads nowhere is named as such */
	ccg_error_clear(&err);
	assert_int_not_equal(ccg_kek_tpm_load(blob_path, "swtpm:host=127.0.0.1,port=1", other, &err), CCG_OK);
	assert_string_equal(err.where, "vtpm.tcti");
	free(blob_path);
}

/*
 * A loopback relay in front of swtpm's two ports (commands on P, control on
 * P + 1, as tpm2-tss's swtpm TCTI uses them) that keeps every byte it carries,
 * both ways: what a host listening on the TPM's transport would see.
 */
#define RELAY_MAX_CONN 256

struct relay {
	int listen_fd[2], target_port;
	pthread_t thread[2];
	pthread_t pumps[RELAY_MAX_CONN];
	int fds[RELAY_MAX_CONN][2];
	size_t n_pumps;
	pthread_mutex_t lock;
	uint8_t *seen;
	size_t seen_len;
};

struct relay_arg {
	struct relay *r;
	int which;
};

static void relay_keep(struct relay *r, const uint8_t *b, size_t n)
{
	pthread_mutex_lock(&r->lock);
	r->seen = realloc(r->seen, r->seen_len + n);
	assert_non_null(r->seen);
	memcpy(r->seen + r->seen_len, b, n);
	r->seen_len += n;
	pthread_mutex_unlock(&r->lock);
}

/* one connection, both ways, until either side closes (the TCTI may open the next one first) */
static void *relay_pump(void *p)
{
	struct relay *r = ((void **)p)[0];
	int *fd = ((void **)p)[1];
	uint8_t buf[8192];

	free(p);
	for (;;) {
		struct pollfd pf[2] = {{.fd = fd[0], .events = POLLIN}, {.fd = fd[1], .events = POLLIN}};
		ssize_t n;
		int from;

		if (poll(pf, 2, -1) <= 0)
			break;
		from = (pf[0].revents & (POLLIN | POLLHUP | POLLERR)) ? 0 : 1;
		n = read(pf[from].fd, buf, sizeof(buf));
		if (n <= 0 || write(pf[1 - from].fd, buf, (size_t)n) != n)
			break;
		relay_keep(r, buf, (size_t)n);
	}
	shutdown(fd[0], SHUT_RDWR);
	shutdown(fd[1], SHUT_RDWR);
	return NULL;
}

static void *relay_run(void *p)
{
	struct relay_arg *a = p;
	struct relay *r = a->r;

	for (;;) {
		int c = accept(r->listen_fd[a->which], NULL, NULL), t;
		struct sockaddr_in to = {.sin_family = AF_INET,
					 .sin_port = htons((uint16_t)(r->target_port + a->which))};
		void **arg;

		if (c < 0)
			break;
		to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		t = socket(AF_INET, SOCK_STREAM, 0);
		if (t < 0 || connect(t, (struct sockaddr *)&to, sizeof(to)) != 0) {
			close(c);
			if (t >= 0)
				close(t);
			continue;
		}
		pthread_mutex_lock(&r->lock);
		assert_true(r->n_pumps < RELAY_MAX_CONN);
		r->fds[r->n_pumps][0] = c;
		r->fds[r->n_pumps][1] = t;
		arg = malloc(2 * sizeof(void *));
		assert_non_null(arg);
		arg[0] = r;
		arg[1] = r->fds[r->n_pumps];
		assert_int_equal(pthread_create(&r->pumps[r->n_pumps], NULL, relay_pump, arg), 0);
		r->n_pumps++;
		pthread_mutex_unlock(&r->lock);
	}
	return NULL;
}

/* a relay to swtpm t on two consecutive free loopback ports; tcti names it */
static void relay_start(struct relay *r, struct relay_arg args[2], const struct ts_swtpm *t, char *tcti, size_t len)
{
	memset(r, 0, sizeof(*r));
	pthread_mutex_init(&r->lock, NULL);
	r->target_port = t->port;
	for (int attempt = 0; attempt < 20; attempt++) {
		struct sockaddr_in a = {.sin_family = AF_INET};
		socklen_t al = sizeof(a);
		int port;

		a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		r->listen_fd[0] = socket(AF_INET, SOCK_STREAM, 0);
		r->listen_fd[1] = socket(AF_INET, SOCK_STREAM, 0);
		assert_true(r->listen_fd[0] >= 0 && r->listen_fd[1] >= 0);
		assert_int_equal(bind(r->listen_fd[0], (struct sockaddr *)&a, sizeof(a)), 0);
		assert_int_equal(getsockname(r->listen_fd[0], (struct sockaddr *)&a, &al), 0);
		port = ntohs(a.sin_port);
		a.sin_port = htons((uint16_t)(port + 1));
		if (port < 65535 && bind(r->listen_fd[1], (struct sockaddr *)&a, sizeof(a)) == 0) {
			assert_int_equal(listen(r->listen_fd[0], 4), 0);
			assert_int_equal(listen(r->listen_fd[1], 4), 0);
			snprintf(tcti, len, "swtpm:host=127.0.0.1,port=%d", port);
			for (int i = 0; i < 2; i++) {
				args[i].r = r;
				args[i].which = i;
				assert_int_equal(pthread_create(&r->thread[i], NULL, relay_run, &args[i]), 0);
			}
			return;
		}
		close(r->listen_fd[0]);
		close(r->listen_fd[1]);
	}
	fail_msg("no two consecutive loopback ports for the relay");
}

static void relay_stop(struct relay *r)
{
	for (int i = 0; i < 2; i++) {
		shutdown(r->listen_fd[i], SHUT_RDWR);
		pthread_join(r->thread[i], NULL);
		close(r->listen_fd[i]);
	}
	for (size_t i = 0; i < r->n_pumps; i++) {
		shutdown(r->fds[i][0], SHUT_RDWR);
		pthread_join(r->pumps[i], NULL);
		close(r->fds[i][0]);
		close(r->fds[i][1]);
	}
	pthread_mutex_destroy(&r->lock);
}

static void test_kek_never_crosses_the_transport_in_clear(void **state)
{
	char *blob_path = path_in("kek.relayed"), tcti[128];
	uint8_t sealed[CCG_KEK_LEN], unsealed[CCG_KEK_LEN], *blob;
	size_t len;
	struct relay r;
	struct relay_arg args[2];
	struct ccg_error err;

	(void)state;
	relay_start(&r, args, &tpm, tcti, sizeof(tcti));
	/* sealed and then unsealed (in another process) through the relay */
	ccg_error_clear(&err);
	if (ccg_kek_tpm_load(blob_path, tcti, sealed, &err) != CCG_OK)
		fail_msg("%s: %s", err.where, err.detail);
	assert_int_equal(load_in_child(blob_path, tcti, unsealed), CCG_OK);
	assert_memory_equal(sealed, unsealed, CCG_KEK_LEN);
	relay_stop(&r);
	/* the relay saw the traffic: the sealed object's public area goes to TPM2_Load in the clear */
	blob = td_read_file(blob_path, &len);
	assert_true(len > 64 && r.seen_len > 1000);
	assert_non_null(memmem(r.seen, r.seen_len, blob + 2, 32));
	/* and never the KEK, nor any 8 bytes of it, either way */
	for (size_t i = 0; i + 8 <= CCG_KEK_LEN; i++)
		assert_null(memmem(r.seen, r.seen_len, sealed + i, 8));
	free(r.seen);
	free(blob);
	free(blob_path);
}

/* ---- the verifier's evidence ---- */

struct keys {
	struct ccg_ear_key *ear;
	EVP_PKEY *upload_key;
	json_t *upload_jwk;
	json_t *jwks;        /* the EAR key's JWKS */
	const json_t *token; /* its key (borrowed from jwks) */
};

static void keys_init(struct keys *k, const char *name)
{
	char *p = path_in(name);

	assert_int_equal(ccg_ear_key_load_or_create(p, &k->ear, NULL), CCG_OK);
	assert_int_equal(vd_upload_key_make(&k->upload_key, &k->upload_jwk, NULL), CCG_OK);
	k->jwks = ccg_ear_key_jwks(k->ear);
	k->token = json_array_get(json_object_get(k->jwks, "keys"), 0);
	assert_non_null(k->token);
	free(p);
}

static void keys_free(struct keys *k)
{
	json_decref(k->jwks);
	ccg_ear_key_free(k->ear);
	EVP_PKEY_free(k->upload_key);
	json_decref(k->upload_jwk);
}

/* the PEM of the AK at AK_HANDLE of t, as read from that TPM (malloc'd) */
static char *ak_pem(const struct ts_swtpm *t)
{
	EVP_PKEY *k = NULL;
	BIO *b = BIO_new(BIO_s_mem());
	char *data = NULL, *out;
	long n;

	assert_int_equal(ccg_vtpm_ak_ensure(t->tcti, AK_HANDLE, NULL, NULL), CCG_OK);
	assert_int_equal(ccg_vtpm_ak_public(t->tcti, AK_HANDLE, &k, NULL), CCG_OK);
	assert_int_equal(PEM_write_bio_PUBKEY(b, k), 1);
	n = BIO_get_mem_data(b, &data);
	out = strndup(data, (size_t)n);
	BIO_free(b);
	EVP_PKEY_free(k);
	return out;
}

static struct ccg_cpu_verifier *party_verifier(const char *pem)
{
	struct ccg_cpu_verifier *cv = NULL;

	assert_int_equal(ccg_cpu_verifier_new(&cv), CCG_OK);
	assert_int_equal(ccg_cpu_verifier_set_tpm_ak(cv, (const uint8_t *)pem, strlen(pem), NULL), CCG_OK);
	return cv;
}

static char *make_doc(const struct ts_swtpm *t, const uint8_t nonce[32], const json_t *token, const json_t *upload)
{
	json_t *doc = NULL;
	struct ccg_error err;
	char *s;

	ccg_error_clear(&err);
	if (ccg_vevidence_make(nonce, token, upload, t->tcti, AK_HANDLE, &doc, &err) != CCG_OK)
		fail_msg("%s: %s", err.where, err.detail);
	s = json_dumps(doc, JSON_COMPACT);
	json_decref(doc);
	return s;
}

/* the check's status and where (into where, may be NULL) */
static enum ccg_status check(const char *doc, const uint8_t nonce[32], struct ccg_cpu_verifier *cv,
			     const struct ccg_policy *pol, char *where)
{
	json_t *t = NULL, *u = NULL;
	struct ccg_error err;
	enum ccg_status st;

	ccg_error_clear(&err);
	st = ccg_vevidence_check((const uint8_t *)doc, strlen(doc), nonce, cv, pol, 0, &t, &u, &err);
	if (st == CCG_OK)
		assert_true(t != NULL && u != NULL);
	else
		assert_true(t == NULL && u == NULL && err.status == st);
	if (where != NULL)
		snprintf(where, CCG_ERROR_WHERE_MAX, "%s", err.where);
	json_decref(t);
	json_decref(u);
	return st;
}

/* doc with a change made by edit on its parsed form, re-serialised */
static char *edited(const char *doc, void (*edit)(json_t *d, void *arg), void *arg)
{
	json_t *d = json_loads(doc, 0, NULL);
	char *s;

	assert_non_null(d);
	edit(d, arg);
	s = json_dumps(d, JSON_COMPACT);
	json_decref(d);
	return s;
}

static void set_upload(json_t *d, void *arg)
{
	json_object_set(json_object_get(d, "keys"), "upload", (json_t *)arg);
}

static void set_token(json_t *d, void *arg)
{
	json_object_set(json_object_get(d, "keys"), "token", (json_t *)arg);
}

/* the attacker also recomputes the document's binding for its keys: the quote still holds the old one */
static void set_upload_rebind(json_t *d, void *arg)
{
	uint8_t nonce[32], b[48];
	const char *hex = json_string_value(json_object_get(d, "nonce"));

	json_object_set(json_object_get(d, "keys"), "upload", (json_t *)arg);
	assert_int_equal(ccg_hex_decode_fixed(hex, strlen(hex), nonce, 32), CCG_OK);
	assert_int_equal(ccg_vevidence_binding(nonce, json_object_get(json_object_get(d, "keys"), "token"),
					       (json_t *)arg, b, NULL),
			 CCG_OK);
	assert_int_equal(ccg_json_set_hex(d, "binding", b, sizeof(b)), CCG_OK);
}

/* the keys swapped, their use/alg made to pass the shape checks: only the binding catches it */
static void swap_keys(json_t *d, void *arg)
{
	json_t *keys = json_object_get(d, "keys");
	json_t *t = json_deep_copy(json_object_get(keys, "token")),
	       *u = json_deep_copy(json_object_get(keys, "upload"));

	(void)arg;
	json_object_set_new(t, "use", json_string("enc"));
	json_object_set_new(t, "alg", json_string(CCG_VEVIDENCE_UPLOAD_ALG));
	json_object_set_new(u, "use", json_string("sig"));
	json_object_set_new(u, "alg", json_string("ES384"));
	json_object_set_new(keys, "token", u);
	json_object_set_new(keys, "upload", t);
}

static void set_member(json_t *d, void *arg)
{
	const char **kv = arg;

	json_object_set_new(d, kv[0], json_loads(kv[1], JSON_DECODE_ANY, NULL));
}

static void set_cpu_ak(json_t *d, void *arg)
{
	json_object_set_new(json_object_get(d, "cpu"), "ak_public", json_string((const char *)arg));
}

/* doc changed by edit is refused by the check with st at where */
static void refused_edit(const char *doc, void (*edit)(json_t *d, void *arg), void *arg, const uint8_t nonce[32],
			 struct ccg_cpu_verifier *cv, enum ccg_status st, const char *where)
{
	char *bad = edited(doc, edit, arg), got[CCG_ERROR_WHERE_MAX];

	assert_int_equal(check(bad, nonce, cv, NULL, got), st);
	assert_string_equal(got, where);
	free(bad);
}

/* a JWK of key with kid = its thumbprint, and use/alg */
static json_t *jwk_of(EVP_PKEY *key, const char *use, const char *alg)
{
	json_t *j = jose_openssl_jwk_from_EVP_PKEY(NULL, key), *thp;

	assert_non_null(j);
	assert_true(jose_jwk_pub(NULL, j));
	thp = jose_jwk_thp(NULL, j, "S256");
	assert_non_null(thp);
	json_object_set_new(j, "kid", thp);
	json_object_set_new(j, "use", json_string(use));
	json_object_set_new(j, "alg", json_string(alg));
	return j;
}

/* a document quoted over (token, upload) must be refused at where with st */
static void refused_shape(const uint8_t nonce[32], const json_t *token, const json_t *upload,
			  struct ccg_cpu_verifier *cv, enum ccg_status st, const char *where)
{
	char *doc = make_doc(&tpm, nonce, token, upload), got[CCG_ERROR_WHERE_MAX];

	assert_int_equal(check(doc, nonce, cv, NULL, got), st);
	assert_string_equal(got, where);
	free(doc);
}

static void key_shapes(const uint8_t nonce[32], const struct keys *k, struct ccg_cpu_verifier *cv)
{
	EVP_PKEY *p256 = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	json_t *small = jwk_of(p256, "sig", "ES384"), *up = json_deep_copy(k->upload_jwk), *thp;
	const char *y;
	char *y2;

	/* a P-256 token key */
	refused_shape(nonce, small, up, cv, CCG_ERR_UNSUPPORTED, "vevidence.keys.token");
	/* the token key marked for encryption */
	{
		json_t *t = json_deep_copy(k->token);

		json_object_del(t, "x5c");
		json_object_set_new(t, "use", json_string("enc"));
		refused_shape(nonce, t, up, cv, CCG_ERR_UNSUPPORTED, "vevidence.keys.token");
		json_decref(t);
	}
	/* an upload key of another suite, or without its alg */
	json_object_set_new(up, "alg", json_string("HPKE-X25519-SHA256-AES128GCM"));
	refused_shape(nonce, k->token, up, cv, CCG_ERR_UNSUPPORTED, "vevidence.keys.upload");
	json_object_del(up, "alg");
	refused_shape(nonce, k->token, up, cv, CCG_ERR_UNSUPPORTED, "vevidence.keys.upload");
	json_object_set_new(up, "alg", json_string(CCG_VEVIDENCE_UPLOAD_ALG));
	/* a kid that is not the key's thumbprint */
	json_object_set_new(up, "kid", json_string("upload-key-1"));
	refused_shape(nonce, k->token, up, cv, CCG_ERR_MALFORMED, "vevidence.keys.upload");
	/* a point off the curve (its kid the thumbprint of what is written) */
	y = json_string_value(json_object_get(up, "y"));
	y2 = strdup(y);
	y2[5] = y2[5] == 'A' ? 'B' : 'A';
	json_object_set_new(up, "y", json_string(y2));
	thp = jose_jwk_thp(NULL, up, "S256");
	json_object_set_new(up, "kid", thp);
	refused_shape(nonce, k->token, up, cv, CCG_ERR_MALFORMED, "vevidence.keys.upload");
	free(y2);
	json_decref(up);
	json_decref(small);
	EVP_PKEY_free(p256);
}

static void test_vevidence(void **state)
{
	struct keys k, other;
	uint8_t nonce[32], nonce2[32];
	char *pem = ak_pem(&tpm), *other_pem = ak_pem(&other_tpm), *doc, *bad, where[CCG_ERROR_WHERE_MAX];
	struct ccg_cpu_verifier *cv = party_verifier(pem), *cv_other = party_verifier(other_pem);
	json_t *t = NULL, *u = NULL, *d;
	struct ccg_error err;
	const char *seed_dir = getenv("CCGPU_VTEE_SEED_DIR");

	(void)state;
	keys_init(&k, "ear1.pem");
	keys_init(&other, "ear2.pem");
	for (size_t i = 0; i < sizeof(nonce); i++)
		nonce[i] = (uint8_t)i;
	memcpy(nonce2, nonce, sizeof(nonce));
	nonce2[31] ^= 0x80;
	doc = make_doc(&tpm, nonce, k.token, k.upload_jwk);
	if (seed_dir != NULL) {
		char p[4096];

		snprintf(p, sizeof(p), "%s/valid.json", seed_dir);
		write_file(p, (const uint8_t *)doc, strlen(doc));
		snprintf(p, sizeof(p), "%s/ak.pem", seed_dir);
		write_file(p, (const uint8_t *)pem, strlen(pem));
	}

	/* the happy path: the keys come back as bound, without the JWKS's x5c */
	ccg_error_clear(&err);
	if (ccg_vevidence_check((const uint8_t *)doc, strlen(doc), nonce, cv, NULL, 0, &t, &u, &err) != CCG_OK)
		fail_msg("%s: %s", err.where, err.detail);
	assert_string_equal(json_string_value(json_object_get(t, "kid")), ccg_ear_key_kid(k.ear));
	assert_string_equal(json_string_value(json_object_get(t, "x")),
			    json_string_value(json_object_get(k.token, "x")));
	assert_null(json_object_get(t, "x5c"));
	assert_true(json_equal(u, (json_t *)k.upload_jwk));
	json_decref(t);
	json_decref(u);

	/* the nonce not echoed: another nonce of the party's */
	assert_int_equal(check(doc, nonce2, cv, NULL, where), CCG_ERR_NONCE_MISMATCH);
	assert_string_equal(where, "vevidence.nonce");
	/* evidence made for another nonce, its nonce member rewritten to the party's */
	{
		char *old = make_doc(&tpm, nonce2, k.token, k.upload_jwk);
		char hex[65];
		const char *kv[2] = {"nonce", NULL};
		char lit[80];

		ccg_hex_encode(nonce, 32, hex);
		snprintf(lit, sizeof(lit), "\"%s\"", hex);
		kv[1] = lit;
		refused_edit(old, set_member, kv, nonce, cv, CCG_ERR_NONCE_MISMATCH, "vevidence.binding");
		free(old);
	}
	/* the upload key replaced after quoting */
	refused_edit(doc, set_upload, (void *)other.upload_jwk, nonce, cv, CCG_ERR_NONCE_MISMATCH, "vevidence.binding");
	/* ... with the binding recomputed for it: the quote's extraData still says otherwise */
	refused_edit(doc, set_upload_rebind, (void *)other.upload_jwk, nonce, cv, CCG_ERR_NONCE_MISMATCH,
		     "tpm.extra_data");
	/* the token key replaced */
	{
		json_t *tok = json_deep_copy(other.token);

		json_object_del(tok, "x5c");
		refused_edit(doc, set_token, tok, nonce, cv, CCG_ERR_NONCE_MISMATCH, "vevidence.binding");
		json_decref(tok);
	}
	/* a key member the binding does not cover (the JWKS's x5c), or a private one: refused */
	{
		json_t *tok = json_deep_copy(k.token), *up = json_deep_copy(k.upload_jwk);

		json_object_set_new(up, "d", json_string("AAAA"));
		assert_non_null(json_object_get(tok, "x5c"));
		refused_edit(doc, set_token, tok, nonce, cv, CCG_ERR_MALFORMED, "vevidence.keys.token");
		refused_edit(doc, set_upload, up, nonce, cv, CCG_ERR_MALFORMED, "vevidence.keys.upload");
		json_decref(tok);
		json_decref(up);
	}
	/* keys of the wrong shape, quoted as they are by a verifier: only the shape checks refuse them */
	key_shapes(nonce, &k, cv);
	/* the keys swapped (shapes made to pass) */
	refused_edit(doc, swap_keys, NULL, nonce, cv, CCG_ERR_NONCE_MISMATCH, "vevidence.binding");
	/* quoted by another TPM's AK: the party trusts only the verifier's */
	{
		char *foreign = make_doc(&other_tpm, nonce, k.token, k.upload_jwk);
		json_t *fd = json_loads(foreign, 0, NULL);
		const char *our_ak;

		assert_int_equal(check(foreign, nonce, cv, NULL, where), CCG_ERR_CERT_UNTRUSTED);
		assert_string_equal(where, "cpu.ak_public");
		assert_int_equal(check(foreign, nonce, cv_other, NULL, NULL), CCG_OK);
		/* the trusted AK's public key written in, the other AK's signature kept */
		d = json_loads(doc, 0, NULL);
		our_ak = json_string_value(json_object_get(json_object_get(d, "cpu"), "ak_public"));
		refused_edit(foreign, set_cpu_ak, (void *)our_ak, nonce, cv, CCG_ERR_SIGNATURE, "tpm.signature");
		json_decref(d);
		json_decref(fd);
		free(foreign);
	}
	/* the version and the members */
	{
		const char *v2[2] = {"ccgpu-verifier-evidence", "2"}, *extra[2] = {"extra", "1"},
			   *nocpu[2] = {"cpu", "[]"};

		refused_edit(doc, set_member, v2, nonce, cv, CCG_ERR_UNSUPPORTED, "vevidence.version");
		refused_edit(doc, set_member, extra, nonce, cv, CCG_ERR_MALFORMED, "vevidence");
		refused_edit(doc, set_member, nocpu, nonce, cv, CCG_ERR_MALFORMED, "vevidence.cpu");
	}
	/* over the size a party reads: refused before parsing (the valid document padded with spaces) */
	{
		size_t n = strlen(doc), big = CCG_VEVIDENCE_MAX + 1;

		bad = malloc(big + 1);
		assert_non_null(bad);
		memcpy(bad, doc, n);
		memset(bad + n, ' ', big - n);
		bad[big] = '\0';
		assert_int_equal(check(bad, nonce, cv, NULL, where), CCG_ERR_TOO_LARGE);
		assert_string_equal(where, "vevidence");
		bad[CCG_VEVIDENCE_MAX] = '\0'; /* at the limit: accepted */
		assert_int_equal(check(bad, nonce, cv, NULL, NULL), CCG_OK);
		free(bad);
	}
	/* every byte flipped: refused (every byte is bound or checked) */
	{
		size_t n = strlen(doc);

		bad = strdup(doc);
		for (size_t i = 0; i < n; i++) {
			bad[i] ^= 0x01;
			if (check(bad, nonce, cv, NULL, where) == CCG_OK)
				fail_msg("byte %zu ('%c') flipped was accepted", i, doc[i]);
			bad[i] = doc[i];
		}
		/* every truncation */
		for (size_t i = 0; i < n; i++) {
			bad[i] = '\0';
			assert_int_not_equal(check(bad, nonce, cv, NULL, NULL), CCG_OK);
			bad[i] = doc[i];
		}
		free(bad);
	}
	/* the party's own policy on the verifier's CPU claims */
	{
		static const char allow[] =
			"policy \"verifier\" version 1\n"
			"rule tpm \"a TPM quote over SHA-256\" { ccgpu-cpu-tee == \"tpm\" and "
			"tpm-pcr-bank == \"sha256\" and exists tpm-pcrs.23 }\n";
		static const char deny[] =
			"policy \"verifier\" version 1\n"
			"rule boot \"the verifier's measured boot\" { tpm-pcrs.0 == "
			"\"1111111111111111111111111111111111111111111111111111111111111111\" }\n";
		struct ccg_policy *pa = NULL, *pd = NULL;

		assert_int_equal(ccg_policy_parse(allow, strlen(allow), &pa, NULL), CCG_OK);
		assert_int_equal(ccg_policy_parse(deny, strlen(deny), &pd, NULL), CCG_OK);
		assert_int_equal(check(doc, nonce, cv, pa, NULL), CCG_OK);
		assert_int_equal(check(doc, nonce, cv, pd, where), CCG_ERR_POLICY);
		assert_string_equal(where, "boot");
		ccg_policy_free(pa);
		ccg_policy_free(pd);
	}
	/* the binding itself: defined over the label, the nonce and both thumbprints, in that order */
	{
		uint8_t b1[48], b2[48];
		json_t *empty;

		assert_int_equal(ccg_vevidence_binding(nonce, k.token, k.upload_jwk, b1, NULL), CCG_OK);
		assert_int_equal(ccg_vevidence_binding(nonce, k.upload_jwk, k.token, b2, NULL), CCG_OK);
		assert_memory_not_equal(b1, b2, 48);
		assert_int_equal(ccg_vevidence_binding(nonce2, k.token, k.upload_jwk, b2, NULL), CCG_OK);
		assert_memory_not_equal(b1, b2, 48);
		ccg_error_clear(&err);
		empty = json_object();
		assert_int_equal(ccg_vevidence_binding(nonce, empty, k.upload_jwk, b2, &err), CCG_ERR_MALFORMED);
		json_decref(empty);
		assert_string_equal(err.where, "vevidence.keys.token");
	}
	ccg_cpu_verifier_free(cv);
	ccg_cpu_verifier_free(cv_other);
	keys_free(&k);
	keys_free(&other);
	free(doc);
	free(pem);
	free(other_pem);
}

/* ---- the daemon's route ---- */

static char *write_config(const char *name, const char *extra)
{
	char *p = path_in(name), text[1024];

	snprintf(text, sizeof(text), "listen = 127.0.0.1:0\n%s", extra != NULL ? extra : "");
	write_file(p, (const uint8_t *)text, strlen(text));
	return p;
}

static void test_daemon_route(void **state)
{
	const char *bin = verifierd_bin;
	char extra[256], *cfg, *state_dir = path_in("vd-state"), *plain_cfg, *plain_state = path_in("vd-plain"),
			       *pem = ak_pem(&tpm), hex[65], path[128], ptype[64];
	struct vt_daemon d, plain;
	struct vt_resp r;
	uint8_t nonce[32];
	struct ccg_cpu_verifier *cv = party_verifier(pem);
	json_t *t = NULL, *u = NULL, *jwks;
	struct ccg_error err;

	(void)state;
	assert_non_null(bin);
	/* a handle nothing is persisted at yet: the daemon creates its AK there at start */
	assert_int_equal(ccg_vtpm_ak_public(tpm.tcti, DAEMON_AK_HANDLE, &(EVP_PKEY *){NULL}, NULL), CCG_ERR_NOT_FOUND);
	snprintf(extra, sizeof(extra), "tpm_tcti = \"%s\"\ntpm_ak_handle = 0x%08x\n", tpm.tcti, DAEMON_AK_HANDLE);
	cfg = write_config("vd.conf", extra);
	vt_daemon_start(&d, bin, cfg, state_dir, NULL);
	{
		size_t ll;
		uint8_t *log = td_read_file(d.log, &ll);

		assert_non_null(memmem(log, ll, "tpm-ak-created", 14));
		free(log);
	}
	/* the party's AK: read from the TPM at the daemon's handle (the same template as AK_HANDLE's on this TPM) */
	{
		EVP_PKEY *a = NULL, *b = NULL;

		assert_int_equal(ccg_vtpm_ak_public(tpm.tcti, DAEMON_AK_HANDLE, &a, NULL), CCG_OK);
		assert_int_equal(ccg_vtpm_ak_public(tpm.tcti, AK_HANDLE, &b, NULL), CCG_OK);
		assert_int_equal(EVP_PKEY_eq(a, b), 1);
		EVP_PKEY_free(a);
		EVP_PKEY_free(b);
	}
	for (size_t i = 0; i < sizeof(nonce); i++)
		nonce[i] = (uint8_t)(0xC0 ^ i);
	ccg_hex_encode(nonce, sizeof(nonce), hex);
	snprintf(path, sizeof(path), "/v1/verifier/evidence?nonce=%s", hex);
	vt_http(d.base, "GET", path, NULL, NULL, 0, &r);
	assert_int_equal(r.status, 200);
	assert_string_equal(r.content_type, "application/json");
	ccg_error_clear(&err);
	if (ccg_vevidence_check((const uint8_t *)r.body, r.len, nonce, cv, NULL, 0, &t, &u, &err) != CCG_OK)
		fail_msg("%s: %s", err.where, err.detail);
	vt_resp_free(&r);
	/* the token key is the one /.well-known/jwks.json publishes */
	vt_http(d.base, "GET", "/.well-known/jwks.json", NULL, NULL, 0, &r);
	assert_int_equal(r.status, 200);
	jwks = json_loads(r.body, 0, NULL);
	assert_string_equal(json_string_value(json_object_get(json_array_get(json_object_get(jwks, "keys"), 0), "kid")),
			    json_string_value(json_object_get(t, "kid")));
	assert_string_equal(json_string_value(json_object_get(u, "alg")), CCG_VEVIDENCE_UPLOAD_ALG);
	json_decref(jwks);
	json_decref(t);
	json_decref(u);
	vt_resp_free(&r);
	/* the same daemon's evidence is not the answer to another party's nonce */
	snprintf(path, sizeof(path), "/v1/verifier/evidence?nonce=%s", hex);
	vt_http(d.base, "GET", path, NULL, NULL, 0, &r);
	nonce[0] ^= 1;
	assert_int_equal(ccg_vevidence_check((const uint8_t *)r.body, r.len, nonce, cv, NULL, 0, &t, &u, NULL),
			 CCG_ERR_NONCE_MISMATCH);
	vt_resp_free(&r);
	/* a nonce that is not 64 hex digits */
	vt_http(d.base, "GET", "/v1/verifier/evidence?nonce=abcd", NULL, NULL, 0, &r);
	assert_int_equal(r.status, 400);
	assert_string_equal(vt_problem_type(&r, ptype, sizeof(ptype)), "malformed-request");
	assert_non_null(strstr(r.body, "\"check\":\"nonce\""));
	vt_resp_free(&r);
	vt_http(d.base, "GET", "/v1/verifier/evidence", NULL, NULL, 0, &r);
	assert_int_equal(r.status, 400);
	vt_resp_free(&r);
	assert_int_equal(vt_daemon_stop(&d, SIGTERM), 0);

	/* without a TPM configured: 501 naming tpm_tcti */
	plain_cfg = write_config("plain.conf", NULL);
	vt_daemon_start(&plain, bin, plain_cfg, plain_state, NULL);
	snprintf(path, sizeof(path), "/v1/verifier/evidence?nonce=%s", hex);
	vt_http(plain.base, "GET", path, NULL, NULL, 0, &r);
	assert_int_equal(r.status, 501);
	assert_string_equal(vt_problem_type(&r, ptype, sizeof(ptype)), "no-tpm");
	assert_non_null(strstr(r.body, "tpm_tcti"));
	vt_resp_free(&r);
	assert_int_equal(vt_daemon_stop(&plain, SIGTERM), 0);

	ccg_cpu_verifier_free(cv);
	free(pem);
	free(cfg);
	free(plain_cfg);
	free(state_dir);
	free(plain_state);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_kek_seal_unseal_across_processes),
		cmocka_unit_test(test_kek_blob_tampering_refused),
		cmocka_unit_test(test_kek_other_tpm_cannot_unseal),
		cmocka_unit_test(test_kek_never_crosses_the_transport_in_clear),
		cmocka_unit_test(test_vevidence),
		cmocka_unit_test(test_daemon_route),
	};

	if (argc != 2) {
		fprintf(stderr, "usage: %s PATH-TO-ccgpu-verifierd\n", argv[0]);
		return 2;
	}
	verifierd_bin = argv[1];
	return cmocka_run_group_tests(tests, setup, teardown);
}
