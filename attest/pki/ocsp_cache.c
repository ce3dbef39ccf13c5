/* SPDX-License-Identifier: Apache-2.0 */
/*
 * OCSP caches. Memory: a sorted array of verified results keyed by the DER
 * CertID, searched by bisection under a mutex, so a warm lookup is a few
 * memcmp calls and a struct copy (no signature check, no I/O, no malloc).
 * Files: "<cache_dir>/<hex SHA-256 of the CertID DER>", each holding the
 * OCSPResponse DER exactly as the responder sent it; ocsp.c verifies a file
 * against the issuer before its answer enters the memory table.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "attest/pki/ocsp_internal.h"
#include "common/crypto.h"
#include "common/encoding.h"
#include "common/error.h"
#include "common/file.h"

enum ccg_status ccg_ocsp_cache_init(struct ccg_ocsp *o)
{
	o->entries = calloc(CCG_OCSP_CACHE_MAX, sizeof(*o->entries));
	o->supplied = calloc(CCG_OCSP_SUPPLIED_MAX, sizeof(*o->supplied));
	o->n_entries = 0;
	o->n_supplied = 0;
	if (o->entries == NULL || o->supplied == NULL)
		return CCG_ERR_NOMEM;
	if (pthread_mutex_init(&o->lock, NULL) != 0)
		return CCG_ERR_INTERNAL;
	return CCG_OK;
}

void ccg_ocsp_cache_cleanup(struct ccg_ocsp *o)
{
	if (o->supplied != NULL) {
		for (size_t i = 0; i < o->n_supplied; i++)
			free(o->supplied[i].der);
	}
	free(o->supplied);
	free(o->entries);
	o->supplied = NULL;
	o->entries = NULL;
}

static int key_cmp(const uint8_t *a, size_t a_len, const uint8_t *b, size_t b_len)
{
	if (a_len != b_len)
		return a_len < b_len ? -1 : 1;
	return memcmp(a, b, a_len);
}

/* index of key, or -(insertion point) - 1; caller holds the lock */
static long find(const struct ccg_ocsp *o, const uint8_t *key, size_t key_len)
{
	size_t lo = 0, hi = o->n_entries;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = key_cmp(o->entries[mid].key, o->entries[mid].key_len, key, key_len);

		if (c == 0)
			return (long)mid;
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return -(long)lo - 1;
}

bool ccg_ocsp_mem_lookup(struct ccg_ocsp *o, const uint8_t *key, size_t key_len, struct ccg_ocsp_cert_result *out)
{
	bool found = false;
	long i;

	if (key_len > CCG_OCSP_KEY_MAX)
		return false;
	pthread_mutex_lock(&o->lock);
	i = find(o, key, key_len);
	if (i >= 0) {
		*out = o->entries[i].r;
		found = true;
	}
	pthread_mutex_unlock(&o->lock);
	return found;
}

/* removes the entry with the oldest thisUpdate; caller holds the lock */
static void evict_oldest(struct ccg_ocsp *o)
{
	size_t victim = 0;

	for (size_t i = 1; i < o->n_entries; i++) {
		if (o->entries[i].r.this_update < o->entries[victim].r.this_update)
			victim = i;
	}
	memmove(&o->entries[victim], &o->entries[victim + 1], (o->n_entries - victim - 1) * sizeof(*o->entries));
	o->n_entries--;
}

void ccg_ocsp_mem_insert(struct ccg_ocsp *o, const uint8_t *key, size_t key_len, const struct ccg_ocsp_cert_result *r)
{
	long i;
	size_t at;

	if (key_len > CCG_OCSP_KEY_MAX)
		return;
	pthread_mutex_lock(&o->lock);
	i = find(o, key, key_len);
	if (i >= 0) {
		if (o->entries[i].r.this_update <= r->this_update)
			o->entries[i].r = *r;
		goto out;
	}
	if (o->n_entries == CCG_OCSP_CACHE_MAX) {
		evict_oldest(o);
		i = find(o, key, key_len);
	}
	at = (size_t)(-(i + 1));
	memmove(&o->entries[at + 1], &o->entries[at], (o->n_entries - at) * sizeof(*o->entries));
	memcpy(o->entries[at].key, key, key_len);
	o->entries[at].key_len = key_len;
	o->entries[at].r = *r;
	o->n_entries++;
out:
	pthread_mutex_unlock(&o->lock);
}

enum ccg_status ccg_ocsp_supplied_add(struct ccg_ocsp *o, const uint8_t *der, size_t len, struct ccg_error *err)
{
	uint8_t *copy = malloc(len);
	enum ccg_status st = CCG_OK;

	if (copy == NULL)
		return ccg_error_set(err, CCG_ERR_NOMEM, "ocsp.supplied", "copying %zu bytes", len);
	memcpy(copy, der, len);
	pthread_mutex_lock(&o->lock);
	if (o->n_supplied == CCG_OCSP_SUPPLIED_MAX) {
		st = ccg_error_set(err, CCG_ERR_TOO_LARGE, "ocsp.supplied", "at most %u supplied responses",
				   CCG_OCSP_SUPPLIED_MAX);
	} else {
		o->supplied[o->n_supplied].der = copy;
		o->supplied[o->n_supplied].len = len;
		o->n_supplied++;
		copy = NULL;
	}
	pthread_mutex_unlock(&o->lock);
	free(copy);
	return st;
}

size_t ccg_ocsp_supplied_count(struct ccg_ocsp *o)
{
	size_t n;

	pthread_mutex_lock(&o->lock);
	n = o->n_supplied;
	pthread_mutex_unlock(&o->lock);
	return n;
}

static enum ccg_status file_path(const struct ccg_ocsp *o, const uint8_t *key, size_t key_len, char *buf,
				 size_t buf_len, struct ccg_error *err)
{
	uint8_t h[CCG_SHA256_LEN];
	char hex[2 * CCG_SHA256_LEN + 1];
	int n;

	if (ccg_sha256(key, key_len, h) != CCG_OK)
		return ccg_error_set(err, CCG_ERR_CRYPTO, "ocsp.cache", "SHA-256 of the CertID failed");
	ccg_hex_encode(h, sizeof(h), hex);
	n = snprintf(buf, buf_len, "%s/%s", o->cache_dir, hex);
	if (n < 0 || (size_t)n >= buf_len)
		return ccg_error_set(err, CCG_ERR_INVALID_ARG, "ocsp.cache_dir", "path too long");
	return CCG_OK;
}

enum ccg_status ccg_ocsp_file_load(const struct ccg_ocsp *o, const uint8_t *key, size_t key_len, uint8_t **out,
				   size_t *out_len, struct ccg_error *err)
{
	char path[4096];
	enum ccg_status st;

	*out = NULL;
	*out_len = 0;
	if (o->cache_dir == NULL)
		return CCG_ERR_NOT_FOUND;
	st = file_path(o, key, key_len, path, sizeof(path), err);
	if (st != CCG_OK)
		return st;
	return ccg_file_read(path, CCG_OCSP_MAX_RESPONSE, out, out_len, err);
}

enum ccg_status ccg_ocsp_file_store(const struct ccg_ocsp *o, const uint8_t *key, size_t key_len, const uint8_t *der,
				    size_t len, struct ccg_error *err)
{
	char path[4096];
	enum ccg_status st;

	if (o->cache_dir == NULL)
		return CCG_OK;
	st = file_path(o, key, key_len, path, sizeof(path), err);
	if (st == CCG_OK)
		st = ccg_mkdir_p(o->cache_dir, err);
	if (st == CCG_OK)
		st = ccg_file_write_atomic(path, der, len, err);
	return st;
}
