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
#include <openssl/err.h>
#include <openssl/ocsp.h>
#include <openssl/x509_vfy.h>
#include <openssl/x509v3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "attest/ocsp.h"
#include "attest/ocsp_internal.h"
#include "common/crypto.h"
#include "common/error.h"
#include "common/http.h"

#define NONCE_LEN 32
#define SKEW_SECONDS 300
#define CHAIN_MAX 16

static void result_init(struct ccg_ocsp_cert_result *r)
{
	memset(r, 0, sizeof(*r));
	r->status = CCG_OCSP_NOT_CHECKED;
	r->reason = -1;
}

static char *dup_or_null(const char *s, bool *failed)
{
	char *d;

	if (s == NULL)
		return NULL;
	d = strdup(s);
	if (d == NULL)
		*failed = true;
	return d;
}

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
	if (config->responder_url != NULL && strncmp(config->responder_url, "http://", 7) != 0 &&
	    strncmp(config->responder_url, "https://", 8) != 0)
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
	o->responder_url = dup_or_null(config->responder_url, &failed);
	o->cache_dir = dup_or_null(config->cache_dir, &failed);
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

/*
 * The CertID of cert under issuer with md, and its DER in key (the cache
 * key). *out may be NULL when the caller only needs the key.
 */
static enum ccg_status cert_id_make(X509 *cert, X509 *issuer, const EVP_MD *md, OCSP_CERTID **out,
				    uint8_t key[CCG_OCSP_KEY_MAX], size_t *key_len,
				    struct ccg_error *err)
{
	OCSP_CERTID *id = OCSP_cert_to_id(md, cert, issuer);
	unsigned char *p = key;
	int n;

	if (id == NULL)
		return ccg_openssl_error(err, CCG_ERR_CRYPTO, "ocsp.cert_id", "OCSP_cert_to_id");
	n = i2d_OCSP_CERTID(id, NULL);
	if (n <= 0 || n > CCG_OCSP_KEY_MAX) {
		OCSP_CERTID_free(id);
		return ccg_error_set(err, CCG_ERR_UNSUPPORTED, "ocsp.cert_id",
				     "CertID of %d bytes (serial number too long?)", n);
	}
	(void)i2d_OCSP_CERTID(id, &p);
	*key_len = (size_t)n;
	if (out != NULL)
		*out = id;
	else
		OCSP_CERTID_free(id);
	return CCG_OK;
}

enum ccg_status ccg_ocsp_response_parse(const uint8_t *der, size_t len, const char *where,
					OCSP_BASICRESP **out, struct ccg_error *err)
{
	OCSP_RESPONSE *resp = NULL;
	const unsigned char *p = der;
	int rs;
	enum ccg_status st = CCG_OK;

	*out = NULL;
	if (der == NULL || len == 0)
		return ccg_error_set(err, CCG_ERR_OCSP, where, "empty OCSP response");
	if (len > CCG_OCSP_MAX_RESPONSE)
		return ccg_error_set(err, CCG_ERR_OCSP, where,
				     "OCSP response of %zu bytes exceeds the %u-byte maximum", len,
				     CCG_OCSP_MAX_RESPONSE);
	resp = d2i_OCSP_RESPONSE(NULL, &p, (long)len);
	if (resp == NULL) {
		st = ccg_openssl_error(err, CCG_ERR_OCSP, where, "OCSPResponse is not valid DER");
		goto out;
	}
	if (p != der + len) {
		st = ccg_error_set(err, CCG_ERR_OCSP, where, "%zu bytes after the OCSPResponse",
				   len - (size_t)(p - der));
		goto out;
	}
	rs = OCSP_response_status(resp);
	if (rs != OCSP_RESPONSE_STATUS_SUCCESSFUL) {
		st = ccg_error_set(err, CCG_ERR_OCSP, where, "responseStatus %s (%d)",
				   OCSP_response_status_str(rs), rs);
		goto out;
	}
	*out = OCSP_response_get1_basic(resp);
	if (*out == NULL)
		st = ccg_openssl_error(err, CCG_ERR_OCSP, where, "no BasicOCSPResponse in the response");
out:
	OCSP_RESPONSE_free(resp);
	return st;
}

/*
 * Verifies bs as an answer about id from issuer at time now: signature and
 * signer (issuer or its delegated responder), the nonce when req is given,
 * exactly one SingleResponse for id. Fills r; freshness is left to fresh().
 */
static enum ccg_status verify_basic(OCSP_BASICRESP *bs, OCSP_REQUEST *req, OCSP_CERTID *id,
				    X509 *issuer, int64_t now, const char *name,
				    struct ccg_ocsp_cert_result *r, struct ccg_error *err)
{
	X509_STORE *store = NULL;
	STACK_OF(X509) *certs = NULL;
	X509_VERIFY_PARAM *param;
	ASN1_GENERALIZEDTIME *rev = NULL, *thisupd = NULL, *nextupd = NULL;
	OCSP_SINGLERESP *single;
	int idx, rc, status, reason = -1;
	enum ccg_status st = CCG_OK;

