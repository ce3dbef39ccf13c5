/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The SPDM 1.2 requester (DSP0274): VCA, certificate retrieval and chain
 * verification (attest/x509_chain), KEY_EXCHANGE with the signature over the
 * transcript, FINISH, then HEARTBEAT / KEY_UPDATE / END_SESSION inside the
 * DSP0277 session. Every response is parsed field by field with the cursor.
 */
#include <openssl/crypto.h>
#include <openssl/x509.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "attest/pki/x509_chain.h"
#include "channel/internal.h"
#include "common/crypto.h"
#include "common/error.h"
#include "common/writer.h"
#include "wire/frame.h"

#define REQ_FLAGS (SPDM_CAP_ENCRYPT | SPDM_CAP_MAC | SPDM_CAP_KEY_EX | SPDM_CAP_HBEAT | SPDM_CAP_KEY_UPD)
#define RSP_NEEDS \
	(SPDM_CAP_CERT | SPDM_CAP_ENCRYPT | SPDM_CAP_MAC | SPDM_CAP_KEY_EX | SPDM_CAP_HBEAT | SPDM_CAP_KEY_UPD)

/* one frame out (pass_fd >= 0 rides along), one frame of type `want` back; payload appended to rsp */
static enum ccg_status transact_fd(struct ccg_session *s, uint8_t type, uint8_t want, uint32_t sid, const uint8_t *p,
				   size_t len, int pass_fd, struct ccg_buf *rsp, struct ccg_error *err)
{
	/* a refusal by the device is a transport failure here, whatever status it names */
	const struct ccg_frame_call call = {.type = type,
					    .device = s->device,
					    .session_id = sid,
					    .payload = p,
					    .len = len,
					    .pass_fd = pass_fd,
					    .want = want,
					    .where = "channel.transport",
					    .bad_answer = CCG_ERR_PROTOCOL,
					    .adopt_refusal = false};
	struct ccg_frame f;
	enum ccg_status st;

	if ((st = ccg_frame_call(s->fd, &call, &s->io, &f, err)) != CCG_OK)
		return st;
	return ccg_buf_append(rsp, f.payload.data, f.payload.len);
}

static enum ccg_status transact(struct ccg_session *s, uint8_t type, uint8_t want, uint32_t sid, const uint8_t *p,
				size_t len, struct ccg_buf *rsp, struct ccg_error *err)
{
	return transact_fd(s, type, want, sid, p, len, -1, rsp, err);
}

/* checks the SPDM header of a response: version, code, or an SPDM ERROR */
static enum ccg_status check_rsp(struct ccg_cursor *c, uint8_t version, uint8_t code, const char *where, uint8_t *p1,
				 uint8_t *p2, struct ccg_error *err)
{
	uint8_t v = 0, rc = 0, a = 0, b = 0;

	if (!ccg_cursor_get_u8(c, &v) || !ccg_cursor_get_u8(c, &rc) || !ccg_cursor_get_u8(c, &a) ||
	    !ccg_cursor_get_u8(c, &b))
		return ccg_error_set(err, CCG_ERR_TRUNCATED, where, "SPDM header");
	if (rc == SPDM_ERROR)
		return ccg_error_set(err, CCG_ERR_PROTOCOL, where, "SPDM ERROR code 0x%02x data 0x%02x", a, b);
	if (v != version || rc != code)
		return ccg_error_set(err, CCG_ERR_PROTOCOL, where, "version 0x%02x code 0x%02x, expected 0x%02x 0x%02x",
				     v, rc, version, code);
	if (p1 != NULL)
		*p1 = a;
	if (p2 != NULL)
		*p2 = b;
	return CCG_OK;
}

static enum ccg_status plain(struct ccg_session *s, const uint8_t *req, size_t len, struct ccg_buf *rsp,
			     struct ccg_error *err)
{
	rsp->len = 0;
	return transact(s, CCG_FRAME_SPDM, CCG_FRAME_SPDM, 0, req, len, rsp, err);
}

enum ccg_status session_secured_exchange(struct ccg_session *s, const uint8_t *req, size_t req_len, struct ccg_buf *rsp,
					 struct ccg_error *err)
{
	return session_secured_exchange_fd(s, req, req_len, -1, rsp, err);
}

enum ccg_status session_secured_exchange_fd(struct ccg_session *s, const uint8_t *req, size_t req_len, int pass_fd,
					    struct ccg_buf *rsp, struct ccg_error *err)
{
	struct ccg_buf rec, in;
	enum ccg_status st;

