/* SPDX-License-Identifier: Apache-2.0 */
#include "vdtest.h"

#include <stdarg.h>
#include <setjmp.h>
#include <stddef.h>
#include <cmocka.h>
#include <curl/curl.h>
#include <fcntl.h>
#include <jansson.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "attest/cpu/composite.h"
#include "ccgpu/attest.h"
#include "common/buf.h"
#include "common/encoding.h"
#include "gpusim/gpusim.h"
#include "gpusim/serve.h"
#include "testdata.h"

void vt_world_init(struct vt_world *w, unsigned gpus)
{
	struct gpusim_pki_opts o = {.gpus = gpus};
	EVP_PKEY_CTX *kc;
	BIO *bio;
	FILE *f;
	uint8_t *p;
	int n;

	memset(w, 0, sizeof(*w));
	w->gpus = gpus;
	w->dir = td_tmpdir();
	snprintf(w->gpusim_dir, sizeof(w->gpusim_dir), "%s/gpusim", w->dir);
	assert_int_equal(gpusim_pki_generate_child(w->gpusim_dir, &o), CCG_OK);
	assert_int_equal(gpusim_load(w->gpusim_dir, &w->sim, NULL), CCG_OK);
	ts_amd_pki_make(&w->amd, "Milan", 0);
	w->amd_chain_pem = ts_amd_pki_chain_pem(&w->amd);
	snprintf(w->ark_path, sizeof(w->ark_path), "%s/ark.pem", w->dir);
	f = fopen(w->ark_path, "w");
	assert_non_null(f);
	bio = BIO_new_fp(f, BIO_NOCLOSE);
	assert_int_equal(PEM_write_bio_X509(bio, w->amd.ark), 1);
	BIO_free(bio);
	assert_int_equal(fclose(f), 0);
	kc = EVP_PKEY_CTX_new_id(EVP_PKEY_EC, NULL);
	assert_non_null(kc);
	assert_int_equal(EVP_PKEY_keygen_init(kc), 1);
	assert_int_equal(EVP_PKEY_CTX_set_ec_paramgen_curve_nid(kc, NID_secp384r1), 1);
	assert_int_equal(EVP_PKEY_keygen(kc, &w->tee), 1);
	EVP_PKEY_CTX_free(kc);
	n = i2d_PUBKEY(w->tee, NULL);
	assert_true(n > 0);
	w->tee_spki = malloc((size_t)n);
	p = w->tee_spki;
	assert_int_equal(i2d_PUBKEY(w->tee, &p), n);
	w->tee_spki_len = (size_t)n;
}

void vt_world_free(struct vt_world *w)
{
	gpusim_free(w->sim);
	ts_amd_pki_free(&w->amd);
	free(w->amd_chain_pem);
	EVP_PKEY_free(w->tee);
	free(w->tee_spki);
	if (w->dir != NULL) {
		td_rm_rf(w->dir);
		free(w->dir);
	}
	memset(w, 0, sizeof(*w));
}

char *vt_config_write(const struct vt_world *w, const char *name, const char *extra)
{
	char *path = malloc(1024);
	FILE *f;

	assert_non_null(path);
	snprintf(path, 1024, "%s/%s", w->dir, name);
	f = fopen(path, "w");
	assert_non_null(f);
	fprintf(f,
		"# written by tests/support/vdtest.c\n"
		"listen = 127.0.0.1:0\n"
		"gpu_device_root = %s/device-root.pem\n"
		"gpu_rim_root = %s/rim-root.pem\n"
		"gpu_rim_dir = %s/rims\n"
		"gpu_offline = true\n"
		"gpu_ocsp = off\n"
		"amd_ark = %s\n"
		"%s",
		w->gpusim_dir, w->gpusim_dir, w->gpusim_dir, w->ark_path, extra != NULL ? extra : "");
	assert_int_equal(fclose(f), 0);
	return path;
}

char *vt_gpusim_evidence(struct gpusim *sim, const uint8_t nonce[32])
{
	struct ccg_gpu_evidence *ev = NULL;
	char *json = NULL;

	assert_int_equal(ccg_gpu_evidence_new(&ev), CCG_OK);
	for (unsigned g = 0; g < gpusim_count(sim); g++) {
		struct ccg_buf b;
		uint8_t req[37], *rep;
		size_t len;
		const char *pem = gpusim_chain_pem(sim, g);

		gpusim_meas_request(nonce, req);
		ccg_buf_init(&b, 0);
		assert_int_equal(ccg_buf_append(&b, req, sizeof(req)), CCG_OK);
		assert_int_equal(gpusim_spdm(sim, g, req, sizeof(req), &b, NULL), CCG_OK);
		rep = ccg_buf_steal(&b, &len);
		assert_int_equal(ccg_gpu_evidence_add_report(ev, "HOPPER", rep, len, (const uint8_t *)pem, strlen(pem),
							     NULL),
				 CCG_OK);
		free(rep);
	}
	assert_int_equal(ccg_gpu_evidence_to_json(ev, nonce, &json), CCG_OK);
	ccg_gpu_evidence_free(ev);
	return json;
}

