/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The channel data path both ends share (the guest in channel/, the device
 * in gpusim): bounce-buffer rings in one shared memory file (memfd), each
 * slot a descriptor (length, op, key epoch, counter, argument, GCM tag) and
 * a data area; AES-256-GCM with IV = per-key salt XOR the 64-bit counter and
 * AAD = channel id || direction || op || epoch || counter || argument ||
 * length; per-direction keys from the SPDM export master secret; key
 * rotation before the usage limit; distinct errors for replay, reorder,
 * drop, wrong direction, stale key and exhaustion. Layout: docs/channel.md.
 *
 * A dp_tx / dp_rx is owned by one thread; dp_seal_slot may run on several
 * threads at once for different slots of one reserved batch.
 */
#ifndef CCGPU_WIRE_DP_H
#define CCGPU_WIRE_DP_H

#include <openssl/evp.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ccgpu/channel.h"
#include "ccgpu/status.h"
#include "common/buf.h"
#include "common/cursor.h"
#include "common/secret.h"
#include "common/writer.h"

#define DP_DESC_LEN 64
#define DP_CTL_LEN 256
/* the ranges are the public ones of struct ccg_channel_opts (ccgpu/channel.h) */
#define DP_MIN_SLOTS CCG_CHANNEL_MIN_SLOTS
#define DP_MAX_SLOTS CCG_CHANNEL_MAX_SLOTS
#define DP_MIN_SLOT_SIZE CCG_CHANNEL_MIN_SLOT_SIZE
#define DP_MAX_SLOT_SIZE CCG_CHANNEL_MAX_SLOT_SIZE
#define DP_MAX_DEV_MEM CCG_CHANNEL_MAX_DEVICE_MEMORY
#define DP_PARAMS_LEN 64
#define DP_TAG_LEN 16
#define DP_DMAC_OFF 48 /* the descriptor's GMAC over its first 48 bytes */
/* how long a waiting end polls before it sleeps on the futex: a sleeping vCPU can take
 * hundreds of microseconds to wake, far longer than a slot takes to seal */
#define DP_SPIN_NS 300000

enum dp_dir { DP_H2D = 0, DP_D2H = 1 };

enum dp_op {
	DP_OP_MSG = 1,   /* a message (the device echoes it back) */
	DP_OP_WRITE = 2, /* bulk chunk into device memory at arg */
	DP_OP_READ = 3,  /* request: payload u64 LE offset || u64 LE length */
	DP_OP_DATA = 4,  /* bulk chunk from device memory at arg (device -> host) */
	DP_OP_ERROR = 5, /* the device refused: payload u32 LE ccg_status; the channel is dead */
	/* branch inference (issue 15): compute on the device over its memory (gpusim/compute.h) */
	DP_OP_RUN = 6,    /* request: a compute command (docs/gpusim-transport.md, "Compute") */
	DP_OP_RESULT = 7, /* its result (device -> host) */
};

/* what both ends agree on at CHANNEL_OPEN (encoded in DP_PARAMS_LEN bytes, little-endian) */
struct dp_params {
	uint32_t channel_id;
	uint32_t slots;         /* per direction, DP_MIN_SLOTS..DP_MAX_SLOTS */
	uint32_t slot_size;     /* bytes of data per slot, multiple of 64 */
	uint32_t window;        /* messages a sender may go on past a due rotation (>= slots) */
	uint64_t rotate_msgs;   /* rotate after this many messages under one key (0: never rotate) */
	uint64_t rotate_blocks; /* ... or this many 16-byte blocks (0: never rotate) */
	uint64_t limit_msgs;    /* hard AEAD usage limit per key */
	uint64_t limit_blocks;
	uint64_t dev_mem; /* device memory the device end allocates */
};

void dp_params_defaults(struct dp_params *p);
/* dp_params_check: sizes in range, soft limits + window below hard limits. */
CCG_MUST_USE enum ccg_status dp_params_check(const struct dp_params *p, struct ccg_error *err);
CCG_MUST_USE enum ccg_status dp_params_encode(const struct dp_params *p, uint8_t out[DP_PARAMS_LEN]);
CCG_MUST_USE enum ccg_status dp_params_decode(const uint8_t *in, size_t len, struct dp_params *out,
					      struct ccg_error *err);
/* dp_shm_size: bytes of the shared file for p (both rings). */
size_t dp_shm_size(const struct dp_params *p);
/* dp_msg_blocks: the 16-byte blocks a message of len bytes costs a key (ciphertext + the tag block). */
static inline uint64_t dp_msg_blocks(size_t len)
{
	return (uint64_t)(len + 15) / 16 + 1;
}

