/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The channel: the DSP0274 key schedule against a second computation with
 * OpenSSL's HKDF EVP_KDF straight from the specification's definitions;
 * DSP0277 records; an SPDM session with gpusim served from another process
 * over its UNIX socket (refusals: untrusted root, tampered KEY_EXCHANGE
 * signature); the data channel's attacks on the shared bounce buffers, each
 * a distinct error; rotation before exhaustion; bulk transfers.
 */
#include <stdarg.h>
#include <setjmp.h>
#include <stdbool.h>
#include <stddef.h>
#include <cmocka.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sched.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ccgpu/channel.h"
#include "channel/internal.h"
#include "common/crypto.h"
#include "common/file.h"
#include "gpusim/compute.h"
#include "gpusim/gpusim.h"
#include "gpusim/serve.h"
#include "testdata.h"
#include "wire/dp.h"
#include "wire/frame.h"
#include "wire/spdm_crypto.h"

static char *dir;
static char pki[512], other[512], sock[512], bad_sock[512], ce_sock[512], swap_sock[512], root[600], other_root[600];
static pid_t server, bad_server, ce_server, swap_server;

/* ---------- an independent key schedule: EVP_KDF HKDF, labels written out byte by byte ---------- */

static void kdf_extract(const uint8_t *salt, size_t salt_len, const uint8_t *ikm, size_t ikm_len, uint8_t out[48])
{
	EVP_KDF *kdf = EVP_KDF_fetch(NULL, "HKDF", NULL);
	EVP_KDF_CTX *c = EVP_KDF_CTX_new(kdf);
	int mode = EVP_KDF_HKDF_MODE_EXTRACT_ONLY;
	OSSL_PARAM p[] = {
		OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, (char *)"SHA384", 0),
		OSSL_PARAM_construct_int(OSSL_KDF_PARAM_MODE, &mode),
		OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SALT, (void *)salt, salt_len),
		OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY, (void *)ikm, ikm_len),
		OSSL_PARAM_construct_end(),
	};

	assert_int_equal(EVP_KDF_derive(c, out, 48, p), 1);
	EVP_KDF_CTX_free(c);
	EVP_KDF_free(kdf);
}

/* HKDF-Expand(prk, BinConcat(len, label, ctx)) with BinConcat assembled here from DSP0274 */
static void kdf_expand(const uint8_t prk[48], const char *label, const uint8_t *ctx, size_t ctx_len, uint8_t *out,
		       size_t len)
{
	uint8_t info[160];
	size_t n = 0;
	EVP_KDF *kdf = EVP_KDF_fetch(NULL, "HKDF", NULL);
	EVP_KDF_CTX *c = EVP_KDF_CTX_new(kdf);
	int mode = EVP_KDF_HKDF_MODE_EXPAND_ONLY;

	info[n++] = (uint8_t)(len & 0xFF);
	info[n++] = (uint8_t)(len >> 8);
	memcpy(info + n, "spdm1.2 ", 8);
	n += 8;
	memcpy(info + n, label, strlen(label));
	n += strlen(label);
	if (ctx_len > 0)
		memcpy(info + n, ctx, ctx_len);
	n += ctx_len;
	{
		OSSL_PARAM p[] = {
			OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, (char *)"SHA384", 0),
			OSSL_PARAM_construct_int(OSSL_KDF_PARAM_MODE, &mode),
			OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY, (void *)prk, 48),
			OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO, info, n),
			OSSL_PARAM_construct_end(),
		};

		assert_int_equal(EVP_KDF_derive(c, out, len, p), 1);
	}
	EVP_KDF_CTX_free(c);
	EVP_KDF_free(kdf);
}

static void test_key_schedule(void **state)
{
	struct spdm_schedule ks;
	struct spdm_dir_keys d;
	uint8_t dhe[48], th1[48], th2[48], zero[48] = {0};
	uint8_t hs[48], req_hs[48], rsp_hs[48], req_fin[48], rsp_fin[48], salt1[48], master[48];
	uint8_t req_data[48], rsp_data[48], exp[48], key[32], iv[12], upd[48];

	(void)state;
	assert_int_equal(ccg_random(dhe, sizeof(dhe)), CCG_OK);
	assert_int_equal(ccg_random(th1, sizeof(th1)), CCG_OK);
	assert_int_equal(ccg_random(th2, sizeof(th2)), CCG_OK);
	assert_int_equal(spdm_schedule_init(&ks), CCG_OK);
	assert_int_equal(spdm_schedule_handshake(&ks, dhe, sizeof(dhe), th1), CCG_OK);
	assert_int_equal(spdm_schedule_data(&ks, th2), CCG_OK);

	/* DSP0274 1.2 key schedule, written out */
	kdf_extract(zero, 48, dhe, 48, hs); /* Handshake-Secret = HMAC(Salt_0, DHE) */
	kdf_expand(hs, "req hs data", th1, 48, req_hs, 48);
	kdf_expand(hs, "rsp hs data", th1, 48, rsp_hs, 48);
	kdf_expand(req_hs, "finished", NULL, 0, req_fin, 48);
	kdf_expand(rsp_hs, "finished", NULL, 0, rsp_fin, 48);
	kdf_expand(hs, "derived", NULL, 0, salt1, 48);
	kdf_extract(salt1, 48, zero, 48, master); /* Master-Secret = HMAC(Salt_1, 0_filled) */
	kdf_expand(master, "req app data", th2, 48, req_data, 48);
	kdf_expand(master, "rsp app data", th2, 48, rsp_data, 48);
	kdf_expand(master, "exp master", th2, 48, exp, 48);
	assert_memory_equal(spdm_secret(&ks, SPDM_S_HANDSHAKE), hs, 48);
	assert_memory_equal(spdm_secret(&ks, SPDM_S_REQ_HS), req_hs, 48);
	assert_memory_equal(spdm_secret(&ks, SPDM_S_RSP_HS), rsp_hs, 48);
	assert_memory_equal(spdm_secret(&ks, SPDM_S_REQ_FINISHED), req_fin, 48);
	assert_memory_equal(spdm_secret(&ks, SPDM_S_RSP_FINISHED), rsp_fin, 48);
	assert_memory_equal(spdm_secret(&ks, SPDM_S_MASTER), master, 48);
	assert_memory_equal(spdm_secret(&ks, SPDM_S_REQ_DATA), req_data, 48);
	assert_memory_equal(spdm_secret(&ks, SPDM_S_RSP_DATA), rsp_data, 48);
	assert_memory_equal(spdm_secret(&ks, SPDM_S_EXPORT), exp, 48);

	/* encryption key, IV and KEY_UPDATE */
	assert_int_equal(spdm_dir_init(&d), CCG_OK);
	assert_int_equal(spdm_dir_set(&d, req_data), CCG_OK);
	kdf_expand(req_data, "key", NULL, 0, key, 32);
	kdf_expand(req_data, "iv", NULL, 0, iv, 12);
	assert_memory_equal(d.s->data + 48, key, 32);
	assert_memory_equal(d.s->data + 80, iv, 12);
	assert_int_equal(spdm_dir_update(&d), CCG_OK);
	kdf_expand(req_data, "traffic upd", NULL, 0, upd, 48);
	kdf_expand(upd, "key", NULL, 0, key, 32);
	assert_memory_equal(d.s->data, upd, 48);
	assert_memory_equal(d.s->data + 48, key, 32);
	spdm_dir_cleanup(&d);

	/* the channel's per-direction keys from the export master secret */
	{
		struct dp_keys k;
		uint8_t ctx[4] = {0x78, 0x56, 0x34, 0x12}, sec[48], k2[32];

		assert_int_equal(dp_keys_init(&k, exp, 0x12345678, DP_D2H), CCG_OK);
		kdf_expand(exp, "ccgpu d2h data", ctx, 4, sec, 48);
		kdf_expand(sec, "key", NULL, 0, k2, 32);
		assert_memory_equal(dp_keys_key(&k), k2, 32);
		assert_int_equal(dp_keys_rotate(&k), CCG_OK);
		kdf_expand(sec, "ccgpu key upd", NULL, 0, upd, 48);
		kdf_expand(upd, "key", NULL, 0, k2, 32);
		assert_memory_equal(dp_keys_key(&k), k2, 32);
		assert_int_equal(k.epoch, 1);
		dp_keys_cleanup(&k);
	}
	spdm_schedule_cleanup(&ks);
}

static void test_records(void **state)
{
	struct spdm_dir_keys tx, rx;
	uint8_t secret[48], msg[4] = {SPDM_V12, SPDM_HEARTBEAT, 0, 0};
	struct ccg_buf a, b, out;

	(void)state;
	assert_int_equal(ccg_random(secret, sizeof(secret)), CCG_OK);
	assert_int_equal(spdm_dir_init(&tx), CCG_OK);
	assert_int_equal(spdm_dir_init(&rx), CCG_OK);
	assert_int_equal(spdm_dir_set(&tx, secret), CCG_OK);
	assert_int_equal(spdm_dir_set(&rx, secret), CCG_OK);
	ccg_buf_init(&a, 0);
	ccg_buf_init(&b, 0);
	ccg_buf_init(&out, 0);
	assert_int_equal(spdm_record_seal(&tx, 7, msg, sizeof(msg), &a), CCG_OK);
	assert_int_equal(spdm_record_seal(&tx, 7, msg, sizeof(msg), &b), CCG_OK);
	assert_int_equal(a.len, SPDM_REC_HDR_LEN + 2 + 4 + 16);
	assert_int_equal(spdm_record_open(&rx, 8, a.data, a.len, &out, NULL), CCG_ERR_MALFORMED);
	assert_int_equal(spdm_record_open(&rx, 7, b.data, b.len, &out, NULL), CCG_ERR_DROPPED);
	a.data[SPDM_REC_HDR_LEN] ^= 1;
	assert_int_equal(spdm_record_open(&rx, 7, a.data, a.len, &out, NULL), CCG_ERR_MAC);
	a.data[SPDM_REC_HDR_LEN] ^= 1;
	assert_int_equal(spdm_record_open(&rx, 7, a.data, a.len - 1, &out, NULL), CCG_ERR_TRUNCATED);
	assert_int_equal(spdm_record_open(&rx, 7, a.data, a.len, &out, NULL), CCG_OK);
	assert_memory_equal(out.data, msg, sizeof(msg));
	assert_int_equal(spdm_record_open(&rx, 7, a.data, a.len, &out, NULL), CCG_ERR_REPLAY);
	assert_int_equal(spdm_record_open(&rx, 7, b.data, b.len, &out, NULL), CCG_OK);
	ccg_buf_cleanup(&a);
	ccg_buf_cleanup(&b);
	ccg_buf_cleanup(&out);
	spdm_dir_cleanup(&tx);
	spdm_dir_cleanup(&rx);
}

