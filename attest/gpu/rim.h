/* SPDX-License-Identifier: Apache-2.0 */
/*
 * NVIDIA reference integrity manifests: signed SWID tags (ISO/IEC 19770-2
 * XML) parsed with libxml2, their enveloped XML signature verified with
 * xmlsec1 (OpenSSL back end) using the certificate in the RIM's KeyInfo, the
 * RIM certificate chain verified to the NVIDIA RIM root. And a store that
 * finds RIMs by id in a directory or a RIM service, with a cache.
 */
#ifndef CCGPU_ATTEST_RIM_H
#define CCGPU_ATTEST_RIM_H

#include <openssl/x509.h>
#include <stdbool.h>
#include <stdint.h>

#include "attest/pki/x509_chain.h"

#define CCG_RIM_MAX_ALTERNATIVES 8
#define CCG_RIM_MAX_MEASUREMENTS 256
#define CCG_RIM_MAX_BYTES (4u << 20)
#define CCG_RIM_HASH_MAX 64

struct ccg_rim_measurement {
	uint32_t index; /* RIM index: SPDM block index - 1 */
	bool active;
	size_t alternatives; /* number of Hash<n> values */
	size_t hash_len;     /* bytes of each hash (48 for SHA-384) */
	uint8_t hashes[CCG_RIM_MAX_ALTERNATIVES][CCG_RIM_HASH_MAX];
	char name[64];
};

struct ccg_rim {
	char *tag_id;
	char *product;            /* Meta/@product, "GH100" */
	char *colloquial_version; /* Meta/@colloquialVersion: "550.144.03" / "96.00.74.00.20" */
	char *manufacturer_id;    /* Meta/@PlatformManufacturerId */
	size_t num_measurements;
	struct ccg_rim_measurement *measurements; /* sorted by index, unique */
	STACK_OF(X509) *certs;                    /* from KeyInfo/X509Data, leaf (signer) first */
	void *doc;                                /* private: the libxml2 document, for signature checking */
};

struct ccg_rim_verify_opts {
	X509 *rim_root; /* NVIDIA RIM root */
	int64_t now;    /* 0 = current time */
	bool ignore_expiry;
};

struct ccg_rim_verify_result {
	bool schema_valid; /* parsed with every required element */
	bool signature_verified;
	bool chain_verified;
	struct ccg_chain_result chain;
};

/* ccg_rim_parse: parses the XML (at most CCG_RIM_MAX_BYTES; no DTDs, no network, no entities). */
CCG_MUST_USE enum ccg_status ccg_rim_parse(const uint8_t *xml, size_t len, struct ccg_rim **out, struct ccg_error *err);
/*
 * ccg_rim_verify: XML signature (xmlsec1, key from the signer certificate in
 * the RIM; exactly one enveloped Signature referencing the whole document),
 * then the chain to opts->rim_root. Revocation of the RIM chain is the
 * caller's (ccg_ocsp_check_chain on rim->certs). out is filled as far as it
 * got; errors name the step and certificate.
 */
CCG_MUST_USE enum ccg_status ccg_rim_verify(const struct ccg_rim *rim, const struct ccg_rim_verify_opts *opts,
					    struct ccg_rim_verify_result *out, struct ccg_error *err);
void ccg_rim_free(struct ccg_rim *rim);

struct ccg_rim_store_config {
	const char *dir;         /* a directory of <rim id>.xml files, or NULL */
	const char *service_url; /* RIM service base URL (GET <url>/<rim id>), or NULL */
	const char *cache_dir;   /* where fetched RIMs are kept, or NULL */
	bool offline;            /* never fetch; dir and cache only */
	long timeout_ms;
};

struct ccg_rim_store;

CCG_MUST_USE enum ccg_status ccg_rim_store_new(const struct ccg_rim_store_config *config, struct ccg_rim_store **out,
					       struct ccg_error *err);
void ccg_rim_store_free(struct ccg_rim_store *s);

/*
 * ccg_rim_store_get: the RIM with this id, parsed and verified with opts,
 * from the in-memory cache, dir, cache_dir or the service (in that order).
 * *out is owned by the store and valid until it is freed; result is the
 * verification result (re-checked for expiry against opts->now on each call).
 * Missing everywhere: CCG_ERR_RIM_NOT_FOUND. Thread-safe.
 */
CCG_MUST_USE enum ccg_status ccg_rim_store_get(struct ccg_rim_store *s, const char *rim_id,
					       const struct ccg_rim_verify_opts *opts, const struct ccg_rim **out,
					       struct ccg_rim_verify_result *result, struct ccg_error *err);

/*
 * ccg_rim_service_decode: the RIM's XML bytes (malloc'd) from the body of
 * NVIDIA's RIM service answer for rim_id ({"id","rim" (base64),
 * "rim_format","sha256"}), as ccg_rim_store_get decodes a fetched answer;
 * nothing is parsed or verified yet. Exposed for the fuzz target.
 */
CCG_MUST_USE enum ccg_status ccg_rim_service_decode(const char *rim_id, const uint8_t *body, size_t body_len,
						    uint8_t **out, size_t *out_len, struct ccg_error *err);

#endif
