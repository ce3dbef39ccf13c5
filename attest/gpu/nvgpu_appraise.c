/* SPDX-License-Identifier: Apache-2.0 */
/*
 * One GPU's appraisal, check by check: parse → nonce → device chain (cached
 * once verified) → architecture → report signature → FWID → revocation →
 * reference manifests → golden comparison. Every check runs even after an
 * earlier one failed, so the claims say everything that was learned. Each
 * check records its failure in a->cur; end_check files it in a->errors, and
 * the first one (a->error) decides the verdict.
 */
#include "attest/gpu/nvgpu_verifier.h"

#include <openssl/bn.h>
#include <openssl/crypto.h>
#include <openssl/x509v3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/crypto.h"
#include "common/error.h"

/* end_check: files the current check's failure, if any, and clears it for the next check. */
static void end_check(struct ccg_gpu_appraisal *a)
{
	if (a->cur.status == CCG_OK)
		return;
	if (a->error.status == CCG_OK)
		a->error = a->cur;
	if (a->num_errors < CCG_GPU_MAX_ERRORS)
		a->errors[a->num_errors++] = a->cur;
	ccg_error_clear(&a->cur);
}

static void parse_report(const struct ccg_gpu_item *it, struct ccg_gpu_appraisal *a)
{
	struct ccg_cursor c;
	size_t sig_len;

	ccg_cursor_init(&c, it->report, it->report_len);
	if (ccg_spdm_meas_request_parse(&c, &a->req, &a->cur) != CCG_OK)
		return;
	if (!a->req.sig_requested) {
		ccg_error_set(&a->cur, CCG_ERR_UNSUPPORTED, "spdm.request.param1",
			      "the request did not ask for a signed report");
		return;
	}
	sig_len = CCG_SPDM_P384_SIG_LEN;
	if (ccg_spdm_meas_response_parse(c.data, c.len, a->req.version, sig_len, &a->resp, &a->cur) != CCG_OK)
		return;
	if ((a->arch == CCG_NVGPU_ARCH_LS10
		     ? ccg_nv_opaque_parse_switch(a->resp.opaque.data, a->resp.opaque.len, &a->opaque, &a->cur)
		     : ccg_nv_opaque_parse(a->resp.opaque.data, a->resp.opaque.len, &a->opaque, &a->cur)) != CCG_OK)
		return;
	a->parsed = true;
}

static STACK_OF(X509) *ref_certs(STACK_OF(X509) *certs)
{
	STACK_OF(X509) *d = sk_X509_dup(certs);

	for (int i = 0; d != NULL && i < sk_X509_num(d); i++)
		X509_up_ref(sk_X509_value(d, i));
	return d;
}

/* chain_cache_lookup: a verified chain for this PEM text that is valid at now, with references taken. */
static bool chain_cache_lookup(struct ccg_gpu_verifier *v, const uint8_t key[CCG_SHA256_LEN], int64_t now,
			       STACK_OF(X509) **certs, EVP_PKEY **leaf_key, char not_after_iso[21])
{
	bool hit = false;

	pthread_mutex_lock(&v->lock);
	for (size_t i = 0; i < CCG_CHAIN_CACHE_SLOTS && !hit; i++) {
		struct ccg_chain_cache_entry *e = &v->chains[i];

		if (!e->used || memcmp(e->key, key, CCG_SHA256_LEN) != 0 || now < e->not_before || now > e->not_after)
			continue;
		*certs = ref_certs(e->certs);
		if (*certs == NULL)
			break;
		EVP_PKEY_up_ref(e->leaf_key);
		*leaf_key = e->leaf_key;
		ccg_time_iso(e->not_after, not_after_iso);
		e->last_use = ++v->clock;
		hit = true;
	}
	pthread_mutex_unlock(&v->lock);
	return hit;
}

static void chain_cache_store(struct ccg_gpu_verifier *v, const uint8_t key[CCG_SHA256_LEN], STACK_OF(X509) *certs,
			      EVP_PKEY *leaf_key, const struct ccg_chain_result *res)
{
	struct ccg_chain_cache_entry *slot = NULL;
	STACK_OF(X509) *copy;

	pthread_mutex_lock(&v->lock);
	for (size_t i = 0; i < CCG_CHAIN_CACHE_SLOTS; i++) {
		struct ccg_chain_cache_entry *e = &v->chains[i];

		if (e->used && memcmp(e->key, key, CCG_SHA256_LEN) == 0) {
			slot = NULL; /* another thread stored it */
			goto out;
		}
		if (slot == NULL || !e->used || (slot->used && e->last_use < slot->last_use))
			slot = e;
	}
	copy = ref_certs(certs);
	if (slot == NULL || copy == NULL) {
		sk_X509_pop_free(copy, X509_free);
		goto out;
	}
	if (slot->used) {
		sk_X509_pop_free(slot->certs, X509_free);
		EVP_PKEY_free(slot->leaf_key);
	}
	memcpy(slot->key, key, CCG_SHA256_LEN);
	slot->certs = copy;
	EVP_PKEY_up_ref(leaf_key);
	slot->leaf_key = leaf_key;
	slot->not_before = res->not_before;
	slot->not_after = res->not_after;
	slot->used = true;
	slot->last_use = ++v->clock;
out:
	pthread_mutex_unlock(&v->lock);
}

