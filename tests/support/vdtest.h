/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Helpers for the ccgpu-verifierd tests and bench/verifierd: a test world
 * (a gpusim PKI with its GPUs, a synthetic AMD SEV-SNP PKI, a TEE key),
 * composite documents made in it for any nonce (gpusim's SPDM reports bound
 * into an SEV-SNP report signed by the synthetic VCEK), the daemon started
 * as a real process, and HTTP through libcurl. Functions fail the test
 * (cmocka) on error; only vt_compose and the HTTP helpers may run on other
 * threads (vt_compose with a fault only on the thread that owns the world).
 */
#ifndef CCGPU_TESTS_VDTEST_H
#define CCGPU_TESTS_VDTEST_H

#include <openssl/evp.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "amd_pki.h"

struct gpusim;

struct vt_world {
	char *dir;            /* a temp dir holding everything below */
	char gpusim_dir[512]; /* gpusim's PKI, RIMs and golden values */
	char ark_path[512];   /* the synthetic ARK (PEM) */
	struct ts_amd_pki amd;
	char *amd_chain_pem;
	EVP_PKEY *tee;     /* the TEE key pair */
	uint8_t *tee_spki; /* its DER SubjectPublicKeyInfo */
	size_t tee_spki_len;
	struct gpusim *sim;
	unsigned gpus;
};

/* vt_world_init: a world with gpus gpusim GPUs (generated in a child process). */
void vt_world_init(struct vt_world *w, unsigned gpus);
void vt_world_free(struct vt_world *w);
/*
 * vt_config_write: a daemon configuration trusting the world's roots (gpusim
 * device and RIM roots and RIMs, offline, OCSP off; the synthetic ARK),
 * listening on 127.0.0.1:0, plus extra lines (may be NULL); returns its path
 * (malloc'd) inside the world's directory, named name.
 */
char *vt_config_write(const struct vt_world *w, const char *name, const char *extra);

/*
 * vt_gpusim_evidence: one gpusim session's evidence over nonce, every GPU of
 * sim, as NVIDIA's serialized JSON (what ccgpu collect gpu writes); malloc'd.
 */
char *vt_gpusim_evidence(struct gpusim *sim, const uint8_t nonce[32]);

/*
 * vt_compose: the POST /v1/attest body for nonce: {"nonce", "evidence": the
 * composite document}. fault: a gpusim report fault spec ("drift=5@1") or
 * NULL. malloc'd.
 */
char *vt_compose(struct vt_world *w, const uint8_t nonce[32], const char *fault);

struct vt_daemon {
	pid_t pid;
	int port;
	char base[64];   /* http://127.0.0.1:PORT */
	char state[512]; /* its state directory */
	char log[600];   /* its stderr */
	char port_file[600];
};

/*
 * vt_daemon_start: runs binary --config config --state-dir state [--store
 * store] --port-file …, stderr to a log file, and waits (bounded) until it
 * wrote its port; fails the test when it exits first.
 */
void vt_daemon_start(struct vt_daemon *d, const char *binary, const char *config, const char *state, const char *store);
/* vt_daemon_stop: sends sig and reaps; returns the exit status (waitpid's). */
int vt_daemon_stop(struct vt_daemon *d, int sig);
/* vt_rss_kb: VmRSS of a process, in KiB. */
long vt_rss_kb(pid_t pid);

struct vt_resp {
	long status;
	char *body; /* NUL-terminated, malloc'd */
	size_t len;
	char content_type[128];
	char allow[64];
};

/* vt_http: one request (a new connection each time); ctype and body may be NULL. Transport failure: status 0. */
void vt_http(const char *base, const char *method, const char *path, const char *ctype, const char *body, size_t len,
	     struct vt_resp *out);
/* vt_http_hdr: vt_http with one more request header line ("Name: value"), or none when extra is NULL. */
void vt_http_hdr(const char *base, const char *method, const char *path, const char *ctype, const char *extra,
		 const char *body, size_t len, struct vt_resp *out);
void vt_resp_free(struct vt_resp *r);
/*
 * A fixed buffer a libcurl transfer's body goes into (bench/verifierd's and the replica tests' curl
 * handles): vt_sink_write is the CURLOPT_WRITEFUNCTION for one (CURLOPT_WRITEDATA); what does not fit
 * is dropped, and buf stays NUL-terminated. Zero it (or set len 0 and buf[0] '\0') before a transfer.
 */
struct vt_sink {
	char buf[8192];
	size_t len;
};
size_t vt_sink_write(char *p, size_t size, size_t n, void *ud);
/* vt_challenge: POST /v1/challenge, which must answer 200 with a 64-hex nonce; the nonce's bytes in out. */
void vt_challenge(const char *base, uint8_t out[32]);
/* vt_problem_type: the "type" of a problem+json body after the common prefix ("nonce-unknown"), or "". */
const char *vt_problem_type(const struct vt_resp *r, char *buf, size_t len);

#endif
