/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ccgpu-verifierd's configuration: a text file of `key = value` lines
 * (# comments, blank lines; a value may be "quoted"), every key documented in
 * ccgpu-verifierd(8). An unknown key, a key given twice, a value that does
 * not parse: refused with the line named. Without a file: SQLite under the
 * state directory, plain HTTP on 127.0.0.1:8400, the built-in policy.
 */
#ifndef CCGPU_VERIFIER_CONFIG_H
#define CCGPU_VERIFIER_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ccgpu/status.h"

#define VD_CONFIG_MAX (64 * 1024) /* bytes of a config file */
#define VD_MAX_AMD_CRLS 8
#define VD_TPM_AK_HANDLE 0x81010002u /* the default tpm_ak_handle */

struct vd_config {
	/* listening and HTTP */
	char *listen;             /* "HOST:PORT" (IPv4, [IPv6]) or "unix:/path" */
	char *tls_cert, *tls_key; /* PEM paths: HTTPS when both are set */
	bool allow_plain_http_on_network;
	size_t max_body;   /* bytes of a request body */
	size_t max_header; /* bytes of a request's headers (MHD's per-connection memory) */
	unsigned max_connections;
	unsigned connection_timeout; /* seconds of inactivity */
	unsigned threads;            /* MHD thread pool (epoll each) */
	unsigned json_max_depth;
	/* state */
	char *state_dir;
	char *store; /* store URL */
	unsigned store_connections;
	char *signing_key; /* PEM path */
	/* tokens and nonces */
	unsigned nonce_ttl; /* seconds */
	unsigned token_ttl; /* seconds */
	char *public_url;   /* NRAS-compatible iss (base URL as clients see it) */
	/* appraisal */
	char *policy; /* appraisal policy file; NULL: built-in */
	char *gpu_device_root, *gpu_rim_root, *gpu_rim_dir, *gpu_rim_url, *gpu_ocsp_url, *gpu_cache_dir;
	int gpu_ocsp; /* enum ccg_gpu_ocsp_mode */
	bool gpu_offline;
	char *amd_ark, *intel_root, *tpm_ak;
	char *amd_crls[VD_MAX_AMD_CRLS];
	size_t n_amd_crls;
	bool require_fresh_collateral;
	/* secret release (branch release) */
	char *kek;                 /* "file:/PATH" or "tpm:/PATH" (verifier/kek.h) */
	unsigned statement_window; /* seconds around now a party statement's iat may lie */
	/* the verifier's own TPM (branch vtee) */
	char *tpm_tcti; /* TCTI of the TPM that quotes the verifier's evidence; NULL: none (the route answers 501) */
	uint32_t tpm_ak_handle; /* persistent handle of its AK, created there at first start when empty */
};

/* vd_config_defaults: the values without a file, with state_dir as the state directory. */
CCG_MUST_USE enum ccg_status vd_config_defaults(struct vd_config *c, const char *state_dir);
/*
 * vd_config_load: defaults, then the file's keys over them. Errors:
 * CCG_ERR_MALFORMED / CCG_ERR_INVALID_ARG with where "FILE:LINE" and the key
 * in the detail; CCG_ERR_NOT_FOUND / CCG_ERR_IO for the file.
 */
CCG_MUST_USE enum ccg_status vd_config_load(struct vd_config *c, const char *path, struct ccg_error *err);
/* vd_config_parse: as vd_config_load on text (name is used in errors). */
CCG_MUST_USE enum ccg_status vd_config_parse(struct vd_config *c, const char *name, const char *text, size_t len,
					     struct ccg_error *err);
/*
 * vd_config_check: the whole configuration holds together: TLS cert and key
 * together, plain HTTP only on loopback or a UNIX socket unless allowed,
 * ranges, paths absolute. Files are not read here.
 */
CCG_MUST_USE enum ccg_status vd_config_check(const struct vd_config *c, struct ccg_error *err);
void vd_config_cleanup(struct vd_config *c);

/* vd_listen_is_local: the listen address is 127.0.0.0/8, ::1, localhost or a UNIX socket. */
bool vd_listen_is_local(const char *listen);

#endif
