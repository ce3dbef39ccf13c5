/* SPDX-License-Identifier: Apache-2.0 */
/* The KEK sealed to the TPM through tpm2-tss ESAPI (verifier/kek_tpm.h). */
#include "verifier/kek_tpm.h"

#include <openssl/crypto.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <tss2/tss2_mu.h>
#include <tss2/tss2_rc.h>

#include "common/crypto.h"
#include "common/cursor.h"
#include "common/error.h"
#include "common/file.h"
#include "common/secret.h"
#include "tee_guest/vtpm_esys.h"

/* the attributes of the sealed data object, and the ones its blob must carry */
#define SEALED_ATTRS (TPMA_OBJECT_FIXEDTPM | TPMA_OBJECT_FIXEDPARENT | TPMA_OBJECT_USERWITHAUTH | TPMA_OBJECT_NODA)

struct tpm {
	TSS2_TCTI_CONTEXT *tctx;
	ESYS_CONTEXT *ectx;
	ESYS_TR srk, session, obj;
};

static void tpm_close(struct tpm *t)
{
	if (t->ectx != NULL) {
		if (t->obj != ESYS_TR_NONE)
			(void)Esys_FlushContext(t->ectx, t->obj);
		if (t->session != ESYS_TR_NONE)
			(void)Esys_FlushContext(t->ectx, t->session);
		if (t->srk != ESYS_TR_NONE)
			(void)Esys_FlushContext(t->ectx, t->srk);
	}
	ccg_vtpm_esys_close(&t->tctx, &t->ectx);
}

/*
 * TCG's ECC NIST P-256 storage root key template (TCG TPM v2.0 Provisioning
 * Guidance, "SRK template"): a restricted decryption key with AES-128-CFB,
 * unique = two zero-filled 32-byte coordinates. A primary is derived from the
 * hierarchy's seed and the template, so it is the same key at every start.
 */
static void srk_template(TPM2B_PUBLIC *t)
{
	memset(t, 0, sizeof(*t));
	t->publicArea.type = TPM2_ALG_ECC;
	t->publicArea.nameAlg = TPM2_ALG_SHA256;
	t->publicArea.objectAttributes = TPMA_OBJECT_FIXEDTPM | TPMA_OBJECT_FIXEDPARENT |
					 TPMA_OBJECT_SENSITIVEDATAORIGIN | TPMA_OBJECT_USERWITHAUTH | TPMA_OBJECT_NODA |
					 TPMA_OBJECT_RESTRICTED | TPMA_OBJECT_DECRYPT;
	t->publicArea.parameters.eccDetail.symmetric.algorithm = TPM2_ALG_AES;
	t->publicArea.parameters.eccDetail.symmetric.keyBits.aes = 128;
	t->publicArea.parameters.eccDetail.symmetric.mode.aes = TPM2_ALG_CFB;
	t->publicArea.parameters.eccDetail.scheme.scheme = TPM2_ALG_NULL;
	t->publicArea.parameters.eccDetail.curveID = TPM2_ECC_NIST_P256;
	t->publicArea.parameters.eccDetail.kdf.scheme = TPM2_ALG_NULL;
	t->publicArea.unique.ecc.x.size = 32;
	t->publicArea.unique.ecc.y.size = 32;
}

/* ESAPI on tcti, the SRK, and a salted HMAC session that encrypts the first parameter each way */
static enum ccg_status tpm_open(const char *tcti, struct tpm *t, struct ccg_error *err)
{
	TPM2B_SENSITIVE_CREATE sens = {0};
	TPM2B_PUBLIC tmpl;
	TPM2B_DATA outside = {0};
	TPML_PCR_SELECTION pcrs = {0};
	TPMT_SYM_DEF sym = {.algorithm = TPM2_ALG_AES, .keyBits = {.aes = 128}, .mode = {.aes = TPM2_ALG_CFB}};
	TSS2_RC rc;
	enum ccg_status st;