/* what the receiver decided on after dp_rx_peek is what dp_rx_open authenticates */
static void test_descriptor_snapshot(void **state)
{
	struct dp_params p;
	struct dp_tx tx;
	struct dp_rx rx;
	struct dp_job job;
	uint8_t secret[48] = {7}, *shm, dst[64], op = 0;
	uint64_t arg = 0;
	uint32_t n = 0, len = 0;

	(void)state;
	dp_params_defaults(&p);
	p.slots = 2;
	p.window = 2;
	p.slot_size = 256;
	shm = calloc(1, dp_shm_size(&p));
	assert_non_null(shm);
	assert_int_equal(dp_tx_init(&tx, shm, &p, DP_H2D, secret), CCG_OK);
	assert_int_equal(dp_rx_init(&rx, shm, &p, DP_H2D, secret), CCG_OK);
	assert_int_equal(dp_tx_reserve(&tx, 1, &n, 0, NULL), CCG_OK);
	assert_int_equal(dp_tx_assign(&tx, 0, DP_OP_WRITE, 100, (const uint8_t *)"data", 4, &job), CCG_OK);
	assert_int_equal(dp_seal_slot(&tx, &tx.aead, &job), CCG_OK);
	dp_tx_publish(&tx, 1);
	dp_rx_peek(&rx, &op, &arg, &len);
	assert_int_equal(arg, 100);
	dp_ring_desc(&rx.r, 0)[24] = 5; /* the host moves the write elsewhere after the check */
	assert_int_equal(dp_rx_open(&rx, dst, sizeof(dst), &op, &arg, &len, NULL), CCG_OK);
	assert_int_equal(arg, 100);
	assert_memory_equal(dst, "data", 4);
	dp_tx_cleanup(&tx);
	dp_rx_cleanup(&rx);
	free(shm);
}

/* ops 1..7 are the data path's (7, RESULT, the last: branch inference); a well-sealed op 8 is refused by its op */
static void test_descriptor_op_range(void **state)
{
	struct dp_params p;
	struct dp_tx tx;
	struct dp_rx rx;
	struct dp_job job;
	uint8_t secret[48] = {9}, *shm, dst[64], op = 0;
	uint64_t arg = 0;
	uint32_t n = 0, len = 0;
	struct ccg_error e;

	(void)state;
	dp_params_defaults(&p);
	p.slots = 2;
	p.window = 2;
	p.slot_size = 256;
	shm = calloc(1, dp_shm_size(&p));
	assert_non_null(shm);
	assert_int_equal(dp_tx_init(&tx, shm, &p, DP_D2H, secret), CCG_OK);
	assert_int_equal(dp_rx_init(&rx, shm, &p, DP_D2H, secret), CCG_OK);
	for (uint8_t o = DP_OP_RESULT; o <= DP_OP_RESULT + 1; o++) {
		assert_int_equal(dp_tx_reserve(&tx, 1, &n, 0, NULL), CCG_OK);
		assert_int_equal(dp_tx_assign(&tx, 0, o, 0, (const uint8_t *)"result", 6, &job), CCG_OK);
		assert_int_equal(dp_seal_slot(&tx, &tx.aead, &job), CCG_OK);
		dp_tx_publish(&tx, 1);
		dp_rx_peek(&rx, &op, &arg, &len);
		ccg_error_clear(&e);
		if (o == DP_OP_RESULT) {
			assert_int_equal(dp_rx_open(&rx, dst, sizeof(dst), &op, &arg, &len, &e), CCG_OK);
			assert_int_equal(op, DP_OP_RESULT);
			dp_rx_release(&rx);
		} else {
			assert_int_equal(dp_rx_open(&rx, dst, sizeof(dst), &op, &arg, &len, &e), CCG_ERR_MALFORMED);
			assert_string_equal(e.where, "channel.descriptor.op");
		}
	}
	dp_tx_cleanup(&tx);
	dp_rx_cleanup(&rx);
	free(shm);
}

/* ---------- channel control messages (VENDOR_DEFINED inside the session) ---------- */

/* parses msg after one byte at `at` was set to v (at < 0: as is); the error's status and where */
static enum ccg_status ctl_parse_with(const struct ccg_buf *msg, bool response, int at, uint8_t v, struct dp_ctl *out,
				      struct ccg_error *e)
{
	uint8_t copy[512];

	assert_true(msg->len <= sizeof(copy));
	memcpy(copy, msg->data, msg->len);
	if (at >= 0)
		copy[at] = v;
	ccg_error_clear(e);
	return dp_ctl_parse(copy, msg->len, response, out, e);
}

static void test_control_messages(void **state)
{
	struct dp_ctl open = {.op = DP_CTL_OPEN, .value = 3}, close = {.op = DP_CTL_CLOSE, .value = 0xABCD}, ok, out;
	struct ccg_buf req, rsp, refusal, cl;
	struct ccg_error e;
	char long_text[DP_CTL_MAX_TEXT + 2];

	(void)state;
	ccg_buf_init(&req, 0);
	ccg_buf_init(&rsp, 0);
	ccg_buf_init(&refusal, 0);
	ccg_buf_init(&cl, 0);
	memset(open.params, 0x11, sizeof(open.params));
	memset(open.random, 0x22, sizeof(open.random));
	memset(&ok, 0, sizeof(ok));
	ok.op = DP_CTL_OPEN;
	memset(ok.random, 0x33, sizeof(ok.random));
	assert_int_equal(dp_ctl_encode(false, &open, NULL, &req), CCG_OK);
	assert_int_equal(dp_ctl_encode(true, &ok, NULL, &rsp), CCG_OK);
	assert_int_equal(dp_ctl_encode(false, &close, NULL, &cl), CCG_OK);
	/* the layout: version, code, params, StandardID 4 (IANA), Len 4, VendorID 0, ReqLength, payload */
	assert_int_equal(req.len, 13 + 8 + DP_PARAMS_LEN + DP_RANDOM_LEN);
	assert_int_equal(req.data[1], SPDM_VENDOR_DEFINED_REQUEST);
	assert_int_equal(rsp.data[1], SPDM_VENDOR_DEFINED_RESPONSE);
	assert_int_equal(req.data[4] | req.data[5] << 8, 4);
	assert_int_equal(req.data[6], 4);
	assert_int_equal(req.data[11] | req.data[12] << 8, 8 + DP_PARAMS_LEN + DP_RANDOM_LEN);
	/* round trips */
	assert_int_equal(ctl_parse_with(&req, false, -1, 0, &out, &e), CCG_OK);
	assert_int_equal(out.op, DP_CTL_OPEN);
	assert_int_equal(out.value, 3);
	assert_memory_equal(out.params, open.params, DP_PARAMS_LEN);
	assert_memory_equal(out.random, open.random, DP_RANDOM_LEN);
	assert_int_equal(ctl_parse_with(&rsp, true, -1, 0, &out, &e), CCG_OK);
	assert_memory_equal(out.random, ok.random, DP_RANDOM_LEN);
	assert_int_equal(ctl_parse_with(&cl, false, -1, 0, &out, &e), CCG_OK);
	assert_int_equal(out.op, DP_CTL_CLOSE);
	assert_int_equal(out.value, 0xABCD);
	ok.value = CCG_ERR_SHM_UNSEALED;
	assert_int_equal(dp_ctl_encode(true, &ok, "channel.memfd.seals: no seals", &refusal), CCG_OK);
	assert_int_equal(ctl_parse_with(&refusal, true, -1, 0, &out, &e), CCG_OK);
	assert_int_equal(out.value, CCG_ERR_SHM_UNSEALED);
	assert_int_equal(out.text.len, strlen("channel.memfd.seals: no seals"));
	/* a request is not a response, nor the other way round */
	assert_int_equal(ctl_parse_with(&req, true, -1, 0, &out, &e), CCG_ERR_MALFORMED);
	assert_string_equal(e.where, "channel.control.header");
	assert_int_equal(ctl_parse_with(&rsp, false, -1, 0, &out, &e), CCG_ERR_MALFORMED);
	/* each header field */
	assert_int_equal(ctl_parse_with(&req, false, 0, 0x11, &out, &e), CCG_ERR_MALFORMED);
	assert_string_equal(e.where, "channel.control.header");
	assert_int_equal(ctl_parse_with(&req, false, 2, 1, &out, &e), CCG_ERR_MALFORMED);
	assert_string_equal(e.where, "channel.control.header");
	assert_int_equal(ctl_parse_with(&req, false, 3, 1, &out, &e), CCG_ERR_MALFORMED);
	assert_string_equal(e.where, "channel.control.header");
	assert_int_equal(ctl_parse_with(&req, false, 4, 3, &out, &e), CCG_ERR_MALFORMED); /* PCI-SIG */
	assert_string_equal(e.where, "channel.control.vendor");
	assert_int_equal(ctl_parse_with(&req, false, 10, 1, &out, &e), CCG_ERR_MALFORMED); /* another vendor */
	assert_string_equal(e.where, "channel.control.vendor");
	assert_int_equal(ctl_parse_with(&req, false, 13, 3, &out, &e), CCG_ERR_MALFORMED);
	assert_string_equal(e.where, "channel.control.op");
	for (int at = 14; at < 17; at++) {
		assert_int_equal(ctl_parse_with(&req, false, at, 1, &out, &e), CCG_ERR_MALFORMED);
		assert_string_equal(e.where, "channel.control.reserved");
	}
	/* a Len that does not fit the VendorID, a ReqLength one byte short (a byte left over) */
	assert_int_not_equal(ctl_parse_with(&req, false, 6, 3, &out, &e), CCG_OK);
	assert_int_equal(ctl_parse_with(&req, false, 11, req.data[11] - 1, &out, &e), CCG_ERR_TRAILING_DATA);
	assert_string_equal(e.where, "channel.control");
	/* a CLOSE request with an OPEN's op: the parameters are missing */
	assert_int_equal(ctl_parse_with(&cl, false, 13, DP_CTL_OPEN, &out, &e), CCG_ERR_TRUNCATED);
	assert_string_equal(e.where, "channel.control.open");
	/* an OPEN request with a CLOSE's op: bytes left over */
	assert_int_equal(ctl_parse_with(&req, false, 13, DP_CTL_CLOSE, &out, &e), CCG_ERR_TRAILING_DATA);
	assert_string_equal(e.where, "channel.control.payload");
	/* every truncation */
	for (size_t n = 0; n < req.len; n++) {
		ccg_error_clear(&e);
		assert_int_not_equal(dp_ctl_parse(req.data, n, false, &out, &e), CCG_OK);
	}
	for (size_t n = 0; n < rsp.len; n++) {
		ccg_error_clear(&e);
		assert_int_not_equal(dp_ctl_parse(rsp.data, n, true, &out, &e), CCG_OK);
	}
	/* a refusal's text is bounded (the encoder cuts it; a longer one on the wire is refused) */
	memset(long_text, 'x', sizeof(long_text) - 1);
	long_text[sizeof(long_text) - 1] = '\0';
	refusal.len = 0;
	assert_int_equal(dp_ctl_encode(true, &ok, long_text, &refusal), CCG_OK);
	assert_int_equal(ctl_parse_with(&refusal, true, -1, 0, &out, &e), CCG_OK);
	assert_int_equal(out.text.len, DP_CTL_MAX_TEXT);
	assert_int_equal(ccg_buf_append_u8(&refusal, 'y'), CCG_OK);
	refusal.data[11] = (uint8_t)(8 + DP_CTL_MAX_TEXT + 1);
	refusal.data[12] = (uint8_t)((8 + DP_CTL_MAX_TEXT + 1) >> 8);
	assert_int_equal(ctl_parse_with(&refusal, true, -1, 0, &out, &e), CCG_ERR_TOO_LARGE);
	assert_string_equal(e.where, "channel.control.text");
	ccg_buf_cleanup(&req);
	ccg_buf_cleanup(&rsp);
	ccg_buf_cleanup(&refusal);
	ccg_buf_cleanup(&cl);
}

