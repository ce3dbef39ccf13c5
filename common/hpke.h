/* SPDX-License-Identifier: Apache-2.0 */
/*
 * HPKE (RFC 9180), mode base, for two cipher suites:
 *
 *   CCG_HPKE_P384_SHA384_AES256GCM    KEM 0x0011 DHKEM(P-384, HKDF-SHA384),
 *                                     KDF 0x0002 HKDF-SHA384, AEAD 0x0002 AES-256-GCM
 *                                     (secret releases and uploads)
 *   CCG_HPKE_X25519_SHA256_AES128GCM  KEM 0x0020 DHKEM(X25519, HKDF-SHA256),
 *                                     KDF 0x0001 HKDF-SHA256, AEAD 0x0001 AES-128-GCM
 *                                     (Oblivious HTTP)
 *
 * Built on OpenSSL 3's ECDH (EVP_PKEY_derive), HKDF (EVP_KDF "HKDF",
 * EXTRACT_ONLY / EXPAND_ONLY for LabeledExtract / LabeledExpand) and AES-GCM
 * (EVP_aes_*_gcm); no primitive is written here. docs/protocols.md ("HPKE")
 * says where each suite is used and what goes in info and aad.
 *
 * Public keys cross the API as the KEM's SerializePublicKey bytes: the
 * uncompressed SEC1 point (0x04 ‖ X ‖ Y, 97 bytes) for P-384, the 32 raw
 * bytes for X25519. Private keys are EVP_PKEY (an EC P-384 or an X25519 key).
 * Key schedule secrets (AEAD key, base nonce, exporter secret) and every
 * intermediate secret live in wiped secret buffers (common/secret.h).
 *
 * Thread-safety: the one-shot functions are thread-safe; a context is used
 * by one thread at a time.
 */
#ifndef CCGPU_COMMON_HPKE_H
#define CCGPU_COMMON_HPKE_H

#include <openssl/evp.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ccgpu/status.h"

enum ccg_hpke_suite {
	CCG_HPKE_P384_SHA384_AES256GCM = 1,
	CCG_HPKE_X25519_SHA256_AES128GCM = 2,
};

#define CCG_HPKE_MODE_BASE 0x00

#define CCG_HPKE_KEM_P384_SHA384 0x0011
#define CCG_HPKE_KEM_X25519_SHA256 0x0020
#define CCG_HPKE_KDF_SHA256 0x0001
#define CCG_HPKE_KDF_SHA384 0x0002
#define CCG_HPKE_AEAD_AES128GCM 0x0001
#define CCG_HPKE_AEAD_AES256GCM 0x0002

/* the largest enc / public key (P-384's uncompressed point) and the AEAD tag */
#define CCG_HPKE_MAX_ENC_LEN 97
#define CCG_HPKE_MAX_PK_LEN 97
#define CCG_HPKE_TAG_LEN 16
/* bounds on caller inputs (each a stated maximum; over it: CCG_ERR_TOO_LARGE) */
#define CCG_HPKE_MAX_INFO_LEN 65536u
#define CCG_HPKE_MAX_AAD_LEN 65536u
#define CCG_HPKE_MAX_PT_LEN (256u * 1024 * 1024)
#define CCG_HPKE_MAX_EXPORTER_CONTEXT_LEN 512u
#define CCG_HPKE_MAX_IKM_LEN 1024u

/* an HPKE context (RFC 9180 §5.2): sender or recipient, sealing or opening in sequence */
struct ccg_hpke_ctx;

/*
 * ccg_hpke_suite_ids: the suite's KEM, KDF and AEAD identifiers (any output
 * may be NULL). Unknown suite: CCG_ERR_INVALID_ARG.
 */
CCG_MUST_USE enum ccg_status ccg_hpke_suite_ids(enum ccg_hpke_suite suite, uint16_t *kem_id, uint16_t *kdf_id,
						uint16_t *aead_id);
/*
 * ccg_hpke_suite_from_ids: the suite with these identifiers (as an OHTTP key
 * configuration or a request header names them); any other combination:
 * CCG_ERR_UNSUPPORTED named "hpke.suite".
 */
CCG_MUST_USE enum ccg_status ccg_hpke_suite_from_ids(uint16_t kem_id, uint16_t kdf_id, uint16_t aead_id,
						     enum ccg_hpke_suite *out, struct ccg_error *err);
