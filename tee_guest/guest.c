/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The guest API (include/ccgpu/guest.h): the TEE key, one attestation to
 * ccgpu-verifierd (challenge, CPU + GPU evidence through the collectors of
 * tee_guest/, the composite builder of `ccgpu collect`, the EAR token checked
 * with verifier/ear.h), the token kept and renewed, and the channel to a GPU.
 * The release of secrets is in guest_release.c.
 */
#include <jansson.h>
#include <openssl/x509.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "attest/gpu/nvgpu_evidence.h"
#include "attest/pki/x509_chain.h"
#include "ccgpu/attest.h"
#include "common/crypto.h"
#include "common/encoding.h"
#include "common/error.h"
#include "common/file.h"
#include "common/json.h"
#include "ohttp/ohttp.h"
#include "tee_guest/collect.h"
#include "tee_guest/gpu_source.h"
#include "tee_guest/guest_impl.h"
#include "token/ear.h"
#include "token/tee_jwk.h"

#define DEFAULT_MARGIN 60
#define DEFAULT_TIMEOUT_MS 30000L
#define DEFAULT_AK_HANDLE 0x81000003u
#define DEFAULT_PCRS 0xFFFFFFu
#define AZURE_HCL_NV_INDEX 0x01400001u
#define JWKS_MAX (256 * 1024)
#define CERTS_MAX (64 * 1024)
#define ANSWER_MAX (4u << 20) /* an attest answer: the token carries every device's claims */

static char *dup_opt(const char *s, bool *fail)
{
	char *d;

	if (s == NULL)
		return NULL;
	if ((d = strdup(s)) == NULL)
		*fail = true;
	return d;
}

static void leaves_free(struct guest_leaf *l, size_t n)
{
	for (size_t i = 0; i < n && l != NULL; i++)
		free(l[i].der);
	free(l);
}

void guest_token_drop(struct ccg_guest *g)
{
	if (g->token != NULL) {
		OPENSSL_cleanse(g->token, strlen(g->token));
		free(g->token);
	}
	g->token = NULL;
	json_decref(g->claims);
	g->claims = NULL;
	g->exp = 0;
	leaves_free(g->leaves, g->n_gpus);
	g->leaves = NULL;
	g->n_gpus = 0;
}

/* the leaf (first) certificate of each GPU's chain in ev, DER, in the evidence's order */
static enum ccg_status gpu_leaves(const struct ccg_gpu_evidence *ev, struct guest_leaf **out, struct ccg_error *err)
{
	struct guest_leaf *l = calloc(ev->count > 0 ? ev->count : 1, sizeof(*l));
	enum ccg_status st = CCG_OK;

	*out = NULL;
	if (l == NULL)
		return ccg_error_set(err, CCG_ERR_NOMEM, "evidence.certificate", "no memory");
	for (size_t i = 0; i < ev->count && st == CCG_OK; i++) {
		STACK_OF(X509) *sk = NULL;
		unsigned char *der = NULL;
		int n = 0;

		if ((st = ccg_pem_certs_parse(ev->items[i].chain_pem, ev->items[i].chain_len, CCG_CHAIN_MAX_CERTS, &sk,
					      err)) == CCG_OK &&
		    (n = i2d_X509(sk_X509_value(sk, 0), &der)) <= 0)
			st = ccg_error_set(err, CCG_ERR_ENCODING, "evidence.certificate", "GPU %zu: leaf DER", i);
		if (st == CCG_OK && (l[i].der = malloc((size_t)n)) == NULL)
			st = ccg_error_set(err, CCG_ERR_NOMEM, "evidence.certificate", "no memory");
		if (st == CCG_OK) {
			memcpy(l[i].der, der, (size_t)n);
			l[i].len = (size_t)n;
		}
		OPENSSL_free(der);
		sk_X509_pop_free(sk, X509_free);
	}
	if (st != CCG_OK) {
		leaves_free(l, ev->count);
		return st;
	}
	*out = l;
	return CCG_OK;
}

enum ccg_status guest_step(struct ccg_error *err, const struct ccg_error *inner, enum ccg_status st, const char *where)
{
	if (inner->status != CCG_OK)
		return ccg_error_set(err, inner->status, where, "%s: %s", inner->where, inner->detail);
	return ccg_error_set(err, st, where, "%s", ccg_status_str(st));
}

int64_t guest_now(const struct ccg_guest *g)
{
	return g->clock != NULL ? g->clock(g->clock_arg) : (int64_t)time(NULL);
}

enum ccg_status ccg_guest_new(const struct ccg_guest_opts *o, struct ccg_guest **out, struct ccg_error *err)
{
	struct ccg_guest *g = NULL;
	const char *url;
	bool fail = false;
	enum ccg_status st;

