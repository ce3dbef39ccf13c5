/* SPDX-License-Identifier: Apache-2.0 */
/*
 * gpusim's end of the channel: an SPDM 1.2 responder (DSP0274) with
 * DSP0277 secured messages, and the device side of the bounce-buffer data
 * path: a device thread that decrypts host-to-device slots into "device
 * memory", echoes messages, streams reads back device-to-host and runs
 * compute commands over device memory (gpusim/compute.h).
 */
#include <openssl/crypto.h>
#include <openssl/x509.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "common/crypto.h"
#include "common/cursor.h"
#include "common/error.h"
#include "gpusim/compute.h"
#include "gpusim/internal.h"
#include "wire/dp.h"
#include "wire/frame.h"
#include "wire/spdm_crypto.h"

#define RSP_FLAGS (SPDM_CAP_CERT | SPDM_CAP_ENCRYPT | SPDM_CAP_MAC | SPDM_CAP_KEY_EX | SPDM_CAP_HBEAT | SPDM_CAP_KEY_UPD)
#define DEV_TIMEOUT_MS 10000
#define DEV_POLL_NS 100000L

enum conn_state { ST_NONE, ST_VERSION, ST_CAPS, ST_ALGS, ST_HANDSHAKE, ST_SESSION };

struct dev_channel {
	struct dp_params p;
	uint8_t *shm;
	size_t shm_len;
	struct dp_tx tx;     /* device to host */
	struct dp_rx rx;     /* host to device */
	uint8_t *mem, *inbox, *outbox;  /* outbox: a compute result (slot_size bytes) */
	pthread_t th;
	volatile int stop;
	bool started;
	bool offload;        /* GPUSIM_CE_OFFLOAD: writes authenticated, not decrypted on the host */
};

struct gpusim_conn {
	struct gpusim *s;
	unsigned gpu;
	enum conn_state state;
	struct ccg_buf th;
	struct ccg_buf chain;          /* SPDM cert chain of gpu */
	uint8_t chain_hash[SPDM_H];
	uint32_t session_id;
	struct spdm_schedule ks;
	struct spdm_dir_keys req, rsp;
	struct dev_channel *ch;
	uint32_t channel_opens;        /* channels opened in this session (each open's key derivation) */
};

static void channel_stop(struct gpusim_conn *c);
static enum ccg_status on_channel_control(struct gpusim_conn *c, const uint8_t *msg, size_t len, int fd,
					  struct ccg_buf *rsp);

enum ccg_status gpusim_conn_new(struct gpusim *s, struct gpusim_conn **out)
{
	struct gpusim_conn *c = calloc(1, sizeof(*c));
	enum ccg_status st;

	*out = NULL;
	if (c == NULL)
		return CCG_ERR_NOMEM;
	c->s = s;
	ccg_buf_init(&c->th, 64 * 1024);
	ccg_buf_init(&c->chain, SPDM_MAX_CERT_CHAIN);
	if ((st = spdm_schedule_init(&c->ks)) != CCG_OK || (st = spdm_dir_init(&c->req)) != CCG_OK ||
	    (st = spdm_dir_init(&c->rsp)) != CCG_OK) {
		gpusim_conn_free(c);
		return st;
	}
	*out = c;
	return CCG_OK;
}

void gpusim_conn_free(struct gpusim_conn *c)
{
	if (c == NULL)
		return;
	channel_stop(c);
	spdm_schedule_cleanup(&c->ks);
	spdm_dir_cleanup(&c->req);
	spdm_dir_cleanup(&c->rsp);
	ccg_buf_cleanup(&c->th);
	ccg_buf_cleanup(&c->chain);
	free(c);
}

/* ---------- SPDM (plain) ---------- */

static enum ccg_status spdm_err(struct ccg_buf *out, uint8_t code, uint8_t data)
{
	uint8_t m[4] = {SPDM_V12, SPDM_ERROR, code, data};

	return ccg_buf_append(out, m, sizeof(m));
}

/* the SPDM certificate chain: Length || Reserved || Hash(root) || DER root first */
static enum ccg_status build_chain(struct gpusim_conn *c)
{
	const char *pem = gpusim_chain_pem(c->s, c->gpu);
	STACK_OF(X509) *sk = NULL;
	struct ccg_buf der;
	uint8_t root_hash[SPDM_H], hdr[4];
	enum ccg_status st;

	ccg_buf_init(&der, SPDM_MAX_CERT_CHAIN);
	c->chain.len = 0;
	if (pem == NULL)
		return CCG_ERR_INVALID_ARG;
	if ((st = ccg_pem_certs_parse((const uint8_t *)pem, strlen(pem), 10, &sk, NULL)) != CCG_OK)
		goto out;
	for (int i = sk_X509_num(sk) - 1; i >= 0; i--) {
		unsigned char *p = NULL;
		int n = i2d_X509(sk_X509_value(sk, i), &p);

		if (n <= 0) {
			st = CCG_ERR_CRYPTO;
			goto out;
		}
		if (i == sk_X509_num(sk) - 1)
			st = ccg_sha384(p, (size_t)n, root_hash);
		if (st == CCG_OK)
			st = ccg_buf_append(&der, p, (size_t)n);
		OPENSSL_free(p);
		if (st != CCG_OK)
			goto out;
	}
	if (4 + SPDM_H + der.len > UINT16_MAX) {
		st = CCG_ERR_TOO_LARGE;
		goto out;
	}
	hdr[0] = (uint8_t)(4 + SPDM_H + der.len);
	hdr[1] = (uint8_t)((4 + SPDM_H + der.len) >> 8);
	hdr[2] = hdr[3] = 0;
	if ((st = ccg_buf_append(&c->chain, hdr, 4)) != CCG_OK ||
	    (st = ccg_buf_append(&c->chain, root_hash, SPDM_H)) != CCG_OK ||
	    (st = ccg_buf_append(&c->chain, der.data, der.len)) != CCG_OK)
		goto out;
	st = ccg_sha384(c->chain.data, c->chain.len, c->chain_hash);
out:
	sk_X509_pop_free(sk, X509_free);
	ccg_buf_cleanup(&der);
	return st;
}

