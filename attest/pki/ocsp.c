/* SPDX-License-Identifier: Apache-2.0 */
/*
 * OCSP (RFC 6960) client on OpenSSL's OCSP API.
 *
 * CertID hash: SHA-384. NVIDIA's own verifiers (nvtrust's local GPU verifier,
 * cc_admin_utils.build_ocsp_request) build their requests with
 * OCSPRequestBuilder().add_certificate(cert, issuer, SHA384()) plus a nonce,
 * and ocsp.ndis.nvidia.com answers them; `openssl ocsp` answers SHA-384
 * CertIDs too. The in-memory and file caches are keyed by the DER of this
 * SHA-384 CertID. Supplied responses (ccg_ocsp_add_response) may use any of
 * SHA-1/256/384/512: they are matched by recomputing the CertID with their
 * hash algorithm.
 *
 * Requests carry a 32-byte random nonce; a fetched response must echo it.
 * Responses must be signed by the issuer itself or by a responder
 * certificate carrying id-kp-OCSPSigning that the issuer signed
 * (OCSP_basic_verify with the issuer as the only trust anchor, partial
 * chains allowed, OCSP_NOEXPLICIT, the chain checked at the caller's time).
 */
#include <openssl/ocsp.h>
#include <openssl/x509v3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "attest/pki/ocsp.h"
#include "attest/pki/ocsp_internal.h"
#include "common/crypto.h"
#include "common/error.h"
#include "common/http.h"
#include "common/str.h"

#define SKEW_SECONDS 300
#define CHAIN_MAX 16

enum ccg_status ccg_ocsp_new(const struct ccg_ocsp_config *config, struct ccg_ocsp **out,
			     struct ccg_error *err)
{
	struct ccg_ocsp *o = NULL;
	bool failed = false;
	enum ccg_status st = CCG_OK;

	if (out == NULL || config == NULL)
		return ccg_error_set(err, CCG_ERR_INVALID_ARG, "ocsp.config", "NULL argument");
	*out = NULL;
	if (config->mode != CCG_OCSP_MODE_OFF && config->mode != CCG_OCSP_MODE_CACHE &&
	    config->mode != CCG_OCSP_MODE_ONLINE)
		return ccg_error_set(err, CCG_ERR_INVALID_ARG, "ocsp.config.mode", "unknown mode %d",
				     (int)config->mode);
	if (config->responder_url != NULL && !ccg_http_url_ok(config->responder_url))
		return ccg_error_set(err, CCG_ERR_INVALID_ARG, "ocsp.config.responder_url",
				     "only http:// and https:// URLs are allowed");
	if (config->cache_dir != NULL && config->cache_dir[0] == '\0')
		return ccg_error_set(err, CCG_ERR_INVALID_ARG, "ocsp.config.cache_dir", "empty path");
	if (config->max_age < 0 || config->timeout_ms < 0)
		return ccg_error_set(err, CCG_ERR_INVALID_ARG, "ocsp.config",
				     "max_age and timeout_ms must not be negative");
	o = calloc(1, sizeof(*o));
	if (o == NULL)
		return ccg_error_set(err, CCG_ERR_NOMEM, "ocsp", "allocating the checker");
	o->mode = config->mode;
	o->max_age = config->max_age;
	o->timeout_ms = config->timeout_ms > 0 ? config->timeout_ms : 10000;
	o->responder_url = ccg_strdup_opt(config->responder_url, &failed);
	o->cache_dir = ccg_strdup_opt(config->cache_dir, &failed);
	if (failed) {
		st = ccg_error_set(err, CCG_ERR_NOMEM, "ocsp", "copying the configuration");
		goto out;
	}
	st = ccg_ocsp_cache_init(o);
	if (st != CCG_OK) {
		st = ccg_error_set(err, st, "ocsp", "initialising the cache");
		goto out;
	}
	*out = o;
	o = NULL;
out:
	if (o != NULL) {
		ccg_ocsp_cache_cleanup(o);
		free(o->responder_url);
		free(o->cache_dir);
		free(o);
	}
	return st;
}

