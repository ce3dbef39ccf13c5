/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Oblivious HTTP (RFC 9458) on common/hpke.h: key configurations (§3) and
 * application/ohttp-keys lists, request encapsulation (§4.3, client) and
 * decapsulation (gateway), response encapsulation (§4.4, gateway) and
 * opening (client). The gateway's and client's public APIs
 * (include/ccgpu/ohttp.h, include/ccgpu/client.h) are built on this.
 *
 * One context per exchange: the client keeps the sender context from
 * encapsulating a request to open that request's response; the gateway
 * keeps the recipient context from decapsulating it to seal the response.
 * Each context answers or opens exactly one response.
 */
#ifndef CCGPU_OHTTP_OHTTP_H
#define CCGPU_OHTTP_OHTTP_H

#include <openssl/evp.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ccgpu/ohttp.h"
#include "common/hpke.h"

#define CCG_OHTTP_MAX_ALGS 64           /* symmetric algorithm pairs in one key configuration */
#define CCG_OHTTP_MAX_CONFIGS 16        /* key configurations in one application/ohttp-keys list */
#define CCG_OHTTP_HEADER_LEN 7          /* key id (8) ‖ KEM (16) ‖ KDF (16) ‖ AEAD (16) */
#define CCG_OHTTP_MAX_RESPONSE_NONCE 32 /* max(Nn, Nk) of the suites ccgpu has */
#define CCG_OHTTP_REQUEST_LABEL "message/bhttp request"
#define CCG_OHTTP_RESPONSE_LABEL "message/bhttp response"

struct ccg_ohttp_alg {
	uint16_t kdf_id, aead_id;
};

/* One key configuration (RFC 9458 §3.1). */
struct ccg_ohttp_key_config {
	uint8_t key_id;
	uint16_t kem_id;
	uint8_t pk[CCG_HPKE_MAX_PK_LEN];
	size_t pk_len;
	size_t n_algs;
	struct ccg_ohttp_alg algs[CCG_OHTTP_MAX_ALGS];
};

/* The HPKE context of one exchange, on either side. */
struct ccg_ohttp_ctx;

/*
 * ccg_ohttp_key_config_parse: one key configuration occupying all of data.
 * The KEM must be one ccgpu has (Npk is known only then: CCG_ERR_UNSUPPORTED
 * "ohttp.key_config.kem"), the public key valid for it
 * (ccg_hpke_public_key_parse), the algorithms' length a non-zero multiple
 * of 4 (CCG_ERR_MALFORMED), at most CCG_OHTTP_MAX_ALGS pairs
 * (CCG_ERR_TOO_LARGE); short input CCG_ERR_TRUNCATED, bytes after the
 * algorithms CCG_ERR_TRAILING_DATA.
 */
CCG_MUST_USE enum ccg_status ccg_ohttp_key_config_parse(const uint8_t *data, size_t len,
							struct ccg_ohttp_key_config *out, struct ccg_error *err);
/*
 * ccg_ohttp_keys_parse: an application/ohttp-keys body (§3.2): one or more
 * configurations, each prefixed with its 2-byte length. A configuration for
 * a KEM ccgpu does not have is skipped; any encoding error refuses the
 * whole list (§3.2: "Clients MUST discard incorrectly encoded key
 * configuration collections"). At most cap (<= CCG_OHTTP_MAX_CONFIGS)
 * configurations are kept in out (*n); none usable: CCG_ERR_UNSUPPORTED "ohttp.keys".
 */
CCG_MUST_USE enum ccg_status ccg_ohttp_keys_parse(const uint8_t *data, size_t len, struct ccg_ohttp_key_config *out,
						  size_t cap, size_t *n, struct ccg_error *err);
/* ccg_ohttp_keys_encode: n configurations as an application/ohttp-keys body (*out malloc'd). */
CCG_MUST_USE enum ccg_status ccg_ohttp_keys_encode(const struct ccg_ohttp_key_config *kc, size_t n, uint8_t **out,
						   size_t *out_len, struct ccg_error *err);
/* ccg_ohttp_key_config_encode: one configuration without a length prefix (*out malloc'd). */
CCG_MUST_USE enum ccg_status ccg_ohttp_key_config_encode(const struct ccg_ohttp_key_config *kc, uint8_t **out,
							 size_t *out_len, struct ccg_error *err);
/*
 * ccg_ohttp_key_config_suite: the first of the configuration's KDF/AEAD
 * pairs that forms with its KEM a suite ccgpu has; none: CCG_ERR_UNSUPPORTED
 * "ohttp.key_config.algs".
 */
CCG_MUST_USE enum ccg_status ccg_ohttp_key_config_suite(const struct ccg_ohttp_key_config *kc, enum ccg_hpke_suite *out,
							struct ccg_error *err);

/*
 * ccg_ohttp_gateway_new_key (branch inference): a gateway (include/ccgpu/ohttp.h)
 * around sk, a private key of suite (X25519 or P-384), which it takes over
 * (freed on failure too): the guest's TEE key (ccg_guest_ohttp_gateway).
 */
