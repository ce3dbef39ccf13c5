/* SPDX-License-Identifier: Apache-2.0 */
/* The public GPU verifier: configuration, lazily built OCSP checker and RIM store, results. */
#include "attest/gpu/nvgpu_verifier.h"

#include <openssl/pem.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "attest/gpu/nvidia_roots.h"
#include "common/encoding.h"
#include "common/error.h"
#include "common/file.h"
#include "common/json.h"

_Static_assert(CCG_GPU_OCSP_DEFAULT_MAX_AGE == CCG_OCSP_NO_NEXT_UPDATE_MAX_AGE,
	       "the public and the OCSP module's default age of responses without nextUpdate");

struct ccg_gpu_result {
	bool passed;
	uint32_t skipped; /* CCG_CHECK_* over every GPU */
	json_t *claims;
};

static X509 *pem_to_cert(const char *pem)
{
	BIO *b = BIO_new_mem_buf(pem, -1);
	X509 *x = b != NULL ? PEM_read_bio_X509(b, NULL, NULL, NULL) : NULL;

	BIO_free(b);
	return x;
}

enum ccg_status ccg_gpu_verifier_new(struct ccg_gpu_verifier **out)
{
	struct ccg_gpu_verifier *v = calloc(1, sizeof(*v));

	*out = NULL;
	if (v == NULL)
		return CCG_ERR_NOMEM;
	/* as strict as the ccgpu CLI: revocation checked online, reference values required */
	v->ocsp_mode = CCG_GPU_OCSP_ONLINE;
	v->device_anchor = pem_to_cert(ccg_nvidia_device_identity_ca_pem);
	v->rim_anchor = pem_to_cert(ccg_nvidia_rim_root_pem);
	if (v->device_anchor == NULL || v->rim_anchor == NULL || pthread_mutex_init(&v->lock, NULL) != 0) {
		X509_free(v->device_anchor);
		X509_free(v->rim_anchor);
		free(v);
		return CCG_ERR_INTERNAL;
	}
	*out = v;
	return CCG_OK;
}

static void chain_entry_clear(struct ccg_chain_cache_entry *e)
{
	sk_X509_pop_free(e->certs, X509_free);
	EVP_PKEY_free(e->leaf_key);
	memset(e, 0, sizeof(*e));
}

static void drop_lazy(struct ccg_gpu_verifier *v)
{
	ccg_ocsp_free(v->ocsp);
	v->ocsp = NULL;
	ccg_rim_store_free(v->rims);
	v->rims = NULL;
	for (size_t i = 0; i < CCG_CHAIN_CACHE_SLOTS; i++)
		if (v->chains[i].used)
			chain_entry_clear(&v->chains[i]);
}

void ccg_gpu_verifier_free(struct ccg_gpu_verifier *v)
{
	if (v == NULL)
		return;
	drop_lazy(v);
	for (size_t i = 0; i < v->n_supplied; i++)
		free(v->supplied[i].der);
	free(v->supplied);
	X509_free(v->device_anchor);
	X509_free(v->rim_anchor);
	free(v->rim_dir);
	free(v->rim_url);
	free(v->cache_dir);
	free(v->ocsp_url);
	pthread_mutex_destroy(&v->lock);
	free(v);
}

/* one certificate, from the PEM text pem (path NULL) or the PEM file at path, into *slot */
static enum ccg_status load_anchor(const uint8_t *pem, size_t len, const char *path, const char *where, X509 **slot,
				   struct ccg_error *err)
{
	STACK_OF(X509) *sk = NULL;
	enum ccg_status st;

	if (path == NULL && pem == NULL)
		return ccg_error_set(err, CCG_ERR_INVALID_ARG, where, "no PEM certificate given");
	st = path != NULL ? ccg_pem_certs_load(path, 1, &sk, err) : ccg_pem_certs_parse(pem, len, 1, &sk, err);
	if (st != CCG_OK)
		return st;
	X509_free(*slot);
	*slot = sk_X509_shift(sk);
	sk_X509_free(sk);
	return CCG_OK;
}

enum ccg_status ccg_gpu_verifier_set_device_anchor_pem(struct ccg_gpu_verifier *v, const uint8_t *pem, size_t len,
						       struct ccg_error *err)
{
	drop_lazy(v);
	return load_anchor(pem, len, NULL, "device_anchor", &v->device_anchor, err);
}