	if (s->ended)
		return ccg_error_set(err, CCG_ERR_CHANNEL_CLOSED, "spdm.session", "ended");
	ccg_buf_init(&rec, CCG_FRAME_MAX_PAYLOAD);
	ccg_buf_init(&in, CCG_FRAME_MAX_PAYLOAD);
	rsp->len = 0;
	if ((st = spdm_record_seal(&s->req, s->session_id, req, req_len, &rec)) != CCG_OK ||
	    (st = transact_fd(s, CCG_FRAME_SECURED_SPDM, CCG_FRAME_SECURED_SPDM, s->session_id, rec.data, rec.len,
			      pass_fd, &in, err)) != CCG_OK ||
	    (st = spdm_record_open(&s->rsp, s->session_id, in.data, in.len, rsp, err)) != CCG_OK)
		goto out;
out:
	if (st != CCG_OK && err != NULL && err->status == CCG_OK)
		ccg_error_set(err, st, "spdm.session", "secured exchange");
	ccg_buf_cleanup(&rec);
	ccg_buf_cleanup(&in);
	return st;
}

static enum ccg_status th_hash(const struct ccg_session *s, uint8_t out[SPDM_H])
{
	return ccg_sha384(s->th.data, s->th.len, out);
}

/* ---------- VCA ---------- */

static enum ccg_status vca(struct ccg_session *s, struct ccg_buf *rsp, struct ccg_error *err)
{
	static const uint8_t get_version[4] = {SPDM_V10, SPDM_GET_VERSION, 0, 0};
	uint8_t caps[20];
	uint8_t algs[48] = {
		SPDM_V12, SPDM_NEGOTIATE_ALGORITHMS, 4, 0, 48, 0, SPDM_MEAS_SPEC_DMTF, SPDM_OTHER_OPAQUE_FMT1};
	static const uint8_t structs[16] = {SPDM_ALG_TYPE_DHE,          0x20, 0x10, 0x00,
					    SPDM_ALG_TYPE_AEAD,         0x20, 0x02, 0x00,
					    SPDM_ALG_TYPE_REQ_ASYM,     0x20, 0x80, 0x00,
					    SPDM_ALG_TYPE_KEY_SCHEDULE, 0x20, 0x01, 0x00};
	struct ccg_cursor c, entries;
	struct ccg_writer w;
	uint8_t count = 0, rsvd = 0, p1 = 0, ms = 0, other = 0, ext_a = 0, ext_h = 0;
	uint32_t flags = 0, dts = 0, maxm = 0, mhash = 0, asym = 0, hash = 0;
	uint16_t length = 0, r16 = 0;
	bool v12 = false;
	enum ccg_status st;

	/* GET_VERSION / VERSION */
	if ((st = plain(s, get_version, sizeof(get_version), rsp, err)) != CCG_OK)
		return st;
	ccg_cursor_init(&c, rsp->data, rsp->len);
	if ((st = check_rsp(&c, SPDM_V10, SPDM_VERSION, "spdm.version", NULL, NULL, err)) != CCG_OK)
		return st;
	if (!ccg_cursor_get_u8(&c, &rsvd) || !ccg_cursor_get_u8(&c, &count) ||
	    !ccg_cursor_get_bytes(&c, &entries, (size_t)count * 2))
		return ccg_error_set(err, CCG_ERR_TRUNCATED, "spdm.version.entries", "%u entries", count);
	if ((st = ccg_cursor_finish(&c, "spdm.version", err)) != CCG_OK)
		return st;
	while (entries.len > 0) {
		uint8_t update = 0, version = 0;

		/* VersionNumberEntry, u16 LE: UpdateVersion.Alpha in the low byte, Major.Minor in the high one */
		if (!ccg_cursor_get_u8(&entries, &update) || !ccg_cursor_get_u8(&entries, &version))
			break;
		if (version == SPDM_V12)
			v12 = true;
	}
	if (!v12)
		return ccg_error_set(err, CCG_ERR_UNSUPPORTED, "spdm.version", "the responder does not offer SPDM 1.2");
	if ((st = ccg_buf_append(&s->th, get_version, sizeof(get_version))) != CCG_OK ||
	    (st = ccg_buf_append(&s->th, rsp->data, rsp->len)) != CCG_OK)
		return st;

