/* SPDX-License-Identifier: Apache-2.0 */
/* Composite appraisal → per-device ear.status from the appraisal policy → an EAR token. */
#include "verifier/appraise.h"

#include <jansson.h>
#include <jose/b64.h>
#include <jose/openssl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ccgpu/attest.h"
#include "ccgpu/cpu.h"
#include "ccgpu/policy.h"
#include "common/crypto.h"
#include "common/encoding.h"
#include "common/error.h"
#include "common/file.h"
#include "verifier/default_policy.h"
#include "token/tee_jwk.h"

#define ANCHOR_MAX (256 * 1024)
#define MAX_RULES 256
#define VERIFIER_BUILD "ccgpu-verifierd 0.1.0"

struct vd_appraiser {
	struct ccg_cpu_verifier *cpu;
	struct ccg_gpu_verifier *gpu;
	struct ccg_policy *policy;
	char policy_id[256];
};

const char *vd_default_policy(void)
{
	return default_policy_text;
}

struct ccg_gpu_verifier *vd_appraiser_gpu(const struct vd_appraiser *a)
{
	return a->gpu;
}

const char *vd_appraiser_policy_id(const struct vd_appraiser *a)
{
	return a->policy_id;
}

void vd_appraiser_free(struct vd_appraiser *a)
{
	if (a == NULL)
		return;
	ccg_cpu_verifier_free(a->cpu);
	ccg_gpu_verifier_free(a->gpu);
	ccg_policy_free(a->policy);
	free(a);
}

typedef enum ccg_status (*setter_fn)(struct ccg_cpu_verifier *v, const uint8_t *b, size_t n, struct ccg_error *err);

static enum ccg_status set_file(struct ccg_cpu_verifier *v, const char *key, const char *path, setter_fn set,
				struct ccg_error *err)
{
	uint8_t *b = NULL;
	size_t n = 0;
	enum ccg_status st;

	if (path == NULL)
		return CCG_OK;
	st = ccg_file_read(path, ANCHOR_MAX, &b, &n, err);
	if (st == CCG_OK)
		st = set(v, b, n, err);
	free(b);
	if (st != CCG_OK)
		ccg_error_set(err, st, key, "%s", path);
	return st;
}

static enum ccg_status gpu_configure(struct ccg_gpu_verifier *g, const struct vd_config *c, struct ccg_error *err)
{
	enum ccg_status st;

	if (c->gpu_device_root != NULL &&
	    (st = ccg_gpu_verifier_set_device_anchor(g, c->gpu_device_root, err)) != CCG_OK)
		return st;
	if (c->gpu_rim_root != NULL && (st = ccg_gpu_verifier_set_rim_anchor(g, c->gpu_rim_root, err)) != CCG_OK)
		return st;
	if ((c->gpu_rim_dir != NULL || c->gpu_rim_url != NULL) &&
	    (st = ccg_gpu_verifier_set_rims(g, c->gpu_rim_dir, c->gpu_rim_url, err)) != CCG_OK)
		return st;
	if (c->gpu_cache_dir != NULL && (st = ccg_gpu_verifier_set_cache_dir(g, c->gpu_cache_dir, err)) != CCG_OK)
		return st;
	ccg_gpu_verifier_set_offline(g, c->gpu_offline);
	return ccg_gpu_verifier_set_ocsp(g, (enum ccg_gpu_ocsp_mode)c->gpu_ocsp, c->gpu_ocsp_url, 0, err);
}

static enum ccg_status load_policy(struct vd_appraiser *a, const struct vd_config *c, struct ccg_error *err)
{
	uint8_t *text = NULL, digest[CCG_SHA384_LEN];
	size_t n = 0;
	char *canon = NULL, hex[2 * CCG_SHA384_LEN + 1];
	const char *src = default_policy_text;
	enum ccg_status st;

	if (c->policy != NULL) {
		if ((st = ccg_file_read(c->policy, CCG_POLICY_MAX_SOURCE, &text, &n, err)) != CCG_OK)
			return ccg_error_set(err, st, "policy", "%s", c->policy);
		src = (const char *)text;
	} else {
		n = strlen(src);
	}
	st = ccg_policy_parse(src, n, &a->policy, err);
	free(text);
	if (st != CCG_OK)
		return st;
	if (ccg_policy_rule_count(a->policy) > MAX_RULES)
		return ccg_error_set(err, CCG_ERR_TOO_LARGE, "policy", "over %d rules", MAX_RULES);
	/* the id names the policy by its canonical text, so a reformatted file keeps its id */
	if ((canon = ccg_policy_format(a->policy)) == NULL)
		return CCG_ERR_NOMEM;
	st = ccg_sha384((const uint8_t *)canon, strlen(canon), digest);
	free(canon);
	if (st != CCG_OK)
		return st;
	ccg_hex_encode(digest, sizeof(digest), hex);
	snprintf(a->policy_id, sizeof(a->policy_id), "ccgpu-policy:%.64s:sha384:%s", ccg_policy_name(a->policy), hex);
	return CCG_OK;
}

