/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Oblivious HTTP (RFC 9458 §3, §4.3, §4.4) on common/hpke.h. Section
 * numbers are RFC 9458's. The response key is derived exactly as §4.4's
 * pseudocode: secret = Export("message/bhttp response", max(Nn, Nk)),
 * prk = Extract(enc ‖ response_nonce, secret), key = Expand(prk, "key", Nk),
 * nonce = Expand(prk, "nonce", Nn), with the suite's own KDF (no HPKE
 * labels); tests/unit/test_ohttp.c checks every intermediate value against
 * Appendix A.
 */
#include "ohttp/ohttp.h"
#include "ohttp/bhttp.h"

#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/cursor.h"
#include "common/crypto.h"
#include "common/error.h"
#include "common/hpke_internal.h"
#include "common/secret.h"

struct ccg_ohttp_ctx {
	enum ccg_hpke_suite suite;
	struct ccg_hpke_ctx *hpke;
	uint8_t enc[CCG_HPKE_MAX_ENC_LEN];
	size_t enc_len;
	bool gateway; /* a recipient context: it seals the response */
	bool used;    /* its one response is sealed or opened */
};

void ccg_ohttp_free_plaintext(uint8_t *p, size_t len)
{
	if (p != NULL)
		OPENSSL_cleanse(p, len);
	free(p);
}

void ccg_ohttp_ctx_free(struct ccg_ohttp_ctx *ctx)
{
	if (ctx == NULL)
		return;
	ccg_hpke_ctx_free(ctx->hpke);
	OPENSSL_cleanse(ctx, sizeof(*ctx));
	free(ctx);
}

/* ---------- key configurations (§3) ---------- */

static enum ccg_status kem_npk(uint16_t kem_id, size_t *npk)
{
	switch (kem_id) {
	case CCG_HPKE_KEM_X25519_SHA256: *npk = 32; return CCG_OK;
	case CCG_HPKE_KEM_P384_SHA384: *npk = 97; return CCG_OK;
	default: return CCG_ERR_UNSUPPORTED;
	}
}

static enum ccg_hpke_suite kem_suite(uint16_t kem_id)
{
	return kem_id == CCG_HPKE_KEM_X25519_SHA256 ? CCG_HPKE_X25519_SHA256_AES128GCM : CCG_HPKE_P384_SHA384_AES256GCM;
}

enum ccg_status ccg_ohttp_key_config_parse(const uint8_t *data, size_t len, struct ccg_ohttp_key_config *out,
					   struct ccg_error *err)
{
	struct ccg_cursor c, pk, algs;
	uint16_t algs_len;
	EVP_PKEY *key = NULL;
	enum ccg_status st;

