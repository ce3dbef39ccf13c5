/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The encrypted CPU<->GPU channel: an SPDM 1.2 session with a device
 * (DSP0274 KEY_EXCHANGE/FINISH, DSP0277 secured messages) and, over it,
 * AES-256-GCM bounce buffers in shared memory for messages and bulk
 * transfers. docs/channel.md describes the protocol and what is implemented.
 *
 * Thread-safety: a session or a channel is used by one thread at a time;
 * a channel runs its own sealing worker threads inside ccg_channel_write.
 */
#ifndef CCGPU_CHANNEL_H
#define CCGPU_CHANNEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ccgpu/status.h"

#ifdef __cplusplus
extern "C" {
#endif

struct ccg_session;
struct ccg_channel;

struct ccg_session_opts {
	const char *socket_path; /* the device endpoint (gpusim's UNIX socket, docs/gpusim-transport.md) */
	unsigned device;         /* GPU index behind the endpoint */
	/* the trust anchor the device chain must reach, one PEM certificate: a file, or the PEM text
	 * (root_pem, root_pem_len bytes); exactly one of the two (attest.h: trust anchors) */
	const char *root_file;
	int64_t now; /* certificate verification time, Unix seconds; 0: current time */
	const uint8_t *root_pem;
	size_t root_pem_len;
	/*
	 * (branch prompt, issue 15) the device certificate whose attestation was appraised: the leaf of
	 * the GPU evidence's chain, DER (attested_leaf_der_len bytes). When given, the session is only
	 * established with the device whose certificate chain (GET_CERTIFICATE, slot 0) ends in exactly
	 * this certificate, so KEY_EXCHANGE_RSP is signed by the attested key; NULL: the chain is only
	 * verified to the root, and any genuine device of that root is accepted
	 */
	const uint8_t *attested_leaf_der;
	size_t attested_leaf_der_len;
};

/*
 * ccg_session_open: connects and runs GET_VERSION, GET_CAPABILITIES,
 * NEGOTIATE_ALGORITHMS (ECDSA P-384, SHA-384, secp384r1, AES-256-GCM),
 * GET_DIGESTS, GET_CERTIFICATE (chain verified to the root), KEY_EXCHANGE
 * (signature over the transcript verified) and FINISH. Errors:
 * CCG_ERR_CERT_UNTRUSTED / CCG_ERR_CERT_CHAIN / CCG_ERR_CERT_EXPIRED (the
 * chain), CCG_ERR_DEVICE_IDENTITY ("spdm.cert_chain.leaf": the device's
 * leaf certificate is not opts->attested_leaf_der), CCG_ERR_SIGNATURE
 * (KEY_EXCHANGE_RSP), CCG_ERR_MAC (VerifyData),
 * CCG_ERR_PROTOCOL (an SPDM ERROR or an unexpected answer), CCG_ERR_IO;
 * CCG_ERR_INVALID_ARG ("channel.session.root") without a root or with
 * both root_file and root_pem. Free with ccg_session_free.
 */
CCG_API CCG_MUST_USE enum ccg_status ccg_session_open(const struct ccg_session_opts *opts, struct ccg_session **out,
						      struct ccg_error *err);
/* ccg_session_id: the SPDM session id (ReqSessionID | RspSessionID << 16). */
CCG_API uint32_t ccg_session_id(const struct ccg_session *s);
/* ccg_session_heartbeat: HEARTBEAT / HEARTBEAT_ACK inside the session. */
CCG_API CCG_MUST_USE enum ccg_status ccg_session_heartbeat(struct ccg_session *s, struct ccg_error *err);
/* ccg_session_key_update: KEY_UPDATE (UpdateKey, or UpdateAllKeys when all) then VerifyNewKey. */
CCG_API CCG_MUST_USE enum ccg_status ccg_session_key_update(struct ccg_session *s, bool all, struct ccg_error *err);
/* ccg_session_end: END_SESSION; the session's keys are wiped. ccg_session_free still needed. */
CCG_API CCG_MUST_USE enum ccg_status ccg_session_end(struct ccg_session *s, struct ccg_error *err);
/* ccg_session_free: closes the connection and wipes the keys; NULL is allowed. Close channels first. */
CCG_API void ccg_session_free(struct ccg_session *s);

/*
 * The ranges of struct ccg_channel_opts. ccg_channel_open refuses a value
 * outside them with CCG_ERR_INVALID_ARG, err->where naming the option
 * ("channel.slot_size") and err->detail the value and the allowed range.
 */
#define CCG_CHANNEL_MIN_SLOTS 2u
#define CCG_CHANNEL_MAX_SLOTS 1024u
#define CCG_CHANNEL_MIN_SLOT_SIZE 256u
#define CCG_CHANNEL_MAX_SLOT_SIZE (16u << 20)
#define CCG_CHANNEL_SLOT_ALIGN 64u /* slot_size is a multiple of this */
#define CCG_CHANNEL_MAX_THREADS 16u
#define CCG_CHANNEL_MAX_USAGE_LIMIT (1ull << 48) /* limit_msgs, limit_blocks: 1..this */
#define CCG_CHANNEL_MAX_DEVICE_MEMORY (1ull << 30)

struct ccg_channel_opts {
	uint32_t slots;         /* ring slots per direction, CCG_CHANNEL_MIN_SLOTS..MAX_SLOTS; 0: 64 */
	uint32_t slot_size;     /* bytes per slot (largest message, bulk chunk size), CCG_CHANNEL_MIN_SLOT_SIZE..
				      MAX_SLOT_SIZE, a multiple of CCG_CHANNEL_SLOT_ALIGN; 0: 256 KiB */
	unsigned threads;       /* sealing threads for ccg_channel_write, 1..CCG_CHANNEL_MAX_THREADS; 0: 1 */
	uint64_t rotate_msgs;   /* rotate a key after this many messages; 0: default (limit_msgs / 2) */
	uint64_t rotate_blocks; /* ... or 16-byte blocks; 0: default (limit_blocks / 2) */
	uint64_t limit_msgs;    /* hard per-key usage limit, 1..CCG_CHANNEL_MAX_USAGE_LIMIT; 0: 2^32 */
	uint64_t limit_blocks;  /* 1..CCG_CHANNEL_MAX_USAGE_LIMIT; 0: 2^36 */
	bool no_rotation;       /* never rotate: the hard limit ends the channel (CCG_ERR_KEY_EXHAUSTED) */
	uint32_t window;        /* messages accepted under a key past its rotation point, at least slots;
				      0: slots. rotate_msgs + window must stay within limit_msgs (blocks alike) */
	uint64_t device_memory; /* bytes of device memory to use, 1..CCG_CHANNEL_MAX_DEVICE_MEMORY; 0: 64 MiB */
};

struct ccg_channel_stats {
	uint64_t bytes_sent, bytes_received; /* plaintext payload bytes */
	uint64_t msgs_sent, msgs_received;   /* sealed / opened slots */
	uint64_t rotations_sent, rotations_received;
	uint64_t rejects; /* slots refused by this end */
};

/*
 * ccg_channel_open: opens a data channel over an established session:
 * shared bounce buffers (memfd, passed to the device with SCM_RIGHTS),
 * per-direction keys derived from the session's export master secret.
 * opts may be NULL. One channel per session at a time. Free with
 * ccg_channel_free.
 */
CCG_API CCG_MUST_USE enum ccg_status ccg_channel_open(struct ccg_session *s, const struct ccg_channel_opts *opts,
						      struct ccg_channel **out, struct ccg_error *err);
/* ccg_channel_send: one message (at most slot_size bytes) to the device; the device answers each with an echo. */
CCG_API CCG_MUST_USE enum ccg_status ccg_channel_send(struct ccg_channel *ch, const void *data, size_t len,
						      struct ccg_error *err);
/*
 * ccg_channel_recv: the next message from the device into buf (cap bytes),
 * its length in *out_len. Every refused message is a distinct error (see
 * docs/channel.md): CCG_ERR_REPLAY, CCG_ERR_REORDER, CCG_ERR_DROPPED,
 * CCG_ERR_WRONG_DIRECTION, CCG_ERR_STALE_KEY, CCG_ERR_KEY_EXHAUSTED,
 * CCG_ERR_DESCRIPTOR (a slot's descriptor altered, its GCM tag included),
 * CCG_ERR_MAC (the ciphertext altered); a refusal by the device comes back
 * as the device's status.
 * After any refusal the channel is dead (CCG_ERR_CHANNEL_CLOSED).
 */
CCG_API CCG_MUST_USE enum ccg_status ccg_channel_recv(struct ccg_channel *ch, void *buf, size_t cap, size_t *out_len,
						      struct ccg_error *err);
/* ccg_channel_write: len bytes into device memory at offset, in sealed chunks (worker threads, batched doorbells). */
CCG_API CCG_MUST_USE enum ccg_status ccg_channel_write(struct ccg_channel *ch, uint64_t offset, const void *data,
						       size_t len, struct ccg_error *err);
/* ccg_channel_read: len bytes of device memory at offset into buf. */
CCG_API CCG_MUST_USE enum ccg_status ccg_channel_read(struct ccg_channel *ch, uint64_t offset, void *buf, size_t len,
						      struct ccg_error *err);
/*
 * ccg_channel_run (branch inference, issue 15): has the device compute over
 * its memory: cmd (at most slot_size bytes) is a compute command in the
 * format of docs/gpusim-transport.md ("Compute": an int8 MLP whose weights
 * were written with ccg_channel_write), sealed to the device like any
 * message; the device's result (sealed back) is opened into out (cap bytes),
 * its length in *out_len. Errors: those of ccg_channel_send/recv; a command
 * the device refuses comes back as the device's status (CCG_ERR_MALFORMED,
 * CCG_ERR_TRUNCATED, CCG_ERR_TRAILING_DATA, CCG_ERR_TOO_LARGE,
 * CCG_ERR_UNSUPPORTED) and, as every refusal, ends the channel. Not
 * thread-safe: one caller at a time per channel, with no ccg_channel_recv
 * pending.
 */
CCG_API CCG_MUST_USE enum ccg_status ccg_channel_run(struct ccg_channel *ch, const void *cmd, size_t cmd_len, void *out,
						     size_t cap, size_t *out_len, struct ccg_error *err);
/* ccg_channel_stats: counters so far. */
CCG_API void ccg_channel_stats(const struct ccg_channel *ch, struct ccg_channel_stats *out);
/* ccg_channel_free: tells the device to close the channel, unmaps and wipes; NULL is allowed. */
CCG_API void ccg_channel_free(struct ccg_channel *ch);

/* ---- branch api12 (issue 12 item 9) ---- */
/*
 * ccg_session_end_quiet: ccg_session_end for a caller with nothing to do on
 * failure (the keys are wiped either way); returns nothing, so it needs no
 * CCG_IGNORE. ccg_session_free still needed; NULL is allowed.
 */
CCG_API void ccg_session_end_quiet(struct ccg_session *s);

#ifdef __cplusplus
}
#endif
#endif
