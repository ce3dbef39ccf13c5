/* SPDX-License-Identifier: Apache-2.0 */
#include "wire/dp.h"

#include <errno.h>
#include <limits.h>
#include <linux/futex.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "common/crypto.h"
#include "common/cursor.h"
#include "common/error.h"
#include "wire/spdm_crypto.h"

#define AAD_LEN 30

void dp_params_defaults(struct dp_params *p)
{
	memset(p, 0, sizeof(*p));
	p->channel_id = 1;
	p->slots = 64;
	p->slot_size = 256 * 1024;
	p->window = 64;
	p->limit_msgs = 1ull << 32;
	p->limit_blocks = 1ull << 36; /* 1 TiB under one key */
	p->rotate_msgs = p->limit_msgs / 2;
	p->rotate_blocks = p->limit_blocks / 2;
	p->dev_mem = 64u << 20;
}

enum ccg_status dp_params_check(const struct dp_params *p, struct ccg_error *err)
{
	uint64_t wblocks = (uint64_t)p->window * dp_msg_blocks(p->slot_size);

	if (p->slots < DP_MIN_SLOTS || p->slots > DP_MAX_SLOTS)
		return ccg_error_set(err, CCG_ERR_INVALID_ARG, "channel.slots",
				     "%u is outside CCG_CHANNEL_MIN_SLOTS..MAX_SLOTS (%u..%u)", p->slots, DP_MIN_SLOTS,
				     DP_MAX_SLOTS);
	if (p->slot_size < DP_MIN_SLOT_SIZE || p->slot_size > DP_MAX_SLOT_SIZE)
		return ccg_error_set(err, CCG_ERR_INVALID_ARG, "channel.slot_size",
				     "%u is outside CCG_CHANNEL_MIN_SLOT_SIZE..MAX_SLOT_SIZE (%u..%u)", p->slot_size,
				     DP_MIN_SLOT_SIZE, DP_MAX_SLOT_SIZE);
	if (p->slot_size % CCG_CHANNEL_SLOT_ALIGN != 0)
		return ccg_error_set(err, CCG_ERR_INVALID_ARG, "channel.slot_size",
				     "%u is not a multiple of CCG_CHANNEL_SLOT_ALIGN (%u)", p->slot_size,
				     CCG_CHANNEL_SLOT_ALIGN);
	if (p->window < p->slots)
		return ccg_error_set(err, CCG_ERR_INVALID_ARG, "channel.window", "%u is below the %u slots", p->window,
				     p->slots);
	if (p->limit_msgs == 0 || p->limit_msgs > CCG_CHANNEL_MAX_USAGE_LIMIT)
		return ccg_error_set(err, CCG_ERR_INVALID_ARG, "channel.limit_msgs",
				     "%llu is outside 1..CCG_CHANNEL_MAX_USAGE_LIMIT (%llu)",
				     (unsigned long long)p->limit_msgs, CCG_CHANNEL_MAX_USAGE_LIMIT);
	if (p->limit_blocks == 0 || p->limit_blocks > CCG_CHANNEL_MAX_USAGE_LIMIT)
		return ccg_error_set(err, CCG_ERR_INVALID_ARG, "channel.limit_blocks",
				     "%llu is outside 1..CCG_CHANNEL_MAX_USAGE_LIMIT (%llu)",
				     (unsigned long long)p->limit_blocks, CCG_CHANNEL_MAX_USAGE_LIMIT);
	if ((p->rotate_msgs == 0) != (p->rotate_blocks == 0))
		return ccg_error_set(err, CCG_ERR_INVALID_ARG, "channel.rotate", "both limits or neither");
	if (p->rotate_msgs != 0 &&
	    (p->rotate_msgs + p->window > p->limit_msgs || p->rotate_blocks + wblocks > p->limit_blocks))
		return ccg_error_set(err, CCG_ERR_INVALID_ARG, "channel.rotate",
				     "rotation point + window must stay below the hard limit");
	if (p->dev_mem == 0 || p->dev_mem > DP_MAX_DEV_MEM)
		return ccg_error_set(err, CCG_ERR_INVALID_ARG, "channel.device_memory",
				     "%llu bytes is outside 1..CCG_CHANNEL_MAX_DEVICE_MEMORY (%llu)",
				     (unsigned long long)p->dev_mem, DP_MAX_DEV_MEM);
	return CCG_OK;
}

enum ccg_status dp_params_encode(const struct dp_params *p, uint8_t out[DP_PARAMS_LEN])
{
	struct ccg_writer w;

	ccg_writer_init_fixed(&w, out, DP_PARAMS_LEN);
	if (ccg_writer_put_u32le(&w, p->channel_id) && ccg_writer_put_u32le(&w, p->slots) &&
	    ccg_writer_put_u32le(&w, p->slot_size) && ccg_writer_put_u32le(&w, p->window) &&
	    ccg_writer_put_u64le(&w, p->rotate_msgs) && ccg_writer_put_u64le(&w, p->rotate_blocks) &&
	    ccg_writer_put_u64le(&w, p->limit_msgs) && ccg_writer_put_u64le(&w, p->limit_blocks) &&
	    ccg_writer_put_u64le(&w, p->dev_mem) && ccg_writer_put_zeros(&w, DP_PARAMS_LEN - w.len))
		return CCG_OK;
	return w.failed;
}

enum ccg_status dp_params_decode(const uint8_t *in, size_t len, struct dp_params *out, struct ccg_error *err)
{
	struct ccg_cursor c;
	uint64_t reserved = 0;
	enum ccg_status st;

