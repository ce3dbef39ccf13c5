/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The daemon's HPKE upload key (P-384), made fresh for each process, whose
 * public JWK the verifier's evidence binds (GET /v1/verifier/evidence).
 *
 * Branch vtee wrote this as a stand-in so its route has a real key to bind:
 * branch release owns the upload key (it decrypts the uploads with it); when
 * both are merged the daemon keeps one, and these vd_upload_key_* functions
 * are reconciled with release's.
 */
#ifndef CCGPU_VERIFIER_UPLOAD_KEY_H
#define CCGPU_VERIFIER_UPLOAD_KEY_H

#include <jansson.h>
#include <openssl/evp.h>

#include "ccgpu/status.h"

/* the "alg" of the upload key's JWK (docs/protocols.md, "The verifier's evidence") */
#define VD_UPLOAD_KEY_ALG "HPKE-P384-SHA384-AES256GCM"

struct vd_upload_key;

/* vd_upload_key_new: a fresh P-384 key pair (ccg_hpke_keypair_generate) and its public JWK. */
CCG_MUST_USE enum ccg_status vd_upload_key_new(struct vd_upload_key **out, struct ccg_error *err);
/* vd_upload_key_free: NULL is allowed. */
void vd_upload_key_free(struct vd_upload_key *k);
/*
 * vd_upload_key_jwk: the public JWK {kty "EC", crv "P-384", x, y, kid (its
 * RFC 7638 SHA-256 thumbprint, base64url), use "enc", alg
 * VD_UPLOAD_KEY_ALG}; borrowed from k.
 */
const json_t *vd_upload_key_jwk(const struct vd_upload_key *k);
/* vd_upload_key_pkey: the private key, for HPKE SetupBaseR (borrowed). */
EVP_PKEY *vd_upload_key_pkey(const struct vd_upload_key *k);

#endif