/* device_chain: parses and verifies the device chain (or finds it verified in the cache). */
static void device_chain(struct ccg_gpu_verifier *v, const struct ccg_gpu_item *it, int64_t now, STACK_OF(X509) **certs,
			 EVP_PKEY **leaf_key, struct ccg_gpu_appraisal *a)
{
	uint8_t key[CCG_SHA256_LEN];
	struct ccg_chain_opts o = {.anchor = v->device_anchor, .now = now, .name = "device chain"};
	struct ccg_chain_result res;

	*certs = NULL;
	*leaf_key = NULL;
	a->chain.checked = true;
	if (ccg_sha256(it->chain_pem, it->chain_len, key) != CCG_OK) {
		ccg_error_set(&a->cur, CCG_ERR_CRYPTO, "device chain", "SHA-256 failed");
		return;
	}
	if (chain_cache_lookup(v, key, now, certs, leaf_key, a->chain.not_after_iso)) {
		a->chain.valid = true;
		return;
	}
	if (ccg_pem_certs_parse(it->chain_pem, it->chain_len, CCG_CHAIN_MAX_CERTS, certs, &a->cur) != CCG_OK)
		return;
	*leaf_key = X509_get_pubkey(sk_X509_value(*certs, 0));
	if (*leaf_key == NULL) {
		ccg_error_set(&a->cur, CCG_ERR_UNSUPPORTED, "device chain[0]", "leaf key unreadable");
		return;
	}
	if (X509_check_ca(sk_X509_value(*certs, 0)) != 0) {
		char cn[96];

		ccg_error_set(&a->cur, CCG_ERR_CERT_CHAIN, "device chain[0]",
			      "the chain has no device certificate: its first certificate (CN=%s) is a CA",
			      ccg_x509_cn(sk_X509_value(*certs, 0), cn, sizeof(cn)));
		return;
	}
	a->chain.valid = ccg_chain_verify(*certs, &o, &res, &a->cur) == CCG_OK;
	a->chain.expired = res.expired;
	memcpy(a->chain.not_after_iso, res.not_after_iso, sizeof(res.not_after_iso));
	if (a->chain.valid)
		chain_cache_store(v, key, *certs, *leaf_key, &res);
}

static void describe_device(STACK_OF(X509) *certs, struct ccg_gpu_appraisal *a)
{
	X509 *leaf = sk_X509_value(certs, 0);
	unsigned int md_len = 0;
	BIGNUM *bn = ASN1_INTEGER_to_BN(X509_get0_serialNumber(leaf), NULL);
	char *dec = bn != NULL ? BN_bn2dec(bn) : NULL;
	char cn[96];
	const char *prefix;

	snprintf(a->ueid, sizeof(a->ueid), "%s", dec != NULL ? dec : "");
	a->has_leaf = X509_digest(leaf, EVP_sha256(), a->leaf_sha256, &md_len) == 1 && md_len == CCG_SHA256_LEN;
	OPENSSL_free(dec);
	BN_free(bn);
	/* the device (BROM) certificate names the hardware model, as in NVIDIA's claims */
	if (sk_X509_num(certs) > 1)
		ccg_x509_cn(sk_X509_value(certs, 1), a->hwmodel, sizeof(a->hwmodel));
	ccg_x509_cn(leaf, cn, sizeof(cn));
	prefix = a->arch == CCG_NVGPU_ARCH_HOPPER ? "GH100" : a->arch == CCG_NVGPU_ARCH_LS10 ? "LS_10" : "GB";
	a->arch_check = strncmp(cn, prefix, strlen(prefix)) == 0;
	if (!a->arch_check)
		ccg_error_set(&a->cur, CCG_ERR_UNSUPPORTED, "device chain[0]", "leaf \"%s\" is not a %s device", cn,
			      ccg_nvgpu_arch_name(a->arch));
}

static void check_signature(EVP_PKEY *leaf_key, struct ccg_gpu_appraisal *a)
{
	a->signature_verified = ccg_spdm_meas_verify(&a->req, &a->resp, NULL, 0, leaf_key, &a->cur) == CCG_OK;
}

