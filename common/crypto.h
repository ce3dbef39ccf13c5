/* SPDX-License-Identifier: Apache-2.0 */
/* Thin checked wrappers over OpenSSL 3: digests, ECDSA, certificates, errors. */
#ifndef CCGPU_COMMON_CRYPTO_H
#define CCGPU_COMMON_CRYPTO_H

#include <openssl/evp.h>
#include <openssl/x509.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ccgpu/status.h"
#include "ccgpu/util.h" /* CCG_SHA256_LEN, CCG_SHA384_LEN, ccg_sha256, ccg_sha384, ccg_time_iso, ccg_time_parse_iso (exported) */

#define CCG_SHA512_LEN 64

/*
 * ccg_openssl_error: records s in err with where/what, appending the first
 * OpenSSL error-queue entry, and drains the queue. Returns s.
 */
enum ccg_status ccg_openssl_error(struct ccg_error *err, enum ccg_status s, const char *where, const char *what);

/* ccg_digest: one-shot digest with md ("SHA256", "SHA384", "SHA512"); out holds EVP_MAX_MD_SIZE. */
CCG_MUST_USE enum ccg_status ccg_digest(const char *md, const uint8_t *data, size_t len, uint8_t *out, size_t *out_len);

/*
 * ccg_ecdsa_verify_raw: verifies a raw big-endian r‖s ECDSA signature
 * (sig_len = 2 × field size) over msg hashed with md. 1 → CCG_OK,
 * 0 → CCG_ERR_SIGNATURE, < 0 → CCG_ERR_CRYPTO (recorded in err with where).
 */
CCG_MUST_USE enum ccg_status ccg_ecdsa_verify_raw(EVP_PKEY *key, const char *md, const uint8_t *msg, size_t msg_len,
						  const uint8_t *sig, size_t sig_len, const char *where,
						  struct ccg_error *err);
/*
 * ccg_ecdsa_sign_raw: signs msg (hashed with md) with an EC key and writes the
 * raw big-endian r‖s (out_len = 2 × field size, e.g. 96 for P-384), the form
 * SPDM and NVIDIA's reports carry. Failures: CCG_ERR_CRYPTO named by where.
 */
CCG_MUST_USE enum ccg_status ccg_ecdsa_sign_raw(EVP_PKEY *key, const char *md, const uint8_t *msg, size_t msg_len,
						uint8_t *out, size_t out_len, const char *where, struct ccg_error *err);
/* ccg_ecdsa_raw_to_der: converts raw r‖s into a DER ECDSA-Sig-Value (malloc'd). */
CCG_MUST_USE enum ccg_status ccg_ecdsa_raw_to_der(const uint8_t *sig, size_t sig_len, uint8_t **out, size_t *out_len);

/*
 * ccg_pem_certs_parse: parses every CERTIFICATE in a PEM text, in order,
 * into a new stack (at most max_certs). No certificate, anything but
 * certificates and whitespace, or too many: an error naming which.
 */
CCG_MUST_USE enum ccg_status ccg_pem_certs_parse(const uint8_t *pem, size_t pem_len, size_t max_certs,
						 STACK_OF(X509) **out, struct ccg_error *err);
/* ccg_pem_certs_load: ccg_pem_certs_parse on a file's contents. */
CCG_MUST_USE enum ccg_status ccg_pem_certs_load(const char *path, size_t max_certs, STACK_OF(X509) **out,
						struct ccg_error *err);
/* ccg_der_cert_parse: one DER certificate, refusing trailing bytes. */
CCG_MUST_USE enum ccg_status ccg_der_cert_parse(const uint8_t *der, size_t len, X509 **out, struct ccg_error *err);
/* ccg_x509_subject: one-line RFC 2253 subject into buf (truncated to buf_len); returns buf. */
const char *ccg_x509_subject(X509 *cert, char *buf, size_t buf_len);
/* ccg_x509_cn: the subject CN into buf, or "" when absent; returns buf. */
const char *ccg_x509_cn(X509 *cert, char *buf, size_t buf_len);
/* ccg_asn1_time_iso: ASN1_TIME as "YYYY-MM-DDTHH:MM:SSZ" into buf (21 bytes). */
CCG_MUST_USE enum ccg_status ccg_asn1_time_iso(const ASN1_TIME *t, char buf[21]);
/* ccg_asn1_time_unix: ASN1_TIME as seconds since the epoch. */
CCG_MUST_USE enum ccg_status ccg_asn1_time_unix(const ASN1_TIME *t, int64_t *out);
/*
 * ccg_time_resolve: the one convention of every time parameter of the public
 * API (include/ccgpu/status.h, CCG_TIME_NOW): Unix seconds, CCG_TIME_NOW (0)
 * for the current time. Negative times are refused: CCG_ERR_INVALID_ARG named
 * by where; *out is then 0.
 */
CCG_MUST_USE enum ccg_status ccg_time_resolve(int64_t now, const char *where, int64_t *out, struct ccg_error *err);

/* ccg_random: cryptographically secure random bytes. */
CCG_MUST_USE enum ccg_status ccg_random(uint8_t *out, size_t len);

/* ccg_ct_equal: constant-time equality of two equal-length byte strings. */
bool ccg_ct_equal(const uint8_t *a, const uint8_t *b, size_t len);

/*
 * ccg_x509_spki_pinned: the SHA-256 of cert's DER SubjectPublicKeyInfo is one
 * of the n pins (how ccgpu recognises vendor roots: AMD ARKs, the Intel SGX
 * Root CA). NULL cert: false.
 */
bool ccg_x509_spki_pinned(X509 *cert, const uint8_t (*pins)[CCG_SHA256_LEN], size_t n);

#endif