void ccg_ocsp_free(struct ccg_ocsp *o)
{
	if (o == NULL)
		return;
	pthread_mutex_destroy(&o->lock);
	ccg_ocsp_cache_cleanup(o);
	free(o->responder_url);
	free(o->cache_dir);
	free(o);
}

const char *ccg_ocsp_status_name(enum ccg_ocsp_cert_status s)
{
	switch (s) {
	case CCG_OCSP_NOT_CHECKED:
		return "not-checked";
	case CCG_OCSP_GOOD:
		return "good";
	case CCG_OCSP_REVOKED:
		return "revoked";
	case CCG_OCSP_ON_HOLD:
		return "on-hold";
	case CCG_OCSP_UNKNOWN:
		return "unknown";
	}
	return "invalid";
}

const char *ccg_ocsp_reason_name(int reason)
{
	static const char *const names[] = {
		"unspecified",	"keyCompromise",	"cACompromise",	 "affiliationChanged",
		"superseded",	"cessationOfOperation", "certificateHold", NULL,
		"removeFromCRL", "privilegeWithdrawn", "aACompromise",
	};

	if (reason < 0 || (size_t)reason >= sizeof(names) / sizeof(names[0]))
		return NULL;
	return names[reason];
}

/* "CN=leaf" for error details */
static const char *who(X509 *cert, char *buf, size_t len)
{
	char cn[96];

	snprintf(buf, len, "CN=%s", ccg_x509_cn(cert, cn, sizeof(cn)));
	return buf;
}

/* CCG_OK when r may be used at now; else CCG_ERR_OCSP_STALE with why */
static enum ccg_status fresh(const struct ccg_ocsp *o, const struct ccg_ocsp_cert_result *r,
			     int64_t now, const char *name, struct ccg_error *err)
{
	char t[21], n[21];

	ccg_time_iso(r->this_update, t);
	if (r->this_update > now + SKEW_SECONDS)
		return ccg_error_set(err, CCG_ERR_OCSP_STALE, "ocsp.this_update",
				     "%s: thisUpdate %s is in the future", name, t);
	if (r->next_update != 0 && now > r->next_update) {
		ccg_time_iso(r->next_update, n);
		return ccg_error_set(err, CCG_ERR_OCSP_STALE, "ocsp.next_update",
				     "%s: past nextUpdate %s", name, n);
	}
	if (o->max_age > 0 && now - r->this_update > o->max_age)
		return ccg_error_set(err, CCG_ERR_OCSP_STALE, "ocsp.max_age",
				     "%s: thisUpdate %s is older than %lld s", name, t,
				     (long long)o->max_age);
	/* without nextUpdate and without a configured bound, a default bound: never "fresh forever" */
	if (o->max_age == 0 && r->next_update == 0 && now - r->this_update > CCG_OCSP_NO_NEXT_UPDATE_MAX_AGE)
		return ccg_error_set(err, CCG_ERR_OCSP_STALE, "ocsp.max_age",
				     "%s: thisUpdate %s is older than %d s and the response has no nextUpdate",
				     name, t, CCG_OCSP_NO_NEXT_UPDATE_MAX_AGE);
	return CCG_OK;
}

/* the verdict of a fresh result */
static enum ccg_status verdict(const struct ccg_ocsp_cert_result *r, const char *name,
			       struct ccg_error *err)
{
	const char *why = ccg_ocsp_reason_name(r->reason);
	char t[21];

	ccg_time_iso(r->revocation_time, t);
	switch (r->status) {
	case CCG_OCSP_GOOD:
		return CCG_OK;
	case CCG_OCSP_REVOKED:
		return ccg_error_set(err, CCG_ERR_REVOKED, "ocsp.cert_status",
				     "%s revoked at %s, reason %s", name, t,
				     why != NULL ? why : "not given");
	case CCG_OCSP_ON_HOLD:
		return ccg_error_set(err, CCG_ERR_CERT_ON_HOLD, "ocsp.cert_status",
				     "%s on hold since %s (certificateHold)", name, t);
	case CCG_OCSP_UNKNOWN:
		return ccg_error_set(err, CCG_ERR_OCSP_UNKNOWN, "ocsp.cert_status",
				     "%s unknown to the responder", name);
	case CCG_OCSP_NOT_CHECKED:
		break;
	}
	return ccg_error_set(err, CCG_ERR_INTERNAL, "ocsp.cert_status", "%s: no status", name);
}

