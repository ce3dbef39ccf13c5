/* SPDX-License-Identifier: Apache-2.0 */
/* The guest API's pieces that tests and the OHTTP server reach below include/ccgpu/guest.h. */
#ifndef CCGPU_TEE_GUEST_GUEST_INTERNAL_H
#define CCGPU_TEE_GUEST_GUEST_INTERNAL_H

#include <openssl/evp.h>
#include <stddef.h>
#include <stdint.h>

#include "ccgpu/guest.h"
#include "common/hpke.h"
#include "common/secret.h"

#define CCG_GUEST_SECRET_MAX (64 * 1024) /* a released secret's largest size (docs/protocols.md) */

/*
 * ccg_guest_tee_key: the TEE key pair as an EVP_PKEY (derived from the
 * secret buffer on each call; the caller frees it, which wipes it) and its
 * HPKE suite. For the OHTTP server, which opens requests with the TEE key.
 * No key: CCG_ERR_INVALID_ARG at "guest.key".
 */
CCG_MUST_USE enum ccg_status ccg_guest_tee_key(struct ccg_guest *g, EVP_PKEY **out, enum ccg_hpke_suite *out_suite,
					       struct ccg_error *err);

/*
 * ccg_guest_release_open: the 200 answer of POST /v1/release (body, len) for
 * the request (token, contract, secret), opened with sk (a key of suite):
 * the answer must name that contract and secret and the suite of sk, enc and
 * ct must be base64url, and the HPKE open (info CCG_HPKE_INFO_RELEASE, aad
 * ccg_hpke_release_aad) must succeed; the plaintext (1 to
 * CCG_GUEST_SECRET_MAX bytes) goes into a new secret buffer in *out and the
 * answer's version into *out_version. Errors name the member ("release.suite",
 * "release.enc", "release.ct", …) or the HPKE step ("hpke.ct").
 */
CCG_MUST_USE enum ccg_status ccg_guest_release_open(EVP_PKEY *sk, enum ccg_hpke_suite suite, const char *token,
						    const char *contract, const char *secret, const uint8_t *body,
						    size_t len, struct ccg_secret **out, int64_t *out_version,
						    struct ccg_error *err);

#endif