static enum ccg_status th_hash(const struct gpusim_conn *c, uint8_t out[SPDM_H])
{
	return ccg_sha384(c->th.data, c->th.len, out);
}

static enum ccg_status on_key_exchange(struct gpusim_conn *c, const uint8_t *req, size_t len, struct ccg_buf *out)
{
	struct ccg_cursor cur, rnd, opaque;
	uint8_t v = 0, code = 0, p1 = 0, p2 = 0, policy = 0, rsvd = 0;
	uint8_t peer[SPDM_DHE_LEN], pub[SPDM_DHE_LEN], th[SPDM_H], sig_in[SPDM_SIGN_INPUT_LEN], sig[SPDM_SIG_LEN];
	uint8_t dhe[SPDM_H], vd[SPDM_H], random[SPDM_RANDOM_LEN];
	uint16_t req_sid = 0, rsp_sid = 0, olen = 0;
	EVP_PKEY *eph = NULL;
	size_t start = out->len;
	enum ccg_status st;

	ccg_cursor_init(&cur, req, len);
	if (!ccg_cursor_get_u8(&cur, &v) || !ccg_cursor_get_u8(&cur, &code) || !ccg_cursor_get_u8(&cur, &p1) ||
	    !ccg_cursor_get_u8(&cur, &p2) || !ccg_cursor_get_u16le(&cur, &req_sid) ||
	    !ccg_cursor_get_u8(&cur, &policy) || !ccg_cursor_get_u8(&cur, &rsvd) ||
	    !ccg_cursor_get_bytes(&cur, &rnd, SPDM_RANDOM_LEN) || !ccg_cursor_copy_bytes(&cur, peer, SPDM_DHE_LEN) ||
	    !ccg_cursor_get_u16le(&cur, &olen) || olen > 1024 || !ccg_cursor_get_bytes(&cur, &opaque, olen) ||
	    cur.len != 0 || p1 != 0 || (p2 & 0x0F) != 0)
		return spdm_err(out, SPDM_ERR_INVALID_REQUEST, 0);
	if ((st = ccg_random((uint8_t *)&rsp_sid, sizeof(rsp_sid))) != CCG_OK ||
	    (st = ccg_random(random, sizeof(random))) != CCG_OK || (st = spdm_ecdhe_new(&eph, pub)) != CCG_OK)
		goto out;
	rsp_sid |= 0x8000;
	if ((st = ccg_buf_append(&c->th, c->chain_hash, SPDM_H)) != CCG_OK ||
	    (st = ccg_buf_append(&c->th, req, len)) != CCG_OK || (st = ccg_buf_append_u8(out, SPDM_V12)) != CCG_OK ||
	    (st = ccg_buf_append_u8(out, SPDM_KEY_EXCHANGE_RSP)) != CCG_OK || (st = ccg_buf_append_u8(out, 0)) != CCG_OK ||
	    (st = ccg_buf_append_u8(out, 0)) != CCG_OK || (st = ccg_buf_append_u16le(out, rsp_sid)) != CCG_OK ||
	    (st = ccg_buf_append_u8(out, 0)) != CCG_OK || (st = ccg_buf_append_u8(out, 0)) != CCG_OK ||
	    (st = ccg_buf_append(out, random, sizeof(random))) != CCG_OK ||
	    (st = ccg_buf_append(out, pub, sizeof(pub))) != CCG_OK || (st = ccg_buf_append_u16le(out, 0)) != CCG_OK ||
	    (st = ccg_buf_append(&c->th, out->data + start, out->len - start)) != CCG_OK ||
	    (st = th_hash(c, th)) != CCG_OK)
		goto out;
	spdm_sign_input(SPDM_KEX_SIGN_CONTEXT, th, sig_in);
	if ((st = ccg_ecdsa_sign_raw(gpusim_gpu_key(c->s, c->gpu), "SHA384", sig_in, sizeof(sig_in), sig,
				      SPDM_SIG_LEN, "gpusim.spdm.key_exchange", NULL)) != CCG_OK)
		goto out;
	if (gpusim_fault_on(c->s, GPUSIM_FAULT_BAD_SIGNATURE, c->gpu))
		sig[SPDM_SIG_LEN - 1] ^= 0x01;
	if ((st = ccg_buf_append(out, sig, sizeof(sig))) != CCG_OK || (st = ccg_buf_append(&c->th, sig, sizeof(sig))) != CCG_OK ||
	    (st = th_hash(c, th)) != CCG_OK || (st = spdm_ecdhe_derive(eph, peer, dhe, NULL)) != CCG_OK ||
	    (st = spdm_schedule_handshake(&c->ks, dhe, sizeof(dhe), th)) != CCG_OK ||
	    (st = spdm_hmac(spdm_secret(&c->ks, SPDM_S_RSP_FINISHED), th, SPDM_H, vd)) != CCG_OK ||
	    (st = ccg_buf_append(out, vd, sizeof(vd))) != CCG_OK || (st = ccg_buf_append(&c->th, vd, sizeof(vd))) != CCG_OK ||
	    (st = spdm_dir_set(&c->req, spdm_secret(&c->ks, SPDM_S_REQ_HS))) != CCG_OK ||
	    (st = spdm_dir_set(&c->rsp, spdm_secret(&c->ks, SPDM_S_RSP_HS))) != CCG_OK)
		goto out;
	c->session_id = spdm_session_id(req_sid, rsp_sid);
	c->channel_opens = 0;
	c->state = ST_HANDSHAKE;
out:
	if (st == CCG_ERR_MALFORMED) { /* the requester's point is not on the curve */
		out->len = start;
		c->state = ST_NONE;
		st = spdm_err(out, SPDM_ERR_INVALID_REQUEST, 0);
	}
	OPENSSL_cleanse(dhe, sizeof(dhe));
	EVP_PKEY_free(eph);
	return st;
}