/* the channel secret depends on every byte of both control messages */
static void test_channel_secret(void **state)
{
	uint8_t exp[48], req[120], rsp[60], a[48], b[48];

	(void)state;
	assert_int_equal(ccg_random(exp, sizeof(exp)), CCG_OK);
	assert_int_equal(ccg_random(req, sizeof(req)), CCG_OK);
	assert_int_equal(ccg_random(rsp, sizeof(rsp)), CCG_OK);
	assert_int_equal(dp_channel_secret(exp, req, sizeof(req), rsp, sizeof(rsp), a), CCG_OK);
	/* HKDF-Expand(exp, BinConcat(48, "ccgpu channel", SHA-384(req || rsp))), computed the second way */
	{
		uint8_t both[sizeof(req) + sizeof(rsp)], th[48];

		memcpy(both, req, sizeof(req));
		memcpy(both + sizeof(req), rsp, sizeof(rsp));
		assert_int_equal(ccg_sha384(both, sizeof(both), th), CCG_OK);
		kdf_expand(exp, "ccgpu channel", th, sizeof(th), b, sizeof(b));
		assert_memory_equal(a, b, sizeof(a));
	}
	req[100] ^= 1; /* the guest's random */
	assert_int_equal(dp_channel_secret(exp, req, sizeof(req), rsp, sizeof(rsp), b), CCG_OK);
	assert_memory_not_equal(a, b, sizeof(a));
	req[100] ^= 1;
	rsp[50] ^= 1; /* the device's random */
	assert_int_equal(dp_channel_secret(exp, req, sizeof(req), rsp, sizeof(rsp), b), CCG_OK);
	assert_memory_not_equal(a, b, sizeof(a));
}

/* ---------- a host that rewrites a slot while an end reads or writes it ---------- */

#define RACE_SLOT (64u * 1024u)

struct race_ctl {
	volatile uint32_t running, stop;
};

/* pins the calling thread to the n-th CPU it may run on (the racers to different CPUs, so that they do run
 * at the same time whenever both are scheduled); false when there are fewer */
static bool pin_nth_cpu(const cpu_set_t *allowed, int n)
{
	cpu_set_t one;

	for (int cpu = 0; cpu < CPU_SETSIZE; cpu++)
		if (CPU_ISSET(cpu, allowed) && n-- == 0) {
			CPU_ZERO(&one);
			CPU_SET(cpu, &one);
			return sched_setaffinity(0, sizeof(one), &one) == 0;
		}
	return false;
}

/*
 * a writer process on the shared memory (the host): toggles *at between two
 * values as fast as it can (toggle), or keeps writing 0x5A into it (set),
 * until told to stop; returns once it runs
 */
static pid_t racer_start(volatile uint8_t *at, struct race_ctl *ctl, bool toggle, const cpu_set_t *allowed)
{
	pid_t pid;

	ctl->running = ctl->stop = 0;
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		(void)pin_nth_cpu(allowed, 1);
		ctl->running = 1;
		while (!ctl->stop) {
			if (toggle)
				*at ^= 0x01;
			else
				*at = 0x5A;
		}
		_exit(0);
	}
	(void)pin_nth_cpu(allowed, 0);
	while (!ctl->running)
		sched_yield();
	return pid;
}

static void racer_stop(pid_t pid, struct race_ctl *ctl, const cpu_set_t *allowed)
{
	int status = 0;

	ctl->stop = 1;
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	assert_int_equal(sched_setaffinity(0, sizeof(*allowed), allowed), 0);
}

/* one message of len bytes sealed in slot 0 of a host-to-device ring in memory shared with a writer process */
struct race_rig {
	struct dp_params p;
	struct dp_tx tx;
	struct dp_rx rx;
	uint32_t len;
	uint8_t *shm, *plain, *dst;
	struct race_ctl *ctl;
};