static void check_fwid(STACK_OF(X509) *certs, struct ccg_gpu_appraisal *a)
{
	uint8_t fwid[48];

	a->fwid_checked = true;
	if (ccg_nv_opaque_find(&a->opaque, CCG_NV_OPAQUE_FWID) == NULL) {
		/*
		 * Older drivers (535) put no FWID in the report. NVIDIA's SDK treats a
		 * missing FWID as a match (gpu/evidence.cpp); so does ccgpu, and says
		 * so in the claim ccgpu-fwid "absent" for policies that refuse it.
		 */
		a->fwid_absent = true;
		a->fwid_match = true;
		return;
	}
	if (ccg_cert_fwid(sk_X509_value(certs, 0), fwid, &a->cur) != CCG_OK)
		return;
	a->fwid_match =
		a->opaque.fwid.len == sizeof(fwid) && CRYPTO_memcmp(fwid, a->opaque.fwid.data, sizeof(fwid)) == 0;
	if (!a->fwid_match)
		ccg_error_set(&a->cur, CCG_ERR_CERT_FWID, "device chain[0]",
			      "leaf certificate FWID differs from the report's FWID");
}

/* check_revocation: OCSP over chain (leaf first), with the anchor appended when absent. */
static void check_revocation(struct ccg_gpu_verifier *v, STACK_OF(X509) *chain, X509 *anchor, int64_t now,
			     struct ccg_ocsp_cert_result *out, struct ccg_error *err)
{
	STACK_OF(X509) *full = sk_X509_dup(chain);
	X509 *last;

	if (full == NULL) {
		ccg_error_set(err, CCG_ERR_NOMEM, "ocsp", "out of memory");
		return;
	}
	last = sk_X509_value(full, sk_X509_num(full) - 1);
	if (X509_check_issued(last, last) != X509_V_OK && sk_X509_push(full, anchor) <= 0) {
		ccg_error_set(err, CCG_ERR_NOMEM, "ocsp", "out of memory");
		sk_X509_free(full);
		return;
	}
	if (ccg_ocsp_check_chain(v->ocsp, full, now, out, err) != CCG_OK) {
		/* the failure is recorded in err; out says which status */
	}
	sk_X509_free(full);
}

static void appraise_rim(struct ccg_gpu_verifier *v, const char *kind, const char *report_version, int64_t now,
			 struct ccg_rim_claims *rc, struct ccg_gpu_appraisal *a)
{
	struct ccg_rim_verify_opts o = {.rim_root = v->rim_anchor, .now = now, .ignore_expiry = v->rim_ignore_expiry};
	struct ccg_rim_verify_result res;
	enum ccg_status st;

	memset(&res, 0, sizeof(res));
	st = ccg_rim_store_get(v->rims, rc->id, &o, &rc->rim, &res, &a->cur);
	rc->fetched = st != CCG_ERR_RIM_NOT_FOUND && st != CCG_ERR_NETWORK && st != CCG_ERR_IO;
	rc->schema_valid = res.schema_valid;
	rc->signature_verified = res.signature_verified;
	rc->chain.checked = rc->fetched;
	rc->chain.valid = res.chain_verified;
	rc->chain.expired = res.chain.expired;
	memcpy(rc->chain.not_after_iso, res.chain.not_after_iso, sizeof(rc->chain.not_after_iso));
	if (rc->rim == NULL && st == CCG_ERR_CERT_EXPIRED && res.signature_verified) {
		/*
		 * Only the RIM's chain is out of date (already recorded above): the
		 * manifest itself is read and signed, so what it says about the
		 * version and the measurements is still reported truthfully.
		 */
		struct ccg_rim_verify_opts lax = o;
		struct ccg_rim_verify_result again;

		lax.ignore_expiry = true;
		if (ccg_rim_store_get(v->rims, rc->id, &lax, &rc->rim, &again, NULL) != CCG_OK)
			rc->rim = NULL;
	}
	if (rc->rim == NULL)
		return;
	rc->version_match =
		rc->rim->colloquial_version != NULL && strcasecmp(rc->rim->colloquial_version, report_version) == 0;
	if (!rc->version_match)
		ccg_error_set(&a->cur, CCG_ERR_RIM_INVALID, kind, "RIM %s is for version %s, the report says %s",
			      rc->id, rc->rim->colloquial_version ? rc->rim->colloquial_version : "(none)",
			      report_version);
	rc->measurements_available = rc->rim->num_measurements > 0;
	if (v->ocsp_mode != CCG_GPU_OCSP_OFF && rc->rim->certs != NULL)
		check_revocation(v, rc->rim->certs, v->rim_anchor, now, &rc->chain.ocsp, &a->cur);
	if (rc->chain.expired && v->rim_ignore_expiry)
		snprintf(a->warning + strlen(a->warning), sizeof(a->warning) - strlen(a->warning),
			 "%s%s RIM certificate chain expired (valid until %s); expiry ignored by configuration",
			 a->warning[0] ? "; " : "", kind, rc->chain.not_after_iso);
}