	if (out == NULL || (data == NULL && len != 0))
		return ccg_error_set(err, CCG_ERR_INVALID_ARG, "ohttp.key_config", "NULL argument");
	memset(out, 0, sizeof(*out));
	ccg_cursor_init(&c, data, len);
	if (!ccg_cursor_get_u8(&c, &out->key_id) || !ccg_cursor_get_u16be(&c, &out->kem_id))
		return ccg_error_set(err, CCG_ERR_TRUNCATED, "ohttp.key_config", "%zu bytes: no key id and KEM", len);
	if (kem_npk(out->kem_id, &out->pk_len) != CCG_OK)
		return ccg_error_set(err, CCG_ERR_UNSUPPORTED, "ohttp.key_config.kem", "KEM 0x%04x", out->kem_id);
	if (!ccg_cursor_get_bytes(&c, &pk, out->pk_len))
		return ccg_error_set(err, CCG_ERR_TRUNCATED, "ohttp.key_config.public_key", "need %zu bytes, have %zu",
				     out->pk_len, c.len);
	if ((st = ccg_hpke_public_key_parse(kem_suite(out->kem_id), pk.data, pk.len, "ohttp.key_config.public_key",
					    &key, err)) != CCG_OK)
		return st;
	EVP_PKEY_free(key);
	memcpy(out->pk, pk.data, pk.len);
	if (!ccg_cursor_get_u16be(&c, &algs_len))
		return ccg_error_set(err, CCG_ERR_TRUNCATED, "ohttp.key_config.algs", "no length");
	if (algs_len < 4 || algs_len % 4 != 0)
		return ccg_error_set(err, CCG_ERR_MALFORMED, "ohttp.key_config.algs",
				     "length %u is not a non-zero multiple of 4", algs_len);
	if (algs_len / 4 > CCG_OHTTP_MAX_ALGS)
		return ccg_error_set(err, CCG_ERR_TOO_LARGE, "ohttp.key_config.algs", "%u pairs, at most %d",
				     algs_len / 4, CCG_OHTTP_MAX_ALGS);
	if (!ccg_cursor_get_bytes(&c, &algs, algs_len))
		return ccg_error_set(err, CCG_ERR_TRUNCATED, "ohttp.key_config.algs", "need %u bytes, have %zu",
				     algs_len, c.len);
	while (algs.len > 0) {
		struct ccg_ohttp_alg *a = &out->algs[out->n_algs++];

		if (!ccg_cursor_get_u16be(&algs, &a->kdf_id) || !ccg_cursor_get_u16be(&algs, &a->aead_id))
			return ccg_error_set(err, CCG_ERR_INTERNAL, "ohttp.key_config.algs", "pair");
	}
	if (c.len != 0)
		return ccg_error_set(err, CCG_ERR_TRAILING_DATA, "ohttp.key_config", "%zu bytes after the algorithms",
				     c.len);
	return CCG_OK;
}

enum ccg_status ccg_ohttp_keys_parse(const uint8_t *data, size_t len, struct ccg_ohttp_key_config *out, size_t cap,
				     size_t *n, struct ccg_error *err)
{
	struct ccg_cursor c, one;
	size_t i = 0;

	if (out == NULL || n == NULL || cap == 0 || cap > CCG_OHTTP_MAX_CONFIGS || (data == NULL && len != 0))
		return ccg_error_set(err, CCG_ERR_INVALID_ARG, "ohttp.keys", "bad arguments");
	*n = 0;
	ccg_cursor_init(&c, data, len);
	if (len == 0)
		return ccg_error_set(err, CCG_ERR_TRUNCATED, "ohttp.keys", "empty list");
	for (; c.len > 0; i++) {
		char where[48];
		uint16_t l;
		struct ccg_ohttp_key_config kc;
		enum ccg_status st;

		snprintf(where, sizeof(where), "ohttp.keys[%zu]", i);
		if (i >= CCG_OHTTP_MAX_CONFIGS)
			return ccg_error_set(err, CCG_ERR_TOO_LARGE, "ohttp.keys", "more than %d configurations",
					     CCG_OHTTP_MAX_CONFIGS);
		if (!ccg_cursor_get_u16be(&c, &l) || !ccg_cursor_get_bytes(&c, &one, l))
			return ccg_error_set(err, CCG_ERR_TRUNCATED, where, "the list ends inside a configuration");
		st = ccg_ohttp_key_config_parse(one.data, one.len, &kc, err);
		if (st == CCG_ERR_UNSUPPORTED && one.len >= 3 &&
		    kem_npk((uint16_t)(one.data[1] << 8 | one.data[2]), &kc.pk_len) != CCG_OK) {
			/* a KEM ccgpu does not have: its configuration cannot be read, and is skipped */
			ccg_error_clear(err);
			continue;
		}
		if (st != CCG_OK)
			return st;
		if (*n < cap)
			out[(*n)++] = kc;
	}
	if (*n == 0)
		return ccg_error_set(err, CCG_ERR_UNSUPPORTED, "ohttp.keys", "no configuration with a KEM ccgpu has");
	return CCG_OK;
}

