/* SPDX-License-Identifier: Apache-2.0 */
/* vTPM quotes and NV reads through tpm2-tss ESAPI, on the TCTI named by configuration. */
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <tss2/tss2_esys.h>
#include <tss2/tss2_mu.h>
#include <tss2/tss2_rc.h>
#include <tss2/tss2_tctildr.h>
#include <jansson.h>

#include "attest/cpu/tpm.h"
#include "common/encoding.h"
#include "common/error.h"
#include "common/json.h"
#include "tee_guest/collect.h"
#include "tee_guest/vtpm_esys.h"

#define NV_MAX (64 * 1024)

void ccg_vtpm_quote_cleanup(struct ccg_vtpm_quote *q)
{
	free(q->attest);
	free(q->signature);
	free(q->ak_public);
	memset(q, 0, sizeof(*q));
}

enum ccg_status ccg_vtpm_tss_fail(struct ccg_error *err, const char *where, TSS2_RC rc)
{
	return ccg_error_set(err, CCG_ERR_IO, where, "%s", Tss2_RC_Decode(rc));
}

enum ccg_status ccg_vtpm_esys_open(const char *tcti, TSS2_TCTI_CONTEXT **tctx, ESYS_CONTEXT **ectx,
				   struct ccg_error *err)
{
	TSS2_RC rc;

	*tctx = NULL;
	*ectx = NULL;
	rc = Tss2_TctiLdr_Initialize(tcti != NULL ? tcti : CCG_VTPM_DEFAULT_TCTI, tctx);
	if (rc != TSS2_RC_SUCCESS)
		return ccg_error_set(err, CCG_ERR_NOT_FOUND, "vtpm.tcti", "%s: %s", tcti ? tcti : CCG_VTPM_DEFAULT_TCTI,
				     Tss2_RC_Decode(rc));
	rc = Esys_Initialize(ectx, *tctx, NULL);
	if (rc != TSS2_RC_SUCCESS) {
		Tss2_TctiLdr_Finalize(tctx);
		return ccg_vtpm_tss_fail(err, "vtpm.esys", rc);
	}
	return CCG_OK;
}

void ccg_vtpm_esys_close(TSS2_TCTI_CONTEXT **tctx, ESYS_CONTEXT **ectx)
{
	Esys_Finalize(ectx);
	Tss2_TctiLdr_Finalize(tctx);
}

static enum ccg_status marshal_attest(const TPM2B_ATTEST *a, uint8_t **out, size_t *out_len)
{
	*out = malloc(a->size);
	if (*out == NULL)
		return CCG_ERR_NOMEM;
	memcpy(*out, a->attestationData, a->size);
	*out_len = a->size;
	return CCG_OK;
}

/* the public key of the loaded key h (TPM2_ReadPublic), as OpenSSL holds it */
static enum ccg_status read_ak(ESYS_CONTEXT *ectx, ESYS_TR h, EVP_PKEY **out, struct ccg_error *err)
{
	TPM2B_PUBLIC *pub = NULL;
	uint8_t buf[sizeof(TPM2B_PUBLIC) + 16];
	size_t off = 0;
	TSS2_RC rc = Esys_ReadPublic(ectx, h, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE, &pub, NULL, NULL);
	enum ccg_status st;

	if (rc != TSS2_RC_SUCCESS)
		return ccg_vtpm_tss_fail(err, "vtpm.read_public", rc);
	if (Tss2_MU_TPM2B_PUBLIC_Marshal(pub, buf, sizeof(buf), &off) != TSS2_RC_SUCCESS)
		st = ccg_error_set(err, CCG_ERR_INTERNAL, "vtpm.read_public", "marshalling");
	else
		st = ccg_tpm_public_to_pkey(buf, off, out, err);
	Esys_Free(pub);
	return st;
}