enum ccg_status vd_appraiser_new(const struct vd_config *c, struct vd_appraiser **out, struct ccg_error *err)
{
	struct vd_appraiser *a;
	enum ccg_status st;

	*out = NULL;
	if ((a = calloc(1, sizeof(*a))) == NULL)
		return CCG_ERR_NOMEM;
	if ((st = ccg_cpu_verifier_new(&a->cpu)) != CCG_OK || (st = ccg_gpu_verifier_new(&a->gpu)) != CCG_OK) {
		ccg_error_set(err, st, "appraiser", "creating the verifiers");
		goto fail;
	}
	if ((st = gpu_configure(a->gpu, c, err)) != CCG_OK)
		goto fail;
	if ((st = set_file(a->cpu, "amd_ark", c->amd_ark, ccg_cpu_verifier_set_amd_ark, err)) != CCG_OK ||
	    (st = set_file(a->cpu, "intel_root", c->intel_root, ccg_cpu_verifier_set_intel_root, err)) != CCG_OK ||
	    (st = set_file(a->cpu, "tpm_ak", c->tpm_ak, ccg_cpu_verifier_set_tpm_ak, err)) != CCG_OK)
		goto fail;
	for (size_t i = 0; i < c->n_amd_crls; i++)
		if ((st = set_file(a->cpu, "amd_crl", c->amd_crls[i], ccg_cpu_verifier_add_amd_crl, err)) != CCG_OK)
			goto fail;
	ccg_cpu_verifier_set_require_fresh_collateral(a->cpu, c->require_fresh_collateral);
	ccg_cpu_verifier_set_gpu_verifier(a->cpu, a->gpu);
	if ((st = load_policy(a, c, err)) != CCG_OK)
		goto fail;
	*out = a;
	return CCG_OK;
fail:
	vd_appraiser_free(a);
	return st;
}

void vd_verdict_cleanup(struct vd_verdict *v)
{
	free(v->jws);
	v->jws = NULL;
}

/* One device of the token being built. */
struct dev {
	char name[16];
	enum ccg_ear_status status;
	json_t *claims; /* owned */
	json_t *errors; /* owned array */
};

#define MAX_DEVS (1 + CCG_GPU_MAX_DEVICES)

struct devs {
	struct dev d[MAX_DEVS];
	size_t n;
};

static struct dev *dev_add(struct devs *ds, const char *name, enum ccg_ear_status st, json_t *claims)
{
	struct dev *d;

	if (ds->n == MAX_DEVS) {
		json_decref(claims);
		return NULL;
	}
	d = &ds->d[ds->n++];
	snprintf(d->name, sizeof(d->name), "%s", name);
	d->status = st;
	d->claims = claims != NULL ? claims : json_object();
	d->errors = json_array();
	return d;
}

static struct dev *dev_find(struct devs *ds, const char *name, size_t len)
{
	for (size_t i = 0; i < ds->n; i++)
		if (strlen(ds->d[i].name) == len && strncmp(ds->d[i].name, name, len) == 0)
			return &ds->d[i];
	return NULL;
}

static void devs_free(struct devs *ds)
{
	for (size_t i = 0; i < ds->n; i++) {
		json_decref(ds->d[i].claims);
		json_decref(ds->d[i].errors);
	}
	ds->n = 0;
}

/* the submods of passing composite claims: cpu0 = the CPU claims and the binding; GPU-n = its claims */
static enum ccg_status devs_from_claims(struct devs *ds, json_t *claims)
{
	json_t *cpu = json_deep_copy(json_object_get(claims, "cpu"));
	json_t *subs = json_object_get(json_object_get(claims, "gpu"), "submods");
	const char *name;
	json_t *g;