static void race_rig_init(struct race_rig *g, uint32_t len)
{
	uint8_t secret[48];

	dp_params_defaults(&g->p);
	g->p.slots = 2;
	g->p.window = 2;
	g->p.slot_size = RACE_SLOT;
	g->len = len;
	g->shm = mmap(NULL, dp_shm_size(&g->p) + 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	assert_true(g->shm != MAP_FAILED);
	g->ctl = (struct race_ctl *)(void *)(g->shm + dp_shm_size(&g->p));
	g->plain = malloc(len);
	g->dst = malloc(len);
	assert_non_null(g->plain);
	assert_non_null(g->dst);
	assert_int_equal(ccg_random(secret, sizeof(secret)), CCG_OK);
	assert_int_equal(ccg_random(g->plain, len), CCG_OK);
	assert_int_equal(dp_tx_init(&g->tx, g->shm, &g->p, DP_H2D, secret), CCG_OK);
	assert_int_equal(dp_rx_init(&g->rx, g->shm, &g->p, DP_H2D, secret), CCG_OK);
}

static void race_rig_cleanup(struct race_rig *g)
{
	dp_tx_cleanup(&g->tx);
	dp_rx_cleanup(&g->rx);
	munmap(g->shm, dp_shm_size(&g->p) + 4096);
	free(g->plain);
	free(g->dst);
}

/* seals plain into slot 0 with the sender's next counter (nothing published: the slot is reused) */
static uint64_t race_seal(struct race_rig *g)
{
	struct dp_job job;

	assert_int_equal(dp_tx_assign(&g->tx, 0, DP_OP_MSG, 0, g->plain, g->len, &job), CCG_OK);
	assert_int_equal(dp_seal_slot(&g->tx, &g->tx.aead, &job), CCG_OK);
	return job.counter;
}

/* opens slot 0 as message `counter`: 1 accepted intact, 0 refused (MAC), -1 accepted but forged */
static int race_open(struct race_rig *g, uint64_t counter)
{
	uint8_t op = 0;
	uint64_t arg = 0;
	uint32_t len = 0;
	enum ccg_status st;

	g->rx.expected = counter;
	g->rx.tail = 0;
	__atomic_store_n(g->rx.r.head, 1, __ATOMIC_RELEASE);
	st = dp_rx_open(&g->rx, g->dst, g->len, &op, &arg, &len, NULL);
	if (st == CCG_ERR_MAC)
		return 0;
	assert_int_equal(st, CCG_OK);
	return len == g->len && memcmp(g->dst, g->plain, g->len) == 0 ? 1 : -1;
}

/*
 * rounds messages of len bytes with a writer process on one byte in the
 * middle of the slot. receiver: one message sealed, opened again and again
 * while the writer flips the byte back and forth (GCM reads its input twice,
 * once for GHASH and once for CTR: one version authenticated and another
 * decrypted would be a forged plaintext). sender: each round seals anew
 * while the writer keeps writing its own byte (GCM reads back the
 * ciphertext it wrote to compute the tag: a tag over the host's byte would
 * have the receiver accept a plaintext nobody sent). Whatever the
 * interleaving, a slot is accepted only with the plaintext that was sealed.
 */
static void race(bool sender, uint32_t len, int rounds)
{
	struct race_rig g;
	cpu_set_t allowed;
	unsigned ok = 0, refused = 0, forged = 0;
	uint64_t ctr = 0;
	pid_t pid;

	assert_int_equal(sched_getaffinity(0, sizeof(allowed), &allowed), 0);
	race_rig_init(&g, len);
	if (!sender)
		ctr = race_seal(&g);
	pid = racer_start(dp_ring_data(&g.rx.r, 0) + len / 2, g.ctl, !sender, &allowed);
	for (int i = 0; i < rounds; i++) {
		int r = race_open(&g, sender ? race_seal(&g) : ctr);

		ok += r == 1;
		refused += r == 0;
		forged += r == -1;
	}
	racer_stop(pid, g.ctl, &allowed);
	print_message("# %s under a racing writer (%u-byte messages): %u intact, %u refused, %u forged\n",
		      sender ? "sender" : "receiver", len, ok, refused, forged);
	assert_int_equal(forged, 0);
	race_rig_cleanup(&g);
}

static void test_race_receiver(void **state)
{
	(void)state;
	race(false, RACE_SLOT, 40000);
}

static void test_race_sender(void **state)
{
	(void)state;
	race(true, 4096, 100000);
}

/* ---------- gpusim in another process ---------- */

static int setup(void **state)
{
	/* two GPUs in the device set (test_session_attested_leaf), one in the other (root) set */
	static const struct gpusim_pki_opts pki_opts = {.gpus = 2}, other_opts = {.gpus = 1};

	(void)state;
	dir = td_tmpdir();
	snprintf(pki, sizeof(pki), "%s/pki", dir);
	snprintf(other, sizeof(other), "%s/other", dir);
	snprintf(sock, sizeof(sock), "%s/gpu.sock", dir);
	snprintf(bad_sock, sizeof(bad_sock), "%s/bad.sock", dir);
	snprintf(ce_sock, sizeof(ce_sock), "%s/offload.sock", dir);
	snprintf(swap_sock, sizeof(swap_sock), "%s/swap.sock", dir);
	snprintf(root, sizeof(root), "%s/device-root.pem", pki);
	snprintf(other_root, sizeof(other_root), "%s/device-root.pem", other);
	if (gpusim_pki_generate_child(pki, &pki_opts) != CCG_OK ||
	    gpusim_pki_generate_child(other, &other_opts) != CCG_OK)
		return -1;
	server = gpusim_serve_child(pki, sock, NULL, GPUSIM_CE_HOST, 120);
	bad_server = gpusim_serve_child(pki, bad_sock, "bad-signature", GPUSIM_CE_HOST, 120);
	ce_server = gpusim_serve_child(pki, ce_sock, NULL, GPUSIM_CE_OFFLOAD, 120);
	swap_server = gpusim_serve_child(pki, swap_sock, "session-other-gpu@0", GPUSIM_CE_HOST, 120);
	return server > 0 && bad_server > 0 && ce_server > 0 && swap_server > 0 ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	for (int i = 0; i < 4; i++) {
		pid_t pid = i == 0 ? server : i == 1 ? bad_server : i == 2 ? ce_server : swap_server;

		if (pid > 0) {
			kill(pid, SIGTERM);
			waitpid(pid, NULL, 0);
		}
	}
	td_rm_rf(dir);
	free(dir);
	return 0;
}

static struct ccg_session *open_session_at(const char *path)
{
	struct ccg_session_opts o = {.socket_path = path, .root_file = root};
	struct ccg_session *s = NULL;
	struct ccg_error e;
	char buf[600];

	ccg_error_clear(&e);
	if (ccg_session_open(&o, &s, &e) != CCG_OK)
		fail_msg("session: %s", ccg_error_format(&e, buf, sizeof(buf)));
	return s;
}

static struct ccg_session *open_session(void)
{
	return open_session_at(sock);
}

static void test_session(void **state)
{
	struct ccg_session *s = open_session();
	struct ccg_error e;

	(void)state;
	ccg_error_clear(&e);
	assert_int_not_equal(ccg_session_id(s), 0);
	assert_int_equal(ccg_session_heartbeat(s, &e), CCG_OK);
	assert_int_equal(ccg_session_key_update(s, false, &e), CCG_OK);
	assert_int_equal(ccg_session_heartbeat(s, &e), CCG_OK);
	assert_int_equal(ccg_session_key_update(s, true, &e), CCG_OK);
	assert_int_equal(ccg_session_heartbeat(s, &e), CCG_OK);
	assert_int_equal(ccg_session_end(s, &e), CCG_OK);
	assert_int_equal(ccg_session_heartbeat(s, &e), CCG_ERR_CHANNEL_CLOSED);
	ccg_session_free(s);
	/* the quiet form ends a session just the same (issue 12 item 9) */
	s = open_session();
	assert_int_equal(ccg_session_heartbeat(s, &e), CCG_OK);
	ccg_session_end_quiet(s);
	assert_int_equal(ccg_session_heartbeat(s, &e), CCG_ERR_CHANNEL_CLOSED);
	ccg_session_end_quiet(s); /* twice, and on NULL: no crash */
	ccg_session_end_quiet(NULL);
	ccg_session_free(s);
}

/* a secured record altered or replayed on the socket is refused by the device; the session goes on */
static void test_session_record_attacks(void **state)
{
	struct ccg_session *s = open_session();
	uint8_t hb[4] = {SPDM_V12, SPDM_HEARTBEAT, 0, 0};
	struct ccg_buf rec, io;
	struct ccg_frame f;
	uint32_t code = 0;
	struct ccg_cursor c;

	(void)state;
	ccg_buf_init(&rec, 0);
	ccg_buf_init(&io, 0);
	assert_int_equal(spdm_record_seal(&s->req, s->session_id, hb, sizeof(hb), &rec), CCG_OK);
	s->req.seq--; /* the device has not seen it */
	rec.data[SPDM_REC_HDR_LEN + 1] ^= 0x01;
	assert_int_equal(ccg_frame_write(s->fd, CCG_FRAME_SECURED_SPDM, 0, s->session_id, rec.data, rec.len, NULL),
			 CCG_OK);
	assert_int_equal(ccg_frame_read(s->fd, &io, &f, NULL), CCG_OK);
	assert_int_equal(f.type, CCG_FRAME_ERROR);
	c = f.payload;
	assert_true(ccg_cursor_get_u32le(&c, &code));
	assert_int_equal(code, CCG_ERR_MAC);
	assert_int_equal(ccg_session_heartbeat(s, NULL), CCG_OK);
	/* the heartbeat just sent, replayed */
	rec.len = 0;
	s->req.seq--;
	assert_int_equal(spdm_record_seal(&s->req, s->session_id, hb, sizeof(hb), &rec), CCG_OK);
	assert_int_equal(ccg_frame_write(s->fd, CCG_FRAME_SECURED_SPDM, 0, s->session_id, rec.data, rec.len, NULL),
			 CCG_OK);
	assert_int_equal(ccg_frame_read(s->fd, &io, &f, NULL), CCG_OK);
	assert_int_equal(f.type, CCG_FRAME_ERROR);
	c = f.payload;
	assert_true(ccg_cursor_get_u32le(&c, &code));
	assert_int_equal(code, CCG_ERR_REPLAY);
	assert_int_equal(ccg_session_heartbeat(s, NULL), CCG_OK);
	ccg_buf_cleanup(&rec);
	ccg_buf_cleanup(&io);
	ccg_session_free(s);
}

static void test_untrusted_root(void **state)
{
	struct ccg_session_opts o = {.socket_path = sock, .root_file = other_root};
	struct ccg_session *s = NULL;
	struct ccg_error e;

	(void)state;
	ccg_error_clear(&e);
	assert_int_equal(ccg_session_open(&o, &s, &e), CCG_ERR_CERT_UNTRUSTED);
	assert_null(s);
}

/* the session's trust anchor as PEM text (root_pem) as well as a file; exactly one of the two */
static void test_session_root_forms(void **state)
{
	struct ccg_session_opts o = {.socket_path = sock};
	struct ccg_session *s = NULL;
	struct ccg_error e;
	uint8_t *pem = NULL, *other_pem = NULL;
	size_t len = 0, other_len = 0;

	(void)state;
	assert_int_equal(ccg_file_read(root, 1 << 20, &pem, &len, NULL), CCG_OK);
	assert_int_equal(ccg_file_read(other_root, 1 << 20, &other_pem, &other_len, NULL), CCG_OK);
	o.root_pem = pem;
	o.root_pem_len = len;
	assert_int_equal(ccg_session_open(&o, &s, NULL), CCG_OK);
	ccg_session_end_quiet(s);
	ccg_session_free(s);
	s = NULL;
	/* another root's text: the device chain does not reach it */
	o.root_pem = other_pem;
	o.root_pem_len = other_len;
	ccg_error_clear(&e);
	assert_int_equal(ccg_session_open(&o, &s, &e), CCG_ERR_CERT_UNTRUSTED);
	assert_null(s);
	/* the text cut short: not a certificate */
	o.root_pem = pem;
	o.root_pem_len = len / 2;
	assert_int_equal(ccg_session_open(&o, &s, NULL), CCG_ERR_TRUNCATED);
	/* both forms, or neither */
	o.root_pem_len = len;
	o.root_file = root;
	ccg_error_clear(&e);
	assert_int_equal(ccg_session_open(&o, &s, &e), CCG_ERR_INVALID_ARG);
	assert_string_equal(e.where, "channel.session.root");
	o.root_file = NULL;
	o.root_pem = NULL;
	ccg_error_clear(&e);
	assert_int_equal(ccg_session_open(&o, &s, &e), CCG_ERR_INVALID_ARG);
	assert_string_equal(e.where, "channel.session.root");
	assert_null(s);
	free(pem);
	free(other_pem);
}

/* GPU g's leaf certificate (DER) as its evidence carries it: the first of its PEM chain */
static uint8_t *leaf_der(unsigned g, size_t *len)
{
	struct gpusim *sim = NULL;
	STACK_OF(X509) *sk = NULL;
	unsigned char *der = NULL;
	uint8_t *out;
	const char *pem;
	int n;

	assert_int_equal(gpusim_load(pki, &sim, NULL), CCG_OK);
	pem = gpusim_chain_pem(sim, g);
	assert_int_equal(ccg_pem_certs_parse((const uint8_t *)pem, strlen(pem), 10, &sk, NULL), CCG_OK);
	n = i2d_X509(sk_X509_value(sk, 0), &der);
	assert_true(n > 0);
	out = malloc((size_t)n);
	memcpy(out, der, (size_t)n);
	*len = (size_t)n;
	OPENSSL_free(der);
	sk_X509_pop_free(sk, X509_free);
	gpusim_free(sim);
	return out;
}

/*
 * The session holds the device to the certificate that was attested
 * (ccg_session_opts.attested_leaf_der): GPU 0's session with GPU 0's leaf
 * opens; GPU 1 (a genuine GPU of the same root) with GPU 0's leaf is
 * refused, as is GPU 0 with GPU 1's; a device whose session presents
 * another GPU's identity (gpusim's session-other-gpu: that GPU's chain and
 * key, all valid) is accepted without the binding and refused with it.
 */
static void test_session_attested_leaf(void **state)
{
	struct ccg_session_opts o = {.socket_path = sock, .root_file = root};
	struct ccg_session *s = NULL;
	struct ccg_error e;
	size_t len0 = 0, len1 = 0;
	uint8_t *leaf0 = leaf_der(0, &len0), *leaf1 = leaf_der(1, &len1);

	(void)state;
	assert_true(len0 != len1 || memcmp(leaf0, leaf1, len0) != 0);
	o.attested_leaf_der = leaf0;
	o.attested_leaf_der_len = len0;
	ccg_error_clear(&e);
	assert_int_equal(ccg_session_open(&o, &s, &e), CCG_OK);
	assert_int_equal(ccg_session_heartbeat(s, NULL), CCG_OK);
	ccg_session_end_quiet(s);
	ccg_session_free(s);
	s = NULL;
	/* another genuine GPU behind the same endpoint */
	o.device = 1;
	ccg_error_clear(&e);
	assert_int_equal(ccg_session_open(&o, &s, &e), CCG_ERR_DEVICE_IDENTITY);
	assert_string_equal(e.where, "spdm.cert_chain.leaf");
	assert_null(s);
	o.device = 0;
	o.attested_leaf_der = leaf1;
	o.attested_leaf_der_len = len1;
	assert_int_equal(ccg_session_open(&o, &s, NULL), CCG_ERR_DEVICE_IDENTITY);
	assert_null(s);
	/* the same certificate cut short is not it either */
	o.attested_leaf_der = leaf0;
	o.attested_leaf_der_len = len0 - 1;
	assert_int_equal(ccg_session_open(&o, &s, NULL), CCG_ERR_DEVICE_IDENTITY);
	/* GPU 0's session answered with GPU 1's identity: valid to the root, so only the binding refuses it */
	o.socket_path = swap_sock;
	o.attested_leaf_der = NULL;
	o.attested_leaf_der_len = 0;
	assert_int_equal(ccg_session_open(&o, &s, NULL), CCG_OK);
	ccg_session_end_quiet(s);
	ccg_session_free(s);
	s = NULL;
	o.attested_leaf_der = leaf0;
	o.attested_leaf_der_len = len0;
	ccg_error_clear(&e);
	assert_int_equal(ccg_session_open(&o, &s, &e), CCG_ERR_DEVICE_IDENTITY);
	assert_string_equal(e.where, "spdm.cert_chain.leaf");
	assert_null(s);
	/* an empty certificate is a caller's mistake, not a device's */
	o.attested_leaf_der_len = 0;
	ccg_error_clear(&e);
	assert_int_equal(ccg_session_open(&o, &s, &e), CCG_ERR_INVALID_ARG);
	assert_string_equal(e.where, "channel.session.attested_leaf");
	/* a one-GPU set has no other identity to take: the fault is refused, not a silent no-op */
	{
		struct gpusim *one = NULL;
		struct gpusim_fault f;

		assert_int_equal(gpusim_load(other, &one, NULL), CCG_OK);
		assert_int_equal(gpusim_fault_parse("session-other-gpu", &f, NULL), CCG_OK);
		assert_int_equal(gpusim_add_fault(one, &f, NULL), CCG_ERR_INVALID_ARG);
		gpusim_free(one);
	}
	free(leaf0);
	free(leaf1);
}

static void test_tampered_signature(void **state)
{
	struct ccg_session_opts o = {.socket_path = bad_sock, .root_file = root};
	struct ccg_session *s = NULL;
	struct ccg_error e;

	(void)state;
	ccg_error_clear(&e);
	assert_int_equal(ccg_session_open(&o, &s, &e), CCG_ERR_SIGNATURE);
	assert_string_equal(e.where, "spdm.key_exchange_rsp.signature");
	assert_null(s);
}

/* ---------- the data channel ---------- */

static struct ccg_session *sess;
static const char *sess_path;
static struct ccg_channel *ch;

/* the session to the device on path, kept while the device stays the same (no channel left open) */
static void session_on(const char *path)
{
	ccg_channel_free(ch);
	ch = NULL;
	if (sess != NULL && sess_path != path) {
		ccg_session_free(sess);
		sess = NULL;
	}
	if (sess == NULL) {
		sess = open_session_at(path);
		sess_path = path;
	}
}

/* a fresh channel to the device on path */
static void chan_on(const char *path, const struct ccg_channel_opts *o)
{
	struct ccg_error e;
	char buf[600];

	ccg_error_clear(&e);
	session_on(path);
	if (ccg_channel_open(sess, o, &ch, &e) != CCG_OK)
		fail_msg("channel: %s", ccg_error_format(&e, buf, sizeof(buf)));
}

static void chan(const struct ccg_channel_opts *o)
{
	chan_on(sock, o);
}

static int chan_teardown(void **state)
{
	(void)state;
	ccg_channel_free(ch);
	ch = NULL;
	ccg_session_free(sess);
	sess = NULL;
	return 0;
}

static void echo(const char *text)
{
	uint8_t buf[256];
	size_t n = 0;

	assert_int_equal(ccg_channel_send(ch, text, strlen(text), NULL), CCG_OK);
	assert_int_equal(ccg_channel_recv(ch, buf, sizeof(buf), &n, NULL), CCG_OK);
	assert_int_equal(n, strlen(text));
	assert_memory_equal(buf, text, n);
}

static void test_messages_and_bulk(void **state)
{
	struct ccg_channel_opts o = {.slots = 8, .slot_size = 4096, .threads = 2, .device_memory = 1 << 20};
	struct ccg_channel_stats st;
	uint8_t *data = malloc(1 << 20), *back = malloc(1 << 20);

	(void)state;
	chan(&o);
	for (int i = 0; i < 20; i++)
		echo("hello, device");
	assert_int_equal(ccg_random(data, 1 << 20), CCG_OK);
	assert_int_equal(ccg_channel_write(ch, 0, data, 1 << 20, NULL), CCG_OK);
	assert_int_equal(ccg_channel_read(ch, 0, back, 1 << 20, NULL), CCG_OK);
	assert_memory_equal(data, back, 1 << 20);
	assert_int_equal(ccg_channel_read(ch, 4000, back, 100, NULL), CCG_OK);
	assert_memory_equal(data + 4000, back, 100);
	assert_int_equal(ccg_channel_write(ch, (1 << 20) - 1, data, 2, NULL), CCG_ERR_INVALID_ARG);
	ccg_channel_stats(ch, &st);
	assert_true(st.bytes_sent >= (1u << 20));
	assert_true(st.bytes_received >= (1u << 20) + 100);
	assert_int_equal(st.rejects, 0);
	free(data);
	free(back);
}

/* waits until the device has published n device-to-host slots */
static struct dp_rx *published(uint32_t n)
{
	struct dp_rx *rx = ccg_channel_debug_rx(ch);

	for (int i = 0; i < 2500; i++) {
		if (__atomic_load_n(rx->r.head, __ATOMIC_ACQUIRE) - rx->tail >= n)
			return rx;
		usleep(2000);
	}
	fail_msg("the device did not answer");
	abort(); /* not reached: fail_msg leaves the test; tells the compiler rx is never NULL */
}

static void copy_slot(struct dp_ring *dst, uint32_t di, const struct dp_ring *src, uint32_t si)
{
	memcpy(dp_ring_desc(dst, di), dp_ring_desc(src, si), DP_DESC_LEN);
	memcpy(dp_ring_data(dst, di), dp_ring_data(src, si), 64);
}

static enum ccg_status recv_status(void)
{
	uint8_t buf[4096];
	size_t n = 0;
	struct ccg_error e;

	ccg_error_clear(&e);
	return ccg_channel_recv(ch, buf, sizeof(buf), &n, &e);
}

static const struct ccg_channel_opts small = {.slots = 4, .slot_size = 4096, .device_memory = 1 << 16};

/*
 * a sender that ignores what both ends agreed at open (the library has no
 * switch for that: issue 12 item 5): the channel's own sender is pointed at
 * a copy of the parameters that never rotates (hold_key) or has no usage
 * limit (no_limit); the device keeps the agreed ones
 */
static struct dp_params rogue_params;

static void rogue_sender(bool hold_key, bool no_limit)
{
	struct dp_tx *tx = ccg_channel_debug_tx(ch);

	rogue_params = *tx->p;
	if (hold_key)
		rogue_params.rotate_msgs = rogue_params.rotate_blocks = 0;
	if (no_limit)
		rogue_params.limit_msgs = rogue_params.limit_blocks = UINT64_MAX / 2;
	tx->p = &rogue_params;
}

/* o is refused before anything is opened: CCG_ERR_INVALID_ARG, err naming the option and its range */
static void refused_opt(const struct ccg_channel_opts *o, const char *where, const char *range)
{
	struct ccg_channel *c = NULL;
	struct ccg_error e;

	ccg_error_clear(&e);
	assert_int_equal(ccg_channel_open(sess, o, &c, &e), CCG_ERR_INVALID_ARG);
	assert_null(c);
	assert_string_equal(e.where, where);
	if (strstr(e.detail, range) == NULL)
		fail_msg("%s: \"%s\" does not name \"%s\"", where, e.detail, range);
}

/* every option outside its named range (ccgpu/channel.h) is refused, saying so; the bounds themselves pass */
static void test_option_ranges(void **state)
{
	struct ccg_channel_opts o;

	(void)state;
	session_on(sock);
	o = small;
	o.slots = CCG_CHANNEL_MIN_SLOTS - 1;
	refused_opt(&o, "channel.slots", "1 is outside CCG_CHANNEL_MIN_SLOTS..MAX_SLOTS (2..1024)");
	o.slots = CCG_CHANNEL_MAX_SLOTS + 1;
	refused_opt(&o, "channel.slots", "1025 is outside CCG_CHANNEL_MIN_SLOTS..MAX_SLOTS (2..1024)");
	o = small;
	o.slot_size = 100;
	refused_opt(&o, "channel.slot_size", "100 is outside CCG_CHANNEL_MIN_SLOT_SIZE..MAX_SLOT_SIZE (256..16777216)");
	o.slot_size = CCG_CHANNEL_MAX_SLOT_SIZE + CCG_CHANNEL_SLOT_ALIGN;
	refused_opt(&o, "channel.slot_size", "outside CCG_CHANNEL_MIN_SLOT_SIZE..MAX_SLOT_SIZE");
	o.slot_size = 4096 + CCG_CHANNEL_SLOT_ALIGN / 2;
	refused_opt(&o, "channel.slot_size", "4128 is not a multiple of CCG_CHANNEL_SLOT_ALIGN (64)");
	o = small;
	o.threads = CCG_CHANNEL_MAX_THREADS + 1;
	refused_opt(&o, "channel.threads", "17 is outside 1..CCG_CHANNEL_MAX_THREADS (16)");
	o = small;
	o.window = o.slots - 1;
	refused_opt(&o, "channel.window", "3 is below the 4 slots");
	o = small;
	o.limit_msgs = CCG_CHANNEL_MAX_USAGE_LIMIT + 1;
	refused_opt(&o, "channel.limit_msgs", "outside 1..CCG_CHANNEL_MAX_USAGE_LIMIT (281474976710656)");
	o = small;
	o.limit_blocks = CCG_CHANNEL_MAX_USAGE_LIMIT + 1;
	refused_opt(&o, "channel.limit_blocks", "outside 1..CCG_CHANNEL_MAX_USAGE_LIMIT (281474976710656)");
	o = small;
	o.device_memory = CCG_CHANNEL_MAX_DEVICE_MEMORY + 1;
	refused_opt(&o, "channel.device_memory", "outside 1..CCG_CHANNEL_MAX_DEVICE_MEMORY (1073741824)");
	/* at the bounds */
	o = small;
	o.slots = CCG_CHANNEL_MIN_SLOTS;
	o.slot_size = CCG_CHANNEL_MIN_SLOT_SIZE;
	o.threads = CCG_CHANNEL_MAX_THREADS;
	o.limit_msgs = o.limit_blocks = CCG_CHANNEL_MAX_USAGE_LIMIT;
	chan(&o);
	echo("at the bounds");
}

static void test_attack_replay(void **state)
{
	struct dp_rx *rx;

	(void)state;
	chan(&small);
	echo("first");
	assert_int_equal(ccg_channel_send(ch, "second", 6, NULL), CCG_OK);
	rx = published(1);
	copy_slot(&rx->r, rx->tail, &rx->r, rx->tail - 1); /* the first answer again, in the second's place */
	assert_int_equal(recv_status(), CCG_ERR_REPLAY);
	assert_int_equal(recv_status(), CCG_ERR_CHANNEL_CLOSED);
}

static void test_attack_reorder(void **state)
{
	struct dp_rx *rx;
	uint8_t d[DP_DESC_LEN], x[64];

	(void)state;
	chan(&small);
	assert_int_equal(ccg_channel_send(ch, "one", 3, NULL), CCG_OK);
	assert_int_equal(ccg_channel_send(ch, "two", 3, NULL), CCG_OK);
	rx = published(2);
	memcpy(d, dp_ring_desc(&rx->r, 0), DP_DESC_LEN);
	memcpy(x, dp_ring_data(&rx->r, 0), 64);
	copy_slot(&rx->r, 0, &rx->r, 1);
	memcpy(dp_ring_desc(&rx->r, 1), d, DP_DESC_LEN);
	memcpy(dp_ring_data(&rx->r, 1), x, 64);
	assert_int_equal(recv_status(), CCG_ERR_REORDER);
}

static void test_attack_drop(void **state)
{
	struct dp_rx *rx;

	(void)state;
	chan(&small);
	assert_int_equal(ccg_channel_send(ch, "one", 3, NULL), CCG_OK);
	assert_int_equal(ccg_channel_send(ch, "two", 3, NULL), CCG_OK);
	rx = published(2);
	copy_slot(&rx->r, 0, &rx->r, 1); /* "one" is gone, "two" came in its place */
	assert_int_equal(recv_status(), CCG_ERR_DROPPED);
}

static void test_attack_tag_bit(void **state)
{
	struct dp_rx *rx;
	struct ccg_channel_stats st;

	(void)state;
	chan(&small);
	assert_int_equal(ccg_channel_send(ch, "secret", 6, NULL), CCG_OK);
	rx = published(1);
	dp_ring_desc(&rx->r, 0)[32 + 5] ^= 0x10;
	assert_int_equal(recv_status(), CCG_ERR_DESCRIPTOR);
	ccg_channel_stats(ch, &st);
	assert_int_equal(st.rejects, 1);
}

static void test_attack_ciphertext_bit(void **state)
{
	struct dp_rx *rx;

	(void)state;
	chan(&small);
	assert_int_equal(ccg_channel_send(ch, "secret", 6, NULL), CCG_OK);
	rx = published(1);
	dp_ring_data(&rx->r, 0)[2] ^= 0x80;
	assert_int_equal(recv_status(), CCG_ERR_MAC);
}

static void test_attack_length(void **state)
{
	struct dp_rx *rx;

	(void)state;
	chan(&small);
	assert_int_equal(ccg_channel_send(ch, "secret", 6, NULL), CCG_OK);
	rx = published(1);
	dp_ring_desc(&rx->r, 0)[0] = 5; /* the length is covered by the descriptor's GMAC (and the payload's AAD) */
	assert_int_equal(recv_status(), CCG_ERR_DESCRIPTOR);
}

static void test_attack_descriptor_gmac(void **state)
{
	struct dp_rx *rx;

	(void)state;
	/* the GMAC itself, and a reserved byte it covers */
	for (int at = 0; at < 2; at++) {
		chan(&small);
		assert_int_equal(ccg_channel_send(ch, "secret", 6, NULL), CCG_OK);
		rx = published(1);
		dp_ring_desc(&rx->r, 0)[at == 0 ? DP_DMAC_OFF + 15 : 6] ^= 0x01;
		assert_int_equal(recv_status(), CCG_ERR_DESCRIPTOR);
	}
}

/*
 * the host OS alters a host-to-device slot after it was sealed and before
 * the device opens it: seal one write through the channel's own sender,
 * flip a bit of its descriptor (desc >= 0) or ciphertext, publish it (a
 * refusal by the device comes back as the status of the next recv)
 */
static void tampered_write(int desc, int data)
{
	struct dp_tx *tx = ccg_channel_debug_tx(ch);
	struct dp_job job;
	uint32_t n = 0;
	static const uint8_t payload[64] = {1, 2, 3};

	assert_int_equal(dp_tx_reserve(tx, 1, &n, 1000, NULL), CCG_OK);
	assert_int_equal(dp_tx_begin_batch(tx), CCG_OK);
	assert_int_equal(dp_tx_assign(tx, 0, DP_OP_WRITE, 0, payload, sizeof(payload), &job), CCG_OK);
	assert_int_equal(dp_seal_slot(tx, &tx->aead, &job), CCG_OK);
	if (desc >= 0)
		dp_ring_desc(&tx->r, job.slot)[desc] ^= 0x04;
	if (data >= 0)
		dp_ring_data(&tx->r, job.slot)[data] ^= 0x04;
	dp_tx_publish(tx, 1);
}

static void test_device_refuses_altered_slots(void **state)
{
	(void)state;
	chan(&small);
	tampered_write(32, -1); /* a bit of the payload's GCM tag */
	assert_int_equal(recv_status(), CCG_ERR_DESCRIPTOR);
	chan(&small);
	tampered_write(-1, 10); /* a bit of the ciphertext */
	assert_int_equal(recv_status(), CCG_ERR_MAC);
	chan(&small);
	tampered_write(24, -1); /* the device offset */
	assert_int_equal(recv_status(), CCG_ERR_DESCRIPTOR);
}

/* the copy-engine model: descriptors still authenticated and counted, payloads not opened on the host */
static void test_offload_device(void **state)
{
	struct ccg_channel_opts o = small;
	uint8_t data[4096], back[4096], zero[4096] = {0};

	(void)state;
	memset(data, 0x5A, sizeof(data));
	chan_on(ce_sock, &small);
	echo("messages are still echoed");
	assert_int_equal(ccg_channel_write(ch, 0, data, sizeof(data), NULL), CCG_OK);
	assert_int_equal(ccg_channel_read(ch, 0, back, sizeof(back), NULL), CCG_OK);
	assert_memory_equal(back, zero, sizeof(back)); /* device memory untouched: nothing was decrypted */
	chan_on(ce_sock, &small);
	tampered_write(32, -1);
	assert_int_equal(recv_status(), CCG_ERR_DESCRIPTOR);
	/* an altered ciphertext passes the device end here: opening it is the modelled copy engine's job */
	chan_on(ce_sock, &small);
	tampered_write(-1, 10);
	echo("still open");
	/* a sender past the hard limit is refused as on the host path */
	o.no_rotation = true;
	o.limit_msgs = 6;
	chan_on(ce_sock, &o);
	rogue_sender(false, true);
	for (int i = 0; i < 7; i++)
		assert_int_equal(ccg_channel_write(ch, 0, "x", 1, NULL), CCG_OK);
	assert_int_equal(recv_status(), CCG_ERR_KEY_EXHAUSTED);
	chan(&small); /* back to the host-path device for the tests after */
}

/*
 * Compute on the device (branch inference): weights written through the
 * channel, an int8 MLP run by gpusim over them, the result sealed back; it
 * equals the engine's answer over the same bytes computed here. A command
 * the device refuses ends the channel with the device's status.
 */
static size_t run_cmd(uint8_t *cmd, const int8_t *x)
{
	static const uint8_t layers[2][GPUSIM_RUN_LAYER_LEN] = {
		{0, 0x10, 0, 0, 0, 0, 0, 0, 64, 0, 32, 0, 5, 0, 0, 0}, /* 32 -> 64 at 4096, shift 5 */
		{0, 0x20, 0, 0, 0, 0, 0, 0, 16, 0, 64, 0, 0, 0, 0, 0}, /* 64 -> 16 at 8192 */
	};

	cmd[0] = GPUSIM_RUN_MLP;
	cmd[1] = 2;
	cmd[2] = cmd[3] = 0;
	memcpy(cmd + 4, layers, sizeof(layers));
	memcpy(cmd + 4 + sizeof(layers), x, 32);
	return 4 + sizeof(layers) + 32;
}

static void test_compute_on_device(void **state)
{
	struct ccg_channel_opts o = {.slots = 8, .slot_size = 4096, .device_memory = 1 << 16};
	uint8_t *weights = malloc(1 << 16), cmd[128], out[256], want[256];
	int8_t x[32];
	size_t n = 0, wn = 0, len;
	struct ccg_error e;

	(void)state;
	assert_non_null(weights);
	assert_int_equal(ccg_random(weights, 1 << 16), CCG_OK);
	assert_int_equal(ccg_random((uint8_t *)x, sizeof(x)), CCG_OK);
	len = run_cmd(cmd, x);
	assert_int_equal(gpusim_compute_run(weights, 1 << 16, cmd, len, want, sizeof(want), &wn, NULL), CCG_OK);
	chan(&o);
	assert_int_equal(ccg_channel_write(ch, 0, weights, 1 << 16, NULL), CCG_OK);
	assert_int_equal(ccg_channel_run(ch, cmd, len, out, sizeof(out), &n, NULL), CCG_OK);
	assert_int_equal(n, 64);
	assert_int_equal(wn, 64);
	assert_memory_equal(out, want, n);
	/* messages and compute interleave on one channel */
	echo("between two runs");
	assert_int_equal(ccg_channel_run(ch, cmd, len, out, sizeof(out), &n, NULL), CCG_OK);
	assert_memory_equal(out, want, n);
	/* a command the device refuses (matrix beyond its memory) ends the channel with the device's status */
	cmd[4 + GPUSIM_RUN_LAYER_LEN + 2] = 0x01; /* layer 1 at 65536 + 8192 */
	ccg_error_clear(&e);
	assert_int_equal(ccg_channel_run(ch, cmd, len, out, sizeof(out), &n, &e), CCG_ERR_MALFORMED);
	assert_string_equal(e.where, "channel.device");
	assert_int_equal(n, 0);
	assert_int_equal(ccg_channel_run(ch, cmd, len, out, sizeof(out), &n, NULL), CCG_ERR_CHANNEL_CLOSED);
	/* a command larger than a slot is refused before anything is sealed */
	chan(&o);
	assert_int_equal(ccg_channel_run(ch, weights, 4097, out, sizeof(out), &n, NULL), CCG_ERR_TOO_LARGE);
	echo("still open");
	/* the copy-engine model has no plaintext in device memory: it refuses to compute */
	len = run_cmd(cmd, x);
	chan_on(ce_sock, &o);
	assert_int_equal(ccg_channel_run(ch, cmd, len, out, sizeof(out), &n, NULL), CCG_ERR_UNSUPPORTED);
	chan(&small);
	free(weights);
}

static void test_attack_wrong_direction(void **state)
{
	struct dp_rx *rx;
	struct dp_tx *tx;

	(void)state;
	chan(&small);
	assert_int_equal(ccg_channel_send(ch, "secret", 6, NULL), CCG_OK);
	rx = published(1);
	tx = ccg_channel_debug_tx(ch);
	copy_slot(&rx->r, 0, &tx->r, 0); /* the host's own host-to-device message fed back to it */
	assert_int_equal(recv_status(), CCG_ERR_WRONG_DIRECTION);
}

static void test_stale_key_beyond_window(void **state)
{
	struct ccg_channel_opts o = small;
	char msg[32];

	(void)state;
	o.rotate_msgs = 4;
	o.rotate_blocks = 1 << 20;
	o.window = 4;
	chan(&o);
	rogue_sender(true, false); /* a sender that never rotates */
	/* messages 0..7 fall within rotation point 4 + window 4; the device refuses the ninth */
	for (int i = 0; i < 8; i++) {
		snprintf(msg, sizeof(msg), "message %d", i);
		echo(msg);
	}
	assert_int_equal(ccg_channel_send(ch, "late", 4, NULL), CCG_OK);
	assert_int_equal(recv_status(), CCG_ERR_STALE_KEY);
}

static void test_exhaustion(void **state)
{
	struct ccg_channel_opts o = small;

	(void)state;
	o.no_rotation = true;
	o.limit_msgs = 6;
	chan(&o);
	/* five messages: the sixth use of a key is kept for an ERROR report */
	for (int i = 0; i < 5; i++)
		echo("x");
	/* the sender refuses to go past the limit itself */
	assert_int_equal(ccg_channel_send(ch, "y", 1, NULL), CCG_ERR_KEY_EXHAUSTED);
	/* and a sender that ignores it is refused by the device: six writes pass, the seventh not */
	chan(&o);
	rogue_sender(false, true);
	for (int i = 0; i < 7; i++)
		assert_int_equal(ccg_channel_write(ch, 0, "x", 1, NULL), CCG_OK);
	assert_int_equal(recv_status(), CCG_ERR_KEY_EXHAUSTED);
}

static void test_rotation_keeps_flowing(void **state)
{
	struct ccg_channel_opts o = {.slots = 4,
				     .slot_size = 4096,
				     .threads = 2,
				     .device_memory = 1 << 18,
				     .rotate_msgs = 4,
				     .rotate_blocks = 1000,
				     .limit_msgs = 12,
				     .limit_blocks = 5000,
				     .window = 4};
	struct ccg_channel_stats st;
	uint8_t *data = malloc(1 << 18), *back = malloc(1 << 18);

	(void)state;
	chan(&o);
	for (int i = 0; i < 50; i++)
		echo("rotating");
	assert_int_equal(ccg_random(data, 1 << 18), CCG_OK);
	assert_int_equal(ccg_channel_write(ch, 0, data, 1 << 18, NULL), CCG_OK);
	assert_int_equal(ccg_channel_read(ch, 0, back, 1 << 18, NULL), CCG_OK);
	assert_memory_equal(data, back, 1 << 18);
	ccg_channel_stats(ch, &st);
	/* 64 chunks + 50 messages + 1 read request at 4 per key: well past the hard limit of 12 without rotation */
	assert_true(st.rotations_sent >= 25);
	assert_true(st.rotations_received >= 25);
	assert_int_equal(st.rejects, 0);
	free(data);
	free(back);
}

/*
 * end to end with gpusim's device thread in its own process: a writer process
 * flips a byte in every host-to-device data slot while the guest seals
 * writes into them and the device opens them into its memory. A write the
 * device accepted reads back exactly as written; an altered one is refused
 * (CCG_ERR_MAC, the channel ends and a new one is opened); nothing else.
 */
static void test_race_device(void **state)
{
	struct ccg_channel_opts o = {.slots = 4, .slot_size = 16384, .device_memory = 1 << 16};
	struct race_ctl *ctl;
	cpu_set_t allowed;
	uint8_t *data = malloc(o.slot_size), *back = malloc(o.slot_size);
	unsigned accepted = 0, refused = 0;
	int rounds = 0;

	(void)state;
	assert_non_null(data);
	assert_non_null(back);
	assert_int_equal(sched_getaffinity(0, sizeof(allowed), &allowed), 0);
	ctl = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	assert_true(ctl != MAP_FAILED);
	while (rounds < 600) {
		struct dp_ring *r;
		pid_t pid;

		chan(&o);
		r = &ccg_channel_debug_tx(ch)->r;
		ctl->running = ctl->stop = 0;
		pid = fork();
		assert_true(pid >= 0);
		if (pid == 0) {
			(void)pin_nth_cpu(&allowed, 1);
			ctl->running = 1;
			while (!ctl->stop)
				for (uint32_t i = 0; i < r->slots; i++)
					dp_ring_data(r, i)[o.slot_size / 2 + i] ^= 0x01;
			_exit(0);
		}
		(void)pin_nth_cpu(&allowed, 0);
		while (!ctl->running)
			sched_yield();
		for (; rounds < 600; rounds++) {
			struct ccg_error e;
			enum ccg_status st;

			memset(data, rounds & 0xFF, o.slot_size);
			ccg_error_clear(&e);
			st = ccg_channel_write(ch, 0, data, o.slot_size, &e);
			if (st == CCG_OK)
				st = ccg_channel_read(ch, 0, back, o.slot_size, &e);
			if (st != CCG_OK) {
				assert_int_equal(st, CCG_ERR_MAC);
				refused++;
				rounds++;
				break;
			}
			assert_memory_equal(back, data, o.slot_size);
			accepted++;
		}
		racer_stop(pid, ctl, &allowed);
	}
	print_message("# device under a racing writer: %u writes accepted intact, %u refused\n", accepted, refused);
	munmap(ctl, 4096);
	free(data);
	free(back);
}

/* ---------- reopening: fresh keys for every open, never a (key, IV) pair twice ---------- */

/* both opens drew the same channel id (a collision of the random draw) */
#define SAME_ID 0x5EED1D00u

struct slot_copy {
	uint8_t desc[DP_DESC_LEN], data[64];
};

static void save_slot(struct slot_copy *c, const struct dp_ring *r, uint32_t idx)
{
	memcpy(c->desc, dp_ring_desc(r, idx), DP_DESC_LEN);
	memcpy(c->data, dp_ring_data(r, idx), sizeof(c->data));
}

static void put_slot(struct dp_ring *r, uint32_t idx, const struct slot_copy *c)
{
	memcpy(dp_ring_desc(r, idx), c->desc, DP_DESC_LEN);
	memcpy(dp_ring_data(r, idx), c->data, sizeof(c->data));
}

/*
 * three opens with the same channel id, each sending the same message as its
 * first: every open has its own keys, and the host sees different
 * ciphertexts and tags in both directions (the same key and IV would give
 * the same bytes)
 */
static void test_reopen_fresh_keys(void **state)
{
	uint8_t keys[3][2][DP_KEYS_LEN];
	struct slot_copy h2d[3], d2h[3];

	(void)state;
	session_on(sock);
	sess->debug_channel_id = SAME_ID;
	for (int i = 0; i < 3; i++) {
		chan(&small);
		assert_int_equal(ccg_channel_debug_tx(ch)->p->channel_id, SAME_ID);
		memcpy(keys[i][0], ccg_channel_debug_tx(ch)->k.s->data, DP_KEYS_LEN);
		memcpy(keys[i][1], ccg_channel_debug_rx(ch)->k.s->data, DP_KEYS_LEN);
		echo("the same words");
		save_slot(&h2d[i], &ccg_channel_debug_tx(ch)->r, 0);
		save_slot(&d2h[i], &ccg_channel_debug_rx(ch)->r, 0);
	}
	sess->debug_channel_id = 0;
	for (int i = 0; i < 3; i++)
		for (int j = i + 1; j < 3; j++) {
			assert_memory_not_equal(keys[i][0], keys[j][0], DP_KEYS_LEN);
			assert_memory_not_equal(keys[i][1], keys[j][1], DP_KEYS_LEN);
			/* counter 0 and the same plaintext in both: equal bytes would mean the same (key, IV) */
			assert_memory_not_equal(h2d[i].data, h2d[j].data, 14);
			assert_memory_not_equal(d2h[i].data, d2h[j].data, 14);
			assert_memory_not_equal(h2d[i].desc + 32, h2d[j].desc + 32, DP_TAG_LEN);
			assert_memory_not_equal(d2h[i].desc + 32, d2h[j].desc + 32, DP_TAG_LEN);
		}
}

/* slots of a closed channel replayed into a reopened one with the same id: refused at both ends */
static void test_reopen_replay_refused(void **state)
{
	struct slot_copy old_h2d, old_d2h;
	struct dp_tx *tx;
	struct dp_rx *rx;

	(void)state;
	session_on(sock);
	sess->debug_channel_id = SAME_ID;
	chan(&small);
	echo("first");
	save_slot(&old_h2d, &ccg_channel_debug_tx(ch)->r, 0);
	save_slot(&old_d2h, &ccg_channel_debug_rx(ch)->r, 0);
	/* the device end: the old channel's first message published into the new one's first slot */
	chan(&small);
	tx = ccg_channel_debug_tx(ch);
	put_slot(&tx->r, tx->head, &old_h2d);
	dp_tx_publish(tx, 1);
	assert_int_equal(recv_status(), CCG_ERR_DESCRIPTOR);
	/* the guest end: the device's old first answer published into the new channel */
	chan(&small);
	rx = ccg_channel_debug_rx(ch);
	put_slot(&rx->r, rx->tail, &old_d2h);
	__atomic_store_n(rx->r.head, rx->tail + 1, __ATOMIC_RELEASE);
	assert_int_equal(recv_status(), CCG_ERR_DESCRIPTOR);
	sess->debug_channel_id = 0;
}

/* the device's answer to a frame written straight onto the session's socket: ERROR's status, or 0 */
static uint32_t raw_frame(uint8_t type, const uint8_t *payload, size_t len, int fd)
{
	struct ccg_buf io;
	struct ccg_frame f;
	struct ccg_cursor c;
	uint32_t code = 0;

	ccg_buf_init(&io, 0);
	assert_int_equal(fd >= 0 ? ccg_frame_write_fd(sess->fd, type, 0, sess->session_id, payload, len, fd, NULL)
				 : ccg_frame_write(sess->fd, type, 0, sess->session_id, payload, len, NULL),
			 CCG_OK);
	assert_int_equal(ccg_frame_read(sess->fd, &io, &f, NULL), CCG_OK);
	if (f.type == CCG_FRAME_ERROR) {
		c = f.payload;
		assert_true(ccg_cursor_get_u32le(&c, &code));
	}
	ccg_buf_cleanup(&io);
	return code;
}

/* a memfd of the size the params need, with the given seals */
static int memfd_with(const struct dp_params *p, unsigned seals)
{
	int fd = memfd_create("test-bounce", MFD_CLOEXEC | MFD_ALLOW_SEALING);

	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, (off_t)dp_shm_size(p)), 0);
	if (seals != 0)
		assert_int_equal(fcntl(fd, F_ADD_SEALS, seals), 0);
	return fd;
}