/* a usable result: fresh, then its verdict; out gets r either way */
static enum ccg_status conclude(const struct ccg_ocsp *o, const struct ccg_ocsp_cert_result *r,
				bool from_cache, int64_t now, const char *name,
				struct ccg_ocsp_cert_result *out, struct ccg_error *err)
{
	enum ccg_status st = fresh(o, r, now, name, err);

	*out = *r;
	out->from_cache = from_cache;
	if (st != CCG_OK) {
		out->status = CCG_OCSP_NOT_CHECKED;
		return st;
	}
	return verdict(r, name, err);
}

/* the cache file for key, verified against issuer, into the memory table */
static enum ccg_status load_file(struct ccg_ocsp *o, OCSP_CERTID *id, const uint8_t *key,
				 size_t key_len, X509 *issuer, int64_t now, const char *name,
				 struct ccg_error *err)
{
	uint8_t *der = NULL;
	size_t len = 0;
	OCSP_BASICRESP *bs = NULL;
	struct ccg_ocsp_cert_result r;
	enum ccg_status st;

	st = ccg_ocsp_file_load(o, key, key_len, &der, &len, err);
	if (st == CCG_ERR_TOO_LARGE)
		st = ccg_error_set(err, CCG_ERR_OCSP, "ocsp.cache",
				   "%s: cache file over %u bytes", name, CCG_OCSP_MAX_RESPONSE);
	if (st != CCG_OK)
		goto out;
	st = ccg_ocsp_response_parse(der, len, "ocsp.cache", &bs, err);
	if (st == CCG_OK)
		st = ccg_ocsp_basic_verify(bs, NULL, id, issuer, now, name, &r, err);
	if (st == CCG_OK)
		ccg_ocsp_mem_insert(o, key, key_len, &r);
out:
	OCSP_BASICRESP_free(bs);
	free(der);
	return st;
}

/* supplied responses that answer cert, verified against issuer, into the memory table */
static enum ccg_status load_supplied(struct ccg_ocsp *o, X509 *cert, X509 *issuer, const uint8_t *key,
				     size_t key_len, int64_t now, const char *name,
				     struct ccg_error *err)
{
	size_t n = ccg_ocsp_supplied_count(o);
	enum ccg_status first = CCG_ERR_NOT_FOUND;

	for (size_t i = 0; i < n; i++) {
		OCSP_BASICRESP *bs = NULL;
		int count;

		if (ccg_ocsp_response_parse(o->supplied[i].der, o->supplied[i].len, "ocsp.supplied",
					    &bs, NULL) != CCG_OK)
			continue;
		count = OCSP_resp_count(bs);
		for (int j = 0; j < count; j++) {
			OCSP_CERTID *mine = NULL;
			const OCSP_CERTID *theirs = OCSP_SINGLERESP_get0_id(OCSP_resp_get0(bs, j));
			ASN1_OBJECT *md_obj = NULL;
			const EVP_MD *md;
			uint8_t k[CCG_OCSP_KEY_MAX];
			size_t k_len;
			struct ccg_ocsp_cert_result r;
			enum ccg_status st;
			int nid;

			if (OCSP_id_get0_info(NULL, &md_obj, NULL, NULL, (OCSP_CERTID *)theirs) != 1)
				continue;
			nid = OBJ_obj2nid(md_obj);
			if (nid != NID_sha1 && nid != NID_sha256 && nid != NID_sha384 && nid != NID_sha512)
				continue;
			md = EVP_get_digestbynid(nid);
			if (md == NULL || ccg_ocsp_cert_id(cert, issuer, md, &mine, k, &k_len, NULL) != CCG_OK)
				continue;
			if (OCSP_id_cmp(mine, theirs) == 0) {
				st = ccg_ocsp_basic_verify(bs, NULL, mine, issuer, now, name, &r, err);
				if (st == CCG_OK)
					ccg_ocsp_mem_insert(o, key, key_len, &r);
				if (st == CCG_OK || first == CCG_ERR_NOT_FOUND)
					first = st; /* success, else the first failure */
			}
			OCSP_CERTID_free(mine);
		}
		OCSP_BASICRESP_free(bs);
	}
	return first;
}