	if (cpu == NULL || !json_is_object(cpu)) {
		json_decref(cpu);
		return CCG_ERR_INTERNAL;
	}
	if (json_object_set(cpu, "ccgpu-composite", json_object_get(claims, "ccgpu-composite")) != 0)
		return CCG_ERR_NOMEM;
	/* the GPUs' overall claims (x-nvidia-overall-att-result, ...): a release evaluates parties' policies on them (branch release) */
	{
		json_t *overall = json_deep_copy(json_object_get(claims, "gpu"));

		if (json_is_object(overall)) {
			json_object_del(overall, "submods");
			if (json_object_set_new(cpu, "ccgpu-gpu", overall) != 0)
				return CCG_ERR_NOMEM;
		} else {
			json_decref(overall);
		}
	}
	if (dev_add(ds, "cpu0", CCG_EAR_AFFIRMING, cpu) == NULL)
		return CCG_ERR_NOMEM;
	json_object_foreach(subs, name, g) {
		if (dev_add(ds, name, CCG_EAR_AFFIRMING, json_incref(g)) == NULL)
			return CCG_ERR_TOO_LARGE;
	}
	return CCG_OK;
}

/* a failed rule goes to the GPU its detail names ("GPU-1: measres = …"), else to cpu0 */
static void blame(struct devs *ds, const struct ccg_rule_result *r)
{
	struct dev *d = NULL;
	const char *colon = strchr(r->detail, ':');
	char line[CCG_POLICY_DETAIL_MAX + 160];

	if (strncmp(r->detail, "GPU-", 4) == 0 && colon != NULL)
		d = dev_find(ds, r->detail, (size_t)(colon - r->detail));
	if (d == NULL)
		d = &ds->d[0];
	d->status = CCG_EAR_CONTRAINDICATED;
	snprintf(line, sizeof(line), "policy rule %s (%s): %s", r->name, r->message, r->detail);
	json_array_append_new(d->errors, json_string(line));
}

/*
 * The composite failed a check. Its GPUs are appraised alone (same public
 * API, same nonce) to say which GPU failed: a failed GPU is contraindicated
 * with its errors, a GPU that passed alone gets "none" (no claim: the
 * composite as a whole was refused). cpu0 is contraindicated with the
 * composite's error unless the failure was a GPU's.
 */
static enum ccg_status devs_from_failure(struct devs *ds, const struct vd_appraiser *a,
					 const struct vd_attest_request *r, const struct ccg_error *cerr, int64_t now)
{
	json_t *doc = json_loads(r->evidence, 0, NULL), *gclaims = NULL, *subs, *g;
	struct ccg_gpu_evidence *ev = NULL;
	struct ccg_gpu_result *res = NULL;
	const char *b64, *name;
	uint8_t *gpu = NULL;
	size_t gpu_len = 0;
	char text[CCG_ERROR_WHERE_MAX + CCG_ERROR_DETAIL_MAX + 64], *gtext = NULL;
	bool gpu_failed = false;
	struct dev *cpu;

	ccg_error_format(cerr, text, sizeof(text));
	if ((cpu = dev_add(ds, "cpu0", CCG_EAR_CONTRAINDICATED, NULL)) == NULL)
		return CCG_ERR_NOMEM;
	b64 = json_string_value(json_object_get(doc, "gpu_evidence"));
	if (b64 != NULL && ccg_base64_decode(b64, strlen(b64), 4u << 20, &gpu, &gpu_len) == CCG_OK &&
	    ccg_gpu_evidence_new(&ev) == CCG_OK && ccg_gpu_evidence_add_json(ev, gpu, gpu_len, NULL) == CCG_OK) {
		gpu_failed = ccg_gpu_verifier_appraise(a->gpu, ev, r->nonce, VD_NONCE_LEN, now, &res, NULL) != CCG_OK;
		if (res != NULL && (gtext = ccg_gpu_result_claims_json(res, 0)) != NULL)
			gclaims = json_loads(gtext, 0, NULL);
	}
	subs = json_object_get(gclaims, "submods");
	json_object_foreach(subs, name, g) {
		bool ok = json_is_true(json_object_get(g, "ccgpu-result"));
		struct dev *d = dev_add(ds, name, ok ? CCG_EAR_NONE : CCG_EAR_CONTRAINDICATED, json_incref(g));
		json_t *errs = json_object_get(g, "ccgpu-errors");

		if (d == NULL)
			break;
		if (!ok && json_is_array(errs))
			json_array_extend(d->errors, errs);
		else if (!ok)
			json_array_append_new(d->errors, json_string(text));
	}
	if (gpu_failed) {
		cpu->status = CCG_EAR_NONE;
		json_array_append_new(cpu->errors, json_string("no claim: the composite failed in its GPU evidence"));
	} else {
		json_array_append_new(cpu->errors, json_string(text));
	}
	free(gtext);
	json_decref(gclaims);
	ccg_gpu_result_free(res);
	ccg_gpu_evidence_free(ev);
	free(gpu);
	json_decref(doc);
	return CCG_OK;
}