static enum ccg_status on_plain(struct gpusim_conn *c, unsigned gpu, const uint8_t *req, size_t len,
				struct ccg_buf *out)
{
	struct ccg_cursor cur;
	uint8_t v = 0, code = 0, p1 = 0, p2 = 0;
	enum ccg_status st;

	ccg_cursor_init(&cur, req, len);
	if (!ccg_cursor_get_u8(&cur, &v) || !ccg_cursor_get_u8(&cur, &code) || !ccg_cursor_get_u8(&cur, &p1) ||
	    !ccg_cursor_get_u8(&cur, &p2))
		return spdm_err(out, SPDM_ERR_INVALID_REQUEST, 0);
	if (code == SPDM_GET_VERSION) {
		static const uint8_t rsp[8] = {SPDM_V10, SPDM_VERSION, 0, 0, 0, 1, 0x00, SPDM_V12};

		if (v != SPDM_V10 || cur.len != 0)
			return spdm_err(out, SPDM_ERR_INVALID_REQUEST, 0);
		channel_stop(c);
		c->gpu = gpu;
		c->th.len = 0;
		c->state = ST_NONE;
		if ((st = build_chain(c)) != CCG_OK || (st = ccg_buf_append(&c->th, req, len)) != CCG_OK ||
		    (st = ccg_buf_append(&c->th, rsp, sizeof(rsp))) != CCG_OK)
			return st;
		c->state = ST_VERSION;
		return ccg_buf_append(out, rsp, sizeof(rsp));
	}
	if (v != SPDM_V12 || c->state == ST_NONE || gpu != c->gpu)
		return spdm_err(out, SPDM_ERR_UNEXPECTED_REQUEST, 0);
	switch (code) {
	case SPDM_GET_CAPABILITIES: {
		uint8_t rsp[20] = {SPDM_V12, SPDM_CAPABILITIES, 0, 0, 0, 0, 0, 0};

		if (c->state != ST_VERSION)
			return spdm_err(out, SPDM_ERR_UNEXPECTED_REQUEST, 0);
		if (len != 20)
			return spdm_err(out, SPDM_ERR_INVALID_REQUEST, 0);
		rsp[8] = (uint8_t)RSP_FLAGS;
		rsp[9] = (uint8_t)(RSP_FLAGS >> 8);
		rsp[13] = SPDM_MAX_MSG >> 8;
		rsp[17] = SPDM_MAX_MSG >> 8;
		if ((st = ccg_buf_append(&c->th, req, len)) != CCG_OK || (st = ccg_buf_append(&c->th, rsp, sizeof(rsp))) != CCG_OK)
			return st;
		c->state = ST_CAPS;
		return ccg_buf_append(out, rsp, sizeof(rsp));
	}
	case SPDM_NEGOTIATE_ALGORITHMS: {
		uint8_t rsp[52] = {SPDM_V12, SPDM_ALGORITHMS, 4, 0, 52, 0, SPDM_MEAS_SPEC_DMTF, 0, 0x04, 0, 0, 0,
				   (uint8_t)SPDM_ASYM_ECDSA_P384, 0, 0, 0, (uint8_t)SPDM_HASH_SHA384};
		static const uint8_t structs[16] = {SPDM_ALG_TYPE_DHE, 0x20, 0x10, 0x00, SPDM_ALG_TYPE_AEAD, 0x20, 0x02,
						    0x00, SPDM_ALG_TYPE_REQ_ASYM, 0x20, 0x80, 0x00,
						    SPDM_ALG_TYPE_KEY_SCHEDULE, 0x20, 0x01, 0x00};
		uint16_t length = 0, r16 = 0;
		uint8_t ms = 0, other = 0, ea = 0, eh = 0;
		uint32_t asym = 0, hash = 0;
		unsigned have = 0;

		if (c->state != ST_CAPS)
			return spdm_err(out, SPDM_ERR_UNEXPECTED_REQUEST, 0);
		if (!ccg_cursor_get_u16le(&cur, &length) || !ccg_cursor_get_u8(&cur, &ms) ||
		    !ccg_cursor_get_u8(&cur, &other) || !ccg_cursor_get_u32le(&cur, &asym) ||
		    !ccg_cursor_get_u32le(&cur, &hash) || !ccg_cursor_skip(&cur, 12) || !ccg_cursor_get_u8(&cur, &ea) ||
		    !ccg_cursor_get_u8(&cur, &eh) || !ccg_cursor_get_u16le(&cur, &r16) || length != len || ea != 0 ||
		    eh != 0 || p1 > 4 || cur.len != (size_t)p1 * 4)
			return spdm_err(out, SPDM_ERR_INVALID_REQUEST, 0);
		for (uint8_t i = 0; i < p1; i++) {
			uint8_t type = 0, cnt = 0;
			uint16_t sup = 0;

			if (!ccg_cursor_get_u8(&cur, &type) || !ccg_cursor_get_u8(&cur, &cnt) ||
			    !ccg_cursor_get_u16le(&cur, &sup) || cnt != 0x20)
				return spdm_err(out, SPDM_ERR_INVALID_REQUEST, 0);
			if ((type == SPDM_ALG_TYPE_DHE && (sup & SPDM_DHE_SECP384R1)) ||
			    (type == SPDM_ALG_TYPE_AEAD && (sup & SPDM_AEAD_AES256_GCM)) ||
			    (type == SPDM_ALG_TYPE_KEY_SCHEDULE && (sup & SPDM_KEY_SCHEDULE_SPDM)))
				have |= 1u << type;
		}
		/* nothing in common: the negotiation fails (DSP0274 lets the responder pick none; ccgpu refuses) */
		if (!(asym & SPDM_ASYM_ECDSA_P384) || !(hash & SPDM_HASH_SHA384) ||
		    have != ((1u << SPDM_ALG_TYPE_DHE) | (1u << SPDM_ALG_TYPE_AEAD) | (1u << SPDM_ALG_TYPE_KEY_SCHEDULE)))
			return spdm_err(out, SPDM_ERR_INVALID_REQUEST, 0);
		rsp[7] = other & SPDM_OTHER_OPAQUE_FMT1;
		memcpy(rsp + 36, structs, sizeof(structs));
		if ((st = ccg_buf_append(&c->th, req, len)) != CCG_OK || (st = ccg_buf_append(&c->th, rsp, sizeof(rsp))) != CCG_OK)
			return st;
		c->state = ST_ALGS;
		return ccg_buf_append(out, rsp, sizeof(rsp));
	}
	case SPDM_GET_DIGESTS: {
		uint8_t rsp[4] = {SPDM_V12, SPDM_DIGESTS, 0, 0x01};

		if (c->state != ST_ALGS)
			return spdm_err(out, SPDM_ERR_UNEXPECTED_REQUEST, 0);
		if ((st = ccg_buf_append(out, rsp, sizeof(rsp))) != CCG_OK)
			return st;
		return ccg_buf_append(out, c->chain_hash, SPDM_H);
	}
	case SPDM_GET_CERTIFICATE: {
		uint16_t off = 0, want = 0, portion, remainder;

		if (c->state != ST_ALGS)
			return spdm_err(out, SPDM_ERR_UNEXPECTED_REQUEST, 0);
		if (!ccg_cursor_get_u16le(&cur, &off) || !ccg_cursor_get_u16le(&cur, &want) || cur.len != 0 ||
		    (p1 & 0x0F) != 0 || off >= c->chain.len || want == 0)
			return spdm_err(out, SPDM_ERR_INVALID_REQUEST, 0);
		portion = (uint16_t)(c->chain.len - off < want ? c->chain.len - off : want);
		if (portion > SPDM_CERT_PORTION)
			portion = SPDM_CERT_PORTION;
		remainder = (uint16_t)(c->chain.len - off - portion);
		if ((st = ccg_buf_append_u8(out, SPDM_V12)) != CCG_OK ||
		    (st = ccg_buf_append_u8(out, SPDM_CERTIFICATE)) != CCG_OK || (st = ccg_buf_append_u8(out, 0)) != CCG_OK ||
		    (st = ccg_buf_append_u8(out, 0)) != CCG_OK || (st = ccg_buf_append_u16le(out, portion)) != CCG_OK ||
		    (st = ccg_buf_append_u16le(out, remainder)) != CCG_OK)
			return st;
		return ccg_buf_append(out, c->chain.data + off, portion);
	}
	case SPDM_KEY_EXCHANGE:
		if (c->state != ST_ALGS)
			return spdm_err(out, SPDM_ERR_UNEXPECTED_REQUEST, 0);
		return on_key_exchange(c, req, len, out);
	default:
		return spdm_err(out, SPDM_ERR_UNSUPPORTED_REQUEST, code);
	}
}

