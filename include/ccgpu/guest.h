/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The guest API: what an inference or training application inside a
 * confidential VM calls to prove itself to ccgpu-verifierd, to receive the
 * secrets released to it and to talk to its GPUs over the encrypted channel.
 * docs/guest.md walks through it; docs/protocols.md has the wire formats.
 *
 *   struct ccg_guest *g;
 *   struct ccg_guest_opts o = {.verifier_url = "https://verifier:8443", .verifier_jwks = jwks_json,
 *                              .gpu = CCG_GUEST_GPU_NVML};
 *   ccg_guest_new(&o, &g, &err);
 *   ccg_guest_key_generate(g, CCG_GUEST_KEY_X25519, &err);   // the TEE key (also the OHTTP key)
 *   ccg_guest_attest(g, &err);                                // challenge, evidence, EAR token
 *   ccg_guest_secret(g, "clinic-model", "model-key", &s, &err);  // HPKE-unwrapped into a secret buffer
 *
 * One attestation: POST /v1/challenge gives a nonce; the CPU TEE's report
 * binds SHA-512(nonce ‖ TEE public key ‖ SHA-384(GPU evidence)), the GPUs'
 * SPDM reports are over the nonce; POST /v1/attest returns an EAR token,
 * which the guest checks itself (signature against the verifier's JWKS,
 * iat/exp, eat_nonce = the nonce, cnf.jwk = its own TEE key, ear.status
 * affirming) before it keeps it. The token is kept until exp minus the
 * re-attest margin; ccg_guest_token and ccg_guest_secret re-attest first
 * when that time has come.
 *
 * Failure: every error names the step in err->where ("guest.challenge",
 * "guest.collect.cpu", "guest.collect.gpu[1]", "guest.attest",
 * "guest.attest.gpu[1]", "guest.token", "guest.release.model-key",
 * "guest.channel.gpu[0]") with the underlying check in err->detail. Nothing
 * half-done stays usable: a failed ccg_guest_attest (a first one or a
 * re-attestation) drops the token the guest held, so no secret is fetched on
 * the strength of a state the guest could no longer prove; a secret or a
 * channel is handed out only complete.
 *
 * Thread-safety: every call on one struct ccg_guest may come from any thread;
 * the calls serialise on the guest's lock (an attestation in progress makes
 * the others wait). ccg_guest_free must not race with other calls. Secrets
 * and channels returned are the caller's, each used by one thread at a time.
 */
#ifndef CCGPU_GUEST_H
#define CCGPU_GUEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ccgpu/attest.h"
#include "ccgpu/channel.h"
#include "ccgpu/status.h"