	result_init(r);
	store = X509_STORE_new();
	certs = sk_X509_new_null();
	if (store == NULL || certs == NULL || X509_STORE_add_cert(store, issuer) != 1 ||
	    sk_X509_push(certs, issuer) <= 0) {
		st = ccg_openssl_error(err, CCG_ERR_NOMEM, "ocsp.signature", "verification store");
		goto out;
	}
	param = X509_STORE_get0_param(store);
	X509_VERIFY_PARAM_set_time(param, (time_t)now);
	if (X509_VERIFY_PARAM_set_flags(param, X509_V_FLAG_PARTIAL_CHAIN) != 1) {
		st = ccg_openssl_error(err, CCG_ERR_CRYPTO, "ocsp.signature", "verification flags");
		goto out;
	}
	ERR_clear_error();
	rc = OCSP_basic_verify(bs, certs, store, OCSP_NOEXPLICIT);
	if (rc != 1) {
		st = ccg_openssl_error(err, CCG_ERR_OCSP, "ocsp.signature", name);
		goto out;
	}
	if (req != NULL) {
		rc = OCSP_check_nonce(req, bs);
		if (rc != 1) {
			st = ccg_error_set(err, CCG_ERR_OCSP, "ocsp.nonce", "%s: %s", name,
					   rc == -1 ? "the response carries no nonce"
						    : "the response nonce does not match the request");
			goto out;
		}
	}
	idx = OCSP_resp_find(bs, id, -1);
	if (idx < 0) {
		st = ccg_error_set(err, CCG_ERR_OCSP, "ocsp.cert_id",
				   "%s: the response holds no answer for this certificate", name);
		goto out;
	}
	if (OCSP_resp_find(bs, id, idx) >= 0) {
		st = ccg_error_set(err, CCG_ERR_OCSP, "ocsp.cert_id",
				   "%s: the response answers this certificate twice", name);
		goto out;
	}
	single = OCSP_resp_get0(bs, idx);
	status = OCSP_single_get0_status(single, &reason, &rev, &thisupd, &nextupd);
	if (thisupd == NULL || ccg_asn1_time_unix(thisupd, &r->this_update) != CCG_OK ||
	    (nextupd != NULL && ccg_asn1_time_unix(nextupd, &r->next_update) != CCG_OK) ||
	    (rev != NULL && ccg_asn1_time_unix(rev, &r->revocation_time) != CCG_OK)) {
		st = ccg_error_set(err, CCG_ERR_OCSP, "ocsp.this_update", "%s: unreadable time", name);
		goto out;
	}
	switch (status) {
	case V_OCSP_CERTSTATUS_GOOD:
		r->status = CCG_OCSP_GOOD;
		break;
	case V_OCSP_CERTSTATUS_REVOKED:
		r->reason = reason;
		r->status = reason == OCSP_REVOKED_STATUS_CERTIFICATEHOLD ? CCG_OCSP_ON_HOLD
									  : CCG_OCSP_REVOKED;
		break;
	case V_OCSP_CERTSTATUS_UNKNOWN:
		r->status = CCG_OCSP_UNKNOWN;
		break;
	default:
		st = ccg_error_set(err, CCG_ERR_OCSP, "ocsp.cert_status", "%s: status %d", name,
				   status);
		goto out;
	}
out:
	if (st != CCG_OK)
		result_init(r);
	sk_X509_free(certs);
	X509_STORE_free(store);
	return st;
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
		st = verify_basic(bs, NULL, id, issuer, now, name, &r, err);
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
			if (md == NULL || cert_id_make(cert, issuer, md, &mine, k, &k_len, NULL) != CCG_OK)
				continue;
			if (OCSP_id_cmp(mine, theirs) == 0) {
				st = verify_basic(bs, NULL, mine, issuer, now, name, &r, err);
				if (st == CCG_OK)
					ccg_ocsp_mem_insert(o, key, key_len, &r);
				if (first != CCG_OK)
					first = st;
			}
			OCSP_CERTID_free(mine);
		}
		OCSP_BASICRESP_free(bs);
	}
	return first;
}

static enum ccg_status responder_url(const struct ccg_ocsp *o, X509 *cert, char **out,
				     const char *name, struct ccg_error *err)
{
	STACK_OF(OPENSSL_STRING) *aia = NULL;

	*out = NULL;
	if (o->responder_url != NULL) {
		*out = strdup(o->responder_url);
	} else {
		aia = X509_get1_ocsp(cert);
		if (aia == NULL || sk_OPENSSL_STRING_num(aia) < 1) {
			X509_email_free(aia);
			return ccg_error_set(err, CCG_ERR_OCSP_UNAVAILABLE, "ocsp.responder",
					     "%s has no OCSP URL and none is configured", name);
		}
		*out = strdup(sk_OPENSSL_STRING_value(aia, 0));
		X509_email_free(aia);
	}
	return *out != NULL ? CCG_OK : ccg_error_set(err, CCG_ERR_NOMEM, "ocsp.responder", NULL);
}