/* ---------- SPDM inside the session ---------- */

static enum ccg_status on_secured(struct gpusim_conn *c, const uint8_t *msg, size_t len, int passed_fd,
				  struct ccg_buf *rsp, bool *rsp_new_key, bool *end)
{
	struct ccg_cursor cur;
	uint8_t v = 0, code = 0, p1 = 0, p2 = 0, th[SPDM_H], mac[SPDM_H];
	enum ccg_status st;

	ccg_cursor_init(&cur, msg, len);
	if (!ccg_cursor_get_u8(&cur, &v) || !ccg_cursor_get_u8(&cur, &code) || !ccg_cursor_get_u8(&cur, &p1) ||
	    !ccg_cursor_get_u8(&cur, &p2) || v != SPDM_V12)
		return spdm_err(rsp, SPDM_ERR_INVALID_REQUEST, 0);
	if (c->state == ST_HANDSHAKE) {
		struct ccg_cursor vd;
		uint8_t frsp[4] = {SPDM_V12, SPDM_FINISH_RSP, 0, 0};

		if (code != SPDM_FINISH)
			return spdm_err(rsp, SPDM_ERR_UNEXPECTED_REQUEST, 0);
		if (p1 != 0 || !ccg_cursor_get_bytes(&cur, &vd, SPDM_H) || cur.len != 0)
			return spdm_err(rsp, SPDM_ERR_INVALID_REQUEST, 0);
		if ((st = ccg_buf_append(&c->th, msg, 4)) != CCG_OK || (st = th_hash(c, th)) != CCG_OK ||
		    (st = spdm_hmac(spdm_secret(&c->ks, SPDM_S_REQ_FINISHED), th, SPDM_H, mac)) != CCG_OK)
			return st;
		if (CRYPTO_memcmp(mac, vd.data, SPDM_H) != 0) {
			c->state = ST_NONE;
			return spdm_err(rsp, SPDM_ERR_DECRYPT_ERROR, 0);
		}
		if ((st = ccg_buf_append(&c->th, vd.data, SPDM_H)) != CCG_OK ||
		    (st = ccg_buf_append(&c->th, frsp, sizeof(frsp))) != CCG_OK || (st = th_hash(c, th)) != CCG_OK ||
		    (st = spdm_schedule_data(&c->ks, th)) != CCG_OK)
			return st;
		/* FINISH_RSP still goes under the response handshake key; the data keys follow it */
		*rsp_new_key = true;
		c->state = ST_SESSION;
		return ccg_buf_append(rsp, frsp, sizeof(frsp));
	}
	switch (code) {
	case SPDM_HEARTBEAT: {
		uint8_t a[4] = {SPDM_V12, SPDM_HEARTBEAT_ACK, 0, 0};

		return ccg_buf_append(rsp, a, sizeof(a));
	}
	case SPDM_KEY_UPDATE: {
		uint8_t a[4] = {SPDM_V12, SPDM_KEY_UPDATE_ACK, p1, p2};

		if (cur.len != 0 || p1 < SPDM_KU_UPDATE_KEY || p1 > SPDM_KU_VERIFY_NEW_KEY)
			return spdm_err(rsp, SPDM_ERR_INVALID_REQUEST, 0);
		if (p1 != SPDM_KU_VERIFY_NEW_KEY && (st = spdm_dir_update(&c->req)) != CCG_OK)
			return st;
		if (p1 == SPDM_KU_UPDATE_ALL_KEYS && (st = spdm_dir_update(&c->rsp)) != CCG_OK)
			return st;
		return ccg_buf_append(rsp, a, sizeof(a));
	}
	case SPDM_END_SESSION: {
		uint8_t a[4] = {SPDM_V12, SPDM_END_SESSION_ACK, 0, 0};

		*end = true;
		return ccg_buf_append(rsp, a, sizeof(a));
	}
	case SPDM_VENDOR_DEFINED_REQUEST:
		/* CHANNEL_OPEN / CHANNEL_CLOSE: only ever inside the session */
		return on_channel_control(c, msg, len, passed_fd, rsp);
	default:
		return spdm_err(rsp, SPDM_ERR_UNSUPPORTED_REQUEST, code);
	}
}