static size_t key_config_len(const struct ccg_ohttp_key_config *kc)
{
	return 3 + kc->pk_len + 2 + 4 * kc->n_algs;
}

static uint8_t *key_config_put(uint8_t *p, const struct ccg_ohttp_key_config *kc)
{
	*p++ = kc->key_id;
	*p++ = (uint8_t)(kc->kem_id >> 8);
	*p++ = (uint8_t)kc->kem_id;
	memcpy(p, kc->pk, kc->pk_len);
	p += kc->pk_len;
	*p++ = (uint8_t)((4 * kc->n_algs) >> 8);
	*p++ = (uint8_t)(4 * kc->n_algs);
	for (size_t i = 0; i < kc->n_algs; i++) {
		*p++ = (uint8_t)(kc->algs[i].kdf_id >> 8);
		*p++ = (uint8_t)kc->algs[i].kdf_id;
		*p++ = (uint8_t)(kc->algs[i].aead_id >> 8);
		*p++ = (uint8_t)kc->algs[i].aead_id;
	}
	return p;
}

static enum ccg_status check_config(const struct ccg_ohttp_key_config *kc, struct ccg_error *err)
{
	size_t npk;

	if (kc == NULL || kem_npk(kc->kem_id, &npk) != CCG_OK || kc->pk_len != npk || kc->n_algs == 0 ||
	    kc->n_algs > CCG_OHTTP_MAX_ALGS)
		return ccg_error_set(err, CCG_ERR_INVALID_ARG, "ohttp.key_config",
				     "not a configuration ccgpu can write");
	return CCG_OK;
}

enum ccg_status ccg_ohttp_key_config_encode(const struct ccg_ohttp_key_config *kc, uint8_t **out, size_t *out_len,
					    struct ccg_error *err)
{
	enum ccg_status st;

	if (out == NULL || out_len == NULL)
		return ccg_error_set(err, CCG_ERR_INVALID_ARG, "ohttp.key_config", "no output");
	*out = NULL;
	if ((st = check_config(kc, err)) != CCG_OK)
		return st;
	if ((*out = malloc(key_config_len(kc))) == NULL)
		return ccg_error_set(err, CCG_ERR_NOMEM, "ohttp.key_config", NULL);
	*out_len = (size_t)(key_config_put(*out, kc) - *out);
	return CCG_OK;
}

enum ccg_status ccg_ohttp_keys_encode(const struct ccg_ohttp_key_config *kc, size_t n, uint8_t **out, size_t *out_len,
				      struct ccg_error *err)
{
	size_t total = 0;
	uint8_t *p;
	enum ccg_status st;

	if (out == NULL || out_len == NULL || kc == NULL || n == 0 || n > CCG_OHTTP_MAX_CONFIGS)
		return ccg_error_set(err, CCG_ERR_INVALID_ARG, "ohttp.keys", "bad arguments");
	*out = NULL;
	for (size_t i = 0; i < n; i++) {
		if ((st = check_config(&kc[i], err)) != CCG_OK)
			return st;
		total += 2 + key_config_len(&kc[i]);
	}
	if ((*out = p = malloc(total)) == NULL)
		return ccg_error_set(err, CCG_ERR_NOMEM, "ohttp.keys", NULL);
	for (size_t i = 0; i < n; i++) {
		size_t l = key_config_len(&kc[i]);

		*p++ = (uint8_t)(l >> 8);
		*p++ = (uint8_t)l;
		p = key_config_put(p, &kc[i]);
	}
	*out_len = total;
	return CCG_OK;
}