char *vt_compose(struct vt_world *w, const uint8_t nonce[32], const char *fault)
{
	uint8_t binding[64], report[1184];
	char *gpu, *b64, *hex, *out;
	json_t *doc, *cpu, *body;

	if (fault != NULL) {
		struct gpusim_fault f;

		assert_int_equal(gpusim_fault_parse(fault, &f, NULL), CCG_OK);
		assert_int_equal(gpusim_add_fault(w->sim, &f, NULL), CCG_OK);
	}
	gpu = vt_gpusim_evidence(w->sim, nonce);
	if (fault != NULL)
		gpusim_clear_faults(w->sim);
	assert_int_equal(ccg_composite_binding(nonce, 32, w->tee_spki, w->tee_spki_len, (const uint8_t *)gpu,
					       strlen(gpu), binding),
			 CCG_OK);
	ts_amd_pki_report(&w->amd, binding, report);
	cpu = json_object();
	json_object_set_new(cpu, "type", json_string("snp"));
	b64 = ccg_base64_encode_alloc(report, sizeof(report));
	json_object_set_new(cpu, "report", json_string(b64));
	free(b64);
	json_object_set_new(cpu, "certs", json_string(w->amd_chain_pem));
	doc = json_object();
	json_object_set_new(doc, "ccgpu-composite", json_integer(1));
	hex = ccg_hex_encode_alloc(nonce, 32);
	json_object_set_new(doc, "nonce", json_string(hex));
	b64 = ccg_base64_encode_alloc(w->tee_spki, w->tee_spki_len);
	json_object_set_new(doc, "tee_public_key", json_string(b64));
	free(b64);
	b64 = ccg_base64_encode_alloc((const uint8_t *)gpu, strlen(gpu));
	json_object_set_new(doc, "gpu_evidence", json_string(b64));
	free(b64);
	json_object_set_new(doc, "cpu", cpu);
	body = json_object();
	json_object_set_new(body, "nonce", json_string(hex));
	json_object_set_new(body, "evidence", doc);
	out = json_dumps(body, JSON_COMPACT);
	assert_non_null(out);
	json_decref(body);
	free(hex);
	free(gpu);
	return out;
}

void vt_daemon_start(struct vt_daemon *d, const char *binary, const char *config, const char *state, const char *store)
{
	struct timespec nap = {0, 20 * 1000 * 1000};

	memset(d, 0, sizeof(*d));
	snprintf(d->state, sizeof(d->state), "%s", state);
	snprintf(d->log, sizeof(d->log), "%s.log", state);
	snprintf(d->port_file, sizeof(d->port_file), "%s.port", state);
	unlink(d->port_file);
	d->pid = fork();
	assert_true(d->pid >= 0);
	if (d->pid == 0) {
		int fd = open(d->log, O_WRONLY | O_CREAT | O_APPEND, 0600);

		if (fd >= 0) {
			dup2(fd, STDERR_FILENO);
			close(fd);
		}
		if (store != NULL)
			execl(binary, binary, "--config", config, "--state-dir", state, "--store", store, "--port-file",
			      d->port_file, (char *)NULL);
		else
			execl(binary, binary, "--config", config, "--state-dir", state, "--port-file", d->port_file,
			      (char *)NULL);
		_exit(127);
	}
	for (int i = 0; i < 1500; i++) { /* 30 s */
		FILE *f = fopen(d->port_file, "r");
		int status;

		if (f != NULL) {
			int ok = fscanf(f, "%d", &d->port);

			fclose(f);
			if (ok == 1 && d->port > 0) {
				snprintf(d->base, sizeof(d->base), "http://127.0.0.1:%d", d->port);
				return;
			}
		}
		if (waitpid(d->pid, &status, WNOHANG) == d->pid) {
			char cmd[700];

			snprintf(cmd, sizeof(cmd), "cat '%s' >&2", d->log);
			if (system(cmd) != 0)
				(void)0;
			d->pid = -1;
			fail_msg("ccgpu-verifierd exited (status %d) before listening", status);
		}
		nanosleep(&nap, NULL);
	}
	kill(d->pid, SIGKILL);
	waitpid(d->pid, NULL, 0);
	fail_msg("ccgpu-verifierd did not start listening in 30 s");
}

int vt_daemon_stop(struct vt_daemon *d, int sig)
{
	int status = -1;

	if (d->pid <= 0)
		return -1;
	kill(d->pid, sig);
	waitpid(d->pid, &status, 0);
	d->pid = -1;
	return status;
}

