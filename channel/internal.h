/* SPDX-License-Identifier: Apache-2.0 */
/* What channel.c and the tests see of a requester session. */
#ifndef CCGPU_CHANNEL_INTERNAL_H
#define CCGPU_CHANNEL_INTERNAL_H

#include "ccgpu/channel.h"
#include "common/buf.h"
#include "wire/dp.h"
#include "wire/spdm_crypto.h"

struct ccg_session {
	int fd;
	uint16_t device;
	uint32_t session_id;
	bool established, ended;
	uint8_t ku_tag;
	uint8_t cert_hash[SPDM_H];
	struct ccg_buf th; /* VCA || Hash(CertChain) || KEY_EXCHANGE || ... */
	struct spdm_schedule ks;
	struct spdm_dir_keys req, rsp;
	struct ccg_buf io;
	bool has_channel;
	uint32_t channel_opens; /* channels opened in this session: part of each open's key derivation */
#ifdef CCG_TEST_HOOKS
	/* tests: force the next channel ids (a host's or an RNG's collision), or pass another descriptor in
	 * CHANNEL_OPEN in place of the sealed memfd (a host swapping it in transit) */
	uint32_t debug_channel_id;
	bool debug_swap_fd;
	int debug_fd;
#endif
};

/* session_secured_exchange: one SPDM request/response inside the session. */
CCG_MUST_USE enum ccg_status session_secured_exchange(struct ccg_session *s, const uint8_t *req, size_t req_len,
						      struct ccg_buf *rsp, struct ccg_error *err);
/* session_secured_exchange_fd: the same with pass_fd (>= 0) passed along the request's frame (SCM_RIGHTS). */
CCG_MUST_USE enum ccg_status session_secured_exchange_fd(struct ccg_session *s, const uint8_t *req, size_t req_len,
							 int pass_fd, struct ccg_buf *rsp, struct ccg_error *err);

#ifdef CCG_TEST_HOOKS
/*
 * test hooks on a channel's host-to-device sender, receiver and shared memory
 * file (channel.c). Only the test build of this folder (channel_test_lib,
 * -DCCG_TEST_HOOKS) has them and the session's debug_* fields; libccgpu and
 * the installed programs are built without (tests/integration/test_release_symbols.sh).
 */
struct dp_tx *ccg_channel_debug_tx(struct ccg_channel *ch);
struct dp_rx *ccg_channel_debug_rx(struct ccg_channel *ch);
int ccg_channel_debug_memfd(struct ccg_channel *ch);
#endif

#endif