	if (out != NULL)
		*out = NULL;
	if (o == NULL || out == NULL)
		return ccg_error_set(err, CCG_ERR_INVALID_ARG, "guest", "no options or no output");
	url = o->verifier_url;
	if (url == NULL || (!ccg_http_url_ok(url) && (strncmp(url, "unix:/", 6) != 0 || strlen(url) > 6 + 100)))
		return ccg_error_set(err, CCG_ERR_INVALID_ARG, "guest.verifier_url",
				     "http://, https:// or unix:/ABSOLUTE/PATH (under 100 bytes)");
	if (o->verifier_jwks == NULL)
		return ccg_error_set(err, CCG_ERR_INVALID_ARG, "guest.verifier_jwks",
				     "the verifier's JWKS is required to check its tokens");
	if (o->cpu > CCG_GUEST_CPU_AZURE)
		return ccg_error_set(err, CCG_ERR_INVALID_ARG, "guest.cpu", "unknown CPU evidence source %d",
				     (int)o->cpu);
	if (o->gpu != CCG_GUEST_GPU_NVML && o->gpu != CCG_GUEST_GPU_GPUSIM)
		return ccg_error_set(err, CCG_ERR_INVALID_ARG, "guest.gpu", "unknown GPU evidence source %d",
				     (int)o->gpu);
	if (o->gpu == CCG_GUEST_GPU_GPUSIM && o->gpusim_socket == NULL)
		return ccg_error_set(err, CCG_ERR_INVALID_ARG, "guest.gpusim_socket",
				     "the gpusim source needs its socket");
	if (o->tpm_pcrs > 0xFFFFFF)
		return ccg_error_set(err, CCG_ERR_INVALID_ARG, "guest.tpm_pcrs", "a mask of PCRs 0 to 23");
	if ((g = calloc(1, sizeof(*g))) == NULL)
		return ccg_error_set(err, CCG_ERR_NOMEM, "guest", "no memory");
	if (pthread_mutex_init(&g->lock, NULL) != 0) {
		free(g);
		return ccg_error_set(err, CCG_ERR_INTERNAL, "guest", "mutex");
	}
	g->lock_ok = true;
	if ((st = ccg_json_parse((const uint8_t *)o->verifier_jwks, strlen(o->verifier_jwks), JWKS_MAX,
				 "guest.verifier_jwks", &g->jwks, err)) != CCG_OK)
		goto fail;
	if (json_array_size(json_object_get(g->jwks, "keys")) == 0) {
		st = ccg_error_set(err, CCG_ERR_INVALID_ARG, "guest.verifier_jwks", "no \"keys\" array with a key");
		goto fail;
	}
	if (strncmp(url, "unix:", 5) == 0) {
		g->unix_path = dup_opt(url + 5, &fail);
		g->base = dup_opt("http://localhost", &fail);
	} else {
		g->base = dup_opt(url, &fail);
		/* paths are appended: no trailing slash */
		while (g->base != NULL && strlen(g->base) > 8 && g->base[strlen(g->base) - 1] == '/')
			g->base[strlen(g->base) - 1] = '\0';
	}
	g->ca_file = dup_opt(o->verifier_ca_file, &fail);
	g->pinned_key = dup_opt(o->verifier_pinned_key, &fail);
	g->timeout_ms = o->timeout_ms > 0 ? o->timeout_ms : DEFAULT_TIMEOUT_MS;
	g->cpu = o->cpu;
	g->tsm_root = dup_opt(o->tsm_root, &fail);
	g->sev_guest = dup_opt(o->sev_guest_device, &fail);
	g->tcti = dup_opt(o->tpm_tcti, &fail);
	g->ak_handle = o->tpm_ak_handle != 0 ? o->tpm_ak_handle : DEFAULT_AK_HANDLE;
	g->pcrs = o->tpm_pcrs != 0 ? o->tpm_pcrs : DEFAULT_PCRS;
	g->gpu = o->gpu;
	g->gpusim_socket = dup_opt(o->gpusim_socket, &fail);
	g->gpu_root = dup_opt(o->gpu_root_file, &fail);
	g->margin = o->reattest_margin != 0 ? o->reattest_margin : DEFAULT_MARGIN;
	g->clock = o->clock;
	g->clock_arg = o->clock_arg;
	if (fail) {
		st = ccg_error_set(err, CCG_ERR_NOMEM, "guest", "no memory");
		goto fail;
	}
	if (o->cpu_certs_file != NULL &&
	    (st = ccg_file_read(o->cpu_certs_file, CERTS_MAX, &g->certs, &g->certs_len, err)) != CCG_OK)
		goto fail;
	*out = g;
	return CCG_OK;
fail:
	ccg_guest_free(g);
	return st;
}