enum ccg_status ccg_vtpm_quote(const char *tcti, uint32_t ak_handle, uint32_t pcr_mask, const uint8_t *extra,
			       size_t extra_len, struct ccg_vtpm_quote *out, struct ccg_error *err)
{
	TSS2_TCTI_CONTEXT *tctx = NULL;
	ESYS_CONTEXT *ectx = NULL;
	ESYS_TR ak = ESYS_TR_NONE;
	TPM2B_DATA qualifying = {0};
	TPMT_SIG_SCHEME scheme = {.scheme = TPM2_ALG_NULL};
	TPML_PCR_SELECTION sel = {0};
	TPM2B_ATTEST *attest = NULL;
	TPMT_SIGNATURE *sig = NULL;
	uint8_t buf[sizeof(TPMT_SIGNATURE) + 16];
	size_t off = 0;
	EVP_PKEY *key = NULL;
	unsigned char *der = NULL;
	int der_len;
	TSS2_RC rc;
	enum ccg_status st;

	memset(out, 0, sizeof(*out));
	if (extra_len > sizeof(qualifying.buffer) || pcr_mask == 0 || pcr_mask > 0xFFFFFF)
		return ccg_error_set(err, CCG_ERR_INVALID_ARG, "vtpm.quote", "extraData ≤ 64 bytes, PCRs 0–23");
	if ((st = ccg_vtpm_esys_open(tcti, &tctx, &ectx, err)) != CCG_OK)
		return st;
	qualifying.size = (UINT16)extra_len;
	if (extra_len > 0)
		memcpy(qualifying.buffer, extra, extra_len);
	sel.count = 1;
	sel.pcrSelections[0].hash = TPM2_ALG_SHA256;
	sel.pcrSelections[0].sizeofSelect = 3;
	for (int i = 0; i < 3; i++)
		sel.pcrSelections[0].pcrSelect[i] = (BYTE)(pcr_mask >> (8 * i));
	rc = Esys_TR_FromTPMPublic(ectx, ak_handle, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE, &ak);
	if (rc != TSS2_RC_SUCCESS) {
		st = ccg_error_set(err, CCG_ERR_NOT_FOUND, "vtpm.ak", "no key at handle 0x%08x: %s", ak_handle,
				   Tss2_RC_Decode(rc));
		goto out;
	}
	rc = Esys_Quote(ectx, ak, ESYS_TR_PASSWORD, ESYS_TR_NONE, ESYS_TR_NONE, &qualifying, &scheme, &sel, &attest,
			&sig);
	if (rc != TSS2_RC_SUCCESS) {
		st = ccg_vtpm_tss_fail(err, "vtpm.quote", rc);
		goto out;
	}
	if ((st = marshal_attest(attest, &out->attest, &out->attest_len)) != CCG_OK)
		goto out;
	if (Tss2_MU_TPMT_SIGNATURE_Marshal(sig, buf, sizeof(buf), &off) != TSS2_RC_SUCCESS ||
	    (out->signature = malloc(off)) == NULL) {
		st = ccg_error_set(err, CCG_ERR_INTERNAL, "vtpm.quote", "marshalling the signature");
		goto out;
	}
	memcpy(out->signature, buf, off);
	out->signature_len = off;
	/* the PCR values quoted (in batches of 8, as TPM2_PCR_Read answers) */
	for (unsigned i = 0; i < 24; i++) {
		TPML_PCR_SELECTION one = {0}, *upd = NULL;
		TPML_DIGEST *vals = NULL;
		UINT32 counter;

		if ((pcr_mask & (1u << i)) == 0)
			continue;
		one.count = 1;
		one.pcrSelections[0].hash = TPM2_ALG_SHA256;
		one.pcrSelections[0].sizeofSelect = 3;
		one.pcrSelections[0].pcrSelect[i / 8] = (BYTE)(1u << (i % 8));
		rc = Esys_PCR_Read(ectx, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE, &one, &counter, &upd, &vals);
		if (rc != TSS2_RC_SUCCESS || vals == NULL || vals->count != 1 || vals->digests[0].size != 32) {
			Esys_Free(upd);
			Esys_Free(vals);
			st = rc != TSS2_RC_SUCCESS
				     ? ccg_vtpm_tss_fail(err, "vtpm.pcr_read", rc)
				     : ccg_error_set(err, CCG_ERR_MALFORMED, "vtpm.pcr_read", "PCR %u", i);
			goto out;
		}
		memcpy(out->pcrs[i], vals->digests[0].buffer, 32);
		Esys_Free(upd);
		Esys_Free(vals);
	}
	out->pcr_mask = pcr_mask;
	/* the AK's public key as DER SPKI */
	if ((st = read_ak(ectx, ak, &key, err)) != CCG_OK)
		goto out;
	der_len = i2d_PUBKEY(key, &der);
	if (der_len <= 0 || (out->ak_public = malloc((size_t)der_len)) == NULL) {
		st = CCG_ERR_NOMEM;
		goto out;
	}
	memcpy(out->ak_public, der, (size_t)der_len);
	out->ak_public_len = (size_t)der_len;
	st = CCG_OK;
out:
	OPENSSL_free(der);
	EVP_PKEY_free(key);
	Esys_Free(attest);
	Esys_Free(sig);
	if (ak != ESYS_TR_NONE)
		(void)Esys_TR_Close(ectx, &ak);
	ccg_vtpm_esys_close(&tctx, &ectx);
	if (st != CCG_OK)
		ccg_vtpm_quote_cleanup(out);
	return st;
}