enum ccg_status ccg_ocsp_check(struct ccg_ocsp *o, X509 *cert, X509 *issuer, int64_t now,
			       struct ccg_ocsp_cert_result *out, struct ccg_error *err)
{
	OCSP_CERTID *id = NULL;
	uint8_t key[CCG_OCSP_KEY_MAX];
	size_t key_len = 0;
	uint8_t *der = NULL;
	size_t der_len = 0;
	struct ccg_ocsp_cert_result r;
	struct ccg_error offline_err;
	char name[112];
	bool have = false;
	enum ccg_status st, offline_st = CCG_ERR_NOT_FOUND;

	if (out != NULL)
		ccg_ocsp_result_init(out);
	if (o == NULL || cert == NULL || issuer == NULL || out == NULL)
		return ccg_error_set(err, CCG_ERR_INVALID_ARG, "ocsp", "NULL argument");
	if (o->mode == CCG_OCSP_MODE_OFF)
		return CCG_OK;
	if (now == 0)
		now = (int64_t)time(NULL);
	who(cert, name, sizeof(name));
	st = ccg_ocsp_cert_id(cert, issuer, EVP_sha384(), NULL, key, &key_len, err);
	if (st != CCG_OK)
		goto out;

	/* warm path: a fresh verified entry in memory */
	have = ccg_ocsp_mem_lookup(o, key, key_len, &r);
	if (have && fresh(o, &r, now, name, NULL) == CCG_OK) {
		st = conclude(o, &r, true, now, name, out, err);
		goto out;
	}

	/* cache file and supplied responses, each verified before use */
	st = ccg_ocsp_cert_id(cert, issuer, EVP_sha384(), &id, key, &key_len, err);
	if (st != CCG_OK)
		goto out;
	ccg_error_clear(&offline_err);
	offline_st = load_file(o, id, key, key_len, issuer, now, name, &offline_err);
	if (offline_st == CCG_ERR_NOT_FOUND) {
		ccg_error_clear(&offline_err);
		offline_st = load_supplied(o, cert, issuer, key, key_len, now, name, &offline_err);
	} else {
		(void)load_supplied(o, cert, issuer, key, key_len, now, name, NULL);
	}
	have = ccg_ocsp_mem_lookup(o, key, key_len, &r);
	if (have && fresh(o, &r, now, name, NULL) == CCG_OK) {
		st = conclude(o, &r, true, now, name, out, err);
		goto out;
	}

	if (o->mode == CCG_OCSP_MODE_CACHE) {
		if (have) {
			st = conclude(o, &r, true, now, name, out, err);
		} else if (offline_st != CCG_OK && offline_st != CCG_ERR_NOT_FOUND) {
			st = ccg_error_set(err, offline_st, offline_err.where, "%s", offline_err.detail);
		} else {
			st = ccg_error_set(err, CCG_ERR_OCSP_UNAVAILABLE, "ocsp.cache",
					   "%s: no cached OCSP response (offline mode)", name);
		}
		goto out;
	}

	/* online: ask the responder */
	st = ccg_ocsp_fetch(o, cert, issuer, id, now, name, &r, &der, &der_len, err);
	if (st != CCG_OK)
		goto out;
	ccg_ocsp_mem_insert(o, key, key_len, &r);
	if (ccg_ocsp_file_store(o, key, key_len, der, der_len, NULL) != CCG_OK) {
		/* a cache directory that cannot be written only costs a later refetch */
	}
	st = conclude(o, &r, false, now, name, out, err);
out:
	free(der);
	OCSP_CERTID_free(id);
	return st;
}