void ccg_guest_free(struct ccg_guest *g)
{
	if (g == NULL)
		return;
	guest_token_drop(g);
	ccg_secret_free(g->ikm);
	free(g->spki);
	json_decref(g->jwk);
	json_decref(g->jwks);
	free(g->base);
	free(g->unix_path);
	free(g->ca_file);
	free(g->pinned_key);
	free(g->tsm_root);
	free(g->sev_guest);
	free(g->tcti);
	free(g->gpusim_socket);
	free(g->gpu_root);
	free(g->certs);
	if (g->lock_ok)
		pthread_mutex_destroy(&g->lock);
	free(g);
}

/* ---- the TEE key ---- */

enum ccg_status guest_key(const struct ccg_guest *g, EVP_PKEY **out, struct ccg_error *err)
{
	*out = NULL;
	if (g->ikm == NULL)
		return ccg_error_set(err, CCG_ERR_INVALID_ARG, "guest.key", "no TEE key: call ccg_guest_key_generate");
	return ccg_hpke_keypair_derive(g->suite, g->ikm->data, g->ikm->len, out, err);
}

enum ccg_status ccg_guest_key_generate(struct ccg_guest *g, enum ccg_guest_key t, struct ccg_error *err)
{
	struct ccg_secret *ikm = NULL;
	enum ccg_hpke_suite suite;
	EVP_PKEY *k = NULL;
	uint8_t *der = NULL;
	json_t *jwk = NULL;
	int n;
	enum ccg_status st;

	if (g == NULL)
		return ccg_error_set(err, CCG_ERR_INVALID_ARG, "guest.key", "no guest");
	if (t == CCG_GUEST_KEY_X25519)
		suite = CCG_HPKE_X25519_SHA256_AES128GCM;
	else if (t == CCG_GUEST_KEY_P384)
		suite = CCG_HPKE_P384_SHA384_AES256GCM;
	else
		return ccg_error_set(err, CCG_ERR_INVALID_ARG, "guest.key", "unknown key type %d", (int)t);
	pthread_mutex_lock(&g->lock);
	/* 48 random bytes: Nsk of P-384, more than X25519's 32 (RFC 9180 §7.1.3) */
	if ((st = ccg_secret_new(CCG_GUEST_IKM_LEN, &ikm)) != CCG_OK) {
		ccg_error_set(err, st, "guest.key", "no secret buffer");
		goto out;
	}
	if ((st = ccg_random(ikm->data, ikm->len)) != CCG_OK) {
		ccg_error_set(err, st, "guest.key", "no randomness");
		goto out;
	}
	if ((st = ccg_hpke_keypair_derive(suite, ikm->data, ikm->len, &k, err)) != CCG_OK)
		goto out;
	if ((n = i2d_PUBKEY(k, &der)) <= 0) {
		st = ccg_openssl_error(err, CCG_ERR_CRYPTO, "guest.key", "DER SubjectPublicKeyInfo");
		goto out;
	}
	if ((st = ccg_tee_jwk_from_pkey(k, &jwk, err)) != CCG_OK)
		goto out;
	/* the new key replaces the old, and the token that named the old key goes */
	guest_token_drop(g);
	ccg_secret_free(g->ikm);
	free(g->spki);
	json_decref(g->jwk);
	g->ikm = ikm;
	ikm = NULL;
	g->suite = suite;
	g->spki = malloc((size_t)n);
	if (g->spki == NULL) {
		ccg_secret_free(g->ikm);
		g->ikm = NULL;
		json_decref(jwk);
		g->jwk = NULL;
		st = ccg_error_set(err, CCG_ERR_NOMEM, "guest.key", "no memory");
		goto out;
	}
	memcpy(g->spki, der, (size_t)n);
	g->spki_len = (size_t)n;
	g->jwk = jwk;
	jwk = NULL;
out:
	pthread_mutex_unlock(&g->lock);
	OPENSSL_free(der);
	EVP_PKEY_free(k);
	json_decref(jwk);
	ccg_secret_free(ikm);
	return st;
}

enum ccg_status ccg_guest_public_key(struct ccg_guest *g, uint8_t *out, size_t cap, size_t *out_len,
				     struct ccg_error *err)
{
	enum ccg_status st = CCG_OK;