enum ccg_status ccg_ohttp_key_config_suite(const struct ccg_ohttp_key_config *kc, enum ccg_hpke_suite *out,
					   struct ccg_error *err)
{
	if (kc == NULL || out == NULL)
		return ccg_error_set(err, CCG_ERR_INVALID_ARG, "ohttp.key_config", "NULL argument");
	for (size_t i = 0; i < kc->n_algs; i++)
		if (ccg_hpke_suite_from_ids(kc->kem_id, kc->algs[i].kdf_id, kc->algs[i].aead_id, out, NULL) == CCG_OK)
			return CCG_OK;
	return ccg_error_set(err, CCG_ERR_UNSUPPORTED, "ohttp.key_config.algs",
			     "no KDF/AEAD pair forms a suite ccgpu has with KEM 0x%04x", kc->kem_id);
}

/* ---------- requests (§4.3) ---------- */

/* info = "message/bhttp request" ‖ 0x00 ‖ hdr */
#define INFO_LEN (sizeof(CCG_OHTTP_REQUEST_LABEL) + CCG_OHTTP_HEADER_LEN)

static void header_put(uint8_t *p, uint8_t key_id, enum ccg_hpke_suite suite)
{
	uint16_t kem = 0, kdf = 0, aead = 0;

	CCG_IGNORE(ccg_hpke_suite_ids(suite, &kem, &kdf, &aead)); /* a known suite: the caller picked it */
	p[0] = key_id;
	p[1] = (uint8_t)(kem >> 8);
	p[2] = (uint8_t)kem;
	p[3] = (uint8_t)(kdf >> 8);
	p[4] = (uint8_t)kdf;
	p[5] = (uint8_t)(aead >> 8);
	p[6] = (uint8_t)aead;
}

static void info_put(uint8_t info[INFO_LEN], const uint8_t hdr[CCG_OHTTP_HEADER_LEN])
{
	memcpy(info, CCG_OHTTP_REQUEST_LABEL, sizeof(CCG_OHTTP_REQUEST_LABEL)); /* the label and its 0x00 */
	memcpy(info + sizeof(CCG_OHTTP_REQUEST_LABEL), hdr, CCG_OHTTP_HEADER_LEN);
}

static enum ccg_status encapsulate(const struct ccg_ohttp_key_config *kc, EVP_PKEY *skE, const uint8_t *req,
				   size_t req_len, uint8_t **out, size_t *out_len, struct ccg_ohttp_ctx **ctx,
				   struct ccg_error *err)
{
	struct ccg_ohttp_ctx *x = NULL;
	uint8_t info[INFO_LEN], *buf = NULL;
	size_t n, ct_len = 0;
	enum ccg_status st;

	if (out == NULL || out_len == NULL || ctx == NULL || kc == NULL || (req == NULL && req_len != 0))
		return ccg_error_set(err, CCG_ERR_INVALID_ARG, "ohttp.request", "NULL argument");
	*out = NULL;
	*ctx = NULL;
	if (req_len > CCG_BHTTP_MAX_MESSAGE)
		return ccg_error_set(err, CCG_ERR_TOO_LARGE, "ohttp.request", "%zu bytes, at most %u", req_len,
				     CCG_BHTTP_MAX_MESSAGE);
	if ((x = calloc(1, sizeof(*x))) == NULL)
		return ccg_error_set(err, CCG_ERR_NOMEM, "ohttp.request", NULL);
	if ((st = ccg_ohttp_key_config_suite(kc, &x->suite, err)) != CCG_OK)
		goto out;
	n = CCG_OHTTP_HEADER_LEN + ccg_hpke_enc_len(x->suite) + req_len + CCG_HPKE_TAG_LEN;
	if ((buf = malloc(n)) == NULL) {
		st = ccg_error_set(err, CCG_ERR_NOMEM, "ohttp.request", NULL);
		goto out;
	}
	header_put(buf, kc->key_id, x->suite);
	info_put(info, buf);
	st = skE != NULL ? ccg_hpke_setup_s_fixed(x->suite, kc->pk, kc->pk_len, skE, info, sizeof(info), x->enc,
						  sizeof(x->enc), &x->enc_len, &x->hpke, NULL, err)
			 : ccg_hpke_setup_s(x->suite, kc->pk, kc->pk_len, info, sizeof(info), x->enc, sizeof(x->enc),
					    &x->enc_len, &x->hpke, err);
	if (st != CCG_OK)
		goto out;
	memcpy(buf + CCG_OHTTP_HEADER_LEN, x->enc, x->enc_len);
	if ((st = ccg_hpke_ctx_seal(x->hpke, NULL, 0, req, req_len, buf + CCG_OHTTP_HEADER_LEN + x->enc_len,
				    n - CCG_OHTTP_HEADER_LEN - x->enc_len, &ct_len, err)) != CCG_OK)
		goto out;
	*out = buf;
	*out_len = n;
	*ctx = x;
	buf = NULL;
	x = NULL;
out:
	free(buf);
	ccg_ohttp_ctx_free(x);
	return st;
}

