/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The sealed model file (model.h): parsing and checking its header field by
 * field, AES-256-GCM sealing and opening with OpenSSL, the decrypted weights
 * in locked memory, and the prompt/answer mapping of the example.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* memmem, MADV_DONTDUMP */
#endif
#include "model.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#define HDR_FIXED 12
#define LAYER_LEN 8

/* the first failure recorded wins (as in libccgpu) */
static enum ccg_status fail(struct ccg_error *err, enum ccg_status st, const char *where, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static enum ccg_status fail(struct ccg_error *err, enum ccg_status st, const char *where, const char *fmt, ...)
{
	va_list ap;

	if (err == NULL || err->status != CCG_OK)
		return st;
	err->status = st;
	snprintf(err->where, sizeof(err->where), "%s", where);
	va_start(ap, fmt);
	vsnprintf(err->detail, sizeof(err->detail), fmt, ap);
	va_end(ap);
	return st;
}

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

/* the checks every shape passes, from a file or from the command line */
static enum ccg_status shape_check(const struct model_shape *s, struct ccg_error *err)
{
	char where[40];
	size_t total = 0;

	if (s->layers < 1 || s->layers > MODEL_MAX_LAYERS)
		return fail(err, CCG_ERR_MALFORMED, "model.layers", "%u layers, must be 1..%d", s->layers,
			    MODEL_MAX_LAYERS);
	for (unsigned i = 0; i < s->layers; i++) {
		const struct model_layer *l = &s->layer[i];
		bool last = i + 1 == s->layers;

		if (l->rows < 1 || l->rows > MODEL_MAX_DIM || l->cols < 1 || l->cols > MODEL_MAX_DIM) {
			snprintf(where, sizeof(where), "model.layer[%u].dims", i);
			return fail(err, CCG_ERR_MALFORMED, where, "%ux%u, each must be 1..%d", l->rows, l->cols,
				    MODEL_MAX_DIM);
		}
		if (i > 0 && l->cols != s->layer[i - 1].rows) {
			snprintf(where, sizeof(where), "model.layer[%u].cols", i);
			return fail(err, CCG_ERR_MALFORMED, where, "%u columns, the layer before has %u rows", l->cols,
				    s->layer[i - 1].rows);
		}
		if ((last && l->shift != 0) || l->shift > 31) {
			snprintf(where, sizeof(where), "model.layer[%u].shift", i);
			return fail(err, CCG_ERR_MALFORMED, where, "shift %u (hidden layers 0..31, the last 0)",
				    l->shift);
		}
		total += (size_t)l->rows * l->cols;
	}
	if (total > MODEL_MAX_WEIGHTS)
		return fail(err, CCG_ERR_TOO_LARGE, "model.weights", "%zu weight bytes, at most %u", total,
			    MODEL_MAX_WEIGHTS);
	if (s->layer[s->layers - 1].rows > MODEL_MAX_OUTPUTS)
		return fail(err, CCG_ERR_TOO_LARGE, "model.outputs", "%u outputs, at most %d",
			    s->layer[s->layers - 1].rows, MODEL_MAX_OUTPUTS);
	return CCG_OK;
}

size_t model_shape_weights(const struct model_shape *shape)
{
	size_t n = 0;

	for (unsigned i = 0; i < shape->layers; i++)
		n += (size_t)shape->layer[i].rows * shape->layer[i].cols;
	return n;
}

enum ccg_status model_shape_parse(const char *s, struct model_shape *out, struct ccg_error *err)
{
	struct model_shape sh = {0};
	const char *p = s;

	while (p != NULL && *p != '\0') {
		unsigned long rows, cols, shift = 0;
		char *end;

		if (sh.layers == MODEL_MAX_LAYERS)
			return fail(err, CCG_ERR_MALFORMED, "model.shape", "more than %d layers", MODEL_MAX_LAYERS);
		rows = strtoul(p, &end, 10);
		if (end == p || *end != 'x')
			return fail(err, CCG_ERR_MALFORMED, "model.shape", "layer %u: want ROWSxCOLS[/SHIFT]",
				    sh.layers);
		p = end + 1;
		cols = strtoul(p, &end, 10);
		if (end == p)
			return fail(err, CCG_ERR_MALFORMED, "model.shape", "layer %u: no column count", sh.layers);
		p = end;
		if (*p == '/') {
			shift = strtoul(p + 1, &end, 10);
			if (end == p + 1)
				return fail(err, CCG_ERR_MALFORMED, "model.shape", "layer %u: no shift", sh.layers);
			p = end;
		}
		if (*p != ',' && *p != '\0')
			return fail(err, CCG_ERR_MALFORMED, "model.shape", "layer %u: unexpected '%c'", sh.layers, *p);
		if (rows > MODEL_MAX_DIM || cols > MODEL_MAX_DIM || shift > 255)
			return fail(err, CCG_ERR_MALFORMED, "model.shape", "layer %u: out of range", sh.layers);
		sh.layer[sh.layers].rows = (uint16_t)rows;
		sh.layer[sh.layers].cols = (uint16_t)cols;
		sh.layer[sh.layers].shift = (uint8_t)shift;
		sh.layers++;
		if (*p == ',')
			p++;
	}
	if (shape_check(&sh, err) != CCG_OK)
		return err != NULL ? err->status : CCG_ERR_MALFORMED;
	*out = sh;
	return CCG_OK;
}

/* the header (magic .. layer table) of a checked shape into hdr; its length */
static size_t header_write(const struct model_shape *s, uint8_t *hdr)
{
	memcpy(hdr, MODEL_MAGIC, 8);
	hdr[8] = MODEL_VERSION;
	hdr[9] = s->layers;
	hdr[10] = hdr[11] = 0;
	for (unsigned i = 0; i < s->layers; i++) {
		uint8_t *l = hdr + HDR_FIXED + LAYER_LEN * i;

		put16(l, s->layer[i].rows);
		put16(l + 2, s->layer[i].cols);
		l[4] = s->layer[i].shift;
		l[5] = l[6] = l[7] = 0;
	}
	return HDR_FIXED + LAYER_LEN * (size_t)s->layers;
}

/* the header parsed field by field (the size of the rest is checked by the caller) */
static enum ccg_status header_parse(const uint8_t *f, size_t len, struct model_shape *s, size_t *hdr_len,
				    struct ccg_error *err)
{
	char where[40];

	if (len < HDR_FIXED)
		return fail(err, CCG_ERR_TRUNCATED, "model.header", "%zu bytes, the header alone is %d", len,
			    HDR_FIXED);
	if (memcmp(f, MODEL_MAGIC, 8) != 0)
		return fail(err, CCG_ERR_MALFORMED, "model.magic", "not a sealed model (magic %s expected)",
			    MODEL_MAGIC);
	if (f[8] != MODEL_VERSION)
		return fail(err, CCG_ERR_UNSUPPORTED, "model.version", "version %u, this reads %d", f[8],
			    MODEL_VERSION);
	if (f[10] != 0 || f[11] != 0)
		return fail(err, CCG_ERR_MALFORMED, "model.reserved", "reserved bytes are not zero");
	memset(s, 0, sizeof(*s));
	s->layers = f[9];
	if (s->layers < 1 || s->layers > MODEL_MAX_LAYERS)
		return fail(err, CCG_ERR_MALFORMED, "model.layers", "%u layers, must be 1..%d", s->layers,
			    MODEL_MAX_LAYERS);
	if (len < HDR_FIXED + LAYER_LEN * (size_t)s->layers)
		return fail(err, CCG_ERR_TRUNCATED, "model.header", "the layer table is cut short");
	for (unsigned i = 0; i < s->layers; i++) {
		const uint8_t *l = f + HDR_FIXED + LAYER_LEN * i;

		s->layer[i].rows = get16(l);
		s->layer[i].cols = get16(l + 2);
		s->layer[i].shift = l[4];
		if (l[5] != 0 || l[6] != 0 || l[7] != 0) {
			snprintf(where, sizeof(where), "model.layer[%u].reserved", i);
			return fail(err, CCG_ERR_MALFORMED, where, "reserved bytes are not zero");
		}
	}
	*hdr_len = HDR_FIXED + LAYER_LEN * (size_t)s->layers;
	return shape_check(s, err);
}

static enum ccg_status gcm(bool enc, const uint8_t *key, const uint8_t *nonce, const uint8_t *aad, size_t aad_len,
			   const uint8_t *in, size_t len, uint8_t *out, uint8_t *tag, struct ccg_error *err)
{
	EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
	enum ccg_status st = CCG_ERR_CRYPTO;
	int n = 0;

	if (c == NULL || len > INT32_MAX || aad_len > INT32_MAX)
		goto out;
	if (EVP_CipherInit_ex(c, EVP_aes_256_gcm(), NULL, NULL, NULL, enc ? 1 : 0) != 1 ||
	    EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_IVLEN, MODEL_NONCE_LEN, NULL) != 1 ||
	    EVP_CipherInit_ex(c, NULL, NULL, key, nonce, -1) != 1 ||
	    EVP_CipherUpdate(c, NULL, &n, aad, (int)aad_len) != 1 ||
	    (len > 0 && EVP_CipherUpdate(c, out, &n, in, (int)len) != 1))
		goto out;
	if (!enc && EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_TAG, MODEL_TAG_LEN, tag) != 1)
		goto out;
	if (EVP_CipherFinal_ex(c, out + (len > 0 ? (size_t)n : 0), &n) != 1) {
		st = enc ? CCG_ERR_CRYPTO : CCG_ERR_MAC;
		goto out;
	}
	if (enc && EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_GET_TAG, MODEL_TAG_LEN, tag) != 1)
		goto out;
	st = CCG_OK;
