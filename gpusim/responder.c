/* SPDX-License-Identifier: Apache-2.0 */
/*
 * gpusim's end of the channel: an SPDM 1.2 responder (DSP0274) with
 * DSP0277 secured messages. CHANNEL_OPEN / CHANNEL_CLOSE inside the session
 * go to the device end of the data path (data_path.c).
 */
#include <openssl/crypto.h>
#include <openssl/x509.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/crypto.h"
#include "common/cursor.h"
#include "common/error.h"
#include "common/writer.h"
#include "gpusim/internal.h"
#include "wire/frame.h"
#include "wire/spdm_crypto.h"

#define RSP_FLAGS \
	(SPDM_CAP_CERT | SPDM_CAP_ENCRYPT | SPDM_CAP_MAC | SPDM_CAP_KEY_EX | SPDM_CAP_HBEAT | SPDM_CAP_KEY_UPD)

enum conn_state { ST_NONE, ST_VERSION, ST_CAPS, ST_ALGS, ST_HANDSHAKE, ST_SESSION };

struct gpusim_conn {
	struct gpusim *s;
	unsigned gpu;
	enum conn_state state;
	struct ccg_buf th;
	struct ccg_buf chain; /* SPDM cert chain of gpu */
	uint8_t chain_hash[SPDM_H];
	uint32_t session_id;
	struct spdm_schedule ks;
	struct spdm_dir_keys req, rsp;
	struct gpusim_dp_end dp; /* the device end of this session's data channel (data_path.c) */
};

enum ccg_status gpusim_conn_new(struct gpusim *s, struct gpusim_conn **out)
{
	struct gpusim_conn *c = calloc(1, sizeof(*c));
	enum ccg_status st;

	*out = NULL;
	if (c == NULL)
		return CCG_ERR_NOMEM;
	c->s = s;
	c->dp.s = s;
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
	gpusim_dp_stop(&c->dp);
	spdm_schedule_cleanup(&c->ks);
	spdm_dir_cleanup(&c->req);
	spdm_dir_cleanup(&c->rsp);
	ccg_buf_cleanup(&c->th);
	ccg_buf_cleanup(&c->chain);
	free(c);
}

/* ---------- SPDM (plain) ---------- */

/* an SPDM 1.2 ERROR response */
static enum ccg_status spdm_err(struct ccg_buf *out, uint8_t code, uint8_t data)
{
	return gpusim_spdm_error(out, SPDM_V12, code, data);
}

/* the GPU whose identity (chain, key) the session presents: its own, or another's under the fault */
static unsigned identity(const struct gpusim_conn *c)
{
	if (gpusim_fault_on(c->s, GPUSIM_FAULT_SESSION_OTHER_GPU, c->gpu))
		return (c->gpu + 1) % gpusim_count(c->s);
	return c->gpu;
}