enum ccg_status ccg_vtpm_nv_read(const char *tcti, uint32_t nv_index, uint8_t **out, size_t *out_len,
				 struct ccg_error *err)
{
	TSS2_TCTI_CONTEXT *tctx = NULL;
	ESYS_CONTEXT *ectx = NULL;
	ESYS_TR nv = ESYS_TR_NONE;
	TPM2B_NV_PUBLIC *npub = NULL;
	uint8_t *buf = NULL;
	size_t size, done = 0;
	TSS2_RC rc;
	enum ccg_status st;

	*out = NULL;
	*out_len = 0;
	if ((st = ccg_vtpm_esys_open(tcti, &tctx, &ectx, err)) != CCG_OK)
		return st;
	rc = Esys_TR_FromTPMPublic(ectx, nv_index, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE, &nv);
	if (rc == TSS2_RC_SUCCESS)
		rc = Esys_NV_ReadPublic(ectx, nv, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE, &npub, NULL);
	if (rc != TSS2_RC_SUCCESS) {
		st = ccg_error_set(err, CCG_ERR_NOT_FOUND, "vtpm.nv", "NV index 0x%08x: %s", nv_index,
				   Tss2_RC_Decode(rc));
		goto out;
	}
	size = npub->nvPublic.dataSize;
	if (size == 0 || size > NV_MAX || (buf = malloc(size)) == NULL) {
		st = ccg_error_set(err, CCG_ERR_TOO_LARGE, "vtpm.nv", "%zu bytes", size);
		goto out;
	}
	while (done < size) {
		TPM2B_MAX_NV_BUFFER *chunk = NULL;
		UINT16 want = (UINT16)(size - done > 512 ? 512 : size - done);

		rc = Esys_NV_Read(ectx, nv, nv, ESYS_TR_PASSWORD, ESYS_TR_NONE, ESYS_TR_NONE, want, (UINT16)done,
				  &chunk);
		if (rc != TSS2_RC_SUCCESS || chunk == NULL || chunk->size != want) {
			Esys_Free(chunk);
			st = rc != TSS2_RC_SUCCESS ? ccg_vtpm_tss_fail(err, "vtpm.nv_read", rc)
						   : ccg_error_set(err, CCG_ERR_TRUNCATED, "vtpm.nv_read", NULL);
			goto out;
		}
		memcpy(buf + done, chunk->buffer, want);
		done += want;
		Esys_Free(chunk);
	}
	*out = buf;
	*out_len = size;
	buf = NULL;
	st = CCG_OK;
out:
	free(buf);
	Esys_Free(npub);
	if (nv != ESYS_TR_NONE)
		(void)Esys_TR_Close(ectx, &nv);
	ccg_vtpm_esys_close(&tctx, &ectx);
	return st;
}

