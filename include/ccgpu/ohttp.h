/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Prompt privacy, the server's half: Binary HTTP messages (RFC 9292) and the
 * Oblivious HTTP gateway (RFC 9458) an inference app inside the TEE runs.
 * Clients encapsulate each request to the TEE's X25519 key (the key the EAR
 * token's cnf.jwk vouches for); the gateway opens it, the app answers, and
 * the gateway seals the answer to the same request's HPKE context, so the
 * operator's relays and hosts carry ciphertext only. The client's half is
 * include/ccgpu/client.h; docs/protocols.md ("Oblivious HTTP") gives the
 * routes and formats.
 *
 * Thread-safety: a message, an exchange or a gateway is used by one thread
 * at a time, except that ccg_ohttp_gateway_decapsulate may be called from
 * several threads at once on one gateway (it only reads it).
 */
#ifndef CCGPU_OHTTP_PUBLIC_H
#define CCGPU_OHTTP_PUBLIC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ccgpu/status.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---------------- Binary HTTP (RFC 9292) ---------------- */

/* A request or a response: control data, header fields, content, trailer fields (and a response's 1xx parts). */
struct ccg_bhttp_msg;

/* the stated maxima (each over it: CCG_ERR_TOO_LARGE naming the part) */
#define CCG_BHTTP_MAX_MESSAGE (8u * 1024 * 1024) /* encoded bytes of one message, padding included */
#define CCG_BHTTP_MAX_FIELDS 128u                /* field lines in one section */
#define CCG_BHTTP_MAX_FIELD_LEN 65536u           /* bytes of one field name or value */
#define CCG_BHTTP_MAX_CONTROL_LEN 8192u          /* bytes of a method, scheme, authority or path */
#define CCG_BHTTP_MAX_INFORMATIONAL 8u           /* 1xx responses before the final one */

/* field sections: the header and trailer sections, and the header section of informational response i */
#define CCG_BHTTP_HEADERS 0u
#define CCG_BHTTP_TRAILERS 1u
#define CCG_BHTTP_INFORMATIONAL(i) (2u + (i))

/*
 * ccg_bhttp_request_new: an empty request with its control data (RFC 9292
 * §3.4): method a token, scheme empty or ALPHA *(ALPHA / DIGIT / "+" / "-"
 * / "."), authority and path visible ASCII (either may be empty). Refused:
 * CCG_ERR_MALFORMED naming "bhttp.method" etc. Free with ccg_bhttp_msg_free.
 */
CCG_API CCG_MUST_USE enum ccg_status ccg_bhttp_request_new(const char *method, const char *scheme,
							   const char *authority, const char *path,
							   struct ccg_bhttp_msg **out, struct ccg_error *err);
/* ccg_bhttp_response_new: an empty response with final status 200..599 (else CCG_ERR_MALFORMED "bhttp.status"). */
CCG_API CCG_MUST_USE enum ccg_status ccg_bhttp_response_new(unsigned status, struct ccg_bhttp_msg **out,
							    struct ccg_error *err);
/* ccg_bhttp_msg_free: wipes the content and field values, frees; NULL is allowed. */
CCG_API void ccg_bhttp_msg_free(struct ccg_bhttp_msg *m);
/*
 * ccg_bhttp_msg_add_informational: appends a 1xx response (status 100..199)
 * before the final one; its fields go to section CCG_BHTTP_INFORMATIONAL(i).
 * Requests: CCG_ERR_INVALID_ARG; more than CCG_BHTTP_MAX_INFORMATIONAL: CCG_ERR_TOO_LARGE.
 */
CCG_API CCG_MUST_USE enum ccg_status ccg_bhttp_msg_add_informational(struct ccg_bhttp_msg *m, unsigned status,
								     struct ccg_error *err);
/*
 * ccg_bhttp_msg_add_field: appends a field line to a section. The name must
 * be a lower-case token (HTTP/2's rule, RFC 9113 §8.2.1; no pseudo-fields,
 * no connection-specific fields such as transfer-encoding, RFC 9113
 * §8.2.2), the value without NUL, CR, LF and without leading or trailing
 * space or tab. Refusals name "bhttp.field.name" / "bhttp.field.value".
 */
CCG_API CCG_MUST_USE enum ccg_status ccg_bhttp_msg_add_field(struct ccg_bhttp_msg *m, unsigned section,
							     const char *name, const uint8_t *value,
							     size_t value_len, struct ccg_error *err);