	if (g == NULL || out == NULL || out_len == NULL)
		return ccg_error_set(err, CCG_ERR_INVALID_ARG, "guest.key", "no guest or no output");
	pthread_mutex_lock(&g->lock);
	if (g->spki == NULL)
		st = ccg_error_set(err, CCG_ERR_INVALID_ARG, "guest.key", "no TEE key: call ccg_guest_key_generate");
	else if (cap < g->spki_len)
		st = ccg_error_set(err, CCG_ERR_TOO_LARGE, "guest.key", "needs %zu bytes", g->spki_len);
	else {
		memcpy(out, g->spki, g->spki_len);
		*out_len = g->spki_len;
	}
	pthread_mutex_unlock(&g->lock);
	return st;
}

enum ccg_status ccg_guest_tee_key(struct ccg_guest *g, EVP_PKEY **out, enum ccg_hpke_suite *out_suite,
				  struct ccg_error *err)
{
	enum ccg_status st;

	pthread_mutex_lock(&g->lock);
	st = guest_key(g, out, err);
	if (st == CCG_OK && out_suite != NULL)
		*out_suite = g->suite;
	pthread_mutex_unlock(&g->lock);
	return st;
}

enum ccg_status ccg_guest_ohttp_gateway(struct ccg_guest *g, uint8_t key_id, struct ccg_ohttp_gateway **out,
					struct ccg_error *err)
{
	EVP_PKEY *k = NULL;
	enum ccg_hpke_suite suite;
	enum ccg_status st;

	if (out != NULL)
		*out = NULL;
	if (g == NULL || out == NULL)
		return ccg_error_set(err, CCG_ERR_INVALID_ARG, "guest.key", "no guest or no output");
	if ((st = ccg_guest_tee_key(g, &k, &suite, err)) != CCG_OK)
		return st;
	return ccg_ohttp_gateway_new_key(key_id, suite, k, out, err); /* takes k over */
}

/* ---- HTTP to the verifier ---- */

enum ccg_status guest_post(const struct ccg_guest *g, const char *path, const char *body, size_t max,
			   struct ccg_http_response *resp, struct ccg_error *err)
{
	char url[1024];
	struct ccg_http_request req;

	if ((size_t)snprintf(url, sizeof(url), "%s%s", g->base, path) >= sizeof(url))
		return ccg_error_set(err, CCG_ERR_INVALID_ARG, "verifier_url", "too long");
	memset(&req, 0, sizeof(req));
	req.url = url;
	req.method = "POST";
	req.content_type = "application/json";
	req.accept = "application/json";
	req.body = (const uint8_t *)body;
	req.body_len = strlen(body);
	req.max_response = max;
	req.timeout_ms = g->timeout_ms;
	req.unix_socket = g->unix_path;
	req.ca_file = g->ca_file;
	req.pinned_key = g->pinned_key;
	return ccg_http_perform(&req, resp, err);
}

void guest_problem(const struct ccg_http_response *r, char *out, size_t n)
{
	json_t *j = r->body != NULL ? json_loadb((const char *)r->body, r->body_len, 0, NULL) : NULL;
	const char *title = json_string_value(json_object_get(j, "title"));
	const char *detail = json_string_value(json_object_get(j, "detail"));

	if (title != NULL || detail != NULL)
		snprintf(out, n, "HTTP %ld: %.100s%s%.200s", r->status, title != NULL ? title : "",
			 title != NULL && detail != NULL ? ": " : "", detail != NULL ? detail : "");
	else
		snprintf(out, n, "HTTP %ld", r->status);
	json_decref(j);
}

/* ---- one attestation ---- */

static enum ccg_status challenge(struct ccg_guest *g, uint8_t nonce[CCG_GPU_NONCE_LEN], struct ccg_error *err)
{
	struct ccg_http_response r;
	struct ccg_error e;
	json_t *j = NULL;
	const char *hex = NULL;
	char why[400];
	enum ccg_status st;

	ccg_error_clear(&e);
	if ((st = guest_post(g, "/v1/challenge", "{}", 64 * 1024, &r, &e)) != CCG_OK)
		return guest_step(err, &e, st, "guest.challenge");
	if (r.status != 200) {
		guest_problem(&r, why, sizeof(why));
		ccg_http_response_cleanup(&r);
		return ccg_error_set(err, CCG_ERR_PROTOCOL, "guest.challenge", "%s", why);
	}
	st = ccg_json_parse(r.body, r.body_len, 64 * 1024, "body", &j, &e);
	if (st == CCG_OK)
		st = ccg_json_get_string(j, "nonce", &hex, "challenge", &e);
	if (st == CCG_OK && (strlen(hex) != 2 * CCG_GPU_NONCE_LEN ||
			     ccg_hex_decode_fixed(hex, strlen(hex), nonce, CCG_GPU_NONCE_LEN) != CCG_OK))
		st = ccg_error_set(&e, CCG_ERR_MALFORMED, "nonce", "not %d hex digits", 2 * CCG_GPU_NONCE_LEN);
	json_decref(j);
	ccg_http_response_cleanup(&r);
	return st == CCG_OK ? CCG_OK : guest_step(err, &e, st, "guest.challenge");
}