/*
 * Channel control. CHANNEL_OPEN and CHANNEL_CLOSE travel inside the SPDM
 * session (DSP0277 records, so authenticated, encrypted and never replayed)
 * as DSP0274 VENDOR_DEFINED_REQUEST / VENDOR_DEFINED_RESPONSE messages:
 * SPDMVersion 0x12, code 0xFE / 0x7E, Param1 = Param2 = 0, StandardID u16 LE
 * = 4 (IANA), Len = 4, VendorID = 4 zero bytes (ccgpu holds no Private
 * Enterprise Number; both ends refuse any other), ReqLength / RespLength
 * u16 LE, then the payload:
 *   request:  op u8 | 3 reserved (0) | value u32 LE (OPEN: the session's open
 *             counter; CLOSE: the channel id) | OPEN only: params (64) | random (32)
 *   response: op u8 | 3 reserved (0) | status u32 LE (a ccg_status, 0 = done) |
 *             OPEN done: random (32) | refused: UTF-8 text (at most 256 bytes)
 * The bounce-buffer memfd rides along the OPEN record's frame (SCM_RIGHTS).
 */
#define DP_CTL_OPEN 1
#define DP_CTL_CLOSE 2
#define DP_RANDOM_LEN 32
#define DP_CTL_MAX_TEXT 256
#define DP_VENDOR_STANDARD_IANA 4

struct dp_ctl {
	uint8_t op;                    /* DP_CTL_OPEN, DP_CTL_CLOSE */
	uint32_t value;                /* request: open counter / channel id; response: ccg_status */
	uint8_t params[DP_PARAMS_LEN]; /* OPEN request */
	uint8_t random[DP_RANDOM_LEN]; /* OPEN request, OPEN response when done */
	struct ccg_cursor text;        /* a refusal's text (borrows from the parsed message) */
};

/* dp_ctl_encode: appends the SPDM message of c (a response when response) to out; text: a refusal's reason. */
CCG_MUST_USE enum ccg_status dp_ctl_encode(bool response, const struct dp_ctl *c, const char *text,
					   struct ccg_buf *out);
/*
 * dp_ctl_parse: parses a whole control message (a response when response);
 * every field checked, nothing left over. Errors name "channel.control.*":
 * CCG_ERR_TRUNCATED, CCG_ERR_TRAILING_DATA, CCG_ERR_MALFORMED (another SPDM
 * code, vendor or op, non-zero reserved bytes), CCG_ERR_TOO_LARGE (text).
 */
CCG_MUST_USE enum ccg_status dp_ctl_parse(const uint8_t *msg, size_t len, bool response, struct dp_ctl *out,
					  struct ccg_error *err);
/*
 * dp_channel_secret: the secret one channel open keys the channel with:
 * HKDF-Expand(export master secret, BinConcat(48, "ccgpu channel",
 * SHA-384(OPEN request || OPEN response))). The messages carry both ends'
 * fresh random values, the parameters (channel id) and the session's open
 * counter, so no two opens of a session share a secret.
 */
CCG_MUST_USE enum ccg_status dp_channel_secret(const uint8_t export_secret[48], const uint8_t *req, size_t req_len,
					       const uint8_t *rsp, size_t rsp_len, uint8_t out[48]);

/* one direction's ring inside the shared mapping */
struct dp_ring {
	int64_t spin_ns;     /* how long a waiting end polls before it sleeps (dp_ring_map: DP_SPIN_NS) */
	uint32_t *head;      /* producer index (monotonic, mod 2^32) */
	uint32_t *tail;      /* consumer index */
	uint32_t *cons_wait; /* consumers sleeping on head */
	uint32_t *prod_wait; /* producers sleeping on tail */
	uint8_t *desc;       /* slots * DP_DESC_LEN */
	uint8_t *data;       /* slots * slot_size */
	uint32_t slots, slot_size;
};

void dp_ring_map(uint8_t *shm, const struct dp_params *p, enum dp_dir dir, struct dp_ring *out);

/*
 * Doorbells (the rings' indices, the sealing pool's batches): a waiter polls
 * *word for spin_ns, then sleeps on a futex; *waiters counts the sleepers so
 * that a waker only makes a system call when someone sleeps (Dekker-style,
 * sequentially consistent). dp_wait_change returns once *word != seen
 * (*now_val its value), CCG_ERR_TIMEOUT after timeout_ms (< 0: none), or
 * CCG_ERR_CHANNEL_CLOSED once *stop is set. dp_wake: after changing *word.
 */