/* ccg_bhttp_msg_set_content: replaces the content with a copy of data (len may be 0). */
CCG_API CCG_MUST_USE enum ccg_status ccg_bhttp_msg_set_content(struct ccg_bhttp_msg *m, const uint8_t *data,
							       size_t len, struct ccg_error *err);
/*
 * ccg_bhttp_encode: the message in known-length form (framing 0/1) or, with
 * indeterminate, in indeterminate-length form (framing 2/3; the content as
 * one chunk), followed by padding zero bytes. Every part is written (no
 * truncation). *out is malloc'd; the caller wipes and frees it.
 */
CCG_API CCG_MUST_USE enum ccg_status ccg_bhttp_encode(const struct ccg_bhttp_msg *m, bool indeterminate,
						      size_t padding, uint8_t **out, size_t *out_len,
						      struct ccg_error *err);
/*
 * ccg_bhttp_decode: parses one message of either framing, strictly: every
 * field as ccg_bhttp_request_new / add_field demand, a response's 1xx parts
 * then exactly one final status, truncation only where RFC 9292 allows it
 * (before a section's or the content's length, after a terminator), any
 * padding all zero bytes. Refusals: CCG_ERR_TRUNCATED, CCG_ERR_MALFORMED,
 * CCG_ERR_UNSUPPORTED (framing indicator), CCG_ERR_TOO_LARGE, CCG_ERR_TRAILING_DATA
 * (non-zero padding), each naming the part ("bhttp.header[3].name").
 */
CCG_API CCG_MUST_USE enum ccg_status ccg_bhttp_decode(const uint8_t *data, size_t len, struct ccg_bhttp_msg **out,
						      struct ccg_error *err);

/* ccg_bhttp_msg_is_request: true for a request, false for a response. */
CCG_API bool ccg_bhttp_msg_is_request(const struct ccg_bhttp_msg *m);
/* ccg_bhttp_msg_method, _scheme, _authority, _path: a request's control data (borrowed); NULL for a response. */
CCG_API const char *ccg_bhttp_msg_method(const struct ccg_bhttp_msg *m);
CCG_API const char *ccg_bhttp_msg_scheme(const struct ccg_bhttp_msg *m);
CCG_API const char *ccg_bhttp_msg_authority(const struct ccg_bhttp_msg *m);
CCG_API const char *ccg_bhttp_msg_path(const struct ccg_bhttp_msg *m);
/* ccg_bhttp_msg_status: a response's final status; 0 for a request. */
CCG_API unsigned ccg_bhttp_msg_status(const struct ccg_bhttp_msg *m);
/* ccg_bhttp_msg_informational_count / _status: the 1xx responses before the final one. */
CCG_API size_t ccg_bhttp_msg_informational_count(const struct ccg_bhttp_msg *m);
CCG_API unsigned ccg_bhttp_msg_informational_status(const struct ccg_bhttp_msg *m, size_t i);
/* ccg_bhttp_msg_field_count: field lines in a section (0 for a section that does not exist). */
CCG_API size_t ccg_bhttp_msg_field_count(const struct ccg_bhttp_msg *m, unsigned section);
/* ccg_bhttp_msg_field: field line i of a section (borrowed; the name is NUL-terminated); false when absent. */
CCG_API bool ccg_bhttp_msg_field(const struct ccg_bhttp_msg *m, unsigned section, size_t i, const char **name,
				 const uint8_t **value, size_t *value_len);
/* ccg_bhttp_msg_field_value: the value of the first field of that (lower-case) name in a section, or NULL. */
CCG_API const uint8_t *ccg_bhttp_msg_field_value(const struct ccg_bhttp_msg *m, unsigned section, const char *name,
						 size_t *value_len);
/* ccg_bhttp_msg_content: the content (borrowed; *len = 0 and a non-NULL pointer when empty). */
CCG_API const uint8_t *ccg_bhttp_msg_content(const struct ccg_bhttp_msg *m, size_t *len);

/* ---------------- Oblivious HTTP gateway (RFC 9458) ---------------- */

/* The TEE's OHTTP key: one key configuration (X25519, HKDF-SHA256, AES-128-GCM, or the P-384 suite) and its private key. */
struct ccg_ohttp_gateway;
/* One decapsulated request, kept until it is answered (it holds the request's HPKE context). */
struct ccg_ohttp_exchange;

#define CCG_OHTTP_MAX_MESSAGE (CCG_BHTTP_MAX_MESSAGE + 256u) /* bytes of an encapsulated request or response */