enum ccg_status ccg_gpu_verifier_set_device_anchor_file(struct ccg_gpu_verifier *v, const char *path,
							struct ccg_error *err)
{
	drop_lazy(v);
	return load_anchor(NULL, 0, path, "device_anchor", &v->device_anchor, err);
}

enum ccg_status ccg_gpu_verifier_set_rim_anchor_pem(struct ccg_gpu_verifier *v, const uint8_t *pem, size_t len,
						    struct ccg_error *err)
{
	drop_lazy(v);
	return load_anchor(pem, len, NULL, "rim_anchor", &v->rim_anchor, err);
}

enum ccg_status ccg_gpu_verifier_set_rim_anchor_file(struct ccg_gpu_verifier *v, const char *path,
						     struct ccg_error *err)
{
	drop_lazy(v);
	return load_anchor(NULL, 0, path, "rim_anchor", &v->rim_anchor, err);
}

static enum ccg_status replace_str(char **slot, const char *s)
{
	char *d = NULL;

	if (s != NULL && (d = strdup(s)) == NULL)
		return CCG_ERR_NOMEM;
	free(*slot);
	*slot = d;
	return CCG_OK;
}

enum ccg_status ccg_gpu_verifier_set_rims(struct ccg_gpu_verifier *v, const char *dir, const char *service_url,
					  struct ccg_error *err)
{
	drop_lazy(v);
	if (replace_str(&v->rim_dir, dir) != CCG_OK || replace_str(&v->rim_url, service_url) != CCG_OK)
		return ccg_error_set(err, CCG_ERR_NOMEM, "verifier", "out of memory");
	return CCG_OK;
}

void ccg_gpu_verifier_skip_rims(struct ccg_gpu_verifier *v, bool skip)
{
	v->skip_rims = skip;
}

void ccg_gpu_verifier_set_rim_ignore_expiry(struct ccg_gpu_verifier *v, bool ignore)
{
	v->rim_ignore_expiry = ignore;
}

enum ccg_status ccg_gpu_verifier_set_cache_dir(struct ccg_gpu_verifier *v, const char *dir, struct ccg_error *err)
{
	enum ccg_status st;

	drop_lazy(v);
	if (dir != NULL && (st = ccg_mkdir_p(dir, err)) != CCG_OK)
		return st;
	if (replace_str(&v->cache_dir, dir) != CCG_OK)
		return ccg_error_set(err, CCG_ERR_NOMEM, "verifier", "out of memory");
	return CCG_OK;
}

enum ccg_status ccg_gpu_verifier_set_ocsp(struct ccg_gpu_verifier *v, enum ccg_gpu_ocsp_mode mode, const char *url,
					  int64_t max_age, struct ccg_error *err)
{
	if (mode != CCG_GPU_OCSP_OFF && mode != CCG_GPU_OCSP_CACHE && mode != CCG_GPU_OCSP_ONLINE)
		return ccg_error_set(err, CCG_ERR_INVALID_ARG, "ocsp", "unknown OCSP mode %d", (int)mode);
	if (max_age < 0)
		return ccg_error_set(err, CCG_ERR_INVALID_ARG, "ocsp", "negative maximum age");
	drop_lazy(v);
	v->ocsp_mode = mode;
	v->ocsp_max_age = max_age;
	if (replace_str(&v->ocsp_url, url) != CCG_OK)
		return ccg_error_set(err, CCG_ERR_NOMEM, "verifier", "out of memory");
	return CCG_OK;
}

void ccg_gpu_verifier_set_offline(struct ccg_gpu_verifier *v, bool offline)
{
	drop_lazy(v);
	v->offline = offline;
}

/* ensure_lazy: builds the OCSP checker and RIM store from the settings (under v->lock). */
static enum ccg_status ensure_lazy(struct ccg_gpu_verifier *v, struct ccg_error *err)
{
	enum ccg_status st = CCG_OK;
	char ocsp_dir[4096], rim_dir[4096];