#ifdef __cplusplus
extern "C" {
#endif

struct ccg_guest;
struct ccg_guest_secret;
struct ccg_ohttp_gateway; /* ccgpu/ohttp.h */

/* Where the CPU TEE evidence comes from. */
enum ccg_guest_cpu {
	CCG_GUEST_CPU_AUTO = 0,  /* configfs-tsm if present (SEV-SNP or TDX by its provider), else /dev/sev-guest,
				 * else the vTPM (tpm_tcti, or /dev/tpmrm0 when it exists) */
	CCG_GUEST_CPU_SNP = 1,   /* an SEV-SNP report: configfs-tsm, or the ioctl on sev_guest_device when set */
	CCG_GUEST_CPU_TDX = 2,   /* a TDX quote through configfs-tsm */
	CCG_GUEST_CPU_TPM = 3,   /* a vTPM quote by the AK at tpm_ak_handle */
	CCG_GUEST_CPU_AZURE = 4, /* Azure: the HCL report in vTPM NV plus a vTPM quote */
};

/* Where the GPU evidence comes from (and where the channel goes). */
enum ccg_guest_gpu {
	CCG_GUEST_GPU_NVML = 0,   /* NVIDIA's driver (libnvidia-ml.so.1, loaded at run time); no channel */
	CCG_GUEST_GPU_GPUSIM = 1, /* ccgpu-gpusim on the UNIX socket gpusim_socket (evidence and channel) */
};

/* The TEE key's type. */
enum ccg_guest_key {
	CCG_GUEST_KEY_X25519 =
		0,              /* the default: secrets come as HPKE X25519-SHA256-AES128GCM, and it is the OHTTP key */
	CCG_GUEST_KEY_P384 = 1, /* EC P-384: secrets come as HPKE P384-SHA384-AES256GCM */
};

/* A clock: the current time in Unix seconds (tests inject one). */
typedef int64_t (*ccg_guest_clock_fn)(void *arg);

/*
 * The guest's configuration; zero-initialise it and set what applies. Every
 * string is copied by ccg_guest_new.
 */
struct ccg_guest_opts {
	/* the verifier: "https://host:port", "http://host:port" (loopback or a trusted network only) or
	 * "unix:/path/to/socket" (HTTP over a UNIX socket) */
	const char *verifier_url;
	const char *verifier_ca_file;    /* PEM CA bundle for https (NULL: the system's) */
	const char *verifier_pinned_key; /* curl's CURLOPT_PINNEDPUBLICKEY ("sha256//BASE64;…" or a PEM/DER file) */
	const char *verifier_jwks;       /* required: the verifier's JWKS (JSON text) that signs its tokens */
	long timeout_ms;                 /* per HTTP request; 0: 30 s */

	enum ccg_guest_cpu cpu;
	const char *tsm_root;         /* configfs-tsm report directory (NULL: /sys/kernel/config/tsm/report) */
	const char *sev_guest_device; /* SNP: use SNP_GET_REPORT on this device (e.g. "/dev/sev-guest") */
	const char *tpm_tcti;         /* TPM, Azure: TCTI ("device:/dev/tpmrm0", "swtpm:host=…,port=…") */
	uint32_t tpm_ak_handle;       /* TPM, Azure: persistent AK handle (0: 0x81000003) */
	uint32_t tpm_pcrs;            /* TPM, Azure: SHA-256 PCR mask quoted (0: PCRs 0-23) */
	const char *cpu_certs_file;   /* SNP, Azure: PEM VCEK/VLEK ‖ ASK ‖ ARK put into the evidence (optional) */

	enum ccg_guest_gpu gpu;
	const char *gpusim_socket; /* GPUSIM: the device's UNIX socket */
	const char *gpu_root_file; /* the channel: PEM file of the device identity root the GPU's chain must reach */

	unsigned reattest_margin; /* re-attest this many seconds before the token's exp (0: 60) */
	ccg_guest_clock_fn clock; /* NULL: the system clock */
	void *clock_arg;
};

/*
 * ccg_guest_new: a guest configured from o (checked: the URL's scheme, a
 * JWKS that parses with at least one key; CCG_ERR_INVALID_ARG naming the
 * option otherwise). No key, no token yet. Free with ccg_guest_free.
 */
CCG_API CCG_MUST_USE enum ccg_status ccg_guest_new(const struct ccg_guest_opts *o, struct ccg_guest **out,
						   struct ccg_error *err);
/* ccg_guest_free: wipes the TEE private key and the token; NULL is allowed. */
CCG_API void ccg_guest_free(struct ccg_guest *g);

/*
 * ccg_guest_key_generate: a fresh TEE key pair of type t. The private key
 * lives only in a secret buffer (mlocked, never dumped, wiped on free) as the
 * 48 random bytes it is derived from (RFC 9180 DeriveKeyPair). A new key
 * drops the token held (it named the old key).
 */
CCG_API CCG_MUST_USE enum ccg_status ccg_guest_key_generate(struct ccg_guest *g, enum ccg_guest_key t,
							    struct ccg_error *err);
/*
 * ccg_guest_public_key: the TEE public key as DER SubjectPublicKeyInfo into
 * out (cap bytes; 120 always suffice), its length in *out_len. No key yet:
 * CCG_ERR_INVALID_ARG at "guest.key".
 */
CCG_API CCG_MUST_USE enum ccg_status ccg_guest_public_key(struct ccg_guest *g, uint8_t *out, size_t cap,
							  size_t *out_len, struct ccg_error *err);

/*
 * ccg_guest_attest: one attestation now (see above); on success the new
 * token replaces the old. On failure the old token is dropped too, and err
 * names the step: "guest.challenge", "guest.collect.cpu",
 * "guest.collect.gpu" / "guest.collect.gpu[i]", "guest.attest" (the request
 * or the token's checks: "guest.attest.signature", ".nonce", ".cnf"), or
 * "guest.attest.gpu[i]" / "guest.attest.cpu" for a device the verifier did
 * not affirm (CCG_ERR_POLICY_DENIED, the verifier's failed check in detail).
 */
CCG_API CCG_MUST_USE enum ccg_status ccg_guest_attest(struct ccg_guest *g, struct ccg_error *err);

/*
 * ccg_guest_token: the EAR token held (malloc'd copy in *out_jws, the caller
 * frees), after re-attesting when the clock has reached exp minus the margin
 * (or no token is held). Errors: those of ccg_guest_attest.
 */
CCG_API CCG_MUST_USE enum ccg_status ccg_guest_token(struct ccg_guest *g, char **out_jws, struct ccg_error *err);
/* ccg_guest_token_exp: the held token's exp (Unix seconds), 0 when none is held. */
CCG_API int64_t ccg_guest_token_exp(struct ccg_guest *g);
/* ccg_guest_attestations: how many attestations this guest completed (a re-attestation counts). */
CCG_API uint64_t ccg_guest_attestations(struct ccg_guest *g);

/*
 * ccg_guest_secret: the secret `name` of contract `contract`: a valid token
 * (ccg_guest_token), POST /v1/release, and the answer opened with the TEE
 * private key (HPKE base mode, info "ccgpu-release/v1", aad SHA-384(token) ‖
 * contract ‖ 0x00 ‖ name) into a new secret buffer in *out. Errors are named
 * "guest.release.<name>": the verifier's refusal (CCG_ERR_POLICY_DENIED with
 * its party and rule in detail; 409 suspended likewise), an answer for
 * another contract, secret or suite (CCG_ERR_MALFORMED), a ciphertext that
 * does not open (CCG_ERR_MAC). Free with ccg_guest_secret_free.
 */
CCG_API CCG_MUST_USE enum ccg_status ccg_guest_secret(struct ccg_guest *g, const char *contract, const char *name,
						      struct ccg_guest_secret **out, struct ccg_error *err);
/* ccg_guest_secret_data: the secret's bytes (owned by s, in locked memory) and their count in *out_len. */
CCG_API const uint8_t *ccg_guest_secret_data(const struct ccg_guest_secret *s, size_t *out_len);
/* ccg_guest_secret_version: the upload version the verifier released. */
CCG_API int64_t ccg_guest_secret_version(const struct ccg_guest_secret *s);
/* ccg_guest_secret_free: wipes and frees; NULL is allowed. */
CCG_API void ccg_guest_secret_free(struct ccg_guest_secret *s);

/*
 * ccg_guest_channel_open: the encrypted channel (ccgpu/channel.h) to GPU
 * gpu_index, only while a valid token is held (re-attesting when due) and
 * only to a GPU that token affirmed; the session verifies the device chain to
 * gpu_root_file and that its leaf is the certificate of GPU gpu_index's
 * attested evidence (else CCG_ERR_DEVICE_IDENTITY). copts may be NULL. On success *out_session and *out_channel
 * are the caller's (free the channel, then the session); on failure neither
 * is set. Errors are named "guest.channel.gpu[i]". An NVML guest has no
 * software channel: CCG_ERR_UNSUPPORTED.
 */
CCG_API CCG_MUST_USE enum ccg_status ccg_guest_channel_open(struct ccg_guest *g, unsigned gpu_index,
							    const struct ccg_channel_opts *copts,
							    struct ccg_session **out_session,
							    struct ccg_channel **out_channel, struct ccg_error *err);

/* ---- branch api (issue 12): evidence collection on its own, as `ccgpu collect` does it ---- */

/*
 * For tools that carry evidence to a verifier themselves (the guest API above
 * does all of this inside ccg_guest_attest). struct ccg_collect_cpu names the
 * CPU TEE interface of a composite document; kind is one of
 *   "snp"   an SEV-SNP report through configfs-tsm (tsm_root; NULL: the
 *           kernel's) or, with sev_guest, the SNP_GET_REPORT ioctl on that device
 *   "tdx"   a TDX quote through configfs-tsm
 *   "tpm"   a vTPM quote by the AK at ak_handle over the SHA-256 PCRs in pcrs
 *           (1..0xFFFFFF) through the TCTI tcti (NULL: the device)
 *   "azure" Azure's HCL report from vTPM NV (hcl_nv_index) and a vTPM quote
 * certs_pem (optional, certs_len bytes) goes into the document as cpu.certs.
 */
struct ccg_collect_cpu {
	const char *kind;
	const char *tsm_root, *sev_guest, *tcti;
	uint32_t ak_handle, pcrs, hcl_nv_index;
	const uint8_t *certs_pem;
	size_t certs_len;
};
/* ccg_collect_cpu_kind_ok: kind is one of "snp", "tdx", "tpm", "azure". Thread-safe. */
CCG_API bool ccg_collect_cpu_kind_ok(const char *kind);
/*
 * ccg_collect_composite_json: the composite evidence document over nonce:
 * binding = SHA-512(nonce ‖ tee_pub ‖ SHA-384(gpu)), the CPU report or quote
 * whose report_data (TPM: extraData) is the binding, and the document
 * {"ccgpu-composite": 1, "nonce", "tee_public_key", "gpu_evidence", "cpu"}
 * (docs/protocols.md) as JSON text (keys sorted, indented by two spaces) in
 * *out_json, malloc'd; the caller frees it (NULL on failure). tee_pub is the
 * TEE's DER SubjectPublicKeyInfo, gpu NVIDIA's serialized GPU evidence
 * (ccg_nvml_gpu_evidence, ccg_gpu_evidence_to_json). Errors: an unknown kind
 * is CCG_ERR_INVALID_ARG at "--cpu", an empty or too wide PCR mask at
 * "--pcrs"; the collector's own are named "tsm.*", "sev-guest", "vtpm.*", ….
 * Thread-safe (each call makes its own configfs-tsm entry or TPM context).
 */
CCG_API CCG_MUST_USE enum ccg_status ccg_collect_composite_json(const struct ccg_collect_cpu *o, const uint8_t *nonce,
								size_t nonce_len, const uint8_t *tee_pub,
								size_t tee_pub_len, const uint8_t *gpu, size_t gpu_len,
								char **out_json, struct ccg_error *err);
/*
 * ccg_nvml_gpu_evidence: NVIDIA's serialized evidence JSON (malloc'd text in
 * *out_json) for every GPU, over nonce (32 bytes), from libnvidia-ml.so.1
 * loaded at run time (nvmlDeviceGetConfComputeGpuAttestationReport /
 * Certificate). Without the library: CCG_ERR_NOT_FOUND at "nvml".
 */
CCG_API CCG_MUST_USE enum ccg_status ccg_nvml_gpu_evidence(const uint8_t nonce[32], char **out_json,
							   struct ccg_error *err);
/*
 * ccg_gpu_source_gpusim_collect: every GPU of the ccgpu-gpusim device on the
 * UNIX socket at path: its PEM chain and its SPDM report over nonce, appended
 * to ev (arch HOPPER). Each read and write is bounded (5 s). Connection
 * failures: CCG_ERR_IO; a device ERROR frame: its status; replies of the
 * wrong type or shape: CCG_ERR_MALFORMED; errors name the GPU
 * ("gpusim.gpu[1]..."). Thread-safe on distinct ev.
 */
CCG_API CCG_MUST_USE enum ccg_status ccg_gpu_source_gpusim_collect(const char *path,
								   const uint8_t nonce[CCG_GPU_NONCE_LEN],
								   struct ccg_gpu_evidence *ev, struct ccg_error *err);
/* ---- branch inference (issue 15) ---- */
/*
 * ccg_guest_ohttp_gateway: an Oblivious HTTP gateway (ccgpu/ohttp.h) whose
 * key configuration (key id key_id) holds the guest's TEE key, the key its
 * EAR tokens bind as cnf.jwk: X25519 / HKDF-SHA256 / AES-128-GCM for an
 * X25519 TEE key, P-384 / HKDF-SHA384 / AES-256-GCM for a P-384 one. The
 * private key is derived from the guest's secret buffer into the gateway
 * (an OpenSSL key, freed and wiped by ccg_ohttp_gateway_free); it never
 * passes through the caller. The gateway keeps the key it was made with: a
 * later ccg_guest_key_generate does not change it (make a new gateway).
 * No key yet: CCG_ERR_INVALID_ARG at "guest.key". Free with
 * ccg_ohttp_gateway_free.
 */
CCG_API CCG_MUST_USE enum ccg_status ccg_guest_ohttp_gateway(struct ccg_guest *g, uint8_t key_id,
							     struct ccg_ohttp_gateway **out, struct ccg_error *err);

#ifdef __cplusplus
}
#endif
#endif
