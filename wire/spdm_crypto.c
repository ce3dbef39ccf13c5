/* SPDX-License-Identifier: Apache-2.0 */
#include "wire/spdm_crypto.h"

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/ec.h>
#include <openssl/ecdsa.h>
#include <openssl/err.h>
#include <openssl/hmac.h>
#include <openssl/param_build.h>
#include <string.h>

#include "common/crypto.h"
#include "common/error.h"
#include "common/writer.h"

#define SPDM_VERSION_LABEL "spdm1.2 "

enum ccg_status spdm_hmac(const uint8_t key[SPDM_H], const uint8_t *data, size_t len, uint8_t out[SPDM_H])
{
	unsigned int n = 0;

	if (HMAC(EVP_sha384(), key, SPDM_H, data, len, out, &n) == NULL || n != SPDM_H) {
		ERR_clear_error();
		return CCG_ERR_CRYPTO;
	}
	return CCG_OK;
}

enum ccg_status spdm_hkdf_extract(const uint8_t *salt, size_t salt_len, const uint8_t *ikm, size_t ikm_len,
				  uint8_t out[SPDM_H])
{
	unsigned int n = 0;

	if (salt_len > INT32_MAX ||
	    HMAC(EVP_sha384(), salt, (int)salt_len, ikm, ikm_len, out, &n) == NULL || n != SPDM_H) {
		ERR_clear_error();
		return CCG_ERR_CRYPTO;
	}
	return CCG_OK;
}

/* RFC 5869 section 2.3: T(i) = HMAC(PRK, T(i-1) || info || i) */
enum ccg_status spdm_hkdf_expand(const uint8_t prk[SPDM_H], const uint8_t *info, size_t info_len, uint8_t *out,
				 size_t out_len)
{
	uint8_t in[SPDM_H + 256 + 1], t[SPDM_H] = {0};
	size_t done = 0, tlen = 0;
	enum ccg_status st = CCG_OK;

	if (out_len == 0 || out_len > 255 * SPDM_H || info_len > 256)
		return CCG_ERR_INVALID_ARG;
	for (unsigned i = 1; done < out_len; i++) {
		size_t n, m = 0;

		memcpy(in, t, tlen);
		m = tlen;
		if (info_len > 0)
			memcpy(in + m, info, info_len);
		m += info_len;
		in[m++] = (uint8_t)i;
		if ((st = spdm_hmac(prk, in, m, t)) != CCG_OK)
			break;
		tlen = SPDM_H;
		n = out_len - done < tlen ? out_len - done : tlen;
		memcpy(out + done, t, n);
		done += n;
	}
	OPENSSL_cleanse(t, sizeof(t));
	OPENSSL_cleanse(in, sizeof(in));
	return st;
}

enum ccg_status spdm_bin_concat(uint16_t length, const char *label, const uint8_t *ctx, size_t ctx_len,
				uint8_t *out, size_t out_size, size_t *out_len)
{
	struct ccg_writer w;

	ccg_writer_init_fixed(&w, out, out_size);
	if (!ccg_writer_put_u16le(&w, length) ||
	    !ccg_writer_put_bytes(&w, SPDM_VERSION_LABEL, sizeof(SPDM_VERSION_LABEL) - 1) ||
	    !ccg_writer_put_bytes(&w, label, strlen(label)) || !ccg_writer_put_bytes(&w, ctx, ctx_len))
		return CCG_ERR_INVALID_ARG;
	*out_len = w.len;
	return CCG_OK;
}

enum ccg_status spdm_expand_label(const uint8_t prk[SPDM_H], const char *label, const uint8_t *ctx, size_t ctx_len,
				  uint8_t *out, size_t out_len)
{
	uint8_t info[128];
	size_t n = 0;
	enum ccg_status st;

	if (out_len > UINT16_MAX)
		return CCG_ERR_INVALID_ARG;
	if ((st = spdm_bin_concat((uint16_t)out_len, label, ctx, ctx_len, info, sizeof(info), &n)) != CCG_OK)
		return st;
	return spdm_hkdf_expand(prk, info, n, out, out_len);
}