/* the SPDM certificate chain: Length || Reserved || Hash(root) || DER root first */
static enum ccg_status build_chain(struct gpusim_conn *c)
{
	const char *pem = gpusim_chain_pem(c->s, identity(c));
	STACK_OF(X509) *sk = NULL;
	struct ccg_buf der;
	uint8_t root_hash[SPDM_H];
	struct ccg_writer w;
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
	ccg_writer_init_buf(&w, &c->chain);
	if (!ccg_writer_put_u16le(&w, (uint16_t)(4 + SPDM_H + der.len)) || !ccg_writer_put_zeros(&w, 2) ||
	    !ccg_writer_put_bytes(&w, root_hash, SPDM_H) || !ccg_writer_put_bytes(&w, der.data, der.len)) {
		st = w.failed;
		goto out;
	}
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
	    (st = ccg_buf_append_u8(out, SPDM_KEY_EXCHANGE_RSP)) != CCG_OK ||
	    (st = ccg_buf_append_u8(out, 0)) != CCG_OK || (st = ccg_buf_append_u8(out, 0)) != CCG_OK ||
	    (st = ccg_buf_append_u16le(out, rsp_sid)) != CCG_OK || (st = ccg_buf_append_u8(out, 0)) != CCG_OK ||
	    (st = ccg_buf_append_u8(out, 0)) != CCG_OK ||
	    (st = ccg_buf_append(out, random, sizeof(random))) != CCG_OK ||
	    (st = ccg_buf_append(out, pub, sizeof(pub))) != CCG_OK || (st = ccg_buf_append_u16le(out, 0)) != CCG_OK ||
	    (st = ccg_buf_append(&c->th, out->data + start, out->len - start)) != CCG_OK ||
	    (st = th_hash(c, th)) != CCG_OK)
		goto out;
	spdm_sign_input(SPDM_KEX_SIGN_CONTEXT, th, sig_in);
	if ((st = ccg_ecdsa_sign_raw(gpusim_gpu_key(c->s, identity(c)), "SHA384", sig_in, sizeof(sig_in), sig,
				     SPDM_SIG_LEN, "gpusim.spdm.key_exchange", NULL)) != CCG_OK)
		goto out;
	if (gpusim_fault_on(c->s, GPUSIM_FAULT_BAD_SIGNATURE, c->gpu))
		sig[SPDM_SIG_LEN - 1] ^= 0x01;
	if ((st = ccg_buf_append(out, sig, sizeof(sig))) != CCG_OK ||
	    (st = ccg_buf_append(&c->th, sig, sizeof(sig))) != CCG_OK || (st = th_hash(c, th)) != CCG_OK ||
	    (st = spdm_ecdhe_derive(eph, peer, dhe, NULL)) != CCG_OK ||
	    (st = spdm_schedule_handshake(&c->ks, dhe, sizeof(dhe), th)) != CCG_OK ||
	    (st = spdm_hmac(spdm_secret(&c->ks, SPDM_S_RSP_FINISHED), th, SPDM_H, vd)) != CCG_OK ||
	    (st = ccg_buf_append(out, vd, sizeof(vd))) != CCG_OK ||
	    (st = ccg_buf_append(&c->th, vd, sizeof(vd))) != CCG_OK ||
	    (st = spdm_dir_set(&c->req, spdm_secret(&c->ks, SPDM_S_REQ_HS))) != CCG_OK ||
	    (st = spdm_dir_set(&c->rsp, spdm_secret(&c->ks, SPDM_S_RSP_HS))) != CCG_OK)
		goto out;
	c->session_id = spdm_session_id(req_sid, rsp_sid);
	c->dp.opens = 0;
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
		gpusim_dp_stop(&c->dp);
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
		struct ccg_writer w;

		if (c->state != ST_VERSION)
			return spdm_err(out, SPDM_ERR_UNEXPECTED_REQUEST, 0);
		if (len != 20)
			return spdm_err(out, SPDM_ERR_INVALID_REQUEST, 0);
		/* Flags, DataTransferSize, MaxSPDMmsgSize */
		ccg_writer_init_fixed(&w, rsp + 8, sizeof(rsp) - 8);
		if (!ccg_writer_put_u32le(&w, RSP_FLAGS) || !ccg_writer_put_u32le(&w, SPDM_MAX_MSG) ||
		    !ccg_writer_put_u32le(&w, SPDM_MAX_MSG))
			return w.failed;
		if ((st = ccg_buf_append(&c->th, req, len)) != CCG_OK ||
		    (st = ccg_buf_append(&c->th, rsp, sizeof(rsp))) != CCG_OK)
			return st;
		c->state = ST_CAPS;
		return ccg_buf_append(out, rsp, sizeof(rsp));
	}
	case SPDM_NEGOTIATE_ALGORITHMS: {
		uint8_t rsp[52] = {SPDM_V12,
				   SPDM_ALGORITHMS,
				   4,
				   0,
				   52,
				   0,
				   SPDM_MEAS_SPEC_DMTF,
				   0,
				   0x04,
				   0,
				   0,
				   0,
				   (uint8_t)SPDM_ASYM_ECDSA_P384,
				   0,
				   0,
				   0,
				   (uint8_t)SPDM_HASH_SHA384};
		static const uint8_t structs[16] = {SPDM_ALG_TYPE_DHE,          0x20, 0x10, 0x00,
						    SPDM_ALG_TYPE_AEAD,         0x20, 0x02, 0x00,
						    SPDM_ALG_TYPE_REQ_ASYM,     0x20, 0x80, 0x00,
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
		    have != ((1u << SPDM_ALG_TYPE_DHE) | (1u << SPDM_ALG_TYPE_AEAD) |
			     (1u << SPDM_ALG_TYPE_KEY_SCHEDULE)))
			return spdm_err(out, SPDM_ERR_INVALID_REQUEST, 0);
		rsp[7] = other & SPDM_OTHER_OPAQUE_FMT1;
		memcpy(rsp + 36, structs, sizeof(structs));
		if ((st = ccg_buf_append(&c->th, req, len)) != CCG_OK ||
		    (st = ccg_buf_append(&c->th, rsp, sizeof(rsp))) != CCG_OK)
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
		    (st = ccg_buf_append_u8(out, SPDM_CERTIFICATE)) != CCG_OK ||
		    (st = ccg_buf_append_u8(out, 0)) != CCG_OK || (st = ccg_buf_append_u8(out, 0)) != CCG_OK ||
		    (st = ccg_buf_append_u16le(out, portion)) != CCG_OK ||
		    (st = ccg_buf_append_u16le(out, remainder)) != CCG_OK)
			return st;
		return ccg_buf_append(out, c->chain.data + off, portion);
	}
	case SPDM_KEY_EXCHANGE:
		if (c->state != ST_ALGS)
			return spdm_err(out, SPDM_ERR_UNEXPECTED_REQUEST, 0);
		return on_key_exchange(c, req, len, out);
	default: return spdm_err(out, SPDM_ERR_UNSUPPORTED_REQUEST, code);
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
		return gpusim_dp_control(&c->dp, spdm_secret(&c->ks, SPDM_S_EXPORT), msg, len, passed_fd, rsp);
	default: return spdm_err(rsp, SPDM_ERR_UNSUPPORTED_REQUEST, code);
	}
}