static void small_params(struct dp_params *p)
{
	dp_params_defaults(p);
	p->channel_id = 7;
	p->slots = small.slots;
	p->window = small.slots;
	p->slot_size = small.slot_size;
	p->dev_mem = small.device_memory;
}

/* CHANNEL_OPEN / CHANNEL_CLOSE as plain frames (the host can write those) are refused; the channel goes on */
static void test_plain_control_refused(void **state)
{
	struct dp_params p;
	uint8_t params[DP_PARAMS_LEN];
	int fd;

	(void)state;
	chan(&small);
	echo("open");
	assert_int_equal(raw_frame(CCG_FRAME_CHANNEL_CLOSE, NULL, 0, -1), CCG_ERR_PROTOCOL);
	echo("still open after a plain CHANNEL_CLOSE");
	ccg_channel_free(ch);
	ch = NULL;
	small_params(&p);
	assert_int_equal(dp_params_encode(&p, params), CCG_OK);
	fd = memfd_with(&p, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL);
	assert_int_equal(raw_frame(CCG_FRAME_CHANNEL_OPEN, params, sizeof(params), fd), CCG_ERR_PROTOCOL);
	close(fd);
	chan(&small); /* the session opens channels as before */
	echo("after");
}

/* the device checks the open counter: a CHANNEL_OPEN out of the session's sequence is refused */
static void test_open_counter(void **state)
{
	struct ccg_channel *c = NULL;
	struct ccg_error e;

	(void)state;
	session_on(sock);
	sess->channel_opens++;
	ccg_error_clear(&e);
	assert_int_equal(ccg_channel_open(sess, &small, &c, &e), CCG_ERR_PROTOCOL);
	assert_null(c);
	assert_non_null(strstr(e.detail, "channel.open.counter"));
	sess->channel_opens--;
	chan(&small);
	echo("in sequence again");
}