/* asks the responder about id, verifies the answer; der/der_len: the raw response */
static enum ccg_status fetch(struct ccg_ocsp *o, X509 *cert, X509 *issuer, OCSP_CERTID *id,
			     int64_t now, const char *name, struct ccg_ocsp_cert_result *r,
			     uint8_t **der, size_t *der_len, struct ccg_error *err)
{
	OCSP_REQUEST *req = NULL;
	OCSP_CERTID *req_id = NULL;
	OCSP_BASICRESP *bs = NULL;
	unsigned char *req_der = NULL;
	uint8_t nonce[NONCE_LEN];
	char *url = NULL;
	struct ccg_http_request hreq;
	struct ccg_http_response hresp = {0};
	struct ccg_error herr;
	int req_len;
	enum ccg_status st;

	*der = NULL;
	*der_len = 0;
	st = responder_url(o, cert, &url, name, err);
	if (st != CCG_OK)
		goto out;
	req = OCSP_REQUEST_new();
	req_id = OCSP_CERTID_dup(id);
	if (req == NULL || req_id == NULL || OCSP_request_add0_id(req, req_id) == NULL) {
		st = ccg_openssl_error(err, CCG_ERR_NOMEM, "ocsp.request", "building the request");
		goto out;
	}
	req_id = NULL; /* owned by req */
	if (ccg_random(nonce, sizeof(nonce)) != CCG_OK ||
	    OCSP_request_add1_nonce(req, nonce, (int)sizeof(nonce)) != 1) {
		st = ccg_openssl_error(err, CCG_ERR_CRYPTO, "ocsp.request", "adding the nonce");
		goto out;
	}
	req_len = i2d_OCSP_REQUEST(req, &req_der);
	if (req_len <= 0) {
		st = ccg_openssl_error(err, CCG_ERR_CRYPTO, "ocsp.request", "encoding the request");
		goto out;
	}
	memset(&hreq, 0, sizeof(hreq));
	hreq.url = url;
	hreq.method = "POST";
	hreq.content_type = "application/ocsp-request";
	hreq.accept = "application/ocsp-response";
	hreq.body = req_der;
	hreq.body_len = (size_t)req_len;
	hreq.max_response = CCG_OCSP_MAX_RESPONSE;
	hreq.timeout_ms = o->timeout_ms;
	ccg_error_clear(&herr);
	st = ccg_http_perform(&hreq, &hresp, &herr);
	if (st == CCG_ERR_TOO_LARGE) {
		st = ccg_error_set(err, CCG_ERR_OCSP, "ocsp.response",
				   "%s: response from %s over %u bytes", name, url,
				   CCG_OCSP_MAX_RESPONSE);
		goto out;
	}
	if (st != CCG_OK) {
		st = ccg_error_set(err, CCG_ERR_OCSP_UNAVAILABLE, "ocsp.responder",
				   "%s: %s unreachable: %s", name, url, herr.detail);
		goto out;
	}
	if (hresp.status != 200) {
		st = ccg_error_set(err, CCG_ERR_OCSP_UNAVAILABLE, "ocsp.responder",
				   "%s: %s answered HTTP %ld", name, url, hresp.status);
		goto out;
	}
	st = ccg_ocsp_response_parse(hresp.body, hresp.body_len, "ocsp.response", &bs, err);
	if (st == CCG_OK)
		st = verify_basic(bs, req, id, issuer, now, name, r, err);
	if (st != CCG_OK)
		goto out;
	*der = hresp.body;
	*der_len = hresp.body_len;
	hresp.body = NULL;
out:
	ccg_http_response_cleanup(&hresp);
	OCSP_BASICRESP_free(bs);
	OPENSSL_free(req_der);
	OCSP_CERTID_free(req_id);
	OCSP_REQUEST_free(req);
	free(url);
	return st;
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
		result_init(out);
	if (o == NULL || cert == NULL || issuer == NULL || out == NULL)
		return ccg_error_set(err, CCG_ERR_INVALID_ARG, "ocsp", "NULL argument");
	if (o->mode == CCG_OCSP_MODE_OFF)
		return CCG_OK;
	if (now == 0)
		now = (int64_t)time(NULL);
	who(cert, name, sizeof(name));
	st = cert_id_make(cert, issuer, EVP_sha384(), NULL, key, &key_len, err);
	if (st != CCG_OK)
		goto out;

	/* warm path: a fresh verified entry in memory */
	have = ccg_ocsp_mem_lookup(o, key, key_len, &r);
	if (have && fresh(o, &r, now, name, NULL) == CCG_OK) {
		st = conclude(o, &r, true, now, name, out, err);
		goto out;
	}

	/* cache file and supplied responses, each verified before use */
	st = cert_id_make(cert, issuer, EVP_sha384(), &id, key, &key_len, err);
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
	st = fetch(o, cert, issuer, id, now, name, &r, &der, &der_len, err);
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
		result_init(out);
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