	memset(t, 0, sizeof(*t));
	t->srk = t->session = t->obj = ESYS_TR_NONE;
	if ((st = ccg_vtpm_esys_open(tcti, &t->tctx, &t->ectx, err)) != CCG_OK)
		return st;
	srk_template(&tmpl);
	rc = Esys_CreatePrimary(t->ectx, ESYS_TR_RH_OWNER, ESYS_TR_PASSWORD, ESYS_TR_NONE, ESYS_TR_NONE, &sens, &tmpl,
				&outside, &pcrs, &t->srk, NULL, NULL, NULL, NULL);
	if (rc != TSS2_RC_SUCCESS)
		return ccg_vtpm_tss_fail(err, "kek.srk", rc);
	rc = Esys_StartAuthSession(t->ectx, t->srk, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE, NULL,
				   TPM2_SE_HMAC, &sym, TPM2_ALG_SHA256, &t->session);
	if (rc == TSS2_RC_SUCCESS)
		rc = Esys_TRSess_SetAttributes(
			t->ectx, t->session, TPMA_SESSION_DECRYPT | TPMA_SESSION_ENCRYPT | TPMA_SESSION_CONTINUESESSION,
			0xff);
	if (rc != TSS2_RC_SUCCESS)
		return ccg_vtpm_tss_fail(err, "kek.session", rc);
	return CCG_OK;
}

/* the sealed data object's template (its unique is the TPM's to fill) */
static void sealed_template(TPM2B_PUBLIC *t)
{
	memset(t, 0, sizeof(*t));
	t->publicArea.type = TPM2_ALG_KEYEDHASH;
	t->publicArea.nameAlg = TPM2_ALG_SHA256;
	t->publicArea.objectAttributes = SEALED_ATTRS;
	t->publicArea.parameters.keyedHashDetail.scheme.scheme = TPM2_ALG_NULL;
}

/* a new KEK sealed under the SRK, returned in kek, its blob in out (malloc'd) */
static enum ccg_status seal_new(struct tpm *t, uint8_t kek[CCG_KEK_LEN], uint8_t **out, size_t *out_len,
				struct ccg_error *err)
{
	TPM2B_SENSITIVE_CREATE *sens = NULL;
	struct ccg_secret *sec = NULL;
	TPM2B_PUBLIC tmpl, *pub = NULL;
	TPM2B_PRIVATE *priv = NULL;
	TPM2B_DATA outside = {0};
	TPML_PCR_SELECTION pcrs = {0};
	uint8_t *blob = NULL;
	size_t off = 0;
	TSS2_RC rc;
	enum ccg_status st;

	/* the sensitive-create structure holds the KEK: a secret buffer, wiped on free */
	if ((st = ccg_secret_new(sizeof(*sens), &sec)) != CCG_OK)
		return ccg_error_set(err, st, "kek.seal", "no memory for the KEK");
	sens = (TPM2B_SENSITIVE_CREATE *)(void *)sec->data;
	sens->sensitive.data.size = CCG_KEK_LEN;
	if ((st = ccg_random(sens->sensitive.data.buffer, CCG_KEK_LEN)) != CCG_OK) {
		st = ccg_error_set(err, st, "kek.seal", "no random bytes");
		goto out;
	}
	sealed_template(&tmpl);
	rc = Esys_Create(t->ectx, t->srk, t->session, ESYS_TR_NONE, ESYS_TR_NONE, sens, &tmpl, &outside, &pcrs, &priv,
			 &pub, NULL, NULL, NULL);
	if (rc != TSS2_RC_SUCCESS) {
		st = ccg_vtpm_tss_fail(err, "kek.seal", rc);
		goto out;
	}
	if ((blob = malloc(CCG_KEK_TPM_BLOB_MAX)) == NULL) {
		st = ccg_error_set(err, CCG_ERR_NOMEM, "kek.seal", "no memory");
		goto out;
	}
	if (Tss2_MU_TPM2B_PUBLIC_Marshal(pub, blob, CCG_KEK_TPM_BLOB_MAX, &off) != TSS2_RC_SUCCESS ||
	    Tss2_MU_TPM2B_PRIVATE_Marshal(priv, blob, CCG_KEK_TPM_BLOB_MAX, &off) != TSS2_RC_SUCCESS) {
		st = ccg_error_set(err, CCG_ERR_INTERNAL, "kek.seal", "marshalling the sealed object");
		goto out;
	}
	memcpy(kek, sens->sensitive.data.buffer, CCG_KEK_LEN);
	*out = blob;
	*out_len = off;
	blob = NULL;
out:
	free(blob);
	Esys_Free(pub);
	Esys_Free(priv);
	ccg_secret_free(sec);
	return st;
}