/* "guest.collect.gpu[N]" when the collector named a GPU, else "guest.collect.gpu" */
static void gpu_where(const struct ccg_error *inner, char *out, size_t n)
{
	const char *p = strstr(inner->where, "gpu[");
	const char *q = p != NULL ? strchr(p, ']') : NULL;

	if (p != NULL && q != NULL && q - p < 12)
		snprintf(out, n, "guest.collect.%.*s", (int)(q - p + 1), p);
	else
		snprintf(out, n, "guest.collect.gpu");
}

static enum ccg_status collect_gpu(struct ccg_guest *g, const uint8_t nonce[CCG_GPU_NONCE_LEN], char **out_json,
				   size_t *out_count, struct guest_leaf **out_leaves, struct ccg_error *err)
{
	struct ccg_gpu_evidence *ev = NULL;
	struct ccg_error e;
	char where[64];
	enum ccg_status st;

	*out_json = NULL;
	ccg_error_clear(&e);
	if (g->gpu == CCG_GUEST_GPU_GPUSIM) {
		if ((st = ccg_gpu_evidence_new(&ev)) == CCG_OK &&
		    (st = ccg_gpu_source_gpusim_collect(g->gpusim_socket, nonce, ev, &e)) == CCG_OK &&
		    (st = ccg_gpu_evidence_to_json(ev, nonce, out_json)) != CCG_OK)
			ccg_error_set(&e, st, "evidence.json", "serialising the evidence");
		if (st == CCG_OK && (st = gpu_leaves(ev, out_leaves, &e)) == CCG_OK)
			*out_count = ccg_gpu_evidence_count(ev);
		ccg_gpu_evidence_free(ev);
	} else {
		st = ccg_nvml_gpu_evidence(nonce, out_json, &e);
		if (st == CCG_OK) {
			/* count what NVML gave, through the same parser the verifier uses */
			if ((st = ccg_gpu_evidence_new(&ev)) == CCG_OK &&
			    (st = ccg_gpu_evidence_add_json(ev, (const uint8_t *)*out_json, strlen(*out_json), &e)) ==
				    CCG_OK &&
			    (st = gpu_leaves(ev, out_leaves, &e)) == CCG_OK)
				*out_count = ccg_gpu_evidence_count(ev);
			ccg_gpu_evidence_free(ev);
		}
	}
	if (st != CCG_OK) {
		free(*out_json);
		*out_json = NULL;
		gpu_where(&e, where, sizeof(where));
		return guest_step(err, &e, st, where);
	}
	return CCG_OK;
}

static bool path_exists(const char *p)
{
	struct stat sb;

	return stat(p, &sb) == 0;
}

/* the CPU evidence interface to use, resolved once per attestation for AUTO */
static enum ccg_status cpu_kind(const struct ccg_guest *g, const char **kind, struct ccg_error *err)
{
	const char *tsm = g->tsm_root != NULL ? g->tsm_root : CCG_TSM_DEFAULT_ROOT;

	switch (g->cpu) {
	case CCG_GUEST_CPU_SNP: *kind = "snp"; return CCG_OK;
	case CCG_GUEST_CPU_TDX: *kind = "tdx"; return CCG_OK;
	case CCG_GUEST_CPU_TPM: *kind = "tpm"; return CCG_OK;
	case CCG_GUEST_CPU_AZURE: *kind = "azure"; return CCG_OK;
	case CCG_GUEST_CPU_AUTO: break;
	}
	/* configfs-tsm names its provider: the report itself says which TEE answered (checked after collection) */
	if (path_exists(tsm)) {
		*kind = path_exists("/dev/tdx_guest") ? "tdx" : "snp";
		return CCG_OK;
	}
	if (path_exists(g->sev_guest != NULL ? g->sev_guest : "/dev/sev-guest")) {
		*kind = "snp";
		return CCG_OK;
	}
	if (g->tcti != NULL || path_exists("/dev/tpmrm0")) {
		*kind = "tpm";
		return CCG_OK;
	}
	return ccg_error_set(err, CCG_ERR_NOT_FOUND, "guest.collect.cpu",
			     "no CPU TEE interface: no configfs-tsm at %s, no /dev/sev-guest, no vTPM", tsm);
}