/* ---------- the device end of the data channel ---------- */

static enum ccg_status report(struct dev_channel *d, enum ccg_status st)
{
	uint8_t code[4] = {(uint8_t)st, (uint8_t)((unsigned)st >> 8), 0, 0};

	return dp_tx_send(&d->tx, DP_OP_ERROR, 0, code, sizeof(code), DEV_TIMEOUT_MS, &d->stop);
}

static enum ccg_status dev_read(struct dev_channel *d, uint64_t off, uint64_t len)
{
	uint64_t done = 0;
	enum ccg_status st;

	if (off > d->p.dev_mem || len > d->p.dev_mem - off || len == 0)
		return CCG_ERR_MALFORMED;
	while (done < len) {
		uint32_t n = 0, i;
		uint64_t chunks = (len - done + d->p.slot_size - 1) / d->p.slot_size;

		uint32_t half = (d->p.slots + 1) / 2;

		if ((st = dp_tx_reserve(&d->tx, chunks > half ? half : (uint32_t)chunks, &n, DEV_TIMEOUT_MS,
					&d->stop)) != CCG_OK ||
		    (st = dp_tx_begin_batch(&d->tx)) != CCG_OK)
			return st;
		for (i = 0; i < n && done < len; i++) {
			struct dp_job job;
			uint32_t clen = (uint32_t)(len - done < d->p.slot_size ? len - done : d->p.slot_size);

			if ((st = dp_tx_assign(&d->tx, i, DP_OP_DATA, off + done, d->mem + off + done, clen, &job)) != CCG_OK ||
			    (st = dp_seal_slot(&d->tx, &d->tx.aead, &job)) != CCG_OK)
				return st;
			done += clen;
		}
		dp_tx_publish(&d->tx, i);
	}
	return CCG_OK;
}

static enum ccg_status dev_one(struct dev_channel *d)
{
	uint8_t op = 0, req[16];
	uint64_t arg = 0, roff = 0, rlen = 0;
	uint32_t len = 0;
	struct ccg_cursor c;
	enum ccg_status st;