/* ---- the CPU evidence object of a quote, and the AK it needs (branch vtee) ---- */

enum ccg_status ccg_vtpm_quote_json(const char *tcti, uint32_t ak_handle, uint32_t pcr_mask, const uint8_t *extra,
				    size_t extra_len, json_t **out, struct ccg_error *err)
{
	struct ccg_vtpm_quote q;
	json_t *cpu = NULL, *quote = NULL, *list = NULL;
	char *ak = NULL;
	unsigned top = 0;
	enum ccg_status st;

	*out = NULL;
	if ((st = ccg_vtpm_quote(tcti, ak_handle, pcr_mask, extra, extra_len, &q, err)) != CCG_OK)
		return st;
	st = CCG_ERR_NOMEM;
	if ((cpu = json_object()) == NULL || (quote = json_object()) == NULL || (list = json_array()) == NULL ||
	    (ak = ccg_base64_encode_alloc(q.ak_public, q.ak_public_len)) == NULL)
		goto out;
	/* PCRs 0 .. the highest quoted one, in order (the quote's digest covers only the selected ones) */
	for (unsigned i = 0; i < 24; i++)
		if (pcr_mask & (1u << i))
			top = i + 1;
	for (unsigned i = 0; i < top; i++) {
		char hex[2 * 32 + 1];

		ccg_hex_encode(q.pcrs[i], 32, hex);
		if (json_array_append_new(list, json_string(hex)) != 0)
			goto out;
	}
	if ((st = ccg_json_set_hex(quote, "message", q.attest, q.attest_len)) != CCG_OK ||
	    (st = ccg_json_set_hex(quote, "signature", q.signature, q.signature_len)) != CCG_OK)
		goto out;
	st = ccg_json_set_new(quote, "pcrs", list);
	list = NULL;
	if (st != CCG_OK || (st = ccg_json_set_new(cpu, "type", json_string("tpm"))) != CCG_OK ||
	    (st = ccg_json_set_new(cpu, "ak_public", json_string(ak))) != CCG_OK)
		goto out;
	st = ccg_json_set_new(cpu, "quote", quote);
	quote = NULL;
	if (st == CCG_OK) {
		*out = cpu;
		cpu = NULL;
	}
out:
	if (st != CCG_OK)
		ccg_error_set(err, st, "vtpm.quote", "building the evidence object");
	free(ak);
	json_decref(list);
	json_decref(quote);
	json_decref(cpu);
	ccg_vtpm_quote_cleanup(&q);
	return st;
}

/*
 * The AK template: a restricted RSA-2048 RSASSA-SHA256 signing key under the
 * owner hierarchy (TCG's AK profile; tests/integration/test_vtpm.c and the
 * verifier's own evidence use it), its private part never leaving the TPM.
 */
static void ak_template(TPM2B_PUBLIC *t)
{
	memset(t, 0, sizeof(*t));
	t->publicArea.type = TPM2_ALG_RSA;
	t->publicArea.nameAlg = TPM2_ALG_SHA256;
	t->publicArea.objectAttributes = TPMA_OBJECT_RESTRICTED | TPMA_OBJECT_SIGN_ENCRYPT | TPMA_OBJECT_FIXEDTPM |
					 TPMA_OBJECT_FIXEDPARENT | TPMA_OBJECT_SENSITIVEDATAORIGIN |
					 TPMA_OBJECT_USERWITHAUTH;
	t->publicArea.parameters.rsaDetail.symmetric.algorithm = TPM2_ALG_NULL;
	t->publicArea.parameters.rsaDetail.scheme.scheme = TPM2_ALG_RSASSA;
	t->publicArea.parameters.rsaDetail.scheme.details.rsassa.hashAlg = TPM2_ALG_SHA256;
	t->publicArea.parameters.rsaDetail.keyBits = 2048;
}