enum ccg_status spdm_schedule_init(struct spdm_schedule *k)
{
	return ccg_secret_new(SPDM_S_COUNT * SPDM_H, &k->s);
}

void spdm_schedule_cleanup(struct spdm_schedule *k)
{
	ccg_secret_free(k->s);
	k->s = NULL;
}

enum ccg_status spdm_schedule_handshake(struct spdm_schedule *k, const uint8_t *dhe, size_t dhe_len,
					const uint8_t th1[SPDM_H])
{
	static const uint8_t salt0[SPDM_H];
	enum ccg_status st;

	if ((st = spdm_hkdf_extract(salt0, sizeof(salt0), dhe, dhe_len, spdm_secret(k, SPDM_S_HANDSHAKE))) != CCG_OK ||
	    (st = spdm_expand_label(spdm_secret(k, SPDM_S_HANDSHAKE), "req hs data", th1, SPDM_H,
				    spdm_secret(k, SPDM_S_REQ_HS), SPDM_H)) != CCG_OK ||
	    (st = spdm_expand_label(spdm_secret(k, SPDM_S_HANDSHAKE), "rsp hs data", th1, SPDM_H,
				    spdm_secret(k, SPDM_S_RSP_HS), SPDM_H)) != CCG_OK ||
	    (st = spdm_expand_label(spdm_secret(k, SPDM_S_REQ_HS), "finished", NULL, 0,
				    spdm_secret(k, SPDM_S_REQ_FINISHED), SPDM_H)) != CCG_OK)
		return st;
	return spdm_expand_label(spdm_secret(k, SPDM_S_RSP_HS), "finished", NULL, 0,
				 spdm_secret(k, SPDM_S_RSP_FINISHED), SPDM_H);
}

enum ccg_status spdm_schedule_data(struct spdm_schedule *k, const uint8_t th2[SPDM_H])
{
	static const uint8_t zero[SPDM_H];
	uint8_t salt1[SPDM_H];
	enum ccg_status st;

	if ((st = spdm_expand_label(spdm_secret(k, SPDM_S_HANDSHAKE), "derived", NULL, 0, salt1, SPDM_H)) != CCG_OK ||
	    (st = spdm_hkdf_extract(salt1, SPDM_H, zero, sizeof(zero), spdm_secret(k, SPDM_S_MASTER))) != CCG_OK ||
	    (st = spdm_expand_label(spdm_secret(k, SPDM_S_MASTER), "req app data", th2, SPDM_H,
				    spdm_secret(k, SPDM_S_REQ_DATA), SPDM_H)) != CCG_OK ||
	    (st = spdm_expand_label(spdm_secret(k, SPDM_S_MASTER), "rsp app data", th2, SPDM_H,
				    spdm_secret(k, SPDM_S_RSP_DATA), SPDM_H)) != CCG_OK)
		goto out;
	st = spdm_expand_label(spdm_secret(k, SPDM_S_MASTER), "exp master", th2, SPDM_H, spdm_secret(k, SPDM_S_EXPORT),
			       SPDM_H);
out:
	OPENSSL_cleanse(salt1, sizeof(salt1));
	return st;
}

/* ---------- DSP0277 records ---------- */

#define DIR_SECRET(d) ((d)->s->data)
#define DIR_KEY(d) ((d)->s->data + SPDM_H)
#define DIR_IV(d) ((d)->s->data + SPDM_H + SPDM_AEAD_KEY_LEN)

enum ccg_status spdm_dir_init(struct spdm_dir_keys *d)
{
	d->seq = 0;
	return ccg_secret_new(SPDM_H + SPDM_AEAD_KEY_LEN + SPDM_AEAD_IV_LEN, &d->s);
}

void spdm_dir_cleanup(struct spdm_dir_keys *d)
{
	ccg_secret_free(d->s);
	d->s = NULL;
}

static enum ccg_status dir_derive(struct spdm_dir_keys *d)
{
	enum ccg_status st;