/* ccg_hpke_enc_len: Nenc of the suite's KEM (97 or 32); 0 for an unknown suite. */
size_t ccg_hpke_enc_len(enum ccg_hpke_suite suite);
/* ccg_hpke_sealed_len: the length of ccg_hpke_seal's output for pt_len bytes: Nenc + pt_len + 16. */
size_t ccg_hpke_sealed_len(enum ccg_hpke_suite suite, size_t pt_len);

/*
 * ccg_hpke_keypair_generate: a fresh random key pair for the suite's KEM
 * (the caller frees *out with EVP_PKEY_free).
 */
CCG_MUST_USE enum ccg_status ccg_hpke_keypair_generate(enum ccg_hpke_suite suite, EVP_PKEY **out,
						       struct ccg_error *err);
/*
 * ccg_hpke_keypair_derive: DeriveKeyPair(ikm) of RFC 9180 §7.1.3 — the same
 * ikm always gives the same key pair (P-384: rejection sampling of the
 * "candidate" expansions; X25519: the "sk" expansion). ikm must hold at
 * least Nsk bytes of entropy (48 for P-384, 32 for X25519); 1..1024 bytes
 * are accepted. The caller frees *out.
 */
CCG_MUST_USE enum ccg_status ccg_hpke_keypair_derive(enum ccg_hpke_suite suite, const uint8_t *ikm, size_t ikm_len,
						     EVP_PKEY **out, struct ccg_error *err);
/*
 * ccg_hpke_public_key: SerializePublicKey(pk) of key (public or private)
 * into out (out_cap >= CCG_HPKE_MAX_PK_LEN is always enough). A key of the
 * wrong type or curve for the suite: CCG_ERR_INVALID_ARG named "hpke.key".
 */
CCG_MUST_USE enum ccg_status ccg_hpke_public_key(enum ccg_hpke_suite suite, EVP_PKEY *key, uint8_t *out, size_t out_cap,
						 size_t *out_len, struct ccg_error *err);
/*
 * ccg_hpke_public_key_parse: DeserializePublicKey with validation: the
 * length must be Npk; a P-384 key must be an uncompressed (0x04) point on
 * the curve. Refusals: CCG_ERR_MALFORMED named by where. The caller frees *out.
 */
CCG_MUST_USE enum ccg_status ccg_hpke_public_key_parse(enum ccg_hpke_suite suite, const uint8_t *pk, size_t pk_len,
						       const char *where, EVP_PKEY **out, struct ccg_error *err);

/*
 * ccg_hpke_setup_s: SetupBaseS(pkR, info) — a fresh ephemeral key, the
 * encapsulated key written to enc (enc_cap >= ccg_hpke_enc_len(suite);
 * *enc_len set), and a sender context in *out (free with
 * ccg_hpke_ctx_free). A bad pkR: CCG_ERR_MALFORMED "hpke.pkR"; a DH result
 * refused (X25519 low-order point, RFC 9180 §7.1.4): CCG_ERR_MALFORMED "hpke.dh".
 */
CCG_MUST_USE enum ccg_status ccg_hpke_setup_s(enum ccg_hpke_suite suite, const uint8_t *pkR, size_t pkR_len,
					      const uint8_t *info, size_t info_len, uint8_t *enc, size_t enc_cap,
					      size_t *enc_len, struct ccg_hpke_ctx **out, struct ccg_error *err);
/*
 * ccg_hpke_setup_r: SetupBaseR(enc, skR, info) — the recipient context in
 * *out. enc of the wrong length or not a valid point: CCG_ERR_MALFORMED
 * "hpke.enc"; skR not a private key of the suite's KEM: CCG_ERR_INVALID_ARG.
 */
CCG_MUST_USE enum ccg_status ccg_hpke_setup_r(enum ccg_hpke_suite suite, EVP_PKEY *skR, const uint8_t *enc,
					      size_t enc_len, const uint8_t *info, size_t info_len,
					      struct ccg_hpke_ctx **out, struct ccg_error *err);
/* ccg_hpke_ctx_free: wipes the key schedule and frees; NULL is allowed. */
void ccg_hpke_ctx_free(struct ccg_hpke_ctx *ctx);