	/* GET_CAPABILITIES / CAPABILITIES */
	/* header, reserved, CTExponent, reserved, Flags, DataTransferSize, MaxSPDMmsgSize */
	ccg_writer_init_fixed(&w, caps, sizeof(caps));
	if (!ccg_writer_put_u8(&w, SPDM_V12) || !ccg_writer_put_u8(&w, SPDM_GET_CAPABILITIES) ||
	    !ccg_writer_put_zeros(&w, 6) || !ccg_writer_put_u32le(&w, REQ_FLAGS) ||
	    !ccg_writer_put_u32le(&w, SPDM_MAX_MSG) || !ccg_writer_put_u32le(&w, SPDM_MAX_MSG))
		return ccg_writer_finish(&w, NULL, "spdm.get_capabilities", err);
	if ((st = plain(s, caps, sizeof(caps), rsp, err)) != CCG_OK)
		return st;
	ccg_cursor_init(&c, rsp->data, rsp->len);
	if ((st = check_rsp(&c, SPDM_V12, SPDM_CAPABILITIES, "spdm.capabilities", NULL, NULL, err)) != CCG_OK)
		return st;
	if (!ccg_cursor_get_u8(&c, &rsvd) || !ccg_cursor_get_u8(&c, &rsvd) || !ccg_cursor_get_u16le(&c, &r16) ||
	    !ccg_cursor_get_u32le(&c, &flags) || !ccg_cursor_get_u32le(&c, &dts) || !ccg_cursor_get_u32le(&c, &maxm))
		return ccg_error_set(err, CCG_ERR_TRUNCATED, "spdm.capabilities", "20 bytes");
	if ((st = ccg_cursor_finish(&c, "spdm.capabilities", err)) != CCG_OK)
		return st;
	if ((flags & RSP_NEEDS) != RSP_NEEDS)
		return ccg_error_set(err, CCG_ERR_UNSUPPORTED, "spdm.capabilities.flags",
				     "0x%08x lacks CERT, ENCRYPT, MAC, KEY_EX, HBEAT or KEY_UPD", flags);
	if (dts < 256 || maxm < dts)
		return ccg_error_set(err, CCG_ERR_MALFORMED, "spdm.capabilities.data_transfer_size", "%u / %u", dts,
				     maxm);
	if ((st = ccg_buf_append(&s->th, caps, sizeof(caps))) != CCG_OK ||
	    (st = ccg_buf_append(&s->th, rsp->data, rsp->len)) != CCG_OK)
		return st;

	/* NEGOTIATE_ALGORITHMS / ALGORITHMS */
	algs[8] = (uint8_t)SPDM_ASYM_ECDSA_P384;
	algs[12] = (uint8_t)SPDM_HASH_SHA384;
	memcpy(algs + 32, structs, sizeof(structs));
	if ((st = plain(s, algs, sizeof(algs), rsp, err)) != CCG_OK)
		return st;
	ccg_cursor_init(&c, rsp->data, rsp->len);
	if ((st = check_rsp(&c, SPDM_V12, SPDM_ALGORITHMS, "spdm.algorithms", &p1, NULL, err)) != CCG_OK)
		return st;
	if (!ccg_cursor_get_u16le(&c, &length) || !ccg_cursor_get_u8(&c, &ms) || !ccg_cursor_get_u8(&c, &other) ||
	    !ccg_cursor_get_u32le(&c, &mhash) || !ccg_cursor_get_u32le(&c, &asym) || !ccg_cursor_get_u32le(&c, &hash) ||
	    !ccg_cursor_skip(&c, 12) || !ccg_cursor_get_u8(&c, &ext_a) || !ccg_cursor_get_u8(&c, &ext_h) ||
	    !ccg_cursor_get_u16le(&c, &r16))
		return ccg_error_set(err, CCG_ERR_TRUNCATED, "spdm.algorithms", "36 bytes");
	if (length != rsp->len || ext_a != 0 || ext_h != 0 || p1 > 4 || c.len != (size_t)p1 * 4)
		return ccg_error_set(err, CCG_ERR_MALFORMED, "spdm.algorithms.length",
				     "Length %u of %zu, %u structures", length, rsp->len, p1);
	if (asym != SPDM_ASYM_ECDSA_P384 || hash != SPDM_HASH_SHA384)
		return ccg_error_set(err, CCG_ERR_UNSUPPORTED, "spdm.algorithms", "asym 0x%x hash 0x%x", asym, hash);
	for (uint8_t i = 0; i < p1; i++) {
		uint8_t type = 0, cnt = 0;
		uint16_t sel = 0;

		if (!ccg_cursor_get_u8(&c, &type) || !ccg_cursor_get_u8(&c, &cnt) || !ccg_cursor_get_u16le(&c, &sel))
			return ccg_error_set(err, CCG_ERR_TRUNCATED, "spdm.algorithms.struct", "%u", i);
		if (cnt != 0x20 || (type == SPDM_ALG_TYPE_DHE && sel != SPDM_DHE_SECP384R1) ||
		    (type == SPDM_ALG_TYPE_AEAD && sel != SPDM_AEAD_AES256_GCM) ||
		    (type == SPDM_ALG_TYPE_KEY_SCHEDULE && sel != SPDM_KEY_SCHEDULE_SPDM) || type < 2 || type > 5)
			return ccg_error_set(err, CCG_ERR_UNSUPPORTED, "spdm.algorithms.struct",
					     "type %u selects 0x%04x", type, sel);
	}
	if ((st = ccg_buf_append(&s->th, algs, sizeof(algs))) != CCG_OK)
		return st;
	return ccg_buf_append(&s->th, rsp->data, rsp->len);
}

