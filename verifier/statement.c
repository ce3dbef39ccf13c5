/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Signed party statements, the daemon's side: each jti used once
 * (verifier/statement.h). Signing, verification and the request checks are
 * the party layer's (party/statement.c), shared with ccgpu-party.
 */
#include "verifier/statement.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/crypto.h"
#include "common/encoding.h"
#include "common/error.h"
#include "verifier/store.h"

#define JTI_PURGE_MAX 64 /* jti rows looked at for expiry per use */

struct purge_ctx {
	char **keys;
	size_t n;
};

static bool collect(void *ctx, const char *key)
{
	struct purge_ctx *c = ctx;
	char *k = strdup(key);

	if (k == NULL)
		return false;
	c->keys[c->n++] = k;
	return c->n < JTI_PURGE_MAX;
}

static enum ccg_status purge(struct ccg_store_txn *txn, int64_t now, struct ccg_error *err)
{
	struct purge_ctx c = {.keys = calloc(JTI_PURGE_MAX, sizeof(char *)), .n = 0};
	enum ccg_status s;

	if (c.keys == NULL)
		return ccg_error_set(err, CCG_ERR_NOMEM, "statement.jti", "no memory");
	/*
	 * Keys are hashes, so the first JTI_PURGE_MAX of them are a sample of the
	 * table: each use removes the expired rows of its sample, bounding the
	 * table by about the statements of one window.
	 */
	s = ccg_store_list(txn, CCG_STATEMENT_JTI_TABLE, "", JTI_PURGE_MAX, collect, &c, err);
	for (size_t i = 0; s == CCG_OK && i < c.n; i++) {
		uint8_t *v = NULL;
		size_t vl = 0;

		s = ccg_store_get(txn, CCG_STATEMENT_JTI_TABLE, c.keys[i], &v, &vl, err);
		if (s == CCG_OK && strtoll((const char *)v, NULL, 10) <= now)
			s = ccg_store_delete(txn, CCG_STATEMENT_JTI_TABLE, c.keys[i], err);
		free(v);
	}
	for (size_t i = 0; i < c.n; i++)
		free(c.keys[i]);
	free(c.keys);
	return s;
}

enum ccg_status ccg_statement_jti_use(struct ccg_store_txn *txn, const struct ccg_statement *st, int64_t now,
				      int64_t window, struct ccg_error *err)
{
	uint8_t id[CCG_SHA256_LEN];
	char idhex[2 * CCG_SHA256_LEN + 1], val[32];
	size_t plen, jlen;
	uint8_t *buf = NULL;
	enum ccg_status s;

	if (txn == NULL || st == NULL || window < 1 || window > CCG_STATEMENT_WINDOW_MAX)
		return ccg_error_set(err, CCG_ERR_INVALID_ARG, "statement.jti",
				     "need a transaction, statement, window");
	if ((s = purge(txn, now, err)) != CCG_OK)
		return s;
	/* the used pair is named by the hash of party NUL jti; the value is its keep-until time */
	plen = strlen(st->party);
	jlen = strlen(st->jti);
	if ((buf = malloc(plen + 1 + jlen)) == NULL)
		return ccg_error_set(err, CCG_ERR_NOMEM, "statement.jti", "no memory");
	memcpy(buf, st->party, plen);
	buf[plen] = 0;
	memcpy(buf + plen + 1, st->jti, jlen);
	s = ccg_sha256(buf, plen + 1 + jlen, id);
	free(buf);
	if (s != CCG_OK)
		return ccg_error_set(err, s, "statement.jti", "cannot hash");
	ccg_hex_encode(id, sizeof(id), idhex);
	snprintf(val, sizeof(val), "%lld", (long long)(st->iat + window));
	s = ccg_store_put(txn, CCG_STATEMENT_JTI_TABLE, idhex, (const uint8_t *)val, strlen(val), CCG_STORE_INSERT,
			  err);
	if (s == CCG_ERR_DUPLICATE) {
		if (err != NULL)
			ccg_error_clear(err);
		return ccg_error_set(err, CCG_ERR_STATEMENT_REPLAY, "statement.jti",
				     "jti \"%.64s\" of party \"%.64s\" was already used", st->jti, st->party);
	}
	return s;
}