/* ---------- the shared memory cannot be resized under the two ends ---------- */

static void test_shm_sealed(void **state)
{
	int fd;

	(void)state;
	chan(&small);
	fd = ccg_channel_debug_memfd(ch);
	assert_true(fd >= 0);
	errno = 0;
	assert_int_equal(ftruncate(fd, 0), -1);
	assert_int_equal(errno, EPERM);
	errno = 0;
	assert_int_equal(ftruncate(fd, 1 << 24), -1);
	assert_int_equal(errno, EPERM);
	errno = 0;
	assert_int_equal(fcntl(fd, F_ADD_SEALS, F_SEAL_WRITE), -1); /* the seals themselves are sealed */
	assert_int_equal(errno, EPERM);
	echo("both ends alive");
}

/* a host that swaps the memfd for one it can still resize: the device refuses it by name, nobody dies */
static void test_unsealed_refused(void **state)
{
	static const unsigned seals[] = {0, F_SEAL_SHRINK | F_SEAL_SEAL, F_SEAL_GROW | F_SEAL_SEAL,
					 F_SEAL_SHRINK | F_SEAL_GROW};
	struct dp_params p;
	struct ccg_channel *c = NULL;
	struct ccg_error e;

	(void)state;
	session_on(sock);
	small_params(&p);
	for (size_t i = 0; i < sizeof(seals) / sizeof(seals[0]); i++) {
		sess->debug_fd = memfd_with(&p, seals[i]);
		sess->debug_swap_fd = true;
		ccg_error_clear(&e);
		assert_int_equal(ccg_channel_open(sess, &small, &c, &e), CCG_ERR_SHM_UNSEALED);
		assert_null(c);
		assert_non_null(strstr(e.detail, "channel.memfd.seals"));
		sess->debug_swap_fd = false;
		close(sess->debug_fd);
	}
	chan(&small);
	echo("the session goes on");
}

