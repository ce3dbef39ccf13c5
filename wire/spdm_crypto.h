/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The SPDM 1.2 session crypto both ends share (the requester in channel/ and
 * gpusim's responder): the DSP0274 key schedule (HKDF-SHA384 with the
 * "spdm1.2 " BinConcat labels), ECDHE secp384r1 and the DSP0277
 * secured-message record; the message codes are in wire/spdm_codes.h. Wire
 * formats and crypto only: no I/O.
 * Every secret lives in a ccg_secret. Thread-safety: functions are
 * thread-safe; the structs are not (one owner).
 */
#ifndef CCGPU_WIRE_SPDM_CRYPTO_H
#define CCGPU_WIRE_SPDM_CRYPTO_H

#include <openssl/evp.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/buf.h"
#include "common/cursor.h"
#include "common/secret.h"
#include "wire/spdm_codes.h"

#define SPDM_H 48       /* SHA-384 */
#define SPDM_SIG_LEN 96 /* ECDSA P-384 r||s */
#define SPDM_DHE_LEN 96 /* secp384r1 X||Y */
#define SPDM_RANDOM_LEN 32
#define SPDM_AEAD_KEY_LEN 32
#define SPDM_AEAD_IV_LEN 12
#define SPDM_AEAD_TAG_LEN 16
#define SPDM_MAX_MSG 4096      /* largest SPDM message either end accepts */
#define SPDM_CERT_PORTION 1024 /* GET_CERTIFICATE portion length */
#define SPDM_MAX_CERT_CHAIN 16384

/* DSP0277 record as carried in CCG_FRAME_SECURED_SPDM: SessionID u32 || SeqNum u64 || Length u16 */
#define SPDM_REC_HDR_LEN 14

/* ---------- HKDF-SHA384 (RFC 5869 over HMAC) and the DSP0274 BinConcat ---------- */

/* spdm_hkdf_extract: PRK = HMAC-SHA384(salt, ikm). */
CCG_MUST_USE enum ccg_status spdm_hkdf_extract(const uint8_t *salt, size_t salt_len, const uint8_t *ikm, size_t ikm_len,
					       uint8_t out[SPDM_H]);
/* spdm_hkdf_expand: HKDF-Expand(prk, info, out_len), out_len <= 255 * 48. */
CCG_MUST_USE enum ccg_status spdm_hkdf_expand(const uint8_t prk[SPDM_H], const uint8_t *info, size_t info_len,
					      uint8_t *out, size_t out_len);
/*
 * spdm_bin_concat: BinConcat(Length, Label, Context) = Length (u16 LE) ||
 * "spdm1.2 " || label || context into out (room for 2 + 8 + strlen(label) +
 * ctx_len, at most 128); *out_len the size.
 */
CCG_MUST_USE enum ccg_status spdm_bin_concat(uint16_t length, const char *label, const uint8_t *ctx, size_t ctx_len,
					     uint8_t *out, size_t out_size, size_t *out_len);
/* spdm_expand_label: HKDF-Expand(prk, BinConcat(out_len, label, ctx), out_len). */
CCG_MUST_USE enum ccg_status spdm_expand_label(const uint8_t prk[SPDM_H], const char *label, const uint8_t *ctx,
					       size_t ctx_len, uint8_t *out, size_t out_len);
/* spdm_hmac: HMAC-SHA384(key, data). */
CCG_MUST_USE enum ccg_status spdm_hmac(const uint8_t key[SPDM_H], const uint8_t *data, size_t len, uint8_t out[SPDM_H]);

/* ---------- the key schedule ---------- */

/* offsets of each secret inside struct spdm_schedule's buffer (each SPDM_H bytes) */
enum spdm_secret_id {
	SPDM_S_HANDSHAKE = 0,
	SPDM_S_REQ_HS,
	SPDM_S_RSP_HS,
	SPDM_S_REQ_FINISHED,
	SPDM_S_RSP_FINISHED,
	SPDM_S_MASTER,
	SPDM_S_REQ_DATA,
	SPDM_S_RSP_DATA,
	SPDM_S_EXPORT,
	SPDM_S_COUNT
};

struct spdm_schedule {
	struct ccg_secret *s; /* SPDM_S_COUNT * SPDM_H bytes */
};

static inline uint8_t *spdm_secret(struct spdm_schedule *k, enum spdm_secret_id id)
{
	return k->s->data + (size_t)id * SPDM_H;
}

CCG_MUST_USE enum ccg_status spdm_schedule_init(struct spdm_schedule *k);
void spdm_schedule_cleanup(struct spdm_schedule *k);
/*
 * spdm_schedule_handshake: from the ECDHE shared secret and TH1 = Hash(VCA ||
 * Hash(CertChain) || KEY_EXCHANGE || KEY_EXCHANGE_RSP without VerifyData):
 * handshake secret = HMAC(Salt_0 = 0^48, DHE); request/response handshake
 * secrets = Expand(hs, "req hs data"/"rsp hs data" with TH1); finished keys
 * = Expand(each, "finished").
 */
