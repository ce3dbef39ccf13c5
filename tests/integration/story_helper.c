/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ccgpu-story-helper: what the release story test (test_release_story.sh)
 * needs that no shipped tool does (yet):
 *
 *   ak TCTI HANDLE OUT.pem
 *       an attestation key on the (swtpm) TPM at TCTI: a restricted RSA-2048
 *       RSASSA-SHA256 signing key under the owner hierarchy, persisted at
 *       HANDLE unless a key is there already; its public key, read back from
 *       the TPM with TPM2_ReadPublic (never from any evidence), to OUT.pem —
 *       what an owner of the TPM hands the parties that must trust its quotes.
 *
 *   unwrap TEE-KEY.pem TOKEN-FILE ANSWER-FILE CONTRACT SECRET
 *       the workload's end of POST /v1/release (docs/protocols.md): the
 *       answer must be for CONTRACT and SECRET; enc ‖ ct is opened with the
 *       TEE private key (HPKE base mode, the suite the answer names and the
 *       key's type agree on), info "ccgpu-release/v1",
 *       aad = SHA-384(token text) ‖ CONTRACT ‖ 0x00 ‖ SECRET; the secret goes
 *       to stdout. (Branch guest's guest API replaces this in the workload.)
 *
 * Exit status 0 on success, 1 when the check or the unwrap fails (the reason
 * on stderr, one line), 2 on usage errors.
 */
#include <jansson.h>
#include <jose/b64.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <tss2/tss2_esys.h>
#include <tss2/tss2_mu.h>
#include <tss2/tss2_tctildr.h>

#include "attest/cpu/tpm.h"
#include "common/crypto.h"
#include "common/error.h"
#include "common/file.h"
#include "common/hpke.h"
#include "common/secret.h"

#define RELEASE_INFO "ccgpu-release/v1"
#define MAX_FILE (1u << 20)

static int die(const char *what, const char *detail)
{
	fprintf(stderr, "ccgpu-story-helper: %s: %s\n", what, detail);
	return 1;
}

static int cmd_ak(const char *tcti, const char *handle_s, const char *out)
{
	TSS2_TCTI_CONTEXT *t = NULL;
	ESYS_CONTEXT *e = NULL;
	ESYS_TR key = ESYS_TR_NONE, h = ESYS_TR_NONE;
	TPM2B_SENSITIVE_CREATE sens = {0};
	TPM2B_PUBLIC tmpl = {0}, *pub = NULL;
	TPM2B_DATA outside = {0};
	TPML_PCR_SELECTION pcrs = {0};
	uint8_t buf[sizeof(TPM2B_PUBLIC)];
	size_t off = 0;
	EVP_PKEY *k = NULL;
	char *end = NULL;
	unsigned long handle = strtoul(handle_s, &end, 16);
	FILE *f = NULL;
	int rc = 1;

	if (end == handle_s || *end != '\0' || handle < 0x81000000ul || handle > 0x81FFFFFFul) {
		die("ak", "HANDLE is a persistent handle in hex (81000000..81ffffff)");
		return 2;
	}
	if (Tss2_TctiLdr_Initialize(tcti, &t) != TSS2_RC_SUCCESS || Esys_Initialize(&e, t, NULL) != TSS2_RC_SUCCESS) {
		die("ak", "cannot open the TPM at TCTI");
		goto out;
	}
	if (Esys_TR_FromTPMPublic(e, (TPM2_HANDLE)handle, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE, &h) !=
	    TSS2_RC_SUCCESS) {
		tmpl.publicArea.type = TPM2_ALG_RSA;
		tmpl.publicArea.nameAlg = TPM2_ALG_SHA256;
		tmpl.publicArea.objectAttributes = TPMA_OBJECT_RESTRICTED | TPMA_OBJECT_SIGN_ENCRYPT |
						   TPMA_OBJECT_FIXEDTPM | TPMA_OBJECT_FIXEDPARENT |
						   TPMA_OBJECT_SENSITIVEDATAORIGIN | TPMA_OBJECT_USERWITHAUTH;
		tmpl.publicArea.parameters.rsaDetail.symmetric.algorithm = TPM2_ALG_NULL;
		tmpl.publicArea.parameters.rsaDetail.scheme.scheme = TPM2_ALG_RSASSA;
		tmpl.publicArea.parameters.rsaDetail.scheme.details.rsassa.hashAlg = TPM2_ALG_SHA256;
		tmpl.publicArea.parameters.rsaDetail.keyBits = 2048;
		if (Esys_CreatePrimary(e, ESYS_TR_RH_OWNER, ESYS_TR_PASSWORD, ESYS_TR_NONE, ESYS_TR_NONE, &sens, &tmpl,
				       &outside, &pcrs, &key, NULL, NULL, NULL, NULL) != TSS2_RC_SUCCESS ||
		    Esys_EvictControl(e, ESYS_TR_RH_OWNER, key, ESYS_TR_PASSWORD, ESYS_TR_NONE, ESYS_TR_NONE,
				      (TPMI_DH_PERSISTENT)handle, &h) != TSS2_RC_SUCCESS) {
			die("ak", "creating and persisting the key failed");
			goto out;
		}
	}
	if (Esys_ReadPublic(e, h, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE, &pub, NULL, NULL) != TSS2_RC_SUCCESS ||
	    Tss2_MU_TPM2B_PUBLIC_Marshal(pub, buf, sizeof(buf), &off) != TSS2_RC_SUCCESS ||
	    ccg_tpm_public_to_pkey(buf, off, &k, NULL) != CCG_OK) {
		die("ak", "reading the key back failed");
		goto out;
	}
	if ((f = fopen(out, "w")) == NULL || PEM_write_PUBKEY(f, k) != 1) {
		die("ak", "writing OUT.pem failed");
		goto out;
	}
	rc = 0;
out:
	if (f != NULL && fclose(f) != 0)
		rc = 1;
	EVP_PKEY_free(k);
	Esys_Free(pub);
	if (key != ESYS_TR_NONE)
		Esys_FlushContext(e, key);
	if (h != ESYS_TR_NONE)
		Esys_TR_Close(e, &h);
	Esys_Finalize(&e);
	Tss2_TctiLdr_Finalize(&t);
	return rc;
}

/* a base64url member into a new buffer */
static uint8_t *b64url(const json_t *o, const char *k, size_t *len)
{
	size_t n = jose_b64_dec(json_object_get(o, k), NULL, 0);
	uint8_t *b;

	if (n == SIZE_MAX || n == 0 || (b = malloc(n)) == NULL)
		return NULL;
	if (jose_b64_dec(json_object_get(o, k), b, n) != n) {
		free(b);
		return NULL;
	}
	*len = n;
	return b;
}

static int cmd_unwrap(const char *key_path, const char *token_path, const char *answer_path, const char *contract,
		      const char *secret)
{
	struct ccg_error err;
	uint8_t *token = NULL, *answer = NULL, *enc = NULL, *ct = NULL, *sealed = NULL, *aad = NULL;
	size_t token_len = 0, answer_len = 0, enc_len = 0, ct_len = 0, aad_len, pt_len = 0;
	struct ccg_secret *pt = NULL;
	enum ccg_hpke_suite suite;
	json_t *a = NULL;
	EVP_PKEY *k = NULL;
	const char *s;
	FILE *f = NULL;
	int rc = 1;

	ccg_error_clear(&err);
	if (ccg_file_read(token_path, MAX_FILE, &token, &token_len, &err) != CCG_OK ||
	    ccg_file_read(answer_path, MAX_FILE, &answer, &answer_len, &err) != CCG_OK) {
		rc = die("unwrap", err.detail);
		goto out;
	}
	while (token_len > 0 && (token[token_len - 1] == '\n' || token[token_len - 1] == '\r'))
		token[--token_len] = '\0';
	if ((f = fopen(key_path, "r")) == NULL || (k = PEM_read_PrivateKey(f, NULL, NULL, NULL)) == NULL) {
		rc = die("unwrap", "TEE-KEY.pem is not a PEM private key");
		goto out;
	}
	a = json_loadb((const char *)answer, answer_len, JSON_REJECT_DUPLICATES, NULL);
	if ((s = json_string_value(json_object_get(a, "contract"))) == NULL || strcmp(s, contract) != 0 ||
	    (s = json_string_value(json_object_get(a, "secret"))) == NULL || strcmp(s, secret) != 0) {
		rc = die("unwrap", "the answer is not for this contract and secret");
		goto out;
	}
	s = json_string_value(json_object_get(a, "suite"));
	if (s != NULL && strcmp(s, "P384-SHA384-AES256GCM") == 0 && EVP_PKEY_is_a(k, "EC"))
		suite = CCG_HPKE_P384_SHA384_AES256GCM;
	else if (s != NULL && strcmp(s, "X25519-SHA256-AES128GCM") == 0 && EVP_PKEY_is_a(k, "X25519"))
		suite = CCG_HPKE_X25519_SHA256_AES128GCM;
	else {
		rc = die("unwrap", "the answer's suite is not the one of the TEE key");
		goto out;
	}
	if ((enc = b64url(a, "enc", &enc_len)) == NULL || (ct = b64url(a, "ct", &ct_len)) == NULL ||
	    (sealed = malloc(enc_len + ct_len)) == NULL ||
	    (aad = malloc(48 + strlen(contract) + 1 + strlen(secret))) == NULL) {
		rc = die("unwrap", "enc and ct must be base64url");
		goto out;
	}
	memcpy(sealed, enc, enc_len);
	memcpy(sealed + enc_len, ct, ct_len);
	/* aad = SHA-384(token ASCII bytes) ‖ contract ‖ 0x00 ‖ secret */
	if (ccg_sha384(token, token_len, aad) != CCG_OK) {
		rc = die("unwrap", "SHA-384 failed");
		goto out;
	}
	aad_len = 48;
	memcpy(aad + aad_len, contract, strlen(contract));
	aad_len += strlen(contract);
	aad[aad_len++] = 0x00;
	memcpy(aad + aad_len, secret, strlen(secret));
	aad_len += strlen(secret);
	if (ct_len <= CCG_HPKE_TAG_LEN || ccg_secret_new(ct_len - CCG_HPKE_TAG_LEN, &pt) != CCG_OK) {
		rc = die("unwrap", "ct is too short");
		goto out;
	}
	if (ccg_hpke_open(suite, k, sealed, enc_len + ct_len, (const uint8_t *)RELEASE_INFO, strlen(RELEASE_INFO), aad,
			  aad_len, pt->data, pt->len, &pt_len, &err) != CCG_OK) {
		char buf[CCG_ERROR_WHERE_MAX + CCG_ERROR_DETAIL_MAX + 64];

		rc = die("unwrap", ccg_error_format(&err, buf, sizeof(buf)));
		goto out;
	}
	rc = fwrite(pt->data, 1, pt_len, stdout) == pt_len && fflush(stdout) == 0 ? 0 : 1;
out:
	if (f != NULL)
		fclose(f);
	ccg_secret_free(pt);
	EVP_PKEY_free(k);
	json_decref(a);
	free(token);
	free(answer);
	free(enc);
	free(ct);
	free(sealed);
	free(aad);
	return rc;
}

int main(int argc, char **argv)
{
	if (argc == 5 && strcmp(argv[1], "ak") == 0)
		return cmd_ak(argv[2], argv[3], argv[4]);
	if (argc == 7 && strcmp(argv[1], "unwrap") == 0)
		return cmd_unwrap(argv[2], argv[3], argv[4], argv[5], argv[6]);
	fputs("usage: ccgpu-story-helper ak TCTI HANDLE OUT.pem\n"
	      "       ccgpu-story-helper unwrap TEE-KEY.pem TOKEN-FILE ANSWER-FILE CONTRACT SECRET\n",
	      stderr);
	return 2;
}