/* ---------- a peer that closed its end: an error, never SIGPIPE ---------- */

static void test_peer_closed(void **state)
{
	int sv[2];
	struct ccg_error e;

	(void)state;
	/* no SIGPIPE disposition is changed here: a write raising it would end this process */
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
	close(sv[1]);
	ccg_error_clear(&e);
	assert_int_equal(ccg_frame_write(sv[0], CCG_FRAME_GET_INFO, 0, 0, NULL, 0, &e), CCG_ERR_PEER_CLOSED);
	assert_string_equal(e.where, "frame.write");
	ccg_error_clear(&e);
	assert_int_equal(ccg_frame_write_fd(sv[0], CCG_FRAME_GET_INFO, 0, 0, NULL, 0, sv[0], &e), CCG_ERR_PEER_CLOSED);
	assert_string_equal(e.where, "frame.write");
	ccg_error_clear(&e);
	assert_int_equal(ccg_frame_send(sv[0], (const uint8_t *)"x", 1, &e), CCG_ERR_PEER_CLOSED);
	close(sv[0]);
}

/* the device drops the connection (after a bad frame header): the session's next request is an error */
static void test_session_peer_gone(void **state)
{
	static const uint8_t bad[CCG_FRAME_HEADER_LEN] = {0, 0, 0, 0, 9, CCG_FRAME_GET_INFO};
	struct ccg_session *s;
	struct ccg_buf io;
	struct ccg_frame f;
	struct ccg_error e;

	(void)state;
	session_on(sock); /* gpusim serves one connection at a time: this test's session is the shared one */
	s = sess;
	sess = NULL;
	ccg_buf_init(&io, 0);
	assert_int_equal(ccg_frame_send(s->fd, bad, sizeof(bad), NULL), CCG_OK);
	assert_int_equal(ccg_frame_read(s->fd, &io, &f, NULL), CCG_OK);
	assert_int_equal(f.type, CCG_FRAME_ERROR);
	assert_int_equal(ccg_frame_read(s->fd, &io, &f, NULL), CCG_ERR_NOT_FOUND); /* the device has closed */
	ccg_error_clear(&e);
	assert_int_equal(ccg_session_heartbeat(s, &e), CCG_ERR_PEER_CLOSED);
	assert_string_equal(e.where, "frame.write");
	ccg_buf_cleanup(&io);
	ccg_session_free(s);
}