out:
	EVP_CIPHER_CTX_free(c);
	if (st == CCG_ERR_MAC)
		return fail(err, st, "model.tag",
			    "the weights do not authenticate under the model key "
			    "(altered, or sealed under another key)");
	if (st != CCG_OK)
		return fail(err, st, "model.aead", "AES-256-GCM failed");
	return CCG_OK;
}

enum ccg_status model_seal(const struct model_shape *shape, const uint8_t *weights, size_t len, const uint8_t *key,
			   size_t key_len, uint8_t **out, size_t *out_len, struct ccg_error *err)
{
	uint8_t *f = NULL;
	size_t hl, total;
	enum ccg_status st;

	*out = NULL;
	if (key_len != MODEL_KEY_LEN)
		return fail(err, CCG_ERR_INVALID_ARG, "model.key", "the model key is %d bytes, not %zu", MODEL_KEY_LEN,
			    key_len);
	if ((st = shape_check(shape, err)) != CCG_OK)
		return st;
	if (len != model_shape_weights(shape))
		return fail(err, CCG_ERR_INVALID_ARG, "model.weights", "%zu weight bytes, the shape has %zu", len,
			    model_shape_weights(shape));
	total = HDR_FIXED + LAYER_LEN * (size_t)shape->layers + MODEL_NONCE_LEN + len + MODEL_TAG_LEN;
	if ((f = malloc(total)) == NULL)
		return fail(err, CCG_ERR_NOMEM, "model", "out of memory");
	hl = header_write(shape, f);
	if (RAND_bytes(f + hl, MODEL_NONCE_LEN) != 1) {
		free(f);
		return fail(err, CCG_ERR_CRYPTO, "model.nonce", "no random bytes");
	}
	if ((st = gcm(true, key, f + hl, f, hl + MODEL_NONCE_LEN, weights, len, f + hl + MODEL_NONCE_LEN,
		      f + hl + MODEL_NONCE_LEN + len, err)) != CCG_OK) {
		free(f);
		return st;
	}
	*out = f;
	*out_len = total;
	return CCG_OK;
}

