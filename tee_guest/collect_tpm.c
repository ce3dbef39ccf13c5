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

#include "attest/cpu/tpm.h"
#include "common/error.h"
#include "tee_guest/collect.h"

#define NV_MAX (64 * 1024)

void ccg_vtpm_quote_cleanup(struct ccg_vtpm_quote *q)
{
	free(q->attest);
	free(q->signature);
	free(q->ak_public);
	memset(q, 0, sizeof(*q));
}

static enum ccg_status tss_fail(struct ccg_error *err, const char *where, TSS2_RC rc)
{
	return ccg_error_set(err, CCG_ERR_IO, where, "%s", Tss2_RC_Decode(rc));
}

static enum ccg_status open_esys(const char *tcti, TSS2_TCTI_CONTEXT **tctx, ESYS_CONTEXT **ectx, struct ccg_error *err)
{
	TSS2_RC rc;

	*tctx = NULL;
	*ectx = NULL;
	rc = Tss2_TctiLdr_Initialize(tcti != NULL ? tcti : "device:/dev/tpmrm0", tctx);
	if (rc != TSS2_RC_SUCCESS)
		return ccg_error_set(err, CCG_ERR_NOT_FOUND, "vtpm.tcti", "%s: %s", tcti ? tcti : "device:/dev/tpmrm0",
				     Tss2_RC_Decode(rc));
	rc = Esys_Initialize(ectx, *tctx, NULL);
	if (rc != TSS2_RC_SUCCESS) {
		Tss2_TctiLdr_Finalize(tctx);
		return tss_fail(err, "vtpm.esys", rc);
	}
	return CCG_OK;
}

static void close_esys(TSS2_TCTI_CONTEXT **tctx, ESYS_CONTEXT **ectx)
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
	TPM2B_PUBLIC *pub = NULL;
	uint8_t buf[sizeof(TPMT_SIGNATURE) + 16], pubbuf[sizeof(TPM2B_PUBLIC) + 16];
	size_t off = 0, poff = 0;
	EVP_PKEY *key = NULL;
	unsigned char *der = NULL;
	int der_len;
	TSS2_RC rc;
	enum ccg_status st;

	memset(out, 0, sizeof(*out));
	if (extra_len > sizeof(qualifying.buffer) || pcr_mask == 0 || pcr_mask > 0xFFFFFF)
		return ccg_error_set(err, CCG_ERR_INVALID_ARG, "vtpm.quote", "extraData ≤ 64 bytes, PCRs 0–23");
	if ((st = open_esys(tcti, &tctx, &ectx, err)) != CCG_OK)
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
	rc = Esys_Quote(ectx, ak, ESYS_TR_PASSWORD, ESYS_TR_NONE, ESYS_TR_NONE, &qualifying, &scheme, &sel, &attest, &sig);
	if (rc != TSS2_RC_SUCCESS) {
		st = tss_fail(err, "vtpm.quote", rc);
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
			st = rc != TSS2_RC_SUCCESS ? tss_fail(err, "vtpm.pcr_read", rc)
						   : ccg_error_set(err, CCG_ERR_MALFORMED, "vtpm.pcr_read", "PCR %u", i);
			goto out;
		}
		memcpy(out->pcrs[i], vals->digests[0].buffer, 32);
		Esys_Free(upd);
		Esys_Free(vals);
	}
	out->pcr_mask = pcr_mask;
	/* the AK's public key as DER SPKI */
	rc = Esys_ReadPublic(ectx, ak, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE, &pub, NULL, NULL);
	if (rc != TSS2_RC_SUCCESS) {
		st = tss_fail(err, "vtpm.read_public", rc);
		goto out;
	}
	if (Tss2_MU_TPM2B_PUBLIC_Marshal(pub, pubbuf, sizeof(pubbuf), &poff) != TSS2_RC_SUCCESS) {
		st = ccg_error_set(err, CCG_ERR_INTERNAL, "vtpm.read_public", "marshalling");
		goto out;
	}
	if ((st = ccg_tpm_public_to_pkey(pubbuf, poff, &key, err)) != CCG_OK)
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
	Esys_Free(pub);
	Esys_Free(attest);
	Esys_Free(sig);
	if (ak != ESYS_TR_NONE)
		(void)Esys_TR_Close(ectx, &ak);
	close_esys(&tctx, &ectx);
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
	if ((st = open_esys(tcti, &tctx, &ectx, err)) != CCG_OK)
		return st;
	rc = Esys_TR_FromTPMPublic(ectx, nv_index, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE, &nv);
	if (rc == TSS2_RC_SUCCESS)
		rc = Esys_NV_ReadPublic(ectx, nv, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE, &npub, NULL);
	if (rc != TSS2_RC_SUCCESS) {
		st = ccg_error_set(err, CCG_ERR_NOT_FOUND, "vtpm.nv", "NV index 0x%08x: %s", nv_index, Tss2_RC_Decode(rc));
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

		rc = Esys_NV_Read(ectx, nv, nv, ESYS_TR_PASSWORD, ESYS_TR_NONE, ESYS_TR_NONE, want, (UINT16)done, &chunk);
		if (rc != TSS2_RC_SUCCESS || chunk == NULL || chunk->size != want) {
			Esys_Free(chunk);
			st = rc != TSS2_RC_SUCCESS ? tss_fail(err, "vtpm.nv_read", rc)
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
	close_esys(&tctx, &ectx);
	return st;
}
