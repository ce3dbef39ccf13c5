/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ccgpu-verifierd's secret-release routes (issue 14, docs/protocols.md
 * "Secret release"): contract registration, sealed uploads, suspend and
 * resume, release. server.c matches the route and reads the body and the
 * CCGPU-Statement header; the handlers here decide and answer, each state
 * change with its release-log entry and the statement's jti in one store
 * transaction (retried on CCG_ERR_STORE_CONFLICT).
 */
#ifndef CCGPU_VERIFIER_RELEASE_H
#define CCGPU_VERIFIER_RELEASE_H

#include <openssl/evp.h>
#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ccgpu/status.h"

struct vd;

#define VD_STATEMENT_HEADER "CCGPU-Statement"
#define VD_TXN_ATTEMPTS 16 /* tries of one transaction that loses serialisation races */

enum vd_release_route {
	VD_RR_CONTRACTS, /* POST /v1/contracts */
	VD_RR_SECRET,    /* PUT /v1/contracts/{contract}/secrets/{secret} */
	VD_RR_SUSPEND,   /* POST /v1/contracts/{contract}/suspend */
	VD_RR_RESUME,    /* POST /v1/contracts/{contract}/resume */
	VD_RR_RELEASE,   /* POST /v1/release */
	VD_RR_CONTRACT,  /* GET /v1/contracts/{contract}: the version in force, as stored (no statement) */
};

struct vd_release_in {
	enum vd_release_route route;
	const char *method;    /* "POST", "PUT" */
	const char *path;      /* the request path as matched (no query), for the statement's route */
	const char *contract;  /* from the path (NULL for /v1/contracts and /v1/release) */
	const char *secret;    /* from the path (VD_RR_SECRET only) */
	const char *statement; /* the CCGPU-Statement header, NULL when absent */
	const uint8_t *body;
	size_t len;
	unsigned max_depth;
	int64_t now; /* Unix seconds */
};

/* an answer: status and a JSON body (a problem document when problem is true) */
struct vd_reply {
	int status;
	json_t *body;
	bool problem;
	const char *type; /* the problem's short type, for the request's log line */
	char detail[256]; /* the problem's detail, for the log line */
};

/*
 * vd_release_init: the daemon's per-process HPKE upload key (P-384, fresh
 * at every start) and its public JWK, and the KEK (d->cfg.kek). Errors name
 * "kek" or "upload_key". vd_release_cleanup frees both (safe when init failed).
 */
CCG_MUST_USE enum ccg_status vd_release_init(struct vd *d, struct ccg_error *err);
void vd_release_cleanup(struct vd *d);

/*
 * vd_upload_jwk: the public JWK of the HPKE upload key (kty EC, crv P-384,
 * x, y, kid = its RFC 7638 SHA-256 thumbprint, use "enc", alg
 * "HPKE-P384-SHA384-AES256GCM"); borrowed from d, valid while it runs.
 * Branch vtee's GET /v1/verifier/evidence binds it.
 */
const json_t *vd_upload_jwk(const struct vd *d);
/*
 * vd_upload_key_make: a fresh P-384 HPKE key pair and its public JWK as
 * vd_upload_jwk describes it (the daemon's upload key; the tests' too).
 */
CCG_MUST_USE enum ccg_status vd_upload_key_make(EVP_PKEY **out_key, json_t **out_jwk, struct ccg_error *err);

/* vd_release_handle: answers one request of the routes above into *out (the caller sends and frees out->body). */
void vd_release_handle(struct vd *d, const struct vd_release_in *in, struct vd_reply *out);

#endif