/* ---------- certificates ---------- */

/* the device's leaf is the certificate that was attested (ccg_session_opts.attested_leaf_der) */
static enum ccg_status check_leaf(X509 *leaf, const uint8_t *want, size_t want_len, struct ccg_error *err)
{
	unsigned char *der = NULL;
	int n = i2d_X509(leaf, &der);
	enum ccg_status st = CCG_OK;

	if (n <= 0)
		return ccg_openssl_error(err, CCG_ERR_ENCODING, "spdm.cert_chain.leaf", "DER of the leaf");
	if ((size_t)n != want_len || CRYPTO_memcmp(der, want, want_len) != 0)
		st = ccg_error_set(err, CCG_ERR_DEVICE_IDENTITY, "spdm.cert_chain.leaf",
				   "the device's certificate (%d bytes) is not the attested one (%zu bytes): "
				   "another device answers this session",
				   n, want_len);
	OPENSSL_free(der);
	return st;
}

static enum ccg_status get_chain(struct ccg_session *s, X509 *anchor, const struct ccg_session_opts *opts,
				 EVP_PKEY **leaf_key, struct ccg_buf *rsp, struct ccg_error *err)
{
	static const uint8_t get_digests[4] = {SPDM_V12, SPDM_GET_DIGESTS, 0, 0};
	uint8_t digest0[SPDM_H], root_hash[SPDM_H], h[SPDM_H], p2 = 0;
	struct ccg_buf chain;
	struct ccg_cursor c, certs, rh;
	STACK_OF(X509) *sk = NULL;
	struct ccg_chain_opts o;
	struct ccg_chain_result res;
	uint16_t total = 0, r16 = 0;
	enum ccg_status st;

	ccg_buf_init(&chain, SPDM_MAX_CERT_CHAIN);
	*leaf_key = NULL;
	if ((st = plain(s, get_digests, sizeof(get_digests), rsp, err)) != CCG_OK)
		goto out;
	ccg_cursor_init(&c, rsp->data, rsp->len);
	if ((st = check_rsp(&c, SPDM_V12, SPDM_DIGESTS, "spdm.digests", NULL, &p2, err)) != CCG_OK)
		goto out;
	if ((p2 & 1) == 0 || !ccg_cursor_copy_bytes(&c, digest0, SPDM_H) ||
	    c.len != (size_t)(__builtin_popcount(p2) - 1) * SPDM_H) {
		st = ccg_error_set(err, CCG_ERR_MALFORMED, "spdm.digests", "slot mask 0x%02x, %zu bytes", p2, rsp->len);
		goto out;
	}
	for (;;) {
		uint8_t req[8] = {SPDM_V12, SPDM_GET_CERTIFICATE, 0, 0};
		uint16_t portion = 0, remainder = 0;
		struct ccg_cursor data;
		struct ccg_writer w;
		uint8_t slot = 0;

		/* Offset, Length */
		ccg_writer_init_fixed(&w, req + 4, 4);
		if (!ccg_writer_put_u16le(&w, (uint16_t)chain.len) || !ccg_writer_put_u16le(&w, SPDM_CERT_PORTION)) {
			st = ccg_writer_finish(&w, NULL, "spdm.get_certificate", err);
			goto out;
		}
		if ((st = plain(s, req, sizeof(req), rsp, err)) != CCG_OK)
			goto out;
		ccg_cursor_init(&c, rsp->data, rsp->len);
		if ((st = check_rsp(&c, SPDM_V12, SPDM_CERTIFICATE, "spdm.certificate", &slot, NULL, err)) != CCG_OK)
			goto out;
		if (!ccg_cursor_get_u16le(&c, &portion) || !ccg_cursor_get_u16le(&c, &remainder) ||
		    !ccg_cursor_get_bytes(&c, &data, portion) || c.len != 0 || portion == 0 ||
		    portion > SPDM_CERT_PORTION || (slot & 0x0F) != 0) {
			st = ccg_error_set(err, CCG_ERR_MALFORMED, "spdm.certificate.portion", "portion %u", portion);
			goto out;
		}
		if ((st = ccg_buf_append(&chain, data.data, data.len)) != CCG_OK) {
			st = ccg_error_set(err, CCG_ERR_TOO_LARGE, "spdm.certificate", "chain over %d bytes",
					   SPDM_MAX_CERT_CHAIN);
			goto out;
		}
		if (remainder == 0)
			break;
	}
	/* the chain is the one DIGESTS named */
	if ((st = ccg_sha384(chain.data, chain.len, s->cert_hash)) != CCG_OK)
		goto out;
	if (CRYPTO_memcmp(s->cert_hash, digest0, SPDM_H) != 0) {
		st = ccg_error_set(err, CCG_ERR_MALFORMED, "spdm.certificate",
				   "chain hash differs from DIGESTS slot 0");
		goto out;
	}
	/* Length || Reserved || RootHash || Certificates (root first) */
	ccg_cursor_init(&c, chain.data, chain.len);
	if (!ccg_cursor_get_u16le(&c, &total) || !ccg_cursor_get_u16le(&c, &r16) ||
	    !ccg_cursor_get_bytes(&c, &rh, SPDM_H) || total != chain.len || c.len == 0) {
		st = ccg_error_set(err, CCG_ERR_MALFORMED, "spdm.cert_chain.length", "Length %u of %zu", total,
				   chain.len);
		goto out;
	}
	memcpy(root_hash, rh.data, SPDM_H);
	certs = c;
	sk = sk_X509_new_null();
	if (sk == NULL) {
		st = CCG_ERR_NOMEM;
		goto out;
	}
	while (certs.len > 0) {
		const unsigned char *p = certs.data;
		X509 *x;

		if (sk_X509_num(sk) >= CCG_CHAIN_MAX_CERTS) {
			st = ccg_error_set(err, CCG_ERR_TOO_LARGE, "spdm.cert_chain", "more than %d certificates",
					   CCG_CHAIN_MAX_CERTS);
			goto out;
		}
		x = d2i_X509(NULL, &p, (long)certs.len);
		if (x == NULL) {
			st = ccg_openssl_error(err, CCG_ERR_ENCODING, "spdm.cert_chain", "bad DER certificate");
			goto out;
		}
		if (sk_X509_num(sk) == 0 && (ccg_sha384(certs.data, (size_t)(p - certs.data), h) != CCG_OK ||
					     CRYPTO_memcmp(h, root_hash, SPDM_H) != 0)) {
			X509_free(x);
			st = ccg_error_set(err, CCG_ERR_MALFORMED, "spdm.cert_chain.root_hash",
					   "not the first certificate's hash");
			goto out;
		}
		if (!ccg_cursor_skip(&certs, (size_t)(p - certs.data)) || sk_X509_unshift(sk, x) <= 0) {
			X509_free(x);
			st = CCG_ERR_INTERNAL;
			goto out;
		}
	}
	memset(&o, 0, sizeof(o));
	o.anchor = anchor;
	o.now = opts->now;
	o.name = "device chain";
	if ((st = ccg_chain_verify(sk, &o, &res, err)) != CCG_OK)
		goto out;
	if (opts->attested_leaf_der != NULL && (st = check_leaf(sk_X509_value(sk, 0), opts->attested_leaf_der,
								opts->attested_leaf_der_len, err)) != CCG_OK)
		goto out;
	*leaf_key = X509_get_pubkey(sk_X509_value(sk, 0));
	if (*leaf_key == NULL)
		st = ccg_openssl_error(err, CCG_ERR_CERT_CHAIN, "spdm.cert_chain", "leaf public key");
out:
	sk_X509_pop_free(sk, X509_free);
	ccg_buf_cleanup(&chain);
	return st;
}