	if ((st = spdm_expand_label(DIR_SECRET(d), "key", NULL, 0, DIR_KEY(d), SPDM_AEAD_KEY_LEN)) != CCG_OK)
		return st;
	d->seq = 0;
	return spdm_expand_label(DIR_SECRET(d), "iv", NULL, 0, DIR_IV(d), SPDM_AEAD_IV_LEN);
}

enum ccg_status spdm_dir_set(struct spdm_dir_keys *d, const uint8_t secret[SPDM_H])
{
	memcpy(DIR_SECRET(d), secret, SPDM_H);
	return dir_derive(d);
}

enum ccg_status spdm_dir_update(struct spdm_dir_keys *d)
{
	uint8_t next[SPDM_H];
	enum ccg_status st = spdm_expand_label(DIR_SECRET(d), "traffic upd", NULL, 0, next, SPDM_H);

	if (st == CCG_OK)
		st = spdm_dir_set(d, next);
	OPENSSL_cleanse(next, sizeof(next));
	return st;
}

void spdm_dir_copy(struct spdm_dir_keys *dst, const struct spdm_dir_keys *src)
{
	memcpy(dst->s->data, src->s->data, SPDM_H + SPDM_AEAD_KEY_LEN + SPDM_AEAD_IV_LEN);
	dst->seq = src->seq;
}

static void record_iv(const struct spdm_dir_keys *d, uint64_t seq, uint8_t iv[SPDM_AEAD_IV_LEN])
{
	memcpy(iv, DIR_IV(d), SPDM_AEAD_IV_LEN);
	for (int i = 0; i < 8; i++)
		iv[i] ^= (uint8_t)(seq >> (8 * i));
}

enum ccg_status spdm_record_seal(struct spdm_dir_keys *d, uint32_t session_id, const uint8_t *msg, size_t len,
				 struct ccg_buf *out)
{
	EVP_CIPHER_CTX *c = NULL;
	uint8_t hdr[SPDM_REC_HDR_LEN], iv[SPDM_AEAD_IV_LEN], alen[2];
	struct ccg_writer hw, aw;
	size_t start = out->len, enc_len = 2 + len;
	int n = 0;
	enum ccg_status st;

	if (len > SPDM_MAX_MSG)
		return CCG_ERR_TOO_LARGE;
	if (d->seq == UINT64_MAX)
		return CCG_ERR_KEY_EXHAUSTED;
	ccg_writer_init_fixed(&hw, hdr, sizeof(hdr));
	ccg_writer_init_fixed(&aw, alen, sizeof(alen));
	if (!ccg_writer_put_u32le(&hw, session_id) || !ccg_writer_put_u64le(&hw, d->seq) ||
	    !ccg_writer_put_u16le(&hw, (uint16_t)(enc_len + SPDM_AEAD_TAG_LEN)) || !ccg_writer_put_u16le(&aw, (uint16_t)len))
		return CCG_ERR_INTERNAL;
	if ((st = ccg_buf_append(out, hdr, sizeof(hdr))) != CCG_OK ||
	    (st = ccg_buf_reserve(out, enc_len + SPDM_AEAD_TAG_LEN)) != CCG_OK)
		return st;
	record_iv(d, d->seq, iv);
	st = CCG_ERR_CRYPTO;
	c = EVP_CIPHER_CTX_new();
	if (c == NULL || EVP_EncryptInit_ex(c, EVP_aes_256_gcm(), NULL, DIR_KEY(d), iv) != 1 ||
	    EVP_EncryptUpdate(c, NULL, &n, hdr, sizeof(hdr)) != 1 ||
	    EVP_EncryptUpdate(c, out->data + out->len, &n, alen, 2) != 1 ||
	    (len > 0 && EVP_EncryptUpdate(c, out->data + out->len + 2, &n, msg, (int)len) != 1) ||
	    EVP_EncryptFinal_ex(c, out->data + out->len + enc_len, &n) != 1 ||
	    EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_GET_TAG, SPDM_AEAD_TAG_LEN, out->data + out->len + enc_len) != 1) {
		out->len = start;
		goto out;
	}
	out->len += enc_len + SPDM_AEAD_TAG_LEN;
	d->seq++;
	st = CCG_OK;