/* the blob as marshalled structures: every byte used, the public area the sealed-object template's */
static enum ccg_status blob_parse(const uint8_t *b, size_t len, TPM2B_PUBLIC *pub, TPM2B_PRIVATE *priv,
				  struct ccg_error *err)
{
	TPM2B_PUBLIC tmpl;
	struct ccg_cursor c;
	uint16_t pub_size = 0;
	size_t off = 0;

	memset(pub, 0, sizeof(*pub));
	memset(priv, 0, sizeof(*priv));
	ccg_cursor_init(&c, b, len);
	if (!ccg_cursor_get_u16be(&c, &pub_size) ||
	    Tss2_MU_TPM2B_PUBLIC_Unmarshal(b, len, &off, pub) != TSS2_RC_SUCCESS)
		return ccg_error_set(err, CCG_ERR_MALFORMED, "kek.blob", "not a TPM2B_PUBLIC at offset 0");
	/* tpm2-tss reads the public area by its own structure: its size field must say the same */
	if (off != sizeof(pub_size) + (size_t)pub_size)
		return ccg_error_set(err, CCG_ERR_MALFORMED, "kek.blob", "the TPM2B_PUBLIC says %u bytes, holds %zu",
				     (unsigned)pub_size, off - sizeof(pub_size));
	if (Tss2_MU_TPM2B_PRIVATE_Unmarshal(b, len, &off, priv) != TSS2_RC_SUCCESS)
		return ccg_error_set(err, CCG_ERR_MALFORMED, "kek.blob", "not a TPM2B_PRIVATE at offset %zu", off);
	if (off != len)
		return ccg_error_set(err, CCG_ERR_TRAILING_DATA, "kek.blob", "%zu bytes after the sealed object",
				     len - off);
	sealed_template(&tmpl);
	if (pub->publicArea.type != tmpl.publicArea.type || pub->publicArea.nameAlg != tmpl.publicArea.nameAlg ||
	    pub->publicArea.objectAttributes != tmpl.publicArea.objectAttributes ||
	    pub->publicArea.authPolicy.size != 0 ||
	    pub->publicArea.parameters.keyedHashDetail.scheme.scheme != TPM2_ALG_NULL)
		return ccg_error_set(err, CCG_ERR_UNSUPPORTED, "kek.blob.public",
				     "not a sealed data object of this verifier (type, name algorithm, attributes or "
				     "policy differ)");
	return CCG_OK;
}

/* the TPM's answer to a Load: an integrity failure is the blob's or the TPM's (another one) fault */
static enum ccg_status load_fail(TSS2_RC rc, struct ccg_error *err)
{
	/* format-one response codes carry the parameter number in bits 8-11 */
	if ((rc & TSS2_RC_LAYER_MASK) == TSS2_TPM_RC_LAYER && (rc & TPM2_RC_FMT1) != 0 &&
	    (rc & (TPM2_RC_FMT1 | 0x3F)) == TPM2_RC_INTEGRITY)
		return ccg_error_set(err, CCG_ERR_MAC, "kek.load",
				     "the TPM refused the sealed object (integrity): it was sealed by another TPM or "
				     "the blob was changed");
	return ccg_vtpm_tss_fail(err, "kek.load", rc);
}

static enum ccg_status unseal(struct tpm *t, const uint8_t *b, size_t len, uint8_t kek[CCG_KEK_LEN],
			      struct ccg_error *err)
{
	TPM2B_PUBLIC pub;
	TPM2B_PRIVATE priv;
	TPM2B_SENSITIVE_DATA *data = NULL;
	TSS2_RC rc;
	enum ccg_status st;