CCG_MUST_USE enum ccg_status ccg_ohttp_gateway_new_key(uint8_t key_id, enum ccg_hpke_suite suite, EVP_PKEY *sk,
						       struct ccg_ohttp_gateway **out, struct ccg_error *err);

/*
 * ccg_ohttp_request_encapsulate: the client's §4.3: hdr ‖ enc ‖ Seal(req)
 * to kc's key with the suite ccg_ohttp_key_config_suite picks; *out
 * malloc'd, *ctx kept to open the response (free with ccg_ohttp_ctx_free).
 * req up to CCG_BHTTP_MAX_MESSAGE bytes.
 */
CCG_MUST_USE enum ccg_status ccg_ohttp_request_encapsulate(const struct ccg_ohttp_key_config *kc, const uint8_t *req,
							   size_t req_len, uint8_t **out, size_t *out_len,
							   struct ccg_ohttp_ctx **ctx, struct ccg_error *err);
/* ccg_ohttp_request_encapsulate_fixed: the same with the ephemeral key skE given (test vectors only). */
CCG_MUST_USE enum ccg_status ccg_ohttp_request_encapsulate_fixed(const struct ccg_ohttp_key_config *kc, EVP_PKEY *skE,
								 const uint8_t *req, size_t req_len, uint8_t **out,
								 size_t *out_len, struct ccg_ohttp_ctx **ctx,
								 struct ccg_error *err);
/*
 * ccg_ohttp_request_decapsulate: the gateway's side of §4.3 for its one
 * key (key_id, suite, skR): refuses another key id, KEM, KDF or AEAD
 * (CCG_ERR_OHTTP_KEY "ohttp.request.key_id" / ".suite"), a short header or
 * enc (CCG_ERR_TRUNCATED), an enc that is no valid public key
 * (CCG_ERR_MALFORMED "hpke.enc"/"hpke.dh") and a ciphertext that does not
 * open (CCG_ERR_MAC "hpke.ct"). The plaintext request goes to *out
 * (malloc'd; the caller wipes and frees it), the context to *ctx.
 */
CCG_MUST_USE enum ccg_status ccg_ohttp_request_decapsulate(uint8_t key_id, enum ccg_hpke_suite suite, EVP_PKEY *skR,
							   const uint8_t *enc_req, size_t len, uint8_t **out,
							   size_t *out_len, struct ccg_ohttp_ctx **ctx,
							   struct ccg_error *err);
/*
 * ccg_ohttp_request_decapsulate_buf (branch prompt): the same, the size of
 * the buffer *out in *out_cap (it may come from the message-buffer pool of
 * ohttp/bhttp.h: give it back with ccg_bhttp_buf_put, or to
 * ccg_bhttp_decode_take).
 */
CCG_MUST_USE enum ccg_status ccg_ohttp_request_decapsulate_buf(uint8_t key_id, enum ccg_hpke_suite suite, EVP_PKEY *skR,
							       const uint8_t *enc_req, size_t len, uint8_t **out,
							       size_t *out_len, size_t *out_cap,
							       struct ccg_ohttp_ctx **ctx, struct ccg_error *err);
/*
 * ccg_ohttp_response_encapsulate: the gateway's §4.4: response_nonce
 * (random, max(Nn, Nk) bytes) ‖ Seal(aead_key, aead_nonce, "", resp), the
 * key and nonce derived from the request context's export. Once per
 * context (then CCG_ERR_INVALID_ARG "ohttp.ctx"); only on a gateway's context.
 */
CCG_MUST_USE enum ccg_status ccg_ohttp_response_encapsulate(struct ccg_ohttp_ctx *ctx, const uint8_t *resp,
							    size_t resp_len, uint8_t **out, size_t *out_len,
							    struct ccg_error *err);
/* ccg_ohttp_response_encapsulate_fixed: the same with the response nonce given (test vectors only). */
CCG_MUST_USE enum ccg_status ccg_ohttp_response_encapsulate_fixed(struct ccg_ohttp_ctx *ctx, const uint8_t *nonce,
								  size_t nonce_len, const uint8_t *resp,
								  size_t resp_len, uint8_t **out, size_t *out_len,
								  struct ccg_error *err);
/*
 * ccg_ohttp_response_open: the client's side of §4.4 on its request's
 * context: a body shorter than the nonce is CCG_ERR_TRUNCATED
 * "ohttp.response.nonce", one that does not open CCG_ERR_MAC "hpke.ct" /
 * CCG_ERR_TRUNCATED "hpke.ct". The plaintext goes to *out (malloc'd; wipe
 * and free). Once per context.
 */
CCG_MUST_USE enum ccg_status ccg_ohttp_response_open(struct ccg_ohttp_ctx *ctx, const uint8_t *enc_res, size_t len,
						     uint8_t **out, size_t *out_len, struct ccg_error *err);
/* ccg_ohttp_ctx_free: wipes the context; NULL is allowed. */
void ccg_ohttp_ctx_free(struct ccg_ohttp_ctx *ctx);
/* ccg_ohttp_free_plaintext: wipes len bytes at p and frees them (for *out of the calls above). */
void ccg_ohttp_free_plaintext(uint8_t *p, size_t len);

#endif