	if (v->ocsp != NULL && v->rims != NULL)
		return CCG_OK;
	if (v->cache_dir != NULL) {
		snprintf(ocsp_dir, sizeof(ocsp_dir), "%s/ocsp", v->cache_dir);
		snprintf(rim_dir, sizeof(rim_dir), "%s/rims", v->cache_dir);
		if ((st = ccg_mkdir_p(ocsp_dir, err)) != CCG_OK || (st = ccg_mkdir_p(rim_dir, err)) != CCG_OK)
			return st;
	}
	if (v->ocsp == NULL) {
		struct ccg_ocsp_config oc = {
			.mode = v->ocsp_mode == CCG_GPU_OCSP_ONLINE && v->offline ? CCG_OCSP_MODE_CACHE
										  : (enum ccg_ocsp_mode)v->ocsp_mode,
			.responder_url = v->ocsp_url,
			.cache_dir = v->cache_dir != NULL ? ocsp_dir : NULL,
			.max_age = v->ocsp_max_age,
		};

		st = ccg_ocsp_new(&oc, &v->ocsp, err);
		/* a setter rebuilt the checker: the responses supplied so far still count */
		for (size_t i = 0; i < v->n_supplied && st == CCG_OK; i++)
			st = ccg_ocsp_add_response(v->ocsp, v->supplied[i].der, v->supplied[i].len, err);
		if (st != CCG_OK) {
			ccg_ocsp_free(v->ocsp);
			v->ocsp = NULL;
			return st;
		}
	}
	if (v->rims == NULL) {
		struct ccg_rim_store_config rc = {
			.dir = v->rim_dir,
			.service_url = v->rim_url,
			.cache_dir = v->cache_dir != NULL ? rim_dir : NULL,
			.offline = v->offline,
		};

		st = ccg_rim_store_new(&rc, &v->rims, err);
	}
	return st;
}

enum ccg_status ccg_gpu_verifier_add_ocsp_response(struct ccg_gpu_verifier *v, const uint8_t *der, size_t len,
						   struct ccg_error *err)
{
	struct ccg_gpu_supplied_ocsp *grown = NULL;
	uint8_t *copy = NULL;
	enum ccg_status st;

	if (v == NULL || der == NULL)
		return ccg_error_set(err, CCG_ERR_INVALID_ARG, "ocsp.supplied", "NULL argument");
	pthread_mutex_lock(&v->lock);
	st = ensure_lazy(v, err);
	/* checked (and bounded) by the checker first, then kept for the checkers later setters build */
	if (st == CCG_OK)
		st = ccg_ocsp_add_response(v->ocsp, der, len, err);
	if (st == CCG_OK) {
		grown = realloc(v->supplied, (v->n_supplied + 1) * sizeof(*grown));
		copy = malloc(len);
		if (grown != NULL)
			v->supplied = grown;
		if (grown == NULL || copy == NULL) {
			free(copy);
			/* the current checker holds it but a rebuilt one would not: start over without it */
			ccg_ocsp_free(v->ocsp);
			v->ocsp = NULL;
			st = ccg_error_set(err, CCG_ERR_NOMEM, "ocsp.supplied", "copying %zu bytes", len);
		} else {
			memcpy(copy, der, len);
			v->supplied[v->n_supplied].der = copy;
			v->supplied[v->n_supplied].len = len;
			v->n_supplied++;
		}
	}
	pthread_mutex_unlock(&v->lock);
	return st;
}

static enum ccg_status build_claims(const struct ccg_gpu_evidence *ev, struct ccg_gpu_appraisal **as,
				    const char *const *names, const char *topology,
				    const uint8_t nonce[CCG_GPU_NONCE_LEN], int64_t now, bool passed, json_t **out)
{
	json_t *root = json_object(), *submods = json_object();
	char nonce_hex[2 * CCG_GPU_NONCE_LEN + 1];
	enum ccg_status st = CCG_OK;

	*out = NULL;
	if (root == NULL || submods == NULL) {
		json_decref(root);
		json_decref(submods);
		return CCG_ERR_NOMEM;
	}
	ccg_hex_encode(nonce, CCG_GPU_NONCE_LEN, nonce_hex);
	if (ccg_json_set_new(root, "x-nvidia-overall-att-result", json_boolean(passed)) != CCG_OK ||
	    ccg_json_set_new(root, "x-nvidia-ver", json_string("3.0")) != CCG_OK ||
	    ccg_json_set_new(root, "eat_nonce", json_string(nonce_hex)) != CCG_OK ||
	    ccg_json_set_new(root, "iat", json_integer(now)) != CCG_OK ||
	    ccg_json_set_new(root, "ccgpu-ppcie-topology", json_string(topology)) != CCG_OK)
		st = CCG_ERR_NOMEM;
	for (size_t i = 0; i < ev->count && st == CCG_OK; i++)
		st = ccg_json_set_new(submods, names[i],
				      as[i]->arch == CCG_NVGPU_ARCH_LS10 ? ccg_switch_claims_build(as[i], nonce)
									 : ccg_gpu_claims_build(as[i], nonce));
	if (st == CCG_OK)
		st = ccg_json_set_new(root, "submods", submods);
	else
		json_decref(submods);
	if (st != CCG_OK) {
		json_decref(root);
		return st;
	}
	*out = root;
	return CCG_OK;
}