/* ---------- KEY_EXCHANGE / FINISH ---------- */

static enum ccg_status key_exchange(struct ccg_session *s, EVP_PKEY *leaf, struct ccg_buf *rsp, struct ccg_error *err)
{
	uint8_t req[4 + 4 + SPDM_RANDOM_LEN + SPDM_DHE_LEN + 2] = {SPDM_V12, SPDM_KEY_EXCHANGE, 0, 0};
	uint8_t peer[SPDM_DHE_LEN], dhe[SPDM_H], th[SPDM_H], sig_in[SPDM_SIGN_INPUT_LEN], mac[SPDM_H];
	uint8_t finish[4 + SPDM_H] = {SPDM_V12, SPDM_FINISH, 0, 0};
	uint8_t mut = 0, slot = 0;
	uint16_t req_sid = 0, rsp_sid = 0, olen = 0;
	struct ccg_cursor c, rnd, opaque, sig, vd;
	struct ccg_writer w;
	EVP_PKEY *eph = NULL;
	size_t signed_len;
	enum ccg_status st;

	if ((st = ccg_random((uint8_t *)&req_sid, sizeof(req_sid))) != CCG_OK ||
	    (st = ccg_random(req + 8, SPDM_RANDOM_LEN)) != CCG_OK || (st = spdm_ecdhe_new(&eph, peer)) != CCG_OK)
		goto out;
	req_sid |= 1;
	ccg_writer_init_fixed(&w, req + 4, 2);
	if (!ccg_writer_put_u16le(&w, req_sid)) {
		st = ccg_writer_finish(&w, NULL, "spdm.key_exchange", err);
		goto out;
	}
	memcpy(req + 8 + SPDM_RANDOM_LEN, peer, SPDM_DHE_LEN);
	if ((st = ccg_buf_append(&s->th, s->cert_hash, SPDM_H)) != CCG_OK ||
	    (st = plain(s, req, sizeof(req), rsp, err)) != CCG_OK)
		goto out;
	ccg_cursor_init(&c, rsp->data, rsp->len);
	if ((st = check_rsp(&c, SPDM_V12, SPDM_KEY_EXCHANGE_RSP, "spdm.key_exchange_rsp", NULL, NULL, err)) != CCG_OK)
		goto out;
	if (!ccg_cursor_get_u16le(&c, &rsp_sid) || !ccg_cursor_get_u8(&c, &mut) || !ccg_cursor_get_u8(&c, &slot) ||
	    !ccg_cursor_get_bytes(&c, &rnd, SPDM_RANDOM_LEN) || !ccg_cursor_copy_bytes(&c, peer, SPDM_DHE_LEN) ||
	    !ccg_cursor_get_u16le(&c, &olen) || !ccg_cursor_get_bytes(&c, &opaque, olen) ||
	    !ccg_cursor_get_bytes(&c, &sig, SPDM_SIG_LEN) || !ccg_cursor_get_bytes(&c, &vd, SPDM_H)) {
		st = ccg_error_set(err, CCG_ERR_TRUNCATED, "spdm.key_exchange_rsp", "%zu bytes", rsp->len);
		goto out;
	}
	if ((st = ccg_cursor_finish(&c, "spdm.key_exchange_rsp", err)) != CCG_OK)
		goto out;
	if (mut != 0 || rsp_sid == 0) {
		st = ccg_error_set(err, CCG_ERR_UNSUPPORTED, "spdm.key_exchange_rsp",
				   "mutual authentication or session 0");
		goto out;
	}
	/* signature over prefix || Hash(VCA || Hash(CertChain) || KEY_EXCHANGE || KEY_EXCHANGE_RSP before it) */
	signed_len = (size_t)(sig.data - rsp->data);
	if ((st = ccg_buf_append(&s->th, req, sizeof(req))) != CCG_OK ||
	    (st = ccg_buf_append(&s->th, rsp->data, signed_len)) != CCG_OK || (st = th_hash(s, th)) != CCG_OK)
		goto out;
	spdm_sign_input(SPDM_KEX_SIGN_CONTEXT, th, sig_in);
	if ((st = ccg_ecdsa_verify_raw(leaf, "SHA384", sig_in, sizeof(sig_in), sig.data, sig.len,
				       "spdm.key_exchange_rsp.signature", err)) != CCG_OK)
		goto out;
	/* TH1 includes the signature; the handshake secrets follow from it */
	if ((st = ccg_buf_append(&s->th, sig.data, sig.len)) != CCG_OK || (st = th_hash(s, th)) != CCG_OK ||
	    (st = spdm_ecdhe_derive(eph, peer, dhe, err)) != CCG_OK ||
	    (st = spdm_schedule_handshake(&s->ks, dhe, sizeof(dhe), th)) != CCG_OK ||
	    (st = spdm_hmac(spdm_secret(&s->ks, SPDM_S_RSP_FINISHED), th, SPDM_H, mac)) != CCG_OK)
		goto out;
	if (CRYPTO_memcmp(mac, vd.data, SPDM_H) != 0) {
		st = ccg_error_set(err, CCG_ERR_MAC, "spdm.key_exchange_rsp.responder_verify_data",
				   "HMAC does not verify");
		goto out;
	}
	s->session_id = spdm_session_id(req_sid, rsp_sid);
	if ((st = ccg_buf_append(&s->th, vd.data, vd.len)) != CCG_OK ||
	    (st = spdm_dir_set(&s->req, spdm_secret(&s->ks, SPDM_S_REQ_HS))) != CCG_OK ||
	    (st = spdm_dir_set(&s->rsp, spdm_secret(&s->ks, SPDM_S_RSP_HS))) != CCG_OK)
		goto out;

