/* SPDX-License-Identifier: Apache-2.0 */
/*
 * OCSP requests, response parsing and verification (see ocsp.c for the
 * choices: SHA-384 CertID, 32-byte nonce, issuer-anchored signer check).
 */
#include <openssl/err.h>
#include <openssl/ocsp.h>
#include <openssl/x509_vfy.h>
#include <openssl/x509v3.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "attest/pki/ocsp_internal.h"
#include "common/crypto.h"
#include "common/error.h"
#include "common/http.h"

#define NONCE_LEN 32

void ccg_ocsp_result_init(struct ccg_ocsp_cert_result *r)
{
	memset(r, 0, sizeof(*r));
	r->status = CCG_OCSP_NOT_CHECKED;
	r->reason = -1;
}

enum ccg_status ccg_ocsp_cert_id(X509 *cert, X509 *issuer, const EVP_MD *md, OCSP_CERTID **out,
				 uint8_t key[CCG_OCSP_KEY_MAX], size_t *key_len, struct ccg_error *err)
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

enum ccg_status ccg_ocsp_basic_verify(OCSP_BASICRESP *bs, OCSP_REQUEST *req, OCSP_CERTID *id,
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

	ccg_ocsp_result_init(r);
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
		ccg_ocsp_result_init(r);
	sk_X509_free(certs);
	X509_STORE_free(store);
	return st;
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

enum ccg_status ccg_ocsp_fetch(const struct ccg_ocsp *o, X509 *cert, X509 *issuer, OCSP_CERTID *id,
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
		st = ccg_ocsp_basic_verify(bs, req, id, issuer, now, name, r, err);
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

