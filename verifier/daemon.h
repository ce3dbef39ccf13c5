/* SPDX-License-Identifier: Apache-2.0 */
/* ccgpu-verifierd's state shared by main.c (lifecycle, signals) and server.c (HTTP API). */
#ifndef CCGPU_VERIFIER_DAEMON_H
#define CCGPU_VERIFIER_DAEMON_H

#include <jansson.h>
#include <openssl/evp.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "verifier/appraise.h"
#include "verifier/config.h"
#include "token/ear.h"
#include "verifier/metrics.h"
#include "verifier/store.h"

struct MHD_Daemon;
struct ccg_kek;
struct vd_vc_cache;

/* the type URI prefix of every problem document the daemon answers */
#define VD_PROBLEM_BASE "tag:ccgpu.dev,2026:problem:"

/* What SIGHUP may change while running: swapped whole under vd.lock. */
struct vd_runtime {
	struct vd_appraiser *appraiser;
	size_t max_body;
	unsigned json_max_depth;
	unsigned nonce_ttl, token_ttl;
	char *public_url;
};

struct vd {
	struct vd_config cfg;    /* as loaded at start (listen, store, TLS, key, threads stay as started) */
	const char *config_path; /* NULL: no file */
	struct ccg_store *store;
	struct ccg_ear_key *key;
	pthread_rwlock_t lock;
	struct vd_runtime *rt; /* under lock */
	struct vd_metrics metrics;
	struct MHD_Daemon *mhd;
	int listen_fd;
	int bound_port; /* TCP: the port bound (listen port 0 lets the kernel choose) */
	_Atomic bool draining;
	/* secret release (branch release, verifier/release.h): set up at start, fixed while running */
	struct ccg_kek *kek;          /* the key-encryption key of the secrets at rest (cfg.kek) */
	EVP_PKEY *upload_key;         /* the HPKE upload key (P-384), fresh at every start */
	json_t *upload_jwk;           /* its public JWK (vd_upload_jwk) */
	struct vd_vc_cache *vc_cache; /* contracts verified, by the SHA-384 of their stored row (release_routes.c) */
};

/* vd_runtime_new: the reloadable part from a configuration (reads the policy and anchors). */
CCG_MUST_USE enum ccg_status vd_runtime_new(const struct vd_config *c, struct vd_runtime **out, struct ccg_error *err);
void vd_runtime_free(struct vd_runtime *rt);

/* vd_server_start: binds the listen address and starts the HTTP server (MHD, epoll thread pool). */
CCG_MUST_USE enum ccg_status vd_server_start(struct vd *d, struct ccg_error *err);
/* vd_server_drain: stops accepting, waits up to deadline_s for open requests, then stops. */
void vd_server_drain(struct vd *d, unsigned deadline_s);

/* vd_routes_print: "METHOD PATH" per line, every route the server answers (the OpenAPI test reads it). */
void vd_routes_print(FILE *f);

/* vd_log: one JSON object on one line to stderr (the journal under systemd); consumes obj. */
void vd_log(json_t *obj);

#endif