CCG_MUST_USE enum ccg_status dp_wait_change(uint32_t *word, uint32_t *waiters, uint32_t seen, int64_t spin_ns,
					    int timeout_ms, const volatile int *stop, uint32_t *now_val);
void dp_wake(uint32_t *word, uint32_t *waiters);

/* one direction's key state: the data key and, for the descriptors, a GMAC key */
#define DP_KEYS_LEN (48 + 32 + 12 + 32 + 12)
struct dp_keys {
	struct ccg_secret *s; /* secret[48] || key[32] || salt[12] || desc key[32] || desc salt[12] */
	uint32_t epoch;
	uint64_t used_msgs, used_blocks;
};

/* dp_keys_init: secret = HKDF-Expand(chan_secret (dp_channel_secret), "ccgpu h2d data" | "ccgpu d2h data", id). */
CCG_MUST_USE enum ccg_status dp_keys_init(struct dp_keys *k, const uint8_t chan_secret[48], uint32_t channel_id,
					  enum dp_dir dir);
/* dp_keys_rotate: secret = HKDF-Expand(secret, "ccgpu key upd"), new keys and salts, epoch + 1, counts 0. */
CCG_MUST_USE enum ccg_status dp_keys_rotate(struct dp_keys *k);
void dp_keys_cleanup(struct dp_keys *k);
static inline const uint8_t *dp_keys_key(const struct dp_keys *k)
{
	return k->s->data + 48;
}

/*
 * Nothing is encrypted, decrypted or authenticated in place in the shared
 * slots: the payload goes through a private buffer of DP_PIECE bytes (small
 * enough to stay in the first-level cache), copied once out of the slot
 * before it is opened and once into the slot after it is sealed.
 */
#define DP_PIECE (16u * 1024u)

/* cipher contexts bound to one key epoch (each sealing thread has its own) */
struct dp_aead {
	EVP_CIPHER_CTX *ctx;  /* AES-256-GCM of the payload */
	EVP_CIPHER_CTX *dctx; /* GMAC of the descriptor */
	uint8_t *piece;       /* DP_PIECE bytes of private memory the cipher reads and writes */
	uint32_t epoch;
	bool keyed;
};

CCG_MUST_USE enum ccg_status dp_aead_init(struct dp_aead *a);
void dp_aead_cleanup(struct dp_aead *a);

struct dp_tx {
	struct dp_ring r;
	const struct dp_params *p;
	enum dp_dir dir;
	struct dp_keys k;
	struct dp_aead aead; /* for dp_tx_send */
	uint32_t head;       /* local copy of the published head */
	uint64_t counter;    /* next message counter */
	uint64_t rotations;
};

/* a message assigned to a slot of a reserved batch */
struct dp_job {
	uint32_t slot;
	uint8_t op;
	uint32_t epoch;
	uint64_t counter, arg;
	const uint8_t *src; /* plaintext */
	uint32_t len;
};

struct dp_rx {
	struct dp_ring r;
	const struct dp_params *p;
	enum dp_dir dir;
	struct dp_keys k;
	struct dp_aead aead;
	uint32_t tail;     /* local consumer index (published in batches) */
	uint64_t expected; /* the receiver's own counter */
	bool snap_valid;   /* dp_rx_peek took the snapshot dp_rx_open will use */
	uint8_t snap[DP_DESC_LEN];
	uint64_t rotations, rejects;
};

CCG_MUST_USE enum ccg_status dp_tx_init(struct dp_tx *t, uint8_t *shm, const struct dp_params *p, enum dp_dir dir,
					const uint8_t chan_secret[48]);
void dp_tx_cleanup(struct dp_tx *t);
CCG_MUST_USE enum ccg_status dp_rx_init(struct dp_rx *r, uint8_t *shm, const struct dp_params *p, enum dp_dir dir,
					const uint8_t chan_secret[48]);
void dp_rx_cleanup(struct dp_rx *r);

/*
 * dp_tx_reserve: waits (spin, then futex) until a slot is free, up to
 * timeout_ms (CCG_ERR_TIMEOUT) or while *stop is 0 (NULL: no stop flag);
 * *n_out becomes the free slots, at most want.
 */
CCG_MUST_USE enum ccg_status dp_tx_reserve(struct dp_tx *t, uint32_t want, uint32_t *n_out, int timeout_ms,
					   const volatile int *stop);
