/* SPDX-License-Identifier: Apache-2.0 */
#include "gpusim/ocsp_responder.h"

#include <openssl/ocsp.h>
#include <openssl/x509v3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/crypto.h"
#include "common/error.h"
#include "common/file.h"
#include "gpusim/internal.h"

#define MAX_ENTRIES 64
#define NEXT_UPDATE (24 * 3600L)

enum { ST_GOOD, ST_REVOKED, ST_HOLD };

struct entry {
	X509 *cert, *issuer;
	EVP_PKEY *key;
	int status;
};

struct gpusim_ocsp {
	size_t n;
	struct entry e[MAX_ENTRIES];
};

void gpusim_ocsp_free(struct gpusim_ocsp *o)
{
	if (o == NULL)
		return;
	for (size_t i = 0; i < o->n; i++) {
		X509_free(o->e[i].cert);
		X509_free(o->e[i].issuer);
		EVP_PKEY_free(o->e[i].key);
	}
	free(o);
}

enum ccg_status gpusim_ocsp_load(const char *dir, struct gpusim_ocsp **out, struct ccg_error *err)
{
	struct gpusim_ocsp *o = calloc(1, sizeof(*o));
	char path[4096], line[1024];
	FILE *f = NULL;
	unsigned lineno = 0;
	enum ccg_status st = CCG_OK;

	*out = NULL;
	if (o == NULL)
		return ccg_error_set(err, CCG_ERR_NOMEM, "gpusim.ocsp", "index");
	snprintf(path, sizeof(path), "%s/ocsp-index.txt", dir);
	f = fopen(path, "r");
	if (f == NULL) {
		st = ccg_error_set(err, CCG_ERR_NOT_FOUND, path, "cannot open");
		goto out;
	}
	while (fgets(line, sizeof(line), f) != NULL) {
		char cert[256], issuer[256], key[256], status[16], p[4096 + 256];
		struct entry *e;

		lineno++;
		if (line[0] == '#' || line[0] == '\n')
			continue;
		if (sscanf(line, "%255s %255s %255s %15s", cert, issuer, key, status) != 4 || o->n >= MAX_ENTRIES ||
		    strstr(line, "..") != NULL) {
			st = ccg_error_set(err, CCG_ERR_MALFORMED, "ocsp-index.txt", "line %u", lineno);
			goto out;
		}
		e = &o->e[o->n++];
		e->status = strcmp(status, "revoked") == 0 ? ST_REVOKED
			    : strcmp(status, "hold") == 0  ? ST_HOLD
							   : ST_GOOD;
		if (strcmp(status, "good") != 0 && e->status == ST_GOOD) {
			st = ccg_error_set(err, CCG_ERR_MALFORMED, "ocsp-index.txt", "line %u: status %s", lineno,
					   status);
			goto out;
		}
		snprintf(p, sizeof(p), "%s/%s", dir, cert);
		if ((st = gpusim_read_pem_cert(p, &e->cert, err)) != CCG_OK)
			goto out;
		snprintf(p, sizeof(p), "%s/%s", dir, issuer);
		if ((st = gpusim_read_pem_cert(p, &e->issuer, err)) != CCG_OK)
			goto out;
		snprintf(p, sizeof(p), "%s/%s", dir, key);
		if ((st = gpusim_read_pem_key(p, &e->key, err)) != CCG_OK)
			goto out;
	}
	*out = o;
	o = NULL;
out:
	if (f != NULL)
		fclose(f);
	gpusim_ocsp_free(o);
	return st;
}

static enum ccg_status encode(OCSP_RESPONSE *resp, uint8_t **out, size_t *out_len, struct ccg_error *err)
{
	unsigned char *der = NULL;
	int n = resp != NULL ? i2d_OCSP_RESPONSE(resp, &der) : -1;

	if (n <= 0)
		return ccg_openssl_error(err, CCG_ERR_CRYPTO, "gpusim.ocsp", "encoding the response");
	*out = malloc((size_t)n);
	if (*out == NULL) {
		OPENSSL_free(der);
		return ccg_error_set(err, CCG_ERR_NOMEM, "gpusim.ocsp", "response");
	}
	memcpy(*out, der, (size_t)n);
	*out_len = (size_t)n;
	OPENSSL_free(der);
	return CCG_OK;
}