void model_cleanup(struct model *m)
{
	if (m == NULL)
		return;
	if (m->weights != NULL) {
		OPENSSL_cleanse(m->weights, m->mapped);
		munlock(m->weights, m->mapped);
		munmap(m->weights, m->mapped);
	}
	memset(m, 0, sizeof(*m));
}

enum ccg_status model_open(const uint8_t *file, size_t len, const uint8_t *key, size_t key_len, struct model *m,
			   struct ccg_error *err)
{
	struct model_shape s;
	uint8_t tag[MODEL_TAG_LEN];
	size_t hl = 0, n, want;
	void *p;
	enum ccg_status st;

	memset(m, 0, sizeof(*m));
	if (key_len != MODEL_KEY_LEN)
		return fail(err, CCG_ERR_INVALID_ARG, "model.key", "the model key is %d bytes, not %zu", MODEL_KEY_LEN,
			    key_len);
	if ((st = header_parse(file, len, &s, &hl, err)) != CCG_OK)
		return st;
	n = model_shape_weights(&s);
	want = hl + MODEL_NONCE_LEN + n + MODEL_TAG_LEN;
	if (len < want)
		return fail(err, CCG_ERR_TRUNCATED, "model.size", "%zu bytes, the header's shape makes %zu", len, want);
	if (len > want)
		return fail(err, CCG_ERR_TRAILING_DATA, "model.size", "%zu bytes, the header's shape makes %zu", len,
			    want);
	/* the plaintext weights: locked, never in a core dump, wiped on cleanup */
	p = mmap(NULL, n, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return fail(err, CCG_ERR_NOMEM, "model.weights", "cannot map %zu bytes", n);
	m->weights = p;
	m->mapped = n;
	if (mlock(p, n) != 0 || madvise(p, n, MADV_DONTDUMP) != 0) {
		model_cleanup(m);
		return fail(err, CCG_ERR_NOMEM, "model.weights", "cannot lock %zu bytes (RLIMIT_MEMLOCK?)", n);
	}
	memcpy(tag, file + hl + MODEL_NONCE_LEN + n, MODEL_TAG_LEN);
	if ((st = gcm(false, key, file + hl, file, hl + MODEL_NONCE_LEN, file + hl + MODEL_NONCE_LEN, n, m->weights,
		      tag, err)) != CCG_OK) {
		model_cleanup(m);
		return st;
	}
	m->shape = s;
	m->weights_len = n;
	return CCG_OK;
}

void model_input(const uint8_t *prompt, size_t len, int8_t *input, size_t cols)
{
	memset(input, 0, cols);
	for (size_t i = 0; i < len; i++)
		input[i % cols] = (int8_t)(((uint8_t)input[i % cols] ^ prompt[i]) & 0x7f);
}

void model_answer(const int32_t *scores, size_t n, char *out)
{
	for (size_t i = 0; i < n; i++)
		out[i] = MODEL_ALPHABET[(uint32_t)scores[i] & 31u];
	out[n] = '\0';
}

enum ccg_status model_run_cmd(const struct model_shape *s, uint64_t base, const int8_t *input, uint8_t *cmd, size_t cap,
			      size_t *out_len, struct ccg_error *err)
{
	size_t need = 4 + 16 * (size_t)s->layers + s->layer[0].cols, off = 4;
	uint64_t at = base;

	if (need > cap)
		return fail(err, CCG_ERR_TOO_LARGE, "model.run", "the command needs %zu bytes, the slot holds %zu",
			    need, cap);
	cmd[0] = 1; /* int8 MLP */
	cmd[1] = s->layers;
	cmd[2] = cmd[3] = 0;
	for (unsigned i = 0; i < s->layers; i++) {
		for (unsigned b = 0; b < 8; b++)
			cmd[off + b] = (uint8_t)(at >> (8 * b));
		put16(cmd + off + 8, s->layer[i].rows);
		put16(cmd + off + 10, s->layer[i].cols);
		cmd[off + 12] = s->layer[i].shift;
		cmd[off + 13] = cmd[off + 14] = cmd[off + 15] = 0;
		at += (uint64_t)s->layer[i].rows * s->layer[i].cols;
		off += 16;
	}
	memcpy(cmd + off, input, s->layer[0].cols);
	*out_len = need;
	return CCG_OK;
}