	/* FINISH: RequesterVerifyData = HMAC(req finished key, Hash(TH || FINISH header)) */
	if ((st = ccg_buf_append(&s->th, finish, 4)) != CCG_OK || (st = th_hash(s, th)) != CCG_OK ||
	    (st = spdm_hmac(spdm_secret(&s->ks, SPDM_S_REQ_FINISHED), th, SPDM_H, finish + 4)) != CCG_OK ||
	    (st = ccg_buf_append(&s->th, finish + 4, SPDM_H)) != CCG_OK ||
	    (st = session_secured_exchange(s, finish, sizeof(finish), rsp, err)) != CCG_OK)
		goto out;
	ccg_cursor_init(&c, rsp->data, rsp->len);
	if ((st = check_rsp(&c, SPDM_V12, SPDM_FINISH_RSP, "spdm.finish_rsp", NULL, NULL, err)) != CCG_OK)
		goto out;
	if ((st = ccg_cursor_finish(&c, "spdm.finish_rsp", err)) != CCG_OK)
		goto out;
	if ((st = ccg_buf_append(&s->th, rsp->data, rsp->len)) != CCG_OK || (st = th_hash(s, th)) != CCG_OK ||
	    (st = spdm_schedule_data(&s->ks, th)) != CCG_OK ||
	    (st = spdm_dir_set(&s->req, spdm_secret(&s->ks, SPDM_S_REQ_DATA))) != CCG_OK ||
	    (st = spdm_dir_set(&s->rsp, spdm_secret(&s->ks, SPDM_S_RSP_DATA))) != CCG_OK)
		goto out;
	s->established = true;
out:
	OPENSSL_cleanse(dhe, sizeof(dhe));
	EVP_PKEY_free(eph);
	return st;
}