long vt_rss_kb(pid_t pid)
{
	char path[64], line[256];
	long kb = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	f = fopen(path, "r");
	if (f == NULL)
		return -1;
	while (fgets(line, sizeof(line), f) != NULL)
		if (sscanf(line, "VmRSS: %ld kB", &kb) == 1)
			break;
	fclose(f);
	return kb;
}

static size_t collect(char *ptr, size_t size, size_t n, void *ud)
{
	struct ccg_buf *b = ud;

	return ccg_buf_append(b, ptr, size * n) == CCG_OK ? size * n : 0;
}

static size_t header(char *ptr, size_t size, size_t n, void *ud)
{
	struct vt_resp *r = ud;
	size_t len = size * n;

	if (len > 6 && strncasecmp(ptr, "Allow:", 6) == 0)
		snprintf(r->allow, sizeof(r->allow), "%.*s", (int)(len - 6), ptr + 6);
	return len;
}

void vt_http(const char *base, const char *method, const char *path, const char *ctype, const char *body, size_t len,
	     struct vt_resp *out)
{
	vt_http_hdr(base, method, path, ctype, NULL, body, len, out);
}

void vt_http_hdr(const char *base, const char *method, const char *path, const char *ctype, const char *extra,
		 const char *body, size_t len, struct vt_resp *out)
{
	CURL *c = curl_easy_init();
	struct curl_slist *h = NULL;
	struct ccg_buf b;
	char url[1024], hdr[256], *ct = NULL, *p;
	size_t n;

	memset(out, 0, sizeof(*out));
	assert_non_null(c);
	ccg_buf_init(&b, 0);
	snprintf(url, sizeof(url), "%s%s", base, path);
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, 60L);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, collect);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &b);
	curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, header);
	curl_easy_setopt(c, CURLOPT_HEADERDATA, out);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	h = curl_slist_append(h, "Expect:");
	if (ctype != NULL) {
		snprintf(hdr, sizeof(hdr), "Content-Type: %s", ctype);
		h = curl_slist_append(h, hdr);
	}
	if (extra != NULL)
		h = curl_slist_append(h, extra);
	if (body != NULL) {
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
		curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
	} else if (strcmp(method, "POST") == 0) {
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, "");
		curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)0);
	}
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
	if (curl_easy_perform(c) == CURLE_OK) {
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &out->status);
		if (curl_easy_getinfo(c, CURLINFO_CONTENT_TYPE, &ct) == CURLE_OK && ct != NULL)
			snprintf(out->content_type, sizeof(out->content_type), "%s", ct);
	}
	assert_int_equal(ccg_buf_terminate(&b), CCG_OK);
	out->body = (char *)ccg_buf_steal(&b, &n);
	if (out->body == NULL)
		out->body = strdup("");
	out->len = n;
	/* the Allow value without surrounding whitespace */
	p = out->allow;
	while (*p == ' ')
		memmove(p, p + 1, strlen(p));
	p[strcspn(p, "\r\n")] = '\0';
	curl_slist_free_all(h);
	curl_easy_cleanup(c);
}

void vt_resp_free(struct vt_resp *r)
{
	free(r->body);
	r->body = NULL;
}

size_t vt_sink_write(char *p, size_t size, size_t n, void *ud)
{
	struct vt_sink *s = ud;
	size_t m = size * n;

	if (s->len + m < sizeof(s->buf)) {
		memcpy(s->buf + s->len, p, m);
		s->len += m;
		s->buf[s->len] = '\0';
	}
	return m;
}

void vt_challenge(const char *base, uint8_t out[32])
{
	struct vt_resp r;
	json_t *j;
	const char *hex;

	vt_http(base, "POST", "/v1/challenge", NULL, NULL, 0, &r);
	if (r.status != 200)
		fail_msg("challenge: %ld %s", r.status, r.body);
	j = json_loads(r.body, 0, NULL);
	assert_non_null(j);
	hex = json_string_value(json_object_get(j, "nonce"));
	assert_non_null(hex);
	assert_int_equal(strlen(hex), 64);
	assert_int_equal(ccg_hex_decode_fixed(hex, 64, out, 32), CCG_OK);
	assert_non_null(json_string_value(json_object_get(j, "expires")));
	json_decref(j);
	vt_resp_free(&r);
}

const char *vt_problem_type(const struct vt_resp *r, char *buf, size_t len)
{
	json_t *j = json_loads(r->body, 0, NULL);
	const char *t = json_string_value(json_object_get(j, "type"));
	const char *prefix = "tag:ccgpu.dev,2026:problem:";

	buf[0] = '\0';
	if (t != NULL && strncmp(t, prefix, strlen(prefix)) == 0)
		snprintf(buf, len, "%s", t + strlen(prefix));
	json_decref(j);
	return buf;
}