	ccg_cursor_init(&c, in, len);
	if (!ccg_cursor_get_u32le(&c, &out->channel_id) || !ccg_cursor_get_u32le(&c, &out->slots) ||
	    !ccg_cursor_get_u32le(&c, &out->slot_size) || !ccg_cursor_get_u32le(&c, &out->window) ||
	    !ccg_cursor_get_u64le(&c, &out->rotate_msgs) || !ccg_cursor_get_u64le(&c, &out->rotate_blocks) ||
	    !ccg_cursor_get_u64le(&c, &out->limit_msgs) || !ccg_cursor_get_u64le(&c, &out->limit_blocks) ||
	    !ccg_cursor_get_u64le(&c, &out->dev_mem) || !ccg_cursor_get_u64le(&c, &reserved))
		return ccg_error_set(err, CCG_ERR_TRUNCATED, "channel.params", "need %d bytes", DP_PARAMS_LEN);
	if ((st = ccg_cursor_finish(&c, "channel.params", err)) != CCG_OK)
		return st;
	if (reserved != 0)
		return ccg_error_set(err, CCG_ERR_MALFORMED, "channel.params.reserved", "not zero");
	return dp_params_check(out, err);
}

size_t dp_shm_size(const struct dp_params *p)
{
	return 2 * (DP_CTL_LEN + (size_t)p->slots * DP_DESC_LEN + (size_t)p->slots * p->slot_size);
}

void dp_ring_map(uint8_t *shm, const struct dp_params *p, enum dp_dir dir, struct dp_ring *out)
{
	uint8_t *ctl = shm + (size_t)dir * DP_CTL_LEN;
	size_t descs = (size_t)p->slots * DP_DESC_LEN, data = (size_t)p->slots * p->slot_size;

	out->head = (uint32_t *)(void *)ctl;
	out->tail = (uint32_t *)(void *)(ctl + 64);
	out->cons_wait = (uint32_t *)(void *)(ctl + 128);
	out->prod_wait = (uint32_t *)(void *)(ctl + 192);
	out->desc = shm + 2 * DP_CTL_LEN + (size_t)dir * descs;
	out->data = shm + 2 * DP_CTL_LEN + 2 * descs + (size_t)dir * data;
	out->slots = p->slots;
	out->slot_size = p->slot_size;
	out->spin_ns = DP_SPIN_NS;
}

/* ---------- channel control (inside the SPDM session) ---------- */

static const uint8_t vendor_id[4] = {0, 0, 0, 0};

enum ccg_status dp_ctl_encode(bool response, const struct dp_ctl *c, const char *text, struct ccg_buf *out)
{
	size_t tlen = text != NULL ? strnlen(text, DP_CTL_MAX_TEXT) : 0;
	size_t plen = 8;
	enum ccg_status st;

	if (c->op == DP_CTL_OPEN && !response)
		plen += DP_PARAMS_LEN + DP_RANDOM_LEN;
	else if (c->op == DP_CTL_OPEN && c->value == 0)
		plen += DP_RANDOM_LEN;
	else if (response && c->value != 0)
		plen += tlen;
	if ((st = ccg_buf_append_u8(out, SPDM_V12)) != CCG_OK ||
	    (st = ccg_buf_append_u8(out, response ? SPDM_VENDOR_DEFINED_RESPONSE : SPDM_VENDOR_DEFINED_REQUEST)) !=
		    CCG_OK ||
	    (st = ccg_buf_append_u16le(out, 0)) != CCG_OK ||
	    (st = ccg_buf_append_u16le(out, DP_VENDOR_STANDARD_IANA)) != CCG_OK ||
	    (st = ccg_buf_append_u8(out, sizeof(vendor_id))) != CCG_OK ||
	    (st = ccg_buf_append(out, vendor_id, sizeof(vendor_id))) != CCG_OK ||
	    (st = ccg_buf_append_u16le(out, (uint16_t)plen)) != CCG_OK ||
	    (st = ccg_buf_append_u8(out, c->op)) != CCG_OK || (st = ccg_buf_append_u24le(out, 0)) != CCG_OK ||
	    (st = ccg_buf_append_u32le(out, c->value)) != CCG_OK)
		return st;
	if (c->op == DP_CTL_OPEN && !response)
		return (st = ccg_buf_append(out, c->params, DP_PARAMS_LEN)) != CCG_OK
			       ? st
			       : ccg_buf_append(out, c->random, DP_RANDOM_LEN);
	if (c->op == DP_CTL_OPEN && c->value == 0)
		return ccg_buf_append(out, c->random, DP_RANDOM_LEN);
	if (response && c->value != 0 && tlen > 0)
		return ccg_buf_append(out, text, tlen);
	return CCG_OK;
}

enum ccg_status dp_ctl_parse(const uint8_t *msg, size_t len, bool response, struct dp_ctl *out, struct ccg_error *err)
{
	struct ccg_cursor c, vid, pl;
	uint8_t v = 0, code = 0, p1 = 0, p2 = 0, vlen = 0, r8 = 0;
	uint16_t std = 0, plen = 0, r16 = 0;
	enum ccg_status st;