/*
 * ccg_hpke_ctx_seal: ContextS.Seal(aad, pt): ct = pt_len + 16 bytes into out
 * (out_cap at least that), under the nonce of the context's sequence number,
 * which then advances. Refused: a recipient context (CCG_ERR_INVALID_ARG),
 * the sequence number exhausted (CCG_ERR_KEY_EXHAUSTED "hpke.seq": ccgpu
 * counts in 64 bits and stops at 2^64 - 1, below RFC 9180's 2^96 - 1).
 */
CCG_MUST_USE enum ccg_status ccg_hpke_ctx_seal(struct ccg_hpke_ctx *ctx, const uint8_t *aad, size_t aad_len,
					       const uint8_t *pt, size_t pt_len, uint8_t *out, size_t out_cap,
					       size_t *out_len, struct ccg_error *err);
/*
 * ccg_hpke_ctx_open: ContextR.Open(aad, ct): the plaintext (ct_len - 16
 * bytes) into pt (pt_cap at least that; pt may be a ccg_secret's data). A
 * tag that does not verify: CCG_ERR_MAC "hpke.ct", pt wiped, the sequence
 * number unchanged; ct shorter than the tag: CCG_ERR_TRUNCATED "hpke.ct".
 * A sender context: CCG_ERR_INVALID_ARG; sequence exhausted as for seal.
 */
CCG_MUST_USE enum ccg_status ccg_hpke_ctx_open(struct ccg_hpke_ctx *ctx, const uint8_t *aad, size_t aad_len,
					       const uint8_t *ct, size_t ct_len, uint8_t *pt, size_t pt_cap,
					       size_t *pt_len, struct ccg_error *err);
/*
 * ccg_hpke_ctx_export: Context.Export(exporter_context, L) into out (L = out_len,
 * 1..255 × Nh bytes; exporter_context up to CCG_HPKE_MAX_EXPORTER_CONTEXT_LEN
 * bytes). Either side may export; OHTTP derives its response key this way.
 */
CCG_MUST_USE enum ccg_status ccg_hpke_ctx_export(const struct ccg_hpke_ctx *ctx, const uint8_t *exporter_context,
						 size_t exporter_context_len, uint8_t *out, size_t out_len,
						 struct ccg_error *err);
/* ccg_hpke_ctx_seq: the context's next sequence number. */
uint64_t ccg_hpke_ctx_seq(const struct ccg_hpke_ctx *ctx);

/* ---- branch ohttp: the suite's KDF and AEAD on their own (RFC 9180 §4 Extract/Expand, §5.2 Seal/Open) ---- */
/* for protocols that key an AEAD from an export, as OHTTP's responses do (RFC 9458 §4.4) */
#define CCG_HPKE_AEAD_NONCE_LEN 12 /* Nn of both AES-GCM suites */
/* ccg_hpke_kdf_len: Nh of the suite's KDF (32 or 48); 0 for an unknown suite. */
size_t ccg_hpke_kdf_len(enum ccg_hpke_suite suite);
/* ccg_hpke_aead_key_len: Nk of the suite's AEAD (16 or 32); 0 for an unknown suite. */
size_t ccg_hpke_aead_key_len(enum ccg_hpke_suite suite);
/*
 * ccg_hpke_kdf_extract: Extract(salt, ikm) of the suite's KDF (plain HKDF,
 * no HPKE label) into prk (prk_len must be Nh). salt and ikm up to
 * CCG_HPKE_MAX_INFO_LEN bytes each. Refusals CCG_ERR_INVALID_ARG /
 * CCG_ERR_TOO_LARGE named "hpke.extract"; the caller wipes prk.
 */
CCG_MUST_USE enum ccg_status ccg_hpke_kdf_extract(enum ccg_hpke_suite suite, const uint8_t *salt, size_t salt_len,
						  const uint8_t *ikm, size_t ikm_len, uint8_t *prk, size_t prk_len,
						  struct ccg_error *err);
/* ccg_hpke_kdf_expand: Expand(prk, info, L = out_len) of the suite's KDF (1 <= L <= 255 × Nh), no label. */
CCG_MUST_USE enum ccg_status ccg_hpke_kdf_expand(enum ccg_hpke_suite suite, const uint8_t *prk, size_t prk_len,
						 const uint8_t *info, size_t info_len, uint8_t *out, size_t out_len,
						 struct ccg_error *err);