static const struct entry *find(const struct gpusim_ocsp *o, OCSP_CERTID *cid)
{
	ASN1_OBJECT *md_oid = NULL;
	const EVP_MD *md;

	if (OCSP_id_get0_info(NULL, &md_oid, NULL, NULL, cid) != 1 || (md = EVP_get_digestbyobj(md_oid)) == NULL)
		return NULL;
	for (size_t i = 0; i < o->n; i++) {
		OCSP_CERTID *mine = OCSP_cert_to_id(md, o->e[i].cert, o->e[i].issuer);
		int same = mine != NULL && OCSP_id_cmp(mine, cid) == 0;

		OCSP_CERTID_free(mine);
		if (same)
			return &o->e[i];
	}
	return NULL;
}

enum ccg_status gpusim_ocsp_answer(struct gpusim_ocsp *o, const uint8_t *req_der, size_t len, uint8_t **out,
				   size_t *out_len, struct ccg_error *err)
{
	const unsigned char *p = req_der;
	OCSP_REQUEST *req = NULL;
	OCSP_BASICRESP *bs = NULL;
	OCSP_RESPONSE *resp = NULL;
	ASN1_TIME *now = NULL, *next = NULL, *revoked_at = NULL;
	const struct entry *signer = NULL;
	int n, status = OCSP_RESPONSE_STATUS_SUCCESSFUL;
	enum ccg_status st;

	*out = NULL;
	*out_len = 0;
	if (len > GPUSIM_OCSP_MAX_REQUEST || (req = d2i_OCSP_REQUEST(NULL, &p, (long)len)) == NULL ||
	    p != req_der + len || (n = OCSP_request_onereq_count(req)) < 1 || n > 16) {
		status = OCSP_RESPONSE_STATUS_MALFORMEDREQUEST;
		goto respond;
	}
	bs = OCSP_BASICRESP_new();
	now = X509_gmtime_adj(NULL, 0);
	next = X509_gmtime_adj(NULL, NEXT_UPDATE);
	revoked_at = X509_gmtime_adj(NULL, -3600);
	if (bs == NULL || now == NULL || next == NULL || revoked_at == NULL) {
		st = ccg_error_set(err, CCG_ERR_NOMEM, "gpusim.ocsp", "response");
		goto out;
	}
	for (int i = 0; i < n; i++) {
		OCSP_CERTID *cid = OCSP_onereq_get0_id(OCSP_request_onereq_get0(req, i));
		const struct entry *e = find(o, cid);
		int ok;

		if (e == NULL || (signer != NULL && X509_cmp(signer->issuer, e->issuer) != 0)) {
			status = OCSP_RESPONSE_STATUS_UNAUTHORIZED;
			goto respond;
		}
		signer = e;
		if (e->status == ST_GOOD)
			ok = OCSP_basic_add1_status(bs, cid, V_OCSP_CERTSTATUS_GOOD, 0, NULL, now, next) != NULL;
		else
			ok = OCSP_basic_add1_status(bs, cid, V_OCSP_CERTSTATUS_REVOKED,
						    e->status == ST_HOLD ? OCSP_REVOKED_STATUS_CERTIFICATEHOLD
									 : OCSP_REVOKED_STATUS_KEYCOMPROMISE,
						    revoked_at, now, next) != NULL;
		if (!ok) {
			st = ccg_openssl_error(err, CCG_ERR_CRYPTO, "gpusim.ocsp", "status");
			goto out;
		}
	}
	/* echo the nonce (RFC 6960 4.4.1); sign as the issuer, SHA-384 */
	if (OCSP_copy_nonce(bs, req) <= 0 ||
	    OCSP_basic_sign(bs, signer->issuer, signer->key, EVP_sha384(), NULL, 0) != 1) {
		st = ccg_openssl_error(err, CCG_ERR_CRYPTO, "gpusim.ocsp", "signing");
		goto out;
	}
respond:
	resp = OCSP_response_create(status, status == OCSP_RESPONSE_STATUS_SUCCESSFUL ? bs : NULL);
	st = encode(resp, out, out_len, err);
out:
	OCSP_RESPONSE_free(resp);
	OCSP_BASICRESP_free(bs);
	OCSP_REQUEST_free(req);
	ASN1_TIME_free(now);
	ASN1_TIME_free(next);
	ASN1_TIME_free(revoked_at);
	return st;
}