enum ccg_status vd_appraise(const struct vd_appraiser *a, const struct ccg_ear_key *key,
			    const struct vd_attest_request *r, int64_t now, unsigned token_ttl, struct vd_verdict *out,
			    struct ccg_error *err)
{
	struct ccg_cpu_result *res = NULL;
	struct ccg_error cerr;
	struct ccg_claims *cl = NULL;
	struct ccg_rule_result rules[MAX_RULES];
	struct ccg_ear_submod subs[MAX_DEVS];
	struct ccg_ear_params p;
	struct devs ds;
	json_t *claims = NULL, *jwk = NULL;
	char *text = NULL;
	enum ccg_status st = CCG_OK, ast;

	memset(out, 0, sizeof(*out));
	memset(&ds, 0, sizeof(ds));
	ccg_error_clear(&cerr);
	ast = ccg_cpu_verifier_appraise_composite(a->cpu, (const uint8_t *)r->evidence, r->evidence_len, r->nonce,
						  VD_NONCE_LEN, now, &res, &cerr);
	if (ast == CCG_OK) {
		text = ccg_cpu_result_claims_json(res, 0);
		claims = text != NULL ? json_loads(text, 0, NULL) : NULL;
		if (claims == NULL) {
			st = ccg_error_set(err, CCG_ERR_NOMEM, "appraise", "claims");
			goto out;
		}
		if ((st = devs_from_claims(&ds, claims)) != CCG_OK) {
			ccg_error_set(err, st, "appraise", "claims to submods");
			goto out;
		}
		if ((st = ccg_claims_from_json(text, strlen(text), &cl, err)) != CCG_OK)
			goto out;
		ccg_error_clear(&cerr);
		if (ccg_policy_eval(a->policy, cl, now, rules, MAX_RULES, &cerr) != CCG_OK) {
			for (size_t i = 0; i < ccg_policy_rule_count(a->policy); i++)
				if (!rules[i].passed)
					blame(&ds, &rules[i]);
			snprintf(out->detail, sizeof(out->detail), "policy: %s: %s", cerr.where, cerr.detail);
		}
	} else {
		snprintf(out->detail, sizeof(out->detail), "%s: %s", cerr.where, cerr.detail);
		if ((st = devs_from_failure(&ds, a, r, &cerr, now)) != CCG_OK) {
			ccg_error_set(err, st, "appraise", "failure submods");
			goto out;
		}
	}
	for (size_t i = 0; i < ds.n; i++)
		subs[i] = (struct ccg_ear_submod){.name = ds.d[i].name,
						  .status = ds.d[i].status,
						  .claims = ds.d[i].claims,
						  .errors = json_array_size(ds.d[i].errors) > 0 ? ds.d[i].errors : NULL};
	/* cnf.jwk: EC and RSA through libjose, X25519 as RFC 8037 OKP (verifier/tee_jwk.h) */
	if ((st = ccg_tee_jwk_from_pkey(r->tee_key, &jwk, err)) != CCG_OK)
		goto out;
	memset(&p, 0, sizeof(p));
	p.verifier_developer = "ccgpu";
	p.verifier_build = VERIFIER_BUILD;
	p.policy_id = a->policy_id;
	p.iat = now;
	p.exp = now + (int64_t)token_ttl;
	p.nonce = r->nonce;
	p.nonce_len = VD_NONCE_LEN;
	p.tee_jwk = jwk;
	p.submods = subs;
	p.n_submods = ds.n;
	if ((st = ccg_ear_issue(key, &p, &out->jws, NULL, err)) != CCG_OK)
		goto out;
	out->status = CCG_EAR_AFFIRMING;
	for (size_t i = 0; i < ds.n; i++)
		if (ds.d[i].status > out->status)
			out->status = ds.d[i].status;
out:
	json_decref(jwk);
	json_decref(claims);
	free(text);
	ccg_claims_free(cl);
	ccg_cpu_result_free(res);
	devs_free(&ds);
	return st;
}
