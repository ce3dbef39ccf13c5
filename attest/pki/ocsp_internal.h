/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Internals shared by ocsp.c (requests, verification, policy) and
 * ocsp_cache.c (in-memory table, DER file directory, supplied responses).
 */
#ifndef CCGPU_ATTEST_OCSP_INTERNAL_H
#define CCGPU_ATTEST_OCSP_INTERNAL_H

#include <openssl/ocsp.h>
#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "attest/pki/ocsp.h"

/* largest OCSPResponse accepted from the network, a cache file or a caller */
#define CCG_OCSP_MAX_RESPONSE (64u * 1024u)
/* largest DER CertID used as a cache key (SHA-384 CertID with a 20-byte serial is ~150) */
#define CCG_OCSP_KEY_MAX 256
/* entries in the in-memory table; the one with the oldest thisUpdate is evicted when full */
#define CCG_OCSP_CACHE_MAX 1024
/* responses supplied with ccg_ocsp_add_response */
#define CCG_OCSP_SUPPLIED_MAX 64

/* One verified answer, keyed by the DER of the SHA-384 CertID it answers. */
struct ccg_ocsp_entry {
	uint8_t key[CCG_OCSP_KEY_MAX];
	size_t key_len;
	struct ccg_ocsp_cert_result r;
};

/* A supplied response: DER copied at ccg_ocsp_add_response, immutable afterwards. */
struct ccg_ocsp_supplied {
	uint8_t *der;
	size_t len;
};

struct ccg_ocsp {
	enum ccg_ocsp_mode mode;
	char *responder_url;
	char *cache_dir;
	int64_t max_age;
	long timeout_ms;

	pthread_mutex_t lock; /* guards entries, n_entries and n_supplied */
	struct ccg_ocsp_entry *entries; /* sorted by (key_len, key); CCG_OCSP_CACHE_MAX slots */
	size_t n_entries;
	/* CCG_OCSP_SUPPLIED_MAX slots; slots below n_supplied never change, so readers
	 * may use them after reading n_supplied under the lock */
	struct ccg_ocsp_supplied *supplied;
	size_t n_supplied;
};

/* ocsp_cache.c */

/* ccg_ocsp_cache_init / _cleanup: the table and supplied-response slots. */
CCG_MUST_USE enum ccg_status ccg_ocsp_cache_init(struct ccg_ocsp *o);
void ccg_ocsp_cache_cleanup(struct ccg_ocsp *o);
/* ccg_ocsp_mem_lookup: copies the entry for key into out; false when absent. No allocation. */
bool ccg_ocsp_mem_lookup(struct ccg_ocsp *o, const uint8_t *key, size_t key_len,
			 struct ccg_ocsp_cert_result *out);
/*
 * ccg_ocsp_mem_insert: stores a verified result for key, replacing an entry
 * whose thisUpdate is not newer.
 */
void ccg_ocsp_mem_insert(struct ccg_ocsp *o, const uint8_t *key, size_t key_len,
			 const struct ccg_ocsp_cert_result *r);
/* ccg_ocsp_supplied_add: keeps a copy of a (parsed-and-checked) supplied response. */
CCG_MUST_USE enum ccg_status ccg_ocsp_supplied_add(struct ccg_ocsp *o, const uint8_t *der, size_t len,
						   struct ccg_error *err);
/* ccg_ocsp_supplied_count: how many supplied slots are readable (see struct ccg_ocsp). */
size_t ccg_ocsp_supplied_count(struct ccg_ocsp *o);
/*
 * ccg_ocsp_file_load: reads "<cache_dir>/<hex SHA-256 of key>" (at most
 * CCG_OCSP_MAX_RESPONSE bytes). CCG_ERR_NOT_FOUND when absent.
 */
CCG_MUST_USE enum ccg_status ccg_ocsp_file_load(const struct ccg_ocsp *o, const uint8_t *key,
						size_t key_len, uint8_t **out, size_t *out_len,
						struct ccg_error *err);
/* ccg_ocsp_file_store: writes a response atomically under the same name. */
CCG_MUST_USE enum ccg_status ccg_ocsp_file_store(const struct ccg_ocsp *o, const uint8_t *key,
						 size_t key_len, const uint8_t *der, size_t len,
						 struct ccg_error *err);

/* ocsp_verify.c (ocsp.c, the checker, calls ocsp_verify.c and ocsp_cache.c; neither calls back) */

/* ccg_ocsp_result_init: NOT_CHECKED, reason -1, times 0. */
void ccg_ocsp_result_init(struct ccg_ocsp_cert_result *r);

/*
 * ccg_ocsp_cert_id: the CertID of cert under issuer hashed with md, and its
 * DER in key (the cache key). out may be NULL when only the key is needed.
 */
CCG_MUST_USE enum ccg_status ccg_ocsp_cert_id(X509 *cert, X509 *issuer, const EVP_MD *md,
					      OCSP_CERTID **out, uint8_t key[CCG_OCSP_KEY_MAX],
					      size_t *key_len, struct ccg_error *err);
/*
 * ccg_ocsp_response_parse: one DER OCSPResponse, at most
 * CCG_OCSP_MAX_RESPONSE bytes, no trailing bytes, responseStatus successful,
 * a BasicOCSPResponse inside. Returns the basic response (caller frees).
 * Every failure is CCG_ERR_OCSP naming what was wrong.
 */
CCG_MUST_USE enum ccg_status ccg_ocsp_response_parse(const uint8_t *der, size_t len, const char *where,
						     OCSP_BASICRESP **out, struct ccg_error *err);

/*
 * ccg_ocsp_basic_verify: bs as an answer about id from issuer at time now:
 * signature and signer (issuer, or a responder certificate with
 * id-kp-OCSPSigning that issuer signed), the nonce when req is given, exactly
 * one SingleResponse for id. Fills r (freshness is the caller's). name
 * ("CN=...") goes into error details. Failures: CCG_ERR_OCSP.
 */
CCG_MUST_USE enum ccg_status ccg_ocsp_basic_verify(OCSP_BASICRESP *bs, OCSP_REQUEST *req,
						   OCSP_CERTID *id, X509 *issuer, int64_t now,
						   const char *name, struct ccg_ocsp_cert_result *r,
						   struct ccg_error *err);
/*
 * ccg_ocsp_fetch: POSTs a request for id with a fresh nonce to the configured
 * URL or the certificate's AIA OCSP URL and verifies the answer; der/der_len
 * get the raw response (malloc'd) for the file cache. Unreachable or non-200:
 * CCG_ERR_OCSP_UNAVAILABLE; anything wrong with the answer: CCG_ERR_OCSP.
 */
CCG_MUST_USE enum ccg_status ccg_ocsp_fetch(const struct ccg_ocsp *o, X509 *cert, X509 *issuer,
					    OCSP_CERTID *id, int64_t now, const char *name,
					    struct ccg_ocsp_cert_result *r, uint8_t **der,
					    size_t *der_len, struct ccg_error *err);

#endif