	dp_rx_peek(&d->rx, &op, &arg, &len);
	switch (op) {
	case DP_OP_WRITE:
		/* bounds from the descriptor, checked before anything is written (authenticated by the open) */
		if (arg > d->p.dev_mem || len > d->p.dev_mem - arg)
			return CCG_ERR_MALFORMED;
		return dp_rx_open(&d->rx, d->offload ? NULL : d->mem + arg, len, &op, &arg, &len, NULL);
	case DP_OP_MSG:
		if ((st = dp_rx_open(&d->rx, d->inbox, d->p.slot_size, &op, &arg, &len, NULL)) != CCG_OK)
			return st;
		return dp_tx_send(&d->tx, DP_OP_MSG, 0, d->inbox, len, DEV_TIMEOUT_MS, &d->stop);
	case DP_OP_READ:
		if ((st = dp_rx_open(&d->rx, req, sizeof(req), &op, &arg, &len, NULL)) != CCG_OK)
			return st;
		ccg_cursor_init(&c, req, len);
		if (!ccg_cursor_get_u64le(&c, &roff) || !ccg_cursor_get_u64le(&c, &rlen) || c.len != 0)
			return CCG_ERR_MALFORMED;
		return dev_read(d, roff, rlen);
	case DP_OP_RUN: {
		size_t olen = 0;

		if ((st = dp_rx_open(&d->rx, d->inbox, d->p.slot_size, &op, &arg, &len, NULL)) != CCG_OK)
			return st;
		/* the copy-engine model keeps no plaintext in device memory: nothing to compute over */
		if (d->offload)
			return CCG_ERR_UNSUPPORTED;
		if ((st = gpusim_compute_run(d->mem, d->p.dev_mem, d->inbox, len, d->outbox, d->p.slot_size, &olen,
					     NULL)) != CCG_OK)
			return st;
		st = dp_tx_send(&d->tx, DP_OP_RESULT, 0, d->outbox, (uint32_t)olen, DEV_TIMEOUT_MS, &d->stop);
		OPENSSL_cleanse(d->outbox, olen);
		return st;
	}
	default:
		/* authenticate first: a forged op is an altered message */
		if ((st = dp_rx_open(&d->rx, d->inbox, d->p.slot_size, &op, &arg, &len, NULL)) != CCG_OK)
			return st;
		return CCG_ERR_PROTOCOL;
	}
}

/*
 * the next slots: under the copy-engine model the device polls its doorbell
 * every DEV_POLL_NS, as hardware does, taking no host CPU in between and
 * costing the guest no wake-up call; otherwise it waits as a ring end
 */
static enum ccg_status dev_wait(struct dev_channel *d, uint32_t *n)
{
	static const struct timespec poll_gap = {.tv_sec = 0, .tv_nsec = DEV_POLL_NS};
	enum ccg_status st;

	if (!d->offload)
		return dp_rx_wait(&d->rx, n, 200, &d->stop);
	for (long waited = 0; waited < 200000000L; waited += DEV_POLL_NS) {
		if ((st = dp_rx_poll(&d->rx, n)) != CCG_OK || *n != 0)
			return st;
		if (d->stop)
			return CCG_ERR_CHANNEL_CLOSED;
		nanosleep(&poll_gap, NULL);
	}
	return CCG_ERR_TIMEOUT;
}

static void *dev_main(void *arg)
{
	struct dev_channel *d = arg;

	while (!d->stop) {
		uint32_t n = 0;
		enum ccg_status st = dev_wait(d, &n);

		if (st == CCG_ERR_TIMEOUT)
			continue;
		if (st == CCG_OK) {
			/* each slot goes back as soon as it is open, so the host never waits on a whole batch */
			for (uint32_t i = 0; i < n && st == CCG_OK; i++) {
				st = dev_one(d);
				dp_rx_release(&d->rx);
			}
		}
		if (st != CCG_OK) {
			/* fail closed: tell the host why (sealed) and stop consuming */
			if (st != CCG_ERR_CHANNEL_CLOSED && report(d, st) != CCG_OK)
				break;
			break;
		}
	}
	return NULL;
}

static void channel_stop(struct gpusim_conn *c)
{
	struct dev_channel *d = c->ch;

	if (d == NULL)
		return;
	d->stop = 1;
	if (d->started)
		pthread_join(d->th, NULL);
	if (d->tx.k.s != NULL)
		dp_tx_cleanup(&d->tx);
	if (d->rx.k.s != NULL)
		dp_rx_cleanup(&d->rx);
	if (d->shm != NULL)
		munmap(d->shm, d->shm_len);
	if (d->mem != NULL)
		munmap(d->mem, d->p.dev_mem);
	free(d->inbox);
	free(d->outbox);
	free(d);
	c->ch = NULL;
}

/* the seals a shared bounce-buffer file must carry: nobody holding it can then resize it under our mapping */
#define SHM_SEALS (F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL)