CCG_MUST_USE enum ccg_status spdm_schedule_handshake(struct spdm_schedule *k, const uint8_t *dhe, size_t dhe_len,
						     const uint8_t th1[SPDM_H]);
/*
 * spdm_schedule_data: from TH2 = Hash(... || FINISH || FINISH_RSP): Salt_1 =
 * Expand(hs, "derived"); master = HMAC(Salt_1, 0^48); data secrets =
 * Expand(master, "req app data"/"rsp app data" with TH2); export master
 * secret = Expand(master, "exp master" with TH2).
 */
CCG_MUST_USE enum ccg_status spdm_schedule_data(struct spdm_schedule *k, const uint8_t th2[SPDM_H]);

/* ---------- per-direction AEAD state of a session (DSP0277) ---------- */

struct spdm_dir_keys {
	struct ccg_secret *s; /* secret[48] || key[32] || iv[12] */
	uint64_t seq;
};

CCG_MUST_USE enum ccg_status spdm_dir_init(struct spdm_dir_keys *d);
void spdm_dir_cleanup(struct spdm_dir_keys *d);
/* spdm_dir_set: adopts a direction secret: key = Expand(secret, "key"), iv = Expand(secret, "iv"), seq = 0. */
CCG_MUST_USE enum ccg_status spdm_dir_set(struct spdm_dir_keys *d, const uint8_t secret[SPDM_H]);
/* spdm_dir_update: KEY_UPDATE: secret = Expand(secret, "traffic upd"), then as spdm_dir_set. */
CCG_MUST_USE enum ccg_status spdm_dir_update(struct spdm_dir_keys *d);
/* spdm_dir_copy: dst takes src's keys and sequence number (a backup during KEY_UPDATE). */
void spdm_dir_copy(struct spdm_dir_keys *dst, const struct spdm_dir_keys *src);

/*
 * spdm_record_seal: appends the DSP0277 record of msg to out: SessionID (u32
 * LE) || SequenceNumber (u64 LE) || Length (u16 LE, of what follows) ||
 * AES-256-GCM(ApplicationDataLength u16 LE || msg) || MAC; AAD = the 14
 * header bytes; IV = iv XOR seq (little-endian in the leading bytes).
 * seq increments.
 */
CCG_MUST_USE enum ccg_status spdm_record_seal(struct spdm_dir_keys *d, uint32_t session_id, const uint8_t *msg,
					      size_t len, struct ccg_buf *out);
/*
 * spdm_record_open: parses and decrypts one record (the whole of in) with
 * the receiver's own expected sequence number: other session id:
 * CCG_ERR_MALFORMED (record.session_id); sequence number not the expected
 * one: CCG_ERR_REPLAY / CCG_ERR_DROPPED; tag: CCG_ERR_MAC; lengths:
 * CCG_ERR_TRUNCATED / CCG_ERR_MALFORMED. The SPDM message is appended to out
 * (at most SPDM_MAX_MSG). seq increments only on success.
 */
CCG_MUST_USE enum ccg_status spdm_record_open(struct spdm_dir_keys *d, uint32_t session_id, const uint8_t *in,
					      size_t in_len, struct ccg_buf *out, struct ccg_error *err);

/* ---------- ECDHE secp384r1 and ECDSA P-384 ---------- */

/* spdm_ecdhe_new: a fresh P-384 key; exchange data X||Y (96 bytes) into pub. */
CCG_MUST_USE enum ccg_status spdm_ecdhe_new(EVP_PKEY **out, uint8_t pub[SPDM_DHE_LEN]);
/* spdm_ecdhe_derive: the shared X coordinate (48 bytes) with the peer's X||Y (checked on the curve). */
CCG_MUST_USE enum ccg_status spdm_ecdhe_derive(EVP_PKEY *key, const uint8_t peer[SPDM_DHE_LEN], uint8_t out[SPDM_H],
					       struct ccg_error *err);
/*
 * spdm_sign_message: the DSP0274 1.2 signing input: combined_spdm_prefix
 * ("dmtf-spdm-v1.2.*" four times, zero pad, context to 36 bytes) ||
 * Hash(transcript); out holds 64 + 36 + 48 bytes.
 */
#define SPDM_SIGN_INPUT_LEN (64 + 36 + SPDM_H)
void spdm_sign_input(const char *context, const uint8_t th_hash[SPDM_H], uint8_t out[SPDM_SIGN_INPUT_LEN]);
#define SPDM_KEX_SIGN_CONTEXT "responder-key_exchange_rsp signing"
/* spdm_session_id: DSP0274: ReqSessionID in the low half, RspSessionID in the high half (as libspdm). */
static inline uint32_t spdm_session_id(uint16_t req, uint16_t rsp)
{
	return ((uint32_t)rsp << 16) | req;
}

#endif