enum ccg_status ccg_vtpm_ak_ensure(const char *tcti, uint32_t ak_handle, bool *created, struct ccg_error *err)
{
	TSS2_TCTI_CONTEXT *tctx = NULL;
	ESYS_CONTEXT *ectx = NULL;
	ESYS_TR h = ESYS_TR_NONE, key = ESYS_TR_NONE, persistent = ESYS_TR_NONE;
	TPM2B_SENSITIVE_CREATE sens = {0};
	TPM2B_PUBLIC tmpl;
	TPM2B_DATA outside = {0};
	TPML_PCR_SELECTION pcrs = {0};
	TSS2_RC rc;
	enum ccg_status st;

	if (created != NULL)
		*created = false;
	if ((ak_handle >> 24) != TPM2_HT_PERSISTENT)
		return ccg_error_set(err, CCG_ERR_INVALID_ARG, "vtpm.ak_handle",
				     "0x%08x is not a persistent handle (0x81000000-0x81ffffff)", ak_handle);
	if ((st = ccg_vtpm_esys_open(tcti, &tctx, &ectx, err)) != CCG_OK)
		return st;
	/* a key already there is used as it is: the quote's appraisal decides whether it is an AK */
	if (Esys_TR_FromTPMPublic(ectx, ak_handle, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE, &h) == TSS2_RC_SUCCESS)
		goto out;
	ak_template(&tmpl);
	rc = Esys_CreatePrimary(ectx, ESYS_TR_RH_OWNER, ESYS_TR_PASSWORD, ESYS_TR_NONE, ESYS_TR_NONE, &sens, &tmpl,
				&outside, &pcrs, &key, NULL, NULL, NULL, NULL);
	if (rc != TSS2_RC_SUCCESS) {
		st = ccg_vtpm_tss_fail(err, "vtpm.ak_create", rc);
		goto out;
	}
	rc = Esys_EvictControl(ectx, ESYS_TR_RH_OWNER, key, ESYS_TR_PASSWORD, ESYS_TR_NONE, ESYS_TR_NONE, ak_handle,
			       &persistent);
	if (rc != TSS2_RC_SUCCESS) {
		st = ccg_vtpm_tss_fail(err, "vtpm.ak_persist", rc);
		goto out;
	}
	if (created != NULL)
		*created = true;
out:
	if (h != ESYS_TR_NONE)
		(void)Esys_TR_Close(ectx, &h);
	if (persistent != ESYS_TR_NONE)
		(void)Esys_TR_Close(ectx, &persistent);
	if (key != ESYS_TR_NONE)
		(void)Esys_FlushContext(ectx, key);
	ccg_vtpm_esys_close(&tctx, &ectx);
	return st;
}

enum ccg_status ccg_vtpm_ak_public(const char *tcti, uint32_t ak_handle, EVP_PKEY **out, struct ccg_error *err)
{
	TSS2_TCTI_CONTEXT *tctx = NULL;
	ESYS_CONTEXT *ectx = NULL;
	ESYS_TR h = ESYS_TR_NONE;
	TSS2_RC rc;
	enum ccg_status st;

	*out = NULL;
	if ((st = ccg_vtpm_esys_open(tcti, &tctx, &ectx, err)) != CCG_OK)
		return st;
	rc = Esys_TR_FromTPMPublic(ectx, ak_handle, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE, &h);
	if (rc != TSS2_RC_SUCCESS)
		st = ccg_error_set(err, CCG_ERR_NOT_FOUND, "vtpm.ak", "no key at handle 0x%08x: %s", ak_handle,
				   Tss2_RC_Decode(rc));
	else
		st = read_ak(ectx, h, out, err);
	if (h != ESYS_TR_NONE)
		(void)Esys_TR_Close(ectx, &h);
	ccg_vtpm_esys_close(&tctx, &ectx);
	return st;
}