static enum ccg_status channel_start(struct gpusim_conn *c, const uint8_t params[DP_PARAMS_LEN], int fd,
				     const uint8_t chan_secret[48], struct ccg_error *err)
{
	struct dev_channel *d = NULL;
	struct stat sb;
	int seals;
	enum ccg_status st;

	if (c->ch != NULL)
		return ccg_error_set(err, CCG_ERR_PROTOCOL, "channel.open", "a channel is open");
	if (fd < 0)
		return ccg_error_set(err, CCG_ERR_MALFORMED, "channel.open", "no shared memory descriptor");
	/* a file the host could shrink would kill this process with SIGBUS on the next access */
	seals = fcntl(fd, F_GET_SEALS);
	if (seals < 0 || (seals & SHM_SEALS) != SHM_SEALS)
		return ccg_error_set(err, CCG_ERR_SHM_UNSEALED, "channel.memfd.seals",
				     "seals 0x%x lack F_SEAL_SHRINK, F_SEAL_GROW or F_SEAL_SEAL (0x%x needed)",
				     seals < 0 ? 0 : (unsigned)seals, (unsigned)SHM_SEALS);
	d = calloc(1, sizeof(*d));
	if (d == NULL)
		return CCG_ERR_NOMEM;
	if ((st = dp_params_decode(params, DP_PARAMS_LEN, &d->p, err)) != CCG_OK)
		goto fail;
	d->shm_len = dp_shm_size(&d->p);
	if (fstat(fd, &sb) != 0 || (uint64_t)sb.st_size != d->shm_len) {
		st = ccg_error_set(err, CCG_ERR_MALFORMED, "channel.open", "shared memory is not %zu bytes", d->shm_len);
		goto fail;
	}
	d->shm = mmap(NULL, d->shm_len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	d->mem = mmap(NULL, d->p.dev_mem, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	d->inbox = malloc(d->p.slot_size);
	d->outbox = malloc(d->p.slot_size);
	if (d->shm == MAP_FAILED || d->mem == MAP_FAILED || d->inbox == NULL || d->outbox == NULL) {
		if (d->shm == MAP_FAILED)
			d->shm = NULL;
		if (d->mem == MAP_FAILED)
			d->mem = NULL;
		st = ccg_error_set(err, CCG_ERR_NOMEM, "channel.open", "mapping");
		goto fail;
	}
	if ((st = dp_tx_init(&d->tx, d->shm, &d->p, DP_D2H, chan_secret)) != CCG_OK ||
	    (st = dp_rx_init(&d->rx, d->shm, &d->p, DP_H2D, chan_secret)) != CCG_OK)
		goto fail;
	if (gpusim_copy_engine(c->s) == GPUSIM_CE_OFFLOAD) {
		/* hardware off the host's CPUs: dev_wait polls the doorbell now and then; sending
		 * (read data, echoes) sleeps at once when the ring is full */
		d->offload = true;
		d->tx.r.spin_ns = 0;
	}
	c->ch = d;
	if (pthread_create(&d->th, NULL, dev_main, d) != 0) {
		st = ccg_error_set(err, CCG_ERR_NOMEM, "channel.open", "thread");
		goto fail;
	}
	d->started = true;
	return CCG_OK;
fail:
	c->ch = d;
	channel_stop(c);
	return st;
}

/* the answer to a control request: done (status 0), or refused with e's status and text */
static enum ccg_status control_answer(uint8_t op, const uint8_t *random, const struct ccg_error *e,
				      struct ccg_buf *rsp)
{
	struct dp_ctl a;
	char text[CCG_ERROR_WHERE_MAX + CCG_ERROR_DETAIL_MAX + 64];

	memset(&a, 0, sizeof(a));
	a.op = op;
	a.value = e != NULL ? (uint32_t)e->status : CCG_OK;
	if (random != NULL)
		memcpy(a.random, random, DP_RANDOM_LEN);
	if (e != NULL)
		ccg_error_format(e, text, sizeof(text));
	return dp_ctl_encode(true, &a, e != NULL ? text : NULL, rsp);
}

/*
 * CHANNEL_OPEN / CHANNEL_CLOSE, as VENDOR_DEFINED requests inside the
 * session (channel/dp.h). An open derives the channel's keys from both ends'
 * random values, its parameters and the session's open counter
 * (dp_channel_secret), so no open of this session reuses a key.
 */
static enum ccg_status on_channel_control(struct gpusim_conn *c, const uint8_t *msg, size_t len, int fd,
					  struct ccg_buf *rsp)
{
	struct dp_ctl req;
	struct ccg_error e;
	struct ccg_secret *cs = NULL;
	uint8_t random[DP_RANDOM_LEN];
	size_t start = rsp->len;
	enum ccg_status st;

	ccg_error_clear(&e);
	if (dp_ctl_parse(msg, len, false, &req, &e) != CCG_OK)
		return strcmp(e.where, "channel.control.vendor") == 0
			       ? spdm_err(rsp, SPDM_ERR_UNSUPPORTED_REQUEST, SPDM_VENDOR_DEFINED_REQUEST)
			       : spdm_err(rsp, SPDM_ERR_INVALID_REQUEST, 0);
	if (req.op == DP_CTL_CLOSE) {
		if (c->ch == NULL || c->ch->p.channel_id != req.value) {
			ccg_error_set(&e, CCG_ERR_PROTOCOL, "channel.close", "no open channel 0x%08x", req.value);
			return control_answer(req.op, NULL, &e, rsp);
		}
		channel_stop(c);
		return control_answer(req.op, NULL, NULL, rsp);
	}
	if (req.value != c->channel_opens) {
		ccg_error_set(&e, CCG_ERR_PROTOCOL, "channel.open.counter", "open %u, this session's next is %u",
			      req.value, c->channel_opens);
		return control_answer(req.op, NULL, &e, rsp);
	}
	/* this end's fresh random; the answer as it will be sent goes into the key derivation */
	if ((st = ccg_random(random, sizeof(random))) != CCG_OK || (st = ccg_secret_new(SPDM_H, &cs)) != CCG_OK ||
	    (st = control_answer(req.op, random, NULL, rsp)) != CCG_OK ||
	    (st = dp_channel_secret(spdm_secret(&c->ks, SPDM_S_EXPORT), msg, len, rsp->data + start, rsp->len - start,
				    cs->data)) != CCG_OK)
		goto out;
	if (channel_start(c, req.params, fd, cs->data, &e) != CCG_OK) {
		rsp->len = start;
		st = control_answer(req.op, NULL, &e, rsp);
		goto out;
	}
	c->channel_opens++;
out:
	OPENSSL_cleanse(random, sizeof(random));
	ccg_secret_free(cs);
	return st;
}

/* ---------- frames ---------- */

static enum ccg_status error_frame(struct ccg_buf *out, uint16_t device, const struct ccg_error *e)
{
	struct ccg_buf p;
	char text[CCG_ERROR_WHERE_MAX + CCG_ERROR_DETAIL_MAX + 64];
	enum ccg_status st;

	ccg_buf_init(&p, 0);
	ccg_error_format(e, text, sizeof(text));
	if ((st = ccg_buf_append_u32le(&p, (uint32_t)e->status)) == CCG_OK && (st = ccg_buf_append_str(&p, text)) == CCG_OK)
		st = ccg_frame_append(out, CCG_FRAME_ERROR, device, 0, p.data, p.len);
	ccg_buf_cleanup(&p);
	return st;
}

static bool owned(const struct ccg_frame *f)
{
	if (f->type == CCG_FRAME_SECURED_SPDM || f->type == CCG_FRAME_CHANNEL_OPEN || f->type == CCG_FRAME_CHANNEL_CLOSE)
		return true;
	/* plain SPDM other than the 1.1 GET_MEASUREMENTS of the attestation path */
	return f->type == CCG_FRAME_SPDM && !(f->payload.len >= 2 && f->payload.data[1] == SPDM_GET_MEASUREMENTS);
}

enum ccg_status gpusim_conn_handle(struct gpusim_conn *c, const uint8_t *in, size_t in_len, int passed_fd,
				   struct ccg_buf *out, struct ccg_error *err)
{
	struct ccg_cursor cur;
	struct ccg_frame f;
	struct ccg_error e;
	struct ccg_buf msg, rsp;
	uint8_t answer = 0;
	uint32_t sid = 0;
	bool rsp_new_key = false, end = false;
	enum ccg_status st;

	ccg_error_clear(&e);
	ccg_cursor_init(&cur, in, in_len);
	if (ccg_frame_parse(&cur, &f, NULL) != CCG_OK || cur.len != 0 || !owned(&f)) {
		if (passed_fd >= 0)
			close(passed_fd);
		return gpusim_handle_frame(c->s, in, in_len, out, err);
	}
	ccg_buf_init(&msg, SPDM_MAX_MSG);
	ccg_buf_init(&rsp, CCG_FRAME_MAX_PAYLOAD);
	if (f.device >= gpusim_count(c->s)) {
		st = ccg_error_set(&e, CCG_ERR_INVALID_ARG, "frame.device", "no GPU %u", f.device);
	} else if (f.type == CCG_FRAME_SPDM) {
		answer = CCG_FRAME_SPDM;
		st = f.session_id != 0 ? ccg_error_set(&e, CCG_ERR_MALFORMED, "frame.session_id", "plain SPDM in a session")
				       : on_plain(c, f.device, f.payload.data, f.payload.len, &rsp);
	} else if (f.type == CCG_FRAME_SECURED_SPDM) {
		answer = CCG_FRAME_SECURED_SPDM;
		sid = c->session_id;
		if (c->state != ST_HANDSHAKE && c->state != ST_SESSION)
			st = ccg_error_set(&e, CCG_ERR_UNSUPPORTED, "frame.session_id", "no secure session is open");
		else if (f.session_id != c->session_id || f.device != c->gpu)
			st = ccg_error_set(&e, CCG_ERR_MALFORMED, "frame.session_id", "session 0x%08x is not open",
					   f.session_id);
		else if ((st = spdm_record_open(&c->req, c->session_id, f.payload.data, f.payload.len, &msg, &e)) == CCG_OK &&
			 (st = on_secured(c, msg.data, msg.len, passed_fd, &rsp, &rsp_new_key, &end)) ==
				 CCG_OK) {
			struct ccg_buf rec;

			ccg_buf_init(&rec, CCG_FRAME_MAX_PAYLOAD);
			st = spdm_record_seal(&c->rsp, c->session_id, rsp.data, rsp.len, &rec);
			if (st == CCG_OK && rsp_new_key &&
			    ((st = spdm_dir_set(&c->req, spdm_secret(&c->ks, SPDM_S_REQ_DATA))) != CCG_OK ||
			     (st = spdm_dir_set(&c->rsp, spdm_secret(&c->ks, SPDM_S_RSP_DATA))) != CCG_OK))
				ccg_error_set(&e, st, "spdm.finish", "data keys");
			rsp.len = 0;
			if (st == CCG_OK)
				st = ccg_buf_append(&rsp, rec.data, rec.len);
			ccg_buf_cleanup(&rec);
			if (end) {
				channel_stop(c);
				c->state = ST_NONE;
				c->session_id = 0;
			}
		}
	} else {
		/* a plain CHANNEL_OPEN / CHANNEL_CLOSE frame could come from anyone on the path (the host):
		 * channel control is only accepted inside the SPDM session */
		st = ccg_error_set(&e, CCG_ERR_PROTOCOL, "channel.control",
				   "plain %s frame refused: channel control travels inside the SPDM session",
				   f.type == CCG_FRAME_CHANNEL_OPEN ? "CHANNEL_OPEN" : "CHANNEL_CLOSE");
	}
	if (passed_fd >= 0)
		close(passed_fd);
	if (st != CCG_OK && e.status == CCG_OK)
		ccg_error_set(&e, st, "gpusim.spdm", "answering");
	if (st == CCG_OK)
		st = ccg_frame_append(out, answer, f.device, sid, rsp.data, rsp.len);
	else
		st = error_frame(out, f.device, &e);
	ccg_buf_cleanup(&msg);
	ccg_buf_cleanup(&rsp);
	if (st != CCG_OK)
		return ccg_error_set(err, st, "gpusim.frame", "no answer could be built");
	return CCG_OK;
}