out:
	EVP_CIPHER_CTX_free(c);
	ERR_clear_error();
	return st;
}

enum ccg_status spdm_record_open(struct spdm_dir_keys *d, uint32_t session_id, const uint8_t *in, size_t in_len,
				 struct ccg_buf *out, struct ccg_error *err)
{
	struct ccg_cursor c, hdr, enc, tag, pc;
	EVP_CIPHER_CTX *x = NULL;
	uint8_t iv[SPDM_AEAD_IV_LEN], plain[2 + SPDM_MAX_MSG];
	uint32_t sid = 0;
	uint64_t seq = 0;
	uint16_t length = 0, app_len = 0;
	int n = 0;
	enum ccg_status st;

	ccg_cursor_init(&c, in, in_len);
	hdr = c;
	if (!ccg_cursor_get_u32le(&c, &sid) || !ccg_cursor_get_u64le(&c, &seq) || !ccg_cursor_get_u16le(&c, &length))
		return ccg_error_set(err, CCG_ERR_TRUNCATED, "record.header", "need %d bytes", SPDM_REC_HDR_LEN);
	if (sid != session_id)
		return ccg_error_set(err, CCG_ERR_MALFORMED, "record.session_id", "session 0x%08x, expected 0x%08x", sid,
				     session_id);
	if (length < 2 + SPDM_AEAD_TAG_LEN || length > sizeof(plain) + SPDM_AEAD_TAG_LEN)
		return ccg_error_set(err, CCG_ERR_MALFORMED, "record.length", "%u bytes", length);
	if (!ccg_cursor_get_bytes(&c, &enc, (size_t)length - SPDM_AEAD_TAG_LEN) ||
	    !ccg_cursor_get_bytes(&c, &tag, SPDM_AEAD_TAG_LEN))
		return ccg_error_set(err, CCG_ERR_TRUNCATED, "record.data", "Length %u, have %zu", length, c.len);
	if ((st = ccg_cursor_finish(&c, "record", err)) != CCG_OK)
		return st;
	if (seq < d->seq)
		return ccg_error_set(err, CCG_ERR_REPLAY, "record.sequence_number", "%llu, expected %llu",
				     (unsigned long long)seq, (unsigned long long)d->seq);
	if (seq > d->seq)
		return ccg_error_set(err, CCG_ERR_DROPPED, "record.sequence_number", "%llu, expected %llu",
				     (unsigned long long)seq, (unsigned long long)d->seq);
	/* the IV comes from the receiver's own counter, not from the record */
	record_iv(d, d->seq, iv);
	x = EVP_CIPHER_CTX_new();
	if (x == NULL || EVP_DecryptInit_ex(x, EVP_aes_256_gcm(), NULL, DIR_KEY(d), iv) != 1 ||
	    EVP_DecryptUpdate(x, NULL, &n, hdr.data, SPDM_REC_HDR_LEN) != 1 ||
	    EVP_DecryptUpdate(x, plain, &n, enc.data, (int)enc.len) != 1 ||
	    EVP_CIPHER_CTX_ctrl(x, EVP_CTRL_GCM_SET_TAG, SPDM_AEAD_TAG_LEN, (void *)(uintptr_t)tag.data) != 1) {
		st = ccg_openssl_error(err, CCG_ERR_CRYPTO, "record", "AES-256-GCM");
		goto out;
	}
	if (EVP_DecryptFinal_ex(x, plain + enc.len, &n) != 1) {
		ERR_clear_error();
		st = ccg_error_set(err, CCG_ERR_MAC, "record.mac", "AES-256-GCM tag does not verify");
		goto out;
	}
	ccg_cursor_init(&pc, plain, enc.len);
	if (!ccg_cursor_get_u16le(&pc, &app_len) || app_len != pc.len) {
		st = ccg_error_set(err, CCG_ERR_MALFORMED, "record.application_data_length", "%u of %zu", app_len,
				   pc.len);
		goto out;
	}
	if ((st = ccg_buf_append(out, pc.data, pc.len)) != CCG_OK)
		goto out;
	d->seq++;
out:
	OPENSSL_cleanse(plain, sizeof(plain));
	EVP_CIPHER_CTX_free(x);
	return st;
}

