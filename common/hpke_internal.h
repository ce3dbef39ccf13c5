/* SPDX-License-Identifier: Apache-2.0 */
/*
 * HPKE internals for tests only (tests/unit/test_hpke.c, tests/fuzz): a
 * fixed ephemeral key (how RFC 9180's test vectors are made), a view of the
 * key schedule and an injected sequence number. Nothing here is part of
 * libccgpu's exported API (the library exports only what libccgpu.map
 * names); production code uses common/hpke.h.
 */
#ifndef CCGPU_COMMON_HPKE_INTERNAL_H
#define CCGPU_COMMON_HPKE_INTERNAL_H

#include "common/hpke.h"

#define CCG_HPKE_MAX_NH 48

/* what the key schedule computed, recorded when a trace is passed (test vectors) */
struct ccg_hpke_trace {
	uint8_t shared_secret[CCG_HPKE_MAX_NH];
	size_t shared_secret_len;
	uint8_t key_schedule_context[1 + 2 * CCG_HPKE_MAX_NH];
	size_t key_schedule_context_len;
	uint8_t secret[CCG_HPKE_MAX_NH];
	size_t secret_len;
};

/*
 * ccg_hpke_setup_s_fixed: ccg_hpke_setup_s with the ephemeral key skE given
 * (derived from the vectors' ikmE with ccg_hpke_keypair_derive) instead of
 * a fresh one; trace (may be NULL) receives the key schedule's values.
 */
CCG_MUST_USE enum ccg_status ccg_hpke_setup_s_fixed(enum ccg_hpke_suite suite, const uint8_t *pkR, size_t pkR_len,
						    EVP_PKEY *skE, const uint8_t *info, size_t info_len, uint8_t *enc,
						    size_t enc_cap, size_t *enc_len, struct ccg_hpke_ctx **out,
						    struct ccg_hpke_trace *trace, struct ccg_error *err);
/* ccg_hpke_setup_r_traced: ccg_hpke_setup_r recording the key schedule in trace. */
CCG_MUST_USE enum ccg_status ccg_hpke_setup_r_traced(enum ccg_hpke_suite suite, EVP_PKEY *skR, const uint8_t *enc,
						     size_t enc_len, const uint8_t *info, size_t info_len,
						     struct ccg_hpke_ctx **out, struct ccg_hpke_trace *trace,
						     struct ccg_error *err);
/* ccg_hpke_ctx_key: borrowed views of the context's key, base_nonce and exporter_secret. */
void ccg_hpke_ctx_key(const struct ccg_hpke_ctx *ctx, const uint8_t **key, size_t *key_len, const uint8_t **base_nonce,
		      size_t *base_nonce_len, const uint8_t **exporter_secret, size_t *exporter_secret_len);
/* ccg_hpke_ctx_set_seq: sets the next sequence number (tests of the overflow refusal). */
void ccg_hpke_ctx_set_seq(struct ccg_hpke_ctx *ctx, uint64_t seq);

#endif