/*
 * dp_tx_begin_batch: rotates the key when the rotation is due (keys change
 * only between batches: a batch's messages are in flight under one key).
 */
CCG_MUST_USE enum ccg_status dp_tx_begin_batch(struct dp_tx *t);
/*
 * dp_tx_assign: job i of the batch (slot head + i): counter, epoch; counts
 * the key's use. Past the hard limit: CCG_ERR_KEY_EXHAUSTED.
 */
CCG_MUST_USE enum ccg_status dp_tx_assign(struct dp_tx *t, uint32_t i, uint8_t op, uint64_t arg, const uint8_t *src,
					  uint32_t len, struct dp_job *job);
/*
 * dp_seal_slot: seals job into its slot (ciphertext through a's private
 * piece into the bounce buffer; the descriptor with the payload's GCM tag,
 * then the descriptor's own GMAC); thread-safe per slot.
 */
CCG_MUST_USE enum ccg_status dp_seal_slot(const struct dp_tx *t, struct dp_aead *a, const struct dp_job *job);
/* dp_tx_publish: makes n sealed slots visible to the consumer (one doorbell). */
void dp_tx_publish(struct dp_tx *t, uint32_t n);
/* dp_tx_send: reserve + assign + seal + publish of one message. */
CCG_MUST_USE enum ccg_status dp_tx_send(struct dp_tx *t, uint8_t op, uint64_t arg, const uint8_t *src, uint32_t len,
					int timeout_ms, const volatile int *stop);

/* dp_rx_poll: without waiting, *n_out = the slots ready (slots consumed are not handed back). */
CCG_MUST_USE enum ccg_status dp_rx_poll(struct dp_rx *r, uint32_t *n_out);
/* dp_rx_wait: waits for a published slot (as dp_tx_reserve); *n_out the slots ready. */
CCG_MUST_USE enum ccg_status dp_rx_wait(struct dp_rx *r, uint32_t *n_out, int timeout_ms, const volatile int *stop);
/*
 * dp_rx_peek: the next descriptor's op, arg and length, as claimed
 * (unauthenticated until dp_rx_open succeeds). It takes the one snapshot of
 * the shared descriptor that the following dp_rx_open checks and decrypts
 * with, so what the caller decided on (say, where in device memory to
 * write) is what gets authenticated, however the shared bytes change.
 */
void dp_rx_peek(struct dp_rx *r, uint8_t *op, uint64_t *arg, uint32_t *len);
/*
 * dp_rx_open: authenticates and decrypts the next slot into dst (cap bytes,
 * private memory) with the receiver's own counter; the ciphertext is read
 * once, piece by piece, into private memory, and only that copy is
 * authenticated and decrypted. Errors (nothing consumed; dst wiped):
 * CCG_ERR_WRONG_DIRECTION, CCG_ERR_REPLAY (counter below the expected one),
 * CCG_ERR_REORDER (the expected one waits in a later slot), CCG_ERR_DROPPED
 * (it is nowhere), CCG_ERR_STALE_KEY (an old epoch, or the current one past
 * its rotation point + window), CCG_ERR_KEY_EXHAUSTED (past the hard limit),
 * CCG_ERR_DESCRIPTOR (the descriptor's GMAC fails: its tag, length, op,
 * argument or epoch altered), CCG_ERR_MAC (the descriptor is authentic but
 * the payload's tag fails: the ciphertext was altered), CCG_ERR_MALFORMED /
 * CCG_ERR_TOO_LARGE (descriptor fields).
 *
 * dst NULL: the descriptor is authenticated and counted but the payload is
 * left sealed in the slot (gpusim's copy-engine model, where a GPU's copy
 * engine and not a host CPU would open it; see gpusim_set_copy_engine).
 */
CCG_MUST_USE enum ccg_status dp_rx_open(struct dp_rx *r, uint8_t *dst, size_t cap, uint8_t *op, uint64_t *arg,
					uint32_t *len, struct ccg_error *err);
/* dp_rx_release: hands consumed slots back to the producer (one doorbell). */
void dp_rx_release(struct dp_rx *r);

/* raw access for tests (attacks on the shared memory) */
static inline uint8_t *dp_ring_desc(const struct dp_ring *r, uint32_t idx)
{
	return r->desc + (size_t)(idx % r->slots) * DP_DESC_LEN;
}
static inline uint8_t *dp_ring_data(const struct dp_ring *r, uint32_t idx)
{
	return r->data + (size_t)(idx % r->slots) * r->slot_size;
}

#endif