	memset(out, 0, sizeof(*out));
	ccg_cursor_init(&c, msg, len);
	if (!ccg_cursor_get_u8(&c, &v) || !ccg_cursor_get_u8(&c, &code) || !ccg_cursor_get_u8(&c, &p1) ||
	    !ccg_cursor_get_u8(&c, &p2) || !ccg_cursor_get_u16le(&c, &std) || !ccg_cursor_get_u8(&c, &vlen) ||
	    !ccg_cursor_get_bytes(&c, &vid, vlen) || !ccg_cursor_get_u16le(&c, &plen) ||
	    !ccg_cursor_get_bytes(&c, &pl, plen))
		return ccg_error_set(err, CCG_ERR_TRUNCATED, "channel.control", "%zu bytes", len);
	if ((st = ccg_cursor_finish(&c, "channel.control", err)) != CCG_OK)
		return st;
	if (v != SPDM_V12 || code != (response ? SPDM_VENDOR_DEFINED_RESPONSE : SPDM_VENDOR_DEFINED_REQUEST) ||
	    p1 != 0 || p2 != 0)
		return ccg_error_set(err, CCG_ERR_MALFORMED, "channel.control.header", "version 0x%02x code 0x%02x", v,
				     code);
	if (std != DP_VENDOR_STANDARD_IANA || vlen != sizeof(vendor_id) ||
	    CRYPTO_memcmp(vid.data, vendor_id, sizeof(vendor_id)) != 0)
		return ccg_error_set(err, CCG_ERR_MALFORMED, "channel.control.vendor",
				     "StandardID %u, %u-byte VendorID", std, vlen);
	if (!ccg_cursor_get_u8(&pl, &out->op) || !ccg_cursor_get_u8(&pl, &r8) || !ccg_cursor_get_u16le(&pl, &r16) ||
	    !ccg_cursor_get_u32le(&pl, &out->value))
		return ccg_error_set(err, CCG_ERR_TRUNCATED, "channel.control.payload", "%u bytes", plen);
	if (r8 != 0 || r16 != 0)
		return ccg_error_set(err, CCG_ERR_MALFORMED, "channel.control.reserved", "not zero");
	if (out->op != DP_CTL_OPEN && out->op != DP_CTL_CLOSE)
		return ccg_error_set(err, CCG_ERR_MALFORMED, "channel.control.op", "op %u", out->op);
	if (out->op == DP_CTL_OPEN && !response &&
	    (!ccg_cursor_copy_bytes(&pl, out->params, DP_PARAMS_LEN) ||
	     !ccg_cursor_copy_bytes(&pl, out->random, DP_RANDOM_LEN)))
		return ccg_error_set(err, CCG_ERR_TRUNCATED, "channel.control.open", "parameters and random");
	if (out->op == DP_CTL_OPEN && response && out->value == 0 &&
	    !ccg_cursor_copy_bytes(&pl, out->random, DP_RANDOM_LEN))
		return ccg_error_set(err, CCG_ERR_TRUNCATED, "channel.control.open", "random");
	if (response && out->value != 0) {
		if (pl.len > DP_CTL_MAX_TEXT)
			return ccg_error_set(err, CCG_ERR_TOO_LARGE, "channel.control.text", "%zu bytes", pl.len);
		out->text = pl;
		pl.len = 0;
	}
	if (pl.len != 0)
		return ccg_error_set(err, CCG_ERR_TRAILING_DATA, "channel.control.payload", "%zu bytes left", pl.len);
	return CCG_OK;
}

enum ccg_status dp_channel_secret(const uint8_t export_secret[48], const uint8_t *req, size_t req_len,
				  const uint8_t *rsp, size_t rsp_len, uint8_t out[48])
{
	uint8_t th[SPDM_H];
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	unsigned n = 0;
	enum ccg_status st = CCG_ERR_CRYPTO;

	if (md != NULL && EVP_DigestInit_ex(md, EVP_sha384(), NULL) == 1 && EVP_DigestUpdate(md, req, req_len) == 1 &&
	    EVP_DigestUpdate(md, rsp, rsp_len) == 1 && EVP_DigestFinal_ex(md, th, &n) == 1 && n == SPDM_H)
		st = spdm_expand_label(export_secret, "ccgpu channel", th, sizeof(th), out, 48);
	EVP_MD_CTX_free(md);
	ERR_clear_error();
	return st;
}

/* ---------- keys ---------- */

#define K_SECRET(k) ((k)->s->data)
#define K_KEY(k) ((k)->s->data + 48)
#define K_SALT(k) ((k)->s->data + 80)
#define K_DKEY(k) ((k)->s->data + 92)
#define K_DSALT(k) ((k)->s->data + 124)

static enum ccg_status keys_derive(struct dp_keys *k)
{
	enum ccg_status st = spdm_expand_label(K_SECRET(k), "key", NULL, 0, K_KEY(k), 32);

	if (st == CCG_OK)
		st = spdm_expand_label(K_SECRET(k), "iv", NULL, 0, K_SALT(k), 12);
	if (st == CCG_OK)
		st = spdm_expand_label(K_SECRET(k), "desc key", NULL, 0, K_DKEY(k), 32);
	if (st == CCG_OK)
		st = spdm_expand_label(K_SECRET(k), "desc iv", NULL, 0, K_DSALT(k), 12);
	k->used_msgs = k->used_blocks = 0;
	return st;
}

enum ccg_status dp_keys_init(struct dp_keys *k, const uint8_t chan_secret[48], uint32_t channel_id, enum dp_dir dir)
{
	uint8_t ctx[4];
	struct ccg_writer w;
	enum ccg_status st;