static enum ccg_status collect_cpu(struct ccg_guest *g, const uint8_t nonce[CCG_GPU_NONCE_LEN], const char *gpu,
				   json_t **out_doc, struct ccg_error *err)
{
	struct ccg_collect_cpu o;
	struct ccg_error e;
	enum ccg_status st;

	memset(&o, 0, sizeof(o));
	if ((st = cpu_kind(g, &o.kind, err)) != CCG_OK)
		return st;
	o.tsm_root = g->tsm_root;
	/* an explicit device, or AUTO on a VM with /dev/sev-guest and no configfs-tsm */
	if (strcmp(o.kind, "snp") == 0 &&
	    (g->sev_guest != NULL ||
	     (g->cpu == CCG_GUEST_CPU_AUTO && !path_exists(g->tsm_root != NULL ? g->tsm_root : CCG_TSM_DEFAULT_ROOT))))
		o.sev_guest = g->sev_guest != NULL ? g->sev_guest : "/dev/sev-guest";
	o.tcti = g->tcti;
	o.ak_handle = g->ak_handle;
	o.pcrs = g->pcrs;
	o.hcl_nv_index = AZURE_HCL_NV_INDEX;
	o.certs_pem = g->certs;
	o.certs_len = g->certs_len;
	ccg_error_clear(&e);
	st = ccg_collect_composite(&o, nonce, CCG_GPU_NONCE_LEN, g->spki, g->spki_len, (const uint8_t *)gpu,
				   strlen(gpu), out_doc, &e);
	return st == CCG_OK ? CCG_OK : guest_step(err, &e, st, "guest.collect.cpu");
}

/* "GPU-3" → "guest.attest.gpu[3]", "cpu0" → "guest.attest.cpu", anything else as the verifier named it */
static void submod_where(const char *name, char *out, size_t n)
{
	if (strncmp(name, "GPU-", 4) == 0)
		snprintf(out, n, "guest.attest.gpu[%.8s]", name + 4);
	else if (strcmp(name, "cpu0") == 0)
		snprintf(out, n, "guest.attest.cpu");
	else
		snprintf(out, n, "guest.attest.%.40s", name);
}

/* how bad a submod's status is: the worst one names the failure (a GPU the verifier refused, not one it left
 * without a claim because the composite failed elsewhere) */
static int severity(const char *s)
{
	return s == NULL                           ? 4
	       : strcmp(s, "contraindicated") == 0 ? 3
	       : strcmp(s, "warning") == 0         ? 2
	       : strcmp(s, "affirming") == 0       ? 0
						   : 1;
}

/* the token's verdict: overall affirming, every submod affirming, one GPU submod per GPU we sent */
enum ccg_status guest_token_status(const json_t *claims, size_t n_gpus, const char *failed, struct ccg_error *err)
{
	const json_t *subs = json_object_get(claims, "submods");
	const char *overall = json_string_value(json_object_get(claims, "ear.status"));
	const char *name, *worst = NULL;
	json_t *m, *worst_m = NULL;
	char where[64];
	size_t gpus = 0;

	if (!json_is_object(subs))
		return ccg_error_set(err, CCG_ERR_MALFORMED, "guest.attest.submods", "the token has no submods");
	json_object_foreach((json_t *)subs, name, m) {
		int sev = severity(json_string_value(json_object_get(m, "ear.status")));

		if (strncmp(name, "GPU-", 4) == 0)
			gpus++;
		if (sev > 0 &&
		    (worst_m == NULL || sev > severity(json_string_value(json_object_get(worst_m, "ear.status"))))) {
			worst = name;
			worst_m = m;
		}
	}
	if (worst_m != NULL) {
		const char *s = json_string_value(json_object_get(worst_m, "ear.status"));
		const char *why = json_string_value(json_array_get(json_object_get(worst_m, "ccgpu.errors"), 0));

		submod_where(worst, where, sizeof(where));
		return ccg_error_set(err, CCG_ERR_NOT_AFFIRMED, where, "%s: %.300s", s != NULL ? s : "no status",
				     why != NULL      ? why
				     : failed != NULL ? failed
						      : "no reason given");
	}
	if (overall == NULL || strcmp(overall, "affirming") != 0)
		return ccg_error_set(err, CCG_ERR_NOT_AFFIRMED, "guest.attest", "ear.status %s: %.300s",
				     overall != NULL ? overall : "missing", failed != NULL ? failed : "");
	if (gpus != n_gpus)
		return ccg_error_set(err, CCG_ERR_NOT_AFFIRMED, "guest.attest.submods",
				     "the token vouches for %zu GPUs, %zu were attested", gpus, n_gpus);
	return CCG_OK;
}

