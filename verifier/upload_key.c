/* SPDX-License-Identifier: Apache-2.0 */
/* The per-process HPKE upload key (verifier/upload_key.h; a stand-in for branch release's). */
#include "verifier/upload_key.h"

#include <jose/jose.h>
#include <jose/openssl.h>
#include <stdlib.h>

#include "common/error.h"
#include "common/hpke.h"

struct vd_upload_key {
	EVP_PKEY *pkey;
	json_t *jwk;
};

enum ccg_status vd_upload_key_new(struct vd_upload_key **out, struct ccg_error *err)
{
	struct vd_upload_key *k = calloc(1, sizeof(*k));
	json_t *thp = NULL;
	enum ccg_status st;

	*out = NULL;
	if (k == NULL)
		return ccg_error_set(err, CCG_ERR_NOMEM, "upload_key", "no memory");
	if ((st = ccg_hpke_keypair_generate(CCG_HPKE_P384_SHA384_AES256GCM, &k->pkey, err)) != CCG_OK)
		goto out;
	/* the public half only: jose_jwk_pub drops "d" */
	k->jwk = jose_openssl_jwk_from_EVP_PKEY(NULL, k->pkey);
	if (k->jwk == NULL || !jose_jwk_pub(NULL, k->jwk) || json_object_get(k->jwk, "d") != NULL ||
	    !json_is_string(thp = jose_jwk_thp(NULL, k->jwk, "S256")) ||
	    json_object_set(k->jwk, "kid", thp) != 0 || json_object_set_new(k->jwk, "use", json_string("enc")) != 0 ||
	    json_object_set_new(k->jwk, "alg", json_string(VD_UPLOAD_KEY_ALG)) != 0) {
		st = ccg_error_set(err, CCG_ERR_CRYPTO, "upload_key", "cannot express the key as a JWK");
		goto out;
	}
	*out = k;
	k = NULL;
out:
	json_decref(thp);
	vd_upload_key_free(k);
	return st;
}

void vd_upload_key_free(struct vd_upload_key *k)
{
	if (k == NULL)
		return;
	EVP_PKEY_free(k->pkey);
	json_decref(k->jwk);
	free(k);
}

const json_t *vd_upload_key_jwk(const struct vd_upload_key *k)
{
	return k != NULL ? k->jwk : NULL;
}

EVP_PKEY *vd_upload_key_pkey(const struct vd_upload_key *k)
{
	return k != NULL ? k->pkey : NULL;
}
