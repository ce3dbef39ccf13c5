/* SPDX-License-Identifier: Apache-2.0 */
#include "bench/ocsp_fixture.h"

#include <openssl/evp.h>
#include <openssl/ocsp.h>
#include <openssl/x509v3.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>

#include "attest/ocsp.h"

struct ccg_ocsp_fixture {
	STACK_OF(X509) *chain; /* leaf first, root last */
	EVP_PKEY *keys[16];
	int depth;
	int64_t now;
	struct ccg_ocsp *ocsp;
};

static X509 *make_cert(int i, EVP_PKEY *key, X509 *issuer, EVP_PKEY *issuer_key, int64_t now, bool ca)
{
	X509 *x = X509_new();
	X509_NAME *name = X509_NAME_new();
	X509V3_CTX ctx;
	X509_EXTENSION *ext;
	char cn[32];

	if (x == NULL || name == NULL)
		goto fail;
	snprintf(cn, sizeof(cn), "bench cert %d", i);
	X509_set_version(x, 2);
	ASN1_INTEGER_set(X509_get_serialNumber(x), 1000 + i);
	X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, (const unsigned char *)cn, -1, -1, 0);
	X509_set_subject_name(x, name);
	X509_set_issuer_name(x, issuer != NULL ? X509_get_subject_name(issuer) : name);
	X509_time_adj_ex(X509_getm_notBefore(x), 0, -86400, (time_t *)&now);
	X509_time_adj_ex(X509_getm_notAfter(x), 365, 0, (time_t *)&now);
	X509_set_pubkey(x, key);
	X509V3_set_ctx(&ctx, issuer != NULL ? issuer : x, x, NULL, NULL, 0);
	ext = X509V3_EXT_conf_nid(NULL, &ctx, NID_basic_constraints, ca ? "critical,CA:TRUE" : "CA:FALSE");
	if (ext == NULL || X509_add_ext(x, ext, -1) != 1)
		goto fail;
	X509_EXTENSION_free(ext);
	if (X509_sign(x, issuer_key, EVP_sha384()) <= 0)
		goto fail;
	X509_NAME_free(name);
	return x;
fail:
	X509_NAME_free(name);
	X509_free(x);
	return NULL;
}

static enum ccg_status add_response(struct ccg_ocsp *o, X509 *cert, X509 *issuer, EVP_PKEY *issuer_key,
				    int64_t now)
{
	OCSP_CERTID *id = OCSP_cert_to_id(EVP_sha384(), cert, issuer);
	OCSP_BASICRESP *basic = OCSP_BASICRESP_new();
	ASN1_TIME *this_upd = ASN1_TIME_adj(NULL, (time_t)now, 0, -60);
	ASN1_TIME *next_upd = ASN1_TIME_adj(NULL, (time_t)now, 0, 3600);
	OCSP_RESPONSE *resp = NULL;
	unsigned char *der = NULL;
	int len;
	enum ccg_status st = CCG_ERR_CRYPTO;

	if (id == NULL || basic == NULL || this_upd == NULL || next_upd == NULL ||
	    OCSP_basic_add1_status(basic, id, V_OCSP_CERTSTATUS_GOOD, 0, NULL, this_upd, next_upd) == NULL ||
	    OCSP_basic_sign(basic, issuer, issuer_key, EVP_sha384(), NULL, OCSP_NOCERTS) != 1)
		goto out;
	resp = OCSP_response_create(OCSP_RESPONSE_STATUS_SUCCESSFUL, basic);
	len = resp != NULL ? i2d_OCSP_RESPONSE(resp, &der) : -1;
	if (len <= 0)
		goto out;
	st = ccg_ocsp_add_response(o, der, (size_t)len, NULL);
out:
	OPENSSL_free(der);
	OCSP_RESPONSE_free(resp);
	ASN1_TIME_free(this_upd);
	ASN1_TIME_free(next_upd);
	OCSP_BASICRESP_free(basic);
	OCSP_CERTID_free(id);
	return st;
}

enum ccg_status ccg_ocsp_fixture_new(int depth, int64_t now, struct ccg_ocsp_fixture **out)
{
	struct ccg_ocsp_fixture *fx = calloc(1, sizeof(*fx));
	struct ccg_ocsp_config cfg = {.mode = CCG_OCSP_MODE_CACHE};
	X509 *certs[16] = {0};
	enum ccg_status st = CCG_ERR_CRYPTO;

	*out = NULL;
	if (fx == NULL || depth < 2 || depth > 16)
		goto fail;
	fx->depth = depth;
	fx->now = now;
	fx->chain = sk_X509_new_null();
	if (fx->chain == NULL || ccg_ocsp_new(&cfg, &fx->ocsp, NULL) != CCG_OK)
		goto fail;
	/* root is certs[depth-1], leaf certs[0] */
	for (int i = depth - 1; i >= 0; i--) {
		fx->keys[i] = EVP_EC_gen("P-384");
		if (fx->keys[i] == NULL)
			goto fail;
		certs[i] = make_cert(i, fx->keys[i], i == depth - 1 ? NULL : certs[i + 1],
				     fx->keys[i == depth - 1 ? i : i + 1], now, i != 0);
		if (certs[i] == NULL)
			goto fail;
	}
	for (int i = 0; i < depth; i++) {
		if (sk_X509_push(fx->chain, certs[i]) <= 0)
			goto fail;
		certs[i] = NULL;
	}
	for (int i = 0; i + 1 < depth; i++) {
		st = add_response(fx->ocsp, sk_X509_value(fx->chain, i), sk_X509_value(fx->chain, i + 1),
				  fx->keys[i + 1], now);
		if (st != CCG_OK)
			goto fail;
	}
	*out = fx;
	return CCG_OK;
fail:
	for (int i = 0; i < 16; i++)
		X509_free(certs[i]);
	ccg_ocsp_fixture_free(fx);
	return st != CCG_OK ? st : CCG_ERR_CRYPTO;
}

enum ccg_status ccg_ocsp_fixture_check(struct ccg_ocsp_fixture *fx)
{
	struct ccg_ocsp_cert_result r;

	return ccg_ocsp_check_chain(fx->ocsp, fx->chain, fx->now, &r, NULL);
}

void ccg_ocsp_fixture_free(struct ccg_ocsp_fixture *fx)
{
	if (fx == NULL)
		return;
	sk_X509_pop_free(fx->chain, X509_free);
	for (int i = 0; i < 16; i++)
		EVP_PKEY_free(fx->keys[i]);
	ccg_ocsp_free(fx->ocsp);
	free(fx);
}