/* ---------- frames ---------- */

static bool owned(const struct ccg_frame *f)
{
	if (f->type == CCG_FRAME_SECURED_SPDM || f->type == CCG_FRAME_CHANNEL_OPEN ||
	    f->type == CCG_FRAME_CHANNEL_CLOSE)
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
		st = f.session_id != 0
			     ? ccg_error_set(&e, CCG_ERR_MALFORMED, "frame.session_id", "plain SPDM in a session")
			     : on_plain(c, f.device, f.payload.data, f.payload.len, &rsp);
	} else if (f.type == CCG_FRAME_SECURED_SPDM) {
		answer = CCG_FRAME_SECURED_SPDM;
		sid = c->session_id;
		if (c->state != ST_HANDSHAKE && c->state != ST_SESSION)
			st = ccg_error_set(&e, CCG_ERR_UNSUPPORTED, "frame.session_id", "no secure session is open");
		else if (f.session_id != c->session_id || f.device != c->gpu)
			st = ccg_error_set(&e, CCG_ERR_MALFORMED, "frame.session_id", "session 0x%08x is not open",
					   f.session_id);
		else if ((st = spdm_record_open(&c->req, c->session_id, f.payload.data, f.payload.len, &msg, &e)) ==
				 CCG_OK &&
			 (st = on_secured(c, msg.data, msg.len, passed_fd, &rsp, &rsp_new_key, &end)) == CCG_OK) {
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
				gpusim_dp_stop(&c->dp);
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
		st = ccg_frame_append_error(out, f.device, &e);
	ccg_buf_cleanup(&msg);
	ccg_buf_cleanup(&rsp);
	if (st != CCG_OK)
		return ccg_error_set(err, st, "gpusim.frame", "no answer could be built");
	return CCG_OK;
}