/*
 * ccg_hpke_ctx_from_key: a context that seals (sender) or opens with the
 * suite's AEAD under the given key (Nk bytes) and base nonce (Nn bytes),
 * sequence number 0: its first seal/open is Seal(key, nonce, aad, pt) /
 * Open(key, nonce, aad, ct). It has no exporter secret (ccg_hpke_ctx_export
 * refuses it). The key and nonce are copied into the context's secret
 * buffer; free with ccg_hpke_ctx_free.
 */
CCG_MUST_USE enum ccg_status ccg_hpke_ctx_from_key(enum ccg_hpke_suite suite, bool sender, const uint8_t *key,
						   size_t key_len, const uint8_t *nonce, size_t nonce_len,
						   struct ccg_hpke_ctx **out, struct ccg_error *err);

/*
 * ccg_hpke_seal: single-shot SealBase(pkR, info, aad, pt): *out (malloc'd,
 * the caller frees) = enc ‖ ct, ccg_hpke_sealed_len(suite, pt_len) bytes.
 * Errors as ccg_hpke_setup_s and ccg_hpke_ctx_seal.
 */
CCG_MUST_USE enum ccg_status ccg_hpke_seal(enum ccg_hpke_suite suite, const uint8_t *pkR, size_t pkR_len,
					   const uint8_t *info, size_t info_len, const uint8_t *aad, size_t aad_len,
					   const uint8_t *pt, size_t pt_len, uint8_t **out, size_t *out_len,
					   struct ccg_error *err);
/*
 * ccg_hpke_open: single-shot OpenBase(enc, skR, info, aad, ct) on sealed =
 * enc ‖ ct as ccg_hpke_seal writes it: the plaintext into pt (pt_cap at
 * least sealed_len - Nenc - 16; pt may be a ccg_secret's data). Shorter
 * than Nenc + 16: CCG_ERR_TRUNCATED "hpke.sealed"; otherwise errors as
 * ccg_hpke_setup_r and ccg_hpke_ctx_open (a changed enc, ct, info or aad
 * gives CCG_ERR_MAC or CCG_ERR_MALFORMED, never CCG_OK).
 */
CCG_MUST_USE enum ccg_status ccg_hpke_open(enum ccg_hpke_suite suite, EVP_PKEY *skR, const uint8_t *sealed,
					   size_t sealed_len, const uint8_t *info, size_t info_len, const uint8_t *aad,
					   size_t aad_len, uint8_t *pt, size_t pt_cap, size_t *pt_len,
					   struct ccg_error *err);

/*
 * info and aad of ccgpu's own messages (docs/protocols.md, "HPKE"): the info
 * names the purpose, the aad binds the message to what it is for. These are
 * the one definition of the strings the daemon, the party CLI and the guest
 * send and expect (branch prompt: before it, these macros said "ccgpu
 * release v1" / "ccgpu upload v1", which nothing sent).
 */
#define CCG_HPKE_INFO_RELEASE "ccgpu-release/v1"
#define CCG_HPKE_INFO_UPLOAD "ccgpu-secret-upload/v1"
#define CCG_HPKE_MAX_NAME_LEN 1024u

/*
 * ccg_hpke_release_aad: the aad of a released secret, SHA-384(token) ‖
 * contract ‖ 0x00 ‖ secret (token: the EAR token's text as presented; the
 * 0x00 keeps ("ab", "c") and ("a", "bc") apart, neither name may contain
 * it). The daemon seals with it and the guest recomputes it from what it
 * asked for, so a secret wrapped for another token, contract or secret
 * fails to open (CCG_ERR_MAC). *out is malloc'd (the caller frees). No
 * token: CCG_ERR_INVALID_ARG "hpke.aad.token"; an empty or missing name:
 * CCG_ERR_INVALID_ARG, one over CCG_HPKE_MAX_NAME_LEN bytes:
 * CCG_ERR_TOO_LARGE ("hpke.aad.contract" / "hpke.aad.secret").
 * Thread-safe.
 */
CCG_MUST_USE enum ccg_status ccg_hpke_release_aad(const char *token, const char *contract, const char *secret,
						  uint8_t **out, size_t *out_len, struct ccg_error *err);

#endif