enum ccg_status guest_token_verify(const struct ccg_guest *g, const char *token, const uint8_t *nonce, size_t nonce_len,
				   int64_t now, json_t **out_claims, struct ccg_error *err)
{
	struct ccg_error e;
	json_t *claims = NULL;
	const json_t *cnf;
	enum ccg_status st;

	*out_claims = NULL;
	ccg_error_clear(&e);
	/* signature against the verifier's JWKS (alg pinned ES384), eat_profile, iat <= now < exp */
	if ((st = ccg_ear_verify(token, g->jwks, now, &claims, &e)) != CCG_OK)
		return guest_step(err, &e, st, "guest.attest.token");
	if ((st = ccg_ear_check_nonce(claims, nonce, nonce_len, &e)) != CCG_OK) {
		json_decref(claims);
		return guest_step(err, &e, st, "guest.attest.nonce");
	}
	cnf = json_object_get(json_object_get(claims, "cnf"), "jwk");
	if (cnf == NULL || !ccg_tee_jwk_equal(cnf, g->jwk)) {
		json_decref(claims);
		return ccg_error_set(err, CCG_ERR_TOKEN_WRONG_KEY, "guest.attest.cnf",
				     cnf == NULL ? "the token binds no key (no cnf.jwk)"
						 : "the token's cnf.jwk is not this guest's TEE key");
	}
	*out_claims = claims;
	return CCG_OK;
}

enum ccg_status guest_attest_locked(struct ccg_guest *g, struct ccg_error *err)
{
	uint8_t nonce[CCG_GPU_NONCE_LEN];
	char *gpu = NULL, *body_text = NULL, *hex = NULL, why[400];
	json_t *doc = NULL, *body = NULL, *ans = NULL, *claims = NULL;
	struct ccg_http_response r;
	struct ccg_error e;
	const char *token = NULL, *failed;
	size_t n_gpus = 0;
	struct guest_leaf *leaves = NULL;
	int64_t exp = 0;
	enum ccg_status st;

	memset(&r, 0, sizeof(r));
	/* whatever happens now, the token held no longer stands: it is replaced or dropped */
	guest_token_drop(g);
	if (g->ikm == NULL)
		return ccg_error_set(err, CCG_ERR_INVALID_ARG, "guest.key", "no TEE key: call ccg_guest_key_generate");
	if ((st = challenge(g, nonce, err)) != CCG_OK)
		return st;
	if ((st = collect_gpu(g, nonce, &gpu, &n_gpus, &leaves, err)) != CCG_OK)
		goto out;
	if ((st = collect_cpu(g, nonce, gpu, &doc, err)) != CCG_OK)
		goto out;
	hex = ccg_hex_encode_alloc(nonce, sizeof(nonce));
	body = json_object();
	if (hex == NULL || body == NULL || json_object_set_new(body, "nonce", json_string(hex)) != 0 ||
	    json_object_set(body, "evidence", doc) != 0 || (body_text = json_dumps(body, JSON_COMPACT)) == NULL) {
		st = ccg_error_set(err, CCG_ERR_NOMEM, "guest.attest", "no memory");
		goto out;
	}
	ccg_error_clear(&e);
	if ((st = guest_post(g, "/v1/attest", body_text, ANSWER_MAX, &r, &e)) != CCG_OK) {
		guest_step(err, &e, st, "guest.attest");
		goto out;
	}
	if (r.status != 200) {
		guest_problem(&r, why, sizeof(why));
		st = ccg_error_set(err, CCG_ERR_PROTOCOL, "guest.attest", "%s", why);
		goto out;
	}
	if ((st = ccg_json_parse(r.body, r.body_len, ANSWER_MAX, "body", &ans, &e)) != CCG_OK ||
	    (st = ccg_json_get_string(ans, "token", &token, "attest", &e)) != CCG_OK) {
		guest_step(err, &e, st, "guest.attest");
		goto out;
	}
	failed = json_string_value(json_object_get(ans, "failed"));
	/* the answer's "status" is a hint; the signed token decides */
	if ((st = guest_token_verify(g, token, nonce, sizeof(nonce), guest_now(g), &claims, err)) != CCG_OK)
		goto out;
	if ((st = guest_token_status(claims, n_gpus, failed, err)) != CCG_OK)
		goto out;
	exp = (int64_t)json_integer_value(json_object_get(claims, "exp"));
	if ((g->token = strdup(token)) == NULL) {
		st = ccg_error_set(err, CCG_ERR_NOMEM, "guest.attest", "no memory");
		goto out;
	}
	g->claims = claims;
	claims = NULL;
	g->exp = exp;
	g->n_gpus = n_gpus;
	g->leaves = leaves; /* the certificates the token just affirmed: the channel holds the GPU to them */
	leaves = NULL;
	g->attestations++;
out:
	leaves_free(leaves, n_gpus);
	json_decref(claims);
	json_decref(ans);
	json_decref(body);
	json_decref(doc);
	ccg_http_response_cleanup(&r);
	free(body_text);
	free(hex);
	free(gpu);
	return st;
}