enum ccg_status ccg_ohttp_request_encapsulate(const struct ccg_ohttp_key_config *kc, const uint8_t *req, size_t req_len,
					      uint8_t **out, size_t *out_len, struct ccg_ohttp_ctx **ctx,
					      struct ccg_error *err)
{
	return encapsulate(kc, NULL, req, req_len, out, out_len, ctx, err);
}

enum ccg_status ccg_ohttp_request_encapsulate_fixed(const struct ccg_ohttp_key_config *kc, EVP_PKEY *skE,
						    const uint8_t *req, size_t req_len, uint8_t **out, size_t *out_len,
						    struct ccg_ohttp_ctx **ctx, struct ccg_error *err)
{
	if (skE == NULL)
		return ccg_error_set(err, CCG_ERR_INVALID_ARG, "ohttp.request", "no ephemeral key");
	return encapsulate(kc, skE, req, req_len, out, out_len, ctx, err);
}

enum ccg_status ccg_ohttp_request_decapsulate(uint8_t key_id, enum ccg_hpke_suite suite, EVP_PKEY *skR,
					      const uint8_t *enc_req, size_t len, uint8_t **out, size_t *out_len,
					      struct ccg_ohttp_ctx **ctx, struct ccg_error *err)
{
	size_t cap = 0;

	return ccg_ohttp_request_decapsulate_buf(key_id, suite, skR, enc_req, len, out, out_len, &cap, ctx, err);
}