static int group_teardown(void **state)
{
	chan_teardown(state);
	return teardown(state);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_key_schedule),
		cmocka_unit_test(test_records),
		cmocka_unit_test(test_descriptor_snapshot),
		cmocka_unit_test(test_descriptor_op_range),
		cmocka_unit_test(test_control_messages),
		cmocka_unit_test(test_channel_secret),
		cmocka_unit_test(test_race_receiver),
		cmocka_unit_test(test_race_sender),
		cmocka_unit_test(test_session),
		cmocka_unit_test(test_session_record_attacks),
		cmocka_unit_test(test_untrusted_root),
		cmocka_unit_test(test_session_root_forms),
		cmocka_unit_test(test_session_attested_leaf),
		cmocka_unit_test(test_tampered_signature),
		cmocka_unit_test(test_messages_and_bulk),
		cmocka_unit_test(test_option_ranges),
		cmocka_unit_test(test_attack_replay),
		cmocka_unit_test(test_attack_reorder),
		cmocka_unit_test(test_attack_drop),
		cmocka_unit_test(test_attack_tag_bit),
		cmocka_unit_test(test_attack_ciphertext_bit),
		cmocka_unit_test(test_attack_length),
		cmocka_unit_test(test_attack_descriptor_gmac),
		cmocka_unit_test(test_device_refuses_altered_slots),
		cmocka_unit_test(test_offload_device),
		cmocka_unit_test(test_compute_on_device),
		cmocka_unit_test(test_attack_wrong_direction),
		cmocka_unit_test(test_stale_key_beyond_window),
		cmocka_unit_test(test_exhaustion),
		cmocka_unit_test(test_rotation_keeps_flowing),
		cmocka_unit_test(test_race_device),
		cmocka_unit_test(test_reopen_fresh_keys),
		cmocka_unit_test(test_reopen_replay_refused),
		cmocka_unit_test(test_plain_control_refused),
		cmocka_unit_test(test_open_counter),
		cmocka_unit_test(test_shm_sealed),
		cmocka_unit_test(test_unsealed_refused),
		cmocka_unit_test(test_peer_closed),
		cmocka_unit_test(test_session_peer_gone),
	};

	return cmocka_run_group_tests_name("channel", tests, setup, group_teardown);
}