	k->epoch = 0;
	ccg_writer_init_fixed(&w, ctx, sizeof(ctx));
	if (!ccg_writer_put_u32le(&w, channel_id))
		return w.failed;
	if ((st = ccg_secret_new(DP_KEYS_LEN, &k->s)) != CCG_OK)
		return st;
	st = spdm_expand_label(chan_secret, dir == DP_H2D ? "ccgpu h2d data" : "ccgpu d2h data", ctx, sizeof(ctx),
			       K_SECRET(k), 48);
	if (st == CCG_OK)
		st = keys_derive(k);
	return st;
}

enum ccg_status dp_keys_rotate(struct dp_keys *k)
{
	uint8_t next[48];
	enum ccg_status st = spdm_expand_label(K_SECRET(k), "ccgpu key upd", NULL, 0, next, sizeof(next));

	if (st == CCG_OK) {
		memcpy(K_SECRET(k), next, sizeof(next));
		st = keys_derive(k);
		k->epoch++;
	}
	OPENSSL_cleanse(next, sizeof(next));
	return st;
}

void dp_keys_cleanup(struct dp_keys *k)
{
	ccg_secret_free(k->s);
	k->s = NULL;
}

enum ccg_status dp_aead_init(struct dp_aead *a)
{
	a->keyed = false;
	a->epoch = 0;
	a->ctx = EVP_CIPHER_CTX_new();
	a->dctx = EVP_CIPHER_CTX_new();
	a->piece = malloc(DP_PIECE);
	return a->ctx != NULL && a->dctx != NULL && a->piece != NULL ? CCG_OK : CCG_ERR_NOMEM;
}

void dp_aead_cleanup(struct dp_aead *a)
{
	EVP_CIPHER_CTX_free(a->ctx);
	EVP_CIPHER_CTX_free(a->dctx);
	free(a->piece);
	a->ctx = a->dctx = NULL;
	a->piece = NULL;
}

/*
 * copy_in: n bytes out of memory the other side can write, into private
 * memory; everything after works on the copy. The compiler barrier keeps the
 * compiler from reading the shared bytes again in place of the copy.
 */
static void copy_in(void *dst, const void *shared, size_t n)
{
	memcpy(dst, shared, n);
	__asm__ __volatile__("" ::: "memory");
}

/* keys a's contexts for k (epoch) unless they hold it already; seal: the payload context encrypts */
static bool aead_key(struct dp_aead *a, const struct dp_keys *k, uint32_t epoch, bool force, bool seal)
{
	if (a->keyed && a->epoch == epoch && !force)
		return true;
	a->keyed = (seal ? EVP_EncryptInit_ex(a->ctx, EVP_aes_256_gcm(), NULL, K_KEY(k), NULL)
			 : EVP_DecryptInit_ex(a->ctx, EVP_aes_256_gcm(), NULL, K_KEY(k), NULL)) == 1 &&
		   EVP_EncryptInit_ex(a->dctx, EVP_aes_256_gcm(), NULL, K_DKEY(k), NULL) == 1;
	a->epoch = epoch;
	return a->keyed;
}

static void make_iv(const uint8_t salt[12], uint64_t counter, uint8_t iv[12])
{
	memcpy(iv, salt, 12);
	for (int i = 0; i < 8; i++)
		iv[i] ^= (uint8_t)(counter >> (8 * i));
}

/* the descriptor's GMAC: AES-256-GCM under the descriptor key, no plaintext, AAD = desc[0..48) */
static bool desc_gmac(struct dp_aead *a, const struct dp_keys *k, uint64_t counter, const uint8_t *desc,
		      uint8_t mac[DP_TAG_LEN])
{
	uint8_t iv[12];
	int n = 0;

	make_iv(K_DSALT(k), counter, iv);
	return EVP_EncryptInit_ex(a->dctx, NULL, NULL, NULL, iv) == 1 &&
	       EVP_EncryptUpdate(a->dctx, NULL, &n, desc, DP_DMAC_OFF) == 1 &&
	       EVP_EncryptFinal_ex(a->dctx, mac, &n) == 1 &&
	       EVP_CIPHER_CTX_ctrl(a->dctx, EVP_CTRL_GCM_GET_TAG, DP_TAG_LEN, mac) == 1;
}

static bool make_aad(uint32_t channel_id, uint8_t dir, uint8_t op, uint32_t epoch, uint64_t counter, uint64_t arg,
		     uint32_t len, uint8_t aad[AAD_LEN])
{
	struct ccg_writer w;

	ccg_writer_init_fixed(&w, aad, AAD_LEN);
	return ccg_writer_put_u32le(&w, channel_id) && ccg_writer_put_u8(&w, dir) && ccg_writer_put_u8(&w, op) &&
	       ccg_writer_put_u32le(&w, epoch) && ccg_writer_put_u64le(&w, counter) && ccg_writer_put_u64le(&w, arg) &&
	       ccg_writer_put_u32le(&w, len);
}

/* ---------- futex doorbells ---------- */

static void cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
	__builtin_ia32_pause();
#else
	__asm__ __volatile__("" ::: "memory");
#endif
}

static void futex_wait(uint32_t *addr, uint32_t val, int ms)
{
	struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000L};

	(void)syscall(SYS_futex, addr, FUTEX_WAIT, val, &ts, NULL, 0);
}

static void futex_wake_all(uint32_t *addr)
{
	(void)syscall(SYS_futex, addr, FUTEX_WAKE, INT_MAX, NULL, NULL, 0);
}

static int64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