enum ccg_status ccg_gpu_verifier_appraise(struct ccg_gpu_verifier *v, const struct ccg_gpu_evidence *ev,
					  const uint8_t *nonce, size_t nonce_len, int64_t now,
					  struct ccg_gpu_result **out, struct ccg_error *err)
{
	struct ccg_gpu_appraisal *as[CCG_GPU_MAX_DEVICES] = {0};
	struct ccg_gpu_appraisal *gpus[CCG_GPU_MAX_DEVICES], *switches[CCG_GPU_MAX_DEVICES];
	char names[CCG_GPU_MAX_DEVICES][16];
	const char *name_ptrs[CCG_GPU_MAX_DEVICES], *gpu_names[CCG_GPU_MAX_DEVICES], *switch_names[CCG_GPU_MAX_DEVICES];
	size_t num_gpus = 0, num_switches = 0;
	const char *topology = "not-checked";
	struct ccg_error topo_err;
	struct ccg_gpu_result *r = NULL;
	bool own_nonce = nonce == NULL;
	enum ccg_status st = CCG_OK, first = CCG_OK;

	if (out == NULL)
		return ccg_error_set(err, CCG_ERR_INVALID_ARG, "appraise", "no output");
	*out = NULL;
	if (v == NULL || ev == NULL)
		return ccg_error_set(err, CCG_ERR_INVALID_ARG, "appraise", "NULL argument");
	if (!own_nonce && nonce_len != CCG_GPU_NONCE_LEN)
		return ccg_error_set(err, CCG_ERR_INVALID_ARG, "nonce", "nonce of %zu bytes, need %d", nonce_len,
				     CCG_GPU_NONCE_LEN);
	if (ev->count == 0)
		return ccg_error_set(err, CCG_ERR_INVALID_ARG, "evidence", "no GPU evidence");
	if (own_nonce) {
		/* no challenge of the caller's: the evidence's own nonce, and freshness is not proven */
		if (!ev->has_nonce)
			return ccg_error_set(err, CCG_ERR_INVALID_ARG, "nonce",
					     "no nonce given and the evidence carries none");
		nonce = ev->nonce;
	}
	if ((st = ccg_time_resolve(now, "now", &now, err)) != CCG_OK)
		return st;
	pthread_mutex_lock(&v->lock);
	st = ensure_lazy(v, err);
	pthread_mutex_unlock(&v->lock);
	if (st != CCG_OK)
		return st;