	if ((st = blob_parse(b, len, &pub, &priv, err)) != CCG_OK)
		return st;
	rc = Esys_Load(t->ectx, t->srk, t->session, ESYS_TR_NONE, ESYS_TR_NONE, &priv, &pub, &t->obj);
	if (rc != TSS2_RC_SUCCESS) {
		t->obj = ESYS_TR_NONE;
		return load_fail(rc, err);
	}
	rc = Esys_Unseal(t->ectx, t->obj, t->session, ESYS_TR_NONE, ESYS_TR_NONE, &data);
	if (rc != TSS2_RC_SUCCESS)
		return ccg_vtpm_tss_fail(err, "kek.unseal", rc);
	if (data->size != CCG_KEK_LEN)
		st = ccg_error_set(err, CCG_ERR_MALFORMED, "kek.unseal", "the sealed data is %u bytes, not %d",
				   (unsigned)data->size, CCG_KEK_LEN);
	else
		memcpy(kek, data->buffer, CCG_KEK_LEN);
	OPENSSL_cleanse(data, sizeof(*data));
	Esys_Free(data);
	return st;
}

/* the blob at path, read whole: CCG_ERR_NOT_FOUND (err untouched) when there is none */
static enum ccg_status blob_read(const char *path, uint8_t **blob, size_t *len, struct ccg_error *err)
{
	struct ccg_error rerr;
	enum ccg_status st;

	ccg_error_clear(&rerr);
	st = ccg_file_read(path, CCG_KEK_TPM_BLOB_MAX, blob, len, &rerr);
	if (st != CCG_OK && st != CCG_ERR_NOT_FOUND)
		return ccg_error_set(err, st, "kek.read", "%s: %s", rerr.where, rerr.detail);
	return st;
}

enum ccg_status ccg_kek_tpm_create(const char *path, const char *tcti, uint8_t kek[CCG_KEK_LEN], struct ccg_error *err)
{
	struct tpm t;
	uint8_t *blob = NULL;
	size_t len = 0;
	struct ccg_error werr;
	enum ccg_status st;

	if (path == NULL || kek == NULL)
		return ccg_error_set(err, CCG_ERR_INVALID_ARG, "kek", "a blob path and an output are required");
	if ((st = tpm_open(tcti, &t, err)) != CCG_OK || (st = seal_new(&t, kek, &blob, &len, err)) != CCG_OK)
		goto out;
	ccg_error_clear(&werr);
	st = ccg_file_write_new(path, blob, len, &werr);
	free(blob);
	blob = NULL;
	if (st == CCG_OK)
		goto out;
	/* not ours: a racing creator's blob (CCG_ERR_DUPLICATE) is the one to unseal */
	OPENSSL_cleanse(kek, CCG_KEK_LEN);
	if (st != CCG_ERR_DUPLICATE) {
		st = ccg_error_set(err, st, "kek.write", "%s: %s", werr.where, werr.detail);
		goto out;
	}
	if ((st = blob_read(path, &blob, &len, err)) != CCG_OK) {
		if (st == CCG_ERR_NOT_FOUND)
			st = ccg_error_set(err, st, "kek.read", "%s vanished after another creator wrote it", path);
		goto out;
	}
	st = unseal(&t, blob, len, kek, err);
out:
	if (st != CCG_OK)
		OPENSSL_cleanse(kek, CCG_KEK_LEN);
	tpm_close(&t);
	free(blob);
	return st;
}

enum ccg_status ccg_kek_tpm_load(const char *path, const char *tcti, uint8_t kek[CCG_KEK_LEN], struct ccg_error *err)
{
	struct tpm t;
	uint8_t *blob = NULL;
	size_t len = 0;
	enum ccg_status st;

	if (path == NULL || kek == NULL)
		return ccg_error_set(err, CCG_ERR_INVALID_ARG, "kek", "a blob path and an output are required");
	st = blob_read(path, &blob, &len, err);
	if (st == CCG_ERR_NOT_FOUND)
		return ccg_kek_tpm_create(path, tcti, kek, err); /* first start */
	if (st != CCG_OK)
		return st;
	if ((st = tpm_open(tcti, &t, err)) == CCG_OK)
		st = unseal(&t, blob, len, kek, err);
	if (st != CCG_OK)
		OPENSSL_cleanse(kek, CCG_KEK_LEN);
	tpm_close(&t);
	free(blob);
	return st;
}