enum ccg_status dp_wait_change(uint32_t *word, uint32_t *waiters, uint32_t seen, int64_t spin_ns, int timeout_ms,
			       const volatile int *stop, uint32_t *now_val)
{
	int64_t deadline = timeout_ms >= 0 ? now_ms() + timeout_ms : 0;
	int64_t spin_end = now_ns() + spin_ns;
	uint32_t v;

	for (unsigned i = 1;; i++) {
		v = __atomic_load_n(word, __ATOMIC_ACQUIRE);
		if (v != seen) {
			*now_val = v;
			return CCG_OK;
		}
		cpu_relax();
		if (i % 128 == 0) {
			if (now_ns() >= spin_end)
				break;
			/*
			 * give the CPU to whatever else is runnable here (the other end, when both share a
			 * loaded machine): on an oversubscribed 2-vCPU VM a pure spin kept gpusim's device
			 * thread off the CPU for ~0.5 ms per RUN (bench/prompt, branch prompt); with nothing
			 * else runnable the yield returns at once
			 */
			sched_yield();
		}
	}
	for (;;) {
		__atomic_add_fetch(waiters, 1, __ATOMIC_SEQ_CST);
		v = __atomic_load_n(word, __ATOMIC_SEQ_CST);
		if (v == seen)
			futex_wait(word, seen, 20);
		__atomic_sub_fetch(waiters, 1, __ATOMIC_SEQ_CST);
		v = __atomic_load_n(word, __ATOMIC_ACQUIRE);
		if (v != seen) {
			*now_val = v;
			return CCG_OK;
		}
		if (stop != NULL && *stop)
			return CCG_ERR_CHANNEL_CLOSED;
		if (timeout_ms >= 0 && now_ms() >= deadline)
			return CCG_ERR_TIMEOUT;
	}
}

void dp_wake(uint32_t *word, uint32_t *waiters)
{
	if (__atomic_load_n(waiters, __ATOMIC_SEQ_CST) != 0)
		futex_wake_all(word);
}

static void ring_bell(uint32_t *word, uint32_t *waiters, uint32_t val)
{
	__atomic_store_n(word, val, __ATOMIC_SEQ_CST);
	dp_wake(word, waiters);
}

/* ---------- sender ---------- */

enum ccg_status dp_tx_init(struct dp_tx *t, uint8_t *shm, const struct dp_params *p, enum dp_dir dir,
			   const uint8_t chan_secret[48])
{
	enum ccg_status st;

	memset(t, 0, sizeof(*t));
	t->p = p;
	t->dir = dir;
	dp_ring_map(shm, p, dir, &t->r);
	t->head = __atomic_load_n(t->r.head, __ATOMIC_ACQUIRE);
	if ((st = dp_keys_init(&t->k, chan_secret, p->channel_id, dir)) != CCG_OK)
		return st;
	return dp_aead_init(&t->aead);
}

void dp_tx_cleanup(struct dp_tx *t)
{
	dp_keys_cleanup(&t->k);
	dp_aead_cleanup(&t->aead);
}

enum ccg_status dp_tx_reserve(struct dp_tx *t, uint32_t want, uint32_t *n_out, int timeout_ms, const volatile int *stop)
{
	uint32_t tail = __atomic_load_n(t->r.tail, __ATOMIC_ACQUIRE), used = t->head - tail;
	enum ccg_status st;

	if (used > t->r.slots)
		return CCG_ERR_PROTOCOL; /* the consumer's index is beyond what was published */
	while (used == t->r.slots) {
		if ((st = dp_wait_change(t->r.tail, t->r.prod_wait, tail, t->r.spin_ns, timeout_ms, stop, &tail)) !=
		    CCG_OK)
			return st;
		used = t->head - tail;
		if (used > t->r.slots)
			return CCG_ERR_PROTOCOL;
	}
	*n_out = t->r.slots - used < want ? t->r.slots - used : want;
	return CCG_OK;
}

static bool rotation_due(const struct dp_params *p, const struct dp_keys *k)
{
	return p->rotate_msgs != 0 && (k->used_msgs >= p->rotate_msgs || k->used_blocks >= p->rotate_blocks);
}

enum ccg_status dp_tx_begin_batch(struct dp_tx *t)
{
	enum ccg_status st;

	if (!rotation_due(t->p, &t->k))
		return CCG_OK;
	if ((st = dp_keys_rotate(&t->k)) != CCG_OK)
		return st;
	t->rotations++;
	return CCG_OK;
}

enum ccg_status dp_tx_assign(struct dp_tx *t, uint32_t i, uint8_t op, uint64_t arg, const uint8_t *src, uint32_t len,
			     struct dp_job *job)
{
	uint64_t blocks = dp_msg_blocks(len);

	if (len > t->r.slot_size)
		return CCG_ERR_TOO_LARGE;
	/* the last message a key may seal is kept for an ERROR report, so a refusal can always be told */
	uint64_t reserve = op == DP_OP_ERROR ? 0 : 1;

	if (t->k.used_msgs + 1 + reserve > t->p->limit_msgs ||
	    t->k.used_blocks + blocks + reserve * dp_msg_blocks(16) > t->p->limit_blocks)
		return CCG_ERR_KEY_EXHAUSTED;
	if (t->counter == UINT64_MAX)
		return CCG_ERR_KEY_EXHAUSTED;
	job->slot = t->head + i;
	job->op = op;
	job->epoch = t->k.epoch;
	job->counter = t->counter++;
	job->arg = arg;
	job->src = src;
	job->len = len;
	t->k.used_msgs++;
	t->k.used_blocks += blocks;
	return CCG_OK;
}