static enum ccg_status connect_unix(const char *path, int *out, struct ccg_error *err)
{
	struct sockaddr_un a;
	struct timeval tv = {.tv_sec = 10};
	int fd;

	memset(&a, 0, sizeof(a));
	a.sun_family = AF_UNIX;
	if (path == NULL || strlen(path) >= sizeof(a.sun_path))
		return ccg_error_set(err, CCG_ERR_INVALID_ARG, "channel.socket", "path missing or too long");
	memcpy(a.sun_path, path, strlen(path) + 1);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&a, sizeof(a)) != 0) {
		if (fd >= 0)
			close(fd);
		return ccg_error_set(err, CCG_ERR_IO, path, "cannot connect");
	}
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	*out = fd;
	return CCG_OK;
}

enum ccg_status ccg_session_open(const struct ccg_session_opts *opts, struct ccg_session **out, struct ccg_error *err)
{
	struct ccg_session *s = NULL;
	STACK_OF(X509) *roots = NULL;
	EVP_PKEY *leaf = NULL;
	struct ccg_buf rsp;
	enum ccg_status st;

	*out = NULL;
	ccg_buf_init(&rsp, CCG_FRAME_MAX_PAYLOAD);
	if (opts == NULL || opts->device > UINT16_MAX)
		return ccg_error_set(err, CCG_ERR_INVALID_ARG, "channel.session", "options");
	if ((opts->root_file == NULL) == (opts->root_pem == NULL))
		return ccg_error_set(err, CCG_ERR_INVALID_ARG, "channel.session.root",
				     "give the trust anchor as root_file or as root_pem, one of them");
	if (opts->attested_leaf_der != NULL && opts->attested_leaf_der_len == 0)
		return ccg_error_set(err, CCG_ERR_INVALID_ARG, "channel.session.attested_leaf",
				     "an empty attested certificate");
	s = calloc(1, sizeof(*s));
	if (s == NULL)
		return CCG_ERR_NOMEM;
	s->fd = -1;
	s->device = (uint16_t)opts->device;
	ccg_buf_init(&s->th, 64 * 1024);
	ccg_buf_init(&s->io, CCG_FRAME_HEADER_LEN + CCG_FRAME_MAX_PAYLOAD);
	if ((st = spdm_schedule_init(&s->ks)) != CCG_OK || (st = spdm_dir_init(&s->req)) != CCG_OK ||
	    (st = spdm_dir_init(&s->rsp)) != CCG_OK)
		goto out;
	if ((st = opts->root_file != NULL
			  ? ccg_pem_certs_load(opts->root_file, 1, &roots, err)
			  : ccg_pem_certs_parse(opts->root_pem, opts->root_pem_len, 1, &roots, err)) != CCG_OK ||
	    (st = connect_unix(opts->socket_path, &s->fd, err)) != CCG_OK || (st = vca(s, &rsp, err)) != CCG_OK ||
	    (st = get_chain(s, sk_X509_value(roots, 0), opts, &leaf, &rsp, err)) != CCG_OK ||
	    (st = key_exchange(s, leaf, &rsp, err)) != CCG_OK)
		goto out;
	*out = s;
	s = NULL;
out:
	EVP_PKEY_free(leaf);
	sk_X509_pop_free(roots, X509_free);
	ccg_buf_cleanup(&rsp);
	ccg_session_free(s);
	return st;
}

uint32_t ccg_session_id(const struct ccg_session *s)
{
	return s->session_id;
}