static void appraise_rims(struct ccg_gpu_verifier *v, int64_t now, struct ccg_gpu_appraisal *a)
{
	const struct ccg_rim *drv, *vb;

	a->rims_checked = true;
	if (v->rim_dir == NULL && v->rim_url == NULL) {
		ccg_error_set(&a->cur, CCG_ERR_RIM_NOT_FOUND, "rims", "no RIM directory or RIM service configured");
		return;
	}
	if (ccg_nvgpu_rim_ids(a->arch, &a->opaque, a->driver.id, a->vbios.id, &a->cur) != CCG_OK)
		return;
	if (a->driver.id[0] != '\0') /* NVSwitches have a BIOS RIM only */
		appraise_rim(v, "driver", a->opaque.driver_version, now, &a->driver, a);
	end_check(a);
	appraise_rim(v, a->arch == CCG_NVGPU_ARCH_LS10 ? "bios" : "vbios", a->opaque.vbios_version, now, &a->vbios, a);
	end_check(a);
	/* compare only against manifests whose signature verified */
	drv = a->driver.signature_verified ? a->driver.rim : NULL;
	vb = a->vbios.signature_verified ? a->vbios.rim : NULL;
	if (drv == NULL && vb == NULL)
		return;
	a->golden_done = true;
	if (ccg_nvgpu_golden_compare(drv, vb, &a->resp, &a->opaque, &a->golden, &a->cur) != CCG_OK) {
		/* every mismatch is listed in a->golden; the first is in a->error */
	}
}

enum ccg_status ccg_gpu_appraise_one(struct ccg_gpu_verifier *v, const struct ccg_gpu_item *it,
				     const uint8_t nonce[CCG_GPU_NONCE_LEN], int64_t now, struct ccg_gpu_appraisal *a)
{
	STACK_OF(X509) *certs = NULL;
	EVP_PKEY *leaf_key = NULL;

	ccg_error_clear(&a->error);
	ccg_error_clear(&a->cur);
	a->arch = it->arch;
	parse_report(it, a);
	end_check(a);
	if (a->parsed) {
		a->nonce_match = CRYPTO_memcmp(a->req.nonce, nonce, CCG_GPU_NONCE_LEN) == 0;
		if (!a->nonce_match)
			ccg_error_set(&a->cur, CCG_ERR_NONCE_MISMATCH, "spdm.request.nonce",
				      "the report is not over the expected nonce");
		end_check(a);
	}
	device_chain(v, it, now, &certs, &leaf_key, a);
	end_check(a);
	if (certs != NULL)
		describe_device(certs, a);
	end_check(a);
	if (a->parsed && leaf_key != NULL)
		check_signature(leaf_key, a);
	end_check(a);
	if (a->parsed && certs != NULL)
		check_fwid(certs, a);
	end_check(a);
	if (certs != NULL && v->ocsp_mode != CCG_GPU_OCSP_OFF) {
		a->revocation_attempted = true;
		check_revocation(v, certs, v->device_anchor, now, &a->chain.ocsp, &a->cur);
	}
	end_check(a);
	if (a->parsed && !v->skip_rims)
		appraise_rims(v, now, a);
	end_check(a);
	sk_X509_pop_free(certs, X509_free);
	EVP_PKEY_free(leaf_key);
	return a->error.status;
}

void ccg_gpu_appraisal_fail(struct ccg_gpu_appraisal *a, const struct ccg_error *e)
{
	a->cur = *e;
	end_check(a);
}

void ccg_gpu_refuse_repeats(struct ccg_gpu_appraisal **as, const char *const *names, size_t n)
{
	for (size_t i = 1; i < n; i++) {
		for (size_t j = 0; j < i; j++) {
			bool same_leaf = as[i]->has_leaf && as[j]->has_leaf &&
					 memcmp(as[i]->leaf_sha256, as[j]->leaf_sha256, CCG_SHA256_LEN) == 0;
			bool same_ueid = as[i]->ueid[0] != '\0' && strcmp(as[i]->ueid, as[j]->ueid) == 0;

			if (!same_leaf && !same_ueid)
				continue;
			ccg_error_set(&as[i]->cur, CCG_ERR_DUPLICATE, "device",
				      "the same device as %s (%s %s): one device's evidence counts once", names[j],
				      same_leaf ? "leaf certificate" : "ueid", as[i]->ueid);
			end_check(as[i]);
			break;
		}
	}
}