enum ccg_status dp_seal_slot(const struct dp_tx *t, struct dp_aead *a, const struct dp_job *job)
{
	uint8_t iv[12], aad[AAD_LEN], desc[DP_DESC_LEN];
	uint8_t *dst = dp_ring_data(&t->r, job->slot);
	struct ccg_writer w;
	int n = 0;

	if (!aead_key(a, &t->k, job->epoch, false, true))
		goto fail;
	make_iv(K_SALT(&t->k), job->counter, iv);
	memset(desc, 0, sizeof(desc));
	if (!make_aad(t->p->channel_id, (uint8_t)t->dir, job->op, job->epoch, job->counter, job->arg, job->len, aad) ||
	    EVP_EncryptInit_ex(a->ctx, NULL, NULL, NULL, iv) != 1 ||
	    EVP_EncryptUpdate(a->ctx, NULL, &n, aad, sizeof(aad)) != 1)
		goto fail;
	/*
	 * GCM reads back the ciphertext it wrote to compute the tag: it writes
	 * into a private piece, then the piece is copied into the slot, so the
	 * tag covers what was sealed whatever the host writes into the slot meanwhile
	 */
	for (uint32_t off = 0; off < job->len; off += DP_PIECE) {
		uint32_t m = job->len - off < DP_PIECE ? job->len - off : DP_PIECE;

		if (EVP_EncryptUpdate(a->ctx, a->piece, &n, job->src + off, (int)m) != 1 || n != (int)m)
			goto fail;
		memcpy(dst + off, a->piece, m);
	}
	if (EVP_EncryptFinal_ex(a->ctx, a->piece, &n) != 1 ||
	    EVP_CIPHER_CTX_ctrl(a->ctx, EVP_CTRL_GCM_GET_TAG, DP_TAG_LEN, desc + 32) != 1)
		goto fail;
	/* length, direction, op, 2 reserved, epoch, 4 reserved, counter, argument; the tag (32..48) is in place */
	ccg_writer_init_fixed(&w, desc, 32);
	if (!ccg_writer_put_u32le(&w, job->len) || !ccg_writer_put_u8(&w, (uint8_t)t->dir) ||
	    !ccg_writer_put_u8(&w, job->op) || !ccg_writer_put_zeros(&w, 2) || !ccg_writer_put_u32le(&w, job->epoch) ||
	    !ccg_writer_put_zeros(&w, 4) || !ccg_writer_put_u64le(&w, job->counter) ||
	    !ccg_writer_put_u64le(&w, job->arg) || !desc_gmac(a, &t->k, job->counter, desc, desc + DP_DMAC_OFF))
		goto fail;
	memcpy(dp_ring_desc(&t->r, job->slot), desc, sizeof(desc));
	return CCG_OK;
fail:
	a->keyed = false;
	ERR_clear_error();
	return CCG_ERR_CRYPTO;
}

void dp_tx_publish(struct dp_tx *t, uint32_t n)
{
	t->head += n;
	ring_bell(t->r.head, t->r.cons_wait, t->head);
}

enum ccg_status dp_tx_send(struct dp_tx *t, uint8_t op, uint64_t arg, const uint8_t *src, uint32_t len, int timeout_ms,
			   const volatile int *stop)
{
	struct dp_job job;
	uint32_t n = 0;
	enum ccg_status st;

	if ((st = dp_tx_reserve(t, 1, &n, timeout_ms, stop)) != CCG_OK || (st = dp_tx_begin_batch(t)) != CCG_OK ||
	    (st = dp_tx_assign(t, 0, op, arg, src, len, &job)) != CCG_OK ||
	    (st = dp_seal_slot(t, &t->aead, &job)) != CCG_OK)
		return st;
	dp_tx_publish(t, 1);
	return CCG_OK;
}

/* ---------- receiver ---------- */

enum ccg_status dp_rx_init(struct dp_rx *r, uint8_t *shm, const struct dp_params *p, enum dp_dir dir,
			   const uint8_t chan_secret[48])
{
	enum ccg_status st;

	memset(r, 0, sizeof(*r));
	r->p = p;
	r->dir = dir;
	dp_ring_map(shm, p, dir, &r->r);
	r->tail = __atomic_load_n(r->r.tail, __ATOMIC_ACQUIRE);
	if ((st = dp_keys_init(&r->k, chan_secret, p->channel_id, dir)) != CCG_OK)
		return st;
	return dp_aead_init(&r->aead);
}

void dp_rx_cleanup(struct dp_rx *r)
{
	dp_keys_cleanup(&r->k);
	dp_aead_cleanup(&r->aead);
}

enum ccg_status dp_rx_poll(struct dp_rx *r, uint32_t *n_out)
{
	uint32_t head = __atomic_load_n(r->r.head, __ATOMIC_ACQUIRE);

	if (head - r->tail > r->r.slots)
		return CCG_ERR_PROTOCOL;
	*n_out = head - r->tail;
	return CCG_OK;
}

enum ccg_status dp_rx_wait(struct dp_rx *r, uint32_t *n_out, int timeout_ms, const volatile int *stop)
{
	uint32_t head;
	enum ccg_status st;

	if ((st = dp_rx_poll(r, n_out)) != CCG_OK || *n_out != 0)
		return st;
	dp_rx_release(r); /* let the producer see every slot we have finished before we sleep */
	if ((st = dp_wait_change(r->r.head, r->r.cons_wait, r->tail, r->r.spin_ns, timeout_ms, stop, &head)) != CCG_OK)
		return st;
	return dp_rx_poll(r, n_out);
}