static enum ccg_status simple(struct ccg_session *s, uint8_t code, uint8_t p1, uint8_t p2, uint8_t want,
			      const char *where, struct ccg_error *err)
{
	uint8_t req[4] = {SPDM_V12, code, p1, p2}, a = 0, b = 0;
	struct ccg_buf rsp;
	struct ccg_cursor c;
	enum ccg_status st;

	ccg_buf_init(&rsp, SPDM_MAX_MSG);
	if (!s->established)
		return ccg_error_set(err, CCG_ERR_CHANNEL_CLOSED, where, "no session");
	if ((st = session_secured_exchange(s, req, sizeof(req), &rsp, err)) == CCG_OK) {
		ccg_cursor_init(&c, rsp.data, rsp.len);
		if ((st = check_rsp(&c, SPDM_V12, want, where, &a, &b, err)) == CCG_OK &&
		    (c.len != 0 || (code == SPDM_KEY_UPDATE && (a != p1 || b != p2))))
			st = ccg_error_set(err, CCG_ERR_MALFORMED, where, "acknowledgement fields");
	}
	ccg_buf_cleanup(&rsp);
	return st;
}

enum ccg_status ccg_session_heartbeat(struct ccg_session *s, struct ccg_error *err)
{
	return simple(s, SPDM_HEARTBEAT, 0, 0, SPDM_HEARTBEAT_ACK, "spdm.heartbeat", err);
}

enum ccg_status ccg_session_key_update(struct ccg_session *s, bool all, struct ccg_error *err)
{
	uint8_t op = all ? SPDM_KU_UPDATE_ALL_KEYS : SPDM_KU_UPDATE_KEY;
	uint8_t req[4] = {SPDM_V12, SPDM_KEY_UPDATE, op, ++s->ku_tag}, a = 0, b = 0;
	struct ccg_buf rec, in, rsp;
	struct ccg_cursor c;
	enum ccg_status st;

	if (!s->established || s->ended)
		return ccg_error_set(err, CCG_ERR_CHANNEL_CLOSED, "spdm.key_update", "no session");
	ccg_buf_init(&rec, CCG_FRAME_MAX_PAYLOAD);
	ccg_buf_init(&in, CCG_FRAME_MAX_PAYLOAD);
	ccg_buf_init(&rsp, SPDM_MAX_MSG);
	/* the request goes under the old keys; the ACK of UpdateAllKeys under the new response key */
	if ((st = spdm_record_seal(&s->req, s->session_id, req, sizeof(req), &rec)) != CCG_OK ||
	    (st = spdm_dir_update(&s->req)) != CCG_OK || (all && (st = spdm_dir_update(&s->rsp)) != CCG_OK) ||
	    (st = transact(s, CCG_FRAME_SECURED_SPDM, CCG_FRAME_SECURED_SPDM, s->session_id, rec.data, rec.len, &in,
			   err)) != CCG_OK ||
	    (st = spdm_record_open(&s->rsp, s->session_id, in.data, in.len, &rsp, err)) != CCG_OK)
		goto out;
	ccg_cursor_init(&c, rsp.data, rsp.len);
	if ((st = check_rsp(&c, SPDM_V12, SPDM_KEY_UPDATE_ACK, "spdm.key_update_ack", &a, &b, err)) != CCG_OK)
		goto out;
	if (a != op || b != req[3] || c.len != 0) {
		st = ccg_error_set(err, CCG_ERR_MALFORMED, "spdm.key_update_ack", "operation %u tag %u", a, b);
		goto out;
	}
	st = simple(s, SPDM_KEY_UPDATE, SPDM_KU_VERIFY_NEW_KEY, ++s->ku_tag, SPDM_KEY_UPDATE_ACK, "spdm.key_update_ack",
		    err);
out:
	if (st != CCG_OK)
		s->ended = true; /* the two ends' keys may now differ: the session is unusable */
	ccg_buf_cleanup(&rec);
	ccg_buf_cleanup(&in);
	ccg_buf_cleanup(&rsp);
	return st;
}

enum ccg_status ccg_session_end(struct ccg_session *s, struct ccg_error *err)
{
	enum ccg_status st = simple(s, SPDM_END_SESSION, 0, 0, SPDM_END_SESSION_ACK, "spdm.end_session", err);

	s->ended = true;
	s->established = false;
	spdm_schedule_cleanup(&s->ks);
	return st;
}

/* ccg_session_end_quiet: END_SESSION with the result dropped (branch api12) */
void ccg_session_end_quiet(struct ccg_session *s)
{
	if (s != NULL)
		CCG_IGNORE(ccg_session_end(s, NULL));
}

void ccg_session_free(struct ccg_session *s)
{
	if (s == NULL)
		return;
	if (s->fd >= 0)
		close(s->fd);
	spdm_schedule_cleanup(&s->ks);
	spdm_dir_cleanup(&s->req);
	spdm_dir_cleanup(&s->rsp);
	ccg_buf_cleanup(&s->th);
	ccg_buf_cleanup(&s->io);
	free(s);
}