enum ccg_status ccg_ohttp_request_decapsulate_buf(uint8_t key_id, enum ccg_hpke_suite suite, EVP_PKEY *skR,
						  const uint8_t *enc_req, size_t len, uint8_t **out, size_t *out_len,
						  size_t *out_cap, struct ccg_ohttp_ctx **ctx, struct ccg_error *err)
{
	struct ccg_ohttp_ctx *x = NULL;
	struct ccg_cursor c, enc;
	uint8_t hdr[CCG_OHTTP_HEADER_LEN], want[CCG_OHTTP_HEADER_LEN], info[INFO_LEN], *pt = NULL;
	size_t pt_len = 0, cap = 0;
	enum ccg_status st;

	if (out == NULL || out_len == NULL || ctx == NULL || skR == NULL || (enc_req == NULL && len != 0))
		return ccg_error_set(err, CCG_ERR_INVALID_ARG, "ohttp.request", "NULL argument");
	*out = NULL;
	*ctx = NULL;
	if (ccg_hpke_enc_len(suite) == 0)
		return ccg_error_set(err, CCG_ERR_INVALID_ARG, "ohttp.request", "unknown suite");
	if (len > CCG_OHTTP_MAX_MESSAGE)
		return ccg_error_set(err, CCG_ERR_TOO_LARGE, "ohttp.request", "%zu bytes, at most %u", len,
				     CCG_OHTTP_MAX_MESSAGE);
	ccg_cursor_init(&c, enc_req, len);
	if (!ccg_cursor_copy_bytes(&c, hdr, sizeof(hdr)))
		return ccg_error_set(err, CCG_ERR_TRUNCATED, "ohttp.request.header", "%zu bytes, the header has %d",
				     len, CCG_OHTTP_HEADER_LEN);
	/* §4.3 step 1a/1b: a key id this gateway does not have, or a suite it is unwilling to use */
	header_put(want, key_id, suite);
	if (hdr[0] != want[0])
		return ccg_error_set(err, CCG_ERR_OHTTP_KEY, "ohttp.request.key_id", "key id %u, this gateway has %u",
				     hdr[0], key_id);
	if (memcmp(hdr + 1, want + 1, CCG_OHTTP_HEADER_LEN - 1) != 0)
		return ccg_error_set(err, CCG_ERR_OHTTP_KEY, "ohttp.request.suite",
				     "KEM 0x%02x%02x, KDF 0x%02x%02x, AEAD 0x%02x%02x is not this key's suite", hdr[1],
				     hdr[2], hdr[3], hdr[4], hdr[5], hdr[6]);
	if (!ccg_cursor_get_bytes(&c, &enc, ccg_hpke_enc_len(suite)))
		return ccg_error_set(err, CCG_ERR_TRUNCATED, "ohttp.request.enc", "need %zu bytes, have %zu",
				     ccg_hpke_enc_len(suite), c.len);
	if (c.len < CCG_HPKE_TAG_LEN)
		return ccg_error_set(err, CCG_ERR_TRUNCATED, "hpke.ct", "%zu bytes, shorter than the %d-byte tag",
				     c.len, CCG_HPKE_TAG_LEN);
	if ((x = calloc(1, sizeof(*x))) == NULL)
		return ccg_error_set(err, CCG_ERR_NOMEM, "ohttp.request", NULL);
	x->suite = suite;
	x->gateway = true;
	memcpy(x->enc, enc.data, enc.len);
	x->enc_len = enc.len;
	info_put(info, hdr);
	if ((st = ccg_hpke_setup_r(suite, skR, enc.data, enc.len, info, sizeof(info), &x->hpke, err)) != CCG_OK)
		goto out;
	/* a reused buffer for a large request (ohttp/bhttp.h), an ordinary malloc'd block either way */
	if ((pt = ccg_bhttp_buf_get(c.len - CCG_HPKE_TAG_LEN + 1, &cap)) == NULL) {
		st = ccg_error_set(err, CCG_ERR_NOMEM, "ohttp.request", NULL);
		goto out;
	}
	if ((st = ccg_hpke_ctx_open(x->hpke, NULL, 0, c.data, c.len, pt, c.len - CCG_HPKE_TAG_LEN, &pt_len, err)) !=
	    CCG_OK)
		goto out;
	*out = pt;
	*out_len = pt_len;
	*out_cap = cap;
	*ctx = x;
	pt = NULL;
	x = NULL;
out:
	ccg_bhttp_buf_put(pt, cap, c.len >= CCG_HPKE_TAG_LEN ? c.len - CCG_HPKE_TAG_LEN : 0);
	ccg_ohttp_ctx_free(x);
	return st;
}

/* ---------- responses (§4.4) ---------- */

/* scratch secrets: secret (max(Nn, Nk)) ‖ prk (Nh) ‖ aead_key (Nk) ‖ aead_nonce (Nn) */
#define S_SECRET 0
#define S_PRK 32
#define S_KEY (32 + CCG_HPKE_MAX_NH)
#define S_NONCE (S_KEY + 32)
#define S_LEN (S_NONCE + CCG_HPKE_AEAD_NONCE_LEN)

static size_t response_nonce_len(enum ccg_hpke_suite suite)
{
	size_t nk = ccg_hpke_aead_key_len(suite);

	return nk > CCG_HPKE_AEAD_NONCE_LEN ? nk : CCG_HPKE_AEAD_NONCE_LEN;
}

