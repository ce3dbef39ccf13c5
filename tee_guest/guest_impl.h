/* SPDX-License-Identifier: Apache-2.0 */
/* The guest's state, shared by tee_guest/guest.c and tee_guest/guest_release.c only. */
#ifndef CCGPU_TEE_GUEST_GUEST_IMPL_H
#define CCGPU_TEE_GUEST_GUEST_IMPL_H

#include <jansson.h>
#include <pthread.h>
#include <stdbool.h>

#include "common/http.h"
#include "tee_guest/guest_internal.h"

#define CCG_GUEST_IKM_LEN 48

struct ccg_guest {
	pthread_mutex_t lock; /* every call holds it */
	bool lock_ok;
	/* the verifier */
	char *base; /* "http(s)://host:port" ("http://localhost" over a UNIX socket) */
	char *unix_path, *ca_file, *pinned_key;
	long timeout_ms;
	json_t *jwks;
	/* evidence sources */
	enum ccg_guest_cpu cpu;
	char *tsm_root, *sev_guest, *tcti;
	uint32_t ak_handle, pcrs;
	uint8_t *certs;
	size_t certs_len;
	enum ccg_guest_gpu gpu;
	char *gpusim_socket, *gpu_root;
	/* time */
	unsigned margin;
	ccg_guest_clock_fn clock;
	void *clock_arg;
	/* the TEE key: the secret the key pair is derived from, its suite, public forms */
	struct ccg_secret *ikm;
	enum ccg_hpke_suite suite;
	uint8_t *spki;
	size_t spki_len;
	json_t *jwk;
	/* the token held (NULL: none) */
	char *token;
	json_t *claims;
	int64_t exp;
	size_t n_gpus; /* GPUs the token affirms */
	/* (branch prompt) the leaf certificate (DER) of each of those GPUs, from the evidence sent: the
	 * channel's SPDM session must present it (ccg_session_opts.attested_leaf_der) */
	struct guest_leaf {
		uint8_t *der;
		size_t len;
	} * leaves;
	uint64_t attestations;
};

/* guest_now: the injected clock or the system's. */
int64_t guest_now(const struct ccg_guest *g);
/* guest_step: records a failure of a step: where = step, detail = "inner where: inner detail"; returns st. */
enum ccg_status guest_step(struct ccg_error *err, const struct ccg_error *inner, enum ccg_status st, const char *where);
/* guest_token_drop: forgets the token held (wiped). */
void guest_token_drop(struct ccg_guest *g);
/* guest_token_fresh: keeps the token while now < exp - margin, else attests (lock held). */
CCG_MUST_USE enum ccg_status guest_token_fresh(struct ccg_guest *g, struct ccg_error *err);
/* guest_attest_locked: ccg_guest_attest with the lock held. */
CCG_MUST_USE enum ccg_status guest_attest_locked(struct ccg_guest *g, struct ccg_error *err);
/* guest_key: the TEE key pair derived from g->ikm (lock held); the caller frees it. */
CCG_MUST_USE enum ccg_status guest_key(const struct ccg_guest *g, EVP_PKEY **out, struct ccg_error *err);
/*
 * guest_token_verify: token signed by a key of the verifier's JWKS, valid at
 * now, eat_nonce = nonce, cnf.jwk = the guest's key; its claims in *out_claims.
 */
CCG_MUST_USE enum ccg_status guest_token_verify(const struct ccg_guest *g, const char *token, const uint8_t *nonce,
						size_t nonce_len, int64_t now, json_t **out_claims,
						struct ccg_error *err);
/*
 * guest_token_status: the verified claims' verdict: no submod below
 * affirming (the worst one is named "guest.attest.gpu[i]" / ".cpu",
 * CCG_ERR_NOT_AFFIRMED, its first ccgpu.errors entry or failed in the
 * detail), ear.status affirming, and exactly n_gpus GPU submods.
 */
CCG_MUST_USE enum ccg_status guest_token_status(const json_t *claims, size_t n_gpus, const char *failed,
						struct ccg_error *err);
/* guest_post: POST body (JSON) to the verifier's path; any HTTP status is returned in resp. */
CCG_MUST_USE enum ccg_status guest_post(const struct ccg_guest *g, const char *path, const char *body, size_t max,
					struct ccg_http_response *resp, struct ccg_error *err);
/* guest_problem: "HTTP 403: title: detail" from a problem+json answer. */
void guest_problem(const struct ccg_http_response *r, char *out, size_t n);

#endif