struct desc_fields {
	uint32_t len, epoch;
	uint8_t dir, op;
	uint64_t counter, arg;
	uint8_t tag[DP_TAG_LEN], dmac[DP_TAG_LEN];
};

static bool desc_parse_snap(const uint8_t snap[DP_DESC_LEN], struct desc_fields *d)
{
	struct ccg_cursor c;
	uint16_t r16 = 0;
	uint32_t r32 = 0;

	ccg_cursor_init(&c, snap, DP_DESC_LEN);
	return ccg_cursor_get_u32le(&c, &d->len) && ccg_cursor_get_u8(&c, &d->dir) && ccg_cursor_get_u8(&c, &d->op) &&
	       ccg_cursor_get_u16le(&c, &r16) && ccg_cursor_get_u32le(&c, &d->epoch) &&
	       ccg_cursor_get_u32le(&c, &r32) && ccg_cursor_get_u64le(&c, &d->counter) &&
	       ccg_cursor_get_u64le(&c, &d->arg) && ccg_cursor_copy_bytes(&c, d->tag, DP_TAG_LEN) &&
	       ccg_cursor_copy_bytes(&c, d->dmac, DP_TAG_LEN);
}

/* one snapshot of the shared bytes; parsing and checks use only the copy */
static bool desc_parse(const uint8_t *shared, struct desc_fields *d)
{
	uint8_t snap[DP_DESC_LEN];

	copy_in(snap, shared, sizeof(snap));
	return desc_parse_snap(snap, d);
}

void dp_rx_peek(struct dp_rx *r, uint8_t *op, uint64_t *arg, uint32_t *len)
{
	struct desc_fields d;

	memset(&d, 0, sizeof(d));
	copy_in(r->snap, dp_ring_desc(&r->r, r->tail), DP_DESC_LEN);
	r->snap_valid = true;
	(void)desc_parse_snap(r->snap, &d);
	*op = d.op;
	*arg = d.arg;
	*len = d.len;
}

static enum ccg_status classify_counter(const struct dp_rx *r, const struct desc_fields *d, struct ccg_error *err)
{
	uint32_t head = __atomic_load_n(r->r.head, __ATOMIC_ACQUIRE);

	if (d->counter < r->expected)
		return ccg_error_set(err, CCG_ERR_REPLAY, "channel.counter",
				     "%llu was received already (expected %llu)", (unsigned long long)d->counter,
				     (unsigned long long)r->expected);
	for (uint32_t i = r->tail + 1; i != head && i - r->tail < r->r.slots; i++) {
		struct desc_fields o;

		if (desc_parse(dp_ring_desc(&r->r, i), &o) && o.counter == r->expected)
			return ccg_error_set(err, CCG_ERR_REORDER, "channel.counter",
					     "%llu arrived before %llu, which waits in a later slot",
					     (unsigned long long)d->counter, (unsigned long long)r->expected);
	}
	return ccg_error_set(err, CCG_ERR_DROPPED, "channel.counter", "%llu arrived, %llu is missing",
			     (unsigned long long)d->counter, (unsigned long long)r->expected);
}

enum ccg_status dp_rx_open(struct dp_rx *r, uint8_t *dst, size_t cap, uint8_t *op, uint64_t *arg, uint32_t *len,
			   struct ccg_error *err)
{
	struct desc_fields d;
	struct dp_keys next = {0};
	const struct dp_keys *k = &r->k;
	uint8_t iv[12], aad[AAD_LEN], dmac[DP_TAG_LEN];
	const uint8_t *src = dp_ring_data(&r->r, r->tail);
	uint64_t blocks;
	int n = 0;
	bool rotate = false;
	enum ccg_status st = CCG_OK;