/* the AEAD context of the response: sealing on the gateway, opening on the client */
static enum ccg_status response_aead(const struct ccg_ohttp_ctx *x, const uint8_t *nonce, size_t nonce_len,
				     struct ccg_hpke_ctx **out, struct ccg_error *err)
{
	struct ccg_secret *s = NULL;
	uint8_t salt[CCG_HPKE_MAX_ENC_LEN + CCG_OHTTP_MAX_RESPONSE_NONCE];
	size_t nk = ccg_hpke_aead_key_len(x->suite), nh = ccg_hpke_kdf_len(x->suite);
	enum ccg_status st;

	if ((st = ccg_secret_new(S_LEN, &s)) != CCG_OK)
		return ccg_error_set(err, st, "ohttp.response", "secret buffer");
	memcpy(salt, x->enc, x->enc_len);
	memcpy(salt + x->enc_len, nonce, nonce_len);
	if ((st = ccg_hpke_ctx_export(x->hpke, (const uint8_t *)CCG_OHTTP_RESPONSE_LABEL,
				      sizeof(CCG_OHTTP_RESPONSE_LABEL) - 1, s->data + S_SECRET, nonce_len, err)) !=
		    CCG_OK ||
	    (st = ccg_hpke_kdf_extract(x->suite, salt, x->enc_len + nonce_len, s->data + S_SECRET, nonce_len,
				       s->data + S_PRK, nh, err)) != CCG_OK ||
	    (st = ccg_hpke_kdf_expand(x->suite, s->data + S_PRK, nh, (const uint8_t *)"key", 3, s->data + S_KEY, nk,
				      err)) != CCG_OK ||
	    (st = ccg_hpke_kdf_expand(x->suite, s->data + S_PRK, nh, (const uint8_t *)"nonce", 5, s->data + S_NONCE,
				      CCG_HPKE_AEAD_NONCE_LEN, err)) != CCG_OK)
		goto out;
	st = ccg_hpke_ctx_from_key(x->suite, x->gateway, s->data + S_KEY, nk, s->data + S_NONCE,
				   CCG_HPKE_AEAD_NONCE_LEN, out, err);
out:
	ccg_secret_free(s);
	return st;
}

static enum ccg_status respond(struct ccg_ohttp_ctx *x, const uint8_t *nonce, const uint8_t *resp, size_t resp_len,
			       uint8_t **out, size_t *out_len, struct ccg_error *err)
{
	struct ccg_hpke_ctx *a = NULL;
	uint8_t *buf = NULL;
	size_t nl, n, ct_len = 0;
	enum ccg_status st;

	if (x == NULL || out == NULL || out_len == NULL || (resp == NULL && resp_len != 0))
		return ccg_error_set(err, CCG_ERR_INVALID_ARG, "ohttp.response", "NULL argument");
	*out = NULL;
	if (!x->gateway || x->used)
		return ccg_error_set(err, CCG_ERR_INVALID_ARG, "ohttp.ctx",
				     x->used ? "this request was answered already" : "a client context cannot answer");
	if (resp_len > CCG_BHTTP_MAX_MESSAGE)
		return ccg_error_set(err, CCG_ERR_TOO_LARGE, "ohttp.response", "%zu bytes, at most %u", resp_len,
				     CCG_BHTTP_MAX_MESSAGE);
	x->used = true;
	nl = response_nonce_len(x->suite);
	n = nl + resp_len + CCG_HPKE_TAG_LEN;
	if ((buf = malloc(n)) == NULL)
		return ccg_error_set(err, CCG_ERR_NOMEM, "ohttp.response", NULL);
	if (nonce != NULL)
		memcpy(buf, nonce, nl);
	else if ((st = ccg_random(buf, nl)) != CCG_OK) {
		st = ccg_error_set(err, st, "ohttp.response.nonce", "no random bytes");
		goto out;
	}
	if ((st = response_aead(x, buf, nl, &a, err)) != CCG_OK ||
	    (st = ccg_hpke_ctx_seal(a, NULL, 0, resp, resp_len, buf + nl, n - nl, &ct_len, err)) != CCG_OK)
		goto out;
	*out = buf;
	*out_len = n;
	buf = NULL;
out:
	free(buf);
	ccg_hpke_ctx_free(a);
	return st;
}