/* ---------- ECDHE / ECDSA ---------- */

enum ccg_status spdm_ecdhe_new(EVP_PKEY **out, uint8_t pub[SPDM_DHE_LEN])
{
	EVP_PKEY *k = EVP_EC_gen("P-384");
	uint8_t pt[1 + SPDM_DHE_LEN];
	size_t n = 0;

	*out = NULL;
	if (k == NULL ||
	    EVP_PKEY_get_octet_string_param(k, OSSL_PKEY_PARAM_PUB_KEY, pt, sizeof(pt), &n) != 1 ||
	    n != sizeof(pt) || pt[0] != 0x04) {
		EVP_PKEY_free(k);
		ERR_clear_error();
		return CCG_ERR_CRYPTO;
	}
	memcpy(pub, pt + 1, SPDM_DHE_LEN);
	*out = k;
	return CCG_OK;
}

enum ccg_status spdm_ecdhe_derive(EVP_PKEY *key, const uint8_t peer[SPDM_DHE_LEN], uint8_t out[SPDM_H],
				  struct ccg_error *err)
{
	OSSL_PARAM_BLD *b = NULL;
	OSSL_PARAM *params = NULL;
	EVP_PKEY_CTX *fc = NULL, *dc = NULL;
	EVP_PKEY *pk = NULL;
	uint8_t pt[1 + SPDM_DHE_LEN];
	size_t n = SPDM_H;
	enum ccg_status st = CCG_ERR_CRYPTO;

	pt[0] = 0x04;
	memcpy(pt + 1, peer, SPDM_DHE_LEN);
	b = OSSL_PARAM_BLD_new();
	if (b == NULL || OSSL_PARAM_BLD_push_utf8_string(b, OSSL_PKEY_PARAM_GROUP_NAME, "P-384", 0) != 1 ||
	    OSSL_PARAM_BLD_push_octet_string(b, OSSL_PKEY_PARAM_PUB_KEY, pt, sizeof(pt)) != 1 ||
	    (params = OSSL_PARAM_BLD_to_param(b)) == NULL ||
	    (fc = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL)) == NULL || EVP_PKEY_fromdata_init(fc) != 1 ||
	    EVP_PKEY_fromdata(fc, &pk, EVP_PKEY_PUBLIC_KEY, params) != 1) {
		st = ccg_openssl_error(err, CCG_ERR_MALFORMED, "spdm.exchange_data", "not a point on secp384r1");
		goto out;
	}
	if ((dc = EVP_PKEY_CTX_new(key, NULL)) == NULL || EVP_PKEY_derive_init(dc) != 1 ||
	    EVP_PKEY_derive_set_peer_ex(dc, pk, 1) != 1 || EVP_PKEY_derive(dc, out, &n) != 1 || n != SPDM_H) {
		st = ccg_openssl_error(err, CCG_ERR_MALFORMED, "spdm.exchange_data", "ECDH with the peer's point");
		goto out;
	}
	st = CCG_OK;
out:
	EVP_PKEY_free(pk);
	EVP_PKEY_CTX_free(fc);
	EVP_PKEY_CTX_free(dc);
	OSSL_PARAM_free(params);
	OSSL_PARAM_BLD_free(b);
	return st;
}

void spdm_sign_input(const char *context, const uint8_t th_hash[SPDM_H], uint8_t out[SPDM_SIGN_INPUT_LEN])
{
	size_t cl = strlen(context);

	for (int i = 0; i < 4; i++)
		memcpy(out + 16 * i, "dmtf-spdm-v1.2.*", 16);
	memset(out + 64, 0, 36);
	if (cl > 36)
		cl = 36;
	memcpy(out + 64 + 36 - cl, context, cl);
	memcpy(out + 100, th_hash, SPDM_H);
}