	if (!r->snap_valid)
		copy_in(r->snap, dp_ring_desc(&r->r, r->tail), DP_DESC_LEN);
	r->snap_valid = false;
	if (!desc_parse_snap(r->snap, &d)) {
		st = ccg_error_set(err, CCG_ERR_INTERNAL, "channel.descriptor", "snapshot");
		goto out;
	}
	if (d.dir != (uint8_t)r->dir) {
		st = ccg_error_set(err, d.dir <= DP_D2H ? CCG_ERR_WRONG_DIRECTION : CCG_ERR_MALFORMED,
				   "channel.descriptor.direction", "direction %u in the %s ring", d.dir,
				   r->dir == DP_H2D ? "host-to-device" : "device-to-host");
		goto out;
	}
	if (d.op < DP_OP_MSG || d.op > DP_OP_RESULT) {
		st = ccg_error_set(err, CCG_ERR_MALFORMED, "channel.descriptor.op", "op %u", d.op);
		goto out;
	}
	if (d.len > r->r.slot_size || d.len > cap) {
		st = ccg_error_set(err, CCG_ERR_TOO_LARGE, "channel.descriptor.length", "%u bytes (slot %u, room %zu)",
				   d.len, r->r.slot_size, cap);
		goto out;
	}
	if (d.counter != r->expected) {
		st = classify_counter(r, &d, err);
		goto out;
	}
	blocks = dp_msg_blocks(d.len);
	if (d.epoch == r->k.epoch + 1 && r->p->rotate_msgs != 0) {
		/* the sender rotated: try the next key; adopt it only when the message authenticates */
		if ((st = ccg_secret_new(DP_KEYS_LEN, &next.s)) != CCG_OK)
			goto out;
		memcpy(next.s->data, r->k.s->data, DP_KEYS_LEN);
		next.epoch = r->k.epoch;
		if ((st = dp_keys_rotate(&next)) != CCG_OK)
			goto out;
		k = &next;
		rotate = true;
	} else if (d.epoch != r->k.epoch) {
		st = ccg_error_set(err, d.epoch < r->k.epoch ? CCG_ERR_STALE_KEY : CCG_ERR_MALFORMED,
				   "channel.descriptor.epoch", "key epoch %u, current %u", d.epoch, r->k.epoch);
		goto out;
	} else if (r->p->rotate_msgs != 0 &&
		   (r->k.used_msgs >= r->p->rotate_msgs + r->p->window ||
		    r->k.used_blocks >= r->p->rotate_blocks + (uint64_t)r->p->window * dp_msg_blocks(r->r.slot_size))) {
		st = ccg_error_set(err, CCG_ERR_STALE_KEY, "channel.descriptor.epoch",
				   "key epoch %u used past its rotation point and the window of %u messages", d.epoch,
				   r->p->window);
		goto out;
	}
	if (k->used_msgs + 1 > r->p->limit_msgs || k->used_blocks + blocks > r->p->limit_blocks) {
		st = ccg_error_set(err, CCG_ERR_KEY_EXHAUSTED, "channel.descriptor.epoch",
				   "key epoch %u reached its usage limit", d.epoch);
		goto out;
	}
	if (!aead_key(&r->aead, k, d.epoch, rotate, false)) {
		st = ccg_openssl_error(err, CCG_ERR_CRYPTO, "channel.aead", "key");
		goto out;
	}
	/* the descriptor first (its counter field is the expected one, checked above): then a bad payload
	 * tag can only mean an altered ciphertext */
	if (!desc_gmac(&r->aead, k, r->expected, r->snap, dmac)) {
		st = ccg_openssl_error(err, CCG_ERR_CRYPTO, "channel.aead", "descriptor GMAC");
		goto out;
	}
	if (CRYPTO_memcmp(dmac, d.dmac, DP_TAG_LEN) != 0) {
		st = ccg_error_set(
			err, CCG_ERR_DESCRIPTOR, "channel.descriptor",
			"descriptor GMAC does not verify (its GCM tag, length, op, argument or epoch altered)");
		goto out;
	}
	if (dst != NULL) {
		/* IV and AAD from the receiver's own expected counter */
		make_iv(K_SALT(k), r->expected, iv);
		if (!make_aad(r->p->channel_id, (uint8_t)r->dir, d.op, d.epoch, r->expected, d.arg, d.len, aad) ||
		    EVP_DecryptInit_ex(r->aead.ctx, NULL, NULL, NULL, iv) != 1 ||
		    EVP_DecryptUpdate(r->aead.ctx, NULL, &n, aad, sizeof(aad)) != 1) {
			st = ccg_openssl_error(err, CCG_ERR_CRYPTO, "channel.aead", "AES-256-GCM");
			goto out;
		}
		/*
		 * never in place in the slot: GCM reads its input twice (GHASH, then
		 * CTR), and a host rewriting the slot in between would have one
		 * version authenticated and another decrypted. Each piece is copied
		 * once into private memory and both passes read that copy.
		 */
		for (uint32_t off = 0; off < d.len; off += DP_PIECE) {
			uint32_t m = d.len - off < DP_PIECE ? d.len - off : DP_PIECE;

			copy_in(r->aead.piece, src + off, m);
			if (EVP_DecryptUpdate(r->aead.ctx, dst + off, &n, r->aead.piece, (int)m) != 1 || n != (int)m) {
				OPENSSL_cleanse(dst, off);
				st = ccg_openssl_error(err, CCG_ERR_CRYPTO, "channel.aead", "AES-256-GCM");
				goto out;
			}
		}
		if (EVP_CIPHER_CTX_ctrl(r->aead.ctx, EVP_CTRL_GCM_SET_TAG, DP_TAG_LEN, d.tag) != 1) {
			OPENSSL_cleanse(dst, d.len);
			st = ccg_openssl_error(err, CCG_ERR_CRYPTO, "channel.aead", "AES-256-GCM");
			goto out;
		}
		if (EVP_DecryptFinal_ex(r->aead.ctx, r->aead.piece, &n) != 1) {
			ERR_clear_error();
			OPENSSL_cleanse(dst, d.len);
			st = ccg_error_set(
				err, CCG_ERR_MAC, "channel.ciphertext",
				"AES-256-GCM tag of an authentic descriptor does not verify: the ciphertext was altered");
			goto out;
		}
	}
	if (rotate) {
		memcpy(r->k.s->data, next.s->data, DP_KEYS_LEN);
		r->k.epoch = next.epoch;
		r->k.used_msgs = r->k.used_blocks = 0;
		r->rotations++;
	}
	r->k.used_msgs++;
	r->k.used_blocks += blocks;
	r->expected++;
	r->tail++;
	*op = d.op;
	*arg = d.arg;
	*len = d.len;
out:
	ccg_secret_free(next.s);
	if (st != CCG_OK && rotate)
		r->aead.keyed = false; /* the contexts may hold the candidate key */
	if (st != CCG_OK)
		r->rejects++;
	return st;
}

void dp_rx_release(struct dp_rx *r)
{
	if (__atomic_load_n(r->r.tail, __ATOMIC_RELAXED) != r->tail)
		ring_bell(r->r.tail, r->r.prod_wait, r->tail);
}