enum ccg_status ccg_ohttp_response_encapsulate(struct ccg_ohttp_ctx *ctx, const uint8_t *resp, size_t resp_len,
					       uint8_t **out, size_t *out_len, struct ccg_error *err)
{
	return respond(ctx, NULL, resp, resp_len, out, out_len, err);
}

enum ccg_status ccg_ohttp_response_encapsulate_fixed(struct ccg_ohttp_ctx *ctx, const uint8_t *nonce, size_t nonce_len,
						     const uint8_t *resp, size_t resp_len, uint8_t **out,
						     size_t *out_len, struct ccg_error *err)
{
	if (ctx == NULL || nonce == NULL || nonce_len != response_nonce_len(ctx->suite))
		return ccg_error_set(err, CCG_ERR_INVALID_ARG, "ohttp.response.nonce", "need max(Nn, Nk) bytes");
	return respond(ctx, nonce, resp, resp_len, out, out_len, err);
}

enum ccg_status ccg_ohttp_response_open(struct ccg_ohttp_ctx *ctx, const uint8_t *enc_res, size_t len, uint8_t **out,
					size_t *out_len, struct ccg_error *err)
{
	struct ccg_hpke_ctx *a = NULL;
	struct ccg_cursor c, nonce;
	uint8_t *pt = NULL;
	size_t pt_len = 0, nl;
	enum ccg_status st;

	if (ctx == NULL || out == NULL || out_len == NULL || (enc_res == NULL && len != 0))
		return ccg_error_set(err, CCG_ERR_INVALID_ARG, "ohttp.response", "NULL argument");
	*out = NULL;
	if (ctx->gateway || ctx->used)
		return ccg_error_set(err, CCG_ERR_INVALID_ARG, "ohttp.ctx",
				     ctx->used ? "this request's response was opened already"
					       : "a gateway context cannot open a response");
	if (len > CCG_OHTTP_MAX_MESSAGE)
		return ccg_error_set(err, CCG_ERR_TOO_LARGE, "ohttp.response", "%zu bytes, at most %u", len,
				     CCG_OHTTP_MAX_MESSAGE);
	nl = response_nonce_len(ctx->suite);
	ccg_cursor_init(&c, enc_res, len);
	if (!ccg_cursor_get_bytes(&c, &nonce, nl))
		return ccg_error_set(err, CCG_ERR_TRUNCATED, "ohttp.response.nonce", "%zu bytes, the nonce has %zu",
				     len, nl);
	if (c.len < CCG_HPKE_TAG_LEN)
		return ccg_error_set(err, CCG_ERR_TRUNCATED, "hpke.ct", "%zu bytes, shorter than the %d-byte tag",
				     c.len, CCG_HPKE_TAG_LEN);
	ctx->used = true;
	if ((st = response_aead(ctx, nonce.data, nonce.len, &a, err)) != CCG_OK)
		goto out;
	if ((pt = malloc(c.len - CCG_HPKE_TAG_LEN + 1)) == NULL) {
		st = ccg_error_set(err, CCG_ERR_NOMEM, "ohttp.response", NULL);
		goto out;
	}
	if ((st = ccg_hpke_ctx_open(a, NULL, 0, c.data, c.len, pt, c.len - CCG_HPKE_TAG_LEN, &pt_len, err)) != CCG_OK)
		goto out;
	*out = pt;
	*out_len = pt_len;
	pt = NULL;
out:
	ccg_ohttp_free_plaintext(pt, c.len - CCG_HPKE_TAG_LEN);
	ccg_hpke_ctx_free(a);
	return st;
}