	for (size_t i = 0; i < ev->count; i++) {
		as[i] = calloc(1, sizeof(*as[i]));
		if (as[i] == NULL) {
			st = CCG_ERR_NOMEM;
			goto out;
		}
		as[i]->freshness_skipped = own_nonce;
		/* GPUs and NVSwitches are numbered apart: GPU-0.., SWITCH-0.. */
		if (ev->items[i].arch == CCG_NVGPU_ARCH_LS10) {
			snprintf(names[i], sizeof(names[i]), "SWITCH-%zu", num_switches);
			switches[num_switches] = as[i];
			switch_names[num_switches++] = names[i];
		} else {
			snprintf(names[i], sizeof(names[i]), "GPU-%zu", num_gpus);
			gpus[num_gpus] = as[i];
			gpu_names[num_gpus++] = names[i];
		}
		name_ptrs[i] = names[i];
		CCG_IGNORE(ccg_gpu_appraise_one(v, &ev->items[i], nonce, now, as[i]));
	}
	/* checks across the document: one device counts once; GPUs with switches form one PPCIe topology */
	ccg_gpu_refuse_repeats(as, name_ptrs, ev->count);
	if (num_gpus > 0 && num_switches > 0) {
		ccg_error_clear(&topo_err);
		topology = ccg_ppcie_topology_check(gpus, gpu_names, num_gpus, switches, switch_names, num_switches,
						    &topo_err) == CCG_OK
				   ? "pass"
				   : "fail";
		if (strcmp(topology, "fail") == 0 && strstr(topo_err.where, "document") != NULL) {
			/* a count failure names no device: the verdict carries it */
			ccg_error_set(err, topo_err.status, topo_err.where, "%s", topo_err.detail);
			first = topo_err.status;
		}
	}
	for (size_t i = 0; i < ev->count; i++) {
		if (as[i]->error.status != CCG_OK && first == CCG_OK) {
			char where[CCG_ERROR_WHERE_MAX + 32];

			first = as[i]->error.status;
			snprintf(where, sizeof(where), "%s %s", names[i], as[i]->error.where);
			ccg_error_set(err, first, where, "%s", as[i]->error.detail);
		}
	}
	r = calloc(1, sizeof(*r));
	if (r == NULL) {
		st = CCG_ERR_NOMEM;
		goto out;
	}
	r->passed = first == CCG_OK;
	for (size_t i = 0; i < ev->count; i++)
		r->skipped |= ccg_gpu_checks_skipped(as[i]);
	st = build_claims(ev, as, name_ptrs, topology, nonce, now, r->passed, &r->claims);
	if (st != CCG_OK)
		goto out;
	*out = r;
	r = NULL;
	st = first;
out:
	ccg_gpu_result_free(r);
	for (size_t i = 0; i < ev->count; i++)
		free(as[i]);
	if (st == CCG_ERR_NOMEM)
		ccg_error_set(err, st, "appraise", "out of memory");
	return st;
}

bool ccg_gpu_result_passed(const struct ccg_gpu_result *r)
{
	return r != NULL && r->passed;
}

uint32_t ccg_gpu_result_checks_skipped(const struct ccg_gpu_result *r)
{
	/* no result: nothing was checked */
	return r != NULL ? r->skipped : CCG_CHECK_ALL;
}

char *ccg_gpu_result_claims_json(const struct ccg_gpu_result *r, int indent)
{
	return r != NULL ? ccg_json_dumps(r->claims, indent) : NULL;
}

void ccg_gpu_result_free(struct ccg_gpu_result *r)
{
	if (r == NULL)
		return;
	json_decref(r->claims);
	free(r);
}

/* device: GPU i's claims object, or NULL */
static const json_t *device(const struct ccg_gpu_result *r, size_t i)
{
	char key[32];

	if (r == NULL)
		return NULL;
	snprintf(key, sizeof(key), "GPU-%zu", i);
	return json_object_get(json_object_get(r->claims, "submods"), key);
}

size_t ccg_gpu_result_count(const struct ccg_gpu_result *r)
{
	return r != NULL ? json_object_size(json_object_get(r->claims, "submods")) : 0;
}

bool ccg_gpu_result_device_passed(const struct ccg_gpu_result *r, size_t i)
{
	bool passed = false;

	return ccg_gpu_result_claim_bool(r, i, "ccgpu-result", &passed) && passed;
}

const char *ccg_gpu_result_claim_string(const struct ccg_gpu_result *r, size_t i, const char *name)
{
	const char *s = NULL;

	return name != NULL && ccg_json_get_string(device(r, i), name, &s, "claims", NULL) == CCG_OK ? s : NULL;
}

bool ccg_gpu_result_claim_bool(const struct ccg_gpu_result *r, size_t i, const char *name, bool *out)
{
	return name != NULL && out != NULL && ccg_json_get_bool(device(r, i), name, out, "claims", NULL) == CCG_OK;
}

bool ccg_gpu_result_claim_int(const struct ccg_gpu_result *r, size_t i, const char *name, int64_t *out)
{
	return name != NULL && out != NULL &&
	       ccg_json_get_int(device(r, i), name, INT64_MIN, INT64_MAX, out, "claims", NULL) == CCG_OK;
}