enum ccg_status ccg_ocsp_add_response(struct ccg_ocsp *o, const uint8_t *der, size_t len,
				      struct ccg_error *err)
{
	OCSP_BASICRESP *bs = NULL;
	enum ccg_status st;

	if (o == NULL)
		return ccg_error_set(err, CCG_ERR_INVALID_ARG, "ocsp", "NULL checker");
	st = ccg_ocsp_response_parse(der, len, "ocsp.supplied", &bs, err);
	if (st != CCG_OK)
		goto out;
	if (OCSP_resp_count(bs) < 1) {
		st = ccg_error_set(err, CCG_ERR_OCSP, "ocsp.supplied", "no SingleResponse");
		goto out;
	}
	st = ccg_ocsp_supplied_add(o, der, len, err);
out:
	OCSP_BASICRESP_free(bs);
	return st;
}

/* how bad a result is, for ccg_ocsp_check_chain's "worst" */
static int severity(enum ccg_status st)
{
	switch (st) {
	case CCG_OK:
		return 0;
	case CCG_ERR_OCSP_UNKNOWN:
		return 1;
	case CCG_ERR_OCSP_UNAVAILABLE:
		return 2;
	case CCG_ERR_OCSP_STALE:
		return 3;
	case CCG_ERR_CERT_ON_HOLD:
		return 5;
	case CCG_ERR_REVOKED:
		return 6;
	default:
		return 4; /* invalid response, bad argument, internal */
	}
}

enum ccg_status ccg_ocsp_check_chain(struct ccg_ocsp *o, STACK_OF(X509) *chain, int64_t now,
				     struct ccg_ocsp_cert_result *out, struct ccg_error *err)
{
	int n = chain != NULL ? sk_X509_num(chain) : 0;
	enum ccg_status worst = CCG_OK;
	struct ccg_error worst_err;
	struct ccg_ocsp_cert_result r;
	int worst_i = -1;
	bool all_cached = true;
	char where[CCG_ERROR_WHERE_MAX], cn[96];

	if (out != NULL)
		ccg_ocsp_result_init(out);
	if (o == NULL || out == NULL || n < 1)
		return ccg_error_set(err, CCG_ERR_INVALID_ARG, "chain", "empty chain or NULL argument");
	if (n > CHAIN_MAX)
		return ccg_error_set(err, CCG_ERR_TOO_LARGE, "chain", "%d certificates, maximum %d", n,
				     CHAIN_MAX);
	if (o->mode == CCG_OCSP_MODE_OFF)
		return CCG_OK;
	ccg_error_clear(&worst_err);
	/* the last certificate (the root, or whatever the chain stops at) has no issuer here */
	for (int i = 0; i + 1 < n; i++) {
		X509 *cert = sk_X509_value(chain, i), *issuer = sk_X509_value(chain, i + 1);
		struct ccg_error e;
		enum ccg_status st;

		ccg_error_clear(&e);
		if (X509_check_issued(issuer, cert) != X509_V_OK)
			st = ccg_error_set(&e, CCG_ERR_CERT_CHAIN, "ocsp.issuer",
					   "chain[%d] is not its issuer", i + 1);
		else
			st = ccg_ocsp_check(o, cert, issuer, now, &r, &e);
		if (st == CCG_OK && !r.from_cache)
			all_cached = false;
		if (worst_i < 0 || severity(st) > severity(worst)) {
			worst = st;
			worst_i = i;
			worst_err = e;
			*out = r;
		}
	}
	if (worst_i < 0) {
		/* a lone root: nothing can be revoked */
		return CCG_OK;
	}
	if (worst == CCG_OK) {
		out->from_cache = all_cached;
		return CCG_OK;
	}
	snprintf(where, sizeof(where), "chain[%d] (CN=%s)", worst_i,
		 ccg_x509_cn(sk_X509_value(chain, worst_i), cn, sizeof(cn)));
	return ccg_error_set(err, worst, where, "%s: %s", worst_err.where, worst_err.detail);
}