enum ccg_status ccg_guest_attest(struct ccg_guest *g, struct ccg_error *err)
{
	enum ccg_status st;

	if (g == NULL)
		return ccg_error_set(err, CCG_ERR_INVALID_ARG, "guest", "no guest");
	pthread_mutex_lock(&g->lock);
	st = guest_attest_locked(g, err);
	pthread_mutex_unlock(&g->lock);
	return st;
}

enum ccg_status guest_token_fresh(struct ccg_guest *g, struct ccg_error *err)
{
	if (g->token != NULL && guest_now(g) < g->exp - (int64_t)g->margin)
		return CCG_OK;
	return guest_attest_locked(g, err);
}

enum ccg_status ccg_guest_token(struct ccg_guest *g, char **out_jws, struct ccg_error *err)
{
	enum ccg_status st;

	if (out_jws != NULL)
		*out_jws = NULL;
	if (g == NULL || out_jws == NULL)
		return ccg_error_set(err, CCG_ERR_INVALID_ARG, "guest.token", "no guest or no output");
	pthread_mutex_lock(&g->lock);
	st = guest_token_fresh(g, err);
	if (st == CCG_OK && (*out_jws = strdup(g->token)) == NULL)
		st = ccg_error_set(err, CCG_ERR_NOMEM, "guest.token", "no memory");
	pthread_mutex_unlock(&g->lock);
	return st;
}

int64_t ccg_guest_token_exp(struct ccg_guest *g)
{
	int64_t exp;

	if (g == NULL)
		return 0;
	pthread_mutex_lock(&g->lock);
	exp = g->token != NULL ? g->exp : 0;
	pthread_mutex_unlock(&g->lock);
	return exp;
}

uint64_t ccg_guest_attestations(struct ccg_guest *g)
{
	uint64_t n;

	if (g == NULL)
		return 0;
	pthread_mutex_lock(&g->lock);
	n = g->attestations;
	pthread_mutex_unlock(&g->lock);
	return n;
}

/* ---- the channel to a GPU ---- */

enum ccg_status ccg_guest_channel_open(struct ccg_guest *g, unsigned gpu_index, const struct ccg_channel_opts *copts,
				       struct ccg_session **out_session, struct ccg_channel **out_channel,
				       struct ccg_error *err)
{
	struct ccg_session_opts so;
	struct ccg_session *s = NULL;
	struct ccg_channel *ch = NULL;
	struct ccg_error e;
	char where[48];
	enum ccg_status st;

	if (out_session != NULL)
		*out_session = NULL;
	if (out_channel != NULL)
		*out_channel = NULL;
	snprintf(where, sizeof(where), "guest.channel.gpu[%u]", gpu_index);
	if (g == NULL || out_session == NULL || out_channel == NULL)
		return ccg_error_set(err, CCG_ERR_INVALID_ARG, where, "no guest or no output");
	pthread_mutex_lock(&g->lock);
	if (g->gpu != CCG_GUEST_GPU_GPUSIM) {
		st = ccg_error_set(err, CCG_ERR_UNSUPPORTED, where, "NVML GPUs: the driver keeps the channel");
		goto out;
	}
	if (g->gpu_root == NULL) {
		st = ccg_error_set(err, CCG_ERR_INVALID_ARG, where, "no gpu_root_file to verify the device chain with");
		goto out;
	}
	/* only to a GPU the token held now affirms */
	if ((st = guest_token_fresh(g, err)) != CCG_OK)
		goto out;
	if (gpu_index >= g->n_gpus) {
		st = ccg_error_set(err, CCG_ERR_INVALID_ARG, where, "the token affirms %zu GPUs", g->n_gpus);
		goto out;
	}
	memset(&so, 0, sizeof(so));
	so.socket_path = g->gpusim_socket;
	so.device = gpu_index;
	so.root_file = g->gpu_root;
	so.now = guest_now(g);
	/* the session's device must be the GPU the token affirmed, not merely one of the root's */
	so.attested_leaf_der = g->leaves[gpu_index].der;
	so.attested_leaf_der_len = g->leaves[gpu_index].len;
	ccg_error_clear(&e);
	if ((st = ccg_session_open(&so, &s, &e)) != CCG_OK || (st = ccg_channel_open(s, copts, &ch, &e)) != CCG_OK) {
		guest_step(err, &e, st, where);
		ccg_session_free(s);
		goto out;
	}
	*out_session = s;
	*out_channel = ch;
out:
	pthread_mutex_unlock(&g->lock);
	return st;
}