/*
 * ccg_ohttp_gateway_new: a gateway whose key configuration has key_id and
 * the X25519 private key sk (32 raw bytes, RFC 7748; copied, the caller
 * wipes its copy), or, with sk NULL, a freshly generated one. A bad key:
 * CCG_ERR_INVALID_ARG "ohttp.key". Free with ccg_ohttp_gateway_free.
 */
CCG_API CCG_MUST_USE enum ccg_status ccg_ohttp_gateway_new(uint8_t key_id, const uint8_t *sk, size_t sk_len,
							   struct ccg_ohttp_gateway **out, struct ccg_error *err);
/*
 * ccg_ohttp_gateway_new_pem: a gateway whose key is the PEM private key
 * (PKCS#8 or SEC1; unencrypted) of an X25519 key (suite X25519 /
 * HKDF-SHA256 / AES-128-GCM) or an EC P-384 key (P-384 / HKDF-SHA384 /
 * AES-256-GCM): a TEE key the verifier binds as an EC key serves OHTTP as
 * it is. Any other key: CCG_ERR_INVALID_ARG "hpke.key"; no PEM key:
 * CCG_ERR_ENCODING. The caller wipes key_pem.
 */
CCG_API CCG_MUST_USE enum ccg_status ccg_ohttp_gateway_new_pem(uint8_t key_id, const uint8_t *key_pem, size_t len,
							       struct ccg_ohttp_gateway **out,
							       struct ccg_error *err);
/* ccg_ohttp_gateway_free: frees the key; NULL is allowed. */
CCG_API void ccg_ohttp_gateway_free(struct ccg_ohttp_gateway *g);
/*
 * ccg_ohttp_gateway_key_config: the gateway's key configuration as an
 * application/ohttp-keys body (RFC 9458 §3.2: one length-prefixed
 * configuration); malloc'd, the caller frees it.
 */
CCG_API CCG_MUST_USE enum ccg_status ccg_ohttp_gateway_key_config(const struct ccg_ohttp_gateway *g, uint8_t **out,
								  size_t *out_len, struct ccg_error *err);
/*
 * ccg_ohttp_gateway_public_jwk: the public key as a JWK text
 * {"kty":"OKP","crv":"X25519","x":…} or {"kty":"EC","crv":"P-384","x":…,"y":…}
 * (what the verifier puts in the EAR token's cnf.jwk); malloc'd.
 */
CCG_API CCG_MUST_USE enum ccg_status ccg_ohttp_gateway_public_jwk(const struct ccg_ohttp_gateway *g, char **out,
								  struct ccg_error *err);
/*
 * ccg_ohttp_gateway_decapsulate: opens a message/ohttp-req body (RFC 9458
 * §4.3) and decodes the Binary HTTP request inside. Refusals, each before
 * any plaintext is released: CCG_ERR_TRUNCATED "ohttp.request" (shorter
 * than its header and enc), CCG_ERR_OHTTP_KEY (another key id, KEM, KDF or
 * AEAD), CCG_ERR_MAC "hpke.ct" (altered or for another key), then the
 * ccg_bhttp_decode errors, or a response where a request belongs
 * (CCG_ERR_MALFORMED "ohttp.request.bhttp"). *out: free with ccg_ohttp_exchange_free.
 */
CCG_API CCG_MUST_USE enum ccg_status ccg_ohttp_gateway_decapsulate(const struct ccg_ohttp_gateway *g,
								   const uint8_t *enc_request, size_t len,
								   struct ccg_ohttp_exchange **out,
								   struct ccg_error *err);
/* ccg_ohttp_exchange_request: the decapsulated request (borrowed from ex). */
CCG_API const struct ccg_bhttp_msg *ccg_ohttp_exchange_request(const struct ccg_ohttp_exchange *ex);
/*
 * ccg_ohttp_exchange_respond: encodes response (known-length Binary HTTP)
 * and encapsulates it to the request's context (RFC 9458 §4.4, a fresh
 * random response nonce) into a message/ohttp-res body (*out malloc'd).
 * One answer per exchange: a second call is CCG_ERR_INVALID_ARG; a request
 * message as the answer likewise.
 */
CCG_API CCG_MUST_USE enum ccg_status ccg_ohttp_exchange_respond(struct ccg_ohttp_exchange *ex,
								const struct ccg_bhttp_msg *response, uint8_t **out,
								size_t *out_len, struct ccg_error *err);
/* ccg_ohttp_exchange_free: wipes the context and the request; NULL is allowed. */
CCG_API void ccg_ohttp_exchange_free(struct ccg_ohttp_exchange *ex);

#ifdef __cplusplus
}
#endif
#endif
